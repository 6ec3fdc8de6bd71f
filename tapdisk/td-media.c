/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * td-media: removable media of CD VBDs.
 *
 * A CD VBD has an emulated MMC drive (drivers/mmc.h) and at most one image,
 * the medium. The admin ejects and inserts through the control socket; the
 * guest ejects with START STOP UNIT (a packet command). Either way:
 *   - requests already taken from the rings finish against the medium they
 *     were issued to (ordinary reads), or fail cleanly (packet reads whose
 *     medium changed are refused by mmc_read_done with NOT READY);
 *   - from the change on, ordinary reads see the new capacity (0 when
 *     empty: they fail with BLKIF_RSP_ERROR), packet commands see the new
 *     media state and a unit attention;
 *   - media_gen counts changes; STATUS reports it so that tapback rewrites
 *     the xenstore nodes (sectors, media-present, state) for guests that do
 *     not speak packets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmc.h"
#include "td-log.h"
#include "td-nbd.h"
#include "td-ring.h"
#include "td-vbd.h"

int td_media_spec_empty(const char *params)
{
	const char *colon = strchr(params, ':');

	return !*params || (colon && !colon[1]);
}

int td_media_init(struct td_vbd *v)
{
	char serial[24];
	int err;

	v->mmc = calloc(1, sizeof(*v->mmc));
	if (!v->mmc)
		return -ENOMEM;
	snprintf(serial, sizeof(serial), "XENTAP%04u", v->minor % 10000);
	err = mmc_init(v->mmc, serial, v->img ? v->img->info.size : 0);
	v->media_ready = !err && mmc_medium_ready(v->mmc);
	if (err) {
		td_log(TD_LOG_ERR, v->prefix, "medium refused by the drive: %s",
		       strerror(-err));
		free(v->mmc);
		v->mmc = NULL;
	}
	return err;
}

int td_vbd_make_cdrom(struct td_vbd *v, uint32_t no_packet)
{
	int err;

	v->flags |= TD_F_CDROM | (no_packet ? TD_F_NO_PACKET : 0);
	err = td_media_init(v);
	if (err) {
		v->flags &= ~(TD_F_CDROM | TD_F_NO_PACKET);
		return err;
	}
	td_vbd_set_limits(v);
	td_log(TD_LOG_INFO, v->prefix, "now a CD drive%s",
	       no_packet ? " (packet commands refused)" : "");
	return 0;
}

void td_media_fini(struct td_vbd *v)
{
	free(v->mmc);
	v->mmc = NULL;
	v->media_unload_pending = 0;
}

/* Finish what the rings took, then let the medium go. */
static void media_unload(struct td_vbd *v)
{
	unsigned i;

	v->lim.sectors = 0;	/* nothing new reaches the old medium */
	for (i = 0; i < TD_MAX_RINGS; i++)
		if (v->rings[i])
			td_ring_quiesce(v->rings[i]);
	td_nbd_quiesce(v);	/* NBD reads in flight finish first too */
	if (v->img)
		td_image_close(v->img);
	v->img = NULL;
	v->size = 0;
	v->media_gen++;
	v->media_ready = 0;
	/* keep the image type, drop the path: "aio:" names an empty drive */
	{
		char *colon = strchr(v->params, ':');

		if (colon)
			colon[1] = 0;
		else
			v->params[0] = 0;
	}
	td_vbd_set_limits(v);
}

int td_media_eject(struct td_vbd *v, int force)
{
	int err;

	if (!v->mmc)
		return -EOPNOTSUPP;
	if (v->paused)
		return -EAGAIN;	/* unpause first: the image is closed */
	err = mmc_media_eject(v->mmc, force);
	if (err)
		return err;
	if (v->img) {
		media_unload(v);
		td_nbd_resume(v);	/* the empty drive answers NBD with EIO */
		td_log(TD_LOG_INFO, v->prefix, "medium ejected%s",
		       force ? " (forced)" : "");
	}
	return 0;
}

int td_media_insert(struct td_vbd *v, const char *params)
{
	struct td_image *img;
	unsigned i;
	int err;

	if (!v->mmc)
		return -EOPNOTSUPP;
	if (v->img || v->paused)
		return -EBUSY;
	if (td_media_spec_empty(params))
		return -EINVAL;
	err = td_vbd_open_image(v, params, v->flags, &img);
	if (err)
		return err;
	err = mmc_media_insert(v->mmc, img->info.size);
	if (err) {
		td_log(TD_LOG_ERR, v->prefix, "%s refused by the drive: %s", params,
		       strerror(-err));
		td_image_close(img);
		return err;
	}
	v->img = img;
	v->size = img->info.size;
	snprintf(v->params, sizeof(v->params), "%s", params);
	v->media_gen++;
	v->media_ready = mmc_medium_ready(v->mmc);
	td_vbd_set_limits(v);
	td_vbd_log_open(v);
	for (i = 0; i < TD_MAX_RINGS; i++)
		if (v->rings[i])
			td_ring_kick(v->rings[i]);
	td_nbd_resume(v);
	return 0;
}

void td_media_status(const struct td_vbd *v, uint32_t *media, uint32_t *gen)
{
	*media = 0;
	*gen = v->media_gen;
	if (!v->mmc)
		return;
	*media = (v->media_ready ? TD_MEDIA_PRESENT : 0) |
		 (v->mmc->locked ? TD_MEDIA_LOCKED : 0) |
		 (v->mmc->tray_open ? TD_MEDIA_TRAY_OPEN : 0);
}

void td_media_after_packet(struct td_vbd *v)
{
	int ready;

	if (!v->mmc)
		return;
	ready = mmc_medium_ready(v->mmc);
	if (ready != v->media_ready) {
		/* The guest opened or closed the tray (START STOP UNIT): while
		 * it is open no ordinary read reaches the disc; requests
		 * already taken finish against it. Tell tapback. */
		v->media_ready = ready;
		v->media_gen++;
		td_vbd_set_limits(v);
		td_log(TD_LOG_INFO, v->prefix, "the guest %s the tray",
		       ready ? "closed" : "opened");
	}
	if (!v->mmc->loaded && v->img && !v->media_unload_pending) {
		/* The disc left the drive: the image is closed from the next
		 * sweep, once what is in flight has finished. */
		v->lim.sectors = 0;
		v->media_unload_pending = 1;
		td_loop_kick();
	}
}

void td_media_sweep(struct td_vbd *v)
{
	if (!v->media_unload_pending)
		return;
	v->media_unload_pending = 0;
	if (v->mmc && !v->mmc->loaded && v->img) {
		media_unload(v);
		td_nbd_resume(v);
		td_log(TD_LOG_INFO, v->prefix, "medium ejected by the guest");
	}
}
