/*
 * The paper's light across the page: a shadow from a page that did not
 * lie flat, a book's gutter, a lamp to one side.  The paper's level is
 * taken in blocks, and a smooth surface (a quadratic in x and y) is fitted
 * to the blocks that are plain paper, leaving out those a photo or a dark
 * area covers.  Where that surface falls by a tenth or more across the
 * page, the page's mid-tones are judged against the paper where they lie,
 * not against the page's brightest paper: shaded paper is not a photo.
 */
#ifndef KHO_ANALYSIS_SHADING_H
#define KHO_ANALYSIS_SHADING_H

#include "common/internal.h"

/* Blocks this many pixels square (about 5 mm at 150 dpi). */
#define KHO_SHADING_BLOCK 32

typedef struct kho_shading {
	uint32_t blocks_x, blocks_y; /* the grid, KHO_SHADING_BLOCK apart */
	float *level;    /* the surface's level in each block, row by row;
			  * NULL where the page is not shaded */
	double top;      /* the surface's highest and lowest level over the */
	double bottom;   /* paper's blocks */
	double fit;      /* share of the usable blocks on the surface */
} kho_shading;

/* Finds the shading of a grey image (w x h, rows w apart) where usable is
 * non-zero (all when NULL).  out->level is NULL (and the page judged by
 * its paper's one level) unless the blocks of plain paper are most of
 * the usable ones, lie on the surface, and it falls by a tenth or more of
 * its top.  KHO_FATAL when out of memory. */
int kho_shading_find(const uint8_t *grey, uint32_t w, uint32_t h,
		     const uint8_t *usable, kho_shading *out, kho_error *err);

/* Evens the light out of a grey image (w x h, rows w apart) that
 * kho_shading_find found shaded: each pixel times the surface's top over
 * its level there, the blocks' levels taken between their centres;
 * capped at 255.  Where the light is below half its top or falls
 * steeply (a gutter's fold), usable, when not NULL, is cleared: evened
 * out, its grain and the light's rough fit there would pass for marks.
 * KHO_FATAL when out of memory. */
int kho_shading_even(const kho_shading *s, uint8_t *grey, uint8_t *usable,
		     uint32_t w, uint32_t h, kho_error *err);

void kho_shading_free(kho_shading *s);

#endif
