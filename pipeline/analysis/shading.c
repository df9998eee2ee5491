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

static int cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
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

static void free_all(double *u, double *v, double *z, double *r,
		     uint8_t *in)
{
	free(u);
	free(v);
	free(z);
	free(r);
	free(in);
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
	double *u = malloc(nb * sizeof(*u)), *v = malloc(nb * sizeof(*v));
	double *z = malloc(nb * sizeof(*z)), *r = malloc(nb * sizeof(*r));
	uint8_t *in = malloc(nb);
	if (!u || !v || !z || !r || !in) {
		free_all(u, v, z, r, in);
		return kho_error_set(err, KHO_FATAL,
				     "out of memory measuring the page's shading");
	}
	/* Each block's paper, where the block is plain paper: at its centre,
	 * the page's width and height from -1 to 1. */
	size_t n = 0, n_usable = 0;
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
			n_usable++;
			const int paper = brightest(hist, samples, 0.4);
			if (brightest(hist, samples, 0.1) - paper > BLOCK_GRAIN)
				continue;
			u[n] = centre(i, w);
			v[n] = centre(j, h);
			z[n] = paper;
			n++;
		}
	/* A robust fit: the blocks far from the surface (a photo's flat
	 * parts, a dark area) are left out, and the surface fitted again. */
	double c[TERMS] = {0}, scatter = 0;
	size_t on = 0;
	int ok = n > 0;
	memset(in, 1, n);
	for (int round = 0; ok && round < 5; round++) {
		ok = fit(u, v, z, in, n, c);
		if (!ok)
			break;
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (in[i])
				r[m++] = fabs(z[i] - surface_at(c, u[i], v[i]));
		qsort(r, m, sizeof(*r), cmp_double);
		scatter = 1.4826 * r[m / 2];
		const double keep = KHO_MAX(6.0, 2.5 * scatter);
		on = 0;
		for (size_t i = 0; i < n; i++) {
			in[i] = fabs(z[i] - surface_at(c, u[i], v[i])) <= keep;
			on += in[i];
		}
	}
	out->fit = n_usable ? (double)on / (double)n_usable : 0;
	if (ok) {
		out->top = 0;
		out->bottom = 255;
		for (size_t i = 0; i < n; i++)
			if (in[i]) {
				const double s = surface_at(c, u[i], v[i]);
				out->top = KHO_MAX(out->top, KHO_MIN(s, 255.0));
				out->bottom = KHO_MIN(out->bottom, KHO_MAX(s, 0.0));
			}
	}
	const int shaded = ok && on > 0 && scatter <= SURFACE_SCATTER &&
			   out->fit >= SURFACE_SHARE &&
			   out->bottom < (1 - SHADED) * out->top &&
			   out->top - out->bottom >= SHADED_LEVELS;
	free_all(u, v, z, r, in);
	if (!shaded)
		return KHO_OK;
	out->level = malloc(nb);
	if (!out->level)
		return kho_error_set(err, KHO_FATAL,
				     "out of memory measuring the page's shading");
	/* The surface in every block, within what the paper showed: beyond
	 * the paper's blocks a quadratic may run off. */
	for (uint32_t j = 0; j < by; j++)
		for (uint32_t i = 0; i < bx; i++) {
			const double s = surface_at(c, centre(i, w), centre(j, h));
			out->level[(size_t)j * bx + i] = (uint8_t)lround(
				KHO_MAX(out->bottom, KHO_MIN(out->top, s)));
		}
	return KHO_OK;
}

void kho_shading_free(kho_shading *s)
{
	free(s->level);
	s->level = NULL;
}
