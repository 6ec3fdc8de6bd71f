/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * simfront: a simulated Xen blkfront, acting as a guest against a real
 * tapdisk process on the simulated hypervisor (tapdisk/xsim.h).
 *
 * Lifecycle (simfront_open):
 *   1. optionally VBD_OPEN "type:path" on the given minor (closed again by
 *      simfront_close);
 *   2. STATUS: learn size, sector size, info bits, features, indirect limit;
 *   3. create the guest domain (memory + grant table), allocate 1 << order
 *      contiguous ring pages, initialise the shared ring (req_prod =
 *      rsp_prod = 0, req_event = rsp_event = 1), grant them to domain 0;
 *   4. allocate an event channel and RING_CONNECT (with ring_flags, which
 *      may make the VBD a CD; STATUS is then asked again).
 * simfront_close undoes it in reverse order: RING_DISCONNECT, VBD_CLOSE
 * (when we opened it), destroy the domain.
 *
 * Data path: every in-flight request owns a "tag" with preallocated data
 * pages (and an indirect page when indirect requests are enabled). Pages
 * are granted to the backend for one request only (read-only for data the
 * backend reads, writable for data it writes) and revoked when the response
 * arrives: blkfront without persistent grants. With persistent grants
 * (feature-persistent, opts.persistent) every tag page is granted once,
 * writable (indirect pages read-only), for the life of the connection,
 * and the ring is connected with TD_F_PERSISTENT: Linux blkfront's pool of
 * persistently granted pages that data is copied in and out of. Nothing
 * is allocated per request.
 *
 * Segment layout: a request for sectors [s, s + n) puts its first segment
 * at first_sect = s & 7 of the first page, as a guest page cache would;
 * the following segments start at sector 0 of their page. A request whose
 * pages exceed BLKIF_MAX_SEGS (11) uses the indirect form when enabled.
 *
 * Return convention: 0 or a negative errno, except where a function
 * returns a BLKIF status (documented as such): then the value is
 * BLKIF_RSP_OKAY (0), BLKIF_RSP_ERROR (-1) or BLKIF_RSP_EOPNOTSUPP (-2) as
 * answered by the backend, and a local failure (timeout, bad argument,
 * out of grants) is a negative errno <= -3; -EPERM and -ENOENT, which
 * would collide, are reported as -EIO.
 *
 * Not thread-safe: one thread drives one struct simfront.
 */
#ifndef XENTAP_SIMFRONT_H
#define XENTAP_SIMFRONT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "blkif.h"
#include "blkif-packet.h"
#include "td-proto.h"
#include "xsim-guest.h"

#define SIMFRONT_DEFAULT_DOMID 1
#define SIMFRONT_DEFAULT_DEVID 51712	/* xvda: 202 << 8 */
#define SIMFRONT_BACKEND_DOMID 0
#define SIMFRONT_DEFAULT_QD 32		/* capped at the ring size */
#define SIMFRONT_TIMEOUT_MS 10000
#define SIMFRONT_SPARE_PAGES 64		/* for callers' own pages (hostile) */

struct simfront;

struct simfront_opts {
	const char *ctl_dir;	/* NULL: $TAPCTL_CONTROL_DIR or default */
	pid_t pid;		/* tapdisk process; required */
	const char *sim_dir;	/* NULL: $XENTAP_SIM_DIR or XSIM_DEFAULT_DIR */
	uint32_t domid;		/* guest domain (default 1) */
	uint32_t devid;		/* virtual device (default 51712) */
	uint32_t minor;		/* VBD minor (default 0) */
	const char *open_spec;	/* "type:path": open the VBD ourselves; NULL:
				   use the VBD already open on minor */
	uint32_t open_flags;	/* TD_F_* extra VBD_OPEN flags */
	uint32_t ring_flags;	/* TD_F_* RING_CONNECT flags (TD_F_CDROM,
				   TD_F_NO_PACKET: the VBD becomes a CD) */
	int readonly;		/* VBD_OPEN with TD_F_RDONLY */
	unsigned ring_order;	/* 0..BLKIF_MAX_RING_ORDER */
	enum blkif_abi abi;	/* ring layout */
	int use_indirect;	/* allow indirect requests */
	unsigned max_indirect_segs; /* per request; 0: what the VBD advertises;
				       capped at it and at 256 */
	unsigned queue_depth;	/* requests in flight; 0: SIMFRONT_DEFAULT_QD */
	unsigned spare_pages;	/* extra guest pages; 0: SIMFRONT_SPARE_PAGES */
	int timeout_ms;		/* response wait; 0: SIMFRONT_TIMEOUT_MS */
	int persistent;		/* persistent grants: 0 when the VBD offers
				   TD_FEAT_PERSISTENT (as Linux blkfront),
				   1 always, -1 never */
};

/* Defaults: domid 1, devid 51712, minor 0, order 0, native ABI. */
void simfront_opts_init(struct simfront_opts *o);

/* Everything known about the connection (valid after simfront_open). */
struct simfront_info {
	uint64_t size;			/* device bytes (STATUS) */
	uint64_t sectors;		/* size in 512-byte units */
	uint32_t sector_size;		/* logical sector size */
	uint32_t phys_sector_size;
	uint32_t vdisk_info;		/* VDISK_* */
	uint32_t features;		/* TD_FEAT_* */
	uint32_t vbd_max_indirect;	/* advertised by the VBD */
	uint32_t vbd_flags;		/* TD_F_* the VBD was opened with */
	unsigned ring_order;
	unsigned ring_pages;
	unsigned ring_size;		/* slots */
	enum blkif_abi abi;
	unsigned queue_depth;		/* tags */
	unsigned indirect_segs;		/* 0: indirect not used */
	unsigned pages_per_req;		/* data pages of one tag */
	uint64_t max_req_bytes;		/* largest page-aligned request */
	uint32_t evtchn;
	int persistent;			/* data grants kept (TD_F_PERSISTENT) */
	uint32_t ring_refs[BLKIF_MAX_RING_PAGES];
	uint32_t nr_pages;		/* guest memory pages */
	uint32_t nr_grants;		/* grant table entries */
	uint32_t domid, devid, minor;
	char engine[16];		/* tapdisk's I/O engine (STATUS) */
	char xenio[16];			/* tapdisk's hypervisor interface */
};

/* Counters of what the frontend saw. */
struct simfront_stats {
	uint64_t submitted;		/* requests put on the ring */
	uint64_t completed;		/* responses matched to a request */
	uint64_t notifies;		/* notifications sent to the backend */
	uint64_t wakeups;		/* notifications received */
	uint64_t bad_rsp;		/* response with an unknown / stale id */
	uint64_t op_mismatch;		/* response op differs from the request */
	uint64_t grant_fail;		/* grant or revoke failures */
};

/* Connect (see the top of this file). On failure *out is NULL and
 * simfront_last_error() says what went wrong. */
int simfront_open(const struct simfront_opts *o, struct simfront **out);
/* Disconnect, close the VBD if we opened it, destroy the domain. Requests
 * still in flight are abandoned. NULL is fine. Returns the first error of
 * the teardown (0 when everything went well). */
int simfront_close(struct simfront *f);

/* Human-readable reason of the last failure of this thread ("" if none). */
const char *simfront_last_error(void);

const struct simfront_info *simfront_info(const struct simfront *f);
const struct simfront_stats *simfront_stats(const struct simfront *f);
struct xsim_guest *simfront_guest(struct simfront *f);

/* "okay", "error", "eopnotsupp" or "status<N>" (static buffer for others). */
const char *simfront_status_name(int status);

/* ---- asynchronous requests (load generation) -------------------------- */

#define SIMFRONT_REQ_SECURE (1u << 0)	 /* DISCARD: BLKIF_DISCARD_SECURE */
#define SIMFRONT_REQ_INDIRECT (1u << 1) /* READ/WRITE/BARRIER: force indirect */

struct simfront_req {
	uint8_t op;		/* BLKIF_OP_READ, WRITE, WRITE_BARRIER,
				   FLUSH_DISKCACHE or DISCARD */
	uint8_t flags;		/* SIMFRONT_REQ_* */
	uint64_t offset;	/* bytes, multiple of 512 */
	uint64_t len;		/* bytes, multiple of 512; 0 for a pure flush
				   or barrier; at most one request's worth */
	void *buf;		/* WRITE/BARRIER: copied into the data pages at
				   submit; READ: filled at completion; NULL:
				   no copy (pages keep whatever they hold) */
	uint64_t cookie;	/* handed back in the completion */
};

struct simfront_cpl {
	uint64_t cookie;
	unsigned tag;		/* 0 .. queue_depth-1, as returned by submit */
	uint8_t op;		/* operation echoed by the backend */
	int16_t status;		/* BLKIF_RSP_* */
};

/*
 * Put one request into the next free slot (not yet visible to the
 * backend: call simfront_push). Returns its tag (>= 0), -EBUSY when
 * queue_depth requests are in flight, -EINVAL for a malformed request,
 * -E2BIG when it needs more pages than one request may carry, -ENOSPC
 * when grants run out.
 */
int simfront_submit(struct simfront *f, const struct simfront_req *r);
/* Publish the queued slots and notify the backend if it asked for it
 * (blkif_need_notify on req_event). 1 if notified, 0 if not, or -errno. */
int simfront_push(struct simfront *f);
/*
 * Collect up to max completions. If none is ready, requests are in
 * flight and timeout_ms != 0, waits for the event channel (timeout_ms < 0:
 * the open timeout). Returns the number collected, or -ETIMEDOUT when the
 * wait expired with nothing collected.
 */
int simfront_reap(struct simfront *f, struct simfront_cpl *out, unsigned max,
		  int timeout_ms);
unsigned simfront_inflight(const struct simfront *f);
/* Largest READ/WRITE (bytes) at this offset in one request. */
uint64_t simfront_req_capacity(const struct simfront *f, uint64_t offset);

/* ---- synchronous helpers: return a BLKIF status (see above) ----------- */

/* Any offset/len multiple of 512; split into as many requests as needed,
 * up to queue_depth in flight. Require nothing else in flight (-EBUSY). */
int simfront_read(struct simfront *f, uint64_t offset, void *buf, uint64_t len);
int simfront_write(struct simfront *f, uint64_t offset, const void *buf,
		   uint64_t len);
int simfront_flush(struct simfront *f);
/* WRITE_BARRIER; buf NULL / len 0: without data. One request (-E2BIG). */
int simfront_barrier(struct simfront *f, uint64_t offset, const void *buf,
		     uint64_t len);
int simfront_discard(struct simfront *f, uint64_t offset, uint64_t len,
		     int secure);

/* ---- raw access, for hostile tests ------------------------------------- */

/*
 * Encode r as is into the next free slot, after replacing r->id by the id
 * of a fresh tag (r->id is updated). Nothing is granted or checked: the
 * caller owns whatever pages and grants the request names. *slot (may be
 * NULL) receives the slot for further patching before simfront_push. The
 * completion comes back through simfront_reap with the returned tag.
 */
int simfront_raw_submit(struct simfront *f, struct blkif_req *r,
			uint64_t cookie, volatile void **slot);
/* Shared ring header fields (BLKIF_RING_*). */
uint32_t simfront_ring_get(struct simfront *f, unsigned off);
void simfront_ring_set(struct simfront *f, unsigned off, uint32_t v);
/* Notify the backend unconditionally. */
int simfront_notify(struct simfront *f);
/* Wait up to timeout_ms for any notification from the backend: 1 if one
 * came, 0 if not, or -errno. Does not consume responses. */
int simfront_wait_event(struct simfront *f, int timeout_ms);

/*
 * RING_DISCONNECT, forget everything in flight (grants revoked), reset the
 * shared ring to its initial state and RING_CONNECT again. Recovers a ring
 * that the backend halted.
 */
int simfront_reconnect(struct simfront *f);

/* The ring's entry in a STATUS reply (state TD_RING_S_*, counters);
 * -ENODEV if tapdisk does not list it. */
int simfront_ring_status(struct simfront *f, struct td_ring_status *out);
/* The VBD's entry in a STATUS reply (counters such as TD_STAT_FLUSH_DONE);
 * -ENODEV if tapdisk has no VBD with our minor. */
int simfront_vbd_status(struct simfront *f, struct td_vbd_status *out);

/* ---- CD-ROM packets (BLKIF_OP_PACKET, tapdisk/blkif-packet.h) ---------- */

/*
 * Send one packet request the way SUSE's blkfront does: the
 * BLKIF_PKT_PAGE_SIZE bytes of page are copied into the connection's
 * packet page (a guest page of its own), which is granted writable for
 * this request only; the request is op 4, sector 0, one segment covering
 * sectors 0..7. On return page holds what the guest page holds after the
 * answer (the backend answers inside it), whatever the status. Requires
 * nothing else in flight (-EBUSY). Returns a BLKIF status.
 */
int simfront_packet_page(struct simfront *f, uint8_t *page);

/*
 * Encode r (blkif_pkt_encode_request; open_path only for OPEN) into page
 * (BLKIF_PKT_PAGE_SIZE bytes, the caller's), send it and decode the answer
 * of r->type into *rep, whose pointers refer into page. Returns a BLKIF
 * status; *rep means something only for BLKIF_RSP_OKAY.
 */
int simfront_packet(struct simfront *f, const struct blkif_pkt *r,
		    const char *open_path, uint8_t *page,
		    struct blkif_pkt_reply *rep);

/*
 * One MMC command as a PACKET message: cdb (cdb_len <= 12 bytes, the rest
 * zero), buflen bytes expected back (data_direction READ, or NONE when
 * buflen is 0; the ABI caps it at BLKIF_PKT_DATA_MAX). As simfront_packet.
 */
int simfront_packet_cmd(struct simfront *f, const uint8_t *cdb, size_t cdb_len,
			uint32_t buflen, uint8_t *page,
			struct blkif_pkt_reply *rep);

/* ---- data patterns (verification) --------------------------------------- */

/* Fill len bytes that belong at device byte offset `offset` with a pattern
 * determined by (key, offset) only: any sub-range can be checked alone. */
void simfront_pattern_fill(void *buf, uint64_t len, uint64_t offset,
			   uint64_t key);
/* Index of the first mismatching byte, or -1 if buf matches. */
int64_t simfront_pattern_check(const void *buf, uint64_t len, uint64_t offset,
			       uint64_t key);

#endif
