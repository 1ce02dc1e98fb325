#!/usr/bin/env python3
"""Exact IP bytes per directed tuple, from a `tcpdump -i any -y LINUX_SLL2 -w` file.

    truth.py FILE [IFINDEX...]     one JSON line per directed tuple
    truth.py --selftest

A directed tuple is (proto, src, sport, dst, dport): proto is the IP
protocol number; TCP and UDP carry their ports; an ICMP or ICMPv6 echo
request carries its identifier as sport (dport 0), an echo reply as dport
(sport 0), so that both land on the flow [proto, laddr, ID, raddr, 0] of the
socket that sent the request; every other protocol has ports 0, 0. Later IP
fragments get the ports of their first fragment. Bytes are what proctraf
counts: the IP length field (IPv4 total length; IPv6 40 + payload length).

Only the packets captured on the given interfaces (LINUX_SLL2 records carry
the interface index) are counted in the table, so that a packet that crosses
two interfaces of the capturing namespace (forwarded, or bridged) is counted
once; records are counted per interface as well. Records are read with
tests/live/pcaptruth.py.
"""
import ipaddress
import json
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "live"))
import pcaptruth  # noqa: E402

LINK_SLL2 = 276
ETH_IP4, ETH_IP6 = 0x0800, 0x86DD
V6_EXT = (0, 43, 60)


def decode(ip, first_ports):
    """(proto, src, sport, dst, dport, ip_len) of an IP packet, else None."""
    if not ip:
        return None
    v = ip[0] >> 4
    frag = None                                 # (id, is_first)
    if v == 4 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        length, proto = struct.unpack(">H", ip[2:4])[0], ip[9]
        ident, fo = struct.unpack(">HH", ip[4:8])
        src, dst, l4 = ip[12:16], ip[16:20], ip[ihl:]
        if fo & 0x3FFF:
            frag = (ident, fo & 0x1FFF == 0)
    elif v == 6 and len(ip) >= 40:
        length, proto = struct.unpack(">H", ip[4:6])[0] + 40, ip[6]
        src, dst, l4 = ip[8:24], ip[24:40], ip[40:]
        while (proto in V6_EXT or proto == 44) and len(l4) >= 8:
            if proto == 44:
                fo, ident = struct.unpack(">HI", l4[2:8])
                frag = (ident, fo & 0xFFF8 == 0)
                proto, l4 = l4[0], l4[8:]
            else:
                n = (l4[1] + 1) * 8
                proto, l4 = l4[0], l4[n:]
    else:
        return None
    key = (src, dst, proto, frag and frag[0])
    if frag and not frag[1]:                    # a later fragment: no transport header
        sport, dport = first_ports.get(key, (0, 0))
    else:
        sport = dport = 0
        if proto in (6, 17) and len(l4) >= 4:
            sport, dport = struct.unpack(">HH", l4[:4])
        elif proto in (1, 58) and len(l4) >= 6:
            typ, ident = l4[0], struct.unpack(">H", l4[4:6])[0]
            if typ in (8, 128):                 # echo request
                sport = ident
            elif typ in (0, 129):               # echo reply
                dport = ident
        if frag:
            first_ports[key] = (sport, dport)
    return (proto, str(ipaddress.ip_address(src)), sport, str(ipaddress.ip_address(dst)),
            dport, length)


def sll2(frame):
    """(ifindex, pkttype, IP packet or None) of a LINUX_SLL2 record."""
    if len(frame) < 20:
        return None, None, None
    etype, _, ifindex, _, pkttype = struct.unpack(">HHIHB", frame[:11])
    return ifindex, pkttype, frame[20:] if etype in (ETH_IP4, ETH_IP6) else None


class Table:
    """tuples: {(proto, src, sport, dst, dport): [bytes, packets]} on the chosen interfaces;
    records: all records; per_if: {ifindex: records}."""

    def __init__(self, data, ifindexes):
        self.tuples = {}
        self.records = 0
        self.per_if = {}
        first_ports = {}
        want = set(ifindexes)
        for linktype, frame in pcaptruth.records(data):
            if linktype != LINK_SLL2:
                raise pcaptruth.PcapError("link type %d, want LINUX_SLL2 (276)" % linktype)
            self.records += 1
            ifindex, _, ip = sll2(frame)
            self.per_if[ifindex] = self.per_if.get(ifindex, 0) + 1
            if ifindex not in want:
                continue
            t = decode(ip, first_ports)
            if t:
                e = self.tuples.setdefault(t[:5], [0, 0])
                e[0] += t[5]
                e[1] += 1

    def flow(self, flow, used=None):
        """(sent bytes, sent packets, recv bytes, recv packets) of a generator's flow.
        A wildcard local address (0.0.0.0, ::) matches every local address. The
        directed tuples counted are added to the set used, if given."""
        proto, la, lp, ra, rp = flow
        wild = la in ("0.0.0.0", "::")
        out = [0, 0, 0, 0]
        if not wild:
            for i, key in ((0, (proto, la, lp, ra, rp)), (2, (proto, ra, rp, la, lp))):
                e = self.tuples.get(key)
                if e:
                    out[i] += e[0]
                    out[i + 1] += e[1]
                    if used is not None:
                        used.add(key)
            return out
        for key, (b, n) in self.tuples.items():
            p, s, sp, d, dp = key
            if p != proto:
                continue
            if sp == lp and d == ra and dp == rp:
                i = 0
            elif s == ra and sp == rp and dp == lp:
                i = 2
            else:
                continue
            out[i] += b
            out[i + 1] += n
            if used is not None:
                used.add(key)
        return out

    def unexplained(self, used):
        """(bytes, packets) of the tuples not in used."""
        b = n = 0
        for key, (kb, kn) in self.tuples.items():
            if key not in used:
                b += kb
                n += kn
        return b, n


def table(path, ifindexes):
    with open(path, "rb") as f:
        return Table(f.read(), ifindexes)


# ---------------------------------------------------------------- self test

def _frame(ip, ifindex=3):
    et = ETH_IP6 if ip[0] >> 4 == 6 else ETH_IP4
    return struct.pack(">HHIHBB8s", et, 0, ifindex, 1, 0, 6, b"\2" * 8) + ip


def _ip4(src, dst, proto, l4, ident=1, fo=0):
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, fo, 64, proto, 0,
                       ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed) + l4


def _ip6(src, dst, nh, l4):
    return struct.pack(">IHBB16s16s", 0x60000000, len(l4), nh, 64,
                       ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed) + l4


def selftest():
    a, b, a6, b6 = "10.232.1.1", "10.232.1.2", "fd00:232:1::1", "fd00:232:1::2"
    udp = struct.pack(">HHHH", 4000, 53, 8 + 200, 0) + b"q" * 200
    frames = [
        _frame(_ip4(a, b, 6, struct.pack(">HH", 40000, 7001) + b"\0" * 16 + b"x" * 60)),  # 100
        _frame(_ip4(b, a, 6, struct.pack(">HH", 7001, 40000) + b"\0" * 16)),              # 40
        _frame(_ip4(b, a, 6, struct.pack(">HH", 7001, 40000) + b"\0" * 16), ifindex=9),   # other if
        _frame(_ip4(a, b, 1, struct.pack(">BBHHH", 8, 0, 0, 0x7A7A, 1) + b"p" * 56)),     # 84
        _frame(_ip4(b, a, 1, struct.pack(">BBHHH", 0, 0, 0, 0x7A7A, 1) + b"p" * 56)),     # 84
        _frame(_ip6(a6, b6, 58, struct.pack(">BBHHH", 128, 0, 0, 33, 1) + b"p" * 56)),    # 104
        _frame(_ip6(a6, b6, 253, b"z" * 100)),                                            # 140
        _frame(_ip4(a, b, 17, udp[:104], ident=5, fo=0x2000)),                            # 124
        _frame(_ip4(a, b, 17, udp[104:], ident=5, fo=13)),                                # 124
    ]
    data = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 256, LINK_SLL2)
    for f in frames:
        data += struct.pack("<IIII", 1, 2, len(f), len(f)) + f
    t = Table(data, [3])
    checks = [
        (t.flow([6, a, 40000, b, 7001]), [100, 1, 40, 1]),
        (t.flow([1, a, 0x7A7A, b, 0]), [84, 1, 84, 1]),
        (t.flow([58, a6, 33, b6, 0]), [104, 1, 0, 0]),
        (t.flow([253, a6, 0, b6, 0]), [140, 1, 0, 0]),
        (t.flow([17, "0.0.0.0", 4000, b, 53]), [248, 2, 0, 0]),
        ([t.records, t.per_if], [9, {3: 8, 9: 1}]),
    ]
    bad = [(got, want) for got, want in checks if got != want]
    for got, want in bad:
        print("FAIL got %s want %s" % (got, want))
    print("selftest: %s" % ("ok" if not bad else "%d failures" % len(bad)))
    return 1 if bad else 0


def main(argv):
    if argv[1:] == ["--selftest"]:
        return selftest()
    if len(argv) < 2:
        sys.exit(__doc__)
    t = table(argv[1], [int(x) for x in argv[2:]] or range(1 << 16))
    for k, (b, n) in sorted(t.tuples.items()):
        print(json.dumps(dict(tuple=list(k), bytes=b, packets=n)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
