/* The coverage report and the missing list as CSV (RFC 4180, UTF-8 with a
 * byte-order mark so that a spreadsheet shows the Vietnamese names). */
#include "report/report_util.h"

#include <math.h>
#include <string.h>

static const char bom[] = "\xEF\xBB\xBF";

static void field(FILE *out, const char *s, int last)
{
	int quote = s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ') ||
		    strpbrk(s, ",\"\r\n") != NULL;
	if (!quote) {
		fputs(s, out);
	} else {
		fputc('"', out);
		for (const char *p = s; *p; p++) {
			if (*p == '"')
				fputc('"', out);
			fputc(*p, out);
		}
		fputc('"', out);
	}
	fputs(last ? "\r\n" : ",", out);
}

/* A percentage cut (never rounded up) to two decimals; "" without one. */
static void pct_field(FILE *out, double pct, int last)
{
	char s[32] = "";
	if (pct >= 0)
		snprintf(s, sizeof(s), "%.2f", kho_pct_shown(pct, 2));
	field(out, s, last);
}

static void count_fields(FILE *out, const kho_cov_counts *c)
{
	char s[32];
	const int64_t v[] = {c->registered, c->archived, c->in_progress,
			     c->failed, c->not_scanned};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(v); i++) {
		snprintf(s, sizeof(s), "%lld", (long long)v[i]);
		field(out, s, 0);
	}
	pct_field(out, kho_pct(c->archived, c->registered), 0);
	pct_field(out, kho_row_target(c), 0);
	snprintf(s, sizeof(s), "%lld", (long long)c->needed);
	field(out, s, 0);
	snprintf(s, sizeof(s), "%lld", (long long)c->gap);
	field(out, s, 1);
}

static const char *const level_names[KHO_COV_N_LEVELS] = {
	[KHO_COV_TOTAL] = "total",   [KHO_COV_BACKLOG] = "backlog",
	[KHO_COV_NEW] = "new",	     [KHO_COV_YEAR] = "year",
	[KHO_COV_AGENCY] = "agency", [KHO_COV_FIELD] = "field",
	[KHO_COV_GROUP] = "group",
};

int kho_report_csv(const kho_report *r, FILE *out, kho_error *err)
{
	fputs(bom, out);
	fputs("level,year,agency,field,registered,archived,in_progress,"
	      "failed,not_scanned,coverage_pct,target_pct,needed,gap\r\n",
	      out);
	for (int l = 0; l < KHO_COV_N_LEVELS; l++) {
		for (size_t i = 0; i < r->n[l]; i++) {
			const kho_cov_row *x = &r->levels[l][i];
			char year[16] = "";
			if (x->year)
				snprintf(year, sizeof(year), "%d", x->year);
			field(out, level_names[l], 0);
			field(out, year, 0);
			field(out, x->agency ? x->agency : "", 0);
			field(out, x->field ? x->field : "", 0);
			count_fields(out, &x->c);
		}
	}
	return kho_stream_check(out, err);
}

static int missing_row(void *ctx, const kho_register_entry *e, kho_error *err)
{
	FILE *out = ctx;
	char year[16];
	snprintf(year, sizeof(year), "%d", e->year);
	field(out, e->record_id, 0);
	field(out, year, 0);
	field(out, e->agency, 0);
	field(out, e->field, 0);
	for (int i = 0; i < KHO_REG_N_TEXT; i++)
		field(out, e->text[i], i == KHO_REG_N_TEXT - 1);
	return ferror(out) ? kho_stream_check(out, err) : KHO_OK;
}

int kho_report_missing(kho_catalog *cat, const kho_report_opts *o,
		       const char *agency, int year, FILE *out, int64_t *count,
		       kho_error *err)
{
	*count = 0;
	int rc = kho_coverage_prepare_roots(cat, o->others, o->names,
					    o->n_others, &o->targets, err);
	if (rc == KHO_OK) {
		fputs(bom, out);
		fputs("id,year,agency,field", out);
		for (int i = 0; i < KHO_REG_N_TEXT; i++)
			fprintf(out, ",%s", kho_register_text_names[i]);
		fputs("\r\n", out);
		rc = kho_coverage_missing(cat, agency, year, missing_row, out,
					  count, err);
	}
	kho_coverage_done(cat);
	return rc ? rc : kho_stream_check(out, err);
}
