/*
 * ownertab.h - the owners of sockets, found by the sockets' addresses.
 *
 * What an owner source (ownersrc.h: the kernel's programs) learned: for
 * each socket end it reported, the task that held it. A socket is put
 * under its full 4-tuple once it has a peer (a connected or accepted
 * socket), else under its local address and port only (bound, listening
 * or unconnected). Nothing is forgotten during a run, so a socket closed
 * and a process gone are still answered for; a later report for the same
 * ends in the same network namespace replaces an earlier one (a port
 * reused, or the socket passed to another process).
 *
 * No I/O and no kernel: the table is filled by ownertab_put and asked by
 * ownertab_lookup, so it is tested on its own. Not thread-safe.
 */
#ifndef PROCTRAF_OWNERTAB_H
#define PROCTRAF_OWNERTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tuple.h"

/* owner.how */
#define OWNER_CREATED 1		/* it made the socket */
#define OWNER_USED 2		/* it used the socket after another task had it, or the
				   socket was made before the source started */
#define OWNER_INHERITED 3	/* an accepted TCP socket: the holder of its listener */

/* owner.flags */
#define OWNER_F_NETNS_GUESSED 1	/* netns read from /proc/TGID/ns/net, not by the kernel */
#define OWNER_F_START_GUESSED 2	/* start read from /proc/TGID/stat, not by the kernel */
#define OWNER_F_AMBIGUOUS 4	/* sockets with these ends exist in other namespaces too */

struct owner {
	uint64_t sock_cookie;	/* the socket's cookie (SO_COOKIE): equal cookies, one socket */
	uint64_t start;		/* clock ticks after boot, as /proc/PID/stat field 22; 0: unknown */
	uint64_t cgroup_id;	/* cgroup v2 id (ownersrc.h turns it into a path) */
	uint64_t netns;		/* inode of the socket's network namespace; 0: unknown */
	uint64_t netns_cookie;	/* the kernel's cookie of that namespace; 0: unknown */
	uint64_t seen_ns;	/* CLOCK_MONOTONIC of the report */
	uint64_t closed_ns;	/* CLOCK_MONOTONIC of its close; 0: open, or not known */
	uint32_t tgid;		/* process id, in the initial PID namespace */
	uint32_t tid;		/* the thread that made the system call */
	uint32_t uid;		/* real uid, in the initial user namespace */
	uint32_t gid;
	uint8_t how;		/* OWNER_CREATED, OWNER_USED or OWNER_INHERITED */
	uint8_t flags;		/* OWNER_F_* */
	uint8_t kind;		/* which hook reported it (owners.h enum owners_kind) */
	char comm[16];		/* the task's name then, NUL-terminated */
};

/* The ends of a socket; raddr all zero and rport 0 for a socket with no peer. */
struct owner_key {
	uint8_t laddr[16];	/* TUPLE_V4: the first 4 bytes, the rest zero */
	uint8_t raddr[16];
	uint16_t lport;		/* host order */
	uint16_t rport;
	uint8_t family;		/* TUPLE_V4 or TUPLE_V6 */
	uint8_t proto;		/* IPPROTO_TCP, IPPROTO_UDP, ... */
	uint8_t pad[2];		/* zero */
};

enum owner_match {
	OWNER_MATCH_NONE,
	OWNER_MATCH_EXACT,	/* a socket with exactly these two ends */
	OWNER_MATCH_LOCAL,	/* a socket with no peer on this local address and port */
	OWNER_MATCH_WILDCARD,	/* one on the wildcard address (0.0.0.0, ::) and this port */
};

struct ownertab;

/* At most max_records (socket end, namespace) pairs; NULL on out of memory. */
struct ownertab *ownertab_new(size_t max_records);
void ownertab_free(struct ownertab *t);

/*
 * o holds the socket with ends k (normalized: an IPv4-mapped IPv6 end is
 * IPv4). 1 when kept, 0 when an equal or later report for k in o's
 * namespace is there already, -1 when the table is full or out of memory.
 */
int ownertab_put(struct ownertab *t, const struct owner_key *k, const struct owner *o);

/* The socket with this cookie was closed at when_ns; 0, or -1 when out of memory. */
int ownertab_closed(struct ownertab *t, uint64_t cookie, uint64_t when_ns);

/*
 * The owner of end `end` of t (0: t->src and sport are the local end, 1:
 * t->dst and dport), in network namespace netns (0: any; the latest
 * report wins and OWNER_F_AMBIGUOUS says if others were found). Tried in
 * this order: the exact 4-tuple, the local address and port of a socket
 * with no peer, the wildcard address and port, and for IPv4 the IPv6
 * wildcard (a dual-stack socket). A report whose namespace is not known
 * matches any.
 */
enum owner_match ownertab_lookup(const struct ownertab *t, const struct tuple *tp, int end,
				 uint64_t netns, struct owner *out);

/*
 * Put an IPv4-mapped IPv6 key (both ends mapped, or one mapped and the
 * other unspecified) in IPv4 form, as packets carry it. k->family: TUPLE_V6.
 */
void owner_key_unmap(struct owner_key *k);

struct ownertab_stats {
	size_t keys;		/* distinct socket ends */
	size_t records;		/* (ends, namespace) pairs */
	uint64_t full;		/* reports dropped for lack of room */
};
void ownertab_stats(const struct ownertab *t, struct ownertab_stats *st);

#endif
