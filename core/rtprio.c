/* rtprio.c - a thread's real-time priority within a CPU budget; see rtprio.h. */
#include "rtprio.h"

#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <time.h>

double rt_thread_cpu(void *unused)
{
	struct timespec ts;

	(void)unused;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void rt_budget_start(struct rt_budget *b, bool allowed, double now,
		     double (*cpu_now)(void *ctx), void *ctx)
{
	b->allowed = allowed;
	b->on = false;
	b->off_until = 0;
	b->cpu_now = cpu_now ? cpu_now : rt_thread_cpu;
	b->ctx = ctx;
	b->start = now;
	b->cpu = b->cpu_now(b->ctx);
}

bool rt_budget_may(struct rt_budget *b, double now)
{
	if (!b->allowed)
		return false;
	if (now >= b->start + RT_WINDOW) {
		double cpu = b->cpu_now(b->ctx);

		if (cpu - b->cpu > RT_CPU_MAX * (now - b->start))
			b->off_until = now + RT_BACKOFF;
		b->start = now;
		b->cpu = cpu;
	}
	return now >= b->off_until;
}

void rt_thread_set(struct rt_budget *b, bool on)
{
	struct sched_param sp = { .sched_priority = on ? 1 : 0 };

	if (!b->allowed || b->on == on)
		return;
	if (pthread_setschedparam(pthread_self(), on ? SCHED_FIFO : SCHED_OTHER, &sp) == 0)
		b->on = on;
	else if (on)
		b->allowed = false;
}
