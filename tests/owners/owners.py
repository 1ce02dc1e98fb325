#!/usr/bin/env python3
"""The kernel's owner source leaves nothing behind: after every way a live
capture can end (its duration, SIGINT, SIGTERM, a write error, SIGKILL),
none of the eBPF programs and links proctraf held is still loaded or
attached (bpftool prog show, bpftool link show, bpftool cgroup tree).

    owners.py BINARY

proctraf's own programs and links are known by the ids in the fdinfo of
the descriptors it holds while it runs (/proc/PID/fdinfo: prog_id,
link_id), so other programs loaded meanwhile (another proctraf, another
test) are never taken for its own. Then what its reports give a live
capture (kreports.py): the command line of short-lived processes, and
the warning when reports were lost. Needs root and bpftool; prints
"ok NAME" / "FAIL NAME: why" / "skip NAME: why", then "N passed, N failed".
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import kreports

passed = failed = 0
GONE_WAIT = 5.0     # seconds the kernel may take to free a program after its last fd


def check(name, ok, why=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok %s" % name, flush=True)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why), flush=True)


def bpftool_ids(*what):
    """The ids bpftool lists: `prog show`, `link show` (id, prog_id) or `cgroup tree`."""
    r = subprocess.run(["bpftool", "-j"] + list(what), capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        raise RuntimeError("bpftool %s: %s" % (" ".join(what), r.stderr.strip()))
    data = json.loads(r.stdout or "[]")
    ids = set()
    for item in data:
        if "programs" in item:      # cgroup tree: one item per cgroup with programs
            ids.update(p["id"] for p in item["programs"])
        else:
            ids.add(item["id"])
            if "prog_id" in item:
                ids.add(item["prog_id"])
    return ids


def held_ids(pid):
    """(prog ids, link ids) in the fdinfo of pid's descriptors."""
    progs, links = set(), set()
    fds = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fds):
        try:
            with open(os.path.join(fds, fd)) as f:
                text = f.read()
        except OSError:
            continue
        for key, val in re.findall(r"^(prog_id|link_id):\s+(\d+)$", text, re.M):
            (progs if key == "prog_id" else links).add(int(val))
    return progs, links


def wait_loaded(p, timeout=15):
    """Poll until proctraf holds links (the programs are attached); (progs, links)."""
    end = time.time() + timeout
    while time.time() < end and p.poll() is None:
        progs, links = held_ids(p.pid)
        if links:
            time.sleep(0.3)     # the last links of the set
            return held_ids(p.pid)
        time.sleep(0.05)
    return set(), set()


def left_over(progs, links):
    """What is still loaded or attached of progs and links, after GONE_WAIT at most."""
    end = time.time() + GONE_WAIT
    while True:
        left = {"prog": progs & bpftool_ids("prog", "show"),
                "link": links & bpftool_ids("link", "show"),
                "cgroup": progs & bpftool_ids("cgroup", "tree")}
        if not any(left.values()) or time.time() > end:
            return {k: sorted(v) for k, v in left.items() if v}
        time.sleep(0.1)


def one(binary, name, how, extra=()):
    stdout = subprocess.PIPE
    if how == "write error":
        stdout = open("/dev/full", "w")
    args = [binary, "-i", "lo", "--owners=kernel"] + list(extra) + (["-d", "2"] if how in (
        "end of -d", "write error") else [])
    p = subprocess.Popen(args, stdout=stdout, stderr=subprocess.PIPE, text=True)
    progs, links = wait_loaded(p)
    if not links:
        p.kill()
        out, err = p.communicate()
        check(name + ": attached", False, "no bpf link held; exit %s, stderr %r" % (
            p.returncode, err))
        return
    if how in ("SIGINT", "SIGTERM", "SIGKILL"):
        p.send_signal(getattr(signal, how))
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    if how == "write error":
        stdout.close()
        ok = p.returncode == 1 and "write error" in err
    elif how == "SIGKILL":
        ok = p.returncode == -signal.SIGKILL
    else:
        ok = p.returncode == 0 and "; owners from the kernel\n" in out and err == ""
    check(name + ": exit as expected", ok, "exit %s, stderr %r, stdout %r" % (
        p.returncode, err, (out or "")[-300:]))
    left = left_over(progs, links)
    check(name + ": none of its %d programs and %d links left" % (len(progs), len(links)),
          not left, "still there: %s" % left)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        print("skip owners: needs root\n0 passed, 0 failed")
        return
    if not shutil.which("bpftool"):
        print("skip owners: no bpftool (package bpftool)\n0 passed, 0 failed")
        return
    probe = subprocess.run([binary, "-i", "lo", "-d", "0.1", "--owners=kernel"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        print("skip owners: the kernel's owner source does not load here: %s" %
              probe.stderr.strip())
        print("0 passed, 0 failed")
        return
    tmp = tempfile.mkdtemp(prefix="proctraf-owners.")
    # --prom's writer is a process of its own, forked before the programs are
    # loaded: it must hold none of their links when proctraf is killed.
    cases = [(how, how, ()) for how in ("end of -d", "SIGINT", "SIGTERM", "write error",
                                        "SIGKILL")]
    cases.append(("SIGKILL with --prom", "SIGKILL", ("--prom", os.path.join(tmp, "m.prom"))))
    try:
        for name, how, extra in cases:
            try:
                one(binary, name, how, extra)
            except Exception as e:      # counted, and the other cases still run
                check(name, False, "%s: %s" % (type(e).__name__, e))
        kreports.run(binary, check, wait_loaded)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
