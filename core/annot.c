/*
 * annot.c - the owners a -w file records, as a table the resolver asks
 * (an owner source, resolve.h); pcapng_reader.c reads the file into it.
 * See annot.h.
 */
#include "annot.h"

#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "hmap.h"
#include "output.h"
#include "pcapng.h"

/* One end of a flow, as attribute_flow asks for it. */
struct end_key {
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
	uint8_t family, proto;
	uint8_t pad[2];		/* zero */
};

struct end_val {
	uint32_t proc;		/* its owner's slot + 1; 0: none */
	uint8_t state;		/* PT_LOCAL | PT_OWNED, PT_NO_SOCKET, ... */
	uint8_t several;	/* its flow's injected record: unknown:packet-sockets */
	uint8_t pad[2];
	uint32_t inj;		/* its flow's injector's slot + 1 (injected record); 0: none */
};

struct local_key {
	uint8_t addr[16];
	uint8_t family;
	uint8_t pad[7];		/* zero */
};

/* A process of a section, by the id its records give it. */
struct proc_key {
	uint32_t section, id;
};

struct annot {
	struct owner_source src;
	size_t max_ends;
	struct hmap *ends;		/* struct end_key -> struct end_val */
	struct hmap *locals;		/* struct local_key: addresses a record said are ours */
	struct hmap *proc_keys;		/* struct proc_key -> slot */
	struct proc_info *procs;	/* by slot */
	bool *defined;			/* by slot: a process record described it */
	size_t nprocs;			/* slots made: procs[0 .. nprocs) */
	size_t procs_cap, defined_cap;
	uint64_t strings;		/* bytes of strings kept */
	bool have_span;
	int64_t start_us, end_us;
	struct annot_stats st;
};

/* The slot of a section's process id (made if new); SIZE_MAX past the bounds. */
static size_t proc_slot(struct annot *a, uint32_t section, uint32_t id)
{
	struct proc_key k = { section, id };
	bool inserted;
	size_t i = hmap_put(a->proc_keys, &k, PT_PROCS_MAX, &inserted);
	void *procs = a->procs, *defined = a->defined;
	size_t cap = a->procs_cap;

	if (i == HMAP_NONE)
		return SIZE_MAX;
	if (!inserted)
		return i;
	if (!array_reserve(&procs, &cap, i + 1, sizeof(*a->procs)))
		return SIZE_MAX;
	a->procs = procs;
	a->procs_cap = cap;
	if (!array_reserve(&defined, &a->defined_cap, i + 1, sizeof(*a->defined)))
		return SIZE_MAX;
	a->defined = defined;
	memset(&a->procs[i], 0, sizeof(a->procs[i]));
	a->defined[i] = false;
	a->nprocs = i + 1;
	return i;
}

static char *copy_string(const uint8_t *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void annot_add_process(struct annot *a, uint32_t section, const uint8_t *d, size_t n)
{
	struct pt_process pr;
	struct proc_info *p;
	size_t slot, comm;

	if (!pt_process_decode(d, n, &pr)) {
		a->st.bad++;
		return;
	}
	slot = proc_slot(a, section, pr.id);
	if (slot == SIZE_MAX || a->strings + pr.cmdline_len + pr.cgroup_len > PT_STRINGS_MAX) {
		a->st.cut++;
		return;
	}
	if (a->defined[slot])
		return;		/* described twice: the first one stands */
	p = &a->procs[slot];
	p->pid = pr.pid;
	p->have_uid = pr.have_uid;
	p->uid = pr.uid;
	p->start = pr.start;
	p->netns = pr.netns;
	comm = pr.comm_len < sizeof(p->comm) - 1 ? pr.comm_len : sizeof(p->comm) - 1;
	memcpy(p->comm, pr.comm, comm);
	p->comm[comm] = '\0';
	p->cmdline = copy_string(pr.cmdline, pr.cmdline_len);
	if (pr.cgroup) {
		char unit[CGROUP_UNIT_MAX], container[CGROUP_CONTAINER_MAX];

		p->cgroup = copy_string(pr.cgroup, pr.cgroup_len);
		/* As the resolver derives them from the path (procinfo.c, read_cgroup). */
		if (p->cgroup && cgroup_unit(p->cgroup, strlen(p->cgroup), unit))
			p->unit = strdup(unit);
		if (p->cgroup && cgroup_container(p->cgroup, strlen(p->cgroup), container))
			p->container = strdup(container);
	}
	a->strings += pr.cmdline_len + pr.cgroup_len;
	a->defined[slot] = true;
	a->st.processes++;
}

/* The packet-socket side of an end's value: an injector (slot + 1), or several. */
struct inj_val {
	uint32_t inj;
	uint8_t several;
};

static void put_end(struct annot *a, const struct pt_owners *o, int e, size_t slot,
		    struct inj_val in)
{
	const struct tuple *t = &o->t;
	struct end_key k;
	struct end_val *v;
	bool inserted;

	memset(&k, 0, sizeof(k));
	memcpy(k.laddr, e == 0 ? t->src : t->dst, 16);
	memcpy(k.raddr, e == 0 ? t->dst : t->src, 16);
	k.lport = e == 0 ? t->sport : t->dport;
	k.rport = e == 0 ? t->dport : t->sport;
	k.family = t->family;
	k.proto = t->proto;
	v = hmap_put_value(a->ends, &k, hmap_hash(a->ends, &k), a->max_ends, &inserted);
	if (!v) {
		a->st.cut++;
		return;
	}
	if (!inserted) {
		/* Every packet of a flow says the same of its ends: else the first stands. */
		if (v->state != o->state[e] || v->proc != (o->id[e] ? slot + 1 : 0) ||
		    v->inj != in.inj || v->several != in.several)
			a->st.bad++;
		return;
	}
	v->state = o->state[e];
	v->proc = o->id[e] ? (uint32_t)slot + 1 : 0;
	v->inj = in.inj;
	v->several = in.several;
	a->st.ends++;
	if (o->state[e] & PT_LOCAL) {
		struct local_key l;
		memset(&l, 0, sizeof(l));
		memcpy(l.addr, k.laddr, 16);
		l.family = k.family;
		if (hmap_put(a->locals, &l, a->max_ends, &inserted) == HMAP_NONE)
			a->st.cut++;
	}
}

void annot_add_owners(struct annot *a, uint32_t section, const uint8_t *d, size_t n,
		      const uint8_t *inj, size_t inj_n)
{
	struct pt_owners o;
	struct pt_injected pi;
	struct inj_val iv = { 0, 0 };
	size_t slot[2] = { 0, 0 };

	if (!pt_owners_decode(d, n, &o)) {
		a->st.bad++;
		return;
	}
	/*
	 * Packet sockets are asked of a flow no IP socket owns (pktsock.h):
	 * a record that gives them another is not well formed, and is left out.
	 */
	if (inj && (!pt_injected_decode(inj, inj_n, &pi) || o.id[0] || o.id[1]))
		a->st.bad++;
	else if (inj && pi.several)
		iv.several = 1;
	else if (inj) {
		size_t s = proc_slot(a, section, pi.id);
		if (s == SIZE_MAX) {
			a->st.cut++;
			return;
		}
		iv.inj = (uint32_t)s + 1;
	}
	a->st.records++;
	/* A table-full packet's flow was never attributed: nothing to learn. */
	if (pt_reason_of(o.reason) == REASON_TABLE_FULL)
		return;
	for (int e = 0; e < 2; e++) {
		if (o.id[e] && (slot[e] = proc_slot(a, section, o.id[e])) == SIZE_MAX) {
			a->st.cut++;
			return;
		}
	}
	put_end(a, &o, 0, slot[0], iv);
	put_end(a, &o, 1, slot[1], iv);
}

void annot_add_time(struct annot *a, bool start, int64_t us)
{
	if (!a->have_span) {
		/* Both from the first time given, until the others come. */
		a->start_us = a->end_us = us;
		a->have_span = true;
	}
	if (start && us < a->start_us)
		a->start_us = us;
	if (!start && us > a->end_us)
		a->end_us = us;
}

void annot_records_injected(struct annot *a)
{
	a->st.injected = true;
}

void annot_stopped(struct annot *a)
{
	a->st.stopped = true;
}

void annot_settle(struct annot *a)
{
	for (size_t i = 0; i < hmap_count(a->ends); i++) {
		struct end_val *v = hmap_value(a->ends, i);
		if (v->proc && !a->defined[v->proc - 1]) {
			v->state = (uint8_t)((v->state & PT_LOCAL) | PT_NO_SOCKET);
			v->proc = 0;
			a->st.dangling++;
		}
		if (v->inj && !a->defined[v->inj - 1]) {
			v->inj = 0;	/* an injector no record described: the unknown row's */
			a->st.dangling++;
		}
	}
}

/* An owner_source's lookup (resolve.h): what the file recorded; wild plays no part. */
static enum owner_status lookup(void *ctx, const struct flow_end *e, bool wild,
				const struct proc_info **owner, bool *local)
{
	const struct annot *a = ctx;
	struct end_key k;
	const struct end_val *v;
	size_t i;

	memset(&k, 0, sizeof(k));
	(void)wild;
	memcpy(k.laddr, e->local.addr, 16);
	memcpy(k.raddr, e->remote.addr, 16);
	k.lport = e->local.port;
	k.rport = e->remote.port;
	k.family = e->family;
	k.proto = e->proto;
	*owner = NULL;
	i = hmap_get(a->ends, &k);
	if (i == HMAP_NONE) {
		struct local_key l;
		memset(&l, 0, sizeof(l));
		memcpy(l.addr, e->local.addr, 16);
		l.family = e->family;
		*local = hmap_get(a->locals, &l) != HMAP_NONE;
		return OWNER_NO_SOCKET;
	}
	/* Only read: the map is whole before the first lookup. */
	v = hmap_value((struct hmap *)a->ends, i);
	*local = v->state & PT_LOCAL;
	switch (v->state & (uint8_t)~PT_LOCAL) {
	case PT_OWNED:
		*owner = &a->procs[v->proc - 1];
		return OWNER_FOUND;
	case PT_NO_PROCESS:
		return OWNER_NO_PROCESS;
	case PT_NO_PERMISSION:
		return OWNER_NO_PERMISSION;
	default:
		return OWNER_NO_SOCKET;
	}
}

void annot_attribute(const struct annot *an, const struct tuple *t, struct attribution *a)
{
	struct end_key k;
	const struct end_val *v;
	size_t i;

	/* What pktsock_attribute does live, from the flow's injected record. */
	if (!an || a->reason != REASON_NO_SOCKET)
		return;
	memset(&k, 0, sizeof(k));
	memcpy(k.laddr, t->src, 16);
	memcpy(k.raddr, t->dst, 16);
	k.lport = t->sport;
	k.rport = t->dport;
	k.family = t->family;
	k.proto = t->proto;
	i = hmap_get(an->ends, &k);
	if (i == HMAP_NONE)
		return;
	/* Only read: the map is whole before the first lookup. */
	v = hmap_value((struct hmap *)an->ends, i);
	if (v->several)
		a->reason = REASON_PKT_SEVERAL;
	else if (v->inj)
		a->injector = &an->procs[v->inj - 1];
}

void annot_free(struct annot *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nprocs; i++) {
		free(a->procs[i].cmdline);
		free(a->procs[i].cgroup);
		free(a->procs[i].unit);
		free(a->procs[i].container);
	}
	free(a->procs);
	free(a->defined);
	hmap_free(a->ends);
	hmap_free(a->locals);
	hmap_free(a->proc_keys);
	free(a);
}

struct annot *annot_new(size_t max_ends)
{
	struct annot *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->max_ends = max_ends;
	a->src.lookup = lookup;
	a->src.ctx = a;
	/* Keys from the file: a seeded hash, as for packets. */
	a->ends = hmap_new_kv(sizeof(struct end_key), sizeof(struct end_val), NULL);
	a->locals = hmap_new(sizeof(struct local_key), NULL);
	a->proc_keys = hmap_new(sizeof(struct proc_key), NULL);
	if (!a->ends || !a->locals || !a->proc_keys) {
		annot_free(a);
		return NULL;
	}
	return a;
}

const struct owner_source *annot_source(const struct annot *a)
{
	return &a->src;
}

bool annot_span(const struct annot *a, int64_t *start_us, int64_t *end_us)
{
	if (!a->have_span)
		return false;
	*start_us = a->start_us;
	*end_us = a->end_us;
	return true;
}

void annot_stats(const struct annot *a, struct annot_stats *st)
{
	*st = a->st;
}
