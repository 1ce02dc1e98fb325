/*
 * test_below.c - opening and reading below a proc root (core/below.h):
 * symbolic links, "..", FIFOs, directories and devices refused; lines and
 * files bounded; the kernel's /proc trusted, nothing else. Each refusal is
 * checked twice: with openat2, and with the component walk used where
 * openat2 is missing.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/below.h"
#include "helpers.h"

/* A file outside every root: what a link must never let through. */
#define SECRET "TOPSECRET-0123456789"

struct bt {
	char *dir;	/* holds root/ and secret */
	char root[PATH_MAX];
	char secret[PATH_MAX];
};

static int setup(void **state)
{
	struct bt *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	t->dir = fx_new_root();
	fx_join(t->root, sizeof(t->root), t->dir, "root");
	fx_join(t->secret, sizeof(t->secret), t->dir, "secret");
	fx_puts(t->dir, "secret", SECRET "\n");
	fx_puts(t->dir, "outside/comm", SECRET "\n");
	fx_puts(t->root, "net/tcp", "line 1\nline 2\n");
	fx_puts(t->root, "100/comm", "nginx\n");
	fx_symlink(t->root, "100/fd/3", "socket:[1234]");
	fx_symlink(t->root, "100/fd/4", "/etc/shadow");
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct bt *t = *state;

	fx_rmtree(t->dir);
	free(t->dir);
	free(t);
	return 0;
}

static void open_root(struct below *b, const char *root, bool walk)
{
	assert_int_equal(below_root_open(b, root), 0);
	assert_false(b->trusted);
	if (walk)
		below_force_walk(b);
}

/* below_read_small of path fails with errno want, and nothing of the secret comes back. */
static void refused(struct below *b, const char *path, int want)
{
	char buf[256];
	uint64_t before = b->refused;

	memset(buf, 0, sizeof(buf));
	errno = 0;
	if (below_read_small(b, path, buf, sizeof(buf)) != -1)
		fail_msg("%s read: \"%s\"", path, buf);
	if (errno != want)
		fail_msg("%s: errno %d (%s), want %d", path, errno, strerror(errno), want);
	assert_null(strstr(buf, "TOPSECRET"));
	assert_int_equal(b->refused, before + 1);
}

static void test_regular_files(void **state)
{
	struct bt *t = *state;
	char buf[8];
	struct below z;

	/* No room even for the NUL: an error, not a write before buf. */
	open_root(&z, t->root, false);
	errno = 0;
	assert_int_equal(below_read_small(&z, "100/comm", buf, 0), -1);
	assert_int_equal(errno, EINVAL);
	below_root_close(&z);

	for (int walk = 0; walk < 2; walk++) {
		struct below b;

		open_root(&b, t->root, walk);
		assert_int_equal(below_read_small(&b, "100/comm", buf, sizeof(buf)), 6);
		assert_string_equal(buf, "nginx\n");
		/* At most size - 1 bytes, whatever the file holds. */
		assert_int_equal(below_read_small(&b, "net/tcp", buf, 5), 4);
		assert_string_equal(buf, "line");
		assert_int_equal(below_read_small(&b, "./net//tcp", buf, sizeof(buf)), 7);
		errno = 0;
		assert_int_equal(below_read_small(&b, "100/nothing", buf, sizeof(buf)), -1);
		assert_int_equal(errno, ENOENT);
		/* Absent is not refused: nothing to warn about. */
		assert_int_equal(b.refused, 0);
		below_root_close(&b);
	}
}

/*
 * No symbolic link is followed below an untrusted root, wherever it is in
 * the path and wherever it points: out of the root (absolute or by ".."),
 * or inside it.
 */
static void test_symlinks_refused(void **state)
{
	struct bt *t = *state;
	char target[PATH_MAX + 16];

	fx_symlink(t->root, "100/cmdline", t->secret);
	fx_symlink(t->root, "100/status", "../../secret");
	fx_symlink(t->root, "100/stat", "comm");		/* inside the root */
	snprintf(target, sizeof(target), "%s/outside", t->dir);
	fx_symlink(t->root, "101", target);			/* a PID directory */
	fx_symlink(t->root, "102", "100");
	fx_symlink(t->root, "net2", target);			/* net/ elsewhere */
	for (int walk = 0; walk < 2; walk++) {
		struct below b;
		char buf[64];
		DIR *d;

		open_root(&b, t->root, walk);
		refused(&b, "100/cmdline", ELOOP);
		refused(&b, "100/status", ELOOP);
		refused(&b, "100/stat", ELOOP);
		refused(&b, "101/comm", ELOOP);
		refused(&b, "102/comm", ELOOP);
		refused(&b, "net2/comm", ELOOP);
		errno = 0;
		assert_null(below_open_dir(&b, "101"));
		assert_int_equal(errno, ELOOP);
		assert_null(below_open_dir(&b, "102/fd"));
		assert_int_equal(errno, ELOOP);
		/* A link is read as text, never followed. */
		assert_int_equal(below_readlink(&b, "100/fd/4", buf, sizeof(buf)), 11);
		assert_string_equal(buf, "/etc/shadow");
		assert_int_equal(below_readlink(&b, "100/fd/3", buf, sizeof(buf)), 13);
		assert_string_equal(buf, "socket:[1234]");
		/* ... but not through a linked directory. */
		errno = 0;
		assert_int_equal(below_readlink(&b, "102/fd/3", buf, sizeof(buf)), -1);
		assert_int_equal(errno, ELOOP);
		/* Too long for the buffer: an error, not a cut text. */
		errno = 0;
		assert_int_equal(below_readlink(&b, "100/fd/3", buf, 8), -1);
		assert_int_equal(errno, ENAMETOOLONG);
		/* below_readlinkat takes one component of a directory opened below. */
		d = below_open_dir(&b, "100/fd");
		assert_non_null(d);
		assert_int_equal(below_readlinkat(dirfd(d), "3", buf, sizeof(buf)), 13);
		errno = 0;
		assert_int_equal(below_readlinkat(dirfd(d), "../fd/3", buf, sizeof(buf)), -1);
		assert_int_equal(errno, EINVAL);
		closedir(d);
		below_root_close(&b);
	}
}

/* ".." and absolute paths are refused before any lookup, even those that would stay inside. */
static void test_dotdot_refused(void **state)
{
	struct bt *t = *state;

	for (int walk = 0; walk < 2; walk++) {
		struct below b;
		char buf[64];

		open_root(&b, t->root, walk);
		refused(&b, "../secret", EXDEV);
		refused(&b, "100/../../secret", EXDEV);
		refused(&b, "100/../100/comm", EXDEV);
		refused(&b, "/etc/passwd", EXDEV);
		refused(&b, "100/..", EXDEV);
		errno = 0;
		assert_int_equal(below_readlink(&b, "100/../100/fd/3", buf, sizeof(buf)), -1);
		assert_int_equal(errno, EXDEV);
		assert_null(below_open_dir(&b, ".."));
		assert_int_equal(errno, EXDEV);
		/* Names that only start with dots are names. */
		fx_puts(t->root, "..x/...", "ok\n");
		assert_int_equal(below_read_small(&b, "..x/...", buf, sizeof(buf)), 3);
		below_root_close(&b);
	}
}

/*
 * A FIFO neither blocks the open (O_NONBLOCK) nor is read: refused at
 * once, as a file (comm) and as a table (net/udp). The alarm fails the
 * test rather than let it hang if it did block.
 */
static void test_fifo_refused(void **state)
{
	struct bt *t = *state;
	char path[PATH_MAX];

	fx_join(path, sizeof(path), t->root, "net/udp");
	assert_int_equal(mkfifo(path, 0644), 0);
	fx_join(path, sizeof(path), t->root, "100/cgroup");
	assert_int_equal(mkfifo(path, 0644), 0);
	alarm(10);
	for (int walk = 0; walk < 2; walk++) {
		struct below b;
		struct below_lines l;
		double t0 = mono_now();

		open_root(&b, t->root, walk);
		refused(&b, "100/cgroup", EINVAL);
		errno = 0;
		assert_int_equal(below_lines_open(&b, "net/udp", &l), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(b.refused, 2);
		assert_true(mono_now() - t0 < 1.0);
		below_root_close(&b);
	}
	alarm(0);
}

/*
 * A directory is no file; a socket file neither (its open fails, ENXIO);
 * nor a device node (made where root may).
 */
static void test_dir_and_device_refused(void **state)
{
	struct bt *t = *state;
	char path[PATH_MAX];
	struct sockaddr_un sun;
	bool have_dev;
	int s;

	fx_join(path, sizeof(path), t->root, "net/raw");
	assert_int_equal(mkdir(path, 0755), 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	fx_join(sun.sun_path, sizeof(sun.sun_path), t->root, "net/icmp");
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	fx_join(path, sizeof(path), t->root, "net/tcp6");
	/* /dev/zero's numbers: a table of zeros that never ends. */
	have_dev = mknod(path, S_IFCHR | 0644, makedev(1, 5)) == 0;
	for (int walk = 0; walk < 2; walk++) {
		struct below b;
		struct below_lines l;

		open_root(&b, t->root, walk);
		refused(&b, "net/raw", EINVAL);
		refused(&b, "net/icmp", ENXIO);
		if (have_dev) {
			errno = 0;
			assert_int_equal(below_lines_open(&b, "net/tcp6", &l), -1);
			/* EACCES on a nodev mount: not opened either way. */
			assert_true(errno == EINVAL || errno == EACCES);
		}
		/* A file where a directory is wanted. */
		errno = 0;
		assert_null(below_open_dir(&b, "net/tcp"));
		assert_int_equal(errno, ENOTDIR);
		below_root_close(&b);
	}
	close(s);
	if (!have_dev)
		skip();		/* no mknod here (not root, or not allowed) */
}

/* All the lines of path, joined with '|' (newlines dropped), into out. */
static void all_lines(struct below *b, const char *path, char *out, size_t size)
{
	struct below_lines l;
	const char *line;
	size_t len, at = 0;

	assert_int_equal(below_lines_open(b, path, &l), 0);
	out[0] = '\0';
	while ((line = below_lines_next(&l, &len)) != NULL) {
		/* As a parser sees it: up to a NUL inside, if any. */
		assert_true(strlen(line) <= len && line[len] == '\0');
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			len--;
		assert_true(at + len + 2 < size);
		memcpy(out + at, line, len);
		at += len;
		out[at++] = '|';
		out[at] = '\0';
	}
	/* Once at the end, it stays there. */
	assert_null(below_lines_next(&l, &len));
	below_lines_close(&l);
}

static void test_lines(void **state)
{
	struct bt *t = *state;
	struct below b;
	char out[256];

	open_root(&b, t->root, false);
	all_lines(&b, "net/tcp", out, sizeof(out));
	assert_string_equal(out, "line 1|line 2|");
	/* A last line without newline; empty lines; a NUL inside a line ends its string. */
	fx_write(t->root, "net/udp", "a\n\nb\0c\nlast", 11);
	all_lines(&b, "net/udp", out, sizeof(out));
	assert_string_equal(out, "a||b|last|");
	fx_puts(t->root, "net/udp", "");
	all_lines(&b, "net/udp", out, sizeof(out));
	assert_string_equal(out, "");
	assert_int_equal(b.long_lines + b.cut_files + b.refused, 0);
	below_root_close(&b);
}

/*
 * A line longer than BELOW_LINE_MAX (here 16 MB, and a last one of 100 KB
 * without newline) is skipped whole, the lines after it still read, and
 * the memory taken stays that of one chunk.
 */
static int long_lines_child(void *arg)
{
	const struct bt *t = arg;
	struct below b;
	char out[256];

	below_root_open(&b, t->root);
	all_lines(&b, "net/udp", out, sizeof(out));
	below_root_close(&b);
	return strcmp(out, "a|b|c|") == 0 && b.long_lines == 2 && b.cut_files == 0 ? 0 : 1;
}

static void test_long_lines(void **state)
{
	struct bt *t = *state;
	size_t big = 16 << 20, n = 0;
	char *text = malloc(big + 200000);
	struct bounded_run run;

	assert_non_null(text);
	n += (size_t)sprintf(text, "a\n");
	memset(text + n, 'x', big);
	n += big;
	n += (size_t)sprintf(text + n, "\nb\nc\n");
	memset(text + n, 'y', 100000);
	n += 100000;
	fx_write(t->root, "net/udp", text, n);
	free(text);
	assert_true(run_bounded(long_lines_child, t, 10, &run));
	assert_int_equal(run.result, 0);
	/* getline would have taken the 16 MB line whole (and doubled its buffer past it). */
	if (run.rss_growth_kb > 8 * 1024)
		fail_msg("memory grew by %ld KiB", run.rss_growth_kb);
}

/* A sparse file of size bytes at path below root, with text at offset. */
static void sparse(const char *root, const char *rel, off_t size, off_t offset, const char *text)
{
	char path[PATH_MAX];
	int fd;

	fx_join(path, sizeof(path), root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	if (text)
		assert_int_equal(pwrite(fd, text, strlen(text), offset), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

struct lines_want {
	const struct bt *t;
	const char *path;
	const char *lines;	/* all_lines of it */
	uint64_t long_lines, cut_files;
};

static int lines_child(void *arg)
{
	const struct lines_want *w = arg;
	struct below b;
	char out[256];

	below_root_open(&b, w->t->root);
	all_lines(&b, w->path, out, sizeof(out));
	below_root_close(&b);
	if (strcmp(out, w->lines) != 0 || b.long_lines != w->long_lines ||
	    b.cut_files != w->cut_files) {
		fprintf(stderr, "%s: lines \"%s\" (want \"%s\"), long %llu, cut %llu\n", w->path,
			out, w->lines, (unsigned long long)b.long_lines,
			(unsigned long long)b.cut_files);
		return 1;
	}
	return 0;
}

/*
 * A 2 GB file (sparse: zeros, no newline after its first line) is read up
 * to BELOW_FILE_MAX and cut there, in bounded time and memory; what was
 * before the cut is kept.
 */
static void test_huge_file_cut(void **state)
{
	struct bt *t = *state;
	struct lines_want w = { t, "net/tcp6", "first|", 1, 1 };
	struct bounded_run run;

	sparse(t->root, "net/tcp6", (off_t)2 << 30, 0, "first\n");
	assert_true(run_bounded(lines_child, &w, 20, &run));
	assert_int_equal(run.result, 0);
	if (run.rss_growth_kb > 8 * 1024)
		fail_msg("memory grew by %ld KiB", run.rss_growth_kb);
}

/*
 * At the cut, the line it falls in is dropped, not parsed short ("abc" of
 * "abcdef"); a file of exactly BELOW_FILE_MAX bytes is whole.
 */
static void test_cut_drops_partial_line(void **state)
{
	struct bt *t = *state;
	struct lines_want cut = { t, "net/tcp", "", 1, 1 }, whole = { t, "net/udp", "abc|", 1, 0 };
	struct bounded_run run;
	off_t max = (off_t)BELOW_FILE_MAX;

	sparse(t->root, "net/tcp", max + 100, max - 4, "\nabcdef\n");
	assert_true(run_bounded(lines_child, &cut, 20, &run));
	assert_int_equal(run.result, 0);
	sparse(t->root, "net/udp", max, max - 5, "\nabc\n");
	assert_true(run_bounded(lines_child, &whole, 20, &run));
	assert_int_equal(run.result, 0);
}

/*
 * The root of a procfs mount is trusted: its own links are followed
 * (net -> self/net). A directory inside it is not (/proc/self/fd holds
 * magic links to any file), nor is any other directory.
 */
static void test_trust(void **state)
{
	struct bt *t = *state;
	struct below b;
	char buf[64];

	assert_int_equal(below_root_open(&b, t->root), 0);
	assert_false(b.trusted);
	below_root_close(&b);
	if (below_root_open(&b, "/proc") != 0)
		skip();
	assert_true(b.trusted);
	assert_true(below_read_small(&b, "net/tcp", buf, sizeof(buf)) > 0);
	assert_true(below_read_small(&b, "self/comm", buf, sizeof(buf)) > 0);
	assert_true(below_readlink(&b, "self/ns/net", buf, sizeof(buf)) > 0);
	assert_memory_equal(buf, "net:[", 5);
	/* Still never out of it. */
	refused(&b, "../etc/passwd", EXDEV);
	below_root_close(&b);
	assert_int_equal(below_root_open(&b, "/proc/self/fd"), 0);
	assert_false(b.trusted);
	below_root_close(&b);
	assert_int_equal(below_root_open(&b, "/proc/self"), 0);
	assert_false(b.trusted);
	/* Untrusted: its magic link to / is not followed. */
	refused(&b, "root/etc/passwd", ELOOP);
	below_root_close(&b);
}

/*
 * A directory below the root as a root of its own: the same trust and
 * refusals, its counters folded into the parent's, and its reads stay in
 * the directory it opened when another takes its name. In the kernel's
 * /proc, a /proc/PID opened so reads that process only: once it is gone,
 * nothing, whatever process gets the pid next.
 */
static void test_sub_root(void **state)
{
	struct bt *t = *state;
	char buf[64], old[PATH_MAX], now[PATH_MAX];

	fx_symlink(t->root, "100/cmdline", t->secret);
	fx_symlink(t->root, "self", "100");
	for (int walk = 0; walk < 2; walk++) {
		struct below b, sub;

		open_root(&b, t->root, walk);
		assert_int_equal(below_sub_open(&b, "100", &sub), 0);
		assert_false(sub.trusted);
		assert_int_equal(sub.walk, b.walk);
		assert_int_equal(below_read_small(&sub, "comm", buf, sizeof(buf)), 6);
		assert_string_equal(buf, "nginx\n");
		assert_true(below_readlink(&sub, "fd/3", buf, sizeof(buf)) > 0);
		assert_string_equal(buf, "socket:[1234]");
		refused(&sub, "cmdline", ELOOP);
		refused(&sub, "../net/tcp", EXDEV);
		assert_int_equal(b.refused, 0);
		below_fold(&b, &sub);
		assert_int_equal(b.refused, 2);
		assert_int_equal(sub.refused, 0);
		/* A link is no directory to open either. */
		errno = 0;
		struct below bad;
		assert_int_equal(below_sub_open(&b, "self", &bad), -1);
		assert_int_equal(errno, ELOOP);
		assert_int_equal(b.refused, 3);
		/* Another directory takes the name: the one opened is still read. */
		fx_join(old, sizeof(old), t->root, "100");
		fx_join(now, sizeof(now), t->root, "100.gone");
		assert_int_equal(rename(old, now), 0);
		fx_puts(t->root, "100/comm", "other\n");
		assert_int_equal(below_read_small(&sub, "comm", buf, sizeof(buf)), 6);
		assert_string_equal(buf, "nginx\n");
		fx_rm(t->root, "100");
		assert_int_equal(rename(now, old), 0);
		below_root_close(&sub);
		below_root_close(&b);
	}

	/* The kernel's /proc: a child's directory, then the child gone. */
	struct below p, child;
	int fds[2];
	pid_t pid;

	if (below_root_open(&p, "/proc") != 0)
		skip();
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		close(fds[1]);
		_exit(read(fds[0], &c, 1) < 0);
	}
	close(fds[0]);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	assert_int_equal(below_sub_open(&p, buf, &child), 0);
	assert_true(child.trusted);
	assert_true(below_read_small(&child, "stat", buf, sizeof(buf)) > 0);
	assert_true(below_readlink(&child, "ns/net", buf, sizeof(buf)) > 0);
	assert_memory_equal(buf, "net:[", 5);
	close(fds[1]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	errno = 0;
	assert_int_equal(below_read_small(&child, "stat", buf, sizeof(buf)), -1);
	assert_true(errno == ENOENT || errno == ESRCH);
	assert_true(below_readlink(&child, "ns/net", buf, sizeof(buf)) < 0);
	below_root_close(&child);
	below_root_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_regular_files),
		T(test_symlinks_refused),
		T(test_dotdot_refused),
		T(test_fifo_refused),
		T(test_dir_and_device_refused),
		T(test_lines),
		T(test_long_lines),
		T(test_huge_file_cut),
		T(test_cut_drops_partial_line),
		T(test_trust),
		T(test_sub_root),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
