/*
 * test_ownersrc.c - the kernel owner source against the running kernel.
 *
 * Child processes with names, uids and namespaces of their own make TCP
 * and UDP sockets over loopback; each writes down what it knows of itself
 * and its socket (pid, cookie, namespace, start time, cgroup, ends) and the
 * source must answer, for each end, exactly that process. Also: a process
 * gone within a millisecond, sockets passed to another process, a fork
 * that execs, a worker accepting on its parent's listener, the variants
 * without ring buffer and without BTF, and nothing left attached after
 * owner_src_close or a SIGKILL (bpftool and the kernel's ids).
 *
 * Needs root (loading and attaching eBPF programs, network namespaces);
 * otherwise, or where the kernel refuses the programs, every kernel test
 * is skipped with the reason on stderr.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>

#include "../../core/bpf/owners.h"
#include "../../core/ownersrc.h"
#include "../../core/tuple.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

#define NOBODY 65534

struct ctx {
	struct owner_src *s;
	uint64_t host_netns;
	char why[300];		/* why the kernel tests are skipped */
};

/* What a child knows of itself and of its socket. */
struct truth {
	int32_t pid;
	uint32_t uid;
	uint64_t cookie;
	uint64_t netns;
	uint64_t start;
	uint8_t laddr[16];
	uint8_t raddr[16];
	uint16_t lport;
	uint16_t rport;
	uint16_t peers[4];	/* a server's: the port each client (by the byte it sent) came from */
	char comm[16];
	char cgroup[256];
};

struct args {
	int family;
	uint16_t port;
	uint32_t uid;		/* 0: stay root */
	int unix_fd;		/* a socketpair end, to pass a descriptor */
	int go_fd;		/* read a byte from it before the last step; -1: none */
	int go_wfd;		/* its write end, closed in the child: a failed test ends it */
	int count;		/* datagrams a UDP server answers */
	int send_first;		/* a passer: use the socket before passing it */
	uint8_t id;		/* the byte a UDP client sends */
	const char *comm;
};

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || !getenv("OWNERSRC_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* ---- in the children: no cmocka there, a failure is an exit status ---- */

static void die(const char *what)
{
	fprintf(stderr, "child %d: %s: %s\n", (int)getpid(), what, strerror(errno));
	_exit(2);
}

static void put(int fd, const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n)
		die("write to parent");
}

static void get_or_die(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);

		if (r <= 0)
			die("read");
		got += (size_t)r;
	}
}

static uint64_t cookie_of(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len) != 0)
		die("SO_COOKIE");
	return c;
}

static uint64_t netns_of_self(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
}

/* Field 22 of /proc/PID/stat, after the name in parentheses. */
static uint64_t start_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void self_truth(struct truth *t)
{
	char line[256];
	FILE *f = fopen("/proc/self/cgroup", "r");

	memset(t, 0, sizeof(*t));
	t->pid = getpid();
	t->uid = getuid();
	t->netns = netns_of_self();
	t->start = start_of(getpid());
	prctl(PR_GET_NAME, t->comm);
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(t->cgroup, sizeof(t->cgroup), "%s", line + 3);
		}
	}
	if (f)
		fclose(f);
}

static socklen_t loopback(int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

	a->sin6_family = AF_INET6;
	a->sin6_port = htons(port);
	a->sin6_addr = in6addr_loopback;
	return sizeof(*a);
}

static uint16_t addr_of(const struct sockaddr_storage *ss, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

		memcpy(addr, &a->sin_addr, 4);
		return ntohs(a->sin_port);
	}
	const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;

	memcpy(addr, &a->sin6_addr, 16);
	return ntohs(a->sin6_port);
}

static void become(uint32_t uid)
{
	if (uid && (setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0))
		die("setresuid");
}

static void wait_go(const struct args *a)
{
	char c;

	if (a->go_fd >= 0)
		get_or_die(a->go_fd, &c, 1);
}

static void send_fd(int unix_fd, int fd)
{
	char byte = 'f', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(unix_fd, &m, 0) != 1)
		die("SCM_RIGHTS send");
}

static int recv_fd(int unix_fd)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(unix_fd, &m, 0) != 1 || !(c = CMSG_FIRSTHDR(&m)) || c->cmsg_type != SCM_RIGHTS)
		die("SCM_RIGHTS receive");
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* Listen on loopback (a->port, or any), say the port, accept one, talk, report the accepted socket. */
static void role_tcp_server(const struct args *a, int out)
{
	struct sockaddr_storage ss, peer;
	socklen_t len = loopback(a->family, a->port, &ss), plen = sizeof(peer);
	struct truth t;
	char buf[5];
	int l, c, one = 1;

	become(a->uid);
	l = socket(a->family, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(l, (struct sockaddr *)&ss, len) != 0 || listen(l, 8) != 0)
		die("listen");
	len = sizeof(ss);
	if (getsockname(l, (struct sockaddr *)&ss, &len) != 0)
		die("getsockname");
	self_truth(&t);
	t.lport = addr_of(&ss, t.laddr);
	put(out, &t.lport, sizeof(t.lport));
	c = accept(l, (struct sockaddr *)&peer, &plen);
	if (c < 0 || read(c, buf, 5) != 5 || write(c, "hello", 5) != 5)
		die("accept and talk");
	t.rport = addr_of(&peer, t.raddr);
	t.cookie = cookie_of(c);
	put(out, &t, sizeof(t));
	wait_go(a);
}

static void role_tcp_client(const struct args *a, int out)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(a->family, a->port, &ss);
	struct truth t;
	char buf[5];
	int fd;

	become(a->uid);
	fd = socket(a->family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0 || write(fd, "howdy", 5) != 5 ||
	    read(fd, buf, 5) != 5)
		die("connect and talk");
	self_truth(&t);
	t.rport = addr_of(&ss, t.raddr);
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		die("getsockname");
	t.lport = addr_of(&ss, t.laddr);
	t.cookie = cookie_of(fd);
	put(out, &t, sizeof(t));
	wait_go(a);
}

/* Bind on loopback, say the port, answer a->count datagrams: which client came from where. */
static void role_udp_server(const struct args *a, int out)
{
	struct sockaddr_storage ss, peer;
	socklen_t len = loopback(a->family, a->port, &ss), plen;
	struct truth t;
	int fd;

	become(a->uid);
	fd = socket(a->family, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0)
		die("bind");
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		die("getsockname");
	self_truth(&t);
	t.lport = addr_of(&ss, t.laddr);
	t.cookie = cookie_of(fd);
	put(out, &t.lport, sizeof(t.lport));
	for (int i = 0; i < a->count; i++) {
		uint8_t id, ignored[16];

		plen = sizeof(peer);
		if (recvfrom(fd, &id, 1, 0, (struct sockaddr *)&peer, &plen) != 1 || id >= 4)
			die("recvfrom");
		t.peers[id] = addr_of(&peer, ignored);
		if (sendto(fd, &id, 1, 0, (struct sockaddr *)&peer, plen) != 1)
			die("sendto");
	}
	put(out, &t, sizeof(t));
	wait_go(a);
}

/* connect(2), then send: the kernel picks the local end after the connect hook. */
static void role_udp_connected(const struct args *a, int out)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(a->family, a->port, &ss);
	struct truth t;
	uint8_t id;
	int fd;

	become(a->uid);
	fd = socket(a->family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0 || send(fd, &a->id, 1, 0) != 1 ||
	    recv(fd, &id, 1, 0) != 1)
		die("connected UDP");
	self_truth(&t);
	t.rport = addr_of(&ss, t.raddr);
	t.cookie = cookie_of(fd);
	put(out, &t, sizeof(t));
	wait_go(a);
}

/* sendto(2) without bind: the port comes with the first datagram. */
static void role_udp_sendto(const struct args *a, int out)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(a->family, a->port, &ss);
	struct truth t;
	uint8_t id;
	int fd;

	become(a->uid);
	fd = socket(a->family, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, &a->id, 1, 0, (struct sockaddr *)&ss, len) != 1 ||
	    recv(fd, &id, 1, 0) != 1)
		die("unconnected UDP");
	self_truth(&t);
	t.rport = addr_of(&ss, t.raddr);
	t.cookie = cookie_of(fd);
	put(out, &t, sizeof(t));
	wait_go(a);
}

/* ---- in the parent ---- */

struct kid {
	pid_t pid;
	int fd;
};

static struct kid spawn(void (*fn)(const struct args *, int), const struct args *a)
{
	struct kid k;
	int p[2];

	assert_int_equal(pipe(p), 0);
	k.pid = fork();
	assert_true(k.pid >= 0);
	if (k.pid == 0) {
		close(p[0]);
		if (a->go_wfd >= 0)
			close(a->go_wfd);
		if (a->comm)
			prctl(PR_SET_NAME, a->comm);
		fn(a, p[1]);
		_exit(0);
	}
	close(p[1]);
	k.fd = p[0];
	return k;
}

static void get(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);

		assert_true(r > 0);
		got += (size_t)r;
	}
}

static void reap(struct kid k)
{
	int st;

	assert_int_equal(waitpid(k.pid, &st, 0), k.pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(k.fd);
}

static struct args args_of(int family, const char *comm)
{
	struct args a;

	memset(&a, 0, sizeof(a));
	a.family = family;
	a.unix_fd = -1;
	a.go_fd = -1;
	a.go_wfd = -1;
	a.comm = comm;
	return a;
}

static struct tuple tuple_of(int family, int proto, const uint8_t *la, uint16_t lp,
			     const uint8_t *ra, uint16_t rp)
{
	struct tuple t;

	memset(&t, 0, sizeof(t));
	t.family = family == AF_INET ? TUPLE_V4 : TUPLE_V6;
	t.proto = (uint8_t)proto;
	memcpy(t.src, la, family == AF_INET ? 4 : 16);
	memcpy(t.dst, ra, family == AF_INET ? 4 : 16);
	t.sport = lp;
	t.dport = rp;
	return t;
}

/* The local end of t (as its process saw it), end 0. */
static struct tuple tuple_from(int family, int proto, const struct truth *t)
{
	return tuple_of(family, proto, t->laddr, t->lport, t->raddr, t->rport);
}

/* The tuple of a client (peer, as recvfrom or accept gave it) talking to a server end. */
static struct tuple peer_tuple(int proto, const struct sockaddr_storage *peer,
			       const struct sockaddr_storage *server)
{
	uint8_t la[16], ra[16];
	uint16_t lp = addr_of(peer, la), rp = addr_of(server, ra);

	return tuple_of(peer->ss_family, proto, la, lp, ra, rp);
}

/* Poll until the lookup answers with the socket of this cookie (0: any), or 2 s. */
static enum owner_match await(struct owner_src *s, const struct tuple *t, int end, uint64_t netns,
			      uint64_t cookie, struct owner *o)
{
	char err[256];
	enum owner_match m = OWNER_MATCH_NONE;

	for (int i = 0; i < 200; i++) {
		assert_true(owner_src_poll(s, err, sizeof(err)) >= 0);
		m = owner_src_lookup(s, t, end, netns, o);
		if (m != OWNER_MATCH_NONE && (!cookie || o->sock_cookie == cookie))
			return m;
		usleep(10000);
	}
	return m;
}

static void check_owner(const struct owner *o, const struct truth *t, int how, bool core)
{
	assert_int_equal(o->tgid, t->pid);
	assert_string_equal(o->comm, t->comm);
	assert_int_equal(o->uid, t->uid);
	assert_int_equal(o->netns, t->netns);
	assert_int_equal(o->sock_cookie, t->cookie);
	assert_int_equal(o->how, how);
	if (core) {
		assert_int_equal(o->start, t->start);
		assert_int_equal(o->flags & (OWNER_F_NETNS_GUESSED | OWNER_F_START_GUESSED), 0);
	}
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a = 0, b = 0;

	return uname(&u) == 0 && sscanf(u.release, "%d.%d", &a, &b) == 2 &&
	       (a > major || (a == major && b >= minor));
}

static struct ctx *need(void **state)
{
	struct ctx *c = *state;

	if (!c->s) {
		print_message("SKIP: %s\n", c->why);
		skip();
	}
	return c;
}

static int setup(void **state)
{
	static struct ctx c;
	char err[256];
	int e;

	libbpf_set_print(libbpf_quiet);
	memset(&c, 0, sizeof(c));
	c.host_netns = netns_of_self();
	*state = &c;
	if (geteuid() != 0) {
		snprintf(c.why, sizeof(c.why), "not root: loading eBPF programs needs root");
		return 0;
	}
	e = owner_src_open(&c.s, NULL, err, sizeof(err));
	if (e) {
		snprintf(c.why, sizeof(c.why), "the kernel refused the owner source: %s", err);
		c.s = NULL;
	}
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	owner_src_close(c->s);
	c->s = NULL;
	return 0;
}

/* The cgroup path the kernel's id names, read back from the cgroup v2 mount. */
static void check_cgroup(const struct owner_src *s, const struct owner *o, const struct truth *t)
{
	char path[256];
	int e = owner_src_cgroup_path(s, o->cgroup_id, path, sizeof(path));

	assert_int_equal(e, 0);
	assert_string_equal(path, t->cgroup);
}

static void tcp_case(struct ctx *c, int family)
{
	struct args sa = args_of(family, "ot-tsrv"), ca = args_of(family, "ot-tcli");
	struct owner o;
	struct truth st, ct;
	struct tuple t;
	struct kid srv, cli;

	srv = spawn(role_tcp_server, &sa);
	get(srv.fd, &ca.port, sizeof(ca.port));
	ca.uid = NOBODY;
	cli = spawn(role_tcp_client, &ca);
	get(cli.fd, &ct, sizeof(ct));
	get(srv.fd, &st, sizeof(st));
	reap(cli);
	reap(srv);

	/* The client's end: the process that connected, as nobody. */
	t = tuple_from(family, IPPROTO_TCP, &ct);
	assert_int_equal(await(c->s, &t, 0, 0, ct.cookie, &o), OWNER_MATCH_EXACT);
	check_owner(&o, &ct, OWNER_CREATED, true);
	assert_int_equal(o.uid, NOBODY);
	assert_int_equal(o.kind, OWNERS_EV_CONNECT);
	check_cgroup(c->s, &o, &ct);
	/* The server's end of the same tuple: its accepted socket, from its listener. */
	assert_int_equal(await(c->s, &t, 1, c->host_netns, st.cookie, &o), OWNER_MATCH_EXACT);
	check_owner(&o, &st, OWNER_INHERITED, true);
	assert_int_equal(o.kind, OWNERS_EV_ACCEPT);
	assert_int_equal(o.closed_ns != 0, 1);
	/* Another peer of the server's port: the listener. */
	t.sport ^= 1;
	assert_int_equal(await(c->s, &t, 1, 0, 0, &o), OWNER_MATCH_LOCAL);
	assert_int_equal(o.tgid, st.pid);
	assert_int_equal(o.kind, OWNERS_EV_BIND);
}

static void test_tcp_ipv4(void **state)
{
	tcp_case(need(state), AF_INET);
}

static void test_tcp_ipv6(void **state)
{
	tcp_case(need(state), AF_INET6);
}

static void udp_case(struct ctx *c, int family)
{
	struct args sa = args_of(family, "ot-usrv"), ca = args_of(family, "ot-ucon"),
		    ua = args_of(family, "ot-uto");
	struct truth st, ct, ut;
	struct kid srv, con, to;
	struct owner o;
	struct tuple t;

	sa.count = 2;
	srv = spawn(role_udp_server, &sa);
	get(srv.fd, &ca.port, sizeof(ca.port));
	ua.port = ca.port;
	ca.id = 0;
	ca.uid = NOBODY;
	con = spawn(role_udp_connected, &ca);
	get(con.fd, &ct, sizeof(ct));
	ua.id = 1;
	to = spawn(role_udp_sendto, &ua);
	get(to.fd, &ut, sizeof(ut));
	get(srv.fd, &st, sizeof(st));
	reap(con);
	reap(to);
	reap(srv);

	/* Connected: the exact 4-tuple, learned from its first datagram. */
	memcpy(ct.laddr, ct.raddr, 16);	/* loopback to loopback */
	ct.lport = st.peers[0];
	t = tuple_from(family, IPPROTO_UDP, &ct);
	assert_int_equal(await(c->s, &t, 0, 0, ct.cookie, &o), OWNER_MATCH_EXACT);
	check_owner(&o, &ct, OWNER_CREATED, true);
	assert_int_equal(o.kind, OWNERS_EV_SEND);
	/* Unconnected: its wildcard address and the port the kernel gave it at sendto. */
	memcpy(ut.laddr, ut.raddr, 16);
	ut.lport = st.peers[1];
	t = tuple_from(family, IPPROTO_UDP, &ut);
	assert_int_equal(await(c->s, &t, 0, 0, ut.cookie, &o), OWNER_MATCH_WILDCARD);
	check_owner(&o, &ut, OWNER_CREATED, true);
	assert_int_equal(o.kind, OWNERS_EV_SEND);
	/* The bound server: its address and port, for either peer. */
	assert_int_equal(await(c->s, &t, 1, c->host_netns, st.cookie, &o), OWNER_MATCH_LOCAL);
	check_owner(&o, &st, OWNER_CREATED, true);
}

static void test_udp_ipv4(void **state)
{
	udp_case(need(state), AF_INET);
}

static void test_udp_ipv6(void **state)
{
	udp_case(need(state), AF_INET6);
}

/* A namespace of its own: the same 127.0.0.1:PORT as a host listener, told apart. */
static void role_netns(const struct args *a, int out)
{
	struct args sa = *a, ca = *a;
	struct ifreq ifr;
	struct truth st, ct;
	uint64_t ns;
	pid_t srv, cli;
	int sp[2], cp[2], fd, status;

	if (unshare(CLONE_NEWNET) != 0)
		die("unshare(CLONE_NEWNET)");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
		die("lo flags");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
		die("lo up");
	close(fd);
	ns = netns_of_self();
	put(out, &ns, sizeof(ns));
	if (pipe(sp) != 0 || pipe(cp) != 0)
		die("pipe");
	sa.comm = "ot-nsrv";
	srv = fork();
	if (srv == 0) {
		prctl(PR_SET_NAME, sa.comm);
		role_tcp_server(&sa, sp[1]);
		_exit(0);
	}
	get_or_die(sp[0], &ca.port, sizeof(ca.port));
	ca.comm = "ot-ncli";
	cli = fork();
	if (cli == 0) {
		prctl(PR_SET_NAME, ca.comm);
		role_tcp_client(&ca, cp[1]);
		_exit(0);
	}
	get_or_die(cp[0], &ct, sizeof(ct));
	get_or_die(sp[0], &st, sizeof(st));
	if (waitpid(srv, &status, 0) != srv || status || waitpid(cli, &status, 0) != cli || status)
		die("namespace children");
	put(out, &st, sizeof(st));
	put(out, &ct, sizeof(ct));
}

/* Is there a process still in the namespace of this inode? */
static bool netns_alive(uint64_t ino)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool alive = false;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300];
		struct stat st;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		if (stat(path, &st) == 0 && (uint64_t)st.st_ino == ino)
			alive = true;
	}
	closedir(d);
	return alive;
}

static void test_netns(void **state)
{
	struct ctx *c = need(state);
	struct args a = args_of(AF_INET, "ot-netns");
	struct sockaddr_storage ss;
	socklen_t len = loopback(AF_INET, 0, &ss);
	struct truth st, ct, ht;
	struct owner o;
	struct tuple t;
	uint64_t ns;
	struct kid k;
	int hl;

	/* The host's listener on 127.0.0.1:PORT, made by this process. */
	hl = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(hl >= 0);
	assert_int_equal(bind(hl, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(hl, 1), 0);
	len = sizeof(ss);
	assert_int_equal(getsockname(hl, (struct sockaddr *)&ss, &len), 0);
	self_truth(&ht);
	ht.lport = addr_of(&ss, ht.laddr);
	ht.cookie = cookie_of(hl);

	a.port = ht.lport;
	k = spawn(role_netns, &a);
	get(k.fd, &ns, sizeof(ns));
	get(k.fd, &st, sizeof(st));
	get(k.fd, &ct, sizeof(ct));
	reap(k);
	assert_int_not_equal(ns, c->host_netns);
	assert_int_equal(st.netns, ns);
	assert_int_equal(st.lport, ht.lport);
	assert_false(netns_alive(ns));

	t = tuple_from(AF_INET, IPPROTO_TCP, &ct);
	assert_int_equal(await(c->s, &t, 0, ns, ct.cookie, &o), OWNER_MATCH_EXACT);
	check_owner(&o, &ct, OWNER_CREATED, true);
	assert_int_equal(await(c->s, &t, 1, ns, st.cookie, &o), OWNER_MATCH_EXACT);
	check_owner(&o, &st, OWNER_INHERITED, true);
	/* The namespace's connection is not the host's. */
	assert_int_equal(owner_src_lookup(c->s, &t, 0, c->host_netns, &o), OWNER_MATCH_NONE);
	/* One listening end, two namespaces: each its own; any: marked ambiguous. */
	t.sport ^= 1;
	assert_int_equal(await(c->s, &t, 1, ns, 0, &o), OWNER_MATCH_LOCAL);
	assert_int_equal(o.tgid, st.pid);
	assert_int_equal(o.netns, ns);
	assert_int_equal(await(c->s, &t, 1, c->host_netns, ht.cookie, &o), OWNER_MATCH_LOCAL);
	check_owner(&o, &ht, OWNER_CREATED, true);
	assert_int_not_equal(owner_src_lookup(c->s, &t, 1, 0, &o), OWNER_MATCH_NONE);
	assert_true(o.flags & OWNER_F_AMBIGUOUS);
	close(hl);
}

/* A socket of this type bound to a free port of 127.0.0.1; *ss: where. */
static int bound(int type, struct sockaddr_storage *ss)
{
	socklen_t len = loopback(AF_INET, 0, ss);
	int fd = socket(AF_INET, type, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)ss, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)ss, &len), 0);
	return fd;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/*
 * A process that connects, sends and exits within a millisecond: found
 * after it is gone, TCP and UDP, twenty times each.
 */
static void test_short_lived(void **state)
{
	enum { RUNS = 20 };
	struct ctx *c = need(state);
	struct sockaddr_storage ts, us, peer;
	socklen_t plen;
	double *life = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double longest = 0, shortest = 1e9;
	int l, u;

	assert_true(life != MAP_FAILED);
	l = bound(SOCK_STREAM, &ts);
	assert_int_equal(listen(l, RUNS), 0);
	u = bound(SOCK_DGRAM, &us);
	for (int i = 0; i < 2 * RUNS; i++) {
		bool tcp = i < RUNS;
		struct sockaddr_storage *ss = tcp ? &ts : &us;
		struct owner o;
		struct tuple t;
		char buf[8];
		pid_t pid = fork();
		int st, fd = -1;

		assert_true(pid >= 0);
		if (pid == 0) {
			double t0 = now_us();
			int s = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);

			prctl(PR_SET_NAME, "ot-brief");
			if (s < 0 || connect(s, (struct sockaddr *)ss, sizeof(*ss)) != 0 ||
			    send(s, "brief", 5, 0) != 5)
				_exit(3);
			life[i] = now_us() - t0;
			_exit(0);
		}
		plen = sizeof(peer);
		if (tcp) {
			fd = accept(l, (struct sockaddr *)&peer, &plen);
			assert_true(fd >= 0);
			assert_int_equal(read(fd, buf, 5), 5);
		} else {
			assert_int_equal(recvfrom(u, buf, 5, 0, (struct sockaddr *)&peer, &plen), 5);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_int_equal(st, 0);
		assert_int_equal(kill(pid, 0), -1);	/* gone before we look */
		if (life[i] > longest)
			longest = life[i];
		if (life[i] < shortest)
			shortest = life[i];
		t = peer_tuple(tcp ? IPPROTO_TCP : IPPROTO_UDP, &peer, ss);
		assert_int_equal(await(c->s, &t, 0, c->host_netns, 0, &o), OWNER_MATCH_EXACT);
		assert_int_equal(o.tgid, pid);
		assert_string_equal(o.comm, "ot-brief");
		if (fd >= 0)
			close(fd);
	}
	print_message("short-lived processes: socket to exit in %.0f-%.0f us\n", shortest, longest);
	assert_true(shortest < 1000);
	close(l);
	close(u);
	munmap(life, 4096);
}

/* A connected UDP socket passed, unused, to another process: the sender's. */
static void role_pass_udp(const struct args *a, int out)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(AF_INET, a->port, &ss);
	struct truth t;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) != 0)
		die("connect");
	self_truth(&t);
	t.cookie = cookie_of(fd);
	if (a->send_first && send(fd, "A", 1, 0) != 1)
		die("send");
	send_fd(a->unix_fd, fd);
	put(out, &t, sizeof(t));
}

/* An unconnected TCP socket passed: the process that connects holds it. */
static void role_pass_tcp(const struct args *a, int out)
{
	struct truth t;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	self_truth(&t);
	t.cookie = cookie_of(fd);
	send_fd(a->unix_fd, fd);
	put(out, &t, sizeof(t));
}

static void role_receive_and_use(const struct args *a, int out)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(AF_INET, a->port, &ss);
	struct truth t;
	int fd = recv_fd(a->unix_fd);
	int type;
	socklen_t tlen = sizeof(type);

	wait_go(a);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0)
		die("SO_TYPE");
	if (type == SOCK_STREAM ? connect(fd, (struct sockaddr *)&ss, len) != 0
				: send(fd, "B", 1, 0) != 1)
		die("use the passed socket");
	self_truth(&t);
	t.cookie = cookie_of(fd);
	put(out, &t, sizeof(t));
}

static void test_fd_passing(void **state)
{
	struct ctx *c = need(state);
	struct sockaddr_storage us, ts, peer;
	socklen_t plen;
	struct truth at, bt;
	struct owner o;
	struct tuple t;
	uint8_t ra[16];
	int u, l, fd, sp[2], go[2];
	char buf[2];

	u = bound(SOCK_DGRAM, &us);
	l = bound(SOCK_STREAM, &ts);
	assert_int_equal(listen(l, 4), 0);

	for (int round = 0; round < 3; round++) {
		bool tcp = round == 2, used_first = round == 1;
		struct sockaddr_storage *ss = tcp ? &ts : &us;
		struct args aa = args_of(AF_INET, "ot-passer"), ba = args_of(AF_INET, "ot-taker");
		struct kid a, b;

		assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp), 0);
		assert_int_equal(pipe(go), 0);
		aa.port = ba.port = addr_of(ss, ra);
		aa.unix_fd = sp[0];
		ba.unix_fd = sp[1];
		ba.go_fd = go[0];
		aa.go_wfd = ba.go_wfd = go[1];
		aa.send_first = used_first;
		a = spawn(tcp ? role_pass_tcp : role_pass_udp, &aa);
		b = spawn(role_receive_and_use, &ba);
		get(a.fd, &at, sizeof(at));
		reap(a);
		plen = sizeof(peer);
		if (used_first) {
			/* The passer's datagram: the socket is the passer's until the taker sends. */
			assert_int_equal(recvfrom(u, buf, 1, 0, (struct sockaddr *)&peer, &plen), 1);
			t = peer_tuple(IPPROTO_UDP, &peer, ss);
			assert_int_equal(await(c->s, &t, 0, 0, at.cookie, &o), OWNER_MATCH_EXACT);
			assert_int_equal(o.tgid, at.pid);
			assert_int_equal(o.how, OWNER_CREATED);
		}
		assert_int_equal(write(go[1], "g", 1), 1);
		get(b.fd, &bt, sizeof(bt));
		reap(b);
		if (tcp) {
			fd = accept(l, (struct sockaddr *)&peer, &plen);
			assert_true(fd >= 0);
			close(fd);
		} else {
			assert_int_equal(recvfrom(u, buf, 1, 0, (struct sockaddr *)&peer, &plen), 1);
			assert_int_equal(buf[0], 'B');
		}
		assert_int_equal(bt.cookie, at.cookie);	/* one socket */
		t = peer_tuple(tcp ? IPPROTO_TCP : IPPROTO_UDP, &peer, ss);
		for (int i = 0; i < 200; i++) {
			/* The passer's report may be the one found first: wait for the taker's. */
			if (await(c->s, &t, 0, 0, bt.cookie, &o) == OWNER_MATCH_EXACT &&
			    o.tgid == (uint32_t)bt.pid)
				break;
			usleep(10000);
		}
		assert_int_equal(o.tgid, bt.pid);
		assert_string_equal(o.comm, "ot-taker");
		assert_int_equal(o.how, OWNER_USED);
		assert_int_equal(o.kind, tcp ? OWNERS_EV_CONNECT : OWNERS_EV_SEND);
		close(sp[0]);
		close(sp[1]);
		close(go[0]);
		close(go[1]);
	}
	close(u);
	close(l);
}

/*
 * One UDP socket, two processes sending on it at once: every datagram
 * changes its holder, but the kernel writes only a few events per window
 * (the bound below is far from both: a few events against thousands).
 */
static void test_shared_socket(void **state)
{
	enum { SENDS = 10000 };
	struct ctx *c = need(state);
	struct sockaddr_storage ss, peer;
	socklen_t len = loopback(AF_INET, 0, &ss), plen = sizeof(peer);
	struct owner_src_info before, after;
	pid_t pids[2];
	struct owner o;
	struct tuple t;
	char err[256], buf[8];
	int u, s, st, got = 0;

	u = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind(u, (struct sockaddr *)&ss, len), 0);
	len = sizeof(ss);
	assert_int_equal(getsockname(u, (struct sockaddr *)&ss, &len), 0);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(connect(s, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(send(s, "p", 1, 0), 1);
	assert_int_equal(recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen), 1);
	t = peer_tuple(IPPROTO_UDP, &peer, &ss);
	assert_int_equal(await(c->s, &t, 0, 0, 0, &o), OWNER_MATCH_EXACT);
	assert_int_equal(o.tgid, getpid());
	owner_src_info(c->s, &before);
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			prctl(PR_SET_NAME, i ? "ot-share1" : "ot-share0");
			for (int n = 0; n < SENDS / 2; n++)
				if (send(s, "s", 1, 0) != 1)
					_exit(3);
			_exit(0);
		}
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		assert_int_equal(st, 0);
	}
	while (recv(u, buf, sizeof(buf), MSG_DONTWAIT) == 1)
		got++;
	assert_true(got > 0);
	assert_true(owner_src_poll(c->s, err, sizeof(err)) >= 0);
	owner_src_info(c->s, &after);
	print_message("shared socket: %d datagrams sent by two processes, %llu events\n", SENDS,
		      (unsigned long long)(after.taken - before.taken));
	/*
	 * The programs see the whole host: other sockets' events count too.
	 * Without the limit this socket alone would give one per datagram.
	 */
	assert_true(after.taken - before.taken < SENDS / 10);
	assert_int_equal(owner_src_lookup(c->s, &t, 0, 0, &o), OWNER_MATCH_EXACT);
	assert_true(o.tgid == (uint32_t)pids[0] || o.tgid == (uint32_t)pids[1]);
	close(s);
	close(u);
}

/*
 * fork, then exec: a shell that writes to the connected UDP socket it
 * inherited on descriptor 3 holds it, under its new name.
 */
static void test_fork_exec(void **state)
{
	struct ctx *c = need(state);
	struct sockaddr_storage ss, peer;
	socklen_t len = loopback(AF_INET, 0, &ss), plen = sizeof(peer);
	struct owner o;
	struct tuple t;
	char buf[4];
	int u, s, st;
	pid_t pid;

	if (access("/bin/sh", X_OK) != 0)
		skip();
	u = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind(u, (struct sockaddr *)&ss, len), 0);
	len = sizeof(ss);
	assert_int_equal(getsockname(u, (struct sockaddr *)&ss, &len), 0);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(connect(s, (struct sockaddr *)&ss, len), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (dup2(s, 3) != 3)
			_exit(3);
		execl("/bin/sh", "sh", "-c", "printf x >&3", (char *)NULL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
	assert_int_equal(recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen), 1);
	t = peer_tuple(IPPROTO_UDP, &peer, &ss);
	assert_int_equal(await(c->s, &t, 0, 0, 0, &o), OWNER_MATCH_EXACT);
	assert_int_equal(o.tgid, pid);
	assert_string_equal(o.comm, "sh");
	assert_int_equal(o.how, OWNER_USED);
	close(s);
	close(u);
}

/*
 * A worker accepting on its parent's listener (prefork): the connection
 * is the parent's (inherited from the listener) until the worker asks
 * for its peer's name.
 */
static void role_prefork(const struct args *a, int out)
{
	struct sockaddr_storage ss, peer;
	socklen_t len = loopback(AF_INET, 0, &ss), plen = sizeof(peer);
	int l = socket(AF_INET, SOCK_STREAM, 0), st;
	struct truth mt;
	pid_t w;

	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) != 0 || listen(l, 4) != 0)
		die("listen");
	len = sizeof(ss);
	if (getsockname(l, (struct sockaddr *)&ss, &len) != 0)
		die("getsockname");
	self_truth(&mt);
	mt.lport = addr_of(&ss, mt.laddr);
	put(out, &mt, sizeof(mt));
	w = fork();
	if (w == 0) {
		struct truth wt;
		int c;

		prctl(PR_SET_NAME, "ot-worker");
		c = accept(l, NULL, NULL);
		if (c < 0)
			die("accept");
		self_truth(&wt);
		wt.cookie = cookie_of(c);
		put(out, &wt, sizeof(wt));
		wait_go(a);
		if (getpeername(c, (struct sockaddr *)&peer, &plen) != 0)
			die("getpeername");
		put(out, &wt, sizeof(wt));
		_exit(0);
	}
	if (waitpid(w, &st, 0) != w || st)
		die("worker");
}

static void test_prefork_accept(void **state)
{
	struct ctx *c = need(state);
	struct args ma = args_of(AF_INET, "ot-master");
	struct sockaddr_storage ss;
	socklen_t len;
	struct truth mt, wt;
	struct owner o;
	struct tuple t;
	struct kid m;
	int go[2], fd;

	assert_int_equal(pipe(go), 0);
	ma.go_fd = go[0];
	ma.go_wfd = go[1];
	m = spawn(role_prefork, &ma);
	get(m.fd, &mt, sizeof(mt));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	len = loopback(AF_INET, mt.lport, &ss);
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	get(m.fd, &wt, sizeof(wt));
	len = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	t = tuple_of(AF_INET, IPPROTO_TCP, mt.laddr, 0, mt.laddr, mt.lport);
	t.sport = addr_of(&ss, t.src);
	assert_int_equal(await(c->s, &t, 1, 0, wt.cookie, &o), OWNER_MATCH_EXACT);
	assert_int_equal(o.tgid, mt.pid);
	assert_string_equal(o.comm, "ot-master");
	assert_int_equal(o.how, OWNER_INHERITED);
	assert_int_equal(write(go[1], "g", 1), 1);
	get(m.fd, &wt, sizeof(wt));
	reap(m);
	for (int i = 0; i < 200 && o.tgid != (uint32_t)wt.pid; i++) {
		await(c->s, &t, 1, 0, wt.cookie, &o);
		usleep(10000);
	}
	assert_int_equal(o.tgid, wt.pid);
	assert_string_equal(o.comm, "ot-worker");
	assert_int_equal(o.how, OWNER_USED);
	assert_int_equal(o.kind, OWNERS_EV_NAME);
	close(fd);
	close(go[0]);
	close(go[1]);
}

/*
 * The variants: the hash map for want of a ring buffer, and the programs
 * that read no kernel struct for want of BTF. The children stay until
 * the events are taken in, so the variant without BTF can read their
 * start and namespace from /proc.
 */
static void test_variants(void **state)
{
	static const unsigned flags[] = {OWNER_SRC_NO_RINGBUF, OWNER_SRC_NO_CORE,
					 OWNER_SRC_NO_CORE | OWNER_SRC_NO_RINGBUF};
	need(state);

	for (size_t v = 0; v < sizeof(flags) / sizeof(flags[0]); v++) {
		struct owner_src_opts opts = {.flags = flags[v]};
		struct args sa = args_of(AF_INET, "ot-vsrv"), ca = args_of(AF_INET, "ot-vcli");
		bool core = !(flags[v] & OWNER_SRC_NO_CORE);
		struct owner_src_info info;
		struct owner_src *s;
		struct truth st, ct;
		struct kid srv, cli;
		struct owner o;
		struct tuple t;
		char err[256];
		int go[2];

		assert_int_equal(owner_src_open(&s, &opts, err, sizeof(err)), 0);
		owner_src_info(s, &info);
		assert_int_equal(info.core, core);
		assert_int_equal(info.ringbuf, !(flags[v] & OWNER_SRC_NO_RINGBUF));
		assert_int_equal(owner_src_fd(s) >= 0, info.ringbuf);
		assert_true(pipe(go) == 0);
		sa.go_fd = ca.go_fd = go[0];
		sa.go_wfd = ca.go_wfd = go[1];
		srv = spawn(role_tcp_server, &sa);
		get(srv.fd, &ca.port, sizeof(ca.port));
		ca.uid = NOBODY;
		cli = spawn(role_tcp_client, &ca);
		get(cli.fd, &ct, sizeof(ct));
		get(srv.fd, &st, sizeof(st));

		t = tuple_from(AF_INET, IPPROTO_TCP, &ct);
		assert_int_equal(await(s, &t, 0, 0, ct.cookie, &o), OWNER_MATCH_EXACT);
		check_owner(&o, &ct, OWNER_CREATED, core);
		if (!core) {
			/* Our own namespace's cookie is known: no guess needed for it. */
			assert_int_equal(o.flags & OWNER_F_NETNS_GUESSED, 0);
			assert_int_equal(o.start, ct.start);
			assert_true(o.flags & OWNER_F_START_GUESSED);
		}
		assert_int_equal(await(s, &t, 1, 0, st.cookie, &o), OWNER_MATCH_EXACT);
		check_owner(&o, &st, OWNER_INHERITED, core);
		assert_int_equal(write(go[1], "gg", 2), 2);
		reap(cli);
		reap(srv);
		owner_src_info(s, &info);
		assert_int_equal(info.lost, 0);
		assert_int_equal(info.malformed, 0);
		owner_src_close(s);
		close(go[0]);
		close(go[1]);
	}
}

/* The ids of our programs that `bpftool cgroup tree` shows attached; -1 if it cannot run. */
static int attached_ids(const struct owner_src_info *info)
{
	char cmd[128], buf[1 << 16];
	size_t n;
	int found = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s -j cgroup tree 2>/dev/null",
		 access("/usr/sbin/bpftool", X_OK) == 0 ? "/usr/sbin/bpftool" : "bpftool");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, p);
	if (pclose(p) != 0 || n == 0)
		return -1;
	buf[n] = '\0';
	for (size_t i = 0; i < info->nprogs; i++) {
		char id[32];

		snprintf(id, sizeof(id), "{\"id\":%u,", info->prog_ids[i]);
		if (strstr(buf, id))
			found++;
	}
	return found;
}

/* How many of our programs and links the kernel still has (they go after an RCU grace period). */
static int live_objects(const struct owner_src_info *info)
{
	int live = 0;

	for (size_t i = 0; i < info->nprogs; i++) {
		int fd = bpf_prog_get_fd_by_id(info->prog_ids[i]);

		if (fd >= 0) {
			live++;
			close(fd);
		}
		fd = bpf_link_get_fd_by_id(info->link_ids[i]);
		if (fd >= 0) {
			live++;
			close(fd);
		}
	}
	return live;
}

/* Does `bpftool prog show id ID` find the program? -1: bpftool does not run. */
static int bpftool_has_prog(uint32_t id)
{
	char cmd[128];
	int st;

	snprintf(cmd, sizeof(cmd), "%s prog show id %u >/dev/null 2>&1",
		 access("/usr/sbin/bpftool", X_OK) == 0 ? "/usr/sbin/bpftool" : "bpftool", id);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) == 127)
		return -1;
	return WEXITSTATUS(st) == 0;
}

static void check_gone(const struct owner_src_info *info)
{
	int live = 0;

	assert_int_equal(attached_ids(info), 0);
	for (int i = 0; i < 500 && (live = live_objects(info)) > 0; i++)
		usleep(10000);
	assert_int_equal(live, 0);
	for (size_t i = 0; i < info->nprogs; i++)
		assert_int_not_equal(bpftool_has_prog(info->prog_ids[i]), 1);
}

static void test_close_detaches(void **state)
{
	struct owner_src_info info;
	struct owner_src *s;
	char err[256];

	need(state);
	assert_int_equal(owner_src_open(&s, NULL, err, sizeof(err)), 0);
	owner_src_info(s, &info);
	assert_true(info.nprogs >= 10);
	assert_true(info.features & OWNER_SRC_F_CREATE);
	if (attached_ids(&info) < 0) {
		owner_src_close(s);
		print_message("SKIP: bpftool cgroup tree does not run here\n");
		skip();
	}
	assert_int_equal(attached_ids(&info), (int)info.nprogs);
	owner_src_close(s);
	check_gone(&info);
}

/* SIGKILL of the process that attached: the kernel detaches what only it held. */
static void test_sigkill_detaches(void **state)
{
	struct owner_src_info info;
	int p[2], st;
	pid_t pid;

	need(state);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct owner_src *s;
		char err[256];

		close(p[0]);
		if (owner_src_open(&s, NULL, err, sizeof(err)) != 0)
			_exit(2);
		owner_src_info(s, &info);
		put(p[1], &info, sizeof(info));
		for (;;)
			pause();
	}
	close(p[1]);
	get(p[0], &info, sizeof(info));
	close(p[0]);
	assert_true(info.nprogs >= 10);
	assert_int_equal(live_objects(&info), 2 * (int)info.nprogs);
	if (attached_ids(&info) >= 0) {
		assert_int_equal(attached_ids(&info), (int)info.nprogs);
		assert_int_equal(bpftool_has_prog(info.prog_ids[0]), 1);
	}
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	check_gone(&info);
}

/*
 * In a child that is nobody with only these capabilities: 0 if
 * owner_src_open gave want (0, or -EPERM naming CAP_PERFMON), the
 * programs read the task, and every hook the kernel has ran.
 */
static int open_with_caps(uint64_t caps, int want)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct owner_src_info info;
		struct owner_src *s;
		char err[256];
		int e;

		if (prctl(PR_SET_KEEPCAPS, 1) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 ||
		    setresuid(NOBODY, NOBODY, NOBODY) != 0)
			_exit(10);
		memset(d, 0, sizeof(d));
		d[0].effective = d[0].permitted = (uint32_t)caps;
		d[1].effective = d[1].permitted = (uint32_t)(caps >> 32);
		if (syscall(SYS_capset, &h, d) != 0)
			_exit(11);
		e = owner_src_open(&s, NULL, err, sizeof(err));
		if (e != want)
			_exit(12);
		if (e) {
			_exit(strstr(err, "CAP_PERFMON") ? 0 : 13);
		}
		owner_src_info(s, &info);
		owner_src_close(s);
		if (!info.core || (kernel_at_least(5, 10) && info.features != 0x3ff))
			_exit(14);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

#define CAP(c) (1ull << (c))

/* The capabilities the header names are the ones needed: with them it runs, without, EPERM. */
static void test_capabilities(void **state)
{
	need(state);
	assert_int_equal(open_with_caps(CAP(CAP_BPF) | CAP(CAP_PERFMON) | CAP(CAP_NET_ADMIN), 0),
			 0);
	assert_int_equal(open_with_caps(CAP(CAP_BPF) | CAP(CAP_NET_ADMIN), -EPERM), 0);
	assert_int_equal(open_with_caps(0, -EPERM), 0);
}

/* Runs without privileges: the cgroup v2 mount point, wherever mountinfo puts it. */
static void test_cgroup2_mount(void **state)
{
	static const char hybrid[] =
		"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw\n";
	static const char escaped[] =
		"50 23 0:40 /sub /mnt/sub rw - cgroup2 none rw\n"
		"51 23 0:40 / /mnt/with\\040space rw - cgroup2 none rw\n";
	static const char v1only[] = "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
	static const char nsroot[] = "60 23 0:40 /../x /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
	char path[64], tiny[8];
	FILE *f;

	(void)state;
	f = fmemopen((void *)hybrid, sizeof(hybrid) - 1, "r");
	assert_int_equal(owner_src_cgroup2_mount(f, path, sizeof(path)), 0);
	fclose(f);
	assert_string_equal(path, "/sys/fs/cgroup/unified");
	f = fmemopen((void *)escaped, sizeof(escaped) - 1, "r");
	assert_int_equal(owner_src_cgroup2_mount(f, path, sizeof(path)), 0);
	fclose(f);
	assert_string_equal(path, "/mnt/with space");
	f = fmemopen((void *)v1only, sizeof(v1only) - 1, "r");
	assert_int_equal(owner_src_cgroup2_mount(f, path, sizeof(path)), -ENOENT);
	fclose(f);
	f = fmemopen((void *)nsroot, sizeof(nsroot) - 1, "r");
	assert_int_equal(owner_src_cgroup2_mount(f, path, sizeof(path)), 0);
	fclose(f);
	assert_string_equal(path, "/sys/fs/cgroup");
	f = fmemopen((void *)hybrid, sizeof(hybrid) - 1, "r");
	assert_int_equal(owner_src_cgroup2_mount(f, tiny, sizeof(tiny)), -ENAMETOOLONG);
	fclose(f);
}

/* After everything: the kernel lost no event and had storage for every socket. */
static void test_no_loss(void **state)
{
	struct ctx *c = need(state);
	struct owner_src_info info;
	char err[256];

	assert_true(owner_src_poll(c->s, err, sizeof(err)) >= 0);
	owner_src_info(c->s, &info);
	print_message("events %llu, taken %llu, records %zu, features %#x\n",
		      (unsigned long long)info.events, (unsigned long long)info.taken,
		      info.records, info.features);
	/* Every hook from Linux 5.10 on (sockops' socket came last). */
	if (kernel_at_least(5, 10))
		assert_int_equal(info.features, 0x3ff);
	assert_true(info.features & OWNER_SRC_F_CREATE);
	assert_int_equal(info.lost, 0);
	assert_int_equal(info.no_storage, 0);
	assert_int_equal(info.malformed, 0);
	assert_int_equal(info.full, 0);
	assert_true(info.taken > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup2_mount),
		cmocka_unit_test(test_tcp_ipv4),
		cmocka_unit_test(test_tcp_ipv6),
		cmocka_unit_test(test_udp_ipv4),
		cmocka_unit_test(test_udp_ipv6),
		cmocka_unit_test(test_netns),
		cmocka_unit_test(test_short_lived),
		cmocka_unit_test(test_fd_passing),
		cmocka_unit_test(test_shared_socket),
		cmocka_unit_test(test_fork_exec),
		cmocka_unit_test(test_prefork_accept),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_close_detaches),
		cmocka_unit_test(test_sigkill_detaches),
		cmocka_unit_test(test_no_loss),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
