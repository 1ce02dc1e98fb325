/*
 * test_localaddr.c - this host's addresses and prefixes per namespace
 * (core/localaddr.h): the answers of the linear list it replaced, checked
 * against that list itself on random prefixes.
 */
#include "unit.h"

#include <stdlib.h>

#include "../../core/localaddr.h"
#include "../../core/tuple.h"
#include "helpers.h"

static struct local_prefix pfx(int family, const char *text, unsigned len)
{
	struct local_prefix p;

	memset(&p, 0, sizeof(p));
	p.family = (uint8_t)family;
	p.len = (uint8_t)len;
	addr_parse(p.addr, family, text);
	return p;
}

/* The namespaces of text; n of them, the first in *first. */
static size_t find(const struct localaddr *la, int family, const char *text, uint8_t *first)
{
	uint8_t a[16], out[LOCALADDR_NS_PER_ADDR];
	size_t n;

	addr_parse(a, family, text);
	n = localaddr_find(la, family, a, out);
	assert_true(n <= LOCALADDR_NS_PER_ADDR);
	if (n && first)
		*first = out[0];
	return n;
}

static void add(struct localaddr *la, int family, const char *text, unsigned len, uint8_t ns)
{
	struct local_prefix p = pfx(family, text, len);

	localaddr_add(la, &p, ns);
}

static void test_addresses(void **state)
{
	struct localaddr *la = localaddr_new();
	uint8_t a[16], out[LOCALADDR_NS_PER_ADDR], ns = 99;

	(void)state;
	assert_non_null(la);
	assert_false(localaddr_any(la));
	add(la, TUPLE_V4, "10.0.0.5", 32, 0);
	assert_true(localaddr_any(la));
	assert_int_equal(find(la, TUPLE_V4, "10.0.0.5", &ns), 1);
	assert_int_equal(ns, 0);
	assert_int_equal(find(la, TUPLE_V4, "10.0.0.6", NULL), 0);
	/* One address in several namespaces: each once, the first few, in order. */
	for (uint8_t i = 7; i > 0; i--)
		add(la, TUPLE_V4, "10.0.0.5", 32, i);
	add(la, TUPLE_V4, "10.0.0.5", 32, 0);
	addr_parse(a, TUPLE_V4, "10.0.0.5");
	assert_int_equal(localaddr_find(la, TUPLE_V4, a, out), 4);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 7);
	assert_int_equal(out[2], 6);
	assert_int_equal(out[3], 5);
	/* IPv6, and the family counts. */
	add(la, TUPLE_V6, "fd00::5", 128, 3);
	assert_int_equal(find(la, TUPLE_V6, "fd00::5", &ns), 1);
	assert_int_equal(ns, 3);
	assert_int_equal(find(la, TUPLE_V6, "fd00::6", NULL), 0);
	/* IPv6 bytes that start as 10.0.0.5 does. */
	memset(a, 0, 16);
	memcpy(a, "\x0a\x00\x00\x05", 4);
	assert_int_equal(localaddr_find(la, TUPLE_V6, a, out), 0);
	/* Lengths beyond the address, and unknown families, are not taken. */
	struct local_prefix bad = pfx(TUPLE_V4, "10.9.9.9", 32);
	bad.len = 33;
	localaddr_add(la, &bad, 1);
	bad.len = 32;
	bad.family = 5;
	localaddr_add(la, &bad, 1);
	assert_int_equal(find(la, TUPLE_V4, "10.9.9.9", NULL), 0);
	localaddr_free(la);
	localaddr_free(NULL);
}

static void test_prefixes(void **state)
{
	struct localaddr *la = localaddr_new();
	uint8_t ns = 99;

	(void)state;
	assert_non_null(la);
	add(la, TUPLE_V4, "127.0.0.0", 8, 0);
	add(la, TUPLE_V4, "172.16.0.0", 12, 1);
	/* Not masked as given: the prefix is its first bits. */
	add(la, TUPLE_V4, "192.168.77.99", 20, 2);
	assert_int_equal(find(la, TUPLE_V4, "127.0.0.1", &ns), 1);
	assert_int_equal(ns, 0);
	assert_int_equal(find(la, TUPLE_V4, "127.255.255.254", NULL), 1);
	assert_int_equal(find(la, TUPLE_V4, "128.0.0.0", NULL), 0);
	assert_int_equal(find(la, TUPLE_V4, "126.255.255.255", NULL), 0);
	assert_int_equal(find(la, TUPLE_V4, "172.31.255.255", &ns), 1);
	assert_int_equal(ns, 1);
	assert_int_equal(find(la, TUPLE_V4, "172.32.0.0", NULL), 0);
	assert_int_equal(find(la, TUPLE_V4, "172.15.255.255", NULL), 0);
	assert_int_equal(find(la, TUPLE_V4, "192.168.64.0", &ns), 1);
	assert_int_equal(ns, 2);
	assert_int_equal(find(la, TUPLE_V4, "192.168.79.255", NULL), 1);
	assert_int_equal(find(la, TUPLE_V4, "192.168.80.0", NULL), 0);
	/* The first prefix added that holds an address gives its namespace, */
	add(la, TUPLE_V4, "127.0.0.0", 16, 5);
	assert_int_equal(find(la, TUPLE_V4, "127.0.3.4", &ns), 1);
	assert_int_equal(ns, 0);
	/* ... also the same prefix again from another namespace, */
	add(la, TUPLE_V4, "172.16.0.0", 12, 6);
	assert_int_equal(find(la, TUPLE_V4, "172.20.0.1", &ns), 1);
	assert_int_equal(ns, 1);
	/* ... but an address of its own comes first. */
	add(la, TUPLE_V4, "127.0.0.1", 32, 7);
	assert_int_equal(find(la, TUPLE_V4, "127.0.0.1", &ns), 1);
	assert_int_equal(ns, 7);
	/* A /0 holds every address of its family, none of the other. */
	assert_int_equal(find(la, TUPLE_V4, "8.8.8.8", NULL), 0);
	add(la, TUPLE_V4, "0.0.0.0", 0, 9);
	assert_int_equal(find(la, TUPLE_V4, "8.8.8.8", &ns), 1);
	assert_int_equal(ns, 9);
	assert_int_equal(find(la, TUPLE_V6, "2001:db8::1", NULL), 0);
	/* IPv6 prefixes work alike. */
	add(la, TUPLE_V6, "2001:db8:aa00::", 40, 4);
	assert_int_equal(find(la, TUPLE_V6, "2001:db8:aaff::1", &ns), 1);
	assert_int_equal(ns, 4);
	assert_int_equal(find(la, TUPLE_V6, "2001:db8:ab00::1", NULL), 0);
	localaddr_free(la);
}

/* ---- against the list it replaced ---- */

struct ref {
	struct local_prefix p[4096];
	uint8_t ns[4096];
	size_t n;
};

/* The old resolver's list: the first prefix (in order added) that holds addr. */
static int ref_find(const struct ref *r, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct local_prefix *p = &r->p[i];
		size_t full = p->len / 8;
		unsigned rest = p->len % 8;

		if (p->family != family || memcmp(p->addr, addr, full) != 0)
			continue;
		if (rest == 0 || ((p->addr[full] ^ addr[full]) & (0xff00 >> rest)) == 0)
			return r->ns[i];
	}
	return -1;
}

static void random_addr(uint64_t *rng, int family, uint8_t *a)
{
	uint64_t x = rng_next(rng), y = rng_next(rng);

	memset(a, 0, 16);
	(void)family;
	/* Few values, so that prefixes and addresses meet often. */
	a[0] = (uint8_t)(10 + x % 3);
	a[1] = (uint8_t)(x >> 8);
	a[2] = (uint8_t)y % 4;
	a[3] = (uint8_t)(y >> 8);
}

static void test_same_answers_as_the_list(void **state)
{
	static struct ref ref;
	uint64_t rng = 12345;

	(void)state;
	for (int round = 0; round < 20; round++) {
		struct localaddr *la = localaddr_new();
		int family = round % 2 ? TUPLE_V6 : TUPLE_V4;
		unsigned bits = family == TUPLE_V6 ? 128 : 32;

		size_t hits = 0;

		assert_non_null(la);
		ref.n = 0;
		for (size_t i = 0; i < 1000; i++) {
			struct local_prefix p;
			uint8_t ns = (uint8_t)(rng_next(&rng) % 256);

			memset(&p, 0, sizeof(p));
			p.family = (uint8_t)family;
			/* Prefixes only; one short, which holds a third of the addresses. */
			p.len = (uint8_t)(i == 500 ? 9 + rng_next(&rng) % 3
						   : 16 + rng_next(&rng) % (bits - 16));
			random_addr(&rng, family, p.addr);
			if (i == 500)
				p.addr[0] = 12;
			localaddr_add(la, &p, ns);
			ref.p[ref.n] = p;
			ref.ns[ref.n++] = ns;
		}
		for (int i = 0; i < 20000; i++) {
			uint8_t a[16], out[LOCALADDR_NS_PER_ADDR];
			size_t n;
			int want;

			random_addr(&rng, family, a);
			n = localaddr_find(la, family, a, out);
			want = ref_find(&ref, family, a);
			assert_int_equal(n, want < 0 ? 0 : 1);
			if (want >= 0)
				assert_int_equal(out[0], want);
			hits += n;
		}
		/* Both answers were asked for, many times. */
		assert_true(hits > 2000 && hits < 18000);
		localaddr_free(la);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_same_answers_as_the_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
