#include "analysis/analyze.h"
#include "analysis/integral.h"
#include "analysis/shading.h"
#include "common/rgb_lanes.h"

#include <math.h>

/* Faint marks this far below their background are read for a faded
 * page's skew: past the grain of paper and scanner, some 10 levels. */
#define FAINT_TEXT_STEP 20
/* The lines faint marks must place to be read as print where they may
 * be a photo's: where there is more ink than faint marks (a page of print
 * at low contrast beside a photo reads 40 and more; a colour photo of a
 * cat read 5 in its fur), and on a page that has no ink (bleed-through
 * reads 14 to 53; a dark rendering of coloured shapes, 5). */
#define FAINT_PRINT_LINES 10
/* Runs of ink this long both across and down are a filled area's inside
 * (a photo's), not a stroke, and are left out of the ink. */
#define INSIDE_MM 1.5
/* Ink whose chroma is this far over the paper's is coloured: a seal's, a
 * signature's (a red seal's ring about 180, blue ink over 100; black
 * print, even on tinted paper and through a JPEG's colour, well below). */
#define COLOURED_INK 64

/* A page whose faint marks outweigh its ink this many times over is a
 * faint page (pencil) whose darkest points passed for ink: where its
 * faint lines are sure and enough to read, they give its skew, not those
 * points, scattered along its wavering lines (the probe's DD-2024-67036,
 * 18.6 times, read 0.86 degree off by its points). */
#define PENCIL_OVER_INK 10.0

/* The analysis' grey and chroma by lanes (common/rgb_lanes.h). */
#if KHO_HAVE_AVX2
static __attribute__((target("avx2"))) uint32_t
grey_chroma_avx2(const uint8_t *rgb, uint32_t w, uint8_t *grey,
		 uint8_t *chroma)
{
	uint32_t x = 0;
	for (; KHO_RGB10_FITS(x, w); x += 10) {
		__m256i v[3];
		kho_rgb10_load(rgb + (size_t)x * 3, v);
		kho_rgb10_store(kho_rgb10_luma(v, 0), grey + x);
		kho_rgb10_store(_mm256_subs_epu8(kho_rgb10_max(v),
						 kho_rgb10_min(v)),
				chroma + x);
	}
	return x;
}
#endif

void kho_grey_chroma_row(const uint8_t *rgb, uint32_t w, uint8_t *grey,
			 uint8_t *chroma)
{
	uint32_t x = 0;
#if KHO_HAVE_AVX2
	if (kho_cpu_avx2())
		x = grey_chroma_avx2(rgb, w, grey, chroma);
#endif
#if defined(__SSE2__)
	for (; KHO_RGB5_FITS(x, w); x += 5) {
		__m128i v[3];
		kho_rgb5_load(rgb + (size_t)x * 3, v);
		kho_rgb5_store(kho_rgb5_luma(v, 0), grey + x);
		kho_rgb5_store(_mm_subs_epu8(kho_rgb5_max(v), kho_rgb5_min(v)),
			       chroma + x);
	}
#endif
	for (; x < w; x++) {
		const uint8_t *s = rgb + (size_t)x * 3;
		grey[x] = (uint8_t)((s[0] * 77 + s[1] * 150 + s[2] * 29) >> 8);
		const int mx = KHO_MAX(s[0], KHO_MAX(s[1], s[2]));
		const int mn = KHO_MIN(s[0], KHO_MIN(s[1], s[2]));
		chroma[x] = (uint8_t)(mx - mn);
	}
}

/* The grey levels, and for a colour image each pixel's chroma. */
static int to_grey(const kho_image *img, uint8_t **grey, uint8_t **chroma,
		   kho_error *err)
{
	const size_t n = (size_t)img->width * img->height;
	*grey = malloc(n ? n : 1);
	*chroma = img->channels == 3 ? malloc(n ? n : 1) : NULL;
	if (!*grey || (img->channels == 3 && !*chroma)) {
		free(*grey);
		free(*chroma);
		*grey = *chroma = NULL;
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	for (uint32_t y = 0; y < img->height; y++) {
		const uint8_t *s = img->pixels + (size_t)y * img->stride;
		uint8_t *d = *grey + (size_t)y * img->width;
		if (img->channels == 1) {
			memcpy(d, s, img->width);
			continue;
		}
		kho_grey_chroma_row(s, img->width, d,
				    *chroma + (size_t)y * img->width);
	}
	return KHO_OK;
}

/*
 * Marks too faint to be ink (bleed-through from the other side, a pencil
 * note, an erased line) still run in lines: the pixels a few levels below
 * the paper around them give a profile across their lines with a peak
 * (of rows, or of columns on a sheet stored at a quarter turn), where the
 * grain and the scanner's noise give none.  Returns that peak (about 1 for
 * noise).
 */
/* The mean of rows [y0, y1) and columns [x0, x1) from the integral
 * image ii (rows w1 wide). */
static double box_mean(const uint32_t *ii, size_t w1, long x0, long x1,
		       long y0, long y1)
{
	return (double)kho_box_sum(ii, w1, x0, y0, x1, y1) /
	       ((x1 - x0) * (y1 - y0));
}

/* Above the paper's level by this much, a half of a mark's window is
 * lighter than paper: a lid or bed, past the grain. */
#define LIGHTER_THAN_PAPER 3

/* Whether c, a mark d darker than its window, is at least 2 darker than
 * both halves of the window cut at [cut0, cut1) across its first axis
 * (a0 .. a1; b0 .. b1 the other): the columns left and right of it
 * (down = 0), or the rows above and below (down = 1); and not on an
 * edge.  Where one half is lighter than the paper (of level paper) and
 * than the other half by more than the mark is deep, the edge of a
 * sheet on a lighter lid or bed runs through the window: the grain, a
 * shadow or a JPEG's ringing along it, a little below the paper, runs in
 * lines at the sheet's skew (the probe's plain cream sheet,
 * DD-2024-32013, read 1.44 on its edges), but it is no mark on the
 * paper.  Marks among bleed-through's letters, whose halves differ as
 * much, have paper no lighter than the page's on either side. */
static int mark_on_paper(const uint32_t *ii, size_t w1, double c, double d,
			 int paper, long a0, long cut0, long cut1, long a1,
			 long b0, long b1, int down)
{
	const double one = down ? box_mean(ii, w1, b0, b1, a0, cut0)
				: box_mean(ii, w1, a0, cut0, b0, b1);
	const double two = down ? box_mean(ii, w1, b0, b1, cut1, a1)
				: box_mean(ii, w1, cut1, a1, b0, b1);
	const int edge = fabs(one - two) > d &&
			 KHO_MAX(one, two) > paper + LIGHTER_THAN_PAPER;
	return c <= one - 2 && c <= two - 2 && !edge;
}

static int faint_structure(const uint8_t *grey, uint32_t w, uint32_t h,
			   const uint8_t *usable, int paper, double *peak,
			   size_t *n_marks, kho_orientation *lines,
			   kho_error *err)
{
	*peak = 0;
	*n_marks = 0;
	memset(lines, 0, sizeof(*lines));
	const size_t w1 = (size_t)w + 1;
	uint32_t *ii = kho_integral_image(grey, w, h);
	if (!ii)
		return kho_error_set(err, KHO_FATAL,
				     "out of memory looking for faint lines");
	kho_ink marks = KHO_INK_INIT;
	marks.width = w;
	marks.height = h;
	/* A 3x3 mean against a 21x21 one: the grain averages out, a faint
	 * stroke two or three pixels wide does not.  Away from the paper's
	 * edges (a twentieth of the page), where the light falls off and
	 * the lid's shadow lies in bands. */
	const long R = 10;
	const uint32_t mx = KHO_MAX(w / 20, (uint32_t)R + 2);
	const uint32_t my = KHO_MAX(h / 20, (uint32_t)R + 2);
	int rc = KHO_OK;
	for (uint32_t y = my; rc == KHO_OK && y + my < h; y++) {
		const long y0 = KHO_MAX(0L, (long)y - R);
		const long y1 = KHO_MIN((long)h, (long)y + R + 1);
		for (uint32_t x = mx; x + mx < w; x++) {
			const long x0 = KHO_MAX(0L, (long)x - R);
			const long x1 = KHO_MIN((long)w, (long)x + R + 1);
			const uint32_t sum =
				kho_box_sum(ii, w1, x0, y0, x1, y1);
			const uint32_t near =
				kho_box_sum(ii, w1, (long)x - 1, (long)y - 1,
					    (long)x + 2, (long)y + 2);
			/* most pixels are grain: told by d before the paper
			 * around them is looked up, and first in whole
			 * numbers (9 area d, exactly; a step of it is far
			 * more than the doubles' rounding, so below 18 area
			 * d is below 2 in doubles too) */
			const long area = (x1 - x0) * (y1 - y0);
			if (9 * (int64_t)sum - area * (int64_t)near <
			    18 * (int64_t)area)
				continue;
			const double d = (double)sum / area - near / 9.0;
			if (d < 2)
				continue;
			if (usable && !(usable[(size_t)y * w + x] &&
					usable[(size_t)(y - my) * w + x] &&
					usable[(size_t)(y + my) * w + x] &&
					usable[(size_t)y * w + x - mx] &&
					usable[(size_t)y * w + x + mx]))
				continue;
			/* A faint mark is darker than the paper on every side
			 * of it (a line's own pixels are a small part of each
			 * half of the window); the paper along the edge of a
			 * sheet on a lighter lid or bed is darker than the
			 * lid on one side only, and runs in a line too. */
			const double c = near / 9.0;
			if (!mark_on_paper(ii, w1, c, d, paper, x0, x, x + 1,
					   x1, y0, y1, 0) ||
			    !mark_on_paper(ii, w1, c, d, paper, y0, y, y + 1,
					   y1, x0, x1, 1))
				continue;
			rc = kho_ink_add(&marks, (float)x, (float)y,
					 (float)KHO_MIN(1.0, d / 6), err);
			if (rc)
				break;
		}
	}
	free(ii);
	/* The lines run across the page, or down it where the sheet was
	 * stored at a quarter turn. */
	kho_skew across, along;
	memset(&across, 0, sizeof(across));
	memset(&along, 0, sizeof(along));
	kho_ink turned = KHO_INK_INIT;
	if (rc == KHO_OK && marks.n >= 150)
		rc = kho_skew_coarse(&marks, 15, KHO_FAINT_SAMPLE, &across,
				     err);
	if (rc == KHO_OK && marks.n >= 150 &&
	    !kho_faint_lines_run(across.peak, marks.n))
		rc = kho_ink_turn90(&marks, &turned, err);
	if (rc == KHO_OK && turned.n)
		rc = kho_skew_coarse(&turned, 15, KHO_FAINT_SAMPLE, &along,
				     err);
	*peak = KHO_MAX(across.peak, along.peak);
	*n_marks = marks.n;
	/* Lines of them are read as faint print is: bleed-through's
	 * letters, mirrored left to right, still stand the right way up. */
	if (rc == KHO_OK && kho_faint_lines_run(*peak, marks.n))
		rc = kho_orientation_find(&marks, lines, err);
	kho_ink_release(&marks);
	kho_ink_release(&turned);
	return rc;
}

/* A connected group of marked pixels (eight neighbours), as flooded. */
typedef struct {
	size_t n;                /* pixels */
	uint32_t x0, y0, x1, y1; /* bounding box, x1 and y1 past it */
	int off_paper;           /* it reaches the image's edge or a pixel
				  * not on usable paper */
} mark_group;

/*
 * Floods the group of mark pixels (1) from start, marking them 2, with
 * queue room for every pixel of the image.
 */
static mark_group flood_mark(uint8_t *mark, const uint8_t *usable,
			     uint32_t w, uint32_t h, size_t start,
			     uint32_t *queue)
{
	mark_group g = { 0, w, h, 0, 0, 0 };
	size_t head = 0, tail = 0;
	queue[tail++] = (uint32_t)start;
	mark[start] = 2;
	while (head < tail) {
		const uint32_t i = queue[head++];
		const long x = i % w, y = i / w;
		g.x0 = KHO_MIN(g.x0, (uint32_t)x);
		g.y0 = KHO_MIN(g.y0, (uint32_t)y);
		g.x1 = KHO_MAX(g.x1, (uint32_t)x + 1);
		g.y1 = KHO_MAX(g.y1, (uint32_t)y + 1);
		for (long dy = -1; dy <= 1; dy++)
			for (long dx = -1; dx <= 1; dx++) {
				const long xx = x + dx, yy = y + dy;
				if (xx < 0 || yy < 0 || xx >= w || yy >= h) {
					g.off_paper = 1;
					continue;
				}
				const size_t j = (size_t)yy * w + (size_t)xx;
				if (usable && !usable[j])
					g.off_paper = 1;
				if (mark[j] == 1) {
					mark[j] = 2;
					queue[tail++] = (uint32_t)j;
				}
			}
	}
	g.n = tail;
	return g;
}

/* What looking for marks takes: the grey image's integral, a byte a
 * pixel for the marks (all 0 for a search to start) and a queue for their
 * flooding.  Made once for the searches of a page that looks empty. */
typedef struct {
	uint32_t *ii;
	uint8_t *mark;
	uint32_t *queue;
} mark_space;

static void mark_space_release(mark_space *m)
{
	free(m->ii);
	free(m->mark);
	free(m->queue);
}

static int mark_space_new(mark_space *m, const uint8_t *grey, uint32_t w,
			  uint32_t h, kho_error *err)
{
	const size_t n = (size_t)w * h;
	m->ii = kho_integral_image(grey, w, h);
	m->mark = calloc(n ? n : 1, 1);
	m->queue = malloc(sizeof(*m->queue) * (n ? n : 1));
	if (m->ii && m->mark && m->queue)
		return KHO_OK;
	mark_space_release(m);
	return kho_error_set(err, KHO_FATAL, "out of memory looking for marks");
}

/*
 * On a page that looks empty, the largest mark clearly darker than the
 * paper around it (by a fifth of the paper's level), in square
 * millimetres: a small page number or a punch hole is a mark, a speck of
 * dust is not.
 */
static double largest_mark(const uint8_t *grey, uint32_t w, uint32_t h,
			   const uint8_t *usable, double dpi, int paper,
			   mark_space *m)
{
	const size_t n = (size_t)w * h, w1 = (size_t)w + 1;
	const uint32_t *ii = m->ii;
	uint8_t *mark = m->mark;
	const long R = 10;
	const double step = paper / 5.0;
	for (uint32_t y = 0; y < h; y++) {
		const long y0 = KHO_MAX(0L, (long)y - R);
		const long y1 = KHO_MIN((long)h, (long)y + R + 1);
		for (uint32_t x = 0; x < w; x++) {
			const size_t i = (size_t)y * w + x;
			if ((usable && !usable[i]) || grey[i] >= paper - step)
				continue;
			const long x0 = KHO_MAX(0L, (long)x - R);
			const long x1 = KHO_MIN((long)w, (long)x + R + 1);
			const uint32_t sum =
				kho_box_sum(ii, w1, x0, y0, x1, y1);
			mark[i] = grey[i] <
				  (double)sum / ((x1 - x0) * (y1 - y0)) - step;
		}
	}
	size_t best = 0;
	for (size_t start = 0; start < n; start++) {
		if (mark[start] != 1)
			continue;
		const mark_group g = flood_mark(mark, NULL, w, h, start,
						m->queue);
		best = KHO_MAX(best, g.n);
	}
	const double mm_per_px = 25.4 / dpi;
	return (double)best * mm_per_px * mm_per_px;
}

/* Whether the paper round a group, in bands from 1 to 3 mm out from its
 * box on each of its four sides (cut to the image), is on every side no
 * lighter on average than most: paper all round, not a lid or a light
 * patch along one side (the probe's DD-2024-103014, a blank sheet askew
 * on a lid 6 levels lighter, where no lid was found: the noise lifted a
 * patch of the lid by the sheet's edge past the step, the rest of it just
 * short, and the patch read as a hole of 18 mm2). */
static int paper_round(const uint32_t *ii, uint32_t w, uint32_t h,
		       const mark_group *g, double px_mm, double most)
{
	const size_t w1 = (size_t)w + 1;
	const long near = lround(px_mm), far = lround(3 * px_mm);
	const long ix0 = KHO_MAX(0L, (long)g->x0 - near);
	const long iy0 = KHO_MAX(0L, (long)g->y0 - near);
	const long ix1 = KHO_MIN((long)w, (long)g->x1 + near);
	const long iy1 = KHO_MIN((long)h, (long)g->y1 + near);
	const long ox0 = KHO_MAX(0L, (long)g->x0 - far);
	const long oy0 = KHO_MAX(0L, (long)g->y0 - far);
	const long ox1 = KHO_MIN((long)w, (long)g->x1 + far);
	const long oy1 = KHO_MIN((long)h, (long)g->y1 + far);
	/* above, below, left, right: x0, y0, x1, y1 */
	const long band[4][4] = {
		{ix0, oy0, ix1, iy0}, {ix0, iy1, ix1, oy1},
		{ox0, iy0, ix0, iy1}, {ix1, iy0, ox1, iy1},
	};
	for (int b = 0; b < 4; b++) {
		const long *r = band[b];
		const double n = (double)(r[2] - r[0]) * (double)(r[3] - r[1]);
		if (n <= 0)
			continue;
		if (kho_box_sum(ii, w1, r[0], r[1], r[2], r[3]) / n > most)
			return 0;
	}
	return 1;
}

/*
 * On a page that looks empty, the largest hole through the sheet where
 * what shows behind it is lighter than the paper (a white lid through a
 * punch hole), in square millimetres: a group of pixels lighter than the
 * paper by LIGHT_STEP or by the grain, averaged over a millimetre square
 * (which the grain's specks are not, nor a white speck of dust), with
 * paper all round it (a lid round the sheet, the light middle of a
 * vignette, are not), of a hole's size (LIGHT_MIN_MM2, at most
 * LIGHT_MAX_MM across) and filling at least half its box (a light streak
 * or the grain of recycled paper does not).
 */
#define LIGHT_STEP 6.0
#define LIGHT_MIN_MM2 5.0
#define LIGHT_MAX_MM 14.0
static double largest_light_mark(uint32_t w, uint32_t h,
				 const uint8_t *usable, double dpi,
				 double paper, double grain, mark_space *m)
{
	const double px_mm = dpi / 25.4;
	const long R = KHO_MAX(1L, lround(px_mm / 2));
	const double step = KHO_MAX(LIGHT_STEP, grain);
	if (paper + step > 255 - 1 || w <= (uint32_t)(2 * R) ||
	    h <= (uint32_t)(2 * R))
		return 0;
	const size_t n = (size_t)w * h, w1 = (size_t)w + 1;
	const uint32_t *ii = m->ii;
	uint8_t *mark = m->mark;
	const double side = (double)(2 * R + 1) * (2 * R + 1);
	const uint32_t above = (uint32_t)ceil((paper + step) * side);
	for (uint32_t y = (uint32_t)R; y < h - (uint32_t)R; y++)
		for (uint32_t x = (uint32_t)R; x < w - (uint32_t)R; x++) {
			const size_t i = (size_t)y * w + x;
			if (usable && !usable[i])
				continue;
			mark[i] = kho_box_sum(ii, w1, (long)x - R, (long)y - R,
					      (long)x + R + 1,
					      (long)y + R + 1) >= above;
		}
	size_t best = 0;
	const double most = LIGHT_MAX_MM * px_mm;
	for (size_t start = 0; start < n; start++) {
		if (mark[start] != 1)
			continue;
		const mark_group g = flood_mark(mark, usable, w, h, start,
						m->queue);
		const double gw = g.x1 - g.x0, gh = g.y1 - g.y0;
		if (g.off_paper || gw > most || gh > most ||
		    (double)g.n < 0.5 * gw * gh ||
		    (double)g.n < LIGHT_MIN_MM2 * px_mm * px_mm ||
		    !paper_round(ii, w, h, &g, px_mm, paper + step / 2))
			continue;
		best = KHO_MAX(best, g.n);
	}
	return (double)best / (px_mm * px_mm);
}

/*
 * A page with next to no ink and no faint marks that stand out of its
 * grain is blank, unless a closer look finds a mark of KHO_MARK_MM2, a
 * hole showing a lighter lid, or faint marks that run in lines
 * (bleed-through).  Where such lines are
 * all the page has to place lines by (no ink, no faded print does), and
 * enough of them to be print (a dark photo's shapes read 5), they stand
 * for its faint print: they give its skew, and which way up it reads
 * where they say so clearly.
 */
static int look_closer(const uint8_t *grey, const kho_image *img,
		       const kho_paper *paper, double dpi, kho_analysis *out,
		       kho_error *err)
{
	out->blank_score = kho_stats_blank_score(&out->stats);
	out->blank = kho_stats_is_blank(&out->stats);
	if (!out->blank)
		return KHO_OK;
	kho_orientation lines;
	mark_space m;
	int rc = mark_space_new(&m, grey, img->width, img->height, err);
	if (rc)
		return rc;
	out->largest_mark = largest_mark(grey, img->width, img->height,
					 paper->usable, dpi,
					 (int)out->stats.paper_level, &m);
	memset(m.mark, 0, (size_t)img->width * img->height);
	out->light_mark = largest_light_mark(img->width, img->height,
					     paper->usable, dpi,
					     out->stats.paper_level,
					     out->stats.grain, &m);
	mark_space_release(&m);
	rc = faint_structure(grey, img->width, img->height, paper->usable,
			     (int)out->stats.paper_level, &out->faint_lines,
			     &out->faint_marks, &lines, err);
	if (rc)
		return rc;
	if (kho_faint_lines_run(out->faint_lines, out->faint_marks) ||
	    out->largest_mark >= KHO_MARK_MM2 || out->light_mark > 0) {
		out->blank = 0;
		out->blank_score = KHO_MIN(out->blank_score, 0.5);
	}
	if (kho_faint_lines_run(out->faint_lines, out->faint_marks) &&
	    lines.lines >= FAINT_PRINT_LINES &&
	    out->orient.skew.confidence < KHO_SKEW_TRUST &&
	    out->faint.skew.confidence < KHO_SKEW_TRUST)
		out->faint = lines;
	return KHO_OK;
}

/* A box in a W x H canvas after the canvas is turned clockwise by r. */
static void turn_box(double W, double H, int r, double *x, double *y,
		     double *w, double *h)
{
	const double bx = *x, by = *y, bw = *w, bh = *h;
	switch (r) {
	case 90:
		*x = H - by - bh;
		*y = bx;
		*w = bh;
		*h = bw;
		break;
	case 180:
		*x = W - bx - bw;
		*y = H - by - bh;
		break;
	case 270:
		*x = by;
		*y = W - bx - bw;
		*w = bh;
		*h = bw;
		break;
	default:
		break;
	}
}

/* inside_mm at dpi, in pixels: 5 at least. */
static int inside_px(double dpi, double inside_mm)
{
	return (int)KHO_MAX(5.0, dpi * inside_mm / 25.4);
}

/* The box about each pixel whose mean is its background: about 4 mm. */
#define FAINT_BOX_MM 4.0

/*
 * Faded print (a carbon copy, thermal paper, ink gone brown) has too
 * little ink darker than 55% of the paper to place its lines, and print
 * at low contrast beside a photo has its ink in the photo's grain: where
 * the ink's skew is not sure and there are faint marks, the marks
 * FAINT_TEXT_STEP or more below their own background (the mean of the
 * box about them, so that a pale scanner bed or a shadow is no mark) are
 * read for the skew, across the page or along it, and for which way up
 * the page reads.  Where they are bleed-through (mirrored left to right,
 * as a sheet is turned over), their letters are still the right way up.
 */
static int faint_skew(const uint8_t *grey, uint32_t width, uint32_t height,
		      const kho_paper *paper, double dpi, kho_analysis *out,
		      kho_error *err)
{
	const kho_page_stats *st = &out->stats;
	if ((out->orient.skew.confidence >= KHO_SKEW_TRUST &&
	     st->faint_fraction < PENCIL_OVER_INK * st->ink_fraction) ||
	    st->faint_fraction <= KHO_FAINT_TEXT)
		return KHO_OK;
	const size_t n = (size_t)width * height;
	uint32_t *ii = kho_integral_image(grey, width, height);
	uint8_t *flat = malloc(n ? n : 1);
	if (!ii || !flat) {
		free(ii);
		free(flat);
		return kho_error_set(err, KHO_FATAL,
				     "out of memory measuring faint print");
	}
	/* Each pixel against its background, on the paper's level. */
	const int level = (int)st->paper_level;
	const long r = KHO_MAX(2L, lround(dpi * FAINT_BOX_MM / 25.4 / 2));
	const size_t w1 = (size_t)width + 1;
	for (uint32_t y = 0; y < height; y++) {
		const long y0 = KHO_MAX(0L, (long)y - r);
		const long y1 = KHO_MIN((long)height, (long)y + r + 1);
		for (uint32_t x = 0; x < width; x++) {
			const long x0 = KHO_MAX(0L, (long)x - r);
			const long x1 = KHO_MIN((long)width, (long)x + r + 1);
			const long bg = (long)box_mean(ii, w1, x0, x1, y0, y1);
			const long v = grey[(size_t)y * width + x] - bg + level;
			flat[(size_t)y * width + x] =
				(uint8_t)KHO_MAX(0L, KHO_MIN(255L, v));
		}
	}
	free(ii);
	kho_ink faint = KHO_INK_INIT;
	int rc = kho_ink_from_grey(flat, width, width, height, paper->usable,
				   level, level - FAINT_TEXT_STEP,
				   inside_px(dpi, INSIDE_MM), &faint, err);
	free(flat);
	if (rc == KHO_OK)
		rc = kho_orientation_find(&faint, &out->faint, err);
	/* ... and where their ends lie, on the lines as read (turned a
	 * quarter where they run along the page). */
	kho_ink along = KHO_INK_INIT;
	if (rc == KHO_OK && out->faint.rotation % 180)
		rc = kho_ink_turn90(&faint, &along, err);
	if (rc == KHO_OK && out->faint.lines > 0)
		rc = kho_line_ends(out->faint.rotation % 180 ? &along : &faint,
				   out->faint.skew.angle, &out->faint.lean,
				   &out->faint.lean_lines, err);
	kho_ink_release(&along);
	kho_ink_release(&faint);
	/* Where the faint marks do not outweigh the ink, they may be a
	 * photo's grain or fur: they are trusted only where they place
	 * lines enough to be print. */
	if (rc == KHO_OK && st->faint_fraction <= st->ink_fraction &&
	    out->faint.lines < FAINT_PRINT_LINES)
		memset(&out->faint, 0, sizeof(out->faint));
	return rc;
}

/*
 * A page printed in black with a seal or a signature in colour: a seal's
 * ring runs through the lines of print and joins them, so that they are
 * no longer lines, and which way up the page reads is not told.  Fills
 * print with the points of ink (the page's, width pixels a row) whose
 * pixels are not coloured: the print alone, for the lines and their
 * orientation; leaves it empty where no point is coloured or most are (a
 * page typed in blue: the colour is the print).
 */
static int print_only(const kho_ink *ink, const uint8_t *chroma,
		      uint32_t width, const kho_page_stats *st, kho_ink *print,
		      kho_error *err)
{
	if (!chroma)
		return KHO_OK;
	const int coloured = (int)st->paper_chroma + COLOURED_INK;
	size_t n_col = 0;
	for (size_t i = 0; i < ink->n; i++)
		n_col += chroma[(size_t)ink->y[i] * width + (size_t)ink->x[i]] >
			 coloured;
	if (n_col == 0 || n_col * 2 > ink->n)
		return KHO_OK;
	for (size_t i = 0; i < ink->n; i++) {
		if (chroma[(size_t)ink->y[i] * width + (size_t)ink->x[i]] >
		    coloured)
			continue;
		const int rc =
			kho_ink_add(print, ink->x[i], ink->y[i], ink->w[i], err);
		if (rc)
			return rc;
	}
	print->width = ink->width;
	print->height = ink->height;
	return KHO_OK;
}

/* The ink off the photos: a photo's rim and the edges in it are no lines
 * of text, and a large one's would outweigh a few lines' in the
 * orientation's reading (a landscape photo over five lines of print was
 * read upside down). */
static int off_photos(const kho_ink *ink, const kho_photo_map *photos,
		      kho_ink *out, kho_error *err)
{
	for (size_t i = 0; i < ink->n; i++) {
		if (kho_photo_map_has(photos, ink->x[i], ink->y[i]))
			continue;
		const int rc =
			kho_ink_add(out, ink->x[i], ink->y[i], ink->w[i], err);
		if (rc)
			return rc;
	}
	out->width = ink->width;
	out->height = ink->height;
	return KHO_OK;
}

/* The orientation of ink, off the photos; but where that does not read
 * which way up the page is and the whole ink places no sure lines, the
 * whole ink's, so that faint print is looked for as it was (print at low
 * contrast beside a photo: its darkest specks, off the photo, place the
 * lines but do not read which way up; its faint marks do). */
static int orientation_off_photos(const kho_ink *ink,
				  const kho_photo_map *photos,
				  kho_orientation *o, kho_error *err)
{
	if (!photos->cells)
		return kho_orientation_find(ink, o, err);
	kho_ink off = KHO_INK_INIT;
	int rc = off_photos(ink, photos, &off, err);
	if (rc == KHO_OK)
		rc = kho_orientation_find(&off, o, err);
	kho_ink_release(&off);
	kho_orientation whole;
	if (rc == KHO_OK && o->confidence < 0.5)
		rc = kho_orientation_find(ink, &whole, err);
	if (rc == KHO_OK && o->confidence < 0.5 &&
	    whole.skew.confidence < KHO_SKEW_TRUST)
		*o = whole;
	return rc;
}

/* wide_strokes() keeps strokes up to this wide (a headline's). */
#define WIDE_STROKE_MM 3.0

/* The page's ink (the points darker than its ink level on usable paper),
 * with filled insides of inside_mm and more left out. */
static int page_ink(const uint8_t *lit, const kho_image *img,
		    const kho_paper *paper, const kho_page_stats *st,
		    double dpi, double inside_mm, kho_ink *ink, kho_error *err)
{
	return kho_ink_from_grey(lit, img->width, img->width, img->height,
				 paper->usable, (int)st->paper_level,
				 (int)st->ink_level, inside_px(dpi, inside_mm), ink,
				 err);
}

/*
 * Large or bold type (phototest_2's, 50 pixels high at 72 dpi, strokes of
 * 5 pixels) has strokes as wide as the blob that marks a filled area's
 * inside (1.5 mm): they are left out of the ink, and its lines are read
 * in fragments, which do not say which way up the page is and place its
 * lines a few tenths of a degree off.  Where the lines do not read
 * clearly which way up, the ink is found again with strokes up to
 * WIDE_STROKE_MM kept (a photo's inside is still left out), and where its
 * lines run the same way and read clearly, its reading stands, skew and
 * all (phototest_2: 0.42 upright, 9 lines, where it read 24 fragments).
 */
static int wide_strokes(const uint8_t *lit, const kho_image *img,
			const kho_paper *paper, const kho_photo_map *photos,
			double dpi, kho_analysis *out, kho_error *err)
{
	kho_ink wide = KHO_INK_INIT;
	kho_orientation o;
	int rc = page_ink(lit, img, paper, &out->stats, dpi, WIDE_STROKE_MM,
			  &wide, err);
	if (rc == KHO_OK)
		rc = orientation_off_photos(&wide, photos, &o, err);
	kho_ink_release(&wide);
	if (rc == KHO_OK && o.confidence >= 0.5 &&
	    o.rotation % 180 == out->orient.rotation % 180)
		out->orient = o;
	return rc;
}

/* A page whose paper's light falls across it (shade, as measured) is
 * measured again with that light evened out of a copy of its grey levels
 * (*evened): the shadow's paper is then paper for the ink, the skew and
 * the measures (but for the deepest shadow, which is left out of them).
 * A blank page's faint lines and marks are looked for on the page as
 * scanned: they are judged against the paper around them, which the
 * light does not change, where the evened page's grain, raised in the
 * shadow, would make more of them.  The stats keep the fall. */
static int even_out(const kho_image *img, const uint8_t *grey,
		    const kho_shading *shade, kho_paper *paper,
		    kho_page_stats *st, uint8_t **evened, kho_error *err)
{
	const size_t n = (size_t)img->width * img->height;
	*evened = malloc(n);
	if (!*evened)
		return kho_error_set(err, KHO_FATAL,
				     "out of memory evening out the page's light");
	memcpy(*evened, grey, n);
	int rc = kho_shading_even(shade, *evened, paper->usable, img->width,
				  img->height, err);
	const double fall = st->shading, midtones = st->midtone_fraction;
	if (rc == KHO_OK)
		rc = kho_measure_paper(img, *evened, paper->usable, st, NULL,
				       err);
	/* The mid-tones as counted against the light where each lies: the
	 * evened page's own would take the light's steps between blocks,
	 * where it falls steeply, for mid-tones. */
	st->midtone_fraction = midtones;
	st->shading = fall;
	return rc;
}

/* Lines of text fewer than WEAK_LINES, or placed with a profile's peak
 * below WEAK_PEAK (print gives 1.5 to 3), are weak, and a sheet's edges
 * straight over EDGE_OVER_WEAK of their length or more are trusted over
 * them. */
#define WEAK_LINES 2
#define WEAK_PEAK 1.5
#define EDGE_OVER_WEAK 0.8
/* Faint lines placed with a peak below HAND_PEAK waver (a pencilled hand:
 * the probe's read 1.95 to 2.81; bleed-through, print's mirror, 3.0 to
 * 4.3): where a sheet's edges found along EDGE_OVER_HAND of their
 * length agree with them within EDGE_AGREES degree, the edges give the
 * skew.  On probe seeds 51-104 such pencilled pages read 0.06 to 0.29
 * degree off by their lines, and 0.017 or less by their edges.  Where
 * the two part by more, the edges may be wrong (a steep sheet's were
 * read 0.29 off before paper.c's fit_line started from the median of
 * its slopes; its hand's lines were 0.016 off) or the hand's lines run
 * askew on the sheet, and the lines are kept. */
#define HAND_PEAK 2.9
#define EDGE_OVER_HAND 0.75
#define EDGE_AGREES 0.5
/* Faint marks turn a page only where their reading, weighed by the lines
 * read (|up| times the square root of their number: the reading is their
 * mean), is at least this: they may be pencilled handwriting rather than
 * faded print, and a hand's loops fall above and below its lines in no
 * set share, so that a few lines of it read one way by chance.  The
 * probe's pencilled scribbles weigh up to 0.76 (-0.22 over 12 lines and
 * -0.25 over 7 turned two pages wrong; 92 readings), a synthetic hand
 * looping below its lines more than above 0.61 to 0.90 where it reads
 * 0.2 to 0.3 (test_analyze); real pages pale, faded or at low contrast
 * 1.12 and more (eurotext pale, 0.26 to 0.34 over 17 to 43 lines, 1.22;
 * a letter of 8 lines, -0.40, 1.13), bleed-through's 35 lines at 0.20,
 * 1.18. */
#define FAINT_UPDOWN_WEIGHT 1.0
/* A page of fewer lines than KHO_UPDOWN_LINES that does not read upright
 * by this much is flagged. */
#define FEW_UPRIGHT 0.1
/* A page still unsure after its wide strokes are read is turned by its
 * lines' reading, and stays flagged: sure lines along it that lean this
 * much either way (it lies a quarter turn off whichever way up it is, so
 * turning it by its reading loses nothing, and the independent
 * generator's pages at four turns (16 seeds, 1,536 readings: letters and
 * photo captions of 1 to 4 lines, landscape tables; 89 sideways) read up
 * to 0.78 the right way, none the wrong way by more than 0.06); two to
 * four lines across reading upside down by FEW_UPSIDE (such pages read
 * -0.20 to -0.78 upside down, 0.195 to 0.80 upright; pages come upright
 * far more often, so this is higher than FEW_UPRIGHT, but below the
 * least an upside-down page was seen to read: the probe's DD-2024-91022,
 * a photo under three lines of text and over a title in capitals, which
 * read no way up, -0.200 over 4 lines, was left upside down at 0.3; 28
 * such pages of probe seeds 51-94 read 0.164 to 0.80 upright, -0.200 to
 * -0.363 upside down). */
#define SIDEWAYS_LEAN 0.1
#define FEW_UPSIDE 0.15
/* ... and only by lines that hold this share of the ink, or more: the
 * page's print.  Letters and photo captions of 3 to 5 lines turned so
 * (probe seeds 61 to 70) hold 0.88 to 0.996 of theirs; tables and forms
 * 0.24 to 0.58 (their rules); a sheet of three words a hand drew 30 mm
 * high, upright (realdata's imgsrc005.png), 0.03 in the letters'
 * strokes down the page, which read 0.48 as three lines along it and
 * turned it a quarter. */
#define PRINT_SHARE 0.5
/* Faint lines whose ends lean this much (kho_line_ends) turn a page they
 * do not say which way up: lines that start at a margin and end
 * ragged, as a hand writes. */
#define LEAN_CLEAR 0.25

/* Whether faint marks' reading o says which way up clearly enough to
 * turn a page by. */
static int faint_reads_clearly(const kho_orientation *o)
{
	const double up = fabs(o->updown);
	return up >= KHO_UPDOWN_CLEAR &&
	       up * sqrt((double)o->lines) >= FAINT_UPDOWN_WEIGHT;
}

int kho_analyze_page(const kho_image *img, double dpi, int source_channels,
		     int source_bits, kho_analysis *out, kho_error *err)
{
	memset(out, 0, sizeof(*out));
	out->width = img->width;
	out->height = img->height;
	out->dpi = dpi;
	uint8_t *grey = NULL, *chroma = NULL;
	kho_paper paper = KHO_PAPER_INIT;
	kho_ink ink = KHO_INK_INIT;
	kho_photo_map photos = KHO_PHOTO_MAP_INIT;
	int rc = to_grey(img, &grey, &chroma, err);
	if (rc == KHO_OK)
		rc = kho_paper_find(grey, chroma, img->width, img->width,
				    img->height, dpi, &paper, err);
	kho_shading shade = {0};
	if (rc == KHO_OK)
		rc = kho_measure_paper(img, grey, paper.usable, &out->stats,
				       &shade, err);
	uint8_t *evened = NULL;
	if (rc == KHO_OK && shade.level)
		rc = even_out(img, grey, &shade, &paper, &out->stats, &evened,
			      err);
	kho_shading_free(&shade);
	const uint8_t *lit = evened ? evened : grey;
	if (rc == KHO_OK)
		rc = kho_photo_area(lit, img->width, img->height, paper.usable,
				    out->stats.paper_level, dpi,
				    &out->stats.photo_mm2, &photos, err);
	/* All the ink is the content the crop keeps; the print's places the
	 * lines. */
	if (rc == KHO_OK)
		rc = page_ink(lit, img, &paper, &out->stats, dpi, INSIDE_MM,
			      &ink, err);
	kho_ink print_ink = KHO_INK_INIT;
	if (rc == KHO_OK)
		rc = print_only(&ink, chroma, img->width, &out->stats,
				&print_ink, err);
	free(chroma);
	if (rc == KHO_OK)
		rc = orientation_off_photos(print_ink.n ? &print_ink : &ink,
					    &photos, &out->orient, err);
	kho_ink_release(&print_ink);
	if (rc == KHO_OK)
		rc = faint_skew(lit, img->width, img->height, &paper, dpi, out,
				err);
	if (rc)
		goto out;
	rc = look_closer(grey, img, &paper, dpi, out, err);
	if (rc)
		goto out;
	out->bed = paper.bed;
	memcpy(out->sides, paper.sides, sizeof(out->sides));
	out->edge_angle = paper.edge_angle;
	out->edge_weight = paper.edge_weight;
	out->bed_share = paper.bed_share;

	/* The page's lines: its ink's, or where the ink places none, its
	 * faded print's; and none where neither is sure. */
	const kho_orientation *lines =
		out->orient.skew.confidence >= KHO_SKEW_TRUST ? &out->orient
		: out->faint.skew.confidence >= KHO_SKEW_TRUST ? &out->faint
							       : NULL;
	/* The content's orientation only when the page says it clearly:
	 * faded print's where it gives the lines and reads clearly which
	 * way up (faint_reads_clearly), else the ink's.  Faint lines that
	 * do not are flagged below as ink's are, where they run clearly
	 * across or along (KHO_SIDEWAYS_PEAK). */
	const int faint_clear =
		lines == &out->faint && faint_reads_clearly(&out->faint);
	const kho_orientation *turn =
		faint_clear && out->faint.confidence >= 0.5 ? &out->faint
							    : &out->orient;
	/* lines that read clearly upright: enough of them, and faint ones
	 * weighing enough */
	const int upright = lines && lines->updown >= KHO_UPDOWN_CLEAR &&
			    (lines != &out->faint || faint_clear);
	out->rotation = turn->confidence >= 0.5 ? turn->rotation : 0;
	/* Sure lines that run along the page, too few to read which way
	 * up: the page is left as it is, and said to be so. */
	out->sideways = lines && out->rotation == 0 && lines->rotation % 180 &&
			lines->along >= KHO_SIDEWAYS_PEAK;
	/* Lines of text enough across the page that do not read clearly
	 * upright (a form's boxes and short entries, a script the test does
	 * not know): it may be upside down, and is said to be so rather than
	 * turned.  So, too, a letter of two to four lines, too few to be sure
	 * of, that does not read upright by FEW_UPRIGHT at least: the
	 * independent generator's letters and photo captions of 2 to 4
	 * lines (12 seeds at four turns) read 0.195 to 0.80 upright, -0.20
	 * to -0.80 upside down, and 0 where the page and its strips
	 * disagree (a form stored sideways, three lines of it across read
	 * in place of its text).  Either way, large or bold type is read
	 * again first. */
	const int few_unsure = lines && lines->lines >= 2 &&
			       lines->lines < KHO_UPDOWN_LINES &&
			       lines->updown < FEW_UPRIGHT;
	/* Lines enough along the page, sharper than those across but
	 * reading no way up, where those across were read instead: which
	 * are the text is not known (a form of short entries stored a
	 * quarter turn round: its text along, 17 lines that read no way;
	 * across, its entries' columns, 0.39 over 8 "lines"). */
	const int along_unread =
		lines && lines->along_lines >= KHO_UPDOWN_LINES;
	out->upside_unsure = lines && out->rotation == 0 &&
			     lines->rotation % 180 == 0 &&
			     lines->across >= KHO_SIDEWAYS_PEAK &&
			     ((lines->lines >= KHO_UPDOWN_LINES && !upright) ||
			      few_unsure || along_unread);
	if ((out->upside_unsure || out->sideways) && lines == &out->orient) {
		rc = wide_strokes(lit, img, &paper, &photos, dpi, out, err);
		if (rc)
			goto out;
		/* Read clearly with its wide strokes kept (the first
		 * reading's confidence was below 0.5, or it would not be
		 * unsure): turned and straightened by that reading.  Else
		 * still flagged, but turned where its lines lean clearly
		 * enough (SIDEWAYS_LEAN, FEW_UPSIDE) and are its print
		 * (PRINT_SHARE). */
		const int print_read =
			out->orient.line_share >= PRINT_SHARE;
		if (out->orient.confidence >= 0.5) {
			out->rotation = out->orient.rotation;
			out->upside_unsure = 0;
			out->sideways = 0;
		} else if (out->sideways && print_read &&
			   fabs(out->orient.updown) >= SIDEWAYS_LEAN) {
			out->rotation = out->orient.updown > 0 ? 90 : 270;
		} else if (out->upside_unsure && print_read &&
			   out->orient.lines >= 2 &&
			   out->orient.lines < KHO_UPDOWN_LINES &&
			   out->orient.along_lines < KHO_UPDOWN_LINES &&
			   out->orient.updown <= -FEW_UPSIDE) {
			out->rotation = 180;
		}
	}
	/* Faint lines that do not read which way up, a pencilled hand's
	 * (it loops above and below its lines in no set share), are turned
	 * by where their ends lie (LEAN_CLEAR), and stay flagged. */
	if (lines == &out->faint && out->rotation == 0 &&
	    (out->upside_unsure || out->sideways) &&
	    out->faint.lean_lines >= KHO_UPDOWN_LINES &&
	    fabs(out->faint.lean) >= LEAN_CLEAR)
		out->rotation =
			(out->sideways ? 90 : 0) + (out->faint.lean < 0 ? 180 : 0);
	/* A faint page whose darkest points passed for ink: its faint lines
	 * give the skew where they are sure (PENCIL_OVER_INK). */
	if (lines == &out->orient &&
	    out->stats.faint_fraction >=
		    PENCIL_OVER_INK * out->stats.ink_fraction &&
	    out->faint.skew.confidence >= KHO_SKEW_TRUST &&
	    out->faint.lines >= KHO_UPDOWN_LINES)
		lines = &out->faint;
	/* Lines that are few or faint against a sheet's long straight edges:
	 * the edges give the skew.  Two punch holes on a blank sheet read
	 * as one line 0.8 degree off its edges; a pencilled page's wavering
	 * lines (peak 1.46) 1.4 degrees off; a line or two of print on a
	 * generated page 0.1 to 0.17 off, where the edges were within 0.002.
	 * Lines of print enough are trusted over the edges: a page printed
	 * or laid askew on its sheet is straightened by its print. */
	const int weak = lines && (lines->lines < WEAK_LINES ||
				   lines->skew.peak < WEAK_PEAK);
	if (weak && paper.bed && paper.edge_weight >= EDGE_OVER_WEAK)
		lines = NULL;
	if (lines == &out->faint && lines->skew.peak < HAND_PEAK &&
	    paper.bed && paper.edge_weight >= EDGE_OVER_HAND &&
	    fabs(paper.edge_angle - lines->skew.angle) <= EDGE_AGREES)
		lines = NULL;
	if (lines) {
		out->skew = lines->skew.angle;
		out->skew_confidence = lines->skew.confidence;
		out->skew_source = lines == &out->orient ? "text" : "faint text";
	} else if (paper.bed && paper.edge_weight >= 0.3) {
		out->skew = paper.edge_angle;
		out->skew_confidence = KHO_MIN(0.9, paper.edge_weight);
		out->skew_source = "paper edge";
	} else {
		out->skew = 0;
		out->skew_confidence = out->orient.skew.confidence;
		out->skew_source = "none";
	}
	/* The paper's box, straightened in the canvas as analysed, then
	 * turned with the canvas (the turns commute about the centre).
	 * A mask pixel in from the bed keeps the sheet's dark edge out. */
	double x, y, w, h;
	kho_paper_box(&paper, out->skew, -1.0 * paper.factor, &x, &y, &w, &h);
	kho_paper_trim(&paper, out->skew, ink.x, ink.y, ink.n, &x, &y, &w, &h);
	turn_box(img->width, img->height, out->rotation, &x, &y, &w, &h);
	out->crop_x = x;
	out->crop_y = y;
	out->crop_w = w;
	out->crop_h = h;

	out->mode = kho_stats_mode(&out->stats, source_channels, source_bits,
				   &out->mode_reason);
out:
	free(evened);
	free(grey);
	kho_paper_release(&paper);
	kho_ink_release(&ink);
	kho_photo_map_release(&photos);
	return rc;
}

int kho_analysis_wants_finer(const kho_analysis *a, double dpi)
{
	/* The lines of ink (not faint ones: see below) left it unsure. */
	if (!a->blank && (a->upside_unsure || a->sideways) &&
	    a->orient.skew.confidence >= KHO_SKEW_TRUST &&
	    dpi <= KHO_FINE_DPI &&
	    a->orient.lines >= 2 && a->orient.lines <= KHO_FEW_LINES)
		return 1;
	/* Not where faint lines enough are sure: the page is not a few
	 * words but a faint one (pencil), and at twice the resolution the
	 * few points of ink its hard-pressed strokes leave, scattered along
	 * wavering lines, would place them instead (0.54 degree off on the
	 * probe's DD-2024-24019, its faint lines 0.03). */
	return !a->blank && a->orient.skew.points > 0 &&
	       a->orient.skew.points < KHO_SPARSE_POINTS &&
	       !(a->faint.skew.confidence >= KHO_SKEW_TRUST &&
		 a->faint.lines >= KHO_UPDOWN_LINES);
}
