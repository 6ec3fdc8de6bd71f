/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-xs-values: every xenstore value tapback parses (control/
 * tapback-parse.c), as a hostile frontend or a careless toolstack may
 * write it, and the STATUS reply tapback validates.
 *
 * Input: [0] flags (bit 0: the node is absent, i.e. NULL; bit 1: the rest
 * is a control-protocol frame for tapback_vbd_info_from_msg), [1..4] a
 * max for the numeric parsers, [5..8] a minor, then the value (cut at the
 * first NUL, at most 4 KiB).
 *
 * Invariants: what a parser accepts is in the documented range and, for
 * numbers, is the decimal value of the string; what it refuses leaves its
 * output untouched and returns a negative errno; paths accepted are
 * well-formed and leave room for the nodes tapback appends.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "fuzz.h"
#include "tapback.h"

#define SENT32 0xdeadbeefu
#define SENT64 0xdeadbeefcafef00dull
#define BASE "/local/domain/0/backend/vbd3"

static char val[4097];
static struct td_msg *msg;

/* The decimal value of an all-digit string, or -1 if it is not one. */
static int digits_value(const char *s, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (!*s || strlen(s) > 20)
		return -1;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (*v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

static void check_numbers(const char *s, uint32_t max32)
{
	uint64_t u64 = SENT64, want = 0;
	uint32_t u32 = SENT32;
	int rc, num = s && digits_value(s, &want) == 0;

	rc = tapback_parse_u64(s, (uint64_t)max32 << 16 | 0xffff, &u64);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ERANGE);
	if (rc == 0)
		FUZZ_CHECK(num && u64 == want && u64 <= ((uint64_t)max32 << 16 | 0xffff));
	else
		FUZZ_CHECK(u64 == SENT64 && (!num || want > ((uint64_t)max32 << 16 | 0xffff)));
	rc = tapback_parse_u32(s, max32, &u32);
	if (rc == 0)
		FUZZ_CHECK(num && u32 == want && u32 <= max32);
	else
		FUZZ_CHECK(rc < 0 && u32 == SENT32 && (!num || want > max32));
	u32 = SENT32;
	rc = tapback_parse_ring_order(s, max32 % 8, &u32);
	FUZZ_CHECK(rc < 0 ? u32 == SENT32 : u32 <= max32 % 8);
	u32 = SENT32;
	rc = tapback_parse_num_queues(s, max32 % 32 + 1, &u32);
	FUZZ_CHECK(rc < 0 ? u32 == SENT32 : u32 >= 1 && u32 <= max32 % 32 + 1);
	if (!s)
		FUZZ_CHECK(rc == 0 && u32 == 1);
}

static void check_words(const char *s)
{
	enum xenbus_state xst = (enum xenbus_state)77;
	enum blkif_abi abi = (enum blkif_abi)77;
	int rc, b = 77;
	pid_t pid = 77;
	uint32_t minor = SENT32;
	enum tapback_hotplug hp;

	rc = tapback_parse_state(s, &xst);
	FUZZ_CHECK(rc < 0 ? xst == (enum xenbus_state)77
			  : (unsigned)xst <= XenbusStateReconfigured);
	rc = tapback_parse_protocol(s, &abi);
	FUZZ_CHECK(rc < 0 ? abi == (enum blkif_abi)77
			  : (abi == BLKIF_ABI_NATIVE || abi == BLKIF_ABI_X86_32 ||
			     abi == BLKIF_ABI_X86_64));
	if (rc == 0 && s)
		FUZZ_CHECK(!strcmp(s, "native") || !strcmp(s, "x86_32-abi") ||
			   !strcmp(s, "x86_64-abi"));
	rc = tapback_parse_bool(s, 1, &b);
	FUZZ_CHECK(rc < 0 ? b == 77 : (b == 0 || b == 1));
	b = 77;
	rc = tapback_parse_mode(s, &b);
	FUZZ_CHECK(rc < 0 ? b == 77 : (b == 0 || b == 1));
	b = 77;
	rc = tapback_parse_device_type(s, &b);
	FUZZ_CHECK(rc < 0 ? b == 77 : (b == 0 || b == 1));
	hp = tapback_parse_hotplug(s);
	FUZZ_CHECK(hp == TAPBACK_HP_NONE || hp == TAPBACK_HP_CONNECTED ||
		   hp == TAPBACK_HP_ERROR);
	FUZZ_CHECK((hp == TAPBACK_HP_NONE) == !s);
	if (!s)
		return;
	rc = tapback_parse_pid(s, &pid);
	FUZZ_CHECK(rc < 0 ? pid == 77 : pid >= 1);
	rc = tapback_parse_minor(s, &minor);
	FUZZ_CHECK(rc < 0 ? minor == SENT32 : minor < TAPBACK_MAX_MINOR);
	pid = 77;
	minor = SENT32;
	rc = tapback_parse_physdev_path(s, &pid, &minor);
	FUZZ_CHECK(rc < 0 ? pid == 77 && minor == SENT32
			  : pid >= 1 && minor < TAPBACK_MAX_MINOR);
	rc = tapback_parse_kind(s);
	if (rc == 0)
		FUZZ_CHECK(*s && strlen(s) < TAPBACK_KIND_MAX &&
			   strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") ==
			   strlen(s));
}

static void check_paths(const char *s)
{
	uint32_t domid = SENT32, devid = SENT32;
	int depth = 77, rc;
	size_t len = strlen(s), i;

	rc = tapback_parse_xs_path(s);
	if (rc == 0) {
		FUZZ_CHECK(s[0] == '/' && len >= 2);
		FUZZ_CHECK(len + sizeof("/queue-15/ring-ref15") - 1 < TAPBACK_PATH_MAX);
		FUZZ_CHECK(!strstr(s, "//") && s[len - 1] != '/');
		for (i = 0; i < len; i++)
			FUZZ_CHECK(s[i] > ' ' && s[i] < 127);
	}
	rc = tapback_parse_be_path(BASE, s, &domid, &devid, &depth);
	if (rc < 0) {
		FUZZ_CHECK(domid == SENT32 && devid == SENT32 && depth == 77);
		return;
	}
	FUZZ_CHECK(!strncmp(s, BASE, strlen(BASE)));
	FUZZ_CHECK(depth >= 0 && depth <= 2);
	if (depth >= 1)
		FUZZ_CHECK(domid <= TAPBACK_MAX_DOMID);
	if (depth < 2)
		FUZZ_CHECK(devid == SENT32);
	if (depth == 0)
		FUZZ_CHECK(domid == SENT32 && len == strlen(BASE));
}

static void check_status_reply(const uint8_t *p, size_t n, uint32_t minor)
{
	struct tapback_vbd_info vi;
	unsigned i;
	int rc;

	if (!msg && !(msg = malloc(sizeof(*msg))))
		abort();
	if (td_msg_decode(p, n, msg) < 0)
		return;
	memset(&vi, 0xa5, sizeof(vi));
	rc = tapback_vbd_info_from_msg(msg, minor, &vi);
	FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -EBADMSG);
	if (rc < 0)
		return;
	FUZZ_CHECK(vi.minor == minor);
	FUZZ_CHECK(vi.nr_rings <= TAPBACK_MAX_QUEUES);
	FUZZ_CHECK(!(vi.info & ~(uint32_t)(VDISK_CDROM | VDISK_REMOVABLE |
					   VDISK_READONLY)));
	if (vi.state & TD_VBD_S_OPEN) {
		FUZZ_CHECK(vi.sector_size >= 512 && vi.sector_size <= 65536 &&
			   !(vi.sector_size & (vi.sector_size - 1)));
		FUZZ_CHECK(vi.phys_sector_size >= vi.sector_size &&
			   !(vi.phys_sector_size & (vi.phys_sector_size - 1)));
		FUZZ_CHECK(vi.max_indirect <= BLKIF_MAX_INDIRECT_PAGES *
					      BLKIF_SEGS_PER_INDIRECT_PAGE);
	}
	for (i = 0; i < vi.nr_rings; i++)
		(void)vi.rings[i].state;	/* defined (ASan/MSan) */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_u8(&in);
	uint32_t max32 = (uint32_t)fuzz_le(&in, 4);
	uint32_t minor = (uint32_t)fuzz_le(&in, 4);
	size_t n = in.n < sizeof(val) - 1 ? in.n : sizeof(val) - 1;

	if (flags & 2) {
		check_status_reply(in.p, in.n, minor);
		return 0;
	}
	memcpy(val, in.p, n);
	val[n] = '\0';
	if (flags & 1) {
		check_numbers(NULL, max32);
		check_words(NULL);
		return 0;
	}
	check_numbers(val, max32);
	check_words(val);
	check_paths(val);
	return 0;
}
