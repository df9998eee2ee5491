#include "report/report_util.h"

#include <errno.h>
#include <math.h>
#include <string.h>

double kho_pct(int64_t part, int64_t whole)
{
	return whole > 0 ? 100.0 * (double)part / (double)whole : -1.0;
}

void kho_fmt_pct(double pct, char *out, size_t cap)
{
	if (pct < 0) {
		snprintf(out, cap, "-");
		return;
	}
	snprintf(out, cap, "%.1f%%", kho_pct_shown(pct, 1));
}

double kho_pct_shown(double pct, int decimals)
{
	double scale = decimals == 2 ? 100.0 : 10.0;
	double shown = floor(pct * scale + 0.5) / scale;
	/* Never 100% for what is not all of it, nor 0% for what is some. */
	if (shown >= 100.0 && pct < 100.0)
		shown = 100.0 - 1.0 / scale;
	if (shown <= 0.0 && pct > 0.0)
		shown = 1.0 / scale;
	return shown;
}

double kho_row_target(const kho_cov_counts *c)
{
	return c->targeted > 0 ? (double)c->target_weight / (double)c->targeted
			       : -1.0;
}

static int is_combining(unsigned cp)
{
	return (cp >= 0x0300 && cp <= 0x036F) ||
	       (cp >= 0x1AB0 && cp <= 0x1AFF) ||
	       (cp >= 0x1DC0 && cp <= 0x1DFF) ||
	       (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE20 && cp <= 0xFE2F);
}

/* The code point at s and its length in bytes (1 for a stray byte). */
static unsigned next_cp(const unsigned char *s, size_t *len)
{
	unsigned c = s[0];
	if (c < 0x80 || !s[1]) {
		*len = 1;
		return c;
	}
	if ((c & 0xE0) == 0xC0) {
		*len = 2;
		return ((c & 0x1F) << 6) | (s[1] & 0x3F);
	}
	if ((c & 0xF0) == 0xE0 && s[2]) {
		*len = 3;
		return ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) |
		       (s[2] & 0x3F);
	}
	if ((c & 0xF8) == 0xF0 && s[2] && s[3]) {
		*len = 4;
		return ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) |
		       ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
	}
	*len = 1;
	return c;
}

size_t kho_text_width(const char *s)
{
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t len;
		unsigned cp = next_cp(p, &len);
		if (!is_combining(cp))
			w++;
		p += len;
	}
	return w;
}

void kho_put_padded(FILE *out, const char *s, size_t width, int cut)
{
	size_t w = kho_text_width(s);
	if (w <= width || !cut) {
		fputs(s, out);
		for (; w < width; w++)
			fputc(' ', out);
		return;
	}
	/* Cut to width - 1 columns, then "…". */
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0;
	while (*p) {
		size_t len;
		unsigned cp = next_cp(p, &len);
		int cw = !is_combining(cp);
		if (used + (size_t)cw > width - 1)
			break;
		fwrite(p, 1, len, out);
		used += (size_t)cw;
		p += len;
	}
	fputs("\xe2\x80\xa6", out);
	for (used++; used < width; used++)
		fputc(' ', out);
}

void kho_put_tail(FILE *out, const char *s, size_t width)
{
	size_t w = kho_text_width(s);
	if (w <= width || width < 2) {
		fputs(s, out);
		return;
	}
	/* Skip the first w - (width - 1) columns. */
	size_t skip = w - (width - 1);
	const unsigned char *p = (const unsigned char *)s;
	while (*p && skip > 0) {
		size_t len;
		if (!is_combining(next_cp(p, &len)))
			skip--;
		p += len;
	}
	/* Combining marks belong to the character already skipped. */
	size_t len;
	while (*p && is_combining(next_cp(p, &len)))
		p += len;
	fputs("\xe2\x80\xa6", out);
	fputs((const char *)p, out);
}

int kho_stream_check(FILE *out, kho_error *err)
{
	if (fflush(out) != 0 || ferror(out))
		return kho_error_set(err, KHO_FATAL,
				     "cannot write the report: %s",
				     strerror(errno ? errno : EIO));
	return KHO_OK;
}

void kho_fmt_time(const char *iso, char *out, size_t cap)
{
	if (strlen(iso) >= 16 && iso[10] == 'T')
		snprintf(out, cap, "%.10s %.5s UTC", iso, iso + 11);
	else
		snprintf(out, cap, "%s", iso[0] ? iso : "-");
}

double kho_iso_seconds(const char *from, const char *to)
{
	long d0 = kho_report_day_number(from);
	long d1 = kho_report_day_number(to);
	if (d0 < 0 || d1 < 0 || strlen(from) < 19 || strlen(to) < 19)
		return -1;
	double t[2];
	const char *s[2] = {from, to};
	long d[2] = {d0, d1};
	for (int i = 0; i < 2; i++) {
		int h = 0, m = 0;
		double sec = 0;
		if (sscanf(s[i] + 11, "%2d:%2d:%lf", &h, &m, &sec) != 3)
			return -1;
		t[i] = (double)d[i] * 86400.0 + h * 3600.0 + m * 60.0 + sec;
	}
	return t[1] - t[0];
}

/* ---- the trend ---- */

void kho_trend_release(kho_trend *t)
{
	free(t->days);
	memset(t, 0, sizeof(*t));
}

int kho_trend_compute(kho_catalog *cat, const kho_report_opts *o, int64_t gap,
		      kho_trend *t, kho_error *err)
{
	memset(t, 0, sizeof(*t));
	t->last_night = -1;
	t->recent_per_night = -1;
	int rc = o->n_others ? kho_snapshot_days_roots(cat, o, o->trend_days,
						       &t->days, &t->n_days,
						       err)
			     : kho_snapshot_days(cat, &o->targets,
						 o->trend_days, &t->days,
						 &t->n_days, err);
	if (rc)
		return rc;
	long today = kho_report_day_number(o->today);
	long target = kho_report_day_number(o->target_date);
	t->nights_left = target >= today ? target - today : -1;
	if (gap < 0)
		t->per_night = -1; /* unknown */
	else if (gap == 0)
		t->per_night = 0;
	else if (t->nights_left > 0)
		t->per_night = (gap + t->nights_left - 1) / t->nights_left;
	else
		t->per_night = -1;

	if (t->n_days >= 2) {
		const kho_snapshot *last = &t->days[t->n_days - 1];
		const kho_snapshot *prev = &t->days[t->n_days - 2];
		long dl = kho_report_day_number(last->taken_at);
		long dp = kho_report_day_number(prev->taken_at);
		if (dl - dp == 1)
			t->last_night =
				last->total.archived - prev->total.archived;
		/* The oldest day within a week of the last one. */
		const kho_snapshot *first = prev;
		for (size_t i = t->n_days - 1; i-- > 0;) {
			if (dl - kho_report_day_number(t->days[i].taken_at) > 7)
				break;
			first = &t->days[i];
		}
		long span = dl - kho_report_day_number(first->taken_at);
		if (span > 0)
			t->recent_per_night = (double)(last->total.archived -
						       first->total.archived) /
					      (double)span;
	}
	if (gap > 0 && t->recent_per_night > 0) {
		double nights = ceil((double)gap / t->recent_per_night);
		if (nights < 36500)
			kho_report_day_string(today + (long)nights,
					      t->projected);
	}
	return KHO_OK;
}
