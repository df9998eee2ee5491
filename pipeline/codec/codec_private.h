/*
 * What the input decoders share inside pipeline/codec/ and nothing else
 * sees: the format table's operations, the open file, the row scaler that
 * TIFF and PNG feed, and the JPEG marker reader.
 *
 * Adding a format: write codec_FMT.c with a bid function and a
 * kho_codec_ops table, declare both here, add one line to formats[] in
 * codec.c.
 */
#ifndef KHO_CODEC_PRIVATE_H
#define KHO_CODEC_PRIVATE_H

#ifndef KHO_CODEC_IMPL
#error "codec_private.h is private to pipeline/codec/; use codec.h"
#endif

#include "codec/codec.h"

struct kho_scaler;

struct kho_codec_ops {
	/* Reads the headers, sets file->pages and file->priv. */
	int (*open)(kho_image_file *file, kho_error *err);
	int (*page_info)(kho_image_file *file, uint32_t page,
			 kho_page_info *info, kho_error *err);
	/* Pushes every row of the page into out.  A codec that scales by
	 * itself (scales_itself in its table entry) receives scale and
	 * pushes scaled rows; the others receive 1 and full rows. */
	int (*decode)(kho_image_file *file, uint32_t page, unsigned scale,
		      struct kho_scaler *out, kho_error *err);
	void (*free)(void *priv); /* accepts NULL */
};

struct kho_image_file {
	const struct kho_codec *codec;
	const uint8_t *data; /* borrowed from the caller */
	size_t size;
	const kho_file_map *map; /* where data is mapped, or NULL */
	kho_limits limits;
	uint32_t pages;
	int grey; /* the decode under way wants the stored grey only */
	void *priv; /* the codec's state, owned by the file */
};

/*
 * Box-average downscaling by 1, 2, 4 or 8, fed one full row at a time.
 * With scale 1 it hands rows straight to the caller's function.  It also
 * counts rows, so that a page that delivers fewer than it announced is
 * caught in one place.
 */
struct kho_scaler {
	kho_row_fn fn;
	void *ctx;
	unsigned scale;
	uint32_t in_width;
	uint32_t in_height;
	int channels;
	uint32_t out_width;
	uint32_t out_height;
	uint32_t rows_in;  /* rows pushed so far */
	uint32_t rows_out; /* rows handed to fn so far */
	uint32_t *sums;	   /* out_width * channels box sums of a band */
	uint16_t *cols;	   /* in_width * channels column sums of the band's
			    * rows so far (at most 8 * 255) */
	uint8_t *row;	   /* one output row */
};

int kho_scaler_init(struct kho_scaler *s, uint32_t width, uint32_t height,
		    int channels, unsigned scale, kho_row_fn fn, void *ctx,
		    const kho_limits *limits, kho_error *err);
/* row holds in_width * channels bytes. */
int kho_scaler_push(struct kho_scaler *s, const uint8_t *row, kho_error *err);
/* Flushes a last partial band; fails when rows are missing. */
int kho_scaler_finish(struct kho_scaler *s, kho_error *err);
void kho_scaler_release(struct kho_scaler *s);

/*
 * Pixels made square (codec_square.c).  kho_square_info() stretches the
 * page's size on the axis of its lower resolution to the higher one's,
 * where the two differ by more than 2% and at most 4 times, and says so
 * in the description; 1 when it did.  The stretch then takes the rows of
 * the page as stored (a kho_row_fn) and hands the stretched ones on.
 */
int kho_square_info(kho_page_info *info);

struct kho_stretch {
	kho_row_fn fn;
	void *ctx;
	uint32_t in_width, in_height;
	uint32_t out_width, out_height;
	int channels;
	uint32_t rows_in, rows_out;
	uint8_t *rows;	  /* the last two input rows, stretched across, and
			   * one output row */
	uint32_t *at;	  /* per output column: the input column left of it */
	uint16_t *weight; /* ... and the next one's share, of 256 */
};

int kho_stretch_init(struct kho_stretch *s, uint32_t in_width,
		     uint32_t in_height, uint32_t out_width,
		     uint32_t out_height, int channels, kho_row_fn fn,
		     void *ctx, const kho_limits *limits, kho_error *err);
int kho_stretch_row(void *ctx, uint32_t y, const uint8_t *row, kho_error *err);
/* Hands on the last rows; fails when input rows are missing. */
int kho_stretch_finish(struct kho_stretch *s, kho_error *err);
void kho_stretch_release(struct kho_stretch *s);

/* Fails unless n bytes fit in one allocation under the limits. */
int kho_check_alloc(const kho_limits *limits, uint64_t n, const char *what,
		    kho_error *err);

/* a * b * c bytes for one allocation; a product that does not fit 64 bits
 * is refused like any other that is too large. */
int kho_check_alloc3(const kho_limits *limits, uint64_t a, uint64_t b,
		     uint64_t c, const char *what, kho_error *err);

/* A third-party message made to read like kho's: no trailing newline or
 * period, first letter lower case unless it starts an acronym. */
void kho_codec_tidy_message(char *msg);

/* Rounds a resolution to 2 decimals, the precision kho reports. */
double kho_codec_round_dpi(double dpi);

/* Byte order helpers for the marker and IFD readers. */
static inline uint16_t kho_get16(const uint8_t *p, int big_endian)
{
	return big_endian ? (uint16_t)(p[0] << 8 | p[1])
			  : (uint16_t)(p[1] << 8 | p[0]);
}

static inline uint32_t kho_get32(const uint8_t *p, int big_endian)
{
	return big_endian ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
				    (uint32_t)p[2] << 8 | p[3]
			  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
				    (uint32_t)p[1] << 8 | p[0];
}

static inline uint64_t kho_get64(const uint8_t *p, int big_endian)
{
	const uint64_t a = kho_get32(p, big_endian);
	const uint64_t b = kho_get32(p + 4, big_endian);
	return big_endian ? a << 32 | b : b << 32 | a;
}

/* The formats, in codec_tiff.c, codec_jpeg.c, codec_png.c. */
int kho_tiff_bid(const uint8_t *data, size_t size);
int kho_jpeg_bid(const uint8_t *data, size_t size);
int kho_png_bid(const uint8_t *data, size_t size);
extern const struct kho_codec_ops kho_tiff_ops;
extern const struct kho_codec_ops kho_jpeg_ops;
extern const struct kho_codec_ops kho_png_ops;

/* What jpeg_markers.c finds before the first scan. */
struct kho_jpeg_markers {
	int has_frame;	/* a SOFn marker was seen */
	int frame_type; /* n of SOFn: 0 baseline, 1 extended, 2
			   progressive, 3 lossless, 9.. arithmetic */
	int precision;	/* bits per sample */
	uint16_t width;
	uint16_t height;
	int components;
	/* Bytes of DCT coefficients libjpeg keeps for the whole image when
	 * it decodes in more than one scan (progressive, or components in
	 * separate scans): 128 per 8 x 8 block of every component. */
	uint64_t coef_bytes;
	int scan_components; /* in the first scan; 0 when none was seen */

	int has_jfif;
	int jfif_unit; /* 0 none (aspect ratio), 1 per inch, 2 per cm */
	uint16_t jfif_x;
	uint16_t jfif_y;

	int has_exif;
	int exif_orientation; /* 0 when absent */
	double exif_xres;     /* 0 when absent */
	double exif_yres;
	int exif_unit; /* 1 none, 2 inch (default), 3 cm */

	int has_icc;
	int has_adobe;
	int adobe_transform; /* 0 none/CMYK, 1 YCbCr, 2 YCCK */
};

/* Reads the markers from SOI to the first SOS.  Fails only when the data
 * is not a JPEG stream at all; a damaged APPn segment is skipped. */
int kho_jpeg_read_markers(const uint8_t *data, size_t size,
			  struct kho_jpeg_markers *m, kho_error *err);

/* The page's dpi from JFIF or EXIF, following kho's preference. */
void kho_jpeg_markers_dpi(const struct kho_jpeg_markers *m,
			  kho_page_info *info);

#endif
