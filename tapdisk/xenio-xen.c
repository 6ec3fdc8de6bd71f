/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xenio-xen: the real hypervisor ("xen"), on libxengnttab and libxenevtchn
 * (the gntdev and evtchn drivers under /dev/xen). No libxenctrl.
 *
 * Maps: xengnttab_map_domain_grant_refs() maps all refs into ONE contiguous
 * VMA of the gntdev device; on partial failure the library undoes the rest.
 * Such a range can only be unmapped as a whole, with the same count, which
 * is exactly the xenio contract.
 *
 * Copies: one gntdev ioctl per chunk of XEN_COPY_BATCH segments; Xen
 * checks every grant (permission, domain, read-only) and reports a
 * GNTST_* status per segment.
 *
 * Event channels: one xenevtchn handle per binding, so the handle's fd
 * wakes the loop for exactly one port and ack() needs no demultiplexing.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenevtchn.h>
#include <xengnttab.h>

#include "td-log.h"
#include "xenio.h"

#define XEN_GNTDEV_PATH "/dev/xen/gntdev"
#define XEN_MAX_GRANTS 16384u	/* 1 ring of 16 pages x many queues + data */
#define XEN_COPY_BATCH 64u
#define XEN_MAX_MAP 4096u
#define XEN_DOMID_MAX 0x7fefu	/* DOMID_FIRST_RESERVED - 1 */

struct xenio {
	xengnttab_handle *gt;
	uint32_t backend_domid;
};

struct xenio_evtchn {
	xenevtchn_handle *h;
	evtchn_port_t local;
	uint32_t domid;
	uint32_t remote;
};

static int xen_errno(void)
{
	return errno ? -errno : -EIO;
}

static int xen_open(struct xenio **out, const char *arg, uint32_t backend_domid)
{
	struct xenio *x;
	struct stat st;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	/* Check first: libxengnttab would log a less helpful message. */
	if (stat(XEN_GNTDEV_PATH, &st) < 0) {
		rc = -errno;
		TD_ERR("xen", "%s: %s: not running in a Xen domain, or the "
		       "gntdev driver is not loaded (modprobe xen-gntdev); "
		       "without Xen use the simulator (sim)",
		       XEN_GNTDEV_PATH, strerror(-rc));
		return rc;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	errno = 0;
	x->gt = xengnttab_open(NULL, 0);
	if (!x->gt) {
		rc = xen_errno();
		TD_ERR("xen", "xengnttab_open: %s", strerror(-rc));
		free(x);
		return rc;
	}
	/* Must come right after open; failing keeps the driver's default. */
	if (xengnttab_set_max_grants(x->gt, XEN_MAX_GRANTS) < 0)
		TD_WARN("xen", "xengnttab_set_max_grants(%u): %s",
			XEN_MAX_GRANTS, strerror(errno));
	x->backend_domid = backend_domid;
	*out = x;
	return 0;
}

static void xen_close(struct xenio *x)
{
	if (!x)
		return;
	xengnttab_close(x->gt);
	free(x);
}

static int xen_map(struct xenio *x, uint32_t domid, unsigned count,
		   const uint32_t *refs, int writable, void **addr)
{
	void *p;

	if (!x || !refs || !addr || count == 0 || count > XEN_MAX_MAP ||
	    domid > XEN_DOMID_MAX)
		return -EINVAL;
	*addr = NULL;
	errno = 0;
	/* The library takes a non-const array but only reads it. */
	p = xengnttab_map_domain_grant_refs(x->gt, count, domid,
					    (uint32_t *)(uintptr_t)refs,
					    PROT_READ |
						    (writable ? PROT_WRITE : 0));
	if (!p)
		return xen_errno();
	*addr = p;
	return 0;
}

static int xen_unmap(struct xenio *x, void *addr, unsigned count)
{
	if (!x || !addr || count == 0 || count > XEN_MAX_MAP)
		return -EINVAL;
	errno = 0;
	if (xengnttab_unmap(x->gt, addr, count) < 0)
		return xen_errno();
	return 0;
}

/*
 * Xen reports most refusals (not granted, wrong domain, read-only grant
 * written) as GNTST_general_error, so that one counts as "not permitted".
 */
static int16_t xen_gntst_errno(int16_t st)
{
	switch (st) {
	case GNTST_okay:
		return 0;
	case GNTST_bad_gntref:
	case GNTST_bad_copy_arg:
		return -EINVAL;
	case GNTST_general_error:
	case GNTST_bad_domain:
	case GNTST_permission_denied:
		return -EPERM;
	case GNTST_bad_page:
		return -EFAULT;
	case GNTST_eagain:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

static int xen_copy(struct xenio *x, uint32_t domid,
		    struct xenio_copy_seg *segs, unsigned n)
{
	xengnttab_grant_copy_segment_t batch[XEN_COPY_BATCH];
	unsigned idx[XEN_COPY_BATCH];
	xengnttab_grant_copy_segment_t *g;
	struct xenio_copy_seg *s;
	unsigned i = 0, j, k;
	int attempted = 0, rc;

	if (!x || (n && !segs) || domid > XEN_DOMID_MAX)
		return -EINVAL;
	while (i < n) {
		for (k = 0; i < n && k < XEN_COPY_BATCH; i++) {
			s = &segs[i];
			if ((unsigned)s->offset + s->len > XENIO_PAGE_SIZE ||
			    (s->len && !s->local)) {
				s->status = -EINVAL;
				continue;
			}
			g = &batch[k];
			memset(g, 0, sizeof(*g));
			if (s->to_guest) {
				g->source.virt = s->local;
				g->dest.foreign.ref = s->gref;
				g->dest.foreign.offset = s->offset;
				g->dest.foreign.domid = (uint16_t)domid;
				g->flags = GNTCOPY_dest_gref;
			} else {
				g->source.foreign.ref = s->gref;
				g->source.foreign.offset = s->offset;
				g->source.foreign.domid = (uint16_t)domid;
				g->dest.virt = s->local;
				g->flags = GNTCOPY_source_gref;
			}
			g->len = s->len;
			idx[k++] = i;
		}
		if (k == 0)
			continue;
		errno = 0;
		if (xengnttab_grant_copy(x->gt, k, batch) < 0) {
			/* The driver refused the whole call (old kernel,
			 * bad arguments): nothing more will work. */
			rc = xen_errno();
			for (j = 0; j < k; j++)
				segs[idx[j]].status = (int16_t)rc;
			for (; i < n; i++)
				segs[i].status = (int16_t)rc;
			TD_RL(TD_LOG_ERR, "xen", "grant copy for d%u: %s",
			      domid, strerror(-rc));
			return attempted ? 0 : rc;
		}
		attempted = 1;
		for (j = 0; j < k; j++)
			segs[idx[j]].status = xen_gntst_errno(batch[j].status);
	}
	return 0;
}

static int xen_evtchn_bind(struct xenio *x, uint32_t domid,
			   uint32_t remote_port, struct xenio_evtchn **out)
{
	struct xenio_evtchn *e;
	xenevtchn_port_or_error_t port;
	int rc;

	if (!x || !out || domid > XEN_DOMID_MAX)
		return -EINVAL;
	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	errno = 0;
	e->h = xenevtchn_open(NULL, 0);
	if (!e->h) {
		rc = xen_errno();
		TD_ERR("xen", "xenevtchn_open: %s", strerror(-rc));
		free(e);
		return rc;
	}
	errno = 0;
	port = xenevtchn_bind_interdomain(e->h, domid, remote_port);
	if (port < 0) {
		rc = xen_errno();
		TD_RL(TD_LOG_WARN, "xen", "d%u: bind to port %u: %s", domid,
		      remote_port, strerror(-rc));
		xenevtchn_close(e->h);
		free(e);
		return rc;
	}
	e->local = (evtchn_port_t)port;
	e->domid = domid;
	e->remote = remote_port;
	*out = e;
	return 0;
}

static void xen_evtchn_unbind(struct xenio_evtchn *e)
{
	if (!e)
		return;
	xenevtchn_unbind(e->h, e->local);
	xenevtchn_close(e->h);
	free(e);
}

static int xen_evtchn_fd(struct xenio_evtchn *e)
{
	return e ? xenevtchn_fd(e->h) : -EINVAL;
}

static int xen_evtchn_notify(struct xenio_evtchn *e)
{
	if (!e)
		return -EINVAL;
	errno = 0;
	if (xenevtchn_notify(e->h, e->local) < 0)
		return xen_errno();
	return 0;
}

/*
 * xenevtchn_pending() may block even on a non-blocking fd (see
 * xenevtchn.h), so poll first: ack() is also called "to poll".
 */
static int xen_evtchn_ack(struct xenio_evtchn *e)
{
	xenevtchn_port_or_error_t port;
	struct pollfd pfd;
	int n;

	if (!e)
		return -EINVAL;
	pfd.fd = xenevtchn_fd(e->h);
	pfd.events = POLLIN;
	pfd.revents = 0;
	n = poll(&pfd, 1, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0 || !(pfd.revents & POLLIN))
		return 0;
	errno = 0;
	port = xenevtchn_pending(e->h);
	if (port < 0)
		return errno == EAGAIN ? 0 : xen_errno();
	errno = 0;
	if (xenevtchn_unmask(e->h, (evtchn_port_t)port) < 0)
		return xen_errno();
	return (evtchn_port_t)port == e->local ? 1 : 0;
}

const struct xenio_ops xenio_xen_ops = {
	.name = "xen",
	.features = XENIO_F_MAP | XENIO_F_COPY,
	.open = xen_open,
	.close = xen_close,
	.map = xen_map,
	.unmap = xen_unmap,
	.copy = xen_copy,
	.evtchn_bind = xen_evtchn_bind,
	.evtchn_unbind = xen_evtchn_unbind,
	.evtchn_fd = xen_evtchn_fd,
	.evtchn_notify = xen_evtchn_notify,
	.evtchn_ack = xen_evtchn_ack,
};
