/*
 * test_prom.c - Prometheus metrics (core/prom.h) and the file that holds
 * them (core/promfile.h): label values escaped so that every name gives
 * valid UTF-8 and no two names the same value; labels from the
 * --group-by keys; sums that only grow across the reports of a run; the
 * exact exposition; the file replaced whole, mode 0644; and the writer
 * process that a root run writes through.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/prom.h"
#include "../../core/promfile.h"
#include "helpers.h"

/* ---- label values -------------------------------------------------- */

/* What prom_write_label_value writes for in. */
static char *label(const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(prom_write_label_value(f, in), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void expect_label(const char *in, const char *want)
{
	char *got = label(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_label_plain_and_utf8_kept(void **state)
{
	(void)state;
	expect_label("curl", "curl");
	expect_label("", "");
	expect_label("caf\xc3\xa9", "caf\xc3\xa9");
	expect_label("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");
	expect_label("\xf0\x9f\x90\xa7 tux", "\xf0\x9f\x90\xa7 tux");
	expect_label("a,b=c{d}", "a,b=c{d}");
}

/* The exposition's escapes: backslash, double quote, newline. */
static void test_label_format_escapes(void **state)
{
	(void)state;
	/* A quote is \" in the file; the value keeps it. */
	expect_label("a\"b", "a\\\"b");
	/* A backslash is \\ in the value, each doubled in the file. */
	expect_label("back\\slash", "back\\\\\\\\slash");
	/* A newline is a control: the value's \x0a (never a raw newline in the file). */
	expect_label("new\nline", "new\\\\x0aline");
}

/* Prometheus takes only valid UTF-8; controls would hide in a browser. */
static void test_label_invalid_utf8_and_controls(void **state)
{
	(void)state;
	expect_label("\xff\xfe", "\\\\xff\\\\xfe");
	expect_label("cut\xc3", "cut\\\\xc3");		/* a sequence cut by the end */
	expect_label("\xc0\xaf", "\\\\xc0\\\\xaf");		/* overlong */
	expect_label("\xed\xa0\x80", "\\\\xed\\\\xa0\\\\x80");	/* a surrogate */
	expect_label("tab\there", "tab\\\\x09here");
	expect_label("esc\x1b[1m", "esc\\\\x1b[1m");
	expect_label("del\x7f", "del\\\\x7f");
	expect_label("nel\xc2\x85", "nel\\\\xc2\\\\x85");	/* C1: U+0085 */
	expect_label("nbsp\xc2\xa0", "nbsp\xc2\xa0");		/* U+00A0 is no control */
}

/* Two names, one value: node_exporter would refuse the whole file. */
static void test_label_never_merges_two_names(void **state)
{
	static const char *const names[] = {
		"a\xff", "a\\xff", "a\\\\xff", "a\\", "a\\\\", "a\"", "a\\\"", "a\n", "a\\x0a", "a\\n",
	};
	char *got[sizeof(names) / sizeof(names[0])];
	size_t n = sizeof(names) / sizeof(names[0]);

	(void)state;
	for (size_t i = 0; i < n; i++)
		got[i] = label(names[i]);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(got[i], got[j]);
	}
	for (size_t i = 0; i < n; i++)
		free(got[i]);
}

/* ---- the store ----------------------------------------------------- */

static struct proc_info web = { .pid = 120, .uid = 33, .have_uid = true, .comm = "nginx",
				.cgroup = (char *)"/system.slice/nginx.service",
				.unit = (char *)"nginx.service" };
static struct proc_info web2 = { .pid = 121, .uid = 33, .have_uid = true, .comm = "nginx",
				 .cgroup = (char *)"/system.slice/nginx.service",
				 .unit = (char *)"nginx.service" };
static struct proc_info cli = { .pid = 300, .uid = 0, .have_uid = true, .comm = "curl" };

static struct row prow(struct proc_info *p, const char *user, uint64_t sb, uint64_t rb,
		       uint64_t sp, uint64_t rp, uint64_t flows)
{
	struct row r;

	memset(&r, 0, sizeof(r));
	r.reason = REASON_NONE;
	r.pid = p->pid;
	snprintf(r.user, sizeof(r.user), "%s", user);
	r.command = p->comm;
	r.cmdline = "";
	r.sent_bytes = sb;
	r.recv_bytes = rb;
	r.sent_packets = sp;
	r.recv_packets = rp;
	r.flows = flows;
	r.netns = 4026531840ULL;
	r.proc = p;
	return r;
}

static struct row urow(enum unknown_reason reason, uint64_t sb, uint64_t rb, uint64_t sp,
		       uint64_t rp, uint64_t flows)
{
	struct row r;

	memset(&r, 0, sizeof(r));
	r.reason = reason;
	r.command = reason_name(reason);
	r.cmdline = reason_text(reason);
	r.sent_bytes = sb;
	r.recv_bytes = rb;
	r.sent_packets = sp;
	r.recv_packets = rp;
	r.flows = flows;
	return r;
}

static struct report_data report(enum report_kind kind, int64_t start, int64_t end,
				 const struct row *rows, size_t n)
{
	struct report_data d;

	memset(&d, 0, sizeof(d));
	d.sum.kind = kind;
	d.sum.start_us = start;
	d.sum.end_us = end;
	d.rows = rows;
	d.nrows = n;
	return d;
}

static char *render(const struct prom *p)
{
	char *buf;
	size_t len;

	assert_int_equal(prom_render(p, &buf, &len), 0);
	assert_int_equal(strlen(buf), len);
	return buf;
}

/* The sample line of a series, as the file holds it; NULL when absent. */
static const char *line_of(const char *text, const char *series, char *out, size_t len)
{
	size_t n = strlen(series);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, series, n) == 0 && l[n] == ' ') {
			const char *e = strchr(l, '\n');
			snprintf(out, len, "%.*s", (int)(e ? e - l : (long)strlen(l)), l);
			return out;
		}
	}
	return NULL;
}

static void expect_line(const char *text, const char *series, const char *value)
{
	char got[512], want[512];

	snprintf(want, sizeof(want), "%s %s", series, value);
	if (!line_of(text, series, got, sizeof(got)))
		fail_msg("no line for %s in:\n%s", series, text);
	assert_string_equal(got, want);
}

/* The whole file of one report: the exposition, line for line. */
static void test_exposition_exact(void **state)
{
	struct report_opts o = { 0 };
	struct row rows[] = { prow(&cli, "root", 814, 3300, 6, 5, 1),
			      urow(REASON_NO_SOCKET, 0, 258, 0, 4, 4) };
	struct report_data d = report(REPORT_ONCE, 1700000000000000LL, 1700000002400000LL,
				      rows, 2);
	struct prom *p = prom_new(&o);
	char *text;

	(void)state;
	d.sum.totals = (struct totals){ .packets = 25, .ip_bytes = 2136, .not_ip = 3,
					.malformed = 2, .duplicates = 1 };
	assert_int_equal(prom_add(p, &d), 1);
	text = render(p);
	assert_string_equal(text,
		"# HELP proctraf_sent_bytes_total IP bytes (headers and payload) sent by the processes of these labels since proctraf started.\n"
		"# TYPE proctraf_sent_bytes_total counter\n"
		"proctraf_sent_bytes_total{command=\"curl\",user=\"root\"} 814\n"
		"proctraf_sent_bytes_total{command=\"unknown:no-socket\",user=\"unknown:no-socket\"} 0\n"
		"# HELP proctraf_received_bytes_total IP bytes (headers and payload) received by the processes of these labels since proctraf started.\n"
		"# TYPE proctraf_received_bytes_total counter\n"
		"proctraf_received_bytes_total{command=\"curl\",user=\"root\"} 3300\n"
		"proctraf_received_bytes_total{command=\"unknown:no-socket\",user=\"unknown:no-socket\"} 258\n"
		"# HELP proctraf_sent_packets_total IP packets sent by the processes of these labels since proctraf started.\n"
		"# TYPE proctraf_sent_packets_total counter\n"
		"proctraf_sent_packets_total{command=\"curl\",user=\"root\"} 6\n"
		"proctraf_sent_packets_total{command=\"unknown:no-socket\",user=\"unknown:no-socket\"} 0\n"
		"# HELP proctraf_received_packets_total IP packets received by the processes of these labels since proctraf started.\n"
		"# TYPE proctraf_received_packets_total counter\n"
		"proctraf_received_packets_total{command=\"curl\",user=\"root\"} 5\n"
		"proctraf_received_packets_total{command=\"unknown:no-socket\",user=\"unknown:no-socket\"} 4\n"
		"# HELP proctraf_flows Flows the processes of these labels had traffic on in the last report's window.\n"
		"# TYPE proctraf_flows gauge\n"
		"proctraf_flows{command=\"curl\",user=\"root\"} 1\n"
		"proctraf_flows{command=\"unknown:no-socket\",user=\"unknown:no-socket\"} 4\n"
		"# HELP proctraf_capture_packets_total Packets the capture delivered (those the filter kept), IP or not.\n"
		"# TYPE proctraf_capture_packets_total counter\n"
		"proctraf_capture_packets_total 25\n"
		"# HELP proctraf_capture_ip_bytes_total IP bytes of the well-formed IP packets captured.\n"
		"# TYPE proctraf_capture_ip_bytes_total counter\n"
		"proctraf_capture_ip_bytes_total 2136\n"
		"# HELP proctraf_capture_not_ip_packets_total Packets captured that are not IP.\n"
		"# TYPE proctraf_capture_not_ip_packets_total counter\n"
		"proctraf_capture_not_ip_packets_total 3\n"
		"# HELP proctraf_capture_malformed_packets_total IP packets captured that could not be decoded.\n"
		"# TYPE proctraf_capture_malformed_packets_total counter\n"
		"proctraf_capture_malformed_packets_total 2\n"
		"# HELP proctraf_capture_duplicate_packets_total Copies of a packet seen on another interface first, not counted again.\n"
		"# TYPE proctraf_capture_duplicate_packets_total counter\n"
		"proctraf_capture_duplicate_packets_total 1\n"
		"# HELP proctraf_start_timestamp_seconds Start of the first report's window, in seconds since the epoch (from a file: its first packet's time).\n"
		"# TYPE proctraf_start_timestamp_seconds gauge\n"
		"proctraf_start_timestamp_seconds 1700000000.000000\n"
		"# HELP proctraf_last_report_timestamp_seconds End of the last report's window, in seconds since the epoch (from a file: its packets' time). A file where it stops moving is stale.\n"
		"# TYPE proctraf_last_report_timestamp_seconds gauge\n"
		"proctraf_last_report_timestamp_seconds 1700000002.400000\n");
	free(text);
	prom_free(p);
}

/* command and user, then the -g keys in their order; pid only when asked. */
static void test_labels_from_group_keys(void **state)
{
	struct report_opts o = { 0 };
	struct row rows[] = { prow(&web, "www-data", 100, 10, 2, 1, 1),
			      prow(&cli, "root", 5, 50, 1, 1, 1),
			      urow(REASON_NOT_LOCAL, 0, 64, 0, 1, 1) };
	struct report_data d = report(REPORT_ONCE, 0, 1000000, rows, 3);
	struct prom *p;
	char *text;

	(void)state;
	o.group[o.ngroup++] = GROUP_UNIT;
	o.group[o.ngroup++] = GROUP_USER;	/* already a label: not twice */
	o.group[o.ngroup++] = GROUP_PID;
	p = prom_new(&o);
	assert_int_equal(prom_add(p, &d), 1);
	text = render(p);
	expect_line(text, "proctraf_sent_bytes_total{command=\"nginx\",user=\"www-data\","
			  "unit=\"nginx.service\",pid=\"120\"}", "100");
	/* No unit: an empty value, which Prometheus takes as no label. */
	expect_line(text, "proctraf_sent_bytes_total{command=\"curl\",user=\"root\",unit=\"\","
			  "pid=\"300\"}", "5");
	/* Unknown traffic: unknown:REASON in every label, as a group report shows it. */
	expect_line(text, "proctraf_received_bytes_total{command=\"unknown:not-local\","
			  "user=\"unknown:not-local\",unit=\"unknown:not-local\","
			  "pid=\"unknown:not-local\"}", "64");
	free(text);
	prom_free(p);
}

/* Processes of one label set are one series: their counters summed. */
static void test_processes_of_one_label_set_summed(void **state)
{
	struct report_opts o = { 0 };
	struct row rows[] = { prow(&web, "www-data", 100, 10, 2, 1, 1),
			      prow(&web2, "www-data", 30, 3, 1, 1, 2) };
	struct report_data d = report(REPORT_ONCE, 0, 1000000, rows, 2);
	struct prom *p = prom_new(&o);
	char *text;

	(void)state;
	assert_int_equal(prom_add(p, &d), 1);
	text = render(p);
	expect_line(text, "proctraf_sent_bytes_total{command=\"nginx\",user=\"www-data\"}", "130");
	expect_line(text, "proctraf_received_bytes_total{command=\"nginx\",user=\"www-data\"}", "13");
	expect_line(text, "proctraf_sent_packets_total{command=\"nginx\",user=\"www-data\"}", "3");
	expect_line(text, "proctraf_flows{command=\"nginx\",user=\"www-data\"}", "3");
	free(text);
	prom_free(p);
}

/*
 * Intervals: counters are the sums of every interval so far, and a
 * series stays when a later interval has no row of it; flows is the last
 * interval's. --total and SIGUSR1's reports count nothing again.
 */
static void test_intervals_cumulative(void **state)
{
	struct report_opts o = { 0 };
	struct row r1[] = { prow(&web, "www-data", 100, 10, 2, 1, 1),
			    prow(&cli, "root", 7, 70, 1, 1, 1) };
	struct row r2[] = { prow(&web, "www-data", 50, 5, 1, 1, 2),
			    urow(REASON_NO_SOCKET, 0, 9, 0, 1, 1) };
	struct row all[] = { prow(&web, "www-data", 150, 15, 3, 2, 2),
			     prow(&cli, "root", 7, 70, 1, 1, 1),
			     urow(REASON_NO_SOCKET, 0, 9, 0, 1, 1) };
	struct report_data d1 = report(REPORT_INTERVAL, 1000000, 2000000, r1, 2);
	struct report_data d2 = report(REPORT_INTERVAL, 2000000, 3000000, r2, 2);
	struct report_data total = report(REPORT_TOTAL, 1000000, 3000000, all, 3);
	struct report_data partial = report(REPORT_PARTIAL, 1000000, 2500000, all, 3);
	struct prom *p = prom_new(&o);
	char *before, *text;

	(void)state;
	d1.sum.totals = (struct totals){ .packets = 5, .ip_bytes = 187, .live = true,
					 .kernel_drops = 1, .if_drops = 0 };
	d2.sum.totals = (struct totals){ .packets = 3, .ip_bytes = 64, .live = true,
					 .kernel_drops = 2, .if_drops = 1 };
	assert_int_equal(prom_add(p, &d1), 1);
	text = render(p);
	expect_line(text, "proctraf_sent_bytes_total{command=\"nginx\",user=\"www-data\"}", "100");
	free(text);
	assert_int_equal(prom_add(p, &d2), 1);
	before = render(p);
	expect_line(before, "proctraf_sent_bytes_total{command=\"nginx\",user=\"www-data\"}", "150");
	expect_line(before, "proctraf_received_bytes_total{command=\"nginx\",user=\"www-data\"}",
		    "15");
	expect_line(before, "proctraf_flows{command=\"nginx\",user=\"www-data\"}", "2");
	/* curl had nothing in the second interval: still there, its sums kept, no flows. */
	expect_line(before, "proctraf_received_bytes_total{command=\"curl\",user=\"root\"}", "70");
	expect_line(before, "proctraf_flows{command=\"curl\",user=\"root\"}", "0");
	expect_line(before, "proctraf_received_bytes_total{command=\"unknown:no-socket\","
			    "user=\"unknown:no-socket\"}", "9");
	expect_line(before, "proctraf_capture_packets_total", "8");
	expect_line(before, "proctraf_capture_ip_bytes_total", "251");
	expect_line(before, "proctraf_capture_dropped_packets_total{by=\"kernel\"}", "3");
	expect_line(before, "proctraf_capture_dropped_packets_total{by=\"interface\"}", "1");
	expect_line(before, "proctraf_start_timestamp_seconds", "1.000000");
	expect_line(before, "proctraf_last_report_timestamp_seconds", "3.000000");
	/* The reports of the run so far: nothing counted twice, nothing to write. */
	assert_int_equal(prom_add(p, &total), 0);
	assert_int_equal(prom_add(p, &partial), 0);
	text = render(p);
	assert_string_equal(text, before);
	free(text);
	free(before);
	prom_free(p);
}

/* A file has no drops to tell; a run without packets no times. */
static void test_file_no_drops_no_times(void **state)
{
	struct report_opts o = { 0 };
	struct report_data d = report(REPORT_ONCE, TIME_NONE, TIME_NONE, NULL, 0);
	struct prom *p = prom_new(&o);
	char *text;

	(void)state;
	assert_int_equal(prom_add(p, &d), 1);
	text = render(p);
	assert_null(strstr(text, "dropped"));
	assert_null(strstr(text, "timestamp_seconds"));
	/* No series, so no HELP or TYPE for them either. */
	assert_null(strstr(text, "proctraf_sent_bytes_total"));
	expect_line(text, "proctraf_capture_packets_total", "0");
	free(text);
	prom_free(p);
}

/* The report's filters choose the series; --top does not (a top changes). */
static void test_filters_apply_top_does_not(void **state)
{
	struct report_opts o = { 0 };
	struct row rows[] = { prow(&web, "www-data", 100, 10, 2, 1, 1),
			      prow(&cli, "root", 5, 50, 1, 1, 1),
			      urow(REASON_NO_SOCKET, 0, 9, 0, 1, 1) };
	struct report_data d = report(REPORT_ONCE, 0, 1000000, rows, 3);
	struct prom *p;
	char *text;

	(void)state;
	o.no_unknown = true;
	o.top = 1;
	p = prom_new(&o);
	assert_int_equal(prom_add(p, &d), 1);
	text = render(p);
	assert_null(strstr(text, "unknown:"));
	assert_non_null(strstr(text, "command=\"curl\""));
	assert_non_null(strstr(text, "command=\"nginx\""));
	free(text);
	prom_free(p);
}

/* -C: the connection rows add up per owner; flow ends are not flows. */
static void test_connections(void **state)
{
	struct report_opts o = { 0 };
	struct conn c[3];
	struct report_data d;
	struct prom *p;
	char *text;

	(void)state;
	memset(c, 0, sizeof(c));
	c[0].owner = &web;
	c[0].sent_bytes = 10;
	c[0].recv_bytes = 20;
	c[0].sent_packets = 1;
	c[0].recv_packets = 2;
	c[1].owner = &web2;
	c[1].sent_bytes = 5;
	c[1].recv_bytes = 6;
	c[1].sent_packets = 1;
	c[1].recv_packets = 1;
	c[2].reason = REASON_NO_SOCKET;
	c[2].recv_bytes = 40;
	c[2].recv_packets = 1;
	o.connections = true;
	p = prom_new(&o);
	d = report(REPORT_ONCE, 0, 1000000, NULL, 0);
	d.conns = c;
	d.nconns = 3;
	assert_int_equal(prom_add(p, &d), 1);
	text = render(p);
	/* uid 33 is www-data on Debian; whatever its name, one series for both. */
	assert_non_null(strstr(text, "proctraf_sent_bytes_total{command=\"nginx\",user=\""));
	assert_non_null(strstr(text, "\"} 15\n"));
	expect_line(text, "proctraf_received_bytes_total{command=\"unknown:no-socket\","
			  "user=\"unknown:no-socket\"}", "40");
	assert_null(strstr(text, "proctraf_flows"));
	free(text);
	prom_free(p);
}

/* ---- the file ------------------------------------------------------ */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 4096);
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, 4095, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* How many entries dir holds (. and .. aside). */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static void rm_tree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Replaced whole (a new inode), readable by all whatever the umask, nothing left over. */
static void test_replace_atomic_0644(void **state)
{
	char dir[] = "/tmp/proctraf-prom-XXXXXX", path[256], err[256];
	struct stat st1, st2;
	mode_t old = umask(077);
	char *text;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.prom", dir);
	assert_int_equal(promfile_replace(path, "a 1\n", 4, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(st1.st_mode & 07777, 0644);
	assert_int_equal(promfile_replace(path, "a 22\n", 5, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st2.st_mode & 07777, 0644);
	/* A rename, not a rewrite in place: a reader holding the old file keeps it whole. */
	assert_true(st1.st_ino != st2.st_ino);
	text = slurp(path);
	assert_string_equal(text, "a 22\n");
	free(text);
	assert_int_equal(entries(dir), 1);
	umask(old);
	rm_tree(dir);
}

static void test_replace_errors(void **state)
{
	char dir[] = "/tmp/proctraf-prom-XXXXXX", path[256], err[256];
	struct promfile *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/no/x.prom", dir);
	assert_int_equal(promfile_replace(path, "a 1\n", 4, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot make a file in "));
	assert_non_null(strstr(err, "/no: No such file or directory"));
	/* The file a directory: the probe says so before any report. */
	snprintf(path, sizeof(path), "%s/d.prom", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(promfile_open(path, false, &f, err, sizeof(err)), 0);
	assert_int_equal(promfile_probe(f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Is a directory"));
	assert_int_equal(promfile_replace(path, "a 1\n", 4, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot rename a new file to "));
	/* ... and leaves no new file behind. */
	assert_int_equal(entries(dir), 1);
	promfile_close(f);
	snprintf(path, sizeof(path), "%s/x.prom", dir);
	assert_int_equal(promfile_open(path, false, &f, err, sizeof(err)), 0);
	assert_int_equal(promfile_probe(f, err, sizeof(err)), 0);
	assert_int_equal(entries(dir), 1);	/* the probe's file is gone */
	promfile_close(f);
	rm_tree(dir);
}

/* The one child of this process (the writer), from /proc; -1 if none. */
static pid_t only_child(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = -1;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[300], line[256];
		long ppid = -1;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "PPid: %ld", &ppid) == 1)
				break;
		}
		fclose(f);
		if (ppid == (long)getpid())
			found = (pid_t)atol(e->d_name);
	}
	closedir(d);
	return found;
}

/* The field of /proc/PID/status named key, e.g. "CapEff:". */
static void status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)) == 0) {
			snprintf(out, len, "%s", line + strlen(key) + strspn(line + strlen(key), " \t"));
			out[strcspn(out, "\n")] = '\0';
		}
	}
	fclose(f);
}

/*
 * The writer process: writes the file, holds no capability and no new
 * privilege, outlives the signals that end proctraf; once it is gone, a
 * write is an error to say, not a SIGPIPE.
 */
static void test_separate_writer(void **state)
{
	char dir[] = "/tmp/proctraf-prom-XXXXXX", path[256], err[256], field[128];
	struct promfile *f;
	pid_t child;
	char *text;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.prom", dir);
	assert_int_equal(promfile_open(path, true, &f, err, sizeof(err)), 0);
	assert_int_equal(promfile_probe(f, err, sizeof(err)), 0);
	assert_int_equal(promfile_write(f, "a 1\n", 4, err, sizeof(err)), 0);
	text = slurp(path);
	assert_string_equal(text, "a 1\n");
	free(text);
	child = only_child();
	assert_true(child > 0);
	{
		status_field(child, "CapEff:", field, sizeof(field));
		assert_string_equal(field, "0000000000000000");
		status_field(child, "CapPrm:", field, sizeof(field));
		assert_string_equal(field, "0000000000000000");
		status_field(child, "NoNewPrivs:", field, sizeof(field));
		assert_string_equal(field, "1");
		status_field(child, "Name:", field, sizeof(field));
		assert_string_equal(field, "proctraf-prom");
		/* A Ctrl-C or a systemctl stop reaches it too: proctraf's last report comes after. */
		assert_int_equal(kill(child, SIGTERM), 0);
		assert_int_equal(kill(child, SIGINT), 0);
		assert_int_equal(promfile_write(f, "a 2\n", 4, err, sizeof(err)), 0);
		text = slurp(path);
		assert_string_equal(text, "a 2\n");
		free(text);
		assert_int_equal(kill(child, SIGKILL), 0);
		assert_int_equal(waitpid(child, NULL, 0), child);
		assert_int_equal(promfile_write(f, "a 3\n", 4, err, sizeof(err)), -1);
		assert_string_equal(err, "the writer process has ended");
	}
	promfile_close(f);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_plain_and_utf8_kept),
		cmocka_unit_test(test_label_format_escapes),
		cmocka_unit_test(test_label_invalid_utf8_and_controls),
		cmocka_unit_test(test_label_never_merges_two_names),
		cmocka_unit_test(test_exposition_exact),
		cmocka_unit_test(test_labels_from_group_keys),
		cmocka_unit_test(test_processes_of_one_label_set_summed),
		cmocka_unit_test(test_intervals_cumulative),
		cmocka_unit_test(test_file_no_drops_no_times),
		cmocka_unit_test(test_filters_apply_top_does_not),
		cmocka_unit_test(test_connections),
		cmocka_unit_test(test_replace_atomic_0644),
		cmocka_unit_test(test_replace_errors),
		cmocka_unit_test(test_separate_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
