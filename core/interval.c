/*
 * interval.c - reports during a run: one per --interval, with that
 * interval's counters, and SIGUSR1's report of the run so far.
 *
 * At an interval's end the capture thread takes a snapshot: each flow's
 * counters since the last end (the flow table keeps running totals, so
 * the deltas add up to them exactly), its times, and the totals. Reading
 * a file, the snapshot is reported at once; live, it goes to a reporter
 * thread, which attributes its flows under the resolver's lock and emits
 * the report, so that neither waiting for a pass of the resolver nor
 * writing the output ever holds up the packets.
 *
 * A flow that no owner explains yet, and that no pass of the resolver has
 * looked for since it was made, is carried: its counters go into the
 * next interval's report, until a pass has looked for it (at most
 * --resolve-interval and a pass later) or the run ends. Its bytes then
 * land on its owner (or its unknown row) in the interval it is reported
 * in: never lost, never counted twice.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "session_priv.h"

struct entry {
	size_t idx;		/* flow number */
	struct flow_counts c;	/* counters to report */
	int64_t first_us, last_us;
	unsigned seq;		/* pass_started when the flow was made (live) */
};

struct job {
	struct summary sum;
	struct entry *e;
	size_t n;
	struct flow_counts overflow;
	struct job *next;
};

struct interval {
	/* capture thread */
	struct flow_counts *seen;	/* per flow: its counters at the last end */
	size_t seen_cap;
	unsigned *seq;			/* per flow: pass_started when made (live) */
	size_t seq_cap;
	struct flow_counts seen_overflow;
	struct totals seen_totals;
	unsigned index;			/* intervals ended */
	int64_t start_us;		/* this interval's start; TIME_NONE: not yet */

	/* whoever reports (the reporter thread, then the capture thread) */
	struct entry *carry;
	size_t ncarry, carry_cap;

	/* reporter thread (live) */
	bool reporter;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *head, *tail;
	bool stop;
};

static void job_free(struct job *j)
{
	if (j) {
		free(j->e);
		free(j);
	}
}

/* ---- reporting a snapshot ------------------------------------------ */

static bool unexplained(const struct attribution *a)
{
	return a->reason != REASON_NONE || a->end_reason[0] != REASON_NONE ||
	       a->end_reason[1] != REASON_NONE;
}

static void add_counts(struct flow_counts *to, const struct flow_counts *c)
{
	for (int d = 0; d < 2; d++) {
		to->bytes[d] += c->bytes[d];
		to->packets[d] += c->packets[d];
	}
}

/*
 * The job's entries and the carried ones, in flow order (both lists
 * are): one entry per flow. NULL on out of memory.
 */
static struct entry *merge_carry(struct interval *iv, const struct job *j, size_t *n)
{
	struct entry *m = malloc((j->n + iv->ncarry + 1) * sizeof(*m));
	size_t a = 0, b = 0, k = 0;

	if (!m)
		return NULL;
	while (a < j->n || b < iv->ncarry) {
		if (b == iv->ncarry || (a < j->n && j->e[a].idx < iv->carry[b].idx)) {
			m[k++] = j->e[a++];
		} else if (a == j->n || iv->carry[b].idx < j->e[a].idx) {
			m[k++] = iv->carry[b++];
		} else {
			m[k] = j->e[a++];
			add_counts(&m[k].c, &iv->carry[b].c);
			if (iv->carry[b].first_us < m[k].first_us)
				m[k].first_us = iv->carry[b].first_us;
			b++;
			k++;
		}
	}
	*n = k;
	return m;
}

static int carry(struct interval *iv, const struct entry *e)
{
	void *arr = iv->carry;

	if (!array_reserve(&arr, &iv->carry_cap, iv->ncarry + 1, sizeof(*iv->carry)))
		return -1;
	iv->carry = arr;
	iv->carry[iv->ncarry++] = *e;
	return 0;
}

/*
 * Reading a file: the resolver is whole once the pass over /proc is over.
 * From a pipe (a capture still running), the flows no socket explains are
 * looked up again, as at the end of a run (final_pass in session.c).
 */
static void file_ready(struct session *s, const struct entry *e, size_t n)
{
	struct tuple *t;
	size_t m = 0;

	filepass_wait_ready(s);
	if (s->early_ok)
		return;		/* its thread still reads the resolver */
	filepass_join(s);
	if (s->file_regular || n == 0)
		return;
	t = malloc(n * sizeof(*t));
	if (!t)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct tuple *k = flowtab_key(s->flows, e[i].idx);
		if (!resolver_explains(s->res, k))
			t[m++] = *k;
	}
	if (m > 0)
		resolver_refresh_flows(s->res, t, m, true);
	free(t);
}

/* Attribute a snapshot's flows, carry the young unexplained ones (unless final), emit. */
static int report_job(struct session *s, struct job *j, bool final)
{
	struct interval *iv = s->iv;
	struct report_builder b;
	struct report_data d;
	struct attribution a;
	bool may_carry = !final && s->totals.live && j->sum.kind == REPORT_INTERVAL;
	unsigned done = atomic_load_explicit(&s->pass_done, memory_order_acquire);
	size_t n = j->n;
	struct entry *e = j->e, *merged = NULL;
	int rc = builder_init(&b, s);

	if (rc == 0 && j->sum.kind == REPORT_INTERVAL) {
		merged = merge_carry(iv, j, &n);
		e = merged;
		iv->ncarry = 0;
		if (!merged)
			rc = -1;
	}
	if (!s->totals.live)
		file_ready(s, e, rc == 0 ? n : 0);
	if (s->threaded)
		pthread_mutex_lock(&s->res_lock);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct tuple *t = flowtab_key(s->flows, e[i].idx);

		pins_attribute(s->pins, s->res, e[i].idx, t, &a);
		session_attribute_more(s, t, &a);
		if (may_carry && done <= e[i].seq && unexplained(&a))
			rc = carry(iv, &e[i]);
		else
			rc = builder_flow(&b, &a, t, &e[i].c, e[i].first_us, e[i].last_us);
	}
	if (rc == 0)
		rc = builder_data(&b, &j->sum, &j->overflow, &d);
	/* Other threads go on learning processes once the lock is let go. */
	if (rc == 0 && s->threaded)
		rc = builder_freeze(&b, &d);
	if (s->threaded)
		pthread_mutex_unlock(&s->res_lock);
	if (rc != 0)
		errno = ENOMEM;
	else
		rc = session_emit(s, &d);
	builder_free(&b);
	free(merged);
	return rc;
}

/* ---- the reporter thread ------------------------------------------- */

static void *reporter_main(void *arg)
{
	struct session *s = arg;
	struct interval *iv = s->iv;

	pthread_mutex_lock(&iv->lock);
	for (;;) {
		struct job *j;

		while (!iv->head && !iv->stop)
			pthread_cond_wait(&iv->wake, &iv->lock);
		j = iv->head;
		if (!j)
			break;	/* stopped, nothing left */
		iv->head = j->next;
		if (!iv->head)
			iv->tail = NULL;
		pthread_mutex_unlock(&iv->lock);
		if (report_job(s, j, false) != 0)
			atomic_store(&s->emit_failed, true);
		job_free(j);
		pthread_mutex_lock(&iv->lock);
	}
	pthread_mutex_unlock(&iv->lock);
	return NULL;
}

int interval_open(struct session *s)
{
	struct interval *iv = calloc(1, sizeof(*iv));
	sigset_t all, old;

	if (!iv)
		return -1;
	iv->start_us = TIME_NONE;
	s->iv = iv;
	if (!s->totals.live)
		return 0;
	pthread_mutex_init(&iv->lock, NULL);
	pthread_cond_init(&iv->wake, NULL);
	/* Signals go to the capture thread, whose poll() they interrupt. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	iv->reporter = pthread_create(&iv->thread, NULL, reporter_main, s) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!iv->reporter) {
		pthread_cond_destroy(&iv->wake);
		pthread_mutex_destroy(&iv->lock);
	}
	return 0;
}

void interval_stop_reporter(struct session *s)
{
	struct interval *iv = s->iv;

	if (!iv || !iv->reporter)
		return;
	pthread_mutex_lock(&iv->lock);
	iv->stop = true;
	pthread_cond_signal(&iv->wake);
	pthread_mutex_unlock(&iv->lock);
	pthread_join(iv->thread, NULL);
	iv->reporter = false;
	pthread_cond_destroy(&iv->wake);
	pthread_mutex_destroy(&iv->lock);
}

void interval_close(struct session *s)
{
	struct interval *iv = s->iv;

	if (!iv)
		return;
	interval_stop_reporter(s);
	while (iv->head) {
		struct job *j = iv->head;
		iv->head = j->next;
		job_free(j);
	}
	free(iv->seen);
	free(iv->seq);
	free(iv->carry);
	free(iv);
	s->iv = NULL;
}

/* Live: hand the job to the reporter; else (or without one) report it now. */
static int dispatch(struct session *s, struct job *j)
{
	struct interval *iv = s->iv;
	int rc;

	if (iv->reporter) {
		pthread_mutex_lock(&iv->lock);
		if (iv->tail)
			iv->tail->next = j;
		else
			iv->head = j;
		iv->tail = j;
		pthread_cond_signal(&iv->wake);
		pthread_mutex_unlock(&iv->lock);
		return 0;
	}
	rc = report_job(s, j, false);
	job_free(j);
	return rc;
}

/* ---- snapshots (capture thread) ------------------------------------ */

void interval_flow_made(struct session *s, size_t idx)
{
	struct interval *iv = s->iv;
	void *arr;

	if (!iv || s->cfg.interval_us <= 0)
		return;
	arr = iv->seq;
	if (!array_reserve(&arr, &iv->seq_cap, idx + 1, sizeof(*iv->seq)))
		return;	/* then it counts as looked for: reported at once */
	iv->seq = arr;
	iv->seq[idx] = atomic_load_explicit(&s->pass_started, memory_order_relaxed);
}

static bool same(const struct flow_counts *a, const struct flow_counts *b)
{
	return a->packets[0] == b->packets[0] && a->packets[1] == b->packets[1];
}

static void sub_counts(struct flow_counts *d, const struct flow_counts *now,
		       const struct flow_counts *then)
{
	for (int k = 0; k < 2; k++) {
		d->bytes[k] = now->bytes[k] - then->bytes[k];
		d->packets[k] = now->packets[k] - then->packets[k];
	}
}

static struct totals totals_delta(const struct totals *now, const struct totals *then)
{
	struct totals d = *now;

	d.packets -= then->packets;
	d.ip_bytes -= then->ip_bytes;
	d.not_ip -= then->not_ip;
	d.malformed -= then->malformed;
	d.duplicates -= then->duplicates;
	d.kernel_drops -= then->kernel_drops;
	d.if_drops -= then->if_drops;
	d.owners_lost -= then->owners_lost;
	return d;
}

/* The flows' counters (since the last end, or all of them): a new job. */
static struct job *snapshot(struct session *s, bool since_last)
{
	struct interval *iv = s->iv;
	size_t nflows = flowtab_count(s->flows), n = 0;
	struct job *j = calloc(1, sizeof(*j));
	void *arr = iv->seen;
	size_t old_cap = iv->seen_cap, cap = 0;

	if (!j)
		return NULL;
	if (since_last && !array_reserve(&arr, &iv->seen_cap, nflows, sizeof(*iv->seen))) {
		job_free(j);
		return NULL;
	}
	if (since_last && iv->seen_cap > old_cap) {
		iv->seen = arr;
		memset(iv->seen + old_cap, 0, (iv->seen_cap - old_cap) * sizeof(*iv->seen));
	}
	for (size_t i = 0; i < nflows; i++) {
		const struct flow_counts *c = flowtab_counts(s->flows, i);
		struct entry *e;

		if (since_last && same(c, &iv->seen[i]))
			continue;
		/* As many entries as flows that moved: not one per flow of the table. */
		arr = j->e;
		if (!array_reserve(&arr, &cap, n + 1, sizeof(*j->e))) {
			job_free(j);
			return NULL;
		}
		j->e = arr;
		e = &j->e[n];
		e->idx = i;
		if (since_last) {
			sub_counts(&e->c, c, &iv->seen[i]);
			iv->seen[i] = *c;
		} else {
			e->c = *c;
		}
		flowtab_times(s->flows, i, &e->first_us, &e->last_us);
		e->seq = iv->seq && i < iv->seq_cap ? iv->seq[i] : 0;
		n++;
	}
	j->n = n;
	return j;
}

int64_t interval_next_end(const struct session *s)
{
	const struct interval *iv = s->iv;
	int64_t start;

	if (!iv || s->cfg.interval_us <= 0)
		return TIME_NONE;
	start = s->totals.live ? s->start_us : s->first_us;
	return start + (int64_t)(iv->index + 1) * s->cfg.interval_us;
}

static void live_drops(struct session *s)
{
	if (!s->totals.live)
		return;
	capture_drops(s->cap, &s->totals.kernel_drops, &s->totals.if_drops);
	s->totals.owners_lost = session_owners_lost(s);
}

int interval_end(struct session *s, int64_t end_us)
{
	struct interval *iv = s->iv;
	const struct flow_counts *ov = flowtab_overflow(s->flows);
	struct job *j;

	live_drops(s);
	j = snapshot(s, true);
	if (!j) {
		errno = ENOMEM;
		return -1;
	}
	if (iv->start_us == TIME_NONE)
		iv->start_us = s->totals.live ? s->start_us : s->first_us;
	iv->index++;
	j->sum.kind = REPORT_INTERVAL;
	j->sum.index = iv->index;
	j->sum.interval_us = s->cfg.interval_us;
	j->sum.start_us = iv->start_us;
	j->sum.end_us = end_us;
	j->sum.totals = totals_delta(&s->totals, &iv->seen_totals);
	sub_counts(&j->overflow, ov, &iv->seen_overflow);
	iv->seen_overflow = *ov;
	iv->seen_totals = s->totals;
	iv->start_us = end_us;
	return dispatch(s, j);
}

int interval_partial(struct session *s)
{
	struct job *j;

	if (!s->totals.live) {
		filepass_wait_ready(s);
		return filepass_report_all(s, REPORT_PARTIAL);
	}
	live_drops(s);
	j = snapshot(s, false);
	if (!j) {
		errno = ENOMEM;
		return -1;
	}
	j->sum.kind = REPORT_PARTIAL;
	j->sum.interval_us = s->cfg.interval_us;
	j->sum.totals = s->totals;
	session_span(s, &j->sum.start_us, &j->sum.end_us);
	j->overflow = *flowtab_overflow(s->flows);
	return dispatch(s, j);
}

int interval_finish(struct session *s)
{
	struct interval *iv = s->iv;
	int64_t start, end;
	struct job *j;
	int rc;

	if (s->cfg.interval_us <= 0)
		return filepass_report_all(s, REPORT_ONCE);
	session_span(s, &start, &end);
	/*
	 * The ends no packet came to close (a file's packets stopped before
	 * -d did, say): every interval is reported, as live.
	 */
	while (end != TIME_NONE && interval_next_end(s) < end &&
	       (s->deadline_us == 0 || interval_next_end(s) < s->deadline_us)) {
		if (interval_end(s, interval_next_end(s)) != 0)
			return -1;
	}
	j = snapshot(s, true);
	if (!j) {
		errno = ENOMEM;
		return -1;
	}
	if (iv->start_us == TIME_NONE)
		iv->start_us = start;
	j->sum.kind = REPORT_INTERVAL;
	j->sum.index = ++iv->index;
	j->sum.interval_us = s->cfg.interval_us;
	j->sum.start_us = iv->start_us;
	j->sum.end_us = end;
	j->sum.totals = totals_delta(&s->totals, &iv->seen_totals);
	sub_counts(&j->overflow, flowtab_overflow(s->flows), &iv->seen_overflow);
	rc = report_job(s, j, true);
	job_free(j);
	if (rc == 0 && s->cfg.total)
		rc = filepass_report_all(s, REPORT_TOTAL);
	return rc;
}
