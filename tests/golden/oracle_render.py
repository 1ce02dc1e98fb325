"""The golden oracle's rendering: cells as text, rows sorted as
table_sort sorts them (core/table.c), and a block written as the text
table, CSV, TSV or JSON lines.  See oracle.py for what the oracle is and
the choices it takes.
"""
import ctypes
import locale
import sys

from oracle_opts import BYTES, NONE, RATE, SECONDS, TEXT, TIME, UINT, columns

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
               b'"duplicates":0', b'"kernel_drops":null', b'"if_drops":null',
               b'"owners":null']
    out.append(b"{" + b",".join(summary) + b"}")
    return b"".join(x + b"\n" for x in out)
