/* kho report: coverage of the register; --morning, --missing. */
#include "kho/commands.h"
#include "cli/options.h"
#include "cli/roots.h"
#include "report/report.h"

#include <strings.h>

enum {
	OPT_FORMAT,
	OPT_OUTPUT,
	OPT_MORNING,
	OPT_MISSING,
	OPT_AGENCY,
	OPT_YEAR,
	OPT_RUN,
	OPT_ROOTS
};

static const kho_opt opts[] = {
	[OPT_FORMAT] = {"format", 0, 1, "F",
			"text (default), csv, json or html"},
	[OPT_OUTPUT] = {"output", 'o', 1, "FILE",
			"write to FILE; its extension sets the format"},
	[OPT_MORNING] = {"morning", 0, 0, "",
			 "what the last kho run did (text or json)"},
	[OPT_MISSING] = {"missing", 0, 0, "",
			 "the records not yet scanned, as CSV for the desk"},
	[OPT_AGENCY] = {"agency", 0, 1, "NAME",
			"with --missing: of this agency only"},
	[OPT_YEAR] = {"year", 0, 1, "YEAR",
		      "with --missing: of this year of issue only"},
	[OPT_RUN] = {"run", 0, 1, "N", "with --morning: run N, not the last"},
	[OPT_ROOTS] = {"roots", 0, KHO_OPT_LIST, "ROOT",
		       "the work roots of the shards of one batch, as one"},
};

typedef enum { FMT_TEXT, FMT_CSV, FMT_JSON, FMT_HTML } format;

static const char *const format_names[] = {"text", "csv", "json", "html"};

static int format_of_name(const char *name, format *f)
{
	for (size_t i = 0; i < KHO_ARRAY_SIZE(format_names); i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*f = (format)i;
			return 0;
		}
	}
	return -1;
}

/* -o report.html means --format html. */
static format format_of_file(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (dot &&
	    (strcasecmp(dot, ".html") == 0 || strcasecmp(dot, ".htm") == 0))
		return FMT_HTML;
	if (dot && strcasecmp(dot, ".json") == 0)
		return FMT_JSON;
	if (dot && strcasecmp(dot, ".csv") == 0)
		return FMT_CSV;
	return FMT_TEXT;
}

static int parse_number(const char *s, const char *what, long long min,
			long long max, long long *out, kho_error *err)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || v < min || v > max)
		return kho_error_set(err, KHO_USAGE, "'%s' is not a %s", s,
				     what);
	*out = v;
	return KHO_OK;
}

struct request {
	format fmt;
	const char *output;
	int morning;
	int missing;
	const char *agency;
	long long year;
	long long run;
};

static int check_request(const kho_args *a, struct request *q, kho_error *err)
{
	memset(q, 0, sizeof(*q));
	q->output = kho_args_value(a, OPT_OUTPUT);
	q->morning = a->count[OPT_MORNING] > 0;
	q->missing = a->count[OPT_MISSING] > 0;
	q->agency = kho_args_value(a, OPT_AGENCY);
	const char *fmt = kho_args_value(a, OPT_FORMAT);
	if (a->n_pos)
		return kho_error_set(err, KHO_USAGE, "unexpected argument '%s'",
				     a->pos[0]);
	if (fmt && format_of_name(fmt, &q->fmt) != 0)
		return kho_error_set(err, KHO_USAGE,
				     "unknown format '%s' (text, csv, json, "
				     "html)",
				     fmt);
	if (!fmt)
		q->fmt = q->missing  ? FMT_CSV
			 : q->output ? format_of_file(q->output)
				     : FMT_TEXT;
	if (q->morning && q->missing)
		return kho_error_set(err, KHO_USAGE,
				     "give --morning or --missing, not both");
	if (q->morning && q->fmt != FMT_TEXT && q->fmt != FMT_JSON)
		return kho_error_set(err, KHO_USAGE,
				     "the morning report is text or json");
	if (q->missing && q->fmt != FMT_CSV)
		return kho_error_set(err, KHO_USAGE, "the missing list is csv");
	if ((q->agency || a->count[OPT_YEAR]) && !q->missing)
		return kho_error_set(err, KHO_USAGE,
				     "--agency and --year go with --missing");
	if (a->count[OPT_RUN] && !q->morning)
		return kho_error_set(err, KHO_USAGE,
				     "--run goes with --morning");
	int rc = KHO_OK;
	if (a->count[OPT_YEAR])
		rc = parse_number(kho_args_value(a, OPT_YEAR), "year", 1900,
				  2100, &q->year, err);
	if (rc == KHO_OK && a->count[OPT_RUN])
		rc = parse_number(kho_args_value(a, OPT_RUN), "run number", 1,
				  INT64_MAX, &q->run, err);
	return rc;
}

/* Writes what was asked to out; summary receives a line for the screen
 * when the report goes to a file. */
static int write_report(kho_session *s, const struct request *q,
			const kho_report_opts *o, FILE *out, char *summary,
			size_t cap, kho_error *err)
{
	if (q->missing) {
		int64_t count = 0;
		int rc = kho_report_missing(s->cat, o, q->agency, (int)q->year,
					    out, &count, err);
		snprintf(summary, cap, "%lld record(s) not yet scanned",
			 (long long)count);
		return rc;
	}
	if (q->morning) {
		kho_morning *m = NULL;
		int rc = kho_morning_build(s->cat, o, q->run, &m, err);
		if (rc == KHO_OK)
			rc = q->fmt == FMT_JSON ? kho_morning_json(m, out, err)
						: kho_morning_text(m, out, err);
		if (rc == KHO_OK && m->n_runs)
			snprintf(summary, cap,
				 "the morning report of %zu work roots",
				 m->n_runs);
		else if (rc == KHO_OK)
			snprintf(summary, cap, "the morning report of run %lld",
				 (long long)m->run.id);
		kho_morning_free(m);
		return rc;
	}
	kho_report *r = NULL;
	int rc = kho_report_build(s->cat, o, &r, err);
	if (rc == KHO_OK) {
		switch (q->fmt) {
		case FMT_TEXT:
			rc = kho_report_text(r, out, err);
			break;
		case FMT_CSV:
			rc = kho_report_csv(r, out, err);
			break;
		case FMT_JSON:
			rc = kho_report_json(r, out, err);
			break;
		case FMT_HTML:
			rc = kho_report_html(r, out, err);
			break;
		}
	}
	if (rc == KHO_OK) {
		const kho_cov_row *all = kho_report_total(r, KHO_COV_TOTAL);
		snprintf(summary, cap,
			 "coverage, %s: %lld of %lld registered record(s) "
			 "archived",
			 format_names[q->fmt], (long long)all->c.archived,
			 (long long)all->c.registered);
	}
	kho_report_free(r);
	return rc;
}

/* The report, to stdout or whole into -o FILE. */
static int write_to(kho_session *s, const struct request *q,
		    const kho_report_opts *o, kho_error *err)
{
	char summary[256] = "";
	if (!q->output)
		return write_report(s, q, o, stdout, summary, sizeof(summary),
				    err);
	kho_report_file rf;
	int rc = kho_report_file_open(&rf, q->output, err);
	if (rc)
		return rc;
	rc = write_report(s, q, o, rf.f, summary, sizeof(summary), err);
	int close_rc = kho_report_file_close(&rf, rc == KHO_OK, err);
	if (rc == KHO_OK && close_rc == KHO_OK)
		printf("kho report: '%s': %s\n", q->output, summary);
	return rc ? rc : close_rc;
}

static int report(const kho_roots *roots, const struct request *q,
		  kho_error *err)
{
	kho_session *s = roots->s[0];
	kho_report_opts o;
	int rc = kho_report_opts_init(&o, &s->conf, s->root, err);
	if (rc || roots->n == 1)
		return rc ? rc : write_to(s, q, &o, err);
	/* The shards of one batch, as one (docs/SLURM.md). */
	const char **names = NULL;
	kho_catalog **others = kho_roots_others(roots, &names);
	if (!others)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	o.label = roots->label;
	o.others = others;
	o.names = names;
	o.n_others = roots->n - 1;
	rc = write_to(s, q, &o, err);
	free(others);
	free(names);
	return rc;
}

int kho_cmd_report(int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, opts, KHO_ARRAY_SIZE(opts), &a,
				&err);
	if (rc == KHO_OK && a.help) {
		kho_usage("kho report",
			  "[--format F] [-o FILE] [--morning | --missing] "
			  "[--roots ROOT...]",
			  "Coverage of the register: per year of issue, agency "
			  "and field, what is\narchived, in progress, failed "
			  "and not yet scanned, against the targets of\n"
			  "kho.conf ([coverage]); the records the register "
			  "does not know, those scanned\ntwice, and the trend "
			  "night by night (docs/REPORT.md).\nWith --roots, the "
			  "work roots of the shards of one batch, as one "
			  "machine\nwould have reported them (docs/SLURM.md).",
			  opts, KHO_ARRAY_SIZE(opts));
		kho_args_release(&a);
		return 0;
	}
	struct request q;
	if (rc == KHO_OK)
		rc = check_request(&a, &q, &err);
	kho_roots roots;
	memset(&roots, 0, sizeof(roots));
	if (rc == KHO_OK)
		rc = kho_roots_open(&roots, &a, OPT_ROOTS, "kho report", &err);
	if (rc == KHO_OK && roots.n > 1 && q.run)
		rc = kho_error_set(&err, KHO_USAGE,
				   "--run goes with one work root (each root "
				   "numbers its own runs)");
	if (rc == KHO_OK)
		rc = report(&roots, &q, &err);
	fflush(stdout);
	kho_roots_release(&roots);
	kho_args_release(&a);
	return rc ? kho_report_error("kho report", &err) : 0;
}
