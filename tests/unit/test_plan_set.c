/*
 * kho_plan_set, the parser behind `kho plan RECORD PAGE KEY=VALUE`: every
 * key with good and bad values, and the values found by fuzzing that once
 * reached undefined behaviour (a rotation or a crop out of int's range);
 * and the crop turned with the page when only the rotation is set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/internal.h"
#include "catalog/model.h"

static int set(kho_plan *p, const char *key, const char *value)
{
	kho_error err = KHO_ERROR_INIT;
	const int rc = kho_plan_set(p, key, value, &err);
	if (rc != KHO_OK) {
		assert_int_equal(rc, KHO_USAGE);
		assert_true(err.msg[0] != '\0');
	}
	return rc;
}

static void test_rotate(void **state)
{
	kho_plan p;
	memset(&p, 0, sizeof(p));
	assert_int_equal(set(&p, "rotate", "90"), KHO_OK);
	assert_int_equal(p.rotation, 90);
	assert_int_equal(set(&p, "rotate", "-90"), KHO_OK);
	assert_int_equal(p.rotation, 270);
	assert_int_equal(set(&p, "rotate", "360"), KHO_OK);
	assert_int_equal(p.rotation, 0);
	assert_int_equal(set(&p, "rotate", "45"), KHO_USAGE);
	assert_int_equal(set(&p, "rotate", "ninety"), KHO_USAGE);
	/* Multiples of 90 far beyond int: refused, not converted. */
	assert_int_equal(set(&p, "rotate", "9e20"), KHO_USAGE);
	assert_int_equal(set(&p, "rotate", "1e300"), KHO_USAGE);
	assert_int_equal(set(&p, "rotate", "214748364780"), KHO_USAGE);
	assert_int_equal(p.rotation, 0);
}

static void test_skew(void **state)
{
	kho_plan p;
	memset(&p, 0, sizeof(p));
	assert_int_equal(set(&p, "skew", "-1.25"), KHO_OK);
	assert_true(p.skew == -1.25 && p.skew_confidence == 1);
	assert_int_equal(set(&p, "skew", "45"), KHO_OK);
	assert_int_equal(set(&p, "skew", "45.01"), KHO_USAGE);
	assert_int_equal(set(&p, "skew", "nan"), KHO_USAGE);
	assert_int_equal(set(&p, "skew", "inf"), KHO_USAGE);
	assert_int_equal(set(&p, "skew", "1e400"), KHO_USAGE);
	assert_int_equal(set(&p, "skew", ""), KHO_USAGE);
}

static void test_crop(void **state)
{
	kho_plan p;
	memset(&p, 0, sizeof(p));
	assert_int_equal(set(&p, "crop", "10,20,300,400"), KHO_OK);
	assert_true(p.crop_x == 10 && p.crop_y == 20 && p.crop_w == 300 &&
		    p.crop_h == 400);
	assert_int_equal(set(&p, "crop", "0,0,2147483647,1"), KHO_OK);
	assert_int_equal(p.crop_w, 2147483647);
	static const char *const bad[] = {
		"1,2,3",
		"1,2,3,4,5",
		"1,2,3,4x",
		"-1,0,10,10",
		"0,0,0,10",
		" 1,2,3,4",
		"+1,2,3,4",
		"1, 2,3,4",
		"2147483648,0,10,10",
		"0,0,99999999999999999999,1",
		"",
		",,,",
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(bad); i++) {
		kho_plan q = p;
		assert_int_equal(set(&q, "crop", bad[i]), KHO_USAGE);
		assert_memory_equal(&q, &p, sizeof(p));
	}
}

static void test_mode_blank_dpi(void **state)
{
	kho_plan p;
	memset(&p, 0, sizeof(p));
	assert_int_equal(set(&p, "mode", "colour"), KHO_OK);
	assert_int_equal(p.mode, KHO_MODE_COLOUR);
	assert_int_equal(set(&p, "mode", "gray"), KHO_OK);
	assert_int_equal(p.mode, KHO_MODE_GREY);
	assert_int_equal(set(&p, "mode", "sepia"), KHO_USAGE);
	assert_int_equal(set(&p, "blank", "yes"), KHO_OK);
	assert_int_equal(p.blank, 1);
	assert_int_equal(set(&p, "blank", "maybe"), KHO_USAGE);
	assert_int_equal(set(&p, "dpi", "300"), KHO_OK);
	assert_int_equal(p.dpi, 300);
	assert_int_equal(set(&p, "dpi", "300.5"), KHO_USAGE);
	assert_int_equal(set(&p, "dpi", "1e9"), KHO_USAGE);
	assert_int_equal(set(&p, "dpi", "71"), KHO_USAGE);
	assert_int_equal(set(&p, "colour", "yes"), KHO_USAGE);
}

/* A plan at rotation with the crop x, y, w, h and nothing else. */
static kho_plan cropped(int rotation, int x, int y, int w, int h)
{
	kho_plan p;
	memset(&p, 0, sizeof(p));
	p.rotation = rotation;
	p.crop_x = x;
	p.crop_y = y;
	p.crop_w = w;
	p.crop_h = h;
	return p;
}

static void expect_crop(const kho_plan *p, int x, int y, int w, int h)
{
	if (p->crop_x != x || p->crop_y != y || p->crop_w != w ||
	    p->crop_h != h)
		fail_msg("crop %d,%d,%d,%d at rotate %d, want %d,%d,%d,%d",
			 p->crop_x, p->crop_y, p->crop_w, p->crop_h,
			 p->rotation, x, y, w, h);
}

/* A page stored 300 x 200, its paper the box 10,20,250,150: turned a
 * quarter clockwise (200 x 300), the box's top left comes from its bottom
 * left; a half turn, from its bottom right; three quarters, its top
 * right.  Each turn, undone, gives the box back. */
static void test_turn_crop(void **state)
{
	static const struct {
		int rotation, x, y, w, h;
	} turned[] = {
		{0, 10, 20, 250, 150},
		{90, 30, 10, 150, 250},
		{180, 40, 30, 250, 150},
		{270, 20, 40, 150, 250},
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(turned); i++) {
		kho_plan p = cropped(turned[i].rotation, 10, 20, 250, 150);
		kho_plan_turn_crop(&p, 0, 300, 200);
		expect_crop(&p, turned[i].x, turned[i].y, turned[i].w,
			    turned[i].h);
		const int at = p.rotation;
		p.rotation = 0;
		kho_plan_turn_crop(&p, at, 300, 200);
		expect_crop(&p, 10, 20, 250, 150);
	}
	/* From 90 to 270: a half turn of the page as it stood. */
	kho_plan p = cropped(270, 30, 10, 150, 250);
	kho_plan_turn_crop(&p, 90, 300, 200);
	expect_crop(&p, 20, 40, 150, 250);
	/* No crop set (no plan measured yet): none made. */
	p = cropped(90, 0, 0, 0, 0);
	kho_plan_turn_crop(&p, 0, 300, 200);
	expect_crop(&p, 0, 0, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotate),
		cmocka_unit_test(test_skew),
		cmocka_unit_test(test_crop),
		cmocka_unit_test(test_mode_blank_dpi),
		cmocka_unit_test(test_turn_crop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
