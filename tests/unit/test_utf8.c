/*
 * test_utf8.c - UTF-8 decoding and display widths (core/utf8.h).
 *
 * utf8_decode is checked on examples of every class of input, then on
 * every sequence of two and three bytes (and the four-byte ones with a
 * sample of last bytes) against the table of well-formed byte sequences
 * of the Unicode standard (chapter 3, table 3-7), a formulation of its
 * own: ranges of bytes, not a decoded value checked afterwards.
 */
#include "unit.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../core/utf8.h"
#include "helpers.h"

/* utf8_decode of the bytes (NUL-terminated by the caller). */
static size_t dec(const char *s, uint32_t *cp)
{
	*cp = 0xdeadbeef;
	return utf8_decode((const unsigned char *)s, cp);
}

static void ok(const char *s, size_t n, uint32_t want)
{
	uint32_t cp;

	assert_int_equal(dec(s, &cp), n);
	assert_int_equal(cp, want);
}

static void bad(const char *s)
{
	uint32_t cp;

	if (dec(s, &cp) != 0)
		fail_msg("utf8_decode took %02x %02x %02x %02x as a character", (unsigned char)s[0],
			 s[0] ? (unsigned char)s[1] : 0, s[0] && s[1] ? (unsigned char)s[2] : 0,
			 s[0] && s[1] && s[2] ? (unsigned char)s[3] : 0);
}

static void test_decode_examples(void **state)
{
	(void)state;
	/* ASCII, controls included (the NUL too: one byte, U+0000). */
	ok("A", 1, 'A');
	ok("\x01", 1, 1);
	ok("\x7f", 1, 0x7f);
	ok("", 1, 0);
	ok("\x1b[", 1, 0x1b);
	/* Two bytes: U+0080 .. U+07FF; only the first character is read. */
	ok("\xc2\x80", 2, 0x80);
	ok("\xc3\xa9xyz", 2, 0xe9);
	ok("\xdf\xbf", 2, 0x7ff);
	/* Three bytes: U+0800 .. U+FFFF without the surrogates. */
	ok("\xe0\xa0\x80", 3, 0x800);
	ok("\xe6\x97\xa5", 3, 0x65e5);
	ok("\xed\x9f\xbf", 3, 0xd7ff);
	ok("\xee\x80\x80", 3, 0xe000);
	ok("\xe2\x80\xa8", 3, 0x2028);
	ok("\xef\xbf\xbf", 3, 0xffff);
	/* Four bytes: U+10000 .. U+10FFFF. */
	ok("\xf0\x90\x80\x80", 4, 0x10000);
	ok("\xf0\x9f\x98\x80", 4, 0x1f600);
	ok("\xf4\x8f\xbf\xbf", 4, 0x10ffff);
	/* A stray continuation byte. */
	bad("\x80");
	bad("\xbf");
	bad("\x80\x80");
	/* Overlong forms. */
	bad("\xc0\x80");
	bad("\xc0\xaf");
	bad("\xc1\xbf");
	bad("\xe0\x80\x80");
	bad("\xe0\x9f\xbf");
	bad("\xf0\x80\x80\x80");
	bad("\xf0\x8f\xbf\xbf");
	/* Surrogates, encoded. */
	bad("\xed\xa0\x80");
	bad("\xed\xad\xbf");
	bad("\xed\xb2\x80");
	bad("\xed\xbf\xbf");
	/* Beyond U+10FFFF, and bytes that start nothing. */
	bad("\xf4\x90\x80\x80");
	bad("\xf4\xbf\xbf\xbf");
	bad("\xf5\x80\x80\x80");
	bad("\xf7\xbf\xbf\xbf");
	bad("\xf8\x88\x80\x80\x80");
	bad("\xfc\x84\x80\x80\x80\x80");
	bad("\xfe");
	bad("\xff");
	/* Cut: by the end of the string, by ASCII, by another lead byte. */
	bad("\xc3");
	bad("\xe6\x97");
	bad("\xf0\x9f\x98");
	bad("\xc3" "A");
	bad("\xe6\x97" "A");
	bad("\xe6" "A\xa5");
	bad("\xf0\x9f\x98" "A");
	bad("\xc3\xc3\xa9");
	bad("\xe6\xe6\x97\xa5");
}

/* Table 3-7: the second byte's range after a lead byte; 0 when b0 leads nothing. */
static int ref_ranges(unsigned b0, unsigned *lo, unsigned *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (b0 >= 0xc2 && b0 <= 0xdf)
		return 2;
	if (b0 == 0xe0)
		*lo = 0xa0;
	else if (b0 == 0xed)
		*hi = 0x9f;
	else if (b0 == 0xf0)
		*lo = 0x90;
	else if (b0 == 0xf4)
		*hi = 0x8f;
	if (b0 >= 0xe0 && b0 <= 0xef)
		return 3;
	if (b0 >= 0xf0 && b0 <= 0xf4)
		return 4;
	return 0;
}

/* The reference: the length of a well-formed sequence at s, and its code point, or 0. */
static size_t ref_decode(const unsigned char *s, uint32_t *cp)
{
	unsigned lo, hi;
	int n;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	n = ref_ranges(s[0], &lo, &hi);
	if (n == 0 || s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	c = s[0] & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
	for (int i = 1; i < n; i++)
		c = c << 6 | (s[i] & 0x3f);
	*cp = c;
	return (size_t)n;
}

static void check_against_ref(const unsigned char *s)
{
	uint32_t a = 0, b = 0;
	size_t n = utf8_decode(s, &a), m = ref_decode(s, &b);

	if (n != m || (n && a != b))
		fail_msg("%02x %02x %02x %02x: utf8_decode %zu (U+%04X), Unicode's table %zu "
			 "(U+%04X)", s[0], s[1], s[2], s[3], n, (unsigned)a, m, (unsigned)b);
}

static void test_decode_exhaustive(void **state)
{
	unsigned char s[6] = { 0 };
	uint64_t x = 99;
	static const unsigned char last[] = { 0x00, 0x41, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff };
	size_t valid3 = 0;

	(void)state;
	/* Every byte, then every byte after it (a NUL after that). */
	for (unsigned b0 = 1; b0 < 256; b0++) {
		s[0] = (unsigned char)b0;
		for (unsigned b1 = 0; b1 < 256; b1++) {
			s[1] = (unsigned char)b1;
			s[2] = 0;
			check_against_ref(s);
		}
	}
	/* Every three-byte start (E0-EF) with every two bytes after it. */
	for (unsigned b0 = 0xe0; b0 <= 0xef; b0++) {
		s[0] = (unsigned char)b0;
		for (unsigned b1 = 1; b1 < 256; b1++) {
			s[1] = (unsigned char)b1;
			for (unsigned b2 = 0; b2 < 256; b2++) {
				uint32_t cp;
				s[2] = (unsigned char)b2;
				s[3] = 0;
				check_against_ref(s);
				valid3 += ref_decode(s, &cp) == 3;
			}
		}
	}
	/* U+0800 .. U+FFFF but the 2048 surrogates. */
	assert_int_equal(valid3, 0x10000 - 0x800 - 0x800);
	/* Four-byte starts (and F5-F7) with every two bytes after, a sample of last bytes. */
	for (unsigned b0 = 0xf0; b0 <= 0xf7; b0++) {
		s[0] = (unsigned char)b0;
		for (unsigned b1 = 1; b1 < 256; b1++) {
			s[1] = (unsigned char)b1;
			for (unsigned b2 = 1; b2 < 256; b2++) {
				s[2] = (unsigned char)b2;
				for (size_t k = 0; k < sizeof(last); k++) {
					s[3] = last[k];
					s[4] = 0;
					check_against_ref(s);
				}
			}
		}
	}
	/* And random strings of four bytes, weighted to bytes above 0x7f. */
	for (int i = 0; i < 2000000; i++) {
		uint64_t r = rng_next(&x);
		for (int k = 0; k < 4; k++) {
			s[k] = (unsigned char)(r >> (8 * k));
			if (s[k] == 0 || (r >> (32 + k) & 1))
				s[k] |= 0x80;
		}
		s[4] = 0;
		check_against_ref(s);
	}
	/* Every code point encoded decodes to itself, in the length it needs. */
	for (uint32_t cp = 1; cp <= 0x10ffff; cp++) {
		unsigned char e[5] = { 0 };
		uint32_t got;
		size_t n;

		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		if (cp < 0x80) {
			e[0] = (unsigned char)cp;
			n = 1;
		} else if (cp < 0x800) {
			e[0] = (unsigned char)(0xc0 | cp >> 6);
			e[1] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			e[0] = (unsigned char)(0xe0 | cp >> 12);
			e[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
			e[2] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			e[0] = (unsigned char)(0xf0 | cp >> 18);
			e[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
			e[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
			e[3] = (unsigned char)(0x80 | (cp & 0x3f));
			n = 4;
		}
		if (utf8_decode(e, &got) != n || got != cp)
			fail_msg("U+%04X does not decode to itself", (unsigned)cp);
	}
}

/* ---- widths -------------------------------------------------------- */

/* Run in the locale named (LC_CTYPE only), as the writers do. */
struct in_locale {
	locale_t loc, old;
};

static void enter(struct in_locale *l, const char *name)
{
	l->loc = newlocale(LC_CTYPE_MASK, name, (locale_t)0);
	if (!l->loc)
		fail_msg("no %s locale", name);
	l->old = uselocale(l->loc);
}

static void leave(struct in_locale *l)
{
	uselocale(l->old);
	freelocale(l->loc);
}

/* What must never reach a terminal as it is: -1 in any locale. */
static void check_hidden(void)
{
	static const uint32_t bidi[] = { 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066,
					 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c };
	static const uint32_t invisible[] = { 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff };

	for (uint32_t cp = 0; cp < 0x20; cp++)
		assert_int_equal(utf8_width(cp), -1);
	assert_int_equal(utf8_width(0x7f), -1);
	for (uint32_t cp = 0x80; cp < 0xa0; cp++)
		assert_int_equal(utf8_width(cp), -1);
	for (size_t i = 0; i < sizeof(bidi) / sizeof(bidi[0]); i++)
		assert_int_equal(utf8_width(bidi[i]), -1);
	for (size_t i = 0; i < sizeof(invisible) / sizeof(invisible[0]); i++)
		assert_int_equal(utf8_width(invisible[i]), -1);
	/* Printable ASCII: one column. */
	for (uint32_t cp = 0x20; cp < 0x7f; cp++)
		assert_int_equal(utf8_width(cp), 1);
	/* Next to the hidden ranges: printable, one column. */
	assert_int_equal(utf8_width(0xa0), 1);
	assert_int_equal(utf8_width(0x61b), 1);
	assert_int_equal(utf8_width(0x61d), 1);
	assert_int_equal(utf8_width(0x200a), 1);
	assert_int_equal(utf8_width(0x2010), 1);
	assert_int_equal(utf8_width(0x202f), 1);
	assert_int_equal(utf8_width(0x205f), 1);
}

static void test_width_utf8_locale(void **state)
{
	struct in_locale l;

	(void)state;
	enter(&l, "C.UTF-8");
	assert_true(MB_CUR_MAX > 1);
	check_hidden();
	assert_int_equal(utf8_width(0xe9), 1);		/* é */
	assert_int_equal(utf8_width(0x3b1), 1);		/* α */
	assert_int_equal(utf8_width(0x20ac), 1);	/* € */
	assert_int_equal(utf8_width(0xfffd), 1);
	/* East Asian wide: two columns. */
	assert_int_equal(utf8_width(0x65e5), 2);	/* 日 */
	assert_int_equal(utf8_width(0x672c), 2);
	assert_int_equal(utf8_width(0xac00), 2);	/* 가 */
	assert_int_equal(utf8_width(0xff21), 2);	/* Ａ, fullwidth */
	assert_int_equal(utf8_width(0x1f600), 2);	/* an emoji */
	/* Combining marks: none. */
	assert_int_equal(utf8_width(0x301), 0);
	assert_int_equal(utf8_width(0x308), 0);
	assert_int_equal(utf8_width(0x20dd), 0);
	/* Not a character: wcwidth calls it unprintable. */
	assert_int_equal(utf8_width(0x10ffff), -1);
	assert_int_equal(utf8_width(0xffff), -1);
	/* Line and paragraph separators: unprintable to wcwidth too. */
	assert_int_equal(utf8_width(0x2028), -1);
	assert_int_equal(utf8_width(0x2029), -1);
	leave(&l);
}

/* In a locale that is not UTF-8 there is no wcwidth to ask: one column each. */
static void test_width_c_locale(void **state)
{
	struct in_locale l;

	(void)state;
	enter(&l, "C");
	assert_int_equal(MB_CUR_MAX, 1);
	check_hidden();
	assert_int_equal(utf8_width(0xe9), 1);
	assert_int_equal(utf8_width(0x65e5), 1);
	assert_int_equal(utf8_width(0x1f600), 1);
	assert_int_equal(utf8_width(0x301), 1);
	assert_int_equal(utf8_width(0x10ffff), 1);
	leave(&l);
	/* The thread's locale is back: C.UTF-8 widths again. */
	enter(&l, "C.UTF-8");
	assert_int_equal(utf8_width(0x65e5), 2);
	leave(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_examples),
		cmocka_unit_test(test_decode_exhaustive),
		cmocka_unit_test(test_width_utf8_locale),
		cmocka_unit_test(test_width_c_locale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
