/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-proto: control-protocol frames (control/td-proto.c), as a hostile
 * or broken client may send them to tapdisk, or a broken tapdisk to a
 * client: td_msg_frame_len -> td_msg_decode -> td_msg_encode -> decode.
 *
 * Invariants: frame_len agrees with decode about the header; whatever
 * decodes re-encodes (or is refused with -EINVAL for values the encoder
 * documents as out of range), and the re-encoded frame decodes again and
 * re-encodes to the same bytes (encode o decode is a fixed point after one
 * round). No read past the input (ASan), no huge allocations.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "td-proto.h"

static struct td_msg *m1, *m2;
static uint8_t *enc1, *enc2;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	m1 = calloc(1, sizeof(*m1));
	m2 = calloc(1, sizeof(*m2));
	enc1 = malloc(TD_PROTO_MAX_FRAME);
	enc2 = malloc(TD_PROTO_MAX_FRAME);
	FUZZ_CHECK(m1 && m2 && enc1 && enc2);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int flen, n1, n2, err, need;

	if (!m1)
		LLVMFuzzerInitialize(NULL, NULL);
	flen = td_msg_frame_len(data, size);
	FUZZ_CHECK(flen == 0 || flen == -EBADMSG || flen == -EPROTONOSUPPORT ||
		   (flen >= (int)TD_PROTO_HDR_SIZE &&
		    flen <= (int)TD_PROTO_MAX_FRAME));
	if (size < TD_PROTO_HDR_SIZE)
		FUZZ_CHECK(flen == 0);

	memset(m1, 0, sizeof(*m1));
	err = td_msg_decode(data, size, m1);
	FUZZ_CHECK(err == 0 || err == -EBADMSG || err == -EPROTONOSUPPORT);
	if (err == 0) {
		/* a frame that decodes has a valid header of exactly size bytes */
		FUZZ_CHECK(flen == (int)size);
	} else if (flen == (int)size && err == -EPROTONOSUPPORT) {
		FUZZ_CHECK(!"frame_len accepted a version decode refused");
	}
	if (err)
		return 0;
	FUZZ_CHECK(m1->nr_vbds <= TD_MAX_VBDS);

	need = td_msg_encode(m1, NULL, 0);
	n1 = td_msg_encode(m1, enc1, TD_PROTO_MAX_FRAME);
	FUZZ_CHECK(need == n1);
	if (n1 < 0) {
		/* decode takes values the encoder refuses to produce */
		FUZZ_CHECK(n1 == -EINVAL || n1 == -EMSGSIZE);
		return 0;
	}
	FUZZ_CHECK(n1 >= (int)TD_PROTO_HDR_SIZE && n1 <= (int)TD_PROTO_MAX_FRAME);
	FUZZ_CHECK(td_msg_frame_len(enc1, (size_t)n1) == n1);
	/* too small a buffer is refused, never overrun */
	FUZZ_CHECK(td_msg_encode(m1, enc2, (size_t)n1 - 1) == -ENOSPC);

	memset(m2, 0, sizeof(*m2));
	FUZZ_CHECK(td_msg_decode(enc1, (size_t)n1, m2) == 0);
	FUZZ_CHECK(m2->type == m1->type && m2->seq == m1->seq);
	FUZZ_CHECK(m2->present == m1->present && m2->nr_vbds == m1->nr_vbds);
	n2 = td_msg_encode(m2, enc2, TD_PROTO_MAX_FRAME);
	FUZZ_CHECK(n2 == n1);
	FUZZ_CHECK(memcmp(enc1, enc2, (size_t)n1) == 0);
	FUZZ_CHECK(td_msg_type_name(m1->type) != NULL);
	return 0;
}
