/*
 * test_interval.c - reports during a run read from a file (core/interval.c
 * through core/session.h): --interval in the packets' time, --total, and
 * --connections, against the generator's ledger and a run without
 * intervals of the same file.
 *
 * The capture: two processes with sockets (client, pid 1000; server, pid
 * 2000) and flows with no socket at all (unknown:no-socket), a packet
 * every millisecond for 3.2 s from T0 (one exactly on each second), then
 * nothing until T0 + 10.5 s, then 300 packets more: with 1 s intervals,
 * 4 intervals of packets, 6 empty ones, and the last one.
 */
#include "unit.h"

#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../core/session.h"
#include "helpers.h"

#define T0 1700000000123456LL	/* the first packet's time */
#define STEP 1000000LL		/* --interval 1 */
#define NCLIENT 10		/* client flows: 10.0.0.5:40000+i <-> 192.0.2.1:443 */
#define NSERVER 5		/* server flows: 10.0.0.5:8080 <-> 192.0.2.2:50000+i */
#define NBARE 5			/* no socket: 10.0.0.5:60000+i <-> 192.0.2.3:443 */
#define NFLOWS (NCLIENT + NSERVER + NBARE)
#define MAXIV 16

enum who { CLIENT, SERVER, BARE, NWHO };

struct counts {
	uint64_t sb, rb, sp, rp;
	uint32_t flowset;	/* bit per flow of this who */
};

struct pkt {
	int64_t ts;
	int flow;
	bool out;
	uint16_t len;
};

#define NPKT 4000

struct ledger {
	struct pkt p[NPKT];
	size_t n;
	struct counts iv[MAXIV + 1][NWHO];	/* [interval 1..][who] */
	struct counts all[NWHO];
	uint64_t packets[MAXIV + 1], bytes[MAXIV + 1];
	int64_t first[NFLOWS], last[NFLOWS];
	int64_t first_ts, last_ts;
	unsigned nintervals;
};

static void put_packet(pcap_dumper_t *d, const uint8_t src[4], uint16_t sport,
		       const uint8_t dst[4], uint16_t dport, uint16_t ip_len, int64_t ts)
{
	uint8_t p[40] = { 0x45, 0 };
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(ts / 1000000);
	h.ts.tv_usec = (suseconds_t)(ts % 1000000);
	h.caplen = 40;
	h.len = ip_len;
	p[2] = (uint8_t)(ip_len >> 8);
	p[3] = (uint8_t)ip_len;
	p[8] = 64;
	p[9] = 6;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	p[20] = (uint8_t)(sport >> 8);
	p[21] = (uint8_t)sport;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	p[32] = 0x50;
	pcap_dump((u_char *)d, &h, p);
}

static void count(struct counts *c, bool out, uint16_t len, int bit)
{
	if (out) {
		c->sb += len;
		c->sp++;
	} else {
		c->rb += len;
		c->rp++;
	}
	c->flowset |= 1u << bit;
}

static enum who who_of_flow(int f)
{
	return f < NCLIENT ? CLIENT : f < NCLIENT + NSERVER ? SERVER : BARE;
}

/* The ledger of the packets n0..n1 (in file order) whose times are in [from, to). */
static void ledger_span(const struct ledger *l, size_t n0, size_t n1, int64_t from, int64_t to,
			struct counts *out)
{
	memset(out, 0, NWHO * sizeof(*out));
	for (size_t i = n0; i < n1 && i < l->n; i++) {
		const struct pkt *p = &l->p[i];
		enum who w = who_of_flow(p->flow);
		int bit = p->flow - (w == CLIENT ? 0 : w == SERVER ? NCLIENT : NCLIENT + NSERVER);
		if (p->ts >= from && p->ts < to)
			count(&out[w], p->out, p->len, bit);
	}
}

static void one_packet(pcap_dumper_t *d, struct ledger *l, uint64_t *rng, int64_t ts)
{
	static const uint8_t local[4] = { 10, 0, 0, 5 }, peer1[4] = { 192, 0, 2, 1 },
			     peer2[4] = { 192, 0, 2, 2 }, peer3[4] = { 192, 0, 2, 3 };
	uint64_t r = rng_next(rng);
	int f = (int)(r % NFLOWS);
	uint16_t len = (uint16_t)(40 + (r >> 8) % 1400);
	bool out = r >> 30 & 1;
	enum who w = who_of_flow(f);
	int bit = w == CLIENT ? f : w == SERVER ? f - NCLIENT : f - NCLIENT - NSERVER;
	uint16_t lport = (uint16_t)(w == CLIENT ? 40000 + bit : w == SERVER ? 8080 : 60000 + bit);
	uint16_t rport = (uint16_t)(w == SERVER ? 50000 + bit : 443);
	const uint8_t *remote = w == CLIENT ? peer1 : w == SERVER ? peer2 : peer3;
	unsigned iv = (unsigned)((ts - T0) / STEP) + 1;

	if (out)
		put_packet(d, local, lport, remote, rport, len, ts);
	else
		put_packet(d, remote, rport, local, lport, len, ts);
	assert_true(iv <= MAXIV);
	count(&l->iv[iv][w], out, len, bit);
	count(&l->all[w], out, len, bit);
	l->packets[iv]++;
	l->bytes[iv] += len;
	if (l->first[f] == 0)
		l->first[f] = ts;
	l->last[f] = ts;
	if (l->first_ts == 0)
		l->first_ts = ts;
	l->last_ts = ts;
	l->nintervals = iv;
	assert_true(l->n < NPKT);
	l->p[l->n++] = (struct pkt){ ts, f, out, len };
}

static void write_capture(const char *path, struct ledger *l)
{
	pcap_t *dead = pcap_open_dead(DLT_RAW, 128);
	pcap_dumper_t *d = pcap_dump_open(dead, path);
	uint64_t rng = 77;

	assert_non_null(d);
	memset(l, 0, sizeof(*l));
	for (int64_t i = 0; i < 3200; i++)
		one_packet(d, l, &rng, T0 + i * 1000);
	for (int64_t i = 0; i < 300; i++)
		one_packet(d, l, &rng, T0 + 10500000 + i * 1000);
	pcap_dump_close(d);
	pcap_close(dead);
}

static char *write_fixture(void)
{
	static const char *const addrs[] = { "10.0.0.5" };
	struct fixture fx;
	uint64_t ci[NCLIENT], si[NSERVER + 1];

	fx.root = fx_new_root();
	fx_table_init(&fx.tcp, TUPLE_V4);
	fx_table_init(&fx.tcp6, TUPLE_V6);
	fx_table_init(&fx.udp, TUPLE_V4);
	fx_table_init(&fx.udp6, TUPLE_V6);
	for (int i = 0; i < NCLIENT; i++) {
		ci[i] = 7000 + (uint64_t)i;
		fx_add(&fx.tcp, TUPLE_V4, "10.0.0.5", (uint16_t)(40000 + i), "192.0.2.1", 443, 1,
		       ci[i]);
	}
	si[NSERVER] = 8000;
	fx_add(&fx.tcp, TUPLE_V4, "0.0.0.0", 8080, "0.0.0.0", 0, 0x0a, si[NSERVER]);
	for (int i = 0; i < NSERVER; i++) {
		si[i] = 8001 + (uint64_t)i;
		fx_add(&fx.tcp, TUPLE_V4, "10.0.0.5", 8080, "192.0.2.2", (uint16_t)(50000 + i), 1,
		       si[i]);
	}
	fx_write_tables(&fx);
	fx_fib_trie(fx.root, addrs, 1);
	fx_puts(fx.root, "net/if_inet6", "");
	fx_proc(fx.root, 1000, "client", 0, CMD("client\0"), 12345, ci, NCLIENT);
	fx_proc(fx.root, 2000, "server", 0, CMD("server\0"), 12346, si, NSERVER + 1);
	return fx.root;
}

/* ---- what the reports said ----------------------------------------- */

struct got_row {
	int pid;
	enum unknown_reason reason;
	uint64_t sb, rb, sp, rp, flows;
};

struct got_conn {
	int pid;			/* 0: no owner */
	enum unknown_reason reason;
	uint16_t lport, rport;
	uint64_t sb, rb, sp, rp;
	int64_t first, last;
};

struct got_report {
	struct summary sum;
	struct got_row *rows;
	size_t nrows;
	struct got_conn *conns;
	size_t nconns;
};

struct got {
	struct got_report r[64];
	size_t n;
};

/* Rows are only valid during the call: copy what the test needs. */
static int collect(void *ctx, const struct report_data *d)
{
	struct got *g = ctx;
	struct got_report *r;

	if (g->n == sizeof(g->r) / sizeof(g->r[0]))
		return -1;
	r = &g->r[g->n++];
	r->sum = d->sum;
	r->nrows = d->nrows;
	r->rows = calloc(d->nrows + 1, sizeof(*r->rows));
	for (size_t i = 0; i < d->nrows; i++) {
		r->rows[i].pid = d->rows[i].proc ? d->rows[i].pid : 0;
		r->rows[i].reason = d->rows[i].reason;
		r->rows[i].sb = d->rows[i].sent_bytes;
		r->rows[i].rb = d->rows[i].recv_bytes;
		r->rows[i].sp = d->rows[i].sent_packets;
		r->rows[i].rp = d->rows[i].recv_packets;
		r->rows[i].flows = d->rows[i].flows;
	}
	r->nconns = d->nconns;
	r->conns = calloc(d->nconns + 1, sizeof(*r->conns));
	for (size_t i = 0; i < d->nconns; i++) {
		const struct conn *c = &d->conns[i];
		r->conns[i].pid = c->owner ? c->owner->pid : 0;
		r->conns[i].reason = c->reason;
		r->conns[i].lport = c->t.sport;
		r->conns[i].rport = c->t.dport;
		r->conns[i].sb = c->sent_bytes;
		r->conns[i].rb = c->recv_bytes;
		r->conns[i].sp = c->sent_packets;
		r->conns[i].rp = c->recv_packets;
		r->conns[i].first = c->first_us;
		r->conns[i].last = c->last_us;
	}
	return 0;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->r[i].rows);
		free(g->r[i].conns);
	}
	g->n = 0;
}

/*
 * A run over the file; limits: -d seconds, -c packets (0: none); usr1: a
 * report of the run so far is asked for (SIGUSR1) before it starts.
 */
static void run_full(const char *pcap, const char *root, int64_t interval_us, bool total,
		     bool connections, double duration, uint64_t count_limit, bool usr1,
		     struct got *g)
{
	struct session_config cfg;
	atomic_int stop = 0;
	volatile sig_atomic_t report = usr1;
	struct session_signals sig = { &stop, &report };
	struct session *s;
	char err[256];

	memset(&cfg, 0, sizeof(cfg));
	memset(g, 0, sizeof(*g));
	cfg.file = pcap;
	cfg.max_flows = 1000000;
	cfg.proc_root = root;
	cfg.resolve_interval = 1;
	cfg.interval_us = interval_us;
	cfg.total = total;
	cfg.connections = connections;
	cfg.duration = duration;
	cfg.count = count_limit;
	cfg.emit = collect;
	cfg.emit_ctx = g;
	if (session_open(&cfg, &s, err, sizeof(err)) != 0)
		fail_msg("session_open: %s", err);
	if (session_run(s, &sig, err, sizeof(err)) != 0)
		fail_msg("session_run: %s", err);
	assert_int_equal(session_finish(s), 0);
	session_close(s);
	assert_int_equal(report, 0);	/* the report asked for was made */
}

static void run_limited(const char *pcap, const char *root, int64_t interval_us, bool total,
			bool connections, double duration, uint64_t count_limit, struct got *g)
{
	run_full(pcap, root, interval_us, total, connections, duration, count_limit, false, g);
}

static void run(const char *pcap, const char *root, int64_t interval_us, bool total,
		bool connections, struct got *g)
{
	run_limited(pcap, root, interval_us, total, connections, 0, 0, g);
}

static enum who who_of(const struct got_row *r)
{
	if (r->pid == 1000)
		return CLIENT;
	if (r->pid == 2000)
		return SERVER;
	assert_int_equal(r->pid, 0);
	assert_int_equal(r->reason, REASON_NO_SOCKET);
	return BARE;
}

static unsigned popcount(uint32_t x)
{
	return (unsigned)__builtin_popcount(x);
}

/* A report's rows are exactly the ledger's (a who without traffic has no row). */
static void check_rows(const struct got_report *r, const struct counts *want, const char *what)
{
	bool have[NWHO] = { false, false, false };

	for (size_t i = 0; i < r->nrows; i++) {
		const struct got_row *x = &r->rows[i];
		enum who w = who_of(x);
		const struct counts *c = &want[w];

		assert_false(have[w]);
		have[w] = true;
		if (x->sb != c->sb || x->rb != c->rb || x->sp != c->sp || x->rp != c->rp ||
		    x->flows != popcount(c->flowset))
			fail_msg("%s, who %d: %llu/%llu bytes %llu/%llu packets %llu flows; "
				 "ledger %llu/%llu, %llu/%llu, %u", what, (int)w,
				 (unsigned long long)x->sb, (unsigned long long)x->rb,
				 (unsigned long long)x->sp, (unsigned long long)x->rp,
				 (unsigned long long)x->flows, (unsigned long long)c->sb,
				 (unsigned long long)c->rb, (unsigned long long)c->sp,
				 (unsigned long long)c->rp, popcount(c->flowset));
	}
	for (int w = 0; w < NWHO; w++) {
		if (!have[w] && (want[w].sp || want[w].rp))
			fail_msg("%s: no row for who %d", what, w);
	}
}

struct fixture_files {
	char pcap[64];
	char *root;
	struct ledger l;
};

static int setup(void **state)
{
	struct fixture_files *f = calloc(1, sizeof(*f));
	int fd;

	snprintf(f->pcap, sizeof(f->pcap), "/tmp/proctraf-test-interval-XXXXXX");
	fd = mkstemp(f->pcap);
	assert_true(fd >= 0);
	close(fd);
	write_capture(f->pcap, &f->l);
	f->root = write_fixture();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture_files *f = *state;

	unlink(f->pcap);
	fx_rmtree(f->root);
	free(f->root);
	free(f);
	return 0;
}

/* ---- the tests ----------------------------------------------------- */

static void test_one_shot_is_the_ledger(void **state)
{
	struct fixture_files *f = *state;
	struct got g;

	run(f->pcap, f->root, 0, false, false, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0].sum.kind, REPORT_ONCE);
	assert_int_equal(g.r[0].sum.start_us, f->l.first_ts);
	assert_int_equal(g.r[0].sum.end_us, f->l.last_ts);
	assert_int_equal(g.r[0].sum.totals.packets, 3500);
	assert_int_equal(g.r[0].nrows, 3);
	check_rows(&g.r[0], f->l.all, "the one report");
	got_free(&g);
}

static void test_intervals(void **state)
{
	struct fixture_files *f = *state;
	struct counts sum[NWHO];
	struct got g, once;

	run(f->pcap, f->root, STEP, false, false, &g);
	run(f->pcap, f->root, 0, false, false, &once);
	assert_int_equal(f->l.nintervals, 11);
	assert_int_equal(g.n, 11);
	memset(sum, 0, sizeof(sum));
	for (size_t i = 0; i < g.n; i++) {
		const struct summary *s = &g.r[i].sum;
		unsigned k = (unsigned)i + 1;
		char what[32];

		snprintf(what, sizeof(what), "interval %u", k);
		assert_int_equal(s->kind, REPORT_INTERVAL);
		assert_int_equal(s->index, k);
		assert_int_equal(s->interval_us, STEP);
		/* Back to back, from the first packet to the last. */
		assert_int_equal(s->start_us, i == 0 ? f->l.first_ts : g.r[i - 1].sum.end_us);
		assert_int_equal(s->end_us, k == g.n ? f->l.last_ts : T0 + (int64_t)k * STEP);
		/* Its own packets: the ledger's for [start, end), and rows of them. */
		assert_int_equal(s->totals.packets, f->l.packets[k]);
		assert_int_equal(s->totals.ip_bytes, f->l.bytes[k]);
		check_rows(&g.r[i], f->l.iv[k], what);
		/* Intervals 5 to 10 had no packet: reports all the same, with no rows. */
		if (k >= 5 && k <= 10) {
			assert_int_equal(s->totals.packets, 0);
			assert_int_equal(g.r[i].nrows, 0);
		} else {
			assert_true(s->totals.packets > 0);
		}
		for (size_t j = 0; j < g.r[i].nrows; j++) {
			const struct got_row *x = &g.r[i].rows[j];
			struct counts *c = &sum[who_of(x)];
			c->sb += x->sb;
			c->rb += x->rb;
			c->sp += x->sp;
			c->rp += x->rp;
		}
	}
	/* The intervals add up to the run without intervals, and to the ledger. */
	for (size_t j = 0; j < once.r[0].nrows; j++) {
		const struct got_row *x = &once.r[0].rows[j];
		const struct counts *c = &sum[who_of(x)];
		assert_int_equal(c->sb, x->sb);
		assert_int_equal(c->rb, x->rb);
		assert_int_equal(c->sp, x->sp);
		assert_int_equal(c->rp, x->rp);
	}
	for (int w = 0; w < NWHO; w++) {
		assert_int_equal(sum[w].sb, f->l.all[w].sb);
		assert_int_equal(sum[w].rp, f->l.all[w].rp);
	}
	got_free(&g);
	got_free(&once);
}

/* --total: after the intervals, the whole run, as the run without intervals gives it. */
static void test_total(void **state)
{
	struct fixture_files *f = *state;
	struct got g, once;
	const struct got_report *t;

	run(f->pcap, f->root, STEP, true, false, &g);
	run(f->pcap, f->root, 0, false, false, &once);
	assert_int_equal(g.n, 12);
	for (size_t i = 0; i + 1 < g.n; i++)
		assert_int_equal(g.r[i].sum.kind, REPORT_INTERVAL);
	t = &g.r[g.n - 1];
	assert_int_equal(t->sum.kind, REPORT_TOTAL);
	assert_int_equal(t->sum.interval_us, STEP);
	assert_int_equal(t->sum.start_us, once.r[0].sum.start_us);
	assert_int_equal(t->sum.end_us, once.r[0].sum.end_us);
	assert_memory_equal(&t->sum.totals, &once.r[0].sum.totals, sizeof(struct totals));
	assert_int_equal(t->nrows, once.r[0].nrows);
	for (size_t i = 0; i < t->nrows; i++) {
		assert_int_equal(t->rows[i].pid, once.r[0].rows[i].pid);
		assert_int_equal(t->rows[i].sb, once.r[0].rows[i].sb);
		assert_int_equal(t->rows[i].rb, once.r[0].rows[i].rb);
		assert_int_equal(t->rows[i].sp, once.r[0].rows[i].sp);
		assert_int_equal(t->rows[i].rp, once.r[0].rows[i].rp);
		assert_int_equal(t->rows[i].flows, once.r[0].rows[i].flows);
	}
	check_rows(t, f->l.all, "the total");
	got_free(&g);
	got_free(&once);
}

/* Sums of connection rows, per who. */
static void conn_sums(const struct got_report *r, struct counts *sum)
{
	memset(sum, 0, NWHO * sizeof(*sum));
	for (size_t i = 0; i < r->nconns; i++) {
		const struct got_conn *c = &r->conns[i];
		struct got_row as_row = { c->pid, c->reason, 0, 0, 0, 0, 0 };
		struct counts *s = &sum[who_of(&as_row)];
		s->sb += c->sb;
		s->rb += c->rb;
		s->sp += c->sp;
		s->rp += c->rp;
	}
}

/* Which generator flow a connection row is, from its local end. */
static int flow_of_conn(const struct got_conn *c)
{
	int flow;

	if (c->lport >= 60000)
		flow = NCLIENT + NSERVER + (c->lport - 60000);
	else if (c->lport == 8080)
		flow = NCLIENT + (c->rport - 50000);
	else
		flow = c->lport - 40000;
	assert_true(flow >= 0 && flow < NFLOWS);
	return flow;
}

static void test_connections(void **state)
{
	struct fixture_files *f = *state;
	struct counts sum[NWHO], ivsum[NWHO];
	struct got g, once;

	run(f->pcap, f->root, 0, false, true, &g);
	run(f->pcap, f->root, 0, false, false, &once);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.r[0].nconns, NFLOWS);	/* one local end each */
	/* Each flow: seen from 10.0.0.5, its times the first and last of its packets. */
	for (size_t i = 0; i < g.r[0].nconns; i++) {
		const struct got_conn *c = &g.r[0].conns[i];
		int flow = flow_of_conn(c);
		assert_int_equal(c->first, f->l.first[flow]);
		assert_int_equal(c->last, f->l.last[flow]);
		assert_int_equal(c->pid, flow < NCLIENT ? 1000 : flow < NCLIENT + NSERVER ? 2000 : 0);
	}
	/* They add up to the process rows of the same run without --connections. */
	conn_sums(&g.r[0], sum);
	assert_int_equal(once.r[0].nrows, 3);
	for (size_t j = 0; j < once.r[0].nrows; j++) {
		const struct got_row *x = &once.r[0].rows[j];
		const struct counts *c = &sum[who_of(x)];
		assert_int_equal(c->sb, x->sb);
		assert_int_equal(c->rb, x->rb);
		assert_int_equal(c->sp, x->sp);
		assert_int_equal(c->rp, x->rp);
	}
	got_free(&g);

	/* With intervals: each interval's connections are its ledger; together, the run's. */
	run(f->pcap, f->root, STEP, false, true, &g);
	assert_int_equal(g.n, 11);
	memset(ivsum, 0, sizeof(ivsum));
	for (size_t i = 0; i < g.n; i++) {
		conn_sums(&g.r[i], sum);
		for (int w = 0; w < NWHO; w++) {
			const struct counts *want = &f->l.iv[i + 1][w];
			assert_int_equal(sum[w].sb, want->sb);
			assert_int_equal(sum[w].rb, want->rb);
			assert_int_equal(sum[w].sp, want->sp);
			assert_int_equal(sum[w].rp, want->rp);
			ivsum[w].sb += sum[w].sb;
			ivsum[w].rp += sum[w].rp;
		}
		/*
		 * A flow's times: its first packet of the run, its last one up to
		 * this interval (a packet at its end is the next one's).
		 */
		for (size_t j = 0; j < g.r[i].nconns; j++) {
			const struct got_conn *c = &g.r[i].conns[j];
			int flow = flow_of_conn(c);
			int64_t last = 0;
			for (size_t k = 0; k < f->l.n; k++) {
				if (f->l.p[k].flow == flow && (f->l.p[k].ts - T0) / STEP <= (int64_t)i)
					last = f->l.p[k].ts;
			}
			assert_int_equal(c->first, f->l.first[flow]);
			if (c->last != last)
				fail_msg("interval %zu (end %lld): flow %d last %lld, ledger %lld", i + 1, (long long)(g.r[i].sum.end_us - T0), flow, (long long)(c->last - T0), (long long)(last - T0));
		}
		/* A flow is in an interval's report when it had packets in it. */
		size_t flows = 0;
		for (int w = 0; w < NWHO; w++)
			flows += popcount(f->l.iv[i + 1][w].flowset);
		assert_int_equal(g.r[i].nconns, flows);
	}
	for (int w = 0; w < NWHO; w++) {
		assert_int_equal(ivsum[w].sb, f->l.all[w].sb);
		assert_int_equal(ivsum[w].rp, f->l.all[w].rp);
	}
	got_free(&g);
	got_free(&once);
}

/*
 * -d in the packets' time: the run ends at the first packet at or after
 * first + 2.5 s; the last interval ends there, at the cut, not at a packet.
 * -c: after 1500 packets; the last interval ends with the last one.
 */
static void test_limits(void **state)
{
	struct fixture_files *f = *state;
	struct counts want[NWHO];
	struct got g;

	run_limited(f->pcap, f->root, STEP, true, false, 2.5, 0, &g);
	assert_int_equal(g.n, 3 + 1);
	for (size_t i = 0; i < 3; i++) {
		char what[32];
		int64_t from = T0 + (int64_t)i * STEP, to = i == 2 ? T0 + 2500000 : from + STEP;

		snprintf(what, sizeof(what), "-d 2.5, interval %zu", i + 1);
		assert_int_equal(g.r[i].sum.index, i + 1);
		assert_int_equal(g.r[i].sum.start_us, from);
		assert_int_equal(g.r[i].sum.end_us, to);
		ledger_span(&f->l, 0, f->l.n, from, to, want);
		check_rows(&g.r[i], want, what);
	}
	assert_int_equal(g.r[3].sum.kind, REPORT_TOTAL);
	assert_int_equal(g.r[3].sum.start_us, T0);
	assert_int_equal(g.r[3].sum.end_us, T0 + 2500000);
	assert_int_equal(g.r[3].sum.totals.packets, 2500);
	ledger_span(&f->l, 0, f->l.n, T0, T0 + 2500000, want);
	check_rows(&g.r[3], want, "-d 2.5, total");
	got_free(&g);

	run_limited(f->pcap, f->root, STEP, true, false, 0, 1500, &g);
	assert_int_equal(g.n, 2 + 1);
	assert_int_equal(g.r[1].sum.start_us, T0 + STEP);
	assert_int_equal(g.r[1].sum.end_us, T0 + 1499000);
	assert_int_equal(g.r[1].sum.totals.packets, 500);
	ledger_span(&f->l, 0, 1500, T0 + STEP, T0 + 2 * STEP, want);
	check_rows(&g.r[1], want, "-c 1500, interval 2");
	ledger_span(&f->l, 0, 1500, T0, T0 + 2 * STEP, want);
	check_rows(&g.r[2], want, "-c 1500, total");
	got_free(&g);
}

/*
 * SIGUSR1 while reading a file: a report of the run so far (all the
 * packets read by then), between the intervals, which it leaves alone.
 */
static void test_partial(void **state)
{
	struct fixture_files *f = *state;
	struct got g, once;
	size_t partial = SIZE_MAX, intervals = 0;
	struct counts sum[NWHO];

	run_full(f->pcap, f->root, STEP, false, false, 0, 0, true, &g);
	run(f->pcap, f->root, 0, false, false, &once);
	memset(sum, 0, sizeof(sum));
	for (size_t i = 0; i < g.n; i++) {
		if (g.r[i].sum.kind == REPORT_PARTIAL) {
			assert_int_equal(partial, SIZE_MAX);
			partial = i;
			continue;
		}
		assert_int_equal(g.r[i].sum.kind, REPORT_INTERVAL);
		assert_int_equal(g.r[i].sum.index, ++intervals);
		check_rows(&g.r[i], f->l.iv[intervals], "an interval, with a report so far");
		for (size_t j = 0; j < g.r[i].nrows; j++)
			sum[who_of(&g.r[i].rows[j])].sb += g.r[i].rows[j].sb;
	}
	assert_int_equal(intervals, 11);
	assert_true(partial < g.n);
	/* The packets read by then: here the whole file (one read takes 4096). */
	assert_int_equal(g.r[partial].sum.start_us, f->l.first_ts);
	assert_int_equal(g.r[partial].sum.end_us, f->l.last_ts);
	assert_int_equal(g.r[partial].sum.interval_us, STEP);
	assert_int_equal(g.r[partial].sum.totals.packets, once.r[0].sum.totals.packets);
	check_rows(&g.r[partial], f->l.all, "the report so far");
	for (int w = 0; w < NWHO; w++)
		assert_int_equal(sum[w].sb, f->l.all[w].sb);
	got_free(&g);
	got_free(&once);
}

/* A capture with no packet: one interval with no times and no rows, and the total. */
static void test_empty_capture(void **state)
{
	char path[] = "/tmp/proctraf-test-interval-empty-XXXXXX";
	struct fixture_files *f = *state;
	pcap_t *dead = pcap_open_dead(DLT_RAW, 128);
	pcap_dumper_t *d;
	struct got g;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	d = pcap_dump_open(dead, path);
	assert_non_null(d);
	pcap_dump_close(d);
	pcap_close(dead);
	run(path, f->root, STEP, true, true, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.r[0].sum.kind, REPORT_INTERVAL);
	assert_int_equal(g.r[0].sum.index, 1);
	assert_int_equal(g.r[1].sum.kind, REPORT_TOTAL);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(g.r[i].sum.start_us, TIME_NONE);
		assert_int_equal(g.r[i].sum.end_us, TIME_NONE);
		assert_int_equal(g.r[i].sum.totals.packets, 0);
		assert_int_equal(g.r[i].nrows, 0);
		assert_int_equal(g.r[i].nconns, 0);
	}
	got_free(&g);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_shot_is_the_ledger),
		cmocka_unit_test(test_intervals),
		cmocka_unit_test(test_total),
		cmocka_unit_test(test_connections),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_empty_capture),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
