/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-ring: whole ring states written by a hostile guest, served by the
 * real request path (tapdisk/td-ring.c) on the simulated hypervisor, in
 * one process: a simulated guest (tests/xsim-guest.h) shares its memory
 * with tapdisk's "sim" xenio; a ram (read-write) or null (read-only) VBD
 * answers synchronously, so every request is finished by the time the
 * ring has been swept.
 *
 * Per input: a fresh ring connection (ABI, 1..16 pages) whose indices,
 * event fields, request slots and two indirect/data pages come from the
 * input. The guest connects with req_prod = rsp_prod, revokes the ring's
 * grants once tapdisk has mapped it (so that no request can name the ring
 * itself as a data page: a guest may do that, and then the ring holds
 * data, which would blind the checks below), publishes req_prod and
 * kicks; td_ring_sweep pushes; then optionally a second batch; then
 * td_ring_disconnect.
 *
 * Input: [0] config (bits 0-1 abi, 2-4 order, 5 vbd: null read-only
 * instead of ram, 7 raw req_prod), [1..4] initial
 * rsp_prod = req_cons (LE; wraps are fair game), [5] request count (or
 * [5..8] a raw req_prod), [..] req_event, rsp_event (u32 each), 8 KiB for
 * data pages 0 and 1, then slot bytes from slot `start` on; a second batch
 * follows as [count u8][slot bytes].
 *
 * Guest memory (fixed, checked at start-up, so seeds can name grants):
 * grefs 1-16 the ring pages; 17-24 read-write data pages (the first two
 * take the input's 8 KiB: indirect segment lists or data); 25-28 read-only
 * pages; 29-30 revoked; frames after those are never granted.
 *
 * Invariants: an impossible req_prod halts the ring and nothing is
 * answered; otherwise every request gets exactly one response with its
 * id and op, a request the pure validator refuses gets exactly the status
 * blkif_bad_status says, an accepted one OKAY or ERROR; nothing is left
 * busy; the guest was notified if it asked; tapdisk wrote nothing in guest
 * memory but response slots, rsp_prod, req_event and writable granted
 * pages; read-only, revoked and never-granted pages are untouched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blkif.h"
#include "fuzz.h"
#include "td-log.h"
#include "td-loop.h"
#include "td-ring.h"
#include "td-vbd.h"
#include "xenio.h"
#include "xsim-guest.h"

#define DOMID 1
#define DEVID 51712
#define RING_PAGES BLKIF_MAX_RING_PAGES
#define NR_RW 8
#define NR_RO 4
#define NR_REVOKED 2
#define NR_HIDDEN 2
#define PG XSIM_PAGE_SIZE
#define MAX_SLOTS 1024u

struct harness {
	char dir[64];
	struct xsim_guest *g;
	uint8_t *ring;			/* RING_PAGES contiguous guest pages */
	uint32_t ring_refs[RING_PAGES];
	uint8_t *rw[NR_RW];
	uint8_t *fixed[NR_RO + NR_REVOKED + NR_HIDDEN]; /* must not change */
	uint8_t *ring_copy;		/* the ring as the guest left it */
	uint32_t port;
	struct td_vbd *vbd[2];
	int ready;
};

static struct harness h;

struct expect {
	uint64_t id;
	uint8_t op;
	int16_t status;		/* what the validator says, 1: accepted */
	uint8_t matched;
};

static struct expect exp_reqs[MAX_SLOTS];

static void canary(uint8_t *p, unsigned seed)
{
	unsigned i;

	for (i = 0; i < PG; i++)
		p[i] = (uint8_t)(i * 7 + seed * 131 + 3);
}

static int canary_ok(const uint8_t *p, unsigned seed)
{
	unsigned i;

	for (i = 0; i < PG; i++)
		if (p[i] != (uint8_t)(i * 7 + seed * 131 + 3))
			return 0;
	return 1;
}

static void cleanup(void)
{
	unsigned i;

	if (!h.ready)
		return;
	for (i = 0; i < 2; i++)
		if (h.vbd[i])
			td_vbd_close(h.vbd[i], 1);
	td_ctx_stop();
	if (td_ctx.xh)
		td_ctx.xops->close(td_ctx.xh);
	xsim_guest_destroy(h.g);
	rmdir(h.dir);
	free(h.ring_copy);
	h.ready = 0;
}

static uint8_t *grant_page(uint32_t expect_ref, int ro, uint32_t *frame_out)
{
	uint32_t frame, ref;

	FUZZ_CHECK(xsim_guest_page_alloc(h.g, &frame) == 0);
	FUZZ_CHECK(xsim_guest_grant(h.g, frame, 0, ro, &ref) == 0);
	FUZZ_CHECK(ref == expect_ref);	/* the numbering seeds rely on */
	if (frame_out)
		*frame_out = frame;
	return xsim_guest_page(h.g, frame);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint32_t frame, ref = 1, f0 = 0;
	unsigned i;
	int err;

	if (h.ready)
		return 0;
	td_log_set_level(getenv("FUZZ_VERBOSE") ? TD_LOG_DEBUG
						 : (enum td_log_level)0);
	snprintf(h.dir, sizeof(h.dir), "/dev/shm/xentap-fuzz-ring.XXXXXX");
	FUZZ_CHECK(mkdtemp(h.dir) != NULL);
	FUZZ_CHECK(xsim_guest_create(h.dir, DOMID, 64, 256, &h.g) == 0);
	for (i = 0; i < RING_PAGES; i++) {
		uint8_t *p = grant_page(ref, 0, &frame);

		if (i == 0) {
			h.ring = p;
			f0 = frame;
		}
		FUZZ_CHECK(frame == f0 + i && p == h.ring + (size_t)i * PG);
		h.ring_refs[i] = ref++;
	}
	for (i = 0; i < NR_RW; i++)
		h.rw[i] = grant_page(ref++, 0, NULL);
	for (i = 0; i < NR_RO; i++)
		h.fixed[i] = grant_page(ref++, 1, NULL);
	for (i = 0; i < NR_REVOKED; i++)
		h.fixed[NR_RO + i] = grant_page(ref++, 0, NULL);
	for (i = 0; i < NR_REVOKED; i++)
		FUZZ_CHECK(xsim_guest_revoke(h.g, ref - NR_REVOKED + i) == 0);
	for (i = 0; i < NR_HIDDEN; i++) {
		FUZZ_CHECK(xsim_guest_page_alloc(h.g, &frame) == 0);
		h.fixed[NR_RO + NR_REVOKED + i] = xsim_guest_page(h.g, frame);
	}
	for (i = 0; i < NR_RO + NR_REVOKED + NR_HIDDEN; i++)
		canary(h.fixed[i], i);
	FUZZ_CHECK(xsim_guest_evtchn_alloc(h.g, &h.port, NULL) == 0);
	h.ring_copy = malloc((size_t)RING_PAGES * PG);
	FUZZ_CHECK(h.ring_copy != NULL);

	FUZZ_CHECK(td_loop_init() == 0);
	td_ctx.xops = &xenio_sim_ops;
	/* per-VBD sockets (NBD exports) go here, not to / */
	snprintf(td_ctx.ctl_dir, sizeof(td_ctx.ctl_dir), "%s", h.dir);
	snprintf(td_ctx.xenio_name, sizeof(td_ctx.xenio_name), "sim");
	FUZZ_CHECK(td_ctx.xops->open(&td_ctx.xh, h.dir, 0) == 0);
	err = td_ctx_start("auto", 64);
	FUZZ_CHECK(err == 0);
	FUZZ_CHECK(td_vbd_open(0, "ram:4M", 0, &h.vbd[0]) == 0);
	FUZZ_CHECK(td_vbd_open(1, "null:1G", TD_F_RDONLY, &h.vbd[1]) == 0);
	h.ready = 1;
	atexit(cleanup);
	return 0;
}

/* Grant (XSIM_GTF_PERMIT_ACCESS) or revoke (0) the ring pages in place. */
static void ring_grants(uint32_t flags)
{
	unsigned i;

	for (i = 0; i < RING_PAGES; i++)
		__atomic_store_n(&xsim_guest_grant_entry(h.g, h.ring_refs[i])->flags,
				 flags, __ATOMIC_RELEASE);
}

/* Write n request slots from the input, from index `from` on. */
static void fill_slots(struct fuzz_in *in, enum blkif_abi abi, unsigned size,
		       uint32_t from, unsigned n)
{
	size_t rsz = blkif_req_size(abi);
	unsigned i;

	for (i = 0; i < n && in->n; i++)
		fuzz_bytes(in, (void *)blkif_ring_slot(h.ring, abi, size, from + i),
			   rsz);
}

/* What the validator says about the n requests from `from` on. */
static void record(enum blkif_abi abi, unsigned size, uint32_t from, unsigned n,
		   const struct blkif_limits *lim)
{
	struct blkif_req r;
	enum blkif_bad bad;
	unsigned i;

	for (i = 0; i < n; i++) {
		blkif_req_decode(abi, blkif_ring_slot(h.ring, abi, size, from + i), &r);
		bad = blkif_req_check(&r, lim);
		exp_reqs[i].id = r.id;
		/* INDIRECT is answered with its indirect_op (as Linux blkback) */
		exp_reqs[i].op = r.ring_op == BLKIF_OP_INDIRECT ? r.op : r.ring_op;
		exp_reqs[i].status = bad == BLKIF_OK ? 1 : blkif_bad_status(bad);
		exp_reqs[i].matched = 0;
	}
}

/* Match each response to one request (see the top); exactly once each. */
static void check_responses(enum blkif_abi abi, unsigned size, uint32_t from,
			    unsigned n)
{
	unsigned i, j, pick;
	uint64_t id;
	uint8_t op;
	int16_t st;

	for (i = 0; i < n; i++) {
		blkif_rsp_decode(abi, blkif_ring_slot(h.ring, abi, size, from + i),
				 &id, &op, &st);
		FUZZ_CHECK(st == BLKIF_RSP_OKAY || st == BLKIF_RSP_ERROR ||
			   st == BLKIF_RSP_EOPNOTSUPP);
		pick = n;
		for (j = 0; j < n; j++) {
			const struct expect *e = &exp_reqs[j];

			if (e->matched || e->id != id || e->op != op)
				continue;
			if (e->status == st) {
				pick = j;	/* an exact verdict first */
				break;
			}
			if (e->status == 1 && st != BLKIF_RSP_EOPNOTSUPP && pick == n)
				pick = j;
		}
		if (pick == n)
			fprintf(stderr, "response %u: id %llu op %u status %d "
				"matches no request\n", i, (unsigned long long)id,
				op, st);
		FUZZ_CHECK(pick < n);
		exp_reqs[pick].matched = 1;
	}
}

/* Sweep until the ring is quiet; then check what the guest can see. */
static int serve_and_check(struct td_ring *r, enum blkif_abi abi,
			   unsigned size, uint32_t from, uint32_t prod,
			   uint32_t rsp_event)
{
	struct td_ring_status st;
	uint32_t n = prod - from;
	size_t slot = blkif_slot_size(abi);
	unsigned k, i;
	int notified;

	for (k = 0; k < 64; k++)
		td_ring_sweep(r);
	td_ring_status(r, &st);
	notified = xsim_guest_evtchn_ack(h.g, h.port) > 0;
	if (blkif_prod_overflow(prod, from, size)) {
		FUZZ_CHECK(st.state & TD_RING_S_HALTED);
		FUZZ_CHECK(blkif_ring_get(h.ring, BLKIF_RING_RSP_PROD) == from);
		FUZZ_CHECK(td_ring_busy(r) == 0);
		return 0;
	}
	FUZZ_CHECK(!(st.state & TD_RING_S_HALTED));
	FUZZ_CHECK(td_ring_busy(r) == 0);
	FUZZ_CHECK(blkif_ring_get(h.ring, BLKIF_RING_RSP_PROD) == prod);
	FUZZ_CHECK(blkif_ring_get(h.ring, BLKIF_RING_REQ_PROD) == prod);
	FUZZ_CHECK(blkif_ring_get(h.ring, BLKIF_RING_RSP_EVENT) == rsp_event);
	if (n && rsp_event == from + 1)
		FUZZ_CHECK(notified);
	check_responses(abi, size, from, n);
	/* slots other than the answered ones are as the guest left them */
	for (i = n; i < size; i++) {
		size_t off = BLKIF_RING_HDR + (size_t)((from + i) & (size - 1)) * slot;

		FUZZ_CHECK(!memcmp(h.ring + off, h.ring_copy + off, slot));
	}
	for (i = 0; i < NR_RO + NR_REVOKED + NR_HIDDEN; i++)
		FUZZ_CHECK(canary_ok(h.fixed[i], i));
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct td_ring_params p;
	struct td_ring *r = NULL;
	struct td_vbd *v;
	enum blkif_abi abi;
	uint32_t start, prod, rsp_event, req_event, n;
	unsigned rsize, order, i;
	uint8_t cfg;
	int err;

	if (!h.ready)
		LLVMFuzzerInitialize(NULL, NULL);
	cfg = fuzz_u8(&in);
	abi = (enum blkif_abi)((cfg & 3) % 3);
	order = ((cfg >> 2) & 7) % (BLKIF_MAX_RING_ORDER + 1);
	v = h.vbd[(cfg >> 5) & 1];
	rsize = blkif_ring_size(abi, 1u << order);
	FUZZ_CHECK(rsize && rsize <= MAX_SLOTS);
	start = (uint32_t)fuzz_le(&in, 4);
	if (cfg & 0x80)
		prod = (uint32_t)fuzz_le(&in, 4);	/* anything at all */
	else
		prod = start + fuzz_u8(&in) % (2 * rsize);
	req_event = (uint32_t)fuzz_le(&in, 4);
	rsp_event = (uint32_t)fuzz_le(&in, 4);
	fuzz_bytes(&in, h.rw[0], PG);
	fuzz_bytes(&in, h.rw[1], PG);

	ring_grants(XSIM_GTF_PERMIT_ACCESS);
	memset(h.ring, 0, (size_t)PG << order);
	blkif_ring_set(h.ring, BLKIF_RING_REQ_PROD, start);
	blkif_ring_set(h.ring, BLKIF_RING_REQ_EVENT, req_event);
	blkif_ring_set(h.ring, BLKIF_RING_RSP_PROD, start);
	blkif_ring_set(h.ring, BLKIF_RING_RSP_EVENT, rsp_event);
	n = prod - start;
	fill_slots(&in, abi, rsize, start, n < rsize ? n : rsize);
	if (!blkif_prod_overflow(prod, start, rsize))
		record(abi, rsize, start, n, &v->lim);
	xsim_guest_evtchn_ack(h.g, h.port);

	memset(&p, 0, sizeof(p));
	p.domid = DOMID;
	p.devid = DEVID;
	p.ring_order = order;
	for (i = 0; i < (1u << order); i++)
		p.ring_refs[i] = h.ring_refs[i];
	p.evtchn = h.port;
	p.abi = abi;
	err = td_ring_connect(v, &p, &r);
	FUZZ_CHECK(err == 0);
	/* The ring is mapped: its grants may go (as Xen, a mapping outlives
	 * its grant), so no data copy can land in it; then publish. */
	ring_grants(0);
	blkif_ring_set(h.ring, BLKIF_RING_REQ_PROD, prod);
	memcpy(h.ring_copy, h.ring, (size_t)PG << order);
	td_ring_kick(r);

	if (serve_and_check(r, abi, rsize, start, prod, rsp_event) && in.n) {
		/* a second batch, after the guest consumed the responses */
		uint32_t from = prod, more = fuzz_u8(&in) % (rsize + 1);

		fill_slots(&in, abi, rsize, from, more);
		record(abi, rsize, from, more, &v->lim);
		memcpy(h.ring_copy, h.ring, (size_t)PG << order);
		blkif_ring_set(h.ring, BLKIF_RING_REQ_PROD, from + more);
		memcpy(h.ring_copy, h.ring, BLKIF_RING_HDR);
		td_ring_kick(r);
		serve_and_check(r, abi, rsize, from, from + more, rsp_event);
	}
	td_ring_disconnect(r);
	FUZZ_CHECK(v->rings[0] == NULL);
	return 0;
}
