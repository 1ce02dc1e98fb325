/*
 * rtprio.h - a thread's real-time priority, within a CPU budget.
 *
 * A thread that must answer a packet at once (the capture thread, the
 * resolver's quick passes) asks for SCHED_FIFO 1, so that a busy core
 * does not make it wait for a scheduler tick. It must never take a core
 * from the host: whenever it used more than RT_CPU_MAX of a core over a
 * window of RT_WINDOW seconds, it is refused real time for RT_BACKOFF
 * seconds.
 */
#ifndef PROCTRAF_RTPRIO_H
#define PROCTRAF_RTPRIO_H

#include <stdbool.h>

#define RT_WINDOW 0.1
#define RT_CPU_MAX 0.5
#define RT_BACKOFF 1.0

struct rt_budget {
	bool allowed;			/* false: never (not wanted, or refused) */
	bool on;			/* the thread is at SCHED_FIFO now */
	double start, cpu;		/* this window: its start, the CPU time then */
	double off_until;		/* refused real time until then */
	double (*cpu_now)(void *ctx);	/* the thread's CPU time, seconds */
	void *ctx;
};

/* The calling thread's CPU time in seconds (CLOCK_THREAD_CPUTIME_ID). */
double rt_thread_cpu(void *unused);

/* Start a budget at now; cpu_now NULL: rt_thread_cpu. */
void rt_budget_start(struct rt_budget *b, bool allowed, double now,
		     double (*cpu_now)(void *ctx), void *ctx);

/* May the thread be at real-time priority at now? (Closes windows as they end.) */
bool rt_budget_may(struct rt_budget *b, double now);

/*
 * Put the calling thread at SCHED_FIFO 1 (on) or SCHED_OTHER; nothing if
 * not allowed or already so. Refused (no root, no CAP_SYS_NICE): the
 * budget is no longer allowed, and the thread stays as it was.
 */
void rt_thread_set(struct rt_budget *b, bool on);

#endif
