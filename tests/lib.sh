# SPDX-License-Identifier: LGPL-2.1-or-later
# Shell helpers for integration tests (sourced). Exit codes: 0 pass,
# 1 fail, 77 skip (with a reason), 99 hard error.
set -u
: "${top_builddir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
TAPDISK=$top_builddir/tapdisk/tapdisk
SIMFRONT=$top_builddir/tests/simfront
TEST_NAME=$(basename "$0" .sh)
TD_PIDS=""

fail() { echo "FAIL: $TEST_NAME: $*" >&2; exit 1; }
skip() { echo "SKIP: $TEST_NAME: $*" >&2; exit 77; }
note() { echo "# $*"; }
requires() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs '$c' (not installed)"
	done
}

cleanup() {
	for p in $TD_PIDS; do kill -KILL "$p" 2>/dev/null; done
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
	[ -n "${XENTAP_SIM_DIR:-}" ] && rm -rf "$XENTAP_SIM_DIR"
}
trap cleanup EXIT
trap 'exit 99' INT TERM

# Work area: images on the root file system (O_DIRECT works there), the
# simulator's guest memory and the control sockets in tmpfs.
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/xentap-$TEST_NAME.XXXXXX")
XENTAP_SIM_DIR=$(mktemp -d /dev/shm/xentap-sim-$TEST_NAME.XXXXXX)
CTL_DIR=$WORK/ctl
TAPCTL_CONTROL_DIR=$CTL_DIR
# tapdisk's xentop statistics files go to the work area, not /dev/shm
XENTAP_STATS_DIR=$WORK/shm
export XENTAP_SIM_DIR TAPCTL_CONTROL_DIR XENTAP_STATS_DIR
mkdir -p "$CTL_DIR" "$XENTAP_STATS_DIR"

# start_tapdisk [engine]: sets TD_PID; its log is $WORK/tapdisk-<pid>.log
start_tapdisk() {
	eng=${1:-auto}
	grant=${2:-${XENTAP_GRANT:-copy}}
	# shellcheck disable=SC2086 # TD_EXTRA: extra options, split on purpose
	"$TAPDISK" -F -c "$CTL_DIR" -x "sim:$XENTAP_SIM_DIR" -e "$eng" -g "$grant" ${TD_EXTRA:-} \
		2>>"$WORK/tapdisk.log.tmp" &
	TD_PID=$!
	TD_PIDS="$TD_PIDS $TD_PID"
	i=0
	while [ ! -S "$CTL_DIR/ctl$TD_PID" ]; do
		kill -0 "$TD_PID" 2>/dev/null || { cat "$WORK/tapdisk.log.tmp" >&2; fail "tapdisk did not start"; }
		i=$((i + 1)); [ $i -gt 200 ] && fail "tapdisk socket did not appear"
		sleep 0.05
	done
}

# stop_tapdisk PID: SIGTERM, must exit 0 within 20 s (sanitizer reports
# and leaks make it exit non-zero).
stop_tapdisk() {
	kill -TERM "$1" 2>/dev/null || fail "tapdisk $1 is not running"
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 400 ] && fail "tapdisk $1 did not exit on SIGTERM"
		sleep 0.05
	done
	wait "$1"; st=$?
	[ $st -eq 0 ] || { cat "$WORK/tapdisk.log.tmp" >&2; fail "tapdisk $1 exited with status $st"; }
	[ -e "$CTL_DIR/ctl$1" ] && fail "tapdisk $1 left its socket behind"
	return 0
}

alive() { kill -0 "$1" 2>/dev/null || { cat "$WORK/tapdisk.log.tmp" >&2; fail "tapdisk $1 died"; }; }

# sf ARGS...: run the simulated guest against $TD_PID with a timeout
sf() { timeout 120 "$SIMFRONT" --pid "$TD_PID" --ctl-dir "$CTL_DIR" --sim-dir "$XENTAP_SIM_DIR" "$@"; }

# kv KEY < output: value of key=value
kv() { sed -n "s/^$1=//p" | head -1; }

# mkimg FILE MiB: a sparse-free image filled with random bytes
mkimg() { head -c $(($2 * 1048576)) /dev/urandom > "$1"; }

# sanitizer_logs: for tests whose tapdisks are daemons (spawned by tap-ctl),
# which write to /dev/null: in a sanitizer build their reports go to
# $WORK/san.*, and sanitizer_reports at the end of the test fails on any.
sanitizer_logs() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$WORK/san"
	UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$WORK/san"
	export ASAN_OPTIONS UBSAN_OPTIONS
}
sanitizer_reports() {
	set -- "$WORK"/san.*
	[ -e "$1" ] || return 0
	cat "$@" >&2
	fail "sanitizer reports: $*"
}
