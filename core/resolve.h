/*
 * resolve.h - sockets to processes, through /proc.
 *
 * A resolver remembers what it has learned during a session: every
 * socket tuple it saw in /proc/net/{tcp,tcp6,udp,udp6} with its inode,
 * every inode it found behind a /proc/PID/fd link, and every process it
 * met (pid, uid, comm, cmdline, cgroup). Nothing is forgotten when a
 * socket closes or a process exits, so traffic of short-lived sockets and
 * processes can still be attributed after they are gone, provided one
 * pass saw them; only its caller, once it has kept the answers its flows
 * need, lets it forget what is long gone (see "Forgetting" below).
 *
 * A pass (resolver_refresh) re-reads the socket tables and, only when it
 * met inodes of unknown owner, walks /proc/PID/fd: processes it has not
 * seen before first, the others only while inodes remain unexplained.
 * Another network namespace met (in /proc/PID/ns/net) is read through
 * one of its processes: the /proc/PID directory is opened once, and its
 * namespace checked through that directory (and, to enter it for
 * sock_diag, ns/net opened there and its inode taken with fstat), so a
 * pid reused meanwhile by a process of another namespace is never read
 * or entered as this one.
 * Every path is below the proc root given at creation, and every file is
 * read through below.h: a root other than the kernel's /proc is untrusted
 * input (no symbolic link followed, only regular files, every read
 * bounded; resolve_stats says what was refused or cut).
 *
 * Not thread-safe: one thread at a time.
 */
#ifndef PROCTRAF_RESOLVE_H
#define PROCTRAF_RESOLVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procnet.h"
#include "tuple.h"

struct proc_info {
	int pid;
	unsigned uid;
	bool have_uid;
	unsigned long long start;	/* clock ticks after boot (stat field 22) */
	uint64_t netns;			/* inode of its network namespace; 0: unknown */
	char comm[64];
	char *cmdline;			/* NULs turned into spaces; may be "" */
	char *cgroup;			/* cgroup v2 path (PID/cgroup "0::"); NULL: unknown */
	char *unit;			/* systemd unit it is in; NULL: none (cgroup.h) */
	char *container;		/* container id or name; NULL: none (cgroup.h) */
};

/*
 * A socket that matched but whose owner is not known is OWNER_NO_PERMISSION
 * when it has an inode (so a process holds, or held, it) and we were not
 * allowed to read the fds of some process (EACCES or EPERM on
 * /proc/PID/fd or its links: another user's process, without
 * CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE; resolve_stats.denied counts
 * them): it may be that process's. Otherwise, and always for a socket
 * with inode 0 (a connection closing, in TIME_WAIT), OWNER_NO_PROCESS.
 */
enum owner_status {
	OWNER_FOUND,
	OWNER_NO_PROCESS,	/* a socket matched, but no process held it */
	OWNER_NO_SOCKET,	/* no socket matched */
	OWNER_NO_PERMISSION,	/* a socket matched; its process may be one we may not see */
};

struct resolve_stats {
	uint64_t passes;
	uint64_t fd_walks;	/* passes that walked /proc/PID/fd */
	uint64_t fd_links;	/* /proc/PID/fd/N links read */
	uint64_t sockets;	/* socket tuples learned (one forgotten and met again: twice) */
	uint64_t processes;	/* processes learned (the same) */
	uint64_t denied;	/* processes whose fds we were not allowed to read */
	/* What is kept now, and what rounds of forgetting dropped: */
	uint64_t sockets_kept, processes_kept, pids_kept;
	uint64_t rounds;	/* rounds of forgetting */
	uint64_t sockets_forgotten, processes_forgotten, pids_forgotten;
	/* What the proc root held that was not read whole (below.h): */
	uint64_t refused;	/* paths refused: symbolic links, escapes, not regular files */
	uint64_t long_lines;	/* lines longer than BELOW_LINE_MAX, skipped */
	uint64_t cut_files;	/* files cut at BELOW_FILE_MAX, or by a read error */
	uint64_t interrupted;	/* walks and table reads cut short by a stop (resolver_set_stop) */
};

struct resolver;

/* NULL on out of memory. proc_root: "/proc" or a directory standing in. */
struct resolver *resolver_new(const char *proc_root);

/*
 * Owners known from elsewhere than a proc root: those a capture file
 * recorded (annot.h), or those the kernel reported (kowners.h). lookup
 * answers for end e as resolver_lookup_end does: *owner with OWNER_FOUND,
 * and *local (is the end's address one of this host's, as far as the
 * source knows). wild: a socket with no peer, or bound to the wildcard
 * address, may answer (the end's address is one this host receives on);
 * else only one with exactly these two ends.
 */
struct owner_source {
	enum owner_status (*lookup)(void *ctx, const struct flow_end *e, bool wild,
				    const struct proc_info **owner, bool *local);
	void *ctx;
};

/*
 * A resolver that answers every lookup from src (which must outlive it)
 * and reads nothing: its passes do nothing. NULL on out of memory.
 */
struct resolver *resolver_new_source(const struct owner_source *src);
void resolver_free(struct resolver *r);

/* One full pass; returns 0, or -1 when no socket table could be read. */
int resolver_refresh(struct resolver *r);

/*
 * A pass in steps, for a caller with new flows to look up while it goes
 * on: resolver_begin, then resolver_step until it returns false. Each
 * step is short (a socket table, a process's fds, a few hundred fd links
 * of a large table); between two, the caller may look up new flows
 * (resolver_refresh_flows without deep, resolver_explains): what those
 * learn is kept, and the walk going on does not take it back. A pass
 * begun ends the one going on, if any. RESOLVER_WHOLE: what
 * resolver_refresh does; RESOLVER_DEEP: the walk of every process that
 * resolver_refresh_flows with deep makes (resolver_deep_due).
 */
enum resolver_pass { RESOLVER_WHOLE, RESOLVER_DEEP };
void resolver_begin(struct resolver *r, enum resolver_pass kind);
bool resolver_step(struct resolver *r);

/* Would a deep pass look for something (a socket of unknown owner, a namespace)? */
bool resolver_deep_due(const struct resolver *r);

/*
 * A pass for new flows t[0..n): their sockets are looked up one by one in
 * the kernel (sock_diag) where it can be asked, the other tables are read
 * only for protocols among t, and /proc/PID/fd of processes never seen
 * before is walked newest first; with deep, known processes too while a
 * socket lacks its owner. Without sock_diag (a proc root that is not the
 * real /proc), a full resolver_refresh when deep, else nothing but a note
 * that one is due (resolver_pending). 0, or -1 when a table failed.
 */
int resolver_refresh_flows(struct resolver *r, const struct tuple *t, size_t n, bool deep);

/*
 * Who owns end e (its local address and port, in a conversation with its
 * remote one)? Exact tuple first, then a listening or unconnected socket
 * on the local address and port, then the wildcard address; IPv4 also
 * tries a dual-stack IPv6 wildcard socket. The wildcard tries are made
 * only when the local address is one of this host (or multicast or
 * broadcast, or no address is known).
 */
enum owner_status resolver_lookup(const struct resolver *r, const struct flow_end *e,
				  const struct proc_info **owner);

/*
 * Are both ends of t addresses of this host (of any namespace met), each
 * owned by a known process? A flow with an end that is no address of ours
 * is not explained: that end may be in a namespace not met yet, and
 * resolver_refresh_flows looks at the namespaces of new processes for it.
 */
bool resolver_explains(const struct resolver *r, const struct tuple *t);

/*
 * ... by what the resolver itself read (/proc, sock_diag), the fallback
 * source (resolver_set_fallback) left aside: a flow the kernel explains is
 * still looked up, as /proc names a socket's holder after a fork where the
 * kernel names its maker.
 */
bool resolver_explains_own(const struct resolver *r, const struct tuple *t);

/*
 * resolver_lookup, and *local: whether e's local address is one of this
 * host (resolver_is_local), which the lookup learns anyway.
 */
enum owner_status resolver_lookup_end(const struct resolver *r, const struct flow_end *e,
				      const struct proc_info **owner, bool *local);

/*
 * A source asked where the resolver's own tables find no owner (kowners.h:
 * the kernel's reports, for sockets gone before /proc was read): its
 * OWNER_FOUND answers an end (taken then as an address of this host); any
 * other answer keeps the resolver's. Asked by every lookup
 * (resolver_lookup, resolver_lookup_end, resolver_explains), under the
 * same lock. src must outlive its use; NULL: none.
 */
void resolver_set_fallback(struct resolver *r, const struct owner_source *src);

/* Is addr an address of this host, of any namespace met? */
bool resolver_is_local(const struct resolver *r, int family, const uint8_t *addr);

/*
 * Let passes be stopped: once *stop is non-zero (a signal handler sets it,
 * from any thread), each pass going on or started later ends within
 * STOP_GRACE (0.2) seconds and the time of one step (a line of a table,
 * an fd link, a process's files), keeping what it has learned; lookups
 * answer from that. NULL: never. Not reset: a stop is for the rest of
 * the resolver's life.
 */
void resolver_set_stop(struct resolver *r, const atomic_int *stop);

/* Is a deep pass (resolver_refresh_flows with deep) waited for? */
bool resolver_pending(const struct resolver *r);

void resolver_stats(const struct resolver *r, struct resolve_stats *st);

/*
 * Forgetting. A long live run meets a socket for every connection, and
 * most of the processes started meanwhile: kept all, they grow memory
 * with every remote peer seen (bench/forget_bench.c). What can no longer
 * be asked about goes, in rounds its caller runs, between passes:
 *   - a socket no whole pass has listed, nor any lookup for a new flow
 *     found its owner through, since the older of the last two whole
 *     passes began (a pass is whole when it read every table of our own
 *     namespace and listed /proc, uncut): closed, or another namespace's
 *     idle one, which a lookup learns again;
 *   - an inode no socket kept has, and a process no inode kept is owned
 *     by, unless an answer naming it is kept (resolver_keep);
 *   - a pid no whole listing of /proc since then showed (exited).
 * The answers that rest on what goes must be kept first, by whoever
 * still needs them: the reports attribute every flow of the run at the
 * end (and at each interval). The steps:
 *   1. resolver_forget_due: is a round due? If so it is set up.
 *   2. resolver_answer_end, for each end of each flow still answered by
 *      the resolver: its answer as a pin, and whether it rests on a
 *      socket the round drops. A flow with such an end keeps the pins of
 *      both ends (resolver_keep each: the process named stays for the
 *      rest of the run) and is answered from them from then on
 *      (resolver_pinned).
 *   3. resolver_forget.
 * core/pins.h does this for a session's flows. A resolver nobody asks to
 * forget keeps everything, as above.
 */
struct owner_pin {
	int32_t proc;		/* the owner, kept for the run (resolver_keep); -1: none */
	uint8_t status;		/* enum owner_status */
	uint8_t local;		/* is the end an address of this host? */
};

/*
 * A round is due when two whole passes have run and, since the last
 * round, the sockets (or pids) kept grew by at least min (default 1024),
 * by as many as the last round kept, and (sockets) by a quarter of the
 * flows the caller answers through the resolver (unpinned: each costs the
 * round two lookups). A round costs about what it reads (what is kept,
 * and those flows), so that is never more than a few times what the
 * growth before it cost; memory kept stays within about twice what is
 * open, plus the minimum.
 */
#define RESOLVER_FORGET_MIN 1024
void resolver_set_forget_min(struct resolver *r, size_t min);
bool resolver_forget_due(struct resolver *r, size_t unpinned);

/*
 * resolver_lookup_end, as a pin (pin->status is its status); true when
 * the answer rests on a socket the round set up will drop.
 */
bool resolver_answer_end(const struct resolver *r, const struct flow_end *e,
			 struct owner_pin *pin);

/* Keep pin's process for the rest of the run. */
void resolver_keep(struct resolver *r, const struct owner_pin *pin);

/* Forget what the round set up drops (out of memory: nothing). */
void resolver_forget(struct resolver *r);

/* A kept pin's owner (NULL: none); valid while the resolver is not changed. */
const struct proc_info *resolver_pinned(const struct resolver *r, const struct owner_pin *pin);

/*
 * A socket that no table of the resolver lists (a packet socket:
 * pktsock.h): let its walks look for its holder, as for a listed one.
 * 0, or -1 on out of memory.
 */
int resolver_watch_inode(struct resolver *r, uint64_t inode);

/* The process a walk found holding inode; NULL: none found (yet). */
const struct proc_info *resolver_inode_owner(const struct resolver *r, uint64_t inode);

#endif
