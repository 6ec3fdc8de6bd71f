#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
#
# A comparison, not a pass/fail benchmark: the same dom0 blkfront against
# tapdisk (xvdb, backend/vbd3, tapback) and against the kernel's own
# xen-blkback (xvdc, backend/vbd, phy on a loop device), both over a file in
# the same tmpfs, in the same boot. Prints MiB/s at 1 MiB and IOPS at 4 KiB
# (O_DIRECT, one request at a time with dd; then with xt-io, our small
# stand-in for fio: 4 KiB random reads at queue depth 32 and 1 MiB
# sequential reads at queue depth 8) and the ratio tapdisk / blkback. Under
# TCG the numbers mostly measure the emulated CPU; the ratio is what to
# watch. Fails only if I/O fails or data differ.
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback
insmod /lib/modules/xentap/extra/xen-blkback.ko 2>/dev/null || skip "no xen-blkback module"

start_tapback
truncate -s 128M /tmp/t.img /tmp/k.img
attach xvdb /tmp/t.img w
losetup /dev/loop0 /tmp/k.img || fail "losetup"
BE=/local/domain/0/backend/vbd/0/51744 FE=/local/domain/0/device/vbd/51744
xenstore-write \
    $BE/frontend $FE  $BE/frontend-id 0  $BE/online 1  $BE/removable 0 \
    $BE/bootable 1  $BE/state 1  $BE/dev xvdc  $BE/type phy  $BE/mode w \
    $BE/device-type disk  $BE/discard-enable 1  $BE/params /dev/loop0 \
    $FE/backend $BE  $FE/backend-id 0  $FE/state 1  $FE/virtual-device 51744 \
    $FE/device-type disk || fail "xenstore-write (blkback)"
xenstore-write $BE/physical-device 7:0      # what the "block" hotplug script does
wait_for 60 test -b /dev/xvdc || fail "/dev/xvdc (kernel blkback) did not appear"
say "/dev/xvdc served by the kernel blkback"
negotiated xvdb
echo "--- negotiated for xvdc (kernel blkback)"
xenstore-ls -f $FE | sed -n -E "s#^$FE/(ring-page-order|multi-queue-num-queues|feature-persistent) = \"(.*)\"#  frontend \1=\2#p"
xenstore-ls -f $BE | sed -n -E "s#^$BE/(max-ring-page-order|multi-queue-max-queues|feature-[a-z-]*) = \"(.*)\"#  backend \1=\2#p"

# ms DEV ARGS...: the wall time of one dd, in milliseconds
ms() {
    d=$1; shift
    t0=$(up)
    bounded 300 dd "$@" 2>/dev/null || fail "dd $* on $d"
    awk -v a=$t0 -v b=$(up) 'BEGIN{printf "%d", (b - a) * 1000}'
}
best() { [ "$1" -lt "$2" ] && echo $1 || echo $2; }
run() {  # run DEV: sets W R w4 r4 (milliseconds)
    d=$1
    W=$(ms $d if=/dev/zero of=/dev/$d bs=1M count=96 oflag=direct)
    R=$(ms $d if=/dev/$d of=/dev/null bs=1M count=96 iflag=direct)
    w4=$(ms $d if=/dev/zero of=/dev/$d bs=4k count=1024 seek=25600 oflag=direct)
    r4=$(ms $d if=/dev/$d of=/dev/null bs=4k count=1024 skip=25600 iflag=direct)
}
say "== two rounds each, interleaved; the better round counts"
run xvdb; tW=$W tR=$R tw=$w4 tr=$r4
run xvdc; kW=$W kR=$R kw=$w4 kr=$r4
run xvdb; tW=$(best $tW $W) tR=$(best $tR $R) tw=$(best $tw $w4) tr=$(best $tr $r4)
run xvdc; kW=$(best $kW $W) kR=$(best $kR $R) kw=$(best $kw $w4) kr=$(best $kr $r4)
awk -v tW=$tW -v tR=$tR -v tw=$tw -v tr=$tr -v kW=$kW -v kR=$kR -v kw=$kw -v kr=$kr 'BEGIN {
    printf "%-26s %12s %12s %8s\n", "O_DIRECT, queue depth 1", "tapdisk", "blkback", "ratio"
    printf "%-26s %12.1f %12.1f %8.2f\n", "write 1 MiB (MiB/s)", 96000/tW, 96000/kW, kW/tW
    printf "%-26s %12.1f %12.1f %8.2f\n", "read 1 MiB (MiB/s)", 96000/tR, 96000/kR, kR/tR
    printf "%-26s %12.0f %12.0f %8.2f\n", "write 4 KiB (IOPS)", 1024000/tw, 1024000/kw, kw/tw
    printf "%-26s %12.0f %12.0f %8.2f\n", "read 4 KiB (IOPS)", 1024000/tr, 1024000/kr, kr/tr
}' | sed 's/^/  BENCH: /'

say "== queue depth (xt-io, O_DIRECT, 5 s each, interleaved, median of 3)"
# xio DEV ARGS: iops of one xt-io run
xio() {
    o=$(bounded 120 xt-io /dev/$1 $2 $3 $4 5) || fail "xt-io $* failed: $o"
    echo "$o" | kv iops
}
med3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
for row in "randread 4096 32" "read 1048576 8"; do
    set -- $row
    t1=$(xio xvdb $row); k1=$(xio xvdc $row)
    t2=$(xio xvdb $row); k2=$(xio xvdc $row)
    t3=$(xio xvdb $row); k3=$(xio xvdc $row)
    t=$(med3 $t1 $t2 $t3) k=$(med3 $k1 $k2 $k3)
    awk -v n="$1 $(($2 / 1024)) KiB QD$3 (IOPS)" -v t=$t -v k=$k -v ts="$t1 $t2 $t3" -v ks="$k1 $k2 $k3" \
        'BEGIN{printf "%-26s %12d %12d %8.2f   (runs: tapdisk %s, blkback %s)\n", n, t, k, (k ? t / k : 0), ts, ks}' |
        sed 's/^/  BENCH: /'
done

say "== data check on both"
pattern /tmp/pat 8
verify_io xvdb /tmp/t.img /tmp/pat 8 1M 0
verify_io xvdc /tmp/k.img /tmp/pat 8 1M 0

detach xvdb
xenstore-write $BE/online 0 $BE/state 5
wait_for 30 xs_is $FE/state 6 || fail "blkback's frontend did not close"
xenstore-rm $FE; xenstore-rm $BE
wait_for 30 sh -c "! test -b /dev/xvdc" || fail "/dev/xvdc still present"
losetup -d /dev/loop0
stop_tapback
echo "T-60-VS-BLKBACK-OK"
