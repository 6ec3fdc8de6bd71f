#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# xen-harness.sh: run one xentap test inside a real Xen dom0, booted under
# QEMU (TCG), built from Debian packages only.
#
#   qemu-system-x86_64 (TCG) -> Xen (multiboot) -> Debian Linux as PV dom0
#
# Debian's Xen hypervisor, Xen tools, kernel, busybox and libraries are
# fetched with `apt-get download` into a cache and unpacked with dpkg-deb -x
# (nothing is installed into / except qemu-system-x86, when missing). The dom0
# initramfs is two concatenated cpio archives:
#   base     Debian bits: busybox, bash, util-linux tools, Xen tools,
#            xenstored, kernel modules, shared libraries (cached per suite)
#   overlay  this run: our /init (dom0-init.sh), the test and its helpers
#            (lib-dom0.sh), the build's tapdisk, tap-ctl and tapback (when
#            built), the xt-ctl helper, and host libraries they need that
#            the base lacks (liburing, libaio; found with ldd)
# dom0's /init brings up xenstored, runs the test, prints
# "XENTAP-EXIT=<status>" on the console (hvc0 -> Xen -> serial) and powers
# off; this script reads the serial log and exits with the test's status.
#
# Usage: xen-harness.sh [options] -t TEST
#   -t FILE        test script, run in dom0 as /xentap/test.sh (busybox sh)
#   -B DIR         build directory (tapdisk/tapdisk, control/tap-ctl,
#                  control/tapback; default $XENTAP_BUILDDIR, else the
#                  directory the command runs in if it holds tapdisk/tapdisk)
#   -A ARGS        extra dom0 kernel arguments (appended to $XENTAP_DOM0_ARGS
#                  and to the test's "# xentap-dom0-args:" header), e.g.
#                  "xen_blkfront.max_ring_page_order=4 xen_blkfront.max_queues=2"
#                  (module.param=value reaches the module: /init passes it
#                  to insmod)
#   -X ARGS        extra Xen command line arguments (also $XENTAP_XEN_ARGS)
#   -a SRC[:DEST]  add a file to the overlay (DEST default
#                  /usr/local/bin/<name>); ELF files get missing libraries
#   -T SECONDS     timeout of the boot + test (default: the test's
#                  "# xentap-timeout:" header, else 300). dom0 stops the test
#                  itself 20 s before, to print its diagnostics
#   -o FILE        write the serial log there (default CACHE/SUITE/serial.log)
#   -b             build only (downloads, base, overlay), do not boot
#   -q             quiet: do not stream the serial console
#   -i             interactive: serial on this terminal, a shell in dom0
#                  after the test (Ctrl-a x quits QEMU)
#   -h             this text
# Environment:
#   XENTAP_XEN_SUITE   bookworm (default: Xen 4.17, Linux 6.1, the host's apt
#                      sources) or trixie (Xen 4.20, Linux 6.12, through a
#                      private apt state in CACHE/trixie/apt; the host's apt
#                      configuration is neither read nor changed)
#   XENTAP_XEN_CACHE   cache folder (default ${TMPDIR:-/var/tmp}/xentap-xen-cache);
#                      one sub-folder per suite
#   XENTAP_XEN_MIRROR  archive URI for trixie (default: the first non-security
#                      URIs: of /etc/apt/sources.list.d/*.sources, or the
#                      first deb line of /etc/apt/sources.list)
#   XENTAP_QEMU_ACCEL  tcg (default) or kvm
#   XENTAP_QEMU_CPU    QEMU's -cpu under TCG (default max), e.g. max,-erms
#   XENTAP_XEN_MEM     QEMU memory in MiB (2048); XENTAP_DOM0_MEM (1024M)
#   XENTAP_XEN_SMP     vCPUs of the machine and of dom0 (2)
#   XENTAP_DOM0_ARGS / XENTAP_XEN_ARGS   extra kernel / Xen arguments
#   XENTAP_XEN_PERF    1: add perf (Debian's linux-perf for the suite's kernel,
#                      fetched into the cache) to the overlay, with the shared
#                      libraries it needs from the host (the host needs them,
#                      e.g. linux-perf installed there too); tests that find
#                      perf in dom0 profile with it (t-60). Off by default:
#                      it adds some 25 MiB to the initramfs
# Exit status: the test's (0 pass, 1 fail, 77 skip, ...); 124 timeout;
# 125 no exit marker (dom0 or Xen crashed, QEMU died); 2 usage or build error.
set -euo pipefail
# The body is one block: bash parses it whole before running, so editing
# this file while it runs cannot break a run.
{

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HERE/../.." && pwd)
SUITE=${XENTAP_XEN_SUITE:-bookworm}
CACHE=${XENTAP_XEN_CACHE:-${TMPDIR:-/var/tmp}/xentap-xen-cache}
ACCEL=${XENTAP_QEMU_ACCEL:-tcg}
MEM=${XENTAP_XEN_MEM:-2048}
DOM0_MEM=${XENTAP_DOM0_MEM:-1024M}
SMP=${XENTAP_XEN_SMP:-2}
BUILDDIR=${XENTAP_BUILDDIR:-}
TEST= TIMEOUT= SERIAL= BUILD_ONLY=0 QUIET=0 INTERACTIVE=0
DOM0_EXTRA=${XENTAP_DOM0_ARGS:-} XEN_EXTRA=${XENTAP_XEN_ARGS:-}
ADDS=()

usage() { sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while getopts "t:B:A:X:a:T:o:bqih" o; do
    case $o in
        t) TEST=$OPTARG ;;  B) BUILDDIR=$OPTARG ;;
        A) DOM0_EXTRA="$DOM0_EXTRA $OPTARG" ;;  X) XEN_EXTRA="$XEN_EXTRA $OPTARG" ;;
        a) ADDS+=("$OPTARG") ;;  T) TIMEOUT=$OPTARG ;;  o) SERIAL=$OPTARG ;;
        b) BUILD_ONLY=1 ;;  q) QUIET=1 ;;  i) INTERACTIVE=1 ;;
        h) usage; exit 0 ;;  *) usage >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; exit 2; }

log() { echo "xen-harness: $*" >&2; }
die() { log "ERROR: $*"; exit 2; }
now() { date +%s.%N; }
dt()  { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }
# header VALUE-NAME FILE: the value of a "# xentap-NAME: value" test header
header() { sed -n "s/^# xentap-$1:[[:space:]]*//p" "$2" | head -1; }
T_START=$(now)

if [ -z "$BUILDDIR" ] && [ -x ./tapdisk/tapdisk ]; then BUILDDIR=$PWD; fi
[ -n "$BUILDDIR" ] || die "no build directory: use -B DIR or XENTAP_BUILDDIR"
d=$(cd "$BUILDDIR" 2>/dev/null && pwd) || die "build directory $BUILDDIR not found"; BUILDDIR=$d
[ -x "$BUILDDIR/tapdisk/tapdisk" ] || die "$BUILDDIR/tapdisk/tapdisk not built (make first)"
if [ $BUILD_ONLY = 0 ] || [ -n "$TEST" ]; then
    [ -n "$TEST" ] || die "no test (-t FILE)"
    [ -f "$TEST" ] || die "test $TEST not found"
    TEST=$(cd "$(dirname "$TEST")" && pwd)/$(basename "$TEST")
    [ -n "$TIMEOUT" ] || TIMEOUT=$(header timeout "$TEST")
    DOM0_EXTRA="$(header dom0-args "$TEST") $DOM0_EXTRA"
fi
TIMEOUT=${TIMEOUT:-300}
case $TIMEOUT in ''|*[!0-9]*) die "bad timeout '$TIMEOUT'" ;; esac

case $SUITE in
    bookworm) XENVER=4.17 SUITE_PKGS=(libext2fs2) ;;
    trixie)   XENVER=4.20 SUITE_PKGS=(libext2fs2t64 libncurses6) ;;
    *)        die "XENTAP_XEN_SUITE=$SUITE: use bookworm or trixie" ;;
esac
W=$CACHE/$SUITE
mkdir -p "$W"
SERIAL=${SERIAL:-$W/serial.log}

# --- 0. host tools -----------------------------------------------------------
if ! command -v qemu-system-x86_64 >/dev/null; then
    [ "$(id -u)" = 0 ] || die "qemu-system-x86_64 missing: apt-get install qemu-system-x86"
    log "installing qemu-system-x86 (host tool)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        qemu-system-x86 >/dev/null || die "apt-get install qemu-system-x86 failed"
fi
for t in apt-get apt-cache dpkg-deb gzip ldd awk flock timeout gcc; do
    command -v $t >/dev/null || die "$t missing on the host"
done

# --- 1. base: download, extract, build the base cpio (cached, locked) ---------
# Several harness runs may share the cache: the base is built under a lock.
exec 9>"$W/lock"
flock 9
APT_O=()
if [ "$SUITE" != bookworm ]; then
    # A private apt state: own sources, lists, cache and an empty dpkg
    # status, so the host's /etc/apt and /var/lib/apt stay untouched.
    A=$W/apt; mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
    MIRROR=${XENTAP_XEN_MIRROR:-$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
                                   awk '/^URIs:/ && !/security/ {print $2; exit}')}
    [ -n "$MIRROR" ] || MIRROR=$(awk '/^deb / && !/security/ {for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {print $i; exit}}' \
                                 /etc/apt/sources.list 2>/dev/null | head -1)
    [ -n "$MIRROR" ] || die "no Debian archive URI found; set XENTAP_XEN_MIRROR"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" > "$A/sources.list"
    APT_O=(-o "Dir::Etc::SourceList=$A/sources.list" -o Dir::Etc::SourceParts=/dev/null
           -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache" -o Dir::State::status=/dev/null)
    if [ -z "$(find "$A" -maxdepth 1 -name updated -mmin -1440)" ]; then   # refresh daily
        log "apt-get update ($SUITE from $MIRROR, private state in $A)"
        apt-get "${APT_O[@]}" update -q >/dev/null || die "apt-get update ($SUITE) failed"
        touch "$A/updated"
    fi
fi
KPKG=$(apt-cache "${APT_O[@]}" depends linux-image-amd64 2>/dev/null |
       awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$KPKG" ] || die "cannot resolve linux-image-amd64 (apt-get update first)"
KVER=${KPKG#linux-image-}
PKGS=(xen-hypervisor-$XENVER-amd64 xen-utils-$XENVER xenstore-utils xen-utils-common
      libxenmisc$XENVER libxenstore4 libxengnttab1 libxenevtchn1 libxencall1
      libxenforeignmemory1 libxendevicemodel1 libxentoollog1 libxentoolcore1
      libxenhypfs1 libyajl2 "$KPKG" busybox-static bash util-linux libblkid1
      libc6 libgcc-s1 libuuid1 "${SUITE_PKGS[@]}" libcom-err2 liblzma5 libzstd1
      zlib1g libtinfo6 libncursesw6)
DEBS=$W/debs; mkdir -p "$DEBS"
need=()
for p in "${PKGS[@]}"; do ls "$DEBS/${p}_"*.deb >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
    log "apt-get download ${need[*]}"
    chown _apt "$DEBS" 2>/dev/null || true     # apt's sandbox user may write there
    (cd "$DEBS" && apt-get "${APT_O[@]}" download -q "${need[@]}" >/dev/null) ||
        die "apt-get download failed (apt-get update, or check the mirror)"
fi
PKGROOT=$W/pkgroot
sig=$( (cd "$DEBS" && for p in "${PKGS[@]}"; do ls "${p}"_*.deb; done; md5sum "$HERE/xen-harness.sh") | md5sum)
if [ "$(cat "$W/base.sig" 2>/dev/null)" != "$sig" ] || [ ! -f "$W/base.cpio.gz" ]; then
    log "extracting .debs and building the base initramfs"
    rm -rf "$PKGROOT"; mkdir -p "$PKGROOT"
    for p in "${PKGS[@]}"; do for d in "$DEBS/${p}_"*.deb; do dpkg-deb -x "$d" "$PKGROOT"; done; done
    # A file of the extracted tree: bookworm has /bin, /lib; trixie (merged
    # /usr) only /usr/bin, /usr/lib.
    pkgf() { local f; for f in "$PKGROOT$1" "$PKGROOT/usr$1"; do [ -e "$f" ] && { echo "$f"; return 0; }; done
             log "ERROR: $1 not found in the extracted packages"; return 1; }
    R=$W/base; rm -rf "$R"
    mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,usr/local/sbin,lib/x86_64-linux-gnu} \
             "$R"/{lib/modules/xentap,etc,proc,sys,dev,run,tmp,root,xentap,lib64}
    ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$R/lib64/"
    LIBDIR=$R/lib/x86_64-linux-gnu
    f=$(pkgf /bin/busybox) || die "no busybox"; cp "$f" "$R/bin/"
    for a in $("$R/bin/busybox" --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
    f=$(pkgf /bin/bash) || die "no bash"; cp -f "$f" "$R/bin/bash"   # Xen's hotplug scripts are bash
    for t in flock blkdiscard; do                         # util-linux: better than busybox's
        f=$(pkgf /usr/bin/$t 2>/dev/null || pkgf /sbin/$t) || die "no $t"
        rm -f "$R/bin/$t"; cp -f "$f" "$R/usr/bin/$t"
    done
    # Every shared library of the extracted packages, flat
    for d in lib usr/lib; do
        [ -d "$PKGROOT/$d/x86_64-linux-gnu" ] && cp -a "$PKGROOT/$d/x86_64-linux-gnu"/*.so* "$LIBDIR/"
    done
    [ -e "$LIBDIR/ld-linux-x86-64.so.2" ] || die "no dynamic loader in the packages"
    mkdir -p "$R/usr/lib/xen-$XENVER"
    cp -a "$PKGROOT/usr/lib/xen-$XENVER/bin" "$R/usr/lib/xen-$XENVER/"
    find "$PKGROOT/usr/bin" "$PKGROOT/usr/sbin" -maxdepth 1 -name 'xen*' -type f -exec cp -a {} "$R/usr/bin/" \;
    cp -a "$PKGROOT/etc/xen" "$R/etc/"
    printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
    printf 'root:x:0:\n' > "$R/etc/group"
    # Kernel modules and their dependencies (depends= of .modinfo), in load order
    MODDIR=$(pkgf "/lib/modules/$KVER") || die "no modules for $KVER"
    ORDER=()
    addmod() {
        local m=$1 f d
        for d in "${ORDER[@]}"; do [ "$d" = "$m.ko" ] && return 0; done
        f=$(find "$MODDIR" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \) | head -1)
        [ -n "$f" ] || die "kernel module $m not found"
        case $f in
            *.xz)  xz -dc "$f" > "$R/lib/modules/xentap/$m.ko" ;;
            *.zst) zstd -qdc "$f" > "$R/lib/modules/xentap/$m.ko" ;;
            *)     cp "$f" "$R/lib/modules/xentap/$m.ko" ;;
        esac
        for d in $(tr '\0' '\n' < "$R/lib/modules/xentap/$m.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
            addmod "$d"
        done
        ORDER+=("$m.ko")
    }
    # xen-blkback is not loaded: backend/vbd3 is ours anyway, and t-60 loads
    # it (from extra/) only to compare.
    for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkfront loop crc32c_generic ext4; do addmod "$m"; done
    printf '%s\n' "${ORDER[@]}" > "$R/lib/modules/xentap/order"
    # The kernel blkback, for comparisons only: not loaded at boot
    mkdir -p "$R/lib/modules/xentap/extra"
    f=$(find "$MODDIR" \( -name xen-blkback.ko -o -name xen-blkback.ko.xz -o -name xen-blkback.ko.zst \) | head -1)
    case $f in
        *.xz)  xz -dc "$f" > "$R/lib/modules/xentap/extra/xen-blkback.ko" ;;
        *.zst) zstd -qdc "$f" > "$R/lib/modules/xentap/extra/xen-blkback.ko" ;;
        ?*)    cp "$f" "$R/lib/modules/xentap/extra/xen-blkback.ko" ;;
    esac
    echo "suite=$SUITE xen=$XENVER kernel=$KVER" > "$R/etc/xentap-base"
    gzip -dc "$PKGROOT/boot/xen-$XENVER-amd64.gz" > "$W/xen"   # QEMU's multiboot wants the ELF
    cp "$PKGROOT/boot/vmlinuz-$KVER" "$W/vmlinuz"
    # cpio: the extracted busybox's (the host may have no cpio)
    ( cd "$R" && find . | "$R/bin/busybox" cpio -o -H newc 2>/dev/null ) | gzip -1 > "$W/base.cpio.gz.new"
    mv "$W/base.cpio.gz.new" "$W/base.cpio.gz"
    echo "$sig" > "$W/base.sig"
fi
flock -u 9

# --- 2. overlay: this run's /init, test, binaries ------------------------------
RUN=$(mktemp -d "$W/run.XXXXXX")
QPID= TAILPID=
cleanup() {
    [ -n "$QPID" ] && kill "$QPID" 2>/dev/null || true
    [ -n "$TAILPID" ] && kill "$TAILPID" 2>/dev/null || true
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
O=$RUN/overlay LIBDIR_O=$O/lib/x86_64-linux-gnu
mkdir -p "$O/xentap" "$O/usr/local/bin" "$O/usr/local/sbin" "$LIBDIR_O"
sed "s/@XENVER@/$XENVER/g" "$HERE/dom0-init.sh" > "$O/init"; chmod 755 "$O/init"
cp "$HERE/lib-dom0.sh" "$O/xentap/lib-dom0.sh"
[ -n "$TEST" ] && { cp "$TEST" "$O/xentap/test.sh"; echo "$(basename "$TEST" .sh)" > "$O/xentap/test-name"; }
# Our binaries, as built (libtool wrappers are not used: plain automake)
addbin() {  # addbin SRC DEST
    mkdir -p "$O$(dirname "$2")"; cp -L "$1" "$O$2"
}
addbin "$BUILDDIR/tapdisk/tapdisk" /usr/local/sbin/tapdisk
for b in tap-ctl tapback; do
    f=$(find "$BUILDDIR" -maxdepth 3 -name "$b" -type f -perm -u+x 2>/dev/null | head -1)
    if [ -n "$f" ]; then addbin "$f" "/usr/local/sbin/$b"; else log "note: $b not built (tests that need it skip)"; fi
done
# xt-ctl: a small libtapctl client for what tap-ctl may not (yet) offer
XTCTL=$BUILDDIR/tests/xen/xt-ctl
if [ ! -x "$XTCTL" ] || [ "$HERE/xt-ctl.c" -nt "$XTCTL" ] || [ "$BUILDDIR/control/libtapctl.a" -nt "$XTCTL" ]; then
    mkdir -p "$BUILDDIR/tests/xen"
    gcc -O2 -Wall -Wextra -Wno-unused-parameter -include "$BUILDDIR/config.h" \
        -I"$SRCDIR/control" -I"$SRCDIR/tapdisk" -o "$XTCTL" "$HERE/xt-ctl.c" \
        "$BUILDDIR/control/libtapctl.a" || die "cannot build xt-ctl"
fi
addbin "$XTCTL" /usr/local/bin/xt-ctl
# xt-io: an O_DIRECT load generator with a queue depth (fio does not fit)
XTIO=$BUILDDIR/tests/xen/xt-io
if [ ! -x "$XTIO" ] || [ "$HERE/xt-io.c" -nt "$XTIO" ]; then
    mkdir -p "$BUILDDIR/tests/xen"
    gcc -O2 -Wall -Wextra -o "$XTIO" "$HERE/xt-io.c" || die "cannot build xt-io"
fi
addbin "$XTIO" /usr/local/bin/xt-io
# perf (optional): the suite's linux-perf, its libraries through ldd below
if [ "${XENTAP_XEN_PERF:-0}" = 1 ]; then
    ls "$DEBS"/linux-perf_*.deb >/dev/null 2>&1 || { chown _apt "$DEBS" 2>/dev/null || true
        (cd "$DEBS" && apt-get "${APT_O[@]}" download -q linux-perf >/dev/null); } ||
        die "XENTAP_XEN_PERF=1: apt-get download linux-perf failed"
    mkdir -p "$RUN/perf"
    for d in "$DEBS"/linux-perf_*.deb; do dpkg-deb -x "$d" "$RUN/perf"; done
    f=$RUN/perf/usr/bin/perf
    head -c4 "$f" 2>/dev/null | grep -q ELF || f=$(ls "$RUN"/perf/usr/bin/perf_[0-9]* 2>/dev/null | head -1)
    [ -f "$f" ] || die "XENTAP_XEN_PERF=1: no perf binary in linux-perf"
    addbin "$f" /usr/bin/perf
    ldd "$f" | grep -q 'not found' && log "warning: perf needs libraries the host lacks: $(ldd "$f" | awk '/not found/ {printf "%s ", $1}')"
    rm -rf "$RUN/perf"
fi
for spec in "${ADDS[@]}"; do
    src=${spec%%:*}; dst=${spec#*:}; [ "$dst" = "$spec" ] && dst=/usr/local/bin/$(basename "$src")
    [ -e "$src" ] || die "-a $src: not found"
    mkdir -p "$O$(dirname "$dst")"; cp -a "$src" "$O$dst"
done
# Shared libraries the base lacks, from the host (ldd)
while IFS= read -r f; do
    [ "$(head -c4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
    for lib in $(ldd "$f" 2>/dev/null | awk '/=> \// {print $3}'); do
        n=$(basename "$lib")
        [ -e "$W/base/lib/x86_64-linux-gnu/$n" ] || [ -e "$LIBDIR_O/$n" ] || cp -L "$lib" "$LIBDIR_O/"
    done
done < <(find "$O" -type f)
( cd "$O" && find . | "$W/base/bin/busybox" cpio -o -H newc 2>/dev/null ) | gzip -1 > "$RUN/overlay.cpio.gz"
# The kernel unpacks concatenated (separately compressed) cpio archives in turn
cat "$W/base.cpio.gz" "$RUN/overlay.cpio.gz" > "$RUN/dom0.cpio.gz"
T_BUILT=$(now)
log "built: $SUITE, Xen $XENVER, kernel $KVER, initramfs $(du -k "$RUN/dom0.cpio.gz" | cut -f1) KiB in $(dt "$T_START" "$T_BUILT")s"
if [ $BUILD_ONLY = 1 ]; then cp "$RUN/dom0.cpio.gz" "$W/dom0.cpio.gz"; log "initramfs: $W/dom0.cpio.gz"; exit 0; fi

# --- 3. boot -------------------------------------------------------------------
case $ACCEL in
    kvm) ACCEL_ARGS=(-accel kvm -cpu host) ;;
    *)   ACCEL_ARGS=(-accel tcg,thread=multi -cpu "${XENTAP_QEMU_CPU:-max}") ;;
esac
# smap=0: under TCG, Xen 4.17/4.20 with SMAP fault in create_bounce_frame on
# dom0's stack and dom0 dies at once. bootscrub=0 saves TCG time.
XEN_ARGS="console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all console_timestamps=boot
 smap=0 bootscrub=0 dom0_mem=$DOM0_MEM,max:$DOM0_MEM dom0_max_vcpus=$SMP $XEN_EXTRA"
# loglevel=5: only warnings and worse reach the console; tests print the
# blkfront lines they want from dmesg. dom0 stops the test 20 s before us.
DOM0_ARGS="console=hvc0 earlyprintk=xen rdinit=/init loglevel=5 xentap.timeout=$((TIMEOUT > 60 ? TIMEOUT - 20 : TIMEOUT)) $DOM0_EXTRA"
[ $INTERACTIVE = 1 ] && DOM0_ARGS+=" xentap.shell"
DOM0_ARGS=$(echo $DOM0_ARGS)
case $DOM0_ARGS in *,*) die "dom0 arguments may not contain a comma (QEMU's module list)" ;; esac
QEMU=(qemu-system-x86_64 "${ACCEL_ARGS[@]}" -smp "$SMP" -m "$MEM" -no-reboot
      -nographic -vga none -nic none
      -kernel "$W/xen" -append "$(echo $XEN_ARGS)"
      -initrd "$W/vmlinuz $DOM0_ARGS,$RUN/dom0.cpio.gz")
log "dom0 args: $DOM0_ARGS"
if [ $INTERACTIVE = 1 ]; then
    timeout --foreground "$TIMEOUT" "${QEMU[@]}" -serial mon:stdio; exit $?
fi
mkdir -p "$(dirname "$SERIAL")"; : > "$SERIAL"
T_QEMU=$(now)
"${QEMU[@]}" -monitor none -serial "file:$SERIAL" >"$RUN/qemu.out" 2>&1 &
QPID=$!
[ $QUIET = 1 ] || { tail -n +1 -f "$SERIAL" & TAILPID=$!; }
T_READY= T_DONE= RC= HWM=
deadline=$(awk -v a="$T_QEMU" -v t="$TIMEOUT" 'BEGIN{printf "%d", a + t}')
while kill -0 "$QPID" 2>/dev/null; do
    [ -z "$T_READY" ] && grep -aq 'XENTAP: dom0 ready' "$SERIAL" && T_READY=$(now)
    h=$(awk '/VmHWM/ {print $2}' "/proc/$QPID/status" 2>/dev/null || true); [ -n "$h" ] && HWM=$h
    if RCL=$(grep -ao 'XENTAP-EXIT=[0-9]*' "$SERIAL" | head -1) && [ -n "$RCL" ]; then
        RC=${RCL#XENTAP-EXIT=}; T_DONE=$(now)
        for _ in $(seq 30); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.1; done
        break
    fi
    [ "$(date +%s)" -ge "$deadline" ] && break
    sleep 0.2
done
if [ -z "$RC" ]; then
    RCL=$(grep -ao 'XENTAP-EXIT=[0-9]*' "$SERIAL" | head -1 || true); RC=${RCL#XENTAP-EXIT=}
    T_DONE=$(now)
fi
TIMED_OUT=0; kill -0 "$QPID" 2>/dev/null && [ -z "$RC" ] && TIMED_OUT=1
kill "$QPID" 2>/dev/null || true; wait "$QPID" 2>/dev/null || true; QPID=
[ -n "$TAILPID" ] && { sleep 0.3; kill "$TAILPID" 2>/dev/null || true; wait "$TAILPID" 2>/dev/null || true; TAILPID=; }
[ $QUIET = 1 ] || echo
log "timings (s): build=$(dt "$T_START" "$T_BUILT") qemu->dom0_ready=${T_READY:+$(dt "$T_QEMU" "$T_READY")}" \
    "test=${T_READY:+$(dt "$T_READY" "$T_DONE")} total=$(dt "$T_START" "$(now)") qemu_peak_rss=${HWM:-?}kB; serial log $SERIAL"
if [ -z "$RC" ]; then
    if [ $TIMED_OUT = 1 ]; then log "TIMEOUT after ${TIMEOUT}s"; exit 124; fi
    log "no XENTAP-EXIT marker (Xen or dom0 crashed?); QEMU said: $(tr '\n' ' ' < "$RUN/qemu.out")"
    tail -25 "$SERIAL" >&2
    exit 125
fi
log "test exit status $RC"
exit "$RC"
}; exit
