"""Hostile proc roots and signals, end to end:  hostile.py BINARY

Runs BINARY -r en10mb.pcap --proc-root ROOT on roots made by someone else
(issue 11, items 1, 2, 3 and 5), each copied from the golden fixture
tests/golden/proc/host and then spoiled:

  links       comm, cmdline, status, cgroup of pid 100 are links to a file
              outside the root holding a secret
  pid-link    the directory 100 is a link to a process elsewhere
  net-link    net/ is a link to the tables elsewhere
  tcp-zero    net/tcp is a link to /dev/zero
  huge        net/tcp6 a 2 GB sparse file, net/udp a 1 MB line first
  fifo-udp    net/udp is a FIFO
  fifo-comm   100/comm is a FIFO (also under timeout -s INT)
  device      net/udp6 a device node (/dev/zero's numbers), as root
  setcap      the links case run as nobody by a copy of BINARY with
              cap_dac_read_search+ep, the secret a root-only 0600 file

Each run must end within its limit (a few seconds), print no byte of the
secret, and report the rest of the root right: the rows the golden case
has whose files were not spoiled, exactly. Then signals, on a root of
30,000 processes whose one pass takes a second or more: a SIGINT (or
SIGTERM) during the pass ends the run within 0.5 s with the report, exit
0; two SIGINTs end it at once, killed by SIGINT; the same live (-i lo,
as root). Prints "ok NAME", "FAIL NAME: why", "SKIP NAME: why", the
figures, then "N passed, N failed".
"""
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "golden")
SECRET = b"TOPSECRET-0123456789"
NOBODY = 65534
BIG_PIDS = int(os.environ.get("HOSTILE_PIDS", "30000"))

results = []


def check(name, ok, why=""):
    results.append(bool(ok))
    print(("ok %s" % name) if ok else ("FAIL %s: %s" % (name, why)), flush=True)
    return ok


def skip(name, why):
    print("SKIP %s: %s" % (name, why), flush=True)


class Run:
    """One run of a command: rc (negative: killed by that signal), out, err,
    seconds, maxrss_kb, and when sent, the seconds from the last signal to
    the end."""

    def __init__(self, cmd, limit, signals=(), user=None, tmp=None):
        out = tempfile.TemporaryFile(dir=tmp)
        err = tempfile.TemporaryFile(dir=tmp)
        kw = {}
        if user is not None:
            kw = dict(user=user, group=user, extra_groups=[])
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, **kw)
        pending = sorted(signals)     # (seconds after start, signal)
        self.after_signal = None
        last_sent = None
        status = None
        while True:
            now = time.monotonic() - t0
            while pending and now >= pending[0][0]:
                p.send_signal(pending.pop(0)[1])
                last_sent = time.monotonic()
            pid, st, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                status, usage = st, ru
                break
            if now > limit:
                p.kill()
                _, status, usage = os.wait4(p.pid, 0)
                break
            time.sleep(0.002)
        end = time.monotonic()
        p.returncode = os.waitstatus_to_exitcode(status)
        self.timed_out = end - t0 > limit
        self.rc = None if self.timed_out else p.returncode
        self.seconds = end - t0
        if last_sent is not None:
            self.after_signal = end - last_sent
        self.maxrss_kb = usage.ru_maxrss
        out.seek(0)
        err.seek(0)
        self.out = out.read()
        self.err = err.read()

    def why(self):
        return "exit %s after %.2f s, %d KB, stderr %r" % (
            "killed (timed out)" if self.timed_out else self.rc, self.seconds, self.maxrss_kb,
            self.err[-300:].decode(errors="replace"))


def rows(text):
    """The text report's rows by pid (an unknown row by "-" and its reason), each as its
    words: the columns' widths depend on the other rows."""
    lines = text.decode(errors="replace").split("\n")
    out = {}
    for line in lines[1:]:
        if not line.strip():
            break
        words = line.split()
        out[words[0] + (words[2] if words[0] == "-" else "")] = words
    return out


def spoiled(base, tmp, name):
    root = os.path.join(tmp, name)
    shutil.copytree(base, root, symlinks=True)
    return root


def replace(path, make):
    os.unlink(path)
    make(path)


def main():
    binary = os.path.abspath(sys.argv[1])
    is_root = os.geteuid() == 0
    tmp = tempfile.mkdtemp(prefix="proctraf-hostile-")
    os.chmod(tmp, 0o755)
    try:
        cases(binary, tmp, is_root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    passed = sum(results)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


def cases(binary, tmp, is_root):
    base = os.path.join(tmp, "base")
    shutil.copytree(os.path.join(GOLDEN, "proc", "host"), base, symlinks=True)
    pcap = os.path.join(tmp, "en10mb.pcap")
    shutil.copy(os.path.join(GOLDEN, "captures", "en10mb.pcap"), pcap)
    os.chmod(pcap, 0o644)
    secret = os.path.join(tmp, "secret")
    with open(secret, "wb") as f:
        f.write(SECRET + b"\n")
    os.chmod(secret, 0o600)

    def run(root, limit=10, **kw):
        return Run([binary, "-r", pcap, "--proc-root", root], limit, tmp=tmp, **kw)

    with open(os.path.join(GOLDEN, "expected", "en10mb.txt"), "rb") as f:
        want = f.read()
    r = run(base)
    check("control: the golden report", r.rc == 0 and r.out == want and r.err == b"", r.why())
    good = rows(want)

    def same_rows(name, r, keep, gone=()):
        """rc 0, in time, no secret, rows keep exactly as the golden ones, gone absent."""
        got = rows(r.out)
        if not check(name + ": exit 0 in time", r.rc == 0, r.why()):
            return
        check(name + ": no secret byte", SECRET[:9] not in r.out + r.err, r.out + r.err)
        for k in keep:
            check("%s: row %s right" % (name, k), got.get(k) == good[k],
                  "%r != %r" % (got.get(k), good[k]))
        for k in gone:
            check("%s: no row %s" % (name, k), k not in got, got.get(k))

    # Item 1: links out of the root.
    root = spoiled(base, tmp, "links")
    os.unlink(os.path.join(root, "100", "comm"))
    os.symlink(secret, os.path.join(root, "100", "comm"))
    os.unlink(os.path.join(root, "100", "cmdline"))
    os.symlink("../../secret", os.path.join(root, "100", "cmdline"))
    for name in ("status", "cgroup"):
        path = os.path.join(root, "100", name)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(secret, path)
    r = run(root)
    same_rows("links", r, ["200"])
    got = rows(r.out).get("100", [])
    check("links: pid 100 counted, nothing of its files", got[2:5] == ["814", "3300", "6"], got)
    check("links: one warning", b"refused" in r.err and r.err.count(b"\n") == 1, r.err)
    links_root = root

    root = spoiled(base, tmp, "pid-link")
    elsewhere = os.path.join(tmp, "elsewhere-100")
    shutil.move(os.path.join(root, "100"), elsewhere)
    with open(os.path.join(elsewhere, "comm"), "wb") as f:
        f.write(SECRET + b"\n")
    os.symlink(elsewhere, os.path.join(root, "100"))
    same_rows("pid-link", run(root), ["200"], ["100"])

    root = spoiled(base, tmp, "net-link")
    shutil.move(os.path.join(root, "net"), os.path.join(tmp, "elsewhere-net"))
    os.symlink(os.path.join(tmp, "elsewhere-net"), os.path.join(root, "net"))
    r = run(root)
    same_rows("net-link", r, [], ["100", "200"])

    # Item 3: tables without end.
    root = spoiled(base, tmp, "tcp-zero")
    replace(os.path.join(root, "net", "tcp"), lambda p: os.symlink("/dev/zero", p))
    r = run(root, limit=5)
    same_rows("tcp-zero", r, ["200"], ["100"])
    check("tcp-zero: memory bounded", r.maxrss_kb < 100 * 1024, r.why())
    zero_rss = r.maxrss_kb

    root = spoiled(base, tmp, "huge")
    with open(os.path.join(root, "net", "tcp6"), "wb") as f:
        f.truncate(2 << 30)
    with open(os.path.join(root, "net", "udp"), "rb") as f:
        udp = f.read()
    with open(os.path.join(root, "net", "udp"), "wb") as f:
        f.write(b"x" * (1 << 20) + b"\n" + udp)
    r = run(root, limit=10)
    same_rows("huge", r, ["100", "200"])
    check("huge: memory bounded", r.maxrss_kb < 100 * 1024, r.why())
    check("huge: the cut said", b"cut at" in r.err, r.err)
    huge = r

    # Item 2: FIFOs.
    root = spoiled(base, tmp, "fifo-udp")
    replace(os.path.join(root, "net", "udp"), os.mkfifo)
    r = run(root, limit=3)
    same_rows("fifo-udp", r, ["100"], ["200"])
    check("fifo-udp: prompt", r.seconds < 1, r.why())

    root = spoiled(base, tmp, "fifo-comm")
    replace(os.path.join(root, "100", "comm"), os.mkfifo)
    r = run(root, limit=3)
    same_rows("fifo-comm", r, ["200"])
    check("fifo-comm: pid 100 counted", rows(r.out).get("100", [])[2:4] == ["814", "3300"], r.out)
    if shutil.which("timeout"):
        r = Run(["timeout", "-s", "INT", "-k", "2", "5", binary, "-r", pcap, "--proc-root", root],
                10, tmp=tmp)
        check("fifo-comm under timeout -s INT 5: ends by itself", r.rc == 0 and r.seconds < 2,
              r.why())

    root = spoiled(base, tmp, "device")
    try:
        replace(os.path.join(root, "net", "udp6"),
                lambda p: os.mknod(p, stat.S_IFCHR | 0o644, os.makedev(1, 5)))
        r = run(root, limit=5)
        same_rows("device", r, ["100", "200"])
        check("device: refused, said", b"refused" in r.err, r.err)
    except OSError as e:
        skip("device", "mknod: %s" % e)

    setcap_case(binary, tmp, pcap, links_root, secret)
    signal_cases(binary, tmp, pcap, base, is_root)
    print("figures: /dev/zero as net/tcp: max RSS %d KB; a 2 GB net/tcp6: %d KB, %.2f s"
          % (zero_rss, huge.maxrss_kb, huge.seconds))


def setcap_case(binary, tmp, pcap, links_root, secret):
    """Item 1 as a privilege escalation: nobody, with cap_dac_read_search."""
    name = "setcap"
    if os.geteuid() != 0:
        return skip(name, "not root")
    if not shutil.which("setcap"):
        return skip(name, "no setcap (package libcap2-bin)")
    cat = os.path.join(tmp, "cat")
    copy = os.path.join(tmp, "proctraf")
    shutil.copy(shutil.which("cat"), cat)
    shutil.copy(binary, copy)
    for f in (cat, copy):
        os.chmod(f, 0o755)
        r = subprocess.run(["setcap", "cap_dac_read_search+ep", f], capture_output=True)
        if r.returncode != 0:
            return skip(name, "setcap: %s" % r.stderr.decode(errors="replace").strip())
    # The capability works here (no nosuid mount, no no_new_privs): a cat that has it reads it.
    r = Run([cat, secret], 5, user=NOBODY, tmp=tmp)
    if SECRET not in r.out:
        return skip(name, "file capabilities are not effective here (%s)" % r.why())
    r = Run([copy, "-r", pcap, "--proc-root", links_root], 10, user=NOBODY, tmp=tmp)
    check(name + ": exit 0", r.rc == 0, r.why())
    check(name + ": nobody with cap_dac_read_search reads no byte of a root-only file",
          SECRET[:9] not in r.out + r.err, r.out + r.err)


def signal_cases(binary, tmp, pcap, base, is_root):
    """Item 5: a pass over BIG_PIDS processes, cut by signals."""
    where = "/dev/shm" if os.access("/dev/shm", os.W_OK) else tmp
    big = tempfile.mkdtemp(prefix="proctraf-big-", dir=where)
    try:
        t0 = time.monotonic()
        subprocess.run([sys.executable, os.path.join(HERE, "mkbig.py"), base,
                        os.path.join(big, "root"), str(BIG_PIDS)], check=True)
        made = time.monotonic() - t0
        root = os.path.join(big, "root")
        signal_file(binary, pcap, root, made, tmp)
        if is_root:
            signal_live(binary, root, tmp)
        else:
            skip("live SIGINT", "not root")
    finally:
        shutil.rmtree(big, ignore_errors=True)


def signal_file(binary, pcap, root, made, tmp):
    cmd = [binary, "-r", pcap, "--proc-root", root]
    whole = Run(cmd, 120, tmp=tmp)
    check("%d pids, no signal: the whole report" % BIG_PIDS,
          whole.rc == 0 and b"curl" in whole.out and whole.err == b"", whole.why())
    print("figures: %d pids made in %.1f s; one pass: %.2f s" % (BIG_PIDS, made, whole.seconds))
    at = min(0.3, whole.seconds / 3)
    for sig in (signal.SIGINT, signal.SIGTERM):
        name = "%d pids, %s at %.1f s" % (BIG_PIDS, sig.name, at)
        r = Run(cmd, 30, signals=[(at, sig)], tmp=tmp)
        check(name + ": exit 0 with a report", r.rc == 0 and b"captured 21 packets" in r.out,
              r.why())
        check(name + ": ends within 0.5 s", r.after_signal is not None and r.after_signal < 0.5,
              "%.2f s after the signal" % (r.after_signal or -1))
        if whole.seconds > at + 0.5:
            check(name + ": says the pass was cut", b"stopped before" in r.err, r.err)
        print("figures: %s: ended %.3f s after it (the whole pass: %.2f s)"
              % (sig.name, r.after_signal or -1, whole.seconds))
    name = "%d pids, two SIGINTs" % BIG_PIDS
    r = Run(cmd, 30, signals=[(at, signal.SIGINT), (at + 0.05, signal.SIGINT)], tmp=tmp)
    check(name + ": killed by SIGINT", r.rc == -signal.SIGINT, r.why())
    check(name + ": at once", r.after_signal is not None and r.after_signal < 0.1,
          "%.3f s after the second" % (r.after_signal or -1))
    print("figures: two SIGINTs: ended %.3f s after the second" % (r.after_signal or -1))


def signal_live(binary, root, tmp):
    """Live, the resolver thread's first pass over the root, cut by SIGINT."""
    cmd = [binary, "-q", "-i", "lo", "--proc-root", root]
    r = Run(cmd, 30, signals=[(0.5, signal.SIGINT)], tmp=tmp)
    name = "live, %d pids, SIGINT at 0.5 s" % BIG_PIDS
    check(name + ": exit 0 with a report", r.rc == 0 and b"captured" in r.out, r.why())
    check(name + ": ends within 0.5 s", r.after_signal is not None and r.after_signal < 0.5,
          "%.2f s after the signal" % (r.after_signal or -1))
    print("figures: live SIGINT: ended %.3f s after it" % (r.after_signal or -1))


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
