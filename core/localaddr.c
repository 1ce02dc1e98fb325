/* localaddr.c - local addresses and prefixes per namespace; see localaddr.h. */
#include "localaddr.h"

#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "tuple.h"

/* An address, or a prefix masked to its length. */
struct addr_key {
	uint8_t addr[16];
	uint8_t family;
	uint8_t len;		/* 0 for an address: its own map */
	uint8_t pad[6];		/* zero: whole words to hash */
};

/* An address's namespaces (zeroed with its key: none yet). */
struct addr_val {
	uint8_t n;
	uint8_t ns[LOCALADDR_NS_PER_ADDR];
};

/* A prefix's namespace, and when it was added (the first added wins). */
struct prefix_val {
	uint32_t order;
	uint8_t ns;
};

#define V6_LEN_WORDS 3	/* lengths 0..128: 129 bits */
#define TOP_BITS 16		/* the leading bits the filter below is indexed by */
#define TOP_WORDS ((1u << TOP_BITS) / 64)

struct localaddr {
	struct hmap *addrs;		/* struct addr_key -> struct addr_val */
	struct hmap *prefixes;		/* struct addr_key -> struct prefix_val */
	uint64_t lens4;			/* bit n: an IPv4 prefix of n bits is in prefixes */
	uint64_t lens6[V6_LEN_WORDS];
	/*
	 * Per family, a bit for each value of an address's first 16 bits:
	 * set when some prefix holds addresses that start so. Most addresses
	 * looked up are a flow's remote end, held by no prefix: one bit
	 * tells, before any prefix length is hashed.
	 */
	uint64_t top[2][TOP_WORDS];
};

struct localaddr *localaddr_new(void)
{
	struct localaddr *la = calloc(1, sizeof(*la));

	if (!la)
		return NULL;
	/* Keys a namespace's owner chooses: seeded SipHash (see localaddr.h). */
	la->addrs = hmap_new_kv(sizeof(struct addr_key), sizeof(struct addr_val), NULL);
	la->prefixes = hmap_new_kv(sizeof(struct addr_key), sizeof(struct prefix_val), NULL);
	if (!la->addrs || !la->prefixes) {
		localaddr_free(la);
		return NULL;
	}
	return la;
}

void localaddr_free(struct localaddr *la)
{
	if (!la)
		return;
	hmap_free(la->addrs);
	hmap_free(la->prefixes);
	free(la);
}

static unsigned addr_bits(int family)
{
	return family == TUPLE_V6 ? 128 : 32;
}

/* The key of addr's first len bits (len 0 and the address's full length: see addr_key). */
static struct addr_key key_of(int family, const uint8_t *addr, unsigned len)
{
	struct addr_key k;
	unsigned full = len / 8, rest = len % 8;

	memset(&k, 0, sizeof(k));
	k.family = (uint8_t)family;
	if (len >= addr_bits(family)) {
		memcpy(k.addr, addr, 16);
		return k;
	}
	k.len = (uint8_t)(len + 1);	/* never 0: a /0 prefix is no address */
	memcpy(k.addr, addr, full);
	if (rest)
		k.addr[full] = (uint8_t)(addr[full] & (0xff00 >> rest));
	return k;
}

static bool len_used(const struct localaddr *la, int family, unsigned len)
{
	if (family == TUPLE_V6)
		return la->lens6[len / 64] >> (len % 64) & 1;
	return la->lens4 >> len & 1;
}

static unsigned top_of(const uint8_t *addr)
{
	return (unsigned)addr[0] << 8 | addr[1];
}

/* Note the length of prefix k, and the values of the first 16 bits it holds. */
static void note_prefix(struct localaddr *la, int family, const struct addr_key *k)
{
	unsigned len = (unsigned)k->len - 1, first = top_of(k->addr);
	unsigned n = len >= TOP_BITS ? 1 : 1u << (TOP_BITS - len);
	uint64_t *top = la->top[family == TUPLE_V6];

	if (family == TUPLE_V6)
		la->lens6[len / 64] |= (uint64_t)1 << (len % 64);
	else
		la->lens4 |= (uint64_t)1 << len;
	for (unsigned v = first; v < first + n; v++)
		top[v / 64] |= (uint64_t)1 << (v % 64);
}

void localaddr_add(struct localaddr *la, const struct local_prefix *p, uint8_t ns)
{
	struct addr_key k;
	bool inserted;
	size_t j;

	if ((p->family != TUPLE_V4 && p->family != TUPLE_V6) || p->len > addr_bits(p->family))
		return;
	k = key_of(p->family, p->addr, p->len);
	if (p->len == addr_bits(p->family)) {
		struct addr_val *v;

		/* Its namespace list comes with the key, empty. */
		j = hmap_put(la->addrs, &k, SIZE_MAX, &inserted);
		if (j == HMAP_NONE)
			return;
		v = hmap_value(la->addrs, j);
		/* Several namespaces may use one address: keep the first few. */
		for (size_t i = 0; i < v->n; i++) {
			if (v->ns[i] == ns)
				return;
		}
		if (v->n < LOCALADDR_NS_PER_ADDR)
			v->ns[v->n++] = ns;
		return;
	}
	j = hmap_put(la->prefixes, &k, SIZE_MAX, &inserted);
	if (j == HMAP_NONE || !inserted)
		return;		/* a prefix seen before keeps its first namespace */
	struct prefix_val *v = hmap_value(la->prefixes, j);
	v->order = (uint32_t)j;
	v->ns = ns;
	note_prefix(la, p->family, &k);
}

size_t localaddr_find(const struct localaddr *la, int family, const uint8_t *addr,
		      uint8_t out[LOCALADDR_NS_PER_ADDR])
{
	unsigned bits = addr_bits(family);
	struct addr_key k = key_of(family, addr, bits);
	const struct prefix_val *best = NULL;
	size_t j = hmap_get(la->addrs, &k);

	if (j != HMAP_NONE) {
		const struct addr_val *v = hmap_value(la->addrs, j);

		if (v->n > 0) {
			memcpy(out, v->ns, v->n);
			return v->n;
		}
	}
	j = top_of(addr);
	if (!(la->top[family == TUPLE_V6][j / 64] >> (j % 64) & 1))
		return 0;	/* no prefix holds an address that starts so */
	/* Each prefix length in use, once; the first prefix added wins. */
	for (unsigned len = 0; len < bits; len++) {
		const struct prefix_val *v;

		if (!len_used(la, family, len))
			continue;
		k = key_of(family, addr, len);
		j = hmap_get(la->prefixes, &k);
		if (j == HMAP_NONE)
			continue;
		v = hmap_value(la->prefixes, j);
		if (!best || v->order < best->order)
			best = v;
	}
	if (!best)
		return 0;
	out[0] = best->ns;
	return 1;
}

bool localaddr_prf(const struct localaddr *la)
{
	return hmap_prf(la->addrs) && hmap_prf(la->prefixes);
}

bool localaddr_any(const struct localaddr *la)
{
	return hmap_count(la->addrs) > 0 || hmap_count(la->prefixes) > 0;
}
