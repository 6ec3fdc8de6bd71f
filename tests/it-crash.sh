#!/bin/sh
# Crash consistency. A guest writes patterns with periodic flushes and
# logs what it was told (simfront load --verify --flush-every N --log);
# tapdisk is killed with SIGKILL at random points (from outside, and from
# inside by fault:crash_after_writes=N), on both I/O engines, and
# separately the guest is killed. Then tests/crashcheck compares the image
# with the log: every write acknowledged before the last acknowledged
# flush is there byte for byte, and so is every acknowledged write (a
# killed process loses nothing the kernel has: --acked); no sector holds
# data that was never written there.
#
# CRASH_ROUNDS (default 12) external kills per engine, as many self-kills
# (crash_after_writes) minus 4, and CRASH_ROUNDS / 2 guest kills.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

CRASHCHECK=$top_builddir/tests/crashcheck
[ -x "$CRASHCHECK" ] || fail "$CRASHCHECK not built"
ROUNDS=${CRASH_ROUNDS:-12}
BASE=$WORK/base.img
mkimg "$BASE" 8
n=0 kills=0 selfkills=0 guestkills=0 durable=0 written=0

rnd() { od -An -N4 -tu4 /dev/urandom | tr -d ' '; }
pick() { set -- $(rnd) "$@"; eval "echo \${$(($1 % ($# - 1) + 2))}"; }
msleep() { sleep "$(($1 / 1000)).$(printf %03d $(($1 % 1000)))"; }

# round ENGINE MODE: MODE is kill (SIGKILL from outside), self
# (crash_after_writes) or guest (SIGKILL the guest, then stop tapdisk).
round() {
	eng=$1 mode=$2
	n=$((n + 1))
	# a fresh inode each round: a write still in flight in the kernel for
	# the killed process can only land in the previous round's file
	img=$WORK/disk$n.img log=$WORK/log$n
	rm -f "$WORK/disk$((n - 1)).img"
	cp "$BASE" "$img"
	bs=$(pick 4096 4096 16384 65536)
	qd=$(pick 1 8 32 32)
	fe=$(pick 4 16 64)
	rw=$(pick randrw randwrite)
	ind=""
	[ "$bs" -gt 45056 ] && ind=--indirect
	spec=raw:$img
	[ "$mode" = self ] && spec="fault:crash_after_writes=$(($(rnd) % 3000 + 1)):raw:$img"
	what="round $n: $eng $mode bs=$bs qd=$qd flush-every=$fe $rw $ind ${spec%%:raw*}"
	start_tapdisk "$eng"
	sf --timeout 1000 --domid $((n + 1)) --open "$spec" --qd "$qd" $ind load \
		--rw "$rw" --bs "$bs" --runtime 20 --verify --flush-every "$fe" \
		--log "$log" > "$WORK/sf.out" 2>&1 &
	sfpid=$!
	case $mode in
	kill)
		msleep $(($(rnd) % 450 + 20))
		kill -KILL "$TD_PID" 2>/dev/null || fail "$what: tapdisk was already gone"
		;;
	self)
		w=0
		while kill -0 "$TD_PID" 2>/dev/null; do
			w=$((w + 1)); [ $w -gt 400 ] && fail "$what: tapdisk did not crash itself"
			msleep 25
		done
		;;
	guest)
		msleep $(($(rnd) % 450 + 20))
		kill -KILL "$sfpid" 2>/dev/null || fail "$what: the guest was already gone"
		;;
	esac
	if [ "$mode" != guest ]; then
		# the guest would only wait for answers that cannot come; what
		# it logged is final once it is gone
		kill -KILL "$sfpid" 2>/dev/null
	fi
	st=0; wait "$sfpid" 2>/dev/null || st=$?
	if [ "$mode" = guest ]; then
		[ $st = 137 ] || fail "$what: guest status $st: $(cat "$WORK/sf.out")"
		stop_tapdisk "$TD_PID"	# drains what the dead guest left in flight
		guestkills=$((guestkills + 1))
	else
		st=0; wait "$TD_PID" 2>/dev/null || st=$?
		[ $st = 137 ] || fail "$what: tapdisk status $st, not SIGKILL"
		[ "$mode" = self ] && selfkills=$((selfkills + 1))
		kills=$((kills + 1))
	fi
	if [ ! -s "$log" ]; then
		# killed before the guest started: nothing may have changed
		cmp -s "$img" "$BASE" || fail "$what: the image changed before any write"
		note "$what: killed before the first write, image unchanged"
		return 0
	fi
	o=$("$CRASHCHECK" --log "$log" --image "$img" --initial "$BASE" --acked 2>&1) ||
		fail "$what: image inconsistent with what the guest was told:
$o"
	f=$("$CRASHCHECK" --log "$log" --image "$img" --initial "$BASE" 2>&1) ||
		fail "$what: flushed data lost:
$f"
	durable=$((durable + $(echo "$f" | kv durable_blocks)))
	written=$((written + $(echo "$o" | kv writes)))
	note "$what: writes=$(echo "$o" | kv writes) acked=$(echo "$o" | kv acked) flushes=$(echo "$o" | kv flushes_acked) durable_blocks=$(echo "$f" | kv durable_blocks) ok"
}

for eng in io_uring libaio; do
	k=0	# not i: lib.sh's helpers use it
	while [ $k -lt "$ROUNDS" ]; do
		round "$eng" kill
		[ $k -lt $((ROUNDS - 4)) ] && round "$eng" self
		[ $((k % 4)) = 0 ] && round "$eng" guest
		k=$((k + 1))
	done
done

# The oracle itself: data in the wrong place, or a lost acknowledged and
# flushed write, must be caught.
img=$WORK/disk$n.img log=$WORK/log$n
blocks=$("$CRASHCHECK" --log "$log" --image "$img" --initial "$BASE" | kv durable_blocks)
if [ "${blocks:-0}" -gt 0 ]; then
	"$CRASHCHECK" --log "$log" --image "$BASE" --initial "$BASE" > /dev/null 2>&1 &&
		fail "crashcheck missed $blocks lost flushed blocks"
fi
cp "$img" "$WORK/bad.img"
dd if="$WORK/bad.img" of="$WORK/bad.img" bs=512 skip=1 seek=2 count=1 conv=notrunc status=none
"$CRASHCHECK" --log "$log" --image "$WORK/bad.img" --initial "$BASE" > /dev/null 2>&1 &&
	fail "crashcheck missed a sector copied to the wrong place"

note "tapdisk killed $kills times ($selfkills by crash_after_writes), guest killed $guestkills times; $written writes logged, $durable blocks checked durable: all consistent"
exit 0
