/*
 * proctraf - bytes sent and received per process over a fixed window.
 *
 * The command line only: options (options.c), signals, the reports to
 * stdout, a progress line on a terminal, warnings, exit status.
 * Everything else is in core/.
 * Exit status: 0 success, 1 runtime error, 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/below.h"
#include "../core/pcapng_reader.h"
#include "../core/privs.h"
#include "../core/session.h"
#include "options.h"
#include "prom_out.h"
#include "../core/fdio.h"

/* PROCTRAF_TEST_OWNER_RING's bounds: see test_ring_bytes. */
#define TEST_RING_MIN 4096ull
#define TEST_RING_MAX (4ull << 20)

/* Stop signals received; the resolver's threads read it too (session.h). */
static atomic_int stop_requested;
static volatile sig_atomic_t report_requested;

/* A handler may only store to an atomic that needs no lock. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int is not lock-free");

/*
 * The first SIGINT or SIGTERM ends the capture and every /proc pass (in a
 * fraction of a second), and the report of what is known is printed, exit
 * status 0. A second one ends the process at once, without a report: the
 * default action is restored and the signal raised again (it is blocked
 * until this handler returns), so that whoever waits for proctraf sees it
 * killed by that signal, as a shell script interrupted twice expects.
 */
static void on_stop(int sig)
{
	if (atomic_fetch_add(&stop_requested, 1) > 0) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

static void on_report(int sig)
{
	(void)sig;
	report_requested = 1;
}

/* What the reports and the progress line share. */
struct app {
	const struct options *o;
	pthread_mutex_t lock;	/* reports come from the reporter thread too */
	bool first;		/* no report written to stdout yet */
	bool progress;		/* show a progress line (stderr is a terminal) */
	bool progress_shown;	/* ... one is on the screen now */
	int write_errno;	/* a write to stdout failed: why */
	bool unknown_seen[REASON_COUNT];
	bool read_unprivileged;	/* /proc is read with no capability, whoever runs it */
	int report_fd;		/* stdout; stderr when -w - writes packets there */
	struct prom_out prom;	/* --prom */
};

/*
 * Live, poll() is interrupted by a signal whatever the flags (and every
 * wait is short). Reading a file, a read cut by a signal would leave
 * libpcap in the middle of a record: the reads are restarted, and the
 * signal takes effect when the packets read so far are counted. The
 * passes over /proc, in threads that block every signal, see it through
 * stop_requested, not through EINTR.
 */
static void install_signals(bool file)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = file ? SA_RESTART : 0;
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_report;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);
}

/* Erase the progress line, so that what comes next starts on a clean line. */
static void progress_clear(struct app *a)
{
	if (a->progress_shown) {
		static const char erase[] = "\r\033[K";
		(void)fd_write_all(STDERR_FILENO, erase, sizeof(erase) - 1);
		a->progress_shown = false;
	}
}

static void on_tick(void *ctx, const struct totals *t, double elapsed)
{
	struct app *a = ctx;
	char line[160];
	int n;

	if (!a->progress)
		return;
	n = snprintf(line, sizeof(line), "\r\033[Kproctraf: %.0f s, %llu packets, %llu IP bytes",
		     elapsed, (unsigned long long)t->packets, (unsigned long long)t->ip_bytes);
	pthread_mutex_lock(&a->lock);
	if (n > 0 && fd_write_all(STDERR_FILENO, line, (size_t)n) == 0)
		a->progress_shown = true;
	pthread_mutex_unlock(&a->lock);
}

/* Build one report in memory and write it whole: stdout, or stderr for SIGUSR1's. */
static int on_report_ready(void *ctx, const struct report_data *d)
{
	struct app *a = ctx;
	bool partial = d->sum.kind == REPORT_PARTIAL;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int rc = 0;

	if (!mem)
		return -1;
	pthread_mutex_lock(&a->lock);
	if (report_write(mem, &a->o->report, d, partial || a->first) != 0) {
		fclose(mem);
		a->write_errno = errno ? errno : ENOMEM;
		rc = -1;
	} else if (fclose(mem) != 0) {
		a->write_errno = errno;
		rc = -1;
	} else {
		progress_clear(a);
		if (fd_write_all(partial ? STDERR_FILENO : a->report_fd, buf, len) != 0 &&
		    !partial) {
			a->write_errno = errno;
			rc = -1;
		}
		if (!partial)
			a->first = false;
	}
	for (size_t i = 0; i < d->nrows; i++)
		a->unknown_seen[d->rows[i].reason] |= d->rows[i].sent_packets || d->rows[i].recv_packets;
	for (size_t i = 0; i < d->nconns; i++)
		a->unknown_seen[d->conns[i].owner ? REASON_NONE : d->conns[i].reason] = true;
	if (a->prom.path) {
		progress_clear(a);
		prom_out_report(&a->prom, d);
	}
	pthread_mutex_unlock(&a->lock);
	free(buf);
	return rc;
}

/* On a terminal: what is captured, and until when. */
static void intro(const struct options *o)
{
	const struct session_config *c = &o->cfg;
	char iface[256] = "any";
	size_t at = 0;

	if (c->file)
		return;
	for (size_t i = 0; i < c->n_ifaces && at < sizeof(iface); i++)
		at += (size_t)snprintf(iface + at, sizeof(iface) - at, "%s%s", i ? ", " : "",
				       c->ifaces[i]);
	fprintf(stderr, "proctraf: capturing on %s", iface);
	if (c->duration > 0)
		fprintf(stderr, " for %g s", c->duration);
	if (c->count > 0)
		fprintf(stderr, "%s %llu packets", c->duration > 0 ? " or" : " for",
			(unsigned long long)c->count);
	fprintf(stderr, "%s (Ctrl-C ends it and prints the report)\n",
		c->duration > 0 || c->count > 0 ? "" : " until interrupted");
}

/*
 * A proc root without net/ finds no socket: say so, rather than report
 * everything not-local. Looked at through dirfd, opened before privileges
 * were dropped as the resolver's is, with the rights the run reads with:
 * root reads as nobody, and a directory only root may enter is then shut.
 */
static void check_proc_root(const char *root, int dirfd)
{
	struct stat st;
	int r = fstatat(dirfd, "net", &st, 0);

	if (r != 0 && (errno == EACCES || errno == EPERM))
		fprintf(stderr,
			"proctraf: warning: %s: %s for uid %lu, which reads it with no privilege: "
			"no socket will be found\n", root, strerror(errno), (unsigned long)geteuid());
	else if (r != 0 || !S_ISDIR(st.st_mode))
		fprintf(stderr,
			"proctraf: warning: %s has no net/ directory (not a proc root?): no socket will be found\n",
			root);
}

/*
 * Has this process both capabilities that let it see other users'
 * processes? Then a process it may not see holds capabilities it lacks
 * (a container's init, say), and naming the two would mislead.
 */
static bool may_see_all(void)
{
	const unsigned long long need = 1ULL << CAP_DAC_READ_SEARCH | 1ULL << CAP_SYS_PTRACE;
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	}
	fclose(f);
	return (eff & need) == need;
}

/*
 * What the run keeps of its privileges (core/privs.h), from what it does
 * and who runs it. The real /proc is told by its real path, as the
 * resolver tells it (only there does it enter other network namespaces).
 */
/* Is root the real /proc (the same test as resolver_new's)? */
static bool proc_is_real(const char *root)
{
	char *real = realpath(root, NULL);
	bool yes = real && strcmp(real, "/proc") == 0;

	free(real);
	return yes;
}

static int plan_privs(const struct session_config *c, struct privs_plan *plan, char *err,
		      size_t errlen)
{
	struct privs_need need = { .live = c->file == NULL, .realtime = !c->no_realtime };
	struct privs_self self;

	need.real_proc = proc_is_real(c->proc_root);
	privs_self(&self);
	return privs_plan(&need, &self, plan, err, errlen);
}

/*
 * For the tests only (tests/owners: the warning about lost reports):
 * PROCTRAF_TEST_OWNER_RING=BYTES gives the kernel's owner source a smaller
 * ring buffer, so that a burst of sockets overflows it. It may only
 * shrink the buffer (a power of two from 4096 up to the default 4 MiB): a
 * user of a setcap binary must not make it lock more kernel memory.
 * Anything else is ignored. Not documented for users.
 */
static size_t test_ring_bytes(void)
{
	const char *v = getenv("PROCTRAF_TEST_OWNER_RING");
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n < TEST_RING_MIN || n > TEST_RING_MAX || (n & (n - 1)))
		return 0;
	return (size_t)n;
}

/* Auto: the kernel's owner source did not load. Said once, and why; the run goes on. */
static void owners_note(const struct session *s)
{
	const char *why;

	if (session_owners(s, &why) == OUT_OWNERS_PROC && why)
		fprintf(stderr, "proctraf: note: in-kernel owner source not loaded (%s); owners "
			"from /proc\n", why);
}

/*
 * A -w file's owners not all there: the report does not stand for the
 * run that wrote it. Tools that rewrite a file (editcap, tshark -w) keep
 * its comments but drop the owner records, as the draft asks of option
 * 19373, and keep the section header that says there are some.
 */
static void annot_warnings(const char *file, const struct session *s)
{
	const struct totals *t = session_totals(s);
	struct annot_stats st;
	unsigned long long unusable;

	if (!session_annot_stats(s, &st))
		return;
	if (st.records == 0 && t->packets > t->not_ip + t->malformed + t->duplicates) {
		fprintf(stderr, "proctraf: warning: %s was written by proctraf -w, but no owner "
			"record is left in it (a tool that rewrote it drops them): no flow has an "
			"owner; --proc-root attributes it from a snapshot instead\n", file);
		return;
	}
	unusable = st.bad + st.dangling + st.cut;
	if (unusable)
		fprintf(stderr, "proctraf: warning: %s: %llu owner record%s not well formed, "
			"contradicting another, naming a process the file does not describe or "
			"beyond the bounds: %s ends have no socket in the report\n", file,
			unusable, unusable == 1 ? "" : "s", unusable == 1 ? "its" : "their");
}

static void warnings(const struct app *a, const struct session *s)
{
	const struct totals *t = session_totals(s);
	struct resolve_stats rs;

	if (a->o->report.format != OUT_TEXT && (t->kernel_drops || t->if_drops))
		fprintf(stderr,
			"proctraf: warning: %llu packets dropped by the kernel, %llu by the interface\n",
			(unsigned long long)t->kernel_drops, (unsigned long long)t->if_drops);
	if (a->unknown_seen[REASON_NO_PERMISSION] && session_annotated(s))
		fprintf(stderr, "proctraf: warning: the run that wrote %s was not allowed to see "
			"the processes of some sockets; their traffic is in unknown:no-permission\n",
			a->o->cfg.file);
	else if (a->unknown_seen[REASON_NO_PERMISSION])
		fprintf(stderr, "proctraf: warning: not allowed to see the processes of some sockets "
			"(%s); their traffic is in unknown:no-permission\n",
			a->read_unprivileged ? "reading a file, they are looked for with every "
					       "privilege dropped"
			: may_see_all() ? "they hold capabilities this process lacks"
					: "needs CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE");
	annot_warnings(a->o->cfg.file, s);
	/* What the proc root held that was not read (core/below.h): the report is not whole. */
	session_resolve_stats(s, &rs);
	if (rs.refused)
		fprintf(stderr, "proctraf: warning: %s: %llu path%s refused (a symbolic link, or "
			"not a regular file): what they hold is not in the report\n",
			a->o->cfg.proc_root, (unsigned long long)rs.refused,
			rs.refused == 1 ? "" : "s");
	if (rs.long_lines || rs.cut_files)
		fprintf(stderr, "proctraf: warning: %s: %llu line%s longer than %d bytes skipped, "
			"%llu file%s cut at %llu MiB: the report may miss sockets they list\n",
			a->o->cfg.proc_root, (unsigned long long)rs.long_lines,
			rs.long_lines == 1 ? "" : "s", BELOW_LINE_MAX,
			(unsigned long long)rs.cut_files, rs.cut_files == 1 ? "" : "s",
			BELOW_FILE_MAX >> 20);
	if (t->owners_lost)
		fprintf(stderr, "proctraf: warning: the kernel lost %llu owner report%s (its ring "
			"buffer was full); some flows may be unknown\n",
			(unsigned long long)t->owners_lost, t->owners_lost == 1 ? "" : "s");
	if (session_owners_error(s))
		fprintf(stderr, "proctraf: warning: in-kernel owner source failed during the run "
			"(%s): later owners from /proc only\n", session_owners_error(s));
	if (rs.interrupted)
		fprintf(stderr, "proctraf: warning: stopped before /proc was read whole: the owners "
			"not found by then are in the unknown rows\n");
}

int main(int argc, char **argv)
{
	struct options o;
	struct app a;
	struct session *s = NULL;
	struct session_signals sig = { &stop_requested, &report_requested };
	struct privs_plan plan;
	char err[512] = "", wr_err[512] = "";
	int rc, run_rc, root_fd, wr_rc = 0;

	options_parse(argc, argv, &o);
	memset(&a, 0, sizeof(a));
	a.o = &o;
	a.first = true;
	a.progress = !o.quiet && isatty(STDERR_FILENO);
	/* -w - writes the packets to stdout: the reports go to stderr. */
	a.report_fd = o.cfg.write_file && strcmp(o.cfg.write_file, "-") == 0 ? STDERR_FILENO
									: STDOUT_FILENO;
	pthread_mutex_init(&a.lock, NULL);
	o.cfg.emit = on_report_ready;
	o.cfg.emit_ctx = &a;
	o.cfg.tick = on_tick;
	o.cfg.tick_ctx = &a;
	install_signals(o.cfg.file != NULL);
	rc = plan_privs(&o.cfg, &plan, err, sizeof(err)) != 0 ? EXIT_USAGE : 0;
	/* Its writer, when root runs proctraf, is a process that keeps root's uid. */
	if (rc == 0 && o.prom && prom_out_open(&a.prom, o.prom, &o.report, err, sizeof(err)) != 0)
		rc = EXIT_FAILURE;
	/* With file capabilities or setuid, the file is opened with the user's rights. */
	if (rc == 0 && plan.before_open && privs_apply(&plan, err, sizeof(err)) != 0)
		rc = EXIT_FAILURE;
	/* libbpf's own messages, for whoever debugs the loading of the owner source. */
	o.cfg.owners_debug = getenv("PROCTRAF_DEBUG") && *getenv("PROCTRAF_DEBUG");
	o.cfg.owners_ring_bytes = test_ring_bytes();
	/* A proc root standing in for /proc: its owners, not the kernel's, unless asked. */
	if (o.cfg.owners == OWNERS_MODE_AUTO && !proc_is_real(o.cfg.proc_root))
		o.cfg.owners = OWNERS_MODE_PROC;
	if (rc == 0)
		rc = session_open(&o.cfg, &s, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "proctraf: %s\n", err);
		prom_out_close(&a.prom);
		options_free(&o);
		return rc;
	}
	owners_note(s);
	/* With the kernel's owners, no real-time priority unless --realtime: nor its privilege. */
	if (!session_realtime(s))
		plan.keep &= ~(1ULL << CAP_SYS_NICE);
	/*
	 * Reading a file as root with the real /proc: no privilege is left
	 * when its first packet is parsed, so /proc is read first, while they
	 * are (a pipe's flows that start later are looked up without them).
	 */
	if (o.cfg.file && !plan.before_open && proc_is_real(o.cfg.proc_root))
		session_read_owners(s);
	/* A file's own owners (-w): no proc root is read, nor looked at. */
	root_fd = session_annotated(s) ? -1
				       : open(o.cfg.proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/*
	 * Everything that needed a privilege to open is open, and no thread
	 * is made yet (session_run makes them): keep only what the run needs.
	 */
	if ((!plan.before_open && privs_apply(&plan, err, sizeof(err)) != 0) ||
	    (o.prom && prom_out_check(&a.prom, err, sizeof(err)) != 0)) {
		fprintf(stderr, "proctraf: %s\n", err);
		if (root_fd >= 0)
			close(root_fd);
		session_close(s);
		prom_out_close(&a.prom);
		options_free(&o);
		return EXIT_FAILURE;
	}
	/* session_open has just opened it: a failure now is a race not worth a word. */
	if (root_fd >= 0) {
		check_proc_root(o.cfg.proc_root, root_fd);
		close(root_fd);
	}
	a.read_unprivileged = !(plan.keep & (1ULL << CAP_SYS_PTRACE));
	if (a.progress)
		intro(&o);
	run_rc = session_run(s, &sig, err, sizeof(err));
	/* What was read before an error is reported, then the error said. */
	if (run_rc == 0 || session_totals(s)->packets > 0)
		rc = session_finish(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	/* -w: the packets, with the owners the report gave them (after it: they are final). */
	if (o.cfg.write_file && session_write_file(s, wr_err, sizeof(wr_err)) != 0)
		wr_rc = EXIT_FAILURE;
	pthread_mutex_lock(&a.lock);
	progress_clear(&a);
	pthread_mutex_unlock(&a.lock);
	if (a.write_errno && a.write_errno != EPIPE)
		fprintf(stderr, "proctraf: write error: %s\n", strerror(a.write_errno));
	else if (rc != 0 && !a.write_errno)
		fprintf(stderr, "proctraf: cannot build the report: %s\n", strerror(errno));
	warnings(&a, s);
	if (wr_rc != 0) {
		fprintf(stderr, "proctraf: %s\n", wr_err);
		rc = EXIT_FAILURE;
	}
	if (run_rc != 0) {
		fprintf(stderr, "proctraf: %s\n", err);
		rc = EXIT_FAILURE;
	}
	if (prom_out_stale(&a.prom))
		rc = EXIT_FAILURE;
	session_close(s);
	prom_out_close(&a.prom);
	options_free(&o);
	pthread_mutex_destroy(&a.lock);
	/*
	 * The reader went away: end as a write into a closed pipe ends a
	 * program, whichever thread met it (the reporter thread blocks the
	 * signal and sees EPIPE instead).
	 */
	if (a.write_errno == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	return rc;
}
