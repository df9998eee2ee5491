/*
 * Several work roots reported as one (report_roots.c, kho report
 * --roots): the trend adds up each root's last snapshot of every day,
 * carrying a root's state forward over the days it kept none, and works
 * needed and gap out again from the sums; the coverage tables of the
 * first root take the other roots' record ids, and refuse roots that hold
 * the same record or another register.
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
#include "catalog/catalog_report.h"
#include "report/report_util.h"
#include "testutil.h"

static kho_catalog *open_cat(const char *dir, const char *name)
{
	char db[4200];
	snprintf(db, sizeof(db), "%s/%s.db", dir, name);
	return kt_catalog_new(db);
}

static void exec(kho_catalog *cat, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(kho_catalog_db(cat), sql, NULL, NULL, &msg) !=
	    SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* A snapshot of one year of issue, 2021 (target 90%, 10 registered). */
static void snapshot(kho_catalog *cat, int id, const char *at, int archived,
		     int orphans)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO snapshots (id, taken_at, kind, run, registered,"
		 " archived, in_progress, failed, not_scanned, needed, gap,"
		 " orphans) VALUES (%d, '%s', 'run', 1, 10, %d, 0, 0, %d, 9,"
		 " %d, %d);"
		 "INSERT INTO snapshot_years (snapshot, year, registered,"
		 " archived, in_progress, failed, not_scanned, target_pct,"
		 " needed, gap) VALUES (%d, 2021, 10, %d, 0, 0, %d, 90, 9,"
		 " %d);",
		 id, at, archived, 10 - archived,
		 archived < 9 ? 9 - archived : 0, orphans, id, archived,
		 10 - archived, archived < 9 ? 9 - archived : 0);
	exec(cat, sql);
}

static void test_trend_of_roots(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", kt_tempdir("roots-trend"));
	kho_catalog *a = open_cat(dir, "a"), *b = open_cat(dir, "b");
	/* a: day 1 five archived (an earlier snapshot that day: two),
	 * day 3 seven; b: day 2 three. */
	snapshot(a, 1, "2026-11-01T01:00:00.000Z", 2, 0);
	snapshot(a, 2, "2026-11-01T05:00:00.000Z", 5, 1);
	snapshot(a, 3, "2026-11-03T05:00:00.000Z", 7, 1);
	snapshot(b, 1, "2026-11-02T04:00:00.000Z", 3, 2);

	kho_report_opts o;
	memset(&o, 0, sizeof(o));
	o.targets = (kho_cov_targets){2020, 2022, 90, 100};
	kho_catalog *others[] = {b};
	const char *names[] = {"a", "b"};
	o.others = others;
	o.names = names;
	o.n_others = 1;
	kho_snapshot *days = NULL;
	size_t n = 0;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_snapshot_days_roots(a, &o, 0, &days, &n, &err),
			 KHO_OK);
	assert_int_equal(n, 3);
	static const struct {
		const char *at;
		int64_t archived, gap, orphans;
	} want[] = {
		{"2026-11-01T05:00:00.000Z", 5, 4, 1},
		{"2026-11-02T04:00:00.000Z", 8, 1, 3},
		{"2026-11-03T05:00:00.000Z", 10, 0, 3},
	};
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(days[i].taken_at, want[i].at);
		assert_int_equal(days[i].total.registered, 10);
		assert_int_equal(days[i].total.archived, want[i].archived);
		assert_int_equal(days[i].total.not_scanned,
				 want[i].archived > 10 ? 0
						       : 10 - want[i].archived);
		assert_int_equal(days[i].total.needed, 9);
		assert_int_equal(days[i].total.gap, want[i].gap);
		assert_int_equal(days[i].backlog.archived, want[i].archived);
		assert_int_equal(days[i].recent.registered, 0);
		assert_int_equal(days[i].orphans, want[i].orphans);
		assert_int_equal(days[i].run, 0);
	}
	free(days);
	/* The last two days only. */
	assert_int_equal(kho_snapshot_days_roots(a, &o, 2, &days, &n, &err),
			 KHO_OK);
	assert_int_equal(n, 2);
	assert_int_equal(days[0].total.archived, 8);
	free(days);
	kho_catalog_free(a);
	kho_catalog_free(b);
	kt_rmtree(dir);
}

static void add_register(kho_catalog *cat, const char *id, int year)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "INSERT OR IGNORE INTO register_imports (id, file, sha256,"
		 " columns, imported_at) VALUES (1, 'r.csv', 'x', '', 'now');"
		 "INSERT INTO register (record_id, year, agency, field,"
		 " added_by, changed_by) VALUES ('%s', %d, 'A', 'F', 1, 1);",
		 id, year);
	exec(cat, sql);
}

/* A current record version, archived (its furthest job: pack, done). */
static void archived(kho_catalog *cat, const char *id)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO records (record_id, version, source, fingerprint,"
		 " ingested_at) VALUES ('%s', 1, 'inbox', 'fp', 'now');"
		 "INSERT INTO jobs (stage, record, record_id, state, queued_at)"
		 " VALUES ('pack', last_insert_rowid(), '%s', 'done', 'now');",
		 id, id);
	exec(cat, sql);
}

static void test_coverage_of_roots(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", kt_tempdir("roots-cov"));
	kho_catalog *a = open_cat(dir, "a"), *b = open_cat(dir, "b");
	static const char *const ids[] = {"R-1", "R-2", "R-3", "R-4"};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(ids); i++) {
		add_register(a, ids[i], 2021);
		add_register(b, ids[i], 2021);
	}
	archived(a, "R-1");
	archived(b, "R-2");
	archived(b, "X-9"); /* an orphan */
	const kho_cov_targets t = {2020, 2022, 90, 100};
	kho_catalog *others[] = {b};
	const char *names[] = {"a", "b"};
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(
		kho_coverage_prepare_roots(a, others, names, 1, &t, &err),
		KHO_OK);
	kho_cov_row *rows = NULL;
	size_t n = 0;
	assert_int_equal(kho_coverage_rows(a, KHO_COV_TOTAL, &rows, &n, &err),
			 KHO_OK);
	assert_int_equal(rows[0].c.registered, 4);
	assert_int_equal(rows[0].c.archived, 2);
	assert_int_equal(rows[0].c.not_scanned, 2);
	assert_int_equal(rows[0].c.gap, 2);
	kho_cov_rows_free(rows, n);
	kho_cov_record *orphans = NULL;
	int64_t total = 0, arch = 0;
	assert_int_equal(
		kho_coverage_orphans(a, 0, &orphans, &n, &total, &arch, &err),
		KHO_OK);
	assert_int_equal(total, 1);
	assert_string_equal(orphans[0].record_id, "X-9");
	assert_string_equal(orphans[0].state, "archived");
	free(orphans);
	kho_coverage_done(a);

	/* The same record in both roots: not shards of one batch. */
	archived(a, "R-2");
	kho_error_clear(&err);
	assert_int_equal(
		kho_coverage_prepare_roots(a, others, names, 1, &t, &err),
		KHO_USAGE);
	assert_non_null(strstr(err.msg, "record 'R-2' is in work roots 'a' "
					"and 'b'"));
	kho_coverage_done(a);

	/* Another register. */
	add_register(b, "R-5", 2022);
	kho_error_clear(&err);
	assert_int_equal(
		kho_coverage_prepare_roots(a, others, names, 1, &t, &err),
		KHO_USAGE);
	assert_non_null(strstr(err.msg, "hold different registers (4 and 5"));
	kho_catalog_free(a);
	kho_catalog_free(b);
	kt_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trend_of_roots),
		cmocka_unit_test(test_coverage_of_roots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
