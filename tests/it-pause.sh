#!/bin/sh
# tap-ctl pause / unpause: several cycles under a running guest load that
# must finish without errors and verify its data; unpause onto a copy of
# the image (the guest then reads and writes the copy); unpause onto an
# image of another size is refused and the VBD stays paused until an
# unpause with a right-sized image.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

TAPCTL=$top_builddir/control/tap-ctl
XENTAP_XENIO=sim:$XENTAP_SIM_DIR
export TAPDISK XENTAP_XENIO
# The tapdisks tap-ctl spawns are daemons: keep their sanitizer reports.
sanitizer_logs

IMG=$WORK/disk.img
COPY=$WORK/copy.img
SMALL=$WORK/small.img
mkimg "$IMG" 32
mkimg "$SMALL" 16

tc() { timeout 60 "$TAPCTL" "$@"; }
state_flags() { tc stats -p "$TD_PID" -m "$MINOR" | kv state_flags; }

dev=$(tc create -a "aio:$IMG") || fail "create failed"
MINOR=${dev##*tapdisk-}
line=$(tc list -m "$MINOR")
TD_PID=$(echo "$line" | sed -n 's/^pid=\([0-9]*\) .*/\1/p')
[ -n "$TD_PID" ] || fail "no pid for minor $MINOR in '$line'"
TD_PIDS="$TD_PIDS $TD_PID"

# ---- pause / unpause cycles under load ----
sf --minor "$MINOR" load --rw randrw --bs 4096 --qd 16 --runtime 8 --verify \
	> "$WORK/load.out" 2>&1 &
LOAD=$!
sleep 1
s=$(tc stats -p "$TD_PID" -m "$MINOR") || fail "stats under load"
[ "$(echo "$s" | kv rings)" = 1 ] || fail "stats: rings=$(echo "$s" | kv rings) under load"
[ "$(echo "$s" | kv ring0.state)" = 0x1 ] || fail "stats: ring0.state=$(echo "$s" | kv ring0.state)"
[ "$(echo "$s" | kv ring0.abi)" = native ] || fail "stats: ring0.abi"
cycles=0
for i in 1 2 3 4 5; do
	tc pause -p "$TD_PID" -m "$MINOR" || fail "pause $i failed"
	s=$(tc stats -p "$TD_PID" -m "$MINOR") || fail "stats while paused"
	case $(echo "$s" | kv state_flags) in *paused*) ;; *) fail "pause $i: state not paused" ;; esac
	[ "$(echo "$s" | kv inflight)" = 0 ] || fail "pause $i returned with I/O in flight"
	if [ $i = 1 ]; then
		st=0; tc pause -p "$TD_PID" -m "$MINOR" 2> "$WORK/err" || st=$?
		[ $st != 0 ] || fail "pause of a paused VBD succeeded"
		note "pause twice: $(cat "$WORK/err")"
	fi
	sleep 0.4
	tc unpause -p "$TD_PID" -m "$MINOR" || fail "unpause $i failed"
	cycles=$((cycles + 1))
	sleep 0.8
done
st=0; tc unpause -p "$TD_PID" -m "$MINOR" 2> "$WORK/err" || st=$?
[ $st != 0 ] || fail "unpause of a running VBD succeeded"
wait $LOAD || { cat "$WORK/load.out"; fail "guest load failed across pause/unpause"; }
[ "$(kv errors < "$WORK/load.out")" = 0 ] || { cat "$WORK/load.out"; fail "guest saw errors"; }
grep -q '^verify=ok' "$WORK/load.out" || { cat "$WORK/load.out"; fail "load not verified"; }
note "$cycles pause/unpause cycles under load: $(grep -E '^(ios|errors|iops|lat_max_us)=' "$WORK/load.out" | tr '\n' ' ')"
alive "$TD_PID"

# ---- unpause onto a copy of the image ----
head -c 1048576 /dev/urandom > "$WORK/a.bin"
sf --minor "$MINOR" --quiet write --offset 0 --in "$WORK/a.bin" || fail "guest write"
tc pause -p "$TD_PID" -m "$MINOR" || fail "pause before copy"
cp "$IMG" "$COPY"
tc unpause -p "$TD_PID" -m "$MINOR" -a "aio:$COPY" || fail "unpause onto the copy failed"
[ "$(tc stats -p "$TD_PID" -m "$MINOR" | kv params)" = "aio:$COPY" ] || fail "params not the copy"
# The old file changes behind the VBD's back: the guest must not see it.
dd if=/dev/zero of="$IMG" bs=1M count=1 conv=notrunc status=none
sf --minor "$MINOR" --quiet read --offset 0 --len 1048576 --out "$WORK/b.bin" || fail "guest read"
cmp "$WORK/a.bin" "$WORK/b.bin" || fail "guest does not read its data from the copy"
# And what the guest writes now lands in the copy, not in the old file.
head -c 65536 /dev/urandom > "$WORK/c.bin"
sf --minor "$MINOR" --quiet write --offset 2097152 --in "$WORK/c.bin" || fail "guest write 2"
dd if="$COPY" of="$WORK/d.bin" bs=65536 skip=32 count=1 status=none
cmp "$WORK/c.bin" "$WORK/d.bin" || fail "guest write did not reach the copy"
dd if="$IMG" of="$WORK/d.bin" bs=65536 skip=32 count=1 status=none
cmp -s "$WORK/c.bin" "$WORK/d.bin" && fail "guest write reached the old image"

# ---- unpause onto an image of another size ----
tc pause -p "$TD_PID" -m "$MINOR" || fail "pause before the wrong size"
st=0; tc unpause -p "$TD_PID" -m "$MINOR" -a "aio:$SMALL" 2> "$WORK/err" || st=$?
[ $st != 0 ] || fail "unpause onto an image of another size succeeded"
[ "$(wc -l < "$WORK/err")" = 1 ] && grep -q '^tap-ctl: unpause: .*size' "$WORK/err" ||
	fail "size error unclear: $(cat "$WORK/err")"
note "wrong size: $(cat "$WORK/err") (exit $st)"
case $(state_flags) in *paused*) ;; *) fail "VBD not paused after a refused unpause" ;; esac
tc unpause -p "$TD_PID" -m "$MINOR" -a "aio:$COPY" || fail "unpause with the right image after a refusal"
case $(state_flags) in *paused*) fail "still paused after unpause" ;; esac
sf --minor "$MINOR" --quiet read --offset 0 --len 1048576 --out "$WORK/b.bin" || fail "guest read after"
cmp "$WORK/a.bin" "$WORK/b.bin" || fail "data wrong after the refused unpause"
o=$(sf --minor "$MINOR" verify --count 64) || fail "verify at the end: $o"

tc destroy -p "$TD_PID" -m "$MINOR" || fail "destroy"
i=0
while [ -e "/proc/$TD_PID" ] && ! grep -q ') Z' "/proc/$TD_PID/stat" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "tapdisk did not exit after destroy"
	sleep 0.05
done
[ -z "$(tc list)" ] || fail "list not empty at the end: $(tc list)"
sanitizer_reports
exit 0
