#!/usr/bin/env python3
"""Traffic generators for the live tests: programs that know exactly what they moved.

    gen.py tcp-server [-6] ADDR PORT --reply M [--pace S]
        accept one connection, read to EOF, send M bytes back, close
    gen.py tcp-client [-6] ADDR PORT --send N [--pace S]
        connect, send N bytes, shut down the sending side, read to EOF
    gen.py udp-server [-6] ADDR PORT --count K --size SIZE
        answer each of K datagrams with one of a varied size (about SIZE)
    gen.py udp-client [-6] ADDR PORT --count K --size SIZE [--connected] [--pace S]
        K datagrams of varied size (about SIZE) with sendto() on an unconnected
        socket bound to the wildcard address, or send() on a connected one;
        one reply read after each (lock-step: nothing piles up in a queue)
    gen.py ping ADDR --count K --size SIZE
        K ICMP echo requests from a ping socket (SOCK_DGRAM, IPPROTO_ICMP)
    gen.py udp-send [-6] ADDR PORT --count K --size SIZE [--pace S]
        K datagrams of varied size (about SIZE) with send() on a connected
        socket, no reply awaited (to a port nothing listens on, say)

-6 selects IPv6 (ADDR must then be an IPv6 address). --pace S spreads the
sending over about S seconds, so that clients started together overlap.
--comm NAME sets the process name (/proc/self/comm) before any socket is made.
Servers print "ready" once they listen. Everyone prints, at the end, one JSON
line: pid, comm, role, proto, family, laddr, lport, raddr, rport, sent and
recv (payload bytes), send_calls and recv_calls (and lost, for UDP clients).
Every wait is bounded (TIMEOUT seconds); nothing is retried forever.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

TIMEOUT = 10
UDP_REPLY_TIMEOUT = 2


def comm():
    with open("/proc/self/comm") as f:
        return f.read().rstrip("\n")


def report(role, proto, fam, local, remote, **kw):
    kw.update(pid=os.getpid(), comm=comm(), role=role, proto=proto,
              family=6 if fam == socket.AF_INET6 else 4,
              laddr=local[0], lport=local[1], raddr=remote[0], rport=remote[1])
    print(json.dumps(kw, sort_keys=True), flush=True)


def sizes(n, size, salt):
    """n varied datagram sizes around size (from size/2 to 3*size/2), deterministic."""
    return [max(1, size // 2 + (i * 37 + salt * 101) % (size + 1)) for i in range(n)]


class Pacer:
    """Sleeps between the steps of a job so that it lasts about `seconds`."""

    def __init__(self, seconds, steps):
        self.gap = seconds / max(1, steps)
        self.next = time.monotonic()

    def wait(self):
        self.next += self.gap
        delay = self.next - time.monotonic()
        if delay > 0:
            time.sleep(min(delay, 1.0))


def send_paced(sock, total, byte, pace, chunk=16384):
    """Send total bytes in chunk-sized steps spread over pace seconds; return send() calls."""
    data = byte * chunk
    pacer = Pacer(pace, (total + chunk - 1) // chunk)
    calls = 0
    left = total
    while left:
        step = min(left, chunk)
        view = memoryview(data)[:step]
        while view:
            n = sock.send(view)
            calls += 1
            view = view[n:]
        left -= step
        if left:
            pacer.wait()
    return calls


def recv_all(sock):
    """Read to EOF; return (bytes, recv() calls), the final empty read included."""
    got = calls = 0
    while True:
        d = sock.recv(65536)
        calls += 1
        if not d:
            return got, calls
        got += len(d)


def tcp_server(a):
    s = socket.socket(a.fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, a.port))
    s.listen(1)
    s.settimeout(TIMEOUT)
    print("ready", flush=True)
    c, peer = s.accept()
    s.close()
    c.settimeout(TIMEOUT)
    got, rcalls = recv_all(c)
    scalls = send_paced(c, a.reply, b"r", a.pace)
    c.shutdown(socket.SHUT_WR)
    report("server", "tcp", a.fam, c.getsockname(), peer, sent=a.reply, recv=got,
           send_calls=scalls, recv_calls=rcalls)
    c.close()


def tcp_client(a):
    s = socket.socket(a.fam, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.connect((a.addr, a.port))
    peer = s.getpeername()
    scalls = send_paced(s, a.send, b"s", a.pace)
    s.shutdown(socket.SHUT_WR)
    got, rcalls = recv_all(s)
    report("client", "tcp", a.fam, s.getsockname(), peer, sent=a.send, recv=got,
           send_calls=scalls, recv_calls=rcalls)
    s.close()


def udp_server(a):
    s = socket.socket(a.fam, socket.SOCK_DGRAM)
    s.bind((a.addr, a.port))
    s.settimeout(TIMEOUT)
    print("ready", flush=True)
    sent = got = calls = 0
    peer = ("", 0)
    for sz in sizes(a.count, a.size, 1):
        try:
            d, peer = s.recvfrom(65536)
        except socket.timeout:
            break
        calls += 1
        got += len(d)
        sent += s.sendto(b"u" * sz, peer)
    report("server", "udp", a.fam, s.getsockname(), peer[:2], sent=sent, recv=got,
           send_calls=calls, recv_calls=calls)


def udp_client(a):
    s = socket.socket(a.fam, socket.SOCK_DGRAM)
    s.settimeout(UDP_REPLY_TIMEOUT)
    dest = (a.addr, a.port)
    if a.connected:
        s.connect(dest)
    else:
        s.bind(("::" if a.fam == socket.AF_INET6 else "0.0.0.0", 0))
    pacer = Pacer(a.pace, a.count)
    sent = got = scalls = rcalls = lost = 0
    for sz in sizes(a.count, a.size, 0):
        data = b"c" * sz
        sent += s.send(data) if a.connected else s.sendto(data, dest)
        scalls += 1
        try:
            got += len(s.recv(65536))
            rcalls += 1
        except socket.timeout:
            lost += 1
        pacer.wait()
    report("client", "udp", a.fam, s.getsockname(), dest, sent=sent, recv=got,
           send_calls=scalls, recv_calls=rcalls, lost=lost, connected=a.connected)
    s.close()


def udp_send(a):
    s = socket.socket(a.fam, socket.SOCK_DGRAM)
    s.connect((a.addr, a.port))
    pacer = Pacer(a.pace, a.count)
    sent = calls = 0
    for sz in sizes(a.count, a.size, 2):
        try:
            sent += s.send(b"n" * sz)
        except ConnectionRefusedError:      # the ICMP error of the one before
            sent += s.send(b"n" * sz)
        calls += 1
        pacer.wait()
    report("client", "udp", a.fam, s.getsockname(), (a.addr, a.port), sent=sent, recv=0,
           send_calls=calls, recv_calls=0)
    s.close()


def set_comm(name):
    """prctl(PR_SET_NAME): the name /proc/PID/comm shows (15 bytes at most)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(15, name.encode()[:15], 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")


def ping(a):
    """Echo requests from an ICMP datagram ("ping") socket; the kernel sets the id."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    s.settimeout(UDP_REPLY_TIMEOUT)
    s.connect((a.addr, 0))
    pacer = Pacer(a.pace, a.count)
    got = rcalls = 0
    for seq in range(a.count):
        s.send(struct.pack(">BBHHH", 8, 0, 0, 0, seq) + b"i" * a.size)
        try:
            got += len(s.recv(65536))
            rcalls += 1
        except socket.timeout:
            pass
        pacer.wait()
    report("client", "icmp", socket.AF_INET, s.getsockname(), (a.addr, 0),
           sent=a.count * (8 + a.size), recv=got, send_calls=a.count, recv_calls=rcalls,
           count=a.count)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["tcp-server", "tcp-client", "udp-server", "udp-client",
                                    "ping", "udp-send"])
    p.add_argument("-6", dest="v6", action="store_true", help="IPv6")
    p.add_argument("addr")
    p.add_argument("port", type=int, nargs="?", default=0)
    p.add_argument("--send", type=int, default=0)
    p.add_argument("--reply", type=int, default=0)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--pace", type=float, default=0.0)
    p.add_argument("--connected", action="store_true")
    p.add_argument("--comm")
    a = p.parse_args(argv[1:])
    a.fam = socket.AF_INET6 if a.v6 else socket.AF_INET
    try:
        socket.inet_pton(a.fam, a.addr)
    except OSError:
        p.error("%s is not an IPv%d address" % (a.addr, 6 if a.v6 else 4))
    if a.comm:
        set_comm(a.comm)
    {"tcp-server": tcp_server, "tcp-client": tcp_client, "udp-server": udp_server,
     "udp-client": udp_client, "ping": ping, "udp-send": udp_send}[a.mode](a)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
