/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-tapback: the whole tapback state machine, in one process, against
 * the in-memory xenstore (xs-mem.c) and a fake tapdisk behind the tapdisk
 * seam. The test plays libxl (writes the backend and frontend directories
 * the way Xen 4.19 does for vbd3, then the block-tap hotplug nodes) and
 * blkfront (ring nodes, XenbusState), and checks what tapback writes and
 * which rings it asks tapdisk to connect.
 *
 * Here: the life cycle, variants (CD, read-only, discard off, identity
 * from physical-device-path), multi-queue, libxl detach, removed
 * directories, restart adoption, two domains at once, store failures, the
 * removable-media hook. test-tapback-parse.c: the parsers;
 * test-tapback-hostile.c: hostile frontends, toolstack garbage, odd
 * directories, tapdisk failures.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tapback-fix.h"

/* ---- a fake tapdisk ------------------------------------------------------- */

struct fake_vbd *fake_find(struct fake_td *td, pid_t pid,
			   uint32_t minor)
{
	unsigned i;

	for (i = 0; i < td->nvbd; i++)
		if (td->vbd[i].pid == pid && td->vbd[i].minor == minor)
			return &td->vbd[i];
	return NULL;
}

struct fake_vbd *fake_add(struct fake_td *td, pid_t pid,
			  uint32_t minor, uint64_t size)
{
	struct fake_vbd *v = &td->vbd[td->nvbd++];

	memset(v, 0, sizeof(*v));
	v->pid = pid;
	v->minor = minor;
	v->vi.minor = minor;
	v->vi.state = TD_VBD_S_OPEN;
	v->vi.size = size;
	v->vi.sector_size = 512;
	v->vi.phys_sector_size = 4096;
	v->vi.features = TD_FEAT_FLUSH | TD_FEAT_BARRIER | TD_FEAT_DISCARD;
	v->vi.max_indirect = 256;
	v->vi.media = size ? TD_MEDIA_PRESENT : 0;	/* matters for CDs only */
	return v;
}

unsigned fake_rings(struct fake_vbd *v)
{
	unsigned q, n = 0;

	for (q = 0; q < TD_MAX_RINGS; q++)
		n += v->connected[q] != 0;
	return n;
}

static int f_status(void *priv, pid_t pid, uint32_t minor,
		    struct tapback_vbd_info *vi)
{
	struct fake_td *td = priv;
	struct fake_vbd *v = fake_find(td, pid, minor);
	unsigned q;

	td->n_status++;
	td->msg[0] = '\0';	/* as libtapctl: each call starts clean */
	if (td->status_err) {
		snprintf(td->msg, sizeof(td->msg), "fake status failure");
		return td->status_err;
	}
	if (!v)
		return -ECONNREFUSED;
	*vi = v->vi;
	vi->nr_rings = 0;
	for (q = 0; q < TD_MAX_RINGS; q++)
		if (v->connected[q]) {
			struct tapback_ring_info *r = &vi->rings[vi->nr_rings++];

			r->domid = v->ring[q].domid;
			r->devid = v->ring[q].devid;
			r->queue = v->ring[q].queue;
			r->state = TD_RING_S_CONNECTED;
		}
	return 0;
}

static int f_connect(void *priv, pid_t pid, uint32_t minor,
		     const struct tapctl_ring *r)
{
	struct fake_td *td = priv;
	struct fake_vbd *v = fake_find(td, pid, minor);
	unsigned q;

	td->n_connect++;
	td->msg[0] = '\0';
	if (td->connect_err && (td->connect_fail_queue < 0 ||
				(uint32_t)td->connect_fail_queue == r->queue)) {
		snprintf(td->msg, sizeof(td->msg), "fake connect failure");
		return td->connect_err;
	}
	if (!v)
		return -ECONNREFUSED;
	if (r->queue >= TD_MAX_RINGS || r->ring_order > 4)
		return -EINVAL;
	/* as tapdisk: slots, keyed by (domid, devid, queue) */
	for (q = 0; q < TD_MAX_RINGS; q++)
		if (v->connected[q] && v->ring[q].domid == r->domid &&
		    v->ring[q].devid == r->devid && v->ring[q].queue == r->queue)
			return -EEXIST;
	for (q = 0; q < TD_MAX_RINGS && v->connected[q]; q++)
		;
	if (q == TD_MAX_RINGS)
		return -ENOSPC;
	v->connected[q] = 1;
	v->ring[q] = *r;
	return 0;
}

static int f_disconnect(void *priv, pid_t pid, uint32_t minor, uint32_t domid,
			uint32_t devid, int queue)
{
	struct fake_td *td = priv;
	struct fake_vbd *v = fake_find(td, pid, minor);
	unsigned q;

	td->n_disconnect++;
	td->msg[0] = '\0';
	if (!v)
		return -ECONNREFUSED;
	for (q = 0; q < TD_MAX_RINGS; q++)
		if (v->ring[q].domid == domid && v->ring[q].devid == devid &&
		    (queue < 0 || v->ring[q].queue == (uint32_t)queue))
			v->connected[q] = 0;
	return 0;
}

static const char *f_msg(void *priv)
{
	return ((struct fake_td *)priv)->msg;
}

static const struct tapback_td_ops fake_ops = {
	.name = "fake",
	.status = f_status,
	.ring_connect = f_connect,
	.ring_disconnect = f_disconnect,
	.last_message = f_msg,
};

/* ---- fixture: store + tapback + fake tapdisk ------------------------------ */

/* Run tapback until no watch event is left; a feedback loop fails. */
void settle(struct fix *f)
{
	int i;

	for (i = 0; i < 64; i++) {
		CHECK_EQ(tapback_run_events(&f->tb), 0);
		if (!xsm_pending(f->m))
			return;
	}
	CHECK(!"the store never settles");
}

void fix_start(struct fix *f)
{
	CHECK_EQ(tapback_init(&f->tb, &f->xs, &fake_ops, &f->td, "vbd3", 0, 4),
		 0);
	CHECK_EQ(tapback_start(&f->tb), 0);
	settle(f);
}

struct fix *fix_new(void)
{
	struct fix *f = calloc(1, sizeof(*f));

	f->m = xsm_new();
	xsm_bind(f->m, &f->xs);
	f->td.connect_fail_queue = -1;
	fix_start(f);
	return f;
}

void fix_free(struct fix *f)
{
	tapback_fini(&f->tb);
	CHECK_EQ(xsm_nwatches(f->m), 0);
	xsm_free(f->m);
	free(f);
}

const char *be(struct fix *f, unsigned dom, unsigned dev,
	       const char *node)
{
	return xsm_readf(f->m, BASE "/%u/%u/%s", dom, dev, node);
}

int be_is(struct fix *f, unsigned dom, unsigned dev, const char *node,
	  const char *want)
{
	const char *v = be(f, dom, dev, node);

	if (v && !strcmp(v, want))
		return 1;
	fprintf(stderr, "  d%u/%u %s = %s, want %s\n", dom, dev, node,
		v ? v : "(absent)", want);
	return 0;
}

unsigned long be_writes(struct fix *f, unsigned dom, unsigned dev,
			const char *node)
{
	char p[256];

	snprintf(p, sizeof(p), BASE "/%u/%u/%s", dom, dev, node);
	return xsm_write_count(f->m, p);
}

void fe_write(struct fix *f, unsigned dom, unsigned dev,
	      const char *node, const char *val)
{
	xsm_writef(f->m, val, "/local/domain/%u/device/vbd/%u/%s", dom, dev,
		   node);
}

void be_write(struct fix *f, unsigned dom, unsigned dev,
	      const char *node, const char *val)
{
	xsm_writef(f->m, val, BASE "/%u/%u/%s", dom, dev, node);
}

/* What libxl writes for a vbd3 disk (backend and frontend together). */
void toolstack_add(struct fix *f, unsigned dom, unsigned dev,
		   const char *mode, const char *type)
{
	char fe[128], bp[128], n[16];

	snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%u", dom, dev);
	snprintf(bp, sizeof(bp), BASE "/%u/%u", dom, dev);
	snprintf(n, sizeof(n), "%u", dom);
	fe_write(f, dom, dev, "backend", bp);
	fe_write(f, dom, dev, "backend-id", "0");
	fe_write(f, dom, dev, "state", "1");
	fe_write(f, dom, dev, "device-type", type);
	be_write(f, dom, dev, "frontend", fe);
	be_write(f, dom, dev, "frontend-id", n);
	be_write(f, dom, dev, "online", "1");
	be_write(f, dom, dev, "removable", "0");
	be_write(f, dom, dev, "bootable", "1");
	be_write(f, dom, dev, "state", "1");
	be_write(f, dom, dev, "dev", "xvda");
	be_write(f, dom, dev, "type", "vbd3");
	be_write(f, dom, dev, "mode", mode);
	be_write(f, dom, dev, "device-type", type);
	be_write(f, dom, dev, "discard-enable", "1");
	be_write(f, dom, dev, "params", "aio:/images/disk.img");
}

/* What block-tap writes once the tapdisk serves the image. */
void hotplug(struct fix *f, unsigned dom, unsigned dev, pid_t pid,
	     uint32_t minor)
{
	char v[64];

	snprintf(v, sizeof(v), "%d", pid);
	be_write(f, dom, dev, "pid", v);
	snprintf(v, sizeof(v), "%u", minor);
	be_write(f, dom, dev, "minor", v);
	snprintf(v, sizeof(v), "/run/blktap-control/nbd%d.%u", pid, minor);
	be_write(f, dom, dev, "physical-device-path", v);
	be_write(f, dom, dev, "hotplug-status", "connected");
}

/* What blkfront writes before Initialised: refs 100*(q+1)+i, evtchn 10+q.
 * order < 0: no ring-page-order node (single "ring-ref"). */
void frontend_rings(struct fix *f, unsigned dom, unsigned dev,
		    unsigned nq, int order, const char *proto)
{
	char node[64], v[32];
	unsigned q, i, nrefs = order < 0 ? 1 : 1u << order;

	if (proto)
		fe_write(f, dom, dev, "protocol", proto);
	if (order >= 0) {
		snprintf(v, sizeof(v), "%d", order);
		fe_write(f, dom, dev, "ring-page-order", v);
	}
	if (nq > 1) {
		snprintf(v, sizeof(v), "%u", nq);
		fe_write(f, dom, dev, "multi-queue-num-queues", v);
	}
	for (q = 0; q < nq; q++) {
		const char *pre = "";
		char qdir[32];

		if (nq > 1) {
			snprintf(qdir, sizeof(qdir), "queue-%u/", q);
			pre = qdir;
		}
		snprintf(node, sizeof(node), "%sevent-channel", pre);
		snprintf(v, sizeof(v), "%u", 10 + q);
		fe_write(f, dom, dev, node, v);
		for (i = 0; i < nrefs; i++) {
			if (order < 0)
				snprintf(node, sizeof(node), "%sring-ref", pre);
			else
				snprintf(node, sizeof(node), "%sring-ref%u",
					 pre, i);
			snprintf(v, sizeof(v), "%u", 100 * (q + 1) + i);
			fe_write(f, dom, dev, node, v);
		}
	}
}

/* A device of dom/dev served by (pid, minor), connected, frontend 4. */
void connected_device(struct fix *f, unsigned dom, unsigned dev,
		      pid_t pid, uint32_t minor)
{
	if (!fake_find(&f->td, pid, minor))
		fake_add(&f->td, pid, minor, GIB);
	toolstack_add(f, dom, dev, "w", "disk");
	settle(f);
	hotplug(f, dom, dev, pid, minor);
	frontend_rings(f, dom, dev, 1, -1, "x86_64-abi");
	fe_write(f, dom, dev, "state", "3");
	settle(f);
	fe_write(f, dom, dev, "state", "4");
	settle(f);
	CHECK(be_is(f, dom, dev, "state", "4"));
}

int failed(struct fix *f, unsigned dom, unsigned dev)
{
	const char *e = be(f, dom, dev, "hotplug-error");

	return be_is(f, dom, dev, "state", "5") &&
	       be_is(f, dom, dev, "hotplug-status", "error") && e && *e;
}

/* ---- tests ------------------------------------------------------------------ */

/* Device appears -> InitWait + probe nodes; hotplug + Initialised ->
 * RING_CONNECT, features, Connected; Closing; Closed; reconnect. */
static void t_lifecycle(void)
{
	struct fix *f = fix_new();
	struct fake_vbd *v = fake_add(&f->td, PID, 0, GIB);
	unsigned long w;

	toolstack_add(f, 1, 51712, "w", "disk");
	settle(f);
	CHECK(be_is(f, 1, 51712, "state", "2"));
	CHECK(be_is(f, 1, 51712, "max-ring-page-order", "4"));
	CHECK(be_is(f, 1, 51712, "multi-queue-max-queues", "4"));
	CHECK(be_is(f, 1, 51712, "feature-max-indirect-segments", "256"));
	CHECK(be_is(f, 1, 51712, "feature-persistent", "0"));
	CHECK(be_is(f, 1, 51712, "feature-flush-cache", "1"));
	CHECK(be_is(f, 1, 51712, "feature-barrier", "1"));
	CHECK(xsm_watched(f->m, "/local/domain/1/device/vbd/51712/state"));

	/* The frontend is faster than the hotplug script: wait for it. */
	frontend_rings(f, 1, 51712, 1, -1, "x86_64-abi");
	fe_write(f, 1, 51712, "state", "3");
	settle(f);
	CHECK(be_is(f, 1, 51712, "state", "2"));
	CHECK_EQ(f->td.n_connect, 0);

	/* The tapdisk is known, but the script has not finished. */
	be_write(f, 1, 51712, "pid", "4242");
	be_write(f, 1, 51712, "minor", "0");
	be_write(f, 1, 51712, "hotplug-status", "error");
	settle(f);
	CHECK_EQ(f->td.n_connect, 0);
	CHECK(be_is(f, 1, 51712, "state", "2"));

	hotplug(f, 1, 51712, PID, 0);
	settle(f);
	CHECK_EQ(f->td.n_connect, 1);
	CHECK_EQ(v->connected[0], 1);
	CHECK_EQ(v->ring[0].domid, 1);
	CHECK_EQ(v->ring[0].devid, 51712);
	CHECK_EQ(v->ring[0].queue, 0);
	CHECK_EQ(v->ring[0].ring_order, 0);
	CHECK_EQ(v->ring[0].ring_refs[0], 100);
	CHECK_EQ(v->ring[0].evtchn, 10);
	CHECK_EQ(v->ring[0].abi, BLKIF_ABI_X86_64);
	CHECK_EQ(v->ring[0].flags, 0);
	CHECK(be_is(f, 1, 51712, "state", "4"));
	CHECK(be_is(f, 1, 51712, "sectors", "2097152"));
	CHECK(be_is(f, 1, 51712, "sector-size", "512"));
	CHECK(be_is(f, 1, 51712, "physical-sector-size", "4096"));
	CHECK(be_is(f, 1, 51712, "info", "0"));
	CHECK(be_is(f, 1, 51712, "feature-flush-cache", "1"));
	CHECK(be_is(f, 1, 51712, "feature-barrier", "1"));
	CHECK(be_is(f, 1, 51712, "feature-discard", "1"));
	CHECK(be_is(f, 1, 51712, "discard-granularity", "4096"));
	CHECK(be_is(f, 1, 51712, "discard-alignment", "0"));
	CHECK(be_is(f, 1, 51712, "discard-secure", "0"));
	CHECK(be_is(f, 1, 51712, "hotplug-status", "connected"));
	CHECK(!be(f, 1, 51712, "hotplug-error"));

	/* Connected, SIGHUP: nothing is written again. */
	fe_write(f, 1, 51712, "state", "4");
	settle(f);
	w = be_writes(f, 1, 51712, "state");
	tapback_refresh(&f->tb);
	settle(f);
	CHECK_EQ(be_writes(f, 1, 51712, "state"), w);
	CHECK_EQ(f->td.n_connect, 1);

	fe_write(f, 1, 51712, "state", "5");
	settle(f);
	CHECK(be_is(f, 1, 51712, "state", "5"));
	CHECK_EQ(fake_rings(v), 1);	/* not before Closed */
	fe_write(f, 1, 51712, "state", "6");
	settle(f);
	CHECK(be_is(f, 1, 51712, "state", "6"));
	CHECK_EQ(fake_rings(v), 0);
	CHECK_EQ(f->td.n_disconnect, 1);

	/* The frontend comes back (guest reboot, module reload). */
	fe_write(f, 1, 51712, "state", "1");
	settle(f);
	CHECK(be_is(f, 1, 51712, "state", "2"));
	fe_write(f, 1, 51712, "state", "4");
	settle(f);
	CHECK(be_is(f, 1, 51712, "state", "4"));
	CHECK_EQ(f->td.n_connect, 2);
	CHECK_EQ(fake_rings(v), 1);
	fix_free(f);
}

/* Identity from physical-device-path only; no protocol node (x86_32);
 * ring-page-order=0 present (ring-ref0); a CD: read-only, CD bits,
 * media-present; mode=r with discard-enable=0: no discard nodes. */
static void t_variants(void)
{
	struct fix *f = fix_new();
	struct fake_vbd *v = fake_add(&f->td, 77, 3, 700ull << 20);
	struct fake_vbd *v2 = fake_add(&f->td, 78, 4, GIB);

	toolstack_add(f, 2, 5632, "r", "cdrom");
	be_write(f, 2, 5632, "physical-device-path",
		 "/run/blktap-control/nbd77.3");
	be_write(f, 2, 5632, "hotplug-status", "connected");
	frontend_rings(f, 2, 5632, 1, 0, NULL);
	fe_write(f, 2, 5632, "state", "3");
	settle(f);
	CHECK(be_is(f, 2, 5632, "state", "4"));
	CHECK_EQ(v->connected[0], 1);
	CHECK_EQ(v->ring[0].ring_refs[0], 100);
	CHECK_EQ(v->ring[0].abi, BLKIF_ABI_X86_32);
	CHECK_EQ(v->ring[0].flags, TD_F_RDONLY | TD_F_CDROM);
	CHECK(be_is(f, 2, 5632, "info", "7"));
	CHECK(be_is(f, 2, 5632, "media-present", "1"));
	CHECK(be_is(f, 2, 5632, "feature-discard", "0"));
	CHECK(!be(f, 2, 5632, "discard-granularity"));

	toolstack_add(f, 2, 51712, "r", "disk");
	be_write(f, 2, 51712, "discard-enable", "0");
	hotplug(f, 2, 51712, 78, 4);
	frontend_rings(f, 2, 51712, 1, -1, "x86_32-abi");
	fe_write(f, 2, 51712, "state", "3");
	settle(f);
	CHECK(be_is(f, 2, 51712, "state", "4"));
	CHECK(be_is(f, 2, 51712, "info", "4"));
	CHECK(!be(f, 2, 51712, "feature-discard"));
	CHECK(!be(f, 2, 51712, "media-present"));
	CHECK_EQ(v2->ring[0].flags, TD_F_RDONLY);

	/* Read-write, the toolstack turned discard off; a frontend that
	 * writes ring-page-order=0 with a plain ring-ref. */
	v = fake_add(&f->td, 79, 5, GIB);
	toolstack_add(f, 2, 51728, "w", "disk");
	be_write(f, 2, 51728, "discard-enable", "0");
	hotplug(f, 2, 51728, 79, 5);
	frontend_rings(f, 2, 51728, 1, -1, NULL);
	fe_write(f, 2, 51728, "ring-page-order", "0");
	fe_write(f, 2, 51728, "state", "3");
	settle(f);
	CHECK(be_is(f, 2, 51728, "state", "4"));
	CHECK(be_is(f, 2, 51728, "info", "0"));
	CHECK(!be(f, 2, 51728, "feature-discard"));
	CHECK(!be(f, 2, 51728, "discard-granularity"));
	CHECK_EQ(v->ring[0].ring_refs[0], 100);
	fix_free(f);
}

/* Four queues of four pages each. */
static void t_multiqueue(void)
{
	struct fix *f = fix_new();
	struct fake_vbd *v = fake_add(&f->td, PID, 1, GIB);
	unsigned q, i;

	toolstack_add(f, 3, 51712, "w", "disk");
	hotplug(f, 3, 51712, PID, 1);
	frontend_rings(f, 3, 51712, 4, 2, "x86_64-abi");
	fe_write(f, 3, 51712, "state", "3");
	settle(f);
	CHECK(be_is(f, 3, 51712, "state", "4"));
	CHECK_EQ(f->td.n_connect, 4);
	for (q = 0; q < 4; q++) {
		CHECK_EQ(v->connected[q], 1);
		CHECK_EQ(v->ring[q].queue, q);
		CHECK_EQ(v->ring[q].ring_order, 2);
		CHECK_EQ(v->ring[q].evtchn, 10 + q);
		for (i = 0; i < 4; i++)
			CHECK_EQ(v->ring[q].ring_refs[i], 100 * (q + 1) + i);
	}
	fe_write(f, 3, 51712, "state", "6");
	settle(f);
	CHECK_EQ(fake_rings(v), 0);
	CHECK(be_is(f, 3, 51712, "state", "6"));
	fix_free(f);
}

/* libxl detach: online=0 + state=5; frontend gone; never connected. */
static void t_detach(void)
{
	struct fix *f = fix_new();
	struct fake_vbd *v;

	connected_device(f, 1, 51712, PID, 0);
	v = fake_find(&f->td, PID, 0);
	be_write(f, 1, 51712, "online", "0");
	be_write(f, 1, 51712, "state", "5");
	settle(f);
	CHECK(be_is(f, 1, 51712, "state", "5"));
	CHECK_EQ(fake_rings(v), 1);
	fe_write(f, 1, 51712, "state", "5");	/* blkfront answers */
	settle(f);
	fe_write(f, 1, 51712, "state", "6");
	settle(f);
	CHECK(be_is(f, 1, 51712, "state", "6"));
	CHECK_EQ(fake_rings(v), 0);
	/* libxl writes Closing over our Closed: we say Closed again. */
	be_write(f, 1, 51712, "state", "5");
	settle(f);
	CHECK(be_is(f, 1, 51712, "state", "6"));

	/* A frontend that never connected (no blkfront loaded). */
	toolstack_add(f, 2, 51712, "w", "disk");
	hotplug(f, 2, 51712, PID + 1, 0);
	settle(f);
	CHECK(be_is(f, 2, 51712, "state", "2"));
	be_write(f, 2, 51712, "online", "0");
	be_write(f, 2, 51712, "state", "5");
	settle(f);
	CHECK(be_is(f, 2, 51712, "state", "6"));

	/* Detached while the frontend initialises: nothing is connected. */
	toolstack_add(f, 4, 51712, "w", "disk");
	hotplug(f, 4, 51712, PID + 3, 0);
	fake_add(&f->td, PID + 3, 0, GIB);
	settle(f);
	be_write(f, 4, 51712, "online", "0");
	frontend_rings(f, 4, 51712, 1, -1, NULL);
	fe_write(f, 4, 51712, "state", "3");
	settle(f);
	CHECK(be_is(f, 4, 51712, "state", "2"));
	CHECK_EQ(fake_rings(fake_find(&f->td, PID + 3, 0)), 0);

	/* The guest is destroyed: its frontend directory vanishes. */
	connected_device(f, 3, 51712, PID + 2, 0);
	v = fake_find(&f->td, PID + 2, 0);
	xsm_rm(f->m, "/local/domain/3");
	settle(f);
	CHECK(be_is(f, 3, 51712, "state", "6"));
	CHECK_EQ(fake_rings(v), 0);
	fix_free(f);
}

/* The toolstack removes the directory: forgotten, never recreated. */
static void t_removed(void)
{
	struct fix *f = fix_new();
	struct fake_vbd *v;

	connected_device(f, 1, 51712, PID, 0);
	connected_device(f, 1, 51728, PID, 1);
	connected_device(f, 2, 51712, PID, 2);
	v = fake_find(&f->td, PID, 0);
	xsm_rm(f->m, BASE "/1/51712");
	settle(f);
	CHECK(!tapback_find(&f->tb, 1, 51712));
	CHECK(!xsm_read(f->m, BASE "/1/51712"));
	CHECK(!xsm_watched(f->m, "/local/domain/1/device/vbd/51712/state"));
	CHECK_EQ(fake_rings(v), 0);
	CHECK(tapback_find(&f->tb, 1, 51728));

	/* Removed while tapback writes: the write must not recreate it. */
	connected_device(f, 3, 51712, PID, 3);
	xsm_rm_on_tx_start(f->m, BASE "/3/51712");
	fe_write(f, 3, 51712, "state", "5");
	settle(f);
	CHECK(!xsm_read(f->m, BASE "/3/51712"));
	CHECK(!tapback_find(&f->tb, 3, 51712));
	CHECK_EQ(fake_rings(fake_find(&f->td, PID, 3)), 0);

	xsm_rm(f->m, BASE "/1");	/* a whole domain */
	settle(f);
	CHECK(!tapback_find(&f->tb, 1, 51728));
	CHECK(!xsm_read(f->m, BASE "/1"));
	CHECK(tapback_find(&f->tb, 2, 51712));
	CHECK_EQ(f->tb.nr_devs, 1);
	CHECK_EQ(xsm_nwatches(f->m), 2);	/* base + the one frontend */
	fix_free(f);
}

/* tapback restarts: Connected devices whose rings tapdisk still has are
 * left alone; others are reconnected; what happened meanwhile is caught
 * up with. */
static void t_restart(void)
{
	struct fix *f = fix_new();
	struct fake_vbd *v;
	unsigned long w;

	connected_device(f, 1, 51712, PID, 0);
	v = fake_find(&f->td, PID, 0);
	w = be_writes(f, 1, 51712, "state");
	tapback_fini(&f->tb);
	fix_start(f);
	CHECK(be_is(f, 1, 51712, "state", "4"));
	CHECK_EQ(be_writes(f, 1, 51712, "state"), w);
	CHECK_EQ(f->td.n_connect, 1);
	CHECK(tapback_find(&f->tb, 1, 51712) &&
	      tapback_find(&f->tb, 1, 51712)->nr_rings == 1);

	/* tapdisk lost the ring while we were away: reconnect. */
	tapback_fini(&f->tb);
	memset(v->connected, 0, sizeof(v->connected));
	fix_start(f);
	CHECK(be_is(f, 1, 51712, "state", "4"));
	CHECK_EQ(be_writes(f, 1, 51712, "state"), w + 1);
	CHECK_EQ(f->td.n_connect, 2);
	CHECK_EQ(fake_rings(v), 1);

	/* Down while the hotplug ran and the frontend initialised. */
	tapback_fini(&f->tb);
	fake_add(&f->td, PID, 1, GIB);
	toolstack_add(f, 2, 51712, "w", "disk");
	be_write(f, 2, 51712, "state", "2");
	hotplug(f, 2, 51712, PID, 1);
	frontend_rings(f, 2, 51712, 1, -1, NULL);
	fe_write(f, 2, 51712, "state", "3");
	/* ... and while the first frontend closed. */
	fe_write(f, 1, 51712, "state", "5");
	xsm_drop_events(f->m);
	fix_start(f);
	CHECK(be_is(f, 2, 51712, "state", "4"));
	CHECK(be_is(f, 1, 51712, "state", "5"));
	fe_write(f, 1, 51712, "state", "6");
	settle(f);
	CHECK(be_is(f, 1, 51712, "state", "6"));
	CHECK_EQ(fake_rings(v), 0);

	/* A crash between RING_CONNECT and Connected left a ring behind:
	 * it is disconnected before the queues are connected again. */
	tapback_fini(&f->tb);
	v = fake_add(&f->td, PID, 5, GIB);
	v->connected[0] = 1;
	v->ring[0].domid = 4;
	v->ring[0].devid = 51712;
	toolstack_add(f, 4, 51712, "w", "disk");
	be_write(f, 4, 51712, "state", "2");
	hotplug(f, 4, 51712, PID, 5);
	frontend_rings(f, 4, 51712, 1, -1, NULL);
	fe_write(f, 4, 51712, "state", "3");
	xsm_drop_events(f->m);
	fix_start(f);
	CHECK(be_is(f, 4, 51712, "state", "4"));
	CHECK(!be(f, 4, 51712, "hotplug-error"));
	CHECK_EQ(fake_rings(v), 1);
	CHECK_EQ(v->ring[0].ring_refs[0], 100);
	fix_free(f);
}

/* dom0 attaching to itself and a guest, two tapdisks, at once. */
static void t_two_domains(void)
{
	struct fix *f = fix_new();
	struct fake_vbd *a = fake_add(&f->td, 100, 0, GIB);
	struct fake_vbd *b = fake_add(&f->td, 200, 1, 2 * GIB);

	toolstack_add(f, 0, 51712, "w", "disk");
	toolstack_add(f, 7, 51728, "w", "disk");
	settle(f);
	CHECK(be_is(f, 0, 51712, "state", "2"));
	CHECK(be_is(f, 7, 51728, "state", "2"));
	hotplug(f, 0, 51712, 100, 0);
	hotplug(f, 7, 51728, 200, 1);
	frontend_rings(f, 0, 51712, 1, -1, "x86_64-abi");
	frontend_rings(f, 7, 51728, 2, 1, "x86_64-abi");
	fe_write(f, 0, 51712, "state", "3");
	fe_write(f, 7, 51728, "state", "3");
	settle(f);
	CHECK(be_is(f, 0, 51712, "state", "4"));
	CHECK(be_is(f, 7, 51728, "state", "4"));
	CHECK(be_is(f, 7, 51728, "sectors", "4194304"));
	CHECK_EQ(a->ring[0].domid, 0);
	CHECK_EQ(b->ring[1].domid, 7);
	CHECK_EQ(fake_rings(a), 1);
	CHECK_EQ(fake_rings(b), 2);
	fe_write(f, 0, 51712, "state", "6");
	settle(f);
	CHECK_EQ(fake_rings(a), 0);
	CHECK_EQ(fake_rings(b), 2);
	CHECK(be_is(f, 7, 51728, "state", "4"));
	fix_free(f);
}

/* xl attaches the same file twice: block-tap reuses the minor, so two
 * devices share one VBD. Each connects, restarts and disconnects its own
 * rings only; detach works in either order. */
static unsigned dev_rings(struct fake_vbd *v, uint32_t domid, uint32_t devid)
{
	unsigned q, n = 0;

	for (q = 0; q < TD_MAX_RINGS; q++)
		n += v->connected[q] && v->ring[q].domid == domid &&
		     v->ring[q].devid == devid;
	return n;
}

/* The toolstack detaches (online=0, Closing), the frontend closes. */
static void toolstack_detach(struct fix *f, unsigned dom, unsigned dev)
{
	be_write(f, dom, dev, "online", "0");
	be_write(f, dom, dev, "state", "5");
	settle(f);
	fe_write(f, dom, dev, "state", "6");
	settle(f);
	CHECK(be_is(f, dom, dev, "state", "6"));
}

static void t_shared_minor(void)
{
	struct fix *f = fix_new();
	struct fake_vbd *v = fake_add(&f->td, PID, 2, GIB);
	unsigned long w;
	int order;

	for (order = 0; order < 2; order++) {
		uint32_t first = order ? 51728 : 51712;
		uint32_t second = order ? 51712 : 51728;

		toolstack_add(f, 0, 51712, "w", "disk");
		toolstack_add(f, 0, 51728, "w", "disk");
		settle(f);
		hotplug(f, 0, 51712, PID, 2);
		hotplug(f, 0, 51728, PID, 2);
		frontend_rings(f, 0, 51712, 2, 1, NULL);
		frontend_rings(f, 0, 51728, 2, 1, NULL);
		fe_write(f, 0, 51712, "state", "3");
		settle(f);
		fe_write(f, 0, 51728, "state", "3");
		settle(f);
		CHECK(be_is(f, 0, 51712, "state", "4"));
		CHECK(be_is(f, 0, 51728, "state", "4"));
		CHECK_EQ(dev_rings(v, 0, 51712), 2);
		CHECK_EQ(dev_rings(v, 0, 51728), 2);

		/* a restarted tapback leaves both alone */
		w = be_writes(f, 0, 51712, "state");
		tapback_fini(&f->tb);
		fix_start(f);
		CHECK_EQ(be_writes(f, 0, 51712, "state"), w);
		CHECK_EQ(fake_rings(v), 4);

		toolstack_detach(f, 0, first);
		CHECK_EQ(dev_rings(v, 0, first), 0);
		CHECK_EQ(dev_rings(v, 0, second), 2);
		CHECK(be_is(f, 0, second, "state", "4"));

		toolstack_detach(f, 0, second);
		CHECK_EQ(fake_rings(v), 0);
		xsm_rm(f->m, BASE "/0");
		settle(f);
		CHECK(!tapback_find(&f->tb, 0, 51712));
		CHECK(!tapback_find(&f->tb, 0, 51728));
	}
	fix_free(f);
}

/* feature-persistent: used when tapdisk offers it and the frontend asks. */
static void t_persistent(void)
{
	struct fix *f = fix_new();
	struct fake_vbd *v = fake_add(&f->td, PID, 0, GIB);
	struct fake_vbd *w = fake_add(&f->td, PID, 1, GIB);
	struct fake_vbd *x = fake_add(&f->td, PID, 2, GIB);

	v->vi.features |= TD_FEAT_PERSISTENT;	/* tapdisk --grant persistent */
	x->vi.features |= TD_FEAT_PERSISTENT;
	fe_write(f, 1, 51712, "feature-persistent", "1");
	connected_device(f, 1, 51712, PID, 0);
	CHECK_EQ(v->ring[0].flags, TD_F_PERSISTENT);
	CHECK(be_is(f, 1, 51712, "feature-persistent", "1"));
	/* tapdisk without it: the frontend's wish is not enough */
	fe_write(f, 1, 51728, "feature-persistent", "1");
	connected_device(f, 1, 51728, PID, 1);
	CHECK_EQ(w->ring[0].flags, 0);
	CHECK(be_is(f, 1, 51728, "feature-persistent", "0"));
	/* a frontend that does not ask (no node) */
	connected_device(f, 1, 51744, PID, 2);
	CHECK_EQ(x->ring[0].flags, 0);
	CHECK(be_is(f, 1, 51744, "feature-persistent", "1"));
	/* a value that is not a number fails the device */
	toolstack_add(f, 2, 51712, "w", "disk");
	settle(f);
	hotplug(f, 2, 51712, PID, 0);
	frontend_rings(f, 2, 51712, 1, -1, NULL);
	fe_write(f, 2, 51712, "feature-persistent", "yes");
	fe_write(f, 2, 51712, "state", "3");
	settle(f);
	CHECK(be_is(f, 2, 51712, "state", "5"));
	CHECK(failed(f, 2, 51712));
	fix_free(f);
}

/* Conflicting transactions are retried; failed writes retried later. */
static void t_store_failures(void)
{
	struct fix *f = fix_new();

	fake_add(&f->td, PID, 0, GIB);
	xsm_fail_writes(f->m, 1, -EIO);
	toolstack_add(f, 1, 1, "w", "disk");
	settle(f);
	CHECK(be_is(f, 1, 1, "state", "1"));	/* probe failed */
	hotplug(f, 1, 1, PID, 0);	/* the next event retries */
	settle(f);
	CHECK(be_is(f, 1, 1, "state", "2"));
	frontend_rings(f, 1, 1, 1, -1, NULL);
	xsm_fail_commits(f->m, 3);
	fe_write(f, 1, 1, "state", "3");
	settle(f);
	CHECK(be_is(f, 1, 1, "state", "4"));
	fix_free(f);
}

/* The removable-media hook. */
static void t_media(void)
{
	struct fix *f = fix_new();
	unsigned long w;

	fake_add(&f->td, PID, 0, 700ull << 20);
	toolstack_add(f, 4, 5632, "r", "cdrom");
	settle(f);
	CHECK_EQ(tapback_media_changed(&f->tb, 4, 5632, 0, 0), -ENOTCONN);
	CHECK_EQ(tapback_media_changed(&f->tb, 4, 9, 0, 0), -ENOENT);
	hotplug(f, 4, 5632, PID, 0);
	frontend_rings(f, 4, 5632, 1, -1, NULL);
	fe_write(f, 4, 5632, "state", "4");
	settle(f);
	CHECK(be_is(f, 4, 5632, "media-present", "1"));
	w = be_writes(f, 4, 5632, "state");
	CHECK_EQ(tapback_media_changed(&f->tb, 4, 5632, 0, 1234), 0);
	settle(f);
	CHECK(be_is(f, 4, 5632, "sectors", "0"));
	CHECK(be_is(f, 4, 5632, "media-present", "0"));
	CHECK(be_is(f, 4, 5632, "state", "4"));
	CHECK_EQ(be_writes(f, 4, 5632, "state"), w + 1);
	CHECK_EQ(tapback_media_changed(&f->tb, 4, 5632, 1, 4096), 0);
	settle(f);
	CHECK(be_is(f, 4, 5632, "sectors", "4096"));
	CHECK(be_is(f, 4, 5632, "media-present", "1"));
	fix_free(f);
}

/* Media changes made in tapdisk (tap-ctl eject/insert, guest eject) reach
 * xenstore through tapback_poll_media. */
static void t_media_poll(void)
{
	struct fix *f = fix_new();
	struct fake_vbd *v = fake_add(&f->td, PID, 0, 700ull << 20);
	unsigned long w;

	fake_add(&f->td, PID, 1, 1ull << 30);
	toolstack_add(f, 4, 5632, "r", "cdrom");
	toolstack_add(f, 4, 768, "w", "disk");
	hotplug(f, 4, 5632, PID, 0);
	hotplug(f, 4, 768, PID, 1);
	frontend_rings(f, 4, 5632, 1, -1, NULL);
	frontend_rings(f, 4, 768, 1, -1, NULL);
	fe_write(f, 4, 5632, "state", "4");
	fe_write(f, 4, 768, "state", "4");
	settle(f);
	CHECK_EQ(tapback_poll_media(&f->tb), 1);	/* the CD only */
	w = be_writes(f, 4, 5632, "state");
	CHECK_EQ(tapback_poll_media(&f->tb), 1);
	CHECK_EQ(be_writes(f, 4, 5632, "state"), w);	/* no change: nothing */
	/* eject */
	v->vi.media = TD_MEDIA_TRAY_OPEN;
	v->vi.size = 0;
	v->vi.state = 0;
	v->vi.media_gen++;
	tapback_poll_media(&f->tb);
	CHECK(be_is(f, 4, 5632, "sectors", "0"));
	CHECK(be_is(f, 4, 5632, "media-present", "0"));
	CHECK_EQ(be_writes(f, 4, 5632, "state"), w + 1);
	/* insert of another size */
	v->vi.media = TD_MEDIA_PRESENT;
	v->vi.size = 4096ull * 512;
	v->vi.state = TD_VBD_S_OPEN;
	v->vi.media_gen++;
	tapback_poll_media(&f->tb);
	CHECK(be_is(f, 4, 5632, "sectors", "4096"));
	CHECK(be_is(f, 4, 5632, "media-present", "1"));
	CHECK_EQ(be_writes(f, 4, 5632, "state"), w + 2);
	/* eject + insert between two polls still makes one rewrite */
	v->vi.media_gen += 2;
	tapback_poll_media(&f->tb);
	CHECK_EQ(be_writes(f, 4, 5632, "state"), w + 3);
	CHECK(be_is(f, 4, 768, "state", "4"));
	{	/* xentop finds the stats file through kthread-pid */
		char pid[16];

		snprintf(pid, sizeof(pid), "%d", (int)PID);
		CHECK(be_is(f, 4, 768, "kthread-pid", pid));
	}
	fix_free(f);
}

int main(void)
{
	int count = 0, failures = 0;

	td_log_set_level(getenv("TAPBACK_TEST_VERBOSE") ? TD_LOG_DEBUG :
			 (enum td_log_level)0);
	test_tapback_parse(&count, &failures);
	test_tapback_hostile(&count, &failures);
	t_lifecycle();
	t_variants();
	t_multiqueue();
	t_detach();
	t_removed();
	t_restart();
	t_two_domains();
	t_shared_minor();
	t_persistent();
	t_store_failures();
	t_media();
	t_media_poll();
	check_count += count;
	check_failures += failures;
	return check_exit("test-tapback");
}
