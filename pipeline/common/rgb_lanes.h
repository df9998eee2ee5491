/*
 * RGB rows read with vectors, five pixels from each 16 bytes: every byte
 * lane j is taken as a pixel starting there (R = byte j, G = j + 1, B =
 * j + 2), and lanes 0, 3, 6, 9 and 12 are the real ones.  With AVX2, ten
 * pixels: each 128-bit half takes five from its own 16 bytes, the second
 * half's start 15 bytes on, and a byte shuffle puts each half's five
 * first.  The renderer's luma and mixed grey and the analysis' grey and
 * chroma are made this way.
 *
 * A loop goes while KHO_RGB5_FITS (SSE2) or KHO_RGB10_FITS (AVX2): the
 * loads stay inside the row, and so does the AVX2 store of the second
 * half's eight bytes, which writes over the three the first left empty.
 */
#ifndef KHO_RGB_LANES_H
#define KHO_RGB_LANES_H

#include "common/cpu.h"

#define KHO_RGB5_FITS(x, w) ((size_t)((x) + 5) * 3 + 1 <= (size_t)(w) * 3)
#define KHO_RGB10_FITS(x, w) ((x) + 13 <= (w))

#if defined(__SSE2__)
#include <emmintrin.h>

/* The 16 bytes from p as R, G and B lanes. */
static inline void kho_rgb5_load(const uint8_t *p, __m128i v[3])
{
	v[0] = _mm_loadu_si128((const __m128i *)p);
	v[1] = _mm_srli_si128(v[0], 1);
	v[2] = _mm_srli_si128(v[0], 2);
}

/* (77 R + 150 G + 29 B + round) >> 8 in each lane: the sum is at most
 * 255 * 256 + 128, inside 16 bits. */
static inline __m128i kho_rgb5_luma(const __m128i v[3], int round)
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i k[3] = {_mm_set1_epi16(77), _mm_set1_epi16(150),
			      _mm_set1_epi16(29)};
	__m128i half[2];
	for (int h = 0; h < 2; h++) {
		__m128i s = _mm_set1_epi16((short)round);
		for (int c = 0; c < 3; c++)
			s = _mm_add_epi16(
				s, _mm_mullo_epi16(h ? _mm_unpackhi_epi8(v[c], zero)
						     : _mm_unpacklo_epi8(v[c], zero),
						   k[c]));
		half[h] = _mm_srli_epi16(s, 8);
	}
	return _mm_packus_epi16(half[0], half[1]);
}

static inline __m128i kho_rgb5_max(const __m128i v[3])
{
	return _mm_max_epu8(_mm_max_epu8(v[0], v[1]), v[2]);
}

static inline __m128i kho_rgb5_min(const __m128i v[3])
{
	return _mm_min_epu8(_mm_min_epu8(v[0], v[1]), v[2]);
}

/* The five real lanes into out[0..4]. */
static inline void kho_rgb5_store(__m128i lanes, uint8_t *out)
{
	uint8_t b[16];
	_mm_storeu_si128((__m128i *)b, lanes);
	for (int k = 0; k < 5; k++)
		out[k] = b[3 * k];
}
#endif

#if KHO_HAVE_AVX2
#include <immintrin.h>

#define KHO_AVX2_INLINE \
	static inline __attribute__((target("avx2"), always_inline))

KHO_AVX2_INLINE void kho_rgb10_load(const uint8_t *p, __m256i v[3])
{
	v[0] = _mm256_inserti128_si256(
		_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p)),
		_mm_loadu_si128((const __m128i *)(p + 15)), 1);
	v[1] = _mm256_srli_si256(v[0], 1);
	v[2] = _mm256_srli_si256(v[0], 2);
}

KHO_AVX2_INLINE __m256i kho_rgb10_luma(const __m256i v[3], int round)
{
	const __m256i zero = _mm256_setzero_si256();
	const __m256i k[3] = {_mm256_set1_epi16(77), _mm256_set1_epi16(150),
			      _mm256_set1_epi16(29)};
	__m256i half[2];
	for (int h = 0; h < 2; h++) {
		__m256i s = _mm256_set1_epi16((short)round);
		for (int c = 0; c < 3; c++)
			s = _mm256_add_epi16(
				s, _mm256_mullo_epi16(
					   h ? _mm256_unpackhi_epi8(v[c], zero)
					     : _mm256_unpacklo_epi8(v[c], zero),
					   k[c]));
		half[h] = _mm256_srli_epi16(s, 8);
	}
	return _mm256_packus_epi16(half[0], half[1]);
}

KHO_AVX2_INLINE __m256i kho_rgb10_max(const __m256i v[3])
{
	return _mm256_max_epu8(_mm256_max_epu8(v[0], v[1]), v[2]);
}

KHO_AVX2_INLINE __m256i kho_rgb10_min(const __m256i v[3])
{
	return _mm256_min_epu8(_mm256_min_epu8(v[0], v[1]), v[2]);
}

/* The ten real lanes into out[0..9]. */
KHO_AVX2_INLINE void kho_rgb10_store(__m256i lanes, uint8_t *out)
{
	const __m256i firsts = _mm256_setr_epi8(
		0, 3, 6, 9, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 3,
		6, 9, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
	const __m256i five = _mm256_shuffle_epi8(lanes, firsts);
	_mm_storel_epi64((__m128i *)out, _mm256_castsi256_si128(five));
	_mm_storel_epi64((__m128i *)(out + 5),
			 _mm256_extracti128_si256(five, 1));
}
#endif

#endif
