/*
 * The coverage report as one self-contained HTML page: inline CSS and
 * SVG, no script, no font or image fetched from anywhere.  Written as
 * well-formed XML (every element closed, text escaped) so that any XML
 * parser reads it.  Readable on a phone (the charts scale, the tables
 * scroll) and printed on A4.
 */
#include "report/report_svg.h"

#include <string.h>

#include "kho_version.h"

enum { LIST_MAX = 50, TREND_ROWS = 14 };

static const char css[] =
	":root{--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;"
	"--arch:" KHO_SVG_ARCHIVED ";--fail:" KHO_SVG_FAILED "}"
	"*{box-sizing:border-box}"
	"html{-webkit-text-size-adjust:100%;text-size-adjust:100%}"
	"body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"\"Noto Sans\",\"DejaVu Sans\",Arial,sans-serif;color:var(--ink);"
	"background:#fff;margin:0 auto;max-width:980px;padding:16px 20px;"
	"line-height:1.45;font-size:15px}"
	"h1{font-size:1.55rem;margin:0 0 .2rem}"
	"h2{font-size:1.15rem;margin:1.6rem 0 .6rem;padding-bottom:.2rem;"
	"border-bottom:2px solid var(--line)}"
	"p{margin:.4rem 0}"
	".meta{color:var(--muted);font-size:.9rem}"
	".cards{display:grid;grid-template-columns:repeat(auto-fit,"
	"minmax(150px,1fr));gap:10px;margin-top:1rem}"
	".card{border:1px solid var(--line);border-radius:6px;padding:10px "
	"12px}"
	".card .k{font-size:.85rem;color:var(--muted)}"
	".card .v{font-size:1.9rem;font-weight:700;line-height:1.2}"
	".card .s{font-size:.85rem}"
	".short{color:var(--fail);font-weight:600}"
	".met{color:var(--arch);font-weight:600}"
	"figure{margin:.5rem 0 1rem}"
	"svg.chart{display:block;width:100%;max-width:640px;height:auto}"
	"svg.chart text{font-size:12px;fill:#1b1f24}"
	"svg.chart text.small{font-size:10.5px;fill:#57606a}"
	"svg.chart text.value{font-weight:600}"
	".legend{font-size:.85rem;margin:.3rem 0;display:flex;flex-wrap:wrap;"
	"gap:.3rem 1rem}"
	".legend span{white-space:nowrap}"
	".legend svg{vertical-align:-1px;margin-right:.3em}"
	"figcaption{font-size:.85rem;color:var(--muted)}"
	".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}"
	"table{border-collapse:collapse;width:100%;font-size:.88rem;"
	"font-variant-numeric:tabular-nums}"
	"th,td{padding:4px 7px;border-bottom:1px solid var(--line);"
	"text-align:right;white-space:nowrap;vertical-align:top}"
	"th{font-weight:600;background:#f6f8fa;white-space:normal;"
	"vertical-align:bottom}"
	"th:first-child,td:first-child{text-align:left;white-space:normal;"
	"min-width:7em}"
	"tr.sum td{font-weight:600}"
	"table.groups td:nth-child(-n+3),table.groups th:nth-child(-n+3){"
	"text-align:left;white-space:normal}"
	"code{font-size:.9em}"
	"details summary{cursor:pointer;color:var(--muted)}"
	"ul.ids{columns:14em;padding-left:1.2em;font-size:.88rem}"
	"footer{margin-top:2rem;font-size:.8rem;color:var(--muted)}"
	"@media (max-width:600px){body{font-size:14px;padding:10px 12px}"
	".card .v{font-size:1.5rem}th,td{padding:3px 4px}"
	"table{font-size:.82rem}.opt{display:none}"
	"th:first-child,td:first-child{min-width:0}"
	"svg.chart text{font-size:14px}svg.chart text.small{font-size:12px}}"
	"@media print{@page{size:A4;margin:14mm 12mm}"
	"body{max-width:none;padding:0;font-size:9.5pt}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	".cards{grid-template-columns:repeat(4,1fr)}"
	"figure,.card,tr{break-inside:avoid}h2{break-after:avoid}"
	"th:first-child,td:first-child{min-width:14em}"
	"table.groups td:first-child{min-width:0}"
	"svg.chart{max-width:15cm}.scroll{overflow:visible}}";

static void put(FILE *out, const char *s)
{
	kho_xml_put(out, s);
}

static void count_cell(FILE *out, int64_t v)
{
	char s[48];
	kho_fmt_count(v, s, sizeof(s));
	fprintf(out, "<td>%s</td>", s);
}

/* A column a phone leaves out (the chart shows it). */
static void opt_cell(FILE *out, int64_t v)
{
	char s[48];
	kho_fmt_count(v, s, sizeof(s));
	fprintf(out, "<td class=\"opt\">%s</td>", s);
}

static void swatch(FILE *out, const char *fill, const char *name)
{
	fprintf(out,
		"<span><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"12\" "
		"height=\"12\" viewBox=\"0 0 12 12\" "
		"aria-hidden=\"true\"><rect width=\"12\" height=\"12\" "
		"fill=\"%s\" stroke=\"#888\" stroke-width=\"0.5\"/></svg>%s"
		"</span>",
		fill, name);
}

/* The key of the stacked bars, as text that wraps on a phone. */
static void legend(FILE *out, const char *target)
{
	fputs("<p class=\"legend\">", out);
	swatch(out, KHO_SVG_ARCHIVED, "archived");
	swatch(out, KHO_SVG_PROGRESS, "in progress");
	swatch(out, KHO_SVG_FAILED, "failed");
	swatch(out, KHO_SVG_TODO, "not yet scanned");
	fprintf(out,
		"<span><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"18\" "
		"height=\"12\" viewBox=\"0 0 18 12\" "
		"aria-hidden=\"true\"><line x1=\"0\" y1=\"6\" x2=\"18\" "
		"y2=\"6\" stroke=\"%s\" stroke-width=\"2.5\"%s/></svg>%s"
		"</span></p>\n",
		KHO_SVG_TARGET,
		strcmp(target, "target") == 0 ? " stroke-dasharray=\"4 2\""
					      : "",
		target);
}

static void pct_cell(FILE *out, double p)
{
	char s[16];
	kho_fmt_pct(p, s, sizeof(s));
	fprintf(out, "<td>%s</td>", s);
}

/* The heading of a table: its name columns, then the counts. */
static void head_row(FILE *out, const char *const *names, int n)
{
	fputs("<thead><tr>", out);
	for (int i = 0; i < n; i++) {
		fputs("<th>", out);
		put(out, names[i]);
		fputs("</th>", out);
	}
	fputs("<th>registered</th><th>archived</th>"
	      "<th class=\"opt\">in progress</th><th class=\"opt\">failed</th>"
	      "<th class=\"opt\">not yet scanned</th><th>coverage</th>"
	      "<th>target</th><th>gap</th></tr></thead>\n",
	      out);
}

static void data_row(FILE *out, const char *const *names, int n,
		     const kho_cov_counts *c, int sum)
{
	fprintf(out, "<tr%s>", sum ? " class=\"sum\"" : "");
	for (int i = 0; i < n; i++) {
		fputs("<td>", out);
		put(out, names[i]);
		fputs("</td>", out);
	}
	count_cell(out, c->registered);
	count_cell(out, c->archived);
	opt_cell(out, c->in_progress);
	opt_cell(out, c->failed);
	opt_cell(out, c->not_scanned);
	pct_cell(out, kho_pct(c->archived, c->registered));
	pct_cell(out, kho_row_target(c));
	char gap[48];
	kho_fmt_count(c->gap, gap, sizeof(gap));
	fprintf(out, "<td class=\"%s\">%s</td></tr>\n",
		c->gap > 0	  ? "short"
		: c->targeted > 0 ? "met"
				  : "",
		gap);
}

static void table(FILE *out, const kho_report *r, kho_cov_level level,
		  const char *first)
{
	static const char *const group_names[] = {"year", "agency", "field"};
	int group = level == KHO_COV_GROUP;
	fprintf(out, "<div class=\"scroll\"><table%s>\n",
		group ? " class=\"groups\"" : "");
	head_row(out, group ? group_names : &first, group ? 3 : 1);
	fputs("<tbody>\n", out);
	for (size_t i = 0; i < r->n[level]; i++) {
		const kho_cov_row *x = &r->levels[level][i];
		char year[16];
		snprintf(year, sizeof(year), "%d", x->year);
		const char *names[3] = {year, x->agency, x->field};
		if (group)
			data_row(out, names, 3, &x->c, 0);
		else if (level == KHO_COV_YEAR)
			data_row(out, names, 1, &x->c, 0);
		else
			data_row(out, x->agency ? &names[1] : &names[2], 1,
				 &x->c, 0);
	}
	if (!group) {
		const char *all = "all";
		data_row(out, &all, 1, &kho_report_total(r, KHO_COV_TOTAL)->c,
			 1);
	}
	fputs("</tbody></table></div>\n", out);
}

static void card(FILE *out, const char *key, const char *value, const char *sub,
		 int short_of)
{
	fputs("<div class=\"card\"><div class=\"k\">", out);
	put(out, key);
	fputs("</div><div class=\"v\">", out);
	put(out, value);
	fprintf(out, "</div><div class=\"s%s\">", short_of ? " short" : "");
	put(out, sub);
	fputs("</div></div>\n", out);
}

static void cards(FILE *out, const kho_report *r)
{
	const kho_cov_targets *t = &r->o.targets;
	const kho_cov_row *all = kho_report_total(r, KHO_COV_TOTAL);
	const kho_cov_row *bl = kho_report_total(r, KHO_COV_BACKLOG);
	const kho_cov_row *nw = kho_report_total(r, KHO_COV_NEW);
	char v[32], sub[160], a[48], b[48], key[64];
	fputs("<div class=\"cards\">\n", out);
	kho_fmt_pct(kho_pct(all->c.archived, all->c.registered), v, sizeof(v));
	kho_fmt_count(all->c.archived, a, sizeof(a));
	kho_fmt_count(all->c.registered, b, sizeof(b));
	snprintf(sub, sizeof(sub), "%s of %s registered results archived", a,
		 b);
	card(out, "All years", v, sub, 0);
	const struct {
		const kho_cov_row *row;
		int pct;
	} eras[] = {{bl, t->backlog_pct}, {nw, t->new_pct}};
	for (int k = 0; k < 2; k++) {
		const kho_cov_row *x = eras[k].row;
		if (k == 0)
			snprintf(key, sizeof(key), "Backlog %d\xE2\x80\x93%d",
				 t->backlog_from, t->backlog_to);
		else
			snprintf(key, sizeof(key), "New results, %d on",
				 t->backlog_to + 1);
		kho_fmt_pct(kho_pct(x->c.archived, x->c.registered), v,
			    sizeof(v));
		kho_fmt_count(x->c.gap, a, sizeof(a));
		if (x->c.gap > 0)
			snprintf(sub, sizeof(sub), "target %d%%: %s short",
				 eras[k].pct, a);
		else
			snprintf(sub, sizeof(sub), "target %d%%: met",
				 eras[k].pct);
		card(out, key, v, sub, x->c.gap > 0);
	}
	const kho_trend *tr = &r->trend;
	snprintf(key, sizeof(key), "Needed a night until %s", r->o.target_date);
	if (all->c.gap == 0) {
		snprintf(v, sizeof(v), "0");
		snprintf(sub, sizeof(sub), "the targets are met");
	} else if (tr->per_night < 0) {
		snprintf(v, sizeof(v), "-");
		snprintf(sub, sizeof(sub), "the target date has passed");
	} else {
		kho_fmt_count(tr->per_night, v, sizeof(v));
		if (tr->recent_per_night >= 0)
			snprintf(sub, sizeof(sub),
				 "%ld nights left; lately %.0f a night",
				 tr->nights_left, tr->recent_per_night);
		else
			snprintf(sub, sizeof(sub), "%ld nights left",
				 tr->nights_left);
	}
	card(out, key, v, sub,
	     tr->per_night > 0 && tr->recent_per_night >= 0 &&
		     tr->recent_per_night < (double)tr->per_night);
	fputs("</div>\n", out);
}

static void trend_section(FILE *out, const kho_report *r)
{
	const kho_trend *t = &r->trend;
	fputs("<h2 id=\"trend\">Night by night</h2>\n<figure>\n", out);
	kho_svg_trend(out, t, &r->o.targets);
	fputs("<figcaption>Coverage after each night (the last snapshot of "
	      "each day), all years and the backlog and new results apart; "
	      "dashed: their targets.</figcaption></figure>\n",
	      out);
	if (t->n_days > 0) {
		fputs("<div class=\"scroll\"><table><thead><tr><th>day</th>"
		      "<th>archived</th><th>that night</th><th>coverage</th>"
		      "<th>backlog</th><th>new</th><th>gap</th></tr></thead>"
		      "<tbody>\n",
		      out);
		size_t from =
			t->n_days > TREND_ROWS ? t->n_days - TREND_ROWS : 0;
		for (size_t i = t->n_days; i-- > from;) {
			const kho_snapshot *s = &t->days[i];
			fprintf(out, "<tr><td>%.10s</td>", s->taken_at);
			count_cell(out, s->total.archived);
			if (i > 0)
				fprintf(out, "<td>%+lld</td>",
					(long long)(s->total.archived -
						    t->days[i - 1]
							    .total.archived));
			else
				fputs("<td></td>", out);
			pct_cell(out, kho_pct(s->total.archived,
					      s->total.registered));
			pct_cell(out, kho_pct(s->backlog.archived,
					      s->backlog.registered));
			pct_cell(out, kho_pct(s->recent.archived,
					      s->recent.registered));
			count_cell(out, s->total.gap);
			fputs("</tr>\n", out);
		}
		fputs("</tbody></table></div>\n", out);
	}
	const kho_cov_row *all = kho_report_total(r, KHO_COV_TOTAL);
	char gap[48], need[48];
	kho_fmt_count(all->c.gap, gap, sizeof(gap));
	kho_fmt_count(t->per_night, need, sizeof(need));
	fputs("<p>", out);
	if (all->c.gap == 0)
		fputs("The targets are met.", out);
	else if (t->per_night < 0)
		fprintf(out,
			"%s records short of the targets; the target date "
			"%s has passed.",
			gap, r->o.target_date);
	else
		fprintf(out,
			"%s records short of the targets: <strong>%s a "
			"night</strong> to meet them by %s (%ld nights "
			"left).",
			gap, need, r->o.target_date, t->nights_left);
	if (t->recent_per_night >= 0) {
		fprintf(out, " Lately %.0f a night", t->recent_per_night);
		if (t->projected[0])
			fprintf(out, ": at that pace the gap closes on %s.",
				t->projected);
		else
			fputs(".", out);
	}
	fputs("</p>\n", out);
}

static void record_list(FILE *out, const kho_cov_record *rec, size_t n,
			int64_t total, int rescans)
{
	if (total == 0)
		return;
	fputs("<ul class=\"ids\">\n", out);
	size_t shown = n < LIST_MAX ? n : LIST_MAX;
	for (size_t i = 0; i < shown; i++) {
		fputs("<li><code>", out);
		put(out, rec[i].record_id);
		fprintf(out, "</code> %s", rec[i].state);
		if (rescans)
			fprintf(out, ", version %d, %d in the warehouse",
				rec[i].version, rec[i].archived_versions);
		fputs("</li>\n", out);
	}
	fputs("</ul>\n", out);
	if ((int64_t)shown < total)
		fprintf(out,
			"<p>... and %lld more: <code>kho report --format "
			"json</code> lists them all.</p>\n",
			(long long)(total - (int64_t)shown));
}

static void heading(FILE *out, const kho_report *r)
{
	char when[40];
	kho_fmt_time(r->o.generated_at, when, sizeof(when));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\"/>\n"
	      "<title>Coverage of the register \xE2\x80\x93 ",
	      out);
	put(out, r->o.today);
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
	fputs("<header>\n<h1>Coverage of the register</h1>\n"
	      "<p class=\"meta\">",
	      out);
	put(out, when);
	if (r->o.label) {
		fputs(" \xC2\xB7 ", out);
		put(out, r->o.label);
	} else if (r->o.root) {
		fputs(" \xC2\xB7 work root <code>", out);
		put(out, r->o.root);
		fputs("</code>", out);
	}
	fputs("<br/>", out);
	if (r->last_import.id) {
		char at[40], n[48];
		kho_fmt_time(r->last_import.imported_at, at, sizeof(at));
		kho_fmt_count(kho_report_total(r, KHO_COV_TOTAL)->c.registered,
			      n, sizeof(n));
		fprintf(out, "register: %s results, imported %s from <code>", n,
			at);
		put(out, r->last_import.file);
		fputs("</code>", out);
	} else {
		fputs("the register is empty: <code>kho register import "
		      "FILE.csv</code> loads it",
		      out);
	}
	const kho_cov_targets *t = &r->o.targets;
	fprintf(out,
		"<br/>targets: %d%% of each backlog year %d\xE2\x80\x93%d, "
		"%d%% of each year from %d, by %s</p>\n</header>\n",
		t->backlog_pct, t->backlog_from, t->backlog_to, t->new_pct,
		t->backlog_to + 1, r->o.target_date);
}

int kho_report_html(const kho_report *r, FILE *out, kho_error *err)
{
	heading(out, r);
	fputs("<main>\n", out);
	cards(out, r);

	fputs("<h2 id=\"years\">Per year of issue</h2>\n<figure>\n", out);
	kho_svg_years(out, r->levels[KHO_COV_YEAR], r->n[KHO_COV_YEAR],
		      &r->o.targets);
	legend(out, "target");
	fputs("<figcaption>Each bar is one year's registered results; the "
	      "dashed line is that year's target.</figcaption></figure>\n",
	      out);
	table(out, r, KHO_COV_YEAR, "year");

	fputs("<h2 id=\"agencies\">Per agency</h2>\n<figure>\n", out);
	kho_svg_bars(out, r->levels[KHO_COV_AGENCY], r->n[KHO_COV_AGENCY],
		     "agency");
	legend(out, "target (tick)");
	fputs("<figcaption>Coverage of each agency's results; the tick is its "
	      "target (weighted by year of issue).</figcaption></figure>\n",
	      out);
	table(out, r, KHO_COV_AGENCY, "agency");

	fputs("<h2 id=\"fields\">Per field</h2>\n<figure>\n", out);
	kho_svg_bars(out, r->levels[KHO_COV_FIELD], r->n[KHO_COV_FIELD],
		     "field");
	legend(out, "target (tick)");
	fputs("</figure>\n", out);
	table(out, r, KHO_COV_FIELD, "field");

	trend_section(out, r);

	fprintf(out,
		"<h2 id=\"orphans\">Archived but not registered</h2>\n"
		"<p>%lld record(s) in the catalog that the register does not "
		"know (%lld archived): often a mistyped id. Check them against "
		"the register, then correct the id or the register.</p>\n",
		(long long)r->orphans_total, (long long)r->orphans_archived);
	record_list(out, r->orphans, r->n_orphans, r->orphans_total, 0);

	fprintf(out,
		"<h2 id=\"twice\">Scanned more than once</h2>\n<p>%lld "
		"record(s) with more than one version (a re-scan).</p>\n",
		(long long)r->rescanned_total);
	record_list(out, r->rescanned, r->n_rescanned, r->rescanned_total, 1);

	fprintf(out,
		"<h2 id=\"groups\">Year, agency and field</h2>\n<details%s>"
		"<summary>%zu groups</summary>\n",
		r->n[KHO_COV_GROUP] <= 40 ? " open=\"open\"" : "",
		r->n[KHO_COV_GROUP]);
	table(out, r, KHO_COV_GROUP, NULL);
	fputs("</details>\n", out);

	const kho_cov_row *all = kho_report_total(r, KHO_COV_TOTAL);
	char n[48];
	kho_fmt_count(all->c.not_scanned, n, sizeof(n));
	fprintf(out,
		"<h2 id=\"notes\">How to read it</h2>\n<p><strong>Archived"
		"</strong>: the current version of the record is packed into a "
		"sealed warehouse volume (as <code>kho status</code> counts "
		"it: %lld archived there, %lld of them registered and %lld "
		"orphans). <strong>In progress</strong>: waiting or running at "
		"a stage. <strong>Failed</strong>: its furthest stage failed; "
		"<code>kho status</code> says why. <strong>Not yet "
		"scanned</strong>: no scan of it reached kho.</p>\n"
		"<p><strong>Target</strong>: the percentage of a year's "
		"registered results to archive; for an agency or a field, "
		"weighted by its years. <strong>Gap</strong>: the records "
		"still to archive to meet it, year by year (a surplus in one "
		"year does not make up for another).</p>\n"
		"<p>The %s results not yet scanned, for the scanning desks: "
		"<code>kho report --missing -o missing.csv</code> (also "
		"<code>--agency NAME</code>, <code>--year YEAR</code>).</p>\n",
		(long long)r->status.archived, (long long)all->c.archived,
		(long long)r->orphans_archived, n);
	fprintf(out,
		"</main>\n<footer>kho %s \xC2\xB7 report generated %s"
		"</footer>\n</body>\n</html>\n",
		KHO_VERSION_STRING, r->o.generated_at);
	return kho_stream_check(out, err);
}
