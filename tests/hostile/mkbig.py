"""A proc root of many processes:  mkbig.py BASE OUT N [FDS]

OUT is a copy of the proc root BASE plus N processes (pids 100000 up),
each with comm, status, stat, cmdline and FDS fd links (default 4), the
first to a socket of its own that net/tcp lists (so a pass reads every
process's files too), the others to sockets no table lists. net/tcp
also gets a socket that no process holds: a pass then reads the fds of
every process, newest first, the N new ones before BASE's.
"""
import os
import shutil
import sys


def tcp_line(sl, lport, rport, inode):
    # 10.0.0.5:lport <-> 12.2.0.9:rport, established, as the kernel prints it.
    return ("%4d: 0500000A:%04X 0900020C:%04X 01 00000000:00000000 00:00000000 "
            "00000000     0        0 %d 1 0000000000000000 20 4 30 10 -1\n"
            % (sl, lport, rport, inode))


def main():
    base, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fds = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    shutil.copytree(base, out, symlinks=True)
    lines = [tcp_line(9999, 1, 1, 999999999)]
    for i in range(n):
        pid = 100000 + i
        d = os.path.join(out, str(pid))
        os.makedirs(os.path.join(d, "fd"))
        for name, text in (("comm", "idle%d\n" % i),
                           ("status", "Name:\tidle\nTgid:\t%d\nPid:\t%d\nUid:\t0\t0\t0\t0\n"
                            % (pid, pid)),
                           ("stat", "%d (idle) S 1 %d %d 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %d "
                            "0 0\n" % (pid, pid, pid, 1000 + i)),
                           ("cmdline", "idle\0--n\0%d\0" % i)):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        own = 60000000 + i
        lines.append(tcp_line(10000 + i, 2 + i % 60000, 1 + i // 60000, own))
        os.symlink("socket:[%d]" % own, os.path.join(d, "fd", "3"))
        for k in range(1, fds):
            os.symlink("socket:[%d]" % (70000000 + i * fds + k),
                       os.path.join(d, "fd", str(3 + k)))
    with open(os.path.join(out, "net", "tcp"), "a") as f:
        f.writelines(lines)


if __name__ == "__main__":
    main()
