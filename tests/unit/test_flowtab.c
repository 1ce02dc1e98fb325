/* Unit tests: the seeded hash index and the bounded flow table. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "../../core/flowtab.h"
#include "../../core/hmap.h"

static void hmap_put_get_grow(void **state)
{
	struct hmap *m = hmap_new(sizeof(uint32_t), NULL);
	bool ins;

	(void)state;
	assert_non_null(m);
	for (uint32_t k = 0; k < 100000; k++) {
		assert_int_equal(hmap_put(m, &k, SIZE_MAX, &ins), k);	/* dense, in order */
		assert_true(ins);
	}
	for (uint32_t k = 0; k < 100000; k += 7) {
		assert_int_equal(hmap_get(m, &k), k);
		assert_int_equal(hmap_put(m, &k, SIZE_MAX, &ins), k);
		assert_false(ins);
		assert_int_equal(*(const uint32_t *)hmap_key(m, k), k);
	}
	uint32_t absent = 100000;
	assert_int_equal(hmap_get(m, &absent), HMAP_NONE);
	assert_int_equal(hmap_count(m), 100000);
	hmap_free(m);
}

static void hmap_limit(void **state)
{
	struct hmap *m = hmap_new(sizeof(uint32_t), NULL);
	uint32_t k;
	bool ins;

	(void)state;
	for (k = 0; k < 3; k++)
		assert_int_equal(hmap_put(m, &k, 3, &ins), k);
	k = 3;
	assert_int_equal(hmap_put(m, &k, 3, &ins), HMAP_NONE);
	assert_false(ins);
	k = 1;
	assert_int_equal(hmap_put(m, &k, 3, &ins), 1);	/* existing keys still found */
	assert_int_equal(hmap_count(m), 3);
	hmap_free(m);
}

static void siphash_keyed(void **state)
{
	uint8_t k1[16] = { 0 }, k2[16] = { 1 };
	const char msg[] = "proctraf flow key";
	uint8_t key[16], in[15];

	(void)state;
	assert_true(siphash13(k1, msg, sizeof(msg)) == siphash13(k1, msg, sizeof(msg)));
	assert_true(siphash13(k1, msg, sizeof(msg)) != siphash13(k2, msg, sizeof(msg)));
	assert_true(siphash13(k1, msg, 8) != siphash13(k1, msg, 9));
	/* Every input byte and every key byte matters. */
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		in[i] = (uint8_t)i;
	uint64_t h = siphash13(key, in, 15);
	for (int i = 0; i < 15; i++) {
		in[i] ^= 1;
		assert_true(siphash13(key, in, 15) != h);
		in[i] ^= 1;
	}
	for (int i = 0; i < 16; i++) {
		key[i] ^= 0x80;
		assert_true(siphash13(key, in, 15) != h);
		key[i] ^= 0x80;
	}
}

static void array_reserve_grows(void **state)
{
	int *a = NULL;
	void *p = NULL;
	size_t cap = 0;

	(void)state;
	assert_true(array_reserve(&p, &cap, 1000, sizeof(int)));
	assert_true(cap >= 1000);
	a = p;
	a[999] = 7;
	assert_true(array_reserve(&p, &cap, 10, sizeof(int)));	/* never shrinks */
	assert_true(cap >= 1000);
	free(p);
}

static struct packet pkt4(const char *src, uint16_t sp, const char *dst, uint16_t dp,
			  uint32_t len, int dir)
{
	struct packet p;
	unsigned a[4], b[4];

	memset(&p, 0, sizeof(p));
	sscanf(src, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]);
	sscanf(dst, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]);
	for (int i = 0; i < 4; i++) {
		p.t.src[i] = (uint8_t)a[i];
		p.t.dst[i] = (uint8_t)b[i];
	}
	p.t.sport = sp;
	p.t.dport = dp;
	p.t.family = TUPLE_V4;
	p.t.proto = 6;
	p.ip_len = len;
	p.dir = (uint8_t)dir;
	return p;
}

static void both_directions_one_flow(void **state)
{
	struct flowtab *ft = flowtab_new(10);
	struct packet out = pkt4("10.0.0.5", 40000, "1.2.3.4", 443, 100, PKT_DIR_OUT);
	struct packet in = pkt4("1.2.3.4", 443, "10.0.0.5", 40000, 1500, PKT_DIR_IN);
	struct tuple c1, c2;

	(void)state;
	assert_true(flowtab_add(ft, &out, &c1));	/* new */
	assert_false(flowtab_add(ft, &in, &c2));	/* same flow */
	assert_false(flowtab_add(ft, &in, &c2));
	assert_memory_equal(&c1, &c2, sizeof(c1));
	assert_int_equal(flowtab_count(ft), 1);
	/* canonical: lower endpoint (1.2.3.4) first */
	assert_int_equal(flowtab_key(ft, 0)->src[0], 1);
	const struct flow_counts *fc = flowtab_counts(ft, 0);
	assert_int_equal(fc->bytes[0], 3000);	/* from 1.2.3.4 */
	assert_int_equal(fc->packets[0], 2);
	assert_int_equal(fc->bytes[1], 100);
	assert_int_equal(fc->packets[1], 1);
	flowtab_free(ft);
}

static void bounded_with_overflow(void **state)
{
	struct flowtab *ft = flowtab_new(100);
	uint64_t total = 0, counted = 0;
	struct tuple c;

	(void)state;
	for (unsigned i = 0; i < 1000; i++) {
		struct packet p = pkt4("10.0.0.5", (uint16_t)(1000 + i), "1.2.3.4", 443, 40 + i,
				       i % 2 ? PKT_DIR_OUT : PKT_DIR_IN);
		flowtab_add(ft, &p, &c);
		total += 40 + i;
	}
	assert_int_equal(flowtab_count(ft), 100);
	for (size_t i = 0; i < flowtab_count(ft); i++)
		counted += flowtab_counts(ft, i)->bytes[0] + flowtab_counts(ft, i)->bytes[1];
	const struct flow_counts *o = flowtab_overflow(ft);
	assert_int_equal(o->packets[0] + o->packets[1], 900);
	assert_int_equal(o->packets[0], 450);	/* the outgoing ones */
	assert_int_equal(counted + o->bytes[0] + o->bytes[1], total);	/* no byte lost */
	/* an existing flow still counts in the table when full */
	struct packet again = pkt4("10.0.0.5", 1000, "1.2.3.4", 443, 5, PKT_DIR_OUT);
	flowtab_add(ft, &again, &c);
	assert_int_equal(o->packets[0] + o->packets[1], 900);
	flowtab_free(ft);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hmap_put_get_grow),
		cmocka_unit_test(hmap_limit),
		cmocka_unit_test(siphash_keyed),
		cmocka_unit_test(array_reserve_grows),
		cmocka_unit_test(both_directions_one_flow),
		cmocka_unit_test(bounded_with_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
