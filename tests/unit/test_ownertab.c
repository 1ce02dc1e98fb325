/*
 * test_ownertab.c - the table of socket owners by their ends: which
 * report answers a flow end (exact, local, wildcard, dual-stack), the
 * newer report winning per namespace, namespaces kept apart, IPv4-mapped
 * ends, closes, and the bound.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../core/ownertab.h"
#include "../../core/tuple.h"

static struct owner own(uint32_t tgid, uint64_t netns, uint64_t seen, uint64_t cookie)
{
	struct owner o;

	memset(&o, 0, sizeof(o));
	o.tgid = tgid;
	o.netns = netns;
	o.seen_ns = seen;
	o.sock_cookie = cookie;
	snprintf(o.comm, sizeof(o.comm), "p%u", tgid);
	return o;
}

static void addr4(uint8_t *a, const char *s)
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

static void addr6(uint8_t *a, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static struct owner_key key4(int proto, const char *la, uint16_t lp, const char *ra, uint16_t rp)
{
	struct owner_key k;

	memset(&k, 0, sizeof(k));
	k.family = TUPLE_V4;
	k.proto = (uint8_t)proto;
	addr4(k.laddr, la);
	addr4(k.raddr, ra);
	k.lport = lp;
	k.rport = rp;
	return k;
}

static struct tuple tup4(int proto, const char *s, uint16_t sp, const char *d, uint16_t dp)
{
	struct tuple t;

	memset(&t, 0, sizeof(t));
	t.family = TUPLE_V4;
	t.proto = (uint8_t)proto;
	addr4(t.src, s);
	addr4(t.dst, d);
	t.sport = sp;
	t.dport = dp;
	return t;
}

/* Exact before local before wildcard; either end of a tuple. */
static void test_lookup_order(void **state)
{
	struct ownertab *t = ownertab_new(100);
	struct owner_key k;
	struct owner o, got;
	struct tuple tp = tup4(IPPROTO_TCP, "10.0.0.1", 40000, "10.0.0.2", 80);

	(void)state;
	assert_int_equal(ownertab_lookup(t, &tp, 0, 0, &got), OWNER_MATCH_NONE);
	k = key4(IPPROTO_TCP, "0.0.0.0", 80, "0.0.0.0", 0);
	o = own(1, 0, 1, 11);
	assert_int_equal(ownertab_put(t, &k, &o), 1);
	/* End 1 is 10.0.0.2:80, talking to 10.0.0.1:40000: the wildcard listener. */
	assert_int_equal(ownertab_lookup(t, &tp, 1, 0, &got), OWNER_MATCH_WILDCARD);
	assert_int_equal(got.tgid, 1);
	assert_int_equal(ownertab_lookup(t, &tp, 0, 0, &got), OWNER_MATCH_NONE);

	k = key4(IPPROTO_TCP, "10.0.0.2", 80, "0.0.0.0", 0);
	o = own(2, 0, 2, 12);
	assert_int_equal(ownertab_put(t, &k, &o), 1);
	assert_int_equal(ownertab_lookup(t, &tp, 1, 0, &got), OWNER_MATCH_LOCAL);
	assert_int_equal(got.tgid, 2);

	k = key4(IPPROTO_TCP, "10.0.0.2", 80, "10.0.0.1", 40000);
	o = own(3, 0, 3, 13);
	assert_int_equal(ownertab_put(t, &k, &o), 1);
	assert_int_equal(ownertab_lookup(t, &tp, 1, 0, &got), OWNER_MATCH_EXACT);
	assert_int_equal(got.tgid, 3);
	assert_string_equal(got.comm, "p3");

	/* The other protocol, or the other end, is not that socket. */
	tp.proto = IPPROTO_UDP;
	assert_int_equal(ownertab_lookup(t, &tp, 1, 0, &got), OWNER_MATCH_NONE);
	ownertab_free(t);
}

/* A later report replaces an earlier one; an older one arriving late does not. */
static void test_newer_wins(void **state)
{
	struct ownertab *t = ownertab_new(100);
	struct owner_key k = key4(IPPROTO_UDP, "127.0.0.1", 5000, "127.0.0.1", 53);
	struct tuple tp = tup4(IPPROTO_UDP, "127.0.0.1", 5000, "127.0.0.1", 53);
	struct owner o, got;
	struct ownertab_stats st;

	(void)state;
	o = own(10, 7, 100, 1);
	assert_int_equal(ownertab_put(t, &k, &o), 1);
	o = own(20, 7, 200, 1);	/* the socket passed to another process */
	assert_int_equal(ownertab_put(t, &k, &o), 1);
	o = own(30, 7, 150, 1);	/* a report from before that, read late */
	assert_int_equal(ownertab_put(t, &k, &o), 0);
	assert_int_equal(ownertab_lookup(t, &tp, 0, 7, &got), OWNER_MATCH_EXACT);
	assert_int_equal(got.tgid, 20);
	ownertab_stats(t, &st);
	assert_int_equal(st.keys, 1);
	assert_int_equal(st.records, 1);
	ownertab_free(t);
}

/* The same ends in two namespaces: each answers for its own; any: the latest, marked. */
static void test_namespaces(void **state)
{
	struct ownertab *t = ownertab_new(100);
	struct owner_key k = key4(IPPROTO_UDP, "127.0.0.1", 53, "0.0.0.0", 0);
	struct tuple tp = tup4(IPPROTO_UDP, "127.0.0.1", 53, "127.0.0.1", 9999);
	struct owner o, got;

	(void)state;
	o = own(1, 1000, 5, 1);
	assert_int_equal(ownertab_put(t, &k, &o), 1);
	o = own(2, 2000, 4, 2);
	assert_int_equal(ownertab_put(t, &k, &o), 1);
	assert_int_equal(ownertab_lookup(t, &tp, 0, 1000, &got), OWNER_MATCH_LOCAL);
	assert_int_equal(got.tgid, 1);
	assert_false(got.flags & OWNER_F_AMBIGUOUS);
	assert_int_equal(ownertab_lookup(t, &tp, 0, 2000, &got), OWNER_MATCH_LOCAL);
	assert_int_equal(got.tgid, 2);
	assert_int_equal(ownertab_lookup(t, &tp, 0, 3000, &got), OWNER_MATCH_NONE);
	assert_int_equal(ownertab_lookup(t, &tp, 0, 0, &got), OWNER_MATCH_LOCAL);
	assert_int_equal(got.tgid, 1);
	assert_true(got.flags & OWNER_F_AMBIGUOUS);

	/* A report whose namespace is unknown answers for any namespace asked. */
	k = key4(IPPROTO_UDP, "127.0.0.1", 54, "0.0.0.0", 0);
	o = own(3, 0, 1, 3);
	assert_int_equal(ownertab_put(t, &k, &o), 1);
	tp.sport = 54;
	assert_int_equal(ownertab_lookup(t, &tp, 0, 1000, &got), OWNER_MATCH_LOCAL);
	assert_int_equal(got.tgid, 3);
	ownertab_free(t);
}

/* A dual-stack socket: v4-mapped ends become IPv4; an IPv6 wildcard answers IPv4 too. */
static void test_v4mapped_and_dual_stack(void **state)
{
	struct ownertab *t = ownertab_new(100);
	struct owner_key k;
	struct owner o, got;
	struct tuple tp = tup4(IPPROTO_TCP, "127.0.0.1", 41000, "127.0.0.1", 8080);

	(void)state;
	memset(&k, 0, sizeof(k));
	k.family = TUPLE_V6;
	k.proto = IPPROTO_TCP;
	addr6(k.laddr, "::ffff:127.0.0.1");
	addr6(k.raddr, "::ffff:127.0.0.1");
	k.lport = 41000;
	k.rport = 8080;
	owner_key_unmap(&k);
	assert_int_equal(k.family, TUPLE_V4);
	assert_memory_equal(k.laddr, ((uint8_t[16]){127, 0, 0, 1}), 16);
	assert_memory_equal(k.raddr, ((uint8_t[16]){127, 0, 0, 1}), 16);
	o = own(5, 0, 1, 5);
	assert_int_equal(ownertab_put(t, &k, &o), 1);
	assert_int_equal(ownertab_lookup(t, &tp, 0, 0, &got), OWNER_MATCH_EXACT);
	assert_int_equal(got.tgid, 5);

	/* A v6 socket bound to :: port 8080 takes the v4 peer's end. */
	memset(&k, 0, sizeof(k));
	k.family = TUPLE_V6;
	k.proto = IPPROTO_TCP;
	k.lport = 8080;
	owner_key_unmap(&k);
	assert_int_equal(k.family, TUPLE_V6);
	o = own(6, 0, 2, 6);
	assert_int_equal(ownertab_put(t, &k, &o), 1);
	assert_int_equal(ownertab_lookup(t, &tp, 1, 0, &got), OWNER_MATCH_WILDCARD);
	assert_int_equal(got.tgid, 6);

	/* A connected v6 socket on :: (not yet given its address) to a mapped peer: IPv4. */
	memset(&k, 0, sizeof(k));
	k.family = TUPLE_V6;
	addr6(k.raddr, "::ffff:10.1.2.3");
	owner_key_unmap(&k);
	assert_int_equal(k.family, TUPLE_V4);
	assert_memory_equal(k.laddr, ((uint8_t[16]){0}), 16);
	assert_memory_equal(k.raddr, ((uint8_t[16]){10, 1, 2, 3}), 16);
	/* A real IPv6 pair stays as it is. */
	memset(&k, 0, sizeof(k));
	k.family = TUPLE_V6;
	addr6(k.laddr, "fd00::1");
	addr6(k.raddr, "::ffff:10.1.2.3");
	owner_key_unmap(&k);
	assert_int_equal(k.family, TUPLE_V6);
	ownertab_free(t);
}

static void test_closed(void **state)
{
	struct ownertab *t = ownertab_new(100);
	struct owner_key k = key4(IPPROTO_TCP, "127.0.0.1", 1, "127.0.0.1", 2);
	struct tuple tp = tup4(IPPROTO_TCP, "127.0.0.1", 1, "127.0.0.1", 2);
	struct owner o = own(1, 0, 1, 77), got;

	(void)state;
	assert_int_equal(ownertab_put(t, &k, &o), 1);
	assert_int_equal(ownertab_lookup(t, &tp, 0, 0, &got), OWNER_MATCH_EXACT);
	assert_int_equal(got.closed_ns, 0);
	assert_int_equal(ownertab_closed(t, 77, 999), 0);
	assert_int_equal(ownertab_lookup(t, &tp, 0, 0, &got), OWNER_MATCH_EXACT);
	assert_int_equal(got.closed_ns, 999);
	assert_int_equal(got.tgid, 1);
	ownertab_free(t);
}

/* The bound holds: a full table keeps what it has and counts what it refused. */
static void test_bound(void **state)
{
	struct ownertab *t = ownertab_new(3);
	struct ownertab_stats st;
	struct owner o, got;
	struct tuple tp;
	int kept = 0;

	(void)state;
	for (uint16_t p = 1; p <= 5; p++) {
		struct owner_key k = key4(IPPROTO_UDP, "127.0.0.1", p, "0.0.0.0", 0);

		o = own(p, 0, p, p);
		if (ownertab_put(t, &k, &o) == 1)
			kept++;
	}
	assert_int_equal(kept, 3);
	ownertab_stats(t, &st);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.full, 2);
	tp = tup4(IPPROTO_UDP, "127.0.0.1", 3, "127.0.0.1", 9);
	assert_int_equal(ownertab_lookup(t, &tp, 0, 0, &got), OWNER_MATCH_LOCAL);
	assert_int_equal(got.tgid, 3);
	tp.sport = 4;
	assert_int_equal(ownertab_lookup(t, &tp, 0, 0, &got), OWNER_MATCH_NONE);
	/* A report for ends already there still replaces, full or not. */
	{
		struct owner_key k = key4(IPPROTO_UDP, "127.0.0.1", 3, "0.0.0.0", 0);

		o = own(33, 0, 100, 3);
		assert_int_equal(ownertab_put(t, &k, &o), 1);
	}
	tp.sport = 3;
	assert_int_equal(ownertab_lookup(t, &tp, 0, 0, &got), OWNER_MATCH_LOCAL);
	assert_int_equal(got.tgid, 33);
	ownertab_free(t);
}

/* Many sockets: each answers for its own ends, none for another's. */
static void test_many(void **state)
{
	enum { N = 20000 };
	struct ownertab *t = ownertab_new(N);
	struct owner o, got;

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		struct owner_key k;

		memset(&k, 0, sizeof(k));
		k.family = TUPLE_V4;
		k.proto = IPPROTO_TCP;
		k.laddr[0] = 10;
		k.laddr[3] = (uint8_t)(i >> 8);
		k.raddr[0] = 10;
		k.raddr[3] = 1;
		k.lport = (uint16_t)(1000 + (i & 0xff));
		k.rport = 443;
		o = own(i + 1, 0, i, i);
		assert_int_equal(ownertab_put(t, &k, &o), 1);
	}
	for (uint32_t i = 0; i < N; i += 7) {
		struct tuple tp;

		memset(&tp, 0, sizeof(tp));
		tp.family = TUPLE_V4;
		tp.proto = IPPROTO_TCP;
		tp.dst[0] = 10;
		tp.dst[3] = (uint8_t)(i >> 8);
		tp.src[0] = 10;
		tp.src[3] = 1;
		tp.dport = (uint16_t)(1000 + (i & 0xff));
		tp.sport = 443;
		assert_int_equal(ownertab_lookup(t, &tp, 1, 0, &got), OWNER_MATCH_EXACT);
		assert_int_equal(got.tgid, i + 1);
		assert_int_equal(ownertab_lookup(t, &tp, 0, 0, &got), OWNER_MATCH_NONE);
	}
	ownertab_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_order),
		cmocka_unit_test(test_newer_wins),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_v4mapped_and_dual_stack),
		cmocka_unit_test(test_closed),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
