"""The golden oracle's reports: the ledger's packets to process and
unknown rows, flows and connection rows, the rows kept (--pid, --user,
--command, --no-unknown), groups, and the table cells of each block of a
case (one report, or its intervals and total).  See oracle.py for what the
oracle is and the choices it takes.
"""
import ipaddress
import re

from oracle_opts import BYTES, FILTERS, RATE, SECONDS, TEXT, TIME, UINT, llround

UNKNOWN_TEXT = {
    "no-socket": b"no socket matched this traffic",
    "no-process": b"socket found but no process held it",
    "no-permission": b"socket found, but no permission to see its process",
    "not-local": b"neither end is an address of this host",
    "table-full": b"flows beyond --max-flows",
}

# Cut in a record: the report of what was read, then an error (see oracle.py's docstring).
TRUNCATED = {"truncated.pcap": ("en10mb.pcap", 3), "truncated-header.pcap": ("en10mb.pcap", 3)}

# User names as the fixture's uids print (mkcaptures.py USERS), back to uids.
UIDS = {"root": 0, "nobody": 65534}


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
                # a capture file has no packet socket: owners by their IP sockets
                row["via"] = (TEXT, b"socket")
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
    # Ends that no packet came to close (-d beyond the last packet): every
    # interval is reported, empty ones too, as a live run would.
    while span[1] is not None and span[0] + (index + 1) * step < span[1]:
        s, e = span[0] + index * step, span[0] + (index + 1) * step
        index += 1
        blocks.append(block_of(ledger, case, o, "interval", index, (s, e), cur, table, packets))
        cur = []
    start = span[0] + index * step if span[0] is not None else None
    blocks.append(block_of(ledger, case, o, "interval", index + 1, (start, span[1]), cur, table,
                           packets))
    if o["total"]:
        blocks.append(block_of(ledger, case, o, "total", 0, span, packets, table, packets))
    return blocks
