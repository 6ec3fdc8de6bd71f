#!/bin/sh
# The NBD export of a VBD (<ctl-dir>/nbd<pid>.<minor>) against real NBD
# clients: nbdinfo shows size and flags, qemu-img compare sees the image
# file, writes through qemu-io and nbdcopy (several connections) land in
# the image and the simulated guest reads them; ring and NBD I/O at the
# same time; a pause holds NBD requests and loses none; read-only VBDs;
# hostile and slow raw clients (tests/nbd-client.py); the socket goes with
# the VBD.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
requires python3 qemu-img qemu-io nbdinfo nbdcopy

TAPCTL=$top_builddir/control/tap-ctl
[ -x "$TAPCTL" ] || skip "tap-ctl is not built"
CLIENT="python3 $top_srcdir/tests/nbd-client.py"
tc() { timeout 60 "$TAPCTL" "$@"; }

IMG=$WORK/disk.img
SRC=$WORK/src.img
OUT=$WORK/out.img
M=1
mkimg "$IMG" 32
mkimg "$SRC" 32

start_tapdisk
SOCK=$CTL_DIR/nbd$TD_PID.$M
URI="nbd+unix:///?socket=$SOCK"
[ -e "$SOCK" ] && fail "an NBD socket exists before the VBD is open"
tc open -p "$TD_PID" -m $M -a "aio:$IMG" || fail "tap-ctl open failed"
[ -S "$SOCK" ] || fail "no NBD socket $SOCK after open"
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "NBD socket mode is $(stat -c %a "$SOCK"), want 600"

# ---- what the export says about itself ----
size=$(timeout 20 nbdinfo --size "$URI") || fail "nbdinfo --size failed"
[ "$size" = $((32 * 1048576)) ] || fail "nbdinfo size $size, want $((32 * 1048576))"
timeout 20 nbdinfo --is read-only "$URI" && fail "a read-write VBD is exported read-only"
for cap in flush fua trim zero multi-conn; do
	timeout 20 nbdinfo --can $cap "$URI" || fail "export cannot $cap"
done
note "nbdinfo: size $size, flush fua trim zero multi-conn"

# ---- reads, writes, zeroes, trims with qemu ----
timeout 60 qemu-img compare -f raw -F raw "$IMG" "$URI" >/dev/null ||
	fail "qemu-img compare: the export differs from the image file"
o=$(timeout 60 qemu-io -f raw -c 'write -P 0xab 0 1M' -c 'write -z 2M 1M' \
	-c 'discard 4M 64k' -c 'write -f -P 0x5a 8M 512k' -c flush "$URI" 2>&1) ||
	fail "qemu-io writes failed: $o"
head -c 1048576 /dev/zero | tr '\0' '\253' > "$WORK/ab.bin"
cmp -n 1048576 "$IMG" "$WORK/ab.bin" || fail "NBD write (0xab) is not in the image"
cmp -i 2097152:0 -n 1048576 "$IMG" /dev/zero || fail "NBD write zeroes did not zero"
cmp -i 4194304:0 -n 65536 "$IMG" /dev/zero || fail "NBD trim did not read back as zeroes"
head -c 524288 /dev/zero | tr '\0' '\132' | cmp -i 0:8388608 -n 524288 - "$IMG" ||
	fail "NBD FUA write (0x5a) is not in the image"
sf --minor $M read --offset 0 --len 1048576 --out "$WORK/guest.bin" >/dev/null ||
	fail "guest read failed"
cmp "$WORK/guest.bin" "$WORK/ab.bin" || fail "the guest does not see the NBD write"
timeout 60 qemu-img compare -f raw -F raw "$IMG" "$URI" >/dev/null ||
	fail "qemu-img compare after writes"

# ---- nbdcopy: several connections, whole disk both ways ----
timeout 120 nbdcopy "$SRC" "$URI" || fail "nbdcopy into the export failed"
cmp "$SRC" "$IMG" || fail "image differs from what nbdcopy wrote"
timeout 120 nbdcopy "$URI" "$OUT" || fail "nbdcopy out of the export failed"
cmp "$SRC" "$OUT" || fail "nbdcopy read back something else"
note "nbdcopy: 32 MiB in and out, identical"

# ---- ring and NBD at the same time ----
sf --minor $M load --rw randrw --bs 16384 --qd 16 --runtime 3 --verify \
	> "$WORK/load.out" 2>&1 &
lpid=$!
i=0
while kill -0 $lpid 2>/dev/null && [ $i -lt 20 ]; do
	timeout 60 nbdcopy "$URI" null: || fail "nbdcopy during ring load failed"
	i=$((i + 1))
done
wait $lpid || fail "ring load during NBD reads failed: $(cat "$WORK/load.out")"
[ "$(kv errors < "$WORK/load.out")" = 0 ] || fail "ring load errors: $(cat "$WORK/load.out")"
[ "$(kv verify < "$WORK/load.out")" = ok ] || fail "ring load verify: $(cat "$WORK/load.out")"
note "ring randrw load (verify ok, $(kv iops < "$WORK/load.out") iops) with $i NBD whole-disk reads"
sf --minor $M load --rw randread --bs 4096 --qd 8 --runtime 2 > "$WORK/load.out" 2>&1 &
lpid=$!
timeout 120 nbdcopy "$SRC" "$URI" || fail "nbdcopy during ring reads failed"
wait $lpid || fail "ring reads during NBD writes failed: $(cat "$WORK/load.out")"
cmp "$SRC" "$IMG" || fail "image differs after NBD writes under ring load"

# ---- a slow client that does not read its replies blocks nobody ----
$CLIENT "$SOCK" slow 200 4 > "$WORK/slow.out" 2>&1 &
spid=$!
sleep 0.5
t0=$(date +%s%N)
sf --minor $M read --offset 1048576 --len 1048576 --out "$WORK/guest.bin" >/dev/null ||
	fail "guest read next to a slow NBD client failed"
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ms -lt 3000 ] || fail "guest read took $ms ms next to a slow NBD client"
timeout 20 nbdinfo --size "$URI" >/dev/null || fail "a second NBD client was not served"
wait $spid || fail "slow client: $(cat "$WORK/slow.out")"
[ "$(kv replies < "$WORK/slow.out")" = 200 ] || fail "slow client: $(cat "$WORK/slow.out")"
note "slow NBD client: guest read took $ms ms, 200 replies delivered later"

# ---- pause: requests wait, none lost or failed ----
tc pause -p "$TD_PID" -m $M || fail "pause failed"
[ -S "$SOCK" ] || fail "the NBD socket went away on pause"
(timeout 60 qemu-io -f raw -c 'write -P 0xcd 4M 1M' "$URI" > "$WORK/qio.out" 2>&1
 echo $? > "$WORK/qio.rc") &
sleep 1
[ -e "$WORK/qio.rc" ] && fail "an NBD write finished while the VBD was paused: $(cat "$WORK/qio.out")"
tc unpause -p "$TD_PID" -m $M || fail "unpause failed"
i=0
while [ ! -s "$WORK/qio.rc" ]; do
	i=$((i + 1)); [ $i -gt 400 ] && fail "the held NBD write never finished"
	sleep 0.05
done
[ "$(cat "$WORK/qio.rc")" = 0 ] || fail "the held NBD write failed: $(cat "$WORK/qio.out")"
head -c 1048576 /dev/zero | tr '\0' '\315' > "$WORK/cd.bin"
cmp -i 4194304:0 -n 1048576 "$IMG" "$WORK/cd.bin" || fail "the held NBD write is not in the image"
for d in 0 0.02 0.05 0.1; do
	timeout 120 nbdcopy "$SRC" "$URI" &
	cpid=$!
	sleep $d
	tc pause -p "$TD_PID" -m $M || fail "pause under NBD load failed"
	sleep 0.3
	tc unpause -p "$TD_PID" -m $M || fail "unpause under NBD load failed"
	wait $cpid || fail "nbdcopy across a pause (after ${d}s) failed"
	cmp "$SRC" "$IMG" || fail "image differs after nbdcopy across a pause"
done
note "pause: held NBD write done after unpause; 4 nbdcopy runs across pauses intact"

# ---- hostile clients ----
for mode in options exportname checks; do
	o=$($CLIENT "$SOCK" $mode) || fail "nbd-client $mode: $o"
done
for mode in badflags badmagic bigwrite; do
	o=$($CLIENT "$SOCK" $mode) || fail "nbd-client $mode: $o"
	[ "$(echo "$o" | kv closed)" = yes ] || fail "$mode: connection not closed: $o"
done
o=$($CLIENT "$SOCK" timeout) || fail "nbd-client timeout: $o"
t=$(echo "$o" | kv closed_after)
[ "${t%.*}" -ge 9 ] && [ "${t%.*}" -le 13 ] || fail "handshake timeout after ${t}s, want about 10"
alive "$TD_PID"
note "hostile clients refused; silent client dropped after ${t}s"

# ---- read-only VBD, and the socket goes with the VBD ----
tc close -p "$TD_PID" -m $M || fail "close failed"
[ -e "$SOCK" ] && fail "NBD socket left after close"
tc open -p "$TD_PID" -m $M -a "aio:$IMG" -R || fail "read-only open failed"
timeout 20 nbdinfo --is read-only "$URI" || fail "a read-only VBD is exported writable"
timeout 60 qemu-io -f raw -c 'write -P 0x11 0 4k' "$URI" >/dev/null 2>&1 &&
	fail "a write to a read-only export succeeded"
cmp "$SRC" "$IMG" || fail "a read-only export changed the image"
tc close -p "$TD_PID" -m $M || fail "close failed"
[ -e "$SOCK" ] && fail "NBD socket left after close"
stop_tapdisk "$TD_PID"
exit 0
