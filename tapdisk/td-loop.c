/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "td-loop.h"

#define TD_LOOP_BATCH 64
#define TD_LOOP_FED_MAX 8

static int epfd = -1;
static struct td_sweep *sweeps;
static int stop_flag;
static int kicked;
static int in_batch;
static struct td_defer *deferred;
static int (*idle_fn)(void *arg);
static void *idle_arg;

void td_loop_set_idle(int (*fn)(void *arg), void *arg)
{
	idle_fn = fn;
	idle_arg = arg;
}

void td_loop_defer(struct td_defer *d, void (*fn)(void *arg), void *arg)
{
	d->fn = fn;
	d->arg = arg;
	if (!in_batch) {
		fn(arg);
		return;
	}
	d->next = deferred;
	deferred = d;
}

static void run_deferred(void)
{
	while (deferred) {
		struct td_defer *d = deferred;

		deferred = d->next;
		d->fn(d->arg);
	}
}

int td_loop_init(void)
{
	if (epfd >= 0)
		return 0;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	stop_flag = 0;
	return 0;
}

void td_loop_fini(void)
{
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
	sweeps = NULL;
}

int td_loop_add(struct td_loop_src *src, int fd, uint32_t events, td_loop_fn fn,
		void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	src->fd = fd;
	src->fn = fn;
	src->arg = arg;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	src->registered = 1;
	return 0;
}

int td_loop_mod(struct td_loop_src *src, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	if (!src->registered)
		return -EINVAL;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, src->fd, &ev) < 0)
		return -errno;
	return 0;
}

void td_loop_del(struct td_loop_src *src)
{
	if (!src->registered)
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, src->fd, NULL);
	src->registered = 0;
}

void td_loop_add_sweep(struct td_sweep *s, td_sweep_fn fn, void *arg)
{
	struct td_sweep **pp = &sweeps;

	if (s->registered)
		return;
	s->fn = fn;
	s->arg = arg;
	s->next = NULL;
	while (*pp)
		pp = &(*pp)->next;
	*pp = s;
	s->registered = 1;
}

void td_loop_del_sweep(struct td_sweep *s)
{
	struct td_sweep **pp = &sweeps;

	if (!s->registered)
		return;
	while (*pp && *pp != s)
		pp = &(*pp)->next;
	if (*pp)
		*pp = s->next;
	s->registered = 0;
}

void td_loop_kick(void)
{
	kicked = 1;
}

int td_loop_once(int timeout_ms)
{
	struct epoll_event evs[TD_LOOP_BATCH];
	struct td_sweep *s, *next;
	int n, i;

	static unsigned idle_work;	/* iterations the idle hook fed in a row */
	int fed = 0;

	if (!kicked && timeout_ms != 0 && idle_fn && idle_fn(idle_arg)) {
		timeout_ms = 0;
		fed = 1;
	}
	if (kicked)
		timeout_ms = 0;
	kicked = 0;
	/* The idle hook found and took work (busy polling): go straight to
	 * the sweeps, but look at the fds at least every TD_LOOP_FED_MAX
	 * iterations so that nothing else waits. */
	if (fed && ++idle_work < TD_LOOP_FED_MAX) {
		n = 0;
		goto sweep;
	}
	idle_work = 0;
	n = epoll_wait(epfd, evs, TD_LOOP_BATCH, timeout_ms);
	if (n < 0) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
sweep:
	in_batch = 1;
	for (i = 0; i < n; i++) {
		struct td_loop_src *src = evs[i].data.ptr;

		/* A handler earlier in this batch may have removed src (its
		 * memory stays valid until run_deferred, see td_loop_defer). */
		if (src->registered)
			src->fn(src, evs[i].events);
	}
	for (s = sweeps; s; s = next) {
		next = s->next;
		s->fn(s->arg);
	}
	in_batch = 0;
	run_deferred();
	return 0;
}

int td_loop_run(void)
{
	int err;

	while (!stop_flag) {
		err = td_loop_once(-1);
		if (err < 0)
			return err;
	}
	return 0;
}

void td_loop_stop(void)
{
	stop_flag = 1;
}

int td_loop_stopped(void)
{
	return stop_flag;
}
