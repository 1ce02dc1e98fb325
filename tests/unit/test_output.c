/*
 * test_output.c - the report as text, CSV and TSV (core/output.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/output.h"
#include "report_shim.h"
#include "helpers.h"

/* An inode number of a network namespace, as /proc/PID/ns/net links show them. */
#define NETNS_INIT 4026531840ULL

static struct row mkrow(enum unknown_reason reason, int pid, const char *user,
			const char *command, uint64_t sb, uint64_t rb, uint64_t sp, uint64_t rp,
			uint64_t flows, uint64_t netns, const char *cmdline)
{
	struct row r;

	memset(&r, 0, sizeof(r));
	r.reason = reason;
	r.pid = pid;
	snprintf(r.user, sizeof(r.user), "%s", user);
	r.command = command;
	r.sent_bytes = sb;
	r.recv_bytes = rb;
	r.sent_packets = sp;
	r.recv_packets = rp;
	r.flows = flows;
	r.netns = netns;
	r.cmdline = cmdline;
	return r;
}

static void two_rows(struct row rows[2])
{
	rows[0] = mkrow(REASON_NONE, 1234, "alice", "curl", 1500, 64000, 10, 50, 2,
			NETNS_INIT, "curl https://example.com");
	rows[1] = mkrow(REASON_NO_SOCKET, 0, "", "unknown:no-socket", 40, 0, 1, 0, 1, 0,
			"no socket matched this traffic");
}

static const struct totals live_totals = {
	.packets = 120, .ip_bytes = 65540, .not_ip = 3, .malformed = 2,
	.live = true, .kernel_drops = 4, .if_drops = 5,
};
static const struct totals file_totals = {
	.packets = 120, .ip_bytes = 65540, .not_ip = 3, .malformed = 2,
};

/* The report as a string (caller frees). */
static char *report(enum out_format fmt, bool header, const struct row *rows, size_t n,
		    const struct totals *t)
{
	struct memout m;

	memout_open(&m);
	errno = 0;
	assert_int_equal(output_report(m.f, fmt, header, rows, n, t), 0);
	memout_close(&m);
	assert_non_null(m.buf);
	return m.buf;
}

static void test_text_exact(void **state)
{
	(void)state;
	struct row rows[2];
	char *out;

	two_rows(rows);
	out = report(OUT_TEXT, true, rows, 2, &live_totals);
	assert_string_equal(out,
		" PID  USER   COMMAND            SENT_BYTES  RECV_BYTES  SENT_PACKETS  RECV_PACKETS"
		"  FLOWS       NETNS  CMDLINE\n"
		"1234  alice  curl                     1500       64000            10            50"
		"      2  4026531840  curl https://example.com\n"
		"   -  -      unknown:no-socket          40           0             1             0"
		"      1           -  no socket matched this traffic\n"
		"\n"
		SHIM_SPAN
		"captured 120 packets, 65540 IP bytes; 3 not IP, 2 malformed; "
		"dropped: 4 by kernel, 5 by interface\n");
	free(out);

	/* From a file: no drops part. */
	out = report(OUT_TEXT, true, rows, 2, &file_totals);
	assert_non_null(strstr(out, "\n\n" SHIM_SPAN "captured 120 packets, 65540 IP bytes; 3 not IP, "
				    "2 malformed\n"));
	assert_null(strstr(out, "dropped"));
	free(out);

	/* --no-header: no header, no footer; widths from the rows alone. */
	out = report(OUT_TEXT, false, rows, 2, &live_totals);
	assert_string_equal(out,
		"1234  alice  curl               1500  64000  10  50  2  4026531840"
		"  curl https://example.com\n"
		"   -  -      unknown:no-socket    40      0   1   0  1           -"
		"  no socket matched this traffic\n");
	free(out);

	/* No rows at all. */
	out = report(OUT_TEXT, true, rows, 0, &file_totals);
	assert_string_equal(out,
		"PID  USER  COMMAND  SENT_BYTES  RECV_BYTES  SENT_PACKETS  RECV_PACKETS  FLOWS"
		"  NETNS  CMDLINE\n"
		"\n"
		SHIM_SPAN
		"captured 120 packets, 65540 IP bytes; 3 not IP, 2 malformed\n");
	free(out);
	out = report(OUT_TEXT, false, rows, 0, &file_totals);
	assert_string_equal(out, "");
	free(out);
}

static void test_csv_tsv_exact(void **state)
{
	(void)state;
	struct row rows[2];
	char *out;

	two_rows(rows);
	out = report(OUT_CSV, true, rows, 2, &live_totals);
	assert_string_equal(out,
		"pid,user,command,sent_bytes,recv_bytes,sent_packets,recv_packets,flows,netns,"
		"cmdline\n"
		"1234,\"alice\",\"curl\",1500,64000,10,50,2,4026531840,\"curl https://example.com\"\n"
		",\"\",\"unknown:no-socket\",40,0,1,0,1,,\"no socket matched this traffic\"\n");
	free(out);
	out = report(OUT_CSV, false, rows, 2, &live_totals);
	assert_string_equal(out,
		"1234,\"alice\",\"curl\",1500,64000,10,50,2,4026531840,\"curl https://example.com\"\n"
		",\"\",\"unknown:no-socket\",40,0,1,0,1,,\"no socket matched this traffic\"\n");
	free(out);

	out = report(OUT_TSV, true, rows, 2, &live_totals);
	assert_string_equal(out,
		"pid\tuser\tcommand\tsent_bytes\trecv_bytes\tsent_packets\trecv_packets\tflows"
		"\tnetns\tcmdline\n"
		"1234\talice\tcurl\t1500\t64000\t10\t50\t2\t4026531840\tcurl https://example.com\n"
		"\t\tunknown:no-socket\t40\t0\t1\t0\t1\t\tno socket matched this traffic\n");
	free(out);
	out = report(OUT_TSV, false, rows, 0, &live_totals);
	assert_string_equal(out, "");
	free(out);

	/* 64-bit counters print in full. */
	rows[0].sent_bytes = UINT64_MAX;
	out = report(OUT_CSV, false, rows, 1, &live_totals);
	assert_non_null(strstr(out, ",18446744073709551615,64000,"));
	free(out);
}

/* ---- the netns column ---- */

/*
 * A process row with its namespace, one whose namespace is not known (0),
 * and an unknown row: that one has no namespace, even with the field set.
 */
static void netns_rows(struct row rows[3])
{
	rows[0] = mkrow(REASON_NONE, 42, "bob", "nc", 100, 200, 1, 2, 1, 4026532999ULL,
			"nc -l 9");
	rows[1] = mkrow(REASON_NONE, 43, "bob", "sh", 10, 20, 1, 1, 1, 0, "sh");
	rows[2] = mkrow(REASON_NOT_LOCAL, 0, "", "unknown:not-local", 5, 0, 1, 0, 1,
			NETNS_INIT, "not local");
}

static void test_netns_text(void **state)
{
	(void)state;
	struct row rows[3];
	char *out;

	netns_rows(rows);
	out = report(OUT_TEXT, false, rows, 3, &file_totals);
	assert_string_equal(out,
		"42  bob  nc                 100  200  1  2  1  4026532999  nc -l 9\n"
		"43  bob  sh                  10   20  1  1  1           -  sh\n"
		" -  -    unknown:not-local    5    0  1  0  1           -  not local\n");
	free(out);

	/* With the header: NETNS between FLOWS and CMDLINE, right-aligned. */
	out = report(OUT_TEXT, true, rows, 1, &file_totals);
	assert_string_equal(out,
		"PID  USER  COMMAND  SENT_BYTES  RECV_BYTES  SENT_PACKETS  RECV_PACKETS  FLOWS"
		"       NETNS  CMDLINE\n"
		" 42  bob   nc              100         200             1             2      1"
		"  4026532999  nc -l 9\n"
		"\n"
		SHIM_SPAN
		"captured 120 packets, 65540 IP bytes; 3 not IP, 2 malformed\n");
	free(out);

	/* The largest inode number fits. */
	rows[0].netns = UINT64_MAX;
	out = report(OUT_TEXT, false, rows, 1, &file_totals);
	assert_string_equal(out, "42  bob  nc  100  200  1  2  1  18446744073709551615  nc -l 9\n");
	free(out);
}

static void test_netns_csv_tsv(void **state)
{
	(void)state;
	struct row rows[3];
	char *out;

	netns_rows(rows);
	/* CSV: a bare number, or an empty unquoted field. */
	out = report(OUT_CSV, false, rows, 3, &file_totals);
	assert_string_equal(out,
		"42,\"bob\",\"nc\",100,200,1,2,1,4026532999,\"nc -l 9\"\n"
		"43,\"bob\",\"sh\",10,20,1,1,1,,\"sh\"\n"
		",\"\",\"unknown:not-local\",5,0,1,0,1,,\"not local\"\n");
	free(out);

	out = report(OUT_TSV, false, rows, 3, &file_totals);
	assert_string_equal(out,
		"42\tbob\tnc\t100\t200\t1\t2\t1\t4026532999\tnc -l 9\n"
		"43\tbob\tsh\t10\t20\t1\t1\t1\t\tsh\n"
		"\t\tunknown:not-local\t5\t0\t1\t0\t1\t\tnot local\n");
	free(out);
}

/* ---- the footer's count of duplicates ---- */

static void test_footer_duplicates(void **state)
{
	(void)state;
	struct row rows[2];
	struct totals t = live_totals;
	char *out;

	two_rows(rows);
	/* Right after "malformed", before the drops. */
	t.duplicates = 7;
	out = report(OUT_TEXT, true, rows, 2, &t);
	assert_non_null(strstr(out, "\n\n" SHIM_SPAN "captured 120 packets, 65540 IP bytes; 3 not IP, "
				    "2 malformed, 7 copies of packets seen on another "
				    "interface; dropped: 4 by kernel, 5 by interface\n"));
	free(out);

	/* From a file: the line ends there. */
	t.live = false;
	out = report(OUT_TEXT, true, rows, 0, &t);
	assert_string_equal(out,
		"PID  USER  COMMAND  SENT_BYTES  RECV_BYTES  SENT_PACKETS  RECV_PACKETS  FLOWS"
		"  NETNS  CMDLINE\n"
		"\n"
		SHIM_SPAN
		"captured 120 packets, 65540 IP bytes; 3 not IP, 2 malformed, "
		"7 copies of packets seen on another interface\n");
	free(out);
	t.duplicates = UINT64_MAX;
	out = report(OUT_TEXT, true, rows, 0, &t);
	assert_non_null(strstr(out, "2 malformed, 18446744073709551615 copies of packets seen "
				    "on another interface\n"));
	free(out);

	/* None: not mentioned, live or not. */
	t.duplicates = 0;
	for (int live = 0; live < 2; live++) {
		t.live = live;
		out = report(OUT_TEXT, true, rows, 2, &t);
		assert_non_null(strstr(out, "2 malformed"));
		assert_null(strstr(out, "copies"));
		assert_null(strstr(out, "another interface"));
		assert_non_null(strstr(out, live ? "2 malformed; dropped:" : "2 malformed\n"));
		free(out);
	}

	/* --no-header has no footer, and CSV and TSV none at all. */
	t.duplicates = 7;
	static const enum out_format fmts[] = { OUT_TEXT, OUT_CSV, OUT_TSV };
	for (size_t i = 0; i < 3; i++) {
		for (int header = 0; header < 2; header++) {
			if (fmts[i] == OUT_TEXT && header)
				continue;
			out = report(fmts[i], header, rows, 2, &t);
			assert_null(strstr(out, "copies"));
			assert_null(strstr(out, "captured"));
			free(out);
		}
	}
}

/* ---- CSV read back with libcsv ---- */

#define NFIELDS 10	/* pid ... flows, netns, cmdline */

struct parsed {
	char *field[64][NFIELDS];
	size_t len[64][NFIELDS];
	int nrows, ncol;
	bool bad;
};

static void on_field(void *s, size_t len, void *data)
{
	struct parsed *p = data;

	if (p->nrows >= 64 || p->ncol >= NFIELDS) {
		p->bad = true;
		return;
	}
	p->field[p->nrows][p->ncol] = malloc(len + 1);
	memcpy(p->field[p->nrows][p->ncol], s ? s : "", len);
	p->field[p->nrows][p->ncol][len] = '\0';
	p->len[p->nrows][p->ncol] = len;
	p->ncol++;
}

static void on_row(int c, void *data)
{
	struct parsed *p = data;

	(void)c;
	if (p->ncol != NFIELDS)
		p->bad = true;
	p->nrows++;
	p->ncol = 0;
}

static void parse_csv(const char *text, struct parsed *p)
{
	struct csv_parser cp;

	memset(p, 0, sizeof(*p));
	assert_int_equal(csv_init(&cp, CSV_STRICT | CSV_STRICT_FINI), 0);
	assert_int_equal(csv_parse(&cp, text, strlen(text), on_field, on_row, p), strlen(text));
	assert_int_equal(csv_fini(&cp, on_field, on_row, p), 0);
	csv_free(&cp);
	assert_false(p->bad);
}

static void free_parsed(struct parsed *p)
{
	for (int r = 0; r < 64; r++)
		for (int c = 0; c < NFIELDS; c++)
			free(p->field[r][c]);
}

static void test_csv_hostile_round_trip(void **state)
{
	(void)state;
	static const char *const users[] = { "a,b\"c", "", "\"", "x y" };
	static const char *const commands[] = {
		"tab\there", "=cmd|' /C calc'!A0", "\xff\xfe bytes", "\"\"\"",
	};
	static const char *const cmdlines[] = {
		"line1\nline2\r\nline3", "", "+SUM(1,2) -x @y", " leading and trailing ",
	};
	/* 0: not known, an empty field; the others in decimal, up to 2^64-1. */
	static const uint64_t netns[] = { NETNS_INIT, 0, 4026532305ULL, UINT64_MAX };
	static const char *const netns_text[] = {
		"4026531840", "", "4026532305", "18446744073709551615",
	};
	struct row rows[4];
	struct parsed p;
	char *out;

	for (int i = 0; i < 4; i++)
		rows[i] = mkrow(REASON_NONE, 100 + i, users[i], commands[i], 1, 2, 3, 4, 5,
				netns[i], cmdlines[i]);
	out = report(OUT_CSV, true, rows, 4, &file_totals);
	/* The raw form of one field: quoted, the quote doubled. */
	assert_non_null(strstr(out, "\n100,\"a,b\"\"c\",\"tab\there\",1,2,3,4,5,4026531840,"
				    "\"line1\nline2\r\nline3\"\n"));
	/* netns is numeric: never quoted, empty when not known. */
	assert_non_null(strstr(out, "\n101,\"\",\"=cmd|' /C calc'!A0\",1,2,3,4,5,,\"\"\n"));
	parse_csv(out, &p);
	assert_int_equal(p.nrows, 5);
	assert_string_equal(p.field[0][0], "pid");
	assert_string_equal(p.field[0][8], "netns");
	assert_string_equal(p.field[0][9], "cmdline");
	for (int i = 0; i < 4; i++) {
		char pid[16];
		snprintf(pid, sizeof(pid), "%d", 100 + i);
		assert_string_equal(p.field[i + 1][0], pid);
		assert_int_equal(p.len[i + 1][1], strlen(users[i]));
		assert_string_equal(p.field[i + 1][1], users[i]);
		assert_string_equal(p.field[i + 1][2], commands[i]);
		assert_string_equal(p.field[i + 1][3], "1");
		assert_string_equal(p.field[i + 1][7], "5");
		assert_string_equal(p.field[i + 1][8], netns_text[i]);
		assert_string_equal(p.field[i + 1][9], cmdlines[i]);
	}
	free_parsed(&p);
	free(out);
}

/* ---- TSV escaping ---- */

static void test_tsv_escaping(void **state)
{
	(void)state;
	char buf[256];
	struct row r;
	char *out;

	assert_int_equal(output_escape_tsv("a\\b\tc\nd\re", buf, sizeof(buf)), 13);
	assert_string_equal(buf, "a\\\\b\\tc\\nd\\re");
	assert_int_equal(output_escape_tsv("", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* Other control bytes and invalid UTF-8 as in text: \xNN. */
	assert_int_equal(output_escape_tsv("\x01 \xff,\"", buf, sizeof(buf)), 11);
	assert_string_equal(buf, "\\x01 \\xff,\"");
	assert_int_equal(output_escape_tsv("\x1b[2J\a", buf, sizeof(buf)), 11);
	assert_string_equal(buf, "\\x1b[2J\\x07");
	/* Valid UTF-8 stays; a C1 control (U+009B, CSI) does not. */
	assert_int_equal(output_escape_tsv("caf\xc3\xa9\xc2\x9b", buf, sizeof(buf)), 13);
	assert_string_equal(buf, "caf\xc3\xa9\\xc2\\x9b");
	assert_int_equal(output_escape_tsv("\\\\", buf, sizeof(buf)), 4);
	assert_string_equal(buf, "\\\\\\\\");

	r = mkrow(REASON_NONE, 7, "u\tv", "c\\d", 1, 2, 3, 4, 5, 0, "x\ny\rz\t");
	out = report(OUT_TSV, false, &r, 1, &file_totals);
	/* netns 0: an empty field between flows and cmdline. */
	assert_string_equal(out, "7\tu\\tv\tc\\\\d\t1\t2\t3\t4\t5\t\tx\\ny\\rz\\t\n");
	free(out);
}

/* ---- text escaping ---- */

static void esc(const char *in, const char *want, size_t want_width)
{
	char buf[256];
	size_t w = 9999;
	size_t n = output_escape_text(in, buf, sizeof(buf), &w);

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(w, want_width);
	/* The width is optional. */
	assert_int_equal(output_escape_text(in, buf, sizeof(buf), NULL), strlen(want));
}

static void test_text_escaping(void **state)
{
	(void)state;
	esc("plain text", "plain text", 10);
	esc("", "", 0);
	esc("a\\b", "a\\\\b", 4);
	esc("\x01", "\\x01", 4);
	esc("\t\n\r", "\\x09\\x0a\\x0d", 12);
	esc("\x1b[31mred", "\\x1b[31mred", 11);
	esc("\x7f", "\\x7f", 4);
	/* Valid UTF-8 kept; the width is what a terminal gives it (wcwidth). */
	esc("caf\xc3\xa9", "caf\xc3\xa9", 4);
	esc("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac", 4);	/* CJK: 2 each */
	esc("\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!", 3);		/* an emoji: 2 */
	esc("e\xcc\x81", "e\xcc\x81", 1);			/* a combining accent: 0 */
	esc("\xef\xbf\xbd", "\xef\xbf\xbd", 1);			/* U+FFFD */
	/* Code points a terminal acts on, or that hide or reorder text: escaped. */
	esc("\xc2\x9b" "2J", "\\xc2\\x9b" "2J", 10);		/* U+009B, CSI */
	esc("a\xe2\x80\xae" "b", "a\\xe2\\x80\\xae" "b", 14);	/* U+202E, RLO */
	esc("a\xe2\x80\x8b" "b", "a\\xe2\\x80\\x8b" "b", 14);	/* U+200B, ZWSP */
	esc("\xf4\x8f\xbf\xbf", "\\xf4\\x8f\\xbf\\xbf", 16);	/* U+10FFFF, no character */
	/* Invalid UTF-8, byte by byte. */
	esc("\xff", "\\xff", 4);
	esc("\x80", "\\x80", 4);
	esc("\xc0\xaf", "\\xc0\\xaf", 8);			/* overlong '/' */
	esc("\xe0\x80\xaf", "\\xe0\\x80\\xaf", 12);		/* overlong, 3 bytes */
	esc("\xed\xa0\x80", "\\xed\\xa0\\x80", 12);		/* a surrogate */
	esc("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80", 16);	/* above U+10FFFF */
	esc("\xe6\x97", "\\xe6\\x97", 8);			/* cut at the end */
	esc("\xe6\x97x", "\\xe6\\x97x", 9);			/* cut before ASCII */
	esc("\xc3\xa9\xc3", "\xc3\xa9\\xc3", 5);
}

/* Cut to fit: what is written is the start of the full escaping. */
static void test_escaping_cut_to_fit(void **state)
{
	(void)state;
	static const char *const inputs[] = {
		"ab\x01" "cd", "abc\\def", "\xc3\xa9\xc3\xa9\xc3\xa9", "x\xffyz", "plain text",
	};
	char full[256], cut[256];

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		size_t fl = output_escape_text(inputs[i], full, sizeof(full), NULL);
		for (size_t len = 1; len <= fl + 1; len++) {
			size_t n = output_escape_text(inputs[i], cut, len, NULL);
			assert_true(n < len);
			assert_int_equal(strlen(cut), n);
			if (strncmp(cut, full, n) != 0)
				fail_msg("text escape of input %zu into %zu bytes gave \"%s\", "
					 "not a start of \"%s\"", i, len, cut, full);
		}
		fl = output_escape_tsv(inputs[i], full, sizeof(full));
		for (size_t len = 1; len <= fl + 1; len++) {
			size_t n = output_escape_tsv(inputs[i], cut, len);
			assert_true(n < len);
			assert_int_equal(strlen(cut), n);
			if (strncmp(cut, full, n) != 0)
				fail_msg("TSV escape of input %zu into %zu bytes gave \"%s\", "
					 "not a start of \"%s\"", i, len, cut, full);
		}
	}
}

/* Escaped text in the table, and columns aligned by display width. */
static void test_text_alignment(void **state)
{
	(void)state;
	struct row rows[3];
	char *out;

	rows[0] = mkrow(REASON_NONE, 1, "b\xc3\xb6" "b", "caf\xc3\xa9", 5, 0, 1, 0, 1, 0, "a\\b");
	rows[1] = mkrow(REASON_NONE, 22, "x", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 3, 0, 1, 0,
			1, 4026532305ULL, "tab\there");
	rows[2] = mkrow(REASON_NONE, 333, "\xff", "a\x01" "b", 1, 0, 1, 0, 1, 42,
			"\xe2\x82\xac");
	out = report(OUT_TEXT, false, rows, 3, &file_totals);
	assert_string_equal(out,
		/* NETNS right-aligned: "-" (0: not known), 10 digits, 2 digits */
		"  1  b\xc3\xb6" "b   caf\xc3\xa9    5  0  1  0  1           -  a\\\\b\n"
		" 22  x     \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e  3  0  1  0  1  4026532305"
		"  tab\\x09here\n"
		"333  \\xff  a\\x01" "b  1  0  1  0  1          42  \xe2\x82\xac\n");
	free(out);
}

/* Lines end without blanks, even when the last column is empty. */
static void test_text_no_trailing_spaces(void **state)
{
	(void)state;
	struct row rows[2];
	char *out;

	rows[0] = mkrow(REASON_NONE, 1, "root", "kworker/0:1", 100, 0, 1, 0, 1, 0, "");
	rows[1] = mkrow(REASON_NONE, 2, "root", "sshd", 10, 0, 1, 0, 1, NETNS_INIT, "sshd -D");
	for (int header = 0; header < 2; header++) {
		char copy[1024];
		bool trailing = false;
		out = report(OUT_TEXT, header, rows, 2, &live_totals);
		for (const char *p = strchr(out, '\n'); p; p = strchr(p + 1, '\n')) {
			if (p > out && (p[-1] == ' ' || p[-1] == '\t'))
				trailing = true;
		}
		snprintf(copy, sizeof(copy), "%s", out);
		free(out);	/* before failing: no leak reported on top */
		if (trailing)
			fail_msg("trailing blank in:\n%s", copy);
	}
}

/* ---- write errors ---- */

static void test_write_error(void **state)
{
	(void)state;
	static const enum out_format fmts[] = { OUT_TEXT, OUT_CSV, OUT_TSV };
	struct row rows[2];

	two_rows(rows);
	for (size_t i = 0; i < 3; i++) {
		FILE *f = fopen("/dev/full", "w");
		assert_non_null(f);
		assert_int_equal(setvbuf(f, NULL, _IONBF, 0), 0);
		errno = 0;
		assert_int_equal(output_report(f, fmts[i], true, rows, 2, &live_totals), -1);
		assert_int_equal(errno, ENOSPC);
		fclose(f);
	}
	/* Buffered, with more than a buffer's worth: the error still shows. */
	enum { N = 2000 };
	struct row *many = calloc(N, sizeof(*many));
	assert_non_null(many);
	for (int i = 0; i < N; i++)
		many[i] = rows[i % 2];
	for (size_t i = 0; i < 3; i++) {
		FILE *f = fopen("/dev/full", "w");
		assert_non_null(f);
		assert_int_equal(output_report(f, fmts[i], true, many, N, &live_totals), -1);
		fclose(f);
	}
	free(many);
	/* And a stream that works returns 0. */
	FILE *ok = fopen("/dev/null", "w");
	assert_non_null(ok);
	assert_int_equal(output_report(ok, OUT_TEXT, true, rows, 2, &live_totals), 0);
	assert_int_equal(fclose(ok), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_exact),
		cmocka_unit_test(test_csv_tsv_exact),
		cmocka_unit_test(test_netns_text),
		cmocka_unit_test(test_netns_csv_tsv),
		cmocka_unit_test(test_footer_duplicates),
		cmocka_unit_test(test_csv_hostile_round_trip),
		cmocka_unit_test(test_tsv_escaping),
		cmocka_unit_test(test_text_escaping),
		cmocka_unit_test(test_escaping_cut_to_fit),
		cmocka_unit_test(test_text_alignment),
		cmocka_unit_test(test_text_no_trailing_spaces),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
