/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-ring: serves one blkif ring of a VBD.
 *
 * Data access (tapdisk --grant, td_ctx.grant_mode): by grant copy into a
 * per-ring pool of page-aligned bounce pages (O_DIRECT-safe): reads copy to
 * the guest after the I/O, writes copy from the guest before it; or zero
 * copy, the I/O going straight to the guest's pages, mapped per request
 * ("map") or through the ring's persistent-grant cache ("persistent", for
 * rings connected with TD_F_PERSISTENT), with grant copy as the
 * fallback. Every request is copied out of the shared ring and validated
 * once (blkif_req_check / blkif_segs_check); a bad request costs that
 * request only. An impossible producer index halts this ring
 * and nothing else.
 */
#ifndef XENTAP_TD_RING_H
#define XENTAP_TD_RING_H

#include <stdint.h>

#include "blkif.h"
#include "td-proto.h"

struct td_vbd;
struct td_ring;

struct td_ring_params {
	uint32_t domid, devid, queue;
	uint32_t ring_order;		/* 0..BLKIF_MAX_RING_ORDER */
	uint32_t ring_refs[BLKIF_MAX_RING_PAGES];
	uint32_t evtchn;		/* the guest's port */
	enum blkif_abi abi;
	uint32_t flags;			/* TD_F_PERSISTENT */
	unsigned readonly : 1;		/* this device is read-only (mode=r) */
};

/* Rings live in the VBD's slots (td_vbd.rings[]), keyed by (domid, devid,
 * queue): devices that share one minor (the same image attached twice)
 * each have their own rings. Connecting a key that is connected already
 * fails with -EEXIST, a VBD with every slot taken with -ENOSPC. */

int td_ring_connect(struct td_vbd *v, const struct td_ring_params *p,
		    struct td_ring **out);
/* Stops taking requests, finishes everything in flight (responses are
 * written), unmaps and frees. Idempotent on NULL. */
void td_ring_disconnect(struct td_ring *r);
/* Finish everything consumed from the ring (no new requests are taken
 * while the VBD is paused or the ring closing). */
void td_ring_quiesce(struct td_ring *r);
/* Look at the ring again (after unpause). */
void td_ring_kick(struct td_ring *r);
/* Busy polling: requests are waiting on the ring (no notification needed). */
int td_ring_pending(const struct td_ring *r);
/* Before sleeping: if consuming left req_event unarmed (busy polling), set
 * it and look once more. 1: requests arrived meanwhile (td_ring_kick). */
int td_ring_arm(struct td_ring *r);
/* Once per loop iteration: push responses, notify, resume stalled work. */
void td_ring_sweep(struct td_ring *r);
void td_ring_status(const struct td_ring *r, struct td_ring_status *st);
/* What the ring was connected with. */
const struct td_ring_params *td_ring_params(const struct td_ring *r);
/* Requests consumed from the ring and not yet answered. */
unsigned td_ring_busy(const struct td_ring *r);

#endif
