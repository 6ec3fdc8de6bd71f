/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-drivers: image specs, the raw driver on files (O_DIRECT and
 * buffered) and block devices (a loop device, when we may make one) on
 * every I/O engine, short-transfer resubmission (through a test engine
 * that moves at most CHUNK bytes per call), and the ram and null drivers.
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
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/loop.h>

#include "check.h"
#include "td-io.h"
#include "td-log.h"

#define KiB 1024u
#define MiB (1024u * 1024u)

struct tio {
	struct td_io io;
	struct iovec iov[8];
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

static void tio_init(struct tio *t, enum td_io_op op, uint64_t off, uint64_t len)
{
	memset(t, 0, sizeof(*t));
	t->io.op = op;
	t->io.offset = off;
	t->io.len = len;
	t->io.iov = t->iov;
	t->io.done = on_done;
	t->io.owner = t;
}

/* Split len bytes of buf into the iovecs of t, sizes from sz[] (0-ended). */
static void tio_iov(struct tio *t, uint8_t *buf, const unsigned *sz)
{
	unsigned i;

	for (i = 0; sz[i]; i++) {
		t->iov[i] = (struct iovec){ buf, sz[i] };
		buf += sz[i];
	}
	t->io.iovcnt = i;
}

static int wait_for(struct td_image *img, int target)
{
	struct pollfd p;
	int rounds = 0;

	if (!img->eng_ops)
		return completed >= target ? 0 : -EIO;
	p = (struct pollfd){ .fd = img->eng_ops->fd(img->eng), .events = POLLIN };
	while (completed < target) {
		if (poll(&p, 1, 5000) <= 0 || ++rounds > 100000)
			return -ETIMEDOUT;
		img->eng_ops->reap(img->eng);
	}
	return 0;
}

/* Queue t on img, submit, wait; returns the result given to done(). */
static int64_t run(struct td_image *img, struct tio *t)
{
	int base = completed, err;

	err = td_image_queue(img, &t->io);
	if (err)
		return 1000 + err;	/* distinguishable from any done() result */
	if (img->eng_ops)
		img->eng_ops->submit(img->eng);
	if (wait_for(img, base + 1))
		return -9999;
	return t->calls == 1 ? t->res : -9998;
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
		p[i] = (uint8_t)(i * 31 + seed + (i >> 9));
}

static int all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* A new file of `size` bytes in dir; path gets its name. */
static int make_file(const char *dir, uint64_t size, char *path, size_t psize)
{
	int fd;

	snprintf(path, psize, "%s/test-drivers.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		unlink(path);
		return -errno;
	}
	close(fd);
	return 0;
}

/* Would open(O_DIRECT) succeed on path (what raw should report)? */
static int direct_ok(const char *path, int rdonly)
{
	int fd = open(path, (rdonly ? O_RDONLY : O_RDWR) | O_DIRECT);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* ---- specs, sizes, registry ---------------------------------------------- */

static void test_spec(void)
{
	static const char *const bad[] = {
		"", "raw", ":/x", "raw:", "RAW:/x", "r-w:/x", "ra w:/x", "/x",
		"averyveryveryveryveryverylongtypename:/x", "ram:", "null",
	};
	struct td_image *img = (struct td_image *)1;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = td_image_open(bad[i], 0, NULL, NULL, &img);

		if (err != -EINVAL)
			fprintf(stderr, "spec \"%s\": %d\n", bad[i], err);
		CHECK_EQ(err, -EINVAL);
		CHECK(img == NULL);
	}
	CHECK_EQ(td_image_open(NULL, 0, NULL, NULL, &img), -EINVAL);
	CHECK_EQ(td_image_open("vhd:/x.vhd", 0, NULL, NULL, &img), -EPROTONOSUPPORT);
	CHECK_EQ(td_image_open("qcow2:/x", 0, NULL, NULL, &img), -EPROTONOSUPPORT);
	CHECK_EQ(td_image_open("tap_2:/x", 0, NULL, NULL, &img), -EPROTONOSUPPORT);
	CHECK(img == NULL);

	CHECK(td_driver_find("raw") == &td_drv_raw);
	CHECK(td_driver_find("aio") == &td_drv_raw);
	CHECK(td_driver_find("ram") == &td_drv_ram);
	CHECK(td_driver_find("null") == &td_drv_null);
	CHECK(td_driver_find("fault") == &td_drv_fault);
	CHECK(td_driver_find("vhd") == NULL);
	CHECK(td_driver_find("") == NULL);
	CHECK(td_driver_find(NULL) == NULL);
	for (i = 0; td_driver_registry[i]; i++)
		CHECK(td_driver_registry[i]->priv_size > 0);
	CHECK_EQ(i, 4);
}

static void test_parse_size(void)
{
	uint64_t v = 0;

	CHECK_EQ(td_parse_size("64M", &v), 0);
	CHECK_EQ(v, 64ull << 20);
	CHECK_EQ(td_parse_size("1g", &v), 0);
	CHECK_EQ(v, 1ull << 30);
	CHECK_EQ(td_parse_size("4k", &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(td_parse_size("2T", &v), 0);
	CHECK_EQ(v, 2ull << 40);
	CHECK_EQ(td_parse_size("512", &v), 0);
	CHECK_EQ(v, 512);
	CHECK_EQ(td_parse_size("0", &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(td_parse_size("18446744073709551615", &v), 0);
	CHECK(v == UINT64_MAX);
	CHECK_EQ(td_parse_size("18446744073709551616", &v), -EINVAL);
	CHECK_EQ(td_parse_size("16777216T", &v), -EINVAL);
	CHECK_EQ(td_parse_size("", &v), -EINVAL);
	CHECK_EQ(td_parse_size("M", &v), -EINVAL);
	CHECK_EQ(td_parse_size("-1", &v), -EINVAL);
	CHECK_EQ(td_parse_size(" 1", &v), -EINVAL);
	CHECK_EQ(td_parse_size("1MB", &v), -EINVAL);
	CHECK_EQ(td_parse_size("12X", &v), -EINVAL);
	CHECK_EQ(td_parse_size(NULL, &v), -EINVAL);
}

/* ---- ram and null -------------------------------------------------------- */

static void test_ram(void)
{
	const size_t n = 64 * KiB;
	uint8_t *buf = xalloc(n), *back = xalloc(n);
	static const unsigned sz[] = { 512, 7680, 24576, 32768, 0 };
	struct td_image *img = NULL;
	struct tio t;
	int base;

	CHECK_EQ(td_image_open("ram:0", 0, NULL, NULL, &img), -EINVAL);
	CHECK_EQ(td_image_open("ram:100", 0, NULL, NULL, &img), -EINVAL);
	CHECK_EQ(td_image_open("ram:abc", 0, NULL, NULL, &img), -EINVAL);
	CHECK_EQ(td_image_open("ram:64M", 0, NULL, NULL, &img), 0);
	if (!img)
		goto out;
	CHECK_EQ(img->info.size, 64 * MiB);
	CHECK_EQ(img->info.logical_sector, 512);
	CHECK(img->info.can_discard && !img->info.readonly);
	CHECK(strcmp(img->path, "64M") == 0);

	fill(buf, n, 1);
	tio_init(&t, TD_IO_WRITE, 3 * MiB + 512, n);
	tio_iov(&t, buf, sz);
	base = completed;
	CHECK_EQ(td_image_queue(img, &t.io), 0);
	CHECK_EQ(completed, base + 1);	/* inline */
	CHECK_EQ(t.res, n);
	tio_init(&t, TD_IO_READ, 3 * MiB + 512, n);
	t.iov[0] = (struct iovec){ back, n };
	t.io.iovcnt = 1;
	CHECK_EQ(run(img, &t), n);
	CHECK(!memcmp(buf, back, n));

	/* Discard zeroes, across page boundaries and partial pages. */
	tio_init(&t, TD_IO_DISCARD, 3 * MiB + 1024, 40 * KiB + 512);
	CHECK_EQ(run(img, &t), 0);
	tio_init(&t, TD_IO_READ, 3 * MiB + 512, n);
	t.iov[0] = (struct iovec){ back, n };
	t.io.iovcnt = 1;
	CHECK_EQ(run(img, &t), n);
	CHECK(!memcmp(buf, back, 512));
	CHECK(all_zero(back + 512, 40 * KiB + 512));
	CHECK(!memcmp(buf + 41 * KiB, back + 41 * KiB, n - 41 * KiB));

	tio_init(&t, TD_IO_FLUSH, 0, 0);
	CHECK_EQ(run(img, &t), 0);
	tio_init(&t, TD_IO_READ, 64 * MiB - 512, 1024);
	t.iov[0] = (struct iovec){ back, 1024 };
	t.io.iovcnt = 1;
	CHECK_EQ(td_image_queue(img, &t.io), -EINVAL);
	CHECK_EQ(t.calls, 0);
	tio_init(&t, TD_IO_READ, 0, 1024);
	t.iov[0] = (struct iovec){ back, 512 };
	t.io.iovcnt = 1;
	CHECK_EQ(td_image_queue(img, &t.io), -EINVAL);
	td_image_close(img);

	CHECK_EQ(td_image_open("ram:1M", TD_OPEN_RDONLY, NULL, NULL, &img), 0);
	if (img) {
		CHECK(img->info.readonly && !img->info.can_discard);
		tio_init(&t, TD_IO_WRITE, 0, 512);
		t.iov[0] = (struct iovec){ buf, 512 };
		t.io.iovcnt = 1;
		CHECK_EQ(td_image_queue(img, &t.io), -EROFS);
		tio_init(&t, TD_IO_READ, 0, 512);
		t.iov[0] = (struct iovec){ back, 512 };
		t.io.iovcnt = 1;
		CHECK_EQ(run(img, &t), 512);
		CHECK(all_zero(back, 512));
		td_image_close(img);
	}
out:
	td_image_close(NULL);
	free(buf);
	free(back);
}

static void test_null(void)
{
	uint8_t *buf = xalloc(8192);
	struct td_image *img = NULL;
	struct tio t;

	CHECK_EQ(td_image_open("null:3x", 0, NULL, NULL, &img), -EINVAL);
	CHECK_EQ(td_image_open("null:1G", 0, NULL, NULL, &img), 0);
	if (!img)
		goto out;
	CHECK_EQ(img->info.size, 1ull << 30);
	memset(buf, 0xaa, 8192);
	tio_init(&t, TD_IO_WRITE, 0, 8192);
	t.iov[0] = (struct iovec){ buf, 8192 };
	t.io.iovcnt = 1;
	CHECK_EQ(run(img, &t), 8192);
	tio_init(&t, TD_IO_READ, (1ull << 30) - 8192, 8192);
	t.iov[0] = (struct iovec){ buf, 4096 };
	t.iov[1] = (struct iovec){ buf + 4096, 4096 };
	t.io.iovcnt = 2;
	CHECK_EQ(run(img, &t), 8192);
	CHECK(all_zero(buf, 8192));
	tio_init(&t, TD_IO_FLUSH, 0, 0);
	CHECK_EQ(run(img, &t), 0);
	tio_init(&t, TD_IO_DISCARD, 0, 1 * MiB);
	CHECK_EQ(run(img, &t), 0);
	tio_init(&t, TD_IO_READ, 1ull << 30, 512);
	t.iov[0] = (struct iovec){ buf, 512 };
	t.io.iovcnt = 1;
	CHECK_EQ(td_image_queue(img, &t.io), -EINVAL);
	td_image_close(img);
out:
	free(buf);
}

/* ---- raw on files --------------------------------------------------------- */

/* Writes, reads, flush, discard, range and iov checks on an open image. */
static void raw_io(struct td_image *img, const char *path)
{
	static const unsigned wsz[] = { 4096, 512, 3584, 8192, 0 };
	static const unsigned rsz[] = { 1024, 1024, 2048, 12288, 0 };
	const size_t n = 16 * KiB, dn = 256 * KiB;
	uint8_t *buf = xalloc(dn), *back = xalloc(dn);
	struct tio w[3], t;
	struct iovec saved[8];
	struct stat before, after;
	int fd, i, base;

	/* Three multi-iovec writes in flight together. */
	base = completed;
	for (i = 0; i < 3; i++) {
		fill(buf + i * n, n, (unsigned)i);
		tio_init(&w[i], TD_IO_WRITE, (uint64_t)i * 64 * KiB + 4096, n);
		tio_iov(&w[i], buf + i * n, wsz);
		CHECK_EQ(td_image_queue(img, &w[i].io), 0);
	}
	memcpy(saved, w[1].iov, sizeof(saved));
	img->eng_ops->submit(img->eng);
	CHECK_EQ(wait_for(img, base + 3), 0);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(w[i].calls, 1);
		CHECK_EQ(w[i].res, n);
	}
	/* The caller's io comes back as it was queued. */
	CHECK(w[1].io.iov == w[1].iov && w[1].io.iovcnt == 4);
	CHECK(w[1].io.offset == 64 * KiB + 4096 && w[1].io.done == on_done);
	CHECK(!memcmp(saved, w[1].iov, sizeof(saved)));

	for (i = 0; i < 3; i++) {
		memset(back, 0, n);
		tio_init(&t, TD_IO_READ, (uint64_t)i * 64 * KiB + 4096, n);
		tio_iov(&t, back, rsz);
		CHECK_EQ(run(img, &t), n);
		CHECK(!memcmp(buf + i * n, back, n));
	}
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, back, n, 64 * KiB + 4096), n);
	CHECK(!memcmp(buf + n, back, n));

	tio_init(&t, TD_IO_FLUSH, 0, 0);
	CHECK_EQ(run(img, &t), 0);

	/* Discard punches a hole: st_blocks drops, the range reads zeros. */
	fill(buf, dn, 9);
	tio_init(&t, TD_IO_WRITE, 512 * KiB, dn);
	t.iov[0] = (struct iovec){ buf, dn };
	t.io.iovcnt = 1;
	CHECK_EQ(run(img, &t), dn);
	tio_init(&t, TD_IO_FLUSH, 0, 0);
	CHECK_EQ(run(img, &t), 0);
	CHECK_EQ(fstat(fd, &before), 0);
	tio_init(&t, TD_IO_DISCARD, 512 * KiB, dn);
	CHECK_EQ(run(img, &t), 0);
	CHECK_EQ(fstat(fd, &after), 0);
	CHECK(after.st_blocks + (blkcnt_t)(dn / 512) <= before.st_blocks);
	CHECK_EQ(after.st_size, before.st_size);
	tio_init(&t, TD_IO_READ, 512 * KiB, dn);
	t.iov[0] = (struct iovec){ back, dn };
	t.io.iovcnt = 1;
	CHECK_EQ(run(img, &t), dn);
	CHECK(all_zero(back, dn));
	close(fd);

	/* Refused in queue(), done() never called. */
	tio_init(&t, TD_IO_READ, img->info.size - 512, 4096);
	t.iov[0] = (struct iovec){ back, 4096 };
	t.io.iovcnt = 1;
	CHECK_EQ(td_image_queue(img, &t.io), -EINVAL);
	t.io.offset = UINT64_MAX - 1024;
	CHECK_EQ(td_image_queue(img, &t.io), -EINVAL);
	tio_init(&t, TD_IO_WRITE, 0, 4096);
	t.iov[0] = (struct iovec){ back, 2048 };
	t.io.iovcnt = 1;
	CHECK_EQ(td_image_queue(img, &t.io), -EINVAL);
	tio_init(&t, TD_IO_DISCARD, 100, 4096);
	CHECK_EQ(td_image_queue(img, &t.io), -EINVAL);
	tio_init(&t, TD_IO_DISCARD, 0, img->info.size + 4096);
	CHECK_EQ(td_image_queue(img, &t.io), -EINVAL);
	tio_init(&t, TD_IO_DISCARD_SECURE, 0, 4096);
	CHECK_EQ(td_image_queue(img, &t.io), -EOPNOTSUPP);
	tio_init(&t, (enum td_io_op)42, 0, 4096);
	CHECK_EQ(td_image_queue(img, &t.io), -EOPNOTSUPP);
	CHECK_EQ(t.calls, 0);
	/* The last sector below the rounded size is readable. */
	tio_init(&t, TD_IO_READ, img->info.size - 512, 512);
	t.iov[0] = (struct iovec){ back, 512 };
	t.io.iovcnt = 1;
	CHECK_EQ(run(img, &t), 512);
	free(buf);
	free(back);
}

static void test_raw_file(const struct ioeng_ops *o, struct ioeng *e,
			  const char *dir)
{
	char path[256], spec[300];
	struct td_image *img = NULL;
	uint8_t *buf = xalloc(4096);
	struct tio t;

	/* 4 MiB + 300 bytes: the partial last sector is not part of the image. */
	if (make_file(dir, 4 * MiB + 300, path, sizeof(path))) {
		fprintf(stderr, "%s: cannot create a file: skipped\n", dir);
		free(buf);
		return;
	}
	snprintf(spec, sizeof(spec), "raw:%s", path);
	CHECK_EQ(td_image_open(spec, 0, NULL, NULL, &img), -EINVAL);
	CHECK_EQ(td_image_open(spec, 0, o, e, &img), 0);
	if (img) {
		CHECK(img->drv == &td_drv_raw);
		CHECK_EQ(img->info.size, 4 * MiB);
		CHECK_EQ(img->info.logical_sector, 512);
		CHECK_EQ(img->info.physical_sector, 4096);
		CHECK(!img->info.is_blockdev && !img->info.readonly);
		CHECK_EQ(img->info.o_direct, direct_ok(path, 0));
		CHECK_EQ(img->info.can_discard, 1);
		CHECK_EQ(img->info.can_discard_secure, 0);
		CHECK_EQ(img->info.discard_granularity, 4096);
		raw_io(img, path);
		td_image_close(img);
	}

	snprintf(spec, sizeof(spec), "aio:%s", path);
	CHECK_EQ(td_image_open(spec, TD_OPEN_RDONLY | TD_OPEN_NO_DIRECT, o, e, &img), 0);
	if (img) {
		CHECK(img->info.readonly && !img->info.o_direct);
		CHECK(!img->info.can_discard && !img->info.discard_granularity);
		tio_init(&t, TD_IO_WRITE, 0, 4096);
		t.iov[0] = (struct iovec){ buf, 4096 };
		t.io.iovcnt = 1;
		CHECK_EQ(td_image_queue(img, &t.io), -EROFS);
		tio_init(&t, TD_IO_DISCARD, 0, 4096);
		CHECK_EQ(td_image_queue(img, &t.io), -EROFS);
		CHECK_EQ(t.calls, 0);
		tio_init(&t, TD_IO_READ, 64 * KiB + 4096, 4096);
		t.iov[0] = (struct iovec){ buf, 4096 };
		t.io.iovcnt = 1;
		CHECK_EQ(run(img, &t), 4096);
		tio_init(&t, TD_IO_FLUSH, 0, 0);
		CHECK_EQ(run(img, &t), 0);
		td_image_close(img);
	}
	unlink(path);
	free(buf);
}

/* Files that shrink under the image: the read cannot finish: -EIO. */
static void test_raw_eof(const struct ioeng_ops *o, struct ioeng *e)
{
	static const unsigned flags[] = { TD_OPEN_NO_DIRECT, 0 };
	uint8_t *buf = xalloc(8192);
	struct td_image *img;
	char path[256], spec[300];
	unsigned i;
	struct tio t;

	for (i = 0; i < 2; i++) {
		if (make_file("/var/tmp", 8192, path, sizeof(path)))
			break;
		snprintf(spec, sizeof(spec), "raw:%s", path);
		CHECK_EQ(td_image_open(spec, flags[i], o, e, &img), 0);
		if (!img)
			continue;
		CHECK_EQ(truncate(path, 6144), 0);
		tio_init(&t, TD_IO_READ, 0, 8192);
		t.iov[0] = (struct iovec){ buf, 4096 };
		t.iov[1] = (struct iovec){ buf + 4096, 4096 };
		t.io.iovcnt = 2;
		CHECK_EQ(run(img, &t), -EIO);
		CHECK(t.io.iov == t.iov && t.io.iovcnt == 2 && t.io.offset == 0);
		/* Not a multiple of 512 any more: an error of some kind. */
		CHECK_EQ(truncate(path, 5000), 0);
		tio_init(&t, TD_IO_READ, 4096, 4096);
		t.iov[0] = (struct iovec){ buf, 4096 };
		t.io.iovcnt = 1;
		CHECK(run(img, &t) < 0);
		td_image_close(img);
		unlink(path);
	}
	free(buf);
}

/* Open fallbacks and refusals. */
static void test_raw_open(const struct ioeng_ops *o, struct ioeng *e)
{
	struct td_image *img = NULL;
	char path[256], spec[300];

	CHECK_EQ(td_image_open("raw:/nonexistent/x.img", 0, o, e, &img), -ENOENT);
	CHECK_EQ(td_image_open("raw:/var/tmp", TD_OPEN_RDONLY, o, e, &img), -EINVAL);
	CHECK_EQ(td_image_open("raw:/dev/null", 0, o, e, &img), -EINVAL);
	CHECK(img == NULL);

	/* procfs refuses O_DIRECT at open: buffered fallback. */
	if (!direct_ok("/proc/version", 1)) {
		CHECK_EQ(td_image_open("raw:/proc/version", TD_OPEN_RDONLY, o, e,
				       &img), 0);
		if (img) {
			CHECK_EQ(img->info.o_direct, 0);
			td_image_close(img);
		}
	} else {
		fprintf(stderr, "/proc/version takes O_DIRECT: fallback "
			"check skipped\n");
	}

	if (!make_file("/var/tmp", MiB, path, sizeof(path))) {
		snprintf(spec, sizeof(spec), "raw:%s", path);
		CHECK_EQ(td_image_open(spec, TD_OPEN_NO_DIRECT, o, e, &img), 0);
		if (img) {
			CHECK_EQ(img->info.o_direct, 0);
			td_image_close(img);
		}
		unlink(path);
	}
}

/* ---- short transfers: a test engine that moves at most CHUNK bytes ------- */

#define CHUNK 1000u

struct ioeng {
	int efd;
	struct td_io *head, *tail;
	unsigned n;
	unsigned subs;		/* submissions seen */
	unsigned part_subs;	/* ... of a partial segment (io->drv.part) */
	unsigned fail_at;	/* submission number that returns fail_res */
	int64_t fail_res;
};

static struct ioeng chunk_eng;

static int ck_init(struct ioeng **out, unsigned depth)
{
	memset(&chunk_eng, 0, sizeof(chunk_eng));
	chunk_eng.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	*out = &chunk_eng;
	return chunk_eng.efd < 0 ? -errno : 0;
}

static void ck_fini(struct ioeng *e)
{
	if (e)
		close(e->efd);
}

static int ck_fd(struct ioeng *e)
{
	return e->efd;
}

static int ck_queue(struct ioeng *e, struct td_io *io)
{
	uint64_t one = 1;

	io->next = NULL;
	if (e->tail)
		e->tail->next = io;
	else
		e->head = io;
	e->tail = io;
	e->n++;
	return write(e->efd, &one, sizeof(one)) < 0 ? -errno : 0;
}

static int ck_submit(struct ioeng *e)
{
	return 0;
}

/* Do one submission, truncated to CHUNK bytes. */
static int64_t ck_do(struct ioeng *e, struct td_io *io)
{
	struct iovec v[8];
	size_t left = CHUNK;
	unsigned i, cnt = 0;
	ssize_t r;

	e->subs++;
	if (io->iov == &io->drv.part)
		e->part_subs++;
	if (e->subs == e->fail_at)
		return e->fail_res;
	if (io->op == TD_IO_FLUSH)
		return fdatasync(io->fd) < 0 ? -errno : 0;
	for (i = 0; i < io->iovcnt && left && cnt < 8; i++) {
		size_t take = io->iov[i].iov_len < left ? io->iov[i].iov_len : left;

		v[cnt++] = (struct iovec){ io->iov[i].iov_base, take };
		left -= take;
	}
	if (io->op == TD_IO_READ)
		r = preadv(io->fd, v, (int)cnt, (off_t)io->offset);
	else
		r = pwritev(io->fd, v, (int)cnt, (off_t)io->offset);
	return r < 0 ? -errno : r;
}

static int ck_reap(struct ioeng *e)
{
	struct td_io *io, *next;
	uint64_t cnt;
	int n = 0;

	if (read(e->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return -errno;
	io = e->head;
	e->head = e->tail = NULL;
	for (; io; io = next) {
		next = io->next;
		e->n--;
		io->done(io, ck_do(e, io));
		n++;
	}
	return n;
}

static unsigned ck_inflight(struct ioeng *e)
{
	return e->n;
}

static const struct ioeng_ops chunk_ops = {
	.name = "chunk",
	.init = ck_init,
	.fini = ck_fini,
	.fd = ck_fd,
	.queue = ck_queue,
	.submit = ck_submit,
	.reap = ck_reap,
	.inflight = ck_inflight,
	/* no .complete: raw completes block-device discards inline */
};

static void test_raw_chunked(void)
{
	static const unsigned wsz[] = { 100, 3000, 5000, 292, 7992, 0 };
	static const unsigned rsz[] = { 1, 4095, 8192, 4096, 0 };
	const size_t n = 16 * KiB;
	uint8_t *buf = xalloc(n), *back = xalloc(n);
	struct td_image *img = NULL;
	struct ioeng *e;
	struct iovec saved[8];
	char path[256], spec[300];
	struct tio t;
	int fd;

	CHECK_EQ(ck_init(&e, 8), 0);
	if (make_file("/var/tmp", 64 * KiB, path, sizeof(path)))
		goto out;
	snprintf(spec, sizeof(spec), "raw:%s", path);
	CHECK_EQ(td_image_open(spec, TD_OPEN_NO_DIRECT, &chunk_ops, e, &img), 0);
	if (!img)
		goto out_unlink;

	fill(buf, n, 5);
	tio_init(&t, TD_IO_WRITE, 4096, n);
	tio_iov(&t, buf, wsz);
	memcpy(saved, t.iov, sizeof(saved));
	CHECK_EQ(run(img, &t), n);
	CHECK(e->subs >= (n + CHUNK - 1) / CHUNK);
	CHECK(e->part_subs > 0);	/* remainders inside a segment */
	CHECK(t.io.iov == t.iov && t.io.iovcnt == 5 && t.io.offset == 4096);
	CHECK(t.io.done == on_done && t.io.len == n);
	CHECK(!memcmp(saved, t.iov, sizeof(saved)));
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, back, n, 4096), n);
	CHECK(!memcmp(buf, back, n));
	close(fd);

	memset(back, 0, n);
	tio_init(&t, TD_IO_READ, 4096, n);
	tio_iov(&t, back, rsz);
	CHECK_EQ(run(img, &t), n);
	CHECK(!memcmp(buf, back, n));

	/* An error on a resubmission is the request's result, once. */
	e->fail_at = e->subs + 3;
	e->fail_res = -ENOSPC;
	tio_init(&t, TD_IO_WRITE, 4096, n);
	tio_iov(&t, buf, wsz);
	CHECK_EQ(run(img, &t), -ENOSPC);
	CHECK(t.io.iov == t.iov && t.io.offset == 4096 && t.io.done == on_done);
	/* No progress is an error, not a loop. */
	e->fail_at = e->subs + 2;
	e->fail_res = 0;
	tio_init(&t, TD_IO_READ, 4096, n);
	tio_iov(&t, back, rsz);
	CHECK_EQ(run(img, &t), -EIO);
	/* More than was asked for is an error too. */
	e->fail_at = e->subs + 1;
	e->fail_res = (int64_t)n + 1;
	tio_init(&t, TD_IO_READ, 4096, n);
	tio_iov(&t, back, rsz);
	CHECK_EQ(run(img, &t), -EIO);
	/* An empty transfer completes with 0. */
	tio_init(&t, TD_IO_READ, 4096, 0);
	CHECK_EQ(run(img, &t), 0);
	CHECK_EQ(e->n, 0);
	td_image_close(img);
out_unlink:
	unlink(path);
out:
	ck_fini(e);
	free(buf);
	free(back);
}

/* ---- raw on a block device (a loop device, root only) -------------------- */

/* Attach backing to a free loop device that goes away on last close. */
static int loop_attach(const char *backing, char *dev, size_t size)
{
	int ctl, bfd, fd = -1, nr, tries, err = -ENODEV;
	struct loop_config cfg;

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	bfd = open(backing, O_RDWR | O_CLOEXEC);
	if (bfd < 0) {
		err = -errno;
		close(ctl);
		return err;
	}
	for (tries = 0; tries < 8; tries++) {
		nr = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (nr < 0) {
			err = -errno;
			break;
		}
		snprintf(dev, size, "/dev/loop%d", nr);
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			break;
		}
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (uint32_t)bfd;
		cfg.block_size = 512;
		cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
		if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0)
			break;
		err = -errno;	/* EBUSY: somebody else took it; retry */
		close(fd);
		fd = -1;
		if (err != -EBUSY)
			break;
	}
	close(bfd);
	close(ctl);
	return fd >= 0 ? fd : err;
}

static void test_raw_blockdev(const struct ioeng_ops *o, struct ioeng *e)
{
	const size_t n = 64 * KiB;
	char backing[256], dev[64], spec[80];
	uint8_t *buf = xalloc(n), *back = xalloc(n);
	struct td_image *img = NULL;
	int lfd;
	struct tio t;

	if (make_file("/var/tmp", 8 * MiB, backing, sizeof(backing)))
		goto out;
	lfd = loop_attach(backing, dev, sizeof(dev));
	if (lfd < 0) {
		fprintf(stderr, "%s: no loop device (%s): block device checks "
			"skipped\n", o->name, strerror(-lfd));
		goto out_unlink;
	}
	snprintf(spec, sizeof(spec), "raw:%s", dev);
	CHECK_EQ(td_image_open(spec, 0, o, e, &img), 0);
	if (!img)
		goto out_loop;
	CHECK(img->info.is_blockdev && img->info.o_direct);
	CHECK_EQ(img->info.size, 8 * MiB);
	CHECK_EQ(img->info.logical_sector, 512);
	CHECK(img->info.physical_sector >= 512);
	CHECK_EQ(img->info.can_discard, 1);
	CHECK_EQ(img->info.can_discard_secure, 0);	/* loop cannot */
	CHECK(img->info.discard_granularity >= 512);

	fill(buf, n, 3);
	tio_init(&t, TD_IO_WRITE, 1 * MiB, n);
	t.iov[0] = (struct iovec){ buf, 4096 };
	t.iov[1] = (struct iovec){ buf + 4096, n - 4096 };
	t.io.iovcnt = 2;
	CHECK_EQ(run(img, &t), n);
	tio_init(&t, TD_IO_READ, 1 * MiB, n);
	t.iov[0] = (struct iovec){ back, n };
	t.io.iovcnt = 1;
	CHECK_EQ(run(img, &t), n);
	CHECK(!memcmp(buf, back, n));
	tio_init(&t, TD_IO_FLUSH, 0, 0);
	CHECK_EQ(run(img, &t), 0);

	/* BLKDISCARD: done() comes later, from reap(). */
	tio_init(&t, TD_IO_DISCARD, 1 * MiB, n);
	CHECK_EQ(td_image_queue(img, &t.io), 0);
	CHECK_EQ(t.calls, 0);
	CHECK_EQ(wait_for(img, completed + 1), 0);
	CHECK_EQ(t.res, 0);
	tio_init(&t, TD_IO_READ, 1 * MiB, n);
	t.iov[0] = (struct iovec){ back, n };
	t.io.iovcnt = 1;
	CHECK_EQ(run(img, &t), n);
	CHECK(all_zero(back, n));
	tio_init(&t, TD_IO_DISCARD_SECURE, 1 * MiB, n);
	CHECK_EQ(td_image_queue(img, &t.io), -EOPNOTSUPP);
	tio_init(&t, TD_IO_DISCARD, 100, 512);
	CHECK_EQ(td_image_queue(img, &t.io), -EINVAL);
	td_image_close(img);
	printf("%s: block device checks on %s\n", o->name, dev);
out_loop:
	close(lfd);
out_unlink:
	unlink(backing);
out:
	free(buf);
	free(back);
}

int main(void)
{
	const struct ioeng_ops *const *o;
	const char *dir = getenv("TMPDIR");
	struct ioeng *e;
	int engines = 0, err;

	td_log_set_level(TD_LOG_ERR);
	if (!dir || !*dir)
		dir = "/var/tmp";
	test_spec();
	test_parse_size();
	test_ram();
	test_null();
	test_raw_chunked();
	for (o = ioeng_registry; *o; o++) {
		err = (*o)->init(&e, 8);
		if (err) {
			fprintf(stderr, "%s: not available (%s): skipped\n",
				(*o)->name, strerror(-err));
			continue;
		}
		engines++;
		test_raw_open(*o, e);
		test_raw_file(*o, e, dir);
		if (access("/dev/shm", W_OK) == 0)
			test_raw_file(*o, e, "/dev/shm");
		test_raw_eof(*o, e);
		test_raw_blockdev(*o, e);
		CHECK_EQ((*o)->inflight(e), 0);
		(*o)->fini(e);
	}
	if (!engines) {
		fprintf(stderr, "no I/O engine works here: raw checks skipped\n");
		return 77;
	}
	return check_exit("test-drivers");
}
