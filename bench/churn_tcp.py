#!/usr/bin/env python3
"""churn_tcp.py SECONDS RATE: for SECONDS, about RATE short TCP
connections a second on loopback, each from a new port to a new address
of 127/8 (a listener on the wildcard takes them all), closed by the
client at once, which leaves it in TIME_WAIT for a minute: what a busy
host's sockets look like to the resolver's passes (bench/forget_live.sh).
Prints the number of connections made."""
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
        c.close()


def main():
    secs, rate = float(sys.argv[1]), int(sys.argv[2])
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", 0))
    srv.listen(1024)
    port = srv.getsockname()[1]
    threading.Thread(target=serve, args=(srv,), daemon=True).start()
    made, start = 0, time.monotonic()
    while time.monotonic() < start + secs:
        due = int((time.monotonic() - start) * rate)
        while made < due:
            dst = "127.%d.%d.%d" % (1 + made // 65536 % 250, made // 256 % 256, 1 + made % 250)
            try:
                c = socket.create_connection((dst, port), timeout=1)
                c.close()
            except OSError:
                pass
            made += 1
        time.sleep(0.005)
    print(made)


if __name__ == "__main__":
    main()
