#!/usr/bin/env python3
"""What tshark reads in a -w file, checked against proctraf's report.

    check.py fields           print the tshark command's -e arguments
    check.py sums REPORT.json FIELDS.tsv
        REPORT.json: proctraf --json of the file; FIELDS.tsv: tshark -T
        fields with the fields above. Each comment clause ("pid=N comm=C
        dir=out", "unknown=R dir=in") adds the packet's IP length to a row:
        the bytes and packets per pid and unknown row must be the report's,
        and as many packets must carry one as the report counted in rows
        (its packets but those not IP, malformed or copies).
    check.py comm FIELDS.tsv PID HEX
        the comm of pid's clauses, unescaped, must be the bytes HEX
    check.py listing FIELDS.tsv [N]
        the first N annotated packets as a table (for a closing note)

Comments must be valid UTF-8 and follow the grammar of pcapng.h; a copy
(counted on another interface) carries a comment of its own and counts
nowhere. Prints what differs; exit status 1 if anything does.
"""
import json
import re
import sys

FIELDS = ["frame.number", "frame.comment", "ip.len", "ipv6.plen", "frame.len"]
COPY = "copy: counted on another interface"
# "via=packet": the process wrote the packet through a packet socket (injected).
CLAUSE = re.compile(r"^(pid=(\d+) comm=(\S*)|unknown=(no-socket|no-process|no-permission|"
                    r"not-local|table-full|packet-sockets)) dir=(out|in)( via=packet)?$")


def unescape(s):
    """The comment's escaping undone: \\\\ and \\xNN back to bytes."""
    out = bytearray()
    i = 0
    raw = s.encode("utf-8")
    while i < len(raw):
        if raw[i:i + 2] == b"\\\\":
            out += b"\\"
            i += 2
        elif raw[i:i + 2] == b"\\x":
            out.append(int(raw[i + 2:i + 4], 16))
            i += 4
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def frames(path):
    """(number, comment, ip_len or None) per frame; tshark writes UTF-8."""
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            if not line:
                continue
            cols = line.split(b"\t")
            cols += [b""] * (len(FIELDS) - len(cols))
            num, comment, ip4, ip6, _ = cols[:5]
            comment = comment.decode("utf-8")   # strict: invalid UTF-8 fails here
            ip_len = None
            if ip4:
                ip_len = int(ip4.split(b",")[0])
            elif ip6:
                ip_len = int(ip6.split(b",")[0]) + 40
            yield int(num), comment, ip_len


def clauses(comment):
    """The rows a comment names: [(key, out, comm)]; ValueError if not ours."""
    rows = []
    for c in comment.split("; "):
        m = CLAUSE.match(c)
        if not m:
            raise ValueError("not a clause: %r" % c)
        key = ("pid", int(m.group(2))) if m.group(2) else ("unknown", m.group(4))
        rows.append((key, m.group(5) == "out", m.group(3)))
    return rows


def sums(report, fields):
    bad = []
    got = {}
    commented = 0
    for num, comment, ip_len in frames(fields):
        if not comment or comment == COPY:
            continue
        commented += 1
        if ip_len is None:
            bad.append("frame %d: a comment on a packet tshark sees no IP in" % num)
            continue
        try:
            rows = clauses(comment)
        except ValueError as e:
            bad.append("frame %d: %s" % (num, e))
            continue
        for key, out, _ in rows:
            r = got.setdefault(key, [0, 0, 0, 0])
            r[0 if out else 1] += ip_len
            r[2 if out else 3] += 1
    want = {}
    summary = None
    with open(report, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("type") == "summary":
                summary = row
                continue
            if row["pid"] is not None:
                key = ("pid", row["pid"])
            else:
                key = ("unknown", row["command"].split(":", 1)[1])
            r = want.setdefault(key, [0, 0, 0, 0])
            for i, col in enumerate(["sent_bytes", "recv_bytes", "sent_packets",
                                     "recv_packets"]):
                r[i] += row[col]
    if summary is None:
        bad.append("the report has no summary")
    else:
        counted = (summary["packets"] - summary["not_ip"] - summary["malformed"]
                   - summary["duplicates"])
        if commented != counted:
            bad.append("%d packets carry owners, the report counted %d in rows"
                       % (commented, counted))
    for key in sorted(set(got) | set(want), key=str):
        if got.get(key) != want.get(key):
            bad.append("%s=%s: comments give %s, the report %s"
                       % (key[0], key[1], got.get(key), want.get(key)))
    for b in bad:
        print(b)
    return 1 if bad else 0


def comm(fields, pid, hexbytes):
    want = bytes.fromhex(hexbytes)
    seen = 0
    for num, comment, _ in frames(fields):
        if not comment or comment == COPY:
            continue
        for key, _, c in clauses(comment):
            if key == ("pid", pid):
                seen += 1
                if unescape(c) != want:
                    print("frame %d: comm %r is %r unescaped, not %r" % (num, c, unescape(c), want))
                    return 1
    if not seen:
        print("no comment names pid %d" % pid)
        return 1
    return 0


def listing(fields, n):
    shown = 0
    print("%6s  %6s  %s" % ("frame", "IP len", "frame.comment"))
    for num, comment, ip_len in frames(fields):
        if comment and shown < n:
            print("%6d  %6s  %s" % (num, ip_len if ip_len is not None else "-", comment))
            shown += 1
    return 0


def main(argv):
    if argv[1:2] == ["fields"]:
        print(" ".join("-e " + f for f in FIELDS))
        return 0
    if argv[1:2] == ["sums"] and len(argv) == 4:
        return sums(argv[2], argv[3])
    if argv[1:2] == ["comm"] and len(argv) == 5:
        return comm(argv[2], int(argv[3]), argv[4])
    if argv[1:2] == ["listing"] and len(argv) in (3, 4):
        return listing(argv[2], int(argv[3]) if len(argv) == 4 else 20)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
