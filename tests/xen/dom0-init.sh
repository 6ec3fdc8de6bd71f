#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# /init of the dom0 initramfs that xen-harness.sh builds (PID 1 in the Xen PV
# dom0, busybox ash). Brings up the Xen userspace plumbing (modules with
# their parameters from the kernel command line, xenfs, xenstored,
# xen-init-dom0, syslogd for daemonized tapdisks), runs /xentap/test.sh under
# a timeout, and prints on the console (hvc0 -> Xen -> serial):
#   XENTAP: dom0 ready ...      when the test starts
#   XENTAP-EXIT=<status>        at the end; the host side exits with it
# Kernel command line: xentap.timeout=N (seconds for the test),
# xentap.shell (a shell after the test), module.param=value (for insmod).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-@XENVER@/bin
export HOME=/root TERM=dumb
up() { cut -d' ' -f1 /proc/uptime; }
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p" | tail -1; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
# devtmpfs lacks these; Xen's hotplug scripts (locking.sh) need /dev/stdin
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /run /tmp /var/run /var/log /var/lib/xen /var/lib/xenstored /root
mount -t tmpfs tmpfs /run
mount -t tmpfs -o size=768m tmpfs /tmp
mkdir -p /run/xen /run/xenstored /var/log/xen /run/blktap-control
echo "XENTAP: dom0 init uptime=$(up)"

# Modules in dependency order, with module.param=value from the command line
while read -r m; do
    mod=$(echo "${m%.ko}" | tr - _)
    params=$(tr ' ' '\n' < /proc/cmdline | sed -n "s/^$mod\.//p")
    insmod "/lib/modules/xentap/$m" $params || echo "XENTAP: insmod $m $params failed"
done < /lib/modules/xentap/order

mount -t xenfs xenfs /proc/xen
xenstored --pid-file /run/xenstored.pid
i=0
until xenstore-exists /local >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && { echo "XENTAP: xenstored did not come up"; break; }
    sleep 0.1
done
xen-init-dom0 >/tmp/xen-init-dom0.log 2>&1 || { echo "XENTAP: xen-init-dom0 failed:"; cat /tmp/xen-init-dom0.log; }
# Daemonized tapdisks and tapback log to syslog: keep it in a file
syslogd -O /run/messages
export TIMEOUT_S=$(arg xentap.timeout)
echo "XENTAP: dom0 ready uptime=$(up) test=$(cat /xentap/test-name 2>/dev/null) vcpus=$(grep -c ^processor /proc/cpuinfo) mem_free_kB=$(awk '/MemFree/ {print $2}' /proc/meminfo)"

rc=0
if [ -f /xentap/test.sh ]; then
    cd /xentap
    # Own process group, so that a hung test and its children can be killed
    setsid sh /xentap/test.sh </dev/null &
    tpid=$!
    lim=${TIMEOUT_S:-280}
    read -r u _ < /proc/uptime; end=$((${u%.*} + lim))
    # nap without a fork (a read with a timeout on a FIFO nobody writes)
    mkfifo /run/init-nap; exec 8<>/run/init-nap
    while kill -0 $tpid 2>/dev/null; do
        read -r u _ < /proc/uptime; [ ${u%.*} -ge $end ] && break
        read -r -t 0.2 _ <&8 || :
    done
    exec 8<&-
    if kill -0 $tpid 2>/dev/null; then
        echo "XENTAP: test still running after ${lim}s: diagnostics"
        ps -o pid,ppid,stat,args 2>/dev/null || ps
        # tasks in uninterruptible sleep (I/O that never completes), with stacks
        for p in /proc/[0-9]*; do
            read -r l < $p/stat 2>/dev/null || continue
            set -- $l
            [ "$3" = D ] && echo "  D: $1 $2 $(tr '\n' ' ' < $p/stack 2>/dev/null | cut -c1-400)"
        done
        echo "--- dmesg (tail)"; dmesg | tail -30
        echo "--- syslog (tail)"; tail -40 /run/messages 2>/dev/null
        kill -KILL -$tpid 2>/dev/null; kill -KILL $tpid 2>/dev/null
        rc=124
    else
        wait $tpid; rc=$?
    fi
    cd /
else
    echo "XENTAP: no /xentap/test.sh"
fi
echo "XENTAP: test done uptime=$(up)"
echo "XENTAP-EXIT=$rc"

if grep -qw xentap.shell /proc/cmdline; then
    echo "XENTAP: interactive shell (exit to power off)"
    setsid cttyhack sh
fi
sync
poweroff -f
sleep 1000000
