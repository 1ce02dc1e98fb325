/*
 * fdsrc.c - who holds a socket: the walks of /proc/PID/fd, in the order
 * and to the end walkplan.h decides; see resolve_priv.h.
 *
 * A deep walk goes in steps (fdsrc_deep_step: a process, or FD_STEP_LINKS
 * fds of a large one), so that the resolver's caller may look up new flows
 * between two (resolver_step) rather than wait for the whole walk.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "procinfo.h"
#include "resolve_priv.h"

#define FD_STEP_LINKS 256	/* fd links a step of a deep walk reads at most */
#define PID_LIMIT 4194304	/* the kernel's PID_MAX_LIMIT: no pid is larger */

long fdsrc_last_pid(struct resolver *r)
{
	char buf[32];
	long v;

	if (below_read_small(&r->root, "sys/kernel/ns_last_pid", buf, sizeof(buf)) <= 0)
		return -1;
	v = strtol(buf, NULL, 10);
	if (r->fd.pid_max == 0 &&
	    below_read_small(&r->root, "sys/kernel/pid_max", buf, sizeof(buf)) > 0)
		r->fd.pid_max = strtol(buf, NULL, 10);
	return v > 0 && v < r->fd.pid_max && r->fd.pid_max <= INT32_MAX ? v : -1;
}

/*
 * We were not allowed to read pid's fds (EACCES, EPERM: another user's
 * process, without CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE). A pid that may
 * be a thread's id is noted as its process's, so that a process counts once.
 */
static void note_denied(struct resolver *r, int pid, bool maybe_thread)
{
	rdb_note_denied(&r->db, maybe_thread ? procinfo_tgid(&r->root, pid) : pid);
}

/*
 * Reading one process's fd table: its fds are read first and its details
 * only then, and only if it holds a socket sought (a process about to
 * exit loses its fds before its name). A known pid is checked against pid
 * reuse before it is credited (rdb_credit).
 */
static bool scan_open(struct resolver *r, struct fd_scan *sc, int pid, bool maybe_thread)
{
	char path[64];

	memset(sc, 0, sizeof(*sc));
	sc->pid = pid;
	sc->maybe_thread = maybe_thread;
	sc->slot = HMAP_NONE;
	sc->max_fd = sc->last_fd = -1;
	snprintf(path, sizeof(path), "%d/fd", pid);
	sc->d = below_open_dir(&r->root, path);
	if (!sc->d && (errno == EACCES || errno == EPERM))
		note_denied(r, pid, maybe_thread);
	return sc->d != NULL;
}

/* Credit what was taken so far; false on out of memory. */
static bool scan_credit(struct resolver *r, struct fd_scan *sc)
{
	bool inserted;

	if (sc->ntake == 0)
		return true;
	if (sc->slot == HMAP_NONE) {
		/* A thread's id reaches its process's fds: credit the process. */
		int pid = sc->maybe_thread ? procinfo_tgid(&r->root, sc->pid) : sc->pid;

		sc->pid = pid;
		sc->maybe_thread = false;
		sc->slot = rdb_pid_slot(&r->db, pid, &inserted);
		if (sc->slot == HMAP_NONE)
			return false;
	}
	if (!rdb_credit(&r->db, &r->root, sc->pid, sc->slot, sc->take, sc->ntake))
		return false;
	sc->ntake = 0;
	return true;
}

static void scan_close(struct resolver *r, struct fd_scan *sc)
{
	closedir(sc->d);
	sc->d = NULL;
	/* A table cut short is no hint of where its fds end. */
	if (sc->slot != HMAP_NONE && !sc->cut) {
		struct fd_hint *h = &pid_at(&r->db, sc->slot)->hint;

		h->max_fd = sc->max_fd;
		h->nfds = sc->nfds;
		if (sc->last_fd >= 0)
			h->last_fd = sc->last_fd;
	}
}

/* One fd link of the table: a socket sought is taken. */
static void scan_link(struct resolver *r, struct fd_scan *sc, const char *name)
{
	char target[64];
	long fd = strtol(name, NULL, 10);
	uint64_t inode;
	ssize_t n;
	size_t j;

	if (fd > sc->max_fd && fd <= INT32_MAX)
		sc->max_fd = (int)fd;
	sc->nfds++;
	r->fd.links++;
	/* Read, never followed: a stand-in's links may point anywhere. */
	n = below_readlinkat(dirfd(sc->d), name, target, sizeof(target));
	/* The directory may be listed, its links not read (no CAP_SYS_PTRACE). */
	if (n < 0 && (errno == EACCES || errno == EPERM) && !sc->denied) {
		sc->denied = true;
		note_denied(r, sc->pid, sc->maybe_thread);
	}
	if (n > 0 && procnet_socket_link(target, (size_t)n, &inode) &&
	    (j = hmap_get(r->db.inodes, &inode)) != HMAP_NONE && rdb_may_take(&r->db, j, sc->pid)) {
		sc->take[sc->ntake++] = j;
		sc->last_fd = (int)fd;
	}
}

/*
 * Read on in an open table: at most limit links (0: to its end). true
 * while more remain (what was read is credited already: nothing is held
 * between two calls); false once the table is closed.
 */
static bool scan_more(struct resolver *r, struct fd_scan *sc, int limit)
{
	int since = 0;

	for (;;) {
		struct dirent *de = readdir(sc->d);
		bool pause = false;

		/* A stop: what was read so far is credited, as at the end of the table. */
		if (de && resolver_stop_here(r)) {
			de = NULL;
			sc->cut = true;
		}
		if (de) {
			if (de->d_name[0] == '.')
				continue;
			scan_link(r, sc, de->d_name);
			pause = limit > 0 && ++since >= limit;
			if (sc->ntake < FD_TAKE_MAX && !pause)
				continue;
		}
		if (!scan_credit(r, sc) || !de) {
			scan_close(r, sc);
			return false;
		}
		if (pause)
			return true;
	}
}

/* A whole fd table at once. */
static void scan_fds(struct resolver *r, int pid, bool maybe_thread)
{
	struct fd_scan sc;

	if (scan_open(r, &sc, pid, maybe_thread))
		scan_more(r, &sc, 0);
}

/*
 * Look at one fd of pid (which has a pid slot) and credit it with the
 * socket there if it may take it. -1: no such fd; 0: nothing credited
 * (or out of memory); 1: credited.
 */
static int probe_fd(struct resolver *r, int pid, size_t slot, int fd)
{
	char path[64], target[64];
	uint64_t inode;
	ssize_t n;
	size_t j;

	snprintf(path, sizeof(path), "%d/fd/%d", pid, fd);
	r->fd.links++;
	n = below_readlink(&r->root, path, target, sizeof(target));
	if (n < 0 && (errno == EACCES || errno == EPERM))
		note_denied(r, pid, false);
	if (n < 0 && errno == ENAMETOOLONG)
		return 0;	/* an fd, but no socket's */
	if (n <= 0)
		return -1;
	if (!procnet_socket_link(target, (size_t)n, &inode))
		return 0;
	j = hmap_get(r->db.inodes, &inode);
	if (j == HMAP_NONE || !rdb_may_take(&r->db, j, pid))
		return 0;
	if (!rdb_credit(&r->db, &r->root, pid, slot, &j, 1))
		return 0;
	pid_at(&r->db, slot)->hint.last_fd = fd;
	return 1;
}

/*
 * Look where pid's next socket most likely is: at the fd its last socket
 * had (a process that closes a connection and opens the next gets the
 * same number again), then just above it (one that opens several without
 * closing them). True if pid was credited with a socket.
 */
static bool probe_hint(struct resolver *r, int pid)
{
	int32_t key = pid;
	size_t slot = hmap_get(r->db.pids, &key);
	int fd;

	if (slot == HMAP_NONE || pid_at(&r->db, slot)->hint.nfds == 0)
		return false;
	fd = pid_at(&r->db, slot)->hint.last_fd;
	return probe_fd(r, pid, slot, fd) == 1 ||
	       (r->db.unowned > 0 && fd < INT32_MAX && probe_fd(r, pid, slot, fd + 1) == 1);
}

/*
 * A quick look at a process: with a large fd table, only the fds around
 * the highest it had (walkplan_fd_window); a small table, or one never
 * read whole, whole. probed: probe_hint(r, pid) was just called.
 */
static void scan_fds_quick(struct resolver *r, int pid, bool probed)
{
	int32_t key = pid;
	size_t slot = hmap_get(r->db.pids, &key);
	struct fd_hint *h = slot != HMAP_NONE ? &pid_at(&r->db, slot)->hint : NULL;
	struct fd_window w;
	int top, misses = 0;

	if (!probed && probe_hint(r, pid) && r->db.unowned == 0)
		return;
	if (!h || !walkplan_fd_window(h->nfds, h->max_fd, &w)) {
		scan_fds(r, pid, false);
		return;
	}
	top = h->max_fd;
	for (int fd = w.first; fd <= w.last && misses < w.misses && r->db.unowned > 0; fd++) {
		if (probe_fd(r, pid, slot, fd) < 0) {
			if (fd > top)
				misses++;
			continue;
		}
		misses = 0;
		if (fd > h->max_fd)
			h->max_fd = fd;
	}
}

void fdsrc_probe_recent(struct resolver *r)
{
	for (size_t i = 0; i < WALK_RECENT && r->db.unowned > 0; i++) {
		if (r->db.recent[i] > 0)
			probe_hint(r, r->db.recent[i]);
	}
}

/* Take one step of a walk (not WALK_CHECK_CLOSED). */
static void take_step(struct resolver *r, const struct walk_step *s)
{
	bool inserted;

	switch (s->how) {
	case WALK_TASK:
		scan_fds(r, s->pid, true);
		break;
	case WALK_WHOLE:
		scan_fds(r, s->pid, false);
		break;
	case WALK_HINTED:
	case WALK_HINTED_PROBED:
		scan_fds_quick(r, s->pid, s->how == WALK_HINTED_PROBED);
		break;
	case WALK_REGISTER:
		rdb_pid_slot(&r->db, s->pid, &inserted);	/* known from now on */
		break;
	case WALK_CHECK_CLOSED:
		break;
	}
}

/*
 * The quick walk, for new flows t[0..n): the processes made since the
 * last walk, and the likely places (walkplan.h, quick_plan), until every
 * socket is placed. The kernel gives out pids in turn, so no listing of
 * /proc is needed. false if it cannot be made (no ns_last_pid, or too
 * many new pids): then a deep walk must.
 */
static bool walk_new(struct resolver *r, long now, const struct tuple *t, size_t n)
{
	struct quick_plan qp;
	struct walk_step s;

	if (!quick_plan_start(&qp, r->fd.last_pid, now, r->fd.pid_max, r->db.recent, r->fd.young,
			      r->fd.nyoung))
		return false;
	r->fd.walks++;
	r->db.walk_gen = ++r->fd.gen_next;
	r->fd.last_pid = now;
	while (r->db.unowned > 0 && quick_plan_next(&qp, &s) && !resolver_stop_here(r)) {
		/* What is not found yet may be closed already: not worth a search. */
		if (s.how == WALK_CHECK_CLOSED)
			diagsrc_drop_closed(r, t, n);
		else
			take_step(r, &s);
	}
	return true;
}

static int fd_flows(struct resolver *r, struct flow_pass *p)
{
	if (r->db.unowned > 0)
		walk_new(r, p->last_pid, p->t, p->n);
	return 0;
}

/* ---- the deep walk ---------------------------------------------------- */

/* Add pid to *arr (growing it); false on out of memory (left out). */
static bool push_pid(int **arr, size_t *n, size_t *cap, int pid)
{
	void *a = *arr;

	if (!array_reserve(&a, cap, *n + 1, sizeof(int)))
		return false;
	*arr = a;
	(*arr)[(*n)++] = pid;
	return true;
}

/*
 * List /proc: the pids no walk has read (fresh) and the known ones; the
 * namespaces of the fresh (of all, when one lost its process) are noted.
 * false if /proc could not be listed.
 */
static bool list_pids(struct resolver *r, struct deep_walk *w)
{
	bool orphaned = r->ns.orphaned;
	size_t fresh_cap = 0, known_cap = 0;
	struct dirent *de;
	DIR *d = below_open_dir(&r->root, ".");

	if (!d)
		return false;
	r->ns.orphaned = false;
	while ((de = readdir(d)) != NULL && !resolver_stop_here(r)) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		int32_t key;
		size_t slot;

		/* No kernel gives out more (PID_MAX_LIMIT): a bound on a stand-in's listing. */
		if (!isdigit((unsigned char)de->d_name[0]) || *end || pid <= 0 || pid > PID_LIMIT)
			continue;
		key = (int32_t)pid;
		slot = hmap_get(r->db.pids, &key);
		if (slot != HMAP_NONE)
			pid_at(&r->db, slot)->seen = r->db.epoch;	/* alive: not to be forgotten */
		if (slot == HMAP_NONE || orphaned)
			nsreg_note(r, (int)pid);
		if (slot != HMAP_NONE)
			push_pid(&w->known, &w->nknown, &known_cap, (int)pid);
		else
			push_pid(&w->fresh, &w->nfresh, &fresh_cap, (int)pid);
	}
	/* Listed to its end: a pid not in it has exited (forget.c). */
	if (!de)
		r->fd.listed = r->db.epoch;
	closedir(d);
	return true;
}

void fdsrc_deep_begin(struct resolver *r)
{
	struct deep_walk *w = &r->fd.deep;
	size_t old = r->ns.nns;
	long last = r->diag ? fdsrc_last_pid(r) : -1;
	long max = last >= 0 ? r->fd.pid_max : 0;

	fdsrc_deep_abort(r);
	r->ns.want_deep = false;
	w->cut_before = r->interrupted;
	if (!list_pids(r, w))
		return;
	r->fd.walks++;
	w->gen = r->db.walk_gen = ++r->fd.gen_next;
	/* The sockets of namespaces met just now: before the fds that hold them. */
	for (size_t ns = old; ns < r->ns.nns && !resolver_stop_here(r); ns++) {
		tablesrc_read_ns(r, ns, -1);
		tablesrc_read_addrs(r, ns);
	}
	w->before = hmap_count(r->db.inodes);
	r->fd.last_pid = last;
	r->ns.probed = last;
	/*
	 * Newest first, the known ones too: a socket no pass has placed yet
	 * most likely belongs to a process started lately (the oldest are
	 * daemons whose sockets are placed already). With a few hundred
	 * processes on the host, reading them oldest first took 86 ms to find
	 * the sockets of a benchmark's clients. (Which process a socket
	 * shared after fork() goes to does not depend on the order: see
	 * rdb_may_take.)
	 */
	walkplan_sort_by_age(w->fresh, w->nfresh, last, max);
	walkplan_sort_by_age(w->known, w->nknown, last, max);
	r->fd.nyoung = walkplan_youngest(w->fresh, w->nfresh, w->known, w->nknown, r->fd.young,
					 WALK_YOUNG);
	deep_plan_start(&w->plan, w->fresh, w->nfresh, w->known, w->nknown, r->fd.walks == 1,
			r->db.unowned == 0);
	w->on = true;
}

/* The walk is over: what it did not find, where it looked everywhere, is missing. */
static void deep_end(struct resolver *r)
{
	struct deep_walk *w = &r->fd.deep;

	if (w->scan.d)
		scan_close(r, &w->scan);
	/* A walk cut short has not looked everywhere: what it missed is not missing. */
	for (size_t j = 0; j < w->before && r->db.unowned > 0 && r->interrupted == w->cut_before;
	     j++) {
		if (inode_at(&r->db, j)->owner == OWNER_UNKNOWN) {
			inode_at(&r->db, j)->owner = OWNER_MISSING;
			r->db.unowned--;
		}
	}
	fdsrc_deep_abort(r);
}

bool fdsrc_deep_step(struct resolver *r)
{
	struct deep_walk *w = &r->fd.deep;
	struct walk_step s;

	if (!w->on)
		return false;
	/* Quick walks between two steps credited in walks of their own. */
	r->db.walk_gen = w->gen;
	if (w->scan.d && scan_more(r, &w->scan, FD_STEP_LINKS))
		return true;
	while (deep_plan_next(&w->plan, &s)) {
		if (!s.always && r->db.unowned == 0)
			break;
		if (s.how == WALK_REGISTER) {
			take_step(r, &s);
			continue;
		}
		if (resolver_stop_here(r))
			break;
		if (s.how == WALK_CHECK_CLOSED) {
			/* Before every known process is read: are they still open? */
			if (!resolver_stopping(r))
				diagsrc_drop_closed_listed(r);
		} else if (scan_open(r, &w->scan, s.pid, false) &&
			   scan_more(r, &w->scan, FD_STEP_LINKS)) {
			return true;
		}
		return true;
	}
	deep_end(r);
	return false;
}

void fdsrc_deep_abort(struct resolver *r)
{
	struct deep_walk *w = &r->fd.deep;

	if (w->scan.d) {
		closedir(w->scan.d);
		w->scan.d = NULL;
	}
	free(w->fresh);
	free(w->known);
	w->fresh = w->known = NULL;
	w->nfresh = w->nknown = 0;
	w->on = false;
}

/* A deep walk, all its steps at once. */
static int fd_whole(struct resolver *r)
{
	fdsrc_deep_begin(r);
	while (fdsrc_deep_step(r))
		;
	return 0;
}

const struct rsource fdsrc = {
	"fd walks", fd_whole, fdsrc_deep_begin, fdsrc_deep_step, fd_flows,
};
