#include "describe/result_pdf.h"

#include <qrencode.h>
#include <errno.h>

/* 5 mm between the code and the page's edges, when the page allows it. */
#define EDGE_PT (5.0 * 72.0 / 25.4)
/* Below a quarter of a millimetre a phone no longer reads the code. */
#define MIN_MODULE_PT (0.25 * 72.0 / 25.4)
#define MAX_PAGE_PT 14400.0

/* The code's modules, one byte each, row 0 at the top. */
static int encode(const char *payload, uint8_t **dark, uint32_t *n,
		  int *version, kho_error *err)
{
	errno = 0;
	/* 8-bit mode: the payload's UTF-8 bytes as they are. */
	QRcode *const qr = QRcode_encodeData((int)strlen(payload),
					     (const unsigned char *)payload, 0,
					     QR_ECLEVEL_M);
	if (!qr)
		return kho_error_set(err,
				     errno == ERANGE ? KHO_FAIL : KHO_FATAL,
				     "cannot make the QR code: %s",
				     errno == ERANGE ? "the payload is too long"
						     : strerror(errno));
	const size_t w = (size_t)qr->width;
	*dark = malloc(w * w);
	if (!*dark) {
		QRcode_free(qr);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	for (size_t i = 0; i < w * w; i++)
		(*dark)[i] = qr->data[i] & 1;
	*n = (uint32_t)w;
	*version = qr->version;
	QRcode_free(qr);
	return KHO_OK;
}

/* The band and the code's place on a page of w x h points (the scanned
 * image), the modules at most module_pt. */
static int place(uint32_t n, double w, double h, double module_pt,
		 kho_qr_placement *p, kho_error *err)
{
	double m = module_pt;
	const double fit = w / (n + 2.0 * KHO_QR_QUIET);
	if (m > fit)
		m = fit;
	if (m < MIN_MODULE_PT)
		return kho_error_set(err, KHO_FAIL,
				     "cannot place the QR code: page 1 is "
				     "%.0f points wide, too narrow for %u "
				     "modules",
				     w, n);
	const double side = n * m;
	double edge = KHO_MAX(KHO_QR_QUIET * m, EDGE_PT);
	if (side + 2 * edge > w)
		edge = (w - side) / 2;
	p->modules = n;
	p->module_pt = m;
	p->side_pt = side;
	p->band_pt = side + 2 * edge;
	p->x_pt = edge;
	p->y_pt = h + edge;
	if (h + p->band_pt > MAX_PAGE_PT)
		return kho_error_set(err, KHO_FAIL,
				     "cannot place the QR code: page 1 would "
				     "be taller than %.0f points",
				     MAX_PAGE_PT);
	return KHO_OK;
}

int kho_result_pdf_write(FILE *out, const kho_pdf_doc *doc,
			 const kho_pdf_meta *meta, const char *payload,
			 double module_pt, kho_qr_placement *placed,
			 kho_error *err)
{
	memset(placed, 0, sizeof(*placed));
	uint8_t *dark = NULL;
	uint32_t n = 0;
	int rc = encode(payload, &dark, &n, &placed->version, err);
	const kho_pdf_read_page *const first = kho_pdf_doc_page(doc, 0);
	if (rc == KHO_OK)
		rc = place(n, first->area.w, first->area.h, module_pt, placed,
			   err);
	kho_pdf *pdf = NULL;
	if (rc == KHO_OK)
		rc = kho_pdf_begin(&pdf, out, err);
	for (size_t i = 0; rc == KHO_OK && i < kho_pdf_doc_n_pages(doc); i++) {
		const kho_pdf_read_page *const pg = kho_pdf_doc_page(doc, i);
		if (pg->area.x != 0 || pg->area.y != 0) {
			rc = kho_error_set(err, KHO_FAIL,
					   "cannot rewrite page %zu of "
					   "result.pdf: its images are not "
					   "drawn from the page's corner",
					   i + 1);
			break;
		}
		/* Page 1 grows by the band; the others are as compress made
		 * them. */
		const kho_pdf_modules modules = {
			.dark = dark,
			.n = n,
			.x = placed->x_pt,
			.y = placed->y_pt,
			.module = placed->module_pt,
		};
		kho_pdf_page page = {
			.width_pt = pg->area.w,
			.height_pt = pg->area.h,
			.layers = pg->layers,
			.n_layers = pg->n_layers,
		};
		if (i == 0) {
			page.height_pt += placed->band_pt;
			page.area = pg->area;
			page.modules = &modules;
		}
		rc = kho_pdf_add_page_ex(pdf, &page, err);
		if (rc)
			kho_error_prefix(err, "page %zu", i + 1);
	}
	if (rc == KHO_OK) {
		rc = kho_pdf_finish(pdf, meta, err);
		pdf = NULL;
	}
	kho_pdf_abandon(pdf);
	free(dark);
	return rc;
}
