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

/* The MESSAGE of the last failed reply seen by this thread ("" if none).
 * Cleared when a call starts, so it always belongs to the latest call. */
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
/* queue < 0: all rings of the VBD. */
int tapctl_ring_disconnect(const char *dir, pid_t pid, uint32_t minor, int queue);

/* STATUS: fills *reply (allocate with tapctl_msg_new). minor < 0: all. */
int tapctl_status(const char *dir, pid_t pid, int minor, struct td_msg *reply);

/* calloc'ed message; free() it. */
struct td_msg *tapctl_msg_new(void);

#endif
