/* The coverage report as text for an 80-column terminal (79 used). */
#include "report/report_util.h"

#include <string.h>

enum { NAME_W = 16, LIST_MAX = 20, TREND_ROWS = 14 };

static void header(FILE *out, const char *title)
{
	kho_put_padded(out, title, NAME_W, 1);
	fprintf(out, "%10s%9s%8s%7s%8s%7s%7s%7s\n", "registered", "archived",
		"in prog", "failed", "to scan", "cover", "target", "gap");
}

/* A name wider than its column gets a line of its own. */
static void row(FILE *out, const char *name, const kho_cov_counts *c)
{
	if (kho_text_width(name) > NAME_W - 1) {
		fprintf(out, "%s\n", name);
		name = "";
	}
	char cover[16], target[16];
	kho_fmt_pct(kho_pct(c->archived, c->registered), cover, sizeof(cover));
	kho_fmt_pct(kho_row_target(c), target, sizeof(target));
	kho_put_padded(out, name, NAME_W, 0);
	fprintf(out, "%10lld%9lld%8lld%7lld%8lld%7s%7s%7lld\n",
		(long long)c->registered, (long long)c->archived,
		(long long)c->in_progress, (long long)c->failed,
		(long long)c->not_scanned, cover, target, (long long)c->gap);
}

static void table(FILE *out, const kho_report *r, kho_cov_level level,
		  const char *title)
{
	fprintf(out, "\n");
	header(out, title);
	for (size_t i = 0; i < r->n[level]; i++) {
		const kho_cov_row *x = &r->levels[level][i];
		char year[16];
		const char *name = x->agency ? x->agency : x->field;
		if (level == KHO_COV_YEAR) {
			snprintf(year, sizeof(year), "%d", x->year);
			name = year;
		}
		row(out, name ? name : "", &x->c);
	}
	if (r->n[level] == 0)
		fprintf(out, "(none)\n");
}

static void records(FILE *out, const kho_cov_record *rec, size_t n,
		    int64_t total, int rescans)
{
	size_t shown = n < LIST_MAX ? n : LIST_MAX;
	for (size_t i = 0; i < shown; i++) {
		fprintf(out, "  %-24s %-11s ", rec[i].record_id, rec[i].state);
		if (rescans)
			fprintf(out, "%d versions, %d in the warehouse\n",
				rec[i].version, rec[i].archived_versions);
		else
			fprintf(out, "version %d\n", rec[i].version);
	}
	if ((int64_t)shown < total)
		fprintf(out,
			"  ... and %lld more (kho report --format json "
			"lists them all)\n",
			(long long)(total - (int64_t)shown));
}

static void trend(FILE *out, const kho_report *r)
{
	const kho_trend *t = &r->trend;
	const kho_cov_row *all = kho_report_total(r, KHO_COV_TOTAL);
	fprintf(out, "\ntrend (the last snapshot of each day)\n");
	if (t->n_days == 0) {
		fprintf(out, "no snapshot yet: every kho run leaves one\n");
	} else {
		fprintf(out, "%-12s%10s%9s%9s%9s%9s%9s\n", "day", "archived",
			"cover", "backlog", "new", "gap", "+night");
		size_t from =
			t->n_days > TREND_ROWS ? t->n_days - TREND_ROWS : 0;
		for (size_t i = from; i < t->n_days; i++) {
			const kho_snapshot *s = &t->days[i];
			char c[16], b[16], nw[16], plus[24] = "";
			kho_fmt_pct(
				kho_pct(s->total.archived, s->total.registered),
				c, sizeof(c));
			kho_fmt_pct(kho_pct(s->backlog.archived,
					    s->backlog.registered),
				    b, sizeof(b));
			kho_fmt_pct(kho_pct(s->recent.archived,
					    s->recent.registered),
				    nw, sizeof(nw));
			if (i > 0)
				snprintf(plus, sizeof(plus), "%+lld",
					 (long long)(s->total.archived -
						     t->days[i - 1]
							     .total.archived));
			fprintf(out, "%-12.10s%10lld%9s%9s%9s%9lld",
				s->taken_at, (long long)s->total.archived, c, b,
				nw, (long long)s->total.gap);
			if (plus[0])
				fprintf(out, "%9s", plus);
			fputc('\n', out);
		}
	}
	if (all->c.gap == 0) {
		fprintf(out, "the targets are met\n");
		return;
	}
	fprintf(out, "%lld record(s) short of the targets\n",
		(long long)all->c.gap);
	if (t->per_night < 0)
		fprintf(out, "  the target date %s has passed\n",
			r->o.target_date);
	else
		fprintf(out,
			"  to meet them by %s: %lld a night (%ld night%s "
			"left)\n",
			r->o.target_date, (long long)t->per_night,
			t->nights_left, t->nights_left == 1 ? "" : "s");
	if (t->recent_per_night >= 0) {
		fprintf(out, "  lately %.0f a night", t->recent_per_night);
		if (t->last_night >= 0)
			fprintf(out, " (%lld last night)",
				(long long)t->last_night);
		if (t->projected[0])
			fprintf(out, ": the gap closes on %s at that pace",
				t->projected);
		else if (t->recent_per_night <= 0)
			fprintf(out, ": at that pace it never closes");
		fprintf(out, "\n");
	}
}

int kho_report_text(const kho_report *r, FILE *out, kho_error *err)
{
	const kho_cov_targets *t = &r->o.targets;
	char when[40];
	kho_fmt_time(r->o.generated_at, when, sizeof(when));
	fprintf(out, "kho report, %s: ", when);
	const char *root = r->o.label ? r->o.label : r->o.root;
	kho_put_tail(out, root ? root : "", 79 - 33);
	fprintf(out, "\n");
	const kho_cov_row *all = kho_report_total(r, KHO_COV_TOTAL);
	if (r->last_import.id) {
		char at[40];
		kho_fmt_time(r->last_import.imported_at, at, sizeof(at));
		fprintf(out, "register: %lld record(s), imported %s from\n  ",
			(long long)all->c.registered, at);
		kho_put_tail(out, r->last_import.file, 77);
		fprintf(out, "\n");
	} else {
		fprintf(out, "register: empty (kho register import FILE.csv "
			     "loads it)\n");
	}
	fprintf(out,
		"targets: %d%% of each year %d-%d (backlog), %d%% from %d on, "
		"by %s\n",
		t->backlog_pct, t->backlog_from, t->backlog_to, t->new_pct,
		t->backlog_to + 1, r->o.target_date);

	fprintf(out, "\n");
	header(out, "");
	row(out, "all", &all->c);
	row(out, "backlog", &kho_report_total(r, KHO_COV_BACKLOG)->c);
	row(out, "new", &kho_report_total(r, KHO_COV_NEW)->c);
	table(out, r, KHO_COV_YEAR, "year");
	table(out, r, KHO_COV_AGENCY, "agency");
	table(out, r, KHO_COV_FIELD, "field");

	fprintf(out,
		"\norphans, in the catalog but not in the register: %lld "
		"(%lld archived)\n",
		(long long)r->orphans_total, (long long)r->orphans_archived);
	records(out, r->orphans, r->n_orphans, r->orphans_total, 0);
	fprintf(out, "scanned more than once: %lld record(s)\n",
		(long long)r->rescanned_total);
	records(out, r->rescanned, r->n_rescanned, r->rescanned_total, 1);

	trend(out, r);

	fprintf(out,
		"\nkho status counts %lld archived: %lld of the register and "
		"%lld orphan(s)\n",
		(long long)r->status.archived, (long long)all->c.archived,
		(long long)r->orphans_archived);
	if (all->c.not_scanned > 0)
		fprintf(out,
			"not yet scanned: %lld; the list for the desk:\n"
			"  kho report --missing -o missing.csv\n",
			(long long)all->c.not_scanned);
	return kho_stream_check(out, err);
}
