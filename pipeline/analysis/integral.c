#include "analysis/integral.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Four pixels at a time where it can (SSE2): the running sums of four
 * lanes by two shifts, the row's sum so far carried in every lane. */
void kho_integral_row(const uint8_t *l, uint32_t W, const uint32_t *above,
		      uint32_t *cur)
{
	uint32_t run = 0, x = 0;
	cur[0] = 0;
#if defined(__SSE2__)
	const __m128i zero = _mm_setzero_si128();
	__m128i carry = zero;
	for (; x + 16 <= W; x += 16) {
		const __m128i v = _mm_loadu_si128((const __m128i *)(l + x));
		const __m128i half[2] = {_mm_unpacklo_epi8(v, zero),
					 _mm_unpackhi_epi8(v, zero)};
		for (int k = 0; k < 4; k++) {
			__m128i t =
				k % 2 ? _mm_unpackhi_epi16(half[k / 2], zero)
				      : _mm_unpacklo_epi16(half[k / 2], zero);
			t = _mm_add_epi32(t, _mm_slli_si128(t, 4));
			t = _mm_add_epi32(t, _mm_slli_si128(t, 8));
			t = _mm_add_epi32(t, carry);
			carry = _mm_shuffle_epi32(t, _MM_SHUFFLE(3, 3, 3, 3));
			const size_t at = (size_t)x + 1 + 4 * (size_t)k;
			const __m128i up =
				_mm_loadu_si128((const __m128i *)(above + at));
			_mm_storeu_si128((__m128i *)(cur + at),
					 _mm_add_epi32(t, up));
		}
	}
	run = (uint32_t)_mm_cvtsi128_si32(carry);
#endif
	for (; x < W; x++) {
		run += l[x];
		cur[x + 1] = above[x + 1] + run;
	}
}

uint32_t *kho_integral_image(const uint8_t *grey, uint32_t w, uint32_t h)
{
	const size_t w1 = (size_t)w + 1;
	uint32_t *ii = malloc(w1 * ((size_t)h + 1) * sizeof(*ii));
	if (!ii)
		return NULL;
	memset(ii, 0, w1 * sizeof(*ii));
	for (uint32_t y = 0; y < h; y++)
		kho_integral_row(grey + (size_t)y * w, w, ii + (size_t)y * w1,
				 ii + (size_t)(y + 1) * w1);
	return ii;
}
