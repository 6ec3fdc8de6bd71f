/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tap-ctl: the verbs that print state (list, stats, media) in their three
 * forms: blktap's key=value lines (scripts), a table (a terminal) and JSON
 * (--json).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blkif.h"
#include "tap-ctl.h"

struct bit_name {
	uint32_t bit;
	const char *name;
};

static const struct bit_name vbd_states[] = {
	{ TD_VBD_S_OPEN, "open" }, { TD_VBD_S_PAUSED, "paused" },
	{ TD_VBD_S_CLOSING, "closing" }, { TD_VBD_S_ATTACHED, "attached" },
	{ 0, NULL },
};
static const struct bit_name ring_states[] = {
	{ TD_RING_S_CONNECTED, "connected" }, { TD_RING_S_HALTED, "halted" },
	{ TD_RING_S_RDONLY, "read-only" },
	{ 0, NULL },
};
static const struct bit_name features[] = {
	{ TD_FEAT_FLUSH, "flush" }, { TD_FEAT_BARRIER, "barrier" },
	{ TD_FEAT_DISCARD, "discard" }, { TD_FEAT_DISCARD_SECURE, "discard-secure" },
	{ TD_FEAT_PERSISTENT, "persistent" }, { 0, NULL },
};
static const struct bit_name vbd_flags[] = {
	{ TD_F_RDONLY, "rdonly" }, { TD_F_CDROM, "cdrom" },
	{ TD_F_NO_DIRECT, "no-direct" }, { TD_F_NO_PACKET, "no-packet" },
	{ 0, NULL },
};

static const char *abi_name(uint32_t abi)
{
	switch (abi) {
	case BLKIF_ABI_NATIVE: return "native";
	case BLKIF_ABI_X86_32: return "x86_32";
	case BLKIF_ABI_X86_64: return "x86_64";
	default: return "unknown";
	}
}

static int is_cd(const struct td_vbd_status *v)
{
	return (v->info & VDISK_CDROM) || (v->flags & TD_F_CDROM);
}

/* "none" (not a CD), "present" (a medium in the closed drive) or "empty"
 * (no medium, or the tray is open). */
static const char *media_state(const struct td_vbd_status *v)
{
	if (!is_cd(v))
		return "none";
	return (v->media & TD_MEDIA_PRESENT) ? "present" : "empty";
}

static const char *tray_state(const struct td_vbd_status *v)
{
	return (v->media & TD_MEDIA_TRAY_OPEN) ? "open" : "closed";
}

/* The path of the image, "" when there is none. */
static const char *vbd_path(const struct td_vbd_status *v)
{
	const char *colon = strchr(v->params, ':');

	return colon ? colon + 1 : v->params;
}

/* ---- JSON ---- */

/* Length of a valid UTF-8 sequence at s, 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;	/* overlong, surrogate, > U+10FFFF */
	return n;
}

/* s as a JSON string; bytes that are not UTF-8 become U+FFFD. */
static void json_str(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	putchar('"');
	while (*s) {
		size_t n;

		if (*s == '"' || *s == '\\') {
			printf("\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			printf("\\u%04x", *s++);
		} else if (*s < 0x80) {
			putchar(*s++);
		} else if ((n = utf8_len(s))) {
			fwrite(s, 1, n, stdout);
			s += n;
		} else {
			fputs("\\ufffd", stdout);
			s++;
		}
	}
	putchar('"');
}

static void json_bits(uint32_t v, const struct bit_name *names)
{
	int first = 1;

	putchar('[');
	for (; names->name; names++)
		if (v & names->bit) {
			printf("%s\"%s\"", first ? "" : ",", names->name);
			first = 0;
		}
	putchar(']');
}

static void json_counters(const uint64_t *c, uint32_t n)
{
	uint32_t i;

	putchar('{');
	for (i = 0; i < TD_STAT__COUNT; i++)
		printf("%s\"%s\":%llu", i ? "," : "", tapctl_stat_name(i),
		       (unsigned long long)(i < n ? c[i] : 0));
	putchar('}');
}

/* ---- text ---- */

/* Names of the bits set in v, comma-separated ("-" if none). */
static void text_bits(uint32_t v, const struct bit_name *names)
{
	int first = 1;

	for (; names->name; names++)
		if (v & names->bit) {
			printf("%s%s", first ? "" : ",", names->name);
			first = 0;
		}
	if (first)
		putchar('-');
}

static void text_counters(const char *prefix, const uint64_t *c, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < TD_STAT__COUNT; i++)
		printf("%s%s=%llu\n", prefix, tapctl_stat_name(i),
		       (unsigned long long)(i < n ? c[i] : 0));
}

/* ---- list ---- */

struct list_filter {
	int minor;		/* -1: any */
	const char *type, *file;
	int tty, json, count;
};

static int list_entry(const struct tapctl_list_entry *e, void *arg)
{
	struct list_filter *f = arg;
	const struct td_vbd_status *v = e->vbd;

	if (f->minor >= 0 && e->minor != f->minor)
		return 0;
	/* Unlike blktap, entries without an image never match -t / -f:
	 * block-tap takes the last pid= and minor= it sees, from any line. */
	if (f->type && (!v || strcmp(e->type, f->type)))
		return 0;
	if (f->file && (!v || strcmp(e->path, f->file)))
		return 0;
	if (e->err)
		fprintf(stderr, "tap-ctl: list: tapdisk %ld: %s\n", (long)e->pid,
			strerror(e->err));
	if (f->json) {
		printf("%s\n  {\"pid\":", f->count ? "," : "");
		e->pid > 0 ? printf("%ld", (long)e->pid) : printf("null");
		printf(",\"minor\":");
		e->minor >= 0 ? printf("%d", e->minor) : printf("null");
		if (e->pid > 0 && !e->err) {
			printf(",\"engine\":");
			json_str(e->engine);
			printf(",\"xenio\":");
			json_str(e->xenio);
		}
		if (e->err) {
			printf(",\"error\":");
			json_str(strerror(e->err));
		}
		if (v) {
			printf(",\"state\":%u,\"state_flags\":", v->state);
			json_bits(v->state, vbd_states);
			printf(",\"type\":");
			v->params[0] ? json_str(e->type) : (void)printf("null");
			printf(",\"path\":");
			v->params[0] ? json_str(e->path) : (void)printf("null");
			printf(",\"size\":%llu,\"media\":\"%s\"",
			       (unsigned long long)v->size, media_state(v));
			if (is_cd(v))
				printf(",\"locked\":%s,\"tray\":\"%s\",\"media_gen\":%u",
				       (v->media & TD_MEDIA_LOCKED) ? "true" : "false",
				       tray_state(v), v->media_gen);
		}
		putchar('}');
	} else if (f->tty) {
		char pid[16] = "-", minor[16] = "-", state[16] = "-";

		if (e->pid > 0)
			snprintf(pid, sizeof(pid), "%ld", (long)e->pid);
		if (e->minor >= 0)
			snprintf(minor, sizeof(minor), "%d", e->minor);
		if (v)
			snprintf(state, sizeof(state), "%#x", v->state);
		printf("%8s %5s %6s %6s %s\n", pid, minor, state,
		       v && v->params[0] ? e->type : "-",
		       v && v->params[0] ? e->path : "-");
	} else {
		/* blktap's format: absent fields are left out. */
		const char *sep = "";

		if (e->pid > 0) {
			printf("pid=%ld", (long)e->pid);
			sep = " ";
		}
		if (e->minor >= 0) {
			printf("%sminor=%d", sep, e->minor);
			sep = " ";
		}
		if (v) {
			printf("%sstate=%#x", sep, v->state);
			if (v->params[0])
				printf(" args=%s:%s", e->type, e->path);
		}
		putchar('\n');
	}
	f->count++;
	return 0;
}

int cli_list(const struct cli_verb *v, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct list_filter f = { .minor = -1 };
	pid_t pid = -1;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, ":p:m:t:f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cli_parse_pid(optarg, &pid) < 0)
				return cli_usage(v, "bad pid '%s'", optarg);
			break;
		case 'm':
			if (cli_parse_minor(optarg, &f.minor) < 0)
				return cli_usage(v, "bad minor '%s'", optarg);
			break;
		case 't':
			f.type = optarg;
			break;
		case 'f':
			f.file = optarg;
			break;
		case 'h':
			printf("usage: tap-ctl %s %s\n\n%s\n", v->name, v->usage,
			       v->summary);
			return 0;
		case ':':
			return cli_usage(v, "option -%c needs a value", optopt);
		default:
			if (optopt)
				return cli_usage(v, "unknown option -%c", optopt);
			return cli_usage(v, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage(v, "unexpected argument '%s'", argv[optind]);
	f.json = cli.json;
	f.tty = !f.json && isatty(STDOUT_FILENO);
	if (f.json)
		putchar('[');
	else if (f.tty)
		printf("%8s %5s %6s %6s %s\n", "pid", "minor", "state", "type",
		       "file");
	rc = tapctl_list(cli.dir, pid, list_entry, &f);
	if (f.json)
		printf("%s]\n", f.count ? "\n" : "");
	fflush(stdout);
	return rc < 0 ? cli_fail("list", -1, rc) : 0;
}

/* ---- stats and media ---- */

static void text_vbd(const struct td_vbd_status *v, int counters)
{
	const char *colon = strchr(v->params, ':');

	printf("minor=%u\nparams=%s\n", v->minor, v->params);
	printf("type=%.*s\npath=%s\n", colon ? (int)(colon - v->params) : 0,
	       v->params, colon ? colon + 1 : v->params);
	printf("state=%#x\nstate_flags=", v->state);
	text_bits(v->state, vbd_states);
	printf("\nflags=");
	text_bits(v->flags, vbd_flags);
	printf("\nsize=%llu\nsector_size=%u\nphysical_sector_size=%u\n",
	       (unsigned long long)v->size, v->sector_size, v->phys_sector_size);
	printf("info=%#x\nfeatures=", v->info);
	text_bits(v->features, features);
	printf("\nmax_indirect=%u\nmedia=%s\n", v->max_indirect, media_state(v));
	if (is_cd(v))
		printf("media_locked=%d\nmedia_tray=%s\nmedia_gen=%u\n",
		       !!(v->media & TD_MEDIA_LOCKED), tray_state(v), v->media_gen);
	if (counters)
		text_counters("", v->counters, v->nr_counters);
}

static void json_vbd(const struct td_vbd_status *v, int counters)
{
	const char *colon = strchr(v->params, ':');
	char type[32] = "";

	if (colon && (size_t)(colon - v->params) < sizeof(type))
		memcpy(type, v->params, (size_t)(colon - v->params));
	printf("{\"minor\":%u,\"params\":", v->minor);
	json_str(v->params);
	printf(",\"type\":");
	json_str(type);
	printf(",\"path\":");
	json_str(colon ? colon + 1 : v->params);
	printf(",\"state\":%u,\"state_flags\":", v->state);
	json_bits(v->state, vbd_states);
	printf(",\"flags\":");
	json_bits(v->flags, vbd_flags);
	printf(",\"size\":%llu,\"sector_size\":%u,\"physical_sector_size\":%u,"
	       "\"info\":%u,\"features\":", (unsigned long long)v->size,
	       v->sector_size, v->phys_sector_size, v->info);
	json_bits(v->features, features);
	printf(",\"max_indirect\":%u,\"media\":\"%s\"", v->max_indirect,
	       media_state(v));
	if (is_cd(v))
		printf(",\"media_locked\":%s,\"media_tray\":\"%s\",\"media_gen\":%u",
		       (v->media & TD_MEDIA_LOCKED) ? "true" : "false",
		       tray_state(v), v->media_gen);
	if (counters) {
		printf(",\"counters\":");
		json_counters(v->counters, v->nr_counters);
	}
}

/* n: the ring's place in the reply (devices sharing the VBD each have a
 * queue 0, so the queue cannot name the lines) */
static void text_ring(unsigned n, const struct td_ring_status *r)
{
	char p[24];

	snprintf(p, sizeof(p), "ring%u.", n);
	printf("%sdomid=%u\n%sdevid=%u\n%squeue=%u\n%sring_order=%u\n"
	       "%sring_size=%u\n%sabi=%s\n%sevtchn=%u\n%sstate=%#x\n",
	       p, r->domid, p, r->devid, p, r->queue, p, r->ring_order,
	       p, r->ring_size, p, abi_name(r->abi), p, r->evtchn, p, r->state);
	text_counters(p, r->counters, r->nr_counters);
}

static void json_ring(const struct td_ring_status *r)
{
	printf("{\"domid\":%u,\"devid\":%u,\"queue\":%u,\"ring_order\":%u,"
	       "\"ring_size\":%u,\"abi\":\"%s\",\"evtchn\":%u,\"state\":%u,"
	       "\"state_flags\":", r->domid, r->devid, r->queue, r->ring_order,
	       r->ring_size, abi_name(r->abi), r->evtchn, r->state);
	json_bits(r->state, ring_states);
	printf(",\"counters\":");
	json_counters(r->counters, r->nr_counters);
	putchar('}');
}

int cli_stats(const struct cli_verb *v, int argc, char **argv)
{
	const struct td_vbd_status *vbd;
	struct verb_args a;
	struct td_msg *rep;
	uint32_t i;
	int rc;

	rc = cli_parse_args(v, argc, argv, "p:m:", 0, 1, &a);
	if (rc)
		return rc == 1 ? 0 : rc;
	rep = tapctl_msg_new();
	if (!rep)
		return cli_fail("stats", -1, -ENOMEM);
	rc = tapctl_status(cli.dir, a.pid, a.minor, rep);
	if (rc == 0 && rep->nr_vbds < 1)
		rc = -ENOENT;	/* an older tapdisk ignoring MINOR */
	if (rc < 0) {
		free(rep);
		return cli_fail("stats", a.pid, rc);
	}
	vbd = &rep->vbds[0];
	for (i = 0; i < rep->nr_vbds; i++)
		if (rep->vbds[i].minor == (uint32_t)a.minor)
			vbd = &rep->vbds[i];
	if (cli.json) {
		printf("{\"pid\":%u,\"engine\":", rep->pid);
		json_str(rep->engine);
		printf(",\"xenio\":");
		json_str(rep->xenio);
		printf(",\"grant\":");
		json_str(rep->grant);
		printf(",\"vbd\":");
		json_vbd(vbd, 1);
		printf(",\"rings\":[");
		for (i = 0; i < vbd->nr_rings; i++) {
			printf("%s", i ? "," : "");
			json_ring(&vbd->rings[i]);
		}
		printf("]}}\n");
	} else {
		printf("pid=%u\nengine=%s\nxenio=%s\ngrant=%s\n", rep->pid,
		       rep->engine, rep->xenio, rep->grant);
		text_vbd(vbd, 1);
		printf("rings=%u\n", vbd->nr_rings);
		for (i = 0; i < vbd->nr_rings; i++)
			text_ring(i, &vbd->rings[i]);
	}
	free(rep);
	return 0;
}

int cli_media(const struct cli_verb *v, int argc, char **argv)
{
	struct td_vbd_status *st;
	struct verb_args a;
	int rc;

	rc = cli_parse_args(v, argc, argv, "p:m:", 0, 1, &a);
	if (rc)
		return rc == 1 ? 0 : rc;
	st = calloc(1, sizeof(*st));
	if (!st)
		return cli_fail("media", -1, -ENOMEM);
	rc = tapctl_media_status(cli.dir, a.pid, (uint32_t)a.minor, st);
	if (rc < 0) {
		free(st);
		return cli_fail("media", a.pid, rc);
	}
	if (cli.json) {
		printf("{\"minor\":%u,\"present\":%s,\"params\":", st->minor,
		       (st->media & TD_MEDIA_PRESENT) ? "true" : "false");
		json_str(st->params);
		printf(",\"path\":");
		*vbd_path(st) ? json_str(vbd_path(st)) : (void)printf("null");
		printf(",\"size\":%llu,\"locked\":%s,\"tray\":\"%s\","
		       "\"media_gen\":%u,\"media\":\"%s\"}\n",
		       (unsigned long long)st->size,
		       (st->media & TD_MEDIA_LOCKED) ? "true" : "false",
		       tray_state(st), st->media_gen, media_state(st));
	} else {
		printf("minor=%u\npresent=%d\nparams=%s\npath=%s\nsize=%llu\n"
		       "locked=%d\ntray=%s\nmedia_gen=%u\nmedia=%s\n", st->minor,
		       !!(st->media & TD_MEDIA_PRESENT), st->params, vbd_path(st),
		       (unsigned long long)st->size, !!(st->media & TD_MEDIA_LOCKED),
		       tray_state(st), st->media_gen, media_state(st));
	}
	free(st);
	return 0;
}
