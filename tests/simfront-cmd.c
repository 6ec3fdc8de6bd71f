/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * simfront: the data commands (verify, write, read, flush, barrier,
 * discard). Each prints key=value lines and returns an exit code.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simfront-cli.h"

/* A BLKIF status or a local errno, as the status=... value. */
static void print_status(const struct sf_cli *c, int st)
{
	if (st <= 0 && st >= BLKIF_RSP_EOPNOTSUPP)
		sf_kv(c, "status", "%s", simfront_status_name(st));
	else
		sf_kv(c, "status", "failed");
}

static int report_local(int st, const char *what)
{
	if (st < BLKIF_RSP_EOPNOTSUPP) {
		sf_err("%s: %s%s%s", what, strerror(-st),
		       *simfront_last_error() ? ": " : "", simfront_last_error());
		return 1;
	}
	return 0;
}

/* The VBD counter idx from STATUS, or -1 if unavailable. */
static int64_t vbd_counter(struct simfront *f, unsigned idx)
{
	struct td_vbd_status *v = malloc(sizeof(*v));
	int64_t val = -1;

	if (v && simfront_vbd_status(f, v) == 0 && idx < v->nr_counters &&
	    idx < TD_STAT__COUNT)
		val = (int64_t)v->counters[idx];
	free(v);
	return val;
}

void sf_print_counter(const struct sf_cli *c, struct simfront *f,
		      const char *key, unsigned idx)
{
	int64_t v = vbd_counter(f, idx);

	if (v >= 0)
		sf_kv(c, key, "%" PRId64, v);
}

/* xorshift64* */
static uint64_t rnd_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* ---- verify ----------------------------------------------------------- */

struct vextent {
	uint64_t off, len;	/* bytes */
	uint8_t flags;		/* SIMFRONT_REQ_INDIRECT */
	uint8_t wfailed;	/* its WRITE was answered with an error */
};

struct vstate {
	struct sf_cli *c;
	struct simfront *f;
	struct vextent *ext;
	uint32_t *order;
	uint64_t n;
	uint64_t key;
	uint8_t **bufs;		/* queue_depth buffers */
	unsigned *free_bufs, nr_free;
	uint64_t requests, ind_requests, bytes, errors, mismatches;
	uint64_t unverified;	/* read back, not compared: the write failed */
};

static int is_indirect_form(const struct vextent *e)
{
	uint64_t span = ((e->off >> 9) & 7) * 512 + e->len;

	return (e->flags & SIMFRONT_REQ_INDIRECT) || span > BLKIF_MAX_SEGS * 4096u;
}

/* Write (op WRITE) or read back and compare (op READ) every extent. */
static int verify_phase(struct vstate *v, uint8_t op)
{
	unsigned qd = simfront_info(v->f)->queue_depth;
	struct simfront_cpl *cpl = calloc(qd, sizeof(*cpl));
	struct simfront_req r;
	uint64_t next = 0;
	int rc = 0, n, i;

	if (!cpl)
		return -ENOMEM;
	while (next < v->n || simfront_inflight(v->f)) {
		while (next < v->n && v->nr_free) {
			const struct vextent *e = &v->ext[v->order[next]];
			unsigned b = v->free_bufs[v->nr_free - 1];

			if (op == BLKIF_OP_WRITE)
				simfront_pattern_fill(v->bufs[b], e->len, e->off, v->key);
			else
				memset(v->bufs[b], 0, e->len);
			memset(&r, 0, sizeof(r));
			r.op = op;
			r.flags = e->flags;
			r.offset = e->off;
			r.len = e->len;
			r.buf = v->bufs[b];
			r.cookie = (uint64_t)v->order[next] << 16 | b;
			rc = simfront_submit(v->f, &r);
			if (rc == -EBUSY)
				break;
			if (rc < 0) {
				sf_err("submitting %s of %" PRIu64 " bytes at %" PRIu64 ": %s",
				       op == BLKIF_OP_WRITE ? "WRITE" : "READ", e->len,
				       e->off, strerror(-rc));
				goto out;
			}
			v->nr_free--;
			v->requests++;
			v->ind_requests += (uint64_t)is_indirect_form(e);
			next++;
		}
		n = simfront_reap(v->f, cpl, qd, -1);
		if (n < 0) {
			rc = n;
			sf_err("waiting for responses: %s", strerror(-n));
			goto out;
		}
		for (i = 0; i < n; i++) {
			uint64_t ei = cpl[i].cookie >> 16;
			unsigned b = (unsigned)(cpl[i].cookie & 0xffff);
			const struct vextent *e = &v->ext[ei];
			int64_t bad;

			v->free_bufs[v->nr_free++] = b;
			if (cpl[i].status != BLKIF_RSP_OKAY) {
				if (op == BLKIF_OP_WRITE)
					v->ext[ei].wfailed = 1;
				v->errors++;
				sf_err("%s extent %" PRIu64 " (%" PRIu64 " bytes at %" PRIu64
				       "): status %s", op == BLKIF_OP_WRITE ? "WRITE" : "READ",
				       ei, e->len, e->off, simfront_status_name(cpl[i].status));
				continue;
			}
			v->bytes += e->len;
			if (op != BLKIF_OP_READ)
				continue;
			if (e->wfailed) {
				/* not acknowledged: the disk may hold anything */
				v->unverified++;
				continue;
			}
			bad = simfront_pattern_check(v->bufs[b], e->len, e->off, v->key);
			if (bad >= 0) {
				v->mismatches++;
				if (v->mismatches <= 10)
					sf_err("extent %" PRIu64 " (%" PRIu64 " bytes at %" PRIu64
					       "): data differs at disk byte %" PRIu64 "%s",
					       ei, e->len, e->off, e->off + (uint64_t)bad,
					       is_indirect_form(e) ? " (indirect)" : "");
			}
		}
	}
	rc = 0;
out:
	free(cpl);
	return rc;
}

int sf_cmd_verify(struct sf_cli *c, struct simfront *f)
{
	const struct simfront_info *in = simfront_info(f);
	struct vstate v;
	uint64_t maxb, zone, zmax, i, rs, len, start, cap;
	unsigned b;
	int rc = -ENOMEM, ok;

	memset(&v, 0, sizeof(v));
	v.c = c;
	v.f = f;
	if (!c->seed_set)
		c->seed = sf_now_ns() ^ ((uint64_t)getpid() << 32);
	rs = c->seed * 2 + 1;
	v.key = c->seed;
	maxb = c->max_kb ? c->max_kb * 1024 :
	       in->indirect_segs ? 1024 * 1024 : BLKIF_MAX_SEGS * 4096u;
	if (maxb > in->max_req_bytes)
		maxb = in->max_req_bytes;
	if (in->sectors == 0) {
		sf_err("verify: the device is empty");
		return SF_EXIT_FAIL;
	}
	v.n = c->count;
	if (v.n > in->sectors)
		v.n = in->sectors;
	zone = in->sectors / v.n;	/* sectors per extent zone */
	zmax = maxb / 512 < zone ? maxb / 512 : zone;

	v.ext = calloc(v.n, sizeof(*v.ext));
	v.order = calloc(v.n, sizeof(*v.order));
	v.bufs = calloc(in->queue_depth, sizeof(*v.bufs));
	v.free_bufs = calloc(in->queue_depth, sizeof(*v.free_bufs));
	if (!v.ext || !v.order || !v.bufs || !v.free_bufs)
		goto out;
	for (b = 0; b < in->queue_depth; b++) {
		v.bufs[b] = malloc(maxb);
		if (!v.bufs[b])
			goto out;
		v.free_bufs[v.nr_free++] = b;
	}
	for (i = 0; i < v.n; i++) {
		/* a quarter small (up to one page), the rest up to the max */
		if (rnd_next(&rs) % 4 == 0)
			len = 1 + rnd_next(&rs) % (zmax < 8 ? zmax : 8);
		else
			len = 1 + rnd_next(&rs) % zmax;
		start = zone * i + rnd_next(&rs) % (zone - len + 1);
		cap = simfront_req_capacity(f, start * 512) / 512;
		if (len > cap)
			len = cap;
		v.ext[i].off = start * 512;
		v.ext[i].len = len * 512;
		if (in->indirect_segs && rnd_next(&rs) % 4 == 0)
			v.ext[i].flags = SIMFRONT_REQ_INDIRECT;
		v.order[i] = (uint32_t)i;
	}
	for (i = v.n; i > 1; i--) {	/* shuffle the write order */
		uint64_t j = rnd_next(&rs) % i;
		uint32_t t = v.order[i - 1];

		v.order[i - 1] = v.order[j];
		v.order[j] = t;
	}
	rc = verify_phase(&v, BLKIF_OP_WRITE);
	for (i = v.n; rc == 0 && i > 1; i--) {	/* and the read order */
		uint64_t j = rnd_next(&rs) % i;
		uint32_t t = v.order[i - 1];

		v.order[i - 1] = v.order[j];
		v.order[j] = t;
	}
	if (rc == 0)
		rc = verify_phase(&v, BLKIF_OP_READ);
out:
	if (rc == -ENOMEM)
		sf_err("verify: out of memory");
	ok = rc == 0 && !v.errors && !v.mismatches;
	sf_kv(c, "seed", "%" PRIu64, c->seed);
	sf_kv(c, "count", "%" PRIu64, v.n);
	sf_kv(c, "requests", "%" PRIu64, v.requests);
	sf_kv(c, "indirect_requests", "%" PRIu64, v.ind_requests);
	sf_kv(c, "bytes", "%" PRIu64, v.bytes);
	sf_kv(c, "errors", "%" PRIu64, v.errors);
	sf_kv(c, "mismatches", "%" PRIu64, v.mismatches);
	sf_kv(c, "unverified", "%" PRIu64, v.unverified);
	sf_print_counter(c, f, "zero_copy", TD_STAT_ZERO_COPY);
	sf_print_counter(c, f, "map_capped", TD_STAT_MAP_CAPPED);
	sf_kv(c, "verify", "%s", ok ? "ok" : "FAIL");
	for (b = 0; v.bufs && b < in->queue_depth; b++)
		free(v.bufs[b]);
	free(v.bufs);
	free(v.free_bufs);
	free(v.ext);
	free(v.order);
	return ok ? SF_EXIT_OK : SF_EXIT_FAIL;
}

/* ---- read / write ----------------------------------------------------- */

#define SF_CHUNK (4u << 20)

/* Read until len bytes or EOF; returns bytes read or -errno. */
static ssize_t read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int write_full(int fd, const uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int sf_cmd_write(struct sf_cli *c, struct simfront *f)
{
	uint8_t *buf = NULL;
	uint64_t pos = c->offset, total = 0, data;
	int fd = -1, st = BLKIF_RSP_OKAY, code = SF_EXIT_FAIL;
	ssize_t n;

	if (!c->in || !c->have_offset)
		return sf_usage_error("write: --offset and --in are required");
	if (c->offset % 512)
		return sf_usage_error("write: --offset must be a multiple of 512");
	fd = strcmp(c->in, "-") ? open(c->in, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0) {
		sf_err("%s: %s", c->in, strerror(errno));
		return SF_EXIT_FAIL;
	}
	buf = malloc(SF_CHUNK);
	if (!buf)
		goto out;
	for (;;) {
		n = read_full(fd, buf, SF_CHUNK);
		if (n < 0) {
			sf_err("%s: %s", c->in, strerror((int)-n));
			goto out;
		}
		if (n == 0)
			break;
		data = (uint64_t)n;
		if (n % 512) {
			/* partial last sector: merge with what the disk holds */
			uint64_t whole = data / 512 * 512;
			uint8_t sec[512];

			st = simfront_read(f, pos + whole, sec, 512);
			if (st != BLKIF_RSP_OKAY)
				break;
			memcpy(sec, buf + whole, data - whole);
			memcpy(buf + whole, sec, 512);
			n = (ssize_t)(whole + 512);
		}
		st = simfront_write(f, pos, buf, (uint64_t)n);
		if (st != BLKIF_RSP_OKAY)
			break;
		pos += (uint64_t)n;
		total += data;
		if ((size_t)n < SF_CHUNK)
			break;
	}
	if (report_local(st, "write"))
		goto out;
	print_status(c, st);
	sf_kv(c, "bytes", "%" PRIu64, total);
	sf_kv(c, "requests", "%" PRIu64, simfront_stats(f)->submitted);
	code = st == BLKIF_RSP_OKAY ? SF_EXIT_OK : SF_EXIT_FAIL;
out:
	free(buf);
	if (fd > 0)
		close(fd);
	return code;
}

int sf_cmd_read(struct sf_cli *c, struct simfront *f)
{
	uint8_t *buf = NULL;
	uint64_t done = 0, start, end, a, b, skip;
	int fd = -1, st = BLKIF_RSP_OKAY, code = SF_EXIT_FAIL, rc;
	int to_stdout;

	if (!c->out || !c->have_offset || !c->have_len)
		return sf_usage_error("read: --offset, --len and --out are required");
	to_stdout = !strcmp(c->out, "-");
	if (to_stdout)
		c->quiet = 1;	/* the data owns stdout */
	fd = to_stdout ? 1 : open(c->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		sf_err("%s: %s", c->out, strerror(errno));
		return SF_EXIT_FAIL;
	}
	buf = malloc(SF_CHUNK);
	if (!buf)
		goto out;
	/* whole sectors around [offset, offset + len) */
	start = c->offset / 512 * 512;
	end = c->offset + c->len;
	if (end < c->offset) {
		sf_err("read: offset + len overflows");
		goto out;
	}
	for (a = start; a < end; a = b) {
		b = a + SF_CHUNK < end ? a + SF_CHUNK : (end + 511) / 512 * 512;
		st = simfront_read(f, a, buf, b - a);
		if (st != BLKIF_RSP_OKAY)
			break;
		skip = a < c->offset ? c->offset - a : 0;
		rc = write_full(fd, buf + skip, (size_t)((b < end ? b : end) - a - skip));
		if (rc < 0) {
			sf_err("%s: %s", c->out, strerror(-rc));
			goto out;
		}
		done += (b < end ? b : end) - a - skip;
	}
	if (report_local(st, "read"))
		goto out;
	print_status(c, st);
	sf_kv(c, "bytes", "%" PRIu64, done);
	code = st == BLKIF_RSP_OKAY ? SF_EXIT_OK : SF_EXIT_FAIL;
out:
	free(buf);
	if (fd > 1)
		close(fd);
	return code;
}

/* ---- flush / barrier / discard ------------------------------------------ */

static int finish_one(struct sf_cli *c, struct simfront *f, int st,
		      const char *what, const char *ckey, unsigned cidx)
{
	if (report_local(st, what))
		return SF_EXIT_FAIL;
	print_status(c, st);
	sf_print_counter(c, f, ckey, cidx);
	return st == BLKIF_RSP_OKAY ? SF_EXIT_OK : SF_EXIT_FAIL;
}

int sf_cmd_barrier(struct sf_cli *c, struct simfront *f)
{
	uint8_t *buf = NULL;
	uint64_t len = 0;
	ssize_t n;
	int fd, st, code;

	if (c->data) {
		if (c->offset % 512)
			return sf_usage_error("barrier: --offset must be a multiple of 512");
		len = c->len;
		if (c->in) {
			fd = strcmp(c->in, "-") ? open(c->in, O_RDONLY | O_CLOEXEC) : 0;
			if (fd < 0) {
				sf_err("%s: %s", c->in, strerror(errno));
				return SF_EXIT_FAIL;
			}
			len = simfront_info(f)->max_req_bytes + 1;
			buf = malloc(len);
			n = buf ? read_full(fd, buf, len) : -ENOMEM;
			if (fd > 0)
				close(fd);
			if (n < 0) {
				sf_err("%s: %s", c->in, strerror((int)-n));
				free(buf);
				return SF_EXIT_FAIL;
			}
			len = (uint64_t)n;
		} else {
			buf = malloc(len ? len : 1);
			if (!buf)
				return SF_EXIT_FAIL;
		}
		if (!len || len % 512 || len > simfront_req_capacity(f, c->offset)) {
			free(buf);
			return sf_usage_error("barrier: data must be 512..%" PRIu64
					   " bytes, a multiple of 512",
					   simfront_req_capacity(f, c->offset));
		}
		if (!c->in) {
			st = simfront_read(f, c->offset, buf, len);
			if (st != BLKIF_RSP_OKAY) {
				sf_err("barrier: reading the data to rewrite: %s",
				       st < BLKIF_RSP_EOPNOTSUPP ? strerror(-st)
								 : simfront_status_name(st));
				free(buf);
				return SF_EXIT_FAIL;
			}
		}
	}
	st = simfront_barrier(f, c->offset, buf, len);
	code = finish_one(c, f, st, "barrier", "flush_done", TD_STAT_FLUSH_DONE);
	if (len)
		sf_kv(c, "bytes", "%" PRIu64, len);
	free(buf);
	return code;
}

int sf_cmd_discard(struct sf_cli *c, struct simfront *f)
{
	if (!c->have_offset || !c->have_len)
		return sf_usage_error("discard: --offset and --len are required");
	if ((c->offset | c->len) % 512)
		return sf_usage_error("discard: --offset and --len must be multiples of 512");
	return finish_one(c, f, simfront_discard(f, c->offset, c->len, c->secure),
			  "discard", "discard_done", TD_STAT_DISCARD_DONE);
}

int sf_cmd_flush(struct sf_cli *c, struct simfront *f)
{
	return finish_one(c, f, simfront_flush(f), "flush", "flush_done",
			  TD_STAT_FLUSH_DONE);
}
