#include "render/render_private.h"

#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* out[i] averages the input interval [i * ratio, (i + 1) * ratio), the
 * inputs at its ends weighted by how much of them it covers.  Enlarging,
 * each output takes the input it falls in. */
static kho_span *make_spans(uint32_t in, uint32_t out)
{
	kho_span *s = malloc(sizeof(*s) * out);
	if (!s)
		return NULL;
	const double ratio = (double)in / out;
	for (uint32_t i = 0; i < out; i++) {
		double a = i * ratio, b = (i + 1) * ratio;
		if (ratio < 1) {
			a = floor((i + 0.5) * ratio);
			b = a + 1;
		}
		int64_t first = (int64_t)floor(a);
		int64_t last = (int64_t)ceil(b) - 1;
		if (last >= (int64_t)in)
			last = (int64_t)in - 1;
		if (first > last)
			first = last;
		const double norm = 1.0 / (b - a);
		s[i].first = (uint32_t)first;
		s[i].count = (uint32_t)(last - first + 1);
		if (s[i].count == 1) {
			s[i].w_first = s[i].w_last = 1.0f;
		} else {
			s[i].w_first = (float)((first + 1.0 - a) * norm);
			s[i].w_last = (float)((b - last) * norm);
		}
		s[i].w_mid = (float)norm;
	}
	return s;
}

static float span_weight(const kho_span *s, uint32_t k)
{
	return k == 0 ? s->w_first : k == s->count - 1 ? s->w_last : s->w_mid;
}

int kho_resampler_init(kho_resampler *r, uint32_t in_w, uint32_t in_h,
		       uint32_t out_w, uint32_t out_h, int channels,
		       kho_row_fn fn, void *ctx, kho_error *err)
{
	memset(r, 0, sizeof(*r));
	if (channels < 1 || channels > 4)
		return kho_error_set(err, KHO_FAIL,
				     "cannot resample %d channels", channels);
	if (!in_w || !in_h || !out_w || !out_h)
		return kho_error_set(err, KHO_FAIL,
				     "cannot resample an empty "
				     "image");
	r->in_w = in_w;
	r->in_h = in_h;
	r->out_w = out_w;
	r->out_h = out_h;
	r->channels = channels;
	r->fn = fn;
	r->ctx = ctx;
	r->copy = in_w == out_w && in_h == out_h;
	if (r->copy)
		return KHO_OK;
	r->sx = make_spans(in_w, out_w);
	r->sy = make_spans(in_h, out_h);
	if (r->sx && r->sy) {
		uint32_t most = 1;
		for (uint32_t i = 0; i < out_h; i++)
			most = KHO_MAX(most, r->sy[i].count);
		r->ring = most + 1;
		r->lines = malloc((size_t)r->ring * out_w * channels *
				  sizeof(float));
		r->row = malloc((size_t)out_w * channels);
		r->acc = malloc((size_t)out_w * channels * sizeof(float));
	}
	if (!r->sx || !r->sy || !r->lines || !r->row || !r->acc) {
		kho_resampler_release(r);
		return kho_error_set(err, KHO_FATAL,
				     "out of memory for resampling");
	}
	return KHO_OK;
}

void kho_resampler_release(kho_resampler *r)
{
	free(r->sx);
	free(r->sy);
	free(r->lines);
	free(r->row);
	free(r->acc);
	memset(r, 0, sizeof(*r));
}

/* Output rows whose last input has arrived. */
static int emit(kho_resampler *r, kho_error *err)
{
	const size_t n = (size_t)r->out_w * r->channels;
	while (r->rows_out < r->out_h) {
		const kho_span *v = &r->sy[r->rows_out];
		if (v->first + v->count > r->rows_in)
			break;
		/* The ring must still hold this span's first input. */
		assert(r->rows_in - v->first <= r->ring);
		float *a = r->acc;
		memset(a, 0, n * sizeof(float));
		for (uint32_t k = 0; k < v->count; k++) {
			const float w = span_weight(v, k);
			const float *l = r->lines +
					 (size_t)((v->first + k) % r->ring) * n;
			for (size_t i = 0; i < n; i++)
				a[i] += w * l[i];
		}
		size_t i = 0;
#if defined(__SSE2__)
		/* Sixteen at a time, the same rounding: + 0.5, clamped to
		 * 0 .. 255, truncated. */
		const __m128 half = _mm_set1_ps(0.5f), zero = _mm_setzero_ps(),
			     top = _mm_set1_ps(255.0f);
		for (; i + 16 <= n; i += 16) {
			__m128i q[4];
			for (int k = 0; k < 4; k++) {
				__m128 f = _mm_add_ps(_mm_loadu_ps(a + i + 4 * k),
						      half);
				f = _mm_min_ps(_mm_max_ps(f, zero), top);
				q[k] = _mm_cvttps_epi32(f);
			}
			const __m128i lo = _mm_packs_epi32(q[0], q[1]);
			const __m128i hi = _mm_packs_epi32(q[2], q[3]);
			_mm_storeu_si128((__m128i *)(r->row + i),
					 _mm_packus_epi16(lo, hi));
		}
#endif
		for (; i < n; i++) {
			const float f = a[i] + 0.5f;
			r->row[i] = (uint8_t)(f < 0 ? 0 : f > 255 ? 255 : f);
		}
		const int rc = r->fn(r->ctx, r->rows_out, r->row, err);
		if (rc)
			return rc;
		r->rows_out++;
	}
	return KHO_OK;
}

/* One input row averaged across into out_w outputs of c channels.  The
 * inputs strictly inside a span are summed as whole numbers, so the float
 * they make is the one adding them one by one made, and the outputs are
 * the same to the bit. */
static inline void across(const kho_span *sx, uint32_t ox, uint32_t out_w,
			  const uint8_t *row, float *line, const int c)
{
	for (; ox < out_w; ox++) {
		const kho_span *h = &sx[ox];
		const uint8_t *p = row + (size_t)h->first * c;
		float *d = line + (size_t)ox * c;
		if (h->count == 1) {
			for (int ch = 0; ch < c; ch++)
				d[ch] = h->w_first * p[ch];
			continue;
		}
		const uint8_t *q = p + (size_t)(h->count - 1) * c;
		uint32_t mid[4] = {0, 0, 0, 0};
		for (const uint8_t *m = p + c; m < q; m += c)
			for (int ch = 0; ch < c; ch++)
				mid[ch] += m[ch];
		for (int ch = 0; ch < c; ch++)
			d[ch] = h->w_first * p[ch] +
				(h->w_mid * (float)mid[ch] + h->w_last * q[ch]);
	}
}

#if defined(__SSE2__)
/* The three bytes at p as the first three 32-bit lanes (the fourth is
 * the byte after them). */
static inline __m128i rgb_lanes(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, sizeof(v));
	const __m128i zero = _mm_setzero_si128();
	return _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(v), zero),
				  zero);
}

/* across() for RGB, an output's three channels at once with the same
 * float operations in the same order, while its span and the one float
 * past its three are inside the row and the line; returns the first
 * output it left to across(). */
static uint32_t across_rgb(const kho_span *sx, uint32_t ox, uint32_t in_w,
			   uint32_t out_w, const uint8_t *row, float *line)
{
	for (; ox + 1 < out_w && sx[ox].first + sx[ox].count < in_w; ox++) {
		const kho_span *h = &sx[ox];
		const uint8_t *p = row + (size_t)h->first * 3;
		const __m128 first = _mm_cvtepi32_ps(rgb_lanes(p));
		__m128 d;
		if (h->count == 1) {
			d = _mm_mul_ps(_mm_set1_ps(h->w_first), first);
		} else {
			const uint8_t *q = p + (size_t)(h->count - 1) * 3;
			__m128i mid = _mm_setzero_si128();
			for (const uint8_t *m = p + 3; m < q; m += 3)
				mid = _mm_add_epi32(mid, rgb_lanes(m));
			d = _mm_add_ps(
				_mm_mul_ps(_mm_set1_ps(h->w_first), first),
				_mm_add_ps(_mm_mul_ps(_mm_set1_ps(h->w_mid),
						      _mm_cvtepi32_ps(mid)),
					   _mm_mul_ps(_mm_set1_ps(h->w_last),
						      _mm_cvtepi32_ps(
							      rgb_lanes(q)))));
		}
		/* the fourth lane goes where the next output's first
		 * channel will */
		_mm_storeu_ps(line + (size_t)ox * 3, d);
	}
	return ox;
}
#endif

#if KHO_HAVE_AVX2
#include <immintrin.h>
#define AVX2_FN __attribute__((target("avx2")))

/* The four bytes at p and at q as eight 32-bit lanes, p's in the low
 * half. */
static inline AVX2_FN __m256i rgb_pair(const uint8_t *p, const uint8_t *q)
{
	int32_t a, b;
	memcpy(&a, p, sizeof(a));
	memcpy(&b, q, sizeof(b));
	return _mm256_cvtepu8_epi32(
		_mm_insert_epi32(_mm_cvtsi32_si128(a), b, 1));
}

static inline AVX2_FN __m256 weights(float a, float b)
{
	return _mm256_set_m128(_mm_set1_ps(b), _mm_set1_ps(a));
}

/* across_rgb two outputs at a time, one in each 128-bit half, with its
 * float operations on each, so the same floats; where the two spans are
 * not as long, the first is taken alone by across_rgb. */
static AVX2_FN uint32_t across_rgb_avx2(const kho_span *sx, uint32_t in_w,
					uint32_t out_w, const uint8_t *row,
					float *line)
{
	uint32_t ox = 0;
	while (ox + 2 < out_w && sx[ox + 1].first + sx[ox + 1].count < in_w) {
		const kho_span *a = &sx[ox], *b = &sx[ox + 1];
		if (a->count != b->count) {
			/* the first alone, as across_rgb takes it */
			ox = across_rgb(sx, ox, in_w, ox + 2, row, line);
			continue;
		}
		const uint8_t *pa = row + (size_t)a->first * 3;
		const uint8_t *pb = row + (size_t)b->first * 3;
		const __m256 first = _mm256_cvtepi32_ps(rgb_pair(pa, pb));
		__m256 d;
		if (a->count == 1) {
			d = _mm256_mul_ps(weights(a->w_first, b->w_first),
					  first);
		} else {
			const size_t last = (size_t)(a->count - 1) * 3;
			__m256i mid = _mm256_setzero_si256();
			for (size_t m = 3; m < last; m += 3)
				mid = _mm256_add_epi32(mid,
						       rgb_pair(pa + m, pb + m));
			d = _mm256_add_ps(
				_mm256_mul_ps(weights(a->w_first, b->w_first),
					      first),
				_mm256_add_ps(
					_mm256_mul_ps(weights(a->w_mid, b->w_mid),
						      _mm256_cvtepi32_ps(mid)),
					_mm256_mul_ps(
						weights(a->w_last, b->w_last),
						_mm256_cvtepi32_ps(rgb_pair(
							pa + last, pb + last)))));
		}
		/* the first output's fourth lane, then the second's, go
		 * where the next output's first channel will */
		_mm_storeu_ps(line + (size_t)ox * 3, _mm256_castps256_ps128(d));
		_mm_storeu_ps(line + (size_t)ox * 3 + 3,
			      _mm256_extractf128_ps(d, 1));
		ox += 2;
	}
	return ox;
}
#undef AVX2_FN
#endif

int kho_resampler_push(kho_resampler *r, const uint8_t *row, kho_error *err)
{
	if (r->rows_in >= r->in_h)
		return kho_error_set(err, KHO_FAIL,
				     "resampling: more rows than announced");
	if (r->copy) {
		const int rc = r->fn(r->ctx, r->rows_in, row, err);
		r->rows_out = ++r->rows_in;
		return rc;
	}
	const int c = r->channels;
	float *line = r->lines + (size_t)(r->rows_in % r->ring) * r->out_w * c;
	/* The channel count as a constant where it is 1 or 3, so that the
	 * compiler unrolls it; the sums are the same, in the same order. */
	if (c == 3) {
		uint32_t ox = 0;
#if KHO_HAVE_AVX2
		if (kho_cpu_avx2())
			ox = across_rgb_avx2(r->sx, r->in_w, r->out_w, row,
					     line);
#endif
#if defined(__SSE2__)
		ox = across_rgb(r->sx, ox, r->in_w, r->out_w, row, line);
#endif
		across(r->sx, ox, r->out_w, row, line, 3);
	} else if (c == 1) {
		across(r->sx, 0, r->out_w, row, line, 1);
	} else {
		across(r->sx, 0, r->out_w, row, line, c);
	}
	r->rows_in++;
	return emit(r, err);
}
