/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mmc internals shared by mmc.c (state machine, dispatch, read
 * completion), mmc-cmds.c (opcode table, drive and data commands) and
 * mmc-info.c (TOC, configuration, events, mode pages, disc structures).
 * Not an API: include mmc.h instead.
 */
#ifndef XENTAP_MMC_INT_H
#define XENTAP_MMC_INT_H

#include <stddef.h>
#include <stdint.h>

#include "mmc.h"

/* Additional sense codes (ASC << 8 | ASCQ) with their keys, in one place. */
#define MMC_SENSE(k, a, q) ((struct mmc_sense){ .key = (k), .asc = (a), .ascq = (q) })
#define SENSE_INVALID_OPCODE MMC_SENSE(MMC_KEY_ILLEGAL_REQUEST, 0x20, 0x00)
#define SENSE_LBA_OUT_OF_RANGE MMC_SENSE(MMC_KEY_ILLEGAL_REQUEST, 0x21, 0x00)
#define SENSE_INVALID_FIELD MMC_SENSE(MMC_KEY_ILLEGAL_REQUEST, 0x24, 0x00)
#define SENSE_INCOMPATIBLE_MEDIUM MMC_SENSE(MMC_KEY_ILLEGAL_REQUEST, 0x30, 0x00)
#define SENSE_SAVING_UNSUPPORTED MMC_SENSE(MMC_KEY_ILLEGAL_REQUEST, 0x39, 0x00)
#define SENSE_REMOVAL_PREVENTED MMC_SENSE(MMC_KEY_ILLEGAL_REQUEST, 0x53, 0x02)
#define SENSE_NR_REMOVAL_PREVENTED MMC_SENSE(MMC_KEY_NOT_READY, 0x53, 0x02)
#define SENSE_ILLEGAL_MODE MMC_SENSE(MMC_KEY_ILLEGAL_REQUEST, 0x64, 0x00)
#define SENSE_MEDIUM_CHANGED MMC_SENSE(MMC_KEY_UNIT_ATTENTION, 0x28, 0x00)
#define SENSE_RESET MMC_SENSE(MMC_KEY_UNIT_ATTENTION, 0x29, 0x00)
#define SENSE_NO_MEDIUM MMC_SENSE(MMC_KEY_NOT_READY, 0x3a, 0x00)
#define SENSE_NO_MEDIUM_CLOSED MMC_SENSE(MMC_KEY_NOT_READY, 0x3a, 0x01)
#define SENSE_NO_MEDIUM_OPEN MMC_SENSE(MMC_KEY_NOT_READY, 0x3a, 0x02)
#define SENSE_READ_ERROR MMC_SENSE(MMC_KEY_MEDIUM_ERROR, 0x11, 0x00)

/* Opcodes we know by name. */
#define MMC_TEST_UNIT_READY 0x00
#define MMC_REQUEST_SENSE 0x03
#define MMC_INQUIRY 0x12
#define MMC_START_STOP_UNIT 0x1b
#define MMC_PREVENT_ALLOW 0x1e
#define MMC_READ_CAPACITY 0x25
#define MMC_READ_10 0x28
#define MMC_SEEK_10 0x2b
#define MMC_READ_TOC 0x43
#define MMC_GET_CONFIGURATION 0x46
#define MMC_GET_EVENT_STATUS 0x4a
#define MMC_READ_DISC_INFO 0x51
#define MMC_MODE_SENSE_10 0x5a
#define MMC_READ_12 0xa8
#define MMC_READ_DVD_STRUCTURE 0xad
#define MMC_SET_CD_SPEED 0xbb
#define MMC_MECHANISM_STATUS 0xbd
#define MMC_READ_CD 0xbe

/* Largest answer any handler builds (READ DVD STRUCTURE format 0/4). */
#define MMC_REPLY_MAX 2052u

/*
 * One opcode: handler and flags. The handler runs after the dispatcher's
 * unit-attention and medium checks; it returns MMC_DONE after calling
 * mmc_reply / mmc_good / mmc_fail, or MMC_NEED_READ with cmd->plan set.
 */
struct mmc_op {
	int (*fn)(struct mmc_state *st, struct mmc_cmd *cmd);
	uint8_t flags;		/* MMC_F_* (SUPPORTED is implied by fn) */
	const char *name;
};

extern const struct mmc_op mmc_ops[256];

/* Completion helpers (mmc.c). */
int mmc_good(struct mmc_cmd *cmd);
int mmc_fail(struct mmc_cmd *cmd, struct mmc_sense s);
/* GOOD with min(len, alloc, data_max) bytes of buf as data. */
int mmc_reply(struct mmc_cmd *cmd, const uint8_t *buf, size_t len, size_t alloc);
/* The not-ready sense for the current tray state (3A/01 or 3A/02). */
struct mmc_sense mmc_not_ready_sense(const struct mmc_state *st);

/* Tray moves requested by the guest (START STOP UNIT LoEj); mmc.c. */
void mmc_tray_open(struct mmc_state *st);
void mmc_tray_close(struct mmc_state *st);

int mmc_is_dvd(const struct mmc_state *st);

/* LBA to binary M:S:F with the 150-frame (2 s) lead-in offset. LBAs that
 * do not fit 255:59:74 give 255:59:74 (MSF cannot name them). */
void mmc_lba_to_msf(uint64_t lba, uint8_t msf[3]);

/* Handlers in mmc-info.c */
int mmc_cmd_read_toc(struct mmc_state *st, struct mmc_cmd *cmd);
int mmc_cmd_get_configuration(struct mmc_state *st, struct mmc_cmd *cmd);
int mmc_cmd_get_event_status(struct mmc_state *st, struct mmc_cmd *cmd);
int mmc_cmd_mode_sense(struct mmc_state *st, struct mmc_cmd *cmd);
int mmc_cmd_read_disc_info(struct mmc_state *st, struct mmc_cmd *cmd);
int mmc_cmd_read_dvd_structure(struct mmc_state *st, struct mmc_cmd *cmd);
int mmc_cmd_mechanism_status(struct mmc_state *st, struct mmc_cmd *cmd);

static inline uint16_t mmc_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t mmc_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t mmc_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void mmc_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void mmc_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
