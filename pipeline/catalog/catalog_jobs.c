/* Stage jobs: the queue every stage's workers take their work from. */
#include "catalog/catalog_private.h"
#include "common/clock.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
	[KHO_JOB_PENDING] = "pending",
	[KHO_JOB_RUNNING] = "running",
	[KHO_JOB_DONE] = "done",
	[KHO_JOB_FAILED] = "failed",
};

const char *kho_job_state_name(kho_job_state state)
{
	return (unsigned)state < KHO_ARRAY_SIZE(state_names)
		       ? state_names[state]
		       : "?";
}

void kho_job_release(kho_job *job)
{
	free(job->input);
	job->input = NULL;
}

int kho_jobs_claim(kho_catalog *cat, const char *stage, int pid,
		   kho_job *job, kho_error *err)
{
	static const char pick[] =
		"SELECT id, record, record_id, attempts, input FROM jobs"
		" WHERE stage = ? AND state = 'pending' ORDER BY id LIMIT 1;";
	static const char take[] =
		"UPDATE jobs SET state = 'running', worker = ?, run = ?,"
		" attempts = attempts + 1, started_at = ?, finished_at = NULL,"
		" error = NULL WHERE id = ?;";
	memset(job, 0, sizeof(*job));
	int rc = kho_catalog_begin(cat, err);
	if (rc)
		return rc;
	sqlite3_stmt *st = kho_catalog_stmt(cat, pick, err);
	if (!st) {
		kho_catalog_rollback(cat);
		return KHO_FATAL;
	}
	sqlite3_bind_text(st, 1, stage, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		sqlite3_reset(st);
		kho_catalog_rollback(cat);
		return 0;
	}
	if (step != SQLITE_ROW) {
		kho_catalog_error(cat, err);
		sqlite3_reset(st);
		kho_catalog_rollback(cat);
		return KHO_FATAL;
	}
	job->id = sqlite3_column_int64(st, 0);
	job->record = sqlite3_column_int64(st, 1);
	kho_col_copy(st, 2, job->record_id, sizeof(job->record_id));
	job->attempts = sqlite3_column_int(st, 3) + 1;
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		job->input = strdup(kho_col_text(st, 4));
	snprintf(job->stage, sizeof(job->stage), "%s", stage);
	sqlite3_reset(st);

	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	st = kho_catalog_stmt(cat, take, err);
	if (!st) {
		kho_catalog_rollback(cat);
		kho_job_release(job);
		return KHO_FATAL;
	}
	sqlite3_bind_int(st, 1, pid);
	if (cat->run)
		sqlite3_bind_int64(st, 2, cat->run);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, job->id);
	rc = kho_catalog_exec_stmt(cat, st, err);
	if (rc == KHO_OK)
		rc = kho_catalog_commit(cat, err);
	if (rc) {
		kho_catalog_rollback(cat);
		kho_job_release(job);
		return rc;
	}
	return 1;
}

int kho_jobs_done(kho_catalog *cat, int64_t job, const char *detail,
		  kho_error *err)
{
	static const char sql[] =
		"UPDATE jobs SET state = 'done', worker = NULL, error = NULL,"
		" finished_at = ?, detail = ? WHERE id = ?;";
	assert(cat->in_txn);
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
	if (detail)
		sqlite3_bind_text(st, 2, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, job);
	return kho_catalog_exec_stmt(cat, st, err);
}

int kho_jobs_fail(kho_catalog *cat, int64_t job, int pid,
		  const char *message, kho_error *err)
{
	static const char upd[] =
		"UPDATE jobs SET state = 'failed', worker = NULL,"
		" finished_at = ?, error = ?"
		" WHERE id = ? AND state = 'running' AND (? = 0 OR worker = ?)"
		" RETURNING record, record_id, stage;";
	int rc = kho_catalog_begin(cat, err);
	if (rc)
		return rc;
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, upd, err);
	if (!st) {
		kho_catalog_rollback(cat);
		return KHO_FATAL;
	}
	sqlite3_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, message, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, job);
	sqlite3_bind_int(st, 4, pid);
	sqlite3_bind_int(st, 5, pid);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		int64_t record = sqlite3_column_int64(st, 0);
		char record_id[96], stage[16];
		kho_col_copy(st, 1, record_id, sizeof(record_id));
		kho_col_copy(st, 2, stage, sizeof(stage));
		step = sqlite3_step(st);
		sqlite3_reset(st);
		kho_event ev = { record, record_id[0] ? record_id : NULL,
				 stage, stage, "failed", message };
		rc = kho_catalog_event(cat, &ev, err);
	} else {
		sqlite3_reset(st);
		if (step != SQLITE_DONE)
			rc = kho_catalog_error(cat, err);
	}
	if (rc == KHO_OK)
		rc = kho_catalog_commit(cat, err);
	else
		kho_catalog_rollback(cat);
	return rc;
}

int kho_jobs_release(kho_catalog *cat, int64_t job, kho_error *err)
{
	static const char sql[] =
		"UPDATE jobs SET state = 'pending', worker = NULL"
		" WHERE id = ? AND state = 'running';";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_int64(st, 1, job);
	return kho_catalog_exec_stmt(cat, st, err);
}

int kho_jobs_enqueue(kho_catalog *cat, int64_t record, const char *record_id,
		     const char *stage, kho_error *err)
{
	static const char sql[] =
		"INSERT INTO jobs (stage, record_id, record, state, queued_at)"
		" VALUES (?, ?, ?, 'pending', ?)"
		" ON CONFLICT (record, stage) DO UPDATE SET state = 'pending',"
		" worker = NULL, queued_at = excluded.queued_at,"
		" started_at = NULL, finished_at = NULL, error = NULL,"
		" detail = NULL;";
	assert(cat->in_txn);
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, stage, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, record_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, record);
	sqlite3_bind_text(st, 4, at, -1, SQLITE_TRANSIENT);
	return kho_catalog_exec_stmt(cat, st, err);
}

static int fingerprint_known(kho_catalog *cat, const char *fingerprint,
			     int *known, kho_error *err)
{
	static const char sql[] =
		"SELECT 1 FROM jobs WHERE fingerprint = ? LIMIT 1;";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return kho_catalog_error(cat, err);
	*known = step == SQLITE_ROW;
	return KHO_OK;
}

int kho_jobs_enqueue_ingest(kho_catalog *cat, const char *record_id,
			    const char *input_json, const char *fingerprint,
			    int *added, kho_error *err)
{
	/* One ingest job per record id: a changed folder re-queues it. */
	static const char upd[] =
		"UPDATE jobs SET state = 'pending', input = ?, fingerprint = ?,"
		" worker = NULL, queued_at = ?, started_at = NULL,"
		" finished_at = NULL, error = NULL, detail = NULL, attempts = 0"
		" WHERE stage = 'ingest' AND record_id = ? AND state <> 'running';";
	static const char ins[] =
		"INSERT INTO jobs (stage, record_id, state, input, fingerprint,"
		" queued_at) VALUES ('ingest', ?, 'pending', ?, ?, ?);";
	assert(cat->in_txn);
	*added = 0;
	int known = 0;
	int rc = fingerprint_known(cat, fingerprint, &known, err);
	if (rc || known)
		return rc;
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, upd, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, input_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, record_id, -1, SQLITE_STATIC);
	rc = kho_catalog_exec_stmt(cat, st, err);
	if (rc)
		return rc;
	if (sqlite3_changes(cat->db) == 0) {
		st = kho_catalog_stmt(cat, ins, err);
		if (!st)
			return KHO_FATAL;
		sqlite3_bind_text(st, 1, record_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, input_json, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, fingerprint, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, at, -1, SQLITE_TRANSIENT);
		rc = kho_catalog_exec_stmt(cat, st, err);
		if (rc)
			return rc;
	}
	*added = 1;
	return KHO_OK;
}

int kho_jobs_add_problem(kho_catalog *cat, const char *what,
			 const char *message, const char *fingerprint,
			 kho_error *err)
{
	static const char ins[] =
		"INSERT INTO jobs (stage, state, input, fingerprint, queued_at,"
		" finished_at, error, run)"
		" VALUES ('ingest', 'failed', ?, ?, ?, ?, ?, nullif(?, 0));";
	assert(cat->in_txn);
	int known = 0;
	int rc = fingerprint_known(cat, fingerprint, &known, err);
	if (rc || known)
		return rc;
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, ins, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, what, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, message, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, cat->run);
	rc = kho_catalog_exec_stmt(cat, st, err);
	if (rc)
		return rc;
	kho_event ev = { 0, NULL, "ingest", "inbox-problem", "failed",
			 message };
	return kho_catalog_event(cat, &ev, err);
}

int kho_jobs_recover(kho_catalog *cat, int *count, kho_error *err)
{
	/* By stage, so that the (stage, state) index finds them: a catalog
	 * of millions of jobs is not read through. */
	static const char sql[] =
		"UPDATE jobs SET state = 'pending', worker = NULL"
		" WHERE stage IN " KHO_SQL_STAGES " AND state = 'running';";
	*count = 0;
	int rc = kho_catalog_begin(cat, err);
	if (rc)
		return rc;
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	rc = st ? kho_catalog_exec_stmt(cat, st, err) : KHO_FATAL;
	if (rc == KHO_OK) {
		*count = sqlite3_changes(cat->db);
		if (*count > 0) {
			char detail[128];
			snprintf(detail, sizeof(detail),
				 "%d job(s) left running by an interrupted "
				 "run taken back",
				 *count);
			kho_event ev = { 0, NULL, NULL, "recover", "info",
					 detail };
			rc = kho_catalog_event(cat, &ev, err);
		}
	}
	if (rc == KHO_OK)
		return kho_catalog_commit(cat, err);
	kho_catalog_rollback(cat);
	return rc;
}

int kho_jobs_count(kho_catalog *cat, const char *stage, kho_job_state state,
		   int64_t *count, kho_error *err)
{
	static const char sql[] =
		"SELECT count(*) FROM jobs WHERE stage = ? AND state = ?;";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, stage, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kho_job_state_name(state), -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	*count = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (step != SQLITE_ROW)
		return kho_catalog_error(cat, err);
	return KHO_OK;
}

/* Re-queues the job of one stage of one record and drops the later
 * stages' jobs.  For ingest, job is keyed by the record id. */
static int retry_one(kho_catalog *cat, const char *stage, int64_t job,
		     int64_t record, const char *record_id, int *count,
		     kho_error *err)
{
	static const char requeue[] =
		"UPDATE jobs SET state = 'pending', worker = NULL,"
		" queued_at = ?, started_at = NULL, finished_at = NULL,"
		" error = NULL, detail = NULL WHERE id = ? AND state <> 'running';";
	static const char drop_later[] =
		"DELETE FROM jobs WHERE record = ? AND stage = ?"
		" AND state <> 'running';";
	static const char drop_problem[] = "DELETE FROM jobs WHERE id = ?;";
	if (!record_id[0]) {
		/* An inbox problem names no record: forget it, and the next
		 * look at the inbox finds it again if it is still there. */
		sqlite3_stmt *st = kho_catalog_stmt(cat, drop_problem, err);
		if (!st)
			return KHO_FATAL;
		sqlite3_bind_int64(st, 1, job);
		int rc = kho_catalog_exec_stmt(cat, st, err);
		if (rc == KHO_OK)
			(*count)++;
		return rc;
	}
	char at[KHO_TIME_ISO];
	kho_now_iso(at);
	sqlite3_stmt *st = kho_catalog_stmt(cat, requeue, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, job);
	int rc = kho_catalog_exec_stmt(cat, st, err);
	if (rc)
		return rc;
	if (sqlite3_changes(cat->db) == 0)
		return KHO_OK;
	(*count)++;
	if (record) {
		for (int i = kho_stage_index(stage) + 1; i < KHO_N_STAGES;
		     i++) {
			st = kho_catalog_stmt(cat, drop_later, err);
			if (!st)
				return KHO_FATAL;
			sqlite3_bind_int64(st, 1, record);
			sqlite3_bind_text(st, 2, kho_stage_order[i], -1,
					  SQLITE_STATIC);
			rc = kho_catalog_exec_stmt(cat, st, err);
			if (rc)
				return rc;
		}
	}
	kho_event ev = { record, record_id[0] ? record_id : NULL, stage,
			 "retry", "info", "queued again by kho retry" };
	return kho_catalog_event(cat, &ev, err);
}

int kho_jobs_retry(kho_catalog *cat, const char *stage,
		   const char *const *record_ids, size_t n_ids, int failed,
		   int *count, kho_error *err)
{
	/* For ingest the job is keyed by record id; for the other stages by
	 * the current version of the record. */
	static const char by_failed[] =
		"SELECT j.id, coalesce(j.record, 0), coalesce(j.record_id, '')"
		" FROM jobs j LEFT JOIN records r ON r.id = j.record"
		" WHERE j.stage = ? AND j.state = 'failed'"
		" AND (j.record IS NULL OR r.current = 1) ORDER BY j.id;";
	static const char by_id[] =
		"SELECT j.id, coalesce(j.record, 0), coalesce(j.record_id, '')"
		" FROM jobs j LEFT JOIN records r ON r.id = j.record"
		" WHERE j.stage = ? AND j.record_id = ?"
		" AND (j.record IS NULL OR r.current = 1);";
	*count = 0;
	if (kho_stage_index(stage) < 0)
		return kho_error_set(err, KHO_USAGE, "unknown stage '%s'",
				     stage);
	int rc = kho_catalog_begin(cat, err);
	if (rc)
		return rc;

	size_t n_lists = failed ? 1 : n_ids;
	for (size_t i = 0; rc == KHO_OK && i < n_lists; i++) {
		sqlite3_stmt *st =
			kho_catalog_stmt(cat, failed ? by_failed : by_id, err);
		if (!st) {
			rc = KHO_FATAL;
			break;
		}
		sqlite3_bind_text(st, 1, stage, -1, SQLITE_STATIC);
		if (!failed)
			sqlite3_bind_text(st, 2, record_ids[i], -1,
					  SQLITE_STATIC);
		/* Collect first: retry_one reuses cached statements. */
		struct item {
			int64_t job, record;
			char record_id[96];
		} *items = NULL;
		size_t n = 0, cap = 0;
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				struct item *p =
					realloc(items, cap * sizeof(*items));
				if (!p) {
					step = SQLITE_NOMEM;
					break;
				}
				items = p;
			}
			items[n].job = sqlite3_column_int64(st, 0);
			items[n].record = sqlite3_column_int64(st, 1);
			kho_col_copy(st, 2, items[n].record_id,
				     sizeof(items[n].record_id));
			n++;
		}
		sqlite3_reset(st);
		if (step != SQLITE_DONE)
			rc = kho_catalog_error(cat, err);
		if (rc == KHO_OK && !failed && n == 0)
			rc = kho_error_set(err, KHO_USAGE,
					   "record '%s' has no %s job to retry "
					   "(has it reached that stage?)",
					   record_ids[i], stage);
		for (size_t j = 0; rc == KHO_OK && j < n; j++)
			rc = retry_one(cat, stage, items[j].job,
				       items[j].record, items[j].record_id,
				       count, err);
		free(items);
	}
	if (rc == KHO_OK)
		return kho_catalog_commit(cat, err);
	kho_catalog_rollback(cat);
	return rc;
}

int kho_jobs_mean_ms(kho_catalog *cat, const char *stage, int64_t *ms,
		     kho_error *err)
{
	static const char sql[] =
		"SELECT coalesce(avg((julianday(finished_at) -"
		" julianday(started_at)) * 86400000.0), 0) FROM"
		" (SELECT started_at, finished_at FROM jobs WHERE stage = ?"
		" AND state = 'done' AND started_at IS NOT NULL"
		" AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 200);";
	sqlite3_stmt *st = kho_catalog_stmt(cat, sql, err);
	if (!st)
		return KHO_FATAL;
	sqlite3_bind_text(st, 1, stage, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	*ms = step == SQLITE_ROW ? (int64_t)sqlite3_column_double(st, 0) : 0;
	sqlite3_reset(st);
	return step == SQLITE_ROW ? KHO_OK : kho_catalog_error(cat, err);
}
