/*
 * report.h - from the counted rows to the table a user asked for.
 *
 * One report is one block of output: the rows of a run, of an interval,
 * or of the run so far. report_write chooses its rows (--pid, --user,
 * --command, --no-unknown), groups them (--group-by), builds the table
 * (process, group or connection columns, with times and rates when
 * asked), sorts it (--sort), keeps the first rows (--top) and writes it
 * in the chosen format (output.h).
 */
#ifndef PROCTRAF_REPORT_H
#define PROCTRAF_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "output.h"
#include "tuple.h"

enum group_key {
	GROUP_PID,
	GROUP_USER,
	GROUP_COMMAND,
	GROUP_NETNS,
	GROUP_CGROUP,
	GROUP_UNIT,
	GROUP_CONTAINER,
	GROUP_NKEYS
};

struct report_opts {
	enum out_format format;
	bool header;		/* text: header and footer; CSV/TSV: header line */
	bool human;		/* text: bytes and rates in binary units */
	bool timestamps;	/* leading start, end, duration columns */
	bool rate;		/* sent_rate, recv_rate columns (bytes/s) */
	bool connections;	/* one row per flow and local end */
	enum group_key group[GROUP_NKEYS];
	size_t ngroup;		/* 0: one row per process */
	const int *pids;	/* rows to keep: any of these pids, */
	size_t npids;
	const char *const *users;	/* ... and any of these users (glob or uid), */
	size_t nusers;
	const char *const *commands;	/* ... and any of these commands (glob) */
	size_t ncommands;
	bool no_unknown;	/* drop the rows of unknown:* */
	const char *sort;	/* a column name, or "total"; NULL: total */
	size_t top;		/* keep the first top rows; 0: all */
};

/*
 * One local end of a flow and its owner, or a flow that no process owns
 * (reason), with its counters from that end: --connections.
 */
struct conn {
	struct tuple t;			/* src, sport: the local end; dst, dport: the other */
	bool no_tuple;			/* the overflow bucket: no addresses */
	const struct proc_info *owner;	/* NULL: reason says why */
	enum unknown_reason reason;
	bool injected;			/* owner: an injector (attribute.h), not a tuple match */
	uint64_t sent_bytes, recv_bytes;
	uint64_t sent_packets, recv_packets;
	int64_t first_us, last_us;	/* first and last packet; TIME_NONE: not known */
};

struct report_data {
	struct summary sum;
	const struct row *rows;		/* process and unknown rows */
	size_t nrows;
	const struct conn *conns;	/* --connections */
	size_t nconns;
};

/* "pid", "user", ... to GROUP_*; -1 when s names no key. */
int group_key_parse(const char *s);
const char *group_key_name(enum group_key k);

/* Are the options consistent (the --sort key a column of this table)? 0, or -1 with err. */
int report_check(const struct report_opts *o, char *err, size_t len);

/*
 * Is a row kept by the filters? p: the process (NULL: an unknown row);
 * user: its user name; command: its comm, or unknown:REASON. Unknown rows
 * stay unless --no-unknown, or a --command pattern names unknown rows and
 * none matches this one; a process row must match each kind of filter
 * given (any of its values: --pid numbers, --user globs or uids,
 * --command globs).
 */
bool report_keep(const struct report_opts *o, const struct proc_info *p, const char *user,
		 const char *command);

/*
 * Write one report; first: the first of the run (CSV/TSV headers once).
 * Returns 0, or -1 (errno set) when writing failed or memory ran out.
 */
int report_write(FILE *f, const struct report_opts *o, const struct report_data *d, bool first);

#endif
