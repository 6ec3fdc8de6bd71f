/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-nbd-proto: the NBD wire format (tapdisk/nbd-proto.c).
 * 1. golden bytes of the greeting, option replies, INFO payloads, the
 *    EXPORT_NAME reply and simple replies (big-endian, spec values);
 * 2. request decoding, and nbd_req_check: one case per refusal (unknown
 *    command or flag, read-only, wrap-around, past the end, misaligned,
 *    too long) and the limits that must still pass;
 * 3. GO / INFO option data: valid, truncated, and lying lengths;
 * 4. a deterministic mutation loop over request headers and option data
 *    (run it under ASAN): every result is 0 or a spec error value.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "nbd-proto.h"

#define MIB (1u << 20)

static const struct nbd_export exp_rw = {
	.size = 64ull * MIB,
	.tflags = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA |
		  NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES,
	.min_block = 512,
	.pref_block = 4096,
	.max_block = NBD_MAX_PAYLOAD,
};

static void encode_req(uint8_t *b, uint32_t magic, uint16_t flags, uint16_t type,
		       uint64_t cookie, uint64_t off, uint32_t len)
{
	nbd_put32(b, magic);
	nbd_put16(b + 4, flags);
	nbd_put16(b + 6, type);
	nbd_put64(b + 8, cookie);
	nbd_put64(b + 16, off);
	nbd_put32(b + 24, len);
}

static uint32_t check(uint16_t type, uint16_t flags, uint64_t off, uint32_t len,
		      const struct nbd_export *e)
{
	struct nbd_req r = { .flags = flags, .type = type, .offset = off, .len = len };

	return nbd_req_check(&r, e);
}

static void test_golden(void)
{
	static const uint8_t greeting[] = { 'N', 'B', 'D', 'M', 'A', 'G', 'I', 'C',
					    'I', 'H', 'A', 'V', 'E', 'O', 'P', 'T',
					    0, 3 };
	static const uint8_t rep[] = { 0, 0x03, 0xe8, 0x89, 0x04, 0x55, 0x65, 0xa9,
				       0, 0, 0, 7, 0x80, 0, 0, 1, 0, 0, 0, 0 };
	static const uint8_t reply[] = { 0x67, 0x44, 0x66, 0x98, 0, 0, 0, 22,
					 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t b[160];
	int nz;

	nbd_greeting_encode(b);
	CHECK(!memcmp(b, greeting, sizeof(greeting)));
	CHECK_EQ(nbd_opt_reply_encode(b, NBD_OPT_GO, NBD_REP_ERR_UNSUP, 0), 20);
	CHECK(!memcmp(b, rep, sizeof(rep)));
	nbd_reply_encode(b, NBD_EINVAL, 0x0102030405060708ull);
	CHECK(!memcmp(b, reply, sizeof(reply)));

	CHECK_EQ(nbd_info_export_encode(b, &exp_rw), 12);
	CHECK_EQ(nbd_get16(b), NBD_INFO_EXPORT);
	CHECK_EQ(nbd_get64(b + 2), 64ull * MIB);
	CHECK_EQ(nbd_get16(b + 10), exp_rw.tflags);
	CHECK_EQ(nbd_info_block_size_encode(b, &exp_rw), 14);
	CHECK_EQ(nbd_get16(b), NBD_INFO_BLOCK_SIZE);
	CHECK_EQ(nbd_get32(b + 2), 512);
	CHECK_EQ(nbd_get32(b + 6), 4096);
	CHECK_EQ(nbd_get32(b + 10), NBD_MAX_PAYLOAD);

	memset(b, 0xff, sizeof(b));
	CHECK_EQ(nbd_export_name_reply_encode(b, &exp_rw, 0), 134);
	CHECK_EQ(nbd_get64(b), 64ull * MIB);
	CHECK(b[10] == 0 && b[133] == 0 && b[134] == 0xff);
	CHECK_EQ(nbd_export_name_reply_encode(b, &exp_rw, 1), 10);

	CHECK_EQ(nbd_client_flags_check(0, &nz), 0);
	CHECK_EQ(nz, 0);
	CHECK_EQ(nbd_client_flags_check(3, &nz), 0);
	CHECK_EQ(nz, 1);
	CHECK_EQ(nbd_client_flags_check(4, &nz), -EPROTO);
	CHECK_EQ(nbd_client_flags_check(0x80000001u, &nz), -EPROTO);

	/* transmission flags */
	CHECK_EQ(nbd_tflags(1, 1), NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH |
				   NBD_FLAG_CAN_MULTI_CONN | NBD_FLAG_READ_ONLY);
	CHECK(nbd_tflags(0, 1) & NBD_FLAG_SEND_TRIM);
	CHECK(!(nbd_tflags(0, 0) & NBD_FLAG_SEND_TRIM));
	CHECK(nbd_tflags(0, 0) & NBD_FLAG_SEND_WRITE_ZEROES);
	CHECK(!(nbd_tflags(0, 0) & NBD_FLAG_READ_ONLY));
}

static void test_requests(void)
{
	struct nbd_export ro = exp_rw;
	struct nbd_export small = exp_rw;
	struct nbd_req r;
	uint8_t b[NBD_REQ_SIZE];
	const uint64_t end = exp_rw.size;

	encode_req(b, NBD_REQUEST_MAGIC, 1, NBD_CMD_WRITE, 0xfeedull, 4096, 8192);
	CHECK_EQ(nbd_req_decode(b, &r), 0);
	CHECK(r.flags == 1 && r.type == NBD_CMD_WRITE && r.cookie == 0xfeedull &&
	      r.offset == 4096 && r.len == 8192);
	CHECK_EQ(nbd_req_payload(&r), 8192);
	r.type = NBD_CMD_READ;
	CHECK_EQ(nbd_req_payload(&r), 0);
	encode_req(b, NBD_REQUEST_MAGIC + 1, 0, NBD_CMD_READ, 0, 0, 512);
	CHECK_EQ(nbd_req_decode(b, &r), -EPROTO);

	/* accepted */
	CHECK_EQ(check(NBD_CMD_READ, 0, 0, 512, &exp_rw), 0);
	CHECK_EQ(check(NBD_CMD_READ, 0, end - 512, 512, &exp_rw), 0);
	CHECK_EQ(check(NBD_CMD_READ, 0, 0, NBD_MAX_PAYLOAD, &exp_rw), 0);
	CHECK_EQ(check(NBD_CMD_READ, 0, 0, 0, &exp_rw), 0);
	CHECK_EQ(check(NBD_CMD_READ, 0, end, 0, &exp_rw), 0);
	CHECK_EQ(check(NBD_CMD_WRITE, NBD_CMD_FLAG_FUA, 0, 4096, &exp_rw), 0);
	CHECK_EQ(check(NBD_CMD_WRITE_ZEROES, NBD_CMD_FLAG_NO_HOLE | NBD_CMD_FLAG_FUA,
		       MIB, MIB, &exp_rw), 0);
	CHECK_EQ(check(NBD_CMD_TRIM, 0, 0, (uint32_t)end, &exp_rw), 0);	/* no max */
	CHECK_EQ(check(NBD_CMD_FLUSH, 0, 0, 0, &exp_rw), 0);
	CHECK_EQ(check(NBD_CMD_FLUSH, NBD_CMD_FLAG_FUA, 0, 0, &exp_rw), 0);
	CHECK_EQ(check(NBD_CMD_DISC, 0xffff, 1, 1, &exp_rw), 0);
	CHECK_EQ(check(NBD_CMD_READ, NBD_CMD_FLAG_FUA, 0, 512, &exp_rw), 0);

	/* refused: commands and flags */
	CHECK_EQ(check(NBD_CMD_CACHE, 0, 0, 512, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_BLOCK_STATUS, 0, 0, 512, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(99, 0, 0, 512, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(0xffff, 0, 0, 0, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_READ, NBD_CMD_FLAG_DF, 0, 512, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_READ, 0x8000, 0, 512, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_WRITE, NBD_CMD_FLAG_NO_HOLE, 0, 512, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_WRITE_ZEROES, NBD_CMD_FLAG_FAST_ZERO, 0, 512, &exp_rw),
		 NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_FLUSH, 0, 512, 0, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_FLUSH, 0, 0, 512, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_FLUSH, NBD_CMD_FLAG_NO_HOLE, 0, 0, &exp_rw), NBD_EINVAL);

	/* refused: ranges */
	CHECK_EQ(check(NBD_CMD_READ, 0, end, 512, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_READ, 0, end - 512, 1024, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_READ, 0, UINT64_MAX - 511, 1024, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_WRITE, 0, UINT64_MAX - 511, 1024, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_WRITE, 0, end, 512, &exp_rw), NBD_ENOSPC);
	CHECK_EQ(check(NBD_CMD_WRITE_ZEROES, 0, end - 512, 1024, &exp_rw), NBD_ENOSPC);
	CHECK_EQ(check(NBD_CMD_TRIM, 0, end - 512, 1024, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_READ, 0, 1, 512, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_READ, 0, 0, 511, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_WRITE, 0, 256, 512, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_TRIM, 0, 512, 100, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_READ, 0, 0, NBD_MAX_PAYLOAD + 512, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_WRITE, 0, 0, NBD_MAX_PAYLOAD + 512, &exp_rw), NBD_EINVAL);
	CHECK_EQ(check(NBD_CMD_WRITE_ZEROES, 0, 0, NBD_MAX_PAYLOAD + 512, &exp_rw),
		 NBD_EINVAL);
	small.size = 4096;
	CHECK_EQ(check(NBD_CMD_READ, 0, 0, 8192, &small), NBD_EINVAL);

	/* read-only export */
	ro.tflags = nbd_tflags(1, 0);
	CHECK_EQ(check(NBD_CMD_READ, 0, 0, 512, &ro), 0);
	CHECK_EQ(check(NBD_CMD_FLUSH, 0, 0, 0, &ro), 0);
	CHECK_EQ(check(NBD_CMD_WRITE, 0, 0, 512, &ro), NBD_EPERM);
	CHECK_EQ(check(NBD_CMD_WRITE_ZEROES, 0, 0, 512, &ro), NBD_EPERM);
	CHECK_EQ(check(NBD_CMD_TRIM, 0, 0, 512, &ro), NBD_EPERM);
	/* trim not offered */
	ro.tflags = nbd_tflags(0, 0);
	CHECK_EQ(check(NBD_CMD_TRIM, 0, 0, 512, &ro), NBD_EINVAL);

	/* errno mapping */
	CHECK_EQ(nbd_errno(0), 0);
	CHECK_EQ(nbd_errno(-EROFS), NBD_EPERM);
	CHECK_EQ(nbd_errno(-EFBIG), NBD_ENOSPC);
	CHECK_EQ(nbd_errno(-EOPNOTSUPP), NBD_EINVAL);
	CHECK_EQ(nbd_errno(-EIO), NBD_EIO);
	CHECK_EQ(nbd_errno(-EBADF), NBD_EIO);
	CHECK(!strcmp(nbd_cmd_name(NBD_CMD_WRITE_ZEROES), "WRITE_ZEROES"));
	CHECK(!strcmp(nbd_cmd_name(1000), "unknown"));
}

static void test_options(void)
{
	uint8_t d[64], h[NBD_OPT_HDR_SIZE];
	struct nbd_opt_hdr oh;
	struct nbd_opt_go g;

	nbd_put64(h, NBD_IHAVEOPT);
	nbd_put32(h + 8, NBD_OPT_GO);
	nbd_put32(h + 12, 9);
	CHECK_EQ(nbd_opt_hdr_decode(h, &oh), 0);
	CHECK(oh.opt == NBD_OPT_GO && oh.len == 9);
	h[0] ^= 1;
	CHECK_EQ(nbd_opt_hdr_decode(h, &oh), -EPROTO);

	/* name "abc", two info requests */
	nbd_put32(d, 3);
	memcpy(d + 4, "abc", 3);
	nbd_put16(d + 7, 2);
	nbd_put16(d + 9, NBD_INFO_BLOCK_SIZE);
	nbd_put16(d + 11, NBD_INFO_NAME);
	CHECK_EQ(nbd_opt_go_decode(d, 13, &g), 0);
	CHECK(g.name_len == 3 && !memcmp(g.name, "abc", 3) && g.nr_info == 2);
	CHECK(nbd_opt_go_wants(&g, NBD_INFO_BLOCK_SIZE));
	CHECK(nbd_opt_go_wants(&g, NBD_INFO_NAME));
	CHECK(!nbd_opt_go_wants(&g, NBD_INFO_DESCRIPTION));
	CHECK_EQ(nbd_opt_go_decode(d, 12, &g), -EINVAL);	/* cut short */
	CHECK_EQ(nbd_opt_go_decode(d, 14, &g), -EINVAL);	/* trailing byte */
	CHECK_EQ(nbd_opt_go_decode(d, 5, &g), -EINVAL);
	nbd_put32(d, 0xffffffffu);				/* name longer than data */
	CHECK_EQ(nbd_opt_go_decode(d, 13, &g), -EINVAL);
	nbd_put32(d, 0);					/* default export, no info */
	nbd_put16(d + 4, 0);
	CHECK_EQ(nbd_opt_go_decode(d, 6, &g), 0);
	CHECK(g.name_len == 0 && g.nr_info == 0);
	nbd_put16(d + 4, 0xffff);				/* claims 65535 requests */
	CHECK_EQ(nbd_opt_go_decode(d, 6, &g), -EINVAL);
}

/* xorshift: the same sequence on every run */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void test_mutations(void)
{
	uint8_t b[NBD_REQ_SIZE], d[40];
	unsigned i, bad = 0, accepted = 0;

	for (i = 0; i < 200000; i++) {
		struct nbd_req r;
		struct nbd_opt_go g;
		uint32_t e;
		unsigned k;

		encode_req(b, NBD_REQUEST_MAGIC, (uint16_t)(rnd() & 0x1f),
			   (uint16_t)(rnd() % 9), rnd(),
			   rnd() % 2 ? rnd() % (80ull * MIB) : rnd(),
			   (uint32_t)(rnd() % 3 ? rnd() % (40 * MIB) : rnd()));
		if (rnd() % 4 == 0)
			b[rnd() % NBD_REQ_SIZE] ^= (uint8_t)(1u << (rnd() % 8));
		if (nbd_req_decode(b, &r) == 0) {
			e = nbd_req_check(&r, &exp_rw);
			if (e != 0 && e != NBD_EINVAL && e != NBD_ENOSPC && e != NBD_EPERM)
				bad++;
			if (!e && r.type != NBD_CMD_DISC && r.type != NBD_CMD_FLUSH &&
			    (r.offset + r.len > exp_rw.size || r.offset % 512 ||
			     r.len % 512))
				bad++;
			accepted += !e;
		}
		for (k = 0; k < sizeof(d); k++)
			d[k] = (uint8_t)(k < 6 ? rnd() % 8 : rnd());
		k = (unsigned)(rnd() % (sizeof(d) + 1));
		if (nbd_opt_go_decode(d, k, &g) == 0 &&
		    (uint64_t)6 + g.name_len + 2ull * g.nr_info != k)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK(accepted > 1000);
}

int main(void)
{
	test_golden();
	test_requests();
	test_options();
	test_mutations();
	return check_exit("test-nbd-proto");
}
