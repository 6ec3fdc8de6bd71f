/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioeng-uring: the io_uring I/O engine (the default).
 *
 * One ring with `depth` SQ entries (the kernel rounds up to a power of two
 * and gives twice as many CQ entries). Completions are signalled through
 * a registered eventfd, which is the fd the event loop polls.
 *
 * Capacity: at most `depth` I/Os are prepared or in the kernel at once, so
 * the SQ never runs out of entries and the CQ can never overflow. I/Os
 * beyond that wait on a FIFO backlog (linked through io->next) that reap()
 * moves into the ring as completions make room. Nothing is allocated per
 * I/O: the ring carries the td_io pointer as user_data.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_DIRECT, fallocate() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <liburing.h>

#include "ioeng-fifo.h"
#include "td-io.h"
#include "td-log.h"

#define UR_MAX_DEPTH 4096u
#define UR_BATCH 64u

struct ioeng {
	struct io_uring ring;
	int efd;			/* registered eventfd, -1 before */
	unsigned depth;
	unsigned queued;		/* SQEs prepared, not yet submitted */
	unsigned kernel;		/* submitted, CQE not yet reaped */
	struct td_io_fifo backlog;	/* beyond depth, in order */
	struct td_io_fifo deferred;	/* completions for the next reap */
};

static int ur_init(struct ioeng **out, unsigned depth)
{
	static const int needed[] = {
		IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
		IORING_OP_FALLOCATE,
	};
	struct io_uring_probe *probe;
	struct ioeng *e;
	unsigned i;
	int err;

	*out = NULL;
	if (!depth)
		return -EINVAL;
	if (depth > UR_MAX_DEPTH)
		depth = UR_MAX_DEPTH;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->efd = -1;
	e->depth = depth;
	err = io_uring_queue_init(depth, &e->ring, 0);
	if (err)
		goto fail_free;

	/* Kernels before 5.6 cannot probe, nor fallocate: libaio then. */
	probe = io_uring_get_probe_ring(&e->ring);
	if (!probe) {
		err = -EOPNOTSUPP;
		goto fail_ring;
	}
	for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (!io_uring_opcode_supported(probe, needed[i]))
			err = -EOPNOTSUPP;
	io_uring_free_probe(probe);
	if (err)
		goto fail_ring;

	e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->efd < 0) {
		err = -errno;
		goto fail_ring;
	}
	err = io_uring_register_eventfd(&e->ring, e->efd);
	if (err)
		goto fail_efd;
	*out = e;
	return 0;

fail_efd:
	close(e->efd);
fail_ring:
	io_uring_queue_exit(&e->ring);
fail_free:
	free(e);
	return err;
}

static void ur_fini(struct ioeng *e)
{
	if (!e)
		return;
	if (e->kernel || e->queued || e->backlog.n || e->deferred.n)
		TD_WARN(NULL, "io_uring: closing with %u I/Os outstanding",
			e->kernel + e->queued + e->backlog.n + e->deferred.n);
	io_uring_queue_exit(&e->ring);
	close(e->efd);
	free(e);
}

static int ur_fd(struct ioeng *e)
{
	return e->efd;
}

/* Submit every prepared SQE; returns how many went in or -errno. */
static int ur_flush(struct ioeng *e)
{
	int total = 0, ret;

	while (e->queued) {
		ret = io_uring_submit(&e->ring);
		if (ret == -EINTR)
			continue;
		if (ret <= 0)
			return total ? total : ret;
		/* A failed SQE counts as submitted: its CQE carries the error. */
		if ((unsigned)ret > e->queued)
			ret = (int)e->queued;
		e->queued -= (unsigned)ret;
		e->kernel += (unsigned)ret;
		total += ret;
	}
	return total;
}

/* Put io into an SQE. The caller checked that there is room (depth). */
static void ur_prep(struct ioeng *e, struct td_io *io)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);

	if (!sqe) {
		/* Not reachable while queued + kernel <= depth; be safe. */
		ur_flush(e);
		sqe = io_uring_get_sqe(&e->ring);
		if (!sqe) {
			td_io_fifo_push(&e->backlog, io);
			return;
		}
	}
	switch (io->op) {
	case TD_IO_READ:
		io_uring_prep_readv(sqe, io->fd, io->iov, io->iovcnt, io->offset);
		break;
	case TD_IO_WRITE:
		io_uring_prep_writev(sqe, io->fd, io->iov, io->iovcnt, io->offset);
		break;
	case TD_IO_FLUSH:
		io_uring_prep_fsync(sqe, io->fd, IORING_FSYNC_DATASYNC);
		break;
	default:	/* TD_IO_DISCARD: ur_queue let nothing else through */
		io_uring_prep_fallocate(sqe, io->fd,
					FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					(off_t)io->offset, (off_t)io->len);
		break;
	}
	io_uring_sqe_set_data(sqe, io);
	e->queued++;
}

/* Move backlog into the ring while there is room. */
static void ur_pump(struct ioeng *e)
{
	struct td_io *io;

	while (e->backlog.head && e->queued + e->kernel < e->depth) {
		io = td_io_fifo_pop(&e->backlog);
		ur_prep(e, io);
	}
}

static int ur_queue(struct ioeng *e, struct td_io *io)
{
	switch (io->op) {
	case TD_IO_READ:
	case TD_IO_WRITE:
	case TD_IO_FLUSH:
	case TD_IO_DISCARD:
		break;
	default:
		return -EOPNOTSUPP;
	}
	/* FIFO: nothing overtakes the backlog. */
	if (e->backlog.head || e->queued + e->kernel >= e->depth) {
		td_io_fifo_push(&e->backlog, io);
		return 0;
	}
	ur_prep(e, io);
	return 0;
}

static int ur_submit(struct ioeng *e)
{
	return ur_flush(e);
}

static void ur_complete(struct ioeng *e, struct td_io *io, int64_t res)
{
	uint64_t one = 1;

	io->eng_res = res;
	td_io_fifo_push(&e->deferred, io);
	/* Wake the loop; if the counter is saturated it is readable anyway. */
	if (write(e->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		TD_RL(TD_LOG_ERR, NULL, "io_uring: eventfd write: %s",
		      strerror(errno));
}

static unsigned ur_reap_deferred(struct ioeng *e)
{
	return td_io_fifo_complete_all(&e->deferred);
}

static int ur_reap(struct ioeng *e)
{
	struct io_uring_cqe *cqes[UR_BATCH];
	struct td_io *ios[UR_BATCH];
	int64_t res[UR_BATCH];
	unsigned k, i;
	uint64_t cnt;
	int n = 0, ret;

	/* Clear readiness first: a CQE posted after this re-arms the fd. */
	if (read(e->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		TD_RL(TD_LOG_ERR, NULL, "io_uring: eventfd read: %s",
		      strerror(errno));

	while ((k = io_uring_peek_batch_cqe(&e->ring, cqes, UR_BATCH)) > 0) {
		for (i = 0; i < k; i++) {
			ios[i] = io_uring_cqe_get_data(cqes[i]);
			res[i] = cqes[i]->res;
		}
		io_uring_cq_advance(&e->ring, k);
		e->kernel -= k;
		/* The backlog is older than whatever the callbacks queue. */
		ur_pump(e);
		for (i = 0; i < k; i++)
			ios[i]->done(ios[i], res[i]);
		n += (int)k;
	}
	n += (int)ur_reap_deferred(e);

	ur_pump(e);
	if (e->queued) {
		ret = ur_flush(e);
		if (ret < 0)
			TD_RL(TD_LOG_ERR, NULL, "io_uring: submit: %s",
			      strerror(-ret));
	}
	return n;
}

static int ur_ready(struct ioeng *e)
{
	return io_uring_cq_ready(&e->ring) > 0 || e->deferred.n > 0;
}

static unsigned ur_inflight(struct ioeng *e)
{
	return e->backlog.n + e->queued + e->kernel + e->deferred.n;
}

const struct ioeng_ops ioeng_uring_ops = {
	.name = "io_uring",
	.init = ur_init,
	.fini = ur_fini,
	.fd = ur_fd,
	.queue = ur_queue,
	.submit = ur_submit,
	.reap = ur_reap,
	.inflight = ur_inflight,
	.complete = ur_complete,
	.ready = ur_ready,
};
