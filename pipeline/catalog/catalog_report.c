/* Coverage of the register: temporary tables of the connection, then
 * roll-ups, orphans, records scanned twice and the missing list. */
#include "catalog/catalog_private.h"
#include "catalog/catalog_report.h"

#include <stdlib.h>
#include <string.h>

int kho_cov_target_of(const kho_cov_targets *t, int year)
{
	if (year >= t->backlog_from && year <= t->backlog_to)
		return t->backlog_pct;
	if (year > t->backlog_to)
		return t->new_pct;
	return -1;
}

/*
 * temp.cov_id: where each record id the catalog knows stands.
 * state 0 archived, 1 in progress, 2 failed.  The furthest job of a current
 * version is kho_status_where's rule (catalog_status.c); keep the two
 * alike.
 */
static const char prepare_ids[] =
	"DROP TABLE IF EXISTS temp.cov_id;"
	"DROP TABLE IF EXISTS temp.cov_group;"
	"CREATE TEMP TABLE cov_id ("
	"  record_id TEXT PRIMARY KEY,"
	"  state INTEGER NOT NULL,"
	"  version INTEGER NOT NULL,"
	/* the work root (0: this one, k: the k-th other root) and, for
	 * another root's orphans and re-scans, their versions in its sealed
	 * volumes (this root's are counted when read) */
	"  root INTEGER NOT NULL DEFAULT 0,"
	"  archived_versions INTEGER"
	") WITHOUT ROWID;"
	"INSERT INTO temp.cov_id (record_id, state, version)"
	" SELECT r.record_id,"
	"  CASE WHEN f.state = 'failed' THEN 2"
	"   WHEN f.stage = 'pack' AND f.state = 'done' THEN 0 ELSE 1 END,"
	"  r.version"
	" FROM records r LEFT JOIN jobs f ON f.id = (SELECT id FROM jobs"
	"  WHERE record = r.id ORDER BY " KHO_SQL_STAGE_RANK("jobs")
	"  DESC LIMIT 1)"
	" WHERE r.current = 1;"
	/* Ids without a version whose ingest failed or waits (an ingest
	 * done without a version counts as not scanned, as no row does). */
	"INSERT OR IGNORE INTO temp.cov_id (record_id, state, version)"
	" SELECT record_id, CASE state WHEN 'failed' THEN 2 ELSE 1 END, 0"
	" FROM jobs WHERE stage = 'ingest' AND state <> 'done'"
	" AND record IS NULL AND record_id IS NOT NULL;"
	"CREATE TEMP TABLE cov_group ("
	"  year INTEGER NOT NULL,"
	"  agency TEXT NOT NULL,"
	"  field TEXT NOT NULL,"
	"  registered INTEGER NOT NULL,"
	"  archived INTEGER NOT NULL,"
	"  in_progress INTEGER NOT NULL,"
	"  failed INTEGER NOT NULL,"
	"  not_scanned INTEGER NOT NULL,"
	"  target_pct INTEGER,"
	"  era INTEGER NOT NULL" /* 0 before the backlog, 1 backlog, 2 new */
	");";

/* ?1 backlog_from, ?2 backlog_to, ?3 backlog percent, ?4 new percent */
static const char prepare_groups[] =
	"INSERT INTO temp.cov_group SELECT g.year, g.agency, g.field,"
	" count(*), sum(c.state IS 0), sum(c.state IS 1), sum(c.state IS 2),"
	" sum(c.state IS NULL),"
	" CASE WHEN g.year BETWEEN ?1 AND ?2 THEN ?3"
	"  WHEN g.year > ?2 THEN ?4 END,"
	" CASE WHEN g.year BETWEEN ?1 AND ?2 THEN 1"
	"  WHEN g.year > ?2 THEN 2 ELSE 0 END"
	" FROM register g LEFT JOIN temp.cov_id c ON c.record_id = g.record_id"
	" GROUP BY g.year, g.agency, g.field;";

static const char drop_all[] = "DROP TABLE IF EXISTS temp.cov_id;"
			       "DROP TABLE IF EXISTS temp.cov_group;";

static sqlite3_stmt *prepare(kho_catalog *cat, const char *sql, kho_error *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK) {
		kho_catalog_error(cat, err);
		return NULL;
	}
	return st;
}

/* Another root's ids, from its own temp.cov_id: the versions in sealed
 * volumes of those the lists show (orphans and re-scans). */
static const char other_ids[] =
	"SELECT c.record_id, c.state, c.version,"
	" CASE WHEN c.version > 1 OR (c.version > 0 AND NOT EXISTS"
	"  (SELECT 1 FROM register g WHERE g.record_id = c.record_id))"
	" THEN (SELECT count(DISTINCT a.version) FROM archive a"
	"  JOIN volumes v ON v.id = a.volume AND v.state = 'sealed'"
	"  WHERE a.record_id = c.record_id) END"
	" FROM temp.cov_id c;";

static const char add_id[] =
	"INSERT INTO temp.cov_id (record_id, state, version, root,"
	" archived_versions) VALUES (?1, ?2, ?3, ?4, ?5)"
	" ON CONFLICT (record_id) DO NOTHING;";

static const char root_of[] =
	"SELECT root FROM temp.cov_id WHERE record_id = ?1;";

/* The ids of other root k (names[k]; names[0] is cat's) into cat's
 * temp.cov_id; an id both hold means the roots are not shards of one
 * split. */
static int add_root(kho_catalog *cat, kho_catalog *other, int k,
		    const char *const *names, kho_error *err)
{
	int rc = kho_catalog_exec(other, prepare_ids, err);
	sqlite3_stmt *from = rc ? NULL : prepare(other, other_ids, err);
	sqlite3_stmt *to = from ? prepare(cat, add_id, err) : NULL;
	if (rc == KHO_OK && (!from || !to))
		rc = KHO_FATAL;
	int step = SQLITE_DONE;
	while (rc == KHO_OK && (step = sqlite3_step(from)) == SQLITE_ROW) {
		sqlite3_reset(to);
		for (int c = 0; c < 3; c++)
			sqlite3_bind_value(to, c + 1,
					   sqlite3_column_value(from, c));
		sqlite3_bind_int(to, 4, k);
		sqlite3_bind_value(to, 5, sqlite3_column_value(from, 3));
		if (sqlite3_step(to) != SQLITE_DONE)
			rc = kho_catalog_error(cat, err);
		else if (sqlite3_changes(cat->db) == 0) {
			/* Both roots hold it. */
			sqlite3_stmt *q = prepare(cat, root_of, err);
			int first = 0;
			if (q) {
				sqlite3_bind_value(q, 1,
						   sqlite3_column_value(from, 0));
				if (sqlite3_step(q) == SQLITE_ROW)
					first = sqlite3_column_int(q, 0);
				sqlite3_finalize(q);
			}
			rc = kho_error_set(err, KHO_USAGE,
					   "record '%s' is in work roots '%s' "
					   "and '%s': they are not shards of "
					   "one batch",
					   kho_col_text(from, 0),
					   names[first], names[k]);
		}
	}
	if (rc == KHO_OK && step != SQLITE_DONE)
		rc = kho_catalog_error(other, err);
	sqlite3_finalize(from);
	sqlite3_finalize(to);
	kho_coverage_done(other);
	return rc;
}

int kho_coverage_prepare(kho_catalog *cat, const kho_cov_targets *t,
			 kho_error *err)
{
	return kho_coverage_prepare_roots(cat, NULL, NULL, 0, t, err);
}

/* The roots must count against the same register. */
static int same_register(kho_catalog *cat, kho_catalog *const *others,
			 const char *const *names, size_t n, kho_error *err)
{
	char want[KHO_SHA256_HEX], got[KHO_SHA256_HEX];
	int64_t rows = 0, other_rows = 0;
	int rc = n ? kho_register_digest(cat, want, &rows, err) : KHO_OK;
	for (size_t k = 0; rc == KHO_OK && k < n; k++) {
		rc = kho_register_digest(others[k], got, &other_rows, err);
		if (rc == KHO_OK && strcmp(want, got) != 0)
			rc = kho_error_set(err, KHO_USAGE,
					   "work roots '%s' and '%s' hold "
					   "different registers (%lld and %lld "
					   "record(s)): import the same "
					   "register into every root (kho "
					   "register import FILE.csv --root "
					   "ROOT)",
					   names[0], names[k + 1],
					   (long long)rows,
					   (long long)other_rows);
	}
	return rc;
}

int kho_coverage_prepare_roots(kho_catalog *cat, kho_catalog *const *others,
			       const char *const *names, size_t n,
			       const kho_cov_targets *t, kho_error *err)
{
	int rc = same_register(cat, others, names, n, err);
	if (rc == KHO_OK)
		rc = kho_catalog_exec(cat, prepare_ids, err);
	if (rc == KHO_OK && n > 0) {
		/* Only temp tables are written: a read-only connection
		 * may. */
		rc = kho_catalog_exec(cat, "BEGIN;", err);
		for (size_t k = 0; rc == KHO_OK && k < n; k++)
			rc = add_root(cat, others[k], (int)k + 1, names, err);
		if (rc == KHO_OK)
			rc = kho_catalog_exec(cat, "COMMIT;", err);
		else
			sqlite3_exec(cat->db, "ROLLBACK;", NULL, NULL, NULL);
	}
	if (rc)
		return rc;
	sqlite3_stmt *st = prepare(cat, prepare_groups, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int(st, 1, t->backlog_from);
	sqlite3_bind_int(st, 2, t->backlog_to);
	sqlite3_bind_int(st, 3, t->backlog_pct);
	sqlite3_bind_int(st, 4, t->new_pct);
	int step = sqlite3_step(st);
	rc = step == SQLITE_DONE ? KHO_OK : kho_catalog_error(cat, err);
	sqlite3_finalize(st);
	return rc;
}

void kho_coverage_done(kho_catalog *cat)
{
	sqlite3_exec(cat->db, drop_all, NULL, NULL, NULL);
}

/*
 * A roll-up: first per key and year of issue, where the target applies
 * (needed = target% of registered, rounded up; gap = what is short of
 * it), then per key.  A surplus in one year does not make up for another.
 */
/* clang-format off */
#define SUMS                                                              \
	"coalesce(sum(registered), 0), coalesce(sum(archived), 0),"       \
	" coalesce(sum(in_progress), 0), coalesce(sum(failed), 0),"       \
	" coalesce(sum(not_scanned), 0), coalesce(sum(targeted), 0),"     \
	" coalesce(sum(tweight), 0), coalesce(sum(needed), 0),"          \
	" coalesce(sum(max(0, needed - archived)), 0)"
#define PER_YEAR(keys, where)                                             \
	" FROM (SELECT " keys " year, sum(registered) AS registered,"     \
	" sum(archived) AS archived, sum(in_progress) AS in_progress,"    \
	" sum(failed) AS failed, sum(not_scanned) AS not_scanned,"        \
	" CASE WHEN max(target_pct) IS NULL THEN 0 ELSE sum(registered)"  \
	"  END AS targeted,"                                              \
	" coalesce(max(target_pct), 0) * sum(registered) AS tweight,"     \
	" (coalesce(max(target_pct), 0) * sum(registered) + 99) / 100"    \
	"  AS needed"                                                     \
	" FROM temp.cov_group WHERE " where " GROUP BY " keys " year)"

static const char *const rollup_sql[KHO_COV_N_LEVELS] = {
	[KHO_COV_TOTAL] = "SELECT 0, NULL, NULL, " SUMS PER_YEAR("", "1") ";",
	[KHO_COV_BACKLOG] = "SELECT 0, NULL, NULL, " SUMS
		PER_YEAR("", "era = 1") ";",
	[KHO_COV_NEW] = "SELECT 0, NULL, NULL, " SUMS
		PER_YEAR("", "era = 2") ";",
	[KHO_COV_YEAR] = "SELECT year, NULL, NULL, " SUMS
		PER_YEAR("", "1") " GROUP BY year ORDER BY year;",
	[KHO_COV_AGENCY] = "SELECT 0, agency, NULL, " SUMS
		PER_YEAR("agency,", "1") " GROUP BY agency ORDER BY agency;",
	[KHO_COV_FIELD] = "SELECT 0, NULL, field, " SUMS
		PER_YEAR("field,", "1") " GROUP BY field ORDER BY field;",
	[KHO_COV_GROUP] = "SELECT year, agency, field, " SUMS
		PER_YEAR("agency, field,", "1")
		" GROUP BY year, agency, field ORDER BY year, agency, field;",
};
/* clang-format on */

void kho_cov_rows_free(kho_cov_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++) {
		free(rows[i].agency);
		free(rows[i].field);
	}
	free(rows);
}

static char *text_or_null(sqlite3_stmt *st, int col, int *oom)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	char *s = strdup(kho_col_text(st, col));
	if (!s)
		*oom = 1;
	return s;
}

/* Rows of "year, agency, field, then the nine counts of SUMS". */
static int read_cov_rows(kho_catalog *cat, sqlite3_stmt *st, kho_cov_row **out,
			 size_t *n, kho_error *err)
{
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
		r->year = sqlite3_column_int(st, 0);
		r->agency = text_or_null(st, 1, &oom);
		r->field = text_or_null(st, 2, &oom);
		int64_t *v[] = {&r->c.registered,
				&r->c.archived,
				&r->c.in_progress,
				&r->c.failed,
				&r->c.not_scanned,
				&r->c.targeted,
				&r->c.target_weight,
				&r->c.needed,
				&r->c.gap};
		for (int i = 0; i < 9; i++)
			*v[i] = sqlite3_column_int64(st, 3 + i);
		if (oom)
			break;
	}
	if (oom || step != SQLITE_DONE) {
		kho_cov_rows_free(rows, count);
		return oom ? kho_error_set(err, KHO_FATAL, "out of memory")
			   : kho_catalog_error(cat, err);
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}

int kho_coverage_rows(kho_catalog *cat, kho_cov_level level, kho_cov_row **out,
		      size_t *n, kho_error *err)
{
	assert(level >= 0 && level < KHO_COV_N_LEVELS);
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = prepare(cat, rollup_sql[level], err);
	if (!st)
		return KHO_FATAL;
	int rc = read_cov_rows(cat, st, out, n, err);
	sqlite3_finalize(st);
	return rc;
}

int kho_coverage_catalog(kho_catalog *cat, kho_where *w, kho_error *err)
{
	static const char sql[] =
		"SELECT count(*), coalesce(sum(state = 0), 0),"
		" coalesce(sum(state = 1), 0), coalesce(sum(state = 2), 0)"
		" FROM temp.cov_id WHERE version > 0;";
	memset(w, 0, sizeof(*w));
	sqlite3_stmt *st = prepare(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		w->records = sqlite3_column_int64(st, 0);
		w->archived = sqlite3_column_int64(st, 1);
		w->in_progress = sqlite3_column_int64(st, 2);
		w->failed = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	return step == SQLITE_ROW ? KHO_OK : kho_catalog_error(cat, err);
}

/* ---- records: orphans and records scanned twice ---- */

static const char *state_name(int state)
{
	switch (state) {
	case 0:
		return "archived";
	case 2:
		return "failed";
	default:
		return "in_progress";
	}
}

/* clang-format off */
#define RECORD_COLUMNS                                                    \
	"SELECT c.record_id, c.version, c.state,"                         \
	" coalesce(c.archived_versions, (SELECT count(DISTINCT a.version)" \
	"  FROM archive a"                                                \
	"  JOIN volumes v ON v.id = a.volume AND v.state = 'sealed'"      \
	"  WHERE a.record_id = c.record_id)),"                            \
	" EXISTS (SELECT 1 FROM register g WHERE g.record_id = c.record_id)" \
	" FROM temp.cov_id c "

static const char orphans_sql[] =
	RECORD_COLUMNS "WHERE c.version > 0 AND NOT EXISTS (SELECT 1 FROM"
	" register g WHERE g.record_id = c.record_id)"
	" ORDER BY c.record_id LIMIT ?1;";
static const char orphans_count[] =
	"SELECT count(*), coalesce(sum(c.state = 0), 0) FROM temp.cov_id c"
	" WHERE c.version > 0 AND NOT EXISTS (SELECT 1 FROM register g"
	" WHERE g.record_id = c.record_id);";
static const char rescanned_sql[] =
	RECORD_COLUMNS "WHERE c.version > 1 ORDER BY c.record_id LIMIT ?1;";
static const char rescanned_count[] =
	"SELECT count(*), 0 FROM temp.cov_id c WHERE c.version > 1;";
/* clang-format on */

static int records_of(kho_catalog *cat, const char *list_sql,
		      const char *count_sql, size_t limit, kho_cov_record **out,
		      size_t *n, int64_t *total, int64_t *archived,
		      kho_error *err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = prepare(cat, count_sql, err);
	if (!st)
		return KHO_FATAL;
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*total = sqlite3_column_int64(st, 0);
		if (archived)
			*archived = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW)
		return kho_catalog_error(cat, err);
	st = prepare(cat, list_sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, limit ? (int64_t)limit : -1);
	kho_cov_record *rows = NULL;
	size_t count = 0, cap = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			kho_cov_record *p = realloc(rows, cap * sizeof(*p));
			if (!p) {
				step = SQLITE_NOMEM;
				break;
			}
			rows = p;
		}
		kho_cov_record *r = &rows[count++];
		memset(r, 0, sizeof(*r));
		kho_col_copy(st, 0, r->record_id, sizeof(r->record_id));
		r->version = sqlite3_column_int(st, 1);
		snprintf(r->state, sizeof(r->state), "%s",
			 state_name(sqlite3_column_int(st, 2)));
		r->archived_versions = sqlite3_column_int(st, 3);
		r->in_register = sqlite3_column_int(st, 4);
	}
	sqlite3_finalize(st);
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

int kho_coverage_orphans(kho_catalog *cat, size_t limit, kho_cov_record **out,
			 size_t *n, int64_t *total, int64_t *archived,
			 kho_error *err)
{
	return records_of(cat, orphans_sql, orphans_count, limit, out, n, total,
			  archived, err);
}

int kho_coverage_rescanned(kho_catalog *cat, size_t limit, kho_cov_record **out,
			   size_t *n, int64_t *total, kho_error *err)
{
	return records_of(cat, rescanned_sql, rescanned_count, limit, out, n,
			  total, NULL, err);
}

/* ---- the missing list ---- */

int kho_coverage_missing(kho_catalog *cat, const char *agency, int year,
			 kho_register_entry_fn fn, void *ctx, int64_t *count,
			 kho_error *err)
{
	static const char sql[] =
		"SELECT g.record_id, g.year, g.agency, g.field,"
		" g.procedure_code, g.title, g.number, g.issue_date"
		" FROM register g WHERE NOT EXISTS (SELECT 1 FROM temp.cov_id c"
		"  WHERE c.record_id = g.record_id)"
		" AND (?1 IS NULL OR g.agency = ?1) AND (?2 = 0 OR g.year = ?2)"
		" ORDER BY g.year, g.agency, g.field, g.record_id;";
	*count = 0;
	sqlite3_stmt *st = prepare(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	if (agency)
		sqlite3_bind_text(st, 1, agency, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, year);
	int step, rc = KHO_OK;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		kho_register_entry e = {
			.record_id = kho_col_text(st, 0),
			.year = sqlite3_column_int(st, 1),
			.agency = kho_col_text(st, 2),
			.field = kho_col_text(st, 3),
		};
		for (int i = 0; i < KHO_REG_N_TEXT; i++)
			e.text[i] = kho_col_text(st, 4 + i);
		(*count)++;
		rc = fn(ctx, &e, err);
		if (rc)
			break;
	}
	if (rc == KHO_OK && step != SQLITE_DONE)
		rc = kho_catalog_error(cat, err);
	sqlite3_finalize(st);
	return rc;
}
