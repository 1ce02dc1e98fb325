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

This file is the command line and the checks of a case; the oracle proper
is in oracle_opts.py (a case's options, the table's columns),
oracle_report.py (the ledger to rows, flows, connections, groups and the
blocks of a case) and oracle_render.py (cells, sorting, and the text, CSV,
TSV and JSON lines formats).
"""
import json
import os
import shutil
import subprocess
import sys

# The modules below are this directory's: leave no __pycache__ in it.
sys.dont_write_bytecode = True

from oracle_opts import FILTERS, UsageError, parse_opts  # noqa: E402
from oracle_render import render  # noqa: E402
from oracle_report import TRUNCATED, reports  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

BAD_FILES = {"corrupt.pcap", "short.pcap", "missing.pcap"}


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
