#!/bin/sh
# Data written through the ring is in the image file byte for byte, and
# reads return it: every ring order (1..16 pages), every ABI, direct and
# indirect requests, both I/O engines, every data-access mode (grant copy,
# map per request, persistent grants: the guest then keeps its pages
# granted and copies data in and out of them).  The zero-copy modes run
# fewer ring orders (the ring size does not change their data path), and
# must serve requests on mapped pages (counter zero_copy); map per request
# copies once too many pages are mapped in flight (counter map_capped).
# Copy mode runs without busy polling, the others with it.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

IMG=$WORK/disk.img
mkimg "$IMG" 32
SRC=$WORK/src.bin
OUT=$WORK/out.bin
n=0
for mode in copy map persistent; do
for eng in io_uring libaio; do
	# copy runs without busy polling (req_event armed after every batch),
	# the zero-copy modes with it (tapdisk's default)
	TD_EXTRA=; [ $mode = copy ] && TD_EXTRA="--poll-us 0"
	start_tapdisk "$eng" "$mode"
	TD_EXTRA=
	orders="0 1 2 3 4"; [ $mode = copy ] || orders="0 2 4"
	o=$(sf --open "raw:$IMG" info) || fail "info ($mode): $o"
	want=0; [ $mode = persistent ] && want=1
	[ "$(echo "$o" | kv persistent)" = $want ] || fail "$mode: persistent grants not $want: $o"
	for abi in native x86_32 x86_64; do
		for order in $orders; do
			for ind in "" --indirect; do
				n=$((n + 1))
				len=$(( (n % 7 + 1) * 69632 ))      # 68 KiB steps: not page multiples of requests
				off=$(( (n * 1234567) % (30 * 1048576) / 512 * 512 ))
				head -c $len /dev/urandom > "$SRC"
				o=$(sf --open "raw:$IMG" --abi $abi --order $order $ind write --offset $off --in "$SRC") ||
					fail "write mode=$mode eng=$eng abi=$abi order=$order $ind: $o"
				dd if="$IMG" of="$OUT" bs=512 skip=$((off / 512)) count=$((len / 512)) status=none
				cmp "$SRC" "$OUT" || fail "image differs after write mode=$mode eng=$eng abi=$abi order=$order $ind"
				rm -f "$OUT"
				o=$(sf --open "raw:$IMG" --abi $abi --order $order $ind read --offset $off --len $len --out "$OUT") ||
					fail "read mode=$mode eng=$eng abi=$abi order=$order $ind: $o"
				cmp "$SRC" "$OUT" || fail "read-back differs mode=$mode eng=$eng abi=$abi order=$order $ind"
			done
		done
	done
	o=$(sf --open "raw:$IMG" --order 2 --indirect verify --count 300 --seed $$) || fail "verify ($mode $eng): $o"
	[ "$(echo "$o" | kv verify)" = ok ] || fail "verify ($mode $eng) did not report ok: $o"
	note "$mode $eng: $(echo "$o" | tr '\n' ' ')"
	# the zero-copy modes do serve requests on mapped guest pages
	zc=$(echo "$o" | kv zero_copy)
	case $mode in
	copy) [ "$zc" = 0 ] || fail "copy mode reports zero_copy=$zc" ;;
	*) [ "${zc:-0}" -gt 0 ] || fail "$mode: no request on mapped pages (zero_copy=$zc)" ;;
	esac
	if [ $mode = map ]; then
		# 32 x 1 MiB in flight = 8192 pages, more than a ring may map at
		# once (2048): the rest is copied, and the data stay right
		o=$(sf --open "raw:$IMG" --order 2 --indirect load --rw randrw --bs 1M --qd 32 \
			--ios 400 --verify --seed $$) || fail "map: 1 MiB load at QD 32: $o"
		[ "$(echo "$o" | kv verify)" = ok ] || fail "map: 1 MiB load at QD 32: $o"
		[ "$(echo "$o" | kv map_capped)" -gt 0 ] ||
			fail "map: 8192 pages in flight were never capped: $o"
		note "map $eng, 1 MiB QD 32: $(echo "$o" | grep -E '^(ios|map_capped|zero_copy)=' | tr '\n' ' ')"
	fi
	stop_tapdisk "$TD_PID"
done
done
note "$n write/read combinations checked byte for byte"
exit 0
