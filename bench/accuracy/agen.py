#!/usr/bin/env python3
"""Traffic generators of the accuracy benchmark: processes that know their flows.

    agen.py server [--report] [--tcp ADDR,PORT]... [--udp ADDR,PORT]...
        TCP: read an 8-byte header (send, reply: big-endian u32), then `send`
        bytes, answer `reply` bytes, close at EOF. UDP: answer each datagram
        with as many bytes as its first 4 ask for (4..1400). ADDR "::" is a
        dual-stack listener (IPv4 clients appear as ::ffff:a.b.c.d).
        Prints "ready"; at EOF on stdin prints its report and exits.
        With --report the flows it served are in the report.
    agen.py raw-echo PROTO ADDR4 ADDR6
        raw IPv4 and IPv6 sockets for IP protocol PROTO: answer each packet
        with as many bytes as its first 4 ask for; prints "ready", runs
        until killed
    agen.py client PLAN
        run PLAN, a JSON list of steps (see run_step), one after another

Every client prints, last, one JSON line: {"procs": [{"pid", "comm", "flows",
"sent", "recv", "errors"}, ...]}: the process itself first, then every child
it forked or executed. A flow is [proto, laddr, lport, raddr, rport] with the
IP protocol number; for ICMP echo the "port" of the local end is the echo
identifier (the remote port is 0); for protocols without ports both are 0.
A laddr of 0.0.0.0 or :: (an unconnected socket bound to the wildcard) means
"any local address". sent / recv count payload bytes (sanity checks only).
Every wait is bounded (TIMEOUT seconds).
"""
import asyncio
import ipaddress
import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

TIMEOUT = 10
REPLY_TIMEOUT = 1.0
HERE = os.path.dirname(os.path.abspath(__file__))
CHUNK = 65536


def comm():
    with open("/proc/self/comm") as f:
        return f.read().rstrip("\n")


def plain(addr):
    """The address text, IPv4-mapped IPv6 turned back into IPv4."""
    a = ipaddress.ip_address(addr.split("%")[0])
    if a.version == 6 and a.ipv4_mapped:
        a = a.ipv4_mapped
    return str(a)


def fam_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def hostport(text):
    addr, port = text.rsplit(",", 1)
    return addr, int(port)


class Proc:
    """What this process (or one child) did."""

    def __init__(self, pid=None, name=None):
        self.pid = pid or os.getpid()
        self.comm = name or comm()
        self.flows = []
        self.sent = self.recv = self.errors = 0

    def flow(self, proto, local, remote):
        self.flows.append([proto, plain(local[0]), local[1], plain(remote[0]), remote[1]])

    def as_dict(self):
        return dict(pid=self.pid, comm=self.comm, flows=self.flows, sent=self.sent,
                    recv=self.recv, errors=self.errors)


# ---------------------------------------------------------------- servers

def server(argv):
    report = "--report" in argv
    tcp, udp = [], []
    i = 0
    while i < len(argv):
        if argv[i] in ("--tcp", "--udp"):
            (tcp if argv[i] == "--tcp" else udp).append(hostport(argv[i + 1]))
            i += 2
        else:
            i += 1
    me = Proc()
    seen_udp = set()

    async def handle(reader, writer):
        sock = writer.get_extra_info("socket")
        if report:
            me.flow(6, sock.getsockname(), sock.getpeername())
        try:
            hdr = await asyncio.wait_for(reader.readexactly(8), TIMEOUT)
            n, reply = struct.unpack(">II", hdr)
            left = n
            while left:
                d = await asyncio.wait_for(reader.read(min(left, CHUNK)), TIMEOUT)
                if not d:
                    raise ConnectionError("EOF")
                left -= len(d)
            me.recv += n + 8
            block = b"r" * CHUNK
            left = reply
            while left:
                step = min(left, CHUNK)
                writer.write(block[:step])
                await writer.drain()
                left -= step
            me.sent += reply
            while await asyncio.wait_for(reader.read(CHUNK), 600):
                pass
        except (ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError, OSError):
            me.errors += 1
        finally:
            writer.close()

    class Udp(asyncio.DatagramProtocol):
        def connection_made(self, transport):
            self.t = transport

        def datagram_received(self, data, peer):
            want = struct.unpack(">I", data[:4])[0] if len(data) >= 4 else 4
            want = max(4, min(1400, want))
            self.t.sendto(struct.pack(">I", want) + b"u" * (want - 4), peer)
            me.recv += len(data)
            me.sent += want
            if report:
                key = (self.t.get_extra_info("sockname")[:2], peer[:2])
                if key not in seen_udp:
                    seen_udp.add(key)
                    me.flow(17, key[0], key[1])

    async def main():
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        servers = []
        for addr, port in tcp:
            s = socket.socket(fam_of(addr), socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam_of(addr) == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0 if addr == "::" else 1)
            s.bind((addr, port))
            s.listen(4096)
            servers.append(await asyncio.start_server(handle, sock=s, backlog=4096))
        for addr, port in udp:
            s = socket.socket(fam_of(addr), socket.SOCK_DGRAM)
            if fam_of(addr) == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.bind((addr, port))
            await loop.create_datagram_endpoint(Udp, sock=s)

        def wait_stdin():
            try:
                sys.stdin.buffer.read()
            except OSError:
                pass
            loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))

        threading.Thread(target=wait_stdin, daemon=True).start()
        print("ready", flush=True)
        await stop
        await asyncio.sleep(0.2)            # the last FINs
        for s in servers:
            s.close()

    asyncio.run(main())
    print(json.dumps(dict(procs=[me.as_dict()])), flush=True)
    os._exit(0)


def raw_echo(argv):
    proto, a4, a6 = int(argv[0]), argv[1], argv[2]
    s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
    s4.bind((a4, 0))
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, proto)
    s6.bind((a6, 0))
    sel = selectors.DefaultSelector()
    sel.register(s4, selectors.EVENT_READ)
    sel.register(s6, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            data, peer = s.recvfrom(65536)
            if s is s4:
                data = data[(data[0] & 15) * 4:]        # IPv4 raw sockets see the header
            want = struct.unpack(">I", data[:4])[0] if len(data) >= 4 else 4
            want = max(4, min(1400, want))
            s.sendto(struct.pack(">I", want) + b"w" * (want - 4), (peer[0], 0))


# ---------------------------------------------------------------- client steps

class Pacer:
    """Sleeps between the steps of a job so that it lasts about `seconds` (0: no pause)."""

    def __init__(self, seconds, steps):
        self.gap = (seconds or 0) / max(1, steps)
        self.next = time.monotonic()

    def wait(self):
        if not self.gap:
            return
        self.next += self.gap
        delay = self.next - time.monotonic()
        if delay > 0:
            time.sleep(min(delay, 1.0))


def tcp_exchange(s, me, send, reply, pace=0):
    """Header + send bytes (spread over pace seconds), then read reply bytes."""
    s.sendall(struct.pack(">II", send, reply))
    block = b"s" * CHUNK
    left = send
    pacer = Pacer(pace, (send + CHUNK - 1) // CHUNK)
    while left:
        step = min(left, CHUNK)
        s.sendall(block[:step])
        left -= step
        pacer.wait()
    got = 0
    while got < reply:
        d = s.recv(min(CHUNK * 4, reply - got))
        if not d:
            break
        got += len(d)
    me.sent += send + 8
    me.recv += got
    if got != reply:
        me.errors += 1


def exchange_batch(me, socks, send, reply, fill, short_is_error=True, close=False):
    """One request on every socket first, then every answer: the connections
    of a batch are all open at once. A short answer is an error unless told;
    with close, each socket is closed as soon as its answer is in."""
    for s in socks:
        try:
            s.sendall(struct.pack(">II", send, reply) + fill * send)
            me.sent += send + 8
        except OSError:
            me.errors += 1
    for s in socks:
        got = 0
        try:
            while got < reply:
                d = s.recv(CHUNK)
                if not d:
                    break
                got += len(d)
        except OSError:
            pass
        me.recv += got
        if short_is_error and got != reply:
            me.errors += 1
        if close:
            s.close()


def open_many(me, addrs, port, n):
    """n TCP connections, connecting in parallel (non-blocking); returns the sockets."""
    socks = []
    sel = selectors.DefaultSelector()
    for i in range(n):
        a = addrs[i % len(addrs)]
        s = socket.socket(fam_of(a), socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((a, port))
        sel.register(s, selectors.EVENT_WRITE)
        socks.append(s)
    pending = len(socks)
    end = time.monotonic() + TIMEOUT
    while pending and time.monotonic() < end:
        for key, _ in sel.select(0.5):
            sel.unregister(key.fileobj)
            pending -= 1
    sel.close()
    ok = []
    for s in socks:
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            try:
                me.flow(6, s.getsockname(), s.getpeername())
            except OSError:
                me.errors += 1
                s.close()
                continue
            s.setblocking(True)
            s.settimeout(TIMEOUT)
            ok.append(s)
        else:
            me.errors += 1
            s.close()
    return ok


def step_tcp(me, st):
    """count connections to addrs (cycled), width at a time; each sends and is answered."""
    addrs, port = st["addrs"], st["port"]
    count, width = st["count"], st.get("width", 1)
    gap = st.get("gap", 0)
    pacer = Pacer(st.get("pace"), (count + width - 1) // width)
    done = 0
    while done < count:
        n = min(width, count - done)
        if n == 1:
            a = addrs[done % len(addrs)]
            try:
                s = socket.create_connection((a, port), timeout=TIMEOUT)
                me.flow(6, s.getsockname(), s.getpeername())
                socks = [s]
            except OSError:
                me.errors += 1
                socks = []
        else:
            socks = open_many(me, addrs[done % len(addrs):] + addrs[:done % len(addrs)], port, n)
        exchange_batch(me, socks, st["send"], st["reply"], b"s", close=True)
        done += n
        if gap:
            time.sleep(gap)
        pacer.wait()


def step_bulk(me, st):
    a = st["addr"]
    s = socket.create_connection((a, st["port"]), timeout=TIMEOUT)
    me.flow(6, s.getsockname(), s.getpeername())
    tcp_exchange(s, me, st["send"], st["reply"], st.get("pace"))
    s.close()


def step_hold(me, st):
    """count connections, each answered once, kept open until EOF on stdin."""
    socks = []
    left = st["count"]
    while left:
        n = min(200, left)
        batch = open_many(me, [st["addr"]], st["port"], n)
        exchange_batch(me, batch, st["send"], st["reply"], b"h", short_is_error=False)
        socks += batch
        left -= n
    print("held %d" % len(socks), flush=True)
    sys.stdin.buffer.read()
    for s in socks:
        s.close()


def sizes(n, size, salt):
    """n varied sizes around size (size/2 .. 3*size/2), deterministic."""
    return [max(8, size // 2 + (i * 37 + salt * 101) % (size + 1)) for i in range(n)]


def step_udp(me, st):
    """count datagrams (lock-step with the answers) to addrs (cycled)."""
    addrs, port, connected = st["addrs"], st["port"], st.get("connected", False)
    fam = fam_of(addrs[0])
    socks = {}
    if connected:
        for a in addrs:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.connect((a, port))
            s.settimeout(REPLY_TIMEOUT)
            socks[a] = s
            me.flow(17, s.getsockname(), (a, port))
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 0))
        s.settimeout(REPLY_TIMEOUT)
        for a in addrs:
            socks[a] = s
            me.flow(17, s.getsockname(), (a, port))
    pacer = Pacer(st.get("pace"), st["count"])
    for i, sz in enumerate(sizes(st["count"], st["size"], 0)):
        pacer.wait()
        a = addrs[i % len(addrs)]
        s = socks[a]
        data = struct.pack(">I", st["reply"]) + b"c" * (sz - 4)
        me.sent += s.send(data) if connected else s.sendto(data, (a, port))
        try:
            me.recv += len(s.recv(65536) if connected else s.recvfrom(65536)[0])
        except socket.timeout:
            me.errors += 1
    for s in set(socks.values()):
        s.close()


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def step_ping(me, st):
    """Echo requests from a ping socket (SOCK_DGRAM); the kernel sets the identifier."""
    a = st["addr"]
    v6 = fam_of(a) == socket.AF_INET6
    s = socket.socket(fam_of(a), socket.SOCK_DGRAM,
                      socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    s.settimeout(REPLY_TIMEOUT)
    s.connect((a, 0))
    ident = s.getsockname()[1]
    me.flow(58 if v6 else 1, (s.getsockname()[0], ident), (a, 0))
    pacer = Pacer(st.get("pace"), st["count"])
    for seq in range(st["count"]):
        pacer.wait()
        s.send(struct.pack(">BBHHH", 128 if v6 else 8, 0, 0, 0, seq & 0xFFFF) +
               b"p" * st["size"])
        me.sent += 8 + st["size"]
        try:
            me.recv += len(s.recv(65536))
        except socket.timeout:
            me.errors += 1
    s.close()


def step_icmpraw(me, st):
    """Echo requests from a raw ICMP socket, connected (it receives only from addr)."""
    a, ident = st["addr"], st["id"]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.connect((a, 0))
    s.settimeout(REPLY_TIMEOUT)
    me.flow(1, (st["src"], ident), (a, 0))
    pacer = Pacer(st.get("pace"), st["count"])
    for seq in range(st["count"]):
        pacer.wait()
        body = b"r" * st["size"]
        hdr = struct.pack(">BBHHH", 8, 0, 0, ident, seq)
        hdr = struct.pack(">BBHHH", 8, 0, checksum(hdr + body), ident, seq)
        s.send(hdr + body)
        me.sent += 8 + st["size"]
        end = time.monotonic() + REPLY_TIMEOUT
        while True:
            try:
                d = s.recv(65536)
            except socket.timeout:
                me.errors += 1
                break
            icmp = d[(d[0] & 15) * 4:]
            if len(icmp) >= 8 and icmp[0] == 0 and struct.unpack(">H", icmp[4:6])[0] == ident:
                me.recv += len(icmp)
                break
            if time.monotonic() > end:
                me.errors += 1
                break
    s.close()


def step_raw(me, st):
    """Datagrams of IP protocol proto from a raw socket connected to addr; answered."""
    a, proto = st["addr"], st["proto"]
    v6 = fam_of(a) == socket.AF_INET6
    s = socket.socket(fam_of(a), socket.SOCK_RAW, proto)
    s.bind((st["src"], 0))
    s.connect((a, 0))
    s.settimeout(REPLY_TIMEOUT)
    me.flow(proto, (st["src"], 0), (a, 0))
    pacer = Pacer(st.get("pace"), st["count"])
    for sz in sizes(st["count"], st["size"], 3):
        pacer.wait()
        me.sent += s.send(struct.pack(">I", st["reply"]) + b"x" * (sz - 4))
        try:
            d = s.recv(65536)
            me.recv += len(d) - (0 if v6 else (d[0] & 15) * 4)
        except socket.timeout:
            me.errors += 1
    s.close()


def step_fork(me, st, children):
    """count children, one after another: each connects, exchanges, reports, exits."""
    for i in range(st["count"]):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            child = Proc()
            try:
                s = socket.create_connection((st["addrs"][i % len(st["addrs"])], st["port"]),
                                             timeout=TIMEOUT)
                child.flow(6, s.getsockname(), s.getpeername())
                tcp_exchange(s, child, st["send"], st["reply"])
                s.close()
            except OSError:
                child.errors += 1
            os.write(w, json.dumps(child.as_dict()).encode())
            os._exit(0)
        os.close(w)
        data = b""
        while True:
            d = os.read(r, 65536)
            if not d:
                break
            data += d
        os.close(r)
        os.waitpid(pid, 0)
        try:
            children.append(json.loads(data))
        except ValueError:
            me.errors += 1
        if st.get("gap"):
            time.sleep(st["gap"])


def step_exec(me, st, children):
    """count short programs, one after another (the C helper, else this script)."""
    for i in range(st["count"]):
        a = st["addrs"][i % len(st["addrs"])]
        if st.get("helper"):
            cmd = [st["helper"], "tcp-oneshot", a, str(st["port"]), str(st["send"]),
                   str(st["reply"])]
        else:
            cmd = [sys.executable, os.path.abspath(__file__), "oneshot", a, str(st["port"]),
                   str(st["send"]), str(st["reply"])]
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
        try:
            children.append(json.loads(r.stdout.decode().strip().splitlines()[-1]))
        except (ValueError, IndexError):
            me.errors += 1
        if st.get("gap"):
            time.sleep(st["gap"])


def oneshot(argv):
    a, port, send, reply = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    me = Proc()
    s = socket.create_connection((a, port), timeout=TIMEOUT)
    me.flow(6, s.getsockname(), s.getpeername())
    tcp_exchange(s, me, send, reply)
    s.close()
    print(json.dumps(me.as_dict()), flush=True)


def step_flood(me, st, children):
    """The sendmmsg flood of the C helper, as a child (its own pid and flows)."""
    cmd = [st["helper"], "udp-flood", st["addr"], str(st["port"]), str(st["count"]),
           str(st["size"]), str(st["reply"]), str(st.get("batch", 32))]
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    try:
        children.append(json.loads(r.stdout.decode().strip().splitlines()[-1]))
    except (ValueError, IndexError):
        me.errors += 1


def client(argv):
    plan = json.loads(argv[0])
    me = Proc()
    children = []
    for st in plan:
        op = st["op"]
        try:
            if op == "tcp":
                step_tcp(me, st)
            elif op == "bulk":
                step_bulk(me, st)
            elif op == "hold":
                step_hold(me, st)
            elif op == "udp":
                step_udp(me, st)
            elif op == "ping":
                step_ping(me, st)
            elif op == "icmpraw":
                step_icmpraw(me, st)
            elif op == "raw":
                step_raw(me, st)
            elif op == "fork":
                step_fork(me, st, children)
            elif op == "exec":
                step_exec(me, st, children)
            elif op == "flood":
                step_flood(me, st, children)
            elif op == "sleep":
                time.sleep(st["seconds"])
            else:
                raise ValueError("unknown step %r" % op)
        except (OSError, subprocess.SubprocessError) as e:
            me.errors += 1
            print("agen: %s: %s" % (op, e), file=sys.stderr, flush=True)
    print(json.dumps(dict(procs=[me.as_dict()] + children)), flush=True)


def main(argv):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(argv) < 2:
        sys.exit(__doc__)
    mode, rest = argv[1], argv[2:]
    if mode == "server":
        server(rest)
    elif mode == "raw-echo":
        raw_echo(rest)
    elif mode == "client":
        client(rest)
    elif mode == "oneshot":
        oneshot(rest)
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
