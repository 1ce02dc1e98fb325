#!/usr/bin/env python3
"""A TCP exchange on loopback that stays open until told: for the -w tests.

    hold.py server PORT COMM_HEX STOP    listen on 127.0.0.1:PORT, print "ready",
                                         accept one connection, read 1000 bytes,
                                         send 2000
    hold.py client PORT COMM_HEX STOP    connect, send 1000 bytes, read 2000

COMM_HEX: the process name as hex bytes (any bytes, 15 at most; "" keeps
python3's), set with prctl(PR_SET_NAME) before any socket is made. Both keep
their socket open until the file STOP exists (30 s at most), so that a /proc
pass made after their packets (a pipe's last one) still finds them; then
each prints one JSON line: pid, comm (hex, as /proc/self/comm reads it).
"""
import ctypes
import json
import os
import socket
import sys
import time

PR_SET_NAME = 15
WAIT = 30


def set_comm(name):
    if name:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl")


def comm_hex():
    with open("/proc/self/comm", "rb") as f:
        return f.read().rstrip(b"\n").hex()


def recv_n(sock, n):
    got = 0
    while got < n:
        b = sock.recv(n - got)
        if not b:
            break
        got += len(b)
    return got


def hold(stop):
    end = time.monotonic() + WAIT
    while not os.path.exists(stop) and time.monotonic() < end:
        time.sleep(0.05)


def main(argv):
    if len(argv) != 5 or argv[1] not in ("server", "client"):
        print(__doc__, file=sys.stderr)
        return 2
    role, port, name, stop = argv[1], int(argv[2]), bytes.fromhex(argv[3]), argv[4]
    set_comm(name)
    if role == "server":
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", port))
        ls.listen(1)
        print("ready", flush=True)
        ls.settimeout(WAIT)
        s, _ = ls.accept()
        s.settimeout(WAIT)
        recv_n(s, 1000)
        s.sendall(b"s" * 2000)
    else:
        s = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        s.sendall(b"c" * 1000)
        recv_n(s, 2000)
    print("done", flush=True)
    hold(stop)
    print(json.dumps({"pid": os.getpid(), "comm": comm_hex()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
