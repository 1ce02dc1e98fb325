/*
 * test_table.c - the report table of typed cells (core/table.h): columns,
 * rows and their growth, owned strings, the sort order of table_sort, and
 * table_truncate.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "../../core/table.h"
#include "helpers.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const struct column c_pid = { "pid", "PID", true, false };
static const struct column c_user = { "user", "USER", false, false };
static const struct column c_command = { "command", "COMMAND", false, false };
static const struct column c_sent = { "sent_bytes", "SENT_BYTES", true, true };
static const struct column c_recv = { "recv_bytes", "RECV_BYTES", true, true };
static const struct column c_rate = { "sent_rate", "SENT_RATE", true, true };
static const struct column c_first = { "first", "FIRST", false, false };
static const struct column c_dur = { "duration", "DURATION", true, false };
static const struct column c_mixed = { "mixed", "MIXED", false, false };
static const struct column c_flows = { "flows", "FLOWS", true, true };

static struct cell u(uint64_t v)
{
	struct cell c = { CELL_UINT, { .u = v } };
	return c;
}

static struct cell by(uint64_t v)
{
	struct cell c = { CELL_BYTES, { .u = v } };
	return c;
}

static struct cell tx(const char *s)
{
	struct cell c = { CELL_TEXT, { .s = s } };
	return c;
}

static struct cell tm(int64_t t)
{
	struct cell c = { CELL_TIME, { .t = t } };
	return c;
}

static struct cell secs(int64_t t)
{
	struct cell c = { CELL_SECONDS, { .t = t } };
	return c;
}

static struct cell rate(double d)
{
	struct cell c = { CELL_RATE, { .d = d } };
	return c;
}

static const struct cell none = { CELL_NONE, { .u = 0 } };

static void add_cols(struct table *t, const struct column *const *cols, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_true(table_add_col(t, cols[i]));
}

/* A row of n cells. */
static void add(struct table *t, bool unknown, const struct cell *cells, size_t n)
{
	struct cell *row = table_add_row(t, unknown);

	assert_non_null(row);
	assert_int_equal(n, t->ncols);
	memcpy(row, cells, n * sizeof(*row));
}

/* ---- columns and rows ---------------------------------------------- */

static void test_columns(void **state)
{
	static struct column many[TABLE_MAX_COLS + 1];
	static char names[TABLE_MAX_COLS + 1][8];
	struct table t;

	(void)state;
	table_init(&t);
	assert_int_equal(t.ncols, 0);
	assert_int_equal(t.nrows, 0);
	assert_int_equal(table_col(&t, "pid"), -1);
	assert_true(table_add_col(&t, &c_pid));
	assert_true(table_add_col(&t, &c_user));
	assert_int_equal(table_col(&t, "pid"), 0);
	assert_int_equal(table_col(&t, "user"), 1);
	assert_int_equal(table_col(&t, "command"), -1);
	assert_int_equal(table_col(&t, "PID"), -1);	/* names, not titles */
	assert_int_equal(table_col(&t, ""), -1);
	assert_ptr_equal(t.cols[1], &c_user);
	/* No column once there are rows: the rows have their width. */
	assert_non_null(table_add_row(&t, false));
	assert_false(table_add_col(&t, &c_command));
	assert_int_equal(t.ncols, 2);
	assert_int_equal(table_col(&t, "command"), -1);
	table_free(&t);
	assert_int_equal(t.ncols, 0);
	assert_null(t.cells);

	/* TABLE_MAX_COLS columns, not one more. */
	table_init(&t);
	for (size_t i = 0; i <= TABLE_MAX_COLS; i++) {
		snprintf(names[i], sizeof(names[i]), "c%zu", i);
		many[i].name = names[i];
		many[i].title = names[i];
	}
	for (size_t i = 0; i < TABLE_MAX_COLS; i++)
		assert_true(table_add_col(&t, &many[i]));
	assert_false(table_add_col(&t, &many[TABLE_MAX_COLS]));
	assert_int_equal(t.ncols, TABLE_MAX_COLS);
	assert_int_equal(table_col(&t, names[TABLE_MAX_COLS - 1]), TABLE_MAX_COLS - 1);
	assert_int_equal(table_col(&t, names[TABLE_MAX_COLS]), -1);
	/* Rows of the widest table hold every cell. */
	for (size_t r = 0; r < 100; r++) {
		struct cell *row = table_add_row(&t, r % 3 == 0);
		assert_non_null(row);
		for (size_t c = 0; c < TABLE_MAX_COLS; c++)
			row[c] = u(r * 1000 + c);
	}
	for (size_t r = 0; r < 100; r++) {
		assert_int_equal(t.unknown[r], r % 3 == 0);
		for (size_t c = 0; c < TABLE_MAX_COLS; c++)
			assert_int_equal(table_row(&t, r)[c].v.u, r * 1000 + c);
	}
	table_free(&t);
}

/* New rows are CELL_NONE throughout, and keep their cells as the table grows past 64 rows. */
static void test_rows_grow(void **state)
{
	static const struct column *const cols[] = { &c_pid, &c_user, &c_sent };
	struct table t;

	(void)state;
	table_init(&t);
	add_cols(&t, cols, NCOLS(cols));
	for (uint64_t i = 0; i < 1000; i++) {
		struct cell *row = table_add_row(&t, i % 7 == 3);
		assert_non_null(row);
		assert_ptr_equal(row, table_row(&t, i));
		for (size_t c = 0; c < t.ncols; c++)
			assert_int_equal(row[c].kind, CELL_NONE);
		row[0] = u(i);
		row[2] = by(i * 3);
		if (i % 2)
			row[1] = tx("odd");
		/* Every row so far is intact after each growth (64, 128, 256, ...). */
		if (i == 63 || i == 64 || i == 65 || i == 128 || i == 999) {
			for (uint64_t k = 0; k <= i; k++) {
				const struct cell *r = table_row(&t, k);
				assert_int_equal(r[0].kind, CELL_UINT);
				assert_int_equal(r[0].v.u, k);
				assert_int_equal(r[1].kind, k % 2 ? CELL_TEXT : CELL_NONE);
				assert_int_equal(r[2].v.u, k * 3);
				assert_int_equal(t.unknown[k], k % 7 == 3);
			}
		}
	}
	assert_int_equal(t.nrows, 1000);
	assert_true(t.cap >= 1000);
	table_free(&t);
}

/* A table with no columns still counts its rows (json.c writes them as {}). */
static void test_rows_without_columns(void **state)
{
	struct table t;

	(void)state;
	table_init(&t);
	for (int i = 0; i < 200; i++)
		assert_non_null(table_add_row(&t, i & 1));
	assert_int_equal(t.nrows, 200);
	for (int i = 0; i < 200; i++)
		assert_int_equal(t.unknown[i], i & 1);
	assert_int_equal(table_sort(&t, -1), 0);
	assert_int_equal(t.nrows, 200);
	/* Process rows first, and in insertion order otherwise: the flags say so. */
	for (int i = 0; i < 200; i++)
		assert_int_equal(t.unknown[i], i >= 100);
	table_free(&t);
}

static void test_strdup(void **state)
{
	struct table t;
	const char *keep[300];
	char buf[32];

	(void)state;
	table_init(&t);
	for (int i = 0; i < 300; i++) {
		snprintf(buf, sizeof(buf), "s%d", i);
		keep[i] = table_strdup(&t, buf);
		assert_non_null(keep[i]);
		assert_ptr_not_equal(keep[i], buf);
		memset(buf, 'x', 8);	/* the copy is the table's own */
	}
	for (int i = 0; i < 300; i++) {
		snprintf(buf, sizeof(buf), "s%d", i);
		assert_string_equal(keep[i], buf);
	}
	assert_int_equal(t.nstrs, 300);
	/* Two copies of one string are two strings; "" is a string too. */
	const char *a = table_strdup(&t, "same"), *b = table_strdup(&t, "same");
	assert_ptr_not_equal(a, b);
	assert_string_equal(table_strdup(&t, ""), "");
	/* table_free frees them (ASan's leak check says so). */
	table_free(&t);
	assert_int_equal(t.nstrs, 0);
	assert_null(t.strs);
}

static void test_truncate(void **state)
{
	static const struct column *const cols[] = { &c_pid };
	struct table t;

	(void)state;
	table_init(&t);
	add_cols(&t, cols, 1);
	for (uint64_t i = 0; i < 10; i++)
		add(&t, false, (struct cell[]){ u(i) }, 1);
	table_truncate(&t, 0);		/* 0: all */
	assert_int_equal(t.nrows, 10);
	table_truncate(&t, 10);
	assert_int_equal(t.nrows, 10);
	table_truncate(&t, 11);
	assert_int_equal(t.nrows, 10);
	table_truncate(&t, 3);		/* the first 3, as they are */
	assert_int_equal(t.nrows, 3);
	for (uint64_t i = 0; i < 3; i++)
		assert_int_equal(table_row(&t, i)[0].v.u, i);
	table_truncate(&t, 1);
	assert_int_equal(t.nrows, 1);
	assert_int_equal(table_row(&t, 0)[0].v.u, 0);
	/* Rows added after a cut take the places of the rows cut. */
	add(&t, true, (struct cell[]){ u(42) }, 1);
	assert_int_equal(t.nrows, 2);
	assert_int_equal(table_row(&t, 1)[0].v.u, 42);
	assert_int_equal(t.unknown[1], 1);
	table_free(&t);
}

/* ---- sorting: examples --------------------------------------------- */

/* Column col's UINT values, row by row, into out. */
static void col_values(const struct table *t, int col, uint64_t *out)
{
	for (size_t i = 0; i < t->nrows; i++)
		out[i] = table_row(t, i)[col].v.u;
}

/* The key column: ascending when the column is not descending, largest first when it is. */
static void test_sort_by_key(void **state)
{
	static const struct column *const cols[] = { &c_pid, &c_sent, &c_recv, &c_flows };
	struct table t;
	uint64_t got[5];

	(void)state;
	table_init(&t);
	add_cols(&t, cols, NCOLS(cols));
	add(&t, false, (struct cell[]){ u(30), by(1), by(0), u(7) }, 4);
	add(&t, false, (struct cell[]){ u(10), by(500), by(0), u(9) }, 4);
	add(&t, false, (struct cell[]){ u(20), by(20), by(0), u(8) }, 4);
	add(&t, false, (struct cell[]){ u(50), by(3), by(0), u(10) }, 4);
	add(&t, false, (struct cell[]){ u(40), by(4), by(0), u(6) }, 4);

	assert_int_equal(table_sort(&t, 0), 0);		/* pid: ascending */
	col_values(&t, 0, got);
	assert_memory_equal(got, ((uint64_t[]){ 10, 20, 30, 40, 50 }), sizeof(got));
	assert_int_equal(table_sort(&t, 3), 0);		/* flows: a counter, largest first */
	col_values(&t, 3, got);
	assert_memory_equal(got, ((uint64_t[]){ 10, 9, 8, 7, 6 }), sizeof(got));
	assert_int_equal(table_sort(&t, -1), 0);	/* total bytes, largest first */
	col_values(&t, 1, got);
	assert_memory_equal(got, ((uint64_t[]){ 500, 20, 4, 3, 1 }), sizeof(got));
	assert_int_equal(table_sort(&t, 2), 0);		/* recv_bytes all 0: ties by total */
	col_values(&t, 1, got);
	assert_memory_equal(got, ((uint64_t[]){ 500, 20, 4, 3, 1 }), sizeof(got));
	/* Each row moved whole. */
	for (size_t i = 0; i < t.nrows; i++) {
		const struct cell *r = table_row(&t, i);
		static const uint64_t pid_of[] = { [500] = 10, [20] = 20, [4] = 40, [3] = 50, [1] = 30 };
		assert_int_equal(r[0].v.u, pid_of[r[1].v.u]);
	}
	table_free(&t);
}

/* In a key column: no value, then numbers, then text; the other way round in a descending one. */
static void test_sort_kinds(void **state)
{
	static const struct column *const asc_cols[] = { &c_mixed, &c_pid };
	static const struct column desc_col = { "mixed", "MIXED", false, true };
	const struct column *const desc_cols[] = { &desc_col, &c_pid };
	const struct cell vals[] = { tx("b"), u(2), none, tx("a"), u(1), tx("B"), tx("ab") };
	/* Expected pids (the insertion index) from smallest to largest value. */
	static const uint64_t asc[] = { 2, 4, 1, 5, 3, 6, 0 };	/* none 1 2 "B" "a" "ab" "b" */
	const struct column *const *cols[2] = { asc_cols, desc_cols };

	(void)state;
	for (int d = 0; d < 2; d++) {
		struct table t;
		uint64_t got[7];

		table_init(&t);
		add_cols(&t, cols[d], 2);
		for (uint64_t i = 0; i < 7; i++)
			add(&t, false, (struct cell[]){ vals[i], u(i) }, 2);
		assert_int_equal(table_sort(&t, 0), 0);
		col_values(&t, 1, got);
		for (size_t i = 0; i < 7; i++)
			assert_int_equal(got[i], d ? asc[6 - i] : asc[i]);
		table_free(&t);
	}
}

/* Times, seconds and rates order by their value (negative times too). */
static void test_sort_time_seconds_rate(void **state)
{
	static const struct column *const cols[] = { &c_first, &c_dur, &c_rate, &c_pid };
	struct table t;
	uint64_t got[4];

	(void)state;
	table_init(&t);
	add_cols(&t, cols, NCOLS(cols));
	add(&t, false, (struct cell[]){ tm(5), secs(300), rate(0.5), u(0) }, 4);
	add(&t, false, (struct cell[]){ tm(-7), secs(100), rate(2.25), u(1) }, 4);
	add(&t, false, (struct cell[]){ tm(INT64_MAX), secs(200), rate(0.25), u(2) }, 4);
	add(&t, false, (struct cell[]){ none, secs(0), rate(1e12), u(3) }, 4);
	assert_int_equal(table_sort(&t, 0), 0);
	col_values(&t, 3, got);
	assert_memory_equal(got, ((uint64_t[]){ 3, 1, 0, 2 }), sizeof(got));
	assert_int_equal(table_sort(&t, 1), 0);
	col_values(&t, 3, got);
	assert_memory_equal(got, ((uint64_t[]){ 3, 1, 2, 0 }), sizeof(got));
	assert_int_equal(table_sort(&t, 2), 0);		/* a rate: largest first */
	col_values(&t, 3, got);
	assert_memory_equal(got, ((uint64_t[]){ 3, 1, 0, 2 }), sizeof(got));
	table_free(&t);
}

/*
 * Ties of the key: total bytes descending, process rows before unknown
 * ones, then every column ascending, then the order rows were added in.
 */
static void test_sort_ties(void **state)
{
	static const struct column *const cols[] = { &c_pid, &c_command, &c_sent, &c_recv };
	struct table t;
	/* Distinct copies of equal text: which row is which, after the sort. */
	char tag[8][4];
	const char *want[8];

	(void)state;
	for (int i = 0; i < 8; i++)
		snprintf(tag[i], sizeof(tag[i]), "x");
	table_init(&t);
	add_cols(&t, cols, NCOLS(cols));
	add(&t, true, (struct cell[]){ none, tx(tag[0]), by(50), by(50) }, 4);	/* 100, unknown */
	add(&t, false, (struct cell[]){ u(9), tx(tag[1]), by(10), by(90) }, 4);	/* 100, pid 9 */
	add(&t, false, (struct cell[]){ u(3), tx(tag[2]), by(1), by(0) }, 4);	/* 1 */
	add(&t, false, (struct cell[]){ u(5), tx(tag[3]), by(0), by(100) }, 4);	/* 100, pid 5 */
	add(&t, false, (struct cell[]){ none, tx(tag[4]), by(70), by(30) }, 4);	/* 100, no pid */
	add(&t, false, (struct cell[]){ u(5), tx(tag[5]), by(0), by(100) }, 4);	/* = tag 3 */
	add(&t, false, (struct cell[]){ u(2), tx(tag[6]), by(200), none }, 4);	/* 200 */
	add(&t, true, (struct cell[]){ none, tx(tag[7]), by(100), by(0) }, 4);	/* = tag 0 */
	want[0] = tag[6];	/* 200 */
	want[1] = tag[4];	/* 100, process rows: pid none < 5 < 9; 5 twice: added first, first */
	want[2] = tag[3];
	want[3] = tag[5];
	want[4] = tag[1];
	want[5] = tag[0];	/* 100, unknown: equal in every column: as added */
	want[6] = tag[7];
	want[7] = tag[2];	/* 1 */
	/* No key, or a key whose values all tie (command: "x" everywhere). */
	for (int key = -1; key < 2; key += 2) {
		assert_int_equal(table_sort(&t, key), 0);
		for (int i = 0; i < 8; i++) {
			const char *s = table_row(&t, i)[1].v.s;
			if (s != want[i])
				fail_msg("key %d: row %d is the row added as %d, not %d", key, i,
					 (int)((s - &tag[0][0]) / 4), (int)((want[i] - &tag[0][0]) / 4));
		}
	}
	table_free(&t);
}

/* Without sent_bytes and recv_bytes columns, the total is 0 for every row. */
static void test_sort_without_counters(void **state)
{
	static const struct column *const cols[] = { &c_user, &c_pid };
	struct table t;
	uint64_t got[3];

	(void)state;
	table_init(&t);
	add_cols(&t, cols, 2);
	add(&t, false, (struct cell[]){ tx("b"), u(0) }, 2);
	add(&t, true, (struct cell[]){ tx("a"), u(1) }, 2);
	add(&t, false, (struct cell[]){ tx("c"), u(2) }, 2);
	assert_int_equal(table_sort(&t, -1), 0);
	col_values(&t, 1, got);
	assert_memory_equal(got, ((uint64_t[]){ 0, 2, 1 }), sizeof(got));
	table_free(&t);
}

/* Sorted, then grown: the sort leaves a table rows can still be added to. */
static void test_sort_then_add(void **state)
{
	static const struct column *const cols[] = { &c_pid, &c_sent };
	struct table t;

	(void)state;
	table_init(&t);
	add_cols(&t, cols, 2);
	assert_int_equal(table_sort(&t, -1), 0);	/* no rows */
	add(&t, false, (struct cell[]){ u(1), by(1) }, 2);
	assert_int_equal(table_sort(&t, -1), 0);	/* one row */
	assert_int_equal(table_row(&t, 0)[0].v.u, 1);
	for (uint64_t i = 2; i <= 70; i++)
		add(&t, false, (struct cell[]){ u(i), by(i) }, 2);
	assert_int_equal(table_sort(&t, -1), 0);
	for (uint64_t i = 71; i <= 300; i++)
		add(&t, false, (struct cell[]){ u(i), by(i) }, 2);
	assert_int_equal(t.nrows, 300);
	for (uint64_t i = 0; i < 70; i++)
		assert_int_equal(table_row(&t, i)[0].v.u, 70 - i);
	for (uint64_t i = 70; i < 300; i++)
		assert_int_equal(table_row(&t, i)[0].v.u, i + 1);
	assert_int_equal(table_sort(&t, -1), 0);
	for (uint64_t i = 0; i < 300; i++)
		assert_int_equal(table_row(&t, i)[1].v.u, 300 - i);
	table_free(&t);
}

/* ---- sorting: random tables against the order spelled out --------- */

/* One cell's place among its column's values: none < numbers < text. */
static int spec_rank(const struct cell *c)
{
	return c->kind == CELL_NONE ? 0 : c->kind == CELL_TEXT ? 2 : 1;
}

static int spec_cell(const struct cell *a, const struct cell *b)
{
	int ra = spec_rank(a), rb = spec_rank(b);

	if (ra != rb)
		return ra - rb;
	if (ra == 0)
		return 0;
	if (ra == 2) {
		/* bytes as unsigned */
		const unsigned char *x = (const unsigned char *)a->v.s,
				    *y = (const unsigned char *)b->v.s;
		while (*x && *x == *y) {
			x++;
			y++;
		}
		return (*x > *y) - (*x < *y);
	}
	assert_int_equal(a->kind, b->kind);	/* one kind of number per column here */
	switch (a->kind) {
	case CELL_TIME:
	case CELL_SECONDS:
		return (a->v.t > b->v.t) - (a->v.t < b->v.t);
	case CELL_RATE:
		return (a->v.d > b->v.d) - (a->v.d < b->v.d);
	default:
		return (a->v.u > b->v.u) - (a->v.u < b->v.u);
	}
}

struct spec_row {
	struct cell cells[TABLE_MAX_COLS];
	bool unknown;
	size_t index;
};

static uint64_t spec_total(const struct spec_row *r, int sent, int recv)
{
	uint64_t s = 0;

	if (r->cells[sent].kind == CELL_BYTES)
		s += r->cells[sent].v.u;
	if (r->cells[recv].kind == CELL_BYTES)
		s += r->cells[recv].v.u;
	return s;
}

/* <0 when a goes before b (table.h's order). */
static int spec_cmp(const struct table *t, int key, int sent, int recv, const struct spec_row *a,
		    const struct spec_row *b)
{
	uint64_t ta = spec_total(a, sent, recv), tb = spec_total(b, sent, recv);

	if (key >= 0) {
		int r = spec_cell(&a->cells[key], &b->cells[key]);
		if (r != 0)
			return t->cols[key]->descending ? -r : r;
	}
	if (ta != tb)
		return ta > tb ? -1 : 1;
	if (a->unknown != b->unknown)
		return a->unknown ? 1 : -1;
	for (size_t i = 0; i < t->ncols; i++) {
		int r = spec_cell(&a->cells[i], &b->cells[i]);
		if (r != 0)
			return r;
	}
	return (a->index > b->index) - (a->index < b->index);
}

static const char *const words[] = { "", "a", "ab", "b", "B", "\xc3\xa9", "\xff", "a b" };

static void random_cell(uint64_t *x, const struct column *c, struct cell *out, bool counters)
{
	uint64_t r = rng_next(x);

	*out = none;
	if (c == &c_mixed) {
		if (r % 3 == 1)
			*out = u(r >> 8 & 3);
		else if (r % 3 == 2)
			*out = tx(words[r >> 8 & 7]);
	} else if (c == &c_user) {
		if (r % 4)
			*out = tx(words[r >> 8 & 7]);
	} else if (c == &c_sent || c == &c_recv) {
		if (counters || r % 5)
			*out = by(r >> 8 & 3);
	} else if (c == &c_rate) {
		if (r % 4)
			*out = rate((double)(r >> 8 & 3) / 4);
	} else if (c == &c_first) {
		if (r % 4)
			*out = tm((int64_t)(r >> 8 & 3) - 1);
	} else if (c == &c_dur) {
		*out = secs((int64_t)(r >> 8 & 1));
	} else if (r % 4) {
		*out = u(r >> 8 & 3);	/* pid, flows */
	}
}

static void test_sort_random(void **state)
{
	static const struct column *const cols[] = { &c_pid, &c_user, &c_mixed, &c_sent,
						     &c_recv, &c_rate, &c_first, &c_dur,
						     &c_flows, &c_command };
	enum { NCOL = NCOLS(cols), MAXROWS = 150 };
	static struct spec_row want[MAXROWS];
	/* Every row's command: its own copy of one text, so rows stay told apart. */
	static char ids[MAXROWS][2];
	uint64_t x = 0x5eed;

	(void)state;
	for (int round = 0; round < 400; round++) {
		size_t n = (size_t)(rng_next(&x) % MAXROWS);
		int key = (int)(rng_next(&x) % (NCOL + 1)) - 1;
		struct table t;

		table_init(&t);
		add_cols(&t, cols, NCOL);
		for (size_t i = 0; i < n; i++) {
			struct cell *row = table_add_row(&t, rng_next(&x) % 3 == 0);
			assert_non_null(row);
			for (size_t c = 0; c + 1 < NCOL; c++)
				random_cell(&x, cols[c], &row[c], round % 2);
			ids[i][0] = 'x';
			ids[i][1] = '\0';
			row[NCOL - 1] = tx(ids[i]);
			memcpy(want[i].cells, row, NCOL * sizeof(*row));
			want[i].unknown = t.unknown[i];
			want[i].index = i;
		}
		/* The expected order: a stable insertion sort by the spelled-out comparison. */
		for (size_t i = 1; i < n; i++) {
			struct spec_row r = want[i];
			size_t j = i;
			while (j > 0 && spec_cmp(&t, key, 3, 4, &r, &want[j - 1]) < 0) {
				want[j] = want[j - 1];
				j--;
			}
			want[j] = r;
		}
		assert_int_equal(table_sort(&t, key), 0);
		assert_int_equal(t.nrows, n);
		for (size_t i = 0; i < n; i++) {
			const struct cell *row = table_row(&t, i);
			if (row[NCOL - 1].v.s != want[i].cells[NCOL - 1].v.s)
				fail_msg("round %d, key %d: row %zu is row %zu as added, "
					 "not row %zu", round, key, i,
					 (size_t)((const char (*)[2])row[NCOL - 1].v.s - ids),
					 want[i].index);
			assert_int_equal(t.unknown[i], want[i].unknown);
		}
		table_free(&t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_rows_grow),
		cmocka_unit_test(test_rows_without_columns),
		cmocka_unit_test(test_strdup),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_sort_by_key),
		cmocka_unit_test(test_sort_kinds),
		cmocka_unit_test(test_sort_time_seconds_rate),
		cmocka_unit_test(test_sort_ties),
		cmocka_unit_test(test_sort_without_counters),
		cmocka_unit_test(test_sort_then_add),
		cmocka_unit_test(test_sort_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
