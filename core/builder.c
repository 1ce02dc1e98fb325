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

void builder_free(struct report_builder *b)
{
	aggregate_free(b->ag);
	free(b->conns);
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

int builder_emit(struct session *s, struct report_builder *b, const struct summary *sum,
		 const struct flow_counts *overflow)
{
	struct report_data d;

	memset(&d, 0, sizeof(d));
	d.sum = *sum;
	if (b->ag) {
		if (aggregate_overflow(b->ag, overflow) != 0)
			return -1;
		d.rows = aggregate_rows(b->ag, &d.nrows);
		if (!d.rows) {
			errno = ENOMEM;
			return -1;
		}
	} else {
		if (reserve(b, 1) != 0)
			return -1;
		b->nconns += conn_overflow(overflow, b->conns + b->nconns);
		d.conns = b->conns;
		d.nconns = b->nconns;
	}
	return session_emit(s, &d);
}
