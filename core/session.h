/*
 * session.h - one proctraf run: capture -> decode -> flow table, with the
 * resolver beside it, then attribute -> aggregate -> output.
 *
 * During a live capture the resolver runs in its own thread, so reading
 * /proc never stalls the packet path. The capture thread only hands it
 * the tuples of new flows through a small queue; the resolver re-reads
 * /proc at once (at most every RESOLVE_MIN_GAP_MS) when one of them is not
 * explained by a socket it knows, and every resolve_interval regardless.
 */
#ifndef PROCTRAF_SESSION_H
#define PROCTRAF_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "output.h"

#define RESOLVE_MIN_GAP_MS 10

struct session_config {
	const char *const *ifaces;	/* none: "any" */
	size_t n_ifaces;
	const char *file;		/* -r */
	const char *filter;		/* BPF expression or NULL */
	double duration;		/* seconds; 0: no limit */
	uint64_t count;			/* packets; 0: no limit */
	size_t max_flows;
	const char *proc_root;
	double resolve_interval;	/* seconds */
	bool no_realtime;		/* live: keep the capture thread's priority */
};

struct session;

/* Returns 0, or 1 (runtime) / 2 (usage) with a message in err. */
int session_open(const struct session_config *cfg, struct session **out, char *err,
		 size_t errlen);

/*
 * Capture until a limit is reached, the file ends, or *stop becomes
 * non-zero (set it from a signal handler). Returns 0, or 1 with err.
 */
int session_run(struct session *s, volatile sig_atomic_t *stop, char *err, size_t errlen);

/* Attribute, aggregate and write the report; 0, or -1 with errno. */
int session_report(struct session *s, FILE *out, enum out_format fmt, bool header);

/*
 * How many flows the last session_report took as attributed while the
 * packets were still read (a regular file whose /proc pass ended before
 * its last packet); the others it attributed itself.
 */
size_t session_early_flows(const struct session *s);

const struct totals *session_totals(const struct session *s);

/*
 * Packets of the last session_report's unknown row of reason (0: it had
 * none). REASON_NO_PERMISSION: traffic of sockets whose process we may not
 * have been allowed to see, which the command line warns about.
 */
uint64_t session_unknown_packets(const struct session *s, enum unknown_reason reason);

void session_close(struct session *s);

#endif
