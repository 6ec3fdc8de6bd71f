#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
#
# Removable media with the stock Linux blkfront (which does not speak
# packets): a device-type=cdrom vbd3 device (libxl's block-tap opens it as a
# plain aio: image; tapback tells tapdisk it is a CD when it connects the
# ring) reads back its medium through /dev/xvdX; `tap-ctl eject` makes the
# capacity drop to 0 (tapback rewrites sectors/media-present/state) and
# reads fail; `tap-ctl insert` of a medium of another size makes the new
# capacity and content appear.
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback

# Two "discs" of different sizes (whole 2048-byte blocks)
pattern /tmp/cd-a.iso 4
pattern /tmp/cd-b.iso 6

start_tapback
d=xvdc
t0=$(up)
vbd_nodes $d /tmp/cd-a.iso r cdrom
wait_be_state $d 2 30 || fail "$d: backend did not reach InitWait"
tap_new /tmp/cd-a.iso ro
hotplug_done $d
wait_for 60 test -b /dev/$d || fail "/dev/$d did not appear"
wait_be_state $d 4 30 || fail "$d: backend not Connected"
say "/dev/$d attached: $(cat /sys/block/$d/size) sectors, ro=$(cat /sys/block/$d/ro), info=$(xsr $(be_path $d)/info)"
[ "$(xsr $(be_path $d)/info)" = 7 ] || fail "info is $(xsr $(be_path $d)/info), want 7 (cdrom|removable|readonly)"
[ "$(xsr $(be_path $d)/media-present)" = 1 ] || fail "media-present is not 1"
[ "$(cat /sys/block/$d/size)" = 8192 ] || fail "capacity $(cat /sys/block/$d/size), want 8192"
read -r P M < $ST/$d

say "== read the medium"
bounded 60 dd if=/dev/$d of=/tmp/got bs=1M count=4 iflag=direct 2>/dev/null || fail "read of /dev/$d"
[ "$(md5 < /tmp/got)" = "$(md5 < /tmp/cd-a.iso)" ] || fail "/dev/$d does not read back disc A"
say "ok: disc A reads back"
dd if=/dev/zero of=/dev/$d bs=4k count=1 oflag=direct 2>/dev/null && fail "a write to the CD succeeded"
say "ok: writes refused"

media_swap $d $P $M /tmp/cd-b.iso 12288
dmesg | grep -iE "xvdc|capacity" | tail -5 | sed 's/^/  dmesg: /'

tap-ctl stats -p $P -m $M > /tmp/stats || fail "tap-ctl stats"
for k in err_io err_grant; do
    [ "$(sed -n "s/^$k=//p" /tmp/stats)" = 0 ] || fail "$k is not 0"
done
detach $d
stop_tapback
echo "T-70-CDROM-OK"
