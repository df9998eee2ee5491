/* JPEG encoding of rendered pages through TurboJPEG. */
#ifndef KHO_JPEG_ENCODE_H
#define KHO_JPEG_ENCODE_H

#include "common/internal.h"
#include "codec/codec.h"

/* Encodes a grey or RGB image (colour as 4:2:0) at quality 1..100, with
 * a JFIF density of dpi.  *data is allocated with TurboJPEG: release it
 * with kho_jpeg_free(). */
int kho_jpeg_encode(const kho_image *img, int quality, int dpi,
		    uint8_t **data, size_t *size, kho_error *err);
void kho_jpeg_free(uint8_t *data);

#endif
