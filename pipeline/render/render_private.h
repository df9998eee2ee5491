/*
 * The pieces of the row pipeline that render.h puts together, shared by
 * the files of pipeline/render/ and their unit tests only.
 */
#ifndef KHO_RENDER_PRIVATE_H
#define KHO_RENDER_PRIVATE_H

#include "common/cpu.h"
#include "render/render.h"

/* ---- render_resample.c: area resampling, rows in, rows out ---- */

typedef struct kho_span {
	uint32_t first;
	uint32_t count;
	float w_first; /* weights of the first and last input, already */
	float w_last;  /* divided by the interval's length */
	float w_mid;
} kho_span;

typedef struct kho_resampler {
	uint32_t in_w, in_h, out_w, out_h;
	int channels;
	kho_row_fn fn;
	void *ctx;
	kho_span *sx, *sy;
	float *lines;  /* ring of horizontally resampled input rows */
	uint32_t ring; /* rows in the ring */
	uint8_t *row;  /* one output row */
	float *acc;    /* its sums */
	uint32_t rows_in;
	uint32_t rows_out;
	int copy; /* same size: rows go through untouched */
} kho_resampler;

/* Area filter when shrinking (every input pixel counts by the share of it
 * an output pixel covers), box when enlarging. */
int kho_resampler_init(kho_resampler *r, uint32_t in_w, uint32_t in_h,
		       uint32_t out_w, uint32_t out_h, int channels,
		       kho_row_fn fn, void *ctx, kho_error *err);
int kho_resampler_push(kho_resampler *r, const uint8_t *row, kho_error *err);
void kho_resampler_release(kho_resampler *r);

/* ---- render_warp.c: the straight page's rows from the source ---- */

/* The decoded source: rows of width pixels of channels bytes, stride
 * apart; a ring of mask + 1 rows (row y in slot y & mask), or the whole
 * page (mask all ones).  KHO_WARP_SLACK bytes past the last row are
 * readable: the AVX2 way loads a few bytes more than it uses. */
#define KHO_WARP_SLACK 8
typedef struct kho_warp_src {
	const uint8_t *rows;
	size_t stride;
	uint32_t mask;
	uint32_t width, height;
	int channels;
} kho_warp_src;

/* Pixel (i, j) of the straight page, width pixels a row, is the point
 * (a0 + ax * i + ay * j, b0 + bx * i + by * j) of the source; exact: the
 * map is whole numbers, and the pixels are copied. */
typedef struct kho_warp_map {
	double a0, ax, ay, b0, bx, by;
	uint32_t width;
	int exact;
} kho_warp_map;

/* Row j of the straight page into out (width * channels bytes); the
 * source rows it reads must be in the ring.  It takes the widest of the
 * ways below that the processor has. */
void kho_warp_row(const kho_warp_src *s, const kho_warp_map *m, uint32_t j,
		  uint8_t *out);

/* The ways to sample a row, each with the same sums, so the same bytes:
 * pixel by pixel, eight at a time (SSE2), sixteen at a time with eight
 * gathered where a steep skew or a change of scale leaves no sixteen
 * neighbouring columns (AVX2). */
typedef enum kho_warp_isa {
	KHO_WARP_PLAIN,
	KHO_WARP_SSE2,
	KHO_WARP_AVX2,
} kho_warp_isa;

/* The widest way this build and this processor allow. */
kho_warp_isa kho_warp_best(void);
/* kho_warp_row by the given way, at most kho_warp_best(). */
void kho_warp_row_isa(const kho_warp_src *s, const kho_warp_map *m,
		      uint32_t j, uint8_t *out, kho_warp_isa isa);

/* ---- render_layers.c: what each mode makes of the rendered rows ---- */

typedef struct kho_layers kho_layers;

/* Rows of width x height at dpi come in with 1 channel (bitonal, grey) or
 * 3 (colour, mixed): kho_layers_channels(). */
int kho_layers_channels(kho_mode mode);
/* paper_level: the page's paper (its plan's measurement), for the text
 * layer's ink floor (kho_sauvola_floor); 0 when not known. */
int kho_layers_new(kho_layers **out, kho_mode mode, uint32_t width,
		   uint32_t height, int dpi, int background_dpi,
		   double paper_level, kho_error *err);
/* A kho_row_fn. */
int kho_layers_push(void *layers, uint32_t y, const uint8_t *row,
		    kho_error *err);
/* Moves the layers into out (mode, size, bits, image). */
int kho_layers_finish(kho_layers *l, kho_rendered *out, kho_error *err);
void kho_layers_free(kho_layers *l);

/* A mixed page's text layer takes dark pixels only when they are neutral:
 * a channel spread above this is colour (a seal, a signature) and stays
 * in the background. */
#define KHO_MIXED_CHROMA 56

/* ... or when every channel is below this: black print under a seal's
 * ring, coloured by the ink over it and by the JPEG's colour spread from
 * the ring into its strokes (the ring's own red is over 200, a blue pen's
 * blue over 120: coloured ink on paper keeps its own channel bright).  The
 * text under a seal was left to the background at a third of the
 * resolution, and read worse than the scan (the legibility bench: 0.176
 * words wrong on the seal pages, 0.143 with it). */
#define KHO_MIXED_DARK 96

/* A mixed page's colour row (w RGB pixels) as the text layer sees it:
 * where a pixel's channels spread above KHO_MIXED_CHROMA, its brightest
 * channel if that is below KHO_MIXED_DARK and white otherwise; its luma
 * (kho_luma) elsewhere. */
void kho_mixed_grey_row(const uint8_t *rgb, uint32_t w, uint8_t *grey);

/* kho_luma of each of w RGB pixels. */
void kho_luma_row(const uint8_t *rgb, uint32_t w, uint8_t *grey);

#endif
