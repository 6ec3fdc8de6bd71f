/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xt-ctl: a small libtapctl client for the real-Xen tests (tests/xen/).
 *
 * It is not tap-ctl: it offers the few raw control messages the dom0 tests
 * need whatever the state of tap-ctl, and prints tapdisk's STATUS as flat
 * key=value lines that busybox sh can parse:
 *
 *   xt-ctl status PID [MINOR]         tapdisk's STATUS
 *   xt-ctl stat PID MINOR NAME        one VBD counter (e.g. flush_done)
 *   xt-ctl open PID MINOR TYPE:PATH [ro]
 *   xt-ctl close PID MINOR
 *   xt-ctl connect PID MINOR DOMID DEVID QUEUE ORDER EVTCHN ABI REF...
 *                                     (ABI: native, x86_32 or x86_64)
 *   xt-ctl disconnect PID MINOR
 *
 * The control directory is $TAPCTL_CONTROL_DIR or /run/blktap-control.
 * Exit status: 0, 1 when tapdisk refused (its message on stderr), 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapctl.h"

static void usage(void)
{
	fputs("usage: xt-ctl status PID [MINOR]\n"
	      "       xt-ctl stat PID MINOR COUNTER\n"
	      "       xt-ctl open PID MINOR TYPE:PATH [ro]\n"
	      "       xt-ctl close PID MINOR\n"
	      "       xt-ctl connect PID MINOR DOMID DEVID QUEUE ORDER EVTCHN ABI REF...\n"
	      "       xt-ctl disconnect PID MINOR\n", stderr);
	exit(2);
}

static uint32_t num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || v > UINT32_MAX) {
		fprintf(stderr, "xt-ctl: bad number '%s'\n", s);
		exit(2);
	}
	return (uint32_t)v;
}

static int refused(const char *what, int rc)
{
	fprintf(stderr, "xt-ctl: %s: %s%s%s\n", what, strerror(-rc),
		*tapctl_last_message() ? ": " : "", tapctl_last_message());
	return 1;
}

static void counters(const uint64_t *c, uint32_t n)
{
	for (uint32_t i = 0; i < TD_STAT__COUNT; i++)
		printf(" %s=%" PRIu64, tapctl_stat_name(i), i < n ? c[i] : 0);
}

static int status(pid_t pid, int minor, const char *one)
{
	struct td_msg *m = tapctl_msg_new();
	int rc;

	if (!m)
		return refused("status", -ENOMEM);
	rc = tapctl_status(NULL, pid, minor, m);
	if (rc < 0) {
		free(m);
		return refused("status", rc);
	}
	if (one) {	/* one VBD counter */
		for (uint32_t i = 0; i < TD_STAT__COUNT; i++) {
			if (strcmp(one, tapctl_stat_name(i)))
				continue;
			if (m->nr_vbds < 1) {
				free(m);
				return refused("stat", -ENOENT);
			}
			printf("%" PRIu64 "\n", i < m->vbds[0].nr_counters ?
			       m->vbds[0].counters[i] : 0);
			free(m);
			return 0;
		}
		free(m);
		fprintf(stderr, "xt-ctl: unknown counter '%s'\n", one);
		return 2;
	}
	printf("pid=%u engine=%s xenio=%s vbds=%u\n", m->pid, m->engine,
	       m->xenio, m->nr_vbds);
	for (uint32_t v = 0; v < m->nr_vbds; v++) {
		const struct td_vbd_status *s = &m->vbds[v];

		printf("vbd minor=%u state=0x%x flags=0x%x params=%s size=%" PRIu64
		       " sector_size=%u info=0x%x features=0x%x max_indirect=%u rings=%u",
		       s->minor, s->state, s->flags, s->params, s->size,
		       s->sector_size, s->info, s->features, s->max_indirect,
		       s->nr_rings);
		counters(s->counters, s->nr_counters);
		putchar('\n');
		for (uint32_t r = 0; r < s->nr_rings; r++) {
			const struct td_ring_status *g = &s->rings[r];

			printf("ring minor=%u domid=%u devid=%u queue=%u order=%u slots=%u"
			       " abi=%u evtchn=%u state=0x%x",
			       s->minor, g->domid, g->devid, g->queue,
			       g->ring_order, g->ring_size, g->abi, g->evtchn,
			       g->state);
			counters(g->counters, g->nr_counters);
			putchar('\n');
		}
	}
	free(m);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;
	pid_t pid;
	int rc;

	if (argc < 3)
		usage();
	cmd = argv[1];
	pid = (pid_t)num(argv[2]);
	if (!strcmp(cmd, "status") && argc <= 4)
		return status(pid, argc == 4 ? (int)num(argv[3]) : -1, NULL);
	if (!strcmp(cmd, "stat") && argc == 5)
		return status(pid, (int)num(argv[3]), argv[4]);
	if (!strcmp(cmd, "open") && (argc == 5 || argc == 6)) {
		uint32_t flags = 0;

		if (argc == 6) {
			if (strcmp(argv[5], "ro"))
				usage();
			flags |= TD_F_RDONLY;
		}
		rc = tapctl_vbd_open(NULL, pid, num(argv[3]), argv[4], flags);
		return rc < 0 ? refused("open", rc) : 0;
	}
	if (!strcmp(cmd, "close") && argc == 4) {
		rc = tapctl_vbd_close(NULL, pid, num(argv[3]), 0);
		return rc < 0 ? refused("close", rc) : 0;
	}
	if (!strcmp(cmd, "disconnect") && argc == 4) {
		rc = tapctl_ring_disconnect(NULL, pid, num(argv[3]), -1, 0, -1);
		return rc < 0 ? refused("disconnect", rc) : 0;
	}
	if (!strcmp(cmd, "connect") && argc >= 11) {
		struct tapctl_ring r;
		unsigned nrefs = (unsigned)argc - 10;

		memset(&r, 0, sizeof(r));
		r.domid = num(argv[4]);
		r.devid = num(argv[5]);
		r.queue = num(argv[6]);
		r.ring_order = num(argv[7]);
		r.evtchn = num(argv[8]);
		if (!strcmp(argv[9], "native"))
			r.abi = 0;
		else if (!strcmp(argv[9], "x86_32") || !strcmp(argv[9], "x86_32-abi"))
			r.abi = 1;
		else if (!strcmp(argv[9], "x86_64") || !strcmp(argv[9], "x86_64-abi"))
			r.abi = 2;
		else
			usage();
		if (r.ring_order > 4 || nrefs != 1u << r.ring_order) {
			fprintf(stderr, "xt-ctl: order %u needs %u refs, got %u\n",
				r.ring_order, 1u << (r.ring_order & 7), nrefs);
			return 2;
		}
		for (unsigned i = 0; i < nrefs; i++)
			r.ring_refs[i] = num(argv[10 + i]);
		rc = tapctl_ring_connect(NULL, pid, num(argv[3]), &r);
		return rc < 0 ? refused("connect", rc) : 0;
	}
	usage();
	return 2;
}
