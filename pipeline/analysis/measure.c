#include "analysis/measure.h"
#include "analysis/bytes16.h"
#include "analysis/integral.h"

#include <math.h>

/* Chroma (max - min of R, G, B, once the paper's tint is divided out)
 * above this is colour. */
#define COLOUR_CHROMA 64
/* A page with more than this share of coloured pixels has meaningful
 * colour: a seal's ring on an A4 page is about half a percent. */
#define COLOUR_SHARE 0.0004
/* Beyond this share, colour is not a seal but a coloured page. */
#define COLOUR_PAGE 0.10
/* Coloured pixels as dark as ink, this share of the ink or more, are the
 * print itself in coloured ink (typed in blue: 0.99 to 1.03 of it on the
 * legibility bench's pages); a seal or a signature beside black print is a
 * fraction of it (0.33 at most on the generated sets' pages and the
 * bench's, a stain 0.05: too light to be ink). */
#define COLOUR_PRINT 0.6
/* Ink shares below this are dust and noise. */
#define BLANK_INK 0.00002
/* Faint marks (bleed-through, pencil) below this share are noise. */
#define BLANK_FAINT 0.0004
/* Darker than the paper around by this much is a mark, not grain. */
#define FAINT_STEP 16
/* The paper's grain is measured between pixels this far apart. */
#define GRAIN_APART 6
/* Darker than this share of the paper's level is ink; between it and
 * MIDTONE_TOP of it, a flat area is a mid-tone. */
#define INK_SHARE 0.55
#define MIDTONE_TOP 0.8
/* Flat mid-tones over this share are a photo or shading. */
#define MIDTONE_PAGE 0.03
/* The paper around a pixel: a box of this radius at about 150 dpi. */
#define BACKGROUND_RADIUS 12

static inline int luma(const uint8_t *p)
{
	return (p[0] * 77 + p[1] * 150 + p[2] * 29) >> 8;
}

/* Whether ink touches pixel (x, y) of the grey image L (w pixels a row)
 * or its eight neighbours; and the spread of their levels. */
static inline int beside_ink(const uint8_t *L, const uint8_t *ink,
			     uint32_t w, uint32_t x, uint32_t y, int *spread)
{
	int near_ink = 0, lo = 255, hi = 0;
	for (int dy = -1; dy <= 1; dy++) {
		const size_t o = (size_t)(y + dy) * w + x;
		for (int dx = -1; dx <= 1; dx++) {
			near_ink |= ink[o + dx];
			lo = KHO_MIN(lo, L[o + dx]);
			hi = KHO_MAX(hi, L[o + dx]);
		}
	}
	*spread = hi - lo;
	return near_ink;
}

/* The flat mid-tones, counted as kho_measure_paper counts them (every
 * other pixel of every other row, none beside ink), but below the
 * shaded paper where each lies rather than the page's one level. */
static uint64_t shaded_midtones(const uint8_t *L, const uint8_t *ink,
				const uint8_t *usable, uint32_t w, uint32_t h,
				const kho_shading *shade)
{
	uint64_t n = 0;
	for (uint32_t y = 1; y + 1 < h; y += 2) {
		const uint8_t *l = L + (size_t)y * w;
		const uint8_t *ok = usable ? usable + (size_t)y * w : NULL;
		const float *paper = shade->level +
			(size_t)(y / KHO_SHADING_BLOCK) * shade->blocks_x;
		for (uint32_t x = 1; x + 1 < w; x += 2) {
			const int here = (int)lroundf(paper[x / KHO_SHADING_BLOCK]);
			const int v = l[x];
			if ((ok && !ok[x]) || v <= (int)(here * INK_SHARE) ||
			    v >= (int)(here * MIDTONE_TOP))
				continue;
			int spread;
			if (!beside_ink(L, ink, w, x, y, &spread) && spread < 20)
				n++;
		}
	}
	return n;
}

int kho_measure_paper(const kho_image *img, const uint8_t *grey,
		      const uint8_t *usable, kho_page_stats *out,
		      kho_shading *shade, kho_error *err)
{
	memset(out, 0, sizeof(*out));
	if (shade)
		memset(shade, 0, sizeof(*shade));
	const uint32_t W = img->width, H = img->height;
	const size_t n = (size_t)W * H;
	if (n == 0)
		return KHO_OK;
	const size_t w1 = (size_t)W + 1;
	uint8_t *own = grey ? NULL : malloc(n);
	uint8_t *ink = calloc(n, 1);
	uint32_t *ii = malloc(w1 * ((size_t)H + 1) * sizeof(*ii));
	if ((!grey && !own) || !ink || !ii) {
		free(own);
		free(ink);
		free(ii);
		return kho_error_set(err, KHO_FATAL,
				     "out of memory measuring the page");
	}
	if (own) {
		for (uint32_t y = 0; y < H; y++) {
			const uint8_t *row = img->pixels + (size_t)y * img->stride;
			uint8_t *l = own + (size_t)y * W;
			if (img->channels == 1)
				memcpy(l, row, W);
			else
				for (uint32_t x = 0; x < W; x++)
					l[x] = (uint8_t)luma(row + 3 * x);
		}
	}
	const uint8_t *L = grey ? grey : own;
	int rc = KHO_OK;
	/* The integral image (for the paper around a faint mark), and the
	 * histogram of the usable pixels. */
	memset(ii, 0, w1 * sizeof(*ii));
	/* Four histograms, added into hist every flush_rows rows and after
	 * the last: a run of pixels at one level (paper) then adds to four
	 * counters in turn, not to one again and again. */
	uint32_t part[4][256] = { { 0 } };
	const uint32_t flush_rows = KHO_MAX(1u, (1u << 30) / W);
	uint32_t rows = 0;
	uint64_t hist[256] = { 0 };
	uint64_t total = 0;
	for (uint32_t y = 0; y < H; y++) {
		const uint8_t *l = L + (size_t)y * W;
		const uint32_t *above = ii + (size_t)y * w1;
		uint32_t *cur = ii + (size_t)(y + 1) * w1;
		kho_integral_row(l, W, above, cur);
		const uint8_t *ok = usable ? usable + (size_t)y * W : NULL;
		if (!ok) {
			for (uint32_t x = 0; x < W; x++)
				part[x & 3][l[x]]++;
			total += W;
		} else {
			for (uint32_t x = 0; x < W; x++) {
				/* all sixteen usable: counted without the
				 * test */
				if ((x & 15) == 0 && x + 16 <= W &&
				    kho_nonzero16(ok + x)) {
					for (int k = 0; k < 16; k++)
						part[k & 3][l[x + k]]++;
					x += 15;
					continue;
				}
				part[x & 3][l[x]] += ok[x] != 0;
			}
		}
		/* each count grows by at most (W + 3) / 4 a row: over
		 * flush_rows = 2^30 / W rows it stays below 2^31 */
		if (++rows == flush_rows || y + 1 == H) {
			rows = 0;
			for (int v = 0; v < 256; v++) {
				hist[v] += (uint64_t)part[0][v] + part[1][v] +
					   part[2][v] + part[3][v];
				part[0][v] = part[1][v] = part[2][v] =
					part[3][v] = 0;
			}
		}
	}
	if (usable)
		for (int v = 0; v < 256; v++)
			total += hist[v];
	out->pixels = total;
	if (total == 0)
		goto done;
	/* The paper is the level the brightest 40% of pixels reach: most of
	 * a document is paper. */
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
	out->ink_level = paper * INK_SHARE;
	const int thr = (int)out->ink_level;
	/* The paper's grain, from the difference of pixels six apart on it
	 * (a millimetre at 150 dpi; every fourth pair of every fourth row):
	 * farther than a speck of grain reaches, nearer than shading or tint
	 * change.  A faint mark that makes a page not blank stands out of it
	 * by four deviations (and at least FAINT_STEP). */
	uint32_t diffs[256] = {0}, n_diffs = 0;
	for (uint32_t y = 0; y < H; y += 4) {
		const uint8_t *l = L + (size_t)y * W;
		const uint8_t *ok = usable ? usable + (size_t)y * W : NULL;
		for (uint32_t x = 0; x + GRAIN_APART < W; x += 4)
			if (l[x] > thr && l[x + GRAIN_APART] > thr &&
			    (!ok || (ok[x] && ok[x + GRAIN_APART]))) {
				diffs[abs(l[x] - l[x + GRAIN_APART])]++;
				n_diffs++;
			}
	}
	/* the median difference (a level d holding the differences from
	 * d - 0.5 to d + 0.5) is 0.954 of the pixels' deviation */
	uint32_t under = 0;
	int median = 0;
	while (median < 255 && under + diffs[median] < (n_diffs + 1) / 2)
		under += diffs[median++];
	const double within =
		(n_diffs / 2.0 - under) / KHO_MAX(diffs[median], 1u);
	out->grain = n_diffs ? KHO_MAX(0.0, median - 0.5 + within) / 0.954 : 0;
	const int clear_step = KHO_MAX(FAINT_STEP, (int)lround(4 * out->grain));

	/* Its colour: the mean of the pixels at the paper's level (every
	 * other one is plenty). */
	uint64_t sum[3] = { 0, 0, 0 }, sum_n = 0;
	for (uint32_t y = 0; y < H; y += 2) {
		const uint8_t *row = img->pixels + (size_t)y * img->stride;
		const uint8_t *l = L + (size_t)y * W;
		const uint8_t *ok = usable ? usable + (size_t)y * W : NULL;
		if (img->channels == 1) {
			/* without branches: which pixels are paper is noise */
			for (uint32_t x = 0; x < W; x += 2) {
				const uint32_t take =
					(!ok || ok[x]) && l[x] >= paper - 6;
				sum[0] += row[x] & (0u - take);
				sum_n += take;
			}
			continue;
		}
		for (uint32_t x = 0; x < W; x += 2) {
			if ((ok && !ok[x]) || l[x] < paper - 6)
				continue;
			sum[0] += row[3 * x];
			sum[1] += row[3 * x + 1];
			sum[2] += row[3 * x + 2];
			sum_n++;
		}
	}
	if (img->channels == 1)
		sum[1] = sum[2] = sum[0];
	for (int c = 0; c < 3; c++)
		out->paper_rgb[c] = sum_n ? (double)sum[c] / (double)sum_n : paper;
	out->paper_chroma =
		KHO_MAX(out->paper_rgb[0], KHO_MAX(out->paper_rgb[1], out->paper_rgb[2])) -
		KHO_MIN(out->paper_rgb[0], KHO_MIN(out->paper_rgb[1], out->paper_rgb[2]));

	/* Ink: dark pixels with a dark neighbour, so that isolated specks do
	 * not count. */
	uint64_t n_ink = 0;
	for (uint32_t y = 0; y < H; y++) {
		const uint8_t *l = L + (size_t)y * W;
		const uint8_t *below = y + 1 < H ? l + W : NULL;
		const uint8_t *ok = usable ? usable + (size_t)y * W : NULL;
		uint8_t *k = ink + (size_t)y * W;
		for (uint32_t x = 0; x < W; x++) {
			/* Paper, sixteen pixels at a time: most of a page. */
			if ((x & 15) == 0 && x + 16 <= W &&
			    kho_at_least16(l + x, (uint8_t)thr)) {
				x += 15;
				continue;
			}
			if (l[x] >= thr)
				continue;
			k[x] = 1;
			if (ok && !ok[x])
				continue;
			const int right = x + 1 < W ? l[x + 1] : 255;
			const int down = below ? below[x] : 255;
			if (right < thr || down < thr)
				n_ink++;
		}
	}
	out->ink_fraction = (double)n_ink / (double)total;

	/* Away from ink: faint marks below the paper around them, flat
	 * mid-tones; and colour once the paper's tint is divided out.  These
	 * are areas, not strokes: every other pixel of every other row is
	 * enough, and a quarter of the work. */
	uint8_t lut[3][256];
	for (int c = 0; c < 3; c++)
		for (int v = 0; v < 256; v++)
			lut[c][v] = (uint8_t)KHO_MIN(
				255.0, v * 255.0 / KHO_MAX(out->paper_rgb[c], 1.0));
	uint64_t n_faint = 0, n_clear = 0, n_mid = 0, n_col = 0, n_col_ink = 0,
		 n_seen = 0;
	const long R = BACKGROUND_RADIUS;
	const int mid_hi = (int)(paper * MIDTONE_TOP);
	/* Sixteen bytes at least this bright and usable are eight pixels
	 * seen that are paper: neither faint nor mid-tone. */
	const uint8_t bright =
		(uint8_t)KHO_MAX(0, KHO_MAX(paper - FAINT_STEP, mid_hi));
	for (uint32_t y = 1; y + 1 < H; y += 2) {
		const uint8_t *row = img->pixels + (size_t)y * img->stride;
		const uint8_t *l = L + (size_t)y * W;
		const uint8_t *ok = usable ? usable + (size_t)y * W : NULL;
		const long y0 = KHO_MAX(0L, (long)y - R);
		const long y1 = KHO_MIN((long)H, (long)y + R + 1);
		for (uint32_t x = 1; x + 1 < W; x += 2) {
			if (img->channels == 1 && x + 16 <= W &&
			    (!ok || kho_nonzero16(ok + x)) &&
			    kho_at_least16(l + x, bright)) {
				n_seen += 8;
				x += 14;
				continue;
			}
			if (ok && !ok[x])
				continue;
			n_seen++;
			if (img->channels == 3) {
				const uint8_t *p = row + 3 * x;
				const int r = lut[0][p[0]], g = lut[1][p[1]],
					  b = lut[2][p[2]];
				const int mx = KHO_MAX(r, KHO_MAX(g, b));
				const int mn = KHO_MIN(r, KHO_MIN(g, b));
				if (mx - mn > COLOUR_CHROMA) {
					n_col++;
					n_col_ink += l[x] < thr;
				}
			}
			const int v = l[x];
			if (v >= paper - FAINT_STEP && (v <= thr || v >= mid_hi))
				continue; /* paper: neither faint nor mid-tone */
			int spread;
			if (beside_ink(L, ink, W, x, y, &spread))
				continue;
			if (v > thr && v < mid_hi && spread < 20)
				n_mid++;
			if (v >= paper - FAINT_STEP)
				continue;
			const long x0 = KHO_MAX(0L, (long)x - R);
			const long x1 = KHO_MIN((long)W, (long)x + R + 1);
			const double bg =
				(double)kho_box_sum(ii, w1, x0, y0, x1, y1) /
				(double)((x1 - x0) * (y1 - y0));
			if (v < bg - FAINT_STEP &&
			    (l[x + 1] < bg - FAINT_STEP ||
			     l[x + W] < bg - FAINT_STEP)) {
				n_faint++;
				n_clear += v < bg - clear_step &&
					   (l[x + 1] < bg - clear_step ||
					    l[x + W] < bg - clear_step);
			}
		}
	}
	const double seen = n_seen ? (double)n_seen : 1.0;
	out->faint_fraction = (double)n_faint / seen;
	out->faint_clear_fraction = (double)n_clear / seen;
	out->midtone_fraction = (double)n_mid / seen;
	out->colour_fraction = (double)n_col / seen;
	out->colour_ink_fraction = n_col ? (double)n_col_ink / (double)n_col : 0;
	/* Mid-tones enough to make the page grey: where the paper's light
	 * falls across the page, they are counted again below the paper
	 * where they lie, for shaded paper is not a photo. */
	if (out->midtone_fraction > MIDTONE_PAGE) {
		kho_shading found;
		rc = kho_shading_find(L, W, H, usable, &found, err);
		if (rc == KHO_OK && found.level) {
			out->shading = found.top - found.bottom;
			out->midtone_fraction =
				(double)shaded_midtones(L, ink, usable, W, H,
							&found) / seen;
			if (shade)
				*shade = found;
			else
				kho_shading_free(&found);
		}
	}
done:
	free(own);
	free(ink);
	free(ii);
	return rc;
}

void kho_measure_page(const kho_image *img, kho_page_stats *out)
{
	kho_error err = KHO_ERROR_INIT;
	if (kho_measure_paper(img, NULL, NULL, out, NULL, &err) != KHO_OK)
		memset(out, 0, sizeof(*out));
}

/* A photo's cells: at least this share of a cell is darker than a
 * mid-tone's top. */
#define PHOTO_CELL_DARK 0.75
/* The cells fill at least this share of their bounding box: a photo is a
 * block, not a frame or a line. */
#define PHOTO_FILL 0.4
/* A photo's tones: the region's dark levels spread over at least this many
 * levels between their quartiles.  A flat block, a solid black box or a
 * grey one, is no photo: a threshold keeps it whole or leaves it as paper,
 * and the print on it either way.  Real photos (a rose, a cat, a face in
 * fur, pasted as 3 x 4 cm portraits) spread over 27 to 76 levels, mostly
 * below the ink's level; noise of a few levels over a black box, 2. */
#define PHOTO_SPREAD 10
/* A region at least this many times as long as it is wide is a band, and
 * where the levels between the ink's and the mid-tones' top spread less
 * than PHOTO_SPREAD it is a band of flat tint with print on it (a table's
 * shaded header row: 3 levels, where its print spreads the dark levels
 * over 35). */
#define PHOTO_BAND 3

/* The histogram of the sampled levels below top in the region's cells (n
 * of them, c pixels square, their indices in cells, cw cells a row). */
static void tone_histogram(const uint8_t *L, uint32_t W, uint32_t c,
			   uint32_t cw, const uint32_t *cells, size_t n,
			   int top, uint32_t hist[256])
{
	memset(hist, 0, 256 * sizeof(*hist));
	for (size_t k = 0; k < n; k++) {
		const uint32_t cx = cells[k] % cw, cy = cells[k] / cw;
		for (uint32_t y = cy * c; y < (cy + 1) * c; y += 2) {
			const uint8_t *l = L + (size_t)y * W;
			for (uint32_t x = cx * c; x < (cx + 1) * c; x += 2)
				hist[l[x]] += l[x] < top;
		}
	}
}

/* The levels between the lower and upper quartiles of the histogram's
 * levels above lo. */
static int tone_spread(const uint32_t hist[256], int lo)
{
	uint64_t total = 0;
	for (int v = lo + 1; v < 256; v++)
		total += hist[v];
	if (total == 0)
		return 0;
	int q1 = -1, q3 = -1;
	uint64_t run = 0;
	for (int v = lo + 1; v < 256; v++) {
		run += hist[v];
		if (q1 < 0 && 4 * run >= total)
			q1 = v;
		if (q3 < 0 && 4 * run >= 3 * total)
			q3 = v;
	}
	return q3 - q1;
}

void kho_photo_map_release(kho_photo_map *map)
{
	free(map->cells);
	memset(map, 0, sizeof(*map));
}

int kho_photo_map_has(const kho_photo_map *map, double x, double y)
{
	if (!map->cells || x < 0 || y < 0)
		return 0;
	const uint32_t cx = (uint32_t)x / map->c, cy = (uint32_t)y / map->c;
	return cx < map->cw && cy < map->ch &&
	       map->cells[(size_t)cy * map->cw + cx];
}

/* Marks the region's cells on the map, and those a cell round them (a
 * photo's rim, in cells not dark enough to be its own). */
static int mark_photo(kho_photo_map *map, uint32_t c, uint32_t cw,
		      uint32_t ch, const uint32_t *cells, size_t n,
		      kho_error *err)
{
	if (!map->cells) {
		map->cells = calloc((size_t)cw * ch, 1);
		if (!map->cells)
			return kho_error_set(err, KHO_FATAL,
					     "out of memory mapping a photo");
		map->c = c;
		map->cw = cw;
		map->ch = ch;
	}
	for (size_t k = 0; k < n; k++) {
		const uint32_t x = cells[k] % cw, y = cells[k] / cw;
		for (uint32_t v = y ? y - 1 : 0; v <= y + 1 && v < ch; v++)
			for (uint32_t u = x ? x - 1 : 0; u <= x + 1 && u < cw;
			     u++)
				map->cells[(size_t)v * cw + u] = 1;
	}
	return KHO_OK;
}

typedef struct photo_cell {
	uint16_t dark;   /* sampled pixels below the mid-tones' top */
	uint8_t whole;   /* every pixel on usable paper */
	uint8_t seen;
} photo_cell;

int kho_photo_area(const uint8_t *L, uint32_t W, uint32_t H,
		   const uint8_t *usable, double paper_level, double dpi,
		   double *mm2, kho_photo_map *map, kho_error *err)
{
	*mm2 = 0;
	const uint32_t c = (uint32_t)KHO_MAX(4L, lround(dpi * 2.0 / 25.4));
	const uint32_t cw = W / c, ch = H / c;
	if (cw < 3 || ch < 3)
		return KHO_OK;
	const size_t ncell = (size_t)cw * ch;
	photo_cell *cell = calloc(ncell, sizeof(*cell));
	uint32_t *queue = malloc(ncell * sizeof(*queue));
	if (!cell || !queue) {
		free(cell);
		free(queue);
		return kho_error_set(err, KHO_FATAL,
				     "out of memory looking for a photo");
	}
	const int top = (int)(paper_level * MIDTONE_TOP);
	const int ink = (int)(paper_level * INK_SHARE);
	/* Every other pixel of every other row, by cell. */
	const uint32_t samples = ((c + 1) / 2) * ((c + 1) / 2);
	for (uint32_t cy = 0; cy < ch; cy++) {
		for (uint32_t cx = 0; cx < cw; cx++) {
			photo_cell *p = &cell[(size_t)cy * cw + cx];
			uint32_t dark = 0, off = 0;
			for (uint32_t y = cy * c; y < (cy + 1) * c; y += 2) {
				const uint8_t *l = L + (size_t)y * W;
				const uint8_t *ok =
					usable ? usable + (size_t)y * W : NULL;
				for (uint32_t x = cx * c; x < (cx + 1) * c;
				     x += 2) {
					off += ok && !ok[x];
					dark += l[x] < top;
				}
			}
			p->whole = off == 0;
			p->dark = (uint16_t)KHO_MIN(dark, 65535u);
		}
	}
	const uint32_t need = (uint32_t)ceil(PHOTO_CELL_DARK * samples);
	const double mm = 25.4 * c / dpi;
	double best = 0;
	int rc = KHO_OK;
	for (size_t start = 0; start < ncell && rc == KHO_OK; start++) {
		if (cell[start].seen || !cell[start].whole ||
		    cell[start].dark < need)
			continue;
		/* A region of dark cells, grown four ways. */
		size_t head = 0, tail = 0, n = 0;
		uint32_t x0 = cw, y0 = ch, x1 = 0, y1 = 0;
		int at_edge = 0;
		cell[start].seen = 1;
		queue[tail++] = (uint32_t)start;
		while (head < tail) {
			const uint32_t i = queue[head++];
			const uint32_t x = i % cw, y = i / cw;
			n++;
			x0 = KHO_MIN(x0, x);
			x1 = KHO_MAX(x1, x);
			y0 = KHO_MIN(y0, y);
			y1 = KHO_MAX(y1, y);
			static const int dx[4] = { 1, -1, 0, 0 };
			static const int dy[4] = { 0, 0, 1, -1 };
			for (int k = 0; k < 4; k++) {
				const long nx = (long)x + dx[k];
				const long ny = (long)y + dy[k];
				if (nx < 0 || ny < 0 || nx >= (long)cw ||
				    ny >= (long)ch) {
					at_edge = 1;
					continue;
				}
				photo_cell *q = &cell[(size_t)ny * cw + nx];
				if (!q->whole) {
					at_edge = 1;
					continue;
				}
				if (q->seen || q->dark < need)
					continue;
				q->seen = 1;
				queue[tail++] = (uint32_t)((size_t)ny * cw + nx);
			}
		}
		/* A dark region that runs off the paper is the bed's or a
		 * shadow's, not a photo on the page. */
		const uint32_t bw = x1 - x0 + 1, bh = y1 - y0 + 1;
		if (at_edge || (double)n < PHOTO_FILL * bw * bh)
			continue;
		uint32_t hist[256];
		tone_histogram(L, W, c, cw, queue, n, top, hist);
		if (tone_spread(hist, -1) < PHOTO_SPREAD ||
		    (KHO_MAX(bw, bh) >= PHOTO_BAND * KHO_MIN(bw, bh) &&
		     tone_spread(hist, ink) < PHOTO_SPREAD))
			continue;
		const double area = (double)n * mm * mm;
		best = KHO_MAX(best, area);
		if (map && area >= KHO_PHOTO_MM2)
			rc = mark_photo(map, c, cw, ch, queue, n, err);
	}
	free(cell);
	free(queue);
	*mm2 = best;
	return rc;
}

int kho_stats_is_colour(const kho_page_stats *st)
{
	return st->colour_fraction > COLOUR_SHARE;
}

double kho_stats_blank_score(const kho_page_stats *st)
{
	return exp(-st->ink_fraction / BLANK_INK -
		   st->faint_clear_fraction / BLANK_FAINT);
}

int kho_stats_is_blank(const kho_page_stats *st)
{
	return st->ink_fraction < BLANK_INK &&
	       st->faint_clear_fraction < BLANK_FAINT;
}

kho_mode kho_stats_mode(const kho_page_stats *st, int source_channels,
			int source_bits, const char **reason)
{
	if (source_bits == 1) {
		*reason = "the scan is 1-bit";
		return KHO_MODE_BITONAL;
	}
	if (source_channels == 3 && kho_stats_is_colour(st)) {
		if (st->colour_fraction > COLOUR_PAGE) {
			*reason = "large areas of colour";
			return KHO_MODE_COLOUR;
		}
		/* Mixed mode keeps neutral ink sharp and colour at the
		 * background's resolution: print in colour would be blurred
		 * there (phototest typed in blue: 13% of its words misread in
		 * mixed mode, none in the scan). */
		if (st->colour_fraction * st->colour_ink_fraction >
		    st->ink_fraction * COLOUR_PRINT) {
			*reason = "print in coloured ink";
			return KHO_MODE_COLOUR;
		}
		/* Mixed mode would put a photo's darks in the text layer, in
		 * solid black, and the rest at the background's resolution. */
		if (st->photo_mm2 >= KHO_PHOTO_MM2) {
			*reason = "a photo on a page with colour";
			return KHO_MODE_COLOUR;
		}
		*reason = "text with a little meaningful colour (a seal, a "
			  "signature, a frame)";
		return KHO_MODE_MIXED;
	}
	if (st->midtone_fraction > MIDTONE_PAGE) {
		*reason = "continuous tone (a photo, shading)";
		return KHO_MODE_GREY;
	}
	if (st->photo_mm2 >= KHO_PHOTO_MM2) {
		*reason = "a photo on the page";
		return KHO_MODE_GREY;
	}
	if (st->faint_fraction > KHO_FAINT_TEXT &&
	    st->faint_fraction > st->ink_fraction) {
		*reason = "faint marks a threshold would lose (pencil)";
		return KHO_MODE_GREY;
	}
	*reason = st->shading > 0 ? "black text and lines on shaded paper"
				  : "black text and lines on paper";
	return KHO_MODE_BITONAL;
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
