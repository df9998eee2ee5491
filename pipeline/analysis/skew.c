#include "analysis/skew.h"
#include "analysis/bytes16.h"

#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define DEG (M_PI / 180.0)

void kho_ink_release(kho_ink *ink)
{
	free(ink->x);
	free(ink->y);
	free(ink->w);
	memset(ink, 0, sizeof(*ink));
}

int kho_ink_add(kho_ink *ink, float x, float y, float w, kho_error *err)
{
	if (ink->n == ink->cap) {
		size_t cap = ink->cap ? ink->cap * 2 : 4096;
		float *nx = realloc(ink->x, cap * sizeof(float));
		if (nx)
			ink->x = nx;
		float *ny = nx ? realloc(ink->y, cap * sizeof(float)) : NULL;
		if (ny)
			ink->y = ny;
		float *nw = ny ? realloc(ink->w, cap * sizeof(float)) : NULL;
		if (!nw)
			return kho_error_set(err, KHO_FATAL,
					     "out of memory measuring skew");
		ink->w = nw;
		ink->cap = cap;
	}
	ink->x[ink->n] = x;
	ink->y[ink->n] = y;
	ink->w[ink->n] = w;
	ink->n++;
	return KHO_OK;
}

int kho_ink_from_grey(const uint8_t *grey, size_t stride, uint32_t width,
		      uint32_t height, const uint8_t *usable, int paper_level,
		      int ink_level, int blob, kho_ink *ink, kho_error *err)
{
	ink->width = width;
	ink->height = height;
	ink->n = 0;
	const size_t n = (size_t)width * height;
	/* The length of the run of ink each pixel is in, across and down:
	 * inside a photo or a filled area both are long, in a stroke one is
	 * short.  Those insides are left out: they carry no line. */
	uint8_t *across = malloc(n ? n : 1), *down = malloc(n ? n : 1);
	if (!across || !down) {
		free(across);
		free(down);
		return kho_error_set(err, KHO_FATAL,
				     "out of memory measuring skew");
	}
	const uint8_t cap = (uint8_t)KHO_MIN(blob, 255);
	const int level_fits = ink_level >= 0 && ink_level <= 255;
	for (uint32_t y = 0; y < height; y++) {
		const uint8_t *row = grey + (size_t)y * stride;
		uint8_t *a = across + (size_t)y * width;
		for (uint32_t x = 0; x < width;) {
			/* Paper, sixteen pixels at a time: most of a page. */
			if (level_fits && x + 16 <= width &&
			    kho_at_least16(row + x, (uint8_t)ink_level)) {
				memset(a + x, 0, 16);
				x += 16;
				continue;
			}
			if (row[x] >= ink_level) {
				a[x++] = 0;
				continue;
			}
			uint32_t e = x;
			while (e < width && row[e] < ink_level)
				e++;
			const uint8_t len = (uint8_t)KHO_MIN(e - x, (uint32_t)cap);
			memset(a + x, len, e - x);
			x = e;
		}
	}
	/* Down the columns, row by row (the image's own order): first the
	 * run so far from above, then from below each pixel takes its run's
	 * full length. */
	for (uint32_t y = 0; y < height; y++) {
		const uint8_t *restrict a = across + (size_t)y * width;
		uint8_t *restrict d = down + (size_t)y * width;
		if (y == 0) {
			for (uint32_t x = 0; x < width; x++)
				d[x] = a[x] ? 1 : 0;
			continue;
		}
		const uint8_t *restrict up = d - width;
		for (uint32_t x = 0; x < width; x++) {
			const uint8_t v = up[x] < cap ? (uint8_t)(up[x] + 1) : cap;
			d[x] = a[x] ? v : 0;
		}
	}
	for (uint32_t y = height; y-- > 1;) {
		const uint8_t *restrict d = down + (size_t)y * width;
		uint8_t *restrict above = down + (size_t)(y - 1) * width;
		for (uint32_t x = 0; x < width; x++) {
			const uint8_t m = d[x] > above[x] ? d[x] : above[x];
			above[x] = above[x] ? m : 0;
		}
	}
	const float span = (float)KHO_MAX(paper_level - ink_level / 2, 1);
	/* Each point is moved by a fixed pseudo-random fraction of a pixel:
	 * on the pixel grid, angle 0 would put a whole row of pixels into
	 * one row of the profile and pull every small skew towards 0. */
	uint32_t seed = 0x9e3779b9u;
	int rc = KHO_OK;
	for (uint32_t y = 0; rc == KHO_OK && y < height; y++) {
		const uint8_t *row = grey + (size_t)y * stride;
		const uint8_t *ok = usable ? usable + (size_t)y * width : NULL;
		const uint8_t *a = across + (size_t)y * width;
		const uint8_t *d = down + (size_t)y * width;
		for (uint32_t x = 0; x < width; x++) {
			/* No ink in sixteen pixels: skip them at once. */
			if ((x & 15) == 0 && x + 16 <= width &&
			    kho_zero16(a + x)) {
				x += 15;
				continue;
			}
			if (!a[x] || (ok && !ok[x]) || (a[x] >= cap && d[x] >= cap))
				continue;
			float w = (float)(paper_level - row[x]) / span;
			seed = seed * 1664525u + 1013904223u;
			const float jx = (float)(seed >> 8) / 16777216.0f;
			seed = seed * 1664525u + 1013904223u;
			const float jy = (float)(seed >> 8) / 16777216.0f;
			rc = kho_ink_add(ink, (float)x + jx, (float)y + jy,
					 w > 1 ? 1 : w, err);
			if (rc)
				break;
		}
	}
	free(across);
	free(down);
	return rc;
}

int kho_ink_turn90(const kho_ink *in, kho_ink *out, kho_error *err)
{
	out->n = 0;
	out->width = in->height;
	out->height = in->width;
	for (size_t i = 0; i < in->n; i++) {
		int rc = kho_ink_add(out, (float)in->height - 1 - in->y[i],
				     in->x[i], in->w[i], err);
		if (rc)
			return rc;
	}
	return KHO_OK;
}

/* The rows a page of this size covers at an angle. */
static void row_range(const kho_ink *ink, double c, double s, double *lo,
		      double *hi)
{
	const double xs[2] = { 0, ink->width };
	const double ys[2] = { 0, ink->height };
	*lo = 1e30;
	*hi = -1e30;
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++) {
			double r = ys[j] * c - xs[i] * s;
			*lo = KHO_MIN(*lo, r);
			*hi = KHO_MAX(*hi, r);
		}
}

/* The points a search weighs: every step-th point of the ink, side by
 * side, with where the profile of the strip each lies in starts (base
 * NULL: one strip).  They are the ink's own arrays when every point is
 * weighed in one strip. */
typedef struct points {
	const float *x, *y, *w;
	const int32_t *base;
	size_t n;
	void *own; /* the copies, else NULL */
} points;

/* Strips about 350 pixels wide (2.3 inches at 150 dpi), at most 6. */
static int strips_for(const kho_ink *ink)
{
	int n = (int)(ink->width / 350);
	return n < 1 ? 1 : n > 6 ? 6 : n;
}

/* Every point of ink in one strip: its own arrays. */
static points all_points(const kho_ink *ink)
{
	return (points){.x = ink->x, .y = ink->y, .w = ink->w, .n = ink->n};
}

/* Takes every step-th point of ink into pts, and the start of its
 * strip's profile, strips profiles stride bins apart; KHO_FATAL when out
 * of memory. */
static int points_take(const kho_ink *ink, size_t step, int strips,
		       size_t stride, points *pts, kho_error *err)
{
	*pts = all_points(ink);
	if (step == 1 && strips == 1)
		return KHO_OK;
	pts->n = (ink->n + step - 1) / step;
	const size_t n = pts->n ? pts->n : 1;
	if (stride * (size_t)strips > INT32_MAX)
		return kho_error_set(err, KHO_FATAL,
				     "a %u x %u page is too large to measure",
				     ink->width, ink->height);
	float *own = malloc(n * (3 * sizeof(float) + sizeof(int32_t)));
	if (!own)
		return kho_error_set(err, KHO_FATAL,
				     "out of memory measuring skew");
	float *x = own, *y = x + n, *w = y + n;
	int32_t *base = strips > 1 ? (int32_t *)(w + n) : NULL;
	const float per_strip = (float)strips / (float)KHO_MAX(ink->width, 1u);
	for (size_t j = 0; j < pts->n; j++) {
		x[j] = ink->x[j * step];
		y[j] = ink->y[j * step];
		w[j] = ink->w[j * step];
		if (base) {
			const int32_t st = (int32_t)(x[j] * per_strip);
			base[j] = (st < 0	  ? 0
				   : st >= strips ? strips - 1
						  : st) *
				  (int32_t)stride;
		}
	}
	pts->x = x;
	pts->y = y;
	pts->w = w;
	pts->base = base;
	pts->own = own;
	return KHO_OK;
}

/* Fills prof (strips profiles n_bins apart, zeroed here) and returns the
 * energy: the page is cut into strips side by side, each with its own
 * row profile, so that the lines of two columns need not fall on the
 * same rows. */
static double energy_into(const kho_ink *ink, const points *pts, double degrees,
			  double bin, int strips, double *prof, size_t n_bins)
{
	const double c = cos(degrees * DEG), s = sin(degrees * DEG);
	double lo, hi;
	row_range(ink, c, s, &lo, &hi);
	const double inv = 1.0 / bin;
	const size_t used = KHO_MIN(n_bins, (size_t)((hi - lo) * inv) + 3);
	for (int st = 0; st < strips; st++)
		memset(prof + st * n_bins, 0, used * sizeof(*prof));
	const float cf = (float)(c * inv), sf = (float)(s * inv);
	const float off = (float)(-lo * inv);
	/* int conversions: a float to an unsigned 64-bit integer costs a
	 * branch and a dozen instructions on x86-64, to int32 one. */
	const int32_t last_bin = (int32_t)KHO_MIN(used, (size_t)INT32_MAX) - 1;
	const float *xs = pts->x, *ys = pts->y, *ws = pts->w;
	const int32_t *base = pts->base;
	size_t i = 0;
#if defined(__SSE2__)
	/* Four points' rows and weights at once, with the same float
	 * operations as the loop below, so the same sums in the same
	 * order. */
	const __m128 c4 = _mm_set1_ps(cf), s4 = _mm_set1_ps(sf);
	const __m128 off4 = _mm_set1_ps(off), one = _mm_set1_ps(1.0f);
	const __m128 zero = _mm_setzero_ps(),
		     last = _mm_set1_ps((float)last_bin);
	for (; i + 4 <= pts->n; i += 4) {
		const __m128 f = _mm_add_ps(
			_mm_sub_ps(_mm_mul_ps(_mm_loadu_ps(ys + i), c4),
				   _mm_mul_ps(_mm_loadu_ps(xs + i), s4)),
			off4);
		const int in = _mm_movemask_ps(_mm_and_ps(
			_mm_cmpge_ps(f, zero), _mm_cmplt_ps(f, last)));
		if (!in)
			continue;
		const __m128i k = _mm_cvttps_epi32(f);
		const __m128 frac = _mm_sub_ps(f, _mm_cvtepi32_ps(k));
		const __m128 w = _mm_loadu_ps(ws + i);
		int32_t at[4];
		float a[4], b[4];
		__m128i where = k;
		if (base)
			where = _mm_add_epi32(
				k,
				_mm_loadu_si128((const __m128i *)(base + i)));
		_mm_storeu_si128((__m128i *)at, where);
		_mm_storeu_ps(a, _mm_mul_ps(w, _mm_sub_ps(one, frac)));
		_mm_storeu_ps(b, _mm_mul_ps(w, frac));
		for (int j = 0; j < 4; j++) {
			if (!(in >> j & 1))
				continue;
			double *p = prof + at[j];
			p[0] += a[j];
			p[1] += b[j];
		}
	}
#endif
	for (; i < pts->n; i++) {
		const float f = ys[i] * cf - xs[i] * sf + off;
		if (!(f >= 0) || f >= (float)last_bin)
			continue;
		const int32_t k = (int32_t)f;
		const float frac = f - (float)k;
		double *p = prof + (base ? base[i] : 0) + k;
		p[0] += ws[i] * (1 - frac);
		p[1] += ws[i] * frac;
	}
	double e = 0;
	for (int st = 0; st < strips; st++)
		for (size_t k = 0; k < used; k++)
			e += prof[st * n_bins + k] * prof[st * n_bins + k];
	return e;
}

static size_t bins_needed(const kho_ink *ink, double bin)
{
	return (size_t)((ink->width + ink->height) / bin) + 8;
}

double kho_skew_energy(const kho_ink *ink, double degrees, double bin)
{
	size_t n = bins_needed(ink, bin);
	double *prof = malloc(n * sizeof(*prof));
	if (!prof)
		return 0;
	const points pts = all_points(ink);
	double e = energy_into(ink, &pts, degrees, bin, 1, prof, n);
	free(prof);
	return e;
}

int kho_skew_profile(const kho_ink *ink, double degrees, double bin,
		     int strips, double **profile, size_t *n, double *origin,
		     kho_error *err)
{
	const double c = cos(degrees * DEG), s = sin(degrees * DEG);
	double lo, hi;
	row_range(ink, c, s, &lo, &hi);
	strips = KHO_MAX(strips, 1);
	size_t len = (size_t)((hi - lo) / bin) + 3;
	points pts;
	int rc = points_take(ink, 1, strips, len, &pts, err);
	if (rc)
		return rc;
	double *prof = calloc(len * (size_t)strips, sizeof(*prof));
	if (!prof) {
		free(pts.own);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	energy_into(ink, &pts, degrees, bin, strips, prof, len);
	free(pts.own);
	*profile = prof;
	*n = len;
	*origin = lo;
	return KHO_OK;
}

/* The best of evenly spaced angles [from, to] by step; the vertex of the
 * parabola through the best and its neighbours refines it. */
static double search(const kho_ink *ink, const points *pts, double from,
		     double to, double step, double bin, int strips,
		     double *prof, size_t n_bins, double *energies,
		     size_t *n_energies, double *best_e)
{
	const size_t n = (size_t)floor((to - from) / step + 0.5) + 1;
	assert(n >= 1 && n <= 2048);
	size_t best = 0;
	energies[0] = 0;
	for (size_t i = 0; i < n; i++) {
		energies[i] = energy_into(ink, pts, from + i * step, bin,
					  strips, prof, n_bins);
		if (energies[i] > energies[best])
			best = i;
	}
	*n_energies = n;
	*best_e = energies[best];
	double angle = from + best * step;
	if (best > 0 && best + 1 < n) {
		const double a = energies[best - 1], b = energies[best],
			     c = energies[best + 1];
		const double d = a - 2 * b + c;
		if (d < 0)
			angle += step * 0.5 * (a - c) / d;
	}
	return angle;
}

int kho_skew_coarse(const kho_ink *ink, double max_degrees, size_t sample,
		    kho_skew *out, kho_error *err)
{
	memset(out, 0, sizeof(*out));
	out->points = ink->n;
	if (ink->n < 50)
		return KHO_OK; /* nothing to measure: confidence 0 */
	max_degrees = KHO_MIN(max_degrees, 45.0);
	const size_t n_bins = bins_needed(ink, 1.0);
	const int strips = strips_for(ink);
	/* A text line's peak is about half a degree wide at any
	 * resolution: half-degree steps on a sample find it, a tenth of a
	 * degree around the best places it. */
	points pts;
	int rc = points_take(ink, KHO_MAX((size_t)1, ink->n / KHO_MAX(sample, 1)),
			     strips, n_bins, &pts, err);
	if (rc)
		return rc;
	double *prof = malloc(n_bins * (size_t)strips * sizeof(*prof));
	double *energies = malloc(2048 * sizeof(*energies));
	double *sorted = malloc(2048 * sizeof(*sorted));
	if (!prof || !energies || !sorted) {
		free(prof);
		free(energies);
		free(sorted);
		free(pts.own);
		return kho_error_set(err, KHO_FATAL,
				     "out of memory measuring skew");
	}
	size_t n = 0;
	double peak = 0;
	const double wide =
		search(ink, &pts, -max_degrees, max_degrees, 0.5, 1.0, strips,
		       prof, n_bins, energies, &n, &peak);
	/* How far the peak stands above a typical angle, and whether
	 * another peak away from it rivals it. */
	memcpy(sorted, energies, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), kho_cmp_double);
	const double median = sorted[n / 2];
	double rival = 0;
	for (size_t i = 1; i + 1 < n; i++) {
		if (fabs(-max_degrees + i * 0.5 - wide) < 1.5)
			continue;
		if (energies[i] >= energies[i - 1] &&
		    energies[i] >= energies[i + 1])
			rival = KHO_MAX(rival, energies[i]);
	}
	size_t n_near = 0;
	const double coarse =
		search(ink, &pts, wide - 0.6, wide + 0.6, 0.1, 1.0, strips,
		       prof, n_bins, energies, &n_near, &peak);
	free(prof);
	free(energies);
	free(sorted);
	free(pts.own);

	const double ratio = median > 0 ? peak / median : 0;
	out->angle = coarse;
	out->peak = ratio;
	/* Confidence: a clear peak over the typical angle, no rival peak,
	 * enough ink to judge by. */
	double c = KHO_MAX(0.0, KHO_MIN(1.0, (ratio - 1.03) / 0.4));
	if (peak > 0 && rival / peak > 0.8)
		c *= KHO_MAX(0.0, (1.0 - rival / peak) / 0.2);
	out->confidence = c * KHO_MIN(1.0, (double)ink->n / 800.0);
	return KHO_OK;
}

int kho_skew_refine(const kho_ink *ink, kho_skew *out, kho_error *err)
{
	if (ink->n < 50)
		return KHO_OK;
	const size_t n_bins = bins_needed(ink, 0.5);
	/* Two strips (halves): the lines of two columns need not line up,
	 * and half the page still turns enough to place the peak. */
	const int strips = KHO_MIN(strips_for(ink), 2);
	points half, all;
	int rc = points_take(ink, 2, strips, n_bins, &half, err);
	if (rc)
		return rc;
	rc = points_take(ink, 1, strips, n_bins, &all, err);
	double *prof = NULL, *energies = NULL;
	if (rc == KHO_OK) {
		prof = malloc(n_bins * (size_t)strips * sizeof(*prof));
		energies = malloc(64 * sizeof(*energies));
		if (!prof || !energies)
			rc = kho_error_set(err, KHO_FATAL,
					   "out of memory measuring skew");
	}
	if (rc == KHO_OK) {
		/* Half-pixel rows: 0.1 degree steps around the coarse angle
		 * (within a few hundredths of a degree already) on every
		 * other point, then on every point the vertex of a parabola
		 * through three angles 0.02 degree apart around the best. */
		size_t n = 0;
		double e = 0;
		const double a = search(ink, &half, out->angle - 0.2,
					out->angle + 0.2, 0.1, 0.5, strips,
					prof, n_bins, energies, &n, &e);
		out->angle = search(ink, &all, a - 0.02, a + 0.02, 0.02, 0.5,
				    strips, prof, n_bins, energies, &n, &e);
	}
	free(prof);
	free(energies);
	free(half.own);
	free(all.own);
	return rc;
}

int kho_skew_find(const kho_ink *ink, double max_degrees, kho_skew *out,
		  kho_error *err)
{
	int rc = kho_skew_coarse(ink, max_degrees, KHO_SKEW_SAMPLE, out, err);
	return rc ? rc : kho_skew_refine(ink, out, err);
}
