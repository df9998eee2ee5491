#include "analysis/orient.h"

#include <math.h>

/* What the lines of one profile say: the ink above and below their
 * cores, and where the headlines sit of lines hung from one. */
typedef struct line_sums {
	double above, below;
	int lines;
	int headline;
	double head_at; /* sum over headline lines of 0.5 - where */
	double inked;      /* the profile's sum over the lines read */
	double head_inked; /* ... over the lines hung from a headline */
	double total;      /* ... over all of it */
} line_sums;

/* Reads the text lines of the profile p (n bins of bin pixels): runs of
 * rows with ink, split at empty rows. */
static void read_lines(const double *p, size_t n, double bin, line_sums *s)
{
	double top = 0;
	for (size_t i = 0; i < n; i++) {
		top = KHO_MAX(top, p[i]);
		s->total += p[i];
	}
	const double empty = top * 0.02;
	size_t i = 0;
	while (i < n) {
		while (i < n && p[i] <= empty)
			i++;
		const size_t start = i;
		double peak = 0;
		while (i < n && p[i] > empty) {
			peak = KHO_MAX(peak, p[i]);
			i++;
		}
		const size_t end = i; /* [start, end) */
		const size_t h = end - start;
		/* A rule is a row or two; a block of lines run together
		 * is not one line. */
		if (h < 5 / bin || h > 60 / bin || peak < top * 0.1)
			continue;
		/* The core: the rows at least half as dark as the line's
		 * darkest. */
		size_t c0 = start, c1 = end - 1;
		while (c0 < end && p[c0] < peak * 0.5)
			c0++;
		while (c1 > c0 && p[c1] < peak * 0.5)
			c1--;
		double a = 0, b = 0, core = 0;
		for (size_t k = start; k < c0; k++)
			a += p[k];
		for (size_t k = c1 + 1; k < end; k++)
			b += p[k];
		for (size_t k = c0; k <= c1; k++)
			core += p[k];
		const double line_ink = a + b + core;
		/* Latin script has a broad core (the x-height); a script
		 * hung from a headline (Devanagari) has a spike of a row or
		 * two, and the test means nothing for it. */
		const size_t core_h = c1 - c0 + 1;
		if (h >= 8 / bin && core_h * 100 <= h * 15) {
			/* The headline hangs the letters below it: near
			 * the top of an upright line (a third of the way
			 * down, the vowel signs above it), near the bottom
			 * of a line upside down. */
			s->headline++;
			s->head_at += 0.5 - ((double)(c0 + c1) / 2 - start) / h;
			s->head_inked += line_ink;
		}
		if (core <= 0 || core_h * 10 < h * 3)
			continue;
		s->above += a;
		s->below += b;
		s->lines++;
		s->inked += line_ink;
	}
}

/* The least (least != 0) or the most of in within w bins either side of
 * each bin, into out: a monotone queue of the window's candidates (q, n
 * long). */
static void slide(const double *in, size_t n, size_t w, int least,
		  double *out, size_t *q)
{
	size_t head = 0, tail = 0; /* q[head..tail): in ordered */
	size_t next = 0;           /* the next bin to enter the window */
	for (size_t i = 0; i < n; i++) {
		const size_t last = KHO_MIN(n - 1, i + w);
		for (; next <= last; next++) {
			while (tail > head &&
			       (least ? in[q[tail - 1]] >= in[next]
				      : in[q[tail - 1]] <= in[next]))
				tail--;
			q[tail++] = next;
		}
		while (q[head] + w < i)
			head++;
		out[i] = in[q[head]];
	}
}

/* p less its floor, into out: p opened by a window of w bins either side
 * (the most, near each bin, of the least near it), which keeps what is
 * wider than the window and drops the lines, narrower.  Ink down the
 * whole page (a table's column rules, a drawing's frame) adds about the
 * same to every row, the gaps between lines as much as the lines: left
 * in, it weighs above and below a line's core alike and reads no way up
 * (a table of short entries stored a quarter turn round: 0.19 over 36
 * lines, 0.49 with its floor taken off).  Opened rather than the least
 * alone, so that a floor that slopes (a drawing's lines at a slant) is
 * not taken for ink above or below a line.  A block of texture (a
 * tiled picture) has a floor too, and off it the rows of its pattern
 * may read as lines (realdata's imgsrc003.png: 16 faint lines, none
 * before, that read no clear way up).  tmp and q: n long. */
static void off_floor(const double *p, size_t n, size_t w, double *out,
		      double *tmp, size_t *q)
{
	slide(p, n, w, 1, tmp, q);
	slide(tmp, n, w, 0, out, q);
	for (size_t i = 0; i < n; i++)
		out[i] = KHO_MAX(0.0, p[i] - out[i]);
}

/* Whether the lines read hang from a headline (Devanagari): three in ten
 * of them or more. */
static int hung_from_headline(const line_sums *s)
{
	return s->headline > 0 &&
	       s->headline * 10 >= (s->lines + s->headline) * 3;
}

double kho_updown(const kho_ink *ink, double skew, int *lines,
		  double *share, kho_error *err)
{
	*lines = 0;
	if (share)
		*share = 0;
	/* Half-pixel rows: at 100 dpi a line's x-height is only six or
	 * seven pixels. */
	const double bin = 0.5;
	/* The profiles of strips side by side, and the whole page's, their
	 * sum: the lines of columns side by side (a magazine's, a letter's
	 * heading beside the sender's) need not fall on the same rows, and
	 * run together into one profile they blur which way up they read,
	 * or leave no row empty between them (8071_093.3B's four columns:
	 * 0.17 to 0.31 on the whole page, 0.39 to 0.44 on strips).  A
	 * strip's lines are shorter and their cores less sure, so a single
	 * column reads clearer on the whole page.  The clearer of the two
	 * where they agree; where they disagree, the page does not say. */
	const int strips = (int)KHO_MAX(1u, KHO_MIN(6u, ink->width / 250));
	double *p = NULL, origin = 0;
	size_t n = 0;
	if (kho_skew_profile(ink, skew, bin, strips, &p, &n, &origin, err) !=
	    KHO_OK)
		return 0;
	/* The whole page's profile, and each profile less its floor (the
	 * floor of the ink within 40 pixels, more than a line and its
	 * gaps). */
	const size_t wide = (size_t)(40 / bin);
	double *raw = calloc(3 * (n ? n : 1), sizeof(*raw));
	size_t *queue = malloc((n ? n : 1) * sizeof(*queue));
	if (!raw || !queue) {
		free(p);
		free(raw);
		free(queue);
		kho_error_set(err, KHO_FATAL, "out of memory");
		return 0;
	}
	double *lifted = raw + n, *tmp = raw + 2 * n;
	for (int st = 0; st < strips; st++)
		for (size_t k = 0; k < n; k++)
			raw[k] += p[(size_t)st * n + k];
	/* Lines hung from a headline must read so with their floor and
	 * without it: a form's lines written on rules are lines each with a
	 * rule along it once their floor is off, and a grid's rules run
	 * into the lines where it is left on. */
	line_sums as_is = {0}, whole = {0};
	read_lines(raw, n, bin, &as_is);
	off_floor(raw, n, wide, lifted, tmp, queue);
	read_lines(lifted, n, bin, &whole);
	if (hung_from_headline(&as_is) && hung_from_headline(&whole)) {
		free(p);
		free(raw);
		free(queue);
		/* A script hung from a headline: the Latin test means
		 * nothing; where the headlines sit tells.  A headline a
		 * third of the way down gives about 0.3 (the Latin test's
		 * scale), doubled; lines neither way cancel out. */
		*lines = as_is.headline;
		if (share && as_is.total > 0)
			*share = as_is.head_inked / as_is.total;
		return KHO_MAX(-1.0, KHO_MIN(1.0, 2.0 * as_is.head_at /
							  as_is.headline));
	}
	line_sums cut = {0};
	int most = 0; /* a column's lines, not the same lines once a strip */
	for (int st = 0; strips > 1 && st < strips; st++) {
		off_floor(p + (size_t)st * n, n, wide, lifted, tmp, queue);
		line_sums part = {0};
		read_lines(lifted, n, bin, &part);
		cut.above += part.above;
		cut.below += part.below;
		cut.inked += part.inked;
		cut.total += part.total;
		most = KHO_MAX(most, part.lines);
	}
	free(raw);
	free(queue);
	free(p);
	const int by_whole = whole.above + whole.below > 0;
	const int by_strips = cut.above + cut.below > 0;
	if (!by_whole && !by_strips)
		return 0;
	*lines = KHO_MAX(whole.lines, most);
	/* The share of the ink in the lines of the reading given. */
	const double in_whole = whole.total > 0 ? whole.inked / whole.total : 0;
	const double in_strips = cut.total > 0 ? cut.inked / cut.total : 0;
	const double one = by_whole ? (whole.above - whole.below) /
					      (whole.above + whole.below)
				    : 0;
	const double many =
		by_strips ? (cut.above - cut.below) / (cut.above + cut.below)
			  : 0;
	const int by_many = !by_whole || (by_strips && one * many >= 0 &&
					  fabs(many) > fabs(one));
	if (share)
		*share = by_many ? in_strips : in_whole;
	if (by_whole && by_strips && one * many < 0)
		return 0;
	return by_many ? many : one;
}

/* The median of v[0..n) (sorted here) and of its distances from it. */
static double spread_about_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), kho_cmp_double);
	const double mid = v[n / 2];
	for (size_t i = 0; i < n; i++)
		v[i] = fabs(v[i] - mid);
	qsort(v, n, sizeof(*v), kho_cmp_double);
	return v[n / 2];
}

/* Columns of this many pixels place a line's ends. */
#define END_BIN 4

int kho_line_ends(const kho_ink *ink, double skew, double *lean,
		  int *lines, kho_error *err)
{
	*lean = 0;
	*lines = 0;
	double *p = NULL, origin = 0;
	size_t n = 0;
	int rc = kho_skew_profile(ink, skew, 1.0, 1, &p, &n, &origin, err);
	if (rc)
		return rc;
	/* The lines, as the up/down test finds them: runs of rows with
	 * ink, split at empty rows, neither a rule nor a block. */
	double top = 0;
	for (size_t i = 0; i < n; i++)
		top = KHO_MAX(top, p[i]);
	int *line_of = malloc(n * sizeof(*line_of));
	if (!line_of) {
		free(p);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	int count = 0;
	for (size_t i = 0; i < n;) {
		line_of[i] = -1;
		if (p[i] <= top * 0.02) {
			i++;
			continue;
		}
		size_t end = i;
		while (end < n && p[end] > top * 0.02)
			end++;
		const int keep = end - i >= 5 && end - i <= 60;
		for (size_t k = i; k < end; k++)
			line_of[k] = keep ? count : -1;
		count += keep;
		i = end;
	}
	free(p);
	if (count < 2) {
		free(line_of);
		return KHO_OK;
	}
	/* Each line's ink by columns of END_BIN pixels along it. */
	const double c = cos(skew * M_PI / 180), s = sin(skew * M_PI / 180);
	double lo_col = 1e30, hi_col = -1e30;
	for (int corner = 0; corner < 4; corner++) {
		const double x = corner & 1 ? ink->width : 0;
		const double y = corner & 2 ? ink->height : 0;
		lo_col = KHO_MIN(lo_col, x * c + y * s);
		hi_col = KHO_MAX(hi_col, x * c + y * s);
	}
	const size_t cols = (size_t)((hi_col - lo_col) / END_BIN) + 2;
	double *hist = calloc((size_t)count * cols, sizeof(*hist));
	double *ends = malloc(3 * (size_t)count * sizeof(*ends));
	if (!hist || !ends) {
		free(line_of);
		free(hist);
		free(ends);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	for (size_t i = 0; i < ink->n; i++) {
		const double row = ink->y[i] * c - ink->x[i] * s - origin;
		if (!(row >= 0) || row >= (double)n)
			continue;
		const int line = line_of[(size_t)row];
		if (line < 0)
			continue;
		const double col =
			(ink->x[i] * c + ink->y[i] * s - lo_col) / END_BIN;
		hist[(size_t)line * cols +
		     KHO_MIN((size_t)KHO_MAX(col, 0.0), cols - 1)] += ink->w[i];
	}
	free(line_of);
	/* Each line's ends: where its first and its last 2% of ink lie
	 * (a speck beside it does not move them). */
	double *left = ends, *right = ends + count, *weight = ends + 2 * count;
	double most = 0;
	for (int l = 0; l < count; l++) {
		const double *h = hist + (size_t)l * cols;
		double sum = 0;
		for (size_t k = 0; k < cols; k++)
			sum += h[k];
		double acc = 0;
		size_t a = 0, b = cols - 1;
		while (a < b && (acc += h[a]) < sum * 0.02)
			a++;
		acc = 0;
		while (b > a && (acc += h[b]) < sum * 0.02)
			b--;
		left[l] = (double)a * END_BIN;
		right[l] = (double)b * END_BIN;
		weight[l] = sum;
		most = KHO_MAX(most, sum);
	}
	free(hist);
	/* Lines of a tenth of the heaviest's ink or more: a stray mark in
	 * a row of its own is no line. */
	int used = 0;
	for (int l = 0; l < count; l++)
		if (weight[l] >= most * 0.1) {
			left[used] = left[l];
			right[used] = right[l];
			used++;
		}
	*lines = used;
	if (used >= 2) {
		const double l_spread = spread_about_median(left, (size_t)used);
		const double r_spread = spread_about_median(right, (size_t)used);
		/* Both ends lined up (justified print) or both ragged
		 * (centred lines) say nothing: a hundredth of the width
		 * keeps two small spreads from leaning. */
		*lean = (r_spread - l_spread) /
			(r_spread + l_spread + 0.01 * (hi_col - lo_col));
	}
	free(ends);
	return KHO_OK;
}

/* Lines across the page this sharp (peak) are not given up for sharper
 * ones along it that do not read as text. */
#define SHARP_ACROSS 2.0

/* The lines of ink placed by skew, refined, and read for which way up. */
static int read_lines_of(const kho_ink *ink, kho_skew *skew,
			 kho_orientation *out, kho_error *err)
{
	int rc = kho_skew_refine(ink, skew, err);
	if (rc == KHO_OK) {
		const int before = err ? err->code : KHO_OK;
		out->updown = kho_updown(ink, skew->angle, &out->lines,
					 &out->line_share, err);
		/* kho_updown's own failure (out of memory) */
		if (err && before == KHO_OK)
			rc = err->code;
	}
	return rc;
}

int kho_orientation_find(const kho_ink *ink, kho_orientation *out,
			 kho_error *err)
{
	memset(out, 0, sizeof(*out));
	kho_skew across, along;
	kho_ink turned = KHO_INK_INIT;
	/* Both ways, always: sharp lines across the page do not rule out
	 * sharper ones along it (a landscape table stored sideways has its
	 * column rules across the page, 2.6, and its text along it, 5.7; a
	 * search along spared where the lines across were sharp left it
	 * so). */
	int rc = kho_skew_coarse(ink, 15, KHO_SKEW_SAMPLE, &across, err);
	if (rc == KHO_OK)
		rc = kho_ink_turn90(ink, &turned, err);
	if (rc == KHO_OK)
		rc = kho_skew_coarse(&turned, 15, KHO_SKEW_SAMPLE, &along, err);
	if (rc) {
		kho_ink_release(&turned);
		return rc;
	}
	out->across = across.peak;
	out->along = along.peak;
	/* Lines along the page only when clearly sharper that way; and
	 * where the lines across are sharp too (SHARP_ACROSS), only where
	 * those along read as lines of text, one way clearly: a rule down a
	 * letter's margin is a line along it far sharper (5.8) than its
	 * three lines of print across it (2.7), but no text. */
	int turn = along.peak > across.peak * 1.15 && along.confidence > 0.3;
	const int vet = turn && across.peak >= SHARP_ACROSS &&
			across.confidence >= 0.9;
	out->skew = turn ? along : across;
	rc = read_lines_of(turn ? &turned : ink, &out->skew, out, err);
	/* The lines across, read in place of sharper ones along, say
	 * which way up the page reads, but they do not turn it: they may
	 * be a table's columns rather than its text (a form of short
	 * entries stored a quarter turn round read -0.42 over 17 such
	 * lines, its text along 0.16 over 28, before the profiles' floor
	 * was taken off). */
	int across_instead = 0;
	if (rc == KHO_OK && vet && (out->lines < KHO_UPDOWN_LINES ||
				    fabs(out->updown) < KHO_UPDOWN_CLEAR)) {
		across_instead = 1;
		out->along_lines = out->lines;
		turn = 0;
		out->skew = across;
		rc = read_lines_of(ink, &out->skew, out, err);
	}
	if (rc) {
		kho_ink_release(&turned);
		return rc;
	}
	/* Pages come upright far more often than not: a turn needs lines of
	 * text that read one way clearly, and enough of them. */
	const int readable = out->lines >= KHO_UPDOWN_LINES &&
			     fabs(out->updown) >= KHO_UPDOWN_CLEAR;
	const int flip = readable && out->updown < 0;
	out->rotation = (turn ? 90 : 0) + (flip ? 180 : 0);
	/* How sure: the direction by the ratio of the peaks (not at all
	 * where the lines across were read instead of sharper ones along),
	 * up or down by the balance of the marks and the lines read. */
	const double hi = KHO_MAX(across.peak, along.peak);
	const double lo = KHO_MAX(KHO_MIN(across.peak, along.peak), 1e-9);
	const double dir =
		across_instead ? 0 : KHO_MIN(1.0, (hi / lo - 1.0) / 0.3);
	const double ud = readable ? KHO_MIN(1.0, fabs(out->updown) / 0.4) *
					     KHO_MIN(1.0, out->lines / 8.0)
				   : 0;
	out->confidence = KHO_MIN(dir, ud) * out->skew.confidence;
	kho_ink_release(&turned);
	return KHO_OK;
}
