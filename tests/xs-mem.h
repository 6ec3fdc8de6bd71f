/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xs-mem: an in-memory xenstore behind tapback's xenstore seam, for unit
 * tests. It keeps what tapback relies on from xenstored: a tree of nodes
 * whose writes create their parents, relative paths resolved under our
 * own home (/local/domain/0), watches on a node and its subtree that fire
 * once when registered and then for every write or removal (removal also
 * fires the watches below the removed node), transactions that apply
 * their writes at commit. Tests play the toolstack and the guest through
 * xsm_write / xsm_rm, which fire the watches just the same.
 *
 * Not thread-safe; no permissions; fileno is unsupported (tests call
 * tapback_run_events themselves).
 */
#ifndef XENTAP_XS_MEM_H
#define XENTAP_XS_MEM_H

#include <stddef.h>

#include "tapback.h"

struct xsm;

struct xsm *xsm_new(void);
void xsm_free(struct xsm *m);
/* Fill xs with the ops and this store. */
void xsm_bind(struct xsm *m, struct tapback_xs *xs);

/* Another writer (toolstack, guest): write, fire the watches. */
int xsm_write(struct xsm *m, const char *path, const char *val);
/* Write len raw bytes (may hold NULs). */
int xsm_write_bin(struct xsm *m, const char *path, const void *val,
		  size_t len);
/* Remove path and its subtree. -ENOENT if absent. */
int xsm_rm(struct xsm *m, const char *path);
/* The value of path, NULL if absent. Valid until the next change. */
const char *xsm_read(struct xsm *m, const char *path);
/* printf-style path helpers for the above. */
const char *xsm_readf(struct xsm *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int xsm_writef(struct xsm *m, const char *val, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* How many times path was written (by anyone) since it was created. */
unsigned long xsm_write_count(struct xsm *m, const char *path);

/* Watch events queued and not read yet; watches registered; is
 * (path, any token) watched. */
unsigned xsm_pending(struct xsm *m);
unsigned xsm_nwatches(struct xsm *m);
int xsm_watched(struct xsm *m, const char *path);
/* Drop the queued events (as a restarted client would never see them). */
void xsm_drop_events(struct xsm *m);

/* Fault injection: the next n commits fail with -EAGAIN (a conflict);
 * the next n writes through the seam fail with err. */
void xsm_fail_commits(struct xsm *m, unsigned n);
void xsm_fail_writes(struct xsm *m, unsigned n, int err);
/* Race: another writer removes path just as the next transaction starts. */
void xsm_rm_on_tx_start(struct xsm *m, const char *path);

#endif
