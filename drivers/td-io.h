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
 * a driver that must do a synchronous step (BLKDISCARD on libaio) keeps it
 * short and reports it through the same completion path.
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
	/* private to the driver/engine (short-transfer resubmission etc.) */
	uint64_t done_bytes;
	int fd;
	struct td_io *next;
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
	 * reaped. Also clears the fd's readiness. */
	int (*reap)(struct ioeng *e);
	/* Required. I/Os queued or in flight. */
	unsigned (*inflight)(struct ioeng *e);
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
static inline int td_image_queue(struct td_image *img, struct td_io *io)
{
	return img->drv->queue(img, io);
}

#endif
