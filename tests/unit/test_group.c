/*
 * test_group.c - --group-by (core/group.h): process rows summed into one
 * row per group, unknown rows kept apart, key cells, and the member key
 * that must never merge two different groups. Then the same through
 * report_write: the groups sorted, cut by --top, with rates.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "../../core/group.h"
#include "../../core/report.h"
#include "../../core/table.h"
#include "helpers.h"

/* The columns group_fill fills, by the names report.c gives them. */
static const struct column k_pid = { "pid", "PID", true, false };
static const struct column k_user = { "user", "USER", false, false };
static const struct column k_command = { "command", "COMMAND", false, false };
static const struct column k_netns = { "netns", "NETNS", true, false };
static const struct column k_cgroup = { "cgroup", "CGROUP", false, false };
static const struct column k_unit = { "unit", "UNIT", false, false };
static const struct column k_container = { "container", "CONTAINER", false, false };
static const struct column c_sb = { "sent_bytes", "SENT_BYTES", true, true };
static const struct column c_rb = { "recv_bytes", "RECV_BYTES", true, true };
static const struct column c_sp = { "sent_packets", "SENT_PACKETS", true, true };
static const struct column c_rp = { "recv_packets", "RECV_PACKETS", true, true };
static const struct column c_flows = { "flows", "FLOWS", true, true };
static const struct column c_procs = { "processes", "PROCESSES", true, true };

static const struct column *const key_col[GROUP_NKEYS] = {
	&k_pid, &k_user, &k_command, &k_netns, &k_cgroup, &k_unit, &k_container,
};

/* The counters of a new row, as report.c's new_row sets them. */
static struct cell *new_row(void *ctx, bool unknown, uint64_t sb, uint64_t rb, uint64_t sp,
			    uint64_t rp)
{
	struct table *t = ctx;
	struct cell *row = table_add_row(t, unknown);

	if (!row)
		return NULL;
	row[table_col(t, "sent_bytes")] = (struct cell){ CELL_BYTES, { .u = sb } };
	row[table_col(t, "recv_bytes")] = (struct cell){ CELL_BYTES, { .u = rb } };
	row[table_col(t, "sent_packets")] = (struct cell){ CELL_UINT, { .u = sp } };
	row[table_col(t, "recv_packets")] = (struct cell){ CELL_UINT, { .u = rp } };
	return row;
}

/* A group table for o's keys, filled from rows. */
static void fill(struct table *t, const struct report_opts *o, const struct row *rows, size_t n)
{
	table_init(t);
	for (size_t i = 0; i < o->ngroup; i++)
		assert_true(table_add_col(t, key_col[o->group[i]]));
	assert_true(table_add_col(t, &c_sb));
	assert_true(table_add_col(t, &c_rb));
	assert_true(table_add_col(t, &c_sp));
	assert_true(table_add_col(t, &c_rp));
	assert_true(table_add_col(t, &c_flows));
	assert_true(table_add_col(t, &c_procs));
	assert_int_equal(group_fill(t, o, rows, n, new_row, t), 0);
}

static struct report_opts by(int nkeys, ...)
{
	struct report_opts o;
	va_list ap;

	memset(&o, 0, sizeof(o));
	va_start(ap, nkeys);
	for (int i = 0; i < nkeys; i++)
		o.group[o.ngroup++] = (enum group_key)va_arg(ap, int);
	va_end(ap);
	return o;
}

static struct proc_info procs[8];

static struct row prow(struct proc_info *p, const char *user, uint64_t sb, uint64_t rb,
		       uint64_t sp, uint64_t rp, uint64_t flows)
{
	struct row r;

	memset(&r, 0, sizeof(r));
	r.reason = REASON_NONE;
	r.pid = p->pid;
	snprintf(r.user, sizeof(r.user), "%s", user);
	r.command = p->comm;
	r.cmdline = p->cmdline;
	r.netns = p->netns;
	r.proc = p;
	r.sent_bytes = sb;
	r.recv_bytes = rb;
	r.sent_packets = sp;
	r.recv_packets = rp;
	r.flows = flows;
	return r;
}

static struct row urow(enum unknown_reason reason, const char *name, uint64_t sb, uint64_t rb,
		       uint64_t flows)
{
	struct row r;

	memset(&r, 0, sizeof(r));
	r.reason = reason;
	r.command = name;
	r.cmdline = "why";
	r.sent_bytes = sb;
	r.recv_bytes = rb;
	r.sent_packets = sb ? 1 : 0;
	r.recv_packets = rb ? 1 : 0;
	r.flows = flows;
	return r;
}

static void set_proc(struct proc_info *p, int pid, const char *comm, uint64_t netns,
		     const char *cgroup, const char *unit, const char *container)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->uid = (unsigned)pid;
	p->have_uid = true;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->cmdline = (char *)comm;
	p->netns = netns;
	p->cgroup = (char *)cgroup;
	p->unit = (char *)unit;
	p->container = (char *)container;
}

/*
 * Eight processes: alice's curl x2 and sshd, bob's curl, carol's nginx x2
 * in another namespace and a container, one with no cgroup known.
 */
static size_t sample(struct row *rows)
{
	size_t n = 0;

	set_proc(&procs[0], 101, "curl", 4026531840ULL, "/user.slice/a.scope", NULL, NULL);
	set_proc(&procs[1], 102, "curl", 4026531840ULL, "/user.slice/a.scope", NULL, NULL);
	set_proc(&procs[2], 103, "sshd", 4026531840ULL, "/system.slice/ssh.service",
		 "ssh.service", NULL);
	set_proc(&procs[3], 104, "curl", 4026531840ULL, "/user.slice/b.scope", NULL, NULL);
	set_proc(&procs[4], 105, "nginx", 4026532999ULL, "/docker/abc", NULL, "abc");
	set_proc(&procs[5], 106, "nginx", 4026532999ULL, NULL, NULL, NULL);
	set_proc(&procs[6], 107, "bare", 0, NULL, NULL, NULL);
	rows[n++] = prow(&procs[0], "alice", 100, 1000, 1, 10, 1);
	rows[n++] = urow(REASON_NO_SOCKET, "unknown:no-socket", 7, 3, 2);
	rows[n++] = prow(&procs[1], "alice", 200, 2000, 2, 20, 2);
	rows[n++] = prow(&procs[2], "alice", 300, 3000, 3, 30, 3);
	rows[n++] = prow(&procs[3], "bob", 400, 4000, 4, 40, 4);
	rows[n++] = prow(&procs[4], "carol", 500, 5000, 5, 50, 5);
	rows[n++] = urow(REASON_NOT_LOCAL, "unknown:not-local", 0, 9, 1);
	rows[n++] = prow(&procs[5], "carol", 600, 6000, 6, 60, 6);
	rows[n++] = prow(&procs[6], "dave", 700, 7000, 7, 70, 7);
	return n;
}

/* The group row whose key cell col is text s (or, s NULL, no value; numeric: v). */
static const struct cell *find(const struct table *t, const char *col, const char *s, bool unknown)
{
	int c = table_col(t, col);
	const struct cell *hit = NULL;

	assert_true(c >= 0);
	for (size_t i = 0; i < t->nrows; i++) {
		const struct cell *r = table_row(t, i);
		bool match = s ? r[c].kind == CELL_TEXT && strcmp(r[c].v.s, s) == 0
			       : r[c].kind == CELL_NONE;
		if (match && t->unknown[i] == unknown) {
			assert_null(hit);	/* one such row */
			hit = r;
		}
	}
	assert_non_null(hit);
	return hit;
}

static const struct cell *find_uint(const struct table *t, const char *col, uint64_t v)
{
	int c = table_col(t, col);
	const struct cell *hit = NULL;

	for (size_t i = 0; i < t->nrows; i++) {
		const struct cell *r = table_row(t, i);
		if (r[c].kind == CELL_UINT && r[c].v.u == v) {
			assert_null(hit);
			hit = r;
		}
	}
	assert_non_null(hit);
	return hit;
}

static uint64_t val(const struct table *t, const struct cell *row, const char *col)
{
	int c = table_col(t, col);

	assert_true(c >= 0);
	assert_true(row[c].kind == CELL_UINT || row[c].kind == CELL_BYTES);
	return row[c].v.u;
}

static void check_sums(const struct table *t, const struct cell *r, uint64_t sb, uint64_t rb,
		       uint64_t sp, uint64_t rp, uint64_t flows, uint64_t procs_n)
{
	assert_int_equal(val(t, r, "sent_bytes"), sb);
	assert_int_equal(val(t, r, "recv_bytes"), rb);
	assert_int_equal(val(t, r, "sent_packets"), sp);
	assert_int_equal(val(t, r, "recv_packets"), rp);
	assert_int_equal(val(t, r, "flows"), flows);
	if (procs_n)
		assert_int_equal(val(t, r, "processes"), procs_n);
	else
		assert_int_equal(r[table_col(t, "processes")].kind, CELL_NONE);
}

static void test_by_user(void **state)
{
	struct report_opts o = by(1, GROUP_USER);
	struct row rows[16];
	size_t n = sample(rows);
	struct table t;
	const struct cell *r;

	(void)state;
	fill(&t, &o, rows, n);
	assert_int_equal(t.nrows, 4 + 2);
	check_sums(&t, find(&t, "user", "alice", false), 600, 6000, 6, 60, 6, 3);
	check_sums(&t, find(&t, "user", "bob", false), 400, 4000, 4, 40, 4, 1);
	check_sums(&t, find(&t, "user", "carol", false), 1100, 11000, 11, 110, 11, 2);
	check_sums(&t, find(&t, "user", "dave", false), 700, 7000, 7, 70, 7, 1);
	/* Unknown rows: each a row of its own, its name in the key column, no process count. */
	r = find(&t, "user", "unknown:no-socket", true);
	check_sums(&t, r, 7, 3, 1, 1, 2, 0);
	r = find(&t, "user", "unknown:not-local", true);
	check_sums(&t, r, 0, 9, 0, 1, 1, 0);
	table_free(&t);
}

/* pid and netns keys are numbers; no namespace known is no value, a group of its own. */
static void test_numeric_keys(void **state)
{
	struct report_opts o = by(1, GROUP_PID);
	struct row rows[16];
	size_t n = sample(rows);
	struct table t;
	const struct cell *r;

	(void)state;
	fill(&t, &o, rows, n);
	assert_int_equal(t.nrows, 7 + 2);
	for (int pid = 101; pid <= 107; pid++) {
		r = find_uint(&t, "pid", (uint64_t)pid);
		assert_int_equal(val(&t, r, "processes"), 1);
		assert_int_equal(val(&t, r, "sent_bytes"), (uint64_t)(pid - 100) * 100);
	}
	/* The unknown rows' key is text, even in a numeric column. */
	r = find(&t, "pid", "unknown:no-socket", true);
	assert_int_equal(val(&t, r, "flows"), 2);
	table_free(&t);

	o = by(1, GROUP_NETNS);
	fill(&t, &o, rows, n);
	assert_int_equal(t.nrows, 3 + 2);
	check_sums(&t, find_uint(&t, "netns", 4026531840ULL), 1000, 10000, 10, 100, 10, 4);
	check_sums(&t, find_uint(&t, "netns", 4026532999ULL), 1100, 11000, 11, 110, 11, 2);
	check_sums(&t, find(&t, "netns", NULL, false), 700, 7000, 7, 70, 7, 1);
	find(&t, "netns", "unknown:not-local", true);
	table_free(&t);
}

/* cgroup, unit, container: text, or no value when the process has none. */
static void test_cgroup_unit_container(void **state)
{
	struct report_opts o = by(1, GROUP_CGROUP);
	struct row rows[16];
	size_t n = sample(rows);
	struct table t;

	(void)state;
	fill(&t, &o, rows, n);
	assert_int_equal(t.nrows, 5 + 2);
	check_sums(&t, find(&t, "cgroup", "/user.slice/a.scope", false), 300, 3000, 3, 30, 3, 2);
	check_sums(&t, find(&t, "cgroup", "/docker/abc", false), 500, 5000, 5, 50, 5, 1);
	/* pids 106 and 107: no cgroup known, one group. */
	check_sums(&t, find(&t, "cgroup", NULL, false), 1300, 13000, 13, 130, 13, 2);
	table_free(&t);

	o = by(1, GROUP_UNIT);
	fill(&t, &o, rows, n);
	assert_int_equal(t.nrows, 2 + 2);
	check_sums(&t, find(&t, "unit", "ssh.service", false), 300, 3000, 3, 30, 3, 1);
	check_sums(&t, find(&t, "unit", NULL, false), 2500, 25000, 25, 250, 25, 6);
	table_free(&t);

	o = by(1, GROUP_CONTAINER);
	fill(&t, &o, rows, n);
	assert_int_equal(t.nrows, 2 + 2);
	check_sums(&t, find(&t, "container", "abc", false), 500, 5000, 5, 50, 5, 1);
	check_sums(&t, find(&t, "container", NULL, false), 2300, 23000, 23, 230, 23, 6);
	find(&t, "container", "unknown:no-socket", true);
	table_free(&t);
}

/* Several keys: a group per combination; unknown rows name themselves in every key column. */
static void test_several_keys(void **state)
{
	struct report_opts o = by(3, GROUP_USER, GROUP_COMMAND, GROUP_CONTAINER);
	struct row rows[16];
	size_t n = sample(rows);
	struct table t;
	int cu, cc, ck;

	(void)state;
	fill(&t, &o, rows, n);
	/* alice curl, alice sshd, bob curl, carol nginx abc, carol nginx -, dave bare */
	assert_int_equal(t.nrows, 6 + 2);
	cu = table_col(&t, "user");
	cc = table_col(&t, "command");
	ck = table_col(&t, "container");
	assert_true(cu == 0 && cc == 1 && ck == 2);	/* in the order asked */
	for (size_t i = 0; i < t.nrows; i++) {
		const struct cell *r = table_row(&t, i);
		if (t.unknown[i]) {
			assert_string_equal(r[cu].v.s, r[cc].v.s);
			assert_string_equal(r[cu].v.s, r[ck].v.s);
			assert_int_equal(strncmp(r[cu].v.s, "unknown:", 8), 0);
			continue;
		}
		if (strcmp(r[cu].v.s, "alice") == 0 && strcmp(r[cc].v.s, "curl") == 0)
			check_sums(&t, r, 300, 3000, 3, 30, 3, 2);
		else if (strcmp(r[cu].v.s, "carol") == 0 && r[ck].kind == CELL_NONE)
			check_sums(&t, r, 600, 6000, 6, 60, 6, 1);	/* pid 106 */
		else if (strcmp(r[cu].v.s, "carol") == 0)
			check_sums(&t, r, 500, 5000, 5, 50, 5, 1);	/* pid 105, in abc */
		else
			assert_int_equal(val(&t, r, "processes"), 1);
	}
	table_free(&t);
}

/* Filters first: only the rows report_keep keeps are grouped. */
static void test_filters_before_groups(void **state)
{
	static const char *const users[] = { "alice", "carol" };
	static const char *const cmds[] = { "curl", "nginx" };
	struct report_opts o = by(1, GROUP_COMMAND);
	struct row rows[16];
	size_t n = sample(rows);
	struct table t;

	(void)state;
	o.users = users;
	o.nusers = 2;
	o.commands = cmds;
	o.ncommands = 2;
	fill(&t, &o, rows, n);
	/* alice's curls, carol's nginxes; bob's curl is not alice's or carol's; sshd no curl. */
	assert_int_equal(t.nrows, 2 + 2);
	check_sums(&t, find(&t, "command", "curl", false), 300, 3000, 3, 30, 3, 2);
	check_sums(&t, find(&t, "command", "nginx", false), 1100, 11000, 11, 110, 11, 2);
	table_free(&t);

	o.no_unknown = true;
	fill(&t, &o, rows, n);
	assert_int_equal(t.nrows, 2);
	table_free(&t);

	/* Nothing kept, nothing at all. */
	fill(&t, &o, rows, 0);
	assert_int_equal(t.nrows, 0);
	table_free(&t);
}

/*
 * Values that would run together if the key were their concatenation (or
 * joined by a separator that can occur in them): every distinct
 * combination stays a group of its own, however the bytes fall.
 */
static void test_keys_never_merge(void **state)
{
	static const char *const parts[] = { "", "a", "1", ":", "1:", "-", "a1", ":b", "1:b",
					      "\x01", "2:a", "\xff" };
	enum { NP = sizeof(parts) / sizeof(parts[0]), N = 600 };
	static struct proc_info ps[N];
	static struct row rows[N];
	static char cg[N][8];
	uint64_t x = 4242;

	(void)state;
	for (int round = 0; round < 20; round++) {
		struct report_opts o = round % 2 ? by(3, GROUP_USER, GROUP_CGROUP, GROUP_COMMAND)
						 : by(2, GROUP_USER, GROUP_COMMAND);
		size_t n = 1 + (size_t)(rng_next(&x) % N);
		struct table t;
		size_t groups = 0;

		for (size_t i = 0; i < n; i++) {
			uint64_t r = rng_next(&x);
			const char *cgroup = NULL;
			char user[64];

			if (r >> 40 & 1) {
				snprintf(cg[i], sizeof(cg[i]), "%s", parts[(r >> 44) % NP]);
				cgroup = cg[i];
			}
			snprintf(user, sizeof(user), "%s%s", parts[r % NP], parts[(r >> 8) % NP]);
			set_proc(&ps[i], (int)i + 1, "", 0, cgroup, NULL, NULL);
			snprintf(ps[i].comm, sizeof(ps[i].comm), "%s%s", parts[(r >> 16) % NP],
				 parts[(r >> 24) % NP]);
			rows[i] = prow(&ps[i], user, i + 1, 0, 1, 0, 1);
		}
		fill(&t, &o, rows, n);
		/* Expected: the distinct (user, [cgroup,] command) combinations, by brute force. */
		for (size_t i = 0; i < n; i++) {
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++) {
				bool same_cg = (ps[i].cgroup == NULL) == (ps[j].cgroup == NULL) &&
					       (!ps[i].cgroup || strcmp(ps[i].cgroup, ps[j].cgroup) == 0);
				seen = strcmp(rows[i].user, rows[j].user) == 0 &&
				       strcmp(ps[i].comm, ps[j].comm) == 0 &&
				       (o.ngroup == 2 || same_cg);
			}
			groups += !seen;
		}
		assert_int_equal(t.nrows, groups);
		/* And each group row sums exactly its members. */
		for (size_t g = 0; g < t.nrows; g++) {
			const struct cell *gr = table_row(&t, g);
			uint64_t sum = 0, count = 0;
			for (size_t i = 0; i < n; i++) {
				const struct cell *cgc = &gr[1];
				bool cg_match = o.ngroup == 2 ||
					(cgc->kind == CELL_NONE ? ps[i].cgroup == NULL
								: ps[i].cgroup &&
								  strcmp(cgc->v.s, ps[i].cgroup) == 0);
				if (strcmp(gr[0].v.s, rows[i].user) == 0 &&
				    strcmp(gr[o.ngroup - 1].v.s, ps[i].comm) == 0 && cg_match) {
					sum += rows[i].sent_bytes;
					count++;
				}
			}
			assert_int_equal(val(&t, gr, "sent_bytes"), sum);
			assert_int_equal(val(&t, gr, "processes"), count);
		}
		table_free(&t);
	}
}

/* A value "-" and no value are two groups (the key writes none as "-"). */
static void test_dash_is_not_none(void **state)
{
	struct report_opts o = by(2, GROUP_CGROUP, GROUP_USER);
	struct proc_info a, b;
	struct row rows[2];
	struct table t;

	(void)state;
	set_proc(&a, 1, "x", 0, NULL, NULL, NULL);
	set_proc(&b, 2, "x", 0, "-", NULL, NULL);
	rows[0] = prow(&a, "u", 1, 0, 1, 0, 1);
	rows[1] = prow(&b, "u", 2, 0, 1, 0, 1);
	fill(&t, &o, rows, 2);
	assert_int_equal(t.nrows, 2);
	check_sums(&t, find(&t, "cgroup", NULL, false), 1, 0, 1, 0, 1, 1);
	check_sums(&t, find(&t, "cgroup", "-", false), 2, 0, 1, 0, 1, 1);
	table_free(&t);
}

/* ---- through report_write ------------------------------------------ */

static char *csv(const struct report_opts *o, const struct row *rows, size_t n, int64_t dur_us)
{
	struct report_data d;
	struct memout m;

	memset(&d, 0, sizeof(d));
	d.sum.kind = REPORT_ONCE;
	d.sum.start_us = 1700000000000000LL;
	d.sum.end_us = d.sum.start_us + dur_us;
	d.rows = rows;
	d.nrows = n;
	memout_open(&m);
	assert_int_equal(report_write(m.f, o, &d, true), 0);
	memout_close(&m);
	return m.buf;
}

static void test_report_groups(void **state)
{
	struct report_opts o = by(1, GROUP_USER);
	struct row rows[16];
	size_t n = sample(rows);
	char *out;

	(void)state;
	o.format = OUT_CSV;
	o.header = true;
	out = csv(&o, rows, n, 2000000);
	/* By total bytes, largest first; the columns of a group table. */
	assert_string_equal(out,
		"user,sent_bytes,recv_bytes,sent_packets,recv_packets,flows,processes\n"
		"\"carol\",1100,11000,11,110,11,2\n"
		"\"dave\",700,7000,7,70,7,1\n"
		"\"alice\",600,6000,6,60,6,3\n"
		"\"bob\",400,4000,4,40,4,1\n"
		"\"unknown:no-socket\",7,3,1,1,2,\n"
		"\"unknown:not-local\",0,9,0,1,1,\n");
	free(out);

	/* --sort processes --top 2: sorted first, then cut. */
	o.sort = "processes";
	o.top = 2;
	o.header = false;
	out = csv(&o, rows, n, 2000000);
	assert_string_equal(out, "\"alice\",600,6000,6,60,6,3\n\"carol\",1100,11000,11,110,11,2\n");
	free(out);

	/* --sort user: ascending text; unknown rows' names sort as text too. */
	o.sort = "user";
	o.top = 0;
	out = csv(&o, rows, n, 2000000);
	assert_int_equal(strncmp(out, "\"alice\"", 7), 0);
	assert_non_null(strstr(out, "\"dave\",700,7000,7,70,7,1\n\"unknown:no-socket\""));
	free(out);

	/* Rates from the report's duration (2 s); none when it lasted no time. */
	o.sort = NULL;
	o.top = 1;
	o.rate = true;
	out = csv(&o, rows, n, 2000000);
	assert_string_equal(out, "\"carol\",1100,11000,550.000,5500.000,11,110,11,2\n");
	free(out);
	out = csv(&o, rows, n, 0);
	assert_string_equal(out, "\"carol\",1100,11000,,,11,110,11,2\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_user),
		cmocka_unit_test(test_numeric_keys),
		cmocka_unit_test(test_cgroup_unit_container),
		cmocka_unit_test(test_several_keys),
		cmocka_unit_test(test_filters_before_groups),
		cmocka_unit_test(test_keys_never_merge),
		cmocka_unit_test(test_dash_is_not_none),
		cmocka_unit_test(test_report_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
