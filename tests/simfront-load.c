/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * simfront load: a small fio for the blkif ring.
 *
 * Efficiency matters (benchmarks use it): each round fills every free tag,
 * publishes them with one push (at most one notification), then reaps all
 * responses present at the wake-up. Nothing is allocated per I/O; the
 * clock is read twice per round, not per I/O: a request's latency runs
 * from the publication of its batch to the wake-up that saw its response,
 * which is what a guest observes.
 *
 * --verify: every write stores a pattern keyed by a per-block version
 * number; reads of blocks written during the run are checked against the
 * version last completed. A block is never in flight twice at once, so
 * there is no ordering ambiguity.
 *
 * --flush-every N: a FLUSH_DISKCACHE after every N writes submitted (never
 * two at once). --log FILE (with --verify): the crash log read by
 * tests/crashcheck.c, one line per event:
 *   # simfront-crashlog 1 bs=B size=S seed=X      header
 *   W ver offset len key    write of pattern `key` published (logged before)
 *   A ver / E ver           that write answered okay / with an error
 *   F n                     flush n published (logged before)
 *   FA n / FE n             flush n answered okay / with an error
 * The lines of a round go out with one write(2) before the push, those of
 * its completions with one after the reap: a kill -9 of the guest loses at
 * most answers it had not logged yet, never a published request.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simfront-cli.h"

/* Latency histogram: 64 linear buckets per power of two (< 1.6 % error). */
#define H_SUB_BITS 6
#define H_SUB (1u << H_SUB_BITS)
#define H_BUCKETS ((64 - H_SUB_BITS + 1) * H_SUB)

#define FLUSH_COOKIE UINT64_MAX	/* the cookie of --flush-every flushes */
#define LOG_BUF (64u * 1024u)

struct hist {
	uint64_t b[H_BUCKETS];
	uint64_t n, max, sum;
};

static unsigned hist_idx(uint64_t v)
{
	unsigned k;

	if (v < H_SUB)
		return (unsigned)v;
	k = 63u - (unsigned)__builtin_clzll(v);	/* >= H_SUB_BITS */
	return (k - H_SUB_BITS + 1) * H_SUB +
	       (unsigned)((v >> (k - H_SUB_BITS)) & (H_SUB - 1));
}

/* Middle of the bucket's value range. */
static uint64_t hist_value(unsigned idx)
{
	unsigned k, sub;

	if (idx < H_SUB)
		return idx;
	k = idx / H_SUB + H_SUB_BITS - 1;
	sub = idx % H_SUB;
	return ((uint64_t)(H_SUB + sub) << (k - H_SUB_BITS)) +
	       (((uint64_t)1 << (k - H_SUB_BITS)) >> 1);
}

static void hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_idx(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

static uint64_t hist_pct(const struct hist *h, double p)
{
	uint64_t want, seen = 0;
	unsigned i;

	if (!h->n)
		return 0;
	want = (uint64_t)(p * (double)h->n + 0.999999);
	if (want < 1)
		want = 1;
	for (i = 0; i < H_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want)
			return hist_value(i) < h->max ? hist_value(i) : h->max;
	}
	return h->max;
}

enum lpat { L_RANDREAD, L_RANDWRITE, L_READ, L_WRITE, L_RANDRW };

static const char *const lpat_names[] = {
	[L_RANDREAD] = "randread", [L_RANDWRITE] = "randwrite",
	[L_READ] = "read", [L_WRITE] = "write", [L_RANDRW] = "randrw",
};

struct load {
	struct sf_cli *c;
	struct simfront *f;
	enum lpat pat;
	uint64_t bs, blocks, seq;
	uint64_t rng;
	unsigned qd;
	uint8_t flags;
	/* per tag */
	uint64_t *t_sub;
	unsigned *batch;
	struct simfront_cpl *cpl;
	/* verify */
	uint32_t *ver;		/* per block: 0 unknown, else last version */
	uint8_t *busy;		/* per block: in flight */
	uint32_t next_ver;
	uint8_t **bufs;		/* per buffer slot (qd of them) */
	uint32_t *buf_ver;	/* version being written from this slot */
	unsigned *free_bufs, nr_free;
	uint64_t verified, mismatches;
	/* results */
	struct hist lat;
	uint64_t ios, errors, bytes, reads, writes;
	/* --flush-every and --log */
	uint64_t since_flush, flushes, flush_errors, flush_seq;
	int flush_busy;
	int log_fd;		/* -1: no log */
	int log_failed;
	char *log_buf;
	size_t log_len;
};

/* Write the buffered log lines out (one write(2) unless it is short). */
static void log_out(struct load *l)
{
	size_t off = 0;
	ssize_t n;

	while (l->log_fd >= 0 && off < l->log_len) {
		n = write(l->log_fd, l->log_buf + off, l->log_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!l->log_failed)
				sf_err("load: --log: %s", n < 0 ? strerror(errno)
								: "short write");
			l->log_failed = 1;
			break;
		}
		off += (size_t)n;
	}
	l->log_len = 0;
}

/* Append one line to the log buffer (written out by log_out). */
static void __attribute__((format(printf, 2, 3)))
log_add(struct load *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->log_fd < 0)
		return;
	if (l->log_len > LOG_BUF - 128)
		log_out(l);
	va_start(ap, fmt);
	n = vsnprintf(l->log_buf + l->log_len, LOG_BUF - l->log_len, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < LOG_BUF - l->log_len)
		l->log_len += (size_t)n;
}

static uint64_t lrand(struct load *l)
{
	uint64_t x = l->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	l->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint64_t vkey(uint64_t seed, uint32_t ver)
{
	return seed ^ ((uint64_t)ver * 0x9e3779b97f4a7c15ull);
}

/* Choose op and block; 0 if nothing can be issued now (verify: all picks
 * busy). */
static int pick(struct load *l, uint8_t *op, uint64_t *block)
{
	int tries;

	switch (l->pat) {
	case L_READ:
	case L_RANDREAD:
		*op = BLKIF_OP_READ;
		break;
	case L_WRITE:
	case L_RANDWRITE:
		*op = BLKIF_OP_WRITE;
		break;
	case L_RANDRW:
		*op = lrand(l) % 100 < l->c->mix ? BLKIF_OP_READ : BLKIF_OP_WRITE;
		break;
	}
	for (tries = 0; tries < 16; tries++) {
		if (l->pat == L_READ || l->pat == L_WRITE)
			*block = l->seq++ % l->blocks;
		else
			*block = lrand(l) % l->blocks;
		if (!l->busy || !l->busy[*block])
			return 1;
	}
	return 0;
}

static int issue_one(struct load *l)
{
	struct simfront_req r;
	uint64_t block;
	unsigned b = 0;
	uint8_t op = BLKIF_OP_READ;
	int tag;

	if (!pick(l, &op, &block))
		return 0;
	memset(&r, 0, sizeof(r));
	r.op = op;
	r.flags = l->flags;
	r.offset = block * l->bs;
	r.len = l->bs;
	r.cookie = block;
	if (l->busy) {
		b = l->free_bufs[l->nr_free - 1];
		r.buf = l->bufs[b];
		r.cookie = block << 16 | b;
		if (op == BLKIF_OP_WRITE) {
			if (++l->next_ver == 0)
				l->next_ver = 1;
			l->buf_ver[b] = l->next_ver;
			simfront_pattern_fill(r.buf, l->bs, r.offset,
					      vkey(l->c->seed, l->next_ver));
		}
	}
	tag = simfront_submit(l->f, &r);
	if (tag < 0)
		return tag;
	if (l->busy) {
		l->nr_free--;
		l->busy[block] = 1;
		if (op == BLKIF_OP_WRITE)
			log_add(l, "W %u %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
				l->buf_ver[b], r.offset, r.len,
				vkey(l->c->seed, l->buf_ver[b]));
	}
	if (op == BLKIF_OP_WRITE)
		l->since_flush++;
	return tag + 1;
}

/* The FLUSH of --flush-every (one at a time). Tag + 1, or -errno. */
static int issue_flush(struct load *l)
{
	struct simfront_req r;
	int tag;

	memset(&r, 0, sizeof(r));
	r.op = BLKIF_OP_FLUSH_DISKCACHE;
	r.cookie = FLUSH_COOKIE;
	tag = simfront_submit(l->f, &r);
	if (tag < 0)
		return tag;
	l->flush_busy = 1;
	l->since_flush = 0;
	l->flush_seq++;
	log_add(l, "F %" PRIu64 "\n", l->flush_seq);
	return tag + 1;
}

static void complete_one(struct load *l, const struct simfront_cpl *c,
			 uint64_t now)
{
	uint64_t block = c->cookie, off;
	unsigned b;
	int64_t bad;

	if (c->cookie == FLUSH_COOKIE) {
		l->flush_busy = 0;
		if (c->status == BLKIF_RSP_OKAY)
			l->flushes++;
		else
			l->flush_errors++;
		log_add(l, "%s %" PRIu64 "\n",
			c->status == BLKIF_RSP_OKAY ? "FA" : "FE", l->flush_seq);
		return;
	}
	hist_add(&l->lat, now - l->t_sub[c->tag]);
	l->ios++;
	if (c->status != BLKIF_RSP_OKAY)
		l->errors++;
	else
		l->bytes += l->bs;
	if (!l->busy)
		return;
	block = c->cookie >> 16;
	b = (unsigned)(c->cookie & 0xffff);
	off = block * l->bs;
	l->busy[block] = 0;
	l->free_bufs[l->nr_free++] = b;
	if (l->buf_ver[b]) {		/* it was a write */
		log_add(l, "%s %u\n", c->status == BLKIF_RSP_OKAY ? "A" : "E",
			l->buf_ver[b]);
		l->ver[block] = c->status == BLKIF_RSP_OKAY ? l->buf_ver[b] : 0;
		l->buf_ver[b] = 0;
		return;
	}
	if (c->status != BLKIF_RSP_OKAY || !l->ver[block])
		return;
	l->verified++;
	bad = simfront_pattern_check(l->bufs[b], l->bs, off,
				     vkey(l->c->seed, l->ver[block]));
	if (bad >= 0 && ++l->mismatches <= 10)
		sf_err("load: block %" PRIu64 " (offset %" PRIu64 ") differs at disk "
		       "byte %" PRIu64 " from version %u", block, off,
		       off + (uint64_t)bad, l->ver[block]);
}

static int load_alloc(struct load *l)
{
	unsigned i;

	l->t_sub = calloc(l->qd, sizeof(*l->t_sub));
	l->batch = calloc(l->qd, sizeof(*l->batch));
	l->cpl = calloc(l->qd, sizeof(*l->cpl));
	if (!l->t_sub || !l->batch || !l->cpl)
		return -ENOMEM;
	if (!l->c->verify)
		return 0;
	l->ver = calloc(l->blocks, sizeof(*l->ver));
	l->busy = calloc(l->blocks, 1);
	l->bufs = calloc(l->qd, sizeof(*l->bufs));
	l->buf_ver = calloc(l->qd, sizeof(*l->buf_ver));
	l->free_bufs = calloc(l->qd, sizeof(*l->free_bufs));
	if (!l->ver || !l->busy || !l->bufs || !l->buf_ver || !l->free_bufs)
		return -ENOMEM;
	for (i = 0; i < l->qd; i++) {
		l->bufs[i] = malloc(l->bs);
		if (!l->bufs[i])
			return -ENOMEM;
		l->free_bufs[l->nr_free++] = i;
	}
	return 0;
}

static void load_free(struct load *l)
{
	unsigned i;

	for (i = 0; l->bufs && i < l->qd; i++)
		free(l->bufs[i]);
	free(l->bufs);
	free(l->buf_ver);
	free(l->free_bufs);
	free(l->ver);
	free(l->busy);
	free(l->t_sub);
	free(l->batch);
	free(l->cpl);
}

/* The main loop. 0, or a negative errno when the ring failed. */
static int load_run(struct load *l, uint64_t *elapsed_ns)
{
	uint64_t t0 = sf_now_ns(), now = t0, end_ns = 0, issued = 0;
	int stop = 0, n, i, rc;
	unsigned nb;

	if (l->c->runtime > 0)
		end_ns = t0 + (uint64_t)(l->c->runtime * 1e9);
	rc = 0;
	for (;;) {
		nb = 0;
		while (!stop && simfront_inflight(l->f) < l->qd) {
			int flush = l->c->flush_every && !l->flush_busy &&
				    l->since_flush >= l->c->flush_every;

			if (!flush && l->c->ios && issued >= l->c->ios)
				break;
			rc = flush ? issue_flush(l) : issue_one(l);
			if (rc == 0 || rc == -EBUSY)
				break;
			if (rc < 0) {
				sf_err("load: submit: %s", strerror(-rc));
				goto out;
			}
			l->batch[nb++] = (unsigned)rc - 1;
			issued += !flush;
		}
		rc = 0;
		if (nb) {
			now = sf_now_ns();
			for (i = 0; i < (int)nb; i++)
				l->t_sub[l->batch[i]] = now;
			log_out(l);	/* what is published is logged first */
			rc = simfront_push(l->f);
			if (rc < 0) {
				sf_err("load: notify: %s", strerror(-rc));
				goto out;
			}
		}
		if (!simfront_inflight(l->f))
			break;
		n = simfront_reap(l->f, l->cpl, l->qd, -1);
		if (n < 0) {
			sf_err("load: waiting for responses: %s (%u in flight)",
			       strerror(-n), simfront_inflight(l->f));
			rc = n;
			goto out;
		}
		now = sf_now_ns();
		for (i = 0; i < n; i++)
			complete_one(l, &l->cpl[i], now);
		log_out(l);
		if (end_ns && now >= end_ns)
			stop = 1;
	}
out:
	*elapsed_ns = sf_now_ns() - t0;
	return rc;
}

int sf_cmd_load(struct sf_cli *c, struct simfront *f)
{
	const struct simfront_info *in = simfront_info(f);
	const struct simfront_stats *st;
	struct load *l;
	uint64_t elapsed = 0, worst;
	double secs;
	unsigned i;
	int rc, ok;

	l = calloc(1, sizeof(*l));
	if (!l)
		return SF_EXIT_FAIL;
	l->c = c;
	l->f = f;
	l->pat = (enum lpat)-1;
	for (i = 0; i < sizeof(lpat_names) / sizeof(lpat_names[0]); i++)
		if (!strcmp(c->rw, lpat_names[i]))
			l->pat = (enum lpat)i;
	if ((int)l->pat < 0) {
		free(l);
		sf_err("load: unknown --rw '%s' (randread, randwrite, read, write, "
		       "randrw)", c->rw);
		return SF_EXIT_USAGE;
	}
	l->bs = c->bs;
	l->qd = in->queue_depth;
	l->blocks = in->size / l->bs;
	l->flags = in->indirect_segs ? SIMFRONT_REQ_INDIRECT : 0;
	if (!c->seed_set)
		c->seed = sf_now_ns() ^ ((uint64_t)getpid() << 32);
	l->rng = c->seed * 2 + 1;
	/* offsets are multiples of bs: the worst first_sect is 7 unless
	 * bs is page aligned */
	worst = l->bs % 4096 ? 7 * 512 : 0;
	if (!l->blocks || l->bs > simfront_req_capacity(f, worst)) {
		sf_err("load: --bs %" PRIu64 " does not fit (device %" PRIu64
		       " bytes, at most %" PRIu64 " per request%s)", l->bs, in->size,
		       simfront_req_capacity(f, worst),
		       in->indirect_segs ? "" : "; --indirect allows more");
		free(l);
		return SF_EXIT_FAIL;
	}
	if (c->verify && l->blocks > UINT32_MAX) {
		sf_err("load: --verify needs fewer than 2^32 blocks");
		free(l);
		return SF_EXIT_FAIL;
	}
	l->log_fd = -1;
	rc = load_alloc(l);
	if (rc == 0 && c->log) {
		l->log_buf = malloc(LOG_BUF);
		l->log_fd = open(c->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				 0644);
		if (!l->log_buf || l->log_fd < 0) {
			sf_err("load: --log %s: %s", c->log, strerror(errno));
			rc = -EIO;
		} else {
			log_add(l, "# simfront-crashlog 1 bs=%" PRIu64 " size=%" PRIu64
				" seed=%" PRIu64 "\n", l->bs, in->size, c->seed);
			log_out(l);
		}
	}
	if (rc == 0)
		rc = load_run(l, &elapsed);
	else if (rc == -ENOMEM)
		sf_err("load: out of memory");
	log_out(l);
	if (l->log_fd >= 0)
		close(l->log_fd);
	free(l->log_buf);

	st = simfront_stats(f);
	secs = elapsed ? (double)elapsed / 1e9 : 1e-9;
	sf_kv(c, "rw", "%s", c->rw);
	sf_kv(c, "bs", "%" PRIu64, l->bs);
	sf_kv(c, "qd", "%u", l->qd);
	sf_kv(c, "indirect", "%d", !!l->flags);
	sf_kv(c, "runtime_s", "%.3f", (double)elapsed / 1e9);
	sf_kv(c, "ios", "%" PRIu64, l->ios);
	sf_kv(c, "errors", "%" PRIu64, l->errors);
	sf_kv(c, "iops", "%.0f", (double)l->ios / secs);
	sf_kv(c, "mbps", "%.1f", (double)l->bytes / 1e6 / secs);
	sf_kv(c, "lat_avg_us", "%.1f",
	      l->lat.n ? (double)l->lat.sum / (double)l->lat.n / 1e3 : 0.0);
	sf_kv(c, "lat_p50_us", "%.1f", (double)hist_pct(&l->lat, 0.50) / 1e3);
	sf_kv(c, "lat_p99_us", "%.1f", (double)hist_pct(&l->lat, 0.99) / 1e3);
	sf_kv(c, "lat_p999_us", "%.1f", (double)hist_pct(&l->lat, 0.999) / 1e3);
	sf_kv(c, "lat_max_us", "%.1f", (double)l->lat.max / 1e3);
	sf_kv(c, "notifies", "%" PRIu64, st->notifies);
	sf_kv(c, "wakeups", "%" PRIu64, st->wakeups);
	if (st->bad_rsp)
		sf_kv(c, "bad_responses", "%" PRIu64, st->bad_rsp);
	if (c->flush_every) {
		sf_kv(c, "flushes", "%" PRIu64, l->flushes);
		sf_kv(c, "flush_errors", "%" PRIu64, l->flush_errors);
	}
	/* the VBD's counters (every ring of it, this run and earlier ones) */
	sf_print_counter(c, f, "zero_copy", TD_STAT_ZERO_COPY);
	sf_print_counter(c, f, "map_capped", TD_STAT_MAP_CAPPED);
	ok = rc == 0 && !l->errors && !st->bad_rsp && !l->flush_errors &&
	     !l->log_failed;
	if (c->verify) {
		sf_kv(c, "seed", "%" PRIu64, c->seed);
		sf_kv(c, "verified", "%" PRIu64, l->verified);
		sf_kv(c, "mismatches", "%" PRIu64, l->mismatches);
		sf_kv(c, "verify", "%s", rc == 0 && !l->mismatches ? "ok" : "FAIL");
		ok = ok && !l->mismatches;
	}
	load_free(l);
	free(l);
	return ok ? SF_EXIT_OK : SF_EXIT_FAIL;
}
