/*
 * The stages, in one table (stage_table.c).  To add a stage:
 *   1. a file pipeline/stages/stage_<name>.c with its process (per record,
 *      in a worker) or run_all (the whole stage in the supervisor);
 *   2. its line in the table, in pipeline order, and its name in
 *      kho_stage_order (catalog/model.c);
 *   3. the job that queues it: the stage before enqueues the next when it
 *      commits a record as done;
 *   4. a program pipeline/programs/kho-<name>.c and its line in
 *      KHO_PROGRAMS (CMakeLists.txt); the `kho` driver's command table;
 *   5. docs/ARCHITECTURE.md.
 *
 * A process function runs in a forked worker: it uses the catalog
 * connection it is given, never the session's, and commits its outputs
 * with the job's completion in one transaction after the files are safely
 * in the store.
 */
#ifndef KHO_STAGE_H
#define KHO_STAGE_H

#include "common/internal.h"
#include "root/session.h"
#include "worker/pool.h"

typedef struct kho_stage_result {
	int64_t done;
	int64_t failed;
	int64_t pages;
	int64_t elapsed_ms;
	int interrupted;
	int window_closed;   /* the night window left work for the next run */
} kho_stage_result;

/* The night window of a run (kho run --until / --for). */
typedef struct kho_window {
	int64_t deadline_ms; /* kho_mono_ms() time; 0: no window */
	int64_t tail_ms;     /* kept free at the end for pack (0: guessed) */
} kho_window;

typedef struct kho_stage {
	const char *name;    /* "ingest" */
	const char *program; /* "kho-ingest" */
	const char *verb;    /* "ingesting" */
	const char *summary;
	/* In the supervisor before the workers start (ingest: look at the
	 * inboxes and queue what changed). */
	int (*prepare)(kho_session *s, kho_error *err);
	/* One record in a worker; ctx is the session. */
	kho_job_fn process;
	/* Or the whole stage in the supervisor (pack). */
	int (*run_all)(kho_session *s, kho_stage_result *res, kho_error *err);
} kho_stage;

const kho_stage *kho_stage_table(size_t *n);
const kho_stage *kho_stage_find(const char *name);

/* Runs one stage over everything pending for it (w may be NULL). */
int kho_stage_run(kho_session *s, const kho_stage *stage,
		  const kho_window *w, kho_stage_result *res, kho_error *err);

/* kho run: the inboxes looked at, then every stage's workers at once,
 * then pack; results[i] for stage i of the table. */
int kho_run_pipeline(kho_session *s, const kho_window *w,
		     kho_stage_result results[KHO_N_STAGES], kho_error *err);

/* With the run lock held: takes back what an interrupted run left
 * (running jobs, temporary files, a volume being written) and checks
 * the catalog. */
int kho_stage_recover(kho_session *s, kho_error *err);

/* The stage functions, for the table. */
int kho_ingest_prepare(kho_session *s, kho_error *err);
int kho_ingest_process(void *ctx, kho_catalog *cat, kho_task *task,
		       kho_job *job, kho_error *err);
int kho_normalize_process(void *ctx, kho_catalog *cat, kho_task *task,
			  kho_job *job, kho_error *err);
int kho_compress_process(void *ctx, kho_catalog *cat, kho_task *task,
			 kho_job *job, kho_error *err);
int kho_describe_process(void *ctx, kho_catalog *cat, kho_task *task,
			 kho_job *job, kho_error *err);
int kho_pack_run(kho_session *s, kho_stage_result *res, kho_error *err);
int kho_pack_recover(kho_session *s, kho_error *err);

/* Commits a record's stage as done: outputs already set by the caller in
 * the open transaction; marks the job done, queues the next stage, writes
 * the event, commits. */
int kho_stage_finish(kho_catalog *cat, const kho_job *job, int64_t record,
		     const char *detail, kho_error *err);

#endif
