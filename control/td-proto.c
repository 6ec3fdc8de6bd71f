/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-proto: encode and decode control protocol frames (td-proto.h,
 * doc/control-protocol.md).
 *
 * Pure functions: no I/O, no allocation, no global state. Every multi-byte
 * integer goes through the get/put helpers below, which address single
 * bytes, so nothing here depends on host byte order or alignment.
 *
 * Both directions are driven by one table, attrs[], indexed by tag: the
 * value type, where the attribute may appear (top level, top level of
 * replies, inside a VBD, inside a RING), its limits and the offset of its
 * field in the struct of each context. The decoder trusts nothing in the
 * input: every length is checked against what remains before it is used,
 * and nesting depth is fixed by the table (RING holds no nests), so the
 * recursion is at most three levels deep.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "td-proto.h"

#define TD_ATTR_HDR_SIZE 4u
#define TD_ATTR_MAX_LEN 0xffffu
#define TD_STATUS_MIN (-4095)	/* STATUS is 0 or -errno, errno < 4096 */
#define TD_RING_ORDER_MAX 4u

/* ---- little-endian byte access ---- */

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] | (unsigned)p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* ---- the attribute table ---- */

enum attr_type {
	AT_NONE = 0,	/* no such tag */
	AT_U32,
	AT_U64,
	AT_STR,
	AT_U32ARR,
	AT_U64ARR,
	AT_NEST,
};

/* Decoding contexts, and the struct each one fills. */
enum attr_ctx {
	CTX_TOP,	/* struct td_msg */
	CTX_VBD,	/* struct td_vbd_status */
	CTX_RING,	/* struct td_ring_status */
	CTX__COUNT
};

/* Where an attribute may appear. */
#define W_TOP (1u << 0)		/* top level of any message */
#define W_REPLY (1u << 1)	/* top level of replies only */
#define W_VBD (1u << 2)		/* inside TD_A_VBD */
#define W_RING (1u << 3)	/* inside TD_A_RING */

struct attr_desc {
	uint8_t type;		/* enum attr_type */
	uint8_t where;		/* W_* */
	uint8_t repeat;		/* may occur more than once in one sequence */
	uint16_t min, max;	/* STR: max bytes; arrays: entries (max 0: any) */
	/* AT_U32 / AT_U64 / AT_STR: offset of the field in the struct of
	 * each context listed in `where`. */
	uint32_t off[CTX__COUNT];
};

#define FIELD_SIZE(type, f) sizeof(((type *)0)->f)
#define M_(f) offsetof(struct td_msg, f)
#define V_(f) offsetof(struct td_vbd_status, f)
#define R_(f) offsetof(struct td_ring_status, f)

/* A row: type, where, then the limits and field offsets that apply. */
#define ATTR(t, w, ...) { .type = (t), .where = (w), __VA_ARGS__ }
#define OFF(...) .off = { __VA_ARGS__ }

static const struct attr_desc attrs[TD_A__MAX + 1] = {
	[TD_A_STATUS] = ATTR(AT_U32, W_TOP, OFF(M_(status))),
	[TD_A_MESSAGE] = ATTR(AT_STR, W_TOP, .max = TD_MSG_MAX - 1,
			      OFF(M_(message))),
	[TD_A_MINOR] = ATTR(AT_U32, W_TOP | W_VBD, OFF(M_(minor), V_(minor))),
	[TD_A_PARAMS] = ATTR(AT_STR, W_TOP | W_VBD, .max = TD_PARAMS_MAX - 1,
			     OFF(M_(params), V_(params))),
	[TD_A_FLAGS] = ATTR(AT_U32, W_TOP | W_VBD, OFF(M_(flags), V_(flags))),
	[TD_A_DOMID] = ATTR(AT_U32, W_TOP | W_RING,
			    OFF([CTX_TOP] = M_(domid), [CTX_RING] = R_(domid))),
	[TD_A_DEVID] = ATTR(AT_U32, W_TOP | W_RING,
			    OFF([CTX_TOP] = M_(devid), [CTX_RING] = R_(devid))),
	[TD_A_QUEUE] = ATTR(AT_U32, W_TOP | W_RING,
			    OFF([CTX_TOP] = M_(queue), [CTX_RING] = R_(queue))),
	[TD_A_RING_ORDER] = ATTR(AT_U32, W_TOP | W_RING,
				 OFF([CTX_TOP] = M_(ring_order),
				     [CTX_RING] = R_(ring_order))),
	[TD_A_RING_REFS] = ATTR(AT_U32ARR, W_TOP, .min = 1,
				.max = TD_MAX_RING_REFS),
	[TD_A_EVTCHN] = ATTR(AT_U32, W_TOP | W_RING,
			     OFF([CTX_TOP] = M_(evtchn), [CTX_RING] = R_(evtchn))),
	[TD_A_ABI] = ATTR(AT_U32, W_TOP | W_RING,
			  OFF([CTX_TOP] = M_(abi), [CTX_RING] = R_(abi))),
	[TD_A_PID] = ATTR(AT_U32, W_TOP, OFF(M_(pid))),
	[TD_A_ENGINE] = ATTR(AT_STR, W_TOP,
			     .max = FIELD_SIZE(struct td_msg, engine) - 1,
			     OFF(M_(engine))),
	[TD_A_XENIO] = ATTR(AT_STR, W_TOP,
			    .max = FIELD_SIZE(struct td_msg, xenio) - 1,
			    OFF(M_(xenio))),
	[TD_A_VBD] = ATTR(AT_NEST, W_REPLY, .repeat = 1),
	[TD_A_RING] = ATTR(AT_NEST, W_VBD, .repeat = 1),
	[TD_A_COUNTERS] = ATTR(AT_U64ARR, W_VBD | W_RING),
	[TD_A_SIZE] = ATTR(AT_U64, W_VBD, OFF([CTX_VBD] = V_(size))),
	[TD_A_SECTOR_SIZE] = ATTR(AT_U32, W_VBD,
				  OFF([CTX_VBD] = V_(sector_size))),
	[TD_A_PHYS_SECTOR_SIZE] = ATTR(AT_U32, W_VBD,
				       OFF([CTX_VBD] = V_(phys_sector_size))),
	[TD_A_INFO] = ATTR(AT_U32, W_VBD, OFF([CTX_VBD] = V_(info))),
	[TD_A_STATE] = ATTR(AT_U32, W_VBD | W_RING,
			    OFF([CTX_VBD] = V_(state), [CTX_RING] = R_(state))),
	[TD_A_RING_SIZE] = ATTR(AT_U32, W_RING, OFF([CTX_RING] = R_(ring_size))),
	[TD_A_FEATURES] = ATTR(AT_U32, W_VBD, OFF([CTX_VBD] = V_(features))),
	[TD_A_MAX_INDIRECT] = ATTR(AT_U32, W_VBD,
				   OFF([CTX_VBD] = V_(max_indirect))),
	[TD_A_MEDIA] = ATTR(AT_U32, W_VBD, OFF([CTX_VBD] = V_(media))),
	[TD_A_MEDIA_GEN] = ATTR(AT_U32, W_VBD, OFF([CTX_VBD] = V_(media_gen))),
	[TD_A_GRANT] = ATTR(AT_STR, W_TOP,
			    .max = FIELD_SIZE(struct td_msg, grant) - 1,
			    OFF(M_(grant))),
};

_Static_assert(TD_A__MAX < 64, "present is a 64-bit mask");
_Static_assert(FIELD_SIZE(struct td_msg, status) == 4, "status is 32-bit");
_Static_assert(FIELD_SIZE(struct td_msg, params) ==
	       FIELD_SIZE(struct td_vbd_status, params), "params sizes");
_Static_assert(TD_PROTO_HDR_SIZE + TD_PROTO_MAX_PAYLOAD < 0x7fffffffu,
	       "frame length fits an int");

static const unsigned ctx_where[CTX__COUNT] = {
	[CTX_TOP] = W_TOP, [CTX_VBD] = W_VBD, [CTX_RING] = W_RING,
};

/* Value checks shared by encode (-EINVAL) and decode (-EBADMSG). */
static int u32_value_ok(unsigned tag, uint32_t v)
{
	switch (tag) {
	case TD_A_STATUS:
		return (int32_t)v <= 0 && (int32_t)v >= TD_STATUS_MIN;
	case TD_A_RING_ORDER:
		return v <= TD_RING_ORDER_MAX;
	default:
		return 1;
	}
}

/* ---- encoding ---- */

/*
 * The encoder runs twice: once with buf == NULL to validate m and measure
 * the frame, then, if it fits, again to write it. Both runs take the same
 * path, so the second one never writes past the measured length.
 */
struct wr {
	uint8_t *buf;		/* NULL: measure only */
	size_t pos;
	int err;
};

static void wr_hdr(struct wr *w, unsigned tag, size_t len)
{
	if (len > TD_ATTR_MAX_LEN && !w->err)
		w->err = -EMSGSIZE;
	if (w->buf) {
		put_le16(w->buf + w->pos, (uint16_t)tag);
		put_le16(w->buf + w->pos + 2, (uint16_t)len);
	}
	w->pos += TD_ATTR_HDR_SIZE;
}

static void wr_u32(struct wr *w, unsigned tag, uint32_t v)
{
	wr_hdr(w, tag, 4);
	if (w->buf)
		put_le32(w->buf + w->pos, v);
	w->pos += 4;
}

static void wr_u64(struct wr *w, unsigned tag, uint64_t v)
{
	wr_hdr(w, tag, 8);
	if (w->buf)
		put_le64(w->buf + w->pos, v);
	w->pos += 8;
}

static void wr_str(struct wr *w, unsigned tag, const char *s, size_t len)
{
	wr_hdr(w, tag, len);
	if (w->buf)
		memcpy(w->buf + w->pos, s, len);
	w->pos += len;
}

static void wr_u32arr(struct wr *w, unsigned tag, const uint32_t *v, size_t n)
{
	wr_hdr(w, tag, n * 4);
	for (size_t i = 0; i < n; i++, w->pos += 4)
		if (w->buf)
			put_le32(w->buf + w->pos, v[i]);
}

static void wr_u64arr(struct wr *w, unsigned tag, const uint64_t *v, size_t n)
{
	wr_hdr(w, tag, n * 8);
	for (size_t i = 0; i < n; i++, w->pos += 8)
		if (w->buf)
			put_le64(w->buf + w->pos, v[i]);
}

/* Nested attribute: header now, length patched by wr_nest_end(). */
static size_t wr_nest_begin(struct wr *w, unsigned tag)
{
	size_t start = w->pos;

	wr_hdr(w, tag, 0);
	return start;
}

static void wr_nest_end(struct wr *w, size_t start)
{
	size_t len = w->pos - start - TD_ATTR_HDR_SIZE;

	if (len > TD_ATTR_MAX_LEN && !w->err)
		w->err = -EMSGSIZE;
	if (w->buf)
		put_le16(w->buf + start + 2, (uint16_t)len);
}

static int encode_seq(struct wr *w, enum attr_ctx ctx, const void *base,
		      uint64_t present, int reply);

static int encode_counters(struct wr *w, uint32_t n, const uint64_t *c)
{
	if (n > TD_STAT__COUNT)
		return -EINVAL;
	wr_u64arr(w, TD_A_COUNTERS, c, n);
	return 0;
}

/* Attributes of one context. Top level: those in `present`; VBD and RING:
 * all of theirs. */
static int encode_seq(struct wr *w, enum attr_ctx ctx, const void *base,
		      uint64_t present, int reply)
{
	const uint8_t *b = base;
	const struct td_msg *m = base;
	const struct td_vbd_status *v = base;
	const struct td_ring_status *r = base;
	int rc;

	for (unsigned tag = 1; tag <= TD_A__MAX; tag++) {
		const struct attr_desc *d = &attrs[tag];
		uint32_t u32;
		uint64_t u64;

		if (ctx == CTX_TOP && tag == TD_A_VBD) {
			if (m->nr_vbds > TD_MAX_VBDS || (m->nr_vbds && !reply))
				return -EINVAL;
			for (uint32_t i = 0; i < m->nr_vbds; i++) {
				size_t start = wr_nest_begin(w, tag);

				rc = encode_seq(w, CTX_VBD, &m->vbds[i], 0, reply);
				if (rc < 0)
					return rc;
				wr_nest_end(w, start);
			}
			continue;
		}
		if (ctx == CTX_TOP) {
			if (!((present >> tag) & 1))
				continue;
			if (!(d->where & W_TOP))
				return -EINVAL;
		} else if (!(d->where & ctx_where[ctx])) {
			continue;
		}

		switch (d->type) {
		case AT_U32:
			memcpy(&u32, b + d->off[ctx], 4);
			if (!u32_value_ok(tag, u32))
				return -EINVAL;
			wr_u32(w, tag, u32);
			break;
		case AT_U64:
			memcpy(&u64, b + d->off[ctx], 8);
			wr_u64(w, tag, u64);
			break;
		case AT_STR: {
			const char *str = (const char *)b + d->off[ctx];
			const char *nul = memchr(str, 0, d->max + 1u);

			if (!nul)
				return -EINVAL;	/* not NUL-terminated */
			wr_str(w, tag, str, (size_t)(nul - str));
			break;
		}
		case AT_U32ARR:	/* TD_A_RING_REFS, top level */
			if (m->nr_ring_refs < d->min || m->nr_ring_refs > d->max)
				return -EINVAL;
			wr_u32arr(w, tag, m->ring_refs, m->nr_ring_refs);
			break;
		case AT_U64ARR:	/* TD_A_COUNTERS */
			rc = ctx == CTX_VBD
				? encode_counters(w, v->nr_counters, v->counters)
				: encode_counters(w, r->nr_counters, r->counters);
			if (rc < 0)
				return rc;
			break;
		case AT_NEST:	/* TD_A_RING inside a VBD */
			if (v->nr_rings > TD_MAX_RINGS)
				return -EINVAL;
			for (uint32_t i = 0; i < v->nr_rings; i++) {
				size_t start = wr_nest_begin(w, tag);

				rc = encode_seq(w, CTX_RING, &v->rings[i], 0, reply);
				if (rc < 0)
					return rc;
				wr_nest_end(w, start);
			}
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

static int encode_frame(const struct td_msg *m, struct wr *w)
{
	int reply = !!(m->type & TD_MSG_REPLY);
	int rc;

	if (w->buf) {
		put_le32(w->buf, TD_PROTO_MAGIC);
		put_le16(w->buf + 4, TD_PROTO_VERSION);
		put_le16(w->buf + 6, m->type);
		put_le32(w->buf + 8, m->seq);
	}
	w->pos = TD_PROTO_HDR_SIZE;
	rc = encode_seq(w, CTX_TOP, m, m->present, reply);
	if (rc < 0)
		return rc;
	if (w->err)
		return w->err;
	if (w->pos - TD_PROTO_HDR_SIZE > TD_PROTO_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (w->buf)
		put_le32(w->buf + 12, (uint32_t)(w->pos - TD_PROTO_HDR_SIZE));
	return (int)w->pos;
}

int td_msg_encode(const struct td_msg *m, uint8_t *buf, size_t cap)
{
	uint64_t valid = ((UINT64_C(1) << (TD_A__MAX + 1)) - 1) & ~UINT64_C(1);
	struct wr w = { 0 };
	int len;

	if (m->present & ~valid)
		return -EINVAL;
	len = encode_frame(m, &w);
	if (len < 0 || !buf)
		return len;
	if ((size_t)len > cap)
		return -ENOSPC;
	w = (struct wr){ .buf = buf };
	return encode_frame(m, &w);
}

/* ---- decoding ---- */

struct attr {
	unsigned tag;
	size_t len;
	const uint8_t *val;	/* len bytes, inside the caller's buffer */
};

/*
 * Take the attribute at *off of [p, p + len), check it against the table
 * for a sequence allowed `where`, and advance *off. Returns 1 with *a
 * filled, 0 at the end of the sequence, or -EBADMSG.
 */
static int next_attr(const uint8_t *p, size_t len, size_t *off,
		     unsigned where, uint64_t *seen, struct attr *a)
{
	const struct attr_desc *d;
	size_t left = len - *off;

	if (!left)
		return 0;
	if (left < TD_ATTR_HDR_SIZE)
		return -EBADMSG;
	a->tag = get_le16(p + *off);
	a->len = get_le16(p + *off + 2);
	if (a->len > left - TD_ATTR_HDR_SIZE)
		return -EBADMSG;
	a->val = p + *off + TD_ATTR_HDR_SIZE;
	*off += TD_ATTR_HDR_SIZE + a->len;

	if (a->tag == 0 || a->tag > TD_A__MAX)
		return -EBADMSG;
	d = &attrs[a->tag];
	if (d->type == AT_NONE || !(d->where & where))
		return -EBADMSG;
	if (((*seen >> a->tag) & 1) && !d->repeat)
		return -EBADMSG;
	*seen |= UINT64_C(1) << a->tag;

	switch (d->type) {
	case AT_U32:
		if (a->len != 4 || !u32_value_ok(a->tag, get_le32(a->val)))
			return -EBADMSG;
		break;
	case AT_U64:
		if (a->len != 8)
			return -EBADMSG;
		break;
	case AT_STR:
		if (a->len > d->max || memchr(a->val, 0, a->len))
			return -EBADMSG;
		break;
	case AT_U32ARR:
		if (a->len % 4 || a->len / 4 < d->min ||
		    (d->max && a->len / 4 > d->max))
			return -EBADMSG;
		break;
	case AT_U64ARR:
		if (a->len % 8 || a->len / 8 < d->min ||
		    (d->max && a->len / 8 > d->max))
			return -EBADMSG;
		break;
	case AT_NEST:
		break;
	default:
		return -EBADMSG;
	}
	return 1;
}

/* Counters: extra entries from a newer peer are ignored; missing ones stay
 * zero (the VBD or ring was zeroed before its attributes were read). */
static void store_counters(uint32_t *nr, uint64_t *c, const struct attr *a)
{
	size_t n = a->len / 8;

	if (n > TD_STAT__COUNT)
		n = TD_STAT__COUNT;
	for (size_t i = 0; i < n; i++)
		c[i] = get_le64(a->val + 8 * i);
	*nr = (uint32_t)n;
}

/*
 * Decode the attribute sequence [p, p + len) of context ctx into base,
 * which the caller has zeroed. `seen` collects the tags found (for the
 * duplicate check; at top level it is td_msg.present).
 */
static int decode_seq(enum attr_ctx ctx, void *base, const uint8_t *p,
		      size_t len, unsigned where, uint64_t *seen)
{
	uint8_t *b = base;
	struct td_msg *m = base;
	struct td_vbd_status *v = base;
	struct td_ring_status *r = base;
	size_t off = 0;
	struct attr a;
	int rc;

	while ((rc = next_attr(p, len, &off, where, seen, &a)) > 0) {
		const struct attr_desc *d = &attrs[a.tag];
		uint32_t u32;
		uint64_t u64;
		uint64_t nested_seen = 0;

		switch (d->type) {
		case AT_U32:
			u32 = get_le32(a.val);
			memcpy(b + d->off[ctx], &u32, 4);
			break;
		case AT_U64:
			u64 = get_le64(a.val);
			memcpy(b + d->off[ctx], &u64, 8);
			break;
		case AT_STR:
			memcpy(b + d->off[ctx], a.val, a.len);
			b[d->off[ctx] + a.len] = '\0';
			break;
		case AT_U32ARR:	/* TD_A_RING_REFS, top level */
			m->nr_ring_refs = (uint32_t)(a.len / 4);
			for (size_t i = 0; i < a.len / 4; i++)
				m->ring_refs[i] = get_le32(a.val + 4 * i);
			break;
		case AT_U64ARR:	/* TD_A_COUNTERS */
			if (ctx == CTX_VBD)
				store_counters(&v->nr_counters, v->counters, &a);
			else
				store_counters(&r->nr_counters, r->counters, &a);
			break;
		case AT_NEST:
			if (ctx == CTX_TOP) {	/* TD_A_VBD */
				struct td_vbd_status *nv;

				if (m->nr_vbds >= TD_MAX_VBDS)
					return -EBADMSG;
				nv = &m->vbds[m->nr_vbds++];
				memset(nv, 0, sizeof(*nv));
				rc = decode_seq(CTX_VBD, nv, a.val, a.len,
						W_VBD, &nested_seen);
			} else {		/* TD_A_RING in a VBD */
				struct td_ring_status *nr;

				if (v->nr_rings >= TD_MAX_RINGS)
					return -EBADMSG;
				nr = &v->rings[v->nr_rings++];
				memset(nr, 0, sizeof(*nr));
				rc = decode_seq(CTX_RING, nr, a.val, a.len,
						W_RING, &nested_seen);
			}
			if (rc < 0)
				return rc;
			break;
		default:
			return -EBADMSG;
		}
	}
	return rc;
}

int td_msg_frame_len(const uint8_t *buf, size_t len)
{
	uint32_t plen;

	if (len < TD_PROTO_HDR_SIZE)
		return 0;
	if (get_le32(buf) != TD_PROTO_MAGIC)
		return -EBADMSG;
	if (get_le16(buf + 4) != TD_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	plen = get_le32(buf + 12);
	if (plen > TD_PROTO_MAX_PAYLOAD)
		return -EBADMSG;
	return (int)(TD_PROTO_HDR_SIZE + plen);
}

int td_msg_decode(const uint8_t *buf, size_t len, struct td_msg *m)
{
	unsigned where = W_TOP;
	int rc;

	rc = td_msg_frame_len(buf, len);
	if (rc < 0)
		return rc;
	if (rc == 0 || (size_t)rc != len)
		return -EBADMSG;

	/* Everything before vbds[]; each VBD is zeroed as it is decoded. */
	memset(m, 0, offsetof(struct td_msg, vbds));
	m->type = get_le16(buf + 6);
	m->seq = get_le32(buf + 8);
	if (m->type & TD_MSG_REPLY)
		where |= W_REPLY;
	return decode_seq(CTX_TOP, m, buf + TD_PROTO_HDR_SIZE,
			  len - TD_PROTO_HDR_SIZE, where, &m->present);
}

/* ---- message building helpers ---- */

void td_msg_init(struct td_msg *m, uint16_t type, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->seq = seq;
}

void td_msg_set_u32(struct td_msg *m, enum td_attr a, uint32_t v)
{
	if ((unsigned)a == 0 || (unsigned)a > TD_A__MAX ||
	    attrs[a].type != AT_U32 || !(attrs[a].where & W_TOP))
		return;
	memcpy((uint8_t *)m + attrs[a].off[CTX_TOP], &v, 4);
	m->present |= UINT64_C(1) << a;
}

int td_msg_set_str(struct td_msg *m, enum td_attr a, const char *s)
{
	size_t len;

	if (!s || (unsigned)a == 0 || (unsigned)a > TD_A__MAX ||
	    attrs[a].type != AT_STR || !(attrs[a].where & W_TOP))
		return -EINVAL;
	len = strlen(s);
	if (len > attrs[a].max)
		return -E2BIG;
	memcpy((char *)m + attrs[a].off[CTX_TOP], s, len + 1);
	m->present |= UINT64_C(1) << a;
	return 0;
}

int td_msg_set_ring_refs(struct td_msg *m, const uint32_t *refs, uint32_t n)
{
	if (!refs || n < 1 || n > TD_MAX_RING_REFS)
		return -EINVAL;
	memcpy(m->ring_refs, refs, n * sizeof(*refs));
	m->nr_ring_refs = n;
	m->present |= UINT64_C(1) << TD_A_RING_REFS;
	return 0;
}

static const char *const msg_names[TD_MSG__MAX + 1] = {
	[TD_MSG_STATUS] = "status",
	[TD_MSG_VBD_OPEN] = "vbd-open",
	[TD_MSG_VBD_CLOSE] = "vbd-close",
	[TD_MSG_RING_CONNECT] = "ring-connect",
	[TD_MSG_RING_DISCONNECT] = "ring-disconnect",
	[TD_MSG_ATTACH] = "attach",
	[TD_MSG_DETACH] = "detach",
	[TD_MSG_PAUSE] = "pause",
	[TD_MSG_UNPAUSE] = "unpause",
	[TD_MSG_MEDIA_EJECT] = "media-eject",
	[TD_MSG_MEDIA_INSERT] = "media-insert",
	[TD_MSG_MEDIA_STATUS] = "media-status",
	[TD_MSG_SHUTDOWN] = "shutdown",
};

const char *td_msg_type_name(uint16_t type)
{
	unsigned t = type & ~TD_MSG_REPLY;

	if (t > TD_MSG__MAX || !msg_names[t])
		return "unknown";
	return msg_names[t];
}
