/*
 * kcmdline.h - a process's command line, read from PROC/PID/cmdline as
 * soon as the kernel's first report of it is taken in, and kept until the
 * answer that needs it is built (kowners.c).
 *
 * The kernel's report names a process that may have lived 50 ms: read
 * when a flow is first looked up, its command line was often gone, and
 * the row had only its name. Read when the report is drained from the
 * ring buffer, it is there unless the process ended before that.
 *
 * A process is its pid and start time (clock ticks after boot, field 22
 * of PROC/PID/stat): the command line is taken only while PROC/PID/stat
 * shows that start time and the reported name, before and after the read
 * (a pid reused, or an exec in between, lends nothing). Each incarnation
 * is read once. What is kept is bounded: two generations of at most
 * KCMDLINE_GEN_PROCS processes and KCMDLINE_GEN_BYTES bytes of command
 * lines each; when the newer is full, the older is dropped (processes
 * whose answer was never asked for in that time) and a new one begun.
 *
 * No kernel: tested on a fixture directory standing in for /proc. Not
 * thread-safe: one thread notes and takes.
 */
#ifndef PROCTRAF_KCMDLINE_H
#define PROCTRAF_KCMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KCMDLINE_MAX 4096		/* as much of PROC/PID/cmdline as the /proc path keeps */
#define KCMDLINE_GEN_PROCS 4096		/* processes a generation holds */
#define KCMDLINE_GEN_BYTES (1u << 20)	/* bytes of command lines a generation holds */

struct kcmdline;

/* proc_root: "/proc", or a fixture. NULL on out of memory. */
struct kcmdline *kcmdline_new(const char *proc_root);
void kcmdline_free(struct kcmdline *c);

/*
 * The kernel reported process (tgid, start) named comm: read its command
 * line now, unless this incarnation was read already (or start is 0:
 * not known). Its absence, when the process is gone, is remembered too.
 */
void kcmdline_note(struct kcmdline *c, uint32_t tgid, uint64_t start, const char *comm);

/*
 * The command line noted for (tgid, start), handed over (the caller
 * frees it; it is kept no more); else read now if the process is still
 * that one; else NULL. NULs are spaces, trailing ones dropped.
 */
char *kcmdline_take(struct kcmdline *c, uint32_t tgid, uint64_t start, const char *comm);

/*
 * PROC/PID/stat's name (between the first '(' and the last ')', cut to
 * commlen - 1 bytes) and start time (field 22). False when it is not a
 * process's stat.
 */
bool kcmdline_stat(const char *proc_root, uint32_t pid, char *comm, size_t commlen,
		   uint64_t *start);

struct kcmdline_stats {
	uint64_t read;		/* command lines read when noted */
	uint64_t gone;		/* processes gone (or another) when noted */
	uint64_t dropped;	/* kept command lines dropped with their generation */
};
void kcmdline_stats(const struct kcmdline *c, struct kcmdline_stats *st);

#endif
