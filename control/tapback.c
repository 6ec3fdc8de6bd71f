/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tapback: the xenstore half of the block backend, as a daemon.
 *
 *   tapback [-d] [-v] [-n NAME] [-p FILE] [-c DIR]
 *
 * Daemonizes unless -d (then it logs to stderr, else to syslog once it
 * serves); serves
 * backend/<NAME> (default vbd3) of the domain it runs in; talks to the
 * tapdisks of the control directory DIR. The parent of a daemonizing
 * tapback exits only once the child is serving (or with its error), so
 * `tapback && ...` and systemd's Type=forking see real failures.
 *
 * Exit status: 0 after SIGTERM / SIGINT, 1 on failure, 2 on usage errors.
 * Exiting leaves every device as it is: a restarted tapback adopts them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "tapback.h"
#include "td-daemon.h"

struct opts {
	int foreground;
	int verbose;
	const char *kind;
	const char *pidfile;
	const char *ctl_dir;
};

/* ---- the tapdisk seam on libtapctl ---------------------------------------- */

static int ttd_status(void *priv, pid_t pid, uint32_t minor,
		      struct tapback_vbd_info *vi)
{
	struct td_msg *m = tapctl_msg_new();
	int rc;

	if (!m)
		return -ENOMEM;
	rc = tapctl_status(priv, pid, (int)minor, m);
	if (rc == 0)
		rc = tapback_vbd_info_from_msg(m, minor, vi);
	free(m);
	return rc;
}

static int ttd_ring_connect(void *priv, pid_t pid, uint32_t minor,
			    const struct tapctl_ring *r)
{
	return tapctl_ring_connect(priv, pid, minor, r);
}

static int ttd_ring_disconnect(void *priv, pid_t pid, uint32_t minor,
			       uint32_t domid, uint32_t devid, int queue)
{
	return tapctl_ring_disconnect(priv, pid, minor, (int)domid, (int)devid,
				      queue);
}

static const char *ttd_last_message(void *priv)
{
	(void)priv;
	return tapctl_last_message();
}

static const struct tapback_td_ops tapback_td_tapctl = {
	.name = "libtapctl",
	.status = ttd_status,
	.ring_connect = ttd_ring_connect,
	.ring_disconnect = ttd_ring_disconnect,
	.last_message = ttd_last_message,
};

/* ---- daemon --------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tapback [-d] [-v] [-n NAME] [-p FILE] [-c DIR]\n"
		"  -d, --debug          stay in the foreground, log to stderr\n"
		"  -v, --verbose        log debug messages too\n"
		"  -n, --name NAME      backend kind to serve (default %s)\n"
		"  -p, --pidfile FILE   write (and lock) a pid file\n"
		"  -c, --control-dir DIR  tapdisk control sockets (default "
		"$%s or %s)\n"
		"  -h, --help           this text\n"
		"  -V, --version        print the version\n",
		TAPBACK_DEFAULT_KIND, TAPCTL_ENV_DIR, TAPCTL_DEFAULT_DIR);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "debug", no_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "name", required_argument, NULL, 'n' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "control-dir", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->kind = TAPBACK_DEFAULT_KIND;
	while ((c = getopt_long(argc, argv, "dvn:p:c:hV", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->foreground = 1;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'n':
			o->kind = optarg;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case 'c':
			o->ctl_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("tapback (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tapback: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (tapback_parse_kind(o->kind) < 0) {
		fprintf(stderr, "tapback: invalid backend name '%s'\n", o->kind);
		return -EINVAL;
	}
	return 0;
}

/* Daemon only: tell the waiting parent how the start went; once serving,
 * log to syslog (td_daemon_ready lets go of the caller's stderr). */
static void tell_parent(int *fd, unsigned char st)
{
	if (*fd < 0)
		return;
	if (st == 0)
		td_log_open_syslog("tapback");
	if (td_daemon_ready(fd, st) < 0)
		TD_WARN(NULL, "cannot report start-up status");
}

/* Write our pid to path and hold an exclusive lock on it while running:
 * a second tapback for the same pid file refuses to start. */
static int write_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno == EWOULDBLOCK ? -EALREADY : -errno;

		close(fd);
		return err;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n) {
		int err = -errno;

		close(fd);
		return err ? err : -EIO;
	}
	return fd;	/* kept open: the lock lives as long as we do */
}

static int signal_fd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* Poll xenstore and the signals until SIGTERM / SIGINT. */
static int serve(struct tapback *tb, int xfd, int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = xfd, .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	int rc;

	for (;;) {
		rc = tapback_run_events(tb);
		if (rc < 0) {
			TD_ERR(NULL, "xenstore: %s", strerror(-rc));
			return rc;
		}
		/* CD devices: look for media changes once a second */
		if (poll(pfd, 2, tapback_poll_media(tb) ? TAPBACK_MEDIA_POLL_MS
							 : -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			TD_ERR(NULL, "xenstore connection lost");
			return -ECONNRESET;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					TD_INFO(NULL, "SIGHUP: re-examining "
						"every device");
					tapback_refresh(tb);
					continue;
				}
				TD_INFO(NULL, "signal %u: exiting, devices "
					"left as they are", si.ssi_signo);
				return 0;
			}
		}
	}
}

int main(int argc, char **argv)
{
	struct tapback_xs xs = { NULL, NULL };
	struct tapback tb;
	struct opts o;
	int parent = -1, pidfd = -1, sfd = -1, xfd, rc;
	uint32_t self;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	td_log_set_ident("tapback");
	/* A daemon's caller sees its start-up errors, not its chatter. */
	td_log_set_level(o.foreground ? (o.verbose ? TD_LOG_DEBUG : TD_LOG_INFO)
				      : TD_LOG_WARN);
	if (!o.foreground) {
		parent = td_daemon_start(TD_DAEMON_ROOT);
		if (parent < 0) {
			fprintf(stderr, "tapback: cannot daemonize: %s\n",
				strerror(-parent));
			return 1;
		}
	}
	rc = signal_fd();
	if (rc < 0) {
		TD_ERR(NULL, "signalfd: %s", strerror(-rc));
		goto fail;
	}
	sfd = rc;
	if (o.pidfile) {
		pidfd = write_pidfile(o.pidfile);
		if (pidfd < 0) {
			rc = pidfd;
			TD_ERR(NULL, "pid file %s: %s", o.pidfile,
			       rc == -EALREADY ? "another tapback holds it" :
			       strerror(-rc));
			goto fail;
		}
	}
	rc = tapback_xs_open(&xs);
	if (rc < 0) {
		TD_ERR(NULL, "cannot connect to xenstore: %s", strerror(-rc));
		goto fail;
	}
	rc = tapback_self_domid(&xs, &self);
	if (rc < 0) {
		TD_WARN(NULL, "cannot read our domid (%s): assuming 0",
			strerror(-rc));
		self = 0;
	}
	rc = tapback_init(&tb, &xs, &tapback_td_tapctl,
			  (void *)tapctl_dir(o.ctl_dir), o.kind, self, 0);
	if (rc == 0)
		rc = tapback_start(&tb);
	if (rc < 0) {
		TD_ERR(NULL, "cannot watch backend/%s: %s", o.kind,
		       strerror(-rc));
		goto fail;
	}
	xfd = xs.ops->fileno(xs.priv);
	tell_parent(&parent, 0);
	td_log_set_level(o.verbose ? TD_LOG_DEBUG : TD_LOG_INFO);
	TD_INFO(NULL, "serving backend/%s of domain %u, tapdisks in %s",
		o.kind, self, tapctl_dir(o.ctl_dir));
	rc = serve(&tb, xfd, sfd);
	tapback_fini(&tb);
	tapback_xs_close(&xs);
	if (pidfd >= 0) {
		unlink(o.pidfile);
		close(pidfd);
	}
	td_log_close();
	return rc < 0 ? 1 : 0;
fail:
	if (xs.ops)
		tapback_xs_close(&xs);
	if (pidfd >= 0) {
		unlink(o.pidfile);
		close(pidfd);
	}
	tell_parent(&parent, 1);
	td_log_close();
	return 1;
}
