/* Unit tests: aggregation into rows, and the text, CSV and TSV writers. */
#include "unit.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../core/aggregate.h"
#include "../../core/output.h"
#include "../../core/report.h"
#include "report_shim.h"

/* Two processes in two network namespaces (the inodes of their ns/net links). */
static struct proc_info client = { .pid = 20, .uid = 0, .have_uid = true, .comm = "client",
				   .cmdline = (char *)"client --go", .netns = 4026531840ULL };
static struct proc_info server = { .pid = 10, .uid = 0, .have_uid = true, .comm = "server",
				   .cmdline = (char *)"server", .netns = 4026532305ULL };

static void loopback_sent_for_one_received_for_other(void **state)
{
	struct aggregate *ag = aggregate_new();
	struct attribution a = { { &client, &server }, { true, true }, REASON_NONE, { REASON_NONE, REASON_NONE }, NULL };
	struct flow_counts c = { { 1000, 300 }, { 10, 3 } };	/* client->server, back */
	const struct row *rows;
	size_t n;

	(void)state;
	assert_int_equal(aggregate_flow(ag, &a, &c), 0);
	rows = aggregate_rows(ag, &n);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		bool is_client = r->pid == 20;
		assert_int_equal(r->sent_bytes, is_client ? 1000 : 300);
		assert_int_equal(r->recv_bytes, is_client ? 300 : 1000);
		assert_int_equal(r->sent_packets, is_client ? 10 : 3);
		assert_int_equal(r->flows, 1);
		/* Each row carries its own process's namespace. */
		assert_int_equal(r->netns, is_client ? 4026531840ULL : 4026532305ULL);
	}
	aggregate_free(ag);
}

static void same_process_both_ends_counts_one_flow(void **state)
{
	struct aggregate *ag = aggregate_new();
	struct attribution a = { { &client, &client }, { true, true }, REASON_NONE, { REASON_NONE, REASON_NONE }, NULL };
	struct flow_counts c = { { 100, 50 }, { 1, 1 } };
	const struct row *rows;
	size_t n;

	(void)state;
	aggregate_flow(ag, &a, &c);
	rows = aggregate_rows(ag, &n);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].sent_bytes, 150);
	assert_int_equal(rows[0].recv_bytes, 150);
	assert_int_equal(rows[0].flows, 1);
	aggregate_free(ag);
}

/*
 * A random attribution and counters (x: the generator's state): process
 * rows (of procs[0..4]), both ends of the same process, unknown rows and
 * end reasons alike.
 */
static void random_flow(uint64_t *x, struct proc_info *procs, struct attribution *at,
			struct flow_counts *c)
{
	*at = (struct attribution){ { NULL, NULL }, { false, false }, REASON_NONE,
				    { REASON_NONE, REASON_NONE }, NULL };
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	int o0 = (int)(*x >> 33) % 7, o1 = (int)(*x >> 40) % 7;
	at->owner[0] = o0 < 5 ? &procs[o0] : NULL;
	at->owner[1] = o1 < 5 ? &procs[o1] : NULL;
	at->local[0] = at->owner[0] || (*x >> 50) & 1;
	at->local[1] = at->owner[1] || (*x >> 51) & 1;
	if (!at->owner[0] && !at->owner[1])
		at->reason = 1 + (int)((*x >> 52) % (REASON_COUNT - 1));
	for (int d = 0; d < 2; d++) {
		if (!at->owner[d] && at->owner[!d] && at->local[d])
			at->end_reason[d] = (*x >> (54 + d)) & 1 ? REASON_NO_SOCKET
								 : REASON_NO_PROCESS;
	}
	*c = (struct flow_counts){ { *x % 5000, (*x >> 20) % 5000 },
				   { 1 + (*x >> 8) % 9, (*x >> 12) % 9 } };
}

static void init_procs(struct proc_info *procs)
{
	for (int i = 0; i < 5; i++)
		procs[i] = (struct proc_info){ .pid = 100 + i, .uid = 0, .have_uid = true,
					       .comm = "p", .cmdline = (char *)"p" };
}

static void assert_same_rows(struct aggregate *x, struct aggregate *y)
{
	size_t n1, n2;
	const struct row *r1 = aggregate_rows(x, &n1), *r2 = aggregate_rows(y, &n2);

	assert_true(n1 >= 5);
	assert_int_equal(n1, n2);
	for (size_t i = 0; i < n1; i++) {
		assert_int_equal(r1[i].pid, r2[i].pid);
		assert_int_equal(r1[i].reason, r2[i].reason);
		assert_string_equal(r1[i].user, r2[i].user);
		assert_int_equal(r1[i].sent_bytes, r2[i].sent_bytes);
		assert_int_equal(r1[i].recv_bytes, r2[i].recv_bytes);
		assert_int_equal(r1[i].sent_packets, r2[i].sent_packets);
		assert_int_equal(r1[i].recv_packets, r2[i].recv_packets);
		assert_int_equal(r1[i].flows, r2[i].flows);
	}
}

/* Flows counted in two aggregates and merged give the rows that one aggregate of them all gives. */
static void merge_equals_one_aggregate(void **state)
{
	static struct proc_info procs[5];
	struct aggregate *all = aggregate_new(), *a = aggregate_new(), *b = aggregate_new();
	uint64_t x = 12345;

	(void)state;
	init_procs(procs);
	for (int i = 0; i < 3000; i++) {
		struct attribution at;
		struct flow_counts c;

		random_flow(&x, procs, &at, &c);
		assert_int_equal(aggregate_flow(all, &at, &c), 0);
		assert_int_equal(aggregate_flow(i % 3 ? a : b, &at, &c), 0);
	}
	assert_int_equal(aggregate_merge(a, b), 0);
	assert_same_rows(all, a);
	aggregate_free(all);
	aggregate_free(a);
	aggregate_free(b);
}

/*
 * Every flow planned first (its rows made, no counters), then every plan
 * applied with the flow's counters: the rows of aggregate_flow, flow by
 * flow. (A file's flows are planned while its packets are still read.)
 */
static void plan_then_apply_equals_flow(void **state)
{
	enum { N = 3000 };
	static struct proc_info procs[5];
	static struct agg_plan plans[N];
	static struct flow_counts counts[N];
	struct aggregate *whole = aggregate_new(), *planned = aggregate_new();
	uint64_t x = 777;

	(void)state;
	init_procs(procs);
	for (int i = 0; i < N; i++) {
		struct attribution at;

		random_flow(&x, procs, &at, &counts[i]);
		assert_int_equal(aggregate_flow(whole, &at, &counts[i]), 0);
		assert_int_equal(aggregate_plan(planned, &at, &plans[i]), 0);
	}
	for (int i = 0; i < N; i++)
		aggregate_apply(planned, &plans[i], &counts[i]);
	assert_same_rows(whole, planned);
	aggregate_free(whole);
	aggregate_free(planned);
}

/*
 * A flow planned but never applied (the early attribution gave up on it)
 * leaves its row with nothing counted: merged, it must not show as a
 * process row of zeros.
 */
static void merge_skips_rows_never_applied(void **state)
{
	struct aggregate *early = aggregate_new(), *ag = aggregate_new();
	struct attribution a = { { &client, NULL }, { true, false }, REASON_NONE,
				 { REASON_NONE, REASON_NONE }, NULL };
	struct agg_plan plan;
	const struct row *rows;
	size_t n;

	(void)state;
	assert_int_equal(aggregate_plan(early, &a, &plan), 0);
	assert_int_equal(aggregate_merge(ag, early), 0);
	rows = aggregate_rows(ag, &n);
	assert_non_null(rows);
	assert_int_equal(n, 0);
	aggregate_free(early);
	aggregate_free(ag);
}

static void unknown_rows_and_order(void **state)
{
	struct aggregate *ag = aggregate_new();
	struct attribution nosock = { { NULL, NULL }, { true, false }, REASON_NO_SOCKET, { REASON_NONE, REASON_NONE }, NULL };
	struct attribution notlocal = { { NULL, NULL }, { false, false }, REASON_NOT_LOCAL, { REASON_NONE, REASON_NONE }, NULL };
	struct attribution mine = { { &server, NULL }, { true, false }, REASON_NONE, { REASON_NONE, REASON_NONE }, NULL };
	struct flow_counts c1 = { { 70, 30 }, { 1, 1 } }, c2 = { { 5, 5 }, { 1, 1 } },
			   c3 = { { 60, 40 }, { 2, 2 } }, full = { { 7, 9 }, { 1, 2 } };
	uint64_t total = 0;
	const struct row *rows;
	size_t n;

	(void)state;
	aggregate_flow(ag, &nosock, &c1);
	aggregate_flow(ag, &notlocal, &c2);
	aggregate_flow(ag, &mine, &c3);
	aggregate_overflow(ag, &full);
	rows = aggregate_rows(ag, &n);
	assert_int_equal(n, 4);
	/* 100 (process) ties 100 (no-socket): the process row first */
	assert_int_equal(rows[0].reason, REASON_NONE);
	assert_int_equal(rows[1].reason, REASON_NO_SOCKET);
	assert_int_equal(rows[1].sent_bytes, 70);		/* from our address */
	assert_int_equal(rows[1].recv_bytes, 30);
	assert_string_equal(rows[1].command, "unknown:no-socket");
	assert_int_equal(rows[2].reason, REASON_TABLE_FULL);
	assert_int_equal(rows[2].sent_bytes, 7);
	assert_int_equal(rows[2].recv_bytes, 9);
	assert_int_equal(rows[3].reason, REASON_NOT_LOCAL);
	assert_int_equal(rows[3].sent_bytes, 0);
	assert_int_equal(rows[3].recv_bytes, 10);
	/* The process row has its namespace; an unknown row has none. */
	assert_int_equal(rows[0].netns, server.netns);
	for (size_t i = 1; i < n; i++)
		assert_int_equal(rows[i].netns, 0);
	/* every byte is in exactly one row when at most one end is local */
	for (size_t i = 0; i < n; i++)
		total += rows[i].sent_bytes + rows[i].recv_bytes;
	assert_int_equal(total, 100 + 10 + 100 + 16);
	aggregate_free(ag);
}

static char *render(enum out_format fmt, bool header, const struct row *rows, size_t n,
		    const struct totals *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(output_report(f, fmt, header, rows, n, t), 0);
	fclose(f);
	return buf;
}

static struct row hostile = { .reason = REASON_NONE, .pid = 7, .user = "root",
			      .command = "a,b\"c\td", .cmdline = "=1+2\nx\xff\\y\r",
			      .sent_bytes = 18446744073709551615ULL, .recv_bytes = 0,
			      .sent_packets = 1, .recv_packets = 2, .flows = 3,
			      .netns = 4026531993ULL };

struct readback {
	char fields[16][64];
	size_t lens[16];
	int n, rows;
};

static void on_field(void *s, size_t len, void *data)
{
	struct readback *rb = data;

	if (rb->rows == 1 && rb->n < 16 && len < 64) {
		memcpy(rb->fields[rb->n], s, len);
		rb->lens[rb->n] = len;
	}
	if (rb->rows == 1)
		rb->n++;
}

static void on_row(int c, void *data)
{
	(void)c;
	((struct readback *)data)->rows++;
}

static void csv_reads_back_the_same_fields(void **state)
{
	struct totals t = { 0 };
	char *out = render(OUT_CSV, true, &hostile, 1, &t);
	struct csv_parser p;
	struct readback rb = { .rows = 0 };

	(void)state;
	assert_int_equal(csv_init(&p, CSV_STRICT), 0);
	assert_int_equal(csv_parse(&p, out, strlen(out), on_field, on_row, &rb), strlen(out));
	csv_fini(&p, on_field, on_row, &rb);
	csv_free(&p);
	assert_int_equal(rb.rows, 2);		/* header and one row, no more */
	assert_int_equal(rb.n, 10);		/* ... flows, netns, cmdline */
	assert_memory_equal(rb.fields[0], "7", 1);
	assert_int_equal(rb.lens[2], strlen(hostile.command));
	assert_memory_equal(rb.fields[2], hostile.command, rb.lens[2]);
	assert_int_equal(rb.lens[8], 10);
	assert_memory_equal(rb.fields[8], "4026531993", 10);
	assert_int_equal(rb.lens[9], strlen(hostile.cmdline));
	assert_memory_equal(rb.fields[9], hostile.cmdline, rb.lens[9]);
	assert_memory_equal(rb.fields[3], "18446744073709551615", 20);
	free(out);
}

static void tsv_escapes(void **state)
{
	struct totals t = { 0 };
	char *out = render(OUT_TSV, false, &hostile, 1, &t);

	(void)state;
	assert_string_equal(out, "7\troot\ta,b\"c\\td\t18446744073709551615\t0\t1\t2\t3\t"
				 "4026531993\t=1+2\\nx\\xff\\\\y\\r\n");
	free(out);
}

static void text_table(void **state)
{
	struct row rows[2] = { hostile, { .reason = REASON_NO_SOCKET, .command = "unknown:no-socket",
					  .cmdline = "why", .sent_bytes = 5, .sent_packets = 1,
					  .flows = 1 } };
	struct totals t = { .packets = 9, .ip_bytes = 99, .not_ip = 1, .malformed = 2,
			    .duplicates = 6, .live = true, .kernel_drops = 3, .if_drops = 4 };
	char *out = render(OUT_TEXT, true, rows, 2, &t);

	(void)state;
	assert_string_equal(out,
		/* COMMAND is 17 wide (unknown:no-socket), SENT_BYTES 20 (2^64-1) */
		/* NETNS is 10 wide (the inode), right-aligned; "-" on the unknown row */
		"PID  USER  COMMAND" "          " "  " "          " "SENT_BYTES  RECV_BYTES  SENT_PACKETS  RECV_PACKETS  FLOWS       NETNS  CMDLINE\n"
		"  7  root  a,b\"c\\x09d" "       " "  18446744073709551615           0             1             2      3  4026531993  =1+2\\x0ax\\xff\\\\y\\x0d\n"
		"  -  -     unknown:no-socket                     5           0             1             0      1           -  why\n"
		"\n"
		SHIM_SPAN
		"captured 9 packets, 99 IP bytes; 1 not IP, 2 malformed, 6 copies of packets seen on another interface; dropped: 3 by kernel, 4 by interface\n");
	free(out);
	t.live = false;
	out = render(OUT_TEXT, false, rows, 1, &t);
	assert_null(strstr(out, "captured"));	/* --no-header: no footer either */
	assert_null(strstr(out, "PID"));
	free(out);
}

static void text_escaping(void **state)
{
	char buf[64];
	size_t w;

	(void)state;
	output_escape_text("h\xc3\xa9llo", buf, sizeof(buf), &w);	/* valid UTF-8 kept */
	assert_string_equal(buf, "h\xc3\xa9llo");
	assert_int_equal(w, 5);
	output_escape_text("\xc3(\x01\x7f", buf, sizeof(buf), &w);	/* broken sequence */
	assert_string_equal(buf, "\\xc3(\\x01\\x7f");
	output_escape_text("\xed\xa0\x80", buf, sizeof(buf), &w);	/* a surrogate */
	assert_string_equal(buf, "\\xed\\xa0\\x80");
	output_escape_text("abcdefghijkl", buf, 6, &w);		/* cut to fit, terminated */
	assert_int_equal(strlen(buf), 5);
}

static void write_failure_is_reported(void **state)
{
	struct totals t = { 0 };
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(output_report(f, OUT_CSV, true, &hostile, 1, &t), -1);
	fclose(f);
}

/* ---- report_keep: the filters ---- */

struct filter_set {
	const char *const *v;
	size_t n;
	int match;	/* does it keep proc "alice" (uid 1000) pid 42 "curl"? */
};

static void report_keep_truth_table(void **state)
{
	static const int p42[] = { 42 }, p7[] = { 7 }, p7_42[] = { 7, 42 };
	static const char *const u_glob[] = { "al*" }, *const u_class[] = { "[a]lice" },
			  *const u_uid[] = { "1000" }, *const u_bob[] = { "bob" },
			  *const u_bob_uid[] = { "bob", "1000" }, *const u_root[] = { "0" },
			  *const u_notuid[] = { "1000x" };
	static const char *const c_glob[] = { "cu*" }, *const c_wget[] = { "wget" },
			  *const c_both[] = { "wget", "curl" }, *const c_unk[] = { "unknown*" },
			  *const c_curl_nosock[] = { "curl", "unknown:no-*" },
			  *const c_notlocal[] = { "unknown:not-local" };
	static const struct { const int *v; size_t n; int match; } pids[] = {
		{ NULL, 0, 1 }, { p42, 1, 1 }, { p7, 1, 0 }, { p7_42, 2, 1 },
	};
	static const struct filter_set users[] = {
		{ NULL, 0, 1 }, { u_glob, 1, 1 }, { u_class, 1, 1 }, { u_uid, 1, 1 },
		{ u_bob, 1, 0 }, { u_bob_uid, 2, 1 }, { u_root, 1, 0 }, { u_notuid, 1, 0 },
	};
	/* match: for the process; unk: for unknown:no-socket, unk2: for unknown:not-local */
	static const struct { const char *const *v; size_t n; int match, unk, unk2; } cmds[] = {
		{ NULL, 0, 1, 1, 1 },	/* no pattern: unknown rows stay */
		{ c_glob, 1, 1, 1, 1 },	/* patterns that name no unknown row leave them */
		{ c_wget, 1, 0, 1, 1 },
		{ c_both, 2, 1, 1, 1 },
		{ c_unk, 1, 0, 1, 1 },	/* ... those that do choose among them */
		{ c_curl_nosock, 2, 1, 1, 0 },
		{ c_notlocal, 1, 0, 0, 1 },
	};
	struct proc_info p = { .pid = 42, .uid = 1000, .have_uid = true, .comm = "curl" };
	size_t cases = 0;

	(void)state;
	for (size_t a = 0; a < sizeof(pids) / sizeof(pids[0]); a++)
	for (size_t b = 0; b < sizeof(users) / sizeof(users[0]); b++)
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
	for (int nu = 0; nu < 2; nu++) {
		struct report_opts o;
		bool want = pids[a].match && users[b].match && cmds[c].match;

		memset(&o, 0, sizeof(o));
		o.pids = pids[a].v;
		o.npids = pids[a].n;
		o.users = users[b].v;
		o.nusers = users[b].n;
		o.commands = cmds[c].v;
		o.ncommands = cmds[c].n;
		o.no_unknown = nu;
		if (report_keep(&o, &p, "alice", "curl") != want)
			fail_msg("process row: pids %zu, users %zu, commands %zu, no_unknown %d: "
				 "kept %d", a, b, c, nu, !want);
		/* Unknown rows: only --no-unknown and --command patterns naming them count. */
		if (report_keep(&o, NULL, "", "unknown:no-socket") != (!nu && cmds[c].unk))
			fail_msg("unknown:no-socket: pids %zu, users %zu, commands %zu, "
				 "no_unknown %d", a, b, c, nu);
		if (report_keep(&o, NULL, "", "unknown:not-local") != (!nu && cmds[c].unk2))
			fail_msg("unknown:not-local: pids %zu, users %zu, commands %zu, "
				 "no_unknown %d", a, b, c, nu);
		cases++;
	}
	assert_int_equal(cases, 4 * 8 * 7 * 2);
}

static void report_keep_users(void **state)
{
	static const char *const by_uid[] = { "1000" }, *const root[] = { "0" },
			  *const any[] = { "*" }, *const qmark[] = { "?" };
	struct proc_info p = { .pid = 1, .uid = 1000, .have_uid = false, .comm = "x" };
	struct report_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.nusers = 1;
	/* No uid known: a uid matches nothing, a glob the name ("?") as it is. */
	o.users = by_uid;
	assert_false(report_keep(&o, &p, "?", "x"));
	o.users = any;
	assert_true(report_keep(&o, &p, "?", "x"));
	o.users = qmark;
	assert_true(report_keep(&o, &p, "?", "x"));
	/* A name that is a number (no passwd entry) is matched as the uid it is. */
	p.have_uid = true;
	o.users = by_uid;
	assert_true(report_keep(&o, &p, "1000", "x"));
	p.uid = 0;
	o.users = root;
	assert_true(report_keep(&o, &p, "root", "x"));
	o.users = by_uid;
	assert_false(report_keep(&o, &p, "1000", "x"));	/* the name is not looked at */
}

/* A process whose name starts with "unknown" is a process: its row follows the patterns. */
static void report_keep_process_named_unknown(void **state)
{
	static const char *const pat[] = { "unknown*" };
	struct proc_info p = { .pid = 5, .uid = 0, .have_uid = true, .comm = "unknownd" };
	struct report_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.commands = pat;
	o.ncommands = 1;
	assert_true(report_keep(&o, &p, "root", "unknownd"));
	o.no_unknown = true;
	assert_true(report_keep(&o, &p, "root", "unknownd"));
	assert_false(report_keep(&o, NULL, "", "unknown:no-socket"));
}

/* ---- report_check: the --sort key must be a column of the table asked for ---- */

static int check(const struct report_opts *o, const char *sort, char *err, size_t len)
{
	struct report_opts c = *o;

	c.sort = sort;
	err[0] = '\0';
	return report_check(&c, err, len);
}

static void report_check_sort_keys(void **state)
{
	static const char *const always[] = { "total", "sent_bytes", "recv_bytes", "sent_packets",
					      "recv_packets" };
	static const char *const process_only[] = { "pid", "user", "command", "flows", "netns",
						    "cmdline" };
	struct report_opts proc, grp, conn;
	char err[1024];

	(void)state;
	memset(&proc, 0, sizeof(proc));
	grp = proc;
	grp.group[0] = GROUP_USER;
	grp.group[1] = GROUP_CGROUP;
	grp.ngroup = 2;
	conn = proc;
	conn.connections = true;

	assert_int_equal(check(&proc, NULL, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
		assert_int_equal(check(&proc, always[i], err, sizeof(err)), 0);
		assert_int_equal(check(&grp, always[i], err, sizeof(err)), 0);
		assert_int_equal(check(&conn, always[i], err, sizeof(err)), 0);
	}
	for (size_t i = 0; i < sizeof(process_only) / sizeof(process_only[0]); i++)
		assert_int_equal(check(&proc, process_only[i], err, sizeof(err)), 0);
	/* Groups: their keys, flows and processes; not the other process columns. */
	assert_int_equal(check(&grp, "user", err, sizeof(err)), 0);
	assert_int_equal(check(&grp, "cgroup", err, sizeof(err)), 0);
	assert_int_equal(check(&grp, "processes", err, sizeof(err)), 0);
	assert_int_equal(check(&grp, "flows", err, sizeof(err)), 0);
	assert_int_equal(check(&grp, "pid", err, sizeof(err)), -1);
	assert_int_equal(check(&grp, "cmdline", err, sizeof(err)), -1);
	assert_int_equal(check(&grp, "unit", err, sizeof(err)), -1);
	assert_int_equal(check(&proc, "processes", err, sizeof(err)), -1);
	assert_string_equal(err, "--sort: no column 'processes' in this report (total, pid, user, "
				 "command, sent_bytes, recv_bytes, sent_packets, recv_packets, "
				 "flows, netns, cmdline)");
	assert_int_equal(check(&proc, "cgroup", err, sizeof(err)), -1);
	/* Connections: the ends and times; no flows or cmdline column. */
	assert_int_equal(check(&conn, "local_port", err, sizeof(err)), 0);
	assert_int_equal(check(&conn, "remote_addr", err, sizeof(err)), 0);
	assert_int_equal(check(&conn, "proto", err, sizeof(err)), 0);
	assert_int_equal(check(&conn, "first", err, sizeof(err)), 0);
	assert_int_equal(check(&conn, "pid", err, sizeof(err)), 0);
	assert_int_equal(check(&conn, "flows", err, sizeof(err)), -1);
	assert_int_equal(check(&conn, "cmdline", err, sizeof(err)), -1);
	assert_int_equal(check(&proc, "local_port", err, sizeof(err)), -1);
	assert_int_equal(check(&grp, "local_port", err, sizeof(err)), -1);
	assert_int_equal(check(&proc, "first", err, sizeof(err)), -1);
	/* Rates and times only when asked for. */
	assert_int_equal(check(&proc, "sent_rate", err, sizeof(err)), -1);
	assert_int_equal(check(&proc, "start", err, sizeof(err)), -1);
	proc.rate = true;
	proc.timestamps = true;
	assert_int_equal(check(&proc, "sent_rate", err, sizeof(err)), 0);
	assert_int_equal(check(&proc, "recv_rate", err, sizeof(err)), 0);
	assert_int_equal(check(&proc, "start", err, sizeof(err)), 0);
	assert_int_equal(check(&proc, "duration", err, sizeof(err)), 0);
	/* Names exactly: no titles, no prefixes, no case folding. */
	assert_int_equal(check(&proc, "PID", err, sizeof(err)), -1);
	assert_int_equal(check(&proc, "sent", err, sizeof(err)), -1);
	assert_int_equal(check(&proc, "", err, sizeof(err)), -1);
	assert_int_equal(check(&proc, "Total", err, sizeof(err)), -1);
	/* The message is cut to the buffer, and terminated. */
	assert_int_equal(check(&grp, "nosuch", err, 16), -1);
	assert_string_equal(err, "--sort: no colu");
	/* Every kind of table with times and rates has room for its columns. */
	conn.timestamps = conn.rate = true;
	assert_int_equal(check(&conn, "last", err, sizeof(err)), 0);
	for (int k = 0; k < GROUP_NKEYS; k++)
		grp.group[k] = (enum group_key)k;
	grp.ngroup = GROUP_NKEYS;
	grp.timestamps = grp.rate = true;
	assert_int_equal(check(&grp, "container", err, sizeof(err)), 0);
}

static void group_key_names(void **state)
{
	static const char *const names[GROUP_NKEYS] = { "pid", "user", "command", "netns",
							"cgroup", "unit", "container" };

	(void)state;
	for (int k = 0; k < GROUP_NKEYS; k++) {
		assert_string_equal(group_key_name((enum group_key)k), names[k]);
		assert_int_equal(group_key_parse(names[k]), k);
	}
	assert_int_equal(group_key_parse("PID"), -1);
	assert_int_equal(group_key_parse(""), -1);
	assert_int_equal(group_key_parse("cmdline"), -1);
	assert_int_equal(group_key_parse("users"), -1);
}

/* ---- report_write: filters, --sort then --top, rates ---- */

static char *write_csv(const struct report_opts *o, const struct row *rows, size_t n,
		       int64_t start, int64_t end)
{
	struct report_data d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	memset(&d, 0, sizeof(d));
	d.sum.kind = REPORT_ONCE;
	d.sum.start_us = start;
	d.sum.end_us = end;
	d.rows = rows;
	d.nrows = n;
	assert_int_equal(report_write(f, o, &d, true), 0);
	fclose(f);
	return buf;
}

static void report_write_sort_top_rates(void **state)
{
	static struct proc_info p[3] = {
		{ .pid = 1, .uid = 0, .have_uid = true, .comm = "a" },
		{ .pid = 2, .uid = 0, .have_uid = true, .comm = "b" },
		{ .pid = 3, .uid = 0, .have_uid = true, .comm = "c" },
	};
	struct row rows[4] = {
		{ .pid = 1, .user = "u", .command = "a", .cmdline = "", .sent_bytes = 900,
		  .recv_bytes = 0, .sent_packets = 9, .flows = 1, .proc = &p[0] },
		{ .pid = 2, .user = "u", .command = "b", .cmdline = "", .sent_bytes = 10,
		  .recv_bytes = 500, .sent_packets = 1, .recv_packets = 5, .flows = 3,
		  .proc = &p[1] },
		{ .pid = 3, .user = "v", .command = "c", .cmdline = "", .sent_bytes = 0,
		  .recv_bytes = 1000, .recv_packets = 10, .flows = 2, .proc = &p[2] },
		{ .reason = REASON_NO_SOCKET, .command = "unknown:no-socket", .cmdline = "why",
		  .sent_bytes = 5000, .sent_packets = 1, .flows = 1 },
	};
	static const char *const users[] = { "u" };
	static const int pids[] = { 3, 2 };
	struct report_opts o;
	char *out;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.format = OUT_CSV;
	/* --top after --sort: the two that receive most, not the first two of the rows. */
	o.sort = "recv_bytes";
	o.top = 2;
	out = write_csv(&o, rows, 4, 0, 2000000);
	assert_string_equal(out, "3,\"v\",\"c\",0,1000,0,10,2,,\"\"\n"
				 "2,\"u\",\"b\",10,500,1,5,3,,\"\"\n");
	free(out);
	/* Ascending on an ascending column; --top larger than the table keeps all. */
	o.sort = "pid";
	o.top = 10;
	out = write_csv(&o, rows, 4, 0, 2000000);
	assert_string_equal(out, ",\"\",\"unknown:no-socket\",5000,0,1,0,1,,\"why\"\n"
				 "1,\"u\",\"a\",900,0,9,0,1,,\"\"\n"
				 "2,\"u\",\"b\",10,500,1,5,3,,\"\"\n"
				 "3,\"v\",\"c\",0,1000,0,10,2,,\"\"\n");
	free(out);
	/* Filters: --user u and --pid 3,2 leave pid 2 (and the unknown row). */
	o.sort = NULL;
	o.top = 0;
	o.users = users;
	o.nusers = 1;
	o.pids = pids;
	o.npids = 2;
	out = write_csv(&o, rows, 4, 0, 2000000);
	assert_string_equal(out, ",\"\",\"unknown:no-socket\",5000,0,1,0,1,,\"why\"\n"
				 "2,\"u\",\"b\",10,500,1,5,3,,\"\"\n");
	free(out);
	o.no_unknown = true;
	out = write_csv(&o, rows, 4, 0, 2000000);
	assert_string_equal(out, "2,\"u\",\"b\",10,500,1,5,3,,\"\"\n");
	free(out);

	/* Rates: bytes over the report's duration (here 0.4 s). */
	memset(&o, 0, sizeof(o));
	o.format = OUT_CSV;
	o.rate = true;
	o.top = 1;
	o.sort = "recv_rate";
	out = write_csv(&o, rows, 4, 100, 400100);
	assert_string_equal(out, "3,\"v\",\"c\",0,1000,0.000,2500.000,0,10,2,,\"\"\n");
	free(out);
	/* No duration, no rates: start = end, or no times at all. */
	o.sort = NULL;
	out = write_csv(&o, rows, 4, 100, 100);
	assert_string_equal(out, ",\"\",\"unknown:no-socket\",5000,0,,,1,0,1,,\"why\"\n");
	free(out);
	out = write_csv(&o, rows, 4, TIME_NONE, TIME_NONE);
	assert_string_equal(out, ",\"\",\"unknown:no-socket\",5000,0,,,1,0,1,,\"why\"\n");
	free(out);
	/* A clock that went back: no negative rates either. */
	out = write_csv(&o, rows, 4, 500, 100);
	assert_string_equal(out, ",\"\",\"unknown:no-socket\",5000,0,,,1,0,1,,\"why\"\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loopback_sent_for_one_received_for_other),
		cmocka_unit_test(same_process_both_ends_counts_one_flow),
		cmocka_unit_test(merge_equals_one_aggregate),
		cmocka_unit_test(plan_then_apply_equals_flow),
		cmocka_unit_test(merge_skips_rows_never_applied),
		cmocka_unit_test(unknown_rows_and_order),
		cmocka_unit_test(csv_reads_back_the_same_fields),
		cmocka_unit_test(tsv_escapes),
		cmocka_unit_test(text_table),
		cmocka_unit_test(text_escaping),
		cmocka_unit_test(write_failure_is_reported),
		cmocka_unit_test(report_keep_truth_table),
		cmocka_unit_test(report_keep_users),
		cmocka_unit_test(report_keep_process_named_unknown),
		cmocka_unit_test(report_check_sort_keys),
		cmocka_unit_test(group_key_names),
		cmocka_unit_test(report_write_sort_top_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
