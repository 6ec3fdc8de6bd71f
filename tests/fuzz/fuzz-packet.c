/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-packet: BLKIF_OP_PACKET pages and the CDBs in them, through the pure
 * packet codec (tapdisk/blkif-packet.c) and the MMC drive emulation
 * (drivers/mmc.c), the way tapdisk chains them: decode the guest's page,
 * run the command, read what it planned, answer in the page.
 *
 * Input: [0] flags (bit 0: a disc at power-on), [1..8] image size in bytes
 * (LE, below 2^44), a 4 KiB packet page (zero-filled when short), then
 * command records: [admin][CDB, 12 bytes][data_max u16][io] where admin
 * is an operator action before the command (insert, eject, forced eject,
 * reset, MEDIA_CHANGED read) and io picks the result of a planned read and
 * whether the medium changes between the plan and the read.
 *
 * Invariants: mmc_exec answers GOOD or CHECK CONDITION and never produces
 * more data than the initiator's buffer (ASan: the buffer is exactly
 * data_max bytes); a read plan lies inside the disc and fits the buffer;
 * the packet answer never carries more than buflen bytes, zeroes the rest
 * of the page and decodes back to what was encoded.
 */
#include <errno.h>
#include <string.h>

#include "blkif-packet.h"
#include "fuzz.h"
#include "mmc.h"

#define PAGE BLKIF_PKT_PAGE_SIZE

struct run {
	struct mmc_state st;
	uint64_t size;
};

static void check_state(const struct mmc_state *st)
{
	FUZZ_CHECK(st->blocks <= MMC_MAX_BLOCKS);
	FUZZ_CHECK(!st->blocks || st->loaded);
	FUZZ_CHECK(memchr(st->serial, 0, sizeof(st->serial)) != NULL);
	if (mmc_medium_ready(st))
		FUZZ_CHECK(st->loaded && !st->tray_open &&
			   mmc_sectors512(st) == st->blocks * 4);
	else
		FUZZ_CHECK(mmc_sectors512(st) == 0 &&
			   mmc_current_profile(st) == MMC_PROFILE_NONE);
}

static void admin(struct run *r, uint8_t what)
{
	int rc;

	switch (what % 8) {
	case 1:
		rc = mmc_media_insert(&r->st, r->size);
		FUZZ_CHECK(rc == 0 || rc == -EBUSY || rc == -EINVAL || rc == -EFBIG);
		break;
	case 2:
	case 3:
		rc = mmc_media_eject(&r->st, what % 8 == 3);
		FUZZ_CHECK(rc == 0 || (rc == -EBUSY && what % 8 == 2));
		if (what % 8 == 3)
			FUZZ_CHECK(rc == 0 && !r->st.loaded && !r->st.locked);
		break;
	case 4:
		mmc_reset(&r->st);
		FUZZ_CHECK(!r->st.locked);
		break;
	case 5:
		rc = mmc_media_changed_take(&r->st);
		FUZZ_CHECK((rc == 0 || rc == 1) && !r->st.media_changed);
		break;
	}
	check_state(&r->st);
}

/* Run one command as tapdisk does; the outcome in c. */
static void exec(struct run *r, struct mmc_cmd *c, uint8_t io)
{
	const struct mmc_read_plan *p = &c->plan;
	uint32_t gen = r->st.generation;
	uint8_t sense[MMC_SENSE_LEN + 4];
	int rc;

	rc = mmc_exec(&r->st, c);
	FUZZ_CHECK(rc == MMC_DONE || rc == MMC_NEED_READ);
	if (rc == MMC_NEED_READ) {
		FUZZ_CHECK(mmc_op_flags(c->cdb[0]) & MMC_F_READ);
		FUZZ_CHECK(p->nblocks > 0 && p->generation == gen);
		FUZZ_CHECK((uint64_t)p->lba + p->nblocks <= r->st.blocks);
		FUZZ_CHECK(p->offset == (uint64_t)p->lba * MMC_BLOCK);
		FUZZ_CHECK(p->length == (uint64_t)p->nblocks * MMC_BLOCK);
		FUZZ_CHECK(p->block_size == MMC_BLOCK || p->block_size == MMC_RAW_BLOCK);
		FUZZ_CHECK((uint64_t)p->nblocks * p->block_size <= c->data_max);
		FUZZ_CHECK(p->offset + p->length <= r->size);
		memset(c->data, 0x5a, p->length);	/* "the image" */
		if (io & 0x10)
			admin(r, io >> 5);	/* the disc moves under the read */
		rc = mmc_read_done(&r->st, c, (io & 3) == 1 ? -EIO :
					       (io & 3) == 2 ? -ENOMEDIUM : 0);
		FUZZ_CHECK(rc == 0);
		if (c->status == MMC_GOOD)
			FUZZ_CHECK(c->data_len == p->nblocks * p->block_size &&
				   r->st.generation == p->generation);
	}
	FUZZ_CHECK(c->status == MMC_GOOD || c->status == MMC_CHECK_CONDITION);
	FUZZ_CHECK(c->data_len <= c->data_max);
	if (c->status == MMC_CHECK_CONDITION)
		FUZZ_CHECK(c->sense.key != MMC_KEY_NO_SENSE);
	FUZZ_CHECK(mmc_sense_fixed(&c->sense, sense, sizeof(sense)) == MMC_SENSE_LEN);
	FUZZ_CHECK(mmc_sense_fixed(&c->sense, sense, 5) == 5);
	check_state(&r->st);
}

/* The packet page: decode, serve, answer, and read the answer back. */
static void packet_page(struct run *r, uint8_t *page)
{
	struct blkif_pkt_answer a;
	struct blkif_pkt_reply rep;
	uint8_t sense[MMC_SENSE_LEN];
	struct blkif_pkt pkt;
	struct mmc_cmd c;
	uint8_t *data;
	size_t n, i;
	int rc;

	FUZZ_CHECK(blkif_pkt_decode(page, PAGE - 1, &pkt) == -EINVAL);
	rc = blkif_pkt_decode(page, PAGE, &pkt);
	if (rc < 0) {
		FUZZ_CHECK(rc == -EINVAL);
		blkif_pkt_encode_error(page, -EINVAL);
		blkif_pkt_decode_reply(page, BLKIF_PKT_PACKET, &rep);
		FUZZ_CHECK(rep.ret == -1 && rep.err == -EINVAL);
		return;
	}
	FUZZ_CHECK(strcmp(blkif_pkt_type_name(pkt.type), "?") != 0);
	switch (pkt.type) {
	case BLKIF_PKT_SUPPORT:
		blkif_pkt_encode_support(page, 1);
		blkif_pkt_decode_reply(page, pkt.type, &rep);
		FUZZ_CHECK(rep.ret == 0 && rep.supported == 1);
		return;
	case BLKIF_PKT_OPEN:
		blkif_pkt_encode_open(page, mmc_medium_ready(&r->st),
				      mmc_sectors512(&r->st), 2048);
		blkif_pkt_decode_reply(page, pkt.type, &rep);
		FUZZ_CHECK(rep.ret == 0 && rep.sector_size == 2048);
		FUZZ_CHECK(rep.media_present == !!mmc_medium_ready(&r->st));
		return;
	case BLKIF_PKT_MEDIA_CHANGED:
		rc = mmc_media_changed_take(&r->st);
		blkif_pkt_encode_media_changed(page, rc);
		blkif_pkt_decode_reply(page, pkt.type, &rep);
		FUZZ_CHECK(rep.ret == 0 && rep.media_changed == rc);
		return;
	}
	FUZZ_CHECK(pkt.type == BLKIF_PKT_PACKET);
	FUZZ_CHECK(pkt.buflen <= BLKIF_PKT_DATA_MAX);
	data = malloc(pkt.buflen ? pkt.buflen : 1);
	FUZZ_CHECK(data != NULL);
	memset(&c, 0, sizeof(c));
	memcpy(c.cdb, pkt.cdb, MMC_CDB_LEN);
	c.data = data;
	c.data_max = pkt.buflen;
	exec(r, &c, 0);
	memset(&a, 0, sizeof(a));
	a.err = c.status == MMC_GOOD ? 0 : -EIO;
	a.stat = c.status;
	mmc_sense_fixed(&c.sense, sense, sizeof(sense));
	a.sense = c.status == MMC_GOOD ? NULL : sense;
	a.sense_len = a.sense ? sizeof(sense) : 0;
	a.data = data;
	a.data_len = c.data_len;
	a.buflen = pkt.buflen;
	n = blkif_pkt_encode_packet(page, &a);
	FUZZ_CHECK(n == c.data_len && n <= pkt.buflen);
	FUZZ_CHECK(!memcmp(page + BLKIF_PKT_DATA_OFF, data, n));
	for (i = BLKIF_PKT_DATA_OFF + n; i < PAGE; i++)
		FUZZ_CHECK(page[i] == 0);
	blkif_pkt_decode_reply(page, BLKIF_PKT_PACKET, &rep);
	FUZZ_CHECK(rep.stat == c.status && rep.ret == (c.status ? -1 : 0));
	FUZZ_CHECK(rep.err == (c.status ? -EIO : 0));
	free(data);
}

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
	struct fuzz_in in = { input, size };
	uint8_t *page = malloc(PAGE), flags;
	struct run r;
	unsigned k;
	int rc;

	FUZZ_CHECK(page != NULL);
	memset(&r, 0, sizeof(r));
	flags = fuzz_u8(&in);
	r.size = fuzz_le(&in, 8) & ((1ull << 44) - 1);
	rc = mmc_init(&r.st, "FUZZ-SERIAL-0123456789-TOO-LONG",
		      flags & 1 ? r.size : 0);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -EFBIG);
	check_state(&r.st);
	fuzz_bytes(&in, page, PAGE);
	packet_page(&r, page);

	for (k = 0; k < 64 && in.n; k++) {
		struct mmc_cmd c;
		uint8_t adm = fuzz_u8(&in), io;
		uint32_t max;
		uint8_t *data;

		memset(&c, 0, sizeof(c));
		fuzz_bytes(&in, c.cdb, MMC_CDB_LEN);
		max = (uint32_t)fuzz_le(&in, 2);
		io = fuzz_u8(&in);
		admin(&r, adm);
		data = malloc(max ? max : 1);
		FUZZ_CHECK(data != NULL);
		c.data = max ? data : NULL;
		c.data_max = max;
		exec(&r, &c, io);
		free(data);
	}
	free(page);
	return 0;
}
