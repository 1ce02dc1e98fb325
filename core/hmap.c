/* hmap.c - seeded insert-only hash index; see hmap.h. */
#include "hmap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define CHUNK0_SHIFT 6
#define CHUNK0 ((size_t)1 << CHUNK0_SHIFT)
#define NCHUNKS 32		/* CHUNK0 * (2^32 - 1) entries: more than a map may hold */

struct hmap {
	size_t key_size;
	size_t entry_size;	/* key_size + the value's size */
	uint8_t seed[16];
	uint64_t *slots;	/* 0 = empty, else hash32 << 32 | (index + 1) */
	size_t slot_mask;	/* slot count - 1 */
	/*
	 * The entries (key, then value), in chunks that never move: chunk c
	 * holds CHUNK0 << c of them, from entry CHUNK0 * (2^c - 1) on. A
	 * growing map adds a chunk and copies nothing, so an entry's address
	 * stays valid while more are put (hmap.h).
	 */
	uint8_t *chunk[NCHUNKS];
	size_t nchunks;
	size_t count;
	size_t cap;		/* entries the chunks hold */
	bool host;		/* hmap_new_host: mixhash64 */
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* One SipRound on the four state words (a macro: they stay in registers). */
#define SIP_ROUND(v0, v1, v2, v3)                                                  \
	do {                                                                       \
		v0 += v1;                                                          \
		v1 = ROTL(v1, 13);                                                 \
		v1 ^= v0;                                                          \
		v0 = ROTL(v0, 32);                                                 \
		v2 += v3;                                                          \
		v3 = ROTL(v3, 16);                                                 \
		v3 ^= v2;                                                          \
		v0 += v3;                                                          \
		v3 = ROTL(v3, 21);                                                 \
		v3 ^= v0;                                                          \
		v2 += v1;                                                          \
		v1 = ROTL(v1, 17);                                                 \
		v1 ^= v2;                                                          \
		v2 = ROTL(v2, 32);                                                 \
	} while (0)

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/*
 * Inlined where len is a constant (the flow table's keys: 16 or 40 bytes),
 * so that its loops unroll and the tail's byte loop goes away.
 */
static inline __attribute__((always_inline)) uint64_t sip13(const uint8_t key[16],
							    const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	size_t full = len & ~(size_t)7;
	uint64_t m;

#pragma GCC unroll 8
	for (size_t i = 0; i < full; i += 8) {
		m = load_le64(in + i);
		v3 ^= m;
		SIP_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	m = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++)
		m |= (uint64_t)in[full + i] << (8 * i);
	v3 ^= m;
	SIP_ROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t siphash13(const uint8_t key[16], const void *data, size_t len)
{
	switch (len) {
	case 16:
		return sip13(key, data, 16);
	case 40:
		return sip13(key, data, 40);
	default:
		return sip13(key, data, len);
	}
}

uint64_t mixhash64(const uint8_t seed[16], const void *data, size_t len, uint64_t tweak)
{
	const uint8_t *in = data;
	uint64_t h = load_le64(seed), k = load_le64(seed + 8) | 1;	/* an odd multiplier */
	size_t i = 0;

	h ^= tweak ^ (uint64_t)len << 56;
	for (;;) {
		uint64_t w = 0;

		if (len - i >= 8) {
			w = load_le64(in + i);
			i += 8;
		} else if (i < len) {
			for (unsigned sh = 0; i < len; sh += 8)	/* the tail */
				w |= (uint64_t)in[i++] << sh;
		} else {
			break;
		}
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
		h *= k;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	return h ^ (h >> 32);
}

void random_seed(uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(buf + got, len - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < len) {
		/* No entropy source: still differ between runs. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^
			     (uint64_t)getpid() << 15;
		for (size_t i = got; i < len; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[i] = (uint8_t)(x >> 56);
		}
	}
}

bool array_reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / elem)
			return false;
		ncap *= 2;
	}
	p = realloc(*arr, ncap * elem);
	if (!p)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

/*
 * A large array (a big map's slots or entry chunk, read at random) in
 * transparent huge pages where the kernel gives them: one TLB entry for
 * 2 MiB instead of 512, for a flow table that is looked up at a random
 * place for every packet. Zeroed with zero. Freed with free().
 */
#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_MIN HUGE_PAGE

static void *big_alloc(size_t bytes, bool zero)
{
	void *p;

	if (bytes < HUGE_MIN)
		return zero ? calloc(1, bytes) : malloc(bytes);
	bytes = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	p = aligned_alloc(HUGE_PAGE, bytes);
	if (!p)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, bytes, MADV_HUGEPAGE);	/* advice only: no error to handle */
#endif
	if (zero)
		memset(p, 0, bytes);
	return p;
}

struct hmap *hmap_new(size_t key_size, const uint8_t *seed)
{
	return hmap_new_kv(key_size, 0, seed);
}

struct hmap *hmap_new_kv(size_t key_size, size_t value_size, const uint8_t *seed)
{
	struct hmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->key_size = key_size;
	m->entry_size = key_size + value_size;
	if (seed)
		memcpy(m->seed, seed, sizeof(m->seed));
	else
		random_seed(m->seed, sizeof(m->seed));
	m->slot_mask = 63;
	m->slots = calloc(m->slot_mask + 1, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

struct hmap *hmap_new_host(size_t key_size)
{
	return hmap_new_host_kv(key_size, 0);
}

struct hmap *hmap_new_host_kv(size_t key_size, size_t value_size)
{
	struct hmap *m = hmap_new_kv(key_size, value_size, NULL);

	if (m)
		m->host = true;
	return m;
}

void hmap_free(struct hmap *m)
{
	if (!m)
		return;
	free(m->slots);
	for (size_t c = 0; c < m->nchunks; c++)
		free(m->chunk[c]);
	free(m);
}

size_t hmap_count(const struct hmap *m)
{
	return m->count;
}

static inline uint8_t *entry_at(const struct hmap *m, size_t idx)
{
	unsigned c = 63 - (unsigned)__builtin_clzll((unsigned long long)(idx >> CHUNK0_SHIFT) + 1);

	return m->chunk[c] + (idx - CHUNK0 * (((size_t)1 << c) - 1)) * m->entry_size;
}

const void *hmap_key(const struct hmap *m, size_t idx)
{
	return entry_at(m, idx);
}

void *hmap_value(struct hmap *m, size_t idx)
{
	return entry_at(m, idx) + m->key_size;
}

/* Keys are small: compare them word by word here rather than call memcmp. */
static inline __attribute__((always_inline)) bool keys_equal(const void *a, const void *b,
								     size_t n)
{
	const uint8_t *x = a, *y = b;
	uint64_t diff = 0;
	size_t i = 0;

#pragma GCC unroll 8
	for (; i + 8 <= n; i += 8) {
		uint64_t u, v;
		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		diff |= u ^ v;
	}
	for (; i < n; i++)
		diff |= (uint64_t)(x[i] ^ y[i]);
	return diff == 0;
}

/*
 * Slot position where key lives (*entry: its entry) or would be inserted
 * (*entry: NULL). Inlined with the key size a constant for the sizes the
 * flow table uses, so that the comparison unrolls.
 */
static inline __attribute__((always_inline)) size_t probe_n(const struct hmap *m,
							   const void *key, uint32_t h32,
							   size_t key_size, uint8_t **entry)
{
	size_t i = h32 & m->slot_mask;

	for (;;) {
		uint64_t s = m->slots[i];
		if (s == 0) {
			*entry = NULL;
			return i;
		}
		if ((uint32_t)(s >> 32) == h32) {
			uint8_t *e = entry_at(m, (size_t)(uint32_t)s - 1);
			if (keys_equal(e, key, key_size)) {
				*entry = e;
				return i;
			}
		}
		i = (i + 1) & m->slot_mask;
	}
}

static inline __attribute__((always_inline)) size_t probe(const struct hmap *m,
							   const void *key, uint32_t h32,
							   uint8_t **entry)
{
	switch (m->key_size) {
	case 8:		/* inodes, pointers */
		return probe_n(m, key, h32, 8, entry);
	case 40:	/* flow tuples */
		return probe_n(m, key, h32, 40, entry);
	default:
		return probe_n(m, key, h32, m->key_size, entry);
	}
}

static uint32_t hash32(const struct hmap *m, const void *key)
{
	if (m->host)
		return (uint32_t)mixhash64(m->seed, key, m->key_size, 0);
	return (uint32_t)siphash13(m->seed, key, m->key_size);
}

bool hmap_prf(const struct hmap *m)
{
	return !m->host;
}

size_t hmap_get(const struct hmap *m, const void *key)
{
	return hmap_get_hashed(m, key, hash32(m, key));
}

size_t hmap_get_hashed(const struct hmap *m, const void *key, uint32_t h32)
{
	uint8_t *e;
	uint64_t s = m->slots[probe(m, key, h32, &e)];

	return s ? (size_t)(uint32_t)s - 1 : HMAP_NONE;
}

/* Double the slot array, keeping load at or below one half. */
static bool grow_slots(struct hmap *m)
{
	size_t nslots = (m->slot_mask + 1) * 2;
	uint64_t *ns = nslots > SIZE_MAX / sizeof(*ns) ? NULL : big_alloc(nslots * sizeof(*ns), true);

	if (!ns)
		return false;
	for (size_t i = 0; i <= m->slot_mask; i++) {
		uint64_t s = m->slots[i];
		if (!s)
			continue;
		size_t j = (size_t)(s >> 32) & (nslots - 1);
		while (ns[j])
			j = (j + 1) & (nslots - 1);
		ns[j] = s;
	}
	free(m->slots);
	m->slots = ns;
	m->slot_mask = nslots - 1;
	return true;
}

uint32_t hmap_hash(const struct hmap *m, const void *key)
{
	return hash32(m, key);
}

uint32_t hmap_hash_bytes(const struct hmap *m, const void *data, size_t len)
{
	if (m->host)
		return (uint32_t)mixhash64(m->seed, data, len, 0);
	return (uint32_t)siphash13(m->seed, data, len);
}

void hmap_prefetch(const struct hmap *m, uint32_t h32, bool key_too)
{
	const uint64_t *slot = &m->slots[h32 & m->slot_mask];

	if (!key_too) {
		__builtin_prefetch(slot);
		return;
	}
	if (*slot) {
		/* A key may straddle two cache lines: fetch both. */
		const uint8_t *k = entry_at(m, (size_t)(uint32_t)*slot - 1);
		__builtin_prefetch(k, 1);
		__builtin_prefetch(k + m->entry_size - 1, 1);
	}
}

size_t hmap_peek(const struct hmap *m, uint32_t h32)
{
	uint64_t s = m->slots[h32 & m->slot_mask];

	return s && (uint32_t)(s >> 32) == h32 ? (size_t)(uint32_t)s - 1 : HMAP_NONE;
}

size_t hmap_put(struct hmap *m, const void *key, size_t limit, bool *inserted)
{
	return hmap_put_hashed(m, key, hash32(m, key), limit, inserted);
}

/* hmap_put_hashed; *value: the entry's value (NULL with HMAP_NONE). */
static inline __attribute__((always_inline)) size_t put(struct hmap *m, const void *key,
						       uint32_t h32, size_t limit,
						       bool *inserted, uint8_t **value)
{
	uint8_t *e;
	size_t i = probe(m, key, h32, &e);

	*inserted = false;
	*value = NULL;
	if (e) {
		*value = e + m->key_size;
		return (size_t)(uint32_t)m->slots[i] - 1;
	}
	if (m->count >= limit || m->count >= UINT32_MAX - 1)
		return HMAP_NONE;
	if (m->count == m->cap) {
		size_t n = CHUNK0 << m->nchunks;

		if (m->nchunks == NCHUNKS || !(e = big_alloc(n * m->entry_size, false)))
			return HMAP_NONE;
		m->chunk[m->nchunks++] = e;
		m->cap += n;
	}
	if ((m->count + 1) * 2 > m->slot_mask + 1) {
		if (!grow_slots(m))
			return HMAP_NONE;
		i = probe(m, key, h32, &e);
	}
	e = entry_at(m, m->count);
	memcpy(e, key, m->key_size);
	memset(e + m->key_size, 0, m->entry_size - m->key_size);
	m->slots[i] = (uint64_t)h32 << 32 | (uint64_t)(m->count + 1);
	*inserted = true;
	*value = e + m->key_size;
	return m->count++;
}

size_t hmap_put_hashed(struct hmap *m, const void *key, uint32_t h32, size_t limit,
		       bool *inserted)
{
	uint8_t *value;

	return put(m, key, h32, limit, inserted, &value);
}

void *hmap_put_value(struct hmap *m, const void *key, uint32_t h32, size_t limit,
		     bool *inserted)
{
	uint8_t *value;

	put(m, key, h32, limit, inserted, &value);
	return value;
}
