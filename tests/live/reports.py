"""proctraf's reports read back, in every format, for the live cases (live.py).

Each parser returns (blocks, None), or (None, why) when the text is not what
the format promises. A block is one report: its rows and what ends it (the
JSON summary object; the text footer's span and counts). Rows are dicts keyed
by column name (the CSV header, the JSON keys, the text header in lower case)
with normalised values, so that one report in two formats compares equal:
None for no value ('' in CSV and TSV, '-' in text, null in JSON), int for the
integer columns, Decimal for durations and rates (exact, as printed), str for
the rest (times stay ISO 8601 text; iso_us() turns them into microseconds).
"""
import calendar
import csv
import decimal
import io
import json
import re
import shutil
import subprocess

Decimal = decimal.Decimal
INT_COLS = {"pid", "sent_bytes", "recv_bytes", "sent_packets", "recv_packets", "flows", "netns",
            "processes", "local_port", "remote_port"}
DEC_COLS = {"duration", "sent_rate", "recv_rate"}
BYTES_COLS = {"sent_bytes", "recv_bytes", "sent_rate", "recv_rate"}    # scaled by -H
ISO = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z$")
TEXT_SPAN = re.compile(r"^(?:interval (\d+): |(total): )?from (\S+) to (\S+) \((\d+\.\d{6}) s\)$")
TEXT_FOOTER = re.compile(r"^captured (\d+) packets, (\d+) IP bytes; (\d+) not IP, (\d+) malformed"
                         r"(?:, (\d+) copies of packets seen on another interface)?"
                         r"; dropped: (\d+) by kernel, (\d+) by interface"
                         r"(?:; owners from (?:the kernel|/proc))?$")
TEXT_INJECTED = re.compile(r"^injected through packet sockets: (\d+) IP bytes in (\d+) packets, "
                           r"counted in the rows of the processes holding them$")


def iso_us(s):
    """'2026-01-02T03:04:05.678901Z' -> microseconds since the epoch; None if not such a time."""
    m = ISO.match(s or "")
    if not m:
        return None
    f = [int(x) for x in m.groups()]
    return calendar.timegm((f[0], f[1], f[2], f[3], f[4], f[5], 0, 0, 0)) * 1000000 + f[6]


def seconds_us(d):
    """A duration as printed (Decimal seconds, 6 places) -> microseconds."""
    return int(Decimal(d) * 1000000)


def value(col, v, human=False):
    """One cell, normalised (see the top)."""
    if v is None or v == "":
        return None
    if human and col in BYTES_COLS:
        return v
    if col in INT_COLS:
        if isinstance(v, str) and v.startswith("unknown:"):
            return v        # a group key column of an unknown row (group.h)
        if isinstance(v, bool) or not (isinstance(v, int) or re.fullmatch(r"[0-9]+", v)):
            raise ValueError("%s: not a whole number: %r" % (col, v))
        return int(v)
    if col in DEC_COLS:
        return Decimal(str(v))
    if not isinstance(v, str):
        raise ValueError("%s: not text: %r" % (col, v))
    return v


def lines_of(text):
    """The lines of a report (every one ends with a newline); None if the last does not."""
    if text == "":
        return []
    if not text.endswith("\n"):
        return None
    return text[:-1].split("\n")


# ---------------------------------------------------------------- JSON lines

def parse_json(text, header=None):
    """JSON lines -> [(rows, summary)], one per report. Every line must be one
    JSON object; a report is its rows (with exactly the keys of header, in
    order, when given) then one summary object ("type": "summary")."""
    lines = lines_of(text)
    if lines is None:
        return None, "the last line has no newline: %r" % text[-100:]
    blocks, rows = [], []
    for n, line in enumerate(lines, 1):
        try:
            obj = json.loads(line, parse_float=Decimal)
        except ValueError as e:
            return None, "line %d is not JSON (%s): %r" % (n, e, line[:200])
        if not isinstance(obj, dict):
            return None, "line %d is not an object: %r" % (n, line[:200])
        if obj.get("type") == "summary":
            blocks.append((rows, obj))
            rows = []
            continue
        if header is not None and list(obj) != header:
            return None, "line %d has the keys %r, want %r" % (n, list(obj), header)
        try:
            rows.append({k: value(k, v) for k, v in obj.items()})
        except ValueError as e:
            return None, "line %d: %s" % (n, e)
    if rows:
        return None, "%d rows after the last summary" % len(rows)
    return blocks, None


def jq_agrees(text):
    """(True, '') when `jq -c .` reads text as the same JSON values Python does,
    line for line; (None, why) when there is no jq; (False, why) otherwise."""
    if not shutil.which("jq"):
        return None, "jq is not installed"
    r = subprocess.run(["jq", "-c", "."], input=text.encode(), capture_output=True, timeout=20)
    if r.returncode != 0:
        return False, "jq exit %d: %s" % (r.returncode, r.stderr.decode(errors="replace")[:300])
    ours = [json.loads(ln) for ln in lines_of(text) or []]
    try:
        theirs = [json.loads(ln) for ln in r.stdout.decode().splitlines()]
    except ValueError as e:
        return False, "jq printed what is not JSON: %s" % e
    if ours != theirs:
        return False, "jq read %d values, Python %d; they differ" % (len(theirs), len(ours))
    return True, ""


# ---------------------------------------------------------------- CSV and TSV

TSV_ESC = re.compile(r"\\(\\|t|n|r|x[0-9a-f]{2})")


def tsv_unescape(s):
    def one(m):
        e = m.group(1)
        return {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}.get(e) or chr(int(e[1:], 16))
    return TSV_ESC.sub(one, s)


def parse_sv(text, header, tsv=False):
    """CSV (RFC 4180) or TSV with the header line first and never again ->
    [(rows, None)]: one block, the rows of every report (there is no footer)."""
    if tsv:
        lines = lines_of(text)
        if lines is None:
            return None, "the last line has no newline: %r" % text[-100:]
        raw = [[tsv_unescape(f) for f in ln.split("\t")] for ln in lines]
    else:
        try:
            raw = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error as e:
            return None, "CSV does not parse: %s" % e
        if text and not text.endswith("\n"):
            return None, "the last line has no newline"
    if not raw or raw[0] != header:
        return None, "header %r, want %r" % (raw[:1], header)
    rows = []
    for r in raw[1:]:
        if r == header:
            return None, "the header line again, after %d rows" % len(rows)
        if len(r) != len(header):
            return None, "a row of %d fields, want %d: %r" % (len(r), len(header), r)
        try:
            rows.append({k: value(k, v) for k, v in zip(header, r)})
        except ValueError as e:
            return None, "%s in %r" % (e, r)
    return [(rows, None)], None


# ---------------------------------------------------------------- text

def parse_text(text, header, human=False):
    """The text table -> [(rows, end)], one per report; end: dict(kind, index,
    start, end, duration) of the span line and packets, ip_bytes, not_ip,
    malformed, copies, kernel_drops, if_drops of the footer, injected_bytes
    and injected_packets of the line after it (0 without one). Blocks are
    separated by one blank line; each is the header, the rows, a blank line,
    the span line ("interval N: ", "total: " or nothing before "from"), the
    footer, and a line of injected bytes when some were."""
    lines = lines_of(text)
    if lines is None:
        return None, "the last line has no newline: %r" % text[-100:]
    titles = [h.upper() for h in header]
    blocks, i = [], 0
    while i < len(lines):
        if blocks:
            if lines[i] != "":
                return None, "line %d: %r, not the blank line between reports" % (i + 1, lines[i])
            i += 1
        if i >= len(lines) or lines[i].split() != titles:
            return None, "line %d: %r, not the header" % (i + 1, lines[i:i + 1])
        i += 1
        rows = []
        while i < len(lines) and lines[i] != "":
            f = lines[i].split(None, len(header) - 1)
            if len(f) < len(header) - 1:
                return None, "line %d: a row of %d fields: %r" % (i + 1, len(f), lines[i])
            f += [""] * (len(header) - len(f))
            try:
                rows.append({k: value(k, None if v == "-" else v, human)
                             for k, v in zip(header, f)})
            except ValueError as e:
                return None, "line %d: %s" % (i + 1, e)
            i += 1
        ok = i + 2 < len(lines) and lines[i] == ""
        span = ok and TEXT_SPAN.match(lines[i + 1])
        foot = ok and TEXT_FOOTER.match(lines[i + 2])
        if not span or not foot:
            return None, "line %d: %r, not the blank line, span and footer" % (
                i + 1, lines[i:i + 3])
        kind = "interval" if span.group(1) else "total" if span.group(2) else "once"
        end = dict(kind=kind, index=int(span.group(1) or 0), start=span.group(3),
                   end=span.group(4), duration=Decimal(span.group(5)))
        for k, v in zip(("packets", "ip_bytes", "not_ip", "malformed", "copies",
                         "kernel_drops", "if_drops"), foot.groups()):
            end[k] = int(v or 0)
        end["injected_bytes"] = end["injected_packets"] = 0
        i += 3
        inj = i < len(lines) and TEXT_INJECTED.match(lines[i])
        if inj:
            end["injected_bytes"], end["injected_packets"] = int(inj.group(1)), int(inj.group(2))
            i += 1
        blocks.append((rows, end))
    return blocks, None


def human(v):
    """-H: bytes in K, M, G... (powers of 1024), as core/output.c prints them
    (tests/golden/oracle.py's human())."""
    units, u = "KMGTPE", -1
    v = float(v)
    while v >= 1023.5 and u < 5:
        v /= 1024
        u += 1
    if u < 0:
        return "%.0f" % v
    return ("%.1f%s" if v < 9.95 else "%.0f%s") % (v, units[u])
