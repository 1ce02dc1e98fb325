/* Unit tests: real-time priority within a CPU budget (core/rtprio.h). */
#include "unit.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "../../core/rtprio.h"

/* A thread's CPU time the test sets. */
static double fake_cpu(void *ctx)
{
	return *(const double *)ctx;
}

/* Half a core or less over a window keeps real time; more loses it for a second. */
static void budget_windows(void **state)
{
	struct rt_budget b;
	double cpu = 5.0;

	(void)state;
	rt_budget_start(&b, true, 100.0, fake_cpu, &cpu);
	assert_true(rt_budget_may(&b, 100.05));		/* within the first window */
	cpu += 0.049;					/* 49% of 0.1 s: under the limit */
	assert_true(rt_budget_may(&b, 100.1));
	cpu += 0.06;					/* 60% of the next 0.1 s */
	assert_false(rt_budget_may(&b, 100.2));
	/* A second off, whatever the thread does meanwhile. */
	assert_false(rt_budget_may(&b, 100.3));
	assert_false(rt_budget_may(&b, 101.1));
	assert_true(rt_budget_may(&b, 101.21));
	/* A long idle window, then a short busy one: measured over its own length. */
	cpu += 0.5;					/* 0.5 s of CPU over 3.8 s */
	assert_true(rt_budget_may(&b, 105.0));
	cpu += 0.2;					/* 0.2 s over 0.15 s: impossible, but over */
	assert_false(rt_budget_may(&b, 105.15));
}

/*
 * A sustained flood (issue 11, item 10): the thread is busy all the time and
 * looks at its budget only between two batches of STEP seconds (a dispatch
 * of DISPATCH_MAX packets, an interval's snapshot). Whatever CPU it gets
 * while at normal priority (none, part of a shared core, all of an idle
 * one), it holds real time for at most a window and one batch at once, and
 * over a long flood for no more than that in every RT_BACKOFF after.
 */
static void flood_bounded(void **state)
{
	static const double off_share[] = { 0.0, 0.4, 1.0 };
	const double step = 0.02;	/* longer than a dispatch measured (bench/rtflood.sh) */
	const double run = 60.0;

	(void)state;
	for (size_t k = 0; k < sizeof(off_share) / sizeof(off_share[0]); k++) {
		struct rt_budget b;
		double cpu = 0, now = 1000.0, fifo = 0, stretch = 0, longest = 0;

		rt_budget_start(&b, true, now, fake_cpu, &cpu);
		while (now < 1000.0 + run) {
			bool on = rt_budget_may(&b, now);

			/* At real time the flood has the core; else what the scheduler gives. */
			cpu += on ? step : step * off_share[k];
			now += step;
			if (on) {
				fifo += step;
				stretch += step;
				if (stretch > longest)
					longest = stretch;
			} else {
				stretch = 0;
			}
		}
		assert_true(longest <= RT_WINDOW + step + 1e-9);
		assert_true(fifo / run <= (RT_WINDOW + step) / (RT_WINDOW + step + RT_BACKOFF) + 0.01);
		/* Not refused for good: the thread has real time again after a backoff. */
		if (off_share[k] < RT_CPU_MAX)
			assert_true(fifo / run > 0.05);
	}
}

static void budget_not_allowed(void **state)
{
	struct rt_budget b;
	double cpu = 0;

	(void)state;
	rt_budget_start(&b, false, 0.0, fake_cpu, &cpu);
	assert_false(rt_budget_may(&b, 0.0));
	assert_false(rt_budget_may(&b, 10.0));
	rt_thread_set(&b, true);			/* not allowed: nothing changes */
	assert_false(b.on);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
}

/* The calling thread's policy follows; refused (not root): no longer allowed. */
static void thread_policy(void **state)
{
	struct rt_budget b;

	(void)state;
	rt_budget_start(&b, true, 0.0, NULL, NULL);
	assert_true(rt_thread_cpu(NULL) > 0);
	rt_thread_set(&b, true);
	if (geteuid() != 0) {
		assert_false(b.on);
		assert_false(b.allowed);
		assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
		return;
	}
	assert_true(b.on);
	assert_int_equal(sched_getscheduler(0), SCHED_FIFO);
	rt_thread_set(&b, false);
	assert_false(b.on);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(budget_windows),
		cmocka_unit_test(flood_bounded),
		cmocka_unit_test(budget_not_allowed),
		cmocka_unit_test(thread_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
