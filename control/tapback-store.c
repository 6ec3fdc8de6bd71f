/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tapback-store: what a device's xenstore nodes mean, through the seam:
 * validated reads of the backend and frontend directories, and the nodes
 * tapback writes (probe, features, media), always in transactions.
 *
 * Every value is read once into a private buffer and validated by the
 * pure parsers of tapback-parse.c; the frontend directory is written by
 * the guest and is hostile: nothing it holds is echoed back unsanitized.
 * Every write goes through tapback_dev_tx(), which first checks that the
 * backend directory still exists, so that a device the toolstack removed
 * is never recreated by a late write (xenstore creates the parents of a
 * node it writes).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapback.h"

/* ---- xenstore helpers ---------------------------------------------------- */

static int node_path(char *buf, size_t cap, const char *dir, const char *node)
{
	int n = snprintf(buf, cap, "%s/%s", dir, node);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Read dir/node into buf: *val = buf, or NULL when the node is absent. */
static int read_opt(struct tapback *tb, tapback_tx_t t, const char *dir,
		    const char *node, char *buf, size_t cap, const char **val)
{
	char path[TAPBACK_PATH_MAX];
	int rc = node_path(path, sizeof(path), dir, node);

	if (rc == 0)
		rc = tb->xs.ops->read(tb->xs.priv, t, path, buf, cap);
	if (rc == -ENOENT) {
		*val = NULL;
		return 0;
	}
	if (rc < 0)
		return rc;
	*val = buf;
	return 0;
}

int tapback_write_node(struct tapback *tb, tapback_tx_t t, const char *dir,
		       const char *node, const char *fmt, ...)
{
	char path[TAPBACK_PATH_MAX], val[TAPBACK_MSG_MAX];
	va_list ap;
	int rc = node_path(path, sizeof(path), dir, node);

	if (rc < 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return tb->xs.ops->write(tb->xs.priv, t, path, val);
}

int tapback_dev_tx(struct tapback *tb, struct tapback_dev *d,
		   tapback_tx_fn fn, const void *arg)
{
	const struct tapback_xs_ops *o = tb->xs.ops;
	int tries, rc = -EAGAIN;

	for (tries = 0; tries < TAPBACK_TX_RETRIES; tries++) {
		tapback_tx_t t;
		char **names;
		unsigned n;

		rc = o->tx_start(tb->xs.priv, &t);
		if (rc < 0)
			return rc;
		rc = o->directory(tb->xs.priv, t, d->path, &names, &n);
		if (rc == 0) {
			free(names);
			rc = fn(tb, d, t, arg);
		}
		if (rc < 0) {
			o->tx_end(tb->xs.priv, t, 1);
			if (rc == -ENOENT)
				d->gone = 1;
			return rc;
		}
		rc = o->tx_end(tb->xs.priv, t, 0);
		if (rc != -EAGAIN)
			return rc;
	}
	return rc;
}

/* Guest-supplied text for a log line or hotplug-error: printable, short. */
static const char *sanitize(const char *in, char *out, size_t cap)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < cap; i++)
		out[i] = (in[i] > ' ' && in[i] < 0x7f) ? in[i] : '?';
	out[i] = '\0';
	return out;
}

static void set_msg(char *msg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_msg(char *msg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, TAPBACK_MSG_MAX, fmt, ap);
	va_end(ap);
}

/* ---- reading the backend directory ----------------------------------------- */

/* Read and parse an optional scalar node; *val NULL when absent. */
static int read_val(struct tapback *tb, const char *dir, const char *node,
		    char *buf, const char **val, char *msg)
{
	int rc = read_opt(tb, 0, dir, node, buf, TAPBACK_VAL_MAX, val);

	if (rc == -E2BIG || rc == -EILSEQ)
		set_msg(msg, "%s/%s: value too long or not text", dir, node);
	else if (rc < 0 && rc != -ENOENT)
		set_msg(msg, "reading %s/%s: %s", dir, node, strerror(-rc));
	return rc == -E2BIG || rc == -EILSEQ ? -EINVAL : rc;
}

int tapback_read_backend(struct tapback *tb, struct tapback_dev *d,
			 struct tapback_be *be, char *msg)
{
	char buf[TAPBACK_VAL_MAX], buf2[TAPBACK_VAL_MAX], path[TAPBACK_PATH_MAX];
	const char *v, *v2, *p = d->path;
	char **names;
	unsigned n;
	uint32_t fid;
	int rc;

	memset(be, 0, sizeof(*be));
	rc = tb->xs.ops->directory(tb->xs.priv, 0, p, &names, &n);
	if (rc == -ENOENT)
		return rc;
	if (rc < 0) {
		set_msg(msg, "listing %s: %s", p, strerror(-rc));
		return rc;
	}
	free(names);

	rc = read_opt(tb, 0, p, "frontend", be->fe_path, sizeof(be->fe_path), &v);
	if (rc == 0 && v && tapback_parse_xs_path(v) < 0)
		rc = -EINVAL;
	if (rc < 0) {
		set_msg(msg, "invalid or unreadable frontend path");
		return rc == -E2BIG || rc == -EILSEQ ? -EINVAL : rc;
	}
	be->have_fe = v != NULL;

#define VAL(node, b, out)                                                     \
	do {                                                                  \
		rc = read_val(tb, p, node, b, &out, msg);                     \
		if (rc < 0)                                                   \
			return rc;                                            \
	} while (0)
#define BAD(node, b)                                                          \
	do {                                                                  \
		set_msg(msg, "invalid %s \"%s\"", node,                       \
			sanitize(b, path, 32));                               \
		return -EINVAL;                                               \
	} while (0)

	VAL("frontend-id", buf, v);
	if (v && (tapback_parse_u32(v, TAPBACK_MAX_DOMID, &fid) < 0 ||
		  fid != d->domid))
		BAD("frontend-id", buf);
	VAL("online", buf, v);
	if (tapback_parse_bool(v, 1, &be->online) < 0)
		BAD("online", buf);
	VAL("state", buf, v);
	if (tapback_parse_state(v, &be->state) < 0)
		BAD("state", buf);
	be->have_state = v != NULL;
	VAL("hotplug-status", buf, v);
	be->hp = tapback_parse_hotplug(v);
	VAL("mode", buf, v);
	if (tapback_parse_mode(v, &be->ro) < 0)
		BAD("mode", buf);
	VAL("device-type", buf, v);
	if (tapback_parse_device_type(v, &be->cdrom) < 0)
		BAD("device-type", buf);
	VAL("discard-enable", buf, v);
	if (tapback_parse_bool(v, 1, &be->discard) < 0)
		BAD("discard-enable", buf);

	/* The tapdisk: pid + minor nodes, else physical-device-path. */
	VAL("pid", buf, v);
	VAL("minor", buf2, v2);
	if (v && tapback_parse_pid(v, &be->pid) < 0)
		BAD("pid", buf);
	if (v2 && tapback_parse_minor(v2, &be->minor) < 0)
		BAD("minor", buf2);
	be->have_td = v && v2;
	if (!be->have_td) {
		rc = read_opt(tb, 0, p, "physical-device-path", path,
			      sizeof(path), &v);
		if (rc == 0 && v &&
		    tapback_parse_physdev_path(v, &be->pid, &be->minor) == 0)
			be->have_td = 1;
	}
#undef VAL
#undef BAD
	return 0;
}

/* ---- reading the frontend (hostile) ---------------------------------------- */

static int fe_val(struct tapback *tb, const char *dir, const char *node,
		  char *buf, const char **val, char *msg)
{
	int rc = read_opt(tb, 0, dir, node, buf, TAPBACK_VAL_MAX, val);

	if (rc == -E2BIG || rc == -EILSEQ) {
		set_msg(msg, "frontend %s: value too long or not text", node);
		return -EINVAL;
	}
	if (rc < 0)
		set_msg(msg, "reading frontend %s: %s", node, strerror(-rc));
	return rc;
}

/* A required u32 of the frontend. */
static int fe_u32(struct tapback *tb, const char *dir, const char *node,
		  uint32_t *out, char *msg)
{
	char buf[TAPBACK_VAL_MAX], clean[32];
	const char *v;
	int rc = fe_val(tb, dir, node, buf, &v, msg);

	if (rc < 0)
		return rc;
	if (!v) {
		set_msg(msg, "frontend %s is missing", node);
		return -EINVAL;
	}
	if (tapback_parse_u32(v, UINT32_MAX, out) < 0) {
		set_msg(msg, "frontend %s \"%s\" is not a number", node,
			sanitize(v, clean, sizeof(clean)));
		return -EINVAL;
	}
	return 0;
}

/* The rings the frontend offers (see tapback.h), as Linux blkback's connect_ring() reads
 * them: protocol, feature-persistent, multi-queue-num-queues, ring-page-order at the top; a
 * single queue's ring-ref* and event-channel at the top too, several
 * queues' under queue-<n>/. ring-page-order present means ring-ref<i>
 * names (order 0: ring-ref0, or ring-ref if that is what there is). */
int tapback_read_frontend(struct tapback *tb, struct tapback_dev *d,
			  struct tapback_fe *fe, char *msg)
{
	char buf[TAPBACK_VAL_MAX], clean[32], dir[TAPBACK_PATH_MAX], name[24];
	const char *v, *top = d->fe_path;
	uint32_t q, i;
	int multi_ref, one_ref, rc;

	memset(fe, 0, sizeof(*fe));
	if ((rc = fe_val(tb, top, "protocol", buf, &v, msg)) < 0)
		return rc;
	if (tapback_parse_protocol(v, &fe->abi) < 0) {
		set_msg(msg, "unknown frontend protocol \"%s\"",
			sanitize(v, clean, sizeof(clean)));
		return -EINVAL;
	}
	if ((rc = fe_val(tb, top, "feature-persistent", buf, &v, msg)) < 0)
		return rc;
	if (tapback_parse_bool(v, 0, &fe->persistent) < 0) {
		set_msg(msg, "frontend feature-persistent \"%s\" is not a number",
			sanitize(v, clean, sizeof(clean)));
		return -EINVAL;
	}
	if ((rc = fe_val(tb, top, "multi-queue-num-queues", buf, &v, msg)) < 0)
		return rc;
	if (tapback_parse_num_queues(v, tb->max_queues, &fe->nr_queues) < 0) {
		set_msg(msg, "frontend asks for \"%s\" queues, at most %u",
			sanitize(v, clean, sizeof(clean)), tb->max_queues);
		return -EINVAL;
	}
	if ((rc = fe_val(tb, top, "ring-page-order", buf, &v, msg)) < 0)
		return rc;
	multi_ref = v != NULL;
	if (v && tapback_parse_ring_order(v, TAPBACK_MAX_RING_ORDER,
					  &fe->ring_order) < 0) {
		set_msg(msg, "frontend ring-page-order \"%s\" is not 0..%u",
			sanitize(v, clean, sizeof(clean)),
			TAPBACK_MAX_RING_ORDER);
		return -EINVAL;
	}
	for (q = 0; q < fe->nr_queues; q++) {
		if (fe->nr_queues == 1)
			snprintf(dir, sizeof(dir), "%s", top);
		else
			snprintf(dir, sizeof(dir), "%s/queue-%u", top, q);
		rc = fe_u32(tb, dir, "event-channel", &fe->q[q].evtchn, msg);
		/* Order 0 written with a plain "ring-ref" (not Linux's
		 * blkfront, which writes the order only for > 1 page, but
		 * other frontends): accept that spelling too. */
		one_ref = !multi_ref;
		if (rc == 0 && multi_ref && fe->ring_order == 0) {
			rc = fe_val(tb, dir, "ring-ref0", buf, &v, msg);
			one_ref = !v;
		}
		for (i = 0; rc == 0 && i < (1u << fe->ring_order); i++) {
			if (!one_ref)
				snprintf(name, sizeof(name), "ring-ref%u", i);
			else
				snprintf(name, sizeof(name), "ring-ref");
			rc = fe_u32(tb, dir, name, &fe->q[q].refs[i], msg);
		}
		if (rc < 0) {
			if (fe->nr_queues > 1) {
				char m2[TAPBACK_MSG_MAX];

				snprintf(m2, sizeof(m2), "queue %u: %s", q, msg);
				memcpy(msg, m2, sizeof(m2));
			}
			return rc;
		}
	}
	return 0;
}

int tapback_read_fe_state(struct tapback *tb, struct tapback_dev *d,
			  enum xenbus_state *s, char *msg)
{
	char buf[TAPBACK_VAL_MAX], clean[32];
	const char *v;
	int rc = fe_val(tb, d->fe_path, "state", buf, &v, msg);

	if (rc < 0)
		return rc;
	if (tapback_parse_state(v, s) < 0) {
		set_msg(msg, "frontend state \"%s\" is invalid",
			sanitize(v, clean, sizeof(clean)));
		return -EINVAL;
	}
	if (v)
		d->fe_seen = 1;
	return 0;
}

int tapback_self_domid(const struct tapback_xs *xs, uint32_t *domid)
{
	char buf[TAPBACK_VAL_MAX];
	int rc = xs->ops->read(xs->priv, 0, "domid", buf, sizeof(buf));

	if (rc < 0)
		return rc;
	return tapback_parse_u32(buf, TAPBACK_MAX_DOMID, domid);
}

/* ---- what tapback writes ------------------------------------------------- */

/* The probe nodes (what blkfront reads before it connects), InitWait. */
int tapback_tx_probe(struct tapback *tb, struct tapback_dev *d,
		     tapback_tx_t t, const void *arg)
{
	const char *p = d->path;
	int rc;

	(void)arg;
	rc = tapback_write_node(tb, t, p, "max-ring-page-order", "%u",
				TAPBACK_MAX_RING_ORDER);
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "multi-queue-max-queues", "%u",
					tb->max_queues);
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "feature-max-indirect-segments",
					"%u", BLKIF_MAX_INDIRECT_SEGS);
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "feature-flush-cache", "1");
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "feature-barrier", "1");
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "feature-persistent", "0");
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "state", "%d", XenbusStateInitWait);
	return rc;
}

/* What Linux blkback's connect() writes, then Connected, all at once. */
int tapback_tx_publish(struct tapback *tb, struct tapback_dev *d,
		       tapback_tx_t t, const void *arg)
{
	const struct tapback_publish *pb = arg;
	const struct tapback_vbd_info *vi = pb->vi;
	const char *p = d->path;
	uint32_t info = vi->info;
	int rc, discard, secure;

	if (d->cdrom)
		info |= VDISK_CDROM | VDISK_REMOVABLE;
	if (d->readonly)
		info |= VDISK_READONLY;
	discard = (vi->features & TD_FEAT_DISCARD) && !(info & VDISK_READONLY);
	secure = !!(vi->features & TD_FEAT_DISCARD_SECURE);

	rc = tapback_write_node(tb, t, p, "sectors", "%llu",
				(unsigned long long)(vi->size >> 9));
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "info", "%u", info);
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "sector-size", "%u",
					vi->sector_size);
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "physical-sector-size", "%u",
					vi->phys_sector_size);
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "feature-flush-cache", "%d",
					!!(vi->features & TD_FEAT_FLUSH));
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "feature-barrier", "%d",
					!!(vi->features & TD_FEAT_BARRIER));
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "feature-persistent", "%d",
					!!(vi->features & TD_FEAT_PERSISTENT));
	if (rc == 0)
		rc = tapback_write_node(tb, t, p,
					"feature-max-indirect-segments", "%u",
					vi->max_indirect);
	/* discard-enable=0: say nothing about discard, as Linux blkback. */
	if (rc == 0 && pb->be->discard && discard) {
		rc = tapback_write_node(tb, t, p, "discard-granularity", "%u",
					vi->phys_sector_size);
		if (rc == 0)
			rc = tapback_write_node(tb, t, p, "discard-alignment",
						"0");
		if (rc == 0)
			rc = tapback_write_node(tb, t, p, "discard-secure",
						"%d", secure);
	}
	if (rc == 0 && pb->be->discard)
		rc = tapback_write_node(tb, t, p, "feature-discard", "%d",
					discard);
	/* size is 0 while a drive is empty or its tray open (and the STATUS
	 * may predate the RING_CONNECT that made the VBD a CD) */
	if (rc == 0 && d->cdrom)
		rc = tapback_write_node(tb, t, p, "media-present", "%d",
					vi->size != 0);
	/* xentop finds tapdisk's statistics file through it */
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "kthread-pid", "%d", (int)d->pid);
	if (rc == 0)
		rc = tapback_write_node(tb, t, p, "state", "%d",
					XenbusStateConnected);
	return rc;
}

/* ---- removable media ------------------------------------------------------ */

struct media {
	int present;
	uint64_t sectors;
};

static int tx_media(struct tapback *tb, struct tapback_dev *d, tapback_tx_t t,
		    const void *arg)
{
	const struct media *m = arg;
	int rc;

	rc = tapback_write_node(tb, t, d->path, "sectors", "%llu",
				(unsigned long long)m->sectors);
	if (rc == 0)
		rc = tapback_write_node(tb, t, d->path, "media-present", "%d",
					m->present);
	if (rc == 0)	/* re-written: blkfront re-reads the capacity */
		rc = tapback_write_node(tb, t, d->path, "state", "%d",
					XenbusStateConnected);
	return rc;
}

int tapback_media_changed(struct tapback *tb, uint32_t domid, uint32_t devid,
			  int present, uint64_t sectors)
{
	struct tapback_dev *d = tapback_find(tb, domid, devid);
	struct media m = { !!present, present ? sectors : 0 };
	int rc;

	if (!d || d->gone)
		return -ENOENT;
	if (d->state != XenbusStateConnected)
		return -ENOTCONN;
	rc = tapback_dev_tx(tb, d, tx_media, &m);
	if (rc == 0) {
		d->sectors = m.sectors;
		TD_INFO(d->prefix, "medium %s, %llu sectors",
			present ? "inserted" : "ejected",
			(unsigned long long)m.sectors);
	}
	return rc;
}

int tapback_poll_media(struct tapback *tb)
{
	struct tapback_vbd_info vi;
	struct tapback_dev *d;
	int n = 0;

	for (d = tb->devs; d; d = d->next) {
		uint64_t sectors;
		int present;

		if (!d->cdrom || d->gone || d->state != XenbusStateConnected ||
		    !d->pid)
			continue;
		n++;
		if (tb->td->status(tb->td_priv, d->pid, d->minor, &vi) < 0)
			continue;	/* tapdisk busy or gone: next time */
		present = !!(vi.media & TD_MEDIA_PRESENT);
		sectors = present ? vi.size >> 9 : 0;
		if (d->media_known && vi.media_gen == d->media_gen)
			continue;
		/* First look: publish only if what Connected wrote is stale. */
		if (d->media_known || sectors != d->sectors)
			if (tapback_media_changed(tb, d->domid, d->devid, present,
						  sectors) < 0)
				continue;	/* retried at the next poll */
		d->media_gen = vi.media_gen;
		d->media_known = 1;
	}
	return n;
}
