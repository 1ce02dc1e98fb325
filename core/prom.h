/*
 * prom.h - the reports as Prometheus metrics (text exposition format
 * 0.0.4), for node_exporter's textfile collector (--prom FILE).
 *
 * A Prometheus counter must never go down while its series lives, so
 * that rate() works: the store keeps, per label set, the sum of every
 * report added to it (each --interval's, or the one report of a run),
 * and the exposition is always those sums. The reports that count again
 * what the intervals counted (--total, SIGUSR1's run so far) add
 * nothing. A series, once seen, stays for the whole run.
 *
 * Labels are command and user, then the --group-by keys that are not
 * one of those two, in the order given (pid only when -g names it: one
 * series per process is what makes a Prometheus server's memory grow).
 * Unknown traffic has unknown:REASON in every label, as in a group
 * report. The rows are those the report's filters keep (--pid, --user,
 * --command, --no-unknown); --top and --sort do not apply.
 *
 * Label values are names that whoever starts a process chooses, and
 * Prometheus takes only valid UTF-8 (node_exporter refuses a whole file
 * with one value that is not): each byte that is not valid UTF-8, or is
 * a control character (C0, DEL, C1), is written as the text \xNN, a
 * backslash as \\, so that two different names never give the same
 * value (node_exporter would drop the second series of one label set).
 * The format's own escaping (backslash, double quote, newline) comes on
 * top.
 *
 * Errors are returned as values, as elsewhere in core/.
 */
#ifndef PROCTRAF_PROM_H
#define PROCTRAF_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report.h"

struct prom;

/*
 * A store for the reports of one run made with o (its --group-by keys,
 * filters and --connections); o must outlive it. NULL on out of memory.
 */
struct prom *prom_new(const struct report_opts *o);
void prom_free(struct prom *p);

/*
 * Add one report to the sums. 1 when it changed them (the file is to be
 * written again), 0 for a report that adds nothing (REPORT_TOTAL,
 * REPORT_PARTIAL), -1 on out of memory (errno set; the sums then miss
 * part of this report, and never go down).
 */
int prom_add(struct prom *p, const struct report_data *d);

/* The exposition of the sums, in a buffer to free(). 0, or -1 (errno). */
int prom_render(const struct prom *p, char **buf, size_t *len);

/*
 * One label value, escaped as above and for the exposition (without the
 * quotes), appended to f. 0, or -1 when writing to f failed.
 */
int prom_write_label_value(FILE *f, const char *value);

#endif
