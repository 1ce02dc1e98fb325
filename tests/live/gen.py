#!/usr/bin/env python3
"""Traffic generators for the live tests: they know exactly what they moved.

gen.py tcp-server ADDR PORT REPLY        serve one connection: read to EOF, send REPLY bytes
gen.py tcp-client ADDR PORT SEND         connect, send SEND bytes, shut down, read to EOF
gen.py udp-server ADDR PORT N SIZE       answer N datagrams, each with SIZE bytes
gen.py ping ADDR N SIZE                  N echo requests from a ping socket
gen.py udp-client ADDR PORT N SIZE [--connected]
                                         send N datagrams of varied size (SIZE +- 50%),
                                         read N replies
Clients print one JSON line: pid, local and remote endpoint, payload bytes
and datagrams (or segments' payload) sent and received. Every wait is bounded.
"""
import json
import os
import socket
import struct
import sys
import time

TIMEOUT = 10


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def report(sock, **kw):
    local = sock.getsockname()
    remote = kw.pop("remote")
    with open("/proc/self/comm") as f:
        comm = f.read().rstrip("\n")
    kw.update(pid=os.getpid(), comm=comm, laddr=local[0], lport=local[1],
              raddr=remote[0], rport=remote[1])
    print(json.dumps(kw), flush=True)


def tcp_server(addr, port, reply):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(TIMEOUT)
    print("ready", flush=True)
    c, _ = s.accept()
    c.settimeout(TIMEOUT)
    got = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        got += len(d)
    c.sendall(b"r" * reply)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    c.close()


def tcp_client(addr, port, send):
    s = socket.create_connection((addr, port), timeout=TIMEOUT)
    peer = s.getpeername()
    time.sleep(0.2)                     # let the resolver meet us
    chunk = b"s" * 16384
    left = send
    while left:
        n = s.send(chunk[:min(left, len(chunk))])
        left -= n
    s.shutdown(socket.SHUT_WR)
    got = 0
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += len(d)
    report(s, proto="tcp", remote=peer, sent=send, recv=got)
    s.close()


def sizes(n, size):
    return [max(1, size // 2 + (i * 37) % (size + 1)) for i in range(n)]


def udp_server(addr, port, n, size):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.settimeout(TIMEOUT)
    print("ready", flush=True)
    for i in range(n):
        try:
            _, peer = s.recvfrom(65536)
        except socket.timeout:
            break
        s.sendto(b"u" * size, peer)


def udp_client(addr, port, n, size, connected):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    if connected:
        s.connect((addr, port))
    else:
        s.bind(("::" if ":" in addr else "0.0.0.0", 0))
    time.sleep(0.2)
    sent = recv = 0
    for sz in sizes(n, size):
        if connected:
            s.send(b"c" * sz)
        else:
            s.sendto(b"c" * sz, (addr, port))
        sent += sz
        recv += len(s.recv(65536))      # lock-step: nothing in flight is lost
    report(s, proto="udp", remote=(addr, port), sent=sent, recv=recv, datagrams=n)


def ping(addr, n, size):
    """Echo requests from an ICMP datagram ("ping") socket; the kernel sets the id."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
    s.settimeout(TIMEOUT)
    s.connect((addr, 0))
    time.sleep(0.2)
    got = 0
    for seq in range(n):
        s.send(struct.pack(">BBHHH", 8, 0, 0, 0, seq) + b"i" * size)
        got += len(s.recv(65536))
    time.sleep(0.3)     # outlive the traffic: exiting within ms of it is issue 3's race
    report(s, proto="icmp", remote=(addr, 0), sent=n * (8 + size), recv=got, count=n)


def main(argv):
    mode = argv[1]
    if mode == "tcp-server":
        tcp_server(argv[2], int(argv[3]), int(argv[4]))
    elif mode == "tcp-client":
        tcp_client(argv[2], int(argv[3]), int(argv[4]))
    elif mode == "udp-server":
        udp_server(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    elif mode == "udp-client":
        udp_client(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), "--connected" in argv)
    elif mode == "ping":
        ping(argv[2], int(argv[3]), int(argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
