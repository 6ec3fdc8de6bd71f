/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tapback: the xenstore half of the block backend (tapback(8)).
 *
 * tapback watches <self>/backend/<kind>/<frontend-domid>/<devid> and
 * drives each device through the XenbusState protocol the way Linux
 * xen-blkback does (PROTOCOLS.md sections 2 and 3), handing the rings the
 * frontend offers to the right tapdisk over the control socket.
 *
 * Layers, each behind its own seam so the whole machine runs in a unit
 * test without Xen and without a tapdisk:
 *
 *   tapback.c        main: options, daemon, signals, poll loop
 *   tapback-dev.c    device set, watch dispatch, per-device state machine
 *   tapback-store.c  a device's nodes: validated reads of the backend and
 *                    frontend directories, transactional writes
 *   tapback-parse.c  pure parsers: every value read from xenstore (or from
 *                    a STATUS reply) is validated once, in a private copy
 *   tapback-xs.c     struct tapback_xs_ops on libxenstore
 *   (tests/xs-mem.c  struct tapback_xs_ops in memory, for test-tapback)
 *
 * Conventions: functions return 0 (or a documented non-negative value) or
 * a negative errno. Nothing here ever removes a xenstore node: the
 * toolstack owns the backend directories.
 */
#ifndef XENTAP_TAPBACK_H
#define XENTAP_TAPBACK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <xen/io/xenbus.h>

#include "blkif.h"
#include "tapctl.h"
#include "td-log.h"
#include "td-proto.h"

#define TAPBACK_DEFAULT_KIND "vbd3"
#define TAPBACK_KIND_MAX 16		/* "vbd3", "vbd", ... */
#define TAPBACK_MAX_RING_ORDER 4	/* what we advertise, as Linux blkback */
#define TAPBACK_MAX_QUEUES TD_MAX_RINGS	/* tapdisk's rings per VBD */
#define TAPBACK_MAX_MINOR (1u << 20)	/* minors are 0 .. TAPBACK_MAX_MINOR-1 */
#define TAPBACK_MAX_DOMID 0x7fefu	/* DOMID_FIRST_RESERVED - 1 */
#define TAPBACK_VAL_MAX 64		/* longest scalar value accepted, NUL incl. */
#define TAPBACK_PATH_MAX 3072		/* XENSTORE_ABS_PATH_MAX (xs_wire.h) */
#define TAPBACK_MSG_MAX 256		/* a hotplug-error message */
#define TAPBACK_TX_RETRIES 16		/* transaction commits that may conflict */

/* ---------------------------------------------------------------------- */
/* The xenstore seam                                                      */
/* ---------------------------------------------------------------------- */

typedef uint32_t tapback_tx_t;		/* 0: outside any transaction */

struct tapback_xs_ops {
	const char *name;
	/* Required. Copy the value of path (seen in transaction t) into buf,
	 * NUL-terminated. Returns its length, -ENOENT if there is no such
	 * node, -E2BIG if it needs more than cap - 1 bytes, -EILSEQ if it
	 * holds a NUL byte, another negative errno on failure. */
	int (*read)(void *priv, tapback_tx_t t, const char *path, char *buf,
		    size_t cap);
	/* Required. Write the string val to path (parents are created). */
	int (*write)(void *priv, tapback_tx_t t, const char *path,
		     const char *val);
	/* Required. The children of path: *names is one malloc'ed block
	 * (a single free() releases it) of *num pointers and their strings.
	 * -ENOENT if path does not exist. */
	int (*directory)(void *priv, tapback_tx_t t, const char *path,
			 char ***names, unsigned *num);
	/* Required. Watch path and everything below it; like xenstored, the
	 * watch fires once as soon as it is registered. */
	int (*watch)(void *priv, const char *path, const char *token);
	/* Required. Stop watching (path, token). */
	int (*unwatch)(void *priv, const char *path, const char *token);
	/* Required. Never blocks: the next pending watch event copied into
	 * path / token. 0, -EAGAIN when none is pending, -E2BIG if the event
	 * did not fit (it is dropped), another negative errno when the
	 * connection is lost. */
	int (*read_watch)(void *priv, char *path, size_t plen, char *token,
			  size_t tlen);
	/* Required. A descriptor that polls readable while events are
	 * pending, or a negative errno if the implementation has none. */
	int (*fileno)(void *priv);
	/* Required. Start a transaction. */
	int (*tx_start)(void *priv, tapback_tx_t *t);
	/* Required. Commit (abort 0) or discard (abort 1) t. -EAGAIN: it
	 * conflicted with another writer, run it again. */
	int (*tx_end)(void *priv, tapback_tx_t t, int abort);
	/* Optional. Release the connection. */
	void (*close)(void *priv);
};

struct tapback_xs {
	const struct tapback_xs_ops *ops;
	void *priv;
};

/* tapback-xs.c: connect to xenstored through libxenstore. */
int tapback_xs_open(struct tapback_xs *xs);
void tapback_xs_close(struct tapback_xs *xs);

/* ---------------------------------------------------------------------- */
/* The tapdisk seam                                                       */
/* ---------------------------------------------------------------------- */

/* One ring of a VBD as tapdisk reports it. */
struct tapback_ring_info {
	uint32_t domid, devid, queue;
	uint32_t state;			/* TD_RING_S_* */
};

/* The VBD behind a device, from a STATUS reply (validated copy). */
struct tapback_vbd_info {
	uint32_t minor;
	uint32_t state;			/* TD_VBD_S_* */
	uint32_t flags;			/* TD_F_* as opened */
	uint64_t size;			/* bytes */
	uint32_t sector_size;		/* logical, 512..65536, power of 2 */
	uint32_t phys_sector_size;	/* >= sector_size */
	uint32_t info;			/* VDISK_* */
	uint32_t features;		/* TD_FEAT_* */
	uint32_t max_indirect;		/* segments per indirect request */
	uint32_t media;			/* TD_MEDIA_* (CD VBDs) */
	uint32_t media_gen;		/* tapdisk's count of media changes */
	uint32_t nr_rings;
	struct tapback_ring_info rings[TAPBACK_MAX_QUEUES];
};

struct tapback_td_ops {
	const char *name;
	/* Required. STATUS of (pid, minor) into *vi. */
	int (*status)(void *priv, pid_t pid, uint32_t minor,
		      struct tapback_vbd_info *vi);
	/* Required. RING_CONNECT one queue. */
	int (*ring_connect)(void *priv, pid_t pid, uint32_t minor,
			    const struct tapctl_ring *r);
	/* Required. RING_DISCONNECT the rings of device (domid, devid) on
	 * the VBD (other devices sharing the minor keep theirs); queue < 0:
	 * every queue. tapdisk completes the in-flight requests first. */
	int (*ring_disconnect)(void *priv, pid_t pid, uint32_t minor,
			       uint32_t domid, uint32_t devid, int queue);
	/* Optional. tapdisk's reason for the last failure ("" if none). */
	const char *(*last_message)(void *priv);
};

/* ---------------------------------------------------------------------- */
/* Parsers (tapback-parse.c): pure, no I/O, one unit test each            */
/* ---------------------------------------------------------------------- */

/* Decimal digits only (no sign, no blanks, at most 10 digits), value
 * <= max. 0, -EINVAL (not a number) or -ERANGE (> max). */
int tapback_parse_u32(const char *s, uint32_t max, uint32_t *out);
/* Same for 64-bit values (at most 20 digits). */
int tapback_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* A XenbusState "0".."8". NULL (node absent) gives XenbusStateUnknown. */
int tapback_parse_state(const char *s, enum xenbus_state *out);
/* "protocol": NULL (absent) gives x86_32 as Linux blkback assumes on x86;
 * "x86_32-abi", "x86_64-abi", "native"; anything else -EINVAL. */
int tapback_parse_protocol(const char *s, enum blkif_abi *out);
/* "ring-page-order": 0..max. */
int tapback_parse_ring_order(const char *s, uint32_t max, uint32_t *out);
/* "multi-queue-num-queues": NULL gives 1; 1..max, else -ERANGE. */
int tapback_parse_num_queues(const char *s, uint32_t max, uint32_t *out);
/* "online", "discard-enable", "feature-persistent": NULL gives dflt; a
 * number, non-zero is 1. */
int tapback_parse_bool(const char *s, int dflt, int *out);
/* "mode": contains 'w' -> read-write (0), "r" -> read-only (1). NULL is
 * read-write. */
int tapback_parse_mode(const char *s, int *ro);
/* "device-type": "cdrom" gives 1, "disk" or NULL 0, other names -EINVAL. */
int tapback_parse_device_type(const char *s, int *cdrom);

enum tapback_hotplug {
	TAPBACK_HP_NONE,		/* absent: the script has not run yet */
	TAPBACK_HP_CONNECTED,		/* "connected" */
	TAPBACK_HP_ERROR,		/* "error" (or anything else) */
};
enum tapback_hotplug tapback_parse_hotplug(const char *s);

/* "pid": 1..INT32_MAX. "minor": 0..TAPBACK_MAX_MINOR-1. */
int tapback_parse_pid(const char *s, pid_t *pid);
int tapback_parse_minor(const char *s, uint32_t *minor);
/* "physical-device-path" = "<dir>/nbd<pid>.<minor>". */
int tapback_parse_physdev_path(const char *s, pid_t *pid, uint32_t *minor);
/* "frontend": an absolute xenstore path of the characters xenstore
 * allows, without empty components, short enough that "<it>/queue-15/
 * ring-ref15" still fits TAPBACK_PATH_MAX. */
int tapback_parse_xs_path(const char *s);
/* A path under base: base itself (*depth 0), base/<domid> (1) or
 * base/<domid>/<devid>[/...] (2). -EINVAL if not under base or if a
 * component is not a valid domid / devid. */
int tapback_parse_be_path(const char *base, const char *path,
			  uint32_t *domid, uint32_t *devid, int *depth);
/* A backend kind name: 1..TAPBACK_KIND_MAX-1 of [a-z0-9_-]. */
int tapback_parse_kind(const char *s);

/* The VBD of minor in a STATUS reply, validated, into *vi. -ENOENT no
 * such VBD in the reply, -EBADMSG inconsistent values. */
int tapback_vbd_info_from_msg(const struct td_msg *m, uint32_t minor,
			      struct tapback_vbd_info *vi);

const char *tapback_state_name(int state);

/* ---------------------------------------------------------------------- */
/* Devices and the state machine (tapback-dev.c)                          */
/* ---------------------------------------------------------------------- */

/* What the frontend offers, validated (read at Initialised/Connected). */
struct tapback_fe_ring {
	uint32_t refs[TD_MAX_RING_REFS];
	uint32_t evtchn;
};

struct tapback_fe {
	uint32_t nr_queues;		/* 1..tb->max_queues */
	uint32_t ring_order;		/* 0..TAPBACK_MAX_RING_ORDER */
	enum blkif_abi abi;
	int persistent;			/* feature-persistent=1: it keeps grants */
	struct tapback_fe_ring q[TAPBACK_MAX_QUEUES];
};

/*
 * One backend device. Owner: struct tapback. Lifetime: from the first
 * sighting of its directory until the directory is gone (or tapback
 * exits). Everything here is tapback's own memory; the xenstore values it
 * came from were validated by the parsers above.
 */
struct tapback_dev {
	struct tapback_dev *next;
	uint32_t domid, devid;		/* frontend domain, device id (path) */
	char prefix[32];		/* "d<domid>/<devid>" for the logs */
	char path[128];			/* the backend directory */
	char *fe_path;			/* the frontend directory, or NULL */
	char token[40];			/* "fe/<domid>/<devid>" */
	int fe_watched;			/* <fe_path>/state is watched */
	enum xenbus_state state;	/* backend state as we last set it */
	enum xenbus_state fe_state;	/* frontend state last seen */
	unsigned probed:1;		/* probe nodes written / adopted */
	unsigned verify:1;		/* adopted Connected: check tapdisk */
	unsigned rings_unknown:1;	/* tapdisk may hold rings we did not
					   connect (adopted after a restart) */
	unsigned hotplug_ok:1;		/* hotplug-status=connected seen */
	unsigned failed:1;		/* fatal error reported; until the
					   frontend closes or re-initialises */
	unsigned dirty:1;		/* re-examine at the next pass */
	unsigned seen:1;		/* listed by the current rescan */
	unsigned gone:1;		/* directory removed: forget it */
	unsigned fe_seen:1;		/* the frontend state node existed */
	unsigned cdrom:1, readonly:1;	/* as configured by the toolstack */
	pid_t pid;			/* tapdisk serving it (0: unknown) */
	uint32_t minor;
	uint32_t nr_rings;		/* rings we connected in tapdisk */
	uint64_t sectors;		/* as published */
	uint32_t media_gen;		/* CD: tapdisk's media_gen as published */
	unsigned media_known:1;		/* media_gen is valid */
	struct td_ratelimit rl;		/* for everything the guest triggers */
};

struct tapback {
	struct tapback_xs xs;
	const struct tapback_td_ops *td;
	void *td_priv;
	char kind[TAPBACK_KIND_MAX];
	uint32_t self_domid;
	char base[96];			/* /local/domain/<self>/backend/<kind> */
	uint32_t max_queues;		/* multi-queue-max-queues we offer */
	int rescan;			/* a full rescan is pending */
	int started;			/* the base watch is registered */
	struct tapback_dev *devs;
	unsigned nr_devs;
};

/* ---------------------------------------------------------------------- */
/* A device's xenstore nodes (tapback-store.c)                           */
/* ---------------------------------------------------------------------- */

/* Validated copy of a backend directory (written by the toolstack). */
struct tapback_be {
	char fe_path[TAPBACK_PATH_MAX];	/* "frontend" */
	int have_fe;
	int online;			/* "online", absent = 1 */
	int have_state;
	enum xenbus_state state;	/* "state": libxl writes it too */
	enum tapback_hotplug hp;	/* "hotplug-status" */
	int have_td;			/* pid + minor known */
	pid_t pid;
	uint32_t minor;
	int ro, cdrom;			/* "mode", "device-type" */
	int discard;			/* "discard-enable", absent = 1 */
};

/* Read d's backend directory into *be. -ENOENT: the directory is gone;
 * other errors leave a reason in msg (TAPBACK_MSG_MAX bytes). */
int tapback_read_backend(struct tapback *tb, struct tapback_dev *d,
			 struct tapback_be *be, char *msg);
/* Read the rings the frontend (d->fe_path) offers into *fe. -EINVAL and
 * a reason in msg for anything missing, malformed or out of range. */
int tapback_read_frontend(struct tapback *tb, struct tapback_dev *d,
			  struct tapback_fe *fe, char *msg);
/* The frontend's state; Unknown when the node is absent (then
 * d->fe_seen is left alone, else it is set). */
int tapback_read_fe_state(struct tapback *tb, struct tapback_dev *d,
			  enum xenbus_state *s, char *msg);

typedef int (*tapback_tx_fn)(struct tapback *tb, struct tapback_dev *d,
			     tapback_tx_t t, const void *arg);
/* Run fn in one transaction on d's directory, retried on conflicts; the
 * directory must still exist (else -ENOENT and d->gone is set). */
int tapback_dev_tx(struct tapback *tb, struct tapback_dev *d,
		   tapback_tx_fn fn, const void *arg);
/* Write dir/node = printf(fmt, ...) in transaction t. */
int tapback_write_node(struct tapback *tb, tapback_tx_t t, const char *dir,
		       const char *node, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Transaction bodies for tapback_dev_tx(). tx_probe: max-ring-page-order,
 * multi-queue-max-queues, feature-* defaults, state InitWait. tx_publish
 * (arg: struct tapback_publish): what Linux blkback's connect() writes
 * (sectors, info, sector sizes, feature-*, discard-*), then Connected. */
struct tapback_publish {
	const struct tapback_be *be;
	const struct tapback_vbd_info *vi;
};
int tapback_tx_probe(struct tapback *tb, struct tapback_dev *d,
		     tapback_tx_t t, const void *arg);
int tapback_tx_publish(struct tapback *tb, struct tapback_dev *d,
		       tapback_tx_t t, const void *arg);

/* Read "domid" relative to our own xenstore home. */
int tapback_self_domid(const struct tapback_xs *xs, uint32_t *domid);

/* max_queues 0 means min(TAPBACK_MAX_QUEUES, online CPUs). */
int tapback_init(struct tapback *tb, const struct tapback_xs *xs,
		 const struct tapback_td_ops *td, void *td_priv,
		 const char *kind, uint32_t self_domid, uint32_t max_queues);
/* Watch the base directory; its first event makes the next
 * tapback_run_events() discover every existing device. */
int tapback_start(struct tapback *tb);
/* Drain the pending watch events and act on every device they touched.
 * 0, or a negative errno when the xenstore connection is lost. */
int tapback_run_events(struct tapback *tb);
/* Re-examine every device (SIGHUP) at the next tapback_run_events(). */
void tapback_refresh(struct tapback *tb);
/* Forget every device and drop the watches. xenstore and the tapdisks
 * stay as they are, so that a restarted tapback adopts them. */
void tapback_fini(struct tapback *tb);

struct tapback_dev *tapback_find(struct tapback *tb, uint32_t domid,
				 uint32_t devid);

/*
 * Hook for removable media (CD VBDs): the medium of (domid, devid)
 * changed. Rewrites "sectors" and "media-present" and re-writes "state"
 * (Connected) in one transaction, which makes Linux blkfront re-read the
 * capacity. Only for a Connected device: -ENOTCONN otherwise, -ENOENT no
 * such device. Nothing calls it yet; media events from tapdisk will.
 */
int tapback_media_changed(struct tapback *tb, uint32_t domid, uint32_t devid,
			  int present, uint64_t sectors);

/*
 * For every Connected CD device, ask its tapdisk for the media state
 * (STATUS: media_gen counts changes, by the admin's tap-ctl eject/insert or
 * the guest's own eject) and publish a change with tapback_media_changed.
 * Returns how many CD devices are watched (the caller polls again in a
 * second while there are any).
 */
int tapback_poll_media(struct tapback *tb);
#define TAPBACK_MEDIA_POLL_MS 1000

#endif
