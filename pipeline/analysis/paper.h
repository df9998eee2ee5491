/*
 * The paper and the scanner's bed around it.
 *
 * A flatbed or a feeder leaves a dark frame where the image reaches past
 * the sheet, on any side, and a crooked sheet leaves dark wedges.  The bed
 * is the dark region that touches the image's edge, once thin dark marks
 * (text, rules, a page number near the edge) have been opened away, so
 * that no printed mark can join it; the paper is everything else.  Content
 * printed on the paper is therefore inside the paper, whatever is near the
 * edge.  Most of a scan is paper; where most of it is bed (a receipt, an
 * A5 form on an A3 flatbed), the paper is the light part of the image, if
 * that has a sheet's shape.  A bed is even, or (a lid left open) even
 * about a slope, all round a sheet with a sharp edge.
 */
#ifndef KHO_PAPER_H
#define KHO_PAPER_H

#include "common/internal.h"

typedef struct kho_paper {
	uint32_t width;      /* of the image measured */
	uint32_t height;
	uint8_t *usable;     /* width * height: 1 on paper, away from its
			      * edge: where ink may be measured */
	uint8_t *mask;       /* low resolution: 1 = paper */
	uint32_t mw, mh;     /* size of mask */
	int factor;          /* image pixels per mask pixel */
	int bed;             /* a bed was found */
	char sides[5];       /* where it shows: "tlbr", a subset, or "" */
	int paper_level;
	int bed_level;
	double bed_share;    /* of the image */
	double bed_spread;   /* standard deviation of its levels */
	double edge_angle;   /* skew of the paper's own edges, degrees */
	double edge_weight;  /* how much straight edge it rests on, 0..1 */
} kho_paper;

#define KHO_PAPER_INIT { 0 }

/* A bed's levels spread no wider than this (grey levels, standard
 * deviation at about 50 dpi): anything more textured is content. */
#define KHO_BED_SPREAD 14.0
/* Where the dark pixels that reach the image's edge are not even (a
 * shadow over the sheet's edge runs on from the bed into the paper), the
 * bed is looked for again among those at most this far above its level:
 * twice the spread a bed may have. */
#define KHO_SHADOW_ABOVE 28
/* ... and there it must run along this share of a side of the image. */
#define KHO_SHADOW_SIDE 0.9

/* The paper stands more than this (grey levels) above a dark bed. */
#define KHO_PAPER_CONTRAST 60
/* The paper stands above the bed by more than this across its edge (two
 * pixels in against two out); a shadow fading into it does not. */
#define KHO_BED_STEP 20

/* Finds the paper in a grey image of dpi dots per inch.  chroma, when not
 * NULL, is each pixel's colour (max - min of R, G, B, same layout as
 * grey): a scanner's bed is neutral, so coloured print (a red frame) near
 * the edge is never taken for it. */
int kho_paper_find(const uint8_t *grey, const uint8_t *chroma, size_t stride,
		   uint32_t width, uint32_t height, double dpi,
		   kho_paper *paper, kho_error *err);
void kho_paper_release(kho_paper *paper);

/* The paper's bounding box once the page is turned back by skew degrees
 * about its centre (the straight page), in image pixels, with a margin of
 * margin pixels, cut to the image.  Without a bed: the whole image. */
void kho_paper_box(const kho_paper *paper, double skew, double margin,
		   double *x, double *y, double *w, double *h);

/*
 * Narrows the straight page's box (from kho_paper_box, the same skew) to
 * leave out the bed that still shows inside it along a side where the
 * paper reaches the image's edge: a dark strip along part of that side
 * (a sheet shorter than the scan, a feeder's border).  The ink points (n of them, in the image measured)
 * are the content: no side moves past the ink nearest to it, less a
 * margin, and none by more than a fifth of the page.
 */
void kho_paper_trim(const kho_paper *paper, double skew, const float *ink_x,
		    const float *ink_y, size_t n_ink, double *x, double *y,
		    double *w, double *h);

#endif
