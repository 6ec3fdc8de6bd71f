/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * simfront packet: a CD-aware guest's view of a CD VBD. Each subcommand
 * sends one packet request (simfront_packet*) and prints what came back
 * as key=value lines:
 *
 *   status        the ring's answer (okay, error, eopnotsupp, none)
 *   ret, err      from the page (err a negative errno)
 *   SUPPORT       supported
 *   OPEN          media_present, sectors (512-byte units), sector_size
 *   MEDIA_CHANGED media_changed
 *   PACKET        stat (0 GOOD, 2 CHECK CONDITION), sense=KK/AA/QQ (hex;
 *                 00/00/00 when GOOD), data_len (the answer's own length
 *                 field, or the transfer length, cut to buflen), data (hex,
 *                 answers up to 512 bytes), then fields parsed from the
 *                 answer of the command.
 *
 * readall reads every 2048-byte block with READ(10), one per packet.
 * Exit status: 0 when the ring answered OKAY (even for CHECK CONDITION:
 * the sense is the result), 1 otherwise; readall: 1 for any failed block.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simfront-cli.h"

#define P_BLOCK 2048u
#define P_RAW_BLOCK 2352u
#define P_HEX_MAX 512u
#define P_TOC_BUFLEN 1024u
#define P_CONF_BUFLEN 1024u

struct pctx {
	struct sf_cli *c;
	struct simfront *f;
	uint8_t page[BLKIF_PKT_PAGE_SIZE];
	struct blkif_pkt_reply rep;
	int status;		/* BLKIF status of the last packet */
};

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	       p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static const char *status_str(int st)
{
	return st < -2 ? "none" : simfront_status_name(st);
}

static void print_hex(const struct sf_cli *c, const char *key,
		      const uint8_t *d, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * len + 1);
	size_t i;

	if (!s)
		return;
	for (i = 0; i < len; i++) {
		s[2 * i] = digits[d[i] >> 4];
		s[2 * i + 1] = digits[d[i] & 15];
	}
	s[2 * len] = '\0';
	sf_kv(c, key, "%s", s);
	free(s);
}

/* Text field of an INQUIRY answer, trailing blanks removed. */
static void print_text(const struct sf_cli *c, const char *key,
		       const uint8_t *d, size_t len)
{
	char s[40];
	size_t i;

	for (i = 0; i < len && i < sizeof(s) - 1; i++)
		s[i] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '.';
	while (i && s[i - 1] == ' ')
		i--;
	s[i] = '\0';
	sf_kv(c, key, "%s", s);
}

/* ---- the three simple messages ----------------------------------------- */

static int p_msg(struct pctx *p, uint32_t type)
{
	struct blkif_pkt r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	/* what SUSE's frontend sends: its xenstore node, ignored by backends */
	p->status = simfront_packet(p->f, &r, "device/vbd/51712", p->page,
				    &p->rep);
	sf_kv(p->c, "status", "%s", status_str(p->status));
	if (p->status != BLKIF_RSP_OKAY)
		return SF_EXIT_FAIL;
	sf_kv(p->c, "ret", "%d", p->rep.ret);
	sf_kv(p->c, "err", "%d", p->rep.err);
	switch (type) {
	case BLKIF_PKT_SUPPORT:
		sf_kv(p->c, "supported", "%u", p->rep.supported);
		break;
	case BLKIF_PKT_OPEN:
		sf_kv(p->c, "media_present", "%u", p->rep.media_present);
		sf_kv(p->c, "sectors", "%" PRIu32, p->rep.sectors);
		sf_kv(p->c, "sector_size", "%" PRIu32, p->rep.sector_size);
		break;
	case BLKIF_PKT_MEDIA_CHANGED:
		sf_kv(p->c, "media_changed", "%u", p->rep.media_changed);
		break;
	}
	return SF_EXIT_OK;
}

/* ---- PACKET ------------------------------------------------------------ */

/* Send one command quietly; 0 when the ring answered OKAY. */
static int p_exec(struct pctx *p, const uint8_t *cdb, size_t cdb_len,
		  uint32_t buflen)
{
	p->status = simfront_packet_cmd(p->f, cdb, cdb_len, buflen, p->page,
					&p->rep);
	return p->status == BLKIF_RSP_OKAY ? 0 : -EIO;
}

static int p_good(const struct pctx *p)
{
	return p->status == BLKIF_RSP_OKAY && p->rep.stat == 0 && p->rep.ret == 0;
}

/* Sense key, ASC and ASCQ of the answer (fixed format at page + 56). */
static void p_sense(const struct pctx *p, unsigned *key, unsigned *asc,
		    unsigned *ascq)
{
	*key = p->rep.stat ? p->rep.sense[2] & 0xf : 0;
	*asc = p->rep.stat ? p->rep.sense[12] : 0;
	*ascq = p->rep.stat ? p->rep.sense[13] : 0;
}

/* The common lines of a PACKET answer. 0 when the ring said OKAY. */
static int p_print(struct pctx *p)
{
	unsigned key, asc, ascq;

	sf_kv(p->c, "status", "%s", status_str(p->status));
	if (p->status != BLKIF_RSP_OKAY)
		return -EIO;
	p_sense(p, &key, &asc, &ascq);
	sf_kv(p->c, "ret", "%d", p->rep.ret);
	sf_kv(p->c, "err", "%d", p->rep.err);
	sf_kv(p->c, "stat", "%" PRId32, p->rep.stat);
	sf_kv(p->c, "sense", "%02x/%02x/%02x", key, asc, ascq);
	sf_kv(p->c, "sense_key", "%u", key);
	sf_kv(p->c, "asc", "0x%02x", asc);
	sf_kv(p->c, "ascq", "0x%02x", ascq);
	return 0;
}

/* data_len and data lines for an answer of len bytes (cut to buflen). */
static void p_data(struct pctx *p, size_t len, uint32_t buflen)
{
	if (len > buflen)
		len = buflen;
	sf_kv(p->c, "data_len", "%zu", len);
	if (len <= P_HEX_MAX)
		print_hex(p->c, "data", p->rep.data, len);
}

/* Run one command and print the common lines: the exit status, and
 * *good set when the command itself succeeded (GOOD status). */
static int p_cmd(struct pctx *p, const uint8_t *cdb, size_t cdb_len,
		 uint32_t buflen, int *good)
{
	p_exec(p, cdb, cdb_len, buflen);
	*good = 0;
	if (p_print(p) < 0)
		return SF_EXIT_FAIL;
	*good = p_good(p);
	return SF_EXIT_OK;
}

static int p_nodata(struct pctx *p, const uint8_t *cdb)
{
	int good;

	return p_cmd(p, cdb, 6, 0, &good);
}

static int p_tur(struct pctx *p)
{
	static const uint8_t cdb[6] = { 0x00 };

	return p_nodata(p, cdb);
}

static int p_lock(struct pctx *p, int lock)
{
	uint8_t cdb[6] = { 0x1e, 0, 0, 0, (uint8_t)(lock ? 1 : 0), 0 };

	return p_nodata(p, cdb);
}

/* START STOP UNIT with LoEj: start 0 opens the tray, 1 closes it. */
static int p_startstop(struct pctx *p, int start)
{
	uint8_t cdb[6] = { 0x1b, 0, 0, 0, (uint8_t)(0x02 | (start ? 1 : 0)), 0 };

	return p_nodata(p, cdb);
}

static int p_inquiry(struct pctx *p)
{
	static const uint8_t cdb[6] = { 0x12, 0, 0, 0, 96, 0 };
	const uint8_t *d;
	int good, rc = p_cmd(p, cdb, sizeof(cdb), 96, &good);

	if (!good)
		return rc;
	d = p->rep.data;
	p_data(p, 5u + d[4], 96);
	sf_kv(p->c, "peripheral_type", "%u", d[0] & 0x1f);
	sf_kv(p->c, "rmb", "%u", d[1] >> 7);
	sf_kv(p->c, "version", "%u", d[2]);
	sf_kv(p->c, "response_format", "%u", d[3] & 0xf);
	print_text(p->c, "vendor", d + 8, 8);
	print_text(p->c, "product", d + 16, 16);
	print_text(p->c, "revision", d + 32, 4);
	return rc;
}

/* READ CAPACITY(10): *blocks and *bsize when GOOD. */
static int p_capacity_q(struct pctx *p, uint64_t *blocks, uint32_t *bsize)
{
	static const uint8_t cdb[10] = { 0x25 };

	if (p_exec(p, cdb, sizeof(cdb), 8) < 0 || !p_good(p))
		return -EIO;
	*blocks = (uint64_t)be32(p->rep.data) + 1;
	*bsize = be32(p->rep.data + 4);
	return 0;
}

static int p_capacity(struct pctx *p)
{
	static const uint8_t cdb[10] = { 0x25 };
	int good, rc = p_cmd(p, cdb, sizeof(cdb), 8, &good);

	if (!good)
		return rc;
	p_data(p, 8, 8);
	sf_kv(p->c, "last_lba", "%" PRIu32, be32(p->rep.data));
	sf_kv(p->c, "blocks", "%" PRIu64, (uint64_t)be32(p->rep.data) + 1);
	sf_kv(p->c, "block_size", "%" PRIu32, be32(p->rep.data + 4));
	return rc;
}

/* READ(10) of one block, or READ CD of one raw (2352-byte) sector. */
static void p_read_cdb(uint8_t *cdb, uint32_t lba, int raw)
{
	memset(cdb, 0, 12);
	if (raw) {
		cdb[0] = 0xbe;		/* READ CD, any sector type */
		put_be32(cdb + 2, lba);
		cdb[8] = 1;		/* transfer length (3 bytes) */
		cdb[9] = 0xf8;		/* sync, headers, user data, EDC/ECC */
	} else {
		cdb[0] = 0x28;
		put_be32(cdb + 2, lba);
		cdb[8] = 1;		/* transfer length (2 bytes) */
	}
}

static int write_file(const char *path, const uint8_t *d, size_t len)
{
	FILE *out = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	int rc = 0;

	if (!out) {
		sf_err("%s: %s", path, strerror(errno));
		return -errno;
	}
	if (fwrite(d, 1, len, out) != len)
		rc = -EIO;
	if (out != stdout && fclose(out) != 0)
		rc = -EIO;
	if (rc < 0)
		sf_err("%s: write error", path);
	return rc;
}

static int p_read10(struct pctx *p, uint32_t lba)
{
	uint32_t len = p->c->raw ? P_RAW_BLOCK : P_BLOCK;
	uint8_t cdb[12];
	int good, rc;

	p_read_cdb(cdb, lba, p->c->raw);
	rc = p_cmd(p, cdb, p->c->raw ? 12 : 10, len, &good);
	if (!good)
		return rc;
	sf_kv(p->c, "data_len", "%" PRIu32, len);
	print_hex(p->c, "data_head", p->rep.data, 32);
	if (p->c->out && write_file(p->c->out, p->rep.data, len) < 0)
		return SF_EXIT_FAIL;
	return rc;
}

/* "LBA" or "M:S:F" of a 4-byte TOC address. */
static void toc_addr(const uint8_t *a, int msf, char *buf, size_t len)
{
	if (msf)
		snprintf(buf, len, "%u:%02u:%02u", a[1], a[2], a[3]);
	else
		snprintf(buf, len, "%" PRIu32, be32(a));
}

static void toc_fmt0(struct pctx *p, const uint8_t *d, size_t len, int msf)
{
	char key[32], addr[24];
	unsigned n = 0;
	size_t off;

	for (off = 4; off + 8 <= len; off += 8) {
		const uint8_t *e = d + off;

		toc_addr(e + 4, msf, addr, sizeof(addr));
		if (e[2] == 0xaa)
			snprintf(key, sizeof(key), "track.leadout");
		else
			snprintf(key, sizeof(key), "track.%u", e[2]);
		sf_kv(p->c, key, "%s", addr);
		snprintf(key + strlen(key), sizeof(key) - strlen(key), ".control");
		sf_kv(p->c, key, "0x%02x", e[1]);
		n++;
	}
	sf_kv(p->c, "descriptors", "%u", n);
}

static void toc_fmt2(struct pctx *p, const uint8_t *d, size_t len, int msf)
{
	char key[32], addr[24];
	unsigned n = 0;
	size_t off;

	for (off = 4; off + 11 <= len; off += 11) {
		const uint8_t *e = d + off;

		snprintf(key, sizeof(key), "point.%02x", e[3]);
		if (e[3] == 0xa0 || e[3] == 0xa1)	/* first / last track */
			snprintf(addr, sizeof(addr), "%u", e[8]);
		else	/* with MSF clear the LBA is in bytes 7..10 */
			toc_addr(e + 7, msf, addr, sizeof(addr));
		sf_kv(p->c, key, "%s", addr);
		snprintf(key + strlen(key), sizeof(key) - strlen(key), ".session");
		sf_kv(p->c, key, "%u", e[0]);
		n++;
	}
	sf_kv(p->c, "descriptors", "%u", n);
}

static int p_toc(struct pctx *p)
{
	int msf = p->c->msf, fmt = p->c->toc_format, good, rc;
	uint8_t cdb[10] = { 0x43, (uint8_t)(msf ? 0x02 : 0), (uint8_t)fmt, 0, 0, 0,
			    (uint8_t)(fmt == 0 ? 1 : 0), P_TOC_BUFLEN >> 8,
			    P_TOC_BUFLEN & 0xff, 0 };
	const uint8_t *d;
	size_t len;
	char addr[24];

	rc = p_cmd(p, cdb, sizeof(cdb), P_TOC_BUFLEN, &good);
	if (!good)
		return rc;
	d = p->rep.data;
	len = be16(d) + 2u;
	if (len > P_TOC_BUFLEN)
		len = P_TOC_BUFLEN;
	p_data(p, len, P_TOC_BUFLEN);
	sf_kv(p->c, "format", "%d", fmt);
	sf_kv(p->c, "msf", "%d", msf);
	sf_kv(p->c, "first", "%u", d[2]);
	sf_kv(p->c, "last", "%u", d[3]);
	if (fmt == 0) {
		toc_fmt0(p, d, len, msf);
	} else if (fmt == 1 && len >= 12) {
		sf_kv(p->c, "session.track", "%u", d[6]);
		toc_addr(d + 8, msf, addr, sizeof(addr));
		sf_kv(p->c, "session.addr", "%s", addr);
	} else if (fmt == 2) {
		toc_fmt2(p, d, len, msf);
	}
	return rc;
}

static int p_getconf(struct pctx *p)
{
	static const uint8_t cdb[10] = { 0x46, 0, 0, 0, 0, 0, 0,
					 P_CONF_BUFLEN >> 8, P_CONF_BUFLEN & 0xff };
	char feats[256] = "", profs[128] = "";
	size_t len, off, fl = 0, pl = 0, i;
	const uint8_t *d;
	int good, rc = p_cmd(p, cdb, sizeof(cdb), P_CONF_BUFLEN, &good);

	if (!good)
		return rc;
	d = p->rep.data;
	len = (size_t)be32(d) + 4;
	if (len > P_CONF_BUFLEN)
		len = P_CONF_BUFLEN;
	p_data(p, len, P_CONF_BUFLEN);
	sf_kv(p->c, "current_profile", "0x%04x", be16(d + 6));
	for (off = 8; off + 4 <= len; off += 4u + d[off + 3]) {
		uint32_t code = be16(d + off);

		if (fl < sizeof(feats))
			fl += (size_t)snprintf(feats + fl, sizeof(feats) - fl,
					       "%s0x%04x", fl ? "," : "", code);
		for (i = 0; code == 0 && i + 4 <= d[off + 3] &&
			    off + 4 + i + 4 <= len; i += 4)
			if (pl < sizeof(profs))
				pl += (size_t)snprintf(profs + pl, sizeof(profs) - pl,
						       "%s0x%04x%s", pl ? "," : "",
						       be16(d + off + 4 + i),
						       d[off + 6 + i] & 1 ? "*" : "");
	}
	sf_kv(p->c, "features", "%s", fl ? feats : "none");
	sf_kv(p->c, "profiles", "%s", pl ? profs : "none");
	return rc;
}

static int p_gesn(struct pctx *p)
{
	/* polled, media class (bit 4), allocation length 8 */
	static const uint8_t cdb[10] = { 0x4a, 0x01, 0, 0, 0x10, 0, 0, 0, 8, 0 };
	const uint8_t *d;
	int good, rc = p_cmd(p, cdb, sizeof(cdb), 8, &good);

	if (!good)
		return rc;
	d = p->rep.data;
	/* the length counts the bytes after the 4-byte header (QEMU, Linux) */
	p_data(p, be16(d) + 4u, 8);
	sf_kv(p->c, "nea", "%u", d[2] >> 7);
	sf_kv(p->c, "event_class", "%u", d[2] & 7);
	sf_kv(p->c, "supported_classes", "0x%02x", d[3]);
	if (be16(d) >= 4 && !(d[2] >> 7)) {
		sf_kv(p->c, "event_code", "%u", d[4] & 0xf);
		sf_kv(p->c, "media_status", "%u", d[5]);
		sf_kv(p->c, "tray_open", "%u", d[5] & 1);
		sf_kv(p->c, "media_present", "%u", (d[5] >> 1) & 1);
	}
	return rc;
}

static int p_reqsense(struct pctx *p)
{
	static const uint8_t cdb[6] = { 0x03, 0, 0, 0, 18, 0 };
	const uint8_t *d;
	int good, rc = p_cmd(p, cdb, sizeof(cdb), 18, &good);

	if (!good)
		return rc;
	d = p->rep.data;
	p_data(p, 8u + d[7], 18);
	sf_kv(p->c, "response_code", "0x%02x", d[0] & 0x7f);
	sf_kv(p->c, "req_sense", "%02x/%02x/%02x", d[2] & 0xf, d[12], d[13]);
	return rc;
}

/* "cdb HEX [--buflen N]": an arbitrary command; data is all buflen bytes. */
static int p_rawcdb(struct pctx *p, const char *hex)
{
	uint8_t cdb[BLKIF_PKT_CDB_LEN];
	size_t n = strlen(hex), i;
	uint32_t buflen = p->c->buflen;
	int good, rc;
	unsigned v;

	if (!n || n % 2 || n / 2 > sizeof(cdb))
		return sf_usage_error("packet cdb: give 1 to 12 bytes in hex");
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return sf_usage_error("packet cdb: '%s' is not hex", hex);
		cdb[i] = (uint8_t)v;
	}
	rc = p_cmd(p, cdb, n / 2, buflen, &good);
	if (p->status == BLKIF_RSP_OKAY) {
		sf_kv(p->c, "data_len", "%" PRIu32, buflen);
		print_hex(p->c, "data", p->rep.data, buflen);
	}
	return rc;
}

/* ---- readall ------------------------------------------------------------ */

/* Retry a command once after a unit attention (a new medium). */
static int p_capacity_ua(struct pctx *p, uint64_t *blocks, uint32_t *bsize)
{
	unsigned key, asc, ascq;

	if (p_capacity_q(p, blocks, bsize) == 0)
		return 0;
	p_sense(p, &key, &asc, &ascq);
	if (p->status != BLKIF_RSP_OKAY || key != 6)
		return -EIO;
	return p_capacity_q(p, blocks, bsize);
}

static int p_readall(struct pctx *p)
{
	uint64_t blocks = 0, lba, errors = 0, bytes = 0;
	unsigned key, asc, ascq;
	uint32_t bsize = 0;
	uint8_t cdb[12];
	FILE *out;
	int ok;

	if (!p->c->out)
		return sf_usage_error("packet readall: --out FILE is required");
	if (p_capacity_ua(p, &blocks, &bsize) < 0 || bsize != P_BLOCK) {
		p_sense(p, &key, &asc, &ascq);
		sf_err("packet readall: READ CAPACITY failed (%s, sense "
		       "%02x/%02x/%02x, block size %" PRIu32 ")",
		       status_str(p->status), key, asc, ascq, bsize);
		sf_kv(p->c, "result", "FAIL");
		return SF_EXIT_FAIL;
	}
	out = fopen(p->c->out, "wb");
	if (!out) {
		sf_err("%s: %s", p->c->out, strerror(errno));
		return SF_EXIT_FAIL;
	}
	for (lba = 0; lba < blocks; lba++) {
		p_read_cdb(cdb, (uint32_t)lba, 0);
		if (p_exec(p, cdb, 10, P_BLOCK) < 0 || !p_good(p)) {
			p_sense(p, &key, &asc, &ascq);
			if (!errors++)
				sf_err("packet readall: block %" PRIu64 ": %s, sense "
				       "%02x/%02x/%02x", lba, status_str(p->status),
				       key, asc, ascq);
			break;
		}
		if (fwrite(p->rep.data, 1, P_BLOCK, out) != P_BLOCK) {
			sf_err("%s: write error", p->c->out);
			errors++;
			break;
		}
		bytes += P_BLOCK;
	}
	if (fclose(out) != 0)
		errors++;
	ok = !errors && bytes == blocks * P_BLOCK;
	sf_kv(p->c, "blocks", "%" PRIu64, blocks);
	sf_kv(p->c, "bytes", "%" PRIu64, bytes);
	sf_kv(p->c, "errors", "%" PRIu64, errors);
	sf_kv(p->c, "result", "%s", ok ? "ok" : "FAIL");
	return ok ? SF_EXIT_OK : SF_EXIT_FAIL;
}

/* ---- dispatch ------------------------------------------------------------ */

static const struct {
	const char *name;
	int nargs;		/* positional arguments after the name */
} subs[] = {
	{ "support", 0 }, { "open", 0 }, { "media-changed", 0 }, { "tur", 0 },
	{ "inquiry", 0 }, { "capacity", 0 }, { "read10", 1 }, { "toc", 0 },
	{ "getconf", 0 }, { "gesn", 0 }, { "lock", 0 }, { "unlock", 0 },
	{ "eject", 0 }, { "load", 0 }, { "sense", 0 }, { "cdb", 1 },
	{ "readall", 0 },
};

int sf_packet_check_args(const char *sub, int nargs)
{
	size_t i;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(sub, subs[i].name)) {
			if (nargs != subs[i].nargs)
				return sf_usage_error("packet %s takes %d argument%s",
						   sub, subs[i].nargs,
						   subs[i].nargs == 1 ? "" : "s");
			return -1;
		}
	return sf_usage_error("packet: unknown subcommand '%s'", sub);
}

int sf_cmd_packet(struct sf_cli *c, struct simfront *f)
{
	const char *s = c->pkt_sub;
	struct pctx *p = calloc(1, sizeof(*p));
	uint64_t lba;
	char *end;
	int rc;

	if (!p)
		return SF_EXIT_FAIL;
	p->c = c;
	p->f = f;
	if (!strcmp(s, "support")) {
		rc = p_msg(p, BLKIF_PKT_SUPPORT);
	} else if (!strcmp(s, "open")) {
		rc = p_msg(p, BLKIF_PKT_OPEN);
	} else if (!strcmp(s, "media-changed")) {
		rc = p_msg(p, BLKIF_PKT_MEDIA_CHANGED);
	} else if (!strcmp(s, "tur")) {
		rc = p_tur(p);
	} else if (!strcmp(s, "inquiry")) {
		rc = p_inquiry(p);
	} else if (!strcmp(s, "capacity")) {
		rc = p_capacity(p);
	} else if (!strcmp(s, "read10")) {
		errno = 0;
		lba = strtoull(c->pkt_args[0], &end, 0);
		if (errno || *end || !*c->pkt_args[0] || lba > UINT32_MAX)
			rc = sf_usage_error("packet read10: bad LBA '%s'",
					    c->pkt_args[0]);
		else
			rc = p_read10(p, (uint32_t)lba);
	} else if (!strcmp(s, "toc")) {
		rc = p_toc(p);
	} else if (!strcmp(s, "getconf")) {
		rc = p_getconf(p);
	} else if (!strcmp(s, "gesn")) {
		rc = p_gesn(p);
	} else if (!strcmp(s, "lock") || !strcmp(s, "unlock")) {
		rc = p_lock(p, !strcmp(s, "lock"));
	} else if (!strcmp(s, "eject") || !strcmp(s, "load")) {
		rc = p_startstop(p, !strcmp(s, "load"));
	} else if (!strcmp(s, "sense")) {
		rc = p_reqsense(p);
	} else if (!strcmp(s, "cdb")) {
		rc = p_rawcdb(p, c->pkt_args[0]);
	} else if (!strcmp(s, "readall")) {
		rc = p_readall(p);
	} else {
		rc = sf_usage_error("packet: unknown subcommand '%s'", s);
	}
	if (p->status < -2 && rc == SF_EXIT_FAIL && *simfront_last_error())
		sf_err("packet %s: %s", s, simfront_last_error());
	free(p);
	return rc;
}
