#!/usr/bin/env python3
"""UDP bursts on loopback for the TSan run: for SECONDS seconds (argv[1]),
about a thousand short-lived UDP sockets a second, each sending one
datagram to a sink and closed 50 ms later: flows whose sockets the
resolver learns, then sees go, so that its rounds of forgetting run."""
import socket
import sys
import time


def main():
    end = time.monotonic() + float(sys.argv[1])
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.setblocking(False)
    port = sink.getsockname()[1]
    held = []
    while time.monotonic() < end:
        for _ in range(10):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.sendto(b"burst", ("127.0.0.1", port))
            held.append((time.monotonic(), s))
        while held and held[0][0] < time.monotonic() - 0.05:
            held.pop(0)[1].close()
        try:
            while sink.recv(64):
                pass
        except BlockingIOError:
            pass
        time.sleep(0.01)


if __name__ == "__main__":
    main()
