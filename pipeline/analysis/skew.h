/*
 * Skew and text direction from the ink of a page.
 *
 * The ink is a set of weighted points (pixels darker than the paper, in
 * the reduced image normalize measures on, the scanner's bed left out).
 * For an angle t, each point falls on the row r = y cos t - x sin t of the
 * page turned back by t; when t is the skew, the points of a text line
 * share their row and the row profile is sharpest.  Its energy (the sum of
 * the squared row totals, each point shared between two rows by its
 * fractional part) is searched over +-15 degrees, coarsely on a sample and
 * then finely on every point, and the peak is placed between steps by a
 * parabola.
 *
 * Angles are degrees by which the content is turned clockwise from
 * upright, in image coordinates (y grows downwards).
 */
#ifndef KHO_SKEW_H
#define KHO_SKEW_H

#include "common/internal.h"

typedef struct kho_ink {
	float *x;
	float *y;
	float *w;       /* darkness, 0..1 */
	size_t n;
	size_t cap;
	uint32_t width;  /* of the image the points come from */
	uint32_t height;
} kho_ink;

#define KHO_INK_INIT { NULL, NULL, NULL, 0, 0, 0, 0 }

void kho_ink_release(kho_ink *ink);
int kho_ink_add(kho_ink *ink, float x, float y, float w, kho_error *err);

/* The ink of a grey image: every pixel darker than ink_level, weighted by
 * how much darker than paper_level it is; left out: pixels where usable is
 * 0 (the bed, the paper's edge; usable may be NULL), and the inside of
 * filled areas (photos, blots), where the ink runs on for at least blob
 * pixels both across and down. */
int kho_ink_from_grey(const uint8_t *grey, size_t stride, uint32_t width,
		      uint32_t height, const uint8_t *usable, int paper_level,
		      int ink_level, int blob, kho_ink *ink, kho_error *err);

/* The same points turned by a quarter turn clockwise (for text that runs
 * up or down the page): (x, y) -> (height - 1 - y, x). */
int kho_ink_turn90(const kho_ink *in, kho_ink *out, kho_error *err);

typedef struct kho_skew {
	double angle;       /* degrees, clockwise */
	double confidence;  /* 0..1 */
	double peak;        /* profile energy at the angle, relative to the
			     * median over the searched range */
	size_t points;
} kho_skew;

/* The coarse pass weighs every k-th point, k the number of points over
 * sample (so sample to twice as many points). A page's ink:
 * KHO_SKEW_SAMPLE; 15,000 cost twice as much and found the same skews
 * (mean error 0.0122 against 0.0124 degree on 597 generated pages), its
 * peaks about 1% higher. Faint marks: KHO_FAINT_SAMPLE, the sample their
 * chance peaks (KHO_FAINT_CHANCE) were measured on; 7,500 called four
 * blank sheets of the bench not blank. */
#define KHO_SKEW_SAMPLE 7500
#define KHO_FAINT_SAMPLE 15000

/* Searches +-max_degrees (at most 45): the coarse pass on a sample of
 * KHO_SKEW_SAMPLE points, then the refinement. */
int kho_skew_find(const kho_ink *ink, double max_degrees, kho_skew *out,
		  kho_error *err);

/* The coarse pass alone, on a sample of about sample points: out->angle
 * to about 0.1 degree, out->peak and out->confidence as kho_skew_find()
 * gives them. */
int kho_skew_coarse(const kho_ink *ink, double max_degrees, size_t sample,
		    kho_skew *out, kho_error *err);

/* Refines out->angle from a coarse pass on every point. */
int kho_skew_refine(const kho_ink *ink, kho_skew *out, kho_error *err);

/* The energy of the row profile at an angle, bins of bin pixels; for the
 * text-direction and up/down tests. */
double kho_skew_energy(const kho_ink *ink, double degrees, double bin);

/* The row profiles at an angle (bins of bin pixels) of strips strips side
 * by side across the image, for the up/down test: *profile is malloc'd,
 * the strips' profiles one after the other, each *n long; *origin the
 * row of bin 0. */
int kho_skew_profile(const kho_ink *ink, double degrees, double bin,
		     int strips, double **profile, size_t *n, double *origin,
		     kho_error *err);

#endif
