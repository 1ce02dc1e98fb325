/*
 * sessowners.c - a live session's owner source: the kernel's (kowners.h)
 * in front of the resolver, or /proc alone; see session.h and
 * session_priv.h.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "session_priv.h"

/*
 * After the ring buffer says reports wait, kread lets more come for this
 * long before it takes them in: one wake-up for a burst (a process that
 * makes a hundred sockets), at most 1000 / KREAD_GAP_MS a second however
 * many sockets the host makes, and still a few milliseconds from a
 * report to its process's command line.
 */
#define KREAD_GAP_MS 5

/* Load the kernel's owner source if asked. 0, or 1 with err. */
static int open_kowners(struct session *s, char *err, size_t errlen)
{
	char why[sizeof(s->kown_why)];
	struct kowners_opts ko = { s->cfg.owners_debug, s->cfg.owners_ring_bytes };
	int e;

	if (s->cfg.file || s->cfg.owners == OWNERS_MODE_PROC)
		return 0;
	e = kowners_open(&s->kown, &ko, why, sizeof(why));
	if (e == 0)
		return 0;
	if (s->cfg.owners == OWNERS_MODE_KERNEL) {
		snprintf(err, errlen, "--owners=kernel: cannot load the in-kernel owner source: %s",
			 why);
		return 1;
	}
	/* Auto: /proc, and why, for the command line to say once. */
	snprintf(s->kown_why, sizeof(s->kown_why), "%s", why);
	return 0;
}

int sessowners_open(struct session *s, struct capture_opts *co, char *err, size_t errlen)
{
	if (open_kowners(s, err, errlen) != 0)
		return 1;
	/* Real-time priority only where it still helps: to race /proc. */
	if (s->kown && !s->cfg.realtime)
		s->cfg.no_realtime = true;
	if (s->kown)
		co->buffer_ms = BUFFER_MS;
	s->grace_us = s->kown ? BUFFER_GRACE_US : GRACE_US;
	if (s->cfg.resolve_interval <= 0)
		s->cfg.resolve_interval = s->kown ? RESOLVE_INTERVAL_KERNEL : RESOLVE_INTERVAL_PROC;
	return 0;
}

int session_owners(const struct session *s, const char **why)
{
	if (why)
		*why = s->kown_why[0] ? s->kown_why : NULL;
	return s->totals.owners;
}

bool session_realtime(const struct session *s)
{
	return s->totals.live && !s->cfg.no_realtime;
}

uint64_t session_owners_lost(const struct session *s)
{
	return s->kown ? kowners_lost(s->kown) : 0;
}

const char *session_owners_error(const struct session *s)
{
	return s->kown_err[0] ? s->kown_err : NULL;
}

/*
 * The kernel's reports as they come: waits on the ring buffer's
 * descriptor (and the stop eventfd), and takes them in under res_lock, as
 * the resolver thread does every KPOLL_S. Ends when asked, or when the
 * source failed (kown_err), whose descriptor would stay readable.
 */
static void *kread_main(void *arg)
{
	struct session *s = arg;
	const struct timespec gap = { 0, KREAD_GAP_MS * 1000000L };
	struct pollfd p[2];
	bool failed = false;

	p[0].fd = kowners_fd(s->kown);
	p[0].events = POLLIN;
	p[1].fd = s->kread_stop;
	p[1].events = POLLIN;
	while (!failed) {
		int n = poll(p, 2, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || p[1].revents || (p[0].revents & ~POLLIN))
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		nanosleep(&gap, NULL);
		pthread_mutex_lock(&s->res_lock);
		(void)kowners_poll(s->kown, s->kown_err, sizeof(s->kown_err));
		failed = s->kown_err[0] != '\0';
		pthread_mutex_unlock(&s->res_lock);
	}
	return NULL;
}

void sessowners_start(struct session *s)
{
	sigset_t all, old;

	if (!s->kown || !s->threaded || kowners_fd(s->kown) < 0)
		return;
	s->kread_stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->kread_stop < 0)
		return;
	/* Signals go to the capture thread, as for the resolver thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	s->kread_on = pthread_create(&s->kread, NULL, kread_main, s) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->kread_on)
		close(s->kread_stop);
}

void sessowners_stop(struct session *s)
{
	uint64_t one = 1;

	if (!s->kread_on)
		return;
	if (write(s->kread_stop, &one, sizeof(one)) != (ssize_t)sizeof(one))
		perror("proctraf: eventfd");
	pthread_join(s->kread, NULL);
	close(s->kread_stop);
	s->kread_on = false;
}
