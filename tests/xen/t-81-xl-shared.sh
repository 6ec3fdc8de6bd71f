#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
# xentap-suites: trixie
#
# Stock toolstack (Xen 4.19+, XENTAP_XEN_SUITE=trixie): the same image
# attached twice with xl. block-tap finds the running tapdisk with
# `tap-ctl list -t aio -f IMG` and reuses its minor, so one VBD serves two
# devices: both devices see one consistent disk (written through one, read
# through the other), each has its own ring, and detaching either one first
# leaves the other working; only the last detach ends the tapdisk. Both
# orders are run.
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback
requires_xl_tap

start_tapback
truncate -s 64M /tmp/s.img
pattern /tmp/pat1 4
pattern /tmp/pat2 4
for first in xvdb xvdc; do
    if [ $first = xvdb ]; then second=xvdc; else second=xvdb; fi
    say "== both attached; $first detached first"
    xl_attach xvdb 'format=raw, access=rw' /tmp/s.img
    xl_attach xvdc 'format=raw, access=rw' /tmp/s.img
    n=$(tap-ctl list | wc -l)
    [ "$n" = 1 ] || { tap-ctl list; fail "$n tap-ctl list lines for one image attached twice, want 1"; }
    [ "$(cat $ST/xvdb)" = "$(cat $ST/xvdc)" ] || fail "xvdb ($(cat $ST/xvdb)) and xvdc ($(cat $ST/xvdc)) do not share the minor"
    read -r P M < $ST/xvdb
    qb=$(xsr $(fe_path xvdb)/multi-queue-num-queues); qc=$(xsr $(fe_path xvdc)/multi-queue-num-queues)
    qb=${qb:-1} qc=${qc:-1}
    [ "$(tstat xvdb rings)" = $((qb + qc)) ] || fail "rings=$(tstat xvdb rings) on the shared minor, want $qb + $qc"
    if [ $first = xvdb ]; then left=$qc; else left=$qb; fi
    tap-ctl stats -p $P -m $M | grep -E '^ring[0-9]+\.(devid|queue)=' | tr '\n' ' ' | sed 's/^/  /'; echo
    # one disk: what one device writes the other reads (O_DIRECT both ways)
    bounded 120 dd if=/tmp/pat1 of=/dev/xvdb bs=64k oflag=direct 2>/dev/null || fail "write via xvdb"
    bounded 120 dd if=/dev/xvdc of=/tmp/got bs=64k count=64 iflag=direct 2>/dev/null || fail "read via xvdc"
    [ "$(md5 < /tmp/got)" = "$(md5 < /tmp/pat1)" ] || fail "xvdc does not read what xvdb wrote"
    bounded 120 dd if=/tmp/pat2 of=/dev/xvdc bs=64k seek=64 oflag=direct 2>/dev/null || fail "write via xvdc"
    bounded 120 dd if=/dev/xvdb of=/tmp/got bs=64k skip=64 count=64 iflag=direct 2>/dev/null || fail "read via xvdb"
    [ "$(md5 < /tmp/got)" = "$(md5 < /tmp/pat2)" ] || fail "xvdb does not read what xvdc wrote"
    say "ok: one consistent disk through both devices"

    xl_detach $first
    kill -0 $P 2>/dev/null || fail "tapdisk $P ended with the first detach"
    [ "$(tap-ctl list | wc -l)" = 1 ] || fail "the minor went away with the first detach"
    [ "$(tap-ctl stats -p $P -m $M | sed -n 's/^rings=//p')" = $left ] || fail "rings after detaching $first: $(tap-ctl stats -p $P -m $M | sed -n 's/^rings=//p'), want $left"
    verify_io $second /tmp/s.img /tmp/pat1 4 256k 8
    say "ok: $second works after $first is detached"
    xl_detach $second
    wait_for 30 sh -c "! kill -0 $P 2>/dev/null" || fail "tapdisk $P still running after both detaches"
    no_tapdisk_left "after detaching both devices"
    c=$(dd if=/tmp/s.img bs=64k skip=64 count=64 2>/dev/null | md5)
    [ "$c" = "$(md5 < /tmp/pat2)" ] || fail "the image lost what xvdc wrote"
    say "ok: $first then $second detached, tapdisk gone, data in the image"
done
stop_tapback
echo "T-81-XL-SHARED-OK"
