/*
 * test_resolve.c - sockets to processes through a /proc stand-in
 * (core/resolve.h). Each test builds the fixture of helpers.h in a
 * mkdtemp() directory and removes it afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../core/attribute.h"
#include "../../core/cgroup.h"
#include "../../core/resolve.h"
#include "lookup_at.h"
#include "helpers.h"

#define NOBODY 65534	/* a uid that file modes bind, for the tests run as root */

struct rt {
	struct fixture fx;
	struct resolver *r;
};

static int setup(void **state)
{
	struct rt *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	fx_standard(&t->fx);
	t->r = resolver_new(t->fx.root);
	if (!t->r)
		return -1;
	*state = t;
	return resolver_refresh(t->r) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	struct rt *t = *state;

	if (t) {
		resolver_free(t->r);
		fx_free(&t->fx);
		free(t);
	}
	return 0;
}

/* Look up (laddr, lport) talking to (raddr, rport); check the status. */
static const struct proc_info *lookup(const struct resolver *r, int family, int proto,
				      const char *la, uint16_t lp, const char *ra, uint16_t rp,
				      enum owner_status want)
{
	uint8_t l[16], rem[16];
	const struct proc_info *owner = (const struct proc_info *)1;
	enum owner_status st;

	addr_parse(l, family, la);
	addr_parse(rem, family, ra);
	st = resolver_lookup_at(r, family, proto, l, lp, rem, rp, &owner);
	/* resolver_lookup_end: the same answer, and whether l is local. */
	const struct proc_info *owner2 = NULL;
	bool local = !resolver_is_local(r, family, l);
	assert_int_equal(resolver_lookup_end_at(r, family, proto, l, lp, rem, rp, &owner2, &local), st);
	assert_ptr_equal(owner2, owner);
	assert_true(local == resolver_is_local(r, family, l));
	if (st != want)
		fail_msg("lookup %s:%u <-> %s:%u proto %d: status %d, want %d", la, lp, ra, rp,
			 proto, st, want);
	if (want == OWNER_FOUND)
		assert_non_null(owner);
	else
		assert_null(owner);
	return owner;
}

static int pid_of(const struct resolver *r, int family, int proto, const char *la,
		  uint16_t lp, const char *ra, uint16_t rp)
{
	return lookup(r, family, proto, la, lp, ra, rp, OWNER_FOUND)->pid;
}

static bool is_local(const struct resolver *r, int family, const char *text)
{
	uint8_t a[16];

	addr_parse(a, family, text);
	return resolver_is_local(r, family, a);
}

/* ---- creation ---- */

static void test_new_fails_on_missing_root(void **state)
{
	(void)state;
	char *root = fx_new_root();
	char path[4200];

	errno = 0;
	snprintf(path, sizeof(path), "%s/does-not-exist", root);
	assert_null(resolver_new(path));
	assert_int_equal(errno, ENOENT);
	/* A file is no directory. */
	fx_puts(root, "file", "x");
	snprintf(path, sizeof(path), "%s/file", root);
	assert_null(resolver_new(path));
	/* An empty directory is a root, but there is nothing to read in it. */
	struct resolver *r = resolver_new(root);
	assert_non_null(r);
	assert_int_equal(resolver_refresh(r), -1);
	uint8_t a[16];
	const struct proc_info *owner;
	addr_parse(a, TUPLE_V4, "10.0.0.5");
	assert_int_equal(resolver_lookup_at(r, TUPLE_V4, 6, a, 80, a, 1, &owner), OWNER_NO_SOCKET);
	assert_null(owner);
	assert_false(resolver_is_local(r, TUPLE_V4, a));
	/* One table is enough for a pass to count. */
	fx_puts(root, "net/udp6", TCP_HEADER6);
	assert_int_equal(resolver_refresh(r), 0);
	resolver_free(r);
	resolver_free(NULL);
	fx_rmtree(root);
	free(root);
}

/* ---- lookups ---- */

static void test_exact_tuple(void **state)
{
	struct rt *t = *state;
	const struct proc_info *p;

	/* The accepted connection's own socket, not the listener's. */
	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000, OWNER_FOUND);
	assert_int_equal(p->pid, 101);
	assert_string_equal(p->comm, "worker");
	/* UDP in IPv6. */
	assert_int_equal(pid_of(t->r, TUPLE_V6, 17, "fd00::5", 123, "2001:db8::1", 123), 105);
	/* A dual-stack socket's v4-mapped connection, looked up as IPv4. */
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "10.0.0.5", 9090, "192.0.2.9", 1234), 103);
	/* Protocol and port matter. */
	lookup(t->r, TUPLE_V4, 17, "10.0.0.5", 80, "192.0.2.9", 40000, OWNER_NO_SOCKET);
	lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 81, "192.0.2.9", 40000, OWNER_NO_SOCKET);
	lookup(t->r, TUPLE_V6, 17, "fd00::5", 124, "2001:db8::1", 123, OWNER_NO_SOCKET);
}

/* A SYN to 10.0.0.5:80 from anywhere belongs to the listener's process. */
static void test_listener_fallback(void **state)
{
	struct rt *t = *state;

	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "10.0.0.5", 80, "198.51.100.7", 1234), 100);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40001), 100);
	/* Loopback listener: a new client of 127.0.0.1:6000. */
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "127.0.0.1", 6000, "127.0.0.1", 7777), 111);
	/* The listener is bound to 10.0.0.5, not to 127.0.0.1. */
	lookup(t->r, TUPLE_V4, 6, "127.0.0.1", 80, "127.0.0.1", 7777, OWNER_NO_SOCKET);
}

static void test_wildcards(void **state)
{
	struct rt *t = *state;

	/* 0.0.0.0:53 UDP answers on every local address. */
	assert_int_equal(pid_of(t->r, TUPLE_V4, 17, "10.0.0.5", 53, "192.0.2.9", 5000), 104);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 17, "127.0.0.1", 53, "127.0.0.1", 5000), 104);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 17, "127.9.9.9", 53, "127.0.0.1", 5000), 104);
	/* ... and gets multicast and broadcast. */
	assert_int_equal(pid_of(t->r, TUPLE_V4, 17, "224.0.0.251", 53, "192.0.2.9", 5353), 104);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 17, "255.255.255.255", 53, "192.0.2.9", 68),
			 104);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 17, "10.0.0.255", 53, "192.0.2.9", 68), 104);
	/* 0.0.0.0:22 TCP. */
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "10.0.0.5", 22, "198.51.100.1", 50000), 102);
	/* The dual-stack [::]:8080 socket gets IPv6 and IPv4 traffic. */
	assert_int_equal(pid_of(t->r, TUPLE_V6, 6, "::1", 8080, "::1", 40000), 103);
	assert_int_equal(pid_of(t->r, TUPLE_V6, 6, "fd00::5", 8080, "2001:db8::9", 40000), 103);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "10.0.0.5", 8080, "192.0.2.9", 40000), 103);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "127.0.0.1", 8080, "127.0.0.1", 40000), 103);
	/* An IPv4 wildcard does not take IPv6 traffic. */
	lookup(t->r, TUPLE_V6, 17, "fd00::5", 53, "2001:db8::9", 5000, OWNER_NO_SOCKET);
}

/* A wildcard socket does not claim traffic that is not addressed to us. */
static void test_no_wildcard_for_foreign_address(void **state)
{
	struct rt *t = *state;

	lookup(t->r, TUPLE_V4, 6, "203.0.113.1", 22, "192.0.2.9", 4000, OWNER_NO_SOCKET);
	lookup(t->r, TUPLE_V4, 17, "203.0.113.1", 53, "192.0.2.9", 4000, OWNER_NO_SOCKET);
	lookup(t->r, TUPLE_V4, 6, "203.0.113.1", 8080, "192.0.2.9", 4000, OWNER_NO_SOCKET);
	lookup(t->r, TUPLE_V6, 6, "2001:db8::77", 8080, "2001:db8::9", 4000, OWNER_NO_SOCKET);
	lookup(t->r, TUPLE_V4, 17, "10.0.0.6", 53, "192.0.2.9", 4000, OWNER_NO_SOCKET);
	/* Some other protocol on a local address: no socket. */
	lookup(t->r, TUPLE_V4, 47, "10.0.0.5", 0, "192.0.2.9", 0, OWNER_NO_SOCKET);
}

/* With no local address known at all, wildcard sockets match any address. */
static void test_no_local_addresses(void **state)
{
	struct rt *t = *state;
	struct resolver *r;

	fx_rm(t->fx.root, "net/fib_trie");
	fx_rm(t->fx.root, "net/if_inet6");
	r = resolver_new(t->fx.root);
	assert_non_null(r);
	assert_int_equal(resolver_refresh(r), 0);
	assert_false(is_local(r, TUPLE_V4, "127.0.0.1"));
	assert_false(is_local(r, TUPLE_V6, "::1"));
	assert_int_equal(pid_of(r, TUPLE_V4, 17, "203.0.113.1", 53, "192.0.2.9", 4000), 104);
	assert_int_equal(pid_of(r, TUPLE_V4, 6, "203.0.113.1", 8080, "192.0.2.9", 4000), 103);
	/* Exact and bound matches do not depend on it. */
	assert_int_equal(pid_of(r, TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000), 101);
	resolver_free(r);
}

static void test_no_process(void **state)
{
	struct rt *t = *state;

	/* TIME_WAIT: the socket is known, inode 0. */
	lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 5555, "192.0.2.9", 6000, OWNER_NO_PROCESS);
	/* A socket whose fd no process holds any more. */
	lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 7000, "192.0.2.9", 7001, OWNER_NO_PROCESS);
	/* The remote end of a known socket is no socket of ours. */
	lookup(t->r, TUPLE_V4, 6, "192.0.2.9", 6000, "10.0.0.5", 5555, OWNER_NO_SOCKET);
}

/*
 * A connection closing in TIME_WAIT (inode 0), or one whose fd no process
 * holds, passes its packets to the listener of its port (the process that
 * accepted it); with no listener they are no-process. Another remote end
 * reaches the listener as always.
 */
static void test_closed_connection_goes_to_listener(void **state)
{
	struct rt *t = *state;

	/* TIME_WAIT at the exact tuple, the listener 10.0.0.5:80 (pid 100) beside it. */
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 80, "198.51.100.7", 5555, 0x06, 0);
	/* The same below the wildcard listener 0.0.0.0:22 (pid 102) ... */
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 22, "198.51.100.7", 5556, 0x06, 0);
	/* ... and a connection on port 22 whose fd no process holds. */
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 22, "198.51.100.7", 5557, 0x01, 4242);
	fx_write_tables(&t->fx);
	assert_int_equal(resolver_refresh(t->r), 0);

	/*
	 * A closed connection (no process holds it) passes its last packets
	 * to the listener of its port, whose process accepted it.
	 */
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "10.0.0.5", 80, "198.51.100.7", 5555), 100);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "10.0.0.5", 22, "198.51.100.7", 5556), 102);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "10.0.0.5", 22, "198.51.100.7", 5557), 102);
	/* With no listener on the port (a client's closed connection): no process. */
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 41000, "198.51.100.7", 443, 0x06, 0);
	fx_write_tables(&t->fx);
	assert_int_equal(resolver_refresh(t->r), 0);
	lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 41000, "198.51.100.7", 443, OWNER_NO_PROCESS);
	/* A new connection from another port of that host: the listeners'. */
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "10.0.0.5", 80, "198.51.100.7", 5558), 100);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "10.0.0.5", 22, "198.51.100.7", 5558), 102);
}

static void test_process_info(void **state)
{
	struct rt *t = *state;
	const struct proc_info *p;

	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 80, "198.51.100.7", 1, OWNER_FOUND);
	assert_int_equal(p->pid, 100);
	assert_string_equal(p->comm, "nginx");
	assert_true(p->have_uid);
	assert_int_equal(p->uid, 33);		/* the real uid: first number of Uid: */
	assert_string_equal(p->cmdline, "nginx -g daemon off;");	/* NULs to spaces */
	assert_int_equal(p->start, 5000);

	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 22, "198.51.100.7", 1, OWNER_FOUND);
	assert_string_equal(p->comm, "sshd");
	assert_true(p->have_uid);
	assert_int_equal(p->uid, 0);
	assert_string_equal(p->cmdline, "/usr/sbin/sshd -D");

	/* No status, stat or cmdline file: no uid, start 0, empty command line. */
	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 8000, "192.0.2.9", 8001, OWNER_FOUND);
	assert_int_equal(p->pid, 106);
	assert_string_equal(p->comm, "bare");
	assert_false(p->have_uid);
	assert_int_equal(p->start, 0);
	assert_non_null(p->cmdline);
	assert_string_equal(p->cmdline, "");

	/* Parentheses and spaces in the command name do not shift stat's fields. */
	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 8002, "192.0.2.9", 8003, OWNER_FOUND);
	assert_int_equal(p->pid, 107);
	assert_string_equal(p->comm, "a) (b c");
	assert_int_equal(p->start, 777);
	assert_int_equal(p->uid, 5);
	assert_string_equal(p->cmdline, "x");
}

/* Odd comm / cmdline / status contents. */
static void test_process_files_edge_cases(void **state)
{
	struct rt *t = *state;
	static const uint64_t ino[] = { 3001 };
	char big[5000];
	const struct proc_info *p;

	/* A command line longer than what is kept; NULs inside, none at the end. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 10 == 9 ? '\0' : 'a' + i % 10);
	fx_proc(t->fx.root, 500, "long", 42, big, sizeof(big), 100, ino, 1);
	/* A comm file without its newline, and a status with no Uid: line. */
	fx_puts(t->fx.root, "500/comm", "nonl");
	fx_puts(t->fx.root, "500/status", "Name:\tnonl\nGid:\t0\t0\t0\t0\n");
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 9999, "192.0.2.9", 9999, 1, 3001);
	fx_write_tables(&t->fx);
	assert_int_equal(resolver_refresh(t->r), 0);
	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 9999, "192.0.2.9", 9999, OWNER_FOUND);
	assert_int_equal(p->pid, 500);
	assert_string_equal(p->comm, "nonl");
	assert_false(p->have_uid);
	size_t n = strlen(p->cmdline);
	assert_true(n > 1000 && n <= 4096);
	assert_memory_equal(p->cmdline, "abcdefghi abcdefghi ", 20);
	assert_null(memchr(p->cmdline, '\0', n));
}

/*
 * PID/cgroup is read with the other files of a process: the cgroup v2
 * path, and the systemd unit and container it names (cgroup.h); NULL
 * when the file is missing, has no v2 line (a v1-only host), or is longer
 * than CGROUP_FILE_MAX.
 */
static void test_process_cgroup(void **state)
{
	struct rt *t = *state;
	static const uint64_t i1[] = { 3201 }, i2[] = { 3202 }, i3[] = { 3203 }, i4[] = { 3204 };
	const struct proc_info *p;
	char *big;

	fx_proc(t->fx.root, 901, "svc", 0, CMD("svc\0"), 31, i1, 1);
	fx_puts(t->fx.root, "901/cgroup",
		"1:name=systemd:/system.slice/svc.service\n0::/system.slice/svc.service\n");
	fx_proc(t->fx.root, 902, "app", 0, CMD("app\0"), 32, i2, 1);
	fx_puts(t->fx.root, "902/cgroup",
		"0::/system.slice/docker-0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef.scope\n");
	fx_proc(t->fx.root, 903, "old", 0, CMD("old\0"), 33, i3, 1);
	fx_puts(t->fx.root, "903/cgroup", "4:memory:/x\n1:name=systemd:/user.slice\n");
	/* A file longer than is read: nothing taken from it, though it starts well. */
	fx_proc(t->fx.root, 904, "huge", 0, CMD("huge\0"), 34, i4, 1);
	big = malloc(CGROUP_FILE_MAX + 100);
	assert_non_null(big);
	memset(big, 'a', CGROUP_FILE_MAX + 100);
	memcpy(big, "0::/init.scope\n1:x:/", 20);
	fx_write(t->fx.root, "904/cgroup", big, CGROUP_FILE_MAX + 100);
	free(big);
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 9201, "192.0.2.9", 9201, 1, 3201);
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 9202, "192.0.2.9", 9202, 1, 3202);
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 9203, "192.0.2.9", 9203, 1, 3203);
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 9204, "192.0.2.9", 9204, 1, 3204);
	fx_write_tables(&t->fx);
	assert_int_equal(resolver_refresh(t->r), 0);

	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 9201, "192.0.2.9", 9201, OWNER_FOUND);
	assert_string_equal(p->cgroup, "/system.slice/svc.service");
	assert_string_equal(p->unit, "svc.service");
	assert_null(p->container);
	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 9202, "192.0.2.9", 9202, OWNER_FOUND);
	assert_string_equal(p->unit, "docker-0123456789abcdef0123456789abcdef"
				     "0123456789abcdef0123456789abcdef.scope");
	assert_string_equal(p->container, "0123456789abcdef0123456789abcdef"
					  "0123456789abcdef0123456789abcdef");
	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 9203, "192.0.2.9", 9203, OWNER_FOUND);
	assert_null(p->cgroup);
	assert_null(p->unit);
	assert_null(p->container);
	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 9204, "192.0.2.9", 9204, OWNER_FOUND);
	assert_null(p->cgroup);
	assert_null(p->unit);
	/* No cgroup file at all (the standard fixture's processes). */
	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000, OWNER_FOUND);
	assert_int_equal(p->pid, 101);
	assert_null(p->cgroup);
	assert_null(p->unit);
	assert_null(p->container);
}

static void test_is_local(void **state)
{
	struct rt *t = *state;

	/* 127.0.0.0/8 host LOCAL covers all of 127/8. */
	assert_true(is_local(t->r, TUPLE_V4, "127.0.0.1"));
	assert_true(is_local(t->r, TUPLE_V4, "127.5.6.7"));
	assert_true(is_local(t->r, TUPLE_V4, "127.255.255.254"));
	assert_false(is_local(t->r, TUPLE_V4, "126.255.255.255"));
	assert_false(is_local(t->r, TUPLE_V4, "128.0.0.0"));
	/* /32 entries. */
	assert_true(is_local(t->r, TUPLE_V4, "10.0.0.5"));
	assert_false(is_local(t->r, TUPLE_V4, "10.0.0.4"));
	assert_false(is_local(t->r, TUPLE_V4, "10.0.0.6"));
	assert_false(is_local(t->r, TUPLE_V4, "10.0.0.0"));	/* the /24 is only a route */
	/* A prefix whose length is no multiple of 8: 172.16.0.0/12. */
	assert_true(is_local(t->r, TUPLE_V4, "172.16.0.1"));
	assert_true(is_local(t->r, TUPLE_V4, "172.31.255.255"));
	assert_false(is_local(t->r, TUPLE_V4, "172.32.0.0"));
	assert_false(is_local(t->r, TUPLE_V4, "172.15.255.255"));
	assert_false(is_local(t->r, TUPLE_V4, "0.0.0.0"));
	/* IPv6 from if_inet6. */
	assert_true(is_local(t->r, TUPLE_V6, "::1"));
	assert_true(is_local(t->r, TUPLE_V6, "fd00::5"));
	assert_false(is_local(t->r, TUPLE_V6, "fd00::6"));
	assert_false(is_local(t->r, TUPLE_V6, "::"));
	/* The family counts: IPv6 bytes that start like 127.0.0.1 are not local. */
	assert_false(is_local(t->r, TUPLE_V6, "7f00:1::"));
	uint8_t a[16];
	addr_parse(a, TUPLE_V6, "fd00::5");
	assert_false(resolver_is_local(t->r, TUPLE_V4, a));
}

static struct tuple canon(int family, int proto, const char *a, uint16_t ap, const char *b,
			  uint16_t bp)
{
	struct tuple x;

	memset(&x, 0, sizeof(x));
	addr_parse(x.src, family, a);
	addr_parse(x.dst, family, b);
	x.sport = ap;
	x.dport = bp;
	x.family = (uint8_t)family;
	x.proto = (uint8_t)proto;
	tuple_canonical(&x);
	return x;
}

/*
 * resolver_explains is true only when every end of the tuple is an address
 * of this host (of a network namespace met) and a known process owns it.
 * An end that is no address of ours may be one of a namespace not met yet
 * (a container started since): false, so that the resolver looks at new
 * processes for it (resolver_refresh_flows).
 */
static void test_explains(void **state)
{
	struct rt *t = *state;
	struct tuple x;

	/*
	 * One local end, owned (the accepted socket; the UDP wildcard), the
	 * other end remote: the local end alone no longer explains the flow.
	 */
	x = canon(TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000);
	lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000, OWNER_FOUND);
	assert_false(resolver_explains(t->r, &x));
	x = canon(TUPLE_V4, 17, "192.0.2.9", 5000, "10.0.0.5", 53);
	lookup(t->r, TUPLE_V4, 17, "10.0.0.5", 53, "192.0.2.9", 5000, OWNER_FOUND);
	assert_false(resolver_explains(t->r, &x));
	/* No end ours: perhaps a namespace not met yet, worth a look. */
	x = canon(TUPLE_V4, 6, "198.51.100.1", 1, "203.0.113.2", 2);
	assert_false(resolver_explains(t->r, &x));
	/* A local end with no socket, or with a socket but no process. */
	x = canon(TUPLE_V4, 6, "10.0.0.5", 4444, "192.0.2.9", 1);
	assert_false(resolver_explains(t->r, &x));
	x = canon(TUPLE_V4, 6, "10.0.0.5", 5555, "192.0.2.9", 6000);
	assert_false(resolver_explains(t->r, &x));

	/* Loopback: both ends are local, both owned (client 110, server 111). */
	x = canon(TUPLE_V4, 6, "127.0.0.1", 5000, "127.0.0.1", 6000);
	assert_true(resolver_explains(t->r, &x));
	/* Both ends owned by one process. */
	x = canon(TUPLE_V4, 6, "127.0.0.1", 6001, "127.0.0.1", 6002);
	assert_true(resolver_explains(t->r, &x));
	/* Two different local addresses, each end owned (the 0.0.0.0:53 socket). */
	x = canon(TUPLE_V4, 17, "10.0.0.5", 53, "127.0.0.1", 53);
	assert_true(resolver_explains(t->r, &x));
	/*
	 * Loopback with a new client: the listener explains only its own end,
	 * the client's end (7777) has no socket: not explained.
	 */
	x = canon(TUPLE_V4, 6, "127.0.0.1", 7777, "127.0.0.1", 6000);
	lookup(t->r, TUPLE_V4, 6, "127.0.0.1", 6000, "127.0.0.1", 7777, OWNER_FOUND);
	assert_false(resolver_explains(t->r, &x));
	/* IPv6 loopback: the [::]:8080 listener's end is owned, the client's is not. */
	x = canon(TUPLE_V6, 6, "::1", 8080, "::1", 40000);
	lookup(t->r, TUPLE_V6, 6, "::1", 8080, "::1", 40000, OWNER_FOUND);
	assert_false(resolver_explains(t->r, &x));
}

/* After fork(), parent and child hold one socket: the lowest pid gets it. */
static void test_lowest_pid_wins(void **state)
{
	struct rt *t = *state;
	const struct proc_info *p;

	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 3306, "192.0.2.50", 50000, OWNER_FOUND);
	assert_int_equal(p->pid, 250);
	assert_string_equal(p->comm, "parent");
	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 3307, "192.0.2.50", 50001, OWNER_FOUND);
	assert_int_equal(p->pid, 260);
	assert_string_equal(p->comm, "parent2");
}

/*
 * Nothing is forgotten: once a pass has seen a socket and its process,
 * the process exiting and the socket closing do not lose them.
 */
static void test_knowledge_survives(void **state)
{
	struct rt *t = *state;
	struct resolve_stats st1, st2;
	const struct proc_info *p;

	resolver_stats(t->r, &st1);
	/* pid 100 exits; its listener and the accepted socket of pid 101 close. */
	fx_rm(t->fx.root, "100");
	fx_rm(t->fx.root, "101");
	fx_table_init(&t->fx.tcp, TUPLE_V4);
	fx_add(&t->fx.tcp, TUPLE_V4, "0.0.0.0", 22, "0.0.0.0", 0, 0x0a, 1003);
	fx_write_tables(&t->fx);
	assert_int_equal(resolver_refresh(t->r), 0);

	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000, OWNER_FOUND);
	assert_int_equal(p->pid, 101);
	assert_string_equal(p->comm, "worker");
	assert_string_equal(p->cmdline, "nginx: worker process");
	p = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 80, "198.51.100.7", 9, OWNER_FOUND);
	assert_int_equal(p->pid, 100);
	assert_string_equal(p->comm, "nginx");
	assert_string_equal(p->cmdline, "nginx -g daemon off;");
	assert_int_equal(p->uid, 33);
	assert_true(p->have_uid);

	/* Even with every table and every process gone. */
	for (const char *const *d = (const char *const[]){ "net", "102", "103", "104", NULL }; *d;
	     d++)
		fx_rm(t->fx.root, *d);
	assert_int_equal(resolver_refresh(t->r), -1);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "10.0.0.5", 22, "192.0.2.1", 1), 102);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 17, "10.0.0.5", 53, "192.0.2.1", 1), 104);

	resolver_stats(t->r, &st2);
	assert_int_equal(st2.passes, st1.passes + 2);
	assert_true(st2.sockets >= st1.sockets);
	assert_int_equal(st2.processes, st1.processes);
}

/* A pid reused by a new process (other start time) is a new proc_info. */
static void test_pid_reuse(void **state)
{
	struct rt *t = *state;
	static const uint64_t first[] = { 2001 }, second[] = { 2002 };
	const struct proc_info *p1, *p2;
	struct resolve_stats st0, st1;

	fx_proc(t->fx.root, 400, "oldproc", 1, CMD("oldproc\0"), 5000, first, 1);
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 4000, "192.0.2.9", 4001, 1, 2001);
	fx_write_tables(&t->fx);
	assert_int_equal(resolver_refresh(t->r), 0);
	p1 = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 4000, "192.0.2.9", 4001, OWNER_FOUND);
	assert_string_equal(p1->comm, "oldproc");
	resolver_stats(t->r, &st0);

	/* pid 400 exits; a new process gets pid 400 and opens a new socket. */
	fx_rm(t->fx.root, "400");
	fx_proc(t->fx.root, 400, "newproc", 2, CMD("newproc\0--flag\0"), 9000, second, 1);
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 4002, "192.0.2.9", 4003, 1, 2002);
	fx_write_tables(&t->fx);
	assert_int_equal(resolver_refresh(t->r), 0);

	p1 = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 4000, "192.0.2.9", 4001, OWNER_FOUND);
	p2 = lookup(t->r, TUPLE_V4, 6, "10.0.0.5", 4002, "192.0.2.9", 4003, OWNER_FOUND);
	assert_ptr_not_equal(p1, p2);
	assert_int_equal(p1->pid, 400);
	assert_int_equal(p2->pid, 400);
	assert_string_equal(p1->comm, "oldproc");
	assert_int_equal(p1->start, 5000);
	assert_int_equal(p1->uid, 1);
	assert_string_equal(p2->comm, "newproc");
	assert_int_equal(p2->start, 9000);
	assert_int_equal(p2->uid, 2);
	assert_string_equal(p2->cmdline, "newproc --flag");
	resolver_stats(t->r, &st1);
	assert_int_equal(st1.processes, st0.processes + 1);
}

/*
 * Another network namespace is read below the /proc/PID directory of one
 * of its processes, opened when the namespace was met: if that pid then
 * goes to a process of yet another namespace (the directory's name
 * reused), the new process's tables are not read as the first
 * namespace's. In this stand-in the old directory is renamed away, which
 * keeps it readable through what was opened; the kernel's /proc makes an
 * exited process's directory ENOENT instead (test_below.c,
 * test_sub_root), which ends in the same place: never the new process.
 * Once the old process is gone for good, its namespace is read through
 * another process, and the new one's namespace is met as what it is.
 */
static void test_ns_read_through_its_process(void **state)
{
	struct rt *t = *state;
	static const uint64_t i700[] = { 3700 }, i_new[] = { 3701, 3702 };
	static const char *const addrs[] = { "10.9.9.9" }, *const new_addrs[] = { "10.7.7.7" };
	struct fx_table tcp;
	char path[PATH_MAX], gone[PATH_MAX];
	const struct proc_info *p;

	fx_symlink(t->fx.root, "100/ns/net", "net:[4026531840]");
	fx_symlink(t->fx.root, "self", "100");
	fx_proc(t->fx.root, 700, "contained", 0, CMD("contained\0"), 46, i700, 1);
	fx_symlink(t->fx.root, "700/ns/net", "net:[4026532000]");
	fx_table_init(&tcp, TUPLE_V4);
	fx_add(&tcp, TUPLE_V4, "10.9.9.9", 700, "192.0.2.9", 700, 0x01, 3700);
	fx_puts(t->fx.root, "700/net/tcp", tcp.text);
	fx_join(path, sizeof(path), t->fx.root, "700");
	fx_fib_trie(path, addrs, 1);
	resolver_free(t->r);
	t->r = resolver_new(t->fx.root);
	assert_non_null(t->r);
	assert_int_equal(resolver_refresh(t->r), 0);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 6, "10.9.9.9", 700, "192.0.2.9", 700), 700);

	/* pid 700 goes to a process of another namespace, with sockets and an address. */
	fx_join(gone, sizeof(gone), t->fx.root, "700.gone");
	assert_int_equal(rename(path, gone), 0);
	fx_proc(t->fx.root, 700, "intruder", 0, CMD("intruder\0"), 99, i_new, 2);
	fx_symlink(t->fx.root, "700/ns/net", "net:[4026532999]");
	fx_table_init(&tcp, TUPLE_V4);
	fx_add(&tcp, TUPLE_V4, "10.9.9.9", 701, "192.0.2.9", 701, 0x01, 3701);
	fx_add(&tcp, TUPLE_V4, "10.7.7.7", 702, "192.0.2.9", 702, 0x01, 3702);
	fx_puts(t->fx.root, "700/net/tcp", tcp.text);
	fx_fib_trie(path, new_addrs, 1);
	assert_int_equal(resolver_refresh(t->r), 0);
	assert_int_equal(resolver_refresh(t->r), 0);
	/* Nothing of the new process is taken as the first namespace's. */
	lookup(t->r, TUPLE_V4, 6, "10.9.9.9", 701, "192.0.2.9", 701, OWNER_NO_SOCKET);
	assert_false(is_local(t->r, TUPLE_V4, "10.7.7.7"));
	p = lookup(t->r, TUPLE_V4, 6, "10.9.9.9", 700, "192.0.2.9", 700, OWNER_FOUND);
	assert_string_equal(p->comm, "contained");

	/* The old process is gone: the new one's namespace is met for what it is. */
	fx_rm(t->fx.root, "700.gone");
	assert_int_equal(resolver_refresh(t->r), 0);
	assert_int_equal(resolver_refresh(t->r), 0);
	assert_true(is_local(t->r, TUPLE_V4, "10.7.7.7"));
	p = lookup(t->r, TUPLE_V4, 6, "10.7.7.7", 702, "192.0.2.9", 702, OWNER_FOUND);
	assert_string_equal(p->comm, "intruder");
	assert_int_equal(p->netns, 4026532999ULL);
	/* What the first namespace showed is still known. */
	p = lookup(t->r, TUPLE_V4, 6, "10.9.9.9", 700, "192.0.2.9", 700, OWNER_FOUND);
	assert_string_equal(p->comm, "contained");
}

/* Passes walk /proc/PID/fd only when they meet sockets of unknown owner. */
static void test_stats_and_lazy_walks(void **state)
{
	struct rt *t = *state;
	struct resolve_stats st;
	static const uint64_t ino[] = { 2100 };

	resolver_stats(t->r, &st);
	assert_int_equal(st.passes, 1);
	assert_int_equal(st.fd_walks, 1);
	assert_int_equal(st.sockets, 18);	/* the distinct tuples of the fixture */
	assert_int_equal(st.processes, 15);	/* every pid dir: 1009 stays unexplained */

	/*
	 * Nothing new: /proc is listed (new processes may be in a new
	 * network namespace) but no process is read again.
	 */
	assert_int_equal(resolver_refresh(t->r), 0);
	resolver_stats(t->r, &st);
	assert_int_equal(st.passes, 2);
	assert_int_equal(st.fd_walks, 2);
	assert_int_equal(st.sockets, 18);
	assert_int_equal(st.processes, 15);

	/* A new socket of a new process: one walk, found. */
	fx_proc(t->fx.root, 600, "late", 1, CMD("late\0"), 1, ino, 1);
	fx_add(&t->fx.udp, TUPLE_V4, "10.0.0.5", 9000, "0.0.0.0", 0, 7, 2100);
	fx_write_tables(&t->fx);
	assert_int_equal(resolver_refresh(t->r), 0);
	resolver_stats(t->r, &st);
	assert_int_equal(st.passes, 3);
	assert_int_equal(st.fd_walks, 3);
	assert_int_equal(st.sockets, 19);
	assert_int_equal(st.processes, 16);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 17, "10.0.0.5", 9000, "192.0.2.1", 5), 600);
}

/*
 * A new socket of a process seen before: the walk reads the known
 * processes newest first, so the newest one's is found before the fds of
 * the others are read.
 */
static void test_known_processes_newest_first(void **state)
{
	struct rt *t = *state;
	struct resolve_stats st0, st1;
	static const uint64_t ino[] = { 1007, 2200 };	/* child's old socket, and a new one */

	fx_proc(t->fx.root, 300, "child", 1, CMD("child\0"), 8000, ino, 2);
	fx_add(&t->fx.udp, TUPLE_V4, "10.0.0.5", 9100, "0.0.0.0", 0, 7, 2200);
	fx_write_tables(&t->fx);
	resolver_stats(t->r, &st0);
	assert_int_equal(resolver_refresh(t->r), 0);
	resolver_stats(t->r, &st1);
	assert_int_equal(pid_of(t->r, TUPLE_V4, 17, "10.0.0.5", 9100, "192.0.2.1", 5), 300);
	/* pid 300's four fds; not the 30-odd of all fixture processes. */
	assert_int_equal(st1.fd_links - st0.fd_links, 4);
}

/*
 * Echo ends (decode.c): the pinger's end carries the identifier, the
 * responder's end port 0. A ping socket matches the pinger's end by its
 * identifier; the responder's end is the kernel's, which no raw ICMP
 * socket takes either, while an ICMP message without identifier (ports 0
 * at both ends) still goes to a raw socket.
 */
static void test_icmp_echo_ends(void **state)
{
	struct rt *t = *state;
	struct fx_table icmp, raw;
	static const uint64_t ping_fds[] = { 3101 }, raw_fds[] = { 3102 };

	fx_table_init(&icmp, TUPLE_V4);
	fx_add(&icmp, TUPLE_V4, "0.0.0.0", 0x0d05, "0.0.0.0", 0, 0x07, 3101);
	fx_puts(t->fx.root, "net/icmp", icmp.text);
	fx_table_init(&raw, TUPLE_V4);
	fx_add(&raw, TUPLE_V4, "127.0.0.1", IPPROTO_ICMP, "0.0.0.0", 0, 0x07, 3102);
	fx_puts(t->fx.root, "net/raw", raw.text);
	fx_proc(t->fx.root, 700, "ping", 0, CMD("ping\0"), 10, ping_fds, 1);
	fx_proc(t->fx.root, 701, "ping", 0, CMD("ping\0-I\0"), 11, raw_fds, 1);
	assert_int_equal(resolver_refresh(t->r), 0);

	/* The ping socket's end, on loopback and on another local address. */
	assert_int_equal(pid_of(t->r, TUPLE_V4, IPPROTO_ICMP, "127.0.0.1", 0x0d05, "127.0.0.1", 0),
			 700);
	assert_int_equal(pid_of(t->r, TUPLE_V4, IPPROTO_ICMP, "10.0.0.5", 0x0d05, "192.0.2.9", 0),
			 700);
	/* The responder's end, of its echo or of the raw socket's: nobody's. */
	lookup(t->r, TUPLE_V4, IPPROTO_ICMP, "127.0.0.1", 0, "127.0.0.1", 0x0d05, OWNER_NO_SOCKET);
	lookup(t->r, TUPLE_V4, IPPROTO_ICMP, "127.0.0.1", 0, "127.0.0.1", 701, OWNER_NO_SOCKET);
	/* The raw socket's own echo: its end has the identifier. */
	assert_int_equal(pid_of(t->r, TUPLE_V4, IPPROTO_ICMP, "127.0.0.1", 701, "127.0.0.1", 0),
			 701);
	/* An ICMP message that is no echo (ports 0): the raw socket's. */
	assert_int_equal(pid_of(t->r, TUPLE_V4, IPPROTO_ICMP, "127.0.0.1", 0, "127.0.0.1", 0), 701);
}

/* ---- a stop: resolver_set_stop ---- */

struct slow_walk {
	atomic_int stop;
	int yields;		/* calls of slow_yield */
	int stop_at;		/* the call that sets stop (0: none) */
};

/* Between two processes of a walk: 5 ms, so that a walk of 200 takes a second. */
static void slow_yield(void *ctx)
{
	struct slow_walk *w = ctx;
	struct timespec ts = { 0, 5000000L };

	if (++w->yields == w->stop_at)
		atomic_store(&w->stop, 1);
	nanosleep(&ts, NULL);
}

/* 200 processes more, with fds to no listed socket: a walk reads each of them. */
static void many_processes(const char *root)
{
	for (int i = 0; i < 200; i++) {
		uint64_t ino = 50000 + (uint64_t)i;
		fx_proc(root, 10000 + i, "idle", 0, CMD("idle\0"), 1, &ino, 1);
	}
}

/* A full pass in steps, w slowing each (slow_yield). */
static double timed_refresh(struct resolver *r, struct slow_walk *w)
{
	double t0 = mono_now();

	resolver_begin(r, RESOLVER_WHOLE);
	while (resolver_step(r))
		slow_yield(w);
	return mono_now() - t0;
}

/*
 * A stop cuts a long walk short (issue 11, item 5: a cold pass over 100k
 * pids ran on for 21 s after two SIGINTs): set after the 10th process,
 * the walk ends within the grace (STOP_GRACE, 0.2 s) instead of reading
 * all 200, and what was learned before (the tables) still answers. Later
 * passes end at once, a table read too (at its first line).
 */
static void test_stop_cuts_walk(void **state)
{
	(void)state;
	struct fixture fx;
	struct slow_walk whole = { 0, 0, 0 }, cut = { 0, 0, 10 };
	struct resolve_stats st;
	struct resolver *r;
	double took;

	fx_standard(&fx);
	many_processes(fx.root);

	/* Without a stop: every process. */
	r = resolver_new(fx.root);
	assert_non_null(r);
	resolver_set_stop(r, &whole.stop);
	took = timed_refresh(r, &whole);
	assert_true(whole.yields >= 200);
	assert_true(took >= 1.0);
	resolver_stats(r, &st);
	assert_int_equal(st.interrupted, 0);
	assert_int_equal(pid_of(r, TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000), 101);
	resolver_free(r);

	r = resolver_new(fx.root);
	assert_non_null(r);
	resolver_set_stop(r, &cut.stop);
	took = timed_refresh(r, &cut);
	if (took > 0.6 || cut.yields > 60)
		fail_msg("a stopped walk took %.3f s, %d processes", took, cut.yields);
	resolver_stats(r, &st);
	assert_true(st.interrupted > 0);
	/* The newest processes were read first: 101 not yet; its socket is known. */
	lookup(r, TUPLE_V4, 6, "10.0.0.5", 80, "192.0.2.9", 40000, OWNER_NO_PROCESS);

	/* After the grace, a pass ends at once: a new table line is not even read. */
	fx_add(&fx.tcp, TUPLE_V4, "10.0.0.5", 4000, "192.0.2.9", 4000, 0x01, 4000);
	fx_write_tables(&fx);
	cut.yields = 0;
	took = timed_refresh(r, &cut);
	assert_true(took < 0.1);
	assert_true(cut.yields <= 1);
	lookup(r, TUPLE_V4, 6, "10.0.0.5", 4000, "192.0.2.9", 4000, OWNER_NO_SOCKET);
	resolver_free(r);
	fx_free(&fx);
}

/* ---- processes whose fds we may not read ---- */

/* What the unprivileged child saw (see as_unprivileged). */
struct denied_view {
	int done;			/* 1: the child got this far */
	int secret, listed, closed, time_wait, found;	/* enum owner_status */
	int found_pid;
	uint64_t denied;		/* resolve_stats.denied */
	int flow_reason;		/* attribute_flow of secret's connection */
	int end_reason;			/* ... of a loopback flow: the denied end */
};

static void denied_lookups(const char *root, struct denied_view *v)
{
	struct resolver *r = resolver_new(root);
	const struct proc_info *owner;
	struct resolve_stats st;
	struct attribution a;
	struct tuple x;
	uint8_t l[16], rem[16];

	if (!r || resolver_refresh(r) != 0)
		return;
	addr_parse(l, TUPLE_V4, "10.0.0.5");
	addr_parse(rem, TUPLE_V4, "192.0.2.9");
	v->secret = resolver_lookup_at(r, TUPLE_V4, 6, l, 4444, rem, 5555, &owner);
	v->listed = resolver_lookup_at(r, TUPLE_V4, 6, l, 4446, rem, 5557, &owner);
	v->closed = resolver_lookup_at(r, TUPLE_V4, 6, l, 7000, rem, 7001, &owner);
	v->time_wait = resolver_lookup_at(r, TUPLE_V4, 6, l, 5555, rem, 6000, &owner);
	v->found = resolver_lookup_at(r, TUPLE_V4, 6, l, 80, rem, 40000, &owner);
	v->found_pid = owner ? owner->pid : -1;
	memset(&st, 0, sizeof(st));
	resolver_stats(r, &st);
	v->denied = st.denied;
	x = canon(TUPLE_V4, 6, "10.0.0.5", 4444, "192.0.2.9", 5555);
	attribute_flow(r, &x, &a);
	v->flow_reason = a.reason;
	/* 127.0.0.1:4447 (secret's) to the listener 127.0.0.1:6000 (pid 111). */
	memset(&x, 0, sizeof(x));
	addr_parse(x.src, TUPLE_V4, "127.0.0.1");
	addr_parse(x.dst, TUPLE_V4, "127.0.0.1");
	x.sport = 4447;
	x.dport = 6000;
	x.family = TUPLE_V4;
	x.proto = 6;
	attribute_flow(r, &x, &a);
	v->end_reason = a.owner[1] && a.owner[1]->pid == 111 ? (int)a.end_reason[0] : -1;
	v->done = 1;
	resolver_free(r);
}

/*
 * denied_lookups on the fixture root in a child process that file modes
 * bind: root reads any directory whatever its mode, so as root the child
 * becomes nobody (and loses every capability with its uid) first. False
 * when that cannot be done.
 */
static bool as_unprivileged(const char *root, struct denied_view *v)
{
	int fds[2];
	pid_t pid;
	ssize_t n;
	int status;

	memset(v, 0, sizeof(*v));
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct denied_view cv;

		memset(&cv, 0, sizeof(cv));
		close(fds[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) != 0 ||
				       setresgid(NOBODY, NOBODY, NOBODY) != 0 ||
				       setresuid(NOBODY, NOBODY, NOBODY) != 0))
			_exit(2);
		denied_lookups(root, &cv);
		n = write(fds[1], &cv, sizeof(cv));
		_exit(n == (ssize_t)sizeof(cv) ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], v, sizeof(*v));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		return false;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(n, (ssize_t)sizeof(*v));
	return true;
}

/*
 * Processes whose fds we may not read (another user's, without
 * CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE): 800's fd directory cannot be
 * opened, 801's can be listed but its links not read. Their sockets, and
 * any other socket with an inode whose owner was not found, are
 * OWNER_NO_PERMISSION (unknown:no-permission), not "no process held it";
 * a socket without inode (TIME_WAIT) stays OWNER_NO_PROCESS, and what we
 * may read is found as before. With nothing denied, the same fixture
 * gives OWNER_NO_PROCESS and a denied count of 0.
 */
static void test_no_permission(void **state)
{
	struct rt *t = *state;
	static const uint64_t secret[] = { 3500, 3502 }, listed[] = { 3501 };
	char path[PATH_MAX];
	struct denied_view v;

	fx_proc(t->fx.root, 800, "secret", 0, CMD("secret\0"), 20, secret, 2);
	fx_proc(t->fx.root, 801, "listed", 0, CMD("listed\0"), 21, listed, 1);
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 4444, "192.0.2.9", 5555, 0x01, 3500);
	fx_add(&t->fx.tcp, TUPLE_V4, "10.0.0.5", 4446, "192.0.2.9", 5557, 0x01, 3501);
	fx_add(&t->fx.tcp, TUPLE_V4, "127.0.0.1", 4447, "127.0.0.1", 6000, 0x01, 3502);
	fx_write_tables(&t->fx);
	/* mkdtemp made the root 0700: the child must get in. */
	assert_int_equal(chmod(t->fx.root, 0755), 0);

	/* Control: every fd readable. */
	if (!as_unprivileged(t->fx.root, &v))
		skip();
	assert_int_equal(v.done, 1);
	assert_int_equal(v.denied, 0);
	assert_int_equal(v.secret, OWNER_FOUND);
	assert_int_equal(v.closed, OWNER_NO_PROCESS);
	assert_int_equal(v.time_wait, OWNER_NO_PROCESS);

	fx_join(path, sizeof(path), t->fx.root, "800/fd");
	assert_int_equal(chmod(path, 0), 0);
	fx_join(path, sizeof(path), t->fx.root, "801/fd");
	assert_int_equal(chmod(path, 0400), 0);	/* listed; no entry reachable */
	assert_true(as_unprivileged(t->fx.root, &v));
	assert_int_equal(v.done, 1);
	assert_int_equal(v.denied, 2);
	assert_int_equal(v.secret, OWNER_NO_PERMISSION);
	assert_int_equal(v.listed, OWNER_NO_PERMISSION);
	/* Held by no process we could read, and some we could not: not "no process". */
	assert_int_equal(v.closed, OWNER_NO_PERMISSION);
	/* No inode: closing, nobody's. */
	assert_int_equal(v.time_wait, OWNER_NO_PROCESS);
	assert_int_equal(v.found, OWNER_FOUND);
	assert_int_equal(v.found_pid, 101);
	assert_int_equal(v.flow_reason, REASON_NO_PERMISSION);
	assert_int_equal(v.end_reason, REASON_NO_PERMISSION);
	/* The fixture is removed by root (teardown) whatever the modes. */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_fails_on_missing_root),
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_exact_tuple),
		T(test_listener_fallback),
		T(test_wildcards),
		T(test_no_wildcard_for_foreign_address),
		T(test_no_local_addresses),
		T(test_no_process),
		T(test_closed_connection_goes_to_listener),
		T(test_process_info),
		T(test_process_files_edge_cases),
		T(test_process_cgroup),
		T(test_is_local),
		T(test_explains),
		T(test_lowest_pid_wins),
		T(test_knowledge_survives),
		T(test_pid_reuse),
		T(test_ns_read_through_its_process),
		T(test_stats_and_lazy_walks),
		T(test_known_processes_newest_first),
		T(test_icmp_echo_ends),
		T(test_no_permission),
#undef T
		cmocka_unit_test(test_stop_cuts_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
