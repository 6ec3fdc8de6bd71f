#!/bin/sh
# tap-ctl as Xen's block-tap hotplug script drives it (list -t -f, allocate,
# spawn, attach, open, destroy) with a simulated guest's I/O in between;
# create / destroy; --json; stats counters; the error cases (a missing
# image leaves no tapdisk behind, attach of an unallocated minor, free of a
# minor in use, usage errors); list surviving a tapdisk killed by SIGKILL.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
requires python3

TAPCTL=$top_builddir/control/tap-ctl
XENTAP_XENIO=sim:$XENTAP_SIM_DIR
export TAPDISK XENTAP_XENIO
# The tapdisks tap-ctl spawns are daemons: keep their sanitizer reports.
sanitizer_logs

IMG=$WORK/disk.img
IMG2=$WORK/other.img
mkimg "$IMG" 16
mkimg "$IMG2" 8

tc() { timeout 60 "$TAPCTL" "$@"; }

# block-tap's find_device: the pid= and minor= tokens of
# 'tap-ctl list -t TYPE -f FILE', split on commas and white space.
find_device() {
	pid=; minor=
	info=$(tc list -t "$1" -f "$2") || fail "list -t $1 -f $2 failed"
	for param in $(echo "$info" | tr "," "\n"); do
		case $param in
		pid=*) pid=${param#pid=} ;;
		minor=*) minor=${param#minor=} ;;
		esac
	done
}

# Processes whose command line names our control directory (the tapdisks
# this test spawned, whatever their pid).
our_tapdisks() {
	for d in /proc/[0-9]*; do
		{ tr '\0' ' ' < "$d/cmdline"; } 2>/dev/null | grep -qF -- "-c $CTL_DIR" &&
			tapctl_alive "${d#/proc/}" && echo "${d#/proc/}"
	done
	return 0
}
# alive and not a zombie
tapctl_alive() {
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ] && [ "$st" != X ]
}
wait_gone() {
	i=0
	while tapctl_alive "$1"; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "tapdisk $1 did not exit ($2)"
		sleep 0.05
	done
}

# ---- 1. the block-tap sequence ----
find_device aio "$IMG"
[ -z "$pid$minor" ] || fail "list -t aio -f found something before anything ran: '$info'"
dev=$(tc allocate) || fail "allocate failed"
case $dev in
"$CTL_DIR/tapdisk/tapdisk-"*) ;;
*) fail "allocate printed '$dev', want $CTL_DIR/tapdisk/tapdisk-<minor>" ;;
esac
[ -f "$dev" ] || fail "marker $dev does not exist"
minor=${dev#"$CTL_DIR/tapdisk/tapdisk-"}
case $minor in ''|*[!0-9]*) fail "no minor after tapdisk- in '$dev'" ;; esac
pid=$(tc spawn) || fail "spawn failed"
case $pid in ''|*[!0-9]*) fail "spawn printed '$pid', want a bare pid" ;; esac
TD_PIDS="$TD_PIDS $pid"
tapctl_alive "$pid" || fail "spawned tapdisk $pid is not running"
[ -S "$CTL_DIR/ctl$pid" ] || fail "no socket $CTL_DIR/ctl$pid after spawn"
tc attach -p "$pid" -m "$minor" || fail "attach failed"
tc open -p "$pid" -m "$minor" -a "aio:$IMG" || fail "open failed"
want_pid=$pid want_minor=$minor
line=$(tc list -t aio -f "$IMG")
[ "$line" = "pid=$pid minor=$minor state=0x9 args=aio:$IMG" ] ||
	note "list line: $line (state may differ)"
find_device aio "$IMG"
[ "$pid" = "$want_pid" ] && [ "$minor" = "$want_minor" ] ||
	fail "find_device got pid='$pid' minor='$minor', want $want_pid/$want_minor ($info)"
find_device raw "$IMG"
[ -z "$pid$minor" ] || fail "list -t raw matched an aio VBD: '$info'"
find_device aio "$IMG2"
[ -z "$pid$minor" ] || fail "list -f matched another file: '$info'"
pid=$want_pid minor=$want_minor

TD_PID=$pid
o=$(sf --minor "$minor" verify --count 128) || fail "guest I/O through the VBD failed: $o"
[ "$(echo "$o" | kv verify)" = ok ] || fail "guest verify not ok: $o"

s=$(tc stats -p "$pid" -m "$minor") || fail "stats failed"
for k in req_read req_write sect_read sect_write; do
	v=$(echo "$s" | kv $k)
	[ "${v:-0}" -gt 0 ] || fail "stats: $k=${v:-missing} after guest I/O"
done
[ "$(echo "$s" | kv params)" = "aio:$IMG" ] || fail "stats: params wrong"
[ "$(echo "$s" | kv media)" = none ] || fail "stats: media of a disk is not none"
note "stats: $(echo "$s" | grep -E '^(engine|req_read|req_write|sect_read|sect_write)=' | tr '\n' ' ')"
tc stats -p "$pid" -m "$minor" --json | python3 -m json.tool > "$WORK/stats.json" ||
	fail "stats --json is not JSON"
python3 - "$WORK/stats.json" <<'EOF' || fail "stats --json content"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["vbd"]["counters"]
assert c["req_read"] > 0 and c["req_write"] > 0, c
assert d["vbd"]["state_flags"] == ["open", "attached"], d["vbd"]["state_flags"]
assert isinstance(d["vbd"]["rings"], list)
EOF
tc list --json | python3 -m json.tool > "$WORK/list.json" || fail "list --json is not JSON"
python3 - "$WORK/list.json" "$pid" "$minor" "$IMG" <<'EOF' || fail "list --json content"
import json, sys
l = json.load(open(sys.argv[1]))
assert [(e["pid"], e["minor"], e["type"], e["path"]) for e in l] == \
    [(int(sys.argv[2]), int(sys.argv[3]), "aio", sys.argv[4])], l
EOF

tc destroy -p "$pid" -m "$minor" > "$WORK/destroy.out" || fail "destroy failed"
[ -s "$WORK/destroy.out" ] && fail "destroy printed something: $(cat "$WORK/destroy.out")"
wait_gone "$pid" "after destroy"
[ -e "$dev" ] && fail "marker $dev left after destroy"
[ -e "$CTL_DIR/ctl$pid" ] && fail "socket of $pid left after destroy"
[ -z "$(tc list)" ] || fail "list not empty after destroy: $(tc list)"

# ---- 2. create / destroy ----
dev=$(tc create -a "aio:$IMG") || fail "create failed"
find_device aio "$IMG"
[ -n "$pid" ] && [ "$dev" = "$CTL_DIR/tapdisk/tapdisk-$minor" ] ||
	fail "create printed '$dev', list says pid=$pid minor=$minor"
TD_PIDS="$TD_PIDS $pid"
TD_PID=$pid
o=$(sf --minor "$minor" verify --count 32) || fail "guest I/O after create: $o"
tc destroy -p "$pid" -m "$minor" || fail "destroy after create failed"
wait_gone "$pid" "destroy after create"
[ -z "$(tc list)" ] || fail "list not empty after create+destroy"

# ---- 3. errors ----
# open of a missing image: a clear one-line message, non-zero exit
dev=$(tc allocate) && minor=${dev##*tapdisk-} && pid=$(tc spawn) || fail "setup"
TD_PIDS="$TD_PIDS $pid"
tc attach -p "$pid" -m "$minor" || fail "attach"
tc open -p "$pid" -m "$minor" -a "aio:$WORK/missing.img" 2> "$WORK/err" &&
	fail "open of a missing image succeeded"
[ "$(wc -l < "$WORK/err")" = 1 ] || fail "open error is not one line: $(cat "$WORK/err")"
grep -q "^tap-ctl: open: .*missing.img" "$WORK/err" || fail "open error unclear: $(cat "$WORK/err")"
note "missing image: $(cat "$WORK/err")"
# attach of an unallocated minor
st=0; tc attach -p "$pid" -m 777 2> "$WORK/err" || st=$?
[ $st = 2 ] || fail "attach of an unallocated minor: exit $st, want 2 (ENOENT)"
grep -q "^tap-ctl: attach: .*not allocated" "$WORK/err" || fail "attach error unclear: $(cat "$WORK/err")"
# free of a minor in use
st=0; tc free -m "$minor" 2> "$WORK/err" || st=$?
[ $st = 16 ] || fail "free of an attached minor: exit $st, want 16 (EBUSY)"
[ -e "$dev" ] || fail "free of a minor in use removed its marker"
note "free in use: $(cat "$WORK/err")"
tc detach -p "$pid" -m "$minor" || fail "detach"
wait_gone "$pid" "after its last detach"
tc free -m "$minor" || fail "free after detach"
st=0; tc free -m "$minor" 2>/dev/null || st=$?
[ $st = 2 ] || fail "free of a free minor: exit $st, want 2"
# create with a missing image leaves nothing behind
st=0; tc create -a "aio:$WORK/missing.img" > "$WORK/out" 2> "$WORK/err" || st=$?
[ $st != 0 ] || fail "create with a missing image succeeded"
[ -s "$WORK/out" ] && fail "failed create printed on stdout: $(cat "$WORK/out")"
grep -q "^tap-ctl: create: open: .*missing.img" "$WORK/err" || fail "create error unclear: $(cat "$WORK/err")"
note "create, missing image: $(cat "$WORK/err")"
[ -z "$(our_tapdisks)" ] || fail "failed create left tapdisk(s) $(our_tapdisks)"
[ -z "$(ls "$CTL_DIR/tapdisk")" ] || fail "failed create left markers: $(ls "$CTL_DIR/tapdisk")"
[ -z "$(tc list)" ] || fail "list not empty after a failed create: $(tc list)"
# usage
st=0; "$TAPCTL" > /dev/null 2>&1 || st=$?; [ $st = 1 ] || fail "no verb: exit $st, want 1"
st=0; "$TAPCTL" frobnicate > /dev/null 2>&1 || st=$?; [ $st = 1 ] || fail "unknown verb: exit $st"
st=0; "$TAPCTL" open -m 0 -a aio:/x > /dev/null 2>&1 || st=$?; [ $st = 22 ] || fail "open without -p: exit $st"
st=0; "$TAPCTL" attach -p 1x -m 0 > /dev/null 2>&1 || st=$?; [ $st = 22 ] || fail "bad pid: exit $st"
st=0; "$TAPCTL" stats -p 999999 -m 0 2> "$WORK/err" || st=$?
[ $st != 0 ] && grep -q "no tapdisk with pid 999999" "$WORK/err" || fail "stats of no tapdisk: $st $(cat "$WORK/err")"
"$TAPCTL" open -h | grep -q "^usage: tap-ctl open" || fail "open -h"
"$TAPCTL" --control-dir "$WORK/elsewhere" list > /dev/null || fail "--control-dir"
"$TAPCTL" check > /dev/null || fail "check"

# ---- 4. list survives a tapdisk killed by SIGKILL ----
dev1=$(tc create -a "aio:$IMG") || fail "create 1"
dev2=$(tc create -a "aio:$IMG2") || fail "create 2"
find_device aio "$IMG"; pid1=$pid minor1=$minor
find_device aio "$IMG2"; pid2=$pid minor2=$minor
TD_PIDS="$TD_PIDS $pid1 $pid2"
[ "$pid1" != "$pid2" ] || fail "create reused a tapdisk"
kill -KILL "$pid1"
wait_gone "$pid1" "SIGKILL"
out=$(tc list) || fail "list failed after a tapdisk was killed"
echo "$out" | grep -q "^pid=$pid1 " && fail "list shows the killed tapdisk: $out"
echo "$out" | grep -q "^pid=$pid2 minor=$minor2 " || fail "list lost the live tapdisk: $out"
echo "$out" | grep -qx "minor=$minor1" || fail "list does not show the orphan minor $minor1: $out"
[ -e "$CTL_DIR/ctl$pid1" ] && fail "stale socket of the killed tapdisk not removed"
find_device aio "$IMG"
[ -z "$pid$minor" ] || fail "find_device found the killed tapdisk: $info"
tc list --json | python3 -m json.tool > /dev/null || fail "list --json after SIGKILL"
tc free -m "$minor1" || fail "free of the killed tapdisk's minor"
tc destroy -p "$pid2" -m "$minor2" || fail "destroy 2"
wait_gone "$pid2" "destroy 2"
[ -z "$(tc list)" ] || fail "list not empty at the end: $(tc list)"
[ -z "$(our_tapdisks)" ] || fail "tapdisk(s) left: $(our_tapdisks)"
sanitizer_reports
exit 0
