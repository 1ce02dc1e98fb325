"""Child processes for the live tests and the accuracy benchmark: commands in
a network namespace, lines read with a deadline, an end with a bound.
(tests/live/live.py and bench/accuracy/accuracy.py import it.)"""
import os
import select
import signal
import subprocess
import time


class Overtime(BaseException):
    """The whole run took too long (not an Exception: no case may swallow it)."""


def in_ns(ns, *cmd):
    """cmd run in network namespace ns (ip netns exec); arguments as strings."""
    return ["ip", "netns", "exec", ns] + [str(c) for c in cmd]


def readline(f, timeout):
    """One line of an unbuffered pipe, or None at EOF / after timeout seconds."""
    end = time.monotonic() + timeout
    buf = b""
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([f], [], [], left)[0]:
            return None
        c = os.read(f.fileno(), 1)
        if not c:
            return None
        if c == b"\n":
            return buf.decode(errors="replace")
        buf += c


def wait_for(stream, want, timeout=10):
    """True once a line of stream contains want; False at EOF or after timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = readline(stream, end - time.monotonic())
        if line is None:
            return False
        if want in line:
            return True
    return False


def finish(p, timeout, sig=None):
    """(exit status, stdout, stderr) of p, after sig if given; killed after timeout."""
    if sig is not None and p.poll() is None:
        p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        timed_out = True
    out = (out or b"").decode(errors="replace")
    err = (err or b"").decode(errors="replace") + (" (killed: timed out)" if timed_out else "")
    return (None if timed_out else p.returncode), out, err


def teardown(children, keep=()):
    """Kill and reap every process of children but those in keep; children
    keeps only those."""
    for p in children:
        if p in keep:
            continue
        if p.poll() is None:
            p.kill()
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    children[:] = [p for p in children if p in keep]


def on_signal(sig, _frame):
    """Handler: a signal ends the run as an exit with 128 + its number."""
    raise SystemExit(128 + sig)


def on_alarm(_sig, _frame):
    """Handler: the run's time limit (SIGALRM)."""
    raise Overtime()


def quiet():
    """No more alarm, and no signal may cut the teardown short."""
    signal.alarm(0)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)


def install_handlers(time_limit):
    """SIGINT, SIGTERM and SIGHUP end the run (on_signal); after time_limit
    seconds SIGALRM raises Overtime."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(time_limit)
