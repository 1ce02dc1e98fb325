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
	const struct proc_info *proc;	/* NULL on unknown rows */
};

struct aggregate;

struct aggregate *aggregate_new(void);
void aggregate_free(struct aggregate *ag);

/* Count one flow under its attribution; -1 on out of memory. */
int aggregate_flow(struct aggregate *ag, const struct attribution *a,
		   const struct flow_counts *c);

/*
 * aggregate_flow in two steps, for a flow attributed before its counters
 * are final (reading a file, while packets are still read): plan finds
 * (and makes) its rows, apply adds its counters to them. The rows of a
 * plan are those of the aggregate it was made in.
 */
struct agg_plan {
	uint32_t row[2];	/* each end's owner: its process row + 1; 0: none */
	uint8_t reason;		/* enum unknown_reason: the row when no end has an owner */
	uint8_t local;		/* ... bit d: end d is ours */
	uint8_t end_reason[2];	/* an end of ours that no process owns: why */
	uint32_t injector;	/* with a reason: the injector's row + 1 (attribute.h); 0: none */
};
int aggregate_plan(struct aggregate *ag, const struct attribution *a, struct agg_plan *p);
void aggregate_apply(struct aggregate *ag, const struct agg_plan *p, const struct flow_counts *c);

/* Count the flow table's overflow bucket; -1 on out of memory. */
int aggregate_overflow(struct aggregate *ag, const struct flow_counts *c);

/*
 * Add every row of src to dst, as if src's flows had been counted in dst;
 * -1 on out of memory. src is left as it was.
 */
int aggregate_merge(struct aggregate *dst, const struct aggregate *src);

/*
 * The bytes and packets counted for injectors (attribution.injector):
 * frames of packet sockets, in process rows, not matched by tuple.
 */
void aggregate_injected(const struct aggregate *ag, uint64_t *bytes, uint64_t *packets);

/* The name of p's real uid (its number when it has none, "?" when not known). */
void proc_user_name(const struct proc_info *p, char *buf, size_t len);

/* The rows, sorted by total bytes descending (see proctraf.1). */
const struct row *aggregate_rows(struct aggregate *ag, size_t *n);

#endif
