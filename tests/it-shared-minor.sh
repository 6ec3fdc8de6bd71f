#!/bin/sh
# One image attached twice: xl's block-tap reuses the minor, so two devices
# (xvdb and xvdc, or disks of two guests) share one VBD. Each device has its own rings
# (keyed by domid, devid, queue), its own xentop statistics file, its own
# read-only flag (mode=r), and disconnects without touching the other's
# rings; either device can go first while the other keeps doing verified
# I/O. The same device connected twice is refused. (The simulated guests
# are processes with one domain each, so the devices here belong to
# different domains; tapback's unit test and the real-Xen test t-81 cover
# two devices of one domain.)
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
requires python3

TAPCTL=$top_builddir/control/tap-ctl
[ -x "$TAPCTL" ] || skip "tap-ctl is not built"
XENTAP_XENIO=sim:$XENTAP_SIM_DIR
export TAPDISK XENTAP_XENIO
sanitizer_logs		# the tapdisk is a daemon spawned by tap-ctl
tc() { timeout 60 "$TAPCTL" "$@"; }

IMG=$WORK/disk.img
mkimg "$IMG" 32
dev=$(tc create -a "aio:$IMG") || fail "create failed"
MINOR=${dev##*tapdisk-}
TD_PID=$(tc list -m "$MINOR" | sed -n 's/^pid=\([0-9]*\) .*/\1/p')
[ -n "$TD_PID" ] || fail "no pid for minor $MINOR"
TD_PIDS="$TD_PIDS $TD_PID"
A="--domid 1 --devid 51728 --minor $MINOR"	# xvdb
B="--domid 2 --devid 51744 --minor $MINOR"	# xvdc
C="--domid 3 --devid 51760 --minor $MINOR"	# xvdd, mode=r
rings_of() { tc stats -p "$TD_PID" -m "$MINOR" | kv rings; }
wait_rings() {
	i=0
	while [ "$(rings_of)" != "$1" ]; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "rings=$(rings_of), want $1"
		sleep 0.05
	done
}

# ---- both devices at once; the one that ends first leaves the other alone --
for first in A B; do
	# A reads, B writes and verifies what it wrote; the device that runs
	# for less time disconnects while the other is in the middle of its load
	if [ $first = A ]; then ta=2; tb=5; else ta=5; tb=2; fi
	sf $A load --rw randread --bs 4096 --qd 16 --runtime $ta \
		> "$WORK/a.out" 2>&1 &
	PA=$!
	sf $B load --rw randrw --bs 4096 --qd 16 --runtime $tb --verify \
		> "$WORK/b.out" 2>&1 &
	PB=$!
	wait_rings 2
	for f in "$XENTAP_STATS_DIR/td3-$TD_PID/vbd-1-51728" \
		 "$XENTAP_STATS_DIR/td3-$TD_PID/vbd-2-51744"; do
		[ -e "$f" ] || fail "no statistics file $f"
	done
	# the same device (domid, devid, queue) again is refused (EEXIST)
	o=$(python3 "$top_srcdir/tests/ctl-client.py" "$CTL_DIR/ctl$TD_PID" \
		connect "$MINOR" 1 51728 0)
	[ "$o" = "status=-17" ] || fail "device 1/51728 connected twice: $o"
	# half a device name is refused, not taken as "every device"
	for half in "1 -" "- 51728"; do
		o=$(python3 "$top_srcdir/tests/ctl-client.py" "$CTL_DIR/ctl$TD_PID" \
			disconnect "$MINOR" $half)
		[ "$o" = "status=-22" ] || fail "RING_DISCONNECT with only '$half': $o"
	done
	[ "$(rings_of)" = 2 ] || fail "a refused RING_DISCONNECT took rings: $(rings_of)"
	if [ $first = A ]; then
		wait $PA || fail "device A: $(cat "$WORK/a.out")"
		wait_rings 1
		kill -0 $PB 2>/dev/null || fail "device B ended with A (order $first)"
		wait $PB || fail "device B: $(cat "$WORK/b.out")"
	else
		wait $PB || fail "device B: $(cat "$WORK/b.out")"
		wait_rings 1
		kill -0 $PA 2>/dev/null || fail "device A ended with B (order $first)"
		wait $PA || fail "device A: $(cat "$WORK/a.out")"
	fi
	wait_rings 0
	[ "$(kv errors < "$WORK/a.out")" = 0 ] || fail "A: $(cat "$WORK/a.out")"
	[ "$(kv errors < "$WORK/b.out")" = 0 ] || fail "B: $(cat "$WORK/b.out")"
	[ "$(kv verify < "$WORK/b.out")" = ok ] || fail "B: $(cat "$WORK/b.out")"
	note "$first first: A $(kv ios < "$WORK/a.out") reads, B $(kv ios < "$WORK/b.out") verified I/Os"
	[ -e "$XENTAP_STATS_DIR/td3-$TD_PID/vbd-1-51728" ] &&
		fail "statistics file of A left after its disconnect"
	alive "$TD_PID"
done

# ---- a read-only device (mode=r) beside a read-write one -------------------
sf $B load --rw randrw --bs 4096 --qd 8 --runtime 3 --verify \
	> "$WORK/b.out" 2>&1 &
PB=$!
o=$(sf $C --readonly hostile write-readonly 2>&1) ||
	fail "write on the read-only device: $o"
note "read-only device: $(echo "$o" | tr '\n' ' ')"
o=$(sf $C --readonly info 2>&1) || fail "info on the read-only device: $o"
[ "$(echo "$o" | kv readonly)" = 1 ] || fail "read-only device: $o"
wait $PB || fail "device B beside a read-only device: $(cat "$WORK/b.out")"
[ "$(kv verify < "$WORK/b.out")" = ok ] || fail "B: $(cat "$WORK/b.out")"

tc destroy -p "$TD_PID" -m "$MINOR" || fail "destroy failed"
i=0
while kill -0 "$TD_PID" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "tapdisk did not exit after destroy"
	sleep 0.05
done
sanitizer_reports
exit 0
