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
#include "ownersrc.h"

#define KCMDLINE_MAX 4096	/* as much of /proc/PID/cmdline as the /proc path keeps */
#define KSTAT_MAX 1024		/* /proc/PID/stat is a few hundred bytes */
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

int kowners_open(struct kowners **out, bool debug, char *err, size_t errlen)
{
	struct kowners *k = calloc(1, sizeof(*k));
	struct stat st;
	int e;

	*out = NULL;
	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	k->procs = hmap_new(sizeof(struct kproc_key), NULL);
	if (!k->procs) {
		free(k);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* libbpf prints through one function for the whole process: set before loading. */
	libbpf_set_print(debug ? print_all : print_none);
	e = owner_src_open(&k->src, NULL, err, errlen);
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

/* Up to size - 1 bytes of a /proc file, NUL-terminated; the length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0)
		return -1;
	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

/*
 * /proc/PID/stat: the name (between the first '(' and the last ')') and
 * the start time (field 22). False when the file is not one of a process.
 */
static bool stat_of(uint32_t pid, char *comm, size_t commlen, uint64_t *start)
{
	char path[64], buf[KSTAT_MAX];
	const char *open_p, *close_p, *p;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	open_p = strchr(buf, '(');
	close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p < open_p)
		return false;
	len = (size_t)(close_p - open_p - 1);
	if (len >= commlen)
		len = commlen - 1;
	memcpy(comm, open_p + 1, len);
	comm[len] = '\0';
	p = close_p + 1;
	/* Fields after the name: the state is field 3, the start time field 22. */
	for (int field = 3; field < 22; field++) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	*start = 0;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		*start = *start * 10 + (uint64_t)(*p++ - '0');
	return true;
}

/* /proc/PID/cmdline with its NULs as spaces, if PID is still the process o reported. */
static char *cmdline_of(const struct owner *o)
{
	char comm[sizeof(o->comm)], path[64], buf[KCMDLINE_MAX + 1];
	uint64_t start;
	ssize_t n;

	if (o->start == 0 || !stat_of(o->tgid, comm, sizeof(comm), &start) || start != o->start ||
	    strcmp(comm, o->comm) != 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%u/cmdline", o->tgid);
	n = read_small(path, buf, sizeof(buf));
	/* Read after stat: the process may have ended, or exec'd, in between. */
	if (n <= 0 || !stat_of(o->tgid, comm, sizeof(comm), &start) || start != o->start ||
	    strcmp(comm, o->comm) != 0)
		return NULL;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\0')
			buf[i] = ' ';
	}
	buf[n] = '\0';
	return strdup(buf);
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
	pi->cmdline = cmdline_of(o);
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
