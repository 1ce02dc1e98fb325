/*
 * attribute.h - a flow's two ends to their owning processes.
 *
 * A packet is "sent" for the process owning the socket at its source end
 * and "received" for the process owning the socket at its destination end.
 * Traffic between two local processes (loopback) therefore has an owner at
 * each end: sent once for one, received once for the other. An end of ours
 * with no owner, when the other end has one, is counted in an unknown row
 * for its direction, so that no local end's traffic goes unreported.
 *
 * Why an end has no owner is the resolver's answer (resolve.h): no socket,
 * a socket no process held, or a socket whose process we may not have been
 * allowed to see (OWNER_NO_PERMISSION: an inode, and some process's fds
 * denied to us). A flow owned at neither end takes the reason of one end:
 * no-permission before no-process before no-socket.
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
	REASON_NO_PERMISSION,	/* a socket matched; we may not see its process (resolve.h) */
	REASON_NOT_LOCAL,	/* neither end is an address of this host */
	REASON_TABLE_FULL,	/* beyond --max-flows */
	REASON_PKT_SEVERAL,	/* no IP socket; packet sockets of several processes may have sent it */
	REASON_COUNT
};

struct attribution {
	const struct proc_info *owner[2];	/* of t->src's end, of t->dst's end */
	bool local[2];				/* is that end's address ours? */
	enum unknown_reason reason;		/* REASON_NONE when an owner exists */
	/*
	 * When the other end has an owner: why this end, an address of this
	 * host too, has none (REASON_NONE when it has one or is not ours).
	 */
	enum unknown_reason end_reason[2];
	/*
	 * With reason REASON_NO_SOCKET: the process whose packet socket
	 * injected the flow's frames (pktsock.h), which takes the bytes from
	 * its ends that are ours; the others stay the unknown row's. NULL:
	 * none.
	 */
	const struct proc_info *injector;
};

void attribute_flow(const struct resolver *r, const struct tuple *t, struct attribution *a);

/*
 * The rest of a from its ends' answers, st[0] for t->src's end and st[1]
 * for t->dst's, with a->owner and a->local already set from them (as
 * attribute_flow does after its lookups; pins.h from kept answers).
 */
void attribute_ends(const enum owner_status st[2], struct attribution *a);

/* "no-socket", ... for the command column; explanation for the last one. */
const char *reason_name(enum unknown_reason reason);
const char *reason_text(enum unknown_reason reason);

#endif
