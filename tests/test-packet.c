/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for tapdisk/blkif-packet.c: the SUSE CD-ROM packet page.
 *
 * The offsets are written out a second time here, from SUSE's
 * xen/interface/io/cdromif.h (struct xen_cdrom_*, vcd_generic_command,
 * struct request_sense), and checked against hand-built pages, so that an
 * offset bug shared by encoder and decoder cannot hide behind a round
 * trip. Hostile pages: unknown types, huge buflen, bogus guest offsets,
 * stale bytes in the data tail. Last, one packet goes all the way through
 * the MMC emulation (decode, mmc_exec, encode, frontend decode).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "blkif-packet.h"
#include "mmc.h"
#include "check.h"

static uint8_t page[4096];

static void putle(uint8_t *b, unsigned off, uint32_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
	b[off + 2] = (uint8_t)(v >> 16);
	b[off + 3] = (uint8_t)(v >> 24);
}

static uint32_t getle(const uint8_t *b, unsigned off)
{
	return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 |
	       (uint32_t)b[off + 2] << 16 | (uint32_t)b[off + 3] << 24;
}

static size_t nonzero(const uint8_t *p, size_t from, size_t to)
{
	size_t n = 0;

	for (; from < to; from++)
		n += p[from] != 0;
	return n;
}

static void test_constants(void)
{
	CHECK_EQ(BLKIF_PKT_SUPPORT, ('c' << 8) | 1);
	CHECK_EQ(BLKIF_PKT_PACKET, ('c' << 8) | 4);
	CHECK_EQ(BLKIF_PKT_SENSE_OFF, 12 + 44);
	CHECK_EQ(BLKIF_PKT_DATA_OFF, 12 + 44 + 64);
	CHECK_EQ(BLKIF_PKT_DATA_MAX, 4096 - 120);
	CHECK(!strcmp(blkif_pkt_type_name(BLKIF_PKT_SUPPORT), "support"));
	CHECK(!strcmp(blkif_pkt_type_name(BLKIF_PKT_OPEN), "open"));
	CHECK(!strcmp(blkif_pkt_type_name(BLKIF_PKT_MEDIA_CHANGED), "media-changed"));
	CHECK(!strcmp(blkif_pkt_type_name(BLKIF_PKT_PACKET), "packet"));
	CHECK(!strcmp(blkif_pkt_type_name(7), "?"));
}

/* A PACKET page as the SUSE frontend lays it out, by hand. */
static void hand_packet(uint8_t *p, uint32_t buflen, uint32_t buf_off, uint32_t sense_off)
{
	unsigned i;

	memset(p, 0, 4096);
	putle(p, 0, 0x6304);
	putle(p, 8, 12);			/* payload_offset */
	for (i = 0; i < 12; i++)
		p[12 + i] = (uint8_t)(0xa0 + i);	/* cmd */
	putle(p, 28, buf_off);
	putle(p, 32, buflen);
	putle(p, 36, 0xfffffffb);		/* stat */
	putle(p, 40, sense_off);
	p[44] = 2;				/* data_direction: read */
	putle(p, 48, 1);			/* quiet */
	putle(p, 52, 6000);			/* timeout */
	memset(p + 120, 0x77, 3976);
}

static void test_decode_packet(void)
{
	struct blkif_pkt k;
	unsigned i;

	hand_packet(page, 2048, 120, 56);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), 0);
	CHECK_EQ(k.type, BLKIF_PKT_PACKET);
	for (i = 0; i < 12; i++)
		CHECK_EQ(k.cdb[i], 0xa0 + i);
	CHECK_EQ(k.buflen, 2048);
	CHECK_EQ(k.buflen_guest, 2048);
	CHECK_EQ(k.stat, -5);
	CHECK_EQ(k.data_direction, BLKIF_PKT_DIR_READ);
	CHECK_EQ(k.quiet, 1);
	CHECK_EQ(k.timeout, 6000);
	CHECK(k.data == page + 120);

	/* hostile: buflen too large is clamped, guest offsets ignored */
	hand_packet(page, 0xffffffff, 4090, 0x7ffffff0);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), 0);
	CHECK_EQ(k.buflen, 3976);
	CHECK_EQ(k.buflen_guest, 0xffffffff);
	CHECK_EQ(k.buffer_offset_guest, 4090);
	CHECK_EQ(k.sense_offset_guest, 0x7ffffff0);
	CHECK(k.data == page + 120);
	hand_packet(page, 3977, 0, 0);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), 0);
	CHECK_EQ(k.buflen, 3976);
	hand_packet(page, 3976, 0, 0);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), 0);
	CHECK_EQ(k.buflen, 3976);
}

static void test_decode_others(void)
{
	struct blkif_pkt k;
	uint8_t copy[4096];

	memset(page, 0x5c, sizeof(page));
	putle(page, 0, 0x6302);		/* OPEN with a path payload */
	putle(page, 16, 20);
	memcpy(page + 20, "backend/vbd3/1/768", 19);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), 0);
	CHECK_EQ(k.type, BLKIF_PKT_OPEN);
	CHECK_EQ(k.buflen, 0);
	CHECK(k.data == NULL);
	putle(page, 0, 0x6301);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), 0);
	putle(page, 0, 0x6303);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), 0);
	CHECK_EQ(k.type, BLKIF_PKT_MEDIA_CHANGED);

	/* unknown types; the page is never written by decode */
	memcpy(copy, page, sizeof(page));
	putle(page, 0, 0x6300);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), -EINVAL);
	putle(page, 0, 0x6305);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), -EINVAL);
	putle(page, 0, 0x00016304);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), -EINVAL);
	putle(page, 0, 4);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), -EINVAL);
	CHECK_EQ(k.type, 0);
	CHECK(!memcmp(page + 4, copy + 4, sizeof(page) - 4));
	/* short buffer */
	putle(page, 0, 0x6304);
	CHECK_EQ(blkif_pkt_decode(page, 4095, &k), -EINVAL);
	CHECK_EQ(blkif_pkt_decode(NULL, 4096, &k), -EINVAL);
}

static void test_encode_answers(void)
{
	struct blkif_pkt_reply r;
	struct blkif_pkt q;

	/* SUPPORT, as the frontend asks and reads it */
	memset(&q, 0, sizeof(q));
	q.type = BLKIF_PKT_SUPPORT;
	memset(page, 0xaa, sizeof(page));
	blkif_pkt_encode_request(page, &q, NULL);
	CHECK_EQ(getle(page, 0), 0x6301);
	CHECK_EQ(nonzero(page, 4, 4096), 0);
	memset(page + 7, 0xaa, 4096 - 7);
	blkif_pkt_encode_support(page, 1);
	CHECK_EQ(page[4], 0);
	CHECK_EQ(page[5], 0);
	CHECK_EQ(page[6], 1);
	CHECK_EQ(getle(page, 0), 0x6301);
	CHECK_EQ(page[7], 0xaa);	/* nothing else touched */
	blkif_pkt_decode_reply(page, BLKIF_PKT_SUPPORT, &r);
	CHECK_EQ(r.supported, 1);
	CHECK_EQ(r.ret, 0);
	blkif_pkt_encode_support(page, 0);
	CHECK_EQ(page[6], 0);

	/* OPEN: payload left alone; sectors clamped */
	memset(page, 0xaa, sizeof(page));
	blkif_pkt_encode_open(page, 1, 4000, 2048);
	CHECK_EQ(page[4], 0);
	CHECK_EQ(page[5], 0);
	CHECK_EQ(page[6], 0);
	CHECK_EQ(page[7], 1);
	CHECK_EQ(getle(page, 8), 4000);
	CHECK_EQ(getle(page, 12), 2048);
	CHECK_EQ(page[16], 0xaa);
	CHECK_EQ(page[20], 0xaa);
	blkif_pkt_encode_open(page, 0, UINT64_C(1) << 40, 2048);
	CHECK_EQ(page[7], 0);
	CHECK_EQ(getle(page, 8), 0xffffffff);
	blkif_pkt_decode_reply(page, BLKIF_PKT_OPEN, &r);
	CHECK_EQ(r.ret, 0);
	CHECK_EQ(r.sectors, 0xffffffff);
	CHECK_EQ(r.sector_size, 2048);

	/* MEDIA_CHANGED */
	memset(page, 0xaa, sizeof(page));
	blkif_pkt_encode_media_changed(page, 5);
	CHECK_EQ(page[6], 1);
	blkif_pkt_decode_reply(page, BLKIF_PKT_MEDIA_CHANGED, &r);
	CHECK_EQ(r.media_changed, 1);
	blkif_pkt_decode_reply(page, 0x1234, &r);
	CHECK_EQ(r.media_changed, 0);
	CHECK_EQ(r.ret, 0);
	blkif_pkt_encode_media_changed(page, 0);
	CHECK_EQ(page[6], 0);
	CHECK_EQ(page[4], 0);

	/* errors: negative errno as s8, anything else -EIO */
	blkif_pkt_encode_error(page, -ENODEV);
	CHECK_EQ((int8_t)page[4], -1);
	CHECK_EQ((int8_t)page[5], -ENODEV);
	blkif_pkt_encode_error(page, -1000);
	CHECK_EQ((int8_t)page[5], -EIO);
	blkif_pkt_encode_error(page, 3);
	CHECK_EQ((int8_t)page[5], -EIO);
}

static void test_encode_packet(void)
{
	static const uint8_t sense[18] = { 0x70, 0, 0x05, 0, 0, 0, 0, 0x0a,
					   0, 0, 0, 0, 0x24, 0 };
	uint8_t data[4096];
	struct blkif_pkt_answer a;
	struct blkif_pkt_reply r;
	size_t n;

	/* GOOD with 36 bytes of a 96-byte buffer: tail zeroed to the end */
	hand_packet(page, 96, 120, 56);
	memset(page + 56, 0x66, 64);
	memset(data, 0x42, sizeof(data));
	memset(&a, 0, sizeof(a));
	a.data = data;
	a.data_len = 36;
	a.buflen = 96;
	n = blkif_pkt_encode_packet(page, &a);
	CHECK_EQ(n, 36);
	CHECK_EQ(page[4], 0);
	CHECK_EQ(page[5], 0);
	CHECK_EQ(getle(page, 36), 0);
	CHECK_EQ(nonzero(page, 56, 120), 0);
	CHECK_EQ(page[120], 0x42);
	CHECK_EQ(page[155], 0x42);
	CHECK_EQ(nonzero(page, 156, 4096), 0);
	CHECK_EQ(page[12], 0xa0);	/* CDB left alone */
	CHECK_EQ(getle(page, 0), 0x6304);

	/* data longer than buflen is cut; buflen beyond the page clamped */
	hand_packet(page, 10, 120, 56);
	a.data_len = 100;
	a.buflen = 10;
	CHECK_EQ(blkif_pkt_encode_packet(page, &a), 10);
	CHECK_EQ(nonzero(page, 130, 4096), 0);
	a.data_len = sizeof(data);
	a.buflen = 0xffffffff;
	CHECK_EQ(blkif_pkt_encode_packet(page, &a), 3976);
	CHECK_EQ(page[4095], 0x42);

	/* CHECK CONDITION: ret -1, err -EIO, sense, no data */
	hand_packet(page, 96, 120, 56);
	memset(&a, 0, sizeof(a));
	a.err = -EIO;
	a.stat = 2;
	a.sense = sense;
	a.sense_len = sizeof(sense);
	a.buflen = 96;
	CHECK_EQ(blkif_pkt_encode_packet(page, &a), 0);
	CHECK_EQ((int8_t)page[4], -1);
	CHECK_EQ((int8_t)page[5], -EIO);
	CHECK_EQ(getle(page, 36), 2);
	CHECK(!memcmp(page + 56, sense, sizeof(sense)));
	CHECK_EQ(nonzero(page, 56 + 18, 4096), 0);
	blkif_pkt_decode_reply(page, BLKIF_PKT_PACKET, &r);
	CHECK_EQ(r.ret, -1);
	CHECK_EQ(r.err, -EIO);
	CHECK_EQ(r.stat, 2);
	CHECK(r.sense == page + 56);
	CHECK(r.data == page + 120);
	/* sense longer than 64 is cut */
	a.sense = data;
	a.sense_len = 1000;
	blkif_pkt_encode_packet(page, &a);
	CHECK_EQ(page[56 + 63], 0x42);
	CHECK_EQ(page[120], 0);

	/* in place: data already at 120 of this page */
	hand_packet(page, 8, 120, 56);
	memset(&a, 0, sizeof(a));
	a.data = page + 120;
	a.data_len = 8;
	a.buflen = 8;
	CHECK_EQ(blkif_pkt_encode_packet(page, &a), 8);
	CHECK_EQ(page[127], 0x77);
	CHECK_EQ(page[128], 0);
}

static void test_roundtrip(void)
{
	struct blkif_pkt in, out;
	uint8_t data[64];
	unsigned i;

	memset(&in, 0, sizeof(in));
	in.type = BLKIF_PKT_PACKET;
	for (i = 0; i < 12; i++)
		in.cdb[i] = (uint8_t)(i * 17);
	in.buflen = sizeof(data);
	in.stat = 3;
	in.data_direction = BLKIF_PKT_DIR_WRITE;
	in.quiet = -1;
	in.timeout = 60;
	memset(data, 0x31, sizeof(data));
	in.data = data;
	memset(page, 0xff, sizeof(page));
	blkif_pkt_encode_request(page, &in, NULL);
	/* the wire, as the SUSE frontend writes it */
	CHECK_EQ(getle(page, 0), 0x6304);
	CHECK_EQ(getle(page, 8), 12);
	CHECK_EQ(page[12 + 11], 11 * 17);
	CHECK_EQ(getle(page, 28), 120);
	CHECK_EQ(getle(page, 32), 64);
	CHECK_EQ(getle(page, 40), 56);
	CHECK_EQ(page[44], 1);
	CHECK_EQ(page[120], 0x31);
	CHECK_EQ(page[184], 0);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &out), 0);
	CHECK(!memcmp(in.cdb, out.cdb, 12));
	CHECK_EQ(out.buflen, in.buflen);
	CHECK_EQ(out.stat, in.stat);
	CHECK_EQ(out.data_direction, in.data_direction);
	CHECK_EQ(out.quiet, in.quiet);
	CHECK_EQ(out.timeout, in.timeout);
	CHECK(!memcmp(out.data, data, sizeof(data)));

	/* OPEN with a path */
	memset(&in, 0, sizeof(in));
	in.type = BLKIF_PKT_OPEN;
	blkif_pkt_encode_request(page, &in, "backend/vbd3/3/5632");
	CHECK_EQ(getle(page, 16), 20);
	CHECK(!memcmp(page + 20, "backend/vbd3/3/5632", 20));
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &out), 0);
	CHECK_EQ(out.type, BLKIF_PKT_OPEN);
}

/* One INQUIRY and one READ(10) through decode -> mmc -> encode -> frontend. */
static void test_through_mmc(void)
{
	struct mmc_state st;
	struct blkif_pkt in, k;
	struct blkif_pkt_answer a;
	struct blkif_pkt_reply r;
	struct mmc_cmd cmd;
	uint8_t data[BLKIF_PKT_DATA_MAX], sense[MMC_SENSE_LEN];

	CHECK_EQ(mmc_init(&st, NULL, 4096 * 2048), 0);
	memset(&in, 0, sizeof(in));
	in.type = BLKIF_PKT_PACKET;
	in.cdb[0] = 0x12;
	in.cdb[4] = 36;
	in.buflen = 36;
	in.data_direction = BLKIF_PKT_DIR_READ;
	blkif_pkt_encode_request(page, &in, NULL);

	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), 0);
	memset(&cmd, 0, sizeof(cmd));
	memcpy(cmd.cdb, k.cdb, MMC_CDB_LEN);
	cmd.data = data;
	cmd.data_max = k.buflen;
	CHECK_EQ(mmc_exec(&st, &cmd), MMC_DONE);
	memset(&a, 0, sizeof(a));
	a.stat = cmd.status;
	a.data = data;
	a.data_len = cmd.data_len;
	a.buflen = k.buflen;
	blkif_pkt_encode_packet(page, &a);
	blkif_pkt_decode_reply(page, BLKIF_PKT_PACKET, &r);
	CHECK_EQ(r.ret, 0);
	CHECK_EQ(r.data[0], 0x05);
	CHECK_EQ(r.data[1], 0x80);
	CHECK(!memcmp(r.data + 8, "XENTAP  ", 8));

	/* READ(10) of a block past the end: CHECK CONDITION in the page */
	in.cdb[0] = 0x28;
	in.cdb[4] = 0x10;	/* LBA 4096 */
	in.cdb[5] = 0x00;
	in.cdb[8] = 1;
	in.buflen = 2048;
	blkif_pkt_encode_request(page, &in, NULL);
	CHECK_EQ(blkif_pkt_decode(page, sizeof(page), &k), 0);
	memcpy(cmd.cdb, k.cdb, MMC_CDB_LEN);
	cmd.data_max = k.buflen;
	CHECK_EQ(mmc_exec(&st, &cmd), MMC_DONE);
	CHECK_EQ(cmd.status, MMC_CHECK_CONDITION);
	mmc_sense_fixed(&cmd.sense, sense, sizeof(sense));
	memset(&a, 0, sizeof(a));
	a.err = -EIO;
	a.stat = cmd.status;
	a.sense = sense;
	a.sense_len = sizeof(sense);
	a.buflen = k.buflen;
	blkif_pkt_encode_packet(page, &a);
	blkif_pkt_decode_reply(page, BLKIF_PKT_PACKET, &r);
	CHECK_EQ(r.ret, -1);
	CHECK_EQ(r.err, -EIO);
	CHECK_EQ(r.sense[0], 0x70);
	CHECK_EQ(r.sense[2], 0x05);
	CHECK_EQ(r.sense[12], 0x21);
}

int main(void)
{
	test_constants();
	test_decode_packet();
	test_decode_others();
	test_encode_answers();
	test_encode_packet();
	test_roundtrip();
	test_through_mmc();
	return check_exit("test-packet");
}
