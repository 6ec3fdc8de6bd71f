/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * blkif-packet: codec of the SUSE CD-ROM packet page (see blkif-packet.h
 * and PROTOCOLS.md section 5).
 *
 * The layout comes from SUSE's xen/interface/io/cdromif.h: struct
 * xen_cdrom_{support,open,media_changed,packet} share the 4-byte type and
 * the s8 ret/err pair; a PACKET message is followed at its payload_offset
 * (12 in every frontend) by struct vcd_generic_command, then the 64-byte
 * struct request_sense and the data buffer. The frontend always puts the
 * command at 12, the sense at 56 and the data at 120 and reads them back
 * from there, whatever offsets it wrote, so the backend uses the fixed
 * offsets and ignores the guest's (a guest-supplied offset is exactly the
 * kind of field that turns into an out-of-page access).
 *
 * Nothing here casts the page to a C struct; every field is read and
 * written byte by byte, little-endian.
 */
#include <errno.h>
#include <string.h>

#include "blkif-packet.h"

/* Header, common to every type. */
#define OFF_TYPE 0
#define OFF_RET 4
#define OFF_ERR 5
#define OFF_FLAG6 6		/* supported / media_changed */

/* OPEN */
#define OFF_OPEN_PRESENT 7
#define OFF_OPEN_SECTORS 8
#define OFF_OPEN_SECTOR_SIZE 12
#define OFF_OPEN_PAYLOAD 16

/* PACKET: header, then vcd_generic_command at 12. */
#define OFF_PKT_PAYLOAD 8
#define OFF_CMD 12
#define OFF_BUFFER_OFFSET 28
#define OFF_BUFLEN 32
#define OFF_STAT 36
#define OFF_SENSE_OFFSET 40
#define OFF_DIRECTION 44
#define OFF_QUIET 48
#define OFF_TIMEOUT 52

static uint32_t get32(const uint8_t *p, unsigned off)
{
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
	       (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static void put32(uint8_t *p, unsigned off, uint32_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
	p[off + 2] = (uint8_t)(v >> 16);
	p[off + 3] = (uint8_t)(v >> 24);
}

static int known_type(uint32_t type)
{
	return type >= BLKIF_PKT_SUPPORT && type <= BLKIF_PKT_PACKET;
}

const char *blkif_pkt_type_name(uint32_t type)
{
	switch (type) {
	case BLKIF_PKT_SUPPORT:
		return "support";
	case BLKIF_PKT_OPEN:
		return "open";
	case BLKIF_PKT_MEDIA_CHANGED:
		return "media-changed";
	case BLKIF_PKT_PACKET:
		return "packet";
	default:
		return "?";
	}
}

int blkif_pkt_decode(const void *page, size_t len, struct blkif_pkt *out)
{
	const uint8_t *p = page;
	uint32_t type;

	memset(out, 0, sizeof(*out));
	if (!page || len < BLKIF_PKT_PAGE_SIZE)
		return -EINVAL;
	type = get32(p, OFF_TYPE);
	if (!known_type(type))
		return -EINVAL;
	out->type = type;
	if (type != BLKIF_PKT_PACKET)
		return 0;

	memcpy(out->cdb, p + OFF_CMD, BLKIF_PKT_CDB_LEN);
	out->buffer_offset_guest = get32(p, OFF_BUFFER_OFFSET);
	out->buflen_guest = get32(p, OFF_BUFLEN);
	out->buflen = out->buflen_guest > BLKIF_PKT_DATA_MAX ?
		      BLKIF_PKT_DATA_MAX : out->buflen_guest;
	out->stat = (int32_t)get32(p, OFF_STAT);
	out->sense_offset_guest = get32(p, OFF_SENSE_OFFSET);
	out->data_direction = p[OFF_DIRECTION];
	out->quiet = (int32_t)get32(p, OFF_QUIET);
	out->timeout = (int32_t)get32(p, OFF_TIMEOUT);
	out->data = p + BLKIF_PKT_DATA_OFF;
	return 0;
}

static void put_status(uint8_t *p, int8_t ret, int8_t err)
{
	p[OFF_RET] = (uint8_t)ret;
	p[OFF_ERR] = (uint8_t)err;
}

/* A negative errno that fits the s8 err field; -EIO otherwise. */
static int8_t err_s8(int err_neg)
{
	if (err_neg >= 0 || err_neg < -128)
		return (int8_t)-EIO;
	return (int8_t)err_neg;
}

void blkif_pkt_encode_support(void *page, int supported)
{
	uint8_t *p = page;

	put_status(p, 0, 0);
	p[OFF_FLAG6] = supported ? 1 : 0;
}

void blkif_pkt_encode_open(void *page, int media_present, uint64_t sectors,
			   uint32_t sector_size)
{
	uint8_t *p = page;

	put_status(p, 0, 0);
	p[OFF_FLAG6] = 0;	/* pad */
	p[OFF_OPEN_PRESENT] = media_present ? 1 : 0;
	put32(p, OFF_OPEN_SECTORS,
	      sectors > UINT32_MAX ? UINT32_MAX : (uint32_t)sectors);
	put32(p, OFF_OPEN_SECTOR_SIZE, sector_size);
}

void blkif_pkt_encode_media_changed(void *page, int changed)
{
	uint8_t *p = page;

	put_status(p, 0, 0);
	p[OFF_FLAG6] = changed ? 1 : 0;
}

void blkif_pkt_encode_error(void *page, int err_neg)
{
	put_status(page, -1, err_s8(err_neg));
}

size_t blkif_pkt_encode_packet(void *page, const struct blkif_pkt_answer *a)
{
	uint8_t *p = page;
	size_t sense_len = a->sense ? a->sense_len : 0;
	size_t buflen = a->buflen > BLKIF_PKT_DATA_MAX ? BLKIF_PKT_DATA_MAX : a->buflen;
	size_t data_len = a->data ? a->data_len : 0;

	if (a->err)
		put_status(p, -1, err_s8(a->err));
	else
		put_status(p, 0, 0);
	put32(p, OFF_STAT, (uint32_t)a->stat);

	if (sense_len > BLKIF_PKT_SENSE_LEN)
		sense_len = BLKIF_PKT_SENSE_LEN;
	memset(p + BLKIF_PKT_SENSE_OFF, 0, BLKIF_PKT_SENSE_LEN);
	if (sense_len)
		memcpy(p + BLKIF_PKT_SENSE_OFF, a->sense, sense_len);

	if (data_len > buflen)
		data_len = buflen;
	/* memmove: the data may already sit in this page (encode in place). */
	if (data_len && a->data != p + BLKIF_PKT_DATA_OFF)
		memmove(p + BLKIF_PKT_DATA_OFF, a->data, data_len);
	memset(p + BLKIF_PKT_DATA_OFF + data_len, 0,
	       BLKIF_PKT_DATA_MAX - data_len);
	return data_len;
}

/* ---- frontend side ---- */

void blkif_pkt_encode_request(void *page, const struct blkif_pkt *r,
			      const char *open_path)
{
	uint8_t *p = page;
	uint32_t buflen;

	memset(p, 0, BLKIF_PKT_PAGE_SIZE);
	put32(p, OFF_TYPE, r->type);
	if (r->type == BLKIF_PKT_OPEN) {
		put32(p, OFF_OPEN_PAYLOAD, BLKIF_PKT_OPEN_PAYLOAD_OFF);
		if (open_path) {
			size_t n = strlen(open_path);
			size_t room = BLKIF_PKT_PAGE_SIZE -
				      BLKIF_PKT_OPEN_PAYLOAD_OFF - 1;

			memcpy(p + BLKIF_PKT_OPEN_PAYLOAD_OFF, open_path,
			       n > room ? room : n);
		}
		return;
	}
	if (r->type != BLKIF_PKT_PACKET)
		return;

	buflen = r->buflen > BLKIF_PKT_DATA_MAX ? BLKIF_PKT_DATA_MAX : r->buflen;
	put32(p, OFF_PKT_PAYLOAD, OFF_CMD);
	memcpy(p + OFF_CMD, r->cdb, BLKIF_PKT_CDB_LEN);
	put32(p, OFF_STAT, (uint32_t)r->stat);
	put32(p, OFF_SENSE_OFFSET, BLKIF_PKT_SENSE_OFF);
	p[OFF_DIRECTION] = r->data_direction;
	put32(p, OFF_QUIET, (uint32_t)r->quiet);
	put32(p, OFF_TIMEOUT, (uint32_t)r->timeout);
	if (buflen) {
		put32(p, OFF_BUFFER_OFFSET, BLKIF_PKT_DATA_OFF);
		put32(p, OFF_BUFLEN, buflen);
		if (r->data)
			memcpy(p + BLKIF_PKT_DATA_OFF, r->data, buflen);
	}
}

void blkif_pkt_decode_reply(const void *page, uint32_t type,
			    struct blkif_pkt_reply *out)
{
	const uint8_t *p = page;

	memset(out, 0, sizeof(*out));
	out->ret = (int8_t)p[OFF_RET];
	out->err = (int8_t)p[OFF_ERR];
	switch (type) {
	case BLKIF_PKT_SUPPORT:
		out->supported = p[OFF_FLAG6];
		break;
	case BLKIF_PKT_MEDIA_CHANGED:
		out->media_changed = p[OFF_FLAG6];
		break;
	case BLKIF_PKT_OPEN:
		out->media_present = p[OFF_OPEN_PRESENT];
		out->sectors = get32(p, OFF_OPEN_SECTORS);
		out->sector_size = get32(p, OFF_OPEN_SECTOR_SIZE);
		break;
	case BLKIF_PKT_PACKET:
		out->stat = (int32_t)get32(p, OFF_STAT);
		out->sense = p + BLKIF_PKT_SENSE_OFF;
		out->data = p + BLKIF_PKT_DATA_OFF;
		break;
	default:
		break;
	}
}
