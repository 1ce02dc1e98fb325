/*
 * test_walkplan.c - the order and the end of the fd walks (core/walkplan.h),
 * on made-up pids: no file is read.
 */
#include "unit.h"

#include <limits.h>
#include <stdio.h>

#include "../../core/walkplan.h"

#define PID_MAX 32768

static void test_new_count(void **state)
{
	(void)state;
	assert_int_equal(walkplan_new_count(100, 105, PID_MAX, WALK_QUICK_MAX), 5);
	assert_int_equal(walkplan_new_count(100, 100, PID_MAX, WALK_QUICK_MAX), 0);
	/* Wrapped at pid_max: 32767 and 1, 2 (no pid 0). */
	assert_int_equal(walkplan_new_count(32766, 2, PID_MAX, WALK_QUICK_MAX), 3);
	/* Unknown, or too many for a quick walk: a deep walk must. */
	assert_int_equal(walkplan_new_count(-1, 5, PID_MAX, WALK_QUICK_MAX), -1);
	assert_int_equal(walkplan_new_count(5, -1, PID_MAX, WALK_QUICK_MAX), -1);
	assert_int_equal(walkplan_new_count(100, 100 + WALK_QUICK_MAX, PID_MAX, WALK_QUICK_MAX),
			 WALK_QUICK_MAX);
	assert_int_equal(walkplan_new_count(100, 101 + WALK_QUICK_MAX, PID_MAX, WALK_QUICK_MAX),
			 -1);
	/* Not pids of this pid_max. */
	assert_int_equal(walkplan_new_count(100, PID_MAX, PID_MAX, WALK_QUICK_MAX), -1);
	assert_int_equal(walkplan_prev_pid(100, PID_MAX), 99);
	assert_int_equal(walkplan_prev_pid(1, PID_MAX), PID_MAX - 1);
}

static void test_sort_by_age(void **state)
{
	int pids[] = { 10, 32000, 500, 20, 31 };
	int by_number[] = { 10, 32000, 500, 20, 31 };

	(void)state;
	/* Newest first: just below the last pid given out (30), then wrapping. */
	walkplan_sort_by_age(pids, 5, 30, PID_MAX);
	assert_int_equal(pids[0], 20);
	assert_int_equal(pids[1], 10);
	assert_int_equal(pids[2], 32000);
	assert_int_equal(pids[3], 500);
	assert_int_equal(pids[4], 31);	/* given out just after the last one wrapped */
	/* No last pid known: highest first. */
	walkplan_sort_by_age(by_number, 5, -1, 0);
	assert_int_equal(by_number[0], 32000);
	assert_int_equal(by_number[1], 500);
	assert_int_equal(by_number[4], 10);
}

/* A step's letter in a plan written as text ("T103 T102 C0 P50 ..."), to compare whole. */
static const char how[] = {
	[WALK_TASK] = 'T',	    [WALK_WHOLE] = 'W',		[WALK_HINTED] = 'H',
	[WALK_HINTED_PROBED] = 'P', [WALK_CHECK_CLOSED] = 'C', [WALK_REGISTER] = 'R',
};

/* The steps of a quick plan, as text. */
static void quick_steps(struct quick_plan *p, char *out, size_t size)
{
	struct walk_step s;
	size_t n = 0;

	out[0] = '\0';
	while (quick_plan_next(p, &s) && n + 16 < size) {
		assert_false(s.always);	/* every quick step ends once all is placed */
		n += (size_t)snprintf(out + n, size - n, n ? " %c%d" : "%c%d", how[s.how],
				      s.how == WALK_CHECK_CLOSED ? 0 : s.pid);
	}
}

static void test_quick_plan(void **state)
{
	int recent[WALK_RECENT] = { 50, 0, 60 };
	int young[] = { 7, 8 };
	struct quick_plan p;
	char got[1024];

	(void)state;
	assert_true(quick_plan_start(&p, 100, 103, PID_MAX, recent, young, 2));
	quick_steps(&p, got, sizeof(got));
	/* New pids newest first, the check, recent ones, 16 up to the last walk's, young ones. */
	assert_string_equal(got, "T103 T102 T101 C0 P50 P60 T100 T99 T98 T97 T96 T95 T94 T93 "
				 "T92 T91 T90 T89 T88 T87 T86 T85 H7 H8");

	/* Wrapped: 2, 1, then 32767; and the 16 again from 32766 down. */
	assert_true(quick_plan_start(&p, 32766, 2, PID_MAX, recent, NULL, 0));
	quick_steps(&p, got, sizeof(got));
	assert_true(strncmp(got, "T2 T1 T32767 C0 P50 P60 T32766 T32765", 37) == 0);

	/* Too many new pids, or none known: no quick walk. */
	assert_false(quick_plan_start(&p, 100, 100 + WALK_QUICK_MAX + 1, PID_MAX, recent, young,
				      2));
	assert_false(quick_plan_start(&p, -1, 100, PID_MAX, recent, young, 2));
}

/* The steps of a deep plan, as text; "!" marks one taken always. */
static void deep_steps(struct deep_plan *p, char *out, size_t size)
{
	struct walk_step s;
	size_t n = 0;

	out[0] = '\0';
	while (deep_plan_next(p, &s) && n + 16 < size)
		n += (size_t)snprintf(out + n, size - n, n ? " %c%d%s" : "%c%d%s", how[s.how],
				      s.pid, s.always ? "!" : "");
}

static void test_deep_plan(void **state)
{
	int fresh[] = { 5, 4 }, known[] = { 3, 2 };
	struct deep_plan p;
	char got[256];

	(void)state;
	/* Every fresh process read and registered (always); the check; known ones while needed. */
	deep_plan_start(&p, fresh, 2, known, 2, false, false);
	deep_steps(&p, got, sizeof(got));
	assert_string_equal(got, "W5! R5! W4! R4! C0 W3 W2");
	/* The first walk, nothing to place: only take note of the fresh processes. */
	deep_plan_start(&p, fresh, 2, known, 2, true, true);
	deep_steps(&p, got, sizeof(got));
	assert_string_equal(got, "R5! R4!");
	/* The first walk with sockets to place walks as any other. */
	deep_plan_start(&p, fresh, 2, known, 2, true, false);
	deep_steps(&p, got, sizeof(got));
	assert_string_equal(got, "W5! R5! W4! R4! C0 W3 W2");
	/* No known process: no check for closed sockets before them. */
	deep_plan_start(&p, fresh, 1, NULL, 0, false, false);
	deep_steps(&p, got, sizeof(got));
	assert_string_equal(got, "W5! R5!");
	deep_plan_start(&p, NULL, 0, NULL, 0, false, false);
	deep_steps(&p, got, sizeof(got));
	assert_string_equal(got, "");
}

static void test_youngest(void **state)
{
	int fresh[] = { 5, 4 }, known[] = { 3, 2, 1 }, young[3];

	(void)state;
	assert_int_equal(walkplan_youngest(fresh, 2, known, 3, young, 3), 3);
	assert_int_equal(young[0], 5);
	assert_int_equal(young[1], 4);
	assert_int_equal(young[2], 3);
	assert_int_equal(walkplan_youngest(NULL, 0, known, 1, young, 3), 1);
	assert_int_equal(young[0], 3);
}

static void test_fd_window(void **state)
{
	struct fd_window w;

	(void)state;
	/* A small table, or one never read whole: read whole. */
	assert_false(walkplan_fd_window(WALK_HINT_MIN - 1, 500, &w));
	assert_false(walkplan_fd_window(0, 0, &w));
	assert_true(walkplan_fd_window(WALK_HINT_MIN, 100, &w));
	assert_int_equal(w.first, 100 - WALK_HINT_BELOW);
	assert_int_equal(w.last, 100 + WALK_HINT_ABOVE);
	assert_int_equal(w.misses, WALK_HINT_MISSES);
	assert_true(walkplan_fd_window(1000, 10, &w));
	assert_int_equal(w.first, 0);
	/* No overflow past the largest fd number. */
	assert_true(walkplan_fd_window(1000, INT_MAX - 1, &w));
	assert_int_equal(w.last, INT_MAX);
}

static void test_note_recent(void **state)
{
	int recent[WALK_RECENT] = { 0 };

	(void)state;
	for (int pid = 1; pid <= WALK_RECENT + 2; pid++)
		walkplan_note_recent(recent, pid);
	/* Latest first; the oldest fell off. */
	assert_int_equal(recent[0], WALK_RECENT + 2);
	assert_int_equal(recent[WALK_RECENT - 1], 3);
	/* One met again moves to the front, the others keep their order. */
	walkplan_note_recent(recent, 5);
	assert_int_equal(recent[0], 5);
	assert_int_equal(recent[1], WALK_RECENT + 2);
	walkplan_note_recent(recent, 5);
	assert_int_equal(recent[0], 5);
	assert_int_equal(recent[1], WALK_RECENT + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_count),   cmocka_unit_test(test_sort_by_age),
		cmocka_unit_test(test_quick_plan),  cmocka_unit_test(test_deep_plan),
		cmocka_unit_test(test_youngest),    cmocka_unit_test(test_fd_window),
		cmocka_unit_test(test_note_recent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
