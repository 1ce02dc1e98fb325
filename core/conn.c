/* conn.c - a flow's rows for --connections; see conn.h. */
#include "conn.h"

#include <string.h>

/* The tuple seen from end e: e's address and port first. */
static void from_end(const struct tuple *t, int e, struct tuple *out)
{
	*out = *t;
	if (e == 1) {
		memcpy(out->src, t->dst, sizeof(out->src));
		memcpy(out->dst, t->src, sizeof(out->dst));
		out->sport = t->dport;
		out->dport = t->sport;
	}
}

static void init(struct conn *c, const struct tuple *t, int e, int64_t first_us, int64_t last_us)
{
	memset(c, 0, sizeof(*c));
	from_end(t, e, &c->t);
	c->first_us = first_us;
	c->last_us = last_us;
}

/* End e's side: its packets out are sent (counter e), in received. */
static void side(struct conn *c, const struct flow_counts *fc, int e)
{
	c->sent_bytes = fc->bytes[e];
	c->sent_packets = fc->packets[e];
	c->recv_bytes = fc->bytes[!e];
	c->recv_packets = fc->packets[!e];
}

size_t conn_rows(const struct tuple *t, const struct attribution *a, const struct flow_counts *c,
		 int64_t first_us, int64_t last_us, struct conn *out)
{
	size_t n = 0;

	if (a->reason != REASON_NONE) {
		int e = a->local[0] || !a->local[1] ? 0 : 1;
		/* An injector's row takes the sent side; the unknown row what is left. */
		struct conn *s = &out[n], *u = &out[n];
		init(&out[n], t, e, first_us, last_us);
		out[n].reason = a->reason;
		if (a->injector && ((a->local[0] && c->packets[0]) || (a->local[1] && c->packets[1]))) {
			s->owner = a->injector;
			s->reason = REASON_NONE;
			s->injected = true;
			u = &out[++n];
			init(u, t, e, first_us, last_us);
			u->reason = a->reason;
		}
		for (int d = 0; d < 2; d++) {
			if (a->local[d]) {
				s->sent_bytes += c->bytes[d];
				s->sent_packets += c->packets[d];
			} else {
				u->recv_bytes += c->bytes[d];
				u->recv_packets += c->packets[d];
			}
		}
		/* The unknown row of an injected flow: only if it counts something. */
		if (u != s && u->recv_packets == 0)
			return n;
		return n + 1;
	}
	for (int e = 0; e < 2; e++) {
		if (!a->owner[e] && a->end_reason[e] == REASON_NONE)
			continue;
		init(&out[n], t, e, first_us, last_us);
		out[n].owner = a->owner[e];
		out[n].reason = a->owner[e] ? REASON_NONE : a->end_reason[e];
		side(&out[n], c, e);
		n++;
	}
	return n;
}

size_t conn_overflow(const struct flow_counts *c, struct conn *out)
{
	if (!c->packets[0] && !c->packets[1])
		return 0;
	memset(out, 0, sizeof(*out));
	out->no_tuple = true;
	out->reason = REASON_TABLE_FULL;
	out->first_us = out->last_us = TIME_NONE;
	side(out, c, 0);
	return 1;
}
