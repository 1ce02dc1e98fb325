/*
 * ownertab.c - the owners of sockets, found by the sockets' addresses.
 *
 * One hash index over the socket ends; each end's value is the head of a
 * short chain of records, one per network namespace the ends were seen in
 * (the same 127.0.0.1:53 may be bound in ten containers), newest put
 * first. Records live in one array and never move between chains.
 */
#include "ownertab.h"

#include <stdlib.h>
#include <string.h>

#include "hmap.h"

struct orec {
	struct owner o;
	uint32_t next;		/* the next record of the same ends, + 1; 0: none */
};

struct ownertab {
	struct hmap *keys;	/* struct owner_key -> uint32_t head record + 1 */
	struct hmap *closed;	/* socket cookie -> uint64_t close time */
	struct orec *recs;
	size_t nrecs;
	size_t cap;
	size_t max;
	uint64_t full;
};

struct ownertab *ownertab_new(size_t max_records)
{
	struct ownertab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max = max_records ? max_records : 1;
	t->keys = hmap_new_kv(sizeof(struct owner_key), sizeof(uint32_t), NULL);
	t->closed = hmap_new_kv(sizeof(uint64_t), sizeof(uint64_t), NULL);
	if (!t->keys || !t->closed) {
		ownertab_free(t);
		return NULL;
	}
	return t;
}

void ownertab_free(struct ownertab *t)
{
	if (!t)
		return;
	hmap_free(t->keys);
	hmap_free(t->closed);
	free(t->recs);
	free(t);
}

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool is_mapped(const uint8_t *a)
{
	return memcmp(a, v4mapped_prefix, 12) == 0;
}

static bool is_zero(const uint8_t *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i])
			return false;
	return true;
}

void owner_key_unmap(struct owner_key *k)
{
	bool lm = is_mapped(k->laddr), rm = is_mapped(k->raddr);
	bool lz = is_zero(k->laddr, 16), rz = is_zero(k->raddr, 16);

	if (k->family != TUPLE_V6 || !((lm && (rm || rz)) || (rm && lz)))
		return;
	/* The unspecified address stays unspecified: 0.0.0.0. */
	memmove(k->laddr, k->laddr + 12, 4);
	memset(k->laddr + 4, 0, 12);
	if (lz)
		memset(k->laddr, 0, 4);
	memmove(k->raddr, k->raddr + 12, 4);
	memset(k->raddr + 4, 0, 12);
	if (rz)
		memset(k->raddr, 0, 4);
	k->family = TUPLE_V4;
}

int ownertab_put(struct ownertab *t, const struct owner_key *k, const struct owner *o)
{
	uint32_t *head;
	size_t idx;
	bool inserted;

	/* The ends already known in this namespace: the later report wins. */
	idx = hmap_get(t->keys, k);
	if (idx != HMAP_NONE) {
		head = hmap_value(t->keys, idx);
		for (uint32_t r = *head; r; r = t->recs[r - 1].next) {
			struct orec *rec = &t->recs[r - 1];

			if (rec->o.netns != o->netns)
				continue;
			if (o->seen_ns < rec->o.seen_ns)
				return 0;
			rec->o = *o;
			return 1;
		}
	}
	if (t->nrecs >= t->max || t->nrecs >= UINT32_MAX - 1 ||
	    !array_reserve((void **)&t->recs, &t->cap, t->nrecs + 1, sizeof(*t->recs))) {
		t->full++;
		return -1;
	}
	idx = hmap_put(t->keys, k, SIZE_MAX, &inserted);
	if (idx == HMAP_NONE) {
		t->full++;
		return -1;
	}
	head = hmap_value(t->keys, idx);
	t->recs[t->nrecs].o = *o;
	t->recs[t->nrecs].next = *head;
	t->nrecs++;
	*head = (uint32_t)t->nrecs;
	return 1;
}

int ownertab_closed(struct ownertab *t, uint64_t cookie, uint64_t when_ns)
{
	bool inserted;
	size_t idx = hmap_put(t->closed, &cookie, t->max, &inserted);

	if (idx == HMAP_NONE) {
		t->full++;
		return -1;
	}
	memcpy(hmap_value(t->closed, idx), &when_ns, sizeof(when_ns));
	return 0;
}

/*
 * The record of k for netns: that namespace's, else one whose namespace
 * is unknown; for netns 0 the latest, and whether another namespace had
 * one too.
 */
static const struct orec *find(const struct ownertab *t, const struct owner_key *k,
			       uint64_t netns, bool *ambiguous)
{
	const struct orec *best = NULL, *unknown = NULL;
	size_t idx = hmap_get(t->keys, k);
	const uint32_t *head;
	int n = 0;

	*ambiguous = false;
	if (idx == HMAP_NONE)
		return NULL;
	head = hmap_value(t->keys, idx);
	for (uint32_t r = *head; r; r = t->recs[r - 1].next) {
		const struct orec *rec = &t->recs[r - 1];

		if (netns) {
			if (rec->o.netns == netns)
				return rec;
			if (!rec->o.netns && !unknown)
				unknown = rec;
			continue;
		}
		n++;
		if (!best || rec->o.seen_ns > best->o.seen_ns)
			best = rec;
	}
	*ambiguous = n > 1;
	return netns ? unknown : best;
}

static enum owner_match answer(const struct ownertab *t, const struct orec *rec, bool ambiguous,
			       enum owner_match m, struct owner *out)
{
	size_t idx;

	*out = rec->o;
	if (ambiguous)
		out->flags |= OWNER_F_AMBIGUOUS;
	idx = hmap_get(t->closed, &rec->o.sock_cookie);
	if (idx != HMAP_NONE)
		memcpy(&out->closed_ns, hmap_value(t->closed, idx),
		       sizeof(out->closed_ns));
	return m;
}

enum owner_match ownertab_lookup(const struct ownertab *t, const struct tuple *tp, int end,
				 uint64_t netns, struct owner *out)
{
	const uint8_t *la = end ? tp->dst : tp->src, *ra = end ? tp->src : tp->dst;
	uint16_t lp = end ? tp->dport : tp->sport, rp = end ? tp->sport : tp->dport;
	const struct orec *rec;
	struct owner_key k;
	bool amb;

	memset(&k, 0, sizeof(k));
	k.family = tp->family;
	k.proto = tp->proto;
	memcpy(k.laddr, la, 16);
	memcpy(k.raddr, ra, 16);
	k.lport = lp;
	k.rport = rp;
	if ((rec = find(t, &k, netns, &amb)))
		return answer(t, rec, amb, OWNER_MATCH_EXACT, out);
	memset(k.raddr, 0, 16);
	k.rport = 0;
	if ((rec = find(t, &k, netns, &amb)))
		return answer(t, rec, amb, OWNER_MATCH_LOCAL, out);
	memset(k.laddr, 0, 16);
	if ((rec = find(t, &k, netns, &amb)))
		return answer(t, rec, amb, OWNER_MATCH_WILDCARD, out);
	if (tp->family == TUPLE_V4) {
		k.family = TUPLE_V6;
		if ((rec = find(t, &k, netns, &amb)))
			return answer(t, rec, amb, OWNER_MATCH_WILDCARD, out);
	}
	return OWNER_MATCH_NONE;
}

void ownertab_stats(const struct ownertab *t, struct ownertab_stats *st)
{
	st->keys = hmap_count(t->keys);
	st->records = t->nrecs;
	st->full = t->full;
}
