#!/bin/sh
# FLUSH reaches fdatasync in the engine (the VBD's flush_done counter counts
# fdatasync completions reported by io_uring / libaio), a barrier with data
# lands in the image, and DISCARD punches holes (st_blocks drops).
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

IMG=$WORK/disk.img
mkimg "$IMG" 16
for eng in io_uring libaio; do
	start_tapdisk "$eng"
	o=$(sf --open "raw:$IMG" flush) || fail "flush ($eng): $o"
	[ "$(echo "$o" | kv status)" = okay ] || fail "flush ($eng) status: $o"
	[ "$(echo "$o" | kv flush_done)" -ge 1 ] 2>/dev/null || fail "flush ($eng) did not reach fdatasync: $o"

	head -c 8192 /dev/urandom > "$WORK/b.bin"
	o=$(sf --open "raw:$IMG" barrier --data --offset 4096 --in "$WORK/b.bin") || fail "barrier ($eng): $o"
	[ "$(echo "$o" | kv status)" = okay ] || fail "barrier ($eng) status: $o"
	[ "$(echo "$o" | kv flush_done)" -ge 1 ] 2>/dev/null || fail "barrier ($eng) did not flush: $o"
	dd if="$IMG" bs=4096 skip=1 count=2 status=none | cmp - "$WORK/b.bin" || fail "barrier data not in image ($eng)"

	before=$(stat -c %b "$IMG")
	o=$(sf --open "raw:$IMG" discard --offset 1048576 --len 4194304) || fail "discard ($eng): $o"
	[ "$(echo "$o" | kv status)" = okay ] || fail "discard ($eng) status: $o"
	after=$(stat -c %b "$IMG")
	note "$eng: blocks before=$before after=$after"
	[ "$after" -lt "$before" ] || fail "discard did not punch a hole ($eng): $before -> $after blocks"
	[ "$(dd if="$IMG" bs=1M skip=1 count=4 status=none | tr -d '\0' | wc -c)" -eq 0 ] ||
		fail "discarded range does not read back as zeros ($eng)"
	mkimg "$IMG" 16
	stop_tapdisk "$TD_PID"
done
exit 0
