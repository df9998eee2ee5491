/* What a coverage report holds, read from the catalog. */
#include "report/report_util.h"
#include "common/clock.h"

#include <string.h>
#include <time.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (after Howard
 * Hinnant's days_from_civil). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const long era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

long kho_report_day_number(const char *date)
{
	char day[11];
	if (strlen(date) < 10)
		return -1;
	memcpy(day, date, 10);
	day[10] = '\0';
	int y, m, d;
	if (kho_config_date_parse(day, &y, &m, &d) != 0)
		return -1;
	return days_from_civil(y, (unsigned)m, (unsigned)d);
}

void kho_report_day_string(long day, char out[16])
{
	time_t t = (time_t)day * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, 16, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday);
}

int kho_report_opts_init(kho_report_opts *o, const kho_config *conf,
			 const char *root, kho_error *err)
{
	memset(o, 0, sizeof(*o));
	if (conf->backlog_from > conf->backlog_to)
		return kho_error_set(err, KHO_USAGE,
				     "backlog_from (%lld) is after backlog_to "
				     "(%lld)",
				     conf->backlog_from, conf->backlog_to);
	o->targets.backlog_from = (int)conf->backlog_from;
	o->targets.backlog_to = (int)conf->backlog_to;
	o->targets.backlog_pct = (int)conf->backlog_target;
	o->targets.new_pct = (int)conf->new_target;
	kho_now_iso(o->generated_at);
	snprintf(o->today, sizeof(o->today), "%.10s", o->generated_at);
	if (conf->target_date && conf->target_date[0])
		snprintf(o->target_date, sizeof(o->target_date), "%s",
			 conf->target_date);
	else
		snprintf(o->target_date, sizeof(o->target_date), "%.4s-12-31",
			 o->today);
	o->root = root;
	o->list_limit = 0;
	o->trend_days = 90;
	return KHO_OK;
}

const kho_cov_row *kho_report_total(const kho_report *r, kho_cov_level level)
{
	assert(level == KHO_COV_TOTAL || level == KHO_COV_BACKLOG ||
	       level == KHO_COV_NEW);
	assert(r->n[level] == 1);
	return &r->levels[level][0];
}

void kho_report_free(kho_report *r)
{
	if (!r)
		return;
	for (int i = 0; i < KHO_COV_N_LEVELS; i++)
		kho_cov_rows_free(r->levels[i], r->n[i]);
	free(r->orphans);
	free(r->rescanned);
	kho_trend_release(&r->trend);
	free(r);
}

static int gather(kho_catalog *cat, kho_report *r, kho_error *err)
{
	int rc = kho_register_last_import(cat, &r->last_import, err);
	if (rc == KHO_FAIL) {
		memset(&r->last_import, 0, sizeof(r->last_import));
		rc = KHO_OK;
	}
	if (rc == KHO_OK)
		rc = kho_coverage_prepare_roots(cat, r->o.others, r->o.names,
						r->o.n_others, &r->o.targets,
						err);
	if (rc == KHO_OK)
		rc = kho_coverage_catalog(cat, &r->status, err);
	for (int i = 0; rc == KHO_OK && i < KHO_COV_N_LEVELS; i++)
		rc = kho_coverage_rows(cat, (kho_cov_level)i, &r->levels[i],
				       &r->n[i], err);
	if (rc == KHO_OK)
		rc = kho_coverage_orphans(cat, r->o.list_limit, &r->orphans,
					  &r->n_orphans, &r->orphans_total,
					  &r->orphans_archived, err);
	if (rc == KHO_OK)
		rc = kho_coverage_rescanned(cat, r->o.list_limit, &r->rescanned,
					    &r->n_rescanned,
					    &r->rescanned_total, err);
	kho_coverage_done(cat);
	if (rc == KHO_OK)
		rc = kho_trend_compute(cat, &r->o,
				       r->levels[KHO_COV_TOTAL][0].c.gap,
				       &r->trend, err);
	return rc;
}

int kho_report_build(kho_catalog *cat, const kho_report_opts *o,
		     kho_report **out, kho_error *err)
{
	*out = NULL;
	kho_report *r = calloc(1, sizeof(*r));
	if (!r)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	r->o = *o;
	int rc = gather(cat, r, err);
	if (rc) {
		kho_report_free(r);
		return rc;
	}
	*out = r;
	return KHO_OK;
}

int kho_report_snapshot(kho_catalog *cat, const kho_config *conf,
			const char *kind, int64_t run, int64_t import,
			kho_error *err)
{
	kho_report_opts o;
	int rc = kho_report_opts_init(&o, conf, NULL, err);
	int64_t n = 0;
	if (rc == KHO_OK)
		rc = kho_register_size(cat, &n, err);
	if (rc == KHO_OK && n > 0)
		rc = kho_snapshot_take(cat, &o.targets, kind, run, import, NULL,
				       err);
	return rc;
}
