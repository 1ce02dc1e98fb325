/*
 * Unit tests: least privilege (core/privs.h). The plan is a pure function
 * of what the run does and who runs it: its whole table is tested here.
 * Applying it is tested in forked children, which read their own
 * /proc/self/status afterwards; as root only (skipped otherwise), since
 * only root has the capabilities and ids to give up.
 */
#include "unit.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/privs.h"

#define BIT(c) (UINT64_C(1) << (c))
#define READ_PROCS (BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_SYS_PTRACE))
#define NETNS BIT(CAP_SYS_ADMIN)
#define NICE BIT(CAP_SYS_NICE)

static const struct privs_self root = { 0, 0, 0, 0, false, 65534, 65534 };
static const struct privs_self user = { 1000, 1000, 100, 100, false, 65534, 65534 };
/* A user running a copy with file capabilities: the kernel sets AT_SECURE. */
static const struct privs_self filecaps = { 1000, 1000, 100, 100, true, 65534, 65534 };
static const struct privs_self setuid_root = { 1000, 0, 100, 100, true, 65534, 65534 };
static const struct privs_self setgid_only = { 1000, 1000, 100, 5, true, 65534, 65534 };

static struct privs_plan plan_of(const struct privs_need *n, const struct privs_self *s)
{
	struct privs_plan p;
	char err[256] = "";

	assert_int_equal(privs_plan(n, s, &p, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	return p;
}

/* A live capture of the real /proc: the fd walk, other namespaces, real time. */
static void plan_live_root(void **state)
{
	struct privs_need n = { .live = true, .real_proc = true, .realtime = true };
	struct privs_plan p = plan_of(&n, &root);

	(void)state;
	assert_true(p.keep == (READ_PROCS | NETNS | NICE));
	assert_false(p.before_open);
	/* uid 0 without capabilities still owns the system's files. */
	assert_true(p.change_ids);
	assert_int_equal(p.uid, 65534);
	assert_int_equal(p.gid, 65534);
	n.realtime = false;		/* --no-realtime */
	p = plan_of(&n, &root);
	assert_true(p.keep == (READ_PROCS | NETNS));
	/* The user database's nobody, whatever its ids. */
	struct privs_self other = root;
	other.nobody_uid = 99;
	other.nobody_gid = 98;
	p = plan_of(&n, &other);
	assert_int_equal(p.uid, 99);
	assert_int_equal(p.gid, 98);
}

/* Another proc root is files: nothing to read them, no namespace to enter. */
static void plan_live_other_root(void **state)
{
	struct privs_need n = { .live = true, .real_proc = false, .realtime = true };
	struct privs_plan p = plan_of(&n, &root);

	(void)state;
	assert_true(p.keep == NICE);
	n.realtime = false;
	p = plan_of(&n, &root);
	assert_true(p.keep == 0);
	assert_true(p.change_ids);
}

/* A file keeps nothing, whatever proc root and realtime say. */
static void plan_file(void **state)
{
	(void)state;
	for (int real = 0; real < 2; real++) {
		for (int rt = 0; rt < 2; rt++) {
			struct privs_need n = { .live = false, .real_proc = real, .realtime = rt };
			struct privs_plan p = plan_of(&n, &root);

			assert_true(p.keep == 0);
			assert_false(p.before_open);	/* root may read its own files */
			assert_true(p.change_ids);
			assert_int_equal(p.uid, 65534);
			p = plan_of(&n, &user);
			assert_true(p.keep == 0);
			assert_false(p.before_open);
			assert_false(p.change_ids);
		}
	}
}

/* A user without privilege: the plan asks for the set, apply keeps what is held. */
static void plan_plain_user(void **state)
{
	struct privs_need n = { .live = true, .real_proc = true, .realtime = true };
	struct privs_plan p = plan_of(&n, &user);

	(void)state;
	assert_true(p.keep == (READ_PROCS | NETNS | NICE));
	assert_false(p.change_ids);
	assert_false(p.before_open);
}

/* File capabilities: the user's own ids; a file is opened after the drop. */
static void plan_file_capabilities(void **state)
{
	struct privs_need n = { .live = true, .real_proc = true, .realtime = false };
	struct privs_plan p = plan_of(&n, &filecaps);

	(void)state;
	assert_true(p.keep == (READ_PROCS | NETNS));
	assert_false(p.change_ids);
	assert_false(p.before_open);
	n.live = false;
	p = plan_of(&n, &filecaps);
	assert_true(p.keep == 0);
	assert_true(p.before_open);
	n.real_proc = false;
	p = plan_of(&n, &filecaps);
	assert_true(p.keep == 0);
	assert_true(p.before_open);
}

/* With AT_SECURE, a live capture with another proc root is refused, with a reason. */
static void plan_refused(void **state)
{
	struct privs_need n = { .live = true, .real_proc = false, .realtime = true };
	const struct privs_self *who[] = { &filecaps, &setuid_root, &setgid_only };
	struct privs_plan p;

	(void)state;
	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		char err[256] = "";

		assert_int_equal(privs_plan(&n, who[i], &p, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "--proc-root"));
		assert_non_null(strstr(err, "-r"));
	}
}

/* setuid or setgid: back to the ids of whoever ran it, not to nobody. */
static void plan_setuid(void **state)
{
	struct privs_need n = { .live = true, .real_proc = true, .realtime = true };
	struct privs_plan p = plan_of(&n, &setuid_root);

	(void)state;
	assert_true(p.change_ids);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.gid, 100);
	assert_true(p.keep == (READ_PROCS | NETNS | NICE));
	p = plan_of(&n, &setgid_only);
	assert_true(p.change_ids);
	assert_int_equal(p.uid, 1000);
	assert_int_equal(p.gid, 100);
	n.live = false;
	p = plan_of(&n, &setuid_root);
	assert_true(p.before_open);
	assert_true(p.keep == 0);
}

static void names(void **state)
{
	char buf[128], tiny[8];

	(void)state;
	privs_names(READ_PROCS, buf, sizeof(buf));
	assert_string_equal(buf, "cap_dac_read_search,cap_sys_ptrace");
	privs_names(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	privs_names(READ_PROCS | NICE, tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);	/* cut, terminated */
}

/* ---- applying, in children ------------------------------------------ */

/* What /proc/self/status says of the calling thread. */
struct status {
	uint64_t inh, prm, eff, bnd, amb;
	unsigned long uid[4], gid[4];
	int nnp;
	char groups[512];
};

static void read_status(struct status *st)
{
	FILE *f = fopen("/proc/thread-self/status", "r");
	char line[512];

	memset(st, 0, sizeof(*st));
	st->nnp = -1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "CapInh: %llx", &v) == 1)
			st->inh = v;
		else if (sscanf(line, "CapPrm: %llx", &v) == 1)
			st->prm = v;
		else if (sscanf(line, "CapEff: %llx", &v) == 1)
			st->eff = v;
		else if (sscanf(line, "CapBnd: %llx", &v) == 1)
			st->bnd = v;
		else if (sscanf(line, "CapAmb: %llx", &v) == 1)
			st->amb = v;
		else if (sscanf(line, "NoNewPrivs: %d", &st->nnp) == 1)
			continue;
		else if (sscanf(line, "Uid: %lu %lu %lu %lu", &st->uid[0], &st->uid[1], &st->uid[2],
				&st->uid[3]) == 4)
			continue;
		else if (sscanf(line, "Gid: %lu %lu %lu %lu", &st->gid[0], &st->gid[1], &st->gid[2],
				&st->gid[3]) == 4)
			continue;
		else if (strncmp(line, "Groups:", 7) == 0)
			snprintf(st->groups, sizeof(st->groups), "%s", line + 7);
	}
	fclose(f);
}

/* A test run in a child: it writes why it failed to fd, or nothing. */
typedef void (*child_fn)(int fd, const void *arg);

static void say(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1) < 0)
		_exit(3);
}

static void in_child(child_fn fn, const void *arg)
{
	int p[2];
	pid_t pid;
	char why[1024] = "";
	ssize_t n, got = 0;
	int status = 0;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		fn(p[1], arg);
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], why + got, sizeof(why) - 1 - (size_t)got)) > 0)
		got += n;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (got > 0)
		fail_msg("%s", why);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static bool am_root(void)
{
	if (geteuid() == 0)
		return true;
	print_message("skipped: needs root\n");
	return false;
}

/* Every set is the kept one (or, bounding, unchanged), the ids changed, no-new-privs. */
static void expect(int fd, uint64_t kept, uint64_t bnd, unsigned long uid, unsigned long gid)
{
	struct status st;

	read_status(&st);
	if (st.eff != kept || st.prm != kept || st.bnd != bnd || st.inh || st.amb)
		say(fd, "caps eff %llx prm %llx bnd %llx inh %llx amb %llx, want %llx (bnd %llx)",
		    (unsigned long long)st.eff, (unsigned long long)st.prm,
		    (unsigned long long)st.bnd, (unsigned long long)st.inh,
		    (unsigned long long)st.amb, (unsigned long long)kept, (unsigned long long)bnd);
	for (int i = 0; i < 4; i++) {
		if (st.uid[i] != uid || st.gid[i] != gid)
			say(fd, "ids %lu/%lu, want %lu/%lu", st.uid[i], st.gid[i], uid, gid);
	}
	if (strspn(st.groups, " \t\n") != strlen(st.groups))
		say(fd, "supplementary groups left:%s", st.groups);
	if (st.nnp != 1)
		say(fd, "NoNewPrivs %d", st.nnp);
}

static void apply_or_say(int fd, const struct privs_plan *p)
{
	char err[512] = "";

	if (privs_apply(p, err, sizeof(err)) != 0)
		say(fd, "privs_apply: %s", err);
}

static void *thread_status(void *arg)
{
	read_status(arg);
	return NULL;
}

/* Root: exactly the plan's set, as nobody; bounding set cut to it; threads made later alike. */
static void child_root(int fd, const void *arg)
{
	const struct privs_plan *p = arg;
	struct status mine, theirs;
	pthread_t t;

	apply_or_say(fd, p);
	expect(fd, p->keep, p->keep, p->uid, p->gid);
	read_status(&mine);
	if (pthread_create(&t, NULL, thread_status, &theirs) != 0) {
		say(fd, "cannot make a thread");
		return;
	}
	pthread_join(t, NULL);
	if (theirs.eff != mine.eff || theirs.prm != mine.prm || theirs.bnd != mine.bnd ||
	    theirs.nnp != 1 || theirs.uid[1] != mine.uid[1])
		say(fd, "a later thread has caps %llx/%llx/%llx nnp %d uid %lu",
		    (unsigned long long)theirs.eff, (unsigned long long)theirs.prm,
		    (unsigned long long)theirs.bnd, theirs.nnp, theirs.uid[1]);
}

static void apply_live_root(void **state)
{
	struct privs_plan p = { .keep = READ_PROCS | NETNS | NICE, .change_ids = true,
				.uid = 65534, .gid = 65534 };

	(void)state;
	if (am_root())
		in_child(child_root, &p);
}

/* Root, a file: nothing at all. */
static void apply_file_root(void **state)
{
	struct privs_plan p = { .keep = 0, .change_ids = true, .uid = 65534, .gid = 65534 };

	(void)state;
	if (am_root())
		in_child(child_root, &p);
}

static void *idle(void *arg)
{
	int fd = *(int *)arg;
	char c;

	/* Until the test closes the other end. */
	return read(fd, &c, 1) < 0 ? NULL : NULL;
}

/* A second thread would keep everything: refused, and nothing given up. */
static void child_threads(int fd, const void *arg)
{
	const struct privs_plan *p = arg;
	struct status before, after;
	char err[512] = "";
	pthread_t t;
	int q[2];

	(void)arg;
	read_status(&before);
	if (pipe(q) != 0 || pthread_create(&t, NULL, idle, &q[0]) != 0) {
		say(fd, "cannot make a thread");
		return;
	}
	if (privs_apply(p, err, sizeof(err)) == 0)
		say(fd, "privs_apply with two threads did not fail");
	else if (!strstr(err, "thread"))
		say(fd, "message does not say why: %s", err);
	read_status(&after);
	if (after.eff != before.eff || after.uid[1] != before.uid[1])
		say(fd, "something was dropped anyway");
	close(q[1]);
	pthread_join(t, NULL);
}

static void apply_refused_with_threads(void **state)
{
	struct privs_plan p = { .keep = 0, .change_ids = true, .uid = 65534, .gid = 65534 };

	(void)state;
	if (am_root())
		in_child(child_threads, &p);
}

/*
 * Without CAP_SETPCAP and CAP_SETUID (a user with file capabilities): what
 * is held of the plan is kept, the bounding set stays, ids stay.
 */
static void child_filecaps(int fd, const void *arg)
{
	const struct privs_plan *p = arg;
	struct status st;
	char err[512] = "";

	(void)arg;
	/* Become such a user: uid 1000, with CAP_NET_RAW and CAP_DAC_READ_SEARCH only. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setgroups(0, NULL) != 0 ||
	    setresgid(100, 100, 100) != 0 || setresuid(1000, 1000, 1000) != 0) {
		say(fd, "cannot become uid 1000");
		return;
	}
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	d[0].permitted = d[0].effective = 1u << CAP_NET_RAW | 1u << CAP_DAC_READ_SEARCH;
	if (syscall(SYS_capset, &h, d) != 0) {
		say(fd, "capset: %s", strerror(errno));
		return;
	}
	read_status(&st);
	if (privs_apply(p, err, sizeof(err)) != 0) {
		say(fd, "privs_apply: %s", err);
		return;
	}
	expect(fd, BIT(CAP_DAC_READ_SEARCH), st.bnd, 1000, 100);
}

static void apply_file_capabilities(void **state)
{
	struct privs_plan p = { .keep = READ_PROCS | NETNS };

	(void)state;
	if (am_root())
		in_child(child_filecaps, &p);
}

/* Root without CAP_SETUID (a container's, say): stays uid 0, drops capabilities all the same. */
static void child_root_no_setuid(int fd, const void *arg)
{
	const struct privs_plan *p = arg;
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) != 0) {
		say(fd, "capget: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < 2; i++) {
		d[i].effective &= ~(1u << CAP_SETUID | 1u << CAP_SETGID);
		d[i].permitted &= ~(1u << CAP_SETUID | 1u << CAP_SETGID);
		if (i == 1)
			d[i].effective = d[i].permitted = 0;	/* caps 32 and up: none needed */
	}
	if (syscall(SYS_capset, &h, d) != 0) {
		say(fd, "capset: %s", strerror(errno));
		return;
	}
	apply_or_say(fd, p);
	expect(fd, p->keep, p->keep, 0, 0);
}

static void apply_root_without_setuid(void **state)
{
	struct privs_plan p = { .keep = READ_PROCS, .change_ids = true, .uid = 65534,
				.gid = 65534 };

	(void)state;
	if (am_root())
		in_child(child_root_no_setuid, &p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plan_live_root),
		cmocka_unit_test(plan_live_other_root),
		cmocka_unit_test(plan_file),
		cmocka_unit_test(plan_plain_user),
		cmocka_unit_test(plan_file_capabilities),
		cmocka_unit_test(plan_refused),
		cmocka_unit_test(plan_setuid),
		cmocka_unit_test(names),
		cmocka_unit_test(apply_live_root),
		cmocka_unit_test(apply_file_root),
		cmocka_unit_test(apply_refused_with_threads),
		cmocka_unit_test(apply_file_capabilities),
		cmocka_unit_test(apply_root_without_setuid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
