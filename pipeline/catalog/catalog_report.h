/*
 * Coverage of the register, computed by SQL in the catalog: what `kho
 * report` reads (catalog_report.c), the snapshot every `kho run` and every
 * register import leaves, and what a run did (catalog_snapshot.c).
 *
 * Where a record id stands is kho status's rule (kho_status_where): each
 * current record version counts once, by its furthest stage job: archived
 * (pack done), failed (that job failed), else in progress.  An id without
 * a version counts as failed when its ingest failed and in progress while
 * its ingest waits; otherwise it is not yet scanned.
 *
 *   kho_coverage_prepare(cat, targets)   builds the temporary tables
 *   kho_coverage_rows / _orphans / _rescanned / _missing   read them
 *   kho_coverage_done(cat)               drops them
 */
#ifndef KHO_CATALOG_REPORT_H
#define KHO_CATALOG_REPORT_H

#include "catalog/catalog.h"
#include "catalog/catalog_register.h"

/* The targets, from kho.conf ([coverage]): years of issue from
 * backlog_from to backlog_to are the backlog, with backlog_pct; later
 * years have new_pct; earlier years have none. */
typedef struct kho_cov_targets {
	int backlog_from;
	int backlog_to;
	int backlog_pct;
	int new_pct;
} kho_cov_targets;

/* The target of a year of issue in percent, or -1 when it has none. */
int kho_cov_target_of(const kho_cov_targets *t, int year);

typedef struct kho_cov_counts {
	int64_t registered;
	int64_t archived;
	int64_t in_progress;
	int64_t failed;
	int64_t not_scanned;
	int64_t targeted;      /* registered in years that have a target */
	int64_t target_weight; /* sum of target percent x registered */
	int64_t needed;	       /* archived records the targets ask for */
	int64_t gap; /* per year of issue: needed - archived, when more */
} kho_cov_counts;

typedef enum kho_cov_level {
	KHO_COV_TOTAL = 0,
	KHO_COV_BACKLOG, /* the backlog years together */
	KHO_COV_NEW,	 /* the years after the backlog together */
	KHO_COV_YEAR,
	KHO_COV_AGENCY,
	KHO_COV_FIELD,
	KHO_COV_GROUP, /* year, agency and field */
	KHO_COV_N_LEVELS,
} kho_cov_level;

typedef struct kho_cov_row {
	int year;     /* KHO_COV_YEAR and _GROUP; else 0 */
	char *agency; /* owned; KHO_COV_AGENCY and _GROUP; else NULL */
	char *field;  /* owned; KHO_COV_FIELD and _GROUP; else NULL */
	kho_cov_counts c;
} kho_cov_row;

int kho_coverage_prepare(kho_catalog *cat, const kho_cov_targets *t,
			 kho_error *err);

/* The same over several work roots, the shards of one batch (docs/
 * SLURM.md): cat's temporary tables also hold the record ids of the n
 * other catalogs, so that every reading below sees them as one catalog.
 * names[0] names cat's root and names[1..n] the others, for messages.
 * KHO_USAGE when the others do not hold the same register as cat
 * (kho_register_digest) or when two roots hold the same record id. */
int kho_coverage_prepare_roots(kho_catalog *cat, kho_catalog *const *others,
			       const char *const *names, size_t n,
			       const kho_cov_targets *t, kho_error *err);
void kho_coverage_done(kho_catalog *cat);

/* Rows of one level, ordered by year, agency, field.  TOTAL, BACKLOG and
 * NEW give exactly one row (zeros when empty). */
int kho_coverage_rows(kho_catalog *cat, kho_cov_level level, kho_cov_row **out,
		      size_t *n, kho_error *err);
void kho_cov_rows_free(kho_cov_row *rows, size_t n);

/* The current records by where they stand, as kho_status_where counts
 * them (archived + in_progress + failed = records), from the same
 * temporary tables. */
int kho_coverage_catalog(kho_catalog *cat, kho_where *w, kho_error *err);

typedef struct kho_cov_record {
	char record_id[96];
	int version;	       /* the current version */
	int archived_versions; /* versions in sealed volumes */
	int in_register;
	char state[16]; /* "archived", "in_progress", "failed" */
} kho_cov_record;

/* Current records the register does not know, by id, at most limit (0:
 * all); *total and *archived count them all. */
int kho_coverage_orphans(kho_catalog *cat, size_t limit, kho_cov_record **out,
			 size_t *n, int64_t *total, int64_t *archived,
			 kho_error *err);

/* Records scanned more than once (current version above 1). */
int kho_coverage_rescanned(kho_catalog *cat, size_t limit, kho_cov_record **out,
			   size_t *n, int64_t *total, kho_error *err);

/* A register row, as the missing list gives it; strings valid during the
 * call only. */
typedef struct kho_register_entry {
	const char *record_id;
	int year;
	const char *agency;
	const char *field;
	const char *text[KHO_REG_N_TEXT];
} kho_register_entry;

typedef int (*kho_register_entry_fn)(void *ctx, const kho_register_entry *e,
				     kho_error *err);

/* Every registered record not yet scanned (of one agency and one year
 * when given: NULL, 0 for all), by year, agency, field and id; fn may stop
 * the walk by returning non-zero, which is returned. */
int kho_coverage_missing(kho_catalog *cat, const char *agency, int year,
			 kho_register_entry_fn fn, void *ctx, int64_t *count,
			 kho_error *err);

/* ---- snapshots (catalog_snapshot.c) ---- */

typedef struct kho_snapshot {
	int64_t id;
	char taken_at[32];
	char kind[8];	/* "run" or "import" */
	int64_t run;	/* or 0 */
	int64_t import; /* or 0 */
	kho_cov_counts total;
	kho_cov_counts backlog; /* by the targets given when read */
	kho_cov_counts recent;	/* the years after the backlog */
	int64_t orphans;
} kho_snapshot;

/* Computes the coverage (kho_coverage_prepare ... _done) and keeps it, per
 * year, as a snapshot of kind "run" (with run) or "import" (with import).
 * Its own transaction.  *id may be NULL. */
int kho_snapshot_take(kho_catalog *cat, const kho_cov_targets *t,
		      const char *kind, int64_t run, int64_t import,
		      int64_t *id, kho_error *err);

/* The last snapshot of each day (UTC), newest day last, at most max_days
 * days (the newest ones). */
int kho_snapshot_days(kho_catalog *cat, const kho_cov_targets *t,
		      size_t max_days, kho_snapshot **out, size_t *n,
		      kho_error *err);

/* A snapshot as it was kept, year by year: what the trend of several
 * work roots adds up (report_roots.c). */
typedef struct kho_snapshot_year {
	int year;
	int target_pct; /* -1: the year had no target */
	int64_t registered;
	int64_t archived;
	int64_t in_progress;
	int64_t failed;
} kho_snapshot_year;

typedef struct kho_snapshot_kept {
	char taken_at[32];
	char kind[8];
	int64_t orphans;
	kho_snapshot_year *years; /* owned, by year */
	size_t n_years;
} kho_snapshot_kept;

/* The last snapshot of each day (UTC), every day, oldest first. */
int kho_snapshot_days_kept(kho_catalog *cat, kho_snapshot_kept **out,
			   size_t *n, kho_error *err);
void kho_snapshots_kept_free(kho_snapshot_kept *s, size_t n);

/* As kept: the snapshot a run left, or the newest taken before a time;
 * KHO_FAIL (no message) when there is none.  Release with
 * kho_snapshot_kept_release(). */
int kho_snapshot_kept_of_run(kho_catalog *cat, int64_t run,
			     kho_snapshot_kept *s, kho_error *err);
int kho_snapshot_kept_before(kho_catalog *cat, const char *at,
			     kho_snapshot_kept *s, kho_error *err);
void kho_snapshot_kept_release(kho_snapshot_kept *s);

/* The snapshot a run left, or the newest taken before a time; KHO_FAIL
 * (no message) when there is none. */
int kho_snapshot_of_run(kho_catalog *cat, const kho_cov_targets *t, int64_t run,
			kho_snapshot *s, kho_error *err);
int kho_snapshot_before(kho_catalog *cat, const kho_cov_targets *t,
			const char *at, kho_snapshot *s, kho_error *err);

/* ---- what a run did (catalog_snapshot.c) ---- */

typedef struct kho_run_row {
	int64_t id;
	char command[32];
	char started_at[32];
	char ended_at[32];	    /* "" while it runs */
	char outcome[16];	    /* "ok", "interrupted", "stopped", "" */
	int64_t done[KHO_N_STAGES]; /* jobs this run finished, per stage */
	int64_t failed[KHO_N_STAGES];
	int64_t archived;	/* records packed by this run */
	int64_t archived_pages; /* their pages */
} kho_run_row;

/* A run and its counts: the given one, or (run 0) the newest `kho run`.
 * KHO_FAIL (no message) when there is none.  It gathers the run's jobs
 * into a temporary table that kho_run_archived and kho_run_failures read,
 * until kho_run_done. */
int kho_run_get(kho_catalog *cat, int64_t run, kho_run_row *r, kho_error *err);
void kho_run_done(kho_catalog *cat);

/* What the run of kho_run_get archived, per year (KHO_COV_YEAR) or
 * agency (KHO_COV_AGENCY): c.archived counts; records the register does
 * not know have year 0 or agency NULL. */
int kho_run_archived(kho_catalog *cat, kho_cov_level level, kho_cov_row **out,
		     size_t *n, kho_error *err);

typedef struct kho_failure_group {
	char stage[16];
	char *reason; /* owned: the message, quoted names as '…' */
	int64_t count;
	char **items;	/* owned: record ids (or 'inbox entries') */
	size_t n_items; /* at most the limit given */
	int64_t all_items; /* how many there are in all */
} kho_failure_group;

/* The failures of the run of kho_run_get (current records and inbox
 * entries), grouped by stage and reason, biggest group first, with at
 * most max_items names each. */
int kho_run_failures(kho_catalog *cat, size_t max_items,
		     kho_failure_group **out, size_t *n, kho_error *err);
void kho_failure_groups_free(kho_failure_group *g, size_t n);

/* The pages the run of kho_run_get normalized (current records) whose
 * plan carries one of the n_flags flags: a group for each flag that some
 * page carries, in the order given, with stage "normalize", the flag as
 * its reason, the pages as its count, and their records as its items
 * ("HT-2021-00042 page 3", "HT-2021-00042 pages 1-3, 5"), by id, at most
 * max_items of them. */
int kho_run_flagged(kho_catalog *cat, const char *const *flags, size_t n_flags,
		    size_t max_items, kho_failure_group **out, size_t *n,
		    kho_error *err);

/* The reason of a message: every quoted name replaced by '…' and "page N"
 * for every page number, so that failures group by what went wrong.
 * Writes at most cap bytes. */
void kho_failure_reason(const char *message, char *out, size_t cap);

#endif
