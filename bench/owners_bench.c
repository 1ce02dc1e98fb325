/*
 * owners_bench.c - what the kernel owner source (core/ownersrc.h) costs the
 * processes of the host: socket operations timed with its programs
 * attached and without, side by side in the same run, as a ratio.
 *
 *   owners_bench [--quick]          as root; prints one line per operation
 *
 * Operations, each over loopback, in this process:
 *   create   socket(AF_INET, SOCK_DGRAM) + close        (sock_create, sock_release)
 *   udp      socket + connect + send 1 byte + close     (+ connect4, egress: the
 *                                                         4-tuple written, close written)
 *   tcp      socket + connect + accept + close both     (+ sockops twice, 4 events)
 *   sendto   one datagram on one unconnected socket     (sendmsg4 + egress, per datagram)
 *   send     one datagram on one connected socket       (egress, per datagram)
 *
 * Each round times every operation without the programs and with them
 * (owner_src_open; its events taken in every 256 operations, as a resolver
 * would; then owner_src_close), in turn: odd rounds start with them. Time
 * is this thread's CPU time (the system calls, and the softirq work they
 * do, run in it), which other loads on the machine disturb much less than
 * the wall clock. The figure is the median over the rounds (9; 5 with
 * --quick) of the time per operation, and the ratio of the medians; also
 * the time owner_src_open and owner_src_close take.
 *
 * Link: cc -std=c11 -D_GNU_SOURCE -Icore bench/owners_bench.c
 *       build/libproctraf.a -lbpf
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "ownersrc.h"

enum { OP_CREATE, OP_UDP, OP_TCP, OP_SENDTO, OP_SEND, NOPS };

static const struct {
	const char *name;
	int count;		/* operations per timing */
} ops[NOPS] = {
	{"socket + close (UDP)", 40000},
	{"UDP connect + send + close", 20000},
	{"TCP connect + accept + close", 4000},
	{"UDP sendto, one socket", 100000},
	{"UDP send, connected socket", 100000},
};

struct bench {
	struct sockaddr_in sink;	/* a bound UDP socket nobody reads until drained */
	struct sockaddr_in listener;
	int sinkfd;
	int lfd;
	int sendfd;		/* unconnected */
	int connfd;		/* connected to the sink */
	struct owner_src *src;	/* NULL: programs not attached */
	uint64_t taken;
};

static void die(const char *what)
{
	fprintf(stderr, "owners_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every 256 operations: the sink emptied, the events taken in. */
static void housekeeping(struct bench *b)
{
	char buf[16], err[256];
	int n;

	while (recv(b->sinkfd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	if (b->src) {
		n = owner_src_poll(b->src, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "owners_bench: %s\n", err);
			exit(1);
		}
		b->taken += (uint64_t)n;
	}
}

static void one(struct bench *b, int op)
{
	struct linger lin = {1, 0};
	int fd, c;

	switch (op) {
	case OP_CREATE:
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			die("socket");
		close(fd);
		break;
	case OP_UDP:
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&b->sink, sizeof(b->sink)) != 0 ||
		    send(fd, "x", 1, 0) != 1)
			die("UDP");
		close(fd);
		break;
	case OP_TCP:
		fd = socket(AF_INET, SOCK_STREAM, 0);
		/* A reset instead of TIME_WAIT: thousands of runs must not exhaust the ports. */
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)) != 0 ||
		    connect(fd, (struct sockaddr *)&b->listener, sizeof(b->listener)) != 0)
			die("TCP connect");
		c = accept(b->lfd, NULL, NULL);
		if (c < 0)
			die("accept");
		close(fd);
		close(c);
		break;
	case OP_SENDTO:
		if (sendto(b->sendfd, "x", 1, 0, (struct sockaddr *)&b->sink, sizeof(b->sink)) != 1)
			die("sendto");
		break;
	case OP_SEND:
		if (send(b->connfd, "x", 1, 0) != 1)
			die("send");
		break;
	}
}

/* Nanoseconds per operation. */
static double timed(struct bench *b, int op, int count)
{
	double t = 0, t0;

	for (int i = 0; i < count; i += 256) {
		int n = count - i < 256 ? count - i : 256;

		t0 = cpu_now();
		for (int k = 0; k < n; k++)
			one(b, op);
		t += cpu_now() - t0;
		housekeeping(b);
	}
	return t / count * 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void setup(struct bench *b)
{
	socklen_t len = sizeof(b->sink);

	memset(&b->sink, 0, sizeof(b->sink));
	b->sink.sin_family = AF_INET;
	b->sink.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	b->listener = b->sink;
	b->sinkfd = socket(AF_INET, SOCK_DGRAM, 0);
	if (b->sinkfd < 0 || bind(b->sinkfd, (struct sockaddr *)&b->sink, len) != 0 ||
	    getsockname(b->sinkfd, (struct sockaddr *)&b->sink, &len) != 0)
		die("sink");
	b->lfd = socket(AF_INET, SOCK_STREAM, 0);
	len = sizeof(b->listener);
	if (b->lfd < 0 || bind(b->lfd, (struct sockaddr *)&b->listener, len) != 0 ||
	    listen(b->lfd, 64) != 0 ||
	    getsockname(b->lfd, (struct sockaddr *)&b->listener, &len) != 0)
		die("listener");
	b->sendfd = socket(AF_INET, SOCK_DGRAM, 0);
	b->connfd = socket(AF_INET, SOCK_DGRAM, 0);
	if (b->sendfd < 0 || b->connfd < 0 ||
	    connect(b->connfd, (struct sockaddr *)&b->sink, sizeof(b->sink)) != 0)
		die("senders");
}

#define MAX_ROUNDS 9

static void run_all(struct bench *b, double res[NOPS][MAX_ROUNDS], int r)
{
	for (int op = 0; op < NOPS; op++)
		res[op][r] = timed(b, op, ops[op].count);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 && strcmp(argv[1], "--quick") == 0 ? 5 : MAX_ROUNDS;
	double off[NOPS][MAX_ROUNDS], on[NOPS][MAX_ROUNDS], open_ms[MAX_ROUNDS],
		close_ms[MAX_ROUNDS];
	struct owner_src_info info;
	uint64_t lost = 0;
	struct bench b;
	char err[256];

	memset(&b, 0, sizeof(b));
	memset(&info, 0, sizeof(info));
	libbpf_set_print(quiet);
	setup(&b);
	for (int r = 0; r < rounds; r++) {
		double t0;

		if (r % 2 == 0)
			run_all(&b, off, r);
		t0 = wall_now();
		if (owner_src_open(&b.src, NULL, err, sizeof(err)) != 0) {
			fprintf(stderr, "owners_bench: %s\n", err);
			return 1;
		}
		open_ms[r] = (wall_now() - t0) * 1e3;
		run_all(&b, on, r);
		housekeeping(&b);
		owner_src_info(b.src, &info);
		lost += info.lost;
		t0 = wall_now();
		owner_src_close(b.src);
		close_ms[r] = (wall_now() - t0) * 1e3;
		b.src = NULL;
		if (r % 2 == 1)
			run_all(&b, off, r);
	}
	printf("owners_bench: median of %d rounds, ns of CPU per operation, without and with "
	       "the owner source's programs attached\n", rounds);
	printf("%-30s %10s %10s %7s\n", "operation", "without", "with", "ratio");
	for (int op = 0; op < NOPS; op++) {
		double a = median(off[op], rounds), w = median(on[op], rounds);

		printf("%-30s %10.0f %10.0f %7.2f\n", ops[op].name, a, w, w / a);
	}
	printf("owner_src_open %.1f ms, owner_src_close %.1f ms (median wall time)\n",
	       median(open_ms, rounds), median(close_ms, rounds));
	printf("events taken in: %llu, lost: %llu (core %d, ring buffer %d)\n",
	       (unsigned long long)b.taken, (unsigned long long)lost, info.core, info.ringbuf);
	return lost ? 1 : 0;
}
