/*
 * builder.c - a report's rows from attributed flows, then emitted: the
 * part that every report of a session shares (see session_priv.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "session_priv.h"

int builder_init(struct report_builder *b, const struct session *s)
{
	memset(b, 0, sizeof(*b));
	if (s->cfg.connections)
		return 0;
	b->ag = aggregate_new();
	return b->ag ? 0 : -1;
}

static void free_frozen(struct report_builder *b)
{
	for (size_t i = 0; i < b->nfrozen; i++) {
		free(b->frozen[i].cmdline);
		free(b->frozen[i].cgroup);
		free(b->frozen[i].unit);
		free(b->frozen[i].container);
	}
	free(b->frozen);
	free(b->rows);
}

void builder_free(struct report_builder *b)
{
	aggregate_free(b->ag);
	free(b->conns);
	free_frozen(b);
	memset(b, 0, sizeof(*b));
}

static int reserve(struct report_builder *b, size_t more)
{
	void *arr = b->conns;

	if (!array_reserve(&arr, &b->cap, b->nconns + more, sizeof(*b->conns)))
		return -1;
	b->conns = arr;
	return 0;
}

int builder_flow(struct report_builder *b, const struct attribution *a, const struct tuple *t,
		 const struct flow_counts *c, int64_t first_us, int64_t last_us)
{
	if (b->ag)
		return aggregate_flow(b->ag, a, c);
	if (reserve(b, CONN_MAX_ROWS) != 0)
		return -1;
	b->nconns += conn_rows(t, a, c, first_us, last_us, b->conns + b->nconns);
	return 0;
}

int builder_data(struct report_builder *b, const struct summary *sum,
		 const struct flow_counts *overflow, struct report_data *d)
{
	memset(d, 0, sizeof(*d));
	d->sum = *sum;
	if (b->ag) {
		aggregate_injected(b->ag, &d->sum.injected_bytes, &d->sum.injected_packets);
		if (aggregate_overflow(b->ag, overflow) != 0)
			return -1;
		d->rows = aggregate_rows(b->ag, &d->nrows);
		if (!d->rows) {
			errno = ENOMEM;
			return -1;
		}
		return 0;
	}
	if (reserve(b, 1) != 0)
		return -1;
	b->nconns += conn_overflow(overflow, b->conns + b->nconns);
	for (size_t i = 0; i < b->nconns; i++) {
		if (b->conns[i].injected) {
			d->sum.injected_bytes += b->conns[i].sent_bytes;
			d->sum.injected_packets += b->conns[i].sent_packets;
		}
	}
	d->conns = b->conns;
	d->nconns = b->nconns;
	return 0;
}

static char *dup_or_null(const char *s, bool *ok)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

/* A copy of p (its strings too) that b owns; NULL on out of memory. */
static struct proc_info *freeze_one(struct report_builder *b, const struct proc_info *p)
{
	struct proc_info *c = &b->frozen[b->nfrozen];
	bool ok = true;

	*c = *p;
	c->cmdline = dup_or_null(p->cmdline, &ok);
	c->cgroup = dup_or_null(p->cgroup, &ok);
	c->unit = dup_or_null(p->unit, &ok);
	c->container = dup_or_null(p->container, &ok);
	b->nfrozen++;
	return ok ? c : NULL;
}

int builder_freeze(struct report_builder *b, struct report_data *d)
{
	size_t n = d->nrows + d->nconns;
	struct hmap *seen = NULL;

	b->frozen = calloc(n ? n : 1, sizeof(*b->frozen));
	if (!b->frozen)
		return -1;
	if (d->nrows) {
		b->rows = malloc(d->nrows * sizeof(*b->rows));
		if (!b->rows)
			return -1;
		memcpy(b->rows, d->rows, d->nrows * sizeof(*b->rows));
		d->rows = b->rows;
	}
	/* Process rows are one per process; connection rows share theirs. */
	for (size_t i = 0; i < d->nrows; i++) {
		struct row *r = &b->rows[i];
		if (!r->proc)
			continue;
		r->proc = freeze_one(b, r->proc);
		if (!r->proc)
			return -1;
		r->command = r->proc->comm;
		r->cmdline = r->proc->cmdline ? r->proc->cmdline : "";
	}
	if (d->nconns)
		seen = hmap_new_host(sizeof(const struct proc_info *));
	if (d->nconns && !seen)
		return -1;
	for (size_t i = 0; i < d->nconns; i++) {
		struct conn *c = &b->conns[i];
		bool inserted;
		size_t k;

		if (!c->owner)
			continue;
		k = hmap_put(seen, &c->owner, SIZE_MAX, &inserted);
		if (k == HMAP_NONE || (inserted && !freeze_one(b, c->owner))) {
			hmap_free(seen);
			return -1;
		}
		c->owner = &b->frozen[b->nfrozen - hmap_count(seen) + k];
	}
	hmap_free(seen);
	return 0;
}

int builder_emit(struct session *s, struct report_builder *b, const struct summary *sum,
		 const struct flow_counts *overflow)
{
	struct report_data d;

	if (builder_data(b, sum, overflow, &d) != 0)
		return -1;
	return session_emit(s, &d);
}
