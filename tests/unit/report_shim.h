/*
 * report_shim.h - the process report of fixed rows, as proctraf writes it
 * once at the end of a run (report_write with the default options), for
 * the tests of the writers: a run of 2.5 s from 2023-11-14T22:13:20Z.
 */
#ifndef PROCTRAF_REPORT_SHIM_H
#define PROCTRAF_REPORT_SHIM_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../core/report.h"

#define SHIM_START_US 1700000000000000LL
#define SHIM_END_US 1700000002500000LL
#define SHIM_SPAN "from 2023-11-14T22:13:20.000000Z to 2023-11-14T22:13:22.500000Z (2.500000 s)\n"

static inline int output_report(FILE *f, enum out_format fmt, bool header, const struct row *rows,
				size_t n, const struct totals *t)
{
	struct report_opts o;
	struct report_data d;

	memset(&o, 0, sizeof(o));
	memset(&d, 0, sizeof(d));
	o.format = fmt;
	o.header = header;
	d.sum.kind = REPORT_ONCE;
	d.sum.start_us = SHIM_START_US;
	d.sum.end_us = SHIM_END_US;
	d.sum.totals = *t;
	d.rows = rows;
	d.nrows = n;
	return report_write(f, &o, &d, true);
}

#endif
