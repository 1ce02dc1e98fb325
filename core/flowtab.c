/* flowtab.c - bounded flow table over hmap; see flowtab.h. */
#include "flowtab.h"

#include <stdlib.h>

#include "hmap.h"

struct flowtab {
	struct hmap *index;		/* tuple -> struct flow_counts beside it */
	size_t max_flows;
	bool times;			/* a struct flow_times after each flow's counts */
	struct flow_counts overflow;
	/*
	 * flowtab_add: the flow of the last packet, whose counters (which
	 * never move) the next packet of the same flow takes without hashing:
	 * a live capture reads packets a block at a time, mostly runs of one
	 * flow.
	 */
	struct tuple last;
	struct flow_counts *last_c;	/* NULL: none yet */
};

struct flow_times {
	int64_t first_us, last_us;
};

struct flowtab *flowtab_new(size_t max_flows)
{
	return flowtab_new_timed(max_flows, false);
}

struct flowtab *flowtab_new_timed(size_t max_flows, bool times)
{
	struct flowtab *ft = calloc(1, sizeof(*ft));
	size_t value = sizeof(struct flow_counts) + (times ? sizeof(struct flow_times) : 0);

	if (!ft)
		return NULL;
	ft->times = times;
	ft->index = hmap_new_kv(sizeof(struct tuple), value, NULL);
	if (!ft->index) {
		free(ft);
		return NULL;
	}
	ft->max_flows = max_flows;
	return ft;
}

void flowtab_free(struct flowtab *ft)
{
	if (!ft)
		return;
	hmap_free(ft->index);
	free(ft);
}

/*
 * The index's keys are hashed in a shorter form: an IPv4 tuple's addresses
 * take 4 of their 16 bytes, the rest is zero. A different length for each
 * family keeps the form one-to-one (SipHash takes the length in).
 */
static uint32_t flow_hash(const struct flowtab *ft, const struct tuple *t)
{
	uint8_t b[16];

	if (t->family != TUPLE_V4)
		return hmap_hash(ft->index, t);
	memcpy(b, t->src, 4);
	memcpy(b + 4, t->dst, 4);
	memcpy(b + 8, &t->sport, 2);
	memcpy(b + 10, &t->dport, 2);
	b[12] = t->family;
	b[13] = t->proto;
	b[14] = t->kind;
	b[15] = t->pad;
	return hmap_hash_bytes(ft->index, b, sizeof(b));
}

void flowtab_prepare(struct flowtab *ft, const struct packet *pkt, struct flow_prep *p)
{
	p->canon = pkt->t;
	p->dir = tuple_canonical(&p->canon) ? 1 : 0;
	p->ip_len = pkt->ip_len;
	p->ts_us = pkt->ts_us;
	p->out = pkt->dir == PKT_DIR_OUT;
	p->h32 = flow_hash(ft, &p->canon);
	hmap_prefetch(ft->index, p->h32, false);
}

void flowtab_prefetch(struct flowtab *ft, const struct flow_prep *p)
{
	/* The key and its counters beside it. */
	hmap_prefetch(ft->index, p->h32, true);
}

/* Count p in c, the counters of its flow (and its times after them). */
static void count(struct flowtab *ft, struct flow_counts *c, const struct flow_prep *p,
		  bool inserted)
{
	c->bytes[p->dir] += p->ip_len;
	c->packets[p->dir]++;
	if (ft->times) {
		/* Files need not be in time order: the earliest and the latest. */
		struct flow_times *tm = (struct flow_times *)(c + 1);
		if (inserted || p->ts_us < tm->first_us)
			tm->first_us = p->ts_us;
		if (inserted || p->ts_us > tm->last_us)
			tm->last_us = p->ts_us;
	}
}

bool flowtab_commit(struct flowtab *ft, const struct flow_prep *p)
{
	bool inserted;
	struct flow_counts *c = hmap_put_value(ft->index, &p->canon, p->h32, ft->max_flows,
					       &inserted);

	/* Full (or out of memory): the overflow bucket counts it. */
	if (!c) {
		int odir = p->out ? 0 : 1;
		ft->overflow.bytes[odir] += p->ip_len;
		ft->overflow.packets[odir]++;
		return false;
	}
	count(ft, c, p, inserted);
	ft->last = p->canon;
	ft->last_c = c;
	return inserted;
}

bool flowtab_add(struct flowtab *ft, const struct packet *pkt, struct tuple *canon)
{
	struct flow_prep p;
	bool created;

	p.canon = pkt->t;
	p.dir = tuple_canonical(&p.canon) ? 1 : 0;
	if (ft->last_c && memcmp(&p.canon, &ft->last, sizeof(p.canon)) == 0) {
		p.ip_len = pkt->ip_len;
		p.ts_us = pkt->ts_us;
		count(ft, ft->last_c, &p, false);
		*canon = p.canon;
		return false;
	}
	flowtab_prepare(ft, pkt, &p);
	created = flowtab_commit(ft, &p);
	*canon = p.canon;
	return created;
}

size_t flowtab_count(const struct flowtab *ft)
{
	return hmap_count(ft->index);
}

size_t flowtab_find(const struct flowtab *ft, const struct tuple *canon)
{
	return flowtab_find_hashed(ft, canon, flow_hash(ft, canon));
}

uint32_t flowtab_hash(const struct flowtab *ft, const struct tuple *canon)
{
	uint32_t h32 = flow_hash(ft, canon);

	hmap_prefetch(ft->index, h32, false);
	return h32;
}

size_t flowtab_find_hashed(const struct flowtab *ft, const struct tuple *canon, uint32_t h32)
{
	size_t i = hmap_get_hashed(ft->index, canon, h32);

	return i == HMAP_NONE ? FLOWTAB_NONE : i;
}

void flowtab_times(const struct flowtab *ft, size_t i, int64_t *first_us, int64_t *last_us)
{
	const struct flow_times *tm;

	*first_us = *last_us = 0;
	if (!ft->times)
		return;
	tm = (const struct flow_times *)((const struct flow_counts *)hmap_value(ft->index, i) + 1);
	*first_us = tm->first_us;
	*last_us = tm->last_us;
}

const struct tuple *flowtab_key(const struct flowtab *ft, size_t i)
{
	return hmap_key(ft->index, i);
}

const struct flow_counts *flowtab_counts(const struct flowtab *ft, size_t i)
{
	return hmap_value(ft->index, i);
}

const struct flow_counts *flowtab_overflow(const struct flowtab *ft)
{
	return &ft->overflow;
}

