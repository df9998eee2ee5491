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
 * sampled once (render_warp.c), with no intermediate image.  With no quarter
 * turn and no half turn, sy grows with j, so a row of the output only needs a
 * band of source rows around it: the band is all that is kept.
 */
#include "render/render_private.h"
#include "render/colour_manage.h"

#include <math.h>

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
	uint32_t warp_h;  /* rows of the straight page, at 1/scale */
	kho_warp_map map; /* its rows (map.width) into the decoded rows */
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
	g->map.width = (uint32_t)KHO_MAX(1.0, round((double)g->crop_w / scale));
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
	g->map.a0 = x00;
	g->map.ax = x10 - x00;
	g->map.ay = x01 - x00;
	g->map.b0 = y00;
	g->map.bx = y10 - y00;
	g->map.by = y01 - y00;
	g->map.exact = skew == 0 && near_int(g->map.a0) && near_int(g->map.b0);
	if (g->map.exact) {
		g->map.a0 = round(g->map.a0);
		g->map.b0 = round(g->map.b0);
		g->map.ax = round(g->map.ax);
		g->map.ay = round(g->map.ay);
		g->map.bx = round(g->map.bx);
		g->map.by = round(g->map.by);
	}
	return KHO_OK;
}

/* ---- the pipeline ---- */

typedef struct pipeline {
	const kho_plan *plan;
	geometry g;
	int in_ch;   /* channels the decoder gives */
	int work_ch; /* channels the layers take */
	kho_cms *cms;

	/* the source: a ring of src_cap rows, or the whole page, kept in
	 * src and read through ws (its size, the channels kept, the ring's
	 * mask) */
	uint8_t *src;
	kho_warp_src ws;
	uint32_t src_cap;
	int band;
	uint32_t rows_in;

	uint8_t *conv;	   /* one decoded row after colour management */
	uint8_t *warped;   /* one row of the cropped straight page */
	uint8_t *expanded; /* the same in RGB, for grey sources */
	uint32_t rows_out; /* rows of the straight page made */

	kho_resampler rs;
	kho_layers *layers;
} pipeline;

/* Where source row y is kept. */
static uint8_t *src_slot(const pipeline *p, uint32_t y)
{
	return p->src + (size_t)(y & p->ws.mask) * p->ws.stride;
}

/* The source rows row j of the straight page reads: [*lo, *hi]. */
static void rows_needed(const pipeline *p, uint32_t j, int64_t *lo, int64_t *hi)
{
	const geometry *g = &p->g;
	const double y0 = g->map.b0 + g->map.by * j;
	const double y1 = y0 + g->map.bx * (g->map.width - 1);
	*lo = (int64_t)floor(KHO_MIN(y0, y1));
	*hi = (int64_t)floor(KHO_MAX(y0, y1)) + 1;
}

/* Makes the straight rows the source allows (all of them when final). */
static int produce(pipeline *p, int final, kho_error *err)
{
	while (p->rows_out < p->g.warp_h) {
		int64_t lo, hi;
		rows_needed(p, p->rows_out, &lo, &hi);
		if (!final && hi >= (int64_t)p->rows_in &&
		    p->rows_in < p->ws.height)
			return KHO_OK;
		kho_warp_row(&p->ws, &p->g.map, p->rows_out, p->warped);
		const uint8_t *row = p->warped;
		if (p->work_ch == 3 && p->ws.channels == 1) {
			for (uint32_t i = 0; i < p->g.map.width; i++)
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
	if (y != p->rows_in || y >= p->ws.height)
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
		kho_cms_row(p->cms, row, p->conv, p->ws.width);
		in = p->conv;
	}
	uint8_t *dst = src_slot(p, y);
	if (p->in_ch == 3 && p->ws.channels == 1) {
		kho_luma_row(in, p->ws.width, dst);
	} else {
		memcpy(dst, in, (size_t)p->ws.width * p->ws.channels);
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
	p->ws.width = (width + scale - 1) / scale;
	p->ws.height = (height + scale - 1) / scale;
	p->in_ch = channels;
	p->work_ch = kho_layers_channels(plan->mode);
	p->ws.channels = KHO_MIN(channels, p->work_ch);
	if (opts && opts->icc) {
		rc = kho_cms_new(&p->cms, opts->icc, opts->icc_size, channels,
				 note, note_size, err);
		if (rc)
			return rc;
	}
	/* No quarter or half turn: a band of rows is enough. */
	p->band = plan->rotation == 0;
	p->ws.stride = (size_t)p->ws.width * p->ws.channels;
	if (p->band) {
		const uint32_t span =
			(uint32_t)ceil(fabs(p->g.map.bx) * p->g.map.width) + 4;
		p->src_cap = pow2_at_least(KHO_MIN(span, p->ws.height) + 4);
		p->ws.mask = p->src_cap - 1;
	} else {
		p->src_cap = p->ws.height;
		p->ws.mask = UINT32_MAX;
	}
	p->src = malloc(p->ws.stride * p->src_cap + KHO_WARP_SLACK);
	p->ws.rows = p->src;
	p->conv = p->cms ? malloc((size_t)p->ws.width * channels) : NULL;
	p->warped = malloc((size_t)p->g.map.width * p->ws.channels);
	p->expanded = malloc((size_t)p->g.map.width * 3);
	if (!p->src || (p->cms && !p->conv) || !p->warped || !p->expanded) {
		pipeline_release(p);
		return kho_error_set(err, KHO_FATAL,
				     "out of memory for rendering a %u x %u "
				     "page",
				     width, height);
	}
	rc = kho_layers_new(&p->layers, plan->mode, p->g.out_w, p->g.out_h,
			    plan->dpi, opts ? opts->background_dpi : 0,
			    opts ? opts->paper_level : 0, err);
	if (rc == KHO_OK)
		rc = kho_resampler_init(&p->rs, p->g.map.width, p->g.warp_h,
					p->g.out_w, p->g.out_h, p->work_ch,
					kho_layers_push, p->layers, err);
	if (rc)
		pipeline_release(p);
	return rc;
}

static int pipeline_finish(pipeline *p, kho_rendered *out, kho_error *err)
{
	if (p->rows_in != p->ws.height)
		return kho_error_set(err, KHO_FAIL,
				     "rendering: the page ended after %u of %u "
				     "rows",
				     p->rows_in, p->ws.height);
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
	/* A page rendered grey or bitonal from a colour scan that stores its
	 * grey (a YCbCr JPEG), with no profile to manage its colour by:
	 * that grey, the colour left undecoded. */
	const int grey = kho_layers_channels(plan->mode) == 1 &&
			 info->channels == 3 && info->grey_stored &&
			 !(opts && opts->icc);
	int rc = pipeline_init(&p, info->width, info->height,
			       grey ? 1 : info->channels, scale, plan, opts,
			       note, sizeof(note), err);
	if (rc)
		return rc;
	rc = grey ? kho_image_file_decode_grey(file, page, scale, on_row, &p,
					       err)
		  : kho_image_file_decode(file, page, scale, on_row, &p, err);
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
	if (src->width != p.ws.width || src->height != p.ws.height)
		rc = kho_error_set(err, KHO_USAGE,
				   "the image is %u x %u, not %u x %u at 1/%u",
				   src->width, src->height, p.ws.width,
				   p.ws.height, scale);
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
