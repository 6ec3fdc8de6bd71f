# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the real-Xen tests, sourced inside dom0 (busybox ash) by
# tests/xen/t-*.sh. dom0 attaches vbds to itself: the toolstack's part is
# written here the way libxl 4.19+ writes it for backendtype=tap (backend
# kind vbd3, so the kernel blkback stays out), the hotplug part is Xen's
# block-tap sequence with our tap-ctl, tapback does the xenstore protocol
# with dom0's stock xen-blkfront, and tapdisk serves the ring.
# Exit codes: 0 pass, 1 fail, 77 skip.
set -u
TEST=$(cat /xentap/test-name 2>/dev/null || basename "$0" .sh)
CTL=/run/blktap-control
ST=/run/xt                       # per-disk state of these helpers
mkdir -p $CTL $ST
LOGS=""                          # log files printed by diag()
# tap-ctl spawn runs $TAPDISK: make the spawned (daemonized, syslog) tapdisks
# log debug messages too; XENTAP_TD_ARGS (in tap-ctl spawn's environment)
# adds tapdisk options, e.g. --grant persistent
printf '#!/bin/sh\nexec tapdisk -v ${XENTAP_TD_ARGS:-} "$@"\n' > /run/tapdisk-v && chmod 755 /run/tapdisk-v
export TAPDISK=/run/tapdisk-v
FE_DOM=0 BE_DOM=0                # dom0 is frontend and backend

up()  { cut -d' ' -f1 /proc/uptime; }
say() { echo "[$(up)] $*"; }
skip() { echo "SKIP: $TEST: $*"; exit 77; }
requires() {
    for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "needs $c (not built or not installed)"; done
}
fail() {
    echo "FAIL: $TEST: $*"
    diag
    echo "FAIL: $TEST: $*"
    exit 1
}
# Everything useful when something went wrong, once
DIAG_DONE=0
diag() {
    [ $DIAG_DONE = 1 ] && return 0
    DIAG_DONE=1
    echo "======== diagnostics ($TEST)"
    echo "--- xenstore backend/vbd3 and device/vbd"
    xenstore-ls -fp /local/domain/0/backend/vbd3 2>/dev/null | sed 's/^/  /'
    xenstore-ls -fp /local/domain/0/device/vbd 2>/dev/null | sed 's/^/  /'
    echo "--- processes"
    ps -o pid,stat,args 2>/dev/null | grep -E 'tapdisk|tapback|tap-ctl' | grep -v grep | sed 's/^/  /'
    if command -v tap-ctl >/dev/null; then echo "--- tap-ctl list"; timeout 10 tap-ctl list 2>&1 | sed 's/^/  /'; fi
    for s in $CTL/ctl*; do
        [ -S "$s" ] || continue
        echo "--- xt-ctl status ${s##*/ctl}"; timeout 10 xt-ctl status "${s##*/ctl}" 2>&1 | sed 's/^/  /'
    done
    echo "--- block devices"; ls -l /dev/xvd* 2>/dev/null | sed 's/^/  /'
    blkfront_log
    echo "--- dmesg (tail)"; dmesg | tail -40 | sed 's/^/  /'
    for f in $LOGS; do
        [ -f "$f" ] || continue
        echo "--- $f (tail)"; tail -80 "$f" | sed 's/^/  /'
    done
    echo "--- syslog: tapdisk/tapback (tail)"
    grep -E 'tapdisk|tapback|tap-ctl' /run/messages 2>/dev/null | tail -80 | sed 's/^/  /'
    echo "======== end of diagnostics"
}
# The negotiated features as blkfront reports them (ring order, queues,
# persistent grants, indirect descriptors, flush, discard)
blkfront_log() {
    echo "--- blkfront, dmesg"
    dmesg | grep -iE 'blkfront|max_queues|ring_page_order|indirect_segments|xvd[a-z]+:' |
        grep -vi 'command line:' | sed 's/^/  BLKFRONT: /'
}
kv() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p; s/^$1=\([^[:space:]]*\).*/\1/p" | head -1; }
# Timeouts go by the clock, not by counting sleeps: under TCG a fork+exec
# (each `sleep`) takes a noticeable and varying time.
# uptime_s: seconds since boot into $_now (no fork)
uptime_s() { read -r _u _x < /proc/uptime; _now=${_u%.*}; }
# nap SECONDS (fractions allowed): sleep without a fork+exec (a read with a
# timeout on a FIFO nobody writes). The polls below run during the
# benchmarks: with `sleep 0.05` they cost about a sixth of dom0's CPU.
[ -p /run/xt-nap ] || mkfifo /run/xt-nap
exec 8<>/run/xt-nap
nap() { read -r -t "$1" _ <&8 || :; }
# bounded SECONDS CMD...: run CMD in the background; 124 if it is not done
# in time (it is then left behind: I/O on a dead disk may be unkillable)
bounded() {
    _bs=$1; shift
    "$@" &
    _bp=$!
    uptime_s; _bend=$((_now + _bs))
    while kill -0 $_bp 2>/dev/null; do
        uptime_s
        if [ $_now -ge $_bend ]; then
            kill -KILL $_bp 2>/dev/null
            say "($* still running after ${_bs}s)"
            return 124
        fi
        nap 0.05
    done
    wait $_bp
}
# wait_for SECONDS CMD...: poll CMD every 0.1 s; 0 once it succeeds
wait_for() {
    uptime_s; _wend=$((_now + $1)); shift
    while :; do
        "$@" && return 0
        uptime_s; [ $_now -ge $_wend ] && return 1
        nap 0.1
    done
}
xsr() { xenstore-read "$1" 2>/dev/null; }
xs_is() { [ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]; }

# ---- devices: xvdb -> 51728 (202 << 8 | 16 * index) ------------------------
devid() {
    l=${1#xvd}; i=$(printf '%d' "'$l"); echo $((202 * 256 + (i - 97) * 16))
}
be_path() { echo /local/domain/$BE_DOM/backend/vbd3/$FE_DOM/$(devid "$1"); }
fe_path() { echo /local/domain/$FE_DOM/device/vbd/$(devid "$1"); }

# ---- tapdisk in the foreground (log to a file) ------------------------------
# td_start_fg NAME: tapdisk -F -v -x xen; sets TD_PID; log /tmp/tapdisk-NAME.log
td_start_fg() {
    f=/tmp/tapdisk-$1.log; LOGS="$LOGS $f"
    tapdisk -F -v -x xen -c $CTL 2>>"$f" &
    TD_PID=$!
    wait_for 30 test -S $CTL/ctl$TD_PID || { kill -0 $TD_PID 2>/dev/null || fail "tapdisk exited at start"; fail "tapdisk's socket $CTL/ctl$TD_PID did not appear"; }
    say "tapdisk $TD_PID listening (log $f)"
}

# ---- tapback ----------------------------------------------------------------
# start_tapback: tapback in the foreground (-d), verbose, log /tmp/tapback.log
# (TAPBACK_ARGS adds options)
start_tapback() {
    f=/tmp/tapback.log
    case " $LOGS " in *" $f "*) ;; *) LOGS="$LOGS $f" ;; esac
    tapback -d -v ${TAPBACK_ARGS:-} >>"$f" 2>&1 &
    TB_PID=$!
    sleep 0.5
    kill -0 $TB_PID 2>/dev/null || fail "tapback exited at start"
    say "tapback $TB_PID running (log $f)"
}
stop_tapback() {
    [ -n "${TB_PID:-}" ] || return 0
    kill -TERM $TB_PID 2>/dev/null
    wait_for 30 sh -c "! kill -0 $TB_PID 2>/dev/null" || { kill -KILL $TB_PID; fail "tapback did not exit on SIGTERM"; }
    wait $TB_PID 2>/dev/null; _st=$?
    [ $_st = 0 ] || fail "tapback exited with status $_st on SIGTERM"
    TB_PID=
}

# ---- the toolstack's part (libxl 4.19+, backendtype=tap) --------------------
# vbd_nodes DEV IMG MODE(w|r) [DEVTYPE]: backend + frontend nodes, state 1
vbd_nodes() {
    d=$1 img=$2 mode=$3 dt=${4:-disk}
    be=$(be_path "$d") fe=$(fe_path "$d") id=$(devid "$d")
    xenstore-write \
        $be/frontend $fe  $be/frontend-id $FE_DOM  $be/online 1  $be/removable 0 \
        $be/bootable 1  $be/state 1  $be/dev $d  $be/type vbd3  $be/mode $mode \
        $be/device-type $dt  $be/discard-enable 1  $be/params aio:$img \
        $fe/backend $be  $fe/backend-id $BE_DOM  $fe/state 1  $fe/virtual-device $id \
        $fe/device-type $dt || fail "xenstore-write $d"
    # as libxl: the backend domain owns the backend directory, the frontend
    # domain may read it; and the other way round for the frontend directory
    xenstore-chmod -r $be n$BE_DOM r$FE_DOM || fail "xenstore-chmod $be"
    xenstore-chmod -r $fe n$FE_DOM r$BE_DOM || fail "xenstore-chmod $fe"
}
# wait_be_state DEV STATE [SECONDS]
wait_be_state() { wait_for "${3:-30}" xs_is "$(be_path "$1")/state" "$2"; }
wait_fe_state() { wait_for "${3:-30}" xs_is "$(fe_path "$1")/state" "$2"; }

# ---- the hotplug part: Xen's block-tap with our tap-ctl ---------------------
# tap_new IMG [ro]: allocate + spawn + attach + open, as block-tap does;
# sets TAP_PID and TAP_MINOR
tap_new() {
    tap_allocate
    TAP_PID=$(tap-ctl spawn) || fail "tap-ctl spawn: $TAP_PID"
    case $TAP_PID in ''|*[!0-9]*) fail "tap-ctl spawn printed '$TAP_PID'" ;; esac
    tap_open "$@"
}
# tap_add PID IMG [ro]: a new minor on a running tapdisk (a second disk
# served by the same process)
tap_add() {
    tap_allocate
    TAP_PID=$1; shift
    tap_open "$@"
}
tap_allocate() {
    out=$(tap-ctl allocate) || fail "tap-ctl allocate: $out"
    TAP_MINOR=${out##*tapdisk-}
    case $TAP_MINOR in ''|*[!0-9]*) fail "tap-ctl allocate printed '$out'" ;; esac
}
tap_open() {
    img=$1 ro=${2:-}
    tap-ctl attach -p $TAP_PID -m $TAP_MINOR || fail "tap-ctl attach -p $TAP_PID -m $TAP_MINOR"
    tap-ctl open -p $TAP_PID -m $TAP_MINOR -a aio:$img ${ro:+-R} ||
        fail "tap-ctl open -p $TAP_PID -m $TAP_MINOR -a aio:$img ${ro:+-R}"
    say "tapdisk $TAP_PID minor $TAP_MINOR serves $img${ro:+ (read-only)}"
}
# hotplug_done DEV: block-tap's xenstore writes
hotplug_done() {
    be=$(be_path "$1")
    xenstore-write $be/pid $TAP_PID $be/minor $TAP_MINOR \
        $be/physical-device-path $CTL/nbd$TAP_PID.$TAP_MINOR $be/hotplug-status connected ||
        fail "xenstore-write hotplug nodes of $1"
    echo "$TAP_PID $TAP_MINOR" > $ST/$1
}
# attach DEV IMG MODE [PID]: the whole sequence as libxl + block-tap do it;
# with PID the disk goes to that running tapdisk. Waits for /dev/DEV.
attach() {
    d=$1 img=$2 mode=$3 p=${4:-}
    t0=$(up)
    vbd_nodes "$d" "$img" "$mode"
    # libxl waits 10 s for the backend to reach InitWait before it runs the
    # hotplug script; a loaded machine (TCG) gets a warning up to 30 s
    wait_be_state "$d" 2 30 || fail "$d: backend did not reach InitWait (2) within 30 s (state=$(xsr $(be_path $d)/state))"
    t1=$(up)
    awk -v a=$t0 -v b=$t1 'BEGIN{exit !(b - a > 10)}' &&
        say "WARNING: $d: backend reached InitWait only after $(awk -v a=$t0 -v b=$t1 'BEGIN{print b-a}')s (libxl gives up after 10 s)"
    ro=; [ "$mode" = r ] && ro=ro
    if [ -n "$p" ]; then tap_add "$p" "$img" $ro; else tap_new "$img" $ro; fi
    hotplug_done "$d"
    wait_for 60 test -b /dev/$d || fail "/dev/$d did not appear (backend state=$(xsr $(be_path $d)/state), frontend state=$(xsr $(fe_path $d)/state))"
    wait_be_state "$d" 4 30 || fail "$d: backend not Connected (state=$(xsr $(be_path $d)/state))"
    say "/dev/$d attached in $(awk -v a=$t0 -v b=$(up) 'BEGIN{printf "%.2f", b-a}')s: $(cat /sys/block/$d/size) sectors, ro=$(cat /sys/block/$d/ro), backend state $(xsr $(be_path $d)/state), frontend state $(xsr $(fe_path $d)/state)"
}
# detach DEV: as libxl: online=0 + backend Closing, wait for Closed, then
# block-tap remove (tap-ctl destroy), remove the nodes; /dev/DEV goes away.
detach() {
    d=$1 be=$(be_path "$1") fe=$(fe_path "$1")
    read -r p m < $ST/$d || fail "no state for $d"
    xenstore-write $be/online 0 $be/state 5 || fail "xenstore-write online/state of $d"
    wait_fe_state "$d" 6 30 || fail "$d: frontend did not close (state=$(xsr $fe/state))"
    wait_be_state "$d" 6 30 || fail "$d: backend did not reach Closed (state=$(xsr $be/state))"
    tap-ctl destroy -p $p -m $m || fail "tap-ctl destroy -p $p -m $m"
    xenstore-rm $fe; xenstore-rm $be
    wait_for 30 sh -c "! test -b /dev/$d" || fail "/dev/$d still present after detach"
    rm -f $ST/$d
    say "/dev/$d detached (tapdisk $p minor $m destroyed)"
}

# ---- data -------------------------------------------------------------------
# pattern FILE MiB: random data
pattern() { dd if=/dev/urandom of="$1" bs=1M count="$2" 2>/dev/null || fail "urandom"; }
md5() { md5sum | cut -d' ' -f1; }
# ddwhy STATUS: why a bounded dd failed
ddwhy() {
    if [ "$1" = 124 ]; then echo "no completion within 120 s (did blkfront disable the disk? see dmesg)"
    else echo "status $1: $(head -2 /tmp/dd.err | tr '\n' ' ')"; fi
}
# verify_io DEV IMG PAT MiB [BS] [SEEK_MiB]: write PAT with O_DIRECT, read back
# through DEV and from the image file, compare
verify_io() {
    d=$1 img=$2 pat=$3 mb=$4 bs=${5:-1M} at=${6:-0}
    case $bs in *M) bsb=$((${bs%M} * 1048576)) ;; *k) bsb=$((${bs%k} * 1024)) ;; *) bsb=$bs ;; esac
    cnt=$((mb * 1048576 / bsb)) blk=$((at * 1048576 / bsb))
    bounded 120 dd if="$pat" of=/dev/$d bs=$bsb count=$cnt seek=$blk oflag=direct 2>/tmp/dd.err ||
        fail "O_DIRECT write of $mb MiB (bs $bs) to /dev/$d: $(ddwhy $?)"
    a=$(md5 < "$pat")
    bounded 120 dd if=/dev/$d of=/tmp/readback bs=$bsb count=$cnt skip=$blk iflag=direct 2>/tmp/dd.err ||
        fail "O_DIRECT read of $mb MiB (bs $bs) from /dev/$d: $(ddwhy $?)"
    b=$(md5 < /tmp/readback); rm -f /tmp/readback
    c=$(dd if="$img" bs=1M count=$mb skip=$at 2>/dev/null | md5)
    say "md5 ($mb MiB at $at MiB, bs $bs): pattern=$a via-$d=$b image=$c"
    [ "$a" = "$b" ] || fail "data read through /dev/$d differs from what was written"
    [ "$a" = "$c" ] || fail "image file differs from what was written through /dev/$d"
}
rate() { awk -v mb="$1" -v a="$2" -v b="$3" 'BEGIN{d=b-a; if(d<=0)d=0.01; printf "%d MiB in %.2fs = %.1f MiB/s", mb, d, mb/d}'; }
say "test $TEST: kernel $(uname -r), $(xl info 2>/dev/null | sed -n 's/^xen_version *: //p' | head -1 | sed 's/^/Xen /')"

# ---- shellback: tapback's xenstore protocol played by the shell -------------
# Used to check tapdisk on real Xen independently of tapback: publishes what
# tapdisk's STATUS says the VBD offers, goes InitWait, waits for blkfront to
# be Initialised, reads its rings (single or multi-page, one or several
# queues) and hands them to tapdisk with xt-ctl connect, goes Connected.
# shellback_connect DEV PID MINOR [MAX_ORDER] [MAX_QUEUES]
shellback_connect() {
    d=$1 p=$2 m=$3 mo=${4:-0} mq=${5:-1}
    be=$(be_path "$d") fe=$(fe_path "$d")
    xt-ctl status $p $m > /tmp/sb.st || fail "xt-ctl status $p $m"
    v=$(grep '^vbd ' /tmp/sb.st)
    size=$(echo "$v" | kv size) info=$(echo "$v" | kv info) feat=$(echo "$v" | kv features)
    ss=$(echo "$v" | kv sector_size) mi=$(echo "$v" | kv max_indirect)
    set -- $be/sectors $((size / 512)) $be/sector-size ${ss:-512} $be/info $((info)) \
        $be/feature-flush-cache $(( (feat & 1) != 0 )) $be/feature-barrier $(( (feat & 2) != 0 ))
    [ $((feat & 4)) != 0 ] && set -- "$@" $be/feature-discard 1 $be/discard-granularity 4096 \
        $be/discard-alignment 0 $be/discard-secure $(( (feat & 8) != 0 ))
    [ "${mi:-0}" -gt 0 ] && set -- "$@" $be/feature-max-indirect-segments $mi
    [ "$mo" -gt 0 ] && set -- "$@" $be/max-ring-page-order $mo
    [ "$mq" -gt 1 ] && set -- "$@" $be/multi-queue-max-queues $mq
    xenstore-write "$@" $be/state 2 || fail "shellback: publish features"
    say "shellback: $d published features (flush/barrier/discard/indirect=$feat/$mi, max order $mo, max queues $mq), InitWait"
    wait_for 60 sh -c "s=\$(xenstore-read $fe/state); [ \"\$s\" = 3 ] || [ \"\$s\" = 4 ]" ||
        fail "shellback: frontend of $d not Initialised (state=$(xsr $fe/state))"
    proto=$(xsr $fe/protocol); abi=${proto%-abi}; [ -n "$abi" ] || abi=x86_32
    nq=$(xsr $fe/multi-queue-num-queues); nq=${nq:-1}
    order=$(xsr $fe/ring-page-order); order=${order:-0}
    q=0
    while [ $q -lt $nq ]; do
        qd=$fe; [ $nq -gt 1 ] && qd=$fe/queue-$q
        if [ $order -eq 0 ] && xenstore-exists $qd/ring-ref 2>/dev/null; then
            refs=$(xsr $qd/ring-ref)
        else
            refs= i=0
            while [ $i -lt $((1 << order)) ]; do refs="$refs $(xsr $qd/ring-ref$i)"; i=$((i + 1)); done
        fi
        ev=$(xsr $qd/event-channel)
        say "shellback: $d queue $q: order $order refs [$refs ] evtchn $ev protocol ${proto:-none}"
        xt-ctl connect $p $m $FE_DOM $(devid $d) $q $order $ev $abi $refs ||
            fail "shellback: xt-ctl connect queue $q of $d"
        q=$((q + 1))
    done
    xenstore-write $be/state 4 || fail "shellback: state 4"
    echo "$p $m" > $ST/$d
}
# shellback_detach DEV: backend Closing, frontend closes, rings disconnected,
# Closed, nodes removed
shellback_detach() {
    d=$1 be=$(be_path "$1") fe=$(fe_path "$1")
    read -r p m < $ST/$d || fail "no state for $d"
    xenstore-write $be/online 0 $be/state 5 || fail "xenstore-write state 5"
    wait_for 30 sh -c "s=\$(xenstore-read $fe/state); [ \"\$s\" = 5 ] || [ \"\$s\" = 6 ]" ||
        fail "shellback: frontend of $d did not close (state=$(xsr $fe/state))"
    xt-ctl disconnect $p $m || fail "xt-ctl disconnect"
    xenstore-write $be/state 6
    wait_fe_state "$d" 6 10 || fail "frontend of $d not Closed (state=$(xsr $fe/state))"
    xenstore-rm $fe; xenstore-rm $be
    wait_for 30 sh -c "! test -b /dev/$d" || fail "/dev/$d still present after detach"
    rm -f $ST/$d
    say "shellback: /dev/$d detached"
}

# ---- what was negotiated -----------------------------------------------------
# negotiated DEV: blkfront's kernel log lines, the frontend's and backend's
# xenstore nodes that carry the negotiation, and the block queue's view
negotiated() {
    d=$1 be=$(be_path "$1") fe=$(fe_path "$1")
    echo "--- negotiated for $d"
    blkfront_log
    # one xenstore-ls per directory: each xenstore-* process costs ~0.2 s under TCG
    xenstore-ls -f $fe 2>/dev/null | sed -n -E "s#^$fe/(protocol|ring-page-order|multi-queue-num-queues|feature-persistent|ring-ref|event-channel) = \"(.*)\"#  frontend \1=\2#p"
    xenstore-ls -f $be 2>/dev/null | sed -n -E "s#^$be/(max-ring-page-order|multi-queue-max-queues|feature-[a-z-]*|discard-[a-z]*|sectors|sector-size|physical-sector-size|info|mode|kthread-pid) = \"(.*)\"#  backend \1=\2#p"
    q=/sys/block/$d
    echo "  queue: hw_queues=$(ls $q/mq 2>/dev/null | wc -l) nr_requests=$(cat $q/queue/nr_requests) max_segments=$(cat $q/queue/max_segments)" \
         "max_hw_sectors_kb=$(cat $q/queue/max_hw_sectors_kb) write_cache=$(cat $q/queue/write_cache 2>/dev/null)" \
         "discard_max_bytes=$(cat $q/queue/discard_max_bytes) discard_granularity=$(cat $q/queue/discard_granularity) ro=$(cat $q/ro)"
}
# tstat DEV KEY: a value of `tap-ctl stats` for the tapdisk serving DEV
tstat() {
    read -r p m < $ST/$1 || fail "no state for $1"
    timeout 10 tap-ctl stats -p $p -m $m | sed -n "s/^$2=//p" | head -1
}

# ---- the stock toolstack: xl with backendtype=tap (libxl 4.19+) ------------
# requires_xl_tap: skip unless this Xen's xl has backendtype=tap and ships
# block-tap; logs what it found. The hotplug log goes to LOGS.
requires_xl_tap() {
    _v=$(xl info 2>/dev/null | sed -n 's/^xen_version *: *//p')
    case $_v in
        4.1[0-8]*|4.[0-9].*|'') skip "libxl $_v has no backendtype=tap (needs 4.19+: XENTAP_XEN_SUITE=trixie)" ;;
    esac
    [ -x /etc/xen/scripts/block-tap ] || skip "no /etc/xen/scripts/block-tap in this Xen"
    mkdir -p /var/log/xen
    LOGS="$LOGS /var/log/xen/xen-hotplug.log"
    say "xl $_v, block-tap present, tap-ctl is $(command -v tap-ctl)"
}
# xl_attach DEV OPTS IMG: xl block-attach 0 'OPTS, vdev=DEV, backendtype=tap,
# target=IMG' (target= must come last) must exit 0 and /dev/DEV appear;
# records "PID MINOR" of the tapdisk serving DEV (from the backend's
# pid/minor nodes) in $ST/DEV
xl_attach() {
    _d=$1 _spec="$2, vdev=$1, backendtype=tap, target=$3"
    _t0=$(up)
    xl block-attach 0 "$_spec" > /tmp/xl.out 2>&1 ||
        { cat /tmp/xl.out; fail "xl block-attach 0 '$_spec'"; }
    wait_for 60 test -b /dev/$_d || fail "/dev/$_d did not appear after xl block-attach"
    _be=$(be_path $_d)
    echo "$(xsr $_be/pid) $(xsr $_be/minor)" > $ST/$_d
    say "xl block-attach $_d ok in $(awk -v a=$_t0 -v b=$(up) 'BEGIN{printf "%.1f", b-a}')s: $(cat /sys/block/$_d/size) sectors, tapdisk $(cat $ST/$_d)"
}
# xl_detach DEV: xl block-detach must exit 0 and /dev/DEV go away
xl_detach() {
    _t0=$(up)
    xl block-detach 0 $1 > /tmp/xl.out 2>&1 || { cat /tmp/xl.out; fail "xl block-detach 0 $1"; }
    wait_for 30 sh -c "! test -b /dev/$1" || fail "/dev/$1 still present after xl block-detach"
    rm -f $ST/$1
    say "xl block-detach $1 ok in $(awk -v a=$_t0 -v b=$(up) 'BEGIN{printf "%.1f", b-a}')s"
}
# no_tapdisk_left: tap-ctl list is empty and no tapdisk process runs
no_tapdisk_left() {
    tap-ctl list > /tmp/list 2>&1; [ -s /tmp/list ] && { cat /tmp/list; fail "tap-ctl list is not empty: $*"; }
    pidof tapdisk > /dev/null && fail "a tapdisk process is left: $* ($(pidof tapdisk))"
    return 0
}

# ---- removable media ---------------------------------------------------------
# media_swap DEV PID MINOR ISO SECTORS: tap-ctl eject must take DEV's
# capacity to 0 (media-present 0, reads return no data), then tap-ctl
# insert of ISO must bring capacity SECTORS and ISO's content
media_swap() {
    _d=$1 _p=$2 _m=$3 _iso=$4 _sec=$5 _be=$(be_path $1)
    say "== tap-ctl eject"
    tap-ctl eject -p $_p -m $_m || fail "tap-ctl eject"
    tap-ctl media -p $_p -m $_m | sed 's/^/  media: /'
    wait_for 30 sh -c "[ \$(cat /sys/block/$_d/size) = 0 ]" || fail "capacity still $(cat /sys/block/$_d/size) after eject"
    [ "$(xsr $_be/media-present)" = 0 ] || fail "media-present is not 0 after eject"
    # with capacity 0 the kernel answers reads with end-of-device: no data
    _n=$(dd if=/dev/$_d bs=4k count=1 iflag=direct 2>/dev/null | wc -c)
    [ "$_n" = 0 ] || fail "a read with no medium returned $_n bytes"
    say "ok: capacity 0, media-present 0, reads return no data"
    say "== tap-ctl insert $_iso"
    tap-ctl insert -p $_p -m $_m -a aio:$_iso || fail "tap-ctl insert"
    wait_for 30 sh -c "[ \$(cat /sys/block/$_d/size) = $_sec ]" || fail "capacity $(cat /sys/block/$_d/size) after insert, want $_sec"
    [ "$(xsr $_be/media-present)" = 1 ] || fail "media-present is not 1 after insert"
    bounded 60 dd if=/dev/$_d of=/tmp/got bs=1M count=$((_sec / 2048)) iflag=direct 2>/dev/null || fail "read of the new disc"
    [ "$(md5 < /tmp/got)" = "$(md5 < $_iso)" ] || fail "/dev/$_d does not read back $_iso"
    say "ok: capacity $_sec sectors and the new disc reads back"
}
