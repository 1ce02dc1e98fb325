/*
 * resolve_priv.h - the inside of a resolver, shared by the modules that
 * make one up. Other callers use resolve.h only.
 *
 * A resolver is what it has learned (struct rdb, rdb.c: sockets, the
 * inodes of their files, processes) and the sources it learns from, each
 * a module with its own state, behind one interface (struct rsource):
 *   - nssrc.c, the network namespaces met (/proc/PID/ns/net);
 *   - diagsrc.c, sock_diag: one socket at a time, asked of the kernel;
 *   - tablesrc.c, the socket tables /proc/net/{tcp,udp,...} and the
 *     host's addresses (fib_trie, if_inet6), per namespace;
 *   - fdsrc.c, the walks of /proc/PID/fd that find a socket's holder,
 *     in the order walkplan.h decides;
 * and, answering lookups rather than learning, the kernel's reports
 * (kowners.h) and a capture file's annotations (annot.h): struct
 * owner_source, resolve.h. lookup.c answers from what was learned;
 * forget.c forgets what is long gone; resolve.c runs the passes.
 */
#ifndef PROCTRAF_RESOLVE_PRIV_H
#define PROCTRAF_RESOLVE_PRIV_H

#include <dirent.h>
#include <string.h>

#include "below.h"
#include "hmap.h"
#include "localaddr.h"
#include "resolve.h"
#include "walkplan.h"

#define NS_MAX 255		/* network namespaces told apart (sock_key.ns) */
#define NS_PER_ADDR LOCALADDR_NS_PER_ADDR
#define OWNER_UNKNOWN (-1)	/* in a socket table, owner not found yet */
#define OWNER_MISSING (-2)	/* a full fd walk did not find it */
#define OWNER_CLOSED (-3)	/* closed before its owner was found: not searched for */
#define PROC_UNREAD (-1)	/* in the pid map: seen, details not read */

/* ---- what was learned (rdb.c) ------------------------------------ */

/*
 * A socket, as the key of the socket map: its local end, its peer (the
 * wildcard for one not connected), and the namespace whose table listed
 * it (its index in struct nsreg: 0 is ours). Zero-filled: whole words to
 * hash and compare.
 */
struct sock_key {
	struct endpoint local, remote;
	uint8_t family;		/* TUPLE_V4 or TUPLE_V6 */
	uint8_t proto;		/* IPPROTO_*; for a raw socket, what it receives */
	uint8_t kind;		/* TUPLE_FLOW, or TUPLE_RAW */
	uint8_t ns;
};

/*
 * A socket's value: the inode of the file that holds it (0: none, a
 * closing one), and the epoch (full pass) in which a table last listed
 * it or a lookup last found its owner through it.
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

/*
 * Each map keeps its values beside its keys (hmap_new_kv): a key is put
 * with its value or not at all, so running out of memory never leaves a
 * key whose value was not written.
 */
struct rdb {
	struct hmap *socks;		/* struct sock_key -> struct sock_val */
	struct hmap *sock_addrs;	/* struct sock_addr_key */
	bool sock_addrs_partial;	/* out of memory: sock_addrs may lack some */
	bool wild[NS_MAX][2];		/* per namespace: a socket on the v4 / v6 wildcard */

	struct hmap *inodes;		/* uint64_t inode -> struct inode_val */
	size_t unowned;			/* inodes at OWNER_UNKNOWN */

	struct hmap *pids;		/* int32_t pid -> struct pid_val */
	struct hmap *denied;		/* int32_t pid: its fds we were not allowed to read */
	bool some_denied;		/* ... one at least (kept when out of memory) */

	struct proc_slot *procs;	/* by proc index */
	size_t nprocs, procs_cap;
	int32_t *free_procs;		/* forgotten slots, reused first */
	size_t nfree, free_cap;

	struct localaddr *local;	/* this host's addresses and prefixes, per namespace */

	uint32_t epoch;			/* full passes begun */
	uint64_t walk_gen;		/* the walk crediting now (rdb_may_take) */
	int recent[WALK_RECENT];	/* pids credited lately, latest first */
	uint64_t socks_learned, procs_learned;
};

int rdb_init(struct rdb *db);
void rdb_free(struct rdb *db);

static inline struct sock_val *sock_at(const struct rdb *db, size_t i)
{
	return hmap_value(db->socks, i);
}

static inline struct inode_val *inode_at(const struct rdb *db, size_t j)
{
	return hmap_value(db->inodes, j);
}

static inline struct pid_val *pid_at(const struct rdb *db, size_t slot)
{
	return hmap_value(db->pids, slot);
}

static inline struct sock_addr_key sock_addr_key(int family, size_t ns, const uint8_t *addr)
{
	struct sock_addr_key k;

	memset(&k, 0, sizeof(k));
	k.family = (uint8_t)family;
	k.ns = (uint8_t)ns;
	memcpy(k.addr, addr, 16);
	return k;
}

/* The key of a socket of namespace ns: end e, of kind TUPLE_FLOW or TUPLE_RAW. */
struct sock_key sock_key_of(const struct flow_end *e, int kind, size_t ns);

/* Learn a socket a table (or sock_diag) listed in namespace ns. */
void rdb_learn_socket(struct rdb *db, const struct sock_entry *e, size_t ns);

/* Index of the socket key in the socket map, or HMAP_NONE. */
size_t rdb_sock_find(const struct rdb *db, const struct sock_key *key);

/* May a socket of namespace ns be bound to addr? (false: surely none is) */
bool rdb_has_sock_addr(const struct rdb *db, size_t ns, int family, const uint8_t *addr);

/* inode's index, added as owner if new; HMAP_NONE on out of memory (then not added). */
size_t rdb_inode_put(struct rdb *db, uint64_t inode, int32_t owner, bool *inserted);

/* inode's owner (proc index), or OWNER_*. */
int32_t rdb_inode_owner(const struct rdb *db, uint64_t inode);

/* Mark the inode at index j closed (OWNER_CLOSED), if its owner is unknown still. */
void rdb_inode_closed(struct rdb *db, size_t j);

/* The pid map's slot for pid, added (as PROC_UNREAD) if new; HMAP_NONE on ENOMEM. */
size_t rdb_pid_slot(struct rdb *db, int pid, bool *inserted);

/*
 * May pid take the socket at inode index j? An unowned socket, yes. One
 * credited during this same walk to a higher pid, too: the lowest pid wins
 * a socket shared after fork(), whatever order the walk takes.
 */
bool rdb_may_take(const struct rdb *db, size_t j, int pid);

/*
 * Give pid (at pid slot `slot`) the sockets at inode indices take[]; its
 * details are read below root if it is new, or a new incarnation of a
 * pid known. false on out of memory.
 */
bool rdb_credit(struct rdb *db, struct below *root, int pid, size_t slot, const size_t *take,
		size_t ntake);

/*
 * We were not allowed to read pid's fds: see OWNER_NO_PERMISSION. key: the
 * pid of its process (a thread's id is noted as its process's).
 */
void rdb_note_denied(struct rdb *db, int32_t key);

/* ---- namespaces (nssrc.c) ----------------------------------------- */

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
};

struct nsreg {
	struct netns *ns;
	size_t nns, cap;
	bool orphaned;			/* a namespace lost its process */
	long probed;			/* the kernel's last pid when new ones were looked for */
	bool want_deep;			/* a flow had no end in a known namespace */
};

/* ---- fd walks (fdsrc.c) ------------------------------------------- */

#define FD_TAKE_MAX 64		/* sockets a table's read takes before crediting them */

/* One process's fd table being read, in steps of at most FD_STEP_LINKS links. */
struct fd_scan {
	DIR *d;				/* NULL: none open */
	int pid;
	bool maybe_thread, denied, cut;
	size_t take[FD_TAKE_MAX], ntake, slot;
	int max_fd, nfds, last_fd;
};

/* A deep walk going on: its plan and where it is. */
struct deep_walk {
	bool on;
	int *fresh, *known;
	size_t nfresh, nknown;
	struct deep_plan plan;
	struct walk_step step;		/* the step being taken (scan.d open) */
	struct fd_scan scan;
	size_t before;			/* the inodes this walk is for */
	uint64_t gen;			/* its walk generation (rdb.walk_gen) */
	uint64_t cut_before;		/* resolver.interrupted when it began */
};

struct fdwalk {
	long last_pid;			/* the kernel's last pid at the last walk, or -1 */
	long pid_max;
	int young[WALK_YOUNG];		/* the youngest pids of the last deep walk */
	size_t nyoung;
	uint64_t walks, links, gen_next;
	uint32_t listed;		/* epoch of the last whole listing of /proc */
	struct deep_walk deep;
};

/* ---- sources ------------------------------------------------------ */

/* What a pass for new flows asks of the sources, and what they tell each other. */
struct flow_pass {
	const struct tuple *t;
	size_t n;
	bool deep;
	long last_pid;			/* read once for the pass; -1: unknown */
	bool tables[256];		/* protocols whose tables must be read */
	bool foreign;			/* a flow has an end in no namespace met */
	bool ns_added;			/* nssrc met a new namespace */
	bool tables_read;		/* tablesrc read some */
};

/*
 * A way of learning owners. In a full pass, whole learns all it can at
 * once, or begin and then step, until step is false, the same in steps
 * (each one short: the caller may look up new flows between two). In a
 * pass for new flows, flows learns what they need. Any may be NULL (the
 * source has no part in that pass). whole and flows return 0, or -1 when
 * what they read could not be read at all.
 */
struct rsource {
	const char *name;
	int (*whole)(struct resolver *r);
	void (*begin)(struct resolver *r);
	bool (*step)(struct resolver *r);
	int (*flows)(struct resolver *r, struct flow_pass *p);
};

extern const struct rsource nssrc, diagsrc, tablesrc, fdsrc;

/* ---- the resolver --------------------------------------------------- */

struct resolver {
	struct below root;		/* every file is read through it */
	struct diag *diag;		/* sock_diag, when the root is the real /proc */
	struct rdb db;
	struct nsreg ns;
	struct fdwalk fd;

	uint64_t passes;
	bool want_full;			/* no sock_diag: a full pass is due */

	/* A pass in steps (resolver_begin, resolver_step). */
	struct {
		bool on, whole;		/* whole: a full pass, else a deep walk only */
		size_t src;		/* the source taking its part now (whole_order) */
		bool begun;		/* ... and begin called */
		int rc;
		uint64_t cut;		/* interrupted when it began */
	} pass;

	/*
	 * Forgetting (forget.c). whole[0] and whole[1] are the last two full
	 * passes that read every table and listed /proc whole, latest first
	 * (0: none yet). A round forgets what was last seen before `before`
	 * (whole[1] when it is due).
	 */
	struct forgetting {
		uint32_t whole[2];
		uint32_t before;		/* 0: no round set up */
		size_t min;			/* the growth that makes a round due */
		size_t socks_kept, pids_kept;	/* what the last round kept */
		uint64_t denied, rounds, socks, procs, pids;	/* forgotten so far */
	} fg;

	/* resolver_new_source: every answer from there, nothing read */
	const struct owner_source *src;

	/* resolver_set_fallback: asked where the resolver finds no owner */
	const struct owner_source *fallback;

	/* resolver_set_stop */
	const atomic_int *stop;
	double stop_seen;		/* monotonic time a pass first saw *stop; 0: not yet */
	uint64_t interrupted;		/* walks and table reads ended early by it */
};

/* Should the pass going on end now? (resolve.c; counted in interrupted) */
bool resolver_stop_here(struct resolver *r);
bool resolver_stopping(struct resolver *r);

/* nssrc.c */
int nsreg_init(struct nsreg *n, struct below *root, struct diag *diag);
void nsreg_free(struct nsreg *n);
/* Where namespace ns's files are read below, checked to be still in it; NULL: none now. */
struct below *nsreg_files(struct resolver *r, size_t ns);
/* Namespace ns lost the process its files were read through. */
void nsreg_orphan(struct resolver *r, size_t ns);
/* Note pid's namespace (a new one is added); true if one was added. */
bool nsreg_note(struct resolver *r, int pid);

/* tablesrc.c: one namespace's tables (proto < 0: all), and its addresses. */
int tablesrc_read_ns(struct resolver *r, size_t ns, int proto);
void tablesrc_read_addrs(struct resolver *r, size_t ns);

/* diagsrc.c: are the TCP sockets of unknown owner that tables listed still open? */
void diagsrc_drop_closed_listed(struct resolver *r);
void diagsrc_drop_closed(struct resolver *r, const struct tuple *t, size_t n);

/* fdsrc.c */
long fdsrc_last_pid(struct resolver *r);
void fdsrc_probe_recent(struct resolver *r);
void fdsrc_deep_begin(struct resolver *r);
bool fdsrc_deep_step(struct resolver *r);
void fdsrc_deep_abort(struct resolver *r);

/* lookup.c */
/*
 * What a lookup rests on: the socket whose owner answered, and whether any
 * socket it met was last seen before `before` (stale: the round of
 * forgetting set up drops it).
 */
struct lookup_trace {
	uint32_t before;		/* in: 0, nothing is stale */
	bool stale;
	size_t sock;			/* HMAP_NONE: no owner found */
	int32_t proc;			/* the owner's index, or -1 */
};

enum owner_status resolver_lookup_traced(const struct resolver *r, const struct flow_end *e,
					 const struct proc_info **owner, bool *local,
					 struct lookup_trace *tr);

/* The namespaces addr is an address of, ours first if it is one of them; how many. */
size_t resolver_ns_list(const struct resolver *r, int family, const uint8_t *addr,
			uint8_t out[NS_PER_ADDR]);

#endif
