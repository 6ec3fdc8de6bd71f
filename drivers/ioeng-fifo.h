/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ioeng-fifo: the FIFO lists of td_io (linked through io->next) that both
 * I/O engines keep: the backlog beyond their depth, and completions
 * deferred to the next reap().
 */
#ifndef XENTAP_IOENG_FIFO_H
#define XENTAP_IOENG_FIFO_H

#include <stddef.h>

#include "td-io.h"

struct td_io_fifo {
	struct td_io *head, *tail;
	unsigned n;
};

static inline void td_io_fifo_push(struct td_io_fifo *f, struct td_io *io)
{
	io->next = NULL;
	if (f->tail)
		f->tail->next = io;
	else
		f->head = io;
	f->tail = io;
	f->n++;
}

static inline struct td_io *td_io_fifo_pop(struct td_io_fifo *f)
{
	struct td_io *io = f->head;

	if (io) {
		f->head = io->next;
		if (!f->head)
			f->tail = NULL;
		f->n--;
	}
	return io;
}

/* Complete every deferred io with its eng_res. The list is detached
 * first: a callback may defer another completion (handled next time). */
static inline unsigned td_io_fifo_complete_all(struct td_io_fifo *f)
{
	struct td_io *io = f->head, *next;
	unsigned n = 0;

	f->head = f->tail = NULL;
	f->n = 0;
	for (; io; io = next) {
		next = io->next;
		io->done(io, io->eng_res);
		n++;
	}
	return n;
}

#endif
