/*
 * The morning report: what last night's run archived, what failed and why
 * (grouped by reason, with the records), its throughput, and the
 * coverage before and after it.  What cron mails to the operator.
 */
#include "report/report_util.h"

#include <math.h>
#include <string.h>

enum { ITEMS_MAX = 12 };

const char *const kho_morning_look_flags[] = {
	"skew-uncertain", "orientation-uncertain", "below-standard-dpi"};
const size_t kho_morning_n_look_flags = KHO_ARRAY_SIZE(kho_morning_look_flags);

void kho_morning_free(kho_morning *m)
{
	if (!m)
		return;
	kho_cov_rows_free(m->by_year, m->n_by_year);
	kho_cov_rows_free(m->by_agency, m->n_by_agency);
	kho_failure_groups_free(m->failures, m->n_failures);
	kho_failure_groups_free(m->flagged, m->n_flagged);
	kho_trend_release(&m->trend);
	free(m->runs);
	free(m);
}

static int gather(kho_catalog *cat, kho_morning *m, int64_t run, kho_error *err)
{
	int rc = kho_run_get(cat, run, &m->run, err);
	if (rc == KHO_FAIL)
		return run ? kho_error_set(err, KHO_USAGE,
					   "no run %lld in this work root",
					   (long long)run)
			   : kho_error_set(err, KHO_USAGE,
					   "no kho run in this work root yet");
	if (rc == KHO_OK)
		rc = kho_run_archived(cat, KHO_COV_YEAR, &m->by_year,
				      &m->n_by_year, err);
	if (rc == KHO_OK)
		rc = kho_run_archived(cat, KHO_COV_AGENCY, &m->by_agency,
				      &m->n_by_agency, err);
	if (rc == KHO_OK)
		rc = kho_run_failures(cat, ITEMS_MAX, &m->failures,
				      &m->n_failures, err);
	if (rc == KHO_OK)
		rc = kho_run_flagged(cat, kho_morning_look_flags,
				     kho_morning_n_look_flags, ITEMS_MAX,
				     &m->flagged, &m->n_flagged, err);
	kho_run_done(cat);
	for (size_t i = 0; rc == KHO_OK && i < m->n_failures; i++)
		m->failed += m->failures[i].count;
	if (rc == KHO_OK) {
		rc = kho_snapshot_of_run(cat, &m->o.targets, m->run.id,
					 &m->after, err);
		m->have_after = rc == KHO_OK;
		if (rc == KHO_FAIL)
			rc = KHO_OK;
	}
	if (rc == KHO_OK) {
		rc = kho_snapshot_before(cat, &m->o.targets, m->run.started_at,
					 &m->before, err);
		m->have_before = rc == KHO_OK;
		if (rc == KHO_FAIL)
			rc = KHO_OK;
	}
	if (rc == KHO_OK)
		rc = kho_trend_compute(cat, &m->o,
				       m->have_after ? m->after.total.gap : -1,
				       &m->trend, err);
	return rc;
}

int kho_morning_build(kho_catalog *cat, const kho_report_opts *o, int64_t run,
		      kho_morning **out, kho_error *err)
{
	*out = NULL;
	kho_morning *m = calloc(1, sizeof(*m));
	if (!m)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	m->o = *o;
	assert(!o->n_others || run == 0);
	int rc = o->n_others ? kho_morning_gather_roots(cat, m, err)
			     : gather(cat, m, run, err);
	if (rc) {
		kho_morning_free(m);
		return rc;
	}
	*out = m;
	return KHO_OK;
}

/* Seconds the run took (until now while it runs). */
static double run_seconds(const kho_morning *m)
{
	const char *end =
		m->run.ended_at[0] ? m->run.ended_at : m->o.generated_at;
	return kho_iso_seconds(m->run.started_at, end);
}

static void fmt_duration(double s, char *out, size_t cap)
{
	if (s < 0)
		snprintf(out, cap, "?");
	else if (s < 60)
		snprintf(out, cap, "%.0f s", s);
	else if (s < 3600)
		snprintf(out, cap, "%d min %02d s", (int)s / 60, (int)s % 60);
	else
		snprintf(out, cap, "%d h %02d min", (int)s / 3600,
			 ((int)s % 3600) / 60);
}

static void era_line(FILE *out, const char *name, const kho_morning *m,
		     const kho_cov_counts *before, const kho_cov_counts *after,
		     int target)
{
	char b[16] = "-", a[16];
	if (before)
		kho_fmt_pct(kho_pct(before->archived, before->registered), b,
			    sizeof(b));
	kho_fmt_pct(kho_pct(after->archived, after->registered), a, sizeof(a));
	fprintf(out, "  %-18s %7s -> %-7s", name, b, a);
	if (target >= 0) {
		fprintf(out, " target %d%%", target);
		if (after->gap > 0)
			fprintf(out, ", %lld short", (long long)after->gap);
		else if (after->targeted > 0)
			fprintf(out, ", met");
	}
	fprintf(out, "\n");
	(void)m;
}

static void coverage(FILE *out, const kho_morning *m)
{
	const kho_cov_targets *t = &m->o.targets;
	if (!m->have_after) {
		fprintf(out, "\ncoverage: this run left no snapshot (the "
			     "register is empty, or the run has not ended)\n");
		return;
	}
	const kho_snapshot *b = m->have_before ? &m->before : NULL;
	const kho_snapshot *a = &m->after;
	fprintf(out, "\ncoverage of the register (%lld registered)",
		(long long)a->total.registered);
	if (b)
		fprintf(out, ", %+lld archived",
			(long long)(a->total.archived - b->total.archived));
	fprintf(out, ":\n");
	char name[32];
	era_line(out, "all", m, b ? &b->total : NULL, &a->total, -1);
	snprintf(name, sizeof(name), "backlog %d-%d", t->backlog_from,
		 t->backlog_to);
	era_line(out, name, m, b ? &b->backlog : NULL, &a->backlog,
		 t->backlog_pct);
	snprintf(name, sizeof(name), "new %d on", t->backlog_to + 1);
	era_line(out, name, m, b ? &b->recent : NULL, &a->recent, t->new_pct);
	const kho_trend *tr = &m->trend;
	if (a->total.gap == 0)
		fprintf(out, "the targets are met\n");
	else if (tr->per_night < 0)
		fprintf(out,
			"%lld short of the targets; the target date %s "
			"has passed\n",
			(long long)a->total.gap, m->o.target_date);
	else
		fprintf(out,
			"to meet the targets by %s: %lld a night (%ld "
			"night%s left)\n",
			m->o.target_date, (long long)tr->per_night,
			tr->nights_left, tr->nights_left == 1 ? "" : "s");
}

/* --roots: the runs together, then each root's. */
static void roots_runs(FILE *out, const kho_morning *m, const char *start,
		       const char *end, const char *took)
{
	const kho_run_row *r = &m->run;
	if (r->ended_at[0])
		fprintf(out, "runs of the roots (kho run): %s to %s, %s, %s\n",
			start, end, took, r->outcome[0] ? r->outcome : "?");
	else
		fprintf(out,
			"runs of the roots (kho run): since %s, %s so far: one "
			"is still running or was killed\n",
			start, took);
	/* One line each: the root's folder name (ROOTS/s01of04), its run
	 * from MM-DD HH:MM to MM-DD HH:MM (UTC). */
	for (size_t k = 0; k < m->n_runs; k++) {
		const kho_run_row *x = &m->runs[k];
		const char *slash = strrchr(m->o.names[k], '/');
		fprintf(out, "  ");
		kho_put_padded(out, slash ? slash + 1 : m->o.names[k], 12, 1);
		if (!x->id) {
			fprintf(out, " no kho run yet\n");
			continue;
		}
		fprintf(out, " run %lld, %.5s %.5s to ", (long long)x->id,
			x->started_at + 5, x->started_at + 11);
		if (x->ended_at[0])
			fprintf(out, "%.5s %.5s", x->ended_at + 5,
				x->ended_at + 11);
		else
			fprintf(out, "?");
		fprintf(out, ", %s, %lld archived\n",
			x->outcome[0] ? x->outcome : "?",
			(long long)x->archived);
	}
}

/* A group's items, wrapped under it, each but the last followed by sep,
 * and how many more it has. */
static void group_items(FILE *out, const kho_failure_group *g, const char *sep)
{
	size_t col = 0;
	for (size_t k = 0; k < g->n_items; k++) {
		const char *after = k + 1 < g->n_items ? sep : "";
		size_t w = strlen(g->items[k]) + strlen(after) + 1;
		if (col == 0 || col + w > 62) {
			fprintf(out, "%s%17s", col ? "\n" : "", "");
			col = 0;
		}
		fprintf(out, " %s%s", g->items[k], after);
		col += w;
	}
	if ((int64_t)g->n_items < g->all_items)
		fprintf(out, "%s%17s and %lld more", col ? "\n" : "", "",
			(long long)(g->all_items - (int64_t)g->n_items));
	fprintf(out, "\n");
}

int kho_morning_text(const kho_morning *m, FILE *out, kho_error *err)
{
	const kho_run_row *r = &m->run;
	char when[40], start[40], end[40], took[32];
	kho_fmt_time(m->o.generated_at, when, sizeof(when));
	kho_fmt_time(r->started_at, start, sizeof(start));
	kho_fmt_time(r->ended_at, end, sizeof(end));
	double secs = run_seconds(m);
	fmt_duration(secs, took, sizeof(took));
	const char *root = m->o.label ? m->o.label : m->o.root;
	fprintf(out, "kho morning report: %s, %s\n", root ? root : "", when);
	if (m->n_runs > 0)
		roots_runs(out, m, start, end, took);
	else if (r->ended_at[0])
		fprintf(out, "run %lld (%s): %s to %s, %s, %s\n",
			(long long)r->id, r->command, start, end, took,
			r->outcome[0] ? r->outcome : "?");
	else
		fprintf(out,
			"run %lld (%s): since %s, %s so far: still "
			"running or killed\n",
			(long long)r->id, r->command, start, took);

	fprintf(out, "\narchived: %lld record(s), %lld page(s)",
		(long long)r->archived, (long long)r->archived_pages);
	if (secs > 0 && r->archived > 0)
		fprintf(out, "; %.0f records an hour, %.2f pages a second",
			(double)r->archived * 3600.0 / secs,
			(double)r->archived_pages / secs);
	fprintf(out, "\n");
	if (m->n_by_year > 0) {
		fprintf(out, "  by year of issue:");
		size_t col = 20;
		for (size_t i = 0; i < m->n_by_year; i++) {
			const kho_cov_row *y = &m->by_year[i];
			char item[64];
			if (y->year)
				snprintf(item, sizeof(item), " %d: %lld%s",
					 y->year, (long long)y->c.archived,
					 i + 1 < m->n_by_year ? "," : "");
			else
				snprintf(item, sizeof(item),
					 " not registered: %lld",
					 (long long)y->c.archived);
			if (col + strlen(item) > 78) {
				fprintf(out, "\n   ");
				col = 3;
			}
			fputs(item, out);
			col += strlen(item);
		}
		fprintf(out, "\n  by agency:\n");
		for (size_t i = 0; i < m->n_by_agency; i++) {
			const kho_cov_row *a = &m->by_agency[i];
			fprintf(out, "    %7lld  %s\n",
				(long long)a->c.archived,
				a->agency ? a->agency
					  : "(not in the register)");
		}
	}
	fprintf(out, "stages:");
	for (int s = 0; s < KHO_N_STAGES; s++) {
		fprintf(out, " %s %lld", kho_stage_order[s],
			(long long)r->done[s]);
		if (r->failed[s])
			fprintf(out, " (%lld failed)", (long long)r->failed[s]);
		fprintf(out, "%s", s + 1 < KHO_N_STAGES ? "," : "\n");
	}

	if (m->failed == 0) {
		fprintf(out, "\nnothing failed in this run\n");
	} else {
		fprintf(out,
			"\nfailed: %lld, for %zu reason(s) (kho show RECORD "
			"tells more,\nkho retry STAGE --failed tries "
			"again)\n",
			(long long)m->failed, m->n_failures);
		for (size_t i = 0; i < m->n_failures; i++) {
			const kho_failure_group *g = &m->failures[i];
			fprintf(out, "%6lld  %-9s %s\n", (long long)g->count,
				g->stage, g->reason);
			group_items(out, g, "");
		}
	}
	if (m->n_flagged) {
		fprintf(out, "\npages to look at, by their plan's flag "
			     "(docs/PLAN.md; kho plan RECORD PAGE\nKEY=VALUE "
			     "sets a plan right):\n");
		for (size_t i = 0; i < m->n_flagged; i++) {
			const kho_failure_group *g = &m->flagged[i];
			fprintf(out, "%6lld  %s, page(s) of %lld record(s)\n",
				(long long)g->count, g->reason,
				(long long)g->all_items);
			group_items(out, g, ";");
		}
	}
	coverage(out, m);
	return kho_stream_check(out, err);
}

/* ---- JSON ---- */

static json_t *counts_json(const kho_cov_counts *c)
{
	double p = kho_pct(c->archived, c->registered);
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I}", "registered",
			      (json_int_t)c->registered, "archived",
			      (json_int_t)c->archived, "needed",
			      (json_int_t)c->needed, "gap", (json_int_t)c->gap,
			      "targeted", (json_int_t)c->targeted);
	json_object_set_new(o, "coverage_pct",
			    p < 0 ? json_null()
				  : json_real(kho_pct_shown(p, 2)));
	return o;
}

static json_t *snapshot_json(const kho_snapshot *s, int have)
{
	if (!have)
		return json_null();
	json_t *o = json_pack("{s:s, s:o, s:o, s:o}", "taken_at", s->taken_at,
			      "all", counts_json(&s->total), "backlog",
			      counts_json(&s->backlog), "new",
			      counts_json(&s->recent));
	return o;
}

static json_t *items_json(const kho_failure_group *g)
{
	json_t *items = json_array();
	for (size_t k = 0; k < g->n_items; k++)
		json_array_append_new(items, json_string(g->items[k]));
	return items;
}

int kho_morning_json(const kho_morning *m, FILE *out, kho_error *err)
{
	const kho_run_row *r = &m->run;
	double secs = run_seconds(m);
	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string("kho-morning/1"));
	json_object_set_new(doc, "root",
			    m->o.root && !m->n_runs ? json_string(m->o.root)
						    : json_null());
	if (m->n_runs) {
		json_t *roots = json_array();
		for (size_t k = 0; k < m->n_runs; k++) {
			const kho_run_row *x = &m->runs[k];
			json_t *o = json_pack("{s:s}", "root", m->o.names[k]);
			json_object_set_new(o, "run",
					    x->id ? json_integer(x->id)
						  : json_null());
			json_object_set_new(o, "started_at",
					    x->id ? json_string(x->started_at)
						  : json_null());
			json_object_set_new(o, "ended_at",
					    x->ended_at[0]
						    ? json_string(x->ended_at)
						    : json_null());
			json_object_set_new(o, "outcome",
					    x->outcome[0]
						    ? json_string(x->outcome)
						    : json_null());
			json_object_set_new(o, "archived",
					    json_integer(x->archived));
			json_array_append_new(roots, o);
		}
		json_object_set_new(doc, "roots", roots);
	}
	json_object_set_new(doc, "generated_at",
			    json_string(m->o.generated_at));
	json_t *run = json_object();
	json_object_set_new(run, "id",
			    r->id ? json_integer(r->id) : json_null());
	json_object_set_new(run, "command", json_string(r->command));
	json_object_set_new(run, "started_at", json_string(r->started_at));
	json_object_set_new(run, "ended_at",
			    r->ended_at[0] ? json_string(r->ended_at)
					   : json_null());
	json_object_set_new(run, "outcome",
			    r->outcome[0] ? json_string(r->outcome)
					  : json_null());
	json_object_set_new(run, "seconds",
			    secs < 0 ? json_null() : json_real(floor(secs)));
	json_object_set_new(doc, "run", run);

	json_t *by_year = json_array();
	for (size_t i = 0; i < m->n_by_year; i++)
		json_array_append_new(
			by_year,
			json_pack("{s:o, s:I}", "year",
				  m->by_year[i].year
					  ? json_integer(m->by_year[i].year)
					  : json_null(),
				  "records",
				  (json_int_t)m->by_year[i].c.archived));
	json_t *by_agency = json_array();
	for (size_t i = 0; i < m->n_by_agency; i++)
		json_array_append_new(
			by_agency,
			json_pack("{s:o, s:I}", "agency",
				  m->by_agency[i].agency
					  ? json_string(m->by_agency[i].agency)
					  : json_null(),
				  "records",
				  (json_int_t)m->by_agency[i].c.archived));
	json_t *archived =
		json_pack("{s:I, s:I}", "records", (json_int_t)r->archived,
			  "pages", (json_int_t)r->archived_pages);
	json_object_set_new(archived, "records_per_hour",
			    secs > 0 ? json_real(floor((double)r->archived *
						       36000.0 / secs) /
						 10.0)
				     : json_null());
	json_object_set_new(
		archived, "pages_per_second",
		secs > 0 ? json_real(floor((double)r->archived_pages * 100.0 /
					   secs) /
				     100.0)
			 : json_null());
	json_object_set_new(archived, "by_year", by_year);
	json_object_set_new(archived, "by_agency", by_agency);
	json_object_set_new(doc, "archived", archived);

	json_t *stages = json_object();
	for (int s = 0; s < KHO_N_STAGES; s++)
		json_object_set_new(stages, kho_stage_order[s],
				    json_pack("{s:I, s:I}", "done",
					      (json_int_t)r->done[s], "failed",
					      (json_int_t)r->failed[s]));
	json_object_set_new(doc, "stages", stages);

	json_t *groups = json_array();
	for (size_t i = 0; i < m->n_failures; i++) {
		const kho_failure_group *g = &m->failures[i];
		json_array_append_new(groups,
				      json_pack("{s:s, s:s, s:I, s:o}", "stage",
						g->stage, "reason", g->reason,
						"count", (json_int_t)g->count,
						"records", items_json(g)));
	}
	json_object_set_new(doc, "failures",
			    json_pack("{s:I, s:o}", "count",
				      (json_int_t)m->failed, "groups", groups));
	json_t *flagged = json_array();
	for (size_t i = 0; i < m->n_flagged; i++) {
		const kho_failure_group *g = &m->flagged[i];
		json_array_append_new(flagged,
				      json_pack("{s:s, s:I, s:I, s:o}", "flag",
						g->reason, "pages",
						(json_int_t)g->count, "records",
						(json_int_t)g->all_items,
						"items", items_json(g)));
	}
	json_object_set_new(doc, "flagged", flagged);
	json_object_set_new(doc, "coverage",
			    json_pack("{s:o, s:o}", "before",
				      snapshot_json(&m->before, m->have_before),
				      "after",
				      snapshot_json(&m->after, m->have_after)));
	json_object_set_new(doc, "trend",
			    kho_report_trend_json(&m->trend, m->o.target_date));
	return kho_report_json_dump(doc, out, err);
}
