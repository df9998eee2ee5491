/*
 * Integral images (summed-area tables) of a grey image, for the box means
 * the analysis compares a pixel with: ii is (w + 1) x (h + 1), row 0 and
 * column 0 zero, ii[y][x] the sum of the pixels above and left of (x, y).
 * Sums wrap modulo 2^32; a box's sum is right while it is below that.
 */
#ifndef KHO_ANALYSIS_INTEGRAL_H
#define KHO_ANALYSIS_INTEGRAL_H

#include "common/internal.h"

/* Row y + 1 of the table (cur) from row y (above) and the image's row y
 * (l, w pixels). */
void kho_integral_row(const uint8_t *l, uint32_t w, const uint32_t *above,
		      uint32_t *cur);

/* The whole table of a w x h image, rows w apart: malloc'd, NULL when out
 * of memory. */
uint32_t *kho_integral_image(const uint8_t *grey, uint32_t w, uint32_t h);

/* The sum of columns [x0, x1) and rows [y0, y1), the table's rows w1
 * apart. */
static inline uint32_t kho_box_sum(const uint32_t *ii, size_t w1, long x0,
				   long y0, long x1, long y1)
{
	return ii[(size_t)y1 * w1 + (size_t)x1] -
	       ii[(size_t)y0 * w1 + (size_t)x1] -
	       ii[(size_t)y1 * w1 + (size_t)x0] +
	       ii[(size_t)y0 * w1 + (size_t)x0];
}

#endif
