/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * evtchn-rtt: round trip of one simulated event-channel notification pair.
 *
 * A simulated event channel is a pair of FIFOs (doc/simulator.md, "Event
 * channels"): notify = write one byte to your outgoing FIFO; receive = the
 * incoming FIFO becomes readable, read it until EAGAIN. This program makes
 * such a port in a temporary directory and ping-pongs over it between two
 * processes: the "guest" (parent) waits with poll(2) as simfront does, the
 * "backend" (child) waits with epoll(7) as tapdisk's event loop does. One
 * round trip = guest notifies, backend wakes, drains, notifies back, guest
 * wakes and drains. That is the notification cost a QD 1 request pays on
 * top of the I/O itself.
 *
 * usage: evtchn-rtt [-n ITERATIONS] [-w WARMUP] GUEST_CPU BACKEND_CPU
 * prints key=value lines: iterations, guest_cpu, backend_cpu, rtt_avg_us,
 * rtt_p50_us, rtt_p99_us, rtt_min_us. Exit 0, or 1 on an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void drain(int fd)
{
	char buf[256];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static int notify(int fd)
{
	char b = 1;

	if (write(fd, &b, 1) == 1 || errno == EAGAIN)
		return 0;
	return -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The backend: an epoll loop on .tob that answers each wake-up on .tof. */
static void backend(int tob, int tof, long total)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(0);
	long n = 0;

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tob, &ev) < 0)
		_exit(1);
	while (n < total) {
		int r = epoll_wait(ep, &out, 1, 10000);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			_exit(1);
		drain(tob);
		if (notify(tof) < 0)
			_exit(1);
		n++;
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/evtchn-rtt.XXXXXX", p_tob[64], p_tof[64];
	long iters = 20000, warm = 2000, i;
	int opt, gcpu, bcpu, tob, tof, st;
	uint64_t *lat, sum = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:w:")) != -1) {
		switch (opt) {
		case 'n': iters = atol(optarg); break;
		case 'w': warm = atol(optarg); break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || iters <= 0 || warm < 0)
		goto usage;
	gcpu = atoi(argv[optind]);
	bcpu = atoi(argv[optind + 1]);
	lat = calloc((size_t)iters, sizeof(*lat));
	if (!lat || !mkdtemp(dir))
		return 1;
	snprintf(p_tob, sizeof(p_tob), "%s/dom1-port1.tob", dir);
	snprintf(p_tof, sizeof(p_tof), "%s/dom1-port1.tof", dir);
	if (mkfifo(p_tob, 0600) < 0 || mkfifo(p_tof, 0600) < 0) {
		perror("mkfifo");
		return 1;
	}
	tob = open(p_tob, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	tof = open(p_tof, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	unlink(p_tob);
	unlink(p_tof);
	rmdir(dir);
	if (tob < 0 || tof < 0) {
		perror("open fifo");
		return 1;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (pin(bcpu) < 0)
			_exit(1);
		backend(tob, tof, iters + warm);
	}
	if (pin(gcpu) < 0) {
		perror("sched_setaffinity");
		kill(pid, SIGKILL);
		return 1;
	}
	for (i = 0; i < iters + warm; i++) {
		struct pollfd p = { .fd = tof, .events = POLLIN };
		uint64_t t0 = now_ns();

		if (notify(tob) < 0)
			break;
		while (poll(&p, 1, 10000) < 0 && errno == EINTR)
			;
		if (!(p.revents & POLLIN))
			break;
		drain(tof);
		if (i >= warm)
			lat[i - warm] = now_ns() - t0;
	}
	waitpid(pid, &st, 0);
	if (i < iters + warm || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "evtchn-rtt: ping-pong failed after %ld round trips\n", i);
		return 1;
	}
	for (i = 0; i < iters; i++)
		sum += lat[i];
	qsort(lat, (size_t)iters, sizeof(*lat), cmp_u64);
	printf("iterations=%ld\nguest_cpu=%d\nbackend_cpu=%d\n", iters, gcpu, bcpu);
	printf("rtt_avg_us=%.2f\n", (double)sum / (double)iters / 1e3);
	printf("rtt_p50_us=%.2f\n", (double)lat[iters / 2] / 1e3);
	printf("rtt_p99_us=%.2f\n", (double)lat[(long)((double)iters * 0.99)] / 1e3);
	printf("rtt_min_us=%.2f\n", (double)lat[0] / 1e3);
	free(lat);
	return 0;
usage:
	fprintf(stderr, "usage: evtchn-rtt [-n ITERATIONS] [-w WARMUP] GUEST_CPU BACKEND_CPU\n");
	return 2;
}
