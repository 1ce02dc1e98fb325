/*
 * rdb.c - what a resolver has learned: sockets, the inodes of their
 * files, the processes holding them; see resolve_priv.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "procinfo.h"
#include "resolve_priv.h"

int rdb_init(struct rdb *db)
{
	memset(db, 0, sizeof(*db));
	/* Socket tuples: a peer chooses its address and port. */
	db->socks = hmap_new_kv(sizeof(struct sock_key), sizeof(struct sock_val), NULL);
	/*
	 * Inode numbers and pids, which the kernel hands out: not keys the
	 * network, a local user or a container's owner chooses.
	 */
	db->inodes = hmap_new_host_kv(sizeof(uint64_t), sizeof(struct inode_val));
	db->pids = hmap_new_host_kv(sizeof(int32_t), sizeof(struct pid_val));
	db->denied = hmap_new_host(sizeof(int32_t));
	/*
	 * Addresses, which the owner of each namespace chooses (those of a
	 * container's interfaces, and what its sockets bind to): seeded
	 * SipHash, as for the sockets (localaddr.h).
	 */
	db->local = localaddr_new();
	db->sock_addrs = hmap_new(sizeof(struct sock_addr_key), NULL);
	if (!db->socks || !db->inodes || !db->pids || !db->denied || !db->local ||
	    !db->sock_addrs) {
		rdb_free(db);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void rdb_free(struct rdb *db)
{
	hmap_free(db->socks);
	hmap_free(db->inodes);
	hmap_free(db->pids);
	hmap_free(db->denied);
	hmap_free(db->sock_addrs);
	/* A forgotten slot's strings are freed already (NULL). */
	for (size_t i = 0; i < db->nprocs; i++)
		procinfo_clear(&db->procs[i].info);
	free(db->procs);
	free(db->free_procs);
	localaddr_free(db->local);
	memset(db, 0, sizeof(*db));
}

struct sock_key sock_key_of(const struct flow_end *e, int kind, size_t ns)
{
	struct sock_key k;

	memset(&k, 0, sizeof(k));
	k.local = e->local;
	k.remote = e->remote;
	k.family = e->family;
	k.proto = e->proto;
	k.kind = (uint8_t)kind;
	k.ns = (uint8_t)ns;
	return k;
}

size_t rdb_sock_find(const struct rdb *db, const struct sock_key *key)
{
	return hmap_get(db->socks, key);
}

bool rdb_has_sock_addr(const struct rdb *db, size_t ns, int family, const uint8_t *addr)
{
	struct sock_addr_key k = sock_addr_key(family, ns, addr);

	return db->sock_addrs_partial || hmap_get(db->sock_addrs, &k) != HMAP_NONE;
}

size_t rdb_inode_put(struct rdb *db, uint64_t inode, int32_t owner, bool *inserted)
{
	size_t j = hmap_put(db->inodes, &inode, SIZE_MAX, inserted);

	/* The value came with the key, zeroed (proc 0): set before any read. */
	if (j != HMAP_NONE && *inserted) {
		inode_at(db, j)->owner = owner;
		if (owner == OWNER_UNKNOWN)
			db->unowned++;
	}
	return j;
}

int32_t rdb_inode_owner(const struct rdb *db, uint64_t inode)
{
	size_t j;

	if (inode == 0)
		return OWNER_MISSING;
	j = hmap_get(db->inodes, &inode);
	return j == HMAP_NONE ? OWNER_MISSING : inode_at(db, j)->owner;
}

void rdb_inode_closed(struct rdb *db, size_t j)
{
	if (inode_at(db, j)->owner != OWNER_UNKNOWN)
		return;
	inode_at(db, j)->owner = OWNER_CLOSED;
	db->unowned--;
}

void rdb_learn_socket(struct rdb *db, const struct sock_entry *e, size_t ns)
{
	static const uint8_t any[16];
	struct flow_end end = flow_end_make(e->family, e->proto, e->laddr, e->lport, e->raddr,
					    e->rport);
	struct sock_key key = sock_key_of(&end, e->raw ? TUPLE_RAW : TUPLE_FLOW, ns);
	bool inserted;
	size_t i = hmap_put(db->socks, &key, SIZE_MAX, &inserted);

	if (i == HMAP_NONE)
		return;
	sock_at(db, i)->seen = db->epoch;	/* still there: not to be forgotten */
	if (inserted) {
		struct sock_addr_key ak = sock_addr_key(e->family, ns, e->laddr);
		bool added;

		if (hmap_put(db->sock_addrs, &ak, SIZE_MAX, &added) == HMAP_NONE)
			db->sock_addrs_partial = true;
		if (memcmp(e->laddr, any, 16) == 0 && ns < NS_MAX)
			db->wild[ns][e->family == TUPLE_V6] = true;
		sock_at(db, i)->inode = e->inode;
		db->socks_learned++;
	} else if (e->inode != 0) {
		/* A closing socket (TIME_WAIT) shows inode 0: keep what we knew. */
		sock_at(db, i)->inode = e->inode;
	}
	if (e->inode != 0)
		rdb_inode_put(db, e->inode, OWNER_UNKNOWN, &inserted);
}

size_t rdb_pid_slot(struct rdb *db, int pid, bool *inserted)
{
	int32_t key = pid;
	size_t j = hmap_put(db->pids, &key, SIZE_MAX, inserted);

	/* The value came with the key, zeroed (proc 0, no hint): set before any read. */
	if (j != HMAP_NONE && *inserted) {
		pid_at(db, j)->proc = PROC_UNREAD;
		pid_at(db, j)->seen = db->epoch;
	}
	return j;
}

/*
 * Read a process's details (pid's current incarnation) into a slot
 * forgotten before, or a new one; its index or -1.
 */
static int32_t add_proc(struct rdb *db, struct below *root, int pid, size_t slot)
{
	void *arr = db->procs;
	int32_t i;

	if (db->nfree > 0) {
		i = db->free_procs[--db->nfree];
	} else {
		if (db->nprocs >= INT32_MAX ||
		    !array_reserve(&arr, &db->procs_cap, db->nprocs + 1, sizeof(*db->procs)))
			return -1;
		db->procs = arr;
		i = (int32_t)db->nprocs++;
	}
	memset(&db->procs[i], 0, sizeof(db->procs[i]));
	procinfo_read(root, pid, &db->procs[i].info);
	pid_at(db, slot)->proc = i;
	db->procs_learned++;
	return i;
}

bool rdb_may_take(const struct rdb *db, size_t j, int pid)
{
	const struct inode_val *v = inode_at(db, j);

	if (v->owner == OWNER_UNKNOWN || v->owner == OWNER_CLOSED)
		return true;	/* a walk may still meet a closed one: a held fd */
	return v->owner >= 0 && v->walk == db->walk_gen && db->procs[v->owner].info.pid > pid;
}

bool rdb_credit(struct rdb *db, struct below *root, int pid, size_t slot, const size_t *take,
		size_t ntake)
{
	int32_t proc = pid_at(db, slot)->proc;

	if (proc >= 0) {
		unsigned long long start;

		/* A recycled pid is a new process. */
		if (procinfo_start(root, pid, &start) && start != db->procs[proc].info.start)
			proc = PROC_UNREAD;
	}
	if (proc < 0)
		proc = add_proc(db, root, pid, slot);
	if (proc < 0)
		return false;
	walkplan_note_recent(db->recent, pid);
	for (size_t k = 0; k < ntake; k++) {
		struct inode_val *v = inode_at(db, take[k]);

		if (v->owner == OWNER_UNKNOWN)
			db->unowned--;
		v->owner = proc;
		v->walk = db->walk_gen;
	}
	return true;
}

void rdb_note_denied(struct rdb *db, int32_t key)
{
	bool inserted;

	db->some_denied = true;
	/* Out of memory: not counted, but the rule above still holds. */
	hmap_put(db->denied, &key, SIZE_MAX, &inserted);
}
