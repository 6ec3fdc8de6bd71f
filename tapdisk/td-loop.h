/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-loop: tapdisk's single event loop (epoll).
 *
 * Sources are fds with a handler; after every batch of events the loop runs
 * its "sweep" hooks (submit queued I/O once, push responses once, notify
 * once), which is what keeps the request path to one system call per batch
 * instead of one per request.
 */
#ifndef XENTAP_TD_LOOP_H
#define XENTAP_TD_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

struct td_loop_src;
typedef void (*td_loop_fn)(struct td_loop_src *src, uint32_t events);

/* Embed in the owner's struct; the loop never allocates or frees it. */
struct td_loop_src {
	int fd;
	td_loop_fn fn;
	void *arg;
	int registered;
};

typedef void (*td_sweep_fn)(void *arg);

struct td_sweep {
	td_sweep_fn fn;
	void *arg;
	struct td_sweep *next;
	int registered;
};

int td_loop_init(void);
void td_loop_fini(void);
/* 0 or -errno. events: EPOLLIN etc. */
int td_loop_add(struct td_loop_src *src, int fd, uint32_t events, td_loop_fn fn,
		void *arg);
int td_loop_mod(struct td_loop_src *src, uint32_t events);
/* Idempotent. */
void td_loop_del(struct td_loop_src *src);
/* Sweep hooks run in registration order after each batch. Idempotent del. */
void td_loop_add_sweep(struct td_sweep *s, td_sweep_fn fn, void *arg);
void td_loop_del_sweep(struct td_sweep *s);
/* Run one iteration, waiting up to timeout_ms (-1 forever). 0 or -errno. */
int td_loop_once(int timeout_ms);
/* Run until td_loop_stop(). */
int td_loop_run(void);
void td_loop_stop(void);
int td_loop_stopped(void);
/*
 * Deferred release: an object whose td_loop_src may still have an event in
 * the batch being dispatched must not be freed inside a handler. Embed a
 * td_defer in it and call td_loop_defer(); fn(arg) runs after the batch
 * (immediately when no batch is being dispatched).
 */
struct td_defer {
	void (*fn)(void *arg);
	void *arg;
	struct td_defer *next;
};
void td_loop_defer(struct td_defer *d, void (*fn)(void *arg), void *arg);

/*
 * Called before the loop would block in epoll_wait: returns nonzero if it
 * found (or did) work, and the loop then only looks at its fds without
 * waiting. tapdisk's busy polling and the ring's final re-arm live there.
 */
void td_loop_set_idle(int (*fn)(void *arg), void *arg);

/* Ask for one more sweep without waiting (e.g. work was deferred). */
void td_loop_kick(void);

#endif
