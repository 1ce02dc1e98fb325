#!/usr/bin/env python3
"""The golden cases' oracle: what each case must print, from the ledger alone.

    oracle.py expect NAME              the exact stdout case NAME must give
    oracle.py verify                   check every expected/ file against the
                                       ledger; one "BAD NAME: why" line each
    oracle.py accept NAME OUT ERR RC   (run.sh --update) write expected/ for
                                       NAME from the binary's OUT, ERR and exit
                                       status RC, but only if they agree with
                                       the ledger; else print the disagreement

ledger.json (written by mkcaptures.py) says for every packet its IP length as
written, its 5-tuple, and with the fixture proc/host which process sent it,
which received it, or which unknown row takes it.  From that and proctraf.1 this
file computes every row (per process sent/recv bytes and packets, flows),
every unknown row, the sort order, the footer, and renders them as text, CSV
or TSV.  Options of a case (-c, -d, a filter, --max-flows, --no-header) are
applied to the ledger the way proctraf.1 says the binary applies them.

Choices proctraf.1 leaves open, taken here as README.md documents them:
- `unknown:table-full` rows have flows 0 (the flows are not kept);
- a cmdline's final NUL is not turned into a trailing space (a cmdline
  without NULs, as setproctitle() leaves it, is shown whole);
- `\\xNN` escapes use lower-case hex digits;
- with --no-header, text columns are as wide as the rows need (the missing
  header line does not widen them).
"""
import ipaddress
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

UNKNOWN_TEXT = {
    "no-socket": b"no socket matched this traffic",
    "no-process": b"socket found but no process held it",
    "not-local": b"neither end is an address of this host",
    "table-full": b"flows beyond --max-flows",
}

# BPF expressions used by TESTLIST, as libpcap evaluates them on these files.
# (libpcap's "udp" checks the IPv4 protocol / the IPv6 fixed header's next
# header, does not look behind 802.1Q tags, and does not follow IPv6
# extension headers.)  verify cross-checks them with tcpdump when present.
FILTERS = {
    "udp": lambda p: p["kind"] == "ip" and not p["vlan"] and p["nh"] == 17,
    "vlan and udp": lambda p: p["kind"] == "ip" and p["vlan"] == 1 and p["nh"] == 17,
    "vlan and vlan and udp": lambda p: p["kind"] == "ip" and p["vlan"] == 2 and p["nh"] == 17,
    "tcp and port 443": lambda p: (p["kind"] == "ip" and not p["vlan"] and p["nh"] == 6
                                   and 443 in (p["sport"], p["dport"])),
    "icmp or ip proto 47": lambda p: p["kind"] == "ip" and p["v"] == 4 and p["proto"] in (1, 47),
    "icmp6": lambda p: p["kind"] == "ip" and not p["vlan"] and p["v"] == 6 and p["nh"] == 58,
}
BAD_FILTERS = {"tcp port", "nosuchproto", "port 99999"}
BAD_FILES = {"corrupt.pcap", "truncated.pcap", "truncated-header.pcap", "short.pcap",
             "missing.pcap"}


def load_ledger():
    with open(os.path.join(HERE, "ledger.json")) as f:
        return json.load(f)


def read_testlist():
    cases = []
    with open(os.path.join(HERE, "TESTLIST")) as f:
        for line in f:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            name, cap, fixture, expect = words[:4]
            cases.append(dict(name=name, cap=cap, fixture=fixture, expect=expect,
                              opts=words[4:]))
    return cases


class UsageError(Exception):
    pass


def positive_int(s):
    if not s.isdigit() or int(s) < 1:
        raise UsageError(s)
    return int(s)


def parse_opts(opts):
    """The options of a case, checked as proctraf.1 says; UsageError if bad."""
    o = dict(fmt="text", header=True, count=None, dur_us=None, max_flows=1000000, filter=None)
    split = []
    for i, a in enumerate(opts):
        if not a.startswith("-"):
            split += opts[i:]
            break
        split += a.split("=", 1) if a.startswith("--") and "=" in a else [a]
    opts = split
    i = 0
    fmts = set()
    while i < len(opts):
        a = opts[i]
        if not a.startswith("-"):
            o["filter"] = " ".join(opts[i:])
            break
        if a in ("--csv", "--tsv"):
            fmts.add(a[2:])
        elif a == "--no-header":
            o["header"] = False
        elif a in ("-c", "--count", "-d", "--duration", "--max-flows", "-i", "--interface"):
            if i + 1 >= len(opts):
                raise UsageError(a)
            v = opts[i + 1]
            i += 1
            if a in ("-c", "--count"):
                o["count"] = positive_int(v)
            elif a in ("-d", "--duration"):
                try:
                    d = float(v)
                except ValueError:
                    raise UsageError(v)
                if not d > 0 or d != d or d == float("inf"):
                    raise UsageError(v)
                o["dur_us"] = round(d * 1000000)
            elif a == "--max-flows":
                o["max_flows"] = positive_int(v)
            else:
                raise UsageError("-i with -r")
        else:
            raise UsageError(a)
        i += 1
    if len(fmts) > 1:
        raise UsageError("--csv with --tsv")
    if fmts:
        o["fmt"] = fmts.pop()
    if o["filter"] in BAD_FILTERS:
        raise UsageError(o["filter"])
    if o["filter"] is not None and o["filter"] not in FILTERS:
        sys.exit("oracle.py: no predicate for filter %r: add it to FILTERS" % o["filter"])
    return o


def selected(packets, o):
    """The packets the binary sees: filter first, then -c / -d."""
    out = []
    pred = FILTERS.get(o["filter"], lambda p: True)
    for p in packets:
        if not pred(p):
            continue
        if o["count"] is not None and len(out) >= o["count"]:
            break
        if o["dur_us"] is not None and out and p["ts_us"] >= out[0]["ts_us"] + o["dur_us"]:
            break
        out.append(p)
    return out


def flow_key(p):
    return (p["proto"], frozenset([(p["src"], p["sport"]), (p["dst"], p["dport"])]))


def norm(a):
    return str(ipaddress.ip_address(a))


def cmdline(raw):
    """PID/cmdline as a column: the final NUL dropped, the other NULs spaces."""
    if raw.endswith(b"\0"):
        raw = raw[:-1]
    return raw.replace(b"\0", b" ")


def report(ledger, case, o):
    """Rows (dicts) and footer numbers of a normal case."""
    packets = selected(ledger["captures"][case["cap"]]["packets"], o)
    fx = ledger["fixtures"][case["fixture"]]
    local = {norm(a) for a in fx["local"]}
    rows = {}

    def row(key):
        if key not in rows:
            if isinstance(key, int):
                meta = fx["procs"][str(key)]
                rows[key] = dict(pid=key, user=meta["user"].encode(), netns=meta.get("netns", 0),
                                 command=bytes.fromhex(meta["comm"]),
                                 cmdline=cmdline(bytes.fromhex(meta["cmdline_file"])))
            else:
                rows[key] = dict(pid=None, user=b"", netns=0, command=b"unknown:" + key.encode(),
                                 cmdline=UNKNOWN_TEXT[key])
            rows[key].update(sent_bytes=0, recv_bytes=0, sent_packets=0, recv_packets=0,
                             flowset=set())
        return rows[key]

    table = set()
    for p in packets:
        if p["kind"] != "ip":
            continue
        key = flow_key(p)
        if key not in table and len(table) >= o["max_flows"]:
            r = row("table-full")
            # proctraf.1: direction from the link layer, not the addresses
            d = "sent" if p.get("out") else "recv"
            r[d + "_bytes"] += p["iplen"]
            r[d + "_packets"] += 1
            continue
        table.add(key)
        if case["fixture"] == "host":
            who = p["host"]
        else:                                   # nothing is local, no socket exists
            assert not local
            who = dict(sender=None, receiver=None, unknown="not-local")
        if who["unknown"]:
            r = row(who["unknown"])
            d = "sent" if norm(p["src"]) in local else "recv"
            r[d + "_bytes"] += p["iplen"]
            r[d + "_packets"] += 1
            r["flowset"].add(key)
        for pid, d in ((who["sender"], "sent"), (who["receiver"], "recv")):
            if pid is not None:
                r = row(pid)
                r[d + "_bytes"] += p["iplen"]
                r[d + "_packets"] += 1
                r["flowset"].add(key)
        # proctraf.1: an end of ours without owner, the other end owned,
        # is counted in an unknown row too (its own direction).
        for pid, mine, other, d in ((who["sender"], p["src"], who["receiver"], "sent"),
                                    (who["receiver"], p["dst"], who["sender"], "recv")):
            if pid is None and other is not None and norm(mine) in local:
                r = row(who.get("other") or "no-socket")
                r[d + "_bytes"] += p["iplen"]
                r[d + "_packets"] += 1
                r["flowset"].add(key)
    out = []
    for key, r in rows.items():
        r["flows"] = len(r.pop("flowset"))
        out.append(r)
    out.sort(key=lambda r: (-(r["sent_bytes"] + r["recv_bytes"]), r["pid"] is None,
                            r["pid"] or 0, r["command"]))
    foot = dict(P=len(packets), B=sum(p["iplen"] for p in packets if p["kind"] == "ip"),
                N=sum(p["kind"] == "not-ip" for p in packets),
                M=sum(p["kind"] == "malformed" for p in packets))
    return out, foot


NUMS = ("sent_bytes", "recv_bytes", "sent_packets", "recv_packets", "flows")


def text_escape(b):
    out = []
    i = 0
    while i < len(b):
        c = b[i]
        if c < 0x80:
            if c < 0x20 or c == 0x7F:
                out.append("\\x%02x" % c)
            elif c == 0x5C:
                out.append("\\\\")
            else:
                out.append(chr(c))
            i += 1
            continue
        n = 2 if 0xC2 <= c <= 0xDF else 3 if 0xE0 <= c <= 0xEF else 4 if 0xF0 <= c <= 0xF4 else 0
        try:
            ch = b[i:i + n].decode("utf-8") if n and i + n <= len(b) else None
        except UnicodeDecodeError:
            ch = None
        if ch is None or len(ch) != 1:
            out.append("\\x%02x" % c)
            i += 1
        else:
            out.append(ch)
            i += n
    return "".join(out)


def render(rows, foot, o):
    if o["fmt"] == "text":
        head = ["PID", "USER", "COMMAND", "SENT_BYTES", "RECV_BYTES", "SENT_PACKETS",
                "RECV_PACKETS", "FLOWS", "NETNS", "CMDLINE"]
        table = []
        for r in rows:
            proc = r["pid"] is not None
            table.append([str(r["pid"]) if proc else "-",
                          text_escape(r["user"]) if proc else "-",
                          text_escape(r["command"])] +
                         [str(r[k]) for k in NUMS] + [str(r["netns"]) if r["netns"] else "-"] +
                         [text_escape(r["cmdline"])])
        lines = ([head] if o["header"] else []) + table
        # Widths fit the lines printed (without --no-header's header).
        width = [max([len(x[i]) for x in lines] or [0]) for i in range(9)]
        text = ""
        for x in lines:
            cells = [x[i].rjust(width[i]) if i in (0, 3, 4, 5, 6, 7, 8) else x[i].ljust(width[i])
                     for i in range(9)] + [x[9]]
            text += "  ".join(cells).rstrip(" ") + "\n"
        if o["header"]:
            text += "\ncaptured %(P)d packets, %(B)d IP bytes; %(N)d not IP, %(M)d malformed\n" % foot
        return text.encode()
    head = b"pid,user,command,sent_bytes,recv_bytes,sent_packets,recv_packets,flows,netns,cmdline"
    out = []
    if o["fmt"] == "csv":
        def q(b):
            return b'"' + b.replace(b'"', b'""') + b'"'
        if o["header"]:
            out.append(head)
        for r in rows:
            out.append(b",".join([b"%d" % r["pid"] if r["pid"] is not None else b"",
                                  q(r["user"]), q(r["command"])] +
                                 [b"%d" % r[k] for k in NUMS] +
                                 [b"%d" % r["netns"] if r["netns"] else b"", q(r["cmdline"])]))
    else:
        def t(b):
            return (b.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n")
                    .replace(b"\r", b"\\r"))
        if o["header"]:
            out.append(head.replace(b",", b"\t"))
        for r in rows:
            out.append(b"\t".join([b"%d" % r["pid"] if r["pid"] is not None else b"",
                                   t(r["user"]), t(r["command"])] +
                                  [b"%d" % r[k] for k in NUMS] +
                                  [b"%d" % r["netns"] if r["netns"] else b"", t(r["cmdline"])]))
    return b"".join(x + b"\n" for x in out)


def expected_exit(case):
    """0, or the exit status proctraf.1 gives an error case."""
    try:
        o = parse_opts(case["opts"])
    except UsageError:
        return 2, None
    if case["cap"] in BAD_FILES:
        return 1, None
    return 0, o


def expect(ledger, case):
    rc, o = expected_exit(case)
    if rc:
        return rc, None
    rows, foot = report(ledger, case, o)
    return 0, render(rows, foot, o)


def check_err(case, rc, out, err):
    """Why an error case's (rc, stdout, stderr) is wrong, or None."""
    want, _ = expected_exit(case)
    lines = err.split(b"\n")
    if rc != want:
        return "exit %d, proctraf.1 says %d" % (rc, want)
    if out:
        return "stdout not empty: %r" % out[:200]
    if len(lines) != 2 or lines[1] != b"" or not lines[0].startswith(b"proctraf: "):
        return "stderr is not one line starting 'proctraf: ': %r" % err
    if want == 1 and ("captures/" + case["cap"]).encode() not in lines[0]:
        return "stderr does not name the file: %r" % err
    return None


def read_expected(case):
    with open(os.path.join(HERE, "expected", case["expect"]), "rb") as f:
        return f.read()


def first_diff(want, got):
    w, g = want.split(b"\n"), got.split(b"\n")
    for i in range(max(len(w), len(g))):
        a = w[i] if i < len(w) else b"<none>"
        b = g[i] if i < len(g) else b"<none>"
        if a != b:
            return "line %d: ledger %r, got %r" % (i + 1, a, b)
    return "identical"


def tcpdump_check(ledger, cases):
    """The FILTERS predicates select what libpcap selects (when tcpdump exists)."""
    if not shutil.which("tcpdump"):
        return []
    bad = []
    done = set()
    for c in cases:
        rc, o = expected_exit(c)
        if rc or o["filter"] is None or (c["cap"], o["filter"]) in done:
            continue
        done.add((c["cap"], o["filter"]))
        r = subprocess.run(["tcpdump", "-nn", "-tt", "-r", os.path.join(HERE, "captures", c["cap"]),
                            o["filter"]], capture_output=True)
        got = [ln.split(b" ")[0].decode() for ln in r.stdout.split(b"\n")
               if ln and ln[:1].isdigit()]
        pred = FILTERS[o["filter"]]
        want = ["%d.%06d" % divmod(p["ts_us"], 1000000)
                for p in ledger["captures"][c["cap"]]["packets"] if pred(p)]
        if got != want:
            bad.append("FILTER %s: %r: tcpdump selects %s, the ledger predicate %s"
                       % (c["name"], o["filter"], got, want))
    return bad


def main():
    ledger = load_ledger()
    cases = read_testlist()
    by_name = {c["name"]: c for c in cases}
    cmd = sys.argv[1] if len(sys.argv) > 1 else "verify"
    if cmd == "expect":
        rc, data = expect(ledger, by_name[sys.argv[2]])
        if rc:
            print("exit %d" % rc)
        else:
            sys.stdout.buffer.write(data)
        return 0
    if cmd == "verify":
        bad = tcpdump_check(ledger, cases)
        for c in cases:
            try:
                have = read_expected(c)
            except OSError as e:
                bad.append("BAD %s: %s" % (c["name"], e))
                continue
            rc, want = expect(ledger, c)
            if rc:
                first, _, rest = have.partition(b"\n")
                if not first.startswith(b"exit "):
                    why = "not an error file"
                else:
                    why = check_err(c, int(first[5:]), b"", rest)
            else:
                why = None if have == want else first_diff(want, have)
            if why:
                bad.append("BAD %s: expected/%s disagrees with the ledger: %s"
                           % (c["name"], c["expect"], why))
        for line in bad:
            print(line)
        return 1 if bad else 0
    if cmd == "accept":
        c = by_name[sys.argv[2]]
        with open(sys.argv[3], "rb") as f:
            out = f.read()
        with open(sys.argv[4], "rb") as f:
            err = f.read()
        rc = int(sys.argv[5])
        want_rc, want = expect(ledger, c)
        if want_rc:
            why = check_err(c, rc, out, err)
            data = b"exit %d\n" % rc + err
        else:
            why = None
            if rc != 0 or err:
                why = "exit %d, stderr %r" % (rc, err)
            elif out != want:
                why = first_diff(want, out)
            data = out
        if why:
            print("NOT WRITTEN expected/%s: binary disagrees with the ledger: %s"
                  % (c["expect"], why))
            return 1
        path = os.path.join(HERE, "expected", c["expect"])
        old = None
        if os.path.exists(path):
            with open(path, "rb") as f:
                old = f.read()
        if old != data:
            with open(path, "wb") as f:
                f.write(data)
            print("wrote expected/%s" % c["expect"])
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
