/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drv-null: "null:<size>", a disk that reads zeros and drops writes (the
 * ring/VBD path without any storage cost: for benchmarks of the layers
 * above and for tests). Every request completes inside queue().
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "td-io.h"

struct null_priv {
	int open;
};

static int null_open(struct td_image *img, const char *path, unsigned flags)
{
	struct null_priv *np = img->priv;
	int err;

	err = td_sized_open(img, path, flags, UINT64_MAX);
	if (err)
		return err;
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
	unsigned i;
	int err;

	if (!np->open)
		return -EBADF;
	err = td_sized_check(img, io);
	if (err)
		return err;
	if (io->op == TD_IO_READ)
		for (i = 0; i < io->iovcnt; i++)
			memset(io->iov[i].iov_base, 0, io->iov[i].iov_len);
	/* Writes are dropped; FLUSH and DISCARD have nothing to do. */
	io->done(io, io->op == TD_IO_READ || io->op == TD_IO_WRITE ?
		 (int64_t)io->len : 0);
	return 0;
}

const struct td_driver_ops td_drv_null = {
	.name = "null",
	.priv_size = sizeof(struct null_priv),
	.open = null_open,
	.close = null_close,
	.queue = null_queue,
};
