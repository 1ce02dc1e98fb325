/*
 * test_resolve_oom.c - the resolver (core/resolve.h) when memory runs out.
 *
 * This binary is linked with -Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc
 * (see the Makefile): every allocation the library makes goes through the
 * wrappers below, which can be told to fail the Nth one. Memory they hand
 * out uninitialised is filled with 0x5a, as a debugging allocator does, so
 * that a slot read before it was written shows as a wild index (0x5a5a5a5a)
 * or count (0x5a), not as a lucky zero: the old code's maps could hold a key
 * whose value was never written (an inode with no owner slot, a pid with no
 * proc slot, an address with no namespace list), and a later, successful
 * growth of the value array made that garbage readable.
 *
 * Each case fails one allocation of a pass, for every allocation the pass
 * makes (1, 2, 3, ... until a pass runs through without reaching N), then
 * lets the following passes run with memory, and asks every lookup the
 * standard fixture (helpers.h) answers: each must give the right process or
 * no process at all (what was lost to the failure), never another process,
 * never a crash. Under ASan (make asan) a read past an array is also caught.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/decode.h"
#include "../../core/flowtab.h"
#include "../../core/pins.h"
#include "../../core/resolve.h"
#include "lookup_at.h"
#include "helpers.h"

/* ---- the allocation wrappers ---- */

void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
void *__real_calloc(size_t n, size_t size);
void *__wrap_malloc(size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_calloc(size_t n, size_t size);

#define FILL 0x5a

/* Test state: the count of allocations since armed, and the one to fail (0: none). */
static unsigned long allocs, fail_at;
static bool failed;

static bool should_fail(void)
{
	if (fail_at == 0)
		return false;
	if (++allocs != fail_at)
		return false;
	failed = true;
	return true;
}

void *__wrap_malloc(size_t n)
{
	void *p;

	if (should_fail())
		return NULL;
	p = __real_malloc(n);
	if (p)
		memset(p, FILL, n);
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	if (should_fail())
		return NULL;
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	size_t old = p ? malloc_usable_size(p) : 0;
	void *q;

	if (should_fail())
		return NULL;
	q = __real_realloc(p, n);
	if (q && n > old)
		memset((char *)q + old, FILL, n - old);
	return q;
}

static void arm(unsigned long n)
{
	allocs = 0;
	failed = false;
	fail_at = n;
}

static void disarm(void)
{
	fail_at = 0;
}

/* ---- what the standard fixture must answer ---- */

struct want {
	int family, proto;
	const char *l;
	uint16_t lp;
	const char *r;
	uint16_t rp;
	int pid;	/* 0: no owner */
};

static const struct want wants[] = {
	{ TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000, 101 },
	{ TUPLE_V4, 6, "10.0.0.5", 80, "198.51.100.7", 1234, 100 },
	{ TUPLE_V4, 6, "10.0.0.5", 22, "198.51.100.1", 50000, 102 },
	{ TUPLE_V4, 6, "10.0.0.5", 3306, "192.0.2.50", 50000, 250 },
	{ TUPLE_V4, 6, "10.0.0.5", 3307, "192.0.2.50", 50001, 260 },
	{ TUPLE_V4, 6, "127.0.0.1", 5000, "127.0.0.1", 6000, 110 },
	{ TUPLE_V4, 6, "127.0.0.1", 6000, "127.0.0.1", 5000, 111 },
	{ TUPLE_V4, 6, "127.0.0.1", 6001, "127.0.0.1", 6002, 112 },
	{ TUPLE_V4, 6, "10.0.0.5", 9090, "192.0.2.9", 1234, 103 },
	{ TUPLE_V6, 6, "fd00::5", 8080, "2001:db8::9", 40000, 103 },
	{ TUPLE_V4, 17, "10.0.0.5", 53, "192.0.2.9", 5000, 104 },
	{ TUPLE_V4, 17, "224.0.0.251", 53, "192.0.2.9", 5353, 104 },
	{ TUPLE_V6, 17, "fd00::5", 123, "2001:db8::1", 123, 105 },
	{ TUPLE_V4, 6, "10.0.0.5", 8000, "192.0.2.9", 8001, 106 },
	{ TUPLE_V4, 6, "10.0.0.5", 8002, "192.0.2.9", 8003, 107 },
	{ TUPLE_V4, 6, "10.0.0.5", 5555, "192.0.2.9", 6000, 0 },
	{ TUPLE_V4, 6, "10.0.0.5", 7000, "192.0.2.9", 7001, 0 },
	{ TUPLE_V4, 6, "203.0.113.1", 22, "192.0.2.9", 4000, 0 },
};

#define NWANTS (sizeof(wants) / sizeof(wants[0]))

/* Every answer right, or no owner; the local addresses as the fixture has them. */
static void check_answers(const struct resolver *r, unsigned long n)
{
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		const struct want *w = &wants[i];
		const struct proc_info *p = NULL;
		uint8_t l[16], rem[16];
		enum owner_status st;

		addr_parse(l, w->family, w->l);
		addr_parse(rem, w->family, w->r);
		st = resolver_lookup_at(r, w->family, w->proto, l, w->lp, rem, w->rp, &p);
		if (st != OWNER_FOUND)
			continue;	/* lost to the failure: allowed */
		if (w->pid == 0 || p->pid != w->pid)
			fail_msg("allocation %lu failed: %s:%u <-> %s:%u is pid %d's, want %d", n,
				 w->l, w->lp, w->r, w->rp, p->pid, w->pid);
	}
	/* Not local, whatever was lost. */
	uint8_t a[16];
	addr_parse(a, TUPLE_V4, "10.0.0.6");
	assert_false(resolver_is_local(r, TUPLE_V4, a));
	addr_parse(a, TUPLE_V4, "172.32.0.0");
	assert_false(resolver_is_local(r, TUPLE_V4, a));
}

/*
 * fail the nth allocation of pass `which` (0: the first pass of a new
 * resolver, 1: the pass after a first one with memory), then two passes with
 * memory. False once the pass made fewer than n allocations.
 */
static bool one_failure(const char *root, unsigned long n, int which)
{
	struct resolver *r = resolver_new(root);
	bool reached;

	assert_non_null(r);
	if (which == 1) {
		assert_int_equal(resolver_refresh(r), 0);
		check_answers(r, 0);
	}
	arm(n);
	resolver_refresh(r);
	reached = failed;
	disarm();
	check_answers(r, n);
	resolver_refresh(r);
	resolver_refresh(r);
	check_answers(r, n);
	resolver_free(r);
	return reached;
}

static void failures_in_pass(int which)
{
	struct fixture fx;
	unsigned long n;

	fx_standard(&fx);
	for (n = 1; n < 100000 && one_failure(fx.root, n, which); n++)
		;
	/* The pass makes allocations: the loop above failed each of them once. */
	assert_true(n > 10);
	fx_free(&fx);
}

static void test_failures_in_first_pass(void **state)
{
	(void)state;
	failures_in_pass(0);
}

/*
 * The same in a second pass, where the maps already hold entries and
 * grow, among other things, the value arrays beside them.
 */
static void test_failures_in_later_pass(void **state)
{
	struct fixture fx;
	unsigned long n;
	static const uint64_t more[] = { 5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007,
					 5008, 5009, 5010, 5011, 5012, 5013, 5014, 5015,
					 5016, 5017, 5018, 5019 };

	(void)state;
	fx_standard(&fx);
	for (n = 1; n < 100000; n++) {
		struct resolver *r = resolver_new(fx.root);
		bool reached;

		assert_non_null(r);
		assert_int_equal(resolver_refresh(r), 0);
		/* Twenty new sockets and processes, and twenty new addresses. */
		char name[32], addr[32];
		const char *addrs[20];
		static char texts[20][32];
		for (int i = 0; i < 20; i++) {
			snprintf(name, sizeof(name), "new%d", i);
			fx_proc(fx.root, 2000 + i, name, 1, CMD("new\0"), 100 + (unsigned)i,
				&more[i], 1);
			snprintf(addr, sizeof(addr), "10.1.0.%d", i + 1);
			fx_add(&fx.udp, TUPLE_V4, addr, 7000, "0.0.0.0", 0, 7, more[i]);
			snprintf(texts[i], sizeof(texts[i]), "10.1.0.%d", i + 1);
			addrs[i] = texts[i];
		}
		fx_write_tables(&fx);
		fx_fib_trie(fx.root, addrs, 20);
		arm(n);
		resolver_refresh(r);
		reached = failed;
		disarm();
		resolver_refresh(r);
		resolver_refresh(r);
		for (int i = 0; i < 20; i++) {
			const struct proc_info *p = NULL;
			uint8_t l[16], rem[16];

			addr_parse(l, TUPLE_V4, texts[i]);
			addr_parse(rem, TUPLE_V4, "192.0.2.1");
			if (resolver_lookup_at(r, TUPLE_V4, 17, l, 7000, rem, 9, &p) == OWNER_FOUND &&
			    p->pid != 2000 + i)
				fail_msg("allocation %lu failed: 10.1.0.%d:7000 is pid %d's", n,
					 i + 1, p->pid);
		}
		resolver_free(r);
		/* Back to the standard fixture for the next round. */
		fx_free(&fx);
		fx_standard(&fx);
		if (!reached)
			break;
	}
	assert_true(n > 10);
	fx_free(&fx);
}

/* Every flow of wants[] (as packets from its local end), answered as text. */
static void answers(const struct pins *p, const struct resolver *r, const struct flowtab *ft,
		    char out[][128])
{
	for (size_t i = 0; i < flowtab_count(ft); i++) {
		struct attribution a;

		pins_attribute(p, r, i, flowtab_key(ft, i), &a);
		snprintf(out[i], 128, "%d/%d %d %d,%d", a.owner[0] ? a.owner[0]->pid : 0,
			 a.owner[1] ? a.owner[1]->pid : 0, a.reason, a.end_reason[0],
			 a.end_reason[1]);
	}
}

/*
 * A round of forgetting (pins.h) that runs out of memory at any of its
 * allocations pins nothing and forgets nothing, or does both whole:
 * every flow answered as before it either way.
 */
static void test_failures_in_round(void **state)
{
	static char before[NWANTS][128], after[NWANTS][128];
	unsigned long n;
	bool reached = true;

	(void)state;
	for (n = 1; reached && n < 100000; n++) {
		struct fixture fx;
		struct resolver *r;
		struct flowtab *ft = flowtab_new(100);
		struct pins *p = pins_new();

		fx_standard(&fx);
		r = resolver_new(fx.root);
		assert_non_null(r);
		assert_non_null(ft);
		assert_non_null(p);
		resolver_set_forget_min(r, 0);
		for (size_t i = 0; i < NWANTS; i++) {
			struct packet pk;
			struct tuple c;

			memset(&pk, 0, sizeof(pk));
			pk.t.family = (uint8_t)wants[i].family;
			pk.t.proto = (uint8_t)wants[i].proto;
			addr_parse(pk.t.src, wants[i].family, wants[i].l);
			addr_parse(pk.t.dst, wants[i].family, wants[i].r);
			pk.t.sport = wants[i].lp;
			pk.t.dport = wants[i].rp;
			pk.ip_len = 40;
			flowtab_add(ft, &pk, &c);
		}
		assert_int_equal(resolver_refresh(r), 0);
		/* The worker's connection and the loopback pair close; 101, 110 exit. */
		fx_table_init(&fx.tcp, TUPLE_V4);
		fx_add(&fx.tcp, TUPLE_V4, "10.0.0.5", 80, "0.0.0.0", 0, 0x0a, 1001);
		fx_add(&fx.tcp, TUPLE_V4, "0.0.0.0", 22, "0.0.0.0", 0, 0x0a, 1003);
		fx_write_tables(&fx);
		fx_rm(fx.root, "101");
		fx_rm(fx.root, "110");
		assert_int_equal(resolver_refresh(r), 0);
		assert_int_equal(resolver_refresh(r), 0);
		answers(p, r, ft, before);
		arm(n);
		pins_round(p, r, ft, flowtab_count(ft));
		reached = failed;
		disarm();
		answers(p, r, ft, after);
		for (size_t i = 0; i < flowtab_count(ft); i++) {
			if (strcmp(before[i], after[i]) != 0)
				fail_msg("allocation %lu of the round failed: flow %zu %s, was %s", n,
					 i, after[i], before[i]);
		}
		/* And the resolver goes on: a pass and a round with memory. */
		assert_int_equal(resolver_refresh(r), 0);
		pins_round(p, r, ft, flowtab_count(ft));
		answers(p, r, ft, after);
		for (size_t i = 0; i < flowtab_count(ft); i++)
			assert_string_equal(before[i], after[i]);
		pins_free(p);
		flowtab_free(ft);
		resolver_free(r);
		fx_free(&fx);
	}
	assert_true(n > 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failures_in_first_pass),
		cmocka_unit_test(test_failures_in_later_pass),
		cmocka_unit_test(test_failures_in_round),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
