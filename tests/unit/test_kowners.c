/*
 * test_kowners.c - the kernel's owner source in front of the resolver
 * (core/kowners.c), against the running kernel: a child's sockets are
 * answered with its pid, name, uid, start time and command line while it
 * runs; after it is gone, still with its pid and name, and its command
 * line if its report was taken in while it ran (none if it was gone by
 * then: a later process with its pid must not lend its own); one proc_info per
 * process; a socket on the wildcard address only where wildcards may
 * match; ICMP never; and, in front of a resolver, a loopback connection
 * explained without a pass over /proc.
 *
 * Needs root (loading and attaching eBPF programs); otherwise, or where
 * the kernel refuses them, every test is skipped with the reason.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/kowners.h"
#include "../../core/resolve.h"
#include "lookup_at.h"

struct ctx {
	struct kowners *k;
	char why[300];
};

/* What a child did: its pid, and its TCP connection's two ends and a UDP port. */
struct made {
	int32_t pid;
	uint16_t client_port, server_port, udp_port;
};

struct child {
	pid_t pid;
	int go;		/* write a byte (or close) to let it exit */
	struct made m;
};

static const uint8_t lo4[16] = { 127, 0, 0, 1 };

static void die(const char *what)
{
	fprintf(stderr, "child: %s: %s\n", what, strerror(errno));
	_exit(2);
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		die("getsockname");
	return ntohs(a.sin_port);
}

/*
 * A child named name: a TCP listener and a connection to it over
 * 127.0.0.1, and a UDP socket bound to 0.0.0.0; it reports them, then
 * waits for the go byte (or its pipe's close) and exits.
 */
static struct child spawn(const char *name)
{
	int up[2], down[2];
	struct child c = { .pid = -1, .go = -1 };

	if (pipe(up) != 0 || pipe(down) != 0)
		return c;
	c.pid = fork();
	if (c.pid == 0) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		int l = socket(AF_INET, SOCK_STREAM, 0), s = socket(AF_INET, SOCK_STREAM, 0);
		int u = socket(AF_INET, SOCK_DGRAM, 0), acc;
		struct made m = { .pid = getpid() };
		char b;

		close(up[0]);
		close(down[1]);
		prctl(PR_SET_NAME, name);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (l < 0 || s < 0 || u < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    listen(l, 1) != 0)
			die("listener");
		a.sin_port = htons(port_of(l));
		if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
			die("connect");
		acc = accept(l, NULL, NULL);
		if (acc < 0 || write(s, "x", 1) != 1)
			die("accept");
		a.sin_addr.s_addr = htonl(INADDR_ANY);
		a.sin_port = 0;
		if (bind(u, (struct sockaddr *)&a, sizeof(a)) != 0)
			die("udp bind");
		m.client_port = port_of(s);
		m.server_port = port_of(l);
		m.udp_port = port_of(u);
		if (write(up[1], &m, sizeof(m)) != (ssize_t)sizeof(m))
			die("report");
		(void)!read(down[0], &b, 1);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	c.go = down[1];
	if (c.pid < 0 || read(up[0], &c.m, sizeof(c.m)) != (ssize_t)sizeof(c.m)) {
		close(up[0]);
		close(c.go);
		c.go = -1;
		return c;
	}
	close(up[0]);
	return c;
}

static void reap(struct child *c)
{
	int st;

	if (c->go >= 0)
		close(c->go);
	c->go = -1;
	if (c->pid > 0)
		waitpid(c->pid, &st, 0);
	c->pid = -1;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct kowners_opts ko = { .debug = getenv("KOWNERS_DEBUG") != NULL };

	if (!c)
		return -1;
	if (geteuid() != 0)
		snprintf(c->why, sizeof(c->why), "needs root to load eBPF programs");
	else if (kowners_open(&c->k, &ko, c->why, sizeof(c->why)) < 0)
		c->k = NULL;
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	kowners_free(c->k);
	free(c);
	return 0;
}

#define NEED_KERNEL(c)                                                                 \
	do {                                                                           \
		if (!(c)->k) {                                                         \
			fprintf(stderr, "skipped: the kernel's owner source: %s\n", (c)->why); \
			skip();                                                        \
		}                                                                      \
	} while (0)

/* How many passes r made: none, when the kernel answered everything. */
static uint64_t resolver_stats_passes(const struct resolver *r)
{
	struct resolve_stats st;

	resolver_stats(r, &st);
	return st.passes;
}

static enum owner_status end_of(struct kowners *k, int proto, uint16_t lport, uint16_t rport,
				bool wild, const struct proc_info **p)
{
	struct flow_end e = flow_end_make(TUPLE_V4, proto, lo4, lport, lo4, rport);
	bool local;

	return kowners_lookup_end(k, &e, wild, p, &local);
}

/* A running child: every end of its connection is its own, with its command line. */
static void test_running(void **state)
{
	struct ctx *c = *state;
	const struct proc_info *p = NULL, *q = NULL;
	struct child ch;

	NEED_KERNEL(c);
	ch = spawn("kown-run");
	assert_true(ch.pid > 0 && ch.go >= 0);
	assert_int_equal(kowners_poll(c->k, c->why, sizeof(c->why)), 0);
	assert_int_equal(end_of(c->k, IPPROTO_TCP, ch.m.client_port, ch.m.server_port, false, &p),
			 OWNER_FOUND);
	assert_int_equal(p->pid, ch.pid);
	assert_string_equal(p->comm, "kown-run");
	assert_true(p->have_uid);
	assert_int_equal(p->uid, getuid());
	assert_true(p->start > 0);
	/* Its command line is this test's, which it inherited by fork. */
	assert_non_null(p->cmdline);
	assert_non_null(strstr(p->cmdline, "test_kowners"));
	/* The accepted end: the same process, the same proc_info. */
	assert_int_equal(end_of(c->k, IPPROTO_TCP, ch.m.server_port, ch.m.client_port, false, &q),
			 OWNER_FOUND);
	assert_ptr_equal(p, q);
	reap(&ch);
}

/* A child gone before it was looked up: its pid and name, no command line. */
static void test_gone(void **state)
{
	struct ctx *c = *state;
	const struct proc_info *p = NULL;
	struct child ch;

	NEED_KERNEL(c);
	ch = spawn("kown-gone");
	assert_true(ch.pid > 0);
	reap(&ch);
	assert_int_equal(kowners_poll(c->k, c->why, sizeof(c->why)), 0);
	assert_int_equal(end_of(c->k, IPPROTO_TCP, ch.m.client_port, ch.m.server_port, false, &p),
			 OWNER_FOUND);
	assert_int_equal(p->pid, ch.m.pid);
	assert_string_equal(p->comm, "kown-gone");
	assert_string_equal(p->cmdline, "");
}

/*
 * A child whose report was taken in (kowners_poll) while it ran, and
 * which is gone when it is first looked up: its command line all the
 * same, read at the poll. It was empty when the command line was read
 * only when the answer was built.
 */
static void test_polled_then_gone(void **state)
{
	struct ctx *c = *state;
	const struct proc_info *p = NULL;
	struct child ch;

	NEED_KERNEL(c);
	ch = spawn("kown-brief");
	assert_true(ch.pid > 0 && ch.go >= 0);
	assert_int_equal(kowners_poll(c->k, c->why, sizeof(c->why)), 0);
	reap(&ch);
	assert_int_equal(end_of(c->k, IPPROTO_TCP, ch.m.client_port, ch.m.server_port, false, &p),
			 OWNER_FOUND);
	assert_int_equal(p->pid, ch.m.pid);
	assert_string_equal(p->comm, "kown-brief");
	assert_non_null(p->cmdline);
	assert_non_null(strstr(p->cmdline, "test_kowners"));
}

/* A socket on 0.0.0.0 answers only where wildcards may match; ICMP is never the kernel's. */
static void test_wildcard_and_icmp(void **state)
{
	struct ctx *c = *state;
	const struct proc_info *p = NULL;
	struct child ch;

	NEED_KERNEL(c);
	ch = spawn("kown-wild");
	assert_true(ch.pid > 0 && ch.go >= 0);
	assert_int_equal(kowners_poll(c->k, c->why, sizeof(c->why)), 0);
	assert_int_equal(end_of(c->k, IPPROTO_UDP, ch.m.udp_port, 5353, false, &p),
			 OWNER_NO_SOCKET);
	assert_null(p);
	assert_int_equal(end_of(c->k, IPPROTO_UDP, ch.m.udp_port, 5353, true, &p), OWNER_FOUND);
	assert_int_equal(p->pid, ch.pid);
	assert_int_equal(end_of(c->k, IPPROTO_ICMP, ch.m.client_port, ch.m.server_port, true, &p),
			 OWNER_NO_SOCKET);
	reap(&ch);
}

/*
 * In front of a resolver: a loopback connection the kernel reported is
 * explained, both ends its owner's, without /proc; a flow it never saw is
 * not (the resolver is asked).
 */
static void test_explains(void **state)
{
	struct ctx *c = *state;
	const struct proc_info *p = NULL;
	struct resolver *r;
	struct tuple t;
	struct child ch;
	bool local = false;

	NEED_KERNEL(c);
	r = resolver_new("/proc");
	assert_non_null(r);
	resolver_set_fallback(r, kowners_source(c->k));
	ch = spawn("kown-expl");
	assert_true(ch.pid > 0 && ch.go >= 0);
	assert_int_equal(kowners_poll(c->k, c->why, sizeof(c->why)), 0);
	memset(&t, 0, sizeof(t));
	memcpy(t.src, lo4, 4);
	memcpy(t.dst, lo4, 4);
	t.family = TUPLE_V4;
	t.proto = IPPROTO_TCP;
	t.sport = ch.m.client_port;
	t.dport = ch.m.server_port;
	assert_true(resolver_explains(r, &t));
	assert_int_equal(resolver_lookup_end_at(r, TUPLE_V4, IPPROTO_TCP, lo4, t.sport, lo4, t.dport,
					     &p, &local),
			 OWNER_FOUND);
	assert_int_equal(p->pid, ch.pid);
	assert_true(local);
	assert_int_equal(resolver_stats_passes(r), 0);
	/* A flow the kernel never saw (no such ports) is left to the resolver. */
	t.sport = 1;
	t.dport = 2;
	assert_false(resolver_explains(r, &t));
	reap(&ch);
	resolver_free(r);
}

/*
 * A UDP socket bound by one process and then held by another (bound, then
 * forked; the maker closes its copy): the kernel names its maker, /proc
 * its holder, and the resolver answers with the holder. The kernel's
 * answer was taken first once, and a forked receiver's datagrams went to
 * the parent that had closed the socket.
 */
static void test_holder_before_maker(void **state)
{
	struct ctx *c = *state;
	const struct proc_info *p = NULL;
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct resolver *r;
	int u, down[2];
	uint16_t port;
	pid_t kid;
	bool local = false;
	char b;

	NEED_KERNEL(c);
	r = resolver_new("/proc");
	assert_non_null(r);
	resolver_set_fallback(r, kowners_source(c->k));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(u >= 0);
	assert_int_equal(bind(u, (struct sockaddr *)&a, sizeof(a)), 0);
	port = port_of(u);
	assert_int_equal(pipe(down), 0);
	kid = fork();
	if (kid == 0) {
		close(down[1]);
		prctl(PR_SET_NAME, "kown-heir");
		(void)!read(down[0], &b, 1);
		_exit(0);
	}
	assert_true(kid > 0);
	close(down[0]);
	close(u);
	assert_int_equal(kowners_poll(c->k, c->why, sizeof(c->why)), 0);
	/* The kernel's answer alone: this process, which made and bound it. */
	assert_int_equal(end_of(c->k, IPPROTO_UDP, port, 9, true, &p), OWNER_FOUND);
	assert_int_equal(p->pid, getpid());
	assert_int_equal(resolver_refresh(r), 0);
	assert_int_equal(resolver_lookup_end_at(r, TUPLE_V4, IPPROTO_UDP, lo4, port, lo4, 9, &p,
					     &local), OWNER_FOUND);
	assert_int_equal(p->pid, kid);
	close(down[1]);
	waitpid(kid, NULL, 0);
	resolver_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_polled_then_gone),
		cmocka_unit_test(test_wildcard_and_icmp),
		cmocka_unit_test(test_explains),
		cmocka_unit_test(test_holder_before_maker),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
