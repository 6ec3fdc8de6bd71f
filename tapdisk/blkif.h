/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * blkif: the Xen block ring protocol, as pure functions.
 *
 * The wire layouts (see PROTOCOLS.md section 1 and Xen's io/blkif.h) are
 * handled with explicit byte offsets, never by casting shared memory to a C
 * struct: a request slot is first copied out of the shared page into a
 * private buffer (blkif_req_decode does this), then only the private copy
 * is looked at. Encoders exist for the frontend side (simulated guest,
 * tests) so both ends share one definition of each layout.
 *
 * Ring memory layout (one ring of 1 << order pages):
 *   0   req_prod  (u32)    written by the frontend
 *   4   req_event (u32)    written by the backend
 *   8   rsp_prod  (u32)    written by the backend
 *   12  rsp_event (u32)    written by the frontend
 *   16..63  padding
 *   64  slots: ring_size entries of slot_size bytes
 *       (slot_size = max(request size, response size) of the ABI)
 */
#ifndef XENTAP_BLKIF_H
#define XENTAP_BLKIF_H

#include <stddef.h>
#include <stdint.h>

#define BLKIF_OP_READ 0
#define BLKIF_OP_WRITE 1
#define BLKIF_OP_WRITE_BARRIER 2
#define BLKIF_OP_FLUSH_DISKCACHE 3
#define BLKIF_OP_PACKET 4	/* BLKIF_OP_RESERVED_1 upstream; SUSE CD packets */
#define BLKIF_OP_DISCARD 5
#define BLKIF_OP_INDIRECT 6

#define BLKIF_RSP_EOPNOTSUPP (-2)
#define BLKIF_RSP_ERROR (-1)
#define BLKIF_RSP_OKAY 0

#define BLKIF_DISCARD_SECURE 0x1

#define BLKIF_MAX_SEGS 11			/* direct request */
#define BLKIF_MAX_INDIRECT_PAGES 8		/* per request, wire limit */
#define BLKIF_SEGS_PER_INDIRECT_PAGE 512	/* 4096 / 8 */
#define BLKIF_MAX_INDIRECT_SEGS 256		/* what we advertise */
#define BLKIF_MAX_RING_ORDER 4
#define BLKIF_MAX_RING_PAGES (1u << BLKIF_MAX_RING_ORDER)
#define BLKIF_SECTOR_SHIFT 9
#define BLKIF_SECTORS_PER_PAGE 8

#define BLKIF_RING_HDR 64	/* bytes before the first slot */

#define VDISK_CDROM 0x1
#define VDISK_REMOVABLE 0x2
#define VDISK_READONLY 0x4

enum blkif_abi {
	BLKIF_ABI_NATIVE = 0,	/* x86_64 layout on x86_64 builds */
	BLKIF_ABI_X86_32 = 1,
	BLKIF_ABI_X86_64 = 2,
};

/* "x86_32-abi" / "x86_64-abi" / "native"; NULL or "" gives x86_32 (as
 * Linux blkback assumes). Returns 0 or -EINVAL for unknown strings. */
int blkif_abi_parse(const char *s, enum blkif_abi *out);
const char *blkif_abi_name(enum blkif_abi abi);

/* Byte sizes for an ABI: request, response, slot (= max of both). */
size_t blkif_req_size(enum blkif_abi abi);
size_t blkif_rsp_size(enum blkif_abi abi);
size_t blkif_slot_size(enum blkif_abi abi);

/* Number of slots in a ring of nr_pages pages (a power of two), 0 if the
 * arguments are invalid. 32 for one page in every ABI. */
unsigned blkif_ring_size(enum blkif_abi abi, unsigned nr_pages);

struct blkif_seg {
	uint32_t gref;
	uint8_t first_sect;	/* 0..7 */
	uint8_t last_sect;	/* first_sect..7 */
};

/*
 * A private copy of one request, as decoded from the ring. Decoding does
 * not validate (blkif_req_check does): fields hold what the guest wrote.
 */
struct blkif_req {
	uint8_t ring_op;	/* operation as on the ring */
	uint8_t op;		/* effective op: indirect_op for INDIRECT, else ring_op;
				   the response carries this one */
	uint8_t discard_flag;	/* DISCARD only */
	uint16_t nr_segs;	/* nr_segments (u8 direct, u16 indirect) */
	uint16_t handle;
	uint64_t id;
	uint64_t sector;
	uint64_t nr_sectors;	/* DISCARD only: as written by the guest */
	uint32_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES]; /* INDIRECT only */
	struct blkif_seg seg[BLKIF_MAX_SEGS];	/* direct requests only */
};

/* Copy slot bytes out of shared memory, then decode the private copy. */
void blkif_req_decode(enum blkif_abi abi, const volatile void *slot,
		      struct blkif_req *out);
/* Frontend side: encode r into a slot (writes blkif_req_size bytes). For
 * op INDIRECT uses indirect_grefs, for DISCARD nr_sectors/discard_flag. */
void blkif_req_encode(enum blkif_abi abi, const struct blkif_req *r, void *slot);

void blkif_rsp_encode(enum blkif_abi abi, void *slot, uint64_t id, uint8_t op,
		      int16_t status);
void blkif_rsp_decode(enum blkif_abi abi, const volatile void *slot,
		      uint64_t *id, uint8_t *op, int16_t *status);

/* Number of indirect pages needed for nr_segs segments. */
static inline unsigned blkif_indirect_pages(unsigned nr_segs)
{
	return (nr_segs + BLKIF_SEGS_PER_INDIRECT_PAGE - 1) /
	       BLKIF_SEGS_PER_INDIRECT_PAGE;
}

/* Decode segment i (0-based) from a private copy of an indirect page.
 * i must be < BLKIF_SEGS_PER_INDIRECT_PAGE; a larger i reads nothing and
 * yields a segment that blkif_segs_check refuses (encode ignores it). */
void blkif_indirect_seg_decode(const void *page, unsigned i, struct blkif_seg *out);
void blkif_indirect_seg_encode(void *page, unsigned i, const struct blkif_seg *s);

/* What the device allows; filled by the VBD. */
struct blkif_limits {
	uint64_t sectors;		/* device size in 512-byte sectors */
	unsigned readonly : 1;
	unsigned can_flush : 1;
	unsigned can_barrier : 1;
	unsigned can_discard : 1;
	unsigned can_discard_secure : 1;
	unsigned can_packet : 1;	/* CD VBD with packets enabled */
	uint16_t max_indirect_segs;	/* 0: indirect not advertised */
};

/* Reasons a request is refused (for counters and log lines). */
enum blkif_bad {
	BLKIF_OK = 0,
	BLKIF_BAD_OP,		/* unknown op -> EOPNOTSUPP */
	BLKIF_BAD_NSEGS,	/* 0 or > limit */
	BLKIF_BAD_SECT,		/* first_sect > last_sect or > 7 */
	BLKIF_BAD_RANGE,	/* overflow or past the end of the device */
	BLKIF_BAD_RDONLY,	/* write/discard/flush to a read-only device */
	BLKIF_BAD_INDIRECT_OP,	/* indirect_op not READ/WRITE */
	BLKIF_BAD_UNSUPPORTED,	/* op known but not offered -> EOPNOTSUPP */
	BLKIF_BAD_DISCARD,	/* discard range bad / secure not supported */
	BLKIF_BAD__COUNT
};

const char *blkif_bad_name(enum blkif_bad b);

/*
 * Validate the header of a decoded request (everything except the
 * segments of an indirect request, which live in granted pages). Pure.
 * For direct READ/WRITE also checks each seg and the sector range.
 * Checks run in the order: op known (BAD_OP), op offered (UNSUPPORTED),
 * well formed (NSEGS/SECT/INDIRECT_OP/DISCARD), in range (RANGE), then
 * read-only (RDONLY). op must equal ring_op except for INDIRECT (decode
 * guarantees it), else BAD_OP. A DISCARD of 0 sectors is an accepted
 * no-op when sector <= lim->sectors. An end sector whose byte offset
 * would not fit an off_t is out of range whatever lim->sectors says.
 */
enum blkif_bad blkif_req_check(const struct blkif_req *r,
			       const struct blkif_limits *lim);

/* Validate segments (direct or decoded indirect) and that sector +
 * total length stays inside the device. Pure. total_sectors (may be NULL)
 * gets the sum, 0 on failure. n == 0 gives BLKIF_BAD_NSEGS. */
enum blkif_bad blkif_segs_check(const struct blkif_seg *segs, unsigned n,
				uint64_t sector, const struct blkif_limits *lim,
				uint64_t *total_sectors);

/* BLKIF_RSP_EOPNOTSUPP for BAD_OP / BAD_UNSUPPORTED, BLKIF_RSP_OKAY for
 * BLKIF_OK, else BLKIF_RSP_ERROR. */
int16_t blkif_bad_status(enum blkif_bad b);

/*
 * Ring index arithmetic. All indices are free-running u32.
 * A producer index is impossible if more requests are claimed than there
 * are free slots: (req_prod - rsp_prod_pvt) > ring_size.
 */
static inline int blkif_prod_overflow(uint32_t req_prod, uint32_t rsp_prod_pvt,
				      unsigned ring_size)
{
	return (uint32_t)(req_prod - rsp_prod_pvt) > ring_size;
}

/* Notification rule shared by both directions (Xen's RING_PUSH_*_AND_CHECK_NOTIFY):
 * notify if the peer's event index lies in (old, new]. */
static inline int blkif_need_notify(uint32_t old_prod, uint32_t new_prod,
				    uint32_t event)
{
	return (uint32_t)(new_prod - event) < (uint32_t)(new_prod - old_prod);
}

/* Little-endian accessors for shared-memory ring headers (volatile). */
#define BLKIF_RING_REQ_PROD 0
#define BLKIF_RING_REQ_EVENT 4
#define BLKIF_RING_RSP_PROD 8
#define BLKIF_RING_RSP_EVENT 12

static inline uint32_t blkif_ring_get(const volatile void *ring, unsigned off)
{
	return *(const volatile uint32_t *)((const volatile char *)ring + off);
}

static inline void blkif_ring_set(volatile void *ring, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)((volatile char *)ring + off) = v;
}

static inline volatile void *blkif_ring_slot(volatile void *ring, enum blkif_abi abi,
					     unsigned ring_size, uint32_t idx)
{
	return (volatile char *)ring + BLKIF_RING_HDR +
	       (size_t)(idx & (ring_size - 1)) * blkif_slot_size(abi);
}

#endif
