#include "render/render.h"

#include <math.h>

unsigned kho_render_decode_scale(double source_dpi, int output_dpi)
{
	unsigned scale = 1;
	while (scale < 8 && source_dpi / (scale * 2) >= output_dpi)
		scale *= 2;
	return scale;
}

int kho_render_orient_crop(const kho_image *src, int mirror, int rotation,
			   int cx, int cy, int cw, int ch, kho_image *out,
			   kho_error *err)
{
	const int sw = (int)src->width, sh = (int)src->height;
	const int tw = rotation % 180 ? sh : sw; /* turned size */
	const int th = rotation % 180 ? sw : sh;
	if (cw <= 0 || ch <= 0) {
		cx = cy = 0;
		cw = tw;
		ch = th;
	}
	cx = KHO_MAX(0, KHO_MIN(cx, tw - 1));
	cy = KHO_MAX(0, KHO_MIN(cy, th - 1));
	cw = KHO_MIN(cw, tw - cx);
	ch = KHO_MIN(ch, th - cy);
	int rc = kho_image_alloc(out, (uint32_t)cw, (uint32_t)ch,
				 src->channels, err);
	if (rc)
		return rc;
	const int c = src->channels;
	/* For each pixel of the turned page, where it is in the stored
	 * one: stored (x, y) after a mirror is (sw-1-x, y); a clockwise
	 * turn by 90 sends stored (x, y) to (sh-1-y, x). */
	for (int y = 0; y < ch; y++) {
		uint8_t *dst = out->pixels + (size_t)y * out->stride;
		const int ty = y + cy;
		for (int x = 0; x < cw; x++) {
			const int tx = x + cx;
			int sx, sy;
			switch (rotation) {
			case 90:
				sx = ty;
				sy = sh - 1 - tx;
				break;
			case 180:
				sx = sw - 1 - tx;
				sy = sh - 1 - ty;
				break;
			case 270:
				sx = sw - 1 - ty;
				sy = tx;
				break;
			default:
				sx = tx;
				sy = ty;
			}
			if (mirror)
				sx = sw - 1 - sx;
			const uint8_t *p = src->pixels +
					   (size_t)sy * src->stride +
					   (size_t)sx * c;
			memcpy(dst + (size_t)x * c, p, (size_t)c);
		}
	}
	return KHO_OK;
}

/* One axis of area resampling: out[i] averages the input interval
 * [i*ratio, (i+1)*ratio) with fractional weights at its ends. */
typedef struct span {
	int first;
	int count;
	float w_first;
	float w_last;
	float norm;
} span;

static span *make_spans(uint32_t in, uint32_t out)
{
	span *s = malloc(sizeof(*s) * out);
	if (!s)
		return NULL;
	const double ratio = (double)in / out;
	for (uint32_t i = 0; i < out; i++) {
		double a = i * ratio, b = (i + 1) * ratio;
		if (ratio < 1) { /* enlarging: nearest source interval */
			a = floor(a);
			b = a + 1;
		}
		int first = (int)floor(a);
		int last = (int)ceil(b) - 1;
		if (last >= (int)in)
			last = (int)in - 1;
		if (first > last)
			first = last;
		s[i].first = first;
		s[i].count = last - first + 1;
		s[i].w_first = (float)(KHO_MIN(b, first + 1.0) - a);
		s[i].w_last = s[i].count > 1 ? (float)(b - last) : s[i].w_first;
		s[i].norm = (float)(1.0 / (b - a));
	}
	return s;
}

int kho_render_resample(const kho_image *src, uint32_t width, uint32_t height,
			kho_image *out, kho_error *err)
{
	if (width == 0 || height == 0)
		return kho_error_set(err, KHO_FAIL, "empty output size");
	const int c = src->channels;
	span *sx = make_spans(src->width, width);
	span *sy = make_spans(src->height, height);
	float *acc = calloc((size_t)width * c, sizeof(float));
	float *line = malloc((size_t)width * c * sizeof(float));
	int rc = KHO_OK;
	if (!sx || !sy || !acc || !line)
		rc = kho_error_set(err, KHO_FATAL, "out of memory resampling");
	if (rc == KHO_OK)
		rc = kho_image_alloc(out, width, height, c, err);
	for (uint32_t oy = 0; rc == KHO_OK && oy < height; oy++) {
		memset(acc, 0, (size_t)width * c * sizeof(float));
		const span *vy = &sy[oy];
		for (int k = 0; k < vy->count; k++) {
			float wy = k == 0 ? vy->w_first
				  : k == vy->count - 1 ? vy->w_last
						       : 1.0f;
			const uint8_t *row = src->pixels +
					     (size_t)(vy->first + k) * src->stride;
			/* horizontal pass of this source row */
			for (uint32_t ox = 0; ox < width; ox++) {
				const span *vx = &sx[ox];
				for (int ch = 0; ch < c; ch++) {
					float sum = 0;
					for (int j = 0; j < vx->count; j++) {
						float wx = j == 0 ? vx->w_first
							  : j == vx->count - 1
								  ? vx->w_last
								  : 1.0f;
						sum += wx * row[(size_t)(vx->first + j) * c + ch];
					}
					line[(size_t)ox * c + ch] = sum * vx->norm;
				}
			}
			for (size_t i = 0; i < (size_t)width * c; i++)
				acc[i] += wy * line[i];
		}
		uint8_t *dst = out->pixels + (size_t)oy * out->stride;
		for (size_t i = 0; i < (size_t)width * c; i++) {
			float v = acc[i] * vy->norm + 0.5f;
			dst[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	}
	free(sx);
	free(sy);
	free(acc);
	free(line);
	return rc;
}

int kho_render_rotate(const kho_image *src, double degrees_ccw, kho_image *out,
		      kho_error *err)
{
	int rc = kho_image_alloc(out, src->width, src->height, src->channels,
				 err);
	if (rc)
		return rc;
	const int c = src->channels;
	const double rad = degrees_ccw * M_PI / 180.0;
	const double cs = cos(rad), sn = sin(rad);
	const double cx = (src->width - 1) / 2.0, cy = (src->height - 1) / 2.0;
	const int w = (int)src->width, h = (int)src->height;
	for (int y = 0; y < h; y++) {
		uint8_t *dst = out->pixels + (size_t)y * out->stride;
		/* The output pixel (x, y) comes from the source turned the
		 * other way; y grows downwards. */
		const double dy = y - cy;
		for (int x = 0; x < w; x++) {
			const double dx = x - cx;
			const double fx = cx + dx * cs - dy * sn;
			const double fy = cy + dx * sn + dy * cs;
			const int x0 = (int)floor(fx), y0 = (int)floor(fy);
			const float ax = (float)(fx - x0), ay = (float)(fy - y0);
			for (int ch = 0; ch < c; ch++) {
				float v[4];
				for (int k = 0; k < 4; k++) {
					int px = x0 + (k & 1), py = y0 + (k >> 1);
					v[k] = px < 0 || py < 0 || px >= w ||
							       py >= h
						       ? 255.0f
						       : src->pixels[(size_t)py * src->stride +
								     (size_t)px * c + ch];
				}
				float top = v[0] + ax * (v[1] - v[0]);
				float bot = v[2] + ax * (v[3] - v[2]);
				dst[(size_t)x * c + ch] =
					(uint8_t)(top + ay * (bot - top) + 0.5f);
			}
		}
	}
	return KHO_OK;
}

int kho_render_to_grey(const kho_image *src, kho_image *out, kho_error *err)
{
	int rc = kho_image_alloc(out, src->width, src->height, 1, err);
	if (rc)
		return rc;
	for (uint32_t y = 0; y < src->height; y++) {
		const uint8_t *s = src->pixels + (size_t)y * src->stride;
		uint8_t *d = out->pixels + (size_t)y * out->stride;
		if (src->channels == 1) {
			memcpy(d, s, src->width);
			continue;
		}
		for (uint32_t x = 0; x < src->width; x++, s += 3)
			d[x] = (uint8_t)((s[0] * 77 + s[1] * 150 + s[2] * 29 +
					  128) >> 8);
	}
	return KHO_OK;
}

/* Swaps b into a and releases what a held. */
static void take(kho_image *a, kho_image *b)
{
	kho_image_release(a);
	*a = *b;
	memset(b, 0, sizeof(*b));
}

int kho_render_page(const kho_image *src, unsigned scale,
		    const kho_plan *plan, kho_image *out, kho_error *err)
{
	assert(scale >= 1);
	if (!(plan->source_dpi > 0) || plan->dpi <= 0)
		return kho_error_set(err, KHO_FAIL,
				     "the plan has no usable resolution (source "
				     "%g dpi, output %d dpi)",
				     plan->source_dpi, plan->dpi);
	/* 1. the turned page */
	kho_image cur = KHO_IMAGE_INIT, next = KHO_IMAGE_INIT;
	int rc = kho_render_orient_crop(src, plan->mirror, plan->rotation, 0, 0,
					0, 0, &cur, err);
	/* 2. the straight page: the content turned back about the centre */
	if (rc == KHO_OK && fabs(plan->skew) >= 0.01) {
		rc = kho_render_rotate(&cur, plan->skew, &next, err);
		if (rc == KHO_OK)
			take(&cur, &next);
	}
	/* 3. the crop, cut to the page as it stands */
	const uint32_t page_w = cur.width * scale, page_h = cur.height * scale;
	uint32_t full_w = page_w, full_h = page_h;
	int cx = 0, cy = 0;
	if (rc == KHO_OK && plan->crop_w > 0 && plan->crop_h > 0) {
		uint32_t x0 = KHO_MIN((uint32_t)KHO_MAX(plan->crop_x, 0), page_w);
		uint32_t y0 = KHO_MIN((uint32_t)KHO_MAX(plan->crop_y, 0), page_h);
		full_w = KHO_MAX(KHO_MIN((uint32_t)plan->crop_w, page_w - x0), 1u);
		full_h = KHO_MAX(KHO_MIN((uint32_t)plan->crop_h, page_h - y0), 1u);
		cx = (int)x0;
		cy = (int)y0;
		rc = kho_render_orient_crop(&cur, 0, 0, cx / (int)scale,
					    cy / (int)scale,
					    (int)((full_w + scale - 1) / scale),
					    (int)((full_h + scale - 1) / scale),
					    &next, err);
		if (rc == KHO_OK)
			take(&cur, &next);
	}
	/* 4. the output resolution, from the crop at full resolution */
	const double factor = plan->dpi / plan->source_dpi;
	uint32_t ow = (uint32_t)KHO_MAX(1.0, round(full_w * factor));
	uint32_t oh = (uint32_t)KHO_MAX(1.0, round(full_h * factor));
	if (rc == KHO_OK && (ow != cur.width || oh != cur.height)) {
		rc = kho_render_resample(&cur, ow, oh, &next, err);
		if (rc == KHO_OK)
			take(&cur, &next);
	}
	if (rc == KHO_OK && cur.channels == 3 &&
	    (plan->mode == KHO_MODE_GREY || plan->mode == KHO_MODE_BITONAL)) {
		rc = kho_render_to_grey(&cur, &next, err);
		if (rc == KHO_OK)
			take(&cur, &next);
	}
	if (rc) {
		kho_image_release(&cur);
		kho_image_release(&next);
		return rc;
	}
	*out = cur;
	return KHO_OK;
}
