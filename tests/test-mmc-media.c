/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for drivers/mmc*.c, the drive's behaviour over time: NOT
 * READY without a medium, READ(10)/(12)/CD plans and their completion
 * (raw 2352-byte sectors, I/O errors, a disc changed under a read), the
 * unit-attention sequence after eject/insert and reset, every media state
 * transition, and a random-CDB run that checks every answer and read plan
 * stays inside its buffer and the disc.
 */
#include "mmc-test.h"

/* ---- errors ---- */

static void test_no_medium(void)
{
	static const uint8_t need[] = { 0x00, 0x25, 0x28, 0x2b, 0x43, 0x51, 0xa8, 0xad, 0xbe };
	static const uint8_t without[] = { 0x03, 0x12, 0x1b, 0x1e, 0x46, 0x4a, 0x5a, 0xbb, 0xbd };
	struct mmc_state st;
	size_t i;

	/* empty drive, tray closed: 3A/01 */
	CHECK_EQ(mmc_init(&st, NULL, 0), 0);
	CHECK(!mmc_medium_ready(&st));
	CHECK_EQ(mmc_sectors512(&st), 0);
	for (i = 0; i < sizeof(need); i++) {
		CHECK_EQ(mmc_op_flags(need[i]) & MMC_F_NEED_MEDIUM, MMC_F_NEED_MEDIUM);
		run(&st, CDB(need[i]), sizeof(buf));
		CHECK_SENSE(2, 0x3a, 1);
	}
	for (i = 0; i < sizeof(without); i++) {
		CHECK_EQ(mmc_op_flags(without[i]) & MMC_F_NEED_MEDIUM, 0);
		CHECK(mmc_op_flags(without[i]) & MMC_F_SUPPORTED);
	}
	/* tray open: 3A/02 */
	CHECK_EQ(mmc_media_eject(&st, 0), 0);
	run(&st, CDB(0x00), 0);
	CHECK_SENSE(2, 0x3a, 2);
	run(&st, CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 1), sizeof(buf));
	CHECK_SENSE(2, 0x3a, 2);
}

/* ---- reads ---- */

static void test_read10_12(void)
{
	struct mmc_state st;

	cd(&st);
	CHECK_EQ(run(&st, CDB(0x28, 0, 0, 0, 0x01, 0x00, 0, 0, 1), 3976), MMC_NEED_READ);
	CHECK_EQ(c.plan.offset, 256 * 2048);
	CHECK_EQ(c.plan.length, 2048);
	CHECK_EQ(c.plan.lba, 256);
	CHECK_EQ(c.plan.nblocks, 1);
	CHECK_EQ(c.plan.block_size, 2048);
	CHECK_EQ(c.data_len, 0);
	fake_read(&c.plan, buf);
	CHECK_EQ(mmc_read_done(&st, &c, 0), 0);
	CHECK_GOOD();
	CHECK_EQ(c.data_len, 2048);
	CHECK_EQ(buf[0], 0);
	CHECK_EQ(buf[5], 5);
	/* READ(12), last block; several blocks in a larger buffer */
	CHECK_EQ(run(&st, CDB(0xa8, 0, 0, 0, 0x03, 0xe7, 0, 0, 0, 1), 3976), MMC_NEED_READ);
	CHECK_EQ(c.plan.lba, 999);
	CHECK_EQ(run(&st, CDB(0x28, 0, 0, 0, 0, 10, 0, 0, 4), sizeof(buf)), MMC_NEED_READ);
	CHECK_EQ(c.plan.length, 4 * 2048);
	/* zero blocks: nothing to do */
	CHECK_EQ(run(&st, CDB(0x28, 0, 0, 0, 0, 10, 0, 0, 0), 3976), MMC_DONE);
	CHECK_GOOD();
	CHECK_EQ(c.data_len, 0);
	/* out of range: past the end, and u32 overflow of lba + n */
	run(&st, CDB(0x28, 0, 0, 0, 0x03, 0xe8, 0, 0, 1), 3976);
	CHECK_SENSE(5, 0x21, 0);
	run(&st, CDB(0x28, 0, 0, 0, 0x03, 0xe7, 0, 0, 2), sizeof(buf));
	CHECK_SENSE(5, 0x21, 0);
	run(&st, CDB(0xa8, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2), sizeof(buf));
	CHECK_SENSE(5, 0x21, 0);
	run(&st, CDB(0xa8, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff), sizeof(buf));
	CHECK_SENSE(5, 0x21, 0);
	/* more than the buffer holds: refused, not cut */
	run(&st, CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 2), 3976);
	CHECK_SENSE(5, 0x24, 0);
	run(&st, CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 1), 2047);
	CHECK_SENSE(5, 0x24, 0);
	/* I/O errors */
	run(&st, CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 1), 3976);
	CHECK_EQ(mmc_read_done(&st, &c, -EIO), 0);
	CHECK_SENSE(3, 0x11, 0);
	run(&st, CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 1), 3976);
	CHECK_EQ(mmc_read_done(&st, &c, -ENOMEDIUM), 0);
	CHECK_SENSE(2, 0x3a, 0);
	/* read_done without a plan */
	run(&st, CDB(0x00), 0);
	CHECK_EQ(mmc_read_done(&st, &c, 0), -EINVAL);
	/* SEEK */
	run(&st, CDB(0x2b, 0, 0, 0, 0x03, 0xe7), 0);
	CHECK_GOOD();
	run(&st, CDB(0x2b, 0, 0, 0, 0x03, 0xe8), 0);
	CHECK_SENSE(5, 0x21, 0);
	run(&st, CDB(0xbb, 0, 0xff, 0xff), 0);
	CHECK_GOOD();
}

static void test_read_during_change(void)
{
	struct mmc_state st;

	/* eject while the read is in flight: not ready */
	cd(&st);
	CHECK_EQ(run(&st, CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 1), 3976), MMC_NEED_READ);
	CHECK_EQ(mmc_media_eject(&st, 0), 0);
	fake_read(&c.plan, buf);
	CHECK_EQ(mmc_read_done(&st, &c, 0), 0);
	CHECK_SENSE(2, 0x3a, 2);
	/* eject + insert: the old disc's data must not pass */
	cd(&st);
	CHECK_EQ(run(&st, CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 1), 3976), MMC_NEED_READ);
	CHECK_EQ(mmc_media_eject(&st, 0), 0);
	CHECK_EQ(mmc_media_insert(&st, CD_SIZE), 0);
	CHECK_EQ(mmc_read_done(&st, &c, 0), 0);
	CHECK_SENSE(6, 0x28, 0);
	run(&st, CDB(0x00), 0);		/* unit attention already reported */
	CHECK_GOOD();
}

static void test_read_cd(void)
{
	static const uint8_t sync[12] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0xff, 0xff, 0xff, 0xff, 0xff, 0 };
	struct mmc_state st;
	uint32_t b, i;
	size_t bad = 0;

	cd(&st);
	/* user data only */
	CHECK_EQ(run(&st, CDB(0xbe, 0, 0, 0, 0, 5, 0, 0, 1, 0x10), 3976), MMC_NEED_READ);
	CHECK_EQ(c.plan.block_size, 2048);
	/* raw, one sector in a packet-sized buffer */
	CHECK_EQ(run(&st, CDB(0xbe, 0, 0, 0, 0x03, 0xe8 - 1, 0, 0, 1, 0xf8), 3976),
		 MMC_NEED_READ);
	CHECK_EQ(c.plan.block_size, 2352);
	CHECK_EQ(c.plan.length, 2048);
	fake_read(&c.plan, buf);
	CHECK_EQ(mmc_read_done(&st, &c, 0), 0);
	CHECK_GOOD();
	CHECK_EQ(c.data_len, 2352);
	CHECK(!memcmp(buf, sync, 12));
	/* LBA 999 + 150 = 1149 frames = 00:15:24, BCD; mode 1 */
	CHECK_EQ(buf[12], 0x00);
	CHECK_EQ(buf[13], 0x15);
	CHECK_EQ(buf[14], 0x24);
	CHECK_EQ(buf[15], 0x01);
	CHECK_EQ(buf[16], (uint8_t)999);
	CHECK_EQ(buf[16 + 2047], (uint8_t)(999 + 2047));
	for (i = 2064; i < 2352; i++)
		bad += buf[i] != 0;
	CHECK_EQ(bad, 0);

	/* several raw sectors, spread out in place */
	CHECK_EQ(run(&st, CDB(0xbe, 0x08, 0, 0, 0x02, 0x71, 0, 0, 5, 0xf8), sizeof(buf)),
		 MMC_NEED_READ);
	CHECK_EQ(c.plan.lba, 625);
	fake_read(&c.plan, buf);
	CHECK_EQ(mmc_read_done(&st, &c, 0), 0);
	CHECK_EQ(c.data_len, 5 * 2352);
	bad = 0;
	for (b = 0; b < 5; b++) {
		const uint8_t *s = buf + b * 2352;
		uint32_t f = 625 + b + 150;

		bad += memcmp(s, sync, 12) != 0;
		bad += s[12] != (uint8_t)((f / 4500 / 10) << 4 | (f / 4500 % 10));
		bad += s[13] != (uint8_t)((f / 75 % 60 / 10) << 4 | (f / 75 % 60 % 10));
		bad += s[14] != (uint8_t)((f % 75 / 10) << 4 | (f % 75 % 10));
		bad += s[15] != 1;
		for (i = 0; i < 2048; i++)
			bad += s[16 + i] != (uint8_t)(625 + b + i);
		for (i = 2064; i < 2352; i++)
			bad += s[i] != 0;
	}
	CHECK_EQ(bad, 0);
	/* LBA 0 is 00:02:00 */
	run(&st, CDB(0xbe, 0, 0, 0, 0, 0, 0, 0, 1, 0xf8), 3976);
	fake_read(&c.plan, buf);
	mmc_read_done(&st, &c, 0);
	CHECK_EQ(buf[12], 0x00);
	CHECK_EQ(buf[13], 0x02);
	CHECK_EQ(buf[14], 0x00);

	/* two raw sectors do not fit a packet */
	run(&st, CDB(0xbe, 0, 0, 0, 0, 0, 0, 0, 2, 0xf8), 3976);
	CHECK_SENSE(5, 0x24, 0);
	/* nothing selected, zero length */
	CHECK_EQ(run(&st, CDB(0xbe, 0, 0, 0, 0, 0, 0, 0, 1, 0x00), 3976), MMC_DONE);
	CHECK_GOOD();
	CHECK_EQ(run(&st, CDB(0xbe, 0, 0, 0, 0, 0, 0, 0, 0, 0xf8), 3976), MMC_DONE);
	CHECK_GOOD();
	/* unsupported selections, C2, sub-channel, sector type */
	run(&st, CDB(0xbe, 0, 0, 0, 0, 0, 0, 0, 1, 0x78), 3976);
	CHECK_SENSE(5, 0x24, 0);
	run(&st, CDB(0xbe, 0, 0, 0, 0, 0, 0, 0, 1, 0xfa), 3976);
	CHECK_SENSE(5, 0x24, 0);
	run(&st, CDB(0xbe, 0, 0, 0, 0, 0, 0, 0, 1, 0x10, 0x01), 3976);
	CHECK_SENSE(5, 0x24, 0);
	run(&st, CDB(0xbe, 0x04, 0, 0, 0, 0, 0, 0, 1, 0x10), 3976);
	CHECK_SENSE(5, 0x64, 0);
	run(&st, CDB(0xbe, 0, 0, 0, 0x03, 0xe8, 0, 0, 1, 0x10), 3976);
	CHECK_SENSE(5, 0x21, 0);
}

/* ---- media state machine and unit attention ---- */

static void test_unit_attention(void)
{
	struct mmc_state st;

	cd(&st);
	CHECK(!mmc_media_changed_take(&st));	/* there at power-on */
	run(&st, CDB(0x00), 0);
	CHECK_GOOD();

	CHECK_EQ(mmc_media_eject(&st, 0), 0);
	CHECK_EQ(mmc_media_insert(&st, CD_SIZE), 0);
	CHECK_EQ(st.ua.key, 6);
	/* allowed during the unit attention, which stays pending */
	run(&st, CDB(0x12, 0, 0, 0, 36), sizeof(buf));
	CHECK_GOOD();
	run(&st, CDB(0x46, 0, 0, 0, 0, 0, 0, 0, 8), sizeof(buf));
	CHECK_GOOD();
	run(&st, CDB(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8), sizeof(buf));
	CHECK_GOOD();
	/* first other command gets it, once */
	run(&st, CDB(0x00), 0);
	CHECK_SENSE(6, 0x28, 0);
	run(&st, CDB(0x00), 0);
	CHECK_GOOD();

	/* unit attention beats unknown opcode and not ready */
	CHECK_EQ(mmc_media_eject(&st, 0), 0);
	CHECK_EQ(mmc_media_insert(&st, CD_SIZE), 0);
	run(&st, CDB(0xff), 0);
	CHECK_SENSE(6, 0x28, 0);

	/* REQUEST SENSE reports and clears it */
	CHECK_EQ(mmc_media_eject(&st, 0), 0);
	CHECK_EQ(mmc_media_insert(&st, CD_SIZE), 0);
	run(&st, CDB(0x03, 0, 0, 0, 18), sizeof(buf));
	CHECK_GOOD();
	CHECK_EQ(buf[2], 6);
	CHECK_EQ(buf[12], 0x28);
	run(&st, CDB(0x25), sizeof(buf));
	CHECK_GOOD();

	/* reset */
	mmc_reset(&st);
	run(&st, CDB(0x25), sizeof(buf));
	CHECK_SENSE(6, 0x29, 0);
	run(&st, CDB(0x25), sizeof(buf));
	CHECK_GOOD();
}

static void test_media_state(void)
{
	struct mmc_state st;
	uint32_t gen;

	CHECK_EQ(mmc_init(&st, NULL, 0), 0);
	CHECK_EQ(st.tray_open, 0);
	CHECK_EQ(mmc_media_insert(&st, 100), -EINVAL);
	CHECK_EQ(mmc_media_insert(&st, (uint64_t)0xffffffff * 2048 + 2048), -EFBIG);
	CHECK(!st.loaded);
	CHECK_EQ(mmc_media_insert(&st, (uint64_t)0xffffffff * 2048), 0);
	CHECK_EQ(mmc_media_eject(&st, 1), 0);
	CHECK_EQ(mmc_init(&st, NULL, 100), -EINVAL);
	CHECK(!st.loaded);

	/* admin insert / eject */
	gen = st.generation;
	CHECK_EQ(mmc_media_insert(&st, CD_SIZE), 0);
	CHECK(mmc_medium_ready(&st));
	CHECK_EQ(mmc_sectors512(&st), CD_BLOCKS * 4);
	CHECK(st.generation != gen);
	CHECK_EQ(mmc_media_changed_take(&st), 1);
	CHECK_EQ(mmc_media_changed_take(&st), 0);
	CHECK_EQ(mmc_media_insert(&st, CD_SIZE), -EBUSY);
	CHECK_EQ(mmc_media_eject(&st, 0), 0);
	CHECK(!st.loaded);
	CHECK(st.tray_open);
	CHECK_EQ(mmc_media_changed_take(&st), 1);
	CHECK_EQ(mmc_media_eject(&st, 0), 0);	/* idempotent */
	CHECK_EQ(mmc_media_changed_take(&st), 0);

	/* guest: lock, eject refused, admin eject refused, forced works */
	CHECK_EQ(mmc_media_insert(&st, CD_SIZE), 0);
	run(&st, CDB(0x00), 0);			/* eat the unit attention */
	run(&st, CDB(0x1e, 0, 0, 0, 1), 0);
	CHECK(st.locked);
	run(&st, CDB(0x1b, 0, 0, 0, 0x02), 0);
	CHECK_SENSE(5, 0x53, 2);
	CHECK(mmc_medium_ready(&st));
	CHECK_EQ(mmc_media_eject(&st, 0), -EBUSY);
	CHECK(mmc_medium_ready(&st));
	CHECK_EQ(mmc_media_eject(&st, 1), 0);
	CHECK(!st.locked);
	CHECK(!st.loaded);

	/* locked without a medium, tray closed: 02/53/02 */
	run(&st, CDB(0x1b, 0, 0, 0, 0x03), 0);	/* close the tray */
	CHECK_GOOD();
	CHECK(!st.tray_open);
	run(&st, CDB(0x1e, 0, 0, 0, 1), 0);
	run(&st, CDB(0x1b, 0, 0, 0, 0x02), 0);
	CHECK_SENSE(2, 0x53, 2);
	run(&st, CDB(0x1e, 0, 0, 0, 0), 0);
	CHECK(!st.locked);

	/* guest eject and load of the same disc */
	CHECK_EQ(mmc_media_insert(&st, CD_SIZE), 0);
	run(&st, CDB(0x00), 0);
	mmc_media_changed_take(&st);
	gen = st.generation;
	run(&st, CDB(0x1b, 0, 0, 0, 0x02), 0);
	CHECK_GOOD();
	CHECK(st.loaded);
	CHECK(st.tray_open);
	CHECK(!mmc_medium_ready(&st));
	CHECK(st.generation != gen);
	CHECK_EQ(mmc_media_changed_take(&st), 1);
	run(&st, CDB(0x00), 0);
	CHECK_SENSE(2, 0x3a, 2);
	run(&st, CDB(0x1b, 0, 0, 0, 0x02), 0);	/* already open */
	CHECK_GOOD();
	run(&st, CDB(0x1b, 0, 0, 0, 0x03), 0);
	CHECK_GOOD();
	CHECK(mmc_medium_ready(&st));
	CHECK_EQ(mmc_media_changed_take(&st), 1);
	run(&st, CDB(0x00), 0);
	CHECK_SENSE(6, 0x28, 0);
	run(&st, CDB(0x00), 0);
	CHECK_GOOD();
	/* closing a closed tray, start without LoEj, power condition: no-ops */
	gen = st.generation;
	run(&st, CDB(0x1b, 0, 0, 0, 0x03), 0);
	run(&st, CDB(0x1b, 0, 0, 0, 0x01), 0);
	run(&st, CDB(0x1b, 0, 0, 0, 0x32), 0);
	CHECK_GOOD();
	CHECK(mmc_medium_ready(&st));
	CHECK_EQ(st.generation, gen);
	/* admin eject while the guest has the tray open */
	run(&st, CDB(0x1b, 0, 0, 0, 0x02), 0);
	CHECK_EQ(mmc_media_eject(&st, 0), 0);
	CHECK(!st.loaded);
	/* reset unlocks */
	CHECK_EQ(mmc_media_insert(&st, CD_SIZE), 0);
	run(&st, CDB(0x00), 0);
	run(&st, CDB(0x1e, 0, 0, 0, 1), 0);
	mmc_reset(&st);
	CHECK(!st.locked);
	CHECK_EQ(mmc_media_eject(&st, 0), 0);
}

/* ---- hostile CDBs ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void test_random_cdbs(void)
{
	static const uint8_t ops[] = { 0x00, 0x03, 0x12, 0x1b, 0x1e, 0x25, 0x28, 0x2b,
				       0x43, 0x46, 0x4a, 0x51, 0x5a, 0xa8, 0xad, 0xbb,
				       0xbd, 0xbe };
	static uint8_t data[8192 + 64];
	struct mmc_state st;
	unsigned i, j, bad = 0;

	cd(&st);
	for (i = 0; i < 200000; i++) {
		struct mmc_cmd k;
		uint32_t max = rnd() % 5 == 0 ? 0 : rnd() % 8193;
		int rc;

		memset(&k, 0, sizeof(k));
		for (j = 0; j < MMC_CDB_LEN; j++)
			k.cdb[j] = (uint8_t)rnd();
		if (rnd() % 4)
			k.cdb[0] = ops[rnd() % sizeof(ops)];
		if (rnd() % 3 == 0)	/* small lengths reach more code */
			k.cdb[2] = k.cdb[3] = k.cdb[4] = k.cdb[5] = k.cdb[6] = 0;
		memset(data + 8192, 0x5a, 64);
		k.data = max ? data : NULL;
		k.data_max = max;
		rc = mmc_exec(&st, &k);
		bad += k.data_len > max;
		if (rc == MMC_NEED_READ) {
			bad += (uint64_t)k.plan.nblocks * k.plan.block_size > max;
			bad += k.plan.offset + k.plan.length > st.blocks * 2048;
			bad += k.plan.length != k.plan.nblocks * 2048u;
			fake_read(&k.plan, data);
			bad += mmc_read_done(&st, &k, 0) != 0;
			bad += k.data_len > max;
		} else {
			bad += rc != MMC_DONE;
		}
		for (j = 8192; j < 8192 + 64; j++)
			bad += data[j] != 0x5a;
		switch (rnd() % 64) {
		case 0:
			mmc_media_eject(&st, rnd() & 1);
			break;
		case 1:
			mmc_media_insert(&st, (uint64_t)(rnd() % 3 ? CD_BLOCKS : DVD_BLOCKS) * 2048);
			break;
		case 2:
			mmc_reset(&st);
			break;
		}
	}
	CHECK_EQ(bad, 0);
}


int main(void)
{
	test_no_medium();
	test_read10_12();
	test_read_during_change();
	test_read_cd();
	test_unit_attention();
	test_media_state();
	test_random_cdbs();
	return check_exit("test-mmc-media");
}
