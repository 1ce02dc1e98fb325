/*
 * session.c - a session's run: opened, its capture read until its end,
 * reports asked for at their times; see session.h. The packet path of the
 * capture thread is in sesspacket.c, the resolver thread in resthread.c,
 * reading a file's /proc pass in filepass.c, reports during the run in
 * interval.c, -w's file and the owners -r reads from one in annotate.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "session_priv.h"

#define POLL_MS 100
#define TICK_S 1.0	/* between two calls of the tick callback */

double session_now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct timespec session_timespec(double t)
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

/* Live: the run's clock now, in µs since the epoch (wall clock at the start, then monotonic). */
static int64_t live_now_us(const struct session *s, double mono)
{
	return s->start_us + (int64_t)llround((mono - s->start_mono) * 1e6);
}

void session_span(const struct session *s, int64_t *start_us, int64_t *end_us)
{
	if (s->totals.live) {
		*start_us = s->start_us;
		*end_us = live_now_us(s, s->stop_mono > 0 ? s->stop_mono : session_now_mono());
		return;
	}
	if (!s->have_first_ts) {
		*start_us = *end_us = TIME_NONE;
		return;
	}
	*start_us = s->first_us;
	*end_us = s->cut_by_duration ? s->first_us + (int64_t)llround(s->cfg.duration * 1e6)
				     : s->last_us;
	/* A -w file read whole: the run that wrote it went on to its end. */
	if (s->have_span && s->file_eof && !s->cut_by_duration && s->span_end > *end_us)
		*end_us = s->span_end;
}

int session_emit(struct session *s, const struct report_data *d)
{
	if (!s->cfg.emit)
		return 0;
	if (s->cfg.emit(s->cfg.emit_ctx, d) != 0) {
		atomic_store(&s->emit_failed, true);
		return -1;
	}
	return 0;
}

int session_open(const struct session_config *cfg, struct session **out, char *err,
		 size_t errlen)
{
	struct capture_opts co = { cfg->ifaces, cfg->n_ifaces, cfg->file, NULL, cfg->filter, 0 };
	struct session *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	s->cfg = *cfg;
	if (cfg->write_file && annotate_writes_input(cfg)) {
		snprintf(err, errlen, "-w %s is the file -r reads", cfg->write_file);
		free(s);
		return 2;
	}
	if (annotate_take_pipe(s, &co.fp, err, errlen) != 0) {
		annot_free(s->annot);
		free(s);
		return 1;
	}
	if (sessowners_open(s, &co, err, errlen) != 0) {
		annot_free(s->annot);
		free(s);
		return 1;
	}
	rc = (int)capture_open(&co, &s->cap, err, errlen);
	if (rc != 0) {
		kowners_free(s->kown);
		annot_free(s->annot);
		free(s);
		return rc;
	}
	s->sources = co.file == NULL && co.n_ifaces > 1 ? co.n_ifaces : 1;
	s->totals.live = capture_is_live(s->cap);
	if (!s->totals.live && !cfg->proc_root_set && !co.fp &&
	    annotate_read(s, err, errlen) != 0) {
		session_close(s);
		return 1;
	}
	s->res = s->annot ? resolver_new_source(annot_source(s->annot))
			  : resolver_new(cfg->proc_root);
	if (!s->res && s->annot) {
		snprintf(err, errlen, "out of memory");
		session_close(s);
		return 1;
	}
	if (!s->res) {
		snprintf(err, errlen, "cannot open proc root %s: %s", cfg->proc_root,
			 strerror(errno));
		session_close(s);
		return 1;
	}
	if (s->totals.live)
		s->totals.owners = s->kown ? OUT_OWNERS_KERNEL : OUT_OWNERS_PROC;
	if (s->kown)
		resolver_set_fallback(s->res, kowners_source(s->kown));
	s->flows = flowtab_new_timed(cfg->max_flows, cfg->connections);
	s->frags = fragcache_new();
	s->dedup = dedup_new();
	s->pins = pins_new();
	if (!s->flows || !s->frags || !s->dedup || !s->pins) {
		snprintf(err, errlen, "out of memory");
		session_close(s);
		return 1;
	}
	/* Live: who may inject what is captured. A file's frames were sent by a socket held then. */
	if (s->totals.live &&
	    !(s->pkt = pktsock_new_ifaces(cfg->proc_root, cfg->ifaces, cfg->n_ifaces))) {
		snprintf(err, errlen, "out of memory");
		session_close(s);
		return 1;
	}
	if (cfg->write_file && annotate_open_writer(s, err, errlen) != 0) {
		session_close(s);
		return 1;
	}
	if (!s->totals.live) {
		struct stat st;
		int r = strcmp(cfg->file, "-") == 0 ? fstat(0, &st) : stat(cfg->file, &st);
		s->file_regular = r == 0 && S_ISREG(st.st_mode);
		/* Plans per flow serve the one report of process rows only. */
		s->early_ok = s->file_regular && cfg->interval_us <= 0 && !cfg->connections;
	}
	*out = s;
	return 0;
}

void session_close(struct session *s)
{
	if (!s)
		return;
	interval_close(s);
	filepass_join(s);
	free(s->early);
	hmap_free(s->plans);
	aggregate_free(s->early_ag);
	capture_close(s->cap);
	sessowners_stop(s);
	resolver_free(s->res);
	kowners_free(s->kown);
	pins_free(s->pins);
	pktsock_free(s->pkt);
	annot_free(s->annot);
	pcapng_writer_close(s->wr);
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

void session_resolve_stats(const struct session *s, struct resolve_stats *st)
{
	resolver_stats(s->res, st);
}

/* ---- the run ------------------------------------------------------ */

/* Is end (an interval's) before the -d deadline, if any? */
bool session_before_deadline(const struct session *s, int64_t end)
{
	return end != TIME_NONE && (s->deadline_us == 0 || end < s->deadline_us);
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
	struct tuple *t;

	if (!s->totals.live) {
		filepass_join(s);
		if (!atomic_load(&s->pass_ready)) {
			resolver_refresh(s->res);
			atomic_store(&s->pass_ready, true);
			return;
		}
		if (s->file_regular)
			return;
	}
	if (n == 0)
		return;
	/* Packet sockets made since the last pass: their holders too. */
	pktsock_refresh(s->pkt, s->res);
	/* The resolver thread is gone: its last reports are taken here. */
	resthread_kpoll(s);
	t = malloc((n < FINAL_MAX ? n : FINAL_MAX) * sizeof(*t));
	if (!t) {
		resolver_refresh(s->res);
		return;
	}
	for (size_t i = 0; i < n && m <= FINAL_MAX; i++) {
		const struct tuple *k = flowtab_key(s->flows, i);
		/* A pinned flow's answer is kept: its socket is long closed. */
		if (pins_has(s->pins, i) || resolver_explains_own(s->res, k))
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
	double now = session_now_mono();

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
	if (s->pausing && n > 0 && !s->kown) {
		struct timespec ts = { 0, PAUSE_US * 1000L };
		nanosleep(&ts, NULL);
	}
}

static int start_live(struct session *s, char *err, size_t errlen)
{
	/* The reporter first: a resolver thread left running could not be undone here. */
	if (interval_open(s) != 0) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	if (resthread_start(s) != 0) {
		snprintf(err, errlen, "cannot start the resolver thread");
		return 1;
	}
	sessowners_start(s);
	s->start_mono = session_now_mono();
	s->start_us = now_real_us();
	/* After the other threads are made: they set their own. */
	rt_budget_start(&s->rt, !s->cfg.no_realtime, session_now_mono(), NULL, NULL);
	rt_thread_set(&s->rt, true);
	return 0;
}

/* How long poll may wait: until the next deadline, interval end (and grace) or tick. */
static int poll_timeout(const struct session *s, double now)
{
	int64_t now_us = live_now_us(s, now), next = interval_next_end(s), left;
	int timeout = POLL_MS;

	if (session_before_deadline(s, next)) {
		left = next + s->grace_us - now_real_us();
		if (left < (int64_t)timeout * 1000)
			timeout = left > 0 ? (int)((left + 999) / 1000) : 0;
	}
	if (s->deadline_us > 0) {
		left = s->deadline_us - now_us;
		if (left < (int64_t)timeout * 1000)
			timeout = left > 0 ? (int)((left + 999) / 1000) : 0;
	}
	return timeout;
}

/*
 * Live: the interval ends that have passed by more than GRACE_US, after
 * reading what the kernel holds. -1 when a report or the capture failed.
 */
static int live_intervals(struct session *s, char *err, size_t errlen)
{
	int64_t next = interval_next_end(s);

	if (!session_before_deadline(s, next) || now_real_us() < next + s->grace_us)
		return 0;
	if (capture_dispatch(s->cap, 0, session_on_packet, s, err, errlen) == -1)
		return -1;
	next = interval_next_end(s);
	while (!s->done && session_before_deadline(s, next) && now_real_us() >= next + s->grace_us) {
		if (interval_end(s, next) != 0)
			return -1;
		next = interval_next_end(s);
	}
	return 0;
}

/*
 * With the kernel's owners the kernel holds packets up to BUFFER_MS in a
 * block before it hands them over: for a report that must hold every
 * packet until now (SIGUSR1's, the last one), read what comes until the
 * capture has none held (capture_held), at most BUFFER_MS and a margin
 * from now. Immediate mode: what is there now. -1 when the capture failed.
 */
static int drain_held(struct session *s, char *err, size_t errlen)
{
	double until = session_now_mono() + (BUFFER_MS + 20) / 1000.0;

	if (!s->kown)
		return capture_dispatch(s->cap, 0, session_on_packet, s, err, errlen) == -1 ? -1 : 0;
	while (!s->done) {
		double left = until - session_now_mono();

		if (left <= 0 || capture_held(s->cap) == 0)
			break;
		if (capture_dispatch(s->cap, (int)(left * 1000) + 1, session_on_packet, s, err, errlen) == -1)
			return -1;
	}
	return 0;
}

int session_run(struct session *s, const struct session_signals *sig, char *err,
		size_t errlen)
{
	double last_tick;
	int rc = 0;

	/* Before any thread that reads /proc starts. */
	resolver_set_stop(s->res, sig->stop);
	if (s->totals.live) {
		rc = start_live(s, err, errlen);
		if (rc != 0)
			return rc;
		if (s->cfg.duration > 0)
			s->deadline_us = s->start_us + (int64_t)llround(s->cfg.duration * 1e6);
	} else {
		s->start_mono = session_now_mono();
		if (interval_open(s) != 0) {
			snprintf(err, errlen, "out of memory");
			return 1;
		}
		/* A file: /proc is read once, beside the packets. */
		filepass_start(s);
	}
	last_tick = session_now_mono();
	while (!s->done && !atomic_load(sig->stop)) {
		double now = session_now_mono();
		int timeout = POLL_MS, n;

		if (s->totals.live) {
			if (s->deadline_us > 0 && live_now_us(s, now) >= s->deadline_us)
				break;
			timeout = poll_timeout(s, now);
		}
		n = capture_dispatch(s->cap, timeout, session_on_packet, s, err, errlen);
		if (n == -1) {
			rc = 1;
			break;
		}
		if (n == -2) {
			s->file_eof = true;
			break;
		}
		if (s->totals.live && s->cfg.interval_us > 0 && !s->done &&
		    live_intervals(s, err, errlen) != 0) {
			if (!atomic_load(&s->emit_failed))
				rc = 1;	/* the capture failed: err says why */
			break;
		}
		if (sig->report && *sig->report) {
			*sig->report = 0;
			if (s->totals.live && drain_held(s, err, errlen) != 0) {
				rc = 1;
				break;
			}
			session_flush_batch(s);
			if (interval_partial(s) != 0)
				s->done = true;
		}
		if (atomic_load(&s->emit_failed))
			s->done = true;
		if (s->totals.live && !s->done && !atomic_load(sig->stop))
			pace(s, n);
		if (s->file_pass && s->early_ok)
			atomic_store_explicit(&s->flows_pub, flowtab_count(s->flows),
					      memory_order_release);
		now = session_now_mono();
		if (s->cfg.tick && now >= last_tick + TICK_S) {
			last_tick = now;
			s->cfg.tick(s->cfg.tick_ctx, &s->totals, now - s->start_mono);
		}
	}
	/* Packets the kernel already holds belong to the window: take them. */
	if (s->totals.live)
		s->stop_mono = session_now_mono();	/* the window ends now */
	if (rc == 0 && s->totals.live && !s->done && drain_held(s, err, errlen) != 0)
		rc = 1;
	if (s->totals.live) {
		/* The last pass and the report need no hurry. */
		rt_thread_set(&s->rt, false);
		capture_drops(s->cap, &s->totals.kernel_drops, &s->totals.if_drops);
		interval_stop_reporter(s);
		sessowners_stop(s);
		resthread_stop(s);
		/* After the resolver's last poll: what it could not take in is lost for good. */
		s->totals.owners_lost = session_owners_lost(s);
	}
	session_flush_batch(s);
	final_pass(s);
	return rc;
}

int session_finish(struct session *s)
{
	if (atomic_load(&s->emit_failed))
		return -1;
	return interval_finish(s);
}

