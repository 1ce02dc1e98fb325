/* aggregate.c - rows per process and per unknown reason; see aggregate.h. */
#include "aggregate.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

struct aggregate {
	struct hmap *by_proc;		/* key: struct proc_key */
	struct row *rows;		/* process rows, by hmap index */
	size_t cap;
	struct row unknown[REASON_COUNT];
	struct row *sorted;
	size_t nsorted;
	uint64_t inj_bytes, inj_packets;	/* of rows[], by injectors */
};

/*
 * A process row's key: the process's pid and start time, whichever source
 * found it (the kernel's owner source and /proc each make a proc_info of
 * their own for one process: one row still); with the start time unknown,
 * the proc_info itself.
 */
struct proc_key {
	int32_t pid;
	uint32_t pad;		/* zero */
	unsigned long long start;
	uintptr_t proc;		/* 0 when start is known */
};

static struct proc_key proc_key(const struct proc_info *p)
{
	struct proc_key k;

	memset(&k, 0, sizeof(k));
	k.pid = p->pid;
	k.start = p->start;
	k.proc = p->start ? 0 : (uintptr_t)p;
	return k;
}

struct aggregate *aggregate_new(void)
{
	struct aggregate *ag = calloc(1, sizeof(*ag));

	if (!ag)
		return NULL;
	ag->by_proc = hmap_new(sizeof(struct proc_key), NULL);
	if (!ag->by_proc) {
		free(ag);
		return NULL;
	}
	for (int i = 0; i < REASON_COUNT; i++) {
		ag->unknown[i].reason = (enum unknown_reason)i;
		ag->unknown[i].command = reason_name((enum unknown_reason)i);
		ag->unknown[i].cmdline = reason_text((enum unknown_reason)i);
	}
	return ag;
}

void aggregate_free(struct aggregate *ag)
{
	if (!ag)
		return;
	hmap_free(ag->by_proc);
	free(ag->rows);
	free(ag->sorted);
	free(ag);
}

void proc_user_name(const struct proc_info *p, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (!p->have_uid) {
		snprintf(buf, len, "?");
		return;
	}
	if (getpwuid_r(p->uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, len, "%s", res->pw_name);
	else
		snprintf(buf, len, "%u", p->uid);
}

/* The row of p; a new one takes user (NULL: looked up). */
static struct row *proc_row_user(struct aggregate *ag, const struct proc_info *p,
				 const char *user)
{
	bool inserted;
	struct proc_key key = proc_key(p);
	size_t i = hmap_put(ag->by_proc, &key, SIZE_MAX, &inserted);
	void *arr = ag->rows;
	struct row *row;

	if (i == HMAP_NONE)
		return NULL;
	if (!inserted)
		return &ag->rows[i];
	if (!array_reserve(&arr, &ag->cap, i + 1, sizeof(*ag->rows)))
		return NULL;
	ag->rows = arr;
	row = &ag->rows[i];
	memset(row, 0, sizeof(*row));
	row->reason = REASON_NONE;
	row->pid = p->pid;
	if (user)
		snprintf(row->user, sizeof(row->user), "%s", user);
	else
		proc_user_name(p, row->user, sizeof(row->user));
	row->command = p->comm;
	row->cmdline = p->cmdline ? p->cmdline : "";
	row->netns = p->netns;
	row->proc = p;
	return row;
}

static struct row *proc_row(struct aggregate *ag, const struct proc_info *p)
{
	return proc_row_user(ag, p, NULL);
}

/* dir 0: from the tuple's src end to its dst end; 1: the other way. */
static void count(struct row *row, const struct flow_counts *c, int sent_dir)
{
	row->sent_bytes += c->bytes[sent_dir];
	row->sent_packets += c->packets[sent_dir];
	row->recv_bytes += c->bytes[!sent_dir];
	row->recv_packets += c->packets[!sent_dir];
}

int aggregate_plan(struct aggregate *ag, const struct attribution *a, struct agg_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->reason = (uint8_t)a->reason;
	if (a->reason != REASON_NONE) {
		p->local = (uint8_t)((a->local[0] ? 1 : 0) | (a->local[1] ? 2 : 0));
		if (a->injector) {
			struct row *row = proc_row(ag, a->injector);
			if (!row)
				return -1;
			p->injector = (uint32_t)(row - ag->rows) + 1;
		}
		return 0;
	}
	for (int end = 0; end < 2; end++) {
		p->end_reason[end] = (uint8_t)a->end_reason[end];
		if (a->owner[end]) {
			struct row *row = proc_row(ag, a->owner[end]);
			if (!row)
				return -1;
			p->row[end] = (uint32_t)(row - ag->rows) + 1;
		}
	}
	return 0;
}

void aggregate_apply(struct aggregate *ag, const struct agg_plan *p, const struct flow_counts *c)
{
	struct row *rows[2] = { NULL, NULL };

	if (p->reason != REASON_NONE) {
		struct row *u = &ag->unknown[p->reason], *s = u;
		bool inj = p->injector && (((p->local & 1) && c->packets[0]) ||
					   ((p->local & 2) && c->packets[1]));
		bool u_used = !inj;
		/*
		 * An injector takes what the unknown row would count as sent,
		 * when there is some: a flow of nothing but replies is not its.
		 */
		if (inj)
			s = &ag->rows[p->injector - 1];
		for (int d = 0; d < 2; d++) {
			if (p->local >> d & 1) {
				s->sent_bytes += c->bytes[d];
				s->sent_packets += c->packets[d];
			} else {
				u->recv_bytes += c->bytes[d];
				u->recv_packets += c->packets[d];
				u_used |= c->packets[d] > 0;
			}
		}
		if (inj) {
			for (int d = 0; d < 2; d++) {
				if (p->local >> d & 1) {
					ag->inj_bytes += c->bytes[d];
					ag->inj_packets += c->packets[d];
				}
			}
			s->flows++;
		}
		if (u_used)
			u->flows++;
		return;
	}
	for (int end = 0; end < 2; end++) {
		if (!p->row[end])
			continue;
		rows[end] = &ag->rows[p->row[end] - 1];
		count(rows[end], c, end);
	}
	if (rows[0])
		rows[0]->flows++;
	if (rows[1] && rows[1] != rows[0])
		rows[1]->flows++;
	/* An end of ours that no process owns: its side goes to an unknown row. */
	for (int end = 0; end < 2; end++) {
		if (p->end_reason[end] == REASON_NONE)
			continue;
		count(&ag->unknown[p->end_reason[end]], c, end);
		ag->unknown[p->end_reason[end]].flows++;
	}
}

int aggregate_flow(struct aggregate *ag, const struct attribution *a,
		   const struct flow_counts *c)
{
	struct agg_plan p;

	if (aggregate_plan(ag, a, &p) != 0)
		return -1;
	aggregate_apply(ag, &p, c);
	return 0;
}

int aggregate_overflow(struct aggregate *ag, const struct flow_counts *c)
{
	struct row *u = &ag->unknown[REASON_TABLE_FULL];

	count(u, c, 0);
	return 0;
}

static void add_row(struct row *to, const struct row *from)
{
	to->sent_bytes += from->sent_bytes;
	to->recv_bytes += from->recv_bytes;
	to->sent_packets += from->sent_packets;
	to->recv_packets += from->recv_packets;
	to->flows += from->flows;
}

int aggregate_merge(struct aggregate *dst, const struct aggregate *src)
{
	size_t n = hmap_count(src->by_proc);

	for (size_t i = 0; i < n; i++) {
		struct row *row;

		/* A row planned for a flow never applied (out of memory) counts nothing. */
		if (src->rows[i].flows == 0)
			continue;
		row = proc_row_user(dst, src->rows[i].proc, src->rows[i].user);
		if (!row)
			return -1;
		add_row(row, &src->rows[i]);
	}
	for (int i = 0; i < REASON_COUNT; i++)
		add_row(&dst->unknown[i], &src->unknown[i]);
	dst->inj_bytes += src->inj_bytes;
	dst->inj_packets += src->inj_packets;
	return 0;
}

void aggregate_injected(const struct aggregate *ag, uint64_t *bytes, uint64_t *packets)
{
	*bytes = ag->inj_bytes;
	*packets = ag->inj_packets;
}

static int cmp_rows(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	uint64_t ta = a->sent_bytes + a->recv_bytes, tb = b->sent_bytes + b->recv_bytes;

	if (ta != tb)
		return ta > tb ? -1 : 1;
	if ((a->reason == REASON_NONE) != (b->reason == REASON_NONE))
		return a->reason == REASON_NONE ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return strcmp(a->command, b->command);
}

const struct row *aggregate_rows(struct aggregate *ag, size_t *n)
{
	size_t nproc = hmap_count(ag->by_proc), k = 0;

	free(ag->sorted);
	ag->sorted = calloc(nproc + REASON_COUNT, sizeof(*ag->sorted));
	if (!ag->sorted) {
		*n = 0;
		return NULL;
	}
	/* A row planned for a flow that counted nothing in it (an injector's) is not shown. */
	for (size_t i = 0; i < nproc; i++) {
		if (ag->rows[i].flows)
			ag->sorted[k++] = ag->rows[i];
	}
	for (int i = REASON_NONE + 1; i < REASON_COUNT; i++) {
		const struct row *u = &ag->unknown[i];
		if (u->sent_packets || u->recv_packets)
			ag->sorted[k++] = *u;
	}
	qsort(ag->sorted, k, sizeof(*ag->sorted), cmp_rows);
	*n = k;
	return ag->sorted;
}
