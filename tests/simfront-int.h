/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * simfront internals shared by simfront.c (connection) and simfront-ring.c
 * (data path). Not an API: users include simfront.h.
 */
#ifndef XENTAP_SIMFRONT_INT_H
#define XENTAP_SIMFRONT_INT_H

#include "simfront.h"

/*
 * One request slot of the frontend. Owns its data pages (pages_per_req of
 * them) and, with indirect enabled, its indirect pages for the whole
 * connection; grants are taken at submit and revoked at completion.
 */
struct sf_tag {
	uint64_t id;		/* ring id: generation << 32 | tag index */
	uint64_t cookie;
	void *buf;		/* READ: copied out at completion */
	uint64_t len;		/* data bytes */
	uint8_t ring_op;	/* operation on the ring */
	uint8_t op;		/* effective op (indirect_op for INDIRECT) */
	uint8_t first_sect;	/* of the first segment */
	uint8_t in_use;
	uint16_t nr_grants;	/* data grants held (grefs[0..n-1]) */
	uint16_t nr_ind;	/* indirect grants held */
	uint32_t *frames;	/* pages_per_req guest frames */
	void **pages;		/* their addresses */
	uint32_t *grefs;	/* per data page while granted */
	uint32_t ind_frames[BLKIF_MAX_INDIRECT_PAGES];
	void *ind_pages[BLKIF_MAX_INDIRECT_PAGES];
	uint32_t ind_grefs[BLKIF_MAX_INDIRECT_PAGES];
};

struct simfront {
	char *ctl_dir;
	char *sim_dir;
	char *open_spec;
	pid_t pid;
	int timeout_ms;
	struct simfront_info info;
	struct simfront_stats st;

	struct xsim_guest *g;
	volatile uint8_t *ring;		/* ring_pages contiguous pages */
	uint32_t ring_frames[BLKIF_MAX_RING_PAGES];
	unsigned nr_ring_frames;	/* allocated */
	unsigned nr_ring_grants;	/* granted (info.ring_refs) */
	int evfd;
	unsigned have_port : 1;
	unsigned connected : 1;
	unsigned vbd_opened : 1;

	uint32_t req_prod_pvt;		/* next slot to fill */
	uint32_t req_prod_pub;		/* last req_prod we published */
	uint32_t rsp_cons;		/* next response to read */
	uint32_t gen;			/* id generation counter */

	struct sf_tag *tags;		/* queue_depth */
	unsigned *free_tags;		/* stack of free tag indices */
	unsigned nr_free;
	uint32_t *tag_frames;		/* backing arrays of all tags */
	void **tag_pages;
	uint32_t *tag_grefs;

	uint32_t ring_flags;		/* RING_CONNECT FLAGS (opts.ring_flags) */
	unsigned pers_granted;		/* tags whose pages are granted for good */
	uint32_t pkt_frame;		/* the packet page (simfront-ring.c), */
	uint8_t *pkt_page;		/* allocated at its first use */
};

/* simfront.c */
void sf_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Map a local errno so that it cannot be mistaken for a BLKIF status. */
static inline int sf_local_err(int e)
{
	return (e == -1 || e == -2) ? -5 /* -EIO */ : e;
}

/* simfront-ring.c */
/* Free the packet page (simfront_close). */
void sf_packet_free(struct simfront *f);
/* Revoke a tag's grants and put it back on the free stack. */
void sf_tag_release(struct simfront *f, struct sf_tag *t);
/* Initialise the shared ring header and private indices. */
void sf_ring_reset(struct simfront *f);

#endif
