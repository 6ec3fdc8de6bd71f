/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * blkif: codec and validator for the Xen block ring (see blkif.h and
 * PROTOCOLS.md section 1).
 *
 * Every layout is described by byte offsets in one table per ABI; nothing
 * here casts ring memory to a C struct, so the host compiler's padding and
 * alignment rules never decide what a guest meant. All fields are
 * little-endian and are read and written one byte at a time.
 *
 * Trust: the ring slots are shared with a guest that may rewrite them at
 * any moment. blkif_req_decode reads each byte of a slot exactly once,
 * through a volatile pointer, into a private buffer, and decodes only that
 * buffer, so a field cannot change between the time it is checked and the
 * time it is used (the "double fetch" of XSA-155). The validators work on
 * the decoded private copy only.
 */
#include <errno.h>
#include <string.h>

#include "blkif.h"

/* Wire sizes of the pieces that are the same in every ABI. */
#define SEG_SIZE 8		/* gref u32, first u8, last u8, 2 pad */
#define SEG_GREF 0
#define SEG_FIRST 4
#define SEG_LAST 5

/* Common request header: op, then nr_segments / flag / indirect_op, then
 * handle (direct, discard) or the u16 nr_segments (indirect). */
#define REQ_OP 0
#define REQ_BYTE1 1
#define REQ_HANDLE 2
#define IND_NR_SEGS 2

/* Response: identical offsets in both ABIs, only the tail padding differs. */
#define RSP_ID 0
#define RSP_OP 8
#define RSP_STATUS 10

/* Most segments an indirect request can name on the wire: 8 pages of 512. */
#define WIRE_MAX_INDIRECT_SEGS \
	(BLKIF_MAX_INDIRECT_PAGES * BLKIF_SEGS_PER_INDIRECT_PAGE)

/*
 * Highest end sector (exclusive) whose byte offset still fits an off_t.
 * Checked in addition to the device size so that a bogus huge "sectors"
 * limit can never let sector << 9 wrap in an I/O engine.
 */
#define MAX_END_SECTOR ((uint64_t)INT64_MAX >> BLKIF_SECTOR_SHIFT)

/*
 * Byte offsets of the fields that move between ABIs. The x86_32 layout
 * packs u64 fields on 4-byte boundaries; x86_64 (and ARM, which shares it)
 * aligns them to 8.
 */
struct blkif_layout {
	size_t req_size;	/* sizeof(struct blkif_request) */
	size_t rsp_size;	/* sizeof(struct blkif_response) */
	unsigned id;		/* direct, discard, indirect */
	unsigned sector;	/* direct, discard, indirect */
	unsigned seg;		/* direct: seg[BLKIF_MAX_SEGS] */
	unsigned nr_sectors;	/* discard */
	unsigned ind_handle;	/* indirect */
	unsigned ind_grefs;	/* indirect: indirect_grefs[8] */
};

static const struct blkif_layout layout_x86_32 = {
	.req_size = 108,
	.rsp_size = 12,
	.id = 4,
	.sector = 12,
	.seg = 20,
	.nr_sectors = 20,
	.ind_handle = 20,
	.ind_grefs = 24,
};

static const struct blkif_layout layout_x86_64 = {
	.req_size = 112,
	.rsp_size = 16,
	.id = 8,
	.sector = 16,
	.seg = 24,
	.nr_sectors = 24,
	.ind_handle = 24,
	.ind_grefs = 28,
};

/* The segment array is the last field of a direct request in both ABIs,
 * and the indirect grefs fit in the slot. */
_Static_assert(20 + BLKIF_MAX_SEGS * SEG_SIZE == 108, "x86_32 request size");
_Static_assert(24 + BLKIF_MAX_SEGS * SEG_SIZE == 112, "x86_64 request size");
_Static_assert(24 + BLKIF_MAX_INDIRECT_PAGES * 4 <= 108, "x86_32 indirect");
_Static_assert(28 + BLKIF_MAX_INDIRECT_PAGES * 4 <= 112, "x86_64 indirect");
_Static_assert(BLKIF_SEGS_PER_INDIRECT_PAGE * SEG_SIZE == 4096,
	       "indirect page holds 512 segments");
_Static_assert(BLKIF_MAX_INDIRECT_SEGS <= WIRE_MAX_INDIRECT_SEGS,
	       "advertised indirect segments fit in 8 pages");

/* Largest request and response of any ABI, for the private copies. */
#define MAX_REQ_SIZE 112
#define MAX_RSP_SIZE 16

/* NULL for a value outside enum blkif_abi: callers fail closed. */
static const struct blkif_layout *layout_of(enum blkif_abi abi)
{
	switch (abi) {
	case BLKIF_ABI_NATIVE:
#if defined(__i386__)
		return &layout_x86_32;
#else
		/* x86_64, and ARM/arm64 which use the same layout */
		return &layout_x86_64;
#endif
	case BLKIF_ABI_X86_32:
		return &layout_x86_32;
	case BLKIF_ABI_X86_64:
		return &layout_x86_64;
	}
	return NULL;
}

/* ---- little-endian byte access on private memory ---- */

static uint16_t ld16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t ld32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t ld64(const unsigned char *p)
{
	return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

static void st16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void st32(unsigned char *p, uint32_t v)
{
	st16(p, (uint16_t)v);
	st16(p + 2, (uint16_t)(v >> 16));
}

static void st64(unsigned char *p, uint64_t v)
{
	st32(p, (uint32_t)v);
	st32(p + 4, (uint32_t)(v >> 32));
}

/*
 * Copy n bytes out of guest-shared memory. The volatile byte loads make
 * the compiler perform exactly one read per byte, here, so it cannot
 * replace later uses of the private copy by fresh reads of the ring.
 */
static void copy_from_shared(unsigned char *dst, const volatile void *src,
			     size_t n)
{
	const volatile unsigned char *s = src;
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = s[i];
}

static void seg_decode(const unsigned char *p, struct blkif_seg *out)
{
	out->gref = ld32(p + SEG_GREF);
	out->first_sect = p[SEG_FIRST];
	out->last_sect = p[SEG_LAST];
}

static void seg_encode(unsigned char *p, const struct blkif_seg *s)
{
	st32(p + SEG_GREF, s->gref);
	p[SEG_FIRST] = s->first_sect;
	p[SEG_LAST] = s->last_sect;
	p[6] = 0;
	p[7] = 0;
}

/* ---- ABI names ---- */

int blkif_abi_parse(const char *s, enum blkif_abi *out)
{
	/* No "protocol" node: Linux blkback and blktap assume x86_32. */
	if (!s || !*s)
		*out = BLKIF_ABI_X86_32;
	else if (!strcmp(s, "x86_32-abi"))
		*out = BLKIF_ABI_X86_32;
	else if (!strcmp(s, "x86_64-abi"))
		*out = BLKIF_ABI_X86_64;
	else if (!strcmp(s, "native"))
		*out = BLKIF_ABI_NATIVE;
	else
		return -EINVAL;
	return 0;
}

const char *blkif_abi_name(enum blkif_abi abi)
{
	switch (abi) {
	case BLKIF_ABI_NATIVE:
		return "native";
	case BLKIF_ABI_X86_32:
		return "x86_32-abi";
	case BLKIF_ABI_X86_64:
		return "x86_64-abi";
	}
	return "unknown";
}

/* ---- sizes ---- */

size_t blkif_req_size(enum blkif_abi abi)
{
	const struct blkif_layout *l = layout_of(abi);

	return l ? l->req_size : 0;
}

size_t blkif_rsp_size(enum blkif_abi abi)
{
	const struct blkif_layout *l = layout_of(abi);

	return l ? l->rsp_size : 0;
}

size_t blkif_slot_size(enum blkif_abi abi)
{
	const struct blkif_layout *l = layout_of(abi);

	if (!l)
		return 0;
	return l->req_size > l->rsp_size ? l->req_size : l->rsp_size;
}

unsigned blkif_ring_size(enum blkif_abi abi, unsigned nr_pages)
{
	size_t slot = blkif_slot_size(abi);
	size_t n;
	unsigned r = 1;

	if (!slot || nr_pages == 0 || nr_pages > BLKIF_MAX_RING_PAGES ||
	    (nr_pages & (nr_pages - 1)))
		return 0;
	/* Xen's __RING_SIZE: round the slot count down to a power of two. */
	n = ((size_t)nr_pages * 4096 - BLKIF_RING_HDR) / slot;
	while ((size_t)r * 2 <= n)
		r *= 2;
	return r;
}

/* ---- requests ---- */

void blkif_req_decode(enum blkif_abi abi, const volatile void *slot,
		      struct blkif_req *out)
{
	const struct blkif_layout *l = layout_of(abi);
	unsigned char b[MAX_REQ_SIZE];
	unsigned i, n;

	memset(out, 0, sizeof(*out));
	if (!l)
		return;	/* all zero: a READ of 0 segments, refused by check */

	copy_from_shared(b, slot, l->req_size);

	out->ring_op = b[REQ_OP];
	out->id = ld64(b + l->id);
	out->sector = ld64(b + l->sector);

	switch (out->ring_op) {
	case BLKIF_OP_DISCARD:
		out->op = out->ring_op;
		out->discard_flag = b[REQ_BYTE1];
		out->handle = ld16(b + REQ_HANDLE);
		out->nr_sectors = ld64(b + l->nr_sectors);
		break;
	case BLKIF_OP_INDIRECT:
		out->op = b[REQ_BYTE1];
		out->nr_segs = ld16(b + IND_NR_SEGS);
		out->handle = ld16(b + l->ind_handle);
		for (i = 0; i < BLKIF_MAX_INDIRECT_PAGES; i++)
			out->indirect_grefs[i] = ld32(b + l->ind_grefs + 4 * i);
		break;
	default:
		out->op = out->ring_op;
		out->nr_segs = b[REQ_BYTE1];
		out->handle = ld16(b + REQ_HANDLE);
		/* nr_segs is guest data (up to 255): never index past 11 */
		n = out->nr_segs < BLKIF_MAX_SEGS ? out->nr_segs : BLKIF_MAX_SEGS;
		for (i = 0; i < n; i++)
			seg_decode(b + l->seg + SEG_SIZE * i, &out->seg[i]);
		break;
	}
}

void blkif_req_encode(enum blkif_abi abi, const struct blkif_req *r, void *slot)
{
	const struct blkif_layout *l = layout_of(abi);
	unsigned char *b = slot;
	unsigned i, n;

	if (!l)
		return;

	memset(b, 0, l->req_size);
	b[REQ_OP] = r->ring_op;
	st64(b + l->id, r->id);
	st64(b + l->sector, r->sector);

	switch (r->ring_op) {
	case BLKIF_OP_DISCARD:
		b[REQ_BYTE1] = r->discard_flag;
		st16(b + REQ_HANDLE, r->handle);
		st64(b + l->nr_sectors, r->nr_sectors);
		break;
	case BLKIF_OP_INDIRECT:
		b[REQ_BYTE1] = r->op;
		st16(b + IND_NR_SEGS, r->nr_segs);
		st16(b + l->ind_handle, r->handle);
		for (i = 0; i < BLKIF_MAX_INDIRECT_PAGES; i++)
			st32(b + l->ind_grefs + 4 * i, r->indirect_grefs[i]);
		break;
	default:
		/* truncated to the u8 wire field, so tests can send 255 */
		b[REQ_BYTE1] = (unsigned char)r->nr_segs;
		st16(b + REQ_HANDLE, r->handle);
		n = r->nr_segs < BLKIF_MAX_SEGS ? r->nr_segs : BLKIF_MAX_SEGS;
		for (i = 0; i < n; i++)
			seg_encode(b + l->seg + SEG_SIZE * i, &r->seg[i]);
		break;
	}
}

/* ---- responses ---- */

void blkif_rsp_encode(enum blkif_abi abi, void *slot, uint64_t id, uint8_t op,
		      int16_t status)
{
	const struct blkif_layout *l = layout_of(abi);
	unsigned char *b = slot;

	if (!l)
		return;
	/* Clear the padding too: it is guest-visible and must not carry
	 * stale bytes (the request that was in this slot). */
	memset(b, 0, l->rsp_size);
	st64(b + RSP_ID, id);
	b[RSP_OP] = op;
	st16(b + RSP_STATUS, (uint16_t)status);
}

void blkif_rsp_decode(enum blkif_abi abi, const volatile void *slot,
		      uint64_t *id, uint8_t *op, int16_t *status)
{
	const struct blkif_layout *l = layout_of(abi);
	unsigned char b[MAX_RSP_SIZE];
	uint16_t st;

	if (!l) {
		*id = 0;
		*op = 0;
		*status = BLKIF_RSP_ERROR;
		return;
	}
	copy_from_shared(b, slot, l->rsp_size);
	*id = ld64(b + RSP_ID);
	*op = b[RSP_OP];
	st = ld16(b + RSP_STATUS);
	/* two's complement without implementation-defined conversion */
	*status = st < 0x8000 ? (int16_t)st : (int16_t)(-(int32_t)(0x10000 - st));
}

/* ---- indirect segment pages ---- */

void blkif_indirect_seg_decode(const void *page, unsigned i, struct blkif_seg *out)
{
	if (i >= BLKIF_SEGS_PER_INDIRECT_PAGE) {
		/* Caller bug; never read past the page, and hand back a
		 * segment that blkif_segs_check refuses (fail closed). */
		out->gref = 0;
		out->first_sect = 1;
		out->last_sect = 0;
		return;
	}
	seg_decode((const unsigned char *)page + SEG_SIZE * i, out);
}

void blkif_indirect_seg_encode(void *page, unsigned i, const struct blkif_seg *s)
{
	if (i >= BLKIF_SEGS_PER_INDIRECT_PAGE)
		return;
	seg_encode((unsigned char *)page + SEG_SIZE * i, s);
}

/* ---- validation ---- */

static const char *const bad_names[BLKIF_BAD__COUNT] = {
	[BLKIF_OK] = "ok",
	[BLKIF_BAD_OP] = "op",
	[BLKIF_BAD_NSEGS] = "nsegs",
	[BLKIF_BAD_SECT] = "sect",
	[BLKIF_BAD_RANGE] = "range",
	[BLKIF_BAD_RDONLY] = "rdonly",
	[BLKIF_BAD_INDIRECT_OP] = "indirect_op",
	[BLKIF_BAD_UNSUPPORTED] = "unsupported",
	[BLKIF_BAD_DISCARD] = "discard",
};

const char *blkif_bad_name(enum blkif_bad b)
{
	if ((unsigned)b >= BLKIF_BAD__COUNT || !bad_names[b])
		return "unknown";
	return bad_names[b];
}

int16_t blkif_bad_status(enum blkif_bad b)
{
	switch (b) {
	case BLKIF_OK:
		return BLKIF_RSP_OKAY;
	case BLKIF_BAD_OP:
	case BLKIF_BAD_UNSUPPORTED:
		return BLKIF_RSP_EOPNOTSUPP;
	default:
		return BLKIF_RSP_ERROR;
	}
}

/*
 * [sector, sector + count) must lie inside the device and its end must be
 * representable as a byte offset. Written so that nothing can wrap.
 */
static int range_ok(uint64_t sector, uint64_t count,
		    const struct blkif_limits *lim)
{
	uint64_t max = lim->sectors < MAX_END_SECTOR ? lim->sectors
						     : MAX_END_SECTOR;

	return count <= max && sector <= max - count;
}

enum blkif_bad blkif_segs_check(const struct blkif_seg *segs, unsigned n,
				uint64_t sector, const struct blkif_limits *lim,
				uint64_t *total_sectors)
{
	uint64_t total = 0;
	unsigned i;

	if (total_sectors)
		*total_sectors = 0;
	if (n == 0)
		return BLKIF_BAD_NSEGS;
	for (i = 0; i < n; i++) {
		if (segs[i].first_sect > segs[i].last_sect ||
		    segs[i].last_sect >= BLKIF_SECTORS_PER_PAGE)
			return BLKIF_BAD_SECT;
		/* at most 8 per segment: no overflow for any unsigned n */
		total += (uint64_t)segs[i].last_sect - segs[i].first_sect + 1;
	}
	if (!range_ok(sector, total, lim))
		return BLKIF_BAD_RANGE;
	if (total_sectors)
		*total_sectors = total;
	return BLKIF_OK;
}

/*
 * Order of the checks, for every op: is the op known (BAD_OP), is it
 * offered (BAD_UNSUPPORTED), is the request well formed (NSEGS, SECT,
 * INDIRECT_OP, DISCARD), is the range inside the device (RANGE), and only
 * then may it modify a read-only device (RDONLY). The first two give
 * EOPNOTSUPP on the ring, the rest ERROR, so the order only decides which
 * counter a request with several faults lands in.
 */

/* READ, WRITE, and FLUSH/BARRIER carrying data: nr_segs already bounded. */
static enum blkif_bad check_data_segs(const struct blkif_req *r,
				      const struct blkif_limits *lim)
{
	return blkif_segs_check(r->seg, r->nr_segs, r->sector, lim, NULL);
}

static enum blkif_bad check_rw(const struct blkif_req *r,
			       const struct blkif_limits *lim)
{
	enum blkif_bad bad;

	if (r->nr_segs == 0 || r->nr_segs > BLKIF_MAX_SEGS)
		return BLKIF_BAD_NSEGS;
	bad = check_data_segs(r, lim);
	if (bad)
		return bad;
	if (r->op == BLKIF_OP_WRITE && lim->readonly)
		return BLKIF_BAD_RDONLY;
	return BLKIF_OK;
}

/* FLUSH_DISKCACHE and WRITE_BARRIER: 0 segments is a pure flush (sector is
 * ignored, as in Linux); with segments it is a write plus a flush. */
static enum blkif_bad check_flush(const struct blkif_req *r,
				  const struct blkif_limits *lim, int offered)
{
	enum blkif_bad bad;

	if (!offered)
		return BLKIF_BAD_UNSUPPORTED;
	if (r->nr_segs > BLKIF_MAX_SEGS)
		return BLKIF_BAD_NSEGS;
	if (r->nr_segs) {
		bad = check_data_segs(r, lim);
		if (bad)
			return bad;
	}
	/* Linux blkback answers ERROR to a flush of a read-only device */
	if (lim->readonly)
		return BLKIF_BAD_RDONLY;
	return BLKIF_OK;
}

/*
 * DISCARD. Decisions:
 * - nr_sectors 0 is a valid no-op (Linux blkback passes it on), as long
 *   as sector itself is not past the end (sector == size is accepted).
 * - Flag bits other than BLKIF_DISCARD_SECURE are ignored (blkif.h gives
 *   them no meaning; Linux ignores them).
 * - BLKIF_DISCARD_SECURE without can_discard_secure is refused rather than
 *   silently downgraded to a plain discard: the guest asked for erasure.
 * - An end that wraps or cannot be a byte offset is a malformed discard
 *   (BAD_DISCARD); a well-formed range past the device end is BAD_RANGE,
 *   as for reads and writes.
 */
static enum blkif_bad check_discard(const struct blkif_req *r,
				    const struct blkif_limits *lim)
{
	if (!lim->can_discard)
		return BLKIF_BAD_UNSUPPORTED;
	if ((r->discard_flag & BLKIF_DISCARD_SECURE) && !lim->can_discard_secure)
		return BLKIF_BAD_DISCARD;
	if (r->nr_sectors > MAX_END_SECTOR ||
	    r->sector > MAX_END_SECTOR - r->nr_sectors)
		return BLKIF_BAD_DISCARD;
	if (!range_ok(r->sector, r->nr_sectors, lim))
		return BLKIF_BAD_RANGE;
	if (lim->readonly)
		return BLKIF_BAD_RDONLY;
	return BLKIF_OK;
}

/*
 * INDIRECT header. The segments are in granted pages, checked later with
 * blkif_segs_check; here the count is bounded by what was advertised and
 * by what 8 indirect pages can hold, and the range gets a cheap lower
 * bound (every segment moves at least one sector) so that an impossible
 * request is refused before any page is mapped.
 */
static enum blkif_bad check_indirect(const struct blkif_req *r,
				     const struct blkif_limits *lim)
{
	unsigned max = lim->max_indirect_segs;

	if (max == 0)
		return BLKIF_BAD_UNSUPPORTED;
	if (r->op != BLKIF_OP_READ && r->op != BLKIF_OP_WRITE)
		return BLKIF_BAD_INDIRECT_OP;
	if (max > WIRE_MAX_INDIRECT_SEGS)
		max = WIRE_MAX_INDIRECT_SEGS;
	if (r->nr_segs == 0 || r->nr_segs > max)
		return BLKIF_BAD_NSEGS;
	if (!range_ok(r->sector, r->nr_segs, lim))
		return BLKIF_BAD_RANGE;
	if (r->op == BLKIF_OP_WRITE && lim->readonly)
		return BLKIF_BAD_RDONLY;
	return BLKIF_OK;
}

/*
 * PACKET (SUSE CD packets): one whole page. The page content and the
 * sector field are the CD-ROM code's business. A read-only device may
 * take packets: CD media are read-only.
 */
static enum blkif_bad check_packet(const struct blkif_req *r,
				   const struct blkif_limits *lim)
{
	if (!lim->can_packet)
		return BLKIF_BAD_UNSUPPORTED;
	if (r->nr_segs != 1)
		return BLKIF_BAD_NSEGS;
	if (r->seg[0].first_sect != 0 ||
	    r->seg[0].last_sect != BLKIF_SECTORS_PER_PAGE - 1)
		return BLKIF_BAD_SECT;
	return BLKIF_OK;
}

enum blkif_bad blkif_req_check(const struct blkif_req *r,
			       const struct blkif_limits *lim)
{
	/* Only INDIRECT may have op != ring_op (decode guarantees it); a
	 * mismatch would let a dispatcher act on an unchecked op. */
	if (r->ring_op != BLKIF_OP_INDIRECT && r->op != r->ring_op)
		return BLKIF_BAD_OP;

	switch (r->ring_op) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		return check_rw(r, lim);
	case BLKIF_OP_WRITE_BARRIER:
		return check_flush(r, lim, lim->can_barrier);
	case BLKIF_OP_FLUSH_DISKCACHE:
		return check_flush(r, lim, lim->can_flush);
	case BLKIF_OP_PACKET:
		return check_packet(r, lim);
	case BLKIF_OP_DISCARD:
		return check_discard(r, lim);
	case BLKIF_OP_INDIRECT:
		return check_indirect(r, lim);
	default:
		return BLKIF_BAD_OP;
	}
}
