#include "report/report_svg.h"

#include <math.h>
#include <string.h>

/* Charts are 420 units wide: at a phone's 360 px their 12-unit text stays
 * readable, and the page caps them at 640 px on a screen. */
enum { W = 420 };

void kho_xml_put(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			/* Control characters are not allowed in XML 1.0. */
			if ((unsigned char)*s < 0x20 && *s != '\n' &&
			    *s != '\t')
				fputc(' ', out);
			else
				fputc(*s, out);
		}
	}
}

void kho_fmt_count(int64_t v, char *out, size_t cap)
{
	char digits[32];
	snprintf(digits, sizeof(digits), "%lld", (long long)(v < 0 ? -v : v));
	size_t n = strlen(digits), o = 0;
	if (v < 0 && o + 1 < cap)
		out[o++] = '-';
	for (size_t i = 0; i < n && o + 4 < cap; i++) {
		if (i > 0 && (n - i) % 3 == 0) {
			/* U+202F NARROW NO-BREAK SPACE */
			out[o++] = '\xE2';
			out[o++] = '\x80';
			out[o++] = '\xAF';
		}
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

static void svg_open(FILE *out, int h, const char *label)
{
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" "
		"viewBox=\"0 0 %d "
		"%d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"",
		W, h, W, h);
	kho_xml_put(out, label);
	fprintf(out, "\"><title>");
	kho_xml_put(out, label);
	fprintf(out, "</title>\n");
}

static void rect(FILE *out, double x, double y, double w, double h,
		 const char *fill)
{
	if (w <= 0 || h <= 0)
		return;
	fprintf(out,
		"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		"fill=\"%s\"/>\n",
		x, y, w, h, fill);
}

static void text(FILE *out, double x, double y, const char *anchor,
		 const char *cls, const char *s)
{
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"", x, y,
		anchor);
	if (cls)
		fprintf(out, " class=\"%s\"", cls);
	fputc('>', out);
	kho_xml_put(out, s);
	fputs("</text>\n", out);
}

/* The four parts of a bar, in units of 100. */
static void parts(const kho_cov_counts *c, double p[4])
{
	double reg = c->registered > 0 ? (double)c->registered : 1.0;
	p[0] = 100.0 * (double)c->archived / reg;
	p[1] = 100.0 * (double)c->in_progress / reg;
	p[2] = 100.0 * (double)c->failed / reg;
	p[3] = c->registered > 0 ? 100.0 - p[0] - p[1] - p[2] : 100.0;
}

static const char *const part_fill[4] = {KHO_SVG_ARCHIVED, KHO_SVG_PROGRESS,
					 KHO_SVG_FAILED, KHO_SVG_TODO};

void kho_svg_years(FILE *out, const kho_cov_row *years, size_t n,
		   const kho_cov_targets *t)
{
	const double left = 40, right = W - 8, top = 22, bottom = 196;
	const int h = 234;
	svg_open(out, h, "Coverage per year of issue against its target");
	for (int g = 0; g <= 100; g += 25) {
		double y = bottom - (bottom - top) * g / 100.0;
		char label[8];
		snprintf(label, sizeof(label), "%d%%", g);
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#d0d7de\" stroke-width=\"0.6\"/>\n",
			left, y, right, y);
		text(out, left - 4, y + 4, "end", "small", label);
	}
	if (n == 0)
		text(out, (left + right) / 2, (top + bottom) / 2, "middle",
		     NULL, "the register is empty");
	double slot = n ? (right - left) / (double)n : 0;
	double bw = slot * 0.6 > 46 ? 46 : slot * 0.6;
	for (size_t i = 0; i < n; i++) {
		const kho_cov_row *r = &years[i];
		double cx = left + slot * ((double)i + 0.5);
		double p[4];
		parts(&r->c, p);
		char title[160], cover[16];
		kho_fmt_pct(kho_pct(r->c.archived, r->c.registered), cover,
			    sizeof(cover));
		snprintf(title, sizeof(title),
			 "%d: %s archived, %lld of %lld registered", r->year,
			 cover, (long long)r->c.archived,
			 (long long)r->c.registered);
		fputs("<g><title>", out);
		kho_xml_put(out, title);
		fputs("</title>\n", out);
		double y = bottom;
		for (int k = 0; k < 4; k++) {
			double hh = (bottom - top) * p[k] / 100.0;
			rect(out, cx - bw / 2, y - hh, bw, hh, part_fill[k]);
			y -= hh;
		}
		fputs("</g>\n", out);
		int target = kho_cov_target_of(t, r->year);
		if (target >= 0) {
			double ty = bottom - (bottom - top) * target / 100.0;
			double half = slot * 0.42;
			fprintf(out,
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\" "
				"stroke-dasharray=\"4 2\"/>\n",
				cx - half, ty, cx + half, ty, KHO_SVG_TARGET);
		}
		text(out, cx, top - 6, "middle", "value", cover);
		char year[16];
		snprintf(year, sizeof(year), "%d", r->year);
		text(out, cx, bottom + 15, "middle", NULL, year);
		char count[48];
		kho_fmt_count(r->c.registered, count, sizeof(count));
		text(out, cx, bottom + 29, "middle", "small", count);
	}
	fputs("</svg>\n", out);
}

void kho_svg_bars(FILE *out, const kho_cov_row *rows, size_t n,
		  const char *what)
{
	/* The name takes the whole width above its bar; the coverage is
	 * right of the bar. */
	const double left = 2, right = W - 72;
	const int row_h = 40;
	int h = (int)n * row_h + 4;
	char label[64];
	snprintf(label, sizeof(label), "Coverage per %s against its target",
		 what);
	svg_open(out, h, label);
	for (size_t i = 0; i < n; i++) {
		const kho_cov_row *r = &rows[i];
		const char *name = r->agency ? r->agency : r->field;
		double y0 = (double)i * row_h;
		double p[4];
		parts(&r->c, p);
		char cover[16];
		kho_fmt_pct(kho_pct(r->c.archived, r->c.registered), cover,
			    sizeof(cover));
		text(out, left, y0 + 14, "start", NULL, name ? name : "");
		text(out, W - 2, y0 + 32, "end", "value", cover);
		double x = left;
		for (int k = 0; k < 4; k++) {
			double w = (right - left) * p[k] / 100.0;
			rect(out, x, y0 + 21, w, 13, part_fill[k]);
			x += w;
		}
		double tp = kho_row_target(&r->c);
		if (tp >= 0) {
			double tx = left + (right - left) * tp / 100.0;
			fprintf(out,
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"%s\" "
				"stroke-width=\"2.5\"/>\n",
				tx, y0 + 17, tx, y0 + 38, KHO_SVG_TARGET);
		}
	}
	fputs("</svg>\n", out);
}

static void polyline(FILE *out, const double *x, const double *y, size_t n,
		     const char *stroke, double width)
{
	if (n > 1) {
		fprintf(out,
			"<polyline fill=\"none\" stroke=\"%s\" "
			"stroke-width=\"%.1f\" points=\"",
			stroke, width);
		for (size_t i = 0; i < n; i++)
			fprintf(out, "%s%.1f,%.1f", i ? " " : "", x[i], y[i]);
		fputs("\"/>\n", out);
	}
	for (size_t i = 0; i < n; i++)
		fprintf(out,
			"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
			"fill=\"%s\"/>\n",
			x[i], y[i], stroke);
}

void kho_svg_trend(FILE *out, const kho_trend *t, const kho_cov_targets *tg)
{
	const double left = 40, right = W - 8, top = 12, bottom = 176;
	const int h = 230;
	svg_open(out, h, "Coverage night by night against the targets");
	size_t n = t->n_days;
	/* The scale: from a little under the lowest value to 100%. */
	double lo = 100;
	for (size_t i = 0; i < n; i++) {
		const kho_snapshot *s = &t->days[i];
		const kho_cov_counts *c[] = {&s->total, &s->backlog,
					     &s->recent};
		for (int k = 0; k < 3; k++) {
			double p = kho_pct(c[k]->archived, c[k]->registered);
			if (p >= 0 && p < lo)
				lo = p;
		}
	}
	lo = floor((lo - 5) / 10.0) * 10.0;
	if (lo < 0 || n == 0)
		lo = 0;
	if (lo > 80)
		lo = 80;
#define Y(p) (bottom - (bottom - top) * ((p)-lo) / (100.0 - lo))
	for (int g = (int)lo; g <= 100; g += lo >= 60 ? 10 : 20) {
		char label[8];
		snprintf(label, sizeof(label), "%d%%", g);
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"#d0d7de\" stroke-width=\"0.6\"/>\n",
			left, Y(g), right, Y(g));
		text(out, left - 4, Y(g) + 4, "end", "small", label);
	}
	const struct {
		int pct;
		const char *stroke;
		const char *name;
	} targets[] = {
		{tg->backlog_pct, KHO_SVG_BACKLOG, "backlog target"},
		{tg->new_pct, KHO_SVG_NEW, "new results target"},
	};
	for (size_t k = 0; k < KHO_ARRAY_SIZE(targets); k++) {
		double y = Y(targets[k].pct);
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			"stroke=\"%s\" stroke-width=\"1.5\" "
			"stroke-dasharray=\"5 3\"/>\n",
			left, y, right, y, targets[k].stroke);
	}
	if (n == 0) {
		text(out, (left + right) / 2, (top + bottom) / 2, "middle",
		     NULL, "no snapshot yet: every kho run leaves one");
	} else {
		double *x = calloc(n, sizeof(*x));
		double *y = calloc(n * 3, sizeof(*y));
		if (x && y) {
			long d0 = kho_report_day_number(t->days[0].taken_at);
			long d1 = d0;
			for (size_t i = 1; i < n; i++) {
				long d = kho_report_day_number(
					t->days[i].taken_at);
				d0 = d < d0 ? d : d0;
				d1 = d > d1 ? d : d1;
			}
			for (size_t i = 0; i < n; i++) {
				const kho_snapshot *s = &t->days[i];
				long d = kho_report_day_number(s->taken_at);
				x[i] = d1 > d0 ? left + (right - left) *
								 (double)(d -
									  d0) /
								 (double)(d1 -
									  d0)
					       : (left + right) / 2;
				const kho_cov_counts *c[] = {
					&s->total, &s->backlog, &s->recent};
				for (int k = 0; k < 3; k++) {
					double p = kho_pct(c[k]->archived,
							   c[k]->registered);
					y[k * n + i] = Y(p < 0 ? lo : p);
				}
			}
			polyline(out, x, y + n, n, KHO_SVG_BACKLOG, 2);
			polyline(out, x, y + 2 * n, n, KHO_SVG_NEW, 2);
			polyline(out, x, y, n, KHO_SVG_TARGET, 2.5);
			char day[16];
			snprintf(day, sizeof(day), "%.10s",
				 t->days[0].taken_at);
			text(out, x[0], bottom + 15, n > 1 ? "start" : "middle",
			     "small", day);
			if (n > 1) {
				snprintf(day, sizeof(day), "%.10s",
					 t->days[n - 1].taken_at);
				text(out, x[n - 1], bottom + 15, "end", "small",
				     day);
			}
		}
		free(x);
		free(y);
	}
#undef Y
	/* The legend: three lines and the dashed targets. */
	const struct {
		const char *name;
		const char *stroke;
		const char *dash;
	} keys[] = {
		{"all", KHO_SVG_TARGET, ""},
		{"backlog", KHO_SVG_BACKLOG, ""},
		{"new", KHO_SVG_NEW, ""},
		{"targets", "#666666", "5 3"},
	};
	double lx = left;
	for (size_t k = 0; k < KHO_ARRAY_SIZE(keys); k++) {
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"%s\" stroke-width=\"2.5\"%s%s%s/>\n",
			lx, h - 12, lx + 18, h - 12, keys[k].stroke,
			keys[k].dash[0] ? " stroke-dasharray=\"" : "",
			keys[k].dash, keys[k].dash[0] ? "\"" : "");
		text(out, lx + 22, h - 8, "start", "small", keys[k].name);
		lx += 22 + 6.2 * (double)strlen(keys[k].name) + 16;
	}
	fputs("</svg>\n", out);
}
