/* group.c - process rows summed by group; see group.h. */
#include "group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct member {
	const struct row *r;
	char *key;		/* the key values, each as "LEN:BYTES" or "-" (none) */
	size_t klen;
};

/* One key value of a process row: text, or NULL when it has none. */
static const char *key_text(const struct row *r, enum group_key k, char *buf, size_t len)
{
	const struct proc_info *p = r->proc;

	switch (k) {
	case GROUP_PID:
		snprintf(buf, len, "%d", r->pid);
		return buf;
	case GROUP_USER:
		return r->user;
	case GROUP_COMMAND:
		return r->command;
	case GROUP_NETNS:
		if (!r->netns)
			return NULL;
		snprintf(buf, len, "%llu", (unsigned long long)r->netns);
		return buf;
	case GROUP_CGROUP:
		return p ? p->cgroup : NULL;
	case GROUP_UNIT:
		return p ? p->unit : NULL;
	case GROUP_CONTAINER:
		return p ? p->container : NULL;
	default:
		return NULL;
	}
}

/* The member's key: every value with its length, so no two keys run together. */
static int make_key(struct member *m, const struct report_opts *o)
{
	size_t len = 0, at = 0;
	char num[32];

	for (size_t i = 0; i < o->ngroup; i++) {
		const char *v = key_text(m->r, o->group[i], num, sizeof(num));
		len += v ? strlen(v) + 24 : 1;
	}
	m->key = malloc(len + 1);
	if (!m->key)
		return -1;
	for (size_t i = 0; i < o->ngroup; i++) {
		const char *v = key_text(m->r, o->group[i], num, sizeof(num));
		if (v)
			at += (size_t)snprintf(m->key + at, len + 1 - at, "%zu:%s", strlen(v), v);
		else
			m->key[at++] = '-';
	}
	m->klen = at;
	return 0;
}

static int cmp_members(const void *pa, const void *pb)
{
	const struct member *a = pa, *b = pb;
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int r = memcmp(a->key, b->key, n);

	if (r != 0)
		return r;
	return (a->klen > b->klen) - (a->klen < b->klen);
}

static bool same_group(const struct member *a, const struct member *b)
{
	return a->klen == b->klen && memcmp(a->key, b->key, a->klen) == 0;
}

/* The key cells of a group row, from one of its members. */
static void key_cells(struct table *t, struct cell *row, const struct report_opts *o,
		      const struct row *r)
{
	for (size_t i = 0; i < o->ngroup; i++) {
		enum group_key k = o->group[i];
		struct cell *c = &row[table_col(t, group_key_name(k))];
		char num[32];
		const char *v = key_text(r, k, num, sizeof(num));

		if (k == GROUP_PID || k == GROUP_NETNS) {
			if (v) {
				c->kind = CELL_UINT;
				c->v.u = k == GROUP_PID ? (uint64_t)r->pid : r->netns;
			}
		} else if (v) {
			c->kind = CELL_TEXT;
			c->v.s = v;
		}
	}
}

/* An unknown row, as a group of its own. */
static int unknown_group(struct table *t, const struct report_opts *o, const struct row *r,
			 group_row_fn new_row, void *ctx)
{
	struct cell *row = new_row(ctx, true, r->sent_bytes, r->recv_bytes, r->sent_packets,
				   r->recv_packets);

	if (!row)
		return -1;
	for (size_t i = 0; i < o->ngroup; i++) {
		struct cell *c = &row[table_col(t, group_key_name(o->group[i]))];
		c->kind = CELL_TEXT;
		c->v.s = r->command;
	}
	row[table_col(t, "flows")].kind = CELL_UINT;
	row[table_col(t, "flows")].v.u = r->flows;
	return 0;
}

/* The group of members m[0..n): one row. */
static int group_row(struct table *t, const struct report_opts *o, const struct member *m,
		     size_t n, group_row_fn new_row, void *ctx)
{
	uint64_t sb = 0, rb = 0, sp = 0, rp = 0, flows = 0;
	struct cell *row;

	for (size_t i = 0; i < n; i++) {
		sb += m[i].r->sent_bytes;
		rb += m[i].r->recv_bytes;
		sp += m[i].r->sent_packets;
		rp += m[i].r->recv_packets;
		flows += m[i].r->flows;
	}
	row = new_row(ctx, false, sb, rb, sp, rp);
	if (!row)
		return -1;
	key_cells(t, row, o, m[0].r);
	row[table_col(t, "flows")].kind = CELL_UINT;
	row[table_col(t, "flows")].v.u = flows;
	row[table_col(t, "processes")].kind = CELL_UINT;
	row[table_col(t, "processes")].v.u = n;
	return 0;
}

int group_fill(struct table *t, const struct report_opts *o, const struct row *rows, size_t n,
	       group_row_fn new_row, void *ctx)
{
	struct member *m = calloc(n ? n : 1, sizeof(*m));
	size_t nm = 0;
	int rc = 0;

	if (!m)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct row *r = &rows[i];

		if (!report_keep(o, r->proc, r->user, r->command))
			continue;
		if (r->reason != REASON_NONE) {
			rc = unknown_group(t, o, r, new_row, ctx);
			continue;
		}
		m[nm].r = r;
		rc = make_key(&m[nm], o);
		if (rc == 0)
			nm++;
	}
	if (rc == 0)
		qsort(m, nm, sizeof(*m), cmp_members);
	for (size_t i = 0; i < nm && rc == 0;) {
		size_t j = i + 1;
		while (j < nm && same_group(&m[i], &m[j]))
			j++;
		rc = group_row(t, o, m + i, j - i, new_row, ctx);
		i = j;
	}
	for (size_t i = 0; i < nm; i++)
		free(m[i].key);
	free(m);
	return rc;
}

const char *group_key_value(const struct row *r, enum group_key k, char *buf, size_t len)
{
	return key_text(r, k, buf, len);
}
