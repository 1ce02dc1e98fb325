#!/usr/bin/env python3
"""Least privilege, seen from outside: what a running proctraf holds.

    privs.py BINARY

Run by tests/privs/run.sh, as root, in a network namespace of its own
(unshare --net, loopback up): every capture is on that namespace's lo, the
traffic between processes this script starts. Each case starts proctraf,
reads /proc/PID/task/*/status of every thread while it runs, and checks its
capability sets, ids and no-new-privs against core/privs.h; then that the
run still works (its report, its attribution). Prints "ok NAME",
"FAIL NAME: why" or "SKIP NAME: why", then "N passed, N failed".
"""
import csv
import io
import os
import pwd
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

PY = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
DAC_READ_SEARCH, SYS_PTRACE, SYS_ADMIN, SYS_NICE = 2, 19, 21, 23
LIVE = 1 << DAC_READ_SEARCH | 1 << SYS_PTRACE | 1 << SYS_ADMIN | 1 << SYS_NICE
OTHER_UID = 4242        # a user of no process of the host: the "other user" talker
try:
    NOBODY = pwd.getpwnam("nobody")
    NOBODY_IDS = (NOBODY.pw_uid, NOBODY.pw_gid)
except KeyError:
    NOBODY_IDS = (65534, 65534)

passed = failed = 0


def check(name, cond, why=""):
    global passed, failed
    if cond:
        print("ok " + name, flush=True)
        passed += 1
    else:
        print("FAIL %s: %s" % (name, why), flush=True)
        failed += 1
    return cond


def skip(name, why):
    print("SKIP %s: %s" % (name, why), flush=True)


def status(path):
    """The fields of a status file we look at."""
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            v = v.split()
            if k.startswith("Cap"):
                out[k] = int(v[0], 16)
            elif k in ("Uid", "Gid"):
                out[k] = tuple(int(x) for x in v)
            elif k == "Groups":
                out[k] = tuple(v)
            elif k == "NoNewPrivs":
                out[k] = int(v[0])
    return out


def threads(pid):
    """{tid: status} of every thread of pid (empty when it is gone)."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            out[int(tid)] = status("/proc/%d/task/%s/status" % (pid, tid))
        except OSError:
            pass
    return out


MINE = status("/proc/self/status")


def creds_ok(tasks, eff, bnd, ids, min_threads=1):
    """None when every thread holds exactly eff (permitted too), bounding bnd,
    nothing inheritable or ambient, no-new-privs, ids (uid, gid) and no
    supplementary group; else why not."""
    if len(tasks) < min_threads:
        return "%d threads, want at least %d" % (len(tasks), min_threads)
    for tid, st in sorted(tasks.items()):
        got = (st.get("CapEff"), st.get("CapPrm"), st.get("CapBnd"), st.get("CapInh"),
               st.get("CapAmb"), st.get("NoNewPrivs"))
        want = (eff, eff, bnd, 0, 0, 1)
        if got != want:
            return "thread %d: eff/prm/bnd/inh/amb/nnp %s, want %s" % (
                tid, "/".join("%x" % x if x is not None else "?" for x in got),
                "/".join("%x" % x for x in want))
        if st["Uid"] != (ids[0],) * 4 or st["Gid"] != (ids[1],) * 4 or st["Groups"]:
            return "thread %d: uid %s gid %s groups %s, want %s" % (
                tid, st["Uid"], st["Gid"], st["Groups"], ids)
    return None


TALK = r"""
import os, socket, sys, time
secs = float(sys.argv[1])
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.create_connection(l.getsockname()); s, _ = l.accept()
print(os.getpid(), flush=True)
end = time.time() + secs
while time.time() < end:
    c.sendall(b"x" * 1000); s.recv(65536); s.sendall(b"y" * 500); c.recv(65536)
    time.sleep(0.05)
time.sleep(1.5)     # sockets open until proctraf's last look
"""


def talker(secs, uid=None):
    """A process that talks to itself over 127.0.0.1 for secs; (Popen, pid)."""
    cmd = [PY, "-c", TALK, str(secs)]
    if uid is not None:
        cmd = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups",
               "--inh-caps=-all"] + cmd
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    return p, int(p.stdout.readline())


def run_live(cmd, secs=3.0, talkers=(None,), snap_at=1.8):
    """proctraf cmd (ending in -d), talkers started once its capture is open;
    (thread statuses while it ran, exit code, stdout, stderr, talker pids)."""
    pt = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.8)
    ts = [talker(secs - 1.5, uid) for uid in talkers]
    time.sleep(snap_at - 0.8)
    tasks = threads(pt.pid)
    try:
        out, err = pt.communicate(timeout=secs + 15)
    except subprocess.TimeoutExpired:
        pt.kill()
        out, err = pt.communicate()
    for p, _ in ts:
        p.wait(timeout=10)
    return tasks, pt.returncode, out, err, [pid for _, pid in ts]


def rows_by_pid(csv_text):
    """{pid: (sent_bytes, recv_bytes)} and {command: ...} for unknown rows."""
    pids, unknown = {}, {}
    for r in csv.DictReader(io.StringIO(csv_text)):
        sent, recv = int(r["sent_bytes"]), int(r["recv_bytes"])
        if r["pid"]:
            pids[int(r["pid"])] = (sent, recv)
        else:
            unknown[r["command"]] = (sent, recv)
    return pids, unknown


def case_live_root(binary):
    """Root with owners from /proc: the four capabilities (of those root
    holds), as nobody, every thread."""
    want = LIVE & MINE["CapPrm"]
    tasks, rc, out, err, pids = run_live([binary, "-i", "lo", "-d", "3", "--csv",
                                          "--owners=proc"], talkers=(None, OTHER_UID))
    why = creds_ok(tasks, want, want, NOBODY_IDS, min_threads=3)
    check("live as root: each thread keeps %x, as nobody, no-new-privs" % want, why is None, why)
    check("live as root: exit 0", rc == 0, "exit %s, stderr %r" % (rc, err))
    rows, _ = rows_by_pid(out)
    # Root's talker holds every capability, the other user's is not ours:
    # both are found only with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH kept.
    for who, pid in zip(("root's", "another user's"), pids):
        got = rows.get(pid, (0, 0))
        check("live as root: %s process attributed" % who, got[0] > 0 and got[1] > 0,
              "pid %d: %s; rows %s" % (pid, got, rows))


def case_live_kernel(binary):
    """Root, the kernel's owner source (the default where it loads): no
    real-time priority, so CAP_SYS_NICE is not kept; --realtime keeps it."""
    for extra, want in (([], LIVE & ~(1 << SYS_NICE) & MINE["CapPrm"]),
                        (["--realtime"], LIVE & MINE["CapPrm"])):
        name = "live, kernel's owners%s" % "".join(" " + e for e in extra)
        tasks, rc, out, err, pids = run_live([binary, "-i", "lo", "-d", "3", "--csv",
                                              "--owners=kernel"] + extra,
                                             talkers=(None, OTHER_UID))
        why = creds_ok(tasks, want, want, NOBODY_IDS, min_threads=3)
        check("%s: each thread keeps %x" % (name, want), why is None, why)
        rows, _ = rows_by_pid(out)
        got = [rows.get(pid, (0, 0)) for pid in pids]
        check("%s: exit 0, nothing on stderr, both processes attributed" % name,
              rc == 0 and err == "" and all(g[0] > 0 and g[1] > 0 for g in got),
              "exit %s, stderr %r, pids %s: %s" % (rc, err, pids, got))


NOTE = re.compile(r"^proctraf: note: in-kernel owner source not loaded \(.*CAP_BPF.*\); "
                  r"owners from /proc$")


def case_owners_refused(binary):
    """Loading the programs refused (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN
    cut from the bounding set by setpriv): --owners=auto falls back to
    /proc, says so in one line on stderr and still reports; --owners=kernel
    fails with one line."""
    if subprocess.run(["setpriv", "--bounding-set=-bpf,-perfmon", "true"],
                      capture_output=True).returncode != 0:
        skip("owners refused", "this setpriv knows no CAP_BPF or CAP_PERFMON")
        return
    cut = ["setpriv", "--bounding-set=-bpf,-perfmon,-sys_admin"]
    tasks, rc, out, err, pids = run_live(cut + [binary, "-i", "lo", "-d", "3"])
    lines = err.splitlines()
    check("owners refused: exit 0, one note on stderr",
          rc == 0 and len(lines) == 1 and NOTE.match(lines[0]) is not None,
          "exit %s, stderr %r" % (rc, err))
    footer = out.rstrip("\n").splitlines()[-1:] or [""]
    row = [line for line in out.splitlines() if line.split()[:1] == [str(pids[0])]]
    check("owners refused: the report says /proc, and has the process",
          footer[0].endswith("; owners from /proc") and len(row) == 1,
          "footer %r, rows of pid %d: %r" % (footer, pids[0], row))
    r = subprocess.run(cut + [binary, "-i", "lo", "-d", "1", "--owners=kernel"],
                       capture_output=True, text=True, timeout=30)
    check("owners refused: --owners=kernel exits 1 with one line",
          r.returncode == 1 and r.stdout == "" and len(r.stderr.splitlines()) == 1 and
          r.stderr.startswith("proctraf: --owners=kernel: cannot load the in-kernel owner "
                              "source: ") and "CAP_BPF" in r.stderr,
          "exit %s, stdout %r, stderr %r" % (r.returncode, r.stdout[:200], r.stderr))


def case_live_no_realtime(binary):
    """--no-realtime: CAP_SYS_NICE is not kept."""
    want = LIVE & ~(1 << SYS_NICE) & MINE["CapPrm"]
    tasks, rc, out, err, pids = run_live([binary, "-i", "lo", "-d", "3", "--csv",
                                          "--no-realtime"])
    why = creds_ok(tasks, want, want, NOBODY_IDS, min_threads=3)
    check("live --no-realtime: each thread keeps %x" % want, why is None, why)
    rows, _ = rows_by_pid(out)
    check("live --no-realtime: exit 0, attributed", rc == 0 and rows.get(pids[0], (0,))[0] > 0,
          "exit %s, stderr %r, rows %s" % (rc, err, rows))


PCAP_HEADER = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101)   # LINKTYPE_RAW


def raw_tcp(src, sport, dst, dport, payload):
    """An IPv4 TCP packet (no checksums: proctraf does not look at them)."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x18, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + tcp + payload


def record(pkt, t=1700000000):
    return struct.pack("<IIII", t, 0, len(pkt), len(pkt)) + pkt


def case_file_pipe(binary):
    """-r from a pipe: nothing at all, from before the first packet is read."""
    pt = subprocess.Popen([binary, "-r", "-", "--csv"], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pt.stdin.write(PCAP_HEADER)
    pt.stdin.flush()
    time.sleep(1.0)
    tasks = threads(pt.pid)
    bnd = 0 if MINE["CapEff"] & 1 << 8 else MINE["CapBnd"]    # CAP_SETPCAP cuts it
    why = creds_ok(tasks, 0, bnd, NOBODY_IDS)
    check("-r as root: no capability before the first packet, as nobody", why is None, why)
    pt.stdin.write(record(raw_tcp("192.0.2.1", 1000, "192.0.2.2", 2000, b"z" * 100)))
    out, err = pt.communicate(timeout=20)
    check("-r as root: the packet counted, exit 0",
          pt.returncode == 0 and b"unknown:" in out,
          "exit %s, stdout %r, stderr %r" % (pt.returncode, out[:300], err))


def case_file_reads_proc_first(binary, tmp):
    """-r with the real /proc: /proc is read once, before the first packet
    is parsed and while the privileges are held; then they go. So a socket
    of root's (this script's, with every capability) still open when the
    file is read is attributed, and no privilege is left for the packets
    (case_file_pipe)."""
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(1)
    cli = socket.create_connection(lsn.getsockname())
    srv, _ = lsn.accept()
    (a, ap), (b, bp) = cli.getsockname(), cli.getpeername()
    path = os.path.join(tmp, "root.pcap")
    with open(path, "wb") as f:
        f.write(PCAP_HEADER + record(raw_tcp(a, ap, b, bp, b"q" * 200)))
    r = subprocess.run([binary, "-r", path, "--csv"], capture_output=True, text=True, timeout=30)
    for s in (cli, srv, lsn):
        s.close()
    rows, unknown = rows_by_pid(r.stdout)
    check("-r as root, /proc: root's open socket is attributed (read before the drop)",
          r.returncode == 0 and os.getpid() in rows and not unknown,
          "exit %s, rows %s, unknown %s, stderr %r" % (r.returncode, rows, unknown, r.stderr))
    check("-r as root, /proc: no warning", r.stderr == "", repr(r.stderr))


GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden")


def case_file_private_root(binary, tmp):
    """Root reads a snapshot as nobody: one below a directory only root may
    enter is read (its directory was opened first); one that is itself such
    a directory is not, and a warning says so."""
    pcap = os.path.join(GOLDEN, "captures", "pingraw.pcap")
    outer = tempfile.mkdtemp(prefix="proctraf-private.", dir=tmp)      # 0700, root's
    snap = os.path.join(outer, "snap")
    shutil.copytree(os.path.join(GOLDEN, "proc", "host"), snap, symlinks=True)
    os.chmod(snap, 0o755)
    r = subprocess.run([binary, "-r", pcap, "--proc-root", snap], capture_output=True,
                       text=True, timeout=20)
    check("-r as root: a snapshot below a root-only directory is read",
          r.returncode == 0 and "gretund" in r.stdout and r.stderr == "",
          "exit %s, stdout %r, stderr %r" % (r.returncode, r.stdout[:300], r.stderr))
    os.chmod(snap, 0o700)
    r = subprocess.run([binary, "-r", pcap, "--proc-root", snap], capture_output=True,
                       text=True, timeout=20)
    want = "proctraf: warning: %s: Permission denied for uid %d" % (snap, NOBODY_IDS[0])
    check("-r as root: a root-only snapshot is not read, with a warning",
          r.returncode == 0 and "gretund" not in r.stdout and r.stderr.startswith(want),
          "exit %s, stdout %r, stderr %r" % (r.returncode, r.stdout[:300], r.stderr))


class Copy:
    """A copy of the binary in a directory every user may enter, with file
    capabilities (setcap) or setuid."""

    def __init__(self, binary, tmp, name, caps=None, setuid=False):
        self.dir = tempfile.mkdtemp(prefix="proctraf-privs.", dir=tmp)
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, name)
        shutil.copy(binary, self.path)
        os.chmod(self.path, 0o4755 if setuid else 0o755)
        self.err = None
        if caps:
            r = subprocess.run(["setcap", caps, self.path], capture_output=True, text=True)
            if r.returncode != 0:
                self.err = "setcap %s: %s" % (caps, r.stderr.strip())


def as_nobody(cmd):
    return ["setpriv", "--reuid=%d" % NOBODY_IDS[0], "--regid=%d" % NOBODY_IDS[1],
            "--clear-groups", "--inh-caps=-all"] + cmd


def case_file_caps(binary, tmp):
    """nobody with cap_net_raw,cap_net_admin+ep (README's setcap line): the
    capture works, and once it is open nothing is left (the bounding set
    stays: cutting it needs CAP_SETPCAP)."""
    c = Copy(binary, tmp, "proctraf", "cap_net_raw,cap_net_admin+ep")
    if c.err:
        skip("file capabilities", c.err)
        return
    tasks, rc, out, err, pids = run_live(as_nobody([c.path, "-i", "lo", "-d", "3", "--csv"]))
    why = creds_ok(tasks, 0, MINE["CapBnd"], NOBODY_IDS, min_threads=3)
    check("file caps net_raw,net_admin: nothing kept after the open, no-new-privs",
          why is None, why)
    rows, unknown = rows_by_pid(out)
    check("file caps net_raw,net_admin: the capture works (root's traffic no-permission)",
          rc == 0 and unknown.get("unknown:no-permission", (0, 0))[0] > 0,
          "exit %s, stderr %r, rows %s %s" % (rc, err, rows, unknown))


def case_file_caps_bpf(binary, tmp):
    """nobody with the capture's and the kernel owner source's capabilities
    (README's setcap line with cap_bpf,cap_perfmon): the programs load, and
    root's process is attributed through them (no /proc privilege kept)."""
    c = Copy(binary, tmp, "proctraf", "cap_net_raw,cap_net_admin,cap_bpf,cap_perfmon+ep")
    if c.err:
        skip("file capabilities with bpf,perfmon", c.err)
        return
    tasks, rc, out, err, pids = run_live(as_nobody([c.path, "-i", "lo", "-d", "3",
                                                    "--owners=kernel"]))
    why = creds_ok(tasks, 0, MINE["CapBnd"], NOBODY_IDS, min_threads=3)
    check("file caps +bpf,perfmon: nothing kept after the open", why is None, why)
    row = [line for line in out.splitlines() if line.split()[:1] == [str(pids[0])]]
    check("file caps +bpf,perfmon: the kernel's owners, root's process attributed",
          rc == 0 and err == "" and "; owners from the kernel\n" in out and len(row) == 1,
          "exit %s, stderr %r, stdout %r" % (rc, err, out[-600:]))


def case_file_caps_read(binary, tmp):
    """README's full non-root set: the two that read /proc are kept, and
    attribute root's process; a file or a proc root the user may not read
    is refused, though CAP_DAC_READ_SEARCH would have read it."""
    caps = "cap_net_raw,cap_net_admin,cap_dac_read_search,cap_sys_ptrace+ep"
    c = Copy(binary, tmp, "proctraf", caps)
    if c.err:
        skip("file capabilities with dac_read_search", c.err)
        return
    want = 1 << DAC_READ_SEARCH | 1 << SYS_PTRACE
    tasks, rc, out, err, pids = run_live(as_nobody([c.path, "-i", "lo", "-d", "3", "--csv"]))
    why = creds_ok(tasks, want, MINE["CapBnd"], NOBODY_IDS, min_threads=3)
    check("file caps +dac_read_search,sys_ptrace: those two kept", why is None, why)
    rows, _ = rows_by_pid(out)
    check("file caps +dac_read_search,sys_ptrace: root's process attributed",
          rc == 0 and rows.get(pids[0], (0,))[0] > 0,
          "exit %s, stderr %r, rows %s" % (rc, err, rows))

    secret = tempfile.mkdtemp(prefix="proctraf-secret.", dir=tmp)     # 0700, root's
    pcap = os.path.join(secret, "x.pcap")
    with open(pcap, "wb") as f:
        f.write(PCAP_HEADER + record(raw_tcp("192.0.2.1", 1, "192.0.2.2", 2, b"")))
    os.makedirs(os.path.join(secret, "proc", "net"))
    public = os.path.join(c.dir, "public.pcap")
    shutil.copy(pcap, public)
    os.chmod(public, 0o644)
    r = subprocess.run(as_nobody([c.path, "-r", pcap]), capture_output=True, text=True,
                       timeout=20)
    check("file caps: -r of a file nobody may read is refused",
          r.returncode == 1 and "Permission denied" in r.stderr and r.stdout == "",
          "exit %s, stdout %r, stderr %r" % (r.returncode, r.stdout[:200], r.stderr))
    r = subprocess.run(as_nobody([c.path, "-r", public, "--proc-root",
                                  os.path.join(secret, "proc")]),
                       capture_output=True, text=True, timeout=20)
    check("file caps: -r with a proc root nobody may read is refused",
          r.returncode == 1 and "cannot open proc root" in r.stderr and
          "Permission denied" in r.stderr,
          "exit %s, stdout %r, stderr %r" % (r.returncode, r.stdout[:200], r.stderr))
    r = subprocess.run(as_nobody([c.path, "-r", public, "--proc-root", c.dir]),
                       capture_output=True, text=True, timeout=20)
    check("file caps: -r with a proc root nobody may read works",
          r.returncode == 0 and "captured 1 packets" in r.stdout,
          "exit %s, stdout %r, stderr %r" % (r.returncode, r.stdout[-300:], r.stderr))
    r = subprocess.run(as_nobody([c.path, "-i", "lo", "-d", "1", "--proc-root", c.dir]),
                       capture_output=True, text=True, timeout=20)
    check("file caps: live with another proc root is refused, exit 2",
          r.returncode == 2 and "--proc-root" in r.stderr and r.stdout == "",
          "exit %s, stdout %r, stderr %r" % (r.returncode, r.stdout[:200], r.stderr))


def case_setuid(binary, tmp):
    """A setuid-root copy run by nobody: back to nobody's ids, the live set kept."""
    c = Copy(binary, tmp, "proctraf", setuid=True)
    if os.stat(c.path).st_mode & 0o4000 == 0:
        skip("setuid", "the copy lost its setuid bit")
        return
    probe = subprocess.run(as_nobody([PY, "-c", "import os; print(os.geteuid())"]),
                           capture_output=True, text=True)
    mnt = subprocess.run(["findmnt", "-no", "OPTIONS", "-T", c.dir], capture_output=True,
                         text=True).stdout
    if probe.returncode != 0 or "nosuid" in mnt.split(","):
        skip("setuid", "%s is mounted nosuid, or nobody cannot run python" % c.dir)
        return
    want = LIVE & MINE["CapBnd"]
    tasks, rc, out, err, pids = run_live(as_nobody([c.path, "-i", "lo", "-d", "3", "--csv",
                                                    "--owners=proc"]))
    why = creds_ok(tasks, want, want, NOBODY_IDS, min_threads=3)
    check("setuid root run by nobody: nobody's ids, keeps %x" % want, why is None, why)
    rows, _ = rows_by_pid(out)
    check("setuid root run by nobody: root's process attributed",
          rc == 0 and rows.get(pids[0], (0,))[0] > 0,
          "exit %s, stderr %r, rows %s" % (rc, err, rows))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="proctraf-privs.")
    os.chmod(tmp, 0o755)
    try:
        case_live_root(binary)
        case_live_no_realtime(binary)
        case_live_kernel(binary)
        case_owners_refused(binary)
        case_file_pipe(binary)
        case_file_reads_proc_first(binary, tmp)
        case_file_private_root(binary, tmp)
        if shutil.which("setcap"):
            case_file_caps(binary, tmp)
            case_file_caps_read(binary, tmp)
            case_file_caps_bpf(binary, tmp)
        else:
            skip("file capabilities", "no setcap (package libcap2-bin)")
        case_setuid(binary, tmp)
    except Exception as e:      # a case that broke: counted, and the others' counts kept
        check("privs.py", False, "%s: %s" % (type(e).__name__, e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
