/*
 * annotate.c - the pcapng side of a session: -w's writer (opened here,
 * fed by the capture thread in session.c, written at the end), and the
 * owners of a file that -w wrote, read for -r before its first packet
 * (pcapng_reader.h), from a regular file or from a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "annot.h"
#include "session_priv.h"

/* Flow ends a file's owners may give: two per flow the table can hold. */
static size_t owner_ends(const struct session *s)
{
	return s->cfg.max_flows < SIZE_MAX / 2 ? 2 * s->cfg.max_flows : SIZE_MAX;
}

/*
 * Its time is that of the run that wrote it (pcapng.h: statistics blocks),
 * and its bytes counted for injectors are said as that run said them.
 */
static void take_span(struct session *s)
{
	struct annot_stats st;
	int64_t start, end;

	if (s->annot) {
		annot_stats(s->annot, &st);
		s->totals.injected_known = st.injected;
	}
	if (s->annot && annot_span(s->annot, &start, &end)) {
		s->have_first_ts = s->have_span = true;
		s->first_us = s->last_us = start;
		s->span_end = end;
	}
}

/*
 * A regular file written with -w: its owners, instead of a proc root's.
 * 0 (s->annot set or not), or 1 with err.
 */
int annotate_read(struct session *s, char *err, size_t errlen)
{
	const char *file = s->cfg.file;
	bool in = strcmp(file, "-") == 0;
	/* Non-blocking: a FIFO given by name is not waited for (nor read: not regular). */
	int fd = in ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char why[256];
	int rc = 0;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0 && !in)
			close(fd);
		return 0;	/* a pipe: its packets are read once, by libpcap */
	}
	if (annot_read(fd, owner_ends(s), &s->annot, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", in ? "standard input" : file, why);
		rc = 1;
	}
	take_span(s);
	if (!in)
		close(fd);
	return rc;
}

/* -w FILE must not be the file -r reads (it is emptied when opened). */
bool annotate_writes_input(const struct session_config *cfg)
{
	struct stat in, out;

	if (!cfg->file || strcmp(cfg->write_file, "-") == 0 || stat(cfg->write_file, &out) != 0)
		return false;
	if (strcmp(cfg->file, "-") == 0 ? fstat(STDIN_FILENO, &in) : stat(cfg->file, &in))
		return false;
	return in.st_dev == out.st_dev && in.st_ino == out.st_ino;
}

int annotate_open_writer(struct session *s, char *err, size_t errlen)
{
	size_t n = capture_sources(s->cap);
	struct pcapng_iface *ifs = calloc(n, sizeof(*ifs));
	int rc;

	if (!ifs) {
		snprintf(err, errlen, "out of memory");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		ifs[i].dlt = capture_source_dlt(s->cap, i);
		ifs[i].snaplen = (uint32_t)capture_source_snaplen(s->cap, i);
		if (s->totals.live)
			ifs[i].name = s->cfg.n_ifaces ? s->cfg.ifaces[i] : "any";
	}
	rc = pcapng_writer_open(s->cfg.write_file, ifs, n, &s->wr, err, errlen);
	free(ifs);
	if (rc == 0)
		pcapng_writer_set_more(s->wr, session_attribute_more, s,
				       s->totals.live || s->totals.injected_known);
	return rc == 0 ? 0 : 1;
}

/*
 * -r - from a pipe, no proc root given: a -w stream is copied to a file
 * first (its owners are read from it, then its packets); any other one
 * is handed to libpcap as it comes. 0, or 1 with err.
 */
int annotate_take_pipe(struct session *s, FILE **fp, char *err, size_t errlen)
{
	struct stat st;
	char why[256];
	int spool, rc = 0;

	if (!s->cfg.file || strcmp(s->cfg.file, "-") != 0 || s->cfg.proc_root_set ||
	    fstat(STDIN_FILENO, &st) != 0 || S_ISREG(st.st_mode))
		return 0;
	if (annot_pipe(STDIN_FILENO, fp, &spool, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "cannot read standard input: %s", why);
		return 1;
	}
	if (spool < 0)
		return 0;
	if (annot_read(spool, owner_ends(s), &s->annot, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "cannot read standard input: %s", why);
		rc = 1;
	}
	close(spool);
	if (rc == 0)
		take_span(s);
	return rc;
}

void session_attribute_more(const void *ctx, const struct tuple *t, struct attribution *a)
{
	const struct session *s = ctx;

	pktsock_attribute(s->pkt, s->res, t, a);
	annot_attribute(s->annot, t, a);
}

bool session_annotated(const struct session *s)
{
	return s->annot != NULL;
}

bool session_annot_stats(const struct session *s, struct annot_stats *st)
{
	if (!s->annot)
		return false;
	annot_stats(s->annot, st);
	return true;
}

int session_write_file(struct session *s, char *err, size_t errlen)
{
	struct pcapng_end end = { TIME_NONE, TIME_NONE, NULL, NULL };
	size_t n = capture_sources(s->cap);
	uint64_t *drops = NULL;
	int rc;

	if (!s->wr)
		return 0;
	if (s->wr_failed) {
		snprintf(err, errlen, "%s: temporary file: %s", s->cfg.write_file,
			 strerror(s->wr_errno));
		return -1;
	}
	session_span(s, &end.start_us, &end.end_us);
	/* Live: each interface's drops, as its statistics block says them. */
	if (s->totals.live && (drops = calloc(2 * n, sizeof(*drops))) != NULL) {
		bool all = true;
		for (size_t i = 0; i < n; i++)
			all &= capture_source_drops(s->cap, i, &drops[i], &drops[n + i]);
		if (all) {
			end.os_drops = drops;
			end.if_drops = drops + n;
		}
	}
	rc = pcapng_writer_finish(s->wr, s->flows, s->pins, s->res, &end, err, errlen);
	free(drops);
	if (rc != 0) {
		/* err says what failed; the file is named first. */
		char why[256];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: %s", strcmp(s->cfg.write_file, "-") == 0
						   ? "standard output" : s->cfg.write_file, why);
	}
	return rc;
}
