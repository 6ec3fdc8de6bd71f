/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-ioeng: the I/O engines (io_uring, libaio) on a real file, through
 * their ops tables only: multi-iovec writes and reads, flush, discard,
 * the backlog beyond `depth`, queueing from a completion callback,
 * deferred completions, errors, raw short results, registry and start-up.
 * Completions are driven as the event loop drives them: poll() the
 * engine's fd, then reap().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "td-io.h"
#include "td-log.h"

#define BLK 4096u
#define DEPTH 4u

struct tio {
	struct td_io io;
	struct iovec iov[4];
	int calls;
	int64_t res;
};

static int completed;

static void on_done(struct td_io *io, int64_t res)
{
	struct tio *t = io->owner;

	t->calls++;
	t->res = res;
	completed++;
}

static void tio_init(struct tio *t, enum td_io_op op, int fd, uint64_t off,
		     uint64_t len)
{
	memset(t, 0, sizeof(*t));
	t->io.op = op;
	t->io.fd = fd;
	t->io.offset = off;
	t->io.len = len;
	t->io.iov = t->iov;
	t->io.done = on_done;
	t->io.owner = t;
}

/* Poll and reap until `completed` reaches target; 0 or -ETIMEDOUT. */
static int wait_for(const struct ioeng_ops *o, struct ioeng *e, int target)
{
	struct pollfd p = { .fd = o->fd(e), .events = POLLIN };
	int rounds = 0;

	while (completed < target) {
		if (poll(&p, 1, 5000) <= 0 || ++rounds > 100000)
			return -ETIMEDOUT;
		o->reap(e);
	}
	return 0;
}

static void *xalloc(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, BLK, size))
		abort();
	return p;
}

static const char *tmpdir(void)
{
	const char *d = getenv("TMPDIR");

	return d && *d ? d : "/var/tmp";
}

/* A new empty file in dir; O_DIRECT when the filesystem takes it. */
static int temp_file(const char *dir, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/test-ioeng.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		fd = open(path, O_RDWR | O_CLOEXEC);
	return fd;
}

/* More than depth writes, two iovecs each; then read back in three. */
static void test_rw_backlog(const struct ioeng_ops *o, struct ioeng *e, int fd)
{
	enum { N = 3 * DEPTH + 1 };
	static struct tio t[N];
	uint8_t *buf = xalloc(N * BLK), *back = xalloc(N * BLK);
	int i, ok = 1, submitted, base;

	for (i = 0; i < (int)(N * BLK); i++)
		buf[i] = (uint8_t)(i * 7 + i / BLK);
	base = completed;
	for (i = 0; i < N; i++) {
		tio_init(&t[i], TD_IO_WRITE, fd, (uint64_t)i * BLK, BLK);
		t[i].iov[0] = (struct iovec){ buf + i * BLK, 1024 };
		t[i].iov[1] = (struct iovec){ buf + i * BLK + 1024, BLK - 1024 };
		t[i].io.iovcnt = 2;
		CHECK_EQ(o->queue(e, &t[i].io), 0);
	}
	CHECK_EQ(o->inflight(e), N);
	submitted = o->submit(e);
	CHECK(submitted > 0 && submitted <= (int)DEPTH);
	CHECK_EQ(completed, base);	/* nothing completes inside submit */
	CHECK_EQ(wait_for(o, e, base + N), 0);
	CHECK_EQ(o->inflight(e), 0);
	for (i = 0; i < N; i++) {
		ok &= t[i].calls == 1 && t[i].res == BLK;
		if (t[i].calls != 1 || t[i].res != BLK)
			fprintf(stderr, "write %d: calls %d res %lld\n", i,
				t[i].calls, (long long)t[i].res);
	}
	CHECK(ok);
	CHECK_EQ(pread(fd, back, N * BLK, 0), (ssize_t)(N * BLK));
	CHECK(!memcmp(buf, back, N * BLK));

	/* Read it back with three iovecs per request. */
	memset(back, 0, N * BLK);
	base = completed;
	for (i = 0; i < N; i++) {
		tio_init(&t[i], TD_IO_READ, fd, (uint64_t)i * BLK, BLK);
		t[i].iov[0] = (struct iovec){ back + i * BLK, 512 };
		t[i].iov[1] = (struct iovec){ back + i * BLK + 512, 2048 };
		t[i].iov[2] = (struct iovec){ back + i * BLK + 2560, BLK - 2560 };
		t[i].io.iovcnt = 3;
		CHECK_EQ(o->queue(e, &t[i].io), 0);
	}
	o->submit(e);
	CHECK_EQ(wait_for(o, e, base + N), 0);
	ok = 1;
	for (i = 0; i < N; i++)
		ok &= t[i].calls == 1 && t[i].res == BLK;
	CHECK(ok);
	CHECK(!memcmp(buf, back, N * BLK));
	free(buf);
	free(back);
}

static void test_flush_discard(const struct ioeng_ops *o, struct ioeng *e, int fd)
{
	const size_t len = 1u << 20;
	uint8_t *buf = xalloc(len);
	struct tio t;
	struct stat before, after;
	int base;

	tio_init(&t, TD_IO_FLUSH, fd, 0, 0);
	base = completed;
	CHECK_EQ(o->queue(e, &t.io), 0);
	o->submit(e);
	CHECK_EQ(wait_for(o, e, base + 1), 0);
	CHECK_EQ(t.calls, 1);
	CHECK_EQ(t.res, 0);

	memset(buf, 0x5a, len);
	CHECK_EQ(pwrite(fd, buf, len, 1u << 20), (ssize_t)len);
	CHECK_EQ(fsync(fd), 0);
	CHECK_EQ(fstat(fd, &before), 0);
	tio_init(&t, TD_IO_DISCARD, fd, 1u << 20, len);
	base = completed;
	CHECK_EQ(o->queue(e, &t.io), 0);
	CHECK_EQ(t.calls, 0);	/* libaio: done later, from reap() */
	o->submit(e);
	CHECK_EQ(wait_for(o, e, base + 1), 0);
	CHECK_EQ(t.res, 0);
	CHECK_EQ(fstat(fd, &after), 0);
	CHECK(after.st_blocks + (blkcnt_t)(len / 512) <= before.st_blocks);
	CHECK_EQ(after.st_size, before.st_size);	/* KEEP_SIZE */
	CHECK_EQ(pread(fd, buf, len, 1u << 20), (ssize_t)len);
	CHECK(buf[0] == 0 && buf[len - 1] == 0);
	free(buf);
}

/* Each completion queues the next I/O: reap() must submit it. */
static struct {
	const struct ioeng_ops *o;
	struct ioeng *e;
	int left;
	uint8_t *buf;
} chain;

static void chain_done(struct td_io *io, int64_t res)
{
	struct tio *t = io->owner;

	t->calls++;
	t->res = res;
	completed++;
	if (res != BLK || chain.left <= 0)
		return;
	chain.left--;
	tio_init(t, TD_IO_READ, io->fd, 0, BLK);
	t->iov[0] = (struct iovec){ chain.buf, BLK };
	t->io.iovcnt = 1;
	t->io.done = chain_done;
	chain.o->queue(chain.e, &t->io);
}

static void test_chain(const struct ioeng_ops *o, struct ioeng *e, int fd)
{
	struct tio t;
	int base = completed;

	chain.o = o;
	chain.e = e;
	chain.left = 10;
	chain.buf = xalloc(BLK);
	tio_init(&t, TD_IO_READ, fd, 0, BLK);
	t.iov[0] = (struct iovec){ chain.buf, BLK };
	t.io.iovcnt = 1;
	t.io.done = chain_done;
	CHECK_EQ(o->queue(e, &t.io), 0);
	o->submit(e);
	CHECK_EQ(wait_for(o, e, base + 11), 0);
	CHECK_EQ(chain.left, 0);
	CHECK_EQ(t.res, BLK);
	CHECK_EQ(o->inflight(e), 0);
	free(chain.buf);
}

static void test_errors(const struct ioeng_ops *o, struct ioeng *e, int fd)
{
	uint8_t *buf = xalloc(2 * BLK);
	struct stat st;
	struct tio t, u;
	int base;

	/* A bad fd fails that I/O through done(), never in queue(). */
	tio_init(&t, TD_IO_READ, -1, 0, BLK);
	t.iov[0] = (struct iovec){ buf, BLK };
	t.io.iovcnt = 1;
	base = completed;
	CHECK_EQ(o->queue(e, &t.io), 0);
	o->submit(e);
	CHECK_EQ(wait_for(o, e, base + 1), 0);
	CHECK_EQ(t.calls, 1);
	CHECK_EQ(t.res, -EBADF);

	/* Ops an engine does not do are refused by queue(). */
	tio_init(&t, TD_IO_DISCARD_SECURE, fd, 0, BLK);
	CHECK_EQ(o->queue(e, &t.io), -EOPNOTSUPP);
	tio_init(&t, (enum td_io_op)77, fd, 0, BLK);
	CHECK_EQ(o->queue(e, &t.io), -EOPNOTSUPP);
	CHECK_EQ(o->inflight(e), 0);

	/* Short results are passed on raw: a read across the end of file. */
	CHECK_EQ(fstat(fd, &st), 0);
	tio_init(&t, TD_IO_READ, fd, (uint64_t)st.st_size - BLK, 2 * BLK);
	t.iov[0] = (struct iovec){ buf, 2 * BLK };
	t.io.iovcnt = 1;
	base = completed;
	CHECK_EQ(o->queue(e, &t.io), 0);
	o->submit(e);
	CHECK_EQ(wait_for(o, e, base + 1), 0);
	CHECK_EQ(t.res, BLK);

	/* Deferred completion: not inside complete(), from the next reap(). */
	tio_init(&t, TD_IO_FLUSH, fd, 0, 0);
	tio_init(&u, TD_IO_FLUSH, fd, 0, 0);
	base = completed;
	CHECK(o->complete != NULL);
	if (o->complete) {
		o->complete(e, &t.io, -EIO);
		o->complete(e, &u.io, 0);
		CHECK_EQ(t.calls, 0);
		CHECK_EQ(o->inflight(e), 2);
		CHECK_EQ(wait_for(o, e, base + 2), 0);
		CHECK_EQ(t.calls, 1);
		CHECK_EQ(t.res, -EIO);
		CHECK_EQ(u.calls, 1);
		CHECK_EQ(u.res, 0);
	}
	/* Nothing pending: the fd is not readable, reap() finds nothing. */
	{
		struct pollfd p = { .fd = o->fd(e), .events = POLLIN };

		CHECK_EQ(o->reap(e), 0);
		CHECK_EQ(poll(&p, 1, 0), 0);
		CHECK_EQ(o->inflight(e), 0);
	}
	free(buf);
}

static int test_engine(const struct ioeng_ops *o)
{
	struct ioeng *e = NULL;
	char path[256];
	int err, fd;

	err = o->init(&e, DEPTH);
	if (err) {
		fprintf(stderr, "%s: not available here (%s): skipped\n",
			o->name, strerror(-err));
		return 0;
	}
	CHECK(o->fd(e) >= 0);
	CHECK_EQ(o->inflight(e), 0);
	fd = temp_file(tmpdir(), path, sizeof(path));
	CHECK(fd >= 0);
	if (fd >= 0) {
		test_rw_backlog(o, e, fd);
		test_flush_discard(o, e, fd);
		test_chain(o, e, fd);
		test_errors(o, e, fd);
		close(fd);
		unlink(path);
	}
	o->fini(e);
	o->fini(NULL);
	printf("%s: tested\n", o->name);
	return 1;
}

static void test_registry(void)
{
	const struct ioeng_ops *ops;
	struct ioeng *e;

	CHECK(ioeng_registry[0] == &ioeng_uring_ops);
	CHECK(ioeng_registry[1] == &ioeng_aio_ops);
	CHECK(ioeng_registry[2] == NULL);
	CHECK(ioeng_find("io_uring") == &ioeng_uring_ops);
	CHECK(ioeng_find("libaio") == &ioeng_aio_ops);
	CHECK(ioeng_find("aio") == NULL);
	CHECK(ioeng_find(NULL) == NULL);

	CHECK_EQ(ioeng_start("bogus", 8, &ops, &e), -EINVAL);
	CHECK(ops == NULL && e == NULL);
	CHECK_EQ(ioeng_start(NULL, 0, &ops, &e), -EINVAL);
	CHECK_EQ(ioeng_start(NULL, 8, &ops, &e), 0);
	if (ops) {
		CHECK(ops == &ioeng_uring_ops || ops == &ioeng_aio_ops);
		ops->fini(e);
	}
	CHECK_EQ(ioeng_start("auto", 8, &ops, &e), 0);
	if (ops)
		ops->fini(e);
	CHECK_EQ(ioeng_start("libaio", 8, &ops, &e), 0);
	CHECK(ops == &ioeng_aio_ops);
	if (ops)
		ops->fini(e);
}

int main(void)
{
	const struct ioeng_ops *const *o;
	int tested = 0;

	td_log_set_level(TD_LOG_ERR);
	for (o = ioeng_registry; *o; o++)
		tested += test_engine(*o);
	if (!tested) {
		fprintf(stderr, "no I/O engine works here (io_uring and libaio "
			"both refused): skipped\n");
		return 77;
	}
	test_registry();
	return check_exit("test-ioeng");
}
