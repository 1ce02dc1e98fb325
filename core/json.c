/* json.c - JSON lines writer; see json.h. */
#include "json.h"

#include <inttypes.h>

#include "utf8.h"

void json_string(FILE *f, const char *in)
{
	const unsigned char *s = (const unsigned char *)in;

	fputc('"', f);
	while (*s) {
		uint32_t cp;
		size_t n = utf8_decode(s, &cp);

		if (n == 0) {
			fprintf(f, "\\u%04x", 0xdc00u + *s);	/* a stray byte, >= 0x80 */
			s++;
			continue;
		}
		switch (cp) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 ||
			    cp == 0x2029)
				fprintf(f, "\\u%04x", (unsigned)cp);
			else
				fwrite(s, 1, n, f);
		}
		s += n;
	}
	fputc('"', f);
}

static void json_cell(FILE *f, const struct cell *c)
{
	char buf[OUT_TIME_LEN];

	switch (c->kind) {
	case CELL_UINT:
	case CELL_BYTES:
		fprintf(f, "%" PRIu64, c->v.u);
		break;
	case CELL_TEXT:
		json_string(f, c->v.s);
		break;
	case CELL_TIME:
		json_string(f, output_time(c->v.t, buf, sizeof(buf)));
		break;
	case CELL_SECONDS:
		fputs(output_seconds(c->v.t, buf, sizeof(buf)), f);
		break;
	case CELL_RATE:
		fprintf(f, "%.3f", c->v.d);
		break;
	default:
		fputs("null", f);
	}
}

static const char *const kind_names[] = { "once", "interval", "total", "partial" };

static void json_time(FILE *f, const char *key, int64_t us)
{
	char buf[OUT_TIME_LEN];

	fprintf(f, ",\"%s\":", key);
	if (us == TIME_NONE)
		fputs("null", f);
	else
		json_string(f, output_time(us, buf, sizeof(buf)));
}

static void json_summary(FILE *f, const struct summary *s)
{
	const struct totals *t = &s->totals;
	bool known = s->start_us != TIME_NONE;
	char buf[32];

	fprintf(f, "{\"type\":\"summary\",\"report\":\"%s\",\"interval\":", kind_names[s->kind]);
	if (s->kind == REPORT_INTERVAL)
		fprintf(f, "%u", s->index);
	else
		fputs("null", f);
	fputs(",\"interval_seconds\":", f);
	fputs(s->interval_us > 0 ? output_seconds(s->interval_us, buf, sizeof(buf)) : "null", f);
	json_time(f, "start", s->start_us);
	json_time(f, "end", known ? s->end_us : TIME_NONE);
	fprintf(f, ",\"duration\":%s", output_seconds(known ? s->end_us - s->start_us : 0, buf,
						     sizeof(buf)));
	fprintf(f, ",\"rows\":%zu,\"packets\":%" PRIu64 ",\"ip_bytes\":%" PRIu64
		",\"not_ip\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"duplicates\":%" PRIu64,
		s->rows, t->packets, t->ip_bytes, t->not_ip, t->malformed, t->duplicates);
	if (t->live)
		fprintf(f, ",\"kernel_drops\":%" PRIu64 ",\"if_drops\":%" PRIu64,
			t->kernel_drops, t->if_drops);
	else
		fputs(",\"kernel_drops\":null,\"if_drops\":null", f);
	if (t->live || t->injected_known)
		fprintf(f, ",\"injected_bytes\":%" PRIu64 ",\"injected_packets\":%" PRIu64,
			s->injected_bytes, s->injected_packets);
	/*
	 * Which owner source ran: "kernel" or "proc" (live); null for a file.
	 * Live, then the kernel's reports lost (null with /proc's owners).
	 */
	if (t->owners == OUT_OWNERS_NONE)
		fputs(",\"owners\":null}\n", f);
	else if (t->owners == OUT_OWNERS_KERNEL)
		fprintf(f, ",\"owners\":\"kernel\",\"owners_lost\":%" PRIu64 "}\n",
			t->owners_lost);
	else
		fputs(",\"owners\":\"proc\",\"owners_lost\":null}\n", f);
}

int json_write_table(FILE *f, const struct table *t, const struct summary *s)
{
	for (size_t i = 0; i < t->nrows; i++) {
		const struct cell *row = table_row(t, i);
		for (size_t c = 0; c < t->ncols; c++) {
			fputs(c ? "," : "{", f);
			json_string(f, t->cols[c]->name);
			fputc(':', f);
			json_cell(f, &row[c]);
		}
		fputs(t->ncols ? "}\n" : "{}\n", f);
	}
	json_summary(f, s);
	return 0;
}
