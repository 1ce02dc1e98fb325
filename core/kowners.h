/*
 * kowners.h - the in-kernel owner source (ownersrc.h) as the resolver's
 * fallback during a live capture.
 *
 * The kernel's programs say, in the system call that makes or uses a
 * socket, which process holds it: no race with a process that lives a
 * millisecond. What they cannot say (sockets made before the start,
 * ICMP, raw and the other protocols they do not cover) is left to the
 * /proc + sock_diag path, which is asked first: resolver_set_fallback
 * puts kowners_source behind it, as /proc names a socket's holder after a
 * fork where the kernel names its maker, and the kernel answers the ends
 * /proc finds no holder for (the socket or its process gone before any
 * look).
 *
 * A kernel record becomes a struct proc_info once per process (pid and
 * start time): uid, network namespace and name from the record; the
 * command line from /proc/PID/cmdline, read when the process's first
 * report was taken in by kowners_poll (kcmdline.h), or else when the
 * answer is built, only while /proc/PID/stat shows the same process
 * (start time and name); a process already gone by its first poll has
 * its name alone, an empty command line; the cgroup
 * from the record's cgroup id (owner_src_cgroup_path), and the systemd
 * unit and container it names (cgroup.h). These proc_info never move nor
 * go away until kowners_free.
 *
 * Not thread-safe, like the source itself: one thread at a time (the
 * session's resolver lock) polls, looks up and frees.
 */
#ifndef PROCTRAF_KOWNERS_H
#define PROCTRAF_KOWNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resolve.h"
#include "tuple.h"

/* Which owner source a live capture uses (--owners). */
enum owners_mode {
	OWNERS_MODE_AUTO,	/* the kernel's when it loads, else /proc */
	OWNERS_MODE_KERNEL,	/* the kernel's, or fail */
	OWNERS_MODE_PROC,	/* /proc + sock_diag only */
};

struct kowners;
struct owner_src;

struct kowners_opts {
	bool debug;		/* libbpf's own messages on stderr (else none) */
	size_t ring_bytes;	/* the kernel's ring buffer; 0: ownersrc.h's default */
};

/*
 * Load and attach the kernel's programs (the caller's privileges, before
 * they are dropped). opts NULL: the defaults. 0 and *out; or a negative
 * errno with err saying why in one line.
 */
int kowners_open(struct kowners **out, const struct kowners_opts *opts, char *err,
		 size_t errlen);

/* Detach the programs, free the records and every proc_info. NULL: nothing. */
void kowners_free(struct kowners *k);

/*
 * Take in what the kernel reported since the last call. 0, or -1 (a
 * broken ring buffer; err says why, and later polls do nothing).
 */
int kowners_poll(struct kowners *k, char *err, size_t errlen);

/*
 * A descriptor readable when the kernel has written reports that
 * kowners_poll has not taken yet; -1 where there is none (the hash map
 * of kernels without ring buffers: poll on a timer).
 */
int kowners_fd(const struct kowners *k);

/*
 * The owner of end e, as the kernel reported it: OWNER_FOUND and *owner
 * (*local then true), or OWNER_NO_SOCKET. wild: a socket with no peer, or
 * one bound to the wildcard address, may answer (e's local address is one
 * of this host, or multicast); else only a socket with exactly these two
 * ends. A socket of our own network namespace first, then of any. An
 * owner_source's lookup (resolve.h); ctx is the struct kowners.
 */
enum owner_status kowners_lookup_end(void *ctx, const struct flow_end *e, bool wild,
				     const struct proc_info **owner, bool *local);

/* k as an owner source, for resolver_set_fallback; valid while k lives. */
const struct owner_source *kowners_source(struct kowners *k);

struct kowners_stats {
	uint64_t events;	/* the kernel's reports taken in */
	uint64_t lost;		/* reports the kernel had no room for */
	uint64_t answers;	/* lookups answered */
	size_t processes;	/* proc_info made */
};
void kowners_stats(const struct kowners *k, struct kowners_stats *st);

/*
 * kowners_stats's lost alone, read from the programs' counters: any
 * thread may ask while another polls (owner_src_lost).
 */
uint64_t kowners_lost(const struct kowners *k);

#endif
