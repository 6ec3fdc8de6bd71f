/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-blkif-req: one ring request, as a hostile guest may write it, in
 * every ABI, through the pure codec and validator (tapdisk/blkif.c):
 * decode -> check -> (indirect) segment decode -> segs check.
 *
 * Input: [0] ABI (mod 3), [1] limit flags, [2..9] device sectors (LE),
 * [10..11] advertised indirect segments, then the request slot (108 or 112
 * bytes), then up to 8 indirect pages (zero-filled when short).
 *
 * Invariants: the refusal reason is a known one and maps to a BLKIF status;
 * anything accepted really is what blkif.h promises (segments well formed,
 * range inside the device and representable, no write to a read-only
 * device, only offered ops); encode(decode(slot)) decodes to the same
 * request; decoding never reads past the slot or the pages (ASan).
 */
#include <string.h>

#include "blkif.h"
#include "fuzz.h"

#define MAX_END_SECTOR ((uint64_t)INT64_MAX >> BLKIF_SECTOR_SHIFT)
#define SLOT_MAX 112u

static uint64_t segs_total(const struct blkif_seg *s, unsigned n,
			   const struct blkif_limits *lim)
{
	uint64_t total = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		FUZZ_CHECK(s[i].first_sect <= s[i].last_sect);
		FUZZ_CHECK(s[i].last_sect < BLKIF_SECTORS_PER_PAGE);
		total += (uint64_t)s[i].last_sect - s[i].first_sect + 1;
	}
	return total;
}

/* An accepted [sector, sector + count) is inside the device and its end
 * byte offset fits an off_t. */
static void check_range(uint64_t sector, uint64_t count,
			const struct blkif_limits *lim)
{
	FUZZ_CHECK(count <= lim->sectors && sector <= lim->sectors - count);
	FUZZ_CHECK(sector + count <= MAX_END_SECTOR);
}

static void check_indirect_segs(const struct blkif_req *r,
				const struct blkif_limits *lim,
				const uint8_t *pages)
{
	static struct blkif_seg segs[BLKIF_MAX_INDIRECT_PAGES *
				     BLKIF_SEGS_PER_INDIRECT_PAGE];
	unsigned npages = blkif_indirect_pages(r->nr_segs), i;
	uint64_t total = 1;
	enum blkif_bad bad;

	FUZZ_CHECK(npages >= 1 && npages <= BLKIF_MAX_INDIRECT_PAGES);
	for (i = 0; i < r->nr_segs; i++)
		blkif_indirect_seg_decode(pages + (size_t)(i / BLKIF_SEGS_PER_INDIRECT_PAGE) * 4096,
					  i % BLKIF_SEGS_PER_INDIRECT_PAGE, &segs[i]);
	bad = blkif_segs_check(segs, r->nr_segs, r->sector, lim, &total);
	FUZZ_CHECK(bad < BLKIF_BAD__COUNT);
	if (bad != BLKIF_OK) {
		FUZZ_CHECK(total == 0);
		FUZZ_CHECK(blkif_bad_status(bad) == BLKIF_RSP_ERROR);
		return;
	}
	FUZZ_CHECK(total == segs_total(segs, r->nr_segs, lim));
	check_range(r->sector, total, lim);
	/* what the frontend encoder writes decodes back the same */
	{
		static uint8_t page[4096];
		struct blkif_seg s;

		blkif_indirect_seg_encode(page, 7, &segs[0]);
		blkif_indirect_seg_decode(page, 7, &s);
		FUZZ_CHECK(s.gref == segs[0].gref && s.first_sect == segs[0].first_sect &&
			   s.last_sect == segs[0].last_sect);
	}
}

static void check_accepted(const struct blkif_req *r,
			   const struct blkif_limits *lim, const uint8_t *pages)
{
	switch (r->ring_op) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		FUZZ_CHECK(r->nr_segs >= 1 && r->nr_segs <= BLKIF_MAX_SEGS);
		check_range(r->sector, segs_total(r->seg, r->nr_segs, lim), lim);
		FUZZ_CHECK(r->op == BLKIF_OP_READ || !lim->readonly);
		break;
	case BLKIF_OP_WRITE_BARRIER:
	case BLKIF_OP_FLUSH_DISKCACHE:
		FUZZ_CHECK(r->ring_op == BLKIF_OP_FLUSH_DISKCACHE ? lim->can_flush
								  : lim->can_barrier);
		FUZZ_CHECK(!lim->readonly);
		FUZZ_CHECK(r->nr_segs <= BLKIF_MAX_SEGS);
		if (r->nr_segs)
			check_range(r->sector, segs_total(r->seg, r->nr_segs, lim), lim);
		break;
	case BLKIF_OP_PACKET:
		FUZZ_CHECK(lim->can_packet);
		FUZZ_CHECK(r->nr_segs == 1 && r->seg[0].first_sect == 0 &&
			   r->seg[0].last_sect == BLKIF_SECTORS_PER_PAGE - 1);
		break;
	case BLKIF_OP_DISCARD:
		FUZZ_CHECK(lim->can_discard && !lim->readonly);
		FUZZ_CHECK(!(r->discard_flag & BLKIF_DISCARD_SECURE) ||
			   lim->can_discard_secure);
		check_range(r->sector, r->nr_sectors, lim);
		break;
	case BLKIF_OP_INDIRECT:
		FUZZ_CHECK(lim->max_indirect_segs > 0);
		FUZZ_CHECK(r->op == BLKIF_OP_READ || r->op == BLKIF_OP_WRITE);
		FUZZ_CHECK(r->op == BLKIF_OP_READ || !lim->readonly);
		FUZZ_CHECK(r->nr_segs >= 1 && r->nr_segs <= lim->max_indirect_segs &&
			   r->nr_segs <= BLKIF_MAX_INDIRECT_PAGES *
					  BLKIF_SEGS_PER_INDIRECT_PAGE);
		check_indirect_segs(r, lim, pages);
		break;
	default:
		FUZZ_CHECK(!"an unknown op was accepted");
	}
}

/* encode(decode(slot)) decodes to the same request. */
static void check_round_trip(enum blkif_abi abi, const struct blkif_req *r)
{
	uint8_t slot[SLOT_MAX];
	struct blkif_req r2;
	unsigned i, n;

	memset(slot, 0xa5, sizeof(slot));
	blkif_req_encode(abi, r, slot);
	blkif_req_decode(abi, slot, &r2);
	FUZZ_CHECK(r2.ring_op == r->ring_op && r2.op == r->op);
	FUZZ_CHECK(r2.id == r->id && r2.sector == r->sector);
	FUZZ_CHECK(r2.handle == r->handle);
	switch (r->ring_op) {
	case BLKIF_OP_DISCARD:
		FUZZ_CHECK(r2.nr_sectors == r->nr_sectors);
		FUZZ_CHECK(r2.discard_flag == r->discard_flag);
		break;
	case BLKIF_OP_INDIRECT:
		FUZZ_CHECK(r2.nr_segs == r->nr_segs);
		FUZZ_CHECK(!memcmp(r2.indirect_grefs, r->indirect_grefs,
				   sizeof(r->indirect_grefs)));
		break;
	default:
		FUZZ_CHECK(r2.nr_segs == r->nr_segs);
		n = r->nr_segs < BLKIF_MAX_SEGS ? r->nr_segs : BLKIF_MAX_SEGS;
		for (i = 0; i < n; i++)
			FUZZ_CHECK(r2.seg[i].gref == r->seg[i].gref &&
				   r2.seg[i].first_sect == r->seg[i].first_sect &&
				   r2.seg[i].last_sect == r->seg[i].last_sect);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pages[BLKIF_MAX_INDIRECT_PAGES * 4096];
	struct fuzz_in in = { data, size };
	struct blkif_limits lim;
	enum blkif_abi abi;
	uint8_t slot[SLOT_MAX], fl;
	struct blkif_req r;
	enum blkif_bad bad;
	int16_t st;

	abi = (enum blkif_abi)(fuzz_u8(&in) % 3);
	fl = fuzz_u8(&in);
	memset(&lim, 0, sizeof(lim));
	lim.readonly = fl & 1;
	lim.can_flush = !!(fl & 2);
	lim.can_barrier = !!(fl & 4);
	lim.can_discard = !!(fl & 8);
	lim.can_discard_secure = !!(fl & 16);
	lim.can_packet = !!(fl & 32);
	lim.sectors = fuzz_le(&in, 8);
	lim.max_indirect_segs = (uint16_t)fuzz_le(&in, 2);
	FUZZ_CHECK(blkif_req_size(abi) <= SLOT_MAX);
	memset(slot, 0, sizeof(slot));
	fuzz_bytes(&in, slot, blkif_req_size(abi));
	memset(pages, 0, sizeof(pages));
	fuzz_bytes(&in, pages, in.n < sizeof(pages) ? in.n : sizeof(pages));

	blkif_req_decode(abi, slot, &r);
	FUZZ_CHECK(r.ring_op == BLKIF_OP_INDIRECT || r.op == r.ring_op);
	bad = blkif_req_check(&r, &lim);
	FUZZ_CHECK(bad < BLKIF_BAD__COUNT);
	FUZZ_CHECK(blkif_bad_name(bad) != NULL);
	st = blkif_bad_status(bad);
	FUZZ_CHECK(st == BLKIF_RSP_OKAY || st == BLKIF_RSP_ERROR ||
		   st == BLKIF_RSP_EOPNOTSUPP);
	FUZZ_CHECK((st == BLKIF_RSP_OKAY) == (bad == BLKIF_OK));
	if (bad == BLKIF_OK)
		check_accepted(&r, &lim, pages);
	check_round_trip(abi, &r);

	/* the response codec: what we encode, the frontend decodes */
	{
		uint8_t rsp[SLOT_MAX];
		uint64_t id;
		uint8_t op;
		int16_t status;

		FUZZ_CHECK(blkif_rsp_size(abi) <= blkif_slot_size(abi));
		blkif_rsp_encode(abi, rsp, r.id, r.ring_op, st);
		blkif_rsp_decode(abi, rsp, &id, &op, &status);
		FUZZ_CHECK(id == r.id && op == r.ring_op && status == st);
	}
	return 0;
}
