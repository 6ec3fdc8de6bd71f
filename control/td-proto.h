/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-proto: the tapdisk control protocol, version 1 (doc/control-protocol.md).
 *
 * Shared by tapdisk (server) and libtapctl (clients: tap-ctl, tapback, the
 * simulated guest). Encode and decode are pure functions over byte buffers;
 * no C struct is ever sent raw. All integers are little-endian.
 *
 * Frame (16-byte header, then payload):
 *   0   u32  magic     TD_PROTO_MAGIC
 *   4   u16  version   TD_PROTO_VERSION
 *   6   u16  type      TD_MSG_*; replies have TD_MSG_REPLY set
 *   8   u32  seq       chosen by the client, echoed in the reply
 *   12  u32  length    payload bytes, <= TD_PROTO_MAX_PAYLOAD
 *   16  payload: a sequence of attributes, each
 *         u16 tag (TD_A_*), u16 len, len bytes of value
 *
 * Attribute values: U32 = 4 bytes, U64 = 8 bytes, STR = len bytes of text
 * without NUL (no embedded NUL allowed), U32ARR = len/4 u32 values, NEST = a
 * nested attribute sequence. An attribute with the wrong length for its
 * type, a string too long for its field, an unknown tag inside a known
 * message, or a repeated non-repeatable attribute makes the whole message
 * invalid (-EBADMSG). Every request gets exactly one reply carrying
 * TD_A_STATUS (0 or a negative errno) and, on failure, TD_A_MESSAGE.
 */
#ifndef XENTAP_TD_PROTO_H
#define XENTAP_TD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define TD_PROTO_MAGIC 0x50415458u	/* "XTAP" as LE bytes */
#define TD_PROTO_VERSION 1u
#define TD_PROTO_HDR_SIZE 16u
#define TD_PROTO_MAX_PAYLOAD (256u * 1024u)
#define TD_PROTO_MAX_FRAME (TD_PROTO_HDR_SIZE + TD_PROTO_MAX_PAYLOAD)

/*
 * VBD lifecycle (minor numbers come from `tap-ctl allocate`, which creates
 * the marker <ctl-dir>/tapdisk/tapdisk-<minor>; tapdisk holds an exclusive
 * flock on the marker while the minor is attached to it):
 *
 *   ATTACH      minor becomes a VBD of this tapdisk, without an image
 *   VBD_OPEN    image opened (attaches implicitly if needed: such a VBD
 *               is removed again by VBD_CLOSE)
 *   PAUSE       no new requests taken, in-flight I/O finished, image closed
 *   UNPAUSE     image reopened (PARAMS: another path, same size), rings resume
 *   VBD_CLOSE   rings must be disconnected (or FLAGS has TD_F_FORCE)
 *   DETACH      the VBD must be closed; the last DETACH makes tapdisk exit
 *               after its reply
 */
enum td_msg_type {
	TD_MSG_STATUS = 1,	/* req: [MINOR]; reply: PID, ENGINE, XENIO, VBD* */
	TD_MSG_VBD_OPEN = 2,	/* req: MINOR, PARAMS, [FLAGS] */
	TD_MSG_VBD_CLOSE = 3,	/* req: MINOR, [FLAGS: TD_F_FORCE] */
	TD_MSG_RING_CONNECT = 4,    /* req: MINOR, DOMID, DEVID, QUEUE, RING_ORDER,
				       RING_REFS, EVTCHN, ABI, [FLAGS] */
	TD_MSG_RING_DISCONNECT = 5, /* req: MINOR, [DOMID, DEVID], [QUEUE]:
				     * the rings matching what is given */
	TD_MSG_ATTACH = 6,	/* req: MINOR. -EEXIST if attached here, -ENOENT
				   if not allocated, -EBUSY if another tapdisk
				   holds it */
	TD_MSG_DETACH = 7,	/* req: MINOR. -EBUSY while an image is open */
	TD_MSG_PAUSE = 8,	/* req: MINOR. Returns once in-flight I/O is done
				   and the image is closed; -EALREADY if paused */
	TD_MSG_UNPAUSE = 9,	/* req: MINOR, [PARAMS]. -EINVAL if not paused;
				   -EMEDIUMTYPE if the new image's size differs */
	TD_MSG_MEDIA_EJECT = 10,  /* req: MINOR, [FLAGS: TD_F_FORCE] (CD only) */
	TD_MSG_MEDIA_INSERT = 11, /* req: MINOR, PARAMS (CD only) */
	TD_MSG_MEDIA_STATUS = 12, /* req: MINOR; reply: VBD (CD only) */
	TD_MSG_SHUTDOWN = 13,	/* req: -. Drains, closes everything, exits after
				   the reply */
	TD_MSG__MAX = 13,
};
#define TD_MSG_REPLY 0x8000u

enum td_attr {
	TD_A_STATUS = 1,	/* U32 (int32 errno, 0 ok) */
	TD_A_MESSAGE = 2,	/* STR <= 255 */
	TD_A_MINOR = 3,		/* U32 */
	TD_A_PARAMS = 4,	/* STR <= TD_PARAMS_MAX-1: "type:path" */
	TD_A_FLAGS = 5,		/* U32 TD_F_* */
	TD_A_DOMID = 6,		/* U32 */
	TD_A_DEVID = 7,		/* U32 */
	TD_A_QUEUE = 8,		/* U32 */
	TD_A_RING_ORDER = 9,	/* U32 0..4 */
	TD_A_RING_REFS = 10,	/* U32ARR, 1..16 entries */
	TD_A_EVTCHN = 11,	/* U32 */
	TD_A_ABI = 12,		/* U32 enum blkif_abi */
	TD_A_PID = 13,		/* U32 */
	TD_A_ENGINE = 14,	/* STR <= 15 */
	TD_A_XENIO = 15,	/* STR <= 15 */
	TD_A_VBD = 16,		/* NEST, repeatable: one struct td_vbd_status */
	TD_A_RING = 17,		/* NEST inside VBD, repeatable: struct td_ring_status */
	TD_A_COUNTERS = 18,	/* U64ARR inside VBD or RING: enum td_stat order */
	TD_A_SIZE = 19,		/* U64 bytes */
	TD_A_SECTOR_SIZE = 20,	/* U32 */
	TD_A_PHYS_SECTOR_SIZE = 21, /* U32 */
	TD_A_INFO = 22,		/* U32 VDISK_* bits */
	TD_A_STATE = 23,	/* U32 TD_VBD_S_* / TD_RING_S_* bits */
	TD_A_RING_SIZE = 24,	/* U32 slots */
	TD_A_FEATURES = 25,	/* U32 TD_FEAT_* (what the VBD offers a frontend) */
	TD_A_MAX_INDIRECT = 26,	/* U32 */
	TD_A_MEDIA = 27,	/* U32 TD_MEDIA_* inside VBD (CD VBDs) */
	TD_A_MEDIA_GEN = 28,	/* U32 inside VBD: bumped on every media change */
	TD_A_GRANT = 29,	/* STR <= 15: data-access mode (copy, map, persistent) */
	TD_A__MAX = 29,
};

/* TD_A_FLAGS */
#define TD_F_RDONLY (1u << 0)	/* VBD_OPEN: read-only */
#define TD_F_CDROM (1u << 1)	/* VBD_OPEN: CD device */
#define TD_F_FORCE (1u << 2)	/* CLOSE / EJECT */
#define TD_F_NO_DIRECT (1u << 3) /* VBD_OPEN: never O_DIRECT */
#define TD_F_NO_PACKET (1u << 4) /* VBD_OPEN: refuse BLKIF_OP_PACKET */
#define TD_F_PERSISTENT (1u << 5) /* RING_CONNECT: the frontend keeps its data
				     grants (feature-persistent negotiated) */

/* TD_A_STATE for a VBD */
#define TD_VBD_S_OPEN (1u << 0)
#define TD_VBD_S_PAUSED (1u << 1)
#define TD_VBD_S_CLOSING (1u << 2)
#define TD_VBD_S_ATTACHED (1u << 3)	/* explicitly attached (tap-ctl attach) */
/* TD_A_STATE for a ring */
#define TD_RING_S_CONNECTED (1u << 0)
#define TD_RING_S_HALTED (1u << 1)	/* impossible req_prod seen */
#define TD_RING_S_RDONLY (1u << 2)	/* a read-only device (mode=r) */

/* TD_A_MEDIA */
#define TD_MEDIA_PRESENT (1u << 0)	/* a medium is in the (closed) drive */
#define TD_MEDIA_LOCKED (1u << 1)	/* the guest prevents removal */
#define TD_MEDIA_TRAY_OPEN (1u << 2)

/* TD_A_FEATURES */
#define TD_FEAT_FLUSH (1u << 0)
#define TD_FEAT_BARRIER (1u << 1)
#define TD_FEAT_DISCARD (1u << 2)
#define TD_FEAT_DISCARD_SECURE (1u << 3)
#define TD_FEAT_PERSISTENT (1u << 4)

/* Counters, in TD_A_COUNTERS order. New ones are appended only. */
enum td_stat {
	TD_STAT_REQ_READ,
	TD_STAT_REQ_WRITE,
	TD_STAT_REQ_BARRIER,
	TD_STAT_REQ_FLUSH,
	TD_STAT_REQ_PACKET,
	TD_STAT_REQ_DISCARD,
	TD_STAT_REQ_INDIRECT,
	TD_STAT_REQ_UNKNOWN,
	TD_STAT_SECT_READ,
	TD_STAT_SECT_WRITE,
	TD_STAT_ERR_IO,		/* I/O errors from the image */
	TD_STAT_ERR_GUEST,	/* malformed requests refused */
	TD_STAT_ERR_GRANT,	/* grant map/copy failures */
	TD_STAT_INFLIGHT,	/* gauge */
	TD_STAT_NOTIFY_SENT,
	TD_STAT_EVENTS,		/* notifications received */
	TD_STAT_FLUSH_DONE,	/* flushes completed by the engine (fdatasync) */
	TD_STAT_DISCARD_DONE,	/* discards completed by the engine */
	TD_STAT_ZERO_COPY,	/* reads/writes done on mapped guest pages */
	TD_STAT_MAP_CAPPED,	/* mode map: copied, the map bound was reached */
	TD_STAT__COUNT
};

#define TD_PARAMS_MAX 4352	/* "type:" + PATH_MAX */
#define TD_MAX_RING_REFS 16
#define TD_MAX_VBDS 64		/* per STATUS reply */
#define TD_MAX_RINGS 16		/* per VBD in a STATUS reply */
#define TD_MSG_MAX 256

struct td_ring_status {
	uint32_t domid, devid, queue;
	uint32_t ring_order;
	uint32_t ring_size;
	uint32_t abi;
	uint32_t evtchn;
	uint32_t state;		/* TD_RING_S_* */
	uint32_t nr_counters;
	uint64_t counters[TD_STAT__COUNT];
};

struct td_vbd_status {
	uint32_t minor;
	uint32_t state;		/* TD_VBD_S_* */
	uint32_t flags;		/* TD_F_* as opened */
	char params[TD_PARAMS_MAX];
	uint64_t size;		/* bytes */
	uint32_t sector_size, phys_sector_size;
	uint32_t info;		/* VDISK_* */
	uint32_t features;	/* TD_FEAT_* */
	uint32_t max_indirect;
	uint32_t media;		/* TD_MEDIA_* (CD VBDs) */
	uint32_t media_gen;	/* media changes so far */
	uint32_t nr_counters;
	uint64_t counters[TD_STAT__COUNT];
	uint32_t nr_rings;
	struct td_ring_status rings[TD_MAX_RINGS];
};

/* Bit for attribute tag t in td_msg.present. */
#define TD_HAS(m, t) (((m)->present >> (t)) & 1u)

/*
 * One decoded message (request or reply). Large (STATUS replies carry up
 * to TD_MAX_VBDS VBDs): allocate it on the heap.
 */
struct td_msg {
	uint16_t type;		/* including TD_MSG_REPLY for replies */
	uint32_t seq;
	uint64_t present;	/* bit t set when attribute t was present */
	int32_t status;
	char message[TD_MSG_MAX];
	uint32_t minor;
	char params[TD_PARAMS_MAX];
	uint32_t flags;
	uint32_t domid, devid, queue;
	uint32_t ring_order;
	uint32_t nr_ring_refs;
	uint32_t ring_refs[TD_MAX_RING_REFS];
	uint32_t evtchn;
	uint32_t abi;
	uint32_t pid;
	char engine[16];
	char xenio[16];
	char grant[16];		/* TD_A_GRANT */
	uint32_t nr_vbds;
	struct td_vbd_status vbds[TD_MAX_VBDS];
};

/* Reset m to an empty message of the given type and seq. */
void td_msg_init(struct td_msg *m, uint16_t type, uint32_t seq);

/*
 * Encode m (only attributes whose TD_HAS bit is set, plus nr_vbds VBDs)
 * into buf. Returns the frame length or a negative errno (-ENOSPC if it
 * does not fit, -EINVAL if a field is out of range).
 * Also: buf == NULL only validates and measures (returns the length the
 * frame needs); -EMSGSIZE if the frame would exceed TD_PROTO_MAX_PAYLOAD
 * (or a nested VBD 64 KiB), whatever cap is. Out of range (-EINVAL): a
 * present bit for a tag that has no top-level field, STATUS not in
 * [-4095, 0], RING_ORDER > 4, RING_REFS count not 1..16, a string not
 * NUL-terminated within its field, nr_vbds > TD_MAX_VBDS or non-zero in a
 * request, nr_rings > TD_MAX_RINGS, nr_counters > TD_STAT__COUNT.
 */
int td_msg_encode(const struct td_msg *m, uint8_t *buf, size_t cap);

/*
 * Look at the first bytes of a stream: returns the total frame length
 * (header + payload) if at least TD_PROTO_HDR_SIZE bytes are there and the
 * header is valid, 0 if more bytes are needed, or -EBADMSG (bad magic,
 * length over the limit) / -EPROTONOSUPPORT (other version).
 */
int td_msg_frame_len(const uint8_t *buf, size_t len);

/* Decode one complete frame of exactly len bytes into m. 0 or -EBADMSG /
 * -EPROTONOSUPPORT. Unknown message types decode (so the server can reply
 * -EOPNOTSUPP) as long as their attributes are well formed.
 * On success everything up to vbds[] and vbds[0..nr_vbds) is defined
 * (absent attributes are zero); vbds[nr_vbds..] is left as it was. On
 * failure the content of m is unspecified. A STATUS outside [-4095, 0] is
 * -EBADMSG. Consistency between attributes (e.g. RING_REFS count vs
 * RING_ORDER, which attributes a message type needs) is the receiver's
 * job, not the codec's. */
int td_msg_decode(const uint8_t *buf, size_t len, struct td_msg *m);

/* Setters that also mark the attribute present. td_msg_set_u32 ignores a
 * tag that is not a top-level U32 (STATUS takes the int32 as uint32_t);
 * td_msg_set_str returns -EINVAL for a tag that is not a top-level STR and
 * -E2BIG for a string too long for its field. */
void td_msg_set_u32(struct td_msg *m, enum td_attr a, uint32_t v);
int td_msg_set_str(struct td_msg *m, enum td_attr a, const char *s);
/* Copy n (1..TD_MAX_RING_REFS) refs into m: 0 or -EINVAL. */
int td_msg_set_ring_refs(struct td_msg *m, const uint32_t *refs, uint32_t n);

/* "status", "vbd-open", ... (TD_MSG_REPLY ignored), "unknown" otherwise. */
const char *td_msg_type_name(uint16_t type);

#endif
