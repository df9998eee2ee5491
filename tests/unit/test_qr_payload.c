/*
 * The QR payload of a published result and its verification code: the
 * payload reads back field by field (Vietnamese intact), values are
 * cleaned and cut at a character, a changed or foreign text is refused;
 * the code follows the pages' images and nothing else; the QR code laid
 * out on page 1 fits above the scanned image.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "describe/qr_payload.h"
#include "describe/result_pdf.h"
#include "pdf/pdf_reader.h"
#include "testutil.h"

static const char *const full[KHO_QR_N_FIELDS] = {
	"HT-2021-00042",
	"1.001193",
	"048090000123",
	"Trích lục khai sinh",
	"Kho kết quả số hoá Đà Nẵng",
	"2026-11-30T01:02:03Z",
	"2021-03-04/..",
	"Toàn quốc",
	"3F2A9C0B1D4E5F607182",
};

static char *make(const char *const v[KHO_QR_N_FIELDS])
{
	kho_qr_fields f;
	memcpy(f.v, v, sizeof(f.v));
	char *out = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_qr_payload_make(&f, &out, &err), KHO_OK);
	return out;
}

static void test_make_and_parse(void **state)
{
	(void)state;
	char *p = make(full);
	assert_string_equal(p, "KHO-QR/1\n"
			       "HS:HT-2021-00042\n"
			       "TTHC:1.001193\n"
			       "DD:048090000123\n"
			       "TEN:Trích lục khai sinh\n"
			       "HT:Kho kết quả số hoá Đà Nẵng\n"
			       "TG:2026-11-30T01:02:03Z\n"
			       "HL:2021-03-04/..\n"
			       "PV:Toàn quốc\n"
			       "XT:3F2A9C0B1D4E5F607182");
	kho_qr_parsed q;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_qr_payload_parse(p, &q, &err), KHO_OK);
	for (int i = 0; i < KHO_QR_N_FIELDS; i++)
		assert_string_equal(q.f.v[i], full[i]);
	kho_qr_parsed_release(&q);
	/* a scanner's trailing line break is allowed */
	char *nl = malloc(strlen(p) + 2);
	snprintf(nl, strlen(p) + 2, "%s\n", p);
	assert_int_equal(kho_qr_payload_parse(nl, &q, &err), KHO_OK);
	kho_qr_parsed_release(&q);
	free(nl);
	free(p);
}

/* Optional fields are left out; values lose line breaks and blanks
 * around; a long value is cut before a character, never inside one. */
static void test_cleaning(void **state)
{
	(void)state;
	const char *v[KHO_QR_N_FIELDS];
	memcpy(v, full, sizeof(v));
	v[KHO_QR_PROCEDURE] = NULL;
	v[KHO_QR_IDENT] = "";
	v[KHO_QR_VALIDITY] = NULL;
	v[KHO_QR_SCOPE] = "  ";
	v[KHO_QR_NAME] = "  Giấy phép\r\nxây dựng  ";
	char *p = make(v);
	assert_string_equal(p, "KHO-QR/1\nHS:HT-2021-00042\n"
			       "TEN:Giấy phép  xây dựng\n"
			       "HT:Kho kết quả số hoá Đà Nẵng\n"
			       "TG:2026-11-30T01:02:03Z\n"
			       "XT:3F2A9C0B1D4E5F607182");
	free(p);

	/* 300 x "ệ" (3 bytes each): cut at 255 bytes, 85 characters */
	char long_name[1024] = "";
	for (int i = 0; i < 300; i++)
		memcpy(long_name + 3 * i, "\xe1\xbb\x87", 4);
	v[KHO_QR_NAME] = long_name;
	p = make(v);
	kho_qr_parsed q;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_qr_payload_parse(p, &q, &err), KHO_OK);
	assert_int_equal(strlen(q.f.v[KHO_QR_NAME]), 255);
	assert_memory_equal(q.f.v[KHO_QR_NAME], long_name, 255);
	kho_qr_parsed_release(&q);
	free(p);

	/* a required field empty, a code that is not one */
	kho_qr_fields f;
	memcpy(f.v, full, sizeof(f.v));
	f.v[KHO_QR_NAME] = " ";
	char *out = NULL;
	assert_int_equal(kho_qr_payload_make(&f, &out, &err), KHO_FAIL);
	assert_non_null(strstr(err.msg, "the document name is empty"));
	f.v[KHO_QR_NAME] = "x";
	f.v[KHO_QR_CODE] = "3f2a9c0b1d4e5f607182";
	assert_int_equal(kho_qr_payload_make(&f, &out, &err), KHO_FAIL);
	assert_null(out);
}

static void refused(const char *text, const char *why)
{
	kho_qr_parsed q;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_qr_payload_parse(text, &q, &err), KHO_FAIL);
	if (!strstr(err.msg, why))
		fail_msg("'%s' not in '%s'", why, err.msg);
	assert_null(q.buf);
}

static void test_refused(void **state)
{
	(void)state;
	refused("", "the first line");
	refused("KHO-QR/2\nHS:A", "the first line");
	refused("https://example.com/HT-2021-00042", "the first line");
	refused("KHO-QR/1\nHS:A\nTEN:B\nHT:C\nTG:D", "no verification code");
	refused("KHO-QR/1\nHS:A\nTEN:B\nHT:C\nTG:D\nXT:123",
		"is not a verification code");
	refused("KHO-QR/1\nHS:A\nXX:1\nTEN:B\nHT:C\nTG:D\n"
		"XT:3F2A9C0B1D4E5F607182",
		"unknown key 'XX'");
	refused("KHO-QR/1\nTEN:B\nHS:A\nHT:C\nTG:D\nXT:3F2A9C0B1D4E5F607182",
		"out of order or twice");
	refused("KHO-QR/1\nHS:A\nHS:A\nTEN:B\nHT:C\nTG:D\n"
		"XT:3F2A9C0B1D4E5F607182",
		"out of order or twice");
	refused("KHO-QR/1\nHS:A\nTEN\nHT:C\nTG:D\nXT:3F2A9C0B1D4E5F607182",
		"without 'KEY:'");
	refused("KHO-QR/1\nHS:A\nTEN:\nHT:C\nTG:D\nXT:3F2A9C0B1D4E5F607182",
		"has no value");
	refused("KHO-QR/1\r\nHS:A\r\nTEN:B\r\nHT:C\r\nTG:D\r\n"
		"XT:3F2A9C0B1D4E5F607182",
		"the first line");
}

/* ---- the verification code ---- */

static const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4};
static const uint8_t g4a[] = {0x26, 0xa0, 0x11, 0x00, 0x7f};

typedef struct blob {
	char *data;
	size_t size;
} blob;

/* Two pages; the first grown by a band when band (as describe does). */
static blob pages_pdf_w(const uint8_t *g4, size_t g4_size, int band,
			const char *title, double width)
{
	blob b = {0};
	FILE *f = open_memstream(&b.data, &b.size);
	kho_pdf *pdf = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_pdf_begin(&pdf, f, &err), KHO_OK);
	const kho_pdf_image l1 = {
		KHO_PDF_CCITT_G4, g4, g4_size, 1654, 2338, 1, 0};
	const kho_pdf_image l2 = {KHO_PDF_DCT, jpeg, sizeof(jpeg), 827, 1169,
				  3,	       0};
	static const uint8_t dark[4] = {1, 0, 0, 1};
	const kho_pdf_modules m = {dark, 2, 14, 850, 2};
	kho_pdf_page p1 = {.width_pt = width,
			   .height_pt = 841.8898,
			   .layers = &l1,
			   .n_layers = 1};
	if (band) {
		p1.height_pt += 30;
		p1.area = (kho_pdf_rect){0, 0, width, 841.8898};
		p1.modules = &m;
	}
	assert_int_equal(kho_pdf_add_page_ex(pdf, &p1, &err), KHO_OK);
	assert_int_equal(
		kho_pdf_add_page(pdf, 595.2756, 841.8898, &l2, 1, &err),
		KHO_OK);
	const kho_pdf_meta meta = {.title = title};
	assert_int_equal(kho_pdf_finish(pdf, &meta, &err), KHO_OK);
	fclose(f);
	return b;
}

static blob pages_pdf(const uint8_t *g4, size_t g4_size, int band,
		      const char *title)
{
	return pages_pdf_w(g4, g4_size, band, title, 595.2756);
}

static void code_of(const blob *b, char code[KHO_VCODE_LEN + 1], char **text)
{
	kho_pdf_doc *doc = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(
		kho_pdf_read((const uint8_t *)b->data, b->size, &doc, &err),
		KHO_OK);
	assert_int_equal(kho_verification_code(doc, code, text, &err), KHO_OK);
	kho_pdf_doc_free(doc);
}

static void test_verification_code(void **state)
{
	(void)state;
	blob plain = pages_pdf(g4a, sizeof(g4a), 0, "one");
	blob banded = pages_pdf(g4a, sizeof(g4a), 1, "another title");
	uint8_t g4b[sizeof(g4a)];
	memcpy(g4b, g4a, sizeof(g4a));
	g4b[3] ^= 1;
	blob changed = pages_pdf(g4b, sizeof(g4b), 1, "another title");
	char a[KHO_VCODE_LEN + 1], b[KHO_VCODE_LEN + 1], c[KHO_VCODE_LEN + 1];
	char *text = NULL;
	code_of(&plain, a, &text);
	code_of(&banded, b, NULL);
	code_of(&changed, c, NULL);
	/* the band, the QR code and the metadata leave it as it is; one bit
	 * of one page's image changes it */
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), KHO_VCODE_LEN);
	for (const char *p = a; *p; p++)
		assert_true((*p >= '0' && *p <= '9') ||
			    (*p >= 'A' && *p <= 'F'));
	/* the digested text: one line per image of every page */
	assert_non_null(text);
	assert_int_equal(strncmp(text,
				 "kho-pages/1\n1 595.2756 841.8898 0 g4 "
				 "1654 2338 ",
				 47),
			 0);
	assert_non_null(strstr(text, "\n2 595.2756 841.8898 0 jpeg-rgb 827 "
				     "1169 "));
	free(text);
	free(plain.data);
	free(banded.data);
	free(changed.data);
}

/* The describe band: page 1 grows on top by the code and its margins;
 * the code sits in the upper-left corner, inside the band; the images
 * keep their place; a narrow page gets smaller modules, a tiny one is
 * refused. */
static void test_band(void **state)
{
	(void)state;
	blob b = pages_pdf(g4a, sizeof(g4a), 0, "t");
	kho_pdf_doc *doc = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(
		kho_pdf_read((const uint8_t *)b.data, b.size, &doc, &err),
		KHO_OK);
	char *payload = make(full);
	blob out = {0};
	FILE *f = open_memstream(&out.data, &out.size);
	kho_qr_placement q;
	const double module = 0.42 / 25.4 * 72;
	assert_int_equal(
		kho_result_pdf_write(f, doc, NULL, payload, module, &q, &err),
		KHO_OK);
	fclose(f);
	assert_true(q.version >= 1 && q.version <= 40);
	assert_int_equal(q.modules, 17 + 4 * q.version);
	assert_true(q.module_pt > module - 1e-9 && q.module_pt < module + 1e-9);
	assert_true(q.y_pt >= 841.8898 + KHO_QR_QUIET * q.module_pt);
	assert_true(q.x_pt >= KHO_QR_QUIET * q.module_pt && q.x_pt < 20);
	assert_true(q.band_pt >= q.side_pt + 2 * KHO_QR_QUIET * q.module_pt);

	kho_pdf_doc *back = NULL;
	assert_int_equal(
		kho_pdf_read((const uint8_t *)out.data, out.size, &back, &err),
		KHO_OK);
	const kho_pdf_read_page *p1 = kho_pdf_doc_page(back, 0);
	assert_true(p1->height_pt > 841.8898 + q.band_pt - 0.001 &&
		    p1->height_pt < 841.8898 + q.band_pt + 0.001);
	assert_true(p1->area.y == 0 && p1->area.h > 841.88 &&
		    p1->area.h < 841.89);
	/* the same pages: the same code */
	char c1[KHO_VCODE_LEN + 1], c2[KHO_VCODE_LEN + 1];
	assert_int_equal(kho_verification_code(doc, c1, NULL, &err), KHO_OK);
	assert_int_equal(kho_verification_code(back, c2, NULL, &err), KHO_OK);
	assert_string_equal(c1, c2);
	kho_pdf_doc_free(back);
	free(out.data);

	kho_pdf_doc_free(doc);

	/* on a narrow page the modules shrink; on a tiny one, no code */
	for (int tiny = 0; tiny < 2; tiny++) {
		blob nb = pages_pdf_w(g4a, sizeof(g4a), 0, "t", tiny ? 20 : 60);
		assert_int_equal(kho_pdf_read((const uint8_t *)nb.data, nb.size,
					      &doc, &err),
				 KHO_OK);
		f = open_memstream(&out.data, &out.size);
		const int rc = kho_result_pdf_write(f, doc, NULL, payload,
						    module, &q, &err);
		fclose(f);
		if (tiny) {
			assert_int_equal(rc, KHO_FAIL);
			assert_non_null(strstr(err.msg, "too narrow"));
		} else {
			assert_int_equal(rc, KHO_OK);
			assert_true(q.module_pt < module);
			assert_true(q.side_pt +
					    2 * KHO_QR_QUIET * q.module_pt <=
				    60 + 1e-9);
		}
		kho_pdf_doc_free(doc);
		free(out.data);
		free(nb.data);
	}
	free(payload);
	free(b.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_and_parse),
		cmocka_unit_test(test_cleaning),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_verification_code),
		cmocka_unit_test(test_band),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
