/*
 * What each mode keeps of the rendered rows.  Bitonal and mixed pages are
 * binarized as the rows arrive; a mixed page's colour rows wait in a short
 * ring until their text mask is known, have the text taken out (so that
 * the background carries paper, seal and signature but no blurred copy of
 * the text under the sharp one) and are reduced to the background's
 * resolution on the way.
 */
#include "render/render_private.h"
#include "render/sauvola.h"

#include <math.h>
#include "common/rgb_lanes.h"

struct kho_layers {
	kho_mode mode;
	uint32_t w, h;
	int dpi;
	uint32_t rows_in;

	/* bitonal, mixed: the text layer */
	kho_sauvola *sv;
	uint8_t *bits;
	size_t stride;
	uint32_t bits_done; /* text rows known */

	/* grey: the page; mixed: the background */
	kho_image image;
	int image_dpi;

	/* colour: the page as 4:2:0 planes, chroma summed over row pairs */
	kho_yuv420 yuv;
	uint32_t *chroma; /* Cb and Cr sums, (width + 1) / 2 each */

	/* mixed */
	uint8_t *grey; /* the row binarized: neutral pixels only */
	uint8_t *rgb;  /* ring of colour rows waiting for their mask */
	uint32_t rgb_cap;
	/* per column the last paper colour seen above, which is also the
	 * background row just made, with the text taken out */
	uint8_t *fill;
	uint8_t *grown; /* one row of the mask grown by a pixel */
	uint8_t *near;
	kho_resampler bg;
	uint32_t bg_done; /* colour rows cleaned and passed on */
};

int kho_layers_channels(kho_mode mode)
{
	return mode == KHO_MODE_COLOUR || mode == KHO_MODE_MIXED ? 3 : 1;
}

static int store_bits(void *ctx, uint32_t y, const uint8_t *bits,
		      kho_error *err);

static int yuv_alloc(kho_layers *l, kho_error *err)
{
	kho_yuv420 *v = &l->yuv;
	const uint32_t cw = (l->w + 1) / 2, ch = (l->h + 1) / 2;
	v->width = l->w;
	v->height = l->h;
	v->stride[0] = l->w;
	v->stride[1] = v->stride[2] = cw;
	v->rows[0] = l->h;
	v->rows[1] = v->rows[2] = ch;
	const size_t luma = (size_t)l->w * l->h, chroma = (size_t)cw * ch;
	v->plane[0] = malloc(luma + 2 * chroma);
	l->chroma = calloc(2 * (size_t)cw, sizeof(uint32_t));
	if (!v->plane[0] || !l->chroma)
		return kho_error_set(err, KHO_FATAL,
				     "out of memory for a %u x %u colour page",
				     l->w, l->h);
	v->plane[1] = v->plane[0] + luma;
	v->plane[2] = v->plane[1] + chroma;
	return KHO_OK;
}

/*
 * An RGB row into the planes, as JFIF defines YCbCr (BT.601, full range),
 * in 16-bit fixed point; chroma is the mean of each 2 x 2 block (fewer
 * pixels at an odd edge).
 */
static void push_colour(kho_layers *l, uint32_t y, const uint8_t *row)
{
	kho_yuv420 *v = &l->yuv;
	uint8_t *luma = v->plane[0] + (size_t)y * v->stride[0];
	const uint32_t cw = (l->w + 1) / 2;
	uint32_t *cb = l->chroma, *cr = l->chroma + cw;
	for (uint32_t x = 0; x < l->w; x++) {
		const int32_t r = row[3 * x], g = row[3 * x + 1],
			      b = row[3 * x + 2];
		luma[x] =
			(uint8_t)((19595 * r + 38470 * g + 7471 * b + 32768) >>
				  16);
		cb[x / 2] += (uint32_t)((-11059 * r - 21709 * g + 32768 * b +
					 (128 << 16) + 32768) >>
					16);
		cr[x / 2] += (uint32_t)((32768 * r - 27439 * g - 5329 * b +
					 (128 << 16) + 32768) >>
					16);
	}
	if (y % 2 == 0 && y + 1 < l->h)
		return; /* the pair's second row is still to come */
	const uint32_t rows = y % 2 ? 2 : 1;
	uint8_t *pb = v->plane[1] + (size_t)(y / 2) * v->stride[1];
	uint8_t *pr = v->plane[2] + (size_t)(y / 2) * v->stride[2];
	for (uint32_t i = 0; i < cw; i++) {
		const uint32_t n = rows * (2 * i + 1 < l->w ? 2 : 1);
		/* pure red or blue rounds to 256 */
		pb[i] = (uint8_t)KHO_MIN((cb[i] + n / 2) / n, 255u);
		pr[i] = (uint8_t)KHO_MIN((cr[i] + n / 2) / n, 255u);
	}
	memset(l->chroma, 0, 2 * (size_t)cw * sizeof(uint32_t));
}
static int store_image_row(void *ctx, uint32_t y, const uint8_t *row,
			   kho_error *err)
{
	(void)err;
	kho_image *img = ctx;
	assert(y < img->height);
	memcpy(img->pixels + (size_t)y * img->stride, row, img->stride);
	return KHO_OK;
}

int kho_layers_new(kho_layers **out, kho_mode mode, uint32_t width,
		   uint32_t height, int dpi, int background_dpi,
		   double paper_level, kho_error *err)
{
	*out = NULL;
	kho_layers *l = calloc(1, sizeof(*l));
	if (!l)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	l->mode = mode;
	l->w = width;
	l->h = height;
	l->dpi = dpi;
	l->image_dpi = dpi;
	int rc = KHO_OK;
	if (mode == KHO_MODE_BITONAL || mode == KHO_MODE_MIXED) {
		l->stride = (width + 7) / 8;
		l->bits = malloc(l->stride * height);
		if (!l->bits)
			rc = kho_error_set(err, KHO_FATAL,
					   "out of memory for the text layer");
		if (rc == KHO_OK)
			rc = kho_sauvola_new(&l->sv, width, height, dpi,
					     kho_sauvola_floor(paper_level),
					     store_bits, l, err);
	}
	if (rc == KHO_OK && mode == KHO_MODE_GREY)
		rc = kho_image_alloc(&l->image, width, height, 1, err);
	if (rc == KHO_OK && mode == KHO_MODE_COLOUR)
		rc = yuv_alloc(l, err);
	if (rc == KHO_OK && mode == KHO_MODE_MIXED) {
		uint32_t bw = width, bh = height;
		if (background_dpi > 0 && background_dpi < dpi) {
			const double f = (double)background_dpi / dpi;
			bw = (uint32_t)KHO_MAX(1.0, round(width * f));
			bh = (uint32_t)KHO_MAX(1.0, round(height * f));
			l->image_dpi = background_dpi;
		}
		l->rgb_cap = kho_sauvola_lag(l->sv) + 3;
		l->grey = malloc(width);
		l->rgb = malloc((size_t)l->rgb_cap * width * 3);
		l->fill = malloc((size_t)width * 3);
		l->grown = malloc(l->stride);
		l->near = malloc(l->stride);
		if (!l->grey || !l->rgb || !l->fill || !l->grown || !l->near)
			rc = kho_error_set(err, KHO_FATAL,
					   "out of memory for the background");
		if (rc == KHO_OK)
			rc = kho_image_alloc(&l->image, bw, bh, 3, err);
		if (rc == KHO_OK)
			rc = kho_resampler_init(&l->bg, width, height, bw, bh,
						3, store_image_row, &l->image,
						err);
	}
	if (rc) {
		kho_layers_free(l);
		return rc;
	}
	*out = l;
	return KHO_OK;
}

void kho_layers_free(kho_layers *l)
{
	if (!l)
		return;
	kho_sauvola_free(l->sv);
	free(l->bits);
	kho_image_release(&l->image);
	free(l->grey);
	free(l->rgb);
	free(l->fill);
	free(l->grown);
	free(l->near);
	kho_resampler_release(&l->bg);
	free(l->yuv.plane[0]);
	free(l->chroma);
	free(l);
}

/*
 * Row y of the background: a pixel on or next to text (the text mask
 * grown by one pixel, which takes the soft edge of the strokes too) takes
 * the colour of the paper last seen above it in its column.  Text runs in
 * lines, so the paper above a letter is the paper around it.  That row is
 * the fill row itself once each pixel away from text has been written
 * into it.
 */
static int clean_row(kho_layers *l, uint32_t y, kho_error *err)
{
	const uint8_t *src = l->rgb + (size_t)(y % l->rgb_cap) * l->w * 3;
	if (y == 0)
		memcpy(l->fill, src, (size_t)l->w * 3);
	/* The mask of rows y - 1 .. y + 1, ORed, then grown sideways. */
	uint8_t *v = l->grown;
	memcpy(v, l->bits + (size_t)y * l->stride, l->stride);
	for (int d = -1; d <= 1; d += 2) {
		const int64_t yy = (int64_t)y + d;
		if (yy < 0 || yy >= (int64_t)l->h)
			continue;
		const uint8_t *r = l->bits + (size_t)yy * l->stride;
		for (size_t b = 0; b < l->stride; b++)
			v[b] |= r[b];
	}
	uint8_t prev = 0;
	for (size_t b = 0; b < l->stride; b++) {
		const uint8_t cur = v[b];
		const uint8_t next = b + 1 < l->stride ? v[b + 1] : 0;
		l->near[b] = (uint8_t)(cur | cur >> 1 | prev << 7 | cur << 1 |
				       next >> 7);
		prev = cur;
	}
	uint32_t x = 0;
	while (x < l->w) {
		uint8_t *f = l->fill + (size_t)x * 3;
		const uint8_t near = l->near[x >> 3];
		/* Eight pixels at once where none or all of them are by
		 * text, as most of a page is one or the other: text left as
		 * the fill has it, a run of paper copied in one go. */
		if ((x & 7) == 0 && x + 8 <= l->w && near == 0xff) {
			x += 8;
			continue;
		}
		if ((x & 7) == 0 && x + 8 <= l->w && near == 0) {
			uint32_t end = x + 8;
			while (end + 8 <= l->w && l->near[end >> 3] == 0)
				end += 8;
			memcpy(f, src + (size_t)x * 3, (size_t)(end - x) * 3);
			x = end;
			continue;
		}
		if (!(near & (0x80u >> (x & 7))))
			memcpy(f, src + (size_t)x * 3, 3);
		x++;
	}
	return kho_resampler_push(&l->bg, l->fill, err);
}

/* Background rows whose mask neighbours (y - 1 .. y + 1) are known. */
static int clean_ready(kho_layers *l, kho_error *err)
{
	while (l->bg_done < l->rows_in &&
	       (l->bg_done + 1 < l->bits_done || l->bits_done == l->h)) {
		const int rc = clean_row(l, l->bg_done, err);
		if (rc)
			return rc;
		l->bg_done++;
	}
	return KHO_OK;
}

static int store_bits(void *ctx, uint32_t y, const uint8_t *bits,
		      kho_error *err)
{
	(void)err;
	kho_layers *l = ctx;
	assert(y < l->h);
	memcpy(l->bits + (size_t)y * l->stride, bits, l->stride);
	l->bits_done = y + 1;
	return KHO_OK;
}

/* What the text layer takes of a pixel, by its lanes (common/rgb_lanes.h):
 * its luma where the channels spread at most KHO_MIXED_CHROMA, else its
 * brightest channel when that is below KHO_MIXED_DARK, else white. */
#if KHO_HAVE_AVX2
static __attribute__((target("avx2"))) uint32_t
mixed_grey_avx2(const uint8_t *rgb, uint32_t w, uint8_t *grey)
{
	const __m256i zero = _mm256_setzero_si256();
	const __m256i chroma = _mm256_set1_epi8((char)KHO_MIXED_CHROMA);
	const __m256i dark_max = _mm256_set1_epi8((char)(KHO_MIXED_DARK - 1));
	const __m256i ones = _mm256_set1_epi8((char)0xff);
	uint32_t x = 0;
	for (; KHO_RGB10_FITS(x, w); x += 10) {
		__m256i v[3];
		kho_rgb10_load(rgb + (size_t)x * 3, v);
		const __m256i hi = kho_rgb10_max(v), lo = kho_rgb10_min(v);
		const __m256i neutral = _mm256_cmpeq_epi8(
			_mm256_subs_epu8(_mm256_subs_epu8(hi, lo), chroma),
			zero);
		const __m256i dark = _mm256_cmpeq_epi8(
			_mm256_subs_epu8(hi, dark_max), zero);
		const __m256i coloured =
			_mm256_or_si256(_mm256_and_si256(dark, hi),
					_mm256_andnot_si256(dark, ones));
		kho_rgb10_store(
			_mm256_or_si256(
				_mm256_and_si256(neutral, kho_rgb10_luma(v, 128)),
				_mm256_andnot_si256(neutral, coloured)),
			grey + x);
	}
	return x;
}
#endif

void kho_mixed_grey_row(const uint8_t *rgb, uint32_t w, uint8_t *grey)
{
	uint32_t x = 0;
#if KHO_HAVE_AVX2
	if (kho_cpu_avx2())
		x = mixed_grey_avx2(rgb, w, grey);
#endif
#if defined(__SSE2__)
	const __m128i zero = _mm_setzero_si128();
	const __m128i chroma = _mm_set1_epi8((char)KHO_MIXED_CHROMA);
	const __m128i dark_max = _mm_set1_epi8((char)(KHO_MIXED_DARK - 1));
	const __m128i ones = _mm_set1_epi8((char)0xff);
	for (; KHO_RGB5_FITS(x, w); x += 5) {
		__m128i v[3];
		kho_rgb5_load(rgb + (size_t)x * 3, v);
		const __m128i hi = kho_rgb5_max(v), lo = kho_rgb5_min(v);
		/* spread at most KHO_MIXED_CHROMA: all ones */
		const __m128i neutral = _mm_cmpeq_epi8(
			_mm_subs_epu8(_mm_subs_epu8(hi, lo), chroma), zero);
		/* brightest channel below KHO_MIXED_DARK: all ones */
		const __m128i dark = _mm_cmpeq_epi8(
			_mm_subs_epu8(hi, dark_max), zero);
		const __m128i coloured = _mm_or_si128(
			_mm_and_si128(dark, hi), _mm_andnot_si128(dark, ones));
		kho_rgb5_store(
			_mm_or_si128(_mm_and_si128(neutral, kho_rgb5_luma(v, 128)),
				     _mm_andnot_si128(neutral, coloured)),
			grey + x);
	}
#endif
	for (; x < w; x++) {
		const uint8_t *p = rgb + (size_t)x * 3;
		const int hi = KHO_MAX(p[0], KHO_MAX(p[1], p[2]));
		const int lo = KHO_MIN(p[0], KHO_MIN(p[1], p[2]));
		/* Coloured ink is left to the background, white here; black
		 * print under it is dark in every channel. */
		grey[x] = hi - lo <= KHO_MIXED_CHROMA ? kho_luma(p)
			  : hi < KHO_MIXED_DARK	       ? (uint8_t)hi
						       : 255;
	}
}

#if KHO_HAVE_AVX2
static __attribute__((target("avx2"))) uint32_t
luma_avx2(const uint8_t *rgb, uint32_t w, uint8_t *grey)
{
	uint32_t x = 0;
	for (; KHO_RGB10_FITS(x, w); x += 10) {
		__m256i v[3];
		kho_rgb10_load(rgb + (size_t)x * 3, v);
		kho_rgb10_store(kho_rgb10_luma(v, 128), grey + x);
	}
	return x;
}
#endif

void kho_luma_row(const uint8_t *rgb, uint32_t w, uint8_t *grey)
{
	uint32_t x = 0;
#if KHO_HAVE_AVX2
	if (kho_cpu_avx2())
		x = luma_avx2(rgb, w, grey);
#endif
#if defined(__SSE2__)
	for (; KHO_RGB5_FITS(x, w); x += 5) {
		__m128i v[3];
		kho_rgb5_load(rgb + (size_t)x * 3, v);
		kho_rgb5_store(kho_rgb5_luma(v, 128), grey + x);
	}
#endif
	for (; x < w; x++)
		grey[x] = kho_luma(rgb + (size_t)x * 3);
}

static int push_mixed(kho_layers *l, uint32_t y, const uint8_t *row,
		      kho_error *err)
{
	/* The slot of y must have been cleaned already. */
	if (y >= l->rgb_cap && l->bg_done <= y - l->rgb_cap)
		return kho_error_set(
			err, KHO_FATAL,
			"mixed layers: the colour ring overflowed");
	memcpy(l->rgb + (size_t)(y % l->rgb_cap) * l->w * 3, row,
	       (size_t)l->w * 3);
	kho_mixed_grey_row(row, l->w, l->grey);
	int rc = kho_sauvola_push(l->sv, l->grey, err);
	l->rows_in = y + 1;
	if (rc == KHO_OK && l->rows_in == l->h)
		rc = kho_sauvola_finish(l->sv, err);
	if (rc == KHO_OK)
		rc = clean_ready(l, err);
	return rc;
}

int kho_layers_push(void *layers, uint32_t y, const uint8_t *row,
		    kho_error *err)
{
	kho_layers *l = layers;
	if (y != l->rows_in || y >= l->h)
		return kho_error_set(err, KHO_FAIL,
				     "rendering: row %u out of order", y);
	switch (l->mode) {
	case KHO_MODE_MIXED:
		return push_mixed(l, y, row, err);
	case KHO_MODE_BITONAL: {
		int rc = kho_sauvola_push(l->sv, row, err);
		l->rows_in = y + 1;
		if (rc == KHO_OK && l->rows_in == l->h)
			rc = kho_sauvola_finish(l->sv, err);
		return rc;
	}
	case KHO_MODE_COLOUR:
		push_colour(l, y, row);
		l->rows_in = y + 1;
		return KHO_OK;
	default:
		l->rows_in = y + 1;
		return store_image_row(&l->image, y, row, err);
	}
}

int kho_layers_finish(kho_layers *l, kho_rendered *out, kho_error *err)
{
	if (l->rows_in != l->h ||
	    ((l->mode == KHO_MODE_BITONAL || l->mode == KHO_MODE_MIXED) &&
	     l->bits_done != l->h) ||
	    (l->mode == KHO_MODE_MIXED && l->bg.rows_out != l->image.height))
		return kho_error_set(err, KHO_FAIL,
				     "rendering: the page ended after %u of %u "
				     "rows",
				     l->rows_in, l->h);
	out->mode = l->mode;
	out->width = l->w;
	out->height = l->h;
	out->dpi = l->dpi;
	out->bits = l->bits;
	out->bits_stride = l->stride;
	out->image = l->image;
	out->image_dpi = l->image_dpi;
	out->yuv = l->yuv;
	l->yuv.plane[0] = NULL;
	l->bits = NULL;
	l->image = (kho_image)KHO_IMAGE_INIT;
	return KHO_OK;
}
