#!/usr/bin/env python3
"""Exact per-endpoint IP bytes from a pcap written by tcpdump beside proctraf.

pcaptruth.py FILE ADDR PORT PROTO  ->  JSON {sent_bytes, recv_bytes, sent_packets,
recv_packets, sent_payload, recv_payload} (payload: transport payload on the wire,
retransmissions included)
for the local endpoint ADDR:PORT (PROTO tcp or udp). Link types: EN10MB,
LINUX_SLL, LINUX_SLL2, RAW. Bytes are the IP length field, as proctraf counts.
"""
import ipaddress
import json
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        raise SystemExit("pcaptruth: not a pcap file: %s" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(end + "IIII", data[off:off + 16])
        yield linktype, data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def ip_of(linktype, frame):
    if linktype == 1:
        etype, off = struct.unpack(">H", frame[12:14])[0], 14
        while etype in (0x8100, 0x88A8):
            etype, off = struct.unpack(">H", frame[off + 2:off + 4])[0], off + 4
    elif linktype == 113:
        etype, off = struct.unpack(">H", frame[14:16])[0], 16
    elif linktype == 276:
        etype, off = struct.unpack(">H", frame[0:2])[0], 20
    elif linktype in (101, 12, 228, 229):
        return frame
    else:
        raise SystemExit("pcaptruth: link type %d" % linktype)
    return frame[off:] if etype in (0x0800, 0x86DD) else None


def tuple_of(ip, first_ports):
    """(src, sport, dst, dport, proto, ip_len); later fragments get their first's ports."""
    v = ip[0] >> 4
    frag = None                          # (id, is_first)
    if v == 4:
        ihl = (ip[0] & 15) * 4
        length, proto = struct.unpack(">H", ip[2:4])[0], ip[9]
        ident, off = struct.unpack(">HH", ip[4:8])
        src, dst, l4 = ip[12:16], ip[16:20], ip[ihl:]
        if off & 0x3fff:
            frag = (ident, off & 0x1fff == 0)
    elif v == 6:
        length, proto = struct.unpack(">H", ip[4:6])[0] + 40, ip[6]
        src, dst, l4 = ip[8:24], ip[24:40], ip[40:]
        while proto in (0, 43, 60, 44):
            if proto == 44:
                off, ident = struct.unpack(">HI", l4[2:8])
                frag = (ident, off & 0xfff8 == 0)
                proto, l4 = l4[0], l4[8:]
            else:
                proto, l4 = l4[0], l4[(l4[1] + 1) * 8:]
    else:
        return None
    if proto not in (6, 17):
        return None
    later = bool(frag and not frag[1])
    ip_hdr = len(ip) - len(l4)                 # IP header and extension headers
    l4_hdr = 0 if later else ((l4[12] >> 4) * 4 if proto == 6 else 8)
    payload = length - ip_hdr - l4_hdr
    key = (src, dst, proto, frag and frag[0])
    if frag and not frag[1]:
        if key not in first_ports:
            return None
        sport, dport = first_ports[key]
    else:
        sport, dport = struct.unpack(">HH", l4[:4])
        if frag:
            first_ports[key] = (sport, dport)
    return (ipaddress.ip_address(src), sport, ipaddress.ip_address(dst), dport,
            "tcp" if proto == 6 else "udp", length, payload)


def truth(path, addr, port, proto):
    me = (ipaddress.ip_address(addr), port)
    out = dict(sent_bytes=0, recv_bytes=0, sent_packets=0, recv_packets=0,
               sent_payload=0, recv_payload=0)
    first_ports = {}
    for linktype, frame in packets(path):
        ip = ip_of(linktype, frame)
        t = ip and tuple_of(ip, first_ports)
        if not t or t[4] != proto:
            continue
        if (t[0], t[1]) == me:
            out["sent_bytes"] += t[5]
            out["sent_packets"] += 1
            out["sent_payload"] += t[6]
        if (t[2], t[3]) == me:
            out["recv_bytes"] += t[5]
            out["recv_packets"] += 1
            out["recv_payload"] += t[6]
    return out


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    print(json.dumps(truth(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])))
