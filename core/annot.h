/*
 * annot.h - the table of a -w file's owners (pcapng_reader.h): each flow
 * end its records name -> what the writing run knew of it, and the
 * processes its records describe, per section. pcapng_reader.c fills it
 * from the file's blocks; the resolver then asks it (annot_source).
 * Bounded as pcapng_reader.h says: what does not fit is counted as cut.
 */
#ifndef PROCTRAF_ANNOT_H
#define PROCTRAF_ANNOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcapng_reader.h"

/* An empty table of at most max_ends flow ends; NULL when out of memory. */
struct annot *annot_new(size_t max_ends);

/* A process record of section (its index in the file): d, n after the PEN. */
void annot_add_process(struct annot *a, uint32_t section, const uint8_t *d, size_t n);

/* An owners record of a packet of section: its two flow ends. */
void annot_add_owners(struct annot *a, uint32_t section, const uint8_t *d, size_t n);

/* A statistics block's start (start) or end time: the run's span. */
void annot_add_time(struct annot *a, bool start, int64_t us);

/* A block not well formed ended the reading (annot_stats). */
void annot_stopped(struct annot *a);

/* The file read whole: ends owned by a process no record described get no owner. */
void annot_settle(struct annot *a);

#endif
