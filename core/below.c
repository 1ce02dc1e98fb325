/* below.c - opening and reading files below a proc root; see below.h. */
#include "below.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

/* The inode number of a procfs mount's root directory (the kernel's PROC_ROOT_INO). */
#define PROC_ROOT_INO 1

/* openat2 may fail with EAGAIN when a rename races with the walk: try again. */
#define OPENAT2_TRIES 4

int below_root_open(struct below *b, const char *path)
{
	struct statfs sfs;
	struct stat st;

	memset(b, 0, sizeof(*b));
	b->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->fd < 0)
		return -1;
	/*
	 * Asked of the open directory, not of the path: what is trusted is
	 * what will be read. Only the root of a procfs mount: a directory
	 * inside one (/proc/self/fd) holds magic links to any file.
	 */
	b->trusted = fstatfs(b->fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC &&
		     fstat(b->fd, &st) == 0 && st.st_ino == PROC_ROOT_INO;
#ifndef SYS_openat2
	b->walk = true;
#endif
	return 0;
}

void below_root_close(struct below *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

void below_force_walk(struct below *b)
{
	b->walk = true;
}

/*
 * A path the callers build is relative and has no ".." component; one
 * that does not is refused before any lookup (EXDEV, as openat2 says it),
 * so the walk without openat2 need not track where ".." would lead.
 */
static bool path_stays_below(const char *path)
{
	const char *p = path;

	if (*p == '/')
		return false;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += len;
		if (*p == '/')
			p++;
	}
	return true;
}

/* Is name in dir a symbolic link? (Only asked to say why an open failed.) */
static bool is_link(int dir, const char *name)
{
	struct stat st;

	return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
}

/*
 * An untrusted root without openat2: each directory on the way is
 * opened O_PATH | O_NOFOLLOW | O_DIRECTORY from the one before (a
 * symbolic link is then no directory), the last component with flags |
 * O_NOFOLLOW. A link met is ELOOP, as RESOLVE_NO_SYMLINKS says it.
 */
static int walk_open(const struct below *b, const char *path, int flags)
{
	int dir = b->fd, fd = -1, e;
	const char *p = path;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		bool last = !slash || slash[1] == '\0';
		char name[NAME_MAX + 1];

		if (len > NAME_MAX) {
			errno = ENAMETOOLONG;
			break;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if (len == 0)
			memcpy(name, ".", 2);	/* "a//b", or the root itself */
		if (!last && strcmp(name, ".") == 0) {
			p = slash + 1;
			continue;
		}
		fd = openat(dir, name,
			    last ? flags | O_NOFOLLOW : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && (errno == ENOTDIR || errno == ELOOP) && is_link(dir, name))
			errno = ELOOP;
		if (fd < 0 || last)
			break;
		if (dir != b->fd)
			close(dir);
		dir = fd;
		fd = -1;
		p = slash + 1;
	}
	e = errno;
	if (dir != b->fd)
		close(dir);
	errno = e;
	return fd;
}

/* open(2) of path below the root as the root's trust allows (see below.h). */
static int open_below(struct below *b, const char *path, int flags)
{
	int fd = -1;

	if (!path_stays_below(path)) {
		errno = EXDEV;
		return -1;
	}
#ifdef SYS_openat2
	if (!b->walk) {
		struct open_how how;

		memset(&how, 0, sizeof(how));
		how.flags = (uint64_t)flags;
		how.resolve = b->trusted ? RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS
					 : RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
		for (int i = 0; i < OPENAT2_TRIES; i++) {
			fd = (int)syscall(SYS_openat2, b->fd, path, &how, sizeof(how));
			if (fd >= 0 || errno != EAGAIN)
				break;
		}
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		b->walk = true;	/* Linux < 5.6: walk from now on */
	}
#endif
	/* The kernel's own links are followed in a trusted root. */
	if (b->trusted)
		return openat(b->fd, path, flags);
	return walk_open(b, path, flags);
}

/*
 * Count a refusal (see below.h) for the warning the caller gives. ENXIO
 * and ENODEV: an open of a socket file, or of a device without a driver,
 * neither of them a regular file.
 */
static void note_error(struct below *b)
{
	if (errno == ELOOP || errno == EXDEV || errno == EINVAL || errno == ENXIO ||
	    errno == ENODEV)
		b->refused++;
}

int below_open_file(struct below *b, const char *path)
{
	struct stat st;
	int fd = open_below(b, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0) {
		note_error(b);
		return -1;
	}
	/*
	 * The kernel's /proc makes no FIFO or device (and the resolver reads a
	 * process's files while it may be exiting: a syscall less each).
	 */
	if (b->trusted)
		return fd;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		note_error(b);
		return -1;
	}
	return fd;
}

int below_sub_open(struct below *b, const char *path, struct below *sub)
{
	int fd = open_below(b, path, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		note_error(b);
		return -1;
	}
	memset(sub, 0, sizeof(*sub));
	sub->fd = fd;
	sub->trusted = b->trusted;
	sub->walk = b->walk;
	return 0;
}

void below_fold(struct below *b, struct below *sub)
{
	b->refused += sub->refused;
	b->long_lines += sub->long_lines;
	b->cut_files += sub->cut_files;
	sub->refused = sub->long_lines = sub->cut_files = 0;
}

DIR *below_open_dir(struct below *b, const char *path)
{
	int fd = open_below(b, path, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
	DIR *d;

	if (fd < 0) {
		note_error(b);
		return NULL;
	}
	d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

ssize_t below_read_small(struct below *b, const char *path, char *buf, size_t size)
{
	size_t got = 0;
	int fd, e = 0;

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	fd = below_open_file(b, path);
	if (fd < 0)
		return -1;
	while (got < size - 1) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			e = errno;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	if (e != 0 && got == 0) {
		errno = e;
		return -1;
	}
	return (ssize_t)got;
}

ssize_t below_readlinkat(int dirfd, const char *name, char *buf, size_t size)
{
	ssize_t n;

	if (strchr(name, '/') || size == 0) {
		errno = EINVAL;
		return -1;
	}
	n = readlinkat(dirfd, name, buf, size);
	if (n < 0)
		return -1;
	if ((size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[n] = '\0';
	return n;
}

ssize_t below_readlink(struct below *b, const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	ssize_t n;
	int fd, e;

	if (!path_stays_below(path)) {
		errno = EXDEV;
		b->refused++;
		return -1;
	}
	/* In the kernel's /proc, the directories on the way are its own. */
	if (!slash || b->trusted) {
		n = readlinkat(b->fd, path, buf, size);
		if (n >= 0 && (size_t)n >= size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (n >= 0)
			buf[n] = '\0';
		return n;
	}
	if ((size_t)(slash - path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	fd = open_below(b, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		note_error(b);
		return -1;
	}
	n = below_readlinkat(fd, slash + 1, buf, size);
	e = errno;
	close(fd);
	errno = e;
	return n;
}

int below_lines_open(struct below *b, const char *path, struct below_lines *l)
{
	memset(l, 0, sizeof(*l));
	l->b = b;
	l->held_at = SIZE_MAX;
	l->fd = below_open_file(b, path);
	if (l->fd < 0)
		return -1;
	l->buf = malloc(BELOW_CHUNK + 1);
	if (!l->buf) {
		close(l->fd);
		l->fd = -1;
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* The file ends here, short of its end: a bound was met, or a read failed. */
static void cut(struct below_lines *l)
{
	l->eof = l->cut = true;
	l->b->cut_files++;
}

/* Read more after buf[end]; the text not handed out yet moved to the start first. */
static void fill(struct below_lines *l)
{
	size_t room;
	ssize_t n;

	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
	}
	room = BELOW_CHUNK - l->end;	/* > 0: what is kept is shorter than a line */
	if (l->total >= BELOW_FILE_MAX) {
		/* One byte more says whether the file really goes on. */
		room = 1;
	} else if (room > BELOW_FILE_MAX - l->total) {
		room = (size_t)(BELOW_FILE_MAX - l->total);
	}
	do
		n = read(l->fd, l->buf + l->end, room);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		cut(l);
		return;
	}
	if (n == 0) {
		l->eof = true;
		return;
	}
	if (l->total >= BELOW_FILE_MAX) {
		cut(l);
		return;
	}
	l->end += (size_t)n;
	l->total += (uint64_t)n;
}

const char *below_lines_next(struct below_lines *l, size_t *len)
{
	if (l->fd < 0)
		return NULL;
	if (l->held_at != SIZE_MAX) {
		l->buf[l->held_at] = l->held;
		l->held_at = SIZE_MAX;
	}
	for (;;) {
		char *nl = memchr(l->buf + l->start, '\n', l->end - l->start);
		const char *line = l->buf + l->start;

		if (nl && l->skipping) {
			l->skipping = false;
			l->start = (size_t)(nl - l->buf) + 1;
			continue;
		}
		if (nl) {
			*len = (size_t)(nl - line) + 1;
			l->start += *len;
			/* buf has a byte past BELOW_CHUNK for this NUL. */
			l->held_at = l->start;
			l->held = l->buf[l->start];
			l->buf[l->start] = '\0';
			return line;
		}
		if (!l->skipping && l->end - l->start >= BELOW_LINE_MAX) {
			l->skipping = true;
			l->b->long_lines++;
		}
		if (l->skipping)
			l->start = l->end = 0;	/* what is read of it is dropped */
		if (l->eof) {
			/* A last line without newline, unless the file was cut in it. */
			if (l->skipping || l->cut || l->end == l->start)
				return NULL;
			*len = l->end - l->start;
			l->buf[l->end] = '\0';
			l->start = l->end;
			return line;
		}
		fill(l);
	}
}

void below_lines_close(struct below_lines *l)
{
	if (l->fd >= 0)
		close(l->fd);
	free(l->buf);
	l->fd = -1;
	l->buf = NULL;
}
