/*
 * group.h - --group-by: process rows summed into one row per group.
 *
 * A group is the process rows that share the values of every key asked
 * for (pid, user, command, netns, cgroup, unit, container). Its bytes,
 * packets and flows are the sums of its members' (a flow between two
 * members counts for each, as in the process report), processes the
 * number of members. Each unknown row stays a row of its own, with
 * unknown:REASON in every key column.
 */
#ifndef PROCTRAF_GROUP_H
#define PROCTRAF_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aggregate.h"
#include "report.h"
#include "table.h"

/* A new table row with its counters (and times) set; NULL on out of memory. */
typedef struct cell *(*group_row_fn)(void *ctx, bool unknown, uint64_t sent_bytes,
				     uint64_t recv_bytes, uint64_t sent_packets,
				     uint64_t recv_packets);

/* The group rows of rows (those report_keep keeps) into t; 0, or -1. */
int group_fill(struct table *t, const struct report_opts *o, const struct row *rows, size_t n,
	       group_row_fn new_row, void *ctx);

/*
 * The value of key k of a process row, as text (numbers written into
 * buf), or NULL when the process has none: what a group's key cell shows.
 */
const char *group_key_value(const struct row *r, enum group_key k, char *buf, size_t len);

#endif
