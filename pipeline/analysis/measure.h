/*
 * Page measurements that the plan is decided from, on a reduced image
 * (about 150 dpi) and on the paper only (the scanner's bed left out):
 * the paper's level and tint, how much ink, faint marks, flat mid-tones
 * and colour the page holds, and the resolution when the file does not
 * say it.  Pure functions of pixels: testable without files or a catalog.
 */
#ifndef KHO_MEASURE_H
#define KHO_MEASURE_H

#include "common/internal.h"
#include "catalog/model.h"
#include "codec/codec.h"
#include "analysis/shading.h"

typedef struct kho_page_stats {
	double paper_level;     /* grey level of the paper, 0..255 */
	double paper_rgb[3];    /* its colour */
	double paper_chroma;    /* max - min of paper_rgb: the tint */
	double ink_level;       /* below this a pixel is ink */
	double grain;           /* the paper's grain: the deviation of its
				 * pixels' levels, in levels */
	double ink_fraction;    /* of paper pixels that are ink, specks left
				 * out */
	double faint_fraction;  /* clearly darker than the paper around but
				 * not ink: bleed-through, pencil, a shadow */
	double faint_clear_fraction; /* of those, the ones that stand out
				      * of the paper's grain by four
				      * deviations: what makes a page not
				      * blank */
	double midtone_fraction; /* flat mid-grey areas below the paper
				  * where they lie: photos */
	double photo_mm2;       /* the largest photo's area on the paper,
				 * in square millimetres (kho_photo_area);
				 * 0 where none or not looked for */
	double shading;         /* how far the paper's light falls across
				 * the page, in levels (kho_shading_find),
				 * where mid-tones would make the page grey;
				 * 0 where it is even or not looked at */
	double colour_fraction; /* strongly coloured, once the paper's own
				 * tint is taken out */
	double colour_ink_fraction; /* of the coloured pixels, how many are
				     * dark enough to be ink or print */
	uint64_t pixels;        /* paper pixels measured */
} kho_page_stats;

/* Measures the pixels where usable is non-zero (all when NULL).  grey,
 * when not NULL, is the image's grey levels (width bytes a row), as
 * kho_analyze_page has them already; NULL computes them.  shade, when
 * not NULL, receives the shading found (out->shading > 0) for the caller
 * to free with kho_shading_free, else none. */
int kho_measure_paper(const kho_image *img, const uint8_t *grey,
		      const uint8_t *usable, kho_page_stats *out,
		      kho_shading *shade, kho_error *err);

/* A photo as small as this (square millimetres) makes a text page grey,
 * where it would lose its tones to a threshold: an identity photo of 3 x 4
 * cm is 1200, its face and shoulders against a pale background half of
 * that. */
#define KHO_PHOTO_MM2 300.0
/* Where the photos of KHO_PHOTO_MM2 and more lie, by cells of c pixels
 * square (cw a row, ch rows; 1: a photo's, or within a cell of one). */
typedef struct kho_photo_map {
	uint8_t *cells; /* NULL where there is no photo */
	uint32_t c, cw, ch;
} kho_photo_map;

#define KHO_PHOTO_MAP_INIT { NULL, 0, 0, 0 }

void kho_photo_map_release(kho_photo_map *map);
/* Whether the pixel (x, y) lies on a photo. */
int kho_photo_map_has(const kho_photo_map *map, double x, double y);

/* The area of the largest photo on the paper (*mm2, 0 where none): a
 * block of 2 mm cells mostly darker than the paper's mid-tones, its tones
 * spread (a flat black or grey box is no photo), not touching the paper's
 * edge or the bed (a shadow there is no photo), and not a band of flat
 * tint (a table's shaded row).  L is the grey image (W bytes a row),
 * usable as for kho_measure_paper, dpi the image's.  map, when not NULL,
 * receives where the photos lie (released by the caller). */
int kho_photo_area(const uint8_t *L, uint32_t W, uint32_t H,
		   const uint8_t *usable, double paper_level, double dpi,
		   double *mm2, kho_photo_map *map, kho_error *err);
/* The whole image. */
void kho_measure_page(const kho_image *img, kho_page_stats *out);

/* Colour is meaningful (a seal, a coloured form), not paper tint or
 * scanner noise. */
int kho_stats_is_colour(const kho_page_stats *st);

/* The blank score, 0 (marked) .. 1 (nothing on the paper), and whether the
 * page counts as blank: nothing on the paper but its grain and the
 * scanner's noise.  A page number, a punch hole, bleed-through or a pencil
 * mark make a page not blank (it is flagged and kept, never dropped,
 * either way). */
double kho_stats_blank_score(const kho_page_stats *st);
int kho_stats_is_blank(const kho_page_stats *st);

/* A page whose faint marks are more than this share of it, and more than
 * its ink, holds what a threshold would lose (pencil, faded print): it is
 * kept grey, and its skew read from those marks. */
#define KHO_FAINT_TEXT 0.002

/* The mode a page is rendered in, with the reason in words: bitonal for
 * black text and lines on paper, grey for continuous tone, colour for
 * large areas of meaningful colour, mixed for text with a little colour
 * (a seal, a signature) kept as a colour layer under the text. */
kho_mode kho_stats_mode(const kho_page_stats *st, int source_channels,
			int source_bits, const char **reason);

typedef enum kho_dpi_verdict {
	KHO_DPI_FROM_FILE = 0,
	KHO_DPI_MISSING,   /* the file gives none: inferred */
	KHO_DPI_ABSURD,    /* the file's value cannot be the paper's: inferred */
} kho_dpi_verdict;

/* The page's resolution: the file's when it is plausible for a paper
 * document, otherwise inferred from the nearest paper size (A3, A4, A5,
 * Letter, Legal).  paper receives the size's name when inferred. */
double kho_page_dpi(uint32_t width, uint32_t height, double xdpi,
		    double ydpi, kho_dpi_verdict *verdict,
		    const char **paper);

#endif
