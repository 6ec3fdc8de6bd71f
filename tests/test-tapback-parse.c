/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-tapback, part 1: the pure parsers of tapback-parse.c, one table or
 * block per parser, hostile values first. Linked into test-tapback, which
 * adds these checks to its own (check.h keeps per-file counters).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tapback.h"
#include "tapback-fix.h"

static void t_u32(void)
{
	static const struct {
		const char *s;
		uint32_t max;
		int rc;
		uint32_t v;
	} cases[] = {
		{ "0", 10, 0, 0 },
		{ "7", 10, 0, 7 },
		{ "10", 10, 0, 10 },
		{ "11", 10, -ERANGE, 0 },
		{ "007", 10, 0, 7 },
		{ "4294967295", UINT32_MAX, 0, UINT32_MAX },
		{ "4294967296", UINT32_MAX, -ERANGE, 0 },
		{ "99999999999999999999", UINT32_MAX, -ERANGE, 0 },
		{ "999999999999999999999999", UINT32_MAX, -ERANGE, 0 },
		{ "", 10, -EINVAL, 0 },
		{ "-1", 10, -EINVAL, 0 },
		{ "+1", 10, -EINVAL, 0 },
		{ " 1", 10, -EINVAL, 0 },
		{ "1 ", 10, -EINVAL, 0 },
		{ "1\n", 10, -EINVAL, 0 },
		{ "0x1", 10, -EINVAL, 0 },
		{ "1a", 10, -EINVAL, 0 },
		{ "abc", 10, -EINVAL, 0 },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t v = 12345;
		int rc = tapback_parse_u32(cases[i].s, cases[i].max, &v);

		CHECK_EQ(rc, cases[i].rc);
		CHECK_EQ(v, rc == 0 ? cases[i].v : 12345);
	}
	CHECK_EQ(tapback_parse_u32(NULL, 10, &(uint32_t){ 0 }), -EINVAL);
	{
		uint64_t v;

		CHECK_EQ(tapback_parse_u64("18446744073709551615", UINT64_MAX,
					   &v), 0);
		CHECK(v == UINT64_MAX);
		CHECK_EQ(tapback_parse_u64("18446744073709551616", UINT64_MAX,
					   &v), -ERANGE);
	}
}

static void t_state(void)
{
	enum xenbus_state s;

	CHECK_EQ(tapback_parse_state(NULL, &s), 0);
	CHECK_EQ(s, XenbusStateUnknown);
	CHECK_EQ(tapback_parse_state("4", &s), 0);
	CHECK_EQ(s, XenbusStateConnected);
	CHECK_EQ(tapback_parse_state("8", &s), 0);
	CHECK_EQ(tapback_parse_state("9", &s), -ERANGE);
	CHECK_EQ(tapback_parse_state("4x", &s), -EINVAL);
	CHECK_EQ(tapback_parse_state("", &s), -EINVAL);
	CHECK_EQ(tapback_parse_state("-4", &s), -EINVAL);
	CHECK(!strcmp(tapback_state_name(XenbusStateInitWait), "InitWait"));
	CHECK(!strcmp(tapback_state_name(42), "invalid"));
	CHECK(!strcmp(tapback_state_name(-1), "invalid"));
}

static void t_protocol(void)
{
	enum blkif_abi a;

	CHECK_EQ(tapback_parse_protocol(NULL, &a), 0);
	CHECK_EQ(a, BLKIF_ABI_X86_32);	/* absent: Linux's default on x86 */
	CHECK_EQ(tapback_parse_protocol("x86_64-abi", &a), 0);
	CHECK_EQ(a, BLKIF_ABI_X86_64);
	CHECK_EQ(tapback_parse_protocol("x86_32-abi", &a), 0);
	CHECK_EQ(a, BLKIF_ABI_X86_32);
	CHECK_EQ(tapback_parse_protocol("native", &a), 0);
	CHECK_EQ(a, BLKIF_ABI_NATIVE);
	CHECK_EQ(tapback_parse_protocol("", &a), -EINVAL);
	CHECK_EQ(tapback_parse_protocol("x86_16-abi", &a), -EINVAL);
	CHECK_EQ(tapback_parse_protocol("x86_64-abi ", &a), -EINVAL);
	CHECK_EQ(tapback_parse_protocol("X86_64-ABI", &a), -EINVAL);
	CHECK_EQ(tapback_parse_protocol("arm-abi", &a), -EINVAL);
}

static void t_queues_order(void)
{
	uint32_t v;

	CHECK_EQ(tapback_parse_num_queues(NULL, 4, &v), 0);
	CHECK_EQ(v, 1);
	CHECK_EQ(tapback_parse_num_queues("4", 4, &v), 0);
	CHECK_EQ(v, 4);
	CHECK_EQ(tapback_parse_num_queues("0", 4, &v), -ERANGE);
	CHECK_EQ(tapback_parse_num_queues("5", 4, &v), -ERANGE);
	CHECK_EQ(tapback_parse_num_queues("300", 16, &v), -ERANGE);
	CHECK_EQ(tapback_parse_num_queues("4294967297", 16, &v), -ERANGE);
	CHECK_EQ(tapback_parse_num_queues("two", 16, &v), -EINVAL);

	CHECK_EQ(tapback_parse_ring_order("0", 4, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(tapback_parse_ring_order("4", 4, &v), 0);
	CHECK_EQ(v, 4);
	CHECK_EQ(tapback_parse_ring_order("5", 4, &v), -ERANGE);
	CHECK_EQ(tapback_parse_ring_order("31", 4, &v), -ERANGE);
	CHECK_EQ(tapback_parse_ring_order("-1", 4, &v), -EINVAL);
}

static void t_toolstack_nodes(void)
{
	int b, ro, cd;

	CHECK_EQ(tapback_parse_bool(NULL, 1, &b), 0);
	CHECK_EQ(b, 1);
	CHECK_EQ(tapback_parse_bool("0", 1, &b), 0);
	CHECK_EQ(b, 0);
	CHECK_EQ(tapback_parse_bool("2", 0, &b), 0);
	CHECK_EQ(b, 1);
	CHECK_EQ(tapback_parse_bool("yes", 0, &b), -EINVAL);

	CHECK_EQ(tapback_parse_mode(NULL, &ro), 0);
	CHECK_EQ(ro, 0);
	CHECK_EQ(tapback_parse_mode("w", &ro), 0);
	CHECK_EQ(ro, 0);
	CHECK_EQ(tapback_parse_mode("r", &ro), 0);
	CHECK_EQ(ro, 1);
	CHECK_EQ(tapback_parse_mode("", &ro), -EINVAL);
	CHECK_EQ(tapback_parse_mode("x", &ro), -EINVAL);

	CHECK_EQ(tapback_parse_device_type(NULL, &cd), 0);
	CHECK_EQ(cd, 0);
	CHECK_EQ(tapback_parse_device_type("disk", &cd), 0);
	CHECK_EQ(cd, 0);
	CHECK_EQ(tapback_parse_device_type("cdrom", &cd), 0);
	CHECK_EQ(cd, 1);
	CHECK_EQ(tapback_parse_device_type("floppy", &cd), -EINVAL);

	CHECK_EQ(tapback_parse_hotplug(NULL), TAPBACK_HP_NONE);
	CHECK_EQ(tapback_parse_hotplug("connected"), TAPBACK_HP_CONNECTED);
	CHECK_EQ(tapback_parse_hotplug("error"), TAPBACK_HP_ERROR);
	CHECK_EQ(tapback_parse_hotplug("connected "), TAPBACK_HP_ERROR);

	CHECK_EQ(tapback_parse_kind("vbd3"), 0);
	CHECK_EQ(tapback_parse_kind("vbd"), 0);
	CHECK_EQ(tapback_parse_kind(""), -EINVAL);
	CHECK_EQ(tapback_parse_kind("a/b"), -EINVAL);
	CHECK_EQ(tapback_parse_kind("VBD"), -EINVAL);
	CHECK_EQ(tapback_parse_kind("a-very-long-kind-name"), -EINVAL);
}

static void t_tapdisk_identity(void)
{
	uint32_t minor = 99;
	pid_t pid = 99;

	CHECK_EQ(tapback_parse_pid("1234", &pid), 0);
	CHECK_EQ(pid, 1234);
	CHECK_EQ(tapback_parse_pid("0", &pid), -ERANGE);
	CHECK_EQ(tapback_parse_pid("2147483648", &pid), -ERANGE);
	CHECK_EQ(tapback_parse_pid("-5", &pid), -EINVAL);
	CHECK_EQ(tapback_parse_minor("0", &minor), 0);
	CHECK_EQ(minor, 0);
	CHECK_EQ(tapback_parse_minor("1048576", &minor), -ERANGE);

	CHECK_EQ(tapback_parse_physdev_path("/run/blktap-control/nbd77.3",
					    &pid, &minor), 0);
	CHECK_EQ(pid, 77);
	CHECK_EQ(minor, 3);
	CHECK_EQ(tapback_parse_physdev_path("nbd5.0", &pid, &minor), 0);
	CHECK_EQ(pid, 5);
	CHECK_EQ(minor, 0);
	CHECK_EQ(tapback_parse_physdev_path("/dev/xvda", &pid, &minor),
		 -EINVAL);
	CHECK_EQ(tapback_parse_physdev_path("/run/nbd77", &pid, &minor),
		 -EINVAL);
	CHECK_EQ(tapback_parse_physdev_path("/run/nbd.3", &pid, &minor),
		 -EINVAL);
	CHECK_EQ(tapback_parse_physdev_path("/run/nbd7.3x", &pid, &minor),
		 -EINVAL);
	CHECK_EQ(tapback_parse_physdev_path("/run/nbd0.3", &pid, &minor),
		 -ERANGE);
	CHECK_EQ(tapback_parse_physdev_path(
			 "/run/nbd111111111111111111111111111111111111111111111"
			 "111111111111111111111111111.1", &pid, &minor), -ERANGE);
	CHECK_EQ(tapback_parse_physdev_path(NULL, &pid, &minor), -EINVAL);
}

static void t_paths(void)
{
	const char *base = "/local/domain/0/backend/vbd3";
	uint32_t dom = 0, dev = 0;
	int depth = -1;
	char *big;

	CHECK_EQ(tapback_parse_xs_path("/local/domain/5/device/vbd/51712"), 0);
	CHECK_EQ(tapback_parse_xs_path("local/domain/5"), -EINVAL);
	CHECK_EQ(tapback_parse_xs_path("/"), -EINVAL);
	CHECK_EQ(tapback_parse_xs_path("/a//b"), -EINVAL);
	CHECK_EQ(tapback_parse_xs_path("/a/b/"), -EINVAL);
	CHECK_EQ(tapback_parse_xs_path("/a/b c"), -EINVAL);
	CHECK_EQ(tapback_parse_xs_path("/a/b\n"), -EINVAL);
	CHECK_EQ(tapback_parse_xs_path("/a/../b"), -EINVAL);
	CHECK_EQ(tapback_parse_xs_path(NULL), -EINVAL);
	big = malloc(TAPBACK_PATH_MAX + 2);
	memset(big, 'a', TAPBACK_PATH_MAX + 1);
	big[0] = '/';
	big[TAPBACK_PATH_MAX + 1] = '\0';
	CHECK_EQ(tapback_parse_xs_path(big), -EINVAL);
	big[TAPBACK_PATH_MAX - 30] = '\0';
	CHECK_EQ(tapback_parse_xs_path(big), 0);
	free(big);

	CHECK_EQ(tapback_parse_be_path(base, base, &dom, &dev, &depth), 0);
	CHECK_EQ(depth, 0);
	CHECK_EQ(tapback_parse_be_path(base, "/local/domain/0/backend/vbd3/7",
				       &dom, &dev, &depth), 0);
	CHECK_EQ(depth, 1);
	CHECK_EQ(dom, 7);
	CHECK_EQ(tapback_parse_be_path(base,
				       "/local/domain/0/backend/vbd3/7/51712/state",
				       &dom, &dev, &depth), 0);
	CHECK_EQ(depth, 2);
	CHECK_EQ(dev, 51712);
	CHECK_EQ(tapback_parse_be_path(base, "/local/domain/0/backend/vbd30/1",
				       &dom, &dev, &depth), -EINVAL);
	CHECK_EQ(tapback_parse_be_path(base, "/local/domain/0/backend/vbd",
				       &dom, &dev, &depth), -EINVAL);
	CHECK_EQ(tapback_parse_be_path(base, "/local/domain/0/backend/vbd3/x/1",
				       &dom, &dev, &depth), -EINVAL);
	CHECK_EQ(tapback_parse_be_path(base,
				       "/local/domain/0/backend/vbd3/32753/1",
				       &dom, &dev, &depth), -EINVAL);
	CHECK_EQ(tapback_parse_be_path(base, "/local/domain/0/backend/vbd3//1",
				       &dom, &dev, &depth), -EINVAL);
	CHECK_EQ(tapback_parse_be_path(base, "/local/domain/0/backend/vbd3/1/-2",
				       &dom, &dev, &depth), -EINVAL);
	CHECK_EQ(tapback_parse_be_path("fe", "fe/3/768", &dom, &dev, &depth), 0);
	CHECK_EQ(dom, 3);
	CHECK_EQ(dev, 768);
}

static void t_status_reply(void)
{
	struct td_msg *m = calloc(1, sizeof(*m));
	struct tapback_vbd_info vi;
	struct td_vbd_status *v;

	m->nr_vbds = 2;
	m->vbds[0].minor = 1;
	v = &m->vbds[1];
	v->minor = 4;
	v->state = TD_VBD_S_OPEN;
	v->size = 1 << 20;
	v->sector_size = 512;
	v->phys_sector_size = 4096;
	v->info = VDISK_READONLY | 0x80;
	v->features = TD_FEAT_FLUSH | TD_FEAT_DISCARD;
	v->max_indirect = 256;
	v->nr_rings = 1;
	v->rings[0].domid = 3;
	v->rings[0].devid = 768;
	v->rings[0].state = TD_RING_S_CONNECTED;
	CHECK_EQ(tapback_vbd_info_from_msg(m, 4, &vi), 0);
	CHECK_EQ(vi.minor, 4);
	CHECK_EQ(vi.size, 1 << 20);
	CHECK_EQ(vi.phys_sector_size, 4096);
	CHECK_EQ(vi.info, VDISK_READONLY);	/* unknown bits dropped */
	CHECK_EQ(vi.nr_rings, 1);
	CHECK_EQ(vi.rings[0].devid, 768);
	CHECK_EQ(tapback_vbd_info_from_msg(m, 9, &vi), -ENOENT);
	v->phys_sector_size = 0;	/* unknown: the logical size */
	CHECK_EQ(tapback_vbd_info_from_msg(m, 4, &vi), 0);
	CHECK_EQ(vi.phys_sector_size, 512);
	v->sector_size = 1000;
	CHECK_EQ(tapback_vbd_info_from_msg(m, 4, &vi), -EBADMSG);
	v->sector_size = 4096;
	v->phys_sector_size = 512;	/* smaller than logical */
	CHECK_EQ(tapback_vbd_info_from_msg(m, 4, &vi), -EBADMSG);
	v->phys_sector_size = 4096;
	v->nr_rings = TD_MAX_RINGS + 1;
	CHECK_EQ(tapback_vbd_info_from_msg(m, 4, &vi), -EBADMSG);
	v->nr_rings = 0;
	v->max_indirect = 100000;
	CHECK_EQ(tapback_vbd_info_from_msg(m, 4, &vi), -EBADMSG);
	v->state = 0;	/* not open: sizes are not looked at */
	CHECK_EQ(tapback_vbd_info_from_msg(m, 4, &vi), 0);
	m->nr_vbds = TD_MAX_VBDS + 1;
	CHECK_EQ(tapback_vbd_info_from_msg(m, 4, &vi), -EBADMSG);
	free(m);
}

void test_tapback_parse(int *count, int *failures)
{
	t_u32();
	t_state();
	t_protocol();
	t_queues_order();
	t_toolstack_nodes();
	t_tapdisk_identity();
	t_paths();
	t_status_reply();
	*count += check_count;
	*failures += check_failures;
}
