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

#include "attribute.h"
#include "pcapng_reader.h"

/* An empty table of at most max_ends flow ends; NULL when out of memory. */
struct annot *annot_new(size_t max_ends);

/* A process record of section (its index in the file): d, n after the PEN. */
void annot_add_process(struct annot *a, uint32_t section, const uint8_t *d, size_t n);

/*
 * An owners record of a packet of section: its two flow ends; inj, inj_n:
 * the injected record that followed it in the packet's options (NULL:
 * none), which both ends keep for annot_attribute.
 */
void annot_add_owners(struct annot *a, uint32_t section, const uint8_t *d, size_t n,
		      const uint8_t *inj, size_t inj_n);

/* A statistics block's start (start) or end time: the run's span. */
void annot_add_time(struct annot *a, bool start, int64_t us);

/* A section header says its flows injected carry injected records (annot_stats). */
void annot_records_injected(struct annot *a);

/* A block not well formed ended the reading (annot_stats). */
void annot_stopped(struct annot *a);

/* The file read whole: ends owned by a process no record described get no owner. */
void annot_settle(struct annot *a);

/*
 * After attribute_flow on annot_source(an): a flow at unknown:no-socket
 * gets the injector its injected record names, or unknown:packet-sockets,
 * as pktsock_attribute gave it in the run that wrote the file. an NULL:
 * nothing is done.
 */
void annot_attribute(const struct annot *an, const struct tuple *t, struct attribution *a);

#endif
