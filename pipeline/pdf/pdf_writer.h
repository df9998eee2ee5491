/*
 * A small PDF 1.7 writer for scanned pages: every page is one or more
 * already-encoded images drawn over the whole page, and the images go into
 * the file exactly as they were encoded (DCTDecode, CCITTFaxDecode K -1),
 * never re-encoded.
 *
 * Pages are streamed to the file as they are added, so memory holds one
 * page at a time.  The output is deterministic: the same pages and the same
 * metadata give the same bytes (the file identifier is a digest of the
 * content; no clock is read).  The structure aims at PDF/A-2b: an Info
 * dictionary, an XMP metadata stream, a file identifier, an OutputIntent
 * with an sRGB ICC profile, no encryption.
 */
#ifndef KHO_PDF_WRITER_H
#define KHO_PDF_WRITER_H

#include "common/internal.h"

#include <stdio.h>

typedef enum kho_pdf_filter {
	KHO_PDF_DCT,	  /* a baseline JPEG stream, grey or RGB */
	KHO_PDF_CCITT_G4, /* CCITT Group 4, 1 bit: the raw strip of a TIFF
			   * with PhotometricInterpretation MinIsWhite (a 1
			   * bit is black) */
} kho_pdf_filter;

typedef struct kho_pdf_image {
	kho_pdf_filter filter;
	const uint8_t *data; /* the encoded stream, borrowed for the call */
	size_t size;
	uint32_t width; /* pixels */
	uint32_t height;
	int channels;	/* 1 or 3; 1 for G4 */
	int image_mask; /* G4 only: draw black where the bit is black and
			 * leave what is below, for a text layer */
} kho_pdf_image;

/* A property of kho's own XMP namespace (KHO_PDF_NS), also written into
 * the Info dictionary as /Kho<name>.  name is ASCII letters only. */
typedef struct kho_pdf_prop {
	const char *name;	 /* "VerificationCode" */
	const char *value;	 /* UTF-8 text */
	const char *description; /* for the PDF/A extension schema */
} kho_pdf_prop;

/* The XMP namespace of kho's properties. */
#define KHO_PDF_NS "urn:kho:result:1#"

/* Text values are UTF-8; the writer escapes them.  NULL means absent. */
typedef struct kho_pdf_meta {
	const char *title;
	const char *author;
	const char *subject;
	const char *keywords;
	const char *creator;  /* the program that made the content */
	const char *producer; /* "kho 0.1.0" */
	const char *created;  /* ISO 8601 UTC "2026-11-30T01:02:03Z",
			       * from the catalog, not from the clock */
	const char *xmp;      /* a complete XMP packet, or NULL for one
			       * made from the fields above */
	/* Dublin Core, in the XMP only (NULL: absent). */
	const char *identifier;	   /* dc:identifier: the record id */
	const char *publisher;	   /* dc:publisher */
	const char *date;	   /* dc:date, "YYYY-MM-DD" */
	const kho_pdf_prop *props; /* kho's own properties, or NULL */
	size_t n_props;
} kho_pdf_meta;

/* A rectangle on a page, in points from the lower-left corner. */
typedef struct kho_pdf_rect {
	double x, y, w, h;
} kho_pdf_rect;

/* A square matrix of modules drawn in black, one filled square per dark
 * module (a QR code): dark[row * n + col] nonzero is dark, row 0 at the
 * top; (x, y) is the lower-left corner of the matrix. */
typedef struct kho_pdf_modules {
	const uint8_t *dark;
	uint32_t n;
	double x, y;
	double module; /* side of one module, points */
} kho_pdf_modules;

/* A page for kho_pdf_add_page_ex(). */
typedef struct kho_pdf_page {
	double width_pt, height_pt;
	const kho_pdf_image *layers;
	size_t n_layers;
	kho_pdf_rect area;		/* where the layers are drawn; all zero:
					 * the whole page */
	const kho_pdf_modules *modules; /* drawn over the page, or NULL */
} kho_pdf_page;

typedef struct kho_pdf kho_pdf;

/* Starts a PDF on an open stream (the caller owns and closes it, and
 * fsyncs it; the writer only writes).  err gets write failures. */
int kho_pdf_begin(kho_pdf **out, FILE *stream, kho_error *err);

/* Adds a page of width_pt x height_pt points (1/72 inch) on which the
 * layers are drawn in order, each stretched over the whole page. */
int kho_pdf_add_page(kho_pdf *pdf, double width_pt, double height_pt,
		     const kho_pdf_image *layers, size_t n_layers,
		     kho_error *err);

/* The same, with the layers drawn into page->area (a band of the page left
 * free) and, when given, a matrix of modules drawn after them. */
int kho_pdf_add_page_ex(kho_pdf *pdf, const kho_pdf_page *page, kho_error *err);

/* A number as the writer prints it: at most four decimals, no trailing
 * zeros, the same bytes in every locale.  v must be 0 to 1e9. */
void kho_pdf_number(char out[32], double v);

/* Writes the metadata, the page tree, the cross-reference table and the
 * trailer, and frees the writer, also on failure.  At least one page. */
int kho_pdf_finish(kho_pdf *pdf, const kho_pdf_meta *meta, kho_error *err);

/* Frees a writer without finishing it (the output is then unusable). */
void kho_pdf_abandon(kho_pdf *pdf);

#endif
