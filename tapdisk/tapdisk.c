/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tapdisk: serves disk images to Xen guests over blkif rings.
 * See tapdisk(8).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "tapctl.h"
#include "td-ctl.h"
#include "td-daemon.h"
#include "td-log.h"
#include "td-loop.h"
#include "td-vbd.h"
#include "xsim.h"

#define TD_ENGINE_DEPTH 1024
#define TD_POLL_US_DEFAULT 50
#define TD_POLL_US_MAX 10000

static struct td_loop_src sig_src = { .fd = -1 };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tapdisk [options]\n"
		"Serve disk images to Xen guests over blkif rings; managed through\n"
		"its control socket <control-dir>/ctl<pid> (see tap-ctl(8)).\n\n"
		"  -F, --foreground         do not daemonize; log to stderr\n"
		"  -c, --control-dir DIR    control socket directory\n"
		"                           (default $%s or %s)\n"
		"  -x, --xenio KIND[:ARG]   hypervisor: 'xen' (default) or 'sim[:DIR]',\n"
		"                           the simulator (DIR default $%s or %s);\n"
		"                           also from $XENTAP_XENIO\n"
		"  -e, --engine NAME        I/O engine: auto (default), io_uring, libaio\n"
		"                           (also from $XENTAP_ENGINE)\n"
		"  -d, --domid N            domain this backend runs in (default 0)\n"
		"  -g, --grant MODE         guest data access: copy (default; grant\n"
		"                           copy), map (map per request) or persistent\n"
		"                           (offer feature-persistent, cache mappings)\n"
		"                           (also from $XENTAP_GRANT)\n"
		"  -P, --poll-us N          after work, poll the rings and the engine\n"
		"                           for N microseconds before sleeping\n"
		"                           (default %u, 0: never; $XENTAP_POLL_US)\n"
		"  -v, --verbose            debug logging\n"
		"  -V, --version            print the version\n"
		"  -h, --help               this text\n",
		TAPCTL_ENV_DIR, TAPCTL_DEFAULT_DIR, XSIM_ENV_DIR, XSIM_DEFAULT_DIR,
		TD_POLL_US_DEFAULT);
}

static void sig_event(struct td_loop_src *src, uint32_t events)
{
	struct signalfd_siginfo si;

	while (read(src->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			td_log(TD_LOG_INFO, NULL, "signal %u: shutting down",
			       si.ssi_signo);
			td_loop_stop();
			break;
		case SIGHUP:
			/* syslog needs nothing reopened; stderr neither */
			td_log(TD_LOG_INFO, NULL, "SIGHUP: logs reopened");
			break;
		}
	}
}

static int setup_signals(void)
{
	sigset_t set;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	return td_loop_add(&sig_src, fd, EPOLLIN, sig_event, NULL);
}

static int setup_xenio(const char *spec, uint32_t domid)
{
	char kind[16];
	const char *arg = NULL, *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	int err;

	if (n >= sizeof(kind)) {
		td_log(TD_LOG_ERR, NULL, "unknown hypervisor '%s'", spec);
		return -EINVAL;
	}
	memcpy(kind, spec, n);
	kind[n] = 0;
	if (colon && colon[1])
		arg = colon + 1;
	td_ctx.xops = xenio_find(kind);
	if (!td_ctx.xops) {
		td_log(TD_LOG_ERR, NULL, "unknown hypervisor '%s' (use xen or sim)", kind);
		return -EINVAL;
	}
	snprintf(td_ctx.xenio_name, sizeof(td_ctx.xenio_name), "%s", kind);
	td_ctx.backend_domid = domid;
	err = td_ctx.xops->open(&td_ctx.xh, arg, domid);
	if (err)
		td_log(TD_LOG_ERR, NULL, "cannot open the %s hypervisor interface: %s",
		       kind, strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'F' },
		{ "control-dir", required_argument, NULL, 'c' },
		{ "xenio", required_argument, NULL, 'x' },
		{ "engine", required_argument, NULL, 'e' },
		{ "domid", required_argument, NULL, 'd' },
		{ "grant", required_argument, NULL, 'g' },
		{ "poll-us", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ctl_dir = NULL, *xenio = getenv("XENTAP_XENIO");
	const char *engine = getenv("XENTAP_ENGINE");
	const char *grant = getenv("XENTAP_GRANT");
	const char *poll = getenv("XENTAP_POLL_US");
	int foreground = 0, verbose = 0, ready_fd = -1, c, err;
	unsigned long domid = 0, poll_val;
	char *end;

	while ((c = getopt_long(argc, argv, "Fc:x:e:d:g:P:vVh", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			foreground = 1;
			break;
		case 'c':
			ctl_dir = optarg;
			break;
		case 'x':
			xenio = optarg;
			break;
		case 'e':
			engine = optarg;
			break;
		case 'd':
			errno = 0;
			domid = strtoul(optarg, &end, 0);
			if (errno || *end || domid > 0x7fef) {
				fprintf(stderr, "tapdisk: bad domid '%s'\n", optarg);
				return 2;
			}
			break;
		case 'g':
			grant = optarg;
			break;
		case 'P':
			poll = optarg;
			break;

		case 'v':
			verbose = 1;
			td_log_set_level(TD_LOG_DEBUG);
			break;
		case 'V':
			printf("tapdisk (xentap) %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	ctl_dir = tapctl_dir(ctl_dir);
	if (strlen(ctl_dir) >= sizeof(td_ctx.ctl_dir)) {
		fprintf(stderr, "tapdisk: control directory path too long\n");
		return 2;
	}
	snprintf(td_ctx.ctl_dir, sizeof(td_ctx.ctl_dir), "%s", ctl_dir);
	if (!xenio || !*xenio)
		xenio = "xen";
	if (!engine || !*engine || !strcmp(engine, "auto"))
		engine = NULL;
	td_ctx.poll_us = TD_POLL_US_DEFAULT;

	if (poll && *poll) {
		errno = 0;
		poll_val = strtoul(poll, &end, 10);
		if (errno || *end || poll_val > TD_POLL_US_MAX) {
			fprintf(stderr, "tapdisk: bad --poll-us '%s' (0..%u)\n", poll,
				TD_POLL_US_MAX);
			return 2;
		}
		td_ctx.poll_us = (unsigned)poll_val;
	}
	if (grant && *grant &&
	    td_grant_mode_parse(grant, &td_ctx.grant_mode) < 0) {
		fprintf(stderr, "tapdisk: bad grant mode '%s' (copy, map, persistent)\n",
			grant);
		return 2;
	}

	if (!foreground) {
		/* The parent prints the daemon's pid once it listens. */
		ready_fd = td_daemon_start(TD_DAEMON_PRINT_PID);
		if (ready_fd < 0) {
			fprintf(stderr, "tapdisk: cannot daemonize: %s\n",
				strerror(-ready_fd));
			return 1;
		}
		/* Until the parent is told we are ready, only errors go to the
		 * caller's stderr (tap-ctl spawn shows them); then syslog. */
		td_log_set_level(TD_LOG_ERR);
	}
	err = td_loop_init();
	if (!err)
		err = setup_signals();
	if (!err)
		err = setup_xenio(xenio, (uint32_t)domid);
	if (!err) {
		err = td_ctx_start(engine, TD_ENGINE_DEPTH);
		if (err)
			td_log(TD_LOG_ERR, NULL, "cannot start I/O engine %s: %s",
			       engine ? engine : "auto", strerror(-err));
	}
	if (!err) {
		err = td_ctl_start(ctl_dir);
		if (err)
			td_log(TD_LOG_ERR, NULL, "cannot listen in %s: %s", ctl_dir,
			       strerror(-err));
	}
	if (err) {
		td_daemon_ready(&ready_fd, 1);
		td_ctx_stop();
		if (td_ctx.xh)
			td_ctx.xops->close(td_ctx.xh);
		return 1;
	}
	td_daemon_ready(&ready_fd, 0);
	if (!foreground) {
		td_log_open_syslog("tapdisk");
		td_log_set_level(verbose ? TD_LOG_DEBUG : TD_LOG_INFO);
	}
	td_log(TD_LOG_INFO, NULL,
	       "pid %d: hypervisor %s, engine %s, grant %s, poll %u us, control %s",
	       (int)getpid(), td_ctx.xenio_name, td_ctx.eops->name,
	       td_grant_mode_name(td_ctx.grant_mode), td_ctx.poll_us, td_ctl_path());

	err = td_loop_run();
	td_ctl_stop();
	td_ctx_stop();	/* drains and closes every VBD */
	td_ctx.xops->close(td_ctx.xh);
	td_loop_fini();
	td_log(TD_LOG_INFO, NULL, "exiting");
	return err ? 1 : 0;
}
