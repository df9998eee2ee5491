/* Shared by the report writers: percentages, text widths, the trend. */
#ifndef KHO_REPORT_UTIL_H
#define KHO_REPORT_UTIL_H

#include "report/report.h"

#include <jansson.h>

/* part/whole in percent, or -1 when whole is 0. */
double kho_pct(int64_t part, int64_t whole);

/* A percentage rounded to 1 or 2 decimals, but never to 100 when below
 * it nor to 0 when above. */
double kho_pct_shown(double pct, int decimals);

/* "64.1%", or "-" for a negative pct. */
void kho_fmt_pct(double pct, char *out, size_t cap);

/* The target of a row in percent (weighted by the registered results of
 * each year that has one); -1 without one. */
double kho_row_target(const kho_cov_counts *c);

/* Columns a UTF-8 string takes on a terminal (combining marks take
 * none). */
size_t kho_text_width(const char *s);

/* Writes s padded with blanks to width columns (left-aligned) or cut
 * with "…" when wider and cut is set. */
void kho_put_padded(FILE *out, const char *s, size_t width, int cut);

/* Writes s, or when it is wider than width columns "…" and its end (a
 * long path keeps its file name). */
void kho_put_tail(FILE *out, const char *s, size_t width);

/* The trend from the snapshots (of every root of o), and the records a
 * night that close gap by the target date. */
int kho_trend_compute(kho_catalog *cat, const kho_report_opts *o, int64_t gap,
		      kho_trend *t, kho_error *err);

/* The days of the trend of several work roots (report_roots.c): for each
 * day that one of them kept a snapshot, what they held together at its
 * end; *out oldest first, at most max_days (0: all). */
int kho_snapshot_days_roots(kho_catalog *cat, const kho_report_opts *o,
			    size_t max_days, kho_snapshot **out, size_t *n,
			    kho_error *err);

/* What several roots' snapshots held together (kept[k] NULL for a root
 * that has none), by the targets of o, into *s: 0 when none has one. */
int kho_snapshot_add_up(const kho_report_opts *o,
			const kho_snapshot_kept *const *kept, size_t n,
			kho_snapshot *s);

/* The morning report of several roots: each one's newest kho run, added
 * up (report_roots.c). */
int kho_morning_gather_roots(kho_catalog *cat, kho_morning *m,
			     kho_error *err);
void kho_trend_release(kho_trend *t);

/* KHO_FATAL with errno's words when the stream failed. */
int kho_stream_check(FILE *out, kho_error *err);

/* "2026-11-30T01:02:03.456Z" -> "2026-11-30 01:02 UTC" */
void kho_fmt_time(const char *iso, char *out, size_t cap);

/* Seconds between two ISO 8601 UTC times, or -1. */
double kho_iso_seconds(const char *from, const char *to);

/* JSON shared by the report and the morning report (report_json.c): the
 * trend object, and writing a document (which it frees). */
json_t *kho_report_trend_json(const kho_trend *t, const char *target_date);
int kho_report_json_dump(json_t *doc, FILE *out, kho_error *err);

#endif
