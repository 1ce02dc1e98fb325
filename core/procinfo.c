/* procinfo.c - a process's details from /proc/PID; see procinfo.h. */
#include "procinfo.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

uint64_t ns_link_inode(struct below *base, const char *path)
{
	char buf[64];
	ssize_t n = below_readlink(base, path, buf, sizeof(buf));
	uint64_t v = 0;
	char *p;

	if (n <= 0)
		return 0;
	p = strchr(buf, '[');
	if (strncmp(buf, "net:[", 5) != 0 || !p)
		return 0;
	for (p++; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return *p == ']' ? v : 0;
}

bool procinfo_stat_start(const char *stat, unsigned long long *start)
{
	const char *p = strrchr(stat, ')');

	*start = 0;
	if (!p)
		return false;
	p++;
	/* Fields after the command: state is field 3, starttime field 22. */
	for (int field = 3; field < 22; field++) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		*start = *start * 10 + (unsigned long long)(*p++ - '0');
	return true;
}

unsigned long long procinfo_parse_start(const char *stat)
{
	unsigned long long v;

	procinfo_stat_start(stat, &v);
	return v;
}

bool procinfo_start(struct below *root, int pid, unsigned long long *start)
{
	char path[64], buf[1024];

	snprintf(path, sizeof(path), "%d/stat", pid);
	if (below_read_small(root, path, buf, sizeof(buf)) <= 0)
		return false;
	*start = procinfo_parse_start(buf);
	return true;
}

int procinfo_tgid(struct below *root, int id)
{
	char path[64], buf[1024];
	const char *t;
	long v;

	snprintf(path, sizeof(path), "%d/status", id);
	if (below_read_small(root, path, buf, sizeof(buf)) <= 0 || !(t = strstr(buf, "\nTgid:")))
		return id;
	v = strtol(t + 6, NULL, 10);
	return v > 0 && v <= INT32_MAX ? (int)v : id;
}

/*
 * PID/cgroup: the cgroup v2 path, and the systemd unit and container it
 * names (cgroup.h). Left NULL when unknown, or when out of memory.
 */
static void read_cgroup(struct below *root, int pid, struct proc_info *pi)
{
	char path[64], buf[CGROUP_FILE_MAX + 2];
	char unit[CGROUP_UNIT_MAX], container[CGROUP_CONTAINER_MAX];
	const char *v2;
	size_t len;
	ssize_t n;

	snprintf(path, sizeof(path), "%d/cgroup", pid);
	n = below_read_small(root, path, buf, sizeof(buf));
	/* Longer than CGROUP_FILE_MAX: its last line may be part of one. */
	if (n <= 0 || (size_t)n > CGROUP_FILE_MAX || !cgroup_v2_path(buf, (size_t)n, &v2, &len))
		return;
	pi->cgroup = strndup(v2, len);
	if (cgroup_unit(v2, len, unit))
		pi->unit = strdup(unit);
	if (cgroup_container(v2, len, container))
		pi->container = strdup(container);
}

/* The uid in the text of a /proc/PID/status. */
static void parse_uid(const char *status, struct proc_info *pi)
{
	const char *u = strstr(status, "\nUid:");
	unsigned long uid;
	char *end;

	if (!u)
		return;
	uid = strtoul(u + 5, &end, 10);
	if (end != u + 5) {
		pi->uid = (unsigned)uid;
		pi->have_uid = true;
	}
}

char *procinfo_cmdline_dup(char *buf, ssize_t n)
{
	if (n < 0)
		n = 0;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\0')
			buf[i] = ' ';
	}
	buf[n] = '\0';
	return strdup(buf);
}

/* The command line ("" if unread). */
static char *read_cmdline(struct below *root, int pid)
{
	char path[64], buf[PROCINFO_CMDLINE_MAX + 1];

	snprintf(path, sizeof(path), "%d/cmdline", pid);
	return procinfo_cmdline_dup(buf, below_read_small(root, path, buf, sizeof(buf)));
}

void procinfo_read(struct below *root, int pid, struct proc_info *pi)
{
	char path[64], buf[PROCINFO_CMDLINE_MAX + 1];
	ssize_t n;

	memset(pi, 0, sizeof(*pi));
	pi->pid = pid;

	snprintf(path, sizeof(path), "%d/comm", pid);
	n = below_read_small(root, path, buf, sizeof(pi->comm));
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0)
		memcpy(pi->comm, buf, (size_t)n + 1);

	snprintf(path, sizeof(path), "%d/status", pid);
	if (below_read_small(root, path, buf, sizeof(buf)) > 0)
		parse_uid(buf, pi);

	snprintf(path, sizeof(path), "%d/stat", pid);
	if (below_read_small(root, path, buf, sizeof(buf)) > 0)
		pi->start = procinfo_parse_start(buf);

	snprintf(path, sizeof(path), "%d/ns/net", pid);
	pi->netns = ns_link_inode(root, path);

	read_cgroup(root, pid, pi);
	pi->cmdline = read_cmdline(root, pid);
}

void procinfo_clear(struct proc_info *pi)
{
	free(pi->cmdline);
	free(pi->cgroup);
	free(pi->unit);
	free(pi->container);
	pi->cmdline = pi->cgroup = pi->unit = pi->container = NULL;
}
