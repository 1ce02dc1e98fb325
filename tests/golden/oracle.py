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
written, its 5-tuple, its time, and with the fixture proc/host which process
sent it, which received it, or which unknown row takes it.  From that and
proctraf.1 this file computes every report a case prints: the process rows
(per process sent/recv bytes and packets, flows), the unknown rows, groups
(--group-by), connections (--connections), the rows kept (--pid, --user,
--command, --no-unknown, --top), their order (--sort), the intervals
(--interval, in the packets' time) and the total, the times and rates, and
renders them as text, CSV, TSV or JSON lines.  Options of a case (-c, -d, a
filter, --max-flows, --no-header, ...) are applied to the ledger the way
proctraf.1 says the binary applies them.

Choices proctraf.1 leaves open, taken here as README.md documents them:
- `unknown:table-full` rows have flows 0 (the flows are not kept);
- a cmdline's final NUL is not turned into a trailing space (a cmdline
  without NULs, as setproctitle() leaves it, is shown whole);
- `\\xNN` escapes use lower-case hex digits;
- with --no-header, text columns are as wide as the rows need (the missing
  header line does not widen them);
- display widths are the C library's wcwidth() in the C.UTF-8 locale (asked
  through ctypes), as proctraf.1 says the text table uses.

A capture cut in a record (truncated.pcap, truncated-header.pcap: the first
three records of en10mb.pcap, then part of the fourth, see mkcaptures.py)
gives the report of the three records, then one error line and status 1:
its expected file holds the report, and a companion file EXPECTED.stderr
holds "exit 1" and the stderr line.
"""
import ctypes
import ipaddress
import json
import locale
import math
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

UNKNOWN_TEXT = {
    "no-socket": b"no socket matched this traffic",
    "no-process": b"socket found but no process held it",
    "no-permission": b"socket found, but no permission to see its process",
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
BAD_FILES = {"corrupt.pcap", "short.pcap", "missing.pcap"}
# Cut in a record: the report of what was read, then an error (see the top).
TRUNCATED = {"truncated.pcap": ("en10mb.pcap", 3), "truncated-header.pcap": ("en10mb.pcap", 3)}

GROUP_KEYS = ("pid", "user", "command", "netns", "cgroup", "unit", "container")
# User names as the fixture's uids print (mkcaptures.py USERS), back to uids.
UIDS = {"root": 0, "nobody": 65534}
MAX_PID = 4194304
NONE, UINT, BYTES, TEXT, TIME, SECONDS, RATE = range(7)


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


# ---- options, checked as proctraf.1 says ------------------------------------

def positive_int(s, maximum=None):
    if not re.fullmatch(r"[0-9]+", s) or int(s) < 1 or (maximum and int(s) > maximum):
        raise UsageError(s)
    return int(s)


def duration(s):
    """Seconds, computed as cmd/options.c does (the same double)."""
    m = re.fullmatch(r"([0-9]*)(?:\.([0-9]*))?([smh]?)", s)
    if not m or not (m.group(1) or m.group(2)):
        raise UsageError(s)
    v, scale = 0.0, 1.0
    for ch in m.group(1):
        v = v * 10 + int(ch)
    for ch in m.group(2) or "":
        scale /= 10
        v += int(ch) * scale
    v *= {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(3)]
    if not v > 0 or v > 1e9:
        raise UsageError(s)
    return v


def llround(x):
    return int(math.floor(x + 0.5))


SHORT = {"-i": "interface", "-d": "duration", "-c": "count", "-r": "read", "-I": "interval",
         "-t": "timestamps", "-H": "human", "-g": "group-by", "-C": "connections", "-p": "pid",
         "-u": "user", "-s": "sort", "-q": "quiet", "-h": "help", "-V": "version"}
WITH_ARG = {"interface", "duration", "count", "read", "interval", "group-by", "pid", "user",
            "command", "sort", "top", "max-flows", "proc-root", "resolve-interval"}
FLAGS = {"total", "csv", "tsv", "json", "no-header", "timestamps", "rate", "human",
         "connections", "no-unknown", "quiet", "no-realtime"}


def split_words(opts):
    """(option name, argument or None) pairs, then the filter words."""
    out, i = [], 0
    while i < len(opts):
        a = opts[i]
        if not a.startswith("-") or a == "-":
            return out, opts[i:]
        if a.startswith("--"):
            name, eq, val = a[2:].partition("=")
            if name not in WITH_ARG | FLAGS:
                raise UsageError(a)
            if name in WITH_ARG:
                if not eq:
                    if i + 1 >= len(opts):
                        raise UsageError(a)
                    i += 1
                    val = opts[i]
                out.append((name, val))
            else:
                if eq:
                    raise UsageError(a)
                out.append((name, None))
        else:
            j = 1
            while j < len(a):
                name = SHORT.get("-" + a[j])
                if name is None:
                    raise UsageError(a)
                if name in WITH_ARG:
                    val = a[j + 1:]
                    if not val:
                        if i + 1 >= len(opts):
                            raise UsageError(a)
                        i += 1
                        val = opts[i]
                    out.append((name, val))
                    break
                out.append((name, None))
                j += 1
        i += 1
    return out, []


def parse_opts(opts):
    """The options of a case, checked as proctraf.1 says; UsageError if bad."""
    o = dict(fmt="text", header=True, count=None, dur=None, max_flows=1000000, filter=None,
             interval=None, total=False, timestamps=False, rate=False, human=False, group=[],
             connections=False, pids=[], users=[], commands=[], no_unknown=False, sort=None,
             top=0)
    pairs, rest = split_words(opts)
    fmts = []
    for name, v in pairs:
        if name in ("csv", "tsv", "json"):
            if fmts and fmts[0] != name:
                raise UsageError("two formats")
            fmts.append(name)
        elif name == "no-header":
            o["header"] = False
        elif name == "count":
            o["count"] = positive_int(v)
        elif name == "duration":
            o["dur"] = duration(v)
        elif name == "interval":
            o["interval"] = duration(v)
        elif name == "max-flows":
            o["max_flows"] = positive_int(v, 1000000000)
        elif name in ("interface", "read"):
            raise UsageError("-i or a second -r with -r")
        elif name == "group-by":
            if not v or v.endswith(","):
                raise UsageError(v)
            for k in v.split(","):
                if k not in GROUP_KEYS or k in o["group"]:
                    raise UsageError(k)
                o["group"].append(k)
        elif name == "pid":
            o["pids"].append(positive_int(v, MAX_PID))
        elif name in ("user", "command"):
            if not v:
                raise UsageError(name)
            o[name + "s"].append(v)
        elif name == "top":
            o["top"] = positive_int(v)
        elif name == "sort":
            o["sort"] = v
        elif name == "resolve-interval":
            duration(v)
        elif name in ("total", "timestamps", "rate", "human", "connections", "no-unknown"):
            o[name.replace("-", "_")] = True
        elif name in ("help", "version", "proc-root"):
            raise UsageError("not in the golden cases: " + name)
    if fmts:
        o["fmt"] = fmts[0]
    if rest:
        o["filter"] = " ".join(rest)
    if o["connections"] and o["group"]:
        raise UsageError("--connections with --group-by")
    if o["total"] and o["interval"] is None:
        raise UsageError("--total without --interval")
    if o["human"] and o["fmt"] != "text":
        raise UsageError("--human with a machine format")
    if o["interval"] is not None:
        o["interval_us"] = int(o["interval"] * 1e6 + 0.5)
        if o["interval_us"] < 1000:
            raise UsageError("interval")
        if o["fmt"] != "text":
            o["timestamps"] = True
    if o["sort"] is not None and o["sort"] != "total" and o["sort"] not in \
            [c[0] for c in columns(o)]:
        raise UsageError("--sort " + o["sort"])
    if o["filter"] in BAD_FILTERS:
        raise UsageError(o["filter"])
    if o["filter"] is not None and o["filter"] not in FILTERS:
        sys.exit("oracle.py: no predicate for filter %r: add it to FILTERS" % o["filter"])
    return o


# ---- columns (name, text title, numeric, descending) -------------------------

def columns(o):
    c = []
    if o["timestamps"]:
        c += [("start", 0, 0), ("end", 0, 0), ("duration", 1, 0)]
    counters = [("sent_bytes", 1, 1), ("recv_bytes", 1, 1)]
    if o["rate"]:
        counters += [("sent_rate", 1, 1), ("recv_rate", 1, 1)]
    counters += [("sent_packets", 1, 1), ("recv_packets", 1, 1)]
    if o["connections"]:
        c += [("proto", 0, 0), ("local_addr", 0, 0), ("local_port", 1, 0), ("remote_addr", 0, 0),
              ("remote_port", 1, 0), ("pid", 1, 0), ("user", 0, 0), ("command", 0, 0)]
        c += counters + [("first", 0, 0), ("last", 0, 0), ("netns", 1, 0)]
    elif o["group"]:
        numeric = {"pid", "netns"}
        c += [(k, int(k in numeric), 0) for k in o["group"]]
        c += counters + [("flows", 1, 1), ("processes", 1, 1)]
    else:
        c += [("pid", 1, 0), ("user", 0, 0), ("command", 0, 0)] + counters + \
             [("flows", 1, 1), ("netns", 1, 0), ("cmdline", 0, 0)]
    return c


# ---- the ledger to rows -------------------------------------------------------

def selected(packets, o):
    """The packets the binary sees: filter first, then -c / -d; and whether -d cut."""
    out = []
    pred = FILTERS.get(o["filter"], lambda p: True)
    for p in packets:
        if not pred(p):
            continue
        if o["count"] is not None and len(out) >= o["count"]:
            return out, False
        if o["dur"] is not None and out and \
                p["ts_us"] >= out[0]["ts_us"] + llround(o["dur"] * 1e6):
            return out, True
        out.append(p)
    return out, False


def flow_key(p):
    return (p["proto"], frozenset([(p["src"], p["sport"]), (p["dst"], p["dport"])]))


def norm(a):
    return str(ipaddress.ip_address(a))


def packed(a):
    return ipaddress.ip_address(a).packed.ljust(16, b"\0")


def cmdline(raw):
    """PID/cmdline as a column: the final NUL dropped, the other NULs spaces."""
    if raw.endswith(b"\0"):
        raw = raw[:-1]
    return raw.replace(b"\0", b" ")


def proc_meta(fx, pid):
    meta = fx["procs"][str(pid)]
    user = meta["user"]
    uid = meta.get("uid", UIDS.get(user, int(user) if user.isdigit() else None))

    def text(k):
        v = meta.get(k)
        return v.encode() if isinstance(v, str) else None
    return dict(pid=pid, user=user.encode(), uid=uid, netns=meta.get("netns", 0),
                command=bytes.fromhex(meta["comm"]),
                cmdline=cmdline(bytes.fromhex(meta["cmdline_file"])),
                cgroup=text("cgroup"), unit=text("unit"), container=text("container"))


class Flow:
    def __init__(self, p):
        self.proto = p["proto"]
        self.family = 4 if ":" not in p["src"] else 6
        a, b = (p["src"], p["sport"]), (p["dst"], p["dport"])
        # tuple_canonical: the lower endpoint first (address bytes, then port)
        self.ends = sorted([a, b], key=lambda e: (packed(e[0]), e[1]))
        self.bytes = [0, 0]
        self.packets = [0, 0]
        self.owner = {}         # end -> pid
        self.end_reason = {}    # end -> reason (an end of ours, the other owned)
        self.reason = None      # no owner at either end
        self.first = self.last = None

    def end_index(self, addr, port):
        return self.ends.index((addr, port))


def count(r, d, n):
    r[d + "_bytes"] += n
    r[d + "_packets"] += 1


def admitted(packets, o):
    """The flows the flow table takes (the first --max-flows of the run)."""
    table = set()
    for p in packets:
        if p["kind"] == "ip" and (flow_key(p) in table or len(table) < o["max_flows"]):
            table.add(flow_key(p))
    return table


def attribute(ledger, case, o, packets, table, history):
    """Rows (dicts, by key) and flows of packets, as proctraf counts them.
    table: the flows the flow table holds; history: the run's packets up to
    the end of these (a flow's first and last packet times come from them)."""
    fx = ledger["fixtures"][case["fixture"]]
    local = {norm(a) for a in fx["local"]}
    rows, flows = {}, {}
    overflow = dict(sent_bytes=0, recv_bytes=0, sent_packets=0, recv_packets=0)

    def row(key):
        if key not in rows:
            if isinstance(key, int):
                rows[key] = proc_meta(fx, key)
                rows[key]["reason"] = None
            else:
                rows[key] = dict(pid=None, user=None, netns=0, reason=key,
                                 command=b"unknown:" + key.encode(), cmdline=UNKNOWN_TEXT[key])
            rows[key].update(sent_bytes=0, recv_bytes=0, sent_packets=0, recv_packets=0,
                             flowset=set())
        return rows[key]

    for p in packets:
        if p["kind"] != "ip":
            continue
        key = flow_key(p)
        if key not in table:
            # proctraf.1: direction from the link layer, not the addresses
            d = "sent" if p.get("out") else "recv"
            count(row("table-full"), d, p["iplen"])
            count(overflow, d, p["iplen"])
            continue
        f = flows.setdefault(key, Flow(p))
        s_end = f.end_index(p["src"], p["sport"])
        f.bytes[s_end] += p["iplen"]
        f.packets[s_end] += 1
        if case["fixture"] == "host":
            who = p["host"]
        else:                                   # nothing is local, no socket exists
            assert not local
            who = dict(sender=None, receiver=None, unknown="not-local")
        if who["unknown"]:
            r = row(who["unknown"])
            count(r, "sent" if norm(p["src"]) in local else "recv", p["iplen"])
            r["flowset"].add(key)
            f.reason = who["unknown"]
        for pid, d, end in ((who["sender"], "sent", (p["src"], p["sport"])),
                            (who["receiver"], "recv", (p["dst"], p["dport"]))):
            if pid is not None:
                r = row(pid)
                count(r, d, p["iplen"])
                r["flowset"].add(key)
                f.owner[end] = pid
        # proctraf.1: an end of ours without owner, the other end owned,
        # is counted in an unknown row too (its own direction).
        for pid, mine, other, d, end in (
                (who["sender"], p["src"], who["receiver"], "sent", (p["src"], p["sport"])),
                (who["receiver"], p["dst"], who["sender"], "recv", (p["dst"], p["dport"]))):
            if pid is None and other is not None and norm(mine) in local:
                why = who.get("other") or "no-socket"
                r = row(why)
                count(r, d, p["iplen"])
                r["flowset"].add(key)
                f.end_reason[end] = why
    for p in history:
        f = flows.get(flow_key(p)) if p["kind"] == "ip" else None
        if f:
            f.first = p["ts_us"] if f.first is None else min(f.first, p["ts_us"])
            f.last = p["ts_us"] if f.last is None else max(f.last, p["ts_us"])
    out = []
    for key, r in rows.items():
        r["flows"] = len(r.pop("flowset"))
        out.append(r)
    return out, list(flows.values()), overflow, local


def conn_rows(flows, overflow, local, fx_procs):
    """--connections: one row per local end of a flow (see core/conn.h)."""
    out = []
    for f in flows:
        def base(e):
            me, other = f.ends[e], f.ends[1 - e]
            return dict(proto=f.proto, laddr=me[0], lport=me[1], raddr=other[0], rport=other[1],
                        first=f.first, last=f.last, owner=None, reason=None, tuple=True)
        if f.reason is not None and not f.owner:
            islocal = [norm(f.ends[e][0]) in local for e in (0, 1)]
            e = 0 if islocal[0] or not islocal[1] else 1
            r = base(e)
            r["reason"] = f.reason
            r["sent_bytes"] = sum(f.bytes[d] for d in (0, 1) if islocal[d])
            r["sent_packets"] = sum(f.packets[d] for d in (0, 1) if islocal[d])
            r["recv_bytes"] = sum(f.bytes[d] for d in (0, 1) if not islocal[d])
            r["recv_packets"] = sum(f.packets[d] for d in (0, 1) if not islocal[d])
            out.append(r)
            continue
        for e in (0, 1):
            end = f.ends[e]
            if end not in f.owner and end not in f.end_reason:
                continue
            r = base(e)
            if end in f.owner:
                r["owner"] = fx_procs(f.owner[end])
            else:
                r["reason"] = f.end_reason[end]
            r.update(sent_bytes=f.bytes[e], sent_packets=f.packets[e],
                     recv_bytes=f.bytes[1 - e], recv_packets=f.packets[1 - e])
            out.append(r)
    if overflow["sent_packets"] or overflow["recv_packets"]:
        r = dict(overflow, tuple=False, owner=None, reason="table-full", first=None, last=None)
        out.append(r)
    return out


# ---- rows kept, groups, cells -------------------------------------------------

def keep(o, proc, command):
    """report_keep (core/report.h)."""
    from fnmatch import fnmatchcase

    def match(pats, s):
        # fnmatch(3) without flags: Python's fnmatchcase on the same text
        return any(fnmatchcase(s.decode("latin-1"), p) for p in pats)
    if proc is None:
        if o["no_unknown"]:
            return False
        names_unknown = any(c.startswith("unknown") for c in o["commands"])
        return not names_unknown or match(o["commands"], command)
    if o["pids"] and proc["pid"] not in o["pids"]:
        return False
    if o["users"]:
        ok = False
        for u in o["users"]:
            if re.fullmatch(r"[0-9]+", u):
                ok = ok or proc["uid"] == int(u)
            else:
                ok = ok or match([u], proc["user"])
        if not ok:
            return False
    return not o["commands"] or match(o["commands"], command)


def cells_times(o, span, row):
    if o["timestamps"] and span[0] is not None:
        row["start"] = (TIME, span[0])
        row["end"] = (TIME, span[1])
        row["duration"] = (SECONDS, span[1] - span[0])


def cells_counters(o, span, row, r):
    for k in ("sent_bytes", "recv_bytes"):
        row[k] = (BYTES, r[k])
    for k in ("sent_packets", "recv_packets"):
        row[k] = (UINT, r[k])
    if o["rate"] and span[0] is not None and span[1] > span[0]:
        secs = (span[1] - span[0]) / 1e6
        row["sent_rate"] = (RATE, r["sent_bytes"] / secs)
        row["recv_rate"] = (RATE, r["recv_bytes"] / secs)


def make_table(o, span, rows, conns):
    """[(cells dict, unknown?)], in the order the table is built (before sorting)."""
    out = []
    if o["connections"]:
        names = {4: None}
        for c in conns:
            proc = c["owner"]
            command = proc["command"] if proc else b"unknown:" + c["reason"].encode()
            if not keep(o, proc, command):
                continue
            row = {}
            cells_times(o, span, row)
            cells_counters(o, span, row, c)
            if c["tuple"]:
                row["proto"] = (TEXT, PROTO_NAMES.get(c["proto"], str(c["proto"])).encode())
                row["local_addr"] = (TEXT, norm(c["laddr"]).encode())
                row["remote_addr"] = (TEXT, norm(c["raddr"]).encode())
                if c["proto"] in PORT_PROTOS:
                    row["local_port"] = (UINT, c["lport"])
                    row["remote_port"] = (UINT, c["rport"])
            if proc:
                row["pid"] = (UINT, proc["pid"])
                row["user"] = (TEXT, proc["user"])
                if proc["netns"]:
                    row["netns"] = (UINT, proc["netns"])
            row["command"] = (TEXT, command)
            if c["first"] is not None:
                row["first"] = (TIME, c["first"])
                row["last"] = (TIME, c["last"])
            out.append((row, proc is None))
        del names
        return out
    kept = [r for r in rows if keep(o, r if r["reason"] is None else None, r["command"])]
    if not o["group"]:
        for r in sorted(kept, key=agg_order):
            row = {}
            cells_times(o, span, row)
            cells_counters(o, span, row, r)
            unknown = r["reason"] is not None
            if not unknown:
                row["pid"] = (UINT, r["pid"])
                row["user"] = (TEXT, r["user"])
                if r["netns"]:
                    row["netns"] = (UINT, r["netns"])
            row["command"] = (TEXT, r["command"])
            row["flows"] = (UINT, r["flows"])
            row["cmdline"] = (TEXT, r["cmdline"])
            out.append((row, unknown))
        return out
    groups = {}
    for r in sorted(kept, key=agg_order):
        if r["reason"] is not None:
            row = {}
            cells_times(o, span, row)
            cells_counters(o, span, row, r)
            for k in o["group"]:
                row[k] = (TEXT, r["command"])
            row["flows"] = (UINT, r["flows"])
            out.append((row, True))
            continue
        key = tuple(group_value(r, k) for k in o["group"])
        groups.setdefault(key, []).append(r)
    for key in sorted(groups, key=group_sort_key):
        members = groups[key]
        sums = {k: sum(m[k] for m in members) for k in
                ("sent_bytes", "recv_bytes", "sent_packets", "recv_packets", "flows")}
        row = {}
        cells_times(o, span, row)
        cells_counters(o, span, row, sums)
        for k, v in zip(o["group"], key):
            if v is not None:
                row[k] = (UINT, members[0][k]) if k in ("pid", "netns") else (TEXT, v)
        row["flows"] = (UINT, sums["flows"])
        row["processes"] = (UINT, len(members))
        out.append((row, False))
    return out


def group_value(r, k):
    if k == "pid":
        return b"%d" % r["pid"]
    if k == "netns":
        return b"%d" % r["netns"] if r["netns"] else None
    return r[k]


def group_sort_key(key):
    """group.c's member key: each value as LEN:BYTES, or "-" when none."""
    return b"".join(b"-" if v is None else b"%d:%s" % (len(v), v) for v in key)


def agg_order(r):
    """aggregate_rows' order (the table's insertion order; only ties left see it)."""
    return (-(r["sent_bytes"] + r["recv_bytes"]), r["reason"] is not None, r["pid"] or 0,
            r["command"])


PROTO_NAMES = {1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 33: "dccp", 47: "gre", 50: "esp",
               51: "ah", 58: "icmp6", 132: "sctp", 136: "udplite"}
PORT_PROTOS = {6, 17, 136, 132, 33, 1, 58}


def cmp_key_cell(cell):
    kind, v = cell if cell else (NONE, None)
    if kind == NONE:
        return (0, 0)
    if kind == TEXT:
        return (2, v)
    return (1, v)


def sort_rows(o, cols, rows):
    """table_sort (core/table.c)."""
    names = [c[0] for c in cols]
    desc = {c[0]: c[2] for c in cols}

    def total(row):
        return sum(row[k][1] for k in ("sent_bytes", "recv_bytes") if k in row)

    def key(item):
        i, (row, unknown) = item
        parts = []
        if o["sort"] and o["sort"] != "total":
            rank, v = cmp_key_cell(row.get(o["sort"]))
            if desc[o["sort"]]:
                parts.append((-rank, Neg(v)))
            else:
                parts.append((rank, v))
        parts.append(-total(row))
        parts.append(unknown)
        parts += [cmp_key_cell(row.get(n)) for n in names]
        parts.append(i)
        return parts
    return [r for _, r in sorted(enumerate(rows), key=key)]


class Neg:
    """Reverses the order of a value (numbers or bytes) in a sort key."""
    def __init__(self, v):
        self.v = v

    def __lt__(self, other):
        return other.v < self.v

    def __eq__(self, other):
        return self.v == other.v


# ---- rendering ----------------------------------------------------------------

try:
    locale.setlocale(locale.LC_CTYPE, "C.UTF-8")
    _LIBC = ctypes.CDLL(None)
    _LIBC.wcwidth.restype = ctypes.c_int
except (locale.Error, OSError):
    _LIBC = None


def wcwidth(cp):
    if cp < 0x20 or cp == 0x7F or 0x80 <= cp < 0xA0:
        return -1
    if cp < 0x80:
        return 1
    if 0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069 or 0x200B <= cp <= 0x200F or \
            cp in (0x061C, 0x2060, 0xFEFF):
        return -1
    if _LIBC is None:
        sys.exit("oracle.py: no C library wcwidth in C.UTF-8")
    return _LIBC.wcwidth(ctypes.c_wchar(chr(cp)))


def utf8_at(b, i):
    """(code point, length) of the valid UTF-8 sequence at b[i], or None."""
    c = b[i]
    if c < 0x80:
        return c, 1
    n = 2 if 0xC2 <= c <= 0xDF else 3 if 0xE0 <= c <= 0xEF else 4 if 0xF0 <= c <= 0xF4 else 0
    if not n or i + n > len(b):
        return None
    try:
        ch = b[i:i + n].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return (ord(ch), n) if len(ch) == 1 else None


def escape(b, tsv=False):
    """(escaped text, display width) as core/output.c escapes text and TSV."""
    out, w, i = [], 0, 0
    while i < len(b):
        c = b[i]
        rep = {0x5C: "\\\\"}.get(c)
        if tsv and rep is None:
            rep = {9: "\\t", 10: "\\n", 13: "\\r"}.get(c)
        if rep:
            out.append(rep)
            w += 2
            i += 1
            continue
        got = utf8_at(b, i)
        cw = wcwidth(got[0]) if got else -1
        if cw < 0:
            n = got[1] if got else 1
            out.append("".join("\\x%02x" % x for x in b[i:i + n]))
            w += 4 * n
            i += n
            continue
        out.append(chr(got[0]))
        w += cw
        i += got[1]
    return "".join(out), w


def iso(us):
    sec, frac = divmod(us, 1000000)
    import datetime
    t = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % frac


def seconds(us):
    us = max(us, 0)
    return "%d.%06d" % divmod(us, 1000000)


def human(v):
    units, u = "KMGTPE", -1
    while v >= 1023.5 and u < 5:
        v /= 1024
        u += 1
    if u < 0:
        return "%.0f" % v
    return ("%.1f%s" if v < 9.95 else "%.0f%s") % (v, units[u])


def cell_text(cell, o, text):
    """A cell as text (not escaped); None for no value."""
    kind, v = cell if cell else (NONE, None)
    if kind == NONE:
        return None
    if kind == TEXT:
        return v
    if kind == UINT:
        return b"%d" % v
    if kind == BYTES:
        return human(v).encode() if o["human"] and text else b"%d" % v
    if kind == TIME:
        return iso(v).encode()
    if kind == SECONDS:
        return seconds(v).encode()
    if kind == RATE:
        if o["human"] and text:
            return human(v).encode()
        return (("%.0f" if text else "%.3f") % v).encode()
    raise AssertionError(kind)


def json_string(b):
    out, i = ['"'], 0
    while i < len(b):
        got = utf8_at(b, i)
        if got is None:
            out.append("\\u%04x" % (0xDC00 + b[i]))
            i += 1
            continue
        cp, n = got
        esc = {0x22: '\\"', 0x5C: "\\\\", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t"}
        if cp in esc:
            out.append(esc[cp])
        elif cp < 0x20 or cp == 0x7F or 0x80 <= cp < 0xA0 or cp in (0x2028, 0x2029):
            out.append("\\u%04x" % cp)
        else:
            out.append(chr(cp))
        i += n
    out.append('"')
    return "".join(out).encode()


def footer(block):
    kind, idx, span, foot = block["kind"], block["index"], block["span"], block["foot"]
    pre = {"interval": "interval %d: " % idx, "total": "total: ", "once": ""}[kind]
    if span[0] is None:
        line = pre + "from - to - (0.000000 s)\n"
    else:
        line = pre + "from %s to %s (%s s)\n" % (iso(span[0]), iso(span[1]),
                                                 seconds(span[1] - span[0]))
    line += "captured %(P)d packets, %(B)d IP bytes; %(N)d not IP, %(M)d malformed\n" % foot
    return line.encode()


def render(o, block, first):
    cols = columns(o)
    rows = sort_rows(o, cols, block["rows"])
    if o["top"]:
        rows = rows[:o["top"]]
    names = [c[0] for c in cols]
    if o["fmt"] == "text":
        lines = []
        if o["header"]:
            lines.append([(n.upper(), len(n)) for n in names])
        for row, _ in rows:
            line = []
            for n in names:
                t = cell_text(row.get(n), o, True)
                line.append(escape(b"-" if t is None else t))
            lines.append(line)
        width = [max([ln[i][1] for ln in lines] or [0]) for i in range(len(names))]
        text = "\n" if o["header"] and not first else ""
        for ln in lines:
            cells = []
            for i, (s, w) in enumerate(ln):
                if i == len(names) - 1 and w == 0:
                    break       # an empty last column: no trailing spaces
                if cols[i][1]:  # numbers right-aligned, the last column too
                    cells.append(" " * (width[i] - w) + s)
                elif i == len(names) - 1:
                    cells.append(s)
                elif cols[i][1]:
                    cells.append(" " * (width[i] - w) + s)
                else:
                    cells.append(s + " " * (width[i] - w))
            text += "  ".join(cells) + "\n"
        out = text.encode()
        if o["header"]:
            out += b"\n" + footer(block)
        return out
    out = []
    if o["fmt"] in ("csv", "tsv"):
        sep = b"," if o["fmt"] == "csv" else b"\t"
        if o["header"] and first:
            out.append(sep.join(n.encode() for n in names))
        for row, _ in rows:
            fields = []
            for c in cols:
                cell = row.get(c[0])
                t = cell_text(cell, o, False)
                if o["fmt"] == "tsv":
                    fields.append(b"" if t is None else escape(t, tsv=True)[0].encode())
                elif t is None:
                    fields.append(b"" if c[1] else b'""')
                elif cell[0] in (TEXT, TIME):
                    fields.append(b'"' + t.replace(b'"', b'""') + b'"')
                else:
                    fields.append(t)
            out.append(sep.join(fields))
        return b"".join(x + b"\n" for x in out)
    for row, _ in rows:
        parts = []
        for n in names:
            cell = row.get(n)
            kind = cell[0] if cell else NONE
            t = cell_text(cell, o, False)
            v = b"null" if t is None else json_string(t) if kind in (TEXT, TIME) else t
            parts.append(json_string(n.encode()) + b":" + v)
        out.append(b"{" + b",".join(parts) + b"}")
    span, foot = block["span"], block["foot"]
    known = span[0] is not None
    summary = [b'"type":"summary"', b'"report":"%s"' % block["kind"].encode(),
               b'"interval":' + (b"%d" % block["index"] if block["kind"] == "interval"
                                 else b"null"),
               b'"interval_seconds":' + (seconds(o["interval_us"]).encode()
                                         if o["interval"] is not None else b"null"),
               b'"start":' + (json_string(iso(span[0]).encode()) if known else b"null"),
               b'"end":' + (json_string(iso(span[1]).encode()) if known else b"null"),
               b'"duration":' + seconds(span[1] - span[0] if known else 0).encode(),
               b'"rows":%d' % len(rows),
               b'"packets":%d' % foot["P"], b'"ip_bytes":%d' % foot["B"],
               b'"not_ip":%d' % foot["N"], b'"malformed":%d' % foot["M"],
               b'"duplicates":0', b'"kernel_drops":null', b'"if_drops":null']
    out.append(b"{" + b",".join(summary) + b"}")
    return b"".join(x + b"\n" for x in out)


# ---- reports ------------------------------------------------------------------

def block_of(ledger, case, o, kind, index, span, packets, table, history):
    rows, flows, overflow, local = attribute(ledger, case, o, packets, table, history)
    fx = ledger["fixtures"][case["fixture"]]
    conns = conn_rows(flows, overflow, local, lambda pid: proc_meta(fx, pid)) \
        if o["connections"] else []
    foot = dict(P=len(packets), B=sum(p["iplen"] for p in packets if p["kind"] == "ip"),
                N=sum(p["kind"] == "not-ip" for p in packets),
                M=sum(p["kind"] == "malformed" for p in packets))
    return dict(kind=kind, index=index, span=span, foot=foot,
                rows=make_table(o, span, rows, conns))


def reports(ledger, case, o):
    """The blocks a case prints, in order."""
    cap = case["cap"]
    if cap in TRUNCATED:
        src, n = TRUNCATED[cap]
        all_packets = ledger["captures"][src]["packets"][:n]
    else:
        all_packets = ledger["captures"][cap]["packets"]
    packets, cut = selected(all_packets, o)
    if not packets:
        span = (None, None)
    else:
        start = packets[0]["ts_us"]
        end = start + llround(o["dur"] * 1e6) if cut else max(p["ts_us"] for p in packets)
        span = (start, end)
    table = admitted(packets, o)
    if o["interval"] is None:
        return [block_of(ledger, case, o, "once", 0, span, packets, table, packets)]
    # Intervals in the packets' time: a packet at or after an interval's
    # end closes it (and any empty ones after it); the last one ends with the run.
    blocks, cur, index = [], [], 0
    step = o["interval_us"]
    for n, p in enumerate(packets):
        while p["ts_us"] >= span[0] + (index + 1) * step:
            s, e = span[0] + index * step, span[0] + (index + 1) * step
            index += 1
            blocks.append(block_of(ledger, case, o, "interval", index, (s, e), cur, table,
                                   packets[:n]))
            cur = []
        cur.append(p)
    start = span[0] + index * step if span[0] is not None else None
    blocks.append(block_of(ledger, case, o, "interval", index + 1, (start, span[1]), cur, table,
                           packets))
    if o["total"]:
        blocks.append(block_of(ledger, case, o, "total", 0, span, packets, table, packets))
    return blocks


def expected_warnings(case):
    """The warnings proctraf.1 says a case prints on stderr (exit 0)."""
    if case["fixture"] == "empty":      # no net/: no socket can be found there
        return (b"proctraf: warning: proc/empty has no net/ directory (not a proc root?): "
                b"no socket will be found\n")
    return b""


def expected_exit(case):
    """0, or the exit status proctraf.1 gives an error case."""
    try:
        o = parse_opts(case["opts"])
    except UsageError:
        return 2, None
    if case["cap"] in BAD_FILES or case["cap"] in TRUNCATED:
        return 1, o
    return 0, o


def expect(ledger, case):
    """(exit status, stdout or None for an error case without a report)."""
    rc, o = expected_exit(case)
    if rc and (o is None or case["cap"] not in TRUNCATED):
        return rc, None
    out = b""
    for i, block in enumerate(reports(ledger, case, o)):
        out += render(o, block, i == 0)
    return rc, out


def check_err(case, rc, out, err, stdout_ok=False):
    """Why an error case's (rc, stdout, stderr) is wrong, or None."""
    want, _ = expected_exit(case)
    lines = err.split(b"\n")
    if rc != want:
        return "exit %d, proctraf.1 says %d" % (rc, want)
    if out and not stdout_ok:
        return "stdout not empty: %r" % out[:200]
    if len(lines) != 2 or lines[1] != b"" or not lines[0].startswith(b"proctraf: "):
        return "stderr is not one line starting 'proctraf: ': %r" % err
    if want == 1 and ("captures/" + case["cap"]).encode() not in lines[0]:
        return "stderr does not name the file: %r" % err
    return None


def read_expected(case, suffix=""):
    with open(os.path.join(HERE, "expected", case["expect"] + suffix), "rb") as f:
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


def verify_case(ledger, c):
    """Why case c's expected files disagree with the ledger, or None."""
    have = read_expected(c)
    rc, want = expect(ledger, c)
    if want is None:
        first, _, rest = have.partition(b"\n")
        if not first.startswith(b"exit "):
            return "not an error file"
        return check_err(c, int(first[5:]), b"", rest)
    if have != want:
        return first_diff(want, have)
    warn = expected_warnings(c)
    if not rc and warn:
        err = read_expected(c, ".stderr")
        return None if err == b"exit 0\n" + warn else "%s.stderr: %r, not the warning %r" % (
            c["expect"], err, warn)
    if rc:
        err = read_expected(c, ".stderr")
        first, _, rest = err.partition(b"\n")
        if not first.startswith(b"exit "):
            return "%s.stderr is not an error file" % c["expect"]
        return check_err(c, int(first[5:]), want, rest, stdout_ok=True)
    return None


def main():
    ledger = load_ledger()
    cases = read_testlist()
    by_name = {c["name"]: c for c in cases}
    cmd = sys.argv[1] if len(sys.argv) > 1 else "verify"
    if cmd == "expect":
        rc, data = expect(ledger, by_name[sys.argv[2]])
        if data is None:
            print("exit %d" % rc)
        else:
            sys.stdout.buffer.write(data)
        return 0
    if cmd == "verify":
        bad = tcpdump_check(ledger, cases)
        for c in cases:
            try:
                why = verify_case(ledger, c)
            except OSError as e:
                why = str(e)
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
        files = {}
        if want is None:
            why = check_err(c, rc, out, err)
            files[""] = b"exit %d\n" % rc + err
        else:
            why = None
            warn = expected_warnings(c)
            if rc != want_rc:
                why = "exit %d, stderr %r" % (rc, err)
            elif not want_rc and err != warn:
                why = "stderr %r, not %r" % (err, warn)
            elif out != want:
                why = first_diff(want, out)
            elif want_rc:
                why = check_err(c, rc, out, err, stdout_ok=True)
            if want_rc or warn:
                files[".stderr"] = b"exit %d\n" % rc + err
            files[""] = out
        if why:
            print("NOT WRITTEN expected/%s: binary disagrees with the ledger: %s"
                  % (c["expect"], why))
            return 1
        for suffix, data in files.items():
            path = os.path.join(HERE, "expected", c["expect"] + suffix)
            old = None
            if os.path.exists(path):
                with open(path, "rb") as f:
                    old = f.read()
            if old != data:
                with open(path, "wb") as f:
                    f.write(data)
                print("wrote expected/%s" % (c["expect"] + suffix))
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
