/*
 * The PDF writer's metadata, apart from the file: checks the caller's text
 * and turns it into what PDF/A-2b wants (an XMP packet, PDF dates, an sRGB
 * output profile).  Private to pipeline/pdf/; no state, no I/O.
 */
#ifndef KHO_PDF_META_H
#define KHO_PDF_META_H

#include "pdf/pdf_writer.h"

/* Room for "D:YYYYMMDDHHmmSS+HH'mm'" and its NUL. */
#define KHO_PDF_DATE_MAX 32

/* Decodes one UTF-8 sequence strictly (no overlong form, no surrogate,
 * nothing above U+10FFFF); returns its length, or 0 when invalid.  Reads
 * no further than a NUL. */
size_t kho_pdf_utf8_next(const unsigned char *s, uint32_t *cp);

/* Checks every text of m (valid UTF-8, characters XML can carry, short
 * enough for a PDF string) and the date, and converts the date for the
 * Info dictionary: date gets "D:..." or "" when m->created is NULL. */
int kho_pdf_meta_check(const kho_pdf_meta *m, char date[KHO_PDF_DATE_MAX],
		       kho_error *err);

/* Hands the XMP packet for m to put, piece by piece (m->xmp verbatim when
 * given), so that the caller can measure it and then write it without
 * holding it.  m has passed kho_pdf_meta_check(). */
typedef void kho_pdf_put_fn(void *ctx, const char *s, size_t n);
void kho_pdf_xmp_emit(const kho_pdf_meta *m, kho_pdf_put_fn *put, void *ctx);

/* An sRGB ICC profile from lcms2, the same bytes on every run; *out is
 * malloc'd and the caller frees it. */
int kho_pdf_srgb_profile(uint8_t **out, size_t *size, kho_error *err);

#endif
