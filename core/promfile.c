/* promfile.c - the file of --prom, replaced whole; see promfile.h. */
#include "promfile.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cap-ng.h>

/* The largest text the writer process takes: far beyond any real file. */
#define PROMFILE_MAX (1UL << 30)
#define REPLY_MSG 480

enum { OP_PROBE = 1, OP_WRITE = 2 };

struct request {
	uint32_t op;
	uint32_t pad;
	uint64_t len;		/* OP_WRITE: the bytes that follow */
};

struct reply {
	int32_t rc;		/* 0, or -1 with msg */
	char msg[REPLY_MSG];
};

struct promfile {
	char *path;
	int sock;		/* to the writer process; -1: this process writes */
	pid_t pid;
};

/* ---- the replacement ----------------------------------------------- */

/*
 * The name of a new file beside path: DIR/.NAME.XXXXXX (for mkstemp),
 * and DIR for messages. NULL (errno) when path names no file.
 */
static char *temp_name(const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t plen = (size_t)(base - path);
	char *tmp;

	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		errno = EISDIR;
		return NULL;
	}
	if (!slash)
		snprintf(dir, dirlen, ".");
	else if (plen == 1)
		snprintf(dir, dirlen, "/");
	else
		snprintf(dir, dirlen, "%.*s", (int)(plen - 1), path);
	tmp = malloc(plen + strlen(base) + sizeof("/..XXXXXX"));
	if (tmp)
		sprintf(tmp, "%.*s.%s.XXXXXX", (int)plen, path, base);
	return tmp;
}

int promfile_replace(const char *path, const char *buf, size_t len, char *err, size_t errlen)
{
	char dir[4096];
	char *tmp = temp_name(path, dir, sizeof(dir));
	int fd, e;

	if (!tmp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot make a file in %s: %s", dir, strerror(errno));
		free(tmp);
		return -1;
	}
	/* mkstemp makes it 0600: node_exporter runs as another user. */
	if (fchmod(fd, 0644) != 0 || fd_write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "cannot write a file in %s: %s", dir, strerror(e));
		free(tmp);
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		snprintf(err, errlen, "cannot rename a new file to %s: %s", path, strerror(e));
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

/* A file made in path's directory and removed; path must not be a directory. */
static int probe(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	char *tmp = temp_name(path, dir, sizeof(dir));
	struct stat st;
	int fd;

	if (!tmp || (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
		snprintf(err, errlen, "%s: %s", path, strerror(tmp ? EISDIR : errno));
		free(tmp);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot make a file in %s: %s", dir, strerror(errno));
		free(tmp);
		return -1;
	}
	close(fd);
	unlink(tmp);
	free(tmp);
	return 0;
}

/* ---- the writer process -------------------------------------------- */

/* All of len bytes, or -1 (0 bytes at the end of the stream: 1). */
static int recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return p == buf ? 1 : -1;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* MSG_NOSIGNAL: a writer gone is an error to say, not a SIGPIPE that kills proctraf. */
static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Standard streams on /dev/null, the socket on 3, nothing else open. */
static int isolate(int sock)
{
	/* Out of the way first: the socket may be on 0, 1 or 2 if they were closed. */
	int s = fcntl(sock, F_DUPFD, 10);
	int null = open("/dev/null", O_RDWR);

	if (s < 0 || null < 0)
		return -1;
	for (int fd = 0; fd < 3; fd++) {
		if (fd != null && dup2(null, fd) < 0)
			return -1;
	}
	if (dup2(s, 3) < 0)
		return -1;
	if (close_range(4, ~0U, 0) != 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (long fd = 4; fd < (max > 0 ? max : 1024); fd++)
			close((int)fd);
	}
	return 0;
}

/* One request into *r: 0, or -1 when the stream has ended (or is not ours). */
static int serve_one(int sock, const char *path, const char *setup_err, struct reply *r)
{
	struct request q;
	char *buf = NULL;
	int rc = recv_all(sock, &q, sizeof(q));

	if (rc != 0)
		return -1;
	memset(r, 0, sizeof(*r));
	if (q.op == OP_WRITE) {
		if (q.len > PROMFILE_MAX)
			return -1;
		buf = malloc(q.len ? q.len : 1);
		if (!buf || recv_all(sock, buf, q.len) != 0) {
			free(buf);
			return -1;
		}
	}
	if (setup_err[0]) {
		snprintf(r->msg, sizeof(r->msg), "%s", setup_err);
		r->rc = -1;
	} else if (q.op == OP_PROBE) {
		r->rc = probe(path, r->msg, sizeof(r->msg));
	} else if (q.op == OP_WRITE) {
		r->rc = promfile_replace(path, buf, q.len, r->msg, sizeof(r->msg));
	} else {
		r->rc = -1;
		snprintf(r->msg, sizeof(r->msg), "unknown request %u", q.op);
	}
	free(buf);
	return 0;
}

/*
 * No capability left in any set (the bounding set too, when it may be
 * cut), no-new-privs, and read back. Not privs_apply: that one refuses a
 * process with a second thread, and a ThreadSanitizer build's child has
 * the sanitizer's own.
 */
static int drop_all(char *err, size_t errlen)
{
	bool bounded;

	if (capng_get_caps_process() != 0) {
		snprintf(err, errlen, "the writer cannot read its capabilities: %s",
			 strerror(errno));
		return -1;
	}
	bounded = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) == 1;
	capng_clear(CAPNG_SELECT_ALL);
	if ((bounded && capng_apply(CAPNG_SELECT_BOUNDS) != 0) ||
	    capng_apply(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT) != 0) {
		snprintf(err, errlen, "the writer cannot drop its capabilities: %s",
			 strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "the writer cannot set no-new-privs: %s", strerror(errno));
		return -1;
	}
	if (capng_get_caps_process() != 0 ||
	    capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE ||
	    (bounded && capng_have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE)) {
		snprintf(err, errlen, "the writer still holds capabilities");
		return -1;
	}
	return 0;
}

_Noreturn static void writer_main(int sock, const char *path)
{
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	char setup_err[REPLY_MSG] = "";
	struct reply r;

	/* proctraf's own end comes first: its last report must still be written. */
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	prctl(PR_SET_NAME, "proctraf-prom", 0, 0, 0);
	if (isolate(sock) != 0)
		_exit(1);
	/* Same ids, no capability kept: only what the user owns may be written. */
	drop_all(setup_err, sizeof(setup_err));
	while (serve_one(3, path, setup_err, &r) == 0) {
		if (send_all(3, &r, sizeof(r)) != 0)
			break;
	}
	_exit(0);
}

int promfile_open(const char *path, bool separate, struct promfile **out, char *err,
		  size_t errlen)
{
	struct promfile *f = calloc(1, sizeof(*f));
	int sv[2];

	*out = NULL;
	if (f)
		f->path = strdup(path);
	if (!f || !f->path) {
		free(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f->sock = -1;
	f->pid = -1;
	if (separate) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
			snprintf(err, errlen, "cannot make a socket for the writer: %s",
				 strerror(errno));
			promfile_close(f);
			return -1;
		}
		f->pid = fork();
		if (f->pid == 0) {
			close(sv[0]);
			writer_main(sv[1], f->path);
		}
		close(sv[1]);
		if (f->pid < 0) {
			snprintf(err, errlen, "cannot start the writer: %s", strerror(errno));
			close(sv[0]);
			promfile_close(f);
			return -1;
		}
		f->sock = sv[0];
	}
	*out = f;
	return 0;
}

/* One request to the writer process, and its reply. */
static int ask(struct promfile *f, uint32_t op, const char *buf, size_t len, char *err,
	       size_t errlen)
{
	struct request q = { op, 0, len };
	struct reply r;

	if (send_all(f->sock, &q, sizeof(q)) != 0 || (len && send_all(f->sock, buf, len) != 0) ||
	    recv_all(f->sock, &r, sizeof(r)) != 0) {
		snprintf(err, errlen, "the writer process has ended");
		return -1;
	}
	if (r.rc != 0) {
		r.msg[sizeof(r.msg) - 1] = '\0';
		snprintf(err, errlen, "%s", r.msg);
		return -1;
	}
	return 0;
}

int promfile_probe(struct promfile *f, char *err, size_t errlen)
{
	if (f->sock >= 0)
		return ask(f, OP_PROBE, NULL, 0, err, errlen);
	return probe(f->path, err, errlen);
}

int promfile_write(struct promfile *f, const char *buf, size_t len, char *err, size_t errlen)
{
	if (f->sock >= 0)
		return ask(f, OP_WRITE, buf, len, err, errlen);
	return promfile_replace(f->path, buf, len, err, errlen);
}

void promfile_close(struct promfile *f)
{
	if (!f)
		return;
	if (f->sock >= 0)
		close(f->sock);
	if (f->pid > 0) {
		while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(f->path);
	free(f);
}
