/* report.c - rows chosen, grouped and put in a table; see report.h. */
#include "report.h"

#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "table.h"

/* ---- columns ------------------------------------------------------- */

#define COL(n, t, num, desc) { n, t, num, desc }

static const struct column col_start = COL("start", "START", false, false);
static const struct column col_end = COL("end", "END", false, false);
static const struct column col_duration = COL("duration", "DURATION", true, false);
static const struct column col_pid = COL("pid", "PID", true, false);
static const struct column col_user = COL("user", "USER", false, false);
static const struct column col_command = COL("command", "COMMAND", false, false);
static const struct column col_sent_bytes = COL("sent_bytes", "SENT_BYTES", true, true);
static const struct column col_recv_bytes = COL("recv_bytes", "RECV_BYTES", true, true);
static const struct column col_sent_rate = COL("sent_rate", "SENT_RATE", true, true);
static const struct column col_recv_rate = COL("recv_rate", "RECV_RATE", true, true);
static const struct column col_sent_packets = COL("sent_packets", "SENT_PACKETS", true, true);
static const struct column col_recv_packets = COL("recv_packets", "RECV_PACKETS", true, true);
static const struct column col_flows = COL("flows", "FLOWS", true, true);
static const struct column col_netns = COL("netns", "NETNS", true, false);
static const struct column col_cmdline = COL("cmdline", "CMDLINE", false, false);
static const struct column col_cgroup = COL("cgroup", "CGROUP", false, false);
static const struct column col_unit = COL("unit", "UNIT", false, false);
static const struct column col_container = COL("container", "CONTAINER", false, false);
static const struct column col_processes = COL("processes", "PROCESSES", true, true);
static const struct column col_proto = COL("proto", "PROTO", false, false);
static const struct column col_laddr = COL("local_addr", "LOCAL_ADDR", false, false);
static const struct column col_lport = COL("local_port", "LOCAL_PORT", true, false);
static const struct column col_raddr = COL("remote_addr", "REMOTE_ADDR", false, false);
static const struct column col_rport = COL("remote_port", "REMOTE_PORT", true, false);
static const struct column col_via = COL("via", "VIA", false, false);
static const struct column col_first = COL("first", "FIRST", false, false);
static const struct column col_last = COL("last", "LAST", false, false);

static const struct column *const key_cols[GROUP_NKEYS] = {
	&col_pid, &col_user, &col_command, &col_netns, &col_cgroup, &col_unit, &col_container,
};

int group_key_parse(const char *s)
{
	for (int k = 0; k < GROUP_NKEYS; k++) {
		if (strcmp(s, key_cols[k]->name) == 0)
			return k;
	}
	return -1;
}

const char *group_key_name(enum group_key k)
{
	return key_cols[k]->name;
}

/* The counters, in the same place in every kind of table. */
static bool add_counters(struct table *t, const struct report_opts *o)
{
	bool ok = table_add_col(t, &col_sent_bytes) && table_add_col(t, &col_recv_bytes);

	if (o->rate)
		ok = ok && table_add_col(t, &col_sent_rate) && table_add_col(t, &col_recv_rate);
	return ok && table_add_col(t, &col_sent_packets) && table_add_col(t, &col_recv_packets);
}

/* The columns of the table the options ask for; false: too many. */
static bool add_columns(struct table *t, const struct report_opts *o)
{
	bool ok = true;

	if (o->timestamps)
		ok = table_add_col(t, &col_start) && table_add_col(t, &col_end) &&
		     table_add_col(t, &col_duration);
	if (o->connections)
		return ok && table_add_col(t, &col_proto) && table_add_col(t, &col_laddr) &&
		       table_add_col(t, &col_lport) && table_add_col(t, &col_raddr) &&
		       table_add_col(t, &col_rport) && table_add_col(t, &col_pid) &&
		       table_add_col(t, &col_user) && table_add_col(t, &col_command) &&
		       table_add_col(t, &col_via) &&
		       add_counters(t, o) && table_add_col(t, &col_first) &&
		       table_add_col(t, &col_last) && table_add_col(t, &col_netns);
	if (o->ngroup > 0) {
		for (size_t i = 0; i < o->ngroup; i++)
			ok = ok && table_add_col(t, key_cols[o->group[i]]);
		return ok && add_counters(t, o) && table_add_col(t, &col_flows) &&
		       table_add_col(t, &col_processes);
	}
	return ok && table_add_col(t, &col_pid) && table_add_col(t, &col_user) &&
	       table_add_col(t, &col_command) && add_counters(t, o) &&
	       table_add_col(t, &col_flows) && table_add_col(t, &col_netns) &&
	       table_add_col(t, &col_cmdline);
}

int report_check(const struct report_opts *o, char *err, size_t len)
{
	struct table t;
	int rc = 0;

	table_init(&t);
	if (!add_columns(&t, o)) {
		snprintf(err, len, "too many columns");
		rc = -1;
	} else if (o->sort && strcmp(o->sort, "total") != 0 && table_col(&t, o->sort) < 0) {
		char names[512] = "total";
		for (size_t i = 0; i < t.ncols; i++) {
			size_t at = strlen(names);
			snprintf(names + at, sizeof(names) - at, ", %s", t.cols[i]->name);
		}
		snprintf(err, len, "--sort: no column '%s' in this report (%s)", o->sort, names);
		rc = -1;
	}
	table_free(&t);
	return rc;
}

/* ---- choosing rows ------------------------------------------------- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

static bool match_any(const char *const *pats, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (fnmatch(pats[i], s, 0) == 0)
			return true;
	}
	return false;
}

/* Does a --command pattern name unknown rows (so that they are chosen too)? */
static bool names_unknown(const struct report_opts *o)
{
	for (size_t i = 0; i < o->ncommands; i++) {
		if (strncmp(o->commands[i], "unknown", 7) == 0)
			return true;
	}
	return false;
}

/*
 * Is a row kept? Unknown rows stay unless --no-unknown, or --command
 * names unknown rows and not this one; process rows must match every
 * kind of filter given (any of its values).
 */
bool report_keep(const struct report_opts *o, const struct proc_info *p, const char *user,
		 const char *command)
{
	bool ok;

	if (!p) {
		if (o->no_unknown)
			return false;
		return !names_unknown(o) || match_any(o->commands, o->ncommands, command);
	}
	if (o->npids > 0) {
		ok = false;
		for (size_t i = 0; i < o->npids && !ok; i++)
			ok = o->pids[i] == p->pid;
		if (!ok)
			return false;
	}
	if (o->nusers > 0) {
		ok = false;
		for (size_t i = 0; i < o->nusers && !ok; i++) {
			if (all_digits(o->users[i]))
				ok = p->have_uid && strtoul(o->users[i], NULL, 10) == p->uid;
			else
				ok = fnmatch(o->users[i], user, 0) == 0;
		}
		if (!ok)
			return false;
	}
	return o->ncommands == 0 || match_any(o->commands, o->ncommands, command);
}

/* ---- filling tables ------------------------------------------------ */

struct filler {
	struct table *t;
	const struct report_opts *o;
	const struct summary *sum;
	int64_t dur_us;		/* the report's duration; <= 0: no rates */
};

static void set_uint(struct cell *c, uint64_t v)
{
	c->kind = CELL_UINT;
	c->v.u = v;
}

static void set_bytes(struct cell *c, uint64_t v)
{
	c->kind = CELL_BYTES;
	c->v.u = v;
}

static void set_text(struct cell *c, const char *s)
{
	if (!s)
		return;
	c->kind = CELL_TEXT;
	c->v.s = s;
}

static void set_time(struct cell *c, int64_t us)
{
	if (us == TIME_NONE)
		return;
	c->kind = CELL_TIME;
	c->v.t = us;
}

/* The time columns and the counters of a new row; the row, or NULL. */
static struct cell *new_row(const struct filler *f, bool unknown, uint64_t sb, uint64_t rb,
			    uint64_t sp, uint64_t rp)
{
	struct cell *row = table_add_row(f->t, unknown);
	int c;

	if (!row)
		return NULL;
	if (f->o->timestamps && f->sum->start_us != TIME_NONE) {
		set_time(&row[0], f->sum->start_us);
		set_time(&row[1], f->sum->end_us);
		row[2].kind = CELL_SECONDS;
		row[2].v.t = f->sum->end_us - f->sum->start_us;
	}
	set_bytes(&row[table_col(f->t, "sent_bytes")], sb);
	set_bytes(&row[table_col(f->t, "recv_bytes")], rb);
	set_uint(&row[table_col(f->t, "sent_packets")], sp);
	set_uint(&row[table_col(f->t, "recv_packets")], rp);
	if (f->o->rate && f->dur_us > 0) {
		double secs = (double)f->dur_us / 1e6;
		c = table_col(f->t, "sent_rate");
		row[c].kind = CELL_RATE;
		row[c].v.d = (double)sb / secs;
		row[c + 1].kind = CELL_RATE;
		row[c + 1].v.d = (double)rb / secs;
	}
	return row;
}

static struct cell *new_row_for_group(void *ctx, bool unknown, uint64_t sb, uint64_t rb,
				      uint64_t sp, uint64_t rp)
{
	return new_row(ctx, unknown, sb, rb, sp, rp);
}

static int fill_process(const struct filler *f, const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		bool unknown = r->reason != REASON_NONE;
		struct cell *row;

		if (!report_keep(f->o, r->proc, r->user, r->command))
			continue;
		row = new_row(f, unknown, r->sent_bytes, r->recv_bytes, r->sent_packets,
			      r->recv_packets);
		if (!row)
			return -1;
		if (!unknown) {
			set_uint(&row[table_col(f->t, "pid")], (uint64_t)r->pid);
			set_text(&row[table_col(f->t, "user")], r->user);
		}
		set_text(&row[table_col(f->t, "command")], r->command);
		set_uint(&row[table_col(f->t, "flows")], r->flows);
		if (!unknown && r->netns)
			set_uint(&row[table_col(f->t, "netns")], r->netns);
		set_text(&row[table_col(f->t, "cmdline")], r->cmdline);
	}
	return 0;
}

static const char *proto_name(int proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_IGMP:
		return "igmp";
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_DCCP:
		return "dccp";
	case IPPROTO_GRE:
		return "gre";
	case IPPROTO_ESP:
		return "esp";
	case IPPROTO_AH:
		return "ah";
	case IPPROTO_ICMPV6:
		return "icmp6";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_UDPLITE:
		return "udplite";
	default:
		snprintf(buf, len, "%d", proto);
		return buf;
	}
}

/* Protocols whose "ports" mean something (ICMP: the echo identifier). */
static bool has_ports(int proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_DCCP || proto == IPPROTO_ICMP ||
	       proto == IPPROTO_ICMPV6;
}

/* user names by uid: a connection report asks for the same few many times. */
#define USER_CACHE 32
struct user_cache {
	unsigned uid[USER_CACHE];
	char name[USER_CACHE][64];
	size_t n;
};

static const char *cached_user(struct user_cache *uc, const struct proc_info *p, char *buf,
			       size_t len)
{
	for (size_t i = 0; p->have_uid && i < uc->n; i++) {
		if (uc->uid[i] == p->uid)
			return uc->name[i];
	}
	proc_user_name(p, buf, len);
	if (p->have_uid && uc->n < USER_CACHE) {
		uc->uid[uc->n] = p->uid;
		snprintf(uc->name[uc->n], sizeof(uc->name[0]), "%s", buf);
		return uc->name[uc->n++];
	}
	return buf;
}

static int fill_conn_row(const struct filler *f, const struct conn *c, struct user_cache *uc)
{
	char buf[64], user[64];
	const char *u = NULL, *command = c->owner ? c->owner->comm : reason_name(c->reason);
	struct cell *row;

	if (c->owner)
		u = cached_user(uc, c->owner, user, sizeof(user));
	if (!report_keep(f->o, c->owner, u, command))
		return 0;
	row = new_row(f, !c->owner, c->sent_bytes, c->recv_bytes, c->sent_packets,
		      c->recv_packets);
	if (!row)
		return -1;
	if (!c->no_tuple) {
		const char *s = table_strdup(f->t, proto_name(c->t.proto, buf, sizeof(buf)));
		set_text(&row[table_col(f->t, "proto")], s);
		s = table_strdup(f->t, tuple_addr_str(c->t.family, c->t.src, buf, sizeof(buf)));
		set_text(&row[table_col(f->t, "local_addr")], s);
		s = table_strdup(f->t, tuple_addr_str(c->t.family, c->t.dst, buf, sizeof(buf)));
		set_text(&row[table_col(f->t, "remote_addr")], s);
		if (has_ports(c->t.proto)) {
			set_uint(&row[table_col(f->t, "local_port")], c->t.sport);
			set_uint(&row[table_col(f->t, "remote_port")], c->t.dport);
		}
	}
	if (c->owner) {
		set_uint(&row[table_col(f->t, "pid")], (uint64_t)c->owner->pid);
		set_text(&row[table_col(f->t, "user")], table_strdup(f->t, u));
		if (c->owner->netns)
			set_uint(&row[table_col(f->t, "netns")], c->owner->netns);
		/* How the owner is known: its IP socket, or the packet socket that injected. */
		set_text(&row[table_col(f->t, "via")], c->injected ? "packet" : "socket");
	}
	set_text(&row[table_col(f->t, "command")], command);
	set_time(&row[table_col(f->t, "first")], c->first_us);
	set_time(&row[table_col(f->t, "last")], c->last_us);
	return 0;
}

static int fill_conns(const struct filler *f, const struct conn *conns, size_t n)
{
	struct user_cache uc;

	uc.n = 0;
	for (size_t i = 0; i < n; i++) {
		if (fill_conn_row(f, &conns[i], &uc) != 0)
			return -1;
	}
	return 0;
}

/* ---- a report ------------------------------------------------------ */

static int build(struct table *t, const struct report_opts *o, const struct report_data *d,
		 struct summary *sum)
{
	struct filler f = { t, o, sum, 0 };
	int key = -1;

	if (sum->start_us != TIME_NONE)
		f.dur_us = sum->end_us - sum->start_us;
	if (!add_columns(t, o)) {
		errno = EINVAL;
		return -1;
	}
	if (o->connections) {
		if (fill_conns(&f, d->conns, d->nconns) != 0)
			return -1;
	} else if (o->ngroup > 0) {
		if (group_fill(t, o, d->rows, d->nrows, new_row_for_group, &f) != 0)
			return -1;
	} else if (fill_process(&f, d->rows, d->nrows) != 0) {
		return -1;
	}
	if (o->sort && strcmp(o->sort, "total") != 0)
		key = table_col(t, o->sort);
	if (table_sort(t, key) != 0)
		return -1;
	table_truncate(t, o->top);
	return 0;
}

int report_write(FILE *f, const struct report_opts *o, const struct report_data *d, bool first)
{
	struct out_opts oo = { o->format, o->header, o->human, first };
	struct summary sum = d->sum;
	struct table t;
	int rc;

	table_init(&t);
	errno = 0;
	rc = build(&t, o, d, &sum);
	if (rc != 0 && errno == 0)
		errno = ENOMEM;
	if (rc == 0)
		rc = output_table(f, &oo, &t, &sum);
	table_free(&t);
	return rc;
}
