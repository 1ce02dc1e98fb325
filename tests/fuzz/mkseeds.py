#!/usr/bin/env python3
"""Write the fuzzers' seed corpora from the golden captures and fixture.

    python3 tests/fuzz/mkseeds.py      (from anywhere; writes corpus/ beside it)

corpus/decode/   one input per packet of every golden capture: byte 0 the
                 link type's index in fuzz_decode.c's FUZZ_LINKTYPES, bytes
                 1-2 the bytes on the wire beyond those captured, the frame
corpus/procnet/  each /proc/net file of tests/golden/proc/host, behind the
                 byte that chooses its parser in fuzz_procnet.c (TABLES),
                 and the fd link targets of its processes
corpus/cgroup/   every PID/cgroup file of the fixture
corpus/session/  the golden captures themselves, pcap and pcapng

Only the seeds' own files are rewritten: inputs kept there by hand stay:
crashes found (crash-*), and files written by proctraf -w from golden cases
(w-*: pcapng with proctraf's owner records, for the -r path that reads
them; remade by hand as tests/fuzz/README.md says).
Deterministic, standard library only.
"""
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "golden")
CAPTURES = os.path.join(GOLDEN, "captures")
HOST = os.path.join(GOLDEN, "proc", "host")
CORPUS = os.path.join(HERE, "corpus")

# LINKTYPE_ value in a file -> index in FUZZ_LINKTYPES (fuzz_decode.c).
LINK_INDEX = {1: 0, 113: 1, 276: 2, 101: 3, 228: 4, 229: 5, 0: 6, 108: 7}

# /proc/net file -> index in TABLES (fuzz_procnet.c).
PROCNET_INDEX = {
    "tcp": 0, "tcp6": 1, "udp": 2, "udp6": 3, "icmp": 4, "icmp6": 5, "raw": 6, "raw6": 7,
    "sctp/assocs": 8, "sctp/eps": 9, "fib_trie": 10, "if_inet6": 11,
}
FD_LINK_INDEX = 12
PACKET_INDEX = 13
# net/packet as af_packet.c prints it (no fixture of tests/golden has one): a
# capture (ETH_P_ALL, running), a send-only socket, one whose interface is gone.
PACKET_SAMPLE = (
    b"sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
    b"000000008e7ad9d0 3      3    0003   1     1 0      0      9921656\n"
    b"00000000a590096f 2      3    0000   6     0 0      1000   9986308\n"
    b"0000000000000000 2      2    86dd   -1    0 0      0      77\n")


def pcap_records(data):
    """(linktype, caplen, wirelen, frame) of each record of a pcap file."""
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0xffff
    at = 24
    while at + 16 <= len(data):
        _, _, caplen, wirelen = struct.unpack(e + "IIII", data[at:at + 16])
        frame = data[at + 16:at + 16 + caplen]
        if len(frame) < caplen:
            return
        yield linktype, wirelen, frame
        at += 16 + caplen


def pcapng_records(data):
    """(linktype, wirelen, frame) of each enhanced packet block of a pcapng file."""
    at, e, links = 0, "<", []
    while at + 12 <= len(data):
        btype = struct.unpack(e + "I", data[at:at + 4])[0]
        if btype == 0x0A0D0D0A:
            e = "<" if data[at + 8:at + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack(e + "I", data[at + 4:at + 8])[0]
        if blen < 12 or at + blen > len(data):
            return
        body = data[at + 8:at + blen - 4]
        if btype == 1 and len(body) >= 2:
            links.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:
            iface, _, _, caplen, wirelen = struct.unpack(e + "IIIII", body[:20])
            if iface < len(links):
                yield links[iface], wirelen, body[20:20 + caplen]
        at += blen


def write(kind, name, data, written):
    path = os.path.join(CORPUS, kind, name)
    with open(path, "wb") as f:
        f.write(data)
    written.add(name)


def clean(kind, written):
    """Remove the seeds this script wrote before and no longer writes."""
    d = os.path.join(CORPUS, kind)
    for name in os.listdir(d):
        if name not in written and not name.startswith(("crash-", "w-")):
            os.remove(os.path.join(d, name))


def decode_seeds():
    written, seen = set(), set()
    for cap in sorted(os.listdir(CAPTURES)):
        with open(os.path.join(CAPTURES, cap), "rb") as f:
            data = f.read()
        records = pcapng_records(data) if cap.endswith(".pcapng") else pcap_records(data)
        for n, (linktype, wirelen, frame) in enumerate(records):
            if linktype not in LINK_INDEX:
                continue
            extra = max(0, min(0xffff, wirelen - len(frame)))
            seed = bytes([LINK_INDEX[linktype]]) + struct.pack(">H", extra) + frame
            digest = hashlib.sha1(seed).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            write("decode", "%s-%03d" % (cap.replace(".", "-"), n), seed, written)
    clean("decode", written)


def procnet_seeds():
    written = set()
    for name, index in sorted(PROCNET_INDEX.items()):
        path = os.path.join(HOST, "net", name)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            write("procnet", name.replace("/", "-"), bytes([index]) + f.read(), written)
    targets = set()
    for pid in sorted(os.listdir(HOST)):
        fd = os.path.join(HOST, pid, "fd")
        if pid.isdigit() and os.path.isdir(fd):
            for n in os.listdir(fd):
                targets.add(os.readlink(os.path.join(fd, n)))
    for i, t in enumerate(sorted(targets)):
        write("procnet", "fd-link-%02d" % i, bytes([FD_LINK_INDEX]) + t.encode(), written)
    write("procnet", "packet", bytes([PACKET_INDEX]) + PACKET_SAMPLE, written)
    clean("procnet", written)


def cgroup_seeds():
    written = set()
    for pid in sorted(os.listdir(HOST)):
        path = os.path.join(HOST, pid, "cgroup")
        if pid.isdigit() and os.path.isfile(path):
            with open(path, "rb") as f:
                write("cgroup", "pid-" + pid, f.read(), written)
    clean("cgroup", written)


def session_seeds():
    written = set()
    for cap in sorted(os.listdir(CAPTURES)):
        with open(os.path.join(CAPTURES, cap), "rb") as f:
            write("session", cap, f.read(), written)
    clean("session", written)


def main():
    for kind in ("decode", "procnet", "cgroup", "session"):
        os.makedirs(os.path.join(CORPUS, kind), exist_ok=True)
    decode_seeds()
    procnet_seeds()
    cgroup_seeds()
    session_seeds()


if __name__ == "__main__":
    main()
