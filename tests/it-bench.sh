#!/bin/sh
# The benchmark suite's machinery (tests/bench/run-bench.py), in a tiny
# run: two workloads, two data-access modes, one short run each, a 16 MiB
# tmpfs image. Not a performance check (nothing here is timed): it checks
# that every row ran, moved data through tapdisk and through fio, carries
# every field the issue asks for with sane values, that its ratio is what
# the two sides measured, that tapdisk reported the mode it was asked for,
# and that the table and the summary were written.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
requires fio
requires taskset
requires python3

srcdir=${top_srcdir:-$(dirname "$0")/..}
builddir=$(cd "$(dirname "$TAPDISK")/.." && pwd)
OUT=$WORK/bench.json
mkdir -p "$WORK/root" "$WORK/shm"
placements=same
[ "$(nproc)" -ge 2 ] && placements=same,other
timeout 300 python3 "$srcdir/tests/bench/run-bench.py" \
	--builddir "$builddir" --srcdir "$srcdir" \
	--filter '^(randread-4k-qd32|read-1m-qd8)$' --images tmpfs \
	--engines io_uring --placements "$placements" --runs 1 --runtime 0.4 \
	--size-mb 16 --modes 'copy:--grant copy;pers:--grant persistent' \
	--root-dir "$WORK/root" --shm-dir "$WORK/shm" --out "$OUT" \
	> "$WORK/bench.out" 2>&1 || fail "run-bench.py failed: $(tail -20 "$WORK/bench.out")"

python3 - "$OUT" "$placements" <<'EOF' || fail "bench-results.json: see above"
import json, sys
rows = json.load(open(sys.argv[1]))
want = len(sys.argv[2].split(",")) * 2 * 2
bad = []
def need(cond, what):
    if not cond:
        bad.append(what)
need(len(rows) == want, "%d rows, want %d" % (len(rows), want))
for r in rows:
    rid = "%s/%s/%s" % (r.get("name"), r.get("guest_cpu_placement"), r.get("data_mode"))
    for k in ("name", "engine", "iops", "mbps", "p50_us", "p99_us", "cpu_us_per_io",
              "baseline_iops", "baseline_mbps", "ratio"):
        need(k in r and r[k] is not None, rid + ": no " + k)
    if bad:
        continue
    need(r["runs_ok"] == 1, rid + ": runs_ok %r" % r["runs_ok"])
    need(r["iops"] > 0 and r["baseline_iops"] > 0, rid + ": no I/O")
    need(0 < r["p50_us"] <= r["p99_us"], rid + ": p50 %r p99 %r" % (r["p50_us"], r["p99_us"]))
    need(r["cpu_us_per_io"] > 0 and r["baseline_cpu_us_per_io"] > 0, rid + ": cpu per I/O")
    bs = r["bs"]
    need(abs(r["mbps"] - r["iops"] * bs / 1e6) <= 0.02 * r["mbps"] + 0.1,
         rid + ": mbps %r is not iops x bs" % r["mbps"])
    base, got = (r["baseline_iops"], r["iops"]) if r["ratio_kind"] == "iops" else \
                (r["baseline_mbps"], r["mbps"])
    need(abs(r["ratio"] - got / base) < 1e-6 * max(1, r["ratio"]),
         rid + ": ratio %r is not %r / %r" % (r["ratio"], got, base))
    mode = {"copy": "copy", "pers": "persistent"}[r["data_mode"]]
    need(r.get("data_mode_reported") == mode,
         rid + ": tapdisk reported mode %r" % r.get("data_mode_reported"))
    need(r["engine_actual"] == "io_uring", rid + ": engine %r" % r["engine_actual"])
    need(set(r["targets"]) >= {"tput", "cpu"}, rid + ": targets %r" % r["targets"])
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
for f in "${OUT%.json}.txt" "${OUT%.json}-meta.json"; do
	[ -s "$f" ] || fail "$f was not written"
done
grep -q '^targets: [0-9]* PASS, [0-9]* MISS' "${OUT%.json}.txt" || fail "no targets line in the table"
grep -q '^  mode pers ' "${OUT%.json}.txt" || fail "no per-mode summary in the table"
note "$(grep '^targets:' "${OUT%.json}.txt")"
exit 0
