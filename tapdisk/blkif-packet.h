/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * blkif-packet: codec of the page carried by a BLKIF_OP_PACKET request
 * (SUSE's CD-ROM packet ABI, PROTOCOLS.md section 5), as pure functions.
 *
 * A packet request names one writable 4 KiB page. The page holds a typed
 * message; the backend answers inside the same page. Byte layout (all
 * integers little-endian, identical for 32- and 64-bit guests):
 *
 *   every type   0 type (u32)   4 ret (s8)   5 err (s8, negative errno)
 *   SUPPORT      6 supported (u8)
 *   OPEN         6 pad   7 media_present (u8)   8 sectors (u32, 512-byte
 *                units)   12 sector_size (u32)   16 payload_offset (s32)
 *                20.. payload (a xenstore path: guest-controlled, ignored)
 *   MEDIA_CHANGED 6 media_changed (u8)
 *   PACKET       6 pad[2]   8 payload_offset (s32, ignored)
 *                12 vcd_generic_command (44 bytes):
 *                   12 cmd[12] (the CDB)   24 pad[4]   28 buffer_offset
 *                   32 buflen   36 stat (s32)   40 sense_offset
 *                   44 data_direction (u8)   48 quiet (s32)   52 timeout
 *                56 sense (64 bytes, struct request_sense)
 *                120 data (at most 3976 bytes)
 *
 * Trust: the caller grant-copies the guest's page into private memory
 * first; decode reads each field of that private copy exactly once. The
 * guest's buffer_offset and sense_offset are recorded for logs but never
 * used: sense and data always live at the fixed offsets above, and buflen
 * is clamped to the 3976 bytes the page can hold. Encoders write into a
 * page buffer (normally the same private copy) that the caller copies
 * back; fields they do not own (type, CDB, the OPEN payload) are left as
 * they are.
 *
 * Frontend-side encoders/decoders (blkif_pkt_encode_request and
 * blkif_pkt_decode_reply) exist for the simulated guest and the tests, so
 * both ends share one definition of the layout.
 */
#ifndef XENTAP_BLKIF_PACKET_H
#define XENTAP_BLKIF_PACKET_H

#include <stddef.h>
#include <stdint.h>

/* Message types: Linux _IO('c', n). */
#define BLKIF_PKT_SUPPORT 0x6301
#define BLKIF_PKT_OPEN 0x6302
#define BLKIF_PKT_MEDIA_CHANGED 0x6303
#define BLKIF_PKT_PACKET 0x6304

#define BLKIF_PKT_PAGE_SIZE 4096u
#define BLKIF_PKT_CDB_LEN 12u
#define BLKIF_PKT_SENSE_OFF 56u
#define BLKIF_PKT_SENSE_LEN 64u
#define BLKIF_PKT_DATA_OFF 120u
#define BLKIF_PKT_DATA_MAX 3976u	/* 4096 - 12 - 44 - 64 */
#define BLKIF_PKT_OPEN_PAYLOAD_OFF 20u

/* vcd_generic_command.data_direction (Linux CGC_DATA_*). */
enum blkif_pkt_dir {
	BLKIF_PKT_DIR_UNKNOWN = 0,
	BLKIF_PKT_DIR_WRITE = 1,	/* guest -> backend (data at 120) */
	BLKIF_PKT_DIR_READ = 2,		/* backend -> guest */
	BLKIF_PKT_DIR_NONE = 3,
};

/*
 * A decoded request: a private copy of what the guest wrote. The PACKET
 * fields are zero for the other types.
 */
struct blkif_pkt {
	uint32_t type;			/* one of BLKIF_PKT_* (decode refuses others) */
	uint8_t cdb[BLKIF_PKT_CDB_LEN];
	uint32_t buflen;		/* clamped to BLKIF_PKT_DATA_MAX */
	uint32_t buflen_guest;		/* as written, for logs */
	uint32_t buffer_offset_guest;	/* as written; ignored (data is at 120) */
	uint32_t sense_offset_guest;	/* as written; ignored (sense is at 56) */
	int32_t stat;
	uint8_t data_direction;		/* enum blkif_pkt_dir, or what the guest wrote */
	int32_t quiet;
	int32_t timeout;
	/* Write-direction data: the first buflen bytes at page + 120 of the
	 * private copy decode was given (NULL for types other than PACKET).
	 * Valid as long as that copy is. */
	const uint8_t *data;
};

/*
 * Decode a private copy of a packet page (len must be at least
 * BLKIF_PKT_PAGE_SIZE). Returns 0, or -EINVAL for a short buffer or an
 * unknown type: the caller then answers BLKIF_RSP_ERROR and leaves the
 * guest's page alone. Pure.
 */
int blkif_pkt_decode(const void *page, size_t len, struct blkif_pkt *out);

/* Name of a type for log lines ("support", "open", ...; "?" if unknown). */
const char *blkif_pkt_type_name(uint32_t type);

/* Answer to SUPPORT: ret 0, err 0, supported@6. */
void blkif_pkt_encode_support(void *page, int supported);

/*
 * Answer to OPEN: ret 0, err 0, media_present@7, sectors@8 (512-byte
 * units, clamped to UINT32_MAX), sector_size@12. The payload is left alone.
 */
void blkif_pkt_encode_open(void *page, int media_present, uint64_t sectors,
			   uint32_t sector_size);

/* Answer to MEDIA_CHANGED: ret 0, err 0, media_changed@6 (0 or 1). The
 * read-and-clear of the flag is the caller's (mmc_media_changed_take). */
void blkif_pkt_encode_media_changed(void *page, int changed);

/*
 * Failure answer for any type: ret -1, err = err_neg (a negative errno;
 * anything that does not fit an int8 or is not negative becomes -EIO).
 */
void blkif_pkt_encode_error(void *page, int err_neg);

/* What the backend answers to a PACKET message. */
struct blkif_pkt_answer {
	int err;		/* 0, or a negative errno (-EIO on CHECK CONDITION) */
	int32_t stat;		/* SCSI status: 0 GOOD, 2 CHECK CONDITION */
	const uint8_t *sense;	/* sense bytes, may be NULL (all zero) */
	size_t sense_len;	/* clamped to BLKIF_PKT_SENSE_LEN */
	const uint8_t *data;	/* data-in bytes, may be NULL when data_len is 0 */
	size_t data_len;	/* clamped to buflen */
	uint32_t buflen;	/* the decoded (clamped) buflen of the request */
};

/*
 * Answer to PACKET: ret (0, or -1 when err != 0), err (int8), stat@36,
 * sense@56 (64 bytes, zero-padded), data@120 (data_len bytes, at most
 * buflen) and the rest of the page after the data zeroed, so nothing the
 * guest or an earlier answer left there goes back. Returns the number of
 * data bytes written.
 */
size_t blkif_pkt_encode_packet(void *page, const struct blkif_pkt_answer *a);

/* ---- frontend side (simulated guest, tests) ---- */

/*
 * Encode a request page the way the SUSE frontend does: zero the page,
 * write type; for PACKET the CDB, payload_offset 12, buffer_offset 120
 * and buflen when r->buflen != 0, sense_offset 56, stat, data_direction,
 * quiet, timeout, and r->buflen bytes of r->data (if not NULL) at 120;
 * for OPEN payload_offset 20 and the NUL-terminated path (may be NULL).
 * r->buflen is clamped to BLKIF_PKT_DATA_MAX.
 */
void blkif_pkt_encode_request(void *page, const struct blkif_pkt *r,
			      const char *open_path);

/* A decoded answer, as the frontend sees it. */
struct blkif_pkt_reply {
	int8_t ret;
	int8_t err;
	uint8_t supported;	/* SUPPORT */
	uint8_t media_changed;	/* MEDIA_CHANGED */
	uint8_t media_present;	/* OPEN */
	uint32_t sectors;	/* OPEN */
	uint32_t sector_size;	/* OPEN */
	int32_t stat;		/* PACKET */
	const uint8_t *sense;	/* PACKET: page + 56, 64 bytes */
	const uint8_t *data;	/* PACKET: page + 120 */
};

/* Decode the answer of the given type from a page (BLKIF_PKT_PAGE_SIZE
 * bytes). Pointers refer into page. */
void blkif_pkt_decode_reply(const void *page, uint32_t type,
			    struct blkif_pkt_reply *out);

#endif
