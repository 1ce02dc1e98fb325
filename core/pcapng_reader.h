/*
 * pcapng_reader.h - the owners a file written with -w records (pcapng.h),
 * read back for -r: an owner source for the resolver (resolve.h), so that
 * such a file is attributed from its annotations alone, with no proc root.
 *
 * libpcap hands out packets but not their options, so the file is read a
 * first time here, block by block, before its packets are counted: every
 * owners record puts its two flow ends in a table (family, protocol, local
 * address and port, remote address and port) -> what the writing run knew
 * of that end (an owner, or why none, and whether its address was one of
 * the host's); process records give the owners. A lookup answers from that
 * table exactly; an end the file says nothing of has no socket, and is
 * local when some record said its address was. So attribute_flow gives
 * each flow what the writing run's report gave it; an injected record
 * after an owners record gives both its ends the flow's injector (or
 * unknown:packet-sockets), which annot_attribute (annot.h) then adds.
 *
 * The file is untrusted: every block and option is read through a cursor
 * (cursor.h) and checked against its block's length; a block's length is
 * bounded (PCAPNG_BLOCK_MAX) before anything is allocated for it; the
 * table is bounded (max_ends, and PT_PROCS_MAX processes holding at most
 * PT_STRINGS_MAX bytes of strings), the rest counted as cut. Reading stops
 * at the first block that is not well formed (libpcap will refuse the
 * file there too), keeping what came before.
 */
#ifndef PROCTRAF_PCAPNG_READER_H
#define PROCTRAF_PCAPNG_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "resolve.h"

#define PCAPNG_BLOCK_MAX (16u << 20)	/* beyond what libpcap or Wireshark read */
#define PT_PROCS_MAX (1u << 20)
#define PT_STRINGS_MAX (256u << 20)

struct annot;

/*
 * Read the file at fd (with pread: its offset is left alone, for libpcap
 * may share it). 1 when its first section header carries proctraf's
 * marker (*out set), 0 when not (not pcapng, or not written by proctraf),
 * -1 on a read error (err).
 */
int annot_read(int fd, size_t max_ends, struct annot **out, char *err, size_t errlen);

/*
 * The first 12 bytes of a block: is it a section header (its type, and a
 * byte-order magic of either order)? *total: its length, in its order.
 */
bool annot_shb_head(const uint8_t h[12], uint32_t *total);

/* Is the section header block h (len bytes, all of it) one that -w wrote? */
bool annot_shb_ours(const uint8_t *h, size_t len);

/* The source to hand to resolver_new_source; valid while a is. */
const struct owner_source *annot_source(const struct annot *a);

/* The run's span (the statistics blocks' start and end times); false if none. */
bool annot_span(const struct annot *a, int64_t *start_us, int64_t *end_us);

struct annot_stats {
	uint64_t records;	/* owners records read */
	uint64_t ends;		/* flow ends in the table */
	uint64_t processes;	/* processes described */
	uint64_t bad;		/* records not well formed, or contradicting an earlier one */
	uint64_t dangling;	/* ends owned by a process the file does not describe */
	uint64_t cut;		/* records or processes beyond the bounds */
	bool stopped;		/* a block not well formed ended the reading */
	bool injected;		/* a section records injected flows (pcapng.h) */
};
void annot_stats(const struct annot *a, struct annot_stats *st);

void annot_free(struct annot *a);

#endif
