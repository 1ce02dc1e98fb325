/*
 * output.h - a report table written as an aligned text table, CSV
 * (libcsv), TSV or JSON lines (json.h), with its summary.
 *
 * Process names and command lines are attacker-controlled text: the text
 * table and TSV escape control bytes, code points a terminal would act on
 * and invalid UTF-8 as \xNN, and backslash as \\ (TSV also writes tab,
 * newline and carriage return as \t \n \r); CSV quotes every text field
 * and keeps its bytes (a CSV parser reads back the same bytes); JSON
 * escapes per RFC 8259 and writes each byte of invalid UTF-8 as a lone
 * surrogate \udc80-\udcff (reversible; see proctraf.1).
 */
#ifndef PROCTRAF_OUTPUT_H
#define PROCTRAF_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "table.h"

enum out_format {
	OUT_TEXT,
	OUT_CSV,
	OUT_TSV,
	OUT_JSON,
};

struct totals {
	uint64_t packets;	/* every packet the capture delivered */
	uint64_t ip_bytes;	/* IP length of the well-formed IP packets */
	uint64_t not_ip;
	uint64_t malformed;
	uint64_t duplicates;	/* copies seen on a second interface, not counted */
	bool live;		/* drops are meaningful */
	uint64_t kernel_drops;
	uint64_t if_drops;
	uint8_t owners;		/* live: which owner source ran (OUT_OWNERS_*) */
	uint64_t owners_lost;	/* OUT_OWNERS_KERNEL: reports its ring buffer had no room for */
	/* A file -w wrote that records its injected flows: JSON has the counts, as live. */
	bool injected_known;
};

/* totals.owners */
#define OUT_OWNERS_NONE 0	/* reading a file: the text says nothing */
#define OUT_OWNERS_PROC 1	/* /proc and sock_diag */
#define OUT_OWNERS_KERNEL 2	/* the kernel's reports first (kowners.h), /proc after */

/* Which report of a run a block is. */
enum report_kind {
	REPORT_ONCE,		/* the one report of a run without --interval */
	REPORT_INTERVAL,	/* one interval's deltas */
	REPORT_TOTAL,		/* --total: the whole run, after its intervals */
	REPORT_PARTIAL,		/* SIGUSR1: the run so far */
};

#define TIME_NONE INT64_MIN	/* a time not known (a file with no packets) */

struct summary {
	enum report_kind kind;
	unsigned index;			/* REPORT_INTERVAL: 1, 2, ... */
	int64_t interval_us;		/* the --interval length; 0: none */
	int64_t start_us, end_us;	/* since the epoch; TIME_NONE: not known */
	struct totals totals;
	/* Counted for injectors (attribute.h): frames of packet sockets. */
	uint64_t injected_bytes, injected_packets;
	size_t rows;			/* rows written (set by the writer) */
};

struct out_opts {
	enum out_format fmt;
	bool header;		/* text: header and footer; CSV/TSV: the header line */
	bool human;		/* text: bytes and rates in K, M, G... */
	bool first;		/* the first block of the run (CSV/TSV: header once) */
};

/*
 * Write the table and its summary (the text footer, the JSON summary
 * object). Returns 0, or -1 when writing to f failed (errno set).
 */
int output_table(FILE *f, const struct out_opts *o, const struct table *t, struct summary *s);

/* "2026-12-02T21:02:17.123456Z"; buf needs OUT_TIME_LEN bytes. */
#define OUT_TIME_LEN 40
const char *output_time(int64_t us, char *buf, size_t len);

/* "10.000312": seconds with six decimals; buf needs 32 bytes. */
const char *output_seconds(int64_t us, char *buf, size_t len);

/* "1.5K", "812", "23M": bytes (or bytes/s) in binary units; buf needs 16. */
const char *output_human(double v, char *buf, size_t len);

/*
 * Text-table escaping of one field into buf (NUL-terminated, cut to fit);
 * *width: the columns it takes on a terminal (wcwidth).
 */
size_t output_escape_text(const char *in, char *buf, size_t len, size_t *width);

/* TSV escaping of one field into buf (NUL-terminated, cut to fit). */
size_t output_escape_tsv(const char *in, char *buf, size_t len);

#endif
