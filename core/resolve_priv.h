/*
 * resolve_priv.h - the inside of a resolver, shared by the modules that
 * make one up: resolve.c (the socket tables, the walks of /proc, lookups)
 * and forget.c (what it forgets, and what a caller keeps: resolve.h,
 * "Forgetting"). Other callers use resolve.h only.
 */
#ifndef PROCTRAF_RESOLVE_PRIV_H
#define PROCTRAF_RESOLVE_PRIV_H

#include <string.h>

#include "below.h"
#include "hmap.h"
#include "localaddr.h"
#include "resolve.h"

#define NS_MAX 255		/* network namespaces told apart (tuple.pad) */
#define NS_PER_ADDR LOCALADDR_NS_PER_ADDR
#define RECENT 8		/* pids credited lately, scanned by quick walks */
#define YOUNG 32		/* the youngest processes, scanned by quick walks */
#define OWNER_UNKNOWN (-1)	/* in a socket table, owner not found yet */
#define OWNER_MISSING (-2)	/* a full fd walk did not find it */
#define OWNER_CLOSED (-3)	/* closed before its owner was found: not searched for */
#define PROC_UNREAD (-1)	/* in the pid map: seen, details not read */

/*
 * A socket's value: the inode of the file that holds it (0: none, a
 * closing one), and the epoch (full pass, resolver.epoch) in which a
 * table last listed it or a lookup last found its owner through it.
 */
struct sock_val {
	uint64_t inode;
	uint32_t seen;
};

/* An inode's: its owner, and the fd walk that set it. */
struct inode_val {
	int32_t owner;			/* proc index or OWNER_* */
	uint32_t watched;		/* epoch of the last resolver_watch_inode; 0: never */
	uint64_t walk;
};

/*
 * A pid's: its process, the epoch of the last listing of /proc that
 * showed it (or in which it was met), and its fd table at the last full
 * read.
 */
struct pid_val {
	int32_t proc;			/* latest proc index for that pid, or PROC_UNREAD */
	uint32_t seen;
	struct fd_hint {
		int max_fd;
		int nfds;		/* 0: never read whole */
		int last_fd;		/* the fd of the socket credited last */
	} hint;
};

/* A process met, or a free slot for the next one. */
struct proc_slot {
	struct proc_info info;
	bool kept;			/* a caller keeps an answer naming it: never forgotten */
	bool free;			/* forgotten: on the free list */
};

/*
 * A network namespace: [0] is our own, the others are met in fd walks.
 * Another's files are read below the /proc/PID directory of one of its
 * processes, opened once (below_sub_open): it stays that process's, so a
 * pid given to a process of another namespace meanwhile is never read as
 * this one's.
 */
struct netns {
	uint64_t ino;			/* 0: not known */
	int pid;			/* a process in it (0: none known now) */
	struct below dir;		/* its /proc/PID (fd -1: none open) */
	struct diag *diag;
	bool wild[2];			/* a socket on the IPv4 / IPv6 wildcard */
};

struct resolver {
	struct below root;		/* every file is read through it */
	struct diag *diag;		/* sock_diag, when the root is the real /proc */
	long last_pid;			/* kernel's last pid at the last walk, or -1 */
	long pid_max;
	bool want_full;			/* no sock_diag: a full pass is due */
	bool want_deep;			/* a flow had no end in a known namespace */
	long ns_pid;			/* kernel's last pid when namespaces were looked for */
	int recent[RECENT];		/* pids credited lately, latest first */
	int young[YOUNG];		/* the youngest pids of the last deep walk */
	size_t nyoung;

	/*
	 * Each map keeps its values beside its keys (hmap_new_kv): a key is
	 * put with its value or not at all, so running out of memory never
	 * leaves a key whose value was not written.
	 */
	struct hmap *socks;		/* struct tuple (src = local end) -> struct sock_val */
	bool sock_addrs_partial;	/* out of memory: sock_addrs may lack some */

	struct hmap *inodes;		/* uint64_t inode -> struct inode_val */
	size_t unowned;			/* inodes at OWNER_UNKNOWN */

	struct hmap *pids;		/* int32_t pid -> struct pid_val */
	struct hmap *denied;		/* int32_t pid: its fds we were not allowed to read */
	bool some_denied;		/* ... one at least (kept when out of memory) */

	struct proc_slot *procs;	/* by proc index */
	size_t nprocs, procs_cap;
	int32_t *free_procs;		/* forgotten slots, reused first */
	size_t nfree, free_cap;

	struct localaddr *local;	/* this host's addresses and prefixes */
	struct hmap *sock_addrs;	/* struct sock_addr_key: sockets' local ones */

	struct netns *ns;
	size_t nns, ns_cap;
	bool ns_orphaned;		/* a namespace lost its process */

	uint64_t passes, fd_walks;
	uint64_t fd_links;		/* /proc/PID/fd links read */
	uint64_t walk_gen, gen_next;	/* the walk crediting now (see may_take) */

	/*
	 * Forgetting (forget.c). epoch counts full passes (resolver_refresh);
	 * whole[0] and whole[1] are the last two that read every table and
	 * listed /proc whole, latest first (0: none yet). A round forgets what
	 * was last seen before forget_before (whole[1] when it is due).
	 */
	uint32_t epoch, listed;		/* listed: epoch of the last whole listing of /proc */
	uint32_t whole[2];
	uint32_t forget_before;		/* 0: no round set up */
	size_t forget_min;		/* the growth that makes a round due */
	size_t socks_kept, pids_kept;	/* what the last round kept */
	uint64_t socks_learned, procs_learned, denied_forgotten;
	uint64_t rounds, socks_forgotten, procs_forgotten, pids_forgotten;

	/* resolver_set_yield */
	void (*yield_fn)(void *ctx);
	void *yield_ctx;
	bool in_yield;

	/* resolver_new_source: every answer from there, nothing read */
	const struct owner_source *src;

	/* resolver_set_first: asked before the tables below */
	resolver_first_fn first;
	void *first_ctx;

	/* resolver_set_stop */
	const atomic_int *stop;
	double stop_seen;		/* monotonic time a pass first saw *stop; 0: not yet */
	uint64_t interrupted;		/* walks and table reads ended early by it */
};

static inline struct sock_val *sock_at(const struct resolver *r, size_t i)
{
	return hmap_value(r->socks, i);
}

static inline struct inode_val *inode_at(const struct resolver *r, size_t j)
{
	return hmap_value(r->inodes, j);
}

static inline struct pid_val *pid_at(const struct resolver *r, size_t slot)
{
	return hmap_value(r->pids, slot);
}

/*
 * A local address some socket of a namespace has (the wildcard included):
 * a small set that spares the socket table, far larger and out of cache,
 * the lookups of a flow's remote end.
 */
struct sock_addr_key {
	uint8_t addr[16];
	uint8_t family;
	uint8_t ns;
	uint8_t pad[6];		/* zero: whole words to hash */
};

static inline struct sock_addr_key sock_addr_key(int family, size_t ns, const uint8_t *addr)
{
	struct sock_addr_key k;

	memset(&k, 0, sizeof(k));
	k.family = (uint8_t)family;
	k.ns = (uint8_t)ns;
	memcpy(k.addr, addr, 16);
	return k;
}

/*
 * What a lookup rests on (resolve.c, lookup_end): the socket whose owner
 * answered, and whether any socket it met was last seen before `before`
 * (stale: the round of forgetting set up drops it).
 */
struct lookup_trace {
	uint32_t before;		/* in: 0, nothing is stale */
	bool stale;
	size_t sock;			/* HMAP_NONE: no owner found */
	int32_t proc;			/* the owner's index, or -1 */
};

enum owner_status resolver_lookup_traced(const struct resolver *r, int family, int proto,
					 const uint8_t *laddr, uint16_t lport,
					 const uint8_t *raddr, uint16_t rport,
					 const struct proc_info **owner, bool *local,
					 struct lookup_trace *tr);

#endif
