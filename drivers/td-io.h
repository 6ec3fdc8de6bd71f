/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-io: image drivers and I/O engines.
 *
 * A request from a ring becomes one struct td_io handed to the VBD's image
 * driver. The driver turns it into I/O on its file through the process's
 * I/O engine (io_uring or libaio), or serves it itself (ram, null).
 *
 * The async contract (kept from blktap): every td_io given to a driver's
 * queue() is completed exactly once by calling io->done(io, res), where res
 * is the number of bytes transferred (for READ/WRITE: the full length; short
 * transfers are finished or turned into errors by the driver) or 0 for
 * FLUSH/DISCARD, or a negative errno. done() may be called from inside
 * queue() (ram and null drivers do) or later from the event loop. If queue()
 * itself returns a negative errno, done() is NOT called.
 *
 * Nothing here blocks on I/O: engines submit and complete asynchronously;
 * a driver or engine that must do a synchronous step (BLKDISCARD on block
 * devices, punching a hole on libaio) keeps it short and reports it through
 * the same completion path (ioeng_ops.complete: done() from the next reap()).
 */
#ifndef XENTAP_TD_IO_H
#define XENTAP_TD_IO_H

#include <stdint.h>
#include <sys/uio.h>

enum td_io_op {
	TD_IO_READ = 0,
	TD_IO_WRITE = 1,
	TD_IO_FLUSH = 2,	/* fdatasync */
	TD_IO_DISCARD = 3,	/* punch hole / BLKDISCARD */
	/* BLKSECDISCARD: only where info.can_discard_secure (block devices
	 * that support it); drivers and engines refuse it with -EOPNOTSUPP
	 * everywhere else. */
	TD_IO_DISCARD_SECURE = 4,
};

struct td_io;
typedef void (*td_io_done_fn)(struct td_io *io, int64_t res);

struct td_io {
	enum td_io_op op;
	uint64_t offset;	/* bytes from the start of the image */
	uint64_t len;		/* bytes: sum of iov (READ/WRITE), range (DISCARD) */
	struct iovec *iov;	/* READ/WRITE buffers, owned by the caller */
	unsigned iovcnt;
	td_io_done_fn done;	/* required: completion callback */
	void *owner;		/* caller's context */
	uint8_t mapped;		/* iov points into mapped guest pages (zero
				 * copy); for test drivers (fault mapped=1) */
	/* private to the driver/engine (short-transfer resubmission etc.) */
	uint64_t done_bytes;
	int fd;
	struct td_io *next;	/* engine: backlog and deferred lists */
	int64_t eng_res;	/* engine: result of a deferred completion */
	/*
	 * Private to the driver while the io is queued: a driver that
	 * intercepts the completion (raw, to finish short transfers) keeps
	 * the caller's fields here and restores them before calling the
	 * caller's done(), so the caller sees its io unchanged.
	 */
	struct {
		td_io_done_fn done;	/* the caller's callback */
		void *ctx;		/* the driver's context (its image) */
		struct iovec *iov;	/* the caller's iov, iovcnt, offset */
		unsigned iovcnt;
		uint64_t offset;
		struct iovec part;	/* partial first segment of a remainder */
	} drv;
};

/* ---- I/O engines ------------------------------------------------------ */

struct ioeng;	/* one engine instance per event loop (opaque) */

struct ioeng_ops {
	/* Required: "io_uring" or "libaio". */
	const char *name;
	/* Required. depth = most I/Os in flight at once. 0 or negative errno
	 * (io_uring returns an error when the kernel refuses it, so the
	 * caller can fall back to libaio). */
	int (*init)(struct ioeng **out, unsigned depth);
	/* Required. Idempotent on NULL. Must only be called with nothing in flight. */
	void (*fini)(struct ioeng *e);
	/* Required. fd to poll for readability: completions are ready. */
	int (*fd)(struct ioeng *e);
	/* Required. Queue one I/O on fd; it is submitted by the next submit()
	 * (or earlier if the queue is full). io->fd is set by the caller.
	 * 0 or negative errno (then done is not called). */
	int (*queue)(struct ioeng *e, struct td_io *io);
	/* Required. Submit everything queued (one system call when possible).
	 * Returns the number submitted or a negative errno. */
	int (*submit)(struct ioeng *e);
	/* Required. Reap completions without blocking and call io->done for
	 * each with the raw result (bytes or -errno). Returns the number
	 * reaped. Also clears the fd's readiness. Before returning it submits
	 * the backlog that completions made room for and anything that the
	 * done() callbacks queued, so a callback may queue() again (but
	 * must not call reap()). */
	int (*reap)(struct ioeng *e);
	/* Required. I/Os queued (backlog included), in flight, or waiting
	 * for a deferred completion. */
	unsigned (*inflight)(struct ioeng *e);
	/* Optional. Deferred completion: io->done(io, res) is called from a
	 * later reap() (the fd is made readable). For a driver that did the
	 * work synchronously (BLKDISCARD) but must not complete inside
	 * queue(). Never fails; if NULL, the driver calls done() itself. */
	void (*complete)(struct ioeng *e, struct td_io *io, int64_t res);
	/* Optional. Nonzero when reap() would find completions, looked up
	 * without a system call (the loop's busy polling, tapdisk
	 * --poll-us). NULL: the engine's fd is the only way to know. */
	int (*ready)(struct ioeng *e);
};

extern const struct ioeng_ops ioeng_uring_ops;
extern const struct ioeng_ops ioeng_aio_ops;

/* NULL-terminated registry; first entry is the default. */
extern const struct ioeng_ops *const ioeng_registry[];
const struct ioeng_ops *ioeng_find(const char *name);

/*
 * Start the engine named `name` ("io_uring", "libaio" or "auto"/NULL: try
 * io_uring, fall back to libaio). On success *ops and *out are set.
 */
int ioeng_start(const char *name, unsigned depth, const struct ioeng_ops **ops,
		struct ioeng **out);

/*
 * Engine behaviour shared by io_uring and libaio (contract refinements):
 * - queue() never fails for lack of capacity: beyond `depth` I/Os in
 *   flight the io waits on an internal backlog that reap() submits as
 *   completions make room (FIFO).
 * - ops: READ/WRITE (preadv/pwritev), FLUSH (fdatasync), DISCARD
 *   (fallocate PUNCH_HOLE|KEEP_SIZE; libaio does it synchronously in
 *   queue() and completes it from the next reap()). Other ops: -EOPNOTSUPP.
 * - READ/WRITE results are raw: a short count is passed on as it is.
 * - Unknown engine names: ioeng_start() returns -EINVAL.
 */

/* ---- image drivers ---------------------------------------------------- */

#define TD_OPEN_RDONLY (1u << 0)
#define TD_OPEN_NO_DIRECT (1u << 1)	/* do not try O_DIRECT */
#define TD_OPEN_CDROM (1u << 2)

struct td_image_info {
	uint64_t size;			/* bytes */
	uint32_t logical_sector;	/* bytes, e.g. 512 */
	uint32_t physical_sector;	/* bytes, e.g. 4096 */
	unsigned readonly : 1;
	unsigned can_discard : 1;
	unsigned can_discard_secure : 1;
	unsigned is_blockdev : 1;
	unsigned o_direct : 1;		/* opened with O_DIRECT */
	uint32_t discard_granularity;	/* bytes, 0 if no discard */
};

struct td_image;

struct td_driver_ops {
	/* Required. Type name as in "type:path" ("raw", "ram", "null"). */
	const char *name;
	/* Optional. Other accepted type names ("aio" for raw). NULL-terminated. */
	const char *const *aliases;
	/* Required. Size of the driver's private state (td_image.priv). */
	unsigned priv_size;
	/* Required. Open path (flags TD_OPEN_*), fill img->info. 0 or -errno. */
	int (*open)(struct td_image *img, const char *path, unsigned flags);
	/* Required. Called with nothing in flight. Idempotent. */
	void (*close)(struct td_image *img);
	/* Required. Start one I/O; see the async contract above. */
	int (*queue)(struct td_image *img, struct td_io *io);
};

struct td_image {
	const struct td_driver_ops *drv;
	struct td_image_info info;
	const struct ioeng_ops *eng_ops;	/* set by the caller before open */
	struct ioeng *eng;
	void *priv;				/* drv->priv_size bytes */
	char *path;
};

extern const struct td_driver_ops td_drv_raw, td_drv_ram, td_drv_null;
/* drv-fault.c: "fault:<options>:<type>:<path>", fault injection for tests */
extern const struct td_driver_ops td_drv_fault;
/* NULL-terminated registry. */
extern const struct td_driver_ops *const td_driver_registry[];
const struct td_driver_ops *td_driver_find(const char *type);

/*
 * Parse "type:path" (e.g. "aio:/img", "raw:/img", "ram:64M", "null:1G") and
 * open it on the given engine. On success *out is a new image (free with
 * td_image_close). -EINVAL for a malformed spec, -EPROTONOSUPPORT for an
 * unknown type.
 */
int td_image_open(const char *spec, unsigned flags, const struct ioeng_ops *eng_ops,
		  struct ioeng *eng, struct td_image **out);
void td_image_close(struct td_image *img);

/*
 * Parse a size: decimal bytes with an optional K, M, G or T suffix (powers
 * of 1024, upper or lower case), e.g. "64M". 0 or -EINVAL (also on
 * overflow, empty string or trailing garbage). For the ram and null drivers.
 */
int td_parse_size(const char *s, uint64_t *out);

/*
 * For drivers whose path is a size (ram, null): parse it with
 * td_parse_size() and fill img->info for a disk of 512-byte sectors in
 * 4096-byte pages that discards by the page unless TD_OPEN_RDONLY. The size
 * must be a non-zero multiple of 512 and at most max_size. 0 or -EINVAL
 * (logged with the driver's name).
 */
int td_sized_open(struct td_image *img, const char *path, unsigned flags,
		  uint64_t max_size);
/*
 * Check one request for such an image before it is served: the range is
 * inside the image (but for FLUSH), a WRITE or DISCARD is refused with
 * -EROFS on a read-only image, a READ/WRITE iov adds up to len (-EINVAL),
 * other ops get -EOPNOTSUPP. Pure but for a rate-limited log line; 0 means
 * the request may be served.
 */
int td_sized_check(const struct td_image *img, const struct td_io *io);

static inline int td_image_queue(struct td_image *img, struct td_io *io)
{
	return img->drv->queue(img, io);
}

#endif
