/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-nbd: the per-VBD NBD export: listening socket, connections, the
 * handshake and the framing of the transmission phase. The requests
 * themselves are in td-nbd-io.c.
 *
 * Input is read into a staging buffer and consumed one unit at a time
 * (client flags, option, request header); a WRITE's payload goes straight
 * into its request's buffer. A connection stops reading while it holds
 * NBD_CONN_MAX_OPS requests or NBD_CONN_MAX_BYTES of data, or has
 * NBD_HS_OUT_MAX of handshake replies unwritten, and reads again once
 * replies are written: a client that does not read its replies stops
 * itself, and nobody else. Replies are written once per loop iteration
 * (the sweep), as many as one sendmsg takes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "td-log.h"
#include "td-nbd-int.h"
#include "td-nbd.h"
#include "td-unix.h"
#include "td-vbd.h"

#define NBD_RX_BUDGET 64	/* units consumed per wake-up, for fairness */
#define NBD_TX_OPS 32		/* replies per sendmsg */

static struct nbd_srv *srvs;
static struct nbd_conn *dirty;
static int in_sweep;
static struct td_sweep sweep;
static struct td_loop_src timer_src = { .fd = -1 };
static int timer_armed;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct nbd_srv *srv_find(const struct td_vbd *v)
{
	struct nbd_srv *s;

	for (s = srvs; s; s = s->next)
		if (s->v == v)
			return s;
	return NULL;
}

/* ---- connection lifetime ------------------------------------------------ */

void nbd_conn_mark_dirty(struct nbd_conn *c)
{
	if (c->dirty || c->dead)
		return;
	c->dirty = 1;
	c->dirty_next = dirty;
	dirty = c;
	if (in_sweep)
		td_loop_kick();	/* this sweep has taken its list already */
}

static void conn_free(void *arg)
{
	struct nbd_conn *c = arg;

	free(c->in);
	free(c->hs);
	free(c);
}

void nbd_conn_maybe_release(struct nbd_conn *c)
{
	struct nbd_conn **pp;

	if (!c->dead || c->nops)
		return;
	for (pp = &c->s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->s->nconns--;
	for (pp = &dirty; *pp; pp = &(*pp)->dirty_next)
		if (*pp == c) {
			*pp = c->dirty_next;
			break;
		}
	/* c->src may still be in the batch being dispatched */
	td_loop_defer(&c->defer, conn_free, c);
}

static void free_list(struct nbd_op *op)
{
	while (op) {
		struct nbd_op *next = op->next;

		nbd_op_free(op);
		op = next;
	}
}

/* Close the socket now. Requests at the image finish unanswered. */
static void conn_kill(struct nbd_conn *c, const char *why)
{
	if (c->dead)
		return;
	TD_DBG(c->prefix, "closed: %s", why);
	c->dead = 1;
	td_loop_del(&c->src);
	close(c->src.fd);
	free_list(c->wait_head);
	free_list(c->out_head);
	c->wait_head = c->wait_tail = c->out_head = c->out_tail = NULL;
	if (c->rx)
		nbd_op_free(c->rx);
	if (c->skip_op)
		nbd_op_free(c->skip_op);
	c->rx = c->skip_op = NULL;
	nbd_conn_maybe_release(c);
}

static int conn_can_read(const struct nbd_conn *c)
{
	if (c->dead || c->closing)
		return 0;
	if (c->state != NBD_CS_TRANS)
		return c->hs_len - c->hs_off < NBD_HS_OUT_MAX;
	if (c->rx || c->skip)
		return 1;	/* finish the payload under way */
	return c->nops < NBD_CONN_MAX_OPS && c->bytes < NBD_CONN_MAX_BYTES;
}

static void conn_update_events(struct nbd_conn *c)
{
	uint32_t want = 0;

	if (c->dead)
		return;
	if (conn_can_read(c))
		want |= EPOLLIN;
	if (c->hs_len > c->hs_off || c->out_head)
		want |= EPOLLOUT;
	if (want != c->events && td_loop_mod(&c->src, want) == 0)
		c->events = want;
}

/* ---- input ------------------------------------------------------------------ */

static size_t in_avail(const struct nbd_conn *c)
{
	return c->in_len - c->in_off;
}

static void in_take(struct nbd_conn *c, size_t n)
{
	c->in_off += n;
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
}

static void count_request(struct td_vbd *v, uint16_t type)
{
	switch (type) {
	case NBD_CMD_READ:
		v->counters[TD_STAT_REQ_READ]++;
		break;
	case NBD_CMD_WRITE:
	case NBD_CMD_WRITE_ZEROES:
		v->counters[TD_STAT_REQ_WRITE]++;
		break;
	case NBD_CMD_FLUSH:
		v->counters[TD_STAT_REQ_FLUSH]++;
		break;
	case NBD_CMD_TRIM:
		v->counters[TD_STAT_REQ_DISCARD]++;
		break;
	default:
		v->counters[TD_STAT_REQ_UNKNOWN]++;
		break;
	}
}

/* One request header is buffered. 1, or -errno to hang up. */
static int conn_request(struct nbd_conn *c)
{
	struct td_vbd *v = c->s->v;
	struct nbd_op *op;
	struct nbd_req r;
	uint32_t err;

	if (nbd_req_decode(c->in + c->in_off, &r))
		return -EPROTO;	/* lost the framing */
	in_take(c, NBD_REQ_SIZE);
	if (r.type == NBD_CMD_DISC) {
		c->closing = 1;	/* answer what is outstanding, then close */
		nbd_conn_mark_dirty(c);
		return 1;
	}
	count_request(v, r.type);
	/* A payload this large is a denial of service: the spec lets us
	 * hang up rather than read it. */
	if (nbd_req_payload(&r) > NBD_MAX_PAYLOAD)
		return -EMSGSIZE;
	op = nbd_op_new(c, &r);
	if (!op)
		return -ENOMEM;
	err = nbd_req_check(&r, &c->s->exp);
	if (!err && (r.type == NBD_CMD_READ || r.type == NBD_CMD_WRITE) && r.len &&
	    nbd_op_alloc_buf(op))
		err = NBD_ENOMEM;
	if (err) {
		if (err != NBD_ENOMEM)
			v->counters[TD_STAT_ERR_GUEST]++;
		TD_RL(TD_LOG_WARN, c->prefix, "%s at %llu len %u flags 0x%x: "
		      "refused (error %u)", nbd_cmd_name(r.type),
		      (unsigned long long)r.offset, r.len, r.flags, err);
		op->err = err;
		if (nbd_req_payload(&r)) {
			c->skip = r.len;	/* answer once it is read */
			c->skip_op = op;
		} else {
			nbd_op_answer(op, err);
		}
		return 1;
	}
	if (r.type == NBD_CMD_WRITE && r.len) {
		c->rx = op;
		c->rx_got = 0;
		return 1;
	}
	nbd_op_ready(op);
	return 1;
}

/* The last payload byte of c->rx or of a skip arrived. */
static void payload_done(struct nbd_conn *c)
{
	struct nbd_op *op;

	if (c->rx && c->rx_got == c->rx->r.len) {
		op = c->rx;
		c->rx = NULL;
		nbd_op_ready(op);
	}
	if (!c->skip && c->skip_op) {
		op = c->skip_op;
		c->skip_op = NULL;
		nbd_op_answer(op, op->err);
	}
}

/* Consume buffered input: 1 progress, 0 needs more bytes, -errno to hang up. */
static int conn_consume(struct nbd_conn *c)
{
	size_t avail = in_avail(c), n;
	int r;

	if (c->rx || c->skip) {
		n = c->rx ? c->rx->r.len - c->rx_got : c->skip;
		if (n > avail)
			n = avail;
		if (!n)
			return 0;
		if (c->rx) {
			memcpy(c->rx->buf + c->rx_got, c->in + c->in_off, n);
			c->rx_got += (uint32_t)n;
		} else {
			c->skip -= n;
		}
		in_take(c, n);
		payload_done(c);
		return 1;
	}
	switch (c->state) {
	case NBD_CS_FLAGS:
	case NBD_CS_OPTS:
		r = nbd_hs_consume(c, c->in + c->in_off, avail, &n);
		if (r > 0)
			in_take(c, n);
		return r;
	case NBD_CS_TRANS:
		return avail < NBD_REQ_SIZE ? 0 : conn_request(c);
	}
	return -EPROTO;
}

/* Read from the socket: bytes read, 0 at EOF, -EAGAIN or -errno. */
static ssize_t conn_recv(struct nbd_conn *c)
{
	ssize_t n;

	if (c->rx && !in_avail(c)) {
		/* a payload: straight into its buffer */
		n = recv(c->src.fd, c->rx->buf + c->rx_got, c->rx->r.len - c->rx_got, 0);
		if (n > 0) {
			c->rx_got += (uint32_t)n;
			payload_done(c);
		}
	} else {
		if (c->in_off) {
			memmove(c->in, c->in + c->in_off, in_avail(c));
			c->in_len -= c->in_off;
			c->in_off = 0;
		}
		if (c->in_len == NBD_IN_SIZE)
			return -ENOBUFS;	/* cannot happen: units fit */
		n = recv(c->src.fd, c->in + c->in_len, NBD_IN_SIZE - c->in_len, 0);
		if (n > 0)
			c->in_len += (size_t)n;
	}
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ?
		       -EAGAIN : -errno;
	return n;
}

static void conn_rx(struct nbd_conn *c)
{
	unsigned budget = NBD_RX_BUDGET;
	ssize_t n;
	int r;

	c->stalled = 0;
	while (!c->dead) {
		if (!conn_can_read(c)) {
			c->stalled = !c->closing;
			break;
		}
		if (!budget--) {
			c->stalled = 1;
			nbd_conn_mark_dirty(c);
			td_loop_kick();
			break;
		}
		r = conn_consume(c);
		if (r < 0) {
			TD_RL(TD_LOG_WARN, c->prefix, "protocol error: %s: hanging up",
			      strerror(-r));
			conn_kill(c, "protocol error");
			return;
		}
		if (r > 0)
			continue;
		n = conn_recv(c);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			conn_kill(c, "read error");
			return;
		}
		if (n == 0) {
			/* EOF: a request cut short cannot be served; answers
			 * owed are written (the client may only have shut
			 * down its side), then the socket is closed. */
			if (c->rx || c->skip || (!c->nops && c->hs_len == c->hs_off)) {
				conn_kill(c, "client hung up");
				return;
			}
			c->closing = 1;
			break;
		}
	}
	conn_update_events(c);
}

/* ---- output ----------------------------------------------------------------- */

static ssize_t conn_send_iov(struct nbd_conn *c, struct iovec *iov, int n)
{
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	ssize_t w = sendmsg(c->src.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ?
		       -EAGAIN : -errno;
	return w;
}

/* Write the replies of the out list, as far as the socket takes them. */
static int conn_tx_replies(struct nbd_conn *c)
{
	struct iovec iov[2 * NBD_TX_OPS];

	while (c->out_head) {
		struct nbd_op *op;
		size_t left;
		ssize_t w;
		int n = 0;

		for (op = c->out_head; op && n + 2 <= 2 * NBD_TX_OPS; op = op->next) {
			size_t dlen = op->r.type == NBD_CMD_READ && !op->err ? op->r.len : 0;
			size_t s = op->sent;

			if (s < NBD_REPLY_SIZE) {
				iov[n].iov_base = op->hdr + s;
				iov[n++].iov_len = NBD_REPLY_SIZE - s;
				s = NBD_REPLY_SIZE;
			}
			if (dlen) {
				iov[n].iov_base = op->buf + (s - NBD_REPLY_SIZE);
				iov[n++].iov_len = dlen - (s - NBD_REPLY_SIZE);
			}
		}
		w = conn_send_iov(c, iov, n);
		if (w < 0)
			return (int)w;
		left = (size_t)w;
		while ((op = c->out_head) && left) {
			size_t total = NBD_REPLY_SIZE +
				       (op->r.type == NBD_CMD_READ && !op->err ? op->r.len : 0);
			size_t take = total - op->sent < left ? total - op->sent : left;

			op->sent += take;
			left -= take;
			if (op->sent < total)
				break;
			c->out_head = op->next;
			if (!c->out_head)
				c->out_tail = NULL;
			nbd_op_free(op);
		}
	}
	return 0;
}

static void conn_tx(struct nbd_conn *c)
{
	int err = 0;

	while (!err && c->hs_off < c->hs_len) {
		struct iovec iov = { c->hs + c->hs_off, c->hs_len - c->hs_off };
		ssize_t w = conn_send_iov(c, &iov, 1);

		if (w < 0)
			err = (int)w;
		else
			c->hs_off += (size_t)w;
	}
	if (c->hs_off == c->hs_len)
		c->hs_off = c->hs_len = 0;
	if (!err)
		err = conn_tx_replies(c);
	if (err && err != -EAGAIN) {
		conn_kill(c, "write error");
		return;
	}
	if (c->closing && !c->nops && !c->rx && !c->hs_len) {
		conn_kill(c, "done");
		return;
	}
	/* replies written free room: read what the limits left buffered
	 * (epoll cannot say: it may all be in our staging buffer) */
	if (c->stalled && conn_can_read(c))
		nbd_conn_mark_dirty(c);
	conn_update_events(c);
}

static void conn_event(struct td_loop_src *src, uint32_t events)
{
	struct nbd_conn *c = src->arg;

	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_kill(c, "socket closed");
		return;
	}
	if (events & EPOLLIN)
		conn_rx(c);
	if (!c->dead && (events & EPOLLOUT))
		conn_tx(c);
}

/* Once per loop iteration: write what was answered, read what waited. */
static void nbd_sweep(void *arg)
{
	struct nbd_conn *c, *next, *list = dirty;

	dirty = NULL;
	in_sweep = 1;
	for (c = list; c; c = next) {
		next = c->dirty_next;
		c->dirty = 0;
		c->dirty_next = NULL;
		if (c->dead)
			continue;
		conn_tx(c);
		if (!c->dead && c->stalled && conn_can_read(c)) {
			conn_rx(c);
			td_loop_kick();	/* the engine's submit ran before us */
		}
	}
	in_sweep = 0;
}

/* ---- handshake timeout -------------------------------------------------------- */

static void timer_arm(int on)
{
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };

	if (timer_src.fd < 0 || timer_armed == on)
		return;
	if (!on)
		memset(&its, 0, sizeof(its));
	if (timerfd_settime(timer_src.fd, 0, &its, NULL) == 0)
		timer_armed = on;
}

static void timer_event(struct td_loop_src *src, uint32_t events)
{
	uint64_t ticks, now = now_ms();
	struct nbd_conn *c, *next;
	struct nbd_srv *s;
	int waiting = 0;

	if (read(src->fd, &ticks, sizeof(ticks)) < 0)
		return;
	for (s = srvs; s; s = s->next)
		for (c = s->conns; c; c = next) {
			next = c->next;
			if (c->dead || c->state == NBD_CS_TRANS)
				continue;
			if (now < c->deadline_ms) {
				waiting = 1;
				continue;
			}
			TD_RL(TD_LOG_WARN, c->prefix, "handshake not finished in %u ms: "
			      "hanging up", NBD_HS_TIMEOUT_MS);
			conn_kill(c, "handshake timeout");
		}
	if (!waiting)
		timer_arm(0);
}

/* ---- listening ------------------------------------------------------------------ */

static void srv_accept(struct td_loop_src *src, uint32_t events)
{
	struct nbd_srv *s = src->arg;
	uint8_t greeting[NBD_GREETING_SIZE];
	struct nbd_conn *c;
	int fd;

	fd = accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (!td_unix_peer_allowed(fd) || s->nconns >= NBD_MAX_CONNS) {
		TD_RL(TD_LOG_WARN, s->v->prefix, "nbd: refused a client (%s)",
		      s->nconns >= NBD_MAX_CONNS ? "too many" : "no permission");
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c)
		c->in = malloc(NBD_IN_SIZE);
	if (!c || !c->in || td_loop_add(&c->src, fd, EPOLLIN, conn_event, c)) {
		if (c)
			free(c->in);
		free(c);
		close(fd);
		return;
	}
	c->s = s;
	c->events = EPOLLIN;
	c->state = NBD_CS_FLAGS;
	c->deadline_ms = now_ms() + NBD_HS_TIMEOUT_MS;
	snprintf(c->prefix, sizeof(c->prefix), "%s nbd%u", s->v->prefix, ++s->serial);
	c->next = s->conns;
	s->conns = c;
	s->nconns++;
	nbd_greeting_encode(greeting);
	if (nbd_hs_put(c, greeting, sizeof(greeting))) {
		conn_kill(c, "out of memory");
		return;
	}
	timer_arm(1);
	TD_DBG(c->prefix, "connected");
}

/* Size, flags and block sizes from the VBD (kept across a pause). */
static void srv_export_update(struct nbd_srv *s)
{
	struct td_vbd *v = s->v;
	struct nbd_export *e = &s->exp;
	uint32_t min = e->min_block ? e->min_block : 512, pref;

	if (v->img) {
		min = v->img->info.logical_sector;
		if (!min || min > 65536 || (min & (min - 1)))
			min = 512;
	}
	pref = v->img && v->img->info.physical_sector > 4096 &&
	       !(v->img->info.physical_sector & (v->img->info.physical_sector - 1)) ?
	       v->img->info.physical_sector : 4096;
	e->size = v->size;
	e->min_block = min;
	e->pref_block = pref > min ? pref : min;
	e->max_block = NBD_MAX_PAYLOAD;
	e->tflags = nbd_tflags(v->lim.readonly, !!(v->features & TD_FEAT_DISCARD));
}

static int module_start(void)
{
	int fd;

	if (timer_src.fd >= 0)
		return 0;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (td_loop_add(&timer_src, fd, EPOLLIN, timer_event, NULL)) {
		close(fd);
		return -EIO;
	}
	timer_armed = 0;
	td_loop_add_sweep(&sweep, nbd_sweep, NULL);
	return 0;
}

static void module_stop(void)
{
	td_loop_del_sweep(&sweep);
	if (timer_src.fd >= 0) {
		td_loop_del(&timer_src);
		close(timer_src.fd);
	}
	timer_src.fd = -1;
	nbd_io_fini();
}

int td_nbd_open(struct td_vbd *v)
{
	struct nbd_srv *s;
	int fd = -1, err;

	if (srv_find(v))
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->v = v;
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s/nbd%d.%u", td_ctx.ctl_dir,
			     (int)getpid(), v->minor) >= sizeof(s->path)) {
		err = -ENAMETOOLONG;
		goto fail;
	}
	err = module_start();
	if (err)
		goto fail;
	fd = td_unix_listen(s->path, NBD_MAX_CONNS);
	if (fd < 0) {
		err = fd;
		goto fail;
	}
	err = td_loop_add(&s->lsrc, fd, EPOLLIN, srv_accept, s);
	if (err) {
		unlink(s->path);
		goto fail;
	}
	srv_export_update(s);
	s->next = srvs;
	srvs = s;
	td_log(TD_LOG_INFO, v->prefix, "NBD export %s", s->path);
	return 0;
fail:
	td_log(TD_LOG_WARN, v->prefix, "no NBD export (%s): %s", s->path,
	       strerror(-err));
	if (fd >= 0)
		close(fd);
	free(s);
	if (!srvs)
		module_stop();
	return err;
}

void td_nbd_close(struct td_vbd *v)
{
	struct nbd_srv *s = srv_find(v), **pp;
	struct nbd_conn *c, *next;

	if (!s)
		return;
	td_loop_del(&s->lsrc);
	close(s->lsrc.fd);
	unlink(s->path);
	for (c = s->conns; c; c = next) {
		next = c->next;
		conn_kill(c, "export closed");
	}
	nbd_srv_drain(s);	/* every conn is released once its I/O is done */
	for (pp = &srvs; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	td_log(TD_LOG_INFO, v->prefix, "NBD export %s removed", s->path);
	/* s->lsrc may still be in the batch being dispatched */
	td_loop_defer(&s->defer, free, s);
	if (!srvs)
		module_stop();
}

void td_nbd_quiesce(struct td_vbd *v)
{
	struct nbd_srv *s = srv_find(v);

	if (!s)
		return;
	s->quiesced = 1;
	nbd_srv_drain(s);
}

void td_nbd_resume(struct td_vbd *v)
{
	struct nbd_srv *s = srv_find(v);
	struct nbd_conn *c;

	if (!s)
		return;
	s->quiesced = 0;
	srv_export_update(s);
	for (c = s->conns; c; c = c->next) {
		if (c->dead)
			continue;
		nbd_conn_submit(c);
		nbd_conn_mark_dirty(c);
		c->stalled = 1;	/* read what stopped at the limits */
	}
}
