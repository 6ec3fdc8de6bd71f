/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-xsim: the simulated hypervisor seam, both sides in one process: the
 * guest through xsim-guest.h, the backend through the "sim" xenio ops.
 * Every refusal the backend makes has its own check; so do a corrupt or
 * truncated .mem file, missing FIFOs, and "xen" failing cleanly without Xen.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "td-log.h"
#include "xenio.h"
#include "xsim-guest.h"

#define PG XSIM_PAGE_SIZE

static const struct xenio_ops *sim;
static char dir[256];

static void fill(void *p, unsigned seed)
{
	uint8_t *b = p;
	unsigned i;

	for (i = 0; i < PG; i++)
		b[i] = (uint8_t)(seed * 31u + i * 7u + 1u);
}

static int filled(const void *p, unsigned seed)
{
	uint8_t want[PG];

	fill(want, seed);
	return memcmp(p, want, PG) == 0;
}

static void mem_path(char *buf, uint32_t domid)
{
	snprintf(buf, PATH_MAX, "%s/dom%u.mem", dir, domid);
}

/* Lines of /proc/self/maps naming the file of domid. */
static int count_maps(uint32_t domid)
{
	char line[PATH_MAX + 128], name[32];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (!f)
		return -1;
	snprintf(name, sizeof(name), "/dom%u.mem", domid);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, dir) && strstr(line, name))
			n++;
	fclose(f);
	return n;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		n++;
	closedir(d);
	return n;
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* A fresh page filled with seed and granted; returns the ref. */
static uint32_t give(struct xsim_guest *g, unsigned seed, uint16_t to, int ro,
		     uint32_t *framep)
{
	uint32_t frame = 0, ref = 0;

	CHECK_EQ(xsim_guest_page_alloc(g, &frame), 0);
	fill(xsim_guest_page(g, frame), seed);
	CHECK_EQ(xsim_guest_grant(g, frame, to, ro, &ref), 0);
	CHECK(ref != 0);
	if (framep)
		*framep = frame;
	return ref;
}

static void test_registry(void)
{
	CHECK(xenio_find("sim") == &xenio_sim_ops);
	CHECK(xenio_find("xen") == &xenio_xen_ops);
	CHECK(xenio_find("kvm") == NULL);
	CHECK(xenio_find(NULL) == NULL);
	CHECK(sim->features & XENIO_F_MAP);
	CHECK((sim->features & XENIO_F_COPY) && sim->copy);
	sim->close(NULL);
	sim->evtchn_unbind(NULL);
}

static void test_map(struct xenio *x, struct xsim_guest *g)
{
	uint32_t refs[16], frames[16], ref, frame;
	uint8_t *a = NULL, *page;
	void *addr = NULL;
	unsigned i;

	/* one page: the guest's bytes, and writes going back */
	ref = give(g, 1, 0, 0, &frame);
	page = xsim_guest_page(g, frame);
	CHECK_EQ(sim->map(x, 1, 1, &ref, 1, &addr), 0);
	a = addr;
	if (a) {
		CHECK(filled(a, 1));
		a[100] = 0xab;
		CHECK_EQ(page[100], 0xab);
		page[200] = 0xcd;
		CHECK_EQ(a[200], 0xcd);
		CHECK_EQ(sim->unmap(x, addr, 1), 0);
		CHECK_EQ(sim->unmap(x, addr, 1), -EINVAL);
	}
	/* read-only map of a writable grant is fine */
	CHECK_EQ(sim->map(x, 1, 1, &ref, 0, &addr), 0);
	if (addr) {
		CHECK_EQ(((uint8_t *)addr)[100], 0xab);
		CHECK_EQ(sim->unmap(x, addr, 2), -EINVAL); /* wrong count */
		CHECK_EQ(sim->unmap(x, addr, 1), 0);
	}

	/* 16 pages: a run of 8 consecutive frames, then 8 in reverse order */
	for (i = 0; i < 16; i++) {
		CHECK_EQ(xsim_guest_page_alloc(g, &frames[i]), 0);
		fill(xsim_guest_page(g, frames[i]), 100 + i);
	}
	for (i = 0; i < 16; i++) {
		uint32_t f = i < 8 ? frames[i] : frames[23 - i];

		CHECK_EQ(xsim_guest_grant(g, f, 0, 0, &refs[i]), 0);
	}
	CHECK_EQ(sim->map(x, 1, 16, refs, 1, &addr), 0);
	if (addr) {
		a = addr;
		for (i = 0; i < 16; i++)
			CHECK(filled(a + i * PG, 100 + (i < 8 ? i : 23 - i)));
		a[15 * PG + 5] = 0x5a;
		CHECK_EQ(((uint8_t *)xsim_guest_page(g, frames[8]))[5], 0x5a);
		CHECK_EQ(sim->unmap(x, addr, 16), 0);
	}
	for (i = 0; i < 16; i++) {
		CHECK_EQ(xsim_guest_revoke(g, refs[i]), 0);
		xsim_guest_page_free(g, frames[i]);
	}
	CHECK_EQ(xsim_guest_revoke(g, refs[0]), -EINVAL); /* twice */

	/* arguments */
	CHECK_EQ(sim->map(x, 1, 0, &ref, 0, &addr), -EINVAL);
	CHECK_EQ(sim->map(x, 1, 4097, &ref, 0, &addr), -EINVAL);
	CHECK_EQ(sim->unmap(x, &ref, 1), -EINVAL);
}

static void test_refusals(struct xenio *x, struct xsim_guest *g)
{
	uint32_t ref, ro, bad, wrong, refs[4];
	struct xsim_grant *e;
	void *addr = (void *)1;
	int before;

	ref = give(g, 2, 0, 0, NULL);
	ro = give(g, 3, 0, 1, NULL);

	/* ref 0, even with a plausible entry 0 */
	e = xsim_guest_grant_entry(g, 0);
	CHECK(e != NULL);
	if (e) {
		e->frame = 0;
		e->domid = 0;
		e->flags = XSIM_GTF_PERMIT_ACCESS;
	}
	bad = 0;
	CHECK_EQ(sim->map(x, 1, 1, &bad, 0, &addr), -EINVAL);
	CHECK(addr == NULL);
	/* out of range */
	bad = 64;
	CHECK_EQ(sim->map(x, 1, 1, &bad, 0, &addr), -EINVAL);
	bad = UINT32_MAX;
	CHECK_EQ(sim->map(x, 1, 1, &bad, 0, &addr), -EINVAL);
	CHECK(xsim_guest_grant_entry(g, 64) == NULL);
	/* revoked */
	wrong = give(g, 4, 0, 0, NULL);
	CHECK_EQ(xsim_guest_revoke(g, wrong), 0);
	CHECK_EQ(sim->map(x, 1, 1, &wrong, 0, &addr), -EPERM);
	/* granted to another domain */
	wrong = give(g, 5, 7, 0, NULL);
	CHECK_EQ(sim->map(x, 1, 1, &wrong, 0, &addr), -EPERM);
	/* read-only grant */
	CHECK_EQ(sim->map(x, 1, 1, &ro, 1, &addr), -EACCES);
	CHECK_EQ(sim->map(x, 1, 1, &ro, 0, &addr), 0);
	if (addr) {
		CHECK(filled(addr, 3));
		CHECK_EQ(sim->unmap(x, addr, 1), 0);
	}
	/* garbage entries */
	bad = give(g, 6, 0, 0, NULL);
	e = xsim_guest_grant_entry(g, bad);
	e->frame = 64; /* nr_pages */
	CHECK_EQ(sim->map(x, 1, 1, &bad, 0, &addr), -EFAULT);
	e->frame = UINT32_MAX;
	CHECK_EQ(sim->map(x, 1, 1, &bad, 0, &addr), -EFAULT);
	e->frame = 0;
	e->flags = XSIM_GTF_READONLY; /* no PERMIT_ACCESS */
	CHECK_EQ(sim->map(x, 1, 1, &bad, 0, &addr), -EPERM);
	e->flags = 0xfffffff0u;
	CHECK_EQ(sim->map(x, 1, 1, &bad, 0, &addr), -EPERM);
	e->flags = XSIM_GTF_PERMIT_ACCESS;
	e->domid = 0xffff;
	CHECK_EQ(sim->map(x, 1, 1, &bad, 0, &addr), -EPERM);

	/* a bad ref last in a batch: nothing stays mapped */
	before = count_maps(1);
	refs[0] = ref;
	refs[1] = ref;
	refs[2] = ro;
	refs[3] = 0;
	CHECK_EQ(sim->map(x, 1, 4, refs, 0, &addr), -EINVAL);
	refs[3] = ro;
	CHECK_EQ(sim->map(x, 1, 4, refs, 1, &addr), -EACCES);
	CHECK(addr == NULL);
	CHECK_EQ(count_maps(1), before);
	/* and the same batch read-only works */
	CHECK_EQ(sim->map(x, 1, 4, refs, 0, &addr), 0);
	if (addr) {
		CHECK(filled((uint8_t *)addr + 2 * PG, 3));
		CHECK_EQ(sim->unmap(x, addr, 4), 0);
	}
	CHECK_EQ(count_maps(1), before);

	/* a domain without a file */
	CHECK_EQ(sim->map(x, 42, 1, &ref, 0, &addr), -ENOENT);
}

static void test_copy(struct xenio *x, struct xsim_guest *g)
{
	uint32_t rw, ro, rev, frw;
	uint8_t b0[PG], b1[50], b2[96], b3[8], b4[97], b5[8], b6[8];
	struct xenio_copy_seg s[8];
	uint8_t *page;

	rw = give(g, 7, 0, 0, &frw);
	ro = give(g, 8, 0, 1, NULL);
	rev = give(g, 9, 0, 0, NULL);
	CHECK_EQ(xsim_guest_revoke(g, rev), 0);
	page = xsim_guest_page(g, frw);
	memset(b1, 0x11, sizeof(b1));
	memset(s, 0, sizeof(s));
	s[0] = (struct xenio_copy_seg){ rw, 0, PG, b0, 0, 1 };
	s[1] = (struct xenio_copy_seg){ rw, 100, 50, b1, 1, 1 };
	s[2] = (struct xenio_copy_seg){ ro, 4000, 96, b2, 0, 1 };
	s[3] = (struct xenio_copy_seg){ ro, 0, 8, b3, 1, 1 };
	s[4] = (struct xenio_copy_seg){ rw, 4000, 97, b4, 0, 1 };
	s[5] = (struct xenio_copy_seg){ 0, 0, 8, b5, 0, 1 };
	s[6] = (struct xenio_copy_seg){ rev, 0, 8, b6, 0, 1 };
	s[7] = (struct xenio_copy_seg){ rw, PG, 0, NULL, 1, 1 };
	CHECK_EQ(sim->copy(x, 1, s, 8), 0);
	CHECK_EQ(s[0].status, 0);
	CHECK(filled(b0, 7));
	CHECK_EQ(s[1].status, 0);
	CHECK_EQ(page[99], b0[99]);
	CHECK_EQ(page[100], 0x11);
	CHECK_EQ(page[149], 0x11);
	CHECK_EQ(page[150], b0[150]);
	CHECK_EQ(s[2].status, 0);
	{
		uint8_t want[PG];

		fill(want, 8);
		CHECK(memcmp(b2, want + 4000, 96) == 0);
	}
	CHECK_EQ(s[3].status, -EACCES);
	CHECK_EQ(s[4].status, -EINVAL);
	CHECK_EQ(s[5].status, -EINVAL);
	CHECK_EQ(s[6].status, -EPERM);
	CHECK_EQ(s[7].status, 0);

	CHECK_EQ(sim->copy(x, 1, NULL, 0), 0);
	s[0].status = 1;
	CHECK_EQ(sim->copy(x, 42, s, 1), -ENOENT);
	CHECK_EQ(s[0].status, -ENOENT);
}

static int write_hdr(uint32_t domid, const struct xsim_header *h)
{
	char path[PATH_MAX];
	int fd, ok;

	mem_path(path, domid);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return 0;
	ok = pwrite(fd, h, sizeof(*h), 0) == (ssize_t)sizeof(*h);
	close(fd);
	return ok;
}

static void test_corrupt(void)
{
	struct xsim_header orig = { 0 }, h;
	struct xsim_guest *g = NULL;
	struct xenio *x = NULL;
	char path[PATH_MAX], p2[PATH_MAX];
	void *addr = NULL;
	uint32_t ref;
	unsigned i;
	int fd;

	CHECK_EQ(xsim_guest_create(dir, 2, 8, 16, &g), 0);
	CHECK_EQ(sim->open(&x, dir, 0), 0);
	if (!g || !x)
		return;
	ref = give(g, 10, 0, 0, NULL);
	mem_path(path, 2);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && pread(fd, &orig, sizeof(orig), 0) == sizeof(orig));
	close(fd);

	for (i = 0; i < 15; i++) {
		h = orig;
		switch (i) {
		case 0: h.magic[0] = 'Y'; break;
		case 1: h.version = 2; break;
		case 2: h.page_size = 8192; break;
		case 3: h.domid = 3; break;
		case 4: h.nr_pages = 0; break;
		case 5: h.nr_pages = XSIM_MAX_PAGES + 1; break;
		case 6: h.nr_grants = 0; break;
		case 7: h.grant_off = 0; break;
		case 8: h.grant_off = PG + 4; break;
		case 9: h.mem_off += 1; break;
		case 10: h.mem_off = h.grant_off; break;
		case 11: h.file_size += PG; break;
		case 12: h.nr_pages += 1; break;
		case 13: h.grant_off = UINT64_MAX - 15; break;
		case 14: h.nr_grants = 1u << 20; break;
		}
		CHECK(write_hdr(2, &h));
		addr = NULL;
		if (sim->map(x, 2, 1, &ref, 0, &addr) != -EINVAL) {
			fprintf(stderr, "corrupt header case %u accepted\n", i);
			CHECK(0);
			if (addr)
				sim->unmap(x, addr, 1);
		}
	}
	/* a refusal is not cached: the repaired file works */
	CHECK(write_hdr(2, &orig));
	CHECK_EQ(sim->map(x, 2, 1, &ref, 0, &addr), 0);
	if (addr) {
		CHECK(filled(addr, 10));
		CHECK_EQ(sim->unmap(x, addr, 1), 0);
	}

	/* shorter than a header, not a regular file, a symlink */
	mem_path(p2, 4);
	fd = open(p2, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "XTAPSIM1", 8) == 8);
	close(fd);
	CHECK_EQ(sim->map(x, 4, 1, &ref, 0, &addr), -EINVAL);
	unlink(p2);
	mem_path(p2, 5);
	CHECK_EQ(mkfifo(p2, 0600), 0);
	CHECK_EQ(sim->map(x, 5, 1, &ref, 0, &addr), -EINVAL);
	unlink(p2);
	mem_path(p2, 6);
	CHECK_EQ(symlink(path, p2), 0);
	CHECK_EQ(sim->map(x, 6, 1, &ref, 0, &addr), -EINVAL);
	unlink(p2);

	sim->close(x);
	xsim_guest_destroy(g);
}

/* The guest truncates its file under live mappings: no SIGBUS death. */
static void test_truncate(void)
{
	struct xsim_guest *g = NULL;
	struct xenio *x = NULL;
	struct xenio_copy_seg s;
	volatile uint8_t *a;
	char path[PATH_MAX];
	uint8_t buf[16];
	void *addr = NULL;
	uint32_t ref;

	CHECK_EQ(xsim_guest_create(dir, 3, 8, 16, &g), 0);
	CHECK_EQ(sim->open(&x, dir, 0), 0);
	if (!g || !x)
		return;
	ref = give(g, 11, 0, 0, NULL);
	CHECK_EQ(sim->map(x, 3, 1, &ref, 1, &addr), 0);
	s = (struct xenio_copy_seg){ ref, 0, sizeof(buf), buf, 0, 1 };
	CHECK_EQ(sim->copy(x, 3, &s, 1), 0);
	CHECK_EQ(s.status, 0);
	if (!addr)
		goto out;
	a = addr;
	CHECK(filled(addr, 11));

	mem_path(path, 3);
	CHECK_EQ(truncate(path, PG), 0);
	CHECK_EQ(a[0], 0);	/* repaired with a zero page */
	a[1] = 5;
	CHECK_EQ(a[1], 5);
	/* Within SIM_RECHECK_MS of the last check the cached mapping is used:
	 * the grant entry now reads as zero (repaired page), so the copy
	 * fails cleanly; after it, the file check refuses the domain. */
	sim->copy(x, 3, &s, 1);
	CHECK(s.status < 0);
	usleep(150 * 1000);
	CHECK_EQ(sim->copy(x, 3, &s, 1), -EINVAL);
	CHECK_EQ(s.status, -EINVAL);
	CHECK_EQ(sim->map(x, 3, 1, &ref, 0, &addr), -EINVAL);
	CHECK_EQ(sim->unmap(x, (void *)a, 1), 0);
out:
	sim->close(x);
	xsim_guest_destroy(g);
}

/* A SIGBUS that is not the simulator's still kills (in a child). */
static void test_foreign_sigbus(void)
{
	char path[PATH_MAX];
	int status = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/not-a-guest", dir);
	pid = fork();
	if (pid == 0) {
		volatile uint8_t *p;
		int fd = open(path, O_CREAT | O_RDWR, 0600);

		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 2); /* a sanitizer's report is expected */
		if (fd < 0 || ftruncate(fd, PG) < 0)
			_exit(3);
		p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || ftruncate(fd, 0) < 0)
			_exit(3);
		unlink(path);
		(void)p[0];
		_exit(0);
	}
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(!WIFEXITED(status) || (WEXITSTATUS(status) != 0 &&
				     WEXITSTATUS(status) != 3));
	unlink(path);
}

/* The guest's file is replaced (a new guest with the same domid). */
static void test_replace(struct xenio *x, struct xsim_guest **gp)
{
	void *addr = NULL;
	uint32_t ref;

	xsim_guest_destroy(*gp);
	*gp = NULL;
	CHECK_EQ(sim->map(x, 1, 1, &ref, 0, &addr), -ENOENT);
	CHECK_EQ(xsim_guest_create(dir, 1, 64, 64, gp), 0);
	if (!*gp)
		return;
	ref = give(*gp, 77, 0, 0, NULL);
	CHECK_EQ(ref, 1u);
	CHECK_EQ(sim->map(x, 1, 1, &ref, 0, &addr), 0);
	if (addr) {
		CHECK(filled(addr, 77));
		CHECK_EQ(sim->unmap(x, addr, 1), 0);
	}
}

static void test_evtchn(struct xenio *x, struct xsim_guest *g)
{
	struct xenio_evtchn *e = NULL, *e2 = NULL;
	char path[PATH_MAX];
	uint32_t port = 0, port2 = 0;
	int gfd = -1, fd, i, n, fds;

	CHECK_EQ(xsim_guest_evtchn_alloc(g, &port, &gfd), 0);
	CHECK_EQ(port, 1u);
	CHECK_EQ(sim->evtchn_bind(x, 1, port, &e), 0);
	if (!e)
		return;
	fd = sim->evtchn_fd(e);
	CHECK(fd >= 0);
	CHECK(!readable(fd));
	CHECK_EQ(sim->evtchn_ack(e), 0);

	/* guest -> backend */
	CHECK_EQ(xsim_guest_evtchn_notify(g, port), 0);
	CHECK_EQ(xsim_guest_evtchn_notify(g, port), 0);
	CHECK(readable(fd));
	CHECK_EQ(sim->evtchn_ack(e), 1);
	CHECK_EQ(sim->evtchn_ack(e), 0);
	CHECK(!readable(fd));
	/* backend -> guest */
	CHECK(!readable(gfd));
	CHECK_EQ(sim->evtchn_notify(e), 0);
	CHECK(readable(gfd));
	CHECK(!readable(fd));
	CHECK_EQ(xsim_guest_evtchn_ack(g, port), 1);
	CHECK_EQ(xsim_guest_evtchn_ack(g, port), 0);

	/* a full FIFO is not an error, in either direction */
	for (i = 0, n = 0; i < 70000; i++)
		n += sim->evtchn_notify(e) == 0;
	CHECK_EQ(n, 70000);
	CHECK_EQ(xsim_guest_evtchn_ack(g, port), 1);
	CHECK(!readable(gfd));
	for (i = 0, n = 0; i < 70000; i++)
		n += xsim_guest_evtchn_notify(g, port) == 0;
	CHECK_EQ(n, 70000);
	CHECK_EQ(sim->evtchn_ack(e), 1);
	for (i = 0; i < 4 && sim->evtchn_ack(e) == 1; i++)
		;
	CHECK(!readable(fd));

	/* a second port gets the next number */
	CHECK_EQ(xsim_guest_evtchn_alloc(g, &port2, NULL), 0);
	CHECK_EQ(port2, 2u);
	CHECK_EQ(sim->evtchn_bind(x, 1, port2, &e2), 0);
	CHECK_EQ(xsim_guest_evtchn_notify(g, port2), 0);
	CHECK_EQ(sim->evtchn_ack(e), 0);
	CHECK_EQ(sim->evtchn_ack(e2), 1);
	sim->evtchn_unbind(e2);
	xsim_guest_evtchn_free(g, port2);

	/* missing, half-missing and wrong-kind FIFOs; no fd leaks */
	fds = count_fds();
	CHECK_EQ(sim->evtchn_bind(x, 1, 999, &e2), -ENOENT);
	CHECK(e2 == NULL);
	CHECK_EQ(sim->evtchn_bind(x, 9, 1, &e2), -ENOENT);
	snprintf(path, sizeof(path), "%s/dom1-port50.tob", dir);
	CHECK_EQ(mkfifo(path, 0600), 0);
	CHECK_EQ(sim->evtchn_bind(x, 1, 50, &e2), -ENOENT);
	unlink(path);
	snprintf(path, sizeof(path), "%s/dom1-port51.tob", dir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	snprintf(path, sizeof(path), "%s/dom1-port51.tof", dir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	CHECK_EQ(sim->evtchn_bind(x, 1, 51, &e2), -ENOENT);
	unlink(path);
	snprintf(path, sizeof(path), "%s/dom1-port51.tob", dir);
	unlink(path);
	CHECK_EQ(count_fds(), fds);

	/* the guest goes away under a bound channel: no SIGPIPE, no error */
	xsim_guest_evtchn_free(g, port);
	CHECK_EQ(xsim_guest_evtchn_notify(g, port), -EINVAL);
	CHECK_EQ(sim->evtchn_notify(e), 0);
	CHECK_EQ(sim->evtchn_ack(e), 0);
	sim->evtchn_unbind(e);
	snprintf(path, sizeof(path), "%s/dom1-port1.tob", dir);
	CHECK(access(path, F_OK) < 0);
}

static void test_open_args(void)
{
	struct xsim_guest *g = NULL;
	struct xenio *x = NULL;
	void *addr = NULL;
	uint32_t ref, ref0;

	CHECK_EQ(sim->open(&x, dir, 0x7ff0), -EINVAL);
	CHECK(x == NULL);
	/* NULL dir: $XENTAP_SIM_DIR; backend in domain 5 */
	CHECK_EQ(setenv(XSIM_ENV_DIR, dir, 1), 0);
	CHECK_EQ(xsim_guest_create(NULL, 8, 4, 8, &g), 0);
	if (!g)
		return;
	CHECK_EQ(strcmp(xsim_guest_dir(g), dir), 0);
	CHECK_EQ(xsim_guest_domid(g), 8u);
	CHECK_EQ(sim->open(&x, NULL, 5), 0);
	unsetenv(XSIM_ENV_DIR);
	if (!x)
		goto out;
	ref = give(g, 12, 5, 0, NULL);
	ref0 = give(g, 13, 0, 0, NULL);
	CHECK_EQ(sim->map(x, 8, 1, &ref, 1, &addr), 0);
	if (addr) {
		CHECK(filled(addr, 12));
		CHECK_EQ(sim->unmap(x, addr, 1), 0);
	}
	CHECK_EQ(sim->map(x, 8, 1, &ref0, 0, &addr), -EPERM);
	sim->close(x);
out:
	xsim_guest_destroy(g);
}

static void test_guest_alloc(void)
{
	struct xsim_guest *g = NULL;
	uint32_t f, frames[4], ref;
	unsigned i;

	CHECK_EQ(xsim_guest_create(dir, 9, 0, 8, &g), -EINVAL);
	CHECK_EQ(xsim_guest_create(dir, 9, 4, 0, &g), -EINVAL);
	CHECK_EQ(xsim_guest_create(dir, 9, 4, 3, &g), 0);
	if (!g)
		return;
	for (i = 0; i < 4; i++) {
		CHECK_EQ(xsim_guest_page_alloc(g, &frames[i]), 0);
		CHECK_EQ(frames[i], i);
		memset(xsim_guest_page(g, i), 0xee, PG);
	}
	CHECK_EQ(xsim_guest_page_alloc(g, &f), -ENOMEM);
	CHECK(xsim_guest_page(g, 4) == NULL);
	xsim_guest_page_free(g, 2);
	xsim_guest_page_free(g, 2);	/* ignored */
	CHECK_EQ(xsim_guest_page_alloc(g, &f), 0);
	CHECK_EQ(f, 2u);
	CHECK_EQ(((uint8_t *)xsim_guest_page(g, 2))[4095], 0); /* zeroed */
	CHECK_EQ(xsim_guest_grant(g, 4, 0, 0, &ref), -EINVAL);
	CHECK_EQ(xsim_guest_grant(g, 0, 0, 0, &ref), 0);
	CHECK_EQ(ref, 1u);
	CHECK_EQ(xsim_guest_grant(g, 1, 0, 0, &ref), 0);
	CHECK_EQ(ref, 2u);
	CHECK_EQ(xsim_guest_grant(g, 1, 0, 0, &ref), -ENOSPC);
	CHECK_EQ(xsim_guest_revoke(g, 1), 0);
	CHECK_EQ(xsim_guest_grant(g, 3, 0, 1, &ref), 0);
	CHECK_EQ(ref, 1u);
	CHECK_EQ(xsim_guest_grant_entry(g, 1)->frame, 3u);
	CHECK_EQ(xsim_guest_grant_entry(g, 1)->flags,
		 XSIM_GTF_PERMIT_ACCESS | XSIM_GTF_READONLY);
	CHECK_EQ(xsim_guest_revoke(g, 0), -EINVAL);
	xsim_guest_destroy(g);
	xsim_guest_destroy(NULL);
}

static void test_xen(void)
{
	const struct xenio_ops *xen = xenio_find("xen");
	struct xenio *x = (struct xenio *)1;
	int rc;

	if (!xen)
		return;
	xen->close(NULL);
	xen->evtchn_unbind(NULL);
	if (access("/dev/xen/gntdev", F_OK) == 0) {
		fprintf(stderr, "test-xsim: /dev/xen/gntdev exists, "
				"not checking that \"xen\" fails to open\n");
		return;
	}
	rc = xen->open(&x, NULL, 0);
	CHECK(rc == -ENOENT || rc == -ENODEV || rc == -EACCES);
	CHECK(x == NULL);
}

int main(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL;
	struct xsim_guest *g = NULL;
	struct xenio *x = NULL;
	char path[PATH_MAX];

	if (!base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	snprintf(dir, sizeof(dir), "%s/test-xsim.XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 99;
	}
	td_log_set_ident("test-xsim");
	sim = xenio_find("sim");
	if (!sim)
		return 99;

	test_registry();
	test_guest_alloc();
	CHECK_EQ(xsim_guest_create(dir, 1, 64, 64, &g), 0);
	CHECK_EQ(sim->open(&x, dir, 0), 0);
	if (g && x) {
		test_map(x, g);
		test_refusals(x, g);
		test_copy(x, g);
		test_evtchn(x, g);
		test_replace(x, &g);
	}
	sim->close(x);
	xsim_guest_destroy(g);
	test_corrupt();
	test_truncate();
	test_foreign_sigbus();
	test_open_args();
	test_xen();

	mem_path(path, 1);
	CHECK(access(path, F_OK) < 0);	/* destroy removed everything */
	if (rmdir(dir) < 0) {
		fprintf(stderr, "test-xsim: %s not empty: %s\n", dir,
			strerror(errno));
		CHECK(0);
	}
	return check_exit("test-xsim");
}
