/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-stats: the statistics file xentop reads for a vbd3 device.
 *
 * For every (domid, devid) with a connected ring, tapdisk keeps
 * <base>/td3-<pid>/vbd-<domid>-<devid>, where <base> is /dev/shm (or
 * $XENTAP_STATS_DIR). The file is the binary block that Xen's libxenstat
 * reads for backend type vbd3 (tools/libs/stat/xenstat_linux.c,
 * read_attributes_vbd3; struct vbd3_stats in xenstat_priv.h, the
 * interface of blktap3's tapdisk): native-endian, version 1, 96 bytes.
 * It is mapped shared and rewritten from the rings' counters once per
 * event-loop iteration, created when the first ring of the device
 * connects and removed with the last one (and so on exit).
 */
#ifndef XENTAP_TD_STATS_H
#define XENTAP_TD_STATS_H

#include <stdint.h>

struct td_ring;

/* The layout xentop reads. Never reorder: append and bump the version. */
struct td_vbd3_stats {
	uint32_t version;		/* TD_VBD3_STATS_VERSION */
	uint32_t pad;
	uint64_t oo_reqs;		/* blkback's oo_req (0: never short) */
	uint64_t read_reqs_submitted;	/* READs taken from the ring */
	uint64_t read_reqs_completed;	/* see td-stats.c */
	uint64_t read_sectors;		/* 512-byte sectors read */
	uint64_t read_total_ticks;	/* microseconds (not measured: 0) */
	uint64_t write_reqs_submitted;
	uint64_t write_reqs_completed;
	uint64_t write_sectors;
	uint64_t write_total_ticks;
	uint64_t io_errors;		/* requests answered with an error */
	uint64_t flags;			/* bit 0: low-memory mode (never) */
};

#define TD_VBD3_STATS_VERSION 1u
#define TD_STATS_ENV_DIR "XENTAP_STATS_DIR"
#define TD_STATS_DEFAULT_DIR "/dev/shm"

/* A ring connected (call once it is live). Never fails the ring: a file
 * that cannot be created is logged once and left out. */
void td_stats_ring_add(struct td_ring *r, uint32_t domid, uint32_t devid);
/* The ring is about to go (its final counts are read now). Idempotent. */
void td_stats_ring_del(struct td_ring *r);

#endif
