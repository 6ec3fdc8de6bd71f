/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-ring: the request path of one blkif ring.
 *
 * Life of a request:
 *   consume   copy the slot out of shared memory (blkif_req_decode), validate
 *             the private copy (blkif_req_check); indirect segment pages are
 *             grant-copied into a private page and checked the same way.
 *             A bad request is answered at once and costs nothing else.
 *   wait      FIFO of accepted requests; a request leaves it when bounce
 *             pages are free and ordering allows (a FLUSH or BARRIER waits
 *             until nothing is in flight, and nothing passes it).
 *   start     bounce pages taken; writes grant-copy guest data in; the I/O
 *             goes to the image driver (queued, submitted once per sweep).
 *             Zero copy instead (ring mode map / persistent): the request's
 *             grants are mapped (per request, or from the persistent-grant
 *             cache) and the iovecs point into the guest's pages. If the
 *             mapping fails the request takes the bounce path, whose grant
 *             copy reports the guest's error; if the I/O fails on the
 *             mapped pages with EINVAL / EFAULT (O_DIRECT alignment, pages
 *             the kernel cannot pin, e.g. gntdev on a PV dom0) it is
 *             restarted once through bounce pages, and a ring whose mapped
 *             I/O keeps failing that way (while the bounce retries work)
 *             stops trying. Mode map bounds the pages mapped per request
 *             in flight, per ring and per process (gntdev's budget is
 *             shared by every ring): past the bound a request copies.
 *   done      reads grant-copy data out (bounce path); the mapping is
 *             released; the response is written to the slot; responses are
 *             pushed and the guest notified once per sweep, and only if it
 *             asked (rsp_event).
 *
 * Ownership: everything in struct td_ring is private to the backend except
 * `sring`, the shared page(s), of which we only write req_event, rsp_prod
 * and response slots, and only read req_prod, rsp_event and request slots.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "td-log.h"
#include "td-packet.h"
#include "td-pgnt.h"
#include "td-ring.h"
#include "td-stats.h"
#include "td-vbd.h"

#define TD_POOL_MAX_PAGES 8192u
#define TD_DRAIN_TIMEOUT_MS 1000
/* Mapped I/O that failed this often, never having worked: stop mapping. */
#define TD_ZC_GIVE_UP 8
/* Mode map: pages mapped by requests in flight, per ring and per process
 * (below xenio-xen's gntdev budget of 16384, leaving room for rings). */
#define TD_MAP_RING_MAX 2048u
#define TD_MAP_PROC_MAX 8192u

static unsigned td_map_pages;	/* mode map: mapped by every ring */

/* How one request reaches its data (td_req.dmode). */
enum td_dmode {
	TD_DM_BOUNCE,		/* pool pages + grant copy */
	TD_DM_MAP,		/* map_addr: all segments mapped at once */
	TD_DM_PGNT,		/* pages[i]: persistent-grant cache handles */
};

struct td_req {
	struct td_ring *ring;
	struct blkif_req br;		/* private copy of the slot */
	struct blkif_seg *segs;		/* br.seg or ind_segs */
	struct blkif_seg *ind_segs;	/* per request, max_segs entries */
	uint32_t *pages;		/* bounce page (or cache handle) per segment */
	struct iovec *iov;
	uint16_t nsegs;			/* data segments */
	uint8_t ordered;		/* FLUSH / BARRIER */
	uint8_t flush_stage;		/* ordered with data: 0 write, 1 flush */
	uint8_t has_pages;
	uint8_t packet;			/* BLKIF_OP_PACKET: segs[0] is the page */
	uint8_t dmode;			/* enum td_dmode while started */
	uint8_t no_zc;			/* bounce only (zero copy failed) */
	uint8_t zc_retry;		/* restarted after mapped I/O failed */
	void *map_addr;			/* TD_DM_MAP: nsegs pages */
	uint32_t pkt_page;		/* bounce page for a packet's image read */
	struct td_pkt pkt;
	struct td_io io;
	struct td_req *next;
};

struct td_ring {
	struct td_vbd *vbd;
	struct td_ring_params p;
	unsigned slot;			/* in vbd->rings[] */
	struct blkif_limits lim_ro;	/* p.readonly on a writable VBD */
	unsigned nr_pages;
	unsigned size;			/* slots */
	unsigned max_segs;		/* per request */
	volatile uint8_t *sring;
	struct xenio_evtchn *ev;
	struct td_loop_src ev_src;
	uint32_t req_cons;
	uint32_t rsp_prod_pvt;
	uint32_t rsp_pushed;		/* last rsp_prod we published */
	unsigned halted : 1;
	unsigned closing : 1;
	unsigned rsp_dirty : 1;
	unsigned ordered_inflight : 1;
	unsigned more : 1;		/* consume budget ran out: go on next sweep */
	unsigned zc_off : 1;		/* mapped I/O does not work here */
	unsigned pool_regions : 1;	/* slot i owns pool pages (pool_take) */
	unsigned unarmed : 1;		/* req_event not re-armed (polling) */
	enum td_grant_mode mode;	/* of this ring */
	struct td_pgnt *pgnt;		/* TD_GRANT_PERSISTENT */
	uint32_t *map_refs;		/* scratch: grefs of one request */
	unsigned zc_ok, zc_fail;	/* mapped I/Os that worked / fell back */
	unsigned map_pages;		/* mode map: mapped by requests in flight */
	unsigned inflight;		/* dispatched to the image */
	unsigned busy;			/* consumed, not yet answered */
	struct td_req *reqs;
	struct td_req *free_reqs;
	struct td_req *wait_head, *wait_tail;
	/* bounce page pool */
	uint8_t *pool;
	uint32_t *pool_free;
	unsigned pool_pages, pool_nfree;
	/* scratch: indirect pages and copy descriptors (used synchronously) */
	uint8_t *ind_buf;
	struct xenio_copy_seg *cseg;
	uint64_t counters[TD_STAT__COUNT];
	char prefix[48];
	struct td_defer defer;
};

static inline volatile void *ring_slot(struct td_ring *r, uint32_t idx)
{
	return blkif_ring_slot(r->sring, r->p.abi, r->size, idx);
}

static inline uint8_t *pool_page(struct td_ring *r, uint32_t i)
{
	return r->pool + (size_t)i * XENIO_PAGE_SIZE;
}

/*
 * Bounce pages. With pool_regions, request slot i owns pages
 * [i * max_segs, (i + 1) * max_segs): a request's pages are contiguous (its
 * I/O goes as one iovec per run, see req_queue_io). Otherwise they come
 * from the stack of free pages. pool_nfree counts free pages either way.
 */
static uint32_t pool_take(struct td_ring *r, const struct td_req *q, unsigned k)
{
	r->pool_nfree--;
	return r->pool_regions ? (uint32_t)(q - r->reqs) * r->max_segs + k
			       : r->pool_free[r->pool_nfree];
}

static void pool_give(struct td_ring *r, uint32_t page)
{
	if (!r->pool_regions)
		r->pool_free[r->pool_nfree] = page;
	r->pool_nfree++;
}

/* ---- responses -------------------------------------------------------- */

static void req_free_pages(struct td_req *q)
{
	struct td_ring *r = q->ring;
	unsigned i;

	if (!q->has_pages)
		return;
	q->has_pages = 0;
	switch (q->dmode) {
	case TD_DM_MAP:
		td_ctx.xops->unmap(td_ctx.xh, q->map_addr, q->nsegs);
		q->map_addr = NULL;
		r->map_pages -= q->nsegs;
		td_map_pages -= q->nsegs;
		return;
	case TD_DM_PGNT:
		for (i = 0; i < q->nsegs; i++)
			td_pgnt_put(r->pgnt, q->pages[i]);
		return;
	}
	for (i = 0; i < q->nsegs; i++)
		pool_give(r, q->pages[i]);
	if (q->packet)
		pool_give(r, q->pkt_page);
}

/* Answer a request: the only place that writes response slots. */
static void req_finish(struct td_req *q, int16_t status)
{
	struct td_ring *r = q->ring;

	req_free_pages(q);
	/* An INDIRECT request is answered with its indirect_op, as Linux
	 * blkback does and blkfront insists ("response has wrong operation"). */
	blkif_rsp_encode(r->p.abi, (void *)ring_slot(r, r->rsp_prod_pvt),
			 q->br.id,
			 q->br.ring_op == BLKIF_OP_INDIRECT ? q->br.op : q->br.ring_op,
			 status);
	r->rsp_prod_pvt++;
	r->busy--;
	r->rsp_dirty = 1;
	q->next = r->free_reqs;
	r->free_reqs = q;
}

static void ring_push(struct td_ring *r)
{
	uint32_t old = r->rsp_pushed, now = r->rsp_prod_pvt;

	if (!r->rsp_dirty)
		return;
	r->rsp_dirty = 0;
	/* The guest has answers to react to: worth polling for its next
	 * requests (--poll-us). */
	td_ctx.poll_armed = 1;
	__atomic_thread_fence(__ATOMIC_RELEASE);	/* slots before index */
	blkif_ring_set(r->sring, BLKIF_RING_RSP_PROD, now);
	r->rsp_pushed = now;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* index before event read */
	if (blkif_need_notify(old, now,
			      blkif_ring_get(r->sring, BLKIF_RING_RSP_EVENT))) {
		td_ctx.xops->evtchn_notify(r->ev);
		r->counters[TD_STAT_NOTIFY_SENT]++;
	}
}

/* ---- data movement ---------------------------------------------------- */

/*
 * Grant-copy the data segments of q between the guest and the bounce
 * pages. Returns 0 or -EFAULT if any segment failed.
 */
static int req_copy(struct td_req *q, int to_guest)
{
	struct td_ring *r = q->ring;
	unsigned i, n;
	int err;

	for (i = 0; i < q->nsegs; i++) {
		const struct blkif_seg *s = &q->segs[i];

		r->cseg[i] = (struct xenio_copy_seg){
			.gref = s->gref,
			.offset = (uint16_t)(s->first_sect << BLKIF_SECTOR_SHIFT),
			.len = (uint16_t)((s->last_sect - s->first_sect + 1)
					  << BLKIF_SECTOR_SHIFT),
			.local = pool_page(r, q->pages[i]) + ((size_t)s->first_sect
							      << BLKIF_SECTOR_SHIFT),
			.to_guest = (uint8_t)to_guest,
		};
	}
	n = q->nsegs;
	err = td_ctx.xops->copy(td_ctx.xh, r->p.domid, r->cseg, n);
	if (err < 0)
		return err;
	for (i = 0; i < n; i++)
		if (r->cseg[i].status)
			return r->cseg[i].status;
	return 0;
}

static int16_t grant_error(struct td_req *q, int err)
{
	struct td_ring *r = q->ring;

	r->counters[TD_STAT_ERR_GRANT]++;
	TD_RL(TD_LOG_WARN, r->prefix, "id %llu: grant copy failed: %s",
	      (unsigned long long)q->br.id, strerror(-err));
	return BLKIF_RSP_ERROR;
}

static void io_done(struct td_io *io, int64_t res);

/* ---- zero copy: the I/O on the guest's own pages ----------------------- */

static int req_zc_able(const struct td_ring *r, const struct td_req *q)
{
	return r->mode != TD_GRANT_COPY && !r->zc_off && !q->no_zc &&
	       !q->packet && q->nsegs > 0;
}

static void req_zc_iov(struct td_req *q, unsigned i, uint8_t *page)
{
	const struct blkif_seg *s = &q->segs[i];

	q->iov[i].iov_base = page + ((size_t)s->first_sect << BLKIF_SECTOR_SHIFT);
	q->iov[i].iov_len = (size_t)(s->last_sect - s->first_sect + 1)
			    << BLKIF_SECTOR_SHIFT;
}

/*
 * Map the data grants of q (per request or from the cache) and point its
 * iovecs into them. A READ writes the guest's pages: it needs writable
 * mappings, which a read-only grant refuses. 0 or a negative errno, and
 * then nothing stays mapped.
 */
static int req_zc_map(struct td_req *q)
{
	struct td_ring *r = q->ring;
	int writable = q->br.op == BLKIF_OP_READ;
	uint8_t *page;
	void *addr;
	unsigned i;
	int err;

	if (r->mode == TD_GRANT_MAP) {
		if (r->map_pages + q->nsegs > TD_MAP_RING_MAX ||
		    td_map_pages + q->nsegs > TD_MAP_PROC_MAX) {
			r->counters[TD_STAT_MAP_CAPPED]++;
			return -ENOSPC;
		}
		for (i = 0; i < q->nsegs; i++)
			r->map_refs[i] = q->segs[i].gref;
		err = td_ctx.xops->map(td_ctx.xh, r->p.domid, q->nsegs,
				       r->map_refs, writable, &addr);
		if (err)
			return err;
		r->map_pages += q->nsegs;
		td_map_pages += q->nsegs;
		q->map_addr = addr;
		for (i = 0; i < q->nsegs; i++)
			req_zc_iov(q, i, (uint8_t *)addr + (size_t)i * XENIO_PAGE_SIZE);
		q->dmode = TD_DM_MAP;
	} else {
		for (i = 0; i < q->nsegs; i++) {
			err = td_pgnt_get(r->pgnt, q->segs[i].gref, writable,
					  &page, &q->pages[i]);
			if (err) {
				while (i--)
					td_pgnt_put(r->pgnt, q->pages[i]);
				return err;
			}
			req_zc_iov(q, i, page);
		}
		q->dmode = TD_DM_PGNT;
	}
	q->has_pages = 1;
	return 0;
}

/*
 * The I/O of a zero-copy request failed with err: if the mapping may be
 * the cause (EINVAL: O_DIRECT alignment; EFAULT: pages the kernel cannot
 * use for I/O), release it and put q back at the head of the queue to run
 * again through bounce pages. q was counted in flight. Returns 1 if
 * restarted, 0 if err stands.
 */
static int req_zc_retry(struct td_req *q, int err)
{
	struct td_ring *r = q->ring;

	if (q->dmode == TD_DM_BOUNCE || (err != -EINVAL && err != -EFAULT))
		return 0;
	req_free_pages(q);
	q->dmode = TD_DM_BOUNCE;
	q->no_zc = 1;
	q->zc_retry = (uint8_t)-err;
	r->inflight--;
	if (q->ordered)
		r->ordered_inflight = 0;
	TD_RL(TD_LOG_DEBUG, r->prefix, "id %llu: I/O on mapped pages: %s; bounce",
	      (unsigned long long)q->br.id, strerror(-err));
	q->next = r->wait_head;
	r->wait_head = q;
	if (!r->wait_tail)
		r->wait_tail = q;
	return 1;
}

/*
 * q, restarted through bounce pages after its I/O on mapped pages failed,
 * worked that way: the mapping was to blame. A ring where that keeps
 * happening, and mapped I/O never worked, stops mapping. (An I/O that
 * fails through bounce pages too, e.g. a misaligned O_DIRECT request,
 * says nothing about mappings and does not count.)
 */
static void req_zc_blame(struct td_req *q)
{
	struct td_ring *r = q->ring;

	if (!q->zc_retry)
		return;
	if (++r->zc_fail >= TD_ZC_GIVE_UP && !r->zc_ok && !r->zc_off) {
		r->zc_off = 1;
		td_log(TD_LOG_WARN, r->prefix,
		       "I/O on mapped guest pages fails (%s): grant copy from now on",
		       strerror(q->zc_retry));
	}
}

/* Copy the answered packet page back to the guest and answer OKAY. */
static void pkt_reply(struct td_req *q)
{
	int err = req_copy(q, 1);

	req_finish(q, err < 0 ? grant_error(q, err) : BLKIF_RSP_OKAY);
}

/* The guest's page is in iov[0]: run the command, read if it asks to. */
static void pkt_start(struct td_req *q)
{
	struct td_ring *r = q->ring;
	struct td_io *io = &q->io;
	int rc, err;

	rc = td_pkt_start(r->vbd, &q->pkt, q->iov[0].iov_base);
	if (rc < 0) {
		r->counters[TD_STAT_ERR_GUEST]++;
		req_finish(q, BLKIF_RSP_ERROR);	/* the guest's page is untouched */
		return;
	}
	if (rc == TD_PKT_DONE) {
		pkt_reply(q);
		return;
	}
	q->iov[1].iov_base = pool_page(r, q->pkt_page);
	q->iov[1].iov_len = q->pkt.cmd.plan.length;
	memset(io, 0, sizeof(*io));
	io->op = TD_IO_READ;
	io->offset = q->pkt.cmd.plan.offset;
	io->len = q->pkt.cmd.plan.length;
	io->iov = &q->iov[1];
	io->iovcnt = 1;
	io->done = io_done;
	io->owner = q;
	r->inflight++;
	err = td_image_queue(r->vbd->img, io);
	if (err < 0) {
		r->inflight--;
		td_pkt_read_done(r->vbd, &q->pkt, q->iov[0].iov_base, NULL, err);
		pkt_reply(q);
	}
}

static int req_queue_io(struct td_req *q, enum td_io_op op)
{
	struct td_io *io = &q->io;

	memset(io, 0, sizeof(*io));
	io->op = op;
	io->done = io_done;
	io->owner = q;
	if (op == TD_IO_DISCARD || op == TD_IO_DISCARD_SECURE) {
		io->offset = q->br.sector << BLKIF_SECTOR_SHIFT;
		io->len = q->br.nr_sectors << BLKIF_SECTOR_SHIFT;
	} else if (op != TD_IO_FLUSH) {
		unsigned i, n = 0;

		io->offset = q->br.sector << BLKIF_SECTOR_SHIFT;
		/* segments that continue each other in memory (bounce
		 * regions, whole pages) go as one iovec: fewer pages to pin
		 * one by one for O_DIRECT, fewer steps for the kernel */
		for (i = 0; i < q->nsegs; i++) {
			io->len += q->iov[i].iov_len;
			if (n && (uint8_t *)q->iov[n - 1].iov_base +
				 q->iov[n - 1].iov_len == q->iov[i].iov_base)
				q->iov[n - 1].iov_len += q->iov[i].iov_len;
			else
				q->iov[n++] = q->iov[i];
		}
		io->iov = q->iov;
		io->iovcnt = n;
		io->mapped = q->dmode != TD_DM_BOUNCE;
	}
	return td_image_queue(q->ring->vbd->img, io);
}

static void io_done(struct td_io *io, int64_t res)
{
	struct td_req *q = io->owner;
	struct td_ring *r = q->ring;
	int16_t status = BLKIF_RSP_OKAY;
	int err;

	if (q->packet) {
		/* the drive turns an I/O error into MEDIUM ERROR sense */
		if (res < 0)
			r->counters[TD_STAT_ERR_IO]++;
		else
			r->counters[TD_STAT_SECT_READ] += io->len >> BLKIF_SECTOR_SHIFT;
		r->inflight--;
		td_pkt_read_done(r->vbd, &q->pkt, q->iov[0].iov_base,
				 pool_page(r, q->pkt_page), res < 0 ? (int)res : 0);
		pkt_reply(q);
		return;
	}
	if (res < 0 && (io->op == TD_IO_READ || io->op == TD_IO_WRITE) &&
	    req_zc_retry(q, (int)res))
		return;	/* restarted through bounce pages */
	if (res < 0) {
		r->counters[TD_STAT_ERR_IO]++;
		TD_RL(TD_LOG_WARN, r->prefix, "id %llu op %u: I/O error: %s",
		      (unsigned long long)q->br.id, q->br.op,
		      strerror((int)-res));
		status = BLKIF_RSP_ERROR;
		goto out;
	}
	switch (io->op) {
	case TD_IO_READ:
		if (q->dmode != TD_DM_BOUNCE) {
			r->zc_ok++;
			r->counters[TD_STAT_ZERO_COPY]++;
		}
		req_zc_blame(q);
		err = q->dmode == TD_DM_BOUNCE ? req_copy(q, 1) : 0;
		if (err < 0)
			status = grant_error(q, err);
		else
			r->counters[TD_STAT_SECT_READ] += io->len >> BLKIF_SECTOR_SHIFT;
		break;
	case TD_IO_WRITE:
		if (q->dmode != TD_DM_BOUNCE) {
			r->zc_ok++;
			r->counters[TD_STAT_ZERO_COPY]++;
		}
		req_zc_blame(q);
		r->counters[TD_STAT_SECT_WRITE] += io->len >> BLKIF_SECTOR_SHIFT;
		if (q->ordered) {
			/* data of a FLUSH/BARRIER is written: now make it stable */
			q->flush_stage = 1;
			err = req_queue_io(q, TD_IO_FLUSH);
			if (err == 0)
				return;	/* still in flight */
			status = BLKIF_RSP_ERROR;
			r->counters[TD_STAT_ERR_IO]++;
		}
		break;
	case TD_IO_FLUSH:
		r->counters[TD_STAT_FLUSH_DONE]++;
		break;
	case TD_IO_DISCARD:
	case TD_IO_DISCARD_SECURE:
		r->counters[TD_STAT_DISCARD_DONE]++;
		break;
	}
out:
	r->inflight--;
	if (q->ordered)
		r->ordered_inflight = 0;
	req_finish(q, status);
}

/* Take bounce pages, bring write data in, hand the I/O to the image. */
static void req_start(struct td_req *q)
{
	struct td_ring *r = q->ring;
	enum td_io_op op;
	unsigned i;
	int err;

	if (q->dmode == TD_DM_BOUNCE) {
		for (i = 0; i < q->nsegs; i++) {
			q->pages[i] = pool_take(r, q, i);
			req_zc_iov(q, i, pool_page(r, q->pages[i]));
		}
		q->has_pages = q->nsegs > 0;
	}
	if (q->packet) {
		q->pkt_page = pool_take(r, q, q->nsegs);
		err = req_copy(q, 0);
		if (err < 0)
			req_finish(q, grant_error(q, err));
		else
			pkt_start(q);
		return;
	}

	switch (q->br.op) {
	case BLKIF_OP_READ:
		op = TD_IO_READ;
		break;
	case BLKIF_OP_DISCARD:
		/* blkif_req_check refused the flag where it is not offered */
		op = (q->br.discard_flag & BLKIF_DISCARD_SECURE) ?
		     TD_IO_DISCARD_SECURE : TD_IO_DISCARD;
		break;
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		op = q->nsegs ? TD_IO_WRITE : TD_IO_FLUSH;
		q->flush_stage = q->nsegs ? 0 : 1;
		break;
	default:
		op = TD_IO_WRITE;
		break;
	}
	if (op == TD_IO_WRITE && q->dmode == TD_DM_BOUNCE) {
		err = req_copy(q, 0);
		if (err < 0) {
			req_finish(q, grant_error(q, err));
			return;
		}
	}
	r->inflight++;
	if (q->ordered)
		r->ordered_inflight = 1;
	err = req_queue_io(q, op);
	if (err < 0 && req_zc_retry(q, err))
		return;
	if (err < 0) {
		/* done() is not called when queue() fails */
		r->inflight--;
		if (q->ordered)
			r->ordered_inflight = 0;
		r->counters[TD_STAT_ERR_IO]++;
		TD_RL(TD_LOG_WARN, r->prefix, "id %llu: cannot queue I/O: %s",
		      (unsigned long long)q->br.id, strerror(-err));
		req_finish(q, BLKIF_RSP_ERROR);
	}
}

/* Start waiting requests in order, as far as pages and ordering allow. */
static void ring_dispatch(struct td_ring *r)
{
	struct td_req *q;

	while ((q = r->wait_head)) {
		if (r->ordered_inflight)
			break;
		if (q->ordered && r->inflight)
			break;
		if (q->dmode == TD_DM_BOUNCE && req_zc_able(r, q)) {
			int err = req_zc_map(q);

			if (err) {
				/* the bounce path's grant copy answers it */
				q->no_zc = 1;
				TD_RL(TD_LOG_DEBUG, r->prefix,
				      "id %llu: cannot map its grants: %s",
				      (unsigned long long)q->br.id, strerror(-err));
			}
		}
		if (q->dmode == TD_DM_BOUNCE &&
		    q->nsegs + q->packet > r->pool_nfree)
			break;
		r->wait_head = q->next;
		if (!r->wait_head)
			r->wait_tail = NULL;
		q->next = NULL;
		req_start(q);
	}
}

/* ---- consuming requests ----------------------------------------------- */

static void req_reject(struct td_req *q, enum blkif_bad bad)
{
	struct td_ring *r = q->ring;

	r->counters[TD_STAT_ERR_GUEST]++;
	TD_RL(TD_LOG_WARN, r->prefix, "id %llu op %u: refused: %s",
	      (unsigned long long)q->br.id, q->br.ring_op, blkif_bad_name(bad));
	req_finish(q, blkif_bad_status(bad));
}

static void count_op(struct td_ring *r, const struct blkif_req *br)
{
	static const enum td_stat by_op[] = {
		[BLKIF_OP_READ] = TD_STAT_REQ_READ,
		[BLKIF_OP_WRITE] = TD_STAT_REQ_WRITE,
		[BLKIF_OP_WRITE_BARRIER] = TD_STAT_REQ_BARRIER,
		[BLKIF_OP_FLUSH_DISKCACHE] = TD_STAT_REQ_FLUSH,
		[BLKIF_OP_PACKET] = TD_STAT_REQ_PACKET,
		[BLKIF_OP_DISCARD] = TD_STAT_REQ_DISCARD,
		[BLKIF_OP_INDIRECT] = TD_STAT_REQ_INDIRECT,
	};

	if (br->ring_op > BLKIF_OP_INDIRECT) {
		r->counters[TD_STAT_REQ_UNKNOWN]++;
		return;
	}
	r->counters[by_op[br->ring_op]]++;
	if (br->ring_op == BLKIF_OP_INDIRECT &&
	    (br->op == BLKIF_OP_READ || br->op == BLKIF_OP_WRITE))
		r->counters[by_op[br->op]]++;
}

/* What requests on r may ask: the VBD's limits, made read-only for a
 * read-only device on a VBD another device shares read-write. */
static const struct blkif_limits *ring_limits(struct td_ring *r)
{
	const struct blkif_limits *l = &r->vbd->lim;

	if (!r->p.readonly || l->readonly)
		return l;
	r->lim_ro = *l;
	r->lim_ro.readonly = 1;
	r->lim_ro.can_discard = 1;	/* refused as a write (see td-vbd.c) */
	r->lim_ro.can_discard_secure = 0;
	return &r->lim_ro;
}

/*
 * Persistent grants: blkfront keeps its indirect pages granted as it keeps
 * its data pages, so take them from the cache and copy them into the
 * private ind_buf (the guest may change its page meanwhile: everything is
 * decoded and checked from the copy) instead of one grant-copy system call
 * and hypercall per request. 0, or negative: use grant copy.
 */
static int req_fetch_indirect_pgnt(struct td_req *q, unsigned npages)
{
	struct td_ring *r = q->ring;
	uint8_t *page;
	uint32_t h;
	unsigned i;
	int err;

	for (i = 0; i < npages; i++) {
		err = td_pgnt_get(r->pgnt, q->br.indirect_grefs[i], 0, &page, &h);
		if (err)
			return err;
		memcpy(r->ind_buf + (size_t)i * XENIO_PAGE_SIZE, page,
		       XENIO_PAGE_SIZE);
		td_pgnt_put(r->pgnt, h);
	}
	return 0;
}

/* Fetch and check the segments of an indirect request. */
static enum blkif_bad req_fetch_indirect(struct td_req *q, int *grant_err)
{
	struct td_ring *r = q->ring;
	unsigned npages = blkif_indirect_pages(q->br.nr_segs), i;
	uint64_t total;
	int err;

	if (r->pgnt && req_fetch_indirect_pgnt(q, npages) == 0)
		goto decode;
	for (i = 0; i < npages; i++)
		r->cseg[i] = (struct xenio_copy_seg){
			.gref = q->br.indirect_grefs[i],
			.offset = 0,
			.len = XENIO_PAGE_SIZE,
			.local = r->ind_buf + (size_t)i * XENIO_PAGE_SIZE,
			.to_guest = 0,
		};
	err = td_ctx.xops->copy(td_ctx.xh, r->p.domid, r->cseg, npages);
	for (i = 0; err == 0 && i < npages; i++)
		err = r->cseg[i].status;
	if (err < 0) {
		*grant_err = err;
		return BLKIF_BAD__COUNT;
	}
decode:
	for (i = 0; i < q->br.nr_segs; i++)
		blkif_indirect_seg_decode(r->ind_buf + (size_t)(i / BLKIF_SEGS_PER_INDIRECT_PAGE) *
						       XENIO_PAGE_SIZE,
					  i % BLKIF_SEGS_PER_INDIRECT_PAGE,
					  &q->ind_segs[i]);
	return blkif_segs_check(q->ind_segs, q->br.nr_segs, q->br.sector,
				ring_limits(r), &total);
}

static void req_accept(struct td_req *q)
{
	struct td_ring *r = q->ring;
	enum blkif_bad bad;
	int gerr = 0;

	count_op(r, &q->br);
	bad = blkif_req_check(&q->br, ring_limits(r));
	if (bad != BLKIF_OK) {
		req_reject(q, bad);
		return;
	}
	q->ordered = 0;
	q->packet = 0;
	q->dmode = TD_DM_BOUNCE;
	q->no_zc = 0;
	q->zc_retry = 0;
	q->segs = q->br.seg;
	q->nsegs = 0;
	switch (q->br.ring_op) {
	case BLKIF_OP_INDIRECT:
		bad = req_fetch_indirect(q, &gerr);
		if (gerr) {
			req_finish(q, grant_error(q, gerr));
			return;
		}
		if (bad != BLKIF_OK) {
			req_reject(q, bad);
			return;
		}
		q->segs = q->ind_segs;
		q->nsegs = q->br.nr_segs;
		break;
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		q->nsegs = q->br.nr_segs;
		break;
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		q->ordered = 1;
		q->nsegs = q->br.nr_segs;
		break;
	case BLKIF_OP_PACKET:
		/* one whole page (checked): the drive answers inside it */
		q->packet = 1;
		q->nsegs = 1;
		break;
	case BLKIF_OP_DISCARD:
		if (q->br.nr_sectors == 0) {
			req_finish(q, BLKIF_RSP_OKAY);
			return;
		}
		break;
	default:
		/* blkif_req_check lets nothing else through */
		req_reject(q, BLKIF_BAD_OP);
		return;
	}
	q->next = NULL;
	if (r->wait_tail)
		r->wait_tail->next = q;
	else
		r->wait_head = q;
	r->wait_tail = q;
}

static void ring_halt(struct td_ring *r, uint32_t prod)
{
	r->halted = 1;
	td_loop_del(&r->ev_src);
	td_log(TD_LOG_ERR, r->prefix,
	       "impossible req_prod %u (rsp_prod %u, ring size %u): ring halted",
	       prod, r->rsp_prod_pvt, r->size);
}

static void ring_consume(struct td_ring *r)
{
	/* Requests answered at once (refused ones) free their slots at once:
	 * bound the work per call so a guest cannot keep us here. */
	unsigned budget = 2 * r->size;
	uint32_t prod;

	r->more = 0;
	/* An empty CD drive still answers (reads fail, packets work). */
	if (r->halted || r->closing || r->vbd->paused ||
	    (!r->vbd->img && !r->vbd->mmc))
		return;
	for (;;) {
		prod = blkif_ring_get(r->sring, BLKIF_RING_REQ_PROD);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);	/* index before slots */
		if (blkif_prod_overflow(prod, r->rsp_prod_pvt, r->size)) {
			ring_halt(r, prod);
			return;
		}
		while (r->req_cons != prod) {
			struct td_req *q = r->free_reqs;

			if (!budget--) {
				r->more = 1;
				td_loop_kick();
				goto out;
			}

			if (!q) {	/* cannot happen after the check above */
				ring_halt(r, prod);
				return;
			}
			r->free_reqs = q->next;
			blkif_req_decode(r->p.abi, ring_slot(r, r->req_cons), &q->br);
			r->req_cons++;
			r->busy++;
			req_accept(q);
		}
		if (td_ctx.poll_us) {
			/* Busy polling (tapdisk --poll-us): the guest need not
			 * notify while we look; td_ring_arm() asks for a
			 * notification before the loop sleeps. */
			r->unarmed = 1;
			break;
		}
		/* Ask for a notification, then look once more (no lost wake-up). */
		blkif_ring_set(r->sring, BLKIF_RING_REQ_EVENT, r->req_cons + 1);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (blkif_ring_get(r->sring, BLKIF_RING_REQ_PROD) == r->req_cons)
			break;
	}
out:
	ring_dispatch(r);
}

static void ring_event(struct td_loop_src *src, uint32_t events)
{
	struct td_ring *r = src->arg;

	if (td_ctx.xops->evtchn_ack(r->ev) > 0)
		r->counters[TD_STAT_EVENTS]++;
	ring_consume(r);
}

void td_ring_sweep(struct td_ring *r)
{
	if (r->more)
		ring_consume(r);
	ring_dispatch(r);
	ring_push(r);
}

/* ---- set-up and tear-down --------------------------------------------- */

static void ring_release(void *arg)
{
	free(arg);
}

static void ring_free(struct td_ring *r)
{
	size_t pool_bytes = (size_t)r->pool_pages * XENIO_PAGE_SIZE;

	td_loop_del(&r->ev_src);
	if (r->pgnt) {
		struct td_pgnt_stats st;

		td_pgnt_get_stats(r->pgnt, &st);
		td_log(TD_LOG_INFO, r->prefix,
		       "persistent grants: %llu hits, %llu misses, %llu evictions, "
		       "%llu map failures, %llu full, %u mapped",
		       (unsigned long long)st.hits, (unsigned long long)st.misses,
		       (unsigned long long)st.evictions,
		       (unsigned long long)st.map_failures,
		       (unsigned long long)st.full, st.entries);
		td_pgnt_destroy(r->pgnt);
	}
	free(r->map_refs);
	if (r->ev)
		td_ctx.xops->evtchn_unbind(r->ev);
	if (r->sring)
		td_ctx.xops->unmap(td_ctx.xh, (void *)r->sring, r->nr_pages);
	if (r->pool)
		munmap(r->pool, pool_bytes);
	if (r->reqs) {
		free(r->reqs[0].ind_segs);
		free(r->reqs[0].pages);
		free(r->reqs[0].iov);
	}
	free(r->reqs);
	free(r->pool_free);
	free(r->ind_buf);
	free(r->cseg);
	/* r->ev_src may still be in the loop's current batch */
	td_loop_defer(&r->defer, ring_release, r);
}

static int ring_alloc(struct td_ring *r)
{
	unsigned i, ms = r->max_segs;
	struct blkif_seg *segs;
	uint32_t *pages;
	struct iovec *iov;
	size_t want;

	r->reqs = calloc(r->size, sizeof(*r->reqs));
	segs = calloc((size_t)r->size * ms, sizeof(*segs));
	pages = calloc((size_t)r->size * ms, sizeof(*pages));
	iov = calloc((size_t)r->size * ms, sizeof(*iov));
	if (!r->reqs || !segs || !pages || !iov) {
		free(segs);
		free(pages);
		free(iov);
		return -ENOMEM;
	}
	for (i = 0; i < r->size; i++) {
		struct td_req *q = &r->reqs[i];

		q->ring = r;
		q->ind_segs = segs + (size_t)i * ms;
		q->pages = pages + (size_t)i * ms;
		q->iov = iov + (size_t)i * ms;
		q->next = i + 1 < r->size ? &r->reqs[i + 1] : NULL;
	}
	r->free_reqs = &r->reqs[0];

	want = (size_t)r->size * ms;
	if (want > TD_POOL_MAX_PAGES)
		want = TD_POOL_MAX_PAGES;
	if (want < ms)
		want = ms;
	r->pool_pages = (unsigned)want;
	r->pool_regions = want == (size_t)r->size * ms;
	r->pool = mmap(NULL, want * XENIO_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->pool == MAP_FAILED) {
		r->pool = NULL;
		return -ENOMEM;
	}
	/* Transparent huge pages where the system allows them on request:
	 * O_DIRECT pins the bounce pages for every I/O, and memcpy walks
	 * them; both cost less on 2 MiB pages (read-44k-qd32 direct, copy:
	 * 8.6 -> 6.6 us of CPU per I/O). A hint only. */
	madvise(r->pool, want * XENIO_PAGE_SIZE, MADV_HUGEPAGE);
	r->pool_free = calloc(want, sizeof(*r->pool_free));
	r->ind_buf = aligned_alloc(XENIO_PAGE_SIZE,
				   (size_t)BLKIF_MAX_INDIRECT_PAGES * XENIO_PAGE_SIZE);
	r->cseg = calloc(ms > BLKIF_MAX_INDIRECT_PAGES ? ms : BLKIF_MAX_INDIRECT_PAGES,
			 sizeof(*r->cseg));
	r->map_refs = calloc(ms, sizeof(*r->map_refs));
	if (!r->pool_free || !r->ind_buf || !r->cseg || !r->map_refs)
		return -ENOMEM;
	for (i = 0; i < want; i++)
		r->pool_free[i] = (uint32_t)(want - 1 - i);
	r->pool_nfree = (unsigned)want;
	return 0;
}

int td_ring_connect(struct td_vbd *v, const struct td_ring_params *p,
		    struct td_ring **out)
{
	struct td_ring *r;
	void *addr = NULL;
	unsigned i, slot = TD_MAX_RINGS;
	int err;

	if (p->ring_order > BLKIF_MAX_RING_ORDER || p->queue >= TD_MAX_RINGS)
		return -EINVAL;
	for (i = 0; i < TD_MAX_RINGS; i++) {
		const struct td_ring *o = v->rings[i];

		if (!o) {
			if (slot == TD_MAX_RINGS)
				slot = i;
		} else if (o->p.domid == p->domid && o->p.devid == p->devid &&
			   o->p.queue == p->queue) {
			return -EEXIST;
		}
	}
	if (slot == TD_MAX_RINGS)
		return -ENOSPC;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->vbd = v;
	r->p = *p;
	r->slot = slot;
	r->nr_pages = 1u << p->ring_order;
	r->size = blkif_ring_size(p->abi, r->nr_pages);
	r->max_segs = v->lim.max_indirect_segs > BLKIF_MAX_SEGS ?
		      v->lim.max_indirect_segs : BLKIF_MAX_SEGS;
	snprintf(r->prefix, sizeof(r->prefix), "d%u/%u q%u", p->domid, p->devid,
		 p->queue);
	if (!r->size) {
		err = -EINVAL;
		goto fail;
	}
	err = ring_alloc(r);
	if (err)
		goto fail;
	/* Persistent only if the frontend keeps its grants (it said so). */
	r->mode = td_ctx.grant_mode;
	if (r->mode == TD_GRANT_PERSISTENT && !(p->flags & TD_F_PERSISTENT))
		r->mode = TD_GRANT_COPY;
	if (!(td_ctx.xops->features & XENIO_F_MAP))
		r->mode = TD_GRANT_COPY;
	if (r->mode == TD_GRANT_PERSISTENT) {
		size_t want = (size_t)r->size * r->max_segs;

		err = td_pgnt_create(p->domid, want < TD_PGNT_RING_MAX ?
					       (unsigned)want : TD_PGNT_RING_MAX,
				     &r->pgnt);
		if (err)
			goto fail;
	}
	err = td_ctx.xops->map(td_ctx.xh, p->domid, r->nr_pages, p->ring_refs, 1,
			       &addr);
	if (err) {
		td_log(TD_LOG_ERR, r->prefix, "cannot map ring (%u pages): %s",
		       r->nr_pages, strerror(-err));
		goto fail;
	}
	r->sring = addr;
	err = td_ctx.xops->evtchn_bind(td_ctx.xh, p->domid, p->evtchn, &r->ev);
	if (err) {
		td_log(TD_LOG_ERR, r->prefix, "cannot bind event channel %u: %s",
		       p->evtchn, strerror(-err));
		goto fail;
	}
	err = td_loop_add(&r->ev_src, td_ctx.xops->evtchn_fd(r->ev), EPOLLIN,
			  ring_event, r);
	if (err)
		goto fail;
	/* The guest owns the ring's initial state; start from its indices. */
	r->req_cons = r->rsp_prod_pvt = r->rsp_pushed =
		blkif_ring_get(r->sring, BLKIF_RING_RSP_PROD);
	v->rings[slot] = r;
	td_stats_ring_add(r, p->domid, p->devid);	/* xentop's file */
	td_log(TD_LOG_INFO, r->prefix,
	       "connected: %u page(s), %u slots, abi %s, port %u, vbd%u, grant %s",
	       r->nr_pages, r->size, blkif_abi_name(p->abi), p->evtchn, v->minor,
	       td_grant_mode_name(r->mode));
	*out = r;
	ring_consume(r);
	return 0;
fail:
	ring_free(r);
	return err;
}

/* Finish everything consumed from the ring: the guest gets every answer. */
void td_ring_quiesce(struct td_ring *r)
{
	int idle = 0;

	while (r->wait_head || r->inflight) {
		struct pollfd pfd = { .fd = td_ctx.eops->fd(td_ctx.eng),
				      .events = POLLIN };

		ring_dispatch(r);
		td_ctx.eops->submit(td_ctx.eng);
		if (!r->inflight)
			continue;
		if (poll(&pfd, 1, TD_DRAIN_TIMEOUT_MS) == 0) {
			if (++idle % 10 == 0)
				td_log(TD_LOG_WARN, r->prefix,
				       "waiting for %u I/O(s) to finish", r->inflight);
			continue;
		}
		td_ctx.eops->reap(td_ctx.eng);
	}
	ring_push(r);
}

void td_ring_disconnect(struct td_ring *r)
{
	struct td_vbd *v;
	unsigned i;

	if (!r)
		return;
	v = r->vbd;
	r->closing = 1;
	td_loop_del(&r->ev_src);
	td_ring_quiesce(r);
	td_stats_ring_del(r);	/* xentop's file */
	for (i = 0; i < TD_STAT__COUNT; i++)
		if (i != TD_STAT_INFLIGHT)
			v->counters[i] += r->counters[i];
	v->rings[r->slot] = NULL;
	td_log(TD_LOG_INFO, r->prefix, "disconnected");
	ring_free(r);
}

void td_ring_kick(struct td_ring *r)
{
	ring_consume(r);
}

static int ring_can_take(const struct td_ring *r)
{
	return !r->halted && !r->closing && !r->vbd->paused &&
	       (r->vbd->img || r->vbd->mmc);
}

int td_ring_pending(const struct td_ring *r)
{
	return ring_can_take(r) &&
	       blkif_ring_get(r->sring, BLKIF_RING_REQ_PROD) != r->req_cons;
}

int td_ring_arm(struct td_ring *r)
{
	if (!r->unarmed)
		return 0;
	r->unarmed = 0;
	/* RING_FINAL_CHECK_FOR_REQUESTS: ask, then look once more. */
	blkif_ring_set(r->sring, BLKIF_RING_REQ_EVENT, r->req_cons + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return td_ring_pending(r);
}

unsigned td_ring_busy(const struct td_ring *r)
{
	return r->busy;
}

const struct td_ring_params *td_ring_params(const struct td_ring *r)
{
	return &r->p;
}

void td_ring_status(const struct td_ring *r, struct td_ring_status *st)
{
	memset(st, 0, sizeof(*st));
	st->domid = r->p.domid;
	st->devid = r->p.devid;
	st->queue = r->p.queue;
	st->ring_order = r->p.ring_order;
	st->ring_size = r->size;
	st->abi = r->p.abi;
	st->evtchn = r->p.evtchn;
	st->state = TD_RING_S_CONNECTED | (r->halted ? TD_RING_S_HALTED : 0) |
		    (r->p.readonly ? TD_RING_S_RDONLY : 0);
	st->nr_counters = TD_STAT__COUNT;
	memcpy(st->counters, r->counters, sizeof(st->counters));
	st->counters[TD_STAT_INFLIGHT] = r->busy;
}
