/*
 * test_json.c - the JSON lines writer (core/json.h): string escaping, its
 * reversibility (a reader that keeps lone surrogates gets the bytes back),
 * the row objects and the summary object of every kind of report.
 */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../core/json.h"
#include "../../core/output.h"
#include "helpers.h"

/* ---- json_string --------------------------------------------------- */

/* json_string of n bytes (n may hold no NUL) as a string; free it. */
static char *jstr(const char *s)
{
	struct memout m;

	memout_open(&m);
	json_string(m.f, s);
	memout_close(&m);
	return m.buf;
}

static void js(const char *in, const char *want)
{
	char *got = jstr(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_string_escapes(void **state)
{
	(void)state;
	js("", "\"\"");
	js("plain text /path", "\"plain text /path\"");
	/* The two that must be escaped, and the short forms. */
	js("a\"b\\c", "\"a\\\"b\\\\c\"");
	js("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	/* Other C0 controls, DEL and C1 controls as \u00xx (lower-case hex). */
	js("\x01", "\"\\u0001\"");
	js("\x1b[2J", "\"\\u001b[2J\"");
	js("\x0b\x1f", "\"\\u000b\\u001f\"");
	js("\x7f", "\"\\u007f\"");
	js("\xc2\x80", "\"\\u0080\"");
	js("\xc2\x9b" "2J", "\"\\u009b2J\"");
	js("\xc2\x9f", "\"\\u009f\"");
	/* U+2028 and U+2029 (line ends to JavaScript). */
	js("a\xe2\x80\xa8" "b\xe2\x80\xa9", "\"a\\u2028b\\u2029\"");
	/* Valid UTF-8 as it is: U+00A0 on, CJK, an emoji, bidi controls, U+FFFF, U+10FFFF. */
	js("\xc2\xa0", "\"\xc2\xa0\"");
	js("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80\"");
	js("\xe2\x80\xae", "\"\xe2\x80\xae\"");
	js("\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");
	/* Each byte of invalid UTF-8 as a lone surrogate U+DC80 + (byte - 0x80). */
	js("\x80", "\"\\udc80\"");
	js("\xff", "\"\\udcff\"");
	js("a\xbf" "b", "\"a\\udcbfb\"");
	js("\xc0\xaf", "\"\\udcc0\\udcaf\"");			/* overlong '/' */
	js("\xe0\x80\xaf", "\"\\udce0\\udc80\\udcaf\"");	/* overlong, 3 bytes */
	js("\xf0\x8f\xbf\xbf", "\"\\udcf0\\udc8f\\udcbf\\udcbf\"");
	js("\xed\xa0\x80", "\"\\udced\\udca0\\udc80\"");	/* a surrogate, encoded */
	js("\xed\xb2\x80", "\"\\udced\\udcb2\\udc80\"");	/* ... U+DC80 itself */
	js("\xf4\x90\x80\x80", "\"\\udcf4\\udc90\\udc80\\udc80\"");	/* > U+10FFFF */
	js("\xf8\x88\x80\x80\x80", "\"\\udcf8\\udc88\\udc80\\udc80\\udc80\"");
	js("\xe6\x97", "\"\\udce6\\udc97\"");			/* cut by the end */
	js("\xe6\x97" "A", "\"\\udce6\\udc97A\"");		/* cut by ASCII */
	js("\xc3\xc3\xa9", "\"\\udcc3\xc3\xa9\"");		/* cut by a lead byte */
	js("\xc3\"", "\"\\udcc3\\\"\"");
}

/* ---- reversibility ------------------------------------------------- */

/* Is s[0..n) well-formed UTF-8 (Unicode table 3-7)? */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned b = s[i], lo = 0x80, hi = 0xbf;
		size_t len;

		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			len = 2;
		else if (b >= 0xe0 && b <= 0xef)
			len = 3;
		else if (b >= 0xf0 && b <= 0xf4)
			len = 4;
		else
			return false;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;
		else if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
		if (i + len > n || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k < len; k++) {
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		}
		i += len;
	}
	return true;
}

static size_t put_utf8(unsigned char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static int hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Was code point cp one json.h says is written as \uXXXX? */
static bool escaped_cp(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 ||
	       cp == 0x2029;
}

/*
 * A JSON string (quotes included) back to bytes, as a reader that keeps
 * lone surrogates and maps U+DC80-U+DCFF to the bytes 0x80-0xFF (Python's
 * "surrogateescape") does. The number of bytes, or -1 (with why) when the
 * text is not such a string.
 */
static long decode(const char *j, unsigned char *out, size_t cap, const char **why)
{
	size_t n = 0, len = strlen(j);
	const char *p = j + 1, *end = j + len - 1;

	*why = NULL;
	if (len < 2 || j[0] != '"' || j[len - 1] != '"') {
		*why = "not quoted";
		return -1;
	}
	if (!valid_utf8((const unsigned char *)j, len)) {
		*why = "not UTF-8";
		return -1;
	}
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		uint32_t cp;

		if (n + 4 > cap) {
			*why = "too long";
			return -1;
		}
		if (c < 0x20 || c == '"' || c == 0x7f ||
		    (c == 0xc2 && (unsigned char)p[1] < 0xa0) ||
		    (c == 0xe2 && p[1] == '\x80' && (p[2] == '\xa8' || p[2] == '\xa9'))) {
			*why = "a raw control, quote, DEL, C1 control, U+2028 or U+2029";
			return -1;
		}
		if (c != '\\') {
			out[n++] = c;
			p++;
			continue;
		}
		if (p + 1 >= end) {
			*why = "a cut escape";
			return -1;
		}
		switch (p[1]) {
		case '"': out[n++] = '"'; p += 2; continue;
		case '\\': out[n++] = '\\'; p += 2; continue;
		case '/': out[n++] = '/'; p += 2; continue;
		case 'b': out[n++] = '\b'; p += 2; continue;
		case 'f': out[n++] = '\f'; p += 2; continue;
		case 'n': out[n++] = '\n'; p += 2; continue;
		case 'r': out[n++] = '\r'; p += 2; continue;
		case 't': out[n++] = '\t'; p += 2; continue;
		case 'u': break;
		default:
			*why = "an unknown escape";
			return -1;
		}
		if (end - p < 6 || hex4(p + 2, &cp) != 0) {
			*why = "a bad \\u escape";
			return -1;
		}
		p += 6;
		/* json.c writes no surrogate pair: a byte is a low surrogate alone. */
		if (cp >= 0xd800 && cp <= 0xdbff) {
			*why = "a high surrogate";
			return -1;
		}
		if (cp >= 0xdc80 && cp <= 0xdcff) {
			out[n++] = (unsigned char)(cp - 0xdc00);
			continue;
		}
		if (cp >= 0xd800 && cp <= 0xdfff) {
			*why = "a lone surrogate that is no byte";
			return -1;
		}
		if (!escaped_cp(cp)) {
			*why = "a \\u escape of a character written as it is";
			return -1;
		}
		n += put_utf8(out + n, cp);
	}
	return (long)n;
}

/* One random string of bytes (no NUL), weighted to the cases that matter. */
static size_t random_bytes(uint64_t *x, unsigned char *s, size_t max)
{
	static const uint32_t special[] = { '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', 0x7f,
					    0x80, 0x9f, 0xa0, 0x2028, 0x2029, 0x202e, 0xfeff,
					    0xfffd, 0xffff, 0x10000, 0x10ffff, 0xd7ff, 0xe000 };
	size_t n = 0, len = (size_t)(rng_next(x) % (max - 4));

	while (n < len) {
		uint64_t r = rng_next(x);
		switch (r % 8) {
		case 0:		/* ASCII, controls included */
			s[n++] = (unsigned char)(1 + (r >> 8) % 127);
			break;
		case 1:
		case 2:		/* any byte but NUL: stray, cut, overlong... */
			s[n++] = (unsigned char)(1 + (r >> 8) % 255);
			break;
		case 3: {	/* a valid code point of any length */
			uint32_t cp = (uint32_t)((r >> 8) % 0x110000);
			if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
				cp = 0xfffd;
			n += put_utf8(s + n, cp);
			break;
		}
		case 4:		/* one of the special ones */
			n += put_utf8(s + n, special[(r >> 8) % (sizeof(special) / sizeof(special[0]))]);
			break;
		case 5: {	/* an encoded surrogate, or a code point above U+10FFFF */
			uint32_t v = (uint32_t)((r >> 8) & 1 ? 0xd800 + (r >> 9) % 0x800
						     : 0x110000 + (r >> 9) % 0xef0000);
			if (v < 0x10000) {
				s[n++] = (unsigned char)(0xe0 | v >> 12);
				s[n++] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
				s[n++] = (unsigned char)(0x80 | (v & 0x3f));
			} else {
				s[n++] = (unsigned char)(0xf0 | (v >> 18 & 0x07));
				s[n++] = (unsigned char)(0x80 | (v >> 12 & 0x3f));
				s[n++] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
				s[n++] = (unsigned char)(0x80 | (v & 0x3f));
			}
			break;
		}
		case 6: {	/* a valid sequence cut short */
			unsigned char e[4];
			size_t k = put_utf8(e, 0x80 + (uint32_t)((r >> 8) % 0x10ff80));
			if (k > 1) {
				size_t keep = 1 + (size_t)((r >> 40) % (k - 1));
				memcpy(s + n, e, keep);
				n += keep;
			}
			break;
		}
		default:	/* an overlong form of a small code point */
			if ((r >> 8) & 1) {
				s[n++] = (unsigned char)(0xc0 | ((r >> 9) & 1));
				s[n++] = (unsigned char)(0x80 | ((r >> 10) & 0x3f));
			} else {
				s[n++] = 0xe0;
				s[n++] = (unsigned char)(0x80 | ((r >> 10) & 0x1f));
				s[n++] = (unsigned char)(0x80 | ((r >> 16) & 0x3f));
			}
		}
	}
	s[n] = '\0';
	return n;
}

static void test_string_reversible(void **state)
{
	enum { MAX = 96 };
	unsigned char in[MAX + 8], back[8 * MAX];
	uint64_t x = 20231114;
	size_t stray = 0;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		size_t n = random_bytes(&x, in, MAX);
		char *j = jstr((const char *)in);
		const char *why;
		long m = decode(j, back, sizeof(back), &why);

		if (m < 0)
			fail_msg("string %d: json_string wrote %s: %s", i, why, j);
		if ((size_t)m != n || memcmp(back, in, n) != 0)
			fail_msg("string %d: %s reads back as %ld other bytes", i, j, m);
		stray += strstr(j, "\\udc") != NULL;
		free(j);
	}
	/* The strings did hold invalid UTF-8, most of them. */
	assert_true(stray > 50000);
}

/* ---- rows ---------------------------------------------------------- */

static const struct column c_start = { "start", "START", false, false };
static const struct column c_duration = { "duration", "DURATION", true, false };
static const struct column c_pid = { "pid", "PID", true, false };
static const struct column c_user = { "user", "USER", false, false };
static const struct column c_sent = { "sent_bytes", "SENT_BYTES", true, true };
static const struct column c_rate = { "sent_rate", "SENT_RATE", true, true };
static const struct column c_netns = { "netns", "NETNS", true, false };
static const struct column c_odd = { "we\"ird\\key", "WEIRD", false, false };

static const struct totals file_totals = { .packets = 120, .ip_bytes = 65540, .not_ip = 3,
					   .malformed = 2, .duplicates = 1 };
static const struct totals live_totals = { .packets = 9, .ip_bytes = 99, .not_ip = 1,
					   .malformed = 0, .live = true, .kernel_drops = 4,
					   .if_drops = 5 };

#define START 1700000000000000LL
#define END 1700000002500000LL
#define STAMPS "\"start\":\"2023-11-14T22:13:20.000000Z\",\"end\":\"2023-11-14T22:13:22.500000Z\""

static struct summary mksum(enum report_kind kind, unsigned index, int64_t interval_us,
			    const struct totals *t)
{
	struct summary s;

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	s.index = index;
	s.interval_us = interval_us;
	s.start_us = START;
	s.end_us = END;
	s.totals = *t;
	s.rows = 77;	/* json_write_table writes it as it is; output_table sets it */
	return s;
}

static char *write_json(const struct table *t, struct summary *s, bool through_output)
{
	struct out_opts o = { OUT_JSON, true, false, false };
	struct memout m;

	memout_open(&m);
	if (through_output)
		assert_int_equal(output_table(m.f, &o, t, s), 0);
	else
		assert_int_equal(json_write_table(m.f, t, s), 0);
	memout_close(&m);
	return m.buf;
}

static void test_rows(void **state)
{
	static const struct column *const cols[] = { &c_start, &c_duration, &c_pid, &c_user,
						     &c_sent, &c_rate, &c_netns, &c_odd };
	struct summary s = mksum(REPORT_ONCE, 0, 0, &file_totals);
	struct table t;
	struct cell *r;
	char *out;

	(void)state;
	table_init(&t);
	for (size_t i = 0; i < 8; i++)
		assert_true(table_add_col(&t, cols[i]));
	r = table_add_row(&t, false);
	r[0] = (struct cell){ CELL_TIME, { .t = START + 123456 } };
	r[1] = (struct cell){ CELL_SECONDS, { .t = 2500001 } };
	r[2] = (struct cell){ CELL_UINT, { .u = 42 } };
	r[3] = (struct cell){ CELL_TEXT, { .s = "bo\"b\xff" } };
	r[4] = (struct cell){ CELL_BYTES, { .u = UINT64_MAX } };
	r[5] = (struct cell){ CELL_RATE, { .d = 1234.5678 } };
	r[6] = (struct cell){ CELL_UINT, { .u = 4026531840ULL } };
	r[7] = (struct cell){ CELL_TEXT, { .s = "" } };
	/* An unknown row: no values but the counters; times before 1970; nothing per second. */
	r = table_add_row(&t, true);
	r[0] = (struct cell){ CELL_TIME, { .t = -1 } };
	r[1] = (struct cell){ CELL_SECONDS, { .t = -5 } };
	r[4] = (struct cell){ CELL_BYTES, { .u = 0 } };
	r[5] = (struct cell){ CELL_RATE, { .d = 0 } };
	out = write_json(&t, &s, false);
	assert_string_equal(out,
		"{\"start\":\"2023-11-14T22:13:20.123456Z\",\"duration\":2.500001,\"pid\":42,"
		"\"user\":\"bo\\\"b\\udcff\",\"sent_bytes\":18446744073709551615,"
		"\"sent_rate\":1234.568,\"netns\":4026531840,\"we\\\"ird\\\\key\":\"\"}\n"
		"{\"start\":\"1969-12-31T23:59:59.999999Z\",\"duration\":0.000000,\"pid\":null,"
		"\"user\":null,\"sent_bytes\":0,\"sent_rate\":0.000,\"netns\":null,"
		"\"we\\\"ird\\\\key\":null}\n"
		"{\"type\":\"summary\",\"report\":\"once\",\"interval\":null,"
		"\"interval_seconds\":null," STAMPS ",\"duration\":2.500000,\"rows\":77,"
		"\"packets\":120,\"ip_bytes\":65540,\"not_ip\":3,\"malformed\":2,\"duplicates\":1,"
		"\"kernel_drops\":null,\"if_drops\":null,\"owners\":null}\n");
	free(out);

	/* Through output_table: the same, with the rows written counted. */
	out = write_json(&t, &s, true);
	assert_int_equal(s.rows, 2);
	assert_non_null(strstr(out, ",\"rows\":2,"));
	free(out);

	/* Rates with three decimals, rounded; large ones in full. */
	table_row(&t, 0)[5].v.d = 0.0005;
	table_row(&t, 1)[5].v.d = 1e15 / 3;
	out = write_json(&t, &s, false);
	assert_non_null(strstr(out, "\"sent_rate\":0.001,"));	/* 0.0005 is 0.000500000000000000010... */
	assert_non_null(strstr(out, "\"sent_rate\":333333333333333.312,"));
	free(out);
	table_free(&t);
}

/* Rows of a table with no columns are empty objects; no rows, just the summary. */
static void test_rows_edge(void **state)
{
	static const struct column *const cols[] = { &c_pid };
	struct summary s = mksum(REPORT_ONCE, 0, 0, &file_totals);
	struct table t;
	char *out;

	(void)state;
	table_init(&t);
	assert_non_null(table_add_row(&t, false));
	assert_non_null(table_add_row(&t, true));
	out = write_json(&t, &s, true);
	assert_non_null(strstr(out, "{}\n{}\n{\"type\":\"summary\","));
	assert_int_equal(s.rows, 2);
	free(out);
	table_free(&t);

	table_init(&t);
	assert_true(table_add_col(&t, cols[0]));
	out = write_json(&t, &s, true);
	assert_int_equal(strncmp(out, "{\"type\":\"summary\",", 18), 0);
	assert_non_null(strstr(out, ",\"rows\":0,"));
	assert_ptr_equal(strchr(out, '\n') + 1, out + strlen(out));	/* one line */
	free(out);
	table_free(&t);
}

/* ---- the summary object -------------------------------------------- */

static char *summary_of(struct summary *s)
{
	struct table t;
	char *out;

	table_init(&t);
	out = write_json(&t, s, false);
	table_free(&t);
	return out;
}

static void test_summary_kinds(void **state)
{
	struct summary s;
	char *out;

	(void)state;
	s = mksum(REPORT_INTERVAL, 3, 1000000, &file_totals);
	out = summary_of(&s);
	assert_string_equal(out,
		"{\"type\":\"summary\",\"report\":\"interval\",\"interval\":3,"
		"\"interval_seconds\":1.000000," STAMPS ",\"duration\":2.500000,\"rows\":77,"
		"\"packets\":120,\"ip_bytes\":65540,\"not_ip\":3,\"malformed\":2,\"duplicates\":1,"
		"\"kernel_drops\":null,\"if_drops\":null,\"owners\":null}\n");
	free(out);

	/* --total after intervals: no index, the interval's length still said. */
	s = mksum(REPORT_TOTAL, 3, 1500, &file_totals);
	out = summary_of(&s);
	assert_non_null(strstr(out, "\"report\":\"total\",\"interval\":null,"
				    "\"interval_seconds\":0.001500,"));
	free(out);

	/* SIGUSR1's report so far, with and without intervals. */
	s = mksum(REPORT_PARTIAL, 2, 0, &file_totals);
	out = summary_of(&s);
	assert_non_null(strstr(out, "\"report\":\"partial\",\"interval\":null,"
				    "\"interval_seconds\":null,"));
	free(out);
	s = mksum(REPORT_PARTIAL, 0, 60000000, &file_totals);
	out = summary_of(&s);
	assert_non_null(strstr(out, "\"report\":\"partial\",\"interval\":null,"
				    "\"interval_seconds\":60.000000,"));
	free(out);

	s = mksum(REPORT_ONCE, 5, 0, &file_totals);
	out = summary_of(&s);
	assert_non_null(strstr(out, "\"report\":\"once\",\"interval\":null,"
				    "\"interval_seconds\":null,"));
	free(out);
}

static void test_summary_live_and_unknown_times(void **state)
{
	struct summary s = mksum(REPORT_ONCE, 0, 0, &live_totals);
	char *out;

	(void)state;
	out = summary_of(&s);
	assert_string_equal(out,
		"{\"type\":\"summary\",\"report\":\"once\",\"interval\":null,"
		"\"interval_seconds\":null," STAMPS ",\"duration\":2.500000,\"rows\":77,"
		"\"packets\":9,\"ip_bytes\":99,\"not_ip\":1,\"malformed\":0,\"duplicates\":0,"
		"\"kernel_drops\":4,\"if_drops\":5,\"injected_bytes\":0,\"injected_packets\":0,\"owners\":null}\n");
	free(out);
	/* Frames of packet sockets counted for their holders (pktsock.h). */
	s.injected_bytes = 6400;
	s.injected_packets = 50;
	out = summary_of(&s);
	assert_non_null(strstr(out, ",\"injected_bytes\":6400,\"injected_packets\":50,"));
	free(out);

	/* The owner source: the kernel's, with the reports it lost; /proc's, null. */
	s.totals.owners = OUT_OWNERS_KERNEL;
	s.totals.owners_lost = 37;
	out = summary_of(&s);
	assert_non_null(strstr(out, ",\"owners\":\"kernel\",\"owners_lost\":37}\n"));
	free(out);
	s.totals.owners_lost = 0;
	out = summary_of(&s);
	assert_non_null(strstr(out, ",\"owners\":\"kernel\",\"owners_lost\":0}\n"));
	free(out);
	s.totals.owners = OUT_OWNERS_PROC;
	out = summary_of(&s);
	assert_non_null(strstr(out, ",\"owners\":\"proc\",\"owners_lost\":null}\n"));
	free(out);
	s.totals.owners = OUT_OWNERS_NONE;

	/* Live with no drops: zeros, not null. */
	s.totals.kernel_drops = s.totals.if_drops = 0;
	out = summary_of(&s);
	assert_non_null(strstr(out, ",\"kernel_drops\":0,\"if_drops\":0,"));
	free(out);

	/* A file without packets: no times, no duration. */
	s = mksum(REPORT_ONCE, 0, 0, &file_totals);
	s.start_us = s.end_us = TIME_NONE;
	out = summary_of(&s);
	assert_non_null(strstr(out, ",\"start\":null,\"end\":null,\"duration\":0.000000,"));
	free(out);
	/* The end is null whenever the start is not known. */
	s.end_us = END;
	out = summary_of(&s);
	assert_non_null(strstr(out, ",\"start\":null,\"end\":null,\"duration\":0.000000,"));
	free(out);

	/* Largest counters in full. */
	s.totals.packets = s.totals.ip_bytes = UINT64_MAX;
	out = summary_of(&s);
	assert_non_null(strstr(out, "\"packets\":18446744073709551615,"
				    "\"ip_bytes\":18446744073709551615,"));
	free(out);
}

/* JSON lines have no header line: first or not, header or not, the same text. */
static void test_no_header_line(void **state)
{
	static const struct column *const cols[] = { &c_pid, &c_user };
	struct summary s = mksum(REPORT_INTERVAL, 2, 1000000, &file_totals);
	struct table t;
	char *ref = NULL;

	(void)state;
	table_init(&t);
	assert_true(table_add_col(&t, cols[0]));
	assert_true(table_add_col(&t, cols[1]));
	table_add_row(&t, false)[0] = (struct cell){ CELL_UINT, { .u = 7 } };
	for (int k = 0; k < 4; k++) {
		struct out_opts o = { OUT_JSON, k & 1, false, k & 2 };
		struct memout m;

		memout_open(&m);
		assert_int_equal(output_table(m.f, &o, &t, &s), 0);
		memout_close(&m);
		if (!ref) {
			ref = m.buf;
			assert_int_equal(strncmp(ref, "{\"pid\":7,\"user\":null}\n{\"type\":", 30), 0);
		} else {
			assert_string_equal(m.buf, ref);
			free(m.buf);
		}
	}
	free(ref);
	table_free(&t);
}

static void test_write_error(void **state)
{
	struct summary s = mksum(REPORT_ONCE, 0, 0, &file_totals);
	struct out_opts o = { OUT_JSON, true, false, true };
	struct table t;
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	table_init(&t);
	errno = 0;
	assert_int_equal(output_table(f, &o, &t, &s), -1);
	assert_int_equal(errno, ENOSPC);
	fclose(f);
	table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_string_reversible),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_rows_edge),
		cmocka_unit_test(test_summary_kinds),
		cmocka_unit_test(test_summary_live_and_unknown_times),
		cmocka_unit_test(test_no_header_line),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
