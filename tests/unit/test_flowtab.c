/*
 * test_flowtab.c - the bounded flow table (core/flowtab.h) and the
 * canonical tuple order (core/tuple.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../core/flowtab.h"
#include "helpers.h"

static struct packet mkpkt(int family, const char *src, uint16_t sport, const char *dst,
			   uint16_t dport, uint8_t proto, uint32_t len, int dir)
{
	struct packet p;

	memset(&p, 0, sizeof(p));
	addr_parse(p.t.src, family, src);
	addr_parse(p.t.dst, family, dst);
	p.t.sport = sport;
	p.t.dport = dport;
	p.t.family = (uint8_t)family;
	p.t.proto = proto;
	p.ip_len = len;
	p.dir = (uint8_t)dir;
	return p;
}

/* The tuple with its ends swapped. */
static struct tuple swapped(const struct tuple *t)
{
	struct tuple s = *t;

	memcpy(s.src, t->dst, 16);
	memcpy(s.dst, t->src, 16);
	s.sport = t->dport;
	s.dport = t->sport;
	return s;
}

static void test_tuple_canonical(void **state)
{
	(void)state;
	struct packet a = mkpkt(TUPLE_V4, "10.0.0.1", 50000, "10.0.0.2", 80, 6, 0, 0);
	struct tuple t = a.t, s = swapped(&a.t);

	/* Lower address first: already canonical. */
	assert_false(tuple_canonical(&t));
	assert_memory_equal(&t, &a.t, sizeof(t));
	/* The other direction is swapped into the same key. */
	assert_true(tuple_canonical(&s));
	assert_memory_equal(&s, &a.t, sizeof(s));

	/* Same address (loopback): the lower port comes first. */
	struct packet l = mkpkt(TUPLE_V4, "127.0.0.1", 6000, "127.0.0.1", 5000, 17, 0, 0);
	t = l.t;
	assert_true(tuple_canonical(&t));
	assert_int_equal(t.sport, 5000);
	assert_int_equal(t.dport, 6000);
	/* The address decides before the port: 10.0.0.1:65535 < 10.0.0.2:1. */
	struct packet m = mkpkt(TUPLE_V4, "10.0.0.2", 1, "10.0.0.1", 65535, 6, 0, 0);
	t = m.t;
	assert_true(tuple_canonical(&t));
	assert_int_equal(t.src[3], 1);
	assert_int_equal(t.sport, 65535);
	/* Addresses compare as bytes in network order: 9.255.255.255 < 10.0.0.0. */
	struct packet n = mkpkt(TUPLE_V4, "10.0.0.0", 1, "9.255.255.255", 1, 6, 0, 0);
	t = n.t;
	assert_true(tuple_canonical(&t));
	assert_int_equal(t.src[0], 9);
	/* Identical ends: nothing to swap. */
	struct packet e = mkpkt(TUPLE_V6, "::1", 7, "::1", 7, 17, 0, 0);
	t = e.t;
	assert_false(tuple_canonical(&t));
	assert_memory_equal(&t, &e.t, sizeof(t));
}

/* endpoint_cmp orders addresses as memcmp does (bytes, unsigned), then ports. */
static void test_endpoint_cmp_order(void **state)
{
	(void)state;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 20000; i++) {
		uint8_t a[16], b[16];
		uint16_t ap, bp;

		for (int j = 0; j < 16; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			a[j] = (uint8_t)x;
			b[j] = (uint8_t)(x >> 8);
		}
		/* Mostly equal but for one byte (any, high bit too), or equal. */
		if (i % 4 != 0) {
			int at = (int)((x >> 16) % 16);
			memcpy(b, a, 16);
			if (i % 4 != 1)
				b[at] = (uint8_t)(x >> 24);
		}
		ap = (uint16_t)(x >> 32);
		bp = (uint16_t)(x >> 48);
		int want = memcmp(a, b, 16);
		if (want == 0)
			want = (ap > bp) - (ap < bp);
		int got = endpoint_cmp(a, ap, b, bp);
		assert_int_equal((got > 0) - (got < 0), (want > 0) - (want < 0));
	}
}

static void test_both_directions_one_flow(void **state)
{
	(void)state;
	struct flowtab *ft = flowtab_new(10);
	/* 10.0.0.5 is the higher endpoint: its packets count in [1]. */
	struct packet out = mkpkt(TUPLE_V4, "10.0.0.5", 40000, "1.2.3.4", 443, 6, 100, PKT_DIR_OUT);
	struct packet in = mkpkt(TUPLE_V4, "1.2.3.4", 443, "10.0.0.5", 40000, 6, 1500, PKT_DIR_IN);
	struct tuple c1, c2, want = in.t;

	assert_non_null(ft);
	assert_int_equal(flowtab_count(ft), 0);
	assert_true(flowtab_add(ft, &out, &c1));	/* new flow */
	assert_memory_equal(&c1, &want, sizeof(want));	/* canonical: 1.2.3.4 first */
	memset(&c2, 0xee, sizeof(c2));
	assert_false(flowtab_add(ft, &in, &c2));	/* same flow */
	assert_memory_equal(&c2, &want, sizeof(want));
	assert_false(flowtab_add(ft, &in, &c2));
	assert_false(flowtab_add(ft, &out, &c2));
	assert_int_equal(flowtab_count(ft), 1);
	assert_memory_equal(flowtab_key(ft, 0), &want, sizeof(want));

	const struct flow_counts *fc = flowtab_counts(ft, 0);
	assert_int_equal(fc->bytes[0], 3000);	/* 1.2.3.4 -> 10.0.0.5 */
	assert_int_equal(fc->packets[0], 2);
	assert_int_equal(fc->bytes[1], 200);	/* 10.0.0.5 -> 1.2.3.4 */
	assert_int_equal(fc->packets[1], 2);
	/* Nothing went to the overflow bucket. */
	const struct flow_counts *o = flowtab_overflow(ft);
	assert_int_equal(o->packets[0] + o->packets[1], 0);
	assert_int_equal(o->bytes[0] + o->bytes[1], 0);
	flowtab_free(ft);
	flowtab_free(NULL);
}

/* What makes two packets different flows: each part of the 5-tuple. */
static void test_distinct_flows(void **state)
{
	(void)state;
	struct flowtab *ft = flowtab_new(100);
	struct packet base = mkpkt(TUPLE_V4, "192.0.2.1", 1000, "192.0.2.2", 2000, 6, 10, 0);
	struct packet v[7];
	struct tuple c;

	v[0] = base;
	v[1] = base;
	v[1].t.proto = 17;
	v[2] = base;
	v[2].t.sport = 1001;
	v[3] = base;
	v[3].t.dport = 2001;
	v[4] = base;
	v[4].t.src[3] = 3;
	v[5] = base;
	v[5].t.dst[3] = 4;
	v[6] = base;
	v[6].t.family = TUPLE_V6;	/* same bytes, other family */
	for (int i = 0; i < 7; i++) {
		assert_true(flowtab_add(ft, &v[i], &c));
		assert_int_equal(flowtab_count(ft), i + 1);
	}
	for (int i = 0; i < 7; i++) {
		struct packet r = v[i];
		r.t = swapped(&v[i].t);
		assert_false(flowtab_add(ft, &r, &c));
	}
	assert_int_equal(flowtab_count(ft), 7);
	/* Insertion order, each flow with one packet each way. */
	for (size_t i = 0; i < 7; i++) {
		struct tuple k = v[i].t;
		tuple_canonical(&k);
		assert_memory_equal(flowtab_key(ft, i), &k, sizeof(k));
		assert_int_equal(flowtab_counts(ft, i)->packets[0], 1);
		assert_int_equal(flowtab_counts(ft, i)->packets[1], 1);
		assert_int_equal(flowtab_counts(ft, i)->bytes[0], 10);
		assert_int_equal(flowtab_counts(ft, i)->bytes[1], 10);
	}
	flowtab_free(ft);
}

/* Many flows: counters stay with their keys through every resize. */
static void test_many_flows(void **state)
{
	(void)state;
	enum { N = 20000 };
	struct flowtab *ft = flowtab_new(1000000);
	struct tuple c;

	for (int round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < N; i++) {
			struct packet p = mkpkt(TUPLE_V6, "fd00::1", (uint16_t)(i % 60000 + 1),
						"fd00::2", 443, 6, i + 1, PKT_DIR_OUT);
			p.t.dst[14] = (uint8_t)(i >> 8);
			p.t.dst[15] = (uint8_t)i;
			if (round == 1)		/* the reply direction */
				p.t = swapped(&p.t);
			assert_int_equal(flowtab_add(ft, &p, &c), round == 0);
		}
	}
	assert_int_equal(flowtab_count(ft), N);
	for (uint32_t i = 0; i < N; i++) {
		const struct flow_counts *fc = flowtab_counts(ft, i);
		struct packet p = mkpkt(TUPLE_V6, "fd00::1", (uint16_t)(i % 60000 + 1), "fd00::2",
					443, 6, 0, 0);
		p.t.dst[14] = (uint8_t)(i >> 8);
		p.t.dst[15] = (uint8_t)i;
		/* The forward packets (rounds 0 and 2) count where the canonical
		 * order puts their sender. */
		int fwd = tuple_canonical(&p.t) ? 1 : 0;
		assert_memory_equal(flowtab_key(ft, i), &p.t, sizeof(p.t));
		assert_int_equal(fc->packets[fwd], 2);
		assert_int_equal(fc->packets[!fwd], 1);
		assert_int_equal(fc->bytes[fwd], 2 * (uint64_t)(i + 1));
		assert_int_equal(fc->bytes[!fwd], i + 1);
	}
	flowtab_free(ft);
}

/*
 * max_flows: the table holds exactly that many flows; packets of further
 * flows land in the overflow bucket, [0] when sent by this host (OUT),
 * [1] otherwise, and every byte is counted somewhere.
 */
static void test_bound_and_overflow(void **state)
{
	(void)state;
	enum { MAX = 50, FLOWS = 400 };
	struct flowtab *ft = flowtab_new(MAX);
	uint64_t total_bytes = 0, total_pkts = 0, want_of[2] = { 0, 0 }, want_op[2] = { 0, 0 };
	uint64_t rs = 7;
	struct tuple c;

	for (int i = 0; i < FLOWS; i++) {
		for (int k = 0; k < 3; k++) {
			int dir = (int)(rng_next(&rs) % 3);	/* UNKNOWN, IN, OUT */
			uint32_t len = (uint32_t)(rng_next(&rs) % 1500 + 20);
			struct packet p = mkpkt(TUPLE_V4, "10.1.0.1", (uint16_t)(1024 + i),
						"10.2.0.1", 53, 17, len, dir);
			if (k == 1)
				p.t = swapped(&p.t);
			bool isnew = flowtab_add(ft, &p, &c);
			assert_int_equal(isnew, k == 0 && i < MAX);
			/* The canonical tuple is given either way: 10.1.0.1 first. */
			assert_int_equal(c.src[1], 1);
			assert_int_equal(c.sport, 1024 + i);
			assert_int_equal(c.dport, 53);
			total_bytes += len;
			total_pkts++;
			if (i >= MAX) {
				int o = dir == PKT_DIR_OUT ? 0 : 1;
				want_of[o] += len;
				want_op[o]++;
			}
		}
	}
	assert_int_equal(flowtab_count(ft), MAX);

	uint64_t in_table_b = 0, in_table_p = 0;
	for (size_t i = 0; i < flowtab_count(ft); i++) {
		const struct flow_counts *fc = flowtab_counts(ft, i);
		in_table_b += fc->bytes[0] + fc->bytes[1];
		in_table_p += fc->packets[0] + fc->packets[1];
		assert_int_equal(fc->packets[0] + fc->packets[1], 3);
		assert_int_equal(flowtab_key(ft, i)->dport, 53);	/* 10.1.0.1 < 10.2.0.1 */
		assert_int_equal(flowtab_key(ft, i)->sport, 1024 + i);	/* first MAX flows */
	}
	const struct flow_counts *o = flowtab_overflow(ft);
	assert_int_equal(o->bytes[0], want_of[0]);
	assert_int_equal(o->bytes[1], want_of[1]);
	assert_int_equal(o->packets[0], want_op[0]);
	assert_int_equal(o->packets[1], want_op[1]);
	assert_int_equal(in_table_p, MAX * 3);
	assert_int_equal(in_table_p + o->packets[0] + o->packets[1], total_pkts);
	assert_int_equal(in_table_b + o->bytes[0] + o->bytes[1], total_bytes);

	/* A flow already in the table keeps counting there when the table is full. */
	struct packet again = mkpkt(TUPLE_V4, "10.2.0.1", 53, "10.1.0.1", 1024, 17, 999,
				    PKT_DIR_OUT);
	uint64_t before = o->packets[0];
	assert_false(flowtab_add(ft, &again, &c));
	assert_int_equal(flowtab_count(ft), MAX);
	assert_int_equal(o->packets[0], before);
	size_t idx;
	for (idx = 0; idx < MAX; idx++)
		if (flowtab_key(ft, idx)->sport == 1024)
			break;
	assert_true(idx < MAX);
	assert_int_equal(flowtab_counts(ft, idx)->packets[0] + flowtab_counts(ft, idx)->packets[1],
			 4);
	flowtab_free(ft);
}

/* The smallest tables: one flow, and none at all. */
static void test_tiny_bounds(void **state)
{
	(void)state;
	struct flowtab *ft = flowtab_new(1);
	struct packet a = mkpkt(TUPLE_V4, "10.0.0.1", 1, "10.0.0.2", 2, 6, 40, PKT_DIR_OUT);
	struct packet b = mkpkt(TUPLE_V4, "10.0.0.1", 1, "10.0.0.3", 2, 6, 60, PKT_DIR_IN);
	struct tuple c;

	assert_true(flowtab_add(ft, &a, &c));
	assert_false(flowtab_add(ft, &b, &c));
	assert_false(flowtab_add(ft, &b, &c));
	assert_int_equal(flowtab_count(ft), 1);
	assert_int_equal(flowtab_overflow(ft)->bytes[1], 120);
	assert_int_equal(flowtab_overflow(ft)->packets[1], 2);
	assert_int_equal(flowtab_overflow(ft)->packets[0], 0);
	flowtab_free(ft);

	ft = flowtab_new(0);
	assert_non_null(ft);
	assert_false(flowtab_add(ft, &a, &c));
	assert_int_equal(flowtab_count(ft), 0);
	assert_int_equal(flowtab_overflow(ft)->bytes[0], 40);
	assert_int_equal(flowtab_overflow(ft)->packets[0], 1);
	flowtab_free(ft);
}

/* ---- flows with times (--connections) ---- */

static struct packet timed(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			   int64_t ts)
{
	struct packet p = mkpkt(TUPLE_V4, src, sport, dst, dport, 6, 100, PKT_DIR_UNKNOWN);

	p.ts_us = ts;
	return p;
}

/* The index of the flow whose canonical key is t's. */
static size_t flow_of(const struct flowtab *ft, const struct tuple *t)
{
	struct tuple k = *t;

	tuple_canonical(&k);
	for (size_t i = 0; i < flowtab_count(ft); i++) {
		if (memcmp(flowtab_key(ft, i), &k, sizeof(k)) == 0)
			return i;
	}
	fail_msg("no such flow");
	return 0;
}

/* First and last: the earliest and the latest packet, in whatever order they came. */
static void test_times_out_of_order(void **state)
{
	static const int64_t order[] = { 50, 10, 70, 30, 70, 10, 60 };
	struct flowtab *ft = flowtab_new_timed(100, true);
	struct packet a, b;
	struct tuple c;
	int64_t first, last;

	(void)state;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		/* both directions of one flow */
		a = timed(i % 2 ? "10.0.0.2" : "10.0.0.1", i % 2 ? 80 : 5000,
			  i % 2 ? "10.0.0.1" : "10.0.0.2", i % 2 ? 5000 : 80,
			  1700000000000000LL + order[i]);
		flowtab_add(ft, &a, &c);
	}
	/* A second flow: one packet, so first = last; before 1970 even. */
	b = timed("10.0.0.9", 1, "10.0.0.1", 2, -5);
	assert_true(flowtab_add(ft, &b, &c));
	assert_int_equal(flowtab_count(ft), 2);
	flowtab_times(ft, flow_of(ft, &a.t), &first, &last);
	assert_int_equal(first, 1700000000000010LL);
	assert_int_equal(last, 1700000000000070LL);
	flowtab_times(ft, flow_of(ft, &b.t), &first, &last);
	assert_int_equal(first, -5);
	assert_int_equal(last, -5);
	/* A later packet of b moves its last only; an earlier one its first only. */
	b.ts_us = 100;
	flowtab_add(ft, &b, &c);
	b.ts_us = -7;
	flowtab_add(ft, &b, &c);
	flowtab_times(ft, flow_of(ft, &b.t), &first, &last);
	assert_int_equal(first, -7);
	assert_int_equal(last, 100);
	/* The counters are kept as without times. */
	assert_int_equal(flowtab_counts(ft, flow_of(ft, &a.t))->packets[0] +
			 flowtab_counts(ft, flow_of(ft, &a.t))->packets[1], 7);
	assert_int_equal(flowtab_counts(ft, flow_of(ft, &b.t))->bytes[1], 300);	/* from the higher end */
	flowtab_free(ft);
}

/* Without the flag, no times: 0 and 0, whatever the packets said. */
static void test_no_times_without_flag(void **state)
{
	struct flowtab *tabs[2] = { flowtab_new(10), flowtab_new_timed(10, false) };

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct packet p = timed("10.0.0.1", 1, "10.0.0.2", 2, 1700000000000000LL);
		struct tuple c;
		int64_t first = 1, last = 1;

		assert_non_null(tabs[k]);
		flowtab_add(tabs[k], &p, &c);
		p.ts_us += 5;
		flowtab_add(tabs[k], &p, &c);
		flowtab_times(tabs[k], 0, &first, &last);
		assert_int_equal(first, 0);
		assert_int_equal(last, 0);
		assert_int_equal(flowtab_counts(tabs[k], 0)->packets[0], 2);
		flowtab_free(tabs[k]);
	}
}

/*
 * The file pipeline (prepare, prefetch, commit, a few packets apart) keeps
 * the same counters and times as flowtab_add, packet by packet; packets of
 * flows beyond the bound give no flow a time.
 */
static void test_times_pipeline(void **state)
{
	enum { N = 20000, FLOWS = 300, MAX = 250, RING = 8, FETCH = 2, COUNT = 5 };
	struct flowtab *piped = flowtab_new_timed(MAX, true), *plain = flowtab_new_timed(MAX, true);
	static struct packet pk[N];
	static int64_t lo[FLOWS], hi[FLOWS];
	static bool seen[FLOWS];
	struct flow_prep ring[RING];
	uint64_t x = 2024;
	struct tuple c;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		uint64_t r = rng_next(&x);
		int f = (int)(r % FLOWS);
		char a[32];

		snprintf(a, sizeof(a), "10.1.%d.%d", f / 200, f % 200 + 1);
		/* times mostly rising, often out of order, some equal */
		int64_t ts = 1000000 + (int64_t)i * 3 - (int64_t)((r >> 16) % 500);
		pk[i] = r >> 40 & 1 ? timed(a, 443, "10.9.9.9", 5555, ts)
				    : timed("10.9.9.9", 5555, a, 443, ts);
		pk[i].ip_len = (uint32_t)(40 + (r >> 24) % 1400);
		pk[i].dir = (uint8_t)((r >> 41) % 3);
		flowtab_add(plain, &pk[i], &c);
	}
	/* The pipeline, as session.c runs it (depths of its own). */
	for (size_t n = 0; n < N + COUNT; n++) {
		if (n < N)
			flowtab_prepare(piped, &pk[n], &ring[n % RING]);
		if (n >= FETCH && n - FETCH < N)
			flowtab_prefetch(piped, &ring[(n - FETCH) % RING]);
		if (n >= COUNT)
			flowtab_commit(piped, &ring[(n - COUNT) % RING]);
	}
	assert_int_equal(flowtab_count(piped), MAX);
	assert_int_equal(flowtab_count(plain), MAX);
	/* The expected times: per flow, over its packets, in the first MAX flows made. */
	for (size_t i = 0; i < N; i++) {
		int f = -1;
		struct tuple k = pk[i].t;
		tuple_canonical(&k);
		for (size_t j = 0; j < MAX; j++) {
			if (memcmp(flowtab_key(plain, j), &k, sizeof(k)) == 0)
				f = (int)j;
		}
		if (f < 0)
			continue;	/* in the overflow bucket */
		if (!seen[f] || pk[i].ts_us < lo[f])
			lo[f] = pk[i].ts_us;
		if (!seen[f] || pk[i].ts_us > hi[f])
			hi[f] = pk[i].ts_us;
		seen[f] = true;
	}
	for (size_t j = 0; j < MAX; j++) {
		int64_t f1, l1, f2, l2;

		assert_true(seen[j]);
		assert_memory_equal(flowtab_key(piped, j), flowtab_key(plain, j), sizeof(struct tuple));
		assert_memory_equal(flowtab_counts(piped, j), flowtab_counts(plain, j),
				    sizeof(struct flow_counts));
		flowtab_times(plain, j, &f1, &l1);
		flowtab_times(piped, j, &f2, &l2);
		assert_int_equal(f1, lo[j]);
		assert_int_equal(l1, hi[j]);
		assert_int_equal(f2, lo[j]);
		assert_int_equal(l2, hi[j]);
		assert_true(f1 < l1);
	}
	assert_memory_equal(flowtab_overflow(piped), flowtab_overflow(plain), sizeof(struct flow_counts));
	assert_true(flowtab_overflow(plain)->packets[0] + flowtab_overflow(plain)->packets[1] > 0);
	flowtab_free(piped);
	flowtab_free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tuple_canonical),
		cmocka_unit_test(test_endpoint_cmp_order),
		cmocka_unit_test(test_both_directions_one_flow),
		cmocka_unit_test(test_distinct_flows),
		cmocka_unit_test(test_many_flows),
		cmocka_unit_test(test_bound_and_overflow),
		cmocka_unit_test(test_tiny_bounds),
		cmocka_unit_test(test_times_out_of_order),
		cmocka_unit_test(test_no_times_without_flag),
		cmocka_unit_test(test_times_pipeline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
