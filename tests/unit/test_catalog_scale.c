/*
 * What keeps a large catalog's commands short (docs/PERFORMANCE.md, "The
 * catalog as it grows"): when the whole-catalog check is due, and the
 * counts every command ends with, made from indexes rather than from
 * every record, on a catalog holding each case they must count.
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
#include "testutil.h"

static kho_catalog *new_catalog(char *dir, size_t cap)
{
	snprintf(dir, cap, "%s", kt_tempdir("catalog-scale"));
	char path[4200];
	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	return kt_catalog_new(path);
}

static void exec(kho_catalog *cat, const char *sql)
{
	kho_error err = KHO_ERROR_INIT;
	if (kho_catalog_exec(cat, sql, &err) != KHO_OK)
		fail_msg("%s: %s", sql, err.msg);
}

static int due(kho_catalog *cat)
{
	kho_error err = KHO_ERROR_INIT;
	int d = -1;
	assert_int_equal(kho_catalog_check_due(cat, &d, &err), KHO_OK);
	return d;
}

static void test_check_due(void **state)
{
	(void)state;
	char dir[4096];
	kho_catalog *cat = new_catalog(dir, sizeof(dir));
	kho_error err = KHO_ERROR_INIT;
	int64_t run = 0;
	assert_int_equal(kho_catalog_run_start(cat, "kho run", &run, &err),
			 KHO_OK);
	/* Never checked: due. */
	assert_int_equal(due(cat), 1);
	assert_int_equal(kho_catalog_check(cat, &err), KHO_OK);
	/* A check that took no time: due before every command. */
	assert_int_equal(due(cat), 1);
	/* One that took as long as a large catalog's: not again today. */
	exec(cat, "UPDATE checks SET ms = 60000;");
	assert_int_equal(due(cat), 0);
	/* This command is not finished, and that is no reason. */
	assert_int_equal(kho_catalog_run_end(cat, run, "ok", NULL, &err),
			 KHO_OK);
	assert_int_equal(due(cat), 0);
	/* A later command that never ended (killed): due. */
	int64_t killed = 0;
	assert_int_equal(kho_catalog_run_start(cat, "kho run", &killed, &err),
			 KHO_OK);
	int64_t next = 0;
	assert_int_equal(kho_catalog_run_start(cat, "kho compress", &next,
					       &err),
			 KHO_OK);
	assert_int_equal(due(cat), 1);
	/* Checked by the next command: not due for the one after. */
	assert_int_equal(kho_catalog_check(cat, &err), KHO_OK);
	exec(cat, "UPDATE checks SET ms = 60000;");
	assert_int_equal(kho_catalog_run_end(cat, next, "ok", NULL, &err),
			 KHO_OK);
	int64_t after = 0;
	assert_int_equal(kho_catalog_run_start(cat, "kho run", &after, &err),
			 KHO_OK);
	assert_int_equal(due(cat), 0);
	/* The command that made the check, then killed: due for the next. */
	int64_t night = after;
	assert_int_equal(kho_catalog_check(cat, &err), KHO_OK);
	exec(cat, "UPDATE checks SET ms = 60000;");
	int64_t morning = 0;
	assert_int_equal(kho_catalog_run_start(cat, "kho compress", &morning,
					       &err),
			 KHO_OK);
	assert_int_equal(due(cat), 1);
	assert_int_equal(kho_catalog_run_end(cat, night, "ok", NULL, &err),
			 KHO_OK);
	assert_int_equal(due(cat), 0);
	/* KHO_CHECK_HOURS later: due; dated in the future: due. */
	exec(cat, "UPDATE checks SET at = strftime('%Y-%m-%dT%H:%M:%fZ',"
		  " 'now', '-21 hours');");
	assert_int_equal(due(cat), 1);
	exec(cat, "UPDATE checks SET at = strftime('%Y-%m-%dT%H:%M:%fZ',"
		  " 'now', '-19 hours');");
	assert_int_equal(due(cat), 0);
	exec(cat, "UPDATE checks SET at = strftime('%Y-%m-%dT%H:%M:%fZ',"
		  " 'now', '+2 hours');");
	assert_int_equal(due(cat), 1);
	/* A newer check stands for the older, far-dated ones. */
	assert_int_equal(kho_catalog_check(cat, &err), KHO_OK);
	exec(cat, "UPDATE checks SET ms = 60000;"
		  "UPDATE checks SET at = '2099-01-01T00:00:00.000Z'"
		  " WHERE id = 1;");
	assert_int_equal(due(cat), 0);
	kho_catalog_free(cat);
	kt_rmtree(dir);
}

/*
 * One record id for every case of where a record stands:
 *   A  pack done                                 archived
 *   B  version 1 archived, version 2 failed at compress: failed (v1 is
 *      not current and not counted)
 *   C  describe waiting                          in progress
 *   D  normalize failed, then compress done (its failure is not the
 *      furthest job)                             in progress
 *   E  pack failed                               failed
 *   F  a version with no job yet                 in progress
 *   G  compress running                          in progress
 * and two ingest failures without a version: one of an id (X), one of an
 * inbox entry that names no record.
 */
static const char cases[] =
	"INSERT INTO records (id, record_id, version, source, fingerprint,"
	" ingested_at, current) VALUES"
	" (1, 'A', 1, 's', 'f', 'x', 1), (2, 'B', 1, 's', 'f', 'x', 0),"
	" (3, 'B', 2, 's', 'g', 'x', 1), (4, 'C', 1, 's', 'f', 'x', 1),"
	" (5, 'D', 1, 's', 'f', 'x', 1), (6, 'E', 1, 's', 'f', 'x', 1),"
	" (7, 'F', 1, 's', 'f', 'x', 1), (8, 'G', 1, 's', 'f', 'x', 1);"
	"CREATE TEMP TABLE st (stage TEXT, rank INTEGER);"
	"INSERT INTO st VALUES ('ingest', 0), ('normalize', 1), ('compress', 2),"
	" ('describe', 3), ('pack', 4);"
	"CREATE TEMP TABLE upto (record INTEGER, rank INTEGER, last TEXT);"
	"INSERT INTO upto VALUES (1, 4, 'done'), (2, 4, 'done'),"
	" (3, 2, 'failed'), (4, 3, 'pending'), (5, 2, 'done'),"
	" (6, 4, 'failed'), (8, 2, 'running');"
	"INSERT INTO jobs (stage, record_id, record, state, queued_at, error)"
	" SELECT st.stage, r.record_id, r.id,"
	"  CASE WHEN st.rank < u.rank THEN 'done' ELSE u.last END, 'x', 'e'"
	" FROM records r JOIN upto u ON u.record = r.id"
	" JOIN st ON st.rank <= u.rank;"
	"UPDATE jobs SET state = 'failed' WHERE record = 5"
	" AND stage = 'normalize';"
	/* As kho_jobs_enqueue_ingest makes them: an id, no record. */
	"UPDATE jobs SET record = NULL WHERE stage = 'ingest';"
	"INSERT INTO jobs (stage, record_id, state, queued_at, error) VALUES"
	" ('ingest', 'X', 'failed', 'x', 'cannot decode'),"
	" ('ingest', NULL, 'failed', 'x', 'no record id');";

static void test_where_records_stand(void **state)
{
	(void)state;
	char dir[4096];
	kho_catalog *cat = new_catalog(dir, sizeof(dir));
	exec(cat, cases);
	kho_error err = KHO_ERROR_INIT;
	kho_where w;
	assert_int_equal(kho_status_where(cat, &w, &err), KHO_OK);
	assert_int_equal(w.records, 7);
	assert_int_equal(w.archived, 1);
	assert_int_equal(w.failed, 2);
	assert_int_equal(w.in_progress, 4);
	assert_int_equal(w.ingest_failed, 1);
	assert_int_equal(w.problems, 1);
	/* The same rule as the coverage report's, written the long way:
	 * each current version's furthest job. */
	static const char furthest[] =
		"SELECT sum(f.state = 'failed'),"
		" sum(f.state IS NULL OR (f.state <> 'failed' AND"
		"  NOT (f.stage = 'pack' AND f.state = 'done')))"
		" FROM records r LEFT JOIN jobs f ON f.id = (SELECT id FROM jobs"
		"  WHERE record = r.id ORDER BY CASE stage WHEN 'ingest' THEN 0"
		"  WHEN 'normalize' THEN 1 WHEN 'compress' THEN 2"
		"  WHEN 'describe' THEN 3 WHEN 'pack' THEN 4 END DESC LIMIT 1)"
		" WHERE r.current = 1;";
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(cat->db, furthest, -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), w.failed);
	assert_int_equal(sqlite3_column_int64(st, 1), w.in_progress);
	sqlite3_finalize(st);

	/* The jobs by stage and state: of current versions and of ids (an
	 * ingest job has an id, no record: B's two count), not B's first
	 * version's later jobs nor the nameless inbox entry's. */
	kho_stage_counts c;
	assert_int_equal(kho_status_counts(cat, &c, &err), KHO_OK);
	static const int64_t want[KHO_N_STAGES][4] = {
		/* pending, running, done, failed */
		{ 0, 0, 7, 1 }, /* ingest: A B B C D E G; X */
		{ 0, 0, 5, 1 }, /* normalize: A B C E G; D */
		{ 0, 1, 4, 1 }, /* compress: G; A C D E; B */
		{ 1, 0, 2, 0 }, /* describe: C; A E */
		{ 0, 0, 1, 1 }, /* pack: A; E */
	};
	for (int i = 0; i < KHO_N_STAGES; i++)
		for (int t = 0; t < 4; t++)
			if (c.n[i][t] != want[i][t])
				fail_msg("%s %s: %lld, not %lld",
					 kho_stage_order[i],
					 kho_job_state_name((kho_job_state)t),
					 (long long)c.n[i][t],
					 (long long)want[i][t]);

	/* The failures listed: every failed job of a current version or of
	 * no version, D's normalize included, B's first version's none. */
	kho_failure *f = NULL;
	size_t n = 0;
	assert_int_equal(kho_status_failures(cat, 0, &f, &n, &err), KHO_OK);
	assert_int_equal(n, 5);
	assert_string_equal(f[0].stage, "ingest");
	assert_string_equal(f[2].stage, "normalize");
	assert_string_equal(f[2].record_id, "D");
	assert_string_equal(f[3].record_id, "B");
	assert_string_equal(f[4].record_id, "E");
	kho_failures_free(f, n);
	kho_catalog_free(cat);
	kt_rmtree(dir);
}

/* None of what every command does at its start and end (the counts, the
 * failures, the jobs taken back) reads a table through, but for one pass
 * over the current records' index to count them: SQLite counts the steps
 * of each statement's full scans. */
static void test_where_reads_no_table_through(void **state)
{
	(void)state;
	char dir[4096];
	kho_catalog *cat = new_catalog(dir, sizeof(dir));
	exec(cat, cases);
	/* Enough rows that the planner has a choice to get wrong. */
	exec(cat, "WITH RECURSIVE c(n) AS (SELECT 10 UNION ALL SELECT n + 1"
		  " FROM c WHERE n < 2000)"
		  " INSERT INTO records (id, record_id, version, source,"
		  " fingerprint, ingested_at) SELECT n, 'R' || n, 1, 's', 'f',"
		  " 'x' FROM c;"
		  "INSERT INTO jobs (stage, record_id, record, state, queued_at)"
		  " SELECT st.stage, r.record_id,"
		  "  CASE WHEN st.stage = 'ingest' THEN NULL ELSE r.id END,"
		  "  'done', 'x'"
		  " FROM records r, st WHERE r.id >= 10;");
	kho_error err = KHO_ERROR_INIT;
	kho_where w;
	assert_int_equal(kho_status_where(cat, &w, &err), KHO_OK);
	assert_int_equal(w.archived, 1 + 1991);
	kho_failure *f = NULL;
	size_t n = 0;
	assert_int_equal(kho_status_failures(cat, 0, &f, &n, &err), KHO_OK);
	kho_failures_free(f, n);
	kho_stage_counts c;
	assert_int_equal(kho_status_counts(cat, &c, &err), KHO_OK);
	assert_int_equal(c.n[4][KHO_JOB_DONE], 1 + 1991);
	/* A sealed volume of two bags, one of them in a second volume too. */
	exec(cat, "INSERT INTO volumes (id, name, state, size, sha256, members,"
		  " created_at) VALUES (1, 'vol-000001.tar', 'sealed', 9, 'x',"
		  " 4, 'x'), (2, 'vol-000002.tar', 'sealed', 9, 'x', 2, 'x'),"
		  " (3, 'vol-000003.tar', 'writing', 0, 'x', 0, 'x');"
		  "INSERT INTO archive (record, record_id, version, volume, bag,"
		  " member, offset, size, sha256) VALUES"
		  " (10, 'R10', 1, 1, 'R10.1', 'R10.1/bagit.txt', 0, 1, 'x'),"
		  " (10, 'R10', 1, 1, 'R10.1', 'R10.1/data/R10/result.pdf', 0, 1,"
		  " 'x'),"
		  " (11, 'R11', 1, 1, 'R11.1', 'R11.1/bagit.txt', 0, 1, 'x'),"
		  " (11, 'R11', 1, 1, 'R11.1', 'R11.1/data/bagit.txt', 0, 1, 'x'),"
		  " (10, 'R10', 1, 2, 'R10.1', 'R10.1/bagit.txt', 0, 1, 'x'),"
		  " (12, 'R12', 1, 3, 'R12.1', 'R12.1/bagit.txt', 0, 1, 'x');");
	int64_t volumes = 0, bags = 0;
	uint64_t bytes = 0;
	assert_int_equal(kho_status_warehouse(cat, &volumes, &bags, &bytes,
					      &err),
			 KHO_OK);
	assert_int_equal(volumes, 2);
	assert_int_equal(bags, 3);
	assert_int_equal(bytes, 18);
	int back = 0;
	assert_int_equal(kho_jobs_recover(cat, &back, &err), KHO_OK);
	assert_int_equal(back, 1);
	assert_true(cat->n_stmts >= 12);
	int64_t jobs = 0;
	for (int i = 0; i < KHO_N_STAGES; i++)
		for (int t = 0; t < 4; t++)
			jobs += c.n[i][t];
	for (size_t i = 0; i < cat->n_stmts; i++) {
		const int steps = sqlite3_stmt_status(
			cat->stmts[i].stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
		/* The passes allowed, an index entry each: the current
		 * records counted through their index, the jobs through the
		 * (stage, state) index (kho status's all, the summary's
		 * pack jobs done), and the warehouse's bags through theirs
		 * (4) beside its volumes (3, twice). */
		const char *sql = cat->stmts[i].sql;
		const int64_t allowed =
			strstr(sql, "INDEXED BY records_current") ? w.records
			: strstr(sql, "INDEXED BY jobs_claim")    ? jobs + 8
			: strstr(sql, "INDEXED BY archive_bags")  ? 2 * 3 + 4
								  : 0;
		if (steps > allowed)
			fail_msg("%d steps through a table: %s", steps, sql);
		/* And no search along an index over a row a record: the
		 * catalog holds 2,000 records, 10,000 jobs. */
		const int vm = sqlite3_stmt_status(
			cat->stmts[i].stmt, SQLITE_STMTSTATUS_VM_STEP, 0);
		if (allowed == 0 && vm > 1000)
			fail_msg("%d steps of SQLite's machine: %s", vm, sql);
	}
	kho_catalog_free(cat);
	kt_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_due),
		cmocka_unit_test(test_where_records_stand),
		cmocka_unit_test(test_where_reads_no_table_through),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
