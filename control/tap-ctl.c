/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tap-ctl: command-line face of libtapctl. Verbs, option letters, output
 * and exit statuses follow blktap's tap-ctl, which toolstacks and Xen's
 * block-tap hotplug script drive; see tap-ctl(8). The listing verbs (list,
 * stats, media) are in tap-ctl-show.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap-ctl.h"

struct cli_opts cli;

/* ---- shared helpers ---- */

int cli_fail(const char *verb, pid_t pid, int rc)
{
	const char *msg = tapctl_last_message();
	int err = rc < 0 ? -rc : rc;

	if (*msg) {
		fprintf(stderr, "tap-ctl: %s: %s\n", verb, msg);
	} else if (pid > 0 && (err == ENOENT || err == ECONNREFUSED)) {
		char sock[256];

		if (tapctl_socket_path(cli.dir, pid, sock, sizeof(sock)) < 0)
			snprintf(sock, sizeof(sock), "?");
		if (tapctl_pid_alive(pid))
			fprintf(stderr, "tap-ctl: %s: process %ld has no tapdisk "
				"control socket at %s: %s\n", verb, (long)pid, sock,
				strerror(err));
		else
			fprintf(stderr, "tap-ctl: %s: no tapdisk with pid %ld is "
				"running (control directory %s)\n", verb, (long)pid,
				tapctl_dir(cli.dir));
	} else if (pid > 0 && (err == ETIMEDOUT || err == ECONNRESET ||
			       err == EBADMSG || err == EACCES ||
			       err == EPROTONOSUPPORT)) {
		fprintf(stderr, "tap-ctl: %s: tapdisk %ld: %s\n", verb, (long)pid,
			err == ETIMEDOUT ? "no answer in time" :
			err == ECONNRESET ? "connection closed without an answer" :
			err == EBADMSG ? "malformed answer" : strerror(err));
	} else {
		fprintf(stderr, "tap-ctl: %s: %s\n", verb, strerror(err));
	}
	return err > 0 && err < 256 ? err : 1;
}

int cli_usage(const struct cli_verb *v, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "tap-ctl: %s: ", v->name);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: tap-ctl %s%s%s\n", v->name, *v->usage ? " " : "",
		v->usage);
	return CLI_EXIT_USAGE;
}

static int parse_num(const char *s, long max, long *out)
{
	char *end;
	long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_pid(const char *s, pid_t *out)
{
	long v;

	if (parse_num(s, 0x7fffffffL, &v) < 0 || v == 0)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

int cli_parse_minor(const char *s, int *out)
{
	long v;

	if (parse_num(s, TAPCTL_MAX_MINOR - 1, &v) < 0)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* ---- option parsing shared by the verbs ---- */

enum { OPT_CDROM = 0x100 };

int cli_parse_args(const struct cli_verb *v, int argc, char **argv,
		      const char *opts, int cdrom, int need_pm,
		      struct verb_args *a)
{
	static const struct option longopts[] = {
		{ "cdrom", no_argument, NULL, OPT_CDROM },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char optstr[32];
	long t;
	int c;

	memset(a, 0, sizeof(*a));
	a->pid = -1;
	a->minor = -1;
	snprintf(optstr, sizeof(optstr), ":%sh", opts);
	optind = 0;
	while ((c = getopt_long(argc, argv, optstr, longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_parse_pid(optarg, &a->pid) < 0)
				return cli_usage(v, "bad pid '%s'", optarg);
			break;
		case 'm':
			if (cli_parse_minor(optarg, &a->minor) < 0)
				return cli_usage(v, "bad minor '%s' (0..%d)", optarg,
						 TAPCTL_MAX_MINOR - 1);
			break;
		case 'a':
			if (!strchr(optarg, ':') || *optarg == ':')
				return cli_usage(v, "'%s' is not type:path", optarg);
			a->params = optarg;
			break;
		case 'R':
			a->flags |= TD_F_RDONLY;
			break;
		case 'D':
			a->flags |= TD_F_NO_DIRECT;
			break;
		case 'f':
			a->flags |= TD_F_FORCE;
			break;
		case 't':
			if (parse_num(optarg, 86400, &t) < 0 || t == 0)
				return cli_usage(v, "bad timeout '%s' (seconds)", optarg);
			a->timeout_s = (int)t;
			break;
		case OPT_CDROM:
			if (!cdrom)
				return cli_usage(v, "unknown option --cdrom");
			a->flags |= TD_F_CDROM;
			break;
		case 'h':
			printf("usage: tap-ctl %s%s%s\n\n%s\n", v->name,
			       *v->usage ? " " : "", v->usage, v->summary);
			return 1;
		case ':':
			return cli_usage(v, "option -%c needs a value", optopt);
		default:
			if (optopt)
				return cli_usage(v, "unknown option -%c", optopt);
			return cli_usage(v, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage(v, "unexpected argument '%s'", argv[optind]);
	if (need_pm && (a->pid < 0 || a->minor < 0))
		return cli_usage(v, "-p PID and -m MINOR are required");
	if (a->timeout_s)
		tapctl_set_timeout(a->timeout_s * 1000);
	return 0;
}

#define PARSE(opts, cdrom, need_pm)                                        \
	do {                                                               \
		int prc_ = cli_parse_args(v, argc, argv, opts, cdrom, need_pm, &a); \
		if (prc_)                                                  \
			return prc_ == 1 ? 0 : prc_;                       \
	} while (0)

/* ---- verbs ---- */

static int v_allocate(const struct cli_verb *v, int argc, char **argv)
{
	char path[4096];
	struct verb_args a;
	int minor, rc;

	PARSE("", 0, 0);
	rc = tapctl_allocate(cli.dir, &minor, path, sizeof(path));
	if (rc == -ENOSPC)
		fprintf(stderr, "tap-ctl: allocate: all %d minors are allocated\n",
			TAPCTL_MAX_MINOR);
	if (rc == -ENOSPC)
		return ENOSPC;
	if (rc < 0) {
		fprintf(stderr, "tap-ctl: allocate: cannot create a marker in "
			"%s/" TAPCTL_MINOR_SUBDIR ": %s\n", tapctl_dir(cli.dir),
			strerror(-rc));
		return -rc;
	}
	printf("%s\n", path);
	return 0;
}

static int v_free(const struct cli_verb *v, int argc, char **argv)
{
	struct verb_args a;
	int rc;

	PARSE("m:", 0, 0);
	if (a.minor < 0)
		return cli_usage(v, "-m MINOR is required");
	rc = tapctl_free(cli.dir, a.minor);
	if (rc == -EBUSY)
		fprintf(stderr, "tap-ctl: free: minor %d is attached to a running "
			"tapdisk (destroy or detach it first)\n", a.minor);
	else if (rc == -ENOENT)
		fprintf(stderr, "tap-ctl: free: minor %d is not allocated\n",
			a.minor);
	else if (rc < 0)
		return cli_fail("free", -1, rc);
	return -rc;
}

static int v_spawn(const struct cli_verb *v, int argc, char **argv)
{
	struct verb_args a;
	pid_t pid;
	int rc;

	PARSE("", 0, 0);
	rc = tapctl_spawn(cli.dir, &pid);
	if (rc < 0)
		return cli_fail("spawn", -1, rc);
	if (isatty(STDOUT_FILENO))
		printf("tapdisk spawned with pid %ld\n", (long)pid);
	else
		printf("%ld\n", (long)pid);
	return 0;
}

static int v_attach(const struct cli_verb *v, int argc, char **argv)
{
	struct verb_args a;
	int rc;

	PARSE("p:m:", 0, 1);
	rc = tapctl_attach(cli.dir, a.pid, (uint32_t)a.minor);
	return rc < 0 ? cli_fail("attach", a.pid, rc) : 0;
}

static int v_detach(const struct cli_verb *v, int argc, char **argv)
{
	struct verb_args a;
	int rc;

	PARSE("p:m:", 0, 1);
	rc = tapctl_detach(cli.dir, a.pid, (uint32_t)a.minor);
	return rc < 0 ? cli_fail("detach", a.pid, rc) : 0;
}

static int v_open(const struct cli_verb *v, int argc, char **argv)
{
	struct verb_args a;
	int rc;

	PARSE("p:m:a:RD", 1, 1);
	if (!a.params)
		return cli_usage(v, "-a TYPE:PATH is required");
	rc = tapctl_vbd_open(cli.dir, a.pid, (uint32_t)a.minor, a.params, a.flags);
	return rc < 0 ? cli_fail("open", a.pid, rc) : 0;
}

static int v_close(const struct cli_verb *v, int argc, char **argv)
{
	struct verb_args a;
	int rc;

	PARSE("p:m:ft:", 0, 1);
	rc = tapctl_vbd_close(cli.dir, a.pid, (uint32_t)a.minor, a.flags);
	return rc < 0 ? cli_fail("close", a.pid, rc) : 0;
}

static int v_pause(const struct cli_verb *v, int argc, char **argv)
{
	struct verb_args a;
	int rc;

	PARSE("p:m:t:", 0, 1);
	rc = tapctl_pause(cli.dir, a.pid, (uint32_t)a.minor);
	return rc < 0 ? cli_fail("pause", a.pid, rc) : 0;
}

static int v_unpause(const struct cli_verb *v, int argc, char **argv)
{
	struct verb_args a;
	int rc;

	PARSE("p:m:a:t:", 0, 1);
	rc = tapctl_unpause(cli.dir, a.pid, (uint32_t)a.minor, a.params);
	return rc < 0 ? cli_fail("unpause", a.pid, rc) : 0;
}

static int v_create(const struct cli_verb *v, int argc, char **argv)
{
	char path[4096];
	struct verb_args a;
	int minor, rc;
	pid_t pid;

	PARSE("a:RDt:", 1, 0);
	if (!a.params)
		return cli_usage(v, "-a TYPE:PATH is required");
	rc = tapctl_create(cli.dir, a.params, a.flags, &pid, &minor, path,
			   sizeof(path));
	if (rc < 0)
		return cli_fail("create", -1, rc);
	printf("%s\n", path);
	return 0;
}

static int v_destroy(const struct cli_verb *v, int argc, char **argv)
{
	struct verb_args a;
	int rc;

	PARSE("p:m:t:", 0, 1);
	rc = tapctl_destroy(cli.dir, a.pid, (uint32_t)a.minor);
	return rc < 0 ? cli_fail("destroy", a.pid, rc) : 0;
}

static int v_eject(const struct cli_verb *v, int argc, char **argv)
{
	struct verb_args a;
	int rc;

	PARSE("p:m:f", 0, 1);
	rc = tapctl_media_eject(cli.dir, a.pid, (uint32_t)a.minor, a.flags);
	return rc < 0 ? cli_fail("eject", a.pid, rc) : 0;
}

static int v_insert(const struct cli_verb *v, int argc, char **argv)
{
	struct verb_args a;
	int rc;

	PARSE("p:m:a:", 0, 1);
	if (!a.params)
		return cli_usage(v, "-a TYPE:PATH is required");
	rc = tapctl_media_insert(cli.dir, a.pid, (uint32_t)a.minor, a.params);
	return rc < 0 ? cli_fail("insert", a.pid, rc) : 0;
}

static int v_check(const struct cli_verb *v, int argc, char **argv)
{
	const char *bin = getenv("TAPDISK");
	struct verb_args a;

	PARSE("", 0, 0);
	if (!bin || !*bin)
		bin = TAPDISK_PATH;
	if (strchr(bin, '/') && access(bin, X_OK) < 0) {
		printf("tapdisk %s cannot be run: %s\n", bin, strerror(errno));
		return errno;
	}
	printf("ok\n");
	return 0;
}

static const struct cli_verb verbs[] = {
	{ "list", cli_list, "[-p PID] [-m MINOR] [-t TYPE] [-f FILE] [--json]",
	  "List tapdisks and their VBDs: a table on a terminal, else one line\n"
	  "'pid=P minor=M state=S args=TYPE:FILE' per VBD.", 1 },
	{ "allocate", v_allocate, "",
	  "Allocate the lowest free minor; print its marker path\n"
	  "(<control-dir>/tapdisk/tapdisk-<minor>).", 0 },
	{ "free", v_free, "-m MINOR", "Free a minor that no tapdisk holds.", 0 },
	{ "create", v_create, "-a TYPE:PATH [-R] [-D] [--cdrom] [-t SEC]",
	  "allocate + spawn + attach + open; print the marker path.", 0 },
	{ "destroy", v_destroy, "-p PID -m MINOR [-t SEC]",
	  "close + detach + free (tapdisk exits after its last VBD).", 0 },
	{ "spawn", v_spawn, "",
	  "Start a tapdisk; print its pid (on a terminal, as a sentence).", 0 },
	{ "attach", v_attach, "-p PID -m MINOR",
	  "Attach an allocated minor to a tapdisk.", 0 },
	{ "detach", v_detach, "-p PID -m MINOR",
	  "Detach a closed VBD (the last detach makes tapdisk exit).", 0 },
	{ "open", v_open, "-p PID -m MINOR -a TYPE:PATH [-R] [-D] [--cdrom]",
	  "Open an image as the VBD (-R read-only, -D no O_DIRECT).", 0 },
	{ "close", v_close, "-p PID -m MINOR [-f] [-t SEC]",
	  "Close the VBD's image (-f: even with connected rings).", 0 },
	{ "pause", v_pause, "-p PID -m MINOR [-t SEC]",
	  "Finish in-flight I/O, close the image, take no new requests.", 0 },
	{ "unpause", v_unpause, "-p PID -m MINOR [-a TYPE:PATH] [-t SEC]",
	  "Reopen the image (or another one of the same size) and resume.", 0 },
	{ "stats", cli_stats, "-p PID -m MINOR [--json]",
	  "Print the VBD's and its rings' state and counters.", 1 },
	{ "eject", v_eject, "-p PID -m MINOR [-f]",
	  "Eject the medium of a CD VBD; refused (exit 16) while the guest\n"
	  "has locked it, unless -f.", 0 },
	{ "insert", v_insert, "-p PID -m MINOR -a TYPE:PATH",
	  "Insert an image of any size into an empty CD VBD (exit 16 if it\n"
	  "holds a medium).", 0 },
	{ "media", cli_media, "-p PID -m MINOR [--json]",
	  "Print the media state of a CD VBD: present, path, size, locked,\n"
	  "tray, media_gen.", 1 },
	{ "check", v_check, "", "Check that tapdisk can be run.", 0 },
};
#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: tap-ctl [--control-dir DIR] COMMAND [OPTIONS]\n"
		"COMMAND := { ");
	for (i = 0; i < NVERBS; i++)
		fprintf(f, "%s%s", i ? " | " : "", verbs[i].name);
	fprintf(f, " }\n\n");
	for (i = 0; i < NVERBS; i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].usage);
	fprintf(f, "\nControl directory: --control-dir, else $%s, else %s.\n"
		"'tap-ctl COMMAND -h' describes a command; see tap-ctl(8).\n",
		TAPCTL_ENV_DIR, TAPCTL_DEFAULT_DIR);
}

/* Take the global options out of argv (anywhere, as blktap's tap-ctl
 * does with --debug). Returns the new argc or -1 after an error. */
static int strip_globals(int argc, char **argv)
{
	int i, n = 1;

	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!strcmp(s, "--json")) {
			cli.json = 1;
		} else if (!strcmp(s, "--debug")) {
			/* blktap compatibility: accepted, nothing to do */
		} else if (!strcmp(s, "--control-dir")) {
			if (i + 1 >= argc || !*argv[i + 1]) {
				fprintf(stderr, "tap-ctl: --control-dir needs a directory\n");
				return -1;
			}
			cli.dir = argv[++i];
		} else if (!strncmp(s, "--control-dir=", 14)) {
			if (!s[14]) {
				fprintf(stderr, "tap-ctl: --control-dir needs a directory\n");
				return -1;
			}
			cli.dir = s + 14;
		} else {
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	return n;
}

int main(int argc, char **argv)
{
	const struct cli_verb *v = NULL;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	argc = strip_globals(argc, argv);
	if (argc < 0)
		return CLI_EXIT_USAGE;
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < NVERBS; i++)
		if (!strcmp(argv[1], verbs[i].name))
			v = &verbs[i];
	if (!v) {
		fprintf(stderr, "tap-ctl: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 1;
	}
	if (cli.json && !v->json_ok)
		return cli_usage(v, "--json is not supported by this command");
	return v->run(v, argc - 1, argv + 1);
}
