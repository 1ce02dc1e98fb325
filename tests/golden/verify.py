#!/usr/bin/env python3
"""Check proctraf's CSV for a capture against the generator's ledger.

verify.py BINARY CAPTURE_NAME...   (names as in ledger.json)

The ledger says, for every packet, which process sent it, which received it,
or which unknown row it belongs to. This recomputes every row and the
totals from the ledger alone and compares them with proctraf's CSV, so an
expected file can never bake in a wrong number unnoticed.
"""
import collections
import csv
import io
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = ("sent_bytes", "recv_bytes", "sent_packets", "recv_packets")


def expected(ledger):
    rows = collections.defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    for p in ledger:
        if p["kind"] != "ip":
            continue
        if p["unknown"]:
            d = "sent" if p["src_local"] else "recv"
            r = rows["unknown:" + p["unknown"]]
            r[d + "_bytes"] += p["iplen"]
            r[d + "_packets"] += 1
        for who, d in ((p["sender"], "sent"), (p["receiver"], "recv")):
            if who is not None:
                rows[str(who)][d + "_bytes"] += p["iplen"]
                rows[str(who)][d + "_packets"] += 1
    return {k: v for k, v in rows.items()}


def actual(binary, cap):
    r = subprocess.run([binary, "-r", os.path.join(HERE, "captures", cap), "--proc-root",
                        os.path.join(HERE, "proc"), "--csv"], capture_output=True, timeout=30)
    if r.returncode != 0 or r.stderr:
        return None, "exit %d stderr %r" % (r.returncode, r.stderr)
    rows = list(csv.DictReader(io.StringIO(r.stdout.decode("utf-8", "surrogateescape"))))
    out = {}
    for row in rows:
        key = row["pid"] or row["command"]
        out[key] = {k: int(row[k]) for k in FIELDS}
    return out, None


def footer(binary, cap, ledger):
    r = subprocess.run([binary, "-r", os.path.join(HERE, "captures", cap), "--proc-root",
                        os.path.join(HERE, "proc")], capture_output=True, timeout=30)
    want = "captured %d packets, %d IP bytes; %d not IP, %d malformed" % (
        len(ledger), sum(p["iplen"] for p in ledger if p["kind"] == "ip"),
        sum(p["kind"] == "not-ip" for p in ledger), sum(p["kind"] == "malformed" for p in ledger))
    last = r.stdout.decode("utf-8", "replace").rstrip("\n").split("\n")[-1]
    return last == want, "footer %r, ledger says %r" % (last, want)


def main():
    binary, caps = sys.argv[1], sys.argv[2:]
    with open(os.path.join(HERE, "ledger.json")) as f:
        ledger = json.load(f)
    passed = failed = 0
    for cap in caps or sorted(ledger):
        got, err = actual(binary, cap)
        want = expected(ledger[cap])
        ok_foot, why_foot = footer(binary, cap, ledger[cap])
        if got == want and ok_foot:
            passed += 1
            print("ok ledger %s" % cap)
        else:
            failed += 1
            print("FAIL ledger %s: %s" % (cap, err or (why_foot if got == want else
                                                      "proctraf %r, ledger %r" % (got, want))))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
