/*
 * helpers.h - shared helpers of the cmocka unit tests.
 *
 * Include after <cmocka.h>. Everything here is static inline so a test
 * file that uses only part of it still builds under -Werror.
 *
 * The /proc fixture helpers build a directory tree that stands in for
 * /proc (net/tcp..., PID/fd/N -> "socket:[INODE]", PID/comm, ...) below a
 * mkdtemp() directory, written in the kernel's own formats.
 */
#ifndef PROCTRAF_TEST_HELPERS_H
#define PROCTRAF_TEST_HELPERS_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/tuple.h"

/* ---- deterministic pseudo-random numbers (xorshift64*) ---- */

static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* ---- addresses ---- */

static inline void addr4(uint8_t out[16], unsigned a, unsigned b, unsigned c, unsigned d)
{
	memset(out, 0, 16);
	out[0] = (uint8_t)a;
	out[1] = (uint8_t)b;
	out[2] = (uint8_t)c;
	out[3] = (uint8_t)d;
}

/* Text address (IPv4 or IPv6) into a zero-padded 16-byte array. */
static inline void addr_parse(uint8_t out[16], int family, const char *text)
{
	memset(out, 0, 16);
	assert_int_equal(inet_pton(family == TUPLE_V6 ? AF_INET6 : AF_INET, text, out), 1);
}

/*
 * An address as the kernel prints it in /proc/net/tcp*: each 32-bit word
 * of the in-memory address printed with %08X (so host byte order).
 */
static inline void proc_hex(char *out, int family, const uint8_t *addr)
{
	int words = family == TUPLE_V6 ? 4 : 1;

	for (int i = 0; i < words; i++) {
		uint32_t w;
		memcpy(&w, addr + 4 * i, 4);
		sprintf(out + 8 * i, "%08X", w);
	}
	out[8 * words] = '\0';
}

/* One /proc/net/{tcp,udp}[6] line, as the kernel formats it. */
static inline void sock_line(char *buf, size_t len, int sl, int family,
			     const uint8_t *laddr, uint16_t lport,
			     const uint8_t *raddr, uint16_t rport, int state, uint64_t inode)
{
	char l[33], r[33];

	proc_hex(l, family, laddr);
	proc_hex(r, family, raddr);
	snprintf(buf, len,
		 "%4d: %s:%04X %s:%04X %02X 00000000:00000000 00:00000000 00000000"
		 "     0        0 %" PRIu64 " 1 0000000000000000 100 0 0 10 0\n",
		 sl, l, lport, r, rport, state, inode);
}

#define TCP_HEADER4 "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when " \
	"retrnsmt   uid  timeout inode\n"
#define TCP_HEADER6 "  sl  local_address                         remote_address          " \
	"              st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

/* ---- the fixture tree ---- */

static inline void fx_join(char *out, size_t len, const char *root, const char *rel)
{
	int n = snprintf(out, len, "%s/%s", root, rel);

	assert_true(n > 0 && (size_t)n < len);
}

/* mkdir -p of every parent directory of path. */
static inline void fx_mkparents(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", tmp, strerror(errno));
		*p = '/';
	}
}

static inline void fx_write(const char *root, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	fx_join(path, sizeof(path), root, rel);
	fx_mkparents(path);
	f = fopen(path, "wb");
	if (!f)
		fail_msg("fopen %s: %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static inline void fx_puts(const char *root, const char *rel, const char *text)
{
	fx_write(root, rel, text, strlen(text));
}

static inline void fx_symlink(const char *root, const char *rel, const char *target)
{
	char path[PATH_MAX];

	fx_join(path, sizeof(path), root, rel);
	fx_mkparents(path);
	unlink(path);
	if (symlink(target, path) != 0)
		fail_msg("symlink %s: %s", path, strerror(errno));
}

static inline int fx_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void fx_rmtree(const char *path)
{
	nftw(path, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void fx_rm(const char *root, const char *rel)
{
	char path[PATH_MAX];

	fx_join(path, sizeof(path), root, rel);
	fx_rmtree(path);
}

/* A fresh, empty stand-in for /proc; free() the result after fx_rmtree. */
static inline char *fx_new_root(void)
{
	char tmpl[] = "/tmp/proctraf-unit-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return strdup(tmpl);
}

/*
 * A process: PID/comm ("comm\n"), PID/status with a Uid: line (uid < 0:
 * no status file), PID/cmdline (cmdlen bytes, NULs included; NULL: none),
 * PID/stat with starttime in field 22 (start 0: no stat file), and one
 * PID/fd/N -> "socket:[INODE]" link per inode (fd numbers from 3), plus a
 * non-socket fd 0 -> "/dev/null" and fd 1 -> "pipe:[99]".
 */
static inline void fx_proc(const char *root, int pid, const char *comm, long uid,
			   const char *cmdline, size_t cmdlen, unsigned long long start,
			   const uint64_t *inodes, size_t ninodes)
{
	char rel[128], buf[1024];

	if (comm) {
		snprintf(rel, sizeof(rel), "%d/comm", pid);
		snprintf(buf, sizeof(buf), "%s\n", comm);
		fx_puts(root, rel, buf);
	}
	if (uid >= 0) {
		snprintf(rel, sizeof(rel), "%d/status", pid);
		snprintf(buf, sizeof(buf),
			 "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\n"
			 "Ngid:\t0\nPid:\t%d\nPPid:\t1\nTracerPid:\t0\n"
			 "Uid:\t%ld\t%ld\t%ld\t%ld\nGid:\t0\t0\t0\t0\n",
			 comm ? comm : "", pid, pid, uid, uid + 1, uid + 2, uid + 3);
		fx_puts(root, rel, buf);
	}
	if (cmdline) {
		snprintf(rel, sizeof(rel), "%d/cmdline", pid);
		fx_write(root, rel, cmdline, cmdlen);
	}
	if (start) {
		/* Fields 1..21, then starttime (22), then a few more. */
		snprintf(rel, sizeof(rel), "%d/stat", pid);
		snprintf(buf, sizeof(buf),
			 "%d (%s) S 1 %d %d 0 -1 4194560 1234 0 0 0 5 3 0 0 20 0 1 0 %llu "
			 "12345678 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0\n",
			 pid, comm ? comm : "", pid, pid, start);
		fx_puts(root, rel, buf);
	}
	snprintf(rel, sizeof(rel), "%d/fd/0", pid);
	fx_symlink(root, rel, "/dev/null");
	snprintf(rel, sizeof(rel), "%d/fd/1", pid);
	fx_symlink(root, rel, "pipe:[99]");
	for (size_t i = 0; i < ninodes; i++) {
		snprintf(rel, sizeof(rel), "%d/fd/%zu", pid, i + 3);
		snprintf(buf, sizeof(buf), "socket:[%" PRIu64 "]", inodes[i]);
		fx_symlink(root, rel, buf);
	}
}

/* A socket table file being built: header, then sock_line()s. */
struct fx_table {
	char text[16384];
	size_t len;
	int family;
	int n;
};

static inline void fx_table_init(struct fx_table *t, int family)
{
	t->family = family;
	t->n = 0;
	t->len = (size_t)snprintf(t->text, sizeof(t->text), "%s",
				  family == TUPLE_V6 ? TCP_HEADER6 : TCP_HEADER4);
}

static inline void fx_table_add(struct fx_table *t, const uint8_t *laddr, uint16_t lport,
				const uint8_t *raddr, uint16_t rport, int state, uint64_t inode)
{
	char line[512];

	sock_line(line, sizeof(line), t->n++, t->family, laddr, lport, raddr, rport, state,
		  inode);
	assert_true(t->len + strlen(line) < sizeof(t->text));
	memcpy(t->text + t->len, line, strlen(line) + 1);
	t->len += strlen(line);
}

/* Write a fib_trie announcing each IPv4 address as "/32 host LOCAL". */
static inline void fx_fib_trie(const char *root, const char *const *addrs, size_t n)
{
	char text[8192];
	size_t len = 0;

	len += (size_t)snprintf(text + len, sizeof(text) - len,
				"Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n"
				"        /0 universe UNICAST\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"     +-- %s/32 1 0 0\n        |-- %s\n"
					"           /32 host LOCAL\n", addrs[i], addrs[i]);
	fx_puts(root, "net/fib_trie", text);
}

/* ---- the standard fixture shared by test_resolve and test_aggregate ----
 *
 * Local addresses (fib_trie, if_inet6): 127.0.0.0/8, 10.0.0.5/32,
 * 10.0.0.255 (broadcast), 172.16.0.0/12 (a "local" route), ::1, fd00::5.
 *
 *   tcp  10.0.0.5:80 listen                     1001  pid 100 nginx (uid 33)
 *   tcp  10.0.0.5:80 <-> 192.0.2.9:40000        1002  pid 101 worker
 *   tcp  10.0.0.5:5555 <-> 192.0.2.9:6000 TW    0     (TIME_WAIT: no inode)
 *   tcp  0.0.0.0:22 listen                      1003  pid 102 sshd (uid 0)
 *   tcp  10.0.0.5:7000 <-> 192.0.2.9:7001       1009  nobody (fd closed)
 *   tcp  10.0.0.5:3306 <-> 192.0.2.50:50000     1007  pids 300 and 250 (250 wins)
 *   tcp  10.0.0.5:3307 <-> 192.0.2.50:50001     1008  pids 260 and 270 (260 wins)
 *   tcp  127.0.0.1:5000 <-> 127.0.0.1:6000      1020  pid 110 client
 *   tcp  127.0.0.1:6000 listen                  1021  pid 111 server
 *   tcp  127.0.0.1:6000 <-> 127.0.0.1:5000      1022  pid 111 server
 *   tcp  127.0.0.1:6001 <-> 127.0.0.1:6002      1023  pid 112 selfie
 *   tcp  127.0.0.1:6002 <-> 127.0.0.1:6001      1024  pid 112 selfie
 *   tcp6 [::]:8080 listen (dual-stack)          1004  pid 103 java (uid 1000)
 *   tcp6 [::ffff:10.0.0.5]:9090 <-> [::ffff:192.0.2.9]:1234   1010  pid 103
 *   udp  0.0.0.0:53                             1005  pid 104 dnsmasq
 *   udp6 [fd00::5]:123                          1006  pid 105 ntpd
 *   tcp  10.0.0.5:8000 <-> 192.0.2.9:8001       1011  pid 106 bare (comm only: no
 *                                                    status, stat, cmdline)
 *   tcp  10.0.0.5:8002 <-> 192.0.2.9:8003       1012  pid 107 "a) (b c" (parens in stat)
 */
struct fixture {
	char *root;
	struct fx_table tcp, tcp6, udp, udp6;
};

#define NGINX_CMDLINE "nginx\0-g\0daemon off;\0"
/* A string literal and its length, NULs included, terminator excluded. */
#define CMD(s) (s), sizeof(s) - 1

static inline void fx_write_tables(struct fixture *fx)
{
	fx_puts(fx->root, "net/tcp", fx->tcp.text);
	fx_puts(fx->root, "net/tcp6", fx->tcp6.text);
	fx_puts(fx->root, "net/udp", fx->udp.text);
	fx_puts(fx->root, "net/udp6", fx->udp6.text);
}

static inline void fx_add(struct fx_table *t, int family, const char *la, uint16_t lp,
			  const char *ra, uint16_t rp, int state, uint64_t inode)
{
	uint8_t l[16], r[16];

	addr_parse(l, family, la);
	addr_parse(r, family, ra);
	fx_table_add(t, l, lp, r, rp, state, inode);
}

static inline void fx_standard(struct fixture *fx)
{
	static const char fib[] =
		"Main:\n"
		"  +-- 0.0.0.0/0 3 0 5\n"
		"     |-- 0.0.0.0\n"
		"        /0 universe UNICAST\n"
		"     +-- 10.0.0.0/24 2 0 2\n"
		"        |-- 10.0.0.0\n"
		"           /24 link UNICAST\n"
		"        |-- 10.0.0.5\n"
		"           /32 host LOCAL\n"
		"        |-- 10.0.0.255\n"
		"           /32 link BROADCAST\n"
		"     +-- 127.0.0.0/8 2 0 2\n"
		"        +-- 127.0.0.0/31 1 0 0\n"
		"           |-- 127.0.0.0\n"
		"              /8 host LOCAL\n"
		"           |-- 127.0.0.1\n"
		"              /32 host LOCAL\n"
		"        |-- 127.255.255.255\n"
		"           /32 link BROADCAST\n"
		"     |-- 172.16.0.0\n"
		"        /12 host LOCAL\n";
	static const char if6[] =
		"00000000000000000000000000000001 01 80 10 80       lo\n"
		"fd000000000000000000000000000005 02 40 00 80     eth0\n";
	static const uint64_t i100[] = { 1001 }, i101[] = { 1002 }, i102[] = { 1003 },
		i103[] = { 1004, 1010 }, i104[] = { 1005 }, i105[] = { 1006 },
		i_shared1[] = { 1007 }, i_shared2[] = { 1008 }, i110[] = { 1020 },
		i111[] = { 1021, 1022 }, i112[] = { 1023, 1024 }, i106[] = { 1011 },
		i107[] = { 1012 };

	fx->root = fx_new_root();
	fx_puts(fx->root, "net/fib_trie", fib);
	fx_puts(fx->root, "net/if_inet6", if6);

	fx_table_init(&fx->tcp, TUPLE_V4);
	fx_table_init(&fx->tcp6, TUPLE_V6);
	fx_table_init(&fx->udp, TUPLE_V4);
	fx_table_init(&fx->udp6, TUPLE_V6);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 80, "0.0.0.0", 0, 0x0a, 1001);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 80, "192.0.2.9", 40000, 0x01, 1002);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 5555, "192.0.2.9", 6000, 0x06, 0);
	fx_add(&fx->tcp, TUPLE_V4, "0.0.0.0", 22, "0.0.0.0", 0, 0x0a, 1003);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 7000, "192.0.2.9", 7001, 0x01, 1009);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 3306, "192.0.2.50", 50000, 0x01, 1007);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 3307, "192.0.2.50", 50001, 0x01, 1008);
	fx_add(&fx->tcp, TUPLE_V4, "127.0.0.1", 5000, "127.0.0.1", 6000, 0x01, 1020);
	fx_add(&fx->tcp, TUPLE_V4, "127.0.0.1", 6000, "0.0.0.0", 0, 0x0a, 1021);
	fx_add(&fx->tcp, TUPLE_V4, "127.0.0.1", 6000, "127.0.0.1", 5000, 0x01, 1022);
	fx_add(&fx->tcp, TUPLE_V4, "127.0.0.1", 6001, "127.0.0.1", 6002, 0x01, 1023);
	fx_add(&fx->tcp, TUPLE_V4, "127.0.0.1", 6002, "127.0.0.1", 6001, 0x01, 1024);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 8000, "192.0.2.9", 8001, 0x01, 1011);
	fx_add(&fx->tcp, TUPLE_V4, "10.0.0.5", 8002, "192.0.2.9", 8003, 0x01, 1012);
	fx_add(&fx->tcp6, TUPLE_V6, "::", 8080, "::", 0, 0x0a, 1004);
	fx_add(&fx->tcp6, TUPLE_V6, "::ffff:10.0.0.5", 9090, "::ffff:192.0.2.9", 1234, 0x01,
	       1010);
	fx_add(&fx->udp, TUPLE_V4, "0.0.0.0", 53, "0.0.0.0", 0, 0x07, 1005);
	fx_add(&fx->udp6, TUPLE_V6, "fd00::5", 123, "::", 0, 0x07, 1006);
	fx_write_tables(fx);

	fx_proc(fx->root, 100, "nginx", 33, CMD(NGINX_CMDLINE), 5000,
		i100, 1);
	fx_proc(fx->root, 101, "worker", 33, CMD("nginx: worker process\0"), 5001, i101, 1);
	fx_proc(fx->root, 102, "sshd", 0, CMD("/usr/sbin/sshd\0-D\0"), 4000, i102, 1);
	fx_proc(fx->root, 103, "java", 1000, CMD("java\0-jar\0app.jar\0"), 6000, i103, 2);
	fx_proc(fx->root, 104, "dnsmasq", 65534, CMD("dnsmasq\0"), 3000, i104, 1);
	fx_proc(fx->root, 105, "ntpd", 107, CMD("ntpd\0"), 3100, i105, 1);
	fx_proc(fx->root, 106, "bare", -1, NULL, 0, 0, i106, 1);
	fx_proc(fx->root, 107, "a) (b c", 5, CMD("x\0"), 777, i107, 1);
	/* Shared sockets, the higher pid created first in one pair, last in the other. */
	fx_proc(fx->root, 300, "child", 1, CMD("child\0"), 8000, i_shared1, 1);
	fx_proc(fx->root, 250, "parent", 1, CMD("parent\0"), 7000, i_shared1, 1);
	fx_proc(fx->root, 260, "parent2", 1, CMD("parent2\0"), 7100, i_shared2, 1);
	fx_proc(fx->root, 270, "child2", 1, CMD("child2\0"), 8100, i_shared2, 1);
	fx_proc(fx->root, 110, "client", 1000, CMD("client\0"), 9000, i110, 1);
	fx_proc(fx->root, 111, "server", 1000, CMD("server\0"), 9001, i111, 2);
	fx_proc(fx->root, 112, "selfie", 1000, CMD("selfie\0"), 9002, i112, 2);
}

static inline void fx_free(struct fixture *fx)
{
	if (fx->root) {
		fx_rmtree(fx->root);
		free(fx->root);
		fx->root = NULL;
	}
}

/* ---- a run with bounds: time and memory ---- */

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

struct bounded_run {
	int result;		/* what fn returned */
	long rss_growth_kb;	/* the child's peak resident memory, less what it had before fn */
	double seconds;		/* how long fn took */
};

static inline double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * fn(arg) in a child process that must end within limit seconds, so that a
 * read that blocks or grows without bound fails the test instead of hanging
 * it (or the machine). False when the child had to be killed or died.
 */
static inline bool run_bounded(int (*fn)(void *), void *arg, double limit, struct bounded_run *out)
{
	int fds[2], status;
	struct pollfd pfd;
	pid_t pid;
	ssize_t n = 0;
	double end;

	memset(out, 0, sizeof(*out));
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rusage before, after;
		struct bounded_run r;
		double t0;

		close(fds[0]);
		memset(&r, 0, sizeof(r));	/* its padding is written too */
		getrusage(RUSAGE_SELF, &before);
		t0 = mono_now();
		r.result = fn(arg);
		r.seconds = mono_now() - t0;
		getrusage(RUSAGE_SELF, &after);
		r.rss_growth_kb = after.ru_maxrss - before.ru_maxrss;
		_exit(write(fds[1], &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	end = mono_now() + limit;
	for (;;) {
		double left = end - mono_now();
		int rc = left > 0 ? poll(&pfd, 1, (int)(left * 1000) + 1) : 0;
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc > 0)
			n = read(fds[0], out, sizeof(*out));
		break;
	}
	close(fds[0]);
	if (n != (ssize_t)sizeof(*out))
		kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return n == (ssize_t)sizeof(*out) && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ---- a captured-output stream ---- */

/* An open_memstream() stream; after memout_close, buf holds the text (free it). */
struct memout {
	char *buf;
	size_t len;
	FILE *f;
};

static inline void memout_open(struct memout *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
}

static inline void memout_close(struct memout *m)
{
	assert_int_equal(fclose(m->f), 0);
	m->f = NULL;
}

#endif
