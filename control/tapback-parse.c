/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tapback-parse: pure parsers for every value tapback reads from xenstore
 * (and for the STATUS reply of tapdisk). No I/O, no globals: each takes a
 * NUL-terminated private copy (or NULL for "node absent") and either fills
 * its output or returns a negative errno without touching it.
 *
 * Values written by the guest (the frontend directory) are hostile; values
 * written by the toolstack are checked just as strictly, since a typo
 * there must not turn into a wild ring connect either.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tapback.h"

int tapback_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!s || !*s)
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (i >= 20)		/* more digits than any u64 has */
			return -ERANGE;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int tapback_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int rc = tapback_parse_u64(s, max, &v);

	if (rc < 0)
		return rc;
	*out = (uint32_t)v;
	return 0;
}

int tapback_parse_state(const char *s, enum xenbus_state *out)
{
	uint32_t v;
	int rc;

	if (!s) {
		*out = XenbusStateUnknown;
		return 0;
	}
	rc = tapback_parse_u32(s, XenbusStateReconfigured, &v);
	if (rc < 0)
		return rc;
	*out = (enum xenbus_state)v;
	return 0;
}

int tapback_parse_protocol(const char *s, enum blkif_abi *out)
{
	/* Linux blkback on x86 assumes x86_32 when the node is missing
	 * (BLKIF_PROTOCOL_DEFAULT); an empty value is not "missing". */
	if (!s)
		*out = BLKIF_ABI_X86_32;
	else if (!strcmp(s, "x86_32-abi"))
		*out = BLKIF_ABI_X86_32;
	else if (!strcmp(s, "x86_64-abi"))
		*out = BLKIF_ABI_X86_64;
	else if (!strcmp(s, "native"))
		*out = BLKIF_ABI_NATIVE;
	else
		return -EINVAL;
	return 0;
}

int tapback_parse_ring_order(const char *s, uint32_t max, uint32_t *out)
{
	return tapback_parse_u32(s, max, out);
}

int tapback_parse_num_queues(const char *s, uint32_t max, uint32_t *out)
{
	uint32_t v;
	int rc;

	if (!s) {
		*out = 1;
		return 0;
	}
	rc = tapback_parse_u32(s, UINT32_MAX, &v);
	if (rc < 0)
		return rc;
	if (v == 0 || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int tapback_parse_bool(const char *s, int dflt, int *out)
{
	uint32_t v;
	int rc;

	if (!s) {
		*out = !!dflt;
		return 0;
	}
	rc = tapback_parse_u32(s, UINT32_MAX, &v);
	if (rc < 0)
		return rc;
	*out = v != 0;
	return 0;
}

int tapback_parse_mode(const char *s, int *ro)
{
	if (!s || strchr(s, 'w'))
		*ro = 0;
	else if (!strcmp(s, "r"))
		*ro = 1;
	else
		return -EINVAL;
	return 0;
}

int tapback_parse_device_type(const char *s, int *cdrom)
{
	if (!s || !strcmp(s, "disk"))
		*cdrom = 0;
	else if (!strcmp(s, "cdrom"))
		*cdrom = 1;
	else
		return -EINVAL;
	return 0;
}

enum tapback_hotplug tapback_parse_hotplug(const char *s)
{
	if (!s)
		return TAPBACK_HP_NONE;
	if (!strcmp(s, "connected"))
		return TAPBACK_HP_CONNECTED;
	return TAPBACK_HP_ERROR;
}

int tapback_parse_pid(const char *s, pid_t *pid)
{
	uint32_t v;
	int rc = tapback_parse_u32(s, INT32_MAX, &v);

	if (rc < 0)
		return rc;
	if (v == 0)
		return -ERANGE;
	*pid = (pid_t)v;
	return 0;
}

int tapback_parse_minor(const char *s, uint32_t *minor)
{
	return tapback_parse_u32(s, TAPBACK_MAX_MINOR - 1, minor);
}

int tapback_parse_physdev_path(const char *s, pid_t *pid, uint32_t *minor)
{
	char num[TAPBACK_VAL_MAX];
	const char *base, *dot;
	pid_t p;
	uint32_t m;
	size_t n;
	int rc;

	if (!s)
		return -EINVAL;
	base = strrchr(s, '/');
	base = base ? base + 1 : s;
	if (strncmp(base, "nbd", 3))
		return -EINVAL;
	base += 3;
	dot = strchr(base, '.');
	if (!dot)
		return -EINVAL;
	n = (size_t)(dot - base);
	if (n >= sizeof(num))
		return -ERANGE;
	memcpy(num, base, n);
	num[n] = '\0';
	rc = tapback_parse_pid(num, &p);
	if (rc == 0)
		rc = tapback_parse_minor(dot + 1, &m);
	if (rc < 0)
		return rc;
	*pid = p;
	*minor = m;
	return 0;
}

/* The characters xenstored accepts in a path. */
static int xs_path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '/' || c == '_' ||
	       c == '@';
}

int tapback_parse_xs_path(const char *s)
{
	/* room for the longest node we append: "/queue-15/ring-ref15" */
	const size_t suffix = sizeof("/queue-15/ring-ref15") - 1;
	size_t i, len;

	if (!s || s[0] != '/')
		return -EINVAL;
	len = strlen(s);
	if (len < 2 || len + suffix >= TAPBACK_PATH_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!xs_path_char(s[i]))
			return -EINVAL;
		if (s[i] == '/' && (s[i + 1] == '/' || s[i + 1] == '\0'))
			return -EINVAL;
	}
	return 0;
}

/* Copy the path component at *p (up to '/' or NUL) into buf and advance. */
static int next_component(const char **p, char *buf, size_t cap)
{
	size_t n = strcspn(*p, "/");

	if (n == 0 || n >= cap)
		return -EINVAL;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p += n;
	return 0;
}

int tapback_parse_be_path(const char *base, const char *path,
			  uint32_t *domid, uint32_t *devid, int *depth)
{
	char comp[TAPBACK_VAL_MAX];
	size_t blen = strlen(base);
	const char *p;
	uint32_t d, v;

	if (strncmp(path, base, blen))
		return -EINVAL;
	p = path + blen;
	if (*p == '\0') {
		*depth = 0;
		return 0;
	}
	if (*p++ != '/')
		return -EINVAL;
	if (next_component(&p, comp, sizeof(comp)) < 0 ||
	    tapback_parse_u32(comp, TAPBACK_MAX_DOMID, &d) < 0)
		return -EINVAL;
	if (*p == '\0') {
		*domid = d;
		*depth = 1;
		return 0;
	}
	p++;
	if (next_component(&p, comp, sizeof(comp)) < 0 ||
	    tapback_parse_u32(comp, UINT32_MAX, &v) < 0)
		return -EINVAL;
	*domid = d;
	*devid = v;
	*depth = 2;
	return 0;
}

int tapback_parse_kind(const char *s)
{
	size_t i;

	if (!s || !*s || strlen(s) >= TAPBACK_KIND_MAX)
		return -EINVAL;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return -EINVAL;
	return 0;
}

static int pow2_in(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v >= lo && v <= hi && !(v & (v - 1));
}

int tapback_vbd_info_from_msg(const struct td_msg *m, uint32_t minor,
			      struct tapback_vbd_info *vi)
{
	const struct td_vbd_status *st = NULL;
	struct tapback_vbd_info out;
	uint32_t i;

	if (m->nr_vbds > TD_MAX_VBDS)
		return -EBADMSG;
	for (i = 0; i < m->nr_vbds; i++)
		if (m->vbds[i].minor == minor)
			st = &m->vbds[i];
	if (!st)
		return -ENOENT;
	if (st->nr_rings > TD_MAX_RINGS || st->nr_rings > TAPBACK_MAX_QUEUES)
		return -EBADMSG;
	memset(&out, 0, sizeof(out));
	out.minor = st->minor;
	out.state = st->state;
	out.flags = st->flags;
	out.size = st->size;
	out.sector_size = st->sector_size;
	out.phys_sector_size = st->phys_sector_size;
	out.info = st->info & (VDISK_CDROM | VDISK_REMOVABLE | VDISK_READONLY);
	out.features = st->features;
	out.max_indirect = st->max_indirect;
	out.media = st->media;
	out.media_gen = st->media_gen;
	if (st->state & TD_VBD_S_OPEN) {
		if (!pow2_in(out.sector_size, 512, 65536))
			return -EBADMSG;
		if (!out.phys_sector_size)
			out.phys_sector_size = out.sector_size;
		if (!pow2_in(out.phys_sector_size, out.sector_size, 1u << 20))
			return -EBADMSG;
		if (out.max_indirect > BLKIF_MAX_INDIRECT_PAGES *
				       BLKIF_SEGS_PER_INDIRECT_PAGE)
			return -EBADMSG;
	}
	out.nr_rings = st->nr_rings;
	for (i = 0; i < st->nr_rings; i++) {
		out.rings[i].domid = st->rings[i].domid;
		out.rings[i].devid = st->rings[i].devid;
		out.rings[i].queue = st->rings[i].queue;
		out.rings[i].state = st->rings[i].state;
	}
	*vi = out;
	return 0;
}

const char *tapback_state_name(int state)
{
	static const char *const names[] = {
		[XenbusStateUnknown] = "Unknown",
		[XenbusStateInitialising] = "Initialising",
		[XenbusStateInitWait] = "InitWait",
		[XenbusStateInitialised] = "Initialised",
		[XenbusStateConnected] = "Connected",
		[XenbusStateClosing] = "Closing",
		[XenbusStateClosed] = "Closed",
		[XenbusStateReconfiguring] = "Reconfiguring",
		[XenbusStateReconfigured] = "Reconfigured",
	};

	if (state < 0 || state > XenbusStateReconfigured)
		return "invalid";
	return names[state];
}
