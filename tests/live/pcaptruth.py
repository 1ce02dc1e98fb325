#!/usr/bin/env python3
"""Exact IP bytes per endpoint, from a pcap written by `tcpdump -U -w FILE` beside proctraf.

    pcaptruth.py FILE                      one JSON line per (addr, port, proto) seen
    pcaptruth.py FILE ADDR PORT PROTO      one JSON object for that endpoint
    pcaptruth.py --selftest                check the parser on synthetic frames

For every endpoint: sent_bytes, recv_bytes, sent_packets, recv_packets (a
packet is "sent" by its source endpoint and "received" by its destination
endpoint), sent_payload, recv_payload (transport payload on the wire,
retransmissions included) and flows (distinct 5-tuples, both directions
together). Bytes are what proctraf counts: the IP length field (IPv4 total
length; IPv6 40 + payload length), whatever the link type and snap length.
Only TCP and UDP are counted; later IP fragments are given the ports of
their first fragment (which must come first in the file).

Link types: EN10MB (VLAN tags skipped), LINUX_SLL, LINUX_SLL2, RAW, NULL/LOOP.
Formats: pcap, micro- or nanosecond, either byte order (not pcapng).
"""
import ipaddress
import json
import struct
import sys

LINK_NULL, LINK_EN10MB, LINK_RAW, LINK_LOOP, LINK_SLL = 0, 1, 101, 108, 113
LINK_SLL2, LINK_IPV4, LINK_IPV6, LINK_RAW_OLD = 276, 228, 229, 12
ETH_IP4, ETH_IP6 = 0x0800, 0x86DD


class PcapError(Exception):
    pass


def records(data):
    """Yield (linktype, captured bytes) of every record of a pcap file's contents."""
    for linktype, _, frame in records_ts(data):
        yield linktype, frame


def records_ts(data):
    """Yield (linktype, time in microseconds since the epoch, captured bytes) of
    every record of a pcap file's contents (nanoseconds are truncated, as
    libpcap does when it hands a nanosecond time to a microsecond reader)."""
    if len(data) < 24:
        raise PcapError("not a pcap file (%d bytes)" % len(data))
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    elif magic == 0x0A0D0D0A:
        raise PcapError("pcapng is not supported; tcpdump -w writes pcap")
    else:
        raise PcapError("not a pcap file (magic %08x)" % magic)
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen = struct.unpack(end + "III", data[off:off + 12])
        if off + 16 + caplen > len(data):
            break                               # a record cut short at the end of the file
        yield linktype, sec * 1000000 + (frac // 1000 if nano else frac), \
            data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def ip_of(linktype, frame):
    """The IP packet inside a frame, or None when the frame is not IP."""
    if linktype == LINK_EN10MB:
        if len(frame) < 14:
            return None
        etype, off = struct.unpack(">H", frame[12:14])[0], 14
        while etype in (0x8100, 0x88A8, 0x9100) and len(frame) >= off + 4:
            etype, off = struct.unpack(">H", frame[off + 2:off + 4])[0], off + 4
    elif linktype == LINK_SLL:
        if len(frame) < 16:
            return None
        etype, off = struct.unpack(">H", frame[14:16])[0], 16
    elif linktype == LINK_SLL2:
        if len(frame) < 20:
            return None
        etype, off = struct.unpack(">H", frame[0:2])[0], 20
    elif linktype in (LINK_RAW, LINK_RAW_OLD, LINK_IPV4, LINK_IPV6):
        return frame
    elif linktype in (LINK_NULL, LINK_LOOP):
        return frame[4:]                        # the version nibble tells the family
    else:
        raise PcapError("link type %d is not supported" % linktype)
    return frame[off:] if etype in (ETH_IP4, ETH_IP6) else None


def decode(ip, first_ports):
    """(src, sport, dst, dport, proto, ip_len, payload) of a TCP/UDP packet, else None.

    first_ports maps a fragmented datagram (src, dst, proto, id) to the ports
    its first fragment carried.
    """
    if not ip:
        return None
    v = ip[0] >> 4
    frag = None                                 # (id, is_first)
    if v == 4 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        length, proto = struct.unpack(">H", ip[2:4])[0], ip[9]
        ident, fo = struct.unpack(">HH", ip[4:8])
        src, dst, l4 = ip[12:16], ip[16:20], ip[ihl:]
        if fo & 0x3FFF:                         # MF set or offset non-zero
            frag = (ident, fo & 0x1FFF == 0)
        ip_hdr = ihl
    elif v == 6 and len(ip) >= 40:
        length, proto = struct.unpack(">H", ip[4:6])[0] + 40, ip[6]
        src, dst, l4 = ip[8:24], ip[24:40], ip[40:]
        ip_hdr = 40
        while proto in (0, 43, 60, 44) and len(l4) >= 8:
            if proto == 44:
                fo, ident = struct.unpack(">HI", l4[2:8])
                frag = (ident, fo & 0xFFF8 == 0)
                proto, l4, ip_hdr = l4[0], l4[8:], ip_hdr + 8
            else:
                n = (l4[1] + 1) * 8
                proto, l4, ip_hdr = l4[0], l4[n:], ip_hdr + n
    else:
        return None
    if proto not in (6, 17):
        return None
    later = bool(frag and not frag[1])
    key = (src, dst, proto, frag and frag[0])
    if later:
        if key not in first_ports:
            return None
        sport, dport = first_ports[key]
        l4_hdr = 0
    else:
        if len(l4) < (13 if proto == 6 else 4):
            return None                         # snap length too short for the ports
        sport, dport = struct.unpack(">HH", l4[:4])
        l4_hdr = (l4[12] >> 4) * 4 if proto == 6 else 8
        if frag:
            first_ports[key] = (sport, dport)
    return (str(ipaddress.ip_address(src)), sport, str(ipaddress.ip_address(dst)), dport,
            "tcp" if proto == 6 else "udp", length, length - ip_hdr - l4_hdr)


def _blank():
    return dict(sent_bytes=0, recv_bytes=0, sent_packets=0, recv_packets=0,
                sent_payload=0, recv_payload=0, flows=set())


def table_of(data):
    """{(addr, port, proto): counters} for every endpoint in a pcap file's contents."""
    table = {}
    first_ports = {}
    for linktype, frame in records(data):
        t = decode(ip_of(linktype, frame), first_ports)
        if not t:
            continue
        src, sport, dst, dport, proto, length, payload = t
        flow = (proto,) + tuple(sorted([(src, sport), (dst, dport)]))
        for ep, d in (((src, sport, proto), "sent"), ((dst, dport, proto), "recv")):
            e = table.setdefault(ep, _blank())
            e[d + "_bytes"] += length
            e[d + "_packets"] += 1
            e[d + "_payload"] += payload
            e["flows"].add(flow)
    for e in table.values():
        e["flows"] = len(e["flows"])
    return table


def flow_times(path):
    """{(proto, (addr, port), (addr, port)): [first, last]}: the time of the first and
    the last packet of every TCP/UDP flow (ends sorted), in microseconds."""
    with open(path, "rb") as f:
        data = f.read()
    out = {}
    first_ports = {}
    for linktype, ts, frame in records_ts(data):
        t = decode(ip_of(linktype, frame), first_ports)
        if not t:
            continue
        src, sport, dst, dport, proto = t[:5]
        key = (proto,) + tuple(sorted([(src, sport), (dst, dport)]))
        span = out.setdefault(key, [ts, ts])
        span[0] = min(span[0], ts)
        span[1] = max(span[1], ts)
    return out


def table(path):
    with open(path, "rb") as f:
        return table_of(f.read())


def endpoint(tab, addrs, port, proto):
    """Counters of (addr, port, proto) summed over addrs (several for a wildcard socket)."""
    out = _blank()
    out["flows"] = 0
    for a in addrs:
        e = tab.get((str(ipaddress.ip_address(a)), int(port), proto))
        if e:
            for k in out:
                out[k] += e[k]
    return out


# ---------------------------------------------------------------- self test

def _ip4(src, dst, proto, l4, ident=1, fo=0, ihl=5):
    opts = b"\x01" * ((ihl - 5) * 4)
    hdr = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(l4), ident, fo, 64, proto,
                      0, ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed)
    return hdr + opts + l4


def _ip6(src, dst, nh, l4):
    return struct.pack(">IHBB16s16s", 0x60000000, len(l4), nh, 64,
                       ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed) + l4


def _tcp(sport, dport, payload, doff=5):
    return struct.pack(">HHIIBBHHH", sport, dport, 0, 0, doff << 4, 0x18, 1000, 0, 0) + \
        b"\0" * ((doff - 5) * 4) + payload


def _udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def _pcap(linktype, frames, snap=65535, swap=False):
    e = ">" if swap else "<"
    out = struct.pack(e + "IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snap, linktype)
    for f in frames:
        cap = f[:snap]
        out += struct.pack(e + "IIII", 1, 2, len(cap), len(f)) + cap
    return out


def _link(linktype, ip):
    et = struct.pack(">H", ETH_IP6 if ip[0] >> 4 == 6 else ETH_IP4)
    if linktype == LINK_EN10MB:
        return b"\x02" * 6 + b"\x04" * 6 + b"\x81\x00\x00\x05" + et + ip + b"\0" * 8  # VLAN, pad
    if linktype == LINK_SLL:
        return struct.pack(">HHH8s", 4, 1, 6, b"\x02" * 6) + et + ip
    if linktype == LINK_SLL2:
        return et + b"\0\0" + struct.pack(">IHBB8s", 2, 1, 4, 6, b"\x02" * 6) + ip
    if linktype == LINK_NULL:
        return struct.pack("<I", 30 if ip[0] >> 4 == 6 else 2) + ip
    return ip


def selftest():
    a4, b4, a6, b6 = "10.231.0.1", "10.231.0.2", "fd00:231::1", "fd00:231::2"
    pkts = [
        _ip4(a4, b4, 6, _tcp(40000, 5001, b"x" * 100)),             # 140 bytes
        _ip4(b4, a4, 6, _tcp(5001, 40000, b"", doff=8)),            # 52 bytes, options
        _ip4(a4, b4, 17, _udp(40001, 5003, b"y" * 30), ihl=6),      # 62 bytes, IP options
        _ip6(a6, b6, 6, _tcp(40002, 5002, b"z" * 10)),              # 70 bytes
        # a UDP datagram in two IPv6 fragments: 8+8+100 then 8+52 bytes of payload
        _ip6(a6, b6, 44, struct.pack(">BBHI", 17, 0, 1, 77) + _udp(40003, 5004, b"w" * 150)[:104]),
        _ip6(a6, b6, 44, struct.pack(">BBHI", 17, 0, 104, 77) + _udp(40003, 5004, b"w" * 150)[104:]),
        # an IPv4 UDP datagram in two fragments
        _ip4(b4, a4, 17, _udp(5003, 40001, b"v" * 200)[:104], ident=9, fo=0x2000),
        _ip4(b4, a4, 17, _udp(5003, 40001, b"v" * 200)[104:], ident=9, fo=13),
        _ip4(a4, b4, 1, b"\x08\0\0\0\0\0\0\0"),                     # ICMP: not counted
    ]
    want = {
        (a4, 40000, "tcp"): (140, 52, 1, 1, 100, 0, 1),
        (a4, 40001, "udp"): (62, 124 + 124, 1, 2, 30, 200, 1),
        (a6, 40002, "tcp"): (70, 0, 1, 0, 10, 0, 1),
        (a6, 40003, "udp"): (40 + 8 + 104 + 40 + 8 + 54, 0, 2, 0, 150, 0, 1),
        (b4, 5001, "tcp"): (52, 140, 1, 1, 0, 100, 1),
    }
    keys = ("sent_bytes", "recv_bytes", "sent_packets", "recv_packets", "sent_payload",
            "recv_payload", "flows")
    bad = 0
    for lt in (LINK_EN10MB, LINK_SLL, LINK_SLL2, LINK_RAW, LINK_NULL):
        for snap, swap in ((65535, False), (96, True)):
            tab = table_of(_pcap(lt, [_link(lt, p) for p in pkts], snap, swap))
            for ep, w in want.items():
                got = tuple(tab.get(ep, {}).get(k) for k in keys)
                if got != w:
                    bad += 1
                    print("FAIL link %d snap %d %s: got %s want %s" % (lt, snap, ep, got, w))
    print("selftest: %s" % ("ok" if not bad else "%d failures" % bad))
    return 1 if bad else 0


def main(argv):
    if argv[1:] == ["--selftest"]:
        return selftest()
    try:
        if len(argv) == 2:
            for (addr, port, proto), e in sorted(table(argv[1]).items()):
                print(json.dumps(dict(addr=addr, port=port, proto=proto, **e)))
        elif len(argv) == 5:
            print(json.dumps(endpoint(table(argv[1]), [argv[2]], int(argv[3]), argv[4])))
        else:
            sys.exit(__doc__)
    except (OSError, PcapError) as e:
        sys.exit("pcaptruth: %s" % e)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
