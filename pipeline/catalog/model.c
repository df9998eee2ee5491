#include "catalog/model.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const kho_stage_order[KHO_N_STAGES] = {
	"ingest", "normalize", "compress", "describe", "pack",
};

int kho_stage_index(const char *stage)
{
	for (int i = 0; i < KHO_N_STAGES; i++)
		if (strcmp(stage, kho_stage_order[i]) == 0)
			return i;
	return -1;
}

static const char *const mode_names[] = {
	[KHO_MODE_BITONAL] = "bitonal",
	[KHO_MODE_GREY] = "grey",
	[KHO_MODE_COLOUR] = "colour",
	[KHO_MODE_MIXED] = "mixed",
};

const char *kho_mode_name(kho_mode mode)
{
	if ((unsigned)mode >= KHO_ARRAY_SIZE(mode_names))
		return "?";
	return mode_names[mode];
}

int kho_mode_parse(const char *name, kho_mode *mode)
{
	for (size_t i = 0; i < KHO_ARRAY_SIZE(mode_names); i++) {
		if (strcmp(name, mode_names[i]) == 0) {
			*mode = (kho_mode)i;
			return KHO_OK;
		}
	}
	if (strcmp(name, "gray") == 0) {
		*mode = KHO_MODE_GREY;
		return KHO_OK;
	}
	if (strcmp(name, "color") == 0) {
		*mode = KHO_MODE_COLOUR;
		return KHO_OK;
	}
	return KHO_FAIL;
}

static int parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		return KHO_FAIL;
	*out = v;
	return KHO_OK;
}

/* X,Y,W,H: four whole numbers from 0 to INT_MAX, nothing else (sscanf's
 * %d would take blanks and signs, and overflows undefined). */
static int parse_crop(const char *s, int *x, int *y, int *w, int *h)
{
	int *const out[4] = {x, y, w, h};
	for (int i = 0; i < 4; i++) {
		if (*s < '0' || *s > '9')
			return KHO_FAIL;
		char *end;
		errno = 0;
		const long v = strtol(s, &end, 10);
		if (errno || v > INT_MAX || *end != (i < 3 ? ',' : '\0'))
			return KHO_FAIL;
		*out[i] = (int)v;
		s = end + (i < 3);
	}
	return KHO_OK;
}

int kho_plan_set(kho_plan *plan, const char *key, const char *value,
		 kho_error *err)
{
	double v;
	if (strcmp(key, "rotate") == 0) {
		/* Bounded before the conversion to int, which is undefined
		 * for a double out of int's range (rotate=9e20). */
		if (parse_double(value, &v) != KHO_OK || fabs(v) > 360 ||
		    fmod(v, 90) != 0)
			return kho_error_set(err, KHO_USAGE,
					     "rotate must be 0, 90, 180 or 270, "
					     "not '%s'",
					     value);
		int r = ((int)v % 360 + 360) % 360;
		plan->rotation = r;
		return KHO_OK;
	}
	if (strcmp(key, "skew") == 0) {
		if (parse_double(value, &v) != KHO_OK || fabs(v) > 45)
			return kho_error_set(err, KHO_USAGE,
					     "skew must be degrees from -45 to "
					     "45, not '%s'",
					     value);
		plan->skew = v;
		plan->skew_confidence = 1;
		return KHO_OK;
	}
	if (strcmp(key, "crop") == 0) {
		int x, y, w, h;
		if (parse_crop(value, &x, &y, &w, &h) != KHO_OK || w <= 0 ||
		    h <= 0)
			return kho_error_set(err, KHO_USAGE,
					     "crop must be X,Y,WIDTH,HEIGHT in "
					     "pixels, not '%s'",
					     value);
		plan->crop_x = x;
		plan->crop_y = y;
		plan->crop_w = w;
		plan->crop_h = h;
		return KHO_OK;
	}
	if (strcmp(key, "mode") == 0) {
		if (kho_mode_parse(value, &plan->mode) != KHO_OK)
			return kho_error_set(err, KHO_USAGE,
					     "mode must be bitonal, grey, colour "
					     "or mixed, not '%s'",
					     value);
		return KHO_OK;
	}
	if (strcmp(key, "blank") == 0) {
		if (strcmp(value, "yes") == 0 || strcmp(value, "1") == 0 ||
		    strcmp(value, "true") == 0)
			plan->blank = 1;
		else if (strcmp(value, "no") == 0 || strcmp(value, "0") == 0 ||
			 strcmp(value, "false") == 0)
			plan->blank = 0;
		else
			return kho_error_set(err, KHO_USAGE,
					     "blank must be yes or no, not '%s'",
					     value);
		return KHO_OK;
	}
	if (strcmp(key, "dpi") == 0) {
		if (parse_double(value, &v) != KHO_OK || v < 72 || v > 1200 ||
		    v != floor(v))
			return kho_error_set(err, KHO_USAGE,
					     "dpi must be a whole number from "
					     "72 to 1200, not '%s'",
					     value);
		plan->dpi = (int)v;
		return KHO_OK;
	}
	return kho_error_set(err, KHO_USAGE,
			     "unknown plan key '%s' (rotate, skew, crop, mode, "
			     "blank, dpi)",
			     key);
}

void kho_plan_turn_crop(kho_plan *plan, int from_rotation, uint32_t width,
			uint32_t height)
{
	if (plan->crop_w <= 0 || plan->crop_h <= 0)
		return;
	/* The page as turned by from_rotation, then a quarter turn
	 * clockwise at a time: (x, y) goes to (page height - y, x). */
	int64_t fw = from_rotation % 180 ? height : width;
	int64_t fh = from_rotation % 180 ? width : height;
	int64_t x = plan->crop_x, y = plan->crop_y;
	int64_t w = plan->crop_w, h = plan->crop_h;
	const int turns =
		((plan->rotation - from_rotation) % 360 + 360) % 360 / 90;
	for (int t = 0; t < turns; t++) {
		const int64_t nx = fh - y - h, ny = x;
		x = nx;
		y = ny;
		const int64_t nw = h, nh = w;
		w = nw;
		h = nh;
		const int64_t f = fw;
		fw = fh;
		fh = f;
	}
	/* A crop set on the page lies on it; cut to it all the same. */
	x = KHO_MAX(x, 0);
	y = KHO_MAX(y, 0);
	plan->crop_x = (int)x;
	plan->crop_y = (int)y;
	plan->crop_w = (int)KHO_MAX(1, KHO_MIN(w, fw - x));
	plan->crop_h = (int)KHO_MAX(1, KHO_MIN(h, fh - y));
}
