#!/usr/bin/env python3
"""inject.py - write crafted UDP/IPv4 frames through an AF_PACKET socket.

    inject.py IFACE SRC DST COUNT PAYLOAD [DELAY]

Opens socket(AF_PACKET, SOCK_RAW, 0) (protocol 0: it receives nothing, it
only sends), bound to IFACE, and holds no IP socket. After DELAY seconds
(default 0) it writes COUNT Ethernet frames, each an IPv4 header (20 bytes),
a UDP header (8) and PAYLOAD bytes, from SRC:40000 to DST:40001, then prints
one line "sent COUNT IPBYTES" (IPBYTES: the IP lengths summed, what proctraf
counts) and keeps the socket open until its standard input ends, so that a
pass over /proc may find who holds it.

The destination MAC is 02:00:00:00:00:01, an address no interface of the
test has: the receiving kernel (the veth peer, or loopback itself) takes the
frame as PACKET_OTHERHOST and drops it without an answer, so every frame
proctraf sees of this conversation is one the socket wrote.
"""
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
SPORT, DPORT = 40000, 40001
DST_MAC = bytes.fromhex("020000000001")


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def frame(src_mac, src, dst, payload, ident):
    udp_len = 8 + len(payload)
    ip_len = 20 + udp_len
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, ident, 0x4000, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    udp = struct.pack("!HHHH", SPORT, DPORT, udp_len, 0) + payload
    return DST_MAC + src_mac + struct.pack("!H", ETH_P_IP) + ip + udp, ip_len


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__.strip().splitlines()[2].strip())
    iface, src, dst = sys.argv[1:4]
    count, size = int(sys.argv[4]), int(sys.argv[5])
    delay = float(sys.argv[6]) if len(sys.argv) == 7 else 0.0
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((iface, 0))
    src_mac = s.getsockname()[4].ljust(6, b"\0")[:6]
    time.sleep(delay)
    total = 0
    for i in range(count):
        f, ip_len = frame(src_mac, src, dst, b"x" * size, i & 0xFFFF)
        s.send(f)
        total += ip_len
    print("sent %d %d" % (count, total), flush=True)
    sys.stdin.read()
    s.close()


if __name__ == "__main__":
    main()
