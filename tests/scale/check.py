"""check.py TRUTH.json RUN...: each RUN.csv (and RUN.err) against the ledger."""
import csv
import json
import sys

FIELDS = ("sent_bytes", "recv_bytes", "sent_packets", "recv_packets", "flows")


def check(truth, run):
    """The problems of one run, as strings."""
    bad = []
    with open(run + ".err") as f:
        err = f.read()
    if err != "exit 0\n":
        bad.append("stderr/exit: %r" % err[:300])
    with open(run + ".csv", newline="") as f:
        rows = list(csv.DictReader(f))
    got = {}
    for r in rows:
        key = r["pid"] or r["command"]
        if key in got:
            bad.append("two rows for %s" % key)
        got[key] = {k: int(r[k]) for k in FIELDS}
    want = dict(truth["by_pid"])
    want["unknown:no-socket"] = truth["no_socket"]
    for key, w in sorted(want.items()):
        if got.get(key) != w:
            bad.append("%s: got %s, want %s" % (key, got.get(key), w))
    for key in sorted(set(got) - set(want)):
        bad.append("unexpected row %s: %s" % (key, got[key]))
    return bad


def main(argv):
    with open(argv[1]) as f:
        truth = json.load(f)
    passed = failed = 0
    for run in argv[2:]:
        bad = check(truth, run)
        name = run.rsplit("/", 1)[-1]
        if bad:
            failed += 1
            print("FAIL scale %s: %d of %d rows differ" % (name, len(bad), len(truth["by_pid"]) + 1))
            for b in bad[:10]:
                print("    " + b)
        else:
            passed += 1
            print("ok scale %s: %d process rows and the no-socket row equal the ledger"
                  % (name, len(truth["by_pid"])))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
