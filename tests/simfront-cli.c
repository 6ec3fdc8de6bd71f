/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * simfront: command-line face of the simulated blkfront (simfront.h).
 * Output is "key=value" lines on stdout for tests to parse; errors go to
 * stderr. Exit 0 on success, 1 on failure, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "simfront-cli.h"
#include "tapctl.h"

static const char usage_text[] =
"NAME\n"
"    simfront - simulated Xen blkfront for a tapdisk on the simulated hypervisor\n"
"\n"
"SYNOPSIS\n"
"    simfront --pid PID [options] COMMAND [command options]\n"
"\n"
"    simfront info\n"
"    simfront verify [--count N] [--seed S] [--max-kb K]\n"
"    simfront write --offset B --in FILE\n"
"    simfront read --offset B --len L --out FILE\n"
"    simfront flush\n"
"    simfront barrier [--data [--offset B] [--in FILE | --len L]]\n"
"    simfront discard --offset B --len L [--secure]\n"
"    simfront load --rw MODE --bs BYTES --qd N (--runtime SEC | --ios N)\n"
"                  [--indirect] [--verify] [--mix PCT] [--seed S]\n"
"                  [--flush-every N] [--log FILE]\n"
"    simfront hostile MODE [--expect STATUS]\n"
"    simfront packet support|open|media-changed|tur|inquiry|capacity|\n"
"                    getconf|gesn|lock|unlock|eject|load|sense\n"
"    simfront packet read10 LBA [--raw] [--out FILE]\n"
"    simfront packet toc [--msf] [--format 0|1|2]\n"
"    simfront packet cdb HEX [--buflen N]\n"
"    simfront packet readall --out FILE\n"
"    simfront cdload --iso A --iso B --runtime SEC [--seed S]\n"
"\n"
"DESCRIPTION\n"
"    Acts as a guest domain's blkfront against a running tapdisk (started as\n"
"    'tapdisk -F -c CTLDIR -x sim:SIMDIR'): creates the guest's simulated\n"
"    memory, grants a shared ring of 1 << order pages and an event channel,\n"
"    connects the ring over the control socket, issues requests, checks the\n"
"    responses and disconnects. With --open it also opens the image as a VBD\n"
"    first and closes it at the end. Results are printed as key=value lines.\n"
"\n"
"COMMON OPTIONS\n"
"    --pid PID          tapdisk process to talk to (required)\n"
"    --ctl-dir DIR      control socket directory (default $TAPCTL_CONTROL_DIR,\n"
"                       else /run/blktap-control)\n"
"    --sim-dir DIR      simulator directory (default $XENTAP_SIM_DIR)\n"
"    --domid N          guest domain id (default 1)\n"
"    --devid N          virtual device (default 51712, xvda)\n"
"    --minor N          VBD minor (default 0)\n"
"    --open TYPE:PATH   open this image as the VBD (closed again at the end);\n"
"                       without it the VBD must already be open\n"
"    --readonly         open the VBD read-only; without --open, a read-only\n"
"                       device: RING_CONNECT with TD_F_RDONLY (mode=r)\n"
"    --cdrom            the VBD is a CD: with --open, VBD_OPEN with TD_F_CDROM\n"
"                       (--open aio: is an empty drive); without, RING_CONNECT\n"
"                       with TD_F_CDROM\n"
"    --no-packet        with --cdrom: TD_F_NO_PACKET (op 4 refused)\n"
"    --order N          ring page order 0..4 (default 0: one page)\n"
"    --abi ABI          native, x86_32 or x86_64 (default native)\n"
"    --indirect         use indirect requests (verify: for large extents and\n"
"                       some small ones; load: for every request)\n"
"    --max-segs N       segments per indirect request (default: what the VBD\n"
"                       advertises, at most 256)\n"
"    --persistent       persistent grants: grant the request pages once, for\n"
"                       the connection, and copy data in and out of them\n"
"                       (default: when the VBD offers feature-persistent)\n"
"    --no-persistent    grant pages per request even if it is offered\n"
"    --qd N             requests in flight (default 32, load: 1; at most the\n"
"                       ring size)\n"
"    --timeout MS       wait for a response at most MS ms (default 10000)\n"
"    --quiet            print no key=value lines (exit status only)\n"
"    -h, --help         this text\n"
"\n"
"COMMANDS\n"
"    info      prints sectors, sector_size, size, ring_size, abi, order,\n"
"              features, max_indirect, info, readonly, queue_depth.\n"
"    verify    writes --count (64) non-overlapping extents of random sizes\n"
"              (up to --max-kb, default 44 KiB or 1 MiB with --indirect) with a\n"
"              pattern from --seed (default: random, printed), in random order\n"
"              and queue_depth at a time, reads them back and compares.\n"
"              Prints seed, requests, indirect_requests, bytes, errors,\n"
"              mismatches, unverified (extents whose write failed: read back\n"
"              but not compared) and verify=ok|FAIL.\n"
"    write     copies FILE ('-': stdin) to the disk at byte offset B (a multiple\n"
"              of 512; a partial last sector is read, merged and rewritten).\n"
"    read      copies L bytes at offset B to FILE ('-': stdout).\n"
"    flush     one FLUSH_DISKCACHE; prints status and the VBD's flush_done.\n"
"    barrier   one WRITE_BARRIER, without data, or with --data: FILE's bytes\n"
"              (a multiple of 512) or, without --in, the L (4096) bytes already\n"
"              at B rewritten; prints status and flush_done.\n"
"    discard   one DISCARD (BLKIF_DISCARD_SECURE with --secure); prints status\n"
"              and the VBD's discard_done.\n"
"    load      timed load: --rw randread, randwrite, read, write or randrw\n"
"              (--mix PCT reads, default 50), block size --bs, --qd requests in\n"
"              flight, for --runtime seconds or --ios requests. --verify writes\n"
"              patterns and checks reads of blocks written in this run. Prints\n"
"              ios, errors, iops, mbps, lat_p50_us, lat_p99_us, lat_p999_us,\n"
"              lat_max_us, notifies, wakeups (and verify=ok|FAIL).\n"
"              --flush-every N sends a FLUSH_DISKCACHE after every N writes\n"
"              (one at a time; prints flushes, flush_errors). --log FILE (with\n"
"              --verify) appends what the guest did, for tests/crashcheck:\n"
"              'W ver offset len key' before a write is published, 'A ver' /\n"
"              'E ver' when it is answered okay / with an error, 'F n' before a\n"
"              flush is published, 'FA n' / 'FE n' when it is answered. Lines\n"
"              reach the file (write(2)) before the request is published and\n"
"              after its answer is seen, so the log survives a kill -9 of\n"
"              either side.\n"
"    hostile   sends one malformed request of kind MODE and checks the answer,\n"
"              then one good READ (good_read=ok). Prints mode, status, expected.\n"
"              --expect okay|error|eopnotsupp[,...] overrides the expectation.\n"
"              ERROR expected: nsegs0 nsegs12 nsegs255 first-gt-last last-sect8\n"
"                past-end straddle-end sector-overflow bad-gref revoked-gref\n"
"                wrong-domain ro-grant-read indirect-too-many indirect-bad-op\n"
"                indirect-bad-gref discard-past-end\n"
"              OKAY or ERROR: cached-revoked (a cached persistent grant revoked,\n"
"                then its reference granted again for another page)\n"
"              ERROR, needing --readonly: write-readonly flush-readonly\n"
"                discard-readonly\n"
"              EOPNOTSUPP expected: unknown-op (ops 7 and 255), packet-op (op 4)\n"
"              discard-secure: okay if the VBD offers secure discard, else\n"
"                error or eopnotsupp\n"
"              bad-prod: req_prod = rsp_prod + ring_size + 5; no response may\n"
"                come within 1 s (halted=yes); then reconnects and reads\n"
"                (recovered=ok).\n"
"              Packet modes (a CD VBD unless said; then good_read and, when\n"
"              the CD takes packets, good_packet = a SUPPORT answered):\n"
"                pkt-bad-type (types 0, 6300, 6305, ffffffff: error, page\n"
"                untouched), pkt-oversized-buflen (buflen 0xffffffff: READ(10)\n"
"                of 1 block answered in the page, the rest zeroed; of 2 blocks\n"
"                CHECK CONDITION 05/24/00; the page after it untouched),\n"
"                pkt-two-segs, pkt-bad-sect (first 1 / last 6), pkt-indirect\n"
"                (INDIRECT with indirect_op 4): error; pkt-flood (a stress:\n"
"                queue_depth READ(10) packets at once, each page its block):\n"
"                okay;\n"
"                pkt-on-disk (a VBD that is not a CD), pkt-no-packet (a CD\n"
"                with --no-packet): eopnotsupp, page untouched.\n"
"    packet    one BLKIF_OP_PACKET request (SUSE CD packets), as a CD-aware\n"
"              guest sends it. Prints status (the ring's answer), ret, err\n"
"              and: support: supported; open: media_present, sectors,\n"
"              sector_size; media-changed: media_changed (read and cleared).\n"
"              MMC commands print stat (0 GOOD, 2 CHECK CONDITION),\n"
"              sense=KK/AA/QQ (hex, 00/00/00 when GOOD), sense_key, asc, ascq,\n"
"              and when GOOD data_len (the answer's own length, cut to the\n"
"              buffer), data (hex, answers up to 512 bytes) and parsed fields:\n"
"              tur, lock, unlock (PREVENT ALLOW MEDIUM REMOVAL), eject, load\n"
"              (START STOP UNIT): none; inquiry: peripheral_type, rmb,\n"
"              version, vendor, product, revision; capacity: last_lba,\n"
"              blocks, block_size; read10: READ(10) of one 2048-byte block\n"
"              (--raw: READ CD of one 2352-byte raw sector), data_head,\n"
"              written to --out FILE; toc: READ TOC format --format (0) in LBA\n"
"              or --msf: first, last, then track.N / track.leadout (format\n"
"              0), session.track, session.addr (1), point.XX (2: a0/a1 track\n"
"              numbers, others addresses); getconf: current_profile,\n"
"              features, profiles (* = current); gesn (polled, media class):\n"
"              nea, event_class, event_code, media_status, tray_open,\n"
"              media_present; sense: REQUEST SENSE, req_sense=KK/AA/QQ;\n"
"              cdb HEX: any CDB, --buflen N bytes back (default 0), all\n"
"              printed as data. readall: READ CAPACITY (again after a unit\n"
"              attention), then READ(10) of every block, one per packet,\n"
"              into --out FILE; prints blocks, bytes, errors, result. Exit 0\n"
"              when the ring answered OKAY (whatever the SCSI status).\n"
"    cdload    ordinary READs of random extents below the larger of the two\n"
"              --iso images, --qd (default 4) at a time, for --runtime\n"
"              seconds, while the admin may swap the medium: every read\n"
"              answered OKAY must equal image A or image B there, entirely.\n"
"              Prints seed, ios, ok, errors, medium_a, medium_b, ambiguous\n"
"              (both images hold those bytes), mismatches, unexpected\n"
"              (answers other than okay/error), result.\n"
"\n"
"EXIT STATUS\n"
"    0 success (expectations met), 1 failure, 2 usage error.\n"
"\n"
"EXAMPLE\n"
"    tapdisk -F -c /tmp/ctl -x sim:/dev/shm/sim &\n"
"    simfront --pid $! --ctl-dir /tmp/ctl --sim-dir /dev/shm/sim \\\n"
"             --open raw:/var/tmp/img verify --count 100\n";

void sf_kv(const struct sf_cli *c, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet)
		return;
	printf("%s=", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

void sf_err(const char *fmt, ...)
{
	va_list ap;

	fputs("simfront: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

uint64_t sf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- option parsing --------------------------------------------------- */

/* Unsigned number with an optional binary suffix (k, m, g, t). */
static int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	unsigned shift = 0;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_u32(const char *s, uint32_t *out, uint32_t max)
{
	uint64_t v;

	if (parse_u64(s, &v) < 0 || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_abi(const char *s, enum blkif_abi *abi)
{
	if (!strcmp(s, "x86_32"))
		s = "x86_32-abi";
	else if (!strcmp(s, "x86_64"))
		s = "x86_64-abi";
	if (!*s)
		return -EINVAL;	/* blkif_abi_parse would pick x86_32 */
	return blkif_abi_parse(s, abi);
}

enum {
	OPT_CTL_DIR = 256, OPT_PID, OPT_SIM_DIR, OPT_DOMID, OPT_DEVID, OPT_MINOR,
	OPT_OPEN, OPT_READONLY, OPT_ORDER, OPT_ABI, OPT_INDIRECT, OPT_MAX_SEGS,
	OPT_QD, OPT_TIMEOUT, OPT_QUIET, OPT_COUNT, OPT_SEED, OPT_MAX_KB,
	OPT_OFFSET, OPT_LEN, OPT_IN, OPT_OUT, OPT_DATA, OPT_SECURE, OPT_RW,
	OPT_BS, OPT_RUNTIME, OPT_IOS, OPT_VERIFY, OPT_MIX, OPT_EXPECT,
	OPT_LOG, OPT_FLUSH_EVERY,
	OPT_CDROM, OPT_NO_PACKET, OPT_RAW, OPT_MSF, OPT_FORMAT, OPT_BUFLEN,
	OPT_ISO, OPT_PERSISTENT, OPT_NO_PERSISTENT,
};

static const struct option long_opts[] = {
	{ "ctl-dir", required_argument, NULL, OPT_CTL_DIR },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "sim-dir", required_argument, NULL, OPT_SIM_DIR },
	{ "domid", required_argument, NULL, OPT_DOMID },
	{ "devid", required_argument, NULL, OPT_DEVID },
	{ "minor", required_argument, NULL, OPT_MINOR },
	{ "open", required_argument, NULL, OPT_OPEN },
	{ "readonly", no_argument, NULL, OPT_READONLY },
	{ "order", required_argument, NULL, OPT_ORDER },
	{ "abi", required_argument, NULL, OPT_ABI },
	{ "indirect", no_argument, NULL, OPT_INDIRECT },
	{ "persistent", no_argument, NULL, OPT_PERSISTENT },
	{ "no-persistent", no_argument, NULL, OPT_NO_PERSISTENT },
	{ "max-segs", required_argument, NULL, OPT_MAX_SEGS },
	{ "qd", required_argument, NULL, OPT_QD },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "max-kb", required_argument, NULL, OPT_MAX_KB },
	{ "offset", required_argument, NULL, OPT_OFFSET },
	{ "len", required_argument, NULL, OPT_LEN },
	{ "in", required_argument, NULL, OPT_IN },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "data", no_argument, NULL, OPT_DATA },
	{ "secure", no_argument, NULL, OPT_SECURE },
	{ "rw", required_argument, NULL, OPT_RW },
	{ "bs", required_argument, NULL, OPT_BS },
	{ "runtime", required_argument, NULL, OPT_RUNTIME },
	{ "ios", required_argument, NULL, OPT_IOS },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "mix", required_argument, NULL, OPT_MIX },
	{ "expect", required_argument, NULL, OPT_EXPECT },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "flush-every", required_argument, NULL, OPT_FLUSH_EVERY },
	{ "cdrom", no_argument, NULL, OPT_CDROM },
	{ "no-packet", no_argument, NULL, OPT_NO_PACKET },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "msf", no_argument, NULL, OPT_MSF },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "buflen", required_argument, NULL, OPT_BUFLEN },
	{ "iso", required_argument, NULL, OPT_ISO },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int sf_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("simfront: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'simfront --help'.\n", stderr);
	return SF_EXIT_USAGE;
}

/* Returns -1 to go on, or an exit code. */
static int parse_args(struct sf_cli *c, int argc, char **argv)
{
	uint32_t u32;
	char *end;
	int opt, qd_set = 0, cdrom = 0, no_packet = 0;
	long pid;

	simfront_opts_init(&c->o);
	c->count = 64;
	c->mix = 50;
	c->len = 4096;
	c->o.sim_dir = getenv(XSIM_ENV_DIR);
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return SF_EXIT_OK;
		case OPT_CTL_DIR: c->o.ctl_dir = optarg; break;
		case OPT_SIM_DIR: c->o.sim_dir = optarg; break;
		case OPT_OPEN: c->o.open_spec = optarg; break;
		case OPT_READONLY: c->o.readonly = 1; break;
		case OPT_INDIRECT: c->o.use_indirect = 1; break;
		case OPT_PERSISTENT: c->o.persistent = 1; break;
		case OPT_NO_PERSISTENT: c->o.persistent = -1; break;
		case OPT_QUIET: c->quiet = 1; break;
		case OPT_IN: c->in = optarg; break;
		case OPT_OUT: c->out = optarg; break;
		case OPT_DATA: c->data = 1; break;
		case OPT_SECURE: c->secure = 1; break;
		case OPT_RW: c->rw = optarg; break;
		case OPT_VERIFY: c->verify = 1; break;
		case OPT_EXPECT: c->expect = optarg; break;
		case OPT_LOG: c->log = optarg; break;
		case OPT_CDROM: cdrom = 1; break;
		case OPT_NO_PACKET: no_packet = 1; break;
		case OPT_RAW: c->raw = 1; break;
		case OPT_MSF: c->msf = 1; break;
		case OPT_FORMAT:
			if (parse_u32(optarg, &u32, 2) < 0)
				return sf_usage_error("bad --format '%s' (0, 1 or 2)", optarg);
			c->toc_format = (int)u32;
			break;
		case OPT_BUFLEN:
			if (parse_u32(optarg, &c->buflen, BLKIF_PKT_DATA_MAX) < 0)
				return sf_usage_error("bad --buflen '%s' (0..%u)", optarg,
						   BLKIF_PKT_DATA_MAX);
			break;
		case OPT_ISO:
			if (c->nr_iso == 2)
				return sf_usage_error("--iso: give it twice, not more");
			c->iso[c->nr_iso++] = optarg;
			break;
		case OPT_FLUSH_EVERY:
			if (parse_u64(optarg, &c->flush_every) < 0 || !c->flush_every)
				return sf_usage_error("bad --flush-every '%s'", optarg);
			break;
		case OPT_PID:
			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (errno || *end || pid <= 0 || pid > INT32_MAX)
				return sf_usage_error("bad --pid '%s'", optarg);
			c->o.pid = (pid_t)pid;
			break;
		case OPT_DOMID:
			if (parse_u32(optarg, &c->o.domid, 0x7fef) < 0 || !c->o.domid)
				return sf_usage_error("bad --domid '%s' (1..32751)", optarg);
			break;
		case OPT_DEVID:
			if (parse_u32(optarg, &c->o.devid, UINT32_MAX) < 0)
				return sf_usage_error("bad --devid '%s'", optarg);
			break;
		case OPT_MINOR:
			if (parse_u32(optarg, &c->o.minor, INT32_MAX) < 0)
				return sf_usage_error("bad --minor '%s'", optarg);
			break;
		case OPT_ORDER:
			if (parse_u32(optarg, &u32, BLKIF_MAX_RING_ORDER) < 0)
				return sf_usage_error("bad --order '%s' (0..4)", optarg);
			c->o.ring_order = u32;
			break;
		case OPT_ABI:
			if (parse_abi(optarg, &c->o.abi) < 0)
				return sf_usage_error("bad --abi '%s' (native, x86_32, x86_64)",
						   optarg);
			break;
		case OPT_MAX_SEGS:
			if (parse_u32(optarg, &u32, BLKIF_MAX_INDIRECT_SEGS) < 0 || !u32)
				return sf_usage_error("bad --max-segs '%s' (1..256)", optarg);
			c->o.max_indirect_segs = u32;
			break;
		case OPT_QD:
			if (parse_u32(optarg, &u32, 4096) < 0 || !u32)
				return sf_usage_error("bad --qd '%s'", optarg);
			c->o.queue_depth = u32;
			qd_set = 1;
			break;
		case OPT_TIMEOUT:
			if (parse_u32(optarg, &u32, 3600000) < 0 || !u32)
				return sf_usage_error("bad --timeout '%s' (ms)", optarg);
			c->o.timeout_ms = (int)u32;
			break;
		case OPT_COUNT:
			if (parse_u64(optarg, &c->count) < 0 || !c->count ||
			    c->count > 1000000)
				return sf_usage_error("bad --count '%s'", optarg);
			break;
		case OPT_SEED:
			if (parse_u64(optarg, &c->seed) < 0)
				return sf_usage_error("bad --seed '%s'", optarg);
			c->seed_set = 1;
			break;
		case OPT_MAX_KB:
			if (parse_u64(optarg, &c->max_kb) < 0 || !c->max_kb)
				return sf_usage_error("bad --max-kb '%s'", optarg);
			break;
		case OPT_OFFSET:
			if (parse_u64(optarg, &c->offset) < 0)
				return sf_usage_error("bad --offset '%s'", optarg);
			c->have_offset = 1;
			break;
		case OPT_LEN:
			if (parse_u64(optarg, &c->len) < 0)
				return sf_usage_error("bad --len '%s'", optarg);
			c->have_len = 1;
			break;
		case OPT_BS:
			if (parse_u64(optarg, &c->bs) < 0 || !c->bs)
				return sf_usage_error("bad --bs '%s'", optarg);
			break;
		case OPT_RUNTIME:
			c->runtime = strtod(optarg, &end);
			if (*end || !(c->runtime > 0) || c->runtime > 1e6)
				return sf_usage_error("bad --runtime '%s' (seconds)", optarg);
			break;
		case OPT_IOS:
			if (parse_u64(optarg, &c->ios) < 0 || !c->ios)
				return sf_usage_error("bad --ios '%s'", optarg);
			break;
		case OPT_MIX:
			if (parse_u32(optarg, &u32, 100) < 0)
				return sf_usage_error("bad --mix '%s' (0..100)", optarg);
			c->mix = u32;
			break;
		default:
			return sf_usage_error("unknown option");
		}
	}
	if (optind >= argc)
		return sf_usage_error("no command given");
	c->cmd = argv[optind++];
	if (!strcmp(c->cmd, "hostile")) {
		if (optind >= argc)
			return sf_usage_error("hostile: no MODE given");
		c->mode = argv[optind++];
		if (!sf_hostile_known(c->mode))
			return sf_usage_error("hostile: unknown mode '%s'", c->mode);
	}
	if (!strcmp(c->cmd, "packet")) {
		if (optind >= argc)
			return sf_usage_error("packet: no subcommand given");
		c->pkt_sub = argv[optind++];
		c->pkt_args = argv + optind;
		c->pkt_nargs = argc - optind;
		optind = argc;
		opt = sf_packet_check_args(c->pkt_sub, c->pkt_nargs);
		if (opt >= 0)
			return opt;
	}
	if (optind < argc)
		return sf_usage_error("unexpected argument '%s'", argv[optind]);
	if (!c->o.pid)
		return sf_usage_error("--pid is required");
	if (no_packet && !cdrom)
		return sf_usage_error("--no-packet needs --cdrom");
	if (c->o.readonly && !c->o.open_spec)
		c->o.ring_flags |= TD_F_RDONLY;
	if (cdrom) {
		uint32_t fl = TD_F_CDROM | (no_packet ? TD_F_NO_PACKET : 0);

		if (c->o.open_spec)
			c->o.open_flags |= fl;
		else
			c->o.ring_flags |= fl;
	}
	if (!strcmp(c->cmd, "cdload")) {
		if (c->nr_iso != 2 || !c->runtime)
			return sf_usage_error("cdload: --iso A --iso B and --runtime "
					   "are required");
		if (!qd_set)
			c->o.queue_depth = 4;
	}
	if (!strcmp(c->cmd, "load")) {
		if (!qd_set)
			c->o.queue_depth = 1;
		if (!c->rw || !c->bs)
			return sf_usage_error("load: --rw and --bs are required");
		if (!c->runtime == !c->ios)
			return sf_usage_error("load: give exactly one of --runtime and --ios");
		if (c->bs % 512)
			return sf_usage_error("load: --bs must be a multiple of 512");
		if (c->log && !c->verify)
			return sf_usage_error("load: --log needs --verify (patterns)");
	}
	return -1;
}

/* ---- helpers ---------------------------------------------------------- */

static const char *features_str(uint32_t feat, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ TD_FEAT_FLUSH, "flush" },
		{ TD_FEAT_BARRIER, "barrier" },
		{ TD_FEAT_DISCARD, "discard" },
		{ TD_FEAT_DISCARD_SECURE, "discard-secure" },
		{ TD_FEAT_PERSISTENT, "persistent" },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (feat & names[i].bit)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
					      n ? "," : "", names[i].name);
	if (!n)
		snprintf(buf, len, "none");
	return buf;
}

/* ---- info ------------------------------------------------------------- */

static int cmd_info(struct sf_cli *c, struct simfront *f)
{
	const struct simfront_info *in = simfront_info(f);
	char feat[128];

	sf_kv(c, "sectors", "%" PRIu64, in->sectors);
	sf_kv(c, "sector_size", "%u", in->sector_size);
	sf_kv(c, "phys_sector_size", "%u", in->phys_sector_size);
	sf_kv(c, "size", "%" PRIu64, in->size);
	sf_kv(c, "ring_size", "%u", in->ring_size);
	sf_kv(c, "abi", "%s", blkif_abi_name(in->abi));
	sf_kv(c, "order", "%u", in->ring_order);
	sf_kv(c, "features", "%s", features_str(in->features, feat, sizeof(feat)));
	sf_kv(c, "max_indirect", "%u", in->vbd_max_indirect);
	sf_kv(c, "info", "%u", in->vdisk_info);
	sf_kv(c, "readonly", "%d", !!(in->vdisk_info & VDISK_READONLY));
	sf_kv(c, "cdrom", "%d", !!(in->vdisk_info & VDISK_CDROM));
	sf_kv(c, "queue_depth", "%u", in->queue_depth);
	sf_kv(c, "indirect_segs", "%u", in->indirect_segs);
	sf_kv(c, "persistent", "%d", in->persistent);
	sf_kv(c, "domid", "%u", in->domid);
	sf_kv(c, "devid", "%u", in->devid);
	sf_kv(c, "minor", "%u", in->minor);
	sf_kv(c, "evtchn", "%u", in->evtchn);
	sf_kv(c, "engine", "%s", in->engine);
	sf_kv(c, "xenio", "%s", in->xenio);
	return SF_EXIT_OK;
}

/* ---- main ------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(struct sf_cli *c, struct simfront *f);
} commands[] = {
	{ "info", cmd_info },
	{ "verify", sf_cmd_verify },
	{ "write", sf_cmd_write },
	{ "read", sf_cmd_read },
	{ "flush", sf_cmd_flush },
	{ "barrier", sf_cmd_barrier },
	{ "discard", sf_cmd_discard },
	{ "load", sf_cmd_load },
	{ "hostile", sf_cmd_hostile },
	{ "packet", sf_cmd_packet },
	{ "cdload", sf_cmd_cdload },
};

int main(int argc, char **argv)
{
	int (*fn)(struct sf_cli *c, struct simfront *f) = NULL;
	struct sf_cli c;
	struct simfront *f;
	size_t i;
	int rc, code;

	memset(&c, 0, sizeof(c));
	code = parse_args(&c, argc, argv);
	if (code >= 0)
		return code;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(c.cmd, commands[i].name))
			fn = commands[i].fn;
	if (!fn)
		return sf_usage_error("unknown command '%s'", c.cmd);
	if (c.mode && sf_hostile_needs_ro(c.mode) && c.o.open_spec && !c.o.readonly)
		return sf_usage_error("hostile %s needs a read-only VBD (--readonly)",
				   c.mode);

	rc = simfront_open(&c.o, &f);
	if (rc < 0) {
		sf_err("connecting to tapdisk %d: %s", (int)c.o.pid,
		       *simfront_last_error() ? simfront_last_error() : strerror(-rc));
		return SF_EXIT_FAIL;
	}
	code = fn(&c, f);
	if (simfront_stats(f)->op_mismatch) {
		/* Linux blkfront disables a device whose backend does this */
		sf_err("%llu response(s) carried the wrong operation",
		       (unsigned long long)simfront_stats(f)->op_mismatch);
		code = SF_EXIT_FAIL;
	}
	fflush(stdout);
	rc = simfront_close(f);
	if (rc < 0) {
		sf_err("disconnecting: %s", simfront_last_error());
		code = SF_EXIT_FAIL;
	}
	return code;
}
