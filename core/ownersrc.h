/*
 * ownersrc.h - owners of sockets as the kernel saw them: eBPF programs on
 * the root cgroup v2 record, in the system call that makes or uses a TCP
 * or UDP socket, the task that holds it, and report the socket's ends as
 * soon as the kernel knows them (core/bpf/owners.bpf.c). No kprobe, no
 * fentry: cgroup hooks, sockops, socket-local storage and a ring buffer.
 *
 * Use, from one thread:
 *
 *	struct owner_src *s;
 *	if (owner_src_open(&s, NULL, err, sizeof(err)) < 0)
 *		... the /proc path, err says why
 *	... poll(owner_src_fd(s)) or a timer; then owner_src_poll(s, ...)
 *	... owner_src_lookup(s, &tuple, end, netns, &owner)
 *	owner_src_close(s);
 *
 * The programs are attached through links that only this process holds
 * (bpf_link, not pinned): owner_src_close detaches them, and so does the
 * kernel when the process dies, whatever kills it. A child forked after
 * owner_src_open holds the link descriptors too, and the programs stay
 * attached until it closes them, execs or exits: fork before, or exec.
 *
 * Needs: Linux 5.7 at least (links to a cgroup) with CONFIG_CGROUP_BPF;
 * every hook from 5.10 (sockops' socket pointer); each hook the kernel
 * lacks is left out, and owner_src_info says which ran (OWNER_SRC_F_*).
 * A cgroup v2 mount, found in /proc/self/mountinfo wherever it is
 * (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host). Root, or
 * CAP_BPF + CAP_PERFMON + CAP_NET_ADMIN (every program asks the kernel
 * who the current task is, which CAP_PERFMON allows; attaching to a
 * cgroup needs CAP_NET_ADMIN); owner_src_cgroup_path needs
 * CAP_DAC_READ_SEARCH too.
 *
 * What the hooks see, and so what this source can answer:
 * - TCP: the socket's maker (sock_create), then whoever binds, connects,
 *   or calls setsockopt, getsockname or getpeername on it. A client's
 *   4-tuple is reported from connect(2) (sockops TCP_CONNECT_CB), before
 *   its SYN leaves. An accepted connection is made by the kernel, in
 *   softirq, where no task is meaningful: its owner is the holder of the
 *   listener then (its maker, its binder, or the last task that called one
 *   of those hooks on it), marked OWNER_INHERITED, until the accepting
 *   process calls setsockopt, getsockname or getpeername on it. A server
 *   whose workers accept on a listener their parent made (prefork, socket
 *   activation) is answered with the parent until then.
 * - A TCP socket that changes hands after connect or accept (fd passing,
 *   fork) keeps its holder until the new one calls one of those hooks: no
 *   hook runs in a TCP sender's context (its packets also leave from
 *   softirq, on behalf of no task).
 * - UDP: bind, sendmsg with an address (the kernel has bound the port by
 *   then), recvmsg with an address, getsockname and getpeername report
 *   the local end. A connected socket's 4-tuple is reported with its first
 *   datagram (cgroup_skb egress, which runs in the sender's sendmsg); so
 *   is a datagram sent by another process than the holder (fd passed,
 *   fork, exec). A connected UDP socket that only receives is known by its
 *   local end only if it was bound or asked for its name.
 * - A socket used by several processes at once (workers sharing one UDP
 *   socket) changes holder at every datagram: the kernel writes at most 4
 *   changes per socket per 100 ms, the rest at its first hook after that;
 *   the answer is one of them.
 * - Sockets made before owner_src_open are unknown until one of the hooks
 *   above runs on them (TCP connections established before: never).
 * - ICMP, raw, SCTP, MPTCP and packet sockets are not covered.
 * - tgid is the process id in the initial PID namespace; start, uid and
 *   netns are those of the initial namespaces too (a container's
 *   processes have other ids inside). The cgroup is the v2 one; where the
 *   v2 mount found is a cgroup namespace's, only its sockets are seen.
 * - A socket's namespace is the one its maker was in (socket(2) makes it
 *   there); for a socket met first at a later hook, that caller's.
 * - comm is the process's name (its thread group leader's, as
 *   /proc/PID/comm), at the hook's time.
 * - Without kernel BTF (no /sys/kernel/btf/vmlinux), or where the kernel
 *   refuses the programs that read the task: start
 *   time and namespace inode come from /proc/TGID when the event is taken
 *   in, if the calling thread is still there under the same name
 *   (OWNER_F_*_GUESSED), else they stay 0 (a socket of our own namespace
 *   still gets its inode, through its namespace cookie); comm is the
 *   calling thread's name; kernel threads are not told apart.
 * - Without ring buffers (Linux < 5.8), a hash map keeps the latest event
 *   of each kind per socket until owner_src_poll takes it: a socket bound,
 *   connected and closed between two polls is still reported, but of two
 *   holder changes between two polls only the second.
 * - Events are lost when the ring buffer (or the hash map) is full:
 *   owner_src_info counts them (lost); poll often enough.
 *
 * Not thread-safe: one thread opens, polls, looks up and closes.
 */
#ifndef PROCTRAF_OWNERSRC_H
#define PROCTRAF_OWNERSRC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ownertab.h"
#include "tuple.h"

/* owner_src_opts.flags */
#define OWNER_SRC_NO_RINGBUF 1u	/* use the hash map even where ring buffers exist */
#define OWNER_SRC_NO_CORE 2u	/* load the variant that reads no kernel struct (no BTF) */

struct owner_src_opts {
	unsigned flags;
	size_t ring_bytes;	/* ring buffer size, a power of two >= 4096; 0: 4 MiB */
	size_t max_records;	/* bound of the table; 0: 1,048,576 */
	const char *mountinfo;	/* NULL: /proc/self/mountinfo */
	/*
	 * NULL, or called from owner_src_poll with each owner report as it is
	 * taken in (ownerev_set_sink): the earliest moment userspace learns of
	 * a process, which may be gone a few milliseconds later.
	 */
	void (*on_owner)(void *ctx, const struct owner *o);
	void *on_owner_ctx;
};

/* owner_src_info.features: the hooks attached. */
#define OWNER_SRC_F_CREATE 0x001	/* cgroup/sock_create */
#define OWNER_SRC_F_RELEASE 0x002	/* cgroup/sock_release */
#define OWNER_SRC_F_BIND 0x004		/* cgroup/post_bind4, post_bind6 */
#define OWNER_SRC_F_CONNECT 0x008	/* cgroup/connect4, connect6 */
#define OWNER_SRC_F_TCP 0x010		/* sockops */
#define OWNER_SRC_F_SENDMSG 0x020	/* cgroup/sendmsg4, sendmsg6 */
#define OWNER_SRC_F_RECVMSG 0x040	/* cgroup/recvmsg4, recvmsg6 */
#define OWNER_SRC_F_NAME 0x080		/* cgroup/getsockname4/6, getpeername4/6 */
#define OWNER_SRC_F_SOCKOPT 0x100	/* cgroup/setsockopt (Linux >= 5.8) */
#define OWNER_SRC_F_EGRESS 0x200	/* cgroup_skb/egress */

#define OWNER_SRC_MAX_PROGS 20

struct owner_src_info {
	unsigned features;	/* OWNER_SRC_F_* */
	int core;		/* 1: the task read through BTF; 0: the variant without */
	int ringbuf;		/* 1: ring buffer; 0: hash map */
	char cgroup[256];	/* the cgroup v2 directory attached to */
	uint64_t events;	/* events the kernel wrote */
	uint64_t lost;		/* events the kernel had no room for */
	uint64_t no_storage;	/* sockets the kernel could not give a record */
	uint64_t taken;		/* events taken in by owner_src_poll */
	uint64_t malformed;	/* events of a size or family not understood */
	uint64_t full;		/* reports the table had no room for */
	size_t records;		/* (socket ends, namespace) pairs known */
	size_t nprogs;
	uint32_t prog_ids[OWNER_SRC_MAX_PROGS];	/* the kernel's ids of the attached programs */
	uint32_t link_ids[OWNER_SRC_MAX_PROGS];
};

struct owner_src;

/*
 * Load and attach the programs; opts NULL: the defaults. 0 and *out set,
 * or a negative errno (-EPERM: not allowed; -ENOSYS or -EOPNOTSUPP: the
 * kernel lacks what is needed; -ENOENT: no cgroup v2 mount) with err
 * saying why in one line.
 */
int owner_src_open(struct owner_src **out, const struct owner_src_opts *opts, char *err,
		   size_t errlen);

/*
 * Take in the events written since the last call. The number taken, or
 * -1 with err set.
 */
int owner_src_poll(struct owner_src *s, char *err, size_t errlen);

/* A descriptor readable when events wait (ring buffer); -1 with the hash map: poll on a timer. */
int owner_src_fd(const struct owner_src *s);

/* ownertab_lookup over what owner_src_poll took in. */
enum owner_match owner_src_lookup(const struct owner_src *s, const struct tuple *t, int end,
				  uint64_t netns, struct owner *out);

/*
 * The path of cgroup v2 id below the mount, as /proc/PID/cgroup's "0::"
 * line says it ("/user.slice/..."): 0, or a negative errno (it needs
 * CAP_DAC_READ_SEARCH; -ESTALE: the cgroup is gone).
 */
int owner_src_cgroup_path(const struct owner_src *s, uint64_t id, char *buf, size_t len);

void owner_src_info(const struct owner_src *s, struct owner_src_info *info);

/*
 * The reports the kernel had no room for so far (owner_src_info's lost,
 * without its system calls): one read of the programs' counters, which
 * the kernel alone writes, so any thread may ask while another polls.
 */
uint64_t owner_src_lost(const struct owner_src *s);

/* Detach the programs and free everything. NULL: nothing. */
void owner_src_close(struct owner_src *s);

/*
 * The cgroup v2 mount point in a mountinfo file (the first whose root is
 * "/", else the first): 0, or -ENOENT if none, -ENAMETOOLONG.
 */
int owner_src_cgroup2_mount(FILE *mountinfo, char *path, size_t len);

#endif
