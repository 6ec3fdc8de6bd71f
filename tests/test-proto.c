/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-proto: the control protocol codec (td-proto.c) and libtapctl.
 * 1. round trips of every message the tools send, and a golden frame;
 * 2. one hand-built frame per malformed case the decoder must refuse;
 * 3. a deterministic mutation loop over valid frames (run it under ASAN):
 *    decode succeeds or fails cleanly, and what decodes re-encodes stably;
 * 4. tapctl_call against an in-test server thread (reply, failure with
 *    MESSAGE, wrong seq / type, silence, hang-up, garbage), and the
 *    one-shot wrappers through a real socket under $TAPCTL_CONTROL_DIR.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "tapctl.h"
#include "td-proto.h"

#define MUTATION_ITERS 200000
#define REPLY(t) ((t) | TD_MSG_REPLY)

static uint8_t *frame;			/* TD_PROTO_MAX_FRAME bytes */
static struct td_msg *ma, *mb, *mc;	/* scratch messages */

/* ---- helpers ---- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* Decode a copy of exactly len bytes, so ASAN sees any over-read. */
static int decode_exact(const uint8_t *buf, size_t len, struct td_msg *m)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, buf, len);
	rc = td_msg_decode(copy, len, m);
	free(copy);
	return rc;
}

/*
 * Sources are built on zeroed memory (td_msg_init) and the decoder zeroes
 * what it fills, so whole-struct compares are exact, padding included.
 */
static void check_msg_eq(const struct td_msg *a, const struct td_msg *b)
{
	uint64_t vbd_bit = a->nr_vbds ? UINT64_C(1) << TD_A_VBD : 0;
	size_t from = offsetof(struct td_msg, status);

	CHECK_EQ(a->type, b->type);
	CHECK_EQ(a->seq, b->seq);
	CHECK_EQ(a->present | vbd_bit, b->present);
	CHECK(!memcmp((const char *)a + from, (const char *)b + from,
		      offsetof(struct td_msg, vbds) - from));
	CHECK_EQ(a->nr_vbds, b->nr_vbds);
	for (uint32_t i = 0; i < a->nr_vbds && i < TD_MAX_VBDS; i++) {
		if (memcmp(&a->vbds[i], &b->vbds[i], sizeof(a->vbds[i])))
			fprintf(stderr, "vbd %u differs\n", i);
		CHECK(!memcmp(&a->vbds[i], &b->vbds[i], sizeof(a->vbds[i])));
	}
}

/* Encode m, check the measured length, decode into mb and compare. */
static void roundtrip(const struct td_msg *m)
{
	int len = td_msg_encode(m, frame, TD_PROTO_MAX_FRAME);

	CHECK(len >= (int)TD_PROTO_HDR_SIZE);
	if (len < 0)
		return;
	CHECK_EQ(td_msg_encode(m, NULL, 0), len);
	CHECK_EQ(td_msg_frame_len(frame, (size_t)len), len);
	CHECK_EQ(decode_exact(frame, (size_t)len, mb), 0);
	check_msg_eq(m, mb);
}

/* ---- message builders ---- */

static void build_status_reply(struct td_msg *m, uint32_t nvbd)
{
	td_msg_init(m, REPLY(TD_MSG_STATUS), 42);
	td_msg_set_u32(m, TD_A_STATUS, 0);
	td_msg_set_u32(m, TD_A_PID, 4242);
	CHECK_EQ(td_msg_set_str(m, TD_A_ENGINE, "io_uring"), 0);
	CHECK_EQ(td_msg_set_str(m, TD_A_XENIO, "sim"), 0);
	m->nr_vbds = nvbd;
	for (uint32_t i = 0; i < nvbd; i++) {
		struct td_vbd_status *v = &m->vbds[i];

		v->minor = i;
		v->state = TD_VBD_S_OPEN | (i & 1 ? TD_VBD_S_PAUSED : 0);
		v->flags = i & 1 ? TD_F_CDROM | TD_F_RDONLY : 0;
		snprintf(v->params, sizeof(v->params), "aio:/img/disk%u.img", i);
		v->size = (UINT64_C(1) << 40) + i;
		v->sector_size = 512;
		v->phys_sector_size = 4096;
		v->info = i & 1;
		v->features = TD_FEAT_FLUSH | TD_FEAT_DISCARD;
		v->max_indirect = 256;
		v->nr_counters = i ? TD_STAT__COUNT : 0;
		for (uint32_t c = 0; c < v->nr_counters; c++)
			v->counters[c] = UINT64_MAX - c - i;
		v->nr_rings = i == 2 ? TD_MAX_RINGS : i % 5;
		for (uint32_t q = 0; q < v->nr_rings; q++) {
			struct td_ring_status *r = &v->rings[q];

			*r = (struct td_ring_status){
				.domid = 7, .devid = 51712 + i, .queue = q,
				.ring_order = q % 5, .ring_size = 32u << (q % 5),
				.abi = q % 3, .evtchn = 40 + q,
				.state = TD_RING_S_CONNECTED,
				.nr_counters = q % 2 ? TD_STAT__COUNT : 3,
			};
			for (uint32_t c = 0; c < r->nr_counters; c++)
				r->counters[c] = (UINT64_C(0xfeed) << 40) + q * 100 + c;
		}
	}
}

static void build_ring_connect(struct td_msg *m, uint32_t order)
{
	static const uint32_t attrs[][2] = {
		{ TD_A_MINOR, 3 }, { TD_A_DOMID, 12 }, { TD_A_DEVID, 768 },
		{ TD_A_QUEUE, 1 }, { TD_A_EVTCHN, 33 }, { TD_A_ABI, 2 },
		{ TD_A_FLAGS, 0 },
	};
	uint32_t refs[TD_MAX_RING_REFS];

	td_msg_init(m, TD_MSG_RING_CONNECT, 9);
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		td_msg_set_u32(m, attrs[i][0], attrs[i][1]);
	for (uint32_t i = 0; i < TD_MAX_RING_REFS; i++)
		refs[i] = 0x80000000u + i * 7;
	td_msg_set_u32(m, TD_A_RING_ORDER, order);
	CHECK_EQ(td_msg_set_ring_refs(m, refs, 1u << order), 0);
}

static void build_fail_reply(struct td_msg *m, uint16_t type, const char *msg)
{
	td_msg_init(m, REPLY(type), 77);
	td_msg_set_u32(m, TD_A_STATUS, (uint32_t)-ENOENT);
	CHECK_EQ(td_msg_set_str(m, TD_A_MESSAGE, msg), 0);
}

/* ---- 1. round trips ---- */

static void test_roundtrip(void)
{
	char big[TD_PARAMS_MAX];

	td_msg_init(ma, TD_MSG_STATUS, 1);
	roundtrip(ma);
	td_msg_set_u32(ma, TD_A_MINOR, 5);
	roundtrip(ma);
	for (uint32_t n = 0; n <= TD_MAX_VBDS; n += n < 5 ? 5 : TD_MAX_VBDS - 5) {
		build_status_reply(ma, n);
		roundtrip(ma);
	}
	CHECK_EQ(mb->vbds[2].nr_rings, TD_MAX_RINGS);
	CHECK_EQ(mb->vbds[1].rings[0].nr_counters, 3);

	td_msg_init(ma, TD_MSG_VBD_OPEN, 2);
	td_msg_set_u32(ma, TD_A_MINOR, 0);
	CHECK_EQ(td_msg_set_str(ma, TD_A_PARAMS, "aio:/var/lib/img/a b.iso"), 0);
	td_msg_set_u32(ma, TD_A_FLAGS, TD_F_RDONLY | TD_F_CDROM);
	roundtrip(ma);
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ(td_msg_set_str(ma, TD_A_PARAMS, big), 0);
	roundtrip(ma);
	td_msg_init(ma, TD_MSG_VBD_OPEN, 2);
	td_msg_set_str(ma, TD_A_PARAMS, "");
	roundtrip(ma);

	td_msg_init(ma, TD_MSG_VBD_CLOSE, UINT32_MAX);
	td_msg_set_u32(ma, TD_A_MINOR, UINT32_MAX);
	td_msg_set_u32(ma, TD_A_FLAGS, TD_F_FORCE);
	roundtrip(ma);

	build_ring_connect(ma, 0);
	roundtrip(ma);
	CHECK_EQ(mb->nr_ring_refs, 1);
	build_ring_connect(ma, 4);
	roundtrip(ma);
	CHECK_EQ(mb->nr_ring_refs, 16);
	CHECK_EQ(mb->ring_refs[15], 0x80000000u + 15 * 7);

	td_msg_init(ma, TD_MSG_RING_DISCONNECT, 3);
	td_msg_set_u32(ma, TD_A_MINOR, 3);
	roundtrip(ma);
	td_msg_set_u32(ma, TD_A_QUEUE, 2);
	roundtrip(ma);

	build_fail_reply(ma, TD_MSG_VBD_OPEN, "cannot open /x: No such file");
	roundtrip(ma);
	CHECK_EQ(mb->status, -ENOENT);
	big[TD_MSG_MAX - 1] = '\0';
	build_fail_reply(ma, TD_MSG_RING_CONNECT, big);
	roundtrip(ma);
	td_msg_init(ma, REPLY(TD_MSG_VBD_CLOSE), 8);
	td_msg_set_u32(ma, TD_A_STATUS, 0);
	roundtrip(ma);

	/* Unknown message types decode; the server answers -EOPNOTSUPP. */
	td_msg_init(ma, 200, 5);
	td_msg_set_u32(ma, TD_A_MINOR, 1);
	roundtrip(ma);

	CHECK(!strcmp(td_msg_type_name(TD_MSG_STATUS), "status"));
	CHECK(!strcmp(td_msg_type_name(REPLY(TD_MSG_RING_CONNECT)), "ring-connect"));
	CHECK(!strcmp(td_msg_type_name(0), "unknown"));
	CHECK(!strcmp(td_msg_type_name(999), "unknown"));
	for (unsigned i = 0; i < TD_STAT__COUNT; i++)	/* every counter named */
		CHECK(strcmp(tapctl_stat_name(i), "unknown"));
	CHECK(!strcmp(tapctl_stat_name(TD_STAT_FLUSH_DONE), "flush_done"));
	CHECK(!strcmp(tapctl_stat_name(TD_STAT__COUNT), "unknown"));
}

/* The exact bytes of one frame: the format is the contract. */
static void test_golden(void)
{
	static const uint8_t want[] = {
		0x58, 0x54, 0x41, 0x50, 0x01, 0x00, 0x03, 0x00, /* XTAP v1 CLOSE */
		0x04, 0x03, 0x02, 0x01, 0x1a, 0x00, 0x00, 0x00, /* seq, len 26 */
		0x02, 0x00, 0x06, 0x00, 'b', 'u', 's', 'y', '!', '?', /* MSG */
		0x03, 0x00, 0x04, 0x00, 0x07, 0x00, 0x00, 0x00, /* MINOR 7 */
		0x05, 0x00, 0x04, 0x00, 0x04, 0x00, 0x00, 0x00, /* FLAGS FORCE */
	};

	td_msg_init(ma, TD_MSG_VBD_CLOSE, 0x01020304);
	td_msg_set_u32(ma, TD_A_FLAGS, TD_F_FORCE);
	td_msg_set_u32(ma, TD_A_MINOR, 7);
	td_msg_set_str(ma, TD_A_MESSAGE, "busy!?");
	/* Attributes come out in tag order: MESSAGE (2) first. */
	CHECK_EQ(td_msg_encode(ma, frame, 64), (int)sizeof(want));
	CHECK(!memcmp(frame, want, sizeof(want)));
	CHECK_EQ(td_msg_decode(want, sizeof(want), mb), 0);
	check_msg_eq(ma, mb);
}

static void test_encode_errors(void)
{
	uint32_t refs[17] = { 0 };

	td_msg_init(ma, TD_MSG_VBD_OPEN, 1);
	td_msg_set_str(ma, TD_A_PARAMS, "aio:/a");
	CHECK_EQ(td_msg_encode(ma, frame, 16), -ENOSPC);
	CHECK_EQ(td_msg_encode(ma, frame, 25), -ENOSPC);
	CHECK_EQ(td_msg_encode(ma, frame, 26), 26);
	CHECK_EQ(td_msg_set_str(ma, TD_A_ENGINE, "0123456789abcdef"), -E2BIG);
	CHECK_EQ(td_msg_set_str(ma, TD_A_SIZE, "x"), -EINVAL);
	CHECK_EQ(td_msg_set_ring_refs(ma, refs, 0), -EINVAL);
	CHECK_EQ(td_msg_set_ring_refs(ma, refs, 17), -EINVAL);
	td_msg_set_u32(ma, TD_A_SIZE, 1);	/* not a top-level U32: ignored */
	CHECK(!TD_HAS(ma, TD_A_SIZE));

	/* A valid message with one field spoilt: -EINVAL. */
#define SPOILT(build, spoil)                                                  \
	do {                                                                  \
		build;                                                        \
		spoil;                                                        \
		CHECK_EQ(td_msg_encode(ma, frame, TD_PROTO_MAX_FRAME), -EINVAL); \
	} while (0)
	SPOILT(build_ring_connect(ma, 2), ma->ring_order = 5);
	SPOILT(build_ring_connect(ma, 2), ma->nr_ring_refs = 0);
	SPOILT(build_ring_connect(ma, 2), ma->nr_ring_refs = 17);
	SPOILT(build_status_reply(ma, 3), ma->status = 1);
	SPOILT(build_status_reply(ma, 3), ma->status = -4096);
	SPOILT(build_status_reply(ma, 3), ma->present |= UINT64_C(1) << TD_A_SIZE);
	SPOILT(build_status_reply(ma, 3), ma->present |= UINT64_C(1) << 40);
	SPOILT(build_status_reply(ma, 3), ma->present |= 1);
	SPOILT(build_status_reply(ma, 3), ma->type = TD_MSG_STATUS);
	SPOILT(build_status_reply(ma, 3), ma->nr_vbds = TD_MAX_VBDS + 1);
	SPOILT(build_status_reply(ma, 3), ma->vbds[1].nr_rings = TD_MAX_RINGS + 1);
	SPOILT(build_status_reply(ma, 3), ma->vbds[1].nr_counters = TD_STAT__COUNT + 1);
	SPOILT(build_status_reply(ma, 3),
	       ma->vbds[1].rings[0].nr_counters = TD_STAT__COUNT + 1);
	SPOILT(build_status_reply(ma, 3), ma->vbds[2].rings[3].ring_order = 5);
	SPOILT(build_status_reply(ma, 3), memset(ma->engine, 'e', 16));
	SPOILT(build_status_reply(ma, 3),
	       memset(ma->vbds[0].params, 'p', TD_PARAMS_MAX));

	/* 64 VBDs with maximal params exceed the payload limit. */
	build_status_reply(ma, TD_MAX_VBDS);
	for (uint32_t i = 0; i < TD_MAX_VBDS; i++) {
		memset(ma->vbds[i].params, 'z', TD_PARAMS_MAX - 1);
		ma->vbds[i].params[TD_PARAMS_MAX - 1] = '\0';
	}
	CHECK_EQ(td_msg_encode(ma, NULL, 0), -EMSGSIZE);
	CHECK_EQ(td_msg_encode(ma, frame, TD_PROTO_MAX_FRAME), -EMSGSIZE);
}

/* ---- 2. malformed frames ---- */

/* A frame under construction, built byte by byte. */
static struct fb {
	uint8_t b[80 * 1024];
	size_t n;
} *fb;

static void fb_init(uint16_t type)
{
	memset(fb->b, 0, TD_PROTO_HDR_SIZE);
	put32(fb->b, TD_PROTO_MAGIC);
	put16(fb->b + 4, TD_PROTO_VERSION);
	put16(fb->b + 6, type);
	fb->n = TD_PROTO_HDR_SIZE;
}

static void fb_attr(uint16_t tag, uint16_t len, const void *val)
{
	put16(fb->b + fb->n, tag);
	put16(fb->b + fb->n + 2, len);
	memcpy(fb->b + fb->n + 4, val, len);
	fb->n += 4u + len;
}

static void fb_u32(uint16_t tag, uint32_t v)
{
	uint8_t le[4];

	put32(le, v);
	fb_attr(tag, 4, le);
}

/* Nested attribute: fb_nest() opens it, fb_nest_end() sets its length. */
static size_t fb_nest(uint16_t tag)
{
	fb_attr(tag, 0, "");
	return fb->n - 4;
}

static void fb_nest_end(size_t start)
{
	put16(fb->b + start + 2, (uint16_t)(fb->n - start - 4));
}

/* Patch the length field and decode into mb. */
static int fb_decode(void)
{
	put32(fb->b + 12, (uint32_t)(fb->n - TD_PROTO_HDR_SIZE));
	return decode_exact(fb->b, fb->n, mb);
}

static void test_bad_header(void)
{
	fb_init(TD_MSG_STATUS);
	fb_u32(TD_A_MINOR, 1);
	CHECK_EQ(fb_decode(), 0);
	fb->b[0] ^= 1;				/* magic */
	CHECK_EQ(decode_exact(fb->b, fb->n, mb), -EBADMSG);
	fb->b[0] ^= 1;
	for (uint16_t ver = 0; ver <= 2; ver += 2) {
		put16(fb->b + 4, ver);
		CHECK_EQ(decode_exact(fb->b, fb->n, mb), -EPROTONOSUPPORT);
	}
	put16(fb->b + 4, TD_PROTO_VERSION);
	static const uint32_t bad_len[] = {
		0, 7, 9, TD_PROTO_MAX_PAYLOAD, TD_PROTO_MAX_PAYLOAD + 1, UINT32_MAX,
	};
	for (size_t i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		put32(fb->b + 12, bad_len[i]);
		CHECK_EQ(decode_exact(fb->b, fb->n, mb), -EBADMSG);
	}
	CHECK_EQ(decode_exact(fb->b, 15, mb), -EBADMSG);
	CHECK_EQ(decode_exact(fb->b, 0, mb), -EBADMSG);

	/* Frame length on a stream: 0 until the header is complete. */
	put32(fb->b + 12, 8);
	for (size_t i = 0; i <= fb->n; i++)
		CHECK_EQ(td_msg_frame_len(fb->b, i), i < TD_PROTO_HDR_SIZE ? 0 : 24);
	put32(fb->b + 12, TD_PROTO_MAX_PAYLOAD);
	CHECK_EQ(td_msg_frame_len(fb->b, 16), (int)TD_PROTO_MAX_FRAME);
	put32(fb->b + 12, TD_PROTO_MAX_PAYLOAD + 1);
	CHECK_EQ(td_msg_frame_len(fb->b, 16), -EBADMSG);
	CHECK_EQ(td_msg_frame_len(NULL, 0), 0);
}

/* Fixed frames, one per rule: payload bytes spelled out. */
#define B(x) ((uint8_t)((x) & 0xff))
#define H(t, l) B(t), B((t) >> 8), B(l), B((l) >> 8)
#define U32(t, v) H(t, 4), B(v), B((v) >> 8), B((v) >> 16), B((v) >> 24)
#define Z4 0, 0, 0, 0
#define CASE(name, type, want, ...)                                           \
	{ name, type, want, sizeof((const uint8_t[]){ __VA_ARGS__ }),          \
	  (const uint8_t[]){ __VA_ARGS__ } }

static const struct bad_case {
	const char *name;
	uint16_t type;
	int want;
	size_t len;
	const uint8_t *payload;
} cases[] = {
	CASE("truncated attr header", TD_MSG_STATUS, -EBADMSG, B(TD_A_MINOR), 0, 4),
	CASE("2 trailing bytes", TD_MSG_STATUS, -EBADMSG, U32(TD_A_MINOR, 1), 0, 0),
	CASE("len past payload", TD_MSG_STATUS, -EBADMSG, H(TD_A_MINOR, 5), Z4),
	CASE("len 0xffff", TD_MSG_STATUS, -EBADMSG, H(TD_A_MINOR, 0xffff), Z4),
	CASE("len past nest", REPLY(TD_MSG_STATUS), -EBADMSG,
	     H(TD_A_VBD, 8), H(TD_A_MINOR, 8), Z4, U32(TD_A_PID, 1)),
	CASE("NUL in string", TD_MSG_VBD_OPEN, -EBADMSG, H(TD_A_PARAMS, 3), 'a', 0, 'b'),
	CASE("string of a NUL", TD_MSG_VBD_OPEN, -EBADMSG, H(TD_A_PARAMS, 1), 0),
	CASE("empty string", TD_MSG_VBD_OPEN, 0, H(TD_A_PARAMS, 0)),
	CASE("status 1", REPLY(TD_MSG_VBD_CLOSE), -EBADMSG, U32(TD_A_STATUS, 1)),
	CASE("status -4096", REPLY(TD_MSG_VBD_CLOSE), -EBADMSG,
	     U32(TD_A_STATUS, 0xfffff000u)),
	CASE("status -4095", REPLY(TD_MSG_VBD_CLOSE), 0, U32(TD_A_STATUS, 0xfffff001u)),
	CASE("tag 0", TD_MSG_STATUS, -EBADMSG, U32(0, 0)),
	CASE("tag max+1", TD_MSG_STATUS, -EBADMSG, U32(TD_A__MAX + 1, 0)),
	CASE("tag 64", TD_MSG_STATUS, -EBADMSG, U32(64, 0)),
	CASE("tag 0xffff", TD_MSG_STATUS, -EBADMSG, U32(0xffff, 0)),
	CASE("unknown tag in VBD", REPLY(TD_MSG_STATUS), -EBADMSG,
	     H(TD_A_VBD, 8), U32(TD_A__MAX + 1, 0)),
	CASE("dup MINOR", TD_MSG_VBD_CLOSE, -EBADMSG,
	     U32(TD_A_MINOR, 1), U32(TD_A_FLAGS, 0), U32(TD_A_MINOR, 1)),
	CASE("dup RING_REFS", TD_MSG_RING_CONNECT, -EBADMSG,
	     H(TD_A_RING_REFS, 4), Z4, H(TD_A_RING_REFS, 4), Z4),
	CASE("dup in VBD", REPLY(TD_MSG_STATUS), -EBADMSG,
	     H(TD_A_VBD, 16), U32(TD_A_MINOR, 1), U32(TD_A_MINOR, 2)),
	CASE("dup in RING", REPLY(TD_MSG_STATUS), -EBADMSG,
	     H(TD_A_VBD, 20), H(TD_A_RING, 16), U32(TD_A_STATE, 1), U32(TD_A_STATE, 1)),
	CASE("same tag on each level", REPLY(TD_MSG_STATUS), 0,
	     U32(TD_A_MINOR, 1), H(TD_A_VBD, 40), U32(TD_A_MINOR, 2),
	     U32(TD_A_STATE, 1), H(TD_A_RING, 8), U32(TD_A_STATE, 1),
	     H(TD_A_RING, 8), U32(TD_A_STATE, 1), H(TD_A_VBD, 0)),
	CASE("RING at top", REPLY(TD_MSG_STATUS), -EBADMSG, H(TD_A_RING, 0)),
	CASE("COUNTERS at top", REPLY(TD_MSG_STATUS), -EBADMSG, H(TD_A_COUNTERS, 0)),
	CASE("SIZE at top", REPLY(TD_MSG_STATUS), -EBADMSG, H(TD_A_SIZE, 8), Z4, Z4),
	CASE("STATE at top", REPLY(TD_MSG_STATUS), -EBADMSG, U32(TD_A_STATE, 1)),
	CASE("RING_SIZE at top", REPLY(TD_MSG_STATUS), -EBADMSG, U32(TD_A_RING_SIZE, 1)),
	CASE("VBD in a request", TD_MSG_STATUS, -EBADMSG, H(TD_A_VBD, 0)),
	CASE("VBD in VBD", REPLY(TD_MSG_STATUS), -EBADMSG, H(TD_A_VBD, 4), H(TD_A_VBD, 0)),
	CASE("RING in RING", REPLY(TD_MSG_STATUS), -EBADMSG,
	     H(TD_A_VBD, 8), H(TD_A_RING, 4), H(TD_A_RING, 0)),
	CASE("PID in VBD", REPLY(TD_MSG_STATUS), -EBADMSG, H(TD_A_VBD, 8), U32(TD_A_PID, 1)),
	CASE("MINOR in RING", REPLY(TD_MSG_STATUS), -EBADMSG,
	     H(TD_A_VBD, 12), H(TD_A_RING, 8), U32(TD_A_MINOR, 1)),
	CASE("RING_REFS in RING", REPLY(TD_MSG_STATUS), -EBADMSG,
	     H(TD_A_VBD, 12), H(TD_A_RING, 8), H(TD_A_RING_REFS, 4), Z4),
	CASE("SIZE of 4 in VBD", REPLY(TD_MSG_STATUS), -EBADMSG,
	     H(TD_A_VBD, 8), H(TD_A_SIZE, 4), Z4),
	CASE("COUNTERS of 12", REPLY(TD_MSG_STATUS), -EBADMSG,
	     H(TD_A_VBD, 16), H(TD_A_COUNTERS, 12), Z4, Z4, Z4),
	CASE("RING_ORDER 5 in RING", REPLY(TD_MSG_STATUS), -EBADMSG,
	     H(TD_A_VBD, 12), H(TD_A_RING, 8), U32(TD_A_RING_ORDER, 5)),
	CASE("RING_ORDER 4 in RING", REPLY(TD_MSG_STATUS), 0,
	     H(TD_A_VBD, 12), H(TD_A_RING, 8), U32(TD_A_RING_ORDER, 4)),
};

static void test_bad_attrs(void)
{
	static const uint8_t zeros[80];
	char s[TD_PARAMS_MAX + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		fb_init(cases[i].type);
		memcpy(fb->b + fb->n, cases[i].payload, cases[i].len);
		fb->n += cases[i].len;
		rc = fb_decode();
		if (rc != cases[i].want)
			fprintf(stderr, "case \"%s\": %d\n", cases[i].name, rc);
		CHECK_EQ(rc, cases[i].want);
	}

	for (uint16_t len = 0; len <= 9; len++) {	/* U32 and U64 sizes */
		size_t v;

		fb_init(TD_MSG_VBD_CLOSE);
		fb_attr(TD_A_MINOR, len, zeros);
		CHECK_EQ(fb_decode(), len == 4 ? 0 : -EBADMSG);
		fb_init(REPLY(TD_MSG_STATUS));
		v = fb_nest(TD_A_VBD);
		fb_attr(TD_A_SIZE, len, zeros);
		fb_nest_end(v);
		CHECK_EQ(fb_decode(), len == 8 ? 0 : -EBADMSG);
	}
	for (uint16_t len = 0; len <= 72; len += 2) {	/* RING_REFS */
		fb_init(TD_MSG_RING_CONNECT);
		fb_attr(TD_A_RING_REFS, len, zeros);
		CHECK_EQ(fb_decode(), len && len % 4 == 0 && len <= 64 ? 0 : -EBADMSG);
	}
	for (uint32_t o = 0; o <= 6; o++) {		/* RING_ORDER */
		fb_init(TD_MSG_RING_CONNECT);
		fb_u32(TD_A_RING_ORDER, o);
		CHECK_EQ(fb_decode(), o <= 4 ? 0 : -EBADMSG);
	}

	/* Strings: the longest that fits, and one byte more. */
	static const struct { uint16_t tag, max; size_t off; } strs[] = {
		{ TD_A_MESSAGE, TD_MSG_MAX - 1, offsetof(struct td_msg, message) },
		{ TD_A_PARAMS, TD_PARAMS_MAX - 1, offsetof(struct td_msg, params) },
		{ TD_A_ENGINE, 15, offsetof(struct td_msg, engine) },
		{ TD_A_XENIO, 15, offsetof(struct td_msg, xenio) },
	};
	memset(s, 'a', sizeof(s));
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		fb_init(REPLY(TD_MSG_STATUS));
		fb_attr(strs[i].tag, strs[i].max, s);
		CHECK_EQ(fb_decode(), 0);
		CHECK_EQ(strlen((const char *)mb + strs[i].off), strs[i].max);
		fb_init(REPLY(TD_MSG_STATUS));
		fb_attr(strs[i].tag, strs[i].max + 1, s);
		CHECK_EQ(fb_decode(), -EBADMSG);
	}
	fb_init(REPLY(TD_MSG_STATUS));			/* params in a VBD */
	size_t v = fb_nest(TD_A_VBD);
	fb_attr(TD_A_PARAMS, TD_PARAMS_MAX, s);
	fb_nest_end(v);
	CHECK_EQ(fb_decode(), -EBADMSG);

	for (uint32_t extra = 0; extra <= 1; extra++) {	/* VBD and RING counts */
		fb_init(REPLY(TD_MSG_STATUS));
		for (uint32_t i = 0; i < TD_MAX_VBDS + extra; i++)
			fb_nest_end(fb_nest(TD_A_VBD));
		CHECK_EQ(fb_decode(), extra ? -EBADMSG : 0);
		fb_init(REPLY(TD_MSG_STATUS));
		v = fb_nest(TD_A_VBD);
		for (uint32_t i = 0; i < TD_MAX_RINGS + extra; i++)
			fb_nest_end(fb_nest(TD_A_RING));
		fb_nest_end(v);
		CHECK_EQ(fb_decode(), extra ? -EBADMSG : 0);
	}
}

/* More counters than we know are ignored, fewer leave the rest zero. */
static void test_counters(void)
{
	enum { MORE = TD_STAT__COUNT + 4 };
	uint8_t le[8 * MORE];

	for (unsigned i = 0; i < MORE; i++) {
		put32(le + 8 * i, 1000 + i);
		put32(le + 8 * i + 4, i);
	}
	for (unsigned n = 0; n <= MORE; n++) {
		unsigned want = n < TD_STAT__COUNT ? n : TD_STAT__COUNT;
		size_t v, r;

		fb_init(REPLY(TD_MSG_STATUS));
		v = fb_nest(TD_A_VBD);
		fb_attr(TD_A_COUNTERS, (uint16_t)(8 * n), le);
		r = fb_nest(TD_A_RING);
		fb_attr(TD_A_COUNTERS, (uint16_t)(8 * n), le);
		fb_nest_end(r);
		fb_nest_end(v);
		memset(mb, 0xa5, offsetof(struct td_msg, vbds) + sizeof(mb->vbds[0]));
		CHECK_EQ(fb_decode(), 0);
		CHECK_EQ(mb->vbds[0].nr_counters, want);
		CHECK_EQ(mb->vbds[0].rings[0].nr_counters, want);
		for (unsigned c = 0; c < TD_STAT__COUNT; c++) {
			uint64_t exp = c < n ? ((uint64_t)c << 32) + 1000 + c : 0;

			CHECK_EQ(mb->vbds[0].counters[c], exp);
			CHECK_EQ(mb->vbds[0].rings[0].counters[c], exp);
		}
	}
}

/* ---- 3. mutation loop ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

static void mutate(uint8_t *b, size_t *n, size_t cap)
{
	static const uint8_t special[] = { 0, 1, 4, 8, 0x10, 0x11, 0x7f, 0x80,
					   0xff, TD_A__MAX + 1 };
	size_t pos = rnd((uint32_t)*n), from = rnd((uint32_t)*n), len = rnd(16);

	if (!*n)
		return;
	switch (rnd(6)) {
	case 0:		/* flip a bit */
		b[pos] ^= (uint8_t)(1u << rnd(8));
		break;
	case 1:		/* a boundary value */
		b[pos] = special[rnd(sizeof(special))];
		break;
	case 2:		/* insert a byte */
		if (*n < cap) {
			memmove(b + pos + 1, b + pos, *n - pos);
			b[pos] = (uint8_t)rnd(256);
			(*n)++;
		}
		break;
	case 3:		/* delete a byte */
		memmove(b + pos, b + pos + 1, *n - pos - 1);
		(*n)--;
		break;
	case 4:		/* truncate */
		*n = pos;
		break;
	default:	/* copy a chunk over another place */
		if (from + len <= *n && pos + len <= *n)
			memmove(b + pos, b + from, len);
		break;
	}
}

static void test_mutations(void)
{
	enum { NSEEDS = 6, SLACK = 64 };
	uint8_t *seeds[NSEEDS], *work, *re = malloc(TD_PROTO_MAX_FRAME);
	size_t seed_len[NSEEDS], cap = 0;
	unsigned accepted = 0;

	for (int i = 0; i < NSEEDS; i++) {
		if (i < 3)
			build_status_reply(ma, (uint32_t)i * 2 + 1);
		else if (i < 5)
			build_ring_connect(ma, (uint32_t)i - 3);
		else
			build_fail_reply(ma, TD_MSG_VBD_OPEN, "no");
		seed_len[i] = (size_t)td_msg_encode(ma, frame, TD_PROTO_MAX_FRAME);
		seeds[i] = malloc(seed_len[i]);
		memcpy(seeds[i], frame, seed_len[i]);
		cap = seed_len[i] > cap ? seed_len[i] : cap;
	}
	cap += SLACK;
	work = malloc(cap);

	for (unsigned it = 0; it < MUTATION_ITERS; it++) {
		unsigned s = rnd(NSEEDS), nmut = 1 + rnd(4);
		size_t n = seed_len[s];
		int rc, len;

		memcpy(work, seeds[s], n);
		for (unsigned k = 0; k < nmut; k++)
			mutate(work, &n, cap);
		if (n >= TD_PROTO_HDR_SIZE && rnd(4))	/* get past the header */
			put32(work + 12, (uint32_t)(n - TD_PROTO_HDR_SIZE));
		rc = td_msg_frame_len(work, n);
		CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT ||
		      rc >= (int)TD_PROTO_HDR_SIZE);
		rc = decode_exact(work, n, mb);
		CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTONOSUPPORT);
		if (rc)
			continue;
		accepted++;
		/* What decodes re-encodes, and that encoding is a fixed point. */
		len = td_msg_encode(mb, re, TD_PROTO_MAX_FRAME);
		CHECK(len > 0);
		if (len <= 0)
			continue;
		CHECK_EQ(decode_exact(re, (size_t)len, mc), 0);
		CHECK_EQ(td_msg_encode(mc, frame, TD_PROTO_MAX_FRAME), len);
		CHECK(!memcmp(re, frame, (size_t)len));
	}
	printf("mutations: %u iterations, %u decoded\n", MUTATION_ITERS, accepted);
	CHECK(accepted > 1000);
	for (int i = 0; i < NSEEDS; i++)
		free(seeds[i]);
	free(work);
	free(re);
}

/* ---- 4. tapctl against an in-test server ---- */

enum srv_mode {
	SRV_OK, SRV_FAIL, SRV_WRONG_SEQ, SRV_WRONG_TYPE, SRV_NO_STATUS,
	SRV_SILENT, SRV_CLOSE, SRV_GARBAGE, SRV_TRICKLE,
};

struct srv {
	int fd;			/* connected socket, or -1: accept on lfd */
	int lfd;
	enum srv_mode mode;
	struct td_msg *req;	/* the last request received */
	pthread_t thread;
};

static int read_full(int fd, uint8_t *p, size_t n)
{
	for (ssize_t k; n; p += k, n -= (size_t)k)
		if ((k = read(fd, p, n)) <= 0)
			return -1;
	return 0;
}

/* Answer requests on one connection, as told by mode, until EOF. */
static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct td_msg *rep = tapctl_msg_new();
	uint8_t *buf = malloc(TD_PROTO_MAX_FRAME);
	int len;

	if (s->fd < 0)
		s->fd = accept(s->lfd, NULL, NULL);
	while (read_full(s->fd, buf, TD_PROTO_HDR_SIZE) == 0) {
		len = td_msg_frame_len(buf, TD_PROTO_HDR_SIZE);
		if (len < 0 || read_full(s->fd, buf + TD_PROTO_HDR_SIZE,
					 (size_t)len - TD_PROTO_HDR_SIZE) < 0 ||
		    td_msg_decode(buf, (size_t)len, s->req) < 0)
			break;
		if (s->mode == SRV_CLOSE)	/* all read: the client sees EOF */
			break;
		if (s->mode == SRV_SILENT)
			continue;
		if (s->mode == SRV_FAIL)
			build_fail_reply(rep, s->req->type, "no such image");
		else if (s->req->type == TD_MSG_STATUS)
			build_status_reply(rep, 2);
		else
			td_msg_init(rep, REPLY(s->req->type), 0);
		td_msg_set_u32(rep, TD_A_STATUS, (uint32_t)rep->status);
		if (s->mode == SRV_NO_STATUS)
			rep->present = 0;
		rep->seq = s->req->seq + (s->mode == SRV_WRONG_SEQ);
		if (s->mode == SRV_WRONG_TYPE)
			rep->type = REPLY(TD_MSG_PAUSE);
		len = td_msg_encode(rep, buf, TD_PROTO_MAX_FRAME);
		buf[1] ^= s->mode == SRV_GARBAGE ? 0xff : 0;
		for (int off = 0, step; off < len; off += step) {
			step = s->mode == SRV_TRICKLE ? 1 : len;	/* byte by byte */
			if (write(s->fd, buf + off, (size_t)step) != step)
				break;
			if (s->mode == SRV_TRICKLE)
				nanosleep(&(struct timespec){ 0, 200000 }, NULL);
		}
	}
	close(s->fd);
	free(buf);
	free(rep);
	return NULL;
}

static void srv_start(struct srv *s, int fd, int lfd, enum srv_mode mode)
{
	s->fd = fd;
	s->lfd = lfd;
	s->mode = mode;
	CHECK_EQ(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

/* One tapctl_call of type (MINOR 4) over a socketpair; request into mb,
 * reply into mc. */
static int call_mode(enum srv_mode mode, uint16_t type, int timeout_ms)
{
	struct srv s = { .req = mb };
	int sv[2], rc;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	srv_start(&s, sv[1], -1, mode);
	td_msg_init(ma, type, 0);
	td_msg_set_u32(ma, TD_A_MINOR, 4);
	rc = tapctl_call(sv[0], ma, mc, timeout_ms);
	close(sv[0]);
	pthread_join(s.thread, NULL);
	return rc;
}

static void test_call(void)
{
	struct timespec t0, t1;
	uint32_t seq;
	int sv[2];

	CHECK_EQ(call_mode(SRV_OK, TD_MSG_VBD_CLOSE, 2000), 0);
	seq = ma->seq;
	CHECK_EQ(mb->seq, seq);
	CHECK_EQ(mb->minor, 4);
	CHECK(!strcmp(tapctl_last_message(), ""));
	CHECK_EQ(call_mode(SRV_OK, TD_MSG_STATUS, 2000), 0);
	CHECK(ma->seq != seq);
	CHECK_EQ(mc->nr_vbds, 2);
	CHECK_EQ(mc->pid, 4242);
	CHECK_EQ(call_mode(SRV_TRICKLE, TD_MSG_STATUS, 5000), 0);
	CHECK_EQ(mc->vbds[1].nr_rings, 1);
	CHECK_EQ(call_mode(SRV_FAIL, TD_MSG_VBD_OPEN, 2000), -ENOENT);
	CHECK(!strcmp(tapctl_last_message(), "no such image"));
	CHECK_EQ(call_mode(SRV_WRONG_SEQ, TD_MSG_VBD_OPEN, 2000), -EBADMSG);
	CHECK(!strcmp(tapctl_last_message(), ""));
	CHECK_EQ(call_mode(SRV_WRONG_TYPE, TD_MSG_VBD_OPEN, 2000), -EBADMSG);
	CHECK_EQ(call_mode(SRV_NO_STATUS, TD_MSG_VBD_OPEN, 2000), -EBADMSG);
	CHECK_EQ(call_mode(SRV_GARBAGE, TD_MSG_VBD_OPEN, 2000), -EBADMSG);
	CHECK_EQ(call_mode(SRV_CLOSE, TD_MSG_VBD_OPEN, 2000), -ECONNRESET);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(call_mode(SRV_SILENT, TD_MSG_VBD_OPEN, 200), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= 190 && ms < 5000);

	/* Peer already gone: -ECONNRESET, not SIGPIPE. */
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	td_msg_init(ma, TD_MSG_STATUS, 0);
	CHECK_EQ(tapctl_call(sv[0], ma, mc, 1000), -ECONNRESET);
	close(sv[0]);
	CHECK_EQ(tapctl_call(-1, ma, mc, 1000), -EINVAL);
	ma->type |= TD_MSG_REPLY;
	CHECK_EQ(tapctl_call(0, ma, mc, 1000), -EINVAL);
}

static void test_oneshot(void)
{
	char dir[] = "/tmp/test-proto.XXXXXX", path[256], want[300];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct tapctl_ring r = { .domid = 3, .devid = 51712, .ring_order = 2,
				 .evtchn = 9, .abi = 1 };
	struct srv s = { .req = mb };
	pid_t pid = getpid();
	int lfd;

	unsetenv(TAPCTL_ENV_DIR);
	CHECK(!strcmp(tapctl_dir(NULL), TAPCTL_DEFAULT_DIR));
	CHECK(!strcmp(tapctl_dir("/x"), "/x"));
	CHECK(mkdtemp(dir) != NULL);
	setenv(TAPCTL_ENV_DIR, dir, 1);
	CHECK(!strcmp(tapctl_dir(NULL), dir));
	CHECK_EQ(tapctl_socket_path("/run/x", 17, path, sizeof(path)), 0);
	CHECK(!strcmp(path, "/run/x/ctl17"));
	CHECK_EQ(tapctl_socket_path("/run/x", 17, path, 12), -ENAMETOOLONG);
	CHECK_EQ(tapctl_socket_path(NULL, pid, path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "%s/ctl%d", dir, (int)pid);
	CHECK(!strcmp(path, want));
	CHECK_EQ(tapctl_connect(NULL, pid), -ENOENT);
	memset(want, 'd', 200);
	want[200] = '\0';
	CHECK_EQ(tapctl_connect(want, pid), -ENAMETOOLONG);

	CHECK_EQ(tapctl_socket_path(NULL, pid, sa.sun_path, sizeof(sa.sun_path)), 0);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_EQ(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(lfd, 4), 0);

	/* One request on a new connection; the join orders s.req for us. */
#define SERVE(mode, call, want)                                               \
	do {                                                                  \
		srv_start(&s, -1, lfd, mode);                                 \
		CHECK_EQ(call, want);                                         \
		pthread_join(s.thread, NULL);                                 \
	} while (0)
	SERVE(SRV_OK, tapctl_vbd_open(NULL, pid, 5, "aio:/x.img", TD_F_RDONLY), 0);
	CHECK_EQ(mb->type, TD_MSG_VBD_OPEN);
	CHECK_EQ(mb->minor, 5);
	CHECK(!strcmp(mb->params, "aio:/x.img"));
	CHECK_EQ(mb->flags, TD_F_RDONLY);
	SERVE(SRV_FAIL, tapctl_vbd_close(dir, pid, 5, TD_F_FORCE), -ENOENT);
	CHECK(!strcmp(tapctl_last_message(), "no such image"));
	CHECK_EQ(mb->type, TD_MSG_VBD_CLOSE);
	CHECK_EQ(mb->flags, TD_F_FORCE);

	for (uint32_t i = 0; i < TD_MAX_RING_REFS; i++)
		r.ring_refs[i] = 100 + i;
	SERVE(SRV_OK, tapctl_ring_connect(NULL, pid, 6, &r), 0);
	CHECK_EQ(mb->type, TD_MSG_RING_CONNECT);
	CHECK_EQ(mb->nr_ring_refs, 4);
	CHECK_EQ(mb->ring_refs[3], 103);
	CHECK_EQ(mb->ring_order, 2);
	CHECK_EQ(mb->devid, 51712);
	CHECK_EQ(mb->evtchn, 9);
	CHECK(TD_HAS(mb, TD_A_ABI) && TD_HAS(mb, TD_A_DOMID) && TD_HAS(mb, TD_A_QUEUE));
	r.ring_order = 5;
	CHECK_EQ(tapctl_ring_connect(NULL, pid, 6, &r), -EINVAL);

	SERVE(SRV_OK, tapctl_ring_disconnect(NULL, pid, 6, -1, 0, -1), 0);
	CHECK(!TD_HAS(mb, TD_A_QUEUE));
	CHECK(!TD_HAS(mb, TD_A_DOMID) && !TD_HAS(mb, TD_A_DEVID));
	SERVE(SRV_OK, tapctl_ring_disconnect(NULL, pid, 6, -1, 0, 3), 0);
	CHECK(TD_HAS(mb, TD_A_QUEUE) && mb->queue == 3);
	SERVE(SRV_OK, tapctl_ring_disconnect(NULL, pid, 6, 2, 51728, -1), 0);
	CHECK(!TD_HAS(mb, TD_A_QUEUE));
	CHECK(TD_HAS(mb, TD_A_DOMID) && mb->domid == 2);
	CHECK(TD_HAS(mb, TD_A_DEVID) && mb->devid == 51728);
	SERVE(SRV_OK, tapctl_status(NULL, pid, -1, mc), 0);
	CHECK(!TD_HAS(mb, TD_A_MINOR));
	CHECK_EQ(mc->nr_vbds, 2);
	CHECK(!strcmp(mc->vbds[1].params, "aio:/img/disk1.img"));

	close(lfd);
	unlink(path);
	rmdir(dir);
	unsetenv(TAPCTL_ENV_DIR);
}

int main(void)
{
	frame = malloc(TD_PROTO_MAX_FRAME);
	ma = tapctl_msg_new();
	mb = tapctl_msg_new();
	mc = tapctl_msg_new();
	fb = malloc(sizeof(*fb));
	if (!frame || !ma || !mb || !mc || !fb)
		return 99;

	test_roundtrip();
	test_golden();
	test_encode_errors();
	test_bad_header();
	test_bad_attrs();
	test_counters();
	test_mutations();
	test_call();
	test_oneshot();

	free(frame);
	free(ma);
	free(mb);
	free(mc);
	free(fb);
	return check_exit("test-proto");
}
