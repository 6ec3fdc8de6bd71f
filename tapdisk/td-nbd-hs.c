/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-nbd-hs: the fixed newstyle handshake of an NBD connection, from the
 * client's flags to NBD_OPT_GO / NBD_OPT_EXPORT_NAME (or NBD_OPT_ABORT).
 * Replies are appended to the connection's handshake output, which
 * td-nbd.c writes; an option is handled only once all its data is
 * buffered (NBD_OPT_MAX at most: longer ones are refused and skipped).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "td-log.h"
#include "td-nbd-int.h"
#include "td-vbd.h"

int nbd_hs_put(struct nbd_conn *c, const void *p, size_t n)
{
	if (c->hs_len + n > c->hs_cap) {
		size_t cap = c->hs_cap ? c->hs_cap : 256;
		uint8_t *nb;

		while (cap < c->hs_len + n)
			cap *= 2;
		nb = realloc(c->hs, cap);
		if (!nb)
			return -ENOMEM;
		c->hs = nb;
		c->hs_cap = cap;
	}
	memcpy(c->hs + c->hs_len, p, n);
	c->hs_len += n;
	nbd_conn_mark_dirty(c);
	return 0;
}

static int hs_reply(struct nbd_conn *c, uint32_t opt, uint32_t type,
		    const void *data, uint32_t len)
{
	uint8_t h[NBD_OPT_REPLY_HDR_SIZE];

	nbd_opt_reply_encode(h, opt, type, len);
	if (nbd_hs_put(c, h, sizeof(h)))
		return -ENOMEM;
	return len ? nbd_hs_put(c, data, len) : 0;
}

static void conn_go(struct nbd_conn *c, const char *how)
{
	c->state = NBD_CS_TRANS;
	c->deadline_ms = 0;
	TD_DBG(c->prefix, "transmission (%s): %llu bytes, flags 0x%x", how,
	       (unsigned long long)c->s->exp.size, c->s->exp.tflags);
}

/* INFO and GO: the export's size and flags, and its block sizes (always:
 * the server enforces them, so a client may as well know). */
static int opt_info(struct nbd_conn *c, const struct nbd_opt_hdr *h,
		    const uint8_t *data)
{
	const struct nbd_export *e = &c->s->exp;
	struct nbd_opt_go g;
	uint8_t buf[16];
	size_t n;

	if (nbd_opt_go_decode(data, h->len, &g))
		return hs_reply(c, h->opt, NBD_REP_ERR_INVALID, NULL, 0);
	n = nbd_info_export_encode(buf, e);
	if (hs_reply(c, h->opt, NBD_REP_INFO, buf, (uint32_t)n))
		return -ENOMEM;
	n = nbd_info_block_size_encode(buf, e);
	if (hs_reply(c, h->opt, NBD_REP_INFO, buf, (uint32_t)n) ||
	    hs_reply(c, h->opt, NBD_REP_ACK, NULL, 0))
		return -ENOMEM;
	if (h->opt == NBD_OPT_GO)
		conn_go(c, "GO");
	return 0;
}

/*
 * One option, whose data is buffered. There is one export per socket
 * (the socket names the VBD), so every export name selects it, as with
 * blktap; NBD_OPT_LIST shows it as the default export "".
 */
static int conn_option(struct nbd_conn *c, const struct nbd_opt_hdr *h,
		       const uint8_t *data)
{
	static const uint8_t no_name[4];
	uint8_t buf[NBD_EXPORT_NAME_REPLY_SIZE];
	size_t n;

	switch (h->opt) {
	case NBD_OPT_EXPORT_NAME:
		n = nbd_export_name_reply_encode(buf, &c->s->exp, c->no_zeroes);
		if (nbd_hs_put(c, buf, n))
			return -ENOMEM;
		conn_go(c, "EXPORT_NAME");
		return 0;
	case NBD_OPT_ABORT:
		c->closing = 1;
		return hs_reply(c, h->opt, NBD_REP_ACK, NULL, 0);
	case NBD_OPT_LIST:
		if (h->len)
			return hs_reply(c, h->opt, NBD_REP_ERR_INVALID, NULL, 0);
		if (hs_reply(c, h->opt, NBD_REP_SERVER, no_name, sizeof(no_name)))
			return -ENOMEM;
		return hs_reply(c, h->opt, NBD_REP_ACK, NULL, 0);
	case NBD_OPT_INFO:
	case NBD_OPT_GO:
		return opt_info(c, h, data);
	default:
		/* STARTTLS, STRUCTURED_REPLY, meta contexts, extended
		 * headers and anything newer: simple replies, no TLS */
		return hs_reply(c, h->opt, NBD_REP_ERR_UNSUP, NULL, 0);
	}
}

int nbd_hs_consume(struct nbd_conn *c, const uint8_t *p, size_t avail,
		   size_t *used)
{
	struct nbd_opt_hdr h;
	int no_zeroes, err;

	if (c->state == NBD_CS_FLAGS) {
		if (avail < NBD_CLIENT_FLAGS_SIZE)
			return 0;
		if (nbd_client_flags_check(nbd_get32(p), &no_zeroes))
			return -EPROTO;
		c->no_zeroes = no_zeroes;
		c->state = NBD_CS_OPTS;
		*used = NBD_CLIENT_FLAGS_SIZE;
		return 1;
	}
	if (avail < NBD_OPT_HDR_SIZE)
		return 0;
	if (nbd_opt_hdr_decode(p, &h))
		return -EPROTO;
	if (h.len > NBD_OPT_MAX) {
		/* EXPORT_NAME cannot be refused: the spec says hang up */
		if (h.opt == NBD_OPT_EXPORT_NAME)
			return -ENAMETOOLONG;
		c->skip = h.len;
		*used = NBD_OPT_HDR_SIZE;
		return hs_reply(c, h.opt, NBD_REP_ERR_TOO_BIG, NULL, 0) ? -ENOMEM : 1;
	}
	if (avail < NBD_OPT_HDR_SIZE + h.len)
		return 0;
	err = conn_option(c, &h, p + NBD_OPT_HDR_SIZE);
	*used = NBD_OPT_HDR_SIZE + h.len;
	return err < 0 ? err : 1;
}
