/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for tapdisk/blkif.c: ring layouts in all three ABIs, the
 * request validator (one case per rule), and the ring index arithmetic.
 *
 * Wire offsets are written out here a second time, from Xen's io/blkif.h,
 * and checked against hand-built byte images, so that an offset bug shared
 * by the encoder and the decoder cannot hide behind a round trip.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blkif.h"
#include "check.h"

static const enum blkif_abi all_abis[] = {
	BLKIF_ABI_NATIVE, BLKIF_ABI_X86_32, BLKIF_ABI_X86_64,
};
#define NR_ABIS (sizeof(all_abis) / sizeof(all_abis[0]))

/* Independent copy of the wire facts (x86_64 and x86_32 columns). */
struct wire {
	size_t req, rsp;
	unsigned id, sector, seg;
	unsigned d_nr;			/* discard nr_sectors */
	unsigned i_handle, i_grefs;	/* indirect */
};

static const struct wire wire64 = { 112, 16, 8, 16, 24, 24, 24, 28 };
static const struct wire wire32 = { 108, 12, 4, 12, 20, 20, 20, 24 };

static const struct wire *wire_of(enum blkif_abi abi)
{
	/* this test runs on x86_64 (or another 8-byte-aligned-u64 host) */
	return abi == BLKIF_ABI_X86_32 ? &wire32 : &wire64;
}

static void put8(unsigned char *b, unsigned off, unsigned v)
{
	b[off] = (unsigned char)v;
}

static void putle(unsigned char *b, unsigned off, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		b[off + i] = (unsigned char)(v >> (8 * i));
}

static uint64_t getle(const unsigned char *b, unsigned off, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)b[off + i] << (8 * i);
	return v;
}

/* A buffer of exactly n bytes on the heap, so ASAN sees any overrun. */
static unsigned char *exact(size_t n, int fill)
{
	unsigned char *p = malloc(n);

	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(99);
	}
	memset(p, fill, n);
	return p;
}

/* ------------------------------------------------------------------ */

static void test_abi_names(void)
{
	enum blkif_abi abi;

	abi = BLKIF_ABI_X86_64;
	CHECK_EQ(blkif_abi_parse("x86_32-abi", &abi), 0);
	CHECK_EQ(abi, BLKIF_ABI_X86_32);
	CHECK_EQ(blkif_abi_parse("x86_64-abi", &abi), 0);
	CHECK_EQ(abi, BLKIF_ABI_X86_64);
	CHECK_EQ(blkif_abi_parse("native", &abi), 0);
	CHECK_EQ(abi, BLKIF_ABI_NATIVE);

	abi = BLKIF_ABI_X86_64;
	CHECK_EQ(blkif_abi_parse(NULL, &abi), 0);
	CHECK_EQ(abi, BLKIF_ABI_X86_32);
	abi = BLKIF_ABI_X86_64;
	CHECK_EQ(blkif_abi_parse("", &abi), 0);
	CHECK_EQ(abi, BLKIF_ABI_X86_32);

	abi = BLKIF_ABI_X86_64;
	CHECK_EQ(blkif_abi_parse("x86_64", &abi), -EINVAL);
	CHECK_EQ(blkif_abi_parse("X86_32-abi", &abi), -EINVAL);
	CHECK_EQ(blkif_abi_parse("x86_32-abi ", &abi), -EINVAL);
	CHECK_EQ(blkif_abi_parse("arm-abi", &abi), -EINVAL);
	CHECK_EQ(blkif_abi_parse("native\n", &abi), -EINVAL);
	CHECK_EQ(abi, BLKIF_ABI_X86_64);	/* untouched on error */

	CHECK(!strcmp(blkif_abi_name(BLKIF_ABI_NATIVE), "native"));
	CHECK(!strcmp(blkif_abi_name(BLKIF_ABI_X86_32), "x86_32-abi"));
	CHECK(!strcmp(blkif_abi_name(BLKIF_ABI_X86_64), "x86_64-abi"));
	CHECK(blkif_abi_name((enum blkif_abi)42) != NULL);

	/* names parse back to themselves */
	for (unsigned i = 0; i < NR_ABIS; i++) {
		CHECK_EQ(blkif_abi_parse(blkif_abi_name(all_abis[i]), &abi), 0);
		CHECK_EQ(abi, all_abis[i]);
	}
}

static void test_sizes(void)
{
	CHECK_EQ(blkif_req_size(BLKIF_ABI_X86_64), 112);
	CHECK_EQ(blkif_rsp_size(BLKIF_ABI_X86_64), 16);
	CHECK_EQ(blkif_slot_size(BLKIF_ABI_X86_64), 112);
	CHECK_EQ(blkif_req_size(BLKIF_ABI_X86_32), 108);
	CHECK_EQ(blkif_rsp_size(BLKIF_ABI_X86_32), 12);
	CHECK_EQ(blkif_slot_size(BLKIF_ABI_X86_32), 108);
	CHECK_EQ(blkif_req_size(BLKIF_ABI_NATIVE), 112);
	CHECK_EQ(blkif_rsp_size(BLKIF_ABI_NATIVE), 16);
	CHECK_EQ(blkif_slot_size(BLKIF_ABI_NATIVE), 112);

	CHECK_EQ(blkif_req_size((enum blkif_abi)3), 0);
	CHECK_EQ(blkif_rsp_size((enum blkif_abi)3), 0);
	CHECK_EQ(blkif_slot_size((enum blkif_abi)-1), 0);
	CHECK_EQ(blkif_ring_size((enum blkif_abi)3, 1), 0);

	CHECK_EQ(blkif_indirect_pages(0), 0);
	CHECK_EQ(blkif_indirect_pages(1), 1);
	CHECK_EQ(blkif_indirect_pages(512), 1);
	CHECK_EQ(blkif_indirect_pages(513), 2);
	CHECK_EQ(blkif_indirect_pages(BLKIF_MAX_INDIRECT_SEGS), 1);
	CHECK_EQ(blkif_indirect_pages(4096), BLKIF_MAX_INDIRECT_PAGES);
}

static void test_ring_size(void)
{
	static const unsigned bad_pages[] = {
		0, 3, 5, 6, 7, 9, 12, 15, 17, 24, 32, 64, UINT_MAX,
		1u << 31,
	};

	for (unsigned a = 0; a < NR_ABIS; a++) {
		enum blkif_abi abi = all_abis[a];
		size_t slot = blkif_slot_size(abi);

		CHECK_EQ(blkif_ring_size(abi, 1), 32);
		CHECK_EQ(blkif_ring_size(abi, 2), 64);
		CHECK_EQ(blkif_ring_size(abi, 4), 128);
		CHECK_EQ(blkif_ring_size(abi, 8), 256);
		CHECK_EQ(blkif_ring_size(abi, 16), 512);
		CHECK_EQ(blkif_ring_size(abi, BLKIF_MAX_RING_PAGES), 512);

		/* property: fits, and is the largest power of two that fits */
		for (unsigned p = 1; p <= 16; p *= 2) {
			unsigned rs = blkif_ring_size(abi, p);

			CHECK((rs & (rs - 1)) == 0);
			CHECK(BLKIF_RING_HDR + rs * slot <= p * 4096u);
			CHECK(BLKIF_RING_HDR + 2 * rs * slot > p * 4096u);
		}
		for (unsigned i = 0; i < sizeof(bad_pages) / sizeof(bad_pages[0]); i++)
			CHECK_EQ(blkif_ring_size(abi, bad_pages[i]), 0);
	}
}

static void test_ring_helpers(void)
{
	/* 16-page ring, x86_32 slots: the last slot must end inside it */
	size_t len = 16 * 4096;
	unsigned char *ring = exact(len, 0);
	volatile void *vr = ring;
	unsigned rs = blkif_ring_size(BLKIF_ABI_X86_32, 16);
	volatile char *s;

	s = blkif_ring_slot(vr, BLKIF_ABI_X86_32, rs, rs - 1);
	CHECK((size_t)(s - (volatile char *)ring) + 108 <= len);
	CHECK_EQ(s - (volatile char *)ring, 64 + (rs - 1) * 108);
	s = blkif_ring_slot(vr, BLKIF_ABI_X86_64, 32, 33);
	CHECK_EQ(s - (volatile char *)ring, 64 + 112);
	s = blkif_ring_slot(vr, BLKIF_ABI_X86_64, 32, UINT32_MAX);
	CHECK_EQ(s - (volatile char *)ring, 64 + 31 * 112);

	blkif_ring_set(vr, BLKIF_RING_REQ_PROD, 0x01020304);
	blkif_ring_set(vr, BLKIF_RING_REQ_EVENT, 5);
	blkif_ring_set(vr, BLKIF_RING_RSP_PROD, 6);
	blkif_ring_set(vr, BLKIF_RING_RSP_EVENT, 7);
	CHECK_EQ(getle(ring, 0, 4), 0x01020304);	/* host is little-endian */
	CHECK_EQ(getle(ring, 4, 4), 5);
	CHECK_EQ(getle(ring, 8, 4), 6);
	CHECK_EQ(getle(ring, 12, 4), 7);
	CHECK_EQ(blkif_ring_get(vr, BLKIF_RING_REQ_PROD), 0x01020304);

	/* a request goes through a real ring slot */
	{
		struct blkif_req r = {0}, d;

		r.ring_op = r.op = BLKIF_OP_WRITE;
		r.nr_segs = 1;
		r.id = 77;
		r.sector = 8;
		r.seg[0] = (struct blkif_seg){ 9, 0, 7 };
		blkif_req_encode(BLKIF_ABI_X86_32, &r,
				 (void *)blkif_ring_slot(vr, BLKIF_ABI_X86_32, rs, 513));
		blkif_req_decode(BLKIF_ABI_X86_32,
				 blkif_ring_slot(vr, BLKIF_ABI_X86_32, rs, 1), &d);
		CHECK_EQ(d.id, 77);
		CHECK_EQ(d.seg[0].gref, 9);
		CHECK_EQ(getle(ring, 64 + 108 + 4, 8), 77);
	}
	free(ring);
}

/* ------------------------------------------------------------------ */

static void fill_segs(struct blkif_req *r, unsigned n, uint32_t gref0)
{
	for (unsigned i = 0; i < n; i++) {
		r->seg[i].gref = gref0 + i * 0x01010101u;
		r->seg[i].first_sect = (uint8_t)(i % 8);
		r->seg[i].last_sect = 7;
	}
}

static int req_equal(const struct blkif_req *a, const struct blkif_req *b)
{
	if (a->ring_op != b->ring_op || a->op != b->op ||
	    a->discard_flag != b->discard_flag || a->nr_segs != b->nr_segs ||
	    a->handle != b->handle || a->id != b->id || a->sector != b->sector ||
	    a->nr_sectors != b->nr_sectors)
		return 0;
	for (unsigned i = 0; i < BLKIF_MAX_INDIRECT_PAGES; i++)
		if (a->indirect_grefs[i] != b->indirect_grefs[i])
			return 0;
	for (unsigned i = 0; i < BLKIF_MAX_SEGS; i++)
		if (a->seg[i].gref != b->seg[i].gref ||
		    a->seg[i].first_sect != b->seg[i].first_sect ||
		    a->seg[i].last_sect != b->seg[i].last_sect)
			return 0;
	return 1;
}

/* Encode r into a slot of exactly req_size bytes, decode, compare. */
static void roundtrip(enum blkif_abi abi, const struct blkif_req *r)
{
	size_t n = blkif_req_size(abi);
	unsigned char *slot = exact(n, 0xa5);
	struct blkif_req d;

	memset(&d, 0xcc, sizeof(d));
	blkif_req_encode(abi, r, slot);
	blkif_req_decode(abi, slot, &d);
	CHECK(req_equal(r, &d));
	if (!req_equal(r, &d))
		fprintf(stderr, "  roundtrip: abi %s ring_op %u\n",
			blkif_abi_name(abi), r->ring_op);
	free(slot);
}

static void test_roundtrip(void)
{
	for (unsigned a = 0; a < NR_ABIS; a++) {
		enum blkif_abi abi = all_abis[a];
		struct blkif_req r;

		/* read, 3 segments */
		memset(&r, 0, sizeof(r));
		r.ring_op = r.op = BLKIF_OP_READ;
		r.nr_segs = 3;
		r.handle = 0xcafe;
		r.id = 0x8877665544332211ull;
		r.sector = 0x0123456789abcdefull;
		fill_segs(&r, 3, 0xdeadbe00);
		roundtrip(abi, &r);

		/* write, 11 segments */
		memset(&r, 0, sizeof(r));
		r.ring_op = r.op = BLKIF_OP_WRITE;
		r.nr_segs = BLKIF_MAX_SEGS;
		r.handle = 0x0300;
		r.id = UINT64_MAX;
		r.sector = 4096;
		fill_segs(&r, BLKIF_MAX_SEGS, 0xfffffff0);
		roundtrip(abi, &r);

		/* flush, no data */
		memset(&r, 0, sizeof(r));
		r.ring_op = r.op = BLKIF_OP_FLUSH_DISKCACHE;
		r.handle = 1;
		r.id = 42;
		roundtrip(abi, &r);

		/* flush with data */
		r.nr_segs = 2;
		r.sector = 16;
		fill_segs(&r, 2, 7);
		roundtrip(abi, &r);

		/* barrier with data */
		memset(&r, 0, sizeof(r));
		r.ring_op = r.op = BLKIF_OP_WRITE_BARRIER;
		r.nr_segs = 1;
		r.id = 43;
		r.sector = 99;
		fill_segs(&r, 1, 0x11223344);
		roundtrip(abi, &r);

		/* barrier, no data */
		memset(&r, 0, sizeof(r));
		r.ring_op = r.op = BLKIF_OP_WRITE_BARRIER;
		r.id = 44;
		roundtrip(abi, &r);

		/* discard, secure */
		memset(&r, 0, sizeof(r));
		r.ring_op = r.op = BLKIF_OP_DISCARD;
		r.discard_flag = BLKIF_DISCARD_SECURE;
		r.handle = 0xbeef;
		r.id = 0x1000000000000001ull;
		r.sector = 0xfedcba9876543210ull;
		r.nr_sectors = 0x0f0e0d0c0b0a0908ull;
		roundtrip(abi, &r);

		/* indirect write, 300 segments over 1 page + part of another */
		memset(&r, 0, sizeof(r));
		r.ring_op = BLKIF_OP_INDIRECT;
		r.op = BLKIF_OP_WRITE;
		r.nr_segs = 300;
		r.handle = 0x1234;
		r.id = 0xa0a0a0a0b0b0b0b0ull;
		r.sector = 1ull << 40;
		for (unsigned i = 0; i < BLKIF_MAX_INDIRECT_PAGES; i++)
			r.indirect_grefs[i] = 0x80000000u + i * 0x10203;
		roundtrip(abi, &r);

		/* indirect read, u16 count above 255 */
		r.op = BLKIF_OP_READ;
		r.nr_segs = 0xabcd;
		roundtrip(abi, &r);

		/* packet: one whole page */
		memset(&r, 0, sizeof(r));
		r.ring_op = r.op = BLKIF_OP_PACKET;
		r.nr_segs = 1;
		r.id = 5;
		r.seg[0] = (struct blkif_seg){ 123, 0, 7 };
		roundtrip(abi, &r);
	}
}

/* Hand-built images, decoded; then the encoder must produce the image. */
static void test_decode_images(void)
{
	for (unsigned a = 0; a < NR_ABIS; a++) {
		enum blkif_abi abi = all_abis[a];
		const struct wire *w = wire_of(abi);
		unsigned char *img = exact(w->req, 0);
		unsigned char *enc = exact(w->req, 0x77);
		struct blkif_req d;

		CHECK_EQ(blkif_req_size(abi), w->req);
		CHECK_EQ(blkif_rsp_size(abi), w->rsp);

		/* direct write, 2 segments; the unused segment slots hold
		 * junk that must not be decoded */
		memset(img, 0, w->req);
		for (unsigned i = 0; i < BLKIF_MAX_SEGS * 8; i++)
			img[w->seg + i] = 0xee;
		put8(img, 0, BLKIF_OP_WRITE);
		put8(img, 1, 2);
		putle(img, 2, 0x0a0b, 2);
		putle(img, w->id, 0x1122334455667788ull, 8);
		putle(img, w->sector, 0x99aabbccddeeff00ull, 8);
		putle(img, w->seg + 0, 0x01020304, 4);
		put8(img, w->seg + 4, 1);
		put8(img, w->seg + 5, 6);
		putle(img, w->seg + 6, 0, 2);
		putle(img, w->seg + 8, 0xa1a2a3a4, 4);
		put8(img, w->seg + 12, 0);
		put8(img, w->seg + 13, 7);
		putle(img, w->seg + 14, 0, 2);
		blkif_req_decode(abi, img, &d);
		CHECK_EQ(d.ring_op, BLKIF_OP_WRITE);
		CHECK_EQ(d.op, BLKIF_OP_WRITE);
		CHECK_EQ(d.nr_segs, 2);
		CHECK_EQ(d.handle, 0x0a0b);
		CHECK(d.id == 0x1122334455667788ull);
		CHECK(d.sector == 0x99aabbccddeeff00ull);
		CHECK_EQ(d.seg[0].gref, 0x01020304);
		CHECK_EQ(d.seg[0].first_sect, 1);
		CHECK_EQ(d.seg[0].last_sect, 6);
		CHECK_EQ(d.seg[1].gref, 0xa1a2a3a4);
		CHECK_EQ(d.seg[1].first_sect, 0);
		CHECK_EQ(d.seg[1].last_sect, 7);
		CHECK_EQ(d.seg[2].gref, 0);
		CHECK_EQ(d.seg[10].last_sect, 0);
		CHECK_EQ(d.discard_flag, 0);
		CHECK_EQ(d.nr_sectors, 0);
		CHECK_EQ(d.indirect_grefs[0], 0);
		/* encoder: same bytes, with zeroed unused segments */
		memset(img + w->seg + 16, 0, BLKIF_MAX_SEGS * 8 - 16);
		blkif_req_encode(abi, &d, enc);
		CHECK(!memcmp(img, enc, w->req));

		/* direct read claiming 255 segments: 11 decoded, no more */
		memset(img, 0, w->req);
		put8(img, 0, BLKIF_OP_READ);
		put8(img, 1, 255);
		for (unsigned i = 0; i < BLKIF_MAX_SEGS; i++) {
			putle(img, w->seg + 8 * i, 1000 + i, 4);
			put8(img, w->seg + 8 * i + 5, 7);
		}
		blkif_req_decode(abi, img, &d);
		CHECK_EQ(d.nr_segs, 255);
		CHECK_EQ(d.seg[0].gref, 1000);
		CHECK_EQ(d.seg[10].gref, 1010);
		CHECK_EQ(d.seg[10].last_sect, 7);
		/* and the encoder does not write past the slot either */
		blkif_req_encode(abi, &d, enc);
		CHECK_EQ(enc[1], 255);

		/* discard */
		memset(img, 0, w->req);
		put8(img, 0, BLKIF_OP_DISCARD);
		put8(img, 1, BLKIF_DISCARD_SECURE);
		putle(img, 2, 0x0102, 2);
		putle(img, w->id, 0xfeedfacecafebeefull, 8);
		putle(img, w->sector, 0x100000000ull, 8);
		putle(img, w->d_nr, 0x7fffffffffffffffull, 8);
		blkif_req_decode(abi, img, &d);
		CHECK_EQ(d.ring_op, BLKIF_OP_DISCARD);
		CHECK_EQ(d.op, BLKIF_OP_DISCARD);
		CHECK_EQ(d.discard_flag, BLKIF_DISCARD_SECURE);
		CHECK_EQ(d.nr_segs, 0);
		CHECK_EQ(d.handle, 0x0102);
		CHECK(d.id == 0xfeedfacecafebeefull);
		CHECK(d.sector == 0x100000000ull);
		CHECK(d.nr_sectors == 0x7fffffffffffffffull);
		CHECK_EQ(d.seg[0].gref, 0);
		blkif_req_encode(abi, &d, enc);
		CHECK(!memcmp(img, enc, w->req));

		/* indirect */
		memset(img, 0, w->req);
		put8(img, 0, BLKIF_OP_INDIRECT);
		put8(img, 1, BLKIF_OP_WRITE);
		putle(img, 2, 0x0101, 2);	/* 257 segments */
		putle(img, w->id, 0x0807060504030201ull, 8);
		putle(img, w->sector, 0x1234, 8);
		putle(img, w->i_handle, 0x5678, 2);
		for (unsigned i = 0; i < BLKIF_MAX_INDIRECT_PAGES; i++)
			putle(img, w->i_grefs + 4 * i, 0x40302010u + i, 4);
		blkif_req_decode(abi, img, &d);
		CHECK_EQ(d.ring_op, BLKIF_OP_INDIRECT);
		CHECK_EQ(d.op, BLKIF_OP_WRITE);
		CHECK_EQ(d.nr_segs, 257);
		CHECK(d.id == 0x0807060504030201ull);
		CHECK_EQ(d.sector, 0x1234);
		CHECK_EQ(d.handle, 0x5678);
		CHECK_EQ(d.indirect_grefs[0], 0x40302010u);
		CHECK_EQ(d.indirect_grefs[7], 0x40302017u);
		CHECK_EQ(d.seg[0].gref, 0);
		CHECK_EQ(d.nr_sectors, 0);
		blkif_req_encode(abi, &d, enc);
		CHECK(!memcmp(img, enc, w->req));

		/* unknown op: direct layout, fields as written */
		memset(img, 0, w->req);
		put8(img, 0, 0xff);
		put8(img, 1, 3);
		putle(img, w->id, 9, 8);
		blkif_req_decode(abi, img, &d);
		CHECK_EQ(d.ring_op, 0xff);
		CHECK_EQ(d.op, 0xff);
		CHECK_EQ(d.nr_segs, 3);
		CHECK_EQ(d.id, 9);

		free(img);
		free(enc);
	}
}

/* ------------------------------------------------------------------ */

static void test_rsp(void)
{
	static const int16_t statuses[] = {
		BLKIF_RSP_OKAY, BLKIF_RSP_ERROR, BLKIF_RSP_EOPNOTSUPP,
		INT16_MIN, INT16_MAX, 1,
	};

	for (unsigned a = 0; a < NR_ABIS; a++) {
		enum blkif_abi abi = all_abis[a];
		const struct wire *w = wire_of(abi);
		unsigned char *buf = exact(w->rsp, 0xa5);
		uint64_t id;
		uint8_t op;
		int16_t st;

		/* encoding: documented offsets, padding cleared */
		blkif_rsp_encode(abi, buf, 0x0102030405060708ull, BLKIF_OP_WRITE,
				 BLKIF_RSP_ERROR);
		CHECK(getle(buf, 0, 8) == 0x0102030405060708ull);
		CHECK_EQ(buf[8], BLKIF_OP_WRITE);
		CHECK_EQ(buf[9], 0);
		CHECK_EQ(getle(buf, 10, 2), 0xffff);
		for (size_t i = 12; i < w->rsp; i++)
			CHECK_EQ(buf[i], 0);

		blkif_rsp_encode(abi, buf, 1, BLKIF_OP_READ, BLKIF_RSP_EOPNOTSUPP);
		CHECK_EQ(getle(buf, 10, 2), 0xfffe);

		/* decoding a hand-built image */
		memset(buf, 0, w->rsp);
		putle(buf, 0, 0xdeadbeef00c0ffeeull, 8);
		put8(buf, 8, BLKIF_OP_INDIRECT);
		putle(buf, 10, 0xfffe, 2);
		blkif_rsp_decode(abi, buf, &id, &op, &st);
		CHECK(id == 0xdeadbeef00c0ffeeull);
		CHECK_EQ(op, BLKIF_OP_INDIRECT);
		CHECK_EQ(st, BLKIF_RSP_EOPNOTSUPP);

		/* round trips */
		for (unsigned i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
			blkif_rsp_encode(abi, buf, UINT64_MAX - i, (uint8_t)(200 + i),
					 statuses[i]);
			blkif_rsp_decode(abi, buf, &id, &op, &st);
			CHECK(id == UINT64_MAX - i);
			CHECK_EQ(op, 200 + i);
			CHECK_EQ(st, statuses[i]);
		}
		free(buf);
	}
}

static void test_indirect_page(void)
{
	unsigned char *page = exact(4096, 0xee);
	struct blkif_seg s, d;
	struct blkif_limits lim = { .sectors = 1u << 20 };
	uint64_t total;

	for (unsigned i = 0; i < BLKIF_SEGS_PER_INDIRECT_PAGE; i++) {
		s.gref = 0x10000000u + i;
		s.first_sect = (uint8_t)(i % 8);
		s.last_sect = 7;
		blkif_indirect_seg_encode(page, i, &s);
	}
	/* hand check of the first and the last entry */
	CHECK_EQ(getle(page, 0, 4), 0x10000000u);
	CHECK_EQ(page[4], 0);
	CHECK_EQ(page[5], 7);
	CHECK_EQ(getle(page, 4088, 4), 0x10000000u + 511);
	CHECK_EQ(page[4092], 511 % 8);
	CHECK_EQ(page[4093], 7);
	CHECK_EQ(page[4094], 0);	/* padding written as zero */
	CHECK_EQ(page[4095], 0);

	for (unsigned i = 0; i < BLKIF_SEGS_PER_INDIRECT_PAGE; i++) {
		blkif_indirect_seg_decode(page, i, &d);
		CHECK_EQ(d.gref, 0x10000000u + i);
		CHECK_EQ(d.first_sect, i % 8);
		CHECK_EQ(d.last_sect, 7);
	}

	/* hand-built entry 100 */
	putle(page, 800, 0xabcdef01u, 4);
	put8(page, 804, 2);
	put8(page, 805, 3);
	blkif_indirect_seg_decode(page, 100, &d);
	CHECK_EQ(d.gref, 0xabcdef01u);
	CHECK_EQ(d.first_sect, 2);
	CHECK_EQ(d.last_sect, 3);

	/* out of range index: no access past the page, fails closed */
	blkif_indirect_seg_encode(page, BLKIF_SEGS_PER_INDIRECT_PAGE, &s);
	blkif_indirect_seg_decode(page, BLKIF_SEGS_PER_INDIRECT_PAGE, &d);
	CHECK_EQ(blkif_segs_check(&d, 1, 0, &lim, &total), BLKIF_BAD_SECT);
	blkif_indirect_seg_decode(page, UINT_MAX, &d);
	CHECK_EQ(blkif_segs_check(&d, 1, 0, &lim, &total), BLKIF_BAD_SECT);
	free(page);
}

/* ------------------------------------------------------------------ */
/* blkif_req_check: one case per rule */

#define DEV_SECTORS 1000

static struct blkif_limits full_limits(void)
{
	struct blkif_limits l = {
		.sectors = DEV_SECTORS,
		.readonly = 0,
		.can_flush = 1,
		.can_barrier = 1,
		.can_discard = 1,
		.can_discard_secure = 1,
		.can_packet = 1,
		.max_indirect_segs = BLKIF_MAX_INDIRECT_SEGS,
	};
	return l;
}

/* direct request with n whole-page segments */
static struct blkif_req mk(uint8_t op, unsigned n, uint64_t sector)
{
	struct blkif_req r;

	memset(&r, 0, sizeof(r));
	r.ring_op = r.op = op;
	r.nr_segs = (uint16_t)n;
	r.sector = sector;
	r.id = 1;
	for (unsigned i = 0; i < n && i < BLKIF_MAX_SEGS; i++)
		r.seg[i] = (struct blkif_seg){ 100 + i, 0, 7 };
	return r;
}

static struct blkif_req mk_discard(uint8_t flag, uint64_t sector, uint64_t nr)
{
	struct blkif_req r;

	memset(&r, 0, sizeof(r));
	r.ring_op = r.op = BLKIF_OP_DISCARD;
	r.discard_flag = flag;
	r.sector = sector;
	r.nr_sectors = nr;
	return r;
}

static struct blkif_req mk_indirect(uint8_t op, unsigned n, uint64_t sector)
{
	struct blkif_req r;

	memset(&r, 0, sizeof(r));
	r.ring_op = BLKIF_OP_INDIRECT;
	r.op = op;
	r.nr_segs = (uint16_t)n;
	r.sector = sector;
	r.indirect_grefs[0] = 55;
	return r;
}

static void test_check_rw(void)
{
	struct blkif_limits lim = full_limits();
	struct blkif_req r;
	static const uint8_t rw[] = { BLKIF_OP_READ, BLKIF_OP_WRITE };

	for (unsigned k = 0; k < 2; k++) {
		uint8_t op = rw[k];

		/* good */
		r = mk(op, 1, 0);
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
		r = mk(op, BLKIF_MAX_SEGS, 100);
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
		r = mk(op, 1, 5);
		r.seg[0].first_sect = r.seg[0].last_sect = 3; /* 1 sector */
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);

		/* nr_segs */
		r = mk(op, 0, 0);
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);
		r = mk(op, 12, 0);
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);
		r = mk(op, 255, 0);
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);

		/* sectors within a segment */
		r = mk(op, 2, 0);
		r.seg[1].first_sect = 5;
		r.seg[1].last_sect = 4;
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_SECT);
		r = mk(op, 2, 0);
		r.seg[1].last_sect = 8;
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_SECT);
		r = mk(op, 1, 0);
		r.seg[0].first_sect = 8;
		r.seg[0].last_sect = 8;
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_SECT);
		r = mk(op, 1, 0);
		r.seg[0].first_sect = 255;
		r.seg[0].last_sect = 255;
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_SECT);

		/* range */
		r = mk(op, 1, UINT64_MAX);
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RANGE);
		r = mk(op, 1, UINT64_MAX - 7);	/* end wraps to exactly 0 */
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RANGE);
		r = mk(op, 1, DEV_SECTORS - 7);	/* one sector past the end */
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RANGE);
		r = mk(op, 1, DEV_SECTORS - 8);	/* exactly at the end */
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
		r = mk(op, 2, DEV_SECTORS - 16);
		r.seg[1].last_sect = 6;		/* ends 1 sector before */
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
		r = mk(op, 1, DEV_SECTORS);
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RANGE);
		{
			/* an absurd device size cannot allow off_t overflow */
			struct blkif_limits huge = lim;

			huge.sectors = UINT64_MAX;
			r = mk(op, 1, UINT64_MAX - 100);
			CHECK_EQ(blkif_req_check(&r, &huge), BLKIF_BAD_RANGE);
			r = mk(op, 1, ((uint64_t)INT64_MAX >> 9) - 8);
			CHECK_EQ(blkif_req_check(&r, &huge), BLKIF_OK);
			r = mk(op, 1, ((uint64_t)INT64_MAX >> 9) - 7);
			CHECK_EQ(blkif_req_check(&r, &huge), BLKIF_BAD_RANGE);
		}
		{
			/* empty device (CD without media) */
			struct blkif_limits empty = lim;

			empty.sectors = 0;
			r = mk(op, 1, 0);
			CHECK_EQ(blkif_req_check(&r, &empty), BLKIF_BAD_RANGE);
		}
	}

	/* read-only device */
	lim.readonly = 1;
	r = mk(BLKIF_OP_WRITE, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RDONLY);
	r = mk(BLKIF_OP_READ, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	/* malformed beats read-only */
	r = mk(BLKIF_OP_WRITE, 0, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);

	/* op and ring_op disagree (not possible from decode) */
	lim.readonly = 0;
	r = mk(BLKIF_OP_READ, 1, 0);
	r.op = BLKIF_OP_WRITE;
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_OP);
}

/* FLUSH_DISKCACHE and WRITE_BARRIER share the rules */
static void check_flush_like(uint8_t op, int is_barrier)
{
	struct blkif_limits lim = full_limits();
	struct blkif_req r;

	r = mk(op, 0, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk(op, 0, UINT64_MAX);	/* sector unused without data */
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk(op, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk(op, BLKIF_MAX_SEGS, DEV_SECTORS - 88);	/* exactly at end */
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);

	r = mk(op, 12, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);
	r = mk(op, 255, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);
	r = mk(op, 1, 0);
	r.seg[0].first_sect = 7;
	r.seg[0].last_sect = 6;
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_SECT);
	r = mk(op, 1, 0);
	r.seg[0].last_sect = 8;
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_SECT);
	r = mk(op, 1, DEV_SECTORS - 7);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RANGE);
	r = mk(op, 1, UINT64_MAX);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RANGE);

	/* read-only: refused with or without data */
	lim.readonly = 1;
	r = mk(op, 0, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RDONLY);
	r = mk(op, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RDONLY);

	/* not offered: EOPNOTSUPP, even when also read-only or malformed */
	lim = full_limits();
	if (is_barrier)
		lim.can_barrier = 0;
	else
		lim.can_flush = 0;
	r = mk(op, 0, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_UNSUPPORTED);
	r = mk(op, 255, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_UNSUPPORTED);
	lim.readonly = 1;
	r = mk(op, 0, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_UNSUPPORTED);

	/* the other flavour being off does not matter */
	lim = full_limits();
	if (is_barrier)
		lim.can_flush = 0;
	else
		lim.can_barrier = 0;
	r = mk(op, 0, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
}

static void test_check_flush(void)
{
	check_flush_like(BLKIF_OP_FLUSH_DISKCACHE, 0);
	check_flush_like(BLKIF_OP_WRITE_BARRIER, 1);
}

static void test_check_discard(void)
{
	struct blkif_limits lim = full_limits();
	struct blkif_req r;
	uint64_t maxend = (uint64_t)INT64_MAX >> 9;

	r = mk_discard(0, 0, DEV_SECTORS);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk_discard(0, 10, 20);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk_discard(0, DEV_SECTORS - 1, 1);	/* exactly at the end */
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);

	/* 0 sectors: a no-op, accepted while sector <= size */
	r = mk_discard(0, 0, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk_discard(0, DEV_SECTORS, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk_discard(0, DEV_SECTORS + 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RANGE);

	/* past the end by one sector */
	r = mk_discard(0, DEV_SECTORS - 1, 2);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RANGE);
	r = mk_discard(0, 0, DEV_SECTORS + 1);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RANGE);

	/* overflowing end: malformed discard */
	r = mk_discard(0, UINT64_MAX, 1);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_DISCARD);
	r = mk_discard(0, 1, UINT64_MAX);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_DISCARD);
	r = mk_discard(0, UINT64_MAX, UINT64_MAX);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_DISCARD);
	r = mk_discard(0, 1ull << 63, 1ull << 63);	/* wraps to exactly 0 */
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_DISCARD);
	r = mk_discard(0, maxend, 1);	/* no u64 wrap, but no off_t either */
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_DISCARD);
	r = mk_discard(0, maxend - 1, 1);	/* representable, past end */
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RANGE);

	/* secure erase */
	r = mk_discard(BLKIF_DISCARD_SECURE, 0, 8);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	lim.can_discard_secure = 0;
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_DISCARD);
	r = mk_discard(0, 0, 8);			/* plain still fine */
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk_discard(0x2, 0, 8);			/* unknown flag bit ignored */
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk_discard(0xff, 0, 8);			/* includes SECURE */
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_DISCARD);

	/* read-only */
	lim = full_limits();
	lim.readonly = 1;
	r = mk_discard(0, 0, 8);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RDONLY);
	r = mk_discard(0, 0, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RDONLY);

	/* not offered */
	lim = full_limits();
	lim.can_discard = 0;
	r = mk_discard(0, 0, 8);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_UNSUPPORTED);
	r = mk_discard(BLKIF_DISCARD_SECURE, UINT64_MAX, UINT64_MAX);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_UNSUPPORTED);
}

static void test_check_indirect(void)
{
	struct blkif_limits lim = full_limits();
	struct blkif_req r;
	static const uint8_t bad_ops[] = {
		BLKIF_OP_WRITE_BARRIER, BLKIF_OP_FLUSH_DISKCACHE,
		BLKIF_OP_PACKET, BLKIF_OP_DISCARD, BLKIF_OP_INDIRECT, 7, 255,
	};

	r = mk_indirect(BLKIF_OP_READ, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk_indirect(BLKIF_OP_WRITE, BLKIF_MAX_INDIRECT_SEGS, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk_indirect(BLKIF_OP_WRITE, 12, 0);	/* more than direct allows */
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);

	/* indirect_op */
	for (unsigned i = 0; i < sizeof(bad_ops); i++) {
		r = mk_indirect(bad_ops[i], 1, 0);
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_INDIRECT_OP);
	}

	/* segment counts */
	r = mk_indirect(BLKIF_OP_READ, 0, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);
	r = mk_indirect(BLKIF_OP_READ, BLKIF_MAX_INDIRECT_SEGS + 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);
	r = mk_indirect(BLKIF_OP_READ, 0xffff, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);
	lim.max_indirect_segs = 32;		/* what was advertised counts */
	r = mk_indirect(BLKIF_OP_READ, 32, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk_indirect(BLKIF_OP_READ, 33, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);
	lim.max_indirect_segs = 0xffff;		/* capped by 8 pages of 512 */
	lim.sectors = 1u << 20;
	r = mk_indirect(BLKIF_OP_READ, 4096, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk_indirect(BLKIF_OP_READ, 4097, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);

	/* lower bound on the range: each segment is at least a sector */
	lim = full_limits();
	r = mk_indirect(BLKIF_OP_READ, 2, DEV_SECTORS - 2);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk_indirect(BLKIF_OP_READ, 2, DEV_SECTORS - 1);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RANGE);
	r = mk_indirect(BLKIF_OP_READ, 1, UINT64_MAX);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RANGE);

	/* read-only */
	lim.readonly = 1;
	r = mk_indirect(BLKIF_OP_WRITE, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_RDONLY);
	r = mk_indirect(BLKIF_OP_READ, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);

	/* not offered */
	lim = full_limits();
	lim.max_indirect_segs = 0;
	r = mk_indirect(BLKIF_OP_READ, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_UNSUPPORTED);
	r = mk_indirect(99, 0, UINT64_MAX);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_UNSUPPORTED);
}

static void test_check_packet(void)
{
	struct blkif_limits lim = full_limits();
	struct blkif_req r;

	r = mk(BLKIF_OP_PACKET, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);
	r = mk(BLKIF_OP_PACKET, 1, 12345678);	/* sector: CD code's business */
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);

	r = mk(BLKIF_OP_PACKET, 0, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);
	r = mk(BLKIF_OP_PACKET, 2, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);
	r = mk(BLKIF_OP_PACKET, 255, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_NSEGS);
	r = mk(BLKIF_OP_PACKET, 1, 0);
	r.seg[0].first_sect = 1;
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_SECT);
	r = mk(BLKIF_OP_PACKET, 1, 0);
	r.seg[0].last_sect = 6;
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_SECT);
	r = mk(BLKIF_OP_PACKET, 1, 0);
	r.seg[0].last_sect = 8;
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_SECT);

	/* CD media are read-only: packets still go through */
	lim.readonly = 1;
	r = mk(BLKIF_OP_PACKET, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_OK);

	/* not offered */
	lim = full_limits();
	lim.can_packet = 0;
	r = mk(BLKIF_OP_PACKET, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_UNSUPPORTED);
	r = mk(BLKIF_OP_PACKET, 0, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_UNSUPPORTED);
}

static void test_check_unknown_ops(void)
{
	struct blkif_limits lim = full_limits();
	struct blkif_req r;

	r = mk(7, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_OP);
	r = mk(255, 1, 0);
	CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_OP);
	for (unsigned op = 7; op < 256; op++) {
		r = mk((uint8_t)op, 0, 0);
		CHECK_EQ(blkif_req_check(&r, &lim), BLKIF_BAD_OP);
	}
	CHECK_EQ(blkif_bad_status(BLKIF_BAD_OP), BLKIF_RSP_EOPNOTSUPP);
}

/* From a hostile byte image through decode into check, in every ABI. */
static void test_check_from_wire(void)
{
	struct blkif_limits lim = full_limits();

	for (unsigned a = 0; a < NR_ABIS; a++) {
		enum blkif_abi abi = all_abis[a];
		const struct wire *w = wire_of(abi);
		unsigned char *img = exact(w->req, 0xff);
		struct blkif_req d;

		/* all 0xff: op 255 */
		blkif_req_decode(abi, img, &d);
		CHECK_EQ(blkif_req_check(&d, &lim), BLKIF_BAD_OP);

		/* READ with 255 segments, all otherwise valid */
		memset(img, 0, w->req);
		put8(img, 0, BLKIF_OP_READ);
		put8(img, 1, 255);
		for (unsigned i = 0; i < BLKIF_MAX_SEGS; i++)
			put8(img, w->seg + 8 * i + 5, 7);
		blkif_req_decode(abi, img, &d);
		CHECK_EQ(blkif_req_check(&d, &lim), BLKIF_BAD_NSEGS);

		/* the same with 11: fine */
		put8(img, 1, 11);
		blkif_req_decode(abi, img, &d);
		CHECK_EQ(blkif_req_check(&d, &lim), BLKIF_OK);

		/* last segment ends at sector 8 */
		put8(img, w->seg + 8 * 10 + 5, 8);
		blkif_req_decode(abi, img, &d);
		CHECK_EQ(blkif_req_check(&d, &lim), BLKIF_BAD_SECT);

		/* indirect with indirect_op 3 */
		memset(img, 0, w->req);
		put8(img, 0, BLKIF_OP_INDIRECT);
		put8(img, 1, BLKIF_OP_FLUSH_DISKCACHE);
		putle(img, 2, 1, 2);
		blkif_req_decode(abi, img, &d);
		CHECK_EQ(blkif_req_check(&d, &lim), BLKIF_BAD_INDIRECT_OP);

		/* discard wrapping the sector space */
		memset(img, 0, w->req);
		put8(img, 0, BLKIF_OP_DISCARD);
		putle(img, w->sector, 2, 8);
		putle(img, w->d_nr, UINT64_MAX - 1, 8);
		blkif_req_decode(abi, img, &d);
		CHECK_EQ(blkif_req_check(&d, &lim), BLKIF_BAD_DISCARD);
		free(img);
	}
}

static void test_segs_check(void)
{
	struct blkif_limits lim = full_limits();
	struct blkif_seg s[600];
	uint64_t total;

	for (unsigned i = 0; i < 600; i++)
		s[i] = (struct blkif_seg){ i, 0, 7 };

	total = 99;
	CHECK_EQ(blkif_segs_check(s, 0, 0, &lim, &total), BLKIF_BAD_NSEGS);
	CHECK_EQ(total, 0);

	CHECK_EQ(blkif_segs_check(s, 3, 0, &lim, &total), BLKIF_OK);
	CHECK_EQ(total, 24);
	CHECK_EQ(blkif_segs_check(s, 3, 0, &lim, NULL), BLKIF_OK);

	s[1].first_sect = 2;
	s[1].last_sect = 5;
	s[2].first_sect = 7;
	CHECK_EQ(blkif_segs_check(s, 3, 10, &lim, &total), BLKIF_OK);
	CHECK_EQ(total, 8 + 4 + 1);

	/* bad segment anywhere, even the last one */
	s[2].first_sect = 0;
	s[2].last_sect = 8;
	total = 99;
	CHECK_EQ(blkif_segs_check(s, 3, 0, &lim, &total), BLKIF_BAD_SECT);
	CHECK_EQ(total, 0);
	s[2].first_sect = 6;
	s[2].last_sect = 5;
	CHECK_EQ(blkif_segs_check(s, 3, 0, &lim, &total), BLKIF_BAD_SECT);
	CHECK_EQ(blkif_segs_check(s, 2, 0, &lim, &total), BLKIF_OK); /* not read */
	s[1] = s[2] = (struct blkif_seg){ 1, 0, 7 };

	/* a whole indirect page and then some */
	lim.sectors = 1u << 20;
	CHECK_EQ(blkif_segs_check(s, 512, 0, &lim, &total), BLKIF_OK);
	CHECK_EQ(total, 4096);
	CHECK_EQ(blkif_segs_check(s, 600, 0, &lim, &total), BLKIF_OK);
	CHECK_EQ(total, 4800);

	/* range */
	lim.sectors = 4096;
	CHECK_EQ(blkif_segs_check(s, 512, 0, &lim, &total), BLKIF_OK);
	CHECK_EQ(blkif_segs_check(s, 512, 1, &lim, &total), BLKIF_BAD_RANGE);
	CHECK_EQ(blkif_segs_check(s, 1, 4088, &lim, &total), BLKIF_OK);
	CHECK_EQ(blkif_segs_check(s, 1, 4089, &lim, &total), BLKIF_BAD_RANGE);
	CHECK_EQ(blkif_segs_check(s, 1, UINT64_MAX, &lim, &total), BLKIF_BAD_RANGE);
	CHECK_EQ(blkif_segs_check(s, 512, UINT64_MAX - 4095, &lim, &total),
		 BLKIF_BAD_RANGE);
	CHECK_EQ(total, 0);
}

static void test_bad_names(void)
{
	for (int b = 0; b < BLKIF_BAD__COUNT; b++) {
		const char *n = blkif_bad_name((enum blkif_bad)b);

		CHECK(n && *n);
		CHECK(strcmp(n, "unknown"));
		for (int c = 0; c < b; c++)
			CHECK(strcmp(n, blkif_bad_name((enum blkif_bad)c)));
		/* short, no spaces: usable as a counter name */
		CHECK(strlen(n) <= 16 && !strchr(n, ' '));
	}
	CHECK(!strcmp(blkif_bad_name(BLKIF_BAD__COUNT), "unknown"));
	CHECK(!strcmp(blkif_bad_name((enum blkif_bad)-1), "unknown"));

	CHECK_EQ(blkif_bad_status(BLKIF_OK), BLKIF_RSP_OKAY);
	CHECK_EQ(blkif_bad_status(BLKIF_BAD_OP), BLKIF_RSP_EOPNOTSUPP);
	CHECK_EQ(blkif_bad_status(BLKIF_BAD_UNSUPPORTED), BLKIF_RSP_EOPNOTSUPP);
	CHECK_EQ(blkif_bad_status(BLKIF_BAD_NSEGS), BLKIF_RSP_ERROR);
	CHECK_EQ(blkif_bad_status(BLKIF_BAD_SECT), BLKIF_RSP_ERROR);
	CHECK_EQ(blkif_bad_status(BLKIF_BAD_RANGE), BLKIF_RSP_ERROR);
	CHECK_EQ(blkif_bad_status(BLKIF_BAD_RDONLY), BLKIF_RSP_ERROR);
	CHECK_EQ(blkif_bad_status(BLKIF_BAD_INDIRECT_OP), BLKIF_RSP_ERROR);
	CHECK_EQ(blkif_bad_status(BLKIF_BAD_DISCARD), BLKIF_RSP_ERROR);
}

/* ------------------------------------------------------------------ */

static void test_prod_overflow(void)
{
	CHECK(!blkif_prod_overflow(0, 0, 32));
	CHECK(!blkif_prod_overflow(1, 0, 32));
	CHECK(!blkif_prod_overflow(32, 0, 32));
	CHECK(blkif_prod_overflow(33, 0, 32));
	CHECK(!blkif_prod_overflow(1000 + 512, 1000, 512));
	CHECK(blkif_prod_overflow(1000 + 513, 1000, 512));

	/* wrap-around of the free-running indices */
	CHECK(!blkif_prod_overflow(26, UINT32_MAX - 5, 32));	/* 32 ahead */
	CHECK(blkif_prod_overflow(27, UINT32_MAX - 5, 32));	/* 33 ahead */
	CHECK(!blkif_prod_overflow(0, UINT32_MAX, 32));
	CHECK(!blkif_prod_overflow(UINT32_MAX, UINT32_MAX - 32, 32));
	CHECK(blkif_prod_overflow(UINT32_MAX, UINT32_MAX - 33, 32));

	/* producer moved backwards: a huge distance */
	CHECK(blkif_prod_overflow(9, 10, 32));
	CHECK(blkif_prod_overflow(UINT32_MAX, 0, 32));
	CHECK(blkif_prod_overflow(0x80000000u, 0, 512));
}

static void test_need_notify(void)
{
	/* nothing produced: never */
	CHECK(!blkif_need_notify(5, 5, 5));
	CHECK(!blkif_need_notify(5, 5, 6));

	/* event in (old, new] */
	CHECK(blkif_need_notify(0, 1, 1));
	CHECK(!blkif_need_notify(0, 1, 0));	/* peer already saw old */
	CHECK(!blkif_need_notify(0, 1, 2));	/* peer wants a later one */
	for (uint32_t ev = 0; ev < 20; ev++)
		CHECK_EQ(blkif_need_notify(5, 10, ev), ev > 5 && ev <= 10);

	/* wrap-around */
	CHECK(blkif_need_notify(UINT32_MAX - 1, 2, UINT32_MAX));
	CHECK(blkif_need_notify(UINT32_MAX - 1, 2, 0));
	CHECK(blkif_need_notify(UINT32_MAX - 1, 2, 2));
	CHECK(!blkif_need_notify(UINT32_MAX - 1, 2, UINT32_MAX - 1));
	CHECK(!blkif_need_notify(UINT32_MAX - 1, 2, 3));
	CHECK(blkif_need_notify(UINT32_MAX, 0, 0));
	CHECK(!blkif_need_notify(UINT32_MAX, 0, UINT32_MAX));
	CHECK(!blkif_need_notify(UINT32_MAX, 0, 1));
}

int main(void)
{
	test_abi_names();
	test_sizes();
	test_ring_size();
	test_ring_helpers();
	test_roundtrip();
	test_decode_images();
	test_rsp();
	test_indirect_page();
	test_check_rw();
	test_check_flush();
	test_check_discard();
	test_check_indirect();
	test_check_packet();
	test_check_unknown_ops();
	test_check_from_wire();
	test_segs_check();
	test_bad_names();
	test_prod_overflow();
	test_need_notify();
	return check_exit("test-blkif");
}
