#!/bin/sh
# CD hotplug under load: a guest reads a CD VBD continuously through the
# ring (simfront cdload: random extents, several in flight) while the admin
# ejects the disc and inserts the other one, 20 times, alternating two ISO
# images of different sizes; meanwhile a CD-aware guest sends READ(10)
# packets to a second CD VBD whose disc is swapped the same way (a VBD
# serves one ring per queue, so each guest has its own drive). Every read must return, entirely, the bytes of
# one disc at that offset or fail cleanly (ERROR on the ring; NOT READY or
# UNIT ATTENTION sense for packets); tapdisk stays up, logs no errors, and
# exits cleanly.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
requires cmp
if command -v xorriso >/dev/null 2>&1; then
	mkiso() { xorriso -as mkisofs -quiet -R -J -V "$3" -o "$2" "$1" >/dev/null 2>&1; }
elif command -v genisoimage >/dev/null 2>&1; then
	mkiso() { genisoimage -quiet -R -J -V "$3" -o "$2" "$1" >/dev/null 2>&1; }
else
	skip "needs xorriso or genisoimage"
fi

SWAPS=20
TAPCTL=$top_builddir/control/tap-ctl
tc() { timeout 30 "$TAPCTL" --control-dir "$CTL_DIR" "$@"; }

mkdir -p "$WORK/treeA/sub" "$WORK/treeB/sub"
head -c 900000 /dev/urandom > "$WORK/treeA/data.bin"
head -c 1700000 /dev/urandom > "$WORK/treeB/data.bin"
echo A > "$WORK/treeA/sub/name"; echo B > "$WORK/treeB/sub/name"
ISO_A=$WORK/a.iso; ISO_B=$WORK/b.iso
mkiso "$WORK/treeA" "$ISO_A" HOT_A || fail "cannot build an ISO image"
mkiso "$WORK/treeB" "$ISO_B" HOT_B || fail "cannot build an ISO image"
BLK_A=$(($(stat -c %s "$ISO_A") / 2048)); BLK_B=$(($(stat -c %s "$ISO_B") / 2048))
note "a.iso $BLK_A blocks, b.iso $BLK_B blocks"

start_tapdisk
new_cd() {
	N=$(tc allocate) || fail "allocate"
	N=${N##*tapdisk-}
	tc attach -p "$TD_PID" -m "$N" || fail "attach"
	tc open -p "$TD_PID" -m "$N" -a "aio:$ISO_A" --cdrom || fail "open --cdrom"
}
new_cd; M=$N
new_cd; P=$N
gen() { tc media -p "$TD_PID" -m "$1" | kv media_gen; }
gen0=$(gen "$M"); pgen0=$(gen "$P")

# The ordinary guest (domain 1): reads for as long as the swaps take.
sf --domid 1 --minor "$M" --qd 8 cdload --iso "$ISO_A" --iso "$ISO_B" \
	--runtime 12 > "$WORK/load.out" 2> "$WORK/load.err" &
LOAD_PID=$!

# The CD-aware guest (domain 2): READ(10) packets of random blocks until
# the swaps are done; each answer is GOOD with the block of A or B, or a
# clean NOT READY / UNIT ATTENTION.
: > "$WORK/pkt.bad"
(
	i=0
	while [ ! -e "$WORK/swaps.done" ]; do
		lba=$(( (i * 7919 + 16) % BLK_B )); i=$((i + 1))
		o=$(sf --domid 2 --minor "$P" packet read10 $lba \
			--out "$WORK/pblk" 2>&1) || { echo "packet: $o" >> "$WORK/pkt.bad"; continue; }
		case $(echo "$o" | kv sense) in
		00/00/00)
			ok=0
			for iso in "$ISO_A" "$ISO_B"; do
				dd if="$iso" bs=2048 skip=$lba count=1 2>/dev/null |
					cmp -s - "$WORK/pblk" && ok=1
			done
			[ $ok = 1 ] || echo "block $lba matches neither disc" >> "$WORK/pkt.bad"
			echo good >> "$WORK/pkt.count" ;;
		02/3a/0[0-2]|06/28/00|05/21/00)	# empty, changed, past the end of A
			echo clean >> "$WORK/pkt.count" ;;
		*)	echo "block $lba: $(echo "$o" | tr '\n' ' ')" >> "$WORK/pkt.bad" ;;
		esac
	done
) &
PKT_PID=$!

sleep 0.5
next=B
n=0
while [ $n -lt $SWAPS ]; do
	n=$((n + 1))
	for d in "$M" "$P"; do
		tc eject -p "$TD_PID" -m "$d" || fail "eject $n, minor $d"
		m=$(tc media -p "$TD_PID" -m "$d")
		[ "$(echo "$m" | kv present)" = 0 ] || fail "after eject $n: $m"
	done
	sleep 0.1
	if [ $next = B ]; then iso=$ISO_B; next=A; else iso=$ISO_A; next=B; fi
	for d in "$M" "$P"; do
		tc insert -p "$TD_PID" -m "$d" -a "aio:$iso" || fail "insert $n ($iso), minor $d"
		m=$(tc media -p "$TD_PID" -m "$d")
		[ "$(echo "$m" | kv path)" = "$iso" ] && [ "$(echo "$m" | kv present)" = 1 ] ||
			fail "after insert $n: $m"
	done
	alive "$TD_PID"
	sleep 0.3
done
touch "$WORK/swaps.done"
[ "$(gen "$M")" = $((gen0 + 2 * SWAPS)) ] && [ "$(gen "$P")" = $((pgen0 + 2 * SWAPS)) ] ||
	fail "media_gen $(gen "$M") / $(gen "$P"), expected $((gen0 + 2 * SWAPS))"

wait "$LOAD_PID"; st=$?
out=$(tr '\n' ' ' < "$WORK/load.out")
note "cdload: $out"
[ $st -eq 0 ] || { cat "$WORK/load.err" >&2; fail "cdload failed: $out"; }
for k in mismatches unexpected; do
	[ "$(kv $k < "$WORK/load.out")" = 0 ] || fail "cdload: $k: $out"
done
for k in medium_a medium_b errors; do
	[ "$(kv $k < "$WORK/load.out")" -gt 0 ] || fail "cdload: no $k: $out"
done
wait "$PKT_PID"
[ -s "$WORK/pkt.bad" ] && { cat "$WORK/pkt.bad" >&2; fail "packet guest: bad answers"; }
note "packet guest: $(grep -c good "$WORK/pkt.count") good, $(grep -c clean "$WORK/pkt.count") clean refusals"
[ "$(grep -c good "$WORK/pkt.count")" -gt 0 ] || fail "packet guest: no good read"

alive "$TD_PID"
note "tapdisk log: $(wc -l < "$WORK/tapdisk.log.tmp") lines, $(grep -c warning "$WORK/tapdisk.log.tmp") warnings"
if grep -q 'tapdisk: error' "$WORK/tapdisk.log.tmp"; then
	grep 'tapdisk: error' "$WORK/tapdisk.log.tmp" >&2
	fail "tapdisk logged errors"
fi
tc close -p "$TD_PID" -m "$M" && tc close -p "$TD_PID" -m "$P" || fail "close"
stop_tapdisk "$TD_PID"
exit 0
