#include "render/sauvola.h"

#include "common/cpu.h"

#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if KHO_HAVE_AVX2
#include <immintrin.h>
#endif

/* Pixels per side of a statistics block. */
#define BLOCK 4

/* Sauvola's k and R.  k = 0.34 (Leptonica's typical 0.35): smaller k
 * thickens strokes, which costs G4 bytes and read no better on the
 * benchmark's pages (docs/COMPRESS.md); hairlines of 150 on paper of 232
 * and diacritic dots stay black. */
#define SAUVOLA_K 0.34f
#define SAUVOLA_R 128.0f

/* kho_sauvola_floor() on paper of the usual brightness. */
#define INK_FLOOR 48

/* A window of about 3 mm: wider than a stroke with paper on both sides,
 * narrower than the slow changes of light. */
#define WINDOW_MM 3.0

struct kho_sauvola {
	uint32_t w, h;
	int radius; /* half-window, in blocks */
	int floor;  /* kho_sauvola_floor() */
	kho_bits_fn fn;
	void *ctx;

	uint32_t nbx, nby; /* blocks across and down */
	/* Grey rows kept until thresholded: a ring of grey_cap rows. */
	uint8_t *grey;
	uint32_t grey_cap;
	/* Block statistics, a ring of stat_cap block rows; the block row
	 * each slot holds. */
	uint32_t *sum, *sq, *cnt;
	uint32_t stat_cap;
	uint32_t *slot_row;
	/* Column sums of sum, sq and cnt over the window's block rows, for
	 * block row col_row (UINT32_MAX: none yet). */
	uint64_t *col;
	uint32_t col_row;
	/* Thresholds at block centres, a ring of thr_cap block rows. */
	float *thr;
	uint32_t thr_cap;
	float *thr_row;	 /* one pixel row's thresholds at block centres */
	/* Each block's window sums, sum, squares and count, nbx apiece;
	 * whole_sums: they fit in 31 bits, for the vector steps. */
	uint32_t *win;
	int whole_sums;
	uint8_t *thr_px; /* the same at every pixel */
	/* Binarized rows before the despeckle: a ring of 5, as its words
	 * (kho_despeckle_row), and a row of them outside the page. */
	uint64_t *words, *zero;
	size_t n_words;
	uint8_t *bits; /* one row binarized, n_words * 8 bytes */
	uint8_t *out;  /* one despeckled row */
	size_t stride;

	uint32_t rows_in;     /* grey rows pushed */
	uint32_t blocks_done; /* block rows whose pixels are all in */
	uint32_t thr_done;    /* block rows with thresholds */
	uint32_t masked;      /* rows binarized */
	uint32_t emitted;     /* rows handed to fn */
	int speck;	      /* despeckle on */
};

static uint32_t *stat_row(const kho_sauvola *s, uint32_t *base, uint32_t j)
{
	return base + (size_t)(j % s->stat_cap) * s->nbx;
}

/* Row y's words, the guard word before them at [-1]. */
static uint64_t *word_row(const kho_sauvola *s, uint32_t y)
{
	return s->words + (size_t)(y % 5) * (s->n_words + 2) + 1;
}

int kho_sauvola_floor(double paper_level)
{
	if (!(paper_level > 0) || paper_level >= 2 * INK_FLOOR)
		return INK_FLOOR;
	return (int)(paper_level / 2);
}

int kho_sauvola_new(kho_sauvola **out, uint32_t width, uint32_t height, int dpi,
		    int floor, kho_bits_fn fn, void *ctx, kho_error *err)
{
	*out = NULL;
	if (width == 0 || height == 0)
		return kho_error_set(err, KHO_FAIL,
				     "cannot binarize an empty "
				     "page");
	kho_sauvola *s = calloc(1, sizeof(*s));
	if (!s)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	s->w = width;
	s->h = height;
	s->fn = fn;
	s->ctx = ctx;
	s->floor = KHO_MAX(0, KHO_MIN(floor, 255));
	const double px = (dpi > 0 ? dpi : 300) * WINDOW_MM / 25.4;
	s->radius = KHO_MAX(1, (int)lround(px / BLOCK / 2));
	s->nbx = (width + BLOCK - 1) / BLOCK;
	s->nby = (height + BLOCK - 1) / BLOCK;
	s->stat_cap = 2 * (uint32_t)s->radius + 3;
	s->thr_cap = 3;
	/* A grey row waits until the thresholds of the block row below
	 * its own are known: radius + 2 block rows ahead. */
	s->grey_cap = ((uint32_t)s->radius + 3) * BLOCK;
	s->stride = (width + 7) / 8;
	s->speck = dpi >= 150;
	const size_t ns = (size_t)s->stat_cap * s->nbx;
	s->grey = malloc((size_t)s->grey_cap * width);
	s->sum = calloc(ns, sizeof(uint32_t));
	s->sq = calloc(ns, sizeof(uint32_t));
	s->cnt = calloc(ns, sizeof(uint32_t));
	s->slot_row = malloc(s->stat_cap * sizeof(uint32_t));
	s->col = malloc(3 * (size_t)s->nbx * sizeof(uint64_t));
	s->col_row = UINT32_MAX;
	s->thr = malloc((size_t)s->thr_cap * s->nbx * sizeof(float));
	s->thr_row = malloc(s->nbx * sizeof(float));
	s->win = malloc(3 * (size_t)s->nbx * sizeof(uint32_t));
	const uint64_t side = (2 * (uint64_t)s->radius + 1) * BLOCK;
	s->whole_sums = side * side * 255 * 255 < ((uint64_t)1 << 31);
	s->thr_px = malloc(width);
	s->n_words = kho_despeckle_words(width);
	s->words = calloc(5 * (s->n_words + 2), sizeof(uint64_t));
	s->zero = calloc(s->n_words + 2, sizeof(uint64_t));
	s->bits = calloc(s->n_words, 8);
	s->out = malloc(s->stride);
	if (s->slot_row)
		memset(s->slot_row, 0xff, s->stat_cap * sizeof(uint32_t));
	if (!s->grey || !s->sum || !s->sq || !s->cnt || !s->slot_row ||
	    !s->col || !s->thr ||
	    !s->thr_row || !s->win || !s->thr_px || !s->words || !s->zero ||
	    !s->bits ||
	    !s->out) {
		kho_sauvola_free(s);
		return kho_error_set(err, KHO_FATAL,
				     "out of memory for binarization");
	}
	*out = s;
	return KHO_OK;
}

void kho_sauvola_free(kho_sauvola *s)
{
	if (!s)
		return;
	free(s->grey);
	free(s->sum);
	free(s->sq);
	free(s->cnt);
	free(s->slot_row);
	free(s->col);
	free(s->thr);
	free(s->thr_row);
	free(s->win);
	free(s->thr_px);
	free(s->words);
	free(s->zero);
	free(s->bits);
	free(s->out);
	free(s);
}

/* Block row j's statistics added to the column sums, or taken off. */
static void col_add(kho_sauvola *s, uint32_t j, int take_off)
{
	const uint32_t nbx = s->nbx;
	const uint32_t *a = stat_row(s, s->sum, j);
	const uint32_t *b = stat_row(s, s->sq, j);
	const uint32_t *c = stat_row(s, s->cnt, j);
	uint64_t *cs = s->col, *cq = s->col + nbx, *cn = s->col + 2 * nbx;
	if (take_off) {
		for (uint32_t i = 0; i < nbx; i++) {
			cs[i] -= a[i];
			cq[i] -= b[i];
			cn[i] -= c[i];
		}
	} else {
		for (uint32_t i = 0; i < nbx; i++) {
			cs[i] += a[i];
			cq[i] += b[i];
			cn[i] += c[i];
		}
	}
}

/* Sauvola's threshold of a window of N pixels summing to S, their squares
 * to Q: m (1 + k (sd / R - 1)). */
static float sauvola_t(uint64_t S, uint64_t Q, uint64_t N)
{
	const double n = (double)(N ? N : 1);
	const double m = (double)S / n;
	const double var = (double)Q / n - m * m;
	const float sd = var > 0 ? (float)sqrt(var) : 0.0f;
	return (float)m * (1.0f + SAUVOLA_K * (sd / SAUVOLA_R - 1.0f));
}

/*
 * sauvola_t on whole sums under 2^31, several blocks at once with the same
 * operations in double and then float, so the same thresholds: a variance
 * of 0 or below gives sqrt(0) = 0 as the branch does; the count is never 0
 * (a window holds its own block).  From block i on; returns where it
 * stopped.
 */
#if defined(__SSE2__)
static uint32_t thresholds_sse2(const uint32_t *S, const uint32_t *Q,
				const uint32_t *N, uint32_t nbx, uint32_t i,
				float *t)
{
	const __m128d zero = _mm_setzero_pd();
	const __m128 one = _mm_set1_ps(1.0f), k = _mm_set1_ps(SAUVOLA_K),
		     R = _mm_set1_ps(SAUVOLA_R);
	for (; i + 2 <= nbx; i += 2) {
		const __m128d n = _mm_cvtepi32_pd(
			_mm_loadl_epi64((const __m128i *)(N + i)));
		const __m128d m = _mm_div_pd(
			_mm_cvtepi32_pd(_mm_loadl_epi64((const __m128i *)(S + i))),
			n);
		const __m128d var = _mm_sub_pd(
			_mm_div_pd(_mm_cvtepi32_pd(_mm_loadl_epi64(
					   (const __m128i *)(Q + i))),
				   n),
			_mm_mul_pd(m, m));
		const __m128 sd = _mm_cvtpd_ps(_mm_sqrt_pd(_mm_max_pd(var, zero)));
		const __m128 v = _mm_mul_ps(
			_mm_cvtpd_ps(m),
			_mm_add_ps(one, _mm_mul_ps(k, _mm_sub_ps(_mm_div_ps(sd, R),
								 one))));
		_mm_storel_pi((__m64 *)(t + i), v);
	}
	return i;
}
#endif

#if KHO_HAVE_AVX2
static __attribute__((target("avx2"))) uint32_t
thresholds_avx2(const uint32_t *S, const uint32_t *Q, const uint32_t *N,
		uint32_t nbx, float *t)
{
	const __m256d zero = _mm256_setzero_pd();
	const __m128 one = _mm_set1_ps(1.0f), k = _mm_set1_ps(SAUVOLA_K),
		     R = _mm_set1_ps(SAUVOLA_R);
	uint32_t i = 0;
	for (; i + 4 <= nbx; i += 4) {
		const __m256d n = _mm256_cvtepi32_pd(
			_mm_loadu_si128((const __m128i *)(N + i)));
		const __m256d m = _mm256_div_pd(
			_mm256_cvtepi32_pd(
				_mm_loadu_si128((const __m128i *)(S + i))),
			n);
		const __m256d var = _mm256_sub_pd(
			_mm256_div_pd(_mm256_cvtepi32_pd(_mm_loadu_si128(
					      (const __m128i *)(Q + i))),
				      n),
			_mm256_mul_pd(m, m));
		const __m128 sd =
			_mm256_cvtpd_ps(_mm256_sqrt_pd(_mm256_max_pd(var, zero)));
		const __m128 v = _mm_mul_ps(
			_mm256_cvtpd_ps(m),
			_mm_add_ps(one, _mm_mul_ps(k, _mm_sub_ps(_mm_div_ps(sd, R),
								 one))));
		_mm_storeu_ps(t + i, v);
	}
	return i;
}
#endif

void kho_sauvola_thresholds(const uint32_t *S, const uint32_t *Q,
			    const uint32_t *N, uint32_t n, float *t)
{
	uint32_t i = 0;
#if KHO_HAVE_AVX2
	if (kho_cpu_avx2())
		i = thresholds_avx2(S, Q, N, n, t);
#endif
#if defined(__SSE2__)
	i = thresholds_sse2(S, Q, N, n, i, t);
#endif
	for (; i < n; i++)
		t[i] = sauvola_t(S[i], Q[i], N[i]);
}

/* Thresholds of block row j from the block rows within the radius. */
static void compute_thresholds(kho_sauvola *s, uint32_t j)
{
	const int r = s->radius;
	const uint32_t j0 = j >= (uint32_t)r ? j - (uint32_t)r : 0;
	const uint32_t j1 = KHO_MIN(j + (uint32_t)r, s->nby - 1);
	const uint32_t nbx = s->nbx;
	/* Column sums over the window's block rows: from the last block
	 * row's by the row that enters and the one that leaves, where that
	 * one is still in the ring; else summed afresh.  Then a running sum
	 * across. */
	uint64_t *cs = s->col, *cq = s->col + nbx, *cn = s->col + 2 * nbx;
	float *t = s->thr + (size_t)(j % s->thr_cap) * nbx;
	const uint32_t leave = j - (uint32_t)r - 1; /* when j > r */
	if (j > 0 && s->col_row == j - 1 &&
	    (j <= (uint32_t)r || s->slot_row[leave % s->stat_cap] == leave)) {
		if (j + (uint32_t)r <= s->nby - 1)
			col_add(s, j + (uint32_t)r, 0);
		if (j > (uint32_t)r)
			col_add(s, leave, 1);
	} else {
		memset(s->col, 0, 3 * (size_t)nbx * sizeof(uint64_t));
		for (uint32_t jj = j0; jj <= j1; jj++)
			col_add(s, jj, 0);
	}
	s->col_row = j;
#ifndef NDEBUG
	/* Debug builds check the running column sums against fresh ones. */
	for (uint32_t i = 0; i < nbx; i++) {
		uint64_t fs = 0, fq = 0, fn = 0;
		for (uint32_t jj = j0; jj <= j1; jj++) {
			fs += stat_row(s, s->sum, jj)[i];
			fq += stat_row(s, s->sq, jj)[i];
			fn += stat_row(s, s->cnt, jj)[i];
		}
		assert(fs == cs[i] && fq == cq[i] && fn == cn[i]);
	}
#endif
	uint64_t S = 0, Q = 0, N = 0;
	const uint32_t first = KHO_MIN((uint32_t)r, nbx - 1);
	for (uint32_t i = 0; i <= first; i++) {
		S += cs[i];
		Q += cq[i];
		N += cn[i];
	}
	uint32_t *ws = s->win, *wq = ws + nbx, *wn = wq + nbx;
	uint32_t i = 0;
	for (; i < nbx; i++) {
		if (s->whole_sums) {
			/* kept for the vector steps below */
			ws[i] = (uint32_t)S;
			wq[i] = (uint32_t)Q;
			wn[i] = (uint32_t)N;
		} else {
			t[i] = sauvola_t(S, Q, N);
		}
		/* slide: add i + r + 1, drop i - r */
		const uint32_t add = i + (uint32_t)r + 1;
		if (add < nbx) {
			S += cs[add];
			Q += cq[add];
			N += cn[add];
		}
		if (i >= (uint32_t)r) {
			const uint32_t drop = i - (uint32_t)r;
			S -= cs[drop];
			Q -= cq[drop];
			N -= cn[drop];
		}
	}
	if (s->whole_sums)
		kho_sauvola_thresholds(ws, wq, wn, nbx, t);
}

/*
 * A row of thresholds at block centres (nbx floats) into one byte a
 * pixel (w): g < t for a whole g is g < ceil(t), clamped to INK_FLOOR ..
 * 255.  Across, each pixel takes its block's threshold: the window is
 * nine blocks wide, so neighbouring blocks differ by little, and this
 * keeps the per-pixel work to one comparison.
 */
#if KHO_HAVE_AVX2 && BLOCK == 4
/* kho_sauvola_spread's steps eight blocks (32 pixels) at a time; from
 * block 0, returns the first block it left. */
static __attribute__((target("avx2"))) uint32_t
spread_avx2(const float *tr, uint32_t nbx, uint32_t w, int floor, uint8_t *T)
{
	(void)nbx;
	const __m256i floor_v = _mm256_set1_epi32(floor);
	/* each half's four bytes, four times each */
	const __m256i fours = _mm256_setr_epi8(
		0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 0, 0, 0, 0, 1, 1,
		1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
	uint32_t i = 0;
	for (; (i + 8) * BLOCK <= w; i += 8) {
		const __m256 t = _mm256_loadu_ps(tr + i);
		__m256i c = _mm256_cvttps_epi32(t);
		c = _mm256_sub_epi32(
			c, _mm256_castps_si256(_mm256_cmp_ps(
				   _mm256_cvtepi32_ps(c), t, _CMP_LT_OQ)));
		c = _mm256_max_epi32(c, floor_v);
		__m256i v = _mm256_packs_epi32(c, c);
		v = _mm256_packus_epi16(v, v);
		_mm256_storeu_si256((__m256i *)(T + (size_t)i * BLOCK),
				    _mm256_shuffle_epi8(v, fours));
	}
	return i;
}
#endif

void kho_sauvola_spread(const float *tr, uint32_t nbx, uint32_t w, int floor,
			uint8_t *T)
{
	uint32_t i = 0;
#if KHO_HAVE_AVX2 && BLOCK == 4
	if (kho_cpu_avx2())
		i = spread_avx2(tr, nbx, w, floor, T);
#endif
#if defined(__SSE2__) && BLOCK == 4
	/* Four blocks (16 pixels) at a time, the same steps as below:
	 * truncate, up by one where that fell below, clamp, each byte
	 * four times. */
	const __m128i floor_v = _mm_set1_epi32(floor);
	for (; (i + 4) * BLOCK <= w; i += 4) {
		const __m128 t = _mm_loadu_ps(tr + i);
		__m128i c = _mm_cvttps_epi32(t);
		c = _mm_sub_epi32(c, _mm_castps_si128(
					     _mm_cmplt_ps(_mm_cvtepi32_ps(c), t)));
		/* max(c, floor), then packus clamps at 255 */
		const __m128i gt = _mm_cmpgt_epi32(c, floor_v);
		c = _mm_or_si128(_mm_and_si128(gt, c),
				 _mm_andnot_si128(gt, floor_v));
		__m128i v = _mm_packs_epi32(c, c);
		v = _mm_packus_epi16(v, v);
		v = _mm_unpacklo_epi8(v, v);
		v = _mm_unpacklo_epi16(v, v);
		_mm_storeu_si128((__m128i *)(T + (size_t)i * BLOCK), v);
	}
#endif
	for (; i < nbx; i++) {
		/* g < t for a whole g is g < ceil(t); no libm */
		int c = (int)tr[i];
		c += (float)c < tr[i];
		const uint8_t v = (uint8_t)(c <= floor ? floor
					    : c >= 255 ? 255
						       : c);
		const uint32_t x0 = i * BLOCK;
		if (x0 + BLOCK <= w) {
			/* a fixed-size copy: one store, no call */
			const uint32_t four = v * 0x01010101u;
			memcpy(T + x0, &four, BLOCK);
		} else {
			memset(T + x0, v, w - x0);
		}
	}
}

/* Binarizes grey row y with thresholds interpolated between block
 * centres: first the row of thresholds, then the comparison, eight
 * pixels to a byte. */
/* A byte's bits in the other order: the mask is MSB first (the leftmost
 * pixel in bit 7), SSE2's movemask LSB first. */
#define R2(n) n, n + 2 * 64, n + 1 * 64, n + 3 * 64
#define R4(n) R2(n), R2(n + 2 * 16), R2(n + 1 * 16), R2(n + 3 * 16)
#define R6(n) R4(n), R4(n + 2 * 4), R4(n + 1 * 4), R4(n + 3 * 4)
static const uint8_t reversed[256] = {R6(0), R6(2), R6(1), R6(3)};
#undef R2
#undef R4
#undef R6

#if KHO_HAVE_AVX2
/* compare_bytes 32 pixels at a time: each eight-byte group reversed
 * first, so that movemask's bits come out MSB first.  Returns the first
 * byte it left. */
static __attribute__((target("avx2"))) uint32_t
compare_avx2(const uint8_t *g, const uint8_t *t, uint8_t *m, uint32_t b,
	     uint32_t whole)
{
	const __m256i zero = _mm256_setzero_si256();
	const __m256i reverse = _mm256_setr_epi8(
		7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
		3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8);
	for (; b + 4 <= whole; b += 4) {
		const __m256i gg =
			_mm256_loadu_si256((const __m256i *)(g + (size_t)b * 8));
		const __m256i tt =
			_mm256_loadu_si256((const __m256i *)(t + (size_t)b * 8));
		/* t - g, saturated, is not zero exactly where g < t */
		const __m256i ge = _mm256_shuffle_epi8(
			_mm256_cmpeq_epi8(_mm256_subs_epu8(tt, gg), zero),
			reverse);
		const uint32_t lt = ~(uint32_t)_mm256_movemask_epi8(ge);
		for (int k = 0; k < 4; k++)
			m[b + k] = (uint8_t)(lt >> (8 * k));
	}
	return b;
}
#endif

/* m's bytes from b on: bit set where g < t, eight pixels a byte. */
static void compare_bytes(const uint8_t *g, const uint8_t *t, uint8_t *m,
			  uint32_t b, uint32_t whole)
{
#if KHO_HAVE_AVX2
	if (kho_cpu_avx2())
		b = compare_avx2(g, t, m, b, whole);
#endif
#if defined(__SSE2__)
	const __m128i zero = _mm_setzero_si128();
	for (; b + 2 <= whole; b += 2) {
		const __m128i gg = _mm_loadu_si128((const __m128i *)(g + b * 8));
		const __m128i tt = _mm_loadu_si128((const __m128i *)(t + b * 8));
		/* t - g, saturated, is not zero exactly where g < t */
		const __m128i ge = _mm_cmpeq_epi8(_mm_subs_epu8(tt, gg), zero);
		const unsigned lt = ~(unsigned)_mm_movemask_epi8(ge) & 0xffffu;
		m[b] = reversed[lt & 0xffu];
		m[b + 1] = reversed[lt >> 8];
	}
#endif
	for (; b < whole; b++) {
		const uint8_t *gg = g + b * 8, *tt = t + b * 8;
		unsigned byte = 0;
		for (int k = 0; k < 8; k++)
			byte |= (unsigned)(gg[k] < tt[k]) << (7 - k);
		m[b] = (uint8_t)byte;
	}
}

static void binarize_row(kho_sauvola *s, uint32_t y)
{
	const float by = (y + 0.5f) / BLOCK - 0.5f;
	int j = (int)floorf(by);
	float fy = by - (float)j;
	if (j < 0) {
		j = 0;
		fy = 0;
	}
	if ((uint32_t)j >= s->nby - 1) {
		j = (int)s->nby - 1;
		fy = 0;
	}
	const uint32_t nbx = s->nbx;
	const float *t0 = s->thr + (size_t)((uint32_t)j % s->thr_cap) * nbx;
	const float *t1 =
		s->thr +
		(size_t)(KHO_MIN((uint32_t)j + 1, s->nby - 1) % s->thr_cap) *
			nbx;
	float *tr = s->thr_row;
	for (uint32_t i = 0; i < nbx; i++)
		tr[i] = t0[i] + fy * (t1[i] - t0[i]);
	uint8_t *T = s->thr_px;
	kho_sauvola_spread(tr, nbx, s->w, s->floor, T);
	const uint8_t *g = s->grey + (size_t)(y % s->grey_cap) * s->w;
	uint8_t *m = s->bits;
	const uint32_t whole = s->w / 8;
	compare_bytes(g, T, m, 0, whole);
	if (s->w % 8) {
		unsigned byte = 0;
		for (uint32_t x = whole * 8; x < s->w; x++)
			byte |= (unsigned)(g[x] < T[x]) << (7 - (x & 7));
		m[whole] = (uint8_t)byte;
	}
	/* the bytes past the row stay 0 */
	uint64_t *wr = word_row(s, y);
	for (size_t k = 0; k < s->n_words; k++) {
		uint64_t v;
		memcpy(&v, m + 8 * k, 8);
		wr[k] = __builtin_bswap64(v);
	}
}

size_t kho_despeckle_words(uint32_t w)
{
	return ((size_t)w + 63) / 64;
}

/* Word k's 64 pixels into the row's bytes, MSB first: its last word
 * only the bytes the row has. */
static void put_word(uint8_t *out, size_t stride, size_t k, uint64_t v)
{
	const uint64_t be = __builtin_bswap64(v);
	memcpy(out + 8 * k, &be, KHO_MIN((size_t)8, stride - 8 * k));
}

/*
 * Light despeckle: a black pixel goes when it and at most one neighbour
 * form the only black in its 3 x 3 and nothing is black on the ring
 * around that (5 x 5): a speck of one or two pixels standing alone.  A
 * diacritic's dot at 200 dpi or more is larger than that.
 *
 * 64 pixels at a time, and only where the middle row has black: each
 * neighbour of every pixel is a row's word shifted by its offset (with
 * the bits of the words beside it), "two or more of the eight
 * neighbours" is counted bit by bit as ones and twos, and the ring is an
 * OR.
 */
void kho_despeckle_row(const uint64_t *const rows[5], uint8_t *out,
		       uint32_t w)
{
	const size_t n = kho_despeckle_words(w), stride = ((size_t)w + 7) / 8;
	for (size_t k = 0; k < n; k++) {
		uint64_t keep = rows[2][k];
		if (keep) {
			uint64_t l1[5], r1[5], l2[5], r2[5], c[5];
			for (int r = 0; r < 5; r++) {
				const uint64_t *row = rows[r];
				const uint64_t prev = row[(ptrdiff_t)k - 1];
				const uint64_t next = row[k + 1];
				c[r] = row[k];
				l1[r] = c[r] >> 1 | prev << 63;
				r1[r] = c[r] << 1 | next >> 63;
				l2[r] = c[r] >> 2 | prev << 62;
				r2[r] = c[r] << 2 | next >> 62;
			}
			const uint64_t n8[8] = {l1[1], c[1], r1[1], l1[2],
						r1[2], l1[3], c[3], r1[3]};
			uint64_t ones = 0, twos = 0;
			for (int i = 0; i < 8; i++) {
				twos |= ones & n8[i];
				ones |= n8[i];
			}
			const uint64_t ring =
				l2[0] | l1[0] | c[0] | r1[0] | r2[0] |
				l2[4] | l1[4] | c[4] | r1[4] | r2[4] |
				l2[1] | r2[1] | l2[2] | r2[2] | l2[3] | r2[3];
			keep &= twos | ring;
			/* nothing past the row's end */
			if (k + 1 == n && w % 64)
				keep &= ~0ULL << (64 - w % 64);
		}
		put_word(out, stride, k, keep);
	}
}

static int emit_row(kho_sauvola *s, uint32_t y, kho_error *err)
{
	const uint64_t *rows[5];
	for (int d = -2; d <= 2; d++) {
		const int64_t yy = (int64_t)y + d;
		rows[d + 2] = yy < 0 || yy >= (int64_t)s->h
				      ? s->zero + 1
				      : word_row(s, (uint32_t)yy);
	}
	if (s->speck)
		kho_despeckle_row(rows, s->out, s->w);
	else
		for (size_t k = 0; k < s->n_words; k++)
			put_word(s->out, s->stride, k, rows[2][k]);
	return s->fn(s->ctx, y, s->out, err);
}

/* The block row whose centre is at or above pixel row y (the upper of
 * the two that row y interpolates between). */
static uint32_t upper_block(const kho_sauvola *s, uint32_t y)
{
	const float v = (y + 0.5f) / BLOCK - 0.5f;
	const int j = (int)floorf(v);
	return j < 0 ? 0 : KHO_MIN((uint32_t)j, s->nby - 1);
}

static int emit_ready(kho_sauvola *s, kho_error *err)
{
	while (s->emitted < s->masked &&
	       (s->emitted + 2 < s->masked || s->masked == s->h)) {
		const int rc = emit_row(s, s->emitted, err);
		if (rc)
			return rc;
		s->emitted++;
	}
	return KHO_OK;
}

/*
 * Does whatever the rows in allow; final at the end of the page.  Each
 * ring is only written once what it held is used up: thresholds at most
 * thr_cap block rows ahead of the rows still to binarize, masks emitted as
 * soon as their neighbours are there.
 */
static int advance(kho_sauvola *s, int final, kho_error *err)
{
	const uint32_t r = (uint32_t)s->radius;
	for (;;) {
		while (s->masked < s->rows_in) {
			const uint32_t y = s->masked;
			const uint32_t need =
				KHO_MIN(upper_block(s, y) + 1, s->nby - 1);
			if (need >= s->thr_done)
				break;
			binarize_row(s, y);
			s->masked++;
			const int rc = emit_ready(s, err);
			if (rc)
				return rc;
		}
		const uint32_t t = s->thr_done;
		if (t < s->nby && (final || t + r < s->blocks_done) &&
		    t < upper_block(s, s->masked) + s->thr_cap) {
			compute_thresholds(s, t);
			s->thr_done++;
			continue;
		}
		return emit_ready(s, err);
	}
}

int kho_sauvola_push(kho_sauvola *s, const uint8_t *grey, kho_error *err)
{
	if (s->rows_in >= s->h)
		return kho_error_set(
			err, KHO_FAIL,
			"binarization: more rows than the page has");
	const uint32_t y = s->rows_in;
	/* The ring slot must be free: y - grey_cap has been binarized. */
	assert(y < s->grey_cap || s->masked > y - s->grey_cap);
	memcpy(s->grey + (size_t)(y % s->grey_cap) * s->w, grey, s->w);
	const uint32_t j = y / BLOCK;
	uint32_t *sum = stat_row(s, s->sum, j);
	uint32_t *sq = stat_row(s, s->sq, j);
	uint32_t *cnt = stat_row(s, s->cnt, j);
	if (y % BLOCK == 0) {
		s->slot_row[j % s->stat_cap] = j;
		memset(sum, 0, s->nbx * sizeof(uint32_t));
		memset(sq, 0, s->nbx * sizeof(uint32_t));
		memset(cnt, 0, s->nbx * sizeof(uint32_t));
	}
	/* Whole blocks with a fixed count; then the last, narrower one. */
	const uint32_t whole = s->w / BLOCK;
	uint32_t i = 0;
#if defined(__SSE2__) && BLOCK == 4
	/* Four blocks (sixteen pixels) at a time: _mm_madd_epi16 sums
	 * neighbouring pairs of pixels (by ones) and of their squares, then
	 * each block's two pairs are added, evens to odds. */
	const __m128i zero = _mm_setzero_si128(), ones = _mm_set1_epi16(1);
	const __m128i four = _mm_set1_epi32(BLOCK);
	for (; i + 4 <= whole; i += 4) {
		const __m128i v =
			_mm_loadu_si128((const __m128i *)(grey + (size_t)i * 4));
		const __m128i lo = _mm_unpacklo_epi8(v, zero);
		const __m128i hi = _mm_unpackhi_epi8(v, zero);
		const __m128 a_lo = _mm_castsi128_ps(_mm_madd_epi16(lo, ones));
		const __m128 a_hi = _mm_castsi128_ps(_mm_madd_epi16(hi, ones));
		const __m128 b_lo = _mm_castsi128_ps(_mm_madd_epi16(lo, lo));
		const __m128 b_hi = _mm_castsi128_ps(_mm_madd_epi16(hi, hi));
		const __m128i a = _mm_add_epi32(
			_mm_castps_si128(_mm_shuffle_ps(a_lo, a_hi,
							_MM_SHUFFLE(2, 0, 2, 0))),
			_mm_castps_si128(_mm_shuffle_ps(
				a_lo, a_hi, _MM_SHUFFLE(3, 1, 3, 1))));
		const __m128i b = _mm_add_epi32(
			_mm_castps_si128(_mm_shuffle_ps(b_lo, b_hi,
							_MM_SHUFFLE(2, 0, 2, 0))),
			_mm_castps_si128(_mm_shuffle_ps(
				b_lo, b_hi, _MM_SHUFFLE(3, 1, 3, 1))));
		__m128i *ps = (__m128i *)(sum + i), *pq = (__m128i *)(sq + i),
			*pc = (__m128i *)(cnt + i);
		_mm_storeu_si128(ps, _mm_add_epi32(_mm_loadu_si128(ps), a));
		_mm_storeu_si128(pq, _mm_add_epi32(_mm_loadu_si128(pq), b));
		_mm_storeu_si128(pc, _mm_add_epi32(_mm_loadu_si128(pc), four));
	}
#endif
	for (; i < whole; i++) {
		const uint8_t *g = grey + (size_t)i * BLOCK;
		uint32_t a = 0, b = 0;
		for (int k = 0; k < BLOCK; k++) {
			a += g[k];
			b += (uint32_t)g[k] * g[k];
		}
		sum[i] += a;
		sq[i] += b;
		cnt[i] += BLOCK;
	}
	for (i = whole; i < s->nbx; i++) {
		const uint32_t x0 = i * BLOCK;
		uint32_t a = 0, b = 0;
		for (uint32_t x = x0; x < s->w; x++) {
			a += grey[x];
			b += (uint32_t)grey[x] * grey[x];
		}
		sum[i] += a;
		sq[i] += b;
		cnt[i] += s->w - x0;
	}
	s->rows_in++;
	if (s->rows_in % BLOCK == 0 || s->rows_in == s->h)
		s->blocks_done = (s->rows_in + BLOCK - 1) / BLOCK;
	return advance(s, 0, err);
}

uint32_t kho_sauvola_lag(const kho_sauvola *s)
{
	/* a grey row waits at most grey_cap rows, then two for the
	 * despeckle */
	return s->grey_cap + 3;
}

int kho_sauvola_finish(kho_sauvola *s, kho_error *err)
{
	if (s->rows_in != s->h)
		return kho_error_set(err, KHO_FAIL,
				     "binarization: %u of %u rows", s->rows_in,
				     s->h);
	const int rc = advance(s, 1, err);
	assert(rc || s->emitted == s->h);
	return rc;
}

typedef struct collect {
	uint8_t *bits;
	size_t stride;
} collect;

static int collect_row(void *ctx, uint32_t y, const uint8_t *bits,
		       kho_error *err)
{
	(void)err;
	collect *c = ctx;
	memcpy(c->bits + (size_t)y * c->stride, bits, c->stride);
	return KHO_OK;
}

int kho_sauvola_image(const kho_image *grey, int dpi, uint8_t **bits,
		      size_t *stride, kho_error *err)
{
	assert(grey->channels == 1);
	*bits = NULL;
	collect c = {NULL, (grey->width + 7) / 8};
	c.bits = malloc(c.stride * grey->height);
	if (!c.bits)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	kho_sauvola *s = NULL;
	int rc = kho_sauvola_new(&s, grey->width, grey->height, dpi,
				 kho_sauvola_floor(0), collect_row, &c, err);
	for (uint32_t y = 0; rc == KHO_OK && y < grey->height; y++)
		rc = kho_sauvola_push(
			s, grey->pixels + (size_t)y * grey->stride, err);
	if (rc == KHO_OK)
		rc = kho_sauvola_finish(s, err);
	kho_sauvola_free(s);
	if (rc) {
		free(c.bits);
		return rc;
	}
	*bits = c.bits;
	*stride = c.stride;
	return KHO_OK;
}
