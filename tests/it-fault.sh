#!/bin/sh
# Injected faults (drivers/drv-fault.c) through the real tapdisk, on both
# I/O engines: an I/O error reaches the guest as BLKIF_RSP_ERROR for that
# request only, while the other requests of the ring and another guest
# keep working; the errors the guests count match what was injected;
# ENOSPC fails writes until "space returns", then writes succeed; short
# transfers are finished by the raw driver; a delayed request does not
# hold up another guest; nothing is acknowledged that was not done (load
# --verify checks only acknowledged writes, even when a failed write did
# reach the disk); crash_after_writes kills tapdisk with SIGKILL.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
requires python3

TAPCTL=$top_builddir/control/tap-ctl
IMG=$WORK/a.img
IMG2=$WORK/b.img
ORIG=$WORK/orig.img
SRC=$WORK/src.bin
OUT=$WORK/out.bin
mkimg "$IMG" 16
mkimg "$IMG2" 16

tc() { timeout 30 "$TAPCTL" "$@"; }
vopen() { tc open -p "$TD_PID" -m "$1" -a "$2" || fail "open $2 on minor $1"; }
vclose() { tc close -p "$TD_PID" -m "$1" || fail "close minor $1"; }
err_io() { tc stats -p "$TD_PID" -m "$1" | kv err_io; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# expect KEY VALUE "output": the key=value line is there
expect() { [ "$(echo "$3" | kv "$1")" = "$2" ] || fail "$1 is not $2 in: $(echo "$3" | tr '\n' ' ')"; }

# sectors FILE_NEW FILE_OLD FILE_IMG FIRST_SECTOR: classify each 512-byte
# sector of the image range as new data, old data or neither; prints
# "new=N old=M other=K oldlist=a-b"
sectors() {
	python3 - "$@" <<'EOF'
import sys
new, old, img = (open(p, "rb").read() for p in sys.argv[1:4])
first = int(sys.argv[4])
n = o = x = 0
olds = []
for i in range(len(new) // 512):
    s = img[i * 512:(i + 1) * 512]
    if s == new[i * 512:(i + 1) * 512]:
        n += 1
    elif s == old[i * 512:(i + 1) * 512]:
        o += 1
        olds.append(first + i)
    else:
        x += 1
span = f"{olds[0]}-{olds[-1]}" if olds else "none"
print(f"new={n} old={o} other={x} oldlist={span} contiguous={int(not olds or olds[-1] - olds[0] + 1 == len(olds))}")
EOF
}

for eng in io_uring libaio; do
	start_tapdisk "$eng"
	vopen 2 "raw:$IMG2"	# the other guest's disk

	# ---- one failing request in a multi-request write ----
	vopen 1 "fault:op=write,sector=2048-2055,error=eio:raw:$IMG"
	cp "$IMG" "$ORIG"
	off=$((2048 * 512 - 65536))
	head -c 131072 /dev/urandom > "$SRC"
	o=$(sf --minor 1 write --offset $off --in "$SRC") && fail "write over the faulty sectors succeeded"
	expect status error "$o"
	dd if="$IMG" of="$OUT" bs=512 skip=$((off / 512)) count=256 status=none
	dd if="$ORIG" of="$WORK/old.bin" bs=512 skip=$((off / 512)) count=256 status=none
	r=$(sectors "$SRC" "$WORK/old.bin" "$OUT" $((off / 512)))
	note "$eng: failed write: $r"
	case $r in *other=0*contiguous=1) ;; *) fail "sectors of the failed write: $r" ;; esac
	nold=$(echo "$r" | sed 's/.*old=\([0-9]*\).*/\1/')
	lo=$(echo "$r" | sed 's/.*oldlist=\([0-9]*\)-.*/\1/')
	hi=$(echo "$r" | sed 's/.*oldlist=[0-9]*-\([0-9]*\).*/\1/')
	# exactly one request (at most 11 pages = 88 sectors) was not done, and
	# it is the one covering sectors 2048-2055
	[ "$nold" -ge 8 ] && [ "$nold" -le 88 ] && [ "$lo" -le 2048 ] && [ "$hi" -ge 2055 ] ||
		fail "not exactly the faulty request was refused: $r"
	o=$(sf --minor 1 read --offset $off --len 131072 --out "$WORK/rb.bin") || fail "read back: $o"
	cmp -s "$WORK/rb.bin" "$OUT" || fail "read back differs from the image"
	[ "$(err_io 1)" = 1 ] || fail "err_io is $(err_io 1), expected 1"
	vclose 1

	# ---- errors by rate and count under load, next to another guest ----
	vopen 1 "fault:eio_rate=0.05,count=9,seed=$$:raw:$IMG"
	sf --domid 2 --devid 51728 --minor 2 --qd 16 load --rw randrw --bs 4096 \
		--ios 4000 --verify > "$WORK/g2.out" 2>&1 &
	g2=$!
	o=$(sf --minor 1 --qd 16 load --rw randrw --bs 4096 --ios 4000 --verify 2>&1) &&
		fail "load with 9 injected errors exited 0"
	wait $g2 || fail "the other guest failed: $(cat "$WORK/g2.out")"
	expect errors 9 "$o"
	expect mismatches 0 "$o"
	expect verify ok "$o"
	[ "$(echo "$o" | kv verified)" -gt 0 ] || fail "nothing verified: $o"
	expect errors 0 "$(cat "$WORK/g2.out")"
	expect verify ok "$(cat "$WORK/g2.out")"
	[ "$(err_io 1)" = 9 ] || fail "err_io is $(err_io 1), expected 9"
	note "$eng: load: errors=9 as injected, mismatches=0; other guest clean"
	vclose 1

	# ---- ENOSPC: the first 3 writes fail, later ones succeed ----
	vopen 1 "fault:enospc_count=3:raw:$IMG"
	cp "$IMG" "$ORIG"
	for i in 1 2 3 4 5; do
		head -c 8192 /dev/urandom > "$SRC"
		st=0; o=$(sf --minor 1 write --offset $((i * 65536)) --in "$SRC") || st=$?
		dd if="$IMG" of="$OUT" bs=8192 skip=$((i * 8)) count=1 status=none
		if [ $i -le 3 ]; then
			[ $st = 1 ] && [ "$(echo "$o" | kv status)" = error ] ||
				fail "ENOSPC write $i: $o"
			dd if="$ORIG" of="$WORK/old.bin" bs=8192 skip=$((i * 8)) count=1 status=none
			cmp -s "$OUT" "$WORK/old.bin" || fail "a refused write changed the image"
		else
			[ $st = 0 ] || fail "write $i after space returned: $o"
			cmp -s "$OUT" "$SRC" || fail "write $i after space returned is not in the image"
		fi
	done
	[ "$(err_io 1)" = 3 ] || fail "err_io is $(err_io 1), expected 3"
	o=$(sf --minor 1 --qd 8 load --rw randwrite --bs 4096 --ios 500 --verify) ||
		fail "writes after ENOSPC: $o"
	vclose 1

	# ---- a write done but not acknowledged is never claimed ----
	vopen 1 "fault:op=write,error=eio,after=1,count=1:raw:$IMG"
	head -c 4096 /dev/urandom > "$SRC"
	o=$(sf --minor 1 write --offset 4096 --in "$SRC") && fail "after=1: write succeeded"
	dd if="$IMG" of="$OUT" bs=4096 skip=1 count=1 status=none
	cmp -s "$OUT" "$SRC" || fail "after=1: the data did not reach the image"
	vclose 1
	vopen 1 "fault:op=write,error=eio,after=1,rate=0.1,count=25:raw:$IMG"
	o=$(sf --minor 1 --qd 16 load --rw randrw --bs 4096 --ios 3000 --verify 2>&1)
	expect errors 25 "$o"
	expect mismatches 0 "$o"
	o=$(sf --minor 1 --qd 8 verify --count 64 2>&1)
	expect mismatches 0 "$o"
	expect verify ok "$o"
	vclose 1

	# ---- short transfers: finished by the raw driver, or failed cleanly ----
	vopen 1 "fault:short=half:raw:$IMG"
	o=$(sf --minor 1 --indirect verify --count 48) || fail "short=half: $o"
	vclose 1
	vopen 1 "fault:short=0,count=2:raw:$IMG"
	o=$(sf --minor 1 --qd 16 load --rw randrw --bs 8192 --ios 1000 --verify 2>&1)
	expect errors 2 "$o"
	expect mismatches 0 "$o"
	vclose 1

	# ---- a delayed write holds up neither its ring's other requests nor
	# another guest ----
	vopen 1 "fault:delay_ms=600,op=write,count=1:raw:$IMG"
	t0=$(now_ms)
	sf --minor 1 write --offset 0 --in "$SRC" > "$WORK/slow.out" 2>&1 &
	slow=$!
	sleep 0.1
	o=$(sf --domid 2 --devid 51728 --minor 2 load --rw randread --bs 4096 --ios 200) ||
		fail "the other guest during a delay: $o"
	t1=$(now_ms)
	wait $slow || fail "the delayed write failed: $(cat "$WORK/slow.out")"
	t2=$(now_ms)
	[ $((t1 - t0)) -lt 550 ] || fail "the other guest waited for the delayed write ($((t1 - t0)) ms)"
	[ $((t2 - t0)) -ge 600 ] || fail "the write was not delayed ($((t2 - t0)) ms)"
	note "$eng: delay: other guest done after $((t1 - t0)) ms, delayed write after $((t2 - t0)) ms"
	vclose 1

	# ---- crash_after_writes: SIGKILL after the 40th write ----
	vopen 1 "fault:crash_after_writes=40:raw:$IMG"
	o=$(sf --timeout 2000 --minor 1 --qd 4 load --rw randwrite --bs 4096 --ios 500 2>&1) &&
		fail "load survived a crashing tapdisk"
	st=0; wait "$TD_PID" || st=$?
	[ $st = 137 ] || fail "tapdisk exited with $st, not SIGKILL (137)"
	grep -q "40 writes acknowledged: crashing" "$WORK/tapdisk.log.tmp" ||
		fail "no crash message in the log"
	rm -f "$CTL_DIR/ctl$TD_PID"
	note "$eng: crash_after_writes=40: killed by SIGKILL"
done

# ---- zero copy (map, persistent): I/O on the guest's pages that fails
# with EFAULT / EINVAL (unpinnable pages, O_DIRECT alignment) is done again
# through bounce pages: a few times, the guest sees nothing; when mapped
# I/O always fails and the bounce retries work (fault mapped=1), the guest
# still sees nothing and after 8 the ring stops mapping; when the bounce
# I/O fails too, the mapping is not to blame: the requests fail and the
# ring keeps mapping.
for mode in map persistent; do
	start_tapdisk io_uring "$mode"
	for e in efault einval; do
		vopen 1 "fault:error=$e,count=3:raw:$IMG"
		o=$(sf --minor 1 --indirect verify --count 40 --seed 7) || fail "$mode $e count=3: $o"
		expect verify ok "$o"
		vclose 1
	done
	[ "$(grep -c 'grant copy from now on' "$WORK/tapdisk.log.tmp")" = 0 ] ||
		fail "$mode: a few failures made the ring give up mapping"
	# every I/O fails, bounced or not: 20 errors, and mapping goes on
	vopen 1 "fault:error=einval:raw:$IMG"
	o=$(sf --minor 1 --qd 1 load --rw randread --bs 4096 --ios 20 2>&1) || true
	expect errors 20 "$o"
	alive "$TD_PID"
	[ "$(grep -c 'grant copy from now on' "$WORK/tapdisk.log.tmp")" = 0 ] ||
		fail "$mode: failures of the bounce I/O too made the ring give up mapping"
	vclose 1
	# only mapped I/O fails: no error reaches the guest, the ring gives
	# up mapping after 8, later requests are copied (zero_copy stays)
	vopen 1 "fault:error=efault,mapped=1:raw:$IMG"
	o=$(sf --minor 1 --qd 1 load --rw randrw --bs 4096 --ios 40 --verify --seed 9 2>&1) ||
		fail "$mode mapped=1: $o"
	expect errors 0 "$o"
	expect verify ok "$o"
	expect zero_copy 0 "$o"
	alive "$TD_PID"
	grep -q 'grant copy from now on' "$WORK/tapdisk.log.tmp" ||
		fail "$mode: the ring kept mapping after 40 mapped I/Os failed"
	vclose 1
	stop_tapdisk "$TD_PID"
	: > "$WORK/tapdisk.log.tmp"
	note "$mode: EFAULT/EINVAL on mapped pages fall back to grant copy"
done
exit 0
