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
		init(&out[n], t, e, first_us, last_us);
		out[n].reason = a->reason;
		for (int d = 0; d < 2; d++) {
			if (a->local[d]) {
				out[n].sent_bytes += c->bytes[d];
				out[n].sent_packets += c->packets[d];
			} else {
				out[n].recv_bytes += c->bytes[d];
				out[n].recv_packets += c->packets[d];
			}
		}
		return 1;
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
