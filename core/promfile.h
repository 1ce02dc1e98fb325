/*
 * promfile.h - the file of --prom, replaced whole at each report.
 *
 * node_exporter's textfile collector may read the file at any moment: it
 * must never see half of one. So the text goes to a new file in the same
 * directory (mkstemp there; named .NAME.XXXXXX, which the collector,
 * reading only *.prom, skips), mode 0644 so that node_exporter, another
 * user, may read it, is flushed to the disk (fsync), then renamed over
 * the file: a reader has the old file or the new one, and so has the
 * disk after a crash.
 *
 * Run as root, proctraf becomes the user nobody once the capture is open
 * (privs.h), and nobody may not write where node_exporter reads (Debian's
 * /var/lib/prometheus/node-exporter is root's, mode 0755). So a root run
 * writes the file from a small process made before that drop, with
 * promfile_open(..., separate): it keeps uid 0 but no capability, sets
 * no-new-privs, holds no descriptor but its socket to proctraf, ignores
 * the signals that end proctraf (so that the last report still gets
 * written), and does one thing: put a text proctraf sends it in the one
 * path it was given when it was made. It ends when proctraf closes the
 * socket (or dies). Whatever proctraf becomes, the most it can make that
 * process do is write that file.
 *
 * Errors are returned as values with a message, as elsewhere in core/.
 */
#ifndef PROCTRAF_PROMFILE_H
#define PROCTRAF_PROMFILE_H

#include <stdbool.h>
#include <stddef.h>

struct promfile;

/*
 * A writer of path; separate: from a process of its own (see above),
 * made now, which must be before the caller has made any thread. 0, or
 * -1 with a message in err.
 */
int promfile_open(const char *path, bool separate, struct promfile **out, char *err,
		  size_t errlen);

/*
 * Can the file be written (with the rights of whoever writes it)? A file
 * is made in its directory and removed; the file itself must not be a
 * directory. 0, or -1 with a message in err.
 */
int promfile_probe(struct promfile *f, char *err, size_t errlen);

/* Replace the file with buf[0..len). 0, or -1 with a message in err. */
int promfile_write(struct promfile *f, const char *buf, size_t len, char *err, size_t errlen);

/* Close the writer (a separate one ends, and is waited for). */
void promfile_close(struct promfile *f);

/* The replacement itself, in this process: 0, or -1 with a message in err. */
int promfile_replace(const char *path, const char *buf, size_t len, char *err, size_t errlen);

#endif
