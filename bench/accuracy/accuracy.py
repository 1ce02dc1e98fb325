#!/usr/bin/env python3
"""The cases of the accuracy benchmark; run.sh prepares the namespaces and runs this.

    PACC_NS_H=.. PACC_NS_P=.. PACC_NS_C=.. PACC_IF_HP=.. PACC_IF_HC=.. PACC_IF_BR=..
    PACC_IF_HB=.. PACC_TMP=DIR PACC_PY=python3 PACC_HELPER=PATH|'' PACC_NETHOGS=0|1
    PACC_QUICK=0|1 PACC_CHECK=0|1 PACC_CASES=1,2,.. [PACC_PT_ARGS='--owners=proc ...']
    accuracy.py BINARY

Per case: a tcpdump (-i any, LINUX_SLL2), proctraf (default interface: any)
and, unless PACC_NETHOGS=0, nethogs (-t -v 2 -C -a: every interface, lo
included) start in the host namespace; the case's generators (agen.py, the C
helper) run and report their pid and every flow; the tools are stopped with
SIGINT; the capture gives the exact IP bytes of every flow (truth.py).

Score of a case, per tool: the sum over the case's processes and both
directions of min(tool bytes for that pid and direction, truth), divided by
the sum of the truth, in percent. Also shown: bytes above the truth of a
scored pid (over), bytes given to other pids (wrong pid), bytes in unknown
rows, and bytes given to the remote ends' processes (remote-end). nethogs
counts link-layer frame lengths (14 bytes of Ethernet header per frame on
veth, bridge and lo): its figures are turned into IP bytes per pid and
direction with the capture's own packet counts (README.md).
"""
import os
import re
import signal
import subprocess
import sys
import json
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                                "lib"))
import truth  # noqa: E402
import procs  # noqa: E402
from procs import Overtime, finish, in_ns, install_handlers, quiet, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
AGEN = os.path.join(HERE, "agen.py")
ENV = os.environ
NS_H, NS_P, NS_C = ENV.get("PACC_NS_H", ""), ENV.get("PACC_NS_P", ""), ENV.get("PACC_NS_C", "")
IF_HP, IF_HC = ENV.get("PACC_IF_HP", ""), ENV.get("PACC_IF_HC", "")
IF_BR, IF_HB = ENV.get("PACC_IF_BR", ""), ENV.get("PACC_IF_HB", "")
TMP = ENV.get("PACC_TMP", "")
PY = ENV.get("PACC_PY", "/usr/bin/python3")
HELPER = ENV.get("PACC_HELPER", "")
NETHOGS = ENV.get("PACC_NETHOGS", "1") == "1"
# Options for proctraf before the filter (run.sh --proctraf-args), split on blanks.
PT_ARGS = ENV.get("PACC_PT_ARGS", "").split()
QUICK = ENV.get("PACC_QUICK", "0") == "1"
CHECK = ENV.get("PACC_CHECK", "0") == "1"
RERUNS = 2          # --check: a case that misses its target is run again up to this often
CASES = [int(c) for c in ENV.get("PACC_CASES", "1,2,3,4,5,6,7,8,9").split(",") if c]
TIME_LIMIT = 110 if QUICK else 1800
NETHOGS_DRAIN = 5 if QUICK else 90      # seconds nethogs may take to catch up
NET = ENV.get("PACC_NET", "232")         # the run's networks: 10.NET.0.0/16, fd00:NET::/32
FILTER = ["net", "10.%s.0.0/16" % NET, "or", "net", "fd00:%s::/32" % NET, "or", "net",
          "127.0.0.0/8", "or", "host", "::1"]
LINK_HDR = 14               # Ethernet header: what nethogs counts beyond the IP length
PORT_TCP, PORT_UDP, PORT_FLOOD = 7001, 7002, 7053

H4, H6 = "10.%s.1.1" % NET, "fd00:%s:1::1" % NET             # host, on the link to the peer
P4, P6 = "10.%s.1.2" % NET, "fd00:%s:1::2" % NET
P4B, P6B = "10.%s.1.3" % NET, "fd00:%s:1::3" % NET
BR4, BR6 = "10.%s.3.1" % NET, "fd00:%s:3::1" % NET
PB4, PB6 = "10.%s.3.2" % NET, "fd00:%s:3::2" % NET
C4, C6 = "10.%s.2.2" % NET, "fd00:%s:2::2" % NET             # container

# The footer: "captured P packets, B IP bytes; N not IP, M malformed[, ...]; dropped: K by
# kernel, F by interface" (later versions add counts between the parts).
FOOTER_PACKETS = re.compile(r"^captured (\d+) packets, (\d+) IP bytes;")
FOOTER_DROPS = re.compile(r"dropped: (\d+) by kernel, (\d+) by interface")

children = []
REMOTE_PIDS = set()         # processes of the peer namespace: the remote ends


def q(quick, full):
    return quick if QUICK else full


# ---------------------------------------------------------------- processes

def spawn(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE):
    p = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, bufsize=0)
    children.append(p)
    return p


def teardown(keep=()):
    procs.teardown(children, keep)


def agen(ns, *args, stdin=subprocess.DEVNULL):
    return spawn(in_ns(ns, PY, AGEN, *args), stdin=stdin)


def client(ns, plan, stdin=subprocess.DEVNULL):
    return agen(ns, "client", json.dumps(plan), stdin=stdin)


def report_of(p, what, timeout):
    """The procs of a generator's last output line."""
    rc, out, err = finish(p, timeout)
    lines = out.strip().splitlines()
    if rc != 0 or not lines:
        raise RuntimeError("%s: exit %s, stderr %r" % (what, rc, err.strip()[-300:]))
    return json.loads(lines[-1])["procs"]


def server(ns, *args):
    """A reporting server (stdin kept open: its EOF ends the server)."""
    p = agen(ns, "server", *args, stdin=subprocess.PIPE)
    if not wait_for(p.stdout, "ready"):
        raise RuntimeError("server %s did not start: %s" % (args, finish(p, 5)[2]))
    return p


def stop_server(p, what):
    p.stdin.close()
    p.stdin = None                          # communicate() must not flush it
    return report_of(p, what, 10)


def ifindexes(ns):
    out = subprocess.run(["ip", "-n", ns, "-j", "link", "show"], stdout=subprocess.PIPE,
                         check=True, timeout=10).stdout
    return {link["ifname"]: link["ifindex"] for link in json.loads(out)}


# ---------------------------------------------------------------- the tools

class Tools:
    """tcpdump, proctraf and (maybe) nethogs, side by side in the host namespace."""

    def __init__(self, binary, name, nethogs):
        self.name = name
        self.pcap = os.path.join(TMP, "case%s.pcap" % name)
        # Immediate mode: without it the kernel hands tcpdump its packets in blocks, one
        # per second at worst, and the block still open when tcpdump stops is lost,
        # uncounted.
        self.td = spawn(in_ns(NS_H, "tcpdump", "-i", "any", "-y", "LINUX_SLL2", "-B", "32768",
                              "--immediate-mode", "-U", "-n", "-s", "200", "-w", self.pcap,
                              *FILTER))
        if not wait_for(self.td.stderr, "listening on"):
            raise RuntimeError("tcpdump did not start: %s" % finish(self.td, 5)[2])
        self.pt = spawn(in_ns(NS_H, binary, *PT_ARGS, *FILTER))
        self.nh = None
        self.nh_lines = []                  # (time, line) of nethogs's output
        self.nh_wait = 0.0
        if nethogs:
            self.nh = spawn(in_ns(NS_H, "nethogs", "-t", "-v", "2", "-C", "-a", "-f",
                                  " ".join(FILTER)))
            self.nh_reader = threading.Thread(target=self._read_nethogs, daemon=True)
            self.nh_reader.start()
        time.sleep(1.0)
        for p, what in ((self.pt, "proctraf"), (self.nh, "nethogs")):
            if p is not None and p.poll() is not None:
                raise RuntimeError("%s exited at once: %s" % (what, finish(p, 5)[2][-300:]))

    def _read_nethogs(self):
        for line in iter(self.nh.stdout.readline, b""):
            self.nh_lines.append((time.monotonic(), line.decode(errors="replace")))

    def _nethogs_settled(self, since):
        """Two complete refreshes, begun after `since`, that print the same totals:
        nethogs has worked through its backlog (it can lag seconds behind)."""
        starts = [i for i, (t, ln) in enumerate(self.nh_lines) if ln == "Refreshing:\n"]
        blocks = []
        for a, b in zip(starts, starts[1:]):
            if self.nh_lines[a][0] >= since:
                blocks.append([ln for _, ln in self.nh_lines[a + 1:b]])
        return len(blocks) >= 2 and blocks[-1] == blocks[-2]

    def stop(self):
        """(proctraf rows, footer dict, nethogs rows or None, tcpdump drops); writes the
        raw outputs next to the capture."""
        quiet_since = time.monotonic()
        time.sleep(0.5)
        rc, out, err = finish(self.pt, 15, signal.SIGINT)
        nh_out = ""
        if self.nh:
            end = quiet_since + NETHOGS_DRAIN
            while time.monotonic() < end and not self._nethogs_settled(quiet_since + 0.5):
                time.sleep(0.2)
            self.nh_wait = time.monotonic() - quiet_since
            self.nh_settled = self._nethogs_settled(quiet_since + 0.5)
            self.nh.send_signal(signal.SIGINT)
            try:
                self.nh.wait(10)
            except subprocess.TimeoutExpired:
                self.nh.kill()
                self.nh.wait()
            self.nh_reader.join(5)
            nh_out = "".join(ln for _, ln in self.nh_lines)
        # tcpdump can lag behind on a busy machine, and at SIGINT it leaves what it has not
        # read yet: wait until its file (written packet by packet, -U) stops growing.
        size, still, end = -1, 0, time.monotonic() + 20
        while still < 3 and time.monotonic() < end:
            time.sleep(0.2)
            now = os.path.getsize(self.pcap) if os.path.exists(self.pcap) else 0
            still = still + 1 if now == size else 0
            size = now
        _, _, td_err = finish(self.td, 10, signal.SIGINT)
        with open(os.path.join(TMP, "case%s-tcpdump.out" % self.name), "w") as f:
            f.write(td_err)
        with open(os.path.join(TMP, "case%s-proctraf.out" % self.name), "w") as f:
            f.write(out + "\n--- stderr\n" + err)
        if self.nh:
            with open(os.path.join(TMP, "case%s-nethogs.out" % self.name), "w") as f:
                f.write(nh_out)
        if rc != 0:
            raise RuntimeError("proctraf exit %s: %s" % (rc, err.strip()[-300:]))
        rows, footer = parse_proctraf(out)
        m = re.search(r"(\d+) packets? dropped by kernel", td_err)
        drops = int(m.group(1)) if m else -1
        m = re.search(r"(\d+) packets? captured", td_err)
        self.td_captured = int(m.group(1)) if m else -1
        m = re.search(r"(\d+) packets? received by filter", td_err)
        self.td_received = int(m.group(1)) if m else -1
        return rows, footer, parse_nethogs(nh_out) if self.nh else None, drops


def parse_proctraf(text):
    """Text report -> ({pid or 'unknown:REASON': [sent, recv]}, footer dict)."""
    lines = text.split("\n")
    if "SENT_BYTES" not in lines[0]:
        raise RuntimeError("proctraf: no header in %r" % text[:200])
    rows = {}
    i = 1
    while i < len(lines) and lines[i] != "":
        f = lines[i].split(None, 8)
        if len(f) < 8:
            raise RuntimeError("proctraf: row %r" % lines[i])
        key = f[2] if f[0] == "-" else int(f[0])
        r = rows.setdefault(key, [0, 0])
        r[0] += int(f[3])
        r[1] += int(f[4])
        i += 1
    footer = {}
    for ln in lines[i:]:
        m = FOOTER_PACKETS.match(ln)
        if m:
            footer = dict(packets=int(m.group(1)), bytes=int(m.group(2)))
            d = FOOTER_DROPS.search(ln)
            if d:
                footer.update(kdrop=int(d.group(1)), ifdrop=int(d.group(2)))
    return rows, footer


def parse_nethogs(text):
    """The last 'Refreshing:' block of `nethogs -t -v 2` ->
    {pid or 'unknown:NAME': [sent, recv]} (link-layer bytes, as printed)."""
    blocks = text.split("\nRefreshing:\n")
    if len(blocks) < 2:
        return {}
    rows = {}
    for ln in blocks[-1].split("\n"):
        f = ln.split("\t")
        if len(f) != 3:
            continue
        try:
            name, pid, _uid = f[0].rsplit("/", 2)
            pid, sent, recv = int(pid), float(f[1]), float(f[2])
        except ValueError:
            continue
        key = pid if pid > 0 else "unknown:" + (name if name.startswith("unknown")
                                                else "no-pid")
        r = rows.setdefault(key, [0.0, 0.0])
        r[0] += sent
        r[1] += recv
    return rows


# ---------------------------------------------------------------- scoring

def truth_of(procs, tab, used=None):
    """{pid: {'sent': [bytes, packets], 'recv': [...]}} of the generators' flows."""
    out = {}
    owner = {}
    reused = 0
    for p in procs:
        t = out.setdefault(p["pid"], {"sent": [0, 0], "recv": [0, 0]})
        for fl in {tuple(f) for f in p["flows"]}:
            if fl in owner and owner[fl] != p["pid"]:
                reused += 1
            owner[fl] = p["pid"]
            sb, sn, rb, rn = tab.flow(list(fl), used)
            t["sent"][0] += sb
            t["sent"][1] += sn
            t["recv"][0] += rb
            t["recv"][1] += rn
    return out, reused


def score(tr, rows, to_ip=None, others=()):
    """dict: pct, right, truth, over, other, wrong, remote, unknown ({reason: bytes}).
    over: bytes above the truth of a scored pid (counted twice, or another's); other:
    rows of pids that are not ours; wrong = over + other. Rows of the remote ends'
    processes (the peer namespace) are counted apart, in remote; rows of the pids in
    others (generators not scored) are left out. to_ip(pid, dir, value) turns a tool's
    figure into IP bytes (nethogs)."""
    conv = to_ip or (lambda pid, d, v: v)
    right = total = over = other = remote = 0
    for pid, t in tr.items():
        got = rows.get(pid, [0, 0])
        for i, d in enumerate(("sent", "recv")):
            v = conv(pid, d, got[i])
            total += t[d][0]
            right += min(v, t[d][0])
            over += max(0, v - t[d][0])
    unknown = {}
    for key, (s, r) in rows.items():
        if key in tr or key in others:
            continue
        b = conv(key, "sent", s) + conv(key, "recv", r)
        if key in REMOTE_PIDS:
            remote += b
        elif isinstance(key, int):
            other += b
        else:
            unknown[key] = b
    return dict(pct=100.0 * right / total if total else float("nan"), right=right, truth=total,
                over=over, other=other, wrong=over + other, remote=remote, unknown=unknown)


def nethogs_to_ip(tr):
    """nethogs counts frames: IP length + 14. Per pid and direction, scale by the truth's
    IP / (IP + 14 * packets); elsewhere (wrong pids, unknown rows) by the case's ratio."""
    ip = sum(t[d][0] for t in tr.values() for d in ("sent", "recv"))
    link = ip + LINK_HDR * sum(t[d][1] for t in tr.values() for d in ("sent", "recv"))
    avg = ip / link if link else 1.0

    def conv(pid, d, v):
        t = tr.get(pid)
        if t and t[d][0]:
            return v * t[d][0] / (t[d][0] + LINK_HDR * t[d][1])
        return v * avg
    return conv


def human(n):
    n = float(n)
    for unit in ("", "K", "M", "G"):
        if abs(n) < 1000 or unit == "G":
            return ("%d" % n if unit == "" else "%.1f%s" % (n, unit))
        n /= 1000.0
    return str(n)


def tally(sc):
    """The notes' account of what did not go to the right pid."""
    out = "over %s, wrong pid %s, unknown %s" % (human(sc["over"]), human(sc["other"]),
                                                  unknown_text(sc["unknown"]))
    if sc["remote"]:
        out += ", remote-end %s" % human(sc["remote"])
    return out


def unknown_text(unk):
    if not unk:
        return "0"
    return "+".join("%s(%s)" % (human(v), k.split(":", 1)[1]) for k, v in
                    sorted(unk.items(), key=lambda kv: -kv[1]) if v)


# ---------------------------------------------------------------- the cases

class Case:
    """What a case function returns: the processes scored, and its own checks."""

    def __init__(self, procs, truth_ifs, extra_procs=(), notes=None):
        self.procs = procs                  # scored
        self.truth_ifs = truth_ifs          # interface names (host namespace)
        self.extra = list(extra_procs)      # in the truth totals, not scored (case 9)
        self.notes = notes or []


PACE = q(1.0, 3.0)      # seconds over which the long-lived clients spread their traffic


def case1():
    """Short TCP connections: 300 one after another; bursts of 40 in parallel."""
    seq = client(NS_H, [dict(op="tcp", addrs=[P4, P6], port=PORT_TCP, count=300,
                             send=2000, reply=3000)])
    bursts = client(NS_H, [dict(op="tcp", addrs=[P4, P6], port=PORT_TCP,
                                count=40 * q(3, 10), width=40, send=1500, reply=4000,
                                gap=0.05)])
    procs = report_of(seq, "sequential", 60) + report_of(bursts, "bursts", 60)
    return Case(procs, [IF_HP])


def case2():
    """60 short-lived processes: 30 forked, 30 executed; each connects, moves tens of KB."""
    st = dict(addrs=[P4, P6], port=PORT_TCP, send=30000, reply=40000, gap=0.02)
    launcher = client(NS_H, [dict(op="fork", count=30, **st),
                             dict(op="exec", count=30, helper=HELPER, **st)])
    procs = report_of(launcher, "launcher", 60)
    notes = [] if HELPER else ["exec: python (no cc)"]
    return Case(procs, [IF_HP], notes=notes)


def case3():
    """UDP: unconnected sendto/recvfrom and connected, IPv4 and IPv6; a sendmmsg flood."""
    n = q(200, 1000)
    plans = [
        [dict(op="udp", addrs=[P4, P4B], port=PORT_UDP, count=n, size=500, reply=700,
              pace=PACE)],
        [dict(op="udp", addrs=[P4B], port=PORT_UDP, count=n, size=900, reply=300,
              connected=True, pace=PACE)],
        [dict(op="udp", addrs=[P6, P6B], port=PORT_UDP, count=n, size=500, reply=700,
              pace=PACE)],
        [dict(op="udp", addrs=[P6B], port=PORT_UDP, count=n, size=900, reply=300,
              connected=True, pace=PACE)],
    ]
    notes = []
    flood = q(20000, 200000)
    if HELPER:
        plans.append([dict(op="flood", helper=HELPER, addr=P4, port=PORT_FLOOD, count=flood,
                           size=40, reply=120, batch=32)])
        plans.append([dict(op="flood", helper=HELPER, addr=P6, port=PORT_FLOOD,
                           count=flood // 2, size=40, reply=120, batch=32)])
    else:
        notes.append("no cc: flood with sendto, not sendmmsg")
        plans.append([dict(op="udp", addrs=[P4], port=PORT_UDP, count=flood // 10, size=44,
                           reply=120)])
    ps = [client(NS_H, plan) for plan in plans]
    procs = []
    for i, p in enumerate(ps):
        procs += report_of(p, "udp client %d" % i, 120)
    lost = sum(p.get("errors", 0) for p in procs)
    if lost:
        notes.append("%d datagrams unanswered" % lost)
    return Case(procs, [IF_HP], notes=notes)


def case4():
    """Inbound: a server in the host namespace (dual-stack TCP listener, UDP on both
    families) accepting short connections and answering requests from the peer."""
    srv = server(NS_H, "--report", "--tcp", "::,7101", "--udp", "%s,7102" % H4,
                 "--udp", "%s,7102" % H6)
    n = q(300, 600)
    peers = [
        client(NS_P, [dict(op="tcp", addrs=[H4, H6], port=7101, count=n, send=800,
                           reply=2500)]),
        client(NS_P, [dict(op="tcp", addrs=[H4, H6], port=7101, count=40 * q(2, 5),
                           width=40, send=500, reply=3000, gap=0.05)]),
        client(NS_P, [dict(op="udp", addrs=[H4], port=7102, count=q(200, 1000), size=60,
                           reply=300, pace=PACE / 2),
                      dict(op="udp", addrs=[H6], port=7102, count=q(200, 1000), size=60,
                           reply=300, connected=True, pace=PACE / 2)]),
    ]
    for i, p in enumerate(peers):
        REMOTE_PIDS.update(x["pid"] for x in report_of(p, "peer client %d" % i, 60))
    return Case(stop_server(srv, "host server"), [IF_HP])


def case5():
    """ICMP echo from ping sockets (IPv4, IPv6) and a raw socket; raw IP protocol 253."""
    n = q(100, 500)
    plans = [
        [dict(op="ping", addr=P4, count=n, size=56, pace=PACE)],
        [dict(op="ping", addr=P6, count=n, size=56, pace=PACE)],
        [dict(op="icmpraw", addr=P4B, src=H4, id=0x7A7A, count=n, size=48, pace=PACE)],
        [dict(op="raw", addr=P4, src=H4, proto=253, count=n, size=200, reply=300, pace=PACE)],
        [dict(op="raw", addr=P6, src=H6, proto=253, count=n, size=200, reply=300, pace=PACE)],
    ]
    ps = [client(NS_H, plan) for plan in plans]
    procs = []
    for i, p in enumerate(ps):
        procs += report_of(p, "icmp/raw client %d" % i, 60)
    return Case(procs, [IF_HP])


def mixed_plan(a4, a6, scale=1, pace=PACE):
    """TCP request/response connections, a paced bulk transfer per family, UDP both ways."""
    bulk = q(2000000, 20000000) // scale
    return [
        dict(op="tcp", addrs=[a4, a6], port=PORT_TCP if a4 != "127.0.0.1" else 7201,
             count=q(100, 300) // scale, send=1500, reply=2500, pace=pace / 4),
        dict(op="bulk", addr=a4, port=PORT_TCP if a4 != "127.0.0.1" else 7201, send=bulk,
             reply=bulk // 2, pace=pace / 4),
        dict(op="bulk", addr=a6, port=PORT_TCP if a4 != "127.0.0.1" else 7201,
             send=bulk // 2, reply=bulk, pace=pace / 4),
        dict(op="udp", addrs=[a4], port=PORT_UDP if a4 != "127.0.0.1" else 7202,
             count=q(200, 1000) // scale, size=300, reply=500, pace=pace / 8),
        dict(op="udp", addrs=[a6], port=PORT_UDP if a4 != "127.0.0.1" else 7202,
             count=q(200, 1000) // scale, size=300, reply=500, connected=True,
             pace=pace / 8),
    ]


def case6():
    """Loopback: two processes over 127.0.0.1 and ::1, both in the host namespace."""
    srv = server(NS_H, "--report", "--tcp", "127.0.0.1,7201", "--tcp", "::1,7201",
                 "--udp", "127.0.0.1,7202", "--udp", "::1,7202")
    procs = report_of(client(NS_H, mixed_plan("127.0.0.1", "::1")), "loopback client", 60)
    return Case(procs + stop_server(srv, "loopback server"), ["lo"])


def case7():
    """Containers: a process in another namespace, routed through the host to the peer."""
    procs = report_of(client(NS_C, mixed_plan(P4, P6)), "container client", 60)
    return Case(procs, [IF_HP])


def case8():
    """Many flows: 2,000 concurrent TCP connections in one process, bulk data in another."""
    hold = client(NS_H, [dict(op="hold", addr=P4, port=PORT_TCP, count=2000, send=100,
                              reply=100)], stdin=subprocess.PIPE)   # EOF on stdin: close them
    if not wait_for(hold.stdout, "held", 60):
        raise RuntimeError("the 2,000 connections were not opened: %s" % finish(hold, 5)[2])
    size = q(30000000, 300000000)
    bulk = client(NS_H, [dict(op="bulk", addr=P4, port=PORT_TCP, send=size, reply=size // 3,
                              pace=PACE),
                         dict(op="bulk", addr=P6, port=PORT_TCP, send=size // 3, reply=size,
                              pace=PACE / 2)])
    procs = report_of(bulk, "bulk", 300)
    hold.stdin.close()
    hold.stdin = None
    procs = report_of(hold, "hold", 60) + procs
    return Case(procs, [IF_HP])


def case9():
    """Two interfaces: a host process over the bridge (each packet is seen on the bridge and
    on its port) and container traffic forwarded by the host (seen on two veths)."""
    br = client(NS_H, mixed_plan(PB4, PB6))
    ct = client(NS_C, mixed_plan(P4, P6, scale=2))
    procs = report_of(br, "bridge client", 60)
    extra = report_of(ct, "container client", 60)
    return Case(procs, [IF_BR, IF_HP], extra_procs=extra)


CASES_ALL = {
    1: ("short-tcp", 99.0, case1),
    2: ("short-procs", 95.0, case2),
    3: ("udp", 99.0, case3),
    4: ("inbound", 99.0, case4),
    5: ("icmp-raw", 99.0, case5),
    6: ("loopback", 99.0, case6),
    7: ("container", 99.0, case7),
    8: ("many-flows", 99.0, case8),
    9: ("two-ifaces", 99.0, case9),
}


# ---------------------------------------------------------------- driver

def steal_ms():
    """CPU time the hypervisor has taken from this machine's CPUs (/proc/stat), in ms."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) * 1000 // os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0


def run_case(binary, num, ifs):
    name, target, fn = CASES_ALL[num]
    tools = Tools(binary, str(num), NETHOGS)
    t0 = time.monotonic()
    s0 = steal_ms()
    c = fn()
    took = time.monotonic() - t0
    rows, footer, nh_rows, td_drops = tools.stop()
    stolen = steal_ms() - s0
    idx = [ifs[n] for n in c.truth_ifs]
    tab = truth.table(tools.pcap, idx)
    tr, reused = truth_of(c.procs, tab)
    used = set()
    truth_of(c.procs + c.extra, tab, used)
    bg_bytes, bg_pkts = tab.unexplained(used)
    others = {p["pid"] for p in c.extra}
    sc = score(tr, rows, others=others)
    pct, total = sc["pct"], sc["truth"]
    notes = []
    ok = pct >= target and sc["over"] <= 0.01 * total
    why = []
    if pct < target:
        why.append("%.2f%% < %.0f%%" % (pct, target))
    if sc["over"] > 0.01 * total:
        why.append("over the truth by > 1%")
    notes.append("pt: " + tally(sc))
    if num == 8:
        notes.append("pt saw %d pkts, tcpdump %d" % (footer.get("packets", -1), tab.records))
    if num == 9:
        tr_all, _ = truth_of(c.procs + c.extra, tab)
        truth_all = sum(t[d][0] for t in tr_all.values() for d in ("sent", "recv"))
        tool_all = sum(s + r for k, (s, r) in rows.items() if k not in REMOTE_PIDS)
        ratio = tool_all / truth_all if truth_all else float("nan")
        own = sum(rows.get(p, [0, 0])[0] + rows.get(p, [0, 0])[1] for p in tr)
        own_truth = total
        notes.append("bridge process x%.2f, all rows x%.2f of truth" % (
            own / own_truth if own_truth else float("nan"), ratio))
        if not 0.99 <= ratio <= 1.01:
            ok = False
            why.append("counted x%.2f" % ratio)
    drops = footer.get("kdrop", 0) + footer.get("ifdrop", 0)
    if drops:
        notes.append("pt dropped %d" % drops)
    # On lo the kernel's filter count has both copies of each packet, libpcap keeps one.
    unread = "lo" not in c.truth_ifs and tools.td_received != tools.td_captured
    if td_drops or tools.td_captured != tab.records or unread:
        # The truth misses packets: bytes over it may be right, do not fail on them.
        notes.append("TRUTH INCOMPLETE: tcpdump dropped %s, received %d, wrote %d" % (
            td_drops if td_drops >= 0 else "?", tools.td_received, tab.records))
        if "over the truth by > 1%" in why:
            why.remove("over the truth by > 1%")
            ok = not why
    if reused:
        notes.append("%d tuples reused by two pids" % reused)
    if bg_bytes:
        notes.append("%s in %d packets of no generator flow" % (human(bg_bytes), bg_pkts))
    nh_pct = None
    if nh_rows is not None:
        conv = nethogs_to_ip(tr)
        nsc = score(tr, nh_rows, conv, others)
        nh_pct = nsc["pct"]
        notes.append("nh: " + tally(nsc))
        if num == 8:        # calibration: (printed - IP bytes) / packets, 14 if nothing missed
            over = ["%.2f" % ((nh_rows.get(p, [0, 0])[i] - tr[p][d][0]) / tr[p][d][1])
                    for p in tr for i, d in enumerate(("sent", "recv")) if tr[p][d][1]]
            notes.append("nh (printed - IP) / packets: %s" % " ".join(over))
        if not tools.nh_settled:
            notes.append("nh still busy %.0fs after the traffic" % tools.nh_wait)
        elif tools.nh_wait > 4:
            notes.append("nh caught up %.0fs after the traffic" % tools.nh_wait)
    detail(num, c, tr, rows, nh_rows)
    notes += c.notes
    errs = sum(p.get("errors", 0) for p in c.procs + c.extra)
    if errs and num != 3:
        notes.append("%d generator errors" % errs)
    if stolen:
        notes.append("host stole %d ms of CPU" % stolen)
    notes.append("%.1fs" % took)
    return dict(num=num, name=name, target=target, truth=total, pct=pct, nh=nh_pct, ok=ok,
                why=why, notes=notes, nprocs=len(tr))


def detail(num, c, tr, rows, nh_rows):
    """Per pid and direction: truth (bytes/packets), proctraf, nethogs (as printed and as IP
    bytes); written to caseN-detail.txt, and to stdout with ACCURACY_VERBOSE=1."""
    comm = {p["pid"]: p.get("comm", "?") for p in c.procs}
    conv = nethogs_to_ip(tr)
    out = ["case %d: pid comm dir truth_bytes truth_pkts proctraf nethogs_raw nethogs_ip" % num]
    keys = list(tr) + sorted((k for k in set(rows) | set(nh_rows or {}) if k not in tr), key=str)
    for pid in keys:
        for i, d in enumerate(("sent", "recv")):
            t = tr.get(pid, {"sent": [0, 0], "recv": [0, 0]})[d]
            pt = rows.get(pid, [0, 0])[i]
            nh = (nh_rows or {}).get(pid, [0, 0])[i]
            out.append("  %s %s %s %d %d %d %.0f %.0f" % (pid, comm.get(pid, "-"), d, t[0], t[1],
                                                       pt, nh, conv(pid, d, nh)))
    text = "\n".join(out) + "\n"
    with open(os.path.join(TMP, "case%d-detail.txt" % num), "w") as f:
        f.write(text)
    if ENV.get("ACCURACY_VERBOSE") == "1":
        sys.stdout.write(text)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return "?"


def print_header():
    print("%-15s %12s %9s %9s  %s" % ("case", "truth_bytes", "proctraf", "nethogs", "notes"),
          flush=True)


def print_row(r):
    nh = "-" if r.get("nh") is None else "%.2f%%" % r["nh"]
    pt = "-" if r.get("pct") is None else "%.2f%%" % r["pct"]
    verdict = ("ok" if r["ok"] else "FAIL: " + ", ".join(r["why"])) + \
        " (target %.0f%%)" % r["target"]
    print("%-15s %12s %9s %9s  %s; %s" % ("%d %s" % (r["num"], r["name"]), r.get("truth", "-"),
                                          pt, nh, verdict, "; ".join(r["notes"])), flush=True)


def start_peer():
    """The remote ends, for the whole run, in the peer namespace."""
    udp = []
    for a in (P4, P4B, P6, P6B, PB4, PB6):
        udp += ["--udp", "%s,%d" % (a, PORT_UDP)]
    srv = agen(NS_P, "server", "--tcp", "::,%d" % PORT_TCP, *udp, stdin=subprocess.PIPE)
    if not wait_for(srv.stdout, "ready"):
        raise RuntimeError("peer server: %s" % finish(srv, 5)[2])
    keep = [srv]
    raw = agen(NS_P, "raw-echo", "253", P4, P6)
    if not wait_for(raw.stdout, "ready"):
        raise RuntimeError("peer raw-echo: %s" % finish(raw, 5)[2])
    keep.append(raw)
    if HELPER:
        for a in (P4, P6):
            e = spawn(in_ns(NS_P, HELPER, "udp-echo", a, PORT_FLOOD))
            if not wait_for(e.stdout, "ready"):
                raise RuntimeError("peer udp-echo: %s" % finish(e, 5)[2])
            keep.append(e)
    return keep


def try_case(binary, num, ifs, keep):
    """run_case, with an exception as a failed case; the case's processes are gone after."""
    try:
        r = run_case(binary, num, ifs)
    except Exception as e:          # one broken case must not hide the rest
        r = dict(num=num, name=CASES_ALL[num][0], target=CASES_ALL[num][1], ok=False,
                 why=["%s: %s" % (type(e).__name__, e)], notes=[])
    teardown(keep)
    return r


def main():
    if len(sys.argv) != 2 or not (NS_H and NS_P and NS_C and TMP):
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    install_handlers(TIME_LIMIT)
    results = []
    status = 0
    print("proctraf%s attribution accuracy, %s run%s; %s; load average %s at the start" % (
        "".join(" " + a for a in PT_ARGS), "quick" if QUICK else "full",
        ", check" if CHECK else "", "nethogs beside it" if NETHOGS else "no nethogs",
        loadavg()), flush=True)
    print_header()
    try:
        ifs = ifindexes(NS_H)
        keep = start_peer()
        REMOTE_PIDS.update(p.pid for p in keep)    # `ip netns exec` execs: same pid
        for num in CASES:
            if num not in CASES_ALL:
                continue
            r = try_case(binary, num, ifs, keep)
            misses = []
            # See README.md: a miss is run again, up to RERUNS times; the last run decides.
            while CHECK and not r["ok"] and r.get("pct") is not None and \
                    len(misses) < RERUNS:
                misses.append("%s (%s)" % ("; ".join(r["why"]), "; ".join(
                    n for n in r["notes"] if n.startswith(("pt:", "host stole")))))
                r = try_case(binary, num, ifs, keep)
            if misses:
                r["notes"] = ["run %d of %d; before: %s" % (
                    len(misses) + 1, len(misses) + 1, " | ".join(misses))] + r["notes"]
            results.append(r)
            print_row(r)
    except Overtime:
        quiet()
        results.append(dict(num=0, name="time-limit", target=0, ok=False,
                            why=["over %d s" % TIME_LIMIT], notes=[]))
        print_row(results[-1])
    except SystemExit as e:
        quiet()
        print("interrupted (signal %s)" % (e.code - 128 if e.code else "?"), flush=True)
        status = e.code or 1
        results.append(dict(ok=False))
    finally:
        quiet()
        teardown()
    passed = sum(1 for r in results if r["ok"])
    failed = len(results) - passed
    if CHECK:
        print("%d passed, %d failed" % (passed, failed), flush=True)
        return status or (1 if failed else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
