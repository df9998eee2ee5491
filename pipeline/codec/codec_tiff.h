/*
 * Shared by the two halves of the TIFF codec: codec_tiff.c (the handle,
 * the directory chain, what a page holds) and codec_tiff_rows.c (its
 * pixels).
 */
#ifndef KHO_CODEC_TIFF_H
#define KHO_CODEC_TIFF_H

#ifndef KHO_CODEC_IMPL
#error "codec_tiff.h is private to pipeline/codec/"
#endif

#include "codec/codec_private.h"

#include <tiffio.h>

/* CMYK with alpha and a few spot colours; no scanner writes more. */
#define KHO_TIFF_MAX_SAMPLES 16

struct kho_tiff_state {
	TIFF *tif;
	const uint8_t *data;
	uint64_t size;
	uint64_t pos;
	int failed;   /* an error was reported since the last reset */
	int decoding; /* reading pixels: data-loss warnings are errors */
	uint64_t *dirs; /* each page's directory offset (count_pages) */
	const kho_file_map *map; /* the file's mapping, or NULL */
	uint64_t read_since_drop; /* compressed bytes decoded since then */
	char msg[KHO_ERROR_MSG_MAX]; /* the first error */
};

enum kho_tiff_path {
	TIFF_PATH_NATIVE, /* strips or tiles, converted here */
	TIFF_PATH_RGBA,	  /* TIFFRGBAImage, the whole page at once */
};

struct kho_tiff_page {
	uint32_t width;
	uint32_t height;
	uint16_t bps;
	uint16_t spp;
	uint16_t photometric;
	uint16_t planar;
	uint16_t compression;
	uint16_t orientation;
	int tiled;
	enum kho_tiff_path path;
	int color;    /* colour samples: 1 grey/palette, 3 RGB, 4 CMYK */
	int alpha;    /* index of the alpha sample, or -1 */
	int assoc;    /* alpha is premultiplied */
	int channels; /* of the rows kho hands over */
	const uint16_t *cmap[3];
	int cmap_shift; /* 8 for the usual 16-bit map, 0 for an 8-bit one */
};

struct kho_tiff_converter {
	const struct kho_tiff_page *p;
	uint8_t *samples; /* one row, spp bytes per pixel */
	uint8_t *out;	  /* one row, channels bytes per pixel */
	int direct;	  /* samples already are the output row */
	uint8_t lut[256 * 3];
};

static inline void tiff_reset_message(struct kho_tiff_state *st)
{
	st->failed = 0;
	st->msg[0] = '\0';
}

static inline const char *tiff_message_or(const struct kho_tiff_state *st,
					  const char *dflt)
{
	return st->failed && st->msg[0] ? st->msg : dflt;
}

int kho_tiff_refuse(kho_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *kho_tiff_compression_name(uint16_t compression);

int kho_tiff_converter_init(struct kho_tiff_converter *c,
			    const struct kho_tiff_page *p,
			    const kho_limits *limits, kho_error *err);
void kho_tiff_converter_release(struct kho_tiff_converter *c);
int kho_tiff_decode_strips(struct kho_tiff_state *st,
			   const struct kho_tiff_page *p,
			   struct kho_tiff_converter *c, struct kho_scaler *out,
			   const kho_limits *limits, kho_error *err);
int kho_tiff_decode_tiles(struct kho_tiff_state *st,
			  const struct kho_tiff_page *p,
			  struct kho_tiff_converter *c, struct kho_scaler *out,
			  const kho_limits *limits, kho_error *err);
int kho_tiff_decode_rgba(struct kho_tiff_state *st,
			 const struct kho_tiff_page *p, struct kho_scaler *out,
			 const kho_limits *limits, kho_error *err);

#endif
