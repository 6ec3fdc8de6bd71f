/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtapctl: starting tapdisk processes, and the create / destroy
 * sequences (allocate + spawn + attach + open, close + detach + free) with
 * their clean-up on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tapctl-int.h"

#ifndef TAPDISK_PATH
#define TAPDISK_PATH "/usr/sbin/tapdisk"
#endif
#define TAPDISK_ENV "TAPDISK"
#define EXIT_WAIT_MS 5000	/* tapdisk exiting after its last DETACH */
#define POLL_STEP_MS 10

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child between fork and exec: async-signal-safe calls only. */
static void spawn_child(const char *bin, char *const argv[], int out_fd,
			int err_fd)
{
	sigset_t none;
	int e;

	if (out_fd == STDOUT_FILENO)
		fcntl(out_fd, F_SETFD, 0);
	else if (dup2(out_fd, STDOUT_FILENO) < 0)
		goto fail;
	/* Everything else the caller had open (lock files of hotplug
	 * scripts...) must not live on in the daemon. */
	if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
		int fd;

		for (fd = 3; fd < 1024; fd++)
			if (fd != err_fd)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (strchr(bin, '/'))
		execv(bin, argv);
	else
		execvp(bin, argv);
fail:
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		e = 0;
	_exit(127);
}

/* Read the line tapdisk prints (its daemon's pid) until EOF or newline. */
static int read_pid_line(int fd, char *buf, size_t cap, int64_t deadline)
{
	size_t n = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - mono_ms();
		ssize_t k;
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(left > INT_MAX ? INT_MAX : left));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		k = read(fd, buf + n, cap - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		n += (size_t)k;
		buf[n] = '\0';
		if (k == 0 || strchr(buf, '\n') || n == cap - 1)
			return 0;
	}
}

/* waitpid with a deadline. 0 and *status, -ECHILD (reaped elsewhere, e.g.
 * SIGCHLD ignored), -ETIMEDOUT. */
static int wait_child(pid_t child, int *status, int64_t deadline)
{
	for (;;) {
		pid_t r = waitpid(child, status, WNOHANG);

		if (r == child)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (mono_ms() >= deadline)
			return -ETIMEDOUT;
		tapctl_sleep_ms(POLL_STEP_MS);
	}
}

int tapctl_spawn(const char *dir, pid_t *pid)
{
	const char *bin = getenv(TAPDISK_ENV);
	int64_t deadline = mono_ms() + TAPCTL_TIMEOUT_MS;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	char line[64], *end, *argv[4];
	int rc, status = 0, exec_err = 0;
	pid_t child;
	long v;

	tapctl_set_message("%s", "");
	if (!pid)
		return -EINVAL;
	*pid = -1;
	if (!bin || !*bin)
		bin = TAPDISK_PATH;
	dir = tapctl_dir(dir);
	rc = tapctl_mkdir_p(dir, 0755);
	if (rc < 0) {
		tapctl_set_message("cannot create %s: %s", dir, strerror(-rc));
		return rc;
	}
	argv[0] = (char *)bin;
	argv[1] = (char *)"-c";
	argv[2] = (char *)dir;
	argv[3] = NULL;
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out;
	}
	child = fork();
	if (child < 0) {
		rc = -errno;
		goto out;
	}
	if (child == 0)
		spawn_child(bin, argv, outp[1], errp[1]);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;

	/* The error pipe closes at exec (EOF) or carries exec's errno. */
	while ((rc = (int)read(errp[0], &exec_err, sizeof(exec_err))) < 0 &&
	       errno == EINTR)
		;
	if (rc == (int)sizeof(exec_err)) {
		wait_child(child, &status, deadline);
		tapctl_set_message("cannot run %s: %s", bin, strerror(exec_err));
		rc = -exec_err;
		goto out;
	}
	rc = read_pid_line(outp[0], line, sizeof(line), deadline);
	if (rc == 0)
		rc = wait_child(child, &status, deadline);
	if (rc == -ETIMEDOUT) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
		tapctl_set_message("%s did not report ready within %d ms", bin,
				   TAPCTL_TIMEOUT_MS);
		goto out;
	}
	if (rc < 0 && rc != -ECHILD)
		goto out;
	if (rc == 0 && WIFSIGNALED(status)) {
		tapctl_set_message("%s was killed by signal %d", bin,
				   WTERMSIG(status));
		rc = -EIO;
		goto out;
	}
	if (rc == 0 && WEXITSTATUS(status) != 0) {
		tapctl_set_message("%s exited with status %d (see its log in syslog)",
				   bin, WEXITSTATUS(status));
		rc = -EIO;
		goto out;
	}
	errno = 0;
	v = strtol(line, &end, 10);
	if (errno || end == line || (*end && *end != '\n') || v <= 0 ||
	    v > INT_MAX) {
		tapctl_set_message("%s printed no pid", bin);
		rc = -EIO;
		goto out;
	}
	*pid = (pid_t)v;
	rc = 0;
out:
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	return rc;
}

/* ---- create / destroy ---- */

/* Wait until tapdisk pid is gone. 0 or -ETIMEDOUT. */
static int wait_exit(pid_t pid, int ms)
{
	int64_t deadline = mono_ms() + ms;

	while (tapctl_pid_alive(pid)) {
		if (mono_ms() >= deadline)
			return -ETIMEDOUT;
		tapctl_sleep_ms(POLL_STEP_MS);
	}
	return 0;
}

/* Make a tapdisk we started go away: SHUTDOWN, else SIGTERM, else
 * SIGKILL (and its socket, which it cannot remove then). */
static void stop_tapdisk(const char *dir, pid_t pid)
{
	char sock[PATH_MAX];

	if (tapctl_shutdown(dir, pid) == 0 && wait_exit(pid, EXIT_WAIT_MS) == 0)
		return;
	if (kill(pid, SIGTERM) == 0 && wait_exit(pid, EXIT_WAIT_MS) == 0)
		return;
	kill(pid, SIGKILL);
	wait_exit(pid, EXIT_WAIT_MS);
	if (tapctl_socket_path(dir, pid, sock, sizeof(sock)) == 0)
		unlink(sock);
}

/* tapctl_free, retried while a tapdisk that is letting go of the minor
 * (exiting, detaching) still holds its lock. */
static int free_wait(const char *dir, int minor)
{
	int64_t deadline = mono_ms() + EXIT_WAIT_MS;
	int rc;

	while ((rc = tapctl_free(dir, minor)) == -EBUSY && mono_ms() < deadline)
		tapctl_sleep_ms(POLL_STEP_MS);
	return rc;
}

/* "<step>: <tapdisk's reason or strerror>" into buf. */
static void step_message(char *buf, size_t len, const char *step, int rc)
{
	const char *why = tapctl_last_message();

	snprintf(buf, len, "%s: %s", step, *why ? why : strerror(-rc));
}

int tapctl_create(const char *dir, const char *params, uint32_t flags,
		  pid_t *pidp, int *minorp, char *path, size_t len)
{
	char why[TD_MSG_MAX];
	pid_t pid = -1;
	int minor = -1, rc;

	tapctl_set_message("%s", "");
	if (!params || !*params)
		return -EINVAL;
	rc = tapctl_allocate(dir, &minor, path, len);
	if (rc < 0) {
		tapctl_set_message("allocate: %s", strerror(-rc));
		return rc;
	}
	rc = tapctl_spawn(dir, &pid);
	if (rc < 0) {
		step_message(why, sizeof(why), "spawn", rc);
		goto free_minor;
	}
	rc = tapctl_attach(dir, pid, (uint32_t)minor);
	if (rc < 0) {
		step_message(why, sizeof(why), "attach", rc);
		stop_tapdisk(dir, pid);	/* it has no VBD: it would stay */
		goto free_minor;
	}
	rc = tapctl_vbd_open(dir, pid, (uint32_t)minor, params, flags);
	if (rc < 0) {
		step_message(why, sizeof(why), "open", rc);
		/* Its only VBD: detaching makes it exit. */
		if (tapctl_detach(dir, pid, (uint32_t)minor) < 0 ||
		    wait_exit(pid, EXIT_WAIT_MS) < 0)
			stop_tapdisk(dir, pid);
		goto free_minor;
	}
	if (pidp)
		*pidp = pid;
	if (minorp)
		*minorp = minor;
	return 0;

free_minor:
	free_wait(dir, minor);
	tapctl_set_message("%s", why);
	return rc;
}

int tapctl_destroy(const char *dir, pid_t pid, uint32_t minor)
{
	const struct td_vbd_status *v = NULL;
	struct td_msg *st = tapctl_msg_new();
	char why[TD_MSG_MAX];
	int rc, last;
	uint32_t i;

	tapctl_set_message("%s", "");
	if (!st)
		return -ENOMEM;
	rc = tapctl_status(dir, pid, -1, st);
	if (rc < 0) {
		/* tapdisk unreachable: the caller knows the pid and explains */
		snprintf(why, sizeof(why), "%s", tapctl_last_message());
		goto out;
	}
	for (i = 0; i < st->nr_vbds; i++)
		if (st->vbds[i].minor == minor)
			v = &st->vbds[i];
	if (!v) {
		rc = -ENOENT;
		snprintf(why, sizeof(why), "tapdisk %ld has no VBD with minor %u",
			 (long)pid, minor);
		goto out;
	}
	last = st->nr_vbds == 1;
	if (v->state & (TD_VBD_S_OPEN | TD_VBD_S_PAUSED)) {
		rc = tapctl_vbd_close(dir, pid, minor, 0);
		if (rc < 0) {
			step_message(why, sizeof(why), "close", rc);
			goto out;
		}
	}
	if (v->state & TD_VBD_S_ATTACHED) {
		rc = tapctl_detach(dir, pid, minor);
		if (rc < 0) {
			step_message(why, sizeof(why), "detach", rc);
			goto out;
		}
		if (last)
			wait_exit(pid, EXIT_WAIT_MS);
	}
	rc = free_wait(dir, (int)minor);
	if (rc == -ENOENT && !(v->state & TD_VBD_S_ATTACHED))
		rc = 0;		/* opened without allocate/attach: no marker */
	if (rc < 0)
		snprintf(why, sizeof(why), "free: %s", strerror(-rc));
out:
	free(st);
	tapctl_set_message("%s", rc < 0 ? why : "");
	return rc;
}
