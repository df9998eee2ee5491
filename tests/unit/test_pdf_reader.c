/*
 * The PDF reader: what the writer made comes back page by page, with
 * every image's bytes as encoded and where it is drawn (also on a page
 * with a band and a matrix of modules); anything else, a damaged or cut
 * file, is refused without a crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "pdf/pdf_reader.h"
#include "testutil.h"

/* Image bytes the writer takes as they are (it never decodes them). */
static const uint8_t jpeg_rgb[] = {0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5};
static const uint8_t jpeg_grey[] = {0xff, 0xd8, 0xff, 0xdb, 9, 8, 7};
static const uint8_t g4[] = {0x26, 0xa0, 0x11, 0x00, 0x7f, 0x42};

typedef struct blob {
	char *data;
	size_t size;
} blob;

static const kho_pdf_image layer_rgb = {
	KHO_PDF_DCT, jpeg_rgb, sizeof(jpeg_rgb), 827, 1169, 3, 0};
static const kho_pdf_image layer_grey = {
	KHO_PDF_DCT, jpeg_grey, sizeof(jpeg_grey), 413, 584, 1, 0};
static const kho_pdf_image layer_g4 = {
	KHO_PDF_CCITT_G4, g4, sizeof(g4), 1654, 2338, 1, 0};
static const kho_pdf_image layer_mask = {
	KHO_PDF_CCITT_G4, g4, sizeof(g4), 1654, 2338, 1, 1};

/* Three pages: bitonal, mixed (a JPEG under a G4 mask), grey; page 1
 * with a band of 100 points on top holding a 3 x 3 matrix when band. */
static blob make_pdf(int band, const kho_pdf_meta *meta)
{
	blob b = {0};
	FILE *f = open_memstream(&b.data, &b.size);
	assert_non_null(f);
	kho_pdf *pdf = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_pdf_begin(&pdf, f, &err), KHO_OK);
	static const uint8_t dark[9] = {1, 0, 1, 0, 1, 0, 1, 1, 0};
	const kho_pdf_modules modules = {dark, 3, 10, 850, 4};
	kho_pdf_page p1 = {
		.width_pt = 595.2756,
		.height_pt = 841.8898,
		.layers = &layer_g4,
		.n_layers = 1,
	};
	if (band) {
		p1.height_pt += 100;
		p1.area = (kho_pdf_rect){0, 0, 595.2756, 841.8898};
		p1.modules = &modules;
	}
	assert_int_equal(kho_pdf_add_page_ex(pdf, &p1, &err), KHO_OK);
	const kho_pdf_image mixed[2] = {layer_rgb, layer_mask};
	assert_int_equal(
		kho_pdf_add_page(pdf, 595.2756, 841.8898, mixed, 2, &err),
		KHO_OK);
	assert_int_equal(kho_pdf_add_page(pdf, 300, 400, &layer_grey, 1, &err),
			 KHO_OK);
	assert_int_equal(kho_pdf_finish(pdf, meta, &err), KHO_OK);
	assert_int_equal(fclose(f), 0);
	return b;
}

/* The file holds the text (it may hold NUL bytes elsewhere). */
static int holds(const blob *b, const char *text)
{
	return memmem(b->data, b->size, text, strlen(text)) != NULL;
}

static void same_image(const kho_pdf_image *got, const kho_pdf_image *want)
{
	assert_int_equal(got->filter, want->filter);
	assert_int_equal(got->size, want->size);
	assert_memory_equal(got->data, want->data, want->size);
	assert_int_equal(got->width, want->width);
	assert_int_equal(got->height, want->height);
	assert_int_equal(got->channels, want->channels);
	assert_int_equal(got->image_mask, want->image_mask);
}

static void check_pages(const kho_pdf_doc *doc, int band)
{
	assert_int_equal(kho_pdf_doc_n_pages(doc), 3);
	const kho_pdf_read_page *p = kho_pdf_doc_page(doc, 0);
	assert_true(p->width_pt > 595.27 && p->width_pt < 595.28);
	assert_true(p->height_pt > (band ? 941.88 : 841.88) &&
		    p->height_pt < (band ? 941.89 : 841.89));
	/* the images' area is the page without the band */
	assert_true(p->area.x == 0 && p->area.y == 0);
	assert_true(p->area.h > 841.88 && p->area.h < 841.89);
	assert_int_equal(p->n_layers, 1);
	same_image(&p->layers[0], &layer_g4);
	p = kho_pdf_doc_page(doc, 1);
	assert_int_equal(p->n_layers, 2);
	same_image(&p->layers[0], &layer_rgb);
	same_image(&p->layers[1], &layer_mask);
	p = kho_pdf_doc_page(doc, 2);
	assert_true(p->width_pt == 300 && p->height_pt == 400);
	assert_true(p->area.w == 300 && p->area.h == 400);
	same_image(&p->layers[0], &layer_grey);
}

static void test_round_trip(void **state)
{
	(void)state;
	for (int band = 0; band < 2; band++) {
		const kho_pdf_meta meta = {.title = "Giấy khai sinh",
					   .created = "2026-11-30T01:02:03Z"};
		blob b = make_pdf(band, &meta);
		kho_pdf_doc *doc = NULL;
		kho_error err = KHO_ERROR_INIT;
		assert_int_equal(kho_pdf_read((const uint8_t *)b.data, b.size,
					      &doc, &err),
				 KHO_OK);
		check_pages(doc, band);
		kho_pdf_doc_free(doc);
		free(b.data);
	}
}

/* The page written again from what was read gives the same bytes. */
static void test_rewrite_same_bytes(void **state)
{
	(void)state;
	blob a = make_pdf(0, NULL);
	kho_pdf_doc *doc = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(
		kho_pdf_read((const uint8_t *)a.data, a.size, &doc, &err),
		KHO_OK);
	blob b = {0};
	FILE *f = open_memstream(&b.data, &b.size);
	kho_pdf *pdf = NULL;
	assert_int_equal(kho_pdf_begin(&pdf, f, &err), KHO_OK);
	for (size_t i = 0; i < kho_pdf_doc_n_pages(doc); i++) {
		const kho_pdf_read_page *p = kho_pdf_doc_page(doc, i);
		assert_int_equal(kho_pdf_add_page(pdf, p->width_pt,
						  p->height_pt, p->layers,
						  p->n_layers, &err),
				 KHO_OK);
	}
	assert_int_equal(kho_pdf_finish(pdf, NULL, &err), KHO_OK);
	fclose(f);
	assert_int_equal(a.size, b.size);
	assert_memory_equal(a.data, b.data, a.size);
	kho_pdf_doc_free(doc);
	free(a.data);
	free(b.data);
}

/* Kho's properties reach the Info dictionary and the XMP, with the PDF/A
 * extension schema that declares them. */
static void test_properties(void **state)
{
	(void)state;
	const kho_pdf_prop props[] = {
		{"VerificationCode", "0123456789ABCDEF0123", "the code"},
		{"QRPayload", "KHO-QR/1\nHS:A-1", NULL},
	};
	const kho_pdf_meta meta = {
		.title = "Trích lục",
		.author = "UBND quận Sơn Trà",
		.identifier = "HT-2021-00042",
		.publisher = "kho",
		.date = "2021-03-04",
		.props = props,
		.n_props = 2,
	};
	blob b = make_pdf(0, &meta);
	assert_true(holds(&b, "/KhoVerificationCode (0123456789ABCDEF0123)"));
	assert_true(holds(&b, "<dc:identifier>HT-2021-00042<"));
	assert_true(holds(&b, "<rdf:li>2021-03-04</rdf:li>"));
	assert_true(holds(&b, "<pdfaSchema:prefix>kho<"));
	assert_true(holds(&b, "<kho:QRPayload xmlns:kho=\"" KHO_PDF_NS
			      "\">KHO-QR/1\nHS:A-1</kho:QRPayload>"));
	free(b.data);

	/* a name that is not letters, a date that is not one */
	const kho_pdf_prop bad[] = {{"Bad Name", "x", NULL}};
	kho_pdf_meta m2 = {.props = bad, .n_props = 1};
	kho_error err = KHO_ERROR_INIT;
	blob c = {0};
	FILE *f = open_memstream(&c.data, &c.size);
	kho_pdf *pdf = NULL;
	assert_int_equal(kho_pdf_begin(&pdf, f, &err), KHO_OK);
	assert_int_equal(kho_pdf_add_page(pdf, 100, 100, &layer_g4, 1, &err),
			 KHO_OK);
	assert_int_equal(kho_pdf_finish(pdf, &m2, &err), KHO_FAIL);
	assert_non_null(strstr(err.msg, "no name of letters"));
	fclose(f);
	free(c.data);
	m2 = (kho_pdf_meta){.date = "4 March 2021"};
	f = open_memstream(&c.data, &c.size);
	assert_int_equal(kho_pdf_begin(&pdf, f, &err), KHO_OK);
	assert_int_equal(kho_pdf_add_page(pdf, 100, 100, &layer_g4, 1, &err),
			 KHO_OK);
	assert_int_equal(kho_pdf_finish(pdf, &m2, &err), KHO_FAIL);
	assert_non_null(strstr(err.msg, "is not YYYY-MM-DD"));
	fclose(f);
	free(c.data);
}

/* A band or modules outside the page are refused before a byte. */
static void test_page_checks(void **state)
{
	(void)state;
	blob b = {0};
	FILE *f = open_memstream(&b.data, &b.size);
	kho_pdf *pdf = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_pdf_begin(&pdf, f, &err), KHO_OK);
	kho_pdf_page p = {.width_pt = 100,
			  .height_pt = 100,
			  .layers = &layer_g4,
			  .n_layers = 1,
			  .area = {0, 0, 100, 120}};
	assert_int_equal(kho_pdf_add_page_ex(pdf, &p, &err), KHO_FAIL);
	assert_non_null(strstr(err.msg, "not inside the page"));
	static const uint8_t dark[4] = {1, 1, 1, 1};
	const kho_pdf_modules m = {dark, 2, 90, 90, 10};
	p.area = (kho_pdf_rect){0, 0, 100, 80};
	p.modules = &m;
	assert_int_equal(kho_pdf_add_page_ex(pdf, &p, &err), KHO_FAIL);
	assert_non_null(strstr(err.msg, "modules are not inside"));
	kho_pdf_abandon(pdf);
	fclose(f);
	free(b.data);
}

/* Cut anywhere or with any byte changed: read or refused, never a crash
 * (the sanitizer build runs this too). */
static void test_damaged(void **state)
{
	(void)state;
	blob b = make_pdf(1, NULL);
	uint8_t *copy = malloc(b.size);
	assert_non_null(copy);
	int refused = 0;
	for (size_t cut = 0; cut < b.size; cut += 7) {
		memcpy(copy, b.data, cut);
		kho_pdf_doc *doc = NULL;
		kho_error err = KHO_ERROR_INIT;
		const int rc = kho_pdf_read(copy, cut, &doc, &err);
		assert_true(rc == KHO_OK || rc == KHO_FAIL);
		refused += rc == KHO_FAIL;
		kho_pdf_doc_free(doc);
	}
	assert_true(refused > 0);
	for (size_t at = 0; at < b.size; at++) {
		memcpy(copy, b.data, b.size);
		copy[at] ^= (uint8_t)(at % 2 ? 0x01 : 0x20);
		kho_pdf_doc *doc = NULL;
		kho_error err = KHO_ERROR_INIT;
		const int rc = kho_pdf_read(copy, b.size, &doc, &err);
		assert_true(rc == KHO_OK || rc == KHO_FAIL);
		if (rc == KHO_FAIL)
			assert_non_null(strstr(err.msg, "cannot read the PDF"));
		kho_pdf_doc_free(doc);
	}
	free(copy);
	free(b.data);
}

static void test_not_kho(void **state)
{
	(void)state;
	static const char *const inputs[] = {
		"",
		"%PDF-1.4\n",
		"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\nstartxref\n9\n"
		"%%EOF\n",
		"%PDF-1.7\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Root "
		"1 0 R >>\nstartxref\n9\n%%EOF\n",
		"not a pdf at all, but long enough to look at",
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(inputs); i++) {
		kho_pdf_doc *doc = NULL;
		kho_error err = KHO_ERROR_INIT;
		assert_int_equal(kho_pdf_read((const uint8_t *)inputs[i],
					      strlen(inputs[i]), &doc, &err),
				 KHO_FAIL);
		assert_null(doc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rewrite_same_bytes),
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_page_checks),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_not_kho),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
