/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drv-ram: "ram:<size>", an image in anonymous memory (for tests and
 * benchmarks: the fastest real backend, with data that reads back).
 *
 * Every request completes inside queue(). Memory is mapped lazily
 * (MAP_NORESERVE), so a large disk costs only what the guest writes;
 * discard gives whole pages back to the kernel and zeroes the edges, so a
 * discarded range reads back as zeros.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "td-io.h"
#include "td-log.h"

#define RAM_PAGE 4096u

struct ram_priv {
	uint8_t *mem;	/* info.size bytes, NULL when closed */
	size_t map_len;
};

static int ram_open(struct td_image *img, const char *path, unsigned flags)
{
	struct ram_priv *rp = img->priv;
	uint64_t size;
	void *mem;
	int err;

	err = td_sized_open(img, path, flags, SIZE_MAX - RAM_PAGE);
	if (err)
		return err;
	size = img->info.size;
	rp->map_len = (size_t)((size + RAM_PAGE - 1) & ~(uint64_t)(RAM_PAGE - 1));
	mem = mmap(NULL, rp->map_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		err = -errno;
		TD_ERR(NULL, "ram: cannot map %" PRIu64 " bytes: %s", size,
		       strerror(-err));
		return err;
	}
	rp->mem = mem;
	return 0;
}

static void ram_close(struct td_image *img)
{
	struct ram_priv *rp = img->priv;

	if (rp->mem)
		munmap(rp->mem, rp->map_len);
	rp->mem = NULL;
}

/* Zero [off, off + len): drop the whole pages, memset the edges. */
static void ram_zero(struct ram_priv *rp, uint64_t off, uint64_t len)
{
	uint64_t end = off + len;
	uint64_t pstart = (off + RAM_PAGE - 1) & ~(uint64_t)(RAM_PAGE - 1);
	uint64_t pend = end & ~(uint64_t)(RAM_PAGE - 1);

	if (pstart >= pend) {
		memset(rp->mem + off, 0, (size_t)len);
		return;
	}
	memset(rp->mem + off, 0, (size_t)(pstart - off));
	if (madvise(rp->mem + pstart, (size_t)(pend - pstart), MADV_DONTNEED) < 0)
		memset(rp->mem + pstart, 0, (size_t)(pend - pstart));
	memset(rp->mem + pend, 0, (size_t)(end - pend));
}

/* Copy between the image and the iov (checked by td_sized_check). */
static void ram_copy(struct ram_priv *rp, struct td_io *io)
{
	uint64_t off = io->offset;
	unsigned i;

	for (i = 0; i < io->iovcnt; i++) {
		size_t n = io->iov[i].iov_len;

		if (!n)
			continue;
		if (io->op == TD_IO_READ)
			memcpy(io->iov[i].iov_base, rp->mem + off, n);
		else
			memcpy(rp->mem + off, io->iov[i].iov_base, n);
		off += n;
	}
}

static int ram_queue(struct td_image *img, struct td_io *io)
{
	struct ram_priv *rp = img->priv;
	int err;

	if (!rp->mem)
		return -EBADF;
	err = td_sized_check(img, io);
	if (err)
		return err;
	switch (io->op) {
	case TD_IO_READ:
	case TD_IO_WRITE:
		ram_copy(rp, io);
		io->done(io, (int64_t)io->len);
		return 0;
	case TD_IO_DISCARD:
		ram_zero(rp, io->offset, io->len);
		break;
	default:	/* FLUSH: memory is as durable as it gets */
		break;
	}
	io->done(io, 0);
	return 0;
}

const struct td_driver_ops td_drv_ram = {
	.name = "ram",
	.priv_size = sizeof(struct ram_priv),
	.open = ram_open,
	.close = ram_close,
	.queue = ram_queue,
};
