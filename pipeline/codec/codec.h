/*
 * Input decoders: TIFF, JPEG and PNG, probed by content, never by the file's
 * name.  Each format registers a bid function and an operations table in
 * codec.c; adding a format is one file and one line in that table (see
 * docs/ARCHITECTURE.md).
 *
 * A file is decoded from memory: ingest reads it once, hashes it, decodes it
 * and copies it into the store from the same bytes, so the bytes checked are
 * the bytes kept.
 *
 * Decoding is strict.  Anything the decoder reports as lost or invented data
 * (a JPEG cut short and padded with grey, a corrupt strip, a bad CRC) fails
 * the page.  Limits are checked before any allocation that depends on the
 * file.  Messages name the page and the reason, never the file: the caller
 * knows the file and prefixes it.
 */
#ifndef KHO_CODEC_H
#define KHO_CODEC_H

#include "common/internal.h"
#include "common/fsutil.h"

typedef struct kho_limits {
	uint64_t max_pixels;      /* width * height of one page */
	uint32_t max_pages;       /* pages in one file */
	uint64_t max_file_bytes;  /* size of one input file */
	uint64_t max_alloc_bytes; /* one allocation made on the file's behalf */
} kho_limits;

#define KHO_LIMITS_DEFAULT \
	{ 150000000u, 2000u, 1024ull << 20, 512ull << 20 }

typedef enum kho_format {
	KHO_FORMAT_UNKNOWN = 0,
	KHO_FORMAT_TIFF,
	KHO_FORMAT_JPEG,
	KHO_FORMAT_PNG,
} kho_format;

typedef enum kho_dpi_source {
	KHO_DPI_NONE = 0, /* the file says nothing, or nothing usable */
	KHO_DPI_TIFF,     /* XResolution/YResolution with ResolutionUnit */
	KHO_DPI_JFIF,     /* JFIF APP0 density */
	KHO_DPI_EXIF,     /* EXIF XResolution/YResolution */
	KHO_DPI_PNG,      /* pHYs chunk */
} kho_dpi_source;

typedef struct kho_page_info {
	uint32_t width;    /* pixels as stored, before orientation */
	uint32_t height;
	int channels;      /* of decoded rows: 1 (grey) or 3 (RGB) */
	int bits;          /* source bits per sample: 1, 2, 4, 8, 12 or 16 */
	int orientation;   /* TIFF/EXIF Orientation 1..8; 1 when absent */
	double xdpi;       /* 0 when the file gives none */
	double ydpi;
	kho_dpi_source dpi_source;
	int has_icc;       /* an embedded ICC profile */
	/* The colour carries the grey as a channel of its own (a JPEG in
	 * YCbCr: its Y), which kho_image_file_decode_grey() decodes without
	 * the colour. */
	int grey_stored;
	char description[128]; /* "TIFF strips, 1-bit grey, CCITT G4" */
} kho_page_info;

typedef struct kho_image_file kho_image_file;

/* The most likely format of the bytes, or KHO_FORMAT_UNKNOWN.  For an
 * unknown format *what is set to a short name when recognised ("PDF",
 * "GIF", "BMP", "WebP", "JPEG 2000", "PNM") and to NULL otherwise. */
kho_format kho_format_probe(const uint8_t *data, size_t size,
			    const char **what);
const char *kho_format_name(kho_format format);

/* Opens a file held in memory.  The bytes are borrowed: they must stay
 * valid until kho_image_file_free().  Counts the pages (refusing directory
 * loops and more than max_pages) but decodes no pixel. */
int kho_image_file_open(kho_image_file **out, const uint8_t *data,
			size_t size, const kho_limits *limits, kho_error *err);
/* The same on a mapped file, which must outlive the handle: while it
 * counts a long TIFF's pages it lets go of what it has read, so that
 * opening a 200-page file does not hold it all in memory. */
int kho_image_file_open_map(kho_image_file **out, const kho_file_map *map,
			    const kho_limits *limits, kho_error *err);
void kho_image_file_free(kho_image_file *file);

kho_format kho_image_file_format(const kho_image_file *file);
uint32_t kho_image_file_pages(const kho_image_file *file);

/* page counts from 0. */
int kho_image_file_page_info(kho_image_file *file, uint32_t page,
			     kho_page_info *info, kho_error *err);

/* Receives decoded rows in order, y from 0; returns 0 or a KHO_* code,
 * which stops decoding and is returned by kho_image_file_decode(). */
typedef int (*kho_row_fn)(void *ctx, uint32_t y, const uint8_t *row,
			  kho_error *err);

/*
 * Decodes a page completely and hands over every row: 8 bits per sample,
 * info.channels samples per pixel, the stored orientation (none applied).
 * scale is 1, 2, 4 or 8: the rows are then ceil(width / scale) pixels wide
 * and there are ceil(height / scale) of them (JPEG uses its scaled DCT,
 * the others average boxes of pixels).  A page is only whole when this
 * returns 0 after the last row.
 */
int kho_image_file_decode(kho_image_file *file, uint32_t page,
			  unsigned scale, kho_row_fn fn, void *ctx,
			  kho_error *err);

/* kho_image_file_decode() of a page whose info.grey_stored is set, as one
 * channel: the grey the file stores (a JPEG's Y, as the scanner encoded
 * it), its colour left undecoded.  KHO_USAGE for any other page. */
int kho_image_file_decode_grey(kho_image_file *file, uint32_t page,
			       unsigned scale, kho_row_fn fn, void *ctx,
			       kho_error *err);

/* The ICC profile page (0-based) embeds, in *icc (malloc'd, the caller
 * frees it), or *icc NULL and *size 0 when it has none that can be read
 * (codec_icc.c). */
int kho_image_file_icc(kho_image_file *file, uint32_t page, uint8_t **icc,
		       size_t *size, kho_error *err);

/* An 8-bit image in memory. */
typedef struct kho_image {
	uint32_t width;
	uint32_t height;
	int channels; /* 1 or 3 */
	size_t stride;
	uint8_t *pixels;
} kho_image;

#define KHO_IMAGE_INIT { 0, 0, 0, 0, NULL }

int kho_image_alloc(kho_image *img, uint32_t width, uint32_t height,
		    int channels, kho_error *err);
void kho_image_release(kho_image *img);

/* The image mirrored left-right (when mirror), then turned clockwise by
 * rotation (0, 90, 180, 270), into a new image (image_turn.c). */
int kho_image_turn(const kho_image *src, int mirror, int rotation,
		   kho_image *out, kho_error *err);

/* Decodes a page into a newly allocated image (released by the caller). */
int kho_image_file_read(kho_image_file *file, uint32_t page, unsigned scale,
			kho_image *out, kho_error *err);

#endif
