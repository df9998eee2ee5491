/*
 * Rendering a page by its plan, in memory: mirror and quarter turns
 * exactly, crop, area resampling to the output resolution, the skew turned
 * back with bilinear interpolation, and the mode's pixel format.  Pure
 * functions of pixels: no files, no catalog.
 */
#ifndef KHO_RENDER_H
#define KHO_RENDER_H

#include "common/internal.h"
#include "catalog/model.h"
#include "codec/codec.h"

/* src is the page decoded at 1/scale of its stored size; out receives the
 * rendered page at plan->dpi: grey (1 channel) for grey and bitonal pages,
 * RGB for colour and mixed ones. */
int kho_render_page(const kho_image *src, unsigned scale,
		    const kho_plan *plan, kho_image *out, kho_error *err);

/* The steps, for tests and for other renderers. */
int kho_render_orient_crop(const kho_image *src, int mirror, int rotation,
			   int cx, int cy, int cw, int ch, kho_image *out,
			   kho_error *err);
int kho_render_resample(const kho_image *src, uint32_t width, uint32_t height,
			kho_image *out, kho_error *err);
int kho_render_rotate(const kho_image *src, double degrees_ccw, kho_image *out,
		      kho_error *err);
int kho_render_to_grey(const kho_image *src, kho_image *out, kho_error *err);

/* The largest power-of-two decode reduction (1, 2, 4, 8) that still leaves
 * at least the output resolution. */
unsigned kho_render_decode_scale(double source_dpi, int output_dpi);

#endif
