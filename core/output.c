/* output.c - text, CSV and TSV writers; see output.h. */
#include "output.h"

#include <csv.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define NCOLS 10
#define FIELD_MAX 16448	/* 4 x a 4096-byte cmdline, escaped */

static const char *const csv_names[NCOLS] = {
	"pid", "user", "command", "sent_bytes", "recv_bytes",
	"sent_packets", "recv_packets", "flows", "netns", "cmdline",
};
static const char *const text_names[NCOLS] = {
	"PID", "USER", "COMMAND", "SENT_BYTES", "RECV_BYTES",
	"SENT_PACKETS", "RECV_PACKETS", "FLOWS", "NETNS", "CMDLINE",
};
/* Numeric columns are right-aligned in the text table. */
static const bool numeric[NCOLS] = {
	true, false, false, true, true, true, true, true, true, false
};

/* Length of a valid UTF-8 sequence at s (RFC 3629), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
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

size_t output_escape_text(const char *in, char *buf, size_t len, size_t *width)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t at = 0, w = 0;

	while (*s) {
		size_t n = utf8_seq(s);
		char esc[8];
		if (n == 1 && *s >= 0x20 && *s != 0x7f && *s != '\\') {
			if (!put(buf, len, &at, (const char *)s, 1))
				break;
			w++;
		} else if (n > 1) {
			if (!put(buf, len, &at, (const char *)s, n))
				break;
			w++;
		} else {
			n = 1;
			if (*s == '\\')
				snprintf(esc, sizeof(esc), "\\\\");
			else
				snprintf(esc, sizeof(esc), "\\x%02x", *s);
			if (!put(buf, len, &at, esc, strlen(esc)))
				break;
			w += strlen(esc);
		}
		s += n;
	}
	buf[at] = '\0';
	if (width)
		*width = w;
	return at;
}

size_t output_escape_tsv(const char *in, char *buf, size_t len)
{
	size_t at = 0;

	for (const char *s = in; *s; s++) {
		const char *rep = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" :
				  *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : NULL;
		if (!put(buf, len, &at, rep ? rep : s, rep ? 2 : 1))
			break;
	}
	buf[at] = '\0';
	return at;
}

/* The fields of a row as strings (text mode marks unknown rows "-"). */
static void row_fields(const struct row *r, enum out_format fmt, char num[NCOLS][24],
		       const char *f[NCOLS])
{
	bool unknown = r->reason != REASON_NONE;
	const char *none = fmt == OUT_TEXT ? "-" : "";
	uint64_t v[] = { r->sent_bytes, r->recv_bytes, r->sent_packets, r->recv_packets,
			 r->flows };

	snprintf(num[0], 24, "%d", r->pid);
	f[0] = unknown ? none : num[0];
	f[1] = unknown ? none : r->user;
	f[2] = r->command;
	for (int i = 0; i < 5; i++) {
		snprintf(num[3 + i], 24, "%" PRIu64, v[i]);
		f[3 + i] = num[3 + i];
	}
	snprintf(num[8], 24, "%" PRIu64, r->netns);
	f[8] = unknown || r->netns == 0 ? none : num[8];
	f[9] = r->cmdline;
}

static void write_text(FILE *out, bool header, const struct row *rows, size_t nrows,
		       const struct totals *t)
{
	size_t width[NCOLS];
	char num[NCOLS][24], esc[FIELD_MAX];
	const char *f[NCOLS];

	for (int c = 0; c < NCOLS; c++)
		width[c] = header ? strlen(text_names[c]) : 0;
	for (size_t i = 0; i < nrows; i++) {
		row_fields(&rows[i], OUT_TEXT, num, f);
		for (int c = 0; c < NCOLS; c++) {
			size_t w;
			output_escape_text(f[c], esc, sizeof(esc), &w);
			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t i = 0; i < nrows + header; i++) {
		bool is_header = header && i == 0;
		if (!is_header)
			row_fields(&rows[i - header], OUT_TEXT, num, f);
		for (int c = 0; c < NCOLS; c++) {
			size_t w;
			output_escape_text(is_header ? text_names[c] : f[c], esc, sizeof(esc), &w);
			size_t pad = width[c] - w;
			if (c == NCOLS - 1 && w == 0)
				break;	/* an empty last column: no trailing spaces */
			if (c > 0)
				fputs("  ", out);
			if (numeric[c])
				fprintf(out, "%*s%s", (int)pad, "", esc);
			else if (c == NCOLS - 1)
				fputs(esc, out);
			else
				fprintf(out, "%s%*s", esc, (int)pad, "");
		}
		fputc('\n', out);
	}
	if (!header)
		return;
	fprintf(out, "\ncaptured %" PRIu64 " packets, %" PRIu64 " IP bytes; %" PRIu64
		" not IP, %" PRIu64 " malformed",
		t->packets, t->ip_bytes, t->not_ip, t->malformed);
	if (t->duplicates)
		fprintf(out, ", %" PRIu64 " copies of packets seen on another interface",
			t->duplicates);
	if (t->live)
		fprintf(out, "; dropped: %" PRIu64 " by kernel, %" PRIu64 " by interface",
			t->kernel_drops, t->if_drops);
	fputc('\n', out);
}

static void write_csv(FILE *out, bool header, const struct row *rows, size_t nrows)
{
	char num[NCOLS][24];
	const char *f[NCOLS];

	if (header) {
		for (int c = 0; c < NCOLS; c++)
			fprintf(out, "%s%s", c ? "," : "", csv_names[c]);
		fputc('\n', out);
	}
	for (size_t i = 0; i < nrows; i++) {
		row_fields(&rows[i], OUT_CSV, num, f);
		for (int c = 0; c < NCOLS; c++) {
			if (c)
				fputc(',', out);
			if (numeric[c])
				fputs(f[c], out);
			else
				csv_fwrite(out, f[c], strlen(f[c]));
		}
		fputc('\n', out);
	}
}

static void write_tsv(FILE *out, bool header, const struct row *rows, size_t nrows)
{
	char num[NCOLS][24], esc[FIELD_MAX];
	const char *f[NCOLS];

	if (header) {
		for (int c = 0; c < NCOLS; c++)
			fprintf(out, "%s%s", c ? "\t" : "", csv_names[c]);
		fputc('\n', out);
	}
	for (size_t i = 0; i < nrows; i++) {
		row_fields(&rows[i], OUT_TSV, num, f);
		for (int c = 0; c < NCOLS; c++) {
			output_escape_tsv(f[c], esc, sizeof(esc));
			fprintf(out, "%s%s", c ? "\t" : "", esc);
		}
		fputc('\n', out);
	}
}

int output_report(FILE *f, enum out_format fmt, bool header, const struct row *rows,
		  size_t nrows, const struct totals *t)
{
	switch (fmt) {
	case OUT_CSV:
		write_csv(f, header, rows, nrows);
		break;
	case OUT_TSV:
		write_tsv(f, header, rows, nrows);
		break;
	default:
		write_text(f, header, rows, nrows, t);
	}
	if (ferror(f)) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}
