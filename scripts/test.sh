#!/bin/sh
# The full test suite: set-up, `make check` (unit and integration tests on
# the simulated hypervisor), the same suite built with AddressSanitizer +
# UndefinedBehaviorSanitizer, each libFuzzer target for FUZZ_SECONDS, a
# short soak (SOAK_SECONDS),
# `make distcheck`, and the real-Xen tests. Prints one closing line
# "N passed, N failed, N skipped".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh" || exit 1

pass=0 fail=0 skip=0 rc=0
count() {  # count LOGDIR: add the results of one `make check`
	for t in $(find "$1" -name '*.trs'); do
		case $(sed -n 's/^:test-result: //p' "$t") in
		PASS) pass=$((pass + 1)) ;;
		SKIP) skip=$((skip + 1)) ;;
		*) fail=$((fail + 1)) ;;
		esac
	done
}
show_failures() {
	for t in $(find "$1" -name '*.trs'); do
		if ! grep -q '^:test-result: \(PASS\|SKIP\)' "$t"; then
			echo "---- ${t%.trs}.log"; tail -40 "${t%.trs}.log"
		fi
	done
}

echo "== make check (tests/)"
cd "$top/_build"
make -j2 check >check.out 2>&1 || { rc=1; tail -30 check.out; show_failures tests; }
grep -E '^(PASS|FAIL|SKIP|XFAIL|ERROR):' check.out || true
count tests

echo "== make check with ASAN+UBSAN (_build-asan/)"
mkdir -p "$top/_build-asan"
cd "$top/_build-asan"
if [ ! -f Makefile ]; then
	../configure --enable-werror --enable-sanitizers CC=gcc >/dev/null || rc=1
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if make -s -j2 >/dev/null 2>build.err; then
	make -j2 check >check.out 2>&1 || { rc=1; tail -30 check.out; show_failures tests; }
	grep -E '^(PASS|FAIL|SKIP|XFAIL|ERROR):' check.out | sed 's/^/asan /' || true
	count tests
else
	rc=1; fail=$((fail + 1)); cat build.err
fi
unset ASAN_OPTIONS UBSAN_OPTIONS

echo "== fuzzing: each libFuzzer target for ${FUZZ_SECONDS:=30} s (_build-fuzz/)"
mkdir -p "$top/_build-fuzz"
cd "$top/_build-fuzz"
if [ ! -f Makefile ]; then
	../configure --enable-fuzzing CC=clang >/dev/null || rc=1
fi
if make -s -j2 >/dev/null 2>build.err &&
   make -s -C tests fuzz FUZZ_SECONDS="$FUZZ_SECONDS" >fuzz.out 2>&1; then
	pass=$((pass + 1)); echo "PASS: fuzz"; grep "executions in" fuzz.out | sort -u || true
else
	rc=1; fail=$((fail + 1)); echo "FAIL: fuzz"; cat build.err; tail -40 fuzz.out
fi

echo "== valgrind (unit tests)"
cd "$top/_build"
if make -s valgrind >valgrind.out 2>&1; then
	pass=$((pass + 1)); echo "PASS: valgrind"
else
	rc=1; fail=$((fail + 1)); echo "FAIL: valgrind"; tail -30 valgrind.out
fi

echo "== soak: ${SOAK_SECONDS:=60} s of mixed load, pause, media changes and control traffic"
cd "$top/_build"
if make -s soak SOAK_SECONDS="$SOAK_SECONDS" >soak.out 2>&1; then
	pass=$((pass + 1)); echo "PASS: soak"; grep '^#' soak.out || true
else
	rc=1; fail=$((fail + 1)); echo "FAIL: soak"; tail -30 soak.out
fi

echo "== make distcheck"
cd "$top/_build"
if make -s distcheck >distcheck.out 2>&1; then
	pass=$((pass + 1)); echo "PASS: distcheck"
else
	rc=1; fail=$((fail + 1)); echo "FAIL: distcheck"; tail -40 distcheck.out
fi

echo "== real Xen under QEMU: make check-xen (tests/xen/, Debian 12's Xen 4.17)"
cd "$top/_build"
if make -s check-xen >xen.out 2>&1; then
	pass=$((pass + 1)); echo "PASS: check-xen"
else
	rc=1; fail=$((fail + 1)); echo "FAIL: check-xen"; tail -60 xen.out
fi
grep -E '^(PASS|FAIL|SKIP): t-|real-Xen tests took' xen.out || true

echo "== stock toolstack: xl block-attach backendtype=tap on Debian 13's Xen 4.20"
if XENTAP_XEN_SUITE=trixie make -s check-xen \
	XEN_TESTS="t-80-xl-attach t-81-xl-shared t-82-xl-cdrom t-83-xl-failures" \
	>xen-trixie.out 2>&1; then
	pass=$((pass + 1)); echo "PASS: check-xen (trixie)"
else
	rc=1; fail=$((fail + 1)); echo "FAIL: check-xen (trixie)"; tail -60 xen-trixie.out
fi
grep -E '^(PASS|FAIL|SKIP): t-|real-Xen tests took' xen-trixie.out || true

echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] || rc=1
exit $rc
