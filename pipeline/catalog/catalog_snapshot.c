/* Coverage snapshots (the trend night by night) and what a run did (the
 * morning report). */
#include "catalog/catalog_private.h"
#include "catalog/catalog_report.h"
#include "common/clock.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static sqlite3_stmt *prepare(kho_catalog *cat, const char *sql, kho_error *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK) {
		kho_catalog_error(cat, err);
		return NULL;
	}
	return st;
}

/* ---- taking one ---- */

static int insert_snapshot(kho_catalog *cat, const char *kind, int64_t run,
			   int64_t import, const kho_cov_counts *c,
			   int64_t orphans, int64_t *id, kho_error *err)
{
	static const char sql[] =
		"INSERT INTO snapshots (taken_at, kind, run, import, "
		"registered,"
		" archived, in_progress, failed, not_scanned, needed, gap,"
		" orphans) VALUES (?, ?, nullif(?, 0), nullif(?, 0), ?, ?, ?, "
		"?,"
		" ?, ?, ?, ?);";
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = prepare(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, run);
	sqlite3_bind_int64(st, 4, import);
	const int64_t v[] = {c->registered, c->archived,    c->in_progress,
			     c->failed,	    c->not_scanned, c->needed,
			     c->gap,	    orphans};
	for (int i = 0; i < 8; i++)
		sqlite3_bind_int64(st, 5 + i, v[i]);
	int rc = sqlite3_step(st) == SQLITE_DONE ? KHO_OK
						 : kho_catalog_error(cat, err);
	sqlite3_finalize(st);
	*id = sqlite3_last_insert_rowid(cat->db);
	return rc;
}

static int insert_years(kho_catalog *cat, int64_t id, const kho_cov_row *y,
			size_t n, const kho_cov_targets *t, kho_error *err)
{
	static const char sql[] =
		"INSERT INTO snapshot_years (snapshot, year, registered,"
		" archived, in_progress, failed, not_scanned, target_pct,"
		" needed, gap) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);";
	sqlite3_stmt *st = prepare(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	int rc = KHO_OK;
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int(st, 2, y[i].year);
		const int64_t v[] = {y[i].c.registered, y[i].c.archived,
				     y[i].c.in_progress, y[i].c.failed,
				     y[i].c.not_scanned};
		for (int k = 0; k < 5; k++)
			sqlite3_bind_int64(st, 3 + k, v[k]);
		int target = kho_cov_target_of(t, y[i].year);
		if (target >= 0)
			sqlite3_bind_int(st, 8, target);
		else
			sqlite3_bind_null(st, 8);
		sqlite3_bind_int64(st, 9, y[i].c.needed);
		sqlite3_bind_int64(st, 10, y[i].c.gap);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = kho_catalog_error(cat, err);
	}
	sqlite3_finalize(st);
	return rc;
}

int kho_snapshot_take(kho_catalog *cat, const kho_cov_targets *t,
		      const char *kind, int64_t run, int64_t import,
		      int64_t *id, kho_error *err)
{
	kho_cov_row *total = NULL, *years = NULL;
	size_t n_total = 0, n_years = 0;
	kho_cov_record *none = NULL;
	size_t n_none = 0;
	int64_t orphans = 0, orphans_archived = 0, snap = 0;
	int rc = kho_coverage_prepare(cat, t, err);
	if (rc == KHO_OK)
		rc = kho_coverage_rows(cat, KHO_COV_TOTAL, &total, &n_total,
				       err);
	if (rc == KHO_OK)
		rc = kho_coverage_rows(cat, KHO_COV_YEAR, &years, &n_years,
				       err);
	if (rc == KHO_OK)
		rc = kho_coverage_orphans(cat, 1, &none, &n_none, &orphans,
					  &orphans_archived, err);
	free(none);
	kho_coverage_done(cat);
	if (rc == KHO_OK)
		rc = kho_catalog_begin(cat, err);
	if (rc == KHO_OK) {
		assert(n_total == 1);
		rc = insert_snapshot(cat, kind, run, import, &total[0].c,
				     orphans, &snap, err);
		if (rc == KHO_OK)
			rc = insert_years(cat, snap, years, n_years, t, err);
		if (rc == KHO_OK)
			rc = kho_catalog_commit(cat, err);
		else
			kho_catalog_rollback(cat);
	}
	kho_cov_rows_free(total, n_total);
	kho_cov_rows_free(years, n_years);
	if (rc)
		return kho_error_prefix(err, "cannot take a coverage snapshot");
	if (id)
		*id = snap;
	return KHO_OK;
}

/* ---- reading them ---- */

/* ?1 backlog_from, ?2 backlog_to: all years, the backlog and the later
 * years from the per-year rows, by the targets in force when read. */
/* clang-format off */
#define ERA_SUMS(cond)                                                    \
	" coalesce(sum(CASE WHEN " cond " THEN registered END), 0),"      \
	" coalesce(sum(CASE WHEN " cond " THEN archived END), 0),"        \
	" coalesce(sum(CASE WHEN " cond " THEN in_progress END), 0),"     \
	" coalesce(sum(CASE WHEN " cond " THEN failed END), 0),"          \
	" coalesce(sum(CASE WHEN " cond " THEN not_scanned END), 0),"     \
	" coalesce(sum(CASE WHEN " cond " AND target_pct IS NOT NULL"     \
	"  THEN registered END), 0),"                                     \
	" coalesce(sum(CASE WHEN " cond " THEN target_pct * registered"   \
	"  END), 0),"                                                     \
	" coalesce(sum(CASE WHEN " cond " THEN needed END), 0),"          \
	" coalesce(sum(CASE WHEN " cond " THEN gap END), 0)"

/* The totals as the snapshot kept them; the years' sums beside them. */
#define SNAPSHOT_SELECT                                                   \
	"SELECT s.id, s.taken_at, s.kind, coalesce(s.run, 0),"            \
	" coalesce(s.import, 0), s.orphans, s.registered, s.archived,"    \
	" s.in_progress, s.failed, s.not_scanned, s.needed, s.gap,"       \
	" e.*"                                                            \
	" FROM snapshots s LEFT JOIN (SELECT snapshot AS sid,"            \
	ERA_SUMS("year BETWEEN ?1 AND ?2") ","                            \
	ERA_SUMS("year > ?2") ","                                         \
	" coalesce(sum(CASE WHEN target_pct IS NOT NULL THEN registered"  \
	"  END), 0) AS tt,"                                               \
	" coalesce(sum(target_pct * registered), 0) AS tw"                \
	" FROM snapshot_years GROUP BY snapshot) e ON e.sid = s.id "
/* clang-format on */

static void read_snapshot(sqlite3_stmt *st, kho_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(st, 0);
	kho_col_copy(st, 1, s->taken_at, sizeof(s->taken_at));
	kho_col_copy(st, 2, s->kind, sizeof(s->kind));
	s->run = sqlite3_column_int64(st, 3);
	s->import = sqlite3_column_int64(st, 4);
	s->orphans = sqlite3_column_int64(st, 5);
	kho_cov_counts *t = &s->total;
	int64_t *tv[] = {&t->registered, &t->archived,	  &t->in_progress,
			 &t->failed,	 &t->not_scanned, &t->needed,
			 &t->gap};
	int col = 6;
	for (size_t i = 0; i < KHO_ARRAY_SIZE(tv); i++)
		*tv[i] = sqlite3_column_int64(st, col++);
	col++; /* e.sid; a snapshot without years reads as zeros */
	kho_cov_counts *era[] = {&s->backlog, &s->recent};
	for (int k = 0; k < 2; k++) {
		kho_cov_counts *c = era[k];
		int64_t *v[] = {
			&c->registered,	   &c->archived,    &c->in_progress,
			&c->failed,	   &c->not_scanned, &c->targeted,
			&c->target_weight, &c->needed,	    &c->gap};
		for (size_t i = 0; i < KHO_ARRAY_SIZE(v); i++)
			*v[i] = sqlite3_column_int64(st, col++);
	}
	t->targeted = sqlite3_column_int64(st, col++);
	t->target_weight = sqlite3_column_int64(st, col++);
}

static int one_snapshot(kho_catalog *cat, const char *sql,
			const kho_cov_targets *t, int64_t key, const char *at,
			kho_snapshot *s, kho_error *err)
{
	sqlite3_stmt *st = prepare(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int(st, 1, t->backlog_from);
	sqlite3_bind_int(st, 2, t->backlog_to);
	if (at)
		sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 3, key);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		read_snapshot(st, s);
	sqlite3_finalize(st);
	if (step == SQLITE_DONE)
		return KHO_FAIL;
	return step == SQLITE_ROW ? KHO_OK : kho_catalog_error(cat, err);
}

int kho_snapshot_of_run(kho_catalog *cat, const kho_cov_targets *t, int64_t run,
			kho_snapshot *s, kho_error *err)
{
	/* clang-format off */
	static const char sql[] = SNAPSHOT_SELECT
		"WHERE s.run = ?3 AND s.kind = 'run' ORDER BY s.id DESC LIMIT 1;";
	/* clang-format on */
	return one_snapshot(cat, sql, t, run, NULL, s, err);
}

int kho_snapshot_before(kho_catalog *cat, const kho_cov_targets *t,
			const char *at, kho_snapshot *s, kho_error *err)
{
	/* clang-format off */
	static const char sql[] = SNAPSHOT_SELECT
		"WHERE s.taken_at < ?3 ORDER BY s.taken_at DESC, s.id DESC"
		" LIMIT 1;";
	/* clang-format on */
	return one_snapshot(cat, sql, t, 0, at, s, err);
}

int kho_snapshot_days(kho_catalog *cat, const kho_cov_targets *t,
		      size_t max_days, kho_snapshot **out, size_t *n,
		      kho_error *err)
{
	/* clang-format off */
	static const char sql[] = SNAPSHOT_SELECT
		"WHERE s.id IN (SELECT id FROM (SELECT id, row_number() OVER"
		" (PARTITION BY substr(taken_at, 1, 10)"
		"  ORDER BY taken_at DESC, id DESC) AS n FROM snapshots)"
		" WHERE n = 1)"
		" ORDER BY s.taken_at DESC, s.id DESC LIMIT ?3;";
	/* clang-format on */
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = prepare(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int(st, 1, t->backlog_from);
	sqlite3_bind_int(st, 2, t->backlog_to);
	sqlite3_bind_int64(st, 3, max_days ? (int64_t)max_days : -1);
	kho_snapshot *rows = NULL;
	size_t count = 0, cap = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 32;
			kho_snapshot *p = realloc(rows, cap * sizeof(*p));
			if (!p) {
				step = SQLITE_NOMEM;
				break;
			}
			rows = p;
		}
		read_snapshot(st, &rows[count++]);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		free(rows);
		return step == SQLITE_NOMEM
			       ? kho_error_set(err, KHO_FATAL, "out of memory")
			       : kho_catalog_error(cat, err);
	}
	/* Oldest first. */
	for (size_t i = 0; i < count / 2; i++) {
		kho_snapshot tmp = rows[i];
		rows[i] = rows[count - 1 - i];
		rows[count - 1 - i] = tmp;
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}

void kho_snapshots_kept_free(kho_snapshot_kept *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i].years);
	free(s);
}

int kho_snapshot_days_kept(kho_catalog *cat, kho_snapshot_kept **out,
			   size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT s.id, s.taken_at, s.kind, s.orphans, y.year,"
		" y.target_pct, y.registered, y.archived, y.in_progress,"
		" y.failed FROM snapshots s"
		" LEFT JOIN snapshot_years y ON y.snapshot = s.id"
		" WHERE s.id IN (SELECT id FROM (SELECT id, row_number() OVER"
		" (PARTITION BY substr(taken_at, 1, 10)"
		"  ORDER BY taken_at DESC, id DESC) AS n FROM snapshots)"
		" WHERE n = 1)"
		" ORDER BY s.taken_at, s.id, y.year;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = prepare(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	kho_snapshot_kept *rows = NULL;
	size_t count = 0, cap = 0;
	int64_t last_id = -1;
	int step, oom = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const int64_t id = sqlite3_column_int64(st, 0);
		if (id != last_id) {
			if (count == cap) {
				cap = cap ? cap * 2 : 32;
				kho_snapshot_kept *p =
					realloc(rows, cap * sizeof(*p));
				if (!p) {
					oom = 1;
					break;
				}
				rows = p;
			}
			kho_snapshot_kept *k = &rows[count++];
			memset(k, 0, sizeof(*k));
			kho_col_copy(st, 1, k->taken_at, sizeof(k->taken_at));
			kho_col_copy(st, 2, k->kind, sizeof(k->kind));
			k->orphans = sqlite3_column_int64(st, 3);
			last_id = id;
		}
		if (sqlite3_column_type(st, 4) == SQLITE_NULL)
			continue; /* a snapshot without years */
		kho_snapshot_kept *k = &rows[count - 1];
		kho_snapshot_year *y =
			realloc(k->years, (k->n_years + 1) * sizeof(*y));
		if (!y) {
			oom = 1;
			break;
		}
		k->years = y;
		y = &k->years[k->n_years++];
		y->year = sqlite3_column_int(st, 4);
		y->target_pct = sqlite3_column_type(st, 5) == SQLITE_NULL
					? -1
					: sqlite3_column_int(st, 5);
		y->registered = sqlite3_column_int64(st, 6);
		y->archived = sqlite3_column_int64(st, 7);
		y->in_progress = sqlite3_column_int64(st, 8);
		y->failed = sqlite3_column_int64(st, 9);
	}
	sqlite3_finalize(st);
	if (oom || step != SQLITE_DONE) {
		kho_snapshots_kept_free(rows, count);
		return oom ? kho_error_set(err, KHO_FATAL, "out of memory")
			   : kho_catalog_error(cat, err);
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}

void kho_snapshot_kept_release(kho_snapshot_kept *s)
{
	free(s->years);
	memset(s, 0, sizeof(*s));
}

/* One snapshot, by the id the query pick (?1 run, or ?2 time) gives. */
static int one_kept(kho_catalog *cat, const char *pick, int64_t run,
		    const char *at, kho_snapshot_kept *s, kho_error *err)
{
	static const char years[] =
		"SELECT year, target_pct, registered, archived, in_progress,"
		" failed FROM snapshot_years WHERE snapshot = ?1 ORDER BY year;";
	memset(s, 0, sizeof(*s));
	sqlite3_stmt *st = prepare(cat, pick, err);
	if (!st)
		return KHO_FATAL;
	if (at)
		sqlite3_bind_text(st, 1, at, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, run);
	int step = sqlite3_step(st);
	int64_t id = 0;
	if (step == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		kho_col_copy(st, 1, s->taken_at, sizeof(s->taken_at));
		kho_col_copy(st, 2, s->kind, sizeof(s->kind));
		s->orphans = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (step == SQLITE_DONE)
		return KHO_FAIL;
	if (step != SQLITE_ROW)
		return kho_catalog_error(cat, err);
	st = prepare(cat, years, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, id);
	int oom = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		kho_snapshot_year *y =
			realloc(s->years, (s->n_years + 1) * sizeof(*y));
		if (!y) {
			oom = 1;
			break;
		}
		s->years = y;
		y = &s->years[s->n_years++];
		y->year = sqlite3_column_int(st, 0);
		y->target_pct = sqlite3_column_type(st, 1) == SQLITE_NULL
					? -1
					: sqlite3_column_int(st, 1);
		y->registered = sqlite3_column_int64(st, 2);
		y->archived = sqlite3_column_int64(st, 3);
		y->in_progress = sqlite3_column_int64(st, 4);
		y->failed = sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	if (oom || step != SQLITE_DONE) {
		kho_snapshot_kept_release(s);
		return oom ? kho_error_set(err, KHO_FATAL, "out of memory")
			   : kho_catalog_error(cat, err);
	}
	return KHO_OK;
}

int kho_snapshot_kept_of_run(kho_catalog *cat, int64_t run,
			     kho_snapshot_kept *s, kho_error *err)
{
	static const char pick[] =
		"SELECT id, taken_at, kind, orphans FROM snapshots"
		" WHERE run = ?1 AND kind = 'run' ORDER BY id DESC LIMIT 1;";
	return one_kept(cat, pick, run, NULL, s, err);
}

int kho_snapshot_kept_before(kho_catalog *cat, const char *at,
			     kho_snapshot_kept *s, kho_error *err)
{
	static const char pick[] =
		"SELECT id, taken_at, kind, orphans FROM snapshots"
		" WHERE taken_at < ?1 ORDER BY taken_at DESC, id DESC LIMIT 1;";
	return one_kept(cat, pick, 0, at, s, err);
}

/* ---- what a run did ---- */

void kho_run_done(kho_catalog *cat)
{
	sqlite3_exec(cat->db, "DROP TABLE IF EXISTS temp.run_jobs;", NULL, NULL,
		     NULL);
}

int kho_run_get(kho_catalog *cat, int64_t run, kho_run_row *r, kho_error *err)
{
	static const char pick[] =
		"SELECT id, command, started_at, coalesce(ended_at, ''),"
		" coalesce(outcome, '') FROM runs"
		" WHERE (?1 = 0 AND command = 'kho run') OR id = ?1"
		" ORDER BY id DESC LIMIT 1;";
	/* One pass over the jobs: what the run did, of every version. */
	static const char gather[] =
		"CREATE TEMP TABLE run_jobs AS SELECT j.stage, j.state,"
		" j.record, j.record_id, j.input, j.error,"
		" coalesce(r.current, 1) AS current"
		" FROM jobs j LEFT JOIN records r ON r.id = j.record"
		" WHERE j.run = ?1 AND j.state IN ('done', 'failed');";
	static const char jobs[] =
		"SELECT stage, state, count(*) FROM temp.run_jobs"
		" GROUP BY stage, state;";
	static const char pages[] =
		"SELECT count(*), (SELECT count(*) FROM pages p"
		"  WHERE p.record IN (SELECT record FROM temp.run_jobs"
		"  WHERE stage = 'pack' AND state = 'done'))"
		" FROM temp.run_jobs WHERE stage = 'pack' AND state = 'done';";
	memset(r, 0, sizeof(*r));
	sqlite3_stmt *st = prepare(cat, pick, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, run);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		r->id = sqlite3_column_int64(st, 0);
		kho_col_copy(st, 1, r->command, sizeof(r->command));
		kho_col_copy(st, 2, r->started_at, sizeof(r->started_at));
		kho_col_copy(st, 3, r->ended_at, sizeof(r->ended_at));
		kho_col_copy(st, 4, r->outcome, sizeof(r->outcome));
	}
	sqlite3_finalize(st);
	if (step == SQLITE_DONE)
		return KHO_FAIL;
	if (step != SQLITE_ROW)
		return kho_catalog_error(cat, err);

	kho_run_done(cat);
	st = prepare(cat, gather, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, r->id);
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return kho_catalog_error(cat, err);

	st = prepare(cat, jobs, err);
	if (!st)
		return KHO_FATAL;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int s = kho_stage_index(kho_col_text(st, 0));
		if (s < 0)
			continue;
		int64_t v = sqlite3_column_int64(st, 2);
		if (strcmp(kho_col_text(st, 1), "done") == 0)
			r->done[s] = v;
		else
			r->failed[s] = v;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return kho_catalog_error(cat, err);

	st = prepare(cat, pages, err);
	if (!st)
		return KHO_FATAL;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		r->archived = sqlite3_column_int64(st, 0);
		r->archived_pages = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return step == SQLITE_ROW ? KHO_OK : kho_catalog_error(cat, err);
}

int kho_run_archived(kho_catalog *cat, kho_cov_level level, kho_cov_row **out,
		     size_t *n, kho_error *err)
{
	static const char by_year[] =
		"SELECT coalesce(g.year, 0), count(*) FROM temp.run_jobs j"
		" LEFT JOIN register g ON g.record_id = j.record_id"
		" WHERE j.stage = 'pack' AND j.state = 'done'"
		" GROUP BY 1 ORDER BY g.year IS NULL, 1;";
	static const char by_agency[] =
		"SELECT g.agency, count(*) FROM temp.run_jobs j"
		" LEFT JOIN register g ON g.record_id = j.record_id"
		" WHERE j.stage = 'pack' AND j.state = 'done'"
		" GROUP BY 1 ORDER BY g.agency IS NULL, 1;";
	assert(level == KHO_COV_YEAR || level == KHO_COV_AGENCY);
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st =
		prepare(cat, level == KHO_COV_YEAR ? by_year : by_agency, err);
	if (!st)
		return KHO_FATAL;
	kho_cov_row *rows = NULL;
	size_t count = 0, cap = 0;
	int step, oom = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			kho_cov_row *p = realloc(rows, cap * sizeof(*p));
			if (!p) {
				oom = 1;
				break;
			}
			rows = p;
		}
		kho_cov_row *r = &rows[count++];
		memset(r, 0, sizeof(*r));
		if (level == KHO_COV_YEAR) {
			r->year = sqlite3_column_int(st, 0);
		} else if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
			r->agency = strdup(kho_col_text(st, 0));
			oom = !r->agency;
		}
		r->c.archived = sqlite3_column_int64(st, 1);
		if (oom)
			break;
	}
	sqlite3_finalize(st);
	if (oom || step != SQLITE_DONE) {
		kho_cov_rows_free(rows, count);
		return oom ? kho_error_set(err, KHO_FATAL, "out of memory")
			   : kho_catalog_error(cat, err);
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}

/* ---- failures grouped by reason ---- */

static int name_starts(const char *msg, const char *p)
{
	return p == msg || p[-1] == ' ' || p[-1] == '(' || p[-1] == '[';
}

static int name_ends(const char *p)
{
	return p[1] == '\0' || p[1] == ':' || p[1] == ',' || p[1] == ' ' ||
	       p[1] == ')' || p[1] == ';' || p[1] == ']';
}

void kho_failure_reason(const char *message, char *out, size_t cap)
{
	static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026 */
	assert(cap > 0);
	size_t o = 0;
	const char *p = message;
#define PUT(c)                                                                 \
	do {                                                                   \
		if (o + 1 < cap)                                               \
			out[o++] = (c);                                        \
	} while (0)
	while (*p) {
		/* 'a name', the way kho quotes what it names */
		if (*p == '\'' && name_starts(message, p)) {
			const char *q = p + 1;
			while (*q && !(*q == '\'' && name_ends(q)))
				q++;
			if (*q == '\'') {
				PUT('\'');
				for (const char *e = ellipsis; *e; e++)
					PUT(*e);
				PUT('\'');
				p = q + 1;
				continue;
			}
		}
		/* "page 12" -> "page N" */
		if (strncmp(p, "page ", 5) == 0 &&
		    isdigit((unsigned char)p[5]) && name_starts(message, p)) {
			for (const char *e = "page N"; *e; e++)
				PUT(*e);
			p += 5;
			while (isdigit((unsigned char)*p))
				p++;
			continue;
		}
		PUT(*p);
		p++;
	}
#undef PUT
	out[o] = '\0';
}

static void reason_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const unsigned char *msg = sqlite3_value_text(argv[0]);
	if (!msg) {
		sqlite3_result_null(ctx);
		return;
	}
	size_t cap = strlen((const char *)msg) * 3 + 8;
	char *out = sqlite3_malloc64(cap);
	if (!out) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	kho_failure_reason((const char *)msg, out, cap);
	sqlite3_result_text(ctx, out, -1, sqlite3_free);
}

void kho_failure_groups_free(kho_failure_group *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++) {
		free(g[i].reason);
		for (size_t k = 0; k < g[i].n_items; k++)
			free(g[i].items[k]);
		free(g[i].items);
	}
	free(g);
}

static int add_item(kho_failure_group *g, const char *item)
{
	char **p = realloc(g->items, (g->n_items + 1) * sizeof(*p));
	if (!p)
		return -1;
	g->items = p;
	g->items[g->n_items] = strdup(item);
	if (!g->items[g->n_items])
		return -1;
	g->n_items++;
	return 0;
}

/* Whether the comma-separated list has the flag. */
static int has_flag(const char *list, const char *flag)
{
	const size_t n = strlen(flag);
	for (const char *p = list; *p;) {
		const char *end = strchr(p, ',');
		const size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && memcmp(p, flag, n) == 0)
			return 1;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

/* One record's pages with a flag, as the rows come: "ID page 3" or "ID
 * pages 1-3, 5". */
typedef struct flagged_record {
	char id[64];
	char pages[192];
	size_t len;
	int64_t first, last, n;
} flagged_record;

static void pages_close_range(flagged_record *r)
{
	if (!r->n || r->len >= sizeof(r->pages))
		return;
	const size_t room = sizeof(r->pages) - r->len;
	const int w =
		r->first == r->last
			? snprintf(r->pages + r->len, room, "%s%lld",
				   r->len ? ", " : "", (long long)r->first)
			: snprintf(r->pages + r->len, room, "%s%lld-%lld",
				   r->len ? ", " : "", (long long)r->first,
				   (long long)r->last);
	r->len = w < 0 ? r->len : KHO_MIN(r->len + (size_t)w, sizeof(r->pages));
}

/* The item of the record gathered so far, added to g while it has room;
 * then none gathered. */
static int flagged_close(flagged_record *r, kho_failure_group *g,
			 size_t max_items)
{
	if (!r->n)
		return 0;
	pages_close_range(r);
	int rc = 0;
	if (g->n_items < max_items) {
		char item[sizeof(r->id) + sizeof(r->pages) + 16];
		snprintf(item, sizeof(item), "%s page%s %s", r->id,
			 r->n > 1 ? "s" : "", r->pages);
		rc = add_item(g, item);
	}
	g->all_items++;
	r->n = 0;
	r->len = 0;
	r->pages[0] = '\0';
	return rc;
}

static void flagged_add(flagged_record *r, const char *id, int64_t page)
{
	if (r->n && r->last + 1 == page) {
		r->last = page;
	} else {
		pages_close_range(r);
		r->first = r->last = page;
	}
	if (!r->n)
		snprintf(r->id, sizeof(r->id), "%s", id);
	r->n++;
}

int kho_run_flagged(kho_catalog *cat, const char *const *flags, size_t n_flags,
		    size_t max_items, kho_failure_group **out, size_t *n,
		    kho_error *err)
{
	static const char sql[] =
		"SELECT r.record_id, p.page_no, pl.flags"
		" FROM (SELECT DISTINCT record, record_id FROM temp.run_jobs"
		"  WHERE stage = 'normalize' AND state = 'done'"
		"  AND current = 1) r"
		" JOIN pages p ON p.record = r.record"
		" JOIN plans pl ON pl.page = p.id"
		" WHERE pl.flags <> ''"
		" ORDER BY r.record_id, p.page_no;";
	*out = NULL;
	*n = 0;
	kho_failure_group *groups = calloc(n_flags + 1, sizeof(*groups));
	flagged_record *cur = calloc(n_flags + 1, sizeof(*cur));
	if (!groups || !cur) {
		free(groups);
		free(cur);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	for (size_t f = 0; f < n_flags; f++)
		snprintf(groups[f].stage, sizeof(groups[f].stage), "normalize");
	sqlite3_stmt *st = prepare(cat, sql, err);
	if (!st) {
		free(groups);
		free(cur);
		return KHO_FATAL;
	}
	int step = SQLITE_ERROR, oom = 0;
	while (!oom && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = kho_col_text(st, 0);
		const int64_t page = sqlite3_column_int64(st, 1);
		const char *list = kho_col_text(st, 2);
		for (size_t f = 0; f < n_flags && !oom; f++) {
			if (!has_flag(list, flags[f]))
				continue;
			if (cur[f].n && strcmp(cur[f].id, id) != 0)
				oom = flagged_close(&cur[f], &groups[f],
						    max_items) != 0;
			flagged_add(&cur[f], id, page);
			groups[f].count++;
		}
	}
	sqlite3_finalize(st);
	for (size_t f = 0; f < n_flags && !oom; f++)
		oom = flagged_close(&cur[f], &groups[f], max_items) != 0;
	free(cur);
	/* The flags no page carries are left out. */
	size_t kept = 0;
	for (size_t f = 0; f < n_flags; f++) {
		if (!groups[f].count)
			continue;
		groups[kept] = groups[f];
		if (!oom && !(groups[kept].reason = strdup(flags[f])))
			oom = 1;
		kept++;
	}
	if (oom || step != SQLITE_DONE) {
		kho_failure_groups_free(groups, kept);
		return oom ? kho_error_set(err, KHO_FATAL, "out of memory")
			   : kho_catalog_error(cat, err);
	}
	*out = groups;
	*n = kept;
	return KHO_OK;
}

int kho_run_failures(kho_catalog *cat, size_t max_items,
		     kho_failure_group **out, size_t *n, kho_error *err)
{
	/* One row per failure, in group order; the groups are cut in C. */
	static const char sql[] =
		"WITH f AS (SELECT j.stage AS stage,"
		"  kho_reason(coalesce(j.error, '')) AS reason,"
		"  coalesce(j.record_id, '''' || j.input || '''') AS item,"
		"  " KHO_SQL_STAGE_RANK("j") " AS rank"
		"  FROM temp.run_jobs j"
		"  WHERE j.state = 'failed' AND j.current = 1)"
		" SELECT f.stage, f.reason, f.item, g.n FROM f JOIN"
		" (SELECT stage, reason, count(*) AS n FROM f"
		"  GROUP BY stage, reason) g"
		" ON g.stage = f.stage AND g.reason = f.reason"
		" ORDER BY g.n DESC, f.rank, f.reason, f.item;";
	*out = NULL;
	*n = 0;
	if (sqlite3_create_function(cat->db, "kho_reason", 1,
				    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				    reason_fn, NULL, NULL) != SQLITE_OK)
		return kho_catalog_error(cat, err);
	sqlite3_stmt *st = prepare(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	kho_failure_group *groups = NULL;
	size_t count = 0, cap = 0;
	int step, oom = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *stage = kho_col_text(st, 0);
		const char *reason = kho_col_text(st, 1);
		kho_failure_group *g = count ? &groups[count - 1] : NULL;
		if (!g || strcmp(g->stage, stage) != 0 ||
		    strcmp(g->reason, reason) != 0) {
			if (count == cap) {
				cap = cap ? cap * 2 : 8;
				kho_failure_group *p =
					realloc(groups, cap * sizeof(*p));
				if (!p) {
					oom = 1;
					break;
				}
				groups = p;
			}
			g = &groups[count++];
			memset(g, 0, sizeof(*g));
			snprintf(g->stage, sizeof(g->stage), "%s", stage);
			g->reason = strdup(reason);
			g->count = sqlite3_column_int64(st, 3);
			g->all_items = g->count;
			if (!g->reason) {
				oom = 1;
				break;
			}
		}
		if (g->n_items < max_items &&
		    add_item(g, kho_col_text(st, 2)) != 0) {
			oom = 1;
			break;
		}
	}
	sqlite3_finalize(st);
	if (oom || step != SQLITE_DONE) {
		kho_failure_groups_free(groups, count);
		return oom ? kho_error_set(err, KHO_FATAL, "out of memory")
			   : kho_catalog_error(cat, err);
	}
	*out = groups;
	*n = count;
	return KHO_OK;
}
