/*
 * test_pktsock.c - packet sockets and injected frames (core/pktsock.h):
 * the net/packet parser on the kernel's lines and on broken ones, and who
 * is taken for the sender on a /proc stand-in (helpers.h's standard
 * fixture plus net/packet and the processes holding packet sockets).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../core/aggregate.h"
#include "../../core/conn.h"
#include "../../core/pktsock.h"
#include "helpers.h"

#define PKT_HEADER "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
#define SELF 99999	/* the fixture has no such process: proctraf is not in it */

/* One net/packet line as af_packet.c prints it. */
static void pkt_line(char *buf, size_t len, unsigned proto, int iface, int running,
		     uint64_t inode)
{
	snprintf(buf, len, "%016llx %-6d %-4d %04x   %-5d %1d %-6u %-6u %-6" PRIu64 "\n",
		 0xffff888012345678ULL, 3, 3, proto, iface, running, 0u, 0u, inode);
}

/* ---- the parser ---- */

static void test_parse_kernel_lines(void **state)
{
	struct pktsock_entry e;
	char line[160];

	(void)state;
	assert_false(pktsock_parse_line(PKT_HEADER, &e));
	pkt_line(line, sizeof(line), 0x0003, 1, 1, 9921656);
	assert_true(pktsock_parse_line(line, &e));
	assert_int_equal(e.proto, 0x0003);
	assert_int_equal(e.ifindex, 1);
	assert_true(e.running);
	assert_int_equal(e.type, 3);
	assert_int_equal(e.inode, 9921656);
	assert_false(e.rx_ring);
	/* A send-only socket bound to all interfaces; the pointer hidden (kptr_restrict). */
	assert_true(pktsock_parse_line(
		"0000000000000000 2      3    0000   0     0 0      1000   77\n", &e));
	assert_int_equal(e.proto, 0);
	assert_int_equal(e.ifindex, 0);
	assert_false(e.running);
	assert_int_equal(e.uid, 1000);
	/* Its interface gone: -1. */
	assert_true(pktsock_parse_line(
		"00000000a590096f 2      2    86DD   -1    0 0      0      78", &e));
	assert_int_equal(e.ifindex, -1);
	assert_int_equal(e.proto, 0x86dd);
	assert_int_equal(e.type, 2);
}

static void test_parse_broken_lines(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"0000000000000000 2 3 0000 0 0 0 0\n",		/* 8 fields */
		"0000000000000000 2 3 0000 0 0 0 0 77 9\n",	/* 10 */
		"0000000000000000 2 3 10000 0 0 0 0 77\n",	/* proto past 16 bits */
		"0000000000000000 2 3 00g0 0 0 0 0 77\n",
		"0000000000000000 2 3 0000 0 2 0 0 77\n",	/* R is 0 or 1 */
		"0000000000000000 2 3 0000 0 0 0 0 0\n",	/* inode 0 */
		"0000000000000000 2 3 0000 -2 0 0 0 77\n",
		"0000000000000000 2 3 0000 2147483648 0 0 0 77\n",
		"0000000000000000 2 3 0000 0 0 0 4294967296 77\n",	/* uid past 32 bits */
		"0000000000000000 2 3 0000 0 0 0 0 18446744073709551616\n",
		"0000000000000000 2 256 0000 0 0 0 0 77\n",
		"0000000000000000 -2 3 0000 0 0 0 0 77\n",
		"0000000000000000 2 3 0000 0 0 0 0 +77\n",
		"0000000000000000 2 3 0000 0 0 0 0 00000000000000000000000000000000077\n",
	};
	struct pktsock_entry e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pktsock_parse_line(bad[i], &e))
			fail_msg("accepted %zu: %s", i, bad[i]);
	}
	/* The largest values that fit are taken. */
	assert_true(pktsock_parse_line(
		"ffffffffffffffff 2147483647 255 ffff 2147483647 1 18446744073709551615 "
		"4294967295 18446744073709551615\n", &e));
	assert_int_equal(e.inode, UINT64_MAX);
	assert_int_equal(e.uid, UINT32_MAX);
	assert_int_equal(e.ifindex, INT32_MAX);
}

/* ---- who sent it, on a fixture ---- */

struct pt {
	struct fixture fx;
	struct resolver *r;
	struct pktsock *ps;
	char table[65536];
	size_t len;
};

static int setup(void **state)
{
	struct pt *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	fx_standard(&t->fx);
	t->r = resolver_new(t->fx.root);
	if (!t->r)
		return -1;
	t->len = (size_t)snprintf(t->table, sizeof(t->table), "%s", PKT_HEADER);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct pt *t = *state;

	if (t) {
		pktsock_free(t->ps);
		resolver_free(t->r);
		fx_free(&t->fx);
		free(t);
	}
	return 0;
}

static void add_sock(struct pt *t, unsigned proto, int iface, uint64_t inode)
{
	char line[160];

	pkt_line(line, sizeof(line), proto, iface, proto != 0, inode);
	t->len += (size_t)snprintf(t->table + t->len, sizeof(t->table) - t->len, "%s", line);
	assert_true(t->len < sizeof(t->table));
}

/* A process holding these packet sockets (and nothing else). */
static void holder(struct pt *t, int pid, const char *comm, const uint64_t *inodes, size_t n)
{
	fx_proc(t->fx.root, pid, comm, 0, CMD("x\0"), 20000 + (unsigned long long)pid, inodes, n);
}

/* Write net/packet, then a pass as a session makes it: the table, then the walk. */
static void refresh(struct pt *t, const int *ifindex, size_t nif)
{
	fx_puts(t->fx.root, "net/packet", t->table);
	pktsock_free(t->ps);
	t->ps = pktsock_new(t->fx.root, ifindex, nif);
	assert_non_null(t->ps);
	pktsock_set_self(t->ps, SELF);
	assert_int_equal(pktsock_refresh(t->ps, t->r), 0);
	assert_int_equal(resolver_refresh(t->r), 0);
}

static enum pktsock_who who(struct pt *t, int family, int *pid)
{
	const struct proc_info *p;
	enum pktsock_who w = pktsock_sender(t->ps, t->r, family, &p);

	*pid = p ? p->pid : -1;
	return w;
}

static void test_one_injector(void **state)
{
	struct pt *t = *state;
	static const uint64_t ino[] = { 5001 };
	int pid;

	add_sock(t, 0x0000, 2, 5001);
	holder(t, 400, "trafgen", ino, 1);
	refresh(t, NULL, 0);
	assert_int_equal(pktsock_count(t->ps), 1);
	assert_int_equal(who(t, TUPLE_V4, &pid), PKTSOCK_ONE);
	assert_int_equal(pid, 400);
	assert_int_equal(who(t, TUPLE_V6, &pid), PKTSOCK_ONE);
}

static void test_interfaces(void **state)
{
	struct pt *t = *state;
	static const uint64_t ino[] = { 5001 };
	static const int two[] = { 2 }, three[] = { 3, 4 };
	int pid;

	add_sock(t, 0x0000, 2, 5001);
	holder(t, 400, "trafgen", ino, 1);
	refresh(t, two, 1);
	assert_int_equal(who(t, TUPLE_V4, &pid), PKTSOCK_ONE);
	/* Bound to an interface not captured on: not the sender. */
	refresh(t, three, 2);
	assert_int_equal(who(t, TUPLE_V4, &pid), PKTSOCK_NONE);
	assert_int_equal(pid, -1);
}

/* By name: lo is 1 here; a name that is no interface, or "any": all of them. */
static void test_interfaces_by_name(void **state)
{
	struct pt *t = *state;
	static const uint64_t ino[] = { 5001 };
	static const char *const lo[] = { "lo" }, *const none[] = { "ptnosuch0" },
			  *const any[] = { "lo", "any" };
	const struct proc_info *p;

	add_sock(t, 0x0000, 7, 5001);
	holder(t, 400, "trafgen", ino, 1);
	refresh(t, NULL, 0);
	pktsock_free(t->ps);
	t->ps = pktsock_new_ifaces(t->fx.root, lo, 1);
	pktsock_set_self(t->ps, SELF);
	assert_int_equal(pktsock_refresh(t->ps, t->r), 0);
	assert_int_equal(pktsock_sender(t->ps, t->r, TUPLE_V4, &p), PKTSOCK_NONE);
	pktsock_free(t->ps);
	t->ps = pktsock_new_ifaces(t->fx.root, none, 1);
	assert_int_equal(pktsock_refresh(t->ps, t->r), 0);
	assert_int_equal(pktsock_sender(t->ps, t->r, TUPLE_V4, &p), PKTSOCK_ONE);
	pktsock_free(t->ps);
	t->ps = pktsock_new_ifaces(t->fx.root, any, 2);
	assert_int_equal(pktsock_refresh(t->ps, t->r), 0);
	assert_int_equal(pktsock_sender(t->ps, t->r, TUPLE_V4, &p), PKTSOCK_ONE);
	assert_int_equal(p->pid, 400);
}

static void test_all_interfaces_and_gone(void **state)
{
	struct pt *t = *state;
	static const uint64_t ino[] = { 5001 }, gone[] = { 5002 };
	static const int three[] = { 3 };
	int pid;

	add_sock(t, 0x0000, 0, 5001);	/* bound to every interface */
	add_sock(t, 0x0000, -1, 5002);	/* its interface removed */
	holder(t, 400, "trafgen", ino, 1);
	holder(t, 401, "stale", gone, 1);
	refresh(t, three, 1);
	assert_int_equal(who(t, TUPLE_V4, &pid), PKTSOCK_ONE);
	assert_int_equal(pid, 400);
}

static void test_protocols(void **state)
{
	struct pt *t = *state;
	static const uint64_t arp[] = { 5001 }, v4[] = { 5002 }, v6[] = { 5003 };
	int pid;

	add_sock(t, 0x0806, 0, 5001);	/* ARP only: no IP frame is its */
	add_sock(t, 0x0800, 0, 5002);
	add_sock(t, 0x86dd, 0, 5003);
	holder(t, 400, "arping", arp, 1);
	holder(t, 401, "gen4", v4, 1);
	holder(t, 402, "gen6", v6, 1);
	refresh(t, NULL, 0);
	assert_int_equal(who(t, TUPLE_V4, &pid), PKTSOCK_ONE);
	assert_int_equal(pid, 401);
	assert_int_equal(who(t, TUPLE_V6, &pid), PKTSOCK_ONE);
	assert_int_equal(pid, 402);
}

static void test_several_and_self(void **state)
{
	struct pt *t = *state;
	static const uint64_t a[] = { 5001, 5002 }, b[] = { 5003 };
	int pid;

	add_sock(t, 0x0003, 0, 5001);
	add_sock(t, 0x0000, 0, 5002);
	holder(t, 400, "gen", a, 2);	/* two sockets of one process: one sender */
	refresh(t, NULL, 0);
	assert_int_equal(who(t, TUPLE_V4, &pid), PKTSOCK_ONE);
	assert_int_equal(pid, 400);
	/* Another process with one: no guess. */
	add_sock(t, 0x0000, 0, 5003);
	holder(t, 401, "gen2", b, 1);
	refresh(t, NULL, 0);
	assert_int_equal(who(t, TUPLE_V4, &pid), PKTSOCK_SEVERAL);
	assert_int_equal(pid, -1);
	/* ... unless that one is proctraf itself (its capture). */
	pktsock_set_self(t->ps, 401);
	assert_int_equal(who(t, TUPLE_V4, &pid), PKTSOCK_ONE);
	assert_int_equal(pid, 400);
}

static void test_unknown_holder(void **state)
{
	struct pt *t = *state;
	static const uint64_t a[] = { 5001 };
	int pid;

	add_sock(t, 0x0000, 0, 5001);
	add_sock(t, 0x0000, 0, 5009);	/* no process of the fixture holds it */
	holder(t, 400, "gen", a, 1);
	refresh(t, NULL, 0);
	assert_int_equal(who(t, TUPLE_V4, &pid), PKTSOCK_SEVERAL);
}

static void test_no_table(void **state)
{
	struct pt *t = *state;
	struct tuple x;
	struct attribution a;

	t->ps = pktsock_new(t->fx.root, NULL, 0);
	assert_non_null(t->ps);
	assert_int_equal(pktsock_refresh(t->ps, t->r), -1);	/* no net/packet */
	assert_int_equal(pktsock_refresh(NULL, t->r), -1);
	assert_int_equal(pktsock_count(t->ps), 0);
	assert_int_equal(resolver_refresh(t->r), 0);
	memset(&x, 0, sizeof(x));
	x.family = TUPLE_V4;
	x.proto = 17;
	addr_parse(x.src, TUPLE_V4, "10.0.0.5");
	addr_parse(x.dst, TUPLE_V4, "192.0.2.77");
	x.sport = 40000;
	x.dport = 40001;
	attribute_flow(t->r, &x, &a);
	assert_int_equal(a.reason, REASON_NO_SOCKET);
	pktsock_attribute(t->ps, t->r, &x, &a);
	pktsock_attribute(NULL, t->r, &x, &a);
	assert_int_equal(a.reason, REASON_NO_SOCKET);
	assert_null(a.injector);
}

static void test_table_bound(void **state)
{
	struct pt *t = *state;
	size_t cap = (PKTSOCK_MAX + 10) * 100, len;
	char *big = malloc(cap);

	assert_non_null(big);
	len = (size_t)snprintf(big, cap, "%s", PKT_HEADER);
	for (unsigned i = 0; i < PKTSOCK_MAX + 10; i++) {
		char line[160];
		pkt_line(line, sizeof(line), 0, 0, 0, 100000 + i);
		len += (size_t)snprintf(big + len, cap - len, "%s", line);
	}
	fx_puts(t->fx.root, "net/packet", big);
	free(big);
	t->ps = pktsock_new(t->fx.root, NULL, 0);
	assert_int_equal(pktsock_refresh(t->ps, t->r), 0);
	assert_int_equal(pktsock_count(t->ps), PKTSOCK_MAX);
}

/* ---- the flow, its rows ---- */

static struct tuple udp(const char *a, uint16_t ap, const char *b, uint16_t bp)
{
	struct tuple x;

	memset(&x, 0, sizeof(x));
	x.family = TUPLE_V4;
	x.proto = 17;
	addr_parse(x.src, TUPLE_V4, a);
	addr_parse(x.dst, TUPLE_V4, b);
	x.sport = ap;
	x.dport = bp;
	tuple_canonical(&x);
	return x;
}

static const struct row *find(const struct row *rows, size_t n, int pid, enum unknown_reason r)
{
	for (size_t i = 0; i < n; i++) {
		if (rows[i].pid == pid && rows[i].reason == r)
			return &rows[i];
	}
	return NULL;
}

static void test_attribute_and_rows(void **state)
{
	struct pt *t = *state;
	static const uint64_t ino[] = { 5001 };
	/* 10.0.0.5 is ours, 192.0.2.77 is not: canonical order puts 10.0.0.5 first. */
	struct tuple x = udp("10.0.0.5", 40000, "192.0.2.77", 40001);
	struct tuple owned = udp("10.0.0.5", 80, "192.0.2.9", 40000);	/* made TCP below */
	struct flow_counts c = { { 3280, 56 }, { 10, 1 } };
	struct attribution a;
	struct conn conns[CONN_MAX_ROWS];
	struct aggregate *ag = aggregate_new();
	const struct row *rows, *r;
	uint64_t b, p;
	size_t n;

	assert_non_null(ag);
	add_sock(t, 0x0000, 0, 5001);
	holder(t, 400, "trafgen", ino, 1);
	refresh(t, NULL, 0);

	attribute_flow(t->r, &x, &a);
	assert_int_equal(a.reason, REASON_NO_SOCKET);
	pktsock_attribute(t->ps, t->r, &x, &a);
	assert_non_null(a.injector);
	assert_int_equal(a.injector->pid, 400);
	assert_true(a.local[0]);
	assert_false(a.local[1]);

	/* The sent side is the injector's; what came back stays unknown, received. */
	assert_int_equal(aggregate_flow(ag, &a, &c), 0);
	aggregate_injected(ag, &b, &p);
	assert_int_equal(b, 3280);
	assert_int_equal(p, 10);
	rows = aggregate_rows(ag, &n);
	assert_int_equal(n, 2);
	r = find(rows, n, 400, REASON_NONE);
	assert_non_null(r);
	assert_int_equal(r->sent_bytes, 3280);
	assert_int_equal(r->recv_bytes, 0);
	assert_int_equal(r->flows, 1);
	r = find(rows, n, 0, REASON_NO_SOCKET);
	assert_non_null(r);
	assert_int_equal(r->sent_bytes, 0);
	assert_int_equal(r->recv_bytes, 56);

	/* --connections: the same split, the injector's row marked. */
	assert_int_equal(conn_rows(&x, &a, &c, 0, 0, conns), 2);
	assert_true(conns[0].injected);
	assert_ptr_equal(conns[0].owner, a.injector);
	assert_int_equal(conns[0].sent_bytes, 3280);
	assert_false(conns[1].injected);
	assert_int_equal(conns[1].reason, REASON_NO_SOCKET);
	assert_int_equal(conns[1].recv_bytes, 56);

	/* Nothing sent from our end: replies alone are nobody's injection. */
	struct flow_counts back = { { 0, 56 }, { 0, 1 } };
	struct aggregate *ag2 = aggregate_new();
	assert_int_equal(aggregate_flow(ag2, &a, &back), 0);
	rows = aggregate_rows(ag2, &n);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].reason, REASON_NO_SOCKET);
	assert_int_equal(rows[0].flows, 1);
	assert_int_equal(conn_rows(&x, &a, &back, 0, 0, conns), 1);
	assert_false(conns[0].injected);
	aggregate_free(ag2);

	/* A flow an IP socket owns is left alone. */
	owned.proto = 6;
	attribute_flow(t->r, &owned, &a);
	assert_int_equal(a.reason, REASON_NONE);
	pktsock_attribute(t->ps, t->r, &owned, &a);
	assert_null(a.injector);
	aggregate_free(ag);
}

static void test_several_reason(void **state)
{
	struct pt *t = *state;
	static const uint64_t a1[] = { 5001 }, a2[] = { 5002 };
	struct tuple x = udp("10.0.0.5", 40000, "192.0.2.77", 40001);
	struct attribution a;

	add_sock(t, 0x0000, 0, 5001);
	add_sock(t, 0x0003, 0, 5002);
	holder(t, 400, "gen1", a1, 1);
	holder(t, 401, "gen2", a2, 1);
	refresh(t, NULL, 0);
	attribute_flow(t->r, &x, &a);
	pktsock_attribute(t->ps, t->r, &x, &a);
	assert_int_equal(a.reason, REASON_PKT_SEVERAL);
	assert_null(a.injector);
	assert_string_equal(reason_name(a.reason), "unknown:packet-sockets");
	/* Neither end ours (not local): no injection is looked for. */
	x = udp("192.0.2.1", 1, "192.0.2.77", 2);
	attribute_flow(t->r, &x, &a);
	assert_int_equal(a.reason, REASON_NOT_LOCAL);
	pktsock_attribute(t->ps, t->r, &x, &a);
	assert_int_equal(a.reason, REASON_NOT_LOCAL);
}

/*
 * attribute_ends starts every attribution with no injector: a pinned
 * flow (pins.h), attributed from its pins and not by attribute_flow, once
 * kept the injector of whatever flow the struct held before, or stack
 * garbage (ASan saw it through -w's writer).
 */
static void test_ends_clear_injector(void **state)
{
	static const struct proc_info stale = { .pid = 4242, .comm = "stale" };
	enum owner_status st[2] = { OWNER_NO_SOCKET, OWNER_NO_SOCKET };
	struct attribution a;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.local[0] = a.local[1] = true;
	a.injector = &stale;
	attribute_ends(st, &a);
	assert_null(a.injector);
	assert_int_equal(a.reason, REASON_NO_SOCKET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_kernel_lines),
		cmocka_unit_test(test_parse_broken_lines),
		cmocka_unit_test(test_ends_clear_injector),
		cmocka_unit_test_setup_teardown(test_one_injector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interfaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interfaces_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_interfaces_and_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protocols, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_and_self, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attribute_and_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_several_reason, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
