/*
 * json.h - a report table as JSON lines: one object per row, its keys the
 * column names (the CSV header), then one summary object per report.
 *
 * Strings are escaped per RFC 8259 (and C1 controls, DEL, U+2028 and
 * U+2029 as \uXXXX too); a byte that is not part of valid UTF-8 is written
 * as the lone surrogate \udcXX (U+DC80 + byte - 0x80, Python's
 * "surrogateescape"): no valid UTF-8 text holds a surrogate, so a reader
 * that keeps lone surrogates gets the bytes back exactly.
 */
#ifndef PROCTRAF_JSON_H
#define PROCTRAF_JSON_H

#include <stdio.h>

#include "output.h"
#include "table.h"

/* s as a JSON string, quotes included. */
void json_string(FILE *f, const char *s);

/* The rows, then the summary object; 0, or -1 on out of memory. */
int json_write_table(FILE *f, const struct table *t, const struct summary *s);

#endif
