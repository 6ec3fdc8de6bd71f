#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
# xentap-suites: trixie
#
# Stock toolstack (Xen 4.19+, XENTAP_XEN_SUITE=trixie): a CD through xl.
# `xl block-attach ... devtype=cdrom, access=ro, backendtype=tap` (block-tap
# opens the ISO as a plain aio: image; tapback tells tapdisk it is a CD when
# it connects the ring): the disc reads back, writes are refused; xl has no
# media change for PV guests (cd-eject/cd-insert want HVM), so the admin
# uses tap-ctl: eject makes dom0 see capacity 0, insert of another disc its
# capacity and content; xl block-detach leaves no tapdisk.
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback
requires_xl_tap

pattern /tmp/cd-a.iso 4
pattern /tmp/cd-b.iso 6
start_tapback
d=xvdd
xl_attach $d 'format=raw, access=ro, devtype=cdrom' /tmp/cd-a.iso
be=$(be_path $d)
say "backend: device-type=$(xsr $be/device-type) mode=$(xsr $be/mode) info=$(xsr $be/info) media-present=$(xsr $be/media-present) ro=$(cat /sys/block/$d/ro)"
[ "$(xsr $be/device-type)" = cdrom ] || fail "libxl wrote device-type=$(xsr $be/device-type)"
[ "$(xsr $be/info)" = 7 ] || fail "info is $(xsr $be/info), want 7 (cdrom|removable|readonly)"
[ "$(cat /sys/block/$d/ro)" = 1 ] || fail "/dev/$d is not read-only"
[ "$(cat /sys/block/$d/size)" = 8192 ] || fail "capacity $(cat /sys/block/$d/size), want 8192"
read -r P M < $ST/$d
bounded 60 dd if=/dev/$d of=/tmp/got bs=1M count=4 iflag=direct 2>/dev/null || fail "read of /dev/$d"
[ "$(md5 < /tmp/got)" = "$(md5 < /tmp/cd-a.iso)" ] || fail "/dev/$d does not read back disc A"
say "ok: disc A reads back through xl's cdrom"
a=$(md5 < /tmp/cd-a.iso)

say "== xl cd-eject (refused for PV: media change is tap-ctl's)"
xl cd-eject 0 $d > /tmp/xl.out 2>&1 && say "note: xl cd-eject exited 0" || say "xl cd-eject: $(head -2 /tmp/xl.out | tr '\n' ' ')"

media_swap $d $P $M /tmp/cd-b.iso 12288
dd if=/dev/zero of=/dev/$d bs=4k count=1 oflag=direct 2>/dev/null && fail "a write to the CD succeeded"
say "ok: writes refused"

xl_detach $d
wait_for 30 sh -c "! kill -0 $P 2>/dev/null" || fail "tapdisk $P still running after xl block-detach"
no_tapdisk_left "after the CD's detach"
[ "$(md5 < /tmp/cd-a.iso)" = "$a" ] || fail "disc A changed"
stop_tapback
echo "T-82-XL-CDROM-OK"
