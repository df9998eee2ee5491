/* The shard a work root is (migration 4): read by ingest, pack and
 * status, set once by kho run --shard. */
#include "catalog/catalog_private.h"
#include "common/clock.h"

int kho_catalog_shard(kho_catalog *cat, kho_shard *s, kho_error *err)
{
	static const char sql[] = "SELECT shard, shards, hash FROM shard"
				  " WHERE id = 1;";
	s->index = 0;
	s->count = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	int step = sqlite3_step(st);
	int rc = KHO_OK;
	if (step == SQLITE_ROW) {
		s->index = sqlite3_column_int(st, 0);
		s->count = sqlite3_column_int(st, 1);
		/* A kho that hashes otherwise must not take this root. */
		if (strcmp(kho_col_text(st, 2), KHO_SHARD_HASH) != 0)
			rc = kho_error_set(err, KHO_FATAL,
					   "catalog '%s': its shard is by hash "
					   "'%s', this kho knows '%s' only",
					   cat->path, kho_col_text(st, 2),
					   KHO_SHARD_HASH);
	} else if (step != SQLITE_DONE) {
		rc = kho_catalog_error(cat, err);
	}
	sqlite3_reset(st);
	return rc;
}

/* Whether the root holds anything a shard could not have taken. */
static int holds_work(kho_catalog *cat, int *holds, kho_error *err)
{
	static const char sql[] = "SELECT EXISTS (SELECT 1 FROM records)"
				  " OR EXISTS (SELECT 1 FROM jobs)"
				  " OR EXISTS (SELECT 1 FROM volumes);";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		*holds = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return step == SQLITE_ROW ? KHO_OK : kho_catalog_error(cat, err);
}

int kho_catalog_shard_set(kho_catalog *cat, const kho_shard *s, kho_error *err)
{
	static const char sql[] =
		"INSERT INTO shard (id, shard, shards, hash, set_at)"
		" VALUES (1, ?, ?, ?, ?);";
	assert(s->count >= 1 && s->index >= 1 && s->index <= s->count);
	int rc = kho_catalog_begin(cat, err);
	if (rc)
		return rc;
	kho_shard now;
	int holds = 0;
	rc = kho_catalog_shard(cat, &now, err);
	if (rc == KHO_OK && now.count > 0 && !kho_shard_equal(&now, s))
		rc = kho_error_set(err, KHO_USAGE, "it is shard %d/%d already",
				   now.index, now.count);
	if (rc == KHO_OK && now.count > 0) {
		kho_catalog_rollback(cat);
		return KHO_OK; /* the same shard: nothing to do */
	}
	if (rc == KHO_OK)
		rc = holds_work(cat, &holds, err);
	if (rc == KHO_OK && holds)
		rc = kho_error_set(err, KHO_USAGE,
				   "it ran without --shard and "
				   "holds records of every shard; a shard "
				   "needs a work root of its own (kho init "
				   "ROOT)");
	sqlite3_stmt *st =
		rc == KHO_OK ? kho_catalog_stmt(cat, sql, err) : NULL;
	if (rc == KHO_OK && !st)
		rc = KHO_FATAL;
	if (rc == KHO_OK) {
		char at[KHO_TIME_ISO];
		kho_now_iso(at);
		sqlite3_bind_int(st, 1, s->index);
		sqlite3_bind_int(st, 2, s->count);
		sqlite3_bind_text(st, 3, KHO_SHARD_HASH, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, at, -1, SQLITE_TRANSIENT);
		rc = kho_catalog_exec_stmt(cat, st, err);
	}
	if (rc == KHO_OK) {
		char detail[96];
		snprintf(detail, sizeof(detail),
			 "this work root is shard %d/%d (by %s of the record "
			 "id)",
			 s->index, s->count, KHO_SHARD_HASH);
		kho_event ev = {0, NULL, NULL, "shard", "info", detail};
		rc = kho_catalog_event(cat, &ev, err);
	}
	if (rc == KHO_OK)
		return kho_catalog_commit(cat, err);
	kho_catalog_rollback(cat);
	return rc;
}
