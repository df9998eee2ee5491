/*
 * Skew from the ink of synthetic pages at 150 dpi: full text pages turned
 * by known angles, pure noise, two columns whose lines do not align, a
 * photo beside the text, a sparse page; and the quarter turn of the ink
 * and the profile energy the search climbs.
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
#include "analysis/analyze.h"
#include "analysis/skew.h"
#include "testutil.h"
#include "synth_page.h"

/* A4 at 150 dpi, as normalize measures it. */
enum { PAGE_W = 1240, PAGE_H = 1754, PAPER = 245, INK = 30 };

/* As analyze.c sets them at 150 dpi. */
#define INK_LEVEL ((int)(PAPER * 0.55))
#define BLOB ((int)(150 * 1.5 / 25.4))

/* The text of a page in one column, in the usual margins. */
static void one_column(synth_page *pg, uint64_t seed)
{
	synth_rng rng = {seed};
	const synth_text t = synth_latin(110, 120, 1130, 1640, SYNTH_GREY(INK));
	assert_true(synth_text_block(pg, &t, &rng) > 40);
}

/* The page turned by degrees, with the scanner's noise, and its ink. */
static void scan(synth_page *pg, double degrees, uint64_t seed, kho_ink *ink)
{
	kho_image img;
	kho_error err = KHO_ERROR_INIT;
	synth_rng rng = {seed};
	synth_render(pg, degrees, PAGE_W, PAGE_H, SYNTH_GREY(PAPER), &img);
	synth_noise(&img, 2, &rng);
	assert_int_equal(kho_ink_from_grey(img.pixels, img.stride, img.width,
					   img.height, NULL, PAPER, INK_LEVEL,
					   BLOB, ink, &err),
			 KHO_OK);
	kho_image_release(&img);
}

static kho_skew find(const kho_ink *ink)
{
	kho_skew sk;
	kho_error err = KHO_ERROR_INIT;
	memset(&sk, 0xA5, sizeof(sk));
	assert_int_equal(kho_skew_find(ink, 15, &sk, &err), KHO_OK);
	assert_int_equal(sk.points, ink->n);
	return sk;
}

static void expect_angle(const kho_ink *ink, double want, double tolerance,
			 const char *page)
{
	const kho_skew sk = find(ink);
	if (fabs(sk.angle - want) > tolerance || sk.confidence < KHO_SKEW_TRUST)
		fail_msg("%s at %g degrees: found %.3f (error %.3f), "
			 "confidence %.2f, peak %.2f, %zu points",
			 page, want, sk.angle, sk.angle - want, sk.confidence,
			 sk.peak, sk.points);
}

/* ---- text pages ---- */

static void test_text_page_angles(void **state)
{
	static const double angles[] = {-12.3, -3.7, -0.4, 0,
					0.25,  2.9,  7.5,  14.2};
	synth_page pg;
	synth_page_new(&pg, PAGE_W, PAGE_H, 1, 2, SYNTH_GREY(PAPER));
	one_column(&pg, 1);
	for (size_t i = 0; i < KHO_ARRAY_SIZE(angles); i++) {
		kho_ink ink = KHO_INK_INIT;
		scan(&pg, angles[i], 100 + i, &ink);
		assert_true(ink.n > 20000);
		assert_int_equal(ink.width, PAGE_W);
		assert_int_equal(ink.height, PAGE_H);
		expect_angle(&ink, angles[i], 0.05, "a text page");
		kho_ink_release(&ink);
	}
	synth_page_release(&pg);
}

static void test_noise_is_not_trusted(void **state)
{
	/* Paper and heavy grain, counted as ink a few levels below the
	 * paper so that there are many points to search. */
	kho_image img;
	kho_error err = KHO_ERROR_INIT;
	synth_rng rng = {7};
	synth_page pg;
	synth_page_new(&pg, PAGE_W, PAGE_H, 1, 1, SYNTH_GREY(PAPER - 30));
	synth_render(&pg, 0, PAGE_W, PAGE_H, SYNTH_GREY(PAPER - 30), &img);
	synth_noise(&img, 20, &rng);
	kho_ink ink = KHO_INK_INIT;
	assert_int_equal(kho_ink_from_grey(img.pixels, img.stride, img.width,
					   img.height, NULL, PAPER - 30,
					   PAPER - 60, BLOB, &ink, &err),
			 KHO_OK);
	assert_true(ink.n > 50000);
	const kho_skew sk = find(&ink);
	if (sk.confidence >= KHO_SKEW_TRUST)
		fail_msg("noise trusted: %.3f degrees, confidence %.2f, "
			 "peak %.3f",
			 sk.angle, sk.confidence, sk.peak);
	kho_ink_release(&ink);

	/* At the real ink level noise leaves next to nothing. */
	assert_int_equal(kho_ink_from_grey(img.pixels, img.stride, img.width,
					   img.height, NULL, PAPER - 30,
					   (int)((PAPER - 30) * 0.55), BLOB,
					   &ink, &err),
			 KHO_OK);
	assert_true(find(&ink).confidence < KHO_SKEW_TRUST);
	kho_ink_release(&ink);
	kho_image_release(&img);
	synth_page_release(&pg);
}

static void test_two_columns(void **state)
{
	/* Two columns in different sizes, their lines 30.4 and 36.5 pixels
	 * apart: they fall on different rows. */
	synth_page pg;
	synth_rng rng = {3};
	synth_page_new(&pg, PAGE_W, PAGE_H, 1, 2, SYNTH_GREY(PAPER));
	const synth_text left =
		synth_latin(100, 120, 600, 1640, SYNTH_GREY(INK));
	synth_text right = synth_latin(645, 137, 1140, 1640, SYNTH_GREY(INK));
	right.x_height = 12;
	synth_text_block(&pg, &left, &rng);
	synth_text_block(&pg, &right, &rng);
	static const double angles[] = {-5.3, 3.1};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(angles); i++) {
		kho_ink ink = KHO_INK_INIT;
		scan(&pg, angles[i], 30 + i, &ink);
		expect_angle(&ink, angles[i], 0.05, "two columns");
		kho_ink_release(&ink);
	}
	synth_page_release(&pg);
}

/*
 * Two columns in the same type whose lines are offset by a few pixels (a
 * heading of another height above one of them): the profile is taken in
 * strips, so the two columns' lines need not line up.
 */
static void test_columns_offset_by_a_few_pixels(void **state)
{
	static const double offsets[] = {1.5, 6};
	static const double angles[] = {0, 3.1};
	for (size_t k = 0; k < KHO_ARRAY_SIZE(offsets); k++) {
		synth_page pg;
		synth_rng rng = {9};
		synth_page_new(&pg, PAGE_W, PAGE_H, 1, 2, SYNTH_GREY(PAPER));
		const synth_text left =
			synth_latin(110, 120, 590, 1640, SYNTH_GREY(INK));
		const synth_text right = synth_latin(
			650, 120 + offsets[k], 1130, 1640, SYNTH_GREY(INK));
		synth_text_block(&pg, &left, &rng);
		synth_text_block(&pg, &right, &rng);
		for (size_t i = 0; i < KHO_ARRAY_SIZE(angles); i++) {
			kho_ink ink = KHO_INK_INIT;
			scan(&pg, angles[i], 90 + i, &ink);
			const kho_skew sk = find(&ink);
			kho_ink_release(&ink);
			if (fabs(sk.angle - angles[i]) > 0.05) {
				synth_page_release(&pg);
				fail_msg("columns %g px apart at %g degrees: "
					 "found %.3f",
					 offsets[k], angles[i], sk.angle);
			}
		}
		synth_page_release(&pg);
	}
}

static void test_photo_beside_text(void **state)
{
	synth_page pg;
	synth_rng rng = {4};
	synth_page_new(&pg, PAGE_W, PAGE_H, 1, 2, SYNTH_GREY(PAPER));
	/* The text below the photo on the left column's lines (see the
	 * test above for lines that are not). */
	const synth_text left =
		synth_latin(110, 120, 590, 1640, SYNTH_GREY(INK));
	const double pitch = 1.6 * synth_line_height(&left);
	const synth_text below =
		synth_latin(640, 120 + 29 * pitch, 1130, 1640, SYNTH_GREY(INK));
	synth_text_block(&pg, &left, &rng);
	synth_text_block(&pg, &below, &rng);
	/* Dark all over (below the ink level), 440 x 700 pixels, glued on 5
	 * degrees askew: with its inside counted, its points would outnumber
	 * the text's two to one and swamp the profile (the peak stands at
	 * about 1.1 times the median then, confidence under 0.1). */
	synth_photo(&pg, 665, 150, 440, 700, 5, 15, 80, 40, &rng);
	static const double angles[] = {-2.2, 6.4};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(angles); i++) {
		kho_ink ink = KHO_INK_INIT;
		scan(&pg, angles[i], 40 + i, &ink);
		expect_angle(&ink, angles[i], 0.05, "a photo beside text");
		kho_ink_release(&ink);
	}
	synth_page_release(&pg);
}

static void test_sparse_page(void **state)
{
	/* Four short lines (an address, a note): when the finder trusts
	 * its angle, the angle is right. */
	synth_page pg;
	synth_rng rng = {5};
	synth_page_new(&pg, PAGE_W, PAGE_H, 1, 2, SYNTH_GREY(PAPER));
	synth_text t = synth_latin(300, 800, 700, 0, SYNTH_GREY(INK));
	const double lh = synth_line_height(&t);
	t.y1 = t.y0 + 3.5 * 1.6 * lh + lh;
	assert_int_equal(synth_text_block(&pg, &t, &rng), 4);
	static const double angles[] = {-4.6, -0.9, 1.7, 9.8};
	int trusted = 0;
	for (size_t i = 0; i < KHO_ARRAY_SIZE(angles); i++) {
		kho_ink ink = KHO_INK_INIT;
		scan(&pg, angles[i], 50 + i, &ink);
		const kho_skew sk = find(&ink);
		if (sk.confidence >= KHO_SKEW_TRUST &&
		    fabs(sk.angle - angles[i]) > 0.3)
			fail_msg("four lines at %g degrees: found %.3f with "
				 "confidence %.2f",
				 angles[i], sk.angle, sk.confidence);
		trusted += sk.confidence >= KHO_SKEW_TRUST;
		kho_ink_release(&ink);
	}
	print_message("sparse page: %d of %zu angles trusted\n", trusted,
		      KHO_ARRAY_SIZE(angles));
	synth_page_release(&pg);
}

/* ---- the pieces ---- */

static void test_turn90(void **state)
{
	kho_error err = KHO_ERROR_INIT;
	kho_ink in = KHO_INK_INIT, out = KHO_INK_INIT;
	in.width = 10;
	in.height = 4;
	const float pts[][3] = {
		{0, 0, 1}, {9, 3, 0.5f}, {2.5f, 1.25f, 0.25f}, {9, 0, 0}};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(pts); i++)
		assert_int_equal(
			kho_ink_add(&in, pts[i][0], pts[i][1], pts[i][2], &err),
			KHO_OK);
	/* Stale points in out are replaced. */
	assert_int_equal(kho_ink_add(&out, 99, 99, 1, &err), KHO_OK);
	assert_int_equal(kho_ink_turn90(&in, &out, &err), KHO_OK);
	assert_int_equal(out.n, in.n);
	assert_int_equal(out.width, 4);
	assert_int_equal(out.height, 10);
	/* (x, y) -> (height - 1 - y, x): a clockwise quarter turn. */
	const float want[][3] = {
		{3, 0, 1}, {0, 9, 0.5f}, {1.75f, 2.5f, 0.25f}, {3, 9, 0}};
	for (size_t i = 0; i < out.n; i++) {
		assert_true(fabsf(out.x[i] - want[i][0]) < 1e-6f);
		assert_true(fabsf(out.y[i] - want[i][1]) < 1e-6f);
		assert_true(out.w[i] == want[i][2]);
	}
	kho_ink_release(&in);
	kho_ink_release(&out);

	/* On a page: text lines at a skew run across once turned back, and
	 * the skew is the same. */
	synth_page pg;
	synth_page_new(&pg, PAGE_W, PAGE_H, 1, 2, SYNTH_GREY(PAPER));
	one_column(&pg, 6);
	kho_ink ink = KHO_INK_INIT, q1 = KHO_INK_INIT, q2 = KHO_INK_INIT;
	scan(&pg, 1.3, 60, &ink);
	/* Three quarter turns: the page as stored at 270 degrees, the text
	 * running up the page ... */
	assert_int_equal(kho_ink_turn90(&ink, &q1, &err), KHO_OK);
	assert_int_equal(kho_ink_turn90(&q1, &q2, &err), KHO_OK);
	assert_int_equal(kho_ink_turn90(&q2, &q1, &err), KHO_OK);
	assert_int_equal(q1.width, PAGE_H);
	/* ... and one more brings it back. */
	assert_int_equal(kho_ink_turn90(&q1, &q2, &err), KHO_OK);
	assert_int_equal(q2.width, PAGE_W);
	for (size_t i = 0; i < ink.n; i += 997) {
		assert_true(fabsf(q2.x[i] - ink.x[i]) < 1e-3f);
		assert_true(fabsf(q2.y[i] - ink.y[i]) < 1e-3f);
	}
	expect_angle(&q2, 1.3, 0.05, "a text page turned four times");
	kho_ink_release(&ink);
	kho_ink_release(&q1);
	kho_ink_release(&q2);
	synth_page_release(&pg);
}

static void test_energy_peaks_at_the_skew(void **state)
{
	synth_page pg;
	synth_page_new(&pg, PAGE_W, PAGE_H, 1, 2, SYNTH_GREY(PAPER));
	one_column(&pg, 8);
	static const double angles[] = {-6.1, 0, 2.9};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(angles); i++) {
		kho_ink ink = KHO_INK_INIT;
		scan(&pg, angles[i], 80 + i, &ink);
		const double a = angles[i];
		const double at = kho_skew_energy(&ink, a, 1.0);
		const double lo = kho_skew_energy(&ink, a - 1, 1.0);
		const double hi = kho_skew_energy(&ink, a + 1, 1.0);
		if (!(at > lo && at > hi))
			fail_msg("energy at %g: %g, at %g: %g, at %g: %g", a,
				 at, a - 1, lo, a + 1, hi);
		/* Clearly larger: lines blur over many rows a degree off. */
		assert_true(at > 1.5 * KHO_MAX(lo, hi));
		kho_ink_release(&ink);
	}
	synth_page_release(&pg);
}

/* The row profile by its definition: a point at row f (its y turned by
 * the angle, from the page's top corner) gives its weight to bins
 * floor(f) and floor(f) + 1 in the shares 1 - frac and frac, in the
 * profile of its strip where the page is cut into strips side by side
 * (the up/down test's).  Eleven points: the four-at-a-time loop and the
 * tail both count. */
static void test_profile_by_definition(void **state)
{
	(void)state;
	static const float pts[][3] = {
		{5, 10.25f, 1},	  {17, 10.75f, 0.5f}, {40, 20.5f, 0.25f},
		{99, 3, 2},	  {0, 49.5f, 1},      {63, 0.25f, 0.75f},
		{71, 33.125f, 1}, {12, 7.5f, 0.5f},   {88, 41.25f, 1},
		{50, 25, 0.125f}, {33, 18.875f, 1},
	};
	kho_ink ink = KHO_INK_INIT;
	ink.width = 100;
	ink.height = 50;
	kho_error err = KHO_ERROR_INIT;
	for (size_t i = 0; i < KHO_ARRAY_SIZE(pts); i++)
		assert_int_equal(kho_ink_add(&ink, pts[i][0], pts[i][1],
					     pts[i][2], &err),
				 KHO_OK);
	/* One profile, and three strips side by side (points from x 0 to
	 * 33 in the first, 34 to 66 in the second): each point in its
	 * strip's profile. */
	static const double angles[] = {0, 7.5, -12};
	static const int strips[] = {1, 3};
	for (size_t a = 0; a < KHO_ARRAY_SIZE(angles) * 2; a++) {
		const double deg = angles[a / 2];
		const int cut = strips[a % 2];
		const double rad = deg * M_PI / 180;
		const double c = cos(rad), sn = sin(rad);
		/* the highest corner: row 0 */
		const double lo =
			KHO_MIN(KHO_MIN(0.0, 50 * c),
				KHO_MIN(-100 * sn, 50 * c - 100 * sn));
		double *prof = NULL, origin = 0;
		size_t n = 0;
		assert_int_equal(kho_skew_profile(&ink, deg, 1.0, cut, &prof,
						  &n, &origin, &err),
				 KHO_OK);
		assert_true(fabs(origin - lo) < 1e-9);
		double *want = calloc(n * (size_t)cut, sizeof(*want));
		assert_non_null(want);
		for (size_t i = 0; i < KHO_ARRAY_SIZE(pts); i++) {
			const double f = pts[i][1] * c - pts[i][0] * sn - lo;
			const size_t k = (size_t)floor(f);
			assert_true(k + 1 < n);
			const size_t at = (size_t)(pts[i][0] * cut / 100) * n;
			want[at + k] += pts[i][2] * (1 - (f - floor(f)));
			want[at + k + 1] += pts[i][2] * (f - floor(f));
		}
		for (size_t k = 0; k < n * (size_t)cut; k++)
			if (fabs(prof[k] - want[k]) > (deg == 0 ? 0 : 1e-4))
				fail_msg("%g degrees, %d strips, strip %zu bin "
					 "%zu: %g, the definition %g",
					 deg, cut, k / n, k % n, prof[k],
					 want[k]);
		free(want);
		free(prof);
	}
	kho_ink_release(&ink);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_page_angles),
		cmocka_unit_test(test_noise_is_not_trusted),
		cmocka_unit_test(test_two_columns),
		cmocka_unit_test(test_columns_offset_by_a_few_pixels),
		cmocka_unit_test(test_photo_beside_text),
		cmocka_unit_test(test_sparse_page),
		cmocka_unit_test(test_turn90),
		cmocka_unit_test(test_energy_peaks_at_the_skew),
		cmocka_unit_test(test_profile_by_definition),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
