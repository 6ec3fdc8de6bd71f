/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * simfront: the request path (simfront.h). Fills request slots, publishes
 * them, waits on the event channel and consumes responses, the way Linux
 * blkfront does with Xen's ring macros:
 *
 *   producer   write slots, release barrier, req_prod = new, full barrier,
 *              notify iff req_event lies in (old, new]
 *              (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY)
 *   consumer   read rsp_prod, acquire barrier, read slots up to it, then
 *              rsp_event = rsp_cons + 1, full barrier, look again
 *              (RING_FINAL_CHECK_FOR_RESPONSES) *
 * CD-ROM packet requests (simfront_packet*) are at the end of the file.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "simfront-int.h"

#define sf_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define sf_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define sf_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

#define SF_PAGE XSIM_PAGE_SIZE

void sf_ring_reset(struct simfront *f)
{
	blkif_ring_set(f->ring, BLKIF_RING_REQ_PROD, 0);
	blkif_ring_set(f->ring, BLKIF_RING_RSP_PROD, 0);
	blkif_ring_set(f->ring, BLKIF_RING_REQ_EVENT, 1);
	blkif_ring_set(f->ring, BLKIF_RING_RSP_EVENT, 1);
	f->req_prod_pvt = 0;
	f->req_prod_pub = 0;
	f->rsp_cons = 0;
}

static volatile void *sf_slot(struct simfront *f, uint32_t idx)
{
	return blkif_ring_slot(f->ring, f->info.abi, f->info.ring_size, idx);
}

unsigned simfront_inflight(const struct simfront *f)
{
	return f->info.queue_depth - f->nr_free;
}

uint64_t simfront_req_capacity(const struct simfront *f, uint64_t offset)
{
	uint64_t sectors = (uint64_t)f->info.pages_per_req * BLKIF_SECTORS_PER_PAGE -
			   ((offset >> BLKIF_SECTOR_SHIFT) & 7);

	return sectors << BLKIF_SECTOR_SHIFT;
}

/* ---- tags ------------------------------------------------------------ */

static int sf_tag_get(struct simfront *f, struct sf_tag **tp)
{
	struct sf_tag *t;
	unsigned idx;

	if (!f->nr_free || !f->connected)
		return -EBUSY;
	/* every tag maps to at most one slot, but be safe after raw use */
	if ((uint32_t)(f->req_prod_pvt - f->rsp_cons) >= f->info.ring_size)
		return -EBUSY;
	idx = f->free_tags[--f->nr_free];
	t = &f->tags[idx];
	t->in_use = 1;
	t->id = (uint64_t)(++f->gen) << 32 | idx;
	t->buf = NULL;
	t->len = 0;
	t->first_sect = 0;
	t->nr_grants = 0;
	t->nr_ind = 0;
	*tp = t;
	return (int)idx;
}

void sf_tag_release(struct simfront *f, struct sf_tag *t)
{
	unsigned i;

	for (i = 0; i < t->nr_grants; i++)
		if (xsim_guest_revoke(f->g, t->grefs[i]) < 0)
			f->st.grant_fail++;
	for (i = 0; i < t->nr_ind; i++)
		if (xsim_guest_revoke(f->g, t->ind_grefs[i]) < 0)
			f->st.grant_fail++;
	t->nr_grants = 0;
	t->nr_ind = 0;
	t->in_use = 0;
	t->buf = NULL;
	f->free_tags[f->nr_free++] = (unsigned)(t - f->tags);
}

/* Copy between a caller's buffer and the tag's pages, honouring the
 * first segment's first_sect. */
static void sf_copy(struct sf_tag *t, void *buf, uint64_t len, int to_pages)
{
	uint64_t pos = (uint64_t)t->first_sect << BLKIF_SECTOR_SHIFT, done = 0;
	uint8_t *b = buf;

	while (done < len) {
		size_t off = pos & (SF_PAGE - 1);
		size_t n = SF_PAGE - off;
		uint8_t *pg = (uint8_t *)t->pages[pos / SF_PAGE] + off;

		if (n > len - done)
			n = len - done;
		if (to_pages)
			memcpy(pg, b + done, n);
		else
			memcpy(b + done, pg, n);
		pos += n;
		done += n;
	}
}

static int sf_grant(struct simfront *f, uint32_t frame, int readonly,
		    uint32_t *gref)
{
	int rc = xsim_guest_grant(f->g, frame, SIMFRONT_BACKEND_DOMID, readonly,
				  gref);

	if (rc < 0)
		f->st.grant_fail++;
	return rc;
}

/* Grant nsegs data pages and describe them in br (direct or indirect). */
static int sf_build_data(struct simfront *f, struct sf_tag *t,
			 struct blkif_req *br, uint8_t op, unsigned nsegs,
			 int indirect)
{
	uint64_t end = ((uint64_t)t->first_sect << BLKIF_SECTOR_SHIFT) + t->len;
	uint8_t last_sect = (uint8_t)(((end - 1) >> BLKIF_SECTOR_SHIFT) & 7);
	int readonly = op != BLKIF_OP_READ; /* the backend only reads them */
	int keep = f->info.persistent;	/* granted for good (sf_alloc_tags) */
	struct blkif_seg seg;
	unsigned i, nind;
	int rc;

	for (i = 0; !keep && i < nsegs; i++) {
		rc = sf_grant(f, t->frames[i], readonly, &t->grefs[i]);
		if (rc < 0)
			return rc;
		t->nr_grants++;
	}
	br->op = op;
	br->nr_segs = (uint16_t)nsegs;
	if (!indirect) {
		br->ring_op = op;
		for (i = 0; i < nsegs; i++) {
			br->seg[i].gref = t->grefs[i];
			br->seg[i].first_sect = i ? 0 : t->first_sect;
			br->seg[i].last_sect = i + 1 < nsegs ? 7 : last_sect;
		}
		return 0;
	}
	br->ring_op = BLKIF_OP_INDIRECT;
	for (i = 0; i < nsegs; i++) {
		seg.gref = t->grefs[i];
		seg.first_sect = i ? 0 : t->first_sect;
		seg.last_sect = i + 1 < nsegs ? 7 : last_sect;
		blkif_indirect_seg_encode(t->ind_pages[i / BLKIF_SEGS_PER_INDIRECT_PAGE],
					  i % BLKIF_SEGS_PER_INDIRECT_PAGE, &seg);
	}
	nind = blkif_indirect_pages(nsegs);
	for (i = 0; i < nind; i++) {
		if (!keep) {
			rc = sf_grant(f, t->ind_frames[i], 1, &t->ind_grefs[i]);
			if (rc < 0)
				return rc;
			t->nr_ind++;
		}
		br->indirect_grefs[i] = t->ind_grefs[i];
	}
	return 0;
}

static void sf_put_slot(struct simfront *f, const struct blkif_req *br)
{
	/* our own slot until req_prod moves past it */
	blkif_req_encode(f->info.abi, br, (void *)sf_slot(f, f->req_prod_pvt));
	f->req_prod_pvt++;
	f->st.submitted++;
}

int simfront_submit(struct simfront *f, const struct simfront_req *r)
{
	struct blkif_req br;
	struct sf_tag *t;
	unsigned nsegs = 0, fs = 0;
	int data = 0, indirect = 0, tag, rc;

	if ((r->offset | r->len) & ((1u << BLKIF_SECTOR_SHIFT) - 1))
		return -EINVAL;
	switch (r->op) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		if (!r->len)
			return -EINVAL;
		data = 1;
		break;
	case BLKIF_OP_WRITE_BARRIER:
		data = r->len != 0;
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		if (r->len)
			return -EINVAL;
		break;
	case BLKIF_OP_DISCARD:
		break;
	default:
		return -EINVAL;
	}
	if (data) {
		fs = (unsigned)(r->offset >> BLKIF_SECTOR_SHIFT) & 7;
		if (r->len > simfront_req_capacity(f, r->offset))
			return -E2BIG;
		nsegs = (unsigned)((((uint64_t)fs << BLKIF_SECTOR_SHIFT) + r->len +
				    SF_PAGE - 1) / SF_PAGE);
		indirect = nsegs > BLKIF_MAX_SEGS || (r->flags & SIMFRONT_REQ_INDIRECT);
		if (indirect && (!f->info.indirect_segs ||
				 nsegs > f->info.indirect_segs ||
				 r->op == BLKIF_OP_WRITE_BARRIER))
			return -E2BIG;
	}
	tag = sf_tag_get(f, &t);
	if (tag < 0)
		return tag;
	memset(&br, 0, sizeof(br));
	br.id = t->id;
	br.handle = (uint16_t)f->info.devid;
	br.sector = r->offset >> BLKIF_SECTOR_SHIFT;
	t->cookie = r->cookie;
	t->len = r->len;
	t->first_sect = (uint8_t)fs;
	if (data) {
		if (r->op == BLKIF_OP_READ)
			t->buf = r->buf;
		else if (r->buf)
			sf_copy(t, r->buf, r->len, 1);
		rc = sf_build_data(f, t, &br, r->op, nsegs, indirect);
		if (rc < 0) {
			sf_tag_release(f, t);
			return rc == -1 || rc == -2 ? -ENOSPC : rc;
		}
	} else {
		br.ring_op = br.op = r->op;
		if (r->op == BLKIF_OP_DISCARD) {
			br.nr_sectors = r->len >> BLKIF_SECTOR_SHIFT;
			br.discard_flag = (r->flags & SIMFRONT_REQ_SECURE) ?
						  BLKIF_DISCARD_SECURE : 0;
		}
	}
	t->ring_op = br.ring_op;
	t->op = br.op;
	sf_put_slot(f, &br);
	return tag;
}

int simfront_raw_submit(struct simfront *f, struct blkif_req *r,
			uint64_t cookie, volatile void **slot)
{
	struct sf_tag *t;
	int tag = sf_tag_get(f, &t);

	if (tag < 0)
		return tag;
	r->id = t->id;
	t->cookie = cookie;
	t->ring_op = r->ring_op;
	t->op = r->op;
	if (slot)
		*slot = sf_slot(f, f->req_prod_pvt);
	sf_put_slot(f, r);
	return tag;
}

int simfront_notify(struct simfront *f)
{
	int rc = xsim_guest_evtchn_notify(f->g, f->info.evtchn);

	if (rc == 0)
		f->st.notifies++;
	return rc;
}

int simfront_push(struct simfront *f)
{
	uint32_t old = f->req_prod_pub, new = f->req_prod_pvt;
	int rc;

	if (old == new)
		return 0;
	sf_wmb();	/* slots before the index that publishes them */
	blkif_ring_set(f->ring, BLKIF_RING_REQ_PROD, new);
	f->req_prod_pub = new;
	sf_mb();	/* index before reading the backend's req_event */
	if (!blkif_need_notify(old, new,
			       blkif_ring_get(f->ring, BLKIF_RING_REQ_EVENT)))
		return 0;
	rc = simfront_notify(f);
	return rc < 0 ? rc : 1;
}

uint32_t simfront_ring_get(struct simfront *f, unsigned off)
{
	return blkif_ring_get(f->ring, off);
}

void simfront_ring_set(struct simfront *f, unsigned off, uint32_t v)
{
	sf_mb();
	blkif_ring_set(f->ring, off, v);
	if (off == BLKIF_RING_REQ_PROD)
		f->req_prod_pub = v;
	sf_mb();
}

/* ---- completions ------------------------------------------------------- */

/* 1 if (id) named a request in flight and *c was filled, 0 if not. */
static int sf_complete(struct simfront *f, uint64_t id, uint8_t op,
		       int16_t status, struct simfront_cpl *c)
{
	uint32_t idx = (uint32_t)id;
	struct sf_tag *t;

	if (idx >= f->info.queue_depth || !f->tags[idx].in_use ||
	    f->tags[idx].id != id) {
		f->st.bad_rsp++;
		return 0;
	}
	t = &f->tags[idx];
	/* An INDIRECT request's response carries its indirect_op (Linux
	 * blkfront disables the device otherwise); others echo the ring op. */
	if (t->ring_op == BLKIF_OP_INDIRECT ? op != t->op : op != t->ring_op)
		f->st.op_mismatch++;
	if (t->buf && status == BLKIF_RSP_OKAY)
		sf_copy(t, t->buf, t->len, 0);
	c->cookie = t->cookie;
	c->tag = idx;
	c->op = op;
	c->status = status;
	sf_tag_release(f, t);
	f->st.completed++;
	return 1;
}

static int sf_consume(struct simfront *f, struct simfront_cpl *out, unsigned max)
{
	uint32_t rp;
	unsigned n = 0;
	uint64_t id;
	uint8_t op;
	int16_t status;

	for (;;) {
		rp = blkif_ring_get(f->ring, BLKIF_RING_RSP_PROD);
		sf_rmb();	/* index before the slots it covers */
		if ((uint32_t)(rp - f->rsp_cons) >
		    (uint32_t)(f->req_prod_pvt - f->rsp_cons)) {
			/* responses to slots we never filled: a backend bug */
			f->st.bad_rsp++;
			sf_set_error("backend rsp_prod %u is past req_prod %u", rp,
				     f->req_prod_pvt);
			return n ? (int)n : -EPROTO;
		}
		while (f->rsp_cons != rp && n < max) {
			blkif_rsp_decode(f->info.abi, sf_slot(f, f->rsp_cons), &id,
					 &op, &status);
			f->rsp_cons++;
			n += (unsigned)sf_complete(f, id, op, status, &out[n]);
		}
		if (f->rsp_cons != rp)
			return (int)n;	/* out is full; more are waiting */
		blkif_ring_set(f->ring, BLKIF_RING_RSP_EVENT, f->rsp_cons + 1);
		sf_mb();	/* rsp_event before the final look */
		if (blkif_ring_get(f->ring, BLKIF_RING_RSP_PROD) == f->rsp_cons)
			return (int)n;
	}
}

static int64_t sf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int simfront_wait_event(struct simfront *f, int timeout_ms)
{
	struct pollfd p = { .fd = f->evfd, .events = POLLIN };
	int64_t deadline = sf_now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	int rc;

	for (;;) {
		int64_t left = deadline - sf_now_ms();

		rc = poll(&p, 1, timeout_ms < 0 ? -1 : (int)(left > 0 ? left : 0));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return 0;
		xsim_guest_evtchn_ack(f->g, f->info.evtchn);
		f->st.wakeups++;
		return 1;
	}
}

int simfront_reap(struct simfront *f, struct simfront_cpl *out, unsigned max,
		  int timeout_ms)
{
	int64_t deadline;
	int n, rc;

	if (f->req_prod_pvt != f->req_prod_pub) {
		rc = simfront_push(f);
		if (rc < 0)
			return rc;
	}
	n = sf_consume(f, out, max);
	if (n != 0 || timeout_ms == 0 || !simfront_inflight(f) || !max)
		return n;
	if (timeout_ms < 0)
		timeout_ms = f->timeout_ms;
	deadline = sf_now_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - sf_now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		rc = simfront_wait_event(f, (int)left);
		if (rc < 0)
			return rc;
		n = sf_consume(f, out, max);
		if (n != 0)
			return n;
		if (rc == 0)
			return -ETIMEDOUT;
	}
}

/* ---- synchronous helpers ------------------------------------------------ */

/* ERROR beats EOPNOTSUPP beats OKAY; anything unknown counts as ERROR. */
static int sf_worse(int a, int b)
{
	int ra, rb;

	ra = a == BLKIF_RSP_OKAY ? 0 : a == BLKIF_RSP_EOPNOTSUPP ? 1 : 2;
	rb = b == BLKIF_RSP_OKAY ? 0 : b == BLKIF_RSP_EOPNOTSUPP ? 1 : 2;
	if (ra == 2 && a != BLKIF_RSP_ERROR)
		a = BLKIF_RSP_ERROR;
	if (rb == 2 && b != BLKIF_RSP_ERROR)
		b = BLKIF_RSP_ERROR;
	return ra >= rb ? a : b;
}

#define SF_REAP_BATCH 64

/* Split [offset, offset + len) into requests, keep queue_depth in flight. */
static int sf_sync(struct simfront *f, uint8_t op, uint8_t flags,
		   uint64_t offset, uint8_t *buf, uint64_t len, int split)
{
	struct simfront_cpl cpl[SF_REAP_BATCH];
	struct simfront_req r;
	uint64_t pos = 0, chunk;
	int worst = BLKIF_RSP_OKAY, err = 0, rc, i, first = 1;

	if (simfront_inflight(f))
		return -EBUSY;
	for (;;) {
		while (!err && (pos < len || first) && f->nr_free) {
			chunk = len - pos;
			if (split && chunk > simfront_req_capacity(f, offset + pos))
				chunk = simfront_req_capacity(f, offset + pos);
			memset(&r, 0, sizeof(r));
			r.op = op;
			r.flags = flags;
			r.offset = offset + pos;
			r.len = chunk;
			r.buf = buf ? buf + pos : NULL;
			rc = simfront_submit(f, &r);
			if (rc < 0) {
				err = rc;
				break;
			}
			pos += chunk;
			first = 0;
		}
		if (!simfront_inflight(f))
			break;
		rc = simfront_reap(f, cpl, SF_REAP_BATCH, -1);
		if (rc < 0)
			return sf_local_err(rc);
		for (i = 0; i < rc; i++)
			worst = sf_worse(worst, cpl[i].status);
	}
	return err ? sf_local_err(err) : worst;
}

int simfront_read(struct simfront *f, uint64_t offset, void *buf, uint64_t len)
{
	if (!len)
		return BLKIF_RSP_OKAY;
	return sf_sync(f, BLKIF_OP_READ, 0, offset, buf, len, 1);
}

int simfront_write(struct simfront *f, uint64_t offset, const void *buf,
		   uint64_t len)
{
	if (!len)
		return BLKIF_RSP_OKAY;
	/* the buffer is only read (copied into granted pages) */
	return sf_sync(f, BLKIF_OP_WRITE, 0, offset, (uint8_t *)(uintptr_t)buf,
		       len, 1);
}

int simfront_flush(struct simfront *f)
{
	return sf_sync(f, BLKIF_OP_FLUSH_DISKCACHE, 0, 0, NULL, 0, 0);
}

int simfront_barrier(struct simfront *f, uint64_t offset, const void *buf,
		     uint64_t len)
{
	return sf_sync(f, BLKIF_OP_WRITE_BARRIER, 0, len ? offset : 0,
		       (uint8_t *)(uintptr_t)buf, len, 0);
}

int simfront_discard(struct simfront *f, uint64_t offset, uint64_t len,
		     int secure)
{
	return sf_sync(f, BLKIF_OP_DISCARD, secure ? SIMFRONT_REQ_SECURE : 0,
		       offset, NULL, len, 0);
}

/* ---- CD-ROM packets ----------------------------------------------------- */

/*
 * A packet request (BLKIF_OP_PACKET, SUSE ABI: PROTOCOLS.md section 5)
 * names one guest page, granted writable, with one segment covering
 * sectors 0..7; the backend answers inside the page and then on the ring.
 * The page is the connection's own (not a tag's data page), allocated at
 * the first packet and kept until simfront_close; its grant lives for one
 * request only. Packets are synchronous: one at a time, nothing else in
 * flight.
 */

/* The packet page, allocated on first use. */
static int sf_pkt_page(struct simfront *f)
{
	int rc;

	if (f->pkt_page)
		return 0;
	rc = xsim_guest_page_alloc(f->g, &f->pkt_frame);
	if (rc < 0) {
		sf_set_error("no guest page left for packets: %s", strerror(-rc));
		return rc;
	}
	f->pkt_page = xsim_guest_page(f->g, f->pkt_frame);
	return 0;
}

void sf_packet_free(struct simfront *f)
{
	if (f->pkt_page && f->g)
		xsim_guest_page_free(f->g, f->pkt_frame);
	f->pkt_page = NULL;
}

int simfront_packet_page(struct simfront *f, uint8_t *page)
{
	struct simfront_cpl cpl;
	struct blkif_req r;
	uint32_t gref;
	int tag, n, rc;

	if (simfront_inflight(f))
		return -EBUSY;
	rc = sf_pkt_page(f);
	if (rc < 0)
		return sf_local_err(rc);
	memcpy(f->pkt_page, page, BLKIF_PKT_PAGE_SIZE);
	rc = xsim_guest_grant(f->g, f->pkt_frame, SIMFRONT_BACKEND_DOMID, 0,
			      &gref);
	if (rc < 0) {
		f->st.grant_fail++;
		sf_set_error("granting the packet page: %s", strerror(-rc));
		return -ENOSPC;
	}
	memset(&r, 0, sizeof(r));
	r.ring_op = r.op = BLKIF_OP_PACKET;
	r.handle = (uint16_t)f->info.devid;
	r.sector = 0;
	r.nr_segs = 1;
	r.seg[0].gref = gref;
	r.seg[0].first_sect = 0;
	r.seg[0].last_sect = BLKIF_SECTORS_PER_PAGE - 1;
	tag = simfront_raw_submit(f, &r, 0, NULL);
	if (tag < 0) {
		xsim_guest_revoke(f->g, gref);
		sf_set_error("queueing the packet: %s", strerror(-tag));
		return sf_local_err(tag);
	}
	n = simfront_reap(f, &cpl, 1, -1);
	/* answered (or given up on): the backend may not write any more */
	if (xsim_guest_revoke(f->g, gref) < 0)
		f->st.grant_fail++;
	memcpy(page, f->pkt_page, BLKIF_PKT_PAGE_SIZE);
	if (n <= 0) {
		rc = n < 0 ? n : -ETIMEDOUT;
		sf_set_error("no answer to the packet: %s", strerror(-rc));
		return sf_local_err(rc);
	}
	return cpl.status;
}

int simfront_packet(struct simfront *f, const struct blkif_pkt *r,
		    const char *open_path, uint8_t *page,
		    struct blkif_pkt_reply *rep)
{
	int st;

	blkif_pkt_encode_request(page, r,
				 r->type == BLKIF_PKT_OPEN ? open_path : NULL);
	st = simfront_packet_page(f, page);
	memset(rep, 0, sizeof(*rep));
	if (st == BLKIF_RSP_OKAY)
		blkif_pkt_decode_reply(page, r->type, rep);
	return st;
}

int simfront_packet_cmd(struct simfront *f, const uint8_t *cdb, size_t cdb_len,
			uint32_t buflen, uint8_t *page,
			struct blkif_pkt_reply *rep)
{
	struct blkif_pkt r;

	if (cdb_len > BLKIF_PKT_CDB_LEN || (cdb_len && !cdb))
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.type = BLKIF_PKT_PACKET;
	if (cdb_len)
		memcpy(r.cdb, cdb, cdb_len);
	r.buflen = buflen > BLKIF_PKT_DATA_MAX ? BLKIF_PKT_DATA_MAX : buflen;
	r.data_direction = r.buflen ? BLKIF_PKT_DIR_READ : BLKIF_PKT_DIR_NONE;
	r.timeout = 30000;	/* what Linux's cdrom layer puts in (ms) */
	return simfront_packet(f, &r, NULL, page, rep);
}
