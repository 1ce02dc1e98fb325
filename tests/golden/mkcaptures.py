#!/usr/bin/env python3
"""Write the golden tests' captures, /proc fixtures and ledger (deterministic).

    python3 mkcaptures.py        (run from anywhere; writes next to itself)

captures/*.pcap, *.pcapng  small captures, one per link type or hard case
proc/host/                 a /proc stand-in: socket tables, local addresses,
                           processes with fd links to their sockets
proc/empty/                a /proc with nothing in it (every file missing)
ledger.json                what every packet is: its IP length to count (as
                           written, or a super-packet's length on the wire),
                           its 5-tuple, and (per fixture) which process sends
                           it, which receives it, or which unknown row takes
                           it; per fixture process, what a report shows of it
                           (comm, user, cmdline, netns, and the cgroup, unit
                           and container its PID/cgroup names, or null)

The ledger is written by hand next to each packet, never computed by
re-implementing the resolver: oracle.py turns it into the exact report a
case must print, and run.sh refuses expected files that disagree with it.
Only the standard library is used; running it twice gives identical files.
"""
import ipaddress
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CAP = os.path.join(HERE, "captures")
PROC = os.path.join(HERE, "proc")
T0 = 1700000000            # first packet of every capture, seconds since the epoch
TIME_MAX_S = 253402300799  # 9999-12-31T23:59:59Z: later times read as this second


def ip_bytes(a):
    return ipaddress.ip_address(a).packed


# ---------------------------------------------------------------------------
# The /proc fixture "host".  Local addresses: 127.0.0.1, 10.0.0.5, ::1,
# 2001:db8::5 (and a link-local address nobody uses).

LOCAL = ["10.0.0.5", "127.0.0.1", "2001:db8::5", "::1", "fe80::211:22ff:fe33:4455"]

USERS = {0: "root", 65534: "nobody", 3999999: "3999999"}   # how each uid prints

# pid: comm (bytes), status Uid line (real, effective, saved, fs), cmdline
# (list of args, each followed by NUL; raw bytes; None: empty file),
# fd -> link target, write a stat file?  curl holds its socket twice (dup):
# it still counts once; socket:[7777] (a unix socket) is in no table.
PROCS = {
    100: (b"curl", (0, 0, 0, 0), [b"curl", b"-s", b"https://example.org/"],
          {0: "/dev/null", 1: "pipe:[90001]", 2: "pipe:[90001]", 3: "socket:[1001]",
           4: "anon_inode:[eventfd]", 5: "socket:[7777]", 6: "socket:[1001]"}, True),
    110: (b"ssh", (0, 0, 0, 0), [b"ssh", b"backup@5.6.7.8"],
          {0: "/dev/pts/0", 1: "/dev/pts/0", 2: "/dev/pts/0", 3: "socket:[1101]"}, True),
    200: (b"resolver", (65534, 65534, 65534, 65534), [b"resolver", b"--port", b"5353"],
          {0: "/dev/null", 7: "socket:[2001]"}, True),
    300: (b"web6", (0, 0, 0, 0), [b"web6", b"--v6"], {3: "socket:[3001]"}, True),
    310: (b"mdns6", (0, 0, 0, 0), [b"mdns6"], {0: "/dev/null", 5: "socket:[3002]"}, True),
    400: (b"sender", (0, 0, 0, 0), [b"sender", b"127.0.0.1:7000"], {3: "socket:[4001]"}, True),
    401: (b"receiver", (0, 0, 0, 0), [b"receiver", b"127.0.0.1:7000"], {3: "socket:[4002]"}, True),
    500: (b"dualsrv", (0, 0, 0, 0), [b"dualsrv", b"--listen", b"[::]:8080"],
          {3: "socket:[5001]"}, True),
    501: (b"worker", (0, 0, 0, 0), [b"dualsrv", b"worker"], {4: "socket:[5002]"}, True),
    # Hostile names: comm with a comma, a quote and a tab; a cmdline with a
    # newline, a leading '=', invalid UTF-8, a backslash, a tab, valid UTF-8
    # and a carriage return; a comm with ESC and a backslash, an unnamed uid
    # and an empty cmdline, and no stat file.
    600: (b'a,b"c\td', (0, 0, 0, 0), [b"udp9000"], {3: "socket:[6001]"}, True),
    1601: (b"hostile", (0, 1000, 1000, 1000),
           [b'=HYPERLINK("x")', b"line\nbreak", b"\xff\xfe", b"back\\slash", b"tab\there",
            "caf\u00e9".encode(), b"cr\rend"],
           {3: "socket:[6002]"}, True),
    87: (b"esc\x1b[1m\\", (3999999, 3999999, 3999999, 3999999), None,
         {3: "socket:[6003]"}, False),
    # comm may hold a newline (prctl PR_SET_NAME): only the kernel's final
    # newline ends it.  A cmdline rewritten by setproctitle() has no NUL.
    1602: (b"new\nline", (65534, 65534, 65534, 65534), [b"newline"],
           {3: "socket:[6004]"}, True),
    1603: (b"nginx", (0, 0, 0, 0), b"nginx: worker process", {9: "socket:[6005]"}, True),
    120: (b"sshd", (0, 0, 0, 0), [b"/usr/sbin/sshd", b"-D"], {3: "socket:[1201]"}, True),
    121: (b"sshd", (0, 0, 0, 0), [b"sshd: backup [priv]"], {4: "socket:[1202]"}, True),
    700: (b"named", (0, 0, 0, 0), [b"named", b"-f"], {21: "socket:[7001]"}, True),
    # Ping sockets (net/icmp, net/icmp6; the port is the echo identifier):
    # fping, unprivileged, one unbound socket per family for all its
    # targets; ping -I bound to a local address; a connected ping -6.
    800: (b"fping", (65534, 65534, 65534, 65534),
          [b"fping", b"-l", b"192.0.2.1", b"198.51.100.1", b"2001:db8::99"],
          {0: "/dev/null", 3: "socket:[8001]", 4: "socket:[8002]"}, True),
    801: (b"ping", (0, 0, 0, 0), [b"ping", b"-I", b"10.0.0.5", b"198.51.100.7"],
          {3: "socket:[8011]"}, True),
    802: (b"ping", (0, 0, 0, 0), [b"ping", b"-6", b"2001:db8::99"], {3: "socket:[8021]"}, True),
    # Pings of this host's own addresses (the pinger's identifier is the
    # port of its end only; the kernel answers): ping with an unbound ping
    # socket to 127.0.0.1, ping -6 with one to ::1, and ping -I 127.0.0.1
    # as root where ping sockets are not allowed: a raw ICMP socket.
    860: (b"ping", (0, 0, 0, 0), [b"ping", b"-c3", b"127.0.0.1"], {3: "socket:[8601]"}, True),
    861: (b"ping", (0, 0, 0, 0), [b"ping", b"-c2", b"-I", b"127.0.0.1", b"127.0.0.1"],
          {3: "socket:[8611]"}, True),
    862: (b"ping", (65534, 65534, 65534, 65534), [b"ping", b"-6", b"-c2", b"::1"],
          {3: "socket:[8621]"}, True),
    # Raw sockets (net/raw, net/raw6; the port is the protocol): a GRE
    # daemon with a connected IPv4 socket and an IPv6 one bound to its local
    # address; ospfd on the wildcard; hping3 with a raw TCP socket bound to
    # 127.0.0.1 beside a real TCP listener on 127.0.0.1:8888 (python3).
    810: (b"gretund", (0, 0, 0, 0),
          [b"gretund", b"--local", b"10.0.0.5", b"--remote", b"192.0.2.50",
           b"--local6", b"2001:db8::5"], {3: "socket:[8101]", 4: "socket:[8102]"}, True),
    820: (b"ospfd", (0, 0, 0, 0), [b"/usr/lib/frr/ospfd", b"-d"], {11: "socket:[8201]"}, True),
    830: (b"hping3", (0, 0, 0, 0), [b"hping3", b"-S", b"-p", b"8888", b"127.0.0.1"],
          {3: "socket:[8301]"}, True),
    840: (b"python3", (0, 0, 0, 0),
          [b"python3", b"-m", b"http.server", b"--bind", b"127.0.0.1", b"8888"],
          {3: "socket:[8401]"}, True),
    # SCTP (net/sctp/eps, net/sctp/assocs): a Diameter server listening on
    # 10.0.0.5 and 2001:db8::5 port 3868 (8501) with one multi-homed
    # association it accepted (8502); an M3UA client over IPv6 (8511).
    850: (b"freeDiameterd", (0, 0, 0, 0),
          [b"freeDiameterd", b"-c", b"/etc/freeDiameter/freeDiameter.conf"],
          {5: "socket:[8501]", 6: "socket:[8502]"}, True),
    851: (b"sctp_darn", (65534, 65534, 65534, 65534),
          [b"sctp_darn", b"-H", b"2001:db8::5", b"-P", b"2905", b"-h", b"2001:db8::99", b"-p",
           b"2905", b"-s"], {3: "socket:[8511]"}, True),
}

# The network namespace of every fixture process (/proc/PID/ns/net).
NETNS = 4026531840

# /proc/PID/cgroup of the fixture processes: pid -> (file contents, then by
# hand what proctraf must take from it: the cgroup v2 path, the systemd
# unit, the container; None when none).  A process not listed has no
# cgroup file at all.  A pure v2 host writes one "0::" line; a hybrid host
# v1 lines too (not read); a v1-only host no "0::" line at all.
DOCKER_ID = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa00112233445566778899"
CRI_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
V1_LINES = ("12:cpuset:/\n11:memory:/user.slice/user-0.slice/session-7.scope\n"
            "1:name=systemd:/user.slice/user-0.slice/session-7.scope\n")
CGROUPS = {
    # a user's session scope (curl, ssh from a login shell)
    100: ("0::/user.slice/user-0.slice/session-7.scope\n",
          "/user.slice/user-0.slice/session-7.scope", "session-7.scope", None),
    110: ("0::/user.slice/user-0.slice/session-7.scope\n",
          "/user.slice/user-0.slice/session-7.scope", "session-7.scope", None),
    # system services; sshd's on a hybrid host (v1 lines before the v2 one)
    120: (V1_LINES.replace("user.slice/user-0.slice/session-7.scope", "system.slice/ssh.service") +
          "0::/system.slice/ssh.service\n", "/system.slice/ssh.service", "ssh.service", None),
    121: ("0::/system.slice/ssh.service\n", "/system.slice/ssh.service", "ssh.service", None),
    200: ("0::/system.slice/resolver.service\n", "/system.slice/resolver.service",
          "resolver.service", None),
    700: ("0::/system.slice/named.service\n", "/system.slice/named.service", "named.service",
          None),
    1603: ("0::/system.slice/nginx.service\n", "/system.slice/nginx.service", "nginx.service",
           None),
    820: ("0::/system.slice/frr.service\n", "/system.slice/frr.service", "frr.service", None),
    # docker (systemd cgroup driver): web6 and mdns6 in one container
    300: ("0::/system.slice/docker-%s.scope\n" % DOCKER_ID,
          "/system.slice/docker-%s.scope" % DOCKER_ID, "docker-%s.scope" % DOCKER_ID, DOCKER_ID),
    310: ("0::/system.slice/docker-%s.scope\n" % DOCKER_ID,
          "/system.slice/docker-%s.scope" % DOCKER_ID, "docker-%s.scope" % DOCKER_ID, DOCKER_ID),
    # a Kubernetes pod's container (containerd, systemd driver): the unit is its scope
    500: ("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978"
          "_8796_a5b4c3d2e1f0.slice/cri-containerd-%s.scope\n" % CRI_ID,
          "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_8796"
          "_a5b4c3d2e1f0.slice/cri-containerd-%s.scope" % CRI_ID,
          "cri-containerd-%s.scope" % CRI_ID, CRI_ID),
    # an LXC container's process, below its own init.scope
    501: ("0::/lxc.payload.web1/system.slice/dualsrv.service\n",
          "/lxc.payload.web1/system.slice/dualsrv.service", None, "web1"),
    # a user manager's app scope: the unit is user@UID.service
    800: ("0::/user.slice/user-65534.slice/user@65534.service/app.slice/fping.scope\n",
          "/user.slice/user-65534.slice/user@65534.service/app.slice/fping.scope",
          "user@65534.service", None),
    # the root cgroup (a kernel thread's, or pid 1 before systemd moves it)
    830: ("0::/\n", "/", None, None),
    840: ("0::/init.scope\n", "/init.scope", "init.scope", None),
    # a v1-only host: no "0::" line, nothing known
    400: (V1_LINES, None, None, None),
    # a hybrid host's file with the v2 line last, no newline at its end
    401: (V1_LINES + "0::/user.slice/user-0.slice/session-7.scope",
          "/user.slice/user-0.slice/session-7.scope", "session-7.scope", None),
    # a cgroup named "x\n0::/system.slice/sshd.service" makes two "0::" lines: none
    1601: ("0::/user.slice/user-1000.slice/x\n0::/system.slice/ssh.service\n",
           None, None, None),
    # "0::" with an empty path
    1602: ("0::\n", None, None, None),
}

# A process without an fd directory (exited between listing and reading).
ZOMBIE = 999

# net/sctp/eps: (sk_state, local port, uid, inode, local addresses)
SCTP_EPS = [
    (10, 3868, 0, 8501, ["10.0.0.5", "2001:db8::5"]),
]
# net/sctp/assocs: (socket type, sk_state, assoc state, assoc id, local port,
# remote port, uid, inode, local addresses, remote addresses); "*" marks the
# primary path.  The server's association is multi-homed: two local
# addresses (one IPv6: it pairs with no remote), two remote ones.
SCTP_ASSOCS = [
    (1, 1, 3, 1, 3868, 40001, 0, 8502, ["*10.0.0.5", "2001:db8::5"],
     ["*192.0.2.60", "198.51.100.60"]),
    (5, 1, 3, 7, 2905, 2905, 65534, 8511, ["*2001:db8::5"], ["*2001:db8::99"]),
]

# (table, local addr, local port, remote addr, remote port, state, uid, inode)
# inode 9999 is in the table but no process holds it; inode 0 is TIME_WAIT.
SOCKETS = [
    ("tcp", "10.0.0.5", 40000, "93.184.216.34", 443, 0x01, 0, 1001),
    ("tcp", "10.0.0.5", 43000, "5.6.7.8", 22, 0x01, 0, 1101),
    ("tcp", "10.0.0.5", 41000, "1.2.3.4", 80, 0x06, 0, 0),
    ("tcp", "10.0.0.5", 42000, "1.2.3.4", 81, 0x01, 0, 9999),
    ("tcp", "10.0.0.5", 45000, "203.0.113.7", 8443, 0x01, 1000, 6002),
    ("tcp", "127.0.0.1", 631, "0.0.0.0", 0, 0x0A, 0, 8631),
    ("tcp6", "2001:db8::5", 50000, "2001:db8::99", 80, 0x01, 0, 3001),
    ("tcp6", "::", 8080, "::", 0, 0x0A, 0, 5001),
    ("tcp6", "::ffff:10.0.0.5", 8080, "::ffff:10.0.0.8", 44444, 0x01, 0, 5002),
    ("udp", "10.0.0.5", 5353, "10.0.0.9", 53, 0x01, 65534, 2001),
    ("udp", "127.0.0.1", 6000, "0.0.0.0", 0, 0x07, 0, 4001),
    ("udp", "127.0.0.1", 7000, "0.0.0.0", 0, 0x07, 0, 4002),
    ("udp", "0.0.0.0", 9000, "0.0.0.0", 0, 0x07, 0, 6001),
    ("udp", "10.0.0.5", 7777, "0.0.0.0", 0, 0x07, 3999999, 6003),
    ("udp6", "::", 5000, "::", 0, 0x07, 0, 3002),
    ("udp", "10.0.0.5", 7778, "0.0.0.0", 0, 0x07, 65534, 6004),
    ("tcp", "0.0.0.0", 8081, "0.0.0.0", 0, 0x0A, 0, 6005),
    ("tcp", "0.0.0.0", 22, "0.0.0.0", 0, 0x0A, 0, 1201),
    ("tcp", "10.0.0.5", 22, "198.51.100.20", 50000, 0x01, 0, 1202),
    ("udp", "127.0.0.1", 9000, "0.0.0.0", 0, 0x07, 0, 7001),
    # ping sockets: local port = echo identifier, remote port 0 (connected or not)
    ("icmp", "0.0.0.0", 0x5151, "0.0.0.0", 0, 0x07, 65534, 8001),
    ("icmp6", "::", 0x5152, "::", 0, 0x07, 65534, 8002),
    ("icmp", "10.0.0.5", 0x0801, "0.0.0.0", 0, 0x07, 0, 8011),
    ("icmp6", "2001:db8::5", 0x0803, "2001:db8::99", 0, 0x01, 0, 8021),
    # the loopback pingers: two ping sockets, a raw ICMP socket bound to 127.0.0.1
    ("icmp", "0.0.0.0", 0x0D05, "0.0.0.0", 0, 0x07, 0, 8601),
    ("icmp6", "::", 0x0D06, "::", 0, 0x07, 65534, 8621),
    ("raw", "127.0.0.1", 1, "0.0.0.0", 0, 0x07, 0, 8611),
    # raw sockets: local port = IP protocol, remote port 0
    ("raw", "10.0.0.5", 47, "192.0.2.50", 0, 0x01, 0, 8101),
    ("raw6", "2001:db8::5", 47, "::", 0, 0x07, 0, 8102),
    ("raw", "0.0.0.0", 89, "0.0.0.0", 0, 0x07, 0, 8201),
    ("raw", "127.0.0.1", 6, "0.0.0.0", 0, 0x07, 0, 8301),
    ("tcp", "127.0.0.1", 8888, "0.0.0.0", 0, 0x0A, 0, 8401),
    # a closed connection of sshd's port 22 (listener 0.0.0.0:22, pid 120)
    ("tcp", "10.0.0.5", 22, "198.51.100.99", 50022, 0x06, 0, 0),
]

FIB_TRIE_TABLE = """\
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 10.0.0.0/24 2 0 2
        +-- 10.0.0.0/29 2 0 2
           |-- 10.0.0.0
              /24 link UNICAST
           |-- 10.0.0.5
              /32 host LOCAL
        |-- 10.0.0.255
           /32 link BROADCAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     |-- 198.51.100.0
        /24 universe UNICAST
"""

IF_INET6 = """\
00000000000000000000000000000001 01 80 10 80       lo
20010db8000000000000000000000005 02 40 00 80     eth0
fe80000000000000021122fffe334455 02 40 20 80     eth0
"""


def kernel_hex(addr):
    """An address as /proc/net/* prints it: each 32-bit word %08X, little-endian."""
    raw = ip_bytes(addr)
    return "".join("%08X" % struct.unpack("<I", raw[i:i + 4])[0] for i in range(0, len(raw), 4))


def socket_line(table, n, la, lp, ra, rp, st, uid, ino):
    """One line as net/ipv4/tcp_ipv4.c, tcp_ipv6.c, udp.c, ping.c, raw.c and
    net/ipv6/datagram.c (udp6, icmp6, raw6) print it."""
    loc = "%s:%04X" % (kernel_hex(la), lp)
    rem = "%s:%04X" % (kernel_hex(ra), rp)
    if table == "tcp" and st == 0x06:        # get_timewait4_sock(): fewer fields
        return "%4d: %s %s %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x" % (
            n, loc, rem, st, 0, 0, 3, 0x1234, 0, 0, 0, 0, 3, 0)
    if table in ("tcp", "tcp6"):
        timer = "00:00000000"
        return "%4d: %s %s %02X %08X:%08X %s %08X %5d %8d %d %d %016x %d %d %d %d %d" % (
            n, loc, rem, st, 0, 0, timer, 0, uid, 0, ino, 1 if st == 0x0A else 2, 0,
            100 if st == 0x0A else 20, 0 if st == 0x0A else 4, 0 if st == 0x0A else 30, 10,
            0 if st == 0x0A else -1)
    if table in ("raw", "raw6"):
        # raw.c raw_sock_seq_show() "%4d:", ipv6/raw.c via datagram.c "%5d:";
        # the bucket is the protocol (the hash of the raw table)
        return ("%4d" if table == "raw" else "%5d") % lp + \
            ": %s %s %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d" % (
                loc, rem, st, 0, 0, 0, 0, 0, uid, 0, ino, 2, 0, 0)
    if table in ("icmp", "icmp6"):          # ping.c: 64 buckets, hashed by identifier
        bucket = lp % 64
    else:
        bucket = (lp * 7) % 4096 + (0 if table == "udp" else 1)
    return "%5d: %s %s %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %016x %d" % (
        bucket, loc, rem, st, 0, 0, 0, 0, 0, uid, 0, ino, 2, 0, 0)


HEADERS = {
    "tcp": ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
            "   uid  timeout inode", 149),
    "tcp6": ("  sl  local_address                         remote_address                 "
             "       st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode", None),
    "udp": ("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
            "   uid  timeout inode ref pointer drops", 127),
    "udp6": ("  sl  local_address                         remote_address                 "
             "       st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer"
             " drops", None),
    # ping.c ping_v4_seq_show(): padded to 127 like udp; raw.c: not padded;
    # icmp6 and raw6: IPV6_SEQ_DGRAM_HEADER, as udp6
    "icmp": ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
             "   uid  timeout inode ref pointer drops", 127),
    "icmp6": ("  sl  local_address                         remote_address                 "
              "       st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer"
              " drops", None),
    "raw": ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt"
            "   uid  timeout inode ref pointer drops", None),
    "raw6": ("  sl  local_address                         remote_address                 "
             "       st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer"
             " drops", None),
}


def sctp_addr(a):
    """sctp_v4_seq_dump_addr() "%pI4 ", sctp_v6_seq_dump_addr() "%pI6 " (not
    compressed: 2001:0db8:0000:...), after the '*' of a primary path."""
    star = "*" if a.startswith("*") else ""
    ip = ipaddress.ip_address(a.lstrip("*"))
    return star + (ip.exploded if ip.version == 6 else str(ip)) + " "


def sctp_files():
    """net/sctp/eps and net/sctp/assocs as net/sctp/proc.c prints them (%8p
    pointers hashed: 16 hex digits)."""
    eps = [" ENDPT     SOCK   STY SST HBKT LPORT   UID INODE LADDRS"]
    for i, (sst, lport, uid, ino, addrs) in enumerate(SCTP_EPS):
        eps.append("%016x %016x %-3d %-3d %-4d %-5d %5u %5d " % (
            0x5e9d0000 + i, 0x6a7b0000 + i, 1, sst, lport % 64, lport, uid, ino) +
            "".join(sctp_addr(a) for a in addrs))
    assocs = [" ASSOC     SOCK   STY SST ST HBKT ASSOC-ID TX_QUEUE RX_QUEUE UID INODE LPORT RPORT"
              " LADDRS <-> RADDRS HBINT INS OUTS MAXRT T1X T2X RTXC wmema wmemq sndbuf rcvbuf"]
    for i, (sty, sst, st, aid, lport, rport, uid, ino, loc, rem) in enumerate(SCTP_ASSOCS):
        assocs.append(
            "%016x %016x %-3d %-3d %-2d %-4d %4d %8d %8d %7u %5d %-5d %5d " % (
                0x7c8d0000 + i, 0x6a7b1000 + i, sty, sst, st, 0, aid, 0, 0, uid, ino, lport,
                rport) +
            " " + "".join(sctp_addr(a) for a in loc) + "<-> " + "".join(sctp_addr(a) for a in rem) +
            "\t%8d %5d %5d %4d %4d %4d %8d %8d %8d %8d %8d" % (
                30000, 10, 10, 10, 0, 0, 0, 1, 0, 212992, 212992))
    return "\n".join(eps) + "\n", "\n".join(assocs) + "\n"


def cmdline_file(args):
    """args: a list (each followed by NUL, as exec() leaves them), raw bytes, or None."""
    if isinstance(args, bytes):
        return args
    return b"".join(a + b"\0" for a in args or [])


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def make_proc():
    shutil.rmtree(PROC, ignore_errors=True)
    host = os.path.join(PROC, "host")
    for table, (head, pad) in HEADERS.items():
        lines = [head]
        n = 0
        for s in SOCKETS:
            if s[0] == table:
                lines.append(socket_line(table, n, *s[1:]))
                n += 1
        if pad:                          # seq_pad(): IPv4 lines padded to a fixed width
            lines = [x.ljust(pad - 1) for x in lines]
        write(os.path.join(host, "net", table), "\n".join(lines) + "\n")
    write(os.path.join(host, "net", "fib_trie"),
          "Main:\n" + FIB_TRIE_TABLE + "Local:\n" + FIB_TRIE_TABLE)
    write(os.path.join(host, "net", "if_inet6"), IF_INET6)
    eps, assocs = sctp_files()
    write(os.path.join(host, "net", "sctp", "eps"), eps)
    write(os.path.join(host, "net", "sctp", "assocs"), assocs)
    for pid, (comm, uids, args, fds, has_stat) in PROCS.items():
        d = os.path.join(host, str(pid))
        write(os.path.join(d, "comm"), comm + b"\n")
        name = comm.replace(b"\\", b"\\\\").replace(b"\t", b"\\t").replace(b"\n", b"\\n")
        write(os.path.join(d, "status"),
              b"Name:\t" + name + b"\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\n"
              b"Ngid:\t0\nPid:\t%d\nPPid:\t1\nTracerPid:\t0\nUid:\t%d\t%d\t%d\t%d\n"
              b"Gid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \n" % ((pid, pid) + uids))
        write(os.path.join(d, "cmdline"), cmdline_file(args))
        if has_stat:
            write(os.path.join(d, "stat"),
                  b"%d (%s) S 1 %d %d 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0 %d 9000000 400 "
                  b"18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
                  % (pid, comm, pid, pid, 5000 + pid))
        os.makedirs(os.path.join(d, "fd"))
        for fd, target in sorted(fds.items()):
            os.symlink(target, os.path.join(d, "fd", str(fd)))
        if pid in CGROUPS:
            write(os.path.join(d, "cgroup"), CGROUPS[pid][0])
        # Every process in one network namespace, the one "self" is in.
        os.makedirs(os.path.join(d, "ns"))
        os.symlink("net:[%d]" % NETNS, os.path.join(d, "ns", "net"))
    z = os.path.join(host, str(ZOMBIE))
    write(os.path.join(z, "comm"), b"zombie\n")
    write(os.path.join(z, "cmdline"), b"")
    write(os.path.join(z, "status"), b"Name:\tzombie\nState:\tZ (zombie)\nUid:\t0\t0\t0\t0\n")
    os.symlink("100", os.path.join(host, "self"))          # as in the real /proc
    write(os.path.join(PROC, "empty", ".keep"), b"")       # git keeps no empty directory


# ---------------------------------------------------------------------------
# Packets.  Every builder returns the IP packet; the Capture records its
# ledger entry next to it.

def tcp_hdr(sport, dport, payload, flags=0x18):
    return struct.pack(">HHIIBBHHH", sport, dport, 1000, 2000, 0x50, flags, 65535, 0, 0) + \
        bytes((i * 7 + 3) & 0xFF for i in range(payload))


def udp_hdr(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + payload, 0) + b"u" * payload


def icmp_echo(itype, ident, payload, seq=1):
    return struct.pack(">BBHHH", itype, 0, 0, ident, seq) + b"i" * payload


def ipv4(src, dst, proto, body, options=b"", ident=0x1234, frag=0x4000, total=None, vihl=None):
    ihl = 5 + len(options) // 4
    length = 20 + len(options) + len(body) if total is None else total
    first = (0x40 | ihl) if vihl is None else vihl
    return struct.pack(">BBHHHBBH4s4s", first, 0, length, ident, frag, 64, proto, 0,
                       ip_bytes(src), ip_bytes(dst)) + options + body


def ext_hdr(next_hdr, octets):
    """An IPv6 options header (hop-by-hop or destination) of 8*octets bytes, PadN-filled."""
    n = 8 * octets
    return bytes([next_hdr, octets - 1, 1, n - 4]) + b"\0" * (n - 4)


def ipv6(src, dst, proto, body, ext=(), plen=None):
    """ext: ((header type, octets), ...) in wire order."""
    chain = b""
    nh = proto
    for kind, octets in reversed(ext):
        chain = ext_hdr(nh, octets) + chain
        nh = kind
    payload = chain + body
    length = len(payload) if plen is None else plen
    return struct.pack(">IHBB16s16s", 6 << 28, length, nh, 64, ip_bytes(src), ip_bytes(dst)) + \
        payload


MAC_LOCAL = b"\x02\x00\x00\x00\x00\x05"
MAC_GW = b"\x02\x00\x00\x00\x00\x01"


def eth(payload, etype, out=True, tags=()):
    hdr = (MAC_GW + MAC_LOCAL) if out else (MAC_LOCAL + MAC_GW)
    for tag in tags:
        tpid, vid = tag if isinstance(tag, tuple) else (0x8100, tag)
        hdr += struct.pack(">HH", tpid, vid)
    return hdr + struct.pack(">H", etype) + payload


def etype_of(ip):
    return 0x86DD if ip[0] >> 4 == 6 else 0x0800


def sll(ip, out):
    # packet type, ARPHRD_ETHER, address length, address (8 bytes), protocol
    return struct.pack(">HHH8sH", 4 if out else 0, 1, 6, MAC_LOCAL + b"\0\0", etype_of(ip)) + ip


def sll2(ip, out):
    # protocol, reserved, ifindex, ARPHRD_ETHER, packet type, address length, address
    return struct.pack(">HHIHBB8s", etype_of(ip), 0, 2, 1, 4 if out else 0, 6,
                       MAC_LOCAL + b"\0\0") + ip


def arp(op, out):
    body = struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, MAC_LOCAL, ip_bytes("10.0.0.5"),
                       b"\0" * 6 if op == 1 else MAC_GW, ip_bytes("10.0.0.9"))
    return body


class Capture:
    """Frames with their ledger entries.

    Ledger entry of a packet:
      kind      "ip", "not-ip" or "malformed"
      iplen     IP length written in the header (ip only)
      proto, src, sport, dst, dport   the 5-tuple (ip only; an ICMP echo's
                identifier is the port of the pinger's end: the sport of
                a request, the dport of a reply, the other 0; other
                protocols have ports 0)
      vlan      how many 802.1Q/802.1ad tags the frame carries (for filters)
      out       the link layer marks it outgoing (cooked captures)
      host      attribution with proc/host: sender pid, receiver pid,
                unknown reason (None when a process owns an end)
    """

    def __init__(self, name, linktype):
        self.name, self.linktype = name, linktype
        self.records = []       # (ts_us, caplen frame, original length)
        self.ledger = []

    def _add(self, frame, entry, orig=None, ts_us=None):
        if ts_us is None:
            ts_us = T0 * 1000000 + 100000 * len(self.records)
        self.records.append((ts_us, frame, len(frame) if orig is None else orig))
        # The time proctraf reads: whole seconds past 9999 are its last second.
        sec, usec = divmod(ts_us, 1000000)
        entry["ts_us"] = min(sec, TIME_MAX_S) * 1000000 + usec
        self.ledger.append(entry)

    def ip(self, frame, ip, sender=None, receiver=None, unknown=None, vlan=0, out=None,
           orig=None, ports=None, other=None, ts_us=None, forced_proto=None,
           forced_iplen=None):
        """A good IP packet; ip is the IP packet inside frame (for the ledger).
        other: why the end that has no owner, when it is an address of this
        host and the other end has an owner, has none (oracle: "no-socket").
        forced_proto, ports: the transport protocol and ports proctraf must
        give the packet, where its own headers do not show them (a later
        fragment: its first fragment's). forced_iplen: the IP length to count,
        where the length field says 0 (a super-packet)."""
        assert (sender or receiver) is not None or unknown, "each packet lands somewhere"
        assert not ((sender or receiver) and unknown)
        v = ip[0] >> 4
        if v == 4:
            ihl = (ip[0] & 15) * 4
            iplen = struct.unpack(">H", ip[2:4])[0]
            proto, src, dst, l4 = ip[9], ip[12:16], ip[16:20], ip[ihl:]
        else:
            iplen = 40 + struct.unpack(">H", ip[4:6])[0]
            proto, src, dst = ip[6], ip[8:24], ip[24:40]
            l4 = ip[40:]
            while forced_proto is None and proto in (0, 43, 44, 51, 60):   # the extension headers
                size = 8 if proto == 44 else 4 * (l4[1] + 2) if proto == 51 else 8 * (l4[1] + 1)
                proto, l4 = l4[0], l4[size:]
        if forced_proto is not None:
            assert ports is not None, "a forced protocol comes with its ports"
            proto = forced_proto
        if forced_iplen is not None:
            iplen = forced_iplen
        if ports is None:
            if proto in (6, 17, 132):
                ports = struct.unpack(">HH", l4[:4])
            elif proto in (1, 58) and l4[0] in ((8, 0) if proto == 1 else (128, 129)):
                ident = struct.unpack(">H", l4[4:6])[0]
                ports = (ident, 0) if l4[0] in (8, 128) else (0, ident)
            else:
                ports = (0, 0)
        self._add(frame, dict(kind="ip", iplen=iplen, proto=proto, v=v,
                              nh=ip[9] if v == 4 else ip[6],
                              src=str(ipaddress.ip_address(src)), sport=ports[0],
                              dst=str(ipaddress.ip_address(dst)), dport=ports[1],
                              vlan=vlan, out=out,
                              host=dict(sender=sender, receiver=receiver, unknown=unknown,
                                        other=other)),
                  orig=orig, ts_us=ts_us)

    def other(self, frame, kind, why, orig=None, vlan=0):
        assert kind in ("not-ip", "malformed")
        self._add(frame, dict(kind=kind, why=why, vlan=vlan), orig=orig)

    def pcap(self, big_endian=False, nanosec=False, cut=None):
        e = ">" if big_endian else "<"
        magic = 0xA1B23C4D if nanosec else 0xA1B2C3D4
        out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 65535, self.linktype)
        for ts_us, frame, orig in self.records:
            frac = ts_us % 1000000 * (1000 if nanosec else 1)
            out += struct.pack(e + "IIII", ts_us // 1000000, frac, len(frame), orig) + frame
        return out if cut is None else out[:cut]

    def pcapng(self, nanosec=False):
        def block(btype, body):
            body += b"\0" * (-len(body) % 4)
            return struct.pack("<II", btype, 12 + len(body)) + body + \
                struct.pack("<I", 12 + len(body))
        opt_end = struct.pack("<HH", 0, 0)
        app = b"mkcaptures.py"
        shb_opts = struct.pack("<HH", 4, len(app)) + app + b"\0" * (-len(app) % 4) + opt_end
        out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + shb_opts)
        name = b"eth0"
        idb_opts = struct.pack("<HH", 2, len(name)) + name + \
            struct.pack("<HHB", 9, 1, 9 if nanosec else 6) + b"\0\0\0" + opt_end
        # (if_name, if_tsresol: 10^-9 or 10^-6)
        out += block(1, struct.pack("<HHI", self.linktype, 0, 65535) + idb_opts)
        for ts_us, frame, orig in self.records:
            ts = ts_us * 1000 if nanosec else ts_us
            out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF,
                                        len(frame), orig) + frame)
        return out


# ---------------------------------------------------------------------------

def cap_en10mb():
    """Ethernet: curl's TLS connection (one packet with IP options, one padded
    to the 60-byte minimum, a FIN), the resolver's DNS over 802.1Q, ARP."""
    c = Capture("en10mb", 1)
    A, B = "10.0.0.5", "93.184.216.34"

    def out(n, flags=0x18, options=b""):
        ip = ipv4(A, B, 6, tcp_hdr(40000, 443, n, flags), options=options)
        return ip

    def inc(n, flags=0x18):
        return ipv4(B, A, 6, tcp_hdr(443, 40000, n, flags))

    ip = out(0, 0x02); c.ip(eth(ip, 0x0800), ip, sender=100)                   # 0
    ip = inc(0, 0x12); c.ip(eth(ip, 0x0800, out=False), ip, receiver=100)      # 1
    ip = out(517); c.ip(eth(ip, 0x0800), ip, sender=100)                       # 2
    ip = inc(1400); c.ip(eth(ip, 0x0800, out=False), ip, receiver=100)         # 3
    ip = inc(1400); c.ip(eth(ip, 0x0800, out=False), ip, receiver=100)         # 4
    # 5: at exactly T0 + 0.5 s: IHL 6 (router alert option)
    ip = out(10, options=b"\x94\x04\x00\x00"); c.ip(eth(ip, 0x0800), ip, sender=100)
    ip = ipv4(A, "10.0.0.9", 17, udp_hdr(5353, 53, 33))                       # 6
    c.ip(eth(ip, 0x0800, tags=(10,)), ip, sender=200, vlan=1)
    ip = ipv4("10.0.0.9", A, 17, udp_hdr(53, 5353, 120))                      # 7
    c.ip(eth(ip, 0x0800, out=False, tags=(10,)), ip, receiver=200, vlan=1)
    c.other(eth(arp(1, True), 0x0806), "not-ip", "ARP request")                # 8
    c.other(eth(arp(2, False), 0x0806, out=False), "not-ip", "ARP reply")      # 9
    ip = out(0, 0x10)                                                          # 10: padded
    c.ip(eth(ip, 0x0800) + b"\0" * 6, ip, sender=100)
    ip = inc(300); c.ip(eth(ip, 0x0800, out=False), ip, receiver=100)          # 11
    ip = ipv4(A, "10.0.0.9", 17, udp_hdr(5353, 53, 40))                       # 12
    c.ip(eth(ip, 0x0800, tags=(10,)), ip, sender=200, vlan=1)
    ip = ipv4("10.0.0.9", A, 17, udp_hdr(53, 5353, 200))                      # 13
    c.ip(eth(ip, 0x0800, out=False, tags=(10,)), ip, receiver=200, vlan=1)
    ip = out(0, 0x11); c.ip(eth(ip, 0x0800), ip, sender=100)                   # 14
    ip = inc(0, 0x11); c.ip(eth(ip, 0x0800, out=False), ip, receiver=100)      # 15
    c.other(eth(arp(1, True), 0x0806, tags=(10,)), "not-ip", "ARP in 802.1Q", vlan=1)
    # 17: IHL 15, the longest IPv4 header (39 NOPs and an end-of-options)
    ip = out(3, options=b"\x01" * 39 + b"\x00"); c.ip(eth(ip, 0x0800), ip, sender=100)
    # 18, 19: 802.1ad + 802.1Q (QinQ)
    ip = ipv4(A, "10.0.0.9", 17, udp_hdr(5353, 53, 21))
    c.ip(eth(ip, 0x0800, tags=((0x88A8, 100), 10)), ip, sender=200, vlan=2)
    ip = ipv4("10.0.0.9", A, 17, udp_hdr(53, 5353, 77))
    c.ip(eth(ip, 0x0800, out=False, tags=((0x88A8, 100), 10)), ip, receiver=200, vlan=2)
    # 20: 802.3 length field + LLC (spanning tree): not IP
    bpdu = b"\x42\x42\x03" + b"\0" * 35
    c.other(b"\x01\x80\xc2\x00\x00\x00" + MAC_GW + struct.pack(">H", len(bpdu)) + bpdu,
            "not-ip", "802.3 + LLC (STP)")
    return c


V6A, V6B = "2001:db8::5", "2001:db8::99"


def cap_ipv6(name, linktype, wrap):
    """Cooked captures: web6's IPv6 TCP, some packets behind a hop-by-hop +
    destination-options chain; UDP to mdns6's socket bound to [::]:5000."""
    c = Capture(name, linktype)
    chain = ((0, 1), (60, 2))                 # hop-by-hop (8 bytes), dest. options (16)

    def tcp(src, sp, dst, dp, n, ext=()):
        return ipv6(src, dst, 6, tcp_hdr(sp, dp, n), ext=ext)

    ip = tcp(V6A, 50000, V6B, 80, 0, chain); c.ip(wrap(ip, True), ip, sender=300, out=True)
    ip = tcp(V6B, 80, V6A, 50000, 0); c.ip(wrap(ip, False), ip, receiver=300, out=False)
    ip = tcp(V6A, 50000, V6B, 80, 120, chain); c.ip(wrap(ip, True), ip, sender=300, out=True)
    ip = tcp(V6B, 80, V6A, 50000, 1200); c.ip(wrap(ip, False), ip, receiver=300, out=False)
    ip = tcp(V6B, 80, V6A, 50000, 1200, ((0, 1),))
    c.ip(wrap(ip, False), ip, receiver=300, out=False)
    ip = ipv6("2001:db8::77", V6A, 17, udp_hdr(6666, 5000, 64))
    c.ip(wrap(ip, False), ip, receiver=310, out=False)
    ip = ipv6(V6A, "2001:db8::77", 17, udp_hdr(5000, 6666, 32))
    c.ip(wrap(ip, True), ip, sender=310, out=True)
    ip = ipv6("2001:db8::78", V6A, 17, udp_hdr(6667, 5000, 10), ext=((60, 1),))
    c.ip(wrap(ip, False), ip, receiver=310, out=False)
    c.other(wrap_other(wrap, 0x0806, arp(1, True)), "not-ip", "cooked ARP")
    return c


def wrap_other(wrap, proto, body):
    """A cooked frame of another protocol: build one for IPv4 and patch the protocol."""
    frame = bytearray(wrap(b"\x45" + b"\0" * 19, True)[:-20] + body)
    at = 14 if wrap is sll else 0
    frame[at:at + 2] = struct.pack(">H", proto)
    return bytes(frame)


def cap_raw():
    """RAW: loopback UDP between two local processes (sent for one, received
    for the other); IPv4 to a tcp6 socket on [::]:8080 and to a v4-mapped
    connected tcp6 socket; IPv6 loopback to the [::]:5000 socket from a port
    without a socket."""
    c = Capture("raw", 101)
    L = "127.0.0.1"
    for n in (10, 11):
        ip = ipv4(L, L, 17, udp_hdr(6000, 7000, n)); c.ip(ip, ip, sender=400, receiver=401)
    ip = ipv4(L, L, 17, udp_hdr(7000, 6000, 99)); c.ip(ip, ip, sender=401, receiver=400)
    ip = ipv4("10.0.0.7", "10.0.0.5", 6, tcp_hdr(33333, 8080, 0, 0x02)); c.ip(ip, ip, receiver=500)
    ip = ipv4("10.0.0.5", "10.0.0.7", 6, tcp_hdr(8080, 33333, 0, 0x12)); c.ip(ip, ip, sender=500)
    ip = ipv4("10.0.0.8", "10.0.0.5", 6, tcp_hdr(44444, 8080, 500)); c.ip(ip, ip, receiver=501)
    ip = ipv4("10.0.0.5", "10.0.0.8", 6, tcp_hdr(8080, 44444, 50)); c.ip(ip, ip, sender=501)
    ip = ipv4(L, L, 17, udp_hdr(6000, 7000, 0)); c.ip(ip, ip, sender=400, receiver=401)
    ip = ipv6("::1", "::1", 17, udp_hdr(6001, 5000, 20)); c.ip(ip, ip, receiver=310)
    # 127.0.0.1:9000 (named) is bound beside 0.0.0.0:9000: the address wins
    ip = ipv4(L, L, 17, udp_hdr(6000, 9000, 40)); c.ip(ip, ip, sender=400, receiver=700)
    ip = ipv4(L, L, 17, udp_hdr(9000, 6000, 200)); c.ip(ip, ip, sender=700, receiver=400)
    return c


def cap_bsd(name, linktype, hdr):
    """NULL / LOOP: ssh's connection; a NULL frame of an unknown family."""
    c = Capture(name, linktype)
    A, B = "10.0.0.5", "5.6.7.8"
    for src, sp, dst, dp, n, who in ((A, 43000, B, 22, 48, "s"), (B, 22, A, 43000, 512, "r"),
                                     (A, 43000, B, 22, 0, "s"), (B, 22, A, 43000, 36, "r")):
        ip = ipv4(src, dst, 6, tcp_hdr(sp, dp, n))
        c.ip(hdr(2) + ip, ip, **({"sender": 110} if who == "s" else {"receiver": 110}))
    if linktype == 0:
        c.other(hdr(99) + b"\0" * 32, "not-ip", "address family 99")
    # sshd: a new client reaches the listener (120), a connected one its child (121)
    C1, C2 = "198.51.100.21", "198.51.100.20"
    ip = ipv4(C1, A, 6, tcp_hdr(50001, 22, 0, 0x02)); c.ip(hdr(2) + ip, ip, receiver=120)
    ip = ipv4(A, C1, 6, tcp_hdr(22, 50001, 0, 0x12)); c.ip(hdr(2) + ip, ip, sender=120)
    ip = ipv4(C2, A, 6, tcp_hdr(50000, 22, 64)); c.ip(hdr(2) + ip, ip, receiver=121)
    ip = ipv4(A, C2, 6, tcp_hdr(22, 50000, 96)); c.ip(hdr(2) + ip, ip, sender=121)
    return c


def cap_unknown():
    """SLL: traffic for every unknown reason, and one packet of curl's."""
    c = Capture("unknown", 113)
    A = "10.0.0.5"

    def put(ip, out, **kw):
        c.ip(sll(ip, out), ip, out=out, **kw)

    put(ipv4(A, "9.9.9.9", 6, tcp_hdr(44444, 443, 10)), True, unknown="no-socket")
    put(ipv4("9.9.9.9", A, 6, tcp_hdr(443, 44444, 20)), False, unknown="no-socket")
    put(ipv4(A, "1.2.3.4", 6, tcp_hdr(41000, 80, 0, 0x10)), True, unknown="no-process")  # TIME_WAIT
    put(ipv4("1.2.3.4", A, 6, tcp_hdr(81, 42000, 300)), False, unknown="no-process")     # orphan
    put(ipv4(A, "1.2.3.4", 6, tcp_hdr(42000, 81, 0, 0x10)), True, unknown="no-process")
    put(ipv4("8.8.8.8", "9.9.9.9", 17, udp_hdr(1000, 2000, 30)), True, unknown="not-local")
    put(ipv4("8.8.8.8", "10.0.0.6", 17, udp_hdr(53, 9000, 70)), False, unknown="not-local")
    put(ipv4(A, "9.9.9.9", 1, icmp_echo(8, 0x1234, 56)), True, unknown="no-socket")
    put(ipv4("9.9.9.9", A, 1, icmp_echo(0, 0x1234, 56)), False, unknown="no-socket")
    put(ipv4(A, "198.51.100.1", 47, b"\0\0\x08\0" + b"g" * 40), True, unknown="no-socket")
    put(ipv6("2001:db8::77", V6A, 17, udp_hdr(1234, 9999, 5)), False, unknown="no-socket")
    put(ipv6("2001:db8::77", "2001:db8::88", 17, udp_hdr(1234, 9999, 5)), False,
        unknown="not-local")
    # the UDP socket 10.0.0.5:5353 is connected to 10.0.0.9:53 and curl's TCP
    # socket to 93.184.216.34:443: other peers on those ports match nothing
    put(ipv4("10.0.0.10", A, 17, udp_hdr(53, 5353, 12)), False, unknown="no-socket")
    put(ipv4(A, "93.184.216.35", 6, tcp_hdr(40000, 443, 0, 0x02)), True, unknown="no-socket")
    # ICMPv6 neighbour solicitation to the link-local address, echo to the global one
    put(ipv6("fe80::1", "fe80::211:22ff:fe33:4455", 58, b"\x87\0\0\0" + b"\0" * 20), False,
        unknown="no-socket")
    put(ipv6("2001:db8::77", V6A, 58, icmp_echo(128, 0x77, 16)), False, unknown="no-socket")
    # curl moves exactly as many bytes as unknown:not-local: the process row comes first
    put(ipv4(A, "93.184.216.34", 6, tcp_hdr(40000, 443, 169)), True, sender=100)
    return c


def cap_hostile():
    """RAW: traffic of the processes with hostile names."""
    c = Capture("hostile", 101)
    A = "10.0.0.5"
    ip = ipv4("198.51.100.10", A, 17, udp_hdr(53, 9000, 70)); c.ip(ip, ip, receiver=600)
    ip = ipv4(A, "198.51.100.10", 17, udp_hdr(9000, 53, 30)); c.ip(ip, ip, sender=600)
    ip = ipv4(A, "203.0.113.7", 6, tcp_hdr(45000, 8443, 200)); c.ip(ip, ip, sender=1601)
    ip = ipv4("203.0.113.7", A, 6, tcp_hdr(8443, 45000, 900)); c.ip(ip, ip, receiver=1601)
    # 87 moves exactly as many bytes as 600: the tie is broken by pid (87 < 600)
    ip = ipv4(A, "192.0.2.1", 17, udp_hdr(7777, 7777, 128)); c.ip(ip, ip, sender=87)
    ip = ipv4(A, "192.0.2.1", 17, udp_hdr(7778, 7777, 2)); c.ip(ip, ip, sender=1602)
    ip = ipv4("198.51.100.30", A, 6, tcp_hdr(40000, 8081, 500)); c.ip(ip, ip, receiver=1603)
    return c


def cap_ties():
    """RAW: five rows of 100 bytes each, in the reverse of their sorted order."""
    c = Capture("ties", 101)
    A = "10.0.0.5"
    ip = ipv4("8.8.8.8", "9.9.9.9", 17, udp_hdr(1, 2, 72)); c.ip(ip, ip, unknown="not-local")
    ip = ipv4(A, "9.9.9.9", 6, tcp_hdr(44444, 443, 60)); c.ip(ip, ip, unknown="no-socket")
    ip = ipv4("10.0.0.9", A, 17, udp_hdr(53, 5353, 72)); c.ip(ip, ip, receiver=200)
    ip = ipv4(A, "5.6.7.8", 6, tcp_hdr(43000, 22, 60)); c.ip(ip, ip, sender=110)
    ip = ipv4("93.184.216.34", A, 6, tcp_hdr(443, 40000, 60)); c.ip(ip, ip, receiver=100)
    return c


def cap_farfuture():
    """pcapng (if_tsresol 10^-6, 64-bit times): curl's packets, the first at T0,
    the others far past year 9999, the last at the largest time the format
    holds (2^64 - 1 us). Found by fuzz_session: such a time overflowed the
    microseconds proctraf computes; they now read as 9999's last second."""
    c = Capture("farfuture", 1)
    A, B = "10.0.0.5", "93.184.216.34"
    ip = ipv4(A, B, 6, tcp_hdr(40000, 443, 100)); c.ip(eth(ip, 0x0800), ip, sender=100)
    ip = ipv4(B, A, 6, tcp_hdr(443, 40000, 200))
    c.ip(eth(ip, 0x0800, out=False), ip, receiver=100, ts_us=10 ** 18 + 250000)
    ip = ipv4(A, B, 6, tcp_hdr(40000, 443, 300))
    c.ip(eth(ip, 0x0800), ip, sender=100, ts_us=2 ** 64 - 1)
    return c


def cap_ipv6ext():
    """RAW: IPv6 extension headers beyond hop-by-hop and destination options."""
    c = Capture("ipv6ext", 101)
    B = V6B

    def raw6(src, dst, first, chain_bytes, body):
        return struct.pack(">IHBB16s16s", 6 << 28, len(chain_bytes) + len(body), first, 64,
                           ip_bytes(src), ip_bytes(dst)) + chain_bytes + body

    # hop-by-hop, routing (type 4, 24 bytes), destination options, TCP
    rh = bytes([60, 2, 4, 0]) + b"\0" * 4 + ip_bytes(V6A)
    chain = ext_hdr(43, 1) + rh + ext_hdr(6, 1)
    ip = raw6(V6A, B, 0, chain, tcp_hdr(50000, 80, 30)); c.ip(ip, ip, sender=300)
    # authentication header (its length counts 4-byte words), then TCP
    ah = bytes([6, 4, 0, 0]) + struct.pack(">II", 0x1000, 1) + b"\xAA" * 12
    ip = raw6(B, V6A, 51, ah, tcp_hdr(80, 50000, 400)); c.ip(ip, ip, receiver=300)
    # atomic fragment (offset 0, no more fragments), then UDP
    fh = bytes([17, 0]) + struct.pack(">HI", 0, 0x5555)
    ip = raw6("2001:db8::77", V6A, 44, fh, udp_hdr(6666, 5000, 44))
    c.ip(ip, ip, receiver=310, ports=(6666, 5000))
    # ESP: no ports to see; "no next header": nothing at all
    ip = raw6(V6A, B, 50, b"", struct.pack(">II", 0x2000, 1) + b"e" * 40)
    c.ip(ip, ip, unknown="no-socket")
    ip = raw6(B, V6A, 59, b"", b""); c.ip(ip, ip, unknown="no-socket")
    return c


def cap_frag():
    """RAW: a fragmented UDP datagram over IPv4 and one over IPv6; the later
    fragments have no ports and belong to the first fragment's flow."""
    c = Capture("frag", 101)
    A = "10.0.0.5"
    body = udp_hdr(9000, 53, 2000)
    first = ipv4(A, "198.51.100.10", 17, body[:1480], ident=77, frag=0x2000)
    c.ip(first, first, sender=600)
    later = ipv4(A, "198.51.100.10", 17, body[1480:], ident=77, frag=1480 // 8)
    c.ip(later, later, sender=600, ports=(9000, 53))
    body = udp_hdr(5000, 6666, 1800)
    fh1 = bytes([17, 0]) + struct.pack(">HI", 0x0001, 0xABCD)           # offset 0, M
    fh2 = bytes([17, 0]) + struct.pack(">HI", (1232 // 8) << 3, 0xABCD)  # offset 1232
    p1 = struct.pack(">IHBB16s16s", 6 << 28, 8 + 1232, 44, 64, ip_bytes(V6A),
                     ip_bytes("2001:db8::77")) + fh1 + body[:1232]
    p2 = struct.pack(">IHBB16s16s", 6 << 28, 8 + len(body) - 1232, 44, 64, ip_bytes(V6A),
                     ip_bytes("2001:db8::77")) + fh2 + body[1232:]
    c.ip(p1, p1, sender=310, ports=(5000, 6666))
    c.ip(p2, p2, sender=310, ports=(5000, 6666))
    return c


def cap_fragopts():
    """RAW: IPv6 datagrams fragmented with a Destination Options header after
    the Fragment header (RFC 8200 4.5: it is in the fragmentable part, so
    only the first fragment has it and the UDP header behind it; every
    Fragment header names Destination Options, 60, as its next header).
    The later fragments are the first one's flow: protocol 17 and its
    ports. In order, sent and received (behind a Hop-by-Hop header), then
    a datagram whose later fragment comes first: nothing told proctraf its
    ports yet, so it is unattributed, by the protocol its headers name."""
    c = Capture("fragopts", 101)
    PEER = "2001:db8::77"

    def datagram(src, dst, sport, dport, ident, hop=False):
        """The first and the later fragment of a UDP datagram of 1800 bytes."""
        frag_part = ext_hdr(17, 1) + udp_hdr(sport, dport, 1800)
        cut = 1232                                      # a multiple of 8
        pieces = []
        for off, more, data in ((0, 1, frag_part[:cut]), (cut, 0, frag_part[cut:])):
            fh = bytes([60, 0]) + struct.pack(">HI", (off // 8) << 3 | more, ident)
            unfrag = ext_hdr(44, 1) if hop else b""
            payload = unfrag + fh + data
            pieces.append(struct.pack(">IHBB16s16s", 6 << 28, len(payload), 0 if hop else 44, 64,
                                      ip_bytes(src), ip_bytes(dst)) + payload)
        return pieces

    first, later = datagram(V6A, PEER, 5000, 6666, 0xC0DE0001)
    c.ip(first, first, sender=310)
    c.ip(later, later, sender=310, forced_proto=17, ports=(5000, 6666))
    first, later = datagram(PEER, V6A, 6666, 5000, 0xC0DE0002, hop=True)
    c.ip(first, first, receiver=310)
    c.ip(later, later, receiver=310, forced_proto=17, ports=(6666, 5000))
    # the later fragment before the first: protocol 60 (its Fragment
    # header's), ports 0; a local source, so sent in unknown:no-socket
    first, later = datagram(V6A, PEER, 5000, 6666, 0xC0DE0003)
    c.ip(later, later, unknown="no-socket", forced_proto=60, ports=(0, 0))
    c.ip(first, first, sender=310)
    return c


def cap_zerolen(name, linktype, wrap):
    """Cooked captures (as on any): IP length fields of 0. Real: GSO/GRO
    super-packets of Linux BIG TCP, too long for the field, going out and
    coming in: IPv4 total length 0; IPv6 payload length 0 with a Jumbo
    Payload option (Linux up to 6.19) or without (Linux 7.0); and an IPv6
    packet with no payload at all. Each is captured as its first 128 bytes
    with its length on the wire, sizes as a Linux 6.18 capture had them.
    Crafted: a 0 that takes a record's 4 GB wire length (issue 11, item 7:
    four such packets counted 17 GB), a 0 on a packet the field can hold,
    on a fragment, beyond the largest super-packet; a jumbo length too
    small, beyond the wire, beyond the bound, or with a Fragment header."""
    c = Capture(name, linktype)
    A, B = "10.0.0.5", "93.184.216.34"
    hdr = len(wrap(b"\x45" + b"\0" * 19, True)) - 20
    SNAP = 128
    HUGE = 0xFFFFFFFF                   # the largest wire length a record can claim
    BOUND = 8 * 65535 + 8               # decode.h DECODE_MAX_SUPER_PACKET

    def v6(src, dst, nh, chain, body):
        return struct.pack(">IHBB16s16s", 6 << 28, 0, nh, 64, ip_bytes(src),
                           ip_bytes(dst)) + chain + body

    def jumbo(n, nh=6):
        return bytes([nh, 0, 0xC2, 4]) + struct.pack(">I", n)

    def real(ip, out, iplen, **kw):
        frame = wrap(ip, out)
        c.ip(frame[:SNAP], ip, out=out, orig=hdr + iplen, forced_iplen=iplen, **kw)

    def crafted(ip, out, wire_ip, why):
        frame = wrap(ip, out)
        c.other(frame[:SNAP], "malformed", why, orig=min(hdr + wire_ip, HUGE))

    t4o = ipv4(A, B, 6, tcp_hdr(40000, 443, 200), total=0)
    t4i = ipv4(B, A, 6, tcp_hdr(443, 40000, 200), total=0)
    real(t4o, True, 69556, sender=100)
    real(t4i, False, 95284, receiver=100)
    real(v6(V6A, V6B, 0, jumbo(91432), tcp_hdr(50000, 80, 200)), True, 91472, sender=300)
    real(v6(V6B, V6A, 0, jumbo(95272), tcp_hdr(80, 50000, 200)), False, 95312, receiver=300)
    real(v6(V6A, V6B, 6, b"", tcp_hdr(50000, 80, 200)), True, 70040, sender=300)
    # No Next Header and nothing after it: a payload length 0 that is true
    empty = v6(V6B, V6A, 59, b"", b"")
    c.ip(wrap(empty, False), empty, out=False, unknown="no-socket")
    crafted(t4o, True, HUGE, "IPv4 total length 0, a record of 4 GB (out)")
    crafted(t4i, False, HUGE, "IPv4 total length 0, a record of 4 GB (in)")
    crafted(ipv4(A, B, 6, tcp_hdr(40000, 443, 0), total=0), True, 40,
            "IPv4 total length 0 on a 40-byte packet")
    crafted(ipv4(A, B, 6, tcp_hdr(40000, 443, 0), total=0), True, 65535,
            "IPv4 total length 0 on a packet the field can hold")
    crafted(ipv4(A, B, 17, udp_hdr(9000, 53, 200), total=0, frag=0x2000), True, 69556,
            "IPv4 total length 0 on a first fragment")
    crafted(t4o, True, BOUND + 1, "IPv4 total length 0, one byte past the largest super-packet")
    crafted(v6(V6A, V6B, 6, b"", tcp_hdr(50000, 80, 200)), True, HUGE,
            "IPv6 payload length 0, a record of 4 GB: no payload, so no TCP header")
    crafted(v6(V6A, V6B, 0, jumbo(HUGE - hdr - 40), tcp_hdr(50000, 80, 200)), True, HUGE,
            "IPv6 jumbogram of 4 GB")
    crafted(v6(V6A, V6B, 0, jumbo(65535), tcp_hdr(50000, 80, 200)), True, 65575,
            "IPv6 jumbo payload length that fits the payload length field")
    crafted(v6(V6A, V6B, 0, jumbo(91432), tcp_hdr(50000, 80, 200)), True, 91471,
            "IPv6 jumbo payload length one byte beyond the wire")
    fh = bytes([17, 0]) + struct.pack(">HI", 1, 0xF00D)
    crafted(v6(V6A, "2001:db8::77", 0, jumbo(91432, nh=44) + fh, udp_hdr(5000, 6666, 200)), True,
            91472, "IPv6 jumbogram with a Fragment header")
    return c


def icmp_unreach(code, quoted):
    """ICMP destination unreachable quoting the start of a datagram: no echo id."""
    return struct.pack(">BBHI", 3, code, 0, 0) + quoted[:28]


def gre(payload):
    """A GRE header (no flags) carrying IPv4, then payload bytes."""
    return struct.pack(">HH", 0, 0x0800) + b"g" * payload


def ospf(ptype, payload):
    """An OSPFv2 header (24 bytes) and payload bytes."""
    return struct.pack(">BBH4s4sHHQ", 2, ptype, 24 + payload, ip_bytes("10.0.0.5"),
                       b"\0" * 4, 0, 0, 0) + b"o" * payload


def cap_pingraw():
    """RAW: ping sockets (echo requests sent, replies received, matched by
    the echo identifier: unbound, bound to a local address, connected; IPv4
    and ICMPv6) and raw sockets (GRE connected and bound, OSPF on the
    wildcard, a raw TCP socket beside a TCP listener), with what none of
    them may claim."""
    c = Capture("pingraw", 101)
    A, L = "10.0.0.5", "127.0.0.1"

    def add(ip, **kw):
        c.ip(ip, ip, **kw)

    # fping: one IPv4 ping socket (identifier 0x5151, unbound) for two
    # targets, one ICMPv6 socket (0x5152) for a third
    add(ipv4(A, "192.0.2.1", 1, icmp_echo(8, 0x5151, 56)), sender=800)
    add(ipv4("192.0.2.1", A, 1, icmp_echo(0, 0x5151, 56)), receiver=800)
    add(ipv4(A, "198.51.100.1", 1, icmp_echo(8, 0x5151, 56)), sender=800)
    add(ipv4("198.51.100.1", A, 1, icmp_echo(0, 0x5151, 56)), receiver=800)
    add(ipv6(V6A, V6B, 58, icmp_echo(128, 0x5152, 56)), sender=800)
    add(ipv6(V6B, V6A, 58, icmp_echo(129, 0x5152, 56)), receiver=800)
    # ping -I 10.0.0.5 (0x0801, bound), ping -6 (0x0803, connected)
    add(ipv4(A, "198.51.100.7", 1, icmp_echo(8, 0x0801, 24)), sender=801)
    add(ipv4("198.51.100.7", A, 1, icmp_echo(0, 0x0801, 24)), receiver=801)
    add(ipv6(V6A, V6B, 58, icmp_echo(128, 0x0803, 8)), sender=802)
    add(ipv6(V6B, V6A, 58, icmp_echo(129, 0x0803, 8)), receiver=802)
    # an ICMP error about fping's echo has no identifier: no socket (proctraf.1)
    add(ipv4("192.0.2.1", A, 1, icmp_unreach(1, ipv4(A, "192.0.2.1", 1, icmp_echo(8, 0x5151, 56)))),
        unknown="no-socket")
    # an ICMPv6 reply carrying the IPv4 socket's identifier: no ICMPv6 socket has it
    add(ipv6(V6B, V6A, 58, icmp_echo(129, 0x5151, 56)), unknown="no-socket")
    # GRE: connected to 192.0.2.50 (other peers are not its own), and over
    # IPv6 bound to 2001:db8::5 (other local addresses are not its own)
    add(ipv4(A, "192.0.2.50", 47, gre(100)), sender=810)
    add(ipv4("192.0.2.50", A, 47, gre(300)), receiver=810)
    add(ipv4("192.0.2.51", A, 47, gre(20)), unknown="no-socket")
    add(ipv6(V6A, V6B, 47, gre(60)), sender=810)
    add(ipv6(V6B, V6A, 47, gre(90)), receiver=810)
    add(ipv6(V6B, "fe80::211:22ff:fe33:4455", 47, gre(10)), unknown="no-socket")
    # OSPF on the wildcard: a hello to 224.0.0.5 (multicast), unicast both
    # ways; traffic between two other hosts is not its own
    add(ipv4("10.0.0.1", "224.0.0.5", 89, ospf(1, 20)), receiver=820)
    add(ipv4(A, "10.0.0.1", 89, ospf(2, 32)), sender=820)
    add(ipv4("10.0.0.1", A, 89, ospf(2, 52)), receiver=820)
    add(ipv4("10.0.0.1", "10.0.0.2", 89, ospf(1, 20)), unknown="not-local")
    # hping3's raw TCP socket on 127.0.0.1 takes what no TCP socket matches:
    # its SYN from port 40404 is sent by it, received by the listener on
    # 8888 (a socket with ports comes first), and the SYN-ACK the reverse
    add(ipv4(L, L, 6, tcp_hdr(40404, 8888, 0, 0x02)), sender=830, receiver=840)
    add(ipv4(L, L, 6, tcp_hdr(8888, 40404, 0, 0x12)), sender=840, receiver=830)
    add(ipv4(L, L, 6, tcp_hdr(40404, 8888, 12)), sender=830, receiver=840)
    return c


def cap_pinglo():
    """Ethernet as on lo (MAC addresses 0): pings of this host's own
    addresses. The pinger sends the requests and receives the replies; the
    kernel, which answers them, has no socket: its side of each packet is
    in unknown:no-socket. Nothing is counted twice."""
    c = Capture("pinglo", 1)
    L, L6 = "127.0.0.1", "::1"

    def lo(ip, **kw):
        c.ip(b"\0" * 12 + struct.pack(">H", etype_of(ip)) + ip, ip, **kw)

    # ping -c3 127.0.0.1 (ping socket, identifier 0x0d05): 6 packets, 504 bytes
    for seq in range(3):
        lo(ipv4(L, L, 1, icmp_echo(8, 0x0D05, 56, seq)), sender=860)
        lo(ipv4(L, L, 1, icmp_echo(0, 0x0D05, 56, seq)), receiver=860)
    # ping -6 -c2 ::1 (ICMPv6 ping socket, 0x0d06)
    for seq in range(2):
        lo(ipv6(L6, L6, 58, icmp_echo(128, 0x0D06, 56, seq)), sender=862)
        lo(ipv6(L6, L6, 58, icmp_echo(129, 0x0D06, 56, seq)), receiver=862)
    # ping -c2 -I 127.0.0.1 127.0.0.1 through a raw ICMP socket (identifier:
    # its pid): the responder's end is the kernel's, not the raw socket's
    for seq in range(2):
        lo(ipv4(L, L, 1, icmp_echo(8, 861, 56, seq)), sender=861)
        lo(ipv4(L, L, 1, icmp_echo(0, 861, 56, seq)), receiver=861)
    return c


def sctp_pkt(sport, dport, chunk, body=b"", vtag=0x1234ABCD):
    """An SCTP common header and one chunk (padded to 4 bytes)."""
    ch = struct.pack(">BBH", chunk, 3 if chunk == 0 else 0, 4 + len(body)) + body
    return struct.pack(">HHII", sport, dport, vtag, 0) + ch + b"\0" * (-len(ch) % 4)


def sctp_data(n, tsn=1):
    """A DATA chunk's body: TSN, stream 0, SSN, PPID 46 (Diameter), n bytes."""
    return struct.pack(">IHHI", tsn, 0, tsn, 46) + b"d" * n


def cap_sctp():
    """RAW: SCTP: a new client reaches the bound endpoint (eps) over IPv4 and
    IPv6, the multi-homed association moves data on its primary path and
    heartbeats on the other one, an IPv6 association both ways; what no
    endpoint has is no socket's."""
    c = Capture("sctp", 101)
    A = "10.0.0.5"

    def add(src, dst, sp, dp, chunk, body=b"", **kw):
        v6 = ":" in src
        ip = (ipv6 if v6 else ipv4)(src, dst, 132, sctp_pkt(sp, dp, chunk, body))
        c.ip(ip, ip, **kw)

    init = struct.pack(">IIHHI", 0x11112222, 65536, 10, 10, 1)
    add("203.0.113.9", A, 5000, 3868, 1, init, receiver=850)            # INIT
    add(A, "203.0.113.9", 3868, 5000, 2, init + b"c" * 48, sender=850)  # INIT ACK + cookie
    add("192.0.2.60", A, 40001, 3868, 0, sctp_data(200), receiver=850)  # DATA, primary path
    add(A, "192.0.2.60", 3868, 40001, 0, sctp_data(1000), sender=850)
    add(A, "198.51.100.60", 3868, 40001, 4, b"h" * 40, sender=850)    # HEARTBEAT, other path
    add("198.51.100.60", A, 40001, 3868, 5, b"h" * 40, receiver=850)  # HEARTBEAT ACK
    add("2001:db8::77", V6A, 6000, 3868, 1, init, receiver=850)        # INIT over IPv6
    add(V6A, V6B, 2905, 2905, 0, sctp_data(64), sender=851)
    add(V6B, V6A, 2905, 2905, 0, sctp_data(300), receiver=851)
    # a port nobody has, and the server's port on an address it is not bound to
    add("203.0.113.9", A, 5000, 9999, 1, init, unknown="no-socket")
    add("2001:db8::77", "fe80::211:22ff:fe33:4455", 6000, 3868, 1, init, unknown="no-socket")
    return c


def cap_precedence():
    """RAW: a socket with ports that no process holds keeps a raw socket from
    an end; a closed connection passes its packets to its port's listener."""
    c = Capture("precedence", 101)
    L = "127.0.0.1"
    # 127.0.0.1:631 is a TCP listener no process holds: a socket with ports
    # matched, so hping3's raw TCP socket on 127.0.0.1 does not take that end,
    # which is counted in unknown:no-process
    ip = ipv4(L, L, 6, tcp_hdr(40404, 631, 0, 0x02)); c.ip(ip, ip, sender=830, other="no-process")
    # the exact tuple is a TIME_WAIT socket (inode 0): the listener of port
    # 22 (sshd, 120), whose process accepted the connection, takes it
    ip = ipv4("198.51.100.99", "10.0.0.5", 6, tcp_hdr(50022, 22, 0, 0x10))
    c.ip(ip, ip, receiver=120)
    return c


def cap_malformed():
    """Ethernet: every kind of cut and lie, between good packets."""
    c = Capture("malformed", 1)
    A, B = "10.0.0.5", "93.184.216.34"
    good = ipv4(A, B, 6, tcp_hdr(40000, 443, 5))
    c.ip(eth(good, 0x0800), good, sender=100)
    c.other(eth(good, 0x0800)[:9], "malformed", "frame shorter than Ethernet")
    c.other(eth(b"", 0x0800), "malformed", "Ethernet header and nothing else")
    f = eth(good, 0x0800)
    c.other(f[:14 + 10], "malformed", "IPv4 header cut by the snap length", orig=len(f))
    c.other(f[:14 + 10], "malformed", "IPv4 header cut on the wire")
    c.other(eth(b"\x44" + good[1:], 0x0800), "malformed", "IHL 4")
    c.other(f[:14 + 19], "malformed", "19 bytes of IPv4 (one short of its header)")
    c.other(eth(ipv6(V6A, V6B, 6, tcp_hdr(50000, 80, 0)), 0x0800), "malformed",
            "IPv6 in an IPv4 frame")
    c.other(eth(good, 0x86DD), "malformed", "IPv4 in an IPv6 frame")
    v6 = ipv6(V6A, V6B, 6, tcp_hdr(50000, 80, 0), ext=((0, 1), (60, 2)))
    c.other(eth(v6[:40 + 8 + 4], 0x86DD), "malformed", "IPv6 extension header cut",
            orig=14 + len(v6))
    c.other(eth(ipv6(V6A, V6B, 60, b"", plen=0), 0x86DD), "malformed",
            "IPv6 payload length 0 with a destination-options header announced")
    c.other(eth(v6[:30], 0x86DD), "malformed", "IPv6 header cut")
    c.other(eth(ipv4(A, B, 6, tcp_hdr(40000, 443, 0)[:6]), 0x0800), "malformed",
            "TCP header of 6 bytes")
    c.other(f[:14 + 20 + 3], "malformed", "TCP header cut by the snap length", orig=len(f))
    c.other(eth(ipv4(A, "10.0.0.9", 17, udp_hdr(5353, 53, 0)[:4]), 0x0800), "malformed",
            "UDP header of 4 bytes")
    c.other(eth(ipv4(A, B, 6, tcp_hdr(40000, 443, 0), total=12), 0x0800), "malformed",
            "IPv4 total length 12")
    c.other(eth(ipv4(A, B, 6, tcp_hdr(40000, 443, 0), total=900), 0x0800), "malformed",
            "IPv4 total length beyond the frame")
    c.other(eth(ipv4(A, B, 6, tcp_hdr(40000, 443, 0), options=b"\x01" * 40, vihl=0x4F)[:14 + 40],
                0x0800), "malformed", "IHL 15, header cut")
    # Good: a 1500-byte packet of which the snap length kept only the headers.
    big = ipv4(B, A, 6, tcp_hdr(443, 40000, 1460))
    c.ip(eth(big, 0x0800, out=False)[:14 + 40], big, receiver=100, orig=14 + len(big))
    good = ipv4(B, A, 6, tcp_hdr(443, 40000, 7))
    c.ip(eth(good, 0x0800, out=False), good, receiver=100)
    return c


def main():
    make_proc()
    shutil.rmtree(CAP, ignore_errors=True)
    os.makedirs(CAP)
    caps = [cap_en10mb(),
            cap_ipv6("sll", 113, sll), cap_ipv6("sll2", 276, sll2),
            cap_raw(),
            cap_bsd("null", 0, lambda af: struct.pack("<I", af)),
            cap_bsd("loop", 108, lambda af: struct.pack(">I", af)),
            cap_unknown(), cap_hostile(), cap_frag(), cap_fragopts(), cap_malformed(), cap_ties(),
            cap_ipv6ext(), cap_pingraw(), cap_precedence(), cap_sctp(), cap_pinglo(),
            cap_zerolen("zerolen", 276, sll2), cap_zerolen("zerolen-sll", 113, sll)]
    ledger = {"captures": {}, "fixtures": {}}
    for c in caps:
        # loop.pcap: big-endian file with nanosecond timestamps
        data = c.pcap(big_endian=True, nanosec=True) if c.name == "loop" else c.pcap()
        write(os.path.join(CAP, c.name + ".pcap"), data)
        ledger["captures"][c.name + ".pcap"] = {"linktype": c.linktype, "packets": c.ledger}
    for c in caps:
        if c.name in ("en10mb", "sll2"):
            # sll2.pcapng: nanosecond timestamps (if_tsresol 9)
            write(os.path.join(CAP, c.name + ".pcapng"), c.pcapng(nanosec=c.name == "sll2"))
            ledger["captures"][c.name + ".pcapng"] = {"linktype": c.linktype,
                                                      "packets": c.ledger}
    # farfuture.pcapng only: a pcap file's 32-bit seconds cannot go past 2106
    far = cap_farfuture()
    write(os.path.join(CAP, "farfuture.pcapng"), far.pcapng())
    ledger["captures"]["farfuture.pcapng"] = {"linktype": far.linktype, "packets": far.ledger}
    write(os.path.join(CAP, "corrupt.pcap"),
          bytes((i * 37 + 11) & 0xFF for i in range(200)))
    # a valid header and three records, then the fourth record cut in its middle
    en = caps[0]
    full = en.pcap()
    cut = 24 + sum(16 + len(f) for _, f, _ in en.records[:3]) + 16 + len(en.records[3][1]) // 2
    write(os.path.join(CAP, "truncated.pcap"), full[:cut])
    # three whole records, then 8 of the 16 bytes of the fourth record's header
    cut = 24 + sum(16 + len(f) for _, f, _ in en.records[:3]) + 8
    write(os.path.join(CAP, "truncated-header.pcap"), full[:cut])
    write(os.path.join(CAP, "short.pcap"), full[:10])         # half a file header
    write(os.path.join(CAP, "empty.pcap"), full[:24])         # a header, no packet
    ledger["captures"]["empty.pcap"] = {"linktype": 1, "packets": []}
    procs = {}
    for pid, (comm, uids, args, fds, has_stat) in PROCS.items():
        cg = CGROUPS.get(pid, (None, None, None, None))
        procs[str(pid)] = {"comm": comm.hex(), "user": USERS[uids[0]], "netns": NETNS,
                           "cmdline_file": cmdline_file(args).hex(),
                           "cgroup": cg[1], "unit": cg[2], "container": cg[3]}
    ledger["fixtures"]["host"] = {"procs": procs, "local": LOCAL}
    ledger["fixtures"]["empty"] = {"procs": {}, "local": []}
    with open(os.path.join(HERE, "ledger.json"), "w") as f:
        json.dump(ledger, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
