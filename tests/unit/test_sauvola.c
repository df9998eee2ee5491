/*
 * Adaptive binarization: paper tint, uneven light and a shadow stay white
 * (no blotches), thin strokes and diacritic-sized dots stay black, dark
 * areas are filled, lone specks go, and the streamed rows equal the whole
 * image's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "render/sauvola.h"
#include "testutil.h"

static void page(kho_image *img, uint32_t w, uint32_t h)
{
	kho_error err = KHO_ERROR_INIT;
	if (kho_image_alloc(img, w, h, 1, &err))
		fail_msg("alloc: %s", err.msg);
}

static uint8_t *at(kho_image *img, uint32_t x, uint32_t y)
{
	return img->pixels + (size_t)y * img->stride + x;
}

/* A small deterministic noise, +-amp levels. */
static int noise(uint32_t x, uint32_t y, int amp)
{
	uint32_t v = x * 73856093u ^ y * 19349663u;
	v ^= v >> 13;
	v *= 0x5bd1e995u;
	v ^= v >> 15;
	return (int)(v % (2u * (uint32_t)amp + 1)) - amp;
}

static uint8_t clamp(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static uint8_t *binarize(const kho_image *img, size_t *stride)
{
	kho_error err = KHO_ERROR_INIT;
	uint8_t *bits = NULL;
	if (kho_sauvola_image(img, 300, &bits, stride, &err))
		fail_msg("binarize: %s", err.msg);
	return bits;
}

static int black(const uint8_t *bits, size_t stride, uint32_t x, uint32_t y)
{
	return bits[y * stride + x / 8] >> (7 - x % 8) & 1;
}

static size_t count_black(const uint8_t *bits, size_t stride, uint32_t x0,
			  uint32_t y0, uint32_t x1, uint32_t y1)
{
	size_t n = 0;
	for (uint32_t y = y0; y < y1; y++)
		for (uint32_t x = x0; x < x1; x++)
			n += (size_t)black(bits, stride, x, y);
	return n;
}

/* Paper from light grey-pink tint on the left to a deep scanner shadow on
 * the right (235 down to 90), with light falling off downwards and
 * noise: nothing of it may turn black. */
static void test_tint_and_shadow_stay_white(void **state)
{
	const uint32_t w = 900, h = 600;
	kho_image img;
	page(&img, w, h);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const double light =
				235 - 145.0 * x * x / (w * w) - 20.0 * y / h;
			*at(&img, x, y) = clamp((int)light + noise(x, y, 3));
		}
	size_t stride;
	uint8_t *bits = binarize(&img, &stride);
	const size_t n = count_black(bits, stride, 0, 0, w, h);
	if (n > 0)
		fail_msg("%zu black pixels on a page of paper and shadow", n);
	free(bits);
	kho_image_release(&img);
}

static void test_strokes_dots_and_shadowed_text(void **state)
{
	const uint32_t w = 600, h = 300;
	kho_image img;
	page(&img, w, h);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			*at(&img, x, y) = clamp(232 + noise(x, y, 2));
	/* a hairline: one pixel wide, faint (150 on 232) */
	for (uint32_t y = 40; y < 120; y++)
		*at(&img, 60, y) = 150;
	/* a horizontal hairline two pixels high, a little darker */
	for (uint32_t x = 100; x < 300; x++)
		*at(&img, x, 60) = *at(&img, x, 61) = 140;
	/* a diacritic's dot: 3 x 3 at 120 */
	for (uint32_t y = 150; y < 153; y++)
		for (uint32_t x = 150; x < 153; x++)
			*at(&img, x, y) = 120;
	/* text in a shadow: strokes of 45 on paper of 110, the shadow
	 * deepening over 60 pixels (5 mm) as a scanner's does */
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 380; x < w; x++) {
			const int v =
				x < 440 ? 232 - (int)(122 * (x - 380) / 60)
					: 110;
			*at(&img, x, y) = clamp(v + noise(x, y, 2));
		}
	for (uint32_t y = 220; y < 260; y++)
		for (uint32_t x = 450; x < 453; x++)
			*at(&img, x, y) = 45;
	/* a filled dark box, larger than the window */
	for (uint32_t y = 150; y < 290; y++)
		for (uint32_t x = 200; x < 340; x++)
			*at(&img, x, y) = 20;
	/* a lone speck */
	*at(&img, 500, 100) = 60;

	size_t stride;
	uint8_t *bits = binarize(&img, &stride);
	assert_true(count_black(bits, stride, 60, 40, 61, 120) >= 76);
	assert_true(count_black(bits, stride, 100, 60, 300, 62) >= 380);
	assert_int_equal(count_black(bits, stride, 150, 150, 153, 153), 9);
	assert_true(count_black(bits, stride, 450, 220, 453, 260) >= 110);
	/* the shadow around that text stays white */
	assert_int_equal(count_black(bits, stride, 380, 0, 440, h), 0);
	assert_int_equal(count_black(bits, stride, 470, 0, w, h), 0);
	/* no hole in the dark box */
	assert_int_equal(count_black(bits, stride, 200, 150, 340, 290),
			 140 * 140);
	/* the speck is gone, and nothing black appears near the marks */
	assert_int_equal(count_black(bits, stride, 490, 90, 510, 110), 0);
	assert_int_equal(count_black(bits, stride, 70, 40, 90, 120), 0);
	free(bits);
	kho_image_release(&img);
}

typedef struct rows {
	uint8_t *bits;
	size_t stride;
	uint32_t next;
} rows;

static int take_row(void *ctx, uint32_t y, const uint8_t *b, kho_error *err)
{
	(void)err;
	rows *r = ctx;
	assert_int_equal(y, r->next);
	memcpy(r->bits + y * r->stride, b, r->stride);
	r->next++;
	return KHO_OK;
}

/* Rows come out in order, never later than the lag says, and a page of
 * any height (not a multiple of the block) is complete. */
static void test_streaming_order_and_lag(void **state)
{
	static const uint32_t heights[] = {1, 3, 4, 5, 37, 200};
	for (size_t k = 0; k < KHO_ARRAY_SIZE(heights); k++) {
		const uint32_t w = 53, h = heights[k];
		kho_image img;
		page(&img, w, h);
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				*at(&img, x, y) =
					(x + y) % 9 < 2
						? 30
						: clamp(220 + noise(x, y, 4));
		rows r = {calloc(h, (w + 7) / 8), (w + 7) / 8, 0};
		kho_error err = KHO_ERROR_INIT;
		kho_sauvola *s = NULL;
		assert_int_equal(kho_sauvola_new(&s, w, h, 300,
						 kho_sauvola_floor(0), take_row,
						 &r, &err),
				 KHO_OK);
		for (uint32_t y = 0; y < h; y++) {
			assert_int_equal(
				kho_sauvola_push(s, at(&img, 0, y), &err),
				KHO_OK);
			const uint32_t lag = kho_sauvola_lag(s);
			if (y >= lag)
				assert_true(r.next >= y - lag + 1);
		}
		assert_int_equal(kho_sauvola_finish(s, &err), KHO_OK);
		assert_int_equal(r.next, h);
		/* one row too many is refused */
		assert_int_equal(kho_sauvola_push(s, at(&img, 0, 0), &err),
				 KHO_FAIL);
		kho_sauvola_free(s);
		size_t stride;
		uint8_t *whole = binarize(&img, &stride);
		assert_memory_equal(whole, r.bits, stride * h);
		free(whole);
		free(r.bits);
		kho_image_release(&img);
	}
}

/* Every width, whole 16-pixel groups or not: a pixel comes out black
 * exactly where the stroke is, in its own bit (the leftmost pixel in a
 * byte's high bit). */
static void test_bits_in_place_at_every_width(void **state)
{
	for (uint32_t w = 3; w <= 70; w++) {
		const uint32_t h = 24;
		kho_image img = KHO_IMAGE_INIT;
		page(&img, w, h);
		const uint32_t xs[3] = {0, w / 2, w - 3};
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++) {
				int ink = 0;
				for (int k = 0; k < 3; k++)
					ink |= x >= xs[k] && x < xs[k] + 3 &&
					       (k == 0 || w >= 12);
				*at(&img, x, y) =
					ink ? 20 : clamp(230 + noise(x, y, 4));
			}
		size_t stride = 0;
		uint8_t *bits = binarize(&img, &stride);
		assert_int_equal(stride, (w + 7) / 8);
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++) {
				const int want = *at(&img, x, y) == 20;
				if (black(bits, stride, x, y) != want)
					fail_msg("width %u: pixel %u,%u is %s", w,
						 x, y, want ? "white" : "black");
			}
		free(bits);
		kho_image_release(&img);
	}
}

/* Sauvola as defined, pixel by pixel, against the streaming binarizer's
 * sums, slides and vector steps: every block's sums and squares over its
 * 4 x 4 pixels, the window of blocks within the radius (cut at the
 * edges), t = m (1 + k (sd / R - 1)) with k 0.34 and R 128, interpolated
 * down between block centres, its clamped ceiling across, black where the
 * grey is below it, then (from 150 dpi) the despeckle's rule.  At 120
 * dpi (radius 2 blocks) and at 1600 (24), on grey noise of every level
 * and on strokes, at widths whose last block is narrower. */
static int px(const uint8_t *row, int64_t x, uint32_t w);
static int speck_goes(const uint8_t *const five[5], int64_t x, uint32_t w);

static void thresholds_at(int dpi, int r)
{
	const int floor_level = 48;
	const float K = 0.34f, R = 128.0f;
	for (uint32_t w = 1; w <= 90; w += 7) {
		const uint32_t h = 37;
		kho_image img = KHO_IMAGE_INIT;
		page(&img, w, h);
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				/* every level, so that a threshold off by a
				 * little turns some pixel; strokes and paper
				 * in the bottom rows */
				*at(&img, x, y) = clamp(
					y < 25 ? 128 + noise(x, y, 127)
					: (x + 2 * y) % 11 < 2
						? 40 + noise(x, y, 30)
						: 200 + noise(x, y, 50));
		kho_error err = KHO_ERROR_INIT;
		uint8_t *bits = NULL;
		size_t stride = 0;
		if (kho_sauvola_image(&img, dpi, &bits, &stride, &err))
			fail_msg("binarize: %s", err.msg);
		const uint32_t nbx = (w + 3) / 4, nby = (h + 3) / 4;
		float *t = malloc(sizeof(float) * nbx * nby);
		uint8_t *ref = calloc(h, stride);
		assert_non_null(t);
		assert_non_null(ref);
		for (uint32_t j = 0; j < nby; j++)
			for (uint32_t i = 0; i < nbx; i++) {
				uint64_t S = 0, Q = 0, N = 0;
				for (int64_t y = ((int64_t)j - r) * 4;
				     y < ((int64_t)j + r + 1) * 4; y++)
					for (int64_t x = ((int64_t)i - r) * 4;
					     x < ((int64_t)i + r + 1) * 4; x++) {
						if (x < 0 || y < 0 || x >= w ||
						    y >= h)
							continue;
						const uint64_t g = *at(
							&img, (uint32_t)x, (uint32_t)y);
						S += g;
						Q += g * g;
						N++;
					}
				const double n = (double)N;
				const double m = (double)S / n;
				const double var = (double)Q / n - m * m;
				const float sd = var > 0 ? (float)sqrt(var) : 0.0f;
				t[j * nbx + i] =
					(float)m * (1.0f + K * (sd / R - 1.0f));
			}
		for (uint32_t y = 0; y < h; y++) {
			const float by = (y + 0.5f) / 4 - 0.5f;
			int j = (int)floorf(by);
			float fy = by - (float)j;
			if (j < 0) {
				j = 0;
				fy = 0;
			}
			if ((uint32_t)j >= nby - 1) {
				j = (int)nby - 1;
				fy = 0;
			}
			const uint32_t j1 = (uint32_t)j + 1 < nby ? (uint32_t)j + 1
								   : nby - 1;
			for (uint32_t x = 0; x < w; x++) {
				const float t0 = t[(uint32_t)j * nbx + x / 4];
				const float t1 = t[j1 * nbx + x / 4];
				const float tr = t0 + fy * (t1 - t0);
				const int c = (int)ceilf(tr);
				const int T = c <= floor_level ? floor_level
					      : c >= 255	 ? 255
								 : c;
				if (*at(&img, x, y) < T)
					ref[y * stride + x / 8] |=
						(uint8_t)(0x80u >> (x % 8));
			}
		}
		/* from 150 dpi on, the despeckle's rule after */
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++) {
				const uint8_t *five[5];
				for (int d = -2; d <= 2; d++)
					five[d + 2] = (int64_t)y + d < 0 ||
							      (int64_t)y + d >= h
							      ? NULL
							      : ref + (y + d) * stride;
				const int want = px(five[2], x, w) &&
						 !(dpi >= 150 && speck_goes(five, x, w));
				if (black(bits, stride, x, y) != want)
					fail_msg("%d dpi, width %u: pixel %u,%u is "
						 "%d, the definition says %d",
						 dpi, w, x, y,
						 black(bits, stride, x, y), want);
			}
		free(ref);
		free(t);
		free(bits);
		kho_image_release(&img);
	}
}

static void test_thresholds_as_defined(void **state)
{
	(void)state;
	/* 120 dpi: radius 2 blocks; 1600 dpi: 24, whose sums may pass 2^31
	 * and are taken one by one in 64 bits */
	static const int dpis[2] = {120, 1600}, radii[2] = {2, 24};
	for (int d = 0; d < 2; d++)
		thresholds_at(dpis[d], radii[d]);
}

/* The thresholds of windows, several at a time, against the formula one
 * by one to the bit: windows of paper, of ink, of both, of a single level
 * (variance 0, or a hair below it by rounding), of one pixel, at every
 * count to 103 (the tails of each width of vector). */
static void test_thresholds_to_the_bit(void **state)
{
	(void)state;
	const float K = 0.34f, R = 128.0f;
	uint32_t S[103], Q[103], N[103];
	float t[103];
	uint64_t seed = 3;
	for (uint32_t n = 1; n <= 103; n++)
		for (int trial = 0; trial < 20; trial++) {
			for (uint32_t i = 0; i < n; i++) {
				seed = seed * 6364136223846793005ULL +
				       1442695040888963407ULL;
				const uint32_t count = 1 + (uint32_t)(seed >> 40) % 1296;
				S[i] = Q[i] = 0;
				N[i] = count;
				const uint32_t a = (uint32_t)(seed >> 8) & 255,
					       b = (uint32_t)(seed >> 16) & 255;
				const uint32_t share =
					(i + trial) % 3 == 0 ? 0 : (uint32_t)(seed >> 24) % (count + 1);
				/* share pixels at a, the rest at b */
				S[i] = share * a + (count - share) * b;
				Q[i] = share * a * a + (count - share) * b * b;
			}
			kho_sauvola_thresholds(S, Q, N, n, t);
			for (uint32_t i = 0; i < n; i++) {
				const double cnt = (double)N[i];
				const double m = (double)S[i] / cnt;
				const double var = (double)Q[i] / cnt - m * m;
				const float sd = var > 0 ? (float)sqrt(var) : 0.0f;
				const float want =
					(float)m * (1.0f + K * (sd / R - 1.0f));
				if (memcmp(&t[i], &want, sizeof(float)))
					fail_msg("n %u window %u (%u %u %u): %.9g, the "
						 "formula %.9g",
						 n, i, S[i], Q[i], N[i], t[i], want);
			}
		}
}

/* Thresholds spread to pixels, four blocks at a time, against ceil and
 * the clamp: whole values, values just above and below them, the clamp's
 * edges, every width to 100 (the last block narrower). */
static void test_spread_is_the_clamped_ceiling(void **state)
{
	(void)state;
	static const float edge[] = {0.0f,   1.5f,	 47.0f,	  47.5f,
				     48.0f,  48.001f, 48.5f,   100.0f,
				     100.0001f, 99.9999f, 254.0f, 254.5f,
				     255.0f, 255.5f, 256.0f, 400.0f};
	uint64_t seed = 42;
	float tr[32];
	uint8_t T[128 + 16];
	for (uint32_t w = 1; w <= 100; w++) {
		const uint32_t nbx = (w + 3) / 4;
		for (int trial = 0; trial < 40; trial++) {
			for (uint32_t i = 0; i < nbx; i++) {
				seed = seed * 6364136223846793005ULL +
				       1442695040888963407ULL;
				const uint32_t r = (uint32_t)(seed >> 33);
				tr[i] = trial % 2 ? edge[r % 16]
						  : (float)(r % 300000) / 1000.0f;
			}
			/* the usual floor on odd trials, a dark paper's
			 * on even ones */
			const int floor = trial % 2 ? kho_sauvola_floor(0)
						    : kho_sauvola_floor(30);
			memset(T, 0xa5, sizeof(T));
			kho_sauvola_spread(tr, nbx, w, floor, T);
			for (uint32_t x = 0; x < w; x++) {
				double c = ceil((double)tr[x / 4]);
				c = c < floor ? floor : c > 255 ? 255 : c;
				if (T[x] != (uint8_t)c)
					fail_msg("width %u x %u: threshold %.6f "
						 "gave %u, not %u",
						 w, x, (double)tr[x / 4], T[x],
						 (unsigned)c);
			}
			if (T[w] != 0xa5)
				fail_msg("width %u: written past the row", w);
		}
	}
}

/* The despeckle's rule, pixel by pixel, as its comment states it. */
static int px(const uint8_t *row, int64_t x, uint32_t w)
{
	return row && x >= 0 && x < (int64_t)w &&
	       (row[x >> 3] >> (7 - (x & 7)) & 1);
}

static int speck_goes(const uint8_t *const five[5], int64_t x, uint32_t w)
{
	if (!px(five[2], x, w))
		return 0;
	int inner = 0, ring = 0;
	for (int dy = -2; dy <= 2; dy++)
		for (int dx = -2; dx <= 2; dx++) {
			const int b = px(five[dy + 2], x + dx, w);
			if (dy >= -1 && dy <= 1 && dx >= -1 && dx <= 1)
				inner += b;
			else
				ring += b;
		}
	return inner <= 2 && ring == 0;
}

/* 64 pixels at a time against the rule, on every width up to 300, every
 * density from specks to strokes, and the page's first and last rows. */
static void test_despeckle_matches_the_rule(void **state)
{
	(void)state;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	for (uint32_t w = 1; w <= 300; w++) {
		const size_t stride = (w + 7) / 8;
		uint8_t rows_mem[5][40], out[40];
		for (int trial = 0; trial < 12; trial++) {
			/* black with probability 1/2 ... 1/2048 */
			const int thin = 1 + trial % 11;
			for (int r = 0; r < 5; r++) {
				memset(rows_mem[r], 0, sizeof(rows_mem[r]));
				for (uint32_t x = 0; x < w; x++) {
					seed = seed * 6364136223846793005ULL +
					       1442695040888963407ULL;
					if ((seed >> 33) % (1u << thin) == 0)
						rows_mem[r][x >> 3] |=
							(uint8_t)(0x80u >> (x & 7));
				}
			}
			const uint8_t *five[5] = {rows_mem[0], rows_mem[1],
						  rows_mem[2], rows_mem[3],
						  rows_mem[4]};
			/* rows outside the page: above, below, both */
			if (trial % 4 == 1)
				five[0] = five[1] = NULL;
			if (trial % 4 == 2)
				five[3] = five[4] = NULL;
			if (trial % 4 == 3)
				five[0] = five[4] = NULL;
			/* the rows as the despeckle's words, pixel by pixel,
			 * between zero words; a row outside the page all
			 * zeros */
			const size_t nw = kho_despeckle_words(w);
			assert_int_equal(nw, (w + 63) / 64);
			uint64_t words[5][8];
			const uint64_t *as_words[5];
			for (int r = 0; r < 5; r++) {
				memset(words[r], 0, sizeof(words[r]));
				for (uint32_t x = 0; x < w; x++)
					if (px(five[r], x, w))
						words[r][1 + x / 64] |=
							1ULL << (63 - x % 64);
				as_words[r] = words[r] + 1;
			}
			memset(out, 0xa5, sizeof(out));
			kho_despeckle_row(as_words, out, w);
			for (uint32_t x = 0; x < w; x++) {
				const int want = px(five[2], x, w) &&
						 !speck_goes(five, x, w);
				if (px(out, x, w) != want)
					fail_msg("width %u trial %d x %u: %d, "
						 "the rule says %d",
						 w, trial, x, px(out, x, w),
						 want);
			}
			for (uint32_t x = w; x < stride * 8; x++)
				if (out[x >> 3] >> (7 - (x & 7)) & 1)
					fail_msg("width %u: bit %u past the row "
						 "is set",
						 w, x);
		}
	}
}

static void test_missing_rows(void **state)
{
	kho_error err = KHO_ERROR_INIT;
	kho_sauvola *s = NULL;
	rows r = {calloc(10, 2), 2, 0};
	assert_int_equal(kho_sauvola_new(&s, 10, 10, 300, kho_sauvola_floor(0),
					 take_row, &r, &err),
			 KHO_OK);
	uint8_t row[10];
	memset(row, 200, sizeof(row));
	assert_int_equal(kho_sauvola_push(s, row, &err), KHO_OK);
	assert_int_equal(kho_sauvola_finish(s, &err), KHO_FAIL);
	assert_non_null(strstr(err.msg, "1 of 10 rows"));
	kho_sauvola_free(s);
	free(r.bits);
	assert_int_equal(kho_sauvola_new(&s, 0, 10, 300, kho_sauvola_floor(0),
					 take_row, &r, &err),
			 KHO_FAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tint_and_shadow_stay_white),
		cmocka_unit_test(test_strokes_dots_and_shadowed_text),
		cmocka_unit_test(test_streaming_order_and_lag),
		cmocka_unit_test(test_bits_in_place_at_every_width),
		cmocka_unit_test(test_spread_is_the_clamped_ceiling),
		cmocka_unit_test(test_thresholds_as_defined),
		cmocka_unit_test(test_thresholds_to_the_bit),
		cmocka_unit_test(test_despeckle_matches_the_rule),
		cmocka_unit_test(test_missing_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
