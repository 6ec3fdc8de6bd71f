/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioeng-aio: the libaio (Linux native AIO) I/O engine, the fallback.
 *
 * Same behaviour as the io_uring engine (see td-io.h): an io_context of
 * `depth` events, iocbs from a pool allocated once, an eventfd set on
 * every iocb as the completion fd, a FIFO backlog beyond `depth`.
 *
 * Linux AIO has no fallocate, so DISCARD (punch hole) runs synchronously
 * in queue() and is completed from the next reap(), like any deferred
 * completion: the io waits on a list and the eventfd is written so that
 * the loop calls reap(). done() is never called from queue() or submit().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_DIRECT, fallocate() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <libaio.h>

#include "ioeng-fifo.h"
#include "td-io.h"
#include "td-log.h"

#define AIO_MAX_DEPTH 4096u

struct ioeng {
	io_context_t ctx;
	int efd;
	unsigned depth;
	struct iocb *iocbs;		/* the pool: depth iocbs */
	struct iocb **free;		/* stack of unused iocbs */
	unsigned nfree;
	struct iocb **pending;		/* prepared, not yet submitted (FIFO) */
	unsigned npending;
	unsigned kernel;		/* submitted, event not yet reaped */
	struct io_event *events;	/* depth */
	struct td_io_fifo backlog;	/* beyond depth, in order */
	struct td_io_fifo deferred;	/* completions for the next reap */
};

static void aio_fini(struct ioeng *e)
{
	if (!e)
		return;
	if (e->kernel || e->npending || e->backlog.n || e->deferred.n)
		TD_WARN(NULL, "libaio: closing with %u I/Os outstanding",
			e->kernel + e->npending + e->backlog.n + e->deferred.n);
	if (e->ctx)
		io_destroy(e->ctx);	/* waits for what is in flight */
	if (e->efd >= 0)
		close(e->efd);
	free(e->iocbs);
	free(e->free);
	free(e->pending);
	free(e->events);
	free(e);
}

static int aio_init(struct ioeng **out, unsigned depth)
{
	struct ioeng *e;
	unsigned i;
	int err;

	*out = NULL;
	if (!depth)
		return -EINVAL;
	if (depth > AIO_MAX_DEPTH)
		depth = AIO_MAX_DEPTH;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->efd = -1;
	e->depth = depth;
	e->iocbs = calloc(depth, sizeof(*e->iocbs));
	e->free = calloc(depth, sizeof(*e->free));
	e->pending = calloc(depth, sizeof(*e->pending));
	e->events = calloc(depth, sizeof(*e->events));
	if (!e->iocbs || !e->free || !e->pending || !e->events) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < depth; i++)
		e->free[i] = &e->iocbs[depth - 1 - i];
	e->nfree = depth;

	e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->efd < 0) {
		err = -errno;
		goto fail;
	}
	err = io_setup((int)depth, &e->ctx);	/* libaio returns -errno */
	if (err) {
		e->ctx = 0;
		goto fail;
	}
	*out = e;
	return 0;

fail:
	aio_fini(e);
	return err;
}

static int aio_fd(struct ioeng *e)
{
	return e->efd;
}

static void aio_complete(struct ioeng *e, struct td_io *io, int64_t res)
{
	uint64_t one = 1;

	io->eng_res = res;
	td_io_fifo_push(&e->deferred, io);
	if (write(e->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		TD_RL(TD_LOG_ERR, NULL, "libaio: eventfd write: %s",
		      strerror(errno));
}

static void aio_put_iocb(struct ioeng *e, struct iocb *cb)
{
	e->free[e->nfree++] = cb;
}

/* Drop the first n pending iocbs (submitted or failed). */
static void aio_pending_shift(struct ioeng *e, unsigned n)
{
	e->npending -= n;
	memmove(e->pending, e->pending + n, e->npending * sizeof(*e->pending));
}

/* Submit every pending iocb; returns how many went in or -errno. */
static int aio_flush(struct ioeng *e)
{
	struct td_io *io;
	int total = 0, ret;

	while (e->npending) {
		ret = io_submit(e->ctx, (long)e->npending, e->pending);
		if (ret == -EINTR)
			continue;
		if (ret == -EAGAIN && e->kernel)
			break;	/* resources come back with completions: reap retries */
		if (ret <= 0) {
			/*
			 * The first iocb was refused (bad fd, unsupported
			 * op...): fail that I/O alone and carry on.
			 */
			if (ret == 0)
				ret = -EIO;
			io = e->pending[0]->data;
			aio_put_iocb(e, e->pending[0]);
			aio_pending_shift(e, 1);
			aio_complete(e, io, ret);
			continue;
		}
		aio_pending_shift(e, (unsigned)ret);
		e->kernel += (unsigned)ret;
		total += ret;
	}
	return total;
}

/* Put io into a free iocb (the caller checked there is one). */
static void aio_prep(struct ioeng *e, struct td_io *io)
{
	struct iocb *cb = e->free[--e->nfree];

	switch (io->op) {
	case TD_IO_READ:
		io_prep_preadv(cb, io->fd, io->iov, (int)io->iovcnt,
			       (long long)io->offset);
		break;
	case TD_IO_WRITE:
		io_prep_pwritev(cb, io->fd, io->iov, (int)io->iovcnt,
				(long long)io->offset);
		break;
	default:	/* TD_IO_FLUSH */
		io_prep_fdsync(cb, io->fd);
		break;
	}
	cb->data = io;
	io_set_eventfd(cb, e->efd);
	e->pending[e->npending++] = cb;
}

static void aio_pump(struct ioeng *e)
{
	struct td_io *io;

	while (e->backlog.head && e->nfree) {
		io = td_io_fifo_pop(&e->backlog);
		aio_prep(e, io);
	}
}

static int aio_queue(struct ioeng *e, struct td_io *io)
{
	int64_t res = 0;

	switch (io->op) {
	case TD_IO_READ:
	case TD_IO_WRITE:
	case TD_IO_FLUSH:
		break;
	case TD_IO_DISCARD:
		if (fallocate(io->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)io->offset, (off_t)io->len) < 0)
			res = -errno;
		aio_complete(e, io, res);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
	if (e->backlog.head || !e->nfree) {
		td_io_fifo_push(&e->backlog, io);
		return 0;
	}
	aio_prep(e, io);
	return 0;
}

static int aio_submit(struct ioeng *e)
{
	return aio_flush(e);
}

static unsigned aio_reap_deferred(struct ioeng *e)
{
	return td_io_fifo_complete_all(&e->deferred);
}

static int aio_reap(struct ioeng *e)
{
	struct timespec zero = { 0, 0 };
	struct td_io *io;
	uint64_t cnt;
	int n = 0, got, i, ret;

	if (read(e->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		TD_RL(TD_LOG_ERR, NULL, "libaio: eventfd read: %s",
		      strerror(errno));

	while (e->kernel) {
		got = io_getevents(e->ctx, 0, (long)e->depth, e->events, &zero);
		if (got == -EINTR)
			continue;
		if (got <= 0) {
			if (got < 0)
				TD_RL(TD_LOG_ERR, NULL, "libaio: io_getevents: %s",
				      strerror(-got));
			break;
		}
		/* Free the iocbs before the callbacks, which may queue again. */
		for (i = 0; i < got; i++) {
			aio_put_iocb(e, e->events[i].obj);
			e->events[i].data = e->events[i].obj->data;
		}
		e->kernel -= (unsigned)got;
		aio_pump(e);
		for (i = 0; i < got; i++) {
			io = e->events[i].data;
			io->done(io, (int64_t)(long)e->events[i].res);
		}
		n += got;
	}
	n += (int)aio_reap_deferred(e);

	aio_pump(e);
	if (e->npending) {
		ret = aio_flush(e);
		if (ret < 0)
			TD_RL(TD_LOG_ERR, NULL, "libaio: submit: %s",
			      strerror(-ret));
	}
	return n;
}

static unsigned aio_inflight(struct ioeng *e)
{
	return e->backlog.n + e->npending + e->kernel + e->deferred.n;
}

const struct ioeng_ops ioeng_aio_ops = {
	.name = "libaio",
	.init = aio_init,
	.fini = aio_fini,
	.fd = aio_fd,
	.queue = aio_queue,
	.submit = aio_submit,
	.reap = aio_reap,
	.inflight = aio_inflight,
	.complete = aio_complete,
};
