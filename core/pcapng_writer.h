/*
 * pcapng_writer.h - -w FILE: what was captured, as pcapng, each packet
 * with the owners the report gave its flow (the format: pcapng.h).
 *
 * A flow's owner is final only when the run is over: a flow may be
 * resolved after its first packets (a pipe's sockets found by the last
 * pass, a connection's owner by a later /proc pass), and the owner the
 * report uses is the one known at its end. So packets are first spooled,
 * without comments, to a temporary file that has no name (O_TMPFILE, or
 * made and unlinked at once) in FILE's directory (for -w -, in $TMPDIR or
 * /tmp), each with the canonical tuple of its flow; at the end, once
 * the report is made, FILE is written from the spool with every packet's
 * owners, attributed as the report attributed them (attribute_flow on the
 * same resolver and flow table). The cost: the spool takes the size of
 * FILE without its annotations (about 40 bytes a packet more, less the
 * options) and the end a sequential read of it; see proctraf.1.
 *
 * FILE and the spool are opened by pcapng_writer_open, before privileges
 * are dropped; nothing else is opened later. FILE stays empty until the
 * end (a run killed by a second signal leaves it empty).
 *
 * One thread: the capture thread writes packets; the end comes after
 * every other thread is done with the resolver.
 */
#ifndef PROCTRAF_PCAPNG_WRITER_H
#define PROCTRAF_PCAPNG_WRITER_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attribute.h"
#include "decode.h"
#include "flowtab.h"
#include "pins.h"
#include "resolve.h"

struct pcapng_writer;

/* One interface of the capture: an interface description block. */
struct pcapng_iface {
	int dlt;		/* DLT_ value (pcapng_linktype turns it into LINKTYPE_) */
	uint32_t snaplen;
	const char *name;	/* NULL: none written */
};

/*
 * Open path for writing ("-": standard output) and a spool beside it.
 * 0, or -1 with a message in err.
 */
int pcapng_writer_open(const char *path, const struct pcapng_iface *ifs, size_t nifs,
		       struct pcapng_writer **out, char *err, size_t errlen);

/*
 * A packet the run counted, from interface source. ip: its decoded IP
 * packet (the flow it is counted in), NULL for a packet of no flow (not
 * IP, malformed); copy: a copy of a packet counted on another interface,
 * not counted. ts_us: its time as the run counted it (h's, within the
 * years a report prints), so that -r of the file reads the same times.
 * 0, or -1 when the spool could not be written (errno).
 */
int pcapng_writer_packet(struct pcapng_writer *w, unsigned source, int64_t ts_us,
			 const struct pcap_pkthdr *h, const uint8_t *data,
			 const struct packet *ip, bool copy);

/* The run's span and, live, each interface's drops (NULL: not known). */
struct pcapng_end {
	int64_t start_us, end_us;	/* TIME_NONE: not known */
	const uint64_t *os_drops, *if_drops;
};

/*
 * Write the file: each packet with the owners that pins_attribute gives
 * its flow in ft with pins (NULL: none) and res, then the function set by
 * pcapng_writer_set_more, as the report does (or
 * table-full when ft does not hold it), then a statistics block per
 * interface. 0, or -1 with a message in err.
 */
int pcapng_writer_finish(struct pcapng_writer *w, const struct flowtab *ft,
			 const struct pins *pins, const struct resolver *res,
			 const struct pcapng_end *end, char *err, size_t errlen);

/*
 * What the report adds to a flow's attribution after pins_attribute (the
 * injector of its frames: pktsock_attribute live, annot_attribute for a
 * file -w wrote; see session_attribute_more), so that the file says what
 * the report said. Called by finish, for each flow, with ctx.
 */
typedef void pcapng_more_fn(const void *ctx, const struct tuple *t, struct attribution *a);
/*
 * injectors: the run's report says the bytes counted for injectors (live,
 * or a file that said them): the section header then says that the file
 * does too (PT_MARKER_INJECTED), so that -r of it reports the same.
 */
void pcapng_writer_set_more(struct pcapng_writer *w, pcapng_more_fn *more, const void *ctx,
			    bool injectors);

/* What finish wrote (for the tests and the bench). */
struct pcapng_writer_stats {
	uint64_t packets;	/* enhanced packet blocks */
	uint64_t annotated;	/* ... with a comment */
	uint64_t processes;	/* process records */
	uint64_t spool_bytes;	/* the spool's size at the end */
	uint64_t file_bytes;	/* what was written to the file */
};
void pcapng_writer_stats(const struct pcapng_writer *w, struct pcapng_writer_stats *st);

void pcapng_writer_close(struct pcapng_writer *w);

#endif
