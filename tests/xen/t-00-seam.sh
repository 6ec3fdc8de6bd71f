#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
#
# tapdisk's real-Xen seam, without tap-ctl or tapback: `tapdisk -x xen`
# starts in dom0, opens gntdev, answers STATUS (xt-ctl, and `tap-ctl list`
# when tap-ctl is built), opens a raw image; then the shell plays tapback's
# xenstore part (shellback) so that dom0's own blkfront connects a one-page,
# one-queue ring to tapdisk: event channel bound, ring pages mapped, data
# grant-copied both ways, data compared with the image file, FLUSH reaches
# fdatasync, clean detach, and tapdisk exits 0 on SIGTERM.
. /xentap/lib-dom0.sh
requires tapdisk xt-ctl

for n in gntdev evtchn privcmd xenbus; do
    [ -c /dev/xen/$n ] || fail "/dev/xen/$n missing"
done
pidof xenstored >/dev/null || fail "xenstored is not running"

say "== tapdisk -x xen starts and answers STATUS"
td_start_fg seam
ls -l /proc/$TD_PID/fd | grep -q /dev/xen/gntdev || fail "tapdisk has no /dev/xen/gntdev open"
say "ok: tapdisk $TD_PID holds /dev/xen/gntdev open"
xt-ctl status $TD_PID > /tmp/st || fail "STATUS refused"
cat /tmp/st
[ "$(kv xenio < /tmp/st)" = xen ] || fail "STATUS says xenio=$(kv xenio < /tmp/st), not xen"
[ "$(kv pid < /tmp/st)" = $TD_PID ] || fail "STATUS pid is not $TD_PID"
say "ok: STATUS: xenio=xen engine=$(kv engine < /tmp/st)"
if command -v tap-ctl >/dev/null; then
    tap-ctl list > /tmp/list 2>&1 || fail "tap-ctl list failed: $(cat /tmp/list)"
    cat /tmp/list
    grep -q "pid=$TD_PID" /tmp/list || fail "tap-ctl list does not show tapdisk $TD_PID"
    say "ok: tap-ctl list shows tapdisk $TD_PID"
else
    say "(tap-ctl not built: list not checked)"
fi

say "== open a 64 MiB raw image as minor 0"
truncate -s 64M /tmp/seam.img
xt-ctl open $TD_PID 0 aio:/tmp/seam.img || fail "VBD_OPEN aio:/tmp/seam.img"
xt-ctl status $TD_PID 0 | tee /tmp/st
[ "$(grep '^vbd' /tmp/st | kv size)" = 67108864 ] || fail "VBD size is not 64 MiB"

say "== dom0's blkfront on tapdisk through a shell-played backend (1 page, 1 queue)"
vbd_nodes xvdb /tmp/seam.img w
shellback_connect xvdb $TD_PID 0
ls -l /proc/$TD_PID/fd | grep -q /dev/xen/evtchn || fail "tapdisk has no /dev/xen/evtchn open after RING_CONNECT"
say "ok: tapdisk holds /dev/xen/evtchn open"
wait_for 60 test -b /dev/xvdb || fail "/dev/xvdb did not appear (frontend state $(xsr $(fe_path xvdb)/state))"
wait_fe_state xvdb 4 10 || fail "frontend not Connected (state $(xsr $(fe_path xvdb)/state))"
sz=$(cat /sys/block/xvdb/size)
say "/dev/xvdb: $sz sectors, frontend Connected"
[ "$sz" = 131072 ] || fail "/dev/xvdb has $sz sectors, not 131072"
blkfront_log
xt-ctl status $TD_PID 0 | grep '^ring'

say "== data through the ring"
pattern /tmp/pat 16
verify_io xvdb /tmp/seam.img /tmp/pat 16 1M 0
head -c 2097152 /tmp/pat > /tmp/pat2
verify_io xvdb /tmp/seam.img /tmp/pat2 2 4k 32
f0=$(xt-ctl stat $TD_PID 0 flush_done)
bounded 60 dd if=/tmp/pat of=/dev/xvdb bs=64k count=4 seek=800 conv=fsync 2>/dev/null || fail "buffered write + fsync"
f1=$(xt-ctl stat $TD_PID 0 flush_done)
say "flush_done $f0 -> $f1 after an fsync of /dev/xvdb"
[ "$f1" -gt "$f0" ] || fail "fsync on /dev/xvdb did not reach fdatasync in tapdisk (flush_done $f0 -> $f1)"
t0=$(up); bounded 120 dd if=/dev/zero of=/dev/xvdb bs=1M count=32 oflag=direct 2>/dev/null || fail "write"; t1=$(up)
say "write: $(rate 32 $t0 $t1)"
t0=$(up); bounded 120 dd if=/dev/xvdb of=/dev/null bs=1M count=32 iflag=direct 2>/dev/null || fail "read"; t1=$(up)
say "read:  $(rate 32 $t0 $t1)"
xt-ctl status $TD_PID 0 | tee /tmp/st
eg=$(grep '^vbd' /tmp/st | kv err_grant) eq=$(grep '^vbd' /tmp/st | kv err_guest) ei=$(grep '^vbd' /tmp/st | kv err_io)
[ "$eg$eq$ei" = 000 ] || fail "error counters: err_grant=$eg err_guest=$eq err_io=$ei"

say "== detach"
shellback_detach xvdb
xt-ctl close $TD_PID 0 || fail "VBD_CLOSE"
kill -TERM $TD_PID
wait_for 60 sh -c "! kill -0 $TD_PID 2>/dev/null" || fail "tapdisk did not exit on SIGTERM"
wait $TD_PID; st=$?
[ $st = 0 ] || fail "tapdisk exited with status $st"
[ -e $CTL/ctl$TD_PID ] && fail "tapdisk left its socket behind"
say "tapdisk log:"; sed 's/^/  | /' /tmp/tapdisk-seam.log | tail -40
echo "T-00-SEAM-OK"
