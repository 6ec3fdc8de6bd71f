/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xt-io: a small O_DIRECT load generator for the real-Xen harness, where
 * fio does not fit (its Debian package pulls in ceph, gluster and ICU: about
 * 80 MiB of libraries for a busybox initramfs). It does what the benchmark
 * rows of t-60 need from fio: N requests in flight through Linux native AIO
 * (raw system calls, no libaio), random or sequential, for a given time.
 *
 *   xt-io DEV randread|randwrite|read|write BS QD SECONDS
 *
 * prints one line: ios=N iops=N mbps=N lat_p50_us=N lat_p99_us=N errors=N
 * and exits 1 on any I/O error (writes write a fixed pattern).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define MAX_QD 256
#define NBUCKETS 4096		/* latency histogram: 10 us buckets */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned long hist[NBUCKETS];

static double pct(unsigned long n, double p)
{
	unsigned long want = (unsigned long)(n * p), seen = 0;
	unsigned i;

	for (i = 0; i < NBUCKETS; i++) {
		seen += hist[i];
		if (seen > want)
			return i * 10.0 + 5;
	}
	return NBUCKETS * 10.0;
}

int main(int argc, char **argv)
{
	struct iocb cbs[MAX_QD], *cbp[1];
	struct io_event ev[MAX_QD];
	uint64_t start[MAX_QD], t0, end, size, blocks, seq = 0;
	unsigned long ios = 0, errors = 0;
	aio_context_t ctx = 0;
	int fd, rnd, wr, i, n;
	unsigned bs, qd, secs;
	char *buf;
	double el;

	if (argc != 6) {
		fprintf(stderr, "usage: xt-io DEV randread|randwrite|read|write BS QD SECONDS\n");
		return 2;
	}
	rnd = !strncmp(argv[2], "rand", 4);
	wr = strstr(argv[2], "write") != NULL;
	bs = (unsigned)strtoul(argv[3], NULL, 0);
	qd = (unsigned)strtoul(argv[4], NULL, 0);
	secs = (unsigned)strtoul(argv[5], NULL, 0);
	if (!bs || bs % 512 || !qd || qd > MAX_QD || !secs) {
		fprintf(stderr, "xt-io: bad BS, QD (1..%d) or SECONDS\n", MAX_QD);
		return 2;
	}
	fd = open(argv[1], (wr ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0) {
		fprintf(stderr, "xt-io: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	blocks = size / bs;
	if (!blocks || posix_memalign((void **)&buf, 4096, (size_t)bs * qd)) {
		fprintf(stderr, "xt-io: device too small or out of memory\n");
		return 1;
	}
	memset(buf, 0x5a, (size_t)bs * qd);
	if (syscall(SYS_io_setup, qd, &ctx) < 0) {
		fprintf(stderr, "xt-io: io_setup: %s\n", strerror(errno));
		return 1;
	}
	t0 = now_ns();
	end = t0 + (uint64_t)secs * 1000000000ull;
	for (i = 0; i < (int)qd; i++) {
		memset(&cbs[i], 0, sizeof(cbs[i]));
		cbs[i].aio_fildes = (uint32_t)fd;
		cbs[i].aio_lio_opcode = wr ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
		cbs[i].aio_buf = (uint64_t)(uintptr_t)(buf + (size_t)i * bs);
		cbs[i].aio_nbytes = bs;
		cbs[i].aio_data = (uint64_t)i;
	}
	/* free[]: slots to (re)submit; inflight: submitted, not completed.
	 * Nothing new is submitted after the end time; what is in flight is
	 * waited for and counted. */
	{
		int freeq[MAX_QD], nfree = (int)qd, inflight = 0;

		for (i = 0; i < (int)qd; i++)
			freeq[i] = i;
		for (;;) {
			uint64_t t = now_ns();

			while (nfree && t < end) {
				int s = freeq[--nfree];
				uint64_t blk = rnd ? next_rand() % blocks :
						     seq++ % blocks;

				cbs[s].aio_offset = (int64_t)(blk * bs);
				cbp[0] = &cbs[s];
				start[s] = t;
				if (syscall(SYS_io_submit, ctx, 1, cbp) != 1) {
					fprintf(stderr, "xt-io: io_submit: %s\n",
						strerror(errno));
					return 1;
				}
				inflight++;
			}
			if (!inflight)
				break;
			n = (int)syscall(SYS_io_getevents, ctx, 1, qd, ev, NULL);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				fprintf(stderr, "xt-io: io_getevents: %s\n",
					strerror(errno));
				return 1;
			}
			t = now_ns();
			for (i = 0; i < n; i++) {
				int s = (int)ev[i].data;
				uint64_t lat = (t - start[s]) / 10000;

				if (ev[i].res != (int64_t)bs)
					errors++;
				else
					ios++;
				hist[lat < NBUCKETS ? lat : NBUCKETS - 1]++;
				freeq[nfree++] = s;
				inflight--;
			}
		}
	}
	el = (now_ns() - t0) / 1e9;
	printf("ios=%lu iops=%.0f mbps=%.1f lat_p50_us=%.0f lat_p99_us=%.0f errors=%lu\n",
	       ios, ios / el, ios * (double)bs / el / 1048576.0, pct(ios, 0.5),
	       pct(ios, 0.99), errors);
	return errors ? 1 : 0;
}
