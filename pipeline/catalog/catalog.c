#include "catalog/catalog_private.h"
#include "common/clock.h"
#include "common/fsutil.h"

#include "kho_version.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Long enough for a night's workers to take turns at the write lock. */
#define BUSY_TIMEOUT_MS 60000

int kho_catalog_schema_version(void)
{
	return kho_catalog_n_migrations;
}

sqlite3 *kho_catalog_db(kho_catalog *cat)
{
	return cat->db;
}

void kho_catalog_set_run(kho_catalog *cat, int64_t run)
{
	cat->run = run;
}

int64_t kho_catalog_run(const kho_catalog *cat)
{
	return cat->run;
}

int kho_catalog_error(kho_catalog *cat, kho_error *err)
{
	int code = sqlite3_errcode(cat->db);
	const char *msg = sqlite3_errmsg(cat->db);
	if (code == SQLITE_FULL)
		return kho_error_set(err, KHO_FATAL,
				     "catalog '%s': the disk is full", cat->path);
	if (code == SQLITE_READONLY)
		return kho_error_set(err, KHO_FATAL,
				     "catalog '%s' is read-only: %s", cat->path,
				     msg);
	return kho_error_set(err, KHO_FATAL, "catalog '%s': %s", cat->path,
			     msg);
}

const char *kho_col_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? (const char *)t : "";
}

void kho_col_copy(sqlite3_stmt *st, int col, char *out, size_t cap)
{
	snprintf(out, cap, "%s", kho_col_text(st, col));
}

sqlite3_stmt *kho_catalog_stmt(kho_catalog *cat, const char *sql,
			       kho_error *err)
{
	for (size_t i = 0; i < cat->n_stmts; i++) {
		if (cat->stmts[i].sql == sql) {
			sqlite3_stmt *st = cat->stmts[i].stmt;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK) {
		kho_catalog_error(cat, err);
		return NULL;
	}
	if (cat->n_stmts < KHO_ARRAY_SIZE(cat->stmts)) {
		cat->stmts[cat->n_stmts].sql = sql;
		cat->stmts[cat->n_stmts].stmt = st;
		cat->n_stmts++;
	} else {
		/* A full cache is a programming error: statements are
		 * string literals and there are not this many. */
		assert(!"statement cache full");
	}
	return st;
}

int kho_catalog_exec_stmt(kho_catalog *cat, sqlite3_stmt *st,
			  kho_error *err)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		kho_catalog_error(cat, err);
		sqlite3_reset(st);
		return KHO_FATAL;
	}
	sqlite3_reset(st);
	return KHO_OK;
}

int kho_catalog_exec(kho_catalog *cat, const char *sql, kho_error *err)
{
	char *msg = NULL;
	if (sqlite3_exec(cat->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		kho_error_set(err, KHO_FATAL, "catalog '%s': %s", cat->path,
			      msg ? msg : sqlite3_errmsg(cat->db));
		sqlite3_free(msg);
		return KHO_FATAL;
	}
	return KHO_OK;
}

static int pragma_int(kho_catalog *cat, const char *sql, int *out,
		      kho_error *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK)
		return kho_catalog_error(cat, err);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		kho_catalog_error(cat, err);
		sqlite3_finalize(st);
		return KHO_FATAL;
	}
	*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return KHO_OK;
}

static int migrate(kho_catalog *cat, int from, kho_error *err)
{
	for (int v = from; v < kho_catalog_n_migrations; v++) {
		int rc = kho_catalog_begin(cat, err);
		if (rc)
			return rc;
		char bump[64];
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d;", v + 1);
		rc = kho_catalog_exec(cat, kho_catalog_migrations[v], err);
		if (rc == KHO_OK)
			rc = kho_catalog_exec(cat, bump, err);
		if (rc == KHO_OK)
			rc = kho_catalog_commit(cat, err);
		if (rc) {
			kho_catalog_rollback(cat);
			return kho_error_prefix(err,
						"cannot bring the catalog to "
						"schema %d",
						v + 1);
		}
	}
	return KHO_OK;
}

/* Whether the folder holding path can be written to. */
static int dir_writable(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	return access(slash ? dir : ".", W_OK) == 0;
}

static int open_db(kho_catalog *cat, kho_catalog_mode mode, kho_error *err)
{
	struct stat st;
	int exists = stat(cat->path, &st) == 0;
	if (mode == KHO_CATALOG_CREATE && exists)
		return kho_error_set(err, KHO_FATAL,
				     "'%s' exists already: kho never overwrites "
				     "a catalog",
				     cat->path);
	if (mode != KHO_CATALOG_CREATE && !exists)
		return kho_error_set(err, KHO_FATAL,
				     "no catalog at '%s': is this a kho work "
				     "root? (kho init ROOT makes one)",
				     cat->path);
	if (exists && !S_ISREG(st.st_mode))
		return kho_error_set(err, KHO_FATAL,
				     "catalog '%s' is not a regular file",
				     cat->path);

	int flags = SQLITE_OPEN_NOMUTEX;
	if (mode == KHO_CATALOG_READONLY)
		flags |= SQLITE_OPEN_READONLY;
	else
		flags |= SQLITE_OPEN_READWRITE;
	if (mode == KHO_CATALOG_CREATE)
		flags |= SQLITE_OPEN_CREATE;
	if (mode != KHO_CATALOG_READONLY && access(cat->path, W_OK) != 0 &&
	    exists)
		return kho_error_set(err, KHO_FATAL,
				     "catalog '%s' is read-only: %s", cat->path,
				     strerror(errno));
	/* Reading a catalog on a read-only disk (a mounted copy, an archive
	 * medium): SQLite cannot make the WAL's index file there, and nothing
	 * can change the file, so it is opened as immutable. */
	char uri[4200];
	const char *name = cat->path;
	if (mode == KHO_CATALOG_READONLY && !dir_writable(cat->path)) {
		snprintf(uri, sizeof(uri), "file:%s?immutable=1", cat->path);
		name = uri;
		flags |= SQLITE_OPEN_URI;
	}
	if (sqlite3_open_v2(name, &cat->db, flags, NULL) != SQLITE_OK) {
		if (!cat->db)
			return kho_error_set(err, KHO_FATAL,
					     "cannot open catalog '%s': out of "
					     "memory",
					     cat->path);
		return kho_error_set(err, KHO_FATAL,
				     "cannot open catalog '%s': %s", cat->path,
				     sqlite3_errmsg(cat->db));
	}
	sqlite3_extended_result_codes(cat->db, 0);
	sqlite3_busy_timeout(cat->db, BUSY_TIMEOUT_MS);
	return KHO_OK;
}

/* Refuses anything that is not a kho catalog before writing a byte. */
static int check_identity(kho_catalog *cat, kho_catalog_mode mode,
			  int *version, kho_error *err)
{
	int app = 0;
	if (pragma_int(cat, "PRAGMA application_id;", &app, err))
		return kho_error_set(err, KHO_FATAL,
				     "'%s' is not a usable kho catalog: %s",
				     cat->path, sqlite3_errmsg(cat->db));
	if (pragma_int(cat, "PRAGMA user_version;", version, err))
		return KHO_FATAL;
	if (mode == KHO_CATALOG_CREATE)
		return KHO_OK;
	if ((uint32_t)app != KHO_CATALOG_APP_ID)
		return kho_error_set(err, KHO_FATAL,
				     "'%s' is not a kho catalog (application "
				     "id %#x); kho leaves it as it is",
				     cat->path, (unsigned)app);
	if (*version > kho_catalog_n_migrations)
		return kho_error_set(err, KHO_FATAL,
				     "catalog '%s' has schema %d, newer than "
				     "this kho knows (%d): use a newer kho",
				     cat->path, *version,
				     kho_catalog_n_migrations);
	return KHO_OK;
}

int kho_catalog_open(kho_catalog **out, const char *path,
		     kho_catalog_mode mode, const char *program,
		     const char *log_dir, kho_error *err)
{
	*out = NULL;
	kho_catalog *cat = calloc(1, sizeof(*cat));
	if (!cat)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	cat->path = strdup(path);
	cat->program = strdup(program ? program : "kho");
	cat->log_dir = log_dir ? strdup(log_dir) : NULL;
	if (!cat->path || !cat->program || (log_dir && !cat->log_dir)) {
		kho_catalog_free(cat);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}

	int rc = open_db(cat, mode, err);
	int version = 0;
	if (rc == KHO_OK)
		rc = check_identity(cat, mode, &version, err);
	if (rc == KHO_OK && mode != KHO_CATALOG_READONLY) {
		rc = kho_catalog_exec(cat,
				      "PRAGMA journal_mode = WAL;"
				      "PRAGMA synchronous = FULL;"
				      "PRAGMA foreign_keys = ON;",
				      err);
		if (rc == KHO_OK && mode == KHO_CATALOG_CREATE) {
			char sql[64];
			snprintf(sql, sizeof(sql),
				 "PRAGMA application_id = %d;",
				 (int)KHO_CATALOG_APP_ID);
			rc = kho_catalog_exec(cat, sql, err);
		}
		if (rc == KHO_OK && version < kho_catalog_n_migrations)
			rc = migrate(cat, version, err);
	} else if (rc == KHO_OK && version < kho_catalog_n_migrations) {
		rc = kho_error_set(err, KHO_FATAL,
				   "catalog '%s' has schema %d and needs an "
				   "upgrade to %d: run a command that writes "
				   "(kho status after kho run)",
				   path, version, kho_catalog_n_migrations);
	}
	if (rc) {
		kho_catalog_free(cat);
		return rc;
	}
	*out = cat;
	return KHO_OK;
}

void kho_catalog_free(kho_catalog *cat)
{
	if (!cat)
		return;
	if (cat->in_txn)
		kho_catalog_rollback(cat);
	for (size_t i = 0; i < cat->n_stmts; i++)
		sqlite3_finalize(cat->stmts[i].stmt);
	if (cat->db)
		sqlite3_close(cat->db);
	free(cat->pending_log);
	free(cat->path);
	free(cat->program);
	free(cat->log_dir);
	free(cat);
}

int kho_catalog_check(kho_catalog *cat, kho_error *err)
{
	static const char keep[] =
		"INSERT INTO checks (at, run, ms) VALUES (?, ?, ?);";
	const int64_t t0 = kho_mono_ms();
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(cat->db, "PRAGMA quick_check;", -1, &st,
			       NULL) != SQLITE_OK)
		return kho_catalog_error(cat, err);
	int rc = sqlite3_step(st);
	int ok = rc == SQLITE_ROW &&
		 strcmp(kho_col_text(st, 0), "ok") == 0;
	if (!ok) {
		if (rc == SQLITE_ROW)
			kho_error_set(err, KHO_FATAL,
				      "catalog '%s' is damaged: %s; kho leaves "
				      "it as it is (restore it from a copy)",
				      cat->path, kho_col_text(st, 0));
		else
			kho_catalog_error(cat, err);
	}
	sqlite3_finalize(st);
	if (!ok)
		return KHO_FATAL;
	st = kho_catalog_stmt(cat, keep, err);
	if (!st)
		return KHO_FATAL;
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
	if (cat->run > 0)
		sqlite3_bind_int64(st, 2, cat->run);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, kho_mono_ms() - t0);
	return kho_catalog_exec_stmt(cat, st, err);
}

int kho_catalog_check_due(kho_catalog *cat, int *due, kho_error *err)
{
	/* The age of the newest check in hours (NULL: none yet; the newest,
	 * not the latest dated, so that one made under a clock set ahead
	 * does not stand for long), whether a command other than this one
	 * has no end that started since it or made it (the night's run that
	 * checked, then was killed), and how long it took. */
	static const char sql[] =
		"SELECT (julianday('now') - julianday(at)) * 24,"
		" EXISTS (SELECT 1 FROM runs WHERE ended_at IS NULL AND id <> ?"
		"  AND id >= coalesce((SELECT max(run) FROM checks), 0)),"
		" ms FROM (SELECT at, ms FROM checks ORDER BY id DESC LIMIT 1)"
		" UNION ALL SELECT NULL, 0, 0 WHERE NOT EXISTS"
		" (SELECT 1 FROM checks);";
	*due = 1;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, cat->run);
	const int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		const int none = sqlite3_column_type(st, 0) == SQLITE_NULL;
		const double hours = sqlite3_column_double(st, 0);
		const int unfinished = sqlite3_column_int(st, 1);
		const int64_t ms = sqlite3_column_int64(st, 2);
		*due = none || unfinished || hours < 0 ||
		       hours >= KHO_CHECK_HOURS || ms < KHO_CHECK_CHEAP_MS;
	}
	sqlite3_reset(st);
	return step == SQLITE_ROW ? KHO_OK : kho_catalog_error(cat, err);
}

int kho_catalog_begin(kho_catalog *cat, kho_error *err)
{
	assert(!cat->in_txn);
	int rc = kho_catalog_exec(cat, "BEGIN IMMEDIATE;", err);
	if (rc == KHO_OK) {
		cat->in_txn = 1;
		cat->pending_len = 0;
	}
	return rc;
}

int kho_catalog_commit(kho_catalog *cat, kho_error *err)
{
	assert(cat->in_txn);
	int rc = kho_catalog_exec(cat, "COMMIT;", err);
	if (rc) {
		kho_catalog_rollback(cat);
		return rc;
	}
	cat->in_txn = 0;
	kho_catalog_flush_log(cat);
	return KHO_OK;
}

void kho_catalog_rollback(kho_catalog *cat)
{
	if (!cat->in_txn)
		return;
	sqlite3_exec(cat->db, "ROLLBACK;", NULL, NULL, NULL);
	cat->in_txn = 0;
	cat->pending_len = 0;
}

/* ---- events and the log ---- */

static void queue_log_line(kho_catalog *cat, const char *line)
{
	size_t n = strlen(line);
	if (cat->pending_len + n + 2 > cat->pending_cap) {
		size_t cap = (cat->pending_cap + n + 2) * 2;
		char *p = realloc(cat->pending_log, cap);
		if (!p)
			return; /* the catalog keeps the event anyway */
		cat->pending_log = p;
		cat->pending_cap = cap;
	}
	memcpy(cat->pending_log + cat->pending_len, line, n);
	cat->pending_len += n;
	cat->pending_log[cat->pending_len++] = '\n';
}

void kho_catalog_flush_log(kho_catalog *cat)
{
	if (!cat->log_dir || cat->pending_len == 0) {
		cat->pending_len = 0;
		return;
	}
	char day[KHO_TIME_ISO];
	kho_now_iso(day);
	char path[4096];
	snprintf(path, sizeof(path), "%s/%.10s.jsonl", cat->log_dir, day);
	/* O_APPEND: lines of concurrent workers never overwrite each other.
	 * The log is a convenience beside the catalog, which is the
	 * record, so a failed write here is not an error of the stage. */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		kho_write_all(fd, cat->pending_log, cat->pending_len, path,
			      NULL);
		close(fd);
	}
	cat->pending_len = 0;
}

int kho_catalog_event(kho_catalog *cat, const kho_event *ev, kho_error *err)
{
	static const char sql[] =
		"INSERT INTO events (at, run, record, record_id, stage, type,"
		" outcome, detail, program, version)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);";
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
	if (cat->run)
		sqlite3_bind_int64(st, 2, cat->run);
	if (ev->record)
		sqlite3_bind_int64(st, 3, ev->record);
	if (ev->record_id)
		sqlite3_bind_text(st, 4, ev->record_id, -1, SQLITE_STATIC);
	if (ev->stage)
		sqlite3_bind_text(st, 5, ev->stage, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ev->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, ev->outcome, -1, SQLITE_STATIC);
	if (ev->detail)
		sqlite3_bind_text(st, 8, ev->detail, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, cat->program, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, KHO_VERSION_STRING, -1, SQLITE_STATIC);
	int rc = kho_catalog_exec_stmt(cat, st, err);
	if (rc)
		return rc;

	json_t *o = json_object();
	if (o) {
		json_object_set_new(o, "at", json_string(at));
		if (cat->run)
			json_object_set_new(o, "run", json_integer(cat->run));
		if (ev->record_id)
			json_object_set_new(o, "record",
					    json_string(ev->record_id));
		if (ev->stage)
			json_object_set_new(o, "stage", json_string(ev->stage));
		json_object_set_new(o, "type", json_string(ev->type));
		json_object_set_new(o, "outcome", json_string(ev->outcome));
		if (ev->detail)
			json_object_set_new(o, "detail",
					    json_string(ev->detail));
		json_object_set_new(o, "program", json_string(cat->program));
		json_object_set_new(o, "version",
				    json_string(KHO_VERSION_STRING));
		char *line = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (line) {
			queue_log_line(cat, line);
			free(line);
		}
		json_decref(o);
	}
	if (!cat->in_txn)
		kho_catalog_flush_log(cat);
	return KHO_OK;
}

int kho_events_list(kho_catalog *cat, int64_t record, const char *record_id,
		    kho_event_row **out, size_t *n, kho_error *err)
{
	static const char sql[] =
		"SELECT at, coalesce(stage, ''), type, outcome, program, version,"
		" detail FROM events WHERE record = ?"
		" OR (record IS NULL AND record_id = ?) ORDER BY id;";
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, record);
	sqlite3_bind_text(st, 2, record_id, -1, SQLITE_STATIC);
	size_t cap = 0;
	int step;
	kho_event_row *rows = NULL;
	size_t count = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			kho_event_row *p = realloc(rows, cap * sizeof(*p));
			if (!p) {
				step = SQLITE_NOMEM;
				break;
			}
			rows = p;
		}
		kho_event_row *r = &rows[count++];
		memset(r, 0, sizeof(*r));
		kho_col_copy(st, 0, r->at, sizeof(r->at));
		kho_col_copy(st, 1, r->stage, sizeof(r->stage));
		kho_col_copy(st, 2, r->type, sizeof(r->type));
		kho_col_copy(st, 3, r->outcome, sizeof(r->outcome));
		kho_col_copy(st, 4, r->program, sizeof(r->program));
		kho_col_copy(st, 5, r->version, sizeof(r->version));
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			r->detail = strdup(kho_col_text(st, 6));
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		kho_events_free(rows, count);
		return step == SQLITE_NOMEM
			       ? kho_error_set(err, KHO_FATAL, "out of memory")
			       : kho_catalog_error(cat, err);
	}
	*out = rows;
	*n = count;
	return KHO_OK;
}

void kho_events_free(kho_event_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].detail);
	free(rows);
}

/* ---- runs ---- */

int kho_catalog_run_start(kho_catalog *cat, const char *command,
			  int64_t *run, kho_error *err)
{
	static const char sql[] =
		"INSERT INTO runs (command, pid, started_at) VALUES (?, ?, ?);";
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, command, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)getpid());
	sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
	int rc = kho_catalog_exec_stmt(cat, st, err);
	if (rc)
		return rc;
	*run = sqlite3_last_insert_rowid(cat->db);
	cat->run = *run;
	return KHO_OK;
}

int kho_catalog_run_end(kho_catalog *cat, int64_t run, const char *outcome,
			const char *summary_json, kho_error *err)
{
	static const char sql[] =
		"UPDATE runs SET ended_at = ?, outcome = ?, summary = ?"
		" WHERE id = ?;";
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
	if (summary_json)
		sqlite3_bind_text(st, 3, summary_json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, run);
	return kho_catalog_exec_stmt(cat, st, err);
}
