/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "nbd-proto.h"

uint16_t nbd_tflags(int readonly, int can_trim)
{
	/*
	 * CAN_MULTI_CONN: every connection (and every blkif ring) goes to
	 * the one image through the one I/O engine, and a FLUSH is an
	 * fdatasync of the whole image, so a flush answered on one
	 * connection covers writes answered on any other.
	 */
	uint16_t f = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH |
		     NBD_FLAG_CAN_MULTI_CONN;

	if (readonly)
		return f | NBD_FLAG_READ_ONLY;
	f |= NBD_FLAG_SEND_FUA | NBD_FLAG_SEND_WRITE_ZEROES;
	if (can_trim)
		f |= NBD_FLAG_SEND_TRIM;
	return f;
}

void nbd_greeting_encode(uint8_t *buf)
{
	nbd_put64(buf, NBD_MAGIC);
	nbd_put64(buf + 8, NBD_IHAVEOPT);
	nbd_put16(buf + 16, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
}

int nbd_client_flags_check(uint32_t flags, int *no_zeroes)
{
	/* The server must hang up on flags it did not advertise. A client
	 * without FIXED_NEWSTYLE is served all the same (the spec allows
	 * it): it can only send EXPORT_NAME anyway. */
	if (flags & ~(NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES))
		return -EPROTO;
	*no_zeroes = !!(flags & NBD_FLAG_C_NO_ZEROES);
	return 0;
}

int nbd_opt_hdr_decode(const uint8_t *buf, struct nbd_opt_hdr *h)
{
	if (nbd_get64(buf) != NBD_IHAVEOPT)
		return -EPROTO;
	h->opt = nbd_get32(buf + 8);
	h->len = nbd_get32(buf + 12);
	return 0;
}

size_t nbd_opt_reply_encode(uint8_t *buf, uint32_t opt, uint32_t type,
			    uint32_t len)
{
	nbd_put64(buf, NBD_REP_MAGIC);
	nbd_put32(buf + 8, opt);
	nbd_put32(buf + 12, type);
	nbd_put32(buf + 16, len);
	return NBD_OPT_REPLY_HDR_SIZE;
}

int nbd_opt_go_decode(const uint8_t *data, uint32_t len, struct nbd_opt_go *g)
{
	uint32_t nl;

	memset(g, 0, sizeof(*g));
	if (len < 6)
		return -EINVAL;
	nl = nbd_get32(data);
	if (nl > len - 6 || nl > NBD_MAX_STRING)
		return -EINVAL;
	g->name = data + 4;
	g->name_len = nl;
	g->nr_info = nbd_get16(data + 4 + nl);
	if ((uint64_t)len != 6ull + nl + 2ull * g->nr_info)
		return -EINVAL;
	g->info = data + 6 + nl;
	return 0;
}

int nbd_opt_go_wants(const struct nbd_opt_go *g, uint16_t type)
{
	unsigned i;

	for (i = 0; i < g->nr_info; i++)
		if (nbd_get16(g->info + 2 * i) == type)
			return 1;
	return 0;
}

size_t nbd_info_export_encode(uint8_t *buf, const struct nbd_export *e)
{
	nbd_put16(buf, NBD_INFO_EXPORT);
	nbd_put64(buf + 2, e->size);
	nbd_put16(buf + 10, e->tflags);
	return 12;
}

size_t nbd_info_block_size_encode(uint8_t *buf, const struct nbd_export *e)
{
	nbd_put16(buf, NBD_INFO_BLOCK_SIZE);
	nbd_put32(buf + 2, e->min_block);
	nbd_put32(buf + 6, e->pref_block);
	nbd_put32(buf + 10, e->max_block);
	return 14;
}

size_t nbd_export_name_reply_encode(uint8_t *buf, const struct nbd_export *e,
				    int no_zeroes)
{
	nbd_put64(buf, e->size);
	nbd_put16(buf + 8, e->tflags);
	if (no_zeroes)
		return 10;
	memset(buf + 10, 0, NBD_EXPORT_NAME_REPLY_SIZE - 10);
	return NBD_EXPORT_NAME_REPLY_SIZE;
}

int nbd_req_decode(const uint8_t *buf, struct nbd_req *r)
{
	if (nbd_get32(buf) != NBD_REQUEST_MAGIC)
		return -EPROTO;
	r->flags = nbd_get16(buf + 4);
	r->type = nbd_get16(buf + 6);
	r->cookie = nbd_get64(buf + 8);
	r->offset = nbd_get64(buf + 16);
	r->len = nbd_get32(buf + 24);
	return 0;
}

uint32_t nbd_req_check(const struct nbd_req *r, const struct nbd_export *e)
{
	/* FUA is valid on every command once SEND_FUA is offered (and
	 * harmless on the others); NO_HOLE only on WRITE_ZEROES. DF needs
	 * structured replies and FAST_ZERO its flag: neither is offered. */
	uint16_t allowed = NBD_CMD_FLAG_FUA;
	int is_write = 0, bounded = 1;
	uint64_t end;

	switch (r->type) {
	case NBD_CMD_DISC:
		return 0;
	case NBD_CMD_FLUSH:
		if (r->flags & ~allowed)
			return NBD_EINVAL;
		return r->offset || r->len ? NBD_EINVAL : 0;
	case NBD_CMD_READ:
		break;
	case NBD_CMD_WRITE:
		is_write = 1;
		break;
	case NBD_CMD_TRIM:
		is_write = 1;
		bounded = 0;	/* a hint over any range; no payload */
		break;
	case NBD_CMD_WRITE_ZEROES:
		is_write = 1;
		allowed |= NBD_CMD_FLAG_NO_HOLE;
		break;
	default:
		return NBD_EINVAL;
	}
	if (r->flags & ~allowed)
		return NBD_EINVAL;
	if (is_write && (e->tflags & NBD_FLAG_READ_ONLY))
		return NBD_EPERM;
	if (r->type == NBD_CMD_TRIM && !(e->tflags & NBD_FLAG_SEND_TRIM))
		return NBD_EINVAL;
	if (bounded && r->len > e->max_block)
		return NBD_EINVAL;
	end = r->offset + r->len;
	if (end < r->offset)
		return NBD_EINVAL;	/* wraps */
	if (end > e->size)
		return r->type == NBD_CMD_READ || r->type == NBD_CMD_TRIM ?
		       NBD_EINVAL : NBD_ENOSPC;
	if ((r->offset | r->len) & (e->min_block - 1))
		return NBD_EINVAL;
	return 0;
}

void nbd_reply_encode(uint8_t *buf, uint32_t error, uint64_t cookie)
{
	nbd_put32(buf, NBD_SIMPLE_REPLY_MAGIC);
	nbd_put32(buf + 4, error);
	nbd_put64(buf + 8, cookie);
}

uint32_t nbd_errno(int err)
{
	switch (err) {
	case 0:
		return 0;
	case -EPERM:
	case -EROFS:
		return NBD_EPERM;
	case -ENOSPC:
	case -EDQUOT:
	case -EFBIG:
		return NBD_ENOSPC;
	case -EINVAL:
	case -EOPNOTSUPP:	/* not an error the spec lets us return */
		return NBD_EINVAL;
	case -ENOMEM:
		return NBD_ENOMEM;
	case -ESHUTDOWN:
		return NBD_ESHUTDOWN;
	default:
		return NBD_EIO;
	}
}

const char *nbd_cmd_name(uint16_t type)
{
	static const char *const names[] = {
		[NBD_CMD_READ] = "READ",
		[NBD_CMD_WRITE] = "WRITE",
		[NBD_CMD_DISC] = "DISC",
		[NBD_CMD_FLUSH] = "FLUSH",
		[NBD_CMD_TRIM] = "TRIM",
		[NBD_CMD_CACHE] = "CACHE",
		[NBD_CMD_WRITE_ZEROES] = "WRITE_ZEROES",
		[NBD_CMD_BLOCK_STATUS] = "BLOCK_STATUS",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}
