/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nbd-proto: the NBD wire format (fixed newstyle handshake, simple
 * replies) as pure encode / decode / check functions, shared by the
 * server (td-nbd.c) and the unit tests. Values are those of the NBD
 * protocol specification (NetworkBlockDevice/nbd doc/proto.md); every
 * field on the wire is big-endian.
 *
 * Nothing here does I/O or allocates: a client's bytes are decoded into
 * private structs, then checked against the export in one place
 * (nbd_req_check), before anything acts on them.
 */
#ifndef XENTAP_NBD_PROTO_H
#define XENTAP_NBD_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* ---- magics ---------------------------------------------------------- */
#define NBD_MAGIC 0x4e42444d41474943ull		/* "NBDMAGIC" */
#define NBD_IHAVEOPT 0x49484156454f5054ull	/* "IHAVEOPT" */
#define NBD_REP_MAGIC 0x0003e889045565a9ull	/* option replies */
#define NBD_REQUEST_MAGIC 0x25609513u
#define NBD_SIMPLE_REPLY_MAGIC 0x67446698u

/* ---- handshake flags (server, 16 bits) and client flags (32 bits) ----- */
#define NBD_FLAG_FIXED_NEWSTYLE (1u << 0)
#define NBD_FLAG_NO_ZEROES (1u << 1)
#define NBD_FLAG_C_FIXED_NEWSTYLE (1u << 0)
#define NBD_FLAG_C_NO_ZEROES (1u << 1)

/* ---- transmission flags (16 bits) ------------------------------------ */
#define NBD_FLAG_HAS_FLAGS (1u << 0)
#define NBD_FLAG_READ_ONLY (1u << 1)
#define NBD_FLAG_SEND_FLUSH (1u << 2)
#define NBD_FLAG_SEND_FUA (1u << 3)
#define NBD_FLAG_ROTATIONAL (1u << 4)
#define NBD_FLAG_SEND_TRIM (1u << 5)
#define NBD_FLAG_SEND_WRITE_ZEROES (1u << 6)
#define NBD_FLAG_SEND_DF (1u << 7)
#define NBD_FLAG_CAN_MULTI_CONN (1u << 8)
#define NBD_FLAG_SEND_RESIZE (1u << 9)
#define NBD_FLAG_SEND_CACHE (1u << 10)
#define NBD_FLAG_SEND_FAST_ZERO (1u << 11)

/* ---- options ----------------------------------------------------------- */
#define NBD_OPT_EXPORT_NAME 1u
#define NBD_OPT_ABORT 2u
#define NBD_OPT_LIST 3u
#define NBD_OPT_STARTTLS 5u
#define NBD_OPT_INFO 6u
#define NBD_OPT_GO 7u
#define NBD_OPT_STRUCTURED_REPLY 8u

/* ---- option reply types ------------------------------------------------ */
#define NBD_REP_ACK 1u
#define NBD_REP_SERVER 2u
#define NBD_REP_INFO 3u
#define NBD_REP_ERR(n) ((1u << 31) | (n))
#define NBD_REP_ERR_UNSUP NBD_REP_ERR(1)
#define NBD_REP_ERR_POLICY NBD_REP_ERR(2)
#define NBD_REP_ERR_INVALID NBD_REP_ERR(3)
#define NBD_REP_ERR_UNKNOWN NBD_REP_ERR(6)
#define NBD_REP_ERR_SHUTDOWN NBD_REP_ERR(7)
#define NBD_REP_ERR_TOO_BIG NBD_REP_ERR(9)

/* ---- information types (NBD_OPT_INFO / NBD_OPT_GO) -------------------- */
#define NBD_INFO_EXPORT 0u
#define NBD_INFO_NAME 1u
#define NBD_INFO_DESCRIPTION 2u
#define NBD_INFO_BLOCK_SIZE 3u

/* ---- commands and command flags ---------------------------------------- */
#define NBD_CMD_READ 0u
#define NBD_CMD_WRITE 1u
#define NBD_CMD_DISC 2u
#define NBD_CMD_FLUSH 3u
#define NBD_CMD_TRIM 4u
#define NBD_CMD_CACHE 5u
#define NBD_CMD_WRITE_ZEROES 6u
#define NBD_CMD_BLOCK_STATUS 7u

#define NBD_CMD_FLAG_FUA (1u << 0)
#define NBD_CMD_FLAG_NO_HOLE (1u << 1)
#define NBD_CMD_FLAG_DF (1u << 2)
#define NBD_CMD_FLAG_REQ_ONE (1u << 3)
#define NBD_CMD_FLAG_FAST_ZERO (1u << 4)

/* ---- error values in replies ------------------------------------------- */
#define NBD_EPERM 1u
#define NBD_EIO 5u
#define NBD_ENOMEM 12u
#define NBD_EINVAL 22u
#define NBD_ENOSPC 28u
#define NBD_EOVERFLOW 75u
#define NBD_ENOTSUP 95u
#define NBD_ESHUTDOWN 108u

/* ---- sizes (bytes) ------------------------------------------------------ */
#define NBD_GREETING_SIZE 18u		/* NBDMAGIC, IHAVEOPT, flags */
#define NBD_CLIENT_FLAGS_SIZE 4u
#define NBD_OPT_HDR_SIZE 16u		/* IHAVEOPT, option, length */
#define NBD_OPT_REPLY_HDR_SIZE 20u	/* magic, option, type, length */
#define NBD_EXPORT_NAME_REPLY_SIZE 134u	/* size, flags, 124 zeroes */
#define NBD_REQ_SIZE 28u
#define NBD_REPLY_SIZE 16u
#define NBD_MAX_STRING 4096u		/* export names, messages */
/* Largest READ / WRITE / WRITE_ZEROES we serve: the spec's 2^25, which
 * clients that do not ask for block sizes already respect. */
#define NBD_MAX_PAYLOAD (32u << 20)

/* ---- big-endian helpers -------------------------------------------------- */
static inline void nbd_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void nbd_put32(uint8_t *p, uint32_t v)
{
	nbd_put16(p, (uint16_t)(v >> 16));
	nbd_put16(p + 2, (uint16_t)v);
}

static inline void nbd_put64(uint8_t *p, uint64_t v)
{
	nbd_put32(p, (uint32_t)(v >> 32));
	nbd_put32(p + 4, (uint32_t)v);
}

static inline uint16_t nbd_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t nbd_get32(const uint8_t *p)
{
	return (uint32_t)nbd_get16(p) << 16 | nbd_get16(p + 2);
}

static inline uint64_t nbd_get64(const uint8_t *p)
{
	return (uint64_t)nbd_get32(p) << 32 | nbd_get32(p + 4);
}

/* ---- what the server exports ---------------------------------------------- */
struct nbd_export {
	uint64_t size;		/* bytes */
	uint16_t tflags;	/* NBD_FLAG_* transmission flags */
	uint32_t min_block;	/* alignment of offset and length (power of 2) */
	uint32_t pref_block;
	uint32_t max_block;	/* largest READ/WRITE/WRITE_ZEROES */
};

/* Transmission flags for an export. */
uint16_t nbd_tflags(int readonly, int can_trim);

/* ---- handshake -------------------------------------------------------------- */
/* Server greeting: NBD_GREETING_SIZE bytes. */
void nbd_greeting_encode(uint8_t *buf);
/* Client flags: 0 or -EPROTO for flags we did not offer. *no_zeroes set. */
int nbd_client_flags_check(uint32_t flags, int *no_zeroes);

struct nbd_opt_hdr {
	uint32_t opt;
	uint32_t len;		/* bytes of option data that follow */
};
/* 0, or -EPROTO when the magic is wrong. */
int nbd_opt_hdr_decode(const uint8_t *buf, struct nbd_opt_hdr *h);
/* Option reply header; returns NBD_OPT_REPLY_HDR_SIZE. */
size_t nbd_opt_reply_encode(uint8_t *buf, uint32_t opt, uint32_t type,
			    uint32_t len);

/* The data of NBD_OPT_INFO / NBD_OPT_GO, pointing into the caller's buffer. */
struct nbd_opt_go {
	const uint8_t *name;
	uint32_t name_len;
	uint16_t nr_info;
	const uint8_t *info;	/* nr_info big-endian u16 */
};
/* 0 or -EINVAL when the lengths do not add up. */
int nbd_opt_go_decode(const uint8_t *data, uint32_t len, struct nbd_opt_go *g);
/* Does the GO / INFO request ask for this information type? */
int nbd_opt_go_wants(const struct nbd_opt_go *g, uint16_t type);
/* NBD_REP_INFO payloads; return bytes written (12 and 14). */
size_t nbd_info_export_encode(uint8_t *buf, const struct nbd_export *e);
size_t nbd_info_block_size_encode(uint8_t *buf, const struct nbd_export *e);
/* NBD_OPT_EXPORT_NAME reply: 10 bytes, or 134 with the zeroes. */
size_t nbd_export_name_reply_encode(uint8_t *buf, const struct nbd_export *e,
				    int no_zeroes);

/* ---- transmission ------------------------------------------------------------ */
struct nbd_req {
	uint16_t flags;		/* NBD_CMD_FLAG_* */
	uint16_t type;		/* NBD_CMD_* */
	uint64_t cookie;	/* echoed in the reply */
	uint64_t offset;
	uint32_t len;
};

/* Decode NBD_REQ_SIZE bytes: 0, or -EPROTO when the magic is wrong (the
 * stream is lost: hang up). */
int nbd_req_decode(const uint8_t *buf, struct nbd_req *r);

/*
 * Check a decoded request against the export: 0 when it may be served,
 * else the NBD error to answer with (NBD_EINVAL for unknown commands or
 * flags, misalignment, too long a payload, a range that wraps or, for
 * reads and trims, ends past the export; NBD_ENOSPC for writes past the
 * end; NBD_EPERM for writes to a read-only export). DISC is 0.
 */
uint32_t nbd_req_check(const struct nbd_req *r, const struct nbd_export *e);

/* Bytes of payload a request carries after its header (WRITE only). */
static inline uint32_t nbd_req_payload(const struct nbd_req *r)
{
	return r->type == NBD_CMD_WRITE ? r->len : 0;
}

/* Simple reply header (NBD_REPLY_SIZE bytes). */
void nbd_reply_encode(uint8_t *buf, uint32_t error, uint64_t cookie);

/* A negative errno from the I/O path as an NBD error value. */
uint32_t nbd_errno(int err);

const char *nbd_cmd_name(uint16_t type);

#endif
