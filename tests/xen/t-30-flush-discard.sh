#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# xentap-timeout: 600
#
# (c) FLUSH and DISCARD end to end. An fsync in dom0 (of /dev/xvdb, and of a
# file on a file system on it) becomes BLKIF_OP_FLUSH_DISKCACHE and reaches
# fdatasync on the image (tapdisk's flush_done grows). `blkdiscard` on
# /dev/xvdb becomes BLKIF_OP_DISCARD and punches a hole in the image file
# (its allocated blocks drop; the range reads back as zeros).
. /xentap/lib-dom0.sh
requires tapdisk tap-ctl tapback blkdiscard

start_tapback
# A fully allocated image, so that a punched hole shows in st_blocks
dd if=/dev/urandom of=/tmp/c.img bs=1M count=64 2>/dev/null
attach xvdb /tmp/c.img w
negotiated xvdb
[ "$(xsr $(be_path xvdb)/feature-flush-cache)" = 1 ] || fail "backend does not offer feature-flush-cache"
[ "$(xsr $(be_path xvdb)/feature-discard)" = 1 ] || fail "backend does not offer feature-discard (discard-enable=1)"
dmesg | grep -i 'blkfront: xvdb' | grep -q 'flush diskcache: enabled' || fail "blkfront did not enable flush"

say "== flush: fsync of the block device"
f0=$(tstat xvdb flush_done) r0=$(tstat xvdb req_flush)
bounded 60 dd if=/dev/urandom of=/dev/xvdb bs=64k count=16 seek=8 conv=fsync 2>/dev/null || fail "write + fsync"
f1=$(tstat xvdb flush_done) r1=$(tstat xvdb req_flush)
say "req_flush $r0 -> $r1, flush_done $f0 -> $f1"
[ "$r1" -gt "$r0" ] || fail "fsync of /dev/xvdb sent no FLUSH request"
[ "$f1" -gt "$f0" ] || fail "the FLUSH did not reach fdatasync (flush_done $f0 -> $f1)"
read -r P M < $ST/xvdb
x=$(xt-ctl stat $P $M flush_done)
[ "$x" = "$f1" ] || fail "tapdisk STATUS flush_done=$x, tap-ctl stats says $f1"

say "== flush: fsync of a file on ext2 on xvdb"
if command -v mke2fs >/dev/null; then
    mke2fs -q /dev/xvdb 16384 >/dev/null 2>&1 || mke2fs /dev/xvdb 16384 >/dev/null || fail "mke2fs"
    mkdir -p /mnt/x && mount -t ext2 /dev/xvdb /mnt/x || fail "mount ext2 on /dev/xvdb"
    f0=$(tstat xvdb flush_done)
    dd if=/dev/urandom of=/mnt/x/file bs=64k count=8 conv=fsync 2>/dev/null || fail "file write + fsync"
    f1=$(tstat xvdb flush_done)
    say "file fsync: flush_done $f0 -> $f1"
    [ "$f1" -gt "$f0" ] || fail "fsync of a file on /dev/xvdb did not reach fdatasync"
    umount /mnt/x || fail "umount"
else
    say "(no mke2fs in dom0: file-level fsync not checked)"
fi

say "== discard: blkdiscard punches a hole"
sync
b0=$(stat -c %b /tmp/c.img)
d0=$(tstat xvdb discard_done)
bounded 60 blkdiscard -o $((32 * 1048576)) -l $((16 * 1048576)) /dev/xvdb 2>/tmp/bd.err ||
    fail "blkdiscard: $(cat /tmp/bd.err)"
d1=$(tstat xvdb discard_done)
b1=$(stat -c %b /tmp/c.img)
say "image blocks $b0 -> $b1 (512-byte units), req_discard $(tstat xvdb req_discard), discard_done $d0 -> $d1"
[ "$d1" -gt "$d0" ] || fail "blkdiscard did not reach the engine (discard_done $d0 -> $d1)"
[ $((b0 - b1)) -ge 30000 ] || fail "the image's blocks did not drop by ~16 MiB ($b0 -> $b1)"
z=$(dd if=/dev/zero bs=1M count=16 2>/dev/null | md5)
c=$(dd if=/tmp/c.img bs=1M count=16 skip=32 2>/dev/null | md5)
[ "$c" = "$z" ] || fail "the discarded range of the image does not read as zeros"
echo 3 > /proc/sys/vm/drop_caches
b=$(bounded 60 dd if=/dev/xvdb bs=1M count=16 skip=32 iflag=direct 2>/dev/null | md5)
[ "$b" = "$z" ] || fail "the discarded range does not read as zeros through /dev/xvdb"
say "ok: hole punched; the range reads as zeros in the image and through xvdb"
c=$(dd if=/tmp/c.img bs=1M count=16 skip=16 2>/dev/null | md5)
b=$(bounded 60 dd if=/dev/xvdb bs=1M count=16 skip=16 iflag=direct 2>/dev/null | md5)
[ "$b" = "$c" ] || fail "data next to the hole differs"

detach xvdb
stop_tapback
echo "T-30-FLUSH-DISCARD-OK"
