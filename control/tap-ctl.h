/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tap-ctl: what the verb files of the command-line tool share (not a
 * library API; see tapctl.h for that).
 */
#ifndef XENTAP_TAP_CTL_H
#define XENTAP_TAP_CTL_H

#include <stdio.h>
#include <sys/types.h>

#include "tapctl.h"

/* Exit status of a usage error (blktap's tap-ctl returns EINVAL too). */
#define CLI_EXIT_USAGE 22

/* Global options, valid before or after the verb. */
struct cli_opts {
	const char *dir;	/* --control-dir, else NULL (tapctl_dir rules) */
	int json;		/* --json */
};
extern struct cli_opts cli;

/* One verb: name, handler, usage line(s) (no "usage: "), summary. */
struct cli_verb {
	const char *name;
	int (*run)(const struct cli_verb *v, int argc, char **argv);
	const char *usage;
	const char *summary;
	int json_ok;		/* accepts --json */
};

/*
 * Print "tap-ctl: <verb>: <reason>" for a failed call rc (a negative
 * errno) and return the exit status (the errno, as blktap's tap-ctl does).
 * The reason is tapdisk's MESSAGE when it sent one, else rc explained,
 * with pid (> 0) named when tapdisk could not be reached.
 */
int cli_fail(const char *verb, pid_t pid, int rc);
/* Print the verb's usage on stderr (with a reason if fmt) and return
 * CLI_EXIT_USAGE. */
int cli_usage(const struct cli_verb *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Strict decimal parsers for option values. 0 or -EINVAL. */
int cli_parse_pid(const char *s, pid_t *out);
int cli_parse_minor(const char *s, int *out);

struct verb_args {
	pid_t pid;		/* -p, -1 if absent */
	int minor;		/* -m, -1 if absent */
	const char *params;	/* -a */
	uint32_t flags;		/* -R -D -f --cdrom: TD_F_* */
	int timeout_s;		/* -t */
};

/*
 * getopt over argv (argv[0] is the verb) with the letters in opts (a
 * subset of "p:m:a:RDft:", plus --cdrom when cdrom). need_pm: -p and -m
 * are required. Returns 0, 1 after -h (usage printed on stdout) or the
 * usage-error exit status.
 */
int cli_parse_args(const struct cli_verb *v, int argc, char **argv,
		   const char *opts, int cdrom, int need_pm, struct verb_args *a);

/* Output (tap-ctl-show.c). */
int cli_list(const struct cli_verb *v, int argc, char **argv);
int cli_stats(const struct cli_verb *v, int argc, char **argv);
int cli_media(const struct cli_verb *v, int argc, char **argv);

#endif
