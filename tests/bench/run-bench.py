#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""xentap benchmark suite: tapdisk (driven by simfront) against fio.

For every row, the same workload runs on the same image file twice, in
alternation, several times: fio directly on the file (the baseline), and
simfront's load mode through a tapdisk on the simulated hypervisor. Both
the baseline and tapdisk are pinned to one CPU; the simulated guest runs on
that CPU or on another one. The table shows the medians of the runs, the
ratio to the baseline and PASS/MISS against the performance targets. The
rows are also written as JSON. See tests/bench/README.md.

Typical use: `make bench` (or `make bench-quick`) in the build tree, or
    tests/bench/run-bench.py --builddir BUILD [--quick] [options]
"""
import argparse
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

# ---- targets (from the performance issue) ---------------------------------
TARGET_RAND_RATIO = 0.90    # 4 KiB random, QD >= 32: IOPS vs baseline
TARGET_SEQ_RATIO = 0.95     # 44 KiB and 1 MiB sequential: MB/s vs baseline
TARGET_CPU_RATIO = 1.20     # tapdisk CPU per I/O vs fio's
NOISY_CPUS = 0.25           # other processes used more CPU than this: row marked ~
# QD 1: p50 latency <= baseline p50 + one notification round trip

# ---- the matrix -------------------------------------------------------------
# name, rw, bs, qd, ring order, indirect
WORKLOADS = [
    ("randread-4k-qd1", "randread", 4096, 1, 0, False),
    ("randread-4k-qd32", "randread", 4096, 32, 0, False),
    ("randread-4k-qd128", "randread", 4096, 128, 2, False),
    ("randwrite-4k-qd1", "randwrite", 4096, 1, 0, False),
    ("randwrite-4k-qd32", "randwrite", 4096, 32, 0, False),
    ("randwrite-4k-qd128", "randwrite", 4096, 128, 2, False),
    ("read-44k-qd32", "read", 45056, 32, 0, False),      # 11 segments, direct
    ("write-44k-qd32", "write", 45056, 32, 0, False),
    ("read-1m-qd8", "read", 1048576, 8, 0, True),         # 256 segments, indirect
    ("write-1m-qd8", "write", 1048576, 8, 0, True),
]
QUICK_WORKLOADS = ["randread-4k-qd1", "randread-4k-qd32", "randwrite-4k-qd128",
                   "read-44k-qd32", "write-1m-qd8"]

# image kinds: where the file lives and whether the I/O bypasses the cache
IMAGES = {
    "pagecache": {"fs": "root", "direct": False,
                  "what": "file on the root file system, in the page cache"},
    "tmpfs": {"fs": "tmpfs", "direct": False, "what": "file in tmpfs"},
    "direct": {"fs": "root", "direct": True,
               "what": "file on the root file system, O_DIRECT"},
}
ENGINES = ["io_uring", "libaio"]
# tapdisk --grant (tapdisk(8)): one tapdisk, and one row set, per mode
DEFAULT_MODES = "copy:--grant copy;map:--grant map;persistent:--grant persistent"
PLACEMENTS = ["same", "other"]

# ---- the control protocol (doc/control-protocol.md) -----------------------
MAGIC = 0x50415458
MSG_STATUS, MSG_VBD_OPEN, MSG_VBD_CLOSE = 1, 2, 3
A_STATUS, A_MESSAGE, A_MINOR, A_PARAMS, A_FLAGS = 1, 2, 3, 4, 5
A_PID, A_ENGINE, A_XENIO, A_VBD, A_RING, A_COUNTERS = 13, 14, 15, 16, 17, 18
F_NO_DIRECT = 1 << 3
KNOWN_TOP_ATTRS = {A_STATUS, A_MESSAGE, A_PID, A_ENGINE, A_XENIO, A_VBD}
STAT_REQ_READ, STAT_REQ_WRITE, STAT_NOTIFY_SENT, STAT_EVENTS = 0, 1, 14, 15


def attrs_encode(attrs):
    out = b""
    for tag, val in attrs:
        out += struct.pack("<HH", tag, len(val)) + val
    return out


def attrs_decode(buf):
    out, off = [], 0
    while off + 4 <= len(buf):
        tag, alen = struct.unpack_from("<HH", buf, off)
        out.append((tag, buf[off + 4:off + 4 + alen]))
        off += 4 + alen
    return out


class CtlError(Exception):
    pass


def ctl_call(sock_path, mtype, attrs=()):
    """One request, one reply: returns the reply's attribute list."""
    payload = attrs_encode(attrs)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect(sock_path)
        s.sendall(struct.pack("<IHHII", MAGIC, 1, mtype, 1, len(payload)) + payload)
        data = b""
        while len(data) < 16 or len(data) < 16 + struct.unpack_from("<I", data, 12)[0]:
            chunk = s.recv(1 << 20)
            if not chunk:
                raise CtlError("connection closed by tapdisk")
            data += chunk
    finally:
        s.close()
    magic, _ver, _mtype, _seq, plen = struct.unpack_from("<IHHII", data, 0)
    if magic != MAGIC:
        raise CtlError("bad reply magic")
    reply = attrs_decode(data[16:16 + plen])
    st = [struct.unpack("<i", v)[0] for t, v in reply if t == A_STATUS]
    if not st or st[0] != 0:
        msg = [v.decode(errors="replace") for t, v in reply if t == A_MESSAGE]
        raise CtlError("status %s: %s" % (st[0] if st else "?", msg[0] if msg else ""))
    return reply


def u32(v):
    return struct.pack("<I", v)


def ctl_vbd_open(sock, minor, params, flags):
    ctl_call(sock, MSG_VBD_OPEN, [(A_MINOR, u32(minor)), (A_PARAMS, params.encode()),
                                  (A_FLAGS, u32(flags))])


def ctl_vbd_close(sock, minor):
    ctl_call(sock, MSG_VBD_CLOSE, [(A_MINOR, u32(minor))])


def ctl_status(sock, minor=None):
    """engine, xenio, VBD counters (list) and unknown top-level strings."""
    reply = ctl_call(sock, MSG_STATUS, [(A_MINOR, u32(minor))] if minor is not None else [])
    st = {"engine": None, "xenio": None, "counters": [], "extra": {}}
    for tag, val in reply:
        if tag == A_ENGINE:
            st["engine"] = val.decode(errors="replace")
        elif tag == A_XENIO:
            st["xenio"] = val.decode(errors="replace")
        elif tag == A_VBD:
            for t2, v2 in attrs_decode(val):
                if t2 == A_COUNTERS:
                    st["counters"] = list(struct.unpack("<%dQ" % (len(v2) // 8), v2))
        elif tag not in KNOWN_TOP_ATTRS:
            try:
                s = val.decode()
                if s.isprintable():
                    st["extra"][tag] = s
            except UnicodeDecodeError:
                pass
    return st


# ---- helpers ----------------------------------------------------------------
CLK_TCK = os.sysconf("SC_CLK_TCK")


def nice(args):
    """Command prefix for --nice (a negative value needs root or CAP_SYS_NICE;
    without it nice(1) warns and runs the command unchanged)."""
    return ["nice", "-n", str(args.nice)] if args.nice else []


def log(msg):
    print(msg, flush=True)


def warn(msg):
    print("bench: warning: " + msg, file=sys.stderr, flush=True)


def machine_busy_s():
    """(busy CPU seconds of the whole machine, monotonic time): user, nice,
    system, irq, softirq and steal from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / CLK_TCK, time.monotonic()


def foreign_cpus(m0, m1, own_s):
    """CPUs' worth of work by other processes between two machine_busy_s()
    samples, given the CPU seconds our own processes used meanwhile."""
    wall = m1[1] - m0[1]
    if wall <= 0:
        return None
    return max(0.0, (m1[0] - m0[0] - own_s) / wall)


def proc_cpu_ns(pid):
    """CPU time (user + system) of a whole process, in ns.

    Sums /proc/PID/task/*/schedstat (ns precision) when no thread exited
    between the two samples (the caller compares the thread sets); also
    returns utime+stime from /proc/PID/stat (all threads, dead ones
    included, 1/CLK_TCK precision)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    threads, sched = set(), 0
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                    sched += int(f.read().split()[0])
                threads.add(t)
            except OSError:
                pass
    except OSError:
        pass
    ctx = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    ctx += int(line.split()[1])
    except OSError:
        pass
    return {"stat_ns": ticks * 1e9 / CLK_TCK, "sched_ns": sched, "threads": threads,
            "ctx": ctx}


def cpu_delta_ns(a, b):
    if a["threads"] == b["threads"] and b["sched_ns"] >= a["sched_ns"]:
        return b["sched_ns"] - a["sched_ns"], "schedstat"
    return b["stat_ns"] - a["stat_ns"], "stat"


def run_child(cmd, timeout):
    """Run cmd; returns (rc, stdout, stderr, cpu_s of the child tree)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.02)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (p.returncode, out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), ru.ru_utime + ru.ru_stime)


def kv_parse(text):
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, width, prec=0):
    if v is None:
        return "-".rjust(width)
    if isinstance(v, str):
        return v.rjust(width)
    if prec == 0 and abs(v) >= 1e6:
        return ("%.2fM" % (v / 1e6)).rjust(width)
    if prec == 0 and abs(v) >= 1e4:
        return ("%.1fk" % (v / 1e3)).rjust(width)
    return ("%.*f" % (prec, v)).rjust(width)


# ---- the pieces: image files, the round trip, fio, tapdisk -----------------
def make_image(path, size):
    """A fully allocated file of size bytes (not sparse: holes would make
    O_DIRECT reads free), written back and dropped from the cache."""
    block = os.urandom(1 << 20)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        left = size
        while left > 0:
            n = min(left, len(block))
            os.write(fd, block[:n])
            left -= n
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def warm_cache(path):
    with open(path, "rb", buffering=0) as f:
        while f.read(1 << 22):
            pass


def build_rtt(args):
    src = os.path.join(args.srcdir, "tests", "bench", "evtchn-rtt.c")
    out_dir = os.path.join(args.builddir, "tests", "bench")
    os.makedirs(out_dir, exist_ok=True)
    exe = os.path.join(out_dir, "evtchn-rtt")
    if os.path.exists(exe) and os.path.getmtime(exe) >= os.path.getmtime(src):
        return exe
    cc = shlex.split(os.environ.get("CC") or "cc")
    r = subprocess.run(cc + ["-O2", "-Wall", "-o", exe, src], capture_output=True, text=True)
    if r.returncode:
        warn("cannot build evtchn-rtt: " + r.stderr.strip())
        return None
    return exe


def measure_rtt(args, exe):
    res = {}
    n = "5000" if args.quick else "20000"
    for place, cpu in (("same", args.cpu_td), ("other", args.cpu_other)):
        rc, out, err, _ = run_child(nice(args) + [exe, "-n", n, str(args.cpu_other if place == "other" else args.cpu_td),
                                     str(args.cpu_td)], 60)
        if rc:
            warn("evtchn-rtt %s: %s" % (place, err.strip()))
            continue
        kv = kv_parse(out)
        res[place] = {k: kv[k] for k in ("rtt_p50_us", "rtt_p99_us", "rtt_avg_us", "rtt_min_us")}
    return res


class Fio:
    """The baseline. fio runs as one process (--thread: the job is a thread
    of it, and so are io_uring's io-wq workers); its CPU per I/O is measured
    like tapdisk's, as the whole process's CPU time over a window of the
    steady state: between the first and the last periodic status report
    (--status-interval), divided by the I/Os completed in between. fio's
    own usr_cpu/sys_cpu count the job thread only (not the io-wq workers
    that serve e.g. tmpfs reads), so they are kept for reference only."""

    STATUS_INTERVAL_MS = 250

    def __init__(self, exe):
        self.exe = exe

    def run(self, args, wl, engine, path, direct, runtime):
        name, rw, bs, qd, _order, _ind = wl
        cmd = nice(args) + ["taskset", "-c", str(args.cpu_td), self.exe, "--thread", "--name=baseline",
               "--filename=" + path, "--ioengine=" + engine, "--direct=%d" % direct,
               "--invalidate=0", "--rw=" + rw, "--bs=%d" % bs, "--iodepth=%d" % qd,
               "--runtime=%g" % runtime, "--time_based", "--norandommap",
               "--randrepeat=0", "--lat_percentiles=1", "--output-format=json",
               "--status-interval=%dms" % self.STATUS_INTERVAL_MS]
        cmd += shlex.split(args.fio_args)
        samples, docs, buf = [], [], None
        with tempfile.TemporaryFile() as err:
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
            killer = threading_timer(runtime + 60, p.kill)
            try:
                for line in p.stdout:
                    if buf is None:
                        if line.startswith("{"):
                            buf = [line]
                        continue
                    buf.append(line)
                    if line.rstrip() == "}":
                        try:
                            cpu = proc_cpu_ns(p.pid)
                            cpu["machine"] = machine_busy_s()
                        except OSError:
                            cpu = None
                        try:
                            doc = json.loads("".join(buf))
                            docs.append(doc)
                            j = doc["jobs"][0]
                            samples.append((j["read"]["total_ios"] + j["write"]["total_ios"], cpu))
                        except (ValueError, KeyError, IndexError):
                            pass
                        buf = None
                _pid, status, ru = os.wait4(p.pid, 0)
            finally:
                killer.cancel()
            rc = os.waitstatus_to_exitcode(status)
            err.seek(0)
            errtext = err.read().decode(errors="replace")
        if rc or not docs:
            return {"error": "fio exit %d: %s" % (rc, errtext.strip()[-300:])}
        j = docs[-1]["jobs"][0]
        d = j["read"] if rw in ("read", "randread") else j["write"]
        ios = j["read"]["total_ios"] + j["write"]["total_ios"]
        secs = j["job_runtime"] / 1e3 if j.get("job_runtime") else d["runtime"] / 1e3
        if not ios or j.get("error"):
            return {"error": "fio: %d I/Os, error %s" % (ios, j.get("error"))}
        pct = d["lat_ns"].get("percentile", {})
        cpu_s = ru.ru_utime + ru.ru_stime
        res = {
            "iops": d["iops"], "mbps": d["bw_bytes"] / 1e6,
            "p50_us": pct.get("50.000000", 0) / 1e3, "p99_us": pct.get("99.000000", 0) / 1e3,
            "ios": ios,
            "cpu_us_per_io_fio": (j["usr_cpu"] + j["sys_cpu"]) / 100.0 * secs * 1e6 / ios,
            "cpu_us_per_io_rusage": cpu_s * 1e6 / ios,
            "ctx_per_io": j.get("ctx", 0) / ios,
        }
        # the window: first periodic report with I/O done .. last periodic
        # report (the final document comes after the job has ended)
        per = [s for s in samples[:-1] if s[1] is not None and s[0] > 0]
        if len(per) >= 2 and per[-1][0] > per[0][0]:
            (i0, a), (i1, b) = per[0], per[-1]
            cpu_ns, how = cpu_delta_ns(a, b)
            res["cpu_us_per_io"] = cpu_ns / 1e3 / (i1 - i0)
            res["cpu_source"] = "window-" + how
            res["cpu_window_ios"] = i1 - i0
            res["foreign_cpus"] = foreign_cpus(a["machine"], b["machine"], cpu_ns / 1e9)
        else:
            res["cpu_us_per_io"] = res["cpu_us_per_io_rusage"]
            res["cpu_source"] = "rusage"
        res["cpu_util"] = res["cpu_us_per_io"] * ios / 1e6 / secs
        return res


def threading_timer(secs, fn):
    import threading
    t = threading.Timer(secs, fn)
    t.daemon = True
    t.start()
    return t


class Tapdisk:
    """One tapdisk process, pinned, with one VBD (minor 0) kept open."""

    def __init__(self, args, engine, mode_label, mode_args, work):
        self.args, self.engine, self.mode = args, engine, mode_label
        self.dir = tempfile.mkdtemp(prefix="td-%s-%s." % (engine, mode_label), dir=work)
        self.ctl_dir = os.path.join(self.dir, "ctl")
        os.mkdir(self.ctl_dir)
        self.sim_dir = tempfile.mkdtemp(prefix="xentap-bench-sim.", dir=args.shm_dir)
        self.logf = os.path.join(self.dir, "tapdisk.log")
        cmd = nice(args) + ["taskset", "-c", str(args.cpu_td), args.tapdisk, "-F", "-c", self.ctl_dir,
               "-x", "sim:" + self.sim_dir, "-e", engine] + mode_args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(self.logf, "w"))
        self.pid = self.proc.pid
        self.sock = os.path.join(self.ctl_dir, "ctl%d" % self.pid)
        for _ in range(200):
            if os.path.exists(self.sock):
                break
            if self.proc.poll() is not None:
                raise RuntimeError("tapdisk exited: " + self.log_text()[-500:])
            time.sleep(0.05)
        else:
            raise RuntimeError("tapdisk's control socket did not appear")
        st = ctl_status(self.sock)
        self.engine_actual = st["engine"]
        self.mode_reported = ",".join(st["extra"].values()) or None
        self.o_direct = None

    def log_text(self):
        try:
            with open(self.logf) as f:
                return f.read()
        except OSError:
            return ""

    def open(self, path, direct):
        self.image = os.path.basename(path).split(".")[0]
        ctl_vbd_open(self.sock, 0, "raw:" + path, 0 if direct else F_NO_DIRECT)
        opened = [l for l in self.log_text().splitlines() if " opened raw:" in l]
        self.o_direct = bool(opened) and "O_DIRECT" in opened[-1]
        self.open_line = opened[-1] if opened else None

    def close(self):
        try:
            ctl_vbd_close(self.sock, 0)
        except (CtlError, OSError) as e:
            warn("closing the VBD of tapdisk %d: %s" % (self.pid, e))

    def counters(self):
        try:
            return ctl_status(self.sock, 0)["counters"]
        except (CtlError, OSError):
            return []

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.sim_dir, ignore_errors=True)

    def run(self, wl, cpu, runtime):
        name, rw, bs, qd, order, indirect = wl
        cmd = nice(self.args) + ["taskset", "-c", str(cpu), self.args.simfront, "--pid", str(self.pid),
               "--ctl-dir", self.ctl_dir, "--sim-dir", self.sim_dir, "--order", str(order),
               "--qd", str(qd)]
        if indirect:
            cmd.append("--indirect")
        cmd += ["load", "--rw", rw, "--bs", str(bs), "--runtime", "%g" % runtime]
        perf = None
        if self.args.perf:
            os.makedirs(self.args.perf, exist_ok=True)
            self.nperf = getattr(self, "nperf", 0) + 1
            pcpu = self.args.cpu_other if cpu == self.args.cpu_td else self.args.cpu_td
            data = os.path.join(self.args.perf, "%s.%s.%s.%s.%s.%d.perf.data" % (
                name, self.image, self.engine, "same" if cpu == self.args.cpu_td else "other",
                self.mode, self.nperf))
            perf = subprocess.Popen(["taskset", "-c", str(pcpu), "perf", "record", "-q",
                                     "-e", "cpu-clock", "-F", "10000", "-g", "-p",
                                     str(self.pid), "-o", data],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.3)
        c0 = self.counters()
        a = proc_cpu_ns(self.pid)
        m0 = machine_busy_s()
        rc, out, err, guest_cpu_s = run_child(cmd, runtime + 60)
        m1 = machine_busy_s()
        b = proc_cpu_ns(self.pid)
        c1 = self.counters()
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        kv = kv_parse(out)
        if rc or not kv.get("ios") or kv.get("errors"):
            return {"error": "simfront exit %d, ios %s, errors %s: %s" % (
                rc, kv.get("ios"), kv.get("errors"), err.strip()[-300:])}
        ios = kv["ios"]
        cpu_ns, how = cpu_delta_ns(a, b)
        r = {
            "iops": kv["iops"], "mbps": kv["mbps"], "p50_us": kv["lat_p50_us"],
            "p99_us": kv["lat_p99_us"], "ios": ios, "cpu_us_per_io": cpu_ns / 1e3 / ios,
            "cpu_util": cpu_ns / 1e9 / kv["runtime_s"], "cpu_source": how,
            "guest_cpu_us_per_io": guest_cpu_s * 1e6 / ios,
            "ctx_per_io": (b["ctx"] - a["ctx"]) / ios,
            "guest_notifies_per_io": kv.get("notifies", 0) / ios,
            "guest_wakeups_per_io": kv.get("wakeups", 0) / ios,
            "foreign_cpus": foreign_cpus(m0, m1, cpu_ns / 1e9 + guest_cpu_s),
        }
        if len(c0) > STAT_EVENTS and len(c1) > STAT_EVENTS:
            r["td_events_per_io"] = (c1[STAT_EVENTS] - c0[STAT_EVENTS]) / ios
            r["td_notifies_per_io"] = (c1[STAT_NOTIFY_SENT] - c0[STAT_NOTIFY_SENT]) / ios
        return r


# ---- rows -------------------------------------------------------------------
def summarize(runs, keys):
    ok = [r for r in runs if "error" not in r]
    return {k: median([r.get(k) for r in ok]) for k in keys}, len(ok)


TD_KEYS = ["iops", "mbps", "p50_us", "p99_us", "cpu_us_per_io", "cpu_util",
           "guest_cpu_us_per_io", "ctx_per_io", "guest_notifies_per_io",
           "guest_wakeups_per_io", "td_events_per_io", "td_notifies_per_io", "foreign_cpus"]
FIO_KEYS = ["iops", "mbps", "p50_us", "p99_us", "cpu_us_per_io", "cpu_us_per_io_fio",
            "cpu_us_per_io_rusage", "cpu_util", "ctx_per_io", "foreign_cpus"]


def make_row(args, wl, engine, image, place, mode, td, td_runs, fio_runs, rtt):
    name, rw, bs, qd, order, indirect = wl
    t, n_ok = summarize(td_runs, TD_KEYS)
    load1 = os.getloadavg()[0]
    f, f_ok = summarize(fio_runs, FIO_KEYS)
    seq = rw in ("read", "write")
    kind = "mbps" if seq else "iops"
    ratio = (t[kind] / f[kind]) if t[kind] and f[kind] else None
    cpu_ratio = (t["cpu_us_per_io"] / f["cpu_us_per_io"]) \
        if t["cpu_us_per_io"] and f["cpu_us_per_io"] else None
    rtt_us = rtt.get(place, {}).get("rtt_p50_us")
    targets = {}
    if seq:
        targets["tput"] = {"metric": "mbps_ratio", "target": TARGET_SEQ_RATIO}
    elif qd >= 32:
        targets["tput"] = {"metric": "iops_ratio", "target": TARGET_RAND_RATIO}
    if ratio is not None and "tput" in targets:
        targets["tput"]["value"] = ratio
        targets["tput"]["pass"] = ratio >= targets["tput"]["target"]
    targets["cpu"] = {"metric": "cpu_ratio", "target": TARGET_CPU_RATIO}
    if cpu_ratio is not None:
        targets["cpu"]["value"] = cpu_ratio
        targets["cpu"]["pass"] = cpu_ratio <= TARGET_CPU_RATIO
    if qd == 1:
        targets["lat"] = {"metric": "p50_us", "target": None}
        if f["p50_us"] is not None and rtt_us is not None and t["p50_us"] is not None:
            lim = f["p50_us"] + rtt_us
            targets["lat"].update(target=lim, value=t["p50_us"], pass_=t["p50_us"] <= lim)
            targets["lat"]["pass"] = targets["lat"].pop("pass_")
    missing = [k for k, v in targets.items() if v.get("pass") is False]
    unknown = [k for k, v in targets.items() if "pass" not in v]
    verdict = "MISS(" + ",".join(missing) + ")" if missing else ("?" if unknown else "PASS")
    row = {
        "id": "%s/%s/%s/%s/%s" % (name, image, engine, place, mode),
        "name": name, "engine": engine, "engine_actual": td.engine_actual if td else None,
        "image": image, "image_desc": IMAGES[image]["what"],
        "o_direct": td.o_direct if td else None, "fio_direct": int(IMAGES[image]["direct"]),
        "data_mode": mode, "data_mode_reported": td.mode_reported if td else None,
        "guest_cpu_placement": place,
        "guest_cpu": args.cpu_td if place == "same" else args.cpu_other,
        "tapdisk_cpu": args.cpu_td, "fio_cpu": args.cpu_td,
        "rw": rw, "bs": bs, "qd": qd, "ring_order": order, "indirect": indirect,
        "runs": args.runs, "runs_ok": n_ok, "baseline_runs_ok": f_ok, "runtime_s": args.runtime,
        "iops": t["iops"], "mbps": t["mbps"], "p50_us": t["p50_us"], "p99_us": t["p99_us"],
        "cpu_us_per_io": t["cpu_us_per_io"], "cpu_util": t["cpu_util"],
        "guest_cpu_us_per_io": t["guest_cpu_us_per_io"], "ctx_per_io": t["ctx_per_io"],
        "guest_notifies_per_io": t["guest_notifies_per_io"],
        "guest_wakeups_per_io": t["guest_wakeups_per_io"],
        "td_events_per_io": t["td_events_per_io"], "td_notifies_per_io": t["td_notifies_per_io"],
        "baseline_iops": f["iops"], "baseline_mbps": f["mbps"],
        "baseline_p50_us": f["p50_us"], "baseline_p99_us": f["p99_us"],
        "baseline_cpu_us_per_io": f["cpu_us_per_io"],
        "baseline_cpu_us_per_io_fio": f["cpu_us_per_io_fio"],
        "baseline_cpu_us_per_io_rusage": f["cpu_us_per_io_rusage"],
        "baseline_cpu_util": f["cpu_util"], "baseline_ctx_per_io": f["ctx_per_io"],
        "ratio": ratio, "ratio_kind": kind, "cpu_ratio": cpu_ratio,
        "notify_rtt_p50_us": rtt_us, "loadavg_1m": round(load1, 2),
        "foreign_cpus": t["foreign_cpus"], "baseline_foreign_cpus": f["foreign_cpus"],
        "noisy": any(x is not None and x > NOISY_CPUS
                     for x in (t["foreign_cpus"], f["foreign_cpus"])),
        "targets": targets, "verdict": verdict,
        "per_run": {"tapdisk": td_runs, "baseline": fio_runs},
    }
    return row


HDR = ("%-20s %-8s %-9s %-5s %-4s | %7s %7s %7s %7s %6s %4s | %7s %7s %7s %7s %6s | %5s %5s | %-4s %-4s %-4s"
       % ("row", "engine", "image", "guest", "mode", "IOPS", "MB/s", "p50us", "p99us", "cpu/IO",
          "cpu%", "fIOPS", "fMB/s", "fp50us", "fp99us", "fcpu/IO", "ratio", "cpu×",
          "tput", "cpu", "lat"))


def pf(t):
    if t is None:
        return "-"
    if "pass" not in t:
        return "?"
    return "PASS" if t["pass"] else "MISS"


def row_line(r):
    tg = r["targets"]
    return ("%-20s %-8s %-9s %-5s %-4s | %s %s %s %s %s %s | %s %s %s %s %s | %s %s | %-4s %-4s %-4s" % (
        ("~" if r.get("noisy") else "") + r["name"], r["engine"], r["image"], r["guest_cpu_placement"], r["data_mode"][:4],
        fmt(r["iops"], 7), fmt(r["mbps"], 7, 1), fmt(r["p50_us"], 7, 1), fmt(r["p99_us"], 7, 1),
        fmt(r["cpu_us_per_io"], 6, 2),
        fmt(r["cpu_util"] * 100 if r["cpu_util"] is not None else None, 4),
        fmt(r["baseline_iops"], 7), fmt(r["baseline_mbps"], 7, 1), fmt(r["baseline_p50_us"], 7, 1),
        fmt(r["baseline_p99_us"], 7, 1), fmt(r["baseline_cpu_us_per_io"], 6, 2),
        fmt(r["ratio"], 5, 2), fmt(r["cpu_ratio"], 5, 2),
        pf(tg.get("tput")), pf(tg.get("cpu")), pf(tg.get("lat"))))


def print_table(rows, rtt, out=sys.stdout):
    print("", file=out)
    print("xentap benchmark: tapdisk (simfront load) vs fio on the same file; medians of runs",
          file=out)
    print("  IOPS MB/s p50us p99us: tapdisk as the guest sees it; cpu/IO: tapdisk CPU "
          "microseconds per I/O; cpu%: tapdisk CPU use", file=out)
    print("  f*: fio baseline (same engine, same file, same bs/QD, one CPU); ratio: IOPS "
          "(4 KiB) or MB/s (sequential) vs fio; cpu×: cpu/IO vs fio's", file=out)
    print("  targets: tput >= %.2f (4k QD>=32) / >= %.2f (seq); cpu× <= %.1f; "
          "QD1 lat: p50 <= fio p50 + one notification round trip" % (
              TARGET_RAND_RATIO, TARGET_SEQ_RATIO, TARGET_CPU_RATIO), file=out)
    print("  ~row: other processes used more than %.2f CPU during its runs (median): "
          "its numbers are suspect" % NOISY_CPUS, file=out)
    if rtt:
        print("  notification round trip (evtchn FIFO ping-pong, p50/p99 us): " +
              ", ".join("%s CPU %.1f/%.1f" % (k, v["rtt_p50_us"], v["rtt_p99_us"])
                        for k, v in rtt.items()), file=out)
    print("", file=out)
    print(HDR, file=out)
    print("-" * len(HDR), file=out)
    last = None
    for r in rows:
        grp = (r["image"], r["engine"])
        if last is not None and grp != last:
            print("", file=out)
        last = grp
        print(row_line(r), file=out)
    c = tally(rows, lambda r: True)
    print("\ntargets: %d PASS, %d MISS (rows: %d, %d of them ~noisy)" % (
        sum(k[0] for k in c.values()), sum(k[1] for k in c.values()),
        len(rows), sum(1 for r in rows if r.get("noisy"))), file=out)
    print_summary(rows, out)
    out.flush()


def tally(rows, sel):
    """{target: [passed, missed]} over the rows sel() accepts."""
    c = {}
    for r in rows:
        if not sel(r):
            continue
        for name, t in r["targets"].items():
            if "pass" in t:
                c.setdefault(name, [0, 0])[0 if t["pass"] else 1] += 1
    return c


def print_summary(rows, out):
    """PASS/MISS per data-access mode and target, then per image and
    placement, so that the weak spots show without reading every row."""
    def count(sel):
        c = tally(rows, sel)
        return "  ".join("%s %d/%d" % (n, c[n][0], c[n][0] + c[n][1])
                         for n in ("tput", "cpu", "lat") if n in c)
    modes = sorted(set(r["data_mode"] for r in rows))
    print("passed/checked, per target:", file=out)
    for m in modes:
        print("  mode %-12s %s" % (m, count(lambda r: r["data_mode"] == m)), file=out)
        for img in sorted(set(r["image"] for r in rows)):
            for pl in sorted(set(r["guest_cpu_placement"] for r in rows)):
                for eng in sorted(set(r["engine"] for r in rows)):
                    txt = count(lambda r: (r["data_mode"], r["image"], r["guest_cpu_placement"],
                                           r["engine"]) == (m, img, pl, eng))
                    if txt:
                        print("    %-9s %-5s %-8s %s" % (img, pl, eng, txt), file=out)


# ---- main -------------------------------------------------------------------
def env(name, default):
    v = os.environ.get(name)
    return v if v not in (None, "") else default


def parse_args():
    here = os.path.dirname(os.path.abspath(__file__))
    src_default = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(
        description="Benchmark tapdisk (through simfront) against fio on the same files.",
        epilog="Environment: BENCH_QUICK, BENCH_RUNS, BENCH_RUNTIME, BENCH_ENGINES, "
               "BENCH_IMAGES, BENCH_PLACEMENTS, BENCH_FILTER, BENCH_CPUS, BENCH_SIZE_MB, "
               "BENCH_MODES, BENCH_FIO_ARGS, BENCH_OUT set the defaults of the options.")
    p.add_argument("--builddir", default=env("top_builddir", os.getcwd()))
    p.add_argument("--srcdir", default=env("top_srcdir", src_default))
    p.add_argument("--quick", action="store_true", default=env("BENCH_QUICK", "0") not in ("0", "no"),
                   help="smoke run: 1 run of 1 s per row, fewer workloads, 256 MiB images")
    p.add_argument("--runs", type=int, default=None, help="runs per row (default 3; quick 1)")
    p.add_argument("--runtime", type=float, default=None,
                   help="seconds per run (default 1.5; quick 1)")
    p.add_argument("--engines", default=env("BENCH_ENGINES", ",".join(ENGINES)))
    p.add_argument("--images", default=env("BENCH_IMAGES", ",".join(IMAGES)))
    p.add_argument("--placements", default=env("BENCH_PLACEMENTS", ",".join(PLACEMENTS)),
                   help="guest on the 'same' CPU as tapdisk and/or the 'other' one")
    p.add_argument("--filter", default=env("BENCH_FILTER", ""),
                   help="regular expression on the workload name (e.g. 'randread|1m')")
    p.add_argument("--cpus", default=env("BENCH_CPUS", "0,1"),
                   help="TAPDISK_CPU,OTHER_CPU (default 0,1); fio runs on TAPDISK_CPU")
    p.add_argument("--size-mb", type=int, default=None, help="image size (default 1024; quick 256)")
    p.add_argument("--modes", default=env("BENCH_MODES", DEFAULT_MODES),
                   help="data-access modes: 'LABEL[:TAPDISK ARGS]' separated by ';' "
                        "(default '%s': grant copy, map per request, persistent "
                        "grants)" % DEFAULT_MODES)
    p.add_argument("--fio-args", default=env("BENCH_FIO_ARGS", ""),
                   help="extra fio options for the baseline")
    p.add_argument("--root-dir", default=env("BENCH_ROOT_DIR", "/var/tmp"),
                   help="directory on the root file system for the images (default /var/tmp)")
    p.add_argument("--shm-dir", default=env("BENCH_SHM_DIR", "/dev/shm"),
                   help="tmpfs directory (tmpfs image, simulator guest memory)")
    p.add_argument("--out", default=env("BENCH_OUT", None),
                   help="JSON output (default BUILDDIR/bench-results.json)")
    p.add_argument("--no-rtt", action="store_true", help="skip the round-trip measurement")
    p.add_argument("--perf", metavar="DIR", default=env("BENCH_PERF", None),
                   help="record tapdisk with 'perf record -e cpu-clock -g' during each of its "
                        "runs into DIR/<row>.<run>.perf.data (perturbs the numbers: profile "
                        "a few rows, e.g. with --filter)")
    p.add_argument("--nice", type=int, default=int(env("BENCH_NICE", "0")),
                   help="run tapdisk, the guest and fio at this nice value; e.g. -10 on a "
                        "shared machine, so background jobs disturb the rows less "
                        "(negative values need root)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--list", action="store_true", help="print the rows that would run and exit")
    a = p.parse_args()
    if a.runs is None:
        a.runs = int(env("BENCH_RUNS", "1" if a.quick else "3"))
    if a.runtime is None:
        a.runtime = float(env("BENCH_RUNTIME", "1" if a.quick else "1.5"))
    if a.size_mb is None:
        a.size_mb = int(env("BENCH_SIZE_MB", "256" if a.quick else "1024"))
    a.cpu_td, a.cpu_other = [int(x) for x in a.cpus.split(",")]
    a.engines = [e for e in a.engines.split(",") if e]
    a.images = [i for i in a.images.split(",") if i]
    a.placements = [x for x in a.placements.split(",") if x]
    for i in a.images:
        if i not in IMAGES:
            p.error("unknown image kind '%s' (%s)" % (i, ", ".join(IMAGES)))
    for x in a.placements:
        if x not in PLACEMENTS:
            p.error("unknown placement '%s' (same, other)" % x)
    a.modes_list = []
    for m in a.modes.split(";"):
        if m.strip():
            label, _, margs = m.partition(":")
            a.modes_list.append((label.strip(), shlex.split(margs)))
    a.workloads = [w for w in WORKLOADS
                   if (not a.quick or w[0] in QUICK_WORKLOADS) and
                   (not a.filter or re.search(a.filter, w[0]))]
    a.builddir = os.path.abspath(a.builddir)
    a.tapdisk = os.path.join(a.builddir, "tapdisk", "tapdisk")
    a.simfront = os.path.join(a.builddir, "tests", "simfront")
    if a.out is None:
        a.out = os.path.join(a.builddir, "bench-results.json")
    return a


def main():
    args = parse_args()
    n_cpu = os.cpu_count() or 1
    if max(args.cpu_td, args.cpu_other) >= n_cpu or args.cpu_td == args.cpu_other:
        warn("CPUs %d,%d: this machine has %d CPU(s); 'other' placement needs two"
             % (args.cpu_td, args.cpu_other, n_cpu))
        if args.cpu_other >= n_cpu or args.cpu_td == args.cpu_other:
            args.placements = [x for x in args.placements if x != "other"]
    for exe in (args.tapdisk, args.simfront):
        if not os.access(exe, os.X_OK):
            sys.exit("bench: %s is missing: build first (make)" % exe)
    if not shutil.which("taskset"):
        sys.exit("bench: taskset is missing (Debian package util-linux)")
    fio_exe = shutil.which("fio")
    if not fio_exe:
        warn("fio is not installed (Debian package fio): no baseline, no ratios")
    fio = Fio(fio_exe) if fio_exe else None

    n_rows = len(args.engines) * len(args.images) * len(args.workloads) * \
        len(args.placements) * len(args.modes_list)
    n_runs = len(args.engines) * len(args.images) * len(args.workloads) * args.runs * \
        (len(args.placements) * len(args.modes_list) + (1 if fio else 0))
    log("bench: %d rows, %d runs of %gs (about %d min); engines %s, images %s, guest %s, "
        "modes %s, workloads %d, %d MiB images, tapdisk/fio on CPU %d, other CPU %d" % (
            n_rows, n_runs, args.runtime, round(n_runs * (args.runtime + 0.15) / 60 + 0.5),
            ",".join(args.engines), ",".join(args.images), ",".join(args.placements),
            ",".join(m for m, _ in args.modes_list), len(args.workloads), args.size_mb,
            args.cpu_td, args.cpu_other))
    if args.list:
        for e in args.engines:
            for i in args.images:
                for w in args.workloads:
                    for pl in args.placements:
                        for m, _ in args.modes_list:
                            print("%s/%s/%s/%s/%s" % (w[0], i, e, pl, m))
        return 0

    t_start = time.time()
    load1 = os.getloadavg()[0]
    if load1 > 0.5:
        warn("load average %.1f: something else runs on this machine, the numbers will be "
             "noisy" % load1)
    if args.perf and not shutil.which("perf"):
        sys.exit("bench: --perf needs perf (Debian package linux-perf)")
    rtt = {}
    if not args.no_rtt:
        exe = build_rtt(args)
        if exe:
            rtt = measure_rtt(args, exe)
            for k, v in rtt.items():
                log("bench: notification round trip, guest on the %s CPU: p50 %.1f us, "
                    "p99 %.1f us" % (k, v["rtt_p50_us"], v["rtt_p99_us"]))

    work_root = tempfile.mkdtemp(prefix="xentap-bench.", dir=args.root_dir)
    work_shm = tempfile.mkdtemp(prefix="xentap-bench.", dir=args.shm_dir)
    size = args.size_mb << 20
    paths = {}
    tapdisks = []
    rows = []

    def cleanup(*_):
        for t in tapdisks:
            t.stop()
        if not args.keep:
            shutil.rmtree(work_root, ignore_errors=True)
            shutil.rmtree(work_shm, ignore_errors=True)

    def on_signal(sig, _frm):
        cleanup()
        sys.exit(128 + sig)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        for image in args.images:
            d = work_shm if IMAGES[image]["fs"] == "tmpfs" else work_root
            paths[image] = os.path.join(d, image + ".img")
            log("bench: creating %s (%d MiB, %s)" % (paths[image], args.size_mb,
                                                    IMAGES[image]["what"]))
            make_image(paths[image], size)

        for engine in args.engines:
            for image in args.images:
                path, direct = paths[image], IMAGES[image]["direct"]
                group = []
                try:
                    for label, margs in args.modes_list:
                        td = Tapdisk(args, engine, label, margs, work_root)
                        tapdisks.append(td)
                        group.append(td)
                        td.open(path, direct)
                        if td.engine_actual != engine:
                            warn("tapdisk -e %s runs engine %s" % (engine, td.engine_actual))
                        if td.o_direct != direct:
                            warn("%s: tapdisk opened the image %s O_DIRECT (log: %s)" % (
                                image, "with" if td.o_direct else "without", td.open_line))
                except (RuntimeError, CtlError, OSError) as e:
                    warn("engine %s, image %s: tapdisk: %s: rows skipped" % (engine, image, e))
                    for td in group:
                        td.stop()
                    continue
                if not direct:
                    warm_cache(path)
                for wl in args.workloads:
                    fio_runs = []
                    td_runs = {(td.mode, pl): [] for td in group for pl in args.placements}
                    for i in range(args.runs):
                        if fio:
                            r = fio.run(args, wl, engine, path, int(direct), args.runtime)
                            if "error" in r:
                                warn("%s %s %s fio: %s" % (wl[0], engine, image, r["error"]))
                            fio_runs.append(r)
                        for td in group:
                            for pl in args.placements:
                                cpu = args.cpu_td if pl == "same" else args.cpu_other
                                if not td.alive():
                                    r = {"error": "tapdisk died: " + td.log_text()[-300:]}
                                else:
                                    r = td.run(wl, cpu, args.runtime)
                                if "error" in r:
                                    warn("%s %s %s %s: %s" % (wl[0], engine, image, pl, r["error"]))
                                td_runs[(td.mode, pl)].append(r)
                    for td in group:
                        for pl in args.placements:
                            row = make_row(args, wl, engine, image, pl, td.mode, td,
                                           td_runs[(td.mode, pl)], fio_runs, rtt)
                            rows.append(row)
                            log(row_line(row))
                for td in group:
                    td.close()
                    td.stop()
    finally:
        cleanup()

    elapsed = time.time() - t_start
    with open(args.out, "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")
    meta = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "host": platform.node(),
        "kernel": platform.release(), "cpus": n_cpu, "loadavg_end": os.getloadavg(),
        "fio": subprocess.run([fio_exe, "--version"], capture_output=True,
                              text=True).stdout.strip() if fio_exe else None,
        "runs": args.runs, "runtime_s": args.runtime, "size_mb": args.size_mb,
        "quick": args.quick, "nice": args.nice, "elapsed_s": round(elapsed, 1),
        "notify_rtt": rtt,
        "targets": {"rand_iops_ratio": TARGET_RAND_RATIO, "seq_mbps_ratio": TARGET_SEQ_RATIO,
                    "cpu_ratio": TARGET_CPU_RATIO,
                    "qd1_p50": "baseline p50 + notify_rtt p50 of the same placement"},
    }
    base = os.path.splitext(args.out)[0]
    with open(base + "-meta.json", "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print_table(rows, rtt)
    with open(base + ".txt", "w") as f:
        print_table(rows, rtt, f)
    log("bench: %d rows in %.0f s; written %s, %s-meta.json, %s.txt" % (
        len(rows), elapsed, args.out, base, base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
