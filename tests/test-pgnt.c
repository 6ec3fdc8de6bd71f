/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit test of the persistent-grant cache (tapdisk/td-pgnt.c) above a
 * fake hypervisor seam whose map() hands out heap blocks: hits and misses,
 * LRU eviction, entries in use never evicted, read-only grants, failed
 * maps, and the fair sharing of the process budget between rings.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "td-pgnt.h"
#include "td-vbd.h"
#include "xenio.h"

#define RO_GREF 0x80000000u	/* grants with this bit are read-only */
#define BAD_GREF 0x40000000u	/* grants with this bit do not map */

static long mapped, maps, unmaps;

static int fake_map(struct xenio *x, uint32_t domid, unsigned count,
		    const uint32_t *refs, int writable, void **addr)
{
	uint32_t *p;

	(void)x;
	(void)domid;
	if (count != 1)
		return -EINVAL;
	if (refs[0] & BAD_GREF)
		return -EINVAL;
	if ((refs[0] & RO_GREF) && writable)
		return -EACCES;
	p = malloc(2 * sizeof(*p));
	if (!p)
		return -ENOMEM;
	p[0] = refs[0];
	p[1] = (uint32_t)writable;
	*addr = p;
	mapped++;
	maps++;
	return 0;
}

static int fake_unmap(struct xenio *x, void *addr, unsigned count)
{
	(void)x;
	(void)count;
	free(addr);
	mapped--;
	unmaps++;
	return 0;
}

static const struct xenio_ops fake_ops = {
	.name = "fake",
	.map = fake_map,
	.unmap = fake_unmap,
};

/* get + check that the page is gref's; returns the handle or -errno */
static long get(struct td_pgnt *c, uint32_t gref, int writable)
{
	uint8_t *page = NULL;
	uint32_t h = 0;
	int err = td_pgnt_get(c, gref, writable, &page, &h);

	if (err)
		return err;
	CHECK(page != NULL);
	if (page)
		CHECK_EQ(((uint32_t *)(void *)page)[0], gref);
	return (long)h;
}

static void t_basic(void)
{
	struct td_pgnt *c;
	struct td_pgnt_stats st;
	long h1, h2, h;

	CHECK_EQ(td_pgnt_create(1, 4, &c), 0);
	h1 = get(c, 10, 1);
	CHECK(h1 >= 0);
	h2 = get(c, 10, 0);		/* a second user of the same page */
	CHECK_EQ(h2, h1);
	CHECK_EQ(mapped, 1);
	td_pgnt_put(c, (uint32_t)h1);
	td_pgnt_put(c, (uint32_t)h2);
	/* fill the table: 10 idle, 11..13 in use */
	CHECK(get(c, 11, 1) >= 0);
	CHECK(get(c, 12, 1) >= 0);
	CHECK(get(c, 13, 1) >= 0);
	CHECK_EQ(mapped, 4);
	/* a fifth grant evicts the only idle entry, 10 */
	h = get(c, 14, 1);
	CHECK(h >= 0);
	CHECK_EQ(mapped, 4);
	td_pgnt_get_stats(c, &st);
	CHECK_EQ(st.evictions, 1);
	CHECK_EQ(st.hits, 1);
	CHECK_EQ(st.misses, 5);
	/* now everything is in use: no room, the caller copies */
	CHECK_EQ(get(c, 15, 1), -ENOSPC);
	td_pgnt_get_stats(c, &st);
	CHECK_EQ(st.full, 1);
	CHECK_EQ(st.entries, 4);
	/* LRU order: put 12 then 11; the next miss evicts 12 */
	td_pgnt_put(c, (uint32_t)get(c, 12, 1));	/* refs 2 -> 1 */
	{
		uint8_t *p;
		uint32_t h11, h12;

		CHECK_EQ(td_pgnt_get(c, 12, 1, &p, &h12), 0);
		CHECK_EQ(td_pgnt_get(c, 11, 1, &p, &h11), 0);
		td_pgnt_put(c, h12);
		td_pgnt_put(c, h12);	/* 12 idle first */
		td_pgnt_put(c, h11);
		td_pgnt_put(c, h11);	/* then 11 */
	}
	CHECK(get(c, 16, 1) >= 0);
	td_pgnt_get_stats(c, &st);
	CHECK_EQ(st.evictions, 2);
	/* 11 is still cached (a hit), 12 is not (a miss) */
	{
		struct td_pgnt_stats a, b;

		td_pgnt_get_stats(c, &a);
		h = get(c, 11, 1);
		CHECK(h >= 0);
		td_pgnt_get_stats(c, &b);
		CHECK_EQ(b.hits, a.hits + 1);
		td_pgnt_put(c, (uint32_t)h);
	}
	td_pgnt_destroy(c);
	CHECK_EQ(mapped, 0);
}

static void t_readonly_and_bad(void)
{
	struct td_pgnt *c;
	struct td_pgnt_stats st;
	long h, h2;
	long m0 = maps;

	CHECK_EQ(td_pgnt_create(1, 8, &c), 0);
	/* a WRITE request (backend reads the page) on a read-only grant:
	 * the writable map fails, the read-only one works */
	h = get(c, 5 | RO_GREF, 0);
	CHECK(h >= 0);
	CHECK_EQ(maps - m0, 1);
	/* a READ (backend writes the page) on it while in use: -EBUSY */
	CHECK_EQ(get(c, 5 | RO_GREF, 1), -EBUSY);
	td_pgnt_put(c, (uint32_t)h);
	/* idle: it is dropped and the writable map refused by the grant */
	CHECK_EQ(get(c, 5 | RO_GREF, 1), -EACCES);
	CHECK_EQ(mapped, 0);
	/* a grant that does not map at all */
	CHECK_EQ(get(c, 7 | BAD_GREF, 0), -EINVAL);
	td_pgnt_get_stats(c, &st);
	CHECK_EQ(st.map_failures, 2);
	CHECK_EQ(st.entries, 0);
	/* a writable grant mapped for a WRITE serves a later READ */
	h = get(c, 9, 0);
	h2 = get(c, 9, 1);
	CHECK(h >= 0);
	CHECK_EQ(h2, h);
	CHECK_EQ(mapped, 1);
	td_pgnt_put(c, (uint32_t)h);
	td_pgnt_put(c, (uint32_t)h2);
	td_pgnt_destroy(c);
	CHECK_EQ(mapped, 0);
}

/* Fill c with n grants base..base+n-1, all put back idle. */
static int fill(struct td_pgnt *c, uint32_t base, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		long h = get(c, base + i, 1);

		if (h < 0)
			return (int)h;
		td_pgnt_put(c, (uint32_t)h);
	}
	return 0;
}

static void t_fair_share(void)
{
	enum { N = 3 };
	struct td_pgnt *c[N], *late;
	struct td_pgnt_stats st;
	unsigned per = TD_PGNT_TOTAL_MAX / N, i, share;
	long h;

	/* three rings take the whole process budget, all idle */
	for (i = 0; i < N; i++) {
		CHECK_EQ(td_pgnt_create(1, TD_PGNT_RING_MAX, &c[i]), 0);
		CHECK_EQ(fill(c[i], 100000 * (i + 1), per), 0);
	}
	CHECK_EQ(mapped, N * per);
	CHECK(mapped >= (long)TD_PGNT_TOTAL_MAX - N);
	/* a fourth ring still gets mappings, up to its fair share, taken
	 * from the others and never growing the total */
	CHECK_EQ(td_pgnt_create(2, TD_PGNT_RING_MAX, &late), 0);
	share = TD_PGNT_TOTAL_MAX / (N + 1);
	CHECK_EQ(fill(late, 900000, share), 0);
	td_pgnt_get_stats(late, &st);
	CHECK_EQ(st.entries, share);
	CHECK_EQ(st.full, 0);
	CHECK(mapped <= (long)TD_PGNT_TOTAL_MAX);
	for (i = 0; i < N; i++) {
		td_pgnt_get_stats(c[i], &st);
		CHECK(st.entries >= share);
		CHECK(st.evictions > 0);
	}
	/* at its share, it recycles its own entries: the others keep theirs */
	{
		unsigned before[N];

		for (i = 0; i < N; i++) {
			td_pgnt_get_stats(c[i], &st);
			before[i] = st.entries;
		}
		CHECK_EQ(fill(late, 950000, 100), 0);
		for (i = 0; i < N; i++) {
			td_pgnt_get_stats(c[i], &st);
			CHECK_EQ(st.entries, before[i]);
		}
		td_pgnt_get_stats(late, &st);
		CHECK_EQ(st.entries, share);
		CHECK_EQ(st.evictions, 100);
	}
	/* entries in use are never taken: with the others' pages all busy
	 * and its own too, a ring below its share gets -ENOSPC */
	td_pgnt_destroy(late);
	CHECK_EQ(td_pgnt_create(2, TD_PGNT_RING_MAX, &late), 0);
	{
		static uint32_t busy[N][TD_PGNT_RING_MAX];
		unsigned nb[N];

		for (i = 0; i < N; i++) {
			uint32_t g;

			nb[i] = 0;
			for (g = 100000 * (i + 1); g < 100000 * (i + 1) + per; g++) {
				uint8_t *p;
				uint32_t hh;

				if (td_pgnt_get(c[i], g, 1, &p, &hh) == 0)
					busy[i][nb[i]++] = hh;
			}
		}
		/* the others grew back to the whole budget, all of it busy */
		CHECK_EQ(mapped, TD_PGNT_TOTAL_MAX);
		h = get(late, 990000, 1);
		CHECK_EQ(h, -ENOSPC);
		for (i = 0; i < N; i++)
			while (nb[i])
				td_pgnt_put(c[i], busy[i][--nb[i]]);
		if (h >= 0)
			td_pgnt_put(late, (uint32_t)h);
		/* once they are idle again, the late ring gets its page */
		h = get(late, 990001, 1);
		CHECK(h >= 0);
		if (h >= 0)
			td_pgnt_put(late, (uint32_t)h);
	}
	td_pgnt_destroy(late);
	for (i = 0; i < N; i++)
		td_pgnt_destroy(c[i]);
	CHECK_EQ(mapped, 0);
}

int main(void)
{
	td_ctx.xops = &fake_ops;
	td_ctx.xh = NULL;
	t_basic();
	t_readonly_and_bad();
	t_fair_share();
	return check_exit("test-pgnt");
}
