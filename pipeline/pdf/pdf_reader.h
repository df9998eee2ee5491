/*
 * Reads back a PDF that kho's writer made (pdf_writer.h): its pages, and
 * on each page the images as they were encoded, where they are drawn.
 * describe rewrites result.pdf from them without decoding an image, and
 * lookup recomputes a result's verification code from them.
 *
 * Only the structure the writer makes is understood: one cross-reference
 * table, direct /Length, images drawn with "q w 0 0 h x y cm /ImN Do Q".
 * Anything else, or anything out of bounds, is refused with KHO_FAIL: the
 * input may also be a PDF a citizen presents, so nothing in it is
 * trusted.
 */
#ifndef KHO_PDF_READER_H
#define KHO_PDF_READER_H

#include "pdf/pdf_writer.h"

typedef struct kho_pdf_read_page {
	double width_pt, height_pt; /* the MediaBox */
	kho_pdf_rect area;	    /* where the images are drawn */
	kho_pdf_image *layers;	    /* in drawing order; data points into
				     * the buffer given to kho_pdf_read() */
	size_t n_layers;
} kho_pdf_read_page;

typedef struct kho_pdf_doc kho_pdf_doc;

/* Reads the pages of a PDF held in data[0..size), which must outlive the
 * document. */
int kho_pdf_read(const uint8_t *data, size_t size, kho_pdf_doc **out,
		 kho_error *err);

size_t kho_pdf_doc_n_pages(const kho_pdf_doc *doc);
const kho_pdf_read_page *kho_pdf_doc_page(const kho_pdf_doc *doc, size_t i);

/* Frees the document (not the buffer); NULL is fine. */
void kho_pdf_doc_free(kho_pdf_doc *doc);

#endif
