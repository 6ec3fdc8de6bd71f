/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * simfront hostile: one malformed request per mode, each proving one check
 * of the backend (PROTOCOLS.md section 1), followed by a good READ that
 * proves the ring still serves. Where the backend must not touch a page or
 * the disk, that is checked too (page_untouched / disk_untouched).
 *
 * Requests are built by hand with simfront_raw_submit: the pages and
 * grants they name belong to this file, not to the library's tags.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simfront-cli.h"

#define EXP_OKAY (1u << 0)
#define EXP_ERROR (1u << 1)
#define EXP_EOPNOTSUPP (1u << 2)

#define H_MAX_PAGES 12
#define H_MAX_GRANTS 12
#define H_MAX_REC 4
#define H_FOREIGN_DOMID 7	/* wrong-domain: neither us nor the backend */

struct hctx {
	struct sf_cli *c;
	struct simfront *f;
	const struct simfront_info *in;
	unsigned expect;	/* EXP_* accepted */
	int fail;		/* a side check failed */
	unsigned nrec;
	struct {
		const char *label;
		int status;	/* BLKIF status, or a negative errno < -2 */
	} rec[H_MAX_REC];
	uint32_t frames[H_MAX_PAGES];
	unsigned nframes;
	uint32_t grefs[H_MAX_GRANTS];
	uint8_t gref_live[H_MAX_GRANTS];
	unsigned ngrefs;
};

static unsigned status_bit(int st)
{
	switch (st) {
	case BLKIF_RSP_OKAY:
		return EXP_OKAY;
	case BLKIF_RSP_ERROR:
		return EXP_ERROR;
	case BLKIF_RSP_EOPNOTSUPP:
		return EXP_EOPNOTSUPP;
	}
	return 0;
}

static const char *expect_str(unsigned m, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", m & EXP_OKAY ? "okay" : "",
		 (m & EXP_OKAY) && (m & ~EXP_OKAY) ? "|" : "",
		 m & EXP_ERROR ? "error" : "",
		 (m & EXP_ERROR) && (m & EXP_EOPNOTSUPP) ? "|" : "",
		 m & EXP_EOPNOTSUPP ? "eopnotsupp" : "");
	return buf;
}

/* "okay", "error", "eopnotsupp", "any", joined by ',' or '|'. */
static int parse_expect(const char *s, unsigned *mask)
{
	char buf[64], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*mask = 0;
	for (tok = strtok_r(buf, ",|", &save); tok; tok = strtok_r(NULL, ",|", &save)) {
		if (!strcmp(tok, "okay") || !strcmp(tok, "ok"))
			*mask |= EXP_OKAY;
		else if (!strcmp(tok, "error"))
			*mask |= EXP_ERROR;
		else if (!strcmp(tok, "eopnotsupp"))
			*mask |= EXP_EOPNOTSUPP;
		else if (!strcmp(tok, "any"))
			*mask |= EXP_OKAY | EXP_ERROR | EXP_EOPNOTSUPP;
		else
			return -EINVAL;
	}
	return *mask ? 0 : -EINVAL;
}

/* ---- resources --------------------------------------------------------- */

static uint8_t *h_page(struct hctx *h, uint32_t *frame, uint8_t fill)
{
	struct xsim_guest *g = simfront_guest(h->f);
	uint8_t *p;

	if (h->nframes == H_MAX_PAGES || xsim_guest_page_alloc(g, frame) < 0) {
		sf_err("hostile: out of guest pages");
		return NULL;
	}
	h->frames[h->nframes++] = *frame;
	p = xsim_guest_page(g, *frame);
	memset(p, fill, XSIM_PAGE_SIZE);
	return p;
}

static int h_grant(struct hctx *h, uint32_t frame, uint16_t domid, int ro,
		   uint32_t *gref)
{
	int rc;

	if (h->ngrefs == H_MAX_GRANTS)
		return -ENOSPC;
	rc = xsim_guest_grant(simfront_guest(h->f), frame, domid, ro, gref);
	if (rc < 0) {
		sf_err("hostile: grant: %s", strerror(-rc));
		return rc;
	}
	h->grefs[h->ngrefs] = *gref;
	h->gref_live[h->ngrefs++] = 1;
	return 0;
}

static void h_revoke(struct hctx *h, uint32_t gref)
{
	unsigned i;

	for (i = 0; i < h->ngrefs; i++)
		if (h->gref_live[i] && h->grefs[i] == gref) {
			xsim_guest_revoke(simfront_guest(h->f), gref);
			h->gref_live[i] = 0;
		}
}

static void h_cleanup(struct hctx *h)
{
	unsigned i;

	for (i = 0; i < h->ngrefs; i++)
		if (h->gref_live[i])
			h_revoke(h, h->grefs[i]);
	for (i = 0; i < h->nframes; i++)
		xsim_guest_page_free(simfront_guest(h->f), h->frames[i]);
	h->ngrefs = h->nframes = 0;
}

/* A reference that is in range and was never granted (references are
 * handed out from 1 upwards, so the top of the table is unused). */
static uint32_t h_unused_gref(struct hctx *h)
{
	struct xsim_guest *g = simfront_guest(h->f);
	struct xsim_grant *e;
	uint32_t r;

	for (r = h->in->nr_grants - 1; r > 0; r--) {
		e = xsim_guest_grant_entry(g, r);
		if (e && e->flags == 0)
			return r;
	}
	return h->in->nr_grants - 1;
}

/* ---- sending ----------------------------------------------------------- */

static void h_record(struct hctx *h, const char *label, int status)
{
	if (h->nrec < H_MAX_REC) {
		h->rec[h->nrec].label = label;
		h->rec[h->nrec++].status = status;
	}
}

/* Send r (byte 1 of the slot patched when patch >= 0), wait, record. */
static void h_send(struct hctx *h, const char *label, struct blkif_req *r,
		   int patch)
{
	struct simfront_cpl cpl;
	volatile void *slot;
	int tag, n;

	r->handle = (uint16_t)h->in->devid;
	tag = simfront_raw_submit(h->f, r, 0, &slot);
	if (tag < 0) {
		sf_err("hostile: cannot queue the request: %s", strerror(-tag));
		h_record(h, label, tag);
		return;
	}
	if (patch >= 0)
		((volatile uint8_t *)slot)[1] = (uint8_t)patch;
	n = simfront_reap(h->f, &cpl, 1, -1);
	if (n <= 0) {
		sf_err("hostile: %s%sno response: %s", label ? label : "",
		       label ? ": " : "", strerror(n < 0 ? -n : ETIMEDOUT));
		h_record(h, label, n < 0 ? n : -ETIMEDOUT);
		return;
	}
	h_record(h, label, cpl.status);
}

static void h_rw(struct blkif_req *r, uint8_t op, uint64_t sector)
{
	memset(r, 0, sizeof(*r));
	r->ring_op = r->op = op;
	r->sector = sector;
}

/* One writable (or read-only) data page, granted to the backend. */
static int h_data(struct hctx *h, uint8_t fill, int ro, uint32_t *gref,
		  uint8_t **page)
{
	uint32_t frame;

	*page = h_page(h, &frame, fill);
	if (!*page)
		return -ENOMEM;
	return h_grant(h, frame, SIMFRONT_BACKEND_DOMID, ro, gref);
}

static void h_page_check(struct hctx *h, const uint8_t *p, uint8_t fill)
{
	unsigned i;

	for (i = 0; i < XSIM_PAGE_SIZE && p[i] == fill; i++)
		;
	sf_kv(h->c, "page_untouched", "%s", i == XSIM_PAGE_SIZE ? "yes" : "no");
	if (i != XSIM_PAGE_SIZE)
		h->fail = 1;
}

/* Sectors 0..7 before (orig != NULL: compare) a refused write. */
static int h_disk_snapshot(struct hctx *h, uint8_t *buf, const uint8_t *orig)
{
	uint64_t len = h->in->size < XSIM_PAGE_SIZE ? h->in->size / 512 * 512
						    : XSIM_PAGE_SIZE;
	int st;

	if (!len)
		return 0;
	st = simfront_read(h->f, 0, buf, len);
	if (st != BLKIF_RSP_OKAY) {
		sf_err("hostile: reading sector 0: %s", st < -2 ? strerror(-st)
							       : simfront_status_name(st));
		h->fail = 1;
		return -EIO;
	}
	if (orig) {
		int same = !memcmp(buf, orig, len);

		sf_kv(h->c, "disk_untouched", "%s", same ? "yes" : "no");
		if (!same)
			h->fail = 1;
	}
	return 0;
}

/* ---- the modes ----------------------------------------------------------- */

static void m_nsegs(struct hctx *h, unsigned claimed)
{
	struct blkif_req r;
	uint32_t gref;
	uint8_t *p;
	unsigned i;

	if (h_data(h, 0x11, 0, &gref, &p) < 0)
		return;
	h_rw(&r, BLKIF_OP_READ, 0);
	r.nr_segs = claimed > BLKIF_MAX_SEGS ? BLKIF_MAX_SEGS : (uint16_t)claimed;
	for (i = 0; i < r.nr_segs; i++) {
		r.seg[i].gref = gref;
		r.seg[i].last_sect = 7;
	}
	/* the u8 count says more than the 11-entry array holds */
	h_send(h, NULL, &r, claimed > BLKIF_MAX_SEGS ? (int)claimed : -1);
}

static void m_nsegs0(struct hctx *h) { m_nsegs(h, 0); }
static void m_nsegs12(struct hctx *h) { m_nsegs(h, 12); }
static void m_nsegs255(struct hctx *h) { m_nsegs(h, 255); }

/* One-segment READ of [first, last] at sector. */
static void h_read1(struct hctx *h, uint64_t sector, uint8_t first, uint8_t last)
{
	struct blkif_req r;
	uint32_t gref;
	uint8_t *p;

	if (h_data(h, 0x22, 0, &gref, &p) < 0)
		return;
	h_rw(&r, BLKIF_OP_READ, sector);
	r.nr_segs = 1;
	r.seg[0].gref = gref;
	r.seg[0].first_sect = first;
	r.seg[0].last_sect = last;
	h_send(h, NULL, &r, -1);
}

static void m_first_gt_last(struct hctx *h) { h_read1(h, 0, 5, 2); }
static void m_last_sect8(struct hctx *h) { h_read1(h, 0, 0, 8); }
static void m_past_end(struct hctx *h) { h_read1(h, h->in->sectors, 0, 7); }

static void m_straddle_end(struct hctx *h)
{
	h_read1(h, h->in->sectors > 4 ? h->in->sectors - 4 : 0, 0, 7);
}

static void m_sector_overflow(struct hctx *h)
{
	h_read1(h, UINT64_MAX - 3, 0, 7);
}

static void h_read_gref(struct hctx *h, const char *label, uint32_t gref)
{
	struct blkif_req r;

	h_rw(&r, BLKIF_OP_READ, 0);
	r.nr_segs = 1;
	r.seg[0].gref = gref;
	r.seg[0].last_sect = 7;
	h_send(h, label, &r, -1);
}

static void m_bad_gref(struct hctx *h)
{
	h_read_gref(h, "unused", h_unused_gref(h));
	h_read_gref(h, "zero", 0);
	h_read_gref(h, "out-of-range", UINT32_MAX - 1);
}

static void m_revoked_gref(struct hctx *h)
{
	uint8_t orig[XSIM_PAGE_SIZE], now[XSIM_PAGE_SIZE];
	struct blkif_req r;
	uint32_t gref;
	uint8_t *p;

	if (h_disk_snapshot(h, orig, NULL) < 0 || h_data(h, 0xc3, 1, &gref, &p) < 0)
		return;
	h_revoke(h, gref);
	h_rw(&r, BLKIF_OP_WRITE, 0);
	r.nr_segs = 1;
	r.seg[0].gref = gref;
	r.seg[0].last_sect = 7;
	h_send(h, NULL, &r, -1);
	h_disk_snapshot(h, now, orig);
}

/*
 * Persistent grants (meant for a ring connected with TD_F_PERSISTENT): a
 * page the backend has cached, then revoked, then its reference granted
 * again for another page. The backend may answer from the mapping it
 * holds (Xen would not even let the guest revoke a mapped grant) or
 * refuse; either way only this guest's own pages are concerned, and the
 * ring keeps serving (good_read).
 */
static void m_cached_revoked(struct hctx *h)
{
	struct blkif_req r;
	uint32_t gref, gref2;
	uint8_t *p, *p2;

	if (h_data(h, 0x3c, 0, &gref, &p) < 0)
		return;
	h_read_gref(h, "cached", gref);
	h_revoke(h, gref);
	h_read_gref(h, "revoked", gref);
	if (h_data(h, 0x4d, 0, &gref2, &p2) < 0)
		return;
	h_rw(&r, BLKIF_OP_READ, 0);
	r.nr_segs = 1;
	r.seg[0].gref = gref2;
	r.seg[0].last_sect = 7;
	h_send(h, "regranted", &r, -1);
}

static void m_wrong_domain(struct hctx *h)
{
	uint32_t frame, gref;
	uint8_t *p = h_page(h, &frame, 0x77);

	if (!p || h_grant(h, frame, H_FOREIGN_DOMID, 0, &gref) < 0)
		return;
	h_read_gref(h, NULL, gref);
	h_page_check(h, p, 0x77);
}

static void m_ro_grant_read(struct hctx *h)
{
	uint32_t gref;
	uint8_t *p;

	if (h_data(h, 0x5a, 1, &gref, &p) < 0)
		return;
	h_read_gref(h, NULL, gref);
	h_page_check(h, p, 0x5a);
}

static void m_write_readonly(struct hctx *h)
{
	uint8_t orig[XSIM_PAGE_SIZE], now[XSIM_PAGE_SIZE];
	struct blkif_req r;
	uint32_t gref;
	uint8_t *p;

	if (h_disk_snapshot(h, orig, NULL) < 0 || h_data(h, 0xc3, 1, &gref, &p) < 0)
		return;
	h_rw(&r, BLKIF_OP_WRITE, 0);
	r.nr_segs = 1;
	r.seg[0].gref = gref;
	r.seg[0].last_sect = 7;
	h_send(h, NULL, &r, -1);
	h_disk_snapshot(h, now, orig);
}

static void m_flush_readonly(struct hctx *h)
{
	struct blkif_req r;

	h_rw(&r, BLKIF_OP_FLUSH_DISKCACHE, 0);
	h_send(h, NULL, &r, -1);
}

static void h_discard(struct hctx *h, const char *label, uint64_t sector,
		      uint64_t nr, uint8_t flag)
{
	struct blkif_req r;

	h_rw(&r, BLKIF_OP_DISCARD, sector);
	r.nr_sectors = nr;
	r.discard_flag = flag;
	h_send(h, label, &r, -1);
}

static void m_discard_readonly(struct hctx *h)
{
	h_discard(h, NULL, 0, 8, 0);
}

static void m_discard_secure(struct hctx *h)
{
	uint64_t s = h->in->sectors;

	h_discard(h, NULL, s >= 8 ? (s - 8) & ~(uint64_t)7 : 0, s >= 8 ? 8 : s,
		  BLKIF_DISCARD_SECURE);
}

static void m_discard_past_end(struct hctx *h)
{
	uint64_t s = h->in->sectors;

	h_discard(h, "past-end", s > 4 ? s - 4 : 0, 8, 0);
	h_discard(h, "overflow", UINT64_MAX - 3, 8, 0);
	h_discard(h, "wrap", 8, UINT64_MAX - 4, 0);
}

/* A one-segment request with op, into a writable page that must stay. */
static void h_op_untouched(struct hctx *h, const char *label, uint8_t op)
{
	struct blkif_req r;
	uint32_t gref;
	uint8_t *p;

	if (h_data(h, 0x99, 0, &gref, &p) < 0)
		return;
	h_rw(&r, op, 0);
	r.nr_segs = 1;
	r.seg[0].gref = gref;
	r.seg[0].last_sect = 7;
	h_send(h, label, &r, -1);
	h_page_check(h, p, 0x99);
}

static void m_unknown_op(struct hctx *h)
{
	h_op_untouched(h, "op7", 7);
	h_op_untouched(h, "op255", 255);
}

static void m_packet_op(struct hctx *h)
{
	if (h->in->vdisk_info & VDISK_CDROM)
		sf_err("hostile: packet-op: the VBD is a CD-ROM, packets are legal");
	h_op_untouched(h, NULL, BLKIF_OP_PACKET);
}

/*
 * INDIRECT READ of nsegs one-sector segments of one data page; the
 * indirect pages are granted read-only unless ind_gref is given.
 */
static void h_indirect(struct hctx *h, uint8_t op, unsigned nsegs,
		       const uint32_t *ind_gref)
{
	struct blkif_req r;
	struct blkif_seg seg = { .first_sect = 0, .last_sect = 0 };
	uint32_t dgref, frame;
	unsigned i, nind = blkif_indirect_pages(nsegs);
	uint8_t *dp, *ip[BLKIF_MAX_INDIRECT_PAGES];

	if (nind > BLKIF_MAX_INDIRECT_PAGES || nind == 0) {
		sf_err("hostile: %u segments do not fit in indirect pages", nsegs);
		h->fail = 1;
		return;
	}
	if (h_data(h, 0x33, 0, &dgref, &dp) < 0)
		return;
	memset(&r, 0, sizeof(r));
	r.ring_op = BLKIF_OP_INDIRECT;
	r.op = op;
	r.nr_segs = (uint16_t)nsegs;
	seg.gref = dgref;
	for (i = 0; i < nind; i++) {
		ip[i] = h_page(h, &frame, 0);
		if (!ip[i])
			return;
		if (ind_gref)
			r.indirect_grefs[i] = *ind_gref;
		else if (h_grant(h, frame, SIMFRONT_BACKEND_DOMID, 1,
				 &r.indirect_grefs[i]) < 0)
			return;
	}
	for (i = 0; i < nsegs; i++)
		blkif_indirect_seg_encode(ip[i / BLKIF_SEGS_PER_INDIRECT_PAGE],
					  i % BLKIF_SEGS_PER_INDIRECT_PAGE, &seg);
	h_send(h, NULL, &r, -1);
}

static void m_indirect_too_many(struct hctx *h)
{
	unsigned n = h->in->vbd_max_indirect + 1;

	if (!h->in->vbd_max_indirect)
		sf_err("hostile: the VBD advertises no indirect segments");
	h_indirect(h, BLKIF_OP_READ, n, NULL);
}

static void m_indirect_bad_op(struct hctx *h)
{
	h_indirect(h, BLKIF_OP_FLUSH_DISKCACHE, 1, NULL);
}

static void m_indirect_bad_gref(struct hctx *h)
{
	uint32_t bad = h_unused_gref(h);

	h_indirect(h, BLKIF_OP_READ, 1, &bad);
}

/* ---- the table --------------------------------------------------------- */

#define HM_RO (1u << 0)		/* needs a read-only VBD */
#define HM_DISCARD (1u << 1)	/* EOPNOTSUPP when the VBD has no discard */

static const struct hmode {
	const char *name;
	void (*fn)(struct hctx *h);
	unsigned expect;
	unsigned flags;
} modes[] = {
	{ "nsegs0", m_nsegs0, EXP_ERROR, 0 },
	{ "nsegs12", m_nsegs12, EXP_ERROR, 0 },
	{ "nsegs255", m_nsegs255, EXP_ERROR, 0 },
	{ "first-gt-last", m_first_gt_last, EXP_ERROR, 0 },
	{ "last-sect8", m_last_sect8, EXP_ERROR, 0 },
	{ "past-end", m_past_end, EXP_ERROR, 0 },
	{ "straddle-end", m_straddle_end, EXP_ERROR, 0 },
	{ "sector-overflow", m_sector_overflow, EXP_ERROR, 0 },
	{ "bad-gref", m_bad_gref, EXP_ERROR, 0 },
	{ "revoked-gref", m_revoked_gref, EXP_ERROR, 0 },
	{ "cached-revoked", m_cached_revoked, EXP_OKAY | EXP_ERROR, 0 },
	{ "wrong-domain", m_wrong_domain, EXP_ERROR, 0 },
	{ "ro-grant-read", m_ro_grant_read, EXP_ERROR, 0 },
	{ "write-readonly", m_write_readonly, EXP_ERROR, HM_RO },
	{ "flush-readonly", m_flush_readonly, EXP_ERROR, HM_RO },
	{ "discard-readonly", m_discard_readonly, EXP_ERROR, HM_RO },
	{ "unknown-op", m_unknown_op, EXP_EOPNOTSUPP, 0 },
	{ "packet-op", m_packet_op, EXP_EOPNOTSUPP, 0 },
	{ "indirect-too-many", m_indirect_too_many, EXP_ERROR, 0 },
	{ "indirect-bad-op", m_indirect_bad_op, EXP_ERROR, 0 },
	{ "indirect-bad-gref", m_indirect_bad_gref, EXP_ERROR, 0 },
	{ "discard-secure", m_discard_secure, EXP_ERROR | EXP_EOPNOTSUPP, 0 },
	{ "discard-past-end", m_discard_past_end, EXP_ERROR, HM_DISCARD },
	{ "bad-prod", NULL, 0, 0 },
};

static const struct hmode *find_mode(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	return NULL;
}

int sf_hostile_known(const char *name)
{
	return find_mode(name) != NULL || sf_pkt_hostile_known(name);
}

int sf_hostile_needs_ro(const char *name)
{
	const struct hmode *m = find_mode(name);

	return m && (m->flags & HM_RO);
}

/* The ring still serves: one good READ of the first page. */
static int good_read(struct hctx *h)
{
	uint8_t buf[XSIM_PAGE_SIZE];
	uint64_t len = h->in->size < sizeof(buf) ? h->in->size / 512 * 512
						 : sizeof(buf);
	int st = len ? simfront_read(h->f, 0, buf, len) : BLKIF_RSP_OKAY;

	if (st != BLKIF_RSP_OKAY)
		sf_err("hostile: good READ after the bad request: %s",
		       st < -2 ? strerror(-st) : simfront_status_name(st));
	sf_kv(h->c, "good_read", "%s", st == BLKIF_RSP_OKAY ? "ok" : "FAIL");
	return st == BLKIF_RSP_OKAY;
}

/* An impossible req_prod: the backend must not answer anything (it halts
 * the ring); a fresh connection must work again. */
static int bad_prod(struct hctx *h)
{
	struct td_ring_status rs;
	uint32_t rp = simfront_ring_get(h->f, BLKIF_RING_RSP_PROD);
	uint64_t t_end = sf_now_ns() + 1000000000ull, now;
	int halted = 1, recovered, rc;

	simfront_ring_set(h->f, BLKIF_RING_REQ_PROD, rp + h->in->ring_size + 5);
	simfront_notify(h->f);
	while ((now = sf_now_ns()) < t_end) {
		simfront_wait_event(h->f, (int)((t_end - now) / 1000000) + 1);
		if (simfront_ring_get(h->f, BLKIF_RING_RSP_PROD) != rp) {
			halted = 0;
			break;
		}
	}
	sf_kv(h->c, "status", "%s", halted ? "none" : "response");
	sf_kv(h->c, "expected", "none");
	sf_kv(h->c, "halted", "%s", halted ? "yes" : "no");
	rc = simfront_ring_status(h->f, &rs);
	sf_kv(h->c, "ring_state", "%s", rc < 0 ? "unknown" :
	      (rs.state & TD_RING_S_HALTED) ? "halted" :
	      (rs.state & TD_RING_S_CONNECTED) ? "connected" : "other");
	rc = simfront_reconnect(h->f);
	if (rc < 0)
		sf_err("hostile: reconnect after bad-prod: %s", simfront_last_error());
	recovered = rc == 0 && good_read(h);
	sf_kv(h->c, "recovered", "%s", recovered ? "ok" : "FAIL");
	return halted && recovered;
}

int sf_cmd_hostile(struct sf_cli *c, struct simfront *f)
{
	const struct hmode *m = find_mode(c->mode);
	struct hctx *h;
	char eb[40];
	unsigned i, matched = 1;
	int first_bad = -1, ok;

	if (!m && sf_pkt_hostile_known(c->mode))
		return sf_cmd_pkt_hostile(c, f);	/* pkt-*: CD packets */
	h = calloc(1, sizeof(*h));
	if (!h || !m) {
		free(h);
		return SF_EXIT_FAIL;
	}
	h->c = c;
	h->f = f;
	h->in = simfront_info(f);
	sf_kv(c, "mode", "%s", m->name);
	if (!m->fn) {
		ok = bad_prod(h);
		goto done;
	}
	if ((m->flags & HM_RO) && !(h->in->vdisk_info & VDISK_READONLY) &&
	    !(h->in->vbd_flags & TD_F_RDONLY)) {
		sf_err("hostile: %s needs a read-only VBD (--readonly)", m->name);
		ok = 0;
		goto done;
	}
	h->expect = m->expect;
	if (!strcmp(m->name, "discard-secure"))
		h->expect = (h->in->features & TD_FEAT_DISCARD_SECURE) ?
				    EXP_OKAY : EXP_ERROR | EXP_EOPNOTSUPP;
	if ((m->flags & HM_DISCARD) && !(h->in->features & TD_FEAT_DISCARD))
		h->expect = EXP_EOPNOTSUPP;
	if (c->expect && parse_expect(c->expect, &h->expect) < 0) {
		sf_err("hostile: bad --expect '%s' (okay, error, eopnotsupp, any)",
		       c->expect);
		free(h);
		return SF_EXIT_USAGE;
	}

	m->fn(h);

	for (i = 0; i < h->nrec; i++) {
		if (!(status_bit(h->rec[i].status) & h->expect)) {
			matched = 0;
			if (first_bad < 0)
				first_bad = (int)i;
		}
		if (h->rec[i].label) {
			char key[48];

			snprintf(key, sizeof(key), "status.%s", h->rec[i].label);
			sf_kv(c, key, "%s", h->rec[i].status < -2 ? "none"
				  : simfront_status_name(h->rec[i].status));
		}
	}
	if (!h->nrec)
		matched = 0;
	i = first_bad >= 0 ? (unsigned)first_bad : 0;
	sf_kv(c, "status", "%s", !h->nrec ? "none" : h->rec[i].status < -2 ? "none"
		  : simfront_status_name(h->rec[i].status));
	sf_kv(c, "expected", "%s", expect_str(h->expect, eb, sizeof(eb)));
	h_cleanup(h);
	ok = good_read(h) && matched && !h->fail;
done:
	if (simfront_stats(f)->bad_rsp) {
		sf_kv(c, "bad_responses", "%" PRIu64, simfront_stats(f)->bad_rsp);
		ok = 0;
	}
	sf_kv(c, "result", "%s", ok ? "pass" : "FAIL");
	h_cleanup(h);
	free(h);
	return ok ? SF_EXIT_OK : SF_EXIT_FAIL;
}
