/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mmc: the opcode table and the drive and data commands (TEST UNIT
 * READY, REQUEST SENSE, INQUIRY, START STOP UNIT, PREVENT ALLOW MEDIUM
 * REMOVAL, READ CAPACITY, READ(10)/(12), READ CD, SEEK, SET CD SPEED).
 * The information commands (TOC, configuration, events, mode pages,
 * disc structures) are in mmc-info.c.
 *
 * Handlers are pure functions of (CDB, drive state) to (data, sense),
 * except for the state they are meant to change (tray, lock, sense,
 * events). They run after the dispatcher (mmc.c) has dealt with unit
 * attention, unknown opcodes and, for NEED_MEDIUM commands, a missing
 * medium. Field offsets are those of MMC-6 / SPC-4.
 */
#include <string.h>

#include "mmc.h"
#include "mmc-int.h"

#define INQ_VENDOR "XENTAP"
#define INQ_PRODUCT "Virtual CD-ROM"
#define INQ_REVISION "1.0"
#define INQ_STD_LEN 36

/* Copy src into an n-byte field, space padded (SPC ASCII fields). */
static void pad_ascii(uint8_t *dst, size_t n, const char *src)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = *src ? (uint8_t)*src++ : ' ';
}

static int cmd_test_unit_ready(struct mmc_state *st, struct mmc_cmd *cmd)
{
	(void)st;	/* medium readiness is checked by the dispatcher */
	return mmc_good(cmd);
}

/*
 * REQUEST SENSE: a pending unit attention first, else the sense of the
 * last command; either is cleared by being reported. Always fixed format
 * (the DESC bit is ignored, as QEMU's ATAPI code does).
 */
static int cmd_request_sense(struct mmc_state *st, struct mmc_cmd *cmd)
{
	uint8_t b[MMC_SENSE_LEN];
	struct mmc_sense s = st->ua.key ? st->ua : st->sense;

	memset(&st->ua, 0, sizeof(st->ua));
	memset(&st->sense, 0, sizeof(st->sense));
	mmc_sense_fixed(&s, b, sizeof(b));
	return mmc_reply(cmd, b, sizeof(b), cmd->cdb[4]);
}

/* INQUIRY vital product data pages 0x00, 0x80 (with a serial), 0x83. */
static int inquiry_vpd(struct mmc_state *st, struct mmc_cmd *cmd, size_t alloc)
{
	uint8_t b[64] = { 0 };
	size_t len = 4, serial_len = strlen(st->serial);

	b[0] = 0x05;
	b[1] = cmd->cdb[2];
	switch (cmd->cdb[2]) {
	case 0x00:		/* supported pages */
		b[len++] = 0x00;
		if (serial_len)
			b[len++] = 0x80;
		b[len++] = 0x83;
		break;
	case 0x80:		/* unit serial number */
		if (!serial_len)
			return mmc_fail(cmd, SENSE_INVALID_FIELD);
		memcpy(b + len, st->serial, serial_len);
		len += serial_len;
		break;
	case 0x83:		/* device identification: one T10 vendor ID */
		b[len++] = 0x02;	/* code set: ASCII */
		b[len++] = 0x01;	/* logical unit, T10 vendor ID */
		b[len++] = 0x00;
		b[len] = (uint8_t)(8 + (serial_len ? serial_len : strlen(INQ_PRODUCT)));
		len++;
		pad_ascii(b + len, 8, INQ_VENDOR);
		len += 8;
		if (serial_len) {
			memcpy(b + len, st->serial, serial_len);
			len += serial_len;
		} else {
			memcpy(b + len, INQ_PRODUCT, strlen(INQ_PRODUCT));
			len += strlen(INQ_PRODUCT);
		}
		break;
	default:
		return mmc_fail(cmd, SENSE_INVALID_FIELD);
	}
	mmc_put16(b + 2, (uint32_t)(len - 4));
	return mmc_reply(cmd, b, len, alloc);
}

static int cmd_inquiry(struct mmc_state *st, struct mmc_cmd *cmd)
{
	const uint8_t *c = cmd->cdb;
	size_t alloc = mmc_be16(c + 3);
	uint8_t b[INQ_STD_LEN] = { 0 };

	if (c[1] & 0x01)
		return inquiry_vpd(st, cmd, alloc);
	if (c[2])			/* page code without EVPD */
		return mmc_fail(cmd, SENSE_INVALID_FIELD);
	b[0] = 0x05;			/* CD/DVD device */
	b[1] = 0x80;			/* RMB: removable */
	b[2] = 0x05;			/* SPC-3 */
	b[3] = 0x02;			/* response data format 2 */
	b[4] = INQ_STD_LEN - 5;		/* additional length */
	pad_ascii(b + 8, 8, INQ_VENDOR);
	pad_ascii(b + 16, 16, INQ_PRODUCT);
	pad_ascii(b + 32, 4, INQ_REVISION);
	return mmc_reply(cmd, b, sizeof(b), alloc);
}

/*
 * START STOP UNIT: LoEj with Start loads (closes the tray), LoEj without
 * Start ejects (opens it) unless the medium is locked. A power condition
 * makes it a no-op (QEMU). The lock refusal is 05/53/02 with a medium in
 * the drive and 02/53/02 without (QEMU's scsi-disk; its ATAPI code has
 * the two keys the other way round).
 */
static int cmd_start_stop_unit(struct mmc_state *st, struct mmc_cmd *cmd)
{
	uint8_t b4 = cmd->cdb[4];
	int start = b4 & 0x01, loej = b4 & 0x02;

	if (b4 & 0xf0 || !loej)
		return mmc_good(cmd);
	if (start) {
		mmc_tray_close(st);
		return mmc_good(cmd);
	}
	if (st->locked && !st->tray_open)
		return mmc_fail(cmd, st->loaded ? SENSE_REMOVAL_PREVENTED :
						  SENSE_NR_REMOVAL_PREVENTED);
	mmc_tray_open(st);
	return mmc_good(cmd);
}

static int cmd_prevent_allow(struct mmc_state *st, struct mmc_cmd *cmd)
{
	st->locked = cmd->cdb[4] & 0x01;	/* Prevent bit 0, as QEMU */
	return mmc_good(cmd);
}

static int cmd_read_capacity(struct mmc_state *st, struct mmc_cmd *cmd)
{
	const uint8_t *c = cmd->cdb;
	uint8_t b[8];

	/* PMI clear requires LOGICAL BLOCK ADDRESS 0 (SBC). */
	if (!(c[8] & 0x01) && mmc_be32(c + 2))
		return mmc_fail(cmd, SENSE_INVALID_FIELD);
	mmc_put32(b, (uint32_t)(st->blocks - 1));
	mmc_put32(b + 4, MMC_BLOCK);
	return mmc_reply(cmd, b, sizeof(b), sizeof(b));
}

/*
 * Plan a read of n blocks from lba, answered as block_size-byte blocks.
 * Out of range -> 05/21/00. An answer larger than the initiator's buffer
 * is refused with 05/24/00 rather than cut short: the transfer length is
 * a CDB field, not an allocation length, and the SUSE backend's host
 * drive failed such a request too (doc/mmc.md, "Buffer limits").
 */
static int plan_read(struct mmc_state *st, struct mmc_cmd *cmd, uint64_t lba,
		     uint64_t n, uint32_t block_size)
{
	struct mmc_read_plan *p = &cmd->plan;

	if (n == 0)
		return mmc_good(cmd);
	if (lba >= st->blocks || n > st->blocks - lba)
		return mmc_fail(cmd, SENSE_LBA_OUT_OF_RANGE);
	if (n * block_size > cmd->data_max)
		return mmc_fail(cmd, SENSE_INVALID_FIELD);
	p->offset = lba * MMC_BLOCK;
	p->length = (uint32_t)(n * MMC_BLOCK);
	p->lba = (uint32_t)lba;
	p->nblocks = (uint32_t)n;
	p->block_size = block_size;
	return MMC_NEED_READ;
}

static int cmd_read(struct mmc_state *st, struct mmc_cmd *cmd)
{
	const uint8_t *c = cmd->cdb;
	uint64_t n = c[0] == MMC_READ_10 ? mmc_be16(c + 7) : mmc_be32(c + 6);

	return plan_read(st, cmd, mmc_be32(c + 2), n, MMC_BLOCK);
}

/*
 * READ CD: main channel selection byte 9 of 0x10 (user data, 2048) or
 * 0xF8 (sync + header + user data + EDC/ECC, 2352); 0x00 transfers
 * nothing. Other selections, C2 error information and sub-channel data
 * are refused with 05/24/00 (QEMU ignores the last two, which hands the
 * guest fewer bytes than it asked for). An expected sector type other
 * than "any" or "mode 1" does not match our data track: 05/64/00.
 */
static int cmd_read_cd(struct mmc_state *st, struct mmc_cmd *cmd)
{
	const uint8_t *c = cmd->cdb;
	unsigned type = (c[1] >> 2) & 0x07;
	uint64_t n = mmc_be24(c + 6);

	if (type != 0 && type != 2)
		return mmc_fail(cmd, SENSE_ILLEGAL_MODE);
	if ((c[9] & 0x06) || (c[10] & 0x07))
		return mmc_fail(cmd, SENSE_INVALID_FIELD);
	switch (c[9] & 0xf8) {
	case 0x00:
		return mmc_good(cmd);
	case 0x10:
		return plan_read(st, cmd, mmc_be32(c + 2), n, MMC_BLOCK);
	case 0xf8:
		return plan_read(st, cmd, mmc_be32(c + 2), n, MMC_RAW_BLOCK);
	default:
		return mmc_fail(cmd, SENSE_INVALID_FIELD);
	}
}

static int cmd_seek(struct mmc_state *st, struct mmc_cmd *cmd)
{
	if (mmc_be32(cmd->cdb + 2) >= st->blocks)
		return mmc_fail(cmd, SENSE_LBA_OUT_OF_RANGE);
	return mmc_good(cmd);
}

static int cmd_set_cd_speed(struct mmc_state *st, struct mmc_cmd *cmd)
{
	(void)st;	/* an image has no spindle */
	return mmc_good(cmd);
}

#define IN MMC_F_DATA_IN
#define UA MMC_F_ALLOW_UA
#define MED MMC_F_NEED_MEDIUM
#define RD MMC_F_READ

/* The drive: one entry per opcode; a NULL fn is ILLEGAL REQUEST 05/20/00. */
const struct mmc_op mmc_ops[256] = {
	[MMC_TEST_UNIT_READY] = { cmd_test_unit_ready, MED, "TEST UNIT READY" },
	[MMC_REQUEST_SENSE] = { cmd_request_sense, UA | IN, "REQUEST SENSE" },
	[MMC_INQUIRY] = { cmd_inquiry, UA | IN, "INQUIRY" },
	[MMC_START_STOP_UNIT] = { cmd_start_stop_unit, 0, "START STOP UNIT" },
	[MMC_PREVENT_ALLOW] = { cmd_prevent_allow, 0, "PREVENT ALLOW MEDIUM REMOVAL" },
	[MMC_READ_CAPACITY] = { cmd_read_capacity, MED | IN, "READ CAPACITY" },
	[MMC_READ_10] = { cmd_read, MED | IN | RD, "READ(10)" },
	[MMC_SEEK_10] = { cmd_seek, MED, "SEEK(10)" },
	[MMC_READ_TOC] = { mmc_cmd_read_toc, MED | IN, "READ TOC/PMA/ATIP" },
	[MMC_GET_CONFIGURATION] = { mmc_cmd_get_configuration, UA | IN, "GET CONFIGURATION" },
	[MMC_GET_EVENT_STATUS] = { mmc_cmd_get_event_status, UA | IN,
				   "GET EVENT STATUS NOTIFICATION" },
	[MMC_READ_DISC_INFO] = { mmc_cmd_read_disc_info, MED | IN, "READ DISC INFORMATION" },
	[MMC_MODE_SENSE_10] = { mmc_cmd_mode_sense, IN, "MODE SENSE(10)" },
	[MMC_READ_12] = { cmd_read, MED | IN | RD, "READ(12)" },
	[MMC_READ_DVD_STRUCTURE] = { mmc_cmd_read_dvd_structure, MED | IN,
				     "READ DVD STRUCTURE" },
	[MMC_SET_CD_SPEED] = { cmd_set_cd_speed, 0, "SET CD SPEED" },
	[MMC_MECHANISM_STATUS] = { mmc_cmd_mechanism_status, IN, "MECHANISM STATUS" },
	[MMC_READ_CD] = { cmd_read_cd, MED | IN | RD, "READ CD" },
};
