/*
 * Mixed pages: black text goes to the text layer at full resolution (under
 * a seal's ring too), a red seal and a blue signature stay out of it and
 * keep their colour in the background, which is at background_dpi and has
 * the text taken out.
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
#include "render/render_private.h"
#include "synth_page.h"
#include "testutil.h"

enum { W = 600, H = 400 };

static void set(kho_image *img, int x, int y, const uint8_t c[3])
{
	if (x < 0 || y < 0 || x >= (int)img->width || y >= (int)img->height)
		return;
	memcpy(img->pixels + (size_t)y * img->stride + (size_t)x * 3, c, 3);
}

static const uint8_t ink[3] = {28, 28, 30}, red[3] = {205, 40, 48},
		     blue[3] = {40, 52, 172}, paper[3] = {241, 236, 226};

/* Text bars at x 40..200, a seal ring about (450, 200), a black line
 * across the seal, a blue signature stroke at y 340. */
static void make_page(kho_image *img)
{
	kho_error err = KHO_ERROR_INIT;
	if (kho_image_alloc(img, W, H, 3, &err))
		fail_msg("alloc: %s", err.msg);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			uint8_t p[3];
			for (int c = 0; c < 3; c++)
				p[c] = (uint8_t)(paper[c] -
						 (x * 7 + y * 3) % 5);
			set(img, x, y, p);
		}
	for (int bar = 0; bar < 8; bar++)
		for (int y = 60; y < 120; y++)
			for (int x = 40 + bar * 20; x < 43 + bar * 20; x++)
				set(img, x, y, ink);
	for (int y = 100; y < 300; y++)
		for (int x = 350; x < 550; x++) {
			const double r = hypot(x - 450, y - 200);
			if (r >= 74 && r <= 80)
				set(img, x, y, red);
		}
	for (int x = 330; x < 570; x++)
		for (int y = 198; y < 201; y++)
			set(img, x, y, ink);
	/* Where it crosses the ring, the ring's red spread into it (by the
	 * ink over it, by a JPEG's colour): dark in every channel, but
	 * coloured. */
	for (int x = 330; x < 570; x++)
		for (int y = 198; y < 201; y++) {
			const double r = hypot(x - 450, y - 200);
			if (r >= 74 && r <= 80)
				set(img, x, y, (const uint8_t[3]){78, 10, 18});
		}
	for (int x = 60; x < 300; x++)
		for (int y = 340; y < 343; y++)
			set(img, x, y, blue);
}

static int bit(const kho_rendered *r, int x, int y)
{
	return r->bits[(size_t)y * r->bits_stride + (size_t)x / 8] >>
		       (7 - x % 8) &
	       1;
}

static const uint8_t *bg(const kho_rendered *r, int x, int y)
{
	/* (x, y) of the page at 300 dpi, in the background at 100 */
	return r->image.pixels + (size_t)(y / 3) * r->image.stride +
	       (size_t)(x / 3) * 3;
}

static void render(const kho_image *src, kho_rendered *r)
{
	kho_plan p;
	memset(&p, 0, sizeof(p));
	p.mode = KHO_MODE_MIXED;
	p.dpi = 300;
	p.source_dpi = 300;
	const kho_render_opts opts = {.background_dpi = 100};
	kho_error err = KHO_ERROR_INIT;
	if (kho_render_image(src, W, H, 1, &p, &opts, r, &err))
		fail_msg("render: %s", err.msg);
}

static void test_layers(void **state)
{
	kho_image src;
	make_page(&src);
	kho_rendered r = KHO_RENDERED_INIT;
	render(&src, &r);
	assert_int_equal(r.mode, KHO_MODE_MIXED);
	assert_int_equal(r.width, W);
	assert_int_equal(r.height, H);
	assert_int_equal(r.image.width, W / 3);
	assert_int_equal(r.image.height, 133);
	assert_int_equal(r.image_dpi, 100);

	/* text: every bar pixel is black in the text layer */
	int n = 0, blackn = 0;
	for (int bar = 0; bar < 8; bar++)
		for (int y = 60; y < 120; y++)
			for (int x = 40 + bar * 20; x < 43 + bar * 20; x++) {
				n++;
				blackn += bit(&r, x, y);
			}
	assert_int_equal(blackn, n);
	/* the black line across the seal too, where it crosses the ring
	 * (coloured there by the ring's red, as dark as print) */
	assert_true(bit(&r, 376, 199) && bit(&r, 450, 199) &&
		    bit(&r, 524, 199));
	for (int x = 370; x <= 380; x++)
		if (!bit(&r, x, 199))
			fail_msg("the line under the ring at x %d is not text",
				 x);

	/* the seal and the signature are not text */
	for (int y = 100; y < 300; y++)
		for (int x = 350; x < 550; x++) {
			const double d = hypot(x - 450, y - 200);
			if (d >= 73 && d <= 81 && (y < 195 || y > 203) &&
			    bit(&r, x, y))
				fail_msg(
					"seal pixel (%d, %d) in the text layer",
					x, y);
		}
	for (int x = 60; x < 300; x++)
		for (int y = 338; y < 345; y++)
			if (bit(&r, x, y))
				fail_msg("signature pixel (%d, %d) in the text "
					 "layer",
					 x, y);

	/* the background keeps the seal red and the signature blue */
	const uint8_t *s = bg(&r, 450, 123); /* top of the ring */
	if (!(s[0] > 160 && s[1] < 120 && s[0] - s[2] > 60))
		fail_msg("seal in the background: (%u, %u, %u)", s[0], s[1],
			 s[2]);
	const uint8_t *b = bg(&r, 150, 341);
	if (!(b[2] > 150 && b[2] - b[0] > 50))
		fail_msg("signature in the background: (%u, %u, %u)", b[0],
			 b[1], b[2]);
	/* and has the text taken out: paper where the bars were */
	for (int bar = 0; bar < 8; bar++) {
		const uint8_t *p = bg(&r, 41 + bar * 20, 90);
		if (!(p[0] > 220 && p[1] > 215))
			fail_msg("text left in the background at bar %d: "
				 "(%u, %u, %u)",
				 bar, p[0], p[1], p[2]);
	}
	kho_rendered_release(&r);
	kho_image_release(&src);
}

/* The same page gives the same layers: nothing depends on the run. */
static void test_deterministic(void **state)
{
	kho_image src;
	make_page(&src);
	kho_rendered a = KHO_RENDERED_INIT, b = KHO_RENDERED_INIT;
	render(&src, &a);
	render(&src, &b);
	assert_memory_equal(a.bits, b.bits, a.bits_stride * a.height);
	assert_memory_equal(a.image.pixels, b.image.pixels,
			    a.image.stride * a.image.height);
	kho_rendered_release(&a);
	kho_rendered_release(&b);
	kho_image_release(&src);
}

/* background_dpi at or above the page's: the background at the page's. */
static void test_background_not_enlarged(void **state)
{
	kho_image src;
	make_page(&src);
	kho_plan p;
	memset(&p, 0, sizeof(p));
	p.mode = KHO_MODE_MIXED;
	p.dpi = 150;
	p.source_dpi = 300;
	const kho_render_opts opts = {.background_dpi = 300};
	kho_error err = KHO_ERROR_INIT;
	kho_rendered r = KHO_RENDERED_INIT;
	assert_int_equal(kho_render_image(&src, W, H, 1, &p, &opts, &r, &err),
			 KHO_OK);
	assert_int_equal(r.width, W / 2);
	assert_int_equal(r.image.width, W / 2);
	assert_int_equal(r.image_dpi, 150);
	kho_rendered_release(&r);
	kho_image_release(&src);
}

/* The text layer's view of a colour row, sixteen bytes at a time (twice
 * over where the processor has AVX2), against the rule pixel by pixel:
 * spreads around the limit, greys, every width to 64 (the tail pixel by
 * pixel), nothing written past the row. */
static void test_grey_row_matches_the_rule(void **state)
{
	(void)state;
	uint64_t seed = 11;
	uint8_t rgb[64 * 3 + 16], grey[64 + 16];
	for (uint32_t w = 1; w <= 64; w++) {
		for (int trial = 0; trial < 50; trial++) {
			for (uint32_t x = 0; x < w; x++) {
				seed = seed * 6364136223846793005ULL +
				       1442695040888963407ULL;
				const uint32_t r = (uint32_t)(seed >> 33);
				uint8_t *p = rgb + 3 * x;
				const int base = (int)(r % 256);
				/* spread 0, 55 .. 58, or anything */
				const int spread = r % 3 == 0   ? 0
						   : r % 3 == 1 ? 55 + (int)(r >> 8) % 4
								: (int)(r >> 10) % 256;
				for (int c = 0; c < 3; c++)
					p[c] = (uint8_t)KHO_MIN(
						255, base + ((r >> (12 + c)) & 1 ? spread : 0));
				if (trial % 5 == 0)
					p[0] = p[1] = p[2] = (uint8_t)(r >> 16);
			}
			memset(grey, 0xa5, sizeof(grey));
			kho_mixed_grey_row(rgb, w, grey);
			for (uint32_t x = 0; x < w; x++) {
				const uint8_t *p = rgb + 3 * x;
				const int hi = KHO_MAX(p[0], KHO_MAX(p[1], p[2]));
				const int lo = KHO_MIN(p[0], KHO_MIN(p[1], p[2]));
				const int want =
					hi - lo <= KHO_MIXED_CHROMA
						? (p[0] * 77 + p[1] * 150 + p[2] * 29 + 128) >> 8
					: hi < KHO_MIXED_DARK ? hi
							      : 255;
				if (grey[x] != want)
					fail_msg("width %u x %u (%u %u %u): %u, "
						 "the rule %d",
						 w, x, p[0], p[1], p[2], grey[x], want);
			}
			if (grey[w] != 0xa5)
				fail_msg("width %u: written past the row", w);
		}
	}
}

/* A colour row's luma, ten, five or one pixel at a time, against
 * kho_luma pixel by pixel: every width to 64, nothing written past the
 * row. */
static void test_luma_row_matches_kho_luma(void **state)
{
	(void)state;
	synth_rng rng = {5};
	uint8_t rgb[64 * 3 + 16], grey[64 + 16];
	for (uint32_t w = 1; w <= 64; w++) {
		for (int trial = 0; trial < 20; trial++) {
			synth_bytes(&rng, rgb, w * 3);
			if (trial == 0)
				memset(rgb, 255, w * 3); /* the largest sums */
			memset(grey, 0xa5, sizeof(grey));
			kho_luma_row(rgb, w, grey);
			for (uint32_t x = 0; x < w; x++)
				if (grey[x] != kho_luma(rgb + 3 * x))
					fail_msg("width %u x %u: %u, kho_luma %u",
						 w, x, grey[x], kho_luma(rgb + 3 * x));
			if (grey[w] != 0xa5)
				fail_msg("width %u: written past the row", w);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layers),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_background_not_enlarged),
		cmocka_unit_test(test_grey_row_matches_the_rule),
		cmocka_unit_test(test_luma_row_matches_kho_luma),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
