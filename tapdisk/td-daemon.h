/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-daemon: how tapdisk and tapback become daemons.
 *
 * The starting process does not exit until the daemon has told it how its
 * start went, and then exits with that status: the caller (tap-ctl spawn, a
 * shell, systemd's Type=forking) sees real failures, and start-up errors
 * reach the caller's stderr. Once the verdict is sent the daemon lets go of
 * that stderr; it logs to syslog from then on (td_log_open_syslog()).
 */
#ifndef XENTAP_TD_DAEMON_H
#define XENTAP_TD_DAEMON_H

#define TD_DAEMON_PRINT_PID (1u << 0)	/* the parent prints the daemon's pid
					 * on stdout when it serves */
#define TD_DAEMON_ROOT (1u << 1)	/* chdir("/") and umask(022); not for
					 * tapdisk, whose requests may name
					 * relative paths */

/*
 * Fork once. The parent waits for the child's verdict and exits with it (1
 * if the child died without one); it never returns. The child becomes a
 * session leader with stdin and stdout on /dev/null (stderr stays), and gets
 * the fd to pass to td_daemon_ready(). Flags TD_DAEMON_*. Returns that fd,
 * or a negative errno: in the only process if pipe2() or fork() failed,
 * else in the child, whose exit then makes the parent exit with 1.
 */
int td_daemon_start(unsigned flags);

/*
 * Send the verdict on *fd (0: serving, else the parent's exit status),
 * after putting stderr on /dev/null. Sets *fd to -1; nothing to do when it
 * is already negative (a foreground process), so callers need not check.
 * 0, or a negative errno if the verdict could not be sent.
 */
int td_daemon_ready(int *fd, unsigned char status);

#endif
