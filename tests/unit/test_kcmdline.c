/*
 * test_kcmdline.c - command lines read as the kernel's reports come in
 * (core/kcmdline.c), on a fixture standing in for /proc: a process noted
 * while it ran keeps its command line after it is gone; one gone before
 * it was noted has none; a pid reused by another process (another start
 * time, or another name) lends nothing; each incarnation is read once;
 * and what is kept is bounded (two generations, the older dropped).
 */
#include "unit.h"
#include "helpers.h"

#include "../../core/kcmdline.h"

/* PID/stat with name comm and start time start (field 22), and PID/cmdline. */
static void put_proc(const char *root, int pid, const char *comm, unsigned long long start,
		     const char *cmdline, size_t cmdlen)
{
	char rel[64], buf[512];

	snprintf(rel, sizeof(rel), "%d/stat", pid);
	snprintf(buf, sizeof(buf),
		 "%d (%s) S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %llu 1000 100\n", pid,
		 comm, start);
	fx_puts(root, rel, buf);
	snprintf(rel, sizeof(rel), "%d/cmdline", pid);
	fx_write(root, rel, cmdline, cmdlen);
}

static void rm_proc(const char *root, int pid)
{
	char rel[32];

	snprintf(rel, sizeof(rel), "%d", pid);
	fx_rm(root, rel);
}

/* Noted while it ran, taken after it ended: its command line, NULs as spaces. */
static void test_noted_then_gone(void **state)
{
	char *root = fx_new_root(), *cmd;
	struct kcmdline *c = kcmdline_new(root);
	struct kcmdline_stats st;

	(void)state;
	assert_non_null(c);
	put_proc(root, 4242, "python3", 777, "python3\0-c\0pass\0", 17);
	kcmdline_note(c, 4242, 777, "python3");
	rm_proc(root, 4242);
	cmd = kcmdline_take(c, 4242, 777, "python3");
	assert_non_null(cmd);
	assert_string_equal(cmd, "python3 -c pass");
	free(cmd);
	/* Handed over: not kept any more, and the process is gone. */
	assert_null(kcmdline_take(c, 4242, 777, "python3"));
	kcmdline_stats(c, &st);
	assert_int_equal(st.read, 1);
	assert_int_equal(st.gone, 0);
	kcmdline_free(c);
	fx_rmtree(root);
	free(root);
}

/* Gone before it was noted: nothing, and that is remembered (not read again). */
static void test_gone_before(void **state)
{
	char *root = fx_new_root();
	struct kcmdline *c = kcmdline_new(root);
	struct kcmdline_stats st;

	(void)state;
	assert_non_null(c);
	kcmdline_note(c, 4243, 778, "curl");
	put_proc(root, 4243, "curl", 778, "curl\0late\0", 10);
	kcmdline_note(c, 4243, 778, "curl");
	kcmdline_stats(c, &st);
	assert_int_equal(st.gone, 1);
	assert_int_equal(st.read, 0);
	kcmdline_free(c);
	fx_rmtree(root);
	free(root);
}

/* The pid of another incarnation, or another name (an exec), lends nothing. */
static void test_other_process(void **state)
{
	char *root = fx_new_root();
	struct kcmdline *c = kcmdline_new(root);

	(void)state;
	assert_non_null(c);
	put_proc(root, 4244, "nc", 900, "nc\0-u\0", 6);
	kcmdline_note(c, 4244, 899, "nc");
	assert_null(kcmdline_take(c, 4244, 899, "nc"));
	kcmdline_note(c, 4244, 900, "python3");
	assert_null(kcmdline_take(c, 4244, 900, "python3"));
	/* No start time known: never read. */
	kcmdline_note(c, 4244, 0, "nc");
	assert_null(kcmdline_take(c, 4244, 0, "nc"));
	kcmdline_free(c);
	fx_rmtree(root);
	free(root);
}

/* Once per incarnation: a later change of the file is not read again. */
static void test_once(void **state)
{
	char *root = fx_new_root(), *cmd;
	struct kcmdline *c = kcmdline_new(root);

	(void)state;
	assert_non_null(c);
	put_proc(root, 4245, "app", 1000, "app\0first\0", 10);
	kcmdline_note(c, 4245, 1000, "app");
	put_proc(root, 4245, "app", 1000, "app\0second\0", 11);
	kcmdline_note(c, 4245, 1000, "app");
	cmd = kcmdline_take(c, 4245, 1000, "app");
	assert_string_equal(cmd, "app first");
	free(cmd);
	kcmdline_free(c);
	fx_rmtree(root);
	free(root);
}

/*
 * Bounded: command lines of nearly KCMDLINE_MAX bytes fill a generation's
 * KCMDLINE_GEN_BYTES in a few hundred processes; after two generations
 * more, the first ones are dropped, the last ones still there.
 */
static void test_bounded(void **state)
{
	enum { LONG = KCMDLINE_MAX - 1 };
	const int per_gen = (int)(KCMDLINE_GEN_BYTES / (LONG + 1));
	const int n = 2 * per_gen + 8;
	char *root = fx_new_root(), *cmd, *long_cmd = malloc(LONG);
	struct kcmdline *c = kcmdline_new(root);
	struct kcmdline_stats st;

	(void)state;
	assert_non_null(c);
	assert_non_null(long_cmd);
	memset(long_cmd, 'a', LONG);
	for (int i = 0; i < n; i++) {
		put_proc(root, 10000 + i, "w", 5000 + (unsigned long long)i, long_cmd, LONG);
		kcmdline_note(c, 10000 + (uint32_t)i, 5000 + (uint64_t)i, "w");
		rm_proc(root, 10000 + i);
	}
	kcmdline_stats(c, &st);
	assert_int_equal(st.read, n);
	assert_true(st.dropped >= (uint64_t)per_gen - 1);
	assert_null(kcmdline_take(c, 10000, 5000, "w"));
	cmd = kcmdline_take(c, 10000 + (uint32_t)n - 1, 5000 + (uint64_t)n - 1, "w");
	assert_non_null(cmd);
	assert_int_equal(strlen(cmd), LONG);
	free(cmd);
	kcmdline_free(c);
	free(long_cmd);
	fx_rmtree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_noted_then_gone),
		cmocka_unit_test(test_gone_before),
		cmocka_unit_test(test_other_process),
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
