#!/usr/bin/env python3
"""Write a synthetic headers-only capture for the benchmarks.

gen_pcap.py OUT.pcap PACKETS FLOWS [PROCDIR SOCKETS] [--flood] [--truth FILE.json]
            [--max-flows M]

PACKETS records (LINKTYPE_LINUX_SLL2, snaplen 128) spread round-robin-ish
over FLOWS flows: TCP and UDP, IPv4 and IPv6, both directions. The first
FLOWS packets open the FLOWS flows in order, the others pick a flow at
random. With PROCDIR, also write a /proc fixture holding SOCKETS TCP/UDP
sockets (the first min(FLOWS, SOCKETS) of them are the flows' local ends)
spread over 200 processes; its fib_trie names 256 local IPv4 addresses
(10.0.B.5) and if_inet6 one IPv6 address.

--flood: every packet is a new flow instead (FLOWS is ignored): a random
5-tuple between two non-local addresses (198.18.0.0/15, 2001:db8:ffff::/48),
TCP or UDP, IPv4 or IPv6, no two packets of the same flow; the link-layer
direction alternates (SLL2 packet type 0 "to us", 4 "outgoing").

--truth FILE.json: write what any correct reader must count: packets,
ip_bytes, flows; with --max-flows M (flood only), the packets and bytes of
the flows beyond the first M (the unknown:table-full row), split into sent
(outgoing) and received. With PROCDIR, also each pid's row (by_pid: sent
and received bytes and packets, flows) and the flows with no socket
(no_socket).

Deterministic: the same arguments give the same bytes.
"""
import json
import os
import random
import struct
import sys


def flow(i):
    v6 = i % 4 == 3
    proto = 17 if i % 3 == 0 else 6
    lport = 1024 + (i % 60000)
    rport = 443 if proto == 6 else 53
    if v6:
        local = bytes.fromhex("20010db8000000000000000000000005")
        remote = bytes.fromhex("20010db80001") + struct.pack(">IHHH", i, 0, 0, 1)
    else:
        local = bytes([10, 0, (i >> 16) & 0xff, 5])
        remote = bytes([198, 18 + (i >> 16 & 1), (i >> 8) & 0xff, i & 0xff])
    return v6, proto, local, lport, remote, rport


def packet(v6, proto, src, sport, dst, dport, payload, pkttype=0):
    l4 = struct.pack(">HH", sport, dport)
    if proto == 6:
        l4 += struct.pack(">IIBBHHH", 1, 1, 0x50, 0x18, 65535, 0, 0)
    else:
        l4 += struct.pack(">HH", 8 + payload, 0)
    if v6:
        ip = struct.pack(">IHBB", 6 << 28, len(l4) + payload, proto, 64) + src + dst
        ethertype = 0x86DD
    else:
        ip = struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(l4) + payload, 0, 0x4000, 64,
                         proto, 0) + src + dst
        ethertype = 0x0800
    sll2 = struct.pack(">HHIHBB8s", ethertype, 0, 2, 1, pkttype, 6, b"\0" * 8)
    return sll2, ip + l4, len(ip) + len(l4) + payload


PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 128, 276)


def write_record(f, n, link, hdrs, iplen):
    rec = link + hdrs
    f.write(struct.pack("<IIII", n // 1000000, n % 1000000, len(rec), len(link) + iplen))
    f.write(rec)


NPROC = 200   # the fixture's processes: pid 1000 + p holds sockets p, p + 200, ...


def write_pcap(path, npackets, nflows, nsockets=0):
    rnd = random.Random(1)
    flows = [flow(i) for i in range(nflows)]
    ip_bytes = 0
    # With a fixture: flow i < nsockets belongs to pid 1000 + i % NPROC;
    # the others have no socket (their local end is still ours).
    by_pid, unowned = {}, {"sent_bytes": 0, "recv_bytes": 0, "sent_packets": 0,
                           "recv_packets": 0, "flows": 0}
    seen = set()
    with open(path, "wb") as f:
        f.write(PCAP_HEADER)
        for n in range(npackets):
            i = n % nflows if n < nflows else rnd.randrange(nflows)
            v6, proto, local, lport, remote, rport = flows[i]
            payload = rnd.choice((0, 100, 1200, 1400))
            if n & 1:
                link, hdrs, iplen = packet(v6, proto, remote, rport, local, lport, payload)
            else:
                link, hdrs, iplen = packet(v6, proto, local, lport, remote, rport, payload)
            write_record(f, n, link, hdrs, iplen)
            ip_bytes += iplen
            if nsockets:
                row = (by_pid.setdefault(str(1000 + i % NPROC), dict.fromkeys(unowned, 0))
                       if i < nsockets else unowned)
                way = "recv" if n & 1 else "sent"
                row[way + "_bytes"] += iplen
                row[way + "_packets"] += 1
                if i not in seen:
                    seen.add(i)
                    row["flows"] += 1
    truth = {"packets": npackets, "ip_bytes": ip_bytes, "flows": min(npackets, nflows)}
    if nsockets:
        truth["by_pid"] = by_pid
        truth["no_socket"] = unowned
    return truth


def write_flood(path, npackets, max_flows):
    rnd = random.Random(2)
    seen = set()
    truth = {"packets": npackets, "ip_bytes": 0, "flows": npackets}
    full = {"packets": 0, "sent_bytes": 0, "recv_bytes": 0}
    with open(path, "wb") as f:
        f.write(PCAP_HEADER)
        n = 0
        while n < npackets:
            v6 = rnd.random() < 0.25
            proto = rnd.choice((6, 17))
            if v6:
                a = bytes.fromhex("20010db8ffff") + rnd.getrandbits(80).to_bytes(10, "big")
                b = bytes.fromhex("20010db8ffff") + rnd.getrandbits(80).to_bytes(10, "big")
            else:
                a = bytes([198, 18 + rnd.getrandbits(1)]) + rnd.getrandbits(16).to_bytes(2, "big")
                b = bytes([198, 18 + rnd.getrandbits(1)]) + rnd.getrandbits(16).to_bytes(2, "big")
            ap, bp = rnd.randrange(1, 65536), rnd.randrange(1, 65536)
            key = (proto,) + tuple(sorted(((a, ap), (b, bp))))
            if key in seen or (a, ap) == (b, bp):
                continue
            seen.add(key)
            payload = rnd.choice((0, 100, 1200, 1400))
            pkttype = 4 if n & 1 else 0
            link, hdrs, iplen = packet(v6, proto, a, ap, b, bp, payload, pkttype)
            write_record(f, n, link, hdrs, iplen)
            truth["ip_bytes"] += iplen
            if max_flows is not None and n >= max_flows:
                full["packets"] += 1
                full["sent_bytes" if pkttype == 4 else "recv_bytes"] += iplen
            n += 1
    if max_flows is not None:
        truth["max_flows"] = max_flows
        truth["table_full"] = full
    return truth


def hexaddr(addr):
    return "".join("%08X" % struct.unpack("<I", addr[i:i + 4])[0] for i in range(0, len(addr), 4))


def write_proc(root, nflows, nsockets):
    os.makedirs(os.path.join(root, "net"), exist_ok=True)
    tables = {"tcp": [], "tcp6": [], "udp": [], "udp6": []}
    for i in range(nsockets):
        v6, proto, local, lport, remote, rport = flow(i)
        name = ("tcp" if proto == 6 else "udp") + ("6" if v6 else "")
        tables[name].append((local, lport, remote, rport, 100000 + i))
    header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    for name, rows in tables.items():
        with open(os.path.join(root, "net", name), "w") as f:
            f.write(header)
            for n, (la, lp, ra, rp, inode) in enumerate(rows):
                f.write("%4d: %s:%04X %s:%04X 01 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 20 4 30 10 -1\n"
                        % (n, hexaddr(la), lp, hexaddr(ra), rp, inode))
    with open(os.path.join(root, "net", "fib_trie"), "w") as f:
        f.write("Local:\n")
        for b in range(256):
            f.write("           |-- 10.0.%d.5\n              /32 host LOCAL\n" % b)
    with open(os.path.join(root, "net", "if_inet6"), "w") as f:
        f.write("20010db8000000000000000000000005 02 40 00 80     eth0\n")
    nproc = NPROC
    for p in range(nproc):
        pid = 1000 + p
        d = os.path.join(root, str(pid))
        os.makedirs(os.path.join(d, "fd"), exist_ok=True)
        for name, text in (("comm", "bench%d\n" % p), ("status", "Name:\tbench\nUid:\t0\t0\t0\t0\n"),
                           ("cmdline", "bench\0--id\0%d\0" % p),
                           ("stat", "%d (bench) S 1 %s\n" % (pid, " ".join(["0"] * 18) + " 1234"))):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        for k, i in enumerate(range(p, nsockets, nproc)):
            link = os.path.join(d, "fd", str(3 + k))
            if not os.path.islink(link):
                os.symlink("socket:[%d]" % (100000 + i), link)


def main(argv):
    flood, truth_path, max_flows, pos = False, None, None, []
    args = iter(argv)
    for a in args:
        if a == "--flood":
            flood = True
        elif a == "--truth":
            truth_path = next(args, None)
        elif a == "--max-flows":
            max_flows = int(next(args, "0"))
        else:
            pos.append(a)
    if len(pos) not in (3, 5) or (truth_path is None and "--truth" in argv):
        sys.exit(__doc__)
    npackets, nflows = int(pos[1]), int(pos[2])
    tmp = pos[0] + ".tmp"
    nsockets = int(pos[4]) if len(pos) == 5 else 0
    truth = (write_flood(tmp, npackets, max_flows) if flood
             else write_pcap(tmp, npackets, nflows, nsockets))
    os.replace(tmp, pos[0])
    if len(pos) == 5:
        write_proc(pos[3], nflows, int(pos[4]))
    if truth_path:
        with open(truth_path, "w") as f:
            json.dump(truth, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
