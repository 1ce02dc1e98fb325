/*
 * fdio.h - writing a whole buffer to a descriptor, the one loop that the
 * report, the -w writer, the pipe's copy and the --prom file share.
 */
#ifndef PROCTRAF_FDIO_H
#define PROCTRAF_FDIO_H

#include <stddef.h>

/*
 * Write len bytes of buf to fd, again after EINTR and short writes: 0, or
 * -1 with errno (a half-written buffer is an error).
 */
int fd_write_all(int fd, const void *buf, size_t len);

#endif
