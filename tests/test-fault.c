/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-fault: the fault-injection driver (drivers/drv-fault.c). Spec
 * parsing (every refusal), selection by op, sector range, skip, count and
 * rate, EIO / ENOSPC with and without the I/O done, ENOSPC that goes away,
 * short transfers finished by the raw driver on both I/O engines, delays
 * completed from the engine, and crash_after_writes in a child process.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "td-io.h"
#include "td-log.h"

#define KiB 1024u
#define IMG_SIZE (1024u * KiB)

struct tio {
	struct td_io io;
	struct iovec iov[4];
	int calls;
	int64_t res;
	int pipe_fd;		/* crash test: one byte per completion */
};

static int completed;

static void on_done(struct td_io *io, int64_t res)
{
	struct tio *t = io->owner;
	char b = 1;

	t->calls++;
	t->res = res;
	completed++;
	if (t->pipe_fd > 0 && write(t->pipe_fd, &b, 1) != 1)
		_exit(3);
}

static void tio_init(struct tio *t, enum td_io_op op, uint64_t off, void *buf,
		     uint64_t len, unsigned nseg)
{
	unsigned i;

	memset(t, 0, sizeof(*t));
	t->io.op = op;
	t->io.offset = off;
	t->io.len = len;
	t->io.done = on_done;
	t->io.owner = t;
	if (!buf)
		return;
	t->io.iov = t->iov;
	t->io.iovcnt = nseg;
	for (i = 0; i < nseg; i++)
		t->iov[i] = (struct iovec){ (char *)buf + i * (len / nseg),
					    len / nseg };
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Queue, submit, wait for the completion; the result, or 1000 + queue()'s
 * error, or -9999 on a timeout. */
static int64_t run(struct td_image *img, struct tio *t)
{
	int base = completed, err, rounds = 0;
	struct pollfd p;

	err = td_image_queue(img, &t->io);
	if (err)
		return 1000 + err;
	if (img->eng_ops) {
		img->eng_ops->submit(img->eng);
		p = (struct pollfd){ .fd = img->eng_ops->fd(img->eng),
				     .events = POLLIN };
		while (completed == base) {
			if (poll(&p, 1, 5000) <= 0 || ++rounds > 1000000)
				return -9999;
			img->eng_ops->reap(img->eng);
		}
	}
	return t->calls == 1 ? t->res : -9998;
}

static int64_t rw(struct td_image *img, enum td_io_op op, uint64_t off,
		  void *buf, uint64_t len)
{
	struct tio t;

	tio_init(&t, op, off, buf, len, 1);
	return run(img, &t);
}

static void *xalloc(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, 4096, size))
		abort();
	return p;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 13 + seed * 7 + (i >> 9));
}

static struct td_image *open_spec(const char *spec, const struct ioeng_ops *eo,
				  struct ioeng *e)
{
	struct td_image *img = NULL;
	int err = td_image_open(spec, 0, eo, e, &img);

	if (err)
		fprintf(stderr, "open %s: %s\n", spec, strerror(-err));
	CHECK_EQ(err, 0);
	return img;
}

/* ---- specs ------------------------------------------------------------- */

static void test_specs(void)
{
	static const char *const bad[] = {
		"fault:", "fault:op=read", "fault:op=read:", "fault:op=foo:ram:1M",
		"fault:op=:ram:1M", "fault:op=read+:ram:1M", "fault:k:ram:1M",
		"fault:=1:ram:1M", "fault:x=1:ram:1M", "fault:count=1,count=2:ram:1M",
		"fault:,:ram:1M", "fault:count=1,:ram:1M", "fault:,count=1:ram:1M",
		"fault:count=-1:ram:1M", "fault:count=1x:ram:1M",
		"fault:count=99999999999999999999:ram:1M", "fault:rate=1.5:ram:1M",
		"fault:rate=nan:ram:1M", "fault:rate=-0.1:ram:1M", "fault:rate=:ram:1M",
		"fault:sector=5-3:ram:1M", "fault:sector=a:ram:1M", "fault:sector=1-:ram:1M",
		"fault:error=ebadness:ram:1M", "fault:after=1:ram:1M",
		"fault:error=eio,after=2:ram:1M", "fault:error=eio,short=512:ram:1M",
		"fault:error=efault,mapped=2:ram:1M", "fault:error=efault,mapped=:ram:1M",
		"fault:short=100:ram:1M", "fault:short=512,delay_ms=1:ram:1M",
		"fault:delay_ms=60001:ram:1M", "fault:crash_after_writes=0:ram:1M",
		"fault:eio_rate=0.5,error=eio:ram:1M", "fault:eio_rate=0.5,rate=1:ram:1M",
		"fault:enospc_count=1,count=2:ram:1M", "fault:eio_rate=1,enospc_count=1:ram:1M",
		/* delays and short transfers need an engine (none given here) */
		"fault:delay_ms=10:ram:1M", "fault:short=512:ram:1M",
	};
	struct td_image *img;
	size_t i;
	int err;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		img = NULL;
		err = td_image_open(bad[i], 0, NULL, NULL, &img);
		if (err != -EINVAL)
			fprintf(stderr, "spec %s: %d\n", bad[i], err);
		CHECK_EQ(err, -EINVAL);
		CHECK(img == NULL);
	}
	CHECK_EQ(td_image_open("fault::vhd:/x", 0, NULL, NULL, &img),
		 -EPROTONOSUPPORT);
	CHECK_EQ(td_image_open("fault::ram:0", 0, NULL, NULL, &img), -EINVAL);

	/* good ones; the inner image's info shows through */
	img = open_spec("fault::ram:1M", NULL, NULL);
	if (img) {
		CHECK_EQ(img->info.size, IMG_SIZE);
		CHECK_EQ(img->info.logical_sector, 512);
		CHECK(img->info.can_discard);
		td_image_close(img);
	}
	img = open_spec("fault:op=all,sector=7,skip=0,count=0,rate=0,seed=9,"
			"error=enodev,after=1,crash_after_writes=5:null:2M", NULL, NULL);
	if (img) {
		CHECK_EQ(img->info.size, 2u * IMG_SIZE);
		td_image_close(img);
	}
	img = open_spec("fault:count=1,error=eio:fault:op=read,error=enospc:ram:1M",
			NULL, NULL);
	td_image_close(img);
	img = NULL;
	CHECK_EQ(td_image_open("fault::ram:1M", TD_OPEN_RDONLY, NULL, NULL, &img), 0);
	if (img) {
		CHECK(img->info.readonly);
		td_image_close(img);
	}
}

/* ---- selection and errors (ram: completes inside queue) ---------------- */

static void test_errors(void)
{
	static uint8_t pattern[2][4000];
	uint8_t *buf = xalloc(8 * KiB), *back = xalloc(8 * KiB);
	struct td_image *img;
	unsigned i, n;
	struct tio t;

	/* op + sector range + count; the I/O is not done */
	img = open_spec("fault:op=write,sector=8-15,count=2,error=eio:ram:1M",
			NULL, NULL);
	if (!img)
		return;
	fill(buf, 4096, 1);
	CHECK_EQ(rw(img, TD_IO_WRITE, 0, buf, 4096), 4096);	/* sectors 0-7 */
	CHECK_EQ(rw(img, TD_IO_WRITE, 16 * 512, buf, 512), 512);
	CHECK_EQ(rw(img, TD_IO_READ, 8 * 512, back, 512), 512); /* not a write */
	CHECK_EQ(rw(img, TD_IO_WRITE, 15 * 512, buf, 1024), -EIO); /* 15-16 */
	CHECK_EQ(rw(img, TD_IO_READ, 15 * 512, back, 1024), 1024);
	CHECK(back[0] == 0 && back[511] == 0);		/* not written */
	CHECK_EQ(memcmp(back + 512, buf, 512), 0);
	CHECK_EQ(rw(img, TD_IO_WRITE, 4 * 512, buf, 4096), -EIO); /* 4-11 */
	CHECK_EQ(rw(img, TD_IO_WRITE, 8 * 512, buf, 4096), 4096); /* count used up */
	CHECK_EQ(rw(img, TD_IO_READ, 8 * 512, back, 4096), 4096);
	CHECK_EQ(memcmp(back, buf, 4096), 0);
	tio_init(&t, TD_IO_FLUSH, 0, NULL, 0, 0);
	CHECK_EQ(run(img, &t), 0);
	td_image_close(img);

	/* ENOSPC: the first 3 writes fail, later ones succeed */
	img = open_spec("fault:enospc_count=3:ram:1M", NULL, NULL);
	if (!img)
		return;
	for (i = 0; i < 6; i++) {
		fill(buf, 4096, 10 + i);
		CHECK_EQ(rw(img, TD_IO_WRITE, i * 4096u, buf, 4096),
			 i < 3 ? -ENOSPC : 4096);
		CHECK_EQ(rw(img, TD_IO_READ, i * 4096u, back, 4096), 4096);
		if (i < 3)
			CHECK(back[0] == 0 && back[4095] == 0);
		else
			CHECK_EQ(memcmp(back, buf, 4096), 0);
	}
	td_image_close(img);

	/* skip: only the third matching request fails */
	img = open_spec("fault:skip=2,count=1,error=eio,op=read:ram:1M", NULL, NULL);
	if (!img)
		return;
	for (i = 0; i < 5; i++)
		CHECK_EQ(rw(img, TD_IO_READ, 0, back, 512), i == 2 ? -EIO : 512);
	td_image_close(img);

	/* after=1: the write is done, and reported failed */
	img = open_spec("fault:error=eio,after=1,op=write:ram:1M", NULL, NULL);
	if (!img)
		return;
	fill(buf, 4096, 3);
	CHECK_EQ(rw(img, TD_IO_WRITE, 8192, buf, 4096), -EIO);
	CHECK_EQ(rw(img, TD_IO_READ, 8192, back, 4096), 4096);
	CHECK_EQ(memcmp(back, buf, 4096), 0);
	td_image_close(img);

	/* flush and discard are selected only when named */
	img = open_spec("fault:op=flush+discard,error=edquot:ram:1M", NULL, NULL);
	if (!img)
		return;
	tio_init(&t, TD_IO_FLUSH, 0, NULL, 0, 0);
	CHECK_EQ(run(img, &t), -EDQUOT);
	tio_init(&t, TD_IO_DISCARD, 0, NULL, 4096, 0);
	CHECK_EQ(run(img, &t), -EDQUOT);
	CHECK_EQ(rw(img, TD_IO_WRITE, 0, buf, 4096), 4096);
	td_image_close(img);

	/* rate: about right, and reproducible from the seed */
	for (i = 0; i < 2; i++) {
		unsigned hits = 0;

		img = open_spec("fault:eio_rate=0.25,seed=42:null:1M", NULL, NULL);
		if (!img)
			return;
		for (n = 0; n < 4000; n++) {
			pattern[i][n] = rw(img, TD_IO_WRITE, 0, buf, 512) < 0;
			hits += pattern[i][n];
		}
		td_image_close(img);
		CHECK(hits > 800 && hits < 1200);
	}
	CHECK_EQ(memcmp(pattern[0], pattern[1], sizeof(pattern[0])), 0);
	free(buf);
	free(back);
}

/* ---- engines: short transfers, delays, asynchronous errors ------------- */

static void test_engine(const char *engine, const char *path)
{
	const struct ioeng_ops *eo;
	struct ioeng *e;
	uint8_t *buf = xalloc(64 * KiB), *back = xalloc(64 * KiB);
	struct td_image *img;
	char spec[512];
	uint64_t t0;
	struct tio t;
	int err;

	err = ioeng_start(engine, 64, &eo, &e);
	if (err) {
		fprintf(stderr, "engine %s not available (%s): skipped\n", engine,
			strerror(-err));
		free(buf);
		free(back);
		return;
	}
	/* short=512: raw resubmits the rest, 64 times per 32 KiB */
	snprintf(spec, sizeof(spec), "fault:short=512:raw:%s", path);
	img = open_spec(spec, eo, e);
	if (img) {
		fill(buf, 64 * KiB, 5);
		tio_init(&t, TD_IO_WRITE, 4096, buf, 64 * KiB, 4);
		CHECK_EQ(run(img, &t), 64 * KiB);
		memset(back, 0, 64 * KiB);
		tio_init(&t, TD_IO_READ, 4096, back, 64 * KiB, 2);
		CHECK_EQ(run(img, &t), 64 * KiB);
		CHECK_EQ(memcmp(back, buf, 64 * KiB), 0);
		CHECK_EQ(eo->inflight(e), 0);
		td_image_close(img);
	}
	/* half: resubmissions inside a segment */
	snprintf(spec, sizeof(spec), "fault:short=half,op=read:raw:%s", path);
	img = open_spec(spec, eo, e);
	if (img) {
		memset(back, 0, 64 * KiB);
		tio_init(&t, TD_IO_READ, 4096, back, 48 * KiB, 3);
		CHECK_EQ(run(img, &t), 48 * KiB);
		CHECK_EQ(memcmp(back, buf, 48 * KiB), 0);
		td_image_close(img);
	}
	/* no progress once: that request fails cleanly, the next is fine */
	snprintf(spec, sizeof(spec), "fault:short=0,count=1:raw:%s", path);
	img = open_spec(spec, eo, e);
	if (img) {
		CHECK_EQ(rw(img, TD_IO_WRITE, 0, buf, 8192), -EIO);
		CHECK_EQ(rw(img, TD_IO_WRITE, 0, buf, 8192), 8192);
		CHECK_EQ(eo->inflight(e), 0);
		td_image_close(img);
	}
	/* delay: a hit write waits, a read does not */
	snprintf(spec, sizeof(spec), "fault:delay_ms=80,op=write:raw:%s", path);
	img = open_spec(spec, eo, e);
	if (img) {
		t0 = ms_now();
		CHECK_EQ(rw(img, TD_IO_WRITE, 0, buf, 4096), 4096);
		CHECK(ms_now() - t0 >= 80);
		t0 = ms_now();
		CHECK_EQ(rw(img, TD_IO_READ, 0, back, 4096), 4096);
		CHECK(ms_now() - t0 < 80);
		td_image_close(img);
	}
	/* errors with an engine complete from the loop, never inside queue() */
	img = open_spec("fault:error=eio,delay_ms=20:ram:1M", eo, e);
	if (img) {
		struct pollfd p = { .fd = eo->fd(e), .events = POLLIN };

		t0 = ms_now();
		tio_init(&t, TD_IO_WRITE, 0, buf, 4096, 1);
		CHECK_EQ(td_image_queue(img, &t.io), 0);
		CHECK_EQ(t.calls, 0);
		while (!t.calls && poll(&p, 1, 5000) > 0)
			eo->reap(e);
		CHECK_EQ(t.calls, 1);
		CHECK_EQ(t.res, -EIO);
		CHECK(ms_now() - t0 >= 20);
		CHECK_EQ(eo->inflight(e), 0);
		td_image_close(img);
	}
	eo->fini(e);
	free(buf);
	free(back);
}

/* ---- crash_after_writes -------------------------------------------------- */

static void test_crash(void)
{
	int pfd[2], status = 0;
	unsigned got = 0;
	char b[16];
	ssize_t n;
	pid_t pid;

	if (pipe(pfd) < 0) {
		CHECK(0);
		return;
	}
	pid = fork();
	if (pid == 0) {
		static uint8_t buf[4096];
		struct td_image *img = NULL;
		struct tio t;
		unsigned i;

		close(pfd[0]);
		if (td_image_open("fault:crash_after_writes=3,sector=0-7:ram:1M",
				  0, NULL, NULL, &img))
			_exit(2);
		for (i = 0; i < 10; i++) {
			/* writes outside the range do not count */
			tio_init(&t, TD_IO_WRITE, i % 2 ? 8192 : 0, buf, 4096, 1);
			t.pipe_fd = pfd[1];
			if (td_image_queue(img, &t.io) || t.res != 4096)
				_exit(4);
		}
		_exit(0);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], b, sizeof(b))) > 0)
		got += (unsigned)n;
	close(pfd[0]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* writes 0,1,2,3,4 (three at sector 0) were passed up, then the end */
	CHECK_EQ(got, 5);
}

int main(void)
{
	char path[] = "/var/tmp/xentap-test-fault.XXXXXX";
	uint8_t *zero;
	int fd;

	/* refusals are expected here: keep their log lines out of the way */
	td_log_set_level(getenv("TEST_VERBOSE") ? TD_LOG_DEBUG
						: (enum td_log_level)(TD_LOG_ERR - 1));
	test_specs();
	test_errors();
	test_crash();

	fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		return 99;
	}
	zero = calloc(1, IMG_SIZE);
	if (!zero || write(fd, zero, IMG_SIZE) != (ssize_t)IMG_SIZE)
		return 99;
	free(zero);
	close(fd);
	test_engine("io_uring", path);
	test_engine("libaio", path);
	unlink(path);
	return check_exit("test-fault");
}
