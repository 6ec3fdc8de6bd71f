/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xenio-sim: the backend side of the simulated hypervisor ("sim").
 *
 * The layout is the contract of xsim.h and doc/simulator.md. Everything in
 * the simulator directory is written by the guest, so every byte read from
 * it is hostile: headers are copied out and validated before use, grant
 * entries are copied once into locals and validated, and a file that shrinks
 * under us must not kill the process.
 *
 * Truncation (SIGBUS). A MAP_SHARED mapping of a file faults with SIGBUS when
 * the page lies beyond the current end of the file. Two guards:
 *  1. map() fstat()s the domain's file first, copy() at most once per
 *     SIM_RECHECK_MS (an fstat per request cost 15% of tapdisk's CPU); a
 *     file that became shorter than its header says, was replaced or was
 *     removed is dropped from the cache and re-validated (and refused).
 *  2. for what the check cannot see (the guest truncating between the check
 *     and the access, or while tapdisk reads a ring page map() returned),
 *     a SIGBUS handler is installed on the first open. A BUS_ADRERR fault
 *     inside a range this module mapped is repaired by putting a private
 *     zero page over the faulting page; the access is retried and succeeds,
 *     the domain is marked broken and copy() reports -EFAULT for a segment
 *     that faulted. Any other SIGBUS goes to the previous handler (or the
 *     default action). The registry the handler walks is changed only by
 *     code that never touches guest memory, and xenio objects are used from
 *     one thread (tapdisk's event loop), so the walk never sees a half-made
 *     change.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "td-log.h"
#include "xenio.h"
#include "xsim.h"

#define SIM_DOMID_FIRST_RESERVED 0x7ff0u /* DOMID_FIRST_RESERVED in Xen */
#define SIM_MAX_MAP 4096u		 /* pages per map() (xenio.h) */
#define SIM_ACK_BUF 256
#define SIM_ACK_MAX_READS 256		 /* 64 KiB: a full pipe */

struct sim_dom;

/* A range of our address space backed by a guest's .mem file. */
struct sim_region {
	struct sim_region *next;
	uintptr_t start;
	uintptr_t end;
	int prot;
	const struct xenio *owner;	/* NULL once leaked by close() */
	struct sim_dom *dom;		/* the base mapping of dom, or NULL */
};

/* One guest domain's validated, cached .mem file. */
struct sim_dom {
	struct sim_dom *next;
	uint32_t domid;
	int fd;
	uint8_t *base;			/* whole file, read-write, shared */
	uint64_t file_size;
	uint64_t grant_off;
	uint64_t mem_off;
	uint32_t nr_pages;
	uint32_t nr_grants;
	volatile sig_atomic_t broken;	/* set by the SIGBUS handler */
	uint64_t checked_ms;		/* last fstat check (CLOCK_MONOTONIC) */
	struct sim_region region;
};

/* Between two fstat checks of a domain's file, guard 2 (SIGBUS) covers it. */
#define SIM_RECHECK_MS 100

static uint64_t sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct xenio {
	char *dir;
	uint32_t backend_domid;
	struct sim_dom *doms;
	unsigned nr_maps;
};

struct xenio_evtchn {
	int tob;			/* guest -> backend, we read */
	int tof;			/* backend -> guest, we write */
	uint32_t domid;
	uint32_t port;
};

static struct sim_region *sim_regions;	/* read by the SIGBUS handler */
static unsigned long sim_faults;	/* repaired faults, ever */
static struct sigaction sim_old_sigbus;
static int sim_sigbus_installed;

/* --- fault registry and SIGBUS handler ---------------------------------- */

static void sim_region_add(struct sim_region *r)
{
	r->next = sim_regions;
	__atomic_store_n(&sim_regions, r, __ATOMIC_RELEASE);
}

static void sim_region_del(struct sim_region *r)
{
	struct sim_region **pp;

	for (pp = &sim_regions; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			__atomic_store_n(pp, r->next, __ATOMIC_RELEASE);
			return;
		}
	}
}

static void sim_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	struct sim_region *r;
	void *page;

	if (si->si_code == BUS_ADRERR) {
		r = __atomic_load_n(&sim_regions, __ATOMIC_ACQUIRE);
		for (; r; r = r->next) {
			if (a < r->start || a >= r->end)
				continue;
			page = (void *)(a & ~(uintptr_t)(XSIM_PAGE_SIZE - 1));
			if (mmap(page, XSIM_PAGE_SIZE, r->prot,
				 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1,
				 0) == MAP_FAILED)
				break;
			if (r->dom)
				r->dom->broken = 1;
			__atomic_add_fetch(&sim_faults, 1, __ATOMIC_SEQ_CST);
			return;
		}
	}
	/* Not ours: behave as if we had never been installed. */
	if (sim_old_sigbus.sa_handler == SIG_IGN && si->si_code <= 0)
		return; /* a kill(2)ed SIGBUS that was meant to be ignored */
	if (sim_old_sigbus.sa_handler == SIG_IGN ||
	    sim_old_sigbus.sa_handler == SIG_DFL) {
		struct sigaction dfl;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGBUS, &dfl, NULL);
		if (si->si_code <= 0)
			raise(SIGBUS); /* delivered when we return */
		return; /* a fault recurs and now takes the default action */
	}
	if (sim_old_sigbus.sa_flags & SA_SIGINFO)
		sim_old_sigbus.sa_sigaction(sig, si, uc);
	else
		sim_old_sigbus.sa_handler(sig);
}

static int sim_sigbus_install(void)
{
	struct sigaction sa;

	if (sim_sigbus_installed)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sim_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &sim_old_sigbus) < 0)
		return -errno;
	sim_sigbus_installed = 1;
	return 0;
}

/* --- the domain's .mem file --------------------------------------------- */

static int sim_path(char *buf, size_t size, const struct xenio *x,
		    const char *name)
{
	int n = snprintf(buf, size, "%s/%s", x->dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Open a guest-made file that must be of type `type` (S_IFREG, S_IFIFO),
 * without following symlinks and without opening anything else first.
 * Returns the fd, -ENOENT if missing, `bad` if of the wrong kind.
 */
static int sim_open_typed(const char *path, mode_t type, int bad)
{
	struct stat st, st2;
	int fd;

	if (lstat(path, &st) < 0)
		return -errno;
	if ((st.st_mode & S_IFMT) != type)
		return bad;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? bad : -errno;
	if (fstat(fd, &st2) < 0 || (st2.st_mode & S_IFMT) != type ||
	    st2.st_ino != st.st_ino || st2.st_dev != st.st_dev) {
		close(fd);
		return bad;
	}
	return fd;
}

/* Pure: NULL if the header describes a usable file of st_size bytes. */
static const char *sim_header_check(const struct xsim_header *h,
				    uint32_t domid, uint64_t st_size)
{
	uint64_t gsz = (uint64_t)h->nr_grants * sizeof(struct xsim_grant);

	if (memcmp(h->magic, XSIM_MAGIC, sizeof(h->magic)) != 0)
		return "bad magic";
	if (h->version != XSIM_VERSION)
		return "unsupported version";
	if (h->page_size != XSIM_PAGE_SIZE)
		return "page_size is not 4096";
	if (h->domid != domid)
		return "domid does not match the file name";
	if (h->nr_pages == 0 || h->nr_pages > XSIM_MAX_PAGES)
		return "nr_pages out of range";
	if (h->nr_grants == 0 || h->nr_grants > XSIM_MAX_GRANTS)
		return "nr_grants out of range";
	if (h->file_size > st_size)
		return "file is shorter than file_size";
	if (h->file_size > SIZE_MAX)
		return "file_size too large for this host";
	if (h->grant_off < XSIM_PAGE_SIZE ||
	    h->grant_off % sizeof(struct xsim_grant) != 0)
		return "bad grant_off";
	if (h->grant_off > h->file_size || gsz > h->file_size - h->grant_off)
		return "grant table runs past file_size";
	if (h->mem_off % XSIM_PAGE_SIZE != 0 || h->mem_off < h->grant_off + gsz)
		return "bad mem_off";
	if (h->mem_off > h->file_size ||
	    (uint64_t)h->nr_pages * XSIM_PAGE_SIZE > h->file_size - h->mem_off)
		return "guest memory runs past file_size";
	return NULL;
}

static void sim_dom_free(struct sim_dom *d)
{
	if (!d)
		return;
	sim_region_del(&d->region);
	munmap(d->base, (size_t)d->file_size);
	close(d->fd);
	free(d);
}

static int sim_dom_open(struct xenio *x, uint32_t domid, struct sim_dom **out)
{
	char name[64], path[PATH_MAX], pfx[32];
	struct xsim_header h;
	struct sim_dom *d;
	const char *why;
	struct stat st;
	ssize_t n;
	void *base;
	int fd, rc;

	snprintf(pfx, sizeof(pfx), "sim d%u", domid);
	snprintf(name, sizeof(name), XSIM_MEM_NAME, domid);
	rc = sim_path(path, sizeof(path), x, name);
	if (rc)
		return rc;
	fd = sim_open_typed(path, S_IFREG, -EINVAL);
	if (fd < 0) {
		TD_RL(TD_LOG_WARN, pfx, "cannot use %s: %s", path,
		      fd == -EINVAL ? "not a regular file" : strerror(-fd));
		return fd;
	}
	memset(&h, 0, sizeof(h));
	n = pread(fd, &h, sizeof(h), 0);
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto fail;
	}
	why = n != (ssize_t)sizeof(h) ? "shorter than its header"
				      : sim_header_check(&h, domid, (uint64_t)st.st_size);
	if (why) {
		TD_RL(TD_LOG_WARN, pfx, "refusing %s: %s", path, why);
		rc = -EINVAL;
		goto fail;
	}
	base = mmap(NULL, (size_t)h.file_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		TD_RL(TD_LOG_WARN, pfx, "mmap %s: %s", path, strerror(-rc));
		goto fail;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		munmap(base, (size_t)h.file_size);
		rc = -ENOMEM;
		goto fail;
	}
	d->domid = domid;
	d->fd = fd;
	d->base = base;
	d->file_size = h.file_size;
	d->grant_off = h.grant_off;
	d->mem_off = h.mem_off;
	d->nr_pages = h.nr_pages;
	d->nr_grants = h.nr_grants;
	d->region.start = (uintptr_t)base;
	d->region.end = (uintptr_t)base + (size_t)h.file_size;
	d->region.prot = PROT_READ | PROT_WRITE;
	d->region.owner = x;
	d->region.dom = d;
	sim_region_add(&d->region);
	*out = d;
	return 0;
fail:
	close(fd);
	return rc;
}

/*
 * The cached domain, re-validated cheaply: one fstat per SIM_RECHECK_MS. A file that
 * was unlinked or replaced (st_nlink 0), shrank, or faulted is dropped and
 * opened again from its path, which re-reads and re-checks the header.
 */
static int sim_dom_get(struct xenio *x, uint32_t domid, int recheck,
		       struct sim_dom **out)
{
	struct sim_dom *d, **pp;
	struct stat st;
	int rc;

	for (pp = &x->doms; (d = *pp) != NULL; pp = &d->next)
		if (d->domid == domid)
			break;
	if (d) {
		uint64_t now = sim_now_ms();

		if (!recheck && !d->broken && now - d->checked_ms < SIM_RECHECK_MS) {
			*out = d;
			return 0;
		}
		if (!d->broken && fstat(d->fd, &st) == 0 && st.st_nlink > 0 &&
		    (uint64_t)st.st_size >= d->file_size) {
			d->checked_ms = now;
			*out = d;
			return 0;
		}
		*pp = d->next;
		sim_dom_free(d);
	}
	rc = sim_dom_open(x, domid, &d);
	if (rc)
		return rc;
	d->next = x->doms;
	x->doms = d;
	*out = d;
	return 0;
}

/*
 * Read grant entry `ref` once into locals and check it. flags is loaded
 * with acquire ordering, pairing with the guest's release store: frame and
 * domid read after it are the ones the guest wrote before granting.
 */
static int sim_grant_check(const struct xenio *x, const struct sim_dom *d,
			   uint32_t ref, int writable, uint32_t *frame)
{
	const struct xsim_grant *e;
	uint32_t flags, gframe;
	uint16_t gdom;

	if (ref == 0 || ref >= d->nr_grants)
		return -EINVAL;
	e = (const struct xsim_grant *)(d->base + d->grant_off) + ref;
	flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
	gdom = __atomic_load_n(&e->domid, __ATOMIC_RELAXED);
	gframe = __atomic_load_n(&e->frame, __ATOMIC_RELAXED);
	if (!(flags & XSIM_GTF_PERMIT_ACCESS) || gdom != x->backend_domid)
		return -EPERM;
	if (writable && (flags & XSIM_GTF_READONLY))
		return -EACCES;
	if (gframe >= d->nr_pages)
		return -EFAULT;
	*frame = gframe;
	return 0;
}

/* --- ops ---------------------------------------------------------------- */

static int sim_open(struct xenio **out, const char *arg, uint32_t backend_domid)
{
	struct xenio *x;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!arg || !*arg)
		arg = getenv(XSIM_ENV_DIR);
	if (!arg || !*arg)
		arg = XSIM_DEFAULT_DIR;
	if (backend_domid >= SIM_DOMID_FIRST_RESERVED) {
		TD_ERR("sim", "backend domid %u is reserved", backend_domid);
		return -EINVAL;
	}
	if (strlen(arg) + 48 >= PATH_MAX) {
		TD_ERR("sim", "simulator directory name too long");
		return -ENAMETOOLONG;
	}
	rc = sim_sigbus_install();
	if (rc) {
		TD_ERR("sim", "cannot install the SIGBUS guard: %s",
		       strerror(-rc));
		return rc;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->dir = strdup(arg);
	if (!x->dir) {
		free(x);
		return -ENOMEM;
	}
	x->backend_domid = backend_domid;
	*out = x;
	return 0;
}

static void sim_close(struct xenio *x)
{
	struct sim_region *r;
	struct sim_dom *d;

	if (!x)
		return;
	if (x->nr_maps) {
		/* A caller bug; unmapping could crash the caller later, so the
		 * mappings are leaked, and stay guarded. */
		TD_ERR("sim", "closed with %u mappings still in place",
		       x->nr_maps);
		for (r = sim_regions; r; r = r->next)
			if (r->owner == x)
				r->owner = NULL;
	}
	while ((d = x->doms) != NULL) {
		x->doms = d->next;
		sim_dom_free(d);
	}
	free(x->dir);
	free(x);
}

static int sim_map(struct xenio *x, uint32_t domid, unsigned count,
		   const uint32_t *refs, int writable, void **addr)
{
	uint32_t small[16], *frames = small;
	struct sim_region *r = NULL;
	uint8_t *base = MAP_FAILED;
	struct sim_dom *d;
	unsigned i, j;
	size_t len;
	int rc, prot;

	if (!x || !refs || !addr || count == 0 || count > SIM_MAX_MAP)
		return -EINVAL;
	*addr = NULL;
	/* map() connects rings (a guest may have re-created its file since
	 * we last looked): always check the file. */
	rc = sim_dom_get(x, domid, 1, &d);
	if (rc)
		return rc;
	if (count > sizeof(small) / sizeof(small[0])) {
		frames = malloc(count * sizeof(*frames));
		if (!frames)
			return -ENOMEM;
	}
	for (i = 0; i < count; i++) {
		rc = sim_grant_check(x, d, refs[i], writable, &frames[i]);
		if (rc) {
			TD_RL(TD_LOG_DEBUG, "sim", "d%u: map of gref %u: %s",
			      domid, refs[i], strerror(-rc));
			goto out;
		}
	}
	rc = -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (!r)
		goto out;
	len = (size_t)count * XSIM_PAGE_SIZE;
	prot = PROT_READ | (writable ? PROT_WRITE : 0);
	/* Reserve the whole range, then put the pages in place, one mmap per
	 * run of consecutive frames. */
	base = mmap(NULL, len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		goto out;
	}
	for (i = 0; i < count; i = j) {
		for (j = i + 1; j < count && frames[j] == frames[j - 1] + 1; j++)
			;
		if (mmap(base + (size_t)i * XSIM_PAGE_SIZE,
			 (size_t)(j - i) * XSIM_PAGE_SIZE, prot,
			 MAP_SHARED | MAP_FIXED, d->fd,
			 (off_t)(d->mem_off +
				 (uint64_t)frames[i] * XSIM_PAGE_SIZE)) ==
		    MAP_FAILED) {
			rc = -errno;
			munmap(base, len);
			goto out;
		}
	}
	r->start = (uintptr_t)base;
	r->end = (uintptr_t)base + len;
	r->prot = prot;
	r->owner = x;
	sim_region_add(r);
	x->nr_maps++;
	*addr = base;
	r = NULL;
	rc = 0;
out:
	free(r);
	if (frames != small)
		free(frames);
	return rc;
}

static int sim_unmap(struct xenio *x, void *addr, unsigned count)
{
	struct sim_region *r;

	if (!x || !addr || count == 0 || count > SIM_MAX_MAP)
		return -EINVAL;
	for (r = sim_regions; r; r = r->next)
		if (r->owner == x && !r->dom && r->start == (uintptr_t)addr)
			break;
	if (!r || r->end - r->start != (size_t)count * XSIM_PAGE_SIZE)
		return -EINVAL;
	sim_region_del(r);
	munmap(addr, (size_t)count * XSIM_PAGE_SIZE);
	free(r);
	x->nr_maps--;
	return 0;
}

static int sim_copy(struct xenio *x, uint32_t domid,
		    struct xenio_copy_seg *segs, unsigned n)
{
	struct xenio_copy_seg *s;
	unsigned long faults;
	struct sim_dom *d;
	uint32_t frame;
	uint8_t *page;
	unsigned i;
	int rc;

	if (!x || (n && !segs))
		return -EINVAL;
	if (n == 0)
		return 0;
	rc = sim_dom_get(x, domid, 0, &d);
	if (rc) {
		for (i = 0; i < n; i++)
			segs[i].status = (int16_t)rc;
		return rc;
	}
	for (i = 0; i < n; i++) {
		s = &segs[i];
		if ((unsigned)s->offset + s->len > XSIM_PAGE_SIZE ||
		    (s->len && !s->local)) {
			s->status = -EINVAL;
			continue;
		}
		rc = sim_grant_check(x, d, s->gref, s->to_guest, &frame);
		if (rc) {
			TD_RL(TD_LOG_DEBUG, "sim", "d%u: copy %s gref %u: %s",
			      domid, s->to_guest ? "to" : "from", s->gref,
			      strerror(-rc));
			s->status = (int16_t)rc;
			continue;
		}
		if (s->len == 0) {
			s->status = 0;
			continue;
		}
		page = d->base + d->mem_off + (uint64_t)frame * XSIM_PAGE_SIZE +
		       s->offset;
		faults = __atomic_load_n(&sim_faults, __ATOMIC_SEQ_CST);
		if (s->to_guest)
			memcpy(page, s->local, s->len);
		else
			memcpy(s->local, page, s->len);
		s->status = __atomic_load_n(&sim_faults, __ATOMIC_SEQ_CST) ==
					    faults
				    ? 0
				    : -EFAULT;
	}
	return 0;
}

/* --- event channels ----------------------------------------------------- */

static int sim_evtchn_bind(struct xenio *x, uint32_t domid,
			   uint32_t remote_port, struct xenio_evtchn **out)
{
	char name[64], path[PATH_MAX];
	struct xenio_evtchn *e;
	int rc;

	if (!x || !out)
		return -EINVAL;
	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->tob = e->tof = -1;
	e->domid = domid;
	e->port = remote_port;

	snprintf(name, sizeof(name), XSIM_TOB_NAME, domid, remote_port);
	rc = sim_path(path, sizeof(path), x, name);
	if (!rc)
		rc = e->tob = sim_open_typed(path, S_IFIFO, -ENOENT);
	if (rc < 0)
		goto fail;
	snprintf(name, sizeof(name), XSIM_TOF_NAME, domid, remote_port);
	rc = sim_path(path, sizeof(path), x, name);
	if (!rc)
		rc = e->tof = sim_open_typed(path, S_IFIFO, -ENOENT);
	if (rc < 0)
		goto fail;
	*out = e;
	return 0;
fail:
	TD_RL(TD_LOG_WARN, "sim", "d%u: bind port %u: %s (%s)", domid,
	      remote_port, strerror(-rc), path);
	if (e->tob >= 0)
		close(e->tob);
	free(e);
	return rc;
}

static void sim_evtchn_unbind(struct xenio_evtchn *e)
{
	if (!e)
		return;
	close(e->tob);
	close(e->tof);
	free(e);
}

static int sim_evtchn_fd(struct xenio_evtchn *e)
{
	return e ? e->tob : -EINVAL;
}

static int sim_evtchn_notify(struct xenio_evtchn *e)
{
	const char b = 1;
	ssize_t n;

	if (!e)
		return -EINVAL;
	do {
		n = write(e->tof, &b, 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -errno;
	return 0; /* EAGAIN: the FIFO is full, a notification is pending */
}

/* Drain the FIFO, bounded so that a guest writing without pause cannot keep
 * us here: what is left keeps the fd readable. */
static int sim_evtchn_ack(struct xenio_evtchn *e)
{
	char buf[SIM_ACK_BUF];
	int got = 0, i;
	ssize_t n;

	if (!e)
		return -EINVAL;
	for (i = 0; i < SIM_ACK_MAX_READS; i++) {
		n = read(e->tob, buf, sizeof(buf));
		if (n > 0) {
			got = 1;
			if ((size_t)n < sizeof(buf))
				break;	/* short read: the FIFO is empty */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return got ? 1 : -errno;
		break;
	}
	return got;
}

const struct xenio_ops xenio_sim_ops = {
	.name = "sim",
	.features = XENIO_F_MAP | XENIO_F_COPY,
	.open = sim_open,
	.close = sim_close,
	.map = sim_map,
	.unmap = sim_unmap,
	.copy = sim_copy,
	.evtchn_bind = sim_evtchn_bind,
	.evtchn_unbind = sim_evtchn_unbind,
	.evtchn_fd = sim_evtchn_fd,
	.evtchn_notify = sim_evtchn_notify,
	.evtchn_ack = sim_evtchn_ack,
};
