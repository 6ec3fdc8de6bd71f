#!/bin/sh
# xentop's statistics file: <XENTAP_STATS_DIR>/td3-<pid>/vbd-<domid>-<devid>
# is created when a ring connects, holds struct vbd3_stats version 1 (the
# 96 bytes libxenstat's read_attributes_vbd3 reads), follows the I/O of a
# simulated guest (monotonic while it runs, exactly the VBD's counters once
# a pause has drained the ring), one file per device, and is removed on
# disconnect and when tapdisk exits; what killed tapdisks left is removed.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
requires python3

TAPCTL=$top_builddir/control/tap-ctl
[ -x "$TAPCTL" ] || skip "tap-ctl is not built"
tc() { timeout 60 "$TAPCTL" "$@"; }

XENTAP_STATS_DIR=$WORK/shm
export XENTAP_STATS_DIR
mkdir -p "$XENTAP_STATS_DIR"

# The reader: what libxenstat does (fread of the struct, version 1), as
# key=value lines; with a second file, checks that nothing went backwards.
cat > "$WORK/stats.py" <<'EOF'
import struct, sys
NAMES = ("version pad oo_reqs read_reqs_submitted read_reqs_completed "
         "read_sectors read_total_ticks write_reqs_submitted "
         "write_reqs_completed write_sectors write_total_ticks io_errors "
         "flags").split()
def load(path):
    data = open(path, "rb").read()
    if len(data) != 96:
        sys.exit("size %d, want 96" % len(data))
    return dict(zip(NAMES, struct.unpack("=II11Q", data)))
s = load(sys.argv[1])
if s["version"] != 1:
    sys.exit("version %d" % s["version"])
for kind in ("read", "write"):
    sub, done = s[kind + "_reqs_submitted"], s[kind + "_reqs_completed"]
    if done > sub:
        sys.exit("%s: completed %d > submitted %d" % (kind, done, sub))
if len(sys.argv) > 2:
    old = load(sys.argv[2])
    for k in NAMES:
        if s[k] < old[k]:
            sys.exit("%s went backwards: %d -> %d" % (k, old[k], s[k]))
for k in NAMES:
    print("%s=%d" % (k, s[k]))
EOF
stats() { python3 "$WORK/stats.py" "$@"; }
wait_file() {
	i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "$1 did not appear"
		sleep 0.05
	done
}

IMG=$WORK/disk.img
IMG2=$WORK/disk2.img
mkimg "$IMG" 16
mkimg "$IMG2" 8
start_tapdisk
DIR=$XENTAP_STATS_DIR/td3-$TD_PID
F=$DIR/vbd-7-51728
F2=$DIR/vbd-8-51744
tc open -p "$TD_PID" -m 1 -a "aio:$IMG" || fail "open failed"
tc open -p "$TD_PID" -m 2 -a "aio:$IMG2" || fail "open failed"
[ -e "$DIR" ] && fail "$DIR exists before any ring connected"
# what a tapdisk killed by SIGKILL leaves, and a live process's directory
sh -c 'exit 0' & dead=$!
wait $dead
mkdir -p "$XENTAP_STATS_DIR/td3-$dead" "$XENTAP_STATS_DIR/td3-$$"
: > "$XENTAP_STATS_DIR/td3-$dead/vbd-3-768"
: > "$XENTAP_STATS_DIR/td3-$$/vbd-3-768"

# ---- two devices under load ----
# (long enough to still run when the checks below read the files, on a
# busy machine too: a load that ends removes its file)
sf --minor 1 --domid 7 --devid 51728 load --rw randrw --bs 4096 --qd 8 \
	--runtime 10 --verify > "$WORK/load1.out" 2>&1 &
l1=$!
sf --minor 2 --domid 8 --devid 51744 load --rw randread --bs 16384 --qd 4 \
	--runtime 10 > "$WORK/load2.out" 2>&1 &
l2=$!
wait_file "$F"
wait_file "$F2"
[ "$(stat -c %a "$DIR")" = 755 ] || fail "$DIR mode $(stat -c %a "$DIR")"
[ "$(stat -c %a "$F")" = 644 ] || fail "$F mode $(stat -c %a "$F")"
[ -e "$XENTAP_STATS_DIR/td3-$dead" ] && fail "the dead process's td3-$dead was not removed"
[ -e "$XENTAP_STATS_DIR/td3-$$/vbd-3-768" ] || fail "a live process's stats file was removed"
sleep 0.5
stats "$F" > "$WORK/s1" || fail "bad stats file: $(cat "$WORK/s1")"
cp "$F" "$WORK/f1"
sleep 0.5
stats "$F" "$WORK/f1" > "$WORK/s2" || fail "stats file: $(cat "$WORK/s2")"
for k in read_reqs_submitted write_reqs_submitted read_sectors write_sectors; do
	[ "$(kv $k < "$WORK/s2")" -gt "$(kv $k < "$WORK/s1")" ] ||
		fail "$k did not grow under load: $(kv $k < "$WORK/s1") -> $(kv $k < "$WORK/s2")"
done
o=$(stats "$F2") || fail "second device's file: $o; load 2: $(cat "$WORK/load2.out")"
[ "$(echo "$o" | kv read_reqs_submitted)" -gt 0 ] || fail "second device shows no reads: $o"
[ "$(echo "$o" | kv write_reqs_submitted)" = 0 ] || fail "second device shows writes: $o"

# ---- a pause drains the ring: the file is then exact ----
tc pause -p "$TD_PID" -m 1 || fail "pause failed"
sleep 0.3	# the file is rewritten at the end of the loop iteration
stats "$F" "$WORK/f1" > "$WORK/s3" || fail "stats file: $(cat "$WORK/s3")"
st=$(tc stats -p "$TD_PID" -m 1) || fail "tap-ctl stats failed"
tc unpause -p "$TD_PID" -m 1 || fail "unpause failed"
eq() { [ "$(kv "$1" < "$WORK/s3")" = "$2" ] || fail "$1 is $(kv "$1" < "$WORK/s3"), want $2 ($3)"; }
rr=$(echo "$st" | kv req_read)
wr=$(echo "$st" | kv req_write)
eq read_reqs_submitted "$rr" "tap-ctl req_read"
eq read_reqs_completed "$rr" "all done after the pause"
eq read_sectors "$(echo "$st" | kv sect_read)" "tap-ctl sect_read"
eq write_reqs_submitted "$wr" "tap-ctl req_write"
eq write_reqs_completed "$wr" "all done after the pause"
eq write_sectors "$(echo "$st" | kv sect_write)" "tap-ctl sect_write"
eq read_sectors $((rr * 8)) "4 KiB reads"
eq write_sectors $((wr * 8)) "4 KiB writes"
eq io_errors 0 "no errors"
eq oo_reqs 0 "never short of requests"
note "paused: $rr reads, $wr writes, as tap-ctl stats says"

wait $l1 || fail "load 1: $(cat "$WORK/load1.out")"
wait $l2 || fail "load 2: $(cat "$WORK/load2.out")"
[ "$(kv verify < "$WORK/load1.out")" = ok ] || fail "load 1: $(cat "$WORK/load1.out")"
[ -e "$F" ] && fail "$F left after the ring disconnected"
[ -e "$F2" ] && fail "$F2 left after the ring disconnected"
[ -e "$DIR" ] && fail "$DIR left after the last ring disconnected"
st=$(tc stats -p "$TD_PID" -m 1)
ios=$(kv ios < "$WORK/load1.out")
[ $(($(echo "$st" | kv req_read) + $(echo "$st" | kv req_write))) = "$ios" ] ||
	fail "VBD counted $(echo "$st" | kv req_read)+$(echo "$st" | kv req_write) requests, the guest $ios"

# ---- the file goes when tapdisk exits with the ring connected ----
sf --minor 1 --domid 7 --devid 51728 load --rw randread --bs 4096 --qd 4 \
	--runtime 10 > /dev/null 2>&1 &
l1=$!
wait_file "$F"
stop_tapdisk "$TD_PID"
kill $l1 2>/dev/null
wait $l1 2>/dev/null
[ -e "$DIR" ] && fail "$DIR left after tapdisk exited"
exit 0
