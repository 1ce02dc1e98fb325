/* resolve.c - socket tables and the inode -> process map; see resolve.h. */
#include "resolve.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hmap.h"

#define OWNER_UNKNOWN (-1)	/* in a socket table, owner not found yet */
#define OWNER_MISSING (-2)	/* a full fd walk did not find it */
#define CMDLINE_MAX 4096

struct resolver {
	int rootfd;

	struct hmap *socks;		/* struct tuple (src = local end) */
	uint64_t *sock_inode;
	size_t sock_cap;

	struct hmap *inodes;		/* uint64_t inode */
	int32_t *inode_owner;		/* proc index or OWNER_* */
	size_t inode_cap;
	size_t unowned;			/* inodes at OWNER_UNKNOWN */

	struct hmap *pids;		/* int32_t pid */
	uint32_t *pid_proc;		/* latest proc index for that pid */
	size_t pid_cap;

	struct proc_info *procs;
	size_t nprocs, procs_cap;

	struct local_prefix *local;
	size_t nlocal, local_cap;

	uint64_t passes, fd_walks;
};

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

struct resolver *resolver_new(const char *proc_root)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->rootfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->rootfd < 0) {
		int e = errno;
		free(r);
		errno = e;
		return NULL;
	}
	r->socks = hmap_new(sizeof(struct tuple), NULL);
	r->inodes = hmap_new(sizeof(uint64_t), NULL);
	r->pids = hmap_new(sizeof(int32_t), NULL);
	if (!r->socks || !r->inodes || !r->pids) {
		resolver_free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	if (r->rootfd >= 0)
		close(r->rootfd);
	hmap_free(r->socks);
	hmap_free(r->inodes);
	hmap_free(r->pids);
	free(r->sock_inode);
	free(r->inode_owner);
	free(r->pid_proc);
	for (size_t i = 0; i < r->nprocs; i++)
		free(r->procs[i].cmdline);
	free(r->procs);
	free(r->local);
	free(r);
}

/* Read at most size-1 bytes of a small file below the root; -1 on error. */
static ssize_t read_small(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < size - 1) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

static FILE *open_below(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/* opendir(3) of a directory below the root; NULL on error. */
static DIR *open_dir_below(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

/* Index of inode in the inode map, adding it as `owner` if new. */
static size_t inode_put(struct resolver *r, uint64_t inode, int32_t owner, bool *inserted)
{
	size_t j = hmap_put(r->inodes, &inode, SIZE_MAX, inserted);
	void *arr = r->inode_owner;

	if (j == HMAP_NONE)
		return HMAP_NONE;
	if (*inserted) {
		if (!array_reserve(&arr, &r->inode_cap, j + 1, sizeof(int32_t)))
			return HMAP_NONE;	/* key stays, owner array short: see inode_owner_of */
		r->inode_owner = arr;
		r->inode_owner[j] = owner;
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
	if (j == HMAP_NONE || j >= r->inode_cap)
		return OWNER_MISSING;
	return r->inode_owner[j];
}

static void learn_socket(struct resolver *r, const struct sock_entry *e)
{
	struct tuple key;
	bool inserted;
	size_t i;
	void *arr = r->sock_inode;

	memset(&key, 0, sizeof(key));
	memcpy(key.src, e->laddr, 16);
	memcpy(key.dst, e->raddr, 16);
	key.sport = e->lport;
	key.dport = e->rport;
	key.family = e->family;
	key.proto = e->proto;
	key.kind = e->raw ? TUPLE_RAW : TUPLE_FLOW;
	i = hmap_put(r->socks, &key, SIZE_MAX, &inserted);
	if (i == HMAP_NONE)
		return;
	if (inserted) {
		if (!array_reserve(&arr, &r->sock_cap, i + 1, sizeof(uint64_t)))
			return;
		r->sock_inode = arr;
		r->sock_inode[i] = e->inode;
	} else if (e->inode != 0 && i < r->sock_cap) {
		/* A closing socket (TIME_WAIT) shows inode 0: keep what we knew. */
		r->sock_inode[i] = e->inode;
	}
	if (e->inode != 0)
		inode_put(r, e->inode, OWNER_UNKNOWN, &inserted);
}

static int read_tables(struct resolver *r)
{
	char *line = NULL;
	size_t cap = 0;
	int ok = 0;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		FILE *f = open_below(r->rootfd, tables[t].path);
		struct sock_entry e;

		if (!f)
			continue;
		ok++;
		while (getline(&line, &cap, f) > 0) {
			if (procnet_parse_line(line, tables[t].family, tables[t].proto, &e))
				learn_socket(r, &e);
		}
		fclose(f);
	}
	free(line);
	return ok ? 0 : -1;
}

static void add_local(struct resolver *r, const struct local_prefix *p)
{
	void *arr = r->local;

	for (size_t i = 0; i < r->nlocal; i++) {
		if (memcmp(&r->local[i], p, sizeof(*p)) == 0)
			return;
	}
	if (!array_reserve(&arr, &r->local_cap, r->nlocal + 1, sizeof(*p)))
		return;
	r->local = arr;
	r->local[r->nlocal++] = *p;
}

static void read_local_addrs(struct resolver *r)
{
	char *line = NULL;
	size_t cap = 0;
	struct local_prefix p;
	struct fib_state st = { 0 };
	FILE *f = open_below(r->rootfd, "net/fib_trie");

	if (f) {
		while (getline(&line, &cap, f) > 0) {
			if (procnet_fib_line(&st, line, &p))
				add_local(r, &p);
		}
		fclose(f);
	}
	f = open_below(r->rootfd, "net/if_inet6");
	if (f) {
		while (getline(&line, &cap, f) > 0) {
			if (procnet_if_inet6_line(line, &p))
				add_local(r, &p);
		}
		fclose(f);
	}
	free(line);
}

bool resolver_is_local(const struct resolver *r, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < r->nlocal; i++) {
		const struct local_prefix *p = &r->local[i];
		size_t full = p->len / 8;
		unsigned rest = p->len % 8;

		if (p->family != family || memcmp(p->addr, addr, full) != 0)
			continue;
		if (rest == 0 || ((p->addr[full] ^ addr[full]) & (0xff00 >> rest)) == 0)
			return true;
	}
	return false;
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

static void read_proc_info(int rootfd, int pid, struct proc_info *pi)
{
	char path[64], buf[CMDLINE_MAX + 1];
	ssize_t n;

	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;

	snprintf(path, sizeof(path), "%d/comm", pid);
	n = read_small(rootfd, path, buf, sizeof(pi->comm));
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0)
		memcpy(pi->comm, buf, (size_t)n + 1);

	snprintf(path, sizeof(path), "%d/status", pid);
	if (read_small(rootfd, path, buf, sizeof(buf)) > 0) {
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
	if (read_small(rootfd, path, buf, sizeof(buf)) > 0)
		pi->start = parse_starttime(buf);

	snprintf(path, sizeof(path), "%d/cmdline", pid);
	n = read_small(rootfd, path, buf, sizeof(buf));
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

/* Add a process (pid's current incarnation); its index or -1. */
static int32_t add_proc(struct resolver *r, int pid)
{
	void *arr = r->procs;
	int32_t key = pid;
	bool inserted;
	size_t j;

	if (r->nprocs >= INT32_MAX ||
	    !array_reserve(&arr, &r->procs_cap, r->nprocs + 1, sizeof(*r->procs)))
		return -1;
	r->procs = arr;
	j = hmap_put(r->pids, &key, SIZE_MAX, &inserted);
	arr = r->pid_proc;
	if (j == HMAP_NONE || !array_reserve(&arr, &r->pid_cap, j + 1, sizeof(uint32_t)))
		return -1;
	r->pid_proc = arr;
	read_proc_info(r->rootfd, pid, &r->procs[r->nprocs]);
	r->pid_proc[j] = (uint32_t)r->nprocs;
	return (int32_t)r->nprocs++;
}

/*
 * Scan one process's fds. A socket whose owner is unknown gets this
 * process; a known pid is checked against pid reuse before it is credited.
 */
static void scan_fds(struct resolver *r, int pid, int32_t proc)
{
	char path[64], target[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%d/fd", pid);
	d = open_dir_below(r->rootfd, path);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		ssize_t n;
		uint64_t inode;
		bool inserted;
		size_t j;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target));
		if (n <= 0 || (size_t)n >= sizeof(target) ||
		    !procnet_socket_link(target, (size_t)n, &inode))
			continue;
		j = inode_put(r, inode, proc, &inserted);
		if (j == HMAP_NONE || inserted || j >= r->inode_cap || r->inode_owner[j] >= 0)
			continue;
		if (r->inode_owner[j] == OWNER_UNKNOWN)
			r->unowned--;
		r->inode_owner[j] = proc;
	}
	closedir(d);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Walk /proc/PID/fd until every inode of unknown owner is found. */
static void walk_fds(struct resolver *r)
{
	int *fresh = NULL, *known = NULL;
	size_t nfresh = 0, nknown = 0, fresh_cap = 0, known_cap = 0;
	struct dirent *de;
	DIR *d = open_dir_below(r->rootfd, ".");

	if (!d)
		return;
	r->fd_walks++;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int32_t key;
		void *arr;
		bool is_known;

		if (!isdigit((unsigned char)de->d_name[0]) || *end || pid <= 0 || pid > INT32_MAX)
			continue;
		key = (int32_t)pid;
		is_known = hmap_get(r->pids, &key) != HMAP_NONE;
		arr = is_known ? known : fresh;
		if (is_known && array_reserve(&arr, &known_cap, nknown + 1, sizeof(int))) {
			known = arr;
			known[nknown++] = (int)pid;
		} else if (!is_known && array_reserve(&arr, &fresh_cap, nfresh + 1, sizeof(int))) {
			fresh = arr;
			fresh[nfresh++] = (int)pid;
		}
	}
	closedir(d);
	/* Sorted, so the lowest pid wins a socket shared after fork(). */
	if (nfresh)
		qsort(fresh, nfresh, sizeof(int), cmp_int);
	if (nknown)
		qsort(known, nknown, sizeof(int), cmp_int);

	for (size_t i = 0; i < nfresh && r->unowned > 0; i++) {
		int32_t proc = add_proc(r, fresh[i]);
		if (proc >= 0)
			scan_fds(r, fresh[i], proc);
	}
	for (size_t i = 0; i < nknown && r->unowned > 0; i++) {
		int32_t key = known[i];
		int32_t proc = (int32_t)r->pid_proc[hmap_get(r->pids, &key)];
		char path[64], buf[1024];

		/* A recycled pid is a new process. */
		snprintf(path, sizeof(path), "%d/stat", known[i]);
		if (read_small(r->rootfd, path, buf, sizeof(buf)) > 0 &&
		    parse_starttime(buf) != r->procs[proc].start) {
			int32_t np = add_proc(r, known[i]);
			if (np >= 0)
				proc = np;
		}
		scan_fds(r, known[i], proc);
	}
	free(fresh);
	free(known);
	/* Whatever is still unowned has no process we can see. */
	if (r->unowned > 0) {
		size_t n = hmap_count(r->inodes);
		for (size_t j = 0; j < n && j < r->inode_cap; j++) {
			if (r->inode_owner[j] == OWNER_UNKNOWN)
				r->inode_owner[j] = OWNER_MISSING;
		}
		r->unowned = 0;
	}
}

int resolver_refresh(struct resolver *r)
{
	int rc;

	r->passes++;
	rc = read_tables(r);
	read_local_addrs(r);
	if (r->unowned > 0)
		walk_fds(r);
	return rc;
}

/* Inode of the socket keyed (local, remote), or 0; *seen: a socket exists. */
static uint64_t sock_lookup(const struct resolver *r, int kind, int family, int proto,
			    const uint8_t *laddr, uint16_t lport,
			    const uint8_t *raddr, uint16_t rport, bool *seen)
{
	struct tuple key;
	size_t i;

	memset(&key, 0, sizeof(key));
	key.kind = (uint8_t)kind;
	memcpy(key.src, laddr, 16);
	memcpy(key.dst, raddr, 16);
	key.sport = lport;
	key.dport = rport;
	key.family = (uint8_t)family;
	key.proto = (uint8_t)proto;
	i = hmap_get(r->socks, &key);
	if (i == HMAP_NONE || i >= r->sock_cap)
		return 0;
	*seen = true;
	return r->sock_inode[i];
}

static bool is_multicast(int family, const uint8_t *addr)
{
	if (family == TUPLE_V6)
		return addr[0] == 0xff;
	return (addr[0] & 0xf0) == 0xe0 || memcmp(addr, "\xff\xff\xff\xff", 4) == 0;
}

static bool wildcard_may_match(const struct resolver *r, int family, const uint8_t *addr)
{
	return r->nlocal == 0 || is_multicast(family, addr) ||
	       resolver_is_local(r, family, addr);
}

enum owner_status resolver_lookup(const struct resolver *r, int family, int proto,
				  const uint8_t *laddr, uint16_t lport,
				  const uint8_t *raddr, uint16_t rport,
				  const struct proc_info **owner)
{
	static const uint8_t any[16];
	bool wild = wildcard_may_match(r, family, laddr);

	/* A connected ping socket shows the peer with port 0: ids are local. */
	if (proto == 1 || proto == 58)
		rport = 0;
	struct {
		bool use;
		int kind, family;
		const uint8_t *laddr, *raddr;
		uint16_t lport, rport;
	} tries[] = {
		/* exact tuple; bound, not connected; wildcard; dual-stack wildcard */
		{ true, TUPLE_FLOW, family, laddr, raddr, lport, rport },
		{ true, TUPLE_FLOW, family, laddr, any, lport, 0 },
		{ wild, TUPLE_FLOW, family, any, any, lport, 0 },
		{ wild && family == TUPLE_V4, TUPLE_FLOW, TUPLE_V6, any, any, lport, 0 },
		/* raw sockets of this protocol: connected, bound, wildcard */
		{ true, TUPLE_RAW, family, laddr, raddr, 0, 0 },
		{ true, TUPLE_RAW, family, laddr, any, 0, 0 },
		{ wild, TUPLE_RAW, family, any, any, 0, 0 },
	};
	bool seen = false;

	/*
	 * A wildcard socket only receives what is addressed to this host: do
	 * not let it claim traffic merely passing by.
	 */
	*owner = NULL;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (!tries[i].use)
			continue;
		uint64_t inode = sock_lookup(r, tries[i].kind, tries[i].family, proto,
					     tries[i].laddr, tries[i].lport, tries[i].raddr,
					     tries[i].rport, &seen);
		int32_t p = inode_owner_of(r, inode);
		if (p >= 0) {
			*owner = &r->procs[p];
			return OWNER_FOUND;
		}
	}
	return seen ? OWNER_NO_PROCESS : OWNER_NO_SOCKET;
}

bool resolver_explains(const struct resolver *r, const struct tuple *t)
{
	const struct proc_info *p;
	bool src_local = resolver_is_local(r, t->family, t->src);
	bool dst_local = resolver_is_local(r, t->family, t->dst);

	/* Every local end needs its owner: loopback has two. */
	if (src_local && resolver_lookup(r, t->family, t->proto, t->src, t->sport,
					 t->dst, t->dport, &p) != OWNER_FOUND)
		return false;
	if (dst_local && resolver_lookup(r, t->family, t->proto, t->dst, t->dport,
					 t->src, t->sport, &p) != OWNER_FOUND)
		return false;
	return true;	/* also when no end is ours: nothing to learn */
}

void resolver_stats(const struct resolver *r, struct resolve_stats *st)
{
	st->passes = r->passes;
	st->fd_walks = r->fd_walks;
	st->sockets = hmap_count(r->socks);
	st->processes = r->nprocs;
}
