/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tapback-fix: the test-tapback fixture, shared by its source files: an
 * in-memory xenstore (xs-mem.h), a tapback on it, and a fake tapdisk
 * behind the tapdisk seam; helpers that play libxl, block-tap, blkfront.
 * check.h keeps per-file counters: each file's entry point adds its own.
 */
#ifndef XENTAP_TAPBACK_FIX_H
#define XENTAP_TAPBACK_FIX_H

#include <stdint.h>
#include <sys/types.h>

#include "tapback.h"
#include "xs-mem.h"

#define BASE "/local/domain/0/backend/vbd3"
#define PID 4242
#define GIB (1ull << 30)

/* ---- the fake tapdisk ---- */

struct fake_vbd {
	pid_t pid;
	uint32_t minor;
	struct tapback_vbd_info vi;	/* STATUS, rings filled in below */
	int connected[TD_MAX_RINGS];
	struct tapctl_ring ring[TD_MAX_RINGS];
};

struct fake_td {
	struct fake_vbd vbd[8];
	unsigned nvbd;
	int status_err;
	int connect_err, connect_fail_queue;	/* queue -1: all */
	unsigned n_status, n_connect, n_disconnect;
	char msg[64];
};

/* ---- the fixture ---- */

struct fix {
	struct xsm *m;
	struct tapback_xs xs;
	struct tapback tb;
	struct fake_td td;
};


struct fake_vbd *fake_find(struct fake_td *td, pid_t pid, uint32_t minor);
/* An open VBD of size bytes (512/4096 sectors, flush, barrier, discard). */
struct fake_vbd *fake_add(struct fake_td *td, pid_t pid, uint32_t minor,
			  uint64_t size);
unsigned fake_rings(struct fake_vbd *v);

/* A store with a started tapback (4 queues at most) on it. */
struct fix *fix_new(void);
/* (Re)start tapback on f's store, as after a restart. */
void fix_start(struct fix *f);
void fix_free(struct fix *f);
/* Run tapback until no watch event is left; a feedback loop fails. */
void settle(struct fix *f);

/* Backend node of dom/dev (NULL if absent); is it want; times written. */
const char *be(struct fix *f, unsigned dom, unsigned dev, const char *node);
int be_is(struct fix *f, unsigned dom, unsigned dev, const char *node,
	  const char *want);
unsigned long be_writes(struct fix *f, unsigned dom, unsigned dev,
			const char *node);
void be_write(struct fix *f, unsigned dom, unsigned dev, const char *node,
	      const char *val);
void fe_write(struct fix *f, unsigned dom, unsigned dev, const char *node,
	      const char *val);

/* libxl adds a vbd3 disk; block-tap reports its tapdisk. */
void toolstack_add(struct fix *f, unsigned dom, unsigned dev,
		   const char *mode, const char *type);
void hotplug(struct fix *f, unsigned dom, unsigned dev, pid_t pid,
	     uint32_t minor);
/* blkfront's ring nodes: refs 100*(q+1)+i, event channels 10+q; order
 * < 0 writes no ring-page-order (one "ring-ref"); proto NULL none. */
void frontend_rings(struct fix *f, unsigned dom, unsigned dev, unsigned nq,
		    int order, const char *proto);
/* A device connected end to end (frontend Connected). */
void connected_device(struct fix *f, unsigned dom, unsigned dev, pid_t pid,
		      uint32_t minor);
/* The device reported a fatal error: Closing, hotplug-status=error and a
 * hotplug-error message. */
int failed(struct fix *f, unsigned dom, unsigned dev);

/* test-tapback-parse.c, test-tapback-hostile.c: add their checks. */
void test_tapback_parse(int *count, int *failures);
void test_tapback_hostile(int *count, int *failures);

#endif
