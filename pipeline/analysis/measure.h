/*
 * Page measurements that the plan is decided from, on a reduced image
 * (about 150 dpi): the paper's level, how much ink and how much colour
 * the page holds, and the resolution when the file does not say it.
 * Pure functions of pixels: testable without files or a catalog.
 */
#ifndef KHO_MEASURE_H
#define KHO_MEASURE_H

#include "common/internal.h"
#include "codec/codec.h"

typedef struct kho_page_stats {
	double paper_level;     /* grey level of the paper, 0..255 */
	double ink_level;       /* threshold below which a pixel is ink */
	double ink_fraction;    /* share of pixels that are ink, specks left
				 * out */
	double colour_fraction; /* share of pixels with a strong colour */
	double paper_chroma;    /* mean chroma of paper pixels (tint) */
} kho_page_stats;

void kho_measure_page(const kho_image *img, kho_page_stats *out);

/* Colour is meaningful (a seal, a coloured form), not paper tint or
 * scanner noise. */
int kho_stats_is_colour(const kho_page_stats *st);

/* The blank score, 0 (ink) .. 1 (nothing), and whether the page counts as
 * blank (it is flagged and kept, never dropped). */
double kho_stats_blank_score(const kho_page_stats *st);
int kho_stats_is_blank(const kho_page_stats *st);

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
