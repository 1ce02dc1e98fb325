/* kcmdline.c - command lines read as the kernel's reports come in; see kcmdline.h. */
#include "kcmdline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hmap.h"
#include "procinfo.h"

#define KSTAT_MAX 1024		/* PROC/PID/stat is a few hundred bytes */
#define KPATH_MAX 4200		/* a proc root of up to 4 KiB, and "/PID/cmdline" */

/* A process: its id and start time tell its incarnation. */
struct kkey {
	uint32_t tgid;
	uint32_t pad;		/* zero */
	uint64_t start;
};

/* One generation: keys numbered densely, each one's command line at that index. */
struct kgen {
	struct hmap *keys;	/* struct kkey */
	char **cmd;		/* KCMDLINE_GEN_PROCS; NULL: gone when noted, or taken */
	size_t bytes;		/* of the command lines it holds */
};

struct kcmdline {
	char *proc_root;
	struct kgen gen[2];	/* [0] the newer, [1] the older */
	uint64_t read, gone, dropped;
};

static void gen_free(struct kcmdline *c, struct kgen *g)
{
	if (g->keys && g->cmd) {
		for (size_t i = 0; i < hmap_count(g->keys); i++) {
			if (g->cmd[i])
				c->dropped++;
			free(g->cmd[i]);
		}
	}
	hmap_free(g->keys);
	free(g->cmd);
	memset(g, 0, sizeof(*g));
}

static bool gen_init(struct kgen *g)
{
	/* Pids and start times are this host's kernel's: the cheaper hash is enough. */
	g->keys = hmap_new_host(sizeof(struct kkey));
	g->cmd = calloc(KCMDLINE_GEN_PROCS, sizeof(*g->cmd));
	g->bytes = 0;
	return g->keys && g->cmd;
}

struct kcmdline *kcmdline_new(const char *proc_root)
{
	struct kcmdline *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->proc_root = strdup(proc_root);
	if (!c->proc_root || !gen_init(&c->gen[0])) {
		kcmdline_free(c);
		return NULL;
	}
	return c;
}

void kcmdline_free(struct kcmdline *c)
{
	if (!c)
		return;
	gen_free(c, &c->gen[0]);
	gen_free(c, &c->gen[1]);
	free(c->proc_root);
	free(c);
}

/* Up to size - 1 bytes of a file, NUL-terminated; the length, or -1. */
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

bool kcmdline_stat(const char *proc_root, uint32_t pid, char *comm, size_t commlen,
		   uint64_t *start)
{
	char path[KPATH_MAX], buf[KSTAT_MAX];
	const char *open_p, *close_p;
	unsigned long long st;
	size_t len;

	if (commlen == 0)
		return false;
	snprintf(path, sizeof(path), "%s/%u/stat", proc_root, pid);
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
	if (!procinfo_stat_start(buf, &st))
		return false;
	*start = st;
	return true;
}

/* Is pid still the process (start, comm)? */
static bool same(const struct kcmdline *c, uint32_t pid, uint64_t start, const char *comm)
{
	char now[16];
	uint64_t st;

	return kcmdline_stat(c->proc_root, pid, now, sizeof(now), &st) && st == start &&
	       strcmp(now, comm) == 0;
}

/* PROC/PID/cmdline with its NULs as spaces, if PID is still that process; else NULL. */
static char *read_cmdline(const struct kcmdline *c, uint32_t pid, uint64_t start,
			  const char *comm)
{
	char path[KPATH_MAX], buf[KCMDLINE_MAX + 1];
	ssize_t n;

	if (start == 0 || !same(c, pid, start, comm))
		return NULL;
	snprintf(path, sizeof(path), "%s/%u/cmdline", c->proc_root, pid);
	n = read_small(path, buf, sizeof(buf));
	/* Read after stat: the process may have ended, or exec'd, in between. */
	if (n <= 0 || !same(c, pid, start, comm))
		return NULL;
	return procinfo_cmdline_dup(buf, n);
}

/* The slot of k in either generation, or NULL. */
static char **find(struct kcmdline *c, const struct kkey *k)
{
	for (int g = 0; g < 2; g++) {
		size_t idx;

		if (!c->gen[g].keys)
			continue;
		idx = hmap_get(c->gen[g].keys, k);
		if (idx != HMAP_NONE && idx < KCMDLINE_GEN_PROCS)
			return &c->gen[g].cmd[idx];
	}
	return NULL;
}

/* The newer generation full: the older goes, a new one begins. False when out of memory. */
static bool rotate(struct kcmdline *c)
{
	struct kgen fresh;

	if (!gen_init(&fresh)) {
		hmap_free(fresh.keys);
		free(fresh.cmd);
		return false;
	}
	gen_free(c, &c->gen[1]);
	c->gen[1] = c->gen[0];
	c->gen[0] = fresh;
	return true;
}

void kcmdline_note(struct kcmdline *c, uint32_t tgid, uint64_t start, const char *comm)
{
	struct kkey k = { .tgid = tgid, .start = start };
	struct kgen *g = &c->gen[0];
	bool inserted;
	size_t idx, len;
	char *cmd;

	if (tgid == 0 || start == 0 || find(c, &k))
		return;
	cmd = read_cmdline(c, tgid, start, comm);
	if (cmd)
		c->read++;
	else
		c->gone++;
	len = cmd ? strlen(cmd) + 1 : 0;
	if ((hmap_count(g->keys) >= KCMDLINE_GEN_PROCS || g->bytes + len > KCMDLINE_GEN_BYTES) &&
	    !rotate(c)) {
		free(cmd);
		return;
	}
	g = &c->gen[0];
	idx = hmap_put(g->keys, &k, KCMDLINE_GEN_PROCS, &inserted);
	if (idx == HMAP_NONE || !inserted || idx >= KCMDLINE_GEN_PROCS) {
		free(cmd);
		return;
	}
	g->cmd[idx] = cmd;
	g->bytes += len;
}

char *kcmdline_take(struct kcmdline *c, uint32_t tgid, uint64_t start, const char *comm)
{
	struct kkey k = { .tgid = tgid, .start = start };
	char **slot = find(c, &k);
	char *cmd;

	if (slot && *slot) {
		cmd = *slot;
		*slot = NULL;
		/* Its bytes stay counted in the generation: it goes when the generation does. */
		return cmd;
	}
	return read_cmdline(c, tgid, start, comm);
}

void kcmdline_stats(const struct kcmdline *c, struct kcmdline_stats *st)
{
	st->read = c->read;
	st->gone = c->gone;
	st->dropped = c->dropped;
}
