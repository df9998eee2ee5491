#include "analysis/paper.h"

#include <math.h>

#define DEG (M_PI / 180.0)

void kho_paper_release(kho_paper *p)
{
	free(p->usable);
	free(p->mask);
	memset(p, 0, sizeof(*p));
}

/* Box average of the grey image into the mask's grid: the band's rows
 * summed column by column first (a plain loop the compiler vectorises),
 * then each box's columns. */
static uint8_t *reduce(const uint8_t *grey, size_t stride, uint32_t w,
		       uint32_t h, int f, uint32_t mw, uint32_t mh)
{
	uint8_t *out = malloc((size_t)mw * mh);
	uint32_t *col = malloc(((size_t)w ? w : 1) * sizeof(*col));
	if (!out || !col) {
		free(out);
		free(col);
		return NULL;
	}
	for (uint32_t my = 0; my < mh; my++) {
		const uint32_t y0 = my * (uint32_t)f;
		const uint32_t y1 = KHO_MIN(h, y0 + (uint32_t)f);
		for (uint32_t x = 0; x < w; x++)
			col[x] = 0;
		for (uint32_t y = y0; y < y1; y++) {
			const uint8_t *restrict row = grey + (size_t)y * stride;
			uint32_t *restrict c = col;
			for (uint32_t x = 0; x < w; x++)
				c[x] += row[x];
		}
		for (uint32_t mx = 0; mx < mw; mx++) {
			const uint32_t x0 = mx * (uint32_t)f;
			const uint32_t x1 = KHO_MIN(w, x0 + (uint32_t)f);
			uint32_t a = 0;
			for (uint32_t x = x0; x < x1; x++)
				a += col[x];
			/* the last row and column may hold fewer pixels */
			const uint32_t cnt = (x1 - x0) * (y1 - y0);
			out[(size_t)my * mw + mx] =
				(uint8_t)(cnt ? a / cnt : 255);
		}
	}
	free(col);
	return out;
}

/* 3x3 erosion (erode) or dilation (!erode) of a 0/1 mask, a row pass and
 * a column pass; beyond the image's edge nothing changes, so that a mark
 * touching the edge is not eaten from that side. */
static void morph(const uint8_t *in, uint8_t *out, uint32_t w, uint32_t h,
		  int erode)
{
	uint8_t *row = malloc((size_t)w * h);
	if (!row) { /* keep going unchanged rather than fail the page */
		memcpy(out, in, (size_t)w * h);
		return;
	}
	/* The first and last columns apart, so that the loop between them
	 * has no test and runs many bytes at a time. */
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *restrict s = in + (size_t)y * w;
		uint8_t *restrict d = row + (size_t)y * w;
		if (w < 2) { /* one column, or none */
			if (w)
				d[0] = s[0];
			continue;
		}
		d[0] = erode ? (s[0] & s[1]) : (s[0] | s[1]);
		if (erode)
			for (uint32_t x = 1; x + 1 < w; x++)
				d[x] = s[x - 1] & s[x] & s[x + 1];
		else
			for (uint32_t x = 1; x + 1 < w; x++)
				d[x] = s[x - 1] | s[x] | s[x + 1];
		d[w - 1] = erode ? (s[w - 2] & s[w - 1]) : (s[w - 2] | s[w - 1]);
	}
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *restrict c = row + (size_t)y * w;
		const uint8_t *restrict u = y ? c - w : c;
		const uint8_t *restrict b = y + 1 < h ? c + w : c;
		uint8_t *restrict d = out + (size_t)y * w;
		if (erode)
			for (uint32_t x = 0; x < w; x++)
				d[x] = u[x] & c[x] & b[x];
		else
			for (uint32_t x = 0; x < w; x++)
				d[x] = u[x] | c[x] | b[x];
	}
	free(row);
}

/* Marks (2) the set pixels of mask connected to the image's edge. */
static int flood_from_edge(uint8_t *m, uint32_t w, uint32_t h)
{
	uint32_t *queue = malloc(sizeof(*queue) * (size_t)w * h);
	if (!queue)
		return -1;
	size_t head = 0, tail = 0;
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			if (!(x == 0 || y == 0 || x == w - 1 || y == h - 1))
				continue;
			size_t i = (size_t)y * w + x;
			if (m[i] == 1) {
				m[i] = 2;
				queue[tail++] = (uint32_t)i;
			}
		}
	while (head < tail) {
		uint32_t i = queue[head++];
		uint32_t x = i % w, y = i / w;
		const long nb[4][2] = { { -1, 0 }, { 1, 0 }, { 0, -1 }, { 0, 1 } };
		for (int k = 0; k < 4; k++) {
			long xx = (long)x + nb[k][0], yy = (long)y + nb[k][1];
			if (xx < 0 || yy < 0 || xx >= w || yy >= h)
				continue;
			size_t j = (size_t)yy * w + (size_t)xx;
			if (m[j] == 1) {
				m[j] = 2;
				queue[tail++] = (uint32_t)j;
			}
		}
	}
	free(queue);
	return 0;
}

/*
 * Makes bed (2) every patch of other pixels (0 or 1) of at most most
 * pixels: the bed (and the image's edge) enclose it.  A scanner's noise
 * lifts a few of the bed's pixels over the threshold, and each would be
 * paper, where the walk in to the paper's edge stops short and the box
 * reaches out to it.  seen is scratch, w * h.  Returns -1 when out of
 * memory.
 */
static int fill_bed_specks(uint8_t *m, uint8_t *seen, uint32_t w, uint32_t h,
			   size_t most)
{
	const size_t n = (size_t)w * h;
	/* No bed at all (no dark ring round the page): the rest is one
	 * patch, made bed only where the whole image is that small. */
	if (!memchr(m, 2, n)) {
		if (n <= most)
			memset(m, 2, n);
		return 0;
	}
	uint32_t *queue = malloc(sizeof(*queue) * n);
	if (!queue)
		return -1;
	memset(seen, 0, n);
	for (size_t start = 0; start < n; start++) {
		if (m[start] == 2 || seen[start])
			continue;
		size_t head = 0, tail = 0;
		queue[tail++] = (uint32_t)start;
		seen[start] = 1;
		while (head < tail) {
			const uint32_t i = queue[head++];
			const uint32_t x = i % w, y = i / w;
			const uint32_t nb[4] = {x ? i - 1 : i,
						x + 1 < w ? i + 1 : i,
						y ? i - w : i,
						y + 1 < h ? i + w : i};
			for (int k = 0; k < 4; k++) {
				if (m[nb[k]] != 2 && !seen[nb[k]]) {
					seen[nb[k]] = 1;
					queue[tail++] = nb[k];
				}
			}
		}
		if (tail <= most)
			for (size_t k = 0; k < tail; k++)
				m[queue[k]] = 2;
	}
	free(queue);
	return 0;
}

/* Marks (2) the dark pixels (low < threshold) within band pixels of the
 * image's edge that touch the marked bed, through one another. */
static void grow_along_edge(uint8_t *m, const uint8_t *low, int threshold,
			    uint32_t w, uint32_t h, uint32_t band)
{
	uint32_t *queue = malloc(sizeof(*queue) * (size_t)w * h);
	if (!queue)
		return; /* the bed stays as the opening left it */
	size_t head = 0, tail = 0;
	/* The seeds: the bed within band + 1 of the edge, row by row; the
	 * middle of a row away from the top and bottom is passed over. */
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *row = m + (size_t)y * w;
		const int whole = y < band + 1 || y + band + 1 >= h;
		for (uint32_t x = 0; x < w; x++) {
			if (!whole && x == band + 1 && x + band + 1 < w)
				x = w - band - 1; /* the middle of the row */
			if (row[x] == 2)
				queue[tail++] = (uint32_t)((size_t)y * w + x);
		}
	}
	while (head < tail) {
		const uint32_t i = queue[head++];
		const uint32_t x = i % w, y = i / w;
		const long nb[4][2] = { { -1, 0 }, { 1, 0 }, { 0, -1 }, { 0, 1 } };
		for (int k = 0; k < 4; k++) {
			const long xx = (long)x + nb[k][0], yy = (long)y + nb[k][1];
			if (xx < 0 || yy < 0 || xx >= w || yy >= h)
				continue;
			if (xx >= band && yy >= band && xx + band < w &&
			    yy + band < h)
				continue;
			const size_t j = (size_t)yy * w + (size_t)xx;
			if (m[j] == 2 || low[j] >= threshold)
				continue;
			m[j] = 2;
			queue[tail++] = (uint32_t)j;
		}
	}
	free(queue);
}

/* The median of v[0..n), n > 0; sorts v. */
static double median_of(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), kho_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The line v = a u + b through points (u increasing), n of them:
 * started from the median slope of the pairs of points half of them
 * apart and the median intercept with it (Theil and Sen's estimate, which
 * the points near a corner, where the walk in met the neighbouring edge,
 * do not move while they are fewer than a quarter: least squares over
 * them all took a sheet askew 13.9 degrees for 13.1 along one side), then
 * least squares, twice, over the points within 1.5 mask pixels of the
 * line so far.  tmp: n long.  -1 where too few points are left. */
static int fit_line(const double *u, const double *v, size_t n, double *tmp,
		    double *a)
{
	if (n < 20)
		return -1;
	const size_t half = n / 2;
	size_t k = 0;
	for (size_t i = 0; i + half < n; i++)
		if (u[i + half] > u[i])
			tmp[k++] = (v[i + half] - v[i]) / (u[i + half] - u[i]);
	if (k == 0)
		return -1;
	double slope = median_of(tmp, k);
	for (size_t i = 0; i < n; i++)
		tmp[i] = v[i] - slope * u[i];
	double icpt = median_of(tmp, n);
	for (int pass = 0; pass < 2; pass++) {
		double su = 0, sv = 0, suu = 0, suv = 0, m = 0;
		for (size_t i = 0; i < n; i++) {
			if (fabs(v[i] - (slope * u[i] + icpt)) > 1.5)
				continue;
			su += u[i];
			sv += v[i];
			suu += u[i] * u[i];
			suv += u[i] * v[i];
			m++;
		}
		const double d = m * suu - su * su;
		if (m < 20 || d <= 0)
			return -1;
		slope = (m * suv - su * sv) / d;
		icpt = (sv - slope * su) / m;
	}
	*a = slope;
	return 0;
}

/* Sets p->sides: the sides of the image the bed (mask 0) shows along, a
 * twentieth of their length or more; *along, unless along is NULL: the
 * most of a side it shows along, 0..1.  Returns how many sides. */
static int bed_sides(kho_paper *p, double *along)
{
	static const char names[4] = { 't', 'l', 'b', 'r' };
	int n_sides = 0;
	double most = 0;
	for (int side = 0; side < 4; side++) {
		const uint32_t len = side % 2 ? p->mh : p->mw;
		uint32_t hits = 0;
		for (uint32_t t = 0; t < len; t++) {
			uint32_t x = side == 1 ? 0 : side == 3 ? p->mw - 1 : t;
			uint32_t y = side == 0 ? 0 : side == 2 ? p->mh - 1 : t;
			hits += !p->mask[(size_t)y * p->mw + x];
		}
		if (hits * 20 >= len)
			p->sides[n_sides++] = names[side];
		most = KHO_MAX(most, (double)hits / len);
	}
	p->sides[n_sides] = '\0';
	if (along)
		*along = most;
	return n_sides;
}

/* Paper this many mask pixels wide at most (a millimetre), between the
 * image's edge and the bed, is no sheet but a scanner's light line along
 * its edge: it is bed. */
#define SLIVER 2

/* A light line along the image's edge, outside the bed, this many mask
 * pixels wide at most when the bed is looked for behind it (2 mm: less
 * than any printer leaves unprinted along a sheet's edge, so that a dark
 * band behind it is no print). */
#define LINE_REACH 4

/* The pixels from the image's edge at m, each next step away, n in the
 * line: where reach or fewer light ones (threshold or above) lie before a
 * dark one, they take the level bed, and so does that dark one where it
 * lies above halfway to bed (it holds the line's edge and the bed's
 * both: left, it would make the bed look uneven).  Returns 1 where they
 * did. */
static int bridge_line(uint8_t *m, ptrdiff_t step, uint32_t n, uint32_t reach,
		       int threshold, uint8_t bed)
{
	uint32_t k = 0;
	while (k < n && k <= reach && m[(ptrdiff_t)k * step] >= threshold)
		k++;
	if (k == 0 || k > reach || k >= n)
		return 0;
	if (m[(ptrdiff_t)k * step] > (threshold + bed) / 2)
		k++;
	for (uint32_t i = 0; i < k; i++)
		m[(ptrdiff_t)i * step] = bed;
	return 1;
}

/* bridge_line on every row of the w x h image m from both its ends, then
 * every column; returns how many lines it bridged. */
static size_t bridge_edges(uint8_t *m, uint32_t w, uint32_t h, uint32_t reach,
			   int threshold, uint8_t bed)
{
	const ptrdiff_t down = (ptrdiff_t)w;
	size_t lines = 0;
	for (uint32_t y = 0; y < h; y++) {
		uint8_t *row = m + (size_t)y * w;
		lines += (size_t)bridge_line(row, 1, w, reach, threshold, bed);
		lines += (size_t)bridge_line(row + w - 1, -1, w, reach,
					     threshold, bed);
	}
	for (uint32_t x = 0; x < w; x++) {
		lines += (size_t)bridge_line(m + x, down, h, reach, threshold,
					     bed);
		lines += (size_t)bridge_line(m + (size_t)(h - 1) * w + x,
					     -down, h, reach, threshold, bed);
	}
	return lines;
}

/* Clears the slivers of paper (mask 1) along the image's four edges,
 * SLIVER pixels or fewer before the bed (mask 0): a scanner that leaves
 * a line of light pixels at the image's very edge, outside its dark frame
 * (8071_093.3B: a column or two on each side), would have the sheet reach
 * the image's edge down the whole of both sides. */
static void clear_slivers(kho_paper *p)
{
	bridge_edges(p->mask, p->mw, p->mh, SLIVER, 1, 0);
}

/* The angle of the paper's straight edges against the bed. */
static void edge_angle(kho_paper *p)
{
	const uint32_t w = p->mw, h = p->mh;
	const size_t most = KHO_MAX(w, h);
	double *u = malloc(most * sizeof(double));
	double *v = malloc(most * sizeof(double));
	double *tmp = malloc(most * sizeof(double));
	if (!u || !v || !tmp) {
		free(u);
		free(v);
		free(tmp);
		return;
	}
	double sum = 0, weight = 0;
	/* left and right edges: x as a function of y */
	for (int side = 0; side < 4; side++) {
		const int vertical = side < 2; /* left, right */
		const uint32_t len = vertical ? h : w, across = vertical ? w : h;
		size_t n = 0;
		/* The middle half of the side: near the corners the walk in
		 * meets the neighbouring edge. */
		for (uint32_t t = len / 4; t < len - len / 4; t++) {
			/* walk in from the side to the first paper pixel */
			uint32_t d = 0;
			for (; d < across; d++) {
				uint32_t x, y;
				if (vertical) {
					y = t;
					x = side == 0 ? d : w - 1 - d;
				} else {
					x = t;
					y = side == 2 ? d : h - 1 - d;
				}
				if (p->mask[(size_t)y * w + x])
					break;
			}
			/* only where bed lies between the image's edge and
			 * the paper, and not the whole way across */
			if (d == 0 || d >= across / 3)
				continue;
			u[n] = t;
			v[n] = (side == 0 || side == 2) ? (double)d
							: (double)(across - 1 - d);
			n++;
		}
		double a;
		if (n < KHO_MAX((size_t)20, (size_t)(len / 8)) ||
		    fit_line(u, v, n, tmp, &a) != 0)
			continue;
		/* Turned clockwise by t: a vertical edge has x = -tan t y,
		 * a horizontal one y = tan t x. */
		double angle = vertical ? -atan(a) / DEG : atan(a) / DEG;
		sum += angle * n;
		weight += n;
	}
	free(u);
	free(v);
	free(tmp);
	if (weight > 0) {
		p->edge_angle = sum / weight;
		p->edge_weight = KHO_MIN(1.0, weight / (double)(w + h));
	}
}

/* The sums over the bed's levels (low where m is 2, its inside only:
 * the sheet's edge blends the two levels) of 1, u, t, uu, ut, tt, v, uv,
 * tv and vv, u and t a pixel's place from the centre, v its level. */
typedef struct bed_sums {
	double s[10];
} bed_sums;

static bed_sums bed_sums_of(const uint8_t *m, const uint8_t *low, uint32_t w,
			    uint32_t h)
{
	bed_sums b = {{0}};
	const double cx = w / 2.0, cy = h / 2.0;
	for (uint32_t y = 1; y + 1 < h; y++)
		for (uint32_t x = 1; x + 1 < w; x++) {
			const size_t i = (size_t)y * w + x;
			if (m[i] != 2 || m[i - 1] != 2 || m[i + 1] != 2 ||
			    m[i - w] != 2 || m[i + w] != 2)
				continue;
			const double u = x - cx, t = y - cy, v = low[i];
			const double row[10] = {1,     u, t,	 u * u, u * t,
						t * t, v, u * v, t * v, v * v};
			for (int k = 0; k < 10; k++)
				b.s[k] += row[k];
		}
	return b;
}

/* The standard deviation of the bed's levels about their mean. */
static double flat_spread(const bed_sums *b)
{
	const double *s = b->s;
	if (s[0] == 0)
		return 0;
	const double mean = s[6] / s[0];
	return sqrt(KHO_MAX(0.0, s[9] / s[0] - mean * mean));
}

/* ... about the plane that fits them best by least squares; a bed too
 * small or thin to fit a plane to, about its mean. */
static double plane_spread(const bed_sums *b)
{
	const double *s = b->s;
	const double flat = flat_spread(b);
	if (s[0] == 0)
		return 0;
	/* The normal equations, by Cramer's rule. */
	const double A[3][3] = {
		{s[0], s[1], s[2]}, {s[1], s[3], s[4]}, {s[2], s[4], s[5]}};
	const double r[3] = {s[6], s[7], s[8]};
#define DET3(M)                                                                \
	((M)[0][0] * ((M)[1][1] * (M)[2][2] - (M)[1][2] * (M)[2][1]) -         \
	 (M)[0][1] * ((M)[1][0] * (M)[2][2] - (M)[1][2] * (M)[2][0]) +         \
	 (M)[0][2] * ((M)[1][0] * (M)[2][1] - (M)[1][1] * (M)[2][0]))
	const double det = DET3(A);
	if (!(fabs(det) > 1e-9 * s[0] * s[3] * s[5]))
		return flat;
	double rss = s[9];
	for (int k = 0; k < 3; k++) {
		double B[3][3];
		memcpy(B, A, sizeof(B));
		for (int i = 0; i < 3; i++)
			B[i][k] = r[i];
		rss -= DET3(B) / det * r[k];
	}
#undef DET3
	return KHO_MIN(flat, sqrt(KHO_MAX(0.0, rss / s[0])));
}

/* How far the paper stands above the bed across its edge: the median,
 * over the paper's mask pixels beside the bed, of the paper's level two
 * pixels in less the bed's two pixels out.  A sheet's edge is a step;
 * shading that crosses the threshold is a slope, and gives little. */
static int edge_step(const uint8_t *m, const uint8_t *low, uint32_t w,
		     uint32_t h)
{
	uint64_t hist[511] = {0}, n = 0;
	const size_t row = w; /* one row down */
	/* Each way (right, left, down, up): the next pixel and the one three
	 * out on the bed, the one two in not.  Most pixels have no bed
	 * beside them and are passed at the first test. */
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const size_t i = (size_t)y * row + x;
			if (m[i] == 2)
				continue;
			if (x >= 2 && x + 3 < w && m[i + 1] == 2 &&
			    m[i + 3] == 2 && m[i - 2] != 2) {
				hist[255 + low[i - 2] - low[i + 3]]++;
				n++;
			}
			if (x >= 3 && x + 2 < w && m[i - 1] == 2 &&
			    m[i - 3] == 2 && m[i + 2] != 2) {
				hist[255 + low[i + 2] - low[i - 3]]++;
				n++;
			}
			if (y >= 2 && y + 3 < h && m[i + row] == 2 &&
			    m[i + 3 * row] == 2 && m[i - 2 * row] != 2) {
				hist[255 + low[i - 2 * row] - low[i + 3 * row]]++;
				n++;
			}
			if (y >= 3 && y + 2 < h && m[i - row] == 2 &&
			    m[i - 3 * row] == 2 && m[i + 2 * row] != 2) {
				hist[255 + low[i + 2 * row] - low[i - 3 * row]]++;
				n++;
			}
		}
	uint64_t acc = 0;
	for (int k = 0; k < 511; k++) {
		acc += hist[k];
		if (2 * acc >= n && n)
			return k - 255;
	}
	return 0;
}

/* The level the brightest want pixels of hist reach, counting those at
 * or above from alone. */
static int level_of_brightest(const uint64_t hist[256], int from, uint64_t want)
{
	uint64_t acc = 0;
	for (int v = 255; v >= from; v--) {
		acc += hist[v];
		if (acc >= want)
			return v;
	}
	return from;
}

/* The paper's level in the histogram of the mask's n pixels, the bed at
 * bed: the level the brightest 40% reach, most of a scan being paper.
 * *small: 1 where that level is too close to the bed's and the pixels
 * well above the bed make a fiftieth of the image (a business card on an
 * A3 bed is a twenty-fifth), not a few bright marks; then *small_level is
 * the level the brightest 40% of those reach.  That is a sheet smaller
 * than the bed (a receipt, an A5 form on an A3 flatbed) if the bright
 * pixels make one (sheet_shaped). */
static int paper_level(const uint64_t hist[256], size_t n, int bed, int *small,
		       int *small_level)
{
	const int paper = level_of_brightest(hist, 0, (uint64_t)n * 2 / 5);
	const int above = bed + KHO_PAPER_CONTRAST + 1;
	*small = 0;
	*small_level = paper;
	if (paper - bed > KHO_PAPER_CONTRAST || above > 255)
		return paper;
	uint64_t bright = 0;
	for (int v = above; v < 256; v++)
		bright += hist[v];
	if (bright * 50 < n)
		return paper;
	*small = 1;
	*small_level = level_of_brightest(hist, above, bright * 2 / 5);
	return paper;
}

/* Whether the paper of p (paper_n mask pixels) is a sheet: it fills the
 * box it makes when turned straight, as a sheet of any size does, and the
 * light parts of a photo with a dark background do not.  Straight by its
 * edges' angle, else (edges too short or too far in to be fitted, as a
 * card's in the middle of the bed are) by the best of +-15 degrees in
 * half-degree steps. */
static int sheet_shaped(const kho_paper *p, size_t paper_n)
{
	const double area = (double)paper_n * p->factor * p->factor;
	double x, y, w, h;
	kho_paper_box(p, p->edge_angle, 0, &x, &y, &w, &h);
	if (area >= 0.85 * w * h)
		return 1;
	for (int step = -30; step <= 30; step++) {
		kho_paper_box(p, step * 0.5, 0, &x, &y, &w, &h);
		if (area >= 0.85 * w * h)
			return 1;
	}
	return 0;
}

/*
 * The bed among the pixels darker than threshold (none where the image
 * has no dark ring): those the image's edge reaches once thin dark marks
 * are opened away, with the specks on it; marked 2 in dark (tmp is
 * scratch, both mw * mh).  Sets p's mask, bed_share, bed_spread, sides,
 * and bed where it is one (even, with the paper above it at a step of
 * more than min_step; or a lid's slope), *bed_n, *lid where it is a
 * lid's, and *along, the largest share of a side of the image it runs
 * along.  Returns -1 when out of memory.
 */
static int find_bed(kho_paper *p, const uint8_t *low, int has_dark_ring,
		    int threshold, int min_step, double dpi, uint8_t *dark,
		    uint8_t *tmp, size_t *bed_n, int *lid, double *along)
{
	const size_t mn = (size_t)p->mw * p->mh;
	for (size_t i = 0; i < mn; i++)
		dark[i] = has_dark_ring && low[i] < threshold;
	morph(dark, tmp, p->mw, p->mh, 1);
	morph(tmp, dark, p->mw, p->mh, 0);
	if (flood_from_edge(dark, p->mw, p->mh) != 0)
		return -1;
	/* The opening also took the bed's thin slivers along the image's
	 * edge (where a crooked sheet's corner nearly meets it): grow the
	 * bed back into the dark pixels of a narrow band along the edge. */
	grow_along_edge(dark, low, threshold, p->mw, p->mh, 4);
	/* Specks of up to 10 square millimetres on the bed are bed. */
	const double mm = 25.4 * p->factor / dpi; /* a mask pixel's side */
	if (fill_bed_specks(dark, tmp, p->mw, p->mh,
			    (size_t)(10.0 / (mm * mm))) != 0)
		return -1;
	size_t n_bed = 0; /* counted here, not through bed_n: the mask's
			   * stores may alias it */
	for (size_t i = 0; i < mn; i++) {
		p->mask[i] = dark[i] != 2;
		n_bed += dark[i] == 2;
	}
	*bed_n = n_bed;
	p->bed_share = (double)n_bed / (double)mn;
	/* A bed is even: the spread of its levels is the scanner's noise.
	 * A photo or a dark drawing that runs off the edge of a scan with no
	 * bed is textured, and is content, never to be cut away. */
	const bed_sums sums = bed_sums_of(dark, low, p->mw, p->mh);
	p->bed_spread = flat_spread(&sums);

	const int n_sides = bed_sides(p, along);
	/* ... and the paper stands above it at a step: a shadow's dark side
	 * (a page that did not lie flat) fades into the paper. */
	const int dark_sides = n_sides > 0 && p->bed_share >= 0.002;
	const int step = dark_sides ? edge_step(dark, low, p->mw, p->mh) : 0;
	p->bed = dark_sides && p->bed_spread <= KHO_BED_SPREAD &&
		 step > min_step;
	/* A lid left open over the sheet: the light that gets in fades
	 * across the glass, and the bed is even only about that slope.  It
	 * is a bed where it lies all round a sheet with a sharp edge (a
	 * photo's shading lies to one side and crosses the threshold
	 * gently). */
	*lid = !p->bed && dark_sides && strcmp(p->sides, "tlbr") == 0 &&
	       plane_spread(&sums) <= KHO_BED_SPREAD &&
	       step > KHO_PAPER_CONTRAST;
	if (*lid)
		p->bed = 1;
	return 0;
}

/* The darker tenth of the levels of the mask's pixels from to to pixels
 * (from included) in from the image's edge. */
static int ring_level(const uint8_t *low, uint32_t w, uint32_t h,
		      uint32_t from, uint32_t to)
{
	uint64_t ring[256] = { 0 }, ring_n = 0;
	for (uint32_t y = 0; y < h; y++) {
		const uint32_t dy = KHO_MIN(y, h - 1 - y);
		/* Away from the top and bottom, only the pixels near the
		 * sides can be in the ring. */
		const uint32_t skip_from = dy >= to ? KHO_MIN(to, w) : w;
		const uint32_t skip_to = dy >= to && w > to ? w - to : w;
		for (uint32_t x = 0; x < w; x++) {
			if (x == skip_from && skip_to > x)
				x = skip_to;
			const uint32_t d = KHO_MIN(dy, KHO_MIN(x, w - 1 - x));
			if (d >= from && d < to) {
				ring[low[(size_t)y * w + x]]++;
				ring_n++;
			}
		}
	}
	int level = 0;
	for (uint64_t acc = 0; level < 255; level++) {
		acc += ring[level];
		if (acc * 10 >= ring_n)
			break;
	}
	return level;
}

/* The bed behind a light line along the image's edge (the image's
 * outermost pixels light, the pixels behind them, to LINE_REACH + 3 in
 * from the edge, dark in a tenth or more): its level read in that ring,
 * the line's pixels given the level of the bed behind them, the bed
 * looked for again.  It is a bed where find_bed finds one that shows
 * along two sides of the image or more (a dark bar or photo a
 * millimetre in from one edge of a page with no bed is not).  low is
 * the mask as find_bed reads it (coloured pixels made paper's white),
 * hist its levels before that.  Sets *found: 1 where it is, with p,
 * *bed_n and *lid as find_bed sets them, p's levels and *small; 0 where
 * it is not, p, *bed_n and *lid left in any state (the caller looks for
 * the bed again as it first did); -1 where there is no such line, all
 * as they were.  dark and tmp are scratch.  Returns -1 when out of
 * memory. */
static int bed_behind_line(kho_paper *p, const uint8_t *low,
			   const uint64_t hist[256], double dpi, uint8_t *dark,
			   uint8_t *tmp, size_t *bed_n, int *lid, int *small,
			   int *found)
{
	*found = -1;
	const uint32_t w = p->mw, h = p->mh;
	if (w < 4 * (LINE_REACH + 3) || h < 4 * (LINE_REACH + 3))
		return 0;
	const size_t mn = (size_t)w * h;
	const int bed = ring_level(low, w, h, 1, LINE_REACH + 3);
	int is_small = 0, paper = 0;
	paper_level(hist, mn, bed, &is_small, &paper);
	if (paper - bed <= KHO_PAPER_CONTRAST ||
	    ring_level(low, w, h, 0, 1) - bed <= KHO_PAPER_CONTRAST)
		return 0; /* no dark ring, or none hidden by a light line */
	const int threshold = (paper + bed) / 2;
	const uint8_t level = (uint8_t)bed;
	uint8_t *bridged = malloc(mn);
	if (!bridged)
		return -1;
	memcpy(bridged, low, mn);
	if (bridge_edges(bridged, w, h, LINE_REACH, threshold, level) == 0) {
		free(bridged);
		return 0;
	}
	double along = 0;
	*found = 0;
	const int rc = find_bed(p, bridged, 1, threshold, KHO_BED_STEP, dpi,
				dark, tmp, bed_n, lid, &along);
	free(bridged);
	if (rc != 0)
		return rc;
	if (!p->bed || strlen(p->sides) < 2) {
		p->bed = 0;
		return 0;
	}
	*found = 1;
	p->bed_level = bed;
	p->paper_level = paper;
	*small = is_small;
	return 0;
}

int kho_paper_find(const uint8_t *grey, const uint8_t *chroma, size_t stride,
		   uint32_t width, uint32_t height, double dpi, kho_paper *p,
		   kho_error *err)
{
	memset(p, 0, sizeof(*p));
	p->width = width;
	p->height = height;
	/* The mask at about 50 dpi: a 3x3 opening there removes anything
	 * thinner than 1.5 mm, which printed strokes and rules are. */
	int f = (int)floor(dpi / 50.0 + 0.5);
	p->factor = f < 1 ? 1 : f;
	p->mw = (width + p->factor - 1) / p->factor;
	p->mh = (height + p->factor - 1) / p->factor;
	const size_t mn = (size_t)p->mw * p->mh;
	uint8_t *low = reduce(grey, stride, width, height, p->factor, p->mw,
			      p->mh);
	uint8_t *tint = chroma ? reduce(chroma, stride, width, height,
					p->factor, p->mw, p->mh)
			       : NULL;
	uint8_t *dark = malloc(mn), *tmp = malloc(mn);
	p->mask = malloc(mn);
	p->usable = malloc((size_t)width * height);
	if (!low || !dark || !tmp || !p->mask || !p->usable ||
	    (chroma && !tint))
		goto oom;

	uint64_t hist[256] = { 0 };
	for (size_t i = 0; i < mn; i++)
		hist[low[i]]++;
	/* The bed's level: the darker tenth of the image's outer ring. */
	const int bed = ring_level(low, p->mw, p->mh, 0, 2);
	p->bed_level = bed;
	int small = 0, paper = 0;
	const int usual = paper_level(hist, mn, bed, &small, &paper);
	p->paper_level = paper;
	const int threshold = (paper + bed) / 2;
	const int has_dark_ring = paper - bed > KHO_PAPER_CONTRAST;

	/* Coloured pixels (chroma over 40, tint of paper included) are
	 * print, never the bed. */
	if (tint)
		for (size_t i = 0; i < mn; i++)
			if (tint[i] > 40)
				low[i] = 255;
	size_t bed_n = 0;
	int lid = 0;
	double along = 0;
	if (find_bed(p, low, has_dark_ring, threshold, KHO_BED_STEP, dpi, dark,
		     tmp, &bed_n, &lid, &along) != 0)
		goto oom;
	/* A shadow over the sheet's edge (a thick document's, a curl's)
	 * runs from the bed into the paper below the threshold, and the
	 * bed with it is not even: the bed is looked for again among the
	 * pixels near its own level, and the shadow left to the paper.  It
	 * is a bed where the paper stands above it at a sheet's sharp edge
	 * (the darkest part of a shadow where there is no bed steps up
	 * gently to the rest of it), and it runs along a whole side of the
	 * image (a dark photo that runs off the edge of a page does not).
	 * Else the bed is as first found: none. */
	if (!p->bed && has_dark_ring && p->bed_spread > KHO_BED_SPREAD &&
	    bed + KHO_SHADOW_ABOVE < threshold) {
		if (find_bed(p, low, has_dark_ring, bed + KHO_SHADOW_ABOVE,
			     KHO_PAPER_CONTRAST, dpi, dark, tmp, &bed_n, &lid,
			     &along) != 0)
			goto oom;
		if (p->bed && along < KHO_SHADOW_SIDE)
			p->bed = 0;
		if (!p->bed &&
		    find_bed(p, low, has_dark_ring, threshold, KHO_BED_STEP,
			     dpi, dark, tmp, &bed_n, &lid, &along) != 0)
			goto oom;
	}
	/* A light line along the image's very edge, outside the bed (a
	 * scanner's, or white added round a scan) keeps the bed from the
	 * edge, where the search starts, and its level from the outer ring:
	 * a line of 4 image pixels (0.3 mm) all round a 300 dpi scan hid a
	 * frame of 5 mm.  Looked for again behind such a line. */
	if (!p->bed) {
		int found = 0;
		if (bed_behind_line(p, low, hist, dpi, dark, tmp, &bed_n, &lid,
				    &small, &found) != 0)
			goto oom;
		if (found == 0 && find_bed(p, low, has_dark_ring, threshold,
				       KHO_BED_STEP, dpi, dark, tmp, &bed_n,
				       &lid, &along) != 0)
			goto oom;
	}
	if (p->bed) {
		/* The slivers made bed, the bed shows on their sides too. */
		clear_slivers(p);
		bed_sides(p, NULL);
		edge_angle(p);
	}
	/* Nothing but bed is no bed: a page dark all over.  Where the bed
	 * was looked for under a small sheet, the light parts must make
	 * one; else there is no bed, as if it had not been looked for. */
	if (bed_n == mn ||
	    (small && !(p->bed && sheet_shaped(p, mn - bed_n)))) {
		p->bed = 0;
		p->paper_level = usual;
		p->bed_share = 0;
		p->bed_spread = 0;
		p->edge_angle = 0;
		p->edge_weight = 0;
	} else if (lid && !sheet_shaped(p, mn - bed_n)) {
		p->bed = 0;
		p->edge_angle = 0;
		p->edge_weight = 0;
	}
	if (!p->bed) {
		memset(p->mask, 1, mn);
		p->sides[0] = '\0';
	}

	/* Usable: paper two mask pixels (a millimetre) away from the bed,
	 * past the blur and the shadow of the sheet's edge. */
	morph(p->mask, dark, p->mw, p->mh, 1);
	morph(dark, tmp, p->mw, p->mh, 1);
	for (uint32_t y = 0; y < height; y++) {
		uint8_t *u = p->usable + (size_t)y * width;
		if (y % p->factor) { /* the same as the row above */
			memcpy(u, u - width, width);
			continue;
		}
		const uint8_t *m = tmp + (size_t)(y / p->factor) * p->mw;
		/* by runs of mask pixels alike: a row is one or a few */
		for (uint32_t mx = 0; mx < p->mw;) {
			uint32_t run = mx + 1;
			while (run < p->mw && m[run] == m[mx])
				run++;
			const size_t x0 = (size_t)mx * (uint32_t)p->factor;
			const size_t x1 = KHO_MIN((size_t)width,
						  (size_t)run * (uint32_t)p->factor);
			memset(u + x0, m[mx], x1 - x0);
			mx = run;
		}
	}
	/* ... and from the image's edge, where a sliver of bed too thin for
	 * the mask may show (a crooked sheet's corner: a line of ink down
	 * the image's edge, which outweighed three lines of print). */
	const uint32_t frame = KHO_MIN((uint32_t)(2 * p->factor),
				       KHO_MIN(width, height) / 4);
	for (uint32_t y = 0; y < height; y++) {
		uint8_t *u = p->usable + (size_t)y * width;
		if (y < frame || y >= height - frame) {
			memset(u, 0, width);
			continue;
		}
		memset(u, 0, frame);
		memset(u + width - frame, 0, frame);
	}
	free(low);
	free(tint);
	free(dark);
	free(tmp);
	return KHO_OK;

oom:
	free(low);
	free(tint);
	free(dark);
	free(tmp);
	kho_paper_release(p);
	return kho_error_set(err, KHO_FATAL, "out of memory finding the paper");
}

void kho_paper_box(const kho_paper *p, double skew, double margin,
		   double *x, double *y, double *w, double *h)
{
	const double W = p->width, H = p->height;
	if (!p->bed || !p->mask) {
		*x = 0;
		*y = 0;
		*w = W;
		*h = H;
		return;
	}
	/* Turning back by skew: the content turned clockwise by skew goes
	 * counter-clockwise; a point at (dx, dy) from the centre goes to
	 * (dx c + dy s, -dx s + dy c). */
	const double c = cos(skew * DEG), s = sin(skew * DEG);
	const double cx = W / 2, cy = H / 2, f = p->factor;
	double x0 = 1e30, y0 = 1e30, x1 = -1e30, y1 = -1e30;
	for (uint32_t my = 0; my < p->mh; my++) {
		/* Along a row the turned coordinates change linearly, so the
		 * row's first and last mask pixels hold its extremes. */
		const uint8_t *row = p->mask + (size_t)my * p->mw;
		uint32_t first = 0, last = p->mw;
		while (first < p->mw && !row[first])
			first++;
		if (first == p->mw)
			continue;
		while (!row[last - 1])
			last--;
		const uint32_t ends[2] = { first, last - 1 };
		for (int e = 0; e < 2; e++) {
			const uint32_t mx = ends[e];
			/* both ends of the mask pixel */
			for (int k = 0; k < 4; k++) {
				const double px = (mx + (k & 1)) * f - cx;
				const double py = (my + (k >> 1)) * f - cy;
				const double sx = px * c + py * s + cx;
				const double sy = -px * s + py * c + cy;
				x0 = KHO_MIN(x0, sx);
				y0 = KHO_MIN(y0, sy);
				x1 = KHO_MAX(x1, sx);
				y1 = KHO_MAX(y1, sy);
			}
		}
	}
	x0 = KHO_MAX(0.0, x0 - margin);
	y0 = KHO_MAX(0.0, y0 - margin);
	x1 = KHO_MIN(W, x1 + margin);
	y1 = KHO_MIN(H, y1 + margin);
	*x = x0;
	*y = y0;
	*w = KHO_MAX(1.0, x1 - x0);
	*h = KHO_MAX(1.0, y1 - y0);
}

/* The ink's extent along one axis: the first and last bin of a histogram
 * with more than tol points before it (dust is not content). */
static void ink_extent(const uint32_t *hist, size_t n, uint32_t tol,
		       size_t *first, size_t *last)
{
	uint32_t acc = 0;
	*first = n;
	for (size_t i = 0; i < n; i++) {
		acc += hist[i];
		if (acc > tol) {
			*first = i;
			break;
		}
	}
	acc = 0;
	*last = 0;
	for (size_t i = n; i-- > 0;) {
		acc += hist[i];
		if (acc > tol) {
			*last = i;
			break;
		}
	}
}

/* Mask cell i's bounding box once the page is turned back (cos c, sin s
 * of the skew) about its centre, in image pixels. */
static void cell_turned(const kho_paper *p, size_t i, double c, double s,
			double *x0, double *y0, double *x1, double *y1)
{
	const double cx = p->width / 2.0, cy = p->height / 2.0, f = p->factor;
	const uint32_t mx = (uint32_t)(i % p->mw), my = (uint32_t)(i / p->mw);
	*x0 = *y0 = 1e30;
	*x1 = *y1 = -1e30;
	for (int k = 0; k < 4; k++) {
		const double px = (mx + (k & 1)) * f - cx;
		const double py = (my + (k >> 1)) * f - cy;
		const double sx = px * c + py * s + cx;
		const double sy = -px * s + py * c + cy;
		*x0 = KHO_MIN(*x0, sx);
		*y0 = KHO_MIN(*y0, sy);
		*x1 = KHO_MAX(*x1, sx);
		*y1 = KHO_MAX(*y1, sy);
	}
}

void kho_paper_trim(const kho_paper *p, double skew, const float *ink_x,
		    const float *ink_y, size_t n_ink, double *x, double *y,
		    double *w, double *h)
{
	if (!p->bed || !p->mask || *w < 2 || *h < 2)
		return;
	const double c = cos(skew * DEG), s = sin(skew * DEG);
	const double W = p->width, H = p->height;
	const double cx = W / 2, cy = H / 2, f = p->factor;
	const double L = *x, T = *y, R = *x + *w, B = *y + *h;
	/* the new sides: left, top, right, bottom */
	double cut[4] = { L, T, R, B };
	/* Only a side where the paper reaches the image's edge: there the
	 * bed beside it is a strip inside the box.  Where the box stops
	 * short of the edge, the sheet lies on the bed and its own edge is
	 * the box's (a crooked sheet's corners are left whole). */
	const int at_edge[4] = { L <= 2 * f, T <= 2 * f, R >= W - 2 * f,
				 B >= H - 2 * f };
	if (!at_edge[0] && !at_edge[1] && !at_edge[2] && !at_edge[3])
		return;
	/* The bed's pieces inside the box (cells joined side to side), each
	 * left out by the one side that has to move least for it. */
	const size_t mn = (size_t)p->mw * p->mh;
	uint8_t *in = calloc(mn ? mn : 1, 1);
	uint32_t *queue = malloc((mn ? mn : 1) * sizeof(*queue));
	if (!in || !queue) {
		free(in);
		free(queue);
		return; /* the box as it was: nothing is lost */
	}
	for (size_t i = 0; i < mn; i++) {
		if (p->mask[i])
			continue;
		/* inside by more than a cell: the sheet's blurred edge
		 * along the box is not a piece */
		double x0, y0, x1, y1;
		cell_turned(p, i, c, s, &x0, &y0, &x1, &y1);
		const double mx = (x0 + x1) / 2, my = (y0 + y1) / 2;
		in[i] = mx > L + f && mx < R - f && my > T + f && my < B - f;
	}
	for (size_t start = 0; start < mn; start++) {
		if (in[start] != 1)
			continue;
		double bx0 = 1e30, by0 = 1e30, bx1 = -1e30, by1 = -1e30;
		size_t head = 0, tail = 0;
		queue[tail++] = (uint32_t)start;
		in[start] = 2;
		while (head < tail) {
			const uint32_t i = queue[head++];
			double x0, y0, x1, y1;
			cell_turned(p, i, c, s, &x0, &y0, &x1, &y1);
			bx0 = KHO_MIN(bx0, x0);
			by0 = KHO_MIN(by0, y0);
			bx1 = KHO_MAX(bx1, x1);
			by1 = KHO_MAX(by1, y1);
			const uint32_t mx = i % p->mw, my = i / p->mw;
			const uint32_t next[4] = {
				mx > 0 ? i - 1 : i, mx + 1 < p->mw ? i + 1 : i,
				my > 0 ? i - p->mw : i,
				my + 1 < p->mh ? i + p->mw : i };
			for (int k = 0; k < 4; k++)
				if (in[next[k]] == 1) {
					in[next[k]] = 2;
					queue[tail++] = next[k];
				}
		}
		/* A side takes the piece when the piece reaches it, lies
		 * within a fifth of the page of it and runs along it further
		 * than it reaches in: a strip along that side, not a wedge
		 * beside the whole sheet nor a sliver along another side. */
		const double need[4] = { bx1 - L, by1 - T, R - bx0, B - by0 };
		const double reach[4] = { bx0 - L, by0 - T, R - bx1, B - by1 };
		const double most[4] = { (R - L) / 5, (B - T) / 5, (R - L) / 5,
					 (B - T) / 5 };
		const double along[4] = { by1 - by0, bx1 - bx0, by1 - by0,
					  bx1 - bx0 };
		int side = -1;
		for (int k = 0; k < 4; k++)
			if (at_edge[k] && reach[k] <= 2 * f &&
			    need[k] <= most[k] && along[k] >= need[k] &&
			    (side < 0 || need[k] < need[side]))
				side = k;
		/* a mask pixel more: the strip's blurred edge, the partly
		 * dark cells at its corners */
		switch (side) {
		case -1: break;
		case 0: cut[0] = KHO_MAX(cut[0], bx1 + f); break;
		case 1: cut[1] = KHO_MAX(cut[1], by1 + f); break;
		case 2: cut[2] = KHO_MIN(cut[2], bx0 - f); break;
		default: cut[3] = KHO_MIN(cut[3], by0 - f); break;
		}
	}
	free(in);
	free(queue);
	if (cut[0] == L && cut[1] == T && cut[2] == R && cut[3] == B)
		return;
	/* No side past the content: the ink's extent, straightened, in
	 * bins of a mask pixel. */
	const size_t nx = (size_t)(W / f) + 2, ny = (size_t)(H / f) + 2;
	uint32_t *hx = calloc(nx, sizeof(*hx)), *hy = calloc(ny, sizeof(*hy));
	if (!hx || !hy) {
		free(hx);
		free(hy);
		return; /* the box as it was: nothing is lost */
	}
	size_t inside = 0;
	for (size_t i = 0; i < n_ink; i++) {
		const double px = ink_x[i] - cx, py = ink_y[i] - cy;
		const double sx = px * c + py * s + cx;
		const double sy = -px * s + py * c + cy;
		if (sx < L || sx >= R || sy < T || sy >= B)
			continue;
		hx[KHO_MIN((size_t)(sx / f), nx - 1)]++;
		hy[KHO_MIN((size_t)(sy / f), ny - 1)]++;
		inside++;
	}
	const uint32_t tol = (uint32_t)KHO_MAX((size_t)2, inside / 20000);
	size_t fx, lx, fy, ly;
	ink_extent(hx, nx, tol, &fx, &lx);
	ink_extent(hy, ny, tol, &fy, &ly);
	free(hx);
	free(hy);
	const double margin = 4 * f; /* about 2 mm */
	if (fx <= lx) {
		cut[0] = KHO_MIN(cut[0], fx * f - margin);
		cut[2] = KHO_MAX(cut[2], (lx + 1) * f + margin);
	}
	if (fy <= ly) {
		cut[1] = KHO_MIN(cut[1], fy * f - margin);
		cut[3] = KHO_MAX(cut[3], (ly + 1) * f + margin);
	}
	/* at most a fifth of the page a side, never outward */
	cut[0] = KHO_MAX(L, KHO_MIN(cut[0], L + (R - L) / 5));
	cut[2] = KHO_MIN(R, KHO_MAX(cut[2], R - (R - L) / 5));
	cut[1] = KHO_MAX(T, KHO_MIN(cut[1], T + (B - T) / 5));
	cut[3] = KHO_MIN(B, KHO_MAX(cut[3], B - (B - T) / 5));
	*x = cut[0];
	*y = cut[1];
	*w = cut[2] - cut[0];
	*h = cut[3] - cut[1];
}
