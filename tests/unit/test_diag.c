/*
 * test_diag.c - sock_diag lookups and dumps against the running kernel,
 * and the resolver's quick pass for new flows on the real /proc. Sockets
 * are made on loopback only.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "../../core/diag.h"
#include "../../core/resolve.h"
#include "lookup_at.h"
#include "../../core/tuple.h"

static uint64_t inode_of(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t)st.st_ino;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

static int bound(int type, uint32_t addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(addr) };
	int fd = socket(AF_INET, type, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* A TCP listener on 127.0.0.1, any port: its fd, and the port in *port. */
static int lo_listener(int backlog, uint16_t *port)
{
	int fd = bound(SOCK_STREAM, INADDR_LOOPBACK);

	assert_int_equal(listen(fd, backlog), 0);
	*port = port_of(fd);
	return fd;
}

static int connect_to(int fd, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	return connect(fd, (struct sockaddr *)&sa, sizeof(sa));
}

static const uint8_t lo4[16] = { 127, 0, 0, 1 };
static const uint8_t other4[16] = { 127, 0, 0, 9 };

/* The TCP flow from 127.0.0.1:sport to 127.0.0.1:dport, as seen on the wire. */
static struct tuple lo_tcp(uint16_t sport, uint16_t dport)
{
	struct tuple t;

	memset(&t, 0, sizeof(t));
	t.family = TUPLE_V4;
	t.proto = 6;
	memcpy(t.src, lo4, 16);
	memcpy(t.dst, lo4, 16);
	t.sport = sport;
	t.dport = dport;
	return t;
}

struct dump_ctx {
	uint64_t want;
	int seen;
	struct sock_entry e;
};

static void on_dump(void *ctx, const struct sock_entry *e)
{
	struct dump_ctx *c = ctx;

	if (e->inode == c->want) {
		c->seen++;
		c->e = *e;
	}
}

static void test_tcp_lookup_and_dump(void **state)
{
	struct diag *d = diag_open();
	struct sock_entry e;
	int lfd, cfd, afd;
	uint16_t lport, cport;

	(void)state;
	if (!d)
		skip();
	lfd = lo_listener(4, &lport);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect_to(cfd, lport), 0);
	cport = port_of(cfd);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);

	/* Each end of the connection, from its own side. */
	assert_int_equal(diag_lookup(d, TUPLE_V4, 6, lo4, cport, lo4, lport, &e), 1);
	assert_int_equal(e.inode, inode_of(cfd));
	assert_int_equal(e.family, TUPLE_V4);
	assert_int_equal(e.proto, 6);
	assert_int_equal(e.lport, cport);
	assert_int_equal(e.rport, lport);
	assert_memory_equal(e.laddr, lo4, 16);
	assert_int_equal(diag_lookup(d, TUPLE_V4, 6, lo4, lport, lo4, cport, &e), 1);
	assert_int_equal(e.inode, inode_of(afd));
	/* A peer it never talked to reaches the listener. */
	assert_int_equal(diag_lookup(d, TUPLE_V4, 6, lo4, lport, other4, 4444, &e), 1);
	assert_int_equal(e.inode, inode_of(lfd));
	assert_int_equal(e.state, 10);	/* LISTEN */
	/* Nothing on another port. */
	close(lfd);
	assert_int_equal(diag_lookup(d, TUPLE_V4, 6, lo4, lport, other4, 4444, &e), 0);

	/* The dump lists the connection once. */
	struct dump_ctx c = { .want = inode_of(cfd) };
	assert_int_equal(diag_dump(d, TUPLE_V4, 6, on_dump, &c), 0);
	assert_int_equal(c.seen, 1);
	assert_int_equal(c.e.lport, cport);
	assert_int_equal(c.e.rport, lport);
	close(cfd);
	close(afd);
	diag_close(d);
}

/* diag_dump_tcp: IPv4 and IPv6 sockets in one dump, each once, as themselves. */
static void test_tcp_dump_both_families(void **state)
{
	struct diag *d = diag_open();
	struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(sa6);
	int fd4, fd6;

	(void)state;
	if (!d)
		skip();
	fd4 = bound(SOCK_STREAM, INADDR_LOOPBACK);
	assert_int_equal(listen(fd4, 1), 0);
	fd6 = socket(AF_INET6, SOCK_STREAM, 0);
	assert_true(fd6 >= 0);
	if (bind(fd6, (struct sockaddr *)&sa6, sizeof(sa6)) != 0) {
		close(fd4);
		close(fd6);
		diag_close(d);
		skip();		/* no IPv6 loopback here */
	}
	assert_int_equal(listen(fd6, 1), 0);
	assert_int_equal(getsockname(fd6, (struct sockaddr *)&sa6, &len), 0);

	struct dump_ctx c4 = { .want = inode_of(fd4) }, c6 = { .want = inode_of(fd6) };
	assert_int_equal(diag_dump_tcp(d, on_dump, &c4), 0);
	assert_int_equal(diag_dump_tcp(d, on_dump, &c6), 0);
	assert_int_equal(c4.seen, 1);
	assert_int_equal(c4.e.family, TUPLE_V4);
	assert_int_equal(c4.e.lport, port_of(fd4));
	assert_memory_equal(c4.e.laddr, lo4, 16);
	assert_int_equal(c6.seen, 1);
	assert_int_equal(c6.e.family, TUPLE_V6);
	assert_int_equal(c6.e.lport, ntohs(sa6.sin6_port));
	assert_memory_equal(c6.e.laddr, &in6addr_loopback, 16);
	assert_int_equal(c6.e.proto, 6);
	close(fd4);
	close(fd6);
	diag_close(d);
}

static void test_udp_lookup(void **state)
{
	struct diag *d = diag_open();
	struct sock_entry e;
	int ufd, cfd;
	uint16_t uport, cport;

	(void)state;
	if (!d)
		skip();
	/* Unconnected, bound to every address: any peer reaches it. */
	ufd = bound(SOCK_DGRAM, INADDR_ANY);
	uport = port_of(ufd);
	assert_int_equal(diag_lookup(d, TUPLE_V4, 17, lo4, uport, other4, 53, &e), 1);
	assert_int_equal(e.inode, inode_of(ufd));
	assert_int_equal(e.lport, uport);
	/* Connected: found by its peer. */
	cfd = bound(SOCK_DGRAM, INADDR_LOOPBACK);
	assert_int_equal(connect_to(cfd, uport), 0);
	cport = port_of(cfd);
	assert_int_equal(diag_lookup(d, TUPLE_V4, 17, lo4, cport, lo4, uport, &e), 1);
	assert_int_equal(e.inode, inode_of(cfd));
	assert_int_equal(e.rport, uport);
	close(ufd);
	assert_int_equal(diag_lookup(d, TUPLE_V4, 17, lo4, uport, other4, 53, &e), 0);
	close(cfd);
	/* Protocols sock_diag is not asked about. */
	assert_int_equal(diag_lookup(d, TUPLE_V4, 1, lo4, 1, lo4, 0, &e), -1);
	diag_close(d);
}

/*
 * A process created after the resolver's first pass, holding a socket only
 * for as long as the test needs: the quick pass (no deep walk) finds it.
 */
static void test_quick_pass_finds_new_process(void **state)
{
	struct resolver *r = resolver_new("/proc");
	const struct proc_info *owner;
	struct tuple t;
	int lfd, pipefd[2], go[2];
	uint16_t lport, cport;
	pid_t child;
	char b;

	(void)state;
	assert_non_null(r);
	lfd = lo_listener(4, &lport);
	assert_int_equal(resolver_refresh(r), 0);

	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(pipe(go), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		uint16_t p;
		close(lfd);
		if (fd < 0 || connect_to(fd, lport) != 0)
			_exit(1);
		p = port_of(fd);
		if (write(pipefd[1], &p, sizeof(p)) != sizeof(p))
			_exit(1);
		(void)read(go[0], &b, 1);	/* hold the socket until told */
		_exit(0);
	}
	assert_int_equal(read(pipefd[0], &cport, sizeof(cport)), (ssize_t)sizeof(cport));

	t = lo_tcp(cport, lport);
	assert_int_equal(resolver_refresh_flows(r, &t, 1, false), 0);
	assert_int_equal(resolver_lookup_at(r, TUPLE_V4, 6, lo4, cport, lo4, lport, &owner),
			 OWNER_FOUND);
	assert_int_equal(owner->pid, child);

	/* Still known once the process is gone. */
	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(resolver_refresh_flows(r, &t, 1, true), 0);
	assert_int_equal(resolver_lookup_at(r, TUPLE_V4, 6, lo4, cport, lo4, lport, &owner),
			 OWNER_FOUND);
	assert_int_equal(owner->pid, child);
	close(lfd);
	close(pipefd[0]);
	close(pipefd[1]);
	close(go[0]);
	close(go[1]);
	resolver_free(r);
}

/*
 * A process with a large fd table that opens one more connection: the
 * quick pass reads only the fds around its highest one, and finds it.
 */
static void test_quick_pass_large_fd_table(void **state)
{
	struct resolver *r = resolver_new("/proc");
	const struct proc_info *owner;
	int lfd, held[100], cfd;
	uint16_t lport, cport;
	struct tuple t;

	(void)state;
	assert_non_null(r);
	lfd = lo_listener(128, &lport);
	for (int i = 0; i < 100; i++) {
		held[i] = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(held[i] >= 0);
		assert_int_equal(connect_to(held[i], lport), 0);
	}
	/* The full pass reads this process's table whole (its listener is new). */
	assert_int_equal(resolver_refresh(r), 0);
	assert_int_equal(resolver_lookup_at(r, TUPLE_V4, 6, lo4, port_of(held[99]), lo4, lport,
					 &owner), OWNER_FOUND);
	assert_int_equal(owner->pid, getpid());

	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(cfd >= 0);
	assert_int_equal(connect_to(cfd, lport), 0);
	cport = port_of(cfd);
	t = lo_tcp(cport, lport);
	assert_int_equal(resolver_refresh_flows(r, &t, 1, false), 0);
	assert_int_equal(resolver_lookup_at(r, TUPLE_V4, 6, lo4, cport, lo4, lport, &owner),
			 OWNER_FOUND);
	assert_int_equal(owner->pid, getpid());
	close(cfd);
	for (int i = 0; i < 100; i++)
		close(held[i]);
	close(lfd);
	resolver_free(r);
}

/*
 * A connection the server has not accepted yet has no inode: the quick
 * pass learns the listener of its port too, and the server end is the
 * listener's process, not unknown:no-process.
 */
static void test_not_accepted_goes_to_listener(void **state)
{
	struct resolver *r = resolver_new("/proc");
	const struct proc_info *owner;
	int lfd, cfd;
	uint16_t lport, cport;
	struct tuple t;

	(void)state;
	assert_non_null(r);
	assert_int_equal(resolver_refresh(r), 0);
	lfd = lo_listener(4, &lport);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(cfd >= 0);
	assert_int_equal(connect_to(cfd, lport), 0);	/* in the accept queue */
	cport = port_of(cfd);
	t = lo_tcp(cport, lport);
	assert_int_equal(resolver_refresh_flows(r, &t, 1, true), 0);
	assert_int_equal(resolver_lookup_at(r, TUPLE_V4, 6, lo4, lport, lo4, cport, &owner),
			 OWNER_FOUND);
	assert_int_equal(owner->pid, getpid());
	close(cfd);
	close(lfd);
	resolver_free(r);
}

/*
 * A child process that, for each request, closes its last connection to
 * lport and opens the next one, and answers with that connection's port.
 * It closes the n fds of close_fds first (the parent's, not its to hold).
 */
struct connector {
	pid_t pid;
	int to, from;		/* the parent's ends of the two pipes */
};

static struct connector connector_start(uint16_t lport, const int *close_fds, size_t n)
{
	int toc[2], fromc[2];
	struct connector c;
	char b;

	assert_int_equal(pipe(toc), 0);
	assert_int_equal(pipe(fromc), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		int fd = -1;
		uint16_t p;

		for (size_t i = 0; i < n; i++)
			close(close_fds[i]);
		close(toc[1]);
		close(fromc[0]);
		while (read(toc[0], &b, 1) == 1) {
			if (fd >= 0)
				close(fd);
			fd = socket(AF_INET, SOCK_STREAM, 0);
			if (fd < 0 || connect_to(fd, lport) != 0)
				_exit(1);
			p = port_of(fd);
			if (write(fromc[1], &p, sizeof(p)) != sizeof(p))
				_exit(1);
		}
		_exit(0);
	}
	close(toc[0]);
	close(fromc[1]);
	c.to = toc[1];
	c.from = fromc[0];
	return c;
}

/* The child's next connection: its local port. */
static uint16_t connector_next(const struct connector *c)
{
	uint16_t port;

	assert_int_equal(write(c->to, "x", 1), 1);
	assert_int_equal(read(c->from, &port, sizeof(port)), (ssize_t)sizeof(port));
	return port;
}

static void connector_stop(struct connector *c)
{
	close(c->to);
	assert_int_equal(waitpid(c->pid, NULL, 0), c->pid);
	close(c->from);
}

/* After a pass for the loopback flow cport -> lport, its client end is pid's. */
static void assert_owner_after_pass(struct resolver *r, uint16_t cport, uint16_t lport, bool deep,
				    pid_t pid)
{
	const struct proc_info *owner;
	struct tuple t = lo_tcp(cport, lport);

	assert_int_equal(resolver_refresh_flows(r, &t, 1, deep), 0);
	assert_int_equal(resolver_lookup_at(r, TUPLE_V4, 6, lo4, cport, lo4, lport, &owner),
			 OWNER_FOUND);
	assert_int_equal(owner->pid, pid);
}

/*
 * Two processes that open connections: the child reuses one fd for each,
 * the parent (credited last) has a table of about 50 fds. The child's next
 * connection is found at the child's last fd, without reading the
 * parent's whole table first.
 */
static void test_quick_pass_probes_every_hint_first(void **state)
{
	struct resolver *r = resolver_new("/proc");
	struct resolve_stats st0, st1;
	struct connector c;
	int lfd, held[49], pfd;
	uint16_t lport;

	(void)state;
	assert_non_null(r);
	lfd = lo_listener(128, &lport);
	for (int i = 0; i < 48; i++) {
		held[i] = socket(AF_INET, SOCK_DGRAM, 0);
		assert_true(held[i] >= 0);
	}
	held[48] = lfd;
	c = connector_start(lport, held, 49);
	assert_int_equal(resolver_refresh(r), 0);

	/* The child's first connection: credited, its fd noted. */
	assert_owner_after_pass(r, connector_next(&c), lport, true, c.pid);

	/* Then one of the parent's: the parent is the process credited last. */
	pfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(pfd >= 0);
	assert_int_equal(connect_to(pfd, lport), 0);
	assert_owner_after_pass(r, port_of(pfd), lport, true, getpid());

	/* The child's next connection, at the same fd: a few links read, not 50. */
	uint16_t cport = connector_next(&c);
	resolver_stats(r, &st0);
	assert_owner_after_pass(r, cport, lport, false, c.pid);
	resolver_stats(r, &st1);
	/* Other processes may have started meanwhile: their fds are read first. */
	assert_true(st1.fd_links - st0.fd_links < 40);

	connector_stop(&c);
	close(pfd);
	for (int i = 0; i < 48; i++)
		close(held[i]);
	close(lfd);
	resolver_free(r);
}

/* Send fd over the unix socket u; it is then held by no process, only in flight. */
static void send_fd(int u, int fd)
{
	char c = 'f';
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			    .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);

	memset(&cm, 0, sizeof(cm));
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(int));
	assert_int_equal(sendmsg(u, &m, 0), 1);
}

static int recv_fd(int u)
{
	char c;
	struct iovec iov = { &c, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
			    .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *h;
	int fd;

	assert_int_equal(recvmsg(u, &m, 0), 1);
	h = CMSG_FIRSTHDR(&m);
	assert_non_null(h);
	memcpy(&fd, CMSG_DATA(h), sizeof(int));
	return fd;
}

/*
 * A loopback connection whose client socket is in flight: sent over a unix
 * socket and closed here, so it is open and in no process's fd table until
 * in_flight_land takes it (and closes it).
 */
struct in_flight {
	int lfd, afd, u[2];
	uint16_t lport, cport;
};

static struct in_flight in_flight_start(void)
{
	struct in_flight f;
	int cfd;

	f.lfd = lo_listener(4, &f.lport);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, f.u), 0);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(cfd >= 0);
	assert_int_equal(connect_to(cfd, f.lport), 0);
	f.cport = port_of(cfd);
	f.afd = accept(f.lfd, NULL, NULL);
	assert_true(f.afd >= 0);
	send_fd(f.u[0], cfd);
	close(cfd);
	return f;
}

/*
 * What a socket no process holds is: OWNER_NO_PROCESS, or where some
 * process's fds are closed even to us (a process with capabilities beyond
 * our bounding set, say), OWNER_NO_PERMISSION: it may be that process's.
 */
static enum owner_status unheld(const struct resolver *r)
{
	struct resolve_stats st;

	resolver_stats(r, &st);
	return st.denied > 0 ? OWNER_NO_PERMISSION : OWNER_NO_PROCESS;
}

/* The socket in flight received, and closed. */
static void in_flight_land(struct in_flight *f)
{
	close(recv_fd(f->u[1]));
}

static void in_flight_stop(struct in_flight *f)
{
	close(f->afd);
	close(f->lfd);
	close(f->u[0]);
	close(f->u[1]);
}

/*
 * A connection whose socket no process holds: while it is open, its owner
 * is still looked for (resolver_pending); once it is closed, the quick
 * pass sees that the kernel no longer has its inode and looks no further.
 */
static void test_quick_pass_drops_closed_socket(void **state)
{
	struct resolver *r = resolver_new("/proc");
	const struct proc_info *owner;
	struct in_flight f;
	struct tuple t;

	(void)state;
	assert_non_null(r);
	assert_int_equal(resolver_refresh(r), 0);
	/* The client's socket in flight: open, and in no fd table. */
	f = in_flight_start();
	t = lo_tcp(f.cport, f.lport);
	assert_int_equal(resolver_refresh_flows(r, &t, 1, false), 0);
	assert_int_equal(resolver_lookup_at(r, TUPLE_V4, 6, lo4, f.cport, lo4, f.lport, &owner),
			 unheld(r));
	assert_true(resolver_pending(r));

	/* Closed: nothing left to look for. */
	in_flight_land(&f);
	assert_int_equal(resolver_refresh_flows(r, &t, 1, false), 0);
	assert_int_equal(resolver_lookup_at(r, TUPLE_V4, 6, lo4, f.cport, lo4, f.lport, &owner),
			 unheld(r));
	assert_false(resolver_pending(r));
	in_flight_stop(&f);
	resolver_free(r);
}

/* The fd links of every process now, as a deep walk reading them all would count them. */
static uint64_t all_fd_links(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	uint64_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[300];
		DIR *f;
		struct dirent *fe;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
		f = opendir(path);
		if (!f)
			continue;
		while ((fe = readdir(f)) != NULL)
			n += fe->d_name[0] != '.';
		closedir(f);
	}
	closedir(d);
	return n;
}

/*
 * A connection a quick pass met while it was open (in flight, in no fd
 * table), closed before the next full pass: that pass's deep walk asks
 * the kernel whether it is still open before it reads the fds of every
 * process for it.
 */
static void test_deep_walk_skips_closed_socket(void **state)
{
	struct resolver *r = resolver_new("/proc");
	const struct proc_info *owner;
	struct resolve_stats st0, st1;
	struct in_flight f;
	uint64_t all;
	struct tuple t;

	(void)state;
	assert_non_null(r);
	assert_int_equal(resolver_refresh(r), 0);
	f = in_flight_start();
	t = lo_tcp(f.cport, f.lport);
	assert_int_equal(resolver_refresh_flows(r, &t, 1, false), 0);
	assert_true(resolver_pending(r));

	in_flight_land(&f);
	all = all_fd_links();
	resolver_stats(r, &st0);
	assert_int_equal(resolver_refresh(r), 0);
	resolver_stats(r, &st1);
	assert_int_equal(resolver_lookup_at(r, TUPLE_V4, 6, lo4, f.cport, lo4, f.lport, &owner),
			 unheld(r));
	assert_false(resolver_pending(r));
	/* Only the processes started since were read (other tests' may be many). */
	assert_true(st1.fd_links - st0.fd_links < all / 2);
	in_flight_stop(&f);
	resolver_free(r);
}


/*
 * A deep walk goes in steps (resolver_begin, resolver_step): a quick pass
 * made between two finds a new connection at once, before the walk is
 * over, and the walk then goes on to its end. Nothing calls back into
 * the caller: the walk is not on the stack while the quick pass runs.
 */
static void test_deep_walk_in_steps(void **state)
{
	struct resolver *r = resolver_new("/proc");
	const struct proc_info *owner;
	struct in_flight f;
	struct tuple t, mine;
	size_t steps = 0;
	bool found_mid_walk = false;
	int dfd;

	(void)state;
	assert_non_null(r);
	assert_int_equal(resolver_refresh(r), 0);
	/* A socket no process holds (in flight): the deep walk reads every process. */
	f = in_flight_start();
	/* A connection of ours, looked up between two steps. */
	dfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(dfd >= 0);
	assert_int_equal(connect_to(dfd, f.lport), 0);
	mine = lo_tcp(port_of(dfd), f.lport);

	t = lo_tcp(f.cport, f.lport);
	assert_int_equal(resolver_refresh_flows(r, &t, 1, false), 0);
	assert_true(resolver_deep_due(r));
	resolver_begin(r, RESOLVER_DEEP);
	while (resolver_step(r)) {
		if (++steps == 1) {
			assert_int_equal(resolver_refresh_flows(r, &mine, 1, false), 0);
			found_mid_walk = resolver_lookup_at(r, TUPLE_V4, IPPROTO_TCP, lo4,
							    port_of(dfd), lo4, f.lport,
							    &owner) == OWNER_FOUND &&
					 owner->pid == getpid();
		}
	}
	/* Several steps: at least one per process of the host. */
	assert_true(steps > 1);
	assert_true(found_mid_walk);
	assert_int_equal(resolver_lookup_at(r, TUPLE_V4, IPPROTO_TCP, lo4, port_of(dfd), lo4,
					    f.lport, &owner), OWNER_FOUND);
	assert_int_equal(owner->pid, getpid());
	/* The walk went on to the end: the socket in flight has no owner to find. */
	assert_int_equal(resolver_lookup_at(r, TUPLE_V4, IPPROTO_TCP, lo4, f.cport, lo4, f.lport,
					    &owner), unheld(r));
	assert_false(resolver_deep_due(r));
	in_flight_land(&f);
	close(dfd);
	in_flight_stop(&f);
	resolver_free(r);
}

/*
 * A process that reopens its connection at the same fd, after a new
 * process with a large table has started: the quick pass probes the
 * likely fd first, and finds it without reading the new process's fds.
 */
static void test_quick_pass_probes_before_new_processes(void **state)
{
	struct resolver *r = resolver_new("/proc");
	struct resolve_stats st0, st1;
	struct connector c;
	int lfd, hold[2];
	uint16_t lport;
	pid_t big;
	char b;

	(void)state;
	assert_non_null(r);
	lfd = lo_listener(16, &lport);
	assert_int_equal(pipe(hold), 0);
	c = connector_start(lport, (int[]){ lfd, hold[1] }, 2);
	assert_int_equal(resolver_refresh(r), 0);
	assert_owner_after_pass(r, connector_next(&c), lport, true, c.pid);

	/* A new process with about 70 fds, until hold is closed. */
	big = fork();
	assert_true(big >= 0);
	if (big == 0) {
		close(hold[1]);
		for (int i = 0; i < 64; i++)
			(void)socket(AF_INET, SOCK_DGRAM, 0);
		(void)read(hold[0], &b, 1);
		_exit(0);
	}
	close(hold[0]);
	usleep(100000);		/* its sockets made */

	uint16_t cport = connector_next(&c);
	resolver_stats(r, &st0);
	assert_owner_after_pass(r, cport, lport, false, c.pid);
	resolver_stats(r, &st1);
	assert_true(st1.fd_links - st0.fd_links < 40);

	close(hold[1]);
	assert_int_equal(waitpid(big, NULL, 0), big);
	connector_stop(&c);
	close(lfd);
	resolver_free(r);
}


/*
 * A reply that another process sends to the sock_diag socket, forged to
 * look like the kernel's answer to the next lookup, is ignored: only the
 * kernel (netlink port 0) names sockets.
 */
static void test_forged_reply_ignored(void **state)
{
	struct diag *d = diag_open();
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	struct sockaddr_nl me = { .nl_family = AF_NETLINK }, to = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(me);
	struct {
		struct nlmsghdr nh;
		struct inet_diag_msg m;
	} forged;
	struct sock_entry e;
	uint16_t port = 0;
	int lfd = lo_listener(1, &port);

	(void)state;
	assert_non_null(d);
	assert_true(fd >= 0);
	/* The diag socket's netlink port: the only other one this test opened. */
	assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &len), 0);
	memset(&forged, 0, sizeof(forged));
	forged.nh.nlmsg_len = sizeof(forged);
	forged.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	forged.nh.nlmsg_seq = 1;	/* the first request's */
	forged.m.idiag_family = AF_INET;
	forged.m.idiag_inode = 0xdead;
	/*
	 * Netlink gives a process's first socket the process id for its
	 * port: the diag socket, opened first (ours got another one).
	 */
	assert_int_not_equal(me.nl_pid, (uint32_t)getpid());
	to.nl_pid = (uint32_t)getpid();
	if (sendto(fd, &forged, sizeof(forged), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		assert_int_equal(errno, EPERM);	/* not allowed to send it here: nothing to test */
		close(fd);
		close(lfd);
		diag_close(d);
		skip();
	}
	/* The listener's lookup: the kernel's answer, not the forged inode. */
	assert_int_equal(diag_lookup(d, TUPLE_V4, 6, lo4, port, (const uint8_t[16]){ 0 }, 0, &e),
			 1);
	assert_int_not_equal(e.inode, 0xdead);
	assert_int_equal(e.lport, port);
	close(fd);
	close(lfd);
	diag_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_lookup_and_dump),
		cmocka_unit_test(test_forged_reply_ignored),
		cmocka_unit_test(test_tcp_dump_both_families),
		cmocka_unit_test(test_udp_lookup),
		cmocka_unit_test(test_quick_pass_finds_new_process),
		cmocka_unit_test(test_quick_pass_large_fd_table),
		cmocka_unit_test(test_not_accepted_goes_to_listener),
		cmocka_unit_test(test_quick_pass_probes_every_hint_first),
		cmocka_unit_test(test_quick_pass_probes_before_new_processes),
		cmocka_unit_test(test_quick_pass_drops_closed_socket),
		cmocka_unit_test(test_deep_walk_skips_closed_socket),
		cmocka_unit_test(test_deep_walk_in_steps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
