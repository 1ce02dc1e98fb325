"""The golden oracle's options: a case's words checked and parsed as
proctraf.1 says (parse_opts), and the columns of the table they ask for.
See oracle.py for what the oracle is and the choices it takes.
"""
import math
import re
import sys

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

GROUP_KEYS = ("pid", "user", "command", "netns", "cgroup", "unit", "container")
MAX_PID = 4194304
# The kinds of cells (core/table.h's enum cell_kind).
NONE, UINT, BYTES, TEXT, TIME, SECONDS, RATE = range(7)


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
            "command", "sort", "top", "max-flows", "proc-root", "resolve-interval", "owners"}
FLAGS = {"total", "csv", "tsv", "json", "no-header", "timestamps", "rate", "human",
         "connections", "no-unknown", "quiet", "no-realtime", "realtime"}


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
        elif name == "owners":
            # The kernel's owner source is for a live capture: never with -r.
            if v not in ("auto", "kernel", "proc") or v == "kernel":
                raise UsageError("--owners " + v)
        elif name in ("realtime", "no-realtime"):
            if ("no-realtime" if name == "realtime" else "realtime") in [p for p, _ in pairs]:
                raise UsageError("--realtime with --no-realtime")
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
              ("remote_port", 1, 0), ("pid", 1, 0), ("user", 0, 0), ("command", 0, 0),
              ("via", 0, 0)]
        c += counters + [("first", 0, 0), ("last", 0, 0), ("netns", 1, 0)]
    elif o["group"]:
        numeric = {"pid", "netns"}
        c += [(k, int(k in numeric), 0) for k in o["group"]]
        c += counters + [("flows", 1, 1), ("processes", 1, 1)]
    else:
        c += [("pid", 1, 0), ("user", 0, 0), ("command", 0, 0)] + counters + \
             [("flows", 1, 1), ("netns", 1, 0), ("cmdline", 0, 0)]
    return c
