/*
 * proctraf - bytes sent and received per process over a fixed window.
 *
 * The command line only: options into a session_config, signals, the
 * report to stdout, exit status. Everything else is in core/.
 * Exit status: 0 success, 1 runtime error, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/session.h"

#define VERSION "0.1.0"
#define EXIT_USAGE 2
#define DEFAULT_MAX_FLOWS 1000000
#define MAX_MAX_FLOWS 1000000000ULL

static const char usage_text[] =
	"usage: proctraf [-hV] [--csv | --tsv] [--no-header] [-c count] [-d seconds]\n"
	"                [-i interface]... [-r file] [--max-flows n] [--proc-root dir]\n"
	"                [--resolve-interval seconds] [--no-realtime] [expression ...]\n";

static const char help_text[] =
	"\n"
	"Count the IP bytes and packets each process sends and receives.\n"
	"\n"
	"  -i, --interface IFACE       capture on IFACE (repeatable; default: any)\n"
	"  -d, --duration SECONDS      stop after SECONDS (decimals allowed)\n"
	"  -c, --count PACKETS         stop after PACKETS packets\n"
	"  -r, --read FILE             read a pcap or pcapng file (-: stdin), not capture\n"
	"      --csv                   write CSV\n"
	"      --tsv                   write TSV\n"
	"      --no-header             omit the header line (and the text footer)\n"
	"      --max-flows N           bound of the flow table (default 1000000)\n"
	"      --proc-root DIR         read /proc below DIR (default /proc)\n"
	"      --resolve-interval SEC  re-read sockets and processes every SEC (default 1)\n"
	"      --no-realtime           capture at normal priority, not SCHED_FIFO\n"
	"  -h, --help                  show this help\n"
	"  -V, --version               show the version\n"
	"  expression                  a BPF filter, as tcpdump takes it\n"
	"\n"
	"Columns: pid user command sent_bytes recv_bytes sent_packets recv_packets\n"
	"flows netns cmdline. Bytes are IP lengths (header + payload). See proctraf(1).\n";

enum {
	OPT_CSV = 256,
	OPT_TSV,
	OPT_NO_HEADER,
	OPT_MAX_FLOWS,
	OPT_PROC_ROOT,
	OPT_RESOLVE_INTERVAL,
	OPT_NO_REALTIME,
};

static const struct option long_opts[] = {
	{ "interface", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "count", required_argument, NULL, 'c' },
	{ "read", required_argument, NULL, 'r' },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "tsv", no_argument, NULL, OPT_TSV },
	{ "no-header", no_argument, NULL, OPT_NO_HEADER },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "resolve-interval", required_argument, NULL, OPT_RESOLVE_INTERVAL },
	{ "no-realtime", no_argument, NULL, OPT_NO_REALTIME },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct options {
	struct session_config cfg;
	const char **ifaces;
	enum out_format format;
	bool format_set;
	bool header;
	char *filter;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void die_usage(const char *fmt, const char *arg)
{
	fputs("proctraf: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see proctraf --help)\n", stderr);
	exit(EXIT_USAGE);
}

/* Seconds: a finite decimal > 0. */
static double parse_seconds(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v <= 0 || v > 1e9) {
		fprintf(stderr, "proctraf: %s wants a number of seconds > 0, not '%s'\n", opt, s);
		exit(EXIT_USAGE);
	}
	return v;
}

/* A whole number in [1, max]. */
static unsigned long long parse_count(const char *opt, const char *s, unsigned long long max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || v < 1 || v > max) {
		if (v > max && max != ~0ULL)
			fprintf(stderr, "proctraf: %s wants a whole number from 1 to %llu, not '%s'\n",
				opt, max, s);
		else
			fprintf(stderr, "proctraf: %s wants a whole number >= 1, not '%s'\n", opt, s);
		exit(EXIT_USAGE);
	}
	return v;
}

/* Join the trailing arguments into one filter expression. */
static char *join_args(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s) {
		fputs("proctraf: out of memory\n", stderr);
		exit(EXIT_FAILURE);
	}
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static void set_format(struct options *o, enum out_format f)
{
	if (o->format_set && o->format != f)
		die_usage("%s", "--csv and --tsv cannot be combined");
	o->format = f;
	o->format_set = true;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->header = true;
	o->format = OUT_TEXT;
	o->cfg.max_flows = DEFAULT_MAX_FLOWS;
	o->cfg.proc_root = "/proc";
	o->cfg.resolve_interval = 1.0;
	o->ifaces = calloc((size_t)argc + 1, sizeof(*o->ifaces));
	if (!o->ifaces) {
		fputs("proctraf: out of memory\n", stderr);
		exit(EXIT_FAILURE);
	}
	opterr = 0;
	/* Options may come anywhere; the other arguments form the filter. */
	while ((c = getopt_long(argc, argv, ":i:d:c:r:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->ifaces[o->cfg.n_ifaces++] = optarg;
			break;
		case 'd':
			o->cfg.duration = parse_seconds("-d", optarg);
			break;
		case 'c':
			o->cfg.count = parse_count("-c", optarg, ~0ULL);
			break;
		case 'r':
			o->cfg.file = optarg;
			break;
		case OPT_CSV:
			set_format(o, OUT_CSV);
			break;
		case OPT_TSV:
			set_format(o, OUT_TSV);
			break;
		case OPT_NO_HEADER:
			o->header = false;
			break;
		case OPT_MAX_FLOWS:
			o->cfg.max_flows = (size_t)parse_count("--max-flows", optarg, MAX_MAX_FLOWS);
			break;
		case OPT_PROC_ROOT:
			o->cfg.proc_root = optarg;
			break;
		case OPT_RESOLVE_INTERVAL:
			o->cfg.resolve_interval = parse_seconds("--resolve-interval", optarg);
			break;
		case OPT_NO_REALTIME:
			o->cfg.no_realtime = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			exit(fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
		case 'V':
			puts("proctraf " VERSION);
			exit(fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
		case ':':
			die_usage("option %s needs an argument", argv[optind - 1]);
			break;
		default:
			if (optopt && optopt < 256) {
				char opt[3] = { '-', (char)optopt, '\0' };
				die_usage("unknown option %s", opt);
			}
			die_usage("unknown option %s", argv[optind - 1]);
		}
	}
	if (o->cfg.file && o->cfg.n_ifaces)
		die_usage("%s", "-r and -i cannot be combined");
	o->cfg.ifaces = o->ifaces;
	if (optind < argc) {
		o->filter = join_args(argc - optind, argv + optind);
		o->cfg.filter = o->filter;
	}
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the signal must interrupt poll() at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);
}

/* Write the whole report at once; a half-written one is an error. */
static int write_all(const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(STDOUT_FILENO, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* Build the report in memory and write it whole; returns the exit status. */
static int report(struct session *s, const struct options *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int rc = EXIT_SUCCESS;

	if (!mem || session_report(s, mem, o->format, o->header) != 0 || fclose(mem) != 0) {
		fprintf(stderr, "proctraf: cannot build the report: %s\n", strerror(errno));
		free(buf);
		return EXIT_FAILURE;
	}
	if (o->format != OUT_TEXT) {
		const struct totals *t = session_totals(s);
		if (t->kernel_drops || t->if_drops)
			fprintf(stderr,
				"proctraf: warning: %llu packets dropped by the kernel, %llu by the interface\n",
				(unsigned long long)t->kernel_drops,
				(unsigned long long)t->if_drops);
	}
	if (session_unknown_packets(s, REASON_NO_PERMISSION) > 0)
		fputs("proctraf: warning: not allowed to see the processes of some sockets "
		      "(needs CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE); "
		      "their traffic is in unknown:no-permission\n", stderr);
	if (write_all(buf, len) != 0 && errno != EPIPE) {
		/* A closed pipe (reader went away) is not worth a word. */
		fprintf(stderr, "proctraf: write error: %s\n", strerror(errno));
		rc = EXIT_FAILURE;
	}
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	struct session *s = NULL;
	char err[512] = "";
	int rc;

	parse_options(argc, argv, &o);
	install_signals();
	rc = session_open(&o.cfg, &s, err, sizeof(err));
	if (rc == 0)
		rc = session_run(s, &stop_requested, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "proctraf: %s\n", err);
	else
		rc = report(s, &o);
	session_close(s);
	free(o.ifaces);
	free(o.filter);
	return rc;
}
