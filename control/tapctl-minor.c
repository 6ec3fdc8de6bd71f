/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtapctl: minor numbers (marker files) and the list of running tapdisks.
 *
 * A minor is allocated by creating <dir>/tapdisk/tapdisk-<minor> with
 * O_EXCL, so two allocators never get the same one without any lock of
 * our own. The tapdisk a minor is attached to holds an exclusive flock on
 * the marker; free takes the same lock without blocking before it unlinks,
 * so a marker in use is never removed, and a tapdisk racing to attach
 * while it is being freed loses (it finds the lock taken or the file gone).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tapctl-int.h"

int tapctl_minor_path(const char *dir, int minor, char *buf, size_t len)
{
	int n;

	if (!buf || minor < 0 || minor >= TAPCTL_MAX_MINOR)
		return -EINVAL;
	n = snprintf(buf, len, "%s/" TAPCTL_MINOR_SUBDIR "/" TAPCTL_MINOR_PREFIX "%d",
		     tapctl_dir(dir), minor);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int tapctl_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	char *p;

	if (n == 0 || n >= sizeof(buf))
		return n ? -ENAMETOOLONG : -EINVAL;
	memcpy(buf, path, n + 1);
	for (p = buf + 1; ; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

int tapctl_allocate(const char *dir, int *minor, char *path, size_t len)
{
	char sub[PATH_MAX], marker[PATH_MAX];
	int m, fd, rc;

	if (!minor)
		return -EINVAL;
	*minor = -1;
	if ((size_t)snprintf(sub, sizeof(sub), "%s/" TAPCTL_MINOR_SUBDIR,
			     tapctl_dir(dir)) >= sizeof(sub))
		return -ENAMETOOLONG;
	rc = tapctl_mkdir_p(sub, 0755);
	if (rc < 0)
		return rc;
	for (m = 0; m < TAPCTL_MAX_MINOR; m++) {
		rc = tapctl_minor_path(dir, m, marker, sizeof(marker));
		if (rc < 0)
			return rc;
		fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			return -errno;
		close(fd);
		if (path && (size_t)snprintf(path, len, "%s", marker) >= len) {
			unlink(marker);
			return -ENAMETOOLONG;
		}
		*minor = m;
		return 0;
	}
	return -ENOSPC;
}

int tapctl_free(const char *dir, int minor)
{
	char marker[PATH_MAX];
	struct stat a, b;
	int fd, rc;

	rc = tapctl_minor_path(dir, minor, marker, sizeof(marker));
	if (rc < 0)
		return rc;
	fd = open(marker, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out;
	}
	/* Still the file we locked (not freed and re-allocated meanwhile)? */
	if (fstat(fd, &a) < 0 || lstat(marker, &b) < 0) {
		rc = -errno;
		goto out;
	}
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		rc = -ENOENT;
		goto out;
	}
	if (unlink(marker) < 0)
		rc = -errno;
out:
	close(fd);	/* drops the lock */
	return rc;
}

int tapctl_pid_alive(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return 0;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return 0;
	/* A zombie still answers kill(); /proc tells ("pid (comm) S ..."). */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

/* ---- list ---- */

/* Decimal digits only, no sign, no leading junk: the value, else -1. */
static long parse_decimal(const char *s)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000L)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Names "<prefix><n>" in directory path, sorted, into a malloc'ed array.
 * A missing directory is an empty list. Returns the count or -errno. */
static int scan_dir(const char *path, const char *prefix, long **out)
{
	size_t plen = strlen(prefix), n = 0, cap = 0;
	struct dirent *de;
	long *v = NULL, x;
	DIR *d;

	*out = NULL;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, plen))
			continue;
		x = parse_decimal(de->d_name + plen);
		if (x < 0)
			continue;
		if (n == cap) {
			long *nv = realloc(v, (cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		v[n++] = x;
	}
	closedir(d);
	if (n > 0x7fffffff) {
		free(v);
		return -E2BIG;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_long);
	*out = v;
	return (int)n;
}

static int cmp_vbd(const void *a, const void *b)
{
	uint32_t x = ((const struct td_vbd_status *)a)->minor;
	uint32_t y = ((const struct td_vbd_status *)b)->minor;

	return x < y ? -1 : x > y;
}

static void split_params(struct tapctl_list_entry *e, const char *params)
{
	const char *colon = strchr(params, ':');
	size_t n = colon ? (size_t)(colon - params) : 0;

	e->type[0] = '\0';
	e->path = params;
	if (!colon)
		return;
	if (n >= sizeof(e->type))
		n = sizeof(e->type) - 1;
	memcpy(e->type, params, n);
	e->type[n] = '\0';
	e->path = colon + 1;
}

/* Remove minors[] entries equal to m (they are taken by a live tapdisk). */
static void drop_minor(long *minors, int n, long m)
{
	int i;

	for (i = 0; i < n; i++)
		if (minors[i] == m)
			minors[i] = -1;
}

/*
 * STATUS of one tapdisk into msg, and its entries to fn. Returns fn's
 * non-zero value, or 0 (also when the tapdisk is gone and was skipped).
 */
static int list_one(const char *dir, pid_t pid, struct td_msg *msg,
		    long *minors, int nminors, tapctl_list_fn fn, void *arg)
{
	struct tapctl_list_entry e;
	char sock[PATH_MAX];
	uint32_t i;
	int rc;

	if (!tapctl_pid_alive(pid)) {
		/* Stale socket of a dead tapdisk (SIGKILL, crash): remove it.
		 * Only a socket, only when the process is certainly gone. */
		struct stat st;

		if (tapctl_socket_path(dir, pid, sock, sizeof(sock)) == 0 &&
		    lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(sock);
		return 0;
	}
	rc = tapctl_status(dir, pid, -1, msg);
	memset(&e, 0, sizeof(e));
	e.pid = pid;
	e.minor = -1;
	e.engine = e.xenio = e.path = "";
	if (rc == -ECONNREFUSED || rc == -ENOENT || rc == -ECONNRESET ||
	    rc == -EPIPE)
		return 0;	/* exiting, dead with a reused pid, or not listening yet */
	if (rc < 0) {
		e.err = -rc;
		return fn(&e, arg);
	}
	e.engine = msg->engine;
	e.xenio = msg->xenio;
	if (msg->nr_vbds == 0)
		return fn(&e, arg);
	qsort(msg->vbds, msg->nr_vbds, sizeof(msg->vbds[0]), cmp_vbd);
	for (i = 0; i < msg->nr_vbds; i++) {
		e.minor = (int)msg->vbds[i].minor;
		e.vbd = &msg->vbds[i];
		split_params(&e, msg->vbds[i].params);
		drop_minor(minors, nminors, e.minor);
		rc = fn(&e, arg);
		if (rc)
			return rc;
	}
	return 0;
}

int tapctl_list(const char *dir, pid_t pid, tapctl_list_fn fn, void *arg)
{
	char sub[PATH_MAX];
	struct tapctl_list_entry e;
	struct td_msg *msg = NULL;
	long *pids = NULL, *minors = NULL;
	int npids, nminors = 0, i, rc = 0;

	if (!fn)
		return -EINVAL;
	dir = tapctl_dir(dir);
	if (pid > 0) {
		npids = 1;
		pids = malloc(sizeof(*pids));
		if (!pids)
			return -ENOMEM;
		pids[0] = pid;
	} else {
		npids = scan_dir(dir, "ctl", &pids);
		if (npids < 0)
			return npids;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/" TAPCTL_MINOR_SUBDIR,
				     dir) >= sizeof(sub)) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		nminors = scan_dir(sub, TAPCTL_MINOR_PREFIX, &minors);
		if (nminors < 0) {
			rc = nminors;
			nminors = 0;
			goto out;
		}
	}
	msg = tapctl_msg_new();
	if (!msg) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < npids && !rc; i++)
		if (pids[i] > 0 && pids[i] <= 0x7fffffffL)
			rc = list_one(dir, (pid_t)pids[i], msg, minors, nminors,
				      fn, arg);
	for (i = 0; i < nminors && !rc; i++) {
		if (minors[i] < 0 || minors[i] >= TAPCTL_MAX_MINOR)
			continue;
		memset(&e, 0, sizeof(e));
		e.pid = -1;
		e.minor = (int)minors[i];
		e.engine = e.xenio = e.path = "";
		rc = fn(&e, arg);
	}
out:
	free(msg);
	free(pids);
	free(minors);
	return rc;
}
