/*
 * test_cursor.c - bounds-checked reads (core/cursor.h).
 *
 * Every buffer is a heap block of exactly the bytes under test, so a read
 * one byte past the end is caught by ASan / valgrind, not only by the
 * assertions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../core/cursor.h"
#include "helpers.h"

/* An exact-size heap copy of n bytes (n may be 0). */
static uint8_t *exact(const uint8_t *src, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	if (n)
		memcpy(p, src, n);
	return p;
}

static const uint8_t pattern[8] = { 0x81, 0x02, 0xf3, 0x04, 0x95, 0x06, 0xa7, 0xff };

static void test_init_left(void **state)
{
	(void)state;
	uint8_t *buf = exact(pattern, 8);
	struct cursor c = cur_init(buf, 8);

	assert_ptr_equal(c.p, buf);
	assert_int_equal(cur_left(&c), 8);
	c = cur_init(buf, 0);
	assert_int_equal(cur_left(&c), 0);
	free(buf);
}

/*
 * Each fixed-width accessor, with 0 .. width+1 bytes left: it succeeds
 * exactly when at least width bytes are left; on failure the output and
 * the cursor are untouched.
 */
enum acc { ACC_U8, ACC_BE16, ACC_LE32, ACC_BE32 };

static bool run_acc(enum acc a, struct cursor *c, uint64_t *out)
{
	bool ok = false;

	switch (a) {
	case ACC_U8: {
		uint8_t v = 0xee;
		ok = cur_u8(c, &v);
		if (!ok)
			assert_int_equal(v, 0xee);
		*out = v;
		break;
	}
	case ACC_BE16: {
		uint16_t v = 0xeeee;
		ok = cur_be16(c, &v);
		if (!ok)
			assert_int_equal(v, 0xeeee);
		*out = v;
		break;
	}
	case ACC_LE32:
	case ACC_BE32: {
		uint32_t v = 0xeeeeeeee;
		ok = a == ACC_LE32 ? cur_le32(c, &v) : cur_be32(c, &v);
		if (!ok)
			assert_int_equal(v, 0xeeeeeeee);
		*out = v;
		break;
	}
	}
	return ok;
}

static uint64_t value_of(enum acc a, const uint8_t *b)
{
	switch (a) {
	case ACC_U8:
		return b[0];
	case ACC_BE16:
		return (uint64_t)b[0] << 8 | b[1];
	case ACC_LE32:
		return (uint64_t)b[3] << 24 | (uint64_t)b[2] << 16 | (uint64_t)b[1] << 8 | b[0];
	case ACC_BE32:
		return (uint64_t)b[0] << 24 | (uint64_t)b[1] << 16 | (uint64_t)b[2] << 8 | b[3];
	}
	return 0;
}

static void check_accessor(enum acc a, size_t width)
{
	for (size_t left = 0; left <= width + 1; left++) {
		uint8_t *buf = exact(pattern, left);
		struct cursor c = cur_init(buf, left);
		uint64_t v = 0;
		bool ok = run_acc(a, &c, &v);

		if (left < width) {
			assert_false(ok);
			assert_ptr_equal(c.p, buf);
			assert_int_equal(cur_left(&c), left);
		} else {
			assert_true(ok);
			assert_int_equal(v, value_of(a, pattern));
			assert_ptr_equal(c.p, buf + width);
			assert_int_equal(cur_left(&c), left - width);
		}
		free(buf);
	}
}

static void test_u8_bounds(void **state)
{
	(void)state;
	check_accessor(ACC_U8, 1);
}

static void test_be16_bounds(void **state)
{
	(void)state;
	check_accessor(ACC_BE16, 2);
}

static void test_le32_bounds(void **state)
{
	(void)state;
	check_accessor(ACC_LE32, 4);
}

static void test_be32_bounds(void **state)
{
	(void)state;
	check_accessor(ACC_BE32, 4);
}

/* Byte order and full-range values, read one after the other. */
static void test_values_in_sequence(void **state)
{
	(void)state;
	static const uint8_t bytes[] = {
		0xff,				/* u8 */
		0x80, 0x01,			/* be16 */
		0x01, 0x02, 0x03, 0x84,		/* le32 */
		0xfe, 0xdc, 0xba, 0x98,		/* be32 */
	};
	uint8_t *buf = exact(bytes, sizeof(bytes));
	struct cursor c = cur_init(buf, sizeof(bytes));
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	assert_true(cur_u8(&c, &u8));
	assert_int_equal(u8, 0xff);
	assert_true(cur_be16(&c, &u16));
	assert_int_equal(u16, 0x8001);
	assert_true(cur_le32(&c, &u32));
	assert_int_equal(u32, 0x84030201u);
	assert_true(cur_be32(&c, &u32));
	assert_int_equal(u32, 0xfedcba98u);
	assert_int_equal(cur_left(&c), 0);
	/* Past the end: every accessor fails. */
	u8 = 7;
	assert_false(cur_u8(&c, &u8));
	assert_int_equal(u8, 7);
	assert_false(cur_be16(&c, &u16));
	assert_false(cur_le32(&c, &u32));
	assert_false(cur_be32(&c, &u32));
	assert_int_equal(u32, 0xfedcba98u);
	free(buf);
}

static void test_skip(void **state)
{
	(void)state;
	uint8_t *buf = exact(pattern, 5);
	struct cursor c = cur_init(buf, 5);

	assert_true(cur_skip(&c, 0));
	assert_int_equal(cur_left(&c), 5);
	assert_ptr_equal(c.p, buf);
	assert_false(cur_skip(&c, 6));		/* n = left + 1 */
	assert_int_equal(cur_left(&c), 5);
	assert_ptr_equal(c.p, buf);
	assert_false(cur_skip(&c, SIZE_MAX));	/* no wrap-around */
	assert_int_equal(cur_left(&c), 5);
	assert_true(cur_skip(&c, 4));		/* n = left - 1 */
	assert_int_equal(cur_left(&c), 1);
	assert_ptr_equal(c.p, buf + 4);
	assert_false(cur_skip(&c, 2));
	assert_int_equal(cur_left(&c), 1);
	assert_true(cur_skip(&c, 1));		/* n = left */
	assert_int_equal(cur_left(&c), 0);
	assert_ptr_equal(c.p, buf + 5);
	assert_false(cur_skip(&c, 1));
	assert_true(cur_skip(&c, 0));
	assert_int_equal(cur_left(&c), 0);
	free(buf);
}

static void test_bytes(void **state)
{
	(void)state;
	for (size_t n = 0; n <= 8; n++) {
		/* From a cursor holding exactly n bytes: n-1, n, n+1 requested. */
		uint8_t *buf = exact(pattern, n);
		for (size_t want = n ? n - 1 : 0; want <= n + 1; want++) {
			struct cursor c = cur_init(buf, n);
			uint8_t out[16];
			memset(out, 0xee, sizeof(out));
			bool ok = cur_bytes(&c, out, want);
			if (want <= n) {
				assert_true(ok);
				if (want)
					assert_memory_equal(out, pattern, want);
				assert_int_equal(out[want], 0xee);	/* nothing more written */
				assert_int_equal(cur_left(&c), n - want);
				assert_ptr_equal(c.p, buf + want);
			} else {
				assert_false(ok);
				for (size_t i = 0; i < sizeof(out); i++)
					assert_int_equal(out[i], 0xee);
				assert_int_equal(cur_left(&c), n);
				assert_ptr_equal(c.p, buf);
			}
		}
		free(buf);
	}
}

static void test_sub(void **state)
{
	(void)state;
	uint8_t *buf = exact(pattern, 8);
	struct cursor c = cur_init(buf, 8);
	struct cursor sub = { (const uint8_t *)"x", 99 };
	uint16_t v16;
	uint8_t v8;

	/* Too long: parent and sub untouched. */
	assert_false(cur_sub(&c, 9, &sub));
	assert_int_equal(cur_left(&c), 8);
	assert_ptr_equal(c.p, buf);
	assert_int_equal(sub.left, 99);

	/* 3 bytes: the parent moves past them, the sub covers exactly them. */
	assert_true(cur_skip(&c, 1));
	assert_true(cur_sub(&c, 3, &sub));
	assert_ptr_equal(sub.p, buf + 1);
	assert_int_equal(cur_left(&sub), 3);
	assert_ptr_equal(c.p, buf + 4);
	assert_int_equal(cur_left(&c), 4);
	assert_true(cur_be16(&sub, &v16));
	assert_int_equal(v16, 0x02f3);
	/* The sub ends at its own end, though the parent has bytes left. */
	assert_false(cur_be16(&sub, &v16));
	assert_int_equal(v16, 0x02f3);
	assert_true(cur_u8(&sub, &v8));
	assert_int_equal(v8, 0x04);
	assert_false(cur_u8(&sub, &v8));
	assert_int_equal(v8, 0x04);
	assert_false(cur_skip(&sub, 1));

	/* The parent continues where the sub began + 3. */
	assert_true(cur_u8(&c, &v8));
	assert_int_equal(v8, 0x95);

	/* Empty sub, and a sub of exactly what is left. */
	assert_true(cur_sub(&c, 0, &sub));
	assert_int_equal(cur_left(&sub), 0);
	assert_false(cur_u8(&sub, &v8));
	assert_int_equal(cur_left(&c), 3);
	assert_true(cur_sub(&c, 3, &sub));
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(cur_left(&sub), 3);
	assert_ptr_equal(sub.p, buf + 5);
	assert_false(cur_sub(&c, 1, &sub));
	assert_int_equal(cur_left(&sub), 3);	/* untouched on failure */
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_left),
		cmocka_unit_test(test_u8_bounds),
		cmocka_unit_test(test_be16_bounds),
		cmocka_unit_test(test_le32_bounds),
		cmocka_unit_test(test_be32_bounds),
		cmocka_unit_test(test_values_in_sequence),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_sub),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
