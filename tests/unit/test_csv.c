/*
 * The CSV reader: a byte-order mark, quoted fields with commas, doubled
 * quotes and line breaks, CRLF, empty fields, blank lines, broken rows
 * with their line; the header look-up; and the UTF-8 check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "common/csv.h"
#include "testutil.h"

/* ---- helpers ---- */

/* Appends s to out, CR and LF written as \r and \n so that a whole parse
 * reads as one line per row. */
static void append(char *out, size_t cap, const char *s)
{
	size_t o = strlen(out);
	for (; *s && o + 3 < cap; s++) {
		if (*s == '\n' || *s == '\r') {
			out[o++] = '\\';
			out[o++] = *s == '\n' ? 'n' : 'r';
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

/* Parses len bytes of data to the end and renders the rows as
 * "LINE:f1|f2|...\n"; returns the last code (0 at the end, or the
 * failure), with err holding the message. */
static int parse_n(const char *data, size_t len, char *out, size_t cap,
		   kho_error *err)
{
	out[0] = '\0';
	kho_csv *csv = NULL;
	int rc = kho_csv_open(&csv, data, len, err);
	assert_int_equal(rc, KHO_OK);
	assert_non_null(csv);
	for (;;) {
		char **fields = NULL;
		size_t n = 99;
		long line = -1;
		rc = kho_csv_next(csv, &fields, &n, &line, err);
		if (rc != 1)
			break;
		assert_true(n >= 1);
		char head[32];
		snprintf(head, sizeof(head), "%ld:", line);
		append(out, cap, head);
		for (size_t i = 0; i < n; i++) {
			if (i)
				append(out, cap, "|");
			append(out, cap, fields[i]);
		}
		const size_t o = strlen(out);
		if (o + 1 < cap)
			memcpy(out + o, "\n", 2);
	}
	kho_csv_free(csv);
	return rc;
}

static void parses_to(const char *data, const char *want)
{
	char out[8192];
	kho_error err = KHO_ERROR_INIT;
	const int rc = parse_n(data, strlen(data), out, sizeof(out), &err);
	if (rc != 0)
		fail_msg("'%s': %d: %s", data, rc, err.msg);
	assert_string_equal(out, want);
}

/* The rows before the failure render as `before`; the failure is
 * KHO_FAIL with message msg. */
static void fails_with(const char *data, size_t len, const char *before,
		       const char *msg)
{
	char out[8192];
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(parse_n(data, len, out, sizeof(out), &err), KHO_FAIL);
	assert_int_equal(err.code, KHO_FAIL);
	assert_string_equal(err.msg, msg);
	assert_string_equal(out, before);
}

/* ---- rows and fields ---- */

static void test_plain_rows(void **state)
{
	parses_to("a,b,c\n1,2,3\n", "1:a|b|c\n2:1|2|3\n");
	parses_to("a,b,c\n1,2,3", "1:a|b|c\n2:1|2|3\n");
	parses_to("one", "1:one\n");
	parses_to(" spaced , kept ", "1: spaced | kept \n");
	parses_to("Hộ tịch,Nguyễn Văn A\n", "1:Hộ tịch|Nguyễn Văn A\n");
	/* A quote inside an unquoted field is an ordinary character. */
	parses_to("5\" floppy,x\n", "1:5\" floppy|x\n");
	parses_to("", "");
	parses_to("\n\n\r\n", "");
}

static void test_bom(void **state)
{
	parses_to("\xEF\xBB\xBFid,name\nHT-1,An\n", "1:id|name\n2:HT-1|An\n");
	parses_to("\xEF\xBB\xBF\"id\",name\n", "1:id|name\n");
	parses_to("\xEF\xBB\xBF", "");
	/* Only at the very start: elsewhere it is a character. */
	parses_to("a\n\xEF\xBB\xBF"
		  "b\n",
		  "1:a\n2:\xEF\xBB\xBF"
		  "b\n");
	/* A partial mark is not one, and not UTF-8 either. */
	fails_with("\xEF\xBB"
		   "a\n",
		   3, "", "line 1: field 1 is not valid UTF-8");
}

static void test_quoted_fields(void **state)
{
	parses_to("\"Nguyễn, Văn A\",1975\n", "1:Nguyễn, Văn A|1975\n");
	parses_to("\"say \"\"hi\"\"\",x\n", "1:say \"hi\"|x\n");
	parses_to("\"\"\"\"\n", "1:\"\n");
	parses_to("\"\",\"\"\n", "1:|\n");
	parses_to("\"a,b\",\"c\"\n\"d\"", "1:a,b|c\n2:d\n");
	/* Line breaks inside quotes belong to the field; the next row's
	 * line counts them. */
	parses_to("\"line 1\nline 2\",b\nnext,row\n",
		  "1:line 1\\nline 2|b\n3:next|row\n");
	parses_to("\"a\r\nb\",c\r\nd\r\n", "1:a\\r\\nb|c\n3:d\n");
	parses_to("x,\"\n\n\n\"\ny\n", "1:x|\\n\\n\\n\n5:y\n");
}

static void test_line_ends_and_blanks(void **state)
{
	parses_to("a,b\r\nc,d\r\n", "1:a|b\n2:c|d\n");
	parses_to("a,b\r\nc,d", "1:a|b\n2:c|d\n");
	parses_to("a\n\n\nb\n", "1:a\n4:b\n");
	parses_to("\r\n\r\na\r\n\r\nb", "3:a\n5:b\n");
	parses_to("\n\nfirst\n", "3:first\n");
}

static void test_empty_fields(void **state)
{
	parses_to(",,\n", "1:||\n");
	parses_to("a,,b\n", "1:a||b\n");
	parses_to("a,b,\n", "1:a|b|\n");
	parses_to("a,b,", "1:a|b|\n");
	parses_to("a,b,\r\nc\n", "1:a|b|\n2:c\n");
	parses_to(",\n", "1:|\n");

	kho_csv *csv = NULL;
	kho_error err = KHO_ERROR_INIT;
	const char *data = "a,,c,\n";
	assert_int_equal(kho_csv_open(&csv, data, strlen(data), &err), KHO_OK);
	char **f = NULL;
	size_t n = 0;
	long line = 0;
	assert_int_equal(kho_csv_next(csv, &f, &n, &line, &err), 1);
	assert_int_equal(n, 4);
	assert_string_equal(f[0], "a");
	assert_string_equal(f[1], "");
	assert_string_equal(f[2], "c");
	assert_string_equal(f[3], "");
	assert_int_equal(line, 1);
	assert_int_equal(kho_csv_next(csv, &f, &n, &line, &err), 0);
	assert_int_equal(n, 0);
	/* And it stays at the end. */
	assert_int_equal(kho_csv_next(csv, &f, &n, &line, &err), 0);
	kho_csv_free(csv);
	kho_csv_free(NULL);
}

static void test_wide_and_long_rows(void **state)
{
	/* More fields and longer text than the reader starts with. */
	char *data = malloc(20000);
	size_t o = 0;
	for (int i = 0; i < 300; i++)
		o += (size_t)snprintf(data + o, 20000 - o, "%sf%d",
				      i ? "," : "", i);
	o += (size_t)snprintf(data + o, 20000 - o, "\n\"");
	for (int i = 0; i < 5000; i++)
		data[o++] = (char)('a' + i % 26);
	o += (size_t)snprintf(data + o, 20000 - o, "\",end\n");

	kho_csv *csv = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_csv_open(&csv, data, o, &err), KHO_OK);
	char **f = NULL;
	size_t n = 0;
	long line = 0;
	assert_int_equal(kho_csv_next(csv, &f, &n, &line, &err), 1);
	assert_int_equal(n, 300);
	for (int i = 0; i < 300; i++) {
		char want[16];
		snprintf(want, sizeof(want), "f%d", i);
		assert_string_equal(f[i], want);
	}
	assert_int_equal(kho_csv_next(csv, &f, &n, &line, &err), 1);
	assert_int_equal(line, 2);
	assert_int_equal(n, 2);
	assert_int_equal(strlen(f[0]), 5000);
	assert_int_equal(f[0][0], 'a');
	assert_int_equal(f[0][4999], 'a' + 4999 % 26);
	assert_string_equal(f[1], "end");
	assert_int_equal(kho_csv_next(csv, &f, &n, &line, &err), 0);
	kho_csv_free(csv);
	free(data);
}

static void test_data_not_terminated(void **state)
{
	/* The reader keeps to len: bytes after it are not read. */
	const char data[] = "a,b\nc,d\nnot this";
	char out[256];
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(parse_n(data, 7, out, sizeof(out), &err), 0);
	assert_string_equal(out, "1:a|b\n2:c|d\n");
	assert_int_equal(parse_n(data, 5, out, sizeof(out), &err), 0);
	assert_string_equal(out, "1:a|b\n2:c\n");
}

/* ---- broken rows ---- */

static void test_unterminated_quote(void **state)
{
	const char *d1 = "a,b\n\"c,d\ne,f\n";
	fails_with(d1, strlen(d1), "1:a|b\n",
		   "line 2: a quoted field is never closed");
	const char *d2 = "\n\nx,\"open";
	fails_with(d2, strlen(d2), "",
		   "line 3: a quoted field is never closed");
	/* A doubled quote at the end does not close the field. */
	const char *d3 = "\"a\"\"";
	fails_with(d3, strlen(d3), "",
		   "line 1: a quoted field is never closed");
	const char *d4 = "ok\n\"";
	fails_with(d4, strlen(d4), "1:ok\n",
		   "line 2: a quoted field is never closed");
}

static void test_nul_byte(void **state)
{
	const char d1[] = "a,b\nc\0d,e\n";
	fails_with(d1, sizeof(d1) - 1, "1:a|b\n", "line 2: a NUL byte");
	const char d2[] = "x\n\"q\0\"\n";
	fails_with(d2, sizeof(d2) - 1, "1:x\n", "line 2: a NUL byte");
	const char d3[] = "\0";
	fails_with(d3, 1, "", "line 1: a NUL byte");
}

/* A reader that refuses a broken row and reads on (as the register import
 * does) gets the next line, never the same broken row again: found by
 * fuzz_register_csv as a loop without end on a NUL byte. */
static void test_reading_on_after_a_broken_row(void **state)
{
	static const char d[] = "a,b\nc\0d,e\n\"x\0\nf,g\n\xff,h\ni,j";
	kho_csv *csv = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_csv_open(&csv, d, sizeof(d) - 1, &err), KHO_OK);
	static const struct {
		int rc;
		long line;
		const char *first;
	} want[] = {
		{1, 1, "a"},  {KHO_FAIL, 2, NULL}, {KHO_FAIL, 3, NULL},
		{1, 4, "f"},  {KHO_FAIL, 5, NULL}, {1, 6, "i"},
		{0, 0, NULL},
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(want); i++) {
		char **f = NULL;
		size_t n = 0;
		long line = 0;
		kho_error_clear(&err);
		const int rc = kho_csv_next(csv, &f, &n, &line, &err);
		assert_int_equal(rc, want[i].rc);
		if (rc == 1) {
			assert_int_equal(line, want[i].line);
			assert_string_equal(f[0], want[i].first);
		} else if (rc < 0) {
			char msg[32];
			snprintf(msg, sizeof(msg), "line %ld:", want[i].line);
			assert_non_null(strstr(err.msg, msg));
		}
	}
	kho_csv_free(csv);
}

static void test_invalid_utf8(void **state)
{
	const char *d1 = "id,name\nHT-1,caf\xE9\n";
	fails_with(d1, strlen(d1), "1:id|name\n",
		   "line 2: field 2 is not valid UTF-8");
	const char *d2 = "\"multi\nline\",\"\xC3\x28\"\n";
	fails_with(d2, strlen(d2), "", "line 1: field 2 is not valid UTF-8");
	const char *d3 = "a,b,c,\xED\xA0\x80\n";
	fails_with(d3, strlen(d3), "", "line 1: field 4 is not valid UTF-8");
	const char *d4 = "\xC0\xAF\n";
	fails_with(d4, strlen(d4), "", "line 1: field 1 is not valid UTF-8");
}

/* ---- the header ---- */

static void test_column(void **state)
{
	char *header[] = {(char *)"Record_ID", (char *)" Name ",
			  (char *)"\tPages\t", (char *)"", (char *)"Hộ tịch"};
	assert_int_equal(kho_csv_column(header, 5, "record_id"), 0);
	assert_int_equal(kho_csv_column(header, 5, "RECORD_ID"), 0);
	assert_int_equal(kho_csv_column(header, 5, "name"), 1);
	assert_int_equal(kho_csv_column(header, 5, "pages"), 2);
	assert_int_equal(kho_csv_column(header, 5, "Hộ tịch"), 4);
	assert_int_equal(kho_csv_column(header, 5, "page"), -1);
	assert_int_equal(kho_csv_column(header, 5, "pagess"), -1);
	assert_int_equal(kho_csv_column(header, 5, "record"), -1);
	assert_int_equal(kho_csv_column(header, 5, "date"), -1);
	/* Only the first n fields count. */
	assert_int_equal(kho_csv_column(header, 2, "pages"), -1);
	assert_int_equal(kho_csv_column(header, 0, "record_id"), -1);
	char *dup[] = {(char *)"x", (char *)"X "};
	assert_int_equal(kho_csv_column(dup, 2, "x"), 0);

	/* Straight from a parsed header row. */
	const char *data = "\xEF\xBB\xBF\"  Record ID \",Pages\r\nHT-1,3\r\n";
	kho_csv *csv = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_csv_open(&csv, data, strlen(data), &err), KHO_OK);
	char **f = NULL;
	size_t n = 0;
	long line = 0;
	assert_int_equal(kho_csv_next(csv, &f, &n, &line, &err), 1);
	assert_int_equal(kho_csv_column(f, n, "record id"), 0);
	assert_int_equal(kho_csv_column(f, n, "pages"), 1);
	kho_csv_free(csv);
}

/* ---- UTF-8 ---- */

static int valid(const char *s)
{
	return kho_utf8_valid(s, strlen(s));
}

static void test_utf8_valid(void **state)
{
	assert_true(kho_utf8_valid("", 0));
	assert_true(valid("plain ASCII ~\x7F"));
	assert_true(valid("Hộ tịch — Nguyễn"));
	assert_true(valid("\xC2\x80"));		/* U+0080 */
	assert_true(valid("\xDF\xBF"));		/* U+07FF */
	assert_true(valid("\xE0\xA0\x80"));	/* U+0800 */
	assert_true(valid("\xED\x9F\xBF"));	/* U+D7FF */
	assert_true(valid("\xEE\x80\x80"));	/* U+E000 */
	assert_true(valid("\xEF\xBB\xBF"));	/* U+FEFF */
	assert_true(valid("\xEF\xBF\xBF"));	/* U+FFFF */
	assert_true(valid("\xF0\x90\x80\x80")); /* U+10000 */
	assert_true(valid("\xF0\x9F\x93\x9C")); /* U+1F4DC */
	assert_true(valid("\xF4\x8F\xBF\xBF")); /* U+10FFFF */
	/* NUL is a character as far as UTF-8 goes. */
	assert_true(kho_utf8_valid("a\0b", 3));
}

static void test_utf8_invalid(void **state)
{
	static const char *const bad[] = {
		/* overlong forms */
		"\xC0\x80",
		"\xC0\xAF",
		"\xC1\xBF",
		"\xE0\x80\x80",
		"\xE0\x9F\xBF",
		"\xF0\x80\x80\x80",
		"\xF0\x8F\xBF\xBF",
		/* UTF-16 surrogates */
		"\xED\xA0\x80",
		"\xED\xAD\xBF",
		"\xED\xB0\x80",
		"\xED\xBF\xBF",
		/* past U+10FFFF */
		"\xF4\x90\x80\x80",
		"\xF5\x80\x80\x80",
		"\xF7\xBF\xBF\xBF",
		/* bytes that never start a character */
		"\xF8\x88\x80\x80\x80",
		"\xFC\x84\x80\x80\x80\x80",
		"\xFE",
		"\xFF",
		"\x80",
		"\xBF",
		"a\x80"
		"b",
		/* truncated sequences */
		"\xC3",
		"\xE2\x82",
		"\xF0\x9F\x93",
		"a\xC3",
		"\xE2\x82"
		"A",
		"\xF0\x9F\x93"
		"A",
		"\xC3\xC3\xA9",
		/* Latin-1 */
		"caf\xE9",
		"\xE9t\xE9",
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(bad); i++)
		if (valid(bad[i]))
			fail_msg("case %zu is taken for valid UTF-8", i);
	/* The length is respected: a character cut by it is truncated. */
	assert_false(kho_utf8_valid("\xC3\xA9", 1));
	assert_false(kho_utf8_valid("\xE2\x82\xAC", 2));
	assert_false(kho_utf8_valid("\xF0\x9F\x93\x9C", 3));
	assert_true(kho_utf8_valid("\xC3\xA9\xFF", 2));
	assert_true(kho_utf8_valid("ab\xFF", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_rows),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_quoted_fields),
		cmocka_unit_test(test_line_ends_and_blanks),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_wide_and_long_rows),
		cmocka_unit_test(test_data_not_terminated),
		cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_reading_on_after_a_broken_row),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_column),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
