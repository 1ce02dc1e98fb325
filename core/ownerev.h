/*
 * ownerev.h - the kernel programs' events (core/bpf/owners.h) into an
 * ownertab: size and family checked, ports and IPv4-mapped ends put as
 * packets carry them, start times in clock ticks, namespace cookies turned
 * into inodes, closes noted.
 *
 * Where the kernel could not read the task (the programs built without
 * BTF), the start time and namespace are guessed from PROC/TGID while the
 * thread that made the call is still there under the same name, and
 * marked so (OWNER_F_*_GUESSED). Kept apart from the loading of the
 * programs so that it is tested on made-up events and a /proc fixture.
 *
 * Not thread-safe.
 */
#ifndef PROCTRAF_OWNEREV_H
#define PROCTRAF_OWNEREV_H

#include <stddef.h>
#include <stdint.h>

#include "ownertab.h"

struct ownerev;

/*
 * max_records: ownertab_new's bound. proc_root: where to guess what the
 * kernel did not read ("/proc", or a fixture); NULL: never guess. NULL on
 * out of memory.
 */
struct ownerev *ownerev_new(size_t max_records, const char *proc_root);
void ownerev_free(struct ownerev *e);

/* A namespace's cookie is that inode (our own namespace's, learned at start). */
void ownerev_learn_netns(struct ownerev *e, uint64_t cookie, uint64_t inode);

/*
 * Told of each owner report as ownerev_take puts it in the table (not of
 * closes, nor of events not understood): a caller that must read
 * something of the process while it may still be there (kowners.c, its
 * command line) does it here, not when the report is first asked for.
 */
typedef void (*ownerev_sink_fn)(void *ctx, const struct owner *o);
void ownerev_set_sink(struct ownerev *e, ownerev_sink_fn fn, void *ctx);

/* One event as the kernel wrote it: size bytes at data. */
void ownerev_take(struct ownerev *e, const void *data, size_t size);

const struct ownertab *ownerev_table(const struct ownerev *e);

struct ownerev_stats {
	uint64_t taken;		/* events put in the table (closes too) */
	uint64_t malformed;	/* events of a size, family or kind not understood */
};
void ownerev_stats(const struct ownerev *e, struct ownerev_stats *st);

#endif
