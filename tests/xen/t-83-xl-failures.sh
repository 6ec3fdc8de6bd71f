#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
# xentap-suites: trixie
#
# Stock toolstack (Xen 4.19+, XENTAP_XEN_SUITE=trixie), the unhappy paths:
# 1. xl block-attach of a file that does not exist fails within libxl's
#    limits (10 s for InitWait + block-tap's 40 s), with the reason in the
#    hotplug log, and leaves no tapdisk, no minor and no device behind
#    (libxl keeps the failed device's nodes; xl block-detach removes them);
# 2. xl block-detach while writers are in the middle of O_DIRECT writes:
#    the detach completes, every write a writer saw acknowledged is in the
#    image, and the tapdisk is gone.
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback
requires_xl_tap

start_tapback
say "== attach of a missing file"
rm -f /tmp/missing.img
t0=$(up)
if xl block-attach 0 'format=raw, vdev=xvde, access=rw, backendtype=tap, target=/tmp/missing.img' > /tmp/xl.out 2>&1; then
    cat /tmp/xl.out; fail "xl block-attach of a missing file exited 0"
fi
t=$(awk -v a=$t0 -v b=$(up) 'BEGIN{printf "%.1f", b-a}')
sed 's/^/  xl: /' /tmp/xl.out | head -8
grep -E 'tap-ctl|missing.img' /var/log/xen/xen-hotplug.log 2>/dev/null | tail -4 | sed 's/^/  hotplug log: /'
awk -v t=$t 'BEGIN{exit !(t < 55)}' || fail "xl block-attach of a missing file took ${t}s (libxl's limits: 10 s + 40 s)"
grep -q 'missing.img' /var/log/xen/xen-hotplug.log 2>/dev/null || fail "the hotplug log does not name the missing file"
wait_for 20 sh -c "! pidof tapdisk >/dev/null" || fail "a tapdisk is left after the failed attach: $(pidof tapdisk)"
no_tapdisk_left "after the failed attach"
ls $CTL/tapdisk/ 2>/dev/null | grep -q . && { ls -l $CTL/tapdisk/; fail "a minor is left allocated after the failed attach"; }
test -b /dev/xvde && fail "/dev/xvde exists after the failed attach"
# libxl leaves a failed device's xenstore directories (hotplug-status=error),
# as it does for blkback; xl block-detach removes them, through tapback
[ "$(xsr $(be_path xvde)/hotplug-status)" = error ] || say "note: hotplug-status=$(xsr $(be_path xvde)/hotplug-status)"
if xl block-list 0 | grep -q 51776; then
    xl_detach xvde
    xl block-list 0 | grep -q 51776 && fail "xl block-list still shows xvde after its detach"
    xsr $(be_path xvde)/state > /dev/null && fail "the backend directory of xvde is left after its detach"
fi
no_tapdisk_left "after the failed device's detach"
say "ok: failed in ${t}s, no tapdisk left; xl block-detach cleaned up libxl's nodes"

say "== detach with writes in flight"
truncate -s 64M /tmp/f.img
pattern /tmp/pat 64
xl_attach xvdb 'format=raw, access=rw' /tmp/f.img
read -r P M < $ST/xvdb
# four writers, 16 MiB each in its own region, 16 KiB O_DIRECT writes (more
# than libxl's 10 s under TCG: blkfront keeps an open disk until its users
# are done, so libxl times out and removes the device by force while the
# writes go on). dd reports how many writes it saw acknowledged.
for i in 0 1 2 3; do
    dd if=/tmp/pat of=/dev/xvdb bs=16k count=1024 skip=$((i * 1024)) seek=$((i * 1024)) \
        oflag=direct 2> /tmp/dd$i.err &
    eval W$i=$!
done
sleep 1
inflight=$(tstat xvdb inflight)
say "detaching with writers running (tapdisk in flight: ${inflight:-?})"
t0=$(up)
st=0; xl block-detach 0 xvdb > /tmp/xl.out 2>&1 || st=$?
say "xl block-detach exited $st in $(awk -v a=$t0 -v b=$(up) 'BEGIN{printf "%.1f", b-a}')s"
sed 's/^/  xl: /' /tmp/xl.out | head -6
[ $st = 0 ] || fail "xl block-detach with I/O in flight exited $st"
for i in 0 1 2 3; do
    eval w=\$W$i
    wait_for 60 sh -c "! kill -0 $w 2>/dev/null" || fail "writer $i still blocked 60 s after the detach"
done
wait_for 30 sh -c "! kill -0 $P 2>/dev/null" || fail "tapdisk $P still running after xl block-detach"
no_tapdisk_left "after the detach under I/O"
test -b /dev/xvdb && fail "/dev/xvdb is still there"
total=0
for i in 0 1 2 3; do
    n=$(sed -n 's/^\([0-9]*\)+[0-9]* records out.*/\1/p' /tmp/dd$i.err)
    [ -n "$n" ] || { cat /tmp/dd$i.err; fail "writer $i: no record count"; }
    total=$((total + n))
    if [ "$n" -gt 0 ]; then
        a=$(dd if=/tmp/pat bs=16k skip=$((i * 1024)) count=$n 2>/dev/null | md5)
        b=$(dd if=/tmp/f.img bs=16k skip=$((i * 1024)) count=$n 2>/dev/null | md5)
        [ "$a" = "$b" ] || fail "writer $i: $n acknowledged 16 KiB writes are not all in the image"
    fi
    say "writer $i: $n of 1024 writes acknowledged, all in the image ($(grep -v records /tmp/dd$i.err | head -1))"
done
[ $total -gt 0 ] || fail "no write was acknowledged before the detach: the test proved nothing"
[ $total -lt 4096 ] && say "ok: detached under I/O: $total of 4096 writes acknowledged, every one in the image" ||
    say "note: every write finished before the detach took effect"
stop_tapback
echo "T-83-XL-FAILURES-OK"
