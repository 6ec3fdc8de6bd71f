/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-tapback, part 3: hostile input. Every malformed, out-of-range,
 * over-long or non-text value a frontend can write (and a few a confused
 * toolstack can) is refused the Xen way: hotplug-error with a printable
 * message, hotplug-status=error, state Closing, no ring left connected,
 * and tapback goes on serving other devices. tapdisk failures too; and
 * directories that are half written or not named by ids.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tapback-fix.h"

/* A hostile frontend: (node, value) pairs written over good values;
 * value NULL removes the node, "\x01" marks a value with a NUL byte. */
struct hostile {
	const char *what;
	const char *node[4], *val[4];
};

static const char long_val[] =
	"1111111111111111111111111111111111111111111111111111111111111111111"
	"1111111111111111111111111111111111111111111111111111111111111111111";

static const struct hostile hostile_cases[] = {
	{ "order too big", { "ring-page-order" }, { "5" } },
	{ "order negative", { "ring-page-order" }, { "-1" } },
	{ "order not a number", { "ring-page-order" }, { "abc" } },
	{ "order empty", { "ring-page-order" }, { "" } },
	{ "order huge", { "ring-page-order" }, { "99999999999999999999999" } },
	{ "order 2, one ref", { "ring-page-order" }, { "2" } },
	{ "order 1, one of two refs", { "ring-page-order", "ring-ref0" },
	  { "1", "5" } },
	{ "ref garbage", { "ring-ref" }, { "12a" } },
	{ "ref over 32 bits", { "ring-ref" }, { "4294967296" } },
	{ "ref over-long", { "ring-ref" }, { long_val } },
	{ "ref missing", { "ring-ref" }, { NULL } },
	{ "ref with NUL", { "ring-ref" }, { "\x01" } },
	{ "evtchn garbage", { "event-channel" }, { "x" } },
	{ "evtchn missing", { "event-channel" }, { NULL } },
	{ "protocol unknown", { "protocol" }, { "x86_16-abi" } },
	{ "protocol empty", { "protocol" }, { "" } },
	{ "protocol control chars", { "protocol" }, { "\x1b[2J\nabi" } },
	{ "protocol over-long", { "protocol" }, { long_val } },
	{ "queues 0", { "multi-queue-num-queues" }, { "0" } },
	{ "queues above max", { "multi-queue-num-queues" }, { "5" } },
	{ "queues hundreds", { "multi-queue-num-queues" }, { "300" } },
	{ "queues garbage", { "multi-queue-num-queues" }, { "two" } },
	{ "queue 1 incomplete",
	  { "multi-queue-num-queues", "queue-0/event-channel",
	    "queue-0/ring-ref", "queue-1/ring-ref" },
	  { "2", "1", "2", "3" } },
	{ "state 2", { "state" }, { "2" } },
	{ "state 9", { "state" }, { "9" } },
	{ "state garbage", { "state" }, { "4x" } },
	{ "state over-long", { "state" }, { long_val } },
};

static void t_hostile_one(const struct hostile *h, int recover)
{
	struct fix *f = fix_new();
	struct fake_vbd *v = fake_add(&f->td, PID, 0, GIB);
	const char *e;
	unsigned i;

	toolstack_add(f, 5, 768, "w", "disk");
	hotplug(f, 5, 768, PID, 0);
	frontend_rings(f, 5, 768, 1, -1, "x86_64-abi");
	settle(f);
	fe_write(f, 5, 768, "state", "3");
	for (i = 0; i < 4 && h->node[i]; i++) {
		char p[128];

		snprintf(p, sizeof(p), "/local/domain/5/device/vbd/768/%s",
			 h->node[i]);
		if (!h->val[i])
			xsm_rm(f->m, p);
		else if (!strcmp(h->val[i], "\x01"))
			xsm_write_bin(f->m, p, "1\0002", 3);
		else
			xsm_write(f->m, p, h->val[i]);
	}
	settle(f);
	if (!failed(f, 5, 768))
		fprintf(stderr, "  hostile case: %s\n", h->what);
	CHECK(failed(f, 5, 768));
	CHECK_EQ(fake_rings(v), 0);
	e = be(f, 5, 768, "hotplug-error");
	for (i = 0; e && e[i]; i++)
		CHECK(e[i] >= ' ' && e[i] < 0x7f);
	CHECK(e && strlen(e) < TAPBACK_MSG_MAX);

	/* Still serving: another device connects. */
	connected_device(f, 6, 768, PID + 1, 0);

	if (recover) {
		/* The frontend closes, then comes back with good values. */
		fe_write(f, 5, 768, "state", "6");
		settle(f);
		CHECK(be_is(f, 5, 768, "state", "6"));
		fe_write(f, 5, 768, "state", "1");
		settle(f);
		CHECK(be_is(f, 5, 768, "state", "2"));
		for (i = 0; i < 4 && h->node[i]; i++) {
			char p[128];

			snprintf(p, sizeof(p), "/local/domain/5/device/vbd/768/%s",
				 h->node[i]);
			xsm_rm(f->m, p);
		}
		frontend_rings(f, 5, 768, 1, -1, "x86_64-abi");
		fe_write(f, 5, 768, "state", "3");
		settle(f);
		CHECK(be_is(f, 5, 768, "state", "4"));
		CHECK_EQ(fake_rings(v), 1);
	}
	fix_free(f);
}

static void t_hostile(void)
{
	unsigned i;

	for (i = 0; i < sizeof(hostile_cases) / sizeof(hostile_cases[0]); i++)
		t_hostile_one(&hostile_cases[i], i == 0);
}

/* Garbage from the toolstack is refused too. */
static void t_toolstack_garbage(void)
{
	static const char *const node[] = { "pid", "minor", "frontend-id",
					    "frontend", "mode", "online" };
	static const char *const val[] = { "12x", "-1", "9", "/local//x",
					   "q", "maybe" };
	unsigned i;

	for (i = 0; i < sizeof(node) / sizeof(node[0]); i++) {
		struct fix *f = fix_new();

		fake_add(&f->td, PID, 0, GIB);
		toolstack_add(f, 5, 768, "w", "disk");
		hotplug(f, 5, 768, PID, 0);
		be_write(f, 5, 768, node[i], val[i]);
		frontend_rings(f, 5, 768, 1, -1, NULL);
		fe_write(f, 5, 768, "state", "3");
		settle(f);
		CHECK(failed(f, 5, 768));
		CHECK_EQ(f->td.n_connect, 0);
		fix_free(f);
	}
}

/* tapdisk unreachable, a queue refused, no image open. */
static void t_tapdisk_errors(void)
{
	struct fix *f = fix_new();
	struct fake_vbd *v;

	fake_add(&f->td, PID, 0, GIB);
	v = fake_add(&f->td, PID, 1, GIB);
	f->td.status_err = -ECONNREFUSED;
	toolstack_add(f, 1, 1, "w", "disk");
	hotplug(f, 1, 1, PID, 0);
	frontend_rings(f, 1, 1, 1, -1, NULL);
	fe_write(f, 1, 1, "state", "3");
	settle(f);
	CHECK(failed(f, 1, 1));
	CHECK(strstr(be(f, 1, 1, "hotplug-error"), "status"));
	CHECK_EQ(f->td.n_connect, 0);
	f->td.status_err = 0;
	/* Failed stays failed until the frontend closes or starts again. */
	be_write(f, 1, 1, "removable", "0");
	fe_write(f, 1, 1, "state", "4");
	settle(f);
	CHECK(failed(f, 1, 1));
	CHECK_EQ(f->td.n_connect, 0);

	f->td.connect_err = -ENOMEM;
	f->td.connect_fail_queue = 2;
	toolstack_add(f, 1, 2, "w", "disk");
	hotplug(f, 1, 2, PID, 1);
	frontend_rings(f, 1, 2, 4, 0, NULL);
	fe_write(f, 1, 2, "state", "3");
	settle(f);
	CHECK(failed(f, 1, 2));
	CHECK(strstr(be(f, 1, 2, "hotplug-error"), "queue 2"));
	CHECK(strstr(be(f, 1, 2, "hotplug-error"), "fake connect failure"));
	CHECK_EQ(fake_rings(v), 0);	/* queues 0 and 1 undone */
	f->td.connect_err = 0;

	v = fake_add(&f->td, PID, 2, GIB);
	v->vi.state = 0;
	toolstack_add(f, 1, 3, "w", "disk");
	hotplug(f, 1, 3, PID, 2);
	frontend_rings(f, 1, 3, 1, -1, NULL);
	fe_write(f, 1, 3, "state", "3");
	settle(f);
	CHECK(failed(f, 1, 3));
	fix_free(f);
}

/* Half-written directories and names that are not ids. */
static void t_odd_dirs(void)
{
	struct fix *f = fix_new();

	xsm_write(f->m, BASE "/3/768/state", "1");
	xsm_write(f->m, BASE "/abc/1/state", "1");
	xsm_write(f->m, BASE "/3/xyz/state", "1");
	xsm_write(f->m, BASE "/3", "");
	settle(f);
	CHECK(be_is(f, 3, 768, "state", "2"));
	CHECK(xsm_read(f->m, BASE "/abc/1/state") &&
	      !strcmp(xsm_read(f->m, BASE "/abc/1/state"), "1"));
	CHECK(!xsm_read(f->m, BASE "/3/xyz/max-ring-page-order"));
	CHECK_EQ(f->tb.nr_devs, 1);
	{
		uint32_t self = 99;

		CHECK_EQ(tapback_self_domid(&f->xs, &self), -ENOENT);
		xsm_write(f->m, "/local/domain/0/domid", "0x0");
		CHECK_EQ(tapback_self_domid(&f->xs, &self), -EINVAL);
		xsm_write(f->m, "/local/domain/0/domid", "0");
		CHECK_EQ(tapback_self_domid(&f->xs, &self), 0);
		CHECK_EQ(self, 0);
	}
	/* The rest arrives later. */
	fake_add(&f->td, PID, 0, GIB);
	toolstack_add(f, 3, 768, "w", "disk");
	be_write(f, 3, 768, "state", "2");
	hotplug(f, 3, 768, PID, 0);
	frontend_rings(f, 3, 768, 1, -1, NULL);
	fe_write(f, 3, 768, "state", "3");
	settle(f);
	CHECK(be_is(f, 3, 768, "state", "4"));
	fix_free(f);
}

void test_tapback_hostile(int *count, int *failures)
{
	t_hostile();
	t_toolstack_garbage();
	t_tapdisk_errors();
	t_odd_dirs();
	*count += check_count;
	*failures += check_failures;
}
