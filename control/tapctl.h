/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtapctl: client side of the tapdisk control protocol (td-proto.h).
 *
 * All functions return 0 (or a non-negative value where documented) or a
 * negative errno. A request that tapdisk refused returns the errno tapdisk
 * sent, and tapctl_last_message() gives its human-readable reason.
 */
#ifndef XENTAP_TAPCTL_H
#define XENTAP_TAPCTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "td-proto.h"

#define TAPCTL_DEFAULT_DIR "/run/blktap-control"
#define TAPCTL_ENV_DIR "TAPCTL_CONTROL_DIR"	/* overrides the default dir */
#define TAPCTL_TIMEOUT_MS 10000

/* The control directory in use: dir if not NULL, else $TAPCTL_CONTROL_DIR,
 * else TAPCTL_DEFAULT_DIR. */
const char *tapctl_dir(const char *dir);

/* "<dir>/ctl<pid>" into buf. 0 or -ENAMETOOLONG. */
int tapctl_socket_path(const char *dir, pid_t pid, char *buf, size_t len);

/* Connect to tapdisk pid's socket. Returns an fd or a negative errno. */
int tapctl_connect(const char *dir, pid_t pid);

/*
 * Send req (req->seq is assigned) and wait up to timeout_ms for its reply
 * into *reply (heap-sized struct). Returns reply->status (0 or the negative
 * errno tapdisk reported) or a negative errno for transport failures
 * (-ETIMEDOUT, -ECONNRESET, -EBADMSG).
 * timeout_ms bounds the whole call (send and receive); < 0 waits forever.
 * The fd may be blocking or not. After a transport error the stream is out
 * of step (a late reply may still arrive): close the fd. A reply of the
 * wrong type, with another seq or without STATUS is -EBADMSG. req->type
 * with TD_MSG_REPLY set, a negative fd or NULL pointers: -EINVAL.
 */
int tapctl_call(int fd, struct td_msg *req, struct td_msg *reply, int timeout_ms);

/* One-shot: connect, call (TAPCTL_TIMEOUT_MS), close. reply may be NULL
 * when only the status matters. */
int tapctl_request(const char *dir, pid_t pid, struct td_msg *req,
		   struct td_msg *reply);

/* The MESSAGE of the last failed reply seen by this thread ("" if none),
 * or for failures of the local steps of tapctl_spawn / tapctl_create /
 * tapctl_destroy a description. Cleared when a call starts, so it always
 * belongs to the latest call. */
const char *tapctl_last_message(void);

/* Convenience wrappers (one-shot). */
int tapctl_vbd_open(const char *dir, pid_t pid, uint32_t minor,
		    const char *params, uint32_t flags);
int tapctl_vbd_close(const char *dir, pid_t pid, uint32_t minor, uint32_t flags);

struct tapctl_ring {
	uint32_t domid, devid, queue;
	uint32_t ring_order;		/* 0..4 */
	uint32_t ring_refs[TD_MAX_RING_REFS];	/* 1 << ring_order used */
	uint32_t evtchn;
	uint32_t abi;			/* enum blkif_abi */
	uint32_t flags;
};
int tapctl_ring_connect(const char *dir, pid_t pid, uint32_t minor,
			const struct tapctl_ring *r);
/* The rings of the VBD that match: domid < 0: of every device (devid is
 * then ignored), else of device (domid, devid) only; queue < 0: every queue. */
int tapctl_ring_disconnect(const char *dir, pid_t pid, uint32_t minor,
			   int domid, int devid, int queue);

/* STATUS: fills *reply (allocate with tapctl_msg_new). minor < 0: all. */
int tapctl_status(const char *dir, pid_t pid, int minor, struct td_msg *reply);
/* Counter i's name in clients' output ("req_read" for TD_STAT_REQ_READ),
 * "unknown" past the counters this build knows (enum td_stat). */
const char *tapctl_stat_name(unsigned i);

/* calloc'ed message; free() it. */
struct td_msg *tapctl_msg_new(void);

/* Bound every later one-shot request of this process by ms milliseconds
 * (<= 0: back to TAPCTL_TIMEOUT_MS). PAUSE waits for in-flight I/O, so a
 * caller expecting slow storage may want more. */
void tapctl_set_timeout(int ms);

/* ---- VBD lifecycle (see the comment above enum td_msg_type) ---- */

/* ATTACH: minor (allocated with tapctl_allocate) becomes a VBD of tapdisk
 * pid, without an image. -EEXIST attached here already, -ENOENT not
 * allocated, -EBUSY another tapdisk holds it. */
int tapctl_attach(const char *dir, pid_t pid, uint32_t minor);
/* DETACH: -EBUSY while an image is open. After the last DETACH tapdisk
 * exits (after its reply). */
int tapctl_detach(const char *dir, pid_t pid, uint32_t minor);
/* PAUSE returns once in-flight I/O is done and the image closed;
 * -EALREADY if paused. */
int tapctl_pause(const char *dir, pid_t pid, uint32_t minor);
/* UNPAUSE reopens the image, or params ("type:path", same size) instead
 * when not NULL. -EINVAL not paused, -EMEDIUMTYPE size differs (the VBD
 * stays paused). */
int tapctl_unpause(const char *dir, pid_t pid, uint32_t minor,
		   const char *params);
/* SHUTDOWN: tapdisk drains, closes everything and exits after its reply. */
int tapctl_shutdown(const char *dir, pid_t pid);

/* ---- removable media (CD VBDs; others answer -EOPNOTSUPP) ---- */

/* flags: TD_F_FORCE ejects even while the guest locked the tray. */
int tapctl_media_eject(const char *dir, pid_t pid, uint32_t minor,
		       uint32_t flags);
int tapctl_media_insert(const char *dir, pid_t pid, uint32_t minor,
			const char *params);
/* The VBD as tapdisk reports it into *st (may be NULL). */
int tapctl_media_status(const char *dir, pid_t pid, uint32_t minor,
			struct td_vbd_status *st);

/* ---- minors (tapctl-minor.c) ----
 *
 * A minor is allocated by creating the marker file
 * <dir>/tapdisk/tapdisk-<minor>; the tapdisk it is attached to holds an
 * exclusive flock on it. Markers survive a crashed tapdisk: free them. */
#define TAPCTL_MINOR_SUBDIR "tapdisk"
#define TAPCTL_MINOR_PREFIX "tapdisk-"
#define TAPCTL_MAX_MINOR 1024		/* minors are 0 .. TAPCTL_MAX_MINOR-1 */

/* "<dir>/tapdisk/tapdisk-<minor>" into buf. 0, -EINVAL or -ENAMETOOLONG. */
int tapctl_minor_path(const char *dir, int minor, char *buf, size_t len);
/* Lowest free minor into *minor and its marker path into path (may be
 * NULL); creates <dir>/tapdisk/ as needed. -ENOSPC when all are taken. */
int tapctl_allocate(const char *dir, int *minor, char *path, size_t len);
/* Remove the marker. -ENOENT not allocated, -EBUSY attached to a tapdisk. */
int tapctl_free(const char *dir, int minor);

/* 1 if process pid exists and is not a zombie, else 0. */
int tapctl_pid_alive(pid_t pid);

/* ---- processes (tapctl-spawn.c) ---- */

/* Start a tapdisk daemon serving dir: runs $TAPDISK (else TAPDISK_PATH)
 * with "-c <dir>" and the caller's environment, waits until it listens,
 * and returns its pid in *pid. -ENOENT / -EACCES the binary cannot be
 * run, -EIO it failed (reason in tapctl_last_message()), -ETIMEDOUT. */
int tapctl_spawn(const char *dir, pid_t *pid);

/*
 * allocate + spawn + attach + open. On success *pid, *minor and (if path is
 * not NULL) the marker path are set. On failure nothing is left behind: a
 * tapdisk that was spawned is detached from (it then exits) or shut down,
 * and the minor is freed; tapctl_last_message() names the failed step.
 */
int tapctl_create(const char *dir, const char *params, uint32_t flags,
		  pid_t *pid, int *minor, char *path, size_t len);
/* close (unless not open) + detach + free. Waits (bounded) for tapdisk to
 * exit when that was its last VBD. */
int tapctl_destroy(const char *dir, pid_t pid, uint32_t minor);

/* ---- list (tapctl-minor.c) ---- */

struct tapctl_list_entry {
	pid_t pid;		/* -1: an allocated minor no live tapdisk has */
	int minor;		/* -1: a tapdisk without VBDs (or see err) */
	int err;		/* tapdisk alive but its STATUS failed: errno */
	const char *engine;	/* tapdisk's I/O engine, "" if unknown */
	const char *xenio;	/* tapdisk's hypervisor, "" if unknown */
	const struct td_vbd_status *vbd; /* NULL unless pid and minor set */
	char type[32];		/* params before ':', "" if no image */
	const char *path;	/* params after ':', "" if no image */
};

/* Called once per entry, in order: tapdisks by pid, their VBDs by minor
 * (a tapdisk without VBDs gives one entry with minor -1), then allocated
 * minors that no live tapdisk has (pid -1). The entry is only valid during
 * the call. A non-zero return stops the walk and is returned. */
typedef int (*tapctl_list_fn)(const struct tapctl_list_entry *e, void *arg);

/*
 * Walk the tapdisks of dir (pid <= 0: all, plus the orphan minors; else
 * just that one, no entry if it is not running). A socket whose tapdisk is
 * gone (connection refused, process dead) is skipped; if the process is
 * dead the stale socket is removed.
 */
int tapctl_list(const char *dir, pid_t pid, tapctl_list_fn fn, void *arg);

#endif
