/* JPEG encoding of rendered pages through TurboJPEG. */
#ifndef KHO_JPEG_ENCODE_H
#define KHO_JPEG_ENCODE_H

#include "common/internal.h"
#include "codec/codec.h"

/* Encodes a grey or RGB image at quality 1..100, with a JFIF density of
 * dpi; colour as 4:2:0, or 4:4:4 with full_chroma (a mixed page's small
 * background, whose seal strokes are only a few pixels wide).  *data is
 * allocated with TurboJPEG: release it with kho_jpeg_free(). */
int kho_jpeg_encode(const kho_image *img, int quality, int dpi, int full_chroma,
		    uint8_t **data, size_t *size, kho_error *err);
void kho_jpeg_free(uint8_t *data);

/* A colour page as JPEG's own planes: Y at full size, Cb and Cr at half
 * size each way (4:2:0), what TurboJPEG encodes without an RGB copy. */
typedef struct kho_yuv420 {
	uint32_t width, height;
	uint8_t *plane[3];
	size_t stride[3];
	uint32_t rows[3];
} kho_yuv420;

/* The same from planes; the chroma planes are (width + 1) / 2 by
 * (height + 1) / 2. */
int kho_jpeg_encode_yuv(const kho_yuv420 *yuv, int quality, int dpi,
			uint8_t **data, size_t *size, kho_error *err);

#endif
