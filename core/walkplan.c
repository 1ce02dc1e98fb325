/* walkplan.c - the order and the end of the fd walks; see walkplan.h. */
#include "walkplan.h"

#include <string.h>

long walkplan_new_count(long prev, long now, long pid_max, long max)
{
	long n;

	if (prev < 0 || now < 0 || pid_max <= 0 || prev >= pid_max || now >= pid_max)
		return -1;
	n = (now - prev + pid_max) % pid_max;
	/* Wrapped: there is no pid 0 between pid_max - 1 and 1. */
	if (now < prev && n > 0)
		n--;
	return n > max ? -1 : n;
}

long walkplan_prev_pid(long pid, long pid_max)
{
	return pid > 1 ? pid - 1 : pid_max - 1;
}

/* Distance below last, wrapping at max: 0 for the newest. */
static long age(int pid, long last, long max)
{
	return max > 0 ? ((last - pid) % max + max) % max : -(long)pid;
}

void walkplan_sort_by_age(int *pids, size_t n, long last, long max)
{
	/* n may be large (every process of the host): shell sort, in place. */
	for (size_t gap = n / 2; gap > 0; gap /= 2) {
		for (size_t i = gap; i < n; i++) {
			int v = pids[i];
			size_t j = i;

			while (j >= gap && age(pids[j - gap], last, max) > age(v, last, max)) {
				pids[j] = pids[j - gap];
				j -= gap;
			}
			pids[j] = v;
		}
	}
}

bool quick_plan_start(struct quick_plan *p, long prev, long now, long pid_max,
		      const int *recent, const int *young, size_t nyoung)
{
	memset(p, 0, sizeof(*p));
	p->n_new = walkplan_new_count(prev, now, pid_max, WALK_QUICK_MAX);
	if (p->n_new < 0)
		return false;
	p->now = now;
	p->prev = prev;
	p->pid_max = pid_max;
	p->recent = recent;
	p->young = young;
	p->nyoung = nyoung;
	p->k = 0;
	p->cur = now;
	return true;
}

/* The phases of a quick walk, in order. */
enum { Q_NEW, Q_CHECK, Q_RECENT, Q_AGAIN, Q_YOUNG, Q_DONE };

bool quick_plan_next(struct quick_plan *p, struct walk_step *s)
{
	s->always = false;
	for (;;) {
		switch (p->phase) {
		case Q_NEW:
			if (p->k < p->n_new) {
				p->k++;
				s->how = WALK_TASK;
				s->pid = (int)p->cur;
				p->cur = walkplan_prev_pid(p->cur, p->pid_max);
				return true;
			}
			p->phase = Q_CHECK;
			break;
		case Q_CHECK:
			p->phase = Q_RECENT;
			p->k = 0;
			s->how = WALK_CHECK_CLOSED;
			s->pid = 0;
			return true;
		case Q_RECENT:
			while (p->k < WALK_RECENT) {
				int pid = p->recent[p->k++];

				if (pid > 0) {
					s->how = WALK_HINTED_PROBED;
					s->pid = pid;
					return true;
				}
			}
			p->phase = Q_AGAIN;
			p->k = 0;
			p->cur = p->prev;
			break;
		case Q_AGAIN:
			if (p->k < WALK_QUICK_AGAIN) {
				p->k++;
				s->how = WALK_TASK;
				s->pid = (int)p->cur;
				p->cur = walkplan_prev_pid(p->cur, p->pid_max);
				return true;
			}
			p->phase = Q_YOUNG;
			p->k = 0;
			break;
		case Q_YOUNG:
			if ((size_t)p->k < p->nyoung) {
				s->how = WALK_HINTED;
				s->pid = p->young[p->k++];
				return true;
			}
			p->phase = Q_DONE;
			break;
		default:
			return false;
		}
	}
}

void deep_plan_start(struct deep_plan *p, const int *fresh, size_t nfresh, const int *known,
		     size_t nknown, bool first_walk, bool nothing_to_place)
{
	memset(p, 0, sizeof(*p));
	p->fresh = fresh;
	p->nfresh = nfresh;
	p->known = known;
	p->nknown = nknown;
	/* Nothing to place on the first walk: only take note of every process. */
	p->register_only = first_walk && nothing_to_place;
}

/* The phases of a deep walk, in order. */
enum { D_FRESH, D_REGISTER, D_CHECK, D_KNOWN, D_DONE };

bool deep_plan_next(struct deep_plan *p, struct walk_step *s)
{
	for (;;) {
		switch (p->phase) {
		case D_FRESH:
			if (p->k >= p->nfresh) {
				p->phase = D_CHECK;
				break;
			}
			/* Every fresh process is read, to know its fd table from now on. */
			s->pid = p->fresh[p->k];
			s->always = true;
			if (p->register_only) {
				p->k++;
				s->how = WALK_REGISTER;
			} else {
				s->how = WALK_WHOLE;
				p->phase = D_REGISTER;
			}
			return true;
		case D_REGISTER:
			s->how = WALK_REGISTER;
			s->pid = p->fresh[p->k++];
			s->always = true;
			p->phase = D_FRESH;
			return true;
		case D_CHECK:
			p->phase = D_KNOWN;
			p->k = 0;
			if (p->nknown == 0 || p->register_only)
				break;
			s->how = WALK_CHECK_CLOSED;
			s->pid = 0;
			s->always = false;
			return true;
		case D_KNOWN:
			if (p->k < p->nknown && !p->register_only) {
				s->how = WALK_WHOLE;
				s->pid = p->known[p->k++];
				s->always = false;
				return true;
			}
			p->phase = D_DONE;
			break;
		default:
			return false;
		}
	}
}

size_t walkplan_youngest(const int *fresh, size_t nfresh, const int *known, size_t nknown,
			 int *young, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < nfresh && n < cap; i++)
		young[n++] = fresh[i];
	for (size_t i = 0; i < nknown && n < cap; i++)
		young[n++] = known[i];
	return n;
}

bool walkplan_fd_window(int nfds, int max_fd, struct fd_window *w)
{
	if (nfds < WALK_HINT_MIN)
		return false;
	/* A growing process takes the next number: its new socket is near its highest fd. */
	w->first = max_fd > WALK_HINT_BELOW ? max_fd - WALK_HINT_BELOW : 0;
	w->last = max_fd <= __INT_MAX__ - WALK_HINT_ABOVE ? max_fd + WALK_HINT_ABOVE : __INT_MAX__;
	w->misses = WALK_HINT_MISSES;
	return true;
}

void walkplan_note_recent(int *recent, int pid)
{
	size_t j = 1;

	if (recent[0] == pid)
		return;
	while (j < WALK_RECENT - 1 && recent[j] != pid)
		j++;
	memmove(recent + 1, recent, j * sizeof(recent[0]));
	recent[0] = pid;
}
