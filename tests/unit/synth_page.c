#include "synth_page.h"

#include <math.h>

#define SYNTH_DEG (M_PI / 180.0)

/* ---- numbers ---- */

/* Knuth's MMIX LCG; the high half is the good one. */
uint32_t synth_next(synth_rng *rng)
{
	rng->state =
		rng->state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng->state >> 32);
}

void synth_bytes(synth_rng *rng, uint8_t *out, size_t n)
{
	for (size_t k = 0; k < n; k++)
		out[k] = (uint8_t)(synth_next(rng) >> 24);
}

double synth_unit(synth_rng *rng)
{
	return (double)(synth_next(rng) >> 8) / 16777216.0;
}

double synth_gauss(synth_rng *rng)
{
	/* four uniforms of 16 bits from two draws */
	const uint32_t a = synth_next(rng), b = synth_next(rng);
	const double s = (double)(a & 0xffff) + (double)(a >> 16) +
			 (double)(b & 0xffff) + (double)(b >> 16);
	return (s / 65536.0 - 2.0) * sqrt(3.0);
}

static int chance(synth_rng *rng, double p)
{
	return synth_unit(rng) < p;
}

/* ---- drawing ---- */

static void out_of_memory(void)
{
	fprintf(stderr, "synth_page: out of memory\n");
	abort();
}

void synth_page_new(synth_page *pg, uint32_t width, uint32_t height,
		    int channels, int scale, synth_rgb paper)
{
	kho_error err = KHO_ERROR_INIT;
	assert(scale >= 1 && (channels == 1 || channels == 3));
	pg->scale = scale;
	pg->reduced = NULL;
	pg->width = width;
	pg->height = height;
	if (kho_image_alloc(&pg->canvas, width * (uint32_t)scale,
			    height * (uint32_t)scale, channels, &err) != 0)
		out_of_memory();
	const kho_image *c = &pg->canvas;
	for (uint32_t y = 0; y < c->height; y++) {
		uint8_t *row = c->pixels + (size_t)y * c->stride;
		if (channels == 1) {
			memset(row, paper.r, c->width);
			continue;
		}
		for (uint32_t x = 0; x < c->width; x++) {
			row[3 * x] = paper.r;
			row[3 * x + 1] = paper.g;
			row[3 * x + 2] = paper.b;
		}
	}
}

void synth_page_release(synth_page *pg)
{
	kho_image_release(&pg->canvas);
	free(pg->reduced);
	pg->reduced = NULL;
}

static void put(kho_image *img, long x, long y, synth_rgb c)
{
	uint8_t *p = img->pixels + (size_t)y * img->stride +
		     (size_t)x * (size_t)img->channels;
	p[0] = c.r;
	if (img->channels == 3) {
		p[1] = c.g;
		p[2] = c.b;
	}
}

/* Drawing makes the reduced canvas stale. */
static void changed(synth_page *pg)
{
	free(pg->reduced);
	pg->reduced = NULL;
}

/* The canvas pixels [*a, *b) a span of the page covers, cut to n. */
static void span(double from, double len, int scale, uint32_t n, long *a,
		 long *b)
{
	*a = lround(from * scale);
	*b = lround((from + len) * scale);
	if (*a < 0)
		*a = 0;
	if (*b > (long)n)
		*b = (long)n;
}

void synth_rect(synth_page *pg, double x, double y, double w, double h,
		synth_rgb c)
{
	changed(pg);
	long x0, x1, y0, y1;
	span(x, w, pg->scale, pg->canvas.width, &x0, &x1);
	span(y, h, pg->scale, pg->canvas.height, &y0, &y1);
	for (long yy = y0; yy < y1; yy++)
		for (long xx = x0; xx < x1; xx++)
			put(&pg->canvas, xx, yy, c);
}

void synth_ring(synth_page *pg, double cx, double cy, double radius,
		double width, synth_rgb c)
{
	changed(pg);
	const double s = pg->scale, reach = radius + width;
	long x0, x1, y0, y1;
	span(cx - reach, 2 * reach, pg->scale, pg->canvas.width, &x0, &x1);
	span(cy - reach, 2 * reach, pg->scale, pg->canvas.height, &y0, &y1);
	for (long y = y0; y < y1; y++)
		for (long x = x0; x < x1; x++) {
			const double d =
				hypot((x + 0.5) / s - cx, (y + 0.5) / s - cy);
			if (fabs(d - radius) < width / 2)
				put(&pg->canvas, x, y, c);
		}
}

void synth_photo(synth_page *pg, double x, double y, double w, double h,
		 double turn, int lo, int hi, double grain, synth_rng *rng)
{
	changed(pg);
	/* Value noise: random levels on a grid grain apart, bilinear in
	 * between, and a little fine noise on top. */
	const size_t gw = (size_t)(w / grain) + 2, gh = (size_t)(h / grain) + 2;
	double *grid = malloc(gw * gh * sizeof(*grid));
	if (!grid)
		out_of_memory();
	for (size_t i = 0; i < gw * gh; i++)
		grid[i] = synth_unit(rng);
	const double cx = x + w / 2, cy = y + h / 2, reach = hypot(w, h) / 2;
	const double c = cos(turn * SYNTH_DEG), s = sin(turn * SYNTH_DEG);
	long x0, x1, y0, y1;
	span(cx - reach, 2 * reach, pg->scale, pg->canvas.width, &x0, &x1);
	span(cy - reach, 2 * reach, pg->scale, pg->canvas.height, &y0, &y1);
	for (long yy = y0; yy < y1; yy++)
		for (long xx = x0; xx < x1; xx++) {
			/* the point in the photo, turned back */
			const double dx = (xx + 0.5) / pg->scale - cx;
			const double dy = (yy + 0.5) / pg->scale - cy;
			const double u = (dx * c + dy * s + w / 2) / grain;
			const double v = (-dx * s + dy * c + h / 2) / grain;
			if (u < 0 || v < 0 || u >= w / grain || v >= h / grain)
				continue;
			const size_t i = KHO_MIN((size_t)u, gw - 2);
			const size_t j = KHO_MIN((size_t)v, gh - 2);
			const double a = u - (double)i, b = v - (double)j;
			const double t = (grid[j * gw + i] * (1 - a) +
					  grid[j * gw + i + 1] * a) *
						 (1 - b) +
					 (grid[(j + 1) * gw + i] * (1 - a) +
					  grid[(j + 1) * gw + i + 1] * a) *
						 b;
			double l = lo + (hi - lo) * t + 3 * synth_gauss(rng);
			l = l < 0 ? 0 : l > 255 ? 255 : l;
			put(&pg->canvas, xx, yy,
			    SYNTH_GREY((uint8_t)lround(l)));
		}
	free(grid);
}

double synth_number(synth_page *pg, double x, double y, double h, double stroke,
		    unsigned value, synth_rgb c)
{
	/* Segments a (top), b, c (right, top to bottom), d (bottom), e, f
	 * (left, bottom to top), g (middle). */
	static const uint8_t seg[10] = {0x3f, 0x06, 0x5b, 0x4f, 0x66,
					0x6d, 0x7d, 0x07, 0x7f, 0x6f};
	char digits[16];
	const int n = snprintf(digits, sizeof(digits), "%u", value);
	const double w = 0.6 * h, gap = 0.35 * h, half = h / 2;
	for (int k = 0; k < n; k++) {
		const uint8_t m = seg[digits[k] - '0'];
		const double dx = x + k * (w + gap);
		if (m & 0x01)
			synth_rect(pg, dx, y, w, stroke, c);
		if (m & 0x02)
			synth_rect(pg, dx + w - stroke, y, stroke, half, c);
		if (m & 0x04)
			synth_rect(pg, dx + w - stroke, y + half, stroke, half,
				   c);
		if (m & 0x08)
			synth_rect(pg, dx, y + h - stroke, w, stroke, c);
		if (m & 0x10)
			synth_rect(pg, dx, y + half, stroke, half, c);
		if (m & 0x20)
			synth_rect(pg, dx, y, stroke, half, c);
		if (m & 0x40)
			synth_rect(pg, dx, y + half - stroke / 2, w, stroke, c);
	}
	return n * w + (n - 1) * gap;
}

/* Ascender and descender, in x-heights. */
#define ASCENDER 0.5
#define DESCENDER 0.4

synth_text synth_latin(double x0, double y0, double x1, double y1,
		       synth_rgb ink)
{
	const synth_text t = {SYNTH_LATIN, x0, y0, x1, y1, 10, 2, 0, ink};
	return t;
}

double synth_line_height(const synth_text *t)
{
	return (1 + ASCENDER + DESCENDER) * t->x_height;
}

/* A Latin-like glyph whose body's top left corner is at (x, top); returns
 * its width. */
static double latin_glyph(synth_page *pg, const synth_text *t, double x,
			  double top, synth_rng *rng)
{
	const double xh = t->x_height, st = t->stroke;
	const double w = xh * (0.5 + 0.3 * synth_unit(rng));
	const double base = top + xh;
	const int shape = (int)(synth_next(rng) % 4);
	/* The sides; the top but for 'u', the foot but for 'n', the bar
	 * across of 'e'. */
	synth_rect(pg, x, top, st, xh, t->ink);
	synth_rect(pg, x + w - st, top, st, xh, t->ink);
	if (shape != 1)
		synth_rect(pg, x, top, w, st, t->ink);
	if (shape != 2)
		synth_rect(pg, x, base - st, w, st, t->ink);
	if (shape == 3)
		synth_rect(pg, x, top + xh / 2 - st / 2, w, st, t->ink);
	int above = 0;
	if (chance(rng, 0.40)) {
		synth_rect(pg, x, top - ASCENDER * xh, st, ASCENDER * xh,
			   t->ink);
		above = 1;
	}
	if (chance(rng, 0.08))
		synth_rect(pg, x + w - st, base, st, DESCENDER * xh, t->ink);
	/* Tone marks and the circumflex over vowels; the dot below. */
	if (!above && chance(rng, 0.15))
		synth_rect(pg, x + w / 2 - st, top - 0.45 * xh, 2 * st, st,
			   t->ink);
	if (chance(rng, 0.02))
		synth_rect(pg, x + w / 2 - st / 2, base + 0.15 * xh, st, st,
			   t->ink);
	return w;
}

/* A glyph hanging from the headline at top (drawn by the word); returns
 * its width. */
static double headline_glyph(synth_page *pg, const synth_text *t, double x,
			     double top, synth_rng *rng)
{
	const double xh = t->x_height, st = t->stroke;
	const double w = xh * (0.8 + 0.3 * synth_unit(rng));
	const double base = top + xh;
	/* The stem on the right, then one of a few shapes on its left,
	 * their cross strokes at different heights. */
	synth_rect(pg, x + w - st, top, st, xh, t->ink);
	const double at = top + xh * (0.3 + 0.4 * synth_unit(rng));
	switch (synth_next(rng) % 4) {
	case 0: /* a hook hanging to a bar into the stem */
		synth_rect(pg, x, top, st, at - top + st, t->ink);
		synth_rect(pg, x, at, w - st, st, t->ink);
		break;
	case 1: /* a second, shorter stem */
		synth_rect(pg, x + st / 2, top, st, xh * 0.7, t->ink);
		break;
	case 2: /* a small loop */
		synth_rect(pg, x, at, st, base - at - 0.2 * xh, t->ink);
		synth_rect(pg, x, at, w - st, st, t->ink);
		synth_rect(pg, x, base - 0.2 * xh - st, w / 2, st, t->ink);
		break;
	default: /* a bowl at the foot */
		synth_rect(pg, x, at, st, base - at, t->ink);
		synth_rect(pg, x, base - st, w - st, st, t->ink);
		break;
	}
	if (chance(rng, 0.15)) /* a vowel sign above the headline */
		synth_rect(pg, x, top - ASCENDER * xh, st, ASCENDER * xh,
			   t->ink);
	if (chance(rng, 0.08)) /* one below */
		synth_rect(pg, x + w / 2 - st, base + 0.1 * xh, 2 * st,
			   DESCENDER * xh * 0.6, t->ink);
	return w;
}

/* One word from x on a line whose bodies start at top, ending before
 * end; returns its width, or 0 when it does not fit. */
static double word(synth_page *pg, const synth_text *t, double x, double top,
		   double end, synth_rng *rng)
{
	const int n = 1 + (int)(synth_next(rng) % 8);
	/* Draw on a copy of the generator first to see whether it fits:
	 * the widths come from the same draws. */
	const double gap = t->script == SYNTH_LATIN ? 0.2 * t->x_height : 0;
	synth_rng probe = *rng;
	double w = 0;
	for (int k = 0; k < n; k++) {
		w += t->x_height * (t->script == SYNTH_LATIN
					    ? 0.5 + 0.3 * synth_unit(&probe)
					    : 0.8 + 0.3 * synth_unit(&probe));
		/* the rest of the glyph's draws: a fixed number, so the
		 * probe stays in step with the real drawing */
		for (int d = 0; d < 7; d++)
			(void)synth_next(&probe);
	}
	w += gap * (n - 1);
	if (x + w > end)
		return 0;
	double at = x;
	for (int k = 0; k < n; k++) {
		synth_rng g = *rng; /* each glyph uses 8 draws, as probed */
		at += (t->script == SYNTH_LATIN
			       ? latin_glyph(pg, t, at, top, &g)
			       : headline_glyph(pg, t, at, top, &g)) +
		      gap;
		for (int d = 0; d < 8; d++)
			(void)synth_next(rng);
	}
	if (t->script == SYNTH_HEADLINE)
		synth_rect(pg, x - 0.1 * t->x_height, top,
			   w + 0.2 * t->x_height, t->stroke, t->ink);
	return w;
}

int synth_text_block(synth_page *pg, const synth_text *t, synth_rng *rng)
{
	const double lh = synth_line_height(t);
	const double pitch = t->pitch > 0 ? t->pitch : 1.6 * lh;
	const double width = t->x1 - t->x0;
	int lines = 0, left_in_paragraph = 0;
	for (double y = t->y0; y + lh <= t->y1; y += pitch) {
		double x = t->x0, end = t->x1;
		if (left_in_paragraph == 0) { /* a new paragraph */
			left_in_paragraph = 4 + (int)(synth_next(rng) % 6);
			x += 3 * t->x_height;
		}
		if (--left_in_paragraph == 0) /* its last line */
			end = t->x0 + width * (0.25 + 0.6 * synth_unit(rng));
		const double top = y + ASCENDER * t->x_height;
		for (;;) {
			const double w = word(pg, t, x, top, end, rng);
			if (w == 0)
				break;
			x += w + 0.6 * t->x_height;
		}
		lines++;
	}
	return lines;
}

/* ---- the scan ---- */

/* The canvas reduced to the target's resolution: the mean of each
 * scale x scale block. */
static float *reduce(synth_page *pg)
{
	if (pg->reduced)
		return pg->reduced;
	const kho_image *c = &pg->canvas;
	const int S = pg->scale, ch = c->channels;
	float *r =
		calloc((size_t)pg->width * pg->height * (size_t)ch, sizeof(*r));
	if (!r)
		out_of_memory();
	const float inv = 1.0f / (float)(S * S);
	for (uint32_t y = 0; y < c->height; y++) {
		const uint8_t *row = c->pixels + (size_t)y * c->stride;
		float *d = r + (size_t)(y / S) * pg->width * (size_t)ch;
		for (uint32_t x = 0; x < c->width; x++)
			for (int k = 0; k < ch; k++)
				d[(size_t)(x / S) * ch + k] +=
					row[(size_t)x * ch + k] * inv;
	}
	pg->reduced = r;
	return r;
}

void synth_to_image(const synth_page *pg, double degrees, uint32_t width,
		    uint32_t height, double px, double py, double *ix,
		    double *iy)
{
	const double c = cos(degrees * SYNTH_DEG), s = sin(degrees * SYNTH_DEG);
	const double u = px - pg->width / 2.0, v = py - pg->height / 2.0;
	*ix = u * c - v * s + width / 2.0;
	*iy = u * s + v * c + height / 2.0;
}

void synth_to_page(const synth_page *pg, double degrees, uint32_t width,
		   uint32_t height, double ix, double iy, double *px,
		   double *py)
{
	const double c = cos(degrees * SYNTH_DEG), s = sin(degrees * SYNTH_DEG);
	const double dx = ix - width / 2.0, dy = iy - height / 2.0;
	*px = dx * c + dy * s + pg->width / 2.0;
	*py = -dx * s + dy * c + pg->height / 2.0;
}

void synth_render(synth_page *pg, double degrees, uint32_t width,
		  uint32_t height, synth_rgb outside, kho_image *out)
{
	kho_error err = KHO_ERROR_INIT;
	const int ch = pg->canvas.channels;
	if (kho_image_alloc(out, width, height, ch, &err) != 0)
		out_of_memory();
	float *r = reduce(pg);
	const long pw = pg->width, ph = pg->height;
	const float fill[3] = {outside.r, outside.g, outside.b};
	/* synth_to_page() spelt out, to pixel centres at + 0.5 */
	const double c = cos(degrees * SYNTH_DEG), s = sin(degrees * SYNTH_DEG);
	for (uint32_t y = 0; y < height; y++) {
		uint8_t *row = out->pixels + (size_t)y * out->stride;
		const double dy = y + 0.5 - height / 2.0;
		for (uint32_t x = 0; x < width; x++) {
			const double dx = x + 0.5 - width / 2.0;
			const double px = dx * c + dy * s + pw / 2.0 - 0.5;
			const double py = -dx * s + dy * c + ph / 2.0 - 0.5;
			const double fx = floor(px), fy = floor(py);
			const double a = px - fx, b = py - fy;
			const long x0 = (long)fx, y0 = (long)fy;
			const double wt[4] = {(1 - a) * (1 - b), a * (1 - b),
					      (1 - a) * b, a * b};
			double sum[3] = {0, 0, 0};
			for (int k = 0; k < 4; k++) {
				const long xx = x0 + (k & 1),
					   yy = y0 + (k >> 1);
				const float *p =
					xx >= 0 && yy >= 0 && xx < pw && yy < ph
						? r + ((size_t)yy * (size_t)pw +
						       (size_t)xx) *
								  (size_t)ch
						: fill;
				for (int i = 0; i < ch; i++)
					sum[i] += wt[k] * p[i];
			}
			for (int i = 0; i < ch; i++)
				row[(size_t)x * ch + i] =
					(uint8_t)(sum[i] + 0.5);
		}
	}
}

void synth_noise(kho_image *img, double sd, synth_rng *rng)
{
	for (uint32_t y = 0; y < img->height; y++) {
		uint8_t *row = img->pixels + (size_t)y * img->stride;
		for (uint32_t x = 0; x < img->width; x++) {
			const long d = lround(sd * synth_gauss(rng));
			for (int k = 0; k < img->channels; k++) {
				uint8_t *p =
					row + (size_t)x * img->channels + k;
				const long v = *p + d;
				*p = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
		}
	}
}

void synth_light(kho_image *img, const double *light)
{
	for (uint32_t y = 0; y < img->height; y++) {
		uint8_t *row = img->pixels + (size_t)y * img->stride;
		for (uint32_t x = 0; x < img->width; x++)
			for (int k = 0; k < img->channels; k++) {
				uint8_t *p = row + (size_t)x * img->channels + k;
				*p = (uint8_t)lround(*p * light[x]);
			}
	}
}

uint8_t *synth_grey(const kho_image *img)
{
	uint8_t *g = malloc((size_t)img->width * img->height);
	if (!g)
		out_of_memory();
	for (uint32_t y = 0; y < img->height; y++) {
		const uint8_t *s = img->pixels + (size_t)y * img->stride;
		uint8_t *d = g + (size_t)y * img->width;
		for (uint32_t x = 0; x < img->width; x++)
			d[x] = img->channels == 1
				       ? s[x]
				       : (uint8_t)((s[3 * x] * 77 +
						    s[3 * x + 1] * 150 +
						    s[3 * x + 2] * 29) >>
						   8);
	}
	return g;
}
