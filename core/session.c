/* session.c - the pipeline and the resolver thread; see session.h. */
#include "session.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "aggregate.h"
#include "attribute.h"
#include "capture.h"
#include "decode.h"
#include "dedup.h"
#include "flowtab.h"
#include "fragment.h"
#include "hmap.h"
#include "resolve.h"
#include "rtprio.h"

#define QUEUE_LEN 4096
#define BATCH 32	/* the file pipeline's ring: more than PIPE_COUNT packets */
#define PIPE_FETCH 8	/* packets between hashing one and fetching its flow */
#define PIPE_COUNT 16	/* ... and counting it */
#define POLL_MS 100

/* New flows handed from the capture thread to the resolver thread. */
struct flow_queue {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct tuple items[QUEUE_LEN];
	size_t n;
	size_t yielded;		/* items[0..yielded) were looked up in a yield */
	bool lost;		/* the queue overflowed: refresh anyway */
	bool stop;
};

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
	struct totals totals;
	uint64_t unknown_packets[REASON_COUNT];	/* the last report's unknown rows */

	/* capture-thread state */
	bool done;		/* a limit was reached */
	bool have_first_ts;
	double first_ts;

	/* reading a file: /proc is read once, beside the packets */
	bool file_pass;		/* that thread runs */
	bool file_regular;	/* a regular file, not a pipe */
	pthread_t file_thread;
	/*
	 * ... and then, a regular file's flows are attributed in that thread
	 * while packets are still read (see attribute_early): the capture
	 * thread publishes how many flows it has put, and says when it is
	 * done; the thread leaves a plan for each of the first nearly flows,
	 * its rows in early_ag. Flows share few plans (one per process and
	 * direction, or unknown reason): each distinct plan is kept once, in
	 * plans, and a flow keeps its number (2 bytes, not a 12-byte plan).
	 */
	atomic_size_t flows_pub;
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
	pthread_mutex_t res_lock;	/* the resolver: its thread, or the capture's */
	bool res_thread_holds;		/* under res_lock: held by the resolver thread */
	uint64_t new_flows;		/* capture thread: flows created, live */
	double busy_start;		/* ... this load window: its start, */
	uint64_t busy_packets, busy_new;	/* ... packets and new flows then */
	bool pausing;			/* ... wait between reads (see PAUSE_US) */
	struct rt_budget rt;		/* ... real-time priority (rtprio.h) */
	double inline_start;		/* capture thread: this budget window */
	unsigned inline_used;
	double inline_time;
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timespec to_timespec(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int session_open(const struct session_config *cfg, struct session **out, char *err,
		 size_t errlen)
{
	struct capture_opts co = { cfg->ifaces, cfg->n_ifaces, cfg->file, cfg->filter };
	struct session *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	s->cfg = *cfg;
	rc = (int)capture_open(&co, &s->cap, err, errlen);
	if (rc != 0) {
		free(s);
		return rc;
	}
	s->sources = co.file == NULL && co.n_ifaces > 1 ? co.n_ifaces : 1;
	s->res = resolver_new(cfg->proc_root);
	if (!s->res) {
		snprintf(err, errlen, "cannot open proc root %s: %s", cfg->proc_root,
			 strerror(errno));
		session_close(s);
		return 1;
	}
	s->flows = flowtab_new(cfg->max_flows);
	s->frags = fragcache_new();
	s->dedup = dedup_new();
	if (!s->flows || !s->frags || !s->dedup) {
		snprintf(err, errlen, "out of memory");
		session_close(s);
		return 1;
	}
	s->totals.live = capture_is_live(s->cap);
	if (!s->totals.live) {
		struct stat st;
		int r = strcmp(cfg->file, "-") == 0 ? fstat(0, &st) : stat(cfg->file, &st);
		s->file_regular = r == 0 && S_ISREG(st.st_mode);
	}
	*out = s;
	return 0;
}

void session_close(struct session *s)
{
	if (!s)
		return;
	if (s->file_pass) {
		atomic_store_explicit(&s->packets_done, true, memory_order_release);
		pthread_join(s->file_thread, NULL);
	}
	free(s->early);
	hmap_free(s->plans);
	aggregate_free(s->early_ag);
	capture_close(s->cap);
	resolver_free(s->res);
	flowtab_free(s->flows);
	fragcache_free(s->frags);
	dedup_free(s->dedup);
	free(s);
}

size_t session_early_flows(const struct session *s)
{
	return s->early_used;
}

const struct totals *session_totals(const struct session *s)
{
	return &s->totals;
}

/*
 * The capture thread, and the resolver thread while it waits for new
 * flows and looks them up, run at real-time priority when they may (see
 * rtprio.h): at normal priority the first packet of a connection that
 * lived a fraction of a millisecond waited up to a scheduler tick (4 ms
 * here) behind the other work of a busy host, and its socket and process
 * were gone by then. The long reads of every process stay at normal
 * priority.
 */
#define RT_QUICK_MAX 256	/* flows a quick pass may look up at that priority */

/* ---- resolver thread ---------------------------------------------- */

#define YIELD_BATCH 64

/*
 * Called by the resolver in the middle of a long pass (a walk of every
 * process's fds can take 100 ms on a host with a few hundred processes):
 * the resolver thread looks up the flows queued since, at once, as a
 * connection of a millisecond cannot wait for the end of the pass. The
 * capture thread's own passes (resolve_inline) do nothing here.
 */
static void resolver_yield(void *ctx)
{
	struct session *s = ctx;
	struct tuple t[YIELD_BATCH];
	size_t n = 0, m = 0;

	if (!s->res_thread_holds)
		return;
	pthread_mutex_lock(&s->q.lock);
	while (s->q.yielded < s->q.n && n < YIELD_BATCH)
		t[n++] = s->q.items[s->q.yielded++];
	pthread_mutex_unlock(&s->q.lock);
	for (size_t i = 0; i < n; i++) {
		if (!resolver_explains(s->res, &t[i]))
			t[m++] = t[i];
	}
	if (m > 0)
		resolver_refresh_flows(s->res, t, m, false);
}

static void *resolver_main(void *arg)
{
	struct session *s = arg;
	struct flow_queue *q = &s->q;
	struct tuple *batch = malloc(sizeof(struct tuple) * QUEUE_LEN);
	double gap = RESOLVE_MIN_GAP_MS / 1000.0;
	double last, last_deep;
	struct rt_budget rt;

	pthread_mutex_lock(&s->res_lock);
	s->res_thread_holds = true;
	resolver_refresh(s->res);
	s->res_thread_holds = false;
	pthread_mutex_unlock(&s->res_lock);
	last = last_deep = now_mono();
	rt_budget_start(&rt, !s->cfg.no_realtime, now_mono(), NULL, NULL);
	pthread_mutex_lock(&q->lock);
	while (!q->stop) {
		double due = last + s->cfg.resolve_interval;
		bool pending = resolver_pending(s->res);
		double wake = pending && last_deep + gap < due ? last_deep + gap : due;
		struct timespec ts = to_timespec(wake);
		bool full;
		size_t n, m = 0;

		/* Waiting at real-time priority: woken at once for a new flow. */
		rt_thread_set(&rt, rt_budget_may(&rt, now_mono()));
		while (!q->stop && q->n == 0 && !q->lost && now_mono() < wake)
			pthread_cond_timedwait(&q->wake, &q->lock, &ts);
		if (q->stop)
			break;
		n = batch ? q->n : 0;
		if (n)
			memcpy(batch, q->items, n * sizeof(*batch));
		full = q->lost || now_mono() >= due || !batch;
		q->n = 0;
		q->yielded = 0;
		q->lost = false;
		pthread_mutex_unlock(&q->lock);

		pthread_mutex_lock(&s->res_lock);
		s->res_thread_holds = true;
		/* The flows no pass has explained yet. */
		for (size_t i = 0; i < n; i++) {
			if (!resolver_explains(s->res, &batch[i]))
				batch[m++] = batch[i];
		}
		if (full) {
			double wait = last_deep + gap - now_mono();
			if (wait > 0) {
				struct timespec w = to_timespec(wait);
				nanosleep(&w, NULL);
			}
			rt_thread_set(&rt, false);
			resolver_refresh(s->res);
			last = last_deep = now_mono();
		} else if (m > 0 || pending) {
			/*
			 * At once: a short-lived process must be caught while
			 * it lives. Only the walk of every known process waits
			 * for the gap, at normal priority.
			 */
			bool deep = now_mono() >= last_deep + gap;
			rt_thread_set(&rt, m <= RT_QUICK_MAX && rt_budget_may(&rt, now_mono()));
			if (deep && rt.on) {
				resolver_refresh_flows(s->res, batch, m, false);
				rt_thread_set(&rt, false);
			}
			resolver_refresh_flows(s->res, batch, m, deep);
			if (deep)
				last_deep = now_mono();
		}
		s->res_thread_holds = false;
		pthread_mutex_unlock(&s->res_lock);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	free(batch);
	return NULL;
}

static int start_resolver(struct session *s)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	pthread_mutex_init(&s->q.lock, NULL);
	pthread_mutex_init(&s->res_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->q.wake, &ca);
	pthread_condattr_destroy(&ca);
	/* Before the thread starts: it may call back from its first pass on. */
	resolver_set_yield(s->res, resolver_yield, s);
	/* Signals go to the capture thread, whose poll() they interrupt. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&s->thread, NULL, resolver_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		s->threaded = true;
	else
		resolver_set_yield(s->res, NULL, NULL);
	return rc;
}

static void stop_resolver(struct session *s)
{
	if (!s->threaded)
		return;
	pthread_mutex_lock(&s->q.lock);
	s->q.stop = true;
	pthread_cond_signal(&s->q.wake);
	pthread_mutex_unlock(&s->q.lock);
	pthread_join(s->thread, NULL);
	s->threaded = false;
	resolver_set_yield(s->res, NULL, NULL);
	pthread_cond_destroy(&s->q.wake);
	pthread_mutex_destroy(&s->q.lock);
	pthread_mutex_destroy(&s->res_lock);
}

static void enqueue(struct session *s, const struct tuple *t)
{
	struct flow_queue *q = &s->q;

	pthread_mutex_lock(&q->lock);
	if (q->n < QUEUE_LEN)
		q->items[q->n++] = *t;
	else
		q->lost = true;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
}

/*
 * After the pass over /proc, a regular file's flows are attributed here
 * while the capture thread still reads packets: the resolver no longer
 * changes (see final_pass), and a flow's key, once put, neither changes
 * nor moves (hmap.h). Flows come in steps of EARLY_STEP; when the capture
 * thread is done, the flows not yet taken are left to the report, which
 * shares them out between two threads.
 */
#define EARLY_STEP 1024
#define EARLY_WAIT_NS 1000000L	/* between two looks for new flows */

#define EARLY_PLANS_MAX 65535	/* distinct plans; past them, the report attributes the rest */

static void attribute_early(struct session *s)
{
	struct attribution a;
	struct agg_plan plan;
	bool inserted;

	s->early_ag = aggregate_new();
	s->plans = hmap_new_host(sizeof(struct agg_plan));
	if (!s->early_ag || !s->plans)
		return;
	while (!atomic_load_explicit(&s->packets_done, memory_order_acquire)) {
		size_t n = atomic_load_explicit(&s->flows_pub, memory_order_acquire), to;
		void *arr = s->early;

		if (n == s->nearly) {
			struct timespec ts = { 0, EARLY_WAIT_NS };
			nanosleep(&ts, NULL);
			continue;
		}
		to = n - s->nearly > EARLY_STEP ? s->nearly + EARLY_STEP : n;
		if (!array_reserve(&arr, &s->early_cap, to, sizeof(*s->early)))
			return;
		s->early = arr;
		for (size_t i = s->nearly; i < to; i++) {
			size_t id;

			attribute_flow(s->res, flowtab_key(s->flows, i), &a);
			if (aggregate_plan(s->early_ag, &a, &plan) != 0)
				return;
			id = hmap_put(s->plans, &plan, EARLY_PLANS_MAX, &inserted);
			if (id == HMAP_NONE)
				return;
			s->early[i] = (uint16_t)id;
			s->nearly = i + 1;
		}
	}
}

/*
 * Reading a file, the one pass over /proc runs in a thread of its own
 * while the packets are counted: the capture thread does not touch the
 * resolver until it has joined it.
 */
static void *file_pass_main(void *arg)
{
	struct session *s = arg;

	resolver_refresh(s->res);
	if (s->file_regular)
		attribute_early(s);
	return NULL;
}

static void start_file_pass(struct session *s)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	s->file_pass = pthread_create(&s->file_thread, NULL, file_pass_main, s) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ---- capture thread ----------------------------------------------- */

/*
 * Reading a file, packets are counted in a pipeline: packet n is hashed
 * (its slot fetched) on arrival, its key and counters are fetched when
 * packet n + PIPE_FETCH arrives, and it is counted when packet
 * n + PIPE_COUNT arrives, in arrival order, by which time its memory has
 * come.
 */
static void pipe_push(struct session *s, const struct packet *pkt)
{
	size_t n = s->nbatch++;

	flowtab_prepare(s->flows, pkt, &s->batch[n % BATCH]);
	if (n >= PIPE_FETCH)
		flowtab_prefetch(s->flows, &s->batch[(n - PIPE_FETCH) % BATCH]);
	if (n >= PIPE_COUNT)
		flowtab_commit(s->flows, &s->batch[(n - PIPE_COUNT) % BATCH]);
}

/* Count what is still in the pipeline. */
static void flush_batch(struct session *s)
{
	size_t n = s->nbatch;
	size_t first = n > PIPE_COUNT ? n - PIPE_COUNT : 0;

	for (size_t i = n > PIPE_FETCH ? n - PIPE_FETCH : 0; i < n; i++)
		flowtab_prefetch(s->flows, &s->batch[i % BATCH]);
	for (size_t i = first; i < n; i++)
		flowtab_commit(s->flows, &s->batch[i % BATCH]);
	s->nbatch = 0;
}

/*
 * A new flow, resolved in the capture thread itself when the resolver is
 * idle (a lookup or two and a look at new processes: tens of
 * microseconds), at most INLINE_MAX times and INLINE_TIME seconds per
 * INLINE_WINDOW seconds (a tenth of the capture thread's time):
 * handing it to the resolver thread costs a wake-up that a process living
 * a millisecond may not survive. False: queue it for the resolver thread.
 */
#define INLINE_MAX 200
#define INLINE_WINDOW 0.1
#define INLINE_TIME 0.01	/* seconds of each window, at most */

static bool resolve_inline(struct session *s, const struct tuple *t)
{
	double now = now_mono();
	bool done;

	if (now >= s->inline_start + INLINE_WINDOW) {
		s->inline_start = now;
		s->inline_used = 0;
		s->inline_time = 0;
	}
	if (s->inline_used >= INLINE_MAX || s->inline_time >= INLINE_TIME ||
	    pthread_mutex_trylock(&s->res_lock) != 0)
		return false;
	s->inline_used++;
	done = resolver_explains(s->res, t);
	if (!done) {
		resolver_refresh_flows(s->res, t, 1, false);
		done = resolver_explains(s->res, t) && !resolver_pending(s->res);
	}
	pthread_mutex_unlock(&s->res_lock);
	s->inline_time += now_mono() - now;
	return done;
}

static void on_packet(void *ctx, int dlt, int source, const struct pcap_pkthdr *h,
		      const uint8_t *data)
{
	struct session *s = ctx;
	struct packet pkt;
	struct tuple canon;

	if (s->done)
		return;
	if (!s->totals.live && s->cfg.duration > 0) {
		/* Reading a file: the window is in the capture's own time. */
		double ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
		if (!s->have_first_ts) {
			s->have_first_ts = true;
			s->first_ts = ts;
		} else if (ts >= s->first_ts + s->cfg.duration) {
			s->done = true;
			capture_break(s->cap);
			return;
		}
	}
	s->totals.packets++;
	switch (decode_packet(dlt, data, h->caplen, h->len, &pkt)) {
	case DECODE_NOT_IP:
		s->totals.not_ip++;
		break;
	case DECODE_MALFORMED:
		s->totals.malformed++;
		break;
	case DECODE_IP:
		/* A copy of a packet already counted on another interface. */
		if ((pkt.has_ifindex || s->sources > 1) &&
		    dedup_copy(s->dedup, data + pkt.l3_off, h->caplen - pkt.l3_off, pkt.ip_len,
			       pkt.has_ifindex ? pkt.ifindex : 0x80000000u | (uint32_t)source,
			       (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec)) {
			s->totals.duplicates++;
			break;
		}
		s->totals.ip_bytes += pkt.ip_len;
		fragcache_apply(s->frags, &pkt);
		if (!s->totals.live) {
			/* No resolver to tell about new flows: pipeline them. */
			pipe_push(s, &pkt);
			break;
		}
		if (flowtab_add(s->flows, &pkt, &canon)) {
			s->new_flows++;
			if (s->threaded && !resolve_inline(s, &canon))
				enqueue(s, &canon);
		}
		break;
	}
	if (s->cfg.count && s->totals.packets >= s->cfg.count) {
		s->done = true;
		capture_break(s->cap);
	}
}

/*
 * One last look, for sockets that appeared since the last pass: a file
 * whose pass could not run beside it gets its only full pass; a regular
 * file whose pass did needs nothing more; otherwise (a live capture, or
 * a pipe from a capture still running) just the flows not explained yet
 * are looked up (a full pass over every namespace's tables can take a
 * tenth of a second on a busy host), unless there are too many.
 */
#define FINAL_MAX 4096

static void final_pass(struct session *s)
{
	size_t n = flowtab_count(s->flows), m = 0;
	bool lookups = s->totals.live || (s->file_pass && !s->file_regular);
	struct tuple *t = NULL;

	if (s->file_pass) {
		atomic_store_explicit(&s->packets_done, true, memory_order_release);
		pthread_join(s->file_thread, NULL);
		s->file_pass = false;
		if (s->file_regular)
			return;
	}
	if (lookups && n == 0)
		return;
	if (lookups)
		t = malloc((n < FINAL_MAX ? n : FINAL_MAX) * sizeof(*t));
	if (!t) {
		resolver_refresh(s->res);
		return;
	}
	for (size_t i = 0; i < n && m <= FINAL_MAX; i++) {
		const struct tuple *k = flowtab_key(s->flows, i);
		if (resolver_explains(s->res, k))
			continue;
		if (m == FINAL_MAX) {
			m++;
			break;
		}
		t[m++] = *k;
	}
	if (m > FINAL_MAX)
		resolver_refresh(s->res);
	else if (m > 0)
		resolver_refresh_flows(s->res, t, m, true);
	free(t);
}

/*
 * A live capture is read in immediate mode, a wake-up for every packet, so
 * that a new flow is looked up while its process may still live. Under a
 * steady load of known flows that is a wake-up a packet for nothing: when
 * a window of BUSY_WINDOW seconds saw BUSY_PACKETS packets and no new
 * flow, the next window waits PAUSE_US between reads and lets packets
 * gather in the ring. A new flow ends the waiting at once.
 */
#define BUSY_WINDOW 0.01
#define BUSY_PACKETS 100
#define PAUSE_US 200

static void pace(struct session *s, int n)
{
	double now = now_mono();

	rt_thread_set(&s->rt, rt_budget_may(&s->rt, now));

	if (now >= s->busy_start + BUSY_WINDOW) {
		s->pausing = s->totals.packets - s->busy_packets >= BUSY_PACKETS &&
			     s->new_flows == s->busy_new;
		s->busy_start = now;
		s->busy_packets = s->totals.packets;
		s->busy_new = s->new_flows;
	} else if (s->new_flows != s->busy_new) {
		s->pausing = false;
	}
	if (s->pausing && n > 0) {
		struct timespec ts = { 0, PAUSE_US * 1000L };
		nanosleep(&ts, NULL);
	}
}

int session_run(struct session *s, volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	double deadline = 0;
	int rc = 0;

	if (s->totals.live) {
		if (start_resolver(s) != 0) {
			snprintf(err, errlen, "cannot start the resolver thread");
			return 1;
		}
		/* After the resolver thread is made: it sets its own. */
		rt_budget_start(&s->rt, !s->cfg.no_realtime, now_mono(), NULL, NULL);
		rt_thread_set(&s->rt, true);
		if (s->cfg.duration > 0)
			deadline = now_mono() + s->cfg.duration;
	}
	/* A file: /proc is read once, beside the packets. */
	if (!s->totals.live)
		start_file_pass(s);
	while (!s->done && !*stop) {
		int timeout = POLL_MS, n;

		if (deadline > 0) {
			double left = deadline - now_mono();
			if (left <= 0)
				break;
			if (left * 1000 < timeout)
				timeout = (int)ceil(left * 1000);
		}
		n = capture_dispatch(s->cap, timeout, on_packet, s, err, errlen);
		if (n == -1) {
			rc = 1;
			break;
		}
		if (n == -2)
			break;
		if (s->totals.live && !s->done && !*stop)
			pace(s, n);
		if (s->file_pass)
			atomic_store_explicit(&s->flows_pub, flowtab_count(s->flows),
					      memory_order_release);
	}
	/* Packets the kernel already holds belong to the window: take them. */
	if (rc == 0 && s->totals.live && !s->done &&
	    capture_dispatch(s->cap, 0, on_packet, s, err, errlen) == -1)
		rc = 1;
	if (s->totals.live) {
		/* The last pass and the report need no hurry. */
		rt_thread_set(&s->rt, false);
		capture_drops(s->cap, &s->totals.kernel_drops, &s->totals.if_drops);
		stop_resolver(s);
	}
	flush_batch(s);
	final_pass(s);
	return rc;
}

/* Flows from..to attributed and counted into ag. */
struct report_part {
	const struct session *s;
	size_t from, to;
	struct aggregate *ag;
	int rc;
};

static void *report_part_main(void *arg)
{
	struct report_part *p = arg;
	struct attribution a;

	p->rc = p->ag ? 0 : -1;
	for (size_t i = p->from; i < p->to && p->rc == 0; i++) {
		attribute_flow(p->s->res, flowtab_key(p->s->flows, i), &a);
		p->rc = aggregate_flow(p->ag, &a, flowtab_counts(p->s->flows, i));
	}
	return NULL;
}

/*
 * From this many flows on, a second thread attributes half of them (the
 * resolver is only read now): a tenth of a second at 100,000 flows.
 */
#define REPORT_SPLIT_MIN 4096

int session_report(struct session *s, FILE *out, enum out_format fmt, bool header)
{
	struct aggregate *ag = aggregate_new();
	size_t nflows = flowtab_count(s->flows), nrows, first = s->nearly;
	const struct row *rows;
	struct report_part main_part = { s, first, nflows, ag, 0 },
			   other = { s, nflows, nflows, NULL, 0 };
	pthread_t thread;
	bool split = false;
	int rc = 0;

	if (!ag) {
		errno = ENOMEM;
		return -1;
	}
	/*
	 * The flows attributed while packets were read: only their counters
	 * now. The plans are used up (a second report attributes every flow).
	 */
	for (size_t i = 0; i < first; i++)
		aggregate_apply(s->early_ag, hmap_key(s->plans, s->early[i]),
				flowtab_counts(s->flows, i));
	if (first > 0)
		rc = aggregate_merge(ag, s->early_ag);
	s->early_used = first;
	aggregate_free(s->early_ag);
	hmap_free(s->plans);
	free(s->early);
	s->early_ag = NULL;
	s->plans = NULL;
	s->early = NULL;
	s->nearly = s->early_cap = 0;
	if (rc == 0 && nflows - first >= REPORT_SPLIT_MIN) {
		sigset_t all, old;

		other.from = main_part.to = first + (nflows - first) / 2;
		other.ag = aggregate_new();
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		split = other.ag && pthread_create(&thread, NULL, report_part_main, &other) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!split)
			main_part.to = nflows;	/* all of them here, then */
	}
	if (rc == 0) {
		report_part_main(&main_part);
		rc = main_part.rc;
	}
	if (split) {
		pthread_join(thread, NULL);
		if (rc == 0)
			rc = other.rc;
		if (rc == 0)
			rc = aggregate_merge(ag, other.ag);
	}
	aggregate_free(other.ag);
	if (rc == 0)
		rc = aggregate_overflow(ag, flowtab_overflow(s->flows));
	rows = aggregate_rows(ag, &nrows);
	if (rc != 0 || !rows) {
		aggregate_free(ag);
		errno = ENOMEM;
		return -1;
	}
	memset(s->unknown_packets, 0, sizeof(s->unknown_packets));
	for (size_t i = 0; i < nrows; i++) {
		if (rows[i].reason != REASON_NONE && rows[i].reason < REASON_COUNT)
			s->unknown_packets[rows[i].reason] = rows[i].sent_packets +
							     rows[i].recv_packets;
	}
	rc = output_report(out, fmt, header, rows, nrows, &s->totals);
	aggregate_free(ag);
	return rc;
}

uint64_t session_unknown_packets(const struct session *s, enum unknown_reason reason)
{
	return reason > REASON_NONE && reason < REASON_COUNT ? s->unknown_packets[reason] : 0;
}
