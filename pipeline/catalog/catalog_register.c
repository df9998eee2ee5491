/* The register: staging an import, merging it, its changes and refusals. */
#include "catalog/catalog_private.h"
#include "catalog/catalog_register.h"
#include "common/clock.h"

#include <stdlib.h>
#include <string.h>

const char *const kho_register_text_names[KHO_REG_N_TEXT] = {
	[KHO_REG_PROCEDURE_CODE] = "procedure_code",
	[KHO_REG_TITLE] = "title",
	[KHO_REG_NUMBER] = "number",
	[KHO_REG_ISSUE_DATE] = "issue_date",
};

/* The staging tables live in the connection's temporary database, so that
 * reading a large file holds no lock on the catalog. */
static const char stage_create[] =
	"DROP TABLE IF EXISTS temp.reg_stage;"
	"DROP TABLE IF EXISTS temp.reg_refused;"
	"DROP TABLE IF EXISTS temp.reg_diff;"
	"CREATE TEMP TABLE reg_stage ("
	"  record_id TEXT PRIMARY KEY,"
	"  line INTEGER NOT NULL,"
	"  year INTEGER NOT NULL,"
	"  agency TEXT NOT NULL,"
	"  field TEXT NOT NULL,"
	"  procedure_code TEXT, title TEXT, number TEXT, issue_date TEXT,"
	"  extra TEXT"
	") WITHOUT ROWID;"
	"CREATE TEMP TABLE reg_refused ("
	"  line INTEGER PRIMARY KEY,"
	"  record_id TEXT,"
	"  reason TEXT NOT NULL"
	");";

static const char stage_drop[] = "DROP TABLE IF EXISTS temp.reg_stage;"
				 "DROP TABLE IF EXISTS temp.reg_refused;"
				 "DROP TABLE IF EXISTS temp.reg_diff;";

int kho_register_stage_begin(kho_catalog *cat, kho_error *err)
{
	assert(!cat->in_txn);
	int rc = kho_catalog_exec(cat, stage_create, err);
	if (rc)
		return rc;
	/* Deferred: it only ever writes the temporary tables. */
	rc = kho_catalog_exec(cat, "BEGIN;", err);
	if (rc == KHO_OK) {
		cat->in_txn = 1;
		cat->pending_len = 0;
	}
	return rc;
}

void kho_register_stage_abort(kho_catalog *cat)
{
	kho_catalog_rollback(cat);
	sqlite3_exec(cat->db, stage_drop, NULL, NULL, NULL);
}

static void bind_opt(sqlite3_stmt *st, int col, const char *s)
{
	if (s)
		sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

int kho_register_stage_row(kho_catalog *cat, const kho_register_row *row,
			   long *first_line, kho_error *err)
{
	static const char put[] =
		"INSERT INTO temp.reg_stage (record_id, line, year, agency,"
		" field, procedure_code, title, number, issue_date, extra)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (record_id) DO NOTHING;";
	static const char first[] =
		"SELECT line FROM temp.reg_stage WHERE record_id = ?;";
	sqlite3_stmt *st = kho_catalog_stmt(cat, put, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, row->record_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, row->line);
	sqlite3_bind_int(st, 3, row->year);
	sqlite3_bind_text(st, 4, row->agency, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, row->field, -1, SQLITE_STATIC);
	for (int i = 0; i < KHO_REG_N_TEXT; i++)
		bind_opt(st, 6 + i, row->text[i]);
	bind_opt(st, 10, row->extra_json);
	int rc = kho_catalog_exec_stmt(cat, st, err);
	if (rc)
		return rc;
	if (sqlite3_changes(cat->db) == 1)
		return 1;
	st = kho_catalog_stmt(cat, first, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, row->record_id, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	*first_line =
		step == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (step != SQLITE_ROW)
		return kho_catalog_error(cat, err);
	return 0;
}

int kho_register_stage_refuse(kho_catalog *cat, long line,
			      const char *record_id, const char *reason,
			      kho_error *err)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO temp.reg_refused (line, record_id,"
		" reason) VALUES (?, ?, ?);";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, line);
	bind_opt(st, 2, record_id && *record_id ? record_id : NULL);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	return kho_catalog_exec_stmt(cat, st, err);
}

/* ---- the merge ---- */

/* A staged row differs from the register's where a column the file has
 * holds another value.  Columns the file lacks (NULL) change nothing. */
static const char merge_diff[] =
	"CREATE TEMP TABLE reg_diff AS SELECT s.record_id"
	" FROM temp.reg_stage s JOIN register r ON r.record_id = s.record_id"
	" WHERE s.year IS NOT r.year OR s.agency IS NOT r.agency"
	"  OR s.field IS NOT r.field"
	"  OR (s.procedure_code IS NOT NULL"
	"      AND s.procedure_code IS NOT r.procedure_code)"
	"  OR (s.title IS NOT NULL AND s.title IS NOT r.title)"
	"  OR (s.number IS NOT NULL AND s.number IS NOT r.number)"
	"  OR (s.issue_date IS NOT NULL AND s.issue_date IS NOT r.issue_date)"
	"  OR (s.extra IS NOT NULL AND s.extra IS NOT coalesce(r.extra, "
	"'{}'));";

/* clang-format off */
#define CHANGE(k, col, newexpr, cond)                                     \
	" SELECT d.record_id AS rid, " #k " AS k, '" col "' AS col,"       \
	" CAST(r." col " AS TEXT) AS old, CAST(" newexpr " AS TEXT) AS new" \
	" FROM temp.reg_diff d JOIN register r ON r.record_id = d.record_id" \
	" JOIN temp.reg_stage s ON s.record_id = d.record_id WHERE " cond

static const char merge_changes[] =
	"INSERT INTO register_changes (import, record_id, col, old, new)"
	" SELECT ?1, rid, col, old, new FROM ("
	CHANGE(1, "year", "s.year", "s.year IS NOT r.year") " UNION ALL"
	CHANGE(2, "agency", "s.agency", "s.agency IS NOT r.agency")
	" UNION ALL"
	CHANGE(3, "field", "s.field", "s.field IS NOT r.field") " UNION ALL"
	CHANGE(4, "procedure_code", "s.procedure_code",
	       "s.procedure_code IS NOT NULL"
	       " AND s.procedure_code IS NOT r.procedure_code") " UNION ALL"
	CHANGE(5, "title", "s.title",
	       "s.title IS NOT NULL AND s.title IS NOT r.title") " UNION ALL"
	CHANGE(6, "number", "s.number",
	       "s.number IS NOT NULL AND s.number IS NOT r.number")
	" UNION ALL"
	CHANGE(7, "issue_date", "s.issue_date",
	       "s.issue_date IS NOT NULL AND s.issue_date IS NOT r.issue_date")
	" UNION ALL"
	CHANGE(8, "extra", "s.extra",
	       "s.extra IS NOT NULL AND s.extra IS NOT coalesce(r.extra, '{}')")
	") ORDER BY rid, k;";
/* clang-format on */

static const char merge_update[] =
	"UPDATE register SET year = s.year, agency = s.agency,"
	" field = s.field,"
	" procedure_code = coalesce(s.procedure_code, register.procedure_code),"
	" title = coalesce(s.title, register.title),"
	" number = coalesce(s.number, register.number),"
	" issue_date = coalesce(s.issue_date, register.issue_date),"
	" extra = CASE WHEN s.extra IS NULL THEN register.extra"
	"  ELSE nullif(s.extra, '{}') END,"
	" changed_by = ?1"
	" FROM temp.reg_stage s"
	" WHERE s.record_id = register.record_id"
	" AND s.record_id IN (SELECT record_id FROM temp.reg_diff);";

static const char merge_insert[] =
	"INSERT INTO register (record_id, year, agency, field, procedure_code,"
	" title, number, issue_date, extra, added_by, changed_by)"
	" SELECT s.record_id, s.year, s.agency, s.field,"
	" coalesce(s.procedure_code, ''), coalesce(s.title, ''),"
	" coalesce(s.number, ''), coalesce(s.issue_date, ''),"
	" nullif(s.extra, '{}'), ?1, ?1"
	" FROM temp.reg_stage s WHERE NOT EXISTS"
	" (SELECT 1 FROM register r WHERE r.record_id = s.record_id);";

static const char merge_refused[] =
	"INSERT INTO register_refused (import, line, record_id, reason)"
	" SELECT ?1, line, record_id, reason FROM temp.reg_refused;";

/* Runs one uncached statement with ?1 = import; *changes receives
 * sqlite3_changes(). */
static int run_one(kho_catalog *cat, const char *sql, int64_t import,
		   int64_t *changes, kho_error *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK)
		return kho_catalog_error(cat, err);
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, import);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		;
	int rc = step == SQLITE_DONE ? KHO_OK : kho_catalog_error(cat, err);
	if (changes)
		*changes = sqlite3_changes64(cat->db);
	sqlite3_finalize(st);
	return rc;
}

static int count_of(kho_catalog *cat, const char *sql, int64_t *n,
		    kho_error *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK)
		return kho_catalog_error(cat, err);
	int step = sqlite3_step(st);
	*n = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	int rc = step == SQLITE_ROW ? KHO_OK : kho_catalog_error(cat, err);
	sqlite3_finalize(st);
	return rc;
}

static int add_import(kho_catalog *cat, const kho_register_import_info *info,
		      int64_t *id, kho_error *err)
{
	static const char sql[] =
		"INSERT INTO register_imports (file, sha256, columns,"
		" imported_at, rows) VALUES (?, ?, ?, ?, ?);";
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, info->file, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, info->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, info->columns, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, info->rows);
	int rc = kho_catalog_exec_stmt(cat, st, err);
	if (rc == KHO_OK)
		*id = sqlite3_last_insert_rowid(cat->db);
	return rc;
}

static int set_import_counts(kho_catalog *cat, const kho_register_counts *c,
			     kho_error *err)
{
	static const char sql[] =
		"UPDATE register_imports SET taken = ?, refused = ?, added = ?,"
		" changed = ?, unchanged = ?, absent = ? WHERE id = ?;";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, c->taken);
	sqlite3_bind_int64(st, 2, c->refused);
	sqlite3_bind_int64(st, 3, c->added);
	sqlite3_bind_int64(st, 4, c->changed);
	sqlite3_bind_int64(st, 5, c->unchanged);
	sqlite3_bind_int64(st, 6, c->absent);
	sqlite3_bind_int64(st, 7, c->import);
	return kho_catalog_exec_stmt(cat, st, err);
}

static int merge(kho_catalog *cat, const kho_register_import_info *info,
		 kho_register_counts *c, kho_error *err)
{
	int rc = count_of(cat, "SELECT count(*) FROM temp.reg_stage;",
			  &c->taken, err);
	if (rc == KHO_OK)
		rc = count_of(cat, "SELECT count(*) FROM temp.reg_refused;",
			      &c->refused, err);
	/* The staging is complete: end its transaction, then take the
	 * catalog's write lock for the merge only. */
	if (rc == KHO_OK)
		rc = kho_catalog_commit(cat, err);
	if (rc)
		return rc;
	rc = kho_catalog_begin(cat, err);
	if (rc)
		return rc;
	rc = add_import(cat, info, &c->import, err);
	if (rc == KHO_OK)
		rc = run_one(cat, merge_diff, c->import, NULL, err);
	if (rc == KHO_OK)
		rc = count_of(cat, "SELECT count(*) FROM temp.reg_diff;",
			      &c->changed, err);
	if (rc == KHO_OK)
		rc = run_one(cat, merge_changes, c->import, &c->changes, err);
	if (rc == KHO_OK)
		rc = run_one(cat, merge_update, c->import, NULL, err);
	if (rc == KHO_OK)
		rc = run_one(cat, merge_insert, c->import, &c->added, err);
	if (rc == KHO_OK)
		rc = run_one(cat, merge_refused, c->import, NULL, err);
	if (rc == KHO_OK)
		rc = count_of(cat, "SELECT count(*) FROM register;",
			      &c->registered, err);
	if (rc == KHO_OK) {
		c->rows = info->rows;
		c->unchanged = c->taken - c->added - c->changed;
		c->absent = c->registered - c->taken;
		rc = set_import_counts(cat, c, err);
	}
	if (rc == KHO_OK) {
		char detail[1024];
		snprintf(detail, sizeof(detail),
			 "'%s': %lld row(s) taken (%lld added, %lld changed, "
			 "%lld unchanged), %lld refused; %lld in the register",
			 info->file, (long long)c->taken, (long long)c->added,
			 (long long)c->changed, (long long)c->unchanged,
			 (long long)c->refused, (long long)c->registered);
		kho_event ev = {0,
				NULL,
				NULL,
				"register-import",
				c->refused ? "warning" : "ok",
				detail};
		rc = kho_catalog_event(cat, &ev, err);
	}
	if (rc == KHO_OK)
		rc = kho_catalog_commit(cat, err);
	return rc;
}

int kho_register_merge(kho_catalog *cat, const kho_register_import_info *info,
		       kho_register_counts *counts, kho_error *err)
{
	memset(counts, 0, sizeof(*counts));
	int rc = merge(cat, info, counts, err);
	if (rc) {
		kho_catalog_rollback(cat);
		kho_error_prefix(err, "cannot import the register");
	}
	sqlite3_exec(cat->db, stage_drop, NULL, NULL, NULL);
	return rc;
}

/* ---- reading back ---- */

void kho_register_changes_free(kho_register_change *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].old_value);
		free(c[i].new_value);
	}
	free(c);
}

static char *dup_or_null(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	return strdup(kho_col_text(st, col));
}

int kho_register_changes(kho_catalog *cat, int64_t import, size_t limit,
			 kho_register_change **out, size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT record_id, col, old, new FROM register_changes"
		" WHERE import = ? ORDER BY id LIMIT ?;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, import);
	sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
	kho_register_change *rows = NULL;
	size_t count = 0, cap = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			kho_register_change *p =
				realloc(rows, cap * sizeof(*p));
			if (!p) {
				step = SQLITE_NOMEM;
				break;
			}
			rows = p;
		}
		kho_register_change *c = &rows[count++];
		memset(c, 0, sizeof(*c));
		kho_col_copy(st, 0, c->record_id, sizeof(c->record_id));
		kho_col_copy(st, 1, c->col, sizeof(c->col));
		c->old_value = dup_or_null(st, 2);
		c->new_value = dup_or_null(st, 3);
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		kho_register_changes_free(rows, count);
		return step == SQLITE_NOMEM
			       ? kho_error_set(err, KHO_FATAL, "out of memory")
			       : kho_catalog_error(cat, err);
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}

void kho_register_refusals_free(kho_register_refusal *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].reason);
	free(r);
}

int kho_register_refusals(kho_catalog *cat, int64_t import, size_t limit,
			  kho_register_refusal **out, size_t *n, kho_error *err)
{
	static const char sql[] = "SELECT line, coalesce(record_id, ''), reason"
				  " FROM register_refused WHERE import = ? "
				  "ORDER BY line LIMIT ?;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, import);
	sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
	kho_register_refusal *rows = NULL;
	size_t count = 0, cap = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			kho_register_refusal *p =
				realloc(rows, cap * sizeof(*p));
			if (!p) {
				step = SQLITE_NOMEM;
				break;
			}
			rows = p;
		}
		kho_register_refusal *r = &rows[count++];
		memset(r, 0, sizeof(*r));
		r->line = (long)sqlite3_column_int64(st, 0);
		kho_col_copy(st, 1, r->record_id, sizeof(r->record_id));
		r->reason = strdup(kho_col_text(st, 2));
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		kho_register_refusals_free(rows, count);
		return step == SQLITE_NOMEM
			       ? kho_error_set(err, KHO_FATAL, "out of memory")
			       : kho_catalog_error(cat, err);
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}

int kho_register_last_import(kho_catalog *cat, kho_register_import_row *row,
			     kho_error *err)
{
	static const char sql[] =
		"SELECT id, file, sha256, imported_at, rows, taken, refused,"
		" added, changed, unchanged, absent"
		" FROM register_imports ORDER BY id DESC LIMIT 1;";
	memset(row, 0, sizeof(*row));
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		row->id = sqlite3_column_int64(st, 0);
		kho_col_copy(st, 1, row->file, sizeof(row->file));
		kho_col_copy(st, 2, row->sha256, sizeof(row->sha256));
		kho_col_copy(st, 3, row->imported_at, sizeof(row->imported_at));
		row->c.import = row->id;
		row->c.rows = sqlite3_column_int64(st, 4);
		row->c.taken = sqlite3_column_int64(st, 5);
		row->c.refused = sqlite3_column_int64(st, 6);
		row->c.added = sqlite3_column_int64(st, 7);
		row->c.changed = sqlite3_column_int64(st, 8);
		row->c.unchanged = sqlite3_column_int64(st, 9);
		row->c.absent = sqlite3_column_int64(st, 10);
	}
	sqlite3_reset(st);
	if (step == SQLITE_DONE)
		return KHO_FAIL;
	return step == SQLITE_ROW ? KHO_OK : kho_catalog_error(cat, err);
}

int kho_register_size(kho_catalog *cat, int64_t *n, kho_error *err)
{
	return count_of(cat, "SELECT count(*) FROM register;", n, err);
}

int kho_register_digest(kho_catalog *cat, char hex[KHO_SHA256_HEX],
			int64_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT record_id, year, agency, field, procedure_code, title,"
		" number, issue_date, coalesce(extra, '') FROM register"
		" ORDER BY record_id;";
	*n = 0;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK)
		return kho_catalog_error(cat, err);
	kho_hash *h = kho_hash_new(KHO_SHA256);
	if (!h) {
		sqlite3_finalize(st);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		/* Each value with its length: no two registers read alike. */
		for (int c = 0; c < 9; c++) {
			const char *v = kho_col_text(st, c);
			const uint64_t len = strlen(v);
			kho_hash_update(h, &len, sizeof(len));
			kho_hash_update(h, v, (size_t)len);
		}
		(*n)++;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		kho_hash_free(h);
		return kho_catalog_error(cat, err);
	}
	kho_hash_final(h, hex);
	return KHO_OK;
}
