/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <sched.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmc.h"
#include "td-log.h"
#include "td-nbd.h"
#include "td-ring.h"
#include "td-vbd.h"

struct td_ctx td_ctx;

static struct td_vbd *vbds;

/* ---- process context ---------------------------------------------------- */

static const char *const grant_mode_names[] = {
	[TD_GRANT_COPY] = "copy",
	[TD_GRANT_MAP] = "map",
	[TD_GRANT_PERSISTENT] = "persistent",
};

const char *td_grant_mode_name(enum td_grant_mode m)
{
	return (unsigned)m < sizeof(grant_mode_names) / sizeof(grant_mode_names[0])
		       ? grant_mode_names[m] : "?";
}

int td_grant_mode_parse(const char *s, enum td_grant_mode *out)
{
	unsigned i;

	for (i = 0; i < sizeof(grant_mode_names) / sizeof(grant_mode_names[0]); i++)
		if (!strcmp(s, grant_mode_names[i])) {
			*out = (enum td_grant_mode)i;
			return 0;
		}
	return -EINVAL;
}

static void eng_event(struct td_loop_src *src, uint32_t events)
{
	td_ctx.eops->reap(td_ctx.eng);
}

/*
 * Once per loop iteration: every ring pushes its responses and starts what
 * waited, then the engine submits everything queued in one call.
 */
static void rings_sweep(void)
{
	struct td_vbd *v;
	unsigned i;

	for (v = vbds; v; v = v->next) {
		td_media_sweep(v);
		for (i = 0; i < TD_MAX_RINGS; i++)
			if (v->rings[i])
				td_ring_sweep(v->rings[i]);
	}
}

static void ctx_sweep(void *arg)
{
	rings_sweep();
	if (!td_ctx.eops->inflight(td_ctx.eng))
		return;
	td_ctx.eops->submit(td_ctx.eng);
	/* Page-cache hits complete during the submit itself: answer them
	 * now rather than after another trip through epoll. */
	if (td_ctx.eops->reap(td_ctx.eng) > 0)
		rings_sweep();
}

#define TD_POLL_MISSES 4	/* polls in a row that found nothing... */
#define TD_POLL_BACKOFF 16	/* ...and then poll once in this many */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Consume what waits on any ring; 1 if there was something. */
static int rings_poll(int arm)
{
	struct td_vbd *v;
	unsigned i;
	int found = 0;

	for (v = vbds; v; v = v->next)
		for (i = 0; i < TD_MAX_RINGS; i++) {
			struct td_ring *r = v->rings[i];

			if (r && (arm ? td_ring_arm(r) : td_ring_pending(r))) {
				td_ring_kick(r);
				found = 1;
			}
		}
	return found;
}

/*
 * Before the loop sleeps. With --poll-us, after a sweep that pushed
 * responses, keep looking at the rings' req_prod and the engine's
 * completions for up to poll_us: a guest (on another CPU) that reacts to
 * its answers within that time costs no notification and no wake-up on
 * either side (the rings leave req_event unarmed meanwhile). Only after
 * responses: right after submitting I/O the next event is the I/O's
 * completion, which for O_DIRECT is far longer away than any poll window.
 * sched_yield() in the loop lets a guest on this CPU run. Then every ring
 * re-arms req_event and looks a last time.
 */
static int ctx_idle(void *arg)
{
	static unsigned misses, skipped;
	uint64_t deadline;

	(void)arg;
	if (td_ctx.poll_us && td_ctx.poll_armed) {
		td_ctx.poll_armed = 0;
		/* A guest that keeps not answering within the window (slow
		 * I/O, a busy or far CPU): poll only one time in
		 * TD_POLL_BACKOFF, to notice when it pays again. */
		if (misses >= TD_POLL_MISSES && ++skipped % TD_POLL_BACKOFF)
			return rings_poll(1);
		deadline = now_ns() + (uint64_t)td_ctx.poll_us * 1000u;
		do {
			if (rings_poll(0) ||
			    (td_ctx.eops->ready && td_ctx.eops->ready(td_ctx.eng))) {
				misses = 0;
				return 1;
			}
			sched_yield();
		} while (now_ns() < deadline);
		if (misses < TD_POLL_MISSES)
			misses++;
	}
	return rings_poll(1);
}

int td_ctx_start(const char *engine, unsigned depth)
{
	int err;

	err = ioeng_start(engine, depth, &td_ctx.eops, &td_ctx.eng);
	if (err)
		return err;
	err = td_loop_add(&td_ctx.eng_src, td_ctx.eops->fd(td_ctx.eng), EPOLLIN,
			  eng_event, NULL);
	if (err) {
		td_ctx.eops->fini(td_ctx.eng);
		td_ctx.eng = NULL;
		return err;
	}
	td_loop_add_sweep(&td_ctx.sweep, ctx_sweep, NULL);
	td_loop_set_idle(ctx_idle, NULL);
	return 0;
}

void td_ctx_stop(void)
{
	td_vbd_close_all();
	td_loop_del_sweep(&td_ctx.sweep);
	td_loop_set_idle(NULL, NULL);
	td_loop_del(&td_ctx.eng_src);
	if (td_ctx.eops && td_ctx.eng)
		td_ctx.eops->fini(td_ctx.eng);
	td_ctx.eng = NULL;
}

/* ---- VBDs ----------------------------------------------------------------- */

struct td_vbd *td_vbd_find(uint32_t minor)
{
	struct td_vbd *v;

	for (v = vbds; v; v = v->next)
		if (v->minor == minor)
			return v;
	return NULL;
}

struct td_vbd *td_vbd_first(void)
{
	return vbds;
}

unsigned td_vbd_count(void)
{
	struct td_vbd *v;
	unsigned n = 0;

	for (v = vbds; v; v = v->next)
		n++;
	return n;
}

/* Recompute what rings may ask; works without an image (empty CD drive). */
void td_vbd_set_limits(struct td_vbd *v)
{
	const struct td_image_info *ii = v->img ? &v->img->info : NULL;
	int cd = !!(v->flags & TD_F_CDROM);
	int ro = (ii && ii->readonly) || (v->flags & TD_F_RDONLY) || cd;

	memset(&v->lim, 0, sizeof(v->lim));
	v->lim.sectors = ii ? ii->size >> BLKIF_SECTOR_SHIFT : 0;
	if (cd && v->mmc && !v->media_ready)
		v->lim.sectors = 0;	/* tray open: no disc to read */
	v->lim.readonly = ro;
	v->lim.can_flush = 1;
	v->lim.can_barrier = 1;
	/* On a read-only VBD discard is not offered, but a guest that sends
	 * one anyway gets ERROR (as from Linux blkback), not EOPNOTSUPP:
	 * the check refuses it as a write to a read-only device. */
	v->lim.can_discard = (ii && ii->can_discard) || ro;
	v->lim.can_discard_secure = ii && ii->can_discard_secure && !ro;
	v->lim.max_indirect_segs = BLKIF_MAX_INDIRECT_SEGS;
	v->lim.can_packet = cd && !(v->flags & TD_F_NO_PACKET);
	v->info = (ro ? VDISK_READONLY : 0) |
		  (cd ? VDISK_CDROM | VDISK_REMOVABLE : 0);
	v->features = TD_FEAT_FLUSH | TD_FEAT_BARRIER |
		      (v->lim.can_discard && !ro ? TD_FEAT_DISCARD : 0) |
		      (v->lim.can_discard_secure ? TD_FEAT_DISCARD_SECURE : 0) |
		      (td_ctx.grant_mode == TD_GRANT_PERSISTENT ? TD_FEAT_PERSISTENT : 0);
}

unsigned td_vbd_open_flags(uint32_t flags)
{
	unsigned oflags = 0;

	if (flags & (TD_F_RDONLY | TD_F_CDROM))
		oflags |= TD_OPEN_RDONLY;
	if (flags & TD_F_NO_DIRECT)
		oflags |= TD_OPEN_NO_DIRECT;
	if (flags & TD_F_CDROM)
		oflags |= TD_OPEN_CDROM;
	return oflags;
}

static struct td_vbd *vbd_new(uint32_t minor)
{
	struct td_vbd *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->minor = minor;
	v->marker_fd = -1;
	snprintf(v->prefix, sizeof(v->prefix), "vbd%u", minor);
	v->next = vbds;
	vbds = v;
	return v;
}

static void vbd_free(struct td_vbd *v)
{
	struct td_vbd **pp;

	for (pp = &vbds; *pp; pp = &(*pp)->next)
		if (*pp == v) {
			*pp = v->next;
			break;
		}
	if (v->marker_fd >= 0)
		close(v->marker_fd);	/* releases the flock */
	free(v);
}

int td_vbd_open_image(struct td_vbd *v, const char *params, uint32_t flags,
		      struct td_image **out)
{
	int err = td_image_open(params, td_vbd_open_flags(flags), td_ctx.eops,
				td_ctx.eng, out);

	if (err)
		td_log(TD_LOG_ERR, v->prefix, "cannot open %s: %s", params,
		       strerror(-err));
	return err;
}

void td_vbd_log_open(struct td_vbd *v)
{
	td_log(TD_LOG_INFO, v->prefix,
	       "opened %s: %llu bytes, sector %u/%u, %s%s, engine %s", v->params,
	       (unsigned long long)v->img->info.size, v->img->info.logical_sector,
	       v->img->info.physical_sector,
	       v->lim.readonly ? "read-only" : "read-write",
	       v->img->info.o_direct ? ", O_DIRECT" : "", td_ctx.eops->name);
}

int td_vbd_attach(uint32_t minor, struct td_vbd **out)
{
	char path[512];
	struct td_vbd *v;
	int fd;

	if (td_vbd_find(minor))
		return -EEXIST;
	if ((size_t)snprintf(path, sizeof(path), "%s/tapdisk/tapdisk-%u",
			     td_ctx.ctl_dir, minor) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(fd);
		return err;
	}
	/* `tap-ctl free` may have unlinked the marker between our open and
	 * flock: then the minor is not ours (it may be allocated again). */
	{
		struct stat locked, named;

		if (fstat(fd, &locked) < 0 || stat(path, &named) < 0 ||
		    locked.st_dev != named.st_dev || locked.st_ino != named.st_ino) {
			close(fd);
			return -ENOENT;
		}
	}
	v = vbd_new(minor);
	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	v->attached = 1;
	v->marker_fd = fd;
	td_log(TD_LOG_INFO, v->prefix, "attached");
	if (out)
		*out = v;
	return 0;
}

int td_vbd_open(uint32_t minor, const char *params, uint32_t flags,
		struct td_vbd **out)
{
	struct td_vbd *v = td_vbd_find(minor);
	struct td_image *img;
	int err;

	if (v && (v->img || v->paused))
		return v->paused ? -EBUSY : -EEXIST;
	if (!v) {
		v = vbd_new(minor);
		if (!v)
			return -ENOMEM;
	}
	img = NULL;
	if (!(flags & TD_F_CDROM) || !td_media_spec_empty(params)) {
		err = td_vbd_open_image(v, params, flags, &img);
		if (err) {
			if (!v->attached)
				vbd_free(v);
			return err;
		}
	}
	v->img = img;
	v->flags = flags;
	v->size = img ? img->info.size : 0;
	snprintf(v->params, sizeof(v->params), "%s", params);
	if (flags & TD_F_CDROM) {
		err = td_media_init(v);
		if (err) {
			if (img)
				td_image_close(img);
			v->img = NULL;
			if (!v->attached)
				vbd_free(v);
			return err;
		}
	}
	td_vbd_set_limits(v);
	if (img)
		td_vbd_log_open(v);
	else
		td_log(TD_LOG_INFO, v->prefix, "opened an empty CD drive");
	td_nbd_open(v);	/* NBD export; the VBD works without it */
	if (out)
		*out = v;
	return 0;
}

int td_vbd_close(struct td_vbd *v, int force)
{
	unsigned i;

	for (i = 0; i < TD_MAX_RINGS; i++)
		if (v->rings[i] && !force)
			return -EBUSY;
	for (i = 0; i < TD_MAX_RINGS; i++)
		td_ring_disconnect(v->rings[i]);
	td_nbd_close(v);	/* finishes NBD I/O, removes the socket */
	if (v->img)
		td_image_close(v->img);
	v->img = NULL;
	td_media_fini(v);
	v->paused = 0;
	v->params[0] = 0;
	v->size = 0;
	v->flags = 0;
	td_log(TD_LOG_INFO, v->prefix, "closed");
	if (!v->attached)
		vbd_free(v);
	return 0;
}

int td_vbd_detach(struct td_vbd *v)
{
	unsigned i;

	if (v->img || v->paused)
		return -EBUSY;
	for (i = 0; i < TD_MAX_RINGS; i++)
		if (v->rings[i])
			return -EBUSY;
	td_log(TD_LOG_INFO, v->prefix, "detached");
	vbd_free(v);
	return vbds == NULL;
}

int td_vbd_pause(struct td_vbd *v)
{
	unsigned i;

	if (v->paused)
		return -EALREADY;
	if (!v->img)
		return -ENXIO;
	v->paused = 1;	/* rings take nothing new from here on */
	for (i = 0; i < TD_MAX_RINGS; i++)
		if (v->rings[i])
			td_ring_quiesce(v->rings[i]);
	td_nbd_quiesce(v);	/* NBD requests wait for unpause */
	td_image_close(v->img);
	v->img = NULL;
	td_log(TD_LOG_INFO, v->prefix, "paused");
	return 0;
}

int td_vbd_unpause(struct td_vbd *v, const char *params)
{
	struct td_image *img;
	unsigned i;
	int err;

	if (!v->paused)
		return -EINVAL;
	if (!params)
		params = v->params;
	err = td_vbd_open_image(v, params, v->flags, &img);
	if (err)
		return err;
	if (img->info.size != v->size) {
		td_log(TD_LOG_ERR, v->prefix,
		       "unpause: %s is %llu bytes, the VBD is %llu: refused", params,
		       (unsigned long long)img->info.size,
		       (unsigned long long)v->size);
		td_image_close(img);
		return -EMEDIUMTYPE;
	}
	v->img = img;
	if (params != v->params)
		snprintf(v->params, sizeof(v->params), "%s", params);
	td_vbd_set_limits(v);
	v->paused = 0;
	td_vbd_log_open(v);
	for (i = 0; i < TD_MAX_RINGS; i++)
		if (v->rings[i])
			td_ring_kick(v->rings[i]);
	td_nbd_resume(v);
	return 0;
}

void td_vbd_close_all(void)
{
	while (vbds) {
		struct td_vbd *v = vbds;

		td_vbd_close(v, 1);
		if (vbds == v)	/* explicitly attached: close kept it */
			vbd_free(v);
	}
}

void td_vbd_status(const struct td_vbd *v, struct td_vbd_status *st)
{
	unsigned i, j;

	memset(st, 0, sizeof(*st));
	st->minor = v->minor;
	st->state = (v->img ? TD_VBD_S_OPEN : 0) |
		    (v->paused ? TD_VBD_S_PAUSED : 0) |
		    (v->attached ? TD_VBD_S_ATTACHED : 0);
	st->flags = v->flags;
	snprintf(st->params, sizeof(st->params), "%s", v->params);
	st->size = v->size;
	if (v->img) {
		st->sector_size = v->img->info.logical_sector;
		st->phys_sector_size = v->img->info.physical_sector;
	} else if (v->mmc) {	/* an empty drive still has a geometry */
		st->sector_size = 512;
		st->phys_sector_size = MMC_BLOCK;
	}
	if (v->mmc && !v->media_ready)
		st->size = 0;
	st->info = v->info;
	st->features = v->features;
	st->max_indirect = v->lim.max_indirect_segs;
	td_media_status(v, &st->media, &st->media_gen);
	st->nr_counters = TD_STAT__COUNT;
	memcpy(st->counters, v->counters, sizeof(st->counters));
	for (i = 0; i < TD_MAX_RINGS; i++) {
		struct td_ring_status *rs;

		if (!v->rings[i])
			continue;
		rs = &st->rings[st->nr_rings++];
		td_ring_status(v->rings[i], rs);
		for (j = 0; j < TD_STAT__COUNT; j++)
			st->counters[j] += rs->counters[j];
	}
}
