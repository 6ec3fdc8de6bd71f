#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
#
# (a) The whole stack with dom0's stock blkfront, default blkfront settings:
# the toolstack's xenstore nodes as libxl 4.19+ writes them for
# backendtype=tap, block-tap's tap-ctl sequence, tapback connects, /dev/xvdb
# appears with the image's size; random data written with O_DIRECT reads
# back the same through xvdb and from the image file; detach as libxl does
# (online=0, Closing, frontend Closed, tap-ctl destroy): the device goes
# away, tapdisk exits, and the image file keeps the data.
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback

start_tapback
truncate -s 96M /tmp/a.img
attach xvdb /tmp/a.img w
sz=$(cat /sys/block/xvdb/size)
[ "$sz" = 196608 ] || fail "/dev/xvdb has $sz sectors, the image 196608"
say "ok: /dev/xvdb has the image's size (196608 sectors)"
[ "$(cat /sys/block/xvdb/ro)" = 0 ] || fail "/dev/xvdb is read-only"
negotiated xvdb

say "== data"
pattern /tmp/pat 16
verify_io xvdb /tmp/a.img /tmp/pat 16 1M 0
verify_io xvdb /tmp/a.img /tmp/pat 16 64k 40
head -c 2097152 /tmp/pat > /tmp/pat2
verify_io xvdb /tmp/a.img /tmp/pat2 2 4k 90
t0=$(up); bounded 120 dd if=/dev/zero of=/dev/xvdb bs=1M count=32 seek=56 oflag=direct 2>/dev/null || fail "write"; t1=$(up)
say "write: $(rate 32 $t0 $t1)"
t0=$(up); bounded 120 dd if=/dev/xvdb of=/dev/null bs=1M count=32 iflag=direct 2>/dev/null || fail "read"; t1=$(up)
say "read:  $(rate 32 $t0 $t1)"
read -r P M < $ST/xvdb
tap-ctl stats -p $P -m $M > /tmp/stats || fail "tap-ctl stats"
sed 's/^/  stats: /' /tmp/stats
for k in err_io err_guest err_grant; do
    [ "$(sed -n "s/^$k=//p" /tmp/stats)" = 0 ] || fail "$k is not 0"
done

say "== detach"
detach xvdb
wait_for 30 sh -c "! kill -0 $P 2>/dev/null" || fail "tapdisk $P still running after its last VBD was destroyed"
tap-ctl list > /tmp/list; [ -s /tmp/list ] && { cat /tmp/list; fail "tap-ctl list is not empty after destroy"; }
a=$(md5 < /tmp/pat) c=$(dd if=/tmp/a.img bs=1M count=16 2>/dev/null | md5)
[ "$a" = "$c" ] || fail "the image lost the data after detach"
c=$(dd if=/tmp/a.img bs=1M count=16 skip=40 2>/dev/null | md5)
[ "$a" = "$c" ] || fail "the image lost the data at 40 MiB after detach"
say "ok: the image holds the data after detach"
stop_tapback
echo "T-10-ATTACH-OK"
