/*
 * Rendering a page by its plan in one pass over its decoded rows, with
 * memory that does not grow with the page: rows arrive from the decoder,
 * are colour-managed and kept in a band (the whole page only when a
 * quarter turn needs it), turned back by the plan with bilinear
 * interpolation, cropped, resampled to the output resolution with an area
 * filter and handed to the mode's layers:
 *
 *   bitonal  the text layer: adaptive (Sauvola) binarization, despeckled
 *   grey     one grey image
 *   colour   one colour image, kept as JPEG's YCbCr 4:2:0 planes (half
 *            the memory of RGB; the encoder takes them as they are)
 *   mixed    the text layer (neutral dark ink only) at the output
 *            resolution, and an RGB background at background_dpi with the
 *            text taken out of it
 *
 * The plan's coordinates are those of catalog/model.h.  No file, no
 * catalog: the stage decodes and encodes; these are functions of pixels.
 */
#ifndef KHO_RENDER_H
#define KHO_RENDER_H

#include "common/internal.h"
#include "catalog/model.h"
#include "codec/codec.h"
#include "render/jpeg_encode.h"

typedef struct kho_render_opts {
	int background_dpi; /* of a mixed page's colour layer */
	double paper_level; /* the page's paper, grey 0..255, as normalize
			     * measured it (0: not known): on dark paper
			     * the text layer takes less as ink */
	const uint8_t *icc; /* the page's embedded ICC profile, or NULL */
	size_t icc_size;
} kho_render_opts;

/* What a page became.  Bits are packed MSB first, 1 = black, rows of
 * bits_stride = (width + 7) / 8 bytes. */
typedef struct kho_rendered {
	kho_mode mode;
	uint32_t width; /* pixels at plan->dpi */
	uint32_t height;
	int dpi;
	uint8_t *bits; /* bitonal, mixed: the text layer */
	size_t bits_stride;
	kho_image image;    /* grey: the page; mixed: the background */
	kho_yuv420 yuv;	    /* colour: the page (plane[0] holds all three) */
	int image_dpi;	    /* resolution of image (background_dpi or less) */
	int colour_managed; /* 1 when the embedded profile was applied */
	char note[160];	    /* why a profile was not applied, or "" */
} kho_rendered;

#define KHO_RENDERED_INIT                                                      \
	{                                                                      \
		KHO_MODE_BITONAL, 0, 0, 0, NULL, 0, KHO_IMAGE_INIT, {0}, 0, 0, \
		{                                                              \
			0                                                      \
		}                                                              \
	}

void kho_rendered_release(kho_rendered *r);

/* The largest power-of-two decode reduction (1, 2, 4, 8) that still leaves
 * at least the output resolution. */
unsigned kho_render_decode_scale(double source_dpi, int output_dpi);

/* The size of the rendered page, in pixels at plan->dpi, for a stored page
 * of width x height pixels. */
int kho_render_output_size(const kho_plan *plan, uint32_t width,
			   uint32_t height, uint32_t *out_w, uint32_t *out_h,
			   kho_error *err);

/*
 * Decodes page (0-based) of file once, at 1/scale, and renders it by plan.
 * info is that page's kho_page_info.  out is released by the caller.
 */
int kho_render_file_page(kho_image_file *file, uint32_t page,
			 const kho_page_info *info, unsigned scale,
			 const kho_plan *plan, const kho_render_opts *opts,
			 kho_rendered *out, kho_error *err);

/*
 * The same from an image in memory: src is the stored page decoded at
 * 1/scale of width x height (its full size).  For tests and tools.
 */
int kho_render_image(const kho_image *src, uint32_t width, uint32_t height,
		     unsigned scale, const kho_plan *plan,
		     const kho_render_opts *opts, kho_rendered *out,
		     kho_error *err);

/* Luma of an RGB pixel as kho computes it everywhere (BT.601, integer). */
static inline uint8_t kho_luma(const uint8_t *p)
{
	return (uint8_t)((p[0] * 77 + p[1] * 150 + p[2] * 29 + 128) >> 8);
}

#endif
