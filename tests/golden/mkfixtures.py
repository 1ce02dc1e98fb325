#!/usr/bin/env python3
"""Write the golden tests' captures, /proc fixture and ledger (deterministic).

mkfixtures.py   (run from anywhere; writes next to itself)

captures/*.pcap(ng)  small captures of every link type and hard case
proc/                a /proc stand-in: net tables, local addresses, processes
ledger.json          for every capture, where each packet must land: which
                     process sends it, which receives it, or which unknown row
verify.py checks proctraf's CSV against the ledger, independently of the
expected files.
"""
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CAP = os.path.join(HERE, "captures")
PROC = os.path.join(HERE, "proc")

V4 = lambda s: bytes(int(x) for x in s.split("."))


def V6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


# ---- the /proc fixture ----------------------------------------------------

# pid: (comm, uid, cmdline args, [inodes])
PROCS = {
    100: ("curl", 0, ["curl", "-s", "https://example.org/"], [1001]),
    200: ("resolver", 65534, ["resolver", "--port", "5353"], [2001]),
    300: ("web6", 0, ["web6"], [3001, 3002]),
    400: ("sender", 0, ["sender"], [4001]),
    401: ("receiver", 0, ["receiver"], [4002]),
    500: ("dual", 0, ["dual", "--listen", "[::]:8080"], [5001]),
    600: ('a,b"c\td', 0, ["=cmd", "line\nbreak\xff", "x\\y"], [6001]),
    700: ("parent", 0, ["parent"], [7001]),
    701: ("child", 0, ["child"], [7001]),
    800: ("ping", 0, ["ping", "9.9.9.9"], [8001]),
    801: ("gre-tun", 0, ["gre-tun"], [8002]),
}

# (table, local, lport, remote, rport, state, inode)
SOCKETS = [
    ("tcp", "10.0.0.5", 40000, "93.184.216.34", 443, 1, 1001),
    ("udp", "10.0.0.5", 5353, "10.0.0.9", 53, 1, 2001),
    ("tcp6", "2001:db8::5", 50000, "2001:db8::99", 80, 1, 3001),
    ("udp6", "::", 5000, "::", 0, 7, 3002),
    ("udp", "127.0.0.1", 6000, "0.0.0.0", 0, 7, 4001),
    ("udp", "127.0.0.1", 7000, "0.0.0.0", 0, 7, 4002),
    ("tcp6", "::", 8080, "::", 0, 10, 5001),
    ("tcp", "10.0.0.5", 41000, "1.2.3.4", 80, 6, 0),          # TIME_WAIT
    ("tcp", "10.0.0.5", 42000, "1.2.3.4", 81, 1, 9999),       # nobody holds 9999
    ("udp", "0.0.0.0", 9000, "0.0.0.0", 0, 7, 6001),
    ("tcp", "10.0.0.5", 43000, "5.6.7.8", 22, 1, 7001),
    ("icmp", "0.0.0.0", 0x1234, "0.0.0.0", 0, 7, 8001),       # ping socket, echo id
    ("raw", "0.0.0.0", 47, "0.0.0.0", 0, 7, 8002),            # raw socket for GRE
]


def hexaddr(table, a):
    raw = V6(a) if table.endswith("6") else V4(a)
    return "".join("%08X" % struct.unpack("<I", raw[i:i + 4])[0] for i in range(0, len(raw), 4))


def write(path, data, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(data)


def make_proc():
    shutil.rmtree(PROC, ignore_errors=True)
    head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    tables = {t: [head] for t in ("tcp", "tcp6", "udp", "udp6", "icmp", "raw")}
    for t, la, lp, ra, rp, st, ino in SOCKETS:
        n = len(tables[t]) - 1
        tables[t].append("%4d: %s:%04X %s:%04X %02X 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 20 4 30 10 -1\n"
                         % (n, hexaddr(t, la), lp, hexaddr(t, ra), rp, st, ino))
    for t, lines in tables.items():
        write(os.path.join(PROC, "net", t), "".join(lines))
    write(os.path.join(PROC, "net", "fib_trie"),
          "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n"
          "Local:\n  +-- 0.0.0.0/0 3 0 5\n     +-- 127.0.0.0/8 2 0 2\n"
          "           |-- 127.0.0.0\n              /8 host LOCAL\n"
          "           |-- 127.0.0.1\n              /32 host LOCAL\n"
          "        |-- 127.255.255.255\n           /32 link BROADCAST\n"
          "           |-- 10.0.0.5\n              /32 host LOCAL\n"
          "        |-- 10.0.0.0\n           /24 link UNICAST\n")
    write(os.path.join(PROC, "net", "if_inet6"),
          "00000000000000000000000000000001 01 80 10 80       lo\n"
          "20010db8000000000000000000000005 02 40 00 80     eth0\n")
    for pid, (comm, uid, args, inodes) in PROCS.items():
        d = os.path.join(PROC, str(pid))
        write(os.path.join(d, "comm"), (comm + "\n").encode("latin-1"), "wb")
        write(os.path.join(d, "status"), "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t%d\t%d\t%d\t%d\n"
              % (comm.replace("\t", " "), uid, uid, uid, uid))
        write(os.path.join(d, "cmdline"), b"".join(a.encode("latin-1") + b"\0" for a in args), "wb")
        write(os.path.join(d, "stat"), "%d (%s) S 1 %d %d 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %d 0 0\n"
              % (pid, comm, pid, pid, 1000 + pid))
        os.makedirs(os.path.join(d, "fd"))
        os.symlink("/dev/null", os.path.join(d, "fd", "0"))
        os.symlink("pipe:[77]", os.path.join(d, "fd", "1"))
        for k, ino in enumerate(inodes):
            os.symlink("socket:[%d]" % ino, os.path.join(d, "fd", str(3 + k)))


# ---- packets ---------------------------------------------------------------

def l4(proto, sport, dport, payload):
    if proto == 6:
        return struct.pack(">HHIIBBHHH", sport, dport, 1, 1, 0x50, 0x18, 65535, 0, 0) + b"p" * payload
    if proto == 17:
        return struct.pack(">HHHH", sport, dport, 8 + payload, 0) + b"p" * payload
    if proto == 1:                        # sport: ICMP type, dport: echo id
        return struct.pack(">BBHHH", sport, 0, 0, dport, 1) + b"p" * payload
    return b"g" * (4 + payload)


def ipv4(src, dst, proto, body, options=b"", ident=1, frag=0x4000, total=None):
    ihl = 5 + len(options) // 4
    length = total if total is not None else 20 + len(options) + len(body)
    return struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, length, ident, frag, 64, proto, 0,
                       V4(src), V4(dst)) + options + body


def ipv6(src, dst, proto, body, ext=()):
    nh, chain = proto, b""
    for kind, data in reversed(ext):          # build from the inside out
        hdr = bytes([nh, (len(data) + 2) // 8 - 1]) + data
        chain = hdr + chain
        nh = kind
    payload = chain + body
    return struct.pack(">IHBB16s16s", 6 << 28, len(payload), nh, 64, V6(src), V6(dst)) + payload


def eth(ip, tags=(), etype=None):
    if etype is None:
        etype = 0x86DD if ip[0] >> 4 == 6 else 0x0800
    hdr = b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02"
    for t in tags:
        hdr += struct.pack(">HH", 0x8100, t)
    return hdr + struct.pack(">H", etype) + ip


def sll(ip, out=False):
    etype = 0x86DD if ip[0] >> 4 == 6 else 0x0800
    return struct.pack(">HHH8sH", 4 if out else 0, 1, 6, b"\2" * 6 + b"\0\0", etype) + ip


def sll2(ip, out=False):
    etype = 0x86DD if ip[0] >> 4 == 6 else 0x0800
    return struct.pack(">HHIHBB8s", etype, 0, 2, 1, 4 if out else 0, 6, b"\2" * 6 + b"\0\0") + ip


ARP = (b"\xff" * 6 + b"\x02\0\0\0\0\x01" + b"\x08\x06" + b"\0\x01\x08\0\x06\x04\0\x01"
       + b"\x02\0\0\0\0\x01" + V4("10.0.0.5") + b"\0" * 6 + V4("10.0.0.9"))


class Capture:
    def __init__(self, name, linktype):
        self.name, self.linktype, self.frames, self.ledger = name, linktype, [], []

    def add(self, frame, iplen=None, sender=None, receiver=None, unknown=None, src_local=True,
            kind="ip", ts=None):
        """sender/receiver: pids; unknown: reason; kind: ip, not-ip or malformed."""
        ts = ts if ts is not None else len(self.frames) * 0.1
        self.frames.append((ts, frame))
        self.ledger.append(dict(iplen=iplen, sender=sender, receiver=receiver, unknown=unknown,
                                src_local=src_local, kind=kind, ts=ts))

    def pcap(self, snap=None):
        out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, self.linktype)
        for ts, f in self.frames:
            cap = f if snap is None else f[:snap]
            out += struct.pack("<IIII", int(ts), int(round(ts % 1 * 1e6)), len(cap), len(f)) + cap
        return out

    def pcapng(self):
        def block(btype, body):
            body += b"\0" * (-len(body) % 4)
            n = 12 + len(body)
            return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
        out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
        out += block(1, struct.pack("<HHI", self.linktype, 0, 262144))
        for ts, f in self.frames:
            us = int(round(ts * 1e6))
            out += block(6, struct.pack("<IIIII", 0, us >> 32, us & 0xFFFFFFFF, len(f), len(f)) + f)
        return out


def tcp4(src, sp, dst, dp, n, **kw):
    ip = ipv4(src, dst, 6, l4(6, sp, dp, n), **kw)
    return ip, len(ip)


def main():
    make_proc()
    shutil.rmtree(CAP, ignore_errors=True)
    os.makedirs(CAP)
    caps = []

    # Ethernet: curl over TCP (one packet with IP options), a VLAN- and a
    # QinQ-tagged DNS exchange, ARP, a short frame padded to 60 bytes.
    c = Capture("en10mb", 1)
    for i in range(3):
        ip, n = tcp4("10.0.0.5", 40000, "93.184.216.34", 443, 100 * i)
        c.add(eth(ip), n, sender=100)
        ip, n = tcp4("93.184.216.34", 443, "10.0.0.5", 40000, 1400)
        c.add(eth(ip), n, receiver=100, src_local=False)
    ip, n = tcp4("10.0.0.5", 40000, "93.184.216.34", 443, 10, options=b"\x01\x01\x01\x00")
    c.add(eth(ip), n, sender=100)
    ip, n = tcp4("10.0.0.5", 40000, "93.184.216.34", 443, 0)
    c.add(eth(ip) + b"\0" * 6, n, sender=100)                 # Ethernet padding
    ip = ipv4("10.0.0.5", "10.0.0.9", 17, l4(17, 5353, 53, 33))
    c.add(eth(ip, tags=(10,)), len(ip), sender=200)
    ip = ipv4("10.0.0.9", "10.0.0.5", 17, l4(17, 53, 5353, 120))
    c.add(eth(ip, tags=(20, 10)), len(ip), receiver=200, src_local=False)
    c.add(ARP, kind="not-ip")
    c.add(ARP, kind="not-ip")
    caps.append(c)

    # LINUX_SLL: IPv6 TCP with an extension header chain, UDP to a :: socket.
    c = Capture("sll", 113)
    for i in range(2):
        ip = ipv6("2001:db8::5", "2001:db8::99", 6, l4(6, 50000, 80, 200 + i),
                  ext=((0, b"\x01\x04\0\0\0\0"), (60, b"\x01\x04\0\0\0\0")))
        c.add(sll(ip, out=True), len(ip), sender=300)
        ip = ipv6("2001:db8::99", "2001:db8::5", 6, l4(6, 80, 50000, 1000))
        c.add(sll(ip), len(ip), receiver=300, src_local=False)
    ip = ipv6("2001:db8::77", "2001:db8::5", 17, l4(17, 6666, 5000, 64))
    c.add(sll(ip), len(ip), receiver=300, src_local=False)
    caps.append(c)

    # LINUX_SLL2: IPv4 to a dual-stack [::]:8080 listener; TIME_WAIT; an
    # inode nobody holds.
    c = Capture("sll2", 276)
    ip, n = tcp4("10.0.0.7", 33333, "10.0.0.5", 8080, 500)
    c.add(sll2(ip), n, receiver=500, src_local=False)
    ip, n = tcp4("10.0.0.5", 8080, "10.0.0.7", 33333, 50)
    c.add(sll2(ip, out=True), n, sender=500)
    ip, n = tcp4("10.0.0.5", 41000, "1.2.3.4", 80, 0)
    c.add(sll2(ip, out=True), n, unknown="no-process")
    ip, n = tcp4("1.2.3.4", 81, "10.0.0.5", 42000, 300)
    c.add(sll2(ip), n, unknown="no-process", src_local=False)
    caps.append(c)

    # RAW: loopback UDP between two local processes; a fragmented datagram
    # from the wildcard :9000 socket (first fragment, then a later one).
    c = Capture("raw", 101)
    for i in range(3):
        ip = ipv4("127.0.0.1", "127.0.0.1", 17, l4(17, 6000, 7000, 10 + i))
        c.add(ip, len(ip), sender=400, receiver=401)
    ip = ipv4("127.0.0.1", "127.0.0.1", 17, l4(17, 7000, 6000, 99))
    c.add(ip, len(ip), sender=401, receiver=400)
    body = l4(17, 9000, 53, 2000)
    first = ipv4("10.0.0.5", "8.8.4.4", 17, body[:1480], ident=77, frag=0x2000)
    later = ipv4("10.0.0.5", "8.8.4.4", 17, body[1480:], ident=77, frag=1480 // 8)
    c.add(first, len(first), sender=600)
    c.add(later, len(later), sender=600)
    caps.append(c)

    # NULL (host order) and LOOP (network order): a socket shared after fork.
    for name, lt, hdr in (("null", 0, struct.pack("<I", 2)), ("loop", 108, struct.pack(">I", 2))):
        c = Capture(name, lt)
        ip, n = tcp4("10.0.0.5", 43000, "5.6.7.8", 22, 48)
        c.add(hdr + ip, n, sender=700)
        ip, n = tcp4("5.6.7.8", 22, "10.0.0.5", 43000, 512)
        c.add(hdr + ip, n, receiver=700, src_local=False)
        caps.append(c)

    # Unattributed traffic of every kind.
    c = Capture("unknown", 101)
    ip, n = tcp4("10.0.0.5", 44444, "9.9.9.9", 443, 10)
    c.add(ip, n, unknown="no-socket")
    ip, n = tcp4("9.9.9.9", 443, "10.0.0.5", 44444, 20)
    c.add(ip, n, unknown="no-socket", src_local=False)
    ip, n = tcp4("8.8.8.8", 1000, "9.9.9.9", 2000, 30)
    c.add(ip, n, unknown="not-local", src_local=False)
    ip = ipv4("10.0.0.5", "9.9.9.9", 1, l4(1, 8, 0x1234, 56))   # ping socket's echo
    c.add(ip, len(ip), sender=800)
    ip = ipv4("9.9.9.9", "10.0.0.5", 1, l4(1, 0, 0x1234, 56))   # and its reply
    c.add(ip, len(ip), receiver=800, src_local=False)
    ip = ipv4("10.0.0.5", "9.9.9.9", 1, l4(1, 8, 0x4321, 56))   # an echo id nobody has
    c.add(ip, len(ip), unknown="no-socket")
    ip = ipv4("9.9.9.9", "10.0.0.5", 1, l4(1, 3, 0, 28))        # unreachable: no id
    c.add(ip, len(ip), unknown="no-socket", src_local=False)
    ip = ipv4("10.0.0.5", "9.9.9.9", 47, l4(47, 0, 0, 40))      # raw GRE socket
    c.add(ip, len(ip), sender=801)
    ip = ipv4("10.0.0.5", "9.9.9.9", 50, l4(50, 0, 0, 40))      # ESP: nobody
    c.add(ip, len(ip), unknown="no-socket")
    ip = ipv4("8.8.8.8", "10.0.0.5", 17, l4(17, 53, 9000, 70))   # wildcard :9000
    c.add(ip, len(ip), receiver=600, src_local=False)
    ip = ipv4("8.8.8.8", "10.0.0.6", 17, l4(17, 53, 9000, 70))   # not ours: no wildcard
    c.add(ip, len(ip), unknown="not-local", src_local=False)
    caps.append(c)

    # Malformed: every kind of cut and lie, around two good packets.
    c = Capture("malformed", 1)
    good, n = tcp4("10.0.0.5", 40000, "93.184.216.34", 443, 5)
    c.add(eth(good), n, sender=100)
    c.add(b"\x02\0\0\0\0\x01\x02\0\0", kind="malformed")         # shorter than Ethernet
    c.add(eth(good)[:14 + 10], kind="malformed")                  # IPv4 header cut
    c.add(eth(good)[:14 + 20 + 6], kind="malformed")              # TCP header cut
    bad = bytearray(good); bad[0] = 0x44                          # IHL 4
    c.add(eth(bytes(bad)), kind="malformed")
    bad = bytearray(good); bad[0] = 0x65                          # version 6 in an IPv4 frame
    c.add(eth(bytes(bad), etype=0x0800), kind="malformed")
    c.add(eth(ipv4("10.0.0.5", "9.9.9.9", 6, l4(6, 1, 2, 0), total=12)), kind="malformed")
    c.add(eth(ipv4("10.0.0.5", "9.9.9.9", 6, l4(6, 1, 2, 0), total=900)), kind="malformed")
    v6 = ipv6("2001:db8::5", "2001:db8::99", 6, l4(6, 50000, 80, 0), ext=((0, b"\x01\x04\0\0\0\0"),))
    c.add(eth(v6[:40 + 4]), kind="malformed")                     # extension header cut
    chain = tuple((60, b"\x01\x04\0\0\0\0") for _ in range(20))
    c.add(eth(ipv6("2001:db8::5", "2001:db8::99", 6, l4(6, 1, 2, 0), ext=chain)), kind="malformed")
    c.add(eth(good, tags=(1,) * 9), kind="malformed")            # too many VLAN tags
    good, n = tcp4("93.184.216.34", 443, "10.0.0.5", 40000, 7)
    c.add(eth(good), n, receiver=100, src_local=False)
    caps.append(c)

    ledger = {}
    for c in caps:
        with open(os.path.join(CAP, c.name + ".pcap"), "wb") as f:
            f.write(c.pcap())
        ledger[c.name + ".pcap"] = c.ledger
    ng = caps[0]
    with open(os.path.join(CAP, "en10mb.pcapng"), "wb") as f:
        f.write(ng.pcapng())
    ledger["en10mb.pcapng"] = ng.ledger
    with open(os.path.join(CAP, "corrupt.pcap"), "wb") as f:
        f.write(b"this is not a capture file at all\n" * 3)
    with open(os.path.join(CAP, "truncated.pcap"), "wb") as f:
        f.write(caps[0].pcap()[:24 + 16 + 30])
    with open(os.path.join(HERE, "ledger.json"), "w") as f:
        json.dump(ledger, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
