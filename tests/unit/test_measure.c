/*
 * Page measurements on synthetic pages built in memory at about 150 dpi:
 * blank paper, text, a lone page number, noise specks, tinted paper and a
 * red seal; and the page's resolution, from the file or the paper size.
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
#include "analysis/measure.h"
#include "testutil.h"
#include "synth_page.h"

/* A4 at 150 dpi, as normalize measures it. */
enum { PAGE_W = 1240, PAGE_H = 1754 };

/* ---- drawing ---- */

static void new_page(kho_image *img, uint32_t w, uint32_t h, int channels,
		     uint8_t r, uint8_t g, uint8_t b)
{
	kho_error err = KHO_ERROR_INIT;
	if (kho_image_alloc(img, w, h, channels, &err) != 0)
		fail_msg("alloc: %s", err.msg);
	for (uint32_t y = 0; y < h; y++) {
		uint8_t *row = img->pixels + (size_t)y * img->stride;
		for (uint32_t x = 0; x < w; x++) {
			if (channels == 1) {
				row[x] = r;
			} else {
				row[3 * x] = r;
				row[3 * x + 1] = g;
				row[3 * x + 2] = b;
			}
		}
	}
}

static void put(kho_image *img, int x, int y, uint8_t r, uint8_t g, uint8_t b)
{
	assert_true(x >= 0 && y >= 0 && x < (int)img->width &&
		    y < (int)img->height);
	uint8_t *p = img->pixels + (size_t)y * img->stride +
		     (size_t)x * img->channels;
	p[0] = r;
	if (img->channels == 3) {
		p[1] = g;
		p[2] = b;
	}
}

static void rect(kho_image *img, int x0, int y0, int w, int h, uint8_t r,
		 uint8_t g, uint8_t b)
{
	for (int y = y0; y < y0 + h; y++)
		for (int x = x0; x < x0 + w; x++)
			put(img, x, y, r, g, b);
}

/* A ring (a seal) centred at (cx, cy); returns how many pixels it has. */
static size_t ring(kho_image *img, int cx, int cy, double radius, double width,
		   uint8_t r, uint8_t g, uint8_t b)
{
	size_t n = 0;
	const int reach = (int)ceil(radius + width);
	for (int y = cy - reach; y <= cy + reach; y++)
		for (int x = cx - reach; x <= cx + reach; x++) {
			const double d = hypot(x - cx, y - cy);
			if (d >= radius - width / 2 && d < radius + width / 2) {
				put(img, x, y, r, g, b);
				n++;
			}
		}
	return n;
}

/* Lines of word-like dark blocks, as a typed page shows at 150 dpi;
 * returns the number of dark pixels. */
static size_t text_lines(kho_image *img, int lines, uint8_t ink_r,
			 uint8_t ink_g, uint8_t ink_b)
{
	size_t n = 0;
	for (int l = 0; l < lines; l++) {
		const int y = 160 + l * 40;
		int x = 140;
		for (int k = 0; x < 1060; k++) {
			const int w = 24 + (k * 37 + l * 11) % 70;
			rect(img, x, y, w, 14, ink_r, ink_g, ink_b);
			n += (size_t)w * 14;
			x += w + 13;
		}
	}
	return n;
}

static kho_page_stats measure(const kho_image *img)
{
	kho_page_stats st;
	memset(&st, 0xA5, sizeof(st));
	kho_measure_page(img, &st);
	return st;
}

/* ---- blank or not ---- */

static void test_white_page_is_blank(void **state)
{
	for (int channels = 1; channels <= 3; channels += 2) {
		kho_image img;
		new_page(&img, PAGE_W, PAGE_H, channels, 255, 255, 255);
		const kho_page_stats st = measure(&img);
		assert_true(st.paper_level == 255);
		assert_true(fabs(st.ink_level - 255 * 0.55) < 1e-9);
		assert_true(st.ink_fraction == 0);
		assert_true(st.colour_fraction == 0);
		assert_true(st.paper_chroma == 0);
		assert_true(kho_stats_is_blank(&st));
		assert_false(kho_stats_is_colour(&st));
		assert_true(kho_stats_blank_score(&st) == 1.0);
		kho_image_release(&img);
	}
	/* Grey paper that is not white is just as blank. */
	kho_image img;
	new_page(&img, PAGE_W, PAGE_H, 1, 200, 200, 200);
	const kho_page_stats st = measure(&img);
	assert_true(st.paper_level == 200);
	assert_true(kho_stats_is_blank(&st));
	kho_image_release(&img);
}

static void test_text_page_is_not_blank(void **state)
{
	kho_image img;
	new_page(&img, PAGE_W, PAGE_H, 1, 250, 250, 250);
	const size_t dark = text_lines(&img, 30, 25, 25, 25);
	const kho_page_stats st = measure(&img);
	assert_true(st.paper_level == 250);
	assert_false(kho_stats_is_blank(&st));
	assert_true(kho_stats_blank_score(&st) < 1e-6);
	/* Every dark pixel has a dark neighbour but the last of each
	 * block: the share is the blocks' area, near enough. */
	const double total = (double)PAGE_W * PAGE_H;
	assert_true(st.ink_fraction <= dark / total);
	assert_true(st.ink_fraction > 0.99 * dark / total);
	assert_true(st.ink_fraction > 0.05 && st.ink_fraction < 0.30);
	kho_image_release(&img);
}

/* A page that holds nothing but its number, about 20x30 px at 150 dpi,
 * in strokes 3 px wide: it is not blank. */
static void page_number(int glyph, int channels, uint8_t paper, uint8_t ink)
{
	kho_image img;
	new_page(&img, PAGE_W, PAGE_H, channels, paper, paper, paper);
	const int x = PAGE_W / 2 - 10, y = PAGE_H - 110;
	switch (glyph) {
	case '1':
		rect(&img, x + 9, y, 3, 30, ink, ink, ink);    /* stem */
		rect(&img, x + 4, y + 3, 5, 3, ink, ink, ink); /* flag */
		break;
	case '2':
		rect(&img, x, y, 20, 3, ink, ink, ink);
		rect(&img, x + 17, y, 3, 15, ink, ink, ink);
		rect(&img, x, y + 13, 20, 3, ink, ink, ink);
		rect(&img, x, y + 13, 3, 17, ink, ink, ink);
		rect(&img, x, y + 27, 20, 3, ink, ink, ink);
		break;
	case '7':
		rect(&img, x, y, 20, 3, ink, ink, ink);
		for (int k = 0; k < 27; k++) /* the diagonal */
			rect(&img, x + 17 - k / 2, y + 3 + k, 3, 1, ink, ink,
			     ink);
		break;
	default:
		fail();
	}
	const kho_page_stats st = measure(&img);
	if (kho_stats_is_blank(&st))
		fail_msg("a page with only '%c' (%d channels) counts as blank: "
			 "ink %g, score %g",
			 glyph, channels, st.ink_fraction,
			 kho_stats_blank_score(&st));
	assert_true(st.ink_fraction > 0);
	assert_true(kho_stats_blank_score(&st) < 0.5);
	kho_image_release(&img);
}

static void test_page_number_is_not_blank(void **state)
{
	page_number('1', 1, 255, 0);
	page_number('2', 1, 255, 0);
	page_number('7', 1, 255, 0);
	page_number('1', 3, 240, 40);
	page_number('2', 3, 230, 60);
}

static void test_noise_specks_are_blank(void **state)
{
	kho_image img;
	new_page(&img, PAGE_W, PAGE_H, 1, 248, 248, 248);
	/* Single dark pixels, none touching another, even diagonally
	 * offset pairs. */
	int specks = 0;
	for (int y = 5; y < PAGE_H - 5; y += 23)
		for (int x = 3 + (y % 7); x < PAGE_W - 5; x += 31) {
			put(&img, x, y, 0, 0, 0);
			specks++;
			if (specks % 5 == 0) {
				put(&img, x + 1, y + 1, 10, 10, 10);
				specks++;
			}
		}
	assert_true(specks > 2500);
	const kho_page_stats st = measure(&img);
	assert_true(st.paper_level == 248);
	assert_true(st.ink_fraction == 0);
	assert_true(kho_stats_is_blank(&st));
	assert_true(kho_stats_blank_score(&st) == 1.0);

	/* The same specks over a few words: the words still count. */
	text_lines(&img, 2, 0, 0, 0);
	const kho_page_stats st2 = measure(&img);
	assert_false(kho_stats_is_blank(&st2));
	kho_image_release(&img);
}

/* Faint marks are judged against the paper around them, not the page's
 * paper level: a shadow darkening the lower half is no mark, pencil-like
 * strokes 30 levels below the shadow around them are.  (The paper around
 * a pixel comes from the integral image, whose every sum counts.) */
static void test_faint_against_the_paper_around(void **state)
{
	(void)state;
	kho_image img;
	new_page(&img, PAGE_W, PAGE_H, 1, 248, 248, 248);
	const int half = PAGE_H / 2;
	for (int y = half; y < PAGE_H; y++)
		rect(&img, 0, y, PAGE_W, 1,
		     (uint8_t)(248 - 48 * (y - half) / half), 0, 0);
	const kho_page_stats shadow = measure(&img);
	assert_int_equal(shadow.paper_level, 248);
	assert_true(shadow.faint_fraction < 0.0001);
	assert_true(shadow.ink_fraction == 0);

	/* Twenty strokes, two pixels thick, in the shadow. */
	for (int k = 0; k < 20; k++) {
		const int y = half + 100 + 35 * k;
		const uint8_t below =
			(uint8_t)(248 - 48 * (y - half) / half - 30);
		rect(&img, 300, y, 600, 2, below, 0, 0);
	}
	const kho_page_stats marked = measure(&img);
	assert_true(marked.faint_fraction > 0.005);
	assert_true(marked.ink_fraction == 0);
	assert_false(kho_stats_is_blank(&marked));
	kho_image_release(&img);
}

/* The faint share, to the pixel: every other pixel of every other row
 * is looked at (odd x and y, inside the one-pixel edge), and a stroke
 * three rows thick starting on an even row has one odd row, each of
 * whose odd pixels has a darker pixel below it. */
static void test_faint_share_counted_exactly(void **state)
{
	(void)state;
	kho_image img;
	new_page(&img, PAGE_W, PAGE_H, 1, 248, 248, 248);
	for (int k = 0; k < 20; k++)
		rect(&img, 300, 200 + 60 * k, 600, 3, 210, 0, 0);
	const kho_page_stats st = measure(&img);
	const double seen = (double)((PAGE_W - 1) / 2) * ((PAGE_H - 1) / 2);
	assert_true(st.faint_fraction == 20 * 300 / seen);
	assert_true(st.midtone_fraction == 0);
	kho_image_release(&img);
}

static void test_stride_is_respected(void **state)
{
	/* Rows padded with dark bytes beyond the width: the padding is not
	 * part of the page. */
	const uint32_t w = 300, h = 200;
	kho_image img = {w, h, 3, (size_t)w * 3 + 64, NULL};
	img.pixels = malloc(img.stride * h);
	memset(img.pixels, 0, img.stride * h);
	for (uint32_t y = 0; y < h; y++)
		memset(img.pixels + y * img.stride, 255, (size_t)w * 3);
	kho_page_stats st = measure(&img);
	assert_true(st.paper_level == 255);
	assert_true(st.ink_fraction == 0);
	assert_true(kho_stats_is_blank(&st));
	/* One 10x10 black block: 99 of its pixels have a dark neighbour. */
	rect(&img, 100, 100, 10, 10, 0, 0, 0);
	st = measure(&img);
	assert_true(fabs(st.ink_fraction - 99.0 / (w * h)) < 1e-12);
	free(img.pixels);
}

static void test_empty_image(void **state)
{
	kho_image img = KHO_IMAGE_INIT;
	img.channels = 1;
	const kho_page_stats st = measure(&img);
	assert_true(st.paper_level == 0 && st.ink_fraction == 0 &&
		    st.colour_fraction == 0 && st.paper_chroma == 0);
}

static void test_blank_score(void **state)
{
	kho_page_stats st;
	memset(&st, 0, sizeof(st));
	assert_true(kho_stats_blank_score(&st) == 1.0);
	assert_true(kho_stats_is_blank(&st));
	double last = 1.0;
	for (double f = 1e-6; f < 0.5; f *= 3) {
		st.ink_fraction = f;
		const double s = kho_stats_blank_score(&st);
		assert_true(s >= 0 && (s < last || s == 0));
		/* Whatever counts as blank scores higher than what does
		 * not. */
		if (kho_stats_is_blank(&st))
			assert_true(s > 0.3);
		else
			assert_true(s < 0.4);
		last = s;
	}
	st.ink_fraction = 0.01;
	assert_false(kho_stats_is_blank(&st));
	assert_true(kho_stats_blank_score(&st) < 1e-6);
}

/* ---- colour ---- */

static void test_tinted_paper_is_not_colour(void **state)
{
	kho_image img;
	new_page(&img, PAGE_W, PAGE_H, 3, 245, 238, 220);
	text_lines(&img, 30, 0, 0, 0);
	/* Grey type and a grey rule are not colour either. */
	rect(&img, 140, 1500, 900, 4, 90, 90, 95);
	const kho_page_stats st = measure(&img);
	assert_true(st.colour_fraction == 0);
	assert_false(kho_stats_is_colour(&st));
	assert_false(kho_stats_is_blank(&st));
	/* The tint is measured on the paper: max - min = 245 - 220. */
	assert_true(fabs(st.paper_chroma - 25.0) < 1e-9);
	assert_true(st.paper_level == (245 * 77 + 238 * 150 + 220 * 29) >> 8);
	kho_image_release(&img);
}

static void test_scanner_noise_is_not_colour(void **state)
{
	kho_image img;
	new_page(&img, PAGE_W, PAGE_H, 3, 250, 250, 250);
	text_lines(&img, 20, 0, 0, 0);
	/* Colour fringes of up to 60 levels on every 3rd pixel. */
	uint32_t seed = 12345;
	for (uint32_t y = 0; y < PAGE_H; y++)
		for (uint32_t x = y % 3; x < PAGE_W; x += 3) {
			seed = seed * 1103515245u + 12345u;
			uint8_t *p = img.pixels + y * img.stride + 3 * x;
			const int shift = (int)(seed >> 16) % 61;
			p[(seed >> 8) % 3] =
				(uint8_t)(p[0] > 128 ? 250 - shift : shift);
		}
	const kho_page_stats st = measure(&img);
	assert_true(st.colour_fraction == 0);
	assert_false(kho_stats_is_colour(&st));
	kho_image_release(&img);
}

static void test_seal_is_colour(void **state)
{
	kho_image img;
	new_page(&img, PAGE_W, PAGE_H, 3, 245, 238, 220);
	text_lines(&img, 30, 0, 0, 0);
	const size_t red = ring(&img, 900, 1500, 80, 6, 200, 30, 40);
	assert_true(red > 2500 && red < 3500);
	const kho_page_stats st = measure(&img);
	/* Colour is an area measure, sampled every other pixel. */
	const double share = (double)red / ((double)PAGE_W * PAGE_H);
	assert_true(fabs(st.colour_fraction - share) < 0.15 * share);
	assert_true(kho_stats_is_colour(&st));
	assert_false(kho_stats_is_blank(&st));
	kho_image_release(&img);

	/* A few coloured pixels (a red dot of about 80) are not a colour
	 * page. */
	new_page(&img, PAGE_W, PAGE_H, 3, 245, 238, 220);
	text_lines(&img, 30, 0, 0, 0);
	const size_t dot = ring(&img, 900, 1500, 2.5, 5, 200, 30, 40);
	assert_true(dot > 10 && dot < 100);
	const kho_page_stats st2 = measure(&img);
	assert_true(st2.colour_fraction > 0);
	assert_false(kho_stats_is_colour(&st2));
	kho_image_release(&img);

	/* A grey image has no colour at all. */
	new_page(&img, PAGE_W, PAGE_H, 1, 245, 245, 245);
	text_lines(&img, 30, 0, 0, 0);
	const kho_page_stats st3 = measure(&img);
	assert_true(st3.colour_fraction == 0 && st3.paper_chroma == 0);
	kho_image_release(&img);
}

/* Grain of a deviation of about sd levels in specks of 3 x 3 pixels (as
 * a scan's grain is after JPEG and the analysis's reduction), the same on
 * every run: each speck a sum of twelve uniform draws. */
static void coarse_grain(kho_image *img, double sd)
{
	uint32_t seed = 777;
	const uint32_t sw = (img->width + 2) / 3;
	double *speck = malloc(sw * sizeof(*speck));
	assert_non_null(speck);
	for (uint32_t y = 0; y < img->height; y++) {
		uint8_t *row = img->pixels + (size_t)y * img->stride;
		for (uint32_t i = 0; y % 3 == 0 && i < sw; i++) {
			double g = -6;
			for (int k = 0; k < 12; k++) {
				seed = seed * 1103515245u + 12345u;
				g += (seed >> 8 & 0xFFFF) / 65536.0;
			}
			speck[i] = sd * g;
		}
		for (uint32_t x = 0; x < img->width; x++) {
			const long v = lround(row[x] + speck[x / 3]);
			row[x] = (uint8_t)KHO_MAX(0L, KHO_MIN(255L, v));
		}
	}
	free(speck);
}

/* Coarse grain (cheap or recycled paper, a noisy sensor) throws pixels
 * 16 levels below the paper around them by chance: marks, but none that
 * stands out of the grain, so the page is blank.  Pencil strokes 60
 * levels below it do, and it is not. */
static void test_grain_is_not_a_mark(void **state)
{
	(void)state;
	kho_image img;
	new_page(&img, PAGE_W, PAGE_H, 1, 235, 235, 235);
	coarse_grain(&img, 6);
	kho_page_stats st = measure(&img);
	assert_true(st.grain > 3 && st.grain < 8);
	assert_true(st.faint_fraction > 0.0004); /* the chance marks */
	assert_true(st.faint_clear_fraction < 0.00005);
	assert_true(kho_stats_is_blank(&st));

	for (int k = 0; k < 12; k++)
		rect(&img, 300, 300 + 90 * k, 500, 3, 175, 0, 0);
	st = measure(&img);
	assert_true(st.ink_fraction < 0.00002);
	assert_true(st.faint_clear_fraction > 0.001);
	assert_false(kho_stats_is_blank(&st));
	kho_image_release(&img);
}

/* ---- shading ---- */

/* A little grain, the same on every run. */
static void grain(kho_image *img)
{
	uint32_t seed = 12345;
	for (uint32_t y = 0; y < img->height; y++) {
		uint8_t *row = img->pixels + (size_t)y * img->stride;
		for (uint32_t x = 0; x < img->width; x++) {
			seed = seed * 1103515245u + 12345u;
			const int v = row[x] + (int)((seed >> 16) % 7) - 3;
			row[x] = (uint8_t)KHO_MAX(0, KHO_MIN(255, v));
		}
	}
}

/* Light falling from the right edge to 45% of it at the left, as on a
 * page that did not lie flat: each pixel times the light where it is. */
static void shade(kho_image *img)
{
	double light[PAGE_W];
	for (int x = 0; x < PAGE_W; x++)
		light[x] = 0.45 + 0.55 * x / (PAGE_W - 1.0);
	synth_light(img, light);
}

/* A page of lines of text (36 fill it) on paper of 248, with grain. */
static void text_page(kho_image *img, int lines)
{
	new_page(img, PAGE_W, PAGE_H, 1, 248, 248, 248);
	text_lines(img, lines, 20, 20, 20);
	grain(img);
}

/* A photo: patches of levels from lo to hi, a few pixels each. */
static void photo(kho_image *img, int x0, int y0, int w, int h, int lo,
		  int hi)
{
	for (int y = y0; y < y0 + h; y++)
		for (int x = x0; x < x0 + w; x++) {
			const int step = ((x - x0) / 9 * 7 + (y - y0) / 11 * 13) % 17;
			put(img, x, y, (uint8_t)(lo + (hi - lo) * step / 16), 0, 0);
		}
}

static kho_mode mode_of(const kho_page_stats *st, const char **reason)
{
	return kho_stats_mode(st, 1, 8, reason);
}

/* Text on paper in shadow from one side to the other: the shaded paper
 * is not a photo's mid-tones, and the page is black text on paper. */
static void test_shaded_text_is_not_a_photo(void **state)
{
	(void)state;
	kho_image img;
	text_page(&img, 36);
	const char *reason;
	const kho_page_stats even = measure(&img);
	assert_true(even.shading == 0);
	assert_int_equal(mode_of(&even, &reason), KHO_MODE_BITONAL);

	shade(&img);
	const kho_page_stats st = measure(&img);
	assert_true(st.shading > 100 && st.shading < 140);
	assert_true(st.midtone_fraction < 0.001);
	assert_int_equal(mode_of(&st, &reason), KHO_MODE_BITONAL);
	assert_string_equal(reason, "black text and lines on shaded paper");
	kho_image_release(&img);
}

/* A photo on that shaded page still holds mid-tones below the paper
 * where it lies: the page stays grey. */
static void test_photo_on_shaded_paper_stays_grey(void **state)
{
	(void)state;
	kho_image img;
	new_page(&img, PAGE_W, PAGE_H, 1, 248, 248, 248);
	text_lines(&img, 12, 20, 20, 20);
	photo(&img, 600, 800, 500, 500, 90, 170);
	grain(&img);
	shade(&img);
	const kho_page_stats st = measure(&img);
	assert_true(st.shading > 100);
	assert_true(st.midtone_fraction > 0.03);
	const char *reason;
	assert_int_equal(mode_of(&st, &reason), KHO_MODE_GREY);
	kho_image_release(&img);
}

/* A dark area that fades softly into the page (a photo's vignette over a
 * corner) is not the paper's light: the blocks of paper around it do not
 * fall with it, and the page keeps its mid-tones. */
static void test_soft_dark_corner_is_not_shading(void **state)
{
	(void)state;
	kho_image img;
	new_page(&img, PAGE_W, PAGE_H, 1, 248, 248, 248);
	text_lines(&img, 36, 20, 20, 20);
	for (int y = 900; y < PAGE_H; y++)
		for (int x = 0; x < 700; x++) {
			const double d = KHO_MIN(700 - x, y - 900);
			const double f = d >= 400 ? 0.5 : 1 - 0.5 * d / 400;
			put(&img, x, y, (uint8_t)lround(248 * f), 0, 0);
		}
	grain(&img);
	const kho_page_stats st = measure(&img);
	assert_true(st.shading == 0);
	assert_true(st.midtone_fraction > 0.03);
	const char *reason;
	assert_int_equal(mode_of(&st, &reason), KHO_MODE_GREY);
	kho_image_release(&img);
}

/* A book's gutter: the light falls steeply to a quarter at the left edge,
 * too steeply for a smooth surface over the page; the shadow falls one
 * way, so it is the paper's light, and the page is text on paper. */
static void test_gutter_is_not_a_photo(void **state)
{
	(void)state;
	kho_image img;
	text_page(&img, 36);
	double light[PAGE_W];
	for (int x = 0; x < PAGE_W; x++)
		light[x] = 1 - 0.75 * exp(-x / (0.07 * PAGE_W));
	synth_light(&img, light);
	const kho_page_stats st = measure(&img);
	assert_true(st.shading > 100);
	assert_true(st.midtone_fraction < 0.03);
	const char *reason;
	assert_int_equal(mode_of(&st, &reason), KHO_MODE_BITONAL);
	kho_image_release(&img);
}

/* A dark band down the middle, fading in and out, falls and rises again
 * across the page: not light falling to an edge (it may be a photo's
 * strip), so its mid-tones stand. */
static void test_band_down_the_middle_is_not_shading(void **state)
{
	(void)state;
	kho_image img;
	text_page(&img, 36);
	double light[PAGE_W];
	for (int x = 0; x < PAGE_W; x++)
		light[x] = 1 - 0.6 * exp(-fabs(x - PAGE_W / 2.0) / (0.07 * PAGE_W));
	synth_light(&img, light);
	const kho_page_stats st = measure(&img);
	assert_true(st.shading == 0);
	assert_true(st.midtone_fraction > 0.03);
	kho_image_release(&img);
}

/* ---- resolution ---- */

static void dpi_is(uint32_t w, uint32_t h, double xdpi, double ydpi,
		   double want, kho_dpi_verdict verdict, const char *paper)
{
	kho_dpi_verdict v = (kho_dpi_verdict)99;
	const char *p = "unset";
	const double dpi = kho_page_dpi(w, h, xdpi, ydpi, &v, &p);
	if (dpi != want || v != verdict)
		fail_msg("%ux%u at %g x %g: %g (verdict %d), wanted %g "
			 "(verdict %d)",
			 w, h, xdpi, ydpi, dpi, (int)v, want, (int)verdict);
	if (paper)
		assert_string_equal(p, paper);
	else
		assert_null(p);
}

static void test_dpi_from_file(void **state)
{
	dpi_is(2480, 3508, 300, 300, 300, KHO_DPI_FROM_FILE, NULL);
	dpi_is(3508, 2480, 300, 300, 300, KHO_DPI_FROM_FILE, NULL);
	dpi_is(1654, 2339, 200, 200, 200, KHO_DPI_FROM_FILE, NULL);
	/* Values that are not round are the file's all the same. */
	dpi_is(2480, 3508, 299.9994, 299.9994, 299.9994, KHO_DPI_FROM_FILE,
	       NULL);
	/* A small difference between the axes is tolerated. */
	dpi_is(2480, 3508, 300, 301, 300, KHO_DPI_FROM_FILE, NULL);
	/* A screen default on a page that is then small is believed. */
	dpi_is(600, 800, 72, 72, 72, KHO_DPI_FROM_FILE, NULL);
	dpi_is(4960, 7016, 600, 600, 600, KHO_DPI_FROM_FILE, NULL);
}

static void test_dpi_missing(void **state)
{
	dpi_is(2480, 3508, 0, 0, 300, KHO_DPI_MISSING, "A4");
	dpi_is(3508, 2480, 0, 0, 300, KHO_DPI_MISSING, "A4");
	/* A4 and A3 have the same shape: A4 at 300 beats A3 at 212. */
	dpi_is(2480, 3507, 0, 0, 300, KHO_DPI_MISSING, "A4");
	dpi_is(1654, 2339, 0, 0, 200, KHO_DPI_MISSING, "A4");
	dpi_is(4960, 7016, 0, 0, 600, KHO_DPI_MISSING, "A4");
	dpi_is(3508, 4961, 0, 0, 300, KHO_DPI_MISSING, "A3");
	dpi_is(2550, 3300, 0, 0, 300, KHO_DPI_MISSING, "Letter");
	dpi_is(2550, 4200, 0, 0, 300, KHO_DPI_MISSING, "Legal");
	/* Either axis missing is missing. */
	dpi_is(2480, 3508, 300, 0, 300, KHO_DPI_MISSING, "A4");
	dpi_is(2480, 3508, 0, 300, 300, KHO_DPI_MISSING, "A4");
	dpi_is(2480, 3508, -300, -300, 300, KHO_DPI_MISSING, "A4");
}

static void test_dpi_absurd(void **state)
{
	/* A screen default on an A4 scan: nobody set it. */
	dpi_is(2480, 3508, 72, 72, 300, KHO_DPI_ABSURD, "A4");
	dpi_is(2480, 3508, 96, 96, 300, KHO_DPI_ABSURD, "A4");
	dpi_is(1654, 2339, 72, 72, 200, KHO_DPI_ABSURD, "A4");
	/* Axes that disagree by a lot. */
	dpi_is(2480, 3508, 300, 150, 300, KHO_DPI_ABSURD, "A4");
	dpi_is(2480, 3508, 300, 200, 300, KHO_DPI_ABSURD, "A4");
	/* Resolutions no scanner gives, or sizes no document has. */
	dpi_is(2480, 3508, 10, 10, 300, KHO_DPI_ABSURD, "A4");
	dpi_is(2480, 3508, 5000, 5000, 300, KHO_DPI_ABSURD, "A4");
	dpi_is(2480, 3508, 1200, 1200, 300, KHO_DPI_ABSURD, "A4");

	kho_dpi_verdict v;
	const char *p = NULL;
	(void)kho_page_dpi(300, 300, 300, 300, &v, &p); /* 1 inch */
	assert_int_equal(v, KHO_DPI_ABSURD);
	assert_non_null(p);
	/* A tiny image still gets a resolution it can be rendered at. */
	assert_true(kho_page_dpi(1, 1, 0, 0, &v, &p) >= 1);
	assert_int_equal(v, KHO_DPI_MISSING);
	assert_true(kho_page_dpi(3, 2, 72, 72, &v, &p) >= 1);
	assert_int_equal(v, KHO_DPI_ABSURD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_white_page_is_blank),
		cmocka_unit_test(test_text_page_is_not_blank),
		cmocka_unit_test(test_page_number_is_not_blank),
		cmocka_unit_test(test_noise_specks_are_blank),
		cmocka_unit_test(test_stride_is_respected),
		cmocka_unit_test(test_empty_image),
		cmocka_unit_test(test_blank_score),
		cmocka_unit_test(test_tinted_paper_is_not_colour),
		cmocka_unit_test(test_scanner_noise_is_not_colour),
		cmocka_unit_test(test_seal_is_colour),
		cmocka_unit_test(test_faint_against_the_paper_around),
		cmocka_unit_test(test_faint_share_counted_exactly),
		cmocka_unit_test(test_grain_is_not_a_mark),
		cmocka_unit_test(test_shaded_text_is_not_a_photo),
		cmocka_unit_test(test_photo_on_shaded_paper_stays_grey),
		cmocka_unit_test(test_soft_dark_corner_is_not_shading),
		cmocka_unit_test(test_gutter_is_not_a_photo),
		cmocka_unit_test(test_band_down_the_middle_is_not_shading),
		cmocka_unit_test(test_dpi_from_file),
		cmocka_unit_test(test_dpi_missing),
		cmocka_unit_test(test_dpi_absurd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
