/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xsim: the shared layout of the simulated hypervisor (doc/simulator.md).
 *
 * This header is the contract between tapdisk's "sim" xenio implementation
 * and any program that acts as a guest. It contains only layout constants,
 * plain structs of fixed-width little-endian fields and pure helpers.
 *
 * For guest domain D, in the simulator directory DIR:
 *   DIR/dom<D>.mem          one file: header page, grant table, guest memory
 *   DIR/dom<D>-port<P>.tob  FIFO: guest -> backend notifications for port P
 *   DIR/dom<D>-port<P>.tof  FIFO: backend -> guest notifications for port P
 *
 * The .mem file (all offsets in bytes from the start of the file):
 *   0                 struct xsim_header (padded to one page)
 *   grant_off         nr_grants * struct xsim_grant (16 bytes each)
 *   mem_off           nr_pages * 4096 bytes of guest memory (page aligned)
 *
 * Grant reference R is entry R of the table. It names guest page `frame`
 * and is usable by the backend only if flags has XSIM_GTF_PERMIT_ACCESS,
 * domid is the backend's domain and frame < nr_pages; a write to the page
 * additionally needs XSIM_GTF_READONLY to be clear. The guest fills frame
 * and domid first, then sets flags (with a release barrier); it revokes a
 * grant by clearing flags. Reference 0 is reserved and never valid (as in
 * Xen, where the first entries belong to the toolstack).
 *
 * A notification is one byte written to the FIFO (EAGAIN on a full FIFO is
 * fine: a notification is already pending). The receiver drains the FIFO.
 * Both sides open both FIFOs O_RDWR | O_NONBLOCK, so neither blocks and no
 * open order is needed. The guest creates the FIFOs (mkfifo) before it
 * hands the port to the backend, and removes them when done.
 */
#ifndef XENTAP_XSIM_H
#define XENTAP_XSIM_H

#include <stdint.h>

#define XSIM_MAGIC "XTAPSIM1"	/* 8 bytes, no NUL */
#define XSIM_VERSION 1u
#define XSIM_PAGE_SIZE 4096u
#define XSIM_MAX_PAGES (1u << 20)	/* 4 GiB of guest memory */
#define XSIM_MAX_GRANTS (1u << 20)

#define XSIM_GTF_PERMIT_ACCESS 0x1u
#define XSIM_GTF_READONLY 0x4u

#define XSIM_DEFAULT_DIR "/run/xentap-sim"
#define XSIM_ENV_DIR "XENTAP_SIM_DIR"

/* File names inside DIR, as printf formats (domid, then port; both %u). */
#define XSIM_MEM_NAME "dom%u.mem"
#define XSIM_TOB_NAME "dom%u-port%u.tob"
#define XSIM_TOF_NAME "dom%u-port%u.tof"

struct xsim_header {
	char magic[8];		/* XSIM_MAGIC */
	uint32_t version;	/* XSIM_VERSION */
	uint32_t page_size;	/* XSIM_PAGE_SIZE */
	uint32_t domid;		/* the guest's domain id */
	uint32_t nr_pages;	/* guest memory pages */
	uint32_t nr_grants;	/* grant table entries */
	uint32_t reserved0;
	uint64_t grant_off;	/* byte offset of the grant table */
	uint64_t mem_off;	/* byte offset of guest memory, page aligned */
	uint64_t file_size;	/* total size of the file */
};

struct xsim_grant {
	uint32_t flags;		/* XSIM_GTF_*; 0 = not granted */
	uint16_t domid;		/* domain allowed to use the grant */
	uint16_t reserved0;
	uint32_t frame;		/* guest page index, < nr_pages */
	uint32_t reserved1;
};

_Static_assert(sizeof(struct xsim_grant) == 16, "xsim_grant layout");
_Static_assert(sizeof(struct xsim_header) <= XSIM_PAGE_SIZE, "xsim_header");

/* Layout helper: fills a header for nr_pages / nr_grants (both > 0). */
static inline void xsim_layout(struct xsim_header *h, uint32_t domid,
			       uint32_t nr_pages, uint32_t nr_grants)
{
	uint64_t gsz = (uint64_t)nr_grants * sizeof(struct xsim_grant);
	unsigned i;

	for (i = 0; i < 8; i++)
		h->magic[i] = XSIM_MAGIC[i];
	h->version = XSIM_VERSION;
	h->page_size = XSIM_PAGE_SIZE;
	h->domid = domid;
	h->nr_pages = nr_pages;
	h->nr_grants = nr_grants;
	h->reserved0 = 0;
	h->grant_off = XSIM_PAGE_SIZE;
	h->mem_off = (XSIM_PAGE_SIZE + gsz + XSIM_PAGE_SIZE - 1) &
		     ~(uint64_t)(XSIM_PAGE_SIZE - 1);
	h->file_size = h->mem_off + (uint64_t)nr_pages * XSIM_PAGE_SIZE;
}

#endif
