/*
 * The TIFF master: one directory per page, G4 for bitonal pages and JPEG
 * for the others, resolution and metadata tags, the XMP packet on the
 * first page, pixels that decode back, and the same bytes every time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>

#include "common/internal.h"
#include "render/render.h"
#include "render/tiff_master.h"
#include "testutil.h"

static const kho_pdf_meta meta = {
	.title = "HT-2021-00042",
	.subject = "digitized administrative result",
	.creator = "kho-compress",
	.producer = "kho test",
	.created = "2026-11-30T01:02:03Z",
};

/* A grey page with dark bars, and an RGB one: red left, white right with
 * a black bar. */
static void pages(kho_image *grey, kho_image *rgb)
{
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_image_alloc(grey, 120, 90, 1, &err), KHO_OK);
	assert_int_equal(kho_image_alloc(rgb, 120, 90, 3, &err), KHO_OK);
	for (uint32_t y = 0; y < 90; y++)
		for (uint32_t x = 0; x < 120; x++) {
			const int bar = x % 15 < 3 && y > 20 && y < 70;
			grey->pixels[y * grey->stride + x] = bar ? 20 : 235;
			uint8_t *p = rgb->pixels + y * rgb->stride + x * 3;
			if (x < 60) {
				p[0] = 210, p[1] = 30, p[2] = 40;
			} else {
				const uint8_t v = x > 90 && x < 94 ? 20 : 240;
				p[0] = p[1] = p[2] = v;
			}
		}
}

static void render(const kho_image *src, kho_mode mode, kho_rendered *r)
{
	kho_plan p;
	memset(&p, 0, sizeof(p));
	p.mode = mode;
	p.dpi = 300;
	p.source_dpi = 300;
	const kho_render_opts opts = {.background_dpi = 100};
	kho_error err = KHO_ERROR_INIT;
	if (kho_render_image(src, src->width, src->height, 1, &p, &opts, r,
			     &err))
		fail_msg("render: %s", err.msg);
}

/* Writes the three pages into path. */
static void write_master(const char *path, kho_rendered *r, size_t n)
{
	const int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	kho_error err = KHO_ERROR_INIT;
	kho_tiff_master *m = NULL;
	assert_int_equal(kho_tiff_master_begin(&m, fd, 80, &meta, &err),
			 KHO_OK);
	for (size_t i = 0; i < n; i++)
		if (kho_tiff_master_add_page(m, &r[i], &err))
			fail_msg("add page %zu: %s", i, err.msg);
	if (kho_tiff_master_finish(m, &err))
		fail_msg("finish: %s", err.msg);
	close(fd);
}

static void test_pages_and_tags(void **state)
{
	const char *dir = kt_tempdir("tiff-master");
	kho_image grey, rgb;
	pages(&grey, &rgb);
	kho_rendered r[3] = {KHO_RENDERED_INIT, KHO_RENDERED_INIT,
			     KHO_RENDERED_INIT};
	render(&grey, KHO_MODE_BITONAL, &r[0]);
	render(&rgb, KHO_MODE_COLOUR, &r[1]);
	render(&rgb, KHO_MODE_MIXED, &r[2]);
	char path[4200], again[4200];
	snprintf(path, sizeof(path), "%s/master.tif", dir);
	snprintf(again, sizeof(again), "%s/again.tif", dir);
	write_master(path, r, 3);
	write_master(again, r, 3);
	size_t na = 0, nb = 0;
	uint8_t *a = kt_read_file(path, &na), *b = kt_read_file(again, &nb);
	assert_non_null(a);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	free(a);
	free(b);

	TIFF *t = TIFFOpen(path, "r");
	assert_non_null(t);
	assert_int_equal(TIFFNumberOfDirectories(t), 3);
	static const uint16_t comp[3] = {COMPRESSION_CCITTFAX4,
					 COMPRESSION_JPEG, COMPRESSION_JPEG};
	for (tdir_t d = 0; d < 3; d++) {
		assert_true(TIFFSetDirectory(t, d));
		uint16_t c = 0, unit = 0;
		uint32_t w = 0, h = 0;
		float xres = 0;
		char *text = NULL;
		assert_true(TIFFGetField(t, TIFFTAG_COMPRESSION, &c));
		assert_int_equal(c, comp[d]);
		assert_true(TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w));
		assert_true(TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h));
		assert_int_equal(w, 120);
		assert_int_equal(h, 90);
		assert_true(TIFFGetField(t, TIFFTAG_XRESOLUTION, &xres));
		assert_true(xres > 299.9f && xres < 300.1f);
		assert_true(TIFFGetField(t, TIFFTAG_RESOLUTIONUNIT, &unit));
		assert_int_equal(unit, RESUNIT_INCH);
		assert_true(TIFFGetField(t, TIFFTAG_DOCUMENTNAME, &text));
		assert_string_equal(text, "HT-2021-00042");
		assert_true(TIFFGetField(t, TIFFTAG_SOFTWARE, &text));
		assert_string_equal(text, "kho test");
		assert_true(TIFFGetField(t, TIFFTAG_DATETIME, &text));
		assert_string_equal(text, "2026:11:30 01:02:03");
		uint32_t xmp_len = 0;
		void *xmp = NULL;
		const int has_xmp =
			TIFFGetField(t, TIFFTAG_XMLPACKET, &xmp_len, &xmp);
		assert_int_equal(has_xmp, d == 0);
		if (has_xmp)
			assert_non_null(memmem(xmp, xmp_len,
					       "<pdfaid:part>2</pdfaid:part>",
					       28));
		/* pixels as RGBA: black bars, red left on the colour pages */
		uint32_t *px = malloc(w * h * 4);
		assert_true(TIFFReadRGBAImageOriented(t, w, h, px,
						      ORIENTATION_TOPLEFT, 0));
		const uint32_t bar = px[45 * w + 1], paper = px[45 * w + 7];
		if (d == 0) {
			assert_true(TIFFGetR(bar) < 60);
			assert_true(TIFFGetR(paper) > 200);
		} else {
			const uint32_t left = px[45 * w + 30];
			const uint32_t ink = px[45 * w + 92];
			assert_true(TIFFGetR(left) > 170 &&
				    TIFFGetG(left) < 80);
			assert_true(TIFFGetR(ink) < 90 && TIFFGetG(ink) < 90);
		}
		free(px);
	}
	TIFFClose(t);
	for (int i = 0; i < 3; i++)
		kho_rendered_release(&r[i]);
	kho_image_release(&grey);
	kho_image_release(&rgb);
	kt_rmtree(dir);
}

static void test_no_page(void **state)
{
	const char *dir = kt_tempdir("tiff-master-empty");
	char path[4200];
	snprintf(path, sizeof(path), "%s/m.tif", dir);
	const int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	kho_error err = KHO_ERROR_INIT;
	kho_tiff_master *m = NULL;
	assert_int_equal(kho_tiff_master_begin(&m, fd, 80, &meta, &err),
			 KHO_OK);
	assert_int_equal(kho_tiff_master_finish(m, &err), KHO_FAIL);
	assert_non_null(strstr(err.msg, "no page"));
	close(fd);
	/* metadata the PDF would refuse is refused here too */
	const kho_pdf_meta bad = {.created = "yesterday"};
	m = NULL;
	assert_int_equal(kho_tiff_master_begin(&m, fd, 80, &bad, &err),
			 KHO_FAIL);
	assert_null(m);
	kt_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pages_and_tags),
		cmocka_unit_test(test_no_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
