/*
 * table.h - a report as a table of typed cells.
 *
 * Every report (processes, groups, connections) is first built as a table:
 * named columns, and rows of cells that say what kind of value they hold
 * (a count, text from a process, a time). The writers (output.h, json.h)
 * then render one table in any format the same way, so a column means the
 * same thing in text, CSV, TSV and JSON, and its name is the CSV header
 * and the JSON key at once.
 */
#ifndef PROCTRAF_TABLE_H
#define PROCTRAF_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TABLE_MAX_COLS 24

enum cell_kind {
	CELL_NONE,	/* no value: "-" in text, empty in CSV/TSV, null in JSON */
	CELL_UINT,	/* a count or a number (pid, port, inode) */
	CELL_BYTES,	/* a count of bytes: human units in text with -H */
	CELL_TEXT,	/* text from anywhere (process names): escaped per format */
	CELL_TIME,	/* microseconds since the epoch: ISO 8601 UTC */
	CELL_SECONDS,	/* a duration in microseconds: seconds with 6 decimals */
	CELL_RATE,	/* bytes per second (v.d) */
};

struct cell {
	uint8_t kind;	/* enum cell_kind */
	union {
		uint64_t u;
		int64_t t;
		double d;
		const char *s;
	} v;
};

struct column {
	const char *name;	/* CSV/TSV header, JSON key, --sort key */
	const char *title;	/* text header */
	bool numeric;		/* right-aligned in text */
	bool descending;	/* --sort puts the largest first (counters) */
};

struct table {
	size_t ncols;
	const struct column *cols[TABLE_MAX_COLS];
	size_t nrows, cap;
	struct cell *cells;	/* nrows * ncols */
	uint8_t *unknown;	/* per row: traffic that no process owns */
	char **strs;		/* strings the table owns */
	size_t nstrs, strcap;
};

void table_init(struct table *t);
void table_free(struct table *t);

/* Add a column (before the first row); false when there are too many. */
bool table_add_col(struct table *t, const struct column *c);

/* The index of the column called name, or -1. */
int table_col(const struct table *t, const char *name);

/* A new row of ncols CELL_NONE cells; NULL on out of memory. */
struct cell *table_add_row(struct table *t, bool unknown);

static inline struct cell *table_row(const struct table *t, size_t i)
{
	return t->cells + i * t->ncols;
}

/* A copy of s that lives as long as the table; NULL on out of memory. */
const char *table_strdup(struct table *t, const char *s);

/*
 * Sort the rows. key: a column index, or -1 for the total bytes (the
 * sent_bytes and recv_bytes columns added). Counters (descending columns)
 * go largest first, everything else smallest first; ties keep the default
 * order: total bytes descending, process rows before unknown ones, then
 * each column in turn, ascending. 0, or -1 on out of memory.
 */
int table_sort(struct table *t, int key);

/* Keep the first n rows (0: all). */
void table_truncate(struct table *t, size_t n);

#endif
