#include "analysis/shading.h"

#include <math.h>

/* A block is plain paper when its brightest tenth is within this of the
 * level its brightest 40% reach: paper and its grain, perhaps some ink;
 * a photo's block spreads wider. */
#define BLOCK_GRAIN 12
/* A block's samples: every other pixel of every other row.  Fewer usable
 * than this and the block is left out. */
#define BLOCK_MIN_SAMPLES 64
/* The paper's blocks lie this close to the surface (a robust deviation,
 * in levels) on a page whose light falls smoothly. */
#define SURFACE_SCATTER 2.0
/* A one-sided shading (a book's gutter, a page curling up at an edge)
 * may rise by this much against its fall, for the paper's grain. */
#define PROFILE_SLACK 3
/* Where the light falls by more than this share of its top from one
 * block to the next (near a gutter's fold), or lies below half of it,
 * evening it out is too rough to measure the paper by. */
#define STEEP 0.08
/* Shading: the surface falls by this share of its top. */
#define SHADED 0.10
/* and by at least this many levels */
#define SHADED_LEVELS 20
/* The blocks of plain paper on the surface are at least this share of the
 * usable ones. */
#define SURFACE_SHARE 0.8

enum { TERMS = 6 };

/* The quadratic's terms at (u, v), both in [-1, 1]. */
static void terms(double u, double v, double t[TERMS])
{
	t[0] = 1;
	t[1] = u;
	t[2] = v;
	t[3] = u * u;
	t[4] = u * v;
	t[5] = v * v;
}

/* Block k's centre along a side of n pixels, from -1 to 1. */
static double centre(uint32_t k, uint32_t n)
{
	const uint32_t B = KHO_SHADING_BLOCK;
	return (k * B + KHO_MIN(n, (k + 1) * B)) / (double)n - 1;
}

static double surface_at(const double c[TERMS], double u, double v)
{
	double t[TERMS], z = 0;
	terms(u, v, t);
	for (int k = 0; k < TERMS; k++)
		z += c[k] * t[k];
	return z;
}

/* Least squares through the blocks marked in: Gaussian elimination with
 * partial pivoting on the normal equations.  0 when they are singular. */
static int fit(const double *u, const double *v, const double *z,
	       const uint8_t *in, size_t n, double c[TERMS])
{
	double A[TERMS][TERMS + 1] = {{0}};
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		if (!in[i])
			continue;
		double t[TERMS];
		terms(u[i], v[i], t);
		for (int r = 0; r < TERMS; r++) {
			for (int k = 0; k < TERMS; k++)
				A[r][k] += t[r] * t[k];
			A[r][TERMS] += t[r] * z[i];
		}
		used++;
	}
	if (used < 4 * TERMS)
		return 0;
	for (int col = 0; col < TERMS; col++) {
		int piv = col;
		for (int r = col + 1; r < TERMS; r++)
			if (fabs(A[r][col]) > fabs(A[piv][col]))
				piv = r;
		if (!(fabs(A[piv][col]) > 1e-9 * (double)used))
			return 0;
		if (piv != col)
			for (int k = 0; k <= TERMS; k++) {
				const double s = A[col][k];
				A[col][k] = A[piv][k];
				A[piv][k] = s;
			}
		for (int r = col + 1; r < TERMS; r++) {
			const double f = A[r][col] / A[col][col];
			for (int k = col; k <= TERMS; k++)
				A[r][k] -= f * A[col][k];
		}
	}
	for (int r = TERMS - 1; r >= 0; r--) {
		double s = A[r][TERMS];
		for (int k = r + 1; k < TERMS; k++)
			s -= A[r][k] * c[k];
		c[r] = s / A[r][r];
	}
	return 1;
}

/* The level the brightest share of a block's samples reach. */
static int brightest(const uint16_t hist[256], unsigned n, double share)
{
	unsigned acc = 0;
	for (int v = 255; v > 0; v--) {
		acc += hist[v];
		if (acc >= n * share)
			return v;
	}
	return 0;
}

/* The blocks of plain paper: their place in the grid, their centre (the
 * page's width and height from -1 to 1) and their paper's level. */
typedef struct blocks {
	size_t n, usable; /* plain blocks, and usable ones (plain or not) */
	uint32_t *i, *j;
	double *u, *v, *z;
	double *pred;     /* a surface's level at each */
	double *r;        /* room for their distances from it */
	uint8_t *in;      /* those on it */
} blocks;

static void blocks_free(blocks *b)
{
	free(b->i);
	free(b->j);
	free(b->u);
	free(b->v);
	free(b->z);
	free(b->pred);
	free(b->r);
	free(b->in);
}

static int blocks_of(const uint8_t *grey, uint32_t w, uint32_t h,
		     const uint8_t *usable, uint32_t bx, uint32_t by,
		     blocks *b)
{
	const uint32_t B = KHO_SHADING_BLOCK;
	const size_t nb = (size_t)bx * by;
	memset(b, 0, sizeof(*b));
	b->i = malloc(nb * sizeof(*b->i));
	b->j = malloc(nb * sizeof(*b->j));
	b->u = malloc(nb * sizeof(*b->u));
	b->v = malloc(nb * sizeof(*b->v));
	b->z = malloc(nb * sizeof(*b->z));
	b->pred = malloc(nb * sizeof(*b->pred));
	b->r = malloc(nb * sizeof(*b->r));
	b->in = malloc(nb);
	if (!b->i || !b->j || !b->u || !b->v || !b->z || !b->pred || !b->r ||
	    !b->in)
		return 0;
	for (uint32_t j = 0; j < by; j++)
		for (uint32_t i = 0; i < bx; i++) {
			uint16_t hist[256] = {0};
			unsigned samples = 0;
			const uint32_t x1 = KHO_MIN(w, (i + 1) * B);
			const uint32_t y1 = KHO_MIN(h, (j + 1) * B);
			for (uint32_t y = j * B; y < y1; y += 2) {
				const uint8_t *l = grey + (size_t)y * w;
				const uint8_t *ok = usable ? usable + (size_t)y * w : NULL;
				for (uint32_t x = i * B; x < x1; x += 2)
					if (!ok || ok[x]) {
						hist[l[x]]++;
						samples++;
					}
			}
			if (samples < BLOCK_MIN_SAMPLES)
				continue;
			b->usable++;
			const int paper = brightest(hist, samples, 0.4);
			if (brightest(hist, samples, 0.1) - paper > BLOCK_GRAIN)
				continue;
			b->i[b->n] = i;
			b->j[b->n] = j;
			b->u[b->n] = centre(i, w);
			b->v[b->n] = centre(j, h);
			b->z[b->n] = paper;
			b->n++;
		}
	return 1;
}

/* Which blocks lie on the surface b->pred gives: those within 2.5 robust
 * deviations (at least 6 levels) of it.  Returns the deviation, over the
 * blocks that were on it (all, when all is set). */
static double hold(blocks *b, int all, size_t *on)
{
	size_t m = 0;
	for (size_t k = 0; k < b->n; k++)
		if (all || b->in[k])
			b->r[m++] = fabs(b->z[k] - b->pred[k]);
	if (m == 0) {
		*on = 0;
		return INFINITY;
	}
	qsort(b->r, m, sizeof(*b->r), kho_cmp_double);
	const double scatter = 1.4826 * b->r[m / 2];
	const double keep = KHO_MAX(6.0, 2.5 * scatter);
	*on = 0;
	for (size_t k = 0; k < b->n; k++) {
		b->in[k] = fabs(b->z[k] - b->pred[k]) <= keep;
		*on += b->in[k];
	}
	return scatter;
}

/* Whether the surface is the paper's light falling across the page: most
 * usable blocks on it, closely, and a fall worth the name; sets out's
 * top, bottom and fit. */
static int shaded(const blocks *b, double scatter, size_t on,
		  kho_shading *out)
{
	out->top = 0;
	out->bottom = 255;
	for (size_t k = 0; k < b->n; k++)
		if (b->in[k]) {
			out->top = KHO_MAX(out->top, KHO_MIN(b->pred[k], 255.0));
			out->bottom = KHO_MIN(out->bottom, KHO_MAX(b->pred[k], 0.0));
		}
	out->fit = b->usable ? (double)on / (double)b->usable : 0;
	return on > 0 && scatter <= SURFACE_SCATTER &&
	       out->fit >= SURFACE_SHARE &&
	       out->bottom < (1 - SHADED) * out->top &&
	       out->top - out->bottom >= SHADED_LEVELS;
}

/* A quadratic through the blocks, fitted again without those far from it
 * (a photo's flat parts, a dark area).  0 when it cannot be fitted. */
static int quadratic(blocks *b, double c[TERMS], double *scatter, size_t *on)
{
	memset(b->in, 1, b->n);
	*scatter = INFINITY;
	*on = 0;
	for (int round = 0; round < 5; round++) {
		if (!fit(b->u, b->v, b->z, b->in, b->n, c))
			return round > 0;
		for (size_t k = 0; k < b->n; k++)
			b->pred[k] = surface_at(c, b->u[k], b->v[k]);
		*scatter = hold(b, 0, on);
	}
	return 1;
}

/* The light along one axis of the page alone (columns when across, else
 * rows), falling towards one edge and never rising again by more than
 * PROFILE_SLACK: the median of the plain blocks in each column (row),
 * into p (count of them).  0 when too few columns have blocks, or the
 * light rises and falls. */
static int profile(blocks *b, int across, double *p, uint32_t count)
{
	uint32_t have = 0;
	for (uint32_t k = 0; k < count; k++) {
		size_t m = 0;
		for (size_t q = 0; q < b->n; q++)
			if ((across ? b->i[q] : b->j[q]) == k)
				b->r[m++] = b->z[q];
		p[k] = NAN;
		if (m < 3)
			continue;
		qsort(b->r, m, sizeof(*b->r), kho_cmp_double);
		p[k] = b->r[m / 2];
		have++;
	}
	if (have < 4 || 2 * have < count)
		return 0;
	/* Columns without blocks at the edges, where a gutter is darkest and
	 * steepest (no block there is plain), carry on the fall of the two
	 * columns beside them; one inside takes its neighbour's level. */
	uint32_t first = 0, last = count - 1;
	while (isnan(p[first]))
		first++;
	while (isnan(p[last]))
		last--;
	uint32_t next = first + 1, before = last - 1;
	while (isnan(p[next]))
		next++;
	while (isnan(p[before]))
		before--;
	const double in_from_first = (p[next] - p[first]) / (next - first);
	const double in_from_last = (p[before] - p[last]) / (last - before);
	for (uint32_t k = 0; k < first; k++)
		p[k] = KHO_MAX(0.0, p[first] - KHO_MAX(0.0, in_from_first) *
						  (first - k));
	for (uint32_t k = last + 1; k < count; k++)
		p[k] = KHO_MAX(0.0, p[last] - KHO_MAX(0.0, in_from_last) *
						 (k - last));
	for (uint32_t k = 1; k < count; k++)
		if (isnan(p[k]))
			p[k] = p[k - 1];
	for (uint32_t k = count - 1; k-- > 0;)
		if (isnan(p[k]))
			p[k] = p[k + 1];
	int rises = 1, falls = 1;
	for (uint32_t k = 1; k < count; k++) {
		rises &= p[k] >= p[k - 1] - PROFILE_SLACK;
		falls &= p[k] <= p[k - 1] + PROFILE_SLACK;
	}
	if (!rises && !falls)
		return 0;
	for (size_t q = 0; q < b->n; q++)
		b->pred[q] = p[across ? b->i[q] : b->j[q]];
	return 1;
}

int kho_shading_find(const uint8_t *grey, uint32_t w, uint32_t h,
		     const uint8_t *usable, kho_shading *out, kho_error *err)
{
	memset(out, 0, sizeof(*out));
	const uint32_t B = KHO_SHADING_BLOCK;
	const uint32_t bx = (w + B - 1) / B, by = (h + B - 1) / B;
	const size_t nb = (size_t)bx * by;
	if (nb == 0)
		return KHO_OK;
	out->blocks_x = bx;
	out->blocks_y = by;
	blocks b = {0};
	double *p = malloc((size_t)KHO_MAX(bx, by) * sizeof(*p));
	if (!p || !blocks_of(grey, w, h, usable, bx, by, &b)) {
		free(p);
		blocks_free(&b);
		return kho_error_set(err, KHO_FATAL,
				     "out of memory measuring the page's shading");
	}
	/* First a smooth light over the whole page (a lamp to one side, a
	 * page that did not lie flat); else one falling to an edge, as
	 * steeply as it likes (a book's gutter, a curl). */
	double c[TERMS], scatter;
	size_t on;
	int found = 0, axis = -1;
	if (b.n > 0 && quadratic(&b, c, &scatter, &on))
		found = shaded(&b, scatter, on, out);
	for (int across = 1; !found && across >= 0; across--)
		if (b.n > 0 && profile(&b, across, p, across ? bx : by)) {
			scatter = hold(&b, 1, &on);
			found = shaded(&b, scatter, on, out);
			axis = across;
		}
	if (found) {
		out->level = malloc(nb * sizeof(*out->level));
		if (!out->level) {
			free(p);
			blocks_free(&b);
			return kho_error_set(err, KHO_FATAL,
					     "out of memory measuring the page's shading");
		}
		/* The surface in every block, within what the paper showed:
		 * beyond the paper's blocks a quadratic may run off (a
		 * profile's edges carry on its fall). */
		for (uint32_t j = 0; j < by; j++)
			for (uint32_t i = 0; i < bx; i++) {
				const double s = axis < 0
					? surface_at(c, centre(i, w), centre(j, h))
					: p[axis ? i : j];
				const double floor = axis < 0 ? out->bottom : 0;
				out->level[(size_t)j * bx + i] =
					(float)KHO_MAX(floor, KHO_MIN(out->top, s));
			}
	}
	free(p);
	blocks_free(&b);
	return KHO_OK;
}

/* Where a pixel lies between the blocks' centres along a side: the
 * block before it (clamped to the side's blocks) and how far on. */
static void between(uint32_t p, uint32_t count, uint32_t *k0, uint32_t *k1,
		    float *t)
{
	const float f = (p + 0.5f) / KHO_SHADING_BLOCK - 0.5f;
	const long k = (long)floorf(f);
	*k0 = (uint32_t)KHO_MAX(0L, KHO_MIN((long)count - 1, k));
	*k1 = KHO_MIN(*k0 + 1, count - 1);
	*t = k < 0 ? 0.0f : KHO_MIN(1.0f, f - (float)*k0);
}

int kho_shading_even(const kho_shading *s, uint8_t *grey, uint8_t *usable,
		     uint32_t w, uint32_t h, kho_error *err)
{
	if (!s->level)
		return KHO_OK;
	const uint32_t bx = s->blocks_x;
	float *row = malloc(bx * sizeof(*row));
	if (!row)
		return kho_error_set(err, KHO_FATAL,
				     "out of memory evening out the page's light");
	const float top = (float)s->top;
	const float steep = (float)(STEEP * s->top);
	for (uint32_t y = 0; y < h; y++) {
		uint32_t j0, j1;
		float ty;
		between(y, s->blocks_y, &j0, &j1, &ty);
		for (uint32_t i = 0; i < bx; i++)
			row[i] = s->level[(size_t)j0 * bx + i] * (1 - ty) +
				 s->level[(size_t)j1 * bx + i] * ty;
		uint8_t *l = grey + (size_t)y * w;
		uint8_t *ok = usable ? usable + (size_t)y * w : NULL;
		for (uint32_t x = 0; x < w; x++) {
			uint32_t i0, i1;
			float tx;
			between(x, bx, &i0, &i1, &tx);
			const float level = row[i0] * (1 - tx) + row[i1] * tx;
			const float v = l[x] * top / KHO_MAX(level, 1.0f);
			l[x] = (uint8_t)KHO_MIN(255.0f, v + 0.5f);
			if (ok && (level < top / 2 ||
				   fabsf(row[i1] - row[i0]) > steep ||
				   fabsf(s->level[(size_t)j1 * bx + i0] -
					 s->level[(size_t)j0 * bx + i0]) > steep))
				ok[x] = 0;
		}
	}
	free(row);
	return KHO_OK;
}

void kho_shading_free(kho_shading *s)
{
	free(s->level);
	s->level = NULL;
}
