/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-image: the driver registry and "type:path" image specs.
 *
 * A spec is a type name made of [a-z0-9_] characters, a colon and a
 * non-empty path (everything after the first colon, colons included:
 * "raw:/dev/disk/by-path/pci-0000:00:1f.2" is fine). The type picks a
 * driver by name or alias; formats this build does not have (vhd, qcow2...)
 * are refused with -EPROTONOSUPPORT, never guessed at.
 *
 * Also what the drivers whose path is a size (ram, null) share: parsing the
 * size into img->info and checking a request before it is served.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "td-io.h"
#include "td-log.h"

/* Longest accepted type name (the longest real one is far shorter). */
#define TD_TYPE_MAX 32

const struct td_driver_ops *const td_driver_registry[] = {
	&td_drv_raw,
	&td_drv_ram,
	&td_drv_null,
	&td_drv_fault,
	NULL,
};

const struct td_driver_ops *td_driver_find(const char *type)
{
	const struct td_driver_ops *const *d;
	const char *const *a;

	if (!type)
		return NULL;
	for (d = td_driver_registry; *d; d++) {
		if (!strcmp((*d)->name, type))
			return *d;
		for (a = (*d)->aliases; a && *a; a++)
			if (!strcmp(*a, type))
				return *d;
	}
	return NULL;
}

/* "raw, aio, ram, null": every accepted type name, for log lines. */
static void type_names(char *buf, size_t size)
{
	const struct td_driver_ops *const *d;
	const char *const *a;
	size_t used = 0;
	int n;

	buf[0] = '\0';
	for (d = td_driver_registry; *d; d++) {
		n = snprintf(buf + used, size - used, "%s%s",
			     used ? ", " : "", (*d)->name);
		if (n < 0 || (size_t)n >= size - used)
			return;
		used += (size_t)n;
		for (a = (*d)->aliases; a && *a; a++) {
			n = snprintf(buf + used, size - used, ", %s", *a);
			if (n < 0 || (size_t)n >= size - used)
				return;
			used += (size_t)n;
		}
	}
}

/*
 * Split spec into type (copied into type[], NUL-terminated) and path (a
 * pointer into spec). Pure; 0 or -EINVAL.
 */
static int split_spec(const char *spec, char type[TD_TYPE_MAX + 1],
		      const char **path)
{
	const char *colon;
	size_t tlen, i;

	if (!spec)
		return -EINVAL;
	colon = strchr(spec, ':');
	if (!colon)
		return -EINVAL;
	tlen = (size_t)(colon - spec);
	if (tlen == 0 || tlen > TD_TYPE_MAX)
		return -EINVAL;
	for (i = 0; i < tlen; i++) {
		char c = spec[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return -EINVAL;
	}
	if (colon[1] == '\0')
		return -EINVAL;
	memcpy(type, spec, tlen);
	type[tlen] = '\0';
	*path = colon + 1;
	return 0;
}

int td_image_open(const char *spec, unsigned flags, const struct ioeng_ops *eng_ops,
		  struct ioeng *eng, struct td_image **out)
{
	char type[TD_TYPE_MAX + 1], names[128];
	const struct td_driver_ops *drv;
	struct td_image *img;
	const char *path;
	int err;

	*out = NULL;
	err = split_spec(spec, type, &path);
	if (err) {
		TD_ERR(NULL, "bad image spec \"%s\": expected type:path "
		       "(type in [a-z0-9_], path not empty)", spec ? spec : "");
		return err;
	}
	drv = td_driver_find(type);
	if (!drv) {
		type_names(names, sizeof(names));
		TD_ERR(NULL, "image type '%s' is not supported by this tapdisk "
		       "(supported: %s)", type, names);
		return -EPROTONOSUPPORT;
	}

	img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->drv = drv;
	img->eng_ops = eng_ops;
	img->eng = eng;
	img->path = strdup(path);
	if (!img->path) {
		err = -ENOMEM;
		goto fail_img;
	}
	if (drv->priv_size) {
		img->priv = calloc(1, drv->priv_size);
		if (!img->priv) {
			err = -ENOMEM;
			goto fail_path;
		}
	}
	err = drv->open(img, img->path, flags);
	if (err)
		goto fail_priv;
	*out = img;
	return 0;

fail_priv:
	free(img->priv);
fail_path:
	free(img->path);
fail_img:
	free(img);
	return err;
}

void td_image_close(struct td_image *img)
{
	if (!img)
		return;
	img->drv->close(img);
	free(img->priv);
	free(img->path);
	free(img);
}

int td_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1ull << 10;
		break;
	case 'm': case 'M':
		mult = 1ull << 20;
		break;
	case 'g': case 'G':
		mult = 1ull << 30;
		break;
	case 't': case 'T':
		mult = 1ull << 40;
		break;
	default:
		return -EINVAL;
	}
	if (*p && p[1] != '\0')
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

#define TD_SIZED_SECTOR 512u
#define TD_SIZED_PAGE 4096u

int td_sized_open(struct td_image *img, const char *path, unsigned flags,
		  uint64_t max_size)
{
	int rdonly = !!(flags & TD_OPEN_RDONLY);
	uint64_t size;

	if (td_parse_size(path, &size) < 0 || size == 0 ||
	    size % TD_SIZED_SECTOR || size > max_size) {
		TD_ERR(NULL, "%s: bad size \"%s\": expected a non-zero multiple "
		       "of 512 bytes, e.g. 64M", img->drv->name, path);
		return -EINVAL;
	}
	img->info = (struct td_image_info){
		.size = size,
		.logical_sector = TD_SIZED_SECTOR,
		.physical_sector = TD_SIZED_PAGE,
		.readonly = rdonly,
		.can_discard = !rdonly,
		.discard_granularity = rdonly ? 0 : TD_SIZED_PAGE,
	};
	return 0;
}

int td_sized_check(const struct td_image *img, const struct td_io *io)
{
	uint64_t sum = 0;
	unsigned i;

	if (io->op != TD_IO_FLUSH &&
	    (io->offset > img->info.size || io->len > img->info.size - io->offset)) {
		TD_RL(TD_LOG_ERR, img->drv->name, "I/O past the end: offset %"
		      PRIu64 " len %" PRIu64, io->offset, io->len);
		return -EINVAL;
	}
	switch (io->op) {
	case TD_IO_WRITE:
		if (img->info.readonly)
			return -EROFS;
		/* fallthrough */
	case TD_IO_READ:
		if (io->iovcnt && !io->iov)
			return -EINVAL;
		for (i = 0; i < io->iovcnt; i++)
			sum += io->iov[i].iov_len;
		return sum == io->len ? 0 : -EINVAL;
	case TD_IO_FLUSH:
		return 0;
	case TD_IO_DISCARD:
		return img->info.readonly ? -EROFS : 0;
	case TD_IO_DISCARD_SECURE:
		break;
	}
	return -EOPNOTSUPP;
}
