/*
 * forget_bench.c - a long live run in a /proc stand-in: does the
 * resolver's memory grow with every connection it has seen? (issue 11,
 * item 10; resolve.h, "Forgetting"; core/pins.h)
 *
 *   forget_bench [PER_PASS [PASSES [LIVE [FLOW_EVERY]]]]    (default 1000 1000 2 10)
 *
 * A day of a busy host, one full pass a --resolve-interval: each of
 * PASSES passes, PER_PASS new TCP connections, to a new remote address
 * and port each, open for LIVE passes; half of them accepted by a server
 * (pid 1000, there all along, listening on 10.0.0.5:443), half opened by
 * a client process made for that pass, gone the pass after. One
 * connection in FLOW_EVERY carries a flow in the flow table (a capture
 * with a filter sees some of the host's traffic). After each pass the
 * resolver thread's step is run: resolver_refresh, then pins_round.
 * PER_PASS x PASSES distinct sockets in all (1,000,000 by default).
 *
 * Two runs, side by side in this one (each in a child process of its
 * own, so that each has its own memory): the reference keeps everything,
 * as the resolver did before (no round of forgetting is run), then the
 * same with pins_round. Every tenth of the run each prints its resident
 * memory and what the resolver keeps; at the end every flow must still
 * be its process's (server or client), in both. Then the ratio of their
 * resident memory at the end.
 *
 * Link: cc -std=c11 -D_GNU_SOURCE -O2 -Icore bench/forget_bench.c build/libproctraf.a \
 *       $(pkg-config --libs libpcap) -lcsv -lpthread -lm
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attribute.h"
#include "decode.h"
#include "flowtab.h"
#include "pins.h"
#include "resolve.h"

#define SERVER 1000
#define CLIENT0 100000		/* the client of pass p is CLIENT0 + p */
#define LISTENER_INODE 1
#define INODE0 1000000		/* connection c has inode INODE0 + c */

struct cfg {
	long per_pass, passes, live, flow_every;
	char root[64];
};

static void die(const char *what)
{
	fprintf(stderr, "forget_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident memory now, in KiB (VmRSS). */
static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static void put(const struct cfg *c, const char *rel, const char *text, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", c->root, rel);
	f = fopen(path, "w");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
		die(path);
}

static void mkdirs(const struct cfg *c, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", c->root, rel);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die(path);
}

static void make_proc(const struct cfg *c, int pid, const char *comm, long start)
{
	char rel[64], text[512];

	snprintf(rel, sizeof(rel), "%d", pid);
	mkdirs(c, rel);
	snprintf(rel, sizeof(rel), "%d/fd", pid);
	mkdirs(c, rel);
	snprintf(rel, sizeof(rel), "%d/comm", pid);
	snprintf(text, sizeof(text), "%s\n", comm);
	put(c, rel, text, strlen(text));
	snprintf(rel, sizeof(rel), "%d/cmdline", pid);
	snprintf(text, sizeof(text), "%s%c--bench%c", comm, 0, 0);
	put(c, rel, text, strlen(comm) + 9);
	snprintf(rel, sizeof(rel), "%d/status", pid);
	snprintf(text, sizeof(text), "Name:\t%s\nTgid:\t%d\nUid:\t0\t0\t0\t0\n", comm, pid);
	put(c, rel, text, strlen(text));
	snprintf(rel, sizeof(rel), "%d/stat", pid);
	snprintf(text, sizeof(text),
		 "%d (%s) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %ld 0 0\n", pid, comm, start);
	put(c, rel, text, strlen(text));
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Connection k of pass p: its number, and which end of it is ours. */
static long conn_id(const struct cfg *c, long p, long k)
{
	return p * c->per_pass + k;
}

static bool by_server(long id)
{
	return id % 2 == 0;
}

/* The connection's local and remote ends (IPv4, host order words for net/tcp). */
static void conn_ends(long id, uint8_t l[4], uint16_t *lport, uint8_t rem[4], uint16_t *rport)
{
	l[0] = 10, l[1] = 0, l[2] = 0, l[3] = 5;
	/* A new remote address and port for each: 198.18.0.0/15, ports from 1024. */
	rem[0] = 198;
	rem[1] = (uint8_t)(18 + (id >> 24 & 1));
	rem[2] = (uint8_t)(id >> 16);
	rem[3] = (uint8_t)(id >> 8);
	*rport = (uint16_t)(1024 + (id & 0xff) * 200 + id % 200);
	*lport = by_server(id) ? 443 : (uint16_t)(32768 + id % 28000);
}

static void hex_addr(char *out, const uint8_t a[4])
{
	sprintf(out, "%02X%02X%02X%02X", a[3], a[2], a[1], a[0]);
}

/* net/tcp with the listener and the connections open in pass p. */
static void write_table(const struct cfg *c, long p, char *buf, size_t size)
{
	size_t len = 0;
	long first = p - c->live + 1 < 0 ? 0 : p - c->live + 1;

	len += (size_t)snprintf(buf + len, size - len,
				"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
				"retrnsmt   uid  timeout inode\n"
				"   0: 0500000A:01BB 00000000:0000 0A 00000000:00000000 00:00000000 "
				"00000000     0        0 %d 1 0000000000000000 100 0 0 10 0\n",
				LISTENER_INODE);
	for (long q = first; q <= p; q++) {
		for (long k = 0; k < c->per_pass; k++) {
			long id = conn_id(c, q, k);
			uint8_t l[4], rem[4];
			uint16_t lp, rp;
			char lh[9], rh[9];

			conn_ends(id, l, &lp, rem, &rp);
			hex_addr(lh, l);
			hex_addr(rh, rem);
			len += (size_t)snprintf(buf + len, size - len,
						"%4ld: %s:%04X %s:%04X 01 00000000:00000000 "
						"00:00000000 00000000     0        0 %ld 1 "
						"0000000000000000 20 4 30 10 -1\n",
						id % 10000, lh, lp, rh, rp, INODE0 + id);
		}
	}
	put(c, "net/tcp", buf, len);
}

/* The fd links of pass p's connections, and away those of pass p - live. */
static void update_fds(const struct cfg *c, long p)
{
	char path[256], target[64];

	for (long k = 0; k < c->per_pass; k++) {
		long id = conn_id(c, p, k);
		int pid = by_server(id) ? SERVER : (int)(CLIENT0 + p);

		snprintf(path, sizeof(path), "%s/%d/fd/%ld", c->root, pid, 3 + id % (c->per_pass * c->live));
		snprintf(target, sizeof(target), "socket:[%ld]", INODE0 + id);
		unlink(path);
		if (symlink(target, path) != 0)
			die(path);
	}
}

/* A flow's packet: from our end of connection id. */
static void flow_packet(long id, struct packet *pkt)
{
	uint8_t l[4], rem[4];
	uint16_t lp, rp;

	memset(pkt, 0, sizeof(*pkt));
	conn_ends(id, l, &lp, rem, &rp);
	pkt->t.family = TUPLE_V4;
	pkt->t.proto = 6;
	memcpy(pkt->t.src, l, 4);
	memcpy(pkt->t.dst, rem, 4);
	pkt->t.sport = lp;
	pkt->t.dport = rp;
	pkt->ip_len = 1000;
}

/* One run; forget: with pins_round after each pass. Prints its samples; 0 if all flows right. */
static int run(const struct cfg *c, bool forget)
{
	size_t bufsize = (size_t)(c->per_pass * c->live + 2) * 160;
	char *buf = malloc(bufsize), rel[160];
	struct flowtab *ft = flowtab_new(100000000);
	struct pins *pins = pins_new();
	struct resolver *r;
	long *truth = malloc(sizeof(long) * (size_t)(c->passes * c->per_pass / c->flow_every + 1));
	size_t nflows = 0, wrong = 0;
	double t0 = now(), in_resolver = 0;
	const char *name = forget ? "forget" : "keep  ";

	if (!buf || !ft || !pins || !truth)
		die("malloc");
	if (mkdir(c->root, 0755) != 0)
		die(c->root);
	mkdirs(c, "net");
	put(c, "net/fib_trie", "Local:\n  |-- 10.0.0.5\n     /32 host LOCAL\n", 39);
	make_proc(c, SERVER, "server", 100);
	r = resolver_new(c->root);
	if (!r)
		die("resolver_new");
	for (long p = 0; p < c->passes; p++) {
		struct resolve_stats st;
		double t1;

		/* The client of this pass, the one of the pass before gone. */
		make_proc(c, (int)(CLIENT0 + p), "client", 1000 + p);
		if (p > 0) {
			snprintf(rel, sizeof(rel), "%s/%ld", c->root, CLIENT0 + p - 1);
			rm_tree(rel);
		}
		update_fds(c, p);
		write_table(c, p, buf, bufsize);
		t1 = now();
		resolver_refresh(r);
		/* The flows the capture saw meanwhile. */
		for (long k = 0; k < c->per_pass; k++) {
			long id = conn_id(c, p, k);
			struct packet pkt;
			struct tuple canon;

			/* Server's and client's alike: connections 2m and 2m + 1. */
			if (id / 2 % c->flow_every != 0)
				continue;
			flow_packet(id, &pkt);
			if (flowtab_add(ft, &pkt, &canon))
				truth[nflows++] = by_server(id) ? SERVER : CLIENT0 + p;
		}
		if (forget)
			pins_round(pins, r, ft, flowtab_count(ft));
		in_resolver += now() - t1;
		if ((p + 1) % (c->passes / 10 > 0 ? c->passes / 10 : 1) == 0 || p + 1 == c->passes) {
			resolver_stats(r, &st);
			printf("%s pass %5ld: RSS %7.1f MB; sockets %8llu learned, %8llu kept; "
			       "processes %6llu kept; pids %6llu kept; flows %7zu, %7zu pinned; "
			       "%.1f s (%.1f s in the resolver)\n",
			       name, p + 1, rss_kb() / 1024.0, (unsigned long long)st.sockets,
			       (unsigned long long)st.sockets_kept,
			       (unsigned long long)st.processes_kept,
			       (unsigned long long)st.pids_kept, flowtab_count(ft),
			       pins_count(pins), now() - t0, in_resolver);
			fflush(stdout);
		}
	}
	/* The report at the end: every flow its process's. */
	for (size_t i = 0; i < flowtab_count(ft); i++) {
		struct attribution a;
		const struct proc_info *o;

		pins_attribute(pins, r, i, flowtab_key(ft, i), &a);
		o = a.owner[0] ? a.owner[0] : a.owner[1];
		wrong += !o || o->pid != truth[i];
	}
	printf("%s end: RSS %.1f MB; %zu flows, %zu not their process's\n", name,
	       rss_kb() / 1024.0, nflows, wrong);
	printf("%s rss_kb %ld\n", name, rss_kb());
	fflush(stdout);
	resolver_free(r);
	pins_free(pins);
	flowtab_free(ft);
	free(buf);
	free(truth);
	rm_tree(c->root);
	return wrong == 0 ? 0 : 1;
}

/* run() in a child process of its own; its exit status. */
static int in_child(const struct cfg *c, bool forget)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork");
	if (pid == 0)
		_exit(run(c, forget));
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	struct cfg c;
	int rc;

	c.per_pass = argc > 1 ? atol(argv[1]) : 1000;
	c.passes = argc > 2 ? atol(argv[2]) : 1000;
	c.live = argc > 3 ? atol(argv[3]) : 2;
	c.flow_every = argc > 4 ? atol(argv[4]) : 10;
	if (c.per_pass < 2 || c.passes < 1 || c.live < 1 || c.flow_every < 1 ||
	    c.per_pass * c.live > 1000000 || c.per_pass * c.passes > 100000000) {
		fprintf(stderr, "usage: forget_bench [PER_PASS [PASSES [LIVE [FLOW_EVERY]]]]\n");
		return 2;
	}
	/* In memory where there is a tmpfs: the stand-in is rewritten every pass. */
	snprintf(c.root, sizeof(c.root), "%s/forget-bench.%d",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
	printf("forget_bench: %ld passes of %ld new connections (%ld in all), each open %ld "
	       "passes; a flow for one in %ld\n",
	       c.passes, c.per_pass, c.passes * c.per_pass, c.live, c.flow_every);
	fflush(stdout);
	rc = in_child(&c, false);
	rc |= in_child(&c, true);
	return rc;
}
