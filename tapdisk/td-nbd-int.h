/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-nbd internals shared by td-nbd.c (sockets, handshake, transmission
 * framing) and td-nbd-io.c (requests against the image).
 *
 * Ownership and lifetime:
 *   nbd_srv   one per VBD while it has an export; freed by td_nbd_close
 *             after every connection is gone.
 *   nbd_conn  one per client; "dead" once its socket is closed, freed when
 *             its last request (still at the image) completes.
 *   nbd_op    one per transmission request, from its header until its
 *             reply is written (or the connection dies); owns its data
 *             buffer. It is on at most one list: the connection's wait
 *             list (received, not started), the image (in flight), or the
 *             out list (answered, reply being written).
 */
#ifndef XENTAP_TD_NBD_INT_H
#define XENTAP_TD_NBD_INT_H

#include <stdint.h>
#include <sys/uio.h>

#include "nbd-proto.h"
#include "td-io.h"
#include "td-loop.h"

/* Limits that keep a slow or hostile client from costing more than this. */
#define NBD_MAX_CONNS 16		/* per export */
#define NBD_CONN_MAX_OPS 64		/* requests held per connection */
#define NBD_CONN_MAX_BYTES (64u << 20)	/* data buffers held per connection */
#define NBD_HS_OUT_MAX 65536u		/* handshake replies not yet written */
#define NBD_OPT_MAX 8192u		/* option data parsed (larger: skipped) */
#define NBD_IN_SIZE (NBD_OPT_HDR_SIZE + NBD_OPT_MAX)	/* staging buffer */
#define NBD_HS_TIMEOUT_MS 10000		/* handshake must finish in this */

struct nbd_srv;
struct nbd_conn;

struct nbd_op {
	struct nbd_conn *c;
	struct nbd_req r;		/* decoded and checked header */
	uint8_t *buf;			/* READ / WRITE data, NULL otherwise */
	struct iovec *iov;		/* &iov1, or WRITE_ZEROES chunks */
	struct iovec iov1;
	unsigned iovcnt;
	uint8_t fua_stage;		/* data done, its FLUSH in flight */
	uint8_t hdr[NBD_REPLY_SIZE];	/* encoded simple reply */
	uint32_t err;			/* NBD error in the reply */
	size_t sent;			/* bytes of hdr + data written */
	struct td_io io;
	struct nbd_op *next;
};

enum nbd_conn_state { NBD_CS_FLAGS, NBD_CS_OPTS, NBD_CS_TRANS };

struct nbd_conn {
	struct nbd_srv *s;
	struct td_loop_src src;
	enum nbd_conn_state state;
	int no_zeroes;
	uint32_t events;		/* epoll mask registered */
	/* input staging: bytes [in_off, in_len) are unconsumed */
	uint8_t *in;
	size_t in_off, in_len;
	uint64_t skip;			/* input bytes to discard */
	struct nbd_op *skip_op;		/* answered when the skip ends */
	struct nbd_op *rx;		/* WRITE whose payload is arriving */
	uint32_t rx_got;
	/* handshake output */
	uint8_t *hs;
	size_t hs_off, hs_len, hs_cap;
	struct nbd_op *wait_head, *wait_tail;
	struct nbd_op *out_head, *out_tail;
	unsigned nops;			/* allocated ops */
	unsigned inflight;		/* ops at the image */
	uint64_t bytes;			/* data buffers of our ops */
	uint64_t deadline_ms;		/* end of the handshake */
	unsigned dead : 1;		/* socket closed */
	unsigned closing : 1;		/* DISC / ABORT / EOF: close when idle */
	unsigned stalled : 1;		/* input left unread: limits or budget */
	unsigned dirty : 1;		/* on the sweep's list */
	struct nbd_conn *next, *dirty_next;
	struct td_defer defer;
	char prefix[40];
};

struct nbd_srv {
	struct td_vbd *v;
	struct td_loop_src lsrc;
	char path[108];
	struct nbd_export exp;
	unsigned quiesced : 1;		/* paused: start nothing */
	unsigned nconns;
	unsigned serial;
	struct nbd_conn *conns;
	struct nbd_srv *next;
	struct td_defer defer;
};

/* td-nbd-io.c */
struct nbd_op *nbd_op_new(struct nbd_conn *c, const struct nbd_req *r);
void nbd_op_free(struct nbd_op *op);
/* Allocate the data buffer of a READ / WRITE. 0 or -ENOMEM. */
int nbd_op_alloc_buf(struct nbd_op *op);
/* Encode the reply and hand it to the connection's output. */
void nbd_op_answer(struct nbd_op *op, uint32_t err);
/* A fully received request: start it, or hold it while paused. */
void nbd_op_ready(struct nbd_op *op);
/* Start what waits on c as far as the VBD allows. */
void nbd_conn_submit(struct nbd_conn *c);
/* Wait until nothing of s is at the image. */
void nbd_srv_drain(struct nbd_srv *s);
void nbd_io_fini(void);

/* td-nbd-hs.c */
/* Append bytes to the handshake output. 0 or -ENOMEM. */
int nbd_hs_put(struct nbd_conn *c, const void *p, size_t n);
/* Consume one handshake unit (client flags, or an option with its data)
 * from the avail bytes at p: 1 with *used set, 0 when more bytes are
 * needed, or -errno to hang up. */
int nbd_hs_consume(struct nbd_conn *c, const uint8_t *p, size_t avail,
		   size_t *used);

/* td-nbd.c */
void nbd_conn_mark_dirty(struct nbd_conn *c);
/* Free c once it is dead and holds no op. */
void nbd_conn_maybe_release(struct nbd_conn *c);

#endif
