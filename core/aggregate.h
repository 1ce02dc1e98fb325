/*
 * aggregate.h - attributed flows to report rows: one per process, one per
 * kind of unattributed traffic. 64-bit integer counters only.
 *
 * Invariant: every packet counted in the flow table lands on at least one
 * process row (sent for its sender, received for its receiver) or on
 * exactly one unknown row.
 */
#ifndef PROCTRAF_AGGREGATE_H
#define PROCTRAF_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "attribute.h"
#include "flowtab.h"

struct row {
	enum unknown_reason reason;	/* REASON_NONE: a process row */
	int pid;
	char user[64];
	const char *command;		/* comm, or the unknown reason's name */
	const char *cmdline;
	uint64_t sent_bytes, recv_bytes;
	uint64_t sent_packets, recv_packets;
	uint64_t flows;
	uint64_t netns;			/* the process's network namespace inode; 0: unknown */
};

struct aggregate;

struct aggregate *aggregate_new(void);
void aggregate_free(struct aggregate *ag);

/* Count one flow under its attribution; -1 on out of memory. */
int aggregate_flow(struct aggregate *ag, const struct attribution *a,
		   const struct flow_counts *c);

/* Count the flow table's overflow bucket; -1 on out of memory. */
int aggregate_overflow(struct aggregate *ag, const struct flow_counts *c);

/*
 * Add every row of src to dst, as if src's flows had been counted in dst;
 * -1 on out of memory. src is left as it was.
 */
int aggregate_merge(struct aggregate *dst, const struct aggregate *src);

/* The rows, sorted by total bytes descending (see proctraf.1). */
const struct row *aggregate_rows(struct aggregate *ag, size_t *n);

#endif
