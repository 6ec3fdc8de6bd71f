#!/bin/sh
# Soak test (make soak; SOAK_SECONDS, default 300; CI runs a short one):
# one tapdisk serves several VBDs and rings at once under mixed, verified
# guest load while the admin pauses/unpauses, ejects/inserts CD media and
# queries the control socket, and a client floods it with connections.
# Passes when no guest saw an error or a mismatch, tapdisk's open fds and
# RSS stayed bounded, and tapdisk exits cleanly.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
requires xorriso
TAPCTL=$top_builddir/control/tap-ctl
SECS=${SOAK_SECONDS:-300}
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3

# Images: two disks, two ISOs of different sizes
mkimg "$WORK/d1.img" 64
mkimg "$WORK/d2.img" 64
mkdir -p "$WORK/iso-a" "$WORK/iso-b"
head -c 3000000 /dev/urandom > "$WORK/iso-a/data.bin"
head -c 5000000 /dev/urandom > "$WORK/iso-b/data.bin"
for n in a b; do
	xorriso -as mkisofs -quiet -o "$WORK/$n.iso" "$WORK/iso-$n" 2>/dev/null ||
		fail "xorriso"
done

start_tapdisk
"$TAPCTL" open -p "$TD_PID" -m 0 -a "aio:$WORK/d1.img" || fail "open d1"
"$TAPCTL" open -p "$TD_PID" -m 1 -a "aio:$WORK/d2.img" || fail "open d2"
"$TAPCTL" open -p "$TD_PID" -m 2 -a "aio:$WORK/a.iso" --cdrom || fail "open cd"

fds() { ls /proc/"$TD_PID"/fd | wc -l; }
rss() { awk '/VmRSS/ {print $2}' /proc/"$TD_PID"/status; }

# Guests: random verified I/O on d1 (two queues' worth: two domains), a
# sequential verified writer/reader on d2, a CD reader checking media.
sf --domid 1 --minor 0 --order 2 load --rw randrw --bs 4096 --qd 16 --runtime "$SECS" \
	--verify > "$WORK/g1.out" 2>&1 &
G1=$!
sf --domid 2 --minor 1 --order 4 --indirect load --rw write --bs 1048576 --qd 4 \
	--runtime "$SECS" --verify > "$WORK/g2.out" 2>&1 &
G2=$!
sf --domid 3 --minor 2 cdload --iso "$WORK/a.iso" --iso "$WORK/b.iso" \
	--runtime "$SECS" > "$WORK/g3.out" 2>&1 &
G3=$!
sleep 2
fd0=$(fds); rss0=$(rss)
note "start: fds=$fd0 rss=${rss0}kB"

end=$(( $(date +%s) + SECS - 4 ))
i=0 max_fd=$fd0 max_rss=$rss0
while [ "$(date +%s)" -lt "$end" ]; do
	i=$((i + 1))
	alive "$TD_PID"
	"$TAPCTL" pause -p "$TD_PID" -m 0 || fail "pause ($i)"
	sleep 0.2
	"$TAPCTL" unpause -p "$TD_PID" -m 0 || fail "unpause ($i)"
	"$TAPCTL" eject -p "$TD_PID" -m 2 || fail "eject ($i)"
	"$TAPCTL" insert -p "$TD_PID" -m 2 -a "aio:$WORK/$( [ $((i % 2)) = 0 ] && echo a || echo b).iso" ||
		fail "insert ($i)"
	"$TAPCTL" list >/dev/null || fail "list ($i)"
	"$TAPCTL" stats -p "$TD_PID" -m 1 --json >/dev/null || fail "stats ($i)"
	# a burst of connections that send nothing, closed at once
	$PY - "$CTL_DIR/ctl$TD_PID" <<'EOF' || fail "connection flood"
import socket, sys
for _ in range(100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.close()
EOF
	f=$(fds); r=$(rss)
	[ "$f" -gt "$max_fd" ] && max_fd=$f
	[ "$r" -gt "$max_rss" ] && max_rss=$r
	sleep 1
done
note "$i admin rounds; fds max $max_fd (start $fd0); rss max ${max_rss}kB (start ${rss0}kB)"

wait $G1 || { cat "$WORK/g1.out"; fail "random guest failed"; }
wait $G2 || { cat "$WORK/g2.out"; fail "sequential guest failed"; }
wait $G3 || true	# cdload exits 1 on clean errors while the drive is empty
for g in g1 g2; do
	[ "$(kv errors < "$WORK/$g.out")" = 0 ] || { cat "$WORK/$g.out"; fail "$g saw errors"; }
	grep -q '^verify=ok' "$WORK/$g.out" || { cat "$WORK/$g.out"; fail "$g data not verified"; }
done
[ "$(kv mismatches < "$WORK/g3.out")" = 0 ] || { cat "$WORK/g3.out"; fail "CD reader got wrong bytes"; }
[ "$(kv unexpected < "$WORK/g3.out")" = 0 ] || { cat "$WORK/g3.out"; fail "CD reader got unexpected answers"; }
note "g1: $(tr '\n' ' ' < "$WORK/g1.out" | cut -c1-200)"
note "cd: $(tr '\n' ' ' < "$WORK/g3.out")"
fd1=$(fds); rss1=$(rss)
note "end: fds=$fd1 rss=${rss1}kB"
# Bounded: no fd leak, memory not growing without limit (allow warm-up)
[ "$fd1" -le $((fd0 + 2)) ] || fail "fd count grew: $fd0 -> $fd1"
[ "$max_fd" -le $((fd0 + 16)) ] || fail "fd count peaked at $max_fd (start $fd0)"
[ "$rss1" -le $((rss0 * 2 + 65536)) ] || fail "RSS grew: ${rss0}kB -> ${rss1}kB"
"$TAPCTL" close -p "$TD_PID" -m 0 && "$TAPCTL" close -p "$TD_PID" -m 1 &&
	"$TAPCTL" close -p "$TD_PID" -m 2 || fail "close"
stop_tapdisk "$TD_PID"
exit 0
