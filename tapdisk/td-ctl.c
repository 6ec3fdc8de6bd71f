/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "td-ctl.h"
#include "td-log.h"
#include "td-ring.h"
#include "td-unix.h"
#include "td-vbd.h"

#define CTL_IDLE_TIMEOUT_S 30
#define CTL_MAX_CONNS 64
#define CTL_BUF_MAX (TD_PROTO_HDR_SIZE + TD_PROTO_MAX_PAYLOAD)

struct ctl_conn {
	struct td_loop_src src;
	uint8_t *in;		/* CTL_BUF_MAX bytes */
	size_t in_len;
	uint8_t *out;		/* pending reply bytes */
	size_t out_len, out_off;
	time_t last_active;
	int close_after_write;
	struct td_defer defer;
	struct ctl_conn *next;
};

static struct td_loop_src listen_src = { .fd = -1 };
static struct td_loop_src timer_src = { .fd = -1 };
static char sock_path[108];
static struct ctl_conn *conns;
static unsigned nconns;
static struct td_msg *req_msg, *rep_msg;

const char *td_ctl_path(void)
{
	return sock_path;
}

static time_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void conn_free(void *arg)
{
	struct ctl_conn *c = arg;

	free(c->in);
	free(c->out);
	free(c);
}

static void conn_close(struct ctl_conn *c)
{
	struct ctl_conn **pp;

	for (pp = &conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	td_loop_del(&c->src);
	close(c->src.fd);
	nconns--;
	td_loop_defer(&c->defer, conn_free, c);
}

/* ---- request handlers ----------------------------------------------------- */

static int fail(struct td_msg *rep, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct td_msg *rep, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep->message, sizeof(rep->message), fmt, ap);
	va_end(ap);
	rep->present |= 1ull << TD_A_MESSAGE;
	return err;
}

#define NEED(m, a)                                                            \
	do {                                                                  \
		if (!TD_HAS(m, a))                                            \
			return fail(rep, -EINVAL, "missing attribute %s", #a); \
	} while (0)

static int h_status(const struct td_msg *m, struct td_msg *rep)
{
	struct td_vbd *v;

	td_msg_set_u32(rep, TD_A_PID, (uint32_t)getpid());
	td_msg_set_str(rep, TD_A_ENGINE, td_ctx.eops->name);
	td_msg_set_str(rep, TD_A_XENIO, td_ctx.xenio_name);
	td_msg_set_str(rep, TD_A_GRANT, td_grant_mode_name(td_ctx.grant_mode));
	for (v = td_vbd_first(); v; v = v->next) {
		if (TD_HAS(m, TD_A_MINOR) && v->minor != m->minor)
			continue;
		if (rep->nr_vbds >= TD_MAX_VBDS)
			break;
		td_vbd_status(v, &rep->vbds[rep->nr_vbds++]);
	}
	if (TD_HAS(m, TD_A_MINOR) && !rep->nr_vbds)
		return fail(rep, -ENOENT, "no VBD with minor %u", m->minor);
	return 0;
}

static int h_vbd_open(const struct td_msg *m, struct td_msg *rep)
{
	int err;

	NEED(m, TD_A_MINOR);
	NEED(m, TD_A_PARAMS);
	err = td_vbd_open(m->minor, m->params, m->flags, NULL);
	if (err == -EEXIST)
		return fail(rep, err, "minor %u is already open", m->minor);
	if (err == -EBUSY)
		return fail(rep, err, "minor %u is paused (unpause it)", m->minor);
	if (err == -EPROTONOSUPPORT)
		return fail(rep, err, "unsupported image type in '%s'", m->params);
	if (err)
		return fail(rep, err, "cannot open '%s': %s", m->params, strerror(-err));
	return 0;
}

static int h_vbd_close(const struct td_msg *m, struct td_msg *rep)
{
	struct td_vbd *v;
	int err;

	NEED(m, TD_A_MINOR);
	v = td_vbd_find(m->minor);
	if (!v)
		return fail(rep, -ENOENT, "no VBD with minor %u", m->minor);
	err = td_vbd_close(v, !!(m->flags & TD_F_FORCE));
	if (err == -EBUSY)
		return fail(rep, err, "minor %u has connected rings (use force)",
			    m->minor);
	return err;
}

static int h_ring_connect(const struct td_msg *m, struct td_msg *rep)
{
	struct td_ring_params p;
	struct td_ring *r;
	struct td_vbd *v;
	int err;

	NEED(m, TD_A_MINOR);
	NEED(m, TD_A_DOMID);
	NEED(m, TD_A_RING_REFS);
	NEED(m, TD_A_EVTCHN);
	v = td_vbd_find(m->minor);
	if (!v)
		return fail(rep, -ENOENT, "no VBD with minor %u", m->minor);
	if (!v->img && !v->paused && !v->mmc)	/* an empty CD drive is fine */
		return fail(rep, -ENXIO, "minor %u has no image open", m->minor);
	memset(&p, 0, sizeof(p));
	p.domid = m->domid;
	p.devid = m->devid;
	p.queue = TD_HAS(m, TD_A_QUEUE) ? m->queue : 0;
	p.ring_order = TD_HAS(m, TD_A_RING_ORDER) ? m->ring_order : 0;
	p.evtchn = m->evtchn;
	p.abi = TD_HAS(m, TD_A_ABI) ? (enum blkif_abi)m->abi : BLKIF_ABI_NATIVE;
	p.flags = m->flags & TD_F_PERSISTENT;
	if (p.ring_order > BLKIF_MAX_RING_ORDER)
		return fail(rep, -EINVAL, "ring order %u > %u", p.ring_order,
			    BLKIF_MAX_RING_ORDER);
	if (m->nr_ring_refs != (1u << p.ring_order))
		return fail(rep, -EINVAL, "%u ring refs for order %u",
			    m->nr_ring_refs, p.ring_order);
	if (p.abi > BLKIF_ABI_X86_64)
		return fail(rep, -EINVAL, "unknown ABI %u", m->abi);
	if (p.queue >= TD_MAX_RINGS)
		return fail(rep, -EINVAL, "queue %u >= %u", p.queue, TD_MAX_RINGS);
	memcpy(p.ring_refs, m->ring_refs, sizeof(uint32_t) * m->nr_ring_refs);
	/* block-tap opens images read-write; the toolstack's mode=r reaches
	 * us with the ring (tapback) and holds for that device's rings: a
	 * second device on the same minor may be read-write. */
	p.readonly = !!(m->flags & TD_F_RDONLY);
	if ((m->flags & TD_F_CDROM) && !v->mmc) {
		/* libxl's block-tap opens CDs as plain images: tapback says
		 * what the device is when it connects the ring. */
		err = td_vbd_make_cdrom(v, m->flags & TD_F_NO_PACKET);
		if (err)
			return fail(rep, err, "cannot make minor %u a CD: %s",
				    m->minor, strerror(-err));
	}
	err = td_ring_connect(v, &p, &r);
	if (err == -EEXIST)
		return fail(rep, err, "queue %u of device %u/%u on minor %u is "
			    "already connected", p.queue, p.domid, p.devid,
			    m->minor);
	if (err == -ENOSPC)
		return fail(rep, err, "minor %u has %u rings connected already",
			    m->minor, TD_MAX_RINGS);
	if (err)
		return fail(rep, err, "cannot connect ring: %s", strerror(-err));
	return 0;
}

static int h_ring_disconnect(const struct td_msg *m, struct td_msg *rep)
{
	struct td_vbd *v;
	unsigned i, n = 0;
	int dev = !!TD_HAS(m, TD_A_DOMID), q = !!TD_HAS(m, TD_A_QUEUE);

	NEED(m, TD_A_MINOR);
	/* a device is named by both; half a name must not widen the match
	 * to every device of the VBD */
	if (dev != !!TD_HAS(m, TD_A_DEVID))
		return fail(rep, -EINVAL, "DOMID and DEVID go together");
	v = td_vbd_find(m->minor);
	if (!v)
		return fail(rep, -ENOENT, "no VBD with minor %u", m->minor);
	for (i = 0; i < TD_MAX_RINGS; i++) {
		const struct td_ring_params *p;

		if (!v->rings[i])
			continue;
		p = td_ring_params(v->rings[i]);
		if ((dev && (p->domid != m->domid || p->devid != m->devid)) ||
		    (q && p->queue != m->queue))
			continue;
		td_ring_disconnect(v->rings[i]);
		n++;
	}
	/* Disconnecting everything of a VBD is idempotent; one named queue
	 * that is not there is an error, as before devices were named. */
	if (!n && q)
		return fail(rep, -ENOENT, "queue %u is not connected", m->queue);
	return 0;
}

static struct td_vbd *need_vbd(const struct td_msg *m, struct td_msg *rep,
			       int *err)
{
	struct td_vbd *v;

	if (!TD_HAS(m, TD_A_MINOR)) {
		*err = fail(rep, -EINVAL, "missing attribute TD_A_MINOR");
		return NULL;
	}
	v = td_vbd_find(m->minor);
	if (!v)
		*err = fail(rep, -ENOENT, "no VBD with minor %u", m->minor);
	return v;
}

static int h_attach(const struct td_msg *m, struct td_msg *rep)
{
	int err;

	NEED(m, TD_A_MINOR);
	err = td_vbd_attach(m->minor, NULL);
	switch (err) {
	case 0:
		return 0;
	case -EEXIST:
		return fail(rep, err, "minor %u is already attached here", m->minor);
	case -ENOENT:
		return fail(rep, err, "minor %u is not allocated (tap-ctl allocate)",
			    m->minor);
	case -EBUSY:
		return fail(rep, err, "minor %u is in use by another tapdisk",
			    m->minor);
	default:
		return fail(rep, err, "cannot attach minor %u: %s", m->minor,
			    strerror(-err));
	}
}

static int h_detach(const struct td_msg *m, struct td_msg *rep)
{
	struct td_vbd *v;
	int err = 0;

	v = need_vbd(m, rep, &err);
	if (!v)
		return err;
	err = td_vbd_detach(v);
	if (err == -EBUSY)
		return fail(rep, err, "minor %u still has an image open (close it)",
			    m->minor);
	if (err == 1) {
		td_log(TD_LOG_INFO, NULL, "last VBD detached: exiting");
		td_loop_stop();
	}
	return 0;
}

static int h_pause(const struct td_msg *m, struct td_msg *rep)
{
	struct td_vbd *v;
	int err = 0;

	v = need_vbd(m, rep, &err);
	if (!v)
		return err;
	err = td_vbd_pause(v);
	if (err == -EALREADY)
		return fail(rep, err, "minor %u is already paused", m->minor);
	if (err == -ENXIO)
		return fail(rep, err, "minor %u has no image open", m->minor);
	return err;
}

static int h_unpause(const struct td_msg *m, struct td_msg *rep)
{
	struct td_vbd *v;
	int err = 0;

	v = need_vbd(m, rep, &err);
	if (!v)
		return err;
	err = td_vbd_unpause(v, TD_HAS(m, TD_A_PARAMS) ? m->params : NULL);
	if (err == -EINVAL)
		return fail(rep, err, "minor %u is not paused", m->minor);
	if (err == -EMEDIUMTYPE)
		return fail(rep, err, "the new image's size differs from the VBD's "
			    "(%llu bytes): refused", (unsigned long long)v->size);
	if (err)
		return fail(rep, err, "cannot reopen the image: %s", strerror(-err));
	return 0;
}

static struct td_vbd *need_cd(const struct td_msg *m, struct td_msg *rep,
			      int *err)
{
	struct td_vbd *v = need_vbd(m, rep, err);

	if (v && !v->mmc) {
		*err = fail(rep, -EOPNOTSUPP,
			    "minor %u is not a removable (CD) device", m->minor);
		return NULL;
	}
	return v;
}

static int h_media_eject(const struct td_msg *m, struct td_msg *rep)
{
	struct td_vbd *v;
	int err = 0;

	v = need_cd(m, rep, &err);
	if (!v)
		return err;
	err = td_media_eject(v, !!(m->flags & TD_F_FORCE));
	if (err == -EAGAIN)
		return fail(rep, -EBUSY, "minor %u is paused (unpause it first)",
			    m->minor);
	if (err == -EBUSY)
		return fail(rep, err, "the guest has locked the medium of minor %u "
			    "(force with -f)", m->minor);
	if (err)
		return fail(rep, err, "eject: %s", strerror(-err));
	return 0;
}

static int h_media_insert(const struct td_msg *m, struct td_msg *rep)
{
	struct td_vbd *v;
	int err = 0;

	v = need_cd(m, rep, &err);
	if (!v)
		return err;
	NEED(m, TD_A_PARAMS);
	if (td_media_spec_empty(m->params))
		return fail(rep, -EINVAL, "'%s' names no image", m->params);
	err = td_media_insert(v, m->params);
	if (err == -EBUSY)
		return fail(rep, err, "minor %u has a medium (eject it first)",
			    m->minor);
	if (err == -EINVAL)
		return fail(rep, err, "'%s' is smaller than one CD block (2048 bytes)",
			    m->params);
	if (err == -EFBIG)
		return fail(rep, err, "'%s' is too large for a CD/DVD", m->params);
	if (err)
		return fail(rep, err, "cannot insert '%s': %s", m->params,
			    strerror(-err));
	return 0;
}

static int h_media_status(const struct td_msg *m, struct td_msg *rep)
{
	struct td_vbd *v;
	int err = 0;

	v = need_cd(m, rep, &err);
	if (!v)
		return err;
	td_vbd_status(v, &rep->vbds[0]);
	rep->nr_vbds = 1;
	return 0;
}

static int h_shutdown(const struct td_msg *m, struct td_msg *rep)
{
	td_log(TD_LOG_INFO, NULL, "shutdown requested");
	td_loop_stop();
	return 0;
}

typedef int (*ctl_handler)(const struct td_msg *m, struct td_msg *rep);

static const ctl_handler handlers[TD_MSG__MAX + 1] = {
	[TD_MSG_STATUS] = h_status,
	[TD_MSG_VBD_OPEN] = h_vbd_open,
	[TD_MSG_VBD_CLOSE] = h_vbd_close,
	[TD_MSG_RING_CONNECT] = h_ring_connect,
	[TD_MSG_RING_DISCONNECT] = h_ring_disconnect,
	[TD_MSG_ATTACH] = h_attach,
	[TD_MSG_DETACH] = h_detach,
	[TD_MSG_PAUSE] = h_pause,
	[TD_MSG_UNPAUSE] = h_unpause,
	[TD_MSG_MEDIA_EJECT] = h_media_eject,
	[TD_MSG_MEDIA_INSERT] = h_media_insert,
	[TD_MSG_MEDIA_STATUS] = h_media_status,
	[TD_MSG_SHUTDOWN] = h_shutdown,
};

/* ---- connection I/O ------------------------------------------------------- */

static void conn_process(struct ctl_conn *c);

static void conn_flush(struct ctl_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->src.fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off < c->out_len) {
		td_loop_mod(&c->src, EPOLLOUT);
		return;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (c->close_after_write) {
		conn_close(c);
		return;
	}
	td_loop_mod(&c->src, EPOLLIN);
	conn_process(c);	/* a pipelined request may be waiting */
}

/* Queue a reply frame; the connection is not read again until it is sent. */
static void conn_reply(struct ctl_conn *c, struct td_msg *rep)
{
	size_t cap = CTL_BUF_MAX;
	int len;

	c->out = malloc(cap);
	if (!c->out) {
		conn_close(c);
		return;
	}
	len = td_msg_encode(rep, c->out, cap);
	if (len < 0) {
		/* cannot happen for our own replies; say so rather than hang */
		uint16_t type = rep->type;
		uint32_t seq = rep->seq;

		td_msg_init(rep, type, seq);
		td_msg_set_u32(rep, TD_A_STATUS, (uint32_t)len);
		td_msg_set_str(rep, TD_A_MESSAGE, "reply too large");
		len = td_msg_encode(rep, c->out, cap);
		if (len < 0) {
			conn_close(c);
			return;
		}
	}
	c->out_len = (size_t)len;
	c->out_off = 0;
	conn_flush(c);
}

static void conn_error(struct ctl_conn *c, uint16_t type, uint32_t seq, int err,
		       const char *why)
{
	td_msg_init(rep_msg, (uint16_t)(type | TD_MSG_REPLY), seq);
	td_msg_set_u32(rep_msg, TD_A_STATUS, (uint32_t)err);
	td_msg_set_str(rep_msg, TD_A_MESSAGE, why);
	c->close_after_write = 1;
	conn_reply(c, rep_msg);
}

static void conn_handle_frame(struct ctl_conn *c, size_t len)
{
	ctl_handler h = NULL;
	int err;

	err = td_msg_decode(c->in, len, req_msg);
	if (err) {
		TD_RL(TD_LOG_WARN, "ctl", "malformed control message: %s",
		      strerror(-err));
		conn_error(c, 0, 0, err, "malformed message");
		return;
	}
	td_msg_init(rep_msg, (uint16_t)(req_msg->type | TD_MSG_REPLY), req_msg->seq);
	if (req_msg->type & TD_MSG_REPLY || req_msg->type > TD_MSG__MAX ||
	    !(h = handlers[req_msg->type])) {
		err = -EOPNOTSUPP;
		fail(rep_msg, err, "message type %u not supported",
		     req_msg->type);
	} else {
		err = h(req_msg, rep_msg);
	}
	td_msg_set_u32(rep_msg, TD_A_STATUS, (uint32_t)err);
	td_log(err ? TD_LOG_WARN : TD_LOG_DEBUG, "ctl", "%s: %s%s%s",
	       td_msg_type_name(req_msg->type), err ? strerror(-err) : "ok",
	       err ? ": " : "", err ? rep_msg->message : "");
	/* the frame is consumed; keep any pipelined bytes */
	memmove(c->in, c->in + len, c->in_len - len);
	c->in_len -= len;
	conn_reply(c, rep_msg);
}

static void conn_event(struct td_loop_src *src, uint32_t events)
{
	struct ctl_conn *c = src->arg;
	ssize_t n;

	c->last_active = mono_now();
	if (events & EPOLLOUT) {
		conn_flush(c);
		return;
	}
	if (c->out)	/* a reply is still being sent */
		return;
	n = recv(c->src.fd, c->in + c->in_len, CTL_BUF_MAX - c->in_len, 0);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	conn_process(c);
}

/* Handle complete frames in the input buffer, one reply at a time. */
static void conn_process(struct ctl_conn *c)
{
	int flen;

	if (c->out || !c->in_len)
		return;
	flen = td_msg_frame_len(c->in, c->in_len);
	if (flen < 0) {
		conn_error(c, 0, 0, flen, "bad frame header");
		return;
	}
	/* conn_handle_frame replies, and the reply's flush calls us again */
	if (flen > 0 && (size_t)flen <= c->in_len)
		conn_handle_frame(c, (size_t)flen);
}

static void listen_event(struct td_loop_src *src, uint32_t events)
{
	struct ctl_conn *c;
	int fd;

	fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (!td_unix_peer_allowed(fd)) {
		TD_RL(TD_LOG_WARN, "ctl", "refused a client without permission");
		close(fd);
		return;
	}
	if (nconns >= CTL_MAX_CONNS) {
		TD_RL(TD_LOG_WARN, "ctl", "too many control connections");
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->in = malloc(CTL_BUF_MAX);
	if (!c || !c->in || td_loop_add(&c->src, fd, EPOLLIN, conn_event, c)) {
		if (c)
			free(c->in);
		free(c);
		close(fd);
		return;
	}
	c->last_active = mono_now();
	c->next = conns;
	conns = c;
	nconns++;
}

static void timer_event(struct td_loop_src *src, uint32_t events)
{
	struct ctl_conn *c, *next;
	uint64_t ticks;
	time_t now = mono_now();

	if (read(src->fd, &ticks, sizeof(ticks)) < 0)
		return;
	for (c = conns; c; c = next) {
		next = c->next;
		if (now - c->last_active > CTL_IDLE_TIMEOUT_S) {
			TD_RL(TD_LOG_INFO, "ctl", "dropping an idle control connection");
			conn_close(c);
		}
	}
}

int td_ctl_start(const char *dir)
{
	struct itimerspec its = { .it_interval = { 5, 0 }, .it_value = { 5, 0 } };
	int fd, tfd = -1, err;

	req_msg = calloc(1, sizeof(*req_msg));
	rep_msg = calloc(1, sizeof(*rep_msg));
	if (!req_msg || !rep_msg)
		return -ENOMEM;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if ((size_t)snprintf(sock_path, sizeof(sock_path), "%s/ctl%d", dir,
			     (int)getpid()) >= sizeof(sock_path))
		return -ENAMETOOLONG;
	fd = td_unix_listen(sock_path, 16);
	if (fd < 0) {
		sock_path[0] = 0;
		return fd;
	}
	err = td_loop_add(&listen_src, fd, EPOLLIN, listen_event, NULL);
	if (err)
		goto fail;
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0 ||
	    td_loop_add(&timer_src, tfd, EPOLLIN, timer_event, NULL)) {
		err = -errno ? -errno : -EIO;
		goto fail;
	}
	return 0;
fail:
	td_loop_del(&listen_src);
	if (tfd >= 0)
		close(tfd);
	close(fd);
	unlink(sock_path);
	sock_path[0] = 0;
	return err;
}

void td_ctl_stop(void)
{
	while (conns)
		conn_close(conns);
	if (listen_src.registered) {
		td_loop_del(&listen_src);
		close(listen_src.fd);
	}
	if (timer_src.registered) {
		td_loop_del(&timer_src);
		close(timer_src.fd);
	}
	if (sock_path[0])
		unlink(sock_path);
	sock_path[0] = 0;
	free(req_msg);
	free(rep_msg);
	req_msg = rep_msg = NULL;
}
