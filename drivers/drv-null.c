/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drv-null: "null:<size>", a disk that reads zeros and drops writes (the
 * ring/VBD path without any storage cost: for benchmarks of the layers
 * above and for tests). Every request completes inside queue().
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "td-io.h"
#include "td-log.h"

#define NULL_SECTOR 512u
#define NULL_PAGE 4096u

struct null_priv {
	int open;
};

static int null_open(struct td_image *img, const char *path, unsigned flags)
{
	struct null_priv *np = img->priv;
	uint64_t size;

	if (td_parse_size(path, &size) < 0 || size == 0 || size % NULL_SECTOR) {
		TD_ERR(NULL, "null: bad size \"%s\": expected a non-zero "
		       "multiple of 512 bytes, e.g. 1G", path);
		return -EINVAL;
	}
	img->info = (struct td_image_info){
		.size = size,
		.logical_sector = NULL_SECTOR,
		.physical_sector = NULL_PAGE,
		.readonly = !!(flags & TD_OPEN_RDONLY),
		.can_discard = !(flags & TD_OPEN_RDONLY),
		.discard_granularity = (flags & TD_OPEN_RDONLY) ? 0 : NULL_PAGE,
	};
	np->open = 1;
	return 0;
}

static void null_close(struct td_image *img)
{
	struct null_priv *np = img->priv;

	np->open = 0;
}

static int null_queue(struct td_image *img, struct td_io *io)
{
	struct null_priv *np = img->priv;
	uint64_t sum = 0;
	unsigned i;

	if (!np->open)
		return -EBADF;
	if (io->op != TD_IO_FLUSH &&
	    (io->offset > img->info.size || io->len > img->info.size - io->offset)) {
		TD_RL(TD_LOG_ERR, "null", "I/O past the end: offset %" PRIu64
		      " len %" PRIu64, io->offset, io->len);
		return -EINVAL;
	}
	switch (io->op) {
	case TD_IO_READ:
	case TD_IO_WRITE:
		if (io->op == TD_IO_WRITE && img->info.readonly)
			return -EROFS;
		if (io->iovcnt && !io->iov)
			return -EINVAL;
		for (i = 0; i < io->iovcnt; i++)
			sum += io->iov[i].iov_len;
		if (sum != io->len)
			return -EINVAL;
		if (io->op == TD_IO_READ)
			for (i = 0; i < io->iovcnt; i++)
				memset(io->iov[i].iov_base, 0, io->iov[i].iov_len);
		io->done(io, (int64_t)io->len);
		return 0;
	case TD_IO_FLUSH:
		io->done(io, 0);
		return 0;
	case TD_IO_DISCARD:
		if (img->info.readonly)
			return -EROFS;
		io->done(io, 0);
		return 0;
	case TD_IO_DISCARD_SECURE:
		break;
	}
	return -EOPNOTSUPP;
}

const struct td_driver_ops td_drv_null = {
	.name = "null",
	.priv_size = sizeof(struct null_priv),
	.open = null_open,
	.close = null_close,
	.queue = null_queue,
};
