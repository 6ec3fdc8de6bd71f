/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drv-fault: fault injection around any image, for tests (nbdkit's
 * "error" and "delay" filters, ublk's fault target).
 *
 *   fault:<options>:<inner type>:<inner path>
 *
 * <options> is a comma-separated list of key=value pairs without colons
 * (it may be empty: "fault::raw:/img" passes everything through); the rest
 * is an ordinary image spec, opened on the same engine, so layers nest:
 * "fault:delay_ms=20:fault:eio_rate=0.1:raw:/img".
 *
 * One layer holds one rule: a selection saying which requests are hit, and
 * what a hit request gets.
 *
 *   selection
 *     op=LIST      read, write, flush, discard or all, joined by '+'
 *                  (default read+write; discard includes secure discard)
 *     sector=A[-B] requests touching a 512-byte sector in [A, B] (inclusive;
 *                  flushes have no range and always match)
 *     skip=N       leave the first N matching requests alone
 *     count=N      hit at most N requests, then none (default: no limit)
 *     rate=P       hit a matching request with probability P (0..1, default 1)
 *     seed=S       seed of the generator behind rate (default 1: reproducible)
 *     mapped=1     only requests whose buffers are mapped guest pages
 *                  (tapdisk's zero copy: td_io.mapped), as when the kernel
 *                  cannot do I/O on such pages (EFAULT) while it can on
 *                  tapdisk's own bounce pages
 *   faults (at least one, else the layer only passes requests through)
 *     error=E      complete with -E: eio, enospc, edquot, erofs, eopnotsupp,
 *                  enodev, enomem, efault, einval. Without after=1 the I/O
 *                  is not done.
 *     after=1      do the I/O first, then report the error (a write that
 *                  reached the disk but is not acknowledged)
 *     short=N|half READ/WRITE only, at the I/O engine: a hit submission is
 *                  reported as having moved at most N bytes (a multiple of
 *                  512; 0: no progress) or half of it, as a kernel may. The
 *                  inner driver must finish or fail the request itself (raw
 *                  resubmits the rest; no progress fails with EIO). Applies
 *                  only to inner drivers that use the engine (raw).
 *     delay_ms=N   complete a hit request no earlier than N ms after it
 *                  was queued (N <= 60000)
 *   independent of the selection above
 *     crash_after_writes=N  when the Nth successful write touching the
 *                  sector range has been passed up, the process SIGKILLs
 *                  itself (for crash-consistency tests)
 *   shorthands (from the test plan)
 *     eio_rate=P       error=eio,rate=P
 *     enospc_count=N   error=enospc,count=N and, unless op= is given, op=write:
 *                      the first N writes fail, later ones succeed
 *
 * A key may appear once. error cannot be combined with short, nor short
 * with delay_ms, in one layer (nest two layers instead).
 *
 * How: every request the rule may touch goes to the inner image as a
 * shadow td_io of this driver (so the inner driver's private fields in the
 * caller's io are never shared); its completion comes back here and is
 * passed up. Delays need no timer: a completion that is not due yet is
 * handed to the engine's deferred-completion path (ioeng_ops.complete)
 * again, once per loop iteration, until it is due; the loop spins while a
 * delayed request waits, which is acceptable for a test driver. Short
 * transfers are injected by giving the inner driver a wrapper engine whose
 * queue() runs a hit submission as a shadow and reports a smaller count.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "td-io.h"
#include "td-log.h"

#define FAULT_PFX "fault"
#define FAULT_MAX_DELAY_MS 60000u
#define FAULT_SHORT_HALF UINT64_MAX
#define FAULT_SECTOR_SHIFT 9

#define OPBIT(op) (1u << (op))
#define OPS_DEFAULT (OPBIT(TD_IO_READ) | OPBIT(TD_IO_WRITE))
#define OPS_DISCARD (OPBIT(TD_IO_DISCARD) | OPBIT(TD_IO_DISCARD_SECURE))
#define OPS_ALL (OPS_DEFAULT | OPBIT(TD_IO_FLUSH) | OPS_DISCARD)

struct fault_rule {
	unsigned ops;		/* OPBIT(TD_IO_*) */
	uint64_t sec_lo, sec_hi;	/* inclusive */
	uint64_t skip;
	uint64_t count;		/* UINT64_MAX: no limit */
	double rate;
	uint64_t seed;
	int mapped_only;	/* mapped=1 */
	int error;		/* 0 or a negative errno */
	int after;
	int has_short;
	uint64_t short_bytes;	/* FAULT_SHORT_HALF: half */
	uint32_t delay_ms;
	uint64_t crash_after;	/* 0: off */
};

struct fault_priv;

/* The engine the inner driver sees when short= is set (see the top). */
struct ioeng {
	struct fault_priv *fp;
};

/* A shadow of one caller's io while this layer tracks it. */
struct fault_io {
	struct td_io io;	/* what the inner driver or engine gets */
	struct td_io *orig;	/* the caller's io */
	struct fault_priv *fp;
	uint64_t due_ns;	/* 0: no delay */
	uint64_t limit;		/* short: bytes reported at most */
	uint8_t hit;
	struct fault_io *next;	/* free list */
};

struct fault_priv {
	struct fault_rule rule;
	struct td_image *img;	/* this layer */
	struct td_image *inner;
	struct ioeng weng;	/* wrapper engine (short=) */
	uint64_t rng;
	uint64_t matched, injected, writes_acked;
	uint64_t n_err, n_short, n_delay;
	struct fault_io *free;
	unsigned live;		/* shadows outstanding */
};

/* ---- options (pure) ------------------------------------------------------ */

static const struct {
	const char *name;
	int err;
} fault_errnos[] = {
	{ "eio", EIO }, { "enospc", ENOSPC }, { "edquot", EDQUOT },
	{ "erofs", EROFS }, { "eopnotsupp", EOPNOTSUPP }, { "enodev", ENODEV },
	{ "enomem", ENOMEM },
	/* what I/O on guest pages it cannot use (O_DIRECT alignment,
	 * unpinnable pages) gets: tapdisk then falls back to grant copy */
	{ "efault", EFAULT }, { "einval", EINVAL },
};

static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_ops(char *s, unsigned *ops)
{
	char *tok, *save = NULL;

	*ops = 0;
	if (s[0] == '+' || strstr(s, "++") || (s[0] && s[strlen(s) - 1] == '+'))
		return -EINVAL;
	for (tok = strtok_r(s, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		if (!strcmp(tok, "read"))
			*ops |= OPBIT(TD_IO_READ);
		else if (!strcmp(tok, "write"))
			*ops |= OPBIT(TD_IO_WRITE);
		else if (!strcmp(tok, "flush"))
			*ops |= OPBIT(TD_IO_FLUSH);
		else if (!strcmp(tok, "discard"))
			*ops |= OPS_DISCARD;
		else if (!strcmp(tok, "all"))
			*ops |= OPS_ALL;
		else
			return -EINVAL;
	}
	return *ops ? 0 : -EINVAL;
}

static int parse_sectors(char *s, uint64_t *lo, uint64_t *hi)
{
	char *dash = strchr(s, '-');

	if (dash)
		*dash = '\0';
	if (parse_u64(s, lo) < 0)
		return -EINVAL;
	*hi = *lo;
	if (dash && parse_u64(dash + 1, hi) < 0)
		return -EINVAL;
	return *lo <= *hi ? 0 : -EINVAL;
}

static int parse_rate(const char *s, double *out)
{
	char *end;
	double v;

	if (!*s)
		return -EINVAL;
	v = strtod(s, &end);
	if (*end || !(v >= 0.0 && v <= 1.0))	/* also refuses NaN */
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_errno(const char *s, int *out)
{
	size_t i;

	for (i = 0; i < sizeof(fault_errnos) / sizeof(fault_errnos[0]); i++)
		if (!strcmp(s, fault_errnos[i].name)) {
			*out = -fault_errnos[i].err;
			return 0;
		}
	return -EINVAL;
}

/* Keys, in the order of the bit that says "seen". */
static const char *const fault_keys[] = {
	"op", "sector", "skip", "count", "rate", "seed", "error", "after",
	"short", "delay_ms", "crash_after_writes", "eio_rate", "enospc_count",
	"mapped",
};

static int parse_one(struct fault_rule *r, unsigned k, char *val, int *op_set)
{
	uint64_t v;

	switch (k) {
	case 0:
		*op_set = 1;
		return parse_ops(val, &r->ops);
	case 1:
		return parse_sectors(val, &r->sec_lo, &r->sec_hi);
	case 2:
		return parse_u64(val, &r->skip);
	case 3:
		return parse_u64(val, &r->count);
	case 4:
		return parse_rate(val, &r->rate);
	case 5:
		return parse_u64(val, &r->seed);
	case 6:
		return parse_errno(val, &r->error);
	case 7:
		if (parse_u64(val, &v) < 0 || v > 1)
			return -EINVAL;
		r->after = (int)v;
		return 0;
	case 8:
		r->has_short = 1;
		if (!strcmp(val, "half")) {
			r->short_bytes = FAULT_SHORT_HALF;
			return 0;
		}
		if (parse_u64(val, &r->short_bytes) < 0 ||
		    r->short_bytes % 512 || r->short_bytes == FAULT_SHORT_HALF)
			return -EINVAL;
		return 0;
	case 9:
		if (parse_u64(val, &v) < 0 || v > FAULT_MAX_DELAY_MS)
			return -EINVAL;
		r->delay_ms = (uint32_t)v;
		return 0;
	case 10:
		return parse_u64(val, &r->crash_after) < 0 || !r->crash_after ?
		       -EINVAL : 0;
	case 11:
		r->error = -EIO;
		return parse_rate(val, &r->rate);
	case 12:
		r->error = -ENOSPC;
		if (!*op_set)
			r->ops = OPBIT(TD_IO_WRITE);
		return parse_u64(val, &r->count);
	case 13:
		if (parse_u64(val, &v) < 0 || v > 1)
			return -EINVAL;
		r->mapped_only = (int)v;
		return 0;
	}
	return -EINVAL;
}

/* Parse the options part of a spec (may be empty). 0 or -EINVAL. */
static int fault_parse(const char *opts, struct fault_rule *r)
{
	char buf[512], *tok, *save = NULL, *eq;
	unsigned seen = 0, k, n = sizeof(fault_keys) / sizeof(fault_keys[0]);
	int op_set = 0;

	*r = (struct fault_rule){
		.ops = OPS_DEFAULT, .sec_hi = UINT64_MAX, .count = UINT64_MAX,
		.rate = 1.0, .seed = 1,
	};
	if (strlen(opts) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, opts);
	/* strtok_r would skip empty tokens: refuse ",," and friends first */
	if (buf[0] == ',' || strstr(buf, ",,") ||
	    (buf[0] && buf[strlen(buf) - 1] == ','))
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (!eq || eq == tok || !eq[1])
			return -EINVAL;
		*eq = '\0';
		for (k = 0; k < n && strcmp(tok, fault_keys[k]); k++)
			;
		if (k == n || (seen & (1u << k)))
			return -EINVAL;
		seen |= 1u << k;
		if (parse_one(r, k, eq + 1, &op_set) < 0)
			return -EINVAL;
	}
	if ((seen & (1u << 6)) && (seen & ((1u << 11) | (1u << 12))))
		return -EINVAL;		/* error= twice under two names */
	if ((seen & (1u << 11)) && (seen & ((1u << 4) | (1u << 12))))
		return -EINVAL;
	if ((seen & (1u << 12)) && (seen & (1u << 3)))
		return -EINVAL;
	if (r->after && !r->error)
		return -EINVAL;
	if (r->has_short && (r->error || r->delay_ms))
		return -EINVAL;
	return 0;
}

/* ---- selection ------------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Uniform in [0, 1) (xorshift64*; the state is never 0). */
static double fault_rand(struct fault_priv *fp)
{
	uint64_t x = fp->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	fp->rng = x;
	return (double)((x * 0x2545f4914f6cdd1dull) >> 11) * 0x1.0p-53;
}

static int in_range(const struct fault_rule *r, enum td_io_op op,
		    uint64_t offset, uint64_t len)
{
	uint64_t first = offset >> FAULT_SECTOR_SHIFT, last;

	if (op == TD_IO_FLUSH)
		return 1;
	if (!len)
		last = first;
	else if (len - 1 > UINT64_MAX - offset)	/* callers check ranges; */
		last = UINT64_MAX >> FAULT_SECTOR_SHIFT;	/* never wrap here */
	else
		last = (offset + len - 1) >> FAULT_SECTOR_SHIFT;
	return !(last < r->sec_lo || first > r->sec_hi);
}

/* Does the rule hit this request? Counts it when it matches. */
static int fault_select(struct fault_priv *fp, const struct td_io *io,
			uint64_t len)
{
	const struct fault_rule *r = &fp->rule;
	enum td_io_op op = io->op;

	if ((unsigned)op > TD_IO_DISCARD_SECURE || !(r->ops & OPBIT(op)) ||
	    !in_range(r, op, io->offset, len) || (r->mapped_only && !io->mapped))
		return 0;
	fp->matched++;
	if (fp->matched <= r->skip || fp->injected >= r->count)
		return 0;
	if (r->rate < 1.0 && fault_rand(fp) >= r->rate)
		return 0;
	fp->injected++;
	return 1;
}

/* ---- shadows ---------------------------------------------------------------- */

static struct fault_io *fio_get(struct fault_priv *fp, struct td_io *orig)
{
	struct fault_io *f = fp->free;

	if (f)
		fp->free = f->next;
	else if (!(f = malloc(sizeof(*f))))
		return NULL;
	memset(f, 0, sizeof(*f));
	f->orig = orig;
	f->fp = fp;
	fp->live++;
	return f;
}

static void fio_put(struct fault_io *f)
{
	struct fault_priv *fp = f->fp;

	fp->live--;
	f->next = fp->free;
	fp->free = f;
}

/* The shadow carries the caller's request as it is. */
static void fio_copy_req(struct fault_io *f, const struct td_io *io,
			 td_io_done_fn done)
{
	f->io.op = io->op;
	f->io.offset = io->offset;
	f->io.len = io->len;
	f->io.iov = io->iov;
	f->io.iovcnt = io->iovcnt;
	f->io.fd = io->fd;
	f->io.mapped = io->mapped;
	f->io.done = done;
	f->io.owner = f;
}

/* ---- the driver's completion path ------------------------------------------ */

static void fault_crash(struct fault_priv *fp)
{
	TD_WARN(FAULT_PFX, "%" PRIu64 " writes acknowledged: crashing now "
		"(crash_after_writes)", fp->writes_acked);
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

/* Pass the result up; the shadow is gone afterwards. */
static void fault_deliver(struct fault_io *f, int64_t res)
{
	struct fault_priv *fp = f->fp;
	struct td_io *orig = f->orig;
	int crash = 0;

	if (fp->rule.crash_after && orig->op == TD_IO_WRITE && res >= 0 &&
	    in_range(&fp->rule, orig->op, orig->offset, orig->len))
		crash = ++fp->writes_acked >= fp->rule.crash_after;
	fio_put(f);
	orig->done(orig, res);
	if (crash)
		fault_crash(fp);
}

static void fault_delay_done(struct td_io *sio, int64_t res)
{
	struct fault_io *f = sio->owner;
	struct td_image *img = f->fp->img;

	if (f->due_ns && now_ns() < f->due_ns) {
		/* not due yet: once more round the loop (see the top) */
		img->eng_ops->complete(img->eng, &f->io, res);
		return;
	}
	fault_deliver(f, res);
}

/* A hit or tracked request is finished below (or was never sent). */
static void fault_finish(struct fault_io *f, int64_t res, int from_queue)
{
	struct td_image *img = f->fp->img;

	if (f->hit && f->fp->rule.error && (!from_queue || !f->fp->rule.after)) {
		if (res >= 0 || !f->fp->rule.after)
			res = f->fp->rule.error;
		f->fp->n_err++;
	}
	if (f->due_ns || from_queue) {
		/* through the loop: delayed, or never completed inside queue() */
		if (img->eng_ops && img->eng_ops->complete) {
			f->io.done = fault_delay_done;
			img->eng_ops->complete(img->eng, &f->io, res);
			return;
		}
	}
	fault_deliver(f, res);
}

static void fault_inner_done(struct td_io *sio, int64_t res)
{
	fault_finish(sio->owner, res, 0);
}

/* ---- the wrapper engine (short=) --------------------------------------------- */

static const struct ioeng_ops *real_ops(struct ioeng *e)
{
	return e->fp->img->eng_ops;
}

static struct ioeng *real_eng(struct ioeng *e)
{
	return e->fp->img->eng;
}

static int weng_init(struct ioeng **out, unsigned depth)
{
	*out = NULL;
	return -EOPNOTSUPP;	/* only ever made by fault_open */
}

static void weng_fini(struct ioeng *e)
{
}

static int weng_fd(struct ioeng *e)
{
	return real_ops(e)->fd(real_eng(e));
}

static void weng_short_done(struct td_io *sio, int64_t res)
{
	struct fault_io *f = sio->owner;
	struct td_io *orig = f->orig;

	if (res > 0 && (uint64_t)res > f->limit) {
		res = (int64_t)f->limit;
		f->fp->n_short++;
	}
	fio_put(f);
	orig->done(orig, res);
}

static int weng_queue(struct ioeng *e, struct td_io *io)
{
	struct fault_priv *fp = e->fp;
	struct fault_io *f;
	uint64_t piece = 0, limit;
	unsigned i;
	int err;

	if (io->op != TD_IO_READ && io->op != TD_IO_WRITE)
		return real_ops(e)->queue(real_eng(e), io);
	/* io->len is the whole request; a resubmission moves only its iov */
	for (i = 0; i < io->iovcnt; i++)
		piece += io->iov[i].iov_len;
	limit = fp->rule.short_bytes;
	if (limit == FAULT_SHORT_HALF)
		limit = piece / 2 / 512 * 512;
	if (limit >= piece || (!limit && fp->rule.short_bytes) ||
	    !fault_select(fp, io, piece))
		return real_ops(e)->queue(real_eng(e), io);
	f = fio_get(fp, io);
	if (!f)
		return -ENOMEM;
	fio_copy_req(f, io, weng_short_done);
	f->limit = limit;
	f->hit = 1;
	err = real_ops(e)->queue(real_eng(e), &f->io);
	if (err)
		fio_put(f);
	return err;
}

static int weng_submit(struct ioeng *e)
{
	return real_ops(e)->submit(real_eng(e));
}

static int weng_reap(struct ioeng *e)
{
	return real_ops(e)->reap(real_eng(e));
}

static unsigned weng_inflight(struct ioeng *e)
{
	return real_ops(e)->inflight(real_eng(e));
}

static void weng_complete(struct ioeng *e, struct td_io *io, int64_t res)
{
	if (real_ops(e)->complete)
		real_ops(e)->complete(real_eng(e), io, res);
	else
		io->done(io, res);
}

static const struct ioeng_ops fault_eng_ops = {
	.name = "fault",
	.init = weng_init,
	.fini = weng_fini,
	.fd = weng_fd,
	.queue = weng_queue,
	.submit = weng_submit,
	.reap = weng_reap,
	.inflight = weng_inflight,
	.complete = weng_complete,
};

/* ---- driver ops --------------------------------------------------------------- */

static void fault_describe(const struct fault_rule *r, char *buf, size_t size)
{
	char sh[24];

	if (!r->has_short)
		snprintf(sh, sizeof(sh), "off");
	else if (r->short_bytes == FAULT_SHORT_HALF)
		snprintf(sh, sizeof(sh), "half");
	else
		snprintf(sh, sizeof(sh), "%" PRIu64, r->short_bytes);
	snprintf(buf, size, "ops 0x%x, sectors %" PRIu64 "-%" PRIu64 ", skip %"
		 PRIu64 ", count %" PRIu64 ", rate %g, error %d%s, short %s, "
		 "delay %u ms, crash after %" PRIu64 " writes",
		 r->ops, r->sec_lo, r->sec_hi, r->skip, r->count, r->rate,
		 r->error, r->after ? " (after)" : "", sh, r->delay_ms,
		 r->crash_after);
}

static int fault_open(struct td_image *img, const char *path, unsigned flags)
{
	struct fault_priv *fp = img->priv;
	const struct ioeng_ops *eops = img->eng_ops;
	struct ioeng *eng = img->eng;
	const char *colon = strchr(path, ':');
	char opts[512], desc[256];
	size_t olen;
	int err;

	fp->img = img;
	if (!colon || !colon[1] || (olen = (size_t)(colon - path)) >= sizeof(opts)) {
		TD_ERR(FAULT_PFX, "bad spec \"fault:%s\": expected "
		       "fault:<options>:<type>:<path>", path);
		return -EINVAL;
	}
	memcpy(opts, path, olen);
	opts[olen] = '\0';
	if (fault_parse(opts, &fp->rule) < 0) {
		TD_ERR(FAULT_PFX, "bad options \"%s\" (see drivers/drv-fault.c)",
		       opts);
		return -EINVAL;
	}
	if ((fp->rule.delay_ms || fp->rule.has_short) &&
	    !(eops && eng && eops->complete)) {
		TD_ERR(FAULT_PFX, "delay_ms and short need an I/O engine");
		return -EINVAL;
	}
	fp->rng = fp->rule.seed ? fp->rule.seed : 0x9e3779b97f4a7c15ull;
	if (fp->rule.has_short) {
		fp->weng.fp = fp;
		eops = &fault_eng_ops;
		eng = &fp->weng;
	}
	err = td_image_open(colon + 1, flags, eops, eng, &fp->inner);
	if (err)
		return err;
	img->info = fp->inner->info;
	fault_describe(&fp->rule, desc, sizeof(desc));
	TD_INFO(FAULT_PFX, "%s over %s", desc, colon + 1);
	return 0;
}

static void fault_close(struct td_image *img)
{
	struct fault_priv *fp = img->priv;
	struct fault_io *f;

	if (fp->inner) {
		TD_INFO(FAULT_PFX, "closing: %" PRIu64 " requests hit (%" PRIu64
			" errors, %" PRIu64 " short, %" PRIu64 " delayed)",
			fp->injected, fp->n_err, fp->n_short, fp->n_delay);
		td_image_close(fp->inner);
		fp->inner = NULL;
	}
	if (fp->live)
		TD_ERR(FAULT_PFX, "closed with %u requests outstanding", fp->live);
	while ((f = fp->free)) {
		fp->free = f->next;
		free(f);
	}
}

static int fault_queue(struct td_image *img, struct td_io *io)
{
	struct fault_priv *fp = img->priv;
	const struct fault_rule *r = &fp->rule;
	struct fault_io *f;
	int hit = 0, err;

	if (!fp->inner)
		return -EBADF;
	if ((r->error || r->delay_ms) && !r->has_short)
		hit = fault_select(fp, io, io->len);
	if (!hit && !(r->crash_after && io->op == TD_IO_WRITE))
		return td_image_queue(fp->inner, io);

	f = fio_get(fp, io);
	if (!f)
		return -ENOMEM;
	f->hit = (uint8_t)hit;
	if (hit && r->delay_ms) {
		f->due_ns = now_ns() + (uint64_t)r->delay_ms * 1000000u;
		fp->n_delay++;
	}
	fio_copy_req(f, io, fault_inner_done);
	if (hit && r->error && !r->after) {
		TD_DBG(FAULT_PFX, "op %u at %" PRIu64 ": injecting %s", io->op,
		       io->offset, strerror(-r->error));
		fault_finish(f, r->error, 1);
		return 0;
	}
	err = td_image_queue(fp->inner, &f->io);
	if (err)
		fio_put(f);
	return err;
}

const struct td_driver_ops td_drv_fault = {
	.name = "fault",
	.priv_size = sizeof(struct fault_priv),
	.open = fault_open,
	.close = fault_close,
	.queue = fault_queue,
};
