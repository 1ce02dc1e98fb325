/*
 * sessowners.c - a live session's owner source: the kernel's (kowners.h)
 * in front of the resolver, or /proc alone; see session.h and
 * session_priv.h.
 */
#include <stdio.h>

#include "session_priv.h"

/* Load the kernel's owner source if asked. 0, or 1 with err. */
static int open_kowners(struct session *s, char *err, size_t errlen)
{
	char why[sizeof(s->kown_why)];
	int e;

	if (s->cfg.file || s->cfg.owners == OWNERS_MODE_PROC)
		return 0;
	e = kowners_open(&s->kown, s->cfg.owners_debug, why, sizeof(why));
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

const char *session_owners_error(const struct session *s)
{
	return s->kown_err[0] ? s->kown_err : NULL;
}
