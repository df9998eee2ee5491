/* The register row, publications, volumes and members for describe,
 * verify, extract and lookup. */
#include "catalog/catalog_warehouse.h"
#include "catalog/catalog_private.h"
#include "common/clock.h"

#include <stdlib.h>
#include <string.h>

/* ---- growing arrays of rows ---- */

static int grow(void **rows, size_t *cap, size_t count, size_t size)
{
	if (count < *cap)
		return 0;
	const size_t ncap = *cap ? *cap * 2 : 16;
	void *const p = realloc(*rows, ncap * size);
	if (!p)
		return -1;
	*rows = p;
	*cap = ncap;
	return 0;
}

static int step_error(kho_catalog *cat, int step, kho_error *err)
{
	return step == SQLITE_NOMEM
		       ? kho_error_set(err, KHO_FATAL, "out of memory")
		       : kho_catalog_error(cat, err);
}

/* ---- the register ---- */

static char *dup_col(sqlite3_stmt *st, int col, int *oom)
{
	char *const s = strdup(kho_col_text(st, col));
	if (!s)
		*oom = 1;
	return s;
}

int kho_register_get(kho_catalog *cat, const char *record_id,
		     kho_register_entry *e, kho_error *err)
{
	static const char sql[] =
		"SELECT record_id, year, agency, field, procedure_code, title,"
		" number, issue_date, coalesce(extra, '{}') FROM register"
		" WHERE record_id = ?;";
	memset(e, 0, sizeof(*e));
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
	const int step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		sqlite3_reset(st);
		return KHO_FAIL;
	}
	if (step != SQLITE_ROW) {
		sqlite3_reset(st);
		return kho_catalog_error(cat, err);
	}
	int oom = 0;
	kho_col_copy(st, 0, e->record_id, sizeof(e->record_id));
	e->year = sqlite3_column_int(st, 1);
	e->agency = dup_col(st, 2, &oom);
	e->field = dup_col(st, 3, &oom);
	e->procedure_code = dup_col(st, 4, &oom);
	e->title = dup_col(st, 5, &oom);
	e->number = dup_col(st, 6, &oom);
	e->issue_date = dup_col(st, 7, &oom);
	e->extra_json = dup_col(st, 8, &oom);
	sqlite3_reset(st);
	if (oom) {
		kho_register_entry_release(e);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	return KHO_OK;
}

void kho_register_entry_release(kho_register_entry *e)
{
	free(e->agency);
	free(e->field);
	free(e->procedure_code);
	free(e->title);
	free(e->number);
	free(e->issue_date);
	free(e->extra_json);
	memset(e, 0, sizeof(*e));
}

/* ---- publications ---- */

#define PUBLICATION_COLUMNS                                                    \
	"p.record, p.record_id, r.version, p.published_at, p.code, p.payload"

static int publication_row(sqlite3_stmt *st, kho_publication *p)
{
	memset(p, 0, sizeof(*p));
	p->record = sqlite3_column_int64(st, 0);
	kho_col_copy(st, 1, p->record_id, sizeof(p->record_id));
	p->record_version = sqlite3_column_int(st, 2);
	kho_col_copy(st, 3, p->published_at, sizeof(p->published_at));
	kho_col_copy(st, 4, p->code, sizeof(p->code));
	p->payload = strdup(kho_col_text(st, 5));
	return p->payload ? 0 : -1;
}

int kho_publication_get(kho_catalog *cat, int64_t record, kho_publication *p,
			kho_error *err)
{
	static const char sql[] =
		"SELECT " PUBLICATION_COLUMNS " FROM publications p"
		" JOIN records r ON r.id = p.record WHERE p.record = ?;";
	memset(p, 0, sizeof(*p));
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, record);
	const int step = sqlite3_step(st);
	int rc = KHO_FAIL;
	if (step == SQLITE_ROW)
		rc = publication_row(st, p) == 0
			     ? KHO_OK
			     : kho_error_set(err, KHO_FATAL, "out of memory");
	else if (step != SQLITE_DONE)
		rc = kho_catalog_error(cat, err);
	sqlite3_reset(st);
	return rc;
}

int kho_publication_set(kho_catalog *cat, int64_t record, const char *record_id,
			const char *published_at, const char *code,
			const char *payload, kho_error *err)
{
	static const char sql[] =
		"INSERT INTO publications (record, record_id, published_at,"
		" code, payload, described_at) VALUES (?, ?, ?, ?, ?, ?)"
		" ON CONFLICT (record) DO UPDATE SET"
		" published_at = excluded.published_at, code = excluded.code,"
		" payload = excluded.payload,"
		" described_at = excluded.described_at;";
	assert(cat->in_txn);
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, record);
	sqlite3_bind_text(st, 2, record_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, published_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, payload, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, at, -1, SQLITE_TRANSIENT);
	return kho_catalog_exec_stmt(cat, st, err);
}

void kho_publications_free(kho_publication *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		free(p[i].payload);
	free(p);
}

int kho_publications_by_code(kho_catalog *cat, const char *code,
			     kho_publication **out, size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT " PUBLICATION_COLUMNS " FROM publications p"
		" JOIN records r ON r.id = p.record WHERE p.code = ?"
		" ORDER BY p.record;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	kho_publication *rows = NULL;
	size_t cap = 0, count = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&rows, &cap, count, sizeof(*rows)) ||
		    publication_row(st, &rows[count]) != 0) {
			step = SQLITE_NOMEM;
			break;
		}
		count++;
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		kho_publications_free(rows, count);
		return step_error(cat, step, err);
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}

/* ---- volumes and members ---- */

int kho_volumes_list(kho_catalog *cat, const char *name, kho_volume_row **out,
		     size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT id, name, state, size, sha256 FROM volumes"
		" WHERE ?1 IS NULL OR name = ?1 ORDER BY name;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	kho_volume_row *rows = NULL;
	size_t cap = 0, count = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&rows, &cap, count, sizeof(*rows))) {
			step = SQLITE_NOMEM;
			break;
		}
		kho_volume_row *const v = &rows[count++];
		memset(v, 0, sizeof(*v));
		v->id = sqlite3_column_int64(st, 0);
		kho_col_copy(st, 1, v->name, sizeof(v->name));
		kho_col_copy(st, 2, v->state, sizeof(v->state));
		v->size = (uint64_t)sqlite3_column_int64(st, 3);
		kho_col_copy(st, 4, v->sha256, sizeof(v->sha256));
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		free(rows);
		return step_error(cat, step, err);
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}

static void archive_row(sqlite3_stmt *st, kho_archive_row *r)
{
	memset(r, 0, sizeof(*r));
	kho_col_copy(st, 0, r->volume, sizeof(r->volume));
	kho_col_copy(st, 1, r->bag, sizeof(r->bag));
	r->version = sqlite3_column_int(st, 2);
	kho_col_copy(st, 3, r->m.member, sizeof(r->m.member));
	r->m.offset = (uint64_t)sqlite3_column_int64(st, 4);
	r->m.size = (uint64_t)sqlite3_column_int64(st, 5);
	kho_col_copy(st, 6, r->m.sha256, sizeof(r->m.sha256));
}

static int archive_rows(kho_catalog *cat, sqlite3_stmt *st,
			kho_archive_row **out, size_t *n, kho_error *err)
{
	kho_archive_row *rows = NULL;
	size_t cap = 0, count = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&rows, &cap, count, sizeof(*rows))) {
			step = SQLITE_NOMEM;
			break;
		}
		archive_row(st, &rows[count++]);
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		free(rows);
		return step_error(cat, step, err);
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}

int kho_volume_members(kho_catalog *cat, int64_t volume, kho_archive_row **out,
		       size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT v.name, a.bag, a.version, a.member, a.offset, a.size,"
		" a.sha256 FROM archive a JOIN volumes v ON v.id = a.volume"
		" WHERE a.volume = ? ORDER BY a.offset;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, volume);
	return archive_rows(cat, st, out, n, err);
}

int kho_archive_versions(kho_catalog *cat, const char *record_id, int **out,
			 size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT DISTINCT a.version FROM archive a"
		" JOIN volumes v ON v.id = a.volume"
		" WHERE a.record_id = ? AND v.state = 'sealed'"
		" ORDER BY a.version;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
	int *rows = NULL;
	size_t cap = 0, count = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow((void **)&rows, &cap, count, sizeof(*rows))) {
			step = SQLITE_NOMEM;
			break;
		}
		rows[count++] = sqlite3_column_int(st, 0);
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		free(rows);
		return step_error(cat, step, err);
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}

int kho_archive_bag(kho_catalog *cat, const char *record_id, int version,
		    kho_archive_row **out, size_t *n, int *got_version,
		    kho_error *err)
{
	static const char latest[] =
		"SELECT max(a.version) FROM archive a"
		" JOIN volumes v ON v.id = a.volume"
		" WHERE a.record_id = ? AND v.state = 'sealed';";
	static const char sql[] =
		"SELECT v.name, a.bag, a.version, a.member, a.offset, a.size,"
		" a.sha256 FROM archive a JOIN volumes v ON v.id = a.volume"
		" WHERE a.record_id = ? AND a.version = ?"
		" AND v.state = 'sealed' ORDER BY a.offset;";
	*out = NULL;
	*n = 0;
	*got_version = 0;
	if (version <= 0) {
		sqlite3_stmt *st = kho_catalog_stmt(cat, latest, err);
		if (!st)
			return KHO_FATAL;
		sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
		const int step = sqlite3_step(st);
		version = step == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
		sqlite3_reset(st);
		if (step != SQLITE_ROW)
			return kho_catalog_error(cat, err);
		if (version <= 0)
			return kho_error_set(err, KHO_FAIL,
					     "record '%s' is not in the "
					     "warehouse",
					     record_id);
	}
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, version);
	const int rc = archive_rows(cat, st, out, n, err);
	if (rc == KHO_OK && *n == 0)
		return kho_error_set(err, KHO_FAIL,
				     "record '%s' has no version %d in the "
				     "warehouse",
				     record_id, version);
	*got_version = version;
	return rc;
}

int kho_archive_record_ids(kho_catalog *cat, kho_archived_fn fn, void *ctx,
			   kho_error *err)
{
	static const char sql[] =
		"SELECT a.record_id, min(v.name) FROM archive a"
		" JOIN volumes v ON v.id = a.volume AND v.state = 'sealed'"
		" GROUP BY a.record_id ORDER BY a.record_id;";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	int step, rc = KHO_OK;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		rc = fn(ctx, kho_col_text(st, 0), kho_col_text(st, 1), err);
		if (rc)
			break;
	}
	if (rc == KHO_OK && step != SQLITE_DONE)
		rc = kho_catalog_error(cat, err);
	sqlite3_reset(st);
	return rc;
}
