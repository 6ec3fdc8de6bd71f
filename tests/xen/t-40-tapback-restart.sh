#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
#
# (d) tapback restarts while a disk is connected: the data path (blkfront
# <-> tapdisk) does not involve tapback, so I/O goes on while it is away and
# after it is back, and nothing is lost. A restarted tapback adopts the
# Connected device (it does not reconnect or disturb it) and can still take
# it down. Done twice: SIGTERM (clean exit) and SIGKILL (no cleanup).
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback

start_tapback
truncate -s 96M /tmp/d.img
attach xvdb /tmp/d.img w
negotiated xvdb
pattern /tmp/pat 48
read -r P M < $ST/xvdb

# writer: 48 x 1 MiB O_DIRECT writes, one dd each, a little apart
writer() {
    i=0
    while [ $i -lt 48 ]; do
        dd if=/tmp/pat of=/dev/xvdb bs=1M count=1 skip=$i seek=$i oflag=direct 2>/dev/null || { echo "writer: block $i failed"; exit 1; }
        i=$((i + 1))
        sleep 0.1
    done
}
ev0=$(xsr $(be_path xvdb)/state)
for sig in TERM KILL; do
    say "== restart tapback (SIG$sig) under I/O"
    writer & W=$!
    sleep 1
    kill -$sig $TB_PID
    wait $TB_PID 2>/dev/null; st=$?
    say "tapback exited (status $st); I/O goes on without it"
    [ $sig = TERM ] && [ $st != 0 ] && fail "tapback exited with status $st on SIGTERM"
    TB_PID=
    sleep 2
    kill -0 $W 2>/dev/null || say "(writer already done)"
    w0=$(tstat xvdb req_write)
    bounded 20 dd if=/tmp/pat of=/dev/xvdb bs=1M count=1 seek=60 oflag=direct 2>/dev/null ||
        fail "a write without tapback failed"
    [ "$(tstat xvdb req_write)" -gt "$w0" ] || fail "a write without tapback did not reach tapdisk"
    say "ok: I/O served while tapback is away"
    start_tapback
    sleep 2
    [ "$(xsr $(be_path xvdb)/state)" = 4 ] || fail "backend state is $(xsr $(be_path xvdb)/state) after the restart, not 4"
    [ "$(xsr $(fe_path xvdb)/state)" = 4 ] || fail "frontend state is $(xsr $(fe_path xvdb)/state) after the restart, not 4"
    [ "$(tstat xvdb rings)" -ge 1 ] || fail "tapdisk lost its rings"
    wait_for 120 sh -c "! kill -0 $W 2>/dev/null" || fail "the writer did not finish"
    wait $W || fail "the writer failed"
    a=$(md5 < /tmp/pat)
    b=$(bounded 60 dd if=/dev/xvdb bs=1M count=48 iflag=direct 2>/dev/null | md5)
    c=$(dd if=/tmp/d.img bs=1M count=48 2>/dev/null | md5)
    say "md5 pattern=$a xvdb=$b image=$c"
    [ "$a" = "$b" ] && [ "$a" = "$c" ] || fail "data lost across the tapback restart (SIG$sig)"
    say "ok: nothing lost across the restart (SIG$sig)"
    bounded 60 dd if=/dev/zero of=/dev/xvdb bs=1M count=48 oflag=direct 2>/dev/null || fail "zeroing"
done
grep -iE 'error|fail' /tmp/tapback.log | head -5 | sed 's/^/  tapback log: /'

say "== the restarted tapback takes the disk down"
detach xvdb
stop_tapback
echo "T-40-TAPBACK-RESTART-OK"
