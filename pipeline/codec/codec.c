#include "common/internal.h"
#define KHO_CODEC_IMPL
#include "codec/codec_private.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * The format table, libarchive style: every format bids on the first bytes
 * and the highest bid wins.  Bids are 0 (not mine) to 100 (certain).
 */
struct kho_codec {
	kho_format format;
	const char *name;
	int (*bid)(const uint8_t *data, size_t size);
	const struct kho_codec_ops *ops;
	int scales_itself; /* decodes at 1/2, 1/4, 1/8 without the scaler */
};

static const struct kho_codec formats[] = {
	{KHO_FORMAT_TIFF, "TIFF", kho_tiff_bid, &kho_tiff_ops, 0},
	{KHO_FORMAT_JPEG, "JPEG", kho_jpeg_bid, &kho_jpeg_ops, 1},
	{KHO_FORMAT_PNG, "PNG", kho_png_bid, &kho_png_ops, 0},
};

/* Formats kho does not read but names, so that a refusal says what the
 * file is ("unsupported format: PDF") rather than "unknown". */
struct kho_known_format {
	const char *name;
	int (*match)(const uint8_t *data, size_t size);
};

static int starts_with(const uint8_t *data, size_t size, const void *magic,
		       size_t n)
{
	return size >= n && memcmp(data, magic, n) == 0;
}

static int match_pdf(const uint8_t *d, size_t n)
{
	return starts_with(d, n, "%PDF-", 5);
}

static int match_gif(const uint8_t *d, size_t n)
{
	return starts_with(d, n, "GIF87a", 6) || starts_with(d, n, "GIF89a", 6);
}

static int match_bmp(const uint8_t *d, size_t n)
{
	/* "BM", then a DIB header size that one of the known versions has. */
	if (!starts_with(d, n, "BM", 2) || n < 18)
		return 0;
	const uint32_t dib = kho_get32(d + 14, 0);
	return dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 ||
	       dib == 108 || dib == 124;
}

static int match_webp(const uint8_t *d, size_t n)
{
	return n >= 12 && memcmp(d, "RIFF", 4) == 0 &&
	       memcmp(d + 8, "WEBP", 4) == 0;
}

static int match_jp2(const uint8_t *d, size_t n)
{
	static const uint8_t box[] = {0,   0,	0,    12,   'j',  'P',
				      ' ', ' ', 0x0d, 0x0a, 0x87, 0x0a};
	static const uint8_t codestream[] = {0xff, 0x4f, 0xff, 0x51};
	return starts_with(d, n, box, sizeof(box)) ||
	       starts_with(d, n, codestream, sizeof(codestream));
}

static int match_pnm(const uint8_t *d, size_t n)
{
	return n >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6' &&
	       isspace(d[2]);
}

static const struct kho_known_format known_formats[] = {
	{"PDF", match_pdf},   {"GIF", match_gif},	{"BMP", match_bmp},
	{"WebP", match_webp}, {"JPEG 2000", match_jp2}, {"PNM", match_pnm},
};

static const struct kho_codec *find_codec(const uint8_t *data, size_t size)
{
	const struct kho_codec *best = NULL;
	int best_bid = 0;
	for (size_t i = 0; i < KHO_ARRAY_SIZE(formats); i++) {
		const int bid = formats[i].bid(data, size);
		if (bid > best_bid) {
			best_bid = bid;
			best = &formats[i];
		}
	}
	return best;
}

kho_format kho_format_probe(const uint8_t *data, size_t size, const char **what)
{
	if (what)
		*what = NULL;
	if (!data)
		return KHO_FORMAT_UNKNOWN;
	const struct kho_codec *codec = find_codec(data, size);
	if (codec)
		return codec->format;
	for (size_t i = 0; i < KHO_ARRAY_SIZE(known_formats); i++) {
		if (known_formats[i].match(data, size)) {
			if (what)
				*what = known_formats[i].name;
			break;
		}
	}
	return KHO_FORMAT_UNKNOWN;
}

const char *kho_format_name(kho_format format)
{
	for (size_t i = 0; i < KHO_ARRAY_SIZE(formats); i++)
		if (formats[i].format == format)
			return formats[i].name;
	return "unknown";
}

static int open_file(kho_image_file **out, const uint8_t *data, size_t size,
		     const kho_file_map *map, const kho_limits *limits,
		     kho_error *err)
{
	static const kho_limits defaults = KHO_LIMITS_DEFAULT;
	*out = NULL;
	if (!limits)
		limits = &defaults;
	if (!data || size == 0)
		return kho_error_set(err, KHO_FAIL, "file is empty");
	if (size > limits->max_file_bytes)
		return kho_error_set(
			err, KHO_FAIL,
			"file is too large: %zu bytes (limit %llu)", size,
			(unsigned long long)limits->max_file_bytes);

	const struct kho_codec *codec = find_codec(data, size);
	if (!codec) {
		const char *what;
		kho_format_probe(data, size, &what);
		if (what)
			return kho_error_set(err, KHO_FAIL,
					     "unsupported format: %s", what);
		return kho_error_set(err, KHO_FAIL,
				     "unrecognised format (not TIFF, JPEG or "
				     "PNG)");
	}

	kho_image_file *file = calloc(1, sizeof(*file));
	if (!file)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	file->codec = codec;
	file->data = data;
	file->size = size;
	file->map = map;
	file->limits = *limits;
	const int rc = codec->ops->open(file, err);
	if (rc < 0) {
		kho_image_file_free(file);
		return rc;
	}
	assert(file->pages > 0);
	*out = file;
	return 0;
}

int kho_image_file_open(kho_image_file **out, const uint8_t *data, size_t size,
			const kho_limits *limits, kho_error *err)
{
	return open_file(out, data, size, NULL, limits, err);
}

int kho_image_file_open_map(kho_image_file **out, const kho_file_map *map,
			    const kho_limits *limits, kho_error *err)
{
	return open_file(out, map->data, map->size, map, limits, err);
}

void kho_image_file_free(kho_image_file *file)
{
	if (!file)
		return;
	file->codec->ops->free(file->priv);
	free(file);
}

kho_format kho_image_file_format(const kho_image_file *file)
{
	return file->codec->format;
}

uint32_t kho_image_file_pages(const kho_image_file *file)
{
	return file->pages;
}

/* ceil(n / scale), the size of a scaled page (and TurboJPEG's TJSCALED). */
static uint32_t scaled(uint32_t n, unsigned scale)
{
	return (uint32_t)(((uint64_t)n + scale - 1) / scale);
}

/* Messages of a multi-page file say which page; a one-page file needs no
 * page number. */
static int page_failed(const kho_image_file *file, uint32_t page, int rc,
		       kho_error *err)
{
	if (file->pages > 1)
		kho_error_prefix(err, "page %u", page + 1);
	return rc;
}

/* The page as the file stores it: its pixels not yet made square. */
static int stored_info(kho_image_file *file, uint32_t page,
		       kho_page_info *info, kho_error *err)
{
	memset(info, 0, sizeof(*info));
	if (page >= file->pages)
		return kho_error_set(err, KHO_FAIL,
				     "no page %u: the file has %u", page + 1,
				     file->pages);
	const int rc = file->codec->ops->page_info(file, page, info, err);
	if (rc < 0)
		return page_failed(file, page, rc, err);
	if (info->orientation < 1 || info->orientation > 8)
		info->orientation = 1;
	return 0;
}

int kho_image_file_page_info(kho_image_file *file, uint32_t page,
			     kho_page_info *info, kho_error *err)
{
	const int rc = stored_info(file, page, info, err);
	if (rc == 0)
		kho_square_info(info);
	return rc;
}

static int decode_page(kho_image_file *file, uint32_t page, unsigned scale,
		       kho_row_fn fn, void *ctx, kho_error *err);

int kho_image_file_decode(kho_image_file *file, uint32_t page, unsigned scale,
			  kho_row_fn fn, void *ctx, kho_error *err)
{
	file->grey = 0;
	return decode_page(file, page, scale, fn, ctx, err);
}

int kho_image_file_decode_grey(kho_image_file *file, uint32_t page,
			       unsigned scale, kho_row_fn fn, void *ctx,
			       kho_error *err)
{
	kho_page_info info;
	int rc = stored_info(file, page, &info, err);
	if (rc < 0)
		return rc;
	if (!info.grey_stored)
		return kho_error_set(err, KHO_USAGE,
				     "page %u stores no grey of its own",
				     page + 1);
	file->grey = 1;
	rc = decode_page(file, page, scale, fn, ctx, err);
	file->grey = 0;
	return rc;
}

static int decode_page(kho_image_file *file, uint32_t page, unsigned scale,
		       kho_row_fn fn, void *ctx, kho_error *err)
{
	if (scale != 1 && scale != 2 && scale != 4 && scale != 8)
		return kho_error_set(err, KHO_USAGE,
				     "invalid scale %u (1, 2, 4 or 8)", scale);
	if (!fn)
		return kho_error_set(err, KHO_USAGE, "no row function");
	kho_page_info stored, info;
	int rc = stored_info(file, page, &stored, err);
	if (rc < 0)
		return rc;
	if (file->grey)
		stored.channels = 1;
	info = stored;
	const int square = kho_square_info(&info);

	/* The one place where the pixel limit is checked, before any
	 * decoder allocates for the page. */
	const uint64_t pixels = (uint64_t)info.width * info.height;
	if (info.width == 0 || info.height == 0)
		return page_failed(
			file, page,
			kho_error_set(err, KHO_FAIL,
				      "image has no pixels (%u x %u)",
				      info.width, info.height),
			err);
	if (pixels > file->limits.max_pixels)
		return page_failed(
			file, page,
			kho_error_set(
				err, KHO_FAIL,
				"image is too large: %u x %u pixels "
				"(limit %llu)",
				info.width, info.height,
				(unsigned long long)file->limits.max_pixels),
			err);

	/* Rows go from the codec through the scaler, and where the pixels
	 * are not square, through the stretch, to fn. */
	struct kho_stretch stretch = {0};
	if (square) {
		rc = kho_stretch_init(&stretch, scaled(stored.width, scale),
				      scaled(stored.height, scale),
				      scaled(info.width, scale),
				      scaled(info.height, scale), info.channels,
				      fn, ctx, &file->limits, err);
		if (rc < 0)
			return page_failed(file, page, rc, err);
		fn = kho_stretch_row;
		ctx = &stretch;
	}
	struct kho_scaler scaler;
	const int native = file->codec->scales_itself;
	if (native) {
		/* The codec delivers scaled rows; the scaler only counts. */
		rc = kho_scaler_init(&scaler, scaled(stored.width, scale),
				     scaled(stored.height, scale),
				     info.channels, 1, fn, ctx, &file->limits,
				     err);
	} else {
		rc = kho_scaler_init(&scaler, stored.width, stored.height,
				     info.channels, scale, fn, ctx,
				     &file->limits, err);
	}
	if (rc == 0)
		rc = file->codec->ops->decode(file, page, native ? scale : 1,
					      &scaler, err);
	if (rc == 0)
		rc = kho_scaler_finish(&scaler, err);
	if (rc == 0 && square)
		rc = kho_stretch_finish(&stretch, err);
	kho_scaler_release(&scaler);
	kho_stretch_release(&stretch);
	return rc < 0 ? page_failed(file, page, rc, err) : 0;
}

int kho_image_alloc(kho_image *img, uint32_t width, uint32_t height,
		    int channels, kho_error *err)
{
	*img = (kho_image)KHO_IMAGE_INIT;
	if (width == 0 || height == 0 || (channels != 1 && channels != 3))
		return kho_error_set(err, KHO_USAGE,
				     "invalid image shape %u x %u x %d", width,
				     height, channels);
	const size_t stride = (size_t)width * (size_t)channels;
	if (height > SIZE_MAX / stride)
		return kho_error_set(err, KHO_FAIL,
				     "image is too large: %u x %u pixels",
				     width, height);
	uint8_t *pixels = malloc(stride * height);
	if (!pixels)
		return kho_error_set(err, KHO_FATAL,
				     "out of memory for a %u x %u image", width,
				     height);
	img->width = width;
	img->height = height;
	img->channels = channels;
	img->stride = stride;
	img->pixels = pixels;
	return 0;
}

void kho_image_release(kho_image *img)
{
	if (!img)
		return;
	free(img->pixels);
	*img = (kho_image)KHO_IMAGE_INIT;
}

static int store_row(void *ctx, uint32_t y, const uint8_t *row, kho_error *err)
{
	kho_image *img = ctx;
	assert(y < img->height);
	memcpy(img->pixels + (size_t)y * img->stride, row, img->stride);
	return 0;
}

int kho_image_file_read(kho_image_file *file, uint32_t page, unsigned scale,
			kho_image *out, kho_error *err)
{
	*out = (kho_image)KHO_IMAGE_INIT;
	if (scale != 1 && scale != 2 && scale != 4 && scale != 8)
		return kho_error_set(err, KHO_USAGE,
				     "invalid scale %u (1, 2, 4 or 8)", scale);
	kho_page_info info;
	int rc = kho_image_file_page_info(file, page, &info, err);
	if (rc < 0)
		return rc;
	const uint64_t pixels = (uint64_t)info.width * info.height;
	if (pixels > file->limits.max_pixels || info.width == 0 ||
	    info.height == 0)
		/* Let decode say why, in its words. */
		return kho_image_file_decode(file, page, scale, store_row, out,
					     err);
	const uint32_t w = scaled(info.width, scale);
	const uint32_t h = scaled(info.height, scale);
	rc = kho_check_alloc(&file->limits, (uint64_t)w * h * info.channels,
			     "the page image", err);
	if (rc < 0)
		return page_failed(file, page, rc, err);
	rc = kho_image_alloc(out, w, h, info.channels, err);
	if (rc < 0)
		return page_failed(file, page, rc, err);
	rc = kho_image_file_decode(file, page, scale, store_row, out, err);
	if (rc < 0)
		kho_image_release(out);
	return rc;
}

int kho_check_alloc(const kho_limits *limits, uint64_t n, const char *what,
		    kho_error *err)
{
	if (n > limits->max_alloc_bytes || n > SIZE_MAX / 2)
		return kho_error_set(
			err, KHO_FAIL, "%s needs %llu bytes (limit %llu)", what,
			(unsigned long long)n,
			(unsigned long long)limits->max_alloc_bytes);
	return 0;
}

int kho_check_alloc3(const kho_limits *limits, uint64_t a, uint64_t b,
		     uint64_t c, const char *what, kho_error *err)
{
	uint64_t ab, abc;
	if (__builtin_mul_overflow(a, b, &ab) ||
	    __builtin_mul_overflow(ab, c, &abc))
		return kho_error_set(err, KHO_FAIL,
				     "%s needs more than 2^64 bytes", what);
	return kho_check_alloc(limits, abc, what, err);
}

void kho_codec_tidy_message(char *msg)
{
	size_t n = strlen(msg);
	while (n > 0 &&
	       (msg[n - 1] == '\n' || msg[n - 1] == '.' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	/* "Not enough data" reads "not enough data"; "JPEG ..." stays. */
	if (n >= 2 && isupper((unsigned char)msg[0]) &&
	    !isupper((unsigned char)msg[1]))
		msg[0] = (char)tolower((unsigned char)msg[0]);
}

double kho_codec_round_dpi(double dpi)
{
	if (!isfinite(dpi) || dpi <= 0)
		return 0;
	return round(dpi * 100.0) / 100.0;
}

/* ---- box-average scaler ---- */

int kho_scaler_init(struct kho_scaler *s, uint32_t width, uint32_t height,
		    int channels, unsigned scale, kho_row_fn fn, void *ctx,
		    const kho_limits *limits, kho_error *err)
{
	memset(s, 0, sizeof(*s));
	assert(channels == 1 || channels == 3);
	assert(scale == 1 || scale == 2 || scale == 4 || scale == 8);
	s->fn = fn;
	s->ctx = ctx;
	s->scale = scale;
	s->in_width = width;
	s->in_height = height;
	s->channels = channels;
	s->out_width = (uint32_t)(((uint64_t)width + scale - 1) / scale);
	s->out_height = (uint32_t)(((uint64_t)height + scale - 1) / scale);
	if (scale == 1)
		return 0;
	const uint64_t n = (uint64_t)s->out_width * (uint64_t)channels;
	const uint64_t in = (uint64_t)width * (uint64_t)channels;
	int rc = kho_check_alloc(limits,
				 n * sizeof(uint32_t) + in * sizeof(uint16_t),
				 "the scaling buffer", err);
	if (rc < 0)
		return rc;
	s->sums = calloc(n, sizeof(uint32_t));
	s->cols = calloc(in, sizeof(uint16_t));
	s->row = malloc(n);
	if (!s->sums || !s->cols || !s->row) {
		kho_scaler_release(s);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	return 0;
}

void kho_scaler_release(struct kho_scaler *s)
{
	free(s->sums);
	free(s->cols);
	free(s->row);
	s->sums = NULL;
	s->cols = NULL;
	s->row = NULL;
}

/* Adds one input row into the band's column sums: down first, sixteen
 * bytes at a time; across once a band (band_boxes). */
static void add_row(struct kho_scaler *s, const uint8_t *row)
{
	const size_t n = (size_t)s->in_width * s->channels;
	uint16_t *restrict cols = s->cols;
	size_t i = 0;
#if defined(__SSE2__)
	const __m128i zero = _mm_setzero_si128();
	for (; i + 16 <= n; i += 16) {
		const __m128i v = _mm_loadu_si128((const __m128i *)(row + i));
		__m128i *c0 = (__m128i *)(cols + i), *c1 = (__m128i *)(cols + i + 8);
		_mm_storeu_si128(c0, _mm_add_epi16(_mm_loadu_si128(c0),
						   _mm_unpacklo_epi8(v, zero)));
		_mm_storeu_si128(c1, _mm_add_epi16(_mm_loadu_si128(c1),
						   _mm_unpackhi_epi8(v, zero)));
	}
#endif
	for (; i < n; i++)
		cols[i] += row[i];
}

/* The band's column sums into its box sums, k columns a box (fewer in
 * the last); the columns start again from 0.  K and CH are constants at
 * each call so that the compiler unrolls the box. */
static inline void boxes_across(uint32_t *restrict sum,
				const uint16_t *restrict cols, uint32_t full,
				unsigned k, int ch)
{
	for (uint32_t x = 0; x < full; x++, cols += (size_t)ch * k)
		for (int c = 0; c < ch; c++) {
			uint32_t t = 0;
			for (unsigned i = 0; i < k; i++)
				t += cols[(size_t)ch * i + c];
			sum[(size_t)ch * x + c] = t;
		}
}

static void band_boxes(struct kho_scaler *s)
{
	const unsigned k = s->scale;
	const int ch = s->channels;
	const uint32_t full = s->in_width / k;
	uint32_t *sum = s->sums;
	const uint16_t *cols = s->cols;
	if (ch == 1 && k == 2)
		boxes_across(sum, cols, full, 2, 1);
	else if (ch == 1 && k == 4)
		boxes_across(sum, cols, full, 4, 1);
	else if (ch == 1)
		boxes_across(sum, cols, full, 8, 1);
	else if (k == 2)
		boxes_across(sum, cols, full, 2, 3);
	else if (k == 4)
		boxes_across(sum, cols, full, 4, 3);
	else
		boxes_across(sum, cols, full, 8, 3);
	/* the last, partial box of the row */
	if (full < s->out_width) {
		const uint16_t *rest = cols + (size_t)ch * k * full;
		for (int c = 0; c < ch; c++) {
			uint32_t t = 0;
			for (uint32_t i = 0; i < s->in_width - full * k; i++)
				t += rest[(size_t)ch * i + c];
			sum[(size_t)ch * full + c] = t;
		}
	}
	memset(s->cols, 0, (size_t)s->in_width * ch * sizeof(*s->cols));
}

/* The band's means: a whole band's boxes hold k*k pixels, a power of two,
 * so a shift divides them; only the partial boxes (the last column, the
 * last band) divide. */
static int emit_band(struct kho_scaler *s, uint32_t band_rows, kho_error *err)
{
	const unsigned k = s->scale;
	const int ch = s->channels;
	const uint32_t full = s->in_width / k;
	const size_t whole = (size_t)full * ch;
	band_boxes(s);
	uint32_t *restrict sums = s->sums;
	uint8_t *restrict out = s->row;
	if (band_rows == k) {
		const unsigned shift = k == 2 ? 2 : k == 4 ? 4 : 6;
		const uint32_t half = 1u << (shift - 1);
		for (size_t i = 0; i < whole; i++)
			out[i] = (uint8_t)((sums[i] + half) >> shift);
	} else {
		const uint32_t n = k * band_rows;
		for (size_t i = 0; i < whole; i++)
			out[i] = (uint8_t)((sums[i] + n / 2) / n);
	}
	if (full < s->out_width) {
		const uint32_t n = (s->in_width - full * k) * band_rows;
		for (int c = 0; c < ch; c++)
			out[whole + c] =
				(uint8_t)((sums[whole + c] + n / 2) / n);
	}
	return s->fn(s->ctx, s->rows_out++, s->row, err);
}

int kho_scaler_push(struct kho_scaler *s, const uint8_t *row, kho_error *err)
{
	if (s->rows_in >= s->in_height)
		return kho_error_set(err, KHO_FAIL,
				     "decoder delivered more than %u rows",
				     s->in_height);
	s->rows_in++;
	if (s->scale == 1)
		return s->fn(s->ctx, s->rows_out++, row, err);
	add_row(s, row);
	if (s->rows_in % s->scale == 0)
		return emit_band(s, s->scale, err);
	return 0;
}

int kho_scaler_finish(struct kho_scaler *s, kho_error *err)
{
	if (s->rows_in != s->in_height)
		return kho_error_set(err, KHO_FAIL,
				     "decoder delivered %u of %u rows",
				     s->rows_in, s->in_height);
	if (s->scale > 1 && s->rows_in % s->scale != 0) {
		const int rc = emit_band(s, s->rows_in % s->scale, err);
		if (rc < 0)
			return rc;
	}
	assert(s->rows_out == s->out_height);
	return 0;
}
