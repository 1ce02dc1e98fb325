#!/usr/bin/env python3
"""The cases of the live tests; run.sh prepares the namespaces and runs this.

    LIVE_NS_A=.. LIVE_NS_B=.. LIVE_VETH_A=.. LIVE_VETH_B=.. LIVE_A4=.. (B4, A6, B6) \\
    LIVE_TMP=DIR \\
    LIVE_PY=/usr/bin/python3 LIVE_COUNTS=FILE live.py BINARY

A (10.231.N.1, fd00:231:N::1) and B (.2, ::2) are network namespaces joined by
a veth pair. Servers run in B, clients, proctraf and a tcpdump beside it in A.
Each client's row must equal, exactly, what the capture shows for its
endpoint (pcaptruth.py). Prints "ok NAME" / "FAIL NAME: why" (and "skip
NAME: why" for what this machine cannot give, counted neither way) and a
figures line per client; writes "PASSED FAILED" to LIVE_COUNTS. Every wait is
bounded and the whole run stops itself after TIME_LIMIT seconds
(LIVE_TIME_LIMIT, default 90); every process started here is ended on the
way out.

The report cases (case_intervals to case_sigint_intervals) run several
proctraf at once on the same traffic, each with other report options
(intervals, formats, groups, connections, filters, SIGUSR1, a terminal), and
hold every report to the capture and to the others; reports.py reads the
reports back. LIVE_KEEP=DIR keeps some of those reports in DIR too.

The clients pace their traffic over 0.3-1.5 s: the cases check byte-exact
accounting, not how short a process's life proctraf can still catch.
"""
import csv
import fnmatch
import io
import ipaddress
import json
import math
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import tty

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import pcaptruth  # noqa: E402
import procs  # noqa: E402
import live_inject  # noqa: E402
import reports  # noqa: E402
from procs import Overtime, finish, in_ns, install_handlers, quiet, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen.py")
ENV = os.environ
NS_A, NS_B = ENV.get("LIVE_NS_A", ""), ENV.get("LIVE_NS_B", "")
VETH_A = ENV.get("LIVE_VETH_A", "")
TMP = ENV.get("LIVE_TMP", "")
PY = ENV.get("LIVE_PY", "/usr/bin/python3")
COUNTS = ENV.get("LIVE_COUNTS", "")
A4, B4 = ENV.get("LIVE_A4", "10.231.0.1"), ENV.get("LIVE_B4", "10.231.0.2")
A6, B6 = ENV.get("LIVE_A6", "fd00:231::1"), ENV.get("LIVE_B6", "fd00:231::2")
LOCAL_A = {4: [A4, "127.0.0.1"], 6: [A6, "::1"]}      # for a wildcard-bound socket
HEADER = ["pid", "user", "command", "sent_bytes", "recv_bytes", "sent_packets",
          "recv_packets", "flows", "netns", "cmdline"]
TEXT_HEADER = [h.upper() for h in HEADER]
FOOTER = re.compile(r"^captured \d+ packets, \d+ IP bytes; \d+ not IP, \d+ malformed; "
                    r"dropped: \d+ by kernel, \d+ by interface"
                    r"(?:; owners from (?:the kernel|/proc))?$")
SPAN = re.compile(r"^from (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) to "
                  r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) \((\d+\.\d{6}) s\)$")
NUMS = ("sent_bytes", "recv_bytes", "sent_packets", "recv_packets")
MAX_HDR = 100          # bytes of headers a packet may carry beyond its payload
TIME_LIMIT = int(ENV.get("LIVE_TIME_LIMIT", "90"))
NOBODY = 65534         # the unprivileged user of case_no_permission

results = []
children = []


def check(name, ok, why=""):
    results.append(bool(ok))
    print(("ok %s" % name) if ok else ("FAIL %s: %s" % (name, why)), flush=True)
    return ok


def skip(name, why):
    """A check this machine cannot make: said why, and counted neither way."""
    print("skip %s: %s" % (name, why), flush=True)


def spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw):
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                         bufsize=0, **kw)
    children.append(p)
    return p


def gen(ns, *args):
    return spawn(in_ns(ns, PY, GEN, *[str(a) for a in args]))


def gen_report(p, what, timeout=15):
    rc, out, err = finish(p, timeout)
    lines = out.strip().splitlines()
    if rc != 0 or not lines:
        raise RuntimeError("%s: exit %s, stderr %r" % (what, rc, err.strip()[-300:]))
    return json.loads(lines[-1])


class Capture:
    """tcpdump -U -w beside proctraf; truth() is pcaptruth's table of the file.
    --immediate-mode: each packet reaches tcpdump (and, -U, the file) as it
    comes; without it libpcap hands over a TPACKET_V3 block only when it is
    full or its 1 s timeout expires, and a SIGINT sooner than that after the
    traffic loses the packets of the block still open."""

    def __init__(self, ns, dev, name, expr=("tcp", "or", "udp")):
        self.path = os.path.join(TMP, name + ".pcap")
        self.p = spawn(in_ns(ns, "tcpdump", "-i", dev, "--immediate-mode", "-U", "-n", "-s",
                             "256", "-w", self.path, *expr))
        if not wait_for(self.p.stderr, "listening on"):
            raise RuntimeError("tcpdump -i %s did not start: %s" % (dev, finish(self.p, 5)[2]))
        self.err = ""

    def stop(self):
        time.sleep(0.3)                 # the last packets reach the file (-U)
        _, _, self.err = finish(self.p, 10, signal.SIGINT)
        m = re.search(r"(\d+) packets? dropped by kernel", self.err)
        return int(m.group(1)) if m else -1

    def truth(self):
        return pcaptruth.table(self.path)


def capturing(pts, timeout=5):
    """Wait until every proctraf of pts captures. proctraf opens its capture
    (pcap activated, the filter set) in session_open(), before it starts any
    thread, and session_run() starts the resolver thread first: from its
    second thread on, every packet on the interface reaches its buffer, so
    the traffic started after this is all in its window. Raises if one
    ends or is not there within timeout seconds."""
    end = time.monotonic() + timeout
    for p in pts:
        while True:
            try:
                n = len(os.listdir("/proc/%d/task" % p.pid))
            except OSError:
                n = 0
            if n >= 2 and p.poll() is None:
                break
            if p.poll() is not None or time.monotonic() > end:
                rc, _, err = finish(p, 5)
                raise RuntimeError("proctraf %d is not capturing: exit %s, stderr %r"
                                   % (p.pid, rc, err[:300]))
            time.sleep(0.005)


def parse_csv(text):
    """(rows as dicts, error or None)."""
    try:
        raw = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as e:
        return None, "CSV does not parse: %s" % e
    if not raw or raw[0] != HEADER:
        return None, "header %r, want %r" % (raw[:1], HEADER)
    rows = []
    for r in raw[1:]:
        if len(r) != len(HEADER):
            return None, "row of %d fields: %r" % (len(r), r)
        d = dict(zip(HEADER, r))
        try:
            for k in NUMS + ("flows",):
                d[k] = int(d[k])
        except ValueError:
            return None, "not a number in %r" % r
        rows.append(d)
    return rows, None


def parse_text(text):
    """Text report -> (rows, footer line, error or None)."""
    lines = text.split("\n")
    if not lines or lines[0].split() != TEXT_HEADER:
        return None, None, "header %r" % lines[:1]
    rows = []
    i = 1
    while i < len(lines) and lines[i] != "":
        f = lines[i].split(None, 9)
        if len(f) < 9:
            return None, None, "row %r" % lines[i]
        d = dict(zip(HEADER, f + [""] * (10 - len(f))))
        try:
            for k in NUMS + ("flows",):
                d[k] = int(d[k])
        except ValueError:
            return None, None, "not a number in %r" % lines[i]
        rows.append(d)
        i += 1
    rest = [ln for ln in lines[i + 1:] if ln != ""]
    if len(rest) != 2 or lines[-1] != "" or not SPAN.match(rest[0]):
        return None, None, "after the rows: %r" % lines[i:]
    return rows, rest[1], None


def row_of(rows, pid):
    found = [r for r in rows or [] if r["pid"] == str(pid)]
    return found[0] if len(found) == 1 else None


def unknown_rows(rows):
    return [r for r in rows or [] if r["command"].startswith("unknown:")]


def truth_of(tab, rep):
    """The capture's counters for a generator's local endpoint."""
    addrs = [rep["laddr"]]
    if rep["laddr"] in ("0.0.0.0", "::"):
        addrs = LOCAL_A[rep["family"]]
    return pcaptruth.endpoint(tab, addrs, rep["lport"], rep["proto"])


def compare(name, row, rep, t):
    """One client (or server) row against the capture and its own payload counts."""
    if not check(name + " row", row is not None,
                 "no single row for pid %s" % rep["pid"]):
        print("%s pid=%s sent=-/%d recv=-/%d (proctraf/truth)" % (
            name, rep["pid"], t["sent_bytes"], t["recv_bytes"]), flush=True)
        return
    print("%s pid=%s sent=%d/%d recv=%d/%d sent_packets=%d/%d recv_packets=%d/%d flows=%d/%d"
          " (proctraf/truth) payload sent=%d recv=%d" % (
              name, rep["pid"], row["sent_bytes"], t["sent_bytes"], row["recv_bytes"],
              t["recv_bytes"], row["sent_packets"], t["sent_packets"], row["recv_packets"],
              t["recv_packets"], row["flows"], t["flows"], rep["sent"], rep["recv"]), flush=True)
    got = {k: row[k] for k in NUMS}
    want = {k: t[k] for k in NUMS}
    check(name + " bytes and packets equal the capture", got == want,
          "proctraf %s, tcpdump %s" % (got, want))
    check(name + " flows", row["flows"] == t["flows"],
          "proctraf %d, tcpdump %d" % (row["flows"], t["flows"]))
    for d in ("sent", "recv"):
        b, n, pay = row[d + "_bytes"], row[d + "_packets"], rep[d]
        why = "payload %d, bytes %d, packets %d (bound %d..%d); on the wire: payload %d" % (
            pay, b, n, pay, pay + n * MAX_HDR, t[d + "_payload"])
        if t[d + "_payload"] != pay:
            why += " (retransmissions?)"
        check("%s %s is payload plus headers" % (name, d), pay <= b <= pay + n * MAX_HDR, why)
    check(name + " user and command", row["user"] == "root" and row["command"] == rep["comm"],
          "user %r command %r, want root %r" % (row["user"], row["command"], rep["comm"]))


def start_servers(specs):
    servers = []
    for s in specs:
        srv = gen(NS_B, *s["server"])
        if not wait_for(srv.stdout, "ready"):
            raise RuntimeError("server %s did not start: %s" % (s["name"], finish(srv, 5)[2]))
        servers.append(srv)
    return servers


def run_clients(specs, servers, deadline):
    """Start every client at once; return (client reports, server reports, all done by)."""
    clients = [gen(NS_A, *s["client"]) for s in specs]
    reps = [gen_report(c, s["name"] + " client", deadline) for c, s in zip(clients, specs)]
    done = time.monotonic()
    srvs = [gen_report(p, s["name"] + " server", 10) for p, s in zip(servers, specs)]
    return reps, srvs, done


def check_generators(name, rep, srv):
    ok = rep["sent"] == srv["recv"] and rep["recv"] == srv["sent"] and not rep.get("lost")
    check(name + " generators agree", ok, "client %s server %s" % (rep, srv))


# ---------------------------------------------------------------- cases

MAIN_SPECS = [
    dict(name="tcp4", client=["tcp-client", B4, 5001, "--send", 300000, "--pace", 0.8],
         server=["tcp-server", B4, 5001, "--reply", 200000, "--pace", 0.8]),
    dict(name="tcp6", client=["tcp-client", "-6", B6, 5002, "--send", 150000, "--pace", 0.8],
         server=["tcp-server", "-6", B6, 5002, "--reply", 400000, "--pace", 0.8]),
    dict(name="udp4 sendto", client=["udp-client", B4, 5003, "--count", 200, "--size", 900,
                                     "--pace", 1.5],
         server=["udp-server", B4, 5003, "--count", 200, "--size", 700]),
    # 600..1800-byte datagrams: the larger ones leave in two IPv6 fragments.
    dict(name="udp6 connected", client=["udp-client", "-6", B6, 5004, "--count", 150, "--size",
                                        1200, "--connected", "--pace", 1.5],
         server=["udp-server", "-6", B6, 5004, "--count", 150, "--size", 300]),
]


def case_main(binary):
    """Four clients at once over the veth, proctraf -i VETH -d 5 --csv 'tcp or udp'."""
    servers = start_servers(MAIN_SPECS)
    cap = Capture(NS_A, VETH_A, "main")
    t0 = time.monotonic()
    pt = spawn(in_ns(NS_A, binary, "-i", VETH_A, "-d", "5", "--csv", "tcp or udp"))
    capturing([pt])
    reps, srvs, done = run_clients(MAIN_SPECS, servers, 8)
    clients_in_window = pt.poll() is None
    rc, out, err = finish(pt, 12)
    took = time.monotonic() - t0
    dropped = cap.stop()
    check("main exit 0", rc == 0, "exit %s, stderr %r" % (rc, err))
    check("main stderr empty", err == "", repr(err))
    check("main duration", 4.5 <= took <= 7, "-d 5 took %.2f s" % took)
    check("main clients finished inside the window", clients_in_window,
          "clients done %.2f s after the start" % (done - t0))
    check("main tcpdump dropped nothing", dropped == 0, cap.err.strip())
    rows, why = parse_csv(out)
    if not check("main CSV parses, header as in the spec", rows is not None,
                 "%s; stdout %r" % (why, out[:300])):
        return
    tab = cap.truth()
    for spec, rep, srv in zip(MAIN_SPECS, reps, srvs):
        check_generators(spec["name"], rep, srv)
        compare(spec["name"], row_of(rows, rep["pid"]), rep, truth_of(tab, rep))
    check("main nothing unattributed", not unknown_rows(rows), repr(unknown_rows(rows)))


def case_sigint(binary):
    """No -d, no -c, text output: SIGINT ends the capture and the full report is printed."""
    specs = [dict(name="sigint tcp4",
                  client=["tcp-client", B4, 5011, "--send", 50000, "--pace", 0.3],
                  server=["tcp-server", B4, 5011, "--reply", 20000, "--pace", 0.3])]
    servers = start_servers(specs)
    cap = Capture(NS_A, VETH_A, "sigint")
    pt = spawn(in_ns(NS_A, binary, "-i", VETH_A))
    capturing([pt])
    reps, srvs, _ = run_clients(specs, servers, 8)
    time.sleep(0.3)
    alive = pt.poll() is None
    t0 = time.monotonic()
    rc, out, err = finish(pt, 5, signal.SIGINT)
    took = time.monotonic() - t0
    cap.stop()
    check("sigint still running before the signal", alive, "exited %s early" % pt.returncode)
    check("sigint exit 0", rc == 0, "exit %s, stderr %r" % (rc, err))
    check("sigint stderr empty", err == "", repr(err))
    check("sigint prompt", took < 2, "took %.1f s after SIGINT" % took)
    rows, footer, why = parse_text(out)
    if not check("sigint full text report", rows is not None and FOOTER.match(footer or ""),
                 "%s; footer %r; stdout %r" % (why, footer, out[:500])):
        return
    rep = reps[0]
    row = row_of(rows, rep["pid"])
    check("sigint report has the client", row is not None and row["sent_bytes"] > 0 and
          row["recv_bytes"] > 0, "pid %s, rows %r" % (rep["pid"], rows))
    compare("sigint tcp4", row, rep, truth_of(cap.truth(), rep))


def case_loopback(binary):
    """Server and client both in A over 127.0.0.1 and ::1: each side once per direction."""
    pairs = [("lo4", "127.0.0.1", [], 5021, 120000, 70000),
             ("lo6", "::1", ["-6"], 5022, 90000, 160000)]
    cap = Capture(NS_A, "lo", "lo")
    servers = []
    for name, addr, fam, port, send, reply in pairs:
        srv = gen(NS_A, "tcp-server", *fam, addr, port, "--reply", reply, "--pace", 0.5)
        if not wait_for(srv.stdout, "ready"):
            raise RuntimeError("%s server did not start: %s" % (name, finish(srv, 5)[2]))
        servers.append(srv)
    pt = spawn(in_ns(NS_A, binary, "-i", "lo", "-d", "4", "--csv"))
    capturing([pt])
    clients = [gen(NS_A, "tcp-client", *fam, addr, port, "--send", send, "--pace", 0.5)
               for name, addr, fam, port, send, reply in pairs]
    reps = [gen_report(c, p[0] + " client") for c, p in zip(clients, pairs)]
    srvs = [gen_report(s, p[0] + " server") for s, p in zip(servers, pairs)]
    in_window = pt.poll() is None
    rc, out, err = finish(pt, 10)
    dropped = cap.stop()
    check("loopback exit 0, stderr empty", rc == 0 and err == "", "exit %s, stderr %r" % (rc, err))
    check("loopback traffic inside the window", in_window, "proctraf ended first")
    check("loopback tcpdump dropped nothing", dropped == 0, cap.err.strip())
    rows, why = parse_csv(out)
    if not check("loopback CSV parses", rows is not None, "%s; stdout %r" % (why, out[:300])):
        return
    tab = cap.truth()
    for (name, *_), rep, srv in zip(pairs, reps, srvs):
        check_generators(name, rep, srv)
        crow, srow = row_of(rows, rep["pid"]), row_of(rows, srv["pid"])
        compare(name + " client", crow, rep, truth_of(tab, rep))
        compare(name + " server", srow, srv, truth_of(tab, srv))
        ok = crow is not None and srow is not None and all(
            crow["sent_" + k] == srow["recv_" + k] and crow["recv_" + k] == srow["sent_" + k]
            for k in ("bytes", "packets"))
        check(name + " client sent = server recv and back", ok,
              "client %r server %r" % (crow, srow))
    check("loopback nothing unattributed", not unknown_rows(rows), repr(unknown_rows(rows)))


def case_any(binary):
    """The default interface (`any`, LINUX_SLL2 frames), a TCP and a UDP client."""
    specs = [
        dict(name="any tcp6", client=["tcp-client", "-6", B6, 5031, "--send", 80000,
                                      "--pace", 0.4],
             server=["tcp-server", "-6", B6, 5031, "--reply", 60000, "--pace", 0.4]),
        dict(name="any udp4", client=["udp-client", B4, 5032, "--count", 100, "--size", 500,
                                      "--pace", 0.8],
             server=["udp-server", B4, 5032, "--count", 100, "--size", 1000]),
    ]
    servers = start_servers(specs)
    cap = Capture(NS_A, "any", "any")
    pt = spawn(in_ns(NS_A, binary, "-d", "3", "--csv", "tcp or udp"))
    capturing([pt])
    reps, srvs, _ = run_clients(specs, servers, 6)
    in_window = pt.poll() is None
    rc, out, err = finish(pt, 10)
    dropped = cap.stop()
    check("any exit 0, stderr empty", rc == 0 and err == "", "exit %s, stderr %r" % (rc, err))
    check("any traffic inside the window", in_window, "proctraf ended first")
    check("any tcpdump dropped nothing", dropped == 0, cap.err.strip())
    rows, why = parse_csv(out)
    if not check("any CSV parses", rows is not None, "%s; stdout %r" % (why, out[:300])):
        return
    tab = cap.truth()
    for spec, rep, srv in zip(specs, reps, srvs):
        check_generators(spec["name"], rep, srv)
        compare(spec["name"], row_of(rows, rep["pid"]), rep, truth_of(tab, rep))
    check("any nothing unattributed", not unknown_rows(rows), repr(unknown_rows(rows)))


def echo_truth(path, addr, ident):
    """The ICMP echoes of the pinger (addr, ident) in a tcpdump file: requests
    from it and replies to it, as IP lengths and packets."""
    out = dict(req_bytes=0, req_packets=0, rep_bytes=0, rep_packets=0)
    with open(path, "rb") as f:
        data = f.read()
    for linktype, frame in pcaptruth.records(data):
        ip = pcaptruth.ip_of(linktype, frame)
        if not ip or ip[0] >> 4 != 4 or len(ip) < 20 or ip[9] != 1:
            continue
        l4 = ip[(ip[0] & 15) * 4:]
        if len(l4) < 8 or struct.unpack(">H", l4[4:6])[0] != ident:
            continue
        src, dst = (str(ipaddress.ip_address(ip[i:i + 4])) for i in (12, 16))
        if l4[0] == 8 and src == addr:
            k = "req"
        elif l4[0] == 0 and dst == addr:
            k = "rep"
        else:
            continue
        out[k + "_bytes"] += struct.unpack(">H", ip[2:4])[0]
        out[k + "_packets"] += 1
    return out


def case_ping(binary):
    """Ping sockets (/proc/net/icmp shows the echo id as their port), to B over
    the veth and to 127.0.0.1 on lo at once, a proctraf and a tcpdump on each:
    the pinger's row has its requests as sent and its replies as received,
    once (tcpdump truth); on lo the kernel's side of them is unknown:no-socket."""
    subprocess.run(in_ns(NS_A, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"),
                   check=True, timeout=10, stdout=subprocess.DEVNULL)
    runs = [("ping veth", VETH_A, B4), ("ping lo", "lo", "127.0.0.1")]
    caps = [Capture(NS_A, dev, name.replace(" ", "-"), ("icmp",)) for name, dev, _ in runs]
    pts = [spawn(in_ns(NS_A, binary, "-i", dev, "-d", "2.5", "--csv", "icmp"))
           for _, dev, _ in runs]
    capturing(pts)
    pings = [gen(NS_A, "ping", addr, "--count", 20, "--size", 56, "--pace", 0.4)
             for _, _, addr in runs]
    reps = [gen_report(g, name) for g, (name, _, _) in zip(pings, runs)]
    for (name, _, addr), pt, cap, rep in zip(runs, pts, caps, reps):
        rc, out, err = finish(pt, 10)
        dropped = cap.stop()
        rows, why = parse_csv(out)
        row = row_of(rows, rep["pid"])
        t = echo_truth(cap.path, rep["laddr"], rep["lport"])
        want = (t["req_bytes"], t["rep_bytes"], t["req_packets"], t["rep_packets"])
        got = row and tuple(row[k] for k in NUMS)
        print("%s pid=%s id=%d sent=%s/%d recv=%s/%d packets=%s/%d,%s/%d (proctraf/tcpdump)" % (
            name, rep["pid"], rep["lport"], got and got[0], want[0], got and got[1], want[1],
            got and got[2], want[2], got and got[3], want[3]), flush=True)
        check(name + " exit 0, stderr empty", rc == 0 and err == "",
              "exit %s, stderr %r" % (rc, err))
        check(name + " tcpdump dropped nothing", dropped == 0, cap.err.strip())
        # 20 echoes of 20 + 8 + 56 bytes each way: the capture saw them all.
        check(name + " capture has every echo", want == (1680, 1680, 20, 20), repr(t))
        check(name + " ping socket: its requests sent, its replies received, once",
              got == want, "row %r; %s" % (row, why))
        unknown = unknown_rows(rows)
        if addr == B4:
            check(name + " nothing unattributed", rows is not None and not unknown,
                  repr(unknown))
            continue
        # The kernel received the requests and sent the replies: no socket.
        ns = [r for r in unknown if r["command"] == "unknown:no-socket"]
        kernel = ns and tuple(ns[0][k] for k in NUMS)
        check(name + " the kernel's side is unknown:no-socket",
              len(unknown) == 1 and kernel == (want[1], want[0], want[3], want[2]),
              "unknown rows %r" % unknown)


NO_PERMISSION_WARNING = ("proctraf: warning: not allowed to see the processes of some sockets "
                         "(needs CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE); their traffic is in "
                         "unknown:no-permission\n")
# Where the kernel's owner source may not be loaded (no CAP_BPF): said once, why.
OWNERS_NOTE = re.compile(r"^proctraf: note: in-kernel owner source not loaded \(.*CAP_BPF.*\); "
                         r"owners from /proc\n\Z")


def case_no_permission(binary):
    """proctraf as nobody with only CAP_NET_RAW and CAP_NET_ADMIN (file
    capabilities on a copy of the binary, as README's setcap line gives
    them), root's clients moving traffic: their sockets are found, their
    processes may not be looked at, so their traffic is exactly
    unknown:no-permission (not no-process), with one warning on stderr."""
    specs = [dict(name="noperm tcp4",
                  client=["tcp-client", B4, 5041, "--send", 60000, "--pace", 0.5],
                  server=["tcp-server", B4, 5041, "--reply", 30000, "--pace", 0.5]),
             dict(name="noperm udp4",
                  client=["udp-client", B4, 5042, "--count", 40, "--size", 400, "--pace", 0.5],
                  server=["udp-server", B4, 5042, "--count", 40, "--size", 200])]
    # A directory nobody may enter, the copy with the capabilities in it.
    d = tempfile.mkdtemp(prefix="proctraf-noperm.")
    try:
        os.chmod(d, 0o755)
        copy = os.path.join(d, "proctraf")
        shutil.copy(binary, copy)
        os.chmod(copy, 0o755)
        r = subprocess.run(["setcap", "cap_net_raw,cap_net_admin+ep", copy],
                           capture_output=True, text=True, timeout=10)
        if not check("noperm setcap", r.returncode == 0, r.stderr.strip()):
            return
        servers = start_servers(specs)
        cap = Capture(NS_A, VETH_A, "noperm")
        pt = spawn(in_ns(NS_A, "setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                         "--clear-groups", "--inh-caps=-all", copy, "-i", VETH_A, "-d", "3",
                         "--csv", "tcp or udp"))
        capturing([pt])
        reps, srvs, _ = run_clients(specs, servers, 6)
        in_window = pt.poll() is None
        rc, out, err = finish(pt, 10)
        dropped = cap.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    check("noperm exit 0", rc == 0, "exit %s, stderr %r" % (rc, err))
    check("noperm traffic inside the window", in_window, "proctraf ended first")
    check("noperm tcpdump dropped nothing", dropped == 0, cap.err.strip())
    # The setcap line without cap_bpf: the kernel's owners are not loaded, which is said first.
    note, _, rest = err.partition("\n")
    check("noperm stderr is the note and the warning, once each",
          OWNERS_NOTE.match(note + "\n") is not None and rest == NO_PERMISSION_WARNING,
          repr(err))
    rows, why = parse_csv(out)
    if not check("noperm CSV parses", rows is not None, "%s; stdout %r" % (why, out[:300])):
        return
    tab = cap.truth()
    want = dict.fromkeys(NUMS, 0)
    for spec, rep, srv in zip(specs, reps, srvs):
        check_generators(spec["name"], rep, srv)
        check(spec["name"] + " no row of its own", row_of(rows, rep["pid"]) is None,
              repr(row_of(rows, rep["pid"])))
        t = truth_of(tab, rep)
        for k in NUMS:
            want[k] += t[k]
    found = [r for r in rows if r["command"] == "unknown:no-permission"]
    got = found and {k: found[0][k] for k in NUMS}
    print("noperm unknown:no-permission %s, tcpdump %s" % (got, want), flush=True)
    check("noperm root's traffic is unknown:no-permission, exactly", got == want,
          "proctraf %s, tcpdump %s; rows %r" % (got, want, rows))
    check("noperm nothing in unknown:no-process",
          not [r for r in rows if r["command"] == "unknown:no-process"], repr(rows))


def expect_error(name, cmd, want_rc, want_text=None, stdout=None):
    """Exit want_rc, one stderr line `proctraf: ...` (containing want_text), nothing on stdout."""
    full = stdout is not None
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                       stdout=stdout if full else subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=20)
    err = r.stderr.decode(errors="replace")
    lines = err.split("\n")
    ok = r.returncode == want_rc and len(lines) == 2 and lines[1] == "" and \
        lines[0].startswith("proctraf: ") and (full or r.stdout == b"")
    if want_text:
        ok = ok and want_text in err
    check(name, ok, "exit %s (want %s), stdout %r, stderr %r" % (
        r.returncode, want_rc, None if full else r.stdout[:200], err))


def thread_policies(pid):
    """{tid: scheduling policy} of pid's threads (/proc/PID/task/*/stat field 41)."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(tid)] = int(fields[38])     # field 41; fields[0] is field 3
    return out


def case_priority(binary):
    """The capture thread (the main one) asks for SCHED_FIFO; --no-realtime, or no
    CAP_SYS_NICE, leaves every thread at normal priority, and the capture works."""
    fifo = 1
    # Where even root may not have real time (a container's cgroup), proctraf
    # goes on at normal priority: then that is what the default must give.
    rt_ok = subprocess.run(in_ns(NS_A, "chrt", "-f", "1", "true"), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    if not rt_ok:
        print("note: SCHED_FIFO is refused here (chrt -f 1 fails): the default stays normal",
              flush=True)
    # Real time is the default with owners from /proc (a race to win), not
    # with the kernel's (none), where --realtime asks for it.
    runs = [("priority default, owners from /proc", [binary, "-i", VETH_A, "-d", "2", "--csv",
                                                      "--owners=proc"], rt_ok),
            ("priority default, the kernel's owners", [binary, "-i", VETH_A, "-d", "2",
                                                       "--csv", "--owners=kernel"], False),
            ("priority --realtime, the kernel's owners", [binary, "-i", VETH_A, "-d", "2",
                                                          "--csv", "--owners=kernel",
                                                          "--realtime"], rt_ok),
            ("priority --no-realtime", [binary, "-i", VETH_A, "-d", "2", "--csv",
                                        "--no-realtime"], False),
            ("priority without CAP_SYS_NICE",
             ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
              "--inh-caps=-all,+net_raw,+net_admin", "--ambient-caps=+net_raw,+net_admin",
              binary, "-i", VETH_A, "-d", "2", "--csv"], False)]
    for name, cmd, want in runs:
        pt = spawn(in_ns(NS_A, *cmd))
        time.sleep(1)
        pol = thread_policies(pt.pid) if pt.poll() is None else {}
        rc, out, err = finish(pt, 10)
        rows, why = parse_csv(out)
        ok = len(pol) >= 2 and (pol.get(pt.pid) == fifo if want else fifo not in pol.values())
        check("%s: %s" % (name, "the capture thread SCHED_FIFO" if want else "no thread SCHED_FIFO"),
              ok, "policies %r (pid %d)" % (pol, pt.pid))
        # Without the capabilities to load the kernel's programs: the note, nothing else.
        quiet = err == "" or OWNERS_NOTE.match(err) is not None
        check("%s exit 0, a report" % name, rc == 0 and quiet and rows is not None,
              "exit %s, stderr %r; %s" % (rc, err, why))


def case_errors(binary):
    a = lambda *args: in_ns(NS_A, binary, *args)        # noqa: E731
    # --help names the columns the CSV header has, in its order.
    h = subprocess.run([binary, "--help"], capture_output=True, text=True)
    cols = h.stdout.split("Columns:", 1)[-1].split(".", 1)[0].split()
    check("help lists the columns", h.returncode == 0 and cols == HEADER,
          "exit %d, columns %r" % (h.returncode, cols))
    expect_error("error no such interface", a("-i", "nonexistent0", "-d", "1"), 1,
                 "nonexistent0")
    expect_error("error bad filter", a("-d", "1", "tcp port"), 2)
    expect_error("error -c 0", a("-d", "1", "-c", "0"), 2)
    expect_error("error -d -1", a("-d", "-1"), 2)
    expect_error("error -d abc", a("-d", "abc"), 2)
    expect_error("error unknown option", a("--no-such-option"), 2)
    with open("/dev/full", "wb") as full:
        expect_error("error full disk", a("-d", "1"), 1,
                     "write error: No space left on device", stdout=full)
    expect_error("error not permitted",
                 in_ns(NS_A, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                       "--inh-caps=-all", binary, "-d", "1"), 1, "CAP_NET_RAW")
    r = subprocess.run("%s | head -c 1 >/dev/null" % " ".join(a("-i", "lo", "-d", "0.5")),
                       shell=True, stderr=subprocess.PIPE, timeout=20)
    check("error closed pipe is quiet", r.stderr == b"", repr(r.stderr))


# ---------------------------------------------------------------- reports (issue 10)
#
# The cases below run several proctraf at once on the same traffic, each with
# other report options, and hold every report to the capture beside them and
# to each other.

KEEP = ENV.get("LIVE_KEEP", "")
TIMES = ["start", "end", "duration"]
COUNTERS = ["sent_bytes", "recv_bytes", "sent_packets", "recv_packets"]
CONN_HEADER = ["proto", "local_addr", "local_port", "remote_addr", "remote_port", "pid", "user",
               "command", "via"] + COUNTERS + ["first", "last", "netns"]
HALF = reports.Decimal("0.500000")      # the -I 0.5 of these cases, as reports print it


class shared_timestamps:
    """A socket with SO_TIMESTAMP held open: while one exists the kernel stamps
    each packet once, before any capture sees it (net_enable_timestamp), and
    proctraf and tcpdump read the same time for it. Without one, each packet
    socket stamps the packet when it gets it, and the two differ by some
    microseconds."""

    def __enter__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_TIMESTAMP", 29), 1)
        return self

    def __exit__(self, *exc):
        self.sock.close()


def capture_totals(tab):
    """(packets, IP bytes) of the capture: every TCP/UDP packet has one source endpoint."""
    return (sum(e["sent_packets"] for e in tab.values()),
            sum(e["sent_bytes"] for e in tab.values()))


def is_unknown(r):
    return r.get("pid") is None


def nums(r):
    return r and {k: r[k] for k in NUMS}


def with_flows(r):
    return r and dict(nums(r), flows=r["flows"])


def one_row(rows, pid):
    found = [r for r in rows or [] if r.get("pid") == pid]
    return found[0] if len(found) == 1 else None


def sum_rows(blocks, pid):
    """pid's counters summed over the rows of every block."""
    out = dict.fromkeys(NUMS, 0)
    for rows, _ in blocks:
        for r in rows:
            if r.get("pid") == pid:
                for k in NUMS:
                    out[k] += r[k]
    return out


def generators(specs, reps, srvs):
    """[(label, report)] of every client and server, the generators' ledgers checked."""
    out = []
    for spec, rep, srv in zip(specs, reps, srvs):
        check_generators(spec["name"], rep, srv)
        out += [(spec["name"] + " client", rep), (spec["name"] + " server", srv)]
    return out


def truth_row(tab, rep):
    return with_flows(truth_of(tab, rep))


def check_truth(name, rows, gens, tab):
    """Each generator's row, by its pid, has the capture's bytes, packets and flows."""
    for label, rep in gens:
        got, want = with_flows(one_row(rows, rep["pid"])), truth_row(tab, rep)
        check("%s %s equals the capture" % (name, label), got == want,
              "pid %d: proctraf %s, tcpdump %s" % (rep["pid"], got, want))


def keep_file(name, text):
    """LIVE_KEEP=DIR: a report kept as DIR/name, to look at or to quote."""
    if KEEP:
        os.makedirs(KEEP, exist_ok=True)
        with open(os.path.join(KEEP, name), "w") as f:
            f.write(text)


def summary_chain(name, sums, last_max_us):
    """Interval summaries (dicts with start, end, duration, index): numbered
    from 1, each starting where the one before ended, every one but the last
    exactly 0.5 s (the grid is the run's start + k * interval), the last one
    more than 0 and at most last_max_us long."""
    idx = [s["index"] for s in sums]
    check(name + " intervals numbered 1, 2, 3...", idx == list(range(1, len(sums) + 1)),
          repr(idx))
    breaks = [k for k in range(1, len(sums)) if sums[k]["start"] != sums[k - 1]["end"]]
    check(name + " each interval starts where the one before ended", not breaks,
          "; ".join("%d ends %s, %d starts %s" % (idx[k - 1], sums[k - 1]["end"], idx[k],
                                                  sums[k]["start"]) for k in breaks))
    lens = [reports.iso_us(s["end"]) - reports.iso_us(s["start"]) for s in sums]
    said = [reports.seconds_us(s["duration"]) for s in sums]
    check(name + " each duration is its end minus its start", lens == said,
          "end - start %r, durations %r" % (lens, said))
    check(name + " every interval but the last lasts exactly 0.5 s",
          all(d == 500000 for d in lens[:-1]) and all(s["duration"] == HALF for s in sums[:-1]),
          "durations %r" % [str(s["duration"]) for s in sums])
    check(name + " the last interval ends the run (0 < duration <= %.6f s)" % (last_max_us / 1e6),
          0 < lens[-1] <= last_max_us, "last duration %d us" % lens[-1])


def sock_of(rep):
    """(proto, local address, port, remote address, port) of a generator's socket
    (a wildcard-bound one: the address of A its traffic left from)."""
    ip = ipaddress.ip_address
    laddr = rep["laddr"]
    if laddr in ("0.0.0.0", "::"):
        laddr = LOCAL_A[rep["family"]][0]
    return (rep["proto"], ip(laddr), rep["lport"], ip(rep["raddr"]), rep["rport"])


def sock_of_conn(r):
    ip = ipaddress.ip_address
    return (r["proto"], ip(r["local_addr"]), r["local_port"], ip(r["remote_addr"]),
            r["remote_port"])


# ---- 1. intervals add up

IV_SPECS = [
    dict(name="iv tcp4", client=["tcp-client", B4, 5051, "--send", 400000, "--pace", 1.0],
         server=["tcp-server", B4, 5051, "--reply", 300000, "--pace", 1.0]),
    dict(name="iv udp6", client=["udp-client", "-6", B6, 5052, "--count", 160, "--size", 600,
                                 "--pace", 2.0],
         server=["udp-server", "-6", B6, 5052, "--count", 160, "--size", 400]),
]


IV_CLOSED = 5059       # no socket in B: ptsend's datagrams are unknown:no-socket at B's end


def case_intervals(binary):
    """-I 0.5 -d 3, one run as JSON lines with --total, one as CSV and one as
    --connections JSON lines, beside a tcpdump, while TCP and UDP traffic
    paced over 2 s crosses several intervals, and ptsend sends a datagram
    every 0.5 ms to a port of B with no socket, so that packets come at
    every interval's end. The intervals follow each other on a 0.5 s grid
    from the run's start; per process they add up, exactly, to the total
    and to the capture, and their summaries' packets and bytes to the
    total's; a connection's first is its flow's first packet, its last the
    last one so far, and no row has a packet from after its interval's end."""
    with shared_timestamps():
        servers = start_servers(IV_SPECS)
        cap = Capture(NS_A, VETH_A, "intervals")
        common = ["-i", VETH_A, "-d", "3", "-I", "0.5"]
        runs = [("json", ["--total", "--json"]), ("csv", ["--csv"]),
                ("connections", ["-C", "--json"])]
        pts = [spawn(in_ns(NS_A, binary, *common, *args, "tcp or udp")) for _, args in runs]
        capturing(pts)
        sender = gen(NS_A, "udp-send", B4, IV_CLOSED, "--count", 4000, "--size", 60,
                     "--pace", 2.0, "--comm", "ptsend")
        reps, srvs, _ = run_clients(IV_SPECS, servers, 8)
        sent = gen_report(sender, "ptsend", 8)
        in_window = all(p.poll() is None for p in pts)
        done = [finish(p, 10) for p in pts]
        dropped = cap.stop()
    for (name, _), (rc, out, err) in zip(runs, done):
        check("intervals %s exit 0, stderr empty" % name, rc == 0 and err == "",
              "exit %s, stderr %r" % (rc, err))
    check("intervals traffic inside the window", in_window, "a proctraf ended first")
    check("intervals tcpdump dropped nothing", dropped == 0, cap.err.strip())
    tab = cap.truth()
    gens = generators(IV_SPECS, reps, srvs) + [("ptsend", sent)]
    (_, outj, _), (_, outc, _), (_, outk, _) = done
    keep_file("intervals.json", outj)
    keep_file("intervals.csv", outc)
    keep_file("intervals-connections.json", outk)
    intervals_json(outj, gens, tab)
    intervals_csv(outc, gens, tab)
    intervals_connections(outk, gens, tab, cap.path)


def intervals_connections(out, gens, tab, pcap):
    n = "intervals connections"
    blocks, why = reports.parse_json(out, TIMES + CONN_HEADER)
    if not check(n + " JSON lines: six interval reports", blocks is not None and
                 [s["report"] for _, s in blocks] == ["interval"] * 6,
                 "%s; stdout %r" % (why, out[:300])):
        return
    times = pcaptruth.flow_times(pcap)
    run_start = reports.iso_us(blocks[0][1]["start"])
    for label, rep in gens:
        got, want = sum_rows(blocks, rep["pid"]), nums(truth_of(tab, rep))
        check("%s %s: its rows add up to the capture" % (n, label), got == want,
              "pid %d: connections %s, tcpdump %s" % (rep["pid"], got, want))
        _, la, lp, ra, rp = sock_of(rep)
        flow = times.get((rep["proto"],) + tuple(sorted([(str(la), lp), (str(ra), rp)])))
        mine = [(r, s) for rows, s in blocks for r in rows if r["pid"] == rep["pid"]]
        firsts = {reports.iso_us(r["first"]) for r, _ in mine}
        lasts = [reports.iso_us(r["last"]) for r, _ in mine]
        check("%s %s: first is the flow's first packet in every interval, last grows to its last"
              % (n, label), flow is not None and firsts == {flow[0]} and run_start <= flow[0] and
              lasts == sorted(lasts) and lasts[-1:] == [flow[1]],
              "first %s, last %s; tcpdump %s" % (sorted(firsts), lasts, flow))
    # A packet counted in an interval was captured before the interval's end.
    late = ["interval %d (to %s): %s %s:%s last %s, %d us after" % (
        s["interval"], s["end"], r["command"], r["local_addr"], r["local_port"], r["last"],
        reports.iso_us(r["last"]) - reports.iso_us(s["end"]))
        for rows, s in blocks for r in rows if reports.iso_us(r["last"]) > reports.iso_us(s["end"])]
    check(n + " no row has a packet from after its interval's end", not late,
          "%d rows: %s" % (len(late), "; ".join(late[:4])))


def intervals_json(out, gens, tab):
    n = "intervals json"
    blocks, why = reports.parse_json(out, TIMES + HEADER)
    if not check(n + " every line a JSON object: rows, then a summary", blocks is not None,
                 "%s; stdout %r" % (why, out[:300])):
        return
    ok, why = reports.jq_agrees(out)
    if ok is None:
        skip(n + " jq reads the same values", why)
    else:
        check(n + " jq reads the same values", ok, why)
    sums = [s for _, s in blocks]
    kinds = [s["report"] for s in sums]
    # -d 3 / -I 0.5: five intervals end on the grid, the sixth with the run.
    if not check(n + " six interval reports, then the total",
                 kinds == ["interval"] * 6 + ["total"], repr(kinds)):
        return
    ivs, total = sums[:-1], sums[-1]
    for s in ivs:
        s["index"] = s["interval"]
    summary_chain(n, ivs, 1000000)
    check(n + " the intervals cover the total's span, start to end",
          ivs[0]["start"] == total["start"] and ivs[-1]["end"] == total["end"] and
          reports.iso_us(total["end"]) - reports.iso_us(total["start"]) ==
          reports.seconds_us(total["duration"]),
          "first %s, last %s; total %s to %s (%s s)" % (ivs[0]["start"], ivs[-1]["end"],
                                                       total["start"], total["end"],
                                                       total["duration"]))
    check(n + " interval_seconds 0.500000, interval null in the total",
          all(s["interval_seconds"] == HALF for s in sums) and total["interval"] is None,
          repr([(s["interval"], s["interval_seconds"]) for s in sums]))
    bad = [(s["report"], s["interval"], r.get("pid")) for rows, s in blocks for r in rows
           if (r["start"], r["end"], r["duration"]) != (s["start"], s["end"], s["duration"])]
    check(n + " every row carries its report's start, end and duration", not bad, repr(bad))
    bad = [(s["interval"], s["rows"], len(rows)) for rows, s in blocks if s["rows"] != len(rows)]
    check(n + " each summary counts its rows", not bad, repr(bad))
    for k in ("packets", "ip_bytes", "not_ip", "malformed", "duplicates"):
        got = sum(s[k] for s in ivs)
        check("%s the intervals' %s add up to the total's" % (n, k), got == total[k],
              "intervals %d, total %d" % (got, total[k]))
    want = capture_totals(tab)
    got = (total["packets"], total["ip_bytes"])
    check(n + " the total's packets and ip_bytes are the capture's", got == want,
          "proctraf %s, tcpdump %s" % (got, want))
    active = [k for k, (rows, _) in enumerate(blocks[:-1])
              if any(r["pid"] == rep["pid"] for r in rows for _, rep in gens)]
    check(n + " the traffic spans at least 3 intervals", len(active) >= 3,
          "generator rows in intervals %r" % [k + 1 for k in active])
    total_rows = blocks[-1][0]
    for label, rep in gens:
        per = sum_rows(blocks[:-1], rep["pid"])
        tot = one_row(total_rows, rep["pid"])
        print("%s %s pid=%d intervals=%s total=%s capture=%s" % (
            n, label, rep["pid"], per, nums(tot), nums(truth_of(tab, rep))), flush=True)
        check("%s %s: its intervals add up to its total row" % (n, label), per == nums(tot),
              "intervals %s, total %s" % (per, nums(tot)))
    check_truth(n + " total", total_rows, gens, tab)
    closed = pcaptruth.endpoint(tab, [B4], IV_CLOSED, "udp")
    want = [dict(command="unknown:no-socket", sent_bytes=0, recv_bytes=closed["recv_bytes"],
                 sent_packets=0, recv_packets=closed["recv_packets"], flows=1)]
    got = [dict(command=r["command"], flows=r["flows"], **nums(r))
           for r in total_rows if is_unknown(r)]
    check(n + " total: the one unknown row, ptsend's datagrams at B's end", got == want,
          "unknown rows %s; tcpdump at %s:%d %s" % (got, B4, IV_CLOSED, want))


def intervals_csv(out, gens, tab):
    n = "intervals csv"
    blocks, why = reports.parse_sv(out, TIMES + HEADER)
    if not check(n + " parses; the header (start, end, duration first) once", blocks is not None,
                 "%s; stdout %r" % (why, out[:300])):
        return
    rows = blocks[0][0]
    check(n + " every row carries start, end and duration",
          rows and all(r["start"] and r["end"] and r["duration"] is not None for r in rows),
          repr([r for r in rows if not (r["start"] and r["end"] and r["duration"])][:3]))
    # The intervals with rows, in the order they come: no interval twice.
    spans = []
    for r in rows:
        sp = (r["start"], r["end"], r["duration"])
        if not spans or spans[-1] != sp:
            spans.append(sp)
    starts = [reports.iso_us(sp[0]) for sp in spans]
    check(n + " intervals in order, each one's rows together",
          len(set(spans)) == len(spans) and starts == sorted(starts), repr(spans))
    # Empty intervals print no rows: the ones here sit on the grid from the first.
    t0 = starts[0]
    off = [(t - t0) % 500000 for t in starts]
    lens = [reports.iso_us(sp[1]) - reports.iso_us(sp[0]) for sp in spans]
    ok = not any(off) and lens == [reports.seconds_us(sp[2]) for sp in spans] and \
        all(sp[2] == HALF for sp in spans[:-1]) and 500000 <= lens[-1] <= 1000000
    check(n + " intervals on a 0.5 s grid, 0.5 s each (the last up to the run's end)", ok,
          repr(spans))
    check(n + " the traffic spans at least 3 intervals", len(spans) >= 3, repr(spans))
    for label, rep in gens:
        got, want = sum_rows(blocks, rep["pid"]), nums(truth_of(tab, rep))
        check("%s %s: its intervals add up to the capture" % (n, label), got == want,
              "pid %d: intervals %s, tcpdump %s" % (rep["pid"], got, want))


# ---- 2. one run, four formats

FMT_SPECS = [
    dict(name="fmt tcp6", client=["tcp-client", "-6", B6, 5061, "--send", 120000, "--pace", 0.4],
         server=["tcp-server", "-6", B6, 5061, "--reply", 90000, "--pace", 0.4]),
    dict(name="fmt udp4", client=["udp-client", B4, 5062, "--count", 80, "--size", 700,
                                  "--pace", 0.6],
         server=["udp-server", B4, 5062, "--count", 80, "--size", 500]),
]
FORMATS = [("text", [], "txt"), ("csv", ["--csv"], "csv"), ("tsv", ["--tsv"], "tsv"),
           ("json", ["--json"], "json")]


def parse_format(fmt, out, header=HEADER):
    if fmt == "text":
        return reports.parse_text(out, header)
    if fmt == "json":
        return reports.parse_json(out, header)
    return reports.parse_sv(out, header, tsv=fmt == "tsv")


def case_formats(binary):
    """Four proctraf at once, text, --csv, --tsv and --json, started before
    the traffic (each capturing) and ended by SIGTERM after it: the four
    reports have the same rows, value for value and in the same order, and
    each generator's row is the capture's. LIVE_KEEP=DIR keeps the four
    (DIR/formats.txt, .csv, .tsv, .json; formats.pcap is the capture)."""
    servers = start_servers(FMT_SPECS)
    cap = Capture(NS_A, VETH_A, "formats")
    pts = [spawn(in_ns(NS_A, binary, "-i", VETH_A, *args, "tcp or udp"))
           for _, args, _ in FORMATS]
    capturing(pts)
    reps, srvs, _ = run_clients(FMT_SPECS, servers, 8)
    alive = [p.poll() is None for p in pts]
    done = [finish(p, 10, signal.SIGTERM) for p in pts]
    dropped = cap.stop()
    check("formats all four still capturing after the traffic", all(alive), repr(alive))
    check("formats tcpdump dropped nothing", dropped == 0, cap.err.strip())
    tab = cap.truth()
    gens = generators(FMT_SPECS, reps, srvs)
    tables = {}
    for (fmt, _, ext), (rc, out, err) in zip(FORMATS, done):
        keep_file("formats." + ext, out)
        check("formats %s exit 0 on SIGTERM, stderr empty" % fmt, rc == 0 and err == "",
              "exit %s, stderr %r" % (rc, err))
        blocks, why = parse_format(fmt, out)
        if check("formats %s parses, one report" % fmt, blocks is not None and len(blocks) == 1,
                 "%s; stdout %r" % (why, out[:300])):
            tables[fmt] = blocks[0]
    if len(tables) < 4:
        return
    base = tables["json"][0]
    for fmt in ("text", "csv", "tsv"):
        rows = tables[fmt][0]
        diff = [(a, b) for a, b in zip(rows, base) if a != b]
        check("formats %s rows equal the JSON rows, value for value, in order" % fmt,
              len(rows) == len(base) and not diff,
              "%d rows, JSON %d; first difference %r" % (len(rows), len(base), diff[:1]))
    for label, rep in gens:
        want = truth_row(tab, rep)
        got = {fmt: with_flows(one_row(tables[fmt][0], rep["pid"])) for fmt in tables}
        check("formats %s: text, csv, tsv and json all equal the capture" % label,
              all(g == want for g in got.values()),
              "pid %d: %s; tcpdump %s" % (rep["pid"], got, want))
    end, summ = tables["text"][1], tables["json"][1]
    want = capture_totals(tab)
    got = ((end["packets"], end["ip_bytes"]), (summ["packets"], summ["ip_bytes"]))
    check("formats text footer and JSON summary: the capture's packets and IP bytes",
          got == (want, want), "text %s, JSON %s, tcpdump %s" % (got[0], got[1], want))
    check("formats JSON summary: report once", summ["report"] == "once", repr(summ))
    spans = [(e["start"], e["end"], e["duration"]) for e in (end, summ)]
    check("formats text span line and JSON summary: from when to when, duration end - start",
          end["kind"] == "once" and all(
              reports.iso_us(b) - reports.iso_us(a) == reports.seconds_us(d) > 0
              for a, b, d in spans), "text %s, JSON %s" % tuple(spans))
    check("formats nothing unattributed", not [r for r in base if is_unknown(r)], repr(base))


# ---- 3. groups and connections add up

class NobodyGen:
    """gen.py as the user nobody: a copy in a directory of its own that nobody
    may read (the tree this one is in may be closed to it)."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="proctraf-gen.")
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, "gen.py")
        shutil.copy(GEN, self.path)
        os.chmod(self.path, 0o644)
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)

    def spawn(self, ns, *args):
        return spawn(in_ns(ns, "setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                           "--clear-groups", PY, "-B", "-s", self.path, *args))


def mountinfo_unescape(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def cgroup2_mount():
    """Where the cgroup v2 hierarchy is mounted (the first cgroup2 line of
    /proc/self/mountinfo: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a
    hybrid host), or None."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[:1] == ["cgroup2"]:
                return mountinfo_unescape(left.split()[4])
    return None


def cgroup_of(pid):
    """A process's cgroup v2 path as /proc/PID/cgroup shows it (its "0::" line), or None."""
    try:
        with open("/proc/%d/cgroup" % pid) as f:
            for line in f:
                if line.startswith("0::"):
                    return line[3:].rstrip("\n")
    except OSError:
        pass
    return None


class TestCgroup:
    """A cgroup v2 group of this run's own, proctraf-live-PID.slice/
    proctraf-gen-PID.scope under the v2 mount, removed by close(). Named as a
    systemd slice and scope so that the unit key has a value to check
    (core/cgroup.h: the leading slices are skipped, the next component is the
    unit); nothing of systemd's is touched. why: None, or why there is none."""

    def __init__(self):
        self.dirs, self.why = [], None
        mnt = cgroup2_mount()
        if not mnt:
            self.why = "no cgroup v2 mount in /proc/self/mountinfo"
            return
        self.slice = "proctraf-live-%d.slice" % os.getpid()
        self.unit = "proctraf-gen-%d.scope" % os.getpid()
        try:
            for d in (os.path.join(mnt, self.slice), os.path.join(mnt, self.slice, self.unit)):
                os.mkdir(d)
                self.dirs.append(d)
            self.procs = os.path.join(self.dirs[-1], "cgroup.procs")
            # May a process be moved in? One that does nothing else says.
            probe = subprocess.Popen(["sleep", "10"])
            try:
                with open(self.procs, "w") as f:
                    f.write(str(probe.pid))
            finally:
                probe.kill()
                probe.wait()
        except OSError as e:
            self.why = "cannot make a cgroup under %s and move a process in: %s" % (mnt, e)
            self.close()

    def enter(self):
        """preexec_fn: the child joins the group before it runs anything."""
        with open(self.procs, "w") as f:
            f.write(str(os.getpid()))

    def close(self):
        """End what is left in the group (ours), then remove it; bounded."""
        for d in reversed(self.dirs):
            end = time.monotonic() + 3
            while True:
                try:
                    os.rmdir(d)
                    break
                except OSError as e:
                    if time.monotonic() > end:
                        print("note: cannot remove %s: %s" % (d, e), flush=True)
                        break
                try:
                    with open(os.path.join(d, "cgroup.procs")) as f:
                        for pid in f.read().split():
                            os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
                time.sleep(0.02)
        self.dirs = []


def expect_groups(rows, keys, key_of):
    """The group rows a --group-by keys report must have, from the process
    rows of a plain report of the same traffic (group.h): per group the sums
    of its members' bytes, packets and flows, and processes their number; an
    unknown row stays itself, unknown:REASON in every key column. key_of(row,
    k): the member's value of key k. {key values: counters, flows, processes}."""
    out = {}
    for r in rows:
        if is_unknown(r):
            out[(r["command"],) * len(keys)] = dict(with_flows(r), processes=None)
            continue
        g = out.setdefault(tuple(key_of(r, k) for k in keys),
                           dict(dict.fromkeys(NUMS + ("flows",), 0), processes=0))
        for k in NUMS + ("flows",):
            g[k] += r[k]
        g["processes"] += 1
    return out


def got_groups(rows, keys):
    out = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in keys), []).append(
            dict(with_flows(r), processes=r["processes"]))
    return {k: v[0] if len(v) == 1 else v for k, v in out.items()}


GRP_SPECS = [
    dict(name="grp tcp4", client=["tcp-client", B4, 5091, "--send", 150000, "--pace", 0.5,
                                  "--comm", "ptclient"],
         server=["tcp-server", B4, 5091, "--reply", 60000, "--pace", 0.4]),
    dict(name="grp udp6", client=["udp-client", "-6", B6, 5092, "--count", 60, "--size", 800,
                                  "--connected", "--pace", 0.6],
         server=["udp-server", "-6", B6, 5092, "--count", 60, "--size", 300]),
    dict(name="grp udp4 nobody", client=["udp-client", B4, 5093, "--count", 50, "--size", 400,
                                         "--pace", 0.6],
         server=["udp-server", B4, 5093, "--count", 50, "--size", 600], nobody=True),
    dict(name="grp udp4 cgroup", client=["udp-client", B4, 5094, "--count", 40, "--size", 300,
                                         "--pace", 0.6],
         server=["udp-server", B4, 5094, "--count", 40, "--size", 900], cgroup=True),
]
GRP_CLOSED = 5099       # no socket in B: ptsend's datagrams are unknown:no-socket at B's end


def case_groups(binary):
    """Clients in A (one named ptclient, one run as nobody, one in a cgroup v2
    group made for it, and ptsend sending to a port of B with no socket),
    servers in B: two netns, two users, four commands, an unknown row.
    Beside a plain --json run of the same traffic, at the same time:
    --group-by user, --group-by command,netns and --group-by cgroup,unit
    rows are the sums of their members' rows (processes: how many), and
    --connections rows add up per pid and per unknown reason to the plain
    rows, with the generators' own addresses and ports, first and last the
    capture's."""
    cg = TestCgroup()
    try:
        with NobodyGen() as ng, shared_timestamps():
            groups_run(binary, cg, ng)
    finally:
        cg.close()


def groups_run(binary, cg, ng):
    if cg.why:
        skip("groups --group-by cgroup,unit", cg.why)
    runs = [("plain", []), ("user", ["-g", "user"]), ("command,netns", ["-g", "command,netns"]),
            ("connections", ["-C"])]
    if not cg.why:
        runs.append(("cgroup,unit", ["-g", "cgroup,unit"]))
    servers = start_servers(GRP_SPECS)
    cap = Capture(NS_A, VETH_A, "groups")
    pts = [spawn(in_ns(NS_A, binary, "-i", VETH_A, "--json", *args, "tcp or udp"))
           for _, args in runs]
    capturing(pts)
    clients, cgpath = [], None
    for s in GRP_SPECS:
        args = [str(a) for a in s["client"]]
        if s.get("nobody"):
            clients.append(ng.spawn(NS_A, *args))
        elif s.get("cgroup") and not cg.why:
            clients.append(spawn(in_ns(NS_A, PY, GEN, *args), preexec_fn=cg.enter))
            cgpath = cgroup_of(clients[-1].pid)
        else:
            clients.append(gen(NS_A, *args))
    sender = gen(NS_A, "udp-send", B4, GRP_CLOSED, "--count", 30, "--size", 200, "--pace", 0.4,
                 "--comm", "ptsend")
    reps = [gen_report(c, s["name"] + " client", 8) for c, s in zip(clients, GRP_SPECS)]
    srvs = [gen_report(p, s["name"] + " server", 10) for p, s in zip(servers, GRP_SPECS)]
    sent = gen_report(sender, "ptsend", 8)
    alive = [p.poll() is None for p in pts]
    done = {name: finish(p, 10, signal.SIGTERM) for (name, _), p in zip(runs, pts)}
    dropped = cap.stop()
    check("groups all still capturing after the traffic", all(alive), repr(alive))
    check("groups tcpdump dropped nothing", dropped == 0, cap.err.strip())
    tab = cap.truth()
    gens = generators(GRP_SPECS, reps, srvs) + [("ptsend", sent)]
    headers = {"plain": HEADER, "connections": CONN_HEADER}
    blocks = {}
    for name, _ in runs:
        rc, out, err = done[name]
        keys = name.split(",")
        head = headers.get(name, keys + COUNTERS + ["flows", "processes"])
        check("groups %s exit 0, stderr empty" % name, rc == 0 and err == "",
              "exit %s, stderr %r" % (rc, err))
        b, why = reports.parse_json(out, head)
        if check("groups %s JSON lines, one report" % name, b is not None and len(b) == 1,
                 "%s; stdout %r" % (why, out[:300])):
            blocks[name] = b[0]
    if "plain" not in blocks:
        return
    plain = blocks["plain"][0]
    check_truth("groups plain", plain, gens, tab)
    users = {r["user"] for r in plain if not is_unknown(r)}
    commands = {(r["command"], r["netns"]) for r in plain if not is_unknown(r)}
    unknown = [r["command"] for r in plain if is_unknown(r)]
    check("groups the traffic has two users, four commands and netns, unknown:no-socket",
          users == {"root", "nobody"} and len(commands) == 4 and
          unknown == ["unknown:no-socket"], "users %r, %r, unknown %r" % (
              users, commands, unknown))
    for name in ("user", "command,netns"):
        if name not in blocks:
            continue
        keys = name.split(",")
        want = expect_groups(plain, keys, lambda r, k: r[k])
        got = got_groups(blocks[name][0], keys)
        check("groups --group-by %s: each group the sum of its members, processes their number"
              % name, got == want, "got %s, want %s" % (got, want))
    if "cgroup,unit" in blocks:
        groups_cgroup(blocks["cgroup,unit"][0], plain, cg, cgpath, gens)
    if "connections" in blocks:
        groups_connections(blocks["connections"], plain, gens, cap.path)


def groups_cgroup(rows, plain, cg, cgpath, gens):
    n = "groups --group-by cgroup,unit"
    mine = [rep["pid"] for label, rep in gens if label == "grp udp4 cgroup client"]
    check(n + " the client is in the test's group", cgpath is not None and
          cgpath.endswith("/%s/%s" % (cg.slice, cg.unit)),
          "/proc/%s/cgroup: %r" % (mine, cgpath))
    # Every other generator stays in this driver's cgroup.
    here = cgroup_of(os.getpid())

    def cgroup(r, k):
        return cgpath if r["pid"] in mine else here
    want = expect_groups(plain, ["cgroup"], cgroup)
    got = got_groups([dict(r, unit=None) for r in rows], ["cgroup"])
    print("%s rows %r" % (n, [(r["cgroup"], r["unit"], r["processes"]) for r in rows]),
          flush=True)
    check(n + " each cgroup the sum of its members, processes their number", got == want,
          "got %s, want %s" % (got, want))
    row = [r for r in rows if r["cgroup"] == cgpath]
    check(n + " the test's group: its path as /proc/PID/cgroup shows it, its unit the scope",
          len(row) == 1 and row[0]["unit"] == cg.unit and row[0]["processes"] == 1,
          "rows %r; want cgroup %r unit %r" % (row, cgpath, cg.unit))


def groups_connections(block, plain, gens, pcap):
    n = "groups --connections"
    rows, summ = block
    times = pcaptruth.flow_times(pcap)
    start, end = reports.iso_us(summ["start"]), reports.iso_us(summ["end"])
    for u in [r for r in plain if is_unknown(r)]:
        mine = [r for r in rows if r["command"] == u["command"]]
        sums = {k: sum(r[k] for r in mine) for k in NUMS}
        check("%s %s: its rows add up to its row in the plain report" % (n, u["command"]),
              sums == nums(u) and all(r["pid"] is None for r in mine),
              "connections %r, plain %s" % (mine, nums(u)))
    closed = [r for r in rows if r["command"] == "unknown:no-socket"]
    ptsend = [rep for label, rep in gens if label == "ptsend"]
    want = ptsend and ("udp", ipaddress.ip_address(B4), GRP_CLOSED,
                       ipaddress.ip_address(ptsend[0]["laddr"]), ptsend[0]["lport"])
    check(n + " unknown:no-socket: B's end of ptsend's flow, the port with no socket",
          len(closed) == 1 and sock_of_conn(closed[0]) == want,
          "rows %r, want %s" % (closed, want))
    for label, rep in gens:
        mine = [r for r in rows if r["pid"] == rep["pid"]]
        prow = one_row(plain, rep["pid"])
        sums = dict.fromkeys(NUMS, 0)
        for r in mine:
            for k in NUMS:
                sums[k] += r[k]
        check("%s %s: its rows add up to its process row, one per flow" % (n, label),
              prow is not None and sums == nums(prow) and len(mine) == prow["flows"],
              "connections %s (%d rows), process row %s" % (sums, len(mine), prow))
        if len(mine) != 1:
            continue
        c = mine[0]
        check("%s %s: its socket's addresses and ports" % (n, label),
              sock_of_conn(c) == sock_of(rep), "row %s, socket %s" % (
                  sock_of_conn(c), sock_of(rep)))
        check("%s %s: user, command and netns of its process row" % (n, label),
              prow and (c["user"], c["command"], c["netns"]) ==
              (prow["user"], prow["command"], prow["netns"]), "row %r, process %r" % (c, prow))
        first, last = reports.iso_us(c["first"]), reports.iso_us(c["last"])
        check("%s %s: start <= first <= last <= end of the run" % (n, label),
              first is not None and last is not None and start <= first <= last <= end,
              "first %s last %s; run %s to %s" % (c["first"], c["last"], summ["start"],
                                                  summ["end"]))
        _, la, lp, ra, rp = sock_of(rep)
        key = (rep["proto"],) + tuple(sorted([(str(la), lp), (str(ra), rp)]))
        check("%s %s: first and last are the capture's first and last packet" % (n, label),
              [first, last] == times.get(key), "proctraf %s, tcpdump %s" % (
                  [first, last], times.get(key)))


# ---- 4. filters, sort, top

FLT_SPECS = [
    dict(name="flt tcp4", client=["tcp-client", B4, 5101, "--send", 300000, "--pace", 0.5],
         server=["tcp-server", B4, 5101, "--reply", 20000, "--pace", 0.3]),
    dict(name="flt udp4 nobody", client=["udp-client", B4, 5102, "--count", 50, "--size", 500,
                                         "--pace", 0.5],
         server=["udp-server", B4, 5102, "--count", 50, "--size", 300], nobody=True),
]
FLT_CLOSED = 5109       # no socket in B: what is sent there is unknown:no-socket at B's end
RATE_HEADER = TIMES + ["pid", "user", "command", "sent_bytes", "recv_bytes", "sent_rate",
                       "recv_rate", "sent_packets", "recv_packets", "flows", "netns", "cmdline"]


def case_filters(binary):
    """A TCP client and server, a UDP client run as nobody, and ptsend (gen.py
    udp-send --comm ptsend) sending to a port of B with no socket, whose B end
    is unknown:no-socket. Beside a plain run of the same traffic, at the
    same time: -p SERVER keeps that process and the unknown rows,
    --no-unknown drops the unknown rows, --command 'python*' drops ptsend,
    -u root and -u 0 drop nobody's row, --sort recv_bytes --top 1 is the
    biggest receiver alone; -t --rate adds the run's times and bytes per
    second, -H prints the same bytes in K and M."""
    with NobodyGen() as ng:
        servers = start_servers(FLT_SPECS)
        srv_pid = servers[0].pid            # ip netns exec execs: the server's own pid
        runs = [("plain", ["--csv"]), ("-p SERVER", ["--csv", "-p", srv_pid]),
                ("--no-unknown", ["--csv", "--no-unknown"]),
                ("--command 'python*'", ["--csv", "--command", "python*"]),
                ("-u root", ["--csv", "-u", "root"]), ("-u 0", ["--csv", "-u", "0"]),
                ("--sort recv_bytes --top 1", ["--csv", "--sort", "recv_bytes", "--top", "1"]),
                ("-t --rate", ["--csv", "-t", "--rate"]), ("-H", ["-H"])]
        cap = Capture(NS_A, VETH_A, "filters")
        pts = [spawn(in_ns(NS_A, binary, "-i", VETH_A, *args, "tcp or udp")) for _, args in runs]
        capturing(pts)
        clients = [gen(NS_A, *FLT_SPECS[0]["client"]),
                   ng.spawn(NS_A, *[str(a) for a in FLT_SPECS[1]["client"]]),
                   gen(NS_A, "udp-send", B4, FLT_CLOSED, "--count", 40, "--size", 300,
                       "--pace", 0.5, "--comm", "ptsend")]
        reps = [gen_report(c, s["name"] + " client", 8) for c, s in zip(clients, FLT_SPECS)]
        sender = gen_report(clients[2], "ptsend", 8)
        srvs = [gen_report(p, s["name"] + " server", 10) for p, s in zip(servers, FLT_SPECS)]
        alive = [p.poll() is None for p in pts]
        done = {name: finish(p, 10, signal.SIGTERM) for (name, _), p in zip(runs, pts)}
        dropped = cap.stop()
    check("filters all still capturing after the traffic", all(alive), repr(alive))
    check("filters tcpdump dropped nothing", dropped == 0, cap.err.strip())
    tab = cap.truth()
    gens = generators(FLT_SPECS, reps, srvs) + [("ptsend", sender)]
    tables = {}
    for name, args in runs:
        rc, out, err = done[name]
        check("filters %s exit 0, stderr empty" % name, rc == 0 and err == "",
              "exit %s, stderr %r" % (rc, err))
        if name == "-H":
            b, why = reports.parse_text(out, HEADER, human=True)
        else:
            b, why = reports.parse_sv(out, RATE_HEADER if name == "-t --rate" else HEADER)
        if check("filters %s parses, one report" % name, b is not None and len(b) == 1,
                 "%s; stdout %r" % (why, out[:300])):
            tables[name] = b[0][0]
    if "plain" not in tables:
        return
    plain = tables["plain"]
    check_truth("filters plain", plain, gens, tab)
    # What the filters must tell apart is there.
    closed = pcaptruth.endpoint(tab, [B4], FLT_CLOSED, "udp")
    unknown = [r for r in plain if is_unknown(r)]
    want = [dict(command="unknown:no-socket", sent_bytes=0, recv_bytes=closed["recv_bytes"],
                 sent_packets=0, recv_packets=closed["recv_packets"], flows=1)]
    got = [dict(command=r["command"], flows=r["flows"], **nums(r)) for r in unknown]
    check("filters plain: ptsend's datagrams at B's end are unknown:no-socket", got == want,
          "unknown rows %s; tcpdump at %s:%d %s" % (got, B4, FLT_CLOSED, want))
    users = sorted(r["user"] for r in plain if not is_unknown(r))
    commands = sorted(r["command"] for r in plain if not is_unknown(r))
    check("filters plain: root and nobody, python3 and ptsend",
          "nobody" in users and "root" in users and "ptsend" in commands and
          "python3" in commands, "users %r, commands %r" % (users, commands))
    expect = {
        "-p SERVER": [r for r in plain if r["pid"] == srv_pid or is_unknown(r)],
        "--no-unknown": [r for r in plain if not is_unknown(r)],
        "--command 'python*'": [r for r in plain if is_unknown(r) or
                                fnmatch.fnmatchcase(r["command"], "python*")],
        "-u root": [r for r in plain if is_unknown(r) or r["user"] == "root"],
        "-u 0": [r for r in plain if is_unknown(r) or r["user"] == "root"],
        "--sort recv_bytes --top 1": sorted(plain, key=lambda r: -r["recv_bytes"])[:1],
    }
    for name, want in expect.items():
        if name in tables:
            got = tables[name]
            check("filters %s: the plain run's rows it keeps, in order" % name, got == want,
                  "got %s, want %s" % ([(r["pid"], r["command"]) for r in got],
                                       [(r["pid"], r["command"]) for r in want]))
    recv = sorted((r["recv_bytes"] for r in plain), reverse=True)
    top = expect["--sort recv_bytes --top 1"]
    check("filters the biggest receiver is the TCP server, alone",
          top and top[0]["pid"] == srv_pid and recv[0] > recv[1], "recv_bytes %r" % recv)
    if "-t --rate" in tables:
        filters_rate(tables["-t --rate"], plain)
    if "-H" in tables:
        got = tables["-H"]
        want = [dict(r, sent_bytes=reports.human(r["sent_bytes"]),
                     recv_bytes=reports.human(r["recv_bytes"])) for r in plain]
        check("filters -H: the same rows, bytes in powers of 1024", got == want,
              "got %s, want %s" % ([(r["pid"], r["sent_bytes"], r["recv_bytes"]) for r in got],
                                   [(r["pid"], r["sent_bytes"], r["recv_bytes"])
                                    for r in want]))


def filters_rate(rows, plain):
    n = "filters -t --rate"
    rest = [{k: v for k, v in r.items() if k not in TIMES + ["sent_rate", "recv_rate"]}
            for r in rows]
    check(n + ": the plain run's rows", rest == plain, "got %r" % rest)
    spans = {(r["start"], r["end"], r["duration"]) for r in rows}
    if not check(n + ": every row the run's start, end and duration", len(spans) == 1,
                 repr(spans)):
        return
    start, end, dur = spans.pop()
    us = reports.iso_us(end) - reports.iso_us(start)
    check(n + ": duration is end minus start", us == reports.seconds_us(dur),
          "%s to %s, %s s" % (start, end, dur))
    bad = []
    for r in rows:
        for d in ("sent", "recv"):
            want = reports.Decimal("%.3f" % (r[d + "_bytes"] / (us / 1e6)))
            if r[d + "_rate"] != want:
                bad.append((r["pid"], d, r[d + "_rate"], want))
    check(n + ": rates are bytes / duration (bytes/s, 3 decimals)", not bad, repr(bad))


# ---- 5. SIGUSR1, and the terminal

def read_report(f, fmt, timeout=5):
    """A report a process writes to pipe f: read until it is whole (JSON: its
    summary line; CSV: a last line ended), or EOF, or timeout."""
    text, end = "", time.monotonic() + timeout
    while time.monotonic() < end:
        if text.endswith("\n") and (fmt != "json" or '"type":"summary"' in text):
            break
        if not select.select([f], [], [], max(0, end - time.monotonic()))[0]:
            break
        data = os.read(f.fileno(), 65536)
        if not data:
            break
        text += data.decode(errors="replace")
    return text


def read_pty(master, timeout=5):
    """Everything written to a pseudo-terminal whose other end is closed."""
    out, end = b"", time.monotonic() + timeout
    while time.monotonic() < end:
        if not select.select([master], [], [], max(0, end - time.monotonic()))[0]:
            break
        try:
            data = os.read(master, 4096)
        except OSError:                     # EIO: no one holds the other end any more
            break
        if not data:
            break
        out += data
    os.close(master)
    return out.decode(errors="replace")


USR1_SPECS = [
    dict(name="usr1 tcp4 before", client=["tcp-client", B4, 5071, "--send", 90000, "--pace", 0.3],
         server=["tcp-server", B4, 5071, "--reply", 40000, "--pace", 0.2]),
    dict(name="usr1 udp4 after", client=["udp-client", B4, 5072, "--count", 30, "--size", 400,
                                         "--pace", 0.3],
         server=["udp-server", B4, 5072, "--count", 30, "--size", 300]),
]
INTRO = "proctraf: capturing on lo for 2 s (Ctrl-C ends it and prints the report)\n"
PROGRESS = re.compile(r"\r\x1b\[Kproctraf: (\d+) s, (\d+) packets, (\d+) IP bytes")


def case_usr1_terminal(binary):
    """SIGUSR1 to a --json and a --csv run between two generators: each
    writes the report of the run so far to stderr (JSON: summary "partial"),
    with the first generator's rows as they end up and none of the
    second's, and goes on; the final report on stdout has both, equal to
    the capture. At the same time, three runs -i lo -d 2 in A with loopback
    traffic: stderr a pseudo-terminal shows the intro line, progress lines
    (\\r ESC[K ...) and clears the last one before the report on stdout;
    stderr a pipe, or -q on a terminal, shows nothing."""
    terms = []
    for name, tty_, extra in (("terminal", True, []), ("pipe", False, []),
                              ("terminal -q", True, ["-q"])):
        master = None
        err = subprocess.PIPE
        if tty_:
            master, err = os.openpty()
            tty.setraw(err)                 # the bytes as written: no \n -> \r\n
        p = spawn(in_ns(NS_A, binary, "-i", "lo", "-d", "2", *extra), stderr=err)
        if tty_:
            os.close(err)
        terms.append((name, p, master))
    lo_srv = gen(NS_A, "tcp-server", "127.0.0.1", 5073, "--reply", 30000, "--pace", 0.6)
    if not wait_for(lo_srv.stdout, "ready"):
        raise RuntimeError("lo server did not start: %s" % finish(lo_srv, 5)[2])
    servers = start_servers(USR1_SPECS)
    cap = Capture(NS_A, VETH_A, "usr1")
    pts = [spawn(in_ns(NS_A, binary, "-i", VETH_A, fmt, "tcp or udp"))
           for fmt in ("--json", "--csv")]
    capturing(pts + [p for _, p, _ in terms])
    lo_cli = gen(NS_A, "tcp-client", "127.0.0.1", 5073, "--send", 50000, "--pace", 0.6)
    before = gen(NS_A, *USR1_SPECS[0]["client"])
    reps = [gen_report(before, "usr1 before client", 8)]
    srvs = [gen_report(servers[0], "usr1 before server", 8)]
    # The first generator is done (both ends closed): ask for the report so far.
    for p in pts:
        p.send_signal(signal.SIGUSR1)
    partial = [read_report(p.stderr, fmt) for p, fmt in zip(pts, ("json", "csv"))]
    went_on = [p.poll() is None for p in pts]
    after = gen(NS_A, *USR1_SPECS[1]["client"])
    reps.append(gen_report(after, "usr1 after client", 8))
    srvs.append(gen_report(servers[1], "usr1 after server", 8))
    gen_report(lo_cli, "lo client", 8)
    gen_report(lo_srv, "lo server", 8)
    done = [finish(p, 10, signal.SIGTERM) for p in pts]
    dropped = cap.stop()
    tdone = [finish(p, 10) + (read_pty(m) if m is not None else None,)
             for _, p, m in terms]
    check("usr1 tcpdump dropped nothing", dropped == 0, cap.err.strip())
    tab = cap.truth()
    gens = generators(USR1_SPECS, reps, srvs)
    check("usr1 both went on after SIGUSR1", all(went_on), repr(went_on))
    for fmt, (rc, out, err), part in zip(("json", "csv"), done, partial):
        usr1_format(fmt, rc, out, err, part, gens, tab)
    for (name, _, _), (rc, out, err, tty_err) in zip(terms, tdone):
        terminal(name, rc, out, tty_err if tty_err is not None else err)


def usr1_format(fmt, rc, out, err, part, gens, tab):
    n = "usr1 " + fmt
    check(n + " exit 0 on SIGTERM", rc == 0, "exit %s, stderr %r" % (rc, err))
    check(n + " stderr: the report so far, then nothing", part != "" and err == "",
          "at the signal %r; after it %r" % (part[:200], err[:300]))
    final, why = parse_format(fmt, out)
    if not check(n + " stdout: one report", final is not None and len(final) == 1,
                 "%s; stdout %r" % (why, out[:300])):
        return
    so_far, why = parse_format(fmt, part)
    if not check(n + " stderr: one report, " + ("JSON lines" if fmt == "json" else
                                               "CSV with its header"),
                 so_far is not None and len(so_far) == 1, "%s; stderr %r" % (why, part[:300])):
        return
    (rows, summ), (prows, psumm) = final[0], so_far[0]
    check_truth(n + " final", rows, gens, tab)
    first, second = gens[:2], gens[2:]
    for label, rep in first:
        got, want = nums(one_row(prows, rep["pid"])), nums(one_row(rows, rep["pid"]))
        check("%s so far: %s, done before the signal, as in the final report" % (n, label),
              got == want, "so far %s, final %s" % (got, want))
    check(n + " so far: nothing of the generator started after the signal",
          not [r for r in prows for _, rep in second if r["pid"] == rep["pid"]], repr(prows))
    final_of = {(r["pid"], r["command"]): r for r in rows}
    bigger = [(r["pid"], r["command"]) for r in prows
              if not all(r[k] <= final_of.get((r["pid"], r["command"]), {}).get(k, -1)
                         for k in NUMS)]
    check(n + " so far: every row at most its final counts", not bigger, repr(bigger))
    if fmt == "json":
        check(n + " so far: summary report partial, final once",
              psumm["report"] == "partial" and psumm["interval"] is None and
              summ["report"] == "once", "so far %r; final %r" % (psumm, summ))
        check(n + " so far: the run's start, fewer packets and bytes than the final",
              psumm["start"] == summ["start"] and psumm["end"] < summ["end"] and
              psumm["packets"] < summ["packets"] and psumm["ip_bytes"] < summ["ip_bytes"],
              "so far %r; final %r" % (psumm, summ))


def terminal(name, rc, out, err):
    n = "terminal " + name
    blocks, why = reports.parse_text(out, HEADER)
    check(n + " exit 0, the report on stdout", rc == 0 and blocks is not None and
          len(blocks) == 1 and "\x1b" not in out, "exit %s; %s; stdout %r" % (rc, why, out[:300]))
    if name != "terminal":
        check(n + ": nothing on stderr", err == "", repr(err))
        return
    check(n + ": the intro line first", err.startswith(INTRO), repr(err[:200]))
    rest = err[len(INTRO):]
    lines = PROGRESS.findall(rest)
    check(n + ": progress lines, each replacing the last, cleared at the end",
          lines and PROGRESS.sub("", rest) == "\r\x1b[K", repr(rest))
    if not lines or blocks is None:
        return
    counts = [(int(p), int(b)) for _, p, b in lines]
    foot = blocks[0][1]
    check(n + ": progress counts grow, up to the report's",
          counts == sorted(counts) and counts[-1] <= (foot["packets"], foot["ip_bytes"]) and
          counts[-1][0] > 0, "progress %r, footer %r" % (counts, foot))


# ---- 6. SIGINT during intervals

SI_SPECS = [
    dict(name="si tcp4", client=["tcp-client", B4, 5081, "--send", 100000, "--pace", 0.5],
         server=["tcp-server", B4, 5081, "--reply", 80000, "--pace", 0.4]),
    dict(name="si udp6", client=["udp-client", "-6", B6, 5082, "--count", 60, "--size", 500,
                                 "--pace", 0.9],
         server=["udp-server", "-6", B6, 5082, "--count", 60, "--size", 700]),
]


def case_sigint_intervals(binary):
    """-I 0.5, text, no -d: SIGINT a quarter of an interval into one, after
    the traffic. The cut interval is printed (shorter than 0.5 s), then
    proctraf exits 0; the intervals add up to the capture."""
    servers = start_servers(SI_SPECS)
    cap = Capture(NS_A, VETH_A, "sigint-intervals")
    pt = spawn(in_ns(NS_A, binary, "-i", VETH_A, "-I", "0.5", "tcp or udp"))
    capturing([pt])
    t0 = time.monotonic()                   # the run's start, a few ms late at most
    reps, srvs, _ = run_clients(SI_SPECS, servers, 8)
    # The next point a quarter into an interval, at least 50 ms away.
    k = math.ceil((time.monotonic() + 0.05 - t0 - 0.25) / 0.5)
    time.sleep(max(0.0, t0 + 0.5 * k + 0.25 - time.monotonic()))
    alive = pt.poll() is None
    t1 = time.monotonic()
    rc, out, err = finish(pt, 5, signal.SIGINT)
    took = time.monotonic() - t1
    dropped = cap.stop()
    n = "sigint-intervals"
    check(n + " still running before the signal", alive, "exited %s" % pt.returncode)
    check(n + " exit 0, stderr empty", rc == 0 and err == "", "exit %s, stderr %r" % (rc, err))
    check(n + " prompt", took < 2, "took %.1f s after SIGINT" % took)
    check(n + " tcpdump dropped nothing", dropped == 0, cap.err.strip())
    tab = cap.truth()
    gens = generators(SI_SPECS, reps, srvs)
    keep_file("sigint-intervals.txt", out)
    blocks, why = reports.parse_text(out, HEADER)
    if not check(n + " text interval reports", blocks is not None and blocks and
                 all(e["kind"] == "interval" for _, e in blocks),
                 "%s; stdout %r" % (why, out[:300])):
        return
    ends = [e for _, e in blocks]
    print("%s %d intervals, the last %s s" % (n, len(ends), ends[-1]["duration"]), flush=True)
    check(n + " at least 3 intervals", len(ends) >= 3, repr(len(ends)))
    summary_chain(n, ends, 499999)
    for label, rep in gens:
        got, want = sum_rows(blocks, rep["pid"]), nums(truth_of(tab, rep))
        check("%s %s: its intervals add up to the capture" % (n, label), got == want,
              "pid %d: intervals %s, tcpdump %s" % (rep["pid"], got, want))
    got = (sum(e["packets"] for e in ends), sum(e["ip_bytes"] for e in ends))
    check(n + " the footers add up to the capture's packets and IP bytes",
          got == capture_totals(tab), "footers %s, tcpdump %s" % (got, capture_totals(tab)))


def case_inject(binary):
    """Frames written through AF_PACKET sockets: live_inject.py."""
    live_inject.case_inject(sys.modules[__name__], binary)


# ---------------------------------------------------------------- driver

def teardown():
    procs.teardown(children)


CASES = ["case_main", "case_sigint", "case_loopback", "case_any", "case_ping",
         "case_no_permission", "case_priority", "case_errors", "case_intervals", "case_formats",
         "case_groups", "case_filters", "case_usr1_terminal", "case_sigint_intervals",
         "case_inject"]


def main():
    if len(sys.argv) != 2 or not (NS_A and NS_B and VETH_A and TMP):
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    install_handlers(TIME_LIMIT)
    status = 0
    try:
        for case in [globals()[c] for c in os.environ.get("LIVE_CASES", " ".join(CASES)).split()]:
            try:
                case(binary)
            except Exception as e:          # one broken case must not hide the rest
                check(case.__name__, False, "%s: %s" % (type(e).__name__, e))
            teardown()                      # nothing of a case outlives it
    except Overtime:
        quiet()
        check("time limit", False, "the live tests took more than %d s" % TIME_LIMIT)
    except SystemExit as e:
        quiet()
        check("interrupted", False, "signal %s" % (e.code - 128 if e.code else "?"))
        status = e.code or 1
    finally:
        quiet()                             # a second signal must not cut the teardown short
        teardown()
    passed = sum(results)
    failed = len(results) - passed
    if COUNTS:
        with open(COUNTS, "w") as f:
            f.write("%d %d\n" % (passed, failed))
    else:
        print("%d passed, %d failed" % (passed, failed))
    return status or (1 if failed else 0)


if __name__ == "__main__":
    sys.exit(main())
