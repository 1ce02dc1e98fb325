/*
 * session_priv.h - the inside of a session, shared by the modules that
 * make one up: session.c (the capture thread), resthread.c (the resolver
 * thread), filepass.c (reading a file: the /proc pass beside the packets,
 * the report of all flows), interval.c (reports during the run),
 * annotate.c (-w's writer, and the owners of a -r file written by -w).
 */
#ifndef PROCTRAF_SESSION_PRIV_H
#define PROCTRAF_SESSION_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include "aggregate.h"
#include "attribute.h"
#include "capture.h"
#include "dedup.h"
#include "flowtab.h"
#include "fragment.h"
#include "hmap.h"
#include "pcapng_pipe.h"
#include "pcapng_reader.h"
#include "pcapng_writer.h"
#include "pins.h"
#include "pktsock.h"
#include "resolve.h"
#include "rtprio.h"
#include "session.h"

#define QUEUE_LEN 4096

/* Live, immediate mode: how late a packet may come for its interval (see live_intervals). */
#define GRACE_US 5000
/*
 * With the kernel's owners, packets need not wake the capture thread one
 * by one to win a race: the kernel hands them over a block at a time, at
 * the latest BUFFER_MS after the first. A packet of an interval may then
 * come that much later than its end; and a report of everything until now
 * (SIGUSR1's, the last one) waits that long and a margin for the last
 * block, not leaving it in the kernel.
 */
#define BUFFER_MS 100
#define BUFFER_GRACE_US ((BUFFER_MS + 20) * 1000)
#define BATCH 32	/* the file pipeline's ring: more than PIPE_COUNT packets */

/* New flows handed from the capture thread to the resolver thread. */
struct flow_queue {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct tuple items[QUEUE_LEN];
	size_t n;
	size_t yielded;		/* items[0..yielded): looked up between two steps of a pass */
	bool lost;		/* the queue overflowed: refresh anyway */
	bool stop;
};

struct interval;

struct session {
	struct session_config cfg;
	struct capture *cap;
	struct flowtab *flows;
	struct fragcache *frags;
	struct dedup *dedup;
	size_t sources;		/* interfaces captured on */

	/* Reading a file: packets counted in a pipeline (see pipe_push). */
	struct flow_prep batch[BATCH];
	size_t nbatch;
	struct resolver *res;
	struct kowners *kown;	/* live: the kernel's owners, asked before res; NULL: none */
	char kown_why[256];	/* why it did not load, when it was tried */
	char kown_err[256];	/* why it failed during the run; "" */
	double kown_polled;	/* resolver thread: when it last took the kernel's reports */
	bool kread_on;		/* kread runs (sessowners.c) */
	pthread_t kread;	/* takes the kernel's reports in as they come */
	int kread_stop;		/* eventfd that ends kread (while kread_on) */
	int64_t grace_us;	/* live: how late a packet may come for its interval */
	struct pins *pins;	/* flows' answers the resolver forgot (pins.h) */
	struct pktsock *pkt;	/* live: packet sockets, under res_lock; NULL reading a file */
	struct totals totals;
	struct pcapng_writer *wr;	/* -w; NULL: not asked */
	bool wr_failed;			/* ... its spool could not be written (wr_errno) */
	int wr_errno;
	struct annot *annot;		/* the owners a -w file recorded; NULL: /proc's */

	/* capture-thread state */
	bool done;		/* a limit was reached, or an emit failed */
	atomic_bool emit_failed;	/* set by whichever thread emitted */
	bool have_first_ts;	/* reading a file: the first packet's time is known */
	int64_t first_us;	/* ... that time */
	int64_t last_us;	/* ... the latest packet time counted */
	bool cut_by_duration;	/* ... -d ended the run (at first_us + duration) */
	bool file_eof;		/* ... every packet of the file was read */
	bool have_span;		/* ... the run that wrote it ended at span_end (annot_span) */
	int64_t span_end;
	int64_t start_us;	/* live: the wall clock when the capture started */
	int64_t deadline_us;	/* ... when -d ends it (the run's clock); 0: never */
	double start_mono;	/* ... and the monotonic clock then */
	double stop_mono;	/* ... when it stopped */

	/* reading a file: /proc is read once, beside the packets */
	bool file_pass;		/* that thread runs (not joined yet) */
	bool file_regular;	/* a regular file, not a pipe */
	bool early_ok;		/* flows may be attributed while packets are read */
	pthread_t file_thread;
	atomic_bool pass_ready;	/* the pass is over: the resolver only read from now on */
	/*
	 * ... and then, a regular file's flows are attributed in that thread
	 * while packets are still read (see attribute_early): the capture
	 * thread publishes how many flows it has put, and says when it is
	 * done; the thread leaves a plan for each of the first nearly flows,
	 * its rows in early_ag. Flows share few plans (one per process and
	 * direction, or unknown reason): each distinct plan is kept once, in
	 * plans, and a flow keeps its number (2 bytes, not a 16-byte plan).
	 */
	atomic_size_t flows_pub;	/* live too: the flows the resolver thread may pin */
	atomic_bool packets_done;
	struct hmap *plans;		/* key: struct agg_plan; index: its number */
	uint16_t *early;		/* each flow's plan number */
	size_t nearly, early_cap;
	struct aggregate *early_ag;
	size_t early_used;	/* by the last report */

	/* resolver thread */
	bool threaded;
	pthread_t thread;
	struct flow_queue q;
	pthread_mutex_t res_lock;	/* the resolver: its thread, the capture's, the reporter's */
	/*
	 * Passes that may find a flow's owner (full passes, and lookups of
	 * queued flows that walk every process): numbered as they start, and
	 * the number of the last one finished. A flow made while pass k was
	 * the latest started has been looked for once pass_done > k.
	 */
	atomic_uint pass_started, pass_done;
	uint64_t new_flows;		/* capture thread: flows created, live */
	double busy_start;		/* ... this load window: its start, */
	uint64_t busy_packets, busy_new;	/* ... packets and new flows then */
	bool pausing;			/* ... wait between reads (see PAUSE_US) */
	struct rt_budget rt;		/* ... real-time priority (rtprio.h) */
	double inline_start;		/* capture thread: this budget window */
	unsigned inline_used;
	double inline_time;

	/* reports during the run (interval.c); NULL until needed */
	struct interval *iv;
};

double session_now_mono(void);
struct timespec session_timespec(double t);

/* The run's span so far (live: now; a file: its packets' times). */
void session_span(const struct session *s, int64_t *start_us, int64_t *end_us);

/* ---- sessowners.c ---- */
/*
 * Live: the kernel's owner source loaded if --owners asks (before the
 * privileges go), and what it changes: no real-time priority unless
 * --realtime, a buffered capture (co->buffer_ms), the interval grace, the
 * time between full passes. 0, or 1 with err (--owners=kernel that could
 * not load).
 */
int sessowners_open(struct session *s, struct capture_opts *co, char *err, size_t errlen);

/*
 * After resthread_start (res_lock exists): with the kernel's ring buffer,
 * a thread that takes its reports in, under res_lock, a few milliseconds
 * after they are written, so that a process's command line is read while
 * it lives (kcmdline.h). Without it (or if it cannot start) the resolver
 * thread's polls, every KPOLL_S, still take them in.
 */
void sessowners_start(struct session *s);

/* End that thread, if it runs; before resthread_stop and kowners_free. */
void sessowners_stop(struct session *s);

/* ---- resthread.c ---- */
/* Under res_lock (or alone): take the kernel's new reports, if there is a source. */
void resthread_kpoll(struct session *s);
int resthread_start(struct session *s);
void resthread_stop(struct session *s);
void resthread_enqueue(struct session *s, const struct tuple *t);
bool resthread_inline(struct session *s, const struct tuple *t);

/* ---- filepass.c ---- */
void filepass_start(struct session *s);
/* Wait for the pass over /proc (and let its thread go on with early attribution). */
void filepass_wait_ready(struct session *s);
/* End the thread: no more early attribution. */
void filepass_join(struct session *s);
/*
 * A report of every flow with its counters so far (kind ONCE, TOTAL or
 * PARTIAL) through emit; the caller holds the resolver (or no other
 * thread writes it). 0, or -1.
 */
int filepass_report_all(struct session *s, enum report_kind kind);

/* ---- annotate.c ---- */
/* Does -w name the file -r reads (it would be emptied when opened)? */
bool annotate_writes_input(const struct session_config *cfg);
/*
 * -r - from a pipe, no proc root given: a -w stream's owners (s->annot),
 * *fp then reads its packets; any other stream is left to libpcap.
 * 0, or 1 with err.
 */
int annotate_take_pipe(struct session *s, FILE **fp, char *err, size_t errlen);
/* -r of a regular file: its owners if -w wrote it (s->annot). 0, or 1 with err. */
int annotate_read(struct session *s, char *err, size_t errlen);
/* -w: the writer, with the capture's interfaces (s->wr). 0, or 1 with err. */
int annotate_open_writer(struct session *s, char *err, size_t errlen);
/*
 * After pins_attribute or attribute_flow, what else a flow's attribution
 * takes (ctx: the session): live, the injector of its frames by the packet
 * sockets (pktsock_attribute); reading a file -w wrote, the one its
 * injected records name (annot_attribute). Every report and -w's writer
 * call it, so that they say the same. Under res_lock when threaded.
 */
void session_attribute_more(const void *ctx, const struct tuple *t, struct attribution *a);

/* ---- interval.c ---- */
int interval_open(struct session *s);
void interval_close(struct session *s);
/* Capture thread: flow idx was just made. */
void interval_flow_made(struct session *s, size_t idx);
/* Capture thread: the interval ends at end_us (its counters are final). */
int interval_end(struct session *s, int64_t end_us);
/* Capture thread: the next interval's end, in the run's clock (µs). */
int64_t interval_next_end(const struct session *s);
/* Capture thread: SIGUSR1's report of the run so far. */
int interval_partial(struct session *s);
/* Capture thread, live: wait for the reporter thread's work and end it. */
void interval_stop_reporter(struct session *s);
/* After the run: the last interval (and the total, if asked). */
int interval_finish(struct session *s);

/* Emit one report; a failed emit ends the run. */
int session_emit(struct session *s, const struct report_data *d);

/* sesspacket.c: the capture thread's packet path (capture_dispatch's callback). */
void session_on_packet(void *ctx, int dlt, int source, const struct pcap_pkthdr *h,
		       const uint8_t *data);
/* Count what is still in the pipeline of a file's packets. */
void session_flush_batch(struct session *s);
/* End the run: no more packets are read. */
void session_stop_now(struct session *s);
/* session.c: is end (an interval's) before the -d deadline, if any? */
bool session_before_deadline(const struct session *s, int64_t end);

/*
 * The reports' flows: attribute each through the resolver and count it,
 * in rows or in connection rows (cfg.connections), then emit. Shared by
 * filepass.c and interval.c.
 */
struct report_builder {
	struct aggregate *ag;
	struct conn *conns;
	size_t nconns, cap;
	struct proc_info *frozen;	/* builder_freeze's copies */
	size_t nfrozen;
	struct row *rows;		/* ... and the rows that point at them */
};
int builder_init(struct report_builder *b, const struct session *s);
void builder_free(struct report_builder *b);
int builder_flow(struct report_builder *b, const struct attribution *a, const struct tuple *t,
		 const struct flow_counts *c, int64_t first_us, int64_t last_us);
/* The report's rows (or connection rows) in d, valid while b is. */
int builder_data(struct report_builder *b, const struct summary *sum,
		 const struct flow_counts *overflow, struct report_data *d);
/*
 * d's processes copied into b, so that d no longer points into the
 * resolver: a report made under the resolver's lock can be written after
 * it is let go, while other threads learn more processes (and move them).
 */
int builder_freeze(struct report_builder *b, struct report_data *d);
int builder_emit(struct session *s, struct report_builder *b, const struct summary *sum,
		 const struct flow_counts *overflow);

#endif
