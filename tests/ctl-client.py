#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Raw control-socket clients for it-control.sh: behaves badly on purpose.

usage: ctl-client.py SOCKET MODE
  silent    connect, send nothing, hold the connection for 3 s
  partial   send half a frame header, then wait 3 s
  garbage   send 4 KiB of random bytes; expect an error reply or a close
  badver    a well-formed header with version 99; expect -EPROTONOSUPPORT
  status    a valid STATUS request; print status=<n>
  denied    expect the server to close without a reply
  oversized a header announcing a 2 GiB payload; expect an error reply
  flood     hold 200 connections at once for 2 s, then a STATUS must work
  connect MINOR DOMID DEVID QUEUE
            RING_CONNECT with dummy ring ref/event channel; print status=<n>
            (checks that tapdisk refuses a device queue connected already)
  disconnect MINOR [DOMID] [DEVID]
            RING_DISCONNECT with what is given ("-" leaves one out);
            print status=<n>
"""
import os
import socket
import struct
import sys

MAGIC, HDR = 0x50415458, 16


def frame(mtype, attrs=b"", version=1, seq=7):
    return struct.pack("<IHHII", MAGIC, version, mtype, seq, len(attrs)) + attrs


def u32(tag, value):
    return struct.pack("<HHI", tag, 4, value)


def read_reply(s):
    data = b""
    s.settimeout(5)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if len(data) >= HDR:
                plen = struct.unpack_from("<I", data, 12)[0]
                if len(data) >= HDR + plen:
                    break
    except (socket.timeout, ConnectionResetError):
        pass
    if len(data) < HDR:
        return None
    magic, ver, mtype, seq, plen = struct.unpack_from("<IHHII", data, 0)
    off, status = HDR, None
    while off + 4 <= HDR + plen and off + 4 <= len(data):
        tag, alen = struct.unpack_from("<HH", data, off)
        if tag == 1 and alen == 4:
            status = struct.unpack_from("<i", data, off + 4)[0]
        off += 4 + alen
    return status


def main():
    path, mode = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    if mode == "silent":
        import time
        time.sleep(3)
        print("held=yes")
    elif mode == "partial":
        import time
        s.sendall(frame(1)[:7])
        time.sleep(3)
        print("held=yes")
    elif mode == "garbage":
        s.sendall(os.urandom(4096))
        print("status=%s" % read_reply(s))
    elif mode == "badver":
        s.sendall(frame(1, version=99))
        print("status=%s" % read_reply(s))
    elif mode == "status":
        s.sendall(frame(1))
        print("status=%s" % read_reply(s))
    elif mode == "oversized":
        s.sendall(struct.pack("<IHHII", MAGIC, 1, 1, 7, 0x7fffffff))
        print("status=%s" % read_reply(s))
    elif mode == "flood":
        import time
        held = []
        for _ in range(200):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                c.connect(path)
                held.append(c)
            except OSError:
                c.close()
        time.sleep(2)
        for c in held:
            c.close()
        time.sleep(0.2)
        s.sendall(frame(1))
        print("held=%d status=%s" % (len(held), read_reply(s)))
    elif mode == "connect":
        minor, domid, devid, queue = (int(v) for v in sys.argv[3:7])
        # TD_MSG_RING_CONNECT: MINOR 3, DOMID 6, DEVID 7, QUEUE 8,
        # RING_ORDER 9, RING_REFS 10 (one ref), EVTCHN 11
        attrs = (u32(3, minor) + u32(6, domid) + u32(7, devid) +
                 u32(8, queue) + u32(9, 0) + u32(10, 8) + u32(11, 1))
        s.sendall(frame(4, attrs))
        print("status=%s" % read_reply(s))
    elif mode == "disconnect":
        minor, domid, devid = sys.argv[3], sys.argv[4], sys.argv[5]
        # TD_MSG_RING_DISCONNECT: MINOR 3, DOMID 6, DEVID 7
        attrs = u32(3, int(minor))
        if domid != "-":
            attrs += u32(6, int(domid))
        if devid != "-":
            attrs += u32(7, int(devid))
        s.sendall(frame(5, attrs))
        print("status=%s" % read_reply(s))
    elif mode == "denied":
        try:
            s.sendall(frame(1))
        except OSError:
            pass
        print("status=%s" % read_reply(s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
