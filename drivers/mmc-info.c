/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mmc: information commands of the emulated drive: READ TOC/PMA/ATIP,
 * GET CONFIGURATION, GET EVENT STATUS NOTIFICATION, MODE SENSE(10), READ
 * DISC INFORMATION, READ DVD STRUCTURE and MECHANISM STATUS.
 *
 * Each builds its whole answer in a local buffer and hands it to
 * mmc_reply, which cuts it to the CDB's allocation length and the
 * initiator's buffer; length fields inside the answer always describe the
 * whole answer (MMC: they are not changed by a short allocation length).
 * The disc is one session with one mode 1 data track starting at LBA 0.
 */
#include <string.h>

#include "mmc.h"
#include "mmc-int.h"

/* ---- READ TOC/PMA/ATIP ---- */

/* An address field: 4-byte LBA, or 0 + M:S:F when the MSF bit is set. */
static void toc_addr(uint8_t *p, uint64_t lba, int msf)
{
	if (msf) {
		p[0] = 0;
		mmc_lba_to_msf(lba, p + 1);
	} else {
		mmc_put32(p, (uint32_t)lba);
	}
}

/* Format 0 track descriptor (8 bytes). */
static void toc_track(uint8_t *p, uint8_t adr_ctrl, uint8_t track, uint64_t lba,
		      int msf)
{
	p[0] = 0;
	p[1] = adr_ctrl;
	p[2] = track;
	p[3] = 0;
	toc_addr(p + 4, lba, msf);
}

/* Format 2 (full TOC) descriptor (11 bytes); the P address as in QEMU:
 * MSF when asked, else the 4-byte LBA in bytes 7..10. */
static void toc_raw(uint8_t *p, uint8_t point, uint8_t pmin, uint8_t psec,
		    int with_addr, uint64_t lba, int msf)
{
	memset(p, 0, 11);
	p[0] = 1;		/* session */
	p[1] = 0x14;		/* ADR 1, data track */
	p[3] = point;
	if (with_addr) {
		toc_addr(p + 7, lba, msf);
	} else {
		p[8] = pmin;
		p[9] = psec;
	}
}

/*
 * The format comes from byte 2 (MMC); when that is 0 the old SFF-8020
 * field in the top bits of byte 9 is used, so both QEMU behaviours (SCSI
 * reads byte 2, ATAPI byte 9) are served.
 */
int mmc_cmd_read_toc(struct mmc_state *st, struct mmc_cmd *cmd)
{
	const uint8_t *c = cmd->cdb;
	int msf = c[1] & 0x02;
	unsigned format = c[2] & 0x0f, track = c[6];
	uint8_t b[64] = { 0 };
	size_t len = 4;

	if (!format)
		format = c[9] >> 6;
	switch (format) {
	case 0:			/* TOC */
		if (track > 1 && track != 0xaa)
			return mmc_fail(cmd, SENSE_INVALID_FIELD);
		b[2] = 1;	/* first track */
		b[3] = 1;	/* last track */
		if (track <= 1) {
			toc_track(b + len, 0x14, 1, 0, msf);
			len += 8;
		}
		toc_track(b + len, 0x16, 0xaa, st->blocks, msf);	/* lead-out */
		len += 8;
		break;
	case 1:			/* session information */
		b[2] = 1;	/* first session */
		b[3] = 1;	/* last session */
		toc_track(b + len, 0x14, 1, 0, msf);	/* first track of last session */
		len += 8;
		break;
	case 2:			/* full TOC: A0, A1, A2, track 1 */
		b[2] = 1;
		b[3] = 1;
		toc_raw(b + len, 0xa0, 1, 0x00, 0, 0, msf);	/* first track, CD-ROM */
		len += 11;
		toc_raw(b + len, 0xa1, 1, 0, 0, 0, msf);	/* last track */
		len += 11;
		toc_raw(b + len, 0xa2, 0, 0, 1, st->blocks, msf);	/* lead-out */
		len += 11;
		toc_raw(b + len, 0x01, 0, 0, 1, 0, msf);	/* track 1 */
		len += 11;
		break;
	default:
		return mmc_fail(cmd, SENSE_INVALID_FIELD);
	}
	mmc_put16(b, (uint32_t)(len - 2));
	return mmc_reply(cmd, b, len, mmc_be16(c + 7));
}

/* ---- GET CONFIGURATION ---- */

struct feature {
	uint16_t code;
	uint8_t len;		/* total bytes, header included */
	uint8_t current;
};

/* Write feature f into p (0, 1 or 3); returns its length. */
static size_t put_feature(uint8_t *p, const struct feature *f, unsigned profile)
{
	memset(p, 0, f->len);
	mmc_put16(p, f->code);
	p[3] = (uint8_t)(f->len - 4);
	switch (f->code) {
	case 0x0000:		/* Profile List: version 0, persistent, current */
		p[2] = 0x03;
		mmc_put16(p + 4, MMC_PROFILE_DVD_ROM);
		p[6] = profile == MMC_PROFILE_DVD_ROM;
		mmc_put16(p + 8, MMC_PROFILE_CD_ROM);
		p[10] = profile == MMC_PROFILE_CD_ROM;
		break;
	case 0x0001:		/* Core: version 2, persistent, current */
		p[2] = 0x0b;
		mmc_put32(p + 4, 1);	/* physical interface: SCSI */
		p[8] = 0x01;		/* DBE */
		break;
	case 0x0003:		/* Removable Medium: version 2, persistent, current */
		p[2] = 0x0b;
		p[4] = 0x39;	/* tray, Load, Eject, Lock */
		break;
	}
	return f->len;
}

/*
 * Features 0 (profile list: DVD-ROM, CD-ROM), 1 (core) and 3 (removable
 * medium), as QEMU's scsi-disk; the RT field and starting feature number
 * are honoured (RT 0: from start on, 1: current ones from start on, 2: the
 * one named; 3: 05/24/00).
 */
int mmc_cmd_get_configuration(struct mmc_state *st, struct mmc_cmd *cmd)
{
	static const struct feature features[] = {
		{ 0x0000, 12, 1 },
		{ 0x0001, 12, 1 },
		{ 0x0003, 8, 1 },
	};
	const uint8_t *c = cmd->cdb;
	unsigned rt = c[1] & 0x03, start = mmc_be16(c + 2);
	unsigned profile = mmc_current_profile(st);
	uint8_t b[64] = { 0 };
	size_t len = 8, i;

	if (rt == 3)
		return mmc_fail(cmd, SENSE_INVALID_FIELD);
	mmc_put16(b + 6, profile);
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		const struct feature *f = &features[i];

		if (rt == 2 ? f->code != start :
		    (f->code < start || (rt == 1 && !f->current)))
			continue;
		len += put_feature(b + len, f, profile);
	}
	mmc_put32(b, (uint32_t)(len - 4));
	return mmc_reply(cmd, b, len, mmc_be16(c + 7));
}

/* ---- GET EVENT STATUS NOTIFICATION ---- */

#define GESN_MEDIA_CLASS 4

/* Take the next pending media event: eject request, then removal, then
 * new media (so an eject followed by an insert reads in that order). */
static uint8_t take_media_event(struct mmc_state *st)
{
	static const struct { uint8_t bit, code; } order[] = {
		{ MMC_EV_EJECT_REQUEST, 1 },
		{ MMC_EV_MEDIA_REMOVAL, 3 },
		{ MMC_EV_NEW_MEDIA, 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (st->events & order[i].bit) {
			st->events = (uint8_t)(st->events & ~order[i].bit);
			return order[i].code;
		}
	}
	return 0;		/* no change */
}

/* Polled mode only (asynchronous: 05/24/00), media class only. */
int mmc_cmd_get_event_status(struct mmc_state *st, struct mmc_cmd *cmd)
{
	const uint8_t *c = cmd->cdb;
	uint8_t b[8] = { 0 };
	size_t len = 4;

	if (!(c[1] & 0x01))
		return mmc_fail(cmd, SENSE_INVALID_FIELD);
	b[3] = 1u << GESN_MEDIA_CLASS;		/* supported classes */
	if (c[4] & (1u << GESN_MEDIA_CLASS)) {
		b[2] = GESN_MEDIA_CLASS;
		b[4] = take_media_event(st);
		b[5] = st->tray_open ? 0x01 : mmc_medium_ready(st) ? 0x02 : 0x00;
		len = 8;
	} else {
		b[2] = 0x80;			/* NEA: no event available */
	}
	mmc_put16(b, (uint32_t)(len - 4));
	return mmc_reply(cmd, b, len, mmc_be16(c + 7));
}

/* ---- MODE SENSE(10) ---- */

/* Page pg for page control pc (0 current, 1 changeable, 2 default) at p;
 * returns its length, 0 if we have no such page. */
static size_t mode_page(const struct mmc_state *st, unsigned pg, unsigned pc,
			uint8_t *p)
{
	size_t len;

	switch (pg) {
	case 0x01:		/* read/write error recovery */
		len = 12;
		break;
	case 0x0e:		/* CD audio control: all zero */
		len = 16;
		break;
	case 0x2a:		/* CD/DVD capabilities and mechanical status */
		len = 22;
		break;
	default:
		return 0;
	}
	memset(p, 0, len);
	p[0] = (uint8_t)pg;
	p[1] = (uint8_t)(len - 2);
	if (pc == 1)		/* changeable: nothing (no MODE SELECT) */
		return len;
	if (pg == 0x01) {
		p[2] = 0x80;	/* as QEMU's scsi-disk */
		p[3] = 0x20;	/* read retry count */
	} else if (pg == 0x2a) {
		p[2] = 0x3b;	/* reads CD-R, CD-RW, method 2, DVD-ROM, DVD-R */
		p[3] = 0x00;	/* writes nothing */
		p[4] = 0x41;	/* audio play (Linux looks), multi-session */
		p[5] = 0x00;	/* no CD-DA, R-W, C2, ISRC, UPC, bar code */
		p[6] = 0x29;	/* tray, eject, lock supported */
		if (pc == 0 && st->locked)
			p[6] |= 0x02;	/* lock state */
		mmc_put16(p + 8, 50 * 176);	/* max read speed, kB/s */
		mmc_put16(p + 10, 2);		/* volume levels */
		mmc_put16(p + 12, 2048);	/* buffer, KiB */
		mmc_put16(p + 14, 16 * 176);	/* current read speed */
	}
	return len;
}

/*
 * Pages 0x01, 0x0E, 0x2A and 0x3F (all of them); page control current,
 * changeable (all zero) and default; saved values 05/39/00 (checked
 * first, as both QEMU emulations do). No block descriptors (MMC).
 */
int mmc_cmd_mode_sense(struct mmc_state *st, struct mmc_cmd *cmd)
{
	static const uint8_t all[] = { 0x01, 0x0e, 0x2a };
	const uint8_t *c = cmd->cdb;
	unsigned pc = c[2] >> 6, pg = c[2] & 0x3f, sub = c[3];
	uint8_t b[8 + 12 + 16 + 22];
	size_t len = 8, i;

	if (pc == 3)
		return mmc_fail(cmd, SENSE_SAVING_UNSUPPORTED);
	memset(b, 0, sizeof(b));
	if (pg == 0x3f && (sub == 0 || sub == 0xff)) {
		for (i = 0; i < sizeof(all); i++)
			len += mode_page(st, all[i], pc, b + len);
	} else {
		size_t n = sub ? 0 : mode_page(st, pg, pc, b + len);

		if (!n)
			return mmc_fail(cmd, SENSE_INVALID_FIELD);
		len += n;
	}
	mmc_put16(b, (uint32_t)(len - 2));
	return mmc_reply(cmd, b, len, mmc_be16(c + 7));
}

/* ---- READ DISC INFORMATION ---- */

/* Data type 0 only (1 and 2 are BD): a finalized one-session disc. */
int mmc_cmd_read_disc_info(struct mmc_state *st, struct mmc_cmd *cmd)
{
	const uint8_t *c = cmd->cdb;
	uint8_t b[34] = { 0 };

	(void)st;
	if (c[1] & 0x07)
		return mmc_fail(cmd, SENSE_INVALID_FIELD);
	mmc_put16(b, sizeof(b) - 2);
	b[2] = 0x0e;		/* last session complete, disc finalized */
	b[3] = 1;		/* first track on disc */
	b[4] = 1;		/* sessions */
	b[5] = 1;		/* first track in last session */
	b[6] = 1;		/* last track in last session */
	b[7] = 0x20;		/* URU: unrestricted use */
	b[8] = 0x00;		/* CD-DA or CD-ROM disc */
	return mmc_reply(cmd, b, sizeof(b), mmc_be16(c + 7));
}

/* ---- READ DVD STRUCTURE ---- */

/*
 * DVD media type (byte 1 = 0) only. Formats 0 (physical, layer 0), 1
 * (copyright, none), 4 (manufacturing, zeros) and 0xFF (the list of
 * those three); a CD gets 05/30/00 for anything but 0xFF, every other
 * format (BCA 3 included) 05/24/00. Start sector 0 and end sector
 * blocks - 1, as QEMU (MMC would say PSN 0x30000 + LBA).
 */
int mmc_cmd_read_dvd_structure(struct mmc_state *st, struct mmc_cmd *cmd)
{
	const uint8_t *c = cmd->cdb;
	unsigned format = c[7];
	uint8_t b[MMC_REPLY_MAX];
	size_t len;

	if (c[1] & 0x0f)
		return mmc_fail(cmd, SENSE_INVALID_FIELD);
	if (format != 0xff && !mmc_is_dvd(st))
		return mmc_fail(cmd, SENSE_INCOMPATIBLE_MEDIUM);
	memset(b, 0, sizeof(b));
	switch (format) {
	case 0x00:
		if (c[6])	/* layer */
			return mmc_fail(cmd, SENSE_INVALID_FIELD);
		len = 2048 + 4;
		b[4] = 0x01;	/* DVD-ROM, part version 1 */
		b[5] = 0x0f;	/* 120 mm, maximum rate not specified */
		b[6] = 0x01;	/* one layer, embossed (read-only) */
		b[7] = 0x00;	/* default densities */
		mmc_put32(b + 12, (uint32_t)(st->blocks - 1));	/* end sector */
		mmc_put32(b + 16, (uint32_t)(st->blocks - 1));	/* end of layer 0 */
		break;
	case 0x01:
		len = 4 + 4;
		break;
	case 0x04:
		len = 2048 + 4;
		break;
	case 0xff:
		len = 4;
		b[len] = 0x00;
		b[len + 1] = 0x40;	/* readable, not writable */
		mmc_put16(b + len + 2, 2048 + 4);
		len += 4;
		b[len] = 0x01;
		b[len + 1] = 0x40;
		mmc_put16(b + len + 2, 4 + 4);
		len += 4;
		b[len] = 0x04;
		b[len + 1] = 0x40;
		mmc_put16(b + len + 2, 2048 + 4);
		len += 4;
		break;
	default:
		return mmc_fail(cmd, SENSE_INVALID_FIELD);
	}
	mmc_put16(b, (uint32_t)(len - 2));
	return mmc_reply(cmd, b, len, mmc_be16(c + 8));
}

/* ---- MECHANISM STATUS ---- */

/* No changer: one slot, no current LBA; the door-open bit follows the
 * tray (QEMU leaves it clear). */
int mmc_cmd_mechanism_status(struct mmc_state *st, struct mmc_cmd *cmd)
{
	uint8_t b[8] = { 0 };

	b[1] = st->tray_open ? 0x10 : 0x00;
	b[5] = 1;		/* slots available */
	return mmc_reply(cmd, b, sizeof(b), mmc_be16(cmd->cdb + 8));
}
