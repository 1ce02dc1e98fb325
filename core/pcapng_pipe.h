/*
 * pcapng_pipe.h - standard input as a pipe, for -r -: is it a file that
 * -w wrote? Its owners must be read before its packets (pcapng_reader.h),
 * and a pipe is read once, so such a stream is copied to a file first.
 */
#ifndef PROCTRAF_PCAPNG_PIPE_H
#define PROCTRAF_PCAPNG_PIPE_H

#include <stdio.h>

/*
 * Is fd a -w file? Its first block is read to know (at most
 * PCAPNG_SHB_MAX bytes). If its section header carries the marker, the
 * whole pipe is copied to an unnamed temporary file (in $TMPDIR or /tmp):
 * *spool is that file (to hand to annot_read), *fp reads it from its
 * start. Otherwise *spool is -1 and *fp reads what was read again, then
 * the rest of the pipe. 0, or -1 with err.
 */
#define PCAPNG_SHB_MAX (1u << 20)	/* libpcap reads no longer one */
int annot_pipe(int fd, FILE **fp, int *spool, char *err, size_t errlen);

#endif
