/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xsim-guest: the guest's side of the simulated hypervisor (xsim-guest.h).
 *
 * One object per simulated domain: the .mem file (made under a temporary
 * name and renamed into place, so a backend never sees it half-written),
 * a page allocator (bitmap), a grant-reference allocator (LIFO free list,
 * then a high-water mark starting at 1) and the event channels (a FIFO pair
 * per port, ports handed out lowest-free first, from 1). Single-threaded.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xsim-guest.h"

#define GUEST_DOMID_LIMIT 0x7ff0u	/* DOMID_FIRST_RESERVED */
#define GUEST_MAX_PORTS 65536u

struct guest_port {
	int tob;			/* guest -> backend: we write; -1 = free */
	int tof;			/* backend -> guest: we read */
};

struct xsim_guest {
	char *dir;
	char mem_path[PATH_MAX];
	uint32_t domid;
	uint32_t nr_pages;
	uint32_t nr_grants;
	int fd;
	uint8_t *base;
	size_t size;
	dev_t dev;
	ino_t ino;
	int created_dir;
	int published;			/* mem_path is our file */
	struct xsim_grant *grants;
	uint8_t *mem;
	uint64_t *page_used;		/* bit set: allocated (or past the end) */
	uint32_t page_words;
	uint32_t page_hint;		/* first word that may have a free bit */
	uint64_t *ref_used;
	uint32_t *ref_free;		/* LIFO of recycled references */
	uint32_t nr_ref_free;
	uint32_t next_ref;		/* never handed out yet, from 1 */
	struct guest_port *ports;	/* ports[p - 1] */
	unsigned nr_ports;
};

static int bit_test(const uint64_t *map, uint32_t i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

static void bit_set(uint64_t *map, uint32_t i)
{
	map[i / 64] |= (uint64_t)1 << (i % 64);
}

static void bit_clear(uint64_t *map, uint32_t i)
{
	map[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* mkdir -p; *created says whether the last component was made by us. */
static int mkdir_p(const char *dir, int *created)
{
	char buf[PATH_MAX];
	size_t len = strlen(dir), i;

	*created = 0;
	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, dir, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) == 0)
			*created = i == len;
		else if (errno != EEXIST)
			return -errno;
		if (i < len)
			buf[i] = '/';
	}
	return 0;
}

static int tob_path(const struct xsim_guest *g, uint32_t port, char *buf)
{
	char name[64];
	int n;

	snprintf(name, sizeof(name), XSIM_TOB_NAME, g->domid, port);
	n = snprintf(buf, PATH_MAX, "%s/%s", g->dir, name);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int tof_path(const struct xsim_guest *g, uint32_t port, char *buf)
{
	char name[64];
	int n;

	snprintf(name, sizeof(name), XSIM_TOF_NAME, g->domid, port);
	n = snprintf(buf, PATH_MAX, "%s/%s", g->dir, name);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Remove path only if it is still the file we made (not a newer one). */
static void unlink_if_ours(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;

	if (lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
		unlink(path);
}

static int guest_alloc_tables(struct xsim_guest *g)
{
	uint32_t i;

	g->page_words = (g->nr_pages + 63) / 64;
	g->page_used = calloc(g->page_words, sizeof(uint64_t));
	g->ref_used = calloc((g->nr_grants + 63) / 64, sizeof(uint64_t));
	g->ref_free = calloc(g->nr_grants, sizeof(uint32_t));
	if (!g->page_used || !g->ref_used || !g->ref_free)
		return -ENOMEM;
	/* bits past the last page look allocated, so they are never found */
	for (i = g->nr_pages; i < g->page_words * 64; i++)
		bit_set(g->page_used, i);
	g->next_ref = 1;
	return 0;
}

int xsim_guest_create(const char *dir, uint32_t domid, uint32_t nr_pages,
		      uint32_t nr_grants, struct xsim_guest **out)
{
	char tmp[PATH_MAX], name[64];
	struct xsim_guest *g;
	struct xsim_header h;
	struct stat st;
	void *base;
	int rc, n;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (domid >= GUEST_DOMID_LIMIT || nr_pages == 0 ||
	    nr_pages > XSIM_MAX_PAGES || nr_grants == 0 ||
	    nr_grants > XSIM_MAX_GRANTS)
		return -EINVAL;
	if (!dir || !*dir)
		dir = getenv(XSIM_ENV_DIR);
	if (!dir || !*dir)
		dir = XSIM_DEFAULT_DIR;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->fd = -1;
	g->base = MAP_FAILED;
	g->domid = domid;
	g->nr_pages = nr_pages;
	g->nr_grants = nr_grants;
	g->dir = strdup(dir);
	rc = -ENOMEM;
	if (!g->dir)
		goto fail;
	snprintf(name, sizeof(name), XSIM_MEM_NAME, domid);
	n = snprintf(g->mem_path, sizeof(g->mem_path), "%s/%s", dir, name);
	rc = -ENAMETOOLONG;
	if (n < 0 || (size_t)n >= sizeof(g->mem_path))
		goto fail;
	n = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		goto fail;
	rc = guest_alloc_tables(g);
	if (rc)
		goto fail;
	rc = mkdir_p(dir, &g->created_dir);
	if (rc)
		goto fail;

	xsim_layout(&h, domid, nr_pages, nr_grants);
	g->size = (size_t)h.file_size;
	g->fd = mkostemp(tmp, O_CLOEXEC);
	if (g->fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (ftruncate(g->fd, (off_t)h.file_size) < 0) {
		rc = -errno;
		goto fail_tmp;
	}
	base = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd,
		    0);
	if (base == MAP_FAILED) {
		rc = -errno;
		goto fail_tmp;
	}
	g->base = base;
	memcpy(g->base, &h, sizeof(h));
	g->grants = (struct xsim_grant *)(g->base + h.grant_off);
	g->mem = g->base + h.mem_off;
	/* The file appears complete or not at all; an older one is replaced. */
	if (fstat(g->fd, &st) < 0 || rename(tmp, g->mem_path) < 0) {
		rc = -errno;
		goto fail_tmp;
	}
	g->dev = st.st_dev;
	g->ino = st.st_ino;
	g->published = 1;
	*out = g;
	return 0;
fail_tmp:
	unlink(tmp);
fail:
	xsim_guest_destroy(g);
	return rc;
}

void xsim_guest_destroy(struct xsim_guest *g)
{
	uint32_t port;

	if (!g)
		return;
	for (port = 1; port <= g->nr_ports; port++)
		xsim_guest_evtchn_free(g, port);
	free(g->ports);
	if (g->base != MAP_FAILED)
		munmap(g->base, g->size);
	if (g->fd >= 0) {
		if (g->published)
			unlink_if_ours(g->mem_path, g->dev, g->ino);
		close(g->fd);
	}
	if (g->created_dir)
		rmdir(g->dir); /* fails harmlessly if others left files */
	free(g->page_used);
	free(g->ref_used);
	free(g->ref_free);
	free(g->dir);
	free(g);
}

uint32_t xsim_guest_domid(const struct xsim_guest *g)
{
	return g->domid;
}

const char *xsim_guest_dir(const struct xsim_guest *g)
{
	return g->dir;
}

/* --- pages -------------------------------------------------------------- */

int xsim_guest_page_alloc(struct xsim_guest *g, uint32_t *frame)
{
	uint32_t w, f;

	if (!g || !frame)
		return -EINVAL;
	for (w = g->page_hint; w < g->page_words; w++) {
		if (g->page_used[w] == UINT64_MAX)
			continue;
		f = w * 64 + (uint32_t)__builtin_ctzll(~g->page_used[w]);
		bit_set(g->page_used, f);
		g->page_hint = w;
		memset(g->mem + (size_t)f * XSIM_PAGE_SIZE, 0, XSIM_PAGE_SIZE);
		*frame = f;
		return 0;
	}
	g->page_hint = g->page_words;
	return -ENOMEM;
}

void xsim_guest_page_free(struct xsim_guest *g, uint32_t frame)
{
	if (!g || frame >= g->nr_pages || !bit_test(g->page_used, frame))
		return;
	bit_clear(g->page_used, frame);
	if (frame / 64 < g->page_hint)
		g->page_hint = frame / 64;
}

void *xsim_guest_page(struct xsim_guest *g, uint32_t frame)
{
	if (!g || frame >= g->nr_pages)
		return NULL;
	return g->mem + (size_t)frame * XSIM_PAGE_SIZE;
}

/* --- grants ------------------------------------------------------------- */

int xsim_guest_grant(struct xsim_guest *g, uint32_t frame, uint16_t backend_domid,
		     int readonly, uint32_t *gref)
{
	struct xsim_grant *e;
	uint32_t ref;

	if (!g || !gref || frame >= g->nr_pages)
		return -EINVAL;
	if (g->nr_ref_free)
		ref = g->ref_free[--g->nr_ref_free];
	else if (g->next_ref < g->nr_grants)
		ref = g->next_ref++;
	else
		return -ENOSPC;
	bit_set(g->ref_used, ref);
	e = &g->grants[ref];
	e->frame = frame;
	e->domid = backend_domid;
	e->reserved0 = 0;
	e->reserved1 = 0;
	/* Publish: frame and domid are visible before the grant is valid. */
	__atomic_store_n(&e->flags,
			 XSIM_GTF_PERMIT_ACCESS |
				 (readonly ? XSIM_GTF_READONLY : 0),
			 __ATOMIC_RELEASE);
	*gref = ref;
	return 0;
}

int xsim_guest_revoke(struct xsim_guest *g, uint32_t gref)
{
	if (!g || gref == 0 || gref >= g->nr_grants ||
	    !bit_test(g->ref_used, gref))
		return -EINVAL;
	__atomic_store_n(&g->grants[gref].flags, 0, __ATOMIC_RELEASE);
	bit_clear(g->ref_used, gref);
	g->ref_free[g->nr_ref_free++] = gref;
	return 0;
}

struct xsim_grant *xsim_guest_grant_entry(struct xsim_guest *g, uint32_t gref)
{
	if (!g || gref >= g->nr_grants)
		return NULL;
	return &g->grants[gref];
}

/* --- event channels ----------------------------------------------------- */

static struct guest_port *guest_port(struct xsim_guest *g, uint32_t port)
{
	if (!g || port == 0 || port > g->nr_ports || g->ports[port - 1].tob < 0)
		return NULL;
	return &g->ports[port - 1];
}

static int make_fifo(const char *path, int *fd)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	if (mkfifo(path, 0600) < 0)
		return -errno;
	*fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0) {
		int rc = -errno;

		unlink(path);
		return rc;
	}
	return 0;
}

int xsim_guest_evtchn_alloc(struct xsim_guest *g, uint32_t *port, int *fd)
{
	char tob[PATH_MAX], tof[PATH_MAX];
	struct guest_port *p, *np;
	unsigned i, n;
	int rc;

	if (!g || !port)
		return -EINVAL;
	for (i = 0; i < g->nr_ports; i++)
		if (g->ports[i].tob < 0)
			break;
	if (i == g->nr_ports) {
		if (g->nr_ports >= GUEST_MAX_PORTS)
			return -ENOSPC;
		n = g->nr_ports ? g->nr_ports * 2 : 8;
		np = realloc(g->ports, n * sizeof(*np));
		if (!np)
			return -ENOMEM;
		for (; g->nr_ports < n; g->nr_ports++)
			np[g->nr_ports].tob = np[g->nr_ports].tof = -1;
		g->ports = np;
	}
	p = &g->ports[i];
	rc = tob_path(g, i + 1, tob);
	if (!rc)
		rc = tof_path(g, i + 1, tof);
	if (rc)
		return rc;
	rc = make_fifo(tob, &p->tob);
	if (rc)
		return rc;
	rc = make_fifo(tof, &p->tof);
	if (rc) {
		close(p->tob);
		unlink(tob);
		p->tob = -1;
		return rc;
	}
	*port = i + 1;
	if (fd)
		*fd = p->tof;
	return 0;
}

int xsim_guest_evtchn_notify(struct xsim_guest *g, uint32_t port)
{
	struct guest_port *p = guest_port(g, port);
	const char b = 1;
	ssize_t n;

	if (!p)
		return -EINVAL;
	do {
		n = write(p->tob, &b, 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -errno;
	return 0;
}

int xsim_guest_evtchn_ack(struct xsim_guest *g, uint32_t port)
{
	struct guest_port *p = guest_port(g, port);
	char buf[256];
	int got = 0;
	ssize_t n;

	if (!p)
		return -EINVAL;
	for (;;) {
		n = read(p->tof, buf, sizeof(buf));
		if (n > 0) {
			got = 1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		return got;
	}
}

void xsim_guest_evtchn_free(struct xsim_guest *g, uint32_t port)
{
	struct guest_port *p = guest_port(g, port);
	char path[PATH_MAX];

	if (!p)
		return;
	close(p->tob);
	close(p->tof);
	p->tob = p->tof = -1;
	if (tob_path(g, port, path) == 0)
		unlink(path);
	if (tof_path(g, port, path) == 0)
		unlink(path);
}
