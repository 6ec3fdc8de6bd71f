/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xenio: the hypervisor seam.
 *
 * Everything tapdisk needs from Xen goes through one ops table: grant maps,
 * grant copies and interdomain event channels. Two implementations exist:
 *   "xen"  libxengnttab + libxenevtchn (xenio-xen.c)
 *   "sim"  the simulated hypervisor of doc/simulator.md (xenio-sim.c)
 * Nothing above this seam knows which one runs.
 *
 * Conventions: functions return 0 or a negative errno. A failure that a guest
 * can cause (bad grant ref, wrong domain, read-only page written) is reported
 * as -EPERM / -EINVAL / -EACCES / -EFAULT, never as a crash; callers turn it into
 * an error response for the one request concerned.
 */
#ifndef XENTAP_XENIO_H
#define XENTAP_XENIO_H

#include <stdint.h>

#define XENIO_PAGE_SIZE 4096u
#define XENIO_PAGE_SHIFT 12

/* features word */
#define XENIO_F_MAP (1u << 0)	/* map() works for data pages */
#define XENIO_F_COPY (1u << 1)	/* copy() works */

struct xenio;		/* one open hypervisor connection (opaque) */
struct xenio_evtchn;	/* one bound interdomain event channel (opaque) */

/* One grant-copy segment. The whole segment lies inside one granted page. */
struct xenio_copy_seg {
	uint32_t gref;	   /* guest grant reference (guest page) */
	uint16_t offset;   /* byte offset inside the guest page */
	uint16_t len;	   /* bytes; offset + len <= XENIO_PAGE_SIZE */
	void *local;	   /* backend buffer of len bytes */
	uint8_t to_guest;  /* 1: local -> guest (a read), 0: guest -> local */
	int16_t status;	   /* out: 0 or a negative errno for this segment */
};

struct xenio_ops {
	/* Required. Short name: "xen" or "sim". */
	const char *name;
	/* Required. XENIO_F_* bits. */
	uint32_t features;
	/*
	 * Required. Open a connection. arg is implementation specific: the
	 * simulator's directory for "sim" (NULL: $XENTAP_SIM_DIR), ignored by
	 * "xen". backend_domid is the domain this backend runs in (0 for dom0).
	 */
	int (*open)(struct xenio **out, const char *arg, uint32_t backend_domid);
	/* Required. Idempotent on NULL. Everything mapped must be unmapped first. */
	void (*close)(struct xenio *x);
	/*
	 * Required. Map `count` grants of domain `domid` at one contiguous
	 * address (count <= 4096). writable=0 maps read-only. On failure
	 * nothing stays mapped.
	 */
	int (*map)(struct xenio *x, uint32_t domid, unsigned count,
		   const uint32_t *refs, int writable, void **addr);
	/* Required. Unmap what map() returned (same count). */
	int (*unmap)(struct xenio *x, void *addr, unsigned count);
	/*
	 * Optional (XENIO_F_COPY). Copy n segments in one batch. Returns 0
	 * when the batch was attempted (look at each status) or a negative
	 * errno when nothing was done.
	 */
	int (*copy)(struct xenio *x, uint32_t domid, struct xenio_copy_seg *segs,
		    unsigned n);
	/* Required. Bind to the guest's unbound port. */
	int (*evtchn_bind)(struct xenio *x, uint32_t domid, uint32_t remote_port,
			   struct xenio_evtchn **out);
	/* Required. Idempotent on NULL. */
	void (*evtchn_unbind)(struct xenio_evtchn *e);
	/* Required. A file descriptor that becomes readable on a notification. */
	int (*evtchn_fd)(struct xenio_evtchn *e);
	/* Required. Send a notification to the guest. */
	int (*evtchn_notify)(struct xenio_evtchn *e);
	/*
	 * Required. Call when the fd is readable (or to poll): consumes what is
	 * pending and re-arms (unmask). Returns 1 if a notification was
	 * pending, 0 if none, or a negative errno.
	 */
	int (*evtchn_ack)(struct xenio_evtchn *e);
};

extern const struct xenio_ops xenio_sim_ops;
extern const struct xenio_ops xenio_xen_ops;

/* Registry lookup by name ("xen", "sim"); NULL if unknown. */
const struct xenio_ops *xenio_find(const char *name);

#endif
