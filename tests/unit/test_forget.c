/*
 * test_forget.c - what the resolver forgets (core/forget.c, resolve.h
 * "Forgetting"), and the pins that keep its flows' answers (core/pins.h).
 *
 * The standard fixture of helpers.h, a flow table with a flow per kind of
 * answer, then sockets closed and processes gone for two whole passes: a
 * round must forget them and reuse their process slots, and every flow
 * must be attributed exactly as before the round.
 */
#include "unit.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../core/attribute.h"
#include "../../core/decode.h"
#include "../../core/flowtab.h"
#include "../../core/output.h"
#include "../../core/pcapng_reader.h"
#include "../../core/pcapng_writer.h"
#include "../../core/pins.h"
#include "../../core/resolve.h"
#include "lookup_at.h"
#include "../../core/resolve_priv.h"
#include "helpers.h"

struct ft {
	struct fixture fx;
	struct resolver *r;
	struct flowtab *flows;
	struct pins *pins;
};

/* The flows: a name, and the packet that makes each (src -> dst as sent). */
static const struct {
	const char *name;
	int family, proto;
	const char *src;
	uint16_t sport;
	const char *dst;
	uint16_t dport;
} flows[] = {
	{ "accepted, worker 101", TUPLE_V4, 6, "192.0.2.9", 40000, "10.0.0.5", 80 },
	{ "loopback, client 110 and server 111", TUPLE_V4, 6, "127.0.0.1", 5000, "127.0.0.1",
	  6000 },
	{ "wildcard listener, sshd 102", TUPLE_V4, 6, "198.51.100.1", 50000, "10.0.0.5", 22 },
	{ "time-wait, no process", TUPLE_V4, 6, "10.0.0.5", 5555, "192.0.2.9", 6000 },
	{ "udp wildcard, dnsmasq 104", TUPLE_V4, 17, "192.0.2.9", 5000, "10.0.0.5", 53 },
	{ "not local", TUPLE_V4, 6, "203.0.113.1", 1, "198.51.100.2", 2 },
	{ "no socket", TUPLE_V4, 6, "10.0.0.5", 4444, "192.0.2.9", 1 },
};
#define NFLOWS (sizeof(flows) / sizeof(flows[0]))

static int setup(void **state)
{
	struct ft *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	fx_standard(&t->fx);
	t->r = resolver_new(t->fx.root);
	t->flows = flowtab_new(1000);
	t->pins = pins_new();
	if (!t->r || !t->flows || !t->pins)
		return -1;
	resolver_set_forget_min(t->r, 0);
	for (size_t i = 0; i < NFLOWS; i++) {
		struct packet p;
		struct tuple canon;

		memset(&p, 0, sizeof(p));
		p.t.family = (uint8_t)flows[i].family;
		p.t.proto = (uint8_t)flows[i].proto;
		addr_parse(p.t.src, flows[i].family, flows[i].src);
		addr_parse(p.t.dst, flows[i].family, flows[i].dst);
		p.t.sport = flows[i].sport;
		p.t.dport = flows[i].dport;
		p.ip_len = 100;
		if (!flowtab_add(t->flows, &p, &canon))
			return -1;
	}
	*state = t;
	return resolver_refresh(t->r);
}

static int teardown(void **state)
{
	struct ft *t = *state;

	if (t) {
		pins_free(t->pins);
		flowtab_free(t->flows);
		resolver_free(t->r);
		fx_free(&t->fx);
		free(t);
	}
	return 0;
}

/* An attribution as text: the two ends' owners (pid and comm) and the reasons. */
static void describe(const struct attribution *a, char *buf, size_t len)
{
	snprintf(buf, len, "%d:%s/%d:%s local %d,%d reason %d ends %d,%d",
		 a->owner[0] ? a->owner[0]->pid : 0, a->owner[0] ? a->owner[0]->comm : "-",
		 a->owner[1] ? a->owner[1]->pid : 0, a->owner[1] ? a->owner[1]->comm : "-",
		 a->local[0], a->local[1], a->reason, a->end_reason[0], a->end_reason[1]);
}

static void all_answers(struct ft *t, char out[NFLOWS][256])
{
	for (size_t i = 0; i < NFLOWS; i++) {
		struct attribution a;

		pins_attribute(t->pins, t->r, i, flowtab_key(t->flows, i), &a);
		describe(&a, out[i], sizeof(out[i]));
	}
}

/* Close what the flows used (and what nobody used: 112's loopback pair). */
static void close_connections(struct ft *t)
{
	struct fixture *fx = &t->fx;

	fx_table_init(&fx->tcp, TUPLE_V4);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 80, "0.0.0.0", 0, 0x0a, 1001);
	fx_add(&fx->tcp, TUPLE_V4, "0.0.0.0", 22, "0.0.0.0", 0, 0x0a, 1003);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 7000, "192.0.2.9", 7001, 0x01, 1009);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 3306, "192.0.2.50", 50000, 0x01, 1007);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 3307, "192.0.2.50", 50001, 0x01, 1008);
	fx_add(&fx->tcp, TUPLE_V4, "127.0.0.1", 6000, "0.0.0.0", 0, 0x0a, 1021);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 8000, "192.0.2.9", 8001, 0x01, 1011);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 8002, "192.0.2.9", 8003, 0x01, 1012);
	fx_write_tables(fx);
	fx_rm(fx->root, "101");
	fx_rm(fx->root, "110");
	fx_rm(fx->root, "112");
}

/*
 * Nothing is forgotten before two whole passes have missed it, nor while
 * the growth is under the minimum.
 */
static void test_due(void **state)
{
	struct ft *t = *state;

	/* One pass: not two whole ones yet. */
	assert_false(resolver_forget_due(t->r, 0));
	assert_int_equal(resolver_refresh(t->r), 0);
	assert_true(resolver_forget_due(t->r, 0));
	/* The default minimum: a fixture of 18 sockets is far from it. */
	resolver_set_forget_min(t->r, RESOLVER_FORGET_MIN);
	assert_false(resolver_forget_due(t->r, 0));
	/*
	 * A round with nothing closed forgets no socket, but the processes
	 * that own nothing: 300 and 270, which met the sockets they share
	 * with 250 and 260 first (the lowest pid wins).
	 */
	resolver_set_forget_min(t->r, 0);
	assert_true(pins_round(t->pins, t->r, t->flows, NFLOWS));
	struct resolve_stats st;
	resolver_stats(t->r, &st);
	assert_int_equal(st.rounds, 1);
	assert_int_equal(st.sockets_forgotten, 0);
	assert_int_equal(st.processes_forgotten, 2);
	assert_int_equal(pins_count(t->pins), 0);
	/* Then the next needs as much growth again as it kept. */
	assert_false(resolver_forget_due(t->r, 0));
}

/*
 * Sockets closed and processes gone for two whole passes are forgotten;
 * the flows whose answers rested on them keep those answers (pins), and
 * the others are still answered by the resolver: every flow attributed
 * as before the round.
 */
static void test_round_keeps_every_answer(void **state)
{
	struct ft *t = *state;
	char before[NFLOWS][256], after[NFLOWS][256];
	struct resolve_stats st0, st1;
	struct attribution a;

	all_answers(t, before);
	close_connections(t);
	assert_int_equal(resolver_refresh(t->r), 0);
	/* Closed, but remembered: the same answers. */
	all_answers(t, after);
	for (size_t i = 0; i < NFLOWS; i++)
		assert_string_equal(after[i], before[i]);
	/*
	 * One whole pass has missed them, the one before saw them: a round
	 * now would not drop them, so no answer rests on what it drops.
	 */
	assert_true(resolver_forget_due(t->r, 0));
	for (size_t i = 0; i < NFLOWS; i++) {
		const struct tuple *k = flowtab_key(t->flows, i);
		struct owner_pin pin;

		assert_false(resolver_answer_end_at(t->r, k->family, k->proto, k->src, k->sport,
						 k->dst, k->dport, &pin));
		assert_false(resolver_answer_end_at(t->r, k->family, k->proto, k->dst, k->dport,
						 k->src, k->sport, &pin));
	}
	assert_int_equal(resolver_refresh(t->r), 0);
	resolver_stats(t->r, &st0);
	assert_true(pins_round(t->pins, t->r, t->flows, NFLOWS));
	resolver_stats(t->r, &st1);

	/* 1002, 1020, 1022, 1023, 1024 and the time-wait tuple went. */
	assert_int_equal(st1.sockets_forgotten, 6);
	assert_int_equal(st1.sockets_kept, st0.sockets_kept - 6);
	/*
	 * 112 (selfie) owned only what went, and no flow names it; 300 and
	 * 270 own nothing (test_due).
	 */
	assert_int_equal(st1.processes_forgotten, 3);
	assert_int_equal(st1.processes_kept, st0.processes_kept - 3);
	/* 101, 110 and 112 are no longer listed. */
	assert_int_equal(st1.pids_forgotten, 3);
	/* The accepted, loopback and time-wait flows rested on what went. */
	assert_int_equal(pins_count(t->pins), 3);
	assert_true(pins_has(t->pins, 0));
	assert_true(pins_has(t->pins, 1));
	assert_false(pins_has(t->pins, 2));
	assert_true(pins_has(t->pins, 3));

	all_answers(t, after);
	for (size_t i = 0; i < NFLOWS; i++) {
		if (strcmp(after[i], before[i]) != 0)
			fail_msg("%s: %s after the round, %s before", flows[i].name, after[i],
				 before[i]);
	}
	/*
	 * Why the pins: asked now, the resolver gives the accepted
	 * connection to the listener's process, its own socket forgotten.
	 */
	attribute_flow(t->r, flowtab_key(t->flows, 0), &a);
	assert_non_null(a.owner[0] ? a.owner[0] : a.owner[1]);
	assert_int_equal((a.owner[0] ? a.owner[0] : a.owner[1])->pid, 100);

	/* Later passes and rounds change nothing of it. */
	assert_int_equal(resolver_refresh(t->r), 0);
	assert_int_equal(resolver_refresh(t->r), 0);
	pins_round(t->pins, t->r, t->flows, NFLOWS);
	all_answers(t, after);
	for (size_t i = 0; i < NFLOWS; i++)
		assert_string_equal(after[i], before[i]);
}

/*
 * A forgotten process's slot is taken by the next process met; the
 * processes pins name stay whole.
 */
static void test_slots_reused(void **state)
{
	struct ft *t = *state;
	static const uint64_t ino[] = { 2900 };
	char before[NFLOWS][256], after[NFLOWS][256];
	struct resolve_stats st0, st1;
	const struct proc_info *p;
	uint8_t l[16], rem[16];

	all_answers(t, before);
	close_connections(t);
	assert_int_equal(resolver_refresh(t->r), 0);
	assert_int_equal(resolver_refresh(t->r), 0);
	assert_true(pins_round(t->pins, t->r, t->flows, NFLOWS));
	resolver_stats(t->r, &st0);
	assert_int_equal(st0.processes_forgotten, 3);

	fx_proc(t->fx.root, 900, "late", 7, CMD("late\0--x\0"), 77, ino, 1);
	fx_add(&t->fx.udp, TUPLE_V4, "10.0.0.5", 9900, "0.0.0.0", 0, 7, 2900);
	fx_write_tables(&t->fx);
	assert_int_equal(resolver_refresh(t->r), 0);
	resolver_stats(t->r, &st1);
	assert_int_equal(st1.processes, st0.processes + 1);
	assert_int_equal(st1.processes_kept, st0.processes_kept + 1);
	addr_parse(l, TUPLE_V4, "10.0.0.5");
	addr_parse(rem, TUPLE_V4, "192.0.2.1");
	assert_int_equal(resolver_lookup_at(t->r, TUPLE_V4, 17, l, 9900, rem, 9, &p), OWNER_FOUND);
	assert_int_equal(p->pid, 900);
	assert_string_equal(p->comm, "late");
	assert_string_equal(p->cmdline, "late --x");
	all_answers(t, after);
	for (size_t i = 0; i < NFLOWS; i++)
		assert_string_equal(after[i], before[i]);
}

/*
 * A flow the round did not look at (made while it ran: not among its n)
 * is answered by what the resolver keeps: here the loopback flow's server
 * end by its listener's process, its client end by no socket.
 */
static void test_flows_beyond_n(void **state)
{
	struct ft *t = *state;
	struct attribution a;

	close_connections(t);
	assert_int_equal(resolver_refresh(t->r), 0);
	assert_int_equal(resolver_refresh(t->r), 0);
	assert_true(pins_round(t->pins, t->r, t->flows, 1));
	assert_true(pins_has(t->pins, 0));
	assert_false(pins_has(t->pins, 1));
	pins_attribute(t->pins, t->r, 1, flowtab_key(t->flows, 1), &a);
	assert_null(a.owner[0]);
	assert_int_equal(a.end_reason[0], REASON_NO_SOCKET);
	assert_non_null(a.owner[1]);
	assert_int_equal(a.owner[1]->pid, 111);
}

/*
 * A long run in small: 200 passes, each with a new process holding 50 new
 * connections (to a new remote port) and the last pass's process gone;
 * every fifth pass's first five connections carry a flow. Nothing kept
 * grows with the passes: sockets, pids and processes stay within a few
 * passes' worth (plus the processes flows name), while 10,000 sockets go
 * by; and every flow is still its process's at the end.
 */
#define CHURN_PASSES 200
#define CHURN_SOCKS 50

static void churn_pass(struct fixture *fx, int pass)
{
	uint64_t ino[CHURN_SOCKS];
	char name[32], rel[32];
	struct fx_table tcp;

	fx_table_init(&tcp, TUPLE_V4);
	for (int k = 0; k < CHURN_SOCKS; k++) {
		char remote[32];

		ino[k] = 100000 + (uint64_t)pass * CHURN_SOCKS + (uint64_t)k;
		snprintf(remote, sizeof(remote), "192.0.2.%d", 1 + pass % 250);
		fx_add(&tcp, TUPLE_V4, "10.0.0.5", (uint16_t)(10000 + k), remote,
		       (uint16_t)(1000 + pass), 0x01, ino[k]);
	}
	fx_puts(fx->root, "net/tcp", tcp.text);
	snprintf(name, sizeof(name), "churn%d", pass);
	fx_proc(fx->root, 5000 + pass, name, 1, CMD("churn\0"), 10000 + (unsigned)pass, ino,
		CHURN_SOCKS);
	if (pass > 0) {
		snprintf(rel, sizeof(rel), "%d", 5000 + pass - 1);
		fx_rm(fx->root, rel);
	}
}

static void test_bounded_churn(void **state)
{
	struct ft *t = *state;
	size_t flow_pid[CHURN_PASSES * CHURN_SOCKS], nflows = NFLOWS;
	size_t max_socks = 0, max_pids = 0, max_procs = 0;
	struct resolve_stats st;

	resolver_set_forget_min(t->r, 64);
	for (int pass = 0; pass < CHURN_PASSES; pass++) {
		churn_pass(&t->fx, pass);
		assert_int_equal(resolver_refresh(t->r), 0);
		for (int k = 0; pass % 5 == 0 && k < 5; k++) {
			struct packet p;
			struct tuple canon;

			memset(&p, 0, sizeof(p));
			p.t.family = TUPLE_V4;
			p.t.proto = 6;
			addr_parse(p.t.src, TUPLE_V4, "10.0.0.5");
			addr4(p.t.dst, 192, 0, 2, (unsigned)(1 + pass % 250));
			p.t.sport = (uint16_t)(10000 + k);
			p.t.dport = (uint16_t)(1000 + pass);
			p.ip_len = 60;
			assert_true(flowtab_add(t->flows, &p, &canon));
			flow_pid[nflows++] = (size_t)(5000 + pass);
		}
		pins_round(t->pins, t->r, t->flows, nflows);
		resolver_stats(t->r, &st);
		if (st.sockets_kept > max_socks)
			max_socks = st.sockets_kept;
		if (st.pids_kept > max_pids)
			max_pids = st.pids_kept;
		if (st.processes_kept > max_procs)
			max_procs = st.processes_kept;
	}
	resolver_stats(t->r, &st);
	print_message("churn: %llu sockets learned, at most %zu kept; %llu processes, at most "
		      "%zu kept; at most %zu pids; %llu rounds, %zu flows pinned\n",
		      (unsigned long long)st.sockets, max_socks,
		      (unsigned long long)st.processes, max_procs, max_pids,
		      (unsigned long long)st.rounds, pins_count(t->pins));
	assert_true(st.sockets >= CHURN_PASSES * CHURN_SOCKS);
	assert_true(max_socks < 400);
	assert_true(max_pids < 100);
	/* The fixture's, a few passes' worth, and the 40 that flows name. */
	assert_true(max_procs < 80);
	for (size_t i = NFLOWS; i < nflows; i++) {
		struct attribution a;

		pins_attribute(t->pins, t->r, i, flowtab_key(t->flows, i), &a);
		if (!a.owner[0] || (size_t)a.owner[0]->pid != flow_pid[i])
			fail_msg("flow %zu: pid %d, want %zu", i, a.owner[0] ? a.owner[0]->pid : 0,
				 flow_pid[i]);
	}
}

/*
 * Keys that another namespace's owner chooses (the addresses of its
 * interfaces, the local addresses its sockets bind to, its sockets'
 * tuples) are hashed with SipHash, in the maps a round rebuilds too;
 * inode numbers and pids, which the host's kernel hands out in turn, with
 * the cheaper mixhash64 (issue 11, item 10).
 */
static void test_foreign_keys_siphash(void **state)
{
	struct ft *t = *state;

	assert_int_equal(resolver_refresh(t->r), 0);
	for (int round = 0; round < 2; round++) {
		assert_true(hmap_prf(t->r->db.sock_addrs));
		assert_true(hmap_prf(t->r->db.socks));
		assert_true(localaddr_prf(t->r->db.local));
		assert_false(hmap_prf(t->r->db.inodes));
		assert_false(hmap_prf(t->r->db.pids));
		if (round == 0) {
			assert_int_equal(resolver_refresh(t->r), 0);
			assert_true(pins_round(t->pins, t->r, t->flows, NFLOWS));
		}
	}
	struct resolve_stats st;
	resolver_stats(t->r, &st);
	assert_int_equal(st.rounds, 1);
}

/* A raw IPv4 TCP segment (no payload) of flow i, as flows[i] sent it, into d[40]. */
static void raw_tcp(uint8_t d[40], size_t i)
{
	uint8_t a[16];

	memset(d, 0, 40);
	d[0] = 0x45;
	d[3] = 40;		/* total length */
	d[8] = 64;
	d[9] = 6;
	addr_parse(a, TUPLE_V4, flows[i].src);
	memcpy(d + 12, a, 4);
	addr_parse(a, TUPLE_V4, flows[i].dst);
	memcpy(d + 16, a, 4);
	d[20] = (uint8_t)(flows[i].sport >> 8);
	d[21] = (uint8_t)flows[i].sport;
	d[22] = (uint8_t)(flows[i].dport >> 8);
	d[23] = (uint8_t)flows[i].dport;
	d[32] = 0x50;		/* 20-byte header */
	d[33] = 0x10;		/* ACK */
}

/*
 * -w writes each packet with the owners the report gives its flow: a flow
 * a round pinned (the accepted connection, its worker's socket forgotten)
 * keeps its worker in the file too, not the listener's process that the
 * resolver alone would name now.
 */
static void test_written_file_keeps_pins(void **state)
{
	struct ft *t = *state;
	char path[] = "/tmp/proctraf-test-forget-XXXXXX", err[256];
	struct pcapng_iface ifc = { DLT_RAW, 256, "lo" };
	struct pcapng_end end = { TIME_NONE, TIME_NONE, NULL, NULL };
	struct pcapng_writer *w;
	struct annot *an;
	const struct proc_info *owner;
	uint8_t d[40], l[16], r[16];
	bool local;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	close_connections(t);
	assert_int_equal(resolver_refresh(t->r), 0);
	assert_int_equal(resolver_refresh(t->r), 0);
	assert_true(pins_round(t->pins, t->r, t->flows, NFLOWS));
	assert_true(pins_has(t->pins, 0));

	assert_int_equal(pcapng_writer_open(path, &ifc, 1, &w, err, sizeof(err)), 0);
	raw_tcp(d, 0);
	{
		struct pcap_pkthdr h = { { 1700000000, 0 }, sizeof(d), sizeof(d) };
		struct packet pkt;

		assert_int_equal(decode_packet(DLT_RAW, d, sizeof(d), sizeof(d), &pkt), DECODE_IP);
		assert_int_equal(pcapng_writer_packet(w, 0, 1700000000000000, &h, d, &pkt, false), 0);
	}
	assert_int_equal(pcapng_writer_finish(w, t->flows, t->pins, t->r, &end, err, sizeof(err)),
			 0);
	pcapng_writer_close(w);

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(annot_read(fd, 100, &an, err, sizeof(err)), 1);
	close(fd);
	addr_parse(l, TUPLE_V4, flows[0].dst);
	addr_parse(r, TUPLE_V4, flows[0].src);
	const struct owner_source *src = annot_source(an);
	assert_int_equal(source_lookup_at(src, TUPLE_V4, 6, l, flows[0].dport, r,
					 flows[0].sport, &owner, &local),
			 OWNER_FOUND);
	assert_non_null(owner);
	assert_int_equal(owner->pid, 101);
	annot_free(an);
	unlink(path);
}

/*
 * A packet socket's inode, which no table lists but pktsock.c watches
 * before every pass, keeps its holder through a round: a report after the
 * round still gives an injector its frames.
 */
static void test_watched_inode_kept(void **state)
{
	struct ft *t = *state;
	static const uint64_t ino[] = { 3950 };
	const struct proc_info *p;
	struct resolve_stats st;

	fx_proc(t->fx.root, 950, "injector", 7, CMD("injector\0"), 77, ino, 1);
	assert_int_equal(resolver_watch_inode(t->r, 3950), 0);
	assert_int_equal(resolver_refresh(t->r), 0);
	p = resolver_inode_owner(t->r, 3950);
	assert_non_null(p);
	assert_int_equal(p->pid, 950);
	close_connections(t);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(resolver_watch_inode(t->r, 3950), 0);
		assert_int_equal(resolver_refresh(t->r), 0);
	}
	assert_true(pins_round(t->pins, t->r, t->flows, NFLOWS));
	resolver_stats(t->r, &st);
	assert_true(st.processes_forgotten > 0);	/* a round did run */
	p = resolver_inode_owner(t->r, 3950);
	assert_non_null(p);
	assert_int_equal(p->pid, 950);
	assert_string_equal(p->comm, "injector");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_due),
		T(test_round_keeps_every_answer),
		T(test_slots_reused),
		T(test_flows_beyond_n),
		T(test_bounded_churn),
		T(test_foreign_keys_siphash),
		T(test_written_file_keeps_pins),
		T(test_watched_inode_kept),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
