/*
 * Synthetic scanned pages for the page-analysis tests, built in memory and
 * the same on every run (their own LCG, no files): an upright page is
 * drawn at a multiple of the target resolution (lines of word-like glyphs,
 * rules, photos, seals), then turned by a known angle with bilinear
 * sampling into the image the analysis sees, so that its content is turned
 * clockwise by exactly that angle (image y grows downwards).
 *
 * Every coordinate the drawing functions take is in pixels of the target
 * image, fractions allowed; the canvas holds scale x scale pixels for each.
 */
#ifndef KHO_SYNTH_PAGE_H
#define KHO_SYNTH_PAGE_H

#include "common/internal.h"
#include "codec/codec.h"

/* ---- numbers ---- */

typedef struct synth_rng {
	uint64_t state; /* any seed */
} synth_rng;

uint32_t synth_next(synth_rng *rng);
/* n bytes, each the top byte of a draw. */
void synth_bytes(synth_rng *rng, uint8_t *out, size_t n);
/* Uniform in [0, 1). */
double synth_unit(synth_rng *rng);
/* About normal: mean 0, standard deviation 1 (a sum of four uniforms). */
double synth_gauss(synth_rng *rng);

/* ---- drawing ---- */

typedef struct synth_rgb {
	uint8_t r, g, b;
} synth_rgb;

#define SYNTH_GREY(v) ((synth_rgb){(v), (v), (v)})

typedef struct synth_page {
	kho_image canvas; /* upright, width * scale by height * scale */
	int scale;
	uint32_t width; /* in target pixels */
	uint32_t height;
	float *reduced; /* the canvas at the target's resolution, made by
			 * synth_render() and kept until the next drawing */
} synth_page;

/* A blank sheet of paper; aborts when out of memory.  Released with
 * synth_page_release(). */
void synth_page_new(synth_page *pg, uint32_t width, uint32_t height,
		    int channels, int scale, synth_rgb paper);
void synth_page_release(synth_page *pg);

/* A filled rectangle, cut to the page. */
void synth_rect(synth_page *pg, double x, double y, double w, double h,
		synth_rgb c);

/* A ring (a seal's) of the given radius and width about (cx, cy). */
void synth_ring(synth_page *pg, double cx, double cy, double radius,
		double width, synth_rgb c);

/* A photo: a rectangle mottled at a scale of about grain pixels, levels
 * lo..hi (and a little noise), turned clockwise by turn degrees about its
 * centre (glued on askew). */
void synth_photo(synth_page *pg, double x, double y, double w, double h,
		 double turn, int lo, int hi, double grain, synth_rng *rng);

/* A number of digits (7-segment style, height h, strokes stroke wide)
 * with its top left corner at (x, y); returns the width drawn. */
double synth_number(synth_page *pg, double x, double y, double h, double stroke,
		    unsigned value, synth_rgb c);

typedef enum synth_script {
	/* Latin-like: a body of x-height drawn as a box of strokes, about
	 * 40% of glyphs with an ascender, 8% with a descender, and small
	 * marks above some (Vietnamese tone marks) and a few below. */
	SYNTH_LATIN = 0,
	/* Devanagari-like: each word hangs from a solid headline, the
	 * strokes of its glyphs below it, a few marks above and below. */
	SYNTH_HEADLINE,
} synth_script;

typedef struct synth_text {
	synth_script script;
	double x0, y0, x1, y1; /* the block the lines fill */
	double x_height;       /* body height: 10 at 150 dpi */
	double stroke;	       /* 2 at 150 dpi */
	double pitch;	       /* line to line; 0: 1.6 line heights */
	synth_rgb ink;
} synth_text;

/* Latin-like type of about 10 points at 150 dpi in the block: a 10-pixel
 * body in 2-pixel strokes, lines 1.6 line heights apart. */
synth_text synth_latin(double x0, double y0, double x1, double y1,
		       synth_rgb ink);

/* Fills the block with lines of words, in paragraphs; returns the number
 * of lines drawn. */
int synth_text_block(synth_page *pg, const synth_text *t, synth_rng *rng);

/* The height of one line of t (ascender, body, descender). */
double synth_line_height(const synth_text *t);

/* ---- the scan ---- */

/* The page turned clockwise by degrees about its centre, which lands on
 * the centre of a new width x height image (with the canvas's channels);
 * outside: where the page does not reach.  The canvas is reduced to the
 * target's resolution (the mean of each scale x scale block), then
 * sampled bilinearly. */
void synth_render(synth_page *pg, double degrees, uint32_t width,
		  uint32_t height, synth_rgb outside, kho_image *out);

/* Adds noise of standard deviation sd to every sample (the same to the
 * three channels of a pixel: grey noise). */
void synth_noise(kho_image *img, double sd, synth_rng *rng);

/* Light falling across the page as scanned: each sample of column x
 * times light[x] (width values). */
void synth_light(kho_image *img, const double *light);

/* Where a point of the upright page (target pixels) lands in the image
 * synth_render() made of it; and back. */
void synth_to_image(const synth_page *pg, double degrees, uint32_t width,
		    uint32_t height, double px, double py, double *ix,
		    double *iy);
void synth_to_page(const synth_page *pg, double degrees, uint32_t width,
		   uint32_t height, double ix, double iy, double *px,
		   double *py);

/* The grey plane of an image (a malloc'd copy, width * height; luma as
 * analysis/analyze.c computes it for three channels). */
uint8_t *synth_grey(const kho_image *img);

#endif
