/*
 * The multi-page TIFF master (kho.conf tiff_master = yes): one page per
 * scanned page, bitonal pages as CCITT G4, the others as JPEG (a mixed
 * page as its text drawn over its background, at the text's resolution),
 * with resolution tags and the PDF's metadata (DocumentName, Artist,
 * ImageDescription, Software, DateTime, and the XMP packet on the first
 * page).  Written page by page through libtiff, rows streamed: memory
 * holds one row.  No clock is read: the same pages give the same bytes.
 */
#ifndef KHO_TIFF_MASTER_H
#define KHO_TIFF_MASTER_H

#include "common/internal.h"
#include "pdf/pdf_writer.h"
#include "render/render.h"

typedef struct kho_tiff_master kho_tiff_master;

/* Writes into fd (a new, empty, readable and writable file) from offset 0;
 * the caller owns fd.  meta is borrowed until finish and must pass the
 * PDF writer's checks (kho_pdf_meta_check). */
int kho_tiff_master_begin(kho_tiff_master **out, int fd, int jpeg_quality,
			  const kho_pdf_meta *meta, kho_error *err);
int kho_tiff_master_add_page(kho_tiff_master *m, const kho_rendered *page,
			     kho_error *err);
/* Frees the writer, also on failure. */
int kho_tiff_master_finish(kho_tiff_master *m, kho_error *err);
void kho_tiff_master_abandon(kho_tiff_master *m);

#endif
