/* privs.c - least privilege after the capture is open; see privs.h. */
#include "privs.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

#define CAP_BIT(c) (UINT64_C(1) << (c))
#define CAP_ALL 64	/* capabilities a 64-bit set can name; the kernel knows fewer */

void privs_self(struct privs_self *self)
{
	uid_t suid;
	gid_t sgid;
	struct passwd pw, *res = NULL;
	char buf[1024];

	getresuid(&self->ruid, &self->euid, &suid);
	getresgid(&self->rgid, &self->egid, &sgid);
	self->secure = getauxval(AT_SECURE) != 0;
	self->nobody_uid = PRIVS_NOBODY;
	self->nobody_gid = PRIVS_NOBODY;
	if (getpwnam_r("nobody", &pw, buf, sizeof(buf), &res) == 0 && res) {
		self->nobody_uid = pw.pw_uid;
		self->nobody_gid = pw.pw_gid;
	}
}

int privs_plan(const struct privs_need *need, const struct privs_self *self,
	       struct privs_plan *plan, char *err, size_t errlen)
{
	memset(plan, 0, sizeof(*plan));
	/*
	 * The capture needs the privilege, and a proc root the user chose
	 * must not be read with it: opened with it, its symlinks would show
	 * files the user may not read.
	 */
	if (self->secure && need->live && !need->real_proc) {
		snprintf(err, errlen,
			 "--proc-root other than /proc is not read with file capabilities or "
			 "setuid, except with -r (which drops every privilege first)");
		return -1;
	}
	if (need->live && need->real_proc)
		plan->keep |= CAP_BIT(CAP_DAC_READ_SEARCH) | CAP_BIT(CAP_SYS_PTRACE) |
			      CAP_BIT(CAP_SYS_ADMIN);
	if (need->live && need->realtime)
		plan->keep |= CAP_BIT(CAP_SYS_NICE);
	/* A file the user names is opened with the user's own rights. */
	plan->before_open = self->secure && !need->live;
	if (self->ruid != self->euid || self->rgid != self->egid) {
		/* setuid or setgid: back to whoever ran it. */
		plan->change_ids = true;
		plan->uid = self->ruid;
		plan->gid = self->rgid;
	} else if (self->euid == 0) {
		/* Without capabilities uid 0 still owns /etc, /usr and /root. */
		plan->change_ids = true;
		plan->uid = self->nobody_uid;
		plan->gid = self->nobody_gid;
	}
	return 0;
}

void privs_names(uint64_t caps, char *buf, size_t size)
{
	size_t at = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (unsigned c = 0; c < CAP_ALL && at < size; c++) {
		const char *name;
		int n;

		if (!(caps & CAP_BIT(c)))
			continue;
		name = capng_capability_to_name(c);
		n = name ? snprintf(buf + at, size - at, "%scap_%s", at ? "," : "", name)
			 : snprintf(buf + at, size - at, "%s%u", at ? "," : "", c);
		if (n < 0)
			break;
		at += (size_t)n;
	}
	if (at == 0)
		snprintf(buf, size, "none");
}

/* The process's threads (/proc/self/status); 0 when it cannot be read. */
static long thread_count(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Threads: %ld", &n) == 1)
			break;
	}
	fclose(f);
	return n;
}

/* The capabilities of one set (CAPNG_PERMITTED, ...) as libcap-ng last read them. */
static uint64_t held(capng_type_t which)
{
	uint64_t caps = 0;

	for (unsigned c = 0; c < CAP_ALL; c++) {
		if (capng_have_capability(which, c) == 1)
			caps |= CAP_BIT(c);
	}
	return caps;
}

/*
 * Become uid and gid for good. PR_SET_KEEPCAPS keeps the permitted set
 * across the change from uid 0 (the effective set is cleared, and set
 * again by the caller). Only supplementary groups we may drop are dropped:
 * a setgid proctraf without CAP_SETGID has the caller's own.
 */
static int change_ids(uid_t uid, gid_t gid, bool may_setgroups, char *err, size_t errlen)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot keep capabilities across a uid change: %s",
			 strerror(errno));
		return -1;
	}
	if (may_setgroups && setgroups(0, NULL) != 0) {
		snprintf(err, errlen, "cannot drop supplementary groups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) != 0) {
		snprintf(err, errlen, "cannot change to gid %lu: %s", (unsigned long)gid,
			 strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) != 0) {
		snprintf(err, errlen, "cannot change to uid %lu: %s", (unsigned long)uid,
			 strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot reset keep-capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * May the ids become uid and gid? Going back to ids the process already
 * has (a setuid copy's caller) needs nothing; others need CAP_SETUID and
 * CAP_SETGID, which root in a container may lack: it then stays uid 0,
 * with the capabilities dropped all the same.
 */
static bool may_change_ids(uid_t uid, gid_t gid)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;

	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	return (uid == r || uid == e || uid == s ||
		capng_have_capability(CAPNG_EFFECTIVE, CAP_SETUID) == 1) &&
	       (gid == rg || gid == eg || gid == sg ||
		capng_have_capability(CAPNG_EFFECTIVE, CAP_SETGID) == 1);
}

/* Read everything back: what the kernel holds now must be what was asked. */
static int verify(const struct privs_plan *plan, uint64_t kept, bool bounded, bool ids,
		  char *err, size_t errlen)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	uint64_t eff, prm, bnd;
	char want[512];

	if (capng_get_caps_process() != 0) {
		snprintf(err, errlen, "cannot read capabilities back: %s", strerror(errno));
		return -1;
	}
	eff = held(CAPNG_EFFECTIVE);
	prm = held(CAPNG_PERMITTED);
	bnd = held(CAPNG_BOUNDING_SET);
	if (eff != kept || prm != kept || held(CAPNG_INHERITABLE) || held(CAPNG_AMBIENT) ||
	    (bounded && bnd != kept)) {
		privs_names(kept, want, sizeof(want));
		snprintf(err, errlen,
			 "capabilities not dropped: effective %#llx, permitted %#llx, bounding %#llx; "
			 "wanted %s", (unsigned long long)eff, (unsigned long long)prm,
			 (unsigned long long)bnd, want);
		return -1;
	}
	if (ids) {
		getresuid(&r, &e, &s);
		getresgid(&rg, &eg, &sg);
		if (r != plan->uid || e != plan->uid || s != plan->uid || rg != plan->gid ||
		    eg != plan->gid || sg != plan->gid) {
			snprintf(err, errlen, "ids not changed: uid %lu gid %lu",
				 (unsigned long)e, (unsigned long)eg);
			return -1;
		}
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) {
		snprintf(err, errlen, "no-new-privs not set");
		return -1;
	}
	return 0;
}

int privs_apply(const struct privs_plan *plan, char *err, size_t errlen)
{
	uint64_t kept;
	bool bounded, may_setgroups, ids;

	/* Another thread would keep every capability it has. */
	if (thread_count() > 1) {
		snprintf(err, errlen, "privileges must be dropped before any thread is made");
		return -1;
	}
	if (capng_get_caps_process() != 0) {
		snprintf(err, errlen, "cannot read capabilities: %s", strerror(errno));
		return -1;
	}
	kept = plan->keep & held(CAPNG_PERMITTED);
	/* The bounding set can be cut only with CAP_SETPCAP (file capabilities lack it). */
	bounded = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) == 1;
	may_setgroups = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETGID) == 1;
	ids = plan->change_ids && may_change_ids(plan->uid, plan->gid);
	capng_clear(CAPNG_SELECT_ALL);
	for (unsigned c = 0; c < CAP_ALL; c++) {
		if ((kept & CAP_BIT(c)) &&
		    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
				 c) != 0) {
			snprintf(err, errlen, "cannot keep capability %u", c);
			return -1;
		}
	}
	/* The bounding set first, while CAP_SETPCAP is still held. */
	if (bounded && capng_apply(CAPNG_SELECT_BOUNDS) != 0) {
		snprintf(err, errlen, "cannot clear the capability bounding set: %s",
			 strerror(errno));
		return -1;
	}
	if (ids && change_ids(plan->uid, plan->gid, may_setgroups, err, errlen) != 0)
		return -1;
	if (capng_apply(CAPNG_SELECT_CAPS | CAPNG_SELECT_AMBIENT) != 0) {
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "cannot set no-new-privs: %s", strerror(errno));
		return -1;
	}
	return verify(plan, kept, bounded, ids, err, errlen);
}
