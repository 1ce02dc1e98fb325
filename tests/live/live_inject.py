"""case_inject of live.py: frames written through AF_PACKET sockets (inject.py).

A process holding only a packet socket writes crafted UDP/IPv4 frames; the
frames must be counted for it, byte for byte, and marked injected (the
summary's injected_bytes, the VIA column of --connections), while a tcpdump
captures beside it (its socket has a receive ring: a capture, never a
candidate sender). Three phases:

  1. one injector on the veth of A and one on A's loopback at the same
     time, each with its own proctraf (-i VETH, -i lo): a socket bound to
     the other interface is no candidate, and on loopback a frame is
     counted once (libpcap drops the outgoing copy of lo);
  2. two injectors on the veth at once: proctraf cannot tell whose frames
     are whose, so they go to unknown:packet-sockets and no process row has
     them.

The --json proctrafs of both phases also write their capture (-w): read
back with -r, each file must give the live report's rows (the injector's
bytes its own, not unknown) and mark them injected as it did (the summary,
and -C's VIA column), or keep them unknown:packet-sockets.

Each helper keeps its socket open until proctraf has ended (its standard
input is closed then), so that proctraf's passes find its holder.
"""
import csv
import io
import os
import shutil
import subprocess
import time

from procs import finish, in_ns, readline

HERE = os.path.dirname(os.path.abspath(__file__))
INJECT = os.path.join(HERE, "inject.py")
CHECK = os.path.join(HERE, "..", "pcapng", "check.py")
DURATION = "2.5"        # proctraf's -d: long enough for the helpers' start
COUNT = 40              # frames of each helper
PAYLOAD = 300           # UDP payload bytes: 328 IP bytes a frame


def injector(t, ns, dev, src, dst, count, delay=0.3):
    """An inject.py whose stdin we hold: it writes after delay seconds."""
    p = subprocess.Popen(in_ns(ns, t.PY, INJECT, dev, src, dst, count, PAYLOAD, delay),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, bufsize=0)
    t.children.append(p)
    return p


def sent_of(p, what):
    """(pid, frames, IP bytes) from the helper's "sent N BYTES" line."""
    line = readline(p.stdout, 10)
    if not line or not line.startswith("sent "):
        _, _, err = finish(p, 5)
        raise RuntimeError("%s did not send: %r, stderr %r" % (what, line, err[-300:]))
    _, n, b = line.split()
    return p.pid, int(n), int(b)


def release(p):
    """Let the helper close its socket and end (communicate closes its stdin)."""
    return finish(p, 5)


def proctraf(t, binary, dev, *opts):
    return t.spawn(in_ns(t.NS_A, binary, "-i", dev, "-d", DURATION, *opts, "udp"))


def json_report(t, name, p, text=None):
    """The one report's (rows, summary); text: a list that gets its output."""
    rc, out, err = finish(p, 15)
    if text is not None:
        text.append(out)
    t.check(name + " exit 0, stderr empty", rc == 0 and err == "",
            "exit %s, stderr %r" % (rc, err))
    blocks, why = t.reports.parse_json(out, t.HEADER)
    if not t.check(name + " JSON parses", blocks and len(blocks) == 1,
                   "%s; stdout %r" % (why, out[:300])):
        return None, None
    return blocks[0]


def tshark_agrees(t, name, path, report):
    """tshark reads the file, and its comments (via=packet) sum to the report per row."""
    if not shutil.which("tshark"):
        t.skip(name + " tshark reads it", "tshark not installed")
        return
    fields = subprocess.run([t.PY, CHECK, "fields"], capture_output=True, text=True).stdout.split()
    tsv, js = path + ".tsv", path + ".json"
    with open(tsv, "wb") as f:
        rc = subprocess.run(["tshark", "-r", path, "-T", "fields", "-E", "separator=/t",
                             "-E", "occurrence=f"] + fields, stdout=f,
                            stderr=subprocess.DEVNULL, timeout=60).returncode
    with open(js, "w") as f:
        f.write(report)
    p = subprocess.run([t.PY, CHECK, "sums", js, tsv], capture_output=True, text=True)
    t.check(name + " tshark reads it, comments sum to the report", rc == 0 and p.returncode == 0,
            "tshark exit %s; %s" % (rc, p.stdout[-300:]))


def conn_rows(t, name, rc, out, err):
    """The rows of a --csv -C report, checked for its exit and header."""
    t.check(name + " exit 0, stderr empty", rc == 0 and err == "",
            "exit %s, stderr %r" % (rc, err))
    raw = list(csv.reader(io.StringIO(out, newline="")))
    header_ok = t.check(name + " header", raw and raw[0] == t.CONN_HEADER,
                        "header %r, want %r" % (raw[:1], t.CONN_HEADER))
    return [dict(zip(raw[0], r)) for r in raw[1:]] if header_ok else []


def read_back(t, binary, name, path, live):
    """-r of a live run's -w file: the live report's rows and injected counts."""
    rows, summary = live
    text = []
    back, back_sum = json_report(t, name + " -r of its -w", t.spawn([binary, "-r", path, "--json"]),
                                 text)
    if rows is None or back is None:
        return
    tshark_agrees(t, name + " -w", path, text[0])
    def order(rs):
        return sorted(rs, key=lambda r: (r["pid"] or 0, r["command"]))
    inj = ("injected_bytes", "injected_packets")
    print("%s -w/-r: injected %s live, %s read back; rows %s" % (
        name, [summary.get(k) for k in inj], [back_sum.get(k) for k in inj],
        [(r["pid"], r["command"], r["sent_bytes"]) for r in order(back)]), flush=True)
    t.check(name + " -r of its -w: the live report's rows", order(back) == order(rows),
            "read back %r, live %r" % (order(back), order(rows)))
    t.check(name + " -r of its -w: marked injected as live",
            [back_sum.get(k) for k in inj] == [summary.get(k) for k in inj],
            "read back %r, live %r" % (back_sum, summary))


def phase_one(t, binary):
    cap = t.Capture(t.NS_A, t.VETH_A, "inject", ("udp",))
    files = {name: os.path.join(t.TMP, "inject-%s.pcapng" % name.split()[1])
             for name in ("inject veth", "inject lo")}
    pv = proctraf(t, binary, t.VETH_A, "--json", "-w", files["inject veth"])
    pc = proctraf(t, binary, t.VETH_A, "--csv", "-C")
    pl = proctraf(t, binary, "lo", "--json", "-w", files["inject lo"])
    t.capturing([pv, pc, pl])
    hv = injector(t, t.NS_A, t.VETH_A, t.A4, t.B4, COUNT)
    hl = injector(t, t.NS_A, "lo", "127.0.0.1", "127.0.0.1", COUNT)
    sv, sl = sent_of(hv, "veth injector"), sent_of(hl, "lo injector")
    t.check("inject frames inside the window", all(p.poll() is None for p in (pv, pc, pl)),
            "a proctraf ended before the helpers had sent")
    reps = {name: json_report(t, name, p) for name, p in
            (("inject veth", pv), ("inject lo", pl))}
    rc, conn_out, err = finish(pc, 15)
    release(hv)
    release(hl)
    dropped = cap.stop()
    t.check("inject tcpdump dropped nothing", dropped == 0, cap.err.strip())
    truth = t.pcaptruth.endpoint(cap.truth(), [t.A4], 40000, "udp")
    t.check("inject tcpdump saw the frames", truth["sent_bytes"] == sv[2] and
            truth["sent_packets"] == sv[1], "tcpdump %s, helper sent %s" % (truth, sv))
    for name, (pid, n, b) in (("inject veth", sv), ("inject lo", sl)):
        rows, summary = reps[name]
        if rows is None:
            continue
        row = [r for r in rows if r["pid"] == pid]
        got = row[0] if len(row) == 1 else None
        print("%s pid=%s sent=%s/%d sent_packets=%s/%d (proctraf/helper)" % (
            name, pid, got and got["sent_bytes"], b, got and got["sent_packets"], n),
            flush=True)
        t.check(name + " the helper's row has every frame's bytes, sent",
                got is not None and (got["sent_bytes"], got["sent_packets"], got["recv_bytes"],
                                     got["recv_packets"], got["flows"]) == (b, n, 0, 0, 1),
                "row %r, helper sent %d frames, %d bytes" % (got, n, b))
        t.check(name + " nothing unattributed", not t.unknown_rows(rows),
                repr(t.unknown_rows(rows)))
        t.check(name + " summary marks them injected",
                (summary.get("injected_bytes"), summary.get("injected_packets")) == (b, n),
                repr(summary))
    rows = conn_rows(t, "inject -C", rc, conn_out, err)
    want = [dict(proto="udp", local_addr=t.A4, local_port="40000", remote_addr=t.B4,
                 remote_port="40001", pid=str(sv[0]), via="packet", sent_bytes=str(sv[2]),
                 sent_packets=str(sv[1]), recv_bytes="0")]
    got = [{k: r[k] for k in want[0]} for r in rows or []]
    t.check("inject -C one row, VIA packet", got == want, "rows %r, want %r" % (got, want))
    for name in files:
        read_back(t, binary, name, files[name], reps[name])
    rc, conn_out, err = finish(t.spawn([binary, "-r", files["inject veth"], "--csv", "-C"]), 15)
    rows = conn_rows(t, "inject -r -C of -w", rc, conn_out, err)
    got = [{k: r[k] for k in want[0]} for r in rows or []]
    t.check("inject -r -C of -w: one row, VIA packet", got == want,
            "rows %r, want %r" % (got, want))


def phase_several(t, binary):
    path = os.path.join(t.TMP, "inject-several.pcapng")
    pv = proctraf(t, binary, t.VETH_A, "--json", "-w", path)
    t.capturing([pv])
    h1 = injector(t, t.NS_A, t.VETH_A, t.A4, t.B4, COUNT)
    h2 = injector(t, t.NS_A, t.VETH_A, t.A4, t.B4, COUNT)
    s1, s2 = sent_of(h1, "injector 1"), sent_of(h2, "injector 2")
    t.check("inject several frames inside the window", pv.poll() is None,
            "proctraf ended before the helpers had sent")
    live = json_report(t, "inject several", pv)
    release(h1)
    release(h2)
    read_back(t, binary, "inject several", path, live)
    rows = live[0]
    if rows is None:
        return
    mine = [r for r in rows if r["pid"] in (s1[0], s2[0])]
    t.check("inject several: no helper row (no guess)", not mine, repr(mine))
    pk = [r for r in rows if r["command"] == "unknown:packet-sockets"]
    t.check("inject several: unknown:packet-sockets has every frame",
            len(pk) == 1 and (pk[0]["sent_bytes"], pk[0]["sent_packets"]) ==
            (s1[2] + s2[2], s1[1] + s2[1]), "rows %r, sent %s %s" % (rows, s1, s2))


def case_inject(t, binary):
    with open("/proc/net/packet") as f:
        f.read()        # af_packet is there (a kernel without it: no such file)
    phase_one(t, binary)
    t.teardown()
    time.sleep(0.1)
    phase_several(t, binary)
