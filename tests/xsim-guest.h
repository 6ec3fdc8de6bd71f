/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xsim-guest: the guest's side of the simulated hypervisor (doc/simulator.md,
 * tapdisk/xsim.h): creates the domain's memory + grant-table file, hands out
 * pages, grants and revokes them, and owns event channels (FIFO pairs).
 * Used by the simulated frontend and by tests; any program may do the same
 * by following the documented layout.
 *
 * Functions return 0 or a negative errno.
 */
#ifndef XENTAP_XSIM_GUEST_H
#define XENTAP_XSIM_GUEST_H

#include <stdint.h>

#include "xsim.h"

struct xsim_guest;

/* Create DIR/dom<domid>.mem (DIR created if missing; NULL dir means
 * $XENTAP_SIM_DIR or XSIM_DEFAULT_DIR) with nr_pages of memory and
 * nr_grants grant entries (entry 0 is reserved). An existing file is
 * replaced. */
int xsim_guest_create(const char *dir, uint32_t domid, uint32_t nr_pages,
		      uint32_t nr_grants, struct xsim_guest **out);
/* Unmap, remove the .mem file and every FIFO this guest created. NULL ok. */
void xsim_guest_destroy(struct xsim_guest *g);

uint32_t xsim_guest_domid(const struct xsim_guest *g);
const char *xsim_guest_dir(const struct xsim_guest *g);

/* Page allocator over guest memory. Pages are zeroed on allocation. */
int xsim_guest_page_alloc(struct xsim_guest *g, uint32_t *frame);
void xsim_guest_page_free(struct xsim_guest *g, uint32_t frame);
/* Address of a guest page in this process (NULL if frame is out of range). */
void *xsim_guest_page(struct xsim_guest *g, uint32_t frame);

/* Grant frame to backend_domid; *gref receives a fresh reference (never 0). */
int xsim_guest_grant(struct xsim_guest *g, uint32_t frame, uint16_t backend_domid,
		     int readonly, uint32_t *gref);
/* Revoke (flags cleared) and recycle the reference. */
int xsim_guest_revoke(struct xsim_guest *g, uint32_t gref);
/* Direct access to a grant entry, for hostile tests (NULL if out of range). */
struct xsim_grant *xsim_guest_grant_entry(struct xsim_guest *g, uint32_t gref);

/* Allocate an unbound port: creates the .tob/.tof FIFOs. *fd (optional)
 * receives the fd that becomes readable when the backend notifies. */
int xsim_guest_evtchn_alloc(struct xsim_guest *g, uint32_t *port, int *fd);
int xsim_guest_evtchn_notify(struct xsim_guest *g, uint32_t port);
/* Drain pending notifications: 1 if any were pending, 0 if none. */
int xsim_guest_evtchn_ack(struct xsim_guest *g, uint32_t port);
void xsim_guest_evtchn_free(struct xsim_guest *g, uint32_t port);

#endif
