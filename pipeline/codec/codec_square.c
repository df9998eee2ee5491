/*
 * Pixels made square.  A fax is scanned at 204 x 98 dpi (normal) or 204 x
 * 196 (fine), some scanners store 300 x 600: each pixel is taller or wider
 * than it is long, and the page drawn one pixel to a point comes out
 * squashed to half its height.  kho makes such a page's pixels square as
 * it decodes it, on the axis of the lower resolution, by linear
 * interpolation: every stage then sees the page at its true shape, at the
 * higher of its two resolutions.  The original's bytes are kept as they
 * are; the page's description says what was done.
 */
#include "common/internal.h"
#define KHO_CODEC_IMPL
#include "codec/codec_private.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Two resolutions this near are one (a rounding in the file). */
#define SQUARE_WITHIN 0.02
/* A ratio past this is no scanner's (fax normal mode is 2.08), nor is a
 * resolution out of this range: the file's resolution is wrong, and the
 * page's dpi is inferred instead (kho_page_dpi). */
#define SQUARE_MAX_RATIO 4.0
#define SQUARE_MIN_DPI 50.0
#define SQUARE_MAX_DPI 2400.0

int kho_square_info(kho_page_info *info)
{
	const double x = info->xdpi, y = info->ydpi;
	if (!(x >= SQUARE_MIN_DPI && y >= SQUARE_MIN_DPI &&
	      x <= SQUARE_MAX_DPI && y <= SQUARE_MAX_DPI))
		return 0;
	const double ratio = x > y ? x / y : y / x;
	if (ratio - 1 <= SQUARE_WITHIN || ratio > SQUARE_MAX_RATIO)
		return 0;
	const uint32_t side = x > y ? info->height : info->width;
	const double stretched = round(side * ratio);
	if (stretched > UINT32_MAX)
		return 0;
	if (x > y) {
		info->height = (uint32_t)stretched;
		info->ydpi = x;
	} else {
		info->width = (uint32_t)stretched;
		info->xdpi = y;
	}
	const size_t n = strlen(info->description);
	snprintf(info->description + n, sizeof(info->description) - n,
		 "%s%g x %g dpi, pixels made square", n ? "; " : "", x, y);
	return 1;
}

int kho_stretch_init(struct kho_stretch *s, uint32_t in_width,
		     uint32_t in_height, uint32_t out_width,
		     uint32_t out_height, int channels, kho_row_fn fn,
		     void *ctx, const kho_limits *limits, kho_error *err)
{
	memset(s, 0, sizeof(*s));
	assert(in_width && in_height && out_width >= in_width &&
	       out_height >= in_height);
	s->fn = fn;
	s->ctx = ctx;
	s->in_width = in_width;
	s->in_height = in_height;
	s->out_width = out_width;
	s->out_height = out_height;
	s->channels = channels;
	const size_t row = (size_t)out_width * (size_t)channels;
	int rc =
		kho_check_alloc3(limits, 3, row, 1, "stretching the page", err);
	if (rc < 0)
		return rc;
	s->rows = malloc(3 * row);
	s->at = malloc(out_width * sizeof(*s->at));
	s->weight = malloc(out_width * sizeof(*s->weight));
	if (!s->rows || !s->at || !s->weight) {
		kho_stretch_release(s);
		return kho_error_set(err, KHO_FATAL,
				     "out of memory stretching the page");
	}
	/* Output column x samples the input at u, between columns at[x]
	 * and the next, weight / 256 of the way. */
	const double step = (double)in_width / out_width;
	for (uint32_t x = 0; x < out_width; x++) {
		double u = (x + 0.5) * step - 0.5;
		u = u < 0 ? 0 : u > in_width - 1 ? in_width - 1 : u;
		const uint32_t a = (uint32_t)u;
		s->at[x] = a;
		s->weight[x] = (uint16_t)lround((u - a) * 256);
	}
	return 0;
}

void kho_stretch_release(struct kho_stretch *s)
{
	free(s->rows);
	free(s->at);
	free(s->weight);
	s->rows = NULL;
	s->at = NULL;
	s->weight = NULL;
}

/* Where output row j samples the input: between rows *a and *a + 1,
 * *t / 256 of the way. */
static void source_row(const struct kho_stretch *s, uint32_t j, uint32_t *a,
		       unsigned *t)
{
	double v = (j + 0.5) * s->in_height / s->out_height - 0.5;
	v = v < 0 ? 0 : v > s->in_height - 1 ? s->in_height - 1 : v;
	*a = (uint32_t)v;
	*t = (unsigned)lround((v - *a) * 256);
}

/* Emits the output rows that lie between input rows y - 1 (prev) and y
 * (cur), or, at the end (last), all that are left. */
static int emit(struct kho_stretch *s, uint32_t y, int last, kho_error *err)
{
	const size_t n = (size_t)s->out_width * s->channels;
	const uint8_t *prev = s->rows, *cur = s->rows + n;
	uint8_t *out = s->rows + 2 * n;
	while (s->rows_out < s->out_height) {
		uint32_t a;
		unsigned t;
		source_row(s, s->rows_out, &a, &t);
		if (!last && a + 1 > y)
			break;
		/* a is y - 1 (prev to cur), or at the end the last row. */
		if (a >= y || t == 0) {
			memcpy(out, a >= y ? cur : prev, n);
		} else {
			for (size_t i = 0; i < n; i++)
				out[i] = (uint8_t)((prev[i] * (256 - t) +
						    cur[i] * t + 128) >>
						   8);
		}
		const int rc = s->fn(s->ctx, s->rows_out, out, err);
		if (rc)
			return rc;
		s->rows_out++;
	}
	return 0;
}

int kho_stretch_row(void *ctx, uint32_t y, const uint8_t *row, kho_error *err)
{
	struct kho_stretch *s = ctx;
	assert(y == s->rows_in && y < s->in_height);
	const size_t n = (size_t)s->out_width * s->channels;
	uint8_t *prev = s->rows, *cur = s->rows + n;
	memcpy(prev, cur, n);
	const int c = s->channels;
	if (s->out_width == s->in_width) {
		memcpy(cur, row, n);
	} else {
		for (uint32_t x = 0; x < s->out_width; x++) {
			const uint32_t a = s->at[x];
			const uint32_t b = a + 1 < s->in_width ? a + 1 : a;
			const unsigned t = s->weight[x];
			const uint8_t *pa = row + (size_t)a * c;
			const uint8_t *pb = row + (size_t)b * c;
			uint8_t *o = cur + (size_t)x * c;
			for (int k = 0; k < c; k++)
				o[k] = (uint8_t)((pa[k] * (256 - t) +
						  pb[k] * t + 128) >>
						 8);
		}
	}
	s->rows_in++;
	return y == 0 ? 0 : emit(s, y, 0, err);
}

int kho_stretch_finish(struct kho_stretch *s, kho_error *err)
{
	if (s->rows_in != s->in_height)
		return kho_error_set(err, KHO_FAIL, "stretching: %u of %u rows",
				     s->rows_in, s->in_height);
	return emit(s, s->in_height - 1, 1, err);
}
