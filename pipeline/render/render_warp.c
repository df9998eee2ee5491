/*
 * The straight page's rows, sampled from the decoded source by the affine
 * map that render.c composes from the plan: copied where the map is whole
 * numbers, else bilinear in 16.16 fixed point with 8-bit weights, white
 * coming in from outside the page.  The run of a row inside the page is
 * one interval (the map is affine); it goes sixteen pixels at a time
 * (AVX2, where the processor has it) or eight (SSE2) wherever that many
 * neighbouring columns of at most three source rows make them, with the
 * same sums as the pixel-by-pixel blend.
 */
#include "render/render_private.h"

#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if KHO_HAVE_AVX2
#include <immintrin.h>
#endif

static const uint8_t *src_row(const kho_warp_src *s, int64_t y)
{
	return s->rows + (size_t)((uint32_t)y & s->mask) * s->stride;
}

/* One row by the integer map: a copy, with white outside the page. */
static void sample_exact(const kho_warp_src *s, const kho_warp_map *g,
			 uint32_t j, uint8_t *out)
{
	const int c = s->channels;
	const int64_t ax = (int64_t)g->ax, bx = (int64_t)g->bx;
	int64_t x = (int64_t)g->a0 + (int64_t)g->ay * j;
	int64_t y = (int64_t)g->b0 + (int64_t)g->by * j;
	if (ax == 1 && bx == 0 && y >= 0 && y < s->height && x >= 0 &&
	    x + g->width <= s->width) {
		memcpy(out, src_row(s, y) + x * c, (size_t)g->width * c);
		return;
	}
	for (uint32_t i = 0; i < g->width; i++, x += ax, y += bx) {
		uint8_t *d = out + (size_t)i * c;
		if (x < 0 || y < 0 || x >= s->width || y >= s->height)
			memset(d, 255, (size_t)c);
		else
			memcpy(d, src_row(s, y) + x * c, (size_t)c);
	}
}

/* Bilinear samples of the 2 x 2 neighbourhood at (s, q) with 8-bit
 * weights; C channels, a constant where it is inlined. */
static inline void blend(const uint8_t *p, const uint8_t *q, uint32_t fx,
			 uint32_t fy, int c, uint8_t *d)
{
	for (int k = 0; k < c; k++) {
		const int32_t top =
			p[k] * 256 + (p[k + c] - p[k]) * (int32_t)fx;
		const int32_t bot =
			q[k] * 256 + (q[k + c] - q[k]) * (int32_t)fx;
		d[k] = (uint8_t)((top * 256 + (bot - top) * (int32_t)fy +
				  32768) >>
				 16);
	}
}

/* The run of a row that lies inside the page, with c channels: the row
 * pointers change only when the sampled row does, which for a skew of a
 * few degrees is every few dozen pixels. */
static inline void run_inside(const kho_warp_src *s, int64_t X, int64_t Y,
			      int64_t DX, int64_t DY, int64_t n, int c,
			      uint8_t *out)
{
	int64_t cur = INT64_MIN;
	const uint8_t *r0 = NULL, *r1 = NULL;
	for (int64_t i = 0; i < n; i++, X += DX, Y += DY) {
		const int64_t yi = Y >> 16;
		if (yi != cur) {
			cur = yi;
			r0 = src_row(s, yi);
			r1 = src_row(s, yi + 1);
		}
		const int64_t xi = (X >> 16) * c;
		blend(r0 + xi, r1 + xi, (uint32_t)(X >> 8) & 255u,
		      (uint32_t)(Y >> 8) & 255u, c, out + i * c);
	}
}

/* run_inside with the channel count a constant, for either. */
static void run_inside_any(const kho_warp_src *s, int64_t X, int64_t Y,
			   int64_t DX, int64_t DY, int64_t n, int c,
			   uint8_t *out)
{
	if (c == 1)
		run_inside(s, X, Y, DX, DY, n, 1, out);
	else
		run_inside(s, X, Y, DX, DY, n, 3, out);
}

#if defined(__SSE2__)
/*
 * Eight pixels of the run at once where they read eight neighbouring
 * columns of the same two source rows, with the same sums as blend(),
 * exactly.  Each 32-bit lane holds a pair of 16-bit values that
 * _mm_madd_epi16 weighs: the horizontal pair (s, q) by (256 - fx, fx),
 * then the two rows' results, split into high and low bytes to stay in 16
 * bits, by (256 - fy, fy).  Only the low 16 bits of X and Y give the
 * weights, so 32-bit lanes that wrap are enough.
 */
typedef struct lanes8 {
	__m128i x[2], y[2];	/* X and Y of pixels 0-3 and 4-7, low 32 bits */
	__m128i step_x, step_y; /* eight pixels on */
	int64_t dx7, dy7;	/* seven pixels on, in X and Y */
} lanes8;

static inline void lanes8_init(lanes8 *l, int64_t X, int64_t Y, int64_t DX,
			       int64_t DY)
{
	for (int h = 0; h < 2; h++) {
		const int64_t k = 4 * h;
		l->x[h] = _mm_setr_epi32((int)(uint32_t)(X + k * DX),
					 (int)(uint32_t)(X + (k + 1) * DX),
					 (int)(uint32_t)(X + (k + 2) * DX),
					 (int)(uint32_t)(X + (k + 3) * DX));
		l->y[h] = _mm_setr_epi32((int)(uint32_t)(Y + k * DY),
					 (int)(uint32_t)(Y + (k + 1) * DY),
					 (int)(uint32_t)(Y + (k + 2) * DY),
					 (int)(uint32_t)(Y + (k + 3) * DY));
	}
	l->step_x = _mm_set1_epi32((int)(uint32_t)(8 * DX));
	l->step_y = _mm_set1_epi32((int)(uint32_t)(8 * DY));
	l->dx7 = 7 * DX;
	l->dy7 = 7 * DY;
}

/* The weights of the next eight pixels, (256 - f, f) a lane, pixels 0-3
 * in [0] and 4-7 in [1]; the lanes move on by eight. */
static inline void lanes8_next(lanes8 *l, __m128i wx[2], __m128i wy[2])
{
	const __m128i byte = _mm_set1_epi32(255);
	const __m128i w256 = _mm_set1_epi32(256);
	for (int h = 0; h < 2; h++) {
		const __m128i fx =
			_mm_and_si128(_mm_srli_epi32(l->x[h], 8), byte);
		const __m128i fy =
			_mm_and_si128(_mm_srli_epi32(l->y[h], 8), byte);
		wx[h] = _mm_or_si128(_mm_sub_epi32(w256, fx),
				     _mm_slli_epi32(fx, 16));
		wy[h] = _mm_or_si128(_mm_sub_epi32(w256, fy),
				     _mm_slli_epi32(fy, 16));
		l->x[h] = _mm_add_epi32(l->x[h], l->step_x);
		l->y[h] = _mm_add_epi32(l->y[h], l->step_y);
	}
}

/* How the eight pixels from (X, Y) read the source: 1 when they read
 * columns xi .. xi + 7 of rows yi and yi + 1, 2 when those columns and,
 * from one pixel on, the next pair of rows down or up (*top the upper
 * row of all), 0 otherwise.  Each step moves xi by the same whole
 * number of columns or one more, so seven steps that make seven columns
 * are one column each; the same holds for the rows. */
static inline int rows8(const lanes8 *l, int64_t X, int64_t Y, int64_t *top)
{
	if (((X + l->dx7) >> 16) != (X >> 16) + 7)
		return 0;
	const int64_t first = Y >> 16, last = (Y + l->dy7) >> 16;
	*top = KHO_MIN(first, last);
	if (first == last)
		return 1;
	return last - first == 1 || first - last == 1 ? 2 : 0;
}

/* Which of the eight pixels read from row top + 1 on: all ones in its
 * 16-bit lane, pixel k in lane k; before lanes8_next moves them on.
 * Only the low 32 bits of Y are in the lanes: their differences from
 * the start of row top + 1 are within a row (65536) either way, far
 * inside the 2^31 a signed compare of wrapped values tells apart. */
static inline __m128i lower8(const lanes8 *l, int64_t top)
{
	const __m128i at = _mm_set1_epi32((int)(uint32_t)((top + 1) * 65536));
	const __m128i before = _mm_set1_epi32(-1);
	return _mm_packs_epi32(
		_mm_cmpgt_epi32(_mm_sub_epi32(l->y[0], at), before),
		_mm_cmpgt_epi32(_mm_sub_epi32(l->y[1], at), before));
}

/* b where the mask m is set, else a. */
static inline __m128i pick(__m128i m, __m128i a, __m128i b)
{
	return _mm_or_si128(_mm_and_si128(m, b), _mm_andnot_si128(m, a));
}

/* Both rows' blends of four pairs of samples by the horizontal weights
 * wx, then by the vertical ones wy. */
static inline __m128i blend4(__m128i top_pairs, __m128i bot_pairs, __m128i wx,
			     __m128i wy)
{
	const __m128i byte = _mm_set1_epi32(255);
	const __m128i top = _mm_madd_epi16(top_pairs, wx);
	const __m128i bot = _mm_madd_epi16(bot_pairs, wx);
	const __m128i hi =
		_mm_or_si128(_mm_srli_epi32(top, 8),
			     _mm_slli_epi32(_mm_srli_epi32(bot, 8), 16));
	const __m128i lo =
		_mm_or_si128(_mm_and_si128(top, byte),
			     _mm_slli_epi32(_mm_and_si128(bot, byte), 16));
	const __m128i sum = _mm_add_epi32(
		_mm_add_epi32(_mm_slli_epi32(_mm_madd_epi16(hi, wy), 8),
			      _mm_madd_epi16(lo, wy)),
		_mm_set1_epi32(32768));
	return _mm_srli_epi32(sum, 16);
}

/* A group's start: the eight pixels' weights into wx and wy, the lanes
 * moved on by eight; returns which pixels read from row top + 1 on when
 * the group crosses a row (rows 2), else none. */
static inline __m128i group_start(lanes8 *l, int64_t top, int rows,
				  __m128i wx[2], __m128i wy[2])
{
	const __m128i lower = rows == 2 ? lower8(l, top) : _mm_setzero_si128();
	lanes8_next(l, wx, wy);
	return lower;
}

/* Grey: the eight pixels from (X, Y) into out, their rows as rows8 gives
 * them (a constant where it is inlined); the lanes move on by eight. */
static inline __attribute__((always_inline)) void
group_grey8(const kho_warp_src *s, lanes8 *l, int64_t X, int64_t top, int rows,
	    uint8_t *out)
{
	const __m128i zero = _mm_setzero_si128();
	__m128i wx[2], wy[2];
	const __m128i lower = group_start(l, top, rows, wx, wy);
	const uint8_t *r0 = src_row(s, top) + (X >> 16);
	const uint8_t *r1 = src_row(s, top + 1) + (X >> 16);
	__m128i p0 =
		_mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)r0), zero);
	__m128i q0 = _mm_unpacklo_epi8(
		_mm_loadl_epi64((const __m128i *)(r0 + 1)), zero);
	__m128i p1 =
		_mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)r1), zero);
	__m128i q1 = _mm_unpacklo_epi8(
		_mm_loadl_epi64((const __m128i *)(r1 + 1)), zero);
	if (rows == 2) {
		/* the pixels past the change of row: rows top + 1 and
		 * top + 2 */
		const uint8_t *r2 = src_row(s, top + 2) + (X >> 16);
		p0 = pick(lower, p0, p1);
		q0 = pick(lower, q0, q1);
		p1 = pick(lower, p1,
			  _mm_unpacklo_epi8(
				  _mm_loadl_epi64((const __m128i *)r2), zero));
		q1 = pick(lower, q1,
			  _mm_unpacklo_epi8(
				  _mm_loadl_epi64((const __m128i *)(r2 + 1)),
				  zero));
	}
	const __m128i a = blend4(_mm_unpacklo_epi16(p0, q0),
				 _mm_unpacklo_epi16(p1, q1), wx[0], wy[0]);
	const __m128i b = blend4(_mm_unpackhi_epi16(p0, q0),
				 _mm_unpackhi_epi16(p1, q1), wx[1], wy[1]);
	_mm_storel_epi64((__m128i *)out,
			 _mm_packus_epi16(_mm_packs_epi32(a, b), zero));
}

/* The groups that cross a change of row, out of line: the loop over the
 * others keeps its registers. */
static __attribute__((noinline)) void group_grey8_across(const kho_warp_src *s,
							 lanes8 *l, int64_t X,
							 int64_t top,
							 uint8_t *out)
{
	group_grey8(s, l, X, top, 2, out);
}

/* Eight pixels' weights (pixels 0-3 in w[0], 4-7 in w[1]) over their 24
 * bytes: bytes 0-3 are pixels 0 0 0 1, 4-7 are 1 1 2 2, 8-11 are 2 3 3 3;
 * the same for pixels 4-7 in bytes 12-23. */
static inline void spread_rgb(const __m128i w[2], __m128i out[6])
{
	for (int h = 0; h < 2; h++) {
		out[3 * h] = _mm_shuffle_epi32(w[h], _MM_SHUFFLE(1, 0, 0, 0));
		out[3 * h + 1] =
			_mm_shuffle_epi32(w[h], _MM_SHUFFLE(2, 2, 1, 1));
		out[3 * h + 2] =
			_mm_shuffle_epi32(w[h], _MM_SHUFFLE(3, 3, 3, 2));
	}
}

/* 24 bytes as 16-bit values: bytes 0-7, 8-15, 16-23. */
static inline void widen24(const uint8_t *b, __m128i v[3])
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i lo = _mm_loadu_si128((const __m128i *)b);
	v[0] = _mm_unpacklo_epi8(lo, zero);
	v[1] = _mm_unpackhi_epi8(lo, zero);
	v[2] = _mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)(b + 16)),
				 zero);
}

/* Colour: eight pixels whose columns follow each other are 24 bytes that
 * follow each other, each blended with the byte 3 further on, by its
 * pixel's weights (each pixel's weight spread over its three bytes by
 * shuffles); as group_grey8 otherwise. */
static inline __attribute__((always_inline)) void
group_rgb8(const kho_warp_src *s, lanes8 *l, int64_t X, int64_t top, int rows,
	   uint8_t *out)
{
	const __m128i zero = _mm_setzero_si128();
	__m128i wx[2], wy[2];
	const __m128i lower = group_start(l, top, rows, wx, wy);
	__m128i bx[6], by[6];
	spread_rgb(wx, bx);
	spread_rgb(wy, by);
	const uint8_t *r0 = src_row(s, top) + (X >> 16) * 3;
	const uint8_t *r1 = src_row(s, top + 1) + (X >> 16) * 3;
	/* 24 bytes of each pixel and of its right neighbour: the last read
	 * is byte 26, the third of column xi + 8, inside the row as the run
	 * is */
	__m128i P[3], Q[3], R[3], S[3];
	widen24(r0, P);
	widen24(r0 + 3, Q);
	widen24(r1, R);
	widen24(r1 + 3, S);
	if (rows == 2) {
		/* the pixels past the change of row: rows top + 1 and
		 * top + 2, each pixel's mask over its bytes */
		const uint8_t *r2 = src_row(s, top + 2) + (X >> 16) * 3;
		const __m128i by_pixel[2] = {_mm_unpacklo_epi16(lower, lower),
					     _mm_unpackhi_epi16(lower, lower)};
		__m128i T[3], U[3], m32[6];
		widen24(r2, T);
		widen24(r2 + 3, U);
		spread_rgb(by_pixel, m32);
		for (int k = 0; k < 3; k++) {
			const __m128i m =
				_mm_packs_epi32(m32[2 * k], m32[2 * k + 1]);
			P[k] = pick(m, P[k], R[k]);
			Q[k] = pick(m, Q[k], S[k]);
			R[k] = pick(m, R[k], T[k]);
			S[k] = pick(m, S[k], U[k]);
		}
	}
	__m128i res[6];
	for (int k = 0; k < 3; k++) {
		res[2 * k] = blend4(_mm_unpacklo_epi16(P[k], Q[k]),
				    _mm_unpacklo_epi16(R[k], S[k]), bx[2 * k],
				    by[2 * k]);
		res[2 * k + 1] = blend4(_mm_unpackhi_epi16(P[k], Q[k]),
					_mm_unpackhi_epi16(R[k], S[k]),
					bx[2 * k + 1], by[2 * k + 1]);
	}
	const __m128i first = _mm_packus_epi16(_mm_packs_epi32(res[0], res[1]),
					       _mm_packs_epi32(res[2], res[3]));
	const __m128i last =
		_mm_packus_epi16(_mm_packs_epi32(res[4], res[5]), zero);
	_mm_storeu_si128((__m128i *)out, first);
	_mm_storel_epi64((__m128i *)(out + 16), last);
}

static __attribute__((noinline)) void group_rgb8_across(const kho_warp_src *s,
							lanes8 *l, int64_t X,
							int64_t top,
							uint8_t *out)
{
	group_rgb8(s, l, X, top, 2, out);
}

/* The run of a row inside the page eight pixels at a time, c channels (a
 * constant where it is inlined), while the groups read neighbouring
 * columns of at most three rows: returns how many pixels it made (a
 * multiple of 8); the caller makes the rest. */
static inline __attribute__((always_inline)) int64_t
run_inside8(const kho_warp_src *s, int64_t X, int64_t Y, int64_t DX, int64_t DY,
	    int64_t n, int c, uint8_t *out)
{
	lanes8 l;
	lanes8_init(&l, X, Y, DX, DY);
	int64_t i = 0;
	for (; i + 8 <= n; i += 8, X += 8 * DX, Y += 8 * DY) {
		int64_t top;
		const int rows = rows8(&l, X, Y, &top);
		if (!rows)
			break;
		uint8_t *o = out + i * c;
		if (c == 1 && rows == 1)
			group_grey8(s, &l, X, top, 1, o);
		else if (c == 1)
			group_grey8_across(s, &l, X, top, o);
		else if (rows == 1)
			group_rgb8(s, &l, X, top, 1, o);
		else
			group_rgb8_across(s, &l, X, top, o);
	}
	return i;
}

static int64_t run_inside_grey8(const kho_warp_src *s, int64_t X, int64_t Y,
				int64_t DX, int64_t DY, int64_t n, uint8_t *out)
{
	return run_inside8(s, X, Y, DX, DY, n, 1, out);
}

static int64_t run_inside_rgb8(const kho_warp_src *s, int64_t X, int64_t Y,
			       int64_t DX, int64_t DY, int64_t n, uint8_t *out)
{
	return run_inside8(s, X, Y, DX, DY, n, 3, out);
}
#endif

#if KHO_HAVE_AVX2
/*
 * Sixteen pixels at a time, as the eight above with 256-bit registers.
 * AVX2 works in two 128-bit halves: _mm256_unpacklo_epi16 of sixteen
 * 16-bit samples pairs pixels 0-3 in the low half and 8-11 in the high
 * one, so the grey lanes hold their pixels in that order (order_grey);
 * the colour lanes hold them in order, and each byte's weight is picked
 * from its pixel's lane by _mm256_permutevar8x32_epi32.
 */
#define AVX2_INLINE static inline __attribute__((target("avx2"), always_inline))
#define AVX2_FN __attribute__((target("avx2")))

typedef struct lanes16 {
	__m256i x[2], y[2];	/* X and Y, low 32 bits, in the slots' order */
	__m256i step_x, step_y; /* sixteen pixels on */
	int64_t dx15, dy15;	/* fifteen pixels on, in X and Y */
} lanes16;

/* The pixel in each of the sixteen slots (x[0] then x[1]). */
static const int8_t order_grey[16] = {0, 1, 2,  3,  8,  9,  10, 11,
				      4, 5, 6, 7, 12, 13, 14, 15};
static const int8_t order_rgb[16] = {0, 1, 2,  3,  4,  5,  6,  7,
				     8, 9, 10, 11, 12, 13, 14, 15};

AVX2_INLINE void lanes16_init(lanes16 *l, int64_t X, int64_t Y, int64_t DX,
			      int64_t DY, const int8_t order[16])
{
	int32_t xs[16], ys[16];
	for (int k = 0; k < 16; k++) {
		xs[k] = (int32_t)(uint32_t)(X + order[k] * DX);
		ys[k] = (int32_t)(uint32_t)(Y + order[k] * DY);
	}
	for (int h = 0; h < 2; h++) {
		l->x[h] = _mm256_loadu_si256((const __m256i *)(xs + 8 * h));
		l->y[h] = _mm256_loadu_si256((const __m256i *)(ys + 8 * h));
	}
	l->step_x = _mm256_set1_epi32((int)(uint32_t)(16 * DX));
	l->step_y = _mm256_set1_epi32((int)(uint32_t)(16 * DY));
	l->dx15 = 15 * DX;
	l->dy15 = 15 * DY;
}

/* lanes8_next for sixteen: (256 - f, f) in each slot. */
AVX2_INLINE void lanes16_next(lanes16 *l, __m256i wx[2], __m256i wy[2])
{
	const __m256i byte = _mm256_set1_epi32(255);
	const __m256i w256 = _mm256_set1_epi32(256);
	for (int h = 0; h < 2; h++) {
		const __m256i fx =
			_mm256_and_si256(_mm256_srli_epi32(l->x[h], 8), byte);
		const __m256i fy =
			_mm256_and_si256(_mm256_srli_epi32(l->y[h], 8), byte);
		wx[h] = _mm256_or_si256(_mm256_sub_epi32(w256, fx),
					_mm256_slli_epi32(fx, 16));
		wy[h] = _mm256_or_si256(_mm256_sub_epi32(w256, fy),
					_mm256_slli_epi32(fy, 16));
		l->x[h] = _mm256_add_epi32(l->x[h], l->step_x);
		l->y[h] = _mm256_add_epi32(l->y[h], l->step_y);
	}
}

/* rows8 for sixteen pixels, which may also fall in three rows (a skew
 * under about 7.6 degrees). */
AVX2_INLINE int rows16(const lanes16 *l, int64_t X, int64_t Y, int64_t *top)
{
	if (((X + l->dx15) >> 16) != (X >> 16) + 15)
		return 0;
	const int64_t first = Y >> 16, last = (Y + l->dy15) >> 16;
	*top = KHO_MIN(first, last);
	const int64_t span = first < last ? last - first : first - last;
	return span <= 2 ? (int)span + 1 : 0;
}

/* lower8 for sixteen: all ones in a slot whose pixel reads from row
 * `from` on, 32 bits a slot; before lanes16_next moves them on. */
AVX2_INLINE void lower16(const lanes16 *l, int64_t from, __m256i m[2])
{
	const __m256i at = _mm256_set1_epi32((int)(uint32_t)(from * 65536));
	const __m256i before = _mm256_set1_epi32(-1);
	for (int h = 0; h < 2; h++)
		m[h] = _mm256_cmpgt_epi32(_mm256_sub_epi32(l->y[h], at),
					  before);
}

AVX2_INLINE __m256i pick16(__m256i m, __m256i a, __m256i b)
{
	return _mm256_blendv_epi8(a, b, m);
}

/* blend4 on eight pairs. */
AVX2_INLINE __m256i blend8(__m256i top_pairs, __m256i bot_pairs, __m256i wx,
			   __m256i wy)
{
	const __m256i byte = _mm256_set1_epi32(255);
	const __m256i top = _mm256_madd_epi16(top_pairs, wx);
	const __m256i bot = _mm256_madd_epi16(bot_pairs, wx);
	const __m256i hi = _mm256_or_si256(
		_mm256_srli_epi32(top, 8),
		_mm256_slli_epi32(_mm256_srli_epi32(bot, 8), 16));
	const __m256i lo = _mm256_or_si256(
		_mm256_and_si256(top, byte),
		_mm256_slli_epi32(_mm256_and_si256(bot, byte), 16));
	const __m256i sum = _mm256_add_epi32(
		_mm256_add_epi32(
			_mm256_slli_epi32(_mm256_madd_epi16(hi, wy), 8),
			_mm256_madd_epi16(lo, wy)),
		_mm256_set1_epi32(32768));
	return _mm256_srli_epi32(sum, 16);
}

/* Sixteen bytes from p as 16-bit values. */
AVX2_INLINE __m256i widen16(const uint8_t *p)
{
	return _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)p));
}

/* 32-bit results in the grey slots' order (a: pixels 0-3 and 8-11, b:
 * 4-7 and 12-15) into sixteen bytes in order. */
AVX2_INLINE __m128i pack_grey16(__m256i a, __m256i b)
{
	const __m256i w = _mm256_packs_epi32(a, b);
	const __m256i v = _mm256_packus_epi16(w, w);
	return _mm256_castsi256_si128(
		_mm256_permute4x64_epi64(v, _MM_SHUFFLE(3, 1, 2, 0)));
}

/* group_grey8 for sixteen pixels. */
AVX2_INLINE void group_grey16(const kho_warp_src *s, lanes16 *l, int64_t X,
			      int64_t top, int rows, uint8_t *out)
{
	__m256i m[2], m2[2], wx[2], wy[2];
	if (rows >= 2)
		lower16(l, top + 1, m);
	if (rows == 3)
		lower16(l, top + 2, m2);
	lanes16_next(l, wx, wy);
	/* the last byte read is column xi + 16, inside the row as the run
	 * is */
	const uint8_t *r0 = src_row(s, top) + (X >> 16);
	const uint8_t *r1 = src_row(s, top + 1) + (X >> 16);
	__m256i p0 = widen16(r0), q0 = widen16(r0 + 1);
	__m256i p1 = widen16(r1), q1 = widen16(r1 + 1);
	if (rows == 2) {
		/* the slots' masks as sixteen 16-bit ones in pixel order */
		const __m256i lower = _mm256_packs_epi32(m[0], m[1]);
		const uint8_t *r2 = src_row(s, top + 2) + (X >> 16);
		p0 = pick16(lower, p0, p1);
		q0 = pick16(lower, q0, q1);
		p1 = pick16(lower, p1, widen16(r2));
		q1 = pick16(lower, q1, widen16(r2 + 1));
	} else if (rows == 3) {
		/* a slot reads rows top and top + 1, top + 1 and top + 2,
		 * or top + 2 and top + 3 */
		const __m256i lower = _mm256_packs_epi32(m[0], m[1]);
		const __m256i lowest = _mm256_packs_epi32(m2[0], m2[1]);
		const uint8_t *r2 = src_row(s, top + 2) + (X >> 16);
		const uint8_t *r3 = src_row(s, top + 3) + (X >> 16);
		const __m256i p2 = widen16(r2), q2 = widen16(r2 + 1);
		p0 = pick16(lower, p0, pick16(lowest, p1, p2));
		q0 = pick16(lower, q0, pick16(lowest, q1, q2));
		p1 = pick16(lower, p1, pick16(lowest, p2, widen16(r3)));
		q1 = pick16(lower, q1, pick16(lowest, q2, widen16(r3 + 1)));
	}
	const __m256i a = blend8(_mm256_unpacklo_epi16(p0, q0),
				 _mm256_unpacklo_epi16(p1, q1), wx[0], wy[0]);
	const __m256i b = blend8(_mm256_unpackhi_epi16(p0, q0),
				 _mm256_unpackhi_epi16(p1, q1), wx[1], wy[1]);
	_mm_storeu_si128((__m128i *)out, pack_grey16(a, b));
}

static AVX2_FN __attribute__((noinline)) void
group_grey16_across(const kho_warp_src *s, lanes16 *l, int64_t X, int64_t top,
		    int rows, uint8_t *out)
{
	if (rows == 2)
		group_grey16(s, l, X, top, 2, out);
	else
		group_grey16(s, l, X, top, 3, out);
}

/*
 * Sixteen colour pixels are 48 bytes, widened to 16 bits in three
 * registers k (bytes 16k to 16k + 15); _mm256_unpacklo_epi16 pairs bytes
 * 16k + 0-3 and 16k + 8-11, unpackhi 16k + 4-7 and 16k + 12-15.  The
 * weight of byte b is its pixel b / 3's, picked from the eight pixels
 * that register's bytes fall in (0-7, 4-11, 8-15: base 4k).
 */
#define SPREAD_PX(k, h, slot)                                                  \
	((16 * (k) + ((slot) < 4 ? (slot) : (slot) + 4) + 4 * (h)) / 3 -     \
	 4 * (k))
#define SPREAD_ROW(k, h)                                                       \
	{                                                                      \
		SPREAD_PX(k, h, 0), SPREAD_PX(k, h, 1), SPREAD_PX(k, h, 2),    \
		SPREAD_PX(k, h, 3), SPREAD_PX(k, h, 4), SPREAD_PX(k, h, 5),    \
		SPREAD_PX(k, h, 6), SPREAD_PX(k, h, 7)                         \
	}
static const int32_t spread_index[6][8] = {
	SPREAD_ROW(0, 0), SPREAD_ROW(0, 1), SPREAD_ROW(1, 0),
	SPREAD_ROW(1, 1), SPREAD_ROW(2, 0), SPREAD_ROW(2, 1),
};
#undef SPREAD_ROW
#undef SPREAD_PX

/* Sixteen pixels' 32-bit values (pixels 0-7 in v[0], 8-15 in v[1]) over
 * the slots of the six pairings: register k's unpacklo in out[2k], its
 * unpackhi in out[2k + 1]. */
AVX2_INLINE void spread48(const __m256i v[2], __m256i out[6])
{
	const __m256i from[3] = {
		v[0], _mm256_permute2x128_si256(v[0], v[1], 0x21), v[1]};
	for (int i = 0; i < 6; i++)
		out[i] = _mm256_permutevar8x32_epi32(
			from[i / 2],
			_mm256_loadu_si256((const __m256i *)spread_index[i]));
}

/* group_rgb8 for sixteen pixels. */
AVX2_INLINE void group_rgb16(const kho_warp_src *s, lanes16 *l, int64_t X,
			     int64_t top, int rows, uint8_t *out)
{
	__m256i m[2], m2[2], wx[2], wy[2];
	if (rows >= 2)
		lower16(l, top + 1, m);
	if (rows == 3)
		lower16(l, top + 2, m2);
	lanes16_next(l, wx, wy);
	__m256i bx[6], by[6];
	spread48(wx, bx);
	spread48(wy, by);
	/* 48 bytes of each pixel and of its right neighbour: the last read
	 * is byte 50, the third of column xi + 16, inside the row as the
	 * run is */
	const uint8_t *r0 = src_row(s, top) + (X >> 16) * 3;
	const uint8_t *r1 = src_row(s, top + 1) + (X >> 16) * 3;
	__m256i P[3], Q[3], R[3], S[3];
	for (int k = 0; k < 3; k++) {
		P[k] = widen16(r0 + 16 * k);
		Q[k] = widen16(r0 + 16 * k + 3);
		R[k] = widen16(r1 + 16 * k);
		S[k] = widen16(r1 + 16 * k + 3);
	}
	if (rows == 2) {
		const uint8_t *r2 = src_row(s, top + 2) + (X >> 16) * 3;
		__m256i m32[6];
		spread48(m, m32);
		for (int k = 0; k < 3; k++) {
			const __m256i mk =
				_mm256_packs_epi32(m32[2 * k], m32[2 * k + 1]);
			P[k] = pick16(mk, P[k], R[k]);
			Q[k] = pick16(mk, Q[k], S[k]);
			R[k] = pick16(mk, R[k], widen16(r2 + 16 * k));
			S[k] = pick16(mk, S[k], widen16(r2 + 16 * k + 3));
		}
	} else if (rows == 3) {
		/* as group_grey16's three rows */
		const uint8_t *r2 = src_row(s, top + 2) + (X >> 16) * 3;
		const uint8_t *r3 = src_row(s, top + 3) + (X >> 16) * 3;
		__m256i m32[6], n32[6];
		spread48(m, m32);
		spread48(m2, n32);
		for (int k = 0; k < 3; k++) {
			const __m256i mk =
				_mm256_packs_epi32(m32[2 * k], m32[2 * k + 1]);
			const __m256i nk =
				_mm256_packs_epi32(n32[2 * k], n32[2 * k + 1]);
			const __m256i T = widen16(r2 + 16 * k);
			const __m256i U = widen16(r2 + 16 * k + 3);
			P[k] = pick16(mk, P[k], pick16(nk, R[k], T));
			Q[k] = pick16(mk, Q[k], pick16(nk, S[k], U));
			R[k] = pick16(mk, R[k],
				      pick16(nk, T, widen16(r3 + 16 * k)));
			S[k] = pick16(mk, S[k],
				      pick16(nk, U, widen16(r3 + 16 * k + 3)));
		}
	}
	__m256i v[3];
	for (int k = 0; k < 3; k++) {
		const __m256i lo = blend8(_mm256_unpacklo_epi16(P[k], Q[k]),
					  _mm256_unpacklo_epi16(R[k], S[k]),
					  bx[2 * k], by[2 * k]);
		const __m256i hi = blend8(_mm256_unpackhi_epi16(P[k], Q[k]),
					  _mm256_unpackhi_epi16(R[k], S[k]),
					  bx[2 * k + 1], by[2 * k + 1]);
		v[k] = _mm256_packs_epi32(lo, hi); /* bytes 16k on, in order */
	}
	const __m256i first = _mm256_permute4x64_epi64(
		_mm256_packus_epi16(v[0], v[1]), _MM_SHUFFLE(3, 1, 2, 0));
	const __m256i last = _mm256_permute4x64_epi64(
		_mm256_packus_epi16(v[2], v[2]), _MM_SHUFFLE(3, 1, 2, 0));
	_mm256_storeu_si256((__m256i *)out, first);
	_mm_storeu_si128((__m128i *)(out + 32), _mm256_castsi256_si128(last));
}

static AVX2_FN __attribute__((noinline)) void
group_rgb16_across(const kho_warp_src *s, lanes16 *l, int64_t X, int64_t top,
		   int rows, uint8_t *out)
{
	if (rows == 2)
		group_rgb16(s, l, X, top, 2, out);
	else
		group_rgb16(s, l, X, top, 3, out);
}

/*
 * Eight pixels at a time whatever the map: each pixel's four samples are
 * gathered from where it falls (_mm256_i32gather_epi32, a grey pixel and
 * its right neighbour in the low two bytes of 32 bits; for colour,
 * _mm256_i32gather_epi64, its six bytes in the low six of 64), then
 * weighed as blend8 weighs them.  The lanes hold whole 16.16 positions,
 * so the page must be under 32768 pixels a side and the source under
 * 2^31 bytes; the gathers read up to two bytes past a pixel's right
 * neighbour, inside the next row or KHO_WARP_SLACK.
 */
static int gather_fits(const kho_warp_src *s)
{
	const uint64_t rows = KHO_MIN((uint64_t)s->mask + 1, (uint64_t)s->height);
	return s->width < 32768 && s->height < 32768 &&
	       rows * s->stride + KHO_WARP_SLACK < ((uint64_t)1 << 31);
}

/* Two source rows' offsets (row yi and yi + 1 of the ring, column xi of c
 * channels) for the eight lanes. */
AVX2_INLINE void gather_offsets(const kho_warp_src *s, __m256i x, __m256i y,
				int c, __m256i *o0, __m256i *o1)
{
	const __m256i mask = _mm256_set1_epi32((int)s->mask);
	const __m256i stride = _mm256_set1_epi32((int)s->stride);
	const __m256i yi = _mm256_srli_epi32(y, 16);
	__m256i col = _mm256_srli_epi32(x, 16);
	if (c == 3)
		col = _mm256_add_epi32(col, _mm256_add_epi32(col, col));
	*o0 = _mm256_add_epi32(
		_mm256_mullo_epi32(_mm256_and_si256(yi, mask), stride), col);
	*o1 = _mm256_add_epi32(
		_mm256_mullo_epi32(
			_mm256_and_si256(
				_mm256_add_epi32(yi, _mm256_set1_epi32(1)), mask),
			stride),
		col);
}

/* The pairs (sample, right neighbour) of channel c of the eight pixels
 * whose 64-bit gathers are g (pixels 0, 1, 4, 5 in its halves) and h (2,
 * 3, 6, 7), as 16-bit halves of 32 bits, pixels in order. */
AVX2_INLINE __m256i rgb_pairs(__m256i g, __m256i h, int c)
{
	const __m256i pick = _mm256_setr_epi8(
		(char)c, -1, (char)(c + 3), -1, (char)(c + 8), -1,
		(char)(c + 11), -1, -1, -1, -1, -1, -1, -1, -1, -1, (char)c, -1,
		(char)(c + 3), -1, (char)(c + 8), -1, (char)(c + 11), -1, -1, -1,
		-1, -1, -1, -1, -1, -1);
	return _mm256_unpacklo_epi64(_mm256_shuffle_epi8(g, pick),
				     _mm256_shuffle_epi8(h, pick));
}

static AVX2_FN int64_t run_gather(const kho_warp_src *s, int64_t X, int64_t Y,
				  int64_t DX, int64_t DY, int64_t n, int c,
				  uint8_t *out)
{
	if (n < 8 || !gather_fits(s))
		return 0;
	const int *base = (const int *)(const void *)s->rows;
	__m256i x = _mm256_setr_epi32(
		(int)X, (int)(X + DX), (int)(X + 2 * DX), (int)(X + 3 * DX),
		(int)(X + 4 * DX), (int)(X + 5 * DX), (int)(X + 6 * DX),
		(int)(X + 7 * DX));
	__m256i y = _mm256_setr_epi32(
		(int)Y, (int)(Y + DY), (int)(Y + 2 * DY), (int)(Y + 3 * DY),
		(int)(Y + 4 * DY), (int)(Y + 5 * DY), (int)(Y + 6 * DY),
		(int)(Y + 7 * DY));
	const __m256i step_x = _mm256_set1_epi32((int)(8 * DX));
	const __m256i step_y = _mm256_set1_epi32((int)(8 * DY));
	const __m256i byte = _mm256_set1_epi32(255);
	const __m256i w256 = _mm256_set1_epi32(256);
	/* a grey gather's two low bytes as 16-bit halves */
	const __m256i grey_pairs = _mm256_setr_epi8(
		0, -1, 1, -1, 4, -1, 5, -1, 8, -1, 9, -1, 12, -1, 13, -1, 0, -1,
		1, -1, 4, -1, 5, -1, 8, -1, 9, -1, 12, -1, 13, -1);
	/* the order the colour offsets are gathered in (see rgb_pairs) */
	const __m256i rgb_order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
	/* R, G and B of four pixels a half, bytes 0-3, 4-7, 8-11, into
	 * RGB RGB RGB RGB */
	const __m256i interleave = _mm256_setr_epi8(
		0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11, -1, -1, -1, -1, 0, 4, 8, 1,
		5, 9, 2, 6, 10, 3, 7, 11, -1, -1, -1, -1);
	int64_t i = 0;
	for (; i + 8 <= n; i += 8) {
		const __m256i fx = _mm256_and_si256(_mm256_srli_epi32(x, 8), byte);
		const __m256i fy = _mm256_and_si256(_mm256_srli_epi32(y, 8), byte);
		const __m256i wx = _mm256_or_si256(_mm256_sub_epi32(w256, fx),
						   _mm256_slli_epi32(fx, 16));
		const __m256i wy = _mm256_or_si256(_mm256_sub_epi32(w256, fy),
						   _mm256_slli_epi32(fy, 16));
		__m256i o0, o1;
		gather_offsets(s, x, y, c, &o0, &o1);
		x = _mm256_add_epi32(x, step_x);
		y = _mm256_add_epi32(y, step_y);
		if (c == 1) {
			const __m256i top = _mm256_shuffle_epi8(
				_mm256_i32gather_epi32(base, o0, 1), grey_pairs);
			const __m256i bot = _mm256_shuffle_epi8(
				_mm256_i32gather_epi32(base, o1, 1), grey_pairs);
			const __m256i v = blend8(top, bot, wx, wy);
			/* pixels 0-3 in the low half's first four bytes,
			 * 4-7 in the high half's */
			const __m256i b = _mm256_packus_epi16(
				_mm256_packs_epi32(v, _mm256_setzero_si256()),
				_mm256_setzero_si256());
			const __m256i lo8 = _mm256_permutevar8x32_epi32(
				b, _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1));
			_mm_storel_epi64((__m128i *)(out + i),
					 _mm256_castsi256_si128(lo8));
			continue;
		}
		o0 = _mm256_permutevar8x32_epi32(o0, rgb_order);
		o1 = _mm256_permutevar8x32_epi32(o1, rgb_order);
		const long long *b64 = (const long long *)(const void *)base;
		const __m256i g0 = _mm256_i32gather_epi64(
			b64, _mm256_castsi256_si128(o0), 1);
		const __m256i h0 = _mm256_i32gather_epi64(
			b64, _mm256_extracti128_si256(o0, 1), 1);
		const __m256i g1 = _mm256_i32gather_epi64(
			b64, _mm256_castsi256_si128(o1), 1);
		const __m256i h1 = _mm256_i32gather_epi64(
			b64, _mm256_extracti128_si256(o1, 1), 1);
		__m256i ch[3];
		for (int k = 0; k < 3; k++)
			ch[k] = blend8(rgb_pairs(g0, h0, k), rgb_pairs(g1, h1, k),
				       wx, wy);
		const __m256i rgb = _mm256_shuffle_epi8(
			_mm256_packus_epi16(
				_mm256_packs_epi32(ch[0], ch[1]),
				_mm256_packs_epi32(ch[2], _mm256_setzero_si256())),
			interleave);
		uint8_t *o = out + i * 3;
		_mm_storel_epi64((__m128i *)o, _mm256_castsi256_si128(rgb));
		const __m128i high = _mm256_extracti128_si256(rgb, 1);
		int32_t last4 = _mm_cvtsi128_si32(
			_mm_srli_si128(_mm256_castsi256_si128(rgb), 8));
		memcpy(o + 8, &last4, 4);
		_mm_storel_epi64((__m128i *)(o + 12), high);
		last4 = _mm_cvtsi128_si32(_mm_srli_si128(high, 8));
		memcpy(o + 20, &last4, 4);
	}
	return i;
}

/* run_inside8 sixteen pixels at a time. */
AVX2_INLINE int64_t run_inside16(const kho_warp_src *s, int64_t X, int64_t Y,
				 int64_t DX, int64_t DY, int64_t n, int c,
				 uint8_t *out)
{
	lanes16 l;
	lanes16_init(&l, X, Y, DX, DY, c == 1 ? order_grey : order_rgb);
	int64_t i = 0;
	for (; i + 16 <= n; i += 16, X += 16 * DX, Y += 16 * DY) {
		int64_t top;
		const int rows = rows16(&l, X, Y, &top);
		if (!rows)
			break;
		uint8_t *o = out + i * c;
		if (c == 1 && rows == 1)
			group_grey16(s, &l, X, top, 1, o);
		else if (c == 1)
			group_grey16_across(s, &l, X, top, rows, o);
		else if (rows == 1)
			group_rgb16(s, &l, X, top, 1, o);
		else
			group_rgb16_across(s, &l, X, top, rows, o);
	}
	return i;
}

static AVX2_FN int64_t run_inside_grey16(const kho_warp_src *s, int64_t X,
					 int64_t Y, int64_t DX, int64_t DY,
					 int64_t n, uint8_t *out)
{
	return run_inside16(s, X, Y, DX, DY, n, 1, out);
}

static AVX2_FN int64_t run_inside_rgb16(const kho_warp_src *s, int64_t X,
					int64_t Y, int64_t DX, int64_t DY,
					int64_t n, uint8_t *out)
{
	return run_inside16(s, X, Y, DX, DY, n, 3, out);
}
#undef AVX2_INLINE
#undef AVX2_FN
#endif

/* One pixel near or past the edge: white comes in from outside. */
static void pixel_edge(const kho_warp_src *s, int64_t X, int64_t Y, uint8_t *d)
{
	const int c = s->channels;
	const int64_t xi = X >> 16, yi = Y >> 16;
	uint8_t quad[2][2][3];
	for (int q = 0; q < 4; q++) {
		const int64_t px = xi + (q & 1), py = yi + (q >> 1);
		uint8_t *v = quad[q >> 1][q & 1];
		if (px < 0 || py < 0 || px >= s->width || py >= s->height)
			memset(v, 255, (size_t)c);
		else
			memcpy(v, src_row(s, py) + px * c, (size_t)c);
	}
	/* blend wants each row's two pixels side by side, c apart */
	uint8_t top[6], bot[6];
	memcpy(top, quad[0][0], (size_t)c);
	memcpy(top + c, quad[0][1], (size_t)c);
	memcpy(bot, quad[1][0], (size_t)c);
	memcpy(bot + c, quad[1][1], (size_t)c);
	blend(top, bot, (uint32_t)(X >> 8) & 255u, (uint32_t)(Y >> 8) & 255u, c,
	      d);
}

static int inside(const kho_warp_src *s, int64_t X, int64_t Y)
{
	const int64_t x = X >> 16, y = Y >> 16;
	return x >= 0 && y >= 0 && x + 1 < s->width && y + 1 < s->height;
}

/* Whether any of a pixel's four samples is on the page; when none is,
 * the pixel is white (the blend of four 255s is 255). */
static int touches(const kho_warp_src *s, int64_t X, int64_t Y)
{
	const int64_t x = X >> 16, y = Y >> 16;
	return x >= -1 && y >= -1 && x < s->width && y < s->height;
}

/* Pixels [from, to) of a row by the edge: white where they touch nothing
 * of the page, which along a line is one interval next to the inside run
 * (before it when before, after it when after), found by bisection. */
static void edge_pixels(const kho_warp_src *s, int64_t X, int64_t Y,
			int64_t DX, int64_t DY, int64_t from, int64_t to,
			int before, uint8_t *out)
{
	const int c = s->channels;
	/* first, last: the part that touches the page */
	int64_t first = from, last = to;
	int64_t lo = from, hi = to;
	if (before) {
		/* touching from some index on: the first */
		while (lo < hi) {
			const int64_t mid = lo + (hi - lo) / 2;
			if (touches(s, X + DX * mid, Y + DY * mid))
				hi = mid;
			else
				lo = mid + 1;
		}
		first = lo;
	} else {
		/* touching up to some index: the end */
		while (lo < hi) {
			const int64_t mid = lo + (hi - lo) / 2;
			if (touches(s, X + DX * mid, Y + DY * mid))
				lo = mid + 1;
			else
				hi = mid;
		}
		last = lo;
	}
	memset(out + from * c, 255, (size_t)(first - from) * c);
	for (int64_t i = first; i < last; i++)
		pixel_edge(s, X + DX * i, Y + DY * i, out + i * c);
	memset(out + last * c, 255, (size_t)(to - last) * c);
}

/* One row by the general map, bilinear, in 16.16 fixed point: the part
 * inside the page in a tight loop, the edges pixel by pixel. */
static void sample_bilinear(const kho_warp_src *s, const kho_warp_map *g,
			    uint32_t j, uint8_t *out, kho_warp_isa isa)
{
	const int c = s->channels;
	int64_t X = llround((g->a0 + g->ay * j) * 65536.0);
	int64_t Y = llround((g->b0 + g->by * j) * 65536.0);
	const int64_t DX = llround(g->ax * 65536.0);
	const int64_t DY = llround(g->bx * 65536.0);
	const int64_t n = g->width;
	int64_t i = 0;
	/* The map is affine, so the inside part of the row is one run. */
	while (i < n && !inside(s, X + DX * i, Y + DY * i))
		i++;
	if (i == n) {
		/* nothing inside: pixel by pixel, white where nothing of the
		 * page is near */
		for (i = 0; i < n; i++) {
			if (touches(s, X + DX * i, Y + DY * i))
				pixel_edge(s, X + DX * i, Y + DY * i,
					   out + i * c);
			else
				memset(out + i * c, 255, (size_t)c);
		}
		return;
	}
	edge_pixels(s, X, Y, DX, DY, 0, i, 1, out);
	/* The last inside pixel, by bisection: the inside of a line is
	 * one interval. */
	int64_t end = i;
	if (i < n) {
		int64_t lo = i, hi = n; /* lo inside, hi outside or the end */
		while (hi - lo > 1) {
			const int64_t mid = lo + (hi - lo) / 2;
			if (inside(s, X + DX * mid, Y + DY * mid))
				lo = mid;
			else
				hi = mid;
		}
		end = hi;
	}
#if KHO_HAVE_AVX2
	/* Where most groups of sixteen can be read from neighbouring
	 * columns (rows16: the sixteen fall in at most three rows, under
	 * about 7.6 degrees of skew, and their columns follow each other in
	 * at least half the groups, as without a change of scale), a group
	 * that cannot is gathered and the next one read the neighbouring
	 * way again; elsewhere the rest of the run is gathered.  Gathering
	 * the rest after the first such group, as before, left most of a
	 * row skewed by 3 degrees to the gathers. */
	const int64_t ady = DY < 0 ? -DY : DY;
	const int64_t off = 15 * DX - 15 * 65536;
	const int64_t aoff = off < 0 ? -off : off;
	const int64_t gather_chunk =
		15 * ady < 2 * 65536 && 2 * aoff < 65536 ? 16 : n;
#endif
	/* in stretches: sixteen or eight at a time where they can be,
	 * then eight one by one (across a change of source row, or where the
	 * columns do not follow each other) */
	while (i < end) {
#if KHO_HAVE_AVX2
		if (isa >= KHO_WARP_AVX2) {
			i += c == 1 ? run_inside_grey16(s, X + DX * i,
							Y + DY * i, DX, DY,
							end - i, out + i)
				    : run_inside_rgb16(s, X + DX * i,
						       Y + DY * i, DX, DY,
						       end - i, out + i * 3);
			/* then gathered: a group or two, or the rest */
			const int64_t got = run_gather(
				s, X + DX * i, Y + DY * i, DX, DY,
				KHO_MIN(end - i, gather_chunk), c, out + i * c);
			i += got;
			if (got > 0 && i < end)
				continue;
		}
#endif
#if defined(__SSE2__)
		/* with AVX2 too, where the page is too large to gather from */
		if (isa >= KHO_WARP_SSE2)
			i += c == 1 ? run_inside_grey8(s, X + DX * i,
						       Y + DY * i, DX, DY,
						       end - i, out + i)
				    : run_inside_rgb8(s, X + DX * i, Y + DY * i,
						      DX, DY, end - i,
						      out + i * 3);
#endif
		const int64_t one = isa == KHO_WARP_PLAIN
					    ? end - i
					    : KHO_MIN(end - i, (int64_t)8);
		if (one > 0)
			run_inside_any(s, X + DX * i, Y + DY * i, DX, DY, one,
				       c, out + i * c);
		i += one;
	}
	edge_pixels(s, X, Y, DX, DY, end, n, 0, out);
}

kho_warp_isa kho_warp_best(void)
{
	if (kho_cpu_avx2())
		return KHO_WARP_AVX2;
#if defined(__SSE2__)
	return KHO_WARP_SSE2;
#else
	return KHO_WARP_PLAIN;
#endif
}

void kho_warp_row_isa(const kho_warp_src *s, const kho_warp_map *m,
		      uint32_t j, uint8_t *out, kho_warp_isa isa)
{
	assert(isa <= kho_warp_best());
	if (m->exact)
		sample_exact(s, m, j, out);
	else
		sample_bilinear(s, m, j, out, isa);
}

void kho_warp_row(const kho_warp_src *s, const kho_warp_map *m, uint32_t j,
		  uint8_t *out)
{
	kho_warp_row_isa(s, m, j, out, kho_warp_best());
}
