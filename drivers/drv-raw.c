/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drv-raw: raw images in regular files and block devices ("raw:" and
 * blktap's "aio:").
 *
 * I/O goes through the process's I/O engine. What the driver adds:
 *
 * - O_DIRECT first (unless TD_OPEN_NO_DIRECT), buffered if the filesystem
 *   refuses it at open time (EINVAL).
 * - A regular file's size is rounded down to 512 bytes: a partial last
 *   sector cannot be addressed by the guest and is ignored (as blktap did).
 * - Short transfers: a READ/WRITE completion with 0 < res < remaining is
 *   resubmitted for the rest, without touching the caller's iov array.
 *   The remainder either starts on a segment boundary (then the tail of
 *   the caller's own array is submitted) or inside a segment (then only
 *   the rest of that segment is submitted, from io->drv.part, and the
 *   next round is back on a boundary). No allocation. A transfer that
 *   makes no progress (res == 0, e.g. a read at the end of a truncated
 *   file) fails with -EIO.
 * - Discard: files punch a hole through the engine; block devices issue
 *   BLKDISCARD / BLKSECDISCARD here (synchronous ioctl, as blkback's
 *   discard is) and complete through the engine's deferred path.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* O_DIRECT, fallocate() */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include "td-io.h"
#include "td-log.h"

#define RAW_FILE_LSS 512u
#define RAW_FILE_PSS 4096u
#define RAW_FILE_DISCARD_GRAN 4096u

struct raw_priv {
	int fd;		/* -1 when closed (priv starts zeroed: see raw_open) */
};

/* ---- open -------------------------------------------------------------- */

/* Read one unsigned number from a sysfs file; 0 or -errno. */
static int sysfs_read_u64(const char *path, uint64_t *out)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (sscanf(buf, "%" SCNu64, out) != 1)
		return -EIO;
	return 0;
}

/*
 * Probe an ioctl discard with an invalid range: the kernel answers
 * EOPNOTSUPP when the device cannot discard, and EINVAL (for the unaligned
 * start / zero length) when it can, before touching anything.
 */
static int blk_discard_probe(int fd, unsigned long req)
{
	uint64_t range[2] = { 1, 0 };

	if (ioctl(fd, req, range) == 0)
		return 1;
	return errno == EINVAL;
}

static int raw_open_blockdev(struct td_image *img, int fd, const struct stat *st)
{
	struct td_image_info *info = &img->info;
	unsigned int pss = 0;
	uint64_t size, gran = 0;
	char path[96];
	int lss = 0, ro = 0;

	if (ioctl(fd, BLKGETSIZE64, &size) < 0 || ioctl(fd, BLKSSZGET, &lss) < 0) {
		int err = -errno;

		TD_ERR(img->path, "cannot get the size of the block device: %s",
		       strerror(-err));
		return err;
	}
	if (lss < 512 || (lss & (lss - 1)))
		lss = 512;
	if (ioctl(fd, BLKPBSZGET, &pss) < 0 || pss < (unsigned)lss)
		pss = (unsigned)lss;
	if (!info->readonly && ioctl(fd, BLKROGET, &ro) == 0 && ro) {
		TD_INFO(img->path, "block device is read-only: serving it read-only");
		info->readonly = 1;
	}
	info->is_blockdev = 1;
	info->size = size - size % (unsigned)lss;
	info->logical_sector = (uint32_t)lss;
	info->physical_sector = pss;
	if (info->readonly)
		return 0;

	info->can_discard = blk_discard_probe(fd, BLKDISCARD) ? 1 : 0;
	if (!info->can_discard)
		return 0;
	info->can_discard_secure = blk_discard_probe(fd, BLKSECDISCARD) ? 1 : 0;
	/* Partitions have no queue/ of their own: it is their parent's. */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/discard_granularity",
		 major(st->st_rdev), minor(st->st_rdev));
	if (sysfs_read_u64(path, &gran) < 0) {
		snprintf(path, sizeof(path),
			 "/sys/dev/block/%u:%u/../queue/discard_granularity",
			 major(st->st_rdev), minor(st->st_rdev));
		if (sysfs_read_u64(path, &gran) < 0)
			gran = 0;
	}
	if (gran < (unsigned)lss || gran > UINT32_MAX)
		gran = (unsigned)lss;
	info->discard_granularity = (uint32_t)gran;
	return 0;
}

static void raw_open_file(struct td_image *img, int fd, const struct stat *st)
{
	struct td_image_info *info = &img->info;
	uint64_t size = (uint64_t)st->st_size, probe;

	info->size = size - size % RAW_FILE_LSS;
	if (size != info->size)
		TD_WARN(img->path, "size %" PRIu64 " is not a multiple of %u: "
			"the last %" PRIu64 " bytes are not part of the image",
			size, RAW_FILE_LSS, size - info->size);
	info->logical_sector = RAW_FILE_LSS;
	info->physical_sector = RAW_FILE_PSS;
	if (info->readonly)
		return;
	/*
	 * Does the filesystem punch holes? Ask about a range past the end of
	 * the file, where punching changes nothing (KEEP_SIZE).
	 */
	probe = (size + (1u << 20)) & ~((uint64_t)(1u << 20) - 1);
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)probe, RAW_FILE_DISCARD_GRAN) == 0) {
		info->can_discard = 1;
		info->discard_granularity = RAW_FILE_DISCARD_GRAN;
	} else {
		TD_INFO(img->path, "no discard: the filesystem cannot punch "
			"holes (%s)", strerror(errno));
	}
}

static int raw_open(struct td_image *img, const char *path, unsigned flags)
{
	struct raw_priv *rp = img->priv;
	int oflags, fd = -1, err;
	struct stat st;

	rp->fd = -1;
	if (!img->eng_ops || !img->eng) {
		TD_ERR(path, "raw images need an I/O engine");
		return -EINVAL;
	}
	oflags = O_CLOEXEC | ((flags & TD_OPEN_RDONLY) ? O_RDONLY : O_RDWR);
	if (!(flags & TD_OPEN_NO_DIRECT)) {
		fd = open(path, oflags | O_DIRECT);
		if (fd >= 0) {
			img->info.o_direct = 1;
		} else if (errno == EINVAL) {
			TD_INFO(path, "O_DIRECT not supported here: "
				"using buffered I/O");
		} else {
			err = -errno;
			TD_ERR(path, "cannot open: %s", strerror(-err));
			return err;
		}
	}
	if (fd < 0) {
		fd = open(path, oflags);
		if (fd < 0) {
			err = -errno;
			TD_ERR(path, "cannot open: %s", strerror(-err));
			return err;
		}
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	img->info.readonly = !!(flags & TD_OPEN_RDONLY);
	if (S_ISBLK(st.st_mode)) {
		err = raw_open_blockdev(img, fd, &st);
		if (err)
			goto fail;
	} else if (S_ISREG(st.st_mode)) {
		raw_open_file(img, fd, &st);
	} else {
		TD_ERR(path, "not a regular file or a block device");
		err = -EINVAL;
		goto fail;
	}
	rp->fd = fd;
	TD_DBG(path, "raw: %" PRIu64 " bytes, %s%s%s", img->info.size,
	       img->info.is_blockdev ? "block device" : "file",
	       img->info.o_direct ? ", O_DIRECT" : "",
	       img->info.readonly ? ", read-only" : "");
	return 0;

fail:
	close(fd);
	return err;
}

static void raw_close(struct td_image *img)
{
	struct raw_priv *rp = img->priv;

	if (rp->fd >= 0)
		close(rp->fd);
	rp->fd = -1;
}

/* ---- I/O ---------------------------------------------------------------- */

/* 0 if [offset, offset + len) lies inside the image, else -EINVAL. */
static int raw_check_range(struct td_image *img, const struct td_io *io)
{
	if (io->offset > img->info.size || io->len > img->info.size - io->offset) {
		TD_RL(TD_LOG_ERR, img->path, "I/O past the end: offset %" PRIu64
		      " len %" PRIu64 " size %" PRIu64, io->offset, io->len,
		      img->info.size);
		return -EINVAL;
	}
	return 0;
}

/* Give the caller its io back as it queued it, then complete it. */
static void raw_finish(struct td_io *io, int64_t res)
{
	io->done = io->drv.done;
	io->iov = io->drv.iov;
	io->iovcnt = io->drv.iovcnt;
	io->offset = io->drv.offset;
	io->done(io, res);
}

/* Queue what is left after io->done_bytes (0 < done_bytes < len). */
static int raw_resubmit(struct td_image *img, struct td_io *io)
{
	uint64_t skip = io->done_bytes;
	unsigned k = 0;

	while (k < io->drv.iovcnt && skip >= io->drv.iov[k].iov_len) {
		skip -= io->drv.iov[k].iov_len;
		k++;
	}
	if (k == io->drv.iovcnt)
		return -EIO;	/* cannot happen: the iov sums to len */
	if (skip) {
		io->drv.part.iov_base = (char *)io->drv.iov[k].iov_base + skip;
		io->drv.part.iov_len = io->drv.iov[k].iov_len - skip;
		io->iov = &io->drv.part;
		io->iovcnt = 1;
	} else {
		io->iov = &io->drv.iov[k];
		io->iovcnt = io->drv.iovcnt - k;
	}
	io->offset = io->drv.offset + io->done_bytes;
	return img->eng_ops->queue(img->eng, io);
}

static void raw_rw_done(struct td_io *io, int64_t res)
{
	struct td_image *img = io->drv.ctx;
	uint64_t piece;
	int err;

	if (res < 0) {
		raw_finish(io, res);
		return;
	}
	/* What the submission that just completed asked for. */
	piece = io->iov == &io->drv.part ? io->drv.part.iov_len
					 : io->len - io->done_bytes;
	if ((res == 0 && piece) || (uint64_t)res > piece) {
		TD_RL(TD_LOG_ERR, img->path, "%s at %" PRIu64 ": %" PRId64
		      " of %" PRIu64 " bytes: giving up",
		      io->op == TD_IO_READ ? "read" : "write",
		      io->offset, res, piece);
		raw_finish(io, -EIO);
		return;
	}
	io->done_bytes += (uint64_t)res;
	if (io->done_bytes == io->len) {
		raw_finish(io, (int64_t)io->len);
		return;
	}
	TD_DBG(img->path, "short %s at %" PRIu64 ": %" PRId64 " of %" PRIu64
	       " bytes, resubmitting the rest",
	       io->op == TD_IO_READ ? "read" : "write", io->offset, res, piece);
	err = raw_resubmit(img, io);
	if (err)
		raw_finish(io, err);
}

static int raw_queue_rw(struct td_image *img, struct raw_priv *rp,
			struct td_io *io)
{
	uint64_t sum = 0;
	unsigned i;
	int err;

	if (io->op == TD_IO_WRITE && img->info.readonly)
		return -EROFS;
	err = raw_check_range(img, io);
	if (err)
		return err;
	if (io->iovcnt && !io->iov)
		return -EINVAL;
	for (i = 0; i < io->iovcnt; i++)
		sum += io->iov[i].iov_len;
	if (sum != io->len)
		return -EINVAL;

	io->fd = rp->fd;
	io->done_bytes = 0;
	io->drv.done = io->done;
	io->drv.ctx = img;
	io->drv.iov = io->iov;
	io->drv.iovcnt = io->iovcnt;
	io->drv.offset = io->offset;
	io->done = raw_rw_done;
	err = img->eng_ops->queue(img->eng, io);
	if (err)
		io->done = io->drv.done;
	return err;
}

/* Block devices: the discard ioctl here, the completion deferred. */
static void raw_discard_blockdev(struct td_image *img, struct raw_priv *rp,
				 struct td_io *io)
{
	uint64_t range[2] = { io->offset, io->len };
	unsigned long req = io->op == TD_IO_DISCARD_SECURE ? BLKSECDISCARD
							   : BLKDISCARD;
	int64_t res = 0;

	if (ioctl(rp->fd, req, range) < 0) {
		res = -errno;
		TD_RL(TD_LOG_ERR, img->path, "discard at %" PRIu64 " len %"
		      PRIu64 ": %s", io->offset, io->len, strerror(errno));
	}
	if (img->eng_ops->complete)
		img->eng_ops->complete(img->eng, io, res);
	else
		io->done(io, res);
}

static int raw_queue_discard(struct td_image *img, struct raw_priv *rp,
			     struct td_io *io)
{
	uint32_t lss = img->info.logical_sector;
	int err;

	if (img->info.readonly)
		return -EROFS;
	if (!img->info.can_discard)
		return -EOPNOTSUPP;
	if (io->op == TD_IO_DISCARD_SECURE && !img->info.can_discard_secure)
		return -EOPNOTSUPP;
	err = raw_check_range(img, io);
	if (err)
		return err;
	if (!io->len || io->offset % lss || io->len % lss)
		return -EINVAL;
	if (img->info.is_blockdev) {
		raw_discard_blockdev(img, rp, io);
		return 0;
	}
	io->fd = rp->fd;
	return img->eng_ops->queue(img->eng, io);
}

static int raw_queue(struct td_image *img, struct td_io *io)
{
	struct raw_priv *rp = img->priv;

	if (rp->fd < 0)
		return -EBADF;
	switch (io->op) {
	case TD_IO_READ:
	case TD_IO_WRITE:
		return raw_queue_rw(img, rp, io);
	case TD_IO_FLUSH:
		io->fd = rp->fd;
		return img->eng_ops->queue(img->eng, io);
	case TD_IO_DISCARD:
	case TD_IO_DISCARD_SECURE:
		return raw_queue_discard(img, rp, io);
	}
	return -EOPNOTSUPP;
}

static const char *const raw_aliases[] = { "aio", NULL };

const struct td_driver_ops td_drv_raw = {
	.name = "raw",
	.aliases = raw_aliases,
	.priv_size = sizeof(struct raw_priv),
	.open = raw_open,
	.close = raw_close,
	.queue = raw_queue,
};
