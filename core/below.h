/*
 * below.h - opening and reading files below a proc root: the one way every
 * read of the resolver (resolve_priv.h) reaches /proc or a directory standing
 * in for it (--proc-root).
 *
 * Trust. A root that is the root directory of a procfs mount (the kernel's
 * /proc, wherever mounted) is trusted: its files and symbolic links are the
 * kernel's (net -> self/net, self -> PID), so they are followed, but never
 * out of the root and never through a magic link (PID/cwd, PID/root,
 * PID/fd/N): openat2(2) RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS. Any other
 * root is untrusted input, made by whoever could write there: a path is
 * opened only beneath it and no symbolic link is followed in any
 * component (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so a comm, cmdline,
 * net/tcp, PID or net that is a link to a file outside the root is
 * refused instead of read. Where openat2 is missing (Linux < 5.6: ENOSYS)
 * the same is done by a walk of one component at a time with O_NOFOLLOW
 * (an untrusted root), or a plain openat (a trusted one).
 *
 * Symbolic links are read, never followed or opened, by below_readlink
 * and below_readlinkat: the fd/N links (socket:[INODE]) and ns/net
 * (net:[INODE]) are such text.
 *
 * Files. Only regular files are read: a file is opened O_NONBLOCK (a FIFO
 * then neither blocks the open nor a read) and, below an untrusted root,
 * checked with fstat after the open; a FIFO, device, socket or directory
 * is refused. (Opening may itself have an effect on a device node; making
 * one needs CAP_MKNOD, so a root made by an unprivileged user has none.)
 *
 * Bounds, so that a file of any size, or /dev/zero, never grows memory:
 *   - below_read_small reads at most size - 1 bytes, whatever the file;
 *   - below_lines reads a file in chunks of BELOW_CHUNK bytes through one
 *     buffer of that size (the only memory it takes), and hands out lines
 *     of at most BELOW_LINE_MAX bytes: a longer line (or a file with no
 *     newline) is skipped to its end, the lines after it are still read;
 *   - no more than BELOW_FILE_MAX bytes of one file are read: past them
 *     the file is cut (the partial line at the cut dropped, never parsed).
 * A refused path, a skipped line and a cut file are counted in struct
 * below, for the caller to warn once that its answer is not whole.
 *
 * Errors: -1 (or NULL) and errno, as open(2) gives it (ENOENT, EACCES...),
 * and for a refusal: ELOOP (a symbolic link), EXDEV (a path that leaves the
 * root: absolute, or with a ".." component), EINVAL (not a regular file;
 * ENXIO or ENODEV when the open itself fails on a socket file or a device).
 *
 * Not thread-safe: one thread at a time (the counters).
 */
#ifndef PROCTRAF_BELOW_H
#define PROCTRAF_BELOW_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BELOW_CHUNK (256 * 1024)	/* one read(); /proc/net/tcp is walked per read */
#define BELOW_LINE_MAX (64 * 1024)	/* a socket table line is ~150 bytes */
#define BELOW_FILE_MAX (256ULL << 20)	/* ~1.7 million /proc/net/tcp lines */

struct below {
	int fd;			/* the root directory */
	bool trusted;		/* a procfs root: see above */
	bool walk;		/* no openat2: walk components */
	uint64_t refused;	/* paths refused: symbolic links, escapes, not regular */
	uint64_t long_lines;	/* lines longer than BELOW_LINE_MAX, skipped */
	uint64_t cut_files;	/* files cut at BELOW_FILE_MAX (or by a read error) */
};

/* Open the root directory path (a path the user gave: followed). 0, or -1 and errno. */
int below_root_open(struct below *b, const char *path);
void below_root_close(struct below *b);

/*
 * The directory path below b as a root of its own, with b's trust: paths
 * are then opened, read and refused below sub as below b. For reads that
 * must stay in the one directory opened whatever happens to its name: a
 * /proc/PID directory stays the process it was opened for (the kernel's
 * /proc binds it to that process, not to its number; once the process is
 * gone its files are ENOENT), so a pid given to another process is never
 * read through it. sub's counters start at 0; below_fold adds them to b.
 * Close it with below_root_close. 0, or -1 and errno.
 */
int below_sub_open(struct below *b, const char *path, struct below *sub);

/* Add sub's counters to b's, and zero them. */
void below_fold(struct below *b, struct below *sub);

/*
 * For the tests: walk components (what is done without openat2) even
 * where openat2 is there.
 */
void below_force_walk(struct below *b);

/* A regular file below the root, O_RDONLY | O_NONBLOCK | O_CLOEXEC; -1 and errno. */
int below_open_file(struct below *b, const char *path);

/* A directory below the root, for readdir; NULL and errno. */
DIR *below_open_dir(struct below *b, const char *path);

/*
 * At most size - 1 bytes (size >= 1) of a regular file below the root into
 * buf, NUL-terminated; the number read, or -1 and errno.
 */
ssize_t below_read_small(struct below *b, const char *path, char *buf, size_t size);

/*
 * The text of the symbolic link at path (its last component is read, not
 * followed; the others are resolved as for a file), NUL-terminated; its
 * length, or -1 and errno (ENAMETOOLONG: it does not fit in size - 1).
 */
ssize_t below_readlink(struct below *b, const char *path, char *buf, size_t size);

/*
 * The same for the entry name (one component, as readdir gives it) of the
 * directory dirfd, which was opened below the root.
 */
ssize_t below_readlinkat(int dirfd, const char *name, char *buf, size_t size);

/* A file read line by line within the bounds above. */
struct below_lines {
	struct below *b;
	int fd;
	char *buf;		/* BELOW_CHUNK + 1 bytes */
	size_t start, end;	/* the text not handed out yet: buf[start..end) */
	size_t held_at;		/* buf[held_at] was overwritten by a line's NUL... */
	char held;		/* ... and held this */
	uint64_t total;		/* bytes read from the file */
	bool eof;		/* nothing more to read */
	bool cut;		/* ... because of a bound or an error: drop the partial line */
	bool skipping;		/* inside a line longer than BELOW_LINE_MAX */
};

/* 0, or -1 and errno (ENOMEM too). */
int below_lines_open(struct below *b, const char *path, struct below_lines *l);

/*
 * The next line, newline included (none on a last line without one),
 * NUL-terminated, *len its length; valid until the next call. NULL at
 * the end of the file or at its cut.
 */
const char *below_lines_next(struct below_lines *l, size_t *len);

void below_lines_close(struct below_lines *l);

#endif
