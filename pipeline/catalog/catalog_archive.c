/* The warehouse index: volumes and the members of every bag in them. */
#include "catalog/catalog_private.h"
#include "common/clock.h"

#include <stdlib.h>
#include <string.h>

int kho_pack_claim(kho_catalog *cat, int pid, kho_job **out, size_t *n,
		   kho_error *err)
{
	static const char pick[] =
		"UPDATE jobs SET state = 'running', worker = ?, run = ?,"
		" attempts = attempts + 1, started_at = ?"
		" WHERE stage = 'pack' AND state = 'pending'"
		" RETURNING id, record, record_id, attempts;";
	*out = NULL;
	*n = 0;
	int rc = kho_catalog_begin(cat, err);
	if (rc)
		return rc;
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, pick, err);
	if (!st) {
		kho_catalog_rollback(cat);
		return KHO_FATAL;
	}
	sqlite3_bind_int(st, 1, pid);
	if (cat->run)
		sqlite3_bind_int64(st, 2, cat->run);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
	size_t cap = 0;
	kho_job *jobs = NULL;
	size_t count = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			kho_job *p = realloc(jobs, cap * sizeof(*p));
			if (!p) {
				step = SQLITE_NOMEM;
				break;
			}
			jobs = p;
		}
		kho_job *j = &jobs[count++];
		memset(j, 0, sizeof(*j));
		j->id = sqlite3_column_int64(st, 0);
		j->record = sqlite3_column_int64(st, 1);
		kho_col_copy(st, 2, j->record_id, sizeof(j->record_id));
		j->attempts = sqlite3_column_int(st, 3);
		snprintf(j->stage, sizeof(j->stage), "pack");
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		free(jobs);
		if (step == SQLITE_NOMEM)
			kho_error_set(err, KHO_FATAL, "out of memory");
		else
			kho_catalog_error(cat, err);
		kho_catalog_rollback(cat);
		return KHO_FATAL;
	}
	rc = kho_catalog_commit(cat, err);
	if (rc) {
		free(jobs);
		return rc;
	}
	/* RETURNING gives no order: keep the queue's. */
	for (size_t i = 1; i < count; i++)
		for (size_t k = i; k > 0 && jobs[k - 1].id > jobs[k].id; k--) {
			kho_job t = jobs[k];
			jobs[k] = jobs[k - 1];
			jobs[k - 1] = t;
		}
	*out = jobs;
	*n = count;
	return KHO_OK;
}

int kho_volumes_next_number(kho_catalog *cat, const char *prefix,
			    int *number, kho_error *err)
{
	/* CAST takes the digits before ".tar". */
	static const char sql[] =
		"SELECT coalesce(max(CAST(substr(name, length(?1) + 1)"
		" AS INTEGER)), 0) FROM volumes"
		" WHERE substr(name, 1, length(?1)) = ?1;";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_TRANSIENT);
	int step = sqlite3_step(st);
	*number = step == SQLITE_ROW ? sqlite3_column_int(st, 0) + 1 : 0;
	sqlite3_reset(st);
	return step == SQLITE_ROW ? KHO_OK : kho_catalog_error(cat, err);
}

int kho_volumes_add(kho_catalog *cat, const char *name, uint64_t size,
		    const char *sha256, int members, int64_t *volume,
		    kho_error *err)
{
	static const char sql[] =
		"INSERT INTO volumes (name, state, size, sha256, members,"
		" created_at) VALUES (?, 'writing', ?, ?, ?, ?);";
	assert(cat->in_txn);
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, members);
	sqlite3_bind_text(st, 5, at, -1, SQLITE_TRANSIENT);
	int rc = kho_catalog_exec_stmt(cat, st, err);
	*volume = sqlite3_last_insert_rowid(cat->db);
	return rc;
}

int kho_archive_next_version(kho_catalog *cat, const char *record_id,
			     int *version, kho_error *err)
{
	static const char sql[] =
		"SELECT coalesce(max(version), 0) + 1 FROM archive"
		" WHERE record_id = ?;";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	*version = step == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_reset(st);
	return step == SQLITE_ROW ? KHO_OK : kho_catalog_error(cat, err);
}

int kho_archive_add(kho_catalog *cat, int64_t volume, int64_t record,
		    const char *record_id, int version, const char *bag,
		    const kho_archive_member *m, kho_error *err)
{
	static const char sql[] =
		"INSERT INTO archive (record, record_id, version, volume, bag,"
		" member, offset, size, sha256)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);";
	assert(cat->in_txn);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, record);
	sqlite3_bind_text(st, 2, record_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, version);
	sqlite3_bind_int64(st, 4, volume);
	sqlite3_bind_text(st, 5, bag, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, m->member, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)m->offset);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)m->size);
	sqlite3_bind_text(st, 9, m->sha256, -1, SQLITE_STATIC);
	return kho_catalog_exec_stmt(cat, st, err);
}

int kho_volumes_seal(kho_catalog *cat, int64_t volume, kho_error *err)
{
	static const char sql[] =
		"UPDATE volumes SET state = 'sealed' WHERE id = ?;";
	assert(cat->in_txn);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, volume);
	return kho_catalog_exec_stmt(cat, st, err);
}

int kho_volumes_unsealed(kho_catalog *cat, kho_volume_row **out, size_t *n,
			 kho_error *err)
{
	static const char sql[] =
		"SELECT id, name, state, size, sha256 FROM volumes"
		" WHERE state = 'writing' ORDER BY id;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	size_t cap = 0;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			kho_volume_row *p = realloc(*out, cap * sizeof(*p));
			if (!p) {
				step = SQLITE_NOMEM;
				break;
			}
			*out = p;
		}
		kho_volume_row *v = &(*out)[(*n)++];
		v->id = sqlite3_column_int64(st, 0);
		kho_col_copy(st, 1, v->name, sizeof(v->name));
		kho_col_copy(st, 2, v->state, sizeof(v->state));
		v->size = (uint64_t)sqlite3_column_int64(st, 3);
		kho_col_copy(st, 4, v->sha256, sizeof(v->sha256));
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

int kho_volumes_forget(kho_catalog *cat, int64_t volume, kho_error *err)
{
	static const char members[] = "DELETE FROM archive WHERE volume = ?;";
	static const char vol[] = "DELETE FROM volumes WHERE id = ?;";
	assert(cat->in_txn);
	const char *const steps[] = { members, vol };
	for (size_t i = 0; i < KHO_ARRAY_SIZE(steps); i++) {
		sqlite3_stmt *st = kho_catalog_stmt(cat, steps[i], err);
		if (!st)
			return KHO_FATAL;
		sqlite3_bind_int64(st, 1, volume);
		int rc = kho_catalog_exec_stmt(cat, st, err);
		if (rc)
			return rc;
	}
	return KHO_OK;
}

int kho_volumes_finish_jobs(kho_catalog *cat, int64_t volume, kho_error *err)
{
	static const char sql[] =
		"UPDATE jobs SET state = 'done', worker = NULL, error = NULL,"
		" finished_at = ?, detail = 'archived (completed after an"
		" interruption)'"
		" WHERE stage = 'pack' AND state <> 'done' AND record IN"
		" (SELECT record FROM archive WHERE volume = ?);";
	assert(cat->in_txn);
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, volume);
	return kho_catalog_exec_stmt(cat, st, err);
}
