/*
 * Names from the input: record ids that can never name a path or pass for
 * another id, names quoted for messages, and the natural order of page
 * files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "common/names.h"
#include "testutil.h"

/* ---- record ids ---- */

static void test_record_id_accepts(void **state)
{
	static const char *const good[] = {
		"HT-2021-00042",
		"a",
		"Z",
		"0",
		"9-",
		"x_",
		"A1_b2-C3",
		"2021",
		"KS_2019_000123",
		"abc--def",
		"a__b",
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(good); i++)
		if (!kho_record_id_valid(good[i]))
			fail_msg("'%s' is refused", good[i]);

	char id[KHO_RECORD_ID_MAX + 2];
	memset(id, 'x', KHO_RECORD_ID_MAX);
	id[KHO_RECORD_ID_MAX] = '\0';
	assert_int_equal(strlen(id), 64);
	assert_true(kho_record_id_valid(id));
	id[0] = '7';
	id[63] = '-';
	assert_true(kho_record_id_valid(id));
}

static void test_record_id_refuses(void **state)
{
	static const char *const bad[] = {
		"",
		".",
		"..",
		"../x",
		"a/b",
		"/abs",
		"a\\b",
		"-x",
		"_x",
		".x",
		"x.",
		"HT.2021",
		"page-1.tif",
		"HT 2021",
		" HT",
		"HT ",
		"HT\t1",
		"HT\n1",
		"HT\r",
		"\x01",
		"a\x1f",
		"a\x7f",
		"HT:1",
		"HT*",
		"HT?",
		"a;b",
		"a'b",
		"a\"b",
		"a$b",
		"~x",
		/* Cyrillic Н and Т that look like Latin H and T */
		"\xD0\x9D\xD0\xA2-2021-1",
		"H\xD0\xA2-2021-1",
		/* Latin letters outside ASCII */
		"Hộ-tịch-1",
		"caf\xC3\xA9",
		/* full-width digit one */
		"HT-\xEF\xBC\x91",
		"\xC3",
		"\xFF",
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(bad); i++)
		if (kho_record_id_valid(bad[i]))
			fail_msg("case %zu ('%s') is taken for an id", i,
				 bad[i]);

	char id[KHO_RECORD_ID_MAX + 2];
	memset(id, 'x', KHO_RECORD_ID_MAX + 1);
	id[KHO_RECORD_ID_MAX + 1] = '\0';
	assert_int_equal(strlen(id), 65);
	assert_false(kho_record_id_valid(id));
	char longer[300];
	memset(longer, '1', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_false(kho_record_id_valid(longer));
	assert_non_null(strstr(KHO_RECORD_ID_RULE, "64"));
}

/* ---- quoting ---- */

static void quoted(const char *name, const char *want)
{
	char out[512];
	memset(out, '#', sizeof(out));
	kho_quote_name(name, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_quote_plain(void **state)
{
	quoted("", "");
	quoted("page-001.tif", "page-001.tif");
	quoted("with space and 'quote' \"dq\" ~!@#$%^&*()",
	       "with space and 'quote' \"dq\" ~!@#$%^&*()");
	/* Valid UTF-8 is kept as it is. */
	quoted("Hộ tịch", "Hộ tịch");
	quoted("Sổ đăng ký khai sinh 2021/trang-1.jpg",
	       "Sổ đăng ký khai sinh 2021/trang-1.jpg");
	quoted("\xD0\x9D\xD0\xA2-2021-1", "\xD0\x9D\xD0\xA2-2021-1");
	quoted("\xF0\x9F\x93\x9C scroll", "\xF0\x9F\x93\x9C scroll");
	quoted("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF");
}

static void test_quote_escapes(void **state)
{
	quoted("a\nb", "a\\x0Ab");
	quoted("tab\there", "tab\\x09here");
	quoted("\r", "\\x0D");
	quoted("\x01\x1f\x7f", "\\x01\\x1F\\x7F");
	quoted("\x1b[31mred", "\\x1B[31mred");
	/* The backslash itself, so that \xNN cannot be faked. */
	quoted("a\\x41", "a\\x5Cx41");
	/* Bytes that are not UTF-8: Latin-1, lone continuation bytes,
	 * overlongs, surrogates, truncated characters. */
	quoted("caf\xE9", "caf\\xE9");
	quoted("caf\xE9!", "caf\\xE9!");
	quoted("\x80", "\\x80");
	quoted("\xC0\xAF", "\\xC0\\xAF");
	quoted("\xED\xA0\x80", "\\xED\\xA0\\x80");
	quoted("\xF5\x80\x80\x80", "\\xF5\\x80\\x80\\x80");
	quoted("\xFF\xFE", "\\xFF\\xFE");
	quoted("x\xC3", "x\\xC3");
	quoted("\xE2\x82", "\\xE2\\x82");
	quoted("\xE2\x82x", "\\xE2\\x82x");
	/* A broken byte does not swallow the good character after it. */
	quoted("\xC3\xC3\xA9", "\\xC3\xC3\xA9");
	quoted("\xE9Hộ", "\\xE9Hộ");
}

static void test_quote_cut(void **state)
{
	char name[400];
	char out[512];
	/* 120 bytes are shown whole. */
	memset(name, 'a', 120);
	name[120] = '\0';
	kho_quote_name(name, out, sizeof(out));
	assert_string_equal(out, name);
	/* Longer ones are cut with "...". */
	memset(name, 'b', 300);
	name[300] = '\0';
	kho_quote_name(name, out, sizeof(out));
	assert_int_equal(strlen(out), 123);
	assert_memory_equal(out, name, 120);
	assert_string_equal(out + 120, "...");

	/* A small buffer cuts earlier and is never overrun. */
	memset(name, 'c', 50);
	name[50] = '\0';
	char small[32];
	memset(small, '#', sizeof(small));
	kho_quote_name(name, small, 20);
	assert_true(strlen(small) < 20);
	assert_string_equal(small + strlen(small) - 3, "...");
	assert_memory_equal(small, name, strlen(small) - 3);
	for (size_t i = 20; i < sizeof(small); i++)
		assert_int_equal(small[i], '#');

	/* Escapes count towards the room; the result still fits. */
	memset(name, '\n', 100);
	name[100] = '\0';
	kho_quote_name(name, small, sizeof(small));
	assert_true(strlen(small) < sizeof(small));
	assert_string_equal(small + strlen(small) - 3, "...");
	assert_memory_equal(small, "\\x0A\\x0A", 8);

	/* Multi-byte characters are never split by the cut. */
	char viet[400] = "";
	for (int i = 0; i < 60; i++)
		memcpy(viet + strlen(viet), "ộ", sizeof("ộ"));
	kho_quote_name(viet, out, sizeof(out));
	const size_t n = strlen(out);
	assert_string_equal(out + n - 3, "...");
	assert_true(n - 3 <= 123);
	assert_int_equal((n - 3) % 3, 0);
	assert_memory_equal(out, viet, n - 3);
	for (size_t cap = 8; cap < 40; cap++) {
		char tiny[40];
		kho_quote_name(viet, tiny, cap);
		const size_t t = strlen(tiny);
		assert_true(t < cap);
		assert_string_equal(tiny + t - 3, "...");
		assert_int_equal((t - 3) % 3, 0);
		assert_memory_equal(tiny, viet, t - 3);
	}
}

/* ---- natural order ---- */

static int sign(int v)
{
	return v < 0 ? -1 : v > 0 ? 1 : 0;
}

static void order(const char *a, const char *b, int want)
{
	if (sign(kho_natural_cmp(a, b)) != want)
		fail_msg("'%s' vs '%s': %d, wanted %d", a, b,
			 kho_natural_cmp(a, b), want);
	if (sign(kho_natural_cmp(b, a)) != -want)
		fail_msg("'%s' vs '%s': %d, wanted %d", b, a,
			 kho_natural_cmp(b, a), -want);
}

static void test_natural_cmp(void **state)
{
	order("page-2", "page-10", -1);
	order("page-2.tif", "page-10.tif", -1);
	order("page-9", "page-10", -1);
	order("page-10", "page-10", 0);
	order("", "", 0);
	order("", "a", -1);
	order("page", "page-1", -1);
	order("a", "b", -1);
	order("a2", "b1", -1);
	order("1", "2", -1);
	order("99", "100", -1);
	order("x1y2", "x1y10", -1);
	order("x2y1", "x10y0", -1);
	order("scan 3 of 12", "scan 12 of 12", -1);
	/* Leading zeros do not change the number: page-01 and page-1 are
	 * the same page number (callers break the tie by bytes), and
	 * page-01 comes before page-2. */
	order("page-01", "page-1", 0);
	order("page-001", "page-01", 0);
	order("page-01", "page-2", -1);
	order("page-010", "page-9", 1);
	order("page-0", "page-00", 0);
	order("page-0", "page-1", -1);
	/* Numbers longer than any integer compare by their digits. */
	order("n12345678901234567890123", "n12345678901234567890124", -1);
	order("n99999999999999999999999", "n100000000000000000000000", -1);
	/* Case and bytes past ASCII compare as bytes. */
	order("B", "a", -1);
	order("z", "\xC3\xA9", -1);
	order("page-1a", "page-1b", -1);
	order("page-1", "page-1a", -1);
}

static int cmp_names(const void *a, const void *b)
{
	const char *x = *(const char *const *)a;
	const char *y = *(const char *const *)b;
	return kho_natural_cmp(x, y);
}

static void test_natural_sort(void **state)
{
	const char *names[] = {
		"page-10.tif", "page-1.tif", "page-100.tif", "page-2.tif",
		"cover.tif",   "page-9.tif", "page-11.tif",
	};
	static const char *const want[] = {
		"cover.tif",   "page-1.tif",  "page-2.tif",   "page-9.tif",
		"page-10.tif", "page-11.tif", "page-100.tif",
	};
	qsort(names, KHO_ARRAY_SIZE(names), sizeof(names[0]), cmp_names);
	for (size_t i = 0; i < KHO_ARRAY_SIZE(names); i++)
		assert_string_equal(names[i], want[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_id_accepts),
		cmocka_unit_test(test_record_id_refuses),
		cmocka_unit_test(test_quote_plain),
		cmocka_unit_test(test_quote_escapes),
		cmocka_unit_test(test_quote_cut),
		cmocka_unit_test(test_natural_cmp),
		cmocka_unit_test(test_natural_sort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
