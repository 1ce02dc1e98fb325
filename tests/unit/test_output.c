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

/* ---- times, seconds, human units ---- */

static void tm_is(int64_t us, const char *want)
{
	char buf[OUT_TIME_LEN];

	assert_string_equal(output_time(us, buf, sizeof(buf)), want);
}

/* Days since 1970-01-01 to a date (Howard Hinnant's civil_from_days). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void test_output_time(void **state)
{
	(void)state;
	tm_is(0, "1970-01-01T00:00:00.000000Z");
	tm_is(1, "1970-01-01T00:00:00.000001Z");
	tm_is(999999, "1970-01-01T00:00:00.999999Z");
	tm_is(SHIM_START_US, "2023-11-14T22:13:20.000000Z");
	tm_is(SHIM_START_US + 123456, "2023-11-14T22:13:20.123456Z");
	/* Leap days, and the years that have none. */
	tm_is(951782400000000LL, "2000-02-29T00:00:00.000000Z");
	tm_is(1709164800000000LL + 86399999999LL, "2024-02-29T23:59:59.999999Z");
	tm_is(4107542400000000LL, "2100-03-01T00:00:00.000000Z");	/* 2100-02-28 + 1 day */
	tm_is(4107542400000000LL - 1, "2100-02-28T23:59:59.999999Z");
	tm_is(253402300799999999LL, "9999-12-31T23:59:59.999999Z");
	/* Before 1970: the second is floored, the microseconds count up from it. */
	tm_is(-1, "1969-12-31T23:59:59.999999Z");
	tm_is(-999999, "1969-12-31T23:59:59.000001Z");
	tm_is(-1000000, "1969-12-31T23:59:59.000000Z");
	tm_is(-1000001, "1969-12-31T23:59:58.999999Z");
	tm_is(-86400000000LL, "1969-12-31T00:00:00.000000Z");
	tm_is(-2208988800000000LL, "1900-01-01T00:00:00.000000Z");
	tm_is(-62135596800000000LL, "0001-01-01T00:00:00.000000Z");

	/* Random times from year 1 to 9999, against the civil calendar. */
	uint64_t x = 7;
	for (int i = 0; i < 200000; i++) {
		const int64_t lo = -62135596800000000LL, hi = 253402300799999999LL;
		int64_t us = lo + (int64_t)(rng_next(&x) % (uint64_t)(hi - lo));
		int64_t sec = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
		int64_t frac = us - sec * 1000000, days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
		int64_t sod = sec - days * 86400, y;
		unsigned m, d;
		char want[64], got[OUT_TIME_LEN];

		civil(days, &y, &m, &d);
		snprintf(want, sizeof(want), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
			 (long long)y, m, d, (long long)(sod / 3600), (long long)(sod / 60 % 60),
			 (long long)(sod % 60), (long long)frac);
		output_time(us, got, sizeof(got));
		if (strcmp(got, want) != 0)
			fail_msg("%lld us: %s, not %s", (long long)us, got, want);
	}
}

static void sec_is(int64_t us, const char *want)
{
	char buf[32];

	assert_string_equal(output_seconds(us, buf, sizeof(buf)), want);
}

static void test_output_seconds(void **state)
{
	(void)state;
	sec_is(0, "0.000000");
	sec_is(1, "0.000001");
	sec_is(999999, "0.999999");
	sec_is(1000000, "1.000000");
	sec_is(2500000, "2.500000");
	sec_is(86400000001LL, "86400.000001");
	sec_is(INT64_MAX, "9223372036854.775807");
	/* A negative duration (a clock stepped back) is none. */
	sec_is(-1, "0.000000");
	sec_is(-2500000, "0.000000");
	sec_is(INT64_MIN, "0.000000");
}

static void hu_is(double v, const char *want)
{
	char buf[16];

	if (strcmp(output_human(v, buf, sizeof(buf)), want) != 0)
		fail_msg("output_human(%.17g) is %s, not %s", v, buf, want);
}

static void test_output_human(void **state)
{
	const double K = 1024.0, M = K * K, E = M * M * M;

	(void)state;
	hu_is(0, "0");
	hu_is(1, "1");
	hu_is(999, "999");
	hu_is(1023, "1023");
	hu_is(1023.4, "1023");
	/* From 1023.5 on, what would print as 1024 is 1.0K. */
	hu_is(1023.5, "1.0K");
	hu_is(1024, "1.0K");
	hu_is(1535, "1.5K");
	hu_is(1536, "1.5K");
	hu_is(10188, "9.9K");		/* 9.949 */
	hu_is(10189, "10K");		/* 9.950: one decimal would round up to 10.0 */
	hu_is(10239.9, "10K");
	hu_is(64000, "62K");		/* 62.5: printf rounds to even */
	hu_is(1048063, "1023K");	/* 1023.499K */
	hu_is(1048064, "1.0M");		/* 1023.5K */
	hu_is(1048575, "1.0M");
	hu_is(M, "1.0M");
	hu_is(1.5 * M, "1.5M");
	hu_is(100 * M, "100M");
	hu_is(K * M, "1.0G");
	hu_is(M * M, "1.0T");
	hu_is(1.25 * M * M, "1.2T");		/* exactly halfway: printf rounds to even */
	hu_is(K * M * M, "1.0P");
	hu_is(E, "1.0E");
	hu_is(15.5 * E, "16E");
	hu_is((double)UINT64_MAX, "16E");
	/* E is the last unit: beyond it the number grows. */
	hu_is(1024 * E, "1024E");
	hu_is(1e30, "867361737988E");
}

/* ---- the text table with times and rates, blocks of a run, CSV/TSV headers ---- */

/* One report of rows under the summary, as report_write writes it. */
static char *block(const struct report_opts *o, const struct summary *sum, const struct row *rows,
		   size_t n, bool first)
{
	struct report_data d;
	struct memout m;

	memset(&d, 0, sizeof(d));
	d.sum = *sum;
	d.rows = rows;
	d.nrows = n;
	memout_open(&m);
	assert_int_equal(report_write(m.f, o, &d, first), 0);
	memout_close(&m);
	return m.buf;
}

static struct summary interval_sum(unsigned index)
{
	struct summary s;

	memset(&s, 0, sizeof(s));
	s.kind = REPORT_INTERVAL;
	s.index = index;
	s.interval_us = 2500000;
	s.start_us = SHIM_START_US;
	s.end_us = SHIM_END_US;
	s.totals = file_totals;
	return s;
}

static void rows_for_times(struct row rows[2])
{
	rows[0] = mkrow(REASON_NONE, 1234, "alice", "curl", 1500, 64000, 10, 50, 2, 0, "curl x");
	rows[1] = mkrow(REASON_NO_SOCKET, 0, "", "unknown:no-socket", 40, 0, 1, 0, 1, 0,
			"no socket matched this traffic");
}

#define STAMP0 "2023-11-14T22:13:20.000000Z"
#define STAMP1 "2023-11-14T22:13:22.500000Z"

static void test_text_times_rates_interval(void **state)
{
	struct report_opts o;
	struct summary s = interval_sum(3);
	struct row rows[2];
	char *out;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.format = OUT_TEXT;
	o.header = true;
	o.timestamps = true;
	o.rate = true;
	rows_for_times(rows);
	out = block(&o, &s, rows, 2, true);
	assert_string_equal(out,
		"START                        END                          DURATION   PID  USER   "
		"COMMAND            SENT_BYTES  RECV_BYTES  SENT_RATE  RECV_RATE  SENT_PACKETS  "
		"RECV_PACKETS  FLOWS  NETNS  CMDLINE\n"
		STAMP0 "  " STAMP1 "  2.500000  1234  alice  curl                     1500       "
		"64000        600      25600            10            50      2      -  curl x\n"
		STAMP0 "  " STAMP1 "  2.500000     -  -      unknown:no-socket          40           "
		"0         16          0             1             0      1      -  "
		"no socket matched this traffic\n"
		"\n"
		"interval 3: from " STAMP0 " to " STAMP1 " (2.500000 s)\n"
		"captured 120 packets, 65540 IP bytes; 3 not IP, 2 malformed\n");
	free(out);

	/* -H: bytes and rates in binary units. */
	o.human = true;
	o.timestamps = false;
	out = block(&o, &s, rows, 2, true);
	assert_string_equal(out,
		" PID  USER   COMMAND            SENT_BYTES  RECV_BYTES  SENT_RATE  RECV_RATE  "
		"SENT_PACKETS  RECV_PACKETS  FLOWS  NETNS  CMDLINE\n"
		"1234  alice  curl                     1.5K         62K        600        25K"
		"            10            50      2      -  curl x\n"
		"   -  -      unknown:no-socket          40           0         16          0"
		"             1             0      1      -  no socket matched this traffic\n"
		"\n"
		"interval 3: from " STAMP0 " to " STAMP1 " (2.500000 s)\n"
		"captured 120 packets, 65540 IP bytes; 3 not IP, 2 malformed\n");
	free(out);
}

/* The footer's first line for each kind of report, and when no time is known. */
static void test_footer_kinds(void **state)
{
	static const struct {
		enum report_kind kind;
		const char *prefix;
	} kinds[] = {
		{ REPORT_ONCE, "" }, { REPORT_INTERVAL, "interval 12: " },
		{ REPORT_TOTAL, "total: " }, { REPORT_PARTIAL, "so far: " },
	};
	struct report_opts o;
	struct row rows[2];

	(void)state;
	memset(&o, 0, sizeof(o));
	o.format = OUT_TEXT;
	o.header = true;
	rows_for_times(rows);
	for (size_t i = 0; i < 4; i++) {
		struct summary s = interval_sum(12);
		char want[256], *out;

		s.kind = kinds[i].kind;
		out = block(&o, &s, rows, 1, true);
		snprintf(want, sizeof(want), "\n\n%sfrom " STAMP0 " to " STAMP1 " (2.500000 s)\n"
			 "captured 120 packets", kinds[i].prefix);
		assert_non_null(strstr(out, want));
		free(out);
		s.start_us = s.end_us = TIME_NONE;
		out = block(&o, &s, rows, 0, true);
		snprintf(want, sizeof(want), "\n\n%sfrom - to - (0.000000 s)\ncaptured 120 packets",
			 kinds[i].prefix);
		assert_non_null(strstr(out, want));
		free(out);
	}
}

/* Text blocks after the first: one blank line before the header; none without header. */
static void test_blocks_apart(void **state)
{
	struct report_opts o;
	struct summary s1 = interval_sum(1), s2 = interval_sum(2);
	struct row rows[2];
	char *a, *b, *joined;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.format = OUT_TEXT;
	o.header = true;
	rows_for_times(rows);
	a = block(&o, &s1, rows, 2, true);
	b = block(&o, &s2, rows, 2, false);
	assert_int_equal(a[0], ' ');		/* " PID" */
	assert_int_equal(b[0], '\n');
	assert_int_equal(b[1], ' ');
	assert_int_equal(strncmp(b + 1, a, strchr(a, '\n') - a), 0);	/* the same header */
	joined = malloc(strlen(a) + strlen(b) + 1);
	strcpy(joined, a);
	strcat(joined, b);
	/* The first block's footer, one blank line, the second's header. */
	assert_non_null(strstr(joined, "2 malformed\n\n PID  USER"));
	assert_null(strstr(joined, "\n\n\n"));
	free(joined);
	free(a);
	free(b);

	o.header = false;
	a = block(&o, &s1, rows, 2, true);
	b = block(&o, &s2, rows, 2, false);
	assert_string_equal(a, b);
	assert_int_equal(a[0], '1');
	free(a);
	free(b);
}

/* CSV and TSV: the header line in the run's first block only. */
static void test_sv_header_once(void **state)
{
	static const enum out_format fmts[] = { OUT_CSV, OUT_TSV };
	static const char *const heads[] = {
		"pid,user,command,sent_bytes,recv_bytes,sent_packets,recv_packets,flows,netns,"
		"cmdline\n",
		"pid\tuser\tcommand\tsent_bytes\trecv_bytes\tsent_packets\trecv_packets\tflows\t"
		"netns\tcmdline\n",
	};
	struct report_opts o;
	struct summary s = interval_sum(1);
	struct row rows[2];

	(void)state;
	rows_for_times(rows);
	for (int f = 0; f < 2; f++) {
		for (int header = 0; header < 2; header++) {
			for (int first = 0; first < 2; first++) {
				char *out;

				memset(&o, 0, sizeof(o));
				o.format = fmts[f];
				o.header = header;
				out = block(&o, &s, rows, 2, first);
				if (header && first)
					assert_int_equal(strncmp(out, heads[f], strlen(heads[f])), 0);
				else
					assert_int_equal(out[0], '1');	/* the first row at once */
				assert_null(strstr(out, "captured"));	/* no footer */
				assert_int_equal(out[strlen(out) - 1], '\n');
				free(out);
			}
		}
	}
}

/* No value: "" in a CSV text (and time) column, an empty field in a numeric one. */
static void test_csv_none(void **state)
{
	struct report_opts o;
	struct summary s = interval_sum(1);
	struct row rows[2];
	char *out;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.format = OUT_CSV;
	o.timestamps = true;
	o.rate = true;
	rows_for_times(rows);
	out = block(&o, &s, rows, 2, false);
	assert_string_equal(out,
		"\"" STAMP0 "\",\"" STAMP1 "\",2.500000,1234,\"alice\",\"curl\",1500,64000,600.000,"
		"25600.000,10,50,2,,\"curl x\"\n"
		"\"" STAMP0 "\",\"" STAMP1 "\",2.500000,,\"\",\"unknown:no-socket\",40,0,16.000,"
		"0.000,1,0,1,,\"no socket matched this traffic\"\n");
	free(out);

	/* No times known (no packets): start and end are "", duration and rates empty. */
	s.start_us = s.end_us = TIME_NONE;
	out = block(&o, &s, rows, 1, false);
	assert_string_equal(out, "\"\",\"\",,1234,\"alice\",\"curl\",1500,64000,,,10,50,2,,"
				 "\"curl x\"\n");
	free(out);
	/* TSV: every missing value is an empty field. */
	o.format = OUT_TSV;
	out = block(&o, &s, rows, 1, false);
	assert_string_equal(out, "\t\t\t1234\talice\tcurl\t1500\t64000\t\t\t10\t50\t2\t\tcurl x\n");
	free(out);
	/* Text: "-". */
	o.format = OUT_TEXT;
	out = block(&o, &s, rows, 1, false);
	assert_string_equal(out, "-  -  -  1234  alice  curl  1500  64000  -  -  10  50  2  -  curl x\n");
	free(out);
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
		cmocka_unit_test(test_output_time),
		cmocka_unit_test(test_output_seconds),
		cmocka_unit_test(test_output_human),
		cmocka_unit_test(test_text_times_rates_interval),
		cmocka_unit_test(test_footer_kinds),
		cmocka_unit_test(test_blocks_apart),
		cmocka_unit_test(test_sv_header_once),
		cmocka_unit_test(test_csv_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
