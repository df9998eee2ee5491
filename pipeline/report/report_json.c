/* The coverage report as JSON; docs/REPORT.md documents every field. */
#include "report/report_util.h"

#include <math.h>

#define REPORT_SCHEMA "kho-report/1"
#define JSON_FLAGS                                                             \
	(JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

/* A percentage cut to two decimals, or null. */
static json_t *pct(double p)
{
	return p < 0 ? json_null() : json_real(kho_pct_shown(p, 2));
}

static json_t *int_or_null(int64_t v, int is_null)
{
	return is_null ? json_null() : json_integer((json_int_t)v);
}

/* Adds the counts of a row to o. */
static void counts(json_t *o, const kho_cov_counts *c)
{
	json_object_set_new(o, "registered", json_integer(c->registered));
	json_object_set_new(o, "archived", json_integer(c->archived));
	json_object_set_new(o, "in_progress", json_integer(c->in_progress));
	json_object_set_new(o, "failed", json_integer(c->failed));
	json_object_set_new(o, "not_scanned", json_integer(c->not_scanned));
	json_object_set_new(o, "coverage_pct",
			    pct(kho_pct(c->archived, c->registered)));
	json_object_set_new(o, "target_pct", pct(kho_row_target(c)));
	json_object_set_new(o, "targeted", json_integer(c->targeted));
	json_object_set_new(o, "needed", json_integer(c->needed));
	json_object_set_new(o, "gap", json_integer(c->gap));
}

static json_t *rows(const kho_report *r, kho_cov_level level)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->n[level]; i++) {
		const kho_cov_row *x = &r->levels[level][i];
		json_t *o = json_object();
		if (level == KHO_COV_YEAR || level == KHO_COV_GROUP)
			json_object_set_new(o, "year", json_integer(x->year));
		if (x->agency)
			json_object_set_new(o, "agency",
					    json_string(x->agency));
		if (x->field)
			json_object_set_new(o, "field", json_string(x->field));
		counts(o, &x->c);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *total(const kho_report *r, kho_cov_level level)
{
	json_t *o = json_object();
	counts(o, &kho_report_total(r, level)->c);
	return o;
}

static json_t *records(const kho_cov_record *rec, size_t n, int rescans)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack(
			"{s:s, s:s, s:i, s:i}", "record", rec[i].record_id,
			"state", rec[i].state, "version", rec[i].version,
			"archived_versions", rec[i].archived_versions);
		if (rescans)
			json_object_set_new(o, "in_register",
					    json_boolean(rec[i].in_register));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *import_json(const kho_register_import_row *imp)
{
	if (!imp->id)
		return json_null();
	return json_pack(
		"{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I,"
		" s:I}",
		"id", (json_int_t)imp->id, "file", imp->file, "sha256",
		imp->sha256, "imported_at", imp->imported_at, "rows",
		(json_int_t)imp->c.rows, "taken", (json_int_t)imp->c.taken,
		"refused", (json_int_t)imp->c.refused, "added",
		(json_int_t)imp->c.added, "changed", (json_int_t)imp->c.changed,
		"unchanged", (json_int_t)imp->c.unchanged, "absent",
		(json_int_t)imp->c.absent);
}

json_t *kho_report_trend_json(const kho_trend *t, const char *target_date)
{
	json_t *days = json_array();
	for (size_t i = 0; i < t->n_days; i++) {
		const kho_snapshot *s = &t->days[i];
		char day[16];
		snprintf(day, sizeof(day), "%.10s", s->taken_at);
		json_t *o = json_pack("{s:s, s:s, s:s}", "date", day,
				      "taken_at", s->taken_at, "kind", s->kind);
		json_object_set_new(o, "run", int_or_null(s->run, !s->run));
		json_object_set_new(o, "registered",
				    json_integer(s->total.registered));
		json_object_set_new(o, "archived",
				    json_integer(s->total.archived));
		json_object_set_new(o, "in_progress",
				    json_integer(s->total.in_progress));
		json_object_set_new(o, "failed", json_integer(s->total.failed));
		json_object_set_new(o, "not_scanned",
				    json_integer(s->total.not_scanned));
		json_object_set_new(
			o, "coverage_pct",
			pct(kho_pct(s->total.archived, s->total.registered)));
		json_object_set_new(o, "backlog_coverage_pct",
				    pct(kho_pct(s->backlog.archived,
						s->backlog.registered)));
		json_object_set_new(
			o, "new_coverage_pct",
			pct(kho_pct(s->recent.archived, s->recent.registered)));
		json_object_set_new(o, "needed", json_integer(s->total.needed));
		json_object_set_new(o, "gap", json_integer(s->total.gap));
		json_object_set_new(o, "orphans", json_integer(s->orphans));
		json_array_append_new(days, o);
	}
	json_t *o = json_object();
	json_object_set_new(o, "days", days);
	json_object_set_new(o, "target_date", json_string(target_date));
	json_object_set_new(o, "nights_left",
			    int_or_null(t->nights_left, t->nights_left < 0));
	json_object_set_new(o, "per_night_needed",
			    int_or_null(t->per_night, t->per_night < 0));
	json_object_set_new(o, "last_night",
			    int_or_null(t->last_night, t->last_night < 0));
	json_object_set_new(
		o, "recent_per_night",
		t->recent_per_night < 0
			? json_null()
			: json_real(floor(t->recent_per_night * 10.0) / 10.0));
	json_object_set_new(o, "projected_date",
			    t->projected[0] ? json_string(t->projected)
					    : json_null());
	return o;
}

int kho_report_json_dump(json_t *doc, FILE *out, kho_error *err)
{
	int rc = json_dumpf(doc, out, JSON_FLAGS);
	json_decref(doc);
	if (rc != 0)
		return kho_error_set(err, KHO_FATAL,
				     "cannot write the report as JSON");
	fputc('\n', out);
	return kho_stream_check(out, err);
}

int kho_report_json(const kho_report *r, FILE *out, kho_error *err)
{
	const kho_cov_targets *t = &r->o.targets;
	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string(REPORT_SCHEMA));
	/* One root; with --roots, null, and every root in "roots". */
	json_object_set_new(doc, "root",
			    r->o.root && !r->o.n_others ? json_string(r->o.root)
							: json_null());
	json_t *roots = json_array();
	for (size_t i = 0; r->o.root && i <= r->o.n_others; i++)
		json_array_append_new(
			roots, json_string(i ? r->o.names[i] : r->o.root));
	json_object_set_new(doc, "roots", roots);
	json_object_set_new(doc, "generated_at",
			    json_string(r->o.generated_at));
	json_object_set_new(
		doc, "register",
		json_pack("{s:I, s:o}", "records",
			  (json_int_t)kho_report_total(r, KHO_COV_TOTAL)
				  ->c.registered,
			  "last_import", import_json(&r->last_import)));
	json_object_set_new(
		doc, "targets",
		json_pack("{s:i, s:i, s:i, s:i, s:s}", "backlog_from",
			  t->backlog_from, "backlog_to", t->backlog_to,
			  "backlog_pct", t->backlog_pct, "new_pct", t->new_pct,
			  "target_date", r->o.target_date));
	json_object_set_new(doc, "total", total(r, KHO_COV_TOTAL));
	json_object_set_new(doc, "backlog", total(r, KHO_COV_BACKLOG));
	json_object_set_new(doc, "new", total(r, KHO_COV_NEW));
	json_object_set_new(doc, "by_year", rows(r, KHO_COV_YEAR));
	json_object_set_new(doc, "by_agency", rows(r, KHO_COV_AGENCY));
	json_object_set_new(doc, "by_field", rows(r, KHO_COV_FIELD));
	json_object_set_new(doc, "groups", rows(r, KHO_COV_GROUP));
	json_object_set_new(doc, "orphans",
			    json_pack("{s:I, s:I, s:o}", "count",
				      (json_int_t)r->orphans_total, "archived",
				      (json_int_t)r->orphans_archived,
				      "records",
				      records(r->orphans, r->n_orphans, 0)));
	json_object_set_new(
		doc, "scanned_twice",
		json_pack("{s:I, s:o}", "count", (json_int_t)r->rescanned_total,
			  "records", records(r->rescanned, r->n_rescanned, 1)));
	json_object_set_new(doc, "trend",
			    kho_report_trend_json(&r->trend, r->o.target_date));
	json_object_set_new(doc, "status",
			    json_pack("{s:I, s:I, s:I, s:I}", "current",
				      (json_int_t)r->status.records, "archived",
				      (json_int_t)r->status.archived,
				      "in_progress",
				      (json_int_t)r->status.in_progress,
				      "failed", (json_int_t)r->status.failed));
	return kho_report_json_dump(doc, out, err);
}
