#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
# xentap-dom0-args: xen_blkfront.max_ring_page_order=4 xen_blkfront.max_queues=2 xen_blkfront.max_indirect_segments=256
#
# (b) blkfront forced to 16-page rings, two queues (dom0 has two vCPUs) and
# indirect descriptors of up to 256 segments: tapback must connect both
# queues' 16 ring pages; 1 MiB O_DIRECT requests go as INDIRECT; writes from
# both vCPUs at once reach both rings; data compared through xvdb and in the
# image. Then a read-only disk: writes refused, reads right, image intact.
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback

start_tapback
truncate -s 128M /tmp/b.img
attach xvdb /tmp/b.img w
negotiated xvdb
fe=$(fe_path xvdb)
[ "$(xsr $fe/ring-page-order)" = 4 ] || fail "frontend ring-page-order is '$(xsr $fe/ring-page-order)', not 4 (backend max-ring-page-order=$(xsr $(be_path xvdb)/max-ring-page-order))"
[ "$(xsr $fe/multi-queue-num-queues)" = 2 ] || fail "frontend multi-queue-num-queues is '$(xsr $fe/multi-queue-num-queues)', not 2 (backend multi-queue-max-queues=$(xsr $(be_path xvdb)/multi-queue-max-queues))"
xsr $fe/queue-1/ring-ref15 >/dev/null || fail "no queue-1/ring-ref15"
dmesg | grep -i 'blkfront: xvdb' | grep -q 'indirect descriptors: enabled' || fail "blkfront did not enable indirect descriptors"
read -r P M < $ST/xvdb
tap-ctl stats -p $P -m $M > /tmp/stats
grep -E '^(rings|ring[0-9]+\.(ring_order|ring_size|state))=' /tmp/stats | sed 's/^/  /'
[ "$(sed -n 's/^rings=//p' /tmp/stats)" = 2 ] || fail "tapdisk has $(sed -n 's/^rings=//p' /tmp/stats) rings, not 2"
for q in 0 1; do
    [ "$(sed -n "s/^ring$q.ring_order=//p" /tmp/stats)" = 4 ] || fail "ring $q: order is not 4"
done
say "ok: 2 queues of 16-page rings ($(sed -n 's/^ring0.ring_size=//p' /tmp/stats) slots each)"

say "== 1 MiB requests (indirect)"
i0=$(tstat xvdb req_indirect)
pattern /tmp/pat 32
verify_io xvdb /tmp/b.img /tmp/pat 32 1M 0
i1=$(tstat xvdb req_indirect)
say "req_indirect $i0 -> $i1"
[ "$i1" -gt "$i0" ] || fail "no INDIRECT requests for 1 MiB O_DIRECT I/O"

say "== both vCPUs at once: both queues"
tap-ctl stats -p $P -m $M > /tmp/s0
head -c 16777216 /tmp/pat > /tmp/p16
taskset -c 0 dd if=/tmp/p16 of=/dev/xvdb bs=256k seek=192 oflag=direct 2>/dev/null & w0=$!
taskset -c 1 dd if=/tmp/p16 of=/dev/xvdb bs=256k seek=320 oflag=direct 2>/dev/null & w1=$!
wait_for 120 sh -c "! kill -0 $w0 2>/dev/null && ! kill -0 $w1 2>/dev/null" || fail "writers did not finish"
wait $w0 || fail "writer on vCPU 0"
wait $w1 || fail "writer on vCPU 1"
tap-ctl stats -p $P -m $M > /tmp/s1
for q in 0 1; do
    a=$(sed -n "s/^ring$q.req_write=//p" /tmp/s0) b=$(sed -n "s/^ring$q.req_write=//p" /tmp/s1)
    say "ring $q: req_write $a -> $b"
    [ "$b" -gt "$a" ] || fail "queue $q got no writes from its vCPU"
done
a=$(md5 < /tmp/p16)
for at in 48 80; do
    b=$(dd if=/dev/xvdb bs=1M count=16 skip=$at iflag=direct 2>/dev/null | md5)
    c=$(dd if=/tmp/b.img bs=1M count=16 skip=$at 2>/dev/null | md5)
    [ "$a" = "$b" ] && [ "$a" = "$c" ] || fail "data at $at MiB: pattern=$a xvdb=$b image=$c"
done
say "ok: both writers' data in xvdb and in the image"
t0=$(up); bounded 120 dd if=/dev/xvdb of=/dev/null bs=1M count=64 iflag=direct 2>/dev/null || fail "read"; t1=$(up)
say "read 1 MiB blocks: $(rate 64 $t0 $t1)"
for k in err_io err_guest err_grant; do
    [ "$(tstat xvdb $k)" = 0 ] || fail "$k is $(tstat xvdb $k)"
done

say "== read-only disk"
dd if=/tmp/pat of=/tmp/ro.img bs=1M count=32 2>/dev/null
ro_md5=$(md5 < /tmp/ro.img)
attach xvdc /tmp/ro.img r
negotiated xvdc
[ "$(cat /sys/block/xvdc/ro)" = 1 ] || fail "/dev/xvdc is not read-only (ro=$(cat /sys/block/xvdc/ro), info=$(xsr $(be_path xvdc)/info))"
b=$(bounded 60 dd if=/dev/xvdc bs=1M iflag=direct 2>/dev/null | md5)
[ "$b" = "$ro_md5" ] || fail "read-only disk reads $b, image $ro_md5"
if bounded 60 dd if=/dev/zero of=/dev/xvdc bs=4k count=1 oflag=direct 2>/tmp/dd.err; then
    fail "a write to the read-only /dev/xvdc succeeded"
fi
say "ok: write refused: $(cat /tmp/dd.err | head -1)"
[ $(( $(xsr $(be_path xvdc)/info) & 4 )) = 4 ] || fail "backend info lacks VDISK_READONLY (4)"
[ "$(xsr $(be_path xvdc)/feature-discard)" != 1 ] || fail "a read-only disk offers discard"
# The kernel refuses writes to a read-only disk before blkfront (so stock
# blkfront cannot send one; the simulator's hostile guest covers that).
# An fsync still sends a FLUSH (Linux blkback answers it with an error).
f0=$(tstat xvdc req_flush)
bounded 30 sync -d /dev/xvdc 2>/tmp/sync.err; st=$?
say "fsync of the read-only disk: status $st $(head -1 /tmp/sync.err); req_flush $f0 -> $(tstat xvdc req_flush), err_guest $(tstat xvdc err_guest), err_io $(tstat xvdc err_io)"
[ "$(md5 < /tmp/ro.img)" = "$ro_md5" ] || fail "the read-only image changed"
say "ok: read-only image unchanged"

detach xvdc
detach xvdb
stop_tapback
echo "T-20-RING16-MQ-OK"
