/*
 * options.h - the command line into a session_config and report_opts.
 *
 * Numbers are decimal digits only: counts are whole numbers, durations
 * may have a fraction and a unit (s, m, h). Every bad option ends the
 * program with one line on stderr and exit status 2.
 */
#ifndef PROCTRAF_OPTIONS_H
#define PROCTRAF_OPTIONS_H

#include <stdbool.h>

#include "../core/report.h"
#include "../core/session.h"

#define EXIT_USAGE 2

struct options {
	struct session_config cfg;
	struct report_opts report;
	bool quiet;		/* no intro and progress lines on a terminal */
	const char *prom;	/* --prom FILE: Prometheus metrics; NULL: none */
	/* storage the two structs above point into */
	const char **ifaces;
	int *pids;
	const char **users;
	const char **commands;
	char *filter;
};

/* Parse argv into o (exits on --help, --version and errors). */
void options_parse(int argc, char **argv, struct options *o);

void options_free(struct options *o);

#endif
