#!/usr/bin/env python3
"""The benchmarks of bench/README.md. bench/run.sh builds the helpers, makes
the network namespaces and calls this; see run.sh for the arguments.

Every figure is measured side by side with its reference in the same run,
as the median of several runs, and printed as a ratio against the goal of
the issue: PASS, MISS, or INFO (no goal). A series whose runs spread by more
than NOISE (max-min over the median) is measured once more and both sets are
pooled; the output says so.
"""
import argparse
import hashlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen_pcap.py")
NOISE = 0.25
DEVNULL = subprocess.DEVNULL

A4, B4, A6, B6 = "10.233.0.1", "10.233.0.2", "fd00:233::1", "fd00:233::2"
UDP_PORT, TCP_PORT = 9000, 9001

# Reference figures of the issue (2-core machine); printed beside ours.
ISSUE = {
    "tcpdump_ns": 70, "ss_tanp_ms": 160, "ss_tan_ms": 24,
}

results = []        # summary rows
children = set()    # every process started here, ended on the way out
notes = []


class Args:
    pass


A = Args()


# ---- processes -------------------------------------------------------------

class Res:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def start(cmd, out=None, err=None, stdin=DEVNULL):
    """Popen with stdout/stderr to files (paths) or /dev/null."""
    fo = open(out, "wb") if out else DEVNULL
    fe = open(err, "wb") if err else DEVNULL
    try:
        p = subprocess.Popen(cmd, stdin=stdin, stdout=fo, stderr=fe)
    finally:
        if out:
            fo.close()
        if err:
            fe.close()
    p.out_path, p.err_path, p.t0 = out, err, time.perf_counter()
    children.add(p)
    return p


def reap(p, timeout=None):
    """Wait for p with wait4 (for its rusage); SIGKILL after timeout seconds."""
    end = None if timeout is None else time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            break
        if end is not None and time.monotonic() > end:
            p.kill()
            pid, status, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.002)
    p.wall = time.perf_counter() - p.t0
    p.returncode = os.waitstatus_to_exitcode(status)
    children.discard(p)
    p.cpu = ru.ru_utime + ru.ru_stime
    p.maxrss_kb = ru.ru_maxrss    # includes Python's RSS from before the exec: not used
    return p


def slurp(path):
    if not path:
        return ""
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


run_count = 0


def run(cmd, timeout=900, keep_out=True):
    """Run to completion: wall, cpu (s), maxrss (KiB), rc, out, err."""
    global run_count
    run_count += 1
    n = run_count
    out = os.path.join(A.tmp, "out.%d" % n) if keep_out else None
    err = os.path.join(A.tmp, "err.%d" % n)
    p = reap(start(cmd, out, err), timeout)
    r = Res(wall=p.wall, cpu=p.cpu, maxrss_kb=p.maxrss_kb, rc=p.returncode,
            out=slurp(out), err=slurp(err), cmd=cmd)
    for f in (out, err):
        if f:
            os.unlink(f)
    return r


def must(r, what):
    if r.rc != 0:
        raise RuntimeError("%s failed (exit %s): %s\n%s" % (what, r.rc, " ".join(r.cmd),
                                                           r.err.strip()[-2000:]))
    return r


def in_ns(ns, cmd):
    return ["nsenter", "--net=/run/netns/" + ns, "--"] + list(cmd)


def kill_all():
    for p in list(children):
        try:
            p.kill()
            os.wait4(p.pid, 0)
        except (ProcessLookupError, ChildProcessError, OSError):
            pass
        children.discard(p)


# ---- figures ---------------------------------------------------------------

def med(xs):
    return statistics.median(xs)


def spread(xs):
    m = med(xs)
    return (max(xs) - min(xs)) / m if m else 0.0


def fmt_s(s):
    if s >= 1:
        return "%.3f s" % s
    if s >= 0.001:
        return "%.1f ms" % (s * 1e3)
    return "%.0f us" % (s * 1e6)


def fmt_ratio(ratio):
    if ratio is None:
        return "-"
    return "%.3f" % ratio if ratio < 10 else "%.1f" % ratio


def verdict(ratio, op, goal):
    if goal is None or ratio is None:
        return "INFO"
    ok = ratio <= goal if op == "<=" else ratio >= goal
    return "PASS" if ok else "MISS"


def record(num, figure, ours, ref, ratio, op=None, goal=None, ratio_of=""):
    v = verdict(ratio, op, goal)
    results.append({"num": num, "figure": figure, "ours": ours, "ref": ref,
                    "ratio": fmt_ratio(ratio),
                    "ratio_of": ratio_of,
                    "goal": "-" if goal is None else "%s %g" % (op, goal), "verdict": v})
    print("  => %-44s %s | ref %s | ratio %s%s | goal %s | %s" % (
        figure, ours, ref, fmt_ratio(ratio),
        " (%s)" % ratio_of if ratio_of else "",
        "-" if goal is None else "%s %g" % (op, goal), v), flush=True)


def series(name, fn, keys):
    """Run fn() (a list of per-run dicts); re-run once if a key is noisy."""
    runs = fn()
    noisy = [k for k in keys if len(runs) > 2 and spread([r[k] for r in runs]) > NOISE]
    if noisy:
        msg = "%s: noisy (%s spread %s); re-ran once, medians over both sets" % (
            name, ", ".join(noisy),
            ", ".join("%.0f%%" % (100 * spread([r[k] for r in runs])) for k in noisy))
        print("  " + msg, flush=True)
        notes.append(msg)
        runs += fn()
    return runs


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def heading(text):
    print("\n== %s   (load average %s)" % (text, loadavg()), flush=True)


# ---- proctraf's text report --------------------------------------------------

FOOTER = re.compile(r"captured (\d+) packets, (\d+) IP bytes; (\d+) not IP, (\d+) malformed"
                    r"(?:; dropped: (\d+) by kernel, (\d+) by interface)?")
OWNERS = re.compile(r"; owners from (the kernel|/proc)$")
ROW = re.compile(r"^\s*(\S+)\s+(\S+)\s+(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)(?:\s+(.*))?$")


def parse_report(text):
    rows, footer = [], None
    lines = text.splitlines()
    for line in lines[1:]:
        if not line.strip():
            continue
        m = FOOTER.match(line)
        if m:
            g = [int(x) if x is not None else 0 for x in m.groups()]
            footer = dict(zip(("packets", "ip_bytes", "not_ip", "malformed", "kdrop",
                               "ifdrop"), g))
            o = OWNERS.search(line)
            footer["owners"] = {"the kernel": "kernel", "/proc": "proc"}[o.group(1)] if o \
                else "-"
            continue
        m = ROW.match(line)
        if m:
            rows.append({"pid": m.group(1), "user": m.group(2), "command": m.group(3),
                         "sent": int(m.group(4)), "recv": int(m.group(5)),
                         "sent_pk": int(m.group(6)), "recv_pk": int(m.group(7)),
                         "flows": int(m.group(8)), "rest": m.group(9) or ""})
    return rows, footer


# ---- inputs (cached) ----------------------------------------------------------

def gen_key(*args):
    h = hashlib.sha256()
    with open(GEN, "rb") as f:
        h.update(f.read())
    h.update(repr(args).encode())
    return h.hexdigest()


def cached(name, gen_args, outputs):
    """Run gen_pcap.py gen_args unless the cache has this very output."""
    stamp = os.path.join(A.cache, name + ".stamp")
    key = gen_key(*gen_args)
    if all(os.path.exists(o) for o in outputs) and os.path.exists(stamp):
        with open(stamp) as f:
            if f.read() == key:
                return
    print("  generating %s (cached in %s for the next runs)" % (name, A.cache), flush=True)
    for o in outputs:
        if os.path.isdir(o):
            subprocess.run(["rm", "-rf", o], check=True)
    t = time.monotonic()
    subprocess.run([sys.executable, "-B", GEN] + list(gen_args), check=True)
    with open(stamp, "w") as f:
        f.write(key)
    print("  ... %.0f s" % (time.monotonic() - t), flush=True)


def capture(name, packets, flows, flood_max=None):
    pcap = os.path.join(A.cache, name + ".pcap")
    truth = os.path.join(A.cache, name + ".json")
    args = [pcap, str(packets), str(flows), "--truth", truth]
    if flood_max is not None:
        args += ["--flood", "--max-flows", str(flood_max)]
    cached(name, args, [pcap, truth])
    with open(truth) as f:
        return pcap, json.load(f)


def fixture(sockets):
    """A /proc fixture of `sockets` sockets over 200 processes."""
    name = "proc%d" % sockets
    d = os.path.join(A.cache, name)
    dummy = os.path.join(A.cache, name + ".fixture.pcap")
    cached(name, [dummy, "0", str(sockets), d, str(sockets)], [d])
    return d


def warm(path):
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


# ---- 1. packet path ----------------------------------------------------------

def bench_packet_path():
    heading("1. packet path: proctraf -r vs tcpdump -r (2,000,000 packets, 100,000 flows, "
            "/proc fixture of 100,000 sockets)")
    pcap, truth = capture("p2m", 2000000, 100000)
    proc = fixture(100000)
    proc0 = fixture(0)
    warm(pcap)
    npk = truth["packets"]
    pt = [A.proctraf, "-r", pcap, "--proc-root", proc]
    pt0 = [A.proctraf, "-r", pcap, "--proc-root", proc0]
    td = ["tcpdump", "-r", pcap, "-w", "/dev/null"]
    must(run(td), "tcpdump")
    r = must(run(pt), "proctraf")
    rows, footer = parse_report(r.out)
    ok = footer and footer["packets"] == npk and footer["ip_bytes"] == truth["ip_bytes"]
    print("  check: proctraf footer %s the generator (%d packets, %d IP bytes)" % (
        "matches" if ok else "DOES NOT match", npk, truth["ip_bytes"]), flush=True)
    if not ok:
        notes.append("packet path: proctraf footer %r != truth %r" % (footer, truth))

    def once():
        out = []
        for i in range(A.reps):
            order = [("td", td), ("pt", pt), ("pt0", pt0)]
            if i & 1:
                order.reverse()
            d = {}
            for k, cmd in order:
                x = must(run(cmd, keep_out=False), k)
                d[k], d[k + "_cpu"] = x.wall, x.cpu
            print("  run %d: tcpdump %s  proctraf %s  proctraf(0 sockets) %s" % (
                i + 1, fmt_s(d["td"]), fmt_s(d["pt"]), fmt_s(d["pt0"])), flush=True)
            out.append(d)
        return out

    runs = series("packet path", once, ["td", "pt"])
    mtd, mpt, mpt0 = (med([x[k] for x in runs]) for k in ("td", "pt", "pt0"))
    print("  medians of %d: tcpdump %s (%.0f ns/packet), proctraf %s (%.0f ns/packet), "
          "proctraf with a 0-socket fixture %s (%.0f ns/packet)" % (
              len(runs), fmt_s(mtd), mtd / npk * 1e9, fmt_s(mpt), mpt / npk * 1e9,
              fmt_s(mpt0), mpt0 / npk * 1e9))
    print("  cpu (user+sys) medians: tcpdump %s, proctraf %s" % (
        fmt_s(med([x["td_cpu"] for x in runs])), fmt_s(med([x["pt_cpu"] for x in runs]))))
    record(1, "packet path, proctraf -r (100k-socket fixture)",
           "%.0f ns/pkt" % (mpt / npk * 1e9),
           "tcpdump -r %.0f ns/pkt (issue: ~%d)" % (mtd / npk * 1e9, ISSUE["tcpdump_ns"]),
           mpt / mtd, "<=", 2.0, "proctraf/tcpdump")
    record(1, "packet path, 0-socket fixture (diagnostic)", "%.0f ns/pkt" % (mpt0 / npk * 1e9),
           "tcpdump -r %.0f ns/pkt" % (mtd / npk * 1e9), mpt0 / mtd, ratio_of="proctraf/tcpdump")
    if A.callgrind:
        callgrind()


def callgrind():
    if A.quick:
        pcap, truth = capture("p200k_10k", 200000, 10000)
        proc = fixture(10000)
        what = "200,000 packets, 10,000 flows, 10,000-socket fixture (--quick)"
    else:
        pcap, truth = capture("p2m", 2000000, 100000)
        proc = fixture(100000)
        what = "2,000,000 packets, 100,000 flows, 100,000-socket fixture"
    print("\n  callgrind: proctraf -r on %s" % what, flush=True)
    out = os.path.join(A.tmp, "callgrind.out")
    must(run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, A.proctraf,
              "-r", pcap, "--proc-root", proc], keep_out=False, timeout=3600), "callgrind")
    keep = os.path.join(A.cache, "callgrind.out")
    subprocess.run(["cp", out, keep], check=False)
    total = 0
    tops = {}
    top = os.path.dirname(HERE) + "/"
    for incl in ("no", "yes"):
        r = must(run(["callgrind_annotate", "--auto=no", "--inclusive=" + incl, out]), "callgrind_annotate")
        best = {}
        for line in r.out.splitlines():
            m = re.match(r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.*)$", line)
            if not m:
                continue
            ir = int(m.group(1).replace(",", ""))
            name = m.group(3)
            if "PROGRAM TOTALS" in name:
                total = ir
                continue
            obj = re.search(r" \[([^]]*)\]$", name)
            name = re.sub(r" \[[^]]*\]$", "", name).replace(top, "")
            if name.startswith("???") and obj:
                name = "%s:%s" % (os.path.basename(obj.group(1)), name[4:])
            name = re.sub(r"^\./[^:]*/", "libc ", name) if "libc" in (obj.group(1) if obj
                                                                       else "") else name
            # The same function may come twice (inlined parts): keep the larger.
            if ir > best.get(name, (0,))[0]:
                best[name] = (ir, float(m.group(2)))
        tops[incl] = sorted(((ir, pct, n) for n, (ir, pct) in best.items()), reverse=True)
    npk = truth["packets"]
    incl = {n: ir for ir, _, n in tops["yes"]}

    def part(fn):
        return max([ir for n, ir in incl.items() if n.endswith(":" + fn)] or [0])
    disp, refresh, report = (part(f) for f in ("capture_dispatch", "resolver_refresh",
                                                  "session_report"))
    print("  total %s instructions: reading packets (capture_dispatch) %.0f%% = %.0f per "
          "packet; /proc fixture (resolver_refresh) %.0f%%; report (session_report, "
          "attribution) %.0f%% = %.0f per flow" % (
              format(total, ","), 100 * disp / total, disp / npk, 100 * refresh / total,
              100 * report / total, report / max(truth["flows"], 1)))
    A.callgrind_split = (total, disp / total, refresh / total, report / total, disp / npk)
    print("  top functions by instructions, self (exclusive):")
    A.callgrind_self = []
    for ir, pct, name in tops["no"][:12]:
        print("    %5.1f%%  %15s  %s" % (pct, format(ir, ","), name))
        A.callgrind_self.append((pct, ir, name))
    print("  top proctraf functions, inclusive (callees counted):")
    A.callgrind_incl = []
    for ir, pct, name in [t for t in tops["yes"] if re.match(r"^core/", t[2])][:12]:
        print("    %5.1f%%  %15s  %s" % (pct, format(ir, ","), name))
        A.callgrind_incl.append((pct, ir, name))
    print("  (full profile kept: callgrind_annotate %s)" % keep)


# ---- holders of idle sockets ---------------------------------------------------

holders = None


def ensure_holders():
    global holders
    if holders is not None:
        return
    print("  opening %d idle loopback TCP sockets over %d processes in %s" % (
        A.sockets, A.procs, A.ns_a), flush=True)
    rfd, wfd = os.pipe()   # holders live while wfd is open
    out = os.path.join(A.tmp, "holders.out")
    p = start(in_ns(A.ns_a, [A.sockhold, str(A.procs), str(A.sockets)]), out,
              os.path.join(A.tmp, "holders.err"), stdin=rfd)
    os.close(rfd)
    p.keep_fd = wfd
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if slurp(out).startswith("ready"):
            break
        if p.poll() is not None:
            raise RuntimeError("sockhold failed: " + slurp(p.err_path))
        time.sleep(0.05)
    else:
        raise RuntimeError("sockhold: not ready after 120 s")
    holders = p
    n = must(run(in_ns(A.ns_a, ["ss", "-tanH", "state", "established"])), "ss").out.count("\n")
    print("  ss sees %d established TCP sockets in %s" % (n, A.ns_a), flush=True)
    if n < A.sockets:
        raise RuntimeError("only %d of %d sockets are open" % (n, A.sockets))


# ---- 2. resolver ----------------------------------------------------------------

def bench_resolver():
    heading("2. resolver: resolve_bench vs ss -tanp / ss -tan (%d TCP sockets, %d processes)"
            % (A.sockets, A.procs))
    ensure_holders()
    rb = A.resolve_bench

    def once():
        out = []
        for i in range(A.reps):
            d = {}
            steps = [("rb", in_ns(A.ns_a, [rb, "full", "1"])),
                     ("tanp", in_ns(A.ns_a, ["ss", "-tanp"])),
                     ("tan", in_ns(A.ns_a, ["ss", "-tan"]))]
            if i & 1:
                steps.reverse()
            for k, cmd in steps:
                x = must(run(cmd, keep_out=(k == "rb")), k)
                if k == "rb":
                    m = re.search(r"full ([\d.]+) again ([\d.]+) sockets (\d+) processes (\d+)",
                                  x.out)
                    d["full"], d["again"] = float(m.group(1)), float(m.group(2))
                    d["sockets"], d["processes"] = int(m.group(3)), int(m.group(4))
                else:
                    d[k] = x.wall
            print("  run %d: resolver full pass %s (then %s again; %d sockets, %d processes)"
                  "  ss -tanp %s  ss -tan %s" % (
                      i + 1, fmt_s(d["full"]), fmt_s(d["again"]), d["sockets"],
                      d["processes"], fmt_s(d["tanp"]), fmt_s(d["tan"])), flush=True)
            out.append(d)
        return out

    runs = series("resolver full pass", once, ["full", "tanp"])
    full, again, tanp, tan = (med([x[k] for x in runs]) for k in ("full", "again", "tanp", "tan"))
    if min(x["sockets"] for x in runs) < A.sockets:
        notes.append("resolver: learned fewer sockets than held")

    nruns = A.newflow_runs
    x = must(run(in_ns(A.ns_a, [rb, "newflow", str(nruns)])), "resolve_bench newflow")
    nf = [re.match(r"newflow ([\d.]+) calls (\d+) via (\S+) found (\d)", ln).groups()
          for ln in x.out.splitlines() if ln.startswith("newflow")]
    times = [float(t) for t, _, _, _ in nf]
    calls = [int(c) for _, c, _, _ in nf]
    via = nf[0][2] if nf else "?"
    found = sum(int(f) for _, _, _, f in nf)
    print("  new flow (a new process, one new connection), %d runs: median %s, max %s; "
          "calls until found: median %g, max %d; via resolver_%s; owner found %d/%d" % (
              len(times), fmt_s(med(times)), fmt_s(max(times)), med(calls), max(calls),
              via, found, len(nf)), flush=True)
    A.newflow_via = via
    print("  medians of %d: full pass %s, ss -tanp %s, ss -tan %s, periodic pass "
          "(all known) %s" % (len(runs), fmt_s(full), fmt_s(tanp), fmt_s(tan), fmt_s(again)))
    record(2, "resolver full pass (new + refresh)", fmt_s(full),
           "ss -tanp %s (issue: %d ms)" % (fmt_s(tanp), ISSUE["ss_tanp_ms"]),
           full / tanp, "<=", 0.5, "pass/ss -tanp")
    record(2, "resolver periodic pass (all known)", fmt_s(again),
           "ss -tan %s (issue: %d ms)" % (fmt_s(tan), ISSUE["ss_tan_ms"]), again / tan,
           ratio_of="pass/ss -tan")
    ok = found == len(nf) and nf
    record(2, "new flow -> owner found (resolver_%s)" % via, fmt_s(med(times)),
           "goal 2 ms; ss -tanp %s" % fmt_s(tanp), med(times) / 0.002 if ok else 99.0,
           "<=", 1.0, "time/2 ms")


# ---- 3. live capture -------------------------------------------------------------

sinks = None


def ensure_sinks():
    global sinks
    if sinks is not None:
        return
    sinks = []
    for mode, port in (("udp-sink", UDP_PORT), ("tcp-sink", TCP_PORT)):
        out = os.path.join(A.tmp, mode + ".out")
        p = start(in_ns(A.ns_b, [A.blast, mode, str(port)]), out,
                  os.path.join(A.tmp, mode + ".err"))
        end = time.monotonic() + 10
        while not slurp(out).startswith("ready"):
            if p.poll() is not None or time.monotonic() > end:
                raise RuntimeError("%s failed: %s" % (mode, slurp(p.err_path)))
            time.sleep(0.02)
        sinks.append(p)


def packet_inodes(pid):
    """Inodes of the packet sockets of pid's network namespace."""
    inodes = set()
    try:
        with open("/proc/%d/net/packet" % pid) as f:
            for line in f.readlines()[1:]:
                inodes.add(line.split()[-1])
    except OSError:
        pass
    return inodes


def socket_inodes(pid):
    out = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                out.add(link[8:-1])
    except OSError:
        pass
    return out


def wait_capturing(procs, timeout=20):
    """Until each process holds a packet socket (its capture is open)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready = 0
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError("%s exited early: %s" % (p.args[3], slurp(p.err_path)[-500:]))
            if packet_inodes(p.pid) & socket_inodes(p.pid):
                ready += 1
        if ready == len(procs):
            return
        time.sleep(0.05)
    raise RuntimeError("captures not open after %d s" % timeout)


def cpu_now(pid):
    """Seconds on a CPU of every thread of pid so far (/proc/PID/task/*/schedstat, in ns)."""
    total = 0
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        pass
    return total / 1e9


def tcpdump_stats(text):
    def num(what):
        m = re.search(r"(\d+) packets? %s" % what, text)
        return int(m.group(1)) if m else None
    return num("captured"), num("received by filter"), num("dropped by kernel")


def live_once(mode, secs, i, nethogs):
    """One run: tcpdump and proctraf (and nethogs) capture while the blaster sends."""
    tag = "%s%d%s" % (mode, i, "n" if nethogs else "")
    f = lambda s: os.path.join(A.tmp, "%s.%s" % (tag, s))  # noqa: E731
    veth = A.veth_a
    td = start(in_ns(A.ns_a, ["tcpdump", "-i", veth, "-n", "-B", "32768", "-w", "/dev/null"]),
               None, f("td.err"))
    pt = start(in_ns(A.ns_a, [A.proctraf, "-i", veth]), f("pt.out"), f("pt.err"))
    procs = [td, pt]
    if nethogs:
        procs.append(start(in_ns(A.ns_a, ["nethogs", "-t", "-C", veth]), f("nh.out"),
                           f("nh.err")))
    try:
        wait_capturing(procs)
        time.sleep(0.3)
        # The CPU of the traffic alone: not the start-up (loading, the first
        # pass over /proc) nor the report at the end, which do not grow with it.
        before = [cpu_now(p.pid) for p in procs]
        if mode == "udp":
            cmd = [A.blast, "udp", B4, str(UDP_PORT), str(secs), "18"]
        else:
            cmd = [A.blast, "tcp", B6, str(TCP_PORT), str(secs)]
        bl = must(run(in_ns(A.ns_a, cmd)), "blast " + mode)
        time.sleep(0.5)
        during = [cpu_now(p.pid) - b for p, b in zip(procs, before)]
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            reap(p, 15)
    finally:
        for p in procs:
            if p in children:
                reap(p, 0)
    m = re.search(r"sent (\d+) (\d+)", bl.out)
    sent_pk, sent_bytes = int(m.group(1)), int(m.group(2))
    tcap, trecv, tdrop = tcpdump_stats(slurp(f("td.err")))
    rows, footer = parse_report(slurp(f("pt.out")))
    if pt.returncode != 0 or footer is None or tcap is None:
        raise RuntimeError("live %s: proctraf exit %s, %s; tcpdump: %s" % (
            mode, pt.returncode, slurp(f("pt.err"))[-300:], slurp(f("td.err"))[-300:]))
    # The blaster's row, by its command line (the sink in B may have one too).
    brow = [r for r in rows if re.search(r"blast %s " % mode, r["rest"])]
    wire = max(trecv or 0, footer["packets"] + footer["kdrop"], tcap)
    d = {"pps": (sent_pk if mode == "udp" else wire) / secs, "wire": wire,
         "sent_pk": sent_pk, "sent_bytes": sent_bytes,
         "pt": footer["packets"], "pt_drop": footer["kdrop"] + footer["ifdrop"],
         "td": tcap, "td_drop": tdrop or 0,
         "blast_row_pk": brow[0]["sent_pk"] if brow else 0,
         "blast_row_bytes": brow[0]["sent"] if brow else 0,
         "pt_cpu": pt.cpu, "td_cpu": td.cpu, "nh_cpu": procs[2].cpu if nethogs else 0.0}
    d["pt_cpu_traffic"], d["td_cpu_traffic"] = during[1], during[0]
    for k in ("pt", "nh", "td"):
        d[k + "_cpm"] = d[k + "_cpu"] / (wire / 1e6)
    for k in ("pt", "td"):
        d[k + "_cpm_traffic"] = d[k + "_cpu_traffic"] / (wire / 1e6)
    if mode == "udp":
        row = "blaster row %d packets of %d sent" % (d["blast_row_pk"], sent_pk)
    else:
        row = "blaster row %d IP bytes for %d payload bytes written" % (
            d["blast_row_bytes"], sent_bytes)
    d["owners"] = footer["owners"]
    print("  %s run %d%s: %.0f kpkt/s on the link (%d packets); captured: proctraf (owners: "
          "%s) %d (dropped %d), tcpdump %d (dropped %d); %s; cpu s/Mpkt: proctraf %.2f, %s"
          "tcpdump %.2f; during the traffic: proctraf %.3f, tcpdump %.3f" % (
              mode, i + 1, " +nethogs" if nethogs else "", d["pps"] / 1e3, wire, d["owners"],
              d["pt"],
              d["pt_drop"], d["td"], d["td_drop"], row, d["pt_cpm"],
              "nethogs %.2f, " % d["nh_cpm"] if nethogs else "", d["td_cpm"],
              d["pt_cpm_traffic"], d["td_cpm_traffic"]), flush=True)
    return d


def bench_live():
    heading("3. live capture over a veth pair (%s <-> %s), %d idle sockets" % (
        A.ns_a, A.ns_b, A.sockets))
    ensure_holders()
    ensure_sinks()
    secs = A.live_secs
    bl = must(run(in_ns(A.ns_a, [A.blast, "udp", B4, str(UDP_PORT), "1", "18"])), "blast")
    alone = int(bl.out.split()[1])
    print("  the blaster alone, no capture running: %.0f kpkt/s" % (alone / 1e3), flush=True)
    for mode, what in (("udp", "UDP flood, 46-byte IPv4 packets, sendmmsg"),
                       ("tcp", "TCP bulk over IPv6, one connection")):
        print("  -- %s, %g s per run: proctraf beside tcpdump (the highest rate), then "
              "beside tcpdump and nethogs (CPU)" % (what, secs), flush=True)

        def once():
            out = []
            for i in range(A.reps):
                out.append((live_once(mode, secs, i, False), live_once(mode, secs, i, True)))
            return out

        pairs = once()
        cpu = [b for _, b in pairs]
        if len(cpu) > 2 and spread([r["pt_cpm"] for r in cpu]) > NOISE:
            msg = "live %s: noisy (proctraf cpu/Mpkt spread %.0f%%); re-ran once, medians " \
                  "over both sets" % (mode, 100 * spread([r["pt_cpm"] for r in cpu]))
            print("  " + msg, flush=True)
            notes.append(msg)
            pairs += once()
        alln = [r for pr in pairs for r in pr]
        fast = [a for a, _ in pairs]
        cpu = [b for _, b in pairs]
        worst = min(r["pt"] / r["td"] if r["td"] else 1.0 for r in alln)
        drops = sum(r["pt_drop"] for r in alln)
        tdrops = sum(r["td_drop"] for r in alln)
        pps = med([r["pps"] for r in fast])
        record(3, "live %s: packets counted vs tcpdump (worst run)" % mode,
               "%d dropped by kernel in %d runs" % (drops, len(alln)),
               "tcpdump: %d dropped; %.0f kpkt/s%s" % (
                   tdrops, pps / 1e3,
                   " (blaster alone: %.0f)" % (alone / 1e3) if mode == "udp" else ""),
               worst, ">=", 1.0, "proctraf/tcpdump captured")
        if mode == "udp":
            exact = all(r["blast_row_pk"] == r["sent_pk"] for r in alln)
            print("  blaster's row equals what it sent, every run: %s" % (
                "yes" if exact else "NO"), flush=True)
            if not exact:
                notes.append("live udp: the blaster's row differs from what it sent")
        # Beside tcpdump alone (the runs without nethogs): the same packets, the same run.
        # The whole process (start-up and report too), then the traffic alone.
        owners = "/".join(sorted({r["owners"] for r in fast}))
        ptf, tdf = med([r["pt_cpm"] for r in fast]), med([r["td_cpm"] for r in fast])
        record(3, "live %s: CPU s per Mpkt beside tcpdump, whole run (owners: %s)" % (
                   mode, owners),
               "proctraf %.2f" % ptf, "tcpdump %.2f" % tdf, ptf / tdf if tdf else None,
               ratio_of="proctraf/tcpdump")
        ptt = med([r["pt_cpm_traffic"] for r in fast])
        tdt = med([r["td_cpm_traffic"] for r in fast])
        record(3, "live %s: CPU s per Mpkt beside tcpdump, traffic (owners: %s)" % (
                   mode, owners),
               "proctraf %.3f" % ptt, "tcpdump %.3f" % tdt, ptt / tdt if tdt else None,
               "<=", 3.0, "proctraf/tcpdump")
        ptc, nhc = med([r["pt_cpm"] for r in cpu]), med([r["nh_cpm"] for r in cpu])
        record(3, "live %s: CPU s per Mpkt (%.0f kpkt/s)" % (mode, med([r["pps"] for r in cpu])
                                                             / 1e3),
               "proctraf %.2f" % ptc,
               "nethogs %.2f, tcpdump %.2f" % (nhc, med([r["td_cpm"] for r in cpu])),
               ptc / nhc if nhc else None, ratio_of="proctraf/nethogs")


# ---- 4. memory --------------------------------------------------------------------

def bench_memory():
    heading("4. memory: max RSS of proctraf -r by flows, packets, and a flood beyond --max-flows")
    proc = fixture(1000)
    cases = [("0 flows", "m0", 0, 0, None),
             ("100k flows, 100k packets", "m100k", 100000, 100000, None),
             ("100k flows, 2M packets", "p2m", 2000000, 100000, None),
             ("1M flows, 1M packets", "m1m", 1000000, 1000000, None)]
    fmax = 100000
    floods = [("flood 400k packets", "flood400k", 400000, 0, fmax),
              ("flood 2M packets", "flood2m", 2000000, 0, fmax)]
    rss, reports = {}, {}
    for label, name, pk, fl, fm in cases + floods:
        pcap, truth = capture(name, pk, fl, fm)
        cmd = [A.proctraf, "-r", pcap, "--proc-root", proc]
        if fm:
            cmd += ["--max-flows", str(fm)]
        vals = []
        for _ in range(A.mem_reps):
            # Through /usr/bin/time: the rusage of a child forked from this
            # Python would count Python's own RSS from before the exec.
            tf = os.path.join(A.tmp, "time.out")
            r = must(run(["/usr/bin/time", "-f", "%M", "-o", tf] + cmd), "proctraf " + name)
            with open(tf) as f:
                vals.append(int(f.read().split()[-1]) * 1024)
        rss[name] = med(vals)
        reports[name] = (parse_report(r.out), truth)
        print("  %-28s max RSS %8.1f MiB  (%s)%s" % (
            label, rss[name] / 2**20, " ".join("%.1f" % (v / 2**20) for v in vals),
            "  --max-flows %d" % fm if fm else ""), flush=True)
    per_flow = (rss["m1m"] - rss["m100k"]) / 900000
    per_flow0 = (rss["m1m"] - rss["m0"]) / 1000000
    per_pk = (rss["p2m"] - rss["m100k"]) / 1900000
    flood_pk = (rss["flood2m"] - rss["flood400k"]) / 1600000
    print("  slope 100k->1M flows: %.1f B/flow (0->1M: %.1f B/flow); 100k flows, 100k->2M "
          "packets: %.2f B/packet; flood 400k->2M packets: %.2f B/packet" % (
              per_flow, per_flow0, per_pk, flood_pk))
    record(4, "RSS per flow (slope 100k->1M flows)", "%.0f B/flow" % per_flow,
           "goal 150 B/flow", per_flow / 150, "<=", 1.0, "slope/150 B")
    record(4, "RSS per packet (100k flows, 100k->2M pkts)", "%.2f B/pkt" % per_pk,
           "flat: <= 1 B/pkt", per_pk, "<=", 1.0, "B/pkt")
    record(4, "RSS in a flood beyond --max-flows 100000", "%.2f B/pkt" % flood_pk,
           "flat: <= 1 B/pkt (%.0f -> %.0f MiB)" % (rss["flood400k"] / 2**20,
                                                    rss["flood2m"] / 2**20),
           flood_pk, "<=", 1.0, "B/pkt")
    ok_all = True
    for name in ("flood400k", "flood2m"):
        (rows, footer), truth = reports[name]
        tf = [r for r in rows if r["command"] == "unknown:table-full"]
        tft = truth["table_full"]
        total_rows = sum(r["sent"] + r["recv"] for r in rows)
        ok = (footer is not None and footer["ip_bytes"] == truth["ip_bytes"] and
              footer["packets"] == truth["packets"] and total_rows == truth["ip_bytes"] and
              tf and tf[0]["sent"] == tft["sent_bytes"] and tf[0]["recv"] == tft["recv_bytes"]
              and tf[0]["sent_pk"] + tf[0]["recv_pk"] == tft["packets"])
        print("  %s: footer %s IP bytes (truth %d), rows sum %d, table-full row %s/%s "
              "(truth %d/%d): %s" % (
                  name, footer and footer["ip_bytes"], truth["ip_bytes"], total_rows,
                  tf[0]["sent"] if tf else "-", tf[0]["recv"] if tf else "-",
                  tft["sent_bytes"], tft["recv_bytes"], "exact" if ok else "WRONG"), flush=True)
        ok_all = ok_all and bool(ok)
    record(4, "flood: every byte counted (footer, rows, table-full)",
           "exact" if ok_all else "WRONG", "generator's ledger", 1.0 if ok_all else 0.0,
           ">=", 1.0, "1 = exact")


# ---- 5. start-up and exit -------------------------------------------------------------

def window_run(ns):
    """proctraf -d 1: wall, and when its capture opened (its packet socket appeared)."""
    p = start(in_ns(ns, [A.proctraf, "-d", "1"]), None, os.path.join(A.tmp, "d1.err"))
    opened = None
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            break
        if opened is None and packet_inodes(p.pid) & socket_inodes(p.pid):
            opened = time.perf_counter() - p.t0
        time.sleep(0.001)
    wall = time.perf_counter() - p.t0
    children.discard(p)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError("proctraf -d 1 exited %d: %s" % (
            p.returncode, slurp(os.path.join(A.tmp, "d1.err"))[-300:]))
    opened = opened if opened is not None else float("nan")
    return wall, opened, wall - opened - 1.0


def bench_startup():
    heading("5. start-up and exit: proctraf -d 1 with %d sockets open" % A.sockets)
    ensure_holders()

    def once():
        out = []
        for i in range(A.reps):
            a, a_open, a_exit = window_run(A.ns_a)
            b, b_open, b_exit = window_run(A.ns_b)
            print("  run %d: in A (%d sockets) %s (capture open after %s, exit %s after the "
                  "window); in B (no sockets of its own) %s (%s, %s)" % (
                      i + 1, A.sockets, fmt_s(a), fmt_s(a_open), fmt_s(a_exit), fmt_s(b),
                      fmt_s(b_open), fmt_s(b_exit)), flush=True)
            out.append({"a": a, "a_open": a_open, "a_exit": a_exit, "b": b})
        return out

    runs = series("start-up", once, ["a"])
    a, b = med([x["a"] for x in runs]), med([x["b"] for x in runs])
    a_open, a_exit = med([x["a_open"] for x in runs]), med([x["a_exit"] for x in runs])
    print("  medians of %d: %s wall = start-up %s + the 1 s window + exit %s; in B %s" % (len(runs), fmt_s(a), fmt_s(a_open), fmt_s(a_exit), fmt_s(b)))
    record(5, "proctraf -d 1 wall, %d sockets" % A.sockets,
           "%s (start %s, exit %s)" % (fmt_s(a), fmt_s(a_open), fmt_s(a_exit)),
           "the 1 s window; in B: %s" % fmt_s(b), a / 1.0, "<=", 1.1, "wall/1 s")


# ---- main -------------------------------------------------------------------------

def summary():
    print("\n== summary (%s, medians; ratio is against the reference column, goal on the "
          "ratio)\n" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    lines = ["| # | figure | proctraf | reference | ratio | goal | result |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        ratio = r["ratio"] + (" (%s)" % r["ratio_of"] if r["ratio_of"] else "")
        lines.append("| %d | %s | %s | %s | %s | %s | %s |" % (
            r["num"], r["figure"], r["ours"], r["ref"], ratio, r["goal"], r["verdict"]))
    text = "\n".join(lines)
    print(text)
    if getattr(A, "callgrind_self", None):
        print("\ncallgrind, top functions by own instructions:")
        for pct, ir, name in A.callgrind_self[:8]:
            print("  %5.1f%%  %s" % (pct, name))
    if notes:
        print("\nnotes:")
        for n in notes:
            print("  - " + n)
    if A.results:
        with open(A.results, "w") as f:
            f.write(text + "\n")
            if notes:
                f.write("\n" + "\n".join("- " + n for n in notes) + "\n")


def on_term(sig, frame):
    raise SystemExit(128 + sig)


def main():
    ap = argparse.ArgumentParser()
    for k in ("proctraf", "resolve_bench", "sockhold", "blast", "tmp", "cache", "ns_a", "ns_b",
              "veth_a", "veth_b", "results"):
        ap.add_argument("--" + k.replace("_", "-"), default="")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--live-secs", type=float, default=0)
    ap.add_argument("which", nargs="*", type=int)
    ns = ap.parse_args()
    A.__dict__.update(vars(ns))
    A.callgrind = not ns.no_callgrind
    A.reps = 3 if A.quick else 5
    A.mem_reps = 1 if A.quick else 3
    A.live_secs = ns.live_secs or (2 if A.quick else 3)
    A.newflow_runs = 10 if A.quick else 20
    A.sockets, A.procs = 10000, 200
    os.makedirs(A.cache, exist_ok=True)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    which = ns.which or [1, 2, 3, 4, 5]
    rc = 0
    try:
        for n in which:
            try:
                {1: bench_packet_path, 2: bench_resolver, 3: bench_live, 4: bench_memory,
                 5: bench_startup}[n]()
            except Exception as e:  # one benchmark failing must not stop the others
                print("  ERROR in benchmark %d: %s: %s" % (n, type(e).__name__, e), flush=True)
                notes.append("benchmark %d did not complete: %s" % (n, str(e).splitlines()[0]))
                rc = 1
        summary()
    except KeyboardInterrupt:
        print("\ninterrupted", flush=True)
        rc = 130
    finally:
        if holders is not None and getattr(holders, "keep_fd", None) is not None:
            os.close(holders.keep_fd)
        kill_all()
    return rc


if __name__ == "__main__":
    sys.exit(main())
