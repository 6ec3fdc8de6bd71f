/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-daemon: daemonizing with a ready pipe, for tapdisk and tapback (see
 * td-daemon.h). One fork only: the pid the parent prints is the daemon's
 * (tapdisk's control socket is ctl<pid>); as a session leader without a
 * terminal it never gets one again, since nothing here opens a tty.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "td-daemon.h"

int td_daemon_start(unsigned flags)
{
	unsigned char st = 1;
	int fds[2], devnull;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid > 0) {
		close(fds[1]);
		if (read(fds[0], &st, 1) != 1)
			st = 1;
		if (st == 0 && (flags & TD_DAEMON_PRINT_PID)) {
			printf("%d\n", (int)pid);
			fflush(stdout);
		}
		_exit(st);
	}
	close(fds[0]);
	if (setsid() < 0)
		return -errno;
	if (flags & TD_DAEMON_ROOT) {
		if (chdir("/") < 0)
			return -errno;
		umask(022);
	}
	/* stderr stays until the verdict: start-up errors reach the caller. */
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
	return fds[1];
}

int td_daemon_ready(int *fd, unsigned char status)
{
	int devnull, err = 0;

	if (*fd < 0)
		return 0;
	/* Before the verdict, so that a caller reading our stderr to its end
	 * is not held up once the parent has exited. */
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, STDERR_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
	if (write(*fd, &status, 1) < 0)
		err = -errno;
	close(*fd);
	*fd = -1;
	return err;
}
