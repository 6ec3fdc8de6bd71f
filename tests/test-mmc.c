/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for drivers/mmc*.c, golden answers: every opcode's answer
 * written out byte by byte from MMC-6 / SPC-4 and QEMU's emulations (not
 * from our own encoders), with its allocation-length, buffer-limit and
 * invalid-field cases, and the ILLEGAL REQUEST of every other opcode.
 * The media state machine, reads and hostile CDBs are in test-mmc-media.c.
 */
#include "mmc-test.h"

/* ---- golden answers ---- */

static void test_inquiry(void)
{
	struct mmc_state st;

	cd(&st);
	run(&st, CDB(0x12, 0, 0, 0, 96), sizeof(buf));
	CHECK_GOOD();
	CHECK_DATA(0x05, 0x80, 0x05, 0x02, 0x1f, 0, 0, 0,
		   'X', 'E', 'N', 'T', 'A', 'P', ' ', ' ',
		   'V', 'i', 'r', 't', 'u', 'a', 'l', ' ',
		   'C', 'D', '-', 'R', 'O', 'M', ' ', ' ',
		   '1', '.', '0', ' ');
	/* allocation length honoured, and the buffer limit */
	run(&st, CDB(0x12, 0, 0, 0, 5), sizeof(buf));
	CHECK_DATA(0x05, 0x80, 0x05, 0x02, 0x1f);
	run(&st, CDB(0x12, 0, 0, 0, 96), 3);
	CHECK_DATA(0x05, 0x80, 0x05);
	CHECK_EQ(buf[3], 0xee);
	/* 16-bit allocation length (SPC-3) */
	run(&st, CDB(0x12, 0, 0, 0x01, 0x00), sizeof(buf));
	CHECK_EQ(c.data_len, 36);
	/* page code without EVPD */
	run(&st, CDB(0x12, 0, 0x83, 0, 96), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);
	/* VPD */
	run(&st, CDB(0x12, 1, 0x00, 0, 96), sizeof(buf));
	CHECK_DATA(0x05, 0x00, 0x00, 0x02, 0x00, 0x83);
	run(&st, CDB(0x12, 1, 0x83, 0, 96), sizeof(buf));
	CHECK_DATA(0x05, 0x83, 0x00, 0x1a, 0x02, 0x01, 0x00, 0x16,
		   'X', 'E', 'N', 'T', 'A', 'P', ' ', ' ',
		   'V', 'i', 'r', 't', 'u', 'a', 'l', ' ', 'C', 'D', '-', 'R', 'O', 'M');
	run(&st, CDB(0x12, 1, 0x80, 0, 96), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);
	run(&st, CDB(0x12, 1, 0xb0, 0, 96), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);

	CHECK_EQ(mmc_init(&st, "d7-5632", 0), 0);
	run(&st, CDB(0x12, 1, 0x00, 0, 96), sizeof(buf));
	CHECK_DATA(0x05, 0x00, 0x00, 0x03, 0x00, 0x80, 0x83);
	run(&st, CDB(0x12, 1, 0x80, 0, 96), sizeof(buf));
	CHECK_DATA(0x05, 0x80, 0x00, 0x07, 'd', '7', '-', '5', '6', '3', '2');
	run(&st, CDB(0x12, 1, 0x83, 0, 96), sizeof(buf));
	CHECK_DATA(0x05, 0x83, 0x00, 0x13, 0x02, 0x01, 0x00, 0x0f,
		   'X', 'E', 'N', 'T', 'A', 'P', ' ', ' ',
		   'd', '7', '-', '5', '6', '3', '2');
	/* serial truncated to 20 characters */
	CHECK_EQ(mmc_init(&st, "0123456789abcdefghijKLMN", 0), 0);
	CHECK_EQ(strlen(st.serial), 20);
}

static void test_read_capacity(void)
{
	struct mmc_state st;

	cd(&st);
	run(&st, CDB(0x25), sizeof(buf));
	CHECK_GOOD();
	CHECK_DATA(0x00, 0x00, 0x03, 0xe7, 0x00, 0x00, 0x08, 0x00);
	/* LBA without PMI */
	run(&st, CDB(0x25, 0, 0, 0, 0, 1), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);
	run(&st, CDB(0x25, 0, 0, 0, 0, 1, 0, 0, 1), sizeof(buf));
	CHECK_GOOD();
	/* not an allocation length: 8 bytes, cut only by the buffer */
	run(&st, CDB(0x25), 4);
	CHECK_DATA(0x00, 0x00, 0x03, 0xe7);
	/* size not a multiple of 2048: whole blocks only */
	CHECK_EQ(mmc_init(&st, NULL, CD_SIZE + 2047), 0);
	run(&st, CDB(0x25), sizeof(buf));
	CHECK_DATA(0x00, 0x00, 0x03, 0xe7, 0x00, 0x00, 0x08, 0x00);
}

static void test_read_toc(void)
{
	struct mmc_state st;

	cd(&st);
	/* format 0, LBA */
	run(&st, CDB(0x43, 0, 0, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_GOOD();
	CHECK_DATA(0x00, 0x12, 0x01, 0x01,
		   0x00, 0x14, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
		   0x00, 0x16, 0xaa, 0x00, 0x00, 0x00, 0x03, 0xe8);
	/* format 0, MSF: 00:02:00 and 1150 frames = 00:15:25 */
	run(&st, CDB(0x43, 0x02, 0, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x12, 0x01, 0x01,
		   0x00, 0x14, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00,
		   0x00, 0x16, 0xaa, 0x00, 0x00, 0x00, 0x0f, 0x19);
	/* starting at the lead-out */
	run(&st, CDB(0x43, 0, 0, 0, 0, 0, 0xaa, 0xff, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x0a, 0x01, 0x01,
		   0x00, 0x16, 0xaa, 0x00, 0x00, 0x00, 0x03, 0xe8);
	run(&st, CDB(0x43, 0, 0, 0, 0, 0, 2, 0xff, 0xff), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);
	/* allocation length cuts, the length field still says 18 */
	run(&st, CDB(0x43, 0, 0, 0, 0, 0, 0, 0, 4), sizeof(buf));
	CHECK_DATA(0x00, 0x12, 0x01, 0x01);
	/* format 1 */
	run(&st, CDB(0x43, 0, 1, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x0a, 0x01, 0x01,
		   0x00, 0x14, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00);
	run(&st, CDB(0x43, 0x02, 1, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x0a, 0x01, 0x01,
		   0x00, 0x14, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00);
	/* format 1 through the SFF-8020 field (byte 9 bits 7:6) */
	run(&st, CDB(0x43, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x40), sizeof(buf));
	CHECK_DATA(0x00, 0x0a, 0x01, 0x01,
		   0x00, 0x14, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00);
	/* format 2 (full TOC), LBA and MSF */
	run(&st, CDB(0x43, 0, 2, 0, 0, 0, 1, 0xff, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x2e, 0x01, 0x01,
		   0x01, 0x14, 0x00, 0xa0, 0, 0, 0, 0x00, 0x01, 0x00, 0x00,
		   0x01, 0x14, 0x00, 0xa1, 0, 0, 0, 0x00, 0x01, 0x00, 0x00,
		   0x01, 0x14, 0x00, 0xa2, 0, 0, 0, 0x00, 0x00, 0x03, 0xe8,
		   0x01, 0x14, 0x00, 0x01, 0, 0, 0, 0x00, 0x00, 0x00, 0x00);
	run(&st, CDB(0x43, 0x02, 2, 0, 0, 0, 1, 0xff, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x2e, 0x01, 0x01,
		   0x01, 0x14, 0x00, 0xa0, 0, 0, 0, 0x00, 0x01, 0x00, 0x00,
		   0x01, 0x14, 0x00, 0xa1, 0, 0, 0, 0x00, 0x01, 0x00, 0x00,
		   0x01, 0x14, 0x00, 0xa2, 0, 0, 0, 0x00, 0x00, 0x0f, 0x19,
		   0x01, 0x14, 0x00, 0x01, 0, 0, 0, 0x00, 0x00, 0x02, 0x00);
	/* PMA / ATIP / CD-TEXT: not a blank or written disc */
	run(&st, CDB(0x43, 0, 3, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);
	run(&st, CDB(0x43, 0, 5, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);
}

static void test_mode_sense(void)
{
	struct mmc_state st;

	cd(&st);
	run(&st, CDB(0x5a, 0, 0x01, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_GOOD();
	CHECK_DATA(0x00, 0x12, 0, 0, 0, 0, 0, 0,
		   0x01, 0x0a, 0x80, 0x20, 0, 0, 0, 0, 0, 0, 0, 0);
	run(&st, CDB(0x5a, 0, 0x0e, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x16, 0, 0, 0, 0, 0, 0,
		   0x0e, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	run(&st, CDB(0x5a, 0, 0x2a, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x1c, 0, 0, 0, 0, 0, 0,
		   0x2a, 0x14, 0x3b, 0x00, 0x41, 0x00, 0x29, 0x00,
		   0x22, 0x60, 0x00, 0x02, 0x08, 0x00, 0x0b, 0x00,
		   0, 0, 0, 0, 0, 0);
	/* lock state shows in the current values, not the defaults */
	run(&st, CDB(0x1e, 0, 0, 0, 1), 0);
	CHECK_GOOD();
	run(&st, CDB(0x5a, 0, 0x2a, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_EQ(buf[8 + 6], 0x2b);
	run(&st, CDB(0x5a, 0, 0x80 | 0x2a, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_EQ(buf[8 + 6], 0x29);
	/* changeable: nothing */
	run(&st, CDB(0x5a, 0, 0x40 | 0x2a, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x1c, 0, 0, 0, 0, 0, 0,
		   0x2a, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		   0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	/* all pages: 8 + 12 + 16 + 22 */
	run(&st, CDB(0x5a, 0, 0x3f, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_GOOD();
	CHECK_EQ(c.data_len, 58);
	CHECK_EQ(buf[1], 56);
	CHECK_EQ(buf[8], 0x01);
	CHECK_EQ(buf[20], 0x0e);
	CHECK_EQ(buf[36], 0x2a);
	run(&st, CDB(0x5a, 0, 0x3f, 0xff, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_EQ(c.data_len, 58);
	/* saved values; checked before the page */
	run(&st, CDB(0x5a, 0, 0xc0 | 0x2a, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_SENSE(5, 0x39, 0);
	run(&st, CDB(0x5a, 0, 0xc0 | 0x05, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_SENSE(5, 0x39, 0);
	/* unknown page, subpage */
	run(&st, CDB(0x5a, 0, 0x08, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);
	run(&st, CDB(0x5a, 0, 0x2a, 0x01, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);
	/* no medium needed; allocation length */
	CHECK_EQ(mmc_init(&st, NULL, 0), 0);
	run(&st, CDB(0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 8), sizeof(buf));
	CHECK_DATA(0x00, 0x1c, 0, 0, 0, 0, 0, 0);
}

static void test_get_configuration(void)
{
	struct mmc_state st;

	cd(&st);
	run(&st, CDB(0x46, 0, 0, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_GOOD();
	CHECK_DATA(0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x08,
		   0x00, 0x00, 0x03, 0x08, 0x00, 0x10, 0x00, 0x00,
		   0x00, 0x08, 0x01, 0x00,
		   0x00, 0x01, 0x0b, 0x08, 0x00, 0x00, 0x00, 0x01,
		   0x01, 0x00, 0x00, 0x00,
		   0x00, 0x03, 0x0b, 0x04, 0x39, 0x00, 0x00, 0x00);
	/* header only */
	run(&st, CDB(0x46, 0, 0, 0, 0, 0, 0, 0, 8), sizeof(buf));
	CHECK_DATA(0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x08);
	/* RT 2: the removable medium feature alone */
	run(&st, CDB(0x46, 2, 0, 3, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x08,
		   0x00, 0x03, 0x0b, 0x04, 0x39, 0x00, 0x00, 0x00);
	/* RT 1 from feature 1: core and removable */
	run(&st, CDB(0x46, 1, 0, 1, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_EQ(c.data_len, 28);
	CHECK_EQ(buf[3], 24);
	CHECK_EQ(buf[9], 0x01);
	/* RT 2 of a feature we do not have: header only */
	run(&st, CDB(0x46, 2, 0, 0x1e, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x08);
	run(&st, CDB(0x46, 3, 0, 0, 0, 0, 0, 0xff, 0xff), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);
	/* no medium: no current profile */
	CHECK_EQ(mmc_init(&st, NULL, 0), 0);
	run(&st, CDB(0x46, 0, 0, 0, 0, 0, 0, 0, 20), sizeof(buf));
	CHECK_DATA(0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00,
		   0x00, 0x00, 0x03, 0x08, 0x00, 0x10, 0x00, 0x00,
		   0x00, 0x08, 0x00, 0x00);
}

static void test_dvd(void)
{
	struct mmc_state st;

	/* the threshold: 360000 blocks is still a CD */
	CHECK_EQ(mmc_init(&st, NULL, (uint64_t)360000 * 2048), 0);
	CHECK_EQ(mmc_current_profile(&st), MMC_PROFILE_CD_ROM);
	CHECK_EQ(mmc_init(&st, NULL, (uint64_t)360001 * 2048), 0);
	CHECK_EQ(mmc_current_profile(&st), MMC_PROFILE_DVD_ROM);

	CHECK_EQ(mmc_init(&st, NULL, (uint64_t)DVD_BLOCKS * 2048), 0);
	run(&st, CDB(0x46, 0, 0, 0, 0, 0, 0, 0, 20), sizeof(buf));
	CHECK_DATA(0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x10,
		   0x00, 0x00, 0x03, 0x08, 0x00, 0x10, 0x01, 0x00,
		   0x00, 0x08, 0x00, 0x00);
	/* READ DVD STRUCTURE format 0 */
	run(&st, CDB(0xad, 0, 0, 0, 0, 0, 0, 0, 0x10, 0), sizeof(buf));
	CHECK_GOOD();
	CHECK_EQ(c.data_len, 2052);
	{
		static const uint8_t want[20] = {
			0x08, 0x02, 0x00, 0x00, 0x01, 0x0f, 0x01, 0x00,
			0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x1a, 0x7f,
			0x00, 0x06, 0x1a, 0x7f,
		};
		size_t i, nz = 0;

		CHECK(!memcmp(buf, want, sizeof(want)));
		for (i = 20; i < 2052; i++)
			nz += buf[i] != 0;
		CHECK_EQ(nz, 0);
	}
	run(&st, CDB(0xad, 0, 0, 0, 0, 0, 0, 0, 0, 20), sizeof(buf));
	CHECK_EQ(c.data_len, 20);
	run(&st, CDB(0xad, 0, 0, 0, 0, 0, 1, 0, 0x10, 0), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);	/* layer 1 */
	run(&st, CDB(0xad, 0, 0, 0, 0, 0, 0, 1, 0, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x06, 0x00, 0x00, 0, 0, 0, 0);
	run(&st, CDB(0xad, 0, 0, 0, 0, 0, 0, 0xff, 0, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x0e, 0x00, 0x00,
		   0x00, 0x40, 0x08, 0x04, 0x01, 0x40, 0x00, 0x08,
		   0x04, 0x40, 0x08, 0x04);
	run(&st, CDB(0xad, 0, 0, 0, 0, 0, 0, 4, 0x10, 0), sizeof(buf));
	CHECK_EQ(c.data_len, 2052);
	CHECK_EQ(buf[0], 0x08);
	CHECK_EQ(buf[1], 0x02);
	CHECK_EQ(buf[4], 0x00);
	run(&st, CDB(0xad, 0, 0, 0, 0, 0, 0, 3, 0, 0xff), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);	/* BCA */
	run(&st, CDB(0xad, 1, 0, 0, 0, 0, 0, 0, 0, 0xff), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);	/* BD media type */
	/* CD: incompatible medium, except the capability list */
	cd(&st);
	run(&st, CDB(0xad, 0, 0, 0, 0, 0, 0, 0, 0x10, 0), sizeof(buf));
	CHECK_SENSE(5, 0x30, 0);
	run(&st, CDB(0xad, 0, 0, 0, 0, 0, 0, 0xff, 0, 0xff), sizeof(buf));
	CHECK_GOOD();
	/* no medium */
	CHECK_EQ(mmc_init(&st, NULL, 0), 0);
	run(&st, CDB(0xad, 0, 0, 0, 0, 0, 0, 0, 0x10, 0), sizeof(buf));
	CHECK_SENSE(2, 0x3a, 1);

	/* a big DVD: MSF stops at 255:59:74 (lead-out of 2,000,000 blocks) */
	CHECK_EQ(mmc_init(&st, NULL, (uint64_t)2000000 * 2048), 0);
	run(&st, CDB(0x43, 0x02, 0, 0, 0, 0, 0xaa, 0xff, 0xff), sizeof(buf));
	CHECK_DATA(0x00, 0x0a, 0x01, 0x01,
		   0x00, 0x16, 0xaa, 0x00, 0x00, 0xff, 0x3b, 0x4a);
	/* and a raw sector header past 99 minutes says 99:59:74 */
	CHECK_EQ(run(&st, CDB(0xbe, 0, 0, 0x07, 0xa1, 0x20, 0, 0, 1, 0xf8), 3976),
		 MMC_NEED_READ);
	CHECK_EQ(c.plan.lba, 500000);
	fake_read(&c.plan, buf);
	CHECK_EQ(mmc_read_done(&st, &c, 0), 0);
	CHECK_EQ(buf[12], 0x99);
	CHECK_EQ(buf[13], 0x59);
	CHECK_EQ(buf[14], 0x74);
}

static void test_gesn(void)
{
	struct mmc_state st;
	const uint8_t *gesn = CDB(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8);

	cd(&st);
	run(&st, gesn, sizeof(buf));
	CHECK_GOOD();
	CHECK_DATA(0x00, 0x04, 0x04, 0x10, 0x00, 0x02, 0x00, 0x00);
	/* asynchronous mode */
	run(&st, CDB(0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);
	/* another class: no event available */
	run(&st, CDB(0x4a, 1, 0, 0, 0x02, 0, 0, 0, 8), sizeof(buf));
	CHECK_DATA(0x00, 0x00, 0x80, 0x10);
	/* eject, insert: removal, then new media, then nothing */
	CHECK_EQ(mmc_media_eject(&st, 0), 0);
	CHECK_EQ(mmc_media_insert(&st, CD_SIZE), 0);
	run(&st, gesn, sizeof(buf));
	CHECK_DATA(0x00, 0x04, 0x04, 0x10, 0x03, 0x02, 0x00, 0x00);
	run(&st, gesn, sizeof(buf));
	CHECK_DATA(0x00, 0x04, 0x04, 0x10, 0x02, 0x02, 0x00, 0x00);
	run(&st, gesn, sizeof(buf));
	CHECK_DATA(0x00, 0x04, 0x04, 0x10, 0x00, 0x02, 0x00, 0x00);
	/* tray open */
	CHECK_EQ(mmc_media_eject(&st, 0), 0);
	run(&st, gesn, sizeof(buf));
	CHECK_DATA(0x00, 0x04, 0x04, 0x10, 0x03, 0x01, 0x00, 0x00);
	/* eject request while locked */
	CHECK_EQ(mmc_media_insert(&st, CD_SIZE), 0);
	run(&st, gesn, sizeof(buf));
	CHECK_EQ(buf[4], 2);
	run(&st, CDB(0x1e, 0, 0, 0, 1), 0);
	CHECK_SENSE(6, 0x28, 0);	/* the insert's unit attention first */
	run(&st, CDB(0x1e, 0, 0, 0, 1), 0);
	CHECK_GOOD();
	CHECK_EQ(mmc_media_eject(&st, 0), -EBUSY);
	run(&st, gesn, sizeof(buf));
	CHECK_DATA(0x00, 0x04, 0x04, 0x10, 0x01, 0x02, 0x00, 0x00);
}

static void test_disc_info_mechanism(void)
{
	struct mmc_state st;

	cd(&st);
	run(&st, CDB(0x51, 0, 0, 0, 0, 0, 0, 0, 0xff), sizeof(buf));
	CHECK_GOOD();
	CHECK_DATA(0x00, 0x20, 0x0e, 0x01, 0x01, 0x01, 0x01, 0x20,
		   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		   0, 0, 0, 0, 0, 0, 0, 0);
	run(&st, CDB(0x51, 1, 0, 0, 0, 0, 0, 0, 0xff), sizeof(buf));
	CHECK_SENSE(5, 0x24, 0);
	run(&st, CDB(0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8), sizeof(buf));
	CHECK_DATA(0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00);
	run(&st, CDB(0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 2), sizeof(buf));
	CHECK_DATA(0x00, 0x00);
	/* no medium needed; door open */
	CHECK_EQ(mmc_media_eject(&st, 0), 0);
	run(&st, CDB(0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8), sizeof(buf));
	CHECK_DATA(0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00);
	run(&st, CDB(0x51, 0, 0, 0, 0, 0, 0, 0, 0xff), sizeof(buf));
	CHECK_SENSE(2, 0x3a, 2);
}

static void test_request_sense(void)
{
	struct mmc_state st;

	cd(&st);
	run(&st, CDB(0x03, 0, 0, 0, 18), sizeof(buf));
	CHECK_GOOD();
	CHECK_DATA(0x70, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	run(&st, CDB(0xff), sizeof(buf));
	CHECK_SENSE(5, 0x20, 0);
	run(&st, CDB(0x03, 0, 0, 0, 18), sizeof(buf));
	CHECK_DATA(0x70, 0, 0x05, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0);
	/* reported, so cleared */
	run(&st, CDB(0x03, 0, 0, 0, 18), sizeof(buf));
	CHECK_EQ(buf[2], 0);
	/* a good command clears it too */
	run(&st, CDB(0xff), sizeof(buf));
	run(&st, CDB(0x00), 0);
	CHECK_GOOD();
	run(&st, CDB(0x03, 0, 0, 0, 8), sizeof(buf));
	CHECK_DATA(0x70, 0, 0, 0, 0, 0, 0, 0x0a);
	/* mmc_sense_fixed */
	{
		struct mmc_sense s = { 6, 0x28, 0 };
		uint8_t b[64];

		memset(b, 0xaa, sizeof(b));
		CHECK_EQ(mmc_sense_fixed(&s, b, sizeof(b)), 18);
		CHECK_EQ(b[0], 0x70);
		CHECK_EQ(b[2], 6);
		CHECK_EQ(b[12], 0x28);
		CHECK_EQ(b[63], 0);
		CHECK_EQ(mmc_sense_fixed(&s, b, 3), 3);
		CHECK_EQ(mmc_sense_fixed(&s, NULL, 0), 0);
	}
}

static void test_unsupported(void)
{
	struct mmc_state st;
	unsigned op, n = 0;

	cd(&st);
	for (op = 0; op < 256; op++) {
		if (mmc_op_flags((uint8_t)op))
			continue;
		n++;
		run(&st, CDB((uint8_t)op), sizeof(buf));
		CHECK_SENSE(5, 0x20, 0);
	}
	CHECK_EQ(n, 256 - 18);
	CHECK_EQ(mmc_op_flags(0x2a), 0);	/* WRITE(10) */
	CHECK_EQ(mmc_op_flags(0x1a), 0);	/* MODE SENSE(6): not MMC */
	CHECK_EQ(mmc_op_flags(0x28), MMC_F_SUPPORTED | MMC_F_NEED_MEDIUM |
				     MMC_F_DATA_IN | MMC_F_READ);
	CHECK_EQ(mmc_op_flags(0x12), MMC_F_SUPPORTED | MMC_F_ALLOW_UA | MMC_F_DATA_IN);
	/* unusable command */
	memset(&c, 0, sizeof(c));
	c.data_max = 10;
	CHECK_EQ(mmc_exec(&st, &c), -EINVAL);
	CHECK_EQ(mmc_exec(NULL, &c), -EINVAL);
	c.data_max = 0;
	CHECK_EQ(mmc_exec(&st, &c), MMC_DONE);	/* TUR with no buffer */
	CHECK_GOOD();
}

int main(void)
{
	test_inquiry();
	test_read_capacity();
	test_read_toc();
	test_mode_sense();
	test_get_configuration();
	test_dvd();
	test_gesn();
	test_disc_info_mechanism();
	test_request_sense();
	test_unsupported();
	return check_exit("test-mmc");
}
