/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * simfront hostile pkt-*: malformed BLKIF_OP_PACKET requests (PROTOCOLS.md
 * section 5, doc/mmc.md). Each mode sends its requests from pages of its
 * own, checks the ring's answer and what happened to the guest's pages,
 * then proves the VBD still serves: one ordinary READ (good_read) and, on
 * a CD that takes packets, one SUPPORT packet (good_packet).
 *
 *   pkt-bad-type          types 0, 0x6300, 0x6305, 0xffffffff: ERROR, page
 *                         untouched
 *   pkt-oversized-buflen  buflen 0xffffffff: clamped to the page. READ(10)
 *                         of block 16 (the first one an ISO 9660 image
 *                         does not leave zero): OKAY, GOOD, it at 120, the
 *                         rest of the page zero; of two blocks (more than
 *                         a page holds): CHECK CONDITION 05/24/00. A guard
 *                         page right after the packet page stays as it was.
 *   pkt-two-segs          two segments: ERROR, both pages untouched
 *   pkt-bad-sect          first_sect 1 / last_sect 6: ERROR, page untouched
 *   pkt-indirect          INDIRECT with indirect_op 4 (a packet page as its
 *                         one segment): ERROR, page untouched
 *   pkt-flood             not hostile, a stress: the ring filled with READ(10)
 *                         packets at once, each with its own page: all OKAY,
 *                         each page holding its own block
 *   pkt-on-disk           op 4 to a VBD that is not a CD: EOPNOTSUPP
 *   pkt-no-packet         op 4 to a CD opened with TD_F_NO_PACKET: EOPNOTSUPP
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simfront-cli.h"

#define PH_MAX_PAGES 80
#define PH_FILL 0x5c
#define PH_GUARD 0xa5

enum { PH_CD = 1, PH_DISK = 2, PH_NOPKT = 4 };	/* VBD a mode needs */

struct phctx {
	struct sf_cli *c;
	struct simfront *f;
	const struct simfront_info *in;
	int expect;		/* BLKIF status every request must get */
	int fail;		/* a check failed */
	int nreq, nbad;
	int first_status;	/* the first unexpected answer */
	uint32_t frames[PH_MAX_PAGES];
	unsigned nframes;
};

static uint8_t *ph_page(struct phctx *h, uint32_t *frame, uint8_t fill)
{
	struct xsim_guest *g = simfront_guest(h->f);
	uint8_t *p;

	if (h->nframes == PH_MAX_PAGES || xsim_guest_page_alloc(g, frame) < 0) {
		sf_err("hostile: out of guest pages");
		h->fail = 1;
		return NULL;
	}
	h->frames[h->nframes++] = *frame;
	p = xsim_guest_page(g, *frame);
	memset(p, fill, XSIM_PAGE_SIZE);
	return p;
}

/* Two pages adjacent in guest memory: the packet page and its guard. */
static uint8_t *ph_page_pair(struct phctx *h, uint32_t *frame, uint8_t **guard)
{
	struct xsim_guest *g = simfront_guest(h->f);
	uint32_t prev = 0, fr;
	uint8_t *p;
	unsigned i;

	for (i = 0; i < PH_MAX_PAGES / 2; i++) {
		p = ph_page(h, &fr, PH_GUARD);
		if (!p)
			return NULL;
		if (i && fr == prev + 1 &&
		    p == (uint8_t *)xsim_guest_page(g, prev) + XSIM_PAGE_SIZE) {
			*frame = prev;
			*guard = p;
			return xsim_guest_page(g, prev);
		}
		prev = fr;
	}
	sf_err("hostile: no two adjacent guest pages");
	h->fail = 1;
	return NULL;
}

static void ph_cleanup(struct phctx *h)
{
	unsigned i;

	for (i = 0; i < h->nframes; i++)
		xsim_guest_page_free(simfront_guest(h->f), h->frames[i]);
	h->nframes = 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * Send op 4 with nsegs segments over frames[] (granted writable for this
 * request only), [first, last] in every segment; record the answer.
 */
static int ph_send(struct phctx *h, const char *label, const uint32_t *frames,
		   unsigned nsegs, uint8_t first, uint8_t last)
{
	struct xsim_guest *g = simfront_guest(h->f);
	struct simfront_cpl cpl;
	struct blkif_req r;
	uint32_t grefs[BLKIF_MAX_SEGS];
	unsigned i, ng = 0;
	int tag, n, st;

	memset(&r, 0, sizeof(r));
	r.ring_op = r.op = BLKIF_OP_PACKET;
	r.handle = (uint16_t)h->in->devid;
	r.nr_segs = (uint16_t)nsegs;
	for (i = 0; i < nsegs && i < BLKIF_MAX_SEGS; i++) {
		if (xsim_guest_grant(g, frames[i], SIMFRONT_BACKEND_DOMID, 0,
				     &grefs[i]) < 0) {
			sf_err("hostile: grant failed");
			st = -ENOSPC;
			goto out;
		}
		ng++;
		r.seg[i].gref = grefs[i];
		r.seg[i].first_sect = first;
		r.seg[i].last_sect = last;
	}
	tag = simfront_raw_submit(h->f, &r, 0, NULL);
	if (tag < 0) {
		sf_err("hostile: cannot queue the request: %s", strerror(-tag));
		st = tag;
		goto out;
	}
	n = simfront_reap(h->f, &cpl, 1, -1);
	st = n > 0 ? cpl.status : -ETIMEDOUT;
	if (n <= 0)
		sf_err("hostile: %s: no response", label);
out:
	for (i = 0; i < ng; i++)
		xsim_guest_revoke(g, grefs[i]);
	h->nreq++;
	if (label) {
		char key[48];

		snprintf(key, sizeof(key), "status.%s", label);
		sf_kv(h->c, key, "%s", st < -2 ? "none" : simfront_status_name(st));
	}
	if (st != h->expect && !h->nbad++)
		h->first_status = st;
	return st;
}

static void ph_same(struct phctx *h, const char *key, const uint8_t *p,
		    const uint8_t *orig)
{
	int same = !memcmp(p, orig, XSIM_PAGE_SIZE);

	sf_kv(h->c, key, "%s", same ? "yes" : "no");
	if (!same)
		h->fail = 1;
}

/* A well-formed SUPPORT page in a fresh page (and a copy of it). */
static uint8_t *ph_support_page(struct phctx *h, uint32_t *frame, uint8_t *copy)
{
	uint8_t *p = ph_page(h, frame, PH_FILL);

	if (p) {
		put32(p, BLKIF_PKT_SUPPORT);
		memcpy(copy, p, XSIM_PAGE_SIZE);
	}
	return p;
}

/* ---- the modes ----------------------------------------------------------- */

static void m_bad_type(struct phctx *h)
{
	static const struct { const char *label; uint32_t type; } types[] = {
		{ "type0", 0 }, { "type6300", 0x6300 }, { "type6305", 0x6305 },
		{ "typeffffffff", 0xffffffffu },
	};
	uint8_t orig[XSIM_PAGE_SIZE];
	uint32_t frame;
	size_t i;
	uint8_t *p;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		p = ph_page(h, &frame, PH_FILL);
		if (!p)
			return;
		put32(p, types[i].type);
		memcpy(orig, p, sizeof(orig));
		ph_send(h, types[i].label, &frame, 1, 0, 7);
		ph_same(h, "page_untouched", p, orig);
	}
}

#define PH_LBA 16

/* READ(10) of count blocks at PH_LBA with buflen 0xffffffff. */
static void ph_big_read(struct phctx *h, const char *label, unsigned count,
			const uint8_t *block)
{
	uint8_t guard[XSIM_PAGE_SIZE], *p, *g = NULL;
	char key[48];
	uint32_t frame;
	unsigned i, stat, sk, asc, ascq, tail_zero = 1;

	p = ph_page_pair(h, &frame, &g);
	if (!p)
		return;
	memset(p, PH_FILL, XSIM_PAGE_SIZE);
	put32(p, BLKIF_PKT_PACKET);
	put32(p + 8, 12);		/* payload_offset */
	memset(p + 12, 0, 12);
	p[12] = 0x28;			/* READ(10) */
	p[12 + 5] = PH_LBA;
	p[12 + 8] = (uint8_t)count;
	put32(p + 28, BLKIF_PKT_DATA_OFF);
	put32(p + 32, 0xffffffffu);	/* buflen */
	put32(p + 36, 0);
	put32(p + 40, BLKIF_PKT_SENSE_OFF);
	p[44] = BLKIF_PKT_DIR_READ;
	memcpy(guard, g, sizeof(guard));
	if (ph_send(h, label, &frame, 1, 0, 7) != BLKIF_RSP_OKAY)
		return;
	stat = p[36] | (unsigned)p[37] << 8 | (unsigned)p[38] << 16 |
	       (unsigned)p[39] << 24;
	sk = stat ? p[BLKIF_PKT_SENSE_OFF + 2] & 0xf : 0;
	asc = stat ? p[BLKIF_PKT_SENSE_OFF + 12] : 0;
	ascq = stat ? p[BLKIF_PKT_SENSE_OFF + 13] : 0;
	snprintf(key, sizeof(key), "%s.stat", label);
	sf_kv(h->c, key, "%u", stat);
	snprintf(key, sizeof(key), "%s.sense", label);
	sf_kv(h->c, key, "%02x/%02x/%02x", sk, asc, ascq);
	if (count == 1) {
		/* GOOD, the block at 120, nothing after it */
		int data_ok = block && !memcmp(p + BLKIF_PKT_DATA_OFF, block, 2048);

		for (i = BLKIF_PKT_DATA_OFF + 2048; i < XSIM_PAGE_SIZE; i++)
			if (p[i])
				tail_zero = 0;
		sf_kv(h->c, "data_ok", "%s", data_ok ? "yes" : "no");
		sf_kv(h->c, "tail_zero", "%s", tail_zero ? "yes" : "no");
		if (stat || (int8_t)p[4] != 0 || !data_ok || !tail_zero)
			h->fail = 1;
	} else if (stat != 2 || sk != 5 || asc != 0x24 || ascq != 0) {
		h->fail = 1;	/* does not fit the page: refused, not cut */
	}
	ph_same(h, "guard_untouched", g, guard);
}

static void m_oversized_buflen(struct phctx *h)
{
	static const uint8_t tur[6] = { 0 };
	struct blkif_pkt_reply rep;
	uint8_t block[2048], *page;
	uint64_t need = (PH_LBA + 2) * 2048;
	int st = h->in->size >= need ?
			 simfront_read(h->f, PH_LBA * 2048, block, sizeof(block)) :
			 BLKIF_RSP_ERROR;

	if (st != BLKIF_RSP_OKAY) {
		sf_err("hostile: pkt-oversized-buflen needs a CD with a medium of "
		       "at least %u blocks", PH_LBA + 2);
		h->fail = 1;
		return;
	}
	/* a unit attention pending from an earlier change would answer the
	 * first read instead: let a TEST UNIT READY take it */
	page = malloc(BLKIF_PKT_PAGE_SIZE);
	if (page)
		simfront_packet_cmd(h->f, tur, sizeof(tur), 0, page, &rep);
	free(page);
	ph_big_read(h, "read1", 1, block);
	ph_big_read(h, "read2", 2, NULL);
}

static void m_two_segs(struct phctx *h)
{
	uint8_t orig0[XSIM_PAGE_SIZE], orig1[XSIM_PAGE_SIZE];
	uint32_t frames[2];
	uint8_t *p0, *p1;

	p0 = ph_support_page(h, &frames[0], orig0);
	p1 = p0 ? ph_support_page(h, &frames[1], orig1) : NULL;
	if (!p1)
		return;
	ph_send(h, NULL, frames, 2, 0, 7);
	ph_same(h, "page_untouched", p0, orig0);
	ph_same(h, "page2_untouched", p1, orig1);
}

static void m_bad_sect(struct phctx *h)
{
	uint8_t orig[XSIM_PAGE_SIZE];
	uint32_t frame;
	uint8_t *p;

	p = ph_support_page(h, &frame, orig);
	if (!p)
		return;
	ph_send(h, "first1", &frame, 1, 1, 7);
	ph_same(h, "page_untouched", p, orig);
	ph_send(h, "last6", &frame, 1, 0, 6);
	ph_same(h, "page_untouched", p, orig);
}

static void m_indirect(struct phctx *h)
{
	struct xsim_guest *g = simfront_guest(h->f);
	struct blkif_seg seg = { .first_sect = 0, .last_sect = 7 };
	uint8_t orig[XSIM_PAGE_SIZE], *p, *ip;
	struct simfront_cpl cpl;
	uint32_t frame, iframe, gref = 0, igref = 0;
	struct blkif_req r;
	int tag, n, st = -EIO;

	p = ph_support_page(h, &frame, orig);
	ip = p ? ph_page(h, &iframe, 0) : NULL;
	if (!ip)
		return;
	if (xsim_guest_grant(g, frame, SIMFRONT_BACKEND_DOMID, 0, &gref) < 0 ||
	    xsim_guest_grant(g, iframe, SIMFRONT_BACKEND_DOMID, 1, &igref) < 0) {
		sf_err("hostile: grant failed");
		h->fail = 1;
		goto out;
	}
	seg.gref = gref;
	blkif_indirect_seg_encode(ip, 0, &seg);
	memset(&r, 0, sizeof(r));
	r.ring_op = BLKIF_OP_INDIRECT;
	r.op = BLKIF_OP_PACKET;
	r.handle = (uint16_t)h->in->devid;
	r.nr_segs = 1;
	r.indirect_grefs[0] = igref;
	tag = simfront_raw_submit(h->f, &r, 0, NULL);
	n = tag < 0 ? tag : simfront_reap(h->f, &cpl, 1, -1);
	st = n > 0 ? cpl.status : -ETIMEDOUT;
out:
	if (gref)
		xsim_guest_revoke(g, gref);
	if (igref)
		xsim_guest_revoke(g, igref);
	h->nreq++;
	if (st != h->expect && !h->nbad++)
		h->first_status = st;
	ph_same(h, "page_untouched", p, orig);
}

#define PH_FLOOD_LBA0 16

/* Every slot of the ring (queue_depth) a READ(10) packet, all at once. */
static void m_flood(struct phctx *h)
{
	struct xsim_guest *g = simfront_guest(h->f);
	unsigned qd = h->in->queue_depth, i, done = 0, bad_data = 0;
	uint32_t frames[PH_MAX_PAGES / 2], grefs[PH_MAX_PAGES / 2];
	struct simfront_cpl cpl[PH_MAX_PAGES / 2];
	uint8_t *pages[PH_MAX_PAGES / 2], block[2048];
	int16_t status[PH_MAX_PAGES / 2];
	struct blkif_pkt pk;
	struct blkif_req r;
	int tag, n;

	if (qd > PH_MAX_PAGES / 2)
		qd = PH_MAX_PAGES / 2;
	if (h->in->size < (uint64_t)(PH_FLOOD_LBA0 + qd) * 2048) {
		sf_err("hostile: pkt-flood needs a disc of %u blocks",
		       PH_FLOOD_LBA0 + qd);
		h->fail = 1;
		return;
	}
	memset(status, 0xff, sizeof(status));	/* ERROR until answered */
	memset(&pk, 0, sizeof(pk));
	pk.type = BLKIF_PKT_PACKET;
	pk.cdb[0] = 0x28;
	pk.cdb[8] = 1;
	pk.buflen = 2048;
	pk.data_direction = BLKIF_PKT_DIR_READ;
	for (i = 0; i < qd; i++) {
		pages[i] = ph_page(h, &frames[i], PH_FILL);
		if (!pages[i] || xsim_guest_grant(g, frames[i], SIMFRONT_BACKEND_DOMID,
						  0, &grefs[i]) < 0) {
			h->fail = 1;
			qd = i;
			break;
		}
		pk.cdb[5] = (uint8_t)(PH_FLOOD_LBA0 + i);
		blkif_pkt_encode_request(pages[i], &pk, NULL);
		memset(&r, 0, sizeof(r));
		r.ring_op = r.op = BLKIF_OP_PACKET;
		r.handle = (uint16_t)h->in->devid;
		r.nr_segs = 1;
		r.seg[0].gref = grefs[i];
		r.seg[0].last_sect = 7;
		tag = simfront_raw_submit(h->f, &r, i, NULL);
		if (tag < 0) {
			sf_err("hostile: pkt-flood: queueing %u: %s", i, strerror(-tag));
			xsim_guest_revoke(g, grefs[i]);
			h->fail = 1;
			qd = i;
			break;
		}
	}
	simfront_push(h->f);
	while (done < qd) {
		n = simfront_reap(h->f, cpl, qd - done, -1);
		if (n <= 0) {
			sf_err("hostile: pkt-flood: %u of %u answered", done, qd);
			h->fail = 1;
			break;
		}
		for (i = 0; i < (unsigned)n; i++) {
			h->nreq++;
			if (cpl[i].status != h->expect && !h->nbad++)
				h->first_status = cpl[i].status;
			status[cpl[i].cookie] = cpl[i].status;
		}
		done += (unsigned)n;
	}
	for (i = 0; i < qd; i++)
		xsim_guest_revoke(g, grefs[i]);
	/* every answer in, the ring is free for the reference reads */
	for (i = 0; i < qd; i++) {
		struct blkif_pkt_reply rep;

		blkif_pkt_decode_reply(pages[i], BLKIF_PKT_PACKET, &rep);
		if (status[i] != BLKIF_RSP_OKAY || rep.stat ||
		    simfront_read(h->f, (uint64_t)(PH_FLOOD_LBA0 + i) * 2048, block,
				  sizeof(block)) != BLKIF_RSP_OKAY ||
		    memcmp(rep.data, block, sizeof(block)))
			bad_data++;
	}
	sf_kv(h->c, "packets", "%u", qd);
	sf_kv(h->c, "data_ok", "%s", bad_data ? "no" : "yes");
	if (bad_data)
		h->fail = 1;
}

/* A well-formed SUPPORT packet to a VBD that must refuse op 4. */
static void m_refused(struct phctx *h)
{
	uint8_t orig[XSIM_PAGE_SIZE];
	uint32_t frame;
	uint8_t *p;

	p = ph_support_page(h, &frame, orig);
	if (!p)
		return;
	ph_send(h, NULL, &frame, 1, 0, 7);
	ph_same(h, "page_untouched", p, orig);
}

static const struct phmode {
	const char *name;
	void (*fn)(struct phctx *h);
	int expect;
	unsigned needs;
} modes[] = {
	{ "pkt-bad-type", m_bad_type, BLKIF_RSP_ERROR, PH_CD },
	{ "pkt-oversized-buflen", m_oversized_buflen, BLKIF_RSP_OKAY, PH_CD },
	{ "pkt-two-segs", m_two_segs, BLKIF_RSP_ERROR, PH_CD },
	{ "pkt-bad-sect", m_bad_sect, BLKIF_RSP_ERROR, PH_CD },
	{ "pkt-indirect", m_indirect, BLKIF_RSP_ERROR, PH_CD },
	{ "pkt-flood", m_flood, BLKIF_RSP_OKAY, PH_CD },
	{ "pkt-on-disk", m_refused, BLKIF_RSP_EOPNOTSUPP, PH_DISK },
	{ "pkt-no-packet", m_refused, BLKIF_RSP_EOPNOTSUPP, PH_CD | PH_NOPKT },
};

static const struct phmode *find_mode(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	return NULL;
}

int sf_pkt_hostile_known(const char *name)
{
	return find_mode(name) != NULL;
}

/* The VBD is what the mode needs; else explain and return 0. */
static int ph_vbd_fits(struct phctx *h, const struct phmode *m)
{
	int cd = !!(h->in->vdisk_info & VDISK_CDROM);
	int nopkt = !!(h->in->vbd_flags & TD_F_NO_PACKET);

	if ((m->needs & PH_CD) && !cd) {
		sf_err("hostile: %s needs a CD VBD (--cdrom)", m->name);
		return 0;
	}
	if ((m->needs & PH_DISK) && cd) {
		sf_err("hostile: %s needs a VBD that is not a CD", m->name);
		return 0;
	}
	if (!!(m->needs & PH_NOPKT) != nopkt) {
		sf_err("hostile: %s needs a CD %s --no-packet", m->name,
		       nopkt ? "without" : "with");
		return 0;
	}
	return 1;
}

/* After the mode: an ordinary READ and (CD taking packets) a SUPPORT. */
static int ph_still_serves(struct phctx *h, const struct phmode *m)
{
	uint8_t buf[XSIM_PAGE_SIZE], *page;
	struct blkif_pkt_reply rep;
	struct blkif_pkt r;
	uint64_t len = h->in->size < sizeof(buf) ? h->in->size / 512 * 512
						 : sizeof(buf);
	int st = len ? simfront_read(h->f, 0, buf, len) : BLKIF_RSP_OKAY;
	int ok = st == BLKIF_RSP_OKAY;

	sf_kv(h->c, "good_read", "%s", ok ? "ok" : "FAIL");
	if (!(m->needs & PH_CD) || (m->needs & PH_NOPKT))
		return ok;
	page = malloc(BLKIF_PKT_PAGE_SIZE);
	if (!page)
		return 0;
	memset(&r, 0, sizeof(r));
	r.type = BLKIF_PKT_SUPPORT;
	st = simfront_packet(h->f, &r, NULL, page, &rep);
	free(page);
	st = st == BLKIF_RSP_OKAY && rep.ret == 0 && rep.supported == 1;
	sf_kv(h->c, "good_packet", "%s", st ? "ok" : "FAIL");
	return ok && st;
}

int sf_cmd_pkt_hostile(struct sf_cli *c, struct simfront *f)
{
	const struct phmode *m = find_mode(c->mode);
	struct phctx *h;
	int ok;

	h = calloc(1, sizeof(*h));
	if (!h || !m) {
		free(h);
		return SF_EXIT_FAIL;
	}
	h->c = c;
	h->f = f;
	h->in = simfront_info(f);
	h->expect = m->expect;
	sf_kv(c, "mode", "%s", m->name);
	if (c->expect)
		sf_err("hostile: --expect is ignored for %s", m->name);
	if (!ph_vbd_fits(h, m)) {
		sf_kv(c, "result", "FAIL");
		free(h);
		return SF_EXIT_FAIL;
	}
	m->fn(h);
	sf_kv(c, "status", "%s", !h->nreq ? "none" : h->nbad ?
	      (h->first_status < -2 ? "none" : simfront_status_name(h->first_status))
	      : simfront_status_name(h->expect));
	sf_kv(c, "expected", "%s", simfront_status_name(h->expect));
	ph_cleanup(h);
	ok = ph_still_serves(h, m) && h->nreq && !h->nbad && !h->fail;
	if (simfront_stats(f)->bad_rsp) {
		sf_kv(c, "bad_responses", "%" PRIu64, simfront_stats(f)->bad_rsp);
		ok = 0;
	}
	sf_kv(c, "result", "%s", ok ? "pass" : "FAIL");
	free(h);
	return ok ? SF_EXIT_OK : SF_EXIT_FAIL;
}
