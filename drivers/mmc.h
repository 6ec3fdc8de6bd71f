/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mmc: emulation of an MMC CD/DVD-ROM drive over an ISO image, as pure
 * functions (see doc/mmc.md for the command set, the sense codes and the
 * choices made where QEMU's ATAPI and SCSI emulations differ).
 *
 * The caller owns a struct mmc_state per drive and feeds it CDBs. Nothing
 * here does I/O, allocates or logs: a command either completes at once
 * (data and sense in the struct mmc_cmd), or, for READ(10)/READ(12)/READ
 * CD, returns a read plan; the caller then reads plan.length bytes of the
 * image at plan.offset into cmd->data with its own (asynchronous) I/O and
 * calls mmc_read_done, which checks the medium did not change meanwhile
 * and formats raw 2352-byte sectors in place.
 *
 * Typical use:
 *
 *	struct mmc_cmd c = { .data = buf, .data_max = buflen };
 *	memcpy(c.cdb, cdb, MMC_CDB_LEN);
 *	if (mmc_exec(st, &c) == MMC_NEED_READ) {
 *		r = image_read(c.data, c.plan.length, c.plan.offset);  (async)
 *		mmc_read_done(st, &c, r < 0 ? r : 0);
 *	}
 *	then c.status (GOOD / CHECK CONDITION), c.sense, c.data_len
 *
 * Media: mmc_media_insert / mmc_media_eject are the admin's path (control
 * socket); the guest moves the tray with START STOP UNIT. Every change
 * bumps st->generation, raises the media_changed flag read by the SUSE
 * MEDIA_CHANGED message (mmc_media_changed_take) and queues a GET EVENT
 * STATUS NOTIFICATION media event; a medium becoming ready also queues
 * the unit attention 06/28/00 for the next command.
 */
#ifndef XENTAP_MMC_H
#define XENTAP_MMC_H

#include <stddef.h>
#include <stdint.h>

#define MMC_CDB_LEN 12
#define MMC_BLOCK 2048u			/* user data bytes per block */
#define MMC_RAW_BLOCK 2352u		/* a whole CD sector (READ CD 0xF8) */
#define MMC_SENSE_LEN 18u		/* fixed-format sense we produce */

/* Images of more blocks than this are DVDs (QEMU: 80 minutes of 75
 * 2048-byte frames a second, 737,280,000 bytes). */
#define MMC_CD_MAX_BLOCKS 360000u
/* Most blocks a disc may have: READ CAPACITY(10) names the last LBA and
 * READ TOC the lead-out LBA (= blocks) in 32 bits. Larger images are
 * refused (just under 8 TiB). */
#define MMC_MAX_BLOCKS UINT64_C(0xffffffff)

/* SCSI status */
#define MMC_GOOD 0x00
#define MMC_CHECK_CONDITION 0x02

/* Sense keys */
#define MMC_KEY_NO_SENSE 0x0
#define MMC_KEY_NOT_READY 0x2
#define MMC_KEY_MEDIUM_ERROR 0x3
#define MMC_KEY_ILLEGAL_REQUEST 0x5
#define MMC_KEY_UNIT_ATTENTION 0x6

/* MMC profiles (GET CONFIGURATION) */
#define MMC_PROFILE_NONE 0x0000
#define MMC_PROFILE_CD_ROM 0x0008
#define MMC_PROFILE_DVD_ROM 0x0010

/* Pending GET EVENT STATUS NOTIFICATION media events (st->events). */
#define MMC_EV_EJECT_REQUEST 0x1	/* reported as event code 1 */
#define MMC_EV_NEW_MEDIA 0x2		/* code 2 */
#define MMC_EV_MEDIA_REMOVAL 0x4	/* code 3 */

/* Per-opcode flags (mmc_op_flags). */
#define MMC_F_SUPPORTED 0x01	/* has a handler; else 05/20/00 */
#define MMC_F_ALLOW_UA 0x02	/* runs while a unit attention is pending */
#define MMC_F_NEED_MEDIUM 0x04	/* 02/3A/0x when no medium is ready */
#define MMC_F_DATA_IN 0x08	/* transfers data to the initiator */
#define MMC_F_READ 0x10		/* may return MMC_NEED_READ */

struct mmc_sense {
	uint8_t key;
	uint8_t asc;
	uint8_t ascq;
};

/*
 * One drive. Owned by the caller, changed only through this API; read
 * freely. All fields are plain values (no pointers): the struct can be
 * copied or zeroed and re-initialised.
 */
struct mmc_state {
	uint64_t blocks;	/* 2048-byte blocks of the image (0: none) */
	uint64_t size_bytes;	/* size given at insert */
	uint32_t generation;	/* bumped on every media change */
	uint8_t loaded;		/* an image is in the drive */
	uint8_t tray_open;
	uint8_t locked;		/* PREVENT ALLOW MEDIUM REMOVAL */
	uint8_t media_changed;	/* for MEDIA_CHANGED; see mmc_media_changed_take */
	uint8_t events;		/* MMC_EV_* not yet reported */
	struct mmc_sense ua;	/* pending unit attention (key 0: none) */
	struct mmc_sense sense;	/* of the last command, for REQUEST SENSE */
	char serial[21];	/* unit serial (VPD 0x80/0x83), "" for none */
};

/* What the caller reads for a READ(10)/READ(12)/READ CD. */
struct mmc_read_plan {
	uint64_t offset;	/* byte offset in the image (lba * 2048) */
	uint32_t length;	/* bytes to read into cmd->data: nblocks * 2048 */
	uint32_t lba;		/* first block */
	uint32_t nblocks;
	uint32_t block_size;	/* bytes per block in the answer: 2048 or 2352 */
	uint32_t generation;	/* st->generation when planned */
};

struct mmc_cmd {
	/* in */
	uint8_t cdb[MMC_CDB_LEN];
	uint8_t *data;		/* data-in buffer of data_max bytes (may be NULL if 0) */
	uint32_t data_max;	/* what the initiator can take (packet: buflen) */
	/* out */
	uint32_t data_len;	/* bytes of data produced (<= data_max) */
	uint8_t status;		/* MMC_GOOD or MMC_CHECK_CONDITION */
	struct mmc_sense sense;	/* valid when status is CHECK CONDITION */
	struct mmc_read_plan plan; /* valid when mmc_exec returned MMC_NEED_READ */
};

#define MMC_DONE 0
#define MMC_NEED_READ 1

/*
 * Initialise a drive: tray closed, unlocked, no pending events or unit
 * attention. size_bytes 0 leaves it empty, else the image is loaded as if
 * it had been there at power-on (no unit attention, no event). serial may
 * be NULL; it is truncated to 20 characters. Returns 0, or the errors of
 * mmc_media_insert (the drive is then empty).
 */
int mmc_init(struct mmc_state *st, const char *serial, uint64_t size_bytes);

/*
 * Admin: load an image of size_bytes (its first size_bytes / 2048 blocks
 * are the disc) and close the tray. Queues unit attention 06/28/00 and the
 * NEW MEDIA event, sets media_changed. Returns 0, -EBUSY if an image is
 * already loaded (eject first), -EINVAL if smaller than one block, -EFBIG
 * if more than MMC_MAX_BLOCKS blocks.
 */
int mmc_media_insert(struct mmc_state *st, uint64_t size_bytes);

/*
 * Admin: unload the image and leave the tray open. While the guest holds
 * the medium locked it is refused with -EBUSY and an EJECT REQUEST event
 * is queued for the guest, unless force is set (force also unlocks).
 * Ejecting an empty drive opens the tray and returns 0.
 */
int mmc_media_eject(struct mmc_state *st, int force);

/* Bus/device reset: unlock, drop pending events, queue 06/29/00. */
void mmc_reset(struct mmc_state *st);

/* Read and clear the media_changed flag (the MEDIA_CHANGED message). */
int mmc_media_changed_take(struct mmc_state *st);

/* A medium is loaded and the tray is closed. */
int mmc_medium_ready(const struct mmc_state *st);

/* Capacity in 512-byte sectors (0 when no medium is ready): the OPEN
 * answer and the xenstore "sectors" node. */
uint64_t mmc_sectors512(const struct mmc_state *st);

/* MMC_PROFILE_CD_ROM / DVD_ROM for a ready medium, else NONE. */
unsigned mmc_current_profile(const struct mmc_state *st);

/* MMC_F_* flags of an opcode (0: unsupported). */
unsigned mmc_op_flags(uint8_t opcode);

/*
 * Execute one command. Returns MMC_DONE (status, sense, data_len set),
 * MMC_NEED_READ (cmd->plan set; data_len 0 until mmc_read_done), or
 * -EINVAL if cmd is unusable (data NULL with data_max != 0). Data never
 * exceeds data_max; allocation lengths in the CDB are honoured.
 */
int mmc_exec(struct mmc_state *st, struct mmc_cmd *cmd);

/*
 * Finish a planned read. io_result is 0 when plan.length bytes were read
 * into cmd->data, else a negative errno (-ENOMEDIUM -> 02/3A/00, anything
 * else -> MEDIUM ERROR 03/11/00). If the medium changed since the plan
 * (generation), the data is dropped and the command fails with the
 * current not-ready or unit-attention sense. For 2352-byte blocks the
 * 2048-byte blocks are spread out in place and given sync, header and
 * zero EDC/ECC. Returns 0, or -EINVAL if cmd holds no plan.
 */
int mmc_read_done(struct mmc_state *st, struct mmc_cmd *cmd, int io_result);

/* Write fixed-format sense (0x70, key, ASC, ASCQ; 18 bytes, the rest of
 * len zeroed) into buf. Returns the bytes written (min(len, 18)). */
size_t mmc_sense_fixed(const struct mmc_sense *s, uint8_t *buf, size_t len);

#endif
