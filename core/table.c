/* table.c - a table of typed cells; see table.h. */

#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "hmap.h"

void table_init(struct table *t)
{
	memset(t, 0, sizeof(*t));
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nstrs; i++)
		free(t->strs[i]);
	free(t->strs);
	free(t->cells);
	free(t->unknown);
	memset(t, 0, sizeof(*t));
}

bool table_add_col(struct table *t, const struct column *c)
{
	if (t->ncols >= TABLE_MAX_COLS || t->nrows > 0)
		return false;
	t->cols[t->ncols++] = c;
	return true;
}

int table_col(const struct table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++) {
		if (strcmp(t->cols[i]->name, name) == 0)
			return (int)i;
	}
	return -1;
}

struct cell *table_add_row(struct table *t, bool unknown)
{
	struct cell *row;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		/* At least one cell a row: realloc(p, 0) would free the cells. */
		size_t width = t->ncols ? t->ncols : 1;
		struct cell *cells;
		uint8_t *unk;

		if (cap > SIZE_MAX / (sizeof(*cells) * TABLE_MAX_COLS))
			return NULL;
		cells = realloc(t->cells, cap * width * sizeof(*cells));
		if (!cells)
			return NULL;
		t->cells = cells;
		unk = realloc(t->unknown, cap);
		if (!unk)
			return NULL;
		t->unknown = unk;
		t->cap = cap;
	}
	row = table_row(t, t->nrows);
	memset(row, 0, t->ncols * sizeof(*row));	/* CELL_NONE is 0 */
	t->unknown[t->nrows++] = unknown;
	return row;
}

const char *table_strdup(struct table *t, const char *s)
{
	void *arr = t->strs;
	char *copy;

	if (!array_reserve(&arr, &t->strcap, t->nstrs + 1, sizeof(*t->strs)))
		return NULL;
	t->strs = arr;
	copy = strdup(s);
	if (copy)
		t->strs[t->nstrs++] = copy;
	return copy;
}

/* Kinds in ascending order: no value, then numbers, then text. */
static int kind_rank(uint8_t kind)
{
	return kind == CELL_NONE ? 0 : kind == CELL_TEXT ? 2 : 1;
}

static int cmp_cells(const struct cell *a, const struct cell *b)
{
	int ra = kind_rank(a->kind), rb = kind_rank(b->kind);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (a->kind) {
	case CELL_NONE:
		return 0;
	case CELL_TEXT:
		return strcmp(a->v.s, b->v.s);
	case CELL_TIME:
	case CELL_SECONDS:
		if (b->kind == a->kind)
			return (a->v.t > b->v.t) - (a->v.t < b->v.t);
		break;
	case CELL_RATE:
		if (b->kind == CELL_RATE)
			return (a->v.d > b->v.d) - (a->v.d < b->v.d);
		break;
	default:
		if (b->kind == CELL_UINT || b->kind == CELL_BYTES)
			return (a->v.u > b->v.u) - (a->v.u < b->v.u);
	}
	/* Numbers of two kinds in one column: never made, but ordered anyway. */
	return (a->kind > b->kind) - (a->kind < b->kind);
}

struct sort_ctx {
	const struct table *t;
	int key;
	int sent, recv;		/* the total's columns, or -1 */
};

static uint64_t row_total(const struct sort_ctx *c, const struct cell *row)
{
	uint64_t sum = 0;

	if (c->sent >= 0 && row[c->sent].kind != CELL_NONE && row[c->sent].kind != CELL_TEXT)
		sum += row[c->sent].v.u;
	if (c->recv >= 0 && row[c->recv].kind != CELL_NONE && row[c->recv].kind != CELL_TEXT)
		sum += row[c->recv].v.u;
	return sum;
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct sort_ctx *c = arg;
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb;
	const struct cell *a = table_row(c->t, ia), *b = table_row(c->t, ib);
	uint64_t ta, tb;
	int r;

	if (c->key >= 0) {
		r = cmp_cells(&a[c->key], &b[c->key]);
		if (r != 0)
			return c->t->cols[c->key]->descending ? -r : r;
	}
	ta = row_total(c, a);
	tb = row_total(c, b);
	if (ta != tb)
		return ta > tb ? -1 : 1;
	if (c->t->unknown[ia] != c->t->unknown[ib])
		return c->t->unknown[ia] ? 1 : -1;
	for (size_t i = 0; i < c->t->ncols; i++) {
		r = cmp_cells(&a[i], &b[i]);
		if (r != 0)
			return r;
	}
	return (ia > ib) - (ia < ib);
}

int table_sort(struct table *t, int key)
{
	struct sort_ctx c = { t, key, table_col(t, "sent_bytes"), table_col(t, "recv_bytes") };
	size_t *order;
	struct cell *cells;
	uint8_t *unk;

	if (t->nrows < 2)
		return 0;
	order = malloc(t->nrows * sizeof(*order));
	cells = malloc(t->nrows * t->ncols * sizeof(*cells));
	unk = malloc(t->nrows);
	if (!order || !cells || !unk) {
		free(order);
		free(cells);
		free(unk);
		return -1;
	}
	for (size_t i = 0; i < t->nrows; i++)
		order[i] = i;
	qsort_r(order, t->nrows, sizeof(*order), cmp_rows, &c);
	for (size_t i = 0; i < t->nrows; i++) {
		memcpy(cells + i * t->ncols, table_row(t, order[i]), t->ncols * sizeof(*cells));
		unk[i] = t->unknown[order[i]];
	}
	free(t->cells);
	free(t->unknown);
	t->cells = cells;
	t->unknown = unk;
	t->cap = t->nrows;
	free(order);
	return 0;
}

void table_truncate(struct table *t, size_t n)
{
	if (n > 0 && n < t->nrows)
		t->nrows = n;
}
