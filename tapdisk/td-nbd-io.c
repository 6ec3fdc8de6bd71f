/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-nbd-io: NBD requests against the VBD's image.
 *
 * A request was checked (nbd_req_check) before it gets here. READ and
 * WRITE use one page-aligned buffer (the image may be O_DIRECT);
 * WRITE_ZEROES writes a shared zero buffer, chunk after chunk in one
 * vector; TRIM is a DISCARD; FLUSH an fdatasync. With FUA a write is
 * followed by a FLUSH before it is answered, as BLKIF_OP_FLUSH_DISKCACHE
 * with data is on the rings. Requests are counted in the VBD's counters
 * (the ones `tap-ctl stats` shows), like the rings' requests.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "td-log.h"
#include "td-nbd-int.h"
#include "td-vbd.h"

#define NBD_ZERO_CHUNK (1u << 20)
#define NBD_BUF_ALIGN 4096u
#define NBD_DRAIN_TIMEOUT_MS 1000

static uint8_t *zero_buf;	/* NBD_ZERO_CHUNK zeroes, shared read-only */

struct nbd_op *nbd_op_new(struct nbd_conn *c, const struct nbd_req *r)
{
	struct nbd_op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->c = c;
	op->r = *r;
	op->iov = &op->iov1;
	c->nops++;
	return op;
}

void nbd_op_free(struct nbd_op *op)
{
	struct nbd_conn *c = op->c;

	if (op->buf) {
		free(op->buf);
		c->bytes -= op->r.len;
	}
	if (op->iov != &op->iov1)
		free(op->iov);
	c->nops--;
	free(op);
}

int nbd_op_alloc_buf(struct nbd_op *op)
{
	void *p;

	if (posix_memalign(&p, NBD_BUF_ALIGN, op->r.len))
		return -ENOMEM;
	op->buf = p;
	op->c->bytes += op->r.len;
	return 0;
}

void nbd_op_answer(struct nbd_op *op, uint32_t err)
{
	struct nbd_conn *c = op->c;

	op->err = err;
	nbd_reply_encode(op->hdr, err, op->r.cookie);
	op->sent = 0;
	if (c->dead) {
		/* nobody to tell: the client hung up */
		nbd_op_free(op);
		nbd_conn_maybe_release(c);
		return;
	}
	op->next = NULL;
	if (c->out_tail)
		c->out_tail->next = op;
	else
		c->out_head = op;
	c->out_tail = op;
	nbd_conn_mark_dirty(c);
}

static void op_io_done(struct td_io *io, int64_t res);

/* Queue io for op on the image. 0, or -errno (then done is not called). */
static int op_queue(struct nbd_op *op, enum td_io_op what)
{
	struct td_io *io = &op->io;
	struct td_vbd *v = op->c->s->v;

	memset(io, 0, sizeof(*io));
	io->op = what;
	io->done = op_io_done;
	io->owner = op;
	if (what != TD_IO_FLUSH) {
		io->offset = op->r.offset;
		io->len = op->r.len;
	}
	if (what == TD_IO_READ || what == TD_IO_WRITE) {
		io->iov = op->iov;
		io->iovcnt = op->iovcnt;
	}
	return td_image_queue(v->img, io);
}

static void op_io_done(struct td_io *io, int64_t res)
{
	struct nbd_op *op = io->owner;
	struct nbd_conn *c = op->c;
	uint64_t *cnt = c->s->v->counters;
	uint32_t err = 0;

	if (res < 0) {
		cnt[TD_STAT_ERR_IO]++;
		TD_RL(TD_LOG_WARN, c->prefix, "%s at %llu len %u: %s",
		      nbd_cmd_name(op->r.type), (unsigned long long)op->r.offset,
		      op->r.len, strerror((int)-res));
		err = nbd_errno((int)res);
		goto out;
	}
	switch (io->op) {
	case TD_IO_READ:
		cnt[TD_STAT_SECT_READ] += io->len >> BLKIF_SECTOR_SHIFT;
		break;
	case TD_IO_WRITE:
		cnt[TD_STAT_SECT_WRITE] += io->len >> BLKIF_SECTOR_SHIFT;
		break;
	case TD_IO_FLUSH:
		cnt[TD_STAT_FLUSH_DONE]++;
		break;
	case TD_IO_DISCARD:
	case TD_IO_DISCARD_SECURE:
		cnt[TD_STAT_DISCARD_DONE]++;
		break;
	}
	if ((op->r.flags & NBD_CMD_FLAG_FUA) && !op->fua_stage &&
	    io->op != TD_IO_READ && io->op != TD_IO_FLUSH) {
		int e;

		/* data written: make it stable before answering */
		op->fua_stage = 1;
		e = op_queue(op, TD_IO_FLUSH);
		if (e == 0)
			return;	/* still in flight */
		cnt[TD_STAT_ERR_IO]++;
		err = nbd_errno(e);
	}
out:
	c->inflight--;
	nbd_op_answer(op, err);
}

static int op_prepare_zeroes(struct nbd_op *op)
{
	unsigned n = (op->r.len + NBD_ZERO_CHUNK - 1) / NBD_ZERO_CHUNK, i;
	uint32_t left = op->r.len;

	if (!zero_buf) {
		void *p;

		if (posix_memalign(&p, NBD_BUF_ALIGN, NBD_ZERO_CHUNK))
			return -ENOMEM;
		memset(p, 0, NBD_ZERO_CHUNK);
		zero_buf = p;
	}
	op->iov = calloc(n, sizeof(*op->iov));
	if (!op->iov) {
		op->iov = &op->iov1;
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		uint32_t len = left < NBD_ZERO_CHUNK ? left : NBD_ZERO_CHUNK;

		op->iov[i].iov_base = zero_buf;
		op->iov[i].iov_len = len;
		left -= len;
	}
	op->iovcnt = n;
	return 0;
}

/* Hand one request to the image; it is answered from op_io_done. */
static void op_start(struct nbd_op *op)
{
	struct nbd_conn *c = op->c;
	enum td_io_op what;
	int err = 0;

	switch (op->r.type) {
	case NBD_CMD_READ:
	case NBD_CMD_WRITE:
		what = op->r.type == NBD_CMD_READ ? TD_IO_READ : TD_IO_WRITE;
		op->iov1.iov_base = op->buf;
		op->iov1.iov_len = op->r.len;
		op->iovcnt = 1;
		break;
	case NBD_CMD_WRITE_ZEROES:
		what = TD_IO_WRITE;
		err = op_prepare_zeroes(op);
		break;
	case NBD_CMD_TRIM:
		what = TD_IO_DISCARD;
		break;
	default:
		what = TD_IO_FLUSH;
		break;
	}
	if (!err && !op->r.len && what != TD_IO_FLUSH) {
		nbd_op_answer(op, 0);	/* nothing to do (the spec: no error) */
		return;
	}
	if (!err) {
		c->inflight++;
		err = op_queue(op, what);	/* may complete (and free op) inline */
		if (!err)
			return;
		c->inflight--;
		c->s->v->counters[TD_STAT_ERR_IO]++;
		TD_RL(TD_LOG_WARN, c->prefix, "%s: cannot queue I/O: %s",
		      nbd_cmd_name(op->r.type), strerror(-err));
	}
	nbd_op_answer(op, nbd_errno(err));
}

void nbd_conn_submit(struct nbd_conn *c)
{
	struct td_vbd *v = c->s->v;
	struct nbd_op *op;

	while ((op = c->wait_head)) {
		if (c->s->quiesced || v->paused)
			return;	/* held until unpause */
		c->wait_head = op->next;
		if (!c->wait_head)
			c->wait_tail = NULL;
		op->next = NULL;
		if (!v->img)
			nbd_op_answer(op, NBD_EIO);	/* no medium */
		else
			op_start(op);
	}
}

void nbd_op_ready(struct nbd_op *op)
{
	struct nbd_conn *c = op->c;

	op->next = NULL;
	if (c->wait_tail)
		c->wait_tail->next = op;
	else
		c->wait_head = op;
	c->wait_tail = op;
	nbd_conn_submit(c);
}

static unsigned srv_inflight(const struct nbd_srv *s)
{
	const struct nbd_conn *c;
	unsigned n = 0;

	for (c = s->conns; c; c = c->next)
		n += c->inflight;
	return n;
}

/* As td_ring_quiesce: wait on the engine until our I/O has completed. */
void nbd_srv_drain(struct nbd_srv *s)
{
	int idle = 0;
	unsigned n;

	while ((n = srv_inflight(s))) {
		struct pollfd pfd = { .fd = td_ctx.eops->fd(td_ctx.eng),
				      .events = POLLIN };

		td_ctx.eops->submit(td_ctx.eng);
		if (poll(&pfd, 1, NBD_DRAIN_TIMEOUT_MS) == 0) {
			if (++idle % 10 == 0)
				td_log(TD_LOG_WARN, s->v->prefix,
				       "nbd: waiting for %u I/O(s) to finish", n);
			continue;
		}
		td_ctx.eops->reap(td_ctx.eng);
	}
}

void nbd_io_fini(void)
{
	free(zero_buf);
	zero_buf = NULL;
}
