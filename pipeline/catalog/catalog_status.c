/* What `kho status` and `kho show` read. */
#include "catalog/catalog_private.h"

#include <stdlib.h>
#include <string.h>

static int state_index(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, kho_job_state_name((kho_job_state)i)) == 0)
			return i;
	return -1;
}

int kho_status_counts(kho_catalog *cat, kho_stage_counts *c, kho_error *err)
{
	/* The jobs of current records and of ids not yet a record: every
	 * job, counted in the (stage, state) index alone, less the jobs of
	 * old versions (few, by their index) and of inbox entries that name
	 * no record (record_id NULL, by the record_id index). */
	static const char all[] =
		"SELECT stage, state, count(*) FROM jobs INDEXED BY jobs_claim"
		" GROUP BY stage, state;";
	static const char old[] =
		"SELECT j.stage, j.state, count(*) FROM records r"
		" INDEXED BY records_old CROSS JOIN jobs j ON j.record = r.id"
		" WHERE r.current = 0 GROUP BY j.stage, j.state;";
	static const char nameless[] =
		"SELECT stage, state, count(*) FROM jobs INDEXED BY jobs_record_id"
		" WHERE record_id IS NULL AND record IS NULL"
		" GROUP BY stage, state;";
	memset(c, 0, sizeof(*c));
	const char *const sqls[] = { all, old, nameless };
	for (size_t i = 0; i < KHO_ARRAY_SIZE(sqls); i++) {
		sqlite3_stmt *st = kho_catalog_stmt(cat, sqls[i], err);
		if (!st)
			return KHO_FATAL;
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			int s = kho_stage_index(kho_col_text(st, 0));
			int t = state_index(kho_col_text(st, 1));
			int64_t n = sqlite3_column_int64(st, 2);
			if (s >= 0 && t >= 0)
				c->n[s][t] += i == 0 ? n : -n;
		}
		sqlite3_reset(st);
		if (step != SQLITE_DONE)
			return kho_catalog_error(cat, err);
	}
	return KHO_OK;
}

int kho_status_where(kho_catalog *cat, kho_where *w, kho_error *err)
{
	/* A record stands where its furthest job is.  Pack is the last
	 * stage, so a current record whose pack job is done is archived:
	 * counted from the (stage, state) index, less the old versions'
	 * (few, by their own index).  Every command ends with these counts,
	 * so none of them reads through a catalog of a million records. */
	static const char packed[] =
		"SELECT count(*) FROM jobs INDEXED BY jobs_claim"
		" WHERE stage = 'pack' AND state = 'done';";
	static const char old_packed[] =
		"SELECT count(*) FROM records r INDEXED BY records_old"
		" CROSS JOIN jobs j ON j.record = r.id AND j.stage = 'pack'"
		" WHERE r.current = 0 AND j.state = 'done';";
	/* Failed: a current record's failed job with no job after it.  The
	 * failed jobs first (CROSS JOIN keeps that order): they are few. */
	static const char failed[] =
		"SELECT count(*) FROM jobs f CROSS JOIN records r ON r.id = f.record"
		" WHERE f.stage IN " KHO_SQL_STAGES " AND f.state = 'failed'"
		" AND r.current = 1"
		" AND NOT EXISTS (SELECT 1 FROM jobs g WHERE g.record = f.record"
		"  AND " KHO_SQL_STAGE_RANK("g") " > " KHO_SQL_STAGE_RANK("f") ");";
	/* Ingest failures of ids with no current version, or whose newest
	 * scans failed. */
	static const char ingest[] =
		"SELECT count(*) FROM jobs WHERE stage = 'ingest'"
		" AND state = 'failed' AND record_id IS NOT NULL;";
	static const char problems[] =
		"SELECT count(*) FROM jobs WHERE stage = 'ingest'"
		" AND state = 'failed' AND record_id IS NULL;";
	static const char records[] =
		"SELECT count(*) FROM records INDEXED BY records_current"
		" WHERE current = 1;";
	memset(w, 0, sizeof(*w));
	int64_t old = 0;
	const char *const singles[] = { packed, old_packed, failed, ingest,
					problems, records };
	int64_t *outs[] = { &w->archived, &old, &w->failed,
			    &w->ingest_failed, &w->problems, &w->records };
	for (size_t i = 0; i < KHO_ARRAY_SIZE(singles); i++) {
		sqlite3_stmt *st = kho_catalog_stmt(cat, singles[i], err);
		if (!st)
			return KHO_FATAL;
		const int step = sqlite3_step(st);
		*outs[i] = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (step != SQLITE_ROW)
			return kho_catalog_error(cat, err);
	}
	w->archived -= old;
	/* The rest have a job waiting, running, or done short of pack. */
	w->in_progress = KHO_MAX(0, w->records - w->archived - w->failed);
	return KHO_OK;
}

void kho_failures_free(kho_failure *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].error);
	free(f);
}

int kho_status_failures(kho_catalog *cat, int64_t run, kho_failure **out,
			size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT j.stage, coalesce(j.record_id, ''),"
		" coalesce(j.finished_at, ''), coalesce(j.run, 0),"
		" coalesce(j.error, '')"
		" FROM jobs j LEFT JOIN records r ON r.id = j.record"
		" WHERE j.stage IN " KHO_SQL_STAGES " AND j.state = 'failed'"
		" AND (j.record IS NULL OR r.current = 1)"
		" AND (? = 0 OR j.run = ?)"
		" ORDER BY " KHO_SQL_STAGE_RANK("j") ", j.record_id, j.id;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, run);
	size_t cap = 0;
	int step;
	kho_failure *f = NULL;
	size_t count = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			kho_failure *p = realloc(f, cap * sizeof(*p));
			if (!p) {
				step = SQLITE_NOMEM;
				break;
			}
			f = p;
		}
		kho_failure *x = &f[count++];
		memset(x, 0, sizeof(*x));
		kho_col_copy(st, 0, x->stage, sizeof(x->stage));
		kho_col_copy(st, 1, x->record_id, sizeof(x->record_id));
		kho_col_copy(st, 2, x->finished_at, sizeof(x->finished_at));
		x->run = sqlite3_column_int64(st, 3);
		x->error = strdup(kho_col_text(st, 4));
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		kho_failures_free(f, count);
		return step == SQLITE_NOMEM
			       ? kho_error_set(err, KHO_FATAL, "out of memory")
			       : kho_catalog_error(cat, err);
	}
	*out = f;
	*n = count;
	return KHO_OK;
}

int kho_status_warehouse(kho_catalog *cat, int64_t *volumes, int64_t *bags,
			 uint64_t *bytes, kho_error *err)
{
	/* A bag has one bagit.txt, its own index entry (archive_bags): the
	 * bags are counted without reading every member. */
	static const char sql[] =
		"SELECT (SELECT count(*) FROM volumes WHERE state = 'sealed'),"
		" (SELECT count(*) FROM archive a INDEXED BY archive_bags"
		"  JOIN volumes v ON v.id = a.volume"
		"  WHERE a.member = a.bag || '/bagit.txt'"
		"  AND v.state = 'sealed'),"
		" (SELECT coalesce(sum(size), 0) FROM volumes"
		"  WHERE state = 'sealed');";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*volumes = sqlite3_column_int64(st, 0);
		*bags = sqlite3_column_int64(st, 1);
		*bytes = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	return step == SQLITE_ROW ? KHO_OK : kho_catalog_error(cat, err);
}

void kho_job_rows_free(kho_job_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].detail);
		free(rows[i].error);
	}
	free(rows);
}

int kho_jobs_of(kho_catalog *cat, const char *record_id, int64_t record,
		kho_job_row **out, size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT stage, state, attempts, coalesce(finished_at, ''),"
		" detail, error FROM jobs"
		" WHERE (stage = 'ingest' AND record_id = ?) OR record = ?"
		" ORDER BY " KHO_SQL_STAGE_RANK("jobs") ";";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, record);
	size_t cap = 0;
	int step;
	kho_job_row *rows = NULL;
	size_t count = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			kho_job_row *p = realloc(rows, cap * sizeof(*p));
			if (!p) {
				step = SQLITE_NOMEM;
				break;
			}
			rows = p;
		}
		kho_job_row *r = &rows[count++];
		memset(r, 0, sizeof(*r));
		kho_col_copy(st, 0, r->stage, sizeof(r->stage));
		kho_col_copy(st, 1, r->state, sizeof(r->state));
		r->attempts = sqlite3_column_int(st, 2);
		kho_col_copy(st, 3, r->finished_at, sizeof(r->finished_at));
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			r->detail = strdup(kho_col_text(st, 4));
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			r->error = strdup(kho_col_text(st, 5));
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		kho_job_rows_free(rows, count);
		return step == SQLITE_NOMEM
			       ? kho_error_set(err, KHO_FATAL, "out of memory")
			       : kho_catalog_error(cat, err);
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}

int kho_archive_of(kho_catalog *cat, const char *record_id,
		   kho_archive_row **out, size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT v.name, a.bag, a.version, a.member, a.offset, a.size,"
		" a.sha256 FROM archive a JOIN volumes v ON v.id = a.volume"
		" WHERE a.record_id = ? AND v.state = 'sealed'"
		" ORDER BY a.version, a.id;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
	size_t cap = 0;
	int step;
	kho_archive_row *rows = NULL;
	size_t count = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			kho_archive_row *p = realloc(rows, cap * sizeof(*p));
			if (!p) {
				step = SQLITE_NOMEM;
				break;
			}
			rows = p;
		}
		kho_archive_row *r = &rows[count++];
		memset(r, 0, sizeof(*r));
		kho_col_copy(st, 0, r->volume, sizeof(r->volume));
		kho_col_copy(st, 1, r->bag, sizeof(r->bag));
		r->version = sqlite3_column_int(st, 2);
		kho_col_copy(st, 3, r->m.member, sizeof(r->m.member));
		r->m.offset = (uint64_t)sqlite3_column_int64(st, 4);
		r->m.size = (uint64_t)sqlite3_column_int64(st, 5);
		kho_col_copy(st, 6, r->m.sha256, sizeof(r->m.sha256));
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		free(rows);
		return step == SQLITE_NOMEM
			       ? kho_error_set(err, KHO_FATAL, "out of memory")
			       : kho_catalog_error(cat, err);
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}
