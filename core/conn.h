/*
 * conn.h - --connections: the rows of one flow, one per local end.
 *
 * An end of ours with an owner gets a row from its side (its traffic
 * out is sent, in is received); so does an end of ours without one when
 * the other end has an owner (in the unknown row aggregate.c counts it
 * in). A flow that no process owns at either end gets one row, counted
 * as its unknown row counts it: sent where the source is an address of
 * this host, received otherwise. So a flow's rows add up, per process
 * and per unknown reason, to the process report exactly.
 */
#ifndef PROCTRAF_CONN_H
#define PROCTRAF_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "attribute.h"
#include "flowtab.h"
#include "report.h"

#define CONN_MAX_ROWS 4	/* rows one flow can give */

/* The rows of flow t (canonical) into out; returns how many. */
size_t conn_rows(const struct tuple *t, const struct attribution *a, const struct flow_counts *c,
		 int64_t first_us, int64_t last_us, struct conn *out);

/* The row of the flow table's overflow bucket (none when it counted nothing). */
size_t conn_overflow(const struct flow_counts *c, struct conn *out);

#endif
