#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 900
#
# A comparison, not a pass/fail benchmark: the same dom0 blkfront against
# tapdisk with grant copy (xvdb, backend/vbd3, tapback), tapdisk with
# persistent grants (xvdd, a second tapdisk run with --grant persistent)
# and the kernel's own xen-blkback (xvdc, backend/vbd, phy on a loop
# device; it uses persistent grants too), all over files in the same
# tmpfs, in the same boot. xt-io (our small stand-in for fio, O_DIRECT,
# Linux AIO) measures 4 KiB random and 1 MiB sequential I/O at queue depth
# 1, 4 KiB random reads at QD 32 and 1 MiB reads at QD 8; the table gives
# the medians and the ratios tapdisk / blkback. Under TCG the numbers mostly
# measure the emulated CPU; the ratio is what to watch. Fails if I/O fails,
# data differ, or persistent grants are not negotiated for xvdd.
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback
insmod /lib/modules/xentap/extra/xen-blkback.ko 2>/dev/null || skip "no xen-blkback module"

start_tapback
truncate -s 128M /tmp/t.img /tmp/k.img /tmp/p.img
# tapdisk with grant copy (persistent grants are the default)
export XENTAP_TD_ARGS="--grant copy"
attach xvdb /tmp/t.img w
unset XENTAP_TD_ARGS
# a second tapdisk with persistent grants: blkfront negotiates them with
# tapback (feature-persistent) as it does with blkback
export XENTAP_TD_ARGS="--grant persistent"
attach xvdd /tmp/p.img w
unset XENTAP_TD_ARGS
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
negotiated xvdd
dmesg | grep -q "xvdd:.*persistent grants: enabled" ||
    fail "blkfront did not enable persistent grants with tapdisk --grant persistent"
[ "$(xsr $(fe_path xvdd)/feature-persistent)" = 1 ] || fail "frontend of xvdd: feature-persistent is not 1"
[ "$(xsr $(be_path xvdd)/feature-persistent)" = 1 ] || fail "backend of xvdd: feature-persistent is not 1"
say "ok: persistent grants negotiated for xvdd"
echo "--- negotiated for xvdc (kernel blkback)"
xenstore-ls -f $FE | sed -n -E "s#^$FE/(ring-page-order|multi-queue-num-queues|feature-persistent) = \"(.*)\"#  frontend \1=\2#p"
xenstore-ls -f $BE | sed -n -E "s#^$BE/(max-ring-page-order|multi-queue-max-queues|feature-[a-z-]*) = \"(.*)\"#  backend \1=\2#p"

say "== xt-io, O_DIRECT, 3 s per run, devices interleaved, median of 3 runs"
# xio DEV RW BS QD: iops of one xt-io run
xio() {
    o=$(bounded 120 xt-io /dev/$1 $2 $3 $4 3) || fail "xt-io /dev/$* failed: $o"
    echo "$o" | kv iops
}
med3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
printf '%-24s %9s %9s %9s %7s %7s\n' "row" "tap-copy" "tap-pers" "blkback" "copy/k" "pers/k" | sed 's/^/  BENCH: /'
for row in "randread 4096 1" "randwrite 4096 1" "read 1048576 1" "write 1048576 1" \
           "randread 4096 32" "read 1048576 8"; do
    set -- $row
    T= P= K=
    for i in 1 2 3; do
        T="$T $(xio xvdb $row)"; P="$P $(xio xvdd $row)"; K="$K $(xio xvdc $row)"
    done
    t=$(med3 $T) p=$(med3 $P) k=$(med3 $K)
    unit=IOPS; [ $2 -ge 1048576 ] && unit=MiB/s   # 1 MiB: IOPS = MiB/s
    awk -v n="$1 $(($2 / 1024))k QD$3 $unit" -v t=$t -v p=$p -v k=$k -v runs="tapdisk copy$T; persistent$P; blkback$K" \
        'BEGIN{printf "%-24s %9d %9d %9d %7.2f %7.2f   (runs: %s)\n", n, t, p, k, (k ? t / k : 0), (k ? p / k : 0), runs}' |
        sed 's/^/  BENCH: /'
done

# With perf in dom0 (XENTAP_XEN_PERF=1 on the host): where the CPU goes
# during the 1 MiB QD 8 read row, system-wide, for tapdisk (copy and
# persistent) and for blkback
if command -v perf >/dev/null 2>&1; then
    mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
    mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
    for d in xvdb xvdd xvdc; do
        say "== perf: xt-io /dev/$d read 1048576 8, perf record -a -e cpu-clock -g for 4 s"
        bounded 120 xt-io /dev/$d read 1048576 8 6 >/tmp/xtio.$d 2>&1 &
        xp=$!
        sleep 1
        perf record -q -a -e cpu-clock -F 999 -g -o /tmp/perf.$d -- sleep 4 >/dev/null 2>&1 ||
            echo "perf record failed"
        wait $xp; echo "  xt-io: $(cat /tmp/xtio.$d)"
        # system calls (each one is a trip through Xen in a PV dom0)
        if [ $d != xvdc ]; then
            bounded 120 xt-io /dev/$d read 1048576 8 5 >/tmp/xtio.$d 2>&1 &
            xp=$!
            sleep 1
            tp=$(cat $ST/$d | cut -d' ' -f1)
            echo "--- perf trace -s -p $tp -- sleep 2 (/dev/$d, system calls of tapdisk's threads)"
            perf trace -s -p $tp -- sleep 2 2>&1 >/dev/null | grep -v '^$' | head -40
            wait $xp; echo "  xt-io: $(cat /tmp/xtio.$d)"
        fi
        echo "--- perf report --no-children --sort comm (/dev/$d)"
        perf report -i /tmp/perf.$d --stdio --no-children --sort comm -g none 2>/dev/null |
            grep -v '^#' | grep -v '^$' | head -12
        echo "--- perf report --no-children --sort comm,sym (/dev/$d)"
        perf report -i /tmp/perf.$d --stdio --no-children --sort comm,sym -g none 2>/dev/null |
            grep -v '^#' | grep -v '^$' | head -45
        if [ $d != xvdc ]; then
            echo "--- perf report --no-children --comms tapdisk --sort sym -g caller (/dev/$d)"
            perf report -i /tmp/perf.$d --stdio --no-children --comms tapdisk --sort sym \
                -g caller,2,callee,function,percent --max-stack 8 2>/dev/null |
                grep -v '^#' | grep -v '^$' | head -60
        fi
        rm -f /tmp/perf.$d
    done
    for p in $(pidof tapdisk); do
        echo "--- tapdisk $p: threads (comm utime stime voluntary/involuntary switches)"
        for t in /proc/$p/task/*; do
            echo "  $(cat $t/comm) $(cut -d' ' -f14,15 $t/stat) $(awk '/ctxt_switches/ {printf "%s ", $2}' $t/status)"
        done
    done
fi

say "== data check on all three"
pattern /tmp/pat 8
verify_io xvdb /tmp/t.img /tmp/pat 8 1M 0
verify_io xvdd /tmp/p.img /tmp/pat 8 1M 0
verify_io xvdc /tmp/k.img /tmp/pat 8 1M 0
verify_io xvdd /tmp/p.img /tmp/pat 8 4k 16

detach xvdb
detach xvdd
xenstore-write $BE/online 0 $BE/state 5
wait_for 30 xs_is $FE/state 6 || fail "blkback's frontend did not close"
xenstore-rm $FE; xenstore-rm $BE
wait_for 30 sh -c "! test -b /dev/xvdc" || fail "/dev/xvdc still present"
losetup -d /dev/loop0
stop_tapback
echo "T-60-VS-BLKBACK-OK"
