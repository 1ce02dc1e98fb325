#!/usr/bin/env python3
"""Live tests: proctraf capturing real traffic between network namespaces.

live.py BINARY

Creates two namespaces joined by a veth pair (10.231.0.1/24 + fd00:231::1/64
in A, .2 and ::2 in B), runs generators that know what they moved (gen.py),
proctraf and a tcpdump beside it in A, and checks every client's totals
against the capture's exact IP bytes. Traffic goes only to those addresses
and to loopback inside A; the namespaces are removed on exit, whatever
happens. Prints "ok NAME" / "FAIL NAME: why" and "N passed, N failed".
"""
import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen.py")
PY = sys.executable
TAG = str(os.getpid())
NS_A, NS_B = "ptA-" + TAG, "ptB-" + TAG
VETH_A, VETH_B = "pta" + TAG, "ptb" + TAG
A4, B4, A6, B6 = "10.231.0.1", "10.231.0.2", "fd00:231::1", "fd00:231::2"
HEADER = ["pid", "user", "command", "sent_bytes", "recv_bytes", "sent_packets",
          "recv_packets", "flows", "cmdline"]
MAX_HDR = 100          # bytes of headers a packet may carry beyond its payload

results = []
children = []


def check(name, ok, why=""):
    results.append(ok)
    print(("ok %s" % name) if ok else ("FAIL %s: %s" % (name, why)), flush=True)
    return ok


def sh(*cmd, check_rc=True):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=30)
    if check_rc and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
    return r


def in_ns(ns, *cmd):
    return ["ip", "netns", "exec", ns] + list(cmd)


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    children.append(p)
    return p


def setup():
    sh("ip", "netns", "add", NS_A)
    sh("ip", "netns", "add", NS_B)
    sh("ip", "link", "add", VETH_A, "netns", NS_A, "type", "veth", "peer", "name", VETH_B,
       "netns", NS_B)
    for ns, dev, a4, a6 in ((NS_A, VETH_A, A4, A6), (NS_B, VETH_B, B4, B6)):
        sh(*in_ns(ns, "ip", "link", "set", "lo", "up"))
        sh(*in_ns(ns, "ip", "addr", "add", a4 + "/24", "dev", dev))
        sh(*in_ns(ns, "ip", "addr", "add", a6 + "/64", "dev", dev, "nodad"))
        sh(*in_ns(ns, "ip", "link", "set", dev, "up"))


def teardown():
    for p in children:
        if p.poll() is None:
            p.kill()
            p.wait()
    for ns in (NS_A, NS_B):
        sh("ip", "netns", "del", ns, check_rc=False)


def wait_line(p, want, timeout=10):
    """Read p's stderr/stdout until a line containing want (bounded)."""
    end = time.time() + timeout
    stream = p.stderr if want == "listening" else p.stdout
    while time.time() < end:
        line = stream.readline()
        if not line:
            break
        if want in line:
            return True
    return False


def tcpdump(ns, dev, path):
    p = spawn(in_ns(ns, "tcpdump", "-i", dev, "-U", "-n", "-s", "256", "-w", path,
                    "tcp or udp"))
    if not wait_line(p, "listening"):
        raise RuntimeError("tcpdump did not start")
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return p.returncode, out, err


def truth(pcap, addr, port, proto):
    r = sh(PY, os.path.join(HERE, "pcaptruth.py"), pcap, addr, str(port), proto)
    return json.loads(r.stdout)


def parse_csv(text):
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or rows[0] != HEADER:
        return None, rows
    return [dict(zip(HEADER, r)) for r in rows[1:]], rows


def row_of(rows, pid):
    for r in rows:
        if r["pid"] == str(pid):
            return r
    return None


def compare(name, row, client, t):
    """proctraf's row == tcpdump truth exactly, and within header overhead of the payload."""
    if not check(name + " has a row", row is not None, "no row for pid %s" % client["pid"]):
        return
    got = {k: int(row[k]) for k in ("sent_bytes", "recv_bytes", "sent_packets", "recv_packets")}
    print("  %s pid=%s sent=%d/%d recv=%d/%d packets=%d/%d,%d/%d (proctraf/tcpdump)"
          " payload sent=%d recv=%d" % (
              name, client["pid"], got["sent_bytes"], t["sent_bytes"], got["recv_bytes"],
              t["recv_bytes"], got["sent_packets"], t["sent_packets"], got["recv_packets"],
              t["recv_packets"], client["sent"], client["recv"]))
    wire = {k: t[k] for k in got}
    check(name + " equals capture", got == wire, "proctraf %s, tcpdump %s" % (got, wire))
    for d in ("sent", "recv"):
        # The application's payload all went out (retransmissions may add
        # more), and everything beyond the payload on the wire is headers.
        b, n, pay, onwire = got[d + "_bytes"], got[d + "_packets"], client[d], t[d + "_payload"]
        check("%s %s is payload plus headers" % (name, d),
              pay <= onwire and 20 * n <= b - onwire <= n * MAX_HDR,
              "payload %d, on the wire %d, bytes %d, packets %d" % (pay, onwire, b, n))
    check(name + " command", row["command"] == client["comm"] and row["user"] == "root",
          "command %r user %r, want %r root" % (row["command"], row["user"], client["comm"]))


def run_clients(specs):
    """Start servers in B, then clients in A; return the clients' reports."""
    servers = []
    for mode, addr, port, args in specs:
        srv = spawn(in_ns(NS_B, PY, GEN, mode.replace("client", "server"), addr, str(port),
                          *args[1]))
        if not wait_line(srv, "ready"):
            raise RuntimeError("server %s did not start: %s" % (mode, srv.stderr.read()))
        servers.append(srv)
    clients = [spawn(in_ns(NS_A, PY, GEN, mode, addr, str(port), *args[0]))
               for mode, addr, port, args in specs]
    reports = []
    for c in clients:
        out, err = c.communicate(timeout=30)
        if c.returncode != 0:
            raise RuntimeError("client failed: %s" % err)
        reports.append(json.loads(out.strip().splitlines()[-1]))
    for s in servers:
        s.communicate(timeout=30)
    return reports


def case_main(binary, tmp):
    pcap = os.path.join(tmp, "main.pcap")
    td = tcpdump(NS_A, VETH_A, pcap)
    pt = spawn(in_ns(NS_A, binary, "-i", VETH_A, "-d", "5", "--csv", "tcp or udp"))
    time.sleep(1)
    specs = [
        ("tcp-client", B4, 5001, (["300000"], ["200000"])),
        ("tcp-client", B6, 5002, (["150000"], ["400000"])),
        ("udp-client", B4, 5003, (["200", "900"], ["200", "700"])),
        ("udp-client", B6, 5004, (["150", "1200", "--connected"], ["150", "300"])),
    ]
    reports = run_clients(specs)
    rc, out, err = stop_after(pt, 15)
    time.sleep(0.3)
    stop(td)
    check("main exit 0", rc == 0, "exit %s, stderr %r" % (rc, err))
    check("main stderr empty", err == "", repr(err))
    rows, raw = parse_csv(out)
    if not check("main CSV header", rows is not None, repr(raw[:1])):
        return
    names = ["tcp4", "tcp6", "udp4 unconnected", "udp6 connected"]
    for name, rep, spec in zip(names, reports, specs):
        laddr = rep["laddr"]
        if laddr in ("0.0.0.0", "::"):
            laddr = A6 if ":" in spec[1] else A4
        compare(name, row_of(rows, rep["pid"]), rep,
                truth(pcap, laddr, rep["lport"], rep["proto"]))
    unknown = [r for r in rows if r["command"].startswith("unknown")]
    check("main nothing unattributed", not unknown, repr(unknown))


def stop_after(p, timeout):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return -1, out, err + " (timed out)"
    return p.returncode, out, err


def case_sigint(binary, tmp):
    pt = spawn(in_ns(NS_A, binary, "-i", VETH_A, "--csv", "tcp or udp"))
    time.sleep(1)
    rep = run_clients([("tcp-client", B4, 5011, (["50000"], ["1000"]))])[0]
    time.sleep(0.2)
    t0 = time.time()
    rc, out, err = stop(pt)
    check("sigint exit 0", rc == 0, "exit %s, stderr %r" % (rc, err))
    check("sigint prompt", time.time() - t0 < 2, "took %.1fs" % (time.time() - t0))
    rows, raw = parse_csv(out)
    row = rows and row_of(rows, rep["pid"])
    check("sigint report has the client", bool(row) and int(row["sent_bytes"]) > 50000,
          repr(raw))


def case_loopback(binary, tmp):
    pcap = os.path.join(tmp, "lo.pcap")
    td = tcpdump(NS_A, "lo", pcap)
    pt = spawn(in_ns(NS_A, binary, "-i", "lo", "-d", "4", "--csv"))
    time.sleep(1)
    pairs = []
    for addr, port in (("127.0.0.1", 5021), ("::1", 5022)):
        srv = spawn(in_ns(NS_A, PY, GEN, "tcp-server", addr, str(port), "70000"))
        wait_line(srv, "ready")
        cli = spawn(in_ns(NS_A, PY, GEN, "tcp-client", addr, str(port), "120000"))
        out, err = cli.communicate(timeout=30)
        srv.communicate(timeout=30)
        pairs.append((addr, port, srv.pid, json.loads(out.strip().splitlines()[-1])))
    rc, out, err = stop_after(pt, 15)
    time.sleep(0.3)
    stop(td)
    check("loopback exit 0", rc == 0, "exit %s, stderr %r" % (rc, err))
    rows, raw = parse_csv(out)
    if not check("loopback CSV", rows is not None, repr(raw[:1])):
        return
    for addr, port, srv_pid, rep in pairs:
        name = "loopback " + addr
        compare(name + " client", row_of(rows, rep["pid"]), rep,
                truth(pcap, addr, rep["lport"], "tcp"))
        srow, crow = row_of(rows, srv_pid), row_of(rows, rep["pid"])
        t = truth(pcap, addr, port, "tcp")
        ok = srow is not None and crow is not None and \
            int(srow["recv_bytes"]) == int(crow["sent_bytes"]) == t["recv_bytes"] and \
            int(srow["sent_bytes"]) == int(crow["recv_bytes"]) == t["sent_bytes"]
        check(name + " server mirrors client, once each", ok,
              "server %r client %r truth %r" % (srow, crow, t))
    unknown = [r for r in rows if r["command"].startswith("unknown")]
    check("loopback nothing unattributed", not unknown, repr(unknown))


def case_ping(binary, tmp):
    """A ping (ICMP datagram) socket: /proc/net/icmp shows the echo id as its port."""
    sh(*in_ns(NS_A, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"))
    pt = spawn(in_ns(NS_A, binary, "-i", VETH_A, "-d", "3", "--csv", "icmp"))
    time.sleep(1)
    cli = spawn(in_ns(NS_A, PY, GEN, "ping", B4, "20", "56"))
    out, err = cli.communicate(timeout=30)
    if not check("ping client ran", cli.returncode == 0, err):
        return
    rep = json.loads(out.strip().splitlines()[-1])
    rc, out, err = stop_after(pt, 15)
    rows, raw = parse_csv(out)
    row = rows and row_of(rows, rep["pid"])
    want = 20 * (20 + 8 + 56)         # IPv4 header + ICMP header + payload, each way
    got = row and (int(row["sent_bytes"]), int(row["recv_bytes"]), int(row["sent_packets"]),
                   int(row["recv_packets"]))
    print("  ping pid=%s sent=%s recv=%s packets=%s,%s (want %d bytes, 20 packets each way)" % (
        rep["pid"], got and got[0], got and got[1], got and got[2], got and got[3], want))
    check("ping socket attributed", got == (want, want, 20, 20), "row %r, rows %r" % (row, raw))
    unknown = [r for r in rows or [] if r["command"].startswith("unknown")]
    check("ping nothing unattributed", not unknown, repr(unknown))


def expect_error(name, cmd, want_rc, want_text=None, stdout=subprocess.PIPE):
    r = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=20)
    lines = r.stderr.strip().splitlines()
    ok = r.returncode == want_rc and len(lines) == 1 and lines[0].startswith("proctraf: ")
    ok = ok and (stdout != subprocess.PIPE or r.stdout == "")
    if want_text:
        ok = ok and want_text in r.stderr
    check(name, ok, "exit %s stdout %r stderr %r" % (r.returncode, r.stdout, r.stderr))


def case_errors(binary):
    expect_error("error no such interface", in_ns(NS_A, binary, "-i", "nonexistent0", "-d", "1"),
                 1, "nonexistent0")
    expect_error("error bad filter", in_ns(NS_A, binary, "-d", "1", "tcp port"), 2, "filter")
    expect_error("error -c 0", [binary, "-d", "1", "-c", "0"], 2)
    expect_error("error -d -1", [binary, "-d", "-1"], 2)
    expect_error("error -d abc", [binary, "-d", "abc"], 2)
    expect_error("error unknown option", [binary, "--no-such-option"], 2)
    with open("/dev/full", "w") as full:
        expect_error("error full disk", in_ns(NS_A, binary, "-i", "lo", "-d", "0.3"), 1,
                     "No space left", stdout=full)
    expect_error("error not permitted",
                 in_ns(NS_A, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                       "--inh-caps=-all", binary, "-i", "lo", "-d", "1"), 1, "CAP_NET_RAW")
    # A closed pipe: quiet.
    r = subprocess.run("%s | head -c 1 >/dev/null" % " ".join(
        in_ns(NS_A, binary, "-i", "lo", "-d", "0.3")), shell=True, stderr=subprocess.PIPE,
        text=True, timeout=20)
    check("closed pipe is quiet", r.stderr == "", repr(r.stderr))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        print("SKIP: live tests need root")
        print("0 passed, 0 failed")
        return 0
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory() as tmp:
        try:
            setup()
            for case in (case_main, case_sigint, case_loopback, case_ping):
                try:
                    case(binary, tmp)
                except Exception as e:              # one broken case must not hide the rest
                    check(case.__name__, False, "%s: %s" % (type(e).__name__, e))
            case_errors(binary)
        finally:
            teardown()
    passed = sum(results)
    failed = len(results) - passed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
