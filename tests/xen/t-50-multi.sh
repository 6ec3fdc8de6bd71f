#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
#
# (e) Several disks at once: xvdb and xvdc served by one tapdisk (two
# minors of one process), xvdd by a second tapdisk. I/O on all three at the
# same time, each checked against its own image; taking one disk down
# leaves the others alone; a tapdisk exits after its last disk.
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback

start_tapback
for d in b c d; do truncate -s 64M /tmp/$d.img; done
attach xvdb /tmp/b.img w
read -r P1 M1 < $ST/xvdb
attach xvdc /tmp/c.img w $P1
attach xvdd /tmp/d.img w
read -r P2 M2 < $ST/xvdd
read -r Pc Mc < $ST/xvdc
[ "$Pc" = "$P1" ] || fail "xvdc is not served by tapdisk $P1"
[ "$P2" != "$P1" ] || fail "xvdd should have its own tapdisk"
tap-ctl list | tee /tmp/list
[ "$(grep -c "pid=$P1 " /tmp/list)" = 2 ] || fail "tap-ctl list: tapdisk $P1 should have 2 VBDs"
[ "$(grep -c "pid=$P2 " /tmp/list)" = 1 ] || fail "tap-ctl list: tapdisk $P2 should have 1 VBD"
negotiated xvdb; negotiated xvdc; negotiated xvdd

say "== I/O on the three disks at once"
for d in b c d; do pattern /tmp/pat$d 16; done
for d in b c d; do
    dd if=/tmp/pat$d of=/dev/xvd$d bs=128k seek=64 oflag=direct 2>/dev/null &
    eval W$d=\$!
done
wait_for 180 sh -c "! kill -0 $Wb 2>/dev/null && ! kill -0 $Wc 2>/dev/null && ! kill -0 $Wd 2>/dev/null" ||
    fail "concurrent writers did not finish"
for d in b c d; do eval "wait \$W$d" || fail "writer on xvd$d failed"; done
for d in b c d; do
    a=$(md5 < /tmp/pat$d)
    b=$(bounded 60 dd if=/dev/xvd$d bs=1M count=16 skip=8 iflag=direct 2>/dev/null | md5)
    c=$(dd if=/tmp/$d.img bs=1M count=16 skip=8 2>/dev/null | md5)
    say "xvd$d: pattern=$a xvd=$b image=$c"
    [ "$a" = "$b" ] && [ "$a" = "$c" ] || fail "xvd$d: data differs (each disk must hold its own data)"
done
say "ok: each disk holds its own data"

say "== take xvdb down: xvdc (same tapdisk) and xvdd stay"
detach xvdb
kill -0 $P1 2>/dev/null || fail "tapdisk $P1 exited although it still serves xvdc"
for d in c d; do
    a=$(md5 < /tmp/pat$d)
    b=$(bounded 60 dd if=/dev/xvd$d bs=1M count=16 skip=8 iflag=direct 2>/dev/null | md5)
    [ "$a" = "$b" ] || fail "xvd$d unreadable after xvdb went away"
done
verify_io xvdc /tmp/c.img /tmp/patb 16 1M 40
say "ok: the others keep working"
detach xvdc
wait_for 30 sh -c "! kill -0 $P1 2>/dev/null" || fail "tapdisk $P1 still running after its last disk"
kill -0 $P2 2>/dev/null || fail "tapdisk $P2 died"
detach xvdd
wait_for 30 sh -c "! kill -0 $P2 2>/dev/null" || fail "tapdisk $P2 still running after its last disk"
stop_tapback
echo "T-50-MULTI-OK"
