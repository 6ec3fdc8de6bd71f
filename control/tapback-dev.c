/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tapback-dev: the device set and the per-device state machine.
 *
 * Level-triggered: a watch event only marks a device dirty; a pass then
 * re-reads the device's backend directory and its frontend's state and
 * acts on what is there now, like Linux blkback's frontend_changed() but
 * without depending on seeing every intermediate value. Our own writes
 * fire the base watch too; a pass that finds nothing to change writes
 * nothing, so the store settles.
 *
 * Transitions (frontend state -> action), as Linux xen-blkback:
 *
 *   Unknown (gone)    disconnect rings, Closed
 *   Initialising      InitWait again if we are Closed (and online)
 *   Initialised,
 *   Connected         once hotplug-status=connected and the tapdisk is
 *                     known: read the rings, RING_CONNECT each queue,
 *                     publish the features and Connected in one
 *                     transaction
 *   Closing           Closing
 *   Closed            disconnect rings (tapdisk drains them), Closed
 *   anything else     fatal
 *
 * A new device goes InitWait at once (libxl waits for it before running
 * the hotplug script). online=0 with a frontend that is gone, closed or
 * never connected ends in Closed; nothing ever removes a directory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tapback.h"

#define BE_TOKEN "be"
#define FE_TOKEN "fe"		/* per device: "fe/<domid>/<devid>" */

/* ---- state changes -------------------------------------------------------- */

static int tx_state(struct tapback *tb, struct tapback_dev *d, tapback_tx_t t,
		    const void *arg)
{
	return tapback_write_node(tb, t, d->path, "state", "%d",
				  *(const enum xenbus_state *)arg);
}

/* Go to state s: written unless both our last state and the node (which
 * the toolstack may write too: libxl writes Closing to detach) are s. */
static void dev_switch(struct tapback *tb, struct tapback_dev *d,
		       const struct tapback_be *be, enum xenbus_state s)
{
	int rc;

	if (d->state == s && (!be->have_state || be->state == s))
		return;
	rc = tapback_dev_tx(tb, d, tx_state, &s);
	if (rc < 0) {
		if (rc != -ENOENT)
			TD_ERR(d->prefix, "cannot write state %s: %s",
			       tapback_state_name(s), strerror(-rc));
		return;
	}
	if (d->state == s)
		TD_INFO(d->prefix, "%s again (the node said %s)",
			tapback_state_name(s), tapback_state_name(be->state));
	else
		TD_INFO(d->prefix, "%s -> %s (frontend %s)",
			tapback_state_name(d->state), tapback_state_name(s),
			tapback_state_name(d->fe_state));
	d->state = s;
	d->verify = 0;
}

static int tx_fatal(struct tapback *tb, struct tapback_dev *d, tapback_tx_t t,
		    const void *arg)
{
	int rc;

	rc = tapback_write_node(tb, t, d->path, "hotplug-error", "%s",
				(const char *)arg);
	if (rc == 0)
		rc = tapback_write_node(tb, t, d->path, "hotplug-status", "error");
	if (rc == 0)
		rc = tapback_write_node(tb, t, d->path, "state", "%d",
					XenbusStateClosing);
	return rc;
}

/*
 * A fatal error, the Xen way: hotplug-error says why, hotplug-status is
 * "error" and, as xenbus_dev_fatal() does, the backend goes Closing. The
 * device stays failed (no new connect) until its frontend closes or
 * re-initialises. Logged rate-limited: a guest can cause this at will.
 */
static void __attribute__((format(printf, 4, 5)))
dev_fatal(struct tapback *tb, struct tapback_dev *d, int err,
	  const char *fmt, ...)
{
	char msg[TAPBACK_MSG_MAX];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	td_log_rl(&d->rl, TD_LOG_ERR, d->prefix, "%s (%s)", msg,
		  strerror(err < 0 ? -err : err));
	if (d->failed)
		return;
	d->failed = 1;
	rc = tapback_dev_tx(tb, d, tx_fatal, msg);
	if (rc == 0) {
		TD_INFO(d->prefix, "%s -> Closing (error reported)",
			tapback_state_name(d->state));
		d->state = XenbusStateClosing;
	} else if (rc != -ENOENT)
		TD_ERR(d->prefix, "cannot report the error: %s", strerror(-rc));
}

/* Probe: what the frontend needs before it connects, then InitWait. */
static int dev_init_wait(struct tapback *tb, struct tapback_dev *d)
{
	int rc = tapback_dev_tx(tb, d, tapback_tx_probe, NULL);

	if (rc < 0) {
		if (rc != -ENOENT)
			TD_ERR(d->prefix, "cannot write the probe nodes: %s",
			       strerror(-rc));
		return rc;
	}
	TD_INFO(d->prefix, "%s -> InitWait", tapback_state_name(d->state));
	d->state = XenbusStateInitWait;
	return 0;
}

/* ---- the tapdisk side ----------------------------------------------------- */

static const char *td_reason(struct tapback *tb)
{
	const char *m = tb->td->last_message ?
			tb->td->last_message(tb->td_priv) : NULL;

	return m ? m : "";
}

/* Disconnect every ring tapdisk may hold for d (it finishes their
 * in-flight requests first). Idempotent. */
static void dev_disconnect(struct tapback *tb, struct tapback_dev *d)
{
	int rc;

	if ((!d->nr_rings && !d->rings_unknown) || !d->pid)
		goto out;
	rc = tb->td->ring_disconnect(tb->td_priv, d->pid, d->minor, d->domid,
				     d->devid, -1);
	if (rc < 0)
		td_log_rl(&d->rl, TD_LOG_WARN, d->prefix,
			  "tapdisk %d minor %u: disconnecting: %s%s%s", d->pid,
			  d->minor, strerror(-rc), *td_reason(tb) ? ": " : "",
			  td_reason(tb));
	else
		TD_INFO(d->prefix, "rings disconnected");
out:
	d->nr_rings = 0;
	d->rings_unknown = 0;
}

/* Frontend Initialised / Connected, hotplug done: connect every queue. */
static void dev_connect(struct tapback *tb, struct tapback_dev *d,
			const struct tapback_be *be)
{
	char msg[TAPBACK_MSG_MAX];
	struct tapback_vbd_info vi;
	struct tapback_fe fe;
	struct tapback_publish pb = { be, &vi };
	uint32_t q;
	int rc;

	rc = tapback_read_frontend(tb, d, &fe, msg);
	if (rc < 0) {
		dev_fatal(tb, d, rc, "%s", msg);
		return;
	}
	rc = tb->td->status(tb->td_priv, d->pid, d->minor, &vi);
	if (rc < 0) {
		dev_fatal(tb, d, rc, "tapdisk %d minor %u: status: %s%s%s",
			  d->pid, d->minor, strerror(-rc),
			  *td_reason(tb) ? ": " : "", td_reason(tb));
		return;
	}
	if (!(vi.state & TD_VBD_S_OPEN)) {
		dev_fatal(tb, d, -ENXIO, "tapdisk %d minor %u has no image open",
			  d->pid, d->minor);
		return;
	}
	/* A read-only device (mode=r) on an image block-tap opened read-write
	 * is fine: tapdisk enforces TD_F_RDONLY on this device's rings. */

	/* Start clean (tapdisk refuses a queue that is connected already),
	 * as blkback enforces its precondition with xen_blkif_disconnect().
	 * Rings of other devices sharing the minor are not ours. */
	for (q = 0; q < vi.nr_rings; q++)
		if (vi.rings[q].domid == d->domid &&
		    vi.rings[q].devid == d->devid)
			d->rings_unknown = 1;
	dev_disconnect(tb, d);

	for (q = 0; q < fe.nr_queues; q++) {
		struct tapctl_ring r;

		memset(&r, 0, sizeof(r));
		r.domid = d->domid;
		r.devid = d->devid;
		r.queue = q;
		r.ring_order = fe.ring_order;
		memcpy(r.ring_refs, fe.q[q].refs, sizeof(r.ring_refs));
		r.evtchn = fe.q[q].evtchn;
		r.abi = fe.abi;
		/* persistent grants when both sides offer them, as blkback;
		 * tapdisk offers them when it runs with --grant persistent */
		r.flags = (d->readonly ? TD_F_RDONLY : 0) |
			  (d->cdrom ? TD_F_CDROM : 0) |
			  (fe.persistent && (vi.features & TD_FEAT_PERSISTENT) ?
				   TD_F_PERSISTENT : 0);
		d->rings_unknown = 1;	/* a failure may leave it half done */
		rc = tb->td->ring_connect(tb->td_priv, d->pid, d->minor, &r);
		if (rc < 0) {
			/* tapdisk's reason, before the disconnect replaces it */
			snprintf(msg, sizeof(msg), "%s", td_reason(tb));
			dev_disconnect(tb, d);
			dev_fatal(tb, d, rc, "tapdisk %d minor %u: connecting "
				  "queue %u: %s%s%s", d->pid, d->minor, q,
				  strerror(-rc), *msg ? ": " : "", msg);
			return;
		}
		d->rings_unknown = 0;
		d->nr_rings = q + 1;
	}

	rc = tapback_dev_tx(tb, d, tapback_tx_publish, &pb);
	if (rc < 0) {
		dev_disconnect(tb, d);
		if (rc != -ENOENT)
			dev_fatal(tb, d, rc, "publishing the device: %s",
				  strerror(-rc));
		return;
	}
	d->sectors = vi.size >> 9;
	TD_INFO(d->prefix, "%s -> Connected: tapdisk %d minor %u, %u queue(s) "
		"of %u page(s), %s, %llu sectors", tapback_state_name(d->state),
		d->pid, d->minor, fe.nr_queues, 1u << fe.ring_order,
		blkif_abi_name(fe.abi), (unsigned long long)d->sectors);
	d->state = XenbusStateConnected;
	d->verify = 0;
}

/* After a restart, for a device found Connected: does tapdisk still serve
 * every queue the frontend offers? Then leave it alone. */
static int dev_still_connected(struct tapback *tb, struct tapback_dev *d,
			       const struct tapback_be *be)
{
	char msg[TAPBACK_MSG_MAX];
	struct tapback_vbd_info vi;
	struct tapback_fe fe;
	uint32_t i, n = 0;

	if (!be->have_td)
		return 0;
	if (tb->td->status(tb->td_priv, d->pid, d->minor, &vi) < 0 ||
	    tapback_read_frontend(tb, d, &fe, msg) < 0)
		return 0;
	for (i = 0; i < vi.nr_rings; i++)
		if (vi.rings[i].domid == d->domid &&
		    vi.rings[i].devid == d->devid &&
		    (vi.rings[i].state & TD_RING_S_CONNECTED))
			n++;
	if (n != fe.nr_queues)	/* other devices may share the minor */
		return 0;
	d->nr_rings = n;
	d->rings_unknown = 0;
	d->sectors = vi.size >> 9;
	TD_INFO(d->prefix, "still connected: tapdisk %d minor %u, %u queue(s)",
		d->pid, d->minor, n);
	return 1;
}

/* ---- the state machine ---------------------------------------------------- */

/* First sighting: probe and InitWait, or adopt the state we find (a
 * restarted tapback). */
static void dev_probe(struct tapback *tb, struct tapback_dev *d,
		      const struct tapback_be *be)
{
	if (!be->have_state || be->state == XenbusStateUnknown ||
	    be->state == XenbusStateInitialising) {
		/* On failure the next event tries again. */
		d->probed = dev_init_wait(tb, d) == 0;
		return;
	}
	d->probed = 1;
	d->state = be->state;
	if (d->state == XenbusStateConnected ||
	    d->state == XenbusStateClosing) {
		d->rings_unknown = 1;
		d->verify = d->state == XenbusStateConnected;
	}
	TD_INFO(d->prefix, "found in state %s", tapback_state_name(d->state));
}

static void dev_step(struct tapback *tb, struct tapback_dev *d,
		     const struct tapback_be *be, enum xenbus_state fe)
{
	switch (fe) {
	case XenbusStateUnknown:
		/* No state node: not written yet, or the frontend is gone. */
		if (!d->fe_seen && !d->rings_unknown && !d->nr_rings &&
		    be->online)
			break;
		/* fall through */
	case XenbusStateClosed:
		dev_disconnect(tb, d);
		d->failed = 0;
		dev_switch(tb, d, be, XenbusStateClosed);
		break;
	case XenbusStateInitialising:
		if (!be->online && be->state == XenbusStateClosing) {
			/* Detached before the frontend ever connected. */
			dev_disconnect(tb, d);
			dev_switch(tb, d, be, XenbusStateClosed);
		} else if (d->state == XenbusStateClosed && be->online) {
			TD_INFO(d->prefix, "frontend re-initialising");
			d->failed = 0;
			dev_init_wait(tb, d);
		}
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (d->state == XenbusStateConnected && d->verify) {
			d->verify = 0;
			if (!dev_still_connected(tb, d, be)) {
				TD_INFO(d->prefix, "tapdisk lost the rings: "
					"reconnecting");
				d->state = XenbusStateInitWait;
			}
		}
		if (d->state == XenbusStateConnected || d->failed ||
		    !be->online)
			break;
		if (!d->hotplug_ok || !d->pid) {
			TD_DBG(d->prefix, "frontend %s, waiting for the hotplug "
			       "script", tapback_state_name(fe));
			break;
		}
		dev_connect(tb, d, be);
		break;
	case XenbusStateClosing:
		dev_switch(tb, d, be, XenbusStateClosing);
		break;
	default:
		dev_fatal(tb, d, -EINVAL, "saw state %d at the frontend", fe);
		break;
	}
}

static int dev_watch_frontend(struct tapback *tb, struct tapback_dev *d,
			      const char *fe_path)
{
	char path[TAPBACK_PATH_MAX];
	int rc;

	if (d->fe_path && !strcmp(d->fe_path, fe_path))
		return 0;
	if (d->fe_watched) {
		snprintf(path, sizeof(path), "%s/state", d->fe_path);
		tb->xs.ops->unwatch(tb->xs.priv, path, d->token);
		d->fe_watched = 0;
	}
	free(d->fe_path);
	d->fe_path = strdup(fe_path);
	d->fe_seen = 0;
	if (!d->fe_path)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/state", fe_path);
	rc = tb->xs.ops->watch(tb->xs.priv, path, d->token);
	if (rc < 0)
		return rc;
	d->fe_watched = 1;
	return 0;
}

/* One pass over one device. */
static void dev_update(struct tapback *tb, struct tapback_dev *d)
{
	char msg[TAPBACK_MSG_MAX] = "";
	struct tapback_be *be;
	enum xenbus_state fe;
	int rc;

	be = malloc(sizeof(*be));
	if (!be) {
		d->dirty = 1;	/* try again at the next event */
		return;
	}
	rc = tapback_read_backend(tb, d, be, msg);
	if (rc == -ENOENT) {
		d->gone = 1;
		goto out;
	}
	if (rc < 0) {
		dev_fatal(tb, d, rc, "%s", msg);
		goto out;
	}
	d->cdrom = !!be->cdrom;
	d->readonly = be->ro || be->cdrom;
	if (be->hp == TAPBACK_HP_CONNECTED)
		d->hotplug_ok = 1;
	/* The tapdisk is fixed while it may hold rings of ours. */
	if (be->have_td && !d->nr_rings && !d->rings_unknown) {
		d->pid = be->pid;
		d->minor = be->minor;
	}
	if (!d->probed)
		dev_probe(tb, d, be);
	if (d->gone || !d->probed || !be->have_fe)
		goto out;	/* the toolstack has not written it yet */

	rc = dev_watch_frontend(tb, d, be->fe_path);
	if (rc < 0) {
		dev_fatal(tb, d, rc, "cannot watch the frontend: %s",
			  strerror(-rc));
		goto out;
	}
	rc = tapback_read_fe_state(tb, d, &fe, msg);
	if (rc < 0) {
		dev_fatal(tb, d, rc, "%s", msg);
		goto out;
	}
	d->fe_state = fe;
	dev_step(tb, d, be, fe);
out:
	free(be);
}

/* ---- the device set ------------------------------------------------------- */

struct tapback_dev *tapback_find(struct tapback *tb, uint32_t domid,
				 uint32_t devid)
{
	struct tapback_dev *d;

	for (d = tb->devs; d; d = d->next)
		if (d->domid == domid && d->devid == devid)
			return d;
	return NULL;
}

static struct tapback_dev *dev_get(struct tapback *tb, uint32_t domid,
				   uint32_t devid)
{
	struct tapback_dev *d = tapback_find(tb, domid, devid);

	if (d)
		return d;
	d = calloc(1, sizeof(*d));
	if (!d) {
		TD_ERR(NULL, "d%u/%u: out of memory", domid, devid);
		return NULL;
	}
	d->domid = domid;
	d->devid = devid;
	snprintf(d->prefix, sizeof(d->prefix), "d%u/%u", domid, devid);
	snprintf(d->path, sizeof(d->path), "%s/%u/%u", tb->base, domid, devid);
	snprintf(d->token, sizeof(d->token), FE_TOKEN "/%u/%u", domid, devid);
	d->state = XenbusStateUnknown;
	d->fe_state = XenbusStateUnknown;
	d->dirty = 1;
	d->next = tb->devs;
	tb->devs = d;
	tb->nr_devs++;
	TD_DBG(d->prefix, "new device %s", d->path);
	return d;
}

/* Unlink and free d; disconnect its rings only when asked (a device whose
 * directory is gone), never on exit (a restarted tapback adopts them). */
static void dev_free(struct tapback *tb, struct tapback_dev *d, int disconnect)
{
	struct tapback_dev **pp;
	char path[TAPBACK_PATH_MAX];

	for (pp = &tb->devs; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			tb->nr_devs--;
			break;
		}
	if (d->fe_watched) {
		snprintf(path, sizeof(path), "%s/state", d->fe_path);
		tb->xs.ops->unwatch(tb->xs.priv, path, d->token);
	}
	if (disconnect) {
		dev_disconnect(tb, d);
		if (d->probed)
			TD_INFO(d->prefix, "directory removed, device "
				"forgotten");
	}
	free(d->fe_path);
	free(d);
}

/* List base (and every base/<domid>): new devices are created, devices no
 * longer listed are marked for a pass that will find them gone. */
static void scan_all(struct tapback *tb)
{
	struct tapback_dev *d;
	char **doms = NULL, **devs, path[TAPBACK_PATH_MAX];
	unsigned nd = 0, nv, i, j;
	uint32_t domid, devid;
	int rc;

	for (d = tb->devs; d; d = d->next)
		d->seen = 0;
	rc = tb->xs.ops->directory(tb->xs.priv, 0, tb->base, &doms, &nd);
	if (rc < 0 && rc != -ENOENT)
		TD_ERR(NULL, "listing %s: %s", tb->base, strerror(-rc));
	for (i = 0; rc == 0 && i < nd; i++) {
		/* Names that are not ids are not ours: skip them. */
		if (tapback_parse_u32(doms[i], TAPBACK_MAX_DOMID, &domid) < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%u", tb->base, domid);
		if (tb->xs.ops->directory(tb->xs.priv, 0, path, &devs, &nv) < 0)
			continue;
		for (j = 0; j < nv; j++) {
			if (tapback_parse_u32(devs[j], UINT32_MAX, &devid) < 0)
				continue;
			d = dev_get(tb, domid, devid);
			if (d)
				d->seen = 1;
		}
		free(devs);
	}
	if (rc == 0)
		free(doms);
	for (d = tb->devs; d; d = d->next)
		if (!d->seen)
			d->dirty = 1;
}

static void on_event(struct tapback *tb, const char *path, const char *token)
{
	struct tapback_dev *d;
	uint32_t domid = 0, devid = 0;
	int depth;

	if (!strcmp(token, BE_TOKEN)) {
		if (tapback_parse_be_path(tb->base, path, &domid, &devid,
					  &depth) < 0) {
			TD_DBG(NULL, "ignoring event for %s", path);
			return;
		}
		if (depth < 2) {
			tb->rescan = 1;
			return;
		}
		d = dev_get(tb, domid, devid);
		if (d)
			d->dirty = 1;
		return;
	}
	/* "fe/<domid>/<devid>": a frontend state changed */
	if (tapback_parse_be_path(FE_TOKEN, token, &domid, &devid, &depth) < 0 ||
	    depth != 2)
		return;
	d = tapback_find(tb, domid, devid);
	if (d)
		d->dirty = 1;
}

int tapback_run_events(struct tapback *tb)
{
	struct tapback_dev *d, *next;
	char *path, token[64];
	int rc = 0;

	path = malloc(TAPBACK_PATH_MAX);
	if (!path)
		return -ENOMEM;
	/* Drain everything (libxenstore may clear the fd's readiness on the
	 * first read); events only mark devices, so this is cheap. */
	for (;;) {
		rc = tb->xs.ops->read_watch(tb->xs.priv, path, TAPBACK_PATH_MAX,
					    token, sizeof(token));
		if (rc == -EAGAIN) {
			rc = 0;
			break;
		}
		if (rc == -E2BIG)
			continue;
		if (rc < 0)
			goto out;
		on_event(tb, path, token);
	}
	if (tb->rescan) {
		tb->rescan = 0;
		scan_all(tb);
	}
	for (d = tb->devs; d; d = next) {
		next = d->next;
		if (!d->dirty)
			continue;
		d->dirty = 0;
		dev_update(tb, d);
		if (d->gone)
			dev_free(tb, d, 1);
	}
out:
	free(path);
	return rc;
}

void tapback_refresh(struct tapback *tb)
{
	struct tapback_dev *d;

	for (d = tb->devs; d; d = d->next)
		d->dirty = 1;
	tb->rescan = 1;
}

/* ---- life cycle ----------------------------------------------------------- */

int tapback_init(struct tapback *tb, const struct tapback_xs *xs,
		 const struct tapback_td_ops *td, void *td_priv,
		 const char *kind, uint32_t self_domid, uint32_t max_queues)
{
	long cpus;

	memset(tb, 0, sizeof(*tb));
	if (!xs || !xs->ops || !td || tapback_parse_kind(kind) < 0 ||
	    self_domid > TAPBACK_MAX_DOMID)
		return -EINVAL;
	tb->xs = *xs;
	tb->td = td;
	tb->td_priv = td_priv;
	snprintf(tb->kind, sizeof(tb->kind), "%s", kind);
	tb->self_domid = self_domid;
	snprintf(tb->base, sizeof(tb->base), "/local/domain/%u/backend/%s",
		 self_domid, kind);
	if (!max_queues) {
		/* As Linux blkback: one queue per CPU, capped by tapdisk. */
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		max_queues = cpus > 0 ? (uint32_t)cpus : 1;
	}
	tb->max_queues = max_queues > TAPBACK_MAX_QUEUES ? TAPBACK_MAX_QUEUES :
			 max_queues;
	return 0;
}

int tapback_start(struct tapback *tb)
{
	int rc = tb->xs.ops->watch(tb->xs.priv, tb->base, BE_TOKEN);

	if (rc < 0)
		return rc;
	tb->started = 1;
	tb->rescan = 1;
	TD_DBG(NULL, "watching %s (up to %u queues per device)", tb->base,
	       tb->max_queues);
	return 0;
}

void tapback_fini(struct tapback *tb)
{
	while (tb->devs)
		dev_free(tb, tb->devs, 0);
	if (tb->started)
		tb->xs.ops->unwatch(tb->xs.priv, tb->base, BE_TOKEN);
	tb->started = 0;
}
