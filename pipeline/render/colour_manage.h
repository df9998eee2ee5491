/*
 * Colour management of decoded rows with lcms2: a page that carries an ICC
 * profile is converted from it into sRGB (RGB rows) or into grey with the
 * sRGB tone curve (grey rows), the spaces the PDF's OutputIntent and its
 * DeviceRGB/DeviceGray images assume.  lcms2 runs in a private context, so
 * its error handler never becomes process-wide.
 */
#ifndef KHO_COLOUR_MANAGE_H
#define KHO_COLOUR_MANAGE_H

#include "common/internal.h"

typedef struct kho_cms kho_cms;

/*
 * A transform for rows of channels (1 or 3) samples from the profile icc.
 * *out is NULL, and note says why, when the profile does not fit the rows
 * (a CMYK profile over rows the decoder already turned into RGB, say) or
 * is damaged: the page is then rendered as decoded.  Fails only for want
 * of memory.
 */
int kho_cms_new(kho_cms **out, const uint8_t *icc, size_t size, int channels,
		char *note, size_t note_size, kho_error *err);
/* Converts width pixels; in and out may be the same row. */
void kho_cms_row(kho_cms *cms, const uint8_t *in, uint8_t *out, uint32_t width);
void kho_cms_free(kho_cms *cms);

#endif
