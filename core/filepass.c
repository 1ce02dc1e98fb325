/*
 * filepass.c - reading a file: the one pass over /proc beside the
 * packets, the attribution of a regular file's flows while they are
 * still read, and the report of every flow (see session_priv.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "session_priv.h"

/*
 * After the pass over /proc, a regular file's flows are attributed here
 * while the capture thread still reads packets: the resolver no longer
 * changes (see final_pass), and a flow's key, once put, neither changes
 * nor moves (hmap.h). Flows come in steps of EARLY_STEP; when the capture
 * thread is done, the flows not yet taken are left to the report, which
 * shares them out between two threads.
 */
#define EARLY_STEP 1024
#define WAIT_NS 1000000L	/* between two looks for new flows, or for the pass */

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
			struct timespec ts = { 0, WAIT_NS };
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
			session_attribute_more(s, flowtab_key(s->flows, i), &a);
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
 * resolver until the pass is over (pass_ready), and then only reads it
 * until it has joined the thread.
 */
static void *file_pass_main(void *arg)
{
	struct session *s = arg;

	/* Done already when the privileges went before the packets (session_read_owners). */
	if (!atomic_load_explicit(&s->pass_ready, memory_order_acquire))
		resolver_refresh(s->res);
	atomic_store_explicit(&s->pass_ready, true, memory_order_release);
	if (s->early_ok)
		attribute_early(s);
	return NULL;
}

void filepass_start(struct session *s)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	s->file_pass = pthread_create(&s->file_thread, NULL, file_pass_main, s) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int session_read_owners(struct session *s)
{
	int rc;

	if (s->totals.live || atomic_load(&s->pass_ready))
		return 0;
	rc = resolver_refresh(s->res);
	atomic_store_explicit(&s->pass_ready, true, memory_order_release);
	return rc;
}

void filepass_wait_ready(struct session *s)
{
	if (atomic_load_explicit(&s->pass_ready, memory_order_acquire))
		return;
	if (!s->file_pass) {
		/* No thread could be made: the pass, here. */
		resolver_refresh(s->res);
		atomic_store_explicit(&s->pass_ready, true, memory_order_release);
		return;
	}
	while (!atomic_load_explicit(&s->pass_ready, memory_order_acquire)) {
		struct timespec ts = { 0, WAIT_NS };
		nanosleep(&ts, NULL);
	}
}

void filepass_join(struct session *s)
{
	if (!s->file_pass)
		return;
	atomic_store_explicit(&s->packets_done, true, memory_order_release);
	pthread_join(s->file_thread, NULL);
	s->file_pass = false;
}

/* Flows from..to attributed and counted into b. */
struct report_part {
	const struct session *s;
	size_t from, to;
	struct report_builder b;
	int rc;
};

static void *report_part_main(void *arg)
{
	struct report_part *p = arg;
	struct attribution a;
	const struct flowtab *ft = p->s->flows;

	for (size_t i = p->from; i < p->to && p->rc == 0; i++) {
		const struct tuple *t = flowtab_key(ft, i);
		int64_t first, last;

		flowtab_times(ft, i, &first, &last);
		pins_attribute(p->s->pins, p->s->res, i, t, &a);
		session_attribute_more(p->s, t, &a);
		p->rc = builder_flow(&p->b, &a, t, flowtab_counts(ft, i), first, last);
	}
	return NULL;
}

/*
 * From this many flows on, a second thread attributes half of them (the
 * resolver is only read now): a tenth of a second at 100,000 flows.
 * Connection rows stay in one thread (their order does not matter, but
 * one list is simpler than two).
 */
#define REPORT_SPLIT_MIN 4096

/*
 * The flows attributed while packets were read (a regular file's one
 * report): only their counters now. The plans are used up.
 */
static int take_early(struct session *s, struct report_builder *b, size_t *first)
{
	int rc = 0;

	*first = 0;
	if (s->nearly > 0 && b->ag) {
		for (size_t i = 0; i < s->nearly; i++)
			aggregate_apply(s->early_ag, hmap_key(s->plans, s->early[i]),
					flowtab_counts(s->flows, i));
		rc = aggregate_merge(b->ag, s->early_ag);
		*first = s->nearly;
	}
	s->early_used = *first;
	aggregate_free(s->early_ag);
	hmap_free(s->plans);
	free(s->early);
	s->early_ag = NULL;
	s->plans = NULL;
	s->early = NULL;
	s->nearly = s->early_cap = 0;
	return rc;
}

int filepass_report_all(struct session *s, enum report_kind kind)
{
	size_t nflows = flowtab_count(s->flows), first = 0;
	struct report_part main_part = { s, 0, nflows, { 0 }, 0 }, other = { s, nflows, nflows, { 0 }, 0 };
	struct summary sum;
	pthread_t thread;
	bool split = false;
	int rc = builder_init(&main_part.b, s);

	/* Plans are only whole once the capture thread is done with the file. */
	if (rc == 0 && kind != REPORT_PARTIAL)
		rc = take_early(s, &main_part.b, &first);
	main_part.from = first;
	if (rc == 0 && !s->cfg.connections && nflows - first >= REPORT_SPLIT_MIN) {
		sigset_t all, old;

		other.from = main_part.to = first + (nflows - first) / 2;
		other.rc = builder_init(&other.b, s);
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		split = other.rc == 0 &&
			pthread_create(&thread, NULL, report_part_main, &other) == 0;
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
			rc = aggregate_merge(main_part.b.ag, other.b.ag);
	}
	builder_free(&other.b);
	memset(&sum, 0, sizeof(sum));
	sum.kind = kind;
	sum.interval_us = s->cfg.interval_us;
	sum.totals = s->totals;
	session_span(s, &sum.start_us, &sum.end_us);
	if (rc != 0)
		errno = ENOMEM;
	else
		rc = builder_emit(s, &main_part.b, &sum, flowtab_overflow(s->flows));
	builder_free(&main_part.b);
	return rc;
}
