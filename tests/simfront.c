/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * simfront: connection lifecycle of the simulated blkfront (simfront.h).
 * The request path lives in simfront-ring.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "simfront-int.h"
#include "tapctl.h"

static __thread char sf_errbuf[512];

void sf_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sf_errbuf, sizeof(sf_errbuf), fmt, ap);
	va_end(ap);
}

const char *simfront_last_error(void)
{
	return sf_errbuf;
}

/* strerror plus tapdisk's own reason when it sent one. */
static void sf_set_ctl_error(const char *what, int rc)
{
	const char *m = tapctl_last_message();

	if (m && *m)
		sf_set_error("%s: %s (tapdisk: %s)", what, strerror(-rc), m);
	else
		sf_set_error("%s: %s", what, strerror(-rc));
}

void simfront_opts_init(struct simfront_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->domid = SIMFRONT_DEFAULT_DOMID;
	o->devid = SIMFRONT_DEFAULT_DEVID;
	o->abi = BLKIF_ABI_NATIVE;
}

const struct simfront_info *simfront_info(const struct simfront *f)
{
	return &f->info;
}

const struct simfront_stats *simfront_stats(const struct simfront *f)
{
	return &f->st;
}

struct xsim_guest *simfront_guest(struct simfront *f)
{
	return f->g;
}

const char *simfront_status_name(int status)
{
	static __thread char buf[24];

	switch (status) {
	case BLKIF_RSP_OKAY:
		return "okay";
	case BLKIF_RSP_ERROR:
		return "error";
	case BLKIF_RSP_EOPNOTSUPP:
		return "eopnotsupp";
	}
	snprintf(buf, sizeof(buf), "status%d", status);
	return buf;
}

/* ---- VBD properties --------------------------------------------------- */

/* STATUS for our minor: the VBD entry (and our ring's, when ring != NULL). */
static int sf_status(struct simfront *f, struct td_vbd_status *vbd,
		     struct td_ring_status *ring)
{
	struct td_msg *reply = tapctl_msg_new();
	const struct td_vbd_status *v;
	uint32_t i, j;
	int rc;

	if (!reply)
		return -ENOMEM;
	rc = tapctl_status(f->ctl_dir, f->pid, (int)f->info.minor, reply);
	if (rc < 0) {
		char what[PATH_MAX + 32];
		char path[PATH_MAX];

		if (tapctl_socket_path(f->ctl_dir, f->pid, path, sizeof(path)) < 0)
			snprintf(path, sizeof(path), "%s", f->ctl_dir);
		snprintf(what, sizeof(what), "STATUS via %s", path);
		sf_set_ctl_error(what, rc);
		goto out;
	}
	snprintf(f->info.engine, sizeof(f->info.engine), "%s", reply->engine);
	snprintf(f->info.xenio, sizeof(f->info.xenio), "%s", reply->xenio);
	rc = -ENODEV;
	for (i = 0; i < reply->nr_vbds && i < TD_MAX_VBDS; i++) {
		v = &reply->vbds[i];
		if (v->minor != f->info.minor)
			continue;
		if (vbd) {
			*vbd = *v;
			rc = 0;
		}
		for (j = 0; ring && j < v->nr_rings && j < TD_MAX_RINGS; j++) {
			if (v->rings[j].domid == f->info.domid &&
			    v->rings[j].devid == f->info.devid &&
			    v->rings[j].queue == 0) {
				*ring = v->rings[j];
				rc = 0;
			}
		}
	}
	if (rc == -ENODEV && ring)
		sf_set_error("STATUS: tapdisk %d lists no ring d%u/%u on minor %u",
			     (int)f->pid, f->info.domid, f->info.devid,
			     f->info.minor);
	else if (rc == -ENODEV)
		sf_set_error("STATUS: tapdisk %d has no VBD with minor %u",
			     (int)f->pid, f->info.minor);
out:
	free(reply);
	return rc;
}

int simfront_ring_status(struct simfront *f, struct td_ring_status *out)
{
	return sf_status(f, NULL, out);
}

int simfront_vbd_status(struct simfront *f, struct td_vbd_status *out)
{
	return sf_status(f, out, NULL);
}

static int sf_query_vbd(struct simfront *f)
{
	struct td_vbd_status *v = malloc(sizeof(*v));
	int rc;

	if (!v)
		return -ENOMEM;
	rc = sf_status(f, v, NULL);
	if (rc == 0) {
		f->info.size = v->size;
		f->info.sectors = v->size >> BLKIF_SECTOR_SHIFT;
		f->info.sector_size = v->sector_size;
		f->info.phys_sector_size = v->phys_sector_size;
		f->info.vdisk_info = v->info;
		f->info.features = v->features;
		f->info.vbd_max_indirect = v->max_indirect;
		f->info.vbd_flags = v->flags;
	}
	free(v);
	return rc;
}

/* ---- memory layout ----------------------------------------------------- */

/*
 * The ring must be contiguous in our mapping (slots straddle pages). Guest
 * memory is one mapping, so consecutive frames are contiguous; allocate
 * until the last n frames are consecutive and give the others back.
 */
static int sf_alloc_ring(struct simfront *f, unsigned n)
{
	unsigned cap = n + 64, cnt = 0, i, run = 0;
	uint32_t *fr = calloc(cap, sizeof(*fr));
	int rc = -ENOMEM;

	if (!fr)
		return -ENOMEM;
	while (cnt < cap) {
		rc = xsim_guest_page_alloc(f->g, &fr[cnt]);
		if (rc < 0)
			break;
		run = (cnt && fr[cnt] == fr[cnt - 1] + 1) ? run + 1 : 1;
		cnt++;
		if (run == n)
			break;
	}
	if (run == n) {
		for (i = 0; i < n; i++)
			f->ring_frames[i] = fr[cnt - n + i];
		f->nr_ring_frames = n;
		cnt -= n;
		rc = 0;
	} else if (rc == 0) {
		rc = -ENOMEM;
	}
	for (i = 0; i < cnt; i++)
		xsim_guest_page_free(f->g, fr[i]);
	free(fr);
	if (rc == 0) {
		f->ring = xsim_guest_page(f->g, f->ring_frames[0]);
		for (i = 1; i < n; i++)
			if ((uint8_t *)xsim_guest_page(f->g, f->ring_frames[i]) !=
			    (uint8_t *)f->ring + (size_t)i * XSIM_PAGE_SIZE)
				return -EFAULT;
	}
	return rc;
}

static int sf_alloc_tags(struct simfront *f)
{
	unsigned qd = f->info.queue_depth, ppr = f->info.pages_per_req;
	unsigned nind = f->info.indirect_segs ?
				blkif_indirect_pages(f->info.indirect_segs) : 0;
	unsigned i, j;
	int rc;

	f->tags = calloc(qd, sizeof(*f->tags));
	f->free_tags = calloc(qd, sizeof(*f->free_tags));
	f->tag_frames = calloc((size_t)qd * ppr, sizeof(*f->tag_frames));
	f->tag_pages = calloc((size_t)qd * ppr, sizeof(*f->tag_pages));
	f->tag_grefs = calloc((size_t)qd * ppr, sizeof(*f->tag_grefs));
	if (!f->tags || !f->free_tags || !f->tag_frames || !f->tag_pages ||
	    !f->tag_grefs)
		return -ENOMEM;
	for (i = 0; i < qd; i++) {
		struct sf_tag *t = &f->tags[i];

		t->frames = f->tag_frames + (size_t)i * ppr;
		t->pages = f->tag_pages + (size_t)i * ppr;
		t->grefs = f->tag_grefs + (size_t)i * ppr;
		for (j = 0; j < ppr; j++) {
			rc = xsim_guest_page_alloc(f->g, &t->frames[j]);
			if (rc < 0)
				return rc;
			t->pages[j] = xsim_guest_page(f->g, t->frames[j]);
		}
		for (j = 0; j < nind; j++) {
			rc = xsim_guest_page_alloc(f->g, &t->ind_frames[j]);
			if (rc < 0)
				return rc;
			t->ind_pages[j] = xsim_guest_page(f->g, t->ind_frames[j]);
		}
		/* pop order 0, 1, 2...: the stack holds them reversed */
		f->free_tags[i] = qd - 1 - i;
	}
	/* Persistent grants: each page granted once, for the connection. */
	for (i = 0; f->info.persistent && i < qd; i++) {
		struct sf_tag *t = &f->tags[i];

		for (j = 0; j < ppr; j++) {
			rc = xsim_guest_grant(f->g, t->frames[j],
					      SIMFRONT_BACKEND_DOMID, 0,
					      &t->grefs[j]);
			if (rc < 0)
				return rc;
		}
		for (j = 0; j < nind; j++) {
			rc = xsim_guest_grant(f->g, t->ind_frames[j],
					      SIMFRONT_BACKEND_DOMID, 1,
					      &t->ind_grefs[j]);
			if (rc < 0)
				return rc;
		}
		f->pers_granted = i + 1;
	}
	f->nr_free = qd;
	return 0;
}

static int sf_connect_ring(struct simfront *f)
{
	struct tapctl_ring r;
	unsigned i;
	int rc;

	memset(&r, 0, sizeof(r));
	r.domid = f->info.domid;
	r.devid = f->info.devid;
	r.queue = 0;
	r.ring_order = f->info.ring_order;
	for (i = 0; i < f->info.ring_pages; i++)
		r.ring_refs[i] = f->info.ring_refs[i];
	r.evtchn = f->info.evtchn;
	r.abi = (uint32_t)f->info.abi;
	r.flags = f->ring_flags;
	rc = tapctl_ring_connect(f->ctl_dir, f->pid, f->info.minor, &r);
	if (rc < 0) {
		sf_set_ctl_error("RING_CONNECT", rc);
		return rc;
	}
	f->connected = 1;
	return 0;
}

static char *sf_strdup(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*err = -ENOMEM;
	return d;
}

/* Sizes derived from the options and the VBD. */
static int sf_plan(struct simfront *f, const struct simfront_opts *o)
{
	struct simfront_info *in = &f->info;
	unsigned segs;

	in->ring_order = o->ring_order;
	in->ring_pages = 1u << o->ring_order;
	in->abi = o->abi;
	in->ring_size = blkif_ring_size(o->abi, in->ring_pages);
	if (!in->ring_size) {
		sf_set_error("bad ABI %d or ring order %u", (int)o->abi,
			     o->ring_order);
		return -EINVAL;
	}
	in->queue_depth = o->queue_depth ? o->queue_depth : SIMFRONT_DEFAULT_QD;
	if (in->queue_depth > in->ring_size)
		in->queue_depth = in->ring_size;

	in->indirect_segs = 0;
	if (o->use_indirect) {
		if (!in->vbd_max_indirect) {
			sf_set_error("indirect requests asked for, but the VBD "
				     "advertises no indirect segments");
			return -EOPNOTSUPP;
		}
		segs = o->max_indirect_segs ? o->max_indirect_segs
					    : in->vbd_max_indirect;
		if (segs > in->vbd_max_indirect)
			segs = in->vbd_max_indirect;
		if (segs > BLKIF_MAX_INDIRECT_SEGS)
			segs = BLKIF_MAX_INDIRECT_SEGS;
		in->indirect_segs = segs;
	}
	in->pages_per_req = in->indirect_segs > BLKIF_MAX_SEGS ?
				    in->indirect_segs : BLKIF_MAX_SEGS;
	in->max_req_bytes = (uint64_t)in->pages_per_req * XSIM_PAGE_SIZE;
	return 0;
}

int simfront_open(const struct simfront_opts *o, struct simfront **out)
{
	struct simfront *f;
	uint64_t pages, grants;
	unsigned nind, spare, i;
	uint32_t port;
	int rc = 0;

	*out = NULL;
	sf_errbuf[0] = '\0';
	if (o->pid <= 0 || o->ring_order > BLKIF_MAX_RING_ORDER) {
		sf_set_error("bad options: pid %d, ring order %u", (int)o->pid,
			     o->ring_order);
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->evfd = -1;
	f->pid = o->pid;
	f->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : SIMFRONT_TIMEOUT_MS;
	f->ctl_dir = sf_strdup(tapctl_dir(o->ctl_dir), &rc);
	f->sim_dir = sf_strdup(o->sim_dir, &rc);
	f->open_spec = sf_strdup(o->open_spec, &rc);
	if (rc < 0)
		goto fail;
	f->info.domid = o->domid;
	f->info.devid = o->devid;
	f->info.minor = o->minor;

	if (f->open_spec) {
		uint32_t fl = o->open_flags | (o->readonly ? TD_F_RDONLY : 0);

		rc = tapctl_vbd_open(f->ctl_dir, f->pid, f->info.minor,
				     f->open_spec, fl);
		if (rc < 0) {
			char what[96];

			snprintf(what, sizeof(what), "VBD_OPEN minor %u %.60s",
				 f->info.minor, f->open_spec);
			sf_set_ctl_error(what, rc);
			goto fail;
		}
		f->vbd_opened = 1;
	}
	rc = sf_query_vbd(f);
	if (rc < 0)
		goto fail;
	rc = sf_plan(f, o);
	if (rc < 0)
		goto fail;

	nind = f->info.indirect_segs ?
		       blkif_indirect_pages(f->info.indirect_segs) : 0;
	spare = o->spare_pages ? o->spare_pages : SIMFRONT_SPARE_PAGES;
	pages = (uint64_t)f->info.ring_pages + 64 + spare +
		(uint64_t)f->info.queue_depth * (f->info.pages_per_req + nind);
	grants = pages + 16;
	if (pages > XSIM_MAX_PAGES || grants > XSIM_MAX_GRANTS) {
		sf_set_error("%llu guest pages needed, the simulator allows %u",
			     (unsigned long long)pages, XSIM_MAX_PAGES);
		rc = -E2BIG;
		goto fail;
	}
	f->info.nr_pages = (uint32_t)pages;
	f->info.nr_grants = (uint32_t)grants;
	rc = xsim_guest_create(f->sim_dir, f->info.domid, (uint32_t)pages,
			       (uint32_t)grants, &f->g);
	if (rc < 0) {
		sf_set_error("creating sim domain %u in %s: %s", f->info.domid,
			     f->sim_dir ? f->sim_dir : "(default)", strerror(-rc));
		goto fail;
	}
	rc = sf_alloc_ring(f, f->info.ring_pages);
	if (rc < 0) {
		sf_set_error("no %u contiguous ring pages: %s",
			     f->info.ring_pages, strerror(-rc));
		goto fail;
	}
	sf_ring_reset(f);
	for (i = 0; i < f->info.ring_pages; i++) {
		rc = xsim_guest_grant(f->g, f->ring_frames[i],
				      SIMFRONT_BACKEND_DOMID, 0,
				      &f->info.ring_refs[i]);
		if (rc < 0) {
			sf_set_error("granting ring page: %s", strerror(-rc));
			goto fail;
		}
		f->nr_ring_grants++;
	}
	f->info.persistent = o->persistent > 0 ||
			     (o->persistent == 0 &&
			      (f->info.features & TD_FEAT_PERSISTENT));
	rc = sf_alloc_tags(f);
	if (rc < 0) {
		sf_set_error("allocating request pages: %s", strerror(-rc));
		goto fail;
	}
	rc = xsim_guest_evtchn_alloc(f->g, &port, &f->evfd);
	if (rc < 0) {
		sf_set_error("allocating an event channel: %s", strerror(-rc));
		goto fail;
	}
	f->info.evtchn = port;
	f->have_port = 1;
	f->ring_flags = o->ring_flags |
			(f->info.persistent ? TD_F_PERSISTENT : 0);
	rc = sf_connect_ring(f);
	if (rc < 0)
		goto fail;
	/* RING_CONNECT with TD_F_CDROM made the VBD a CD: learn its new
	 * properties (read-only, VDISK_CDROM, size of the medium) */
	if (o->ring_flags & ~TD_F_PERSISTENT) {
		rc = sf_query_vbd(f);
		if (rc < 0)
			goto fail;
	}
	/* a read-only device: what tapback publishes in "info" for mode=r */
	if (o->ring_flags & TD_F_RDONLY)
		f->info.vdisk_info |= VDISK_READONLY;
	*out = f;
	return 0;
fail:
	{
		char keep[sizeof(sf_errbuf)];

		/* teardown must not overwrite the reason of the failure */
		memcpy(keep, sf_errbuf, sizeof(keep));
		simfront_close(f);
		memcpy(sf_errbuf, keep, sizeof(keep));
	}
	return rc;
}

/* Abandon every request in flight (after the backend let go of the ring). */
static void sf_abandon_all(struct simfront *f)
{
	unsigned i;

	if (!f->tags)
		return;
	for (i = 0; i < f->info.queue_depth; i++)
		if (f->tags[i].in_use)
			sf_tag_release(f, &f->tags[i]);
}

int simfront_close(struct simfront *f)
{
	unsigned i, j, nind;
	int rc, first = 0;

	if (!f)
		return 0;
	if (f->connected) {
		rc = tapctl_ring_disconnect(f->ctl_dir, f->pid, f->info.minor,
					    (int)f->info.domid, (int)f->info.devid, 0);
		if (rc < 0) {
			sf_set_ctl_error("RING_DISCONNECT", rc);
			first = first ? first : rc;
		}
		f->connected = 0;
	}
	if (f->vbd_opened) {
		rc = tapctl_vbd_close(f->ctl_dir, f->pid, f->info.minor, 0);
		if (rc < 0) {
			sf_set_ctl_error("VBD_CLOSE", rc);
			first = first ? first : rc;
		}
		f->vbd_opened = 0;
	}
	if (f->g) {
		sf_abandon_all(f);
		sf_packet_free(f);
		nind = f->info.indirect_segs ?
			       blkif_indirect_pages(f->info.indirect_segs) : 0;
		for (i = 0; i < f->pers_granted; i++) {
			for (j = 0; j < f->info.pages_per_req; j++)
				xsim_guest_revoke(f->g, f->tags[i].grefs[j]);
			for (j = 0; j < nind; j++)
				xsim_guest_revoke(f->g, f->tags[i].ind_grefs[j]);
		}
		if (f->have_port)
			xsim_guest_evtchn_free(f->g, f->info.evtchn);
		for (i = 0; i < f->nr_ring_grants; i++)
			xsim_guest_revoke(f->g, f->info.ring_refs[i]);
		/* pages die with the domain; free them for symmetry */
		nind = f->info.indirect_segs ?
			       blkif_indirect_pages(f->info.indirect_segs) : 0;
		for (i = 0; f->tags && i < f->info.queue_depth; i++) {
			for (j = 0; j < f->info.pages_per_req; j++)
				if (f->tags[i].pages[j])
					xsim_guest_page_free(f->g, f->tags[i].frames[j]);
			for (j = 0; j < nind; j++)
				if (f->tags[i].ind_pages[j])
					xsim_guest_page_free(f->g,
							     f->tags[i].ind_frames[j]);
		}
		for (i = 0; i < f->nr_ring_frames; i++)
			xsim_guest_page_free(f->g, f->ring_frames[i]);
		xsim_guest_destroy(f->g);
	}
	free(f->tags);
	free(f->free_tags);
	free(f->tag_frames);
	free(f->tag_pages);
	free(f->tag_grefs);
	free(f->ctl_dir);
	free(f->sim_dir);
	free(f->open_spec);
	free(f);
	return first;
}

int simfront_reconnect(struct simfront *f)
{
	int rc;

	if (f->connected) {
		rc = tapctl_ring_disconnect(f->ctl_dir, f->pid, f->info.minor,
					    (int)f->info.domid, (int)f->info.devid, 0);
		if (rc < 0) {
			sf_set_ctl_error("RING_DISCONNECT", rc);
			return rc;
		}
		f->connected = 0;
	}
	sf_abandon_all(f);
	memset((void *)f->ring, 0, (size_t)f->info.ring_pages * XSIM_PAGE_SIZE);
	sf_ring_reset(f);
	xsim_guest_evtchn_ack(f->g, f->info.evtchn);
	return sf_connect_ring(f);
}

/* ---- data patterns ----------------------------------------------------- */

static inline uint64_t sf_mix(uint64_t x)
{
	/* splitmix64 finaliser */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline uint64_t sf_word(uint64_t key, uint64_t word_index)
{
	return sf_mix(key * 0xff51afd7ed558ccdull ^ word_index);
}

static inline uint8_t sf_byte(uint64_t key, uint64_t off)
{
	return (uint8_t)(sf_word(key, off >> 3) >> (8 * (off & 7)));
}

void simfront_pattern_fill(void *buf, uint64_t len, uint64_t offset,
			   uint64_t key)
{
	uint8_t *p = buf;
	uint64_t i = 0, w;

	for (; i < len && ((offset + i) & 7); i++)
		p[i] = sf_byte(key, offset + i);
	for (; i + 8 <= len; i += 8) {
		w = sf_word(key, (offset + i) >> 3);
		/* little-endian byte order, whatever the host */
		p[i] = (uint8_t)w;
		p[i + 1] = (uint8_t)(w >> 8);
		p[i + 2] = (uint8_t)(w >> 16);
		p[i + 3] = (uint8_t)(w >> 24);
		p[i + 4] = (uint8_t)(w >> 32);
		p[i + 5] = (uint8_t)(w >> 40);
		p[i + 6] = (uint8_t)(w >> 48);
		p[i + 7] = (uint8_t)(w >> 56);
	}
	for (; i < len; i++)
		p[i] = sf_byte(key, offset + i);
}

int64_t simfront_pattern_check(const void *buf, uint64_t len, uint64_t offset,
			       uint64_t key)
{
	const uint8_t *p = buf;
	uint64_t i = 0, w;
	unsigned b;

	for (; i < len && ((offset + i) & 7); i++)
		if (p[i] != sf_byte(key, offset + i))
			return (int64_t)i;
	for (; i + 8 <= len; i += 8) {
		w = sf_word(key, (offset + i) >> 3);
		for (b = 0; b < 8; b++)
			if (p[i + b] != (uint8_t)(w >> (8 * b)))
				return (int64_t)(i + b);
	}
	for (; i < len; i++)
		if (p[i] != sf_byte(key, offset + i))
			return (int64_t)i;
	return -1;
}
