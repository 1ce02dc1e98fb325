/*
 * walkplan.h - which processes a walk of /proc/PID/fd reads, in what
 * order, and when it stops: the policy of the fd walks (fdsrc.c), apart
 * from their I/O, so that it can be tested on made-up pids.
 *
 * A walk is a sequence of steps, each naming a pid and how to read it;
 * the walker reads them in turn while sockets remain unplaced, and stops
 * at the first step the plan has no more of. Nothing here reads a file.
 */
#ifndef PROCTRAF_WALKPLAN_H
#define PROCTRAF_WALKPLAN_H

#include <stdbool.h>
#include <stddef.h>

#define WALK_RECENT 8		/* pids credited lately, looked at first */
#define WALK_YOUNG 32		/* the youngest pids of the last deep walk */
#define WALK_QUICK_MAX 512	/* new pids a quick walk reads; more: a deep walk */
#define WALK_QUICK_AGAIN 16	/* pids before the last walk's newest, read again */

/* How a step reads its pid. */
enum walk_how {
	WALK_TASK,		/* the whole fd table of a pid that may be a thread's id */
	WALK_WHOLE,		/* the whole fd table of a process */
	WALK_HINTED,		/* where its next socket most likely is, then around its last fds */
	WALK_HINTED_PROBED,	/* the same, its likeliest fds looked at already */
	WALK_CHECK_CLOSED,	/* no pid: ask whether the sockets sought are closed already */
	WALK_REGISTER,		/* the pid read before this step is known from now on */
};

struct walk_step {
	enum walk_how how;
	int pid;		/* 0 for WALK_CHECK_CLOSED */
	bool always;		/* taken even when no socket is left to place */
};

/*
 * How many pids the kernel gave out after prev up to now (both taken from
 * ns_last_pid; pids wrap at pid_max): -1 when either is unknown, or when
 * there are more than max of them.
 */
long walkplan_new_count(long prev, long now, long pid_max, long max);

/* The pid given out before pid (wrapping below 1 to pid_max - 1). */
long walkplan_prev_pid(long pid, long pid_max);

/*
 * Sort pids newest first: by distance below last, the last pid given out
 * (wrapping at max); with max 0 (unknown), highest first.
 */
void walkplan_sort_by_age(int *pids, size_t n, long last, long max);

/*
 * The quick walk for new flows. Its steps: the pids given out since the
 * last walk (prev, exclusive) up to now, newest first (WALK_TASK); a
 * check for sockets closed meanwhile; the processes credited lately
 * (recent[], 0 for none: WALK_HINTED_PROBED, their likeliest fds looked
 * at already); the WALK_QUICK_AGAIN pids up to prev (WALK_TASK: one may
 * have opened its socket just after the last walk read it); last, the
 * youngest pids the last deep walk met (WALK_HINTED).
 */
struct quick_plan {
	long now, prev, pid_max, n_new;
	const int *recent;	/* WALK_RECENT of them */
	const int *young;
	size_t nyoung;
	int phase;
	long k, cur;		/* steps taken in this phase; the pid of the next */
};

/* false: no quick walk can be made (n_new unknown, or too many): a deep walk must. */
bool quick_plan_start(struct quick_plan *p, long prev, long now, long pid_max,
		      const int *recent, const int *young, size_t nyoung);
bool quick_plan_next(struct quick_plan *p, struct walk_step *s);

/*
 * The deep walk, over a listing of /proc split into the pids no walk has
 * read (fresh) and the known ones, both sorted newest first. Its steps:
 * every fresh pid (WALK_WHOLE, then WALK_REGISTER), a check for closed
 * sockets, then the known ones (WALK_WHOLE). The first deep walk of a
 * resolver with nothing to place reads no fds: it only registers the
 * fresh pids, so that later walks know them.
 */
struct deep_plan {
	const int *fresh, *known;
	size_t nfresh, nknown;
	bool register_only;
	int phase;
	size_t k;
};

void deep_plan_start(struct deep_plan *p, const int *fresh, size_t nfresh, const int *known,
		     size_t nknown, bool first_walk, bool nothing_to_place);
bool deep_plan_next(struct deep_plan *p, struct walk_step *s);

/*
 * The youngest pids of a deep walk's listing (fresh first, then known,
 * each newest first): copied into young[0..cap); how many.
 */
size_t walkplan_youngest(const int *fresh, size_t nfresh, const int *known, size_t nknown,
			 int *young, size_t cap);

/*
 * The fds a hinted read looks at, for a process whose table had nfds fds
 * up to max_fd when last read whole: from first to last, until misses fds
 * in a row above max_fd are missing. false: read the table whole (a small
 * one, or one never read whole).
 */
#define WALK_HINT_MIN 64	/* below this many fds, read the table whole */
#define WALK_HINT_BELOW 32
#define WALK_HINT_ABOVE 64
#define WALK_HINT_MISSES 16

struct fd_window {
	int first, last, misses;
};

bool walkplan_fd_window(int nfds, int max_fd, struct fd_window *w);

/* Remember pid as credited last: moved (or put) first in recent[0..WALK_RECENT). */
void walkplan_note_recent(int *recent, int pid);

#endif
