/*
 * The orientation of synthetic pages at 150 dpi: a Latin-like text page
 * stored at each quarter turn, a page in a script that hangs from a
 * headline (Devanagari-like) upright and at each quarter turn, and the
 * up/down test alone.
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
#include "analysis/orient.h"
#include "testutil.h"
#include "synth_page.h"

enum { PAGE_W = 1240, PAGE_H = 1754, PAPER = 245, INK = 30 };

/* As analyze.c sets them at 150 dpi. */
#define INK_LEVEL ((int)(PAPER * 0.55))
#define BLOB ((int)(150 * 1.5 / 25.4))

/* A page of text in script, turned by degrees as scanned, with the
 * scanner's noise. */
static void text_page(synth_script script, double x_height, double stroke,
		      double degrees, uint64_t seed, kho_image *img)
{
	synth_page pg;
	synth_rng rng = {seed};
	synth_page_new(&pg, PAGE_W, PAGE_H, 1, 2, SYNTH_GREY(PAPER));
	synth_text t = synth_latin(110, 120, 1130, 1640, SYNTH_GREY(INK));
	t.script = script;
	t.x_height = x_height;
	t.stroke = stroke;
	assert_true(synth_text_block(&pg, &t, &rng) > 30);
	synth_render(&pg, degrees, PAGE_W, PAGE_H, SYNTH_GREY(PAPER), img);
	synth_noise(img, 2, &rng);
	synth_page_release(&pg);
}

/* The ink of img as stored at rotation: img turned clockwise by it. */
static void stored_ink(const kho_image *img, int rotation, kho_ink *ink)
{
	kho_image turned;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_image_turn(img, 0, rotation, &turned, &err),
			 KHO_OK);
	assert_int_equal(kho_ink_from_grey(turned.pixels, turned.stride,
					   turned.width, turned.height, NULL,
					   PAPER, INK_LEVEL, BLOB, ink, &err),
			 KHO_OK);
	kho_image_release(&turned);
}

static kho_orientation orientation(const kho_ink *ink)
{
	kho_orientation o;
	kho_error err = KHO_ERROR_INIT;
	memset(&o, 0xA5, sizeof(o));
	assert_int_equal(kho_orientation_find(ink, &o, &err), KHO_OK);
	return o;
}

/* ---- Latin-like text ---- */

static void test_quarter_turns(void **state)
{
	const double skew = 1.2;
	kho_image img;
	text_page(SYNTH_LATIN, 10, 2, skew, 1, &img);
	for (int stored = 0; stored < 360; stored += 90) {
		kho_ink ink = KHO_INK_INIT;
		stored_ink(&img, stored, &ink);
		const kho_orientation o = orientation(&ink);
		kho_ink_release(&ink);
		/* the clockwise turn that undoes the one it was stored at */
		const int want = (360 - stored) % 360;
		if (o.rotation != want || o.confidence < 0.5)
			fail_msg("stored at %d: rotation %d (want %d), "
				 "confidence %.2f, across %.2f, along %.2f, "
				 "updown %.2f over %d lines",
				 stored, o.rotation, want, o.confidence,
				 o.across, o.along, o.updown, o.lines);
		/* Quarter turns keep the skew of the upright page. */
		if (fabs(o.skew.angle - skew) > 0.05)
			fail_msg("stored at %d: skew %.3f once upright, want "
				 "%g",
				 stored, o.skew.angle, skew);
		/* read on the ink turned across: upside down for 90 */
		assert_true(o.lines >= 20);
		assert_true(fabs(o.updown) >= 0.2);
	}
	kho_image_release(&img);
}

static void test_updown(void **state)
{
	const double skew = -0.8;
	kho_error err = KHO_ERROR_INIT;
	kho_image img;
	text_page(SYNTH_LATIN, 10, 2, skew, 2, &img);
	for (int stored = 0; stored <= 180; stored += 180) {
		kho_ink ink = KHO_INK_INIT;
		stored_ink(&img, stored, &ink);
		int lines = -1;
		double share = -1;
		/* A half turn keeps the skew. */
		const double ud = kho_updown(&ink, skew, &lines, &share, &err);
		kho_ink_release(&ink);
		if (stored == 0 ? !(ud > 0.2) : !(ud < -0.2))
			fail_msg("stored at %d: updown %.3f over %d lines",
				 stored, ud, lines);
		assert_true(lines >= 20);
		/* A page of text: its ink is in its lines. */
		if (!(share >= 0.9 && share <= 1.0))
			fail_msg("stored at %d: %.3f of the ink in the lines",
				 stored, share);
	}
	kho_image_release(&img);

	/* A page with no lines to read says nothing. */
	kho_ink none = KHO_INK_INIT;
	none.width = PAGE_W;
	none.height = PAGE_H;
	int lines = -1;
	double share = -1;
	assert_true(kho_updown(&none, 0, &lines, &share, &err) == 0);
	assert_int_equal(lines, 0);
	assert_true(share == 0);
}

/* A table's column rules run down the whole page, through the gaps
 * between its lines as much as through the lines: ink above and below
 * every line's core alike, which read a table of short entries no way up
 * (the probe's DD-2024-51008: 0.19 over 36 lines).  Here a grid over
 * lines of text three lines apart, its rules 1 to 3 pixels wide (3:
 * 0.000 before the profile's floor was taken off, 0.50 and -0.52
 * after). */
static void test_updown_across_column_rules(void **state)
{
	(void)state;
	static const double widths[] = {1, 2, 3};
	const double skew = 0.6;
	for (size_t k = 0; k < KHO_ARRAY_SIZE(widths); k++) {
		synth_page pg;
		synth_rng rng = {7 + k};
		synth_page_new(&pg, PAGE_W, PAGE_H, 1, 2, SYNTH_GREY(PAPER));
		synth_text t = synth_latin(110, 120, 1130, 1640,
					   SYNTH_GREY(INK));
		const double lh = synth_line_height(&t);
		t.pitch = 3 * lh;
		const int rows = synth_text_block(&pg, &t, &rng);
		assert_true(rows > 15);
		for (int row = 0; row <= rows; row++)
			synth_rect(&pg, 100,
				   120 + row * t.pitch - (t.pitch - lh) / 2,
				   1040, widths[k], SYNTH_GREY(INK));
		for (int col = 0; col <= 10; col++)
			synth_rect(&pg, 100 + col * 104, 100, widths[k], 1560,
				   SYNTH_GREY(INK));
		kho_image img;
		synth_render(&pg, skew, PAGE_W, PAGE_H, SYNTH_GREY(PAPER),
			     &img);
		synth_noise(&img, 2, &rng);
		synth_page_release(&pg);
		for (int stored = 0; stored <= 180; stored += 180) {
			kho_ink ink = KHO_INK_INIT;
			stored_ink(&img, stored, &ink);
			int lines = -1;
			kho_error err = KHO_ERROR_INIT;
			const double ud = kho_updown(&ink, skew, &lines, NULL, &err);
			kho_ink_release(&ink);
			if (stored == 0 ? !(ud >= KHO_UPDOWN_CLEAR)
					: !(ud <= -KHO_UPDOWN_CLEAR))
				fail_msg("rules %g px, stored at %d: updown "
					 "%.3f over %d lines",
					 widths[k], stored, ud, lines);
		}
		kho_image_release(&img);
	}
}

/* ---- a script hung from a headline ---- */

/* Type of about 11 points at 150 dpi: a 12-pixel body below a 2-pixel
 * headline.  Everything but the vowel signs above hangs below the
 * headline; read as Latin, the line would be upside down. */
static void test_headline_script_is_not_turned(void **state)
{
	static const double skews[] = {0, 0.7, -2.4};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(skews); i++) {
		kho_image img;
		text_page(SYNTH_HEADLINE, 12, 2, skews[i], 10 + i, &img);
		kho_ink ink = KHO_INK_INIT;
		stored_ink(&img, 0, &ink);
		const kho_orientation o = orientation(&ink);
		kho_ink_release(&ink);
		kho_image_release(&img);
		if (o.rotation != 0)
			fail_msg("an upright headline page at %g degrees "
				 "turned %d (confidence %.2f, updown %.2f "
				 "over %d lines)",
				 skews[i], o.rotation, o.confidence, o.updown,
				 o.lines);
	}
}

/* The same page stored at each quarter turn is turned back: where the
 * headlines sit in their lines tells up from down. */
static void test_headline_script_quarter_turns(void **state)
{
	kho_image img;
	text_page(SYNTH_HEADLINE, 12, 2, 0.7, 30, &img);
	for (int stored = 0; stored < 360; stored += 90) {
		kho_ink ink = KHO_INK_INIT;
		stored_ink(&img, stored, &ink);
		const kho_orientation o = orientation(&ink);
		kho_ink_release(&ink);
		const int want = (360 - stored) % 360;
		if (o.rotation != want || o.confidence < 0.5)
			fail_msg("headline page stored at %d: rotation %d "
				 "(want %d), confidence %.2f, updown %.2f over "
				 "%d lines",
				 stored, o.rotation, want, o.confidence,
				 o.updown, o.lines);
	}
	kho_image_release(&img);
}

/*
 * Known limit, not fixed (scripts hung from a headline are outside
 * kho's documents; orient.c only recognises a thin headline): the same script a
 * little smaller (a 10-pixel body: 9 points at 150 dpi, 13 points analysed at
 * 100 dpi) or bold (3-pixel strokes under a 14-pixel body) is turned upside
 * down: rotation 180 with confidence 0.91 to 1.0, updown -0.36 to -0.59 over 36
 * to 49 lines (the small type at 0.7 and -2.4 degrees, the bold at 0, 0.7 and
 * -2.4).  kho_updown() tells a headline script by a line core of at most 15% of
 * the line's height; but the core is the rows at least half as dark as the
 * darkest, and once the strokes hanging below the headline take a third or more
 * of each glyph's width (2-pixel strokes in glyphs of 8 to 11, 3-pixel ones in
 * glyphs of 11 to 15), the body's rows reach half the headline's (at a
 * 10-pixel body: 330 to 355 against 610): the core runs from the headline
 * into the body, the test takes the line for Latin with its marks below
 * and reads it upside down.  Rotation 0 is wanted (or no verdict:
 * confidence under 0.5).
 */
static void test_small_or_bold_headline_script_is_not_turned(void **state)
{
	skip();
	static const struct {
		double x_height, stroke;
	} types[] = {{10, 2}, {14, 3}};
	static const double skews[] = {0, 0.7, -2.4};
	int wrong = 0;
	for (size_t k = 0; k < KHO_ARRAY_SIZE(types); k++)
		for (size_t i = 0; i < KHO_ARRAY_SIZE(skews); i++) {
			kho_image img;
			text_page(SYNTH_HEADLINE, types[k].x_height,
				  types[k].stroke, skews[i], 20 + i, &img);
			kho_ink ink = KHO_INK_INIT;
			stored_ink(&img, 0, &ink);
			const kho_orientation o = orientation(&ink);
			kho_ink_release(&ink);
			kho_image_release(&img);
			if (o.rotation == 0 || o.confidence < 0.5)
				continue;
			print_message("an upright headline page (body %g, "
				      "strokes %g) at %g degrees turned %d "
				      "(confidence %.2f, updown %.2f over %d "
				      "lines)\n",
				      types[k].x_height, types[k].stroke,
				      skews[i], o.rotation, o.confidence,
				      o.updown, o.lines);
			wrong++;
		}
	assert_int_equal(wrong, 0);
}

/* ---- where the lines' ends lie ---- */

enum { ENDS_RAGGED, ENDS_RAGGED_LEFT, ENDS_JUSTIFIED, ENDS_CENTRED };

/* Ink of ten lines 40 pixels apart, each a band 8 pixels high from its
 * left end to its right end as kind has them, on a page 1000 wide. */
static void lines_with_ends(int kind, kho_ink *ink)
{
	synth_rng rng = {77 + (uint64_t)kind};
	kho_error err = KHO_ERROR_INIT;
	ink->width = 1000;
	ink->height = 600;
	for (int l = 0; l < 10; l++) {
		const double jitter = synth_unit(&rng) * 12;
		const double ragged = synth_unit(&rng) * 350;
		double x0 = 100, x1 = 900;
		switch (kind) {
		case ENDS_RAGGED:
			x0 = 100 + jitter, x1 = 900 - ragged;
			break;
		case ENDS_RAGGED_LEFT: /* the same, turned half round */
			x0 = 100 + ragged, x1 = 900 - jitter;
			break;
		case ENDS_JUSTIFIED: /* a paragraph's last line short */
			x1 = l == 9 ? 500 : 900;
			break;
		case ENDS_CENTRED:
			x0 = 100 + ragged / 2, x1 = 900 - ragged / 2;
			break;
		}
		for (double x = x0; x < x1; x += 2)
			for (int y = 0; y < 8; y++)
				assert_int_equal(kho_ink_add(ink, (float)x,
							     (float)(60 + 40 * l + y),
							     1.0f, &err),
						 KHO_OK);
	}
}

/* Lines that start at a margin and end ragged lean one way, the same
 * turned half round the other; lines lined up at both ends, or at
 * neither, do not lean. */
static void test_line_ends(void **state)
{
	(void)state;
	static const struct {
		int kind;
		double lo, hi;
	} cases[] = {
		{ENDS_RAGGED, 0.5, 1.0},
		{ENDS_RAGGED_LEFT, -1.0, -0.5},
		{ENDS_JUSTIFIED, -0.1, 0.1},
		{ENDS_CENTRED, -0.2, 0.2},
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(cases); i++) {
		kho_ink ink = KHO_INK_INIT;
		lines_with_ends(cases[i].kind, &ink);
		double lean = 9;
		int lines = 0;
		kho_error err = KHO_ERROR_INIT;
		assert_int_equal(kho_line_ends(&ink, 0, &lean, &lines, &err),
				 KHO_OK);
		kho_ink_release(&ink);
		if (lines != 10 || lean < cases[i].lo || lean > cases[i].hi)
			fail_msg("lines of kind %d: %d lines, leaning %.3f",
				 cases[i].kind, lines, lean);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quarter_turns),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_updown),
		cmocka_unit_test(test_updown_across_column_rules),
		cmocka_unit_test(test_headline_script_is_not_turned),
		cmocka_unit_test(test_headline_script_quarter_turns),
		cmocka_unit_test(
			test_small_or_bold_headline_script_is_not_turned),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
