/*
 * prom_out.h - --prom FILE for the command line: every report counted
 * into the metrics (core/prom.h) and FILE replaced (core/promfile.h).
 *
 * A write that fails is said on stderr, one line, not again while the
 * same error goes on; the run goes on, and the next report tries again
 * (a service would rather keep counting than stop). The run's exit
 * status is 1 when the last report's write failed: FILE is then not the
 * run's.
 */
#ifndef PROCTRAF_PROM_OUT_H
#define PROCTRAF_PROM_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/prom.h"
#include "../core/promfile.h"

struct prom_out {
	const char *path;	/* NULL: no --prom */
	struct prom *store;
	struct promfile *file;
	char said[512];		/* the failure last said; "" after a success */
	unsigned failed;	/* writes failed since the last success */
};

/*
 * Before any thread is made and before the privileges are dropped: the
 * store, and the writer of path (a process of its own when root runs
 * proctraf, see promfile.h). 0, or -1 with a message in err.
 */
int prom_out_open(struct prom_out *p, const char *path, const struct report_opts *o, char *err,
		  size_t errlen);

/* With the rights the run writes with: can FILE be written? 0, or -1 with err. */
int prom_out_check(struct prom_out *p, char *err, size_t errlen);

/* One report: counted, and FILE written again when it changed the sums. */
void prom_out_report(struct prom_out *p, const struct report_data *d);

/* Did the last write fail? */
bool prom_out_stale(const struct prom_out *p);

void prom_out_close(struct prom_out *p);

#endif
