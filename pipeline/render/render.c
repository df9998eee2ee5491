/*
 * The row pipeline: decoded rows -> colour management and the working
 * channels -> the source (a band, or the whole page for a quarter turn)
 * -> the plan's geometry, sampled bilinearly -> area resampling -> the
 * mode's layers.
 *
 * Every step of the plan (mirror, quarter turn, deskew about the turned
 * page's centre, crop) is affine, so they compose into one map from a
 * pixel of the cropped straight page to a point of the stored image:
 * sx = a0 + ax * i + ay * j, sy = b0 + bx * i + by * j.  The page is then
 * sampled once, with no intermediate image.  With no quarter turn and no
 * half turn, sy grows with j, so a row of the output only needs a band of
 * source rows around it: the band is all that is kept.
 */
#include "render/render_private.h"
#include "render/colour_manage.h"

#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Below this the skew is not worth a resampling of the page. */
#define MIN_SKEW_DEG 0.01

unsigned kho_render_decode_scale(double source_dpi, int output_dpi)
{
	unsigned scale = 1;
	while (scale < 8 && source_dpi / (scale * 2) >= output_dpi)
		scale *= 2;
	return scale;
}

void kho_rendered_release(kho_rendered *r)
{
	if (!r)
		return;
	free(r->bits);
	kho_image_release(&r->image);
	free(r->yuv.plane[0]);
	*r = (kho_rendered)KHO_RENDERED_INIT;
}

/* ---- geometry ---- */

typedef struct geometry {
	uint32_t crop_x, crop_y, crop_w, crop_h; /* full resolution */
	uint32_t out_w, out_h;			 /* at plan->dpi */
	uint32_t warp_w, warp_h;		 /* at 1/scale */
	double a0, ax, ay, b0, bx, by;		 /* into the decoded rows */
	int exact;				 /* integer map: no filter */
} geometry;

static int plan_check(const kho_plan *plan, kho_error *err)
{
	if (!(plan->source_dpi > 0) || plan->dpi <= 0)
		return kho_error_set(
			err, KHO_FAIL,
			"the plan has no usable resolution (source "
			"%g dpi, output %d dpi)",
			plan->source_dpi, plan->dpi);
	if (plan->rotation % 90 || plan->rotation < 0 || plan->rotation > 270)
		return kho_error_set(err, KHO_FAIL,
				     "the plan's rotation %d is not 0, 90, 180 "
				     "or 270",
				     plan->rotation);
	if (!isfinite(plan->skew) || fabs(plan->skew) > 45)
		return kho_error_set(err, KHO_FAIL,
				     "the plan's skew %g is not within 45 "
				     "degrees",
				     plan->skew);
	if (plan->mode < KHO_MODE_BITONAL || plan->mode > KHO_MODE_MIXED)
		return kho_error_set(err, KHO_FAIL,
				     "the plan's mode is unknown");
	return KHO_OK;
}

/* The crop in the straight page, cut to it; the whole page without one. */
static void crop_box(const kho_plan *plan, uint32_t tw, uint32_t th,
		     geometry *g)
{
	g->crop_x = g->crop_y = 0;
	g->crop_w = tw;
	g->crop_h = th;
	if (plan->crop_w <= 0 || plan->crop_h <= 0)
		return;
	g->crop_x =
		(uint32_t)KHO_MIN(KHO_MAX(plan->crop_x, 0), (int64_t)tw - 1);
	g->crop_y =
		(uint32_t)KHO_MIN(KHO_MAX(plan->crop_y, 0), (int64_t)th - 1);
	g->crop_w = KHO_MIN((uint32_t)plan->crop_w, tw - g->crop_x);
	g->crop_h = KHO_MIN((uint32_t)plan->crop_h, th - g->crop_y);
}

int kho_render_output_size(const kho_plan *plan, uint32_t width,
			   uint32_t height, uint32_t *out_w, uint32_t *out_h,
			   kho_error *err)
{
	int rc = plan_check(plan, err);
	if (rc)
		return rc;
	if (width == 0 || height == 0)
		return kho_error_set(err, KHO_FAIL, "the page is empty");
	const int turned = plan->rotation % 180 != 0;
	geometry g;
	crop_box(plan, turned ? height : width, turned ? width : height, &g);
	const double f = plan->dpi / plan->source_dpi;
	*out_w = (uint32_t)KHO_MAX(1.0, round(g.crop_w * f));
	*out_h = (uint32_t)KHO_MAX(1.0, round(g.crop_h * f));
	if (*out_w > 1u << 20 || *out_h > 1u << 20)
		return kho_error_set(err, KHO_FAIL,
				     "the rendered page would be %u x %u "
				     "pixels",
				     *out_w, *out_h);
	return KHO_OK;
}

/* A point of the cropped straight page (decode resolution) to the decoded
 * stored image. */
static void map_point(const kho_plan *plan, double xs, double ys, double cx,
		      double cy, double cs, double sn, double sw, double sh,
		      double *sx, double *sy)
{
	/* straight -> turned: the content was turned clockwise by the
	 * skew, so a straight pixel is found turned clockwise from it */
	const double dx = xs - cx, dy = ys - cy;
	const double tx = cx + dx * cs - dy * sn;
	const double ty = cy + dx * sn + dy * cs;
	/* turned -> stored: the stored image turned clockwise by the
	 * rotation is the turned page */
	double x, y;
	switch (plan->rotation) {
	case 90:
		x = ty;
		y = sh - 1 - tx;
		break;
	case 180:
		x = sw - 1 - tx;
		y = sh - 1 - ty;
		break;
	case 270:
		x = sw - 1 - ty;
		y = tx;
		break;
	default:
		x = tx;
		y = ty;
	}
	*sx = plan->mirror ? sw - 1 - x : x;
	*sy = y;
}

static int near_int(double v)
{
	return fabs(v - round(v)) < 1e-6;
}

static int make_geometry(const kho_plan *plan, uint32_t width, uint32_t height,
			 unsigned scale, geometry *g, kho_error *err)
{
	memset(g, 0, sizeof(*g));
	int rc = kho_render_output_size(plan, width, height, &g->out_w,
					&g->out_h, err);
	if (rc)
		return rc;
	const int turned = plan->rotation % 180 != 0;
	const uint32_t tw = turned ? height : width;
	const uint32_t th = turned ? width : height;
	crop_box(plan, tw, th, g);
	g->warp_w = (uint32_t)KHO_MAX(1.0, round((double)g->crop_w / scale));
	g->warp_h = (uint32_t)KHO_MAX(1.0, round((double)g->crop_h / scale));
	/* Decoded sizes, and the centre of the turned page, in decoded
	 * pixels (a decoded pixel covers scale x scale stored ones). */
	const double sw = (width + scale - 1) / scale;
	const double sh = (height + scale - 1) / scale;
	const double cx = tw / (2.0 * scale) - 0.5;
	const double cy = th / (2.0 * scale) - 0.5;
	const double skew = fabs(plan->skew) < MIN_SKEW_DEG ? 0 : plan->skew;
	const double rad = skew * M_PI / 180.0;
	const double cs = skew == 0 ? 1 : cos(rad);
	const double sn = skew == 0 ? 0 : sin(rad);
	const double ox = (double)g->crop_x / scale;
	const double oy = (double)g->crop_y / scale;
	double x00, y00, x10, y10, x01, y01;
	map_point(plan, ox, oy, cx, cy, cs, sn, sw, sh, &x00, &y00);
	map_point(plan, ox + 1, oy, cx, cy, cs, sn, sw, sh, &x10, &y10);
	map_point(plan, ox, oy + 1, cx, cy, cs, sn, sw, sh, &x01, &y01);
	g->a0 = x00;
	g->ax = x10 - x00;
	g->ay = x01 - x00;
	g->b0 = y00;
	g->bx = y10 - y00;
	g->by = y01 - y00;
	g->exact = skew == 0 && near_int(g->a0) && near_int(g->b0);
	if (g->exact) {
		g->a0 = round(g->a0);
		g->b0 = round(g->b0);
		g->ax = round(g->ax);
		g->ay = round(g->ay);
		g->bx = round(g->bx);
		g->by = round(g->by);
	}
	return KHO_OK;
}

/* ---- the pipeline ---- */

typedef struct pipeline {
	const kho_plan *plan;
	geometry g;
	uint32_t sw, sh; /* decoded stored size */
	int in_ch;	 /* channels the decoder gives */
	int src_ch;	 /* channels kept in the source */
	int work_ch;	 /* channels the layers take */
	kho_cms *cms;

	/* the source: a ring of src_cap rows, or the whole page */
	uint8_t *src;
	size_t src_stride;
	uint32_t src_cap;
	uint32_t src_mask; /* src_cap - 1 for a ring, all ones for a page */
	int band;
	uint32_t rows_in;

	uint8_t *conv;	   /* one decoded row after colour management */
	uint8_t *warped;   /* one row of the cropped straight page */
	uint8_t *expanded; /* the same in RGB, for grey sources */
	uint32_t rows_out; /* rows of the straight page made */

	kho_resampler rs;
	kho_layers *layers;
} pipeline;

static const uint8_t *src_row(const pipeline *p, int64_t y)
{
	return p->src + (size_t)((uint32_t)y & p->src_mask) * p->src_stride;
}

/* The source rows row j of the straight page reads: [*lo, *hi]. */
static void rows_needed(const pipeline *p, uint32_t j, int64_t *lo, int64_t *hi)
{
	const geometry *g = &p->g;
	const double y0 = g->b0 + g->by * j;
	const double y1 = y0 + g->bx * (g->warp_w - 1);
	*lo = (int64_t)floor(KHO_MIN(y0, y1));
	*hi = (int64_t)floor(KHO_MAX(y0, y1)) + 1;
}

/* One row by the integer map: a copy, with white outside the page. */
static void sample_exact(const pipeline *p, uint32_t j, uint8_t *out)
{
	const geometry *g = &p->g;
	const int c = p->src_ch;
	const int64_t ax = (int64_t)g->ax, bx = (int64_t)g->bx;
	int64_t x = (int64_t)g->a0 + (int64_t)g->ay * j;
	int64_t y = (int64_t)g->b0 + (int64_t)g->by * j;
	if (ax == 1 && bx == 0 && y >= 0 && y < p->sh && x >= 0 &&
	    x + g->warp_w <= p->sw) {
		memcpy(out, src_row(p, y) + x * c, (size_t)g->warp_w * c);
		return;
	}
	for (uint32_t i = 0; i < g->warp_w; i++, x += ax, y += bx) {
		uint8_t *d = out + (size_t)i * c;
		if (x < 0 || y < 0 || x >= p->sw || y >= p->sh)
			memset(d, 255, (size_t)c);
		else
			memcpy(d, src_row(p, y) + x * c, (size_t)c);
	}
}

/* Bilinear samples of the 2 x 2 neighbourhood at (p, q) with 8-bit
 * weights; C channels, a constant where it is inlined. */
static inline void blend(const uint8_t *p, const uint8_t *q, uint32_t fx,
			 uint32_t fy, int c, uint8_t *d)
{
	for (int k = 0; k < c; k++) {
		const int32_t top =
			p[k] * 256 + (p[k + c] - p[k]) * (int32_t)fx;
		const int32_t bot =
			q[k] * 256 + (q[k + c] - q[k]) * (int32_t)fx;
		d[k] = (uint8_t)((top * 256 + (bot - top) * (int32_t)fy +
				  32768) >>
				 16);
	}
}

/* The run of a row that lies inside the page, with c channels: the row
 * pointers change only when the sampled row does, which for a skew of a
 * few degrees is every few dozen pixels. */
static inline void run_inside(const pipeline *p, int64_t X, int64_t Y,
			      int64_t DX, int64_t DY, int64_t n, int c,
			      uint8_t *out)
{
	int64_t cur = INT64_MIN;
	const uint8_t *r0 = NULL, *r1 = NULL;
	for (int64_t i = 0; i < n; i++, X += DX, Y += DY) {
		const int64_t yi = Y >> 16;
		if (yi != cur) {
			cur = yi;
			r0 = src_row(p, yi);
			r1 = src_row(p, yi + 1);
		}
		const int64_t xi = (X >> 16) * c;
		blend(r0 + xi, r1 + xi, (uint32_t)(X >> 8) & 255u,
		      (uint32_t)(Y >> 8) & 255u, c, out + i * c);
	}
}

/* run_inside with the channel count a constant, for either. */
static void run_inside_any(const pipeline *p, int64_t X, int64_t Y, int64_t DX,
			   int64_t DY, int64_t n, int c, uint8_t *out)
{
	if (c == 1)
		run_inside(p, X, Y, DX, DY, n, 1, out);
	else
		run_inside(p, X, Y, DX, DY, n, 3, out);
}

#if defined(__SSE2__)
/*
 * Eight pixels of the run at once where they read eight neighbouring
 * columns of the same two source rows, with the same sums as blend(),
 * exactly.  Each 32-bit lane holds a pair of 16-bit values that
 * _mm_madd_epi16 weighs: the horizontal pair (p, q) by (256 - fx, fx),
 * then the two rows' results, split into high and low bytes to stay in 16
 * bits, by (256 - fy, fy).  Only the low 16 bits of X and Y give the
 * weights, so 32-bit lanes that wrap are enough.
 */
typedef struct lanes8 {
	__m128i x[2], y[2]; /* X and Y of pixels 0-3 and 4-7, low 32 bits */
	__m128i step_x, step_y; /* eight pixels on */
	int64_t dx7, dy7;       /* seven pixels on, in X and Y */
} lanes8;

static inline void lanes8_init(lanes8 *l, int64_t X, int64_t Y, int64_t DX,
			       int64_t DY)
{
	for (int h = 0; h < 2; h++) {
		const int64_t k = 4 * h;
		l->x[h] = _mm_setr_epi32((int)(uint32_t)(X + k * DX),
					 (int)(uint32_t)(X + (k + 1) * DX),
					 (int)(uint32_t)(X + (k + 2) * DX),
					 (int)(uint32_t)(X + (k + 3) * DX));
		l->y[h] = _mm_setr_epi32((int)(uint32_t)(Y + k * DY),
					 (int)(uint32_t)(Y + (k + 1) * DY),
					 (int)(uint32_t)(Y + (k + 2) * DY),
					 (int)(uint32_t)(Y + (k + 3) * DY));
	}
	l->step_x = _mm_set1_epi32((int)(uint32_t)(8 * DX));
	l->step_y = _mm_set1_epi32((int)(uint32_t)(8 * DY));
	l->dx7 = 7 * DX;
	l->dy7 = 7 * DY;
}

/* The weights of the next eight pixels, (256 - f, f) a lane, pixels 0-3
 * in [0] and 4-7 in [1]; the lanes move on by eight. */
static inline void lanes8_next(lanes8 *l, __m128i wx[2], __m128i wy[2])
{
	const __m128i byte = _mm_set1_epi32(255);
	const __m128i w256 = _mm_set1_epi32(256);
	for (int h = 0; h < 2; h++) {
		const __m128i fx = _mm_and_si128(_mm_srli_epi32(l->x[h], 8), byte);
		const __m128i fy = _mm_and_si128(_mm_srli_epi32(l->y[h], 8), byte);
		wx[h] = _mm_or_si128(_mm_sub_epi32(w256, fx),
				     _mm_slli_epi32(fx, 16));
		wy[h] = _mm_or_si128(_mm_sub_epi32(w256, fy),
				     _mm_slli_epi32(fy, 16));
		l->x[h] = _mm_add_epi32(l->x[h], l->step_x);
		l->y[h] = _mm_add_epi32(l->y[h], l->step_y);
	}
}

/* How the eight pixels from (X, Y) read the source: 1 when they read
 * columns xi .. xi + 7 of rows yi and yi + 1, 2 when those columns and,
 * from one pixel on, the next pair of rows down or up (*top the upper
 * row of all), 0 otherwise.  Each step moves xi by the same whole
 * number of columns or one more, so seven steps that make seven columns
 * are one column each; the same holds for the rows. */
static inline int rows8(const lanes8 *l, int64_t X, int64_t Y, int64_t *top)
{
	if (((X + l->dx7) >> 16) != (X >> 16) + 7)
		return 0;
	const int64_t first = Y >> 16, last = (Y + l->dy7) >> 16;
	*top = KHO_MIN(first, last);
	if (first == last)
		return 1;
	return last - first == 1 || first - last == 1 ? 2 : 0;
}

/* Which of the eight pixels read from row top + 1 on: all ones in its
 * 16-bit lane, pixel k in lane k; before lanes8_next moves them on.
 * Only the low 32 bits of Y are in the lanes: their differences from
 * the start of row top + 1 are within a row (65536) either way, far
 * inside the 2^31 a signed compare of wrapped values tells apart. */
static inline __m128i lower8(const lanes8 *l, int64_t top)
{
	const __m128i at = _mm_set1_epi32((int)(uint32_t)((top + 1) * 65536));
	const __m128i before = _mm_set1_epi32(-1);
	return _mm_packs_epi32(
		_mm_cmpgt_epi32(_mm_sub_epi32(l->y[0], at), before),
		_mm_cmpgt_epi32(_mm_sub_epi32(l->y[1], at), before));
}

/* b where the mask m is set, else a. */
static inline __m128i pick(__m128i m, __m128i a, __m128i b)
{
	return _mm_or_si128(_mm_and_si128(m, b), _mm_andnot_si128(m, a));
}

/* Both rows' blends of four pairs of samples by the horizontal weights
 * wx, then by the vertical ones wy. */
static inline __m128i blend4(__m128i top_pairs, __m128i bot_pairs, __m128i wx,
			     __m128i wy)
{
	const __m128i byte = _mm_set1_epi32(255);
	const __m128i top = _mm_madd_epi16(top_pairs, wx);
	const __m128i bot = _mm_madd_epi16(bot_pairs, wx);
	const __m128i hi = _mm_or_si128(
		_mm_srli_epi32(top, 8),
		_mm_slli_epi32(_mm_srli_epi32(bot, 8), 16));
	const __m128i lo =
		_mm_or_si128(_mm_and_si128(top, byte),
			     _mm_slli_epi32(_mm_and_si128(bot, byte), 16));
	const __m128i sum =
		_mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(
						    _mm_madd_epi16(hi, wy), 8),
					    _mm_madd_epi16(lo, wy)),
			      _mm_set1_epi32(32768));
	return _mm_srli_epi32(sum, 16);
}

/* Grey: the eight pixels from (X, Y) into out, their rows as rows8 gives
 * them (a constant where it is inlined); the lanes move on by eight. */
static inline __attribute__((always_inline)) void
group_grey8(const pipeline *p, lanes8 *l, int64_t X, int64_t top, int rows,
	    uint8_t *out)
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i lower = rows == 2 ? lower8(l, top) : zero;
	__m128i wx[2], wy[2];
	lanes8_next(l, wx, wy);
	const uint8_t *r0 = src_row(p, top) + (X >> 16);
	const uint8_t *r1 = src_row(p, top + 1) + (X >> 16);
	__m128i p0 =
		_mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)r0), zero);
	__m128i q0 = _mm_unpacklo_epi8(
		_mm_loadl_epi64((const __m128i *)(r0 + 1)), zero);
	__m128i p1 =
		_mm_unpacklo_epi8(_mm_loadl_epi64((const __m128i *)r1), zero);
	__m128i q1 = _mm_unpacklo_epi8(
		_mm_loadl_epi64((const __m128i *)(r1 + 1)), zero);
	if (rows == 2) {
		/* the pixels past the change of row: rows top + 1 and
		 * top + 2 */
		const uint8_t *r2 = src_row(p, top + 2) + (X >> 16);
		p0 = pick(lower, p0, p1);
		q0 = pick(lower, q0, q1);
		p1 = pick(lower, p1,
			  _mm_unpacklo_epi8(
				  _mm_loadl_epi64((const __m128i *)r2), zero));
		q1 = pick(lower, q1,
			  _mm_unpacklo_epi8(
				  _mm_loadl_epi64((const __m128i *)(r2 + 1)),
				  zero));
	}
	const __m128i a = blend4(_mm_unpacklo_epi16(p0, q0),
				 _mm_unpacklo_epi16(p1, q1), wx[0], wy[0]);
	const __m128i b = blend4(_mm_unpackhi_epi16(p0, q0),
				 _mm_unpackhi_epi16(p1, q1), wx[1], wy[1]);
	_mm_storel_epi64((__m128i *)out,
			 _mm_packus_epi16(_mm_packs_epi32(a, b), zero));
}

/* The groups that cross a change of row, out of line: the loop over the
 * others keeps its registers. */
static __attribute__((noinline)) void group_grey8_across(const pipeline *p,
							 lanes8 *l, int64_t X,
							 int64_t top,
							 uint8_t *out)
{
	group_grey8(p, l, X, top, 2, out);
}

/* Eight pixels' weights (pixels 0-3 in w[0], 4-7 in w[1]) over their 24
 * bytes: bytes 0-3 are pixels 0 0 0 1, 4-7 are 1 1 2 2, 8-11 are 2 3 3 3;
 * the same for pixels 4-7 in bytes 12-23. */
static inline void spread_rgb(const __m128i w[2], __m128i out[6])
{
	for (int h = 0; h < 2; h++) {
		out[3 * h] = _mm_shuffle_epi32(w[h], _MM_SHUFFLE(1, 0, 0, 0));
		out[3 * h + 1] = _mm_shuffle_epi32(w[h], _MM_SHUFFLE(2, 2, 1, 1));
		out[3 * h + 2] = _mm_shuffle_epi32(w[h], _MM_SHUFFLE(3, 3, 3, 2));
	}
}

/* 24 bytes as 16-bit values: bytes 0-7, 8-15, 16-23. */
static inline void widen24(const uint8_t *b, __m128i v[3])
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i lo = _mm_loadu_si128((const __m128i *)b);
	v[0] = _mm_unpacklo_epi8(lo, zero);
	v[1] = _mm_unpackhi_epi8(lo, zero);
	v[2] = _mm_unpacklo_epi8(
		_mm_loadl_epi64((const __m128i *)(b + 16)), zero);
}

/* Colour: eight pixels whose columns follow each other are 24 bytes that
 * follow each other, each blended with the byte 3 further on, by its
 * pixel's weights (each pixel's weight spread over its three bytes by
 * shuffles); as group_grey8 otherwise. */
static inline __attribute__((always_inline)) void
group_rgb8(const pipeline *p, lanes8 *l, int64_t X, int64_t top, int rows,
	   uint8_t *out)
{
	const __m128i zero = _mm_setzero_si128();
	const __m128i lower = rows == 2 ? lower8(l, top) : zero;
	__m128i wx[2], wy[2];
	lanes8_next(l, wx, wy);
	__m128i bx[6], by[6];
	spread_rgb(wx, bx);
	spread_rgb(wy, by);
	const uint8_t *r0 = src_row(p, top) + (X >> 16) * 3;
	const uint8_t *r1 = src_row(p, top + 1) + (X >> 16) * 3;
	/* 24 bytes of each pixel and of its right neighbour: the last read
	 * is byte 26, the third of column xi + 8, inside the row as the run
	 * is */
	__m128i P[3], Q[3], R[3], S[3];
	widen24(r0, P);
	widen24(r0 + 3, Q);
	widen24(r1, R);
	widen24(r1 + 3, S);
	if (rows == 2) {
		/* the pixels past the change of row: rows top + 1 and
		 * top + 2, each pixel's mask over its bytes */
		const uint8_t *r2 = src_row(p, top + 2) + (X >> 16) * 3;
		const __m128i by_pixel[2] = {_mm_unpacklo_epi16(lower, lower),
					     _mm_unpackhi_epi16(lower, lower)};
		__m128i T[3], U[3], m32[6];
		widen24(r2, T);
		widen24(r2 + 3, U);
		spread_rgb(by_pixel, m32);
		for (int k = 0; k < 3; k++) {
			const __m128i m =
				_mm_packs_epi32(m32[2 * k], m32[2 * k + 1]);
			P[k] = pick(m, P[k], R[k]);
			Q[k] = pick(m, Q[k], S[k]);
			R[k] = pick(m, R[k], T[k]);
			S[k] = pick(m, S[k], U[k]);
		}
	}
	__m128i res[6];
	for (int k = 0; k < 3; k++) {
		res[2 * k] = blend4(_mm_unpacklo_epi16(P[k], Q[k]),
				    _mm_unpacklo_epi16(R[k], S[k]), bx[2 * k],
				    by[2 * k]);
		res[2 * k + 1] = blend4(_mm_unpackhi_epi16(P[k], Q[k]),
					_mm_unpackhi_epi16(R[k], S[k]),
					bx[2 * k + 1], by[2 * k + 1]);
	}
	const __m128i first = _mm_packus_epi16(_mm_packs_epi32(res[0], res[1]),
					       _mm_packs_epi32(res[2], res[3]));
	const __m128i last =
		_mm_packus_epi16(_mm_packs_epi32(res[4], res[5]), zero);
	_mm_storeu_si128((__m128i *)out, first);
	_mm_storel_epi64((__m128i *)(out + 16), last);
}

static __attribute__((noinline)) void group_rgb8_across(const pipeline *p,
							lanes8 *l, int64_t X,
							int64_t top,
							uint8_t *out)
{
	group_rgb8(p, l, X, top, 2, out);
}

/* The run of a row inside the page eight pixels at a time, c channels (a
 * constant where it is inlined), while the groups read neighbouring
 * columns of at most three rows: returns how many pixels it made (a
 * multiple of 8); the caller makes the rest. */
static inline __attribute__((always_inline)) int64_t
run_inside8(const pipeline *p, int64_t X, int64_t Y, int64_t DX, int64_t DY,
	    int64_t n, int c, uint8_t *out)
{
	lanes8 l;
	lanes8_init(&l, X, Y, DX, DY);
	int64_t i = 0;
	for (; i + 8 <= n; i += 8, X += 8 * DX, Y += 8 * DY) {
		int64_t top;
		const int rows = rows8(&l, X, Y, &top);
		if (!rows)
			break;
		uint8_t *o = out + i * c;
		if (c == 1 && rows == 1)
			group_grey8(p, &l, X, top, 1, o);
		else if (c == 1)
			group_grey8_across(p, &l, X, top, o);
		else if (rows == 1)
			group_rgb8(p, &l, X, top, 1, o);
		else
			group_rgb8_across(p, &l, X, top, o);
	}
	return i;
}

static int64_t run_inside_grey8(const pipeline *p, int64_t X, int64_t Y,
				int64_t DX, int64_t DY, int64_t n, uint8_t *out)
{
	return run_inside8(p, X, Y, DX, DY, n, 1, out);
}

static int64_t run_inside_rgb8(const pipeline *p, int64_t X, int64_t Y,
			       int64_t DX, int64_t DY, int64_t n, uint8_t *out)
{
	return run_inside8(p, X, Y, DX, DY, n, 3, out);
}
#endif

/* One pixel near or past the edge: white comes in from outside. */
static void pixel_edge(const pipeline *p, int64_t X, int64_t Y, uint8_t *d)
{
	const int c = p->src_ch;
	const int64_t xi = X >> 16, yi = Y >> 16;
	uint8_t quad[2][2][3];
	for (int q = 0; q < 4; q++) {
		const int64_t px = xi + (q & 1), py = yi + (q >> 1);
		uint8_t *v = quad[q >> 1][q & 1];
		if (px < 0 || py < 0 || px >= p->sw || py >= p->sh)
			memset(v, 255, (size_t)c);
		else
			memcpy(v, src_row(p, py) + px * c, (size_t)c);
	}
	/* blend wants each row's two pixels side by side, c apart */
	uint8_t top[6], bot[6];
	memcpy(top, quad[0][0], (size_t)c);
	memcpy(top + c, quad[0][1], (size_t)c);
	memcpy(bot, quad[1][0], (size_t)c);
	memcpy(bot + c, quad[1][1], (size_t)c);
	blend(top, bot, (uint32_t)(X >> 8) & 255u, (uint32_t)(Y >> 8) & 255u, c,
	      d);
}

static int inside(const pipeline *p, int64_t X, int64_t Y)
{
	const int64_t x = X >> 16, y = Y >> 16;
	return x >= 0 && y >= 0 && x + 1 < p->sw && y + 1 < p->sh;
}

/* One row by the general map, bilinear, in 16.16 fixed point: the part
 * inside the page in a tight loop, the edges pixel by pixel. */
static void sample_bilinear(const pipeline *p, uint32_t j, uint8_t *out)
{
	const geometry *g = &p->g;
	const int c = p->src_ch;
	int64_t X = llround((g->a0 + g->ay * j) * 65536.0);
	int64_t Y = llround((g->b0 + g->by * j) * 65536.0);
	const int64_t DX = llround(g->ax * 65536.0);
	const int64_t DY = llround(g->bx * 65536.0);
	const int64_t n = g->warp_w;
	int64_t i = 0;
	/* The map is affine, so the inside part of the row is one run. */
	while (i < n && !inside(p, X + DX * i, Y + DY * i)) {
		pixel_edge(p, X + DX * i, Y + DY * i, out + i * c);
		i++;
	}
	/* The last inside pixel, by bisection: the inside of a line is
	 * one interval. */
	int64_t end = i;
	if (i < n) {
		int64_t lo = i, hi = n; /* lo inside, hi outside or the end */
		while (hi - lo > 1) {
			const int64_t mid = lo + (hi - lo) / 2;
			if (inside(p, X + DX * mid, Y + DY * mid))
				lo = mid;
			else
				hi = mid;
		}
		end = hi;
	}
	if (end > i) {
#if defined(__SSE2__)
		/* in stretches: eight at a time where they can be, one by
		 * one across a change of source row */
		while (i < end) {
			i += c == 1 ? run_inside_grey8(p, X + DX * i,
						       Y + DY * i, DX, DY,
						       end - i, out + i)
				    : run_inside_rgb8(p, X + DX * i,
						      Y + DY * i, DX, DY,
						      end - i, out + i * 3);
			const int64_t one = KHO_MIN(end - i, (int64_t)8);
			if (one > 0)
				run_inside_any(p, X + DX * i, Y + DY * i, DX,
					       DY, one, c, out + i * c);
			i += one;
		}
#else
		run_inside_any(p, X + DX * i, Y + DY * i, DX, DY, end - i, c,
			       out + i * c);
#endif
	}
	for (i = end; i < n; i++)
		pixel_edge(p, X + DX * i, Y + DY * i, out + i * c);
}

/* Makes the straight rows the source allows (all of them when final). */
static int produce(pipeline *p, int final, kho_error *err)
{
	while (p->rows_out < p->g.warp_h) {
		int64_t lo, hi;
		rows_needed(p, p->rows_out, &lo, &hi);
		if (!final && hi >= (int64_t)p->rows_in && p->rows_in < p->sh)
			return KHO_OK;
		if (p->g.exact)
			sample_exact(p, p->rows_out, p->warped);
		else
			sample_bilinear(p, p->rows_out, p->warped);
		const uint8_t *row = p->warped;
		if (p->work_ch == 3 && p->src_ch == 1) {
			for (uint32_t i = 0; i < p->g.warp_w; i++)
				memset(p->expanded + (size_t)i * 3,
				       p->warped[i], 3);
			row = p->expanded;
		}
		const int rc = kho_resampler_push(&p->rs, row, err);
		if (rc)
			return rc;
		p->rows_out++;
	}
	return KHO_OK;
}

static int on_row(void *ctx, uint32_t y, const uint8_t *row, kho_error *err)
{
	pipeline *p = ctx;
	if (y != p->rows_in || y >= p->sh)
		return kho_error_set(err, KHO_FAIL,
				     "rendering: decoded row %u out of order",
				     y);
	if (p->band && y >= p->src_cap) {
		/* The slot's old row must be behind every row still to
		 * make. */
		int64_t lo, hi;
		rows_needed(p, p->rows_out, &lo, &hi);
		if (p->rows_out < p->g.warp_h && lo <= (int64_t)y - p->src_cap)
			return kho_error_set(err, KHO_FATAL,
					     "rendering: the source band is "
					     "too small");
	}
	const uint8_t *in = row;
	if (p->cms) {
		kho_cms_row(p->cms, row, p->conv, p->sw);
		in = p->conv;
	}
	uint8_t *dst = (uint8_t *)src_row(p, y);
	if (p->in_ch == 3 && p->src_ch == 1) {
		for (uint32_t x = 0; x < p->sw; x++)
			dst[x] = kho_luma(in + (size_t)x * 3);
	} else {
		memcpy(dst, in, (size_t)p->sw * p->src_ch);
	}
	p->rows_in = y + 1;
	return p->band ? produce(p, 0, err) : KHO_OK;
}

static void pipeline_release(pipeline *p)
{
	kho_cms_free(p->cms);
	free(p->src);
	free(p->conv);
	free(p->warped);
	free(p->expanded);
	kho_resampler_release(&p->rs);
	kho_layers_free(p->layers);
	memset(p, 0, sizeof(*p));
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t v = 1;
	while (v < n)
		v <<= 1;
	return v;
}

static int pipeline_init(pipeline *p, uint32_t width, uint32_t height,
			 int channels, unsigned scale, const kho_plan *plan,
			 const kho_render_opts *opts, char *note,
			 size_t note_size, kho_error *err)
{
	memset(p, 0, sizeof(*p));
	if (scale != 1 && scale != 2 && scale != 4 && scale != 8)
		return kho_error_set(err, KHO_USAGE, "invalid decode scale %u",
				     scale);
	if (channels != 1 && channels != 3)
		return kho_error_set(err, KHO_FAIL,
				     "cannot render %d-channel rows", channels);
	p->plan = plan;
	int rc = make_geometry(plan, width, height, scale, &p->g, err);
	if (rc)
		return rc;
	p->sw = (width + scale - 1) / scale;
	p->sh = (height + scale - 1) / scale;
	p->in_ch = channels;
	p->work_ch = kho_layers_channels(plan->mode);
	p->src_ch = KHO_MIN(channels, p->work_ch);
	if (opts && opts->icc) {
		rc = kho_cms_new(&p->cms, opts->icc, opts->icc_size, channels,
				 note, note_size, err);
		if (rc)
			return rc;
	}
	/* No quarter or half turn: a band of rows is enough. */
	p->band = plan->rotation == 0;
	p->src_stride = (size_t)p->sw * p->src_ch;
	if (p->band) {
		const uint32_t span =
			(uint32_t)ceil(fabs(p->g.bx) * p->g.warp_w) + 4;
		p->src_cap = pow2_at_least(KHO_MIN(span, p->sh) + 4);
		p->src_mask = p->src_cap - 1;
	} else {
		p->src_cap = p->sh;
		p->src_mask = UINT32_MAX;
	}
	p->src = malloc(p->src_stride * p->src_cap);
	p->conv = p->cms ? malloc((size_t)p->sw * channels) : NULL;
	p->warped = malloc((size_t)p->g.warp_w * p->src_ch);
	p->expanded = malloc((size_t)p->g.warp_w * 3);
	if (!p->src || (p->cms && !p->conv) || !p->warped || !p->expanded) {
		pipeline_release(p);
		return kho_error_set(err, KHO_FATAL,
				     "out of memory for rendering a %u x %u "
				     "page",
				     width, height);
	}
	rc = kho_layers_new(&p->layers, plan->mode, p->g.out_w, p->g.out_h,
			    plan->dpi, opts ? opts->background_dpi : 0, err);
	if (rc == KHO_OK)
		rc = kho_resampler_init(&p->rs, p->g.warp_w, p->g.warp_h,
					p->g.out_w, p->g.out_h, p->work_ch,
					kho_layers_push, p->layers, err);
	if (rc)
		pipeline_release(p);
	return rc;
}

static int pipeline_finish(pipeline *p, kho_rendered *out, kho_error *err)
{
	if (p->rows_in != p->sh)
		return kho_error_set(err, KHO_FAIL,
				     "rendering: the page ended after %u of %u "
				     "rows",
				     p->rows_in, p->sh);
	int rc = produce(p, 1, err);
	if (rc == KHO_OK)
		rc = kho_layers_finish(p->layers, out, err);
	if (rc == KHO_OK)
		out->colour_managed = p->cms != NULL;
	return rc;
}

int kho_render_file_page(kho_image_file *file, uint32_t page,
			 const kho_page_info *info, unsigned scale,
			 const kho_plan *plan, const kho_render_opts *opts,
			 kho_rendered *out, kho_error *err)
{
	*out = (kho_rendered)KHO_RENDERED_INIT;
	pipeline p;
	char note[sizeof(out->note)] = "";
	int rc = pipeline_init(&p, info->width, info->height, info->channels,
			       scale, plan, opts, note, sizeof(note), err);
	if (rc)
		return rc;
	rc = kho_image_file_decode(file, page, scale, on_row, &p, err);
	if (rc == KHO_OK)
		rc = pipeline_finish(&p, out, err);
	pipeline_release(&p);
	if (rc)
		kho_rendered_release(out);
	else
		snprintf(out->note, sizeof(out->note), "%s", note);
	return rc;
}

int kho_render_image(const kho_image *src, uint32_t width, uint32_t height,
		     unsigned scale, const kho_plan *plan,
		     const kho_render_opts *opts, kho_rendered *out,
		     kho_error *err)
{
	*out = (kho_rendered)KHO_RENDERED_INIT;
	pipeline p;
	char note[sizeof(out->note)] = "";
	int rc = pipeline_init(&p, width, height, src->channels, scale, plan,
			       opts, note, sizeof(note), err);
	if (rc)
		return rc;
	if (src->width != p.sw || src->height != p.sh)
		rc = kho_error_set(err, KHO_USAGE,
				   "the image is %u x %u, not %u x %u at 1/%u",
				   src->width, src->height, p.sw, p.sh, scale);
	for (uint32_t y = 0; rc == KHO_OK && y < src->height; y++)
		rc = on_row(&p, y, src->pixels + (size_t)y * src->stride, err);
	if (rc == KHO_OK)
		rc = pipeline_finish(&p, out, err);
	pipeline_release(&p);
	if (rc)
		kho_rendered_release(out);
	else
		snprintf(out->note, sizeof(out->note), "%s", note);
	return rc;
}
