/*
 * The coverage report: how much of the register is in the warehouse, per
 * year of issue, agency and field, against the targets of kho.conf; the
 * orphans, the records scanned twice, the trend night by night; and the
 * morning report of one run.
 *
 * kho_report_build() gathers everything from the catalog (the numbers are
 * SQL's: catalog/catalog_report.h); the writers only lay it out, as text
 * (80 columns), CSV, JSON (docs/REPORT.md) or one self-contained HTML page
 * with inline SVG charts.  Writers take the caller's stream and never
 * print anything else.
 */
#ifndef KHO_REPORT_H
#define KHO_REPORT_H

#include "common/internal.h"
#include "catalog/catalog_report.h"
#include "config/config.h"

#include <stdio.h>

typedef struct kho_report_opts {
	kho_cov_targets targets;
	char target_date[16];  /* YYYY-MM-DD, resolved */
	char today[16];	       /* YYYY-MM-DD (UTC): the report's day */
	char generated_at[32]; /* ISO 8601 UTC */
	const char *root;      /* the work root; borrowed */
	const char *label;     /* for the heading, when not the root */
	size_t list_limit;     /* orphans and re-scans listed; 0: all */
	size_t trend_days;     /* days of snapshots read */
	/* kho report --roots: the other work roots of the shards of one
	 * batch, counted with the first as one (report_roots.c); names[0]
	 * is root, names[1..n_others] theirs.  Borrowed. */
	kho_catalog *const *others;
	const char *const *names;
	size_t n_others;
} kho_report_opts;

/* The options from kho.conf's [coverage] (KHO_USAGE when the backlog
 * years are reversed), at the time now. */
int kho_report_opts_init(kho_report_opts *o, const kho_config *conf,
			 const char *root, kho_error *err);

/* Days from 1970-01-01 to a YYYY-MM-DD date; -1 when it is not one. */
long kho_report_day_number(const char *date);

/* The date of a day number, as YYYY-MM-DD. */
void kho_report_day_string(long day, char out[16]);

typedef struct kho_trend {
	kho_snapshot *days; /* the last snapshot of each day, oldest
			     * first */
	size_t n_days;
	long nights_left;	 /* nights to the target date; -1 past it */
	int64_t per_night;	 /* records a night that close the gap in
				  * time; -1 when no night is left */
	int64_t last_night;	 /* archived between the last two days;
				  * -1 unknown */
	double recent_per_night; /* mean over up to the last 7 days; -1
				  * unknown */
	char projected[16];	 /* when the gap closes at that pace; "" */
} kho_trend;

typedef struct kho_report {
	kho_report_opts o;
	kho_register_import_row last_import; /* id 0: never imported */
	kho_cov_row *levels[KHO_COV_N_LEVELS];
	size_t n[KHO_COV_N_LEVELS];
	kho_cov_record *orphans;
	size_t n_orphans;
	int64_t orphans_total;
	int64_t orphans_archived;
	kho_cov_record *rescanned;
	size_t n_rescanned;
	int64_t rescanned_total;
	kho_trend trend;
	kho_where status; /* kho status's counts, for the reconciliation */
} kho_report;

/* Reads everything a report shows; *out is the caller's
 * (kho_report_free). */
int kho_report_build(kho_catalog *cat, const kho_report_opts *o,
		     kho_report **out, kho_error *err);
void kho_report_free(kho_report *r);

/* The one row of TOTAL, BACKLOG or NEW. */
const kho_cov_row *kho_report_total(const kho_report *r, kho_cov_level level);

/* Writers: 0, or KHO_FATAL when the stream fails. */
int kho_report_text(const kho_report *r, FILE *out, kho_error *err);
int kho_report_csv(const kho_report *r, FILE *out, kho_error *err);
int kho_report_json(const kho_report *r, FILE *out, kho_error *err);
int kho_report_html(const kho_report *r, FILE *out, kho_error *err);

/* The missing list for the scanning desk: CSV with the register's
 * columns, every registered record not yet scanned (of one agency and one
 * year when given), by year, agency, field and id.  *count receives the
 * rows written. */
int kho_report_missing(kho_catalog *cat, const kho_report_opts *o,
		       const char *agency, int year, FILE *out, int64_t *count,
		       kho_error *err);

/* After a run or a register import: the coverage kept as a snapshot
 * (nothing while the register is empty). */
int kho_report_snapshot(kho_catalog *cat, const kho_config *conf,
			const char *kind, int64_t run, int64_t import,
			kho_error *err);

/* ---- report files (report_file.c) ---- */

/* A report written to a file appears whole or not at all: it is written
 * beside its place under a temporary name, then renamed. */
typedef struct kho_report_file {
	FILE *f; /* write here */
	int fd;
	char tmp[4096];
	char dest[4096];
} kho_report_file;

int kho_report_file_open(kho_report_file *rf, const char *path, kho_error *err);
/* keep: rename into place (0, or the failure); else remove it. */
int kho_report_file_close(kho_report_file *rf, int keep, kho_error *err);

/* ---- the morning report (report_morning.c) ---- */

typedef struct kho_morning {
	kho_report_opts o;
	kho_run_row run;
	kho_cov_row *by_year; /* what the run archived */
	size_t n_by_year;
	kho_cov_row *by_agency;
	size_t n_by_agency;
	kho_failure_group *failures;
	size_t n_failures;
	int64_t failed; /* failures in all groups */
	/* pages the run normalized whose plan asks for a look
	 * (kho_morning_look_flags), a group per flag */
	kho_failure_group *flagged;
	size_t n_flagged;
	int have_before, have_after;
	kho_snapshot before, after;
	kho_trend trend;
	/* --roots: each root's newest kho run (id 0: none), o.names[k]'s;
	 * run adds them up (id 0) */
	kho_run_row *runs;
	size_t n_runs;
} kho_morning;

/* The run given, or (run 0) the newest `kho run`; KHO_USAGE with a
 * message when there is none.  With o->others, the newest kho run of
 * every root, added up (run must be 0). */
int kho_morning_build(kho_catalog *cat, const kho_report_opts *o, int64_t run,
		      kho_morning **out, kho_error *err);

/* The plan flags that ask for a look at the page (docs/PLAN.md), as
 * normalize writes them. */
extern const char *const kho_morning_look_flags[];
extern const size_t kho_morning_n_look_flags;
void kho_morning_free(kho_morning *m);
int kho_morning_text(const kho_morning *m, FILE *out, kho_error *err);
int kho_morning_json(const kho_morning *m, FILE *out, kho_error *err);

#endif
