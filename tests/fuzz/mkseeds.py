#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the seed corpora of the fuzz targets (tests/fuzz/corpus/<name>/).

Small valid inputs (and a few classic near-misses) in each target's input
format, as documented at the top of tests/fuzz/fuzz-<name>.c. Run from
anywhere: python3 tests/fuzz/mkseeds.py [OUTDIR]. The files are committed;
rerun only when an input format changes.
"""
import os
import struct
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

# ---- blkif requests -----------------------------------------------------
# (req_size, id, sector, seg, nr_sectors, ind_handle, ind_grefs) per ABI
LAYOUT = {0: (112, 8, 16, 24, 24, 24, 28),   # native = x86_64 here
          1: (108, 4, 12, 20, 20, 20, 24),   # x86_32
          2: (112, 8, 16, 24, 24, 24, 28)}   # x86_64
OP_READ, OP_WRITE, OP_BARRIER, OP_FLUSH, OP_PACKET, OP_DISCARD, OP_INDIRECT = range(7)


def req(abi, op, rid, sector, segs=(), handle=0, nr_sectors=0, flag=0,
        ind_op=0, ind_nsegs=0, ind_grefs=()):
    size, o_id, o_sec, o_seg, o_nr, o_ih, o_ig = LAYOUT[abi]
    b = bytearray(size)
    b[0] = op
    struct.pack_into("<Q", b, o_id, rid)
    struct.pack_into("<Q", b, o_sec, sector)
    if op == OP_DISCARD:
        b[1] = flag
        struct.pack_into("<H", b, 2, handle)
        struct.pack_into("<Q", b, o_nr, nr_sectors)
    elif op == OP_INDIRECT:
        b[1] = ind_op
        struct.pack_into("<H", b, 2, ind_nsegs)
        struct.pack_into("<H", b, o_ih, handle)
        for i, g in enumerate(ind_grefs):
            struct.pack_into("<I", b, o_ig + 4 * i, g)
    else:
        b[1] = len(segs)
        struct.pack_into("<H", b, 2, handle)
        for i, (g, first, last) in enumerate(segs):
            struct.pack_into("<IBB", b, o_seg + 8 * i, g, first, last)
    return bytes(b)


def ind_page(segs):
    p = bytearray(4096)
    for i, (g, first, last) in enumerate(segs):
        struct.pack_into("<IBB", p, 8 * i, g, first, last)
    return bytes(p)


def write(name, fname, data):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)


def blkif_req_seeds():
    allf = 0x3e   # flush, barrier, discard, secure, packet; read-write
    for abi in range(3):
        lim = lambda flags, sectors=2048, ind=256: bytes([abi, flags]) + struct.pack("<QH", sectors, ind)
        write("blkif-req", f"read-abi{abi}", lim(allf) + req(abi, OP_READ, 1, 8, [(17, 0, 7), (18, 2, 5)]))
        write("blkif-req", f"write-ro-abi{abi}", lim(allf | 1) + req(abi, OP_WRITE, 2, 0, [(17, 0, 0)]))
        write("blkif-req", f"write-end-abi{abi}", lim(allf) + req(abi, OP_WRITE, 3, 2040, [(17, 0, 7)]))
        write("blkif-req", f"flush-data-abi{abi}", lim(allf) + req(abi, OP_FLUSH, 4, 16, [(19, 1, 7)]))
        write("blkif-req", f"barrier-abi{abi}", lim(allf) + req(abi, OP_BARRIER, 5, 0))
        write("blkif-req", f"discard-abi{abi}", lim(allf) + req(abi, OP_DISCARD, 6, 64, nr_sectors=64, flag=1))
        write("blkif-req", f"packet-abi{abi}", lim(allf) + req(abi, OP_PACKET, 7, 0, [(20, 0, 7)]))
        segs = [(17 + i % 8, i % 8, 7) for i in range(20)]
        write("blkif-req", f"indirect-abi{abi}", lim(allf) + req(abi, OP_INDIRECT, 8, 100, ind_op=OP_WRITE,
                                                                   ind_nsegs=20, ind_grefs=[21]) + ind_page(segs))
        segs = [(17, 0, 7)] * 600
        write("blkif-req", f"indirect2-abi{abi}", lim(allf, 1 << 40, 1024) + req(
            abi, OP_INDIRECT, 9, 0, ind_op=OP_READ, ind_nsegs=600, ind_grefs=[21, 22]) +
            ind_page(segs[:512]) + ind_page(segs[512:]))
        write("blkif-req", f"huge-sector-abi{abi}", lim(allf, (1 << 64) - 1) +
              req(abi, OP_READ, 10, (1 << 55) - 2, [(17, 0, 7)]))


# ---- whole rings ---------------------------------------------------------
RW = list(range(17, 25))      # grefs of the read-write data pages
RO, REVOKED = 25, 29


def ring_seed(cfg, start, reqs, abi, pages=(b"", b""), req_event=None,
              rsp_event=None, more=None):
    b = bytearray([cfg])
    b += struct.pack("<I", start & 0xffffffff)
    b += bytes([len(reqs)])
    b += struct.pack("<II", req_event if req_event is not None else (start + 1) & 0xffffffff,
                     rsp_event if rsp_event is not None else (start + 1) & 0xffffffff)
    for p in pages:
        b += p.ljust(4096, b"\0")
    for r in reqs:
        b += r
    if more is not None:
        b += bytes([len(more)])
        for r in more:
            b += r
    return bytes(b)


def ring_seeds():
    for abi in range(3):
        for order in (0, 2):
            cfg = abi | (order << 2)
            reqs = [
                req(abi, OP_WRITE, 1, 0, [(RW[2], 0, 7), (RW[3], 0, 7)]),
                req(abi, OP_READ, 2, 0, [(RW[4], 0, 7)]),
                req(abi, OP_READ, 3, 8, [(RO, 0, 7)]),              # read into a read-only page
                req(abi, OP_WRITE, 4, 8, [(RO, 0, 3)]),             # write from one: fine
                req(abi, OP_WRITE, 5, 16, [(REVOKED, 0, 7)]),
                req(abi, OP_FLUSH, 6, 0),
                req(abi, OP_BARRIER, 7, 24, [(RW[5], 1, 6)]),
                req(abi, OP_DISCARD, 8, 64, nr_sectors=16),
                req(abi, OP_INDIRECT, 9, 128, ind_op=OP_WRITE, ind_nsegs=12, ind_grefs=[RW[0]]),
                req(abi, OP_INDIRECT, 10, 128, ind_op=OP_READ, ind_nsegs=12, ind_grefs=[RW[0]]),
                req(abi, 0x42, 11, 0),
                req(abi, OP_READ, 12, 1 << 40, [(RW[6], 0, 7)]),
            ]
            page0 = ind_page([(RW[2 + i % 5], 0, 7) for i in range(12)])
            more = [req(abi, OP_READ, 20 + i, i * 8, [(RW[i % 8], 0, 7)]) for i in range(5)]
            write("ring", f"mixed-abi{abi}-order{order}",
                  ring_seed(cfg, 0, reqs, abi, (page0, b""), more=more))
            write("ring", f"wrap-abi{abi}-order{order}",
                  ring_seed(cfg | 0x20, 0xfffffffe, reqs[:6], abi, (page0, b"")))
        # an impossible producer index
        b = bytearray(ring_seed(abi, 5, [], abi))
        b[0] |= 0x80
        b[5:9] = struct.pack("<I", 5 + 40)
        write("ring", f"bad-prod-abi{abi}", bytes(b[:9]) + struct.pack("<II", 6, 6))


# ---- control protocol ----------------------------------------------------
def attr(tag, value):
    return struct.pack("<HH", tag, len(value)) + value


def u32(tag, v):
    return attr(tag, struct.pack("<I", v & 0xffffffff))


def frame(mtype, seq, payload):
    return struct.pack("<IHHII", 0x50415458, 1, mtype, seq, len(payload)) + payload


def proto_seeds():
    write("proto", "status-req", frame(1, 1, b""))
    write("proto", "status-req-minor", frame(1, 2, u32(3, 7)))
    write("proto", "vbd-open", frame(2, 3, u32(3, 0) + attr(4, b"raw:/var/lib/img") + u32(5, 1)))
    refs = b"".join(struct.pack("<I", r) for r in (8, 9, 10, 11))
    write("proto", "ring-connect", frame(4, 4, u32(3, 0) + u32(6, 1) + u32(7, 51712) + u32(8, 0) +
                                         u32(9, 2) + attr(10, refs) + u32(11, 5) + u32(12, 1)))
    write("proto", "reply-error", frame(0x8002, 3, u32(1, -2) + attr(2, b"no such file")))
    ring = u32(6, 1) + u32(7, 51712) + u32(8, 0) + u32(9, 0) + u32(24, 32) + u32(23, 1) + \
        attr(18, struct.pack("<4Q", 1, 2, 3, 4))
    vbd = u32(3, 0) + u32(23, 1) + u32(5, 0) + attr(4, b"raw:/img") + attr(19, struct.pack("<Q", 1 << 30)) + \
        u32(20, 512) + u32(21, 4096) + u32(22, 0) + u32(25, 3) + u32(26, 256) + \
        attr(18, struct.pack("<2Q", 5, 6)) + attr(17, ring)
    write("proto", "status-reply", frame(0x8001, 1, u32(1, 0) + u32(13, 1234) + attr(14, b"io_uring") +
                                         attr(15, b"sim") + attr(16, vbd)))
    write("proto", "shutdown", frame(13, 9, b""))
    write("proto", "bad-version", struct.pack("<IHHII", 0x50415458, 2, 1, 1, 0))


# ---- xenstore values -----------------------------------------------------
def xs_values_seeds():
    vals = [b"1", b"4", b"0", b"8", b"x86_32-abi", b"x86_64-abi", b"native", b"cdrom", b"disk",
            b"r", b"w", b"rw", b"connected", b"error", b"vbd3", b"vbd", b"1234",
            b"/local/domain/1/device/vbd/51712", b"/local/domain/0/backend/vbd3/1/51712",
            b"/local/domain/0/backend/vbd3/1", b"/local/domain/0/backend/vbd3",
            b"/local/domain/0/backend/vbd3/32752/5", b"/run/blktap-control/nbd1234.5",
            b"18446744073709551615", b"18446744073709551616", b"4294967296",
            b"000000000000000000001", b"/a//b", b"/a/b/"]
    for i, v in enumerate(vals):
        write("xs-values", f"value-{i:02d}", bytes([0]) + struct.pack("<II", 16, 5) + v)
    write("xs-values", "absent", bytes([1]) + struct.pack("<II", 16, 0))
    ring = u32(6, 1) + u32(7, 51712) + u32(8, 0) + u32(23, 1)
    vbd = u32(3, 5) + u32(23, 1) + u32(20, 512) + u32(21, 4096) + u32(26, 256) + attr(17, ring)
    write("xs-values", "status-reply", bytes([2]) + struct.pack("<II", 0, 5) +
          frame(0x8001, 1, u32(1, 0) + attr(16, vbd)))


# ---- packet pages and CDBs --------------------------------------------------
def pkt_page(ptype, cdb=b"", buflen=0, direction=2):
    p = bytearray(4096)
    struct.pack_into("<I", p, 0, ptype)
    if ptype == 0x6304:
        struct.pack_into("<i", p, 8, 12)
        p[12:12 + len(cdb)] = cdb
        struct.pack_into("<III", p, 28, 120, buflen, 0)
        struct.pack_into("<I", p, 40, 56)
        p[44] = direction
    return bytes(p)


def cdb(*b):
    return bytes(b).ljust(12, b"\0")


CDBS = {
    "tur": (cdb(0x00), 0), "inquiry": (cdb(0x12, 0, 0, 0, 36), 36),
    "inquiry-vpd80": (cdb(0x12, 1, 0x80, 0, 64), 64), "request-sense": (cdb(0x03, 0, 0, 0, 18), 18),
    "read-capacity": (cdb(0x25), 8), "read10": (cdb(0x28, 0, 0, 0, 0, 1, 0, 0, 1), 2048),
    "read12": (cdb(0xa8, 0, 0, 0, 0, 2, 0, 0, 0, 1), 2048),
    "read-cd-raw": (cdb(0xbe, 0, 0, 0, 0, 0, 0, 0, 1, 0xf8), 2352),
    "read-toc": (cdb(0x43, 0, 0, 0, 0, 0, 0, 0x03, 0x24), 804),
    "read-toc-msf": (cdb(0x43, 2, 0, 0, 0, 0, 0, 0, 0x20), 32),
    "get-config": (cdb(0x46, 0, 0, 0, 0, 0, 0, 0x01, 0x00), 256),
    "mode-sense10": (cdb(0x5a, 0, 0x3f, 0, 0, 0, 0, 0x01, 0x00), 256),
    "event-status": (cdb(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8), 8),
    "eject": (cdb(0x1b, 0, 0, 0, 0x02), 0), "load": (cdb(0x1b, 0, 0, 0, 0x03), 0),
    "prevent": (cdb(0x1e, 0, 0, 0, 1), 0), "read-disc-info": (cdb(0x51, 0, 0, 0, 0, 0, 0, 0, 34), 34),
    "bad-opcode": (cdb(0xff), 16),
}


def packet_seeds():
    head = bytes([1]) + struct.pack("<Q", 2048 * 1000)
    write("packet", "support", head + pkt_page(0x6301))
    write("packet", "open", head + pkt_page(0x6302))
    write("packet", "media-changed", head + pkt_page(0x6303))
    write("packet", "unknown-type", head + pkt_page(0x1234))
    for name, (c, n) in CDBS.items():
        write("packet", "pkt-" + name, head + pkt_page(0x6304, c, n))
    # a session: commands with operator actions in between
    recs = b""
    for adm, name, io in [(0, "tur", 0), (0, "request-sense", 0), (0, "prevent", 0), (2, "event-status", 0),
                          (3, "tur", 0), (1, "tur", 0), (0, "read10", 0x10 | (3 << 5)),
                          (0, "read-cd-raw", 1), (4, "read-capacity", 0), (5, "read-toc", 0)]:
        c, n = CDBS[name]
        recs += bytes([adm]) + c + struct.pack("<H", n) + bytes([io])
    write("packet", "session", head + pkt_page(0x6304, *CDBS["inquiry"]) + recs)
    write("packet", "empty-drive", bytes([0]) + struct.pack("<Q", 2048 * 400000) +
          pkt_page(0x6304, *CDBS["tur"]) + bytes([1]) + CDBS["read10"][0] + struct.pack("<H", 2048) + bytes([0]))


# ---- regression inputs (tests/fuzz/regress/<name>/) ---------------------------
def regress(name, fname, data):
    d = os.path.join(os.path.dirname(OUT.rstrip("/")), "regress", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, fname), "wb") as f:
        f.write(data)


def regress_inputs():
    # fuzz-ring, first run: a READ whose data page is the guest's own ring
    # page (gref 1) overwrote req_prod; legal for a guest, so the harness
    # now revokes the ring grants once the ring is mapped (fuzz-ring.c).
    for abi in range(3):
        reqs = [req(abi, OP_READ, 1, 0, [(1, 0, 7)]), req(abi, OP_READ, 2, 8, [(RW[0], 0, 7)]),
                req(abi, OP_INDIRECT, 3, 0, ind_op=OP_READ, ind_nsegs=2, ind_grefs=[1])]
        regress("ring", f"read-into-own-ring-page-abi{abi}", ring_seed(abi, 0, reqs, abi))


if __name__ == "__main__":
    regress_inputs()
    blkif_req_seeds()
    ring_seeds()
    proto_seeds()
    xs_values_seeds()
    packet_seeds()
