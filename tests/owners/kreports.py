"""What the kernel's owner source reports, as a live capture shows it
(imported by owners.py, which counts the checks):

- cmdline: processes that make a UDP socket, send one datagram over
  loopback and exit, each living about 50 ms (interpreter start included;
  the socket lives about 20 ms), get their real command line in their
  row, not the empty one of a process read after its end. The command
  line is read when the kernel's report is taken in (a few ms after the
  socket is made, core/kcmdline.h), so that a process still alive then
  has it. That is a race by nature (a loaded host may not run proctraf's
  reader for 20 ms): the check asks it of CMDLINE_MIN of CMDLINE_PROCS
  processes, and every one must have a row with its pid and name.
- lost: with a 4 KiB ring buffer (PROCTRAF_TEST_OWNER_RING, for tests
  only) a burst of sockets overflows it: one warning on stderr giving the
  count, and the JSON summary's owners_lost equal to it; with the default
  ring the same burst loses nothing, and nothing is said.
"""
import json
import os
import re
import socket
import subprocess
import time

CMDLINE_PROCS = 8
CMDLINE_MIN = 6
SHORT = ("import socket, sys, time\n"
         "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
         "s.sendto(b'x' * 200, ('127.0.0.1', int(sys.argv[1])))\n"
         "time.sleep(0.02)\n")
BURST = ("import socket\n"
         "socks = []\n"
         "for i in range(3000):\n"
         "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
         "    s.bind(('127.0.0.1', 0))\n"
         "    socks.append(s)\n")
LOST_RE = re.compile(r"^proctraf: warning: the kernel lost (\d+) owner reports? \(its ring "
                     r"buffer was full\); some flows may be unknown$", re.M)


def start(binary, wait_loaded, duration, env=None):
    p = subprocess.Popen([binary, "-i", "lo", "--owners=kernel", "--json", "-d", str(duration),
                          "udp and host 127.0.0.1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    progs, links = wait_loaded(p)
    return p, bool(links)


def finish(p):
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    rows, summary = [], None
    for line in out.splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if obj.get("type") == "summary":
            summary = obj
        else:
            rows.append(obj)
    return rows, summary, err


def cmdline(binary, check, wait_loaded):
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    port = sink.getsockname()[1]
    p, ok = start(binary, wait_loaded, 4)
    if not ok:
        p.kill()
        check("short-lived cmdline: proctraf loaded", False, "no bpf link held")
        return
    kids, lives = {}, []
    for i in range(CMDLINE_PROCS):
        marker = "kshort-%d" % i
        t0 = time.monotonic()
        c = subprocess.Popen(["/usr/bin/python3", "-c", SHORT, str(port), marker])
        c.wait()
        lives.append(time.monotonic() - t0)
        kids[c.pid] = marker
        time.sleep(0.1)
    rows, summary, err = finish(p)
    sink.close()
    found = {r["pid"]: r for r in rows if r.get("pid") in kids}
    with_cmd = [pid for pid, r in found.items() if kids[pid] in (r.get("cmdline") or "")]
    check("short-lived cmdline: every process has its row (pid, python3)",
          len(found) == len(kids) and all(r["command"] == "python3" for r in found.values()),
          "rows %r for pids %r; stderr %r" % (rows, kids, err))
    check("short-lived cmdline: %d of %d processes (%.0f-%.0f ms each) have their command line"
          % (len(with_cmd), len(kids), min(lives) * 1000, max(lives) * 1000),
          len(with_cmd) >= CMDLINE_MIN,
          "only %d of %d (at least %d wanted): %r" % (len(with_cmd), len(kids), CMDLINE_MIN,
                                                     [(r["pid"], r.get("cmdline"))
                                                      for r in found.values()]))


def lost(binary, check, wait_loaded):
    for ring, name in (("4096", "4 KiB ring"), (None, "default ring")):
        env = dict(os.environ)
        env.pop("PROCTRAF_TEST_OWNER_RING", None)
        if ring:
            env["PROCTRAF_TEST_OWNER_RING"] = ring
        p, ok = start(binary, wait_loaded, 2, env)
        if not ok:
            p.kill()
            check("lost reports (%s): proctraf loaded" % name, False, "no bpf link held")
            continue
        subprocess.run(["/usr/bin/python3", "-c", BURST], check=True, timeout=60)
        rows, summary, err = finish(p)
        said = LOST_RE.findall(err)
        n = summary.get("owners_lost") if summary else None
        if ring:
            check("lost reports (%s): one warning, its count in the summary" % name,
                  len(said) == 1 and isinstance(n, int) and n > 0 and int(said[0]) == n,
                  "warnings %r, summary owners_lost %r; stderr %r" % (said, n, err))
        else:
            check("lost reports (%s): none lost, nothing said" % name,
                  not said and n == 0 and "lost" not in err,
                  "summary owners_lost %r; stderr %r" % (n, err))


def run(binary, check, wait_loaded):
    for t in (cmdline, lost):
        try:
            t(binary, check, wait_loaded)
        except Exception as e:      # counted, and the other checks still run
            check(t.__name__, False, "%s: %s" % (type(e).__name__, e))
