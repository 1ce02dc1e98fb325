/* output.c - text, CSV and TSV writers of a report table; see output.h. */
#include "output.h"

#include <csv.h>
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "json.h"
#include "utf8.h"

#define FIELD_MAX 16448	/* 4 x a 4096-byte cmdline, escaped */
#define NUM_MAX 48	/* a number, a time or a rate as text */

const char *output_time(int64_t us, char *buf, size_t len)
{
	int64_t sec = us / 1000000, frac = us % 1000000;
	time_t t;
	struct tm tm;

	if (frac < 0) {	/* before 1970: floor, not truncation */
		frac += 1000000;
		sec--;
	}
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "?");
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
	return buf;
}

const char *output_seconds(int64_t us, char *buf, size_t len)
{
	if (us < 0)
		us = 0;
	snprintf(buf, len, "%" PRId64 ".%06" PRId64, us / 1000000, us % 1000000);
	return buf;
}

const char *output_human(double v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (v >= 1023.5 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%.0f", v);
	else if (v < 9.95)
		snprintf(buf, len, "%.1f%c", v, units[u]);
	else
		snprintf(buf, len, "%.0f%c", v, units[u]);
	return buf;
}

/*
 * Append src[0..n) to buf at *at if it fits (leaving room for the NUL);
 * false once it does not, and the caller stops: a cut field is a prefix.
 */
static bool put(char *buf, size_t len, size_t *at, const char *src, size_t n)
{
	if (*at + n >= len)
		return false;
	memcpy(buf + *at, src, n);
	*at += n;
	return true;
}

/* Each byte of s[0..n) as \xNN. */
static bool put_hex(char *buf, size_t len, size_t *at, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char esc[5];
		snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
		if (!put(buf, len, at, esc, 4))
			return false;
	}
	return true;
}

/*
 * The escaping of text and TSV: a character is written as it is when it
 * is valid UTF-8 that a terminal only prints (utf8_printable); every
 * other byte as \xNN, backslash as \\. tsv: tab, newline and carriage
 * return as \t \n \r.
 */
static size_t escape(const char *in, char *buf, size_t len, size_t *width, bool tsv)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t at = 0, w = 0;

	while (*s) {
		uint32_t cp;
		size_t n = utf8_decode(s, &cp);
		const char *rep = NULL;
		int cw;

		if (*s == '\\')
			rep = "\\\\";
		else if (tsv && *s == '\t')
			rep = "\\t";
		else if (tsv && *s == '\n')
			rep = "\\n";
		else if (tsv && *s == '\r')
			rep = "\\r";
		if (rep) {
			if (!put(buf, len, &at, rep, 2))
				break;
			w += 2;
			s++;
			continue;
		}
		cw = n ? utf8_width(cp) : -1;
		if (cw < 0) {
			if (!put_hex(buf, len, &at, s, n ? n : 1))
				break;
			w += 4 * (n ? n : 1);
			s += n ? n : 1;
			continue;
		}
		if (!put(buf, len, &at, (const char *)s, n))
			break;
		w += (size_t)cw;
		s += n;
	}
	buf[at] = '\0';
	if (width)
		*width = w;
	return at;
}

/* escape, in a UTF-8 locale for wcwidth when the thread is not in one. */
static size_t escape_utf8(const char *in, char *buf, size_t len, size_t *width, bool tsv)
{
	locale_t loc = MB_CUR_MAX == 1 ? newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)
				       : (locale_t)0;
	locale_t old = loc ? uselocale(loc) : (locale_t)0;
	size_t n = escape(in, buf, len, width, tsv);

	if (loc) {
		uselocale(old);
		freelocale(loc);
	}
	return n;
}

size_t output_escape_text(const char *in, char *buf, size_t len, size_t *width)
{
	return escape_utf8(in, buf, len, width, false);
}

size_t output_escape_tsv(const char *in, char *buf, size_t len)
{
	return escape_utf8(in, buf, len, NULL, true);
}

/* A cell as text (numbers, times); NULL for CELL_TEXT and CELL_NONE. */
static const char *cell_str(const struct cell *c, bool human, bool text, char *buf, size_t len)
{
	switch (c->kind) {
	case CELL_UINT:
		snprintf(buf, len, "%" PRIu64, c->v.u);
		return buf;
	case CELL_BYTES:
		if (human)
			return output_human((double)c->v.u, buf, len);
		snprintf(buf, len, "%" PRIu64, c->v.u);
		return buf;
	case CELL_TIME:
		return output_time(c->v.t, buf, len);
	case CELL_SECONDS:
		return output_seconds(c->v.t, buf, len);
	case CELL_RATE:
		if (human)
			return output_human(c->v.d, buf, len);
		snprintf(buf, len, text ? "%.0f" : "%.3f", c->v.d);
		return buf;
	default:
		return NULL;
	}
}

/* A cell as the text table shows it, escaped, and its width. */
static const char *text_cell(const struct cell *c, bool human, char *esc, size_t *w)
{
	char num[NUM_MAX];
	const char *s = cell_str(c, human, true, num, sizeof(num));

	if (c->kind == CELL_NONE)
		s = "-";
	else if (!s)
		s = c->v.s;
	output_escape_text(s, esc, FIELD_MAX, w);
	return esc;
}

static void footer(FILE *out, const struct summary *s)
{
	const struct totals *t = &s->totals;
	char from[OUT_TIME_LEN], to[OUT_TIME_LEN], dur[32];
	bool known = s->start_us != TIME_NONE;

	if (s->kind == REPORT_INTERVAL)
		fprintf(out, "interval %u: ", s->index);
	else if (s->kind == REPORT_TOTAL)
		fputs("total: ", out);
	else if (s->kind == REPORT_PARTIAL)
		fputs("so far: ", out);
	fprintf(out, "from %s to %s (%s s)\n",
		known ? output_time(s->start_us, from, sizeof(from)) : "-",
		known ? output_time(s->end_us, to, sizeof(to)) : "-",
		output_seconds(known ? s->end_us - s->start_us : 0, dur, sizeof(dur)));
	fprintf(out, "captured %" PRIu64 " packets, %" PRIu64 " IP bytes; %" PRIu64
		" not IP, %" PRIu64 " malformed",
		t->packets, t->ip_bytes, t->not_ip, t->malformed);
	if (t->duplicates)
		fprintf(out, ", %" PRIu64 " copies of packets seen on another interface",
			t->duplicates);
	if (t->live)
		fprintf(out, "; dropped: %" PRIu64 " by kernel, %" PRIu64 " by interface",
			t->kernel_drops, t->if_drops);
	if (t->owners != OUT_OWNERS_NONE)
		fprintf(out, "; owners from %s", t->owners == OUT_OWNERS_KERNEL ? "the kernel" : "/proc");
	fputc('\n', out);
	if (s->injected_packets)
		fprintf(out, "injected through packet sockets: %" PRIu64 " IP bytes in %" PRIu64
			" packets, counted in the rows of the processes holding them\n",
			s->injected_bytes, s->injected_packets);
}

static int write_text(FILE *out, const struct out_opts *o, const struct table *t,
		      const struct summary *s)
{
	size_t width[TABLE_MAX_COLS], last = t->ncols - 1;
	char *esc = malloc(FIELD_MAX);

	if (!esc)
		return -1;
	for (size_t c = 0; c < t->ncols; c++) {
		width[c] = 0;
		if (o->header)
			output_escape_text(t->cols[c]->title, esc, FIELD_MAX, &width[c]);
	}
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t c = 0; c < t->ncols; c++) {
			size_t w;
			text_cell(&table_row(t, i)[c], o->human, esc, &w);
			if (w > width[c])
				width[c] = w;
		}
	}
	if (!o->first && o->header)
		fputc('\n', out);	/* blocks of a run apart */
	for (size_t i = 0; i < t->nrows + o->header; i++) {
		bool is_header = o->header && i == 0;
		for (size_t c = 0; c < t->ncols; c++) {
			size_t w;
			if (is_header)
				output_escape_text(t->cols[c]->title, esc, FIELD_MAX, &w);
			else
				text_cell(&table_row(t, i - o->header)[c], o->human, esc, &w);
			if (c == last && w == 0)
				break;	/* an empty last column: no trailing spaces */
			if (c > 0)
				fputs("  ", out);
			if (t->cols[c]->numeric)
				fprintf(out, "%*s%s", (int)(width[c] - w), "", esc);
			else if (c == last)
				fputs(esc, out);
			else
				fprintf(out, "%s%*s", esc, (int)(width[c] - w), "");
		}
		fputc('\n', out);
	}
	free(esc);
	if (o->header) {
		fputc('\n', out);
		footer(out, s);
	}
	return 0;
}

static bool quoted(const struct cell *c)
{
	return c->kind == CELL_TEXT || c->kind == CELL_TIME;
}

static int write_sv(FILE *out, const struct out_opts *o, const struct table *t, bool tsv)
{
	const char *sep = tsv ? "\t" : ",";
	char num[NUM_MAX];
	char *esc = tsv ? malloc(FIELD_MAX) : NULL;

	if (tsv && !esc)
		return -1;
	if (o->header && o->first) {
		for (size_t c = 0; c < t->ncols; c++)
			fprintf(out, "%s%s", c ? sep : "", t->cols[c]->name);
		fputc('\n', out);
	}
	for (size_t i = 0; i < t->nrows; i++) {
		const struct cell *row = table_row(t, i);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *v = cell_str(&row[c], false, false, num, sizeof(num));
			if (c)
				fputs(sep, out);
			/* No value: empty; in CSV a text column's empty field is still quoted. */
			if (row[c].kind == CELL_NONE) {
				if (!tsv && !t->cols[c]->numeric)
					fputs("\"\"", out);
				continue;
			}
			if (!v)
				v = row[c].v.s;
			if (tsv) {
				output_escape_tsv(v, esc, FIELD_MAX);
				fputs(esc, out);
			} else if (quoted(&row[c])) {
				csv_fwrite(out, v, strlen(v));
			} else {
				fputs(v, out);
			}
		}
		fputc('\n', out);
	}
	free(esc);
	return 0;
}

int output_table(FILE *f, const struct out_opts *o, const struct table *t, struct summary *s)
{
	/* wcwidth needs a UTF-8 character type: this thread's, for the while. */
	locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t old = loc ? uselocale(loc) : (locale_t)0;
	int rc;

	s->rows = t->nrows;
	switch (o->fmt) {
	case OUT_CSV:
		rc = write_sv(f, o, t, false);
		break;
	case OUT_TSV:
		rc = write_sv(f, o, t, true);
		break;
	case OUT_JSON:
		rc = json_write_table(f, t, s);
		break;
	default:
		rc = write_text(f, o, t, s);
	}
	if (loc) {
		uselocale(old);
		freelocale(loc);
	}
	if (rc != 0 || ferror(f)) {
		if (errno == 0)
			errno = rc ? ENOMEM : EIO;
		return -1;
	}
	return 0;
}
