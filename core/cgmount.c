/* cgmount.c - where the cgroup v2 hierarchy is mounted; see cgmount.h. */
#include "cgmount.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ownersrc.h"

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

int owner_src_cgroup2_mount(FILE *f, char *path, size_t len)
{
	char line[4096];
	bool found = false;

	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), *fields[5], *save = NULL, *p = line;
		int n = 0;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		*sep = '\0';
		/* id parent major:minor root mount-point ... */
		while (n < 5 && (fields[n] = strtok_r(p, " ", &save)))
			n++, p = NULL;
		if (n < 5)
			continue;
		if (found && strcmp(fields[3], "/") != 0)
			continue;
		unescape(fields[4]);
		if (strlen(fields[4]) >= len)
			return -ENAMETOOLONG;
		strcpy(path, fields[4]);
		if (strcmp(fields[3], "/") == 0)
			return 0;
		found = true;
	}
	return found ? 0 : -ENOENT;
}

/* The parent of pid, from /proc/PID/stat (field 4); 0 when unknown. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[1024];
	const char *p;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

#define ANCESTORS_MAX 16	/* how far up the process tree a cgroup v2 mount is looked for */

int cgmount_ancestor(char *mount, size_t len, int *fd)
{
	pid_t pid = getppid();

	for (int i = 0; i < ANCESTORS_MAX && pid > 0; i++, pid = parent_of(pid)) {
		char path[PATH_MAX], mnt[PATH_MAX];
		FILE *f;
		int e;

		snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		e = owner_src_cgroup2_mount(f, mnt, sizeof(mnt));
		fclose(f);
		if (e || snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, mnt) >=
				 (int)sizeof(path))
			continue;
		if (strlen(mnt) >= len)
			continue;
		*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*fd >= 0) {
			strcpy(mount, mnt);
			return 0;
		}
	}
	return -ENOENT;
}
int cgmount_path(int cgfd, const char *mount, uint64_t id, char *buf, size_t len)
{
	/* FILEID_KERNFS: a cgroup v2 directory's handle is its 64-bit id. */
	union {
		struct file_handle fh;
		char raw[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h;
	char link[64], target[PATH_MAX];
	size_t mlen = strlen(mount);
	const char *rest;
	ssize_t n;
	int fd;

	h.fh.handle_bytes = sizeof(id);
	h.fh.handle_type = 0xfe;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(cgfd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (strncmp(target, mount, mlen) != 0)
		return -ENOENT;
	rest = target + mlen;
	if (mlen == 1)	/* mounted on "/": the path is the target itself */
		rest = target;
	if (!*rest)
		rest = "/";
	if (strlen(rest) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, rest);
	return 0;
}

