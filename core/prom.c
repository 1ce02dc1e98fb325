/* prom.c - the reports as Prometheus metrics; see prom.h. */
#include "prom.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attribute.h"
#include "group.h"
#include "hmap.h"
#include "utf8.h"

/* One label set and its sums. */
struct series {
	char *labels;		/* what goes between the braces: command="curl",user="root" */
	uint64_t sent_bytes, recv_bytes;
	uint64_t sent_packets, recv_packets;
	uint64_t flows;		/* in the report numbered gen */
	unsigned gen;
};

struct prom {
	const struct report_opts *o;
	enum group_key keys[GROUP_NKEYS];	/* the labels, in the order written */
	size_t nkeys;
	struct series **s;	/* sorted by labels (strcmp): a file in a stable order */
	size_t n, cap;
	unsigned gen;		/* reports added so far */
	struct totals totals;	/* the capture's own counters, summed */
	int64_t start_us, end_us;	/* the first report's start, the last one's end */
};

struct prom *prom_new(const struct report_opts *o)
{
	struct prom *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->o = o;
	p->keys[p->nkeys++] = GROUP_COMMAND;
	p->keys[p->nkeys++] = GROUP_USER;
	for (size_t i = 0; i < o->ngroup; i++) {
		if (o->group[i] != GROUP_COMMAND && o->group[i] != GROUP_USER)
			p->keys[p->nkeys++] = o->group[i];
	}
	p->start_us = TIME_NONE;
	p->end_us = TIME_NONE;
	return p;
}

void prom_free(struct prom *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->s[i]->labels);
		free(p->s[i]);
	}
	free(p->s);
	free(p);
}

/* ---- label values -------------------------------------------------- */

/* A control character: C0, DEL, or C1 (U+0080-U+009F). */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

int prom_write_label_value(FILE *f, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;

	while (*s) {
		uint32_t cp;
		size_t n = utf8_decode(s, &cp);

		if (n == 0 || is_control(cp)) {
			/* \xNN for each byte; its backslash doubled for the exposition. */
			size_t k = n ? n : 1;
			for (size_t i = 0; i < k; i++) {
				if (fprintf(f, "\\\\x%02x", s[i]) < 0)
					return -1;
			}
			s += k;
			continue;
		}
		if (*s == '\\') {
			/* The value's \\, each backslash doubled again for the exposition. */
			if (fputs("\\\\\\\\", f) == EOF)
				return -1;
		} else if (*s == '"') {
			if (fputs("\\\"", f) == EOF)
				return -1;
		} else if (fwrite(s, 1, n, f) != n) {
			return -1;
		}
		s += n;
	}
	return 0;
}

/* The label list of one row: name="value",... in a buffer to free(); NULL on error. */
static char *label_list(const struct prom *p, const char *const *values)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc = 0;

	if (!f)
		return NULL;
	for (size_t i = 0; i < p->nkeys && rc == 0; i++) {
		if (fprintf(f, "%s%s=\"", i ? "," : "", group_key_name(p->keys[i])) < 0 ||
		    prom_write_label_value(f, values[i]) != 0 || fputc('"', f) == EOF)
			rc = -1;
	}
	if (fclose(f) != 0)
		rc = -1;
	if (rc != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- the store ----------------------------------------------------- */

/* The series of labels (taken: kept or freed); NULL on out of memory. */
static struct series *series_get(struct prom *p, char *labels)
{
	size_t lo = 0, hi = p->n;
	struct series *s;
	void *arr = p->s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(labels, p->s[mid]->labels);

		if (c == 0) {
			free(labels);
			return p->s[mid];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !array_reserve(&arr, &p->cap, p->n + 1, sizeof(*p->s))) {
		free(s);
		free(labels);
		return NULL;
	}
	p->s = arr;
	memmove(p->s + lo + 1, p->s + lo, (p->n - lo) * sizeof(*p->s));
	s->labels = labels;
	p->s[lo] = s;
	p->n++;
	return s;
}

/* Add one row's counters to the series of values; 0, or -1 on out of memory. */
static int count(struct prom *p, const char *const *values, uint64_t sb, uint64_t rb,
		 uint64_t sp, uint64_t rp, uint64_t flows)
{
	char *labels = label_list(p, values);
	struct series *s = labels ? series_get(p, labels) : NULL;

	if (!s) {
		errno = ENOMEM;
		return -1;
	}
	/* flows is a gauge of the last report: this report's rows replace the old value. */
	if (s->gen != p->gen) {
		s->gen = p->gen;
		s->flows = 0;
	}
	s->sent_bytes += sb;
	s->recv_bytes += rb;
	s->sent_packets += sp;
	s->recv_packets += rp;
	s->flows += flows;
	return 0;
}

static int add_rows(struct prom *p, const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const char *values[GROUP_NKEYS];
		char num[GROUP_NKEYS][32];

		if (!report_keep(p->o, r->proc, r->user, r->command))
			continue;
		for (size_t k = 0; k < p->nkeys; k++) {
			/* Unknown traffic: unknown:REASON in every label, as in a group report. */
			const char *v = r->command;

			if (r->reason == REASON_NONE)
				v = group_key_value(r, p->keys[k], num[k], sizeof(num[k]));
			values[k] = v ? v : "";
		}
		if (count(p, values, r->sent_bytes, r->recv_bytes, r->sent_packets,
			  r->recv_packets, r->flows) != 0)
			return -1;
	}
	return 0;
}

/* --connections: the rows of every flow's ends add up to the process rows. */
static int add_conns(struct prom *p, const struct conn *conns, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct conn *c = &conns[i];
		const char *values[2];
		char user[64] = "";

		if (c->owner) {
			proc_user_name(c->owner, user, sizeof(user));
			values[0] = c->owner->comm;
			values[1] = user;
		} else {
			values[0] = values[1] = reason_name(c->reason);
		}
		if (!report_keep(p->o, c->owner, user, values[0]))
			continue;
		if (count(p, values, c->sent_bytes, c->recv_bytes, c->sent_packets,
			  c->recv_packets, 0) != 0)
			return -1;
	}
	return 0;
}

static void add_totals(struct totals *sum, const struct totals *t)
{
	sum->packets += t->packets;
	sum->ip_bytes += t->ip_bytes;
	sum->not_ip += t->not_ip;
	sum->malformed += t->malformed;
	sum->duplicates += t->duplicates;
	sum->kernel_drops += t->kernel_drops;
	sum->if_drops += t->if_drops;
	sum->live = sum->live || t->live;
}

int prom_add(struct prom *p, const struct report_data *d)
{
	const struct summary *sum = &d->sum;

	/* These count again what the intervals have counted. */
	if (sum->kind != REPORT_ONCE && sum->kind != REPORT_INTERVAL)
		return 0;
	p->gen++;
	add_totals(&p->totals, &sum->totals);
	if (p->start_us == TIME_NONE)
		p->start_us = sum->start_us;
	if (sum->end_us != TIME_NONE)
		p->end_us = sum->end_us;
	if (add_rows(p, d->rows, d->nrows) != 0 || add_conns(p, d->conns, d->nconns) != 0)
		return -1;
	return 1;
}

/* ---- the exposition ------------------------------------------------ */

struct family {
	const char *name;
	const char *help;
	size_t off;		/* of the counter in struct series */
};

static const struct family counters[] = {
	{ "proctraf_sent_bytes_total",
	  "IP bytes (headers and payload) sent by the processes of these labels since proctraf "
	  "started.", offsetof(struct series, sent_bytes) },
	{ "proctraf_received_bytes_total",
	  "IP bytes (headers and payload) received by the processes of these labels since "
	  "proctraf started.", offsetof(struct series, recv_bytes) },
	{ "proctraf_sent_packets_total",
	  "IP packets sent by the processes of these labels since proctraf started.",
	  offsetof(struct series, sent_packets) },
	{ "proctraf_received_packets_total",
	  "IP packets received by the processes of these labels since proctraf started.",
	  offsetof(struct series, recv_packets) },
};

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(FILE *f, const char *name, const char *help, uint64_t v)
{
	head(f, name, "counter", help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

/* Seconds since the epoch with the microseconds, exactly. */
static void timestamp(FILE *f, const char *name, const char *help, int64_t us)
{
	uint64_t a = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;

	if (us == TIME_NONE)
		return;
	head(f, name, "gauge", help);
	fprintf(f, "%s %s%" PRIu64 ".%06" PRIu64 "\n", name, us < 0 ? "-" : "", a / 1000000,
		a % 1000000);
}

static void write_series(const struct prom *p, FILE *f)
{
	for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]) && p->n; c++) {
		head(f, counters[c].name, "counter", counters[c].help);
		for (size_t i = 0; i < p->n; i++) {
			const char *base = (const char *)p->s[i];
			const uint64_t *v = (const uint64_t *)(base + counters[c].off);

			fprintf(f, "%s{%s} %" PRIu64 "\n", counters[c].name, p->s[i]->labels, *v);
		}
	}
	/* Connection rows are flow ends, not flows: no gauge of them. */
	if (p->o->connections || !p->n)
		return;
	head(f, "proctraf_flows", "gauge",
	     "Flows the processes of these labels had traffic on in the last report's window.");
	for (size_t i = 0; i < p->n; i++)
		fprintf(f, "proctraf_flows{%s} %" PRIu64 "\n", p->s[i]->labels,
			p->s[i]->gen == p->gen ? p->s[i]->flows : 0);
}

static void write_capture(const struct prom *p, FILE *f)
{
	const struct totals *t = &p->totals;

	one(f, "proctraf_capture_packets_total",
	    "Packets the capture delivered (those the filter kept), IP or not.", t->packets);
	one(f, "proctraf_capture_ip_bytes_total",
	    "IP bytes of the well-formed IP packets captured.", t->ip_bytes);
	one(f, "proctraf_capture_not_ip_packets_total", "Packets captured that are not IP.",
	    t->not_ip);
	one(f, "proctraf_capture_malformed_packets_total",
	    "IP packets captured that could not be decoded.", t->malformed);
	one(f, "proctraf_capture_duplicate_packets_total",
	    "Copies of a packet seen on another interface first, not counted again.",
	    t->duplicates);
	/* A file has no drops to tell: the series are left out, as JSON's are null. */
	if (t->live) {
		head(f, "proctraf_capture_dropped_packets_total", "counter",
		     "Packets the capture lost: by the kernel (no room in its buffer), or by the "
		     "interface or its driver.");
		fprintf(f, "proctraf_capture_dropped_packets_total{by=\"kernel\"} %" PRIu64 "\n",
			t->kernel_drops);
		fprintf(f, "proctraf_capture_dropped_packets_total{by=\"interface\"} %" PRIu64 "\n",
			t->if_drops);
	}
	timestamp(f, "proctraf_start_timestamp_seconds",
		  "Start of the first report's window, in seconds since the epoch (from a file: "
		  "its first packet's time).", p->start_us);
	timestamp(f, "proctraf_last_report_timestamp_seconds",
		  "End of the last report's window, in seconds since the epoch (from a file: its "
		  "packets' time). A file where it stops moving is stale.", p->end_us);
}

int prom_render(const struct prom *p, char **buf, size_t *len)
{
	FILE *f;

	*buf = NULL;
	*len = 0;
	f = open_memstream(buf, len);
	if (!f)
		return -1;
	write_series(p, f);
	write_capture(p, f);
	if (ferror(f)) {
		fclose(f);
		free(*buf);
		*buf = NULL;
		errno = ENOMEM;
		return -1;
	}
	if (fclose(f) != 0) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
}
