/*
 * Everything normalize measures on one page, from a reduced decode with
 * the file's orientation tag applied: the orientation of the content, the
 * skew, the paper inside the scanner's bed, colour, tone and ink.  The
 * stage turns this into a page plan.
 */
#ifndef KHO_ANALYZE_H
#define KHO_ANALYZE_H

#include "common/internal.h"
#include "analysis/measure.h"
#include "analysis/orient.h"
#include "analysis/paper.h"

#include <math.h>

/* Below this, a skew found is not trusted and the page is left as it is. */
#define KHO_SKEW_TRUST 0.5

/* Lines along the page whose profile peaks at least this high are text
 * (a photo's stripes peak lower): a page whose up and down cannot be told
 * is flagged as lying sideways. */
#define KHO_SIDEWAYS_PEAK 1.5

/* With fewer ink points than this, a page is worth measuring again at a
 * higher resolution. */
#define KHO_SPARSE_POINTS 4000

/* Faint marks whose row profile peaks above this run in lines: a page
 * that shows bleed-through is not blank. */
#define KHO_FAINT_LINES 1.12
/* ... and above 1 + this over the square root of their number.  Marks
 * strewn at random (a scanner's grain taken for faint marks) peak by
 * chance at 1 + 4.3 / sqrt(n) to 1 + 7.8 / sqrt(n) on average, and at
 * worst 1 + 13.5 / sqrt(n), over 360 blank pages of grain 1.5 to 3
 * levels: a thousand such marks peak at up to 1.34, where KHO_FAINT_LINES
 * alone made most pages of grain 2 not blank.  Read both across and down
 * the page, the higher of the two peaks reached at worst 1 + 13.4 /
 * sqrt(n) over 240 such pages.  Bleed-through, some 30,000 marks at 2.7,
 * is far above it. */
#define KHO_FAINT_CHANCE 16.0

/* Whether faint marks, n of them, whose row profile peaks at peak run in
 * lines. */
static inline int kho_faint_lines_run(double peak, size_t n)
{
	return n > 0 && peak >= KHO_FAINT_LINES &&
	       peak - 1 >= KHO_FAINT_CHANCE / sqrt((double)n);
}

/* A mark of this many square millimetres makes a page not blank: a small
 * page number's digit is more, a speck of dust less. */
#define KHO_MARK_MM2 0.5

typedef struct kho_analysis {
	uint32_t width;          /* of the analysed image (tags applied) */
	uint32_t height;
	double dpi;
	kho_orientation orient;  /* content rotation, skew */
	kho_orientation faint;	 /* of the faint marks, where the ink's skew
				  * is not sure and they outweigh it (faded
				  * print), or of the faint lines of a page
				  * with nothing else (bleed-through); else
				  * all 0 */
	int rotation;            /* clockwise turn to apply after the tags */
	int sideways;		 /* the text's lines run along the page, but
				  * which way up it reads is not clear (a
				  * line or two): turned the way they lean,
				  * if they do (rotation 90 or 270), else
				  * left unturned */
	int upside_unsure;	 /* lines of text enough run across the page
				  * but do not read clearly upright, or two
				  * to four read upside down, or they were
				  * read in place of sharper lines along it
				  * that read no way up: left unturned, or
				  * turned half round where two to four
				  * read clearly upside down */
	double skew;             /* applied: 0 when not trusted */
	double skew_confidence;
	const char *skew_source; /* "text", "faint text", "paper edge",
				  * "none" */
	int bed;                 /* a scanner bed was found */
	char sides[5];
	double edge_angle;
	double edge_weight;
	double bed_share;
	/* the paper in the straight page (turned and deskewed), in pixels of
	 * the analysed image turned by rotation */
	double crop_x, crop_y, crop_w, crop_h;
	kho_page_stats stats;
	kho_mode mode;
	const char *mode_reason;
	double blank_score;
	int blank;
	double faint_lines;      /* on a page with no ink: the profile peak
				  * of its faint marks across their lines,
				  * rows or columns (about 1: none) */
	size_t faint_marks;      /* ... how many there are */
	double largest_mark;     /* ... and its largest mark, mm2 */
	double light_mark;       /* ... and its largest hole showing a
				  * lighter lid, mm2 (0: none) */
} kho_analysis;

/* img: the page at dpi with the file's orientation applied. */
/* The analysis' view of w RGB pixels: grey (77 R + 150 G + 29 B) / 256,
 * rounded down, and chroma, the spread of the three channels. */
void kho_grey_chroma_row(const uint8_t *rgb, uint32_t w, uint8_t *grey,
			 uint8_t *chroma);

int kho_analyze_page(const kho_image *img, double dpi, int source_channels,
		     int source_bits, kho_analysis *out, kho_error *err);

/* Whether a page analysed at a reduced size is worth analysing again at
 * twice the resolution: not blank, with some ink but too little to place
 * its lines (a page number, a short note).  A page with no ink at all
 * (bleed-through on the back of a one-sided sheet) has none there either:
 * a printed stroke a pixel wide is still ink averaged 2 x 2.  Nor has a
 * page whose faint lines (pencil, faded print) are sure and enough to
 * read.  And a page analysed at KHO_FINE_DPI or less (dpi) whose few
 * sure lines of ink (2 to KHO_FEW_LINES) left it unsure which way up it
 * is (flagged, whether or not it was turned by their weak reading):
 * there a line's x-height is six or seven pixels, and small print reads
 * weakly (the probe's DD-2024-95018, four lines of it and a title over a
 * photo, stored upside down, read 0.00 at 100 dpi and -0.29 at 200). */
#define KHO_FINE_DPI 110
#define KHO_FEW_LINES 7
int kho_analysis_wants_finer(const kho_analysis *a, double dpi);

#endif
