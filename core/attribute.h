/*
 * attribute.h - a flow's two ends to their owning processes.
 *
 * A packet is "sent" for the process owning the socket at its source end
 * and "received" for the process owning the socket at its destination end.
 * Traffic between two local processes (loopback) therefore has an owner at
 * each end: sent once for one, received once for the other.
 */
#ifndef PROCTRAF_ATTRIBUTE_H
#define PROCTRAF_ATTRIBUTE_H

#include <stdbool.h>

#include "resolve.h"
#include "tuple.h"

enum unknown_reason {
	REASON_NONE,
	REASON_NO_SOCKET,	/* an end is local, no socket matched */
	REASON_NO_PROCESS,	/* a socket matched, no process held it */
	REASON_NOT_LOCAL,	/* neither end is an address of this host */
	REASON_TABLE_FULL,	/* beyond --max-flows */
	REASON_COUNT
};

struct attribution {
	const struct proc_info *owner[2];	/* of t->src's end, of t->dst's end */
	bool local[2];				/* is that end's address ours? */
	enum unknown_reason reason;		/* REASON_NONE when an owner exists */
};

void attribute_flow(const struct resolver *r, const struct tuple *t, struct attribution *a);

/* "no-socket", ... for the command column; explanation for the last one. */
const char *reason_name(enum unknown_reason reason);
const char *reason_text(enum unknown_reason reason);

#endif
