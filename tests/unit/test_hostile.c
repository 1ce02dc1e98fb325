/*
 * test_hostile.c - the resolver (core/resolve.h) on a proc root made by
 * someone else (issue 11, items 1 to 3): links out of the root, FIFOs,
 * /dev/zero, huge files. What a link points at never reaches what the
 * resolver learns; a pass ends, in bounded time and memory, and uses the
 * rest of the root. Each pass runs in a child process with a time limit
 * (run_bounded), so that a pass that blocks or grows fails instead of
 * hanging the suite: the checks in the child return a number, the first
 * that failed.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../core/resolve.h"
#include "lookup_at.h"
#include "helpers.h"

#define SECRET "TOPSECRET-0123456789"

struct ht {
	struct fixture fx;
	char *out;		/* a directory outside the root */
	char secret[PATH_MAX];
};

static int setup(void **state)
{
	struct ht *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	fx_standard(&t->fx);
	t->out = fx_new_root();
	fx_puts(t->out, "secret", SECRET "\n");
	fx_join(t->secret, sizeof(t->secret), t->out, "secret");
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct ht *t = *state;

	fx_free(&t->fx);
	fx_rmtree(t->out);
	free(t->out);
	free(t);
	return 0;
}

/* The owner status of (la, lp) <-> (ra, rp), and the owner. */
static enum owner_status who(const struct resolver *r, int family, int proto, const char *la,
			     uint16_t lp, const char *ra, uint16_t rp, const struct proc_info **p)
{
	uint8_t l[16], rem[16];

	addr_parse(l, family, la);
	addr_parse(rem, family, ra);
	return resolver_lookup_at(r, family, proto, l, lp, rem, rp, p);
}

/* The pid owning that end, or a negative owner_status. */
static int pid_at(const struct resolver *r, int family, int proto, const char *la, uint16_t lp,
		  const char *ra, uint16_t rp)
{
	const struct proc_info *p;
	enum owner_status st = who(r, family, proto, la, lp, ra, rp, &p);

	return st == OWNER_FOUND ? p->pid : -(int)st;
}

static bool has_secret(const char *s)
{
	return s && strstr(s, "TOPSECRET");
}

/*
 * Files of a process that are links to a file out of the root (comm,
 * cmdline absolutely, status and cgroup by "..", stat to one inside): the
 * process is found (its fds are real) and nothing of the link's target is
 * in what is known of it. A PID directory that is a link to a process
 * elsewhere, and a net/tcp6 that is a link to a table elsewhere, are not
 * read either.
 */
static int links_child(void *arg)
{
	const struct ht *t = arg;
	struct resolver *r = resolver_new(t->fx.root);
	const struct proc_info *p;

	if (!r)
		return 1;
	resolver_refresh(r);
	if (who(r, TUPLE_V4, 6, "10.0.0.5", 9600, "192.0.2.9", 9600, &p) != OWNER_FOUND)
		return 2;
	if (p->pid != 600 || has_secret(p->comm) || has_secret(p->cmdline) ||
	    has_secret(p->cgroup) || has_secret(p->unit) || has_secret(p->container))
		return 3;
	if (p->comm[0] != '\0' || strcmp(p->cmdline, "") != 0 || p->have_uid || p->start != 0 ||
	    p->cgroup)
		return 4;
	/* 601 -> elsewhere: its socket is listed, but no process of the root holds it. */
	if (pid_at(r, TUPLE_V4, 6, "10.0.0.5", 9601, "192.0.2.9", 9601) != -OWNER_NO_PROCESS)
		return 5;
	/* net/tcp6 -> elsewhere: not read, so its socket is unknown... */
	if (pid_at(r, TUPLE_V6, 6, "fd00::5", 9602, "2001:db8::9", 9602) != -OWNER_NO_SOCKET)
		return 6;
	/* ... and the rest of the root is read as ever. */
	if (pid_at(r, TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000) != 101 ||
	    pid_at(r, TUPLE_V4, 17, "10.0.0.5", 53, "192.0.2.1", 5) != 104)
		return 7;
	resolver_free(r);
	return 0;
}

static void test_links_out_of_root(void **state)
{
	struct ht *t = *state;
	static const uint64_t i600[] = { 3600 }, i601[] = { 3601 }, i602[] = { 3602 };
	struct fx_table tcp6;
	struct bounded_run run;
	char path[PATH_MAX];

	fx_proc(t->fx.root, 600, "victim", 7, CMD("victim\0"), 42, i600, 1);
	fx_symlink(t->fx.root, "600/comm", t->secret);
	fx_symlink(t->fx.root, "600/cmdline", t->secret);
	fx_puts(t->out, "status", "Name:\tx\nUid:\t4242\t4242\t4242\t4242\n" SECRET "\n");
	fx_puts(t->out, "cgroup", "0::/" SECRET ".slice/" SECRET ".service\n");
	fx_puts(t->out, "stat", "1 (" SECRET ") S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0\n");
	/* Relative links that climb out of the root, as far as needed. */
	snprintf(path, sizeof(path), "../../../../../../../../../../..%s/status", t->out);
	fx_symlink(t->fx.root, "600/status", path);
	snprintf(path, sizeof(path), "../../../../../../../../../../..%s/cgroup", t->out);
	fx_symlink(t->fx.root, "600/cgroup", path);
	fx_puts(t->fx.root, "600/real-stat", "600 (victim) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42\n");
	fx_symlink(t->fx.root, "600/stat", "real-stat");
	/* A process directory elsewhere, linked in as 601. */
	fx_proc(t->out, 601, SECRET, 9, CMD(SECRET "\0"), 43, i601, 1);
	fx_join(path, sizeof(path), t->out, "601");
	fx_symlink(t->fx.root, "601", path);
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 9600, "192.0.2.9", 9600, 0x01, 3600);
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 9601, "192.0.2.9", 9601, 0x01, 3601);
	fx_write_tables(&t->fx);
	/* A table elsewhere, linked in as net/tcp6; the process is in the root. */
	fx_proc(t->fx.root, 602, "six", 0, CMD("six\0"), 44, i602, 1);
	fx_table_init(&tcp6, TUPLE_V6);
	fx_add(&tcp6, TUPLE_V6, "fd00::5", 9602, "2001:db8::9", 9602, 0x01, 3602);
	fx_puts(t->out, "tcp6", tcp6.text);
	fx_join(path, sizeof(path), t->out, "tcp6");
	fx_symlink(t->fx.root, "net/tcp6", path);

	assert_true(run_bounded(links_child, t, 10, &run));
	if (run.result != 0)
		fail_msg("check %d failed", run.result);
}

/* A net/ that is a link to a copy of itself elsewhere: no table is read. */
static int net_link_child(void *arg)
{
	const struct ht *t = arg;
	struct resolver *r = resolver_new(t->fx.root);

	if (!r)
		return 1;
	if (resolver_refresh(r) != -1)
		return 2;
	if (pid_at(r, TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000) != -OWNER_NO_SOCKET)
		return 3;
	resolver_free(r);
	return 0;
}

static void test_net_link_refused(void **state)
{
	struct ht *t = *state;
	char from[PATH_MAX], to[PATH_MAX];
	struct bounded_run run;

	fx_join(from, sizeof(from), t->fx.root, "net");
	fx_join(to, sizeof(to), t->out, "net");
	assert_int_equal(rename(from, to), 0);
	fx_symlink(t->fx.root, "net", to);
	assert_true(run_bounded(net_link_child, t, 10, &run));
	if (run.result != 0)
		fail_msg("check %d failed", run.result);
}

/*
 * A FIFO as net/udp and as a process's comm: opening one for reading
 * blocked until a writer came, forever, and no signal ended it. Now the
 * pass ends at once and uses the rest of the root.
 */
static int fifo_child(void *arg)
{
	const struct ht *t = arg;
	struct resolver *r = resolver_new(t->fx.root);
	const struct proc_info *p;

	if (!r)
		return 1;
	if (resolver_refresh(r) != 0)
		return 2;
	if (who(r, TUPLE_V4, 6, "10.0.0.5", 9603, "192.0.2.9", 9603, &p) != OWNER_FOUND ||
	    p->pid != 603 || p->comm[0] != '\0' || strcmp(p->cmdline, "fifo") != 0 ||
	    !p->have_uid || p->uid != 3)
		return 3;
	/* net/udp refused: its sockets unknown; the other tables read. */
	if (pid_at(r, TUPLE_V4, 17, "10.0.0.5", 53, "192.0.2.1", 5) != -OWNER_NO_SOCKET ||
	    pid_at(r, TUPLE_V6, 17, "fd00::5", 123, "2001:db8::1", 5) != 105 ||
	    pid_at(r, TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000) != 101)
		return 4;
	resolver_free(r);
	return 0;
}

static void test_fifos(void **state)
{
	struct ht *t = *state;
	static const uint64_t i603[] = { 3603 };
	struct bounded_run run;
	char path[PATH_MAX];

	fx_proc(t->fx.root, 603, "fifo", 3, CMD("fifo\0"), 45, i603, 1);
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 9603, "192.0.2.9", 9603, 0x01, 3603);
	fx_write_tables(&t->fx);
	fx_join(path, sizeof(path), t->fx.root, "603/comm");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	fx_join(path, sizeof(path), t->fx.root, "net/udp");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_true(run_bounded(fifo_child, t, 3, &run));
	if (run.result != 0)
		fail_msg("check %d failed", run.result);
	assert_true(run.seconds < 1.0);
}

/*
 * Tables of no end: net/tcp a link to /dev/zero (read until memory ran
 * out: past 1 GB), net/tcp6 a 2 GB file (sparse: zeros, no newline),
 * net/udp a 1 MB line before its real lines, and net/udp6 a device node
 * (/dev/zero's numbers) where root may make one. The pass ends in
 * bounded time and memory, and the lines after the long one are read.
 */
static int huge_child(void *arg)
{
	const struct ht *t = arg;
	struct resolver *r = resolver_new(t->fx.root);

	if (!r)
		return 1;
	resolver_refresh(r);
	if (pid_at(r, TUPLE_V4, 17, "10.0.0.5", 53, "192.0.2.1", 5) != 104)
		return 2;
	if (pid_at(r, TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000) != -OWNER_NO_SOCKET)
		return 3;
	resolver_free(r);
	return 0;
}

static void test_tables_without_end(void **state)
{
	struct ht *t = *state;
	struct bounded_run run;
	char path[PATH_MAX];
	size_t big = 1 << 20;
	char *text = malloc(big + sizeof(t->fx.udp.text));
	int fd;

	fx_symlink(t->fx.root, "net/tcp", "/dev/zero");
	fx_join(path, sizeof(path), t->fx.root, "net/tcp6");
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)2 << 30), 0);
	assert_int_equal(close(fd), 0);
	assert_non_null(text);
	memset(text, 'x', big);
	memcpy(text + big, t->fx.udp.text, t->fx.udp.len);	/* its header ends the long line */
	fx_write(t->fx.root, "net/udp", text, big + t->fx.udp.len);
	free(text);
	fx_join(path, sizeof(path), t->fx.root, "net/udp6");
	assert_int_equal(unlink(path), 0);
	if (mknod(path, S_IFCHR | 0644, makedev(1, 5)) != 0)
		fx_symlink(t->fx.root, "net/udp6", "/dev/zero");
	assert_true(run_bounded(huge_child, t, 10, &run));
	if (run.result != 0)
		fail_msg("check %d failed", run.result);
	/* One read buffer (256 KiB), not the file: a few MB at most, ASan's included. */
	if (run.rss_growth_kb > 16 * 1024)
		fail_msg("memory grew by %ld KiB", run.rss_growth_kb);
}

/*
 * A snapshot's own namespace is that of "self": a link to a pid is read
 * as text (not followed), a directory copied as self is read below. A
 * process of another namespace (700, with its own net/) is then met, and
 * its socket found; with a self that names no pid, no namespace is told
 * apart and that socket stays unknown, but nothing is followed.
 */
static int self_child(void *arg)
{
	const struct ht *t = arg;
	struct resolver *r = resolver_new(t->fx.root);
	int pid;

	if (!r)
		return -100;
	resolver_refresh(r);
	pid = pid_at(r, TUPLE_V4, 6, "10.9.9.9", 700, "192.0.2.9", 700);
	resolver_free(r);
	return pid;
}

static void test_self(void **state)
{
	struct ht *t = *state;
	static const uint64_t i700[] = { 3700 };
	static const char *const addrs[] = { "10.9.9.9" };
	struct fx_table tcp;
	struct bounded_run run;
	char path[PATH_MAX];

	fx_symlink(t->fx.root, "100/ns/net", "net:[4026531840]");
	fx_proc(t->fx.root, 700, "contained", 0, CMD("contained\0"), 46, i700, 1);
	fx_symlink(t->fx.root, "700/ns/net", "net:[4026532000]");
	fx_table_init(&tcp, TUPLE_V4);
	fx_add(&tcp, TUPLE_V4, "10.9.9.9", 700, "192.0.2.9", 700, 0x01, 3700);
	fx_puts(t->fx.root, "700/net/tcp", tcp.text);
	fx_join(path, sizeof(path), t->fx.root, "700");
	fx_fib_trie(path, addrs, 1);

	fx_symlink(t->fx.root, "self", "100");
	assert_true(run_bounded(self_child, t, 10, &run));
	assert_int_equal(run.result, 700);

	fx_rm(t->fx.root, "self");
	fx_symlink(t->fx.root, "self/ns/net", "net:[4026531840]");
	assert_true(run_bounded(self_child, t, 10, &run));
	assert_int_equal(run.result, 700);

	fx_rm(t->fx.root, "self");
	fx_symlink(t->fx.root, "self", t->out);
	fx_symlink(t->out, "ns/net", "net:[4026532000]");
	assert_true(run_bounded(self_child, t, 10, &run));
	assert_int_equal(run.result, -OWNER_NO_SOCKET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_links_out_of_root),
		T(test_net_link_refused),
		T(test_fifos),
		T(test_tables_without_end),
		T(test_self),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
