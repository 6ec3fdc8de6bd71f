#!/bin/sh
# Every hostile-guest mode gets the documented answer, the hostile ring
# keeps serving (except after an impossible req_prod, which halts that ring
# only), and a well-behaved guest on another ring of the same tapdisk keeps
# being served, with its data verified, the whole time.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

IMG=$WORK/rw.img; RO=$WORK/ro.img; GOOD=$WORK/good.img
mkimg "$IMG" 8; mkimg "$RO" 8; mkimg "$GOOD" 16
md5_ro=$(md5sum < "$RO")
start_tapdisk

# The well-behaved guest: domain 2, its own VBD, verifying load meanwhile.
sf --domid 2 --minor 9 --open "raw:$GOOD" load --rw randrw --bs 4096 --qd 8 \
	--runtime 20 --verify > "$WORK/good.out" 2>&1 &
GOOD_PID=$!

rw_modes="nsegs0 nsegs12 nsegs255 first-gt-last last-sect8 past-end straddle-end
	sector-overflow bad-gref revoked-gref wrong-domain ro-grant-read unknown-op
	packet-op indirect-too-many indirect-bad-op indirect-bad-gref discard-secure
	discard-past-end cached-revoked"
ro_modes="write-readonly flush-readonly discard-readonly"
for m in $rw_modes; do
	o=$(sf --domid 1 --minor 1 --open "raw:$IMG" hostile "$m" 2>&1) || fail "mode $m: $o"
	note "$(echo "$o" | tr '\n' ' ')"
	alive "$TD_PID"
done
for m in $ro_modes; do
	o=$(sf --domid 1 --minor 2 --open "raw:$RO" --readonly hostile "$m" 2>&1) || fail "mode $m: $o"
	note "$(echo "$o" | tr '\n' ' ')"
	alive "$TD_PID"
done
md5_ro_after=$(md5sum < "$RO"); [ "$md5_ro_after" = "$md5_ro" ] || fail "read-only image changed"

# An impossible producer index halts that ring only.
o=$(sf --domid 3 --minor 3 --open "raw:$IMG" hostile bad-prod 2>&1) || fail "bad-prod: $o"
[ "$(echo "$o" | kv halted)" = yes ] || fail "bad-prod: ring not halted: $o"
note "$(echo "$o" | tr '\n' ' ')"
alive "$TD_PID"
# ...and a new ring on the same VBD works again (reconnect recovers it).
o=$(sf --domid 3 --minor 3 --open "raw:$IMG" verify --count 20) || fail "after bad-prod: $o"

wait "$GOOD_PID" || { cat "$WORK/good.out"; fail "the well-behaved guest failed meanwhile"; }
errs=$(kv errors < "$WORK/good.out")
[ "$errs" = 0 ] || { cat "$WORK/good.out"; fail "well-behaved guest saw $errs errors"; }
grep -q '^verify=ok' "$WORK/good.out" || { cat "$WORK/good.out"; fail "well-behaved guest data not verified"; }
note "good guest: $(tr '\n' ' ' < "$WORK/good.out")"
alive "$TD_PID"
stop_tapdisk "$TD_PID"

# The zero-copy modes: a bad grant fails the mapping, the request falls
# back to grant copy, which reports the guest's error: that request only.
# With persistent grants the hostile ring is itself persistent (simfront
# follows feature-persistent), so bad references meet the grant cache;
# then the same ring still moves verified data.
grant_modes="bad-gref revoked-gref wrong-domain ro-grant-read indirect-bad-gref
	cached-revoked"
for mode in map persistent; do
	start_tapdisk auto "$mode"
	for m in $grant_modes; do
		o=$(sf --domid 1 --minor 1 --open "raw:$IMG" hostile "$m" 2>&1) ||
			fail "$mode: mode $m: $o"
		alive "$TD_PID"
	done
	o=$(sf --domid 1 --minor 1 --open "raw:$IMG" --indirect verify --count 100) ||
		fail "$mode: verify after hostile grants: $o"
	# More pages in flight (32 x 1 MiB) than the grant cache holds (4096):
	# eviction, a full cache (bounce fallback), data still right.
	o=$(sf --domid 1 --minor 1 --open "raw:$IMG" --indirect load --rw randrw \
		--bs 1048576 --qd 32 --ios 200 --verify) || fail "$mode: churn: $o"
	[ "$(echo "$o" | kv verify)" = ok ] && [ "$(echo "$o" | kv errors)" = 0 ] ||
		fail "$mode: churn load: $o"
	o=$(sf --domid 1 --minor 1 --open "raw:$IMG" info) || fail "$mode: info: $o"
	[ $mode = map ] || [ "$(echo "$o" | kv persistent)" = 1 ] || fail "ring not persistent: $o"
	note "$mode: grant hostile modes answered, data verified after"
	stop_tapdisk "$TD_PID"
done
exit 0
