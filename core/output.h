/*
 * output.h - the report as an aligned text table, CSV (libcsv) or TSV.
 *
 * Column order is fixed and documented in proctraf.1: pid, user, command,
 * sent_bytes, recv_bytes, sent_packets, recv_packets, flows, netns, cmdline.
 * Process names and command lines are attacker-controlled text: the text
 * table escapes control bytes, backslash and invalid UTF-8 as \xNN / \\;
 * CSV quotes every text field (a CSV parser reads back the same bytes);
 * TSV writes backslash, tab, newline and carriage return as \\ \t \n \r.
 */
#ifndef PROCTRAF_OUTPUT_H
#define PROCTRAF_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"

enum out_format {
	OUT_TEXT,
	OUT_CSV,
	OUT_TSV,
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
};

/* Returns 0, or -1 when writing to f failed (errno set). */
int output_report(FILE *f, enum out_format fmt, bool header, const struct row *rows,
		  size_t nrows, const struct totals *t);

/* Text-table escaping of one field into buf (NUL-terminated, cut to fit). */
size_t output_escape_text(const char *in, char *buf, size_t len, size_t *width);

/* TSV escaping of one field into buf (NUL-terminated, cut to fit). */
size_t output_escape_tsv(const char *in, char *buf, size_t len);

#endif
