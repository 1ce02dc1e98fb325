/* kowners.c - the kernel owner source in front of the resolver; see kowners.h. */
#include "kowners.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cgroup.h"
#include "hmap.h"
#include "kcmdline.h"
#include "ownersrc.h"

#define KCGROUP_MAX 4096	/* a cgroup path longer than this is left unknown */

/* A process: its id and start time (clock ticks after boot) tell its incarnation. */
struct kproc_key {
	uint32_t tgid;
	uint32_t pad;		/* zero */
	uint64_t start;
};

struct kowners {
	struct owner_src *src;
	uint64_t own_netns;		/* inode of our network namespace; 0: unknown */
	struct hmap *procs;		/* key: struct kproc_key; index into pi */
	struct kcmdline *cmd;		/* command lines read as reports came in */
	struct proc_info **pi;		/* each one allocated alone: pointers stay valid */
	size_t npi, cap;
	bool broken;			/* the ring buffer failed: nothing more comes */
	struct owner_source source;	/* kowners_source */
	uint64_t answers;
};

/* libbpf's messages, on stderr only when asked for (kowners_open's debug). */
static int print_all(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

static int print_none(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/*
 * A report taken in (owner_src_poll): the first of a process not answered
 * for yet has its command line read now, while the process may still be
 * there (kcmdline.h).
 */
static void on_owner(void *ctx, const struct owner *o)
{
	struct kowners *k = ctx;
	struct kproc_key key = { .tgid = o->tgid, .start = o->start };

	if (o->tgid == 0 || o->start == 0 || hmap_get(k->procs, &key) != HMAP_NONE)
		return;
	kcmdline_note(k->cmd, o->tgid, o->start, o->comm);
}

int kowners_open(struct kowners **out, const struct kowners_opts *opts, char *err,
		 size_t errlen)
{
	struct kowners *k = calloc(1, sizeof(*k));
	struct owner_src_opts so = {0};
	struct kowners_opts def = {0};
	struct stat st;
	int e;

	*out = NULL;
	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!opts)
		opts = &def;
	k->procs = hmap_new(sizeof(struct kproc_key), NULL);
	k->cmd = kcmdline_new("/proc");
	if (!k->procs || !k->cmd) {
		hmap_free(k->procs);
		kcmdline_free(k->cmd);
		free(k);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* libbpf prints through one function for the whole process: set before loading. */
	libbpf_set_print(opts->debug ? print_all : print_none);
	so.ring_bytes = opts->ring_bytes;
	so.on_owner = on_owner;
	so.on_owner_ctx = k;
	e = owner_src_open(&k->src, &so, err, errlen);
	if (e < 0) {
		kowners_free(k);
		return e;
	}
	if (stat("/proc/self/ns/net", &st) == 0)
		k->own_netns = st.st_ino;
	*out = k;
	return 0;
}

void kowners_free(struct kowners *k)
{
	if (!k)
		return;
	owner_src_close(k->src);
	for (size_t i = 0; i < k->npi; i++) {
		free(k->pi[i]->cmdline);
		free(k->pi[i]->cgroup);
		free(k->pi[i]->unit);
		free(k->pi[i]->container);
		free(k->pi[i]);
	}
	free(k->pi);
	hmap_free(k->procs);
	kcmdline_free(k->cmd);
	free(k);
}

int kowners_poll(struct kowners *k, char *err, size_t errlen)
{
	if (k->broken)
		return 0;
	if (owner_src_poll(k->src, err, errlen) < 0) {
		k->broken = true;
		return -1;
	}
	return 0;
}

int kowners_fd(const struct kowners *k)
{
	/* Not k->broken: another thread may poll meanwhile; a broken source's reader ends. */
	return owner_src_fd(k->src);
}

/* The cgroup of o's cgroup id, and the unit and container its path names. */
static void cgroup_of(const struct kowners *k, const struct owner *o, struct proc_info *pi)
{
	char path[KCGROUP_MAX], unit[CGROUP_UNIT_MAX], container[CGROUP_CONTAINER_MAX];
	size_t len;

	if (o->cgroup_id == 0 || owner_src_cgroup_path(k->src, o->cgroup_id, path, sizeof(path)))
		return;
	len = strlen(path);
	pi->cgroup = strdup(path);
	if (cgroup_unit(path, len, unit))
		pi->unit = strdup(unit);
	if (cgroup_container(path, len, container))
		pi->container = strdup(container);
}

/* The proc_info of o's process, made on first sight; NULL when out of memory. */
static const struct proc_info *proc_of(struct kowners *k, const struct owner *o)
{
	struct kproc_key key = { .tgid = o->tgid, .start = o->start };
	struct proc_info *pi;
	bool inserted;
	size_t idx;
	void *arr = k->pi;

	idx = hmap_get(k->procs, &key);
	if (idx != HMAP_NONE)
		return idx < k->npi ? k->pi[idx] : NULL;
	if (!array_reserve(&arr, &k->cap, k->npi + 1, sizeof(*k->pi)))
		return NULL;
	k->pi = arr;
	pi = calloc(1, sizeof(*pi));
	if (!pi)
		return NULL;
	pi->pid = (int)o->tgid;
	pi->uid = o->uid;
	pi->have_uid = true;
	pi->start = o->start;
	pi->netns = o->netns;
	snprintf(pi->comm, sizeof(pi->comm), "%s", o->comm);
	pi->cmdline = kcmdline_take(k->cmd, o->tgid, o->start, o->comm);
	if (!pi->cmdline)
		pi->cmdline = strdup("");
	cgroup_of(k, o, pi);
	idx = hmap_put(k->procs, &key, SIZE_MAX, &inserted);
	/* Entries are numbered densely: the new one is npi. */
	if (idx != k->npi || !pi->cmdline) {
		free(pi->cmdline);
		free(pi->cgroup);
		free(pi->unit);
		free(pi->container);
		free(pi);
		return NULL;
	}
	k->pi[k->npi++] = pi;
	return pi;
}

enum owner_status kowners_lookup_end(void *ctx, const struct flow_end *e, bool wild,
				     const struct proc_info **owner, bool *local)
{
	struct kowners *k = ctx;
	struct tuple t;
	struct owner own, any;
	enum owner_match m_own, m_any;
	const struct owner *o;
	size_t alen = e->family == TUPLE_V6 ? 16 : 4;

	*owner = NULL;
	*local = false;
	/* The kernel reports TCP and UDP sockets only. */
	if (e->proto != IPPROTO_TCP && e->proto != IPPROTO_UDP)
		return OWNER_NO_SOCKET;
	memset(&t, 0, sizeof(t));
	memcpy(t.src, e->local.addr, alen);
	memcpy(t.dst, e->remote.addr, alen);
	t.sport = e->local.port;
	t.dport = e->remote.port;
	t.family = e->family;
	t.proto = e->proto;
	/*
	 * A socket with exactly these ends wins, of our namespace first, then
	 * of any (a container's, seen as it is routed through us). Otherwise a
	 * socket with no peer on this port, if laddr is ours to receive on.
	 */
	m_own = k->own_netns ? owner_src_lookup(k->src, &t, 0, k->own_netns, &own)
			     : OWNER_MATCH_NONE;
	m_any = m_own == OWNER_MATCH_EXACT ? OWNER_MATCH_NONE
					   : owner_src_lookup(k->src, &t, 0, 0, &any);
	if (m_own == OWNER_MATCH_EXACT)
		o = &own;
	else if (m_any == OWNER_MATCH_EXACT)
		o = &any;
	else if (wild && m_own != OWNER_MATCH_NONE)
		o = &own;
	else if (wild && m_any != OWNER_MATCH_NONE)
		o = &any;
	else
		return OWNER_NO_SOCKET;
	if (o->tgid == 0)
		return OWNER_NO_SOCKET;	/* a kernel thread's, or not known */
	*owner = proc_of(k, o);
	if (!*owner)
		return OWNER_NO_SOCKET;
	k->answers++;
	*local = true;		/* a socket of ours has that address */
	return OWNER_FOUND;
}

const struct owner_source *kowners_source(struct kowners *k)
{
	k->source.lookup = kowners_lookup_end;
	k->source.ctx = k;
	return &k->source;
}

void kowners_stats(const struct kowners *k, struct kowners_stats *st)
{
	struct owner_src_info info;

	owner_src_info(k->src, &info);
	st->events = info.taken;
	st->lost = info.lost;
	st->answers = k->answers;
	st->processes = k->npi;
}

uint64_t kowners_lost(const struct kowners *k)
{
	return owner_src_lost(k->src);
}
