/* prom_out.c - --prom FILE for the command line; see prom_out.h. */
#include "prom_out.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

int prom_out_open(struct prom_out *p, const char *path, const struct report_opts *o, char *err,
		  size_t errlen)
{
	size_t n = strlen(path);
	/*
	 * Root becomes nobody (core/privs.h), who may not write where
	 * node_exporter reads: the file is written by a process that stays
	 * root. Not for a setuid or file-capability copy, whose user names
	 * the file: that is written with the user's own rights.
	 */
	bool separate = getuid() == 0 && geteuid() == 0 && !getauxval(AT_SECURE);

	memset(p, 0, sizeof(*p));
	p->path = path;
	p->store = prom_new(o);
	if (!p->store) {
		snprintf(err, errlen, "--prom: out of memory");
		return -1;
	}
	if (promfile_open(path, separate, &p->file, err, errlen) != 0) {
		prom_free(p->store);
		p->store = NULL;
		return -1;
	}
	if (n < 5 || strcmp(path + n - 5, ".prom") != 0)
		fprintf(stderr, "proctraf: warning: --prom %s: node_exporter's textfile collector "
				"reads only files named *.prom\n", path);
	return 0;
}

int prom_out_check(struct prom_out *p, char *err, size_t errlen)
{
	char why[448];

	if (promfile_probe(p->file, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "--prom: %s", why);
		return -1;
	}
	return 0;
}

/* A failure: said once while it is the same one. */
static void failed(struct prom_out *p, const char *why, bool again)
{
	p->failed++;
	if (strcmp(why, p->said) != 0) {
		fprintf(stderr, "proctraf: --prom: %s%s\n", why,
			again ? " (tried again at the next report)" : "");
		snprintf(p->said, sizeof(p->said), "%s", why);
	}
}

void prom_out_report(struct prom_out *p, const struct report_data *d)
{
	char why[448];
	char *buf = NULL;
	size_t len = 0;
	int rc = prom_add(p->store, d);
	bool again = d->sum.kind == REPORT_INTERVAL;

	if (rc == 0)
		return;
	if (rc < 0 || prom_render(p->store, &buf, &len) != 0) {
		snprintf(why, sizeof(why), "cannot make the metrics: %s", strerror(errno));
		failed(p, why, again);
		return;
	}
	rc = promfile_write(p->file, buf, len, why, sizeof(why));
	free(buf);
	if (rc != 0) {
		failed(p, why, again);
		return;
	}
	if (p->failed)
		fprintf(stderr, "proctraf: --prom: %s written again, after %u failed write%s\n",
			p->path, p->failed, p->failed == 1 ? "" : "s");
	p->failed = 0;
	p->said[0] = '\0';
}

bool prom_out_stale(const struct prom_out *p)
{
	return p->path && p->failed > 0;
}

void prom_out_close(struct prom_out *p)
{
	promfile_close(p->file);
	prom_free(p->store);
	p->file = NULL;
	p->store = NULL;
}
