#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# run-all.sh: run the real-Xen tests (tests/xen/t-*.sh), one boot of Xen +
# dom0 under QEMU each (xen-harness.sh), and print a closing line
#   N passed, N failed, N skipped
# `make check-xen` runs it with the build directory.
#
# Usage: run-all.sh [-B BUILDDIR] [TEST...]
#   BUILDDIR  default $XENTAP_BUILDDIR, else the current directory
#   TEST      names or paths of tests (default: every t-*.sh here), e.g. t-10-attach
# A test whose `requires` names a program this build lacks (tap-ctl,
# tapback) is skipped without booting. Logs: BUILDDIR/tests/xen/logs/SUITE/.
# Environment: as xen-harness.sh (XENTAP_XEN_SUITE=trixie, XENTAP_XEN_CACHE,
# XENTAP_DOM0_ARGS, ...). Exit status 0 when nothing failed.
set -u
# The body is one block: bash parses it whole before running, so editing
# this file while it runs cannot break a run.
{
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
B=${XENTAP_BUILDDIR:-$PWD}
if [ "${1:-}" = -B ]; then B=$2; shift 2; fi
B=$(cd "$B" && pwd) || exit 2
[ -x "$B/tapdisk/tapdisk" ] || { echo "run-all: $B/tapdisk/tapdisk not built" >&2; exit 2; }
LOGS=$B/tests/xen/logs/${XENTAP_XEN_SUITE:-bookworm}
mkdir -p "$LOGS"
# One run per build directory at a time (they would share the logs and
# halve each other's CPU: TCG timings are tight enough)
exec 8>"$LOGS/.lock"
flock -n 8 || { echo "run-all: another run uses $LOGS; waiting for it" >&2; flock 8; }
if [ $# -eq 0 ]; then set -- "$HERE"/t-*.sh; fi
has() {  # has PROGRAM: built (ours) or assumed present in dom0
    case $1 in
        tapdisk) [ -x "$B/tapdisk/tapdisk" ] ;;
        tap-ctl|tapback) [ -n "$(find "$B" -maxdepth 3 -name "$1" -type f -perm -u+x 2>/dev/null | head -1)" ] ;;
        *) return 0 ;;
    esac
}
pass=0 failed=0 skipped=0 FAILS=
T0=$(date +%s)
echo "real-Xen tests: suite ${XENTAP_XEN_SUITE:-bookworm}, build $B, logs $LOGS"
for t in "$@"; do
    case $t in */*) ;; *) t=$HERE/${t%.sh}.sh ;; esac
    n=$(basename "$t" .sh)
    [ -f "$t" ] || { echo "FAIL: $n (no such test)"; failed=$((failed + 1)); continue; }
    missing=
    for p in $(sed -n 's/^requires //p' "$t"); do has "$p" || missing="$missing $p"; done
    if [ -n "$missing" ]; then
        echo "SKIP: $n (not built:$missing)"; skipped=$((skipped + 1)); continue
    fi
    # "# xentap-suites: trixie ...": the test needs one of those suites (the
    # test checks the Xen version itself too; this saves a boot)
    suites=$(sed -n 's/^# xentap-suites: *//p' "$t" | head -1)
    if [ -n "$suites" ] && ! echo " $suites " | grep -q " ${XENTAP_XEN_SUITE:-bookworm} "; then
        echo "SKIP: $n (needs the suite(s) $suites: XENTAP_XEN_SUITE=${suites%% *})"
        skipped=$((skipped + 1)); continue
    fi
    s=$(date +%s)
    "$HERE/xen-harness.sh" -B "$B" -q -t "$t" -o "$LOGS/$n.serial" > "$LOGS/$n.harness" 2>&1
    rc=$?
    d=$(( $(date +%s) - s ))
    # the test's own output: dom0's console after "dom0 ready", without Xen's lines
    sed -n '/XENTAP: dom0 ready/,$p' "$LOGS/$n.serial" | grep -av '^(XEN)' | tr -d '\r' > "$LOGS/$n.log"
    case $rc in
        0)  echo "PASS: $n (${d}s)"; pass=$((pass + 1)) ;;
        77) echo "SKIP: $n (${d}s): $(grep -a '^SKIP:' "$LOGS/$n.log" | head -1)"; skipped=$((skipped + 1)) ;;
        *)  what=$rc; [ $rc = 124 ] && what="timeout"; [ $rc = 125 ] && what="crash, no exit marker"
            echo "FAIL: $n (${d}s, status $what)"; failed=$((failed + 1)); FAILS="$FAILS $n"
            echo "---- $n: harness"; sed 's/^/  /' "$LOGS/$n.harness" | tail -8
            echo "---- $n: dom0 output (tail; whole serial log $LOGS/$n.serial)"
            if [ -s "$LOGS/$n.log" ]; then tail -150 "$LOGS/$n.log" | sed 's/^/  /'; else tail -60 "$LOGS/$n.serial" | sed 's/^/  /'; fi
            echo "---- end of $n" ;;
    esac
    grep -a 'BLKFRONT: ' "$LOGS/$n.log" 2>/dev/null | sed 's/^ *BLKFRONT: \[ *[0-9.]*\] /    blkfront: /' | sort -u
    grep -a 'BENCH: ' "$LOGS/$n.log" 2>/dev/null | sed 's/^ *BENCH: /    /'
done
echo "real-Xen tests took $(( $(date +%s) - T0 ))s${FAILS:+; failed:$FAILS}"
echo "$pass passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
}; exit
