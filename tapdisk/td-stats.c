/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-stats: xentop's vbd3 statistics files (see td-stats.h).
 *
 * Field by field, from the rings' counters (control/td-proto.h), summed
 * over every queue of the device plus the queues that already went:
 *   read_reqs_submitted   TD_STAT_REQ_READ (direct and indirect READs)
 *   write_reqs_submitted  TD_STAT_REQ_WRITE
 *   read_sectors          TD_STAT_SECT_READ (counted as reads complete)
 *   write_sectors         TD_STAT_SECT_WRITE
 *   *_reqs_completed      submitted minus the requests still in flight
 *                         (TD_STAT_INFLIGHT counts reads and writes
 *                         together, so while both are in flight this is a
 *                         lower bound; it never goes backwards and is exact
 *                         whenever the ring is idle)
 *   io_errors             TD_STAT_ERR_IO + ERR_GRANT + ERR_GUEST
 *   oo_reqs, *_ticks, flags  0: a ring has a request for every slot, and
 *                         per-request latency is not measured
 * xentop uses oo_reqs, the submitted counts and the sectors.
 *
 * The update is a few dozen loads and stores into a shared page per
 * device once per loop iteration: no system call.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "td-log.h"
#include "td-loop.h"
#include "td-ring.h"
#include "td-stats.h"

#define TD_STATS_PATH_MAX 512
#define TD_STATS_MAX_RINGS 16

struct stats_file {
	uint32_t domid, devid;
	struct td_vbd3_stats *map;
	struct td_ring *rings[TD_STATS_MAX_RINGS];
	unsigned nrings;
	uint64_t gone[TD_STAT__COUNT];	/* counts of the queues that went */
	uint64_t rd_done, wr_done;	/* last completed values written */
	char path[TD_STATS_PATH_MAX];
	struct stats_file *next;
};

static struct stats_file *files;
static struct td_sweep sweep;
static char dir[TD_STATS_PATH_MAX];

_Static_assert(sizeof(struct td_vbd3_stats) == 96, "xentop reads 96 bytes");

static const char *base_dir(void)
{
	const char *b = getenv(TD_STATS_ENV_DIR);

	return b && *b ? b : TD_STATS_DEFAULT_DIR;
}

static uint64_t completed(uint64_t submitted, uint64_t inflight, uint64_t prev)
{
	uint64_t est = submitted > inflight ? submitted - inflight : 0;

	if (est < prev)
		est = prev;	/* a counter: never backwards */
	return est > submitted ? submitted : est;
}

static void file_update(struct stats_file *f)
{
	uint64_t c[TD_STAT__COUNT];
	struct td_ring_status st;
	struct td_vbd3_stats *m = f->map;
	unsigned i, j;

	memcpy(c, f->gone, sizeof(c));
	c[TD_STAT_INFLIGHT] = 0;
	for (i = 0; i < f->nrings; i++) {
		td_ring_status(f->rings[i], &st);
		for (j = 0; j < TD_STAT__COUNT; j++)
			c[j] += st.counters[j];
	}
	f->rd_done = completed(c[TD_STAT_REQ_READ], c[TD_STAT_INFLIGHT], f->rd_done);
	f->wr_done = completed(c[TD_STAT_REQ_WRITE], c[TD_STAT_INFLIGHT], f->wr_done);
	m->read_reqs_submitted = c[TD_STAT_REQ_READ];
	m->read_reqs_completed = f->rd_done;
	m->read_sectors = c[TD_STAT_SECT_READ];
	m->write_reqs_submitted = c[TD_STAT_REQ_WRITE];
	m->write_reqs_completed = f->wr_done;
	m->write_sectors = c[TD_STAT_SECT_WRITE];
	m->io_errors = c[TD_STAT_ERR_IO] + c[TD_STAT_ERR_GRANT] + c[TD_STAT_ERR_GUEST];
}

static void stats_sweep(void *arg)
{
	struct stats_file *f;

	for (f = files; f; f = f->next)
		file_update(f);
}

/* Remove the files of a dead tapdisk's directory, then the directory (it
 * stays if anything else is in it). Never follows a symbolic link. */
static void remove_stale(int basefd, const char *name)
{
	struct dirent *de;
	unsigned a, b;
	char extra;
	DIR *d;
	int fd;

	fd = openat(basefd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (sscanf(de->d_name, "vbd-%u-%u%c", &a, &b, &extra) == 2)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	unlinkat(basefd, name, AT_REMOVEDIR);
}

/*
 * A tapdisk killed by SIGKILL cannot remove its directory: before making
 * ours, remove those of processes that no longer exist (once per process,
 * so xentop is not shown devices of dead backends for long).
 */
static void sweep_stale(const char *base)
{
	struct dirent *de;
	DIR *d = opendir(base);

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, "td3-", 4))
			continue;
		errno = 0;
		pid = strtol(de->d_name + 4, &end, 10);
		if (errno || *end || pid <= 0 || pid > INT32_MAX || pid == getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		remove_stale(dirfd(d), de->d_name);
	}
	closedir(d);
}

/* Our directory: made by us, or left by a dead process with our pid; never
 * a link or somebody else's directory. 0 or -errno. */
static int dir_make(void)
{
	struct stat st;

	if (!dir[0]) {
		const char *base = base_dir();

		if ((size_t)snprintf(dir, sizeof(dir), "%s/td3-%d", base,
				     (int)getpid()) >= sizeof(dir)) {
			dir[0] = 0;
			return -ENAMETOOLONG;
		}
		sweep_stale(base);
	}
	if (mkdir(dir, 0755) == 0)
		return chmod(dir, 0755) < 0 ? -errno : 0;	/* whatever the umask */
	if (errno != EEXIST)
		return -errno;
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -EEXIST;
	return 0;
}

static int file_create(struct stats_file *f)
{
	int fd, err;
	void *p;

	err = dir_make();
	if (err)
		return err;
	if ((size_t)snprintf(f->path, sizeof(f->path), "%s/vbd-%u-%u", dir,
			     f->domid, f->devid) >= sizeof(f->path))
		return -ENAMETOOLONG;
	fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) < 0 || ftruncate(fd, sizeof(*f->map)) < 0) {
		err = -errno;
		goto fail;
	}
	p = mmap(NULL, sizeof(*f->map), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	close(fd);
	f->map = p;
	memset(f->map, 0, sizeof(*f->map));
	f->map->version = TD_VBD3_STATS_VERSION;
	return 0;
fail:
	close(fd);
	unlink(f->path);
	return err;
}

static struct stats_file *file_find(uint32_t domid, uint32_t devid)
{
	struct stats_file *f;

	for (f = files; f; f = f->next)
		if (f->domid == domid && f->devid == devid)
			return f;
	return NULL;
}

void td_stats_ring_add(struct td_ring *r, uint32_t domid, uint32_t devid)
{
	struct stats_file *f = file_find(domid, devid);
	int err;

	if (f) {
		if (f->nrings < TD_STATS_MAX_RINGS)
			f->rings[f->nrings++] = r;
		file_update(f);
		return;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return;
	f->domid = domid;
	f->devid = devid;
	err = file_create(f);
	if (err) {
		/* e.g. no /dev/shm, or not ours to write: xentop just shows
		 * no numbers for this device */
		TD_RL(TD_LOG_WARN, NULL, "no xentop statistics for d%u/%u (%s): %s",
		      domid, devid, f->path[0] ? f->path : dir, strerror(-err));
		free(f);
		return;
	}
	f->rings[f->nrings++] = r;
	f->next = files;
	files = f;
	td_loop_add_sweep(&sweep, stats_sweep, NULL);
	file_update(f);
}

static void file_remove(struct stats_file *f)
{
	struct stats_file **pp;

	for (pp = &files; *pp; pp = &(*pp)->next)
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	munmap(f->map, sizeof(*f->map));
	unlink(f->path);
	free(f);
	if (!files) {
		td_loop_del_sweep(&sweep);
		rmdir(dir);	/* fails harmlessly if someone put a file there */
	}
}

void td_stats_ring_del(struct td_ring *r)
{
	struct td_ring_status st;
	struct stats_file *f;
	unsigned i, j;

	for (f = files; f; f = f->next)
		for (i = 0; i < f->nrings; i++) {
			if (f->rings[i] != r)
				continue;
			td_ring_status(r, &st);
			for (j = 0; j < TD_STAT__COUNT; j++)
				if (j != TD_STAT_INFLIGHT)
					f->gone[j] += st.counters[j];
			f->rings[i] = f->rings[--f->nrings];
			if (!f->nrings)
				file_remove(f);
			else
				file_update(f);
			return;
		}
}
