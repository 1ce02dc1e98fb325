/*
 * procinfo.h - what /proc/PID tells of a process: its name, user, start
 * time, namespace, cgroup and command line (struct proc_info, resolve.h),
 * read below a proc root (below.h), every read bounded.
 */
#ifndef PROCTRAF_PROCINFO_H
#define PROCTRAF_PROCINFO_H

#include <stdbool.h>

#include "below.h"
#include "resolve.h"

#define PROCINFO_CMDLINE_MAX 4096	/* of /proc/PID/cmdline, kept */

/* Read pid's details below root into pi (what cannot be read is left unknown). */
void procinfo_read(struct below *root, int pid, struct proc_info *pi);

/*
 * The text of a /proc/PID/cmdline read into buf (n bytes, n < 0 for none;
 * buf has room for one more): its trailing NULs dropped, the others made
 * spaces, copied. NULL on out of memory.
 */
char *procinfo_cmdline_dup(char *buf, ssize_t n);

/* Free pi's strings (left NULL). */
void procinfo_clear(struct proc_info *pi);

/* pid's start time (clock ticks after boot, stat field 22); false if unread. */
bool procinfo_start(struct below *root, int pid, unsigned long long *start);

/* The start time in the text of a /proc/PID/stat; 0 if none. */
unsigned long long procinfo_parse_start(const char *stat);

/* The same; false (and *start 0) when the text has none. */
bool procinfo_stat_start(const char *stat, unsigned long long *start);

/* The thread group of task id, from its status; id itself if unknown. */
int procinfo_tgid(struct below *root, int id);

/* The inode a namespace link below base names ("net:[4026531840]"); 0 if none. */
uint64_t ns_link_inode(struct below *base, const char *path);

#endif
