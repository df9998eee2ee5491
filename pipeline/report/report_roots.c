/*
 * The trend of several work roots, the shards of one batch: for each day
 * that one of them kept a snapshot, every root's last snapshot of that
 * day or before (what it held at the day's end), added up year by year.
 * The register, its years and their targets are those of the newest of
 * them; needed and gap are worked out again from the sums, per year of
 * issue, as catalog_report.c does for one root.
 */
#include "report/report_util.h"

#include <string.h>

typedef struct root_days {
	kho_snapshot_kept *kept;
	size_t n;
	size_t at; /* the last one on or before the day being added */
	int any;   /* whether there is one */
} root_days;

static int by_day(const void *a, const void *b)
{
	return strncmp(*(const char *const *)a, *(const char *const *)b, 10);
}

static void add_year(kho_cov_counts *c, const kho_snapshot_year *y,
		     int64_t archived, int64_t in_progress, int64_t failed)
{
	c->registered += y->registered;
	c->archived += archived;
	c->in_progress += in_progress;
	c->failed += failed;
	const int64_t rest = y->registered - archived - in_progress - failed;
	c->not_scanned += rest > 0 ? rest : 0;
	if (y->target_pct < 0)
		return;
	const int64_t needed = (y->target_pct * y->registered + 99) / 100;
	c->targeted += y->registered;
	c->target_weight += y->target_pct * y->registered;
	c->needed += needed;
	c->gap += needed > archived ? needed - archived : 0;
}

/* What the roots held together at the end of a day, into *s: each
 * root's r[k].at. */
static void add_day(const kho_report_opts *o, root_days *r, size_t n_roots,
		    kho_snapshot *s)
{
	const kho_snapshot_kept *ref = NULL;
	memset(s, 0, sizeof(*s));
	for (size_t k = 0; k < n_roots; k++) {
		if (!r[k].any)
			continue;
		const kho_snapshot_kept *x = &r[k].kept[r[k].at];
		if (!ref || strcmp(x->taken_at, ref->taken_at) > 0)
			ref = x;
		s->orphans += x->orphans;
	}
	assert(ref);
	snprintf(s->taken_at, sizeof(s->taken_at), "%s", ref->taken_at);
	snprintf(s->kind, sizeof(s->kind), "%s", ref->kind);
	for (size_t i = 0; i < ref->n_years; i++) {
		const kho_snapshot_year *y = &ref->years[i];
		int64_t archived = 0, in_progress = 0, failed = 0;
		for (size_t k = 0; k < n_roots; k++) {
			if (!r[k].any)
				continue;
			const kho_snapshot_kept *x = &r[k].kept[r[k].at];
			for (size_t j = 0; j < x->n_years; j++) {
				if (x->years[j].year != y->year)
					continue;
				archived += x->years[j].archived;
				in_progress += x->years[j].in_progress;
				failed += x->years[j].failed;
			}
		}
		add_year(&s->total, y, archived, in_progress, failed);
		if (y->year >= o->targets.backlog_from &&
		    y->year <= o->targets.backlog_to)
			add_year(&s->backlog, y, archived, in_progress, failed);
		else if (y->year > o->targets.backlog_to)
			add_year(&s->recent, y, archived, in_progress, failed);
	}
}

int kho_snapshot_days_roots(kho_catalog *cat, const kho_report_opts *o,
			    size_t max_days, kho_snapshot **out, size_t *n,
			    kho_error *err)
{
	*out = NULL;
	*n = 0;
	const size_t n_roots = o->n_others + 1;
	root_days *r = calloc(n_roots, sizeof(*r));
	if (!r)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	int rc = KHO_OK;
	size_t n_days = 0;
	for (size_t k = 0; rc == KHO_OK && k < n_roots; k++) {
		rc = kho_snapshot_days_kept(k ? o->others[k - 1] : cat,
					    &r[k].kept, &r[k].n, err);
		n_days += r[k].n;
	}
	/* Every day one of them kept a snapshot, once. */
	const char **days = rc == KHO_OK ? calloc(n_days + 1, sizeof(*days))
					 : NULL;
	if (rc == KHO_OK && !days)
		rc = kho_error_set(err, KHO_FATAL, "out of memory");
	size_t nd = 0;
	for (size_t k = 0; rc == KHO_OK && k < n_roots; k++)
		for (size_t i = 0; i < r[k].n; i++)
			days[nd++] = r[k].kept[i].taken_at;
	if (nd > 1)
		qsort(days, nd, sizeof(*days), by_day);
	size_t unique = 0;
	for (size_t i = 0; i < nd; i++)
		if (unique == 0 || strncmp(days[unique - 1], days[i], 10) != 0)
			days[unique++] = days[i];
	const size_t first =
		max_days && unique > max_days ? unique - max_days : 0;
	kho_snapshot *snaps = rc == KHO_OK && unique > first
				      ? calloc(unique - first, sizeof(*snaps))
				      : NULL;
	if (rc == KHO_OK && unique > first && !snaps)
		rc = kho_error_set(err, KHO_FATAL, "out of memory");
	for (size_t d = 0; rc == KHO_OK && d < unique; d++) {
		for (size_t k = 0; k < n_roots; k++) {
			size_t next = r[k].any ? r[k].at + 1 : 0;
			while (next < r[k].n &&
			       strncmp(r[k].kept[next].taken_at, days[d], 10) <=
				       0) {
				r[k].at = next++;
				r[k].any = 1;
			}
		}
		if (d >= first)
			add_day(o, r, n_roots, &snaps[d - first]);
	}
	free(days);
	for (size_t k = 0; k < n_roots; k++)
		kho_snapshots_kept_free(r[k].kept, r[k].n);
	free(r);
	if (rc) {
		free(snaps);
		return rc;
	}
	*out = snaps;
	*n = unique - first;
	return KHO_OK;
}
