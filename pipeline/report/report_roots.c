/*
 * Several work roots, the shards of one batch, reported as one.
 *
 * The trend: for each day that one of them kept a snapshot, every root's
 * last snapshot of that day or before (what it held at the day's end),
 * added up year by year.  The register, its years and their targets are
 * those of the newest of them; needed and gap are worked out again from
 * the sums, per year of issue, as catalog_report.c does for one root.
 *
 * The morning report: each root's newest kho run; what they archived per
 * year and agency, the jobs of each stage and the failures (grouped by
 * stage and reason) added up; the coverage before (each root's newest
 * snapshot before its run) and after (each run's own snapshot) added up
 * as the trend's days are.
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

int kho_snapshot_add_up(const kho_report_opts *o,
			const kho_snapshot_kept *const *kept, size_t n,
			kho_snapshot *s)
{
	const kho_snapshot_kept *ref = NULL;
	memset(s, 0, sizeof(*s));
	for (size_t k = 0; k < n; k++) {
		const kho_snapshot_kept *x = kept[k];
		if (!x)
			continue;
		if (!ref || strcmp(x->taken_at, ref->taken_at) > 0)
			ref = x;
		s->orphans += x->orphans;
	}
	if (!ref)
		return 0;
	snprintf(s->taken_at, sizeof(s->taken_at), "%s", ref->taken_at);
	snprintf(s->kind, sizeof(s->kind), "%s", ref->kind);
	for (size_t i = 0; i < ref->n_years; i++) {
		const kho_snapshot_year *y = &ref->years[i];
		int64_t archived = 0, in_progress = 0, failed = 0;
		for (size_t k = 0; k < n; k++) {
			const kho_snapshot_kept *x = kept[k];
			if (!x)
				continue;
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
	return 1;
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
	const char **days =
		rc == KHO_OK ? calloc(n_days + 1, sizeof(*days)) : NULL;
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
	const kho_snapshot_kept **at = calloc(n_roots, sizeof(*at));
	if (rc == KHO_OK && ((unique > first && !snaps) || !at))
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
		if (d < first)
			continue;
		for (size_t k = 0; k < n_roots; k++)
			at[k] = r[k].any ? &r[k].kept[r[k].at] : NULL;
		kho_snapshot_add_up(o, at, n_roots, &snaps[d - first]);
	}
	free(at);
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

/* ---- the morning report ---- */

enum { ITEMS_MAX = 12 };

/* Adds src's rows to *dst, by year (KHO_COV_YEAR) or agency. */
static int merge_rows(kho_cov_row **dst, size_t *nd, const kho_cov_row *src,
		      size_t ns, kho_cov_level level)
{
	for (size_t i = 0; i < ns; i++) {
		const kho_cov_row *x = &src[i];
		kho_cov_row *have = NULL;
		for (size_t k = 0; k < *nd && !have; k++) {
			kho_cov_row *y = &(*dst)[k];
			const int same =
				level == KHO_COV_YEAR
					? y->year == x->year
					: (!y->agency && !x->agency) ||
						  (y->agency && x->agency &&
						   strcmp(y->agency,
							  x->agency) == 0);
			if (same)
				have = y;
		}
		if (have) {
			have->c.archived += x->c.archived;
			continue;
		}
		kho_cov_row *p = realloc(*dst, (*nd + 1) * sizeof(*p));
		if (!p)
			return -1;
		*dst = p;
		kho_cov_row *y = &p[(*nd)++];
		memset(y, 0, sizeof(*y));
		y->year = x->year;
		y->c.archived = x->c.archived;
		if (x->agency && !(y->agency = strdup(x->agency)))
			return -1;
	}
	return 0;
}

/* As kho_run_archived orders them: by year, the unregistered (0) last. */
static int by_year(const void *a, const void *b)
{
	const kho_cov_row *x = a, *y = b;
	if (!x->year != !y->year)
		return !x->year - !y->year;
	return (x->year > y->year) - (x->year < y->year);
}

/* By agency, the unregistered (NULL) last. */
static int by_agency(const void *a, const void *b)
{
	const kho_cov_row *x = a, *y = b;
	if (!x->agency || !y->agency)
		return !x->agency - !y->agency;
	return strcmp(x->agency, y->agency);
}

/* Adds the groups src to *dst (*nd of them), a group of the same stage
 * and reason counted as one. */
static int merge_groups(kho_failure_group **dst, size_t *nd,
			const kho_failure_group *src, size_t ns)
{
	for (size_t i = 0; i < ns; i++) {
		const kho_failure_group *x = &src[i];
		kho_failure_group *g = NULL;
		for (size_t k = 0; k < *nd && !g; k++)
			if (strcmp((*dst)[k].stage, x->stage) == 0 &&
			    strcmp((*dst)[k].reason, x->reason) == 0)
				g = &(*dst)[k];
		if (!g) {
			kho_failure_group *p =
				realloc(*dst, (*nd + 1) * sizeof(*p));
			if (!p)
				return -1;
			*dst = p;
			g = &p[(*nd)++];
			memset(g, 0, sizeof(*g));
			snprintf(g->stage, sizeof(g->stage), "%s", x->stage);
			if (!(g->reason = strdup(x->reason)))
				return -1;
		}
		g->count += x->count;
		g->all_items += x->all_items;
		char **items = realloc(g->items, (g->n_items + x->n_items + 1) *
							 sizeof(*items));
		if (!items)
			return -1;
		g->items = items;
		for (size_t k = 0; k < x->n_items; k++)
			if (!(g->items[g->n_items++] = strdup(x->items[k])))
				return -1;
	}
	return 0;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int stage_rank(const char *stage)
{
	const int i = kho_stage_index(stage);
	return i < 0 ? KHO_N_STAGES : i;
}

/* kho_run_failures' order: the biggest group first, then by stage and
 * reason. */
static int by_group(const void *a, const void *b)
{
	const kho_failure_group *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	const int r = stage_rank(x->stage) - stage_rank(y->stage);
	return r ? r : strcmp(x->reason, y->reason);
}

static size_t look_rank(const char *flag)
{
	size_t i = 0;
	while (i < kho_morning_n_look_flags &&
	       strcmp(kho_morning_look_flags[i], flag) != 0)
		i++;
	return i;
}

/* kho_run_flagged's order: the flags' own. */
static int by_flag(const void *a, const void *b)
{
	const size_t x = look_rank(((const kho_failure_group *)a)->reason);
	const size_t y = look_rank(((const kho_failure_group *)b)->reason);
	return (x > y) - (x < y);
}

/* Each group's first items by name, as one root lists them (a record
 * id, or one and its pages: "ID page 3" sorts by the id). */
static void cut_items(kho_failure_group *groups, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		kho_failure_group *g = &groups[i];
		if (g->n_items > 1)
			qsort(g->items, g->n_items, sizeof(*g->items), by_text);
		while (g->n_items > ITEMS_MAX)
			free(g->items[--g->n_items]);
	}
}

/* The runs together: from the first start to the last end (none while
 * one runs), ok only when each ended ok. */
static void add_run(kho_run_row *all, const kho_run_row *r, int first)
{
	if (first) {
		*all = *r;
		all->id = 0;
		return;
	}
	if (strcmp(r->started_at, all->started_at) < 0)
		snprintf(all->started_at, sizeof(all->started_at), "%s",
			 r->started_at);
	if (!r->ended_at[0] || !all->ended_at[0])
		all->ended_at[0] = '\0';
	else if (strcmp(r->ended_at, all->ended_at) > 0)
		snprintf(all->ended_at, sizeof(all->ended_at), "%s",
			 r->ended_at);
	static const char *const worse[] = {"", "stopped", "interrupted"};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(worse); i++) {
		if (strcmp(all->outcome, worse[i]) == 0)
			break;
		if (strcmp(r->outcome, worse[i]) == 0) {
			snprintf(all->outcome, sizeof(all->outcome), "%s",
				 worse[i]);
			break;
		}
	}
	for (int s = 0; s < KHO_N_STAGES; s++) {
		all->done[s] += r->done[s];
		all->failed[s] += r->failed[s];
	}
	all->archived += r->archived;
	all->archived_pages += r->archived_pages;
}

/* What root k's newest kho run did, added to m. */
static int gather_one(kho_catalog *cat, kho_morning *m, size_t k,
		      kho_snapshot_kept *before, kho_snapshot_kept *after,
		      int *have_before, int *have_after, kho_error *err)
{
	kho_run_row *r = &m->runs[k];
	int rc = kho_run_get(cat, 0, r, err);
	if (rc == KHO_FAIL) {
		memset(r, 0, sizeof(*r));
		return KHO_OK; /* it never ran */
	}
	kho_cov_row *years = NULL, *agencies = NULL;
	size_t ny = 0, na = 0;
	kho_failure_group *groups = NULL, *flagged = NULL;
	size_t ng = 0, nfl = 0;
	if (rc == KHO_OK)
		rc = kho_run_archived(cat, KHO_COV_YEAR, &years, &ny, err);
	if (rc == KHO_OK)
		rc = kho_run_archived(cat, KHO_COV_AGENCY, &agencies, &na, err);
	if (rc == KHO_OK)
		rc = kho_run_failures(cat, ITEMS_MAX, &groups, &ng, err);
	if (rc == KHO_OK)
		rc = kho_run_flagged(cat, kho_morning_look_flags,
				     kho_morning_n_look_flags, ITEMS_MAX,
				     &flagged, &nfl, err);
	kho_run_done(cat);
	if (rc == KHO_OK &&
	    (merge_rows(&m->by_year, &m->n_by_year, years, ny, KHO_COV_YEAR) ||
	     merge_rows(&m->by_agency, &m->n_by_agency, agencies, na,
			KHO_COV_AGENCY) ||
	     merge_groups(&m->failures, &m->n_failures, groups, ng) ||
	     merge_groups(&m->flagged, &m->n_flagged, flagged, nfl)))
		rc = kho_error_set(err, KHO_FATAL, "out of memory");
	for (size_t i = 0; i < ng; i++)
		m->failed += groups[i].count;
	kho_cov_rows_free(years, ny);
	kho_cov_rows_free(agencies, na);
	kho_failure_groups_free(groups, ng);
	kho_failure_groups_free(flagged, nfl);
	if (rc == KHO_OK) {
		rc = kho_snapshot_kept_of_run(cat, r->id, after, err);
		*have_after = rc == KHO_OK;
		if (rc == KHO_FAIL)
			rc = KHO_OK;
	}
	if (rc == KHO_OK) {
		rc = kho_snapshot_kept_before(cat, r->started_at, before, err);
		*have_before = rc == KHO_OK;
		if (rc == KHO_FAIL)
			rc = KHO_OK;
	}
	return rc;
}

int kho_morning_gather_roots(kho_catalog *cat, kho_morning *m, kho_error *err)
{
	const size_t n = m->o.n_others + 1;
	m->runs = calloc(n, sizeof(*m->runs));
	m->n_runs = n;
	kho_snapshot_kept *before = calloc(n, sizeof(*before));
	kho_snapshot_kept *after = calloc(n, sizeof(*after));
	const kho_snapshot_kept **pb = calloc(n, sizeof(*pb));
	const kho_snapshot_kept **pa = calloc(n, sizeof(*pa));
	int rc = m->runs && before && after && pb && pa
			 ? KHO_OK
			 : kho_error_set(err, KHO_FATAL, "out of memory");
	size_t ran = 0;
	for (size_t k = 0; rc == KHO_OK && k < n; k++) {
		int hb = 0, ha = 0;
		rc = gather_one(k ? m->o.others[k - 1] : cat, m, k, &before[k],
				&after[k], &hb, &ha, err);
		pb[k] = hb ? &before[k] : NULL;
		pa[k] = ha ? &after[k] : NULL;
		if (rc == KHO_OK && m->runs[k].id)
			add_run(&m->run, &m->runs[k], ran++ == 0);
	}
	if (rc == KHO_OK && ran == 0)
		rc = kho_error_set(err, KHO_USAGE,
				   "no kho run in these work roots yet");
	if (rc == KHO_OK) {
		if (m->n_by_year > 1)
			qsort(m->by_year, m->n_by_year, sizeof(*m->by_year),
			      by_year);
		if (m->n_by_agency > 1)
			qsort(m->by_agency, m->n_by_agency,
			      sizeof(*m->by_agency), by_agency);
		cut_items(m->failures, m->n_failures);
		if (m->n_failures > 1)
			qsort(m->failures, m->n_failures, sizeof(*m->failures),
			      by_group);
		cut_items(m->flagged, m->n_flagged);
		if (m->n_flagged > 1)
			qsort(m->flagged, m->n_flagged, sizeof(*m->flagged),
			      by_flag);
		m->have_after = kho_snapshot_add_up(&m->o, pa, n, &m->after);
		m->have_before = kho_snapshot_add_up(&m->o, pb, n, &m->before);
	}
	for (size_t k = 0; k < n; k++) {
		if (before)
			kho_snapshot_kept_release(&before[k]);
		if (after)
			kho_snapshot_kept_release(&after[k]);
	}
	free(before);
	free(after);
	free(pb);
	free(pa);
	if (rc == KHO_OK)
		rc = kho_trend_compute(cat, &m->o,
				       m->have_after ? m->after.total.gap : -1,
				       &m->trend, err);
	return rc;
}
