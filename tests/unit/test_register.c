/*
 * The register: header mapping, row checks, imports into a catalog (every
 * row taken or refused with its line and reason), a newer export updating
 * rows with a record of each change, files that are not exports, and the
 * migration of a catalog made before the register existed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "catalog/catalog_private.h"
#include "catalog/catalog_register.h"
#include "register/register_import.h"
#include "testutil.h"

/* ---- helpers ---- */

struct fixture {
	char dir[4096];
	char db[4200];
	kho_catalog *cat;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", kt_tempdir("register"));
	snprintf(f->db, sizeof(f->db), "%s/catalog.db", f->dir);
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_catalog_open(&f->cat, f->db, KHO_CATALOG_CREATE, "test",
				  NULL, &err);
	if (rc)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, KHO_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kho_catalog_free(f->cat);
	kt_rmtree(f->dir);
	free(f);
	return 0;
}

/* Writes text to DIR/name and returns the path (static storage). */
static const char *write_csv(const struct fixture *f, const char *name,
			     const char *text, size_t len)
{
	static char path[4300];
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(kt_write_file(path, text, len), 0);
	return path;
}

static int import_text(struct fixture *f, const char *text,
		       kho_register_counts *c, kho_error *err)
{
	const char *path = write_csv(f, "register.csv", text, strlen(text));
	return kho_register_import_file(f->cat, path, NULL, NULL, c, err);
}

/* One value of a query, as text (static storage); "" for NULL. */
static const char *sql1(struct fixture *f, const char *sql)
{
	static char out[1024];
	sqlite3_stmt *st = NULL;
	assert_int_equal(
		sqlite3_prepare_v2(kho_catalog_db(f->cat), sql, -1, &st, NULL),
		SQLITE_OK);
	out[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(out, sizeof(out), "%s", t ? (const char *)t : "");
	}
	sqlite3_finalize(st);
	return out;
}

/* The refusals of an import as "LINE:REASON\n..." (static storage). */
static const char *refusals(struct fixture *f, int64_t import)
{
	static char out[8192];
	kho_error err = KHO_ERROR_INIT;
	kho_register_refusal *r = NULL;
	size_t n = 0;
	assert_int_equal(kho_register_refusals(f->cat, import, 0, &r, &n, &err),
			 KHO_OK);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(out);
		snprintf(out + len, sizeof(out) - len, "%ld:%s\n", r[i].line,
			 r[i].reason);
	}
	kho_register_refusals_free(r, n);
	return out;
}

/* ---- the header ---- */

static void parse_header(const char *csv_line, kho_register_header *h, int want,
			 kho_error *err)
{
	char *copy = strdup(csv_line);
	char *fields[32];
	size_t n = 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t && n < 32;
	     t = strtok_r(NULL, ",", &save))
		fields[n++] = t;
	assert_int_equal(kho_register_header_parse(h, fields, n, err), want);
	free(copy);
}

static void test_header_any_order_and_case(void **state)
{
	(void)state;
	kho_error err = KHO_ERROR_INIT;
	kho_register_header h;
	parse_header(" Field ,YEAR,Agency,Title,Record_ID,desk note,Issue_Date",
		     &h, KHO_OK, &err);
	assert_int_equal(h.field, 0);
	assert_int_equal(h.year, 1);
	assert_int_equal(h.agency, 2);
	assert_int_equal(h.text[KHO_REG_TITLE], 3);
	assert_int_equal(h.id, 4);
	assert_int_equal(h.text[KHO_REG_ISSUE_DATE], 6);
	assert_int_equal(h.text[KHO_REG_NUMBER], -1);
	assert_int_equal(h.n_extra, 1);
	assert_string_equal(h.names[0], "Field");
	kho_register_header_release(&h);
}

static void test_header_refused(void **state)
{
	(void)state;
	kho_error err = KHO_ERROR_INIT;
	kho_register_header h;
	parse_header("id,agency,field,number", &h, KHO_USAGE, &err);
	assert_non_null(strstr(err.msg, "no 'year' column"));
	assert_non_null(strstr(err.msg, "'id', 'agency', 'field', 'number'"));
	parse_header("id,year,agency,field,Year", &h, KHO_USAGE, &err);
	assert_non_null(strstr(err.msg, "column 'Year' appears twice in the "
					"header (columns 2 and 5)"));
	/* A second id column is kept as an extra one, not an error. */
	parse_header("id,year,agency,field,record_id", &h, KHO_OK, &err);
	assert_int_equal(h.id, 0);
	assert_int_equal(h.n_extra, 1);
	kho_register_header_release(&h);
}

/* ---- one row ---- */

static int check_row(const char *line, kho_register_row *row, char **extra,
		     kho_error *err)
{
	static char copy[512];
	snprintf(copy, sizeof(copy), "%s", line);
	char *fields[16];
	size_t n = 0;
	char *p = copy;
	for (;;) {
		fields[n++] = p;
		char *comma = strchr(p, ',');
		if (!comma)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	char hline[] = "id,year,agency,field,title,note";
	kho_register_header h;
	char *hf[6];
	size_t hn = 0;
	char *save = NULL;
	for (char *t = strtok_r(hline, ",", &save); t;
	     t = strtok_r(NULL, ",", &save))
		hf[hn++] = t;
	kho_error herr = KHO_ERROR_INIT;
	assert_int_equal(kho_register_header_parse(&h, hf, hn, &herr), KHO_OK);
	int rc = kho_register_row_check(&h, fields, n, 7, row, extra, err);
	kho_register_header_release(&h);
	return rc;
}

static void expect_refused(const char *line, const char *reason)
{
	kho_register_row row;
	char *extra = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(check_row(line, &row, &extra, &err), KHO_FAIL);
	if (!strstr(err.msg, reason))
		fail_msg("row '%s': '%s', expected '%s'", line, err.msg,
			 reason);
	assert_null(extra);
}

static void test_row_checks(void **state)
{
	(void)state;
	kho_register_row row;
	char *extra = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(check_row(" HT-2021-00042 , 2021 ,UBND,Hộ tịch,"
				   "Giấy khai sinh, shelf 3 ",
				   &row, &extra, &err),
			 KHO_OK);
	assert_string_equal(row.record_id, "HT-2021-00042");
	assert_int_equal(row.year, 2021);
	assert_string_equal(row.agency, "UBND");
	assert_string_equal(row.text[KHO_REG_TITLE], "Giấy khai sinh");
	assert_null(row.text[KHO_REG_NUMBER]);
	assert_int_equal(row.line, 7);
	assert_string_equal(extra, "{\"note\":\"shelf 3\"}");
	free(extra);

	expect_refused(",2021,A,F,t,n", "missing id");
	expect_refused("   ,2021,A,F,t,n", "missing id");
	expect_refused("HT 2021,2021,A,F,t,n",
		       "id 'HT 2021' is not a record id");
	expect_refused("HT-1,,A,F,t,n", "missing year");
	expect_refused("HT-1,21,A,F,t,n", "bad year '21'");
	expect_refused("HT-1,2021.0,A,F,t,n", "bad year '2021.0'");
	expect_refused("HT-1,1850,A,F,t,n", "bad year '1850'");
	expect_refused("HT-1,2021,,F,t,n", "missing agency");
	expect_refused("HT-1,2021,A,,t,n", "missing field");
	expect_refused("HT-1,2021,A,F,t", "5 field(s) where the header has 6");
	expect_refused("HT-1,2021,A,F,t,n,x",
		       "7 field(s) where the header has 6");

	/* A refused row still names its id when it has one. */
	assert_int_equal(check_row("HT-9,20x1,A,F,t,n", &row, &extra, &err),
			 KHO_FAIL);
	assert_string_equal(row.record_id, "HT-9");
}

/* ---- whole files ---- */

static void test_import_edge_cases(void **state)
{
	struct fixture *f = *state;
	/* A byte-order mark, CRLF, the header out of order and in capitals,
	 * a quoted title holding a comma, a doubled quote and a line break
	 * (so that later rows start on later lines), blank lines, an extra
	 * column, and rows that cannot be taken. */
	const char *text =
		"\xEF\xBB\xBF"
		"ID,Agency,YEAR,Field,Title,Desk Note\r\n"
		"HT-2021-00001,UBND A,2021,Hộ tịch,\"Giấy khai sinh, bản sao\","
		"\r\n"
		"DD-2020-00002,Sở B,2020,Đất đai,\"Giấy chứng nhận "
		"\"\"đỏ\"\"\r\n"
		"trang 2\",kệ 4\r\n"
		"\r\n"
		",UBND A,2021,Hộ tịch,no id,\r\n"
		"XD-2022-00003,UBND A,22,Xây dựng,bad year,\r\n"
		"HT-2021-00001,UBND A,2021,Hộ tịch,again,\r\n"
		"KD-2023-00004,UBND A,2023,Đăng ký kinh doanh,a,b,c\r\n"
		"KD-2023-00005,UBND A,2023,Đăng ký kinh doanh,\xC3\x28,\r\n"
		"KD-2023-00006,UBND A,2023,Đăng ký kinh doanh,last,\r\n";
	kho_register_counts c;
	kho_error err = KHO_ERROR_INIT;
	int rc = import_text(f, text, &c, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_int_equal(c.rows, 8);
	assert_int_equal(c.taken, 3);
	assert_int_equal(c.refused, 5);
	assert_int_equal(c.added, 3);
	assert_int_equal(c.registered, 3);
	assert_string_equal(
		refusals(f, c.import),
		"6:missing id\n"
		"7:bad year '22' (four digits, 1900 to 2100)\n"
		"8:duplicate id 'HT-2021-00001': line 2 has it already\n"
		"9:7 field(s) where the header has 6 (a comma that is not "
		"quoted?)\n"
		"10:field 5 is not valid UTF-8\n");
	assert_string_equal(sql1(f, "SELECT title FROM register WHERE "
				    "record_id = 'DD-2020-00002'"),
			    "Giấy chứng nhận \"đỏ\"\r\ntrang 2");
	assert_string_equal(sql1(f, "SELECT extra FROM register WHERE "
				    "record_id = 'DD-2020-00002'"),
			    "{\"Desk Note\":\"kệ 4\"}");
	assert_string_equal(sql1(f, "SELECT coalesce(extra, 'none') FROM "
				    "register WHERE record_id = "
				    "'HT-2021-00001'"),
			    "none");
	assert_string_equal(sql1(f, "SELECT record_id FROM register_refused "
				    "WHERE line = 8"),
			    "HT-2021-00001");
	assert_string_equal(sql1(f, "SELECT rows || '/' || taken || '/' || "
				    "refused FROM register_imports"),
			    "8/3/5");
}

static void test_newer_export_updates(void **state)
{
	struct fixture *f = *state;
	kho_register_counts c;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(import_text(f,
				     "id,year,agency,field,title,number\n"
				     "A-1,2020,UBND A,Hộ tịch,t1,n1\n"
				     "A-2,2020,UBND A,Hộ tịch,t2,n2\n"
				     "A-3,2021,UBND A,Đất đai,t3,n3\n",
				     &c, &err),
			 KHO_OK);
	assert_int_equal(c.added, 3);
	/* The newer export: A-1 as it was, A-2 with another year and
	 * title, A-3 missing (kept), A-4 new; it has no number column, so
	 * numbers stay as they are. */
	assert_int_equal(import_text(f,
				     "field,agency,year,id,title\n"
				     "Hộ tịch,UBND A,2020,A-1,t1\n"
				     "Hộ tịch,UBND A,2021,A-2,t2 bis\n"
				     "Xây dựng,UBND B,2022,A-4,t4\n",
				     &c, &err),
			 KHO_OK);
	assert_int_equal(c.rows, 3);
	assert_int_equal(c.taken, 3);
	assert_int_equal(c.added, 1);
	assert_int_equal(c.changed, 1);
	assert_int_equal(c.changes, 2);
	assert_int_equal(c.unchanged, 1);
	assert_int_equal(c.absent, 1);
	assert_int_equal(c.registered, 4);

	kho_register_change *ch = NULL;
	size_t n = 0;
	assert_int_equal(
		kho_register_changes(f->cat, c.import, 0, &ch, &n, &err),
		KHO_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ch[0].record_id, "A-2");
	assert_string_equal(ch[0].col, "year");
	assert_string_equal(ch[0].old_value, "2020");
	assert_string_equal(ch[0].new_value, "2021");
	assert_string_equal(ch[1].col, "title");
	assert_string_equal(ch[1].old_value, "t2");
	assert_string_equal(ch[1].new_value, "t2 bis");
	kho_register_changes_free(ch, n);

	assert_string_equal(sql1(f, "SELECT number FROM register WHERE "
				    "record_id = 'A-2'"),
			    "n2");
	assert_string_equal(sql1(f, "SELECT number FROM register WHERE "
				    "record_id = 'A-4'"),
			    "");
	assert_string_equal(sql1(f, "SELECT year FROM register WHERE "
				    "record_id = 'A-3'"),
			    "2021");
	assert_string_equal(sql1(f, "SELECT added_by || ',' || changed_by "
				    "FROM register WHERE record_id = 'A-2'"),
			    "1,2");

	/* The same file again changes nothing. */
	assert_int_equal(import_text(f,
				     "field,agency,year,id,title\n"
				     "Hộ tịch,UBND A,2020,A-1,t1\n"
				     "Hộ tịch,UBND A,2021,A-2,t2 bis\n"
				     "Xây dựng,UBND B,2022,A-4,t4\n",
				     &c, &err),
			 KHO_OK);
	assert_int_equal(c.changed, 0);
	assert_int_equal(c.unchanged, 3);
	assert_string_equal(sql1(f, "SELECT count(*) FROM register_changes"),
			    "2");

	kho_register_import_row last;
	assert_int_equal(kho_register_last_import(f->cat, &last, &err), KHO_OK);
	assert_int_equal(last.id, 3);
	assert_int_equal(last.c.unchanged, 3);
	assert_int_equal(strlen(last.sha256), 64);
}

static void expect_not_export(struct fixture *f, const char *text, size_t len,
			      const char *message)
{
	kho_register_counts c;
	kho_error err = KHO_ERROR_INIT;
	const char *path = write_csv(f, "bad.csv", text, len);
	assert_int_equal(
		kho_register_import_file(f->cat, path, NULL, NULL, &c, &err),
		KHO_USAGE);
	if (!strstr(err.msg, message))
		fail_msg("'%s', expected '%s'", err.msg, message);
	assert_string_equal(sql1(f, "SELECT count(*) FROM register_imports"),
			    "0");
}

static void test_not_an_export(void **state)
{
	struct fixture *f = *state;
	expect_not_export(f, "", 0, "is empty");
	expect_not_export(f, "\n\n", 2, "has no header line");
	expect_not_export(f, "\xFF\xFEi\0d\0", 6, "is UTF-16 text");
	expect_not_export(f, "id,year,agency,field\nA,2020,B\0,C\n", 31,
			  "holds a NUL byte on line 2");
	expect_not_export(f, "name,value\na,b\n", 15, "no 'id' column");
	expect_not_export(f, "\"id,year\n", 9, "cannot read the header");

	kho_register_counts c;
	kho_error err = KHO_ERROR_INIT;
	char missing[4400];
	snprintf(missing, sizeof(missing), "%s/nothing.csv", f->dir);
	assert_int_equal(
		kho_register_import_file(f->cat, missing, NULL, NULL, &c, &err),
		KHO_USAGE);
	assert_non_null(strstr(err.msg, "cannot open"));
}

static void test_quote_never_closed(void **state)
{
	struct fixture *f = *state;
	kho_register_counts c;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(import_text(f,
				     "id,year,agency,field\n"
				     "A-1,2020,X,Y\n"
				     "A-2,2020,\"X,Y\n"
				     "A-3,2020,X,Y\n",
				     &c, &err),
			 KHO_OK);
	assert_int_equal(c.taken, 1);
	assert_int_equal(c.refused, 1);
	assert_string_equal(refusals(f, c.import),
			    "3:a quoted field is never closed\n");
}

static void test_header_only(void **state)
{
	struct fixture *f = *state;
	kho_register_counts c;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(import_text(f, "id,year,agency,field\r\n", &c, &err),
			 KHO_OK);
	assert_int_equal(c.rows, 0);
	assert_int_equal(c.registered, 0);
}

/* A catalog at schema 1 (before the register) opens as schema 2. */
static void test_migration_from_schema_1(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", kt_tempdir("register-v1"));
	char path[4200];
	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char sql[128];
	snprintf(sql, sizeof(sql),
		 "PRAGMA application_id = %d; PRAGMA user_version = 1;",
		 (int)KHO_CATALOG_APP_ID);
	assert_int_equal(
		sqlite3_exec(db, kho_catalog_migrations[0], NULL, NULL, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     "INSERT INTO runs (command, pid,"
			     " started_at) VALUES ('kho run', 1, 'x');",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);

	kho_catalog *cat = NULL;
	kho_error err = KHO_ERROR_INIT;
	/* Read-only, an old catalog asks for a command that writes. */
	assert_int_equal(kho_catalog_open(&cat, path, KHO_CATALOG_READONLY,
					  "test", NULL, &err),
			 KHO_FATAL);
	assert_non_null(strstr(err.msg, "needs an upgrade"));
	assert_int_equal(kho_catalog_open(&cat, path, KHO_CATALOG_OPEN, "test",
					  NULL, &err),
			 KHO_OK);
	assert_true(kho_catalog_schema_version() >= 2);
	int64_t n = -1;
	assert_int_equal(kho_register_size(cat, &n, &err), KHO_OK);
	assert_int_equal(n, 0);
	kho_catalog_free(cat);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(db,
			   "SELECT (SELECT user_version FROM"
			   " pragma_user_version), (SELECT count(*) FROM runs)",
			   -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0),
			 kho_catalog_schema_version());
	assert_int_equal(sqlite3_column_int(st, 1), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	kt_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_any_order_and_case),
		cmocka_unit_test(test_header_refused),
		cmocka_unit_test(test_row_checks),
		cmocka_unit_test_setup_teardown(test_import_edge_cases, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_newer_export_updates,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_an_export, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_quote_never_closed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_header_only, setup,
						teardown),
		cmocka_unit_test(test_migration_from_schema_1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
