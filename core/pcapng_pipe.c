/*
 * pcapng_pipe.c - -r - from a pipe: is the stream a -w file? Its first
 * block says; if so, the whole pipe is copied to a temporary file, for
 * the owners are read before the packets (see pcapng_pipe.h).
 */
#include "pcapng_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcapng_reader.h"
#include "fdio.h"

#define COPY_CHUNK (1u << 20)	/* bytes read from the pipe at a time */

/* Read up to n bytes (fewer only at the end); -1 on error. */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = read(fd, p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* What was read to peek, then the rest of the pipe (fopencookie). */
struct replay {
	int fd;
	uint8_t *head;
	size_t len, at;
};

static ssize_t replay_read(void *cookie, char *buf, size_t size)
{
	struct replay *r = cookie;
	ssize_t k;

	if (r->at < r->len) {
		size_t n = r->len - r->at < size ? r->len - r->at : size;
		memcpy(buf, r->head + r->at, n);
		r->at += n;
		return (ssize_t)n;
	}
	do
		k = read(r->fd, buf, size);
	while (k < 0 && errno == EINTR);
	return k;
}

static int replay_close(void *cookie)
{
	struct replay *r = cookie;

	free(r->head);
	free(r);
	return 0;
}

static int spool_fd(void)
{
	const char *dirs[] = { getenv("TMPDIR"), "/tmp" };

	for (size_t i = 0; i < 2; i++) {
		int fd;
		if (!dirs[i] || !*dirs[i])
			continue;
		fd = open(dirs[i], O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

/* The head, then the rest of fd, into a temporary file; its fd, or -1 (errno). */
static int copy_pipe(int fd, const uint8_t *head, size_t len)
{
	int sp = spool_fd();
	uint8_t *buf = sp >= 0 ? malloc(COPY_CHUNK) : NULL;
	ssize_t k = 0;

	if (!buf || fd_write_all(sp, head, len) != 0)
		goto fail;
	while ((k = read_full(fd, buf, COPY_CHUNK)) > 0) {
		if (fd_write_all(sp, buf, (size_t)k) != 0)
			goto fail;
	}
	if (k < 0 || lseek(sp, 0, SEEK_SET) != 0)
		goto fail;
	free(buf);
	return sp;
fail:
	k = errno;
	free(buf);
	if (sp >= 0)
		close(sp);
	errno = (int)k;
	return -1;
}

int annot_pipe(int fd, FILE **fp, int *spool, char *err, size_t errlen)
{
	uint8_t *head = malloc(12);
	ssize_t got = head ? read_full(fd, head, 12) : -1;
	size_t len = got > 0 ? (size_t)got : 0;
	uint32_t total;
	struct replay *r;
	cookie_io_functions_t io = { replay_read, NULL, NULL, replay_close };

	*fp = NULL;
	*spool = -1;
	if (got < 0) {
		snprintf(err, errlen, "%s", strerror(head ? errno : ENOMEM));
		free(head);
		return -1;
	}
	if (len == 12 && annot_shb_head(head, &total)) {
		uint8_t *p;

		/* A block libpcap refuses is left for libpcap to say so. */
		if (total >= 28 && total % 4 == 0 && total <= PCAPNG_SHB_MAX &&
		    (p = realloc(head, total)) != NULL) {
			head = p;
			got = read_full(fd, head + 12, total - 12);
			len = got > 0 ? 12 + (size_t)got : 12;
			if (got == (ssize_t)(total - 12) && annot_shb_ours(head, total)) {
				int d = -1;

				*spool = copy_pipe(fd, head, len);
				free(head);
				if (*spool >= 0 && (d = dup(*spool)) >= 0 && (*fp = fdopen(d, "rb")))
					return 0;
				snprintf(err, errlen, "temporary file: %s", strerror(errno));
				if (d >= 0)
					close(d);
				if (*spool >= 0)
					close(*spool);
				*spool = -1;
				return -1;
			}
		}
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(*fp = fopencookie(r, "rb", io))) {
		free(r);
		free(head);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->fd = fd;
	r->head = head;
	r->len = len;
	return 0;
}
