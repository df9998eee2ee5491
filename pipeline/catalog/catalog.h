/*
 * The catalog: ROOT/catalog.db, SQLite in WAL mode.  Records, their
 * originals and pages, page plans, stage jobs, outputs, events, the
 * warehouse index.  The schema is versioned (PRAGMA user_version) and
 * migrated forward on open; catalog_schema.c holds the migrations.
 *
 * Every connection belongs to one process: a forked worker opens its own.
 * A change is one transaction: kho_catalog_begin() ... _commit().  A stage
 * writes its files first (fsynced and renamed into the store), then
 * commits, so a crash leaves the state before or the state after.
 *
 * Events written inside a transaction reach ROOT/log/ only when it
 * commits.
 */
#ifndef KHO_CATALOG_H
#define KHO_CATALOG_H

#include "common/internal.h"
#include "catalog/model.h"
#include "config/shard.h"

#include <sqlite3.h>

typedef struct kho_catalog kho_catalog;

/* The catalog's identity: PRAGMA application_id ("kho1"). */
#define KHO_CATALOG_APP_ID 0x6b686f31

typedef enum kho_catalog_mode {
	KHO_CATALOG_OPEN = 0, /* an existing catalog, migrated if older */
	KHO_CATALOG_CREATE,   /* a new catalog; refuses an existing file */
	KHO_CATALOG_READONLY, /* look, never write (status, show, report) */
} kho_catalog_mode;

/* program ("kho-ingest") and log_dir (ROOT/log, or NULL) are copied. */
int kho_catalog_open(kho_catalog **out, const char *path,
		     kho_catalog_mode mode, const char *program,
		     const char *log_dir, kho_error *err);
void kho_catalog_free(kho_catalog *cat);

/* The schema version this kho writes. */
int kho_catalog_schema_version(void);

/* PRAGMA quick_check, which reads the whole catalog; KHO_FATAL with
 * SQLite's words when it fails.  A check that passes is kept in the
 * catalog (table checks) with the run that made it. */
int kho_catalog_check(kho_catalog *cat, kho_error *err);

/* A catalog whose last check took less than KHO_CHECK_CHEAP_MS is checked
 * before every command that runs stages.  A larger one, whose check costs
 * more than the rest of a short command (a minute at a million records),
 * once in KHO_CHECK_HOURS: a night's run checks it, the morning's re-runs
 * of a stage rely on that check.  Damage in a part of the catalog that a
 * command reads stops it all the same (SQLite's own checks, exit 3). */
#define KHO_CHECK_CHEAP_MS 1000
#define KHO_CHECK_HOURS 20

/* *due: whether the whole catalog should be checked before this command
 * works: its last check was cheap (KHO_CHECK_CHEAP_MS), no check has
 * passed in KHO_CHECK_HOURS (or one is dated in the future: the clock was
 * set back), or a command that started after the last check did not end
 * (killed, a crash, a power cut). */
int kho_catalog_check_due(kho_catalog *cat, int *due, kho_error *err);

/* BEGIN IMMEDIATE (waits for other writers); COMMIT; ROLLBACK. */
int kho_catalog_begin(kho_catalog *cat, kho_error *err);
int kho_catalog_commit(kho_catalog *cat, kho_error *err);
void kho_catalog_rollback(kho_catalog *cat);

/* The current run (runs.id), stamped on events and claimed jobs. */
void kho_catalog_set_run(kho_catalog *cat, int64_t run);
int64_t kho_catalog_run(const kho_catalog *cat);

/* For the catalog_*.c files and queries: the connection. */
sqlite3 *kho_catalog_db(kho_catalog *cat);

/* Prepares a statement (cached per connection); on failure sets err with
 * SQLite's message and returns NULL.  Reset and clear bindings are done by
 * the next kho_catalog_stmt() of the same text. */
sqlite3_stmt *kho_catalog_stmt(kho_catalog *cat, const char *sql,
			       kho_error *err);

/* Runs a statement to the end; maps SQLite failures to KHO_FATAL with a
 * message ("catalog: disk I/O error"). */
int kho_catalog_exec_stmt(kho_catalog *cat, sqlite3_stmt *st,
			  kho_error *err);
int kho_catalog_exec(kho_catalog *cat, const char *sql, kho_error *err);

/* The message for a SQLite failure on this connection. */
int kho_catalog_error(kho_catalog *cat, kho_error *err);

/* ---- events (catalog.c) ---- */

typedef struct kho_event {
	int64_t record;         /* records row, or 0 */
	const char *record_id;  /* or NULL */
	const char *stage;      /* or NULL */
	const char *type;       /* "ingest", "plan-override", "retry", ... */
	const char *outcome;    /* "ok", "failed", "warning", "info" */
	const char *detail;     /* or NULL */
} kho_event;

/* Inserts an event; inside a transaction it is logged on commit. */
int kho_catalog_event(kho_catalog *cat, const kho_event *ev, kho_error *err);

typedef struct kho_event_row {
	char at[32];
	char stage[16];
	char type[32];
	char outcome[16];
	char program[32];
	char version[16];
	char *detail;   /* owned; may be NULL */
} kho_event_row;

/* The events of a record version and those of its record id that name no
 * version (inbox problems, ingest failures), oldest first. */
int kho_events_list(kho_catalog *cat, int64_t record, const char *record_id,
		    kho_event_row **out, size_t *n, kho_error *err);
void kho_events_free(kho_event_row *rows, size_t n);

/* ---- runs ---- */

int kho_catalog_run_start(kho_catalog *cat, const char *command,
			  int64_t *run, kho_error *err);
int kho_catalog_run_end(kho_catalog *cat, int64_t run, const char *outcome,
			const char *summary_json, kho_error *err);

/* ---- the shard of the work root (catalog_shard.c) ---- */

/* The shard this work root is; count 0 when it takes every record. */
int kho_catalog_shard(kho_catalog *cat, kho_shard *s, kho_error *err);

/* Makes the work root shard s, once, in its own transaction: KHO_USAGE
 * with a message when it is a shard already (another one) or when it
 * holds records, jobs or volumes (it ran without --shard). */
int kho_catalog_shard_set(kho_catalog *cat, const kho_shard *s,
			  kho_error *err);

/* ---- stage jobs (catalog_jobs.c) ---- */

typedef enum kho_job_state {
	KHO_JOB_PENDING = 0,
	KHO_JOB_RUNNING,
	KHO_JOB_DONE,
	KHO_JOB_FAILED,
} kho_job_state;

const char *kho_job_state_name(kho_job_state state);

typedef struct kho_job {
	int64_t id;
	int64_t record;       /* 0 for ingest jobs */
	char record_id[96];   /* "" for an inbox problem */
	char stage[16];
	int attempts;
	char *input;          /* ingest: the files, as JSON; owned */
} kho_job;

void kho_job_release(kho_job *job);

/* Takes the oldest pending job of a stage for worker pid; 1 when one was
 * claimed, 0 when none is pending. */
int kho_jobs_claim(kho_catalog *cat, const char *stage, int pid,
		   kho_job *job, kho_error *err);

/* Inside the caller's transaction: the job is done; detail is a short
 * note ("version 2, 3 pages"). */
int kho_jobs_done(kho_catalog *cat, int64_t job, const char *detail,
		  kho_error *err);

/* Its own transaction: the job failed with message, when it is still
 * running (and, when pid > 0, held by pid).  Records the event. */
int kho_jobs_fail(kho_catalog *cat, int64_t job, int pid,
		  const char *message, kho_error *err);

/* Its own transaction: a running job goes back to pending (its worker met
 * a problem that is not the record's, such as a full disk). */
int kho_jobs_release(kho_catalog *cat, int64_t job, kho_error *err);

/* Inside the caller's transaction: queues (or re-queues) a stage for a
 * record. */
int kho_jobs_enqueue(kho_catalog *cat, int64_t record, const char *record_id,
		     const char *stage, kho_error *err);

/* Inside the caller's transaction: an ingest job for a record id found in
 * an inbox, keyed by the fingerprint of the files (names, sizes, times).
 * *added is 0 when a job with that fingerprint exists already. */
int kho_jobs_enqueue_ingest(kho_catalog *cat, const char *record_id,
			    const char *input_json, const char *fingerprint,
			    int *added, kho_error *err);

/* Inside the caller's transaction: an inbox problem that names no valid
 * record (a bad file name, a bad manifest line): a failed ingest job that
 * says why, once per fingerprint. */
int kho_jobs_add_problem(kho_catalog *cat, const char *what,
			 const char *message, const char *fingerprint,
			 kho_error *err);

/* Jobs left running by a process that died go back to pending; *count
 * receives how many.  Call only with the root's run lock held. */
int kho_jobs_recover(kho_catalog *cat, int *count, kho_error *err);

int kho_jobs_count(kho_catalog *cat, const char *stage, kho_job_state state,
		   int64_t *count, kho_error *err);

/* The mean time of a stage's last jobs done (up to 200), in ms; 0 when
 * none was timed. */
int kho_jobs_mean_ms(kho_catalog *cat, const char *stage, int64_t *ms,
		     kho_error *err);

/* Puts a stage's jobs back to pending: the failed ones (record_ids NULL)
 * or those of the given records, and drops the later stages' jobs of
 * those records (they follow when the stage is done again).  *count
 * receives how many jobs were re-queued. */
int kho_jobs_retry(kho_catalog *cat, const char *stage,
		   const char *const *record_ids, size_t n_ids, int failed,
		   int *count, kho_error *err);

/* ---- records, originals, pages, plans (catalog_records.c) ---- */

typedef struct kho_record {
	int64_t id;
	char record_id[96];
	int version;
	char batch[128];
	char desk[128];
	char source[512];
	char fingerprint[KHO_SHA256_HEX];
	char ingested_at[32];
	int current;
} kho_record;

typedef struct kho_original {
	char name[256];  /* relative to the inbox */
	char sha256[KHO_SHA256_HEX];
	char sha512[KHO_SHA512_HEX]; /* "" where not known (migration 6) */
	uint64_t size;
	char format[8];
	int pages;
} kho_original;

/* The newest version of a record id; 0 found or KHO_FAIL (no message)
 * when there is none. */
int kho_records_current(kho_catalog *cat, const char *record_id,
			kho_record *rec, kho_error *err);
int kho_records_get(kho_catalog *cat, int64_t id, kho_record *rec,
		    kho_error *err);

/* Inside the caller's transaction: a new version of a record with its
 * originals and pages (pages[i].original is an index into originals).
 * Older versions stop being current and their unfinished jobs are
 * dropped.  rec->id and rec->version are set. */
int kho_records_add(kho_catalog *cat, kho_record *rec,
		    const kho_original *originals, size_t n_originals,
		    const kho_page *pages, size_t n_pages, kho_error *err);

/* The originals of a record in order; *out is malloc'd. */
int kho_records_originals(kho_catalog *cat, int64_t record,
			  kho_original **out, size_t *n, kho_error *err);

/* The pages of a record in order, with their plans where decided; *out is
 * malloc'd (free()). */
int kho_records_pages(kho_catalog *cat, int64_t record, kho_page **out,
		      size_t *n, kho_error *err);

/* Inside the caller's transaction: stores a page's plan.  Keys the
 * archivist set (plan->overrides) are kept over what was measured. */
int kho_plans_save(kho_catalog *cat, int64_t page, const kho_plan *plan,
		   kho_error *err);

/* Inside the caller's transaction: an archivist's override of one plan
 * key (validated by kho_plan_set() first), kept across re-runs. */
int kho_overrides_set(kho_catalog *cat, int64_t page, const char *key,
		      const char *value, kho_error *err);

/* ---- outputs ---- */

typedef struct kho_output {
	char name[64];   /* "result.pdf", "metadata.json" */
	char sha256[KHO_SHA256_HEX];
	uint64_t size;
	char stage[16];
	char made_at[32];
} kho_output;

int kho_outputs_set(kho_catalog *cat, int64_t record, const char *name,
		    const char *sha256, uint64_t size, const char *stage,
		    kho_error *err);
int kho_outputs_list(kho_catalog *cat, int64_t record, kho_output **out,
		     size_t *n, kho_error *err);

/* ---- the warehouse index (catalog_archive.c) ---- */

typedef struct kho_archive_member {
	char member[512];   /* path inside the volume: "<bag>/data/..." */
	uint64_t offset;    /* of the member's data in the volume file */
	uint64_t size;
	char sha256[KHO_SHA256_HEX];
} kho_archive_member;

typedef struct kho_volume_row {
	int64_t id;
	char name[64];
	char state[16];
	uint64_t size;
	char sha256[KHO_SHA256_HEX];
} kho_volume_row;

/* Takes every pending pack job (for this process); *out is malloc'd. */
int kho_pack_claim(kho_catalog *cat, int pid, kho_job **out, size_t *n,
		   kho_error *err);

/* The number the next volume named prefix ("vol-", "vol-s03of04-") gets:
 * above every such volume the index knows. */
int kho_volumes_next_number(kho_catalog *cat, const char *prefix,
			    int *number, kho_error *err);

/* Inside the caller's transaction: a volume about to be renamed into the
 * warehouse ('writing'), with the members of one bag of one record.
 * *version receives the record id's archive version. */
int kho_volumes_add(kho_catalog *cat, const char *name, uint64_t size,
		    const char *sha256, int members, int64_t *volume,
		    kho_error *err);
int kho_archive_add(kho_catalog *cat, int64_t volume, int64_t record,
		    const char *record_id, int version, const char *bag,
		    const kho_archive_member *m, kho_error *err);
int kho_archive_next_version(kho_catalog *cat, const char *record_id,
			     int *version, kho_error *err);

/* Inside the caller's transaction: the volume is in the warehouse. */
int kho_volumes_seal(kho_catalog *cat, int64_t volume, kho_error *err);

/* Volumes left 'writing' by an interrupted pack. */
int kho_volumes_unsealed(kho_catalog *cat, kho_volume_row **out, size_t *n,
			 kho_error *err);

/* Inside the caller's transaction: forgets a volume that never reached the
 * warehouse, with its members. */
int kho_volumes_forget(kho_catalog *cat, int64_t volume, kho_error *err);

/* Inside the caller's transaction: the pack jobs of the records of a
 * volume are done (recovery of a volume that did reach the warehouse). */
int kho_volumes_finish_jobs(kho_catalog *cat, int64_t volume, kho_error *err);

/* ---- status (catalog_status.c) ---- */

/* Jobs per stage and state, of current record versions (and of record ids
 * that failed ingest). */
typedef struct kho_stage_counts {
	int64_t n[KHO_N_STAGES][4]; /* [stage][kho_job_state] */
} kho_stage_counts;

int kho_status_counts(kho_catalog *cat, kho_stage_counts *c, kho_error *err);

/* Where every record is: each current record counts once, at its furthest
 * stage; plus record ids that never got through ingest, and inbox
 * problems that name no record. */
typedef struct kho_where {
	int64_t records;      /* current record versions */
	int64_t archived;     /* pack done */
	int64_t in_progress;  /* pending or running at some stage */
	int64_t failed;       /* failed at some stage after ingest */
	int64_t ingest_failed; /* record ids whose ingest failed */
	int64_t problems;     /* inbox entries that name no record */
} kho_where;

int kho_status_where(kho_catalog *cat, kho_where *w, kho_error *err);

typedef struct kho_failure {
	char stage[16];
	char record_id[96];   /* "" for an inbox problem */
	char finished_at[32];
	int64_t run;
	char *error;          /* owned */
} kho_failure;

/* Failed jobs of current records and ids (of one run when run > 0). */
int kho_status_failures(kho_catalog *cat, int64_t run, kho_failure **out,
			size_t *n, kho_error *err);
void kho_failures_free(kho_failure *f, size_t n);

int kho_status_warehouse(kho_catalog *cat, int64_t *volumes, int64_t *bags,
			 uint64_t *bytes, kho_error *err);

/* The jobs of a record id, of its current version and of ingest. */
typedef struct kho_job_row {
	char stage[16];
	char state[16];
	int attempts;
	char finished_at[32];
	char *detail;  /* owned */
	char *error;   /* owned */
} kho_job_row;

int kho_jobs_of(kho_catalog *cat, const char *record_id, int64_t record,
		kho_job_row **out, size_t *n, kho_error *err);
void kho_job_rows_free(kho_job_row *rows, size_t n);

/* The warehouse members of a record id, every version. */
typedef struct kho_archive_row {
	char volume[64];
	char bag[128];
	int version;
	kho_archive_member m;
} kho_archive_row;

int kho_archive_of(kho_catalog *cat, const char *record_id,
		   kho_archive_row **out, size_t *n, kho_error *err);

#endif
