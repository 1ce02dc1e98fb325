/*
 * forget.c - what a resolver forgets, and what its caller keeps; see
 * resolve.h, "Forgetting".
 *
 * The maps are insert-only (hmap.h): a round builds new ones with what
 * stays, in the order it was learned (the newest are read first by
 * diagsrc_drop_closed_listed), and puts them in place of the old. Process slots
 * do not move, since a kept pin names one by its index: a forgotten slot
 * has its strings freed and goes on a free list, which rdb_credit takes
 * from first. Everything that can fail (memory) is done before anything
 * is changed: out of memory, a round forgets nothing.
 */
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "procinfo.h"
#include "resolve_priv.h"

void resolver_set_forget_min(struct resolver *r, size_t min)
{
	r->fg.min = min;
}

static size_t max3(size_t a, size_t b, size_t c)
{
	size_t m = a > b ? a : b;

	return m > c ? m : c;
}

bool resolver_forget_due(struct resolver *r, size_t unpinned)
{
	size_t socks, pids;

	r->fg.before = 0;
	if (r->src)
		return false;	/* answers from an owner source: nothing kept to forget */
	socks = hmap_count(r->db.socks);
	pids = hmap_count(r->db.pids);
	if (r->fg.whole[1] == 0)
		return false;	/* not two whole passes yet: nothing is known gone */
	if (socks - r->fg.socks_kept < max3(r->fg.min, r->fg.socks_kept, unpinned / 4) &&
	    pids - r->fg.pids_kept < max3(r->fg.min, r->fg.pids_kept, 0))
		return false;
	r->fg.before = r->fg.whole[1];
	return true;
}

bool resolver_answer_end(const struct resolver *r, const struct flow_end *e,
			 struct owner_pin *pin)
{
	struct lookup_trace tr;
	const struct proc_info *owner;
	bool local;

	tr.before = r->fg.before;
	pin->status = (uint8_t)resolver_lookup_traced(r, e, &owner, &local, &tr);
	pin->local = local;
	pin->proc = tr.proc;
	return tr.stale;
}

void resolver_keep(struct resolver *r, const struct owner_pin *pin)
{
	if (pin->proc >= 0 && (size_t)pin->proc < r->db.nprocs)
		r->db.procs[pin->proc].kept = true;
}

const struct proc_info *resolver_pinned(const struct resolver *r, const struct owner_pin *pin)
{
	if (pin->status != OWNER_FOUND || pin->proc < 0 || (size_t)pin->proc >= r->db.nprocs)
		return NULL;
	return &r->db.procs[pin->proc].info;
}

/* The maps a round builds, and what it found. */
struct kept {
	struct hmap *socks, *inodes, *sock_addrs, *pids, *denied;
	uint8_t *used;			/* per proc: a kept inode is owned by it */
	bool wild[NS_MAX][2];		/* per namespace: a kept socket on a wildcard */
	size_t unowned;
};

static void kept_free(struct kept *k)
{
	hmap_free(k->socks);
	hmap_free(k->inodes);
	hmap_free(k->sock_addrs);
	hmap_free(k->pids);
	hmap_free(k->denied);
	free(k->used);
}

/* The sockets seen since before, their inodes, local addresses and owners. */
static bool keep_sockets(const struct resolver *r, uint32_t before, struct kept *k)
{
	static const uint8_t any[16];
	size_t n = hmap_count(r->db.socks);
	bool ins;

	for (size_t i = 0; i < n; i++) {
		const struct sock_key *key = hmap_key(r->db.socks, i);
		const struct sock_val *v = sock_at(&r->db, i);
		struct sock_addr_key ak;
		size_t j, o;

		if (v->seen < before)
			continue;
		j = hmap_put(k->socks, key, SIZE_MAX, &ins);
		if (j == HMAP_NONE)
			return false;
		*(struct sock_val *)hmap_value(k->socks, j) = *v;
		ak = sock_addr_key(key->family, key->ns, key->local.addr);
		if (hmap_put(k->sock_addrs, &ak, SIZE_MAX, &ins) == HMAP_NONE)
			return false;
		if (memcmp(key->local.addr, any, 16) == 0)
			k->wild[key->ns][key->family == TUPLE_V6] = true;
		if (v->inode == 0 || (o = hmap_get(r->db.inodes, &v->inode)) == HMAP_NONE)
			continue;
		j = hmap_put(k->inodes, &v->inode, SIZE_MAX, &ins);
		if (j == HMAP_NONE)
			return false;
		if (!ins)
			continue;
		*(struct inode_val *)hmap_value(k->inodes, j) = *inode_at(&r->db, o);
		if (inode_at(&r->db, o)->owner >= 0)
			k->used[inode_at(&r->db, o)->owner] = 1;
		else if (inode_at(&r->db, o)->owner == OWNER_UNKNOWN)
			k->unowned++;
	}
	return true;
}

/*
 * The inodes watched since before (packet sockets: pktsock.h), which no
 * table lists, and so their holders: a report may still ask for them.
 */
static bool keep_watched(const struct resolver *r, uint32_t before, struct kept *k)
{
	size_t n = hmap_count(r->db.inodes);
	bool ins;

	for (size_t i = 0; i < n; i++) {
		const struct inode_val *v = inode_at(&r->db, i);
		size_t j;

		if (v->watched == 0 || v->watched < before)
			continue;
		j = hmap_put(k->inodes, hmap_key(r->db.inodes, i), SIZE_MAX, &ins);
		if (j == HMAP_NONE)
			return false;
		if (!ins)
			continue;
		*(struct inode_val *)hmap_value(k->inodes, j) = *v;
		if (v->owner >= 0)
			k->used[v->owner] = 1;
		else if (v->owner == OWNER_UNKNOWN)
			k->unowned++;
	}
	return true;
}

/* The pids seen since before (alive), and those of them denied to us. */
static bool keep_pids(const struct resolver *r, uint32_t before, struct kept *k)
{
	size_t n = hmap_count(r->db.pids);
	bool ins;

	for (size_t i = 0; i < n; i++) {
		const int32_t *pid = hmap_key(r->db.pids, i);
		size_t j;

		if (pid_at(&r->db, i)->seen < before)
			continue;
		j = hmap_put(k->pids, pid, SIZE_MAX, &ins);
		if (j == HMAP_NONE)
			return false;
		*(struct pid_val *)hmap_value(k->pids, j) = *pid_at(&r->db, i);
	}
	n = hmap_count(r->db.denied);
	for (size_t i = 0; i < n; i++) {
		const int32_t *pid = hmap_key(r->db.denied, i);

		if (hmap_get(k->pids, pid) != HMAP_NONE &&
		    hmap_put(k->denied, pid, SIZE_MAX, &ins) == HMAP_NONE)
			return false;
	}
	return true;
}

/* May proc slot p go? Not kept, not owning a kept inode, not free already. */
static bool proc_goes(const struct resolver *r, const struct kept *k, size_t p)
{
	return !r->db.procs[p].kept && !r->db.procs[p].free && !k->used[p];
}

static void swap(struct hmap **a, struct hmap **b)
{
	struct hmap *t = *a;

	*a = *b;
	*b = t;
}

void resolver_forget(struct resolver *r)
{
	uint32_t before = r->fg.before;
	size_t going = 0, old_socks = hmap_count(r->db.socks), old_pids = hmap_count(r->db.pids);
	size_t old_denied = hmap_count(r->db.denied);
	struct kept k;
	void *arr = r->db.free_procs;

	r->fg.before = 0;
	if (before == 0)
		return;
	memset(&k, 0, sizeof(k));
	k.socks = hmap_new_kv(sizeof(struct sock_key), sizeof(struct sock_val), NULL);
	k.inodes = hmap_new_host_kv(sizeof(uint64_t), sizeof(struct inode_val));
	k.sock_addrs = hmap_new(sizeof(struct sock_addr_key), NULL);
	k.pids = hmap_new_host_kv(sizeof(int32_t), sizeof(struct pid_val));
	k.denied = hmap_new_host(sizeof(int32_t));
	k.used = calloc(r->db.nprocs + 1, 1);
	if (!k.socks || !k.inodes || !k.sock_addrs || !k.pids || !k.denied || !k.used ||
	    !keep_sockets(r, before, &k) || !keep_watched(r, before, &k) ||
	    !keep_pids(r, before, &k))
		goto out;
	for (size_t p = 0; p < r->db.nprocs; p++)
		going += proc_goes(r, &k, p);
	if (!array_reserve(&arr, &r->db.free_cap, r->db.nfree + going, sizeof(*r->db.free_procs)))
		goto out;
	r->db.free_procs = arr;

	/* Nothing fails from here on. */
	swap(&r->db.socks, &k.socks);
	swap(&r->db.inodes, &k.inodes);
	swap(&r->db.sock_addrs, &k.sock_addrs);
	swap(&r->db.pids, &k.pids);
	swap(&r->db.denied, &k.denied);
	r->db.sock_addrs_partial = false;
	r->db.unowned = k.unowned;
	memcpy(r->db.wild, k.wild, sizeof(r->db.wild));
	for (size_t p = 0; p < r->db.nprocs; p++) {
		struct proc_info *pi = &r->db.procs[p].info;

		if (!proc_goes(r, &k, p))
			continue;
		procinfo_clear(pi);
		memset(pi, 0, sizeof(*pi));
		r->db.procs[p].free = true;
		r->db.free_procs[r->db.nfree++] = (int32_t)p;
		r->fg.procs++;
	}
	/* A live pid whose process went is read again when it next takes a socket. */
	for (size_t i = 0; i < hmap_count(r->db.pids); i++) {
		struct pid_val *v = pid_at(&r->db, i);

		if (v->proc >= 0 && r->db.procs[v->proc].free)
			v->proc = PROC_UNREAD;
	}
	r->fg.socks_kept = hmap_count(r->db.socks);
	r->fg.pids_kept = hmap_count(r->db.pids);
	r->fg.socks += old_socks - r->fg.socks_kept;
	r->fg.pids += old_pids - r->fg.pids_kept;
	r->fg.denied += old_denied - hmap_count(r->db.denied);
	r->fg.rounds++;
out:
	kept_free(&k);
#ifdef __GLIBC__
	/*
	 * The old maps' memory back to the system: glibc keeps what is freed
	 * in the middle of its heap, and a round frees most of what the
	 * resolver held (the rebuilt maps were allocated while the old ones
	 * still were). Without it, a live run with a minute of TIME_WAIT
	 * sockets held more than before forgetting (bench/forget_live.sh).
	 */
	malloc_trim(0);
#endif
}
