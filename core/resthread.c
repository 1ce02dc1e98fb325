/*
 * resthread.c - the resolver thread of a live capture, and the capture
 * thread's own quick lookups; see session.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session_priv.h"

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
 * The kernel's reports are taken in before every lookup of new flows (a
 * socket's report is written in the system call that made or used it,
 * before its first packet left), and at least every KPOLL_S seconds
 * otherwise, so that its ring buffer does not fill.
 */
#define KPOLL_S 0.05

void resthread_kpoll(struct session *s)
{
	if (!s->kown)
		return;
	s->kown_polled = session_now_mono();
	/* On failure kown_err says why (once: later polls do nothing); lookups go on. */
	(void)kowners_poll(s->kown, s->kown_err, sizeof(s->kown_err));
}

/*
 * Flows t[0..n) that no pass explains, moved to the front; how many.
 * Those the kernel's reports explain too: /proc gives a socket's holder
 * where the kernel gives its maker (resolve.h, resolver_explains_own).
 */
static size_t unexplained(struct session *s, struct tuple *t, size_t n)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (!resolver_explains_own(s->res, &t[i]))
			t[m++] = t[i];
	}
	return m;
}

/*
 * Between two steps of a long pass (a walk of every process's fds can
 * take 100 ms on a host with a few hundred processes): the flows queued
 * since are looked up at once, as a connection of a millisecond cannot
 * wait for the end of the pass. The pass is not on the stack meanwhile:
 * it goes on with the next step (resolve.h, resolver_step).
 */
static void between_steps(struct session *s)
{
	struct tuple t[YIELD_BATCH];
	size_t n = 0, m;

	pthread_mutex_lock(&s->q.lock);
	while (s->q.yielded < s->q.n && n < YIELD_BATCH)
		t[n++] = s->q.items[s->q.yielded++];
	pthread_mutex_unlock(&s->q.lock);
	if (n > 0)
		resthread_kpoll(s);
	m = unexplained(s, t, n);
	if (m > 0)
		resolver_refresh_flows(s->res, t, m, false);
}

/* A pass in steps, the queued flows looked up between two. */
static void run_pass(struct session *s, enum resolver_pass kind)
{
	resolver_begin(s->res, kind);
	while (resolver_step(s->res))
		between_steps(s);
}

/*
 * A full pass, numbered (see pass_started in session_priv.h); then, now
 * and then, a round of forgetting what no flow needs (pins.h), over the
 * flows the capture thread has published.
 */
static void full_pass(struct session *s)
{
	unsigned k = atomic_fetch_add(&s->pass_started, 1) + 1;

	pktsock_refresh(s->pkt, s->res);	/* before the walk that finds their holders */
	run_pass(s, RESOLVER_WHOLE);
	atomic_store_explicit(&s->pass_done, k, memory_order_release);
	pins_round(s->pins, s->res, s->flows,
		   atomic_load_explicit(&s->flows_pub, memory_order_acquire));
}

static void *resolver_main(void *arg)
{
	struct session *s = arg;
	struct flow_queue *q = &s->q;
	struct tuple *batch = malloc(sizeof(struct tuple) * QUEUE_LEN);
	double gap = RESOLVE_MIN_GAP_MS / 1000.0;
	double last, last_deep;
	struct rt_budget rt;
	bool pending;

	pthread_mutex_lock(&s->res_lock);
	resthread_kpoll(s);
	full_pass(s);
	/* Read under res_lock: the capture thread's lookups write the resolver. */
	pending = resolver_pending(s->res);
	pthread_mutex_unlock(&s->res_lock);
	last = last_deep = session_now_mono();
	rt_budget_start(&rt, !s->cfg.no_realtime, session_now_mono(), NULL, NULL);
	pthread_mutex_lock(&q->lock);
	while (!q->stop) {
		double due = last + s->cfg.resolve_interval;
		double wake = pending && last_deep + gap < due ? last_deep + gap : due;
		struct timespec ts;
		bool full;
		size_t n, m;

		/* Nothing to look up: the kernel's reports are taken in anyway. */
		if (s->kown && s->kown_polled + KPOLL_S < wake)
			wake = s->kown_polled + KPOLL_S;
		ts = session_timespec(wake);

		/* Waiting at real-time priority: woken at once for a new flow. */
		rt_thread_set(&rt, rt_budget_may(&rt, session_now_mono()));
		while (!q->stop && q->n == 0 && !q->lost && session_now_mono() < wake)
			pthread_cond_timedwait(&q->wake, &q->lock, &ts);
		if (q->stop)
			break;
		n = batch ? q->n : 0;
		if (n)
			memcpy(batch, q->items, n * sizeof(*batch));
		full = q->lost || session_now_mono() >= due || !batch;
		q->n = 0;
		q->yielded = 0;
		q->lost = false;
		pthread_mutex_unlock(&q->lock);

		pthread_mutex_lock(&s->res_lock);
		if (n > 0 || session_now_mono() >= s->kown_polled + KPOLL_S)
			resthread_kpoll(s);
		/* The flows neither the kernel nor a pass has explained yet. */
		m = unexplained(s, batch, n);
		if (full) {
			double wait = last_deep + gap - session_now_mono();
			if (wait > 0) {
				struct timespec w = session_timespec(wait);
				nanosleep(&w, NULL);
			}
			rt_thread_set(&rt, false);
			full_pass(s);
			last = last_deep = session_now_mono();
		} else if (m > 0 || pending) {
			/*
			 * At once: a short-lived process must be caught while
			 * it lives. Only the walk of every known process waits
			 * for the gap, at normal priority.
			 */
			bool deep = session_now_mono() >= last_deep + gap;
			unsigned k = deep ? atomic_fetch_add(&s->pass_started, 1) + 1 : 0;

			rt_thread_set(&rt, m <= RT_QUICK_MAX && rt_budget_may(&rt, session_now_mono()));
			resolver_refresh_flows(s->res, batch, m, false);
			if (deep) {
				rt_thread_set(&rt, false);
				if (resolver_deep_due(s->res))
					run_pass(s, RESOLVER_DEEP);
				atomic_store_explicit(&s->pass_done, k, memory_order_release);
				last_deep = session_now_mono();
			}
		}
		pending = resolver_pending(s->res);
		pthread_mutex_unlock(&s->res_lock);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	free(batch);
	return NULL;
}

int resthread_start(struct session *s)
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
	/* Signals go to the capture thread, whose poll() they interrupt. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&s->thread, NULL, resolver_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0)
		s->threaded = true;
	return rc;
}

void resthread_stop(struct session *s)
{
	if (!s->threaded)
		return;
	pthread_mutex_lock(&s->q.lock);
	s->q.stop = true;
	pthread_cond_signal(&s->q.wake);
	pthread_mutex_unlock(&s->q.lock);
	pthread_join(s->thread, NULL);
	s->threaded = false;
	pthread_cond_destroy(&s->q.wake);
	pthread_mutex_destroy(&s->q.lock);
	pthread_mutex_destroy(&s->res_lock);
}

void resthread_enqueue(struct session *s, const struct tuple *t)
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

bool resthread_inline(struct session *s, const struct tuple *t)
{
	double now = session_now_mono();
	bool done;

	if (now >= s->inline_start + INLINE_WINDOW) {
		s->inline_start = now;
		s->inline_used = 0;
		s->inline_time = 0;
	}
	/* The kernel's owners leave no race to win here (and are read by the resolver thread). */
	if (s->kown)
		return false;
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
	s->inline_time += session_now_mono() - now;
	return done;
}

