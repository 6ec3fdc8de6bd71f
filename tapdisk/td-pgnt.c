/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-pgnt: persistent-grant cache (see td-pgnt.h).
 *
 * Layout: an array of max entries; a hash table (open chaining through
 * entry indices) from gref to entry; a doubly linked LRU list through the
 * idle entries (refs == 0), oldest at the head; a stack of unused entries.
 * Every operation is O(1) apart from the short hash chains.
 */
#include <errno.h>
#include <stdlib.h>

#include "td-pgnt.h"
#include "td-vbd.h"

#define NIL UINT32_MAX

struct pg_ent {
	uint32_t gref;
	uint32_t refs;		/* requests in flight using it */
	uint8_t *addr;		/* NULL: unused entry */
	uint32_t hnext;		/* hash chain */
	uint32_t prev, next;	/* LRU (idle entries only) */
	uint8_t writable;
};

struct td_pgnt {
	uint32_t domid;
	unsigned max, nr;	/* capacity, entries mapped */
	unsigned hmask;
	struct pg_ent *e;
	uint32_t *hash;		/* hmask + 1 heads */
	uint32_t *unused;	/* stack of unused entry indices */
	unsigned nr_unused;
	uint32_t lru_head, lru_tail;
	struct td_pgnt_stats st;
	struct td_pgnt *gprev, *gnext;	/* every cache of the process */
};

static unsigned pgnt_total;	/* entries mapped by every cache */
static unsigned pgnt_caches;	/* caches alive */
static struct td_pgnt *pgnt_list;

static inline unsigned pg_hash(const struct td_pgnt *c, uint32_t gref)
{
	/* a product's low bits depend only on gref's low bits: fold the
	 * high half in, or grefs that differ above the mask would share a
	 * bucket */
	uint32_t h = gref * 2654435761u;

	return (h ^ (h >> 16)) & c->hmask;
}

static void lru_del(struct td_pgnt *c, uint32_t i)
{
	struct pg_ent *x = &c->e[i];

	if (x->prev != NIL)
		c->e[x->prev].next = x->next;
	else
		c->lru_head = x->next;
	if (x->next != NIL)
		c->e[x->next].prev = x->prev;
	else
		c->lru_tail = x->prev;
	x->prev = x->next = NIL;
}

static void lru_add_tail(struct td_pgnt *c, uint32_t i)
{
	struct pg_ent *x = &c->e[i];

	x->next = NIL;
	x->prev = c->lru_tail;
	if (c->lru_tail != NIL)
		c->e[c->lru_tail].next = i;
	else
		c->lru_head = i;
	c->lru_tail = i;
}

static void hash_del(struct td_pgnt *c, uint32_t i)
{
	uint32_t *pp = &c->hash[pg_hash(c, c->e[i].gref)];

	while (*pp != NIL && *pp != i)
		pp = &c->e[*pp].hnext;
	if (*pp == i)
		*pp = c->e[i].hnext;
}

/* Unmap an idle entry (already off the LRU list) and make it unused. */
static void ent_drop(struct td_pgnt *c, uint32_t i)
{
	struct pg_ent *x = &c->e[i];

	hash_del(c, i);
	td_ctx.xops->unmap(td_ctx.xh, x->addr, 1);
	x->addr = NULL;
	c->nr--;
	pgnt_total--;
	c->unused[c->nr_unused++] = i;
}

int td_pgnt_create(uint32_t domid, unsigned max, struct td_pgnt **out)
{
	struct td_pgnt *c;
	unsigned hsize = 16, i;

	*out = NULL;
	if (max == 0 || max > TD_PGNT_RING_MAX)
		max = TD_PGNT_RING_MAX;
	while (hsize < 2 * max)
		hsize <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->e = calloc(max, sizeof(*c->e));
	c->hash = malloc(hsize * sizeof(*c->hash));
	c->unused = malloc(max * sizeof(*c->unused));
	if (!c->e || !c->hash || !c->unused) {
		td_pgnt_destroy(c);
		return -ENOMEM;
	}
	c->domid = domid;
	c->max = max;
	c->hmask = hsize - 1;
	for (i = 0; i < hsize; i++)
		c->hash[i] = NIL;
	for (i = 0; i < max; i++)
		c->unused[i] = max - 1 - i;
	c->nr_unused = max;
	c->lru_head = c->lru_tail = NIL;
	c->gnext = pgnt_list;
	if (pgnt_list)
		pgnt_list->gprev = c;
	pgnt_list = c;
	pgnt_caches++;
	*out = c;
	return 0;
}

void td_pgnt_destroy(struct td_pgnt *c)
{
	unsigned i;

	if (!c)
		return;
	if (c->gprev || pgnt_list == c) {
		if (c->gprev)
			c->gprev->gnext = c->gnext;
		else
			pgnt_list = c->gnext;
		if (c->gnext)
			c->gnext->gprev = c->gprev;
		pgnt_caches--;
	}
	for (i = 0; c->e && i < c->max; i++) {
		if (!c->e[i].addr)
			continue;
		/* a caller bug if in use; unmapping is still right at teardown */
		td_ctx.xops->unmap(td_ctx.xh, c->e[i].addr, 1);
		pgnt_total--;
	}
	free(c->e);
	free(c->hash);
	free(c->unused);
	free(c);
}

/* Map gref into entry slot i (unused), writable if allowed. */
static int ent_map(struct td_pgnt *c, uint32_t i, uint32_t gref, int writable)
{
	struct pg_ent *x = &c->e[i];
	void *addr = NULL;
	int err;

	/* Linux blkfront grants persistent pages read-write: try that first
	 * so that the entry serves READs as well as WRITEs. A read-only
	 * grant fails it (-EACCES from the simulator; gntdev on Xen reports
	 * a failed map less precisely): a WRITE then maps it read-only. */
	err = td_ctx.xops->map(td_ctx.xh, c->domid, 1, &gref, 1, &addr);
	if (err && !writable)
		err = td_ctx.xops->map(td_ctx.xh, c->domid, 1, &gref, 0, &addr);
	else
		writable = 1;
	if (err) {
		c->st.map_failures++;
		return err;
	}
	x->gref = gref;
	x->addr = addr;
	x->writable = (uint8_t)writable;
	x->refs = 0;
	x->prev = x->next = NIL;
	x->hnext = c->hash[pg_hash(c, gref)];
	c->hash[pg_hash(c, gref)] = i;
	c->nr++;
	pgnt_total++;
	return 0;
}

/*
 * c needs room: whose least recently used idle entry goes? c's own when
 * its table is full or it holds its fair share of the process budget (the
 * budget divided by the caches alive) or more. Otherwise the process
 * budget is spent by others: the cache furthest above its share gives one
 * up, so that a guest that came first cannot keep the others on grant
 * copy for good. NULL when nothing can be evicted (all in use).
 */
static struct td_pgnt *pgnt_victim(struct td_pgnt *c)
{
	unsigned share = TD_PGNT_TOTAL_MAX / pgnt_caches;	/* c is one */
	struct td_pgnt *v, *best = NULL;

	if (c->nr_unused && c->nr < share)
		for (v = pgnt_list; v; v = v->gnext)
			if (v != c && v->lru_head != NIL && v->nr > share &&
			    (!best || v->nr > best->nr))
				best = v;
	if (best)
		return best;
	return c->lru_head != NIL ? c : NULL;
}

int td_pgnt_get(struct td_pgnt *c, uint32_t gref, int writable, uint8_t **page,
		uint32_t *handle)
{
	uint32_t i;
	int err;

	for (i = c->hash[pg_hash(c, gref)]; i != NIL; i = c->e[i].hnext)
		if (c->e[i].gref == gref)
			break;
	if (i != NIL) {
		struct pg_ent *x = &c->e[i];

		if (writable && !x->writable) {
			/* read-only so far: remap writable, if nobody uses it */
			if (x->refs)
				return -EBUSY;
			lru_del(c, i);
			ent_drop(c, i);
			goto miss;
		}
		c->st.hits++;
		if (x->refs++ == 0)
			lru_del(c, i);
		*page = x->addr;
		*handle = i;
		return 0;
	}
miss:
	c->st.misses++;
	if (!c->nr_unused || pgnt_total >= TD_PGNT_TOTAL_MAX) {
		struct td_pgnt *v = pgnt_victim(c);

		if (!v) {
			c->st.full++;
			return -ENOSPC;
		}
		i = v->lru_head;
		lru_del(v, i);
		ent_drop(v, i);
		v->st.evictions++;
	}
	i = c->unused[--c->nr_unused];
	err = ent_map(c, i, gref, writable);
	if (err) {
		c->unused[c->nr_unused++] = i;
		return err;
	}
	c->e[i].refs = 1;
	*page = c->e[i].addr;
	*handle = i;
	return 0;
}

void td_pgnt_put(struct td_pgnt *c, uint32_t handle)
{
	struct pg_ent *x = &c->e[handle];

	if (x->refs && --x->refs == 0)
		lru_add_tail(c, handle);
}

void td_pgnt_get_stats(const struct td_pgnt *c, struct td_pgnt_stats *st)
{
	*st = c->st;
	st->entries = c->nr;
}
