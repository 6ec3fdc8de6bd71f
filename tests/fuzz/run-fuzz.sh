#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make fuzz: run each libFuzzer target for FUZZ_SECONDS (default 60) from
# a working copy of its seed corpus, and fail on any crash, leak, timeout
# or sanitizer report. Prints the executions of each target.
#
#   run-fuzz.sh BUILDDIR SRCDIR SECONDS TARGET...    (TARGET: blkif-req, ...)
#
# Work files: BUILDDIR/fuzz-work/<target>/{corpus,artifacts,log}. A crash
# leaves its input in artifacts/: minimise it (./fuzz-<t> -minimize_crash=1
# -runs=10000 FILE), fix the bug and keep the input as
# tests/fuzz/regress/<target>/<what-it-found> so `make check` replays it.
set -u
builddir=$1 srcdir=$2 secs=$3
shift 3
fails=0
summary=""
for t in "$@"; do
	w=$builddir/fuzz-work/$t
	mkdir -p "$w/corpus" "$w/artifacts"
	[ -d "$srcdir/fuzz/corpus/$t" ] && cp -n "$srcdir/fuzz/corpus/$t"/* "$w/corpus/" 2>/dev/null
	echo "fuzz-$t: ${secs}s ..."
	"$builddir/fuzz-$t" -max_total_time="$secs" -print_final_stats=1 \
		-timeout=10 -rss_limit_mb=4096 -max_len=65536 \
		-artifact_prefix="$w/artifacts/" "$w/corpus" >"$w/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$w/log" | tail -1)
	ncorp=$(ls "$w/corpus" | wc -l)
	status=ok
	if [ $rc -ne 0 ] || grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|==ERROR: libFuzzer' "$w/log"; then
		status="FAILED (exit $rc; see $w/log and $w/artifacts/)"
		fails=$((fails + 1))
		tail -40 "$w/log" >&2
	fi
	line="fuzz-$t: ${execs:-0} executions in ${secs}s (${rate:-0}/s), corpus $ncorp, $status"
	echo "$line"
	summary="$summary$line
"
done
rm -rf /dev/shm/xentap-fuzz-ring.* 2>/dev/null
printf '\n%s' "$summary"
[ $fails -eq 0 ]
