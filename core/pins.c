/* pins.c - flows' answers kept where the resolver forgets; see pins.h. */
#include "pins.h"

#include <stdlib.h>
#include <string.h>

#include "hmap.h"

/* A flow's pin: its two ends' answers (t->src's, t->dst's). */
struct flow_pin {
	struct owner_pin end[2];
	bool set;
};

struct pins {
	struct flow_pin *by_flow;	/* by flow index; [0, cap) zeroed when grown */
	size_t cap;
	size_t count;
};

struct pins *pins_new(void)
{
	return calloc(1, sizeof(struct pins));
}

void pins_free(struct pins *p)
{
	if (!p)
		return;
	free(p->by_flow);
	free(p);
}

bool pins_has(const struct pins *p, size_t idx)
{
	return p && idx < p->cap && p->by_flow[idx].set;
}

size_t pins_count(const struct pins *p)
{
	return p ? p->count : 0;
}

/* Room for flows [0, n), the new ones not pinned. */
static bool reserve(struct pins *p, size_t n)
{
	size_t old = p->cap;
	void *arr = p->by_flow;

	if (!array_reserve(&arr, &p->cap, n, sizeof(*p->by_flow)))
		return false;
	p->by_flow = arr;
	memset(p->by_flow + old, 0, (p->cap - old) * sizeof(*p->by_flow));
	return true;
}

bool pins_round(struct pins *p, struct resolver *r, const struct flowtab *ft, size_t n)
{
	if (!resolver_forget_due(r, n - (p->count < n ? p->count : n)))
		return false;
	/* All the room first: a round that pinned only some flows must not forget. */
	if (n > 0 && !reserve(p, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct tuple *t = flowtab_key(ft, i);
		struct flow_pin fp;
		bool src, dst;

		if (p->by_flow[i].set)
			continue;
		struct flow_end se = flow_end_of(t, false), de = flow_end_of(t, true);

		src = resolver_answer_end(r, &se, &fp.end[0]);
		dst = resolver_answer_end(r, &de, &fp.end[1]);
		if (!src && !dst)
			continue;	/* still answered by what the resolver keeps */
		resolver_keep(r, &fp.end[0]);
		resolver_keep(r, &fp.end[1]);
		fp.set = true;
		p->by_flow[i] = fp;
		p->count++;
	}
	resolver_forget(r);
	return true;
}

void pins_attribute(const struct pins *p, const struct resolver *r, size_t idx,
		    const struct tuple *t, struct attribution *a)
{
	enum owner_status st[2];

	if (!pins_has(p, idx)) {
		attribute_flow(r, t, a);
		return;
	}
	for (int d = 0; d < 2; d++) {
		const struct owner_pin *e = &p->by_flow[idx].end[d];

		st[d] = (enum owner_status)e->status;
		a->owner[d] = resolver_pinned(r, e);
		a->local[d] = e->local;
	}
	attribute_ends(st, a);
}
