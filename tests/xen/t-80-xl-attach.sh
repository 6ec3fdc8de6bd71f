#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
# xentap-suites: trixie
#
# Stock toolstack (needs libxl 4.19+: XENTAP_XEN_SUITE=trixie; skipped on
# Xen 4.17): `xl block-attach ... backendtype=tap` runs Xen's own block-tap
# hotplug script, which drives our tap-ctl; tapback connects the ring; data
# written with O_DIRECT reads back and is in the image; xl block-list shows
# the disk; xentop sees VBD traffic; xl block-detach exits 0 and leaves no
# tapdisk behind. Then the same with XENTAP_GRANT=persistent in xl's
# environment: the spawned tapdisk offers persistent grants and blkfront
# uses them.
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback

v=$(xl info 2>/dev/null | sed -n 's/^xen_version *: *//p')
case $v in
    4.1[0-8]*|4.[0-9].*|'') skip "libxl $v has no backendtype=tap (needs 4.19+: XENTAP_XEN_SUITE=trixie)" ;;
esac
[ -x /etc/xen/scripts/block-tap ] || skip "no /etc/xen/scripts/block-tap in this Xen"
say "xl $v, block-tap present, tap-ctl is $(command -v tap-ctl)"
mkdir -p /var/log/xen

start_tapback
truncate -s 64M /tmp/x.img
t0=$(up)
xl block-attach 0 'format=raw, vdev=xvdb, access=rw, backendtype=tap, target=/tmp/x.img' \
    > /tmp/xl.out 2>&1 || { cat /tmp/xl.out; tail -30 /var/log/xen/xen-hotplug.log 2>/dev/null; fail "xl block-attach"; }
wait_for 60 test -b /dev/xvdb || fail "/dev/xvdb did not appear after xl block-attach"
say "xl block-attach ok, /dev/xvdb in $(awk -v a=$t0 -v b=$(up) 'BEGIN{printf "%.1f", b-a}')s, $(cat /sys/block/xvdb/size) sectors"
[ "$(cat /sys/block/xvdb/size)" = 131072 ] || fail "size $(cat /sys/block/xvdb/size), want 131072"
tap-ctl list | sed 's/^/  tap-ctl list: /'
xl block-list 0 > /tmp/bl || fail "xl block-list"
sed 's/^/  block-list: /' /tmp/bl
grep -q 51728 /tmp/bl || fail "xl block-list does not show xvdb (51728)"
negotiated xvdb

pattern /tmp/pat 8
echo "$(tap-ctl list | kv pid) $(tap-ctl list | kv minor)" > $ST/xvdb
verify_io xvdb /tmp/x.img /tmp/pat 8 1M 0
be=$(be_path xvdb)
[ -n "$(xsr $be/kthread-pid)" ] || fail "no kthread-pid in $be"
command -v xentop >/dev/null || fail "no xentop in this Xen"
xentop -b -i 1 -x > /tmp/xentop 2>&1
sed 's/^/  xentop: /' /tmp/xentop | head -8
# "VBD Tapdisk3 51728 [ca:10]  OO: 0  RD: 67  WR: 64  RSECT: ...  WSECT: ..."
rd=$(sed -n 's/^VBD Tapdisk3 51728 .*RD: *\([0-9]*\).*/\1/p' /tmp/xentop)
wr=$(sed -n 's/^VBD Tapdisk3 51728 .*WR: *\([0-9]*\).*/\1/p' /tmp/xentop)
[ "${rd:-0}" -gt 0 ] && [ "${wr:-0}" -gt 0 ] ||
    fail "xentop shows no VBD traffic for tapdisk (RD=${rd:-?} WR=${wr:-?})"
say "ok: xentop sees the VBD: RD=$rd WR=$wr"

P=$(tap-ctl list | kv pid)
xl block-detach 0 xvdb > /tmp/xl.out 2>&1 || { cat /tmp/xl.out; fail "xl block-detach"; }
wait_for 30 sh -c "! test -b /dev/xvdb" || fail "/dev/xvdb still present after xl block-detach"
wait_for 30 sh -c "! kill -0 $P 2>/dev/null" || fail "tapdisk $P still running after xl block-detach"
tap-ctl list > /tmp/list; [ -s /tmp/list ] && { cat /tmp/list; fail "tap-ctl list not empty after detach"; }
a=$(md5 < /tmp/pat) c=$(dd if=/tmp/x.img bs=1M count=8 2>/dev/null | md5)
[ "$a" = "$c" ] || fail "the image lost the data"
say "ok: xl block-attach/detach with stock block-tap; data in the image"

say "== persistent grants through the stock toolstack: XENTAP_GRANT=persistent in xl's environment"
# libxl runs block-tap with its own environment plus the script's
# variables; tap-ctl spawn passes it on to tapdisk
truncate -s 64M /tmp/y.img
export XENTAP_GRANT=persistent
xl_attach xvdc 'format=raw, access=rw' /tmp/y.img
unset XENTAP_GRANT
read -r P M < $ST/xvdc
[ "$(tap-ctl stats -p $P -m $M | sed -n 's/^grant=//p')" = persistent ] ||
    fail "the spawned tapdisk's data-access mode is $(tap-ctl stats -p $P -m $M | sed -n 's/^grant=//p')"
dmesg | grep -q "xvdc:.*persistent grants: enabled" || fail "blkfront did not enable persistent grants for xvdc"
verify_io xvdc /tmp/y.img /tmp/pat 8 1M 0
verify_io xvdc /tmp/y.img /tmp/pat 8 4k 16
xl_detach xvdc
wait_for 30 sh -c "! kill -0 $P 2>/dev/null" || fail "tapdisk $P still running after xl block-detach"
no_tapdisk_left "after xvdc's detach"
say "ok: persistent grants negotiated and data verified through xl"
stop_tapback
echo "T-80-XL-ATTACH-OK"
