/*
 * resolve_bench.c - time proctraf's resolver (core/resolve.h) on the real
 * /proc of the network namespace it runs in.
 *
 *   resolve_bench full RUNS      a full resolution pass, RUNS times
 *   resolve_bench newflow RUNS   the lookup triggered by one new flow
 *
 * full: each run times resolver_new("/proc") + resolver_refresh() (every
 * socket table, every /proc/PID/fd walked until each socket has its owner),
 * then a second resolver_refresh() on the same resolver (the periodic pass
 * of a live session, everything already known). Prints per run:
 *     full SECONDS again SECONDS sockets N processes N
 *
 * newflow: one resolver, refreshed once (untimed), as in a running session.
 * Each run forks a new process that opens one new loopback TCP connection
 * (listener, client and accepted socket all its own) and reports the
 * 5-tuple; then the clock runs from the moment the connection exists until
 * resolver_lookup() finds that process as the owner of both local ends (what
 * the session asks of a new flow, resolver_explains). The calls made:
 * resolver_refresh_flows(r, &flow, 1, false), then (..., true), then
 * resolver_refresh() until found, when the library has
 * resolver_refresh_flows; otherwise resolver_refresh() only. Prints per run:
 *     newflow SECONDS calls N via refresh_flows|refresh found 0|1
 *
 * Link: cc -std=c11 -D_GNU_SOURCE -Icore bench/resolve_bench.c
 *       build/libproctraf.a $(pkg-config --libs libpcap) -lcsv -lpthread -lm
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "resolve.h"

/*
 * The targeted pass for new flows, if this build of the library has it:
 * weak, so the program links (and falls back to resolver_refresh) without.
 */
int resolver_refresh_flows(struct resolver *r, const struct tuple *t, size_t n, bool deep)
	__attribute__((weak));

#define MAX_CALLS 50

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "resolve_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int full(int runs)
{
	for (int i = 0; i < runs; i++) {
		struct resolve_stats st;
		double t0 = now(), t1, t2;
		struct resolver *r = resolver_new("/proc");

		if (!r)
			die("resolver_new");
		if (resolver_refresh(r) != 0)
			die("resolver_refresh");
		t1 = now();
		resolver_refresh(r);
		t2 = now();
		resolver_stats(r, &st);
		printf("full %.6f again %.6f sockets %llu processes %llu\n", t1 - t0, t2 - t1,
		       (unsigned long long)st.sockets, (unsigned long long)st.processes);
		fflush(stdout);
		resolver_free(r);
	}
	return 0;
}

struct conn {
	struct sockaddr_in client, server;
};

/* The new process: one listener, one connection to it, both ends held. */
static void child(int wfd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct conn c;
	int l, s, a;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 4) < 0 ||
	    getsockname(l, (struct sockaddr *)&c.server, &len) < 0)
		_exit(1);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&c.server, sizeof(c.server)) < 0)
		_exit(1);
	a = accept(l, NULL, NULL);
	len = sizeof(c.client);
	if (a < 0 || getsockname(s, (struct sockaddr *)&c.client, &len) < 0)
		_exit(1);
	if (write(wfd, &c, sizeof(c)) != (ssize_t)sizeof(c))
		_exit(1);
	close(wfd);
	for (;;)
		pause();
}

static bool owned_by(const struct resolver *r, const struct tuple *t, int pid)
{
	const struct proc_info *p1 = NULL, *p2 = NULL;
	struct flow_end src = flow_end_of(t, false), dst = flow_end_of(t, true);

	return resolver_lookup(r, &src, &p1) == OWNER_FOUND && p1->pid == pid &&
	       resolver_lookup(r, &dst, &p2) == OWNER_FOUND && p2->pid == pid;
}

static int newflow(int runs)
{
	struct resolver *r = resolver_new("/proc");
	bool targeted = resolver_refresh_flows != NULL;

	if (!r)
		die("resolver_new");
	resolver_refresh(r);
	for (int i = 0; i < runs; i++) {
		int fds[2], calls = 0;
		struct conn c;
		struct tuple t;
		bool found = false;
		double t0, t1;
		pid_t pid;

		if (pipe(fds) < 0)
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(fds[0]);
			child(fds[1]);
		}
		close(fds[1]);
		if (read(fds[0], &c, sizeof(c)) != (ssize_t)sizeof(c)) {
			fprintf(stderr, "resolve_bench: the new process failed\n");
			return 1;
		}
		close(fds[0]);
		/* The flow as the capture would queue it: canonical tuple. */
		memset(&t, 0, sizeof(t));
		t.family = TUPLE_V4;
		t.proto = 6;
		t.kind = TUPLE_FLOW;
		memcpy(t.src, &c.client.sin_addr, 4);
		memcpy(t.dst, &c.server.sin_addr, 4);
		t.sport = ntohs(c.client.sin_port);
		t.dport = ntohs(c.server.sin_port);
		tuple_canonical(&t);

		t0 = now();
		while (!found && calls < MAX_CALLS) {
			if (targeted && calls < 2)
				resolver_refresh_flows(r, &t, 1, calls == 1);
			else
				resolver_refresh(r);
			calls++;
			found = owned_by(r, &t, pid);
		}
		t1 = now();
		printf("newflow %.6f calls %d via %s found %d\n", t1 - t0, calls,
		       targeted ? "refresh_flows" : "refresh", found ? 1 : 0);
		fflush(stdout);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	resolver_free(r);
	return 0;
}

int main(int argc, char **argv)
{
	int runs = argc > 2 ? atoi(argv[2]) : 0;

	if (argc != 3 || runs < 1 || (strcmp(argv[1], "full") && strcmp(argv[1], "newflow"))) {
		fprintf(stderr, "usage: resolve_bench full|newflow RUNS\n");
		return 2;
	}
	return strcmp(argv[1], "full") == 0 ? full(runs) : newflow(runs);
}
