/* resolve.c - socket tables and the inode -> process map; see resolve.h. */
#include "resolve.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "diag.h"
#include "resolve_priv.h"

#define SCTP_PAIRS 64		/* address pairs kept of one association */
#define RECENT 8		/* pids credited lately, scanned by quick walks */
#define CMDLINE_MAX 4096

static const struct {
	const char *path;
	int family;
	int proto;
} tables[] = {
	{ "net/tcp", TUPLE_V4, 6 },
	{ "net/tcp6", TUPLE_V6, 6 },
	{ "net/udp", TUPLE_V4, 17 },
	{ "net/udp6", TUPLE_V6, 17 },
	{ "net/icmp", TUPLE_V4, 1 },		/* ping sockets: port = echo id */
	{ "net/icmp6", TUPLE_V6, 58 },
	{ "net/raw", TUPLE_V4, PROCNET_RAW },
	{ "net/raw6", TUPLE_V6, PROCNET_RAW },
};

/* The inode a namespace link ("net:[4026531840]") names; 0 if none. */
static uint64_t ns_inode(struct below *root, const char *path)
{
	char buf[64];
	ssize_t n = below_readlink(root, path, buf, sizeof(buf));
	uint64_t v = 0;
	char *p;

	if (n <= 0)
		return 0;
	p = strchr(buf, '[');
	if (strncmp(buf, "net:[", 5) != 0 || !p)
		return 0;
	for (p++; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return *p == ']' ? v : 0;
}

/*
 * The namespace of the root's own process (self/ns/net). In an untrusted
 * root "self" is a link no path is resolved through (a snapshot's
 * "self -> 100"): its text, a pid, is the directory read instead. A
 * snapshot may also have copied it as a directory.
 */
static uint64_t self_ns_inode(struct below *root)
{
	char pid[16], path[64];
	ssize_t n;

	if (root->trusted)
		return ns_inode(root, "self/ns/net");
	n = below_readlink(root, "self", pid, sizeof(pid));
	if (n < 0 && errno == EINVAL)
		return ns_inode(root, "self/ns/net");	/* not a link */
	if (n <= 0 || strspn(pid, "0123456789") != (size_t)n)
		return 0;
	snprintf(path, sizeof(path), "%s/ns/net", pid);
	return ns_inode(root, path);
}

/* Is the root the /proc of this process's own mount, whose sockets sock_diag sees? */
static bool is_our_proc(const struct below *root)
{
	struct stat ours, st;

	return root->trusted && stat("/proc", &ours) == 0 && fstat(root->fd, &st) == 0 &&
	       st.st_dev == ours.st_dev && st.st_ino == ours.st_ino;
}

struct resolver *resolver_new(const char *proc_root)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (below_root_open(&r->root, proc_root) != 0) {
		int e = errno;
		free(r);
		errno = e;
		return NULL;
	}
	/* The kernel's own tables are asked directly only for the real /proc. */
	if (is_our_proc(&r->root))
		r->diag = diag_open();
	r->last_pid = r->ns_pid = -1;
	r->forget_min = RESOLVER_FORGET_MIN;
	/* Socket tuples: a peer chooses its address and port. */
	r->socks = hmap_new_kv(sizeof(struct tuple), sizeof(struct sock_val), NULL);
	/*
	 * Inode numbers and pids, which the kernel hands out: not keys the
	 * network, a local user or a container's owner chooses.
	 */
	r->inodes = hmap_new_host_kv(sizeof(uint64_t), sizeof(struct inode_val));
	r->pids = hmap_new_host_kv(sizeof(int32_t), sizeof(struct pid_val));
	r->denied = hmap_new_host(sizeof(int32_t));
	/*
	 * Addresses, which the owner of each namespace chooses (those of a
	 * container's interfaces, and what its sockets bind to): seeded
	 * SipHash, as for the sockets (localaddr.h).
	 */
	r->local = localaddr_new();
	r->sock_addrs = hmap_new(sizeof(struct sock_addr_key), NULL);
	r->ns = calloc(1, sizeof(*r->ns));
	if (r->ns) {
		r->ns_cap = r->nns = 1;
		r->ns[0].dir.fd = -1;	/* its files are the root's own */
		r->ns[0].ino = self_ns_inode(&r->root);
		r->ns[0].diag = r->diag;
	}
	if (!r->socks || !r->inodes || !r->pids || !r->denied || !r->local || !r->sock_addrs ||
	    !r->ns) {
		resolver_free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

struct resolver *resolver_new_source(const struct owner_source *src)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->root.fd = -1;
	r->src = src;
	return r;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	below_root_close(&r->root);
	diag_close(r->diag);
	hmap_free(r->socks);
	hmap_free(r->inodes);
	hmap_free(r->pids);
	hmap_free(r->denied);
	hmap_free(r->sock_addrs);
	/* A forgotten slot's strings are freed already (NULL). */
	for (size_t i = 0; i < r->nprocs; i++) {
		free(r->procs[i].info.cmdline);
		free(r->procs[i].info.cgroup);
		free(r->procs[i].info.unit);
		free(r->procs[i].info.container);
	}
	free(r->procs);
	free(r->free_procs);
	localaddr_free(r->local);
	for (size_t i = 1; i < r->nns; i++) {
		diag_close(r->ns[i].diag);
		below_root_close(&r->ns[i].dir);
	}
	free(r->ns);
	free(r);
}

/*
 * Index of inode in the inode map, adding it as `owner` if new; HMAP_NONE
 * when out of memory (then it is not in the map at all).
 */
static size_t inode_put(struct resolver *r, uint64_t inode, int32_t owner, bool *inserted)
{
	size_t j = hmap_put(r->inodes, &inode, SIZE_MAX, inserted);

	/* The value came with the key, zeroed (proc 0): set before any read. */
	if (j != HMAP_NONE && *inserted) {
		inode_at(r, j)->owner = owner;
		if (owner == OWNER_UNKNOWN)
			r->unowned++;
	}
	return j;
}

static int32_t inode_owner_of(const struct resolver *r, uint64_t inode)
{
	size_t j;

	if (inode == 0)
		return OWNER_MISSING;
	j = hmap_get(r->inodes, &inode);
	return j == HMAP_NONE ? OWNER_MISSING : inode_at(r, j)->owner;
}

int resolver_watch_inode(struct resolver *r, uint64_t inode)
{
	bool inserted;

	size_t j;

	if (inode == 0)
		return 0;
	j = inode_put(r, inode, OWNER_UNKNOWN, &inserted);
	if (j == HMAP_NONE)
		return -1;
	/* Kept through rounds of forgetting while it is watched (forget.c). */
	inode_at(r, j)->watched = r->epoch + 1;
	return 0;
}

const struct proc_info *resolver_inode_owner(const struct resolver *r, uint64_t inode)
{
	int32_t p = inode_owner_of(r, inode);

	return p >= 0 ? &r->procs[p].info : NULL;
}

static void learn_socket(struct resolver *r, const struct sock_entry *e, size_t ns)
{
	struct tuple key;
	bool inserted;
	size_t i;

	memset(&key, 0, sizeof(key));
	memcpy(key.src, e->laddr, 16);
	memcpy(key.dst, e->raddr, 16);
	key.sport = e->lport;
	key.dport = e->rport;
	key.family = e->family;
	key.proto = e->proto;
	key.kind = e->raw ? TUPLE_RAW : TUPLE_FLOW;
	key.pad = (uint8_t)ns;
	i = hmap_put(r->socks, &key, SIZE_MAX, &inserted);
	if (i == HMAP_NONE)
		return;
	sock_at(r, i)->seen = r->epoch;		/* still there: not to be forgotten */
	if (inserted) {
		struct sock_addr_key ak = sock_addr_key(e->family, ns, e->laddr);
		bool added;

		static const uint8_t any[16];

		if (hmap_put(r->sock_addrs, &ak, SIZE_MAX, &added) == HMAP_NONE)
			r->sock_addrs_partial = true;
		if (memcmp(e->laddr, any, 16) == 0 && ns < r->nns)
			r->ns[ns].wild[e->family == TUPLE_V6] = true;
		sock_at(r, i)->inode = e->inode;
		r->socks_learned++;
	} else if (e->inode != 0) {
		/* A closing socket (TIME_WAIT) shows inode 0: keep what we knew. */
		sock_at(r, i)->inode = e->inode;
	}
	if (e->inode != 0)
		inode_put(r, e->inode, OWNER_UNKNOWN, &inserted);
}

struct learn_ctx {
	struct resolver *r;
	size_t ns;
};

static void learn_cb(void *ctx, const struct sock_entry *e)
{
	struct learn_ctx *c = ctx;

	learn_socket(c->r, e, c->ns);
}

/*
 * Where a namespace's files (net/...) are read below: the root for our
 * own, the directory of a process in it for another's; NULL when none is
 * known now.
 */
static struct below *ns_base(struct resolver *r, size_t ns)
{
	if (ns == 0)
		return &r->root;
	return r->ns[ns].dir.fd >= 0 ? &r->ns[ns].dir : NULL;
}

/*
 * Namespace ns lost the process its files were read through (it exited,
 * or moved to another namespace): the next deep walk looks for another.
 */
static void ns_orphan(struct resolver *r, size_t ns)
{
	below_fold(&r->root, &r->ns[ns].dir);
	below_root_close(&r->ns[ns].dir);
	r->ns[ns].pid = 0;
	r->ns_orphaned = true;
}

void resolver_set_stop(struct resolver *r, const atomic_int *stop)
{
	r->stop = stop;
}

/*
 * Should the pass going on end now? Once *stop is set, passes go on for
 * STOP_GRACE seconds more, then every walk and table read ends at its
 * next check (between two lines, two processes, two fd links) and keeps
 * what it has learned. The grace is what the last pass of a capture
 * ended by Ctrl-C needs on an ordinary host (a deep walk of a few hundred
 * processes: under 0.1 s), so it still finds what it can; a walk of
 * 100,000 processes (20 s) is cut short instead.
 */
#define STOP_GRACE 0.2

static bool stopping(struct resolver *r)
{
	struct timespec ts;
	double now;

	if (!r->stop || atomic_load_explicit(r->stop, memory_order_relaxed) == 0)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (r->stop_seen == 0)
		r->stop_seen = now;
	return now - r->stop_seen >= STOP_GRACE;
}

/* stopping(), counted when it cuts something short (resolve_stats.interrupted). */
static bool stop_here(struct resolver *r)
{
	if (!stopping(r))
		return false;
	r->interrupted++;
	return true;
}

/* Called with each line of a file. */
typedef void line_fn(struct resolver *r, const char *line, void *ctx);

/*
 * Each line of the file at path below base (the root, or a directory
 * below it) to fn, within below.h's bounds, until the file ends or a
 * stop; false if it could not be opened.
 */
static bool read_lines(struct resolver *r, struct below *base, const char *path, line_fn *fn,
		       void *ctx)
{
	struct below_lines lf;
	const char *line;
	size_t len;
	bool ok = below_lines_open(base, path, &lf) == 0;

	while (ok && (line = below_lines_next(&lf, &len)) != NULL && !stop_here(r))
		fn(r, line, ctx);
	if (ok)
		below_lines_close(&lf);
	/* What was refused or cut there counts as the root's. */
	if (base != &r->root)
		below_fold(&r->root, base);
	return ok;
}

struct table_ctx {
	int family, proto;
	size_t ns;
};

static void table_line(struct resolver *r, const char *line, void *ctx)
{
	const struct table_ctx *c = ctx;
	struct sock_entry e;

	if (procnet_parse_line(line, c->family, c->proto, &e))
		learn_socket(r, &e, c->ns);
}

struct sctp_ctx {
	bool assoc;
	size_t ns;
};

static void sctp_line(struct resolver *r, const char *line, void *ctx)
{
	const struct sctp_ctx *c = ctx;
	struct sock_entry e[SCTP_PAIRS];
	size_t k = procnet_sctp_line(line, c->assoc, e, SCTP_PAIRS);

	for (size_t j = 0; j < k; j++)
		learn_socket(r, &e[j], c->ns);
}

/*
 * Where namespace ns's files are read below, checked to be still in it
 * (a process may move to another namespace); NULL when no process of it
 * is known now.
 */
static struct below *ns_files(struct resolver *r, size_t ns)
{
	struct below *base = ns_base(r, ns);

	if (ns == 0 || !base)
		return base;
	if (ns_inode(base, "ns/net") == r->ns[ns].ino)
		return base;
	ns_orphan(r, ns);	/* gone, or elsewhere now */
	return NULL;
}

/* Read one namespace's socket tables; only protocol proto unless proto < 0. */
static int read_ns_tables(struct resolver *r, size_t ns, int proto)
{
	int ok = 0;
	struct learn_ctx lc = { r, ns };
	bool tcp_both = false;	/* one dump gave IPv4 and IPv6 */
	struct below *base = ns_files(r, ns);

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		struct table_ctx tc = { tables[t].family, tables[t].proto, ns };

		if (proto >= 0 && tables[t].proto != proto)
			continue;
		if (stop_here(r))
			break;
		/*
		 * TCP: one walk of the kernel's hash table instead of one per
		 * read(). Another namespace's TCP sockets are not listed at
		 * all when sock_diag reaches it: every flow gets its own
		 * lookup there, and each listing walks the whole table (the
		 * table is shared by all namespaces).
		 */
		if (r->ns[ns].diag && tables[t].proto == 6 && ns > 0)
			continue;
		if (tcp_both && tables[t].proto == 6) {
			ok++;
			continue;
		}
		if (r->ns[ns].diag && tables[t].proto == 6 &&
		    diag_dump_tcp(r->ns[ns].diag, learn_cb, &lc) == 0) {
			tcp_both = true;
			ok++;
			continue;
		}
		if (r->ns[ns].diag && tables[t].proto == 6 &&
		    diag_dump(r->ns[ns].diag, tables[t].family, 6, learn_cb, &lc) == 0) {
			ok++;
			continue;
		}
		if (!base)
			break;
		if (read_lines(r, base, tables[t].path, table_line, &tc))
			ok++;
	}
	/* SCTP: associations, and endpoints (bound or listening). */
	for (int assoc = 0; assoc < 2 && base && (proto < 0 || proto == 132); assoc++) {
		struct sctp_ctx sc = { assoc == 1, ns };

		read_lines(r, base, assoc ? "net/sctp/assocs" : "net/sctp/eps", sctp_line, &sc);
	}
	/* Its process is gone: the next deep walk looks for another. */
	if (ns > 0 && ok == 0 && base)
		ns_orphan(r, ns);
	return ok ? 0 : -1;
}

void resolver_set_yield(struct resolver *r, void (*fn)(void *ctx), void *ctx)
{
	r->yield_fn = fn;
	r->yield_ctx = ctx;
}

/*
 * A point of a long pass where the caller may run a quick pass (see
 * resolver_set_yield). The walk going on keeps its generation: what the
 * quick pass credited is not taken back by it (may_take).
 */
static void yield(struct resolver *r)
{
	uint64_t gen = r->walk_gen;

	if (!r->yield_fn || r->in_yield)
		return;
	r->in_yield = true;
	r->yield_fn(r->yield_ctx);
	r->in_yield = false;
	r->walk_gen = gen;
}

static int read_tables(struct resolver *r, int proto)
{
	int rc = read_ns_tables(r, 0, proto);

	for (size_t ns = 1; ns < r->nns && !stop_here(r); ns++) {
		yield(r);
		read_ns_tables(r, ns, proto);
	}
	return rc;
}

static void add_local(struct resolver *r, const struct local_prefix *p, size_t ns)
{
	localaddr_add(r->local, p, (uint8_t)ns);
}

struct addr_ctx {
	struct fib_state fib;
	size_t ns;
};

static void fib_line(struct resolver *r, const char *line, void *ctx)
{
	struct addr_ctx *c = ctx;
	struct local_prefix p;

	if (procnet_fib_line(&c->fib, line, &p))
		add_local(r, &p, c->ns);
}

static void if_inet6_line(struct resolver *r, const char *line, void *ctx)
{
	const struct addr_ctx *c = ctx;
	struct local_prefix p;

	if (procnet_if_inet6_line(line, &p))
		add_local(r, &p, c->ns);
}

static void read_ns_addrs(struct resolver *r, size_t ns)
{
	struct addr_ctx ac;
	struct below *base = ns_files(r, ns);

	if (!base)
		return;
	memset(&ac, 0, sizeof(ac));
	ac.ns = ns;
	read_lines(r, base, "net/fib_trie", fib_line, &ac);
	read_lines(r, base, "net/if_inet6", if_inet6_line, &ac);
}

static void read_local_addrs(struct resolver *r)
{
	for (size_t ns = 0; ns < r->nns; ns++)
		read_ns_addrs(r, ns);
}

/*
 * The namespaces addr is an address of, ours first if it is one of them;
 * their number (0: none of ours).
 */
static size_t ns_list(const struct resolver *r, int family, const uint8_t *addr,
		      uint8_t out[NS_PER_ADDR])
{
	return localaddr_find(r->local, family, addr, out);
}

/* The first namespace addr is an address of, or -1 when it is none of ours. */
static int ns_of(const struct resolver *r, int family, const uint8_t *addr)
{
	uint8_t ns[NS_PER_ADDR];

	return ns_list(r, family, addr, ns) > 0 ? ns[0] : -1;
}

bool resolver_is_local(const struct resolver *r, int family, const uint8_t *addr)
{
	return ns_of(r, family, addr) >= 0;
}

static bool have_local(const struct resolver *r)
{
	return localaddr_any(r->local);
}

static unsigned long long parse_starttime(const char *stat)
{
	const char *p = strrchr(stat, ')');
	unsigned long long v = 0;

	if (!p)
		return 0;
	p++;
	/* Fields after the command: state is field 3, starttime field 22. */
	for (int field = 3; field < 22; field++) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	while (isdigit((unsigned char)*p))
		v = v * 10 + (unsigned long long)(*p++ - '0');
	return v;
}

/*
 * PID/cgroup: the cgroup v2 path, and the systemd unit and container it
 * names (cgroup.h). Left NULL when unknown, or when out of memory.
 */
static void read_cgroup(struct below *root, int pid, struct proc_info *pi)
{
	char path[64], buf[CGROUP_FILE_MAX + 2];
	char unit[CGROUP_UNIT_MAX], container[CGROUP_CONTAINER_MAX];
	const char *v2;
	size_t len;
	ssize_t n;

	snprintf(path, sizeof(path), "%d/cgroup", pid);
	n = below_read_small(root, path, buf, sizeof(buf));
	/* Longer than CGROUP_FILE_MAX: its last line may be part of one. */
	if (n <= 0 || (size_t)n > CGROUP_FILE_MAX || !cgroup_v2_path(buf, (size_t)n, &v2, &len))
		return;
	pi->cgroup = strndup(v2, len);
	if (cgroup_unit(v2, len, unit))
		pi->unit = strdup(unit);
	if (cgroup_container(v2, len, container))
		pi->container = strdup(container);
}

static void read_proc_info(struct below *root, int pid, struct proc_info *pi)
{
	char path[64], buf[CMDLINE_MAX + 1];
	ssize_t n;

	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;

	snprintf(path, sizeof(path), "%d/comm", pid);
	n = below_read_small(root, path, buf, sizeof(pi->comm));
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0)
		memcpy(pi->comm, buf, (size_t)n + 1);

	snprintf(path, sizeof(path), "%d/status", pid);
	if (below_read_small(root, path, buf, sizeof(buf)) > 0) {
		const char *u = strstr(buf, "\nUid:");
		char *end;
		if (u) {
			unsigned long uid = strtoul(u + 5, &end, 10);
			if (end != u + 5) {
				pi->uid = (unsigned)uid;
				pi->have_uid = true;
			}
		}
	}

	snprintf(path, sizeof(path), "%d/stat", pid);
	if (below_read_small(root, path, buf, sizeof(buf)) > 0)
		pi->start = parse_starttime(buf);

	snprintf(path, sizeof(path), "%d/ns/net", pid);
	pi->netns = ns_inode(root, path);

	read_cgroup(root, pid, pi);

	snprintf(path, sizeof(path), "%d/cmdline", pid);
	n = below_read_small(root, path, buf, sizeof(buf));
	if (n < 0)
		n = 0;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\0')
			buf[i] = ' ';
	}
	buf[n] = '\0';
	pi->cmdline = strdup(buf);
}

/* The pid map's slot for pid, added (as PROC_UNREAD) if new; HMAP_NONE on ENOMEM. */
static size_t pid_slot(struct resolver *r, int pid, bool *inserted)
{
	int32_t key = pid;
	size_t j = hmap_put(r->pids, &key, SIZE_MAX, inserted);

	/* The value came with the key, zeroed (proc 0, no hint): set before any read. */
	if (j != HMAP_NONE && *inserted) {
		pid_at(r, j)->proc = PROC_UNREAD;
		pid_at(r, j)->seen = r->epoch;
	}
	return j;
}

/*
 * Read a process's details (pid's current incarnation) into a slot
 * forgotten before, or a new one; its index or -1.
 */
static int32_t add_proc(struct resolver *r, int pid, size_t slot)
{
	void *arr = r->procs;
	int32_t i;

	if (r->nfree > 0) {
		i = r->free_procs[--r->nfree];
	} else {
		if (r->nprocs >= INT32_MAX ||
		    !array_reserve(&arr, &r->procs_cap, r->nprocs + 1, sizeof(*r->procs)))
			return -1;
		r->procs = arr;
		i = (int32_t)r->nprocs++;
	}
	memset(&r->procs[i], 0, sizeof(r->procs[i]));
	read_proc_info(&r->root, pid, &r->procs[i].info);
	pid_at(r, slot)->proc = i;
	r->procs_learned++;
	return i;
}

/*
 * May pid take the socket at inode index j? An unowned socket, yes. One
 * credited during this same walk to a higher pid, too: the lowest pid wins
 * a socket shared after fork(), whatever order the walk takes.
 */
static bool may_take(const struct resolver *r, size_t j, int pid)
{
	const struct inode_val *v = inode_at(r, j);

	if (v->owner == OWNER_UNKNOWN || v->owner == OWNER_CLOSED)
		return true;	/* a walk may still meet a closed one: a held fd */
	return v->owner >= 0 && v->walk == r->walk_gen && r->procs[v->owner].info.pid > pid;
}

/* The thread group of task id, from its status; id itself if unknown. */
static int tgid_of(struct resolver *r, int id)
{
	char path[64], buf[1024];
	const char *t;
	long v;

	snprintf(path, sizeof(path), "%d/status", id);
	if (below_read_small(&r->root, path, buf, sizeof(buf)) <= 0 || !(t = strstr(buf, "\nTgid:")))
		return id;
	v = strtol(t + 6, NULL, 10);
	return v > 0 && v <= INT32_MAX ? (int)v : id;
}

/* Give pid the sockets at inode indices take[]; false on ENOMEM. */
static bool credit(struct resolver *r, int pid, size_t slot, const size_t *take, size_t ntake)
{
	int32_t proc = pid_at(r, slot)->proc;

	if (proc >= 0) {
		char path[64], buf[1024];

		snprintf(path, sizeof(path), "%d/stat", pid);
		if (below_read_small(&r->root, path, buf, sizeof(buf)) > 0 &&
		    parse_starttime(buf) != r->procs[proc].info.start)
			proc = PROC_UNREAD;	/* a recycled pid is a new process */
	}
	if (proc < 0)
		proc = add_proc(r, pid, slot);
	if (proc < 0)
		return false;
	if (r->recent[0] != pid) {
		size_t j = 1;
		while (j < RECENT - 1 && r->recent[j] != pid)
			j++;
		memmove(r->recent + 1, r->recent, j * sizeof(r->recent[0]));
		r->recent[0] = pid;
	}
	for (size_t k = 0; k < ntake; k++) {
		struct inode_val *v = inode_at(r, take[k]);

		if (v->owner == OWNER_UNKNOWN)
			r->unowned--;
		v->owner = proc;
		v->walk = r->walk_gen;
	}
	return true;
}

static void save_hint(struct resolver *r, size_t slot, int max_fd, int nfds, int last_fd)
{
	struct fd_hint *h = &pid_at(r, slot)->hint;

	h->max_fd = max_fd;
	h->nfds = nfds;
	if (last_fd >= 0)
		h->last_fd = last_fd;
}

/*
 * We were not allowed to read pid's fds (EACCES, EPERM: another user's
 * process, without CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE). Its sockets
 * cannot be placed: see OWNER_NO_PERMISSION. A pid that may be a thread's
 * id is noted as its process's, so that a process counts once.
 */
static void note_denied(struct resolver *r, int pid, bool maybe_thread)
{
	int32_t key = maybe_thread ? tgid_of(r, pid) : pid;
	bool inserted;

	r->some_denied = true;
	/* Out of memory: not counted, but the rule above still holds. */
	hmap_put(r->denied, &key, SIZE_MAX, &inserted);
}

/*
 * Scan one process's fds and credit it with the sockets it may take. Its
 * fds are read first and its details only then, and only if it holds one:
 * a process about to exit loses its fds before its name. A known pid is
 * checked against pid reuse before it is credited.
 */
#define YIELD_LINKS 256	/* fd links read between two yields */
static void scan_fds(struct resolver *r, int pid, bool maybe_thread)
{
	char path[64], target[64];
	size_t take[64], ntake = 0, slot = HMAP_NONE;
	struct dirent *de;
	bool inserted, pause = false, denied = false, cut = false;
	int max_fd = -1, nfds = 0, last_fd = -1, since = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%d/fd", pid);
	d = below_open_dir(&r->root, path);
	if (!d) {
		if (errno == EACCES || errno == EPERM)
			note_denied(r, pid, maybe_thread);
		return;
	}
	for (;;) {
		de = readdir(d);
		/* A stop: what was read so far is credited, as at the end of the table. */
		if (de && stop_here(r)) {
			de = NULL;
			cut = true;
		}
		if (de) {
			uint64_t inode;
			ssize_t n;
			size_t j;
			long fd;

			if (de->d_name[0] == '.')
				continue;
			fd = strtol(de->d_name, NULL, 10);
			if (fd > max_fd && fd <= INT32_MAX)
				max_fd = (int)fd;
			nfds++;
			r->fd_links++;
			/* A large table: let the caller in now and then (yield). */
			pause = ++since >= YIELD_LINKS && r->yield_fn && !r->in_yield;
			/* Read, never followed: a stand-in's links may point anywhere. */
			n = below_readlinkat(dirfd(d), de->d_name, target, sizeof(target));
			/* The directory may be listed, its links not read (no CAP_SYS_PTRACE). */
			if (n < 0 && (errno == EACCES || errno == EPERM) && !denied) {
				denied = true;
				note_denied(r, pid, maybe_thread);
			}
			if (n > 0 && procnet_socket_link(target, (size_t)n, &inode) &&
			    (j = hmap_get(r->inodes, &inode)) != HMAP_NONE && may_take(r, j, pid)) {
				take[ntake++] = j;
				last_fd = (int)fd;
			}
			if (ntake < sizeof(take) / sizeof(take[0]) && !pause)
				continue;
		}
		if (ntake > 0 && slot == HMAP_NONE) {
			/* A thread's id reaches its process's fds: credit the process. */
			if (maybe_thread)
				pid = tgid_of(r, pid);
			slot = pid_slot(r, pid, &inserted);
			if (slot == HMAP_NONE)
				break;
		}
		if (ntake > 0 && !credit(r, pid, slot, take, ntake))
			break;
		ntake = 0;
		if (!de)
			break;
		if (pause) {
			/* What was read so far is credited: nothing is held across. */
			since = 0;
			pause = false;
			yield(r);
		}
	}
	closedir(d);
	/* A table cut short is no hint of where its fds end. */
	if (slot != HMAP_NONE && !cut)
		save_hint(r, slot, max_fd, nfds, last_fd);
}

/*
 * A quick look at a process with a large fd table: only the fds around
 * the highest it had, where a new socket most likely is (a growing
 * process takes the next number). A small table, or one never read
 * whole: scan_fds.
 */
#define HINT_MIN 64		/* below this many fds, read the table whole */
#define HINT_BELOW 32
#define HINT_ABOVE 64
/*
 * Look at one fd of pid (which has a pid slot) and credit it with the
 * socket there if it may take it. -1: no such fd; 0: nothing credited
 * (or out of memory); 1: credited.
 */
static int probe_fd(struct resolver *r, int pid, size_t slot, int fd)
{
	char path[64], target[64];
	uint64_t inode;
	ssize_t n;
	size_t j;

	snprintf(path, sizeof(path), "%d/fd/%d", pid, fd);
	r->fd_links++;
	n = below_readlink(&r->root, path, target, sizeof(target));
	if (n < 0 && (errno == EACCES || errno == EPERM))
		note_denied(r, pid, false);
	if (n < 0 && errno == ENAMETOOLONG)
		return 0;	/* an fd, but no socket's */
	if (n <= 0)
		return -1;
	if (!procnet_socket_link(target, (size_t)n, &inode))
		return 0;
	j = hmap_get(r->inodes, &inode);
	if (j == HMAP_NONE || !may_take(r, j, pid))
		return 0;
	if (!credit(r, pid, slot, &j, 1))
		return 0;
	pid_at(r, slot)->hint.last_fd = fd;
	return 1;
}

/*
 * Look where pid's next socket most likely is: at the fd its last socket
 * had (a process that closes a connection and opens the next gets the
 * same number again), then just above it (one that opens several without
 * closing them). True if pid was credited with a socket.
 */
static bool probe_hint(struct resolver *r, int pid)
{
	int32_t key = pid;
	size_t slot = hmap_get(r->pids, &key);
	int fd;

	if (slot == HMAP_NONE || pid_at(r, slot)->hint.nfds == 0)
		return false;
	fd = pid_at(r, slot)->hint.last_fd;
	return probe_fd(r, pid, slot, fd) == 1 ||
	       (r->unowned > 0 && fd < INT32_MAX && probe_fd(r, pid, slot, fd + 1) == 1);
}

/* probed: probe_hint(r, pid) was just called. */
static void scan_fds_quick(struct resolver *r, int pid, bool probed)
{
	int32_t key = pid;
	size_t slot = hmap_get(r->pids, &key);
	struct fd_hint *h = slot != HMAP_NONE ? &pid_at(r, slot)->hint : NULL;
	int top, misses = 0;

	if (!probed && probe_hint(r, pid) && r->unowned == 0)
		return;
	if (!h || h->nfds < HINT_MIN) {
		scan_fds(r, pid, false);
		return;
	}
	top = h->max_fd;
	for (int fd = top > HINT_BELOW ? top - HINT_BELOW : 0;
	     fd <= top + HINT_ABOVE && misses < 16 && r->unowned > 0; fd++) {
		if (probe_fd(r, pid, slot, fd) < 0) {
			if (fd > top)
				misses++;
			continue;
		}
		misses = 0;
		if (fd > h->max_fd)
			h->max_fd = fd;
	}
}

/* The last pid the kernel gave out (in our pid namespace), or -1. */
static long read_last_pid(struct resolver *r)
{
	char buf[32];
	long v;

	if (below_read_small(&r->root, "sys/kernel/ns_last_pid", buf, sizeof(buf)) <= 0)
		return -1;
	v = strtol(buf, NULL, 10);
	if (r->pid_max == 0 && below_read_small(&r->root, "sys/kernel/pid_max", buf, sizeof(buf)) > 0)
		r->pid_max = strtol(buf, NULL, 10);
	return v > 0 && v < r->pid_max && r->pid_max <= INT32_MAX ? v : -1;
}

/*
 * The quick walk, for a new flow: scan only the processes created since
 * the last walk, newest first, until every socket is placed. The kernel
 * gives out pids in turn (wrapping at pid_max), so those are the pids
 * after the last one it had given then, up to the last one it has given
 * now (and the QUICK_AGAIN before them); no listing of /proc is needed.
 * A pid in that range may be a
 * thread's: its process is credited. False if this cannot be done (no
 * ns_last_pid, or too many new pids): then walk_fds must.
 */
#define QUICK_MAX 512
#define QUICK_AGAIN 16
#define PID_LIMIT 4194304	/* the kernel's PID_MAX_LIMIT: no pid is larger */

static uint64_t sock_lookup(const struct resolver *r, int ns, int kind, int family, int proto,
			    const uint8_t *laddr, uint16_t lport,
			    const uint8_t *raddr, uint16_t rport, bool *seen);

/*
 * The TCP socket at the local end (l, lport) of a new flow, of unknown
 * owner: is it closed already? The kernel no longer has that inode for
 * that tuple (the connection is gone, or in TIME_WAIT, whose socket has
 * no inode): then no process holds it, and no walk is made for it. It is
 * still taken by a walk that meets it (a process may hold a socket after
 * its connection has gone to TIME_WAIT).
 */
static void drop_closed_end(struct resolver *r, const struct tuple *t, const uint8_t *l,
			    uint16_t lport, const uint8_t *rem, uint16_t rport)
{
	uint8_t ns[NS_PER_ADDR];
	size_t nns = ns_list(r, t->family, l, ns);

	if (nns == 0)
		ns[nns++] = 0;
	for (size_t i = 0; i < nns; i++) {
		struct sock_entry e;
		bool seen = false;
		uint64_t inode = sock_lookup(r, ns[i], TUPLE_FLOW, t->family, 6, l, lport, rem,
					     rport, &seen);
		size_t j;
		int rc;

		if (!seen || inode == 0 || !r->ns[ns[i]].diag)
			continue;
		j = hmap_get(r->inodes, &inode);
		if (j == HMAP_NONE || inode_at(r, j)->owner != OWNER_UNKNOWN)
			continue;
		rc = diag_lookup(r->ns[ns[i]].diag, t->family, 6, l, lport, rem, rport, &e);
		if (rc == 0 || (rc == 1 && e.inode != inode)) {
			inode_at(r, j)->owner = OWNER_CLOSED;
			r->unowned--;
		}
	}
}

static void drop_closed(struct resolver *r, const struct tuple *t, size_t n)
{
	for (size_t i = 0; i < n && r->unowned > 0; i++) {
		if (t[i].proto != 6)
			continue;
		drop_closed_end(r, &t[i], t[i].src, t[i].sport, t[i].dst, t[i].dport);
		drop_closed_end(r, &t[i], t[i].dst, t[i].dport, t[i].src, t[i].sport);
	}
}

/*
 * The same for every TCP socket of unknown owner a table listing met (a
 * deep walk's, before it reads every process's fds for them): a pass may
 * list a connection that is closed a moment later, and a walk of a few
 * hundred processes for it would hold the resolver for half a second.
 * Newest first, at most CHECK_MAX lookups.
 */
#define CHECK_MAX 256
static void drop_closed_listed(struct resolver *r)
{
	size_t left = r->unowned, asked = 0;

	for (size_t i = hmap_count(r->socks); i-- > 0 && left > 0 && asked < CHECK_MAX;) {
		const struct tuple *k = hmap_key(r->socks, i);
		struct sock_entry e;
		uint64_t inode;
		size_t j;
		int rc;

		if ((inode = sock_at(r, i)->inode) == 0)
			continue;
		j = hmap_get(r->inodes, &inode);
		if (j == HMAP_NONE || inode_at(r, j)->owner != OWNER_UNKNOWN)
			continue;
		left--;
		if (k->kind != TUPLE_FLOW || k->proto != 6 || k->pad >= r->nns ||
		    !r->ns[k->pad].diag)
			continue;
		asked++;
		rc = diag_lookup(r->ns[k->pad].diag, k->family, 6, k->src, k->sport, k->dst,
				 k->dport, &e);
		if (rc == 0 || (rc == 1 && e.inode != inode)) {
			inode_at(r, j)->owner = OWNER_CLOSED;
			r->unowned--;
		}
	}
}

/*
 * Where the next socket of each process credited lately most likely is
 * (a readlink or two each): the first place a quick pass looks, before any
 * fd table, however large, is read.
 */
static void probe_recent(struct resolver *r)
{
	for (size_t i = 0; i < RECENT && r->unowned > 0; i++) {
		if (r->recent[i] > 0)
			probe_hint(r, r->recent[i]);
	}
}

/*
 * t[0..n_flows): the flows of the pass. Those of their sockets that are
 * closed already are searched for no further once the cheap places (the
 * likely fds of recent processes, new processes) have been looked at.
 */
static bool walk_new(struct resolver *r, long now, const struct tuple *t, size_t n_flows)
{
	long prev = r->last_pid, n;

	if (prev < 0 || now < 0)
		return false;
	n = (now - prev + r->pid_max) % r->pid_max;
	if (n > QUICK_MAX)
		return false;
	r->fd_walks++;
	r->walk_gen = ++r->gen_next;
	r->last_pid = now;
	for (long pid = now; n-- > 0 && r->unowned > 0 && !stop_here(r);
	     pid = pid > 1 ? pid - 1 : r->pid_max - 1)
		scan_fds(r, (int)pid, true);
	/*
	 * Then the processes that opened sockets lately: they often open
	 * more. Where each one's next socket most likely is was looked at
	 * already (probe_recent); now their fd tables.
	 */
	/* What is not found yet may be closed already: not worth a search. */
	if (r->unowned > 0)
		drop_closed(r, t, n_flows);
	for (size_t i = 0; i < RECENT && r->unowned > 0; i++) {
		if (r->recent[i] > 0)
			scan_fds_quick(r, r->recent[i], true);
	}
	/*
	 * Then the newest processes the last walk saw: one may have opened
	 * its socket just after that walk read its fds.
	 */
	for (long pid = prev, k = 0; k < QUICK_AGAIN && r->unowned > 0;
	     k++, pid = pid > 1 ? pid - 1 : r->pid_max - 1)
		scan_fds(r, (int)pid, true);
	/* Last, the youngest processes of the last deep walk. */
	for (size_t i = 0; i < r->nyoung && r->unowned > 0; i++)
		scan_fds_quick(r, r->young[i], false);
	return true;
}

/*
 * The namespace of the process whose /proc/PID directory dir is, and
 * with sock_diag (the root is our own /proc) an fd of it to enter it
 * (*fd, else -1): ns/net opened below that directory, the one magic link
 * opened, on purpose. Its inode is then the namespace entered, whatever
 * happened to the pid since the directory was opened. 0: unknown.
 */
static uint64_t dir_ns(const struct resolver *r, struct below *dir, int *fd)
{
	struct stat st;

	*fd = -1;
	if (r->diag) {
		*fd = openat(dir->fd, "ns/net", O_RDONLY | O_CLOEXEC);
		if (*fd >= 0 && fstat(*fd, &st) == 0)
			return (uint64_t)st.st_ino;
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	return ns_inode(dir, "ns/net");
}

/*
 * Note pid's network namespace: one not met before is added (its sockets
 * and addresses are read from then on, below pid's directory); one with
 * no process to read it through (it lost its own) gets this one. True if
 * a namespace was added.
 */
static bool note_ns(struct resolver *r, int pid)
{
	char path[64];
	struct below dir;
	uint64_t ino;
	void *arr = r->ns;
	size_t i;
	int fd;

	/* A first look by the pid's number: most processes are in ours. */
	snprintf(path, sizeof(path), "%d/ns/net", pid);
	ino = ns_inode(&r->root, path);
	if (ino == 0 || ino == r->ns[0].ino || r->ns[0].ino == 0)
		return false;
	for (i = 1; i < r->nns && r->ns[i].ino != ino; i++)
		;
	if (i < r->nns && r->ns[i].dir.fd >= 0)
		return false;	/* met, and read through a process of it */
	/*
	 * Then what counts, through the process's own directory: the pid may
	 * be another process's since the look above.
	 */
	snprintf(path, sizeof(path), "%d", pid);
	if (below_sub_open(&r->root, path, &dir) != 0)
		return false;
	ino = dir_ns(r, &dir, &fd);
	for (i = 1; i < r->nns && r->ns[i].ino != ino; i++)
		;
	if (ino == 0 || ino == r->ns[0].ino || i < r->nns || r->nns >= NS_MAX ||
	    !array_reserve(&arr, &r->ns_cap, r->nns + 1, sizeof(*r->ns))) {
		if (i < r->nns && ino != 0 && r->ns[i].dir.fd < 0) {
			r->ns[i].dir = dir;	/* an orphan's new process */
			r->ns[i].pid = pid;
		} else {
			below_root_close(&dir);
		}
		if (fd >= 0)
			close(fd);
		return false;
	}
	r->ns = arr;
	r->ns[r->nns].ino = ino;
	r->ns[r->nns].pid = pid;
	r->ns[r->nns].dir = dir;
	r->ns[r->nns].diag = fd >= 0 ? diag_open_in(fd) : NULL;
	r->ns[r->nns].wild[0] = r->ns[r->nns].wild[1] = false;
	if (fd >= 0)
		close(fd);
	r->nns++;
	return true;
}

/*
 * Note the network namespaces of the processes created since the last
 * look (ns_last_pid as in walk_new), and the `again` before them; true
 * if one was new. Too many new pids: left to a deep walk.
 */
static bool probe_ns(struct resolver *r, long again, long now)
{
	long prev = r->ns_pid, n;
	bool added = false;

	if (now < 0 || prev < 0) {
		r->want_deep = true;
		return false;
	}
	n = (now - prev + r->pid_max) % r->pid_max;
	if (n > QUICK_MAX) {
		r->want_deep = true;
		return false;
	}
	r->ns_pid = now;
	/* Also recent ones again: a process may enter a namespace after fork(). */
	n += again;
	if (n >= r->pid_max)
		n = r->pid_max - 1;
	for (long pid = now; n-- > 0; pid = pid > 1 ? pid - 1 : r->pid_max - 1)
		added |= note_ns(r, (int)pid);
	return added;
}

/* Age order: newest (closest below the last pid given out) first. */
struct age_ctx {
	long last, max;
};

static long age(const struct age_ctx *c, int pid)
{
	return c->max > 0 ? ((c->last - pid) % c->max + c->max) % c->max : -(long)pid;
}

static void sort_by_age(int *pids, size_t n, const struct age_ctx *c)
{
	/* Insertion sort on a few keys would do; n may be large: shell sort. */
	for (size_t gap = n / 2; gap > 0; gap /= 2) {
		for (size_t i = gap; i < n; i++) {
			int v = pids[i];
			size_t j = i;
			while (j >= gap && age(c, pids[j - gap]) > age(c, v)) {
				pids[j] = pids[j - gap];
				j -= gap;
			}
			pids[j] = v;
		}
	}
}

/*
 * The deep walk: list /proc, read the tables of the namespaces met, scan
 * every process never seen before (newest first), then the known ones
 * (newest first too) while sockets remain unplaced; what is still
 * unplaced then has no process we can see.
 */
static void walk_fds(struct resolver *r)
{
	bool orphaned = r->ns_orphaned;
	size_t old = r->nns;
	size_t before;		/* the inodes this walk is for */
	int *fresh = NULL, *known = NULL;
	size_t nfresh = 0, nknown = 0, fresh_cap = 0, known_cap = 0;
	struct dirent *de;
	struct age_ctx ac;
	uint64_t cut_before = r->interrupted;
	DIR *d;

	ac.last = r->diag ? read_last_pid(r) : -1;
	ac.max = ac.last >= 0 ? r->pid_max : 0;
	d = below_open_dir(&r->root, ".");
	if (!d)
		return;
	r->fd_walks++;
	r->walk_gen = ++r->gen_next;
	r->ns_orphaned = false;
	while ((de = readdir(d)) != NULL && !stop_here(r)) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int32_t key;
		void *arr;
		bool is_known;
		size_t slot;

		/* No kernel gives out more (PID_MAX_LIMIT): a bound on a stand-in's listing. */
		if (!isdigit((unsigned char)de->d_name[0]) || *end || pid <= 0 || pid > PID_LIMIT)
			continue;
		key = (int32_t)pid;
		slot = hmap_get(r->pids, &key);
		is_known = slot != HMAP_NONE;
		if (is_known)
			pid_at(r, slot)->seen = r->epoch;	/* alive: not to be forgotten */
		if (!is_known || orphaned)
			note_ns(r, (int)pid);
		arr = is_known ? known : fresh;
		if (is_known && array_reserve(&arr, &known_cap, nknown + 1, sizeof(int))) {
			known = arr;
			known[nknown++] = (int)pid;
		} else if (!is_known && array_reserve(&arr, &fresh_cap, nfresh + 1, sizeof(int))) {
			fresh = arr;
			fresh[nfresh++] = (int)pid;
		}
	}
	/* Listed to its end: a pid not in it has exited (forget.c). */
	if (!de)
		r->listed = r->epoch;
	closedir(d);
	/* The sockets of namespaces met just now: before the fds that hold them. */
	for (size_t ns = old; ns < r->nns && !stop_here(r); ns++) {
		read_ns_tables(r, ns, -1);
		read_ns_addrs(r, ns);
	}
	before = hmap_count(r->inodes);
	r->last_pid = ac.last;
	r->ns_pid = ac.last;
	/*
	 * Newest first, the known ones too: a socket no pass has placed yet
	 * most likely belongs to a process started lately (the oldest are
	 * daemons whose sockets are placed already). With a few hundred
	 * processes on the host, reading them oldest first took 86 ms to find
	 * the sockets of a benchmark's clients, with the resolver's lock held.
	 * (Which process a socket shared after fork() goes to does not depend
	 * on the order: see may_take.)
	 */
	if (nfresh)
		sort_by_age(fresh, nfresh, &ac);
	if (nknown)
		sort_by_age(known, nknown, &ac);
	/* The youngest processes, for quick walks to look at first. */
	r->nyoung = 0;
	for (size_t i = 0; i < nfresh && r->nyoung < YOUNG; i++)
		r->young[r->nyoung++] = fresh[i];
	for (size_t i = 0; i < nknown && r->nyoung < YOUNG; i++)
		r->young[r->nyoung++] = known[i];

	if (r->fd_walks == 1 && r->unowned == 0) {
		/*
		 * The first walk with nothing to place: take note of every
		 * process, so that later walks know them.
		 */
		for (size_t i = 0; i < nfresh; i++) {
			bool inserted;
			pid_slot(r, fresh[i], &inserted);
		}
		nfresh = 0;
	}
	/*
	 * Between two processes the caller may run a quick pass (yield):
	 * the sockets it learns are not this walk's to give up on, as the
	 * processes read before they existed were not looked at for them.
	 */
	for (size_t i = 0; i < nfresh; i++) {
		bool inserted;
		yield(r);
		if (stop_here(r))
			break;
		scan_fds(r, fresh[i], false);
		pid_slot(r, fresh[i], &inserted);	/* known from now on */
	}
	/* Before every known process is read: are they still open? */
	if (r->unowned > 0 && nknown > 0 && !stopping(r))
		drop_closed_listed(r);
	for (size_t i = 0; i < nknown && r->unowned > 0; i++) {
		yield(r);
		if (stop_here(r))
			break;
		scan_fds(r, known[i], false);
	}
	free(fresh);
	free(known);
	/* A walk cut short has not looked everywhere: what it missed is not missing. */
	for (size_t j = 0; j < before && r->unowned > 0 && r->interrupted == cut_before; j++) {
		if (inode_at(r, j)->owner == OWNER_UNKNOWN) {
			inode_at(r, j)->owner = OWNER_MISSING;
			r->unowned--;
		}
	}
}

static void deep_walk(struct resolver *r)
{
	r->want_deep = false;
	walk_fds(r);
}

int resolver_refresh(struct resolver *r)
{
	uint64_t cut = r->interrupted;
	int rc;

	if (r->src)
		return 0;
	r->passes++;
	r->epoch++;
	r->want_full = false;
	rc = read_tables(r, -1);
	read_local_addrs(r);
	deep_walk(r);
	/* What a whole pass did not see is closed, or exited (forget.c). */
	if (rc == 0 && r->interrupted == cut && r->listed == r->epoch) {
		r->whole[1] = r->whole[0];
		r->whole[0] = r->epoch;
	}
	return rc;
}

/*
 * Learn the socket at the local end (l, lport) of t from the kernel: TCP
 * and UDP by one sock_diag lookup each; other protocols from their tables.
 */
static void find_end(struct resolver *r, const struct tuple *t, const uint8_t *l, uint16_t lport,
		     const uint8_t *rem, uint16_t rport, bool read[256])
{
	static const uint8_t any_addr[16];
	struct sock_entry e;
	const struct proc_info *owner;
	uint8_t ns[NS_PER_ADDR];
	size_t nns = ns_list(r, t->family, l, ns);
	struct lookup_trace tr = { 0, false, HMAP_NONE, -1 };
	bool asked = false, local;

	if (nns == 0 && have_local(r))
		return;
	if (resolver_lookup_traced(r, t->family, t->proto, l, lport, rem, rport, &owner, &local,
				   &tr) == OWNER_FOUND) {
		/*
		 * Known already: the socket that told is in use (a listener
		 * that no table lists, another namespace's under sock_diag):
		 * not to be forgotten yet.
		 */
		sock_at(r, tr.sock)->seen = r->epoch;
		return;
	}
	if (nns == 0)
		ns[nns++] = 0;
	/* In each namespace that has the address, until one has the socket. */
	for (size_t i = 0; i < nns && (t->proto == 6 || t->proto == 17); i++) {
		int rc;

		if (!r->ns[ns[i]].diag)
			continue;
		rc = diag_lookup(r->ns[ns[i]].diag, t->family, t->proto, l, lport, rem, rport, &e);
		if (rc == 1) {
			learn_socket(r, &e, ns[i]);
			/*
			 * A connection not accepted yet, or closing, has no
			 * inode: learn the listener of its port too, whose
			 * process accepts it (found with a peer no connection
			 * has).
			 */
			if (e.inode == 0 && t->proto == 6 &&
			    diag_lookup(r->ns[ns[i]].diag, t->family, 6, l, lport, any_addr, 0, &e) == 1)
				learn_socket(r, &e, ns[i]);
			return;
		}
		/* An error too: the next full pass lists the table once. */
		asked = true;
	}
	if (asked)
		return;
	read[t->proto] = true;
	read[PROCNET_RAW] = true;	/* a raw socket may take any protocol */
}

int resolver_refresh_flows(struct resolver *r, const struct tuple *t, size_t n, bool deep)
{
	bool read[256] = { false }, any_read = false;
	long last = -1;
	int rc = 0;

	if (r->src)
		return 0;
	if (!r->diag) {
		/* Every table must be read: as often as deep walks may be. */
		r->want_full = !deep;
		return deep ? resolver_refresh(r) : 0;
	}
	r->passes++;
	for (int again = 0; again < 2; again++) {
		bool foreign = false;
		size_t old = r->nns;

		for (size_t i = 0; i < n; i++) {
			foreign |= !resolver_is_local(r, t[i].family, t[i].src) ||
				   !resolver_is_local(r, t[i].family, t[i].dst);
			find_end(r, &t[i], t[i].src, t[i].sport, t[i].dst, t[i].dport, read);
			find_end(r, &t[i], t[i].dst, t[i].dport, t[i].src, t[i].sport, read);
		}
		if (again == 0) {
			/*
			 * A connection may live a fraction of a millisecond:
			 * the likely fds first, right after the lookups.
			 */
			probe_recent(r);
			/* The last pid given out, read once for this pass. */
			last = read_last_pid(r);
		}
		/* An end of no namespace met: is a new process in a new one? */
		if (!foreign || !have_local(r) || again || !probe_ns(r, deep ? QUICK_AGAIN : 0, last))
			break;
		/* Its addresses now; its sockets by the lookups of the next round. */
		for (size_t ns = old; ns < r->nns; ns++)
			read_ns_addrs(r, ns);
	}
	for (int p = 0; p < 256; p++) {
		if (read[p] && read_tables(r, p) != 0)
			rc = -1;
		if (read[p])
			any_read = true;
	}
	if (any_read)
		probe_recent(r);	/* for the sockets the tables gave */
	if (r->unowned > 0)
		walk_new(r, last, t, n);
	if (deep && (r->unowned > 0 || r->want_deep))
		deep_walk(r);
	return rc;
}

/* Inode of the socket keyed (local, remote), or 0; *seen: a socket exists. */
/* Index of the socket keyed (local, remote) in namespace ns, or HMAP_NONE. */
static size_t sock_find(const struct resolver *r, int ns, int kind, int family, int proto,
			const uint8_t *laddr, uint16_t lport,
			const uint8_t *raddr, uint16_t rport)
{
	struct tuple key;

	memset(&key, 0, sizeof(key));
	key.pad = (uint8_t)ns;
	key.kind = (uint8_t)kind;
	memcpy(key.src, laddr, 16);
	memcpy(key.dst, raddr, 16);
	key.sport = lport;
	key.dport = rport;
	key.family = (uint8_t)family;
	key.proto = (uint8_t)proto;
	return hmap_get(r->socks, &key);
}

static uint64_t sock_lookup(const struct resolver *r, int ns, int kind, int family, int proto,
			    const uint8_t *laddr, uint16_t lport,
			    const uint8_t *raddr, uint16_t rport, bool *seen)
{
	size_t i = sock_find(r, ns, kind, family, proto, laddr, lport, raddr, rport);

	if (i == HMAP_NONE)
		return 0;
	*seen = true;
	return sock_at(r, i)->inode;
}

/* May a socket of namespace ns be bound to addr? (false: surely none is) */
static bool has_sock_addr(const struct resolver *r, size_t ns, int family,
			  const uint8_t *addr)
{
	struct sock_addr_key k = sock_addr_key(family, ns, addr);

	return r->sock_addrs_partial || hmap_get(r->sock_addrs, &k) != HMAP_NONE;
}

static bool is_multicast(int family, const uint8_t *addr)
{
	if (family == TUPLE_V6)
		return addr[0] == 0xff;
	return (addr[0] & 0xf0) == 0xe0 || memcmp(addr, "\xff\xff\xff\xff", 4) == 0;
}

enum owner_status resolver_lookup(const struct resolver *r, int family, int proto,
				  const uint8_t *laddr, uint16_t lport,
				  const uint8_t *raddr, uint16_t rport,
				  const struct proc_info **owner)
{
	bool local;

	return resolver_lookup_end(r, family, proto, laddr, lport, raddr, rport, owner, &local);
}

enum owner_status resolver_lookup_traced(const struct resolver *r, int family, int proto,
					 const uint8_t *laddr, uint16_t lport,
					 const uint8_t *raddr, uint16_t rport,
					 const struct proc_info **owner, bool *local,
					 struct lookup_trace *tr)
{
	static const uint8_t any[16];
	/* The sockets of the namespaces that have this address (ours if none). */
	uint8_t ns[NS_PER_ADDR];
	size_t nns = ns_list(r, family, laddr, ns);
	/* wildcard_may_match, with the lookup just made */
	bool wild = nns > 0 || !have_local(r) || is_multicast(family, laddr);
	/* Per namespace: has a socket laddr, the wildcard, the IPv6 wildcard? */
	bool has[NS_PER_ADDR][3];

	*local = nns > 0;
	if (nns == 0)
		ns[nns++] = 0;
	for (size_t i = 0; i < nns; i++) {
		const struct netns *n = &r->ns[ns[i]];
		bool partial = r->sock_addrs_partial || ns[i] >= r->nns;

		has[i][0] = has_sock_addr(r, ns[i], family, laddr);
		has[i][1] = wild && (partial || n->wild[family == TUPLE_V6]);
		has[i][2] = wild && family == TUPLE_V4 && (partial || n->wild[1]);
	}

	/*
	 * The responder's end of an ICMP echo (port 0, the pinger's identifier
	 * at the other end: see decode.c) is the kernel's, which answers echo
	 * requests itself: no raw socket takes it. Else a raw ICMP socket (ping
	 * where ping sockets are not allowed) pinging a local address would be
	 * credited with both ends, every packet sent and received.
	 */
	bool echo_responder = (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) && lport == 0 &&
			      rport != 0;

	/* A connected ping socket shows the peer with port 0: ids are local. */
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		rport = 0;
	/*
	 * Exact tuple; bound, not connected; wildcard; dual-stack wildcard;
	 * then raw sockets of this protocol: connected, bound, wildcard. The
	 * local address is column `has` of has[]: 0 laddr, 1 the wildcard,
	 * 2 the IPv6 wildcard. A wildcard socket only receives what is
	 * addressed to this host: has[] lets it claim nothing merely passing by.
	 */
	static const struct {
		uint8_t kind, has;
		bool remote;	/* raddr (and rport), else the wildcard */
		bool ports;	/* lport (and rport), else 0 */
	} tries[] = {
		{ TUPLE_FLOW, 0, true, true },	{ TUPLE_FLOW, 0, false, true },
		{ TUPLE_FLOW, 1, false, true }, { TUPLE_FLOW, 2, false, true },
		{ TUPLE_RAW, 0, true, false },	{ TUPLE_RAW, 0, false, false },
		{ TUPLE_RAW, 1, false, false },
	};
	bool seen = false, port_seen = false, held = false;

	*owner = NULL;
	if (tr) {
		tr->stale = false;
		tr->sock = HMAP_NONE;
		tr->proc = -1;
	}
	/* Each try in every namespace, then the next. */
	for (size_t t = 0; t < sizeof(tries) / sizeof(tries[0]); t++) {
		int col = tries[t].has;

		/* A raw socket takes only what no socket with ports matched. */
		if (tries[t].kind == TUPLE_RAW && (port_seen || echo_responder))
			break;
		for (size_t j = 0; j < nns; j++) {
			uint64_t inode;
			int32_t p;
			size_t i;

			if (!has[j][col])
				continue;
			i = sock_find(r, ns[j], tries[t].kind, col == 2 ? TUPLE_V6 : family, proto,
				      col == 0 ? laddr : any, tries[t].ports ? lport : 0,
				      tries[t].remote ? raddr : any,
				      tries[t].remote && tries[t].ports ? rport : 0);
			if (i == HMAP_NONE)
				continue;
			/* Every socket met shapes the answer: the round set up drops it? */
			if (tr && sock_at(r, i)->seen < tr->before)
				tr->stale = true;
			inode = sock_at(r, i)->inode;
			p = inode_owner_of(r, inode);
			if (p >= 0) {
				*owner = &r->procs[p].info;
				if (tr) {
					tr->sock = i;
					tr->proc = p;
				}
				return OWNER_FOUND;
			}
			/*
			 * A socket no process holds, such as a connection
			 * closed and in TIME_WAIT: the listening socket of its
			 * port, whose process accepted it, takes its last
			 * packets.
			 */
			seen = true;
			held |= inode != 0;
			port_seen |= tries[t].kind == TUPLE_FLOW;
		}
	}
	if (!seen)
		return OWNER_NO_SOCKET;
	/*
	 * A socket with an inode has (or had) a file, so some process held
	 * it: if we were not allowed to read some process's fds, it may be
	 * that one's. A closing socket (inode 0) is nobody's either way.
	 */
	return held && r->some_denied ? OWNER_NO_PERMISSION : OWNER_NO_PROCESS;
}

void resolver_set_first(struct resolver *r, resolver_first_fn fn, void *ctx)
{
	r->first = fn;
	r->first_ctx = ctx;
}

enum owner_status resolver_lookup_end(const struct resolver *r, int family, int proto,
				      const uint8_t *laddr, uint16_t lport,
				      const uint8_t *raddr, uint16_t rport,
				      const struct proc_info **owner, bool *local)
{
	enum owner_status st;
	const struct proc_info *first_owner = NULL;

	if (r->src)
		return r->src->lookup_end(r->src->ctx, family, proto, laddr, lport, raddr, rport,
					  owner, local);
	/*
	 * What /proc shows first: the process that holds the socket now. The
	 * kernel's owner is who last made or used it in a system call, which
	 * is not the holder after a fork or an fd passed until the holder
	 * calls one of its hooks (a UDP socket bound before a fork, read by
	 * the child: the parent, long closed, would get its datagrams). The
	 * kernel answers what /proc cannot: sockets gone before any look.
	 */
	st = resolver_lookup_traced(r, family, proto, laddr, lport, raddr, rport, owner, local,
				    NULL);
	if (st == OWNER_FOUND || !r->first)
		return st;
	{
		bool wild = resolver_is_local(r, family, laddr) || !have_local(r) ||
			    is_multicast(family, laddr);

		if (r->first(r->first_ctx, family, proto, laddr, lport, raddr, rport, wild,
			     &first_owner) == OWNER_FOUND) {
			*owner = first_owner;
			*local = true;
			return OWNER_FOUND;
		}
	}
	return st;
}

/* Is every local end of t owned? With the kernel's answers, or /proc's alone. */
static bool explains(const struct resolver *r, const struct tuple *t, bool kernel)
{
	const struct proc_info *p;
	bool src_local, dst_local;
	enum owner_status st;

	/* Every local end needs its owner: loopback has two. */
	st = kernel ? resolver_lookup_end(r, t->family, t->proto, t->src, t->sport, t->dst,
					  t->dport, &p, &src_local)
		    : resolver_lookup_traced(r, t->family, t->proto, t->src, t->sport, t->dst,
					     t->dport, &p, &src_local, NULL);
	if (st != OWNER_FOUND && src_local)
		return false;
	st = kernel ? resolver_lookup_end(r, t->family, t->proto, t->dst, t->dport, t->src,
					  t->sport, &p, &dst_local)
		    : resolver_lookup_traced(r, t->family, t->proto, t->dst, t->dport, t->src,
					     t->sport, &p, &dst_local, NULL);
	if (st != OWNER_FOUND && dst_local)
		return false;
	/*
	 * An end of no namespace met: perhaps one of a namespace not met yet
	 * (a container's). resolver_refresh_flows looks at new processes.
	 */
	return src_local && dst_local;
}

bool resolver_explains(const struct resolver *r, const struct tuple *t)
{
	return explains(r, t, true);
}

bool resolver_explains_own(const struct resolver *r, const struct tuple *t)
{
	return r->src ? explains(r, t, true) : explains(r, t, false);
}

bool resolver_pending(const struct resolver *r)
{
	return r->unowned > 0 || r->want_full || r->want_deep;
}

void resolver_stats(const struct resolver *r, struct resolve_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (r->src)
		return;		/* nothing read */
	st->passes = r->passes;
	st->fd_walks = r->fd_walks;
	st->fd_links = r->fd_links;
	st->sockets = r->socks_learned;
	st->processes = r->procs_learned;
	st->denied = r->denied_forgotten + hmap_count(r->denied);
	st->refused = r->root.refused;
	st->long_lines = r->root.long_lines;
	st->cut_files = r->root.cut_files;
	st->interrupted = r->interrupted;
	st->sockets_kept = hmap_count(r->socks);
	st->processes_kept = r->nprocs - r->nfree;
	st->pids_kept = hmap_count(r->pids);
	st->rounds = r->rounds;
	st->sockets_forgotten = r->socks_forgotten;
	st->processes_forgotten = r->procs_forgotten;
	st->pids_forgotten = r->pids_forgotten;
}
