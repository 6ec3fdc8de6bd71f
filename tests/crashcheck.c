/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crashcheck: is a disk image consistent with what a guest was told, after
 * a crash? Reads the log of `simfront load --verify --log FILE` (format in
 * tests/simfront-load.c), the image as it was before the run (--initial,
 * default: all zeros) and the image after the crash, and checks every
 * 512-byte sector:
 *
 *   durable   the last write of a block that was acknowledged before a
 *             flush was published, where that flush was acknowledged, is
 *             there: each sector holds that write's data or the data of a
 *             write to the block published after it (acknowledged or not:
 *             it may have reached the disk, in whole or sector by sector).
 *   --acked   stricter, for a killed process (the page cache survives it):
 *             the same for the last acknowledged write of every block,
 *             flush or not.
 *   nothing invented: every other sector holds its initial content or the
 *             data of some write published for that block; a sector that
 *             holds anything else (data never written there, zeros where
 *             something else was, another block's data) is a violation.
 *
 * Output: key=value lines (writes, acked, failed, flushes_acked,
 * durable_blocks, blocks_written, sectors, violations, check=ok|FAIL).
 * Exit 0 if consistent, 1 if not, 2 on a usage or input error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simfront.h"

#define SECTOR 512u
#define MAX_REPORT 20

struct cw {			/* one published write */
	uint64_t off, len, key;
	uint32_t ver;
	uint8_t acked, failed;
	uint64_t ack_pos;	/* log line of its answer */
	uint32_t next;		/* next write of the same block, 0: none */
};

struct crash {
	uint64_t bs, size;
	struct cw *w;		/* w[1..nw]: index 0 means "none" */
	uint32_t nw, cap;
	uint32_t *first, *last;	/* per block: first / last write (chain) */
	uint64_t nblocks;
	uint64_t durable_pos;	/* log line of the last acknowledged flush's F */
	uint64_t flushes_acked, nacked, nfailed;
};

static int usage(const char *msg)
{
	fprintf(stderr, "crashcheck: %s\nusage: crashcheck --log FILE --image "
		"FILE [--initial FILE] [--acked]\n", msg);
	return 2;
}

/* The write with version ver (versions are dense from 1, in order). */
static struct cw *find_ver(struct crash *c, uint32_t ver)
{
	uint32_t lo = 1, hi = c->nw;

	while (lo <= hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (c->w[mid].ver == ver)
			return &c->w[mid];
		if (c->w[mid].ver < ver)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static int add_write(struct crash *c, const struct cw *w)
{
	uint64_t b;

	if (!c->bs || w->len == 0 || w->off % c->bs || w->len != c->bs ||
	    w->off + w->len > c->size || (c->nw && w->ver <= c->w[c->nw].ver))
		return -EINVAL;
	if (c->nw + 1 >= c->cap) {
		uint32_t cap = c->cap ? c->cap * 2 : 1024;
		struct cw *n = realloc(c->w, (size_t)cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->w = n;
		c->cap = cap;
	}
	c->w[++c->nw] = *w;
	b = w->off / c->bs;
	if (c->last[b])
		c->w[c->last[b]].next = c->nw;
	else
		c->first[b] = c->nw;
	c->last[b] = c->nw;
	return 0;
}

static int read_log(struct crash *c, const char *path)
{
	char line[256], tag[4];
	uint64_t pos = 0, a, b, k, seed, flush_f = 0, fpos = 0;
	unsigned ver;
	struct cw w, *p;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "crashcheck: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		pos++;
		if (!strchr(line, '\n'))
			break;		/* a torn last line: the guest died there */
		if (line[0] == '#') {
			if (sscanf(line, "# simfront-crashlog 1 bs=%" SCNu64 " size=%"
				   SCNu64 " seed=%" SCNu64, &a, &b, &seed) == 3) {
				if ((c->bs && (c->bs != a || c->size != b)) || !a ||
				    a % SECTOR || b % a)
					goto bad;
				if (!c->bs) {
					c->bs = a;
					c->size = b;
					c->nblocks = b / a;
					c->first = calloc(c->nblocks, sizeof(*c->first));
					c->last = calloc(c->nblocks, sizeof(*c->last));
					if (!c->first || !c->last)
						goto bad;
				}
			}
			continue;
		}
		if (sscanf(line, "%3s", tag) != 1)
			goto bad;
		if (!strcmp(tag, "W")) {
			memset(&w, 0, sizeof(w));
			if (sscanf(line, "W %u %" SCNu64 " %" SCNu64 " %" SCNu64,
				   &ver, &a, &b, &k) != 4)
				goto bad;
			w.ver = ver;
			w.off = a;
			w.len = b;
			w.key = k;
			if (add_write(c, &w) < 0)
				goto bad;
		} else if (!strcmp(tag, "A") || !strcmp(tag, "E")) {
			if (sscanf(line + 1, "%u", &ver) != 1 || !(p = find_ver(c, ver)) ||
			    p->acked || p->failed)
				goto bad;
			if (tag[0] == 'A') {
				p->acked = 1;
				p->ack_pos = pos;
				c->nacked++;
			} else {
				p->failed = 1;
				c->nfailed++;
			}
		} else if (!strcmp(tag, "F")) {
			if (sscanf(line + 1, "%" SCNu64, &flush_f) != 1)
				goto bad;
			fpos = pos;
		} else if (!strcmp(tag, "FA") || !strcmp(tag, "FE")) {
			if (sscanf(line + 2, "%" SCNu64, &a) != 1 || a != flush_f || !fpos)
				goto bad;
			if (tag[1] == 'A') {
				c->durable_pos = fpos;
				c->flushes_acked++;
			}
		} else {
			goto bad;
		}
	}
	fclose(f);
	if (!c->bs) {
		fprintf(stderr, "crashcheck: %s: no header line\n", path);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "crashcheck: %s:%" PRIu64 ": bad line: %s", path, pos, line);
	fclose(f);
	return -1;
}

static uint8_t *read_file(const char *path, uint64_t size)
{
	uint8_t *buf = calloc(1, size ? size : 1);
	FILE *f;

	if (!buf || !path)
		return buf;
	f = fopen(path, "rb");
	if (!f || fread(buf, 1, size, f) != size) {
		fprintf(stderr, "crashcheck: %s: cannot read %" PRIu64 " bytes\n",
			path, size);
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

/* The write from which on the block's data must come, or 0 (anything
 * published for it, or the initial content). */
static uint32_t floor_write(const struct crash *c, uint64_t blk, int acked_mode)
{
	uint32_t i, best = 0;

	for (i = c->first[blk]; i; i = c->w[i].next)
		if (c->w[i].acked &&
		    (acked_mode || c->w[i].ack_pos < c->durable_pos))
			best = i;
	return best;
}

static int check(struct crash *c, const uint8_t *img, const uint8_t *init,
		 int acked_mode, uint64_t *durable_blocks, uint64_t *written)
{
	uint64_t blk, s, off, violations = 0;
	uint32_t fl, i;
	int ok;

	for (blk = 0; blk < c->nblocks; blk++) {
		fl = floor_write(c, blk, acked_mode);
		*durable_blocks += fl != 0;
		*written += c->first[blk] != 0;
		for (s = 0; s < c->bs / SECTOR; s++) {
			off = blk * c->bs + s * SECTOR;
			ok = !fl && !memcmp(img + off, init + off, SECTOR);
			for (i = fl ? fl : c->first[blk]; !ok && i; i = c->w[i].next)
				ok = simfront_pattern_check(img + off, SECTOR, off,
							    c->w[i].key) < 0;
			if (ok)
				continue;
			if (++violations > MAX_REPORT)
				continue;
			if (fl)
				fprintf(stderr, "crashcheck: block %" PRIu64 " sector %"
					PRIu64 " (byte %" PRIu64 "): lost write %u (%s)\n",
					blk, s, off, c->w[fl].ver,
					acked_mode ? "acknowledged" : "acknowledged and flushed");
			else
				fprintf(stderr, "crashcheck: block %" PRIu64 " sector %"
					PRIu64 " (byte %" PRIu64 "): holds data never "
					"written there\n", blk, s, off);
		}
	}
	return violations > INT32_MAX ? INT32_MAX : (int)violations;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log", required_argument, NULL, 'l' },
		{ "image", required_argument, NULL, 'i' },
		{ "initial", required_argument, NULL, 'n' },
		{ "acked", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	const char *log = NULL, *image = NULL, *initial = NULL;
	uint64_t durable = 0, written = 0;
	struct crash c;
	uint8_t *img, *init;
	int opt, acked = 0, v;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'l': log = optarg; break;
		case 'i': image = optarg; break;
		case 'n': initial = optarg; break;
		case 'a': acked = 1; break;
		default: return usage("unknown option");
		}
	}
	if (!log || !image || optind != argc)
		return usage("--log and --image are required");
	memset(&c, 0, sizeof(c));
	if (read_log(&c, log) < 0)
		return 2;
	img = read_file(image, c.size);
	init = read_file(initial, c.size);
	if (!img || !init)
		return 2;
	v = check(&c, img, init, acked, &durable, &written);
	printf("writes=%u\nacked=%" PRIu64 "\nfailed=%" PRIu64 "\nflushes_acked=%"
	       PRIu64 "\ndurable_blocks=%" PRIu64 "\nblocks_written=%" PRIu64
	       "\nsectors=%" PRIu64 "\nviolations=%d\ncheck=%s\n", c.nw, c.nacked,
	       c.nfailed, c.flushes_acked, durable, written, c.size / SECTOR, v,
	       v ? "FAIL" : "ok");
	free(img);
	free(init);
	free(c.w);
	free(c.first);
	free(c.last);
	return v ? 1 : 0;
}
