/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mmc: media state machine, command dispatch and read completion of the
 * emulated CD/DVD-ROM drive (see mmc.h and doc/mmc.md).
 *
 * Media states (loaded = an image is attached; ready = loaded and tray
 * closed):
 *
 *   empty, closed --admin insert--> ready            (UA 06/28, NEW MEDIA)
 *   ready --admin eject--> empty, open               (MEDIA REMOVAL)
 *   ready --guest SSU eject--> loaded, open          (MEDIA REMOVAL)
 *   loaded, open --guest SSU load--> ready           (UA 06/28, NEW MEDIA)
 *   empty, open --guest SSU load--> empty, closed
 *   any --admin insert while loaded--> -EBUSY
 *   ready, locked --admin eject--> -EBUSY + EJECT REQUEST event
 *   ready, locked --guest SSU eject--> CHECK CONDITION 05/53/02
 *
 * Every transition that changes what a read would return bumps
 * st->generation, so a read planned before an eject cannot complete with
 * data of the old disc (mmc_read_done checks it).
 *
 * Dispatch order (MMC-6 4.1.6 / QEMU's ide_atapi_cmd): a pending unit
 * attention is reported, once, to the first command not flagged
 * ALLOW_UA; then unknown opcodes get 05/20/00; then commands flagged
 * NEED_MEDIUM get NOT READY when no medium is ready; then the handler.
 */
#include <errno.h>
#include <string.h>

#include "mmc.h"
#include "mmc-int.h"

#define SYNC_LEN 12
#define HEADER_LEN 4
#define RAW_DATA_OFF (SYNC_LEN + HEADER_LEN)	/* 16 */
#define RAW_TAIL_LEN (MMC_RAW_BLOCK - RAW_DATA_OFF - MMC_BLOCK)	/* 288 */

static const struct mmc_sense no_sense;

/* ---- media state machine ---- */

int mmc_medium_ready(const struct mmc_state *st)
{
	return st->loaded && !st->tray_open;
}

int mmc_is_dvd(const struct mmc_state *st)
{
	return mmc_medium_ready(st) && st->blocks > MMC_CD_MAX_BLOCKS;
}

unsigned mmc_current_profile(const struct mmc_state *st)
{
	if (!mmc_medium_ready(st))
		return MMC_PROFILE_NONE;
	return mmc_is_dvd(st) ? MMC_PROFILE_DVD_ROM : MMC_PROFILE_CD_ROM;
}

uint64_t mmc_sectors512(const struct mmc_state *st)
{
	return mmc_medium_ready(st) ? st->blocks * (MMC_BLOCK / 512) : 0;
}

struct mmc_sense mmc_not_ready_sense(const struct mmc_state *st)
{
	return st->tray_open ? SENSE_NO_MEDIUM_OPEN : SENSE_NO_MEDIUM_CLOSED;
}

/* A medium became ready: the guest must learn it before trusting reads. */
static void medium_arrived(struct mmc_state *st)
{
	st->generation++;
	st->media_changed = 1;
	st->events |= MMC_EV_NEW_MEDIA;
	st->ua = SENSE_MEDIUM_CHANGED;
}

/* A ready medium went away. A NEW MEDIA not yet reported is stale now. */
static void medium_gone(struct mmc_state *st)
{
	st->generation++;
	st->media_changed = 1;
	st->events = (uint8_t)((st->events & ~MMC_EV_NEW_MEDIA) |
			       MMC_EV_MEDIA_REMOVAL);
}

int mmc_init(struct mmc_state *st, const char *serial, uint64_t size_bytes)
{
	int rc;

	memset(st, 0, sizeof(*st));
	if (serial) {
		size_t n = strnlen(serial, sizeof(st->serial) - 1);

		memcpy(st->serial, serial, n);
		st->serial[n] = '\0';
	}
	if (!size_bytes)
		return 0;
	rc = mmc_media_insert(st, size_bytes);
	/* There at power-on: nothing to report. */
	st->media_changed = 0;
	st->events = 0;
	st->ua = no_sense;
	return rc;
}

int mmc_media_insert(struct mmc_state *st, uint64_t size_bytes)
{
	uint64_t blocks = size_bytes / MMC_BLOCK;

	if (st->loaded)
		return -EBUSY;
	if (blocks == 0)
		return -EINVAL;
	if (blocks > MMC_MAX_BLOCKS)
		return -EFBIG;
	st->loaded = 1;
	st->blocks = blocks;
	st->size_bytes = size_bytes;
	st->tray_open = 0;
	medium_arrived(st);
	return 0;
}

int mmc_media_eject(struct mmc_state *st, int force)
{
	int was_ready = mmc_medium_ready(st);

	if (st->loaded && st->locked && !force) {
		/* What a real drive does when its button is pressed while
		 * the host holds it locked: tell the host, keep the disc. */
		st->events |= MMC_EV_EJECT_REQUEST;
		return -EBUSY;
	}
	if (force)
		st->locked = 0;
	if (was_ready)
		medium_gone(st);
	else if (st->loaded)
		st->generation++;
	st->loaded = 0;
	st->blocks = 0;
	st->size_bytes = 0;
	st->tray_open = 1;
	return 0;
}

void mmc_tray_open(struct mmc_state *st)
{
	int was_ready = mmc_medium_ready(st);

	st->tray_open = 1;
	if (was_ready)
		medium_gone(st);
}

void mmc_tray_close(struct mmc_state *st)
{
	if (!st->tray_open)
		return;
	st->tray_open = 0;
	if (st->loaded)
		medium_arrived(st);
}

void mmc_reset(struct mmc_state *st)
{
	st->locked = 0;
	st->events = 0;
	st->sense = no_sense;
	st->ua = SENSE_RESET;
}

int mmc_media_changed_take(struct mmc_state *st)
{
	int changed = st->media_changed;

	st->media_changed = 0;
	return changed;
}

/* ---- completion helpers ---- */

int mmc_good(struct mmc_cmd *cmd)
{
	cmd->status = MMC_GOOD;
	cmd->sense = no_sense;
	return MMC_DONE;
}

int mmc_fail(struct mmc_cmd *cmd, struct mmc_sense s)
{
	cmd->status = MMC_CHECK_CONDITION;
	cmd->sense = s;
	cmd->data_len = 0;
	return MMC_DONE;
}

int mmc_reply(struct mmc_cmd *cmd, const uint8_t *buf, size_t len, size_t alloc)
{
	size_t n = len;

	if (n > alloc)
		n = alloc;
	if (n > cmd->data_max)
		n = cmd->data_max;
	if (n)
		memcpy(cmd->data, buf, n);
	cmd->data_len = (uint32_t)n;
	return mmc_good(cmd);
}

size_t mmc_sense_fixed(const struct mmc_sense *s, uint8_t *buf, size_t len)
{
	uint8_t f[MMC_SENSE_LEN] = { 0 };
	size_t n = len < MMC_SENSE_LEN ? len : MMC_SENSE_LEN;

	f[0] = 0x70;		/* current error, fixed format */
	f[2] = s->key & 0x0f;
	f[7] = MMC_SENSE_LEN - 8;	/* additional sense length */
	f[12] = s->asc;
	f[13] = s->ascq;
	if (len) {
		memset(buf, 0, len);
		memcpy(buf, f, n);
	}
	return n;
}

void mmc_lba_to_msf(uint64_t lba, uint8_t msf[3])
{
	const uint64_t max = (uint64_t)255 * 60 * 75 + 59 * 75 + 74;
	uint64_t f = lba + 150;

	if (lba > max || f > max)
		f = max;
	msf[0] = (uint8_t)(f / 75 / 60);
	msf[1] = (uint8_t)(f / 75 % 60);
	msf[2] = (uint8_t)(f % 75);
}

unsigned mmc_op_flags(uint8_t opcode)
{
	const struct mmc_op *op = &mmc_ops[opcode];

	return op->fn ? (unsigned)(op->flags | MMC_F_SUPPORTED) : 0;
}

/* ---- dispatch ---- */

/* Remember the outcome for REQUEST SENSE, which itself leaves it alone. */
static void finish(struct mmc_state *st, const struct mmc_cmd *cmd)
{
	if (cmd->cdb[0] == MMC_REQUEST_SENSE)
		return;
	st->sense = cmd->status == MMC_CHECK_CONDITION ? cmd->sense : no_sense;
}

int mmc_exec(struct mmc_state *st, struct mmc_cmd *cmd)
{
	const struct mmc_op *op;
	int rc;

	if (!st || !cmd || (!cmd->data && cmd->data_max))
		return -EINVAL;
	cmd->data_len = 0;
	cmd->status = MMC_GOOD;
	cmd->sense = no_sense;
	memset(&cmd->plan, 0, sizeof(cmd->plan));

	op = &mmc_ops[cmd->cdb[0]];
	if (st->ua.key && !(op->flags & MMC_F_ALLOW_UA)) {
		struct mmc_sense ua = st->ua;

		st->ua = no_sense;	/* reported once (SCSI, not ATAPI) */
		rc = mmc_fail(cmd, ua);
	} else if (!op->fn) {
		rc = mmc_fail(cmd, SENSE_INVALID_OPCODE);
	} else if ((op->flags & MMC_F_NEED_MEDIUM) && !mmc_medium_ready(st)) {
		rc = mmc_fail(cmd, mmc_not_ready_sense(st));
	} else {
		rc = op->fn(st, cmd);
	}
	if (rc == MMC_NEED_READ) {
		cmd->plan.generation = st->generation;
		return MMC_NEED_READ;
	}
	finish(st, cmd);
	return MMC_DONE;
}

/* ---- read completion ---- */

static uint8_t bcd(uint8_t v)
{
	return (uint8_t)((v / 10) << 4 | (v % 10));
}

/*
 * Turn the 2048-byte block at data into a 2352-byte mode 1 sector at raw:
 * sync pattern, header (BCD M:S:F as on the disc, ECMA-130 14.2), mode 1,
 * user data, then EDC, zero fill and ECC left zero as QEMU does. raw may
 * overlap data (raw >= data): the user data moves first.
 */
static void format_raw(uint8_t *raw, const uint8_t *data, uint64_t lba)
{
	uint8_t msf[3];

	memmove(raw + RAW_DATA_OFF, data, MMC_BLOCK);
	raw[0] = 0x00;
	memset(raw + 1, 0xff, 10);
	raw[11] = 0x00;
	mmc_lba_to_msf(lba, msf);
	if (msf[0] > 99) {	/* BCD cannot go further; no CD does */
		msf[0] = 99;
		msf[1] = 59;
		msf[2] = 74;
	}
	raw[12] = bcd(msf[0]);
	raw[13] = bcd(msf[1]);
	raw[14] = bcd(msf[2]);
	raw[15] = 0x01;		/* mode 1 */
	memset(raw + RAW_DATA_OFF + MMC_BLOCK, 0, RAW_TAIL_LEN);
}

int mmc_read_done(struct mmc_state *st, struct mmc_cmd *cmd, int io_result)
{
	const struct mmc_read_plan *p = &cmd->plan;
	uint64_t total = (uint64_t)p->nblocks * p->block_size;

	if (!p->nblocks || (p->block_size != MMC_BLOCK &&
			    p->block_size != MMC_RAW_BLOCK) ||
	    total > cmd->data_max || !cmd->data)
		return -EINVAL;

	if (p->generation != st->generation || !mmc_medium_ready(st)) {
		/* The disc changed under the read: its data is not this
		 * disc's. Say so the way the next command would hear it. */
		if (!mmc_medium_ready(st)) {
			mmc_fail(cmd, mmc_not_ready_sense(st));
		} else {
			struct mmc_sense s = st->ua.key ? st->ua : SENSE_MEDIUM_CHANGED;

			st->ua = no_sense;
			mmc_fail(cmd, s);
		}
	} else if (io_result == -ENOMEDIUM) {
		mmc_fail(cmd, SENSE_NO_MEDIUM);
	} else if (io_result < 0) {
		mmc_fail(cmd, SENSE_READ_ERROR);
	} else {
		if (p->block_size == MMC_RAW_BLOCK) {
			uint32_t i = p->nblocks;

			/* Back to front, so no block is overwritten before
			 * it has moved to its place. */
			while (i--)
				format_raw(cmd->data + (size_t)i * MMC_RAW_BLOCK,
					   cmd->data + (size_t)i * MMC_BLOCK,
					   (uint64_t)p->lba + i);
		}
		cmd->data_len = (uint32_t)total;
		mmc_good(cmd);
	}
	finish(st, cmd);
	return 0;
}
