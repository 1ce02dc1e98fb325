/*
 * capture.h - libpcap handles: live interfaces or a capture file.
 *
 * Live handles use a headers-only snaplen, immediate mode (a new flow is
 * seen at once, not when a buffer fills) or else a buffer timeout (the
 * kernel hands packets over a block at a time: one wake-up for many), and
 * non-blocking reads; one dispatch call waits on all of them with poll(2). Errors are returned as
 * values with a message, the way libpcap's errbuf works.
 */
#ifndef PROCTRAF_CAPTURE_H
#define PROCTRAF_CAPTURE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Return codes of capture_open, also proctraf's exit codes. */
enum capture_err {
	CAPTURE_OK = 0,
	CAPTURE_ERR_RUNTIME = 1,	/* no such interface, permission, bad file */
	CAPTURE_ERR_USAGE = 2,		/* bad filter expression */
};

#define CAPTURE_SNAPLEN 256		/* enough for any header chain we decode */

struct capture_opts {
	const char *const *ifaces;	/* NULL/0: the pseudo-interface "any" */
	size_t n_ifaces;
	const char *file;		/* non-NULL: read this file instead */
	FILE *fp;			/* ... from this stream, if given (closed by capture_close) */
	const char *filter;		/* BPF expression or NULL */
	int buffer_ms;			/* live: 0, immediate mode; else packets are held
					   in the kernel up to this long (a block's timeout) */
};

/* source: which of the capture's interfaces (0 for a file or one interface). */
typedef void (*capture_cb)(void *ctx, int dlt, int source, const struct pcap_pkthdr *h,
			   const uint8_t *data);

struct capture;

enum capture_err capture_open(const struct capture_opts *o, struct capture **out,
			      char *err, size_t errlen);
void capture_close(struct capture *c);
bool capture_is_live(const struct capture *c);

/*
 * Deliver the packets that are ready, waiting up to timeout_ms for the
 * first. Returns the number delivered (0 on timeout), -1 on error (err
 * filled in), -2 at the end of a capture file.
 */
int capture_dispatch(struct capture *c, int timeout_ms, capture_cb cb, void *ctx,
		     char *err, size_t errlen);

/* From inside the callback: return from capture_dispatch after this packet. */
void capture_break(struct capture *c);

/*
 * Live: packets the kernel took for the capture (its filter passed them,
 * not dropped) that were not handed to a callback yet: those it holds in
 * a block not yet handed over (buffer_ms). 0 when none, or not known.
 */
uint64_t capture_held(struct capture *c);

/* Drops summed over the handles (pcap_stats); false if unavailable. */
bool capture_drops(struct capture *c, uint64_t *kernel, uint64_t *iface);

/* The handles (the sources of capture_cb), and each one's link type and snaplen. */
size_t capture_sources(const struct capture *c);
int capture_source_dlt(const struct capture *c, size_t i);
int capture_source_snaplen(const struct capture *c, size_t i);

/* One handle's drops (live); false if unavailable. */
bool capture_source_drops(struct capture *c, size_t i, uint64_t *kernel, uint64_t *iface);

#endif
