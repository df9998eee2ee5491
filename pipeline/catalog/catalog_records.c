/* Records, their originals and pages, page plans and outputs. */
#include "catalog/catalog_private.h"
#include "common/clock.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void read_record(sqlite3_stmt *st, kho_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->id = sqlite3_column_int64(st, 0);
	kho_col_copy(st, 1, rec->record_id, sizeof(rec->record_id));
	rec->version = sqlite3_column_int(st, 2);
	kho_col_copy(st, 3, rec->batch, sizeof(rec->batch));
	kho_col_copy(st, 4, rec->desk, sizeof(rec->desk));
	kho_col_copy(st, 5, rec->source, sizeof(rec->source));
	kho_col_copy(st, 6, rec->fingerprint, sizeof(rec->fingerprint));
	kho_col_copy(st, 7, rec->ingested_at, sizeof(rec->ingested_at));
	rec->current = sqlite3_column_int(st, 8);
}

#define RECORD_COLUMNS \
	"id, record_id, version, batch, desk, source, fingerprint," \
	" ingested_at, current"

static int one_record(kho_catalog *cat, sqlite3_stmt *st, kho_record *rec,
		      kho_error *err)
{
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		read_record(st, rec);
	sqlite3_reset(st);
	if (step == SQLITE_ROW)
		return KHO_OK;
	if (step == SQLITE_DONE)
		return KHO_FAIL;
	return kho_catalog_error(cat, err);
}

int kho_records_current(kho_catalog *cat, const char *record_id,
			kho_record *rec, kho_error *err)
{
	static const char sql[] = "SELECT " RECORD_COLUMNS
				  " FROM records WHERE record_id = ?"
				  " AND current = 1;";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
	return one_record(cat, st, rec, err);
}

int kho_records_get(kho_catalog *cat, int64_t id, kho_record *rec,
		    kho_error *err)
{
	static const char sql[] = "SELECT " RECORD_COLUMNS
				  " FROM records WHERE id = ?;";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, id);
	int rc = one_record(cat, st, rec, err);
	if (rc == KHO_FAIL)
		return kho_error_set(err, KHO_FAIL, "no record #%lld",
				     (long long)id);
	return rc;
}

static int supersede(kho_catalog *cat, const char *record_id, int *version,
		     kho_error *err)
{
	static const char maxv[] =
		"SELECT coalesce(max(version), 0) FROM records"
		" WHERE record_id = ?;";
	static const char drop_jobs[] =
		"DELETE FROM jobs WHERE state <> 'done' AND record IN"
		" (SELECT id FROM records WHERE record_id = ? AND current = 1);";
	static const char old[] =
		"UPDATE records SET current = 0 WHERE record_id = ?"
		" AND current = 1;";
	sqlite3_stmt *st = kho_catalog_stmt(cat, maxv, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return kho_catalog_error(cat, err);
	}
	*version = sqlite3_column_int(st, 0) + 1;
	sqlite3_reset(st);

	const char *const steps[] = { drop_jobs, old };
	for (size_t i = 0; i < KHO_ARRAY_SIZE(steps); i++) {
		st = kho_catalog_stmt(cat, steps[i], err);
		if (!st)
			return KHO_FATAL;
		sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
		int rc = kho_catalog_exec_stmt(cat, st, err);
		if (rc)
			return rc;
	}
	return KHO_OK;
}

int kho_records_add(kho_catalog *cat, kho_record *rec,
		    const kho_original *originals, size_t n_originals,
		    const kho_page *pages, size_t n_pages, kho_error *err)
{
	static const char ins_rec[] =
		"INSERT INTO records (record_id, version, batch, desk, source,"
		" fingerprint, ingested_at, current)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, 1);";
	static const char ins_orig[] =
		"INSERT INTO originals (record, seq, name, sha256, size, format,"
		" pages, sha512) VALUES (?, ?, ?, ?, ?, ?, ?, ?);";
	static const char ins_page[] =
		"INSERT INTO pages (record, page_no, original, file_page, width,"
		" height, channels, bits, orientation, xdpi, ydpi, dpi_source,"
		" description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);";
	assert(cat->in_txn);
	int rc = supersede(cat, rec->record_id, &rec->version, err);
	if (rc)
		return rc;
	kho_now_iso(rec->ingested_at);
	rec->current = 1;

	sqlite3_stmt *st = kho_catalog_stmt(cat, ins_rec, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, rec->record_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, rec->version);
	sqlite3_bind_text(st, 3, rec->batch, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, rec->desk, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, rec->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, rec->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, rec->ingested_at, -1, SQLITE_STATIC);
	rc = kho_catalog_exec_stmt(cat, st, err);
	if (rc)
		return rc;
	rec->id = sqlite3_last_insert_rowid(cat->db);

	int64_t *orig_ids = calloc(n_originals ? n_originals : 1,
				   sizeof(*orig_ids));
	if (!orig_ids)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	for (size_t i = 0; rc == KHO_OK && i < n_originals; i++) {
		const kho_original *o = &originals[i];
		st = kho_catalog_stmt(cat, ins_orig, err);
		if (!st) {
			rc = KHO_FATAL;
			break;
		}
		sqlite3_bind_int64(st, 1, rec->id);
		sqlite3_bind_int(st, 2, (int)i + 1);
		sqlite3_bind_text(st, 3, o->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, o->sha256, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)o->size);
		sqlite3_bind_text(st, 6, o->format, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 7, o->pages);
		if (o->sha512[0])
			sqlite3_bind_text(st, 8, o->sha512, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 8);
		rc = kho_catalog_exec_stmt(cat, st, err);
		orig_ids[i] = sqlite3_last_insert_rowid(cat->db);
	}
	for (size_t i = 0; rc == KHO_OK && i < n_pages; i++) {
		const kho_page *p = &pages[i];
		assert(p->original >= 0 && (size_t)p->original < n_originals);
		st = kho_catalog_stmt(cat, ins_page, err);
		if (!st) {
			rc = KHO_FATAL;
			break;
		}
		sqlite3_bind_int64(st, 1, rec->id);
		sqlite3_bind_int(st, 2, p->page_no);
		sqlite3_bind_int64(st, 3, orig_ids[p->original]);
		sqlite3_bind_int(st, 4, p->file_page);
		sqlite3_bind_int64(st, 5, p->width);
		sqlite3_bind_int64(st, 6, p->height);
		sqlite3_bind_int(st, 7, p->channels);
		sqlite3_bind_int(st, 8, p->bits);
		sqlite3_bind_int(st, 9, p->orientation);
		sqlite3_bind_double(st, 10, p->xdpi);
		sqlite3_bind_double(st, 11, p->ydpi);
		sqlite3_bind_text(st, 12, p->dpi_source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 13, p->description, -1, SQLITE_STATIC);
		rc = kho_catalog_exec_stmt(cat, st, err);
	}
	free(orig_ids);
	return rc;
}

int kho_records_originals(kho_catalog *cat, int64_t record,
			  kho_original **out, size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT name, sha256, size, format, pages, sha512 FROM originals"
		" WHERE record = ? ORDER BY seq;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, record);
	size_t cap = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			kho_original *p = realloc(*out, cap * sizeof(**out));
			if (!p) {
				sqlite3_reset(st);
				free(*out);
				*out = NULL;
				return kho_error_set(err, KHO_FATAL,
						     "out of memory");
			}
			*out = p;
		}
		kho_original *o = &(*out)[(*n)++];
		memset(o, 0, sizeof(*o));
		kho_col_copy(st, 0, o->name, sizeof(o->name));
		kho_col_copy(st, 1, o->sha256, sizeof(o->sha256));
		o->size = (uint64_t)sqlite3_column_int64(st, 2);
		kho_col_copy(st, 3, o->format, sizeof(o->format));
		o->pages = sqlite3_column_int(st, 4);
		kho_col_copy(st, 5, o->sha512, sizeof(o->sha512));
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return kho_catalog_error(cat, err);
	}
	return KHO_OK;
}

/* kho_plan_turn_crop for a page of the catalog. */
static int turn_measured_crop(kho_catalog *cat, int64_t page, int from,
			      kho_plan *plan, kho_error *err)
{
	static const char sql[] =
		"SELECT width, height FROM pages WHERE id = ?;";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, page);
	const int step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		kho_plan_turn_crop(plan, from,
				   (uint32_t)sqlite3_column_int64(st, 0),
				   (uint32_t)sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	return step == SQLITE_ROW || step == SQLITE_DONE
		       ? KHO_OK
		       : kho_catalog_error(cat, err);
}

/* Fills plan->overrides with the archivist's keys as a JSON object, and
 * applies them to the plan. */
static int load_overrides(kho_catalog *cat, int64_t page, kho_plan *plan,
			  kho_error *err)
{
	static const char sql[] =
		"SELECT key, value FROM overrides WHERE page = ? ORDER BY key;";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, page);
	json_t *o = json_object();
	const int measured_rotation = plan->rotation;
	int step, rc = KHO_OK, turned = 0, cropped = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key = kho_col_text(st, 0);
		const char *value = kho_col_text(st, 1);
		json_object_set_new(o, key, json_string(value));
		/* A stored override was valid when set; should the rules
		 * have changed since, what was measured stays. */
		kho_error ignored = KHO_ERROR_INIT;
		kho_plan_set(plan, key, value, &ignored);
		turned |= strcmp(key, "rotate") == 0;
		cropped |= strcmp(key, "crop") == 0;
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		rc = kho_catalog_error(cat, err);
	/* The archivist's turn of a page measured at another one: the
	 * measured crop turns with it (kho plan does the same). */
	if (rc == KHO_OK && turned && !cropped &&
	    plan->rotation != measured_rotation)
		rc = turn_measured_crop(cat, page, measured_rotation, plan,
					err);
	char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(plan->overrides, sizeof(plan->overrides), "%s",
		 text ? text : "{}");
	free(text);
	json_decref(o);
	return rc;
}

static void read_plan(sqlite3_stmt *st, int col, kho_plan *p)
{
	p->rotation = sqlite3_column_int(st, col++);
	p->mirror = sqlite3_column_int(st, col++);
	p->skew = sqlite3_column_double(st, col++);
	p->skew_confidence = sqlite3_column_double(st, col++);
	p->crop_x = sqlite3_column_int(st, col++);
	p->crop_y = sqlite3_column_int(st, col++);
	p->crop_w = sqlite3_column_int(st, col++);
	p->crop_h = sqlite3_column_int(st, col++);
	kho_mode_parse(kho_col_text(st, col++), &p->mode);
	p->dpi = sqlite3_column_int(st, col++);
	p->source_dpi = sqlite3_column_double(st, col++);
	p->blank_score = sqlite3_column_double(st, col++);
	p->blank = sqlite3_column_int(st, col++);
	kho_col_copy(st, col++, p->flags, sizeof(p->flags));
	kho_col_copy(st, col++, p->measurements, sizeof(p->measurements));
}

int kho_records_pages(kho_catalog *cat, int64_t record, kho_page **out,
		      size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT p.id, p.page_no, p.original, p.file_page, o.sha256,"
		" o.name, o.format, p.width, p.height, p.channels, p.bits,"
		" p.orientation, p.xdpi, p.ydpi, p.dpi_source, p.description,"
		" pl.page IS NOT NULL, pl.rotation, pl.mirror, pl.skew,"
		" pl.skew_confidence, pl.crop_x, pl.crop_y, pl.crop_w,"
		" pl.crop_h, pl.mode, pl.dpi, pl.source_dpi, pl.blank_score,"
		" pl.blank, pl.flags, pl.measurements"
		" FROM pages p JOIN originals o ON o.id = p.original"
		" LEFT JOIN plans pl ON pl.page = p.id"
		" WHERE p.record = ? ORDER BY p.page_no;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, record);
	size_t cap = 0;
	int step;
	kho_page *pages = NULL;
	size_t count = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			kho_page *p = realloc(pages, cap * sizeof(*pages));
			if (!p) {
				sqlite3_reset(st);
				free(pages);
				return kho_error_set(err, KHO_FATAL,
						     "out of memory");
			}
			pages = p;
		}
		kho_page *p = &pages[count++];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(st, 0);
		p->page_no = sqlite3_column_int(st, 1);
		p->original = sqlite3_column_int64(st, 2);
		p->file_page = sqlite3_column_int(st, 3);
		kho_col_copy(st, 4, p->original_sha, sizeof(p->original_sha));
		kho_col_copy(st, 5, p->original_name,
			     sizeof(p->original_name));
		kho_col_copy(st, 6, p->format, sizeof(p->format));
		p->width = (uint32_t)sqlite3_column_int64(st, 7);
		p->height = (uint32_t)sqlite3_column_int64(st, 8);
		p->channels = sqlite3_column_int(st, 9);
		p->bits = sqlite3_column_int(st, 10);
		p->orientation = sqlite3_column_int(st, 11);
		p->xdpi = sqlite3_column_double(st, 12);
		p->ydpi = sqlite3_column_double(st, 13);
		kho_col_copy(st, 14, p->dpi_source, sizeof(p->dpi_source));
		kho_col_copy(st, 15, p->description, sizeof(p->description));
		p->has_plan = sqlite3_column_int(st, 16);
		if (p->has_plan)
			read_plan(st, 17, &p->plan);
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		free(pages);
		return kho_catalog_error(cat, err);
	}
	for (size_t i = 0; i < count; i++) {
		int rc = load_overrides(cat, pages[i].id, &pages[i].plan, err);
		if (rc) {
			free(pages);
			return rc;
		}
	}
	*out = pages;
	*n = count;
	return KHO_OK;
}

int kho_plans_save(kho_catalog *cat, int64_t page, const kho_plan *measured,
		   kho_error *err)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO plans (page, rotation, mirror, skew,"
		" skew_confidence, crop_x, crop_y, crop_w, crop_h, mode, dpi,"
		" source_dpi, blank_score, blank, flags, measurements,"
		" decided_at)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);";
	assert(cat->in_txn);
	kho_plan plan = *measured;
	int rc = load_overrides(cat, page, &plan, err);
	if (rc)
		return rc;
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	int c = 1;
	sqlite3_bind_int64(st, c++, page);
	sqlite3_bind_int(st, c++, plan.rotation);
	sqlite3_bind_int(st, c++, plan.mirror);
	sqlite3_bind_double(st, c++, plan.skew);
	sqlite3_bind_double(st, c++, plan.skew_confidence);
	sqlite3_bind_int(st, c++, plan.crop_x);
	sqlite3_bind_int(st, c++, plan.crop_y);
	sqlite3_bind_int(st, c++, plan.crop_w);
	sqlite3_bind_int(st, c++, plan.crop_h);
	sqlite3_bind_text(st, c++, kho_mode_name(plan.mode), -1,
			  SQLITE_STATIC);
	sqlite3_bind_int(st, c++, plan.dpi);
	sqlite3_bind_double(st, c++, plan.source_dpi);
	sqlite3_bind_double(st, c++, plan.blank_score);
	sqlite3_bind_int(st, c++, plan.blank);
	sqlite3_bind_text(st, c++, plan.flags, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, c++, plan.measurements[0] ? plan.measurements
							: "{}",
			  -1, SQLITE_STATIC);
	sqlite3_bind_text(st, c++, at, -1, SQLITE_TRANSIENT);
	return kho_catalog_exec_stmt(cat, st, err);
}

int kho_overrides_set(kho_catalog *cat, int64_t page, const char *key,
		      const char *value, kho_error *err)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO overrides (page, key, value, set_at)"
		" VALUES (?, ?, ?, ?);";
	assert(cat->in_txn);
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, page);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, at, -1, SQLITE_TRANSIENT);
	return kho_catalog_exec_stmt(cat, st, err);
}

int kho_outputs_set(kho_catalog *cat, int64_t record, const char *name,
		    const char *sha256, uint64_t size, const char *stage,
		    kho_error *err)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO outputs (record, name, sha256, size,"
		" stage, made_at) VALUES (?, ?, ?, ?, ?, ?);";
	assert(cat->in_txn);
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, record);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)size);
	sqlite3_bind_text(st, 5, stage, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, at, -1, SQLITE_TRANSIENT);
	return kho_catalog_exec_stmt(cat, st, err);
}

int kho_outputs_list(kho_catalog *cat, int64_t record, kho_output **out,
		     size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT name, sha256, size, stage, made_at FROM outputs"
		" WHERE record = ? ORDER BY name;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, record);
	size_t cap = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			kho_output *p = realloc(*out, cap * sizeof(**out));
			if (!p) {
				sqlite3_reset(st);
				free(*out);
				*out = NULL;
				*n = 0;
				return kho_error_set(err, KHO_FATAL,
						     "out of memory");
			}
			*out = p;
		}
		kho_output *o = &(*out)[(*n)++];
		kho_col_copy(st, 0, o->name, sizeof(o->name));
		kho_col_copy(st, 1, o->sha256, sizeof(o->sha256));
		o->size = (uint64_t)sqlite3_column_int64(st, 2);
		kho_col_copy(st, 3, o->stage, sizeof(o->stage));
		kho_col_copy(st, 4, o->made_at, sizeof(o->made_at));
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return kho_catalog_error(cat, err);
	}
	return KHO_OK;
}
