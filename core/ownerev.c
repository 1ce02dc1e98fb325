/*
 * ownerev.c - the kernel programs' events into an ownertab.
 */
#include "ownerev.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf/owners.h"
#include "hmap.h"

/* A process's id and name, for the guesses: remembered per pair. */
struct guess_key {
	uint32_t tgid;
	char comm[16];
};
struct guess {
	uint64_t start;		/* 0: not found */
	uint64_t netns;
};

struct ownerev {
	struct ownertab *tab;
	struct hmap *netns_of;	/* netns cookie -> inode, as the kernel or the caller told */
	struct hmap *guesses;	/* struct guess_key -> struct guess */
	char *proc_root;	/* NULL: no guesses */
	ownerev_sink_fn sink;	/* NULL: none */
	void *sink_ctx;
	uint64_t ns_per_tick;
	uint64_t taken;
	uint64_t malformed;
};

/* Bounds of the two side maps: a namespace or process flood must not grow them forever. */
#define MAX_NETNS (1u << 16)
#define MAX_GUESSES (1u << 16)

struct ownerev *ownerev_new(size_t max_records, const char *proc_root)
{
	struct ownerev *e = calloc(1, sizeof(*e));
	long tck = sysconf(_SC_CLK_TCK);

	if (!e)
		return NULL;
	/* /proc/PID/stat's start is nsec_to_clock_t(start_boottime): USER_HZ ticks. */
	e->ns_per_tick = tck > 0 ? 1000000000ull / (uint64_t)tck : 10000000ull;
	e->tab = ownertab_new(max_records);
	e->netns_of = hmap_new_kv(sizeof(uint64_t), sizeof(uint64_t), NULL);
	e->guesses = hmap_new_kv(sizeof(struct guess_key), sizeof(struct guess), NULL);
	e->proc_root = proc_root ? strdup(proc_root) : NULL;
	if (!e->tab || !e->netns_of || !e->guesses || (proc_root && !e->proc_root)) {
		ownerev_free(e);
		return NULL;
	}
	return e;
}

void ownerev_free(struct ownerev *e)
{
	if (!e)
		return;
	ownertab_free(e->tab);
	hmap_free(e->netns_of);
	hmap_free(e->guesses);
	free(e->proc_root);
	free(e);
}

void ownerev_learn_netns(struct ownerev *e, uint64_t cookie, uint64_t inode)
{
	bool inserted;
	size_t idx;

	if (!cookie || !inode)
		return;
	idx = hmap_put(e->netns_of, &cookie, MAX_NETNS, &inserted);
	if (idx != HMAP_NONE)
		memcpy(hmap_value(e->netns_of, idx), &inode, sizeof(inode));
}

void ownerev_set_sink(struct ownerev *e, ownerev_sink_fn fn, void *ctx)
{
	e->sink = fn;
	e->sink_ctx = ctx;
}

static uint64_t netns_of_cookie(const struct ownerev *e, uint64_t cookie)
{
	size_t idx = hmap_get(e->netns_of, &cookie);
	uint64_t ino = 0;

	if (idx != HMAP_NONE)
		memcpy(&ino, hmap_value(e->netns_of, idx), sizeof(ino));
	return ino;
}

/* The name and start (field 22) of a PROC/PID/stat or PROC/PID/task/TID/stat. */
static bool read_stat(const char *path, char comm[16], uint64_t *start)
{
	char buf[1024], *open_paren, *close_paren, *p;
	size_t n, clen;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return false;
	clen = (size_t)(close_paren - open_paren - 1);
	if (clen > 15)
		return false;
	memset(comm, 0, 16);
	memcpy(comm, open_paren + 1, clen);
	/* Each space after the ")" that ends field 2 starts the next field: 22 is the start. */
	p = close_paren;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return false;
	*start = strtoull(p + 1, NULL, 10);
	return true;
}

/*
 * What the programs without BTF could not read: the process's start and
 * namespace, if the thread that made the call is still there under the
 * same name (else a new process may have its id).
 */
static struct guess guess_of(struct ownerev *e, uint32_t tgid, uint32_t tid, const char *comm)
{
	struct guess_key k;
	struct guess g = {0, 0};
	char path[4200], name[16];
	uint64_t tstart;
	struct stat st;
	bool inserted;
	size_t idx;

	memset(&k, 0, sizeof(k));
	k.tgid = tgid;
	memcpy(k.comm, comm, sizeof(k.comm));
	idx = hmap_get(e->guesses, &k);
	if (idx != HMAP_NONE) {
		memcpy(&g, hmap_value(e->guesses, idx), sizeof(g));
		return g;
	}
	snprintf(path, sizeof(path), "%s/%u/task/%u/stat", e->proc_root, tgid, tid);
	if (!read_stat(path, name, &tstart) || memcmp(name, comm, 16) != 0)
		return g;	/* gone, or another process: not remembered */
	snprintf(path, sizeof(path), "%s/%u/stat", e->proc_root, tgid);
	if (!read_stat(path, name, &g.start))
		g.start = 0;
	snprintf(path, sizeof(path), "%s/%u/ns/net", e->proc_root, tgid);
	if (stat(path, &st) == 0)
		g.netns = st.st_ino;
	idx = hmap_put(e->guesses, &k, MAX_GUESSES, &inserted);
	if (idx != HMAP_NONE)
		memcpy(hmap_value(e->guesses, idx), &g, sizeof(g));
	return g;
}

static void owner_of(struct ownerev *e, const struct owners_event *ev, struct owner *o)
{
	memset(o, 0, sizeof(*o));
	o->sock_cookie = ev->cookie;
	o->start = ev->o.start_ns / e->ns_per_tick;
	o->cgroup_id = ev->o.cgroup_id;
	o->netns = ev->o.netns;
	o->netns_cookie = ev->o.netns_cookie;
	o->seen_ns = ev->ts_ns;
	o->tgid = ev->o.tgid;
	o->tid = ev->o.tid;
	o->uid = ev->o.uid;
	o->gid = ev->o.gid;
	o->how = ev->o.how;
	o->kind = ev->kind;
	memcpy(o->comm, ev->o.comm, sizeof(o->comm) - 1);
	if (o->netns)
		ownerev_learn_netns(e, o->netns_cookie, o->netns);
	else if (o->netns_cookie)
		o->netns = netns_of_cookie(e, o->netns_cookie);
	if (e->proc_root && (!o->netns || !o->start)) {
		struct guess g = guess_of(e, o->tgid, o->tid, o->comm);

		if (!o->netns && g.netns) {
			o->netns = g.netns;
			o->flags |= OWNER_F_NETNS_GUESSED;
		}
		if (!o->start && g.start) {
			o->start = g.start;
			o->flags |= OWNER_F_START_GUESSED;
		}
	}
}

void ownerev_take(struct ownerev *e, const void *data, size_t size)
{
	struct owners_event ev;
	struct owner_key k;
	struct owner o;
	size_t alen;

	if (size < sizeof(ev)) {
		e->malformed++;
		return;
	}
	memcpy(&ev, data, sizeof(ev));
	if (ev.kind == OWNERS_EV_CLOSE) {
		e->taken++;
		ownertab_closed(e->tab, ev.cookie, ev.ts_ns);
		return;
	}
	if ((ev.family != AF_INET && ev.family != AF_INET6) || !ev.lport ||
	    ev.kind < OWNERS_EV_BIND || ev.kind > OWNERS_EV_SOCKOPT) {
		e->malformed++;
		return;
	}
	e->taken++;
	owner_of(e, &ev, &o);
	alen = ev.family == AF_INET ? 4 : 16;
	memset(&k, 0, sizeof(k));
	k.family = ev.family == AF_INET ? TUPLE_V4 : TUPLE_V6;
	k.proto = ev.proto;
	memcpy(k.laddr, ev.laddr, alen);
	memcpy(k.raddr, ev.raddr, alen);
	k.lport = ev.lport;
	k.rport = ev.rport;
	owner_key_unmap(&k);
	ownertab_put(e->tab, &k, &o);
	if (e->sink)
		e->sink(e->sink_ctx, &o);
}

const struct ownertab *ownerev_table(const struct ownerev *e)
{
	return e->tab;
}

void ownerev_stats(const struct ownerev *e, struct ownerev_stats *st)
{
	st->taken = e->taken;
	st->malformed = e->malformed;
}
