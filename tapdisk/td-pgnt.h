/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-pgnt: the persistent-grant cache of one ring (feature-persistent).
 *
 * A frontend that negotiated feature-persistent keeps granting the same
 * pages for the life of the ring, so the backend maps each grant once and
 * keeps the mapping: gref -> one mapped page. The cache is bounded per ring
 * (TD_PGNT_RING_MAX) and per process (TD_PGNT_TOTAL_MAX: every entry is a
 * mapping, and mappings are a finite resource: VMAs, gntdev slots), as
 * Linux blkback bounds max_persistent_grants. Entries not used by any
 * request in flight sit on an LRU list and the least recently used one is
 * unmapped when a new grant needs room; entries in use are never evicted,
 * and when nothing can be evicted td_pgnt_get() fails with -ENOSPC and the
 * caller falls back to grant copy. A hostile guest can therefore make the
 * backend churn mappings, never grow them.
 *
 * The process budget is shared fairly: a ring's fair share is the budget
 * divided by the caches alive. When the budget is spent, a ring below its
 * share takes the least recently used idle entry of the ring furthest
 * above its share; a ring at or above its share evicts its own. A guest
 * that attached first (or maps the most) cannot keep later ones on grant
 * copy.
 *
 * Grants are mapped writable when the guest allows it (a later READ can
 * reuse the entry) and read-only otherwise; a READ that finds a read-only
 * entry remaps it writable when it is idle, or fails with -EBUSY.
 *
 * What a mapping shows if the guest revokes or re-targets a grant while it
 * is cached is the guest's own business: on Xen a grant that is mapped
 * cannot be ended; in the simulator the mapping keeps naming the old page.
 * Either way only the guest's own data is concerned.
 *
 * Used from tapdisk's event loop thread only.
 */
#ifndef XENTAP_TD_PGNT_H
#define XENTAP_TD_PGNT_H

#include <stdint.h>

#define TD_PGNT_RING_MAX 4096u	/* pages per ring (16 MiB of mappings) */
/* Pages per process: below xenio-xen's gntdev budget (XEN_MAX_GRANTS,
 * 16384), leaving room for ring pages and per-request maps. */
#define TD_PGNT_TOTAL_MAX 12288u

struct td_pgnt;

struct td_pgnt_stats {
	uint64_t hits, misses, evictions, map_failures, full;
	unsigned entries;	/* mapped now */
};

/* A cache of at most max entries for grants of domain domid. */
int td_pgnt_create(uint32_t domid, unsigned max, struct td_pgnt **out);
/* Unmaps everything. Every entry must be idle (put back). NULL is fine. */
void td_pgnt_destroy(struct td_pgnt *c);
/*
 * Take a reference on the mapping of gref. writable: the caller will write
 * the page (a READ request). On success *page is the page's address and
 * *handle names the entry for td_pgnt_put(). Errors: what xenio map()
 * reports for a bad grant, -EBUSY (cached read-only and in use), -ENOSPC
 * (cache full of entries in use, or the process budget is spent).
 */
int td_pgnt_get(struct td_pgnt *c, uint32_t gref, int writable, uint8_t **page,
		uint32_t *handle);
void td_pgnt_put(struct td_pgnt *c, uint32_t handle);
void td_pgnt_get_stats(const struct td_pgnt *c, struct td_pgnt_stats *st);

#endif
