/* CCITT Group 4 encoding of bitonal pages, through libtiff's codec. */
#ifndef KHO_G4_ENCODE_H
#define KHO_G4_ENCODE_H

#include "common/internal.h"
#include "codec/codec.h"

/* Encodes a 1-channel image where a pixel below threshold is black, as the
 * raw G4 stream of a MinIsWhite TIFF strip (what a PDF's CCITTFaxDecode
 * with K -1 reads).  *data is malloc'd. */
int kho_g4_encode(const kho_image *grey, int threshold, uint8_t **data,
		  size_t *size, kho_error *err);

/* The same from packed rows (MSB first, 1 = black) of stride bytes. */
int kho_g4_encode_bits(const uint8_t *bits, size_t stride, uint32_t w,
		       uint32_t h, uint8_t **data, size_t *size,
		       kho_error *err);

#endif
