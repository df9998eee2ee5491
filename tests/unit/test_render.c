/*
 * Rendering by plan on small images, through the row pipeline: mirror and
 * quarter turns pixel by pixel with crops, area resampling, the skew
 * turned back (and the band kept for it agreeing with the whole page),
 * grey conversion, whole pages, colour management and the decode
 * reduction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/internal.h"
#include "render/render_private.h"
#include "render/sauvola.h"

#include <lcms2.h>
#include "testutil.h"

/* ---- helpers ---- */

static void alloc_image(kho_image *img, uint32_t w, uint32_t h, int c)
{
	kho_error err = KHO_ERROR_INIT;
	if (kho_image_alloc(img, w, h, c, &err) != 0)
		fail_msg("alloc: %s", err.msg);
}

static uint8_t *px(const kho_image *img, uint32_t x, uint32_t y)
{
	assert_true(x < img->width && y < img->height);
	return img->pixels + (size_t)y * img->stride +
	       (size_t)x * img->channels;
}

/* Every pixel and channel different. */
static void fill_unique(kho_image *img)
{
	for (uint32_t y = 0; y < img->height; y++)
		for (uint32_t x = 0; x < img->width; x++)
			for (int c = 0; c < img->channels; c++)
				px(img, x, y)[c] =
					(uint8_t)(1 + x + 16 * y + 80 * c);
}

static void from_values(kho_image *img, uint32_t w, uint32_t h,
			const uint8_t *v)
{
	alloc_image(img, w, h, 1);
	for (uint32_t y = 0; y < h; y++)
		memcpy(px(img, 0, y), v + y * w, w);
}

static void assert_values(const kho_image *img, uint32_t w, uint32_t h,
			  const uint8_t *v)
{
	assert_int_equal(img->width, w);
	assert_int_equal(img->height, h);
	assert_int_equal(img->channels, 1);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			if (*px(img, x, y) != v[y * w + x])
				fail_msg("pixel (%u, %u): %u, wanted %u", x, y,
					 *px(img, x, y), v[y * w + x]);
}

static void assert_same(const kho_image *a, const kho_image *b, int tol)
{
	assert_int_equal(a->width, b->width);
	assert_int_equal(a->height, b->height);
	assert_int_equal(a->channels, b->channels);
	for (uint32_t y = 0; y < a->height; y++)
		for (uint32_t x = 0; x < a->width; x++)
			for (int c = 0; c < a->channels; c++) {
				const int d =
					abs(px(a, x, y)[c] - px(b, x, y)[c]);
				if (d > tol)
					fail_msg("pixel (%u, %u, %d): %u vs %u",
						 x, y, c, px(a, x, y)[c],
						 px(b, x, y)[c]);
			}
}

/* Reference steps, written plainly: a mirror, and a clockwise quarter
 * turn (the left column, read upwards, becomes the top row). */
static void ref_mirror(const kho_image *src, kho_image *out)
{
	alloc_image(out, src->width, src->height, src->channels);
	for (uint32_t y = 0; y < src->height; y++)
		for (uint32_t x = 0; x < src->width; x++)
			memcpy(px(out, src->width - 1 - x, y), px(src, x, y),
			       (size_t)src->channels);
}

static void ref_turn_cw(const kho_image *src, kho_image *out)
{
	alloc_image(out, src->height, src->width, src->channels);
	for (uint32_t oy = 0; oy < out->height; oy++)
		for (uint32_t ox = 0; ox < out->width; ox++)
			memcpy(px(out, ox, oy),
			       px(src, oy, src->height - 1 - ox),
			       (size_t)src->channels);
}

static void ref_crop(const kho_image *src, uint32_t x0, uint32_t y0, uint32_t w,
		     uint32_t h, kho_image *out)
{
	alloc_image(out, w, h, src->channels);
	for (uint32_t y = 0; y < h; y++)
		memcpy(px(out, 0, y), px(src, x0, y0 + y),
		       (size_t)w * src->channels);
}

static void reference(const kho_image *src, int mirror, int rotation,
		      kho_image *out)
{
	kho_image cur, next;
	alloc_image(&cur, src->width, src->height, src->channels);
	memcpy(cur.pixels, src->pixels, src->stride * src->height);
	if (mirror) {
		ref_mirror(&cur, &next);
		kho_image_release(&cur);
		cur = next;
	}
	for (int r = 0; r < rotation; r += 90) {
		ref_turn_cw(&cur, &next);
		kho_image_release(&cur);
		cur = next;
	}
	*out = cur;
}

/* ---- mirror, quarter turns, crops ---- */

static kho_plan plan_of(int rotation, int dpi, double source_dpi, kho_mode mode)
{
	kho_plan p;
	memset(&p, 0, sizeof(p));
	p.rotation = rotation;
	p.dpi = dpi;
	p.source_dpi = source_dpi;
	p.mode = mode;
	return p;
}

/* JFIF's luma, as the colour layer computes it. */
static uint8_t jfif_luma(const uint8_t *p)
{
	return (uint8_t)((19595 * p[0] + 38470 * p[1] + 7471 * p[2] + 32768) >>
			 16);
}

/* Renders a grey or colour plan and keeps its image; src is the stored
 * page of full_w x full_h decoded at 1/scale.  A colour page comes as
 * YCbCr 4:2:0 planes: luma_only keeps its Y plane, else it is turned
 * back to RGB (each 2 x 2 block sharing its chroma). */
static void render_any(const kho_image *src, uint32_t full_w, uint32_t full_h,
		       unsigned scale, const kho_plan *p, int luma_only,
		       kho_image *out)
{
	kho_error err = KHO_ERROR_INIT;
	kho_rendered r = KHO_RENDERED_INIT;
	const kho_render_opts opts = {0};
	if (kho_render_image(src, full_w, full_h, scale, p, &opts, &r, &err))
		fail_msg("render: %s", err.msg);
	assert_null(r.bits);
	if (p->mode == KHO_MODE_GREY) {
		assert_int_equal(r.image.width, r.width);
		assert_int_equal(r.image.height, r.height);
		*out = r.image;
		r.image = (kho_image)KHO_IMAGE_INIT;
		kho_rendered_release(&r);
		return;
	}
	assert_non_null(r.yuv.plane[0]);
	assert_null(r.image.pixels);
	const kho_yuv420 *v = &r.yuv;
	alloc_image(out, r.width, r.height, luma_only ? 1 : 3);
	for (uint32_t y = 0; y < r.height; y++)
		for (uint32_t x = 0; x < r.width; x++) {
			const int l = v->plane[0][y * v->stride[0] + x];
			if (luma_only) {
				*px(out, x, y) = (uint8_t)l;
				continue;
			}
			const double cb =
				v->plane[1][(y / 2) * v->stride[1] + x / 2] -
				128.0;
			const double cr =
				v->plane[2][(y / 2) * v->stride[2] + x / 2] -
				128.0;
			const double c[3] = {l + 1.402 * cr,
					     l - 0.344136 * cb - 0.714136 * cr,
					     l + 1.772 * cb};
			for (int k = 0; k < 3; k++)
				px(out, x, y)[k] =
					(uint8_t)(c[k] < 0     ? 0
						  : c[k] > 255 ? 255
							       : c[k] + 0.5);
		}
	kho_rendered_release(&r);
}

static void render_full(const kho_image *src, uint32_t full_w, uint32_t full_h,
			unsigned scale, const kho_plan *p, kho_image *out)
{
	render_any(src, full_w, full_h, scale, p, 0, out);
}

/* What a test of geometry compares: grey as it is, colour by its luma. */
static void render_y(const kho_image *src, const kho_plan *p, kho_image *out)
{
	render_any(src, src->width, src->height, 1, p, 1, out);
}

static void luma_of(const kho_image *src, kho_image *out)
{
	if (src->channels == 1) {
		alloc_image(out, src->width, src->height, 1);
		memcpy(out->pixels, src->pixels, src->stride * src->height);
		return;
	}
	alloc_image(out, src->width, src->height, 1);
	for (uint32_t y = 0; y < src->height; y++)
		for (uint32_t x = 0; x < src->width; x++)
			*px(out, x, y) = jfif_luma(px((kho_image *)src, x, y));
}

static void render(const kho_image *src, unsigned scale, const kho_plan *p,
		   kho_image *out)
{
	render_full(src, src->width * scale, src->height * scale, scale, p,
		    out);
}

/* The plan's mirror, turn and crop alone, at the page's resolution. */
static void orient(const kho_image *src, int mirror, int rotation, int cx,
		   int cy, int cw, int ch, kho_image *out)
{
	kho_plan p =
		plan_of(rotation, 300, 300,
			src->channels == 3 ? KHO_MODE_COLOUR : KHO_MODE_GREY);
	p.mirror = mirror;
	p.crop_x = cx;
	p.crop_y = cy;
	p.crop_w = cw;
	p.crop_h = ch;
	render_y(src, &p, out);
}

static void test_orient_literal(void **state)
{
	/*  1 2 3
	 *  4 5 6  */
	static const uint8_t src_v[] = {1, 2, 3, 4, 5, 6};
	kho_image src, out;
	from_values(&src, 3, 2, src_v);

	static const uint8_t r0[] = {1, 2, 3, 4, 5, 6};
	static const uint8_t r90[] = {4, 1, 5, 2, 6, 3};
	static const uint8_t r180[] = {6, 5, 4, 3, 2, 1};
	static const uint8_t r270[] = {3, 6, 2, 5, 1, 4};
	static const uint8_t m0[] = {3, 2, 1, 6, 5, 4};
	static const uint8_t m90[] = {6, 3, 5, 2, 4, 1};
	static const uint8_t m180[] = {4, 5, 6, 1, 2, 3};
	static const uint8_t m270[] = {1, 4, 2, 5, 3, 6}; /* transpose */
	static const struct {
		int mirror, rotation;
		uint32_t w, h;
		const uint8_t *v;
	} cases[] = {
		{0, 0, 3, 2, r0},     {0, 90, 2, 3, r90},
		{0, 180, 3, 2, r180}, {0, 270, 2, 3, r270},
		{1, 0, 3, 2, m0},     {1, 90, 2, 3, m90},
		{1, 180, 3, 2, m180}, {1, 270, 2, 3, m270},
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(cases); i++) {
		orient(&src, cases[i].mirror, cases[i].rotation, 0, 0, 0, 0,
		       &out);
		assert_values(&out, cases[i].w, cases[i].h, cases[i].v);
		kho_image_release(&out);
	}

	/* A crop is a rectangle of the turned page. */
	orient(&src, 0, 90, 1, 1, 1, 2, &out);
	static const uint8_t c1[] = {2, 3};
	assert_values(&out, 1, 2, c1);
	kho_image_release(&out);
	orient(&src, 1, 270, 0, 2, 2, 1, &out);
	static const uint8_t c2[] = {3, 6};
	assert_values(&out, 2, 1, c2);
	kho_image_release(&out);
	/* Cut to the page where it reaches past it. */
	orient(&src, 0, 90, 1, 2, 5, 5, &out);
	static const uint8_t c3[] = {3};
	assert_values(&out, 1, 1, c3);
	kho_image_release(&out);
	orient(&src, 0, 0, -4, -1, 2, 9, &out);
	static const uint8_t c4[] = {1, 2, 4, 5};
	assert_values(&out, 2, 2, c4);
	kho_image_release(&out);
	orient(&src, 0, 180, 99, 99, 3, 3, &out);
	static const uint8_t c5[] = {1};
	assert_values(&out, 1, 1, c5);
	kho_image_release(&out);
	/* No width or no height: the whole page. */
	orient(&src, 0, 180, 2, 1, 0, 1, &out);
	assert_values(&out, 3, 2, r180);
	kho_image_release(&out);
	kho_image_release(&src);
}

static void test_orient_against_reference(void **state)
{
	for (int channels = 1; channels <= 3; channels += 2) {
		kho_image src;
		alloc_image(&src, 7, 4, channels);
		fill_unique(&src);
		for (int mirror = 0; mirror <= 1; mirror++)
			for (int rot = 0; rot < 360; rot += 90) {
				kho_image want, got, ref;
				reference(&src, mirror, rot, &ref);
				luma_of(&ref, &want);
				kho_image_release(&ref);
				orient(&src, mirror, rot, 0, 0, 0, 0, &got);
				assert_same(&got, &want, 0);
				kho_image_release(&got);
				/* Every crop of a few shapes. */
				for (uint32_t y = 0; y < want.height; y++)
					for (uint32_t x = 0; x < want.width;
					     x++) {
						const uint32_t cw = KHO_MIN(
							3, want.width - x);
						const uint32_t ch = KHO_MIN(
							2, want.height - y);
						kho_image part;
						ref_crop(&want, x, y, cw, ch,
							 &part);
						orient(&src, mirror, rot,
						       (int)x, (int)y, 3, 2,
						       &got);
						assert_same(&got, &part, 0);
						kho_image_release(&got);
						kho_image_release(&part);
					}
				kho_image_release(&want);
			}
		kho_image_release(&src);
	}
}

static void test_orient_padded_stride(void **state)
{
	/* A source whose rows are longer than its width. */
	kho_image src = {5, 3, 1, 16, NULL};
	src.pixels = malloc(16 * 3);
	memset(src.pixels, 0xEE, 16 * 3);
	for (uint32_t y = 0; y < 3; y++)
		for (uint32_t x = 0; x < 5; x++)
			src.pixels[y * 16 + x] = (uint8_t)(10 * y + x);
	kho_image out;
	orient(&src, 0, 90, 0, 0, 0, 0, &out);
	static const uint8_t want[] = {20, 10, 0,  21, 11, 1,  22, 12,
				       2,  23, 13, 3,  24, 14, 4};
	assert_values(&out, 3, 5, want);
	kho_image_release(&out);
	free(src.pixels);
}

/* ---- resampling ---- */

static int collect_row(void *ctx, uint32_t y, const uint8_t *row,
		       kho_error *err)
{
	(void)err;
	kho_image *img = ctx;
	assert_true(y < img->height);
	memcpy(img->pixels + (size_t)y * img->stride, row, img->stride);
	return KHO_OK;
}

/* The streaming resampler, fed src's rows one by one. */
static void resample(const kho_image *src, uint32_t w, uint32_t h,
		     kho_image *out)
{
	kho_error err = KHO_ERROR_INIT;
	kho_resampler r;
	alloc_image(out, w, h, src->channels);
	if (kho_resampler_init(&r, src->width, src->height, w, h, src->channels,
			       collect_row, out, &err))
		fail_msg("resample: %s", err.msg);
	for (uint32_t y = 0; y < src->height; y++)
		if (kho_resampler_push(
			    &r, src->pixels + (size_t)y * src->stride, &err))
			fail_msg("resample: %s", err.msg);
	assert_int_equal(r.rows_out, h);
	kho_resampler_release(&r);
}

static void test_resample_halving(void **state)
{
	static const uint8_t v[] = {
		0, 10, 20, 30, 40, 50, 60, 70, 1, 3, 100, 201, 5, 7, 255, 255,
	};
	kho_image src, out;
	from_values(&src, 4, 4, v);
	resample(&src, 2, 2, &out);
	/* (0+10+40+50)/4, (20+30+60+70)/4, (1+3+5+7)/4,
	 * (100+201+255+255)/4 = 202.75 */
	static const uint8_t want[] = {25, 45, 4, 203};
	assert_values(&out, 2, 2, want);
	kho_image_release(&out);

	/* Only one axis. */
	resample(&src, 2, 4, &out);
	static const uint8_t want_x[] = {5, 25, 45, 65, 2, 151, 6, 255};
	assert_values(&out, 2, 4, want_x);
	kho_image_release(&out);
	resample(&src, 1, 1, &out);
	/* The mean of all sixteen: 1107 / 16 = 69.19 */
	static const uint8_t want_1[] = {69};
	assert_values(&out, 1, 1, want_1);
	kho_image_release(&out);
	kho_image_release(&src);

	/* RGB: each channel on its own. */
	alloc_image(&src, 4, 2, 3);
	for (uint32_t y = 0; y < 2; y++)
		for (uint32_t x = 0; x < 4; x++) {
			px(&src, x, y)[0] = (uint8_t)(x < 2 ? 200 : 0);
			px(&src, x, y)[1] = (uint8_t)(40 * x + y);
			px(&src, x, y)[2] = (uint8_t)(y ? 255 : 0);
		}
	resample(&src, 2, 1, &out);
	assert_int_equal(out.channels, 3);
	assert_int_equal(px(&out, 0, 0)[0], 200);
	assert_int_equal(px(&out, 1, 0)[0], 0);
	assert_int_equal(px(&out, 0, 0)[1], 21);  /* (0+40+1+41)/4 = 20.5 */
	assert_int_equal(px(&out, 1, 0)[1], 101); /* (80+120+81+121)/4 */
	assert_int_equal(px(&out, 0, 0)[2], 128); /* 127.5 */
	assert_int_equal(px(&out, 1, 0)[2], 128);
	kho_image_release(&out);
	kho_image_release(&src);
}

static void test_resample_fractions(void **state)
{
	/* 3 -> 2: each output averages one and a half inputs. */
	static const uint8_t v[] = {0, 90, 180};
	kho_image src, out;
	from_values(&src, 3, 1, v);
	resample(&src, 2, 1, &out);
	static const uint8_t want[] = {30, 150};
	assert_values(&out, 2, 1, want);
	kho_image_release(&out);
	kho_image_release(&src);

	/* A flat image stays flat at any size. */
	alloc_image(&src, 37, 23, 3);
	memset(src.pixels, 77, src.stride * src.height);
	static const uint32_t sizes[][2] = {{10, 7},  {36, 22}, {1, 23},
					    {37, 1},  {50, 40}, {111, 69},
					    {19, 12}, {2, 2}};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(sizes); i++) {
		resample(&src, sizes[i][0], sizes[i][1], &out);
		assert_int_equal(out.width, sizes[i][0]);
		assert_int_equal(out.height, sizes[i][1]);
		for (size_t k = 0; k < out.stride * out.height; k++)
			assert_int_equal(out.pixels[k], 77);
		kho_image_release(&out);
	}
	kho_image_release(&src);
}

/* The area average by its definition, in doubles: input k's weight in
 * output i is how much of [k, k + 1) lies in the output's interval
 * [i * ratio, (i + 1) * ratio) (enlarging: the one input it falls in). */
static double area_weight(uint32_t in, uint32_t out, uint32_t i, uint32_t k)
{
	const double ratio = (double)in / out;
	double a = i * ratio, b = (i + 1) * ratio;
	if (ratio < 1) {
		a = floor((i + 0.5) * ratio);
		b = a + 1;
	}
	const double lo = fmax(a, (double)k), hi = fmin(b, (double)k + 1);
	return hi > lo ? (hi - lo) / (b - a) : 0;
}

/* Random images, one and three channels, every kind of span (one input,
 * two, three and more, enlarging), values crowding 0 and 255: within one
 * of the definition (float against double rounding at a half). */
static void test_resample_matches_the_definition(void **state)
{
	(void)state;
	static const uint32_t sizes[][4] = {
		{71, 29, 50, 20},  /* 1.42: spans of one and two */
		{64, 30, 32, 15},  /* 2 */
		{97, 41, 26, 11},  /* 3.7: inner inputs */
		{40, 17, 81, 35},  /* enlarging */
		{33, 33, 7, 33},   /* one axis */
		{130, 9, 17, 4},   /* the SIMD rounding and its tail */
	};
	uint64_t seed = 7;
	for (size_t t = 0; t < KHO_ARRAY_SIZE(sizes); t++) {
		for (int c = 1; c <= 3; c += 2) {
			const uint32_t iw = sizes[t][0], ih = sizes[t][1],
				       ow = sizes[t][2], oh = sizes[t][3];
			kho_image src, out;
			alloc_image(&src, iw, ih, c);
			for (size_t i = 0; i < src.stride * ih; i++) {
				seed = seed * 6364136223846793005ULL +
				       1442695040888963407ULL;
				const uint32_t r = (uint32_t)(seed >> 33);
				src.pixels[i] = (uint8_t)(r % 4 == 0   ? 0
							  : r % 4 == 1 ? 255
								       : r >> 8);
			}
			resample(&src, ow, oh, &out);
			for (uint32_t y = 0; y < oh; y++)
				for (uint32_t x = 0; x < ow; x++)
					for (int ch = 0; ch < c; ch++) {
						double v = 0;
						for (uint32_t ky = 0; ky < ih; ky++)
							for (uint32_t kx = 0; kx < iw; kx++)
								v += area_weight(ih, oh, y, ky) *
								     area_weight(iw, ow, x, kx) *
								     px(&src, kx, ky)[ch];
						const int want = (int)floor(v + 0.5);
						const int got = px(&out, x, y)[ch];
						if (abs(got - want) > 1)
							fail_msg("%ux%u -> %ux%u, %d "
								 "channels, (%u, %u): %d, "
								 "the definition %.3f",
								 iw, ih, ow, oh, c, x, y,
								 got, v);
					}
			kho_image_release(&out);
			kho_image_release(&src);
		}
	}
}

/* Colour rows across by the resampler's own sums written out one output
 * and channel at a time (the first and last inputs weighted, the inner
 * ones summed as whole numbers; then the rows down, in order): every way
 * the machine has (two outputs at a time with AVX2, one with SSE2, one
 * channel at a time) gives these bytes, where neighbouring spans are as
 * long and where they are not. */
static void test_resample_rgb_exact(void **state)
{
	(void)state;
	static const uint32_t sizes[][4] = {
		{2480, 5, 827, 2}, /* a page's 300 to 100 dpi: 2.9988 */
		{300, 6, 100, 2},  /* 3 exactly */
		{1001, 4, 333, 3}, /* spans of three and four */
		{513, 3, 200, 2},  /* of two and three */
		{97, 3, 26, 1},	   /* inner inputs */
		{64, 2, 64, 1},	   /* one input a span, across */
	};
	uint64_t seed = 99;
	for (size_t t = 0; t < KHO_ARRAY_SIZE(sizes); t++) {
		const uint32_t iw = sizes[t][0], ih = sizes[t][1],
			       ow = sizes[t][2], oh = sizes[t][3];
		kho_image src, out;
		alloc_image(&src, iw, ih, 3);
		for (size_t i = 0; i < src.stride * ih; i++) {
			seed = seed * 6364136223846793005ULL +
			       1442695040888963407ULL;
			src.pixels[i] = (uint8_t)(seed >> 56);
		}
		resample(&src, ow, oh, &out);
		kho_resampler r;
		kho_error err = KHO_ERROR_INIT;
		assert_int_equal(kho_resampler_init(&r, iw, ih, ow, oh, 3,
						    collect_row, NULL, &err),
				 KHO_OK);
		float *lines = malloc(sizeof(float) * ih * ow * 3);
		assert_non_null(lines);
		for (uint32_t y = 0; y < ih; y++)
			for (uint32_t o = 0; o < ow; o++)
				for (int ch = 0; ch < 3; ch++) {
					const kho_span *h = &r.sx[o];
					const uint8_t *row =
						src.pixels + (size_t)y * src.stride;
					const int p = row[h->first * 3 + ch];
					float d;
					if (h->count == 1) {
						d = h->w_first * (float)p;
					} else {
						const uint32_t last =
							h->first + h->count - 1;
						uint32_t mid = 0;
						for (uint32_t k = h->first + 1;
						     k < last; k++)
							mid += row[k * 3 + ch];
						d = h->w_first * (float)p +
						    (h->w_mid * (float)mid +
						     h->w_last *
							     (float)row[last * 3 +
									ch]);
					}
					lines[((size_t)y * ow + o) * 3 + ch] = d;
				}
		for (uint32_t oy = 0; oy < oh; oy++) {
			const kho_span *v = &r.sy[oy];
			for (size_t i = 0; i < (size_t)ow * 3; i++) {
				float a = 0;
				for (uint32_t k = 0; k < v->count; k++) {
					const float w = k == 0 ? v->w_first
							: k == v->count - 1
								? v->w_last
								: v->w_mid;
					a += w * lines[(size_t)(v->first + k) *
							       ow * 3 +
						       i];
				}
				const float f = a + 0.5f;
				const uint8_t want =
					(uint8_t)(f < 0 ? 0 : f > 255 ? 255 : f);
				if (out.pixels[(size_t)oy * out.stride + i] !=
				    want)
					fail_msg("%ux%u to %ux%u: row %u, byte "
						 "%zu is %u, not %u",
						 iw, ih, ow, oh, oy, i,
						 out.pixels[(size_t)oy *
								    out.stride +
							    i],
						 want);
			}
		}
		free(lines);
		kho_resampler_release(&r);
		kho_image_release(&out);
		kho_image_release(&src);
	}
}

static void test_resample_identity_and_enlarge(void **state)
{
	kho_image src, out;
	alloc_image(&src, 9, 5, 3);
	fill_unique(&src);
	resample(&src, 9, 5, &out);
	assert_same(&out, &src, 0);
	kho_image_release(&out);
	kho_image_release(&src);

	static const uint8_t v[] = {10, 200, 60, 0};
	from_values(&src, 2, 2, v);
	resample(&src, 4, 4, &out);
	static const uint8_t want[] = {10, 10, 200, 200, 10, 10, 200, 200,
				       60, 60, 0,   0,	 60, 60, 0,   0};
	assert_values(&out, 4, 4, want);
	kho_image_release(&out);
	resample(&src, 6, 2, &out);
	static const uint8_t want3[] = {10, 10, 10, 200, 200, 200,
					60, 60, 60, 0,	 0,   0};
	assert_values(&out, 6, 2, want3);
	kho_image_release(&out);

	kho_error err = KHO_ERROR_INIT;
	kho_resampler r;
	assert_int_equal(
		kho_resampler_init(&r, 2, 2, 0, 3, 1, collect_row, &out, &err),
		KHO_FAIL);
	assert_string_equal(err.msg, "cannot resample an empty image");
	assert_int_equal(
		kho_resampler_init(&r, 2, 2, 3, 0, 1, collect_row, &out, &err),
		KHO_FAIL);
	kho_image_release(&src);
}

/* ---- turning the skew back ---- */

/* The skew alone: the content turned counter-clockwise by deg about the
 * page's centre. */
static void rotate(const kho_image *src, double deg, kho_image *out)
{
	kho_plan p =
		plan_of(0, 300, 300,
			src->channels == 3 ? KHO_MODE_COLOUR : KHO_MODE_GREY);
	p.skew = deg;
	render_y(src, &p, out);
}

/* The centre of darkness of column x: the mean row weighted by
 * 255 - value. */
static double dark_row(const kho_image *img, uint32_t x)
{
	double sum = 0, wsum = 0;
	for (uint32_t y = 0; y < img->height; y++) {
		const double w = 255 - *px(img, x, y);
		sum += w * y;
		wsum += w;
	}
	assert_true(wsum > 0);
	return sum / wsum;
}

static void test_rotate_zero_is_identity(void **state)
{
	kho_image src, out;
	alloc_image(&src, 13, 8, 3);
	fill_unique(&src);
	rotate(&src, 0, &out);
	kho_image want;
	luma_of(&src, &want);
	assert_same(&out, &want, 0);
	kho_image_release(&want);
	kho_image_release(&out);
	kho_image_release(&src);
}

static void test_rotate_line(void **state)
{
	/* A black line 3 px thick across the middle of a white page. */
	const uint32_t w = 201, h = 101;
	kho_image src, out;
	alloc_image(&src, w, h, 1);
	memset(src.pixels, 255, src.stride * h);
	for (uint32_t y = 49; y <= 51; y++)
		memset(px(&src, 20, y), 0, 161);
	assert_true(fabs(dark_row(&src, 30) - 50) < 1e-9);

	/* Counter-clockwise as the page is seen (y grows downwards): the
	 * right end rises, the left end falls, by 70 * tan(3 deg). */
	rotate(&src, 3, &out);
	const double drop = 70 * tan(3 * M_PI / 180);
	const double left = dark_row(&out, 30), right = dark_row(&out, 170);
	if (fabs(left - (50 + drop)) > 0.3 || fabs(right - (50 - drop)) > 0.3)
		fail_msg("+3 degrees: the line is at row %.2f on the left and "
			 "%.2f on the right; wanted %.2f and %.2f",
			 left, right, 50 + drop, 50 - drop);
	/* The centre stays. */
	assert_true(fabs(dark_row(&out, 100) - 50) < 0.3);
	/* Corners brought in from outside the page are white. */
	assert_int_equal(*px(&out, 0, 0), 255);
	assert_int_equal(*px(&out, w - 1, h - 1), 255);
	kho_image_release(&out);

	rotate(&src, -3, &out);
	assert_true(fabs(dark_row(&out, 30) - (50 - drop)) < 0.3);
	assert_true(fabs(dark_row(&out, 170) - (50 + drop)) < 0.3);
	kho_image_release(&out);
	kho_image_release(&src);
}

/*
 * With no turn only a band of source rows is kept; with a half turn the
 * whole page is.  The same page stored upside down and rendered with
 * rotate=180 must come out as the upright one rendered from its band, for
 * skews up to 15 degrees and a crop.
 */
static void test_band_matches_whole_page(void **state)
{
	for (int channels = 1; channels <= 3; channels += 2) {
		kho_image up, down;
		alloc_image(&up, 211, 157, channels);
		for (uint32_t y = 0; y < up.height; y++)
			for (uint32_t x = 0; x < up.width; x++)
				for (int c = 0; c < channels; c++)
					px(&up, x, y)[c] =
						(uint8_t)((x * 7 + y * 13 +
							   c * 50) %
							  251);
		reference(&up, 0, 180, &down);
		static const double skews[] = {0.5, -3, 7.25, -15};
		for (size_t i = 0; i < KHO_ARRAY_SIZE(skews); i++) {
			kho_plan p = plan_of(0, 300, 300,
					     channels == 3 ? KHO_MODE_COLOUR
							   : KHO_MODE_GREY);
			p.skew = skews[i];
			p.crop_x = 9;
			p.crop_y = 14;
			p.crop_w = 180;
			p.crop_h = 120;
			kho_image a, b;
			render_y(&up, &p, &a);
			p.rotation = 180;
			render_y(&down, &p, &b);
			/* The centre of a 211 x 157 page turned by 180
			 * lands on the same point: equal up to rounding. */
			assert_same(&a, &b, 2);
			kho_image_release(&a);
			kho_image_release(&b);
		}
		kho_image_release(&up);
		kho_image_release(&down);
	}
}

/* A grey page's deskew takes eight pixels at a time where it can (SSE2);
 * a colour page's goes pixel by pixel.  The same grey content as one
 * channel and as three equal ones must come out the same, to the level. */
static void test_grey_warp_matches_colour_warp(void **state)
{
	const uint32_t w = 301, h = 211;
	kho_image grey, rgb;
	alloc_image(&grey, w, h, 1);
	alloc_image(&rgb, w, h, 3);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const uint8_t v = (uint8_t)((x * 7 + y * 13 +
						     (x * y) % 17) % 251);
			*px(&grey, x, y) = v;
			memset(px(&rgb, x, y), v, 3);
		}
	static const double skews[] = {0.3, -1.7, 4.2, -9.5, 15, -0.05};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(skews); i++) {
		kho_plan pg = plan_of(0, 300, 300, KHO_MODE_GREY);
		pg.skew = skews[i];
		pg.crop_x = 5;
		pg.crop_y = 3;
		pg.crop_w = 290;
		pg.crop_h = 200;
		kho_plan pc = pg;
		pc.mode = KHO_MODE_COLOUR;
		kho_image a, b;
		render_y(&grey, &pg, &a);
		render_y(&rgb, &pc, &b);
		assert_same(&a, &b, 0);
		/* Each channel by itself: the colour page's luma is the luma
		 * of the grey warp put in that channel, so a byte weighed by
		 * another pixel's weights, or another channel's byte, shows. */
		for (int ch = 0; ch < 3; ch++) {
			kho_image one;
			alloc_image(&one, w, h, 3);
			/* the others white, as the outside is */
			memset(one.pixels, 255, one.stride * h);
			for (uint32_t y = 0; y < h; y++)
				for (uint32_t x = 0; x < w; x++)
					px(&one, x, y)[ch] = *px(&grey, x, y);
			kho_image c, want;
			render_y(&one, &pc, &c);
			alloc_image(&want, a.width, a.height, 1);
			for (uint32_t y = 0; y < a.height; y++)
				for (uint32_t x = 0; x < a.width; x++) {
					uint8_t v[3] = {255, 255, 255};
					v[ch] = *px(&a, x, y);
					*px(&want, x, y) = jfif_luma(v);
				}
			assert_same(&c, &want, 0);
			kho_image_release(&c);
			kho_image_release(&want);
			kho_image_release(&one);
		}
		kho_image_release(&a);
		kho_image_release(&b);
	}
	kho_image_release(&grey);
	kho_image_release(&rgb);
}

/* Row j of the map by its definition, pixel by pixel: the position in
 * 16.16 fixed point, its four samples (white off the page), weighed by
 * the position's fraction in eighths of a byte as the renderer does. */
static void warp_reference(const kho_warp_src *s, const kho_warp_map *m,
			   uint32_t j, uint8_t *out)
{
	const int c = s->channels;
	const int64_t X0 = llround((m->a0 + m->ay * j) * 65536.0);
	const int64_t Y0 = llround((m->b0 + m->by * j) * 65536.0);
	const int64_t DX = llround(m->ax * 65536.0);
	const int64_t DY = llround(m->bx * 65536.0);
	for (uint32_t i = 0; i < m->width; i++) {
		const int64_t X = X0 + DX * i, Y = Y0 + DY * i;
		const int64_t x = X >> 16, y = Y >> 16;
		const int32_t fx = (int32_t)((X >> 8) & 255);
		const int32_t fy = (int32_t)((Y >> 8) & 255);
		for (int k = 0; k < c; k++) {
			int32_t v[2][2];
			for (int q = 0; q < 4; q++) {
				const int64_t px = x + (q & 1), py = y + (q >> 1);
				v[q >> 1][q & 1] =
					px < 0 || py < 0 || px >= s->width ||
							py >= s->height
						? 255
						: s->rows[(size_t)((uint32_t)py &
								   s->mask) *
								  s->stride +
							  (size_t)px * c + k];
			}
			const int32_t top = v[0][0] * 256 + (v[0][1] - v[0][0]) * fx;
			const int32_t bot = v[1][0] * 256 + (v[1][1] - v[1][0]) * fx;
			out[(size_t)i * c + k] =
				(uint8_t)((top * 256 + (bot - top) * fy + 32768) >> 16);
		}
	}
}

/* size bytes that end where an unreadable page begins: a read past them
 * crashes.  *base and *len are for munmap. */
static uint8_t *guarded(size_t size, void **base, size_t *len)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const size_t body = (size + page - 1) / page * page;
	*len = body + page;
	uint8_t *p = mmap(NULL, *len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(mprotect(p + body, page, PROT_NONE), 0);
	*base = p;
	return p + body - size;
}

/* One row by every way the machine has against warp_reference. */
static void check_ways(const kho_warp_src *ws, const kho_warp_map *m,
		       uint32_t j, const char *what, int t)
{
	const size_t n = (size_t)m->width * ws->channels;
	uint8_t *want = malloc(n), *got = malloc(n);
	assert_non_null(want);
	assert_non_null(got);
	warp_reference(ws, m, j, want);
	for (int isa = KHO_WARP_PLAIN; isa <= (int)kho_warp_best(); isa++) {
		memset(got, 0, n);
		kho_warp_row_isa(ws, m, j, got, (kho_warp_isa)isa);
		if (memcmp(got, want, n))
			fail_msg("%s, channels %d, map %d, row %u: way %d "
				 "differs",
				 what, ws->channels, t, j, isa);
	}
	free(want);
	free(got);
}

/* Every way of sampling a row the build and the processor have (sixteen
 * pixels at a time with eight gathered, eight, one) gives the same bytes,
 * grey and colour, those of the map's definition: skews of either sign up
 * to the steep ones where no sixteen neighbouring columns make a group,
 * mirrored and quarter-turned maps, shrinking and enlarging, maps that go
 * past every edge (white beyond it), and a source that is a ring of rows.
 * Each source ends KHO_WARP_SLACK bytes before an unreadable page. */
static void test_warp_ways_agree(void **state)
{
	(void)state;
	const kho_warp_isa best = kho_warp_best();
	print_message("warp ways on this machine: up to %s\n",
		      best == KHO_WARP_AVX2   ? "AVX2"
		      : best == KHO_WARP_SSE2 ? "SSE2"
					      : "plain C");
	enum { RING = 128 };
	uint32_t seed = 12345;
	for (int c = 1; c <= 3; c += 2) {
		const uint32_t w = 283, h = 197;
		const size_t stride = (size_t)w * c;
		void *base[2];
		size_t len[2];
		uint8_t *whole = guarded(stride * h + KHO_WARP_SLACK, &base[0],
					 &len[0]);
		uint8_t *held = guarded(stride * RING + KHO_WARP_SLACK,
					&base[1], &len[1]);
		for (size_t k = 0; k < stride * h + KHO_WARP_SLACK; k++) {
			seed = seed * 1664525u + 1013904223u;
			whole[k] = (uint8_t)(seed >> 24);
		}
		/* a whole page, then the same rows as a ring */
		for (int ring = 0; ring < 2; ring++) {
			const kho_warp_src ws = {
				.rows = ring ? held : whole,
				.stride = stride,
				.mask = ring ? RING - 1 : UINT32_MAX,
				.width = w,
				.height = h,
				.channels = c,
			};
			for (int t = 0; t < 80; t++) {
				seed = seed * 1664525u + 1013904223u;
				double deg =
					((double)(seed >> 8) / 16777216.0 - 0.5) *
					(t < 40 ? 8.0 : 50.0);
				/* a quarter turn either way, skewed */
				if (t >= 70)
					deg = deg / 5 + (t % 2 ? 90 : -90);
				seed = seed * 1664525u + 1013904223u;
				const double scale =
					t % 5 == 4 ? 1.0
						   : 0.4 + 2.2 * (double)(seed >> 8) /
								   16777216.0;
				seed = seed * 1664525u + 1013904223u;
				const double ox =
					((double)(seed >> 8) / 16777216.0 - 0.3) *
					w;
				seed = seed * 1664525u + 1013904223u;
				const double oy =
					((double)(seed >> 8) / 16777216.0 - 0.3) *
					h;
				const double r = deg * M_PI / 180.0;
				/* mirrored: across goes right to left */
				const double flip = t >= 60 && t < 70 ? -1 : 1;
				const kho_warp_map m = {
					.a0 = flip < 0 ? ox + 200 * scale : ox,
					.ax = flip * cos(r) * scale,
					.ay = -sin(r) * scale,
					.b0 = oy,
					.bx = flip * sin(r) * scale,
					.by = cos(r) * scale,
					.width = 200 + (uint32_t)t,
					.exact = 0,
				};
				for (uint32_t j = 0; j < 160; j++) {
					/* the rows row j reads, into the ring */
					const double y = m.b0 + m.by * j;
					const double reach = 2 + 280 * fabs(m.bx);
					const long lo = (long)floor(y - reach);
					if (ring && 2 * reach + 2 >= RING)
						continue; /* more than the ring */
					for (long yy = lo; ring && yy < lo + RING;
					     yy++)
						if (yy >= 0 && yy < (long)h)
							memcpy(held + (size_t)(yy & (RING - 1)) *
									      stride,
							       whole + (size_t)yy * stride,
							       stride);
					check_ways(&ws, &m, j,
						   ring ? "a ring" : "a whole page", t);
				}
			}
		}
		munmap(base[0], len[0]);
		munmap(base[1], len[1]);
	}
}

/* A whole page of c channels in a fixed pattern, ending KHO_WARP_SLACK
 * bytes before an unreadable page (munmap base, len after). */
static kho_warp_src patterned_page(uint32_t w, uint32_t h, int c, void **base,
				   size_t *len)
{
	const size_t stride = (size_t)w * c;
	uint8_t *rows = guarded(stride * h + KHO_WARP_SLACK, base, len);
	for (size_t k = 0; k < stride * h + KHO_WARP_SLACK; k++)
		rows[k] = (uint8_t)(k * 2654435761u >> 24);
	const kho_warp_src ws = {rows, stride, UINT32_MAX, w, h, c};
	return ws;
}

/* A page 32,800 pixels wide, past what the gathers' 32-bit positions
 * hold: every way still gives the definition's bytes. */
static void test_warp_wide_page(void **state)
{
	(void)state;
	for (int c = 1; c <= 3; c += 2) {
		void *base;
		size_t len;
		const kho_warp_src ws = patterned_page(32800, 6, c, &base, &len);
		static const double degs[] = {0.3, -6.0};
		for (size_t i = 0; i < KHO_ARRAY_SIZE(degs); i++) {
			const double r = degs[i] * M_PI / 180.0;
			const kho_warp_map m = {
				.a0 = 30000, .ax = cos(r), .ay = -sin(r),
				.b0 = 1.5, .bx = sin(r) * 0.01, .by = cos(r),
				.width = 2790, .exact = 0,
			};
			for (uint32_t j = 0; j < 3; j++)
				check_ways(&ws, &m, j, "a wide page", (int)i);
		}
		munmap(base, len);
	}
}

/* Deskews of a scanned page's range, without a change of scale, on rows
 * long enough for sixteen neighbouring columns to stop following each
 * other and start again along a row: every way gives the definition's
 * bytes.  Under about 3.8 degrees a group of sixteen falls in one or two
 * source rows, under about 7.6 in up to three, and past that it is
 * gathered; the angles cross both limits, either sign. */
static void test_warp_deskew_angles(void **state)
{
	(void)state;
	for (int c = 1; c <= 3; c += 2) {
		void *base;
		size_t len;
		const kho_warp_src ws = patterned_page(1500, 260, c, &base, &len);
		int t = 0;
		for (double deg = -9.0; deg <= 9.0; deg += 0.45, t++) {
			const double r = deg * M_PI / 180.0;
			const kho_warp_map m = {
				.a0 = 40.3, .ax = cos(r), .ay = -sin(r),
				.b0 = 100.7 - 700 * sin(r), .bx = sin(r),
				.by = cos(r), .width = 1400, .exact = 0,
			};
			for (uint32_t j = 0; j < 24; j++)
				check_ways(&ws, &m, j, "a page", t);
		}
		munmap(base, len);
	}
}

/* ---- grey ---- */

static void test_to_grey(void **state)
{
	kho_image src, out;
	alloc_image(&src, 4, 1, 3);
	static const uint8_t rgb[4][3] = {
		{255, 255, 255}, {0, 0, 0}, {255, 0, 0}, {245, 238, 220}};
	for (uint32_t x = 0; x < 4; x++)
		memcpy(px(&src, x, 0), rgb[x], 3);
	kho_plan p = plan_of(0, 300, 300, KHO_MODE_GREY);
	render(&src, 1, &p, &out);
	assert_int_equal(out.channels, 1);
	assert_int_equal(*px(&out, 0, 0), 255);
	assert_int_equal(*px(&out, 1, 0), 0);
	assert_int_equal(*px(&out, 2, 0), 77);
	assert_int_equal(*px(&out, 3, 0), 238);
	kho_image_release(&out);
	kho_image_release(&src);

	static const uint8_t v[] = {1, 2, 3, 250};
	from_values(&src, 2, 2, v);
	render(&src, 1, &p, &out);
	assert_values(&out, 2, 2, v);
	kho_image_release(&out);
	kho_image_release(&src);
}

/* ---- whole pages ---- */

/* A 40x20 RGB page at 300 dpi: red on its left half, blue on the right. */
static void two_colours(kho_image *img, uint32_t w, uint32_t h)
{
	alloc_image(img, w, h, 3);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint8_t *p = px(img, x, y);
			p[0] = x < w / 2 ? 255 : 0;
			p[1] = 0;
			p[2] = x < w / 2 ? 0 : 255;
		}
}

/* A colour pixel within tol of want on every channel (JPEG's YCbCr and
 * its shared chroma round). */
static void assert_colour(const uint8_t *got, const uint8_t *want, int tol)
{
	for (int c = 0; c < 3; c++)
		if (abs(got[c] - want[c]) > tol)
			fail_msg("colour (%u, %u, %u), wanted (%u, %u, %u)",
				 got[0], got[1], got[2], want[0], want[1],
				 want[2]);
}

/* A bitonal or mixed plan: the layers it makes. */
static void render_layers(const kho_image *src, const kho_plan *p,
			  kho_rendered *r)
{
	kho_error err = KHO_ERROR_INIT;
	const kho_render_opts opts = {.background_dpi = 100};
	if (kho_render_image(src, src->width, src->height, 1, p, &opts, r,
			     &err))
		fail_msg("render: %s", err.msg);
}

static void test_render_page(void **state)
{
	kho_image src, out;
	two_colours(&src, 40, 20);

	/* Turned a quarter clockwise, at half the resolution. */
	kho_plan p = plan_of(90, 150, 300, KHO_MODE_COLOUR);
	render(&src, 1, &p, &out);
	assert_int_equal(out.width, 10);
	assert_int_equal(out.height, 20);
	assert_int_equal(out.channels, 3);
	/* The left half of the stored page is now on top. */
	static const uint8_t red[3] = {255, 0, 0}, blue[3] = {0, 0, 255};
	assert_colour(px(&out, 5, 2), red, 2);
	assert_colour(px(&out, 0, 0), red, 2);
	assert_colour(px(&out, 5, 17), blue, 2);
	assert_colour(px(&out, 9, 19), blue, 2);
	kho_image_release(&out);

	p.mode = KHO_MODE_MIXED;
	kho_rendered r = KHO_RENDERED_INIT;
	render_layers(&src, &p, &r);
	/* text at 150 dpi, background at 100 */
	assert_int_equal(r.width, 10);
	assert_int_equal(r.height, 20);
	assert_non_null(r.bits);
	assert_int_equal(r.bits_stride, 2);
	assert_int_equal(r.image.channels, 3);
	assert_int_equal(r.image.width, 7);
	assert_int_equal(r.image.height, 13);
	assert_int_equal(r.image_dpi, 100);
	/* Pure red and blue are colour: nothing of them is text. */
	for (uint32_t y = 0; y < r.height; y++)
		assert_int_equal(r.bits[y * r.bits_stride] |
					 (r.bits[y * r.bits_stride + 1] & 0xc0),
				 0);
	kho_rendered_release(&r);

	p.mode = KHO_MODE_GREY;
	render(&src, 1, &p, &out);
	assert_int_equal(out.width, 10);
	assert_int_equal(out.height, 20);
	assert_int_equal(out.channels, 1);
	assert_int_equal(*px(&out, 5, 2), 77);	/* red */
	assert_int_equal(*px(&out, 5, 17), 29); /* blue */
	kho_image_release(&out);

	p.mode = KHO_MODE_BITONAL;
	render_layers(&src, &p, &r);
	assert_non_null(r.bits);
	assert_null(r.image.pixels);
	assert_int_equal(r.width, 10);
	assert_int_equal(r.height, 20);
	kho_rendered_release(&r);

	/* Same resolution, no turn: the page as it is. */
	p = plan_of(0, 300, 300, KHO_MODE_COLOUR);
	render(&src, 1, &p, &out);
	assert_same(&out, &src, 2);
	kho_image_release(&out);

	/* 180 degrees and a larger output. */
	p = plan_of(180, 600, 300, KHO_MODE_COLOUR);
	render(&src, 1, &p, &out);
	assert_int_equal(out.width, 80);
	assert_int_equal(out.height, 40);
	assert_colour(px(&out, 0, 0), blue, 2);
	assert_colour(px(&out, 79, 39), red, 2);
	kho_image_release(&out);
	kho_image_release(&src);
}

static void test_render_page_needs_resolution(void **state)
{
	kho_image src, out = KHO_IMAGE_INIT;
	two_colours(&src, 8, 4);
	kho_error err = KHO_ERROR_INIT;
	const kho_plan bad[] = {
		plan_of(0, 300, 0, KHO_MODE_GREY),
		plan_of(0, 0, 300, KHO_MODE_GREY),
		plan_of(0, 300, -1, KHO_MODE_GREY),
		plan_of(0, 300, NAN, KHO_MODE_GREY),
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(bad); i++) {
		kho_rendered r = KHO_RENDERED_INIT;
		const kho_render_opts opts = {0};
		assert_int_equal(kho_render_image(&src, 8, 4, 1, &bad[i], &opts,
						  &r, &err),
				 KHO_FAIL);
		assert_null(r.bits);
		assert_non_null(strstr(err.msg, "resolution"));
		assert_null(out.pixels);
	}
	kho_image_release(&src);
}

static void test_render_page_scaled_and_cropped(void **state)
{
	/* The same 40x20 page decoded at half size: the output size still
	 * comes from the page at full size. */
	kho_image src, out;
	two_colours(&src, 20, 10);
	kho_plan p = plan_of(90, 150, 300, KHO_MODE_COLOUR);
	render(&src, 2, &p, &out);
	assert_int_equal(out.width, 10);
	assert_int_equal(out.height, 20);
	kho_image_release(&out);
	p.dpi = 300;
	render(&src, 2, &p, &out);
	assert_int_equal(out.width, 20);
	assert_int_equal(out.height, 40);
	kho_image_release(&out);

	/* A crop in source pixels of the turned page (20 x 40 there). */
	p = plan_of(90, 150, 300, KHO_MODE_GREY);
	p.crop_x = 4;
	p.crop_y = 22;
	p.crop_w = 12;
	p.crop_h = 16;
	render(&src, 2, &p, &out);
	assert_int_equal(out.width, 6);
	assert_int_equal(out.height, 8);
	assert_int_equal(out.channels, 1);
	/* All of it lies in the lower, blue half. */
	for (uint32_t y = 0; y < out.height; y++)
		for (uint32_t x = 0; x < out.width; x++)
			assert_int_equal(*px(&out, x, y), 29);
	kho_image_release(&out);
	kho_image_release(&src);
}

/* A crop that reaches past the page is cut to the page, and the output
 * size follows the cut crop: nothing is stretched. */
static void test_render_page_crop_past_the_page(void **state)
{
	kho_image src, out, half;
	two_colours(&src, 40, 20);
	kho_plan p = plan_of(0, 300, 300, KHO_MODE_COLOUR);
	p.crop_x = 20;
	p.crop_y = 0;
	p.crop_w = 40;
	p.crop_h = 20;
	render(&src, 1, &p, &out);
	kho_plan q = plan_of(0, 300, 300, KHO_MODE_COLOUR);
	q.crop_x = 20;
	q.crop_w = 20;
	q.crop_h = 20;
	render(&src, 1, &q, &half);
	assert_int_equal(half.width, 20);
	assert_same(&out, &half, 0);
	kho_image_release(&out);
	kho_image_release(&half);
	kho_image_release(&src);
}

static void test_render_page_skew(void **state)
{
	kho_image src, out, flat;
	alloc_image(&src, 201, 101, 1);
	memset(src.pixels, 255, src.stride * src.height);
	for (uint32_t y = 49; y <= 51; y++)
		memset(px(&src, 20, y), 0, 161);
	kho_plan p = plan_of(0, 300, 300, KHO_MODE_GREY);
	render(&src, 1, &p, &flat);
	assert_same(&flat, &src, 0);
	/* Below a hundredth of a degree nothing is turned. */
	p.skew = 0.005;
	render(&src, 1, &p, &out);
	assert_same(&out, &src, 0);
	kho_image_release(&out);
	/* Content turned clockwise by skew is turned back counter-
	 * clockwise: the right end of the line rises. */
	p.skew = 3;
	render(&src, 1, &p, &out);
	assert_int_equal(out.width, 201);
	assert_int_equal(out.height, 101);
	assert_true(dark_row(&out, 170) < dark_row(&out, 30) - 6);
	kho_image_release(&out);
	kho_image_release(&flat);
	kho_image_release(&src);
}

/* The share of black pixels of a text layer, and of those inside the
 * columns [x0, x1). */
static double black_share(const kho_rendered *r, uint32_t x0, uint32_t x1)
{
	size_t black = 0;
	for (uint32_t y = 0; y < r->height; y++)
		for (uint32_t x = x0; x < x1; x++)
			black += r->bits[y * r->bits_stride + x / 8] >>
					 (7 - x % 8) &
				 1;
	return (double)black / ((double)r->height * (x1 - x0));
}

/*
 * Was a bug, fixed: a page whose paper is darker than 48 (a dark sheet,
 * an underexposed scan: here paper at 30 with a scanner's noise, strokes
 * at 5) came out black all over, its text lost, as everything darker
 * than 48 was ink whatever its surroundings.  Given the paper's level,
 * the floor is half of it: the strokes stay black, the paper white.
 */
static void test_dark_paper_keeps_its_text(void **state)
{
	enum { W = 600, H = 400, STROKES_TO = 300 };
	kho_image src;
	alloc_image(&src, W, H, 1);
	uint64_t seed = 7;
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++) {
			seed = seed * 6364136223846793005ULL +
			       1442695040888963407ULL;
			/* strokes 3 pixels wide every 12 in the left half */
			const int stroke = x < STROKES_TO && x % 12 < 3;
			*px(&src, x, y) =
				(uint8_t)(stroke ? 5 : 27 + (seed >> 61));
		}
	kho_plan p = plan_of(0, 300, 300, KHO_MODE_BITONAL);
	p.crop_w = W;
	p.crop_h = H;
	kho_error err = KHO_ERROR_INIT;
	kho_rendered r = KHO_RENDERED_INIT;
	kho_render_opts opts = {.paper_level = 30};
	if (kho_render_image(&src, W, H, 1, &p, &opts, &r, &err))
		fail_msg("render: %s", err.msg);
	const double strokes = black_share(&r, 0, STROKES_TO);
	const double paper = black_share(&r, STROKES_TO + 20, W - 20);
	kho_rendered_release(&r);
	if (strokes < 0.2 || strokes > 0.3 || paper > 0.01)
		fail_msg("on paper at 30: %.3f of the strokes' half black "
			 "(0.25 are strokes), %.3f of the plain paper",
			 strokes, paper);
	/* Not knowing the paper, the usual floor: all of it ink. */
	opts.paper_level = 0;
	if (kho_render_image(&src, W, H, 1, &p, &opts, &r, &err))
		fail_msg("render: %s", err.msg);
	assert_true(black_share(&r, STROKES_TO + 20, W - 20) > 0.99);
	kho_rendered_release(&r);
	kho_image_release(&src);
	assert_int_equal(kho_sauvola_floor(30), 15);
	assert_int_equal(kho_sauvola_floor(95), 47);
	assert_int_equal(kho_sauvola_floor(96), 48);
	assert_int_equal(kho_sauvola_floor(240), 48);
	assert_int_equal(kho_sauvola_floor(0), 48);
}

static void test_decode_scale(void **state)
{
	assert_int_equal(kho_render_decode_scale(600, 300), 2);
	assert_int_equal(kho_render_decode_scale(300, 300), 1);
	assert_int_equal(kho_render_decode_scale(1200, 200), 4);
	assert_int_equal(kho_render_decode_scale(1200, 300), 4);
	assert_int_equal(kho_render_decode_scale(1199, 300), 2);
	assert_int_equal(kho_render_decode_scale(599, 300), 1);
	assert_int_equal(kho_render_decode_scale(200, 300), 1);
	assert_int_equal(kho_render_decode_scale(2400, 300), 8);
	assert_int_equal(kho_render_decode_scale(4800, 300), 8);
	assert_int_equal(kho_render_decode_scale(2400, 150), 8);
	assert_int_equal(kho_render_decode_scale(400, 200), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dark_paper_keeps_its_text),
		cmocka_unit_test(test_orient_literal),
		cmocka_unit_test(test_orient_against_reference),
		cmocka_unit_test(test_orient_padded_stride),
		cmocka_unit_test(test_resample_halving),
		cmocka_unit_test(test_resample_fractions),
		cmocka_unit_test(test_resample_matches_the_definition),
		cmocka_unit_test(test_resample_rgb_exact),
		cmocka_unit_test(test_resample_identity_and_enlarge),
		cmocka_unit_test(test_rotate_zero_is_identity),
		cmocka_unit_test(test_rotate_line),
		cmocka_unit_test(test_band_matches_whole_page),
		cmocka_unit_test(test_grey_warp_matches_colour_warp),
		cmocka_unit_test(test_warp_ways_agree),
		cmocka_unit_test(test_warp_wide_page),
		cmocka_unit_test(test_warp_deskew_angles),
		cmocka_unit_test(test_to_grey),
		cmocka_unit_test(test_render_page),
		cmocka_unit_test(test_render_page_needs_resolution),
		cmocka_unit_test(test_render_page_scaled_and_cropped),
		cmocka_unit_test(test_render_page_crop_past_the_page),
		cmocka_unit_test(test_render_page_skew),
		cmocka_unit_test(test_decode_scale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
