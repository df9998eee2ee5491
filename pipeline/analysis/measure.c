#include "analysis/measure.h"

#include <math.h>

/* Chroma (max - min of R, G, B) above this is colour, not tint. */
#define COLOUR_CHROMA 64
/* A page with more than this share of coloured pixels is a colour page:
 * a seal's ring on an A4 page is about half a percent. */
#define COLOUR_SHARE 0.0004
/* Ink shares below this are blank paper (dust, noise). */
#define BLANK_INK 0.00003

static inline int luma(const uint8_t *p)
{
	return (p[0] * 77 + p[1] * 150 + p[2] * 29) >> 8;
}

void kho_measure_page(const kho_image *img, kho_page_stats *out)
{
	memset(out, 0, sizeof(*out));
	uint64_t hist[256] = { 0 };
	const uint64_t total = (uint64_t)img->width * img->height;
	if (total == 0)
		return;
	uint64_t coloured = 0;
	for (uint32_t y = 0; y < img->height; y++) {
		const uint8_t *row = img->pixels + (size_t)y * img->stride;
		if (img->channels == 1) {
			for (uint32_t x = 0; x < img->width; x++)
				hist[row[x]]++;
			continue;
		}
		for (uint32_t x = 0; x < img->width; x++) {
			const uint8_t *p = row + 3 * x;
			int mx = KHO_MAX(p[0], KHO_MAX(p[1], p[2]));
			int mn = KHO_MIN(p[0], KHO_MIN(p[1], p[2]));
			coloured += (mx - mn) > COLOUR_CHROMA;
			hist[luma(p)]++;
		}
	}
	/* The paper is the level that the brightest 40% of pixels reach:
	 * most of a document is paper. */
	uint64_t acc = 0;
	int paper = 255;
	for (int v = 255; v >= 0; v--) {
		acc += hist[v];
		if (acc >= total * 2 / 5) {
			paper = v;
			break;
		}
	}
	out->paper_level = paper;
	out->ink_level = paper * 0.55;
	out->colour_fraction = (double)coloured / (double)total;

	/* Ink: dark pixels with a dark neighbour, so that isolated noise
	 * specks do not count. */
	const int thr = (int)out->ink_level;
	uint64_t ink = 0, paper_n = 0;
	double chroma_sum = 0;
	for (uint32_t y = 0; y < img->height; y++) {
		const uint8_t *row = img->pixels + (size_t)y * img->stride;
		const uint8_t *next = y + 1 < img->height ? row + img->stride
							  : NULL;
		for (uint32_t x = 0; x < img->width; x++) {
			int v, right, below;
			if (img->channels == 1) {
				v = row[x];
				right = x + 1 < img->width ? row[x + 1] : 255;
				below = next ? next[x] : 255;
			} else {
				const uint8_t *p = row + 3 * x;
				v = luma(p);
				right = x + 1 < img->width ? luma(p + 3) : 255;
				below = next ? luma(next + 3 * x) : 255;
				if (v >= paper - 8) {
					int mx = KHO_MAX(p[0],
							 KHO_MAX(p[1], p[2]));
					int mn = KHO_MIN(p[0],
							 KHO_MIN(p[1], p[2]));
					chroma_sum += mx - mn;
					paper_n++;
				}
			}
			if (v < thr && (right < thr || below < thr))
				ink++;
		}
	}
	out->ink_fraction = (double)ink / (double)total;
	out->paper_chroma = paper_n ? chroma_sum / (double)paper_n : 0;
}

int kho_stats_is_colour(const kho_page_stats *st)
{
	return st->colour_fraction > COLOUR_SHARE;
}

double kho_stats_blank_score(const kho_page_stats *st)
{
	return exp(-st->ink_fraction / BLANK_INK);
}

int kho_stats_is_blank(const kho_page_stats *st)
{
	return st->ink_fraction < BLANK_INK;
}

typedef struct paper_size {
	const char *name;
	double short_in;
	double long_in;
} paper_size;

static const paper_size papers[] = {
	{ "A4", 210 / 25.4, 297 / 25.4 },
	{ "A3", 297 / 25.4, 420 / 25.4 },
	{ "A5", 148 / 25.4, 210 / 25.4 },
	{ "Letter", 8.5, 11.0 },
	{ "Legal", 8.5, 14.0 },
};

/* Scanners work at round resolutions. */
static const double common_dpi[] = { 100, 150, 200, 240, 300, 400, 600, 1200 };

/* How far a resolution is from the nearest round one, relatively. */
static double off_round(double dpi)
{
	double best = 1e9;
	for (size_t i = 0; i < KHO_ARRAY_SIZE(common_dpi); i++)
		best = KHO_MIN(best, fabs(dpi / common_dpi[i] - 1));
	return best;
}

static double infer(uint32_t w, uint32_t h, const char **paper)
{
	double s = KHO_MIN(w, h), l = KHO_MAX(w, h);
	double best_mismatch = 1e9;
	for (size_t i = 0; i < KHO_ARRAY_SIZE(papers); i++) {
		double ds = s / papers[i].short_in, dl = l / papers[i].long_in;
		best_mismatch = KHO_MIN(best_mismatch, fabs(ds / dl - 1));
	}
	/* A4 and A3 have the same shape: among the sizes that fit as well,
	 * the one that gives a round resolution, else the first (A4). */
	double dpi = 0, best_round = 1e9;
	for (size_t i = 0; i < KHO_ARRAY_SIZE(papers); i++) {
		double ds = s / papers[i].short_in, dl = l / papers[i].long_in;
		if (fabs(ds / dl - 1) > best_mismatch + 0.01)
			continue;
		double d = (ds + dl) / 2;
		double r = off_round(d);
		if (r < best_round - 1e-9) {
			best_round = r;
			dpi = d;
			*paper = papers[i].name;
		}
	}
	for (size_t i = 0; i < KHO_ARRAY_SIZE(common_dpi); i++)
		if (fabs(dpi / common_dpi[i] - 1) < 0.04)
			return common_dpi[i];
	/* A tiny image is no paper page; at least it keeps its pixels. */
	return KHO_MAX(1.0, round(dpi));
}

double kho_page_dpi(uint32_t width, uint32_t height, double xdpi,
		    double ydpi, kho_dpi_verdict *verdict, const char **paper)
{
	*paper = NULL;
	if (xdpi <= 0 || ydpi <= 0) {
		*verdict = KHO_DPI_MISSING;
		return infer(width, height, paper);
	}
	double long_in = KHO_MAX(width / xdpi, height / ydpi);
	int screen_default = xdpi == 72 || xdpi == 96;
	/* A document page is between a business card and A0; a screen
	 * default on a page larger than A3 is a label nobody set. */
	if (xdpi < 50 || xdpi > 2400 || fabs(xdpi / ydpi - 1) > 0.02 ||
	    long_in < 3 || long_in > 47 || (screen_default && long_in > 17)) {
		*verdict = KHO_DPI_ABSURD;
		return infer(width, height, paper);
	}
	*verdict = KHO_DPI_FROM_FILE;
	return xdpi;
}
