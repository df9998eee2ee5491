/*
 * Stage workers: N forked processes that claim a stage's jobs from the
 * catalog, one record at a time, under a supervisor that watches them.
 *
 * A worker that crashes, is killed, or spends longer than the per-page time
 * limit on one page (the supervisor then kills it) fails only the job it
 * held, with a message that says what it was doing ("worker killed by
 * signal 11 (Segmentation fault) while decoding page 3"); a new worker
 * takes its place and the stage goes on.
 *
 * A worker that meets a problem that is not its record's (a full disk, a
 * catalog it cannot write) gives its job back and reports it; the
 * supervisor then lets the others finish their records and stops the stage
 * with that message (KHO_FATAL).
 *
 * SIGINT or SIGTERM to the supervisor: no new records are taken, running
 * ones finish.  A second SIGINT: the workers are stopped at once and their
 * records go back to the queue.
 */
#ifndef KHO_POOL_H
#define KHO_POOL_H

#include "common/internal.h"
#include "catalog/catalog.h"

/* What a worker is doing, shared with its supervisor. */
typedef struct kho_task kho_task;

/* Stage code calls this as it starts each page (task may be NULL outside a
 * worker): it restarts the per-page clock and names the activity for
 * messages ("decoding", "rendering"). */
void kho_task_page(kho_task *task, int page_no, const char *activity);

/* Stage code counts the pages it finished, for the progress display. */
void kho_task_pages_done(kho_task *task, int pages);

/*
 * Processes one claimed job in a worker.  Returns KHO_OK once it has
 * committed the job as done (with its outputs, in one transaction),
 * KHO_FAIL when the record fails (err says why; the pool marks the job
 * failed), KHO_FATAL when the worker cannot go on (the pool gives the job
 * back and the stage stops).
 */
typedef int (*kho_job_fn)(void *ctx, kho_catalog *cat, kho_task *task,
			  kho_job *job, kho_error *err);

/* Called in a fresh worker process before it takes work, and after it. */
typedef int (*kho_worker_setup_fn)(void *ctx, kho_error *err);

#define KHO_POOL_MAX_STAGES 8

/* A stage the workers take jobs of. */
typedef struct kho_pool_stage {
	const char *name;  /* "normalize" */
	kho_job_fn fn;
	int64_t prior_ms;  /* a job's time before this run measures it (from
			    * earlier runs), 0 when unknown */
} kho_pool_stage;

typedef struct kho_pool_opts {
	/* In pipeline order.  Workers take a job of the latest stage that
	 * has one, so that records already begun are finished first. */
	const kho_pool_stage *stages;
	size_t n_stages;
	const char *verb;          /* "ingesting", for the progress line */
	int workers;
	int page_timeout_s;
	const char *catalog_path;
	const char *log_dir;
	const char *program;
	int64_t run;
	void *ctx;
	int progress;              /* 1: a bar on a terminal, 2: log lines */
	/* The night window: when set (kho_mono_ms() time), a job is taken
	 * only if the record would still get through the remaining stages
	 * (as long as they have taken so far) and tail_ms before it. */
	int64_t deadline_ms;
	int64_t tail_ms;
	/* No new jobs while the load average is above this (0: no guard). */
	double max_load;
} kho_pool_opts;

typedef struct kho_pool_result {
	int64_t done[KHO_POOL_MAX_STAGES];
	int64_t failed[KHO_POOL_MAX_STAGES];
	int64_t pages[KHO_POOL_MAX_STAGES];
	int64_t ms[KHO_POOL_MAX_STAGES];  /* summed job times */
	int interrupted;           /* stopped by a signal */
	int window_closed;         /* the night window ended the work */
} kho_pool_result;

/* Runs the stages until no job of them is pending (or a fatal problem, a
 * signal or the night window stops it). */
int kho_pool_run(const kho_pool_opts *opts, kho_pool_result *result,
		 kho_error *err);

/* Sets how a worker's process keeps its memory: the page-sized buffers
 * each page allocates and frees (a decoded page, its masks and integral
 * images, up to tens of megabytes each) stay in the heap, to be used by
 * the next page, instead of being mapped afresh every time, where the
 * kernel zeroes each of their pages again on first touch (a third of the
 * analysis's time on a 300 dpi page went to those faults).  Workers call
 * it as they start, and kho_worker_job_done after each job; a program
 * that measures the stages as the workers run them calls it too.  Does
 * nothing where the C library is not glibc. */
void kho_worker_memory(void);

/* The most free memory a worker keeps between jobs. */
#define KHO_WORKER_KEEP_FREE ((size_t)32 << 20)

/* After a job: the memory its pages freed stays for the next job while
 * it is at most KHO_WORKER_KEEP_FREE (the next record's buffers then take
 * pages already mapped, not pages the kernel must find and zero again);
 * where more is free, all of it is given back (malloc_trim), so that a
 * worker does not hold a large record's memory through the night, nor
 * add it to the next record's peak.  A record of A4 colour pages frees
 * more than that (its decoded page alone is 26 MB) and gives it back: keeping up to 64 MB spared most of a
 * night's page faults but not measurably its time, and raised the peak
 * of a 600 dpi page after an A4 one by 3 to 5 MB (docs/PERFORMANCE.md).
 * Returns 1 when it gave memory back.  glibc only (elsewhere nothing is
 * kept or given). */
int kho_worker_job_done(void);

/* Installs the SIGINT/SIGTERM handlers of a supervisor; kho_pool_stop_
 * requested() tells whether one came (also between stages). */
void kho_pool_install_signals(void);
int kho_pool_stop_requested(void);
/* How many SIGINT/SIGTERM came. */
int kho_pool_signals(void);

#endif
