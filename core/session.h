/*
 * session.h - one proctraf run: capture -> decode -> flow table, with the
 * resolver beside it, then attribute -> aggregate -> reports.
 *
 * During a live capture the resolver runs in its own thread, so reading
 * /proc never stalls the packet path. The capture thread only hands it
 * the tuples of new flows through a small queue; the resolver re-reads
 * /proc at once (at most every RESOLVE_MIN_GAP_MS) when one of them is not
 * explained by a socket it knows, and every resolve_interval regardless.
 * Reports made during the run (each --interval, SIGUSR1's report so far)
 * are attributed and written by a reporter thread of their own (see
 * interval.h), so writing them never stalls the packet path either.
 */
#ifndef PROCTRAF_SESSION_H
#define PROCTRAF_SESSION_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kowners.h"
#include "output.h"
#include "report.h"
#include "resolve.h"

#define RESOLVE_MIN_GAP_MS 10
/*
 * The default time between two full passes over /proc: with owners from
 * /proc, every second; with the kernel's, whose reports cover every TCP
 * and UDP socket made during the run, only now and then (the flows they
 * do not explain are looked up in /proc at once anyway).
 */
#define RESOLVE_INTERVAL_PROC 1.0
#define RESOLVE_INTERVAL_KERNEL 10.0

/* Called with each report as it is ready; 0, or -1 to end the run. */
typedef int (*session_emit_fn)(void *ctx, const struct report_data *d);

/* Called about once a second during a run: what it has counted so far. */
typedef void (*session_tick_fn)(void *ctx, const struct totals *t, double elapsed);

struct session_config {
	const char *const *ifaces;	/* none: "any" */
	size_t n_ifaces;
	const char *file;		/* -r */
	const char *filter;		/* BPF expression or NULL */
	double duration;		/* seconds; 0: no limit */
	uint64_t count;			/* packets; 0: no limit */
	size_t max_flows;
	const char *proc_root;
	bool proc_root_set;		/* given: a -r file's annotations are not read */
	const char *write_file;		/* -w: pcapng with owners (pcapng_writer.h); "-": stdout */
	double resolve_interval;	/* seconds; 0: the default (RESOLVE_INTERVAL_*) */
	bool no_realtime;		/* live: keep the capture thread's priority */
	bool realtime;			/* live: SCHED_FIFO with the kernel's owners too */
	enum owners_mode owners;	/* live: the owner source (kowners.h) */
	bool owners_debug;		/* libbpf's messages on stderr */
	size_t owners_ring_bytes;	/* tests only: a smaller kernel ring buffer; 0: default */
	int64_t interval_us;		/* --interval; 0: one report at the end */
	bool total;			/* with an interval: the whole run at the end too */
	bool connections;		/* reports of connections: flows keep their times */
	session_emit_fn emit;		/* where reports go (NULL: nowhere) */
	void *emit_ctx;
	session_tick_fn tick;		/* NULL: none */
	void *tick_ctx;
};

/*
 * What the command line's signal handlers set. stop is an atomic, not a
 * volatile sig_atomic_t: the resolver's passes, in threads of their own,
 * read it too (resolver_set_stop), and a handler may store to a lock-free
 * atomic.
 */
struct session_signals {
	atomic_int *stop;		/* end the capture, and cut /proc passes short */
	volatile sig_atomic_t *report;	/* a report of the run so far, please (SIGUSR1) */
};

struct session;

/*
 * Returns 0, or 1 (runtime) / 2 (usage) with a message in err. Reading a
 * file (a regular one) that proctraf wrote with -w, without a proc root
 * given: its owners are read from it (pcapng_reader.h), and /proc is not.
 */
int session_open(const struct session_config *cfg, struct session **out, char *err,
		 size_t errlen);

/*
 * Which owner source a live capture uses, as session_open settled it:
 * OUT_OWNERS_KERNEL, or OUT_OWNERS_PROC (with *why, if not NULL, saying
 * why the kernel's did not load when it was tried; else NULL).
 * OUT_OWNERS_NONE for a file.
 */
int session_owners(const struct session *s, const char **why);

/*
 * Does the run take real-time priority? Without --realtime or
 * --no-realtime: with /proc's owners yes, with the kernel's no (no race to
 * win). A file: no.
 */
bool session_realtime(const struct session *s);

/*
 * The kernel's owner source failed during the run (its ring buffer):
 * why, once; the lookups went on through /proc. NULL: it did not fail.
 */
const char *session_owners_error(const struct session *s);

/*
 * The reports the kernel's owner source lost so far (its ring buffer
 * full): their sockets' flows may be unknown. 0 without that source. Any
 * thread may ask.
 */
uint64_t session_owners_lost(const struct session *s);

/*
 * Reading a file: the one pass over the proc root, now, before any packet
 * is read, so that privileges can be dropped before the first is parsed
 * (otherwise it runs beside the packets). 0, or -1 when no socket table
 * could be read.
 */
int session_read_owners(struct session *s);

/*
 * Capture until a limit is reached, the file ends, *sig->stop becomes
 * non-zero, an emit fails, or reading fails. Returns 0, or 1 with err
 * (a capture error: what was counted before it can still be reported).
 * From a non-zero *sig->stop on, every pass over /proc, this run's last
 * one too, ends within a fraction of a second (resolver_set_stop): the
 * report is made of what is known by then.
 */
int session_run(struct session *s, const struct session_signals *sig, char *err,
		size_t errlen);

/*
 * After session_run: the last reports, through emit (the one report of
 * the run; or the last interval, then the total if asked). 0, or -1 when
 * memory ran out (errno) or emit failed.
 */
int session_finish(struct session *s);

/*
 * How many flows the last report took as attributed while the packets
 * were still read (a regular file whose /proc pass ended before its last
 * packet); the others it attributed itself.
 */
size_t session_early_flows(const struct session *s);

/*
 * With -w, after session_finish: the file, each packet with its owners
 * as the report gave them. 0, or -1 with a message in err.
 */
int session_write_file(struct session *s, char *err, size_t errlen);

/* Are the owners those a -w file recorded (session_open)? */
bool session_annotated(const struct session *s);

/* ... and what reading them met (pcapng_reader.h); false when not. */
struct annot_stats;
bool session_annot_stats(const struct session *s, struct annot_stats *st);

/* The whole run's counters. */
const struct totals *session_totals(const struct session *s);

/* What the resolver learned and met (resolve.h). */
void session_resolve_stats(const struct session *s, struct resolve_stats *st);

void session_close(struct session *s);

#endif
