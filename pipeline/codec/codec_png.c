#include "common/internal.h"
#define KHO_CODEC_IMPL
#include "codec/codec_private.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * PNG through libpng 1.6.  libpng reports errors by longjmp; the jump
 * lands in this file only (png_run), and the message is copied into the
 * read's own state, never printed.  The file is read through to IEND, so
 * that a file cut short after the image data, or a bad CRC anywhere, fails.
 */

struct png_header {
	uint32_t width;
	uint32_t height;
	int bit_depth;
	int color_type;
	int interlace;
	int channels;  /* of the rows kho hands over */
	int has_alpha; /* an alpha channel or tRNS */
	int has_icc;
	double xdpi;
	double ydpi;
	uint8_t lut[256 * 3]; /* palette, composited onto white */
};

/* One pass over the file: the header at open, everything at decode. */
struct png_read {
	const uint8_t *data;
	size_t size;
	size_t pos;
	int after_image; /* the rows are read; png_read_end runs */
	char msg[KHO_ERROR_MSG_MAX];
	const kho_limits *limits;
	struct png_header *hdr;
	struct kho_scaler *out; /* NULL: the header only */
	uint8_t *rows;	 /* one row, or the whole image when interlaced */
	uint8_t *pixels; /* one output row */
	png_bytep *row_pointers;
};

int kho_png_bid(const uint8_t *d, size_t n)
{
	return n >= 8 && png_sig_cmp(d, 0, 8) == 0 ? 100 : 0;
}

static void on_error(png_structp png, png_const_charp msg)
{
	struct png_read *r = png_get_error_ptr(png);
	if (!r->msg[0]) {
		snprintf(r->msg, sizeof(r->msg), "%s", msg);
		kho_codec_tidy_message(r->msg);
	}
	png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	/* Warnings (an odd ancillary chunk) do not fail a page. */
}

static void read_data(png_structp png, png_bytep buf, size_t n)
{
	struct png_read *r = png_get_io_ptr(png);
	if (n > r->size - r->pos) {
		snprintf(r->msg, sizeof(r->msg), "file is cut short%s",
			 r->after_image ? " after the image data" : "");
		png_error(png, r->msg);
	}
	memcpy(buf, r->data + r->pos, n);
	r->pos += n;
}

static void read_header(png_structp png, png_infop info, struct png_header *h)
{
	png_uint_32 w, ht;
	int interlace;
	png_get_IHDR(png, info, &w, &ht, &h->bit_depth, &h->color_type,
		     &interlace, NULL, NULL);
	h->width = w;
	h->height = ht;
	h->interlace = interlace != PNG_INTERLACE_NONE;
	h->has_icc = png_get_valid(png, info, PNG_INFO_iCCP) != 0;
	h->has_alpha = (h->color_type & PNG_COLOR_MASK_ALPHA) ||
		       png_get_valid(png, info, PNG_INFO_tRNS);

	png_uint_32 xppm, yppm;
	int unit;
	if (png_get_pHYs(png, info, &xppm, &yppm, &unit) &&
	    unit == PNG_RESOLUTION_METER && xppm > 0 && yppm > 0) {
		h->xdpi = kho_codec_round_dpi(xppm * 0.0254);
		h->ydpi = kho_codec_round_dpi(yppm * 0.0254);
	}

	h->channels = h->color_type & PNG_COLOR_MASK_COLOR ? 3 : 1;
	if (h->color_type != PNG_COLOR_TYPE_PALETTE)
		return;
	/* The palette becomes a lookup table, with tRNS composited onto
	 * white; a palette of greys gives grey rows. */
	png_colorp pal = NULL;
	int n = 0;
	png_bytep alpha = NULL;
	int na = 0;
	png_get_PLTE(png, info, &pal, &n);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_get_tRNS(png, info, &alpha, &na, NULL);
	int grey = 1;
	memset(h->lut, 0, sizeof(h->lut));
	for (int i = 0; i < n && i < 256; i++) {
		const unsigned a = alpha && i < na ? alpha[i] : 255;
		const uint8_t c[3] = {pal[i].red, pal[i].green, pal[i].blue};
		for (int k = 0; k < 3; k++)
			h->lut[3 * i + k] =
				(uint8_t)((c[k] * a + 255 * (255 - a) + 127) /
					  255);
		if (h->lut[3 * i] != h->lut[3 * i + 1] ||
		    h->lut[3 * i] != h->lut[3 * i + 2])
			grey = 0;
	}
	h->channels = grey ? 1 : 3;
	if (grey)
		for (int i = 0; i < 256; i++)
			h->lut[i] = h->lut[3 * i];
}

static inline uint8_t over_white(unsigned v, unsigned a)
{
	return (uint8_t)((v * a + 255 * (255 - a) + 127) / 255);
}

/* Turns one row as libpng gives it (after the transforms set in
 * set_transforms) into kho's grey or RGB row. */
static const uint8_t *convert_row(const struct png_read *r, const uint8_t *src,
				  int in_channels)
{
	const struct png_header *h = r->hdr;
	const uint32_t w = h->width;
	uint8_t *o = r->pixels;
	if (h->color_type == PNG_COLOR_TYPE_PALETTE) {
		if (h->channels == 1)
			for (uint32_t x = 0; x < w; x++)
				o[x] = h->lut[src[x]];
		else
			for (uint32_t x = 0; x < w; x++, o += 3)
				memcpy(o, h->lut + 3 * src[x], 3);
		return r->pixels;
	}
	switch (in_channels) {
	case 2:
		for (uint32_t x = 0; x < w; x++, src += 2)
			o[x] = over_white(src[0], src[1]);
		return r->pixels;
	case 4:
		for (uint32_t x = 0; x < w; x++, src += 4, o += 3) {
			o[0] = over_white(src[0], src[3]);
			o[1] = over_white(src[1], src[3]);
			o[2] = over_white(src[2], src[3]);
		}
		return r->pixels;
	default:
		return src; /* grey or RGB: already kho's row */
	}
}

static void set_transforms(png_structp png, png_infop info,
			   const struct png_header *h)
{
	if (h->color_type == PNG_COLOR_TYPE_PALETTE) {
		png_set_packing(png); /* indices, one per byte */
		return;
	}
	if (h->bit_depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png); /* composited in convert_row */
	if (h->bit_depth == 16)
		png_set_strip_16(png); /* the high byte, as for TIFF */
}

/* Hands the rows over; from the whole image when interlaced. */
static int deliver_rows(png_structp png, struct png_read *r, size_t rowbytes,
			int passes, int in_channels, kho_error *err)
{
	const struct png_header *h = r->hdr;
	if (passes > 1) {
		for (uint32_t y = 0; y < h->height; y++)
			r->row_pointers[y] = r->rows + (size_t)y * rowbytes;
		png_read_image(png, r->row_pointers);
		for (uint32_t y = 0; y < h->height; y++) {
			const int rc = kho_scaler_push(
				r->out,
				convert_row(r, r->row_pointers[y], in_channels),
				err);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	for (uint32_t y = 0; y < h->height; y++) {
		png_read_row(png, r->rows, NULL);
		const int rc = kho_scaler_push(
			r->out, convert_row(r, r->rows, in_channels), err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Allocates what one read needs, before libpng decodes a row. */
static int alloc_rows(struct png_read *r, size_t rowbytes, int passes,
		      kho_error *err)
{
	const struct png_header *h = r->hdr;
	const uint64_t rows = passes > 1 ? h->height : 1;
	int rc = kho_check_alloc3(
		r->limits, rowbytes, rows, 1,
		passes > 1 ? "the interlaced PNG image" : "a PNG row", err);
	if (rc < 0)
		return rc;
	r->rows = malloc(rowbytes * (size_t)rows);
	r->pixels = malloc((size_t)h->width * 3);
	if (passes > 1)
		r->row_pointers = malloc(sizeof(png_bytep) * h->height);
	if (!r->rows || !r->pixels || (passes > 1 && !r->row_pointers))
		return kho_error_set(err, KHO_FATAL, "out of memory");
	return 0;
}

/*
 * One read of the file.  The only setjmp of the PNG codec: libpng jumps
 * back here on any error, with the message already in r->msg.  After the
 * jump only png, info and r are used, none of which changes after setjmp;
 * what the read allocates hangs off r, for the caller to free.
 */
static int png_run(struct png_read *r, kho_error *err)
{
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r,
						 on_error, on_warning);
	if (!png)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	png_infop info = png_create_info_struct(png);
	if (!info) {
		png_destroy_read_struct(&png, NULL, NULL);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		return kho_error_set(err, KHO_FAIL, "%s",
				     r->msg[0] ? r->msg : "PNG decoding error");
	}
	png_set_read_fn(png, r, read_data);
	/* A bad CRC in any chunk fails the file, ancillary ones too. */
	png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
	const uint64_t side = KHO_MIN(r->limits->max_pixels, 0x7fffffffu);
	png_set_user_limits(png, (png_uint_32)side, (png_uint_32)side);
	png_set_chunk_malloc_max(
		png, (png_alloc_size_t)KHO_MIN(r->limits->max_alloc_bytes,
					       (uint64_t)PNG_SIZE_MAX));
	png_read_info(png, info);
	if (!r->out) {
		read_header(png, info, r->hdr);
		png_destroy_read_struct(&png, &info, NULL);
		return 0;
	}

	set_transforms(png, info, r->hdr);
	const int passes = png_set_interlace_handling(png);
	png_read_update_info(png, info);
	const size_t rowbytes = png_get_rowbytes(png, info);
	const int in_channels = png_get_channels(png, info);
	int rc = 0;
	if (png_get_bit_depth(png, info) != 8 ||
	    rowbytes != (size_t)r->hdr->width * in_channels)
		rc = kho_error_set(
			err, KHO_FAIL,
			"unexpected PNG row layout after transforms");
	if (rc == 0)
		rc = alloc_rows(r, rowbytes, passes, err);
	if (rc == 0)
		rc = deliver_rows(png, r, rowbytes, passes, in_channels, err);
	if (rc == 0) {
		r->after_image = 1;
		png_read_end(png, NULL);
	}
	png_destroy_read_struct(&png, &info, NULL);
	return rc;
}

static void png_state_free(void *priv)
{
	free(priv);
}

static int png_open(kho_image_file *file, kho_error *err)
{
	struct png_header *h = calloc(1, sizeof(*h));
	if (!h)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	file->priv = h;
	struct png_read r = {
		.data = file->data,
		.size = file->size,
		.limits = &file->limits,
		.hdr = h,
	};
	const int rc = png_run(&r, err);
	if (rc < 0)
		return rc;
	file->pages = 1;
	return 0;
}

static const char *color_name(int color_type)
{
	switch (color_type) {
	case PNG_COLOR_TYPE_GRAY:
		return "grey";
	case PNG_COLOR_TYPE_GRAY_ALPHA:
		return "grey + alpha";
	case PNG_COLOR_TYPE_PALETTE:
		return "palette";
	case PNG_COLOR_TYPE_RGB:
		return "RGB";
	case PNG_COLOR_TYPE_RGB_ALPHA:
		return "RGB + alpha";
	default:
		return "unknown colour";
	}
}

static int png_page_info(kho_image_file *file, uint32_t page,
			 kho_page_info *info, kho_error *err)
{
	const struct png_header *h = file->priv;
	info->width = h->width;
	info->height = h->height;
	info->channels = h->channels;
	info->bits = h->bit_depth;
	info->orientation = 1;
	info->xdpi = h->xdpi;
	info->ydpi = h->ydpi;
	info->dpi_source = h->xdpi > 0 ? KHO_DPI_PNG : KHO_DPI_NONE;
	info->has_icc = h->has_icc;
	const int trns =
		h->has_alpha && !(h->color_type & PNG_COLOR_MASK_ALPHA);
	snprintf(info->description, sizeof(info->description),
		 "PNG, %d-bit %s%s%s", h->bit_depth, color_name(h->color_type),
		 trns ? " + tRNS" : "", h->interlace ? ", interlaced" : "");
	return 0;
}

static int png_decode(kho_image_file *file, uint32_t page, unsigned scale,
		      struct kho_scaler *out, kho_error *err)
{
	struct png_read r = {
		.data = file->data,
		.size = file->size,
		.limits = &file->limits,
		.hdr = file->priv,
		.out = out,
	};
	assert(out->channels == r.hdr->channels);
	const int rc = png_run(&r, err);
	free(r.rows);
	free(r.pixels);
	free(r.row_pointers);
	return rc;
}

const struct kho_codec_ops kho_png_ops = {
	.open = png_open,
	.page_info = png_page_info,
	.decode = png_decode,
	.free = png_state_free,
};
