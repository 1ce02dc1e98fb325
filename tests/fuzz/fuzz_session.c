/*
 * fuzz_session.c - libFuzzer harness for the whole file path: the bytes of
 * a pcap or pcapng file, read by a full session (core/session.h) against
 * a fixed /proc fixture, to the reports.
 *
 * Input: a capture file, nothing else (so that an input that crashes is a
 * capture file, ready to become a golden case). Each input is read twice:
 * as a regular file (a memfd, opened by its /proc/self/fd path: the early
 * attribution of a regular file) and as a pipe on standard input (the
 * "-r -" path, where the /proc pass cannot be trusted to end first).
 * The options of the run (fixture, --connections, --interval, --total,
 * --max-flows, -c, -d, the format, --group-by) come from a hash of the
 * input, so that one input always runs the same way and the fuzzer's
 * mutations reach them all; PROCTRAF_FUZZ_VERBOSE=1 prints them.
 *
 * What is checked, besides ASan/UBSan and LeakSanitizer:
 *  - both reads end the same way and write exactly the same reports;
 *  - in each report, every IP packet of the footer is in one or two rows
 *    (one: sent or received for its owner, or one unknown row; two: a
 *    packet between two local ends), so the rows' bytes and packets lie
 *    between the footer's and twice it; with the empty /proc fixture no
 *    end is local and they equal it exactly (README, Output);
 *    the same holds for the rows of a --connections report;
 *  - an input with proctraf's owner records (a -w file, seeds w-*) is
 *    attributed from them alone, the /proc fixture unread, by both reads;
 *    then the empty fixture's rule does not apply;
 *  - a row's bytes are at least 20 per packet (the shortest IP header);
 *    rows of one pid or one unknown reason are not repeated.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../core/session.h"

#ifndef FUZZ_GOLDEN
#define FUZZ_GOLDEN "tests/golden"
#endif

#define MAX_REPORTS 32	/* an --interval run over a hostile time span ends here */
#define MAX_ROWS 4096

#define CHECK(cond)                                                                   \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "fuzz_session: %s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                               \
			abort();                                                      \
		}                                                                     \
	} while (0)

static char host_root[4096];
static char empty_root[64];
static bool verbose;

/* One way of running an input, chosen by its hash. */
struct plan {
	bool empty_proc;
	bool connections;
	int64_t interval_us;
	bool total;
	size_t max_flows;
	uint64_t count;
	double duration;
	enum out_format format;
	size_t ngroup;
	enum group_key group[2];
};

/* What one read of the input produced. */
struct run {
	const struct plan *plan;
	struct report_opts opts;
	FILE *out;
	char *text;
	size_t len;
	unsigned reports;
	int open_rc, run_rc, finish_rc;
	bool annotated;		/* the owners are the file's own (-w) */
	struct totals totals;
};

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void make_plan(const uint8_t *data, size_t size, struct plan *p)
{
	static const int64_t intervals[] = { 0, 0, 100000, 1000000 };
	static const size_t max_flows[] = { 1000000, 1000000, 2, 8 };
	static const uint64_t counts[] = { 0, 0, 0, 3 };
	static const double durations[] = { 0, 0, 0, 0.5 };
	static const enum out_format formats[] = { OUT_CSV, OUT_TSV, OUT_TEXT, OUT_JSON };
	uint64_t h = fnv1a(data, size);

	memset(p, 0, sizeof(*p));
	p->empty_proc = (h & 3) == 0;
	p->connections = (h >> 2) & 1;
	p->interval_us = intervals[(h >> 3) & 3];
	p->total = p->interval_us > 0 && ((h >> 5) & 1);
	p->max_flows = max_flows[(h >> 6) & 3];
	p->count = counts[(h >> 8) & 3];
	p->duration = durations[(h >> 10) & 3];
	p->format = formats[(h >> 12) & 3];
	/* --group-by and --connections do not go together (proctraf.1). */
	if (!p->connections && ((h >> 14) & 3) == 1) {
		p->ngroup = 1;
		p->group[0] = GROUP_USER;
	} else if (!p->connections && ((h >> 14) & 3) == 2) {
		p->ngroup = 2;
		p->group[0] = GROUP_UNIT;
		p->group[1] = GROUP_CONTAINER;
	}
}

static void print_plan(const struct plan *p)
{
	fprintf(stderr,
		"fuzz_session: proc=%s connections=%d interval_us=%lld total=%d max_flows=%zu "
		"count=%llu duration=%g format=%d groups=%zu\n",
		p->empty_proc ? "empty" : "host", p->connections, (long long)p->interval_us,
		p->total, p->max_flows, (unsigned long long)p->count, p->duration,
		(int)p->format, p->ngroup);
}

/* A row's or a connection's counters: every IP packet is at least its 20-byte header. */
static void check_counts(uint64_t sent, uint64_t recv, uint64_t sentp, uint64_t recvp,
			 uint64_t sum[4])
{
	CHECK(sent / 20 >= sentp && recv / 20 >= recvp);
	CHECK((sentp == 0) == (sent == 0) && (recvp == 0) == (recv == 0));
	sum[0] += sent;
	sum[1] += recv;
	sum[2] += sentp;
	sum[3] += recvp;
}

/* The empty fixture read: no end is local. A -w file's owners are its own instead. */
static bool no_local_end(const struct run *r)
{
	return r->plan->empty_proc && !r->annotated;
}

static void check_report(const struct run *r, const struct report_data *d)
{
	const struct totals *t = &d->sum.totals;
	uint64_t sum[4] = { 0, 0, 0, 0 }, bytes, packets, ip_packets;
	bool reason_seen[REASON_COUNT] = { false };

	CHECK(t->not_ip <= t->packets && t->malformed <= t->packets - t->not_ip);
	CHECK(t->duplicates <= t->packets - t->not_ip - t->malformed);
	ip_packets = t->packets - t->not_ip - t->malformed - t->duplicates;
	CHECK(d->nrows <= MAX_ROWS && d->nconns <= MAX_ROWS);
	/* A report of connections has no process rows, and one of processes no connections. */
	if (r->plan->connections)
		CHECK(d->nrows == 0);
	else
		CHECK(d->nconns == 0);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct row *w = &d->rows[i];

		check_counts(w->sent_bytes, w->recv_bytes, w->sent_packets, w->recv_packets, sum);
		if (w->reason == REASON_NONE) {
			CHECK(w->proc != NULL && w->pid == w->proc->pid);
			for (size_t j = 0; j < i; j++)
				CHECK(d->rows[j].reason != REASON_NONE || d->rows[j].pid != w->pid);
		} else {
			CHECK(w->reason < REASON_COUNT && w->proc == NULL);
			CHECK(!reason_seen[w->reason]);
			reason_seen[w->reason] = true;
		}
		/* No end is local without a /proc: no process row, no local unknowns. */
		if (no_local_end(r))
			CHECK(w->reason == REASON_NOT_LOCAL || w->reason == REASON_TABLE_FULL);
	}
	for (size_t i = 0; i < d->nconns; i++) {
		const struct conn *c = &d->conns[i];

		check_counts(c->sent_bytes, c->recv_bytes, c->sent_packets, c->recv_packets, sum);
		CHECK((c->owner == NULL) == (c->reason != REASON_NONE));
		if (no_local_end(r))
			CHECK(c->reason == REASON_NOT_LOCAL || c->reason == REASON_TABLE_FULL);
	}
	bytes = sum[0] + sum[1];
	packets = sum[2] + sum[3];
	if (verbose)
		fprintf(stderr,
			"fuzz_session: report %u: %zu rows, %zu connections: %llu bytes, %llu "
			"packets; footer: %llu IP bytes, %llu IP packets\n",
			r->reports + 1, d->nrows, d->nconns, (unsigned long long)bytes,
			(unsigned long long)packets, (unsigned long long)t->ip_bytes,
			(unsigned long long)ip_packets);
	if (no_local_end(r)) {
		CHECK(bytes == t->ip_bytes);
		CHECK(packets == ip_packets);
	} else {
		CHECK(bytes >= t->ip_bytes && bytes / 2 <= t->ip_bytes);
		CHECK(packets >= ip_packets && packets / 2 <= ip_packets);
	}
}

static int on_report(void *ctx, const struct report_data *d)
{
	struct run *r = ctx;

	check_report(r, d);
	CHECK(report_write(r->out, &r->opts, d, r->reports == 0) == 0);
	/* Both reads stop at the same report: this one is written, the next is not. */
	if (++r->reports >= MAX_REPORTS)
		return -1;
	return 0;
}

static void run_session(const char *file, struct run *r)
{
	struct session_config cfg;
	atomic_int stop = 0;
	struct session_signals sig = { &stop, NULL };
	struct session *s = NULL;
	char err[512];
	char opt_err[256];

	memset(&cfg, 0, sizeof(cfg));
	cfg.file = file;
	cfg.max_flows = r->plan->max_flows;
	cfg.proc_root = r->plan->empty_proc ? empty_root : host_root;
	cfg.resolve_interval = 1;
	cfg.interval_us = r->plan->interval_us;
	cfg.total = r->plan->total;
	cfg.connections = r->plan->connections;
	cfg.count = r->plan->count;
	cfg.duration = r->plan->duration;
	cfg.emit = on_report;
	cfg.emit_ctx = r;

	memset(&r->opts, 0, sizeof(r->opts));
	r->opts.format = r->plan->format;
	r->opts.header = true;
	r->opts.connections = r->plan->connections;
	r->opts.ngroup = r->plan->ngroup;
	memcpy(r->opts.group, r->plan->group, sizeof(r->plan->group));
	CHECK(report_check(&r->opts, opt_err, sizeof(opt_err)) == 0);

	r->out = open_memstream(&r->text, &r->len);
	CHECK(r->out != NULL);
	r->open_rc = session_open(&cfg, &s, err, sizeof(err));
	r->run_rc = r->finish_rc = -1;
	if (r->open_rc == 0) {
		r->annotated = session_annotated(s);
		r->run_rc = session_run(s, &sig, err, sizeof(err));
		r->finish_rc = session_finish(s);
		r->totals = *session_totals(s);
		session_close(s);
	}
	CHECK(fclose(r->out) == 0);
	if (verbose)
		fprintf(stderr, "fuzz_session: %s: open %d run %d finish %d, %u reports%s\n%s",
			file, r->open_rc, r->run_rc, r->finish_rc, r->reports,
			r->annotated ? ", the file's owners" : "", r->text);
}

/* The input as a regular file: a memfd, opened again through its /proc/self/fd link. */
static void run_file(const uint8_t *data, size_t size, struct run *r)
{
	int fd = memfd_create("fuzz_session", MFD_CLOEXEC);
	char path[64];

	CHECK(fd >= 0);
	for (size_t at = 0; at < size;) {
		ssize_t n = write(fd, data + at, size - at);
		CHECK(n > 0);
		at += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	run_session(path, r);
	close(fd);
}

struct feed {
	int fd;
	const uint8_t *data;
	size_t size;
};

/* Writes the input into the pipe, then closes it: the end of the file. */
static void *feeder(void *arg)
{
	struct feed *f = arg;

	for (size_t at = 0; at < f->size;) {
		ssize_t n = write(f->fd, f->data + at, f->size - at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* the reader stopped early and closed its end */
		at += (size_t)n;
	}
	close(f->fd);
	return NULL;
}

/* The input on standard input, from a pipe: "-r -". */
static void run_pipe(const uint8_t *data, size_t size, struct run *r)
{
	int p[2], devnull;
	pthread_t thread;
	struct feed f;

	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK(dup2(p[0], 0) == 0);
	close(p[0]);
	/* stdin's stream from the last input: no bytes, no end-of-file left in it. */
	__fpurge(stdin);
	clearerr(stdin);
	f.fd = p[1];
	f.data = data;
	f.size = size;
	CHECK(pthread_create(&thread, NULL, feeder, &f) == 0);
	run_session("-", r);
	/* The read end closed: a feeder still writing gets EPIPE and ends. */
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(devnull >= 0 && dup2(devnull, 0) == 0);
	close(devnull);
	pthread_join(thread, NULL);
}

/*
 * libFuzzer's SIGALRM (its -timeout watch) has no SA_RESTART: it cut
 * libpcap's read of the pipe ("Interrupted system call") at random, which
 * proctraf itself never meets: reading a file, its handlers restart reads
 * (cmd/main.c). The handler is made to restart them too, once it is there
 * (libFuzzer sets it after LLVMFuzzerInitialize).
 */
static void restart_alarm_reads(void)
{
	static bool done;
	struct sigaction sa;

	if (done || sigaction(SIGALRM, NULL, &sa) != 0)
		return;
	done = true;
	if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
		return;
	sa.sa_flags |= SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
}

/* How many file descriptors this process holds: a session must leave none open. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	CHECK(d != NULL);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void remove_empty_root(void)
{
	rmdir(empty_root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *golden = getenv("PROCTRAF_FUZZ_GOLDEN");

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	/* Standard input is where each pipe goes: held from the start, even when closed. */
	if (fcntl(0, F_GETFD) < 0 && open("/dev/null", O_RDONLY) != 0) {
		perror("fuzz_session: /dev/null");
		exit(1);
	}
	verbose = getenv("PROCTRAF_FUZZ_VERBOSE") != NULL;
	snprintf(host_root, sizeof(host_root), "%s/proc/host", golden ? golden : FUZZ_GOLDEN);
	if (access(host_root, R_OK | X_OK) != 0) {
		fprintf(stderr, "fuzz_session: no /proc fixture at %s (PROCTRAF_FUZZ_GOLDEN)\n",
			host_root);
		exit(1);
	}
	/* git keeps no empty directory: the empty fixture is made here. */
	snprintf(empty_root, sizeof(empty_root), "/tmp/proctraf-fuzz-proc-XXXXXX");
	if (!mkdtemp(empty_root)) {
		perror("fuzz_session: mkdtemp");
		exit(1);
	}
	atexit(remove_empty_root);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan plan;
	struct run file = { 0 }, pipe_run = { 0 };

	int fds;

	restart_alarm_reads();
	fds = open_fds();

	make_plan(data, size, &plan);
	if (verbose)
		print_plan(&plan);
	file.plan = pipe_run.plan = &plan;
	run_file(data, size, &file);
	run_pipe(data, size, &pipe_run);

	/* A regular file and a pipe of the same bytes: the same run. */
	CHECK(file.open_rc == pipe_run.open_rc);
	CHECK(file.run_rc == pipe_run.run_rc);
	CHECK(file.finish_rc == pipe_run.finish_rc);
	CHECK(file.reports == pipe_run.reports);
	CHECK(file.annotated == pipe_run.annotated);
	CHECK(file.totals.packets == pipe_run.totals.packets);
	CHECK(file.totals.ip_bytes == pipe_run.totals.ip_bytes);
	CHECK(file.totals.not_ip == pipe_run.totals.not_ip);
	CHECK(file.totals.malformed == pipe_run.totals.malformed);
	CHECK(file.totals.duplicates == pipe_run.totals.duplicates);
	if (file.len != pipe_run.len || memcmp(file.text, pipe_run.text, file.len) != 0) {
		print_plan(&plan);
		fprintf(stderr, "fuzz_session: from the file:\n%s\nfuzz_session: from the pipe:\n%s\n",
			file.text, pipe_run.text);
	}
	CHECK(file.len == pipe_run.len && memcmp(file.text, pipe_run.text, file.len) == 0);
	if (file.open_rc == 0 && plan.interval_us == 0 && file.finish_rc == 0)
		CHECK(file.reports == 1);
	free(file.text);
	free(pipe_run.text);
	if (open_fds() != fds) {
		fprintf(stderr, "fuzz_session: %d file descriptors open before the input, %d after\n",
			fds, open_fds());
		print_plan(&plan);
		CHECK(open_fds() == fds);
	}
	return 0;
}
