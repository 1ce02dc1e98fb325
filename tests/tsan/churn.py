#!/usr/bin/env python3
"""Loopback churn for the TSan run: new TCP connections every 10 ms, one in
ten from a new short-lived process, for SECONDS seconds (argv[1])."""
import os
import socket
import sys
import threading
import time


def serve(srv):
    while True:
        try:
            c, _ = srv.accept()
        except OSError:
            return
        with c:
            c.recv(64)
            c.sendall(b"x" * 512)


def main():
    end = time.monotonic() + float(sys.argv[1])
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    port = srv.getsockname()[1]
    threading.Thread(target=serve, args=(srv,), daemon=True).start()
    n = 0
    while time.monotonic() < end:
        n += 1
        if n % 10 == 0 and os.fork() == 0:
            with socket.create_connection(("127.0.0.1", port)) as c:
                c.sendall(b"hello")
                c.recv(1024)
            os._exit(0)
        with socket.create_connection(("127.0.0.1", port)) as c:
            c.sendall(b"hello")
            c.recv(1024)
        time.sleep(0.01)
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass


if __name__ == "__main__":
    main()
