#!/bin/sh
# The control socket cannot be used to stall or crash tapdisk: a silent
# client, a client that stops mid-header, garbage, an oversized frame, a
# wrong protocol version, a flood of 200 connections and a client without
# permission, all while a guest's I/O keeps flowing.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
requires python3
# The system's python3 (a per-user shim may not be reachable as 'nobody').
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
CLIENT="$PY $top_srcdir/tests/ctl-client.py"

IMG=$WORK/disk.img
mkimg "$IMG" 16
start_tapdisk
SOCK=$CTL_DIR/ctl$TD_PID
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "socket mode is $(stat -c %a "$SOCK"), want 600"

sf --minor 0 --open "raw:$IMG" load --rw randrw --bs 4096 --qd 4 --runtime 6 --verify \
	> "$WORK/load.out" 2>&1 &
LOAD=$!
sleep 0.5
$CLIENT "$SOCK" silent > "$WORK/silent.out" &
S1=$!
$CLIENT "$SOCK" partial > "$WORK/partial.out" &
S2=$!
o=$($CLIENT "$SOCK" garbage); [ "$o" = "status=-74" ] || [ "$o" = "status=None" ] || fail "garbage: $o"
o=$($CLIENT "$SOCK" badver); [ "$o" = "status=-93" ] || fail "bad version: $o (want -EPROTONOSUPPORT)"
o=$($CLIENT "$SOCK" oversized); [ "$o" = "status=-74" ] || fail "oversized frame: $o (want -EBADMSG)"
o=$($CLIENT "$SOCK" status); [ "$o" = "status=0" ] || fail "status while others misbehave: $o"
o=$($CLIENT "$SOCK" flood); case $o in *status=0) note "flood: $o" ;; *) fail "after a connection flood: $o" ;; esac
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0711 "$WORK" "$CTL_DIR"; chmod 0666 "$SOCK"   # let 'nobody' reach the socket
	o=$(setpriv --reuid=65534 --regid=65534 --clear-groups $CLIENT "$SOCK" denied 2>&1) ||
		fail "denied client: $o"
	chmod 0600 "$SOCK"
	[ "$o" = "status=None" ] || fail "a client without permission got an answer: $o"
else
	note "not root: permission check not exercised"
fi
wait $S1 $S2
wait $LOAD || { cat "$WORK/load.out"; fail "guest I/O failed while clients misbehaved"; }
grep -q '^verify=ok' "$WORK/load.out" || { cat "$WORK/load.out"; fail "load not verified"; }
[ "$(kv errors < "$WORK/load.out")" = 0 ] || fail "guest saw errors"
ios=$(kv ios < "$WORK/load.out")
note "guest completed $ios I/Os while clients misbehaved"
[ "${ios:-0}" -gt 100 ] || fail "I/O stalled: only ${ios:-0} I/Os"
alive "$TD_PID"
stop_tapdisk "$TD_PID"
exit 0
