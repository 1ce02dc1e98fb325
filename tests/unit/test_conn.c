/*
 * test_conn.c - --connections (core/conn.h): a flow's rows for each shape
 * of attribution, seen from the local end, and the invariant that a
 * flow's rows add up, per process and per unknown reason, to what
 * aggregate_flow counts for it. Then the rows as report_write writes them.
 */
#include "unit.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../core/aggregate.h"
#include "../../core/conn.h"
#include "../../core/report.h"
#include "helpers.h"

static struct proc_info pa = { .pid = 10, .uid = 0, .have_uid = true, .comm = "alpha",
			       .netns = 4026531840ULL };
static struct proc_info pb = { .pid = 20, .uid = 0, .have_uid = true, .comm = "beta" };

/* A canonical TCP tuple 10.0.0.1:1000 (end 0) - 10.0.0.2:2000 (end 1). */
static struct tuple tup(void)
{
	struct tuple t;

	memset(&t, 0, sizeof(t));
	addr4(t.src, 10, 0, 0, 1);
	addr4(t.dst, 10, 0, 0, 2);
	t.sport = 1000;
	t.dport = 2000;
	t.family = TUPLE_V4;
	t.proto = IPPROTO_TCP;
	return t;
}

static const struct flow_counts counts = { { 300, 5000 }, { 3, 5 } };

static struct attribution attr(const struct proc_info *o0, const struct proc_info *o1, bool l0,
			       bool l1, enum unknown_reason reason, enum unknown_reason e0,
			       enum unknown_reason e1)
{
	struct attribution a = { { o0, o1 }, { l0, l1 }, reason, { e0, e1 }, NULL };

	return a;
}

/* A row seen from end e: e's address and port first; its counters from e's side. */
static void check_row(const struct conn *c, const struct tuple *t, int e,
		      const struct proc_info *owner, enum unknown_reason reason, uint64_t sb,
		      uint64_t rb, uint64_t sp, uint64_t rp)
{
	assert_false(c->no_tuple);
	assert_memory_equal(c->t.src, e ? t->dst : t->src, 16);
	assert_memory_equal(c->t.dst, e ? t->src : t->dst, 16);
	assert_int_equal(c->t.sport, e ? t->dport : t->sport);
	assert_int_equal(c->t.dport, e ? t->sport : t->dport);
	assert_int_equal(c->t.proto, t->proto);
	assert_int_equal(c->t.family, t->family);
	assert_ptr_equal(c->owner, owner);
	assert_int_equal(c->reason, reason);
	assert_int_equal(c->sent_bytes, sb);
	assert_int_equal(c->recv_bytes, rb);
	assert_int_equal(c->sent_packets, sp);
	assert_int_equal(c->recv_packets, rp);
	assert_int_equal(c->first_us, 111);
	assert_int_equal(c->last_us, 999);
}

static size_t rows_of(const struct attribution *a, struct conn *out)
{
	struct tuple t = tup();

	memset(out, 0xa5, CONN_MAX_ROWS * sizeof(*out));
	return conn_rows(&t, a, &counts, 111, 999, out);
}

static void test_two_owners(void **state)
{
	struct attribution a = attr(&pa, &pb, true, true, REASON_NONE, REASON_NONE, REASON_NONE);
	struct tuple t = tup();
	struct conn c[CONN_MAX_ROWS];

	(void)state;
	assert_int_equal(rows_of(&a, c), 2);
	check_row(&c[0], &t, 0, &pa, REASON_NONE, 300, 5000, 3, 5);
	check_row(&c[1], &t, 1, &pb, REASON_NONE, 5000, 300, 5, 3);
	/* One process at both ends (a socket pair to itself): a row per end. */
	a = attr(&pa, &pa, true, true, REASON_NONE, REASON_NONE, REASON_NONE);
	assert_int_equal(rows_of(&a, c), 2);
	check_row(&c[0], &t, 0, &pa, REASON_NONE, 300, 5000, 3, 5);
	check_row(&c[1], &t, 1, &pa, REASON_NONE, 5000, 300, 5, 3);
}

static void test_one_owner(void **state)
{
	struct tuple t = tup();
	struct conn c[CONN_MAX_ROWS];
	struct attribution a;

	(void)state;
	/* The other end is not ours: one row, the owner's. */
	a = attr(&pa, NULL, true, false, REASON_NONE, REASON_NONE, REASON_NONE);
	assert_int_equal(rows_of(&a, c), 1);
	check_row(&c[0], &t, 0, &pa, REASON_NONE, 300, 5000, 3, 5);
	a = attr(NULL, &pb, false, true, REASON_NONE, REASON_NONE, REASON_NONE);
	assert_int_equal(rows_of(&a, c), 1);
	check_row(&c[0], &t, 1, &pb, REASON_NONE, 5000, 300, 5, 3);
	/* The other end is ours and nobody's: its side in a row of its reason. */
	a = attr(&pa, NULL, true, true, REASON_NONE, REASON_NONE, REASON_NO_SOCKET);
	assert_int_equal(rows_of(&a, c), 2);
	check_row(&c[0], &t, 0, &pa, REASON_NONE, 300, 5000, 3, 5);
	check_row(&c[1], &t, 1, NULL, REASON_NO_SOCKET, 5000, 300, 5, 3);
	a = attr(NULL, &pb, true, true, REASON_NONE, REASON_NO_PERMISSION, REASON_NONE);
	assert_int_equal(rows_of(&a, c), 2);
	check_row(&c[0], &t, 0, NULL, REASON_NO_PERMISSION, 300, 5000, 3, 5);
	check_row(&c[1], &t, 1, &pb, REASON_NONE, 5000, 300, 5, 3);
}

/* No owner: one row of the flow's reason, sent = what left an address of ours. */
static void test_no_owner(void **state)
{
	static const struct {
		bool l0, l1;
		int end;		/* the end the row is seen from */
		uint64_t sb, rb, sp, rp;
	} cases[] = {
		{ false, false, 0, 0, 5300, 0, 8 },	/* neither ours: all received */
		{ true, false, 0, 300, 5000, 3, 5 },
		{ false, true, 1, 5000, 300, 5, 3 },	/* the local end first */
		{ true, true, 0, 5300, 0, 8, 0 },	/* both ours: all sent */
	};
	struct tuple t = tup();
	struct conn c[CONN_MAX_ROWS];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct attribution a = attr(NULL, NULL, cases[i].l0, cases[i].l1,
					    i % 2 ? REASON_NO_SOCKET : REASON_NOT_LOCAL,
					    REASON_NONE, REASON_NONE);
		assert_int_equal(rows_of(&a, c), 1);
		check_row(&c[0], &t, cases[i].end, NULL, a.reason, cases[i].sb, cases[i].rb,
			  cases[i].sp, cases[i].rp);
	}
}

static void test_overflow(void **state)
{
	struct flow_counts none = { { 0, 0 }, { 0, 0 } }, out_only = { { 1500, 0 }, { 1, 0 } },
			   in_only = { { 0, 40 }, { 0, 1 } };
	struct conn c;

	(void)state;
	assert_int_equal(conn_overflow(&none, &c), 0);
	assert_int_equal(conn_overflow(&counts, &c), 1);
	assert_true(c.no_tuple);
	assert_null(c.owner);
	assert_int_equal(c.reason, REASON_TABLE_FULL);
	assert_int_equal(c.first_us, TIME_NONE);
	assert_int_equal(c.last_us, TIME_NONE);
	/* [0]: sent by this host, [1]: the rest, as aggregate_overflow counts them. */
	assert_int_equal(c.sent_bytes, 300);
	assert_int_equal(c.recv_bytes, 5000);
	assert_int_equal(c.sent_packets, 3);
	assert_int_equal(c.recv_packets, 5);
	assert_int_equal(conn_overflow(&out_only, &c), 1);
	assert_int_equal(c.sent_bytes, 1500);
	assert_int_equal(conn_overflow(&in_only, &c), 1);
	assert_int_equal(c.recv_bytes, 40);
}

/* ---- the invariant ------------------------------------------------- */

/* A random attribution as attribute_flow makes them (see attribute.h), and counters. */
static void random_flow(uint64_t *x, struct proc_info *procs, struct attribution *a,
			struct flow_counts *c)
{
	uint64_t r = rng_next(x);
	int o0 = (int)(r % 7), o1 = (int)((r >> 8) % 7);

	memset(a, 0, sizeof(*a));
	a->owner[0] = o0 < 4 ? &procs[o0] : NULL;
	a->owner[1] = o1 < 4 ? &procs[o1] : NULL;
	a->local[0] = a->owner[0] || (r >> 16 & 1);
	a->local[1] = a->owner[1] || (r >> 17 & 1);
	for (int d = 0; d < 2; d++) {
		if (!a->owner[d] && a->owner[!d] && a->local[d])
			a->end_reason[d] = 1 + (int)((r >> (20 + 4 * d)) % 3);	/* socket/process/permission */
	}
	if (!a->owner[0] && !a->owner[1])
		a->reason = a->local[0] || a->local[1] ? 1 + (int)((r >> 30) % 3) : REASON_NOT_LOCAL;
	/* An injector (pktsock.h) for some flows at unknown:no-socket. */
	if (a->reason == REASON_NO_SOCKET && (r >> 40 & 1))
		a->injector = &procs[(r >> 41) % 4];
	r = rng_next(x);
	c->bytes[0] = r % 100000;
	c->bytes[1] = (r >> 20) % 100000;
	c->packets[0] = c->bytes[0] ? 1 + c->bytes[0] % 50 : 0;
	c->packets[1] = c->bytes[1] ? 1 + c->bytes[1] % 50 : 0;
	if (!c->packets[0] && !c->packets[1])
		c->packets[0] = 1;
}

struct sums {
	uint64_t sb, rb, sp, rp, flows;
};

static void test_rows_add_up_to_aggregate(void **state)
{
	enum { NFLOWS = 20000, NPROC = 4 };
	static struct proc_info procs[NPROC];
	struct aggregate *ag = aggregate_new();
	struct sums per_proc[NPROC], per_reason[REASON_COUNT];
	/* the last flow that gave each a row (to count flows, not rows) */
	size_t last_proc[NPROC], last_reason[REASON_COUNT];
	struct flow_counts ov = { { 77, 88 }, { 1, 2 } };
	struct tuple t = tup();
	uint64_t x = 31337;
	const struct row *rows;
	size_t n;

	(void)state;
	assert_non_null(ag);
	memset(per_proc, 0, sizeof(per_proc));
	memset(per_reason, 0, sizeof(per_reason));
	for (int i = 0; i < NPROC; i++) {
		procs[i] = (struct proc_info){ .pid = 100 + i, .uid = 0, .have_uid = true };
		snprintf(procs[i].comm, sizeof(procs[i].comm), "p%d", i);
		last_proc[i] = SIZE_MAX;
	}
	for (int i = 0; i < REASON_COUNT; i++)
		last_reason[i] = SIZE_MAX;
	for (size_t f = 0; f <= NFLOWS; f++) {
		struct conn c[CONN_MAX_ROWS];
		struct attribution a;
		struct flow_counts fc;
		size_t k;

		if (f < NFLOWS) {
			random_flow(&x, procs, &a, &fc);
			assert_int_equal(aggregate_flow(ag, &a, &fc), 0);
			t.sport = (uint16_t)f;
			k = conn_rows(&t, &a, &fc, 1, 2, c);
			assert_true(k >= 1 && k <= 2);
		} else {
			assert_int_equal(aggregate_overflow(ag, &ov), 0);
			k = conn_overflow(&ov, c);
		}
		for (size_t j = 0; j < k; j++) {
			struct sums *s;
			size_t *last;
			if (c[j].owner) {
				int p = (int)(c[j].owner - procs);
				assert_int_equal(c[j].reason, REASON_NONE);
				s = &per_proc[p];
				last = &last_proc[p];
			} else {
				assert_true(c[j].reason != REASON_NONE);
				s = &per_reason[c[j].reason];
				last = &last_reason[c[j].reason];
			}
			s->sb += c[j].sent_bytes;
			s->rb += c[j].recv_bytes;
			s->sp += c[j].sent_packets;
			s->rp += c[j].recv_packets;
			if (*last != f && f < NFLOWS)
				s->flows++;
			*last = f;
		}
	}
	rows = aggregate_rows(ag, &n);
	assert_non_null(rows);
	/* Every byte of the connection rows is in the process report, and no more. */
	uint64_t conn_total = 0, rows_total = 0;
	for (int i = 0; i < NPROC; i++)
		conn_total += per_proc[i].sb + per_proc[i].rb;
	for (int i = 0; i < REASON_COUNT; i++)
		conn_total += per_reason[i].sb + per_reason[i].rb;
	for (size_t i = 0; i < n; i++)
		rows_total += rows[i].sent_bytes + rows[i].recv_bytes;
	assert_int_equal(conn_total, rows_total);
	assert_true(n >= NPROC + 4);
	for (size_t i = 0; i < n; i++) {
		const struct sums *s = rows[i].proc ? &per_proc[rows[i].proc - procs]
						    : &per_reason[rows[i].reason];
		if (s->sb != rows[i].sent_bytes || s->rb != rows[i].recv_bytes ||
		    s->sp != rows[i].sent_packets || s->rp != rows[i].recv_packets)
			fail_msg("%s: connections %llu/%llu bytes, %llu/%llu packets; the "
				 "process report %llu/%llu, %llu/%llu", rows[i].command,
				 (unsigned long long)s->sb, (unsigned long long)s->rb,
				 (unsigned long long)s->sp, (unsigned long long)s->rp,
				 (unsigned long long)rows[i].sent_bytes,
				 (unsigned long long)rows[i].recv_bytes,
				 (unsigned long long)rows[i].sent_packets,
				 (unsigned long long)rows[i].recv_packets);
		/* table-full: flows not kept, 0 in both */
		assert_int_equal(s->flows, rows[i].flows);
	}
	aggregate_free(ag);
}

/* ---- written by report_write --------------------------------------- */

static void test_report_connections(void **state)
{
	struct tuple t = tup(), g, v6;
	struct attribution two = attr(&pa, &pb, true, true, REASON_NONE, REASON_NONE, REASON_NONE);
	struct attribution gre = attr(NULL, NULL, false, true, REASON_NO_SOCKET, REASON_NONE,
				      REASON_NONE);
	struct attribution six = attr(&pb, NULL, true, false, REASON_NONE, REASON_NONE,
				      REASON_NONE);
	struct flow_counts small = { { 10, 20 }, { 1, 2 } };
	struct conn c[3 * CONN_MAX_ROWS];
	struct report_opts o;
	struct report_data d;
	struct memout m;
	size_t n = 0;

	(void)state;
	g = t;
	g.proto = IPPROTO_GRE;
	g.sport = g.dport = 0;
	memset(&v6, 0, sizeof(v6));
	addr_parse(v6.src, TUPLE_V6, "2001:db8::1");
	addr_parse(v6.dst, TUPLE_V6, "2001:db8::2");
	v6.family = TUPLE_V6;
	v6.proto = IPPROTO_ICMPV6;
	v6.sport = 77;		/* an echo's identifier on the pinger's end */
	n += conn_rows(&t, &two, &counts, 1700000000000000LL, 1700000001000000LL, c + n);
	n += conn_rows(&g, &gre, &small, 1700000000500000LL, 1700000000500000LL, c + n);
	n += conn_rows(&v6, &six, &small, -1, 0, c + n);
	n += conn_overflow(&small, c + n);
	assert_int_equal(n, 5);

	memset(&o, 0, sizeof(o));
	o.format = OUT_CSV;
	o.header = true;
	o.connections = true;
	memset(&d, 0, sizeof(d));
	d.sum.kind = REPORT_ONCE;
	d.sum.start_us = d.sum.end_us = TIME_NONE;
	d.conns = c;
	d.nconns = n;
	memout_open(&m);
	assert_int_equal(report_write(m.f, &o, &d, true), 0);
	memout_close(&m);
	assert_string_equal(m.buf,
		"proto,local_addr,local_port,remote_addr,remote_port,pid,user,command,via,sent_bytes,"
		"recv_bytes,sent_packets,recv_packets,first,last,netns\n"
		/* Equal totals: process rows first, then by each column: local_addr. */
		"\"tcp\",\"10.0.0.1\",1000,\"10.0.0.2\",2000,10,\"root\",\"alpha\",\"socket\",300,5000,3,5,"
		"\"2023-11-14T22:13:20.000000Z\",\"2023-11-14T22:13:21.000000Z\",4026531840\n"
		"\"tcp\",\"10.0.0.2\",2000,\"10.0.0.1\",1000,20,\"root\",\"beta\",\"socket\",5000,300,5,3,"
		"\"2023-11-14T22:13:20.000000Z\",\"2023-11-14T22:13:21.000000Z\",\n"
		"\"icmp6\",\"2001:db8::1\",77,\"2001:db8::2\",0,20,\"root\",\"beta\",\"socket\",10,20,1,2,"
		"\"1969-12-31T23:59:59.999999Z\",\"1970-01-01T00:00:00.000000Z\",\n"
		/* The overflow bucket: no addresses (no value before text), no times. */
		"\"\",\"\",,\"\",,,\"\",\"unknown:table-full\",\"\",10,20,1,2,\"\",\"\",\n"
		/* Ports only for protocols that have them; the local end (1) first. */
		"\"gre\",\"10.0.0.2\",,\"10.0.0.1\",,,\"\",\"unknown:no-socket\",\"\",20,10,2,1,"
		"\"2023-11-14T22:13:20.500000Z\",\"2023-11-14T22:13:20.500000Z\",\n");
	free(m.buf);

	/* --command beta: beta's rows and the unknown ones; --no-unknown: beta's only. */
	static const char *const beta[] = { "beta" };
	o.commands = beta;
	o.ncommands = 1;
	o.no_unknown = true;
	o.header = false;
	o.sort = "local_port";
	memout_open(&m);
	assert_int_equal(report_write(m.f, &o, &d, true), 0);
	memout_close(&m);
	assert_string_equal(m.buf,
		"\"icmp6\",\"2001:db8::1\",77,\"2001:db8::2\",0,20,\"root\",\"beta\",\"socket\",10,20,1,2,"
		"\"1969-12-31T23:59:59.999999Z\",\"1970-01-01T00:00:00.000000Z\",\n"
		"\"tcp\",\"10.0.0.2\",2000,\"10.0.0.1\",1000,20,\"root\",\"beta\",\"socket\",5000,300,5,3,"
		"\"2023-11-14T22:13:20.000000Z\",\"2023-11-14T22:13:21.000000Z\",\n");
	free(m.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_owners),
		cmocka_unit_test(test_one_owner),
		cmocka_unit_test(test_no_owner),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_rows_add_up_to_aggregate),
		cmocka_unit_test(test_report_connections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
