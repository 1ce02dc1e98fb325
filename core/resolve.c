/*
 * resolve.c - a resolver's passes over its sources; see resolve.h and,
 * for the modules that make it up, resolve_priv.h.
 */
#include "resolve.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "diag.h"
#include "resolve_priv.h"

/*
 * The sources a full pass asks, in order: sockets first, then their
 * holders. The namespaces are met by the fd walks' listing of /proc, and
 * sock_diag is asked one socket at a time, for new flows only.
 */
static const struct rsource *const whole_order[] = { &tablesrc, &fdsrc };
#define NWHOLE (sizeof(whole_order) / sizeof(whole_order[0]))

/* Is the root the /proc of this process's own mount, whose sockets sock_diag sees? */
static bool is_our_proc(const struct below *root)
{
	struct stat ours, st;

	return root->trusted && stat("/proc", &ours) == 0 && fstat(root->fd, &st) == 0 &&
	       st.st_dev == ours.st_dev && st.st_ino == ours.st_ino;
}

struct resolver *resolver_new(const char *proc_root)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (below_root_open(&r->root, proc_root) != 0) {
		int e = errno;
		free(r);
		errno = e;
		return NULL;
	}
	/* The kernel's own tables are asked directly only for the real /proc. */
	if (is_our_proc(&r->root))
		r->diag = diag_open();
	r->fd.last_pid = -1;
	r->fg.min = RESOLVER_FORGET_MIN;
	if (rdb_init(&r->db) != 0 || nsreg_init(&r->ns, &r->root, r->diag) != 0) {
		resolver_free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

struct resolver *resolver_new_source(const struct owner_source *src)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->root.fd = -1;
	r->src = src;
	return r;
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	fdsrc_deep_abort(r);
	below_root_close(&r->root);
	diag_close(r->diag);
	rdb_free(&r->db);
	nsreg_free(&r->ns);
	free(r);
}

int resolver_watch_inode(struct resolver *r, uint64_t inode)
{
	bool inserted;
	size_t j;

	if (inode == 0 || r->src)
		return 0;
	j = rdb_inode_put(&r->db, inode, OWNER_UNKNOWN, &inserted);
	if (j == HMAP_NONE)
		return -1;
	/* Kept through rounds of forgetting while it is watched (forget.c). */
	inode_at(&r->db, j)->watched = r->db.epoch + 1;
	return 0;
}

const struct proc_info *resolver_inode_owner(const struct resolver *r, uint64_t inode)
{
	int32_t p = r->src ? OWNER_MISSING : rdb_inode_owner(&r->db, inode);

	return p >= 0 ? &r->db.procs[p].info : NULL;
}

void resolver_set_stop(struct resolver *r, const atomic_int *stop)
{
	r->stop = stop;
}

/*
 * Should the pass going on end now? Once *stop is set, passes go on for
 * STOP_GRACE seconds more, then every walk and table read ends at its
 * next check (between two lines, two processes, two fd links) and keeps
 * what it has learned. The grace is what the last pass of a capture
 * ended by Ctrl-C needs on an ordinary host (a deep walk of a few hundred
 * processes: under 0.1 s), so it still finds what it can; a walk of
 * 100,000 processes (20 s) is cut short instead.
 */
#define STOP_GRACE 0.2

bool resolver_stopping(struct resolver *r)
{
	struct timespec ts;
	double now;

	if (!r->stop || atomic_load_explicit(r->stop, memory_order_relaxed) == 0)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (r->stop_seen == 0)
		r->stop_seen = now;
	return now - r->stop_seen >= STOP_GRACE;
}

bool resolver_stop_here(struct resolver *r)
{
	if (!resolver_stopping(r))
		return false;
	r->interrupted++;
	return true;
}

void resolver_begin(struct resolver *r, enum resolver_pass kind)
{
	if (r->src)
		return;
	fdsrc_deep_abort(r);
	r->pass.on = true;
	r->pass.whole = kind == RESOLVER_WHOLE;
	r->pass.begun = false;
	r->pass.rc = 0;
	r->pass.cut = r->interrupted;
	if (r->pass.whole) {
		r->passes++;
		r->db.epoch++;
		r->want_full = false;
		r->pass.src = 0;
	} else {
		r->pass.src = NWHOLE - 1;	/* the fd walks alone */
	}
}

/* The pass is over; a whole one that read everything uncut is noted (forget.c). */
static bool pass_end(struct resolver *r)
{
	r->pass.on = false;
	if (r->pass.whole && r->pass.rc == 0 && r->interrupted == r->pass.cut &&
	    r->fd.listed == r->db.epoch) {
		r->fg.whole[1] = r->fg.whole[0];
		r->fg.whole[0] = r->db.epoch;
	}
	return false;
}

bool resolver_step(struct resolver *r)
{
	while (r->pass.on && r->pass.src < NWHOLE) {
		const struct rsource *s = whole_order[r->pass.src];

		if (s->step) {
			if (!r->pass.begun) {
				s->begin(r);
				r->pass.begun = true;
			}
			if (s->step(r))
				return true;
		} else if (s->whole) {
			/* A source that could read nothing fails the pass. */
			if (s->whole(r) != 0)
				r->pass.rc = -1;
			r->pass.src++;
			r->pass.begun = false;
			return true;
		}
		r->pass.src++;
		r->pass.begun = false;
	}
	return r->pass.on ? pass_end(r) : false;
}

int resolver_refresh(struct resolver *r)
{
	if (r->src)
		return 0;
	resolver_begin(r, RESOLVER_WHOLE);
	while (resolver_step(r))
		;
	return r->pass.rc;
}

int resolver_refresh_flows(struct resolver *r, const struct tuple *t, size_t n, bool deep)
{
	struct flow_pass p;
	int rc;

	if (r->src)
		return 0;
	if (!r->diag) {
		/* Every table must be read: as often as deep walks may be. */
		r->want_full = !deep;
		return deep ? resolver_refresh(r) : 0;
	}
	memset(&p, 0, sizeof(p));
	p.t = t;
	p.n = n;
	p.deep = deep;
	r->passes++;
	diagsrc.flows(r, &p);
	/* A connection may live a fraction of a millisecond: the likely fds first. */
	fdsrc_probe_recent(r);
	/* The last pid given out, read once for this pass. */
	p.last_pid = fdsrc_last_pid(r);
	/* An end of no namespace met: is a new process in a new one? Then its sockets. */
	nssrc.flows(r, &p);
	if (p.ns_added)
		diagsrc.flows(r, &p);
	rc = tablesrc.flows(r, &p);
	if (p.tables_read)
		fdsrc_probe_recent(r);	/* for the sockets the tables gave */
	fdsrc.flows(r, &p);
	if (deep && (r->db.unowned > 0 || r->ns.want_deep)) {
		resolver_begin(r, RESOLVER_DEEP);
		while (resolver_step(r))
			;
	}
	return rc;
}

bool resolver_pending(const struct resolver *r)
{
	return resolver_deep_due(r) || r->want_full;
}

bool resolver_deep_due(const struct resolver *r)
{
	return r->db.unowned > 0 || r->ns.want_deep;
}

void resolver_stats(const struct resolver *r, struct resolve_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (r->src)
		return;		/* nothing read */
	st->passes = r->passes;
	st->fd_walks = r->fd.walks;
	st->fd_links = r->fd.links;
	st->sockets = r->db.socks_learned;
	st->processes = r->db.procs_learned;
	st->denied = r->fg.denied + hmap_count(r->db.denied);
	st->refused = r->root.refused;
	st->long_lines = r->root.long_lines;
	st->cut_files = r->root.cut_files;
	st->interrupted = r->interrupted;
	st->sockets_kept = hmap_count(r->db.socks);
	st->processes_kept = r->db.nprocs - r->db.nfree;
	st->pids_kept = hmap_count(r->db.pids);
	st->rounds = r->fg.rounds;
	st->sockets_forgotten = r->fg.socks;
	st->processes_forgotten = r->fg.procs;
	st->pids_forgotten = r->fg.pids;
}
