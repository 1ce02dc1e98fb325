/* options.c - command-line parsing; see options.h. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VERSION "0.2.0"
#define DEFAULT_MAX_FLOWS 1000000
#define MAX_MAX_FLOWS 1000000000ULL
#define MAX_SECONDS 1e9
#define MAX_PID 4194304		/* the kernel's PID_MAX_LIMIT */

static const char usage_text[] =
	"usage: proctraf [-hqtCHV] [--csv | --tsv | --json] [--no-header] [-c count]\n"
	"                [-d duration] [-i interface]... [-r file] [-w file]\n"
	"                [-I interval] [--total] [--rate] [-g key[,key...]] [-p pid]...\n"
	"                [-u user]... [--command name]... [--no-unknown] [-s key]\n"
	"                [--top n] [--max-flows n] [--proc-root dir]\n"
	"                [--resolve-interval duration] [--owners source]\n"
	"                [--realtime | --no-realtime] [--prom file]\n"
	"                [expression ...]\n";

static const char help_text[] =
	"\n"
	"Count the IP bytes and packets each process sends and receives.\n"
	"Without -d or -c the capture runs until interrupted (Ctrl-C, SIGTERM), or\n"
	"to the end of the file with -r; then the report is printed. SIGUSR1 prints\n"
	"the report so far to stderr and goes on.\n"
	"\n"
	"Capture:\n"
	"  -i, --interface IFACE       capture on IFACE (repeatable; default: any)\n"
	"  -r, --read FILE             read a pcap or pcapng file (-: stdin), not capture\n"
	"  -w, --write FILE            write the packets as pcapng, each with its owners\n"
	"                              (-: stdout; the report then goes to stderr)\n"
	"  -d, --duration DURATION     stop after DURATION (seconds; or 1.5m, 2h...)\n"
	"  -c, --count PACKETS         stop after PACKETS packets\n"
	"  -I, --interval DURATION     a report every DURATION, with that interval's counts\n"
	"      --total                 with -I: a report of the whole run at the end too\n"
	"\n"
	"Output:\n"
	"      --csv | --tsv | --json  CSV, TSV, or JSON lines (default: a text table)\n"
	"      --no-header             omit the header line (and the text footer)\n"
	"  -t, --timestamps            leading start, end, duration columns\n"
	"      --rate                  sent_rate and recv_rate columns (bytes/s)\n"
	"  -H, --human                 text: bytes in K, M, G (powers of 1024)\n"
	"  -g, --group-by KEY[,KEY]    one row per group: pid user command netns cgroup\n"
	"                              unit container\n"
	"  -C, --connections           one row per flow and local end\n"
	"  -p, --pid PID               keep the rows of PID (repeatable)\n"
	"  -u, --user USER             keep the rows of USER, a name (glob) or a uid\n"
	"      --command NAME          keep the rows whose command matches NAME (glob)\n"
	"      --no-unknown            drop the unknown:* rows\n"
	"  -s, --sort KEY              sort by a column (or total, the default)\n"
	"      --top N                 keep the first N rows\n"
	"  -q, --quiet                 no intro or progress line on a terminal\n"
	"      --prom FILE             also keep Prometheus metrics in FILE, rewritten at\n"
	"                              each report with the sums of the run so far\n"
	"\n"
	"Resolver:\n"
	"      --max-flows N           bound of the flow table (default 1000000)\n"
	"      --proc-root DIR         read /proc below DIR (default /proc; -r of a file\n"
	"                              written with -w: the owners it records)\n"
	"      --resolve-interval DUR  re-read sockets and processes every DUR (default 1;\n"
	"                              10 with the kernel's owners)\n"
	"      --owners SOURCE         who owns sockets: auto (default: the kernel's eBPF\n"
	"                              reports when they load, else /proc), kernel, proc\n"
	"      --realtime              capture at SCHED_FIFO (the default with --owners=proc)\n"
	"      --no-realtime           capture at normal priority (the default with kernel)\n"
	"\n"
	"  -h, --help                  show this help\n"
	"  -V, --version               show the version\n"
	"  expression                  a BPF filter, as tcpdump takes it\n"
	"\n"
	"Columns: pid user command sent_bytes recv_bytes sent_packets recv_packets\n"
	"flows netns cmdline. Bytes are IP lengths (header + payload). See proctraf(1).\n";

enum {
	OPT_CSV = 256,
	OPT_TSV,
	OPT_JSON,
	OPT_NO_HEADER,
	OPT_MAX_FLOWS,
	OPT_PROC_ROOT,
	OPT_RESOLVE_INTERVAL,
	OPT_NO_REALTIME,
	OPT_TOTAL,
	OPT_RATE,
	OPT_COMMAND,
	OPT_NO_UNKNOWN,
	OPT_TOP,
	OPT_PROM,
	OPT_OWNERS,
	OPT_REALTIME,
};

static const struct option long_opts[] = {
	{ "interface", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "count", required_argument, NULL, 'c' },
	{ "read", required_argument, NULL, 'r' },
	{ "write", required_argument, NULL, 'w' },
	{ "interval", required_argument, NULL, 'I' },
	{ "total", no_argument, NULL, OPT_TOTAL },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "tsv", no_argument, NULL, OPT_TSV },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-header", no_argument, NULL, OPT_NO_HEADER },
	{ "timestamps", no_argument, NULL, 't' },
	{ "rate", no_argument, NULL, OPT_RATE },
	{ "human", no_argument, NULL, 'H' },
	{ "group-by", required_argument, NULL, 'g' },
	{ "connections", no_argument, NULL, 'C' },
	{ "pid", required_argument, NULL, 'p' },
	{ "user", required_argument, NULL, 'u' },
	{ "command", required_argument, NULL, OPT_COMMAND },
	{ "no-unknown", no_argument, NULL, OPT_NO_UNKNOWN },
	{ "sort", required_argument, NULL, 's' },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "quiet", no_argument, NULL, 'q' },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
	{ "resolve-interval", required_argument, NULL, OPT_RESOLVE_INTERVAL },
	{ "no-realtime", no_argument, NULL, OPT_NO_REALTIME },
	{ "realtime", no_argument, NULL, OPT_REALTIME },
	{ "owners", required_argument, NULL, OPT_OWNERS },
	{ "prom", required_argument, NULL, OPT_PROM },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const char short_opts[] = ":i:d:c:r:w:I:tHg:Cp:u:s:qhV";

static void die_usage(const char *fmt, const char *arg)
{
	fputs("proctraf: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see proctraf --help)\n", stderr);
	exit(EXIT_USAGE);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fputs("proctraf: out of memory\n", stderr);
		exit(EXIT_FAILURE);
	}
	return p;
}

/* Text on stdout, then exit; a write error is said, not swallowed. */
static void print_and_exit(const char *a, const char *b)
{
	fputs(a, stdout);
	if (b)
		fputs(b, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "proctraf: write error: %s\n", strerror(errno ? errno : EIO));
		exit(EXIT_FAILURE);
	}
	exit(EXIT_SUCCESS);
}

/*
 * A duration: decimal digits with an optional fraction and an optional
 * unit (s, m, h), > 0. Nothing else: no sign, space, hex or exponent.
 */
static double parse_duration(const char *opt, const char *s)
{
	const char *p = s;
	double v = 0, scale = 1, unit = 1;
	bool digits = false;

	for (; *p >= '0' && *p <= '9'; p++, digits = true)
		v = v * 10 + (*p - '0');
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits = true) {
			scale /= 10;
			v += (*p - '0') * scale;
		}
	}
	if (*p == 's' || *p == 'm' || *p == 'h') {
		unit = *p == 'm' ? 60 : *p == 'h' ? 3600 : 1;
		p++;
	}
	v *= unit;
	if (!digits || *p || !(v > 0) || v > MAX_SECONDS) {
		fprintf(stderr,
			"proctraf: %s wants a duration > 0 and <= 1000000000 s (decimals allowed, "
			"or a unit: s, m, h), not '%s' (see proctraf --help)\n",
			opt, s);
		exit(EXIT_USAGE);
	}
	return v;
}

/* A whole number in [1, max], decimal digits only. */
static unsigned long long parse_count(const char *opt, const char *s, unsigned long long max)
{
	unsigned long long v = 0;
	bool over = false;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - (unsigned)(*p - '0')) / 10)
			over = true;
		else
			v = v * 10 + (unsigned)(*p - '0');
	}
	if (p == s || *p || v < 1 || over || v > max) {
		if ((over || v > max) && p != s && !*p && max != ULLONG_MAX)
			fprintf(stderr,
				"proctraf: %s wants a whole number from 1 to %llu, not '%s' (see proctraf --help)\n",
				opt, max, s);
		else
			fprintf(stderr,
				"proctraf: %s wants a whole number >= 1, not '%s' (see proctraf --help)\n",
				opt, s);
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
	s = xcalloc(1, len);
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static void set_format(struct options *o, enum out_format f, bool *set)
{
	static const char *const names[] = { "text", "--csv", "--tsv", "--json" };

	if (*set && o->report.format != f) {
		char both[64];
		snprintf(both, sizeof(both), "%s and %s", names[o->report.format], names[f]);
		die_usage("%s cannot be combined", both);
	}
	o->report.format = f;
	*set = true;
}

/* "user,unit": each key once, appended to what earlier -g gave. */
static void add_group_keys(struct options *o, const char *arg)
{
	char *copy = xcalloc(1, strlen(arg) + 1), *save = NULL;

	strcpy(copy, arg);
	if (!*arg || arg[strlen(arg) - 1] == ',')
		die_usage("--group-by wants keys: pid, user, command, netns, cgroup, unit, container; not '%s'",
			  arg);
	for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		int key = group_key_parse(k);
		if (key < 0)
			die_usage("--group-by: no key '%s' (pid, user, command, netns, cgroup, unit, container)",
				  k);
		for (size_t i = 0; i < o->report.ngroup; i++) {
			if (o->report.group[i] == (enum group_key)key)
				die_usage("--group-by: key '%s' given twice", k);
		}
		o->report.group[o->report.ngroup++] = (enum group_key)key;
	}
	free(copy);
}

/* An -i interface, unless the same name was given already. */
static void add_iface(struct options *o, const char *name)
{
	for (size_t i = 0; i < o->cfg.n_ifaces; i++) {
		if (strcmp(o->ifaces[i], name) == 0)
			return;
	}
	o->ifaces[o->cfg.n_ifaces++] = name;
}

/*
 * The reason getopt_long refused arg: an unknown option, a long one that
 * takes no argument given one, or an ambiguous abbreviation.
 */
static void bad_option(const char *arg, int optopt_)
{
	char msg[512];

	if (strncmp(arg, "--", 2) == 0) {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name), n = 0;
		const struct option *one = NULL;

		snprintf(msg, sizeof(msg), "option --%.*s is ambiguous:", (int)len, name);
		for (const struct option *lo = long_opts; lo->name; lo++) {
			if (strncmp(lo->name, name, len) != 0)
				continue;
			if (strlen(lo->name) == len) {	/* exact: it wins */
				one = lo;
				n = 1;
				break;
			}
			one = lo;
			n++;
			size_t at = strlen(msg);
			snprintf(msg + at, sizeof(msg) - at, "%s --%s", n > 1 ? "," : "", lo->name);
		}
		if (n > 1)
			die_usage("%s", msg);
		if (n == 1 && eq && one->has_arg == no_argument) {
			snprintf(msg, sizeof(msg), "option --%s takes no argument", one->name);
			die_usage("%s", msg);
		}
		snprintf(msg, sizeof(msg), "unknown option --%.*s", (int)len, name);
		die_usage("%s", msg);
	}
	if (optopt_ > 0 && optopt_ < 256) {
		char opt[3] = { '-', (char)optopt_, '\0' };
		die_usage("unknown option %s", opt);
	}
	die_usage("unknown option %s", arg);
}

static void defaults(struct options *o, int argc)
{
	memset(o, 0, sizeof(*o));
	o->report.header = true;
	o->report.format = OUT_TEXT;
	o->cfg.max_flows = DEFAULT_MAX_FLOWS;
	o->cfg.proc_root = "/proc";
	o->cfg.resolve_interval = 0;	/* the session's default, by owner source */
	o->ifaces = xcalloc((size_t)argc + 1, sizeof(*o->ifaces));
	o->pids = xcalloc((size_t)argc + 1, sizeof(*o->pids));
	o->users = xcalloc((size_t)argc + 1, sizeof(*o->users));
	o->commands = xcalloc((size_t)argc + 1, sizeof(*o->commands));
}

/* The options that cannot go together, and the ones one implies. */
static void check(struct options *o, double interval)
{
	char err[640];

	if (o->cfg.file && o->cfg.n_ifaces)
		die_usage("%s", "-r and -i cannot be combined");
	if (o->cfg.write_file && strcmp(o->cfg.write_file, "-") == 0 && isatty(STDOUT_FILENO))
		die_usage("%s", "-w -: standard output is a terminal (a pipe or a file, please)");
	if (o->report.connections && o->report.ngroup)
		die_usage("%s", "--connections and --group-by cannot be combined");
	if (o->cfg.total && interval <= 0)
		die_usage("%s", "--total needs --interval");
	if (o->cfg.realtime && o->cfg.no_realtime)
		die_usage("%s", "--realtime and --no-realtime cannot be combined");
	if (o->cfg.file && o->cfg.owners == OWNERS_MODE_KERNEL)
		die_usage("%s", "--owners=kernel is for a live capture, not -r");
	if (o->report.human && o->report.format != OUT_TEXT)
		die_usage("%s", "--human is for the text table (machine formats keep exact numbers)");
	o->cfg.interval_us = (int64_t)(interval * 1e6 + 0.5);
	if (interval > 0 && o->cfg.interval_us < 1000)
		die_usage("%s", "--interval must be at least 0.001 s");
	o->cfg.connections = o->report.connections;
	/* Every row of an interval says when it was: machine formats carry the times. */
	if (interval > 0 && o->report.format != OUT_TEXT)
		o->report.timestamps = true;
	if (report_check(&o->report, err, sizeof(err)) != 0)
		die_usage("%s", err);
}

void options_parse(int argc, char **argv, struct options *o)
{
	bool format_set = false;
	double interval = 0;
	int c;

	defaults(o, argc);
	opterr = 0;
	/* Options may come anywhere; the other arguments form the filter. */
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			add_iface(o, optarg);
			break;
		case 'd':
			o->cfg.duration = parse_duration("-d", optarg);
			break;
		case 'c':
			o->cfg.count = parse_count("-c", optarg, ULLONG_MAX);
			break;
		case 'r':
			if (o->cfg.file)
				die_usage("%s", "-r given twice");
			o->cfg.file = optarg;
			break;
		case 'w':
			if (o->cfg.write_file)
				die_usage("%s", "-w given twice");
			if (!*optarg)
				die_usage("%s", "-w wants a file name, or - for standard output");
			o->cfg.write_file = optarg;
			break;
		case 'I':
			interval = parse_duration("--interval", optarg);
			break;
		case OPT_TOTAL:
			o->cfg.total = true;
			break;
		case OPT_CSV:
			set_format(o, OUT_CSV, &format_set);
			break;
		case OPT_TSV:
			set_format(o, OUT_TSV, &format_set);
			break;
		case OPT_JSON:
			set_format(o, OUT_JSON, &format_set);
			break;
		case OPT_NO_HEADER:
			o->report.header = false;
			break;
		case 't':
			o->report.timestamps = true;
			break;
		case OPT_RATE:
			o->report.rate = true;
			break;
		case 'H':
			o->report.human = true;
			break;
		case 'g':
			add_group_keys(o, optarg);
			break;
		case 'C':
			o->report.connections = true;
			break;
		case 'p':
			o->pids[o->report.npids++] = (int)parse_count("--pid", optarg, MAX_PID);
			break;
		case 'u':
			if (!*optarg)
				die_usage("%s", "--user wants a user name or uid");
			o->users[o->report.nusers++] = optarg;
			break;
		case OPT_COMMAND:
			if (!*optarg)
				die_usage("%s", "--command wants a process name");
			o->commands[o->report.ncommands++] = optarg;
			break;
		case OPT_NO_UNKNOWN:
			o->report.no_unknown = true;
			break;
		case 's':
			o->report.sort = optarg;
			break;
		case OPT_TOP:
			o->report.top = (size_t)parse_count("--top", optarg, SIZE_MAX);
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_MAX_FLOWS:
			o->cfg.max_flows = (size_t)parse_count("--max-flows", optarg, MAX_MAX_FLOWS);
			break;
		case OPT_PROC_ROOT:
			o->cfg.proc_root = optarg;
			o->cfg.proc_root_set = true;
			break;
		case OPT_RESOLVE_INTERVAL:
			o->cfg.resolve_interval = parse_duration("--resolve-interval", optarg);
			break;
		case OPT_NO_REALTIME:
			o->cfg.no_realtime = true;
			break;
		case OPT_REALTIME:
			o->cfg.realtime = true;
			break;
		case OPT_OWNERS:
			if (strcmp(optarg, "auto") == 0)
				o->cfg.owners = OWNERS_MODE_AUTO;
			else if (strcmp(optarg, "kernel") == 0)
				o->cfg.owners = OWNERS_MODE_KERNEL;
			else if (strcmp(optarg, "proc") == 0)
				o->cfg.owners = OWNERS_MODE_PROC;
			else
				die_usage("--owners wants auto, kernel or proc, not '%s'", optarg);
			break;
		case OPT_PROM:
			/* A file beside which a new one is made, then renamed over it. */
			if (!*optarg || strcmp(optarg, "-") == 0 || optarg[strlen(optarg) - 1] == '/')
				die_usage("--prom wants a file name (not standard output or a directory), "
					  "not '%s'", optarg);
			if (o->prom)
				die_usage("%s", "--prom given twice");
			o->prom = optarg;
			break;
		case 'h':
			print_and_exit(usage_text, help_text);
			break;
		case 'V':
			print_and_exit("proctraf " VERSION "\n", NULL);
			break;
		case ':':
			die_usage("option %s needs an argument", argv[optind - 1]);
			break;
		default:
			bad_option(argv[optind - 1], optopt);
		}
	}
	o->cfg.ifaces = o->ifaces;
	o->report.pids = o->pids;
	o->report.users = o->users;
	o->report.commands = o->commands;
	if (optind < argc) {
		o->filter = join_args(argc - optind, argv + optind);
		o->cfg.filter = o->filter;
	}
	check(o, interval);
}

void options_free(struct options *o)
{
	free(o->ifaces);
	free(o->pids);
	free(o->users);
	free(o->commands);
	free(o->filter);
}
