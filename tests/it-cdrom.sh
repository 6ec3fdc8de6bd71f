#!/bin/sh
# A CD VBD seen by a CD-aware guest (BLKIF_OP_PACKET, PROTOCOLS.md section
# 5) and by an ordinary one, against real ISO 9660 images built with
# xorriso (or genisoimage) and checked with isoinfo: SUPPORT, OPEN,
# MEDIA_CHANGED, the MMC commands (INQUIRY, READ CAPACITY, READ(10), READ
# CD, READ TOC in LBA and MSF, GET CONFIGURATION, GET EVENT STATUS
# NOTIFICATION, REQUEST SENSE), the whole disc read back both ways and
# listed by isoinfo, lock / eject / insert by guest and admin (tap-ctl
# eject, insert, media, list), the empty drive, unit attention after an
# insert, the hostile packet pages, and the refusals of non-CD VBDs.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
requires isoinfo cmp
if command -v xorriso >/dev/null 2>&1; then
	mkiso() { xorriso -as mkisofs -quiet -R -J -V "$3" -o "$2" "$1" >/dev/null 2>&1; }
elif command -v genisoimage >/dev/null 2>&1; then
	mkiso() { genisoimage -quiet -R -J -V "$3" -o "$2" "$1" >/dev/null 2>&1; }
else
	skip "needs xorriso or genisoimage"
fi

TAPCTL=$top_builddir/control/tap-ctl
tc() { timeout 30 "$TAPCTL" --control-dir "$CTL_DIR" "$@"; }

# Two discs with different trees and sizes.
mk_tree() {
	mkdir -p "$1/docs/deep"
	head -c "$2" /dev/urandom > "$1/big.bin"
	head -c 5000 /dev/urandom > "$1/docs/small.dat"
	echo "disc $3" > "$1/docs/deep/readme.txt"
}
mk_tree "$WORK/treeA" 700000 A
mk_tree "$WORK/treeB" 1300000 B
ISO_A=$WORK/a.iso; ISO_B=$WORK/b.iso
mkiso "$WORK/treeA" "$ISO_A" DISC_A || fail "cannot build an ISO image"
mkiso "$WORK/treeB" "$ISO_B" DISC_B || fail "cannot build an ISO image"
SIZE_A=$(stat -c %s "$ISO_A"); SIZE_B=$(stat -c %s "$ISO_B")
BLK_A=$((SIZE_A / 2048)); BLK_B=$((SIZE_B / 2048))
note "a.iso $SIZE_A bytes ($BLK_A blocks), b.iso $SIZE_B bytes ($BLK_B blocks)"
isoinfo -i "$ISO_A" -f | sort > "$WORK/files_a" || fail "isoinfo cannot read a.iso"
isoinfo -i "$ISO_B" -f | sort > "$WORK/files_b"

start_tapdisk
# new_vbd TYPE:PATH [open options]: allocate + attach + open; sets N
new_vbd() {
	N=$(tc allocate) || fail "allocate"
	N=${N##*tapdisk-}
	tc attach -p "$TD_PID" -m "$N" || fail "attach $N"
	spec=$1; shift
	tc open -p "$TD_PID" -m "$N" -a "$spec" "$@" || fail "open $N $spec $*"
}
new_vbd "aio:$ISO_A" --cdrom
M=$N

# pk ARGS: one packet command against minor $M, output in $o
pk() { o=$(sf --minor $M packet "$@" 2>&1) || fail "packet $*: $o"; }
# want KEY VALUE: the last command printed KEY=VALUE
want() {
	v=$(echo "$o" | kv "$1")
	[ "$v" = "$2" ] || fail "$cmd: $1=$v, expected $2 in: $(echo "$o" | tr '\n' ' ')"
}
run() { cmd="packet $*"; pk "$@"; }
# media KEY VALUE: tap-ctl media says KEY=VALUE
media() {
	m=$(tc media -p "$TD_PID" -m $M) || fail "tap-ctl media: $m"
	v=$(echo "$m" | kv "$1")
	[ "$v" = "$2" ] || fail "tap-ctl media: $1=$v, expected $2 in: $(echo "$m" | tr '\n' ' ')"
}
msf() { f=$(($1 + 150)); printf '%u:%02u:%02u' $((f / 4500)) $((f / 75 % 60)) $((f % 75)); }
block() { dd if="$1" bs=2048 skip="$2" count=1 2>/dev/null; }

# ---- what the ring and the packets say about the disc ----
o=$(sf --minor $M info) || fail "info: $o"
[ "$(echo "$o" | kv cdrom)" = 1 ] && [ "$(echo "$o" | kv readonly)" = 1 ] &&
	[ "$(echo "$o" | kv info)" = 7 ] || fail "not a read-only removable CD: $o"
run support; want supported 1; want ret 0
run open; want media_present 1; want sectors $((BLK_A * 4)); want sector_size 2048
run media-changed; want media_changed 0
run inquiry; want stat 0; want peripheral_type 5; want rmb 1
run capacity; want last_lba $((BLK_A - 1)); want block_size 2048
run tur; want stat 0; want sense 00/00/00
for lba in 0 16 17 $((BLK_A / 2)) $((BLK_A - 1)); do
	run read10 $lba --out "$WORK/blk"; want stat 0; want data_len 2048
	block "$ISO_A" $lba | cmp -s - "$WORK/blk" || fail "READ(10) of block $lba differs from the ISO"
done
# READ CD raw: sync, BCD header (LBA 16 = 00:02:16), mode 1, user data
run read10 16 --raw --out "$WORK/raw"; want stat 0; want data_len 2352
case $(echo "$o" | kv data_head) in
00ffffffffffffffffffff0000021601*) ;;
*) fail "READ CD raw sector header: $(echo "$o" | kv data_head)" ;;
esac
block "$ISO_A" 16 > "$WORK/blk16"
tail -c +17 "$WORK/raw" | head -c 2048 | cmp -s - "$WORK/blk16" || fail "READ CD user data differs"
run read10 $BLK_A; want stat 2; want sense 05/21/00; want err -5; want ret -1
run toc; want first 1; want last 1; want track.1 0; want track.leadout $BLK_A
want track.1.control 0x14
run toc --msf; want track.1 0:02:00; want track.leadout "$(msf $BLK_A)"
run toc --format 1; want session.track 1; want session.addr 0
run toc --format 2; want point.a0 1; want point.a1 1; want point.a2 $BLK_A
run toc --format 2 --msf; want point.a2 "$(msf $BLK_A)"; want point.01 0:02:00
run getconf; want current_profile 0x0008; want features 0x0000,0x0001,0x0003
run gesn; want event_class 4; want media_status 2; want event_code 0
run sense; want req_sense 00/00/00
run cdb ff --buflen 16; want stat 2; want sense 05/20/00

# ---- the whole disc, by packets and by ordinary reads ----
run readall --out "$WORK/pkt.iso"; want blocks $BLK_A; want result ok
cmp -s "$WORK/pkt.iso" "$ISO_A" || fail "readall: bytes differ from the ISO"
o=$(sf --minor $M read --offset 0 --len "$SIZE_A" --out "$WORK/ring.iso") ||
	fail "ring read of the whole disc: $o"
cmp -s "$WORK/ring.iso" "$ISO_A" || fail "ring read: bytes differ from the ISO"
for f in pkt ring; do
	isoinfo -i "$WORK/$f.iso" -f | sort > "$WORK/files_$f" || fail "isoinfo: $f.iso"
	cmp -s "$WORK/files_$f" "$WORK/files_a" || fail "isoinfo lists other files in $f.iso"
	isoinfo -i "$WORK/$f.iso" -R -x /big.bin > "$WORK/big_$f" ||
		fail "isoinfo cannot extract big.bin from $f.iso"
	cmp -s "$WORK/big_$f" "$WORK/treeA/big.bin" || fail "big.bin from $f.iso differs"
done
note "disc A read back by packets and by the ring: $(wc -l < "$WORK/files_a") entries match"

# ---- lock: the admin's eject is refused, -f wins ----
gen0=$(tc media -p "$TD_PID" -m $M | kv media_gen)
media present 1; media locked 0; media tray closed; media path "$ISO_A"; media size "$SIZE_A"
run lock; want stat 0
media locked 1
e=$(tc eject -p "$TD_PID" -m $M 2>&1); st=$?
[ $st -eq 16 ] || fail "eject of a locked disc: exit $st, expected 16 (EBUSY): $e"
echo "$e" | grep -q locked || fail "eject of a locked disc: message '$e'"
media present 1
run gesn; want event_code 1	# eject request, for the guest
run eject; want stat 2; want sense 05/53/02	# the guest's own lock holds too
tc eject -p "$TD_PID" -m $M -f || fail "eject -f of a locked disc"
media present 0; media locked 0; media tray open; media media_gen $((gen0 + 1))
l=$(tc list -p "$TD_PID" -m $M --json) || fail "list --json"
echo "$l" | grep -q '"media":"empty"' || fail "list --json after eject: $l"
echo "$l" | grep -q '"tray":"open"' || fail "list --json after eject: $l"
s=$(tc stats -p "$TD_PID" -m $M) || fail "stats"
[ "$(echo "$s" | kv media)" = empty ] || fail "stats after eject: $(echo "$s" | grep media)"

# ---- the empty drive: reads fail cleanly, packets still work ----
o=$(sf --minor $M read --offset 0 --len 4096 --out /dev/null 2>&1) && fail "read of an empty drive succeeded"
[ "$(echo "$o" | kv status)" = error ] || fail "read of an empty drive: $o"
run tur; want stat 2
case $(echo "$o" | kv sense) in 02/3a/0[0-2]) ;; *) fail "TUR empty: $(echo "$o" | kv sense)" ;; esac
run open; want media_present 0; want sectors 0
run media-changed; want media_changed 1
run media-changed; want media_changed 0
run capacity; want stat 2
o=$(sf --minor $M packet readall --out "$WORK/none" 2>&1) && fail "readall of an empty drive succeeded"
[ "$(echo "$o" | kv result)" = FAIL ] || fail "readall of an empty drive: $o"
tc eject -p "$TD_PID" -m $M || fail "eject of an empty drive"
head -c 1000 /dev/urandom > "$WORK/tiny.img"
e=$(tc insert -p "$TD_PID" -m $M -a "aio:$WORK/tiny.img" 2>&1); st=$?
[ $st -eq 22 ] || fail "insert of an image under one block: exit $st, expected 22: $e"
e=$(tc insert -p "$TD_PID" -m $M -a "aio:$WORK/missing.iso" 2>&1); st=$?
[ $st -eq 2 ] || fail "insert of a missing image: exit $st, expected 2: $e"
media present 0; media media_gen $((gen0 + 1))

# ---- insert another disc (any size): unit attention once, then disc B ----
tc insert -p "$TD_PID" -m $M -a "aio:$ISO_B" || fail "insert"
media present 1; media path "$ISO_B"; media size "$SIZE_B"; media tray closed
media media_gen $((gen0 + 2))
e=$(tc insert -p "$TD_PID" -m $M -a "aio:$ISO_A" 2>&1); st=$?
[ $st -eq 16 ] || fail "insert into a full drive: exit $st, expected 16: $e"
run media-changed; want media_changed 1
run open; want media_present 1; want sectors $((BLK_B * 4))
run tur; want sense 06/28/00
run tur; want sense 00/00/00
run capacity; want last_lba $((BLK_B - 1))
run readall --out "$WORK/pkt_b.iso"; want result ok
cmp -s "$WORK/pkt_b.iso" "$ISO_B" || fail "readall of disc B differs"
isoinfo -i "$WORK/pkt_b.iso" -f | sort | cmp -s - "$WORK/files_b" || fail "isoinfo: disc B"
o=$(sf --minor $M read --offset 0 --len "$SIZE_B" --out "$WORK/ring_b.iso") || fail "ring read B: $o"
cmp -s "$WORK/ring_b.iso" "$ISO_B" || fail "ring read of disc B differs"
l=$(tc list -p "$TD_PID" -m $M) || fail "list"
echo "$l" | grep -q "args=aio:$ISO_B" || fail "list after insert: $l"

# ---- guest eject / load (START STOP UNIT) ----
# With the tray open the disc cannot be read, by packets or by the ring,
# and media_gen moves so that tapback tells ordinary guests (sectors 0).
g1=$(tc media -p "$TD_PID" -m $M | kv media_gen)
run unlock; want stat 0
run eject; want stat 0
media tray open; media present 0
run tur; want sense 02/3a/02
o=$(sf --minor $M read --offset 0 --len 4096 --out /dev/null 2>&1) &&
	fail "ordinary read with the tray open (guest eject) succeeded: $(echo "$o" | tr '\n' ' ')"
g2=$(tc media -p "$TD_PID" -m $M | kv media_gen)
[ "$g2" -gt "$g1" ] || fail "guest eject: media_gen stayed $g1"
run load; want stat 0
media tray closed; media present 1
g3=$(tc media -p "$TD_PID" -m $M | kv media_gen)
[ "$g3" -gt "$g2" ] || fail "guest load: media_gen stayed $g2"
run tur; want sense 06/28/00
o=$(sf --minor $M read --offset 32768 --len 2048 --out "$WORK/after_load") ||
	fail "ordinary read after the guest closed the tray: $o"
block "$ISO_B" 16 | cmp -s - "$WORK/after_load" || fail "read after the guest's load differs"

# ---- a drive opened empty; insert ----
CD0=$M
new_vbd aio: --cdrom
M=$N
media present 0; media path ""
o=$(sf --minor $M read --offset 0 --len 2048 --out /dev/null 2>&1) && fail "read of a drive opened empty succeeded"
run tur; want stat 2
run open; want media_present 0
tc insert -p "$TD_PID" -m $M -a "aio:$ISO_A" || fail "insert into a drive opened empty"
run inquiry; want stat 0	# allowed during the unit attention
run tur; want sense 06/28/00
run tur; want sense 00/00/00
run read10 16 --out "$WORK/e16"; want stat 0
block "$ISO_A" 16 | cmp -s - "$WORK/e16" || fail "block 16 after insert differs"

# ---- hostile packet pages ----
for mode in pkt-bad-type pkt-oversized-buflen pkt-two-segs pkt-bad-sect \
	pkt-indirect pkt-flood; do
	o=$(sf --minor $CD0 hostile $mode 2>&1) || fail "hostile $mode: $(echo "$o" | tr '\n' ' ')"
	note "$(echo "$o" | tr '\n' ' ')"
done
o=$(sf --minor $CD0 --order 2 --qd 40 hostile pkt-flood 2>&1) ||
	fail "hostile pkt-flood, 40 at once: $(echo "$o" | tr '\n' ' ')"
# a CD refusing packets, and a disk
o=$(sf --minor 500 --open "aio:$ISO_A" --cdrom --no-packet hostile pkt-no-packet 2>&1) ||
	fail "hostile pkt-no-packet: $o"
note "$(echo "$o" | tr '\n' ' ')"
mkimg "$WORK/disk.img" 4
o=$(sf --minor 501 --open "raw:$WORK/disk.img" hostile pkt-on-disk 2>&1) || fail "hostile pkt-on-disk: $o"
note "$(echo "$o" | tr '\n' ' ')"
alive "$TD_PID"

# ---- a VBD made a CD by RING_CONNECT (what tapback does for device-type cdrom) ----
new_vbd "aio:$ISO_A" -R
o=$(sf --minor "$N" info) || fail "info: $o"
[ "$(echo "$o" | kv cdrom)" = 0 ] || fail "opened without --cdrom, yet a CD: $o"
o=$(sf --minor "$N" --cdrom info) || fail "ring connect with TD_F_CDROM: $o"
[ "$(echo "$o" | kv cdrom)" = 1 ] || fail "RING_CONNECT with TD_F_CDROM: not a CD: $o"
cmd="packet inquiry (cdrom by RING_CONNECT)"
o=$(sf --minor "$N" --cdrom packet inquiry) || fail "$cmd: $o"
want peripheral_type 5

# ---- media verbs on a disk: EOPNOTSUPP (95) ----
new_vbd "raw:$WORK/disk.img"
for verb in "eject" "insert -a aio:$ISO_A" "media"; do
	# shellcheck disable=SC2086
	e=$(tc $verb -p "$TD_PID" -m "$N" 2>&1); st=$?
	[ $st -eq 95 ] || fail "tap-ctl $verb on a disk: exit $st, expected 95: $e"
done
o=$(sf --minor "$N" hostile packet-op 2>&1) || fail "op 4 on a disk: $o"

alive "$TD_PID"
# errors other than those of the admin's bad inserts above
errs=$(grep 'tapdisk: error' "$WORK/tapdisk.log.tmp" | grep -v -e tiny.img -e missing.iso)
[ -z "$errs" ] || fail "tapdisk logged errors: $errs"
stop_tapdisk "$TD_PID"
exit 0
