/* attribute.c - flow ends to processes; see attribute.h. */
#include "attribute.h"

/* Why an end of ours with no owner has none. */
static enum unknown_reason end_reason(enum owner_status st)
{
	switch (st) {
	case OWNER_NO_PERMISSION:
		return REASON_NO_PERMISSION;
	case OWNER_NO_PROCESS:
		return REASON_NO_PROCESS;
	default:
		return REASON_NO_SOCKET;
	}
}

void attribute_flow(const struct resolver *r, const struct tuple *t, struct attribution *a)
{
	enum owner_status st[2] = { OWNER_NO_SOCKET, OWNER_NO_SOCKET };

	/*
	 * Sockets are looked up at both ends whatever the address tables say:
	 * an address removed during the capture must not lose its traffic.
	 */
	for (int d = 0; d < 2; d++) {
		struct flow_end e = flow_end_of(t, d == 1);

		st[d] = resolver_lookup_end(r, &e, &a->owner[d], &a->local[d]);
	}
	attribute_ends(st, a);
}

void attribute_ends(const enum owner_status st[2], struct attribution *a)
{
	/* None until pktsock_attribute (or annot_attribute) names one: pinned flows too. */
	a->injector = NULL;
	for (int d = 0; d < 2; d++) {
		a->end_reason[d] = REASON_NONE;
		if (!a->owner[d] && a->owner[!d] && a->local[d])
			a->end_reason[d] = end_reason(st[d]);
	}
	if (a->owner[0] || a->owner[1])
		a->reason = REASON_NONE;
	else if (st[0] == OWNER_NO_PERMISSION || st[1] == OWNER_NO_PERMISSION)
		a->reason = REASON_NO_PERMISSION;
	else if (st[0] == OWNER_NO_PROCESS || st[1] == OWNER_NO_PROCESS)
		a->reason = REASON_NO_PROCESS;
	else if (a->local[0] || a->local[1])
		a->reason = REASON_NO_SOCKET;
	else
		a->reason = REASON_NOT_LOCAL;
}

const char *reason_name(enum unknown_reason reason)
{
	switch (reason) {
	case REASON_NO_SOCKET:
		return "unknown:no-socket";
	case REASON_NO_PROCESS:
		return "unknown:no-process";
	case REASON_NO_PERMISSION:
		return "unknown:no-permission";
	case REASON_NOT_LOCAL:
		return "unknown:not-local";
	case REASON_TABLE_FULL:
		return "unknown:table-full";
	case REASON_PKT_SEVERAL:
		return "unknown:packet-sockets";
	default:
		return "unknown";
	}
}

const char *reason_text(enum unknown_reason reason)
{
	switch (reason) {
	case REASON_NO_SOCKET:
		return "no socket matched this traffic";
	case REASON_NO_PROCESS:
		return "socket found but no process held it";
	case REASON_NO_PERMISSION:
		return "socket found, but no permission to see its process";
	case REASON_NOT_LOCAL:
		return "neither end is an address of this host";
	case REASON_TABLE_FULL:
		return "flows beyond --max-flows";
	case REASON_PKT_SEVERAL:
		return "no IP socket; packet sockets of several processes may have sent it";
	default:
		return "";
	}
}
