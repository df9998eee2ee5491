/*
 * Coverage: the numbers of a small catalog whose every record is placed
 * by hand (archived, failed, in progress, ingest failed or waiting, never
 * scanned, re-scanned, orphans), against the targets; kho status's rule;
 * snapshots and the trend; the writers (80 columns, CSV, JSON, HTML); the
 * failure reasons the morning report groups by; dates and text widths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "catalog/catalog_private.h"
#include "catalog/catalog_report.h"
#include "register/register_import.h"
#include "report/report_util.h"
#include "testutil.h"

static const kho_cov_targets targets = {2020, 2022, 90, 100};

struct fixture {
	char dir[4096];
	kho_catalog *cat;
};

static void exec(kho_catalog *cat, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(kho_catalog_db(cat), sql, NULL, NULL, &msg) !=
	    SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

static struct fixture *open_fixture(const char *tag)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", kt_tempdir(tag));
	char db[4200];
	snprintf(db, sizeof(db), "%s/catalog.db", f->dir);
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_catalog_open(&f->cat, db, KHO_CATALOG_CREATE,
					  "test", NULL, &err),
			 KHO_OK);
	return f;
}

/* A record version and its jobs: stages[i] in state states[i]. */
static void add_record(kho_catalog *cat, const char *id, int version,
		       int current, const char *states)
{
	static const char *const stages[] = {"normalize", "compress",
					     "describe", "pack"};
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO records (record_id, version, source, fingerprint,"
		 " ingested_at, current) VALUES ('%s', %d, 'x', 'x', 'x', %d);",
		 id, version, current);
	exec(cat, sql);
	int64_t rec = sqlite3_last_insert_rowid(kho_catalog_db(cat));
	/* states: one letter a stage, d done, f failed, p pending */
	for (int i = 0; states[i]; i++) {
		const char *st = states[i] == 'd'   ? "done"
				 : states[i] == 'f' ? "failed"
						    : "pending";
		snprintf(sql, sizeof(sql),
			 "INSERT INTO jobs (stage, record_id, record, state,"
			 " queued_at, run, error) VALUES ('%s', '%s', %lld,"
			 " '%s', 'x', 5, %s);",
			 stages[i], id, (long long)rec, st,
			 states[i] == 'f' ? "'cannot decode ''a.jpg'': bad'"
					  : "NULL");
		exec(cat, sql);
	}
	if (strcmp(states, "dddd") == 0) {
		snprintf(
			sql, sizeof(sql),
			"INSERT INTO archive (record, record_id, version,"
			" volume, bag, member, offset, size, sha256) VALUES"
			" (%lld, '%s', %d, 1, '%s.%d', '%s.%d/data/result.pdf',"
			" 0, 1, 'x');",
			(long long)rec, id, version, id, version, id, version);
		exec(cat, sql);
	}
}

static void ingest_job(kho_catalog *cat, const char *id, const char *state)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO jobs (stage, record_id, state, queued_at, run)"
		 " VALUES ('ingest', '%s', '%s', 'x', 5);",
		 id, state);
	exec(cat, sql);
}

/* The catalog described at the top of the file. */
static int setup(void **state)
{
	struct fixture *f = open_fixture("report");
	char path[4300];
	snprintf(path, sizeof(path), "%s/register.csv", f->dir);
	const char *csv = "id,year,agency,field,title\n"
			  "A-2019-1,2019,Ag1,F1,t\n"
			  "A-2020-1,2020,Ag1,F1,t\n"
			  "A-2020-2,2020,Ag1,F2,t\n"
			  "A-2020-3,2020,Ag2,F1,t\n"
			  "A-2020-4,2020,Ag2,F1,\"a, b\"\n"
			  "A-2021-1,2021,Ag1,F1,t\n"
			  "A-2021-2,2021,Ag2,F2,t\n"
			  "A-2021-3,2021,Ag2,F2,t\n"
			  "A-2023-1,2023,Ag1,F1,t\n"
			  "A-2023-2,2023,Ag1,F2,t\n"
			  "A-2024-1,2024,Ag2,F1,t\n";
	assert_int_equal(kt_write_file(path, csv, strlen(csv)), 0);
	kho_register_counts c;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(
		kho_register_import_file(f->cat, path, NULL, NULL, &c, &err),
		KHO_OK);
	assert_int_equal(c.taken, 11);
	exec(f->cat, "INSERT INTO volumes (name, state, size, sha256, members,"
		     " created_at) VALUES ('vol-000001.tar', 'sealed', 1, 'x',"
		     " 1, 'x');");
	add_record(f->cat, "A-2020-1", 1, 1, "dddd");
	add_record(f->cat, "A-2020-2", 1, 1, "dddd");
	add_record(f->cat, "A-2020-3", 1, 1, "df");
	add_record(f->cat, "A-2021-1", 1, 1, "ddp");
	add_record(f->cat, "A-2023-1", 1, 0, "dddd");
	add_record(f->cat, "A-2023-1", 2, 1, "dddd");
	add_record(f->cat, "A-2023-2", 1, 0, "dddd");
	add_record(f->cat, "A-2023-2", 2, 1, "p");
	add_record(f->cat, "Z-1", 1, 1, "dddd");
	add_record(f->cat, "Z-2", 1, 1, "f");
	ingest_job(f->cat, "A-2020-1", "done");
	ingest_job(f->cat, "A-2021-2", "failed");
	ingest_job(f->cat, "A-2021-3", "pending");
	ingest_job(f->cat, "A-2024-1", "done");
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

static void expect_counts(const kho_cov_counts *c, int64_t reg, int64_t arch,
			  int64_t prog, int64_t fail, int64_t todo,
			  int64_t needed, int64_t gap)
{
	assert_int_equal(c->registered, reg);
	assert_int_equal(c->archived, arch);
	assert_int_equal(c->in_progress, prog);
	assert_int_equal(c->failed, fail);
	assert_int_equal(c->not_scanned, todo);
	assert_int_equal(c->needed, needed);
	assert_int_equal(c->gap, gap);
}

static void rows_of(kho_catalog *cat, kho_cov_level level, kho_cov_row **r,
		    size_t *n)
{
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_coverage_rows(cat, level, r, n, &err), KHO_OK);
}

static void test_coverage_levels(void **state)
{
	struct fixture *f = *state;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_coverage_prepare(f->cat, &targets, &err), KHO_OK);
	kho_cov_row *r;
	size_t n;

	rows_of(f->cat, KHO_COV_TOTAL, &r, &n);
	assert_int_equal(n, 1);
	expect_counts(&r[0].c, 11, 3, 3, 2, 3, 10, 7);
	assert_int_equal(r[0].c.targeted, 10);
	assert_true(kho_row_target(&r[0].c) > 92.99 &&
		    kho_row_target(&r[0].c) < 93.01);
	kho_cov_rows_free(r, n);

	rows_of(f->cat, KHO_COV_BACKLOG, &r, &n);
	expect_counts(&r[0].c, 7, 2, 2, 2, 1, 7, 5);
	assert_true(kho_row_target(&r[0].c) == 90.0);
	kho_cov_rows_free(r, n);
	rows_of(f->cat, KHO_COV_NEW, &r, &n);
	expect_counts(&r[0].c, 3, 1, 1, 0, 1, 3, 2);
	kho_cov_rows_free(r, n);

	rows_of(f->cat, KHO_COV_YEAR, &r, &n);
	assert_int_equal(n, 5);
	assert_int_equal(r[0].year, 2019);
	expect_counts(&r[0].c, 1, 0, 0, 0, 1, 0, 0);
	assert_true(kho_row_target(&r[0].c) < 0);
	assert_int_equal(r[1].year, 2020);
	expect_counts(&r[1].c, 4, 2, 0, 1, 1, 4, 2); /* 90% of 4: 4 */
	assert_int_equal(r[2].year, 2021);
	expect_counts(&r[2].c, 3, 0, 2, 1, 0, 3, 3);
	assert_int_equal(r[3].year, 2023);
	expect_counts(&r[3].c, 2, 1, 1, 0, 0, 2, 1);
	assert_int_equal(r[4].year, 2024);
	expect_counts(&r[4].c, 1, 0, 0, 0, 1, 1, 1);
	kho_cov_rows_free(r, n);

	rows_of(f->cat, KHO_COV_AGENCY, &r, &n);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].agency, "Ag1");
	assert_null(r[0].field);
	expect_counts(&r[0].c, 6, 3, 2, 0, 1, 5, 2);
	assert_true(kho_row_target(&r[0].c) == 94.0);
	assert_string_equal(r[1].agency, "Ag2");
	expect_counts(&r[1].c, 5, 0, 1, 2, 2, 5, 5);
	kho_cov_rows_free(r, n);

	rows_of(f->cat, KHO_COV_FIELD, &r, &n);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].field, "F1");
	assert_int_equal(r[0].c.registered, 7);
	kho_cov_rows_free(r, n);

	rows_of(f->cat, KHO_COV_GROUP, &r, &n);
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		assert_non_null(r[i].agency);
		assert_non_null(r[i].field);
		assert_true(r[i].year >= 2019);
		sum += r[i].c.registered;
		const kho_cov_counts *c = &r[i].c;
		assert_int_equal(c->archived + c->in_progress + c->failed +
					 c->not_scanned,
				 c->registered);
	}
	assert_int_equal(sum, 11);
	kho_cov_rows_free(r, n);
	kho_coverage_done(f->cat);
}

/* The catalog's own counts follow kho status, and add up with the
 * register's and the orphans'. */
static void test_status_rule(void **state)
{
	struct fixture *f = *state;
	kho_error err = KHO_ERROR_INIT;
	kho_where status, mine;
	assert_int_equal(kho_status_where(f->cat, &status, &err), KHO_OK);
	assert_int_equal(kho_coverage_prepare(f->cat, &targets, &err), KHO_OK);
	assert_int_equal(kho_coverage_catalog(f->cat, &mine, &err), KHO_OK);
	assert_int_equal(mine.records, status.records);
	assert_int_equal(mine.archived, status.archived);
	assert_int_equal(mine.in_progress, status.in_progress);
	assert_int_equal(mine.failed, status.failed);
	assert_int_equal(status.archived, 4);

	kho_cov_record *rec;
	size_t n;
	int64_t total = 0, archived = 0;
	assert_int_equal(kho_coverage_orphans(f->cat, 0, &rec, &n, &total,
					      &archived, &err),
			 KHO_OK);
	assert_int_equal(total, 2);
	assert_int_equal(archived, 1);
	assert_int_equal(n, 2);
	assert_string_equal(rec[0].record_id, "Z-1");
	assert_string_equal(rec[0].state, "archived");
	assert_string_equal(rec[1].record_id, "Z-2");
	assert_string_equal(rec[1].state, "failed");
	free(rec);

	kho_cov_row *all;
	assert_int_equal(
		kho_coverage_rows(f->cat, KHO_COV_TOTAL, &all, &n, &err),
		KHO_OK);
	assert_int_equal(all[0].c.archived + archived, status.archived);
	kho_cov_rows_free(all, n);

	assert_int_equal(
		kho_coverage_rescanned(f->cat, 1, &rec, &n, &total, &err),
		KHO_OK);
	assert_int_equal(total, 2);
	assert_int_equal(n, 1); /* the limit */
	assert_string_equal(rec[0].record_id, "A-2023-1");
	assert_int_equal(rec[0].version, 2);
	assert_int_equal(rec[0].archived_versions, 2);
	assert_true(rec[0].in_register);
	free(rec);
	kho_coverage_done(f->cat);
}

static void test_missing_list(void **state)
{
	struct fixture *f = *state;
	kho_error err = KHO_ERROR_INIT;
	kho_report_opts o;
	memset(&o, 0, sizeof(o));
	o.targets = targets;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int64_t count = 0;
	assert_int_equal(
		kho_report_missing(f->cat, &o, NULL, 0, out, &count, &err),
		KHO_OK);
	fclose(out);
	assert_int_equal(count, 3);
	assert_string_equal(buf, "\xEF\xBB\xBF"
				 "id,year,agency,field,procedure_code,title,"
				 "number,issue_date\r\n"
				 "A-2019-1,2019,Ag1,F1,,t,,\r\n"
				 "A-2020-4,2020,Ag2,F1,,\"a, b\",,\r\n"
				 "A-2024-1,2024,Ag2,F1,,t,,\r\n");
	free(buf);

	out = open_memstream(&buf, &len);
	assert_int_equal(
		kho_report_missing(f->cat, &o, "Ag2", 2024, out, &count, &err),
		KHO_OK);
	fclose(out);
	assert_int_equal(count, 1);
	assert_non_null(strstr(buf, "A-2024-1"));
	free(buf);
}

static void test_snapshots(void **state)
{
	struct fixture *f = *state;
	kho_error err = KHO_ERROR_INIT;
	int64_t id = 0;
	assert_int_equal(
		kho_snapshot_take(f->cat, &targets, "run", 5, 0, &id, &err),
		KHO_OK);
	assert_true(id > 0);
	kho_snapshot s;
	assert_int_equal(kho_snapshot_of_run(f->cat, &targets, 5, &s, &err),
			 KHO_OK);
	assert_int_equal(s.id, id);
	assert_string_equal(s.kind, "run");
	expect_counts(&s.total, 11, 3, 3, 2, 3, 10, 7);
	assert_int_equal(s.total.targeted, 10);
	assert_int_equal(s.total.target_weight, 930);
	expect_counts(&s.backlog, 7, 2, 2, 2, 1, 7, 5);
	expect_counts(&s.recent, 3, 1, 1, 0, 1, 3, 2);
	assert_int_equal(s.orphans, 2);
	assert_int_equal(kho_snapshot_of_run(f->cat, &targets, 6, &s, &err),
			 KHO_FAIL);
	assert_int_equal(kho_snapshot_before(f->cat, &targets,
					     "2000-01-01T00:00:00.000Z", &s,
					     &err),
			 KHO_FAIL);
	assert_int_equal(kho_snapshot_before(f->cat, &targets,
					     "2999-01-01T00:00:00.000Z", &s,
					     &err),
			 KHO_OK);
	assert_int_equal(s.id, id);
	/* Read with other targets, the backlog is other years. */
	kho_cov_targets wide = {2019, 2023, 90, 100};
	assert_int_equal(kho_snapshot_of_run(f->cat, &wide, 5, &s, &err),
			 KHO_OK);
	assert_int_equal(s.backlog.registered, 10);
	assert_int_equal(s.recent.registered, 1);
	/* The temporary tables are gone. */
	assert_int_equal(sqlite3_exec(kho_catalog_db(f->cat),
				      "SELECT * FROM temp.cov_id", NULL, NULL,
				      NULL),
			 SQLITE_ERROR);
}

static void test_trend(void **state)
{
	(void)state;
	struct fixture *f = open_fixture("trend");
	exec(f->cat,
	     "INSERT INTO snapshots (taken_at, kind, registered, archived,"
	     " in_progress, failed, not_scanned, needed, gap, orphans) VALUES"
	     " ('2026-11-20T05:00:00.000Z', 'run', 1000, 100, 0, 0, 900, 950,"
	     "  850, 0),"
	     " ('2026-11-26T05:00:00.000Z', 'run', 1000, 140, 0, 0, 860, 950,"
	     "  810, 0),"
	     " ('2026-11-26T09:00:00.000Z', 'import', 1000, 150, 0, 0, 850,"
	     "  950, 800, 0),"
	     " ('2026-11-27T05:00:00.000Z', 'run', 1000, 170, 0, 0, 830, 950,"
	     "  780, 0);");
	kho_report_opts o;
	memset(&o, 0, sizeof(o));
	o.targets = targets;
	snprintf(o.today, sizeof(o.today), "2026-11-28");
	snprintf(o.target_date, sizeof(o.target_date), "2026-12-08");
	kho_trend t;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_trend_compute(f->cat, &o, 500, &t, &err), KHO_OK);
	assert_int_equal(t.n_days, 3); /* the last of each day */
	assert_int_equal(t.days[1].total.archived, 150);
	assert_int_equal(t.nights_left, 10);
	assert_int_equal(t.per_night, 50);
	assert_int_equal(t.last_night, 20);
	assert_true(t.recent_per_night == 10.0); /* 70 in 7 nights */
	assert_string_equal(t.projected, "2027-01-17");
	kho_trend_release(&t);

	snprintf(o.today, sizeof(o.today), "2026-12-09");
	assert_int_equal(kho_trend_compute(f->cat, &o, 500, &t, &err), KHO_OK);
	assert_int_equal(t.nights_left, -1);
	assert_int_equal(t.per_night, -1);
	kho_trend_release(&t);
	assert_int_equal(kho_trend_compute(f->cat, &o, 0, &t, &err), KHO_OK);
	assert_int_equal(t.per_night, 0);
	assert_string_equal(t.projected, "");
	kho_trend_release(&t);
	kho_catalog_free(f->cat);
	kt_rmtree(f->dir);
	free(f);
}

/* ---- the writers ---- */

static kho_report *build(struct fixture *f)
{
	kho_report_opts o;
	memset(&o, 0, sizeof(o));
	o.targets = targets;
	o.root = "/srv/kho";
	o.trend_days = 90;
	snprintf(o.today, sizeof(o.today), "2026-11-30");
	snprintf(o.target_date, sizeof(o.target_date), "2026-12-31");
	snprintf(o.generated_at, sizeof(o.generated_at),
		 "2026-11-30T06:00:00.000Z");
	kho_report *r = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_report_build(f->cat, &o, &r, &err), KHO_OK);
	return r;
}

typedef int (*writer_fn)(const kho_report *, FILE *, kho_error *);

static char *render(const kho_report *r, writer_fn fn)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(fn(r, out, &err), KHO_OK);
	fclose(out);
	return buf;
}

static void test_text_fits_80_columns(void **state)
{
	struct fixture *f = *state;
	exec(f->cat, "UPDATE register SET agency = 'Sở Tài nguyên và Môi "
		     "trường thành phố Đà Nẵng' WHERE agency = 'Ag2';");
	kho_report *r = build(f);
	char *text = render(r, kho_report_text);
	char *save = NULL;
	int lines = 0;
	for (char *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save), lines++)
		if (kho_text_width(l) > 79)
			fail_msg("line wider than 79 columns: '%s'", l);
	assert_true(lines > 20);
	free(text);
	text = render(r, kho_report_text);
	assert_non_null(strstr(text, "\nall                     11        3"
				     "       3      2       3  27.3%  93.0%"
				     "      7\n"));
	assert_non_null(strstr(text, "\n2020                     4        2"
				     "       0      1       1  50.0%  90.0%"
				     "      2\n"));
	assert_non_null(strstr(text,
			       "\nSở Tài nguyên và Môi trường thành "
			       "phố Đà Nẵng\n                         5"));
	assert_non_null(strstr(text, "orphans, in the catalog but not in the "
				     "register: 2 (1 archived)"));
	assert_non_null(strstr(text, "kho status counts 4 archived: 3 of the "
				     "register and 1 orphan(s)"));
	free(text);
	kho_report_free(r);
}

static void test_csv_json_html(void **state)
{
	struct fixture *f = *state;
	exec(f->cat, "UPDATE register SET agency = 'Ag1 & <Sở>' WHERE "
		     "agency = 'Ag1';");
	kho_report *r = build(f);

	char *csv = render(r, kho_report_csv);
	int lines = 0;
	for (char *p = csv; (p = strstr(p, "\r\n")); p += 2)
		lines++;
	/* header, total, backlog, new, 5 years, 2 agencies, 2 fields,
	 * groups */
	assert_int_equal(lines, 1 + 3 + 5 + 2 + 2 + (int)r->n[KHO_COV_GROUP]);
	assert_non_null(strstr(csv, "\r\ntotal,,,,11,3,3,2,3,27.27,93.00,10,7"
				    "\r\n"));
	assert_non_null(strstr(csv, "\r\nyear,2019,,,1,0,0,0,1,0.00,,0,0"
				    "\r\n"));
	free(csv);

	char *js = render(r, kho_report_json);
	json_error_t jerr;
	json_t *doc = json_loads(js, 0, &jerr);
	if (!doc)
		fail_msg("JSON: %s", jerr.text);
	assert_string_equal(json_string_value(json_object_get(doc, "schema")),
			    "kho-report/1");
	json_t *total = json_object_get(doc, "total");
	assert_int_equal(json_integer_value(json_object_get(total, "gap")), 7);
	assert_true(json_real_value(json_object_get(total, "coverage_pct")) ==
		    27.27);
	assert_int_equal(json_array_size(json_object_get(doc, "by_year")), 5);
	json_t *y2019 = json_array_get(json_object_get(doc, "by_year"), 0);
	assert_true(json_is_null(json_object_get(y2019, "target_pct")));
	json_t *orphans = json_object_get(doc, "orphans");
	assert_int_equal(json_integer_value(json_object_get(orphans, "count")),
			 2);
	assert_int_equal(json_array_size(json_object_get(orphans, "records")),
			 2);
	json_t *status = json_object_get(doc, "status");
	assert_int_equal(
		json_integer_value(json_object_get(status, "archived")), 4);
	json_decref(doc);
	free(js);

	char *html = render(r, kho_report_html);
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "@import"));
	assert_null(strstr(html, "url("));
	int charts = 0;
	for (char *p = html; (p = strstr(p, "class=\"chart\"")); p++)
		charts++;
	assert_int_equal(charts, 4);
	assert_non_null(strstr(html, "</html>\n"));
	assert_non_null(strstr(html, ">Ag1 &amp; &lt;Sở&gt;<"));
	assert_null(strstr(html, "<Sở>"));
	free(html);
	kho_report_free(r);
}

static void test_empty_register(void **state)
{
	(void)state;
	struct fixture *f = open_fixture("report-empty");
	kho_report *r = build(f);
	assert_int_equal(kho_report_total(r, KHO_COV_TOTAL)->c.registered, 0);
	char *text = render(r, kho_report_text);
	assert_non_null(strstr(text, "register: empty"));
	free(text);
	char *html = render(r, kho_report_html);
	assert_non_null(strstr(html, "the register is empty"));
	free(html);
	kho_report_free(r);
	kho_catalog_free(f->cat);
	kt_rmtree(f->dir);
	free(f);
}

/* ---- small pieces ---- */

static void expect_reason(const char *msg, const char *want)
{
	char out[256];
	kho_failure_reason(msg, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_failure_reasons(void **state)
{
	(void)state;
	expect_reason("cannot decode 'HT-1/page-002.jpg': premature end of "
		      "JPEG file",
		      "cannot decode '\xE2\x80\xA6': premature end of JPEG "
		      "file");
	expect_reason("page 3 ('scan 7.tif'): strip 2 is cut",
		      "page N ('\xE2\x80\xA6'): strip 2 is cut");
	expect_reason("worker killed by signal 9 while rendering page 12",
		      "worker killed by signal 9 while rendering page N");
	/* An apostrophe inside a word is not a quote. */
	expect_reason("the desk's scan is 'x y' (bad)",
		      "the desk's scan is '\xE2\x80\xA6' (bad)");
	expect_reason("", "");
	char tiny[8];
	kho_failure_reason("cannot decode 'a'", tiny, sizeof(tiny));
	assert_string_equal(tiny, "cannot ");
}

static void test_dates_and_widths(void **state)
{
	(void)state;
	assert_int_equal(kho_report_day_number("1970-01-01"), 0);
	assert_int_equal(kho_report_day_number("2026-11-30T01:00:00Z"),
			 kho_report_day_number("2026-11-30"));
	assert_int_equal(kho_report_day_number("2024-03-01") -
				 kho_report_day_number("2024-02-28"),
			 2);
	assert_int_equal(kho_report_day_number("2023-02-29"), -1);
	assert_int_equal(kho_report_day_number("junk"), -1);
	char day[16];
	kho_report_day_string(kho_report_day_number("2027-01-17"), day);
	assert_string_equal(day, "2027-01-17");

	assert_int_equal(kho_text_width("Đà Nẵng"), 7);
	assert_int_equal(kho_text_width("Da\xCC\x80 Na\xCC\x86\xCC\x83ng"), 7);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	kho_put_padded(out, "Đà Nẵng", 9, 1);
	fputc('|', out);
	kho_put_padded(out, "Đà Nẵng thành phố", 6, 1);
	fputc('|', out);
	fclose(out);
	assert_string_equal(buf, "Đà Nẵng  |Đà Nẵ\xE2\x80\xA6|");
	free(buf);

	assert_true(kho_pct_shown(99.96, 1) == 99.9);
	assert_true(kho_pct_shown(100.0, 1) == 100.0);
	assert_true(kho_pct_shown(0.01, 1) == 0.1);
	assert_true(kho_pct_shown(66.666, 1) == 66.7);
	assert_true(kho_pct_shown(27.2727, 2) == 27.27);
	char s[16];
	kho_fmt_pct(-1, s, sizeof(s));
	assert_string_equal(s, "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_coverage_levels, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_rule, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_snapshots, setup,
						teardown),
		cmocka_unit_test(test_trend),
		cmocka_unit_test_setup_teardown(test_text_fits_80_columns,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_json_html, setup,
						teardown),
		cmocka_unit_test(test_empty_register),
		cmocka_unit_test(test_failure_reasons),
		cmocka_unit_test(test_dates_and_widths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
