/*
 * The published result.pdf: the pages compress rendered, their images
 * carried over exactly as encoded (never decoded), page 1 grown by a
 * white band on top that holds the QR code in its upper-left corner, so
 * that the code covers no scanned content; and the document's metadata
 * (Info and XMP) with the register's facts.
 */
#ifndef KHO_RESULT_PDF_H
#define KHO_RESULT_PDF_H

#include "common/internal.h"
#include "pdf/pdf_reader.h"

#include <stdio.h>

/* The quiet zone ISO/IEC 18004 wants around a QR code, in modules. */
#define KHO_QR_QUIET 4

/* Where the code went, for metadata.json. */
typedef struct kho_qr_placement {
	int version;	   /* QR version, 1 to 40 */
	uint32_t modules;  /* per side */
	double module_pt;  /* side of one module */
	double x_pt, y_pt; /* lower-left corner of the code on page 1 */
	double side_pt;
	double band_pt; /* height of the band added on top of page 1 */
} kho_qr_placement;

/* Writes the document to out (the caller flushes and fsyncs).  The code
 * is level M (15% of it may be lost), modules of module_pt points, made
 * smaller when page 1 is too narrow for them. */
int kho_result_pdf_write(FILE *out, const kho_pdf_doc *doc,
			 const kho_pdf_meta *meta, const char *payload,
			 double module_pt, kho_qr_placement *placed,
			 kho_error *err);

#endif
