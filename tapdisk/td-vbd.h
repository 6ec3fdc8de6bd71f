/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-vbd: virtual block devices and the process context of tapdisk.
 *
 * A VBD is one image (drivers/td-io.h) plus zero or more blkif rings (one
 * per queue, td-ring.h), identified by its minor number. The process has
 * one hypervisor connection (xenio), one I/O engine and one event loop,
 * shared by every VBD.
 */
#ifndef XENTAP_TD_VBD_H
#define XENTAP_TD_VBD_H

#include <stdint.h>

#include "blkif.h"
#include "td-io.h"
#include "td-loop.h"
#include "td-proto.h"
#include "xenio.h"

struct td_ring;

/* How rings reach the guest's data pages (tapdisk --grant). */
enum td_grant_mode {
	TD_GRANT_COPY,		/* grant copy through bounce pages (default) */
	TD_GRANT_MAP,		/* map the request's grants, unmap at completion */
	TD_GRANT_PERSISTENT,	/* feature-persistent: cached mappings (td-pgnt.h) */
};

/* "copy", "map", "persistent" */
const char *td_grant_mode_name(enum td_grant_mode m);
int td_grant_mode_parse(const char *s, enum td_grant_mode *out);

/* What tapdisk runs on: set up once by main(). */
struct td_ctx {
	enum td_grant_mode grant_mode;
	unsigned poll_us;		/* busy polling before sleeping (--poll-us) */
	int poll_armed;			/* a ring pushed responses since the last poll */
	const struct xenio_ops *xops;
	struct xenio *xh;
	char xenio_name[16];
	uint32_t backend_domid;
	const struct ioeng_ops *eops;
	struct ioeng *eng;
	struct td_loop_src eng_src;
	struct td_sweep sweep;
	char ctl_dir[256];		/* for minor markers */
};

extern struct td_ctx td_ctx;

struct td_vbd {
	uint32_t minor;
	char params[TD_PARAMS_MAX];	/* "type:path" as opened */
	uint32_t flags;			/* TD_F_* */
	struct td_image *img;		/* NULL: attached only, or paused */
	unsigned attached : 1;		/* explicit ATTACH (else implicit) */
	unsigned paused : 1;
	int marker_fd;			/* flock'ed minor marker, or -1 */
	uint64_t size;			/* bytes, kept across pause */
	/* CD VBDs (TD_F_CDROM): the emulated drive, see td-media.c */
	struct mmc_state *mmc;
	uint32_t media_gen;		/* media changes so far */
	unsigned media_unload_pending : 1; /* the guest ejected: close the image */
	unsigned media_ready : 1;	/* medium in and tray closed */
	struct blkif_limits lim;	/* what rings may ask of this VBD */
	uint32_t info;			/* VDISK_* */
	uint32_t features;		/* TD_FEAT_* */
	/* Counters of rings that were disconnected (live rings keep theirs). */
	uint64_t counters[TD_STAT__COUNT];
	struct td_ring *rings[TD_MAX_RINGS];	/* slots, see td-ring.h */
	char prefix[24];		/* "vbd<minor>" for log lines */
	struct td_vbd *next;
};

/* Start the engine and the event-loop hooks. 0 or -errno. */
int td_ctx_start(const char *engine, unsigned depth);
void td_ctx_stop(void);

int td_vbd_open(uint32_t minor, const char *params, uint32_t flags,
		struct td_vbd **out);
/* -EBUSY while rings are connected unless force (then they are drained and
 * disconnected first). */
int td_vbd_close(struct td_vbd *v, int force);
struct td_vbd *td_vbd_find(uint32_t minor);
struct td_vbd *td_vbd_first(void);
unsigned td_vbd_count(void);
/* Explicit attach of an allocated minor (locks its marker). */
int td_vbd_attach(uint32_t minor, struct td_vbd **out);
/* The VBD must have no image. Returns 1 if it was the last VBD. */
int td_vbd_detach(struct td_vbd *v);
/* Stop taking requests, finish in-flight I/O, close the image. */
int td_vbd_pause(struct td_vbd *v);
/* Reopen (params NULL: the same image) and resume the rings. */
int td_vbd_unpause(struct td_vbd *v, const char *params);
/* Helpers shared with td-media.c. */
void td_vbd_set_limits(struct td_vbd *v);
unsigned td_vbd_open_flags(uint32_t flags);
int td_vbd_open_image(struct td_vbd *v, const char *params, uint32_t flags,
		      struct td_image **out);
void td_vbd_log_open(struct td_vbd *v);

/* ---- removable media (td-media.c) ---- */

/* "type:" or "" names no medium (an empty CD drive). */
int td_media_spec_empty(const char *params);
/* Turn an open disk VBD into a (read-only) CD drive holding its image. */
int td_vbd_make_cdrom(struct td_vbd *v, uint32_t no_packet);
/* Set up the drive of a CD VBD (v->img may be NULL). */
int td_media_init(struct td_vbd *v);
void td_media_fini(struct td_vbd *v);
/* Admin eject: -EOPNOTSUPP (not a CD), -EBUSY (locked by the guest, unless
 * force). In-flight requests finish against the old medium first. */
int td_media_eject(struct td_vbd *v, int force);
/* Admin insert of any size: -EOPNOTSUPP, -EBUSY (a medium is in). */
int td_media_insert(struct td_vbd *v, const char *params);
void td_media_status(const struct td_vbd *v, uint32_t *media, uint32_t *gen);
/* After a packet command: notice a guest eject (START STOP UNIT). */
void td_media_after_packet(struct td_vbd *v);
/* From the sweep: finish a guest eject (in-flight I/O, then close). */
void td_media_sweep(struct td_vbd *v);

/* Close everything (drains in-flight I/O). */
void td_vbd_close_all(void);
void td_vbd_status(const struct td_vbd *v, struct td_vbd_status *st);

#endif
