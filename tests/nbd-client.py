#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Raw NBD clients for it-nbd.sh: the cases real clients never produce.

usage: nbd-client.py SOCKET MODE [ARGS]
  options     option haggling: LIST, INFO, unknown, oversized, STARTTLS,
              STRUCTURED_REPLY, then ABORT (expects ACK and a close)
  exportname  NBD_OPT_EXPORT_NAME with and without NO_ZEROES, then a READ
  badflags    unknown client flags: expects a close
  timeout     connects and sends nothing: prints the seconds until closed
  checks      bad requests answered with the right errors, connection kept
  badmagic    a request with a bad magic: expects a close
  bigwrite    a 64 MiB WRITE header: expects a close before the payload
  slow N SEC  sends N 1 MiB READs, reads nothing for SEC seconds, then
              every reply; prints replies=N
Prints key=value lines; exits 1 on any surprise.
"""
import socket
import struct
import sys
import threading
import time

NBDMAGIC, IHAVEOPT, REPMAGIC = 0x4E42444D41474943, 0x49484156454F5054, 0x3E889045565A9
REQ, REPLY = 0x25609513, 0x67446698
OPT_EXPORT_NAME, OPT_ABORT, OPT_LIST, OPT_STARTTLS, OPT_INFO, OPT_GO, OPT_SR = 1, 2, 3, 5, 6, 7, 8
REP_ACK, REP_SERVER, REP_INFO = 1, 2, 3
ERR_UNSUP, ERR_TOO_BIG = 0x80000001, 0x80000009
READ, WRITE, DISC, FLUSH, TRIM, CACHE, WZ = 0, 1, 2, 3, 4, 5, 6


def die(msg):
    print("error=" + msg)
    sys.exit(1)


class Conn:
    def __init__(self, path, timeout=10):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)

    def recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def closed(self):
        try:
            return self.s.recv(1) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True

    def greet(self, flags=1):
        magic, opt, hflags = struct.unpack(">QQH", self.recv(18))
        if magic != NBDMAGIC or opt != IHAVEOPT or not hflags & 1:
            die("bad greeting")
        self.s.sendall(struct.pack(">I", flags))

    def opt(self, opt, data=b""):
        self.s.sendall(struct.pack(">QII", IHAVEOPT, opt, len(data)) + data)

    def opt_reply(self):
        magic, opt, rtype, rlen = struct.unpack(">QIII", self.recv(20))
        if magic != REPMAGIC:
            die("bad option reply magic")
        return opt, rtype, self.recv(rlen)

    def go(self):
        self.greet()
        self.opt(OPT_GO, struct.pack(">IH", 0, 0))
        size = None
        while True:
            _, rtype, data = self.opt_reply()
            if rtype == REP_INFO and struct.unpack(">H", data[:2])[0] == 0:
                size, _flags = struct.unpack(">QH", data[2:])
            elif rtype == REP_ACK:
                return size
            elif rtype != REP_INFO:
                die("GO refused: 0x%x" % rtype)

    def req(self, cmd, off, length, cookie=7, flags=0, magic=REQ, payload=b""):
        self.s.sendall(struct.pack(">IHHQQI", magic, flags, cmd, cookie, off, length) + payload)

    def reply(self, datalen=0):
        magic, err, cookie = struct.unpack(">IIQ", self.recv(16))
        if magic != REPLY:
            die("bad reply magic")
        data = self.recv(datalen) if datalen and not err else b""
        return err, cookie, data


def mode_options(path):
    c = Conn(path)
    c.greet()
    c.opt(OPT_LIST)
    _, t, d = c.opt_reply()
    if t != REP_SERVER or d != b"\0\0\0\0":
        die("LIST: want one default export")
    if c.opt_reply()[1] != REP_ACK:
        die("LIST: no ACK")
    c.opt(OPT_INFO, struct.pack(">I", 3) + b"xyz" + struct.pack(">HH", 1, 3))
    infos = set()
    while True:
        _, t, d = c.opt_reply()
        if t == REP_ACK:
            break
        if t != REP_INFO:
            die("INFO: reply 0x%x" % t)
        infos.add(struct.unpack(">H", d[:2])[0])
        if infos & {3} and len(d) == 14:
            mn, pref, mx = struct.unpack(">III", d[2:])
            print("block_min=%d block_pref=%d block_max=%d" % (mn, pref, mx))
    if not {0, 3} <= infos:
        die("INFO: export or block size missing")
    c.opt(OPT_INFO, b"\0\0\0\5ab")  # lengths do not add up
    if c.opt_reply()[1] != 0x80000003:
        die("malformed INFO not refused as invalid")
    for o in (99, OPT_STARTTLS, OPT_SR):
        c.opt(o)
        if c.opt_reply()[1] != ERR_UNSUP:
            die("option %d not refused as unsupported" % o)
    c.opt(42, b"x" * 100000)  # longer than the server parses: skipped
    if c.opt_reply()[1] != ERR_TOO_BIG:
        die("oversized option not refused")
    c.opt(OPT_LIST)  # still in sync after the skip
    if c.opt_reply()[1] != REP_SERVER or c.opt_reply()[1] != REP_ACK:
        die("out of sync after a skipped option")
    c.opt(OPT_ABORT)
    if c.opt_reply()[1] != REP_ACK:
        die("ABORT: no ACK")
    if not c.closed():
        die("ABORT: not closed")
    print("options=ok")


def mode_exportname(path):
    for flags, want in ((1, 134), (3, 10)):
        c = Conn(path)
        c.greet(flags)
        c.opt(OPT_EXPORT_NAME, b"anything")
        d = c.recv(want)
        size = struct.unpack(">Q", d[:8])[0]
        c.req(READ, 0, 512)
        err, _, data = c.reply(512)
        if err or len(data) != 512:
            die("READ after EXPORT_NAME failed")
        c.req(DISC, 0, 0)
        if not c.closed():
            die("DISC: not closed")
    print("exportname=ok size=%d" % size)


def mode_badflags(path):
    c = Conn(path)
    c.greet(flags=0x80)
    print("closed=%s" % ("yes" if c.closed() else "no"))


def mode_timeout(path):
    c = Conn(path, timeout=30)
    t0 = time.monotonic()
    c.recv(18)
    c.closed()
    print("closed_after=%.1f" % (time.monotonic() - t0))


def mode_checks(path):
    c = Conn(path)
    size = c.go()
    cases = [  # name, request args, payload, expected error
        ("read past end", (READ, size, 512), b"", 22),
        ("read wraps", (READ, 2**64 - 512, 1024), b"", 22),
        ("read unaligned", (READ, 1, 512), b"", 22),
        ("read too long", (READ, 0, 33 << 20), b"", 22),
        ("write past end", (WRITE, size, 512), b"\0" * 512, 28),
        ("write unaligned", (WRITE, 0, 100), b"\0" * 100, 22),
        ("unknown command", (99, 0, 0), b"", 22),
        ("cache", (CACHE, 0, 4096), b"", 22),
        ("flush with length", (FLUSH, 0, 512), b"", 22),
        ("unknown flag", (READ, 0, 512, 7, 0x8000), b"", 22),
        ("fast zero", (WZ, 0, 4096, 7, 0x10), b"", 22),
        ("zeroes past end", (WZ, size - 512, 1024), b"", 28),
        ("read length 0", (READ, 0, 0), b"", 0),
        ("write length 0", (WRITE, 0, 0), b"", 0),
        ("flush", (FLUSH, 0, 0), b"", 0),
    ]
    for i, (name, args, payload, want) in enumerate(cases):
        cmd, off, ln = args[:3]
        flags = args[4] if len(args) > 4 else 0
        c.req(cmd, off, ln, cookie=1000 + i, flags=flags, payload=payload)
        err, cookie, _ = c.reply()
        if cookie != 1000 + i or err != want:
            die("%s: error %d cookie %d, want %d" % (name, err, cookie, want))
    c.req(READ, 4096, 4096)  # the connection still works
    err, _, data = c.reply(4096)
    if err or len(data) != 4096:
        die("good READ after the bad ones failed")
    c.req(DISC, 0, 0)
    print("checks=%d" % len(cases))


def mode_badmagic(path):
    c = Conn(path)
    c.go()
    c.req(READ, 0, 512, magic=0x12345678)
    print("closed=%s" % ("yes" if c.closed() else "no"))


def mode_bigwrite(path):
    c = Conn(path)
    c.go()
    c.req(WRITE, 0, 64 << 20)
    print("closed=%s" % ("yes" if c.closed() else "no"))


def mode_slow(path, n, sec):
    # Requests go out from a thread: past the server's limits it stops
    # reading them, and a client that only sent would wait for ever.
    c = Conn(path, timeout=60)
    c.go()

    def send():
        for i in range(n):
            c.req(READ, (i % 16) << 20, 1 << 20, cookie=i)

    t = threading.Thread(target=send)
    t.start()
    time.sleep(sec)
    got = set()
    for _ in range(n):
        err, cookie, data = c.reply(1 << 20)
        if err or len(data) != 1 << 20:
            die("slow READ %d failed: %d" % (cookie, err))
        got.add(cookie)
    t.join()
    c.req(DISC, 0, 0)
    print("replies=%d" % len(got))


def main():
    path, mode = sys.argv[1], sys.argv[2]
    try:
        if mode == "slow":
            mode_slow(path, int(sys.argv[3]), float(sys.argv[4]))
        else:
            globals()["mode_" + mode](path)
    except (EOFError, ConnectionResetError, BrokenPipeError):
        die("connection closed unexpectedly")
    except socket.timeout:
        die("timed out")


if __name__ == "__main__":
    main()
