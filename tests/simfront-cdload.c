/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * simfront cdload: a guest that keeps reading a CD while an admin swaps its
 * medium (tests/it-cd-hotplug.sh). Ordinary ring READs of random extents
 * (512 bytes to one request's worth, anywhere below the larger image),
 * queue_depth at a time, for --runtime seconds. Every read answered OKAY
 * must equal, entirely, the bytes of image A or of image B (--iso, twice)
 * at that offset: a read that matches neither (wrong bytes, or part of
 * one medium and part of the other) is a mismatch. Reads answered ERROR
 * are the clean failures of an empty drive (or of an extent past the end
 * of the smaller medium); anything else is unexpected.
 *
 * Prints ios, ok, errors, medium_a, medium_b, ambiguous (equal in both
 * images there), mismatches, unexpected, result. Exit 1 on a mismatch, an
 * unexpected answer or no successful read at all.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "simfront-cli.h"

#define CD_BATCH 64
#define CD_MAX_REPORTS 5

struct cdimg {
	const char *path;
	uint8_t *data;
	uint64_t size;
};

struct cdload {
	struct sf_cli *c;
	struct simfront *f;
	struct cdimg img[2];
	uint64_t span;		/* bytes: the larger image, whole sectors */
	uint64_t rng;
	unsigned qd;
	uint8_t **bufs;		/* qd read buffers */
	uint64_t *off, *len;	/* the extent read into each */
	unsigned *free_bufs, nr_free;
	uint64_t ios, ok, errors, match[2], ambiguous, mismatches, unexpected;
};

static int load_file(struct cdimg *im)
{
	FILE *in = fopen(im->path, "rb");
	long sz;

	if (!in) {
		sf_err("cdload: %s: %s", im->path, strerror(errno));
		return -errno;
	}
	if (fseek(in, 0, SEEK_END) != 0 || (sz = ftell(in)) < 0 ||
	    fseek(in, 0, SEEK_SET) != 0) {
		sf_err("cdload: %s: cannot size it", im->path);
		fclose(in);
		return -EIO;
	}
	im->size = (uint64_t)sz;
	im->data = malloc(im->size ? im->size : 1);
	if (!im->data || fread(im->data, 1, im->size, in) != im->size) {
		sf_err("cdload: %s: cannot read it", im->path);
		fclose(in);
		return -EIO;
	}
	fclose(in);
	return 0;
}

static uint64_t cd_rand(struct cdload *l)
{
	/* xorshift64* */
	l->rng ^= l->rng >> 12;
	l->rng ^= l->rng << 25;
	l->rng ^= l->rng >> 27;
	return l->rng * 0x2545f4914f6cdd1dull;
}

/* 1 if [off, off + len) of image i holds exactly buf. */
static int same_as(const struct cdimg *im, const uint8_t *buf, uint64_t off,
		   uint64_t len)
{
	return off + len <= im->size && !memcmp(buf, im->data + off, len);
}

/* First byte where buf differs from image i (len if none / past its end). */
static uint64_t first_diff(const struct cdimg *im, const uint8_t *buf,
			   uint64_t off, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < len && off + i < im->size; i++)
		if (buf[i] != im->data[off + i])
			return i;
	return i;
}

static void check_read(struct cdload *l, unsigned k)
{
	const uint8_t *b = l->bufs[k];
	uint64_t off = l->off[k], len = l->len[k];
	int a = same_as(&l->img[0], b, off, len);
	int bb = same_as(&l->img[1], b, off, len);

	l->ok++;
	if (a && bb) {
		l->ambiguous++;
	} else if (a || bb) {
		l->match[a ? 0 : 1]++;
	} else {
		if (l->mismatches++ < CD_MAX_REPORTS)
			sf_err("cdload: %" PRIu64 " bytes at %" PRIu64 " match "
			       "neither image (first difference: A at +%" PRIu64
			       ", B at +%" PRIu64 ")", len, off,
			       first_diff(&l->img[0], b, off, len),
			       first_diff(&l->img[1], b, off, len));
	}
}

/* Queue one random extent. 0, or -EBUSY when no buffer / tag is free. */
static int issue(struct cdload *l)
{
	struct simfront_req r;
	uint64_t sectors = l->span >> 9, s, n, cap;
	unsigned k;
	int tag;

	if (!l->nr_free)
		return -EBUSY;
	k = l->free_bufs[l->nr_free - 1];

	s = cd_rand(l) % sectors;
	cap = simfront_req_capacity(l->f, s << 9) >> 9;
	if (cap > sectors - s)
		cap = sectors - s;
	/* mostly small reads, some up to a whole request */
	n = (cd_rand(l) & 3) ? 1 + cd_rand(l) % (cap < 8 ? cap : 8)
			     : 1 + cd_rand(l) % cap;
	memset(&r, 0, sizeof(r));
	r.op = BLKIF_OP_READ;
	r.offset = s << 9;
	r.len = n << 9;
	r.buf = l->bufs[k];	/* filled when the answer is OKAY */
	r.cookie = k;
	tag = simfront_submit(l->f, &r);
	if (tag < 0)
		return tag;
	l->nr_free--;
	l->off[k] = r.offset;
	l->len[k] = r.len;
	return 0;
}

static int cd_alloc(struct cdload *l)
{
	uint64_t maxreq = simfront_info(l->f)->max_req_bytes;
	unsigned i;

	l->bufs = calloc(l->qd, sizeof(*l->bufs));
	l->off = calloc(l->qd, sizeof(*l->off));
	l->len = calloc(l->qd, sizeof(*l->len));
	l->free_bufs = calloc(l->qd, sizeof(*l->free_bufs));
	if (!l->bufs || !l->off || !l->len || !l->free_bufs)
		return -ENOMEM;
	for (i = 0; i < l->qd; i++) {
		l->bufs[i] = malloc(maxreq);
		if (!l->bufs[i])
			return -ENOMEM;
		l->free_bufs[l->nr_free++] = i;
	}
	return 0;
}

static void cd_free(struct cdload *l)
{
	unsigned i;

	for (i = 0; l->bufs && i < l->qd; i++)
		free(l->bufs[i]);
	free(l->bufs);
	free(l->off);
	free(l->len);
	free(l->free_bufs);
	free(l->img[0].data);
	free(l->img[1].data);
}

static int cd_run(struct cdload *l)
{
	struct simfront_cpl cpl[CD_BATCH];
	uint64_t end = sf_now_ns() + (uint64_t)(l->c->runtime * 1e9);
	int n, i, rc, stop = 0;

	for (;;) {
		while (!stop && simfront_inflight(l->f) < l->qd) {
			rc = issue(l);
			if (rc == -EBUSY)
				break;
			if (rc < 0) {
				sf_err("cdload: submit: %s", strerror(-rc));
				return rc;
			}
		}
		if (simfront_push(l->f) < 0) {
			sf_err("cdload: notify failed");
			return -EIO;
		}
		if (!simfront_inflight(l->f))
			break;
		n = simfront_reap(l->f, cpl, CD_BATCH, -1);
		if (n < 0) {
			sf_err("cdload: waiting for answers: %s", strerror(-n));
			return n;
		}
		for (i = 0; i < n; i++) {
			unsigned k = (unsigned)cpl[i].cookie;

			l->ios++;
			if (cpl[i].status == BLKIF_RSP_OKAY)
				check_read(l, k);
			else if (cpl[i].status == BLKIF_RSP_ERROR)
				l->errors++;
			else if (l->unexpected++ < CD_MAX_REPORTS)
				sf_err("cdload: read at %" PRIu64 ": %s", l->off[k],
				       simfront_status_name(cpl[i].status));
			l->free_bufs[l->nr_free++] = k;
		}
		if (sf_now_ns() >= end)
			stop = 1;
	}
	return 0;
}

int sf_cmd_cdload(struct sf_cli *c, struct simfront *f)
{
	struct cdload *l = calloc(1, sizeof(*l));
	int rc, ok;

	if (!l)
		return SF_EXIT_FAIL;
	l->c = c;
	l->f = f;
	l->qd = simfront_info(f)->queue_depth;
	l->img[0].path = c->iso[0];
	l->img[1].path = c->iso[1];
	l->rng = c->seed_set ? c->seed : (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	if (!l->rng)
		l->rng = 0x9e3779b97f4a7c15ull;
	sf_kv(c, "seed", "%" PRIu64, l->rng);
	rc = load_file(&l->img[0]);
	if (rc == 0)
		rc = load_file(&l->img[1]);
	l->span = (l->img[0].size > l->img[1].size ? l->img[0].size
						      : l->img[1].size) & ~511ull;
	if (rc == 0 && l->span < 512) {
		sf_err("cdload: the images are smaller than a sector");
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = cd_alloc(l);
	if (rc == 0)
		rc = cd_run(l);
	ok = rc == 0 && !l->mismatches && !l->unexpected && l->ok;
	sf_kv(c, "ios", "%" PRIu64, l->ios);
	sf_kv(c, "ok", "%" PRIu64, l->ok);
	sf_kv(c, "errors", "%" PRIu64, l->errors);
	sf_kv(c, "medium_a", "%" PRIu64, l->match[0]);
	sf_kv(c, "medium_b", "%" PRIu64, l->match[1]);
	sf_kv(c, "ambiguous", "%" PRIu64, l->ambiguous);
	sf_kv(c, "mismatches", "%" PRIu64, l->mismatches);
	sf_kv(c, "unexpected", "%" PRIu64, l->unexpected);
	sf_kv(c, "result", "%s", ok ? "ok" : "FAIL");
	cd_free(l);
	free(l);
	return ok ? SF_EXIT_OK : SF_EXIT_FAIL;
}
