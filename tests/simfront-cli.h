/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * simfront (the program): state shared by simfront-cli.c (options, main,
 * info), simfront-cmd.c (verify, read, write, flush, barrier, discard),
 * simfront-load.c and simfront-hostile.c.
 */
#ifndef XENTAP_SIMFRONT_CLI_H
#define XENTAP_SIMFRONT_CLI_H

#include <stdint.h>

#include "simfront.h"

/* Exit codes */
#define SF_EXIT_OK 0
#define SF_EXIT_FAIL 1
#define SF_EXIT_USAGE 2

struct sf_cli {
	struct simfront_opts o;
	int quiet;		/* no key=value lines on stdout */
	const char *cmd;
	const char *mode;	/* hostile MODE */

	/* verify / load */
	uint64_t count;		/* verify: extents */
	uint64_t seed;
	int seed_set;
	uint64_t max_kb;	/* verify: largest extent, KiB (0: default) */
	const char *rw;		/* load */
	uint64_t bs;
	double runtime;		/* seconds, 0: use ios */
	uint64_t ios;
	unsigned mix;		/* randrw: percentage of reads */
	int verify;
	const char *log;	/* load: crash log file (tests/crashcheck.c) */
	uint64_t flush_every;	/* load: a FLUSH after every N writes (0: none) */

	/* read / write / barrier / discard */
	uint64_t offset;
	uint64_t len;
	int have_offset, have_len;
	const char *in, *out;
	int data, secure;

	/* hostile */
	const char *expect;

	/* packet (simfront-pkt.c) and cdload (simfront-cdload.c) */
	const char *pkt_sub;	/* packet SUB */
	char **pkt_args;	/* its positional arguments */
	int pkt_nargs;
	int raw;		/* read10: READ CD of a raw 2352-byte sector */
	int msf;		/* toc: MSF addresses */
	int toc_format;		/* toc: 0, 1 or 2 */
	uint32_t buflen;	/* cdb: bytes expected back */
	const char *iso[2];	/* cdload: the two images */
	unsigned nr_iso;
};

/* Print "key=value" on stdout (unless --quiet). */
/* Print the VBD's counter idx (TD_STAT_*) as key=value, if STATUS has it. */
void sf_print_counter(const struct sf_cli *c, struct simfront *f,
		      const char *key, unsigned idx);
void sf_kv(const struct sf_cli *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print "simfront: message" on stderr. */
void sf_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print the message and a hint on stderr; returns SF_EXIT_USAGE. */
int sf_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Subcommands: return an exit code. */
int sf_cmd_verify(struct sf_cli *c, struct simfront *f);
int sf_cmd_write(struct sf_cli *c, struct simfront *f);
int sf_cmd_read(struct sf_cli *c, struct simfront *f);
int sf_cmd_flush(struct sf_cli *c, struct simfront *f);
int sf_cmd_barrier(struct sf_cli *c, struct simfront *f);
int sf_cmd_discard(struct sf_cli *c, struct simfront *f);
int sf_cmd_load(struct sf_cli *c, struct simfront *f);
int sf_cmd_hostile(struct sf_cli *c, struct simfront *f);
/* Modes known to sf_cmd_hostile, for usage checks: 1 if name is one. */
int sf_hostile_known(const char *name);
/* 1 if the mode needs a read-only VBD. */
int sf_hostile_needs_ro(const char *name);

/* CD-ROM guest: packet subcommands, packet hostile modes, hotplug load. */
int sf_cmd_packet(struct sf_cli *c, struct simfront *f);
/* Usage check of "packet SUB ARGS": -1 if fine, else the exit code. */
int sf_packet_check_args(const char *sub, int nargs);
int sf_cmd_cdload(struct sf_cli *c, struct simfront *f);
/* pkt-* modes of "hostile" (simfront-pkt-hostile.c). */
int sf_pkt_hostile_known(const char *name);
int sf_cmd_pkt_hostile(struct sf_cli *c, struct simfront *f);

/* Monotonic clock in nanoseconds. */
uint64_t sf_now_ns(void);

#endif
