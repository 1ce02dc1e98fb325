/*
 * privs.h - least privilege: once the capture is open, keep only the
 * capabilities the rest of the run needs.
 *
 * Opening a live capture needs CAP_NET_RAW and CAP_NET_ADMIN, and nothing
 * after that does. The run itself needs, at most:
 *
 *   CAP_DAC_READ_SEARCH  other users' /proc/PID/fd directories (mode 0500)
 *   CAP_SYS_PTRACE       the links in them and /proc/PID/ns/net, whose
 *                        reading the kernel checks as a ptrace (any
 *                        process not ours, or holding a capability we lack)
 *   CAP_SYS_ADMIN        setns(2) into another network namespace, to open
 *                        a sock_diag socket there (diag_open_in); only
 *                        with the real /proc, the only root sock_diag serves
 *   CAP_SYS_NICE         SCHED_FIFO for the capture and resolver threads,
 *                        unless --no-realtime
 *
 * A live capture keeps those (what it holds of them) and nothing else:
 * effective, permitted and bounding sets alike; inheritable and ambient
 * sets empty. Reading a file keeps nothing: no capability is left when its
 * first packet is parsed. Root becomes the user nobody (65534) as well,
 * because uid 0 without capabilities still owns most of the file system
 * (when it may: root without CAP_SETUID and CAP_SETGID stays uid 0); a
 * setuid or setgid proctraf goes back to the ids of the user who ran it.
 * No-new-privs is set in every case, so nothing executed could gain a
 * privilege back.
 *
 * Capabilities belong to threads: privs_apply works on the calling thread
 * only, and refuses to run once the process has another; the threads made
 * after it (session_run's) start with its reduced set.
 *
 * With file capabilities or setuid (AT_SECURE), what the user names is
 * opened with the user's own rights: reading a file, everything is dropped
 * before the file is opened; a proc root other than /proc is refused for a
 * live capture (the capture itself needs the privilege) and read, with -r,
 * after everything is dropped.
 *
 * Errors are returned as values with a message, as elsewhere in core/.
 */
#ifndef PROCTRAF_PRIVS_H
#define PROCTRAF_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What the run will do. */
struct privs_need {
	bool live;		/* a live capture (else a file, -r) */
	bool real_proc;		/* the proc root is the real /proc */
	bool realtime;		/* SCHED_FIFO is wanted (no --no-realtime) */
};

/* Who the process is (privs_self). */
struct privs_self {
	uid_t ruid, euid;
	gid_t rgid, egid;
	bool secure;		/* AT_SECURE: file capabilities, setuid or setgid */
	uid_t nobody_uid;	/* the user root becomes */
	gid_t nobody_gid;
};

/* What to do, and when. */
struct privs_plan {
	uint64_t keep;		/* capabilities kept (bit n: capability n), if held */
	bool before_open;	/* drop before the capture (and proc root) are opened */
	bool change_ids;	/* become uid, gid (no supplementary groups) */
	uid_t uid;
	gid_t gid;
};

#define PRIVS_NOBODY 65534	/* nobody's ids when the user database has none */

/* The calling process's ids, AT_SECURE, and the user nobody's ids. */
void privs_self(struct privs_self *self);

/*
 * The plan for need, as self. 0; or -1 with a message in err when the run
 * must be refused (a proc root other than /proc, live, with AT_SECURE).
 */
int privs_plan(const struct privs_need *need, const struct privs_self *self,
	       struct privs_plan *plan, char *err, size_t errlen);

/*
 * Carry the plan out on the calling thread, which must be the process's
 * only one: keep what the plan keeps of what is held, change ids, set
 * no-new-privs, then read everything back. 0, or -1 with a message in err
 * (then the process may hold less than before, never more).
 */
int privs_apply(const struct privs_plan *plan, char *err, size_t errlen);

/* "cap_dac_read_search,cap_sys_ptrace" (or "none") for a set of capabilities. */
void privs_names(uint64_t caps, char *buf, size_t size);

#endif
