/*
 * test_hmap.c - the seeded insert-only hash index, SipHash-1-3,
 * random_seed and array_reserve (core/hmap.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../core/hmap.h"
#include "helpers.h"

static const uint8_t seed_a[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static void test_put_get_basic(void **state)
{
	(void)state;
	struct hmap *m = hmap_new(8, seed_a);
	uint64_t k1 = 0x1122334455667788ULL, k2 = 0x1122334455667789ULL, k3 = 0;
	bool ins = false;

	assert_non_null(m);
	assert_int_equal(hmap_count(m), 0);
	assert_true(hmap_get(m, &k1) == HMAP_NONE);
	assert_true(hmap_get(m, &k3) == HMAP_NONE);	/* all-zero key in an empty map */

	assert_int_equal(hmap_put(m, &k1, SIZE_MAX, &ins), 0);
	assert_true(ins);
	assert_int_equal(hmap_count(m), 1);
	assert_int_equal(hmap_get(m, &k1), 0);
	assert_true(hmap_get(m, &k2) == HMAP_NONE);	/* one bit away */

	ins = true;
	assert_int_equal(hmap_put(m, &k1, SIZE_MAX, &ins), 0);
	assert_false(ins);
	assert_int_equal(hmap_count(m), 1);

	assert_int_equal(hmap_put(m, &k3, SIZE_MAX, &ins), 1);	/* zero key is a key */
	assert_true(ins);
	assert_int_equal(hmap_put(m, &k2, SIZE_MAX, &ins), 2);
	assert_true(ins);
	assert_int_equal(hmap_get(m, &k3), 1);
	assert_int_equal(hmap_get(m, &k2), 2);
	assert_memory_equal(hmap_key(m, 0), &k1, 8);
	assert_memory_equal(hmap_key(m, 1), &k3, 8);
	assert_memory_equal(hmap_key(m, 2), &k2, 8);
	assert_int_equal(hmap_count(m), 3);
	hmap_free(m);
	hmap_free(NULL);	/* allowed */
}

/* Odd key sizes: the whole key counts, not a prefix or a word. */
static void test_odd_key_sizes(void **state)
{
	(void)state;
	for (size_t ks = 1; ks <= 41; ks += 4) {
		struct hmap *m = hmap_new(ks, seed_a);
		uint8_t key[41];
		bool ins;

		assert_non_null(m);
		/* Keys that differ only in their last byte... */
		for (unsigned i = 0; i < 100; i++) {
			memset(key, 0x5a, sizeof(key));
			key[ks - 1] = (uint8_t)i;
			assert_int_equal(hmap_put(m, key, SIZE_MAX, &ins), i);
			assert_true(ins);
		}
		/* ...then only in their first (last byte 0xff, never used above). */
		for (unsigned i = 0; ks > 1 && i < 100; i++) {
			memset(key, 0x5a, sizeof(key));
			key[ks - 1] = 0xff;
			key[0] = (uint8_t)i;
			assert_int_equal(hmap_put(m, key, SIZE_MAX, &ins), 100 + i);
			assert_true(ins);
		}
		assert_int_equal(hmap_count(m), ks > 1 ? 200 : 100);
		for (size_t i = 0; i < hmap_count(m); i++) {
			memcpy(key, hmap_key(m, i), ks);
			assert_int_equal(hmap_get(m, key), i);
		}
		hmap_free(m);
	}
}

/* 100 000 keys through many doublings: dense indices, all found, keys intact. */
static void test_growth_100k(void **state)
{
	(void)state;
	enum { N = 100000 };
	struct tuple *keys = calloc(N, sizeof(*keys));
	struct hmap *m = hmap_new(sizeof(struct tuple), NULL);
	uint64_t rs = 42;
	bool ins;

	assert_non_null(keys);
	assert_non_null(m);
	for (size_t i = 0; i < N; i++) {
		/* Flow-like keys: same addresses, the port and a counter vary. */
		addr4(keys[i].src, 10, 0, 0, 5);
		addr4(keys[i].dst, 192, 0, 2, (unsigned)(i % 7));
		keys[i].sport = (uint16_t)(i & 0xffff);
		keys[i].dport = (uint16_t)(i >> 16);
		keys[i].family = TUPLE_V4;
		keys[i].proto = 6;
		assert_int_equal(hmap_put(m, &keys[i], SIZE_MAX, &ins), i);
		assert_true(ins);
		if ((i & (i + 1)) == 0) {	/* at each power of two: all still there */
			for (size_t j = 0; j <= i; j++)
				assert_int_equal(hmap_get(m, &keys[j]), j);
		}
	}
	assert_int_equal(hmap_count(m), N);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(hmap_get(m, &keys[i]), i);
		assert_memory_equal(hmap_key(m, i), &keys[i], sizeof(keys[i]));
		assert_int_equal(hmap_put(m, &keys[i], SIZE_MAX, &ins), i);
		assert_false(ins);
	}
	/* Absent keys stay absent. */
	for (int i = 0; i < 10000; i++) {
		struct tuple t = keys[rng_next(&rs) % N];
		t.proto = 17;
		assert_true(hmap_get(m, &t) == HMAP_NONE);
	}
	assert_int_equal(hmap_count(m), N);
	hmap_free(m);
	free(keys);
}

static void test_limit(void **state)
{
	(void)state;
	struct hmap *m = hmap_new(4, seed_a);
	uint32_t k;
	bool ins;

	/* limit 0: nothing new ever goes in. */
	k = 7;
	ins = true;
	assert_true(hmap_put(m, &k, 0, &ins) == HMAP_NONE);
	assert_false(ins);
	assert_int_equal(hmap_count(m), 0);
	assert_true(hmap_get(m, &k) == HMAP_NONE);

	for (k = 0; k < 3; k++) {
		assert_int_equal(hmap_put(m, &k, 3, &ins), k);
		assert_true(ins);
	}
	for (k = 3; k < 50; k++) {
		ins = true;
		assert_true(hmap_put(m, &k, 3, &ins) == HMAP_NONE);
		assert_false(ins);
		assert_true(hmap_get(m, &k) == HMAP_NONE);	/* not half-inserted */
	}
	assert_int_equal(hmap_count(m), 3);
	/* Existing keys are returned at and below the limit. */
	for (k = 0; k < 3; k++) {
		ins = true;
		assert_int_equal(hmap_put(m, &k, 3, &ins), k);
		assert_false(ins);
		assert_int_equal(hmap_put(m, &k, 0, &ins), k);
		assert_false(ins);
	}
	/* A higher limit later lets new keys in again, numbered on. */
	k = 40;
	assert_int_equal(hmap_put(m, &k, 4, &ins), 3);
	assert_true(ins);
	/* SIZE_MAX: no limit. */
	for (k = 100; k < 2000; k++) {
		assert_int_equal(hmap_put(m, &k, SIZE_MAX, &ins), k - 100 + 4);
		assert_true(ins);
	}
	assert_int_equal(hmap_count(m), 1904);
	hmap_free(m);
}

/* Maps with different seeds (or none) hold the same keys the same way. */
static void test_seeds_do_not_change_contents(void **state)
{
	(void)state;
	uint8_t seed_b[16];
	struct hmap *m[3];
	bool ins;

	memset(seed_b, 0xff, sizeof(seed_b));
	m[0] = hmap_new(4, seed_a);
	m[1] = hmap_new(4, seed_b);
	m[2] = hmap_new(4, NULL);
	for (int j = 0; j < 3; j++) {
		assert_non_null(m[j]);
		for (uint32_t k = 0; k < 5000; k++) {
			uint32_t key = k * 2654435761u;
			assert_int_equal(hmap_put(m[j], &key, SIZE_MAX, &ins), k);
		}
	}
	for (uint32_t k = 0; k < 5000; k++) {
		uint32_t key = k * 2654435761u;
		for (int j = 0; j < 3; j++)
			assert_int_equal(hmap_get(m[j], &key), k);
	}
	for (int j = 0; j < 3; j++)
		hmap_free(m[j]);
}

/*
 * SipHash-1-3 reference vectors (veorq/SipHash with cROUNDS=1, dROUNDS=3,
 * 64-bit output): key 00 01 .. 0f, message 00 01 .. (len-1), len 0..63.
 * The same table appears, independently, in Swift's stdlib tests and in
 * Go/C ports; its first entry, 0xabac0158050fc4dc, is the commonly quoted
 * empty-message value.
 */
static const uint64_t sip13_ref[64] = {
	0xabac0158050fc4dcULL, 0xc9f49bf37d57ca93ULL, 0x82cb9b024dc7d44dULL, 0x8bf80ab8e7ddf7fbULL,
	0xcf75576088d38328ULL, 0xdef9d52f49533b67ULL, 0xc50d2b50c59f22a7ULL, 0xd3927d989bb11140ULL,
	0x369095118d299a8eULL, 0x25a48eb36c063de4ULL, 0x79de85ee92ff097fULL, 0x70c118c1f94dc352ULL,
	0x78a384b157b4d9a2ULL, 0x306f760c1229ffa7ULL, 0x605aa111c0f95d34ULL, 0xd320d86d2a519956ULL,
	0xcc4fdd1a7d908b66ULL, 0x9cf2689063dbd80cULL, 0x8ffc389cb473e63eULL, 0xf21f9de58d297d1cULL,
	0xc0dc2f46a6cce040ULL, 0xb992abfe2b45f844ULL, 0x7ffe7b9ba320872eULL, 0x525a0e7fdae6c123ULL,
	0xf464aeb267349c8cULL, 0x45cd5928705b0979ULL, 0x3a3e35e3ca9913a5ULL, 0xa91dc74e4ade3b35ULL,
	0xfb0bed02ef6cd00dULL, 0x88d93cb44ab1e1f4ULL, 0x540f11d643c5e663ULL, 0x2370dd1f8c21d1bcULL,
	0x81157b6c16a7b60dULL, 0x4d54b9e57a8ff9bfULL, 0x759f12781f2a753eULL, 0xcea1a3bebf186b91ULL,
	0x2cf508d3ada26206ULL, 0xb6101c2da3c33057ULL, 0xb3f47496ae3a36a1ULL, 0x626b57547b108392ULL,
	0xc1d2363299e41531ULL, 0x667cc1923f1ad944ULL, 0x65704ffec8138825ULL, 0x24f280d1c28949a6ULL,
	0xc2ca1cedfaf8876bULL, 0xc2164bfc9f042196ULL, 0xa16e9c9368b1d623ULL, 0x49fb169c8b5114fdULL,
	0x9f3143f8df074c46ULL, 0xc6fdaf2412cc86b3ULL, 0x7eaf49d10a52098fULL, 0x1cf313559d292f9aULL,
	0xc44a30dda2f41f12ULL, 0x36fae98943a71ed0ULL, 0x318fb34c73f0bce6ULL, 0xa27abf3670a7e980ULL,
	0xb4bcc0db243c6d75ULL, 0x23f8d852fdb71513ULL, 0x8f035f4da67d8a08ULL, 0xd89cd0e5b7e8f148ULL,
	0xf6f4e6bcf7a644eeULL, 0xaec59ad80f1837f2ULL, 0xc3b2f6154b6694e0ULL, 0x9d199062b7bbb3a8ULL,
};

/* The same reference implementation with an all-zero key (lengths 0..7). */
static const uint64_t sip13_zero_key[8] = {
	0xd1fba762150c532cULL, 0x68a914128e01e473ULL, 0x010bac45c41e3669ULL, 0x4d4c9a4a8ef6e0adULL,
	0x7cc43f98813e4dbdULL, 0x5abe2169dff36275ULL, 0xe3c25f87624f1cdbULL, 0x2f098ab0c751325aULL,
};

static void test_siphash13_reference(void **state)
{
	(void)state;
	uint8_t key[16], zero[16] = { 0 }, msg[64];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t len = 0; len < 64; len++) {
		/* From an exact-size heap copy: no read past len. */
		uint8_t *copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, msg, len);
		uint64_t h = siphash13(key, copy, len);
		if (h != sip13_ref[len])
			fail_msg("siphash13(len %zu) = %016llx, want %016llx", len,
				 (unsigned long long)h, (unsigned long long)sip13_ref[len]);
		free(copy);
	}
	for (size_t len = 0; len < 8; len++)
		assert_true(siphash13(zero, msg, len) == sip13_zero_key[len]);
	/* An unaligned message gives the same result as an aligned one. */
	uint8_t shifted[65];
	memcpy(shifted + 1, msg, 64);
	assert_true(siphash13(key, shifted + 1, 63) == sip13_ref[63]);
}

/* Every bit of the key and of the message matters. */
static void test_siphash13_sensitivity(void **state)
{
	(void)state;
	uint8_t key[16], msg[37];
	uint64_t base;

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(0x30 + i);
	for (int i = 0; i < 37; i++)
		msg[i] = (uint8_t)(i * 7);
	base = siphash13(key, msg, sizeof(msg));
	assert_true(siphash13(key, msg, sizeof(msg)) == base);	/* deterministic */
	for (int bit = 0; bit < 128; bit++) {
		key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_true(siphash13(key, msg, sizeof(msg)) != base);
		key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (int bit = 0; bit < 37 * 8; bit++) {
		msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_true(siphash13(key, msg, sizeof(msg)) != base);
		msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* Length is hashed: a zero byte appended changes the value. */
	uint8_t z[9] = { 0 };
	for (size_t len = 0; len < 8; len++)
		assert_true(siphash13(key, z, len) != siphash13(key, z, len + 1));
}

/* mixhash64: every bit of seed, data, length and tweak counts. */
static void test_mixhash64_sensitivity(void **state)
{
	(void)state;
	uint8_t seed[16], msg[21];
	uint64_t base;

	for (int i = 0; i < 16; i++)
		seed[i] = (uint8_t)(0x41 + i);
	for (int i = 0; i < 21; i++)
		msg[i] = (uint8_t)(i * 13);
	base = mixhash64(seed, msg, sizeof(msg), 7);
	assert_true(mixhash64(seed, msg, sizeof(msg), 7) == base);
	assert_true(mixhash64(seed, msg, sizeof(msg), 8) != base);
	/* Bit 0 of the seed's second half is forced on (an odd multiplier). */
	for (int bit = 0; bit < 128; bit++) {
		if (bit == 64)
			continue;
		seed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_true(mixhash64(seed, msg, sizeof(msg), 7) != base);
		seed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (int bit = 0; bit < 21 * 8; bit++) {
		msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_true(mixhash64(seed, msg, sizeof(msg), 7) != base);
		msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	uint8_t z[17] = { 0 };
	for (size_t len = 0; len < 16; len++)
		assert_true(mixhash64(seed, z, len, 0) != mixhash64(seed, z, len + 1, 0));
}

/*
 * A host map (the cheaper hash) keeps and finds keys like any other; and
 * a map whose keys are hashed by the caller's own encoding
 * (hmap_hash_bytes) finds them again by that hash.
 */
static void test_host_map_and_own_hash(void **state)
{
	(void)state;
	struct hmap *h = hmap_new_host(24);
	struct hmap *m = hmap_new(24, seed_a);
	uint8_t key[24];
	bool ins;

	assert_non_null(h);
	assert_non_null(m);
	for (unsigned i = 0; i < 5000; i++) {
		memset(key, 0, sizeof(key));
		key[3] = (uint8_t)i;
		key[15] = (uint8_t)(i >> 8);
		key[16] = (uint8_t)(i % 3);
		assert_int_equal(hmap_put(h, key, SIZE_MAX, &ins), i);
		assert_true(ins);
		/* the caller's encoding: the first 17 bytes, the rest is zero */
		uint32_t h32 = hmap_hash_bytes(m, key, 17);
		assert_int_equal(hmap_put_hashed(m, key, h32, SIZE_MAX, &ins), i);
		assert_true(ins);
	}
	for (unsigned i = 0; i < 5000; i++) {
		memset(key, 0, sizeof(key));
		key[3] = (uint8_t)i;
		key[15] = (uint8_t)(i >> 8);
		key[16] = (uint8_t)(i % 3);
		assert_int_equal(hmap_get(h, key), i);
		assert_int_equal(hmap_put_hashed(m, key, hmap_hash_bytes(m, key, 17), SIZE_MAX,
						 &ins), i);
		assert_false(ins);
		key[20] = 1;	/* not a key of either */
		assert_true(hmap_get(h, key) == HMAP_NONE);
	}
	assert_int_equal(hmap_count(h), 5000);
	assert_int_equal(hmap_count(m), 5000);
	hmap_free(h);
	hmap_free(m);

	/* A host map with values: each value zero when its key is put, and kept. */
	h = hmap_new_host_kv(4, 12);
	assert_non_null(h);
	for (uint32_t k = 0; k < 3000; k++) {
		size_t i = hmap_put(h, &k, SIZE_MAX, &ins);
		uint32_t *v = hmap_value(h, i);

		assert_true(ins);
		assert_int_equal(v[0] | v[1] | v[2], 0);
		v[0] = k + 1;
		v[2] = ~k;
	}
	for (uint32_t k = 0; k < 3000; k++) {
		const uint32_t *v = hmap_value(h, hmap_get(h, &k));

		assert_int_equal(v[0], k + 1);
		assert_int_equal(v[1], 0);
		assert_int_equal(v[2], ~k);
	}
	hmap_free(h);
}

/* Values beside keys: zero when put, kept through growth, one per key. */
/*
 * An entry never moves: its key and value keep their address while the
 * map grows, and another thread may read them meanwhile (a file's flows
 * are attributed while packets still add flows). 300,000 entries of 80
 * bytes also take the large (huge page) allocations.
 */
static void test_entries_never_move(void **state)
{
	enum { N = 300000 };
	static const size_t watch[] = { 0, 1, 63, 64, 65, 191, 192, 1000, 65535, 100000 };
	const void *keyp[sizeof(watch) / sizeof(watch[0])];
	uint64_t *valp[sizeof(watch) / sizeof(watch[0])];
	struct hmap *m = hmap_new_kv(16, 64, seed_a);
	size_t w = 0;
	bool ins;

	(void)state;
	assert_non_null(m);
	for (uint64_t k = 0; k < N; k++) {
		uint64_t key[2] = { k, ~k };
		size_t i = hmap_put(m, key, SIZE_MAX, &ins);
		uint64_t *v = hmap_value(m, i);

		assert_true(ins);
		assert_int_equal(i, k);
		v[0] = k + 1;
		v[7] = k * 7;
		if (w < sizeof(watch) / sizeof(watch[0]) && watch[w] == k) {
			keyp[w] = hmap_key(m, i);
			valp[w] = v;
			w++;
		}
	}
	for (size_t j = 0; j < w; j++) {
		uint64_t key[2] = { watch[j], ~(uint64_t)watch[j] };
		assert_ptr_equal(hmap_key(m, watch[j]), keyp[j]);
		assert_ptr_equal(hmap_value(m, watch[j]), valp[j]);
		assert_memory_equal(keyp[j], key, sizeof(key));
		assert_int_equal(valp[j][0], watch[j] + 1);
	}
	for (uint64_t k = 0; k < N; k++) {
		uint64_t key[2] = { k, ~k };
		const uint64_t *v;

		assert_int_equal(hmap_get(m, key), k);
		v = hmap_value(m, k);
		assert_int_equal(v[0], k + 1);
		assert_int_equal(v[7], k * 7);
		/* The value found by hmap_put_value is the same one. */
		assert_ptr_equal(hmap_put_value(m, key, hmap_hash(m, key), SIZE_MAX, &ins), v);
		assert_false(ins);
	}
	hmap_free(m);
}

static void test_values_beside_keys(void **state)
{
	(void)state;
	struct hmap *m = hmap_new_kv(8, 24, seed_a);
	bool ins;

	assert_non_null(m);
	for (uint64_t k = 0; k < 20000; k++) {
		size_t i = hmap_put(m, &k, SIZE_MAX, &ins);
		uint64_t *v = hmap_value(m, i);

		assert_true(ins);
		assert_int_equal(v[0], 0);
		assert_int_equal(v[1], 0);
		assert_int_equal(v[2], 0);
		v[0] = k * 3;
		v[2] = ~k;
		/* Putting it again finds the same value. */
		assert_int_equal(hmap_put(m, &k, SIZE_MAX, &ins), i);
		assert_false(ins);
		v = hmap_value(m, i);
		v[1] += 1;
	}
	for (uint64_t k = 0; k < 20000; k++) {
		size_t i = hmap_get(m, &k);
		const uint64_t *v = hmap_value(m, i);

		assert_int_equal(i, k);
		assert_memory_equal(hmap_key(m, i), &k, 8);
		assert_int_equal(v[0], k * 3);
		assert_int_equal(v[1], 1);
		assert_int_equal(v[2], ~k);
	}
	hmap_free(m);
}

static void test_random_seed(void **state)
{
	(void)state;
	uint8_t a[32], b[32], zero[32] = { 0 };

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	random_seed(a, sizeof(a));
	random_seed(b, sizeof(b));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	/* Exactly len bytes are written. */
	uint8_t c[8];
	memset(c, 0xee, sizeof(c));
	random_seed(c, 4);
	assert_int_equal(c[4], 0xee);
	assert_int_equal(c[7], 0xee);
	random_seed(c, 0);
}

static void test_array_reserve(void **state)
{
	(void)state;
	void *arr = NULL;
	size_t cap = 0;
	uint32_t *v;

	/* First growth: 16 elements at least. */
	assert_true(array_reserve(&arr, &cap, 1, sizeof(uint32_t)));
	assert_non_null(arr);
	assert_int_equal(cap, 16);
	v = arr;
	for (uint32_t i = 0; i < 16; i++)
		v[i] = i * 3;
	/* Within capacity: nothing moves. */
	void *before = arr;
	assert_true(array_reserve(&arr, &cap, 16, sizeof(uint32_t)));
	assert_ptr_equal(arr, before);
	assert_int_equal(cap, 16);
	assert_true(array_reserve(&arr, &cap, 0, sizeof(uint32_t)));
	assert_int_equal(cap, 16);
	/* One past: doubles, contents kept. */
	assert_true(array_reserve(&arr, &cap, 17, sizeof(uint32_t)));
	assert_int_equal(cap, 32);
	v = arr;
	for (uint32_t i = 0; i < 16; i++)
		assert_int_equal(v[i], i * 3);
	/* Far past: enough room, usable to the last element. */
	assert_true(array_reserve(&arr, &cap, 100000, sizeof(uint32_t)));
	assert_true(cap >= 100000);
	v = arr;
	v[99999] = 7;
	for (uint32_t i = 0; i < 16; i++)
		assert_int_equal(v[i], i * 3);
	/* Never shrinks. */
	size_t big = cap;
	assert_true(array_reserve(&arr, &cap, 10, sizeof(uint32_t)));
	assert_int_equal(cap, big);
	/* A size that overflows size_t is refused, the array left as it was. */
	before = arr;
	assert_false(array_reserve(&arr, &cap, SIZE_MAX, sizeof(uint32_t)));
	assert_false(array_reserve(&arr, &cap, SIZE_MAX / 2, 64));
	assert_ptr_equal(arr, before);
	assert_int_equal(cap, big);
	assert_int_equal(((uint32_t *)arr)[99999], 7);
	free(arr);

	/* Elements larger than one byte and a start from a non-zero cap. */
	arr = NULL;
	cap = 0;
	assert_true(array_reserve(&arr, &cap, 40, 100));
	assert_int_equal(cap, 64);
	memset(arr, 1, 40 * 100);
	free(arr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_basic),
		cmocka_unit_test(test_odd_key_sizes),
		cmocka_unit_test(test_growth_100k),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_seeds_do_not_change_contents),
		cmocka_unit_test(test_siphash13_reference),
		cmocka_unit_test(test_siphash13_sensitivity),
		cmocka_unit_test(test_mixhash64_sensitivity),
		cmocka_unit_test(test_host_map_and_own_hash),
		cmocka_unit_test(test_values_beside_keys),
		cmocka_unit_test(test_entries_never_move),
		cmocka_unit_test(test_random_seed),
		cmocka_unit_test(test_array_reserve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
