/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the MMC unit tests (test-mmc.c, test-mmc-media.c):
 * run one CDB against a drive, check its status, sense and exact answer
 * bytes, and stand in for the image reads of a read plan. Each test
 * program is one translation unit including this once.
 */
#ifndef XENTAP_MMC_TEST_H
#define XENTAP_MMC_TEST_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mmc.h"
#include "check.h"

#define CD_BLOCKS 1000u
#define CD_SIZE ((uint64_t)CD_BLOCKS * 2048)
#define DVD_BLOCKS 400000u

static uint8_t buf[16384];
static struct mmc_cmd c;

#define CDB(...) ((const uint8_t[MMC_CDB_LEN]){ __VA_ARGS__ })

/* Run one CDB with a data buffer of max bytes (pre-filled with 0xEE). */
static inline int run(struct mmc_state *st, const uint8_t *cdb, uint32_t max)
{
	memset(&c, 0, sizeof(c));
	memcpy(c.cdb, cdb, MMC_CDB_LEN);
	memset(buf, 0xee, sizeof(buf));
	c.data = buf;
	c.data_max = max;
	return mmc_exec(st, &c);
}

#define CHECK_GOOD()                                                          \
	do {                                                                  \
		CHECK_EQ(c.status, MMC_GOOD);                                 \
		CHECK_EQ(c.sense.key, 0);                                     \
	} while (0)

#define CHECK_SENSE(k, a, q)                                                  \
	do {                                                                  \
		CHECK_EQ(c.status, MMC_CHECK_CONDITION);                      \
		CHECK_EQ(c.sense.key, k);                                     \
		CHECK_EQ(c.sense.asc, a);                                     \
		CHECK_EQ(c.sense.ascq, q);                                    \
		CHECK_EQ(c.data_len, 0);                                      \
	} while (0)

static inline void dump(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(stderr, "  %s:", what);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

/* The answer must be exactly these bytes. */
#define CHECK_DATA(...)                                                       \
	do {                                                                  \
		static const uint8_t want_[] = { __VA_ARGS__ };               \
		CHECK_EQ(c.data_len, sizeof(want_));                          \
		if (c.data_len != sizeof(want_) ||                            \
		    memcmp(buf, want_, sizeof(want_))) {                      \
			CHECK(!"data differs");                               \
			dump("want", want_, sizeof(want_));                   \
			dump("got ", buf, c.data_len);                        \
		}                                                             \
	} while (0)

static inline void cd(struct mmc_state *st)
{
	CHECK_EQ(mmc_init(st, NULL, CD_SIZE), 0);
}

/* Pretend to read the image: each byte of block b is (b + i) & 0xff. */
static inline void fake_read(const struct mmc_read_plan *p, uint8_t *data)
{
	uint32_t b, i;

	for (b = 0; b < p->nblocks; b++)
		for (i = 0; i < 2048; i++)
			data[(size_t)b * 2048 + i] = (uint8_t)(p->lba + b + i);
}

#endif
