#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
#
# Zero copy with O_DIRECT in a PV dom0: a tapdisk with persistent grants
# serving a block device (a loop device over a tmpfs file, which takes
# O_DIRECT, unlike tmpfs itself) opens it with O_DIRECT and does its reads
# and writes straight on the guest's pages mapped through gntdev: the
# kernel must pin those pages for the device's DMA. Checks the data both
# ways at 1 MiB and 4 KiB, that tapdisk opened the device with O_DIRECT,
# that requests were served on mapped pages (tap-ctl stats zero_copy) and
# did not fall back to grant copy ("grant copy from now on"), with no
# error counted.
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback losetup

start_tapback
truncate -s 96M /tmp/d.img
losetup /dev/loop1 /tmp/d.img || fail "losetup /dev/loop1"
export XENTAP_TD_ARGS="--grant persistent"
attach xvdb /dev/loop1 w
unset XENTAP_TD_ARGS
negotiated xvdb
grep -q "opened aio:/dev/loop1:.*O_DIRECT" /run/messages ||
    fail "tapdisk did not open /dev/loop1 with O_DIRECT: $(grep "opened" /run/messages | tail -2)"
say "ok: tapdisk opened /dev/loop1 with O_DIRECT"

pattern /tmp/pat 16
verify_io xvdb /dev/loop1 /tmp/pat 16 1M 0
head -c 2097152 /tmp/pat > /tmp/pat2
verify_io xvdb /dev/loop1 /tmp/pat2 2 4k 40
zc=$(tstat xvdb zero_copy)
say "tap-ctl stats: zero_copy=$zc req_read=$(tstat xvdb req_read) req_write=$(tstat xvdb req_write)"
if grep -q "grant copy from now on" /run/messages; then
    fail "O_DIRECT on gntdev-mapped pages failed, the ring fell back to grant copy: $(grep 'mapped' /run/messages | tail -3)"
fi
[ "${zc:-0}" -gt 0 ] || fail "no request was served on mapped guest pages (zero_copy=$zc)"
for k in err_io err_grant err_guest; do
    [ "$(tstat xvdb $k)" = 0 ] || fail "$k is $(tstat xvdb $k)"
done
say "ok: O_DIRECT I/O on gntdev-mapped guest pages ($zc requests), data verified"

detach xvdb
losetup -d /dev/loop1
stop_tapback
echo "T-61-DIRECT-ZEROCOPY-OK"
