/*
 * Colour management: the ICC profile a JPEG (in two APP2 chunks) or a
 * TIFF carries comes back byte for byte (kho_image_file_icc), a page
 * rendered with it is converted into sRGB, and a profile that does not
 * fit the rows is left aside with a note.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <lcms2.h>
#include <turbojpeg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "common/internal.h"
#include "render/jpeg_encode.h"
#include "render/render.h"
#include "testutil.h"

/* An RGB profile with Adobe RGB (1998)'s primaries and gamma 2.2: the
 * same numbers mean more saturated colours than in sRGB. */
static uint8_t *wide_profile(size_t *size)
{
	cmsCIExyY white;
	cmsWhitePointFromTemp(&white, 6504);
	const cmsCIExyYTRIPLE prim = {
		{0.64, 0.33, 1}, {0.21, 0.71, 1}, {0.15, 0.06, 1}};
	cmsToneCurve *g = cmsBuildGamma(NULL, 2.2);
	cmsToneCurve *curves[3] = {g, g, g};
	cmsHPROFILE p = cmsCreateRGBProfile(&white, &prim, curves);
	cmsUInt32Number n = 0;
	assert_true(cmsSaveProfileToMem(p, NULL, &n));
	uint8_t *buf = malloc(n);
	assert_true(cmsSaveProfileToMem(p, buf, &n));
	cmsCloseProfile(p);
	cmsFreeToneCurve(g);
	*size = n;
	return buf;
}

static uint8_t *grey_profile(size_t *size)
{
	cmsToneCurve *g = cmsBuildGamma(NULL, 2.2);
	cmsHPROFILE p = cmsCreateGrayProfile(cmsD50_xyY(), g);
	cmsUInt32Number n = 0;
	assert_true(cmsSaveProfileToMem(p, NULL, &n));
	uint8_t *buf = malloc(n);
	assert_true(cmsSaveProfileToMem(p, buf, &n));
	cmsCloseProfile(p);
	cmsFreeToneCurve(g);
	*size = n;
	return buf;
}

static const uint8_t olive[3] = {100, 150, 50};

/* A flat 32 x 16 JPEG of one colour with the profile split into two APP2
 * chunks right after SOI. */
static uint8_t *jpeg_with_profile(const uint8_t *icc, size_t icc_size,
				  size_t *size)
{
	kho_image img;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_image_alloc(&img, 32, 16, 3, &err), KHO_OK);
	for (size_t i = 0; i < 32 * 16; i++)
		memcpy(img.pixels + 3 * i, olive, 3);
	uint8_t *jpg = NULL;
	size_t n = 0;
	assert_int_equal(kho_jpeg_encode(&img, 95, 300, 1, &jpg, &n, &err),
			 KHO_OK);
	kho_image_release(&img);
	const size_t half = icc_size / 2;
	const size_t parts[2] = {half, icc_size - half};
	uint8_t *out = malloc(n + icc_size + 64);
	size_t at = 2;
	memcpy(out, jpg, 2);
	size_t from = 0;
	for (int k = 0; k < 2; k++) {
		const size_t seg = 2 + 14 + parts[k];
		out[at++] = 0xff;
		out[at++] = 0xe2;
		out[at++] = (uint8_t)(seg >> 8);
		out[at++] = (uint8_t)seg;
		memcpy(out + at, "ICC_PROFILE\0", 12);
		out[at + 12] = (uint8_t)(k + 1);
		out[at + 13] = 2;
		memcpy(out + at + 14, icc + from, parts[k]);
		at += 14 + parts[k];
		from += parts[k];
	}
	memcpy(out + at, jpg + 2, n - 2);
	*size = at + n - 2;
	kho_jpeg_free(jpg);
	return out;
}

/* Renders page 0 of data in mode, with its own profile or without. */
static void render_file_as(const uint8_t *data, size_t size, kho_rendered *r,
			   int use_icc, kho_mode mode)
{
	kho_limits limits = KHO_LIMITS_DEFAULT;
	kho_error err = KHO_ERROR_INIT;
	kho_image_file *f = NULL;
	assert_int_equal(kho_image_file_open(&f, data, size, &limits, &err),
			 KHO_OK);
	kho_page_info info;
	assert_int_equal(kho_image_file_page_info(f, 0, &info, &err), KHO_OK);
	uint8_t *icc = NULL;
	size_t icc_size = 0;
	assert_int_equal(kho_image_file_icc(f, 0, &icc, &icc_size, &err),
			 KHO_OK);
	kho_plan p;
	memset(&p, 0, sizeof(p));
	p.mode = mode;
	p.dpi = 300;
	p.source_dpi = 300;
	const kho_render_opts opts = {.icc = use_icc ? icc : NULL,
				      .icc_size = icc_size};
	if (kho_render_file_page(f, 0, &info, 1, &p, &opts, r, &err))
		fail_msg("render: %s", err.msg);
	free(icc);
	kho_image_file_free(f);
}

/* Renders page 0 of data as colour with its own profile or without. */
static void render_file(const uint8_t *data, size_t size, kho_rendered *r,
			int use_icc)
{
	render_file_as(data, size, r, use_icc, KHO_MODE_COLOUR);
}

static void test_jpeg_profile(void **state)
{
	size_t icc_size = 0, size = 0;
	uint8_t *icc = wide_profile(&icc_size);
	uint8_t *jpg = jpeg_with_profile(icc, icc_size, &size);

	kho_limits limits = KHO_LIMITS_DEFAULT;
	kho_error err = KHO_ERROR_INIT;
	kho_image_file *f = NULL;
	assert_int_equal(kho_image_file_open(&f, jpg, size, &limits, &err),
			 KHO_OK);
	kho_page_info info;
	assert_int_equal(kho_image_file_page_info(f, 0, &info, &err), KHO_OK);
	assert_true(info.has_icc);
	uint8_t *got = NULL;
	size_t got_size = 0;
	assert_int_equal(kho_image_file_icc(f, 0, &got, &got_size, &err),
			 KHO_OK);
	assert_int_equal(got_size, icc_size);
	assert_memory_equal(got, icc, icc_size);
	free(got);
	kho_image_file_free(f);

	/* Managed, the olive is more saturated in sRGB terms: red lower,
	 * green higher, by clearly more than JPEG's rounding. */
	kho_rendered plain = KHO_RENDERED_INIT, managed = KHO_RENDERED_INIT;
	render_file(jpg, size, &plain, 0);
	render_file(jpg, size, &managed, 1);
	assert_false(plain.colour_managed);
	assert_true(managed.colour_managed);
	assert_string_equal(managed.note, "");
	const int y0 = plain.yuv.plane[0][8 * plain.yuv.stride[0] + 16];
	const int y1 = managed.yuv.plane[0][8 * managed.yuv.stride[0] + 16];
	const int cr0 = plain.yuv.plane[2][4 * plain.yuv.stride[2] + 8];
	const int cr1 = managed.yuv.plane[2][4 * managed.yuv.stride[2] + 8];
	if (abs(y0 - y1) + abs(cr0 - cr1) < 6)
		fail_msg("the profile changed nothing: Y %d -> %d, Cr %d -> %d",
			 y0, y1, cr0, cr1);
	kho_rendered_release(&plain);
	kho_rendered_release(&managed);
	free(jpg);
	free(icc);
}

/* A colour JPEG rendered grey: without its profile, the grey it stores
 * (libjpeg's Y, its colour not decoded), also where its colour would clip
 * in RGB; with it, the luma of the colour managed into sRGB, which the
 * profile moves by more than rounding. */
static void test_grey_render_of_a_colour_jpeg(void **state)
{
	(void)state;
	size_t icc_size = 0, size = 0;
	uint8_t *icc = wide_profile(&icc_size);
	uint8_t *jpg = jpeg_with_profile(icc, icc_size, &size);
	tjhandle tj = tjInitDecompress();
	assert_non_null(tj);
	uint8_t y[32 * 16];
	assert_int_equal(tjDecompress2(tj, jpg, (unsigned long)size, y, 32, 32,
				       16, TJPF_GRAY, 0),
			 0);
	tjDestroy(tj);
	kho_rendered plain = KHO_RENDERED_INIT, managed = KHO_RENDERED_INIT;
	render_file_as(jpg, size, &plain, 0, KHO_MODE_GREY);
	render_file_as(jpg, size, &managed, 1, KHO_MODE_GREY);
	assert_false(plain.colour_managed);
	assert_true(managed.colour_managed);
	assert_int_equal(plain.image.channels, 1);
	assert_int_equal(plain.image.width, 32);
	for (uint32_t r = 0; r < 16; r++)
		assert_memory_equal(plain.image.pixels + r * plain.image.stride,
				    y + r * 32, 32);
	const int g0 = plain.image.pixels[8 * plain.image.stride + 16];
	const int g1 = managed.image.pixels[8 * managed.image.stride + 16];
	if (abs(g0 - g1) < 3)
		fail_msg("the profile changed nothing: grey %d -> %d", g0, g1);
	kho_rendered_release(&plain);
	kho_rendered_release(&managed);
	free(jpg);
	free(icc);

	/* A colour whose RGB clips: Y 128 with Cb and Cr at 255 decodes to
	 * (255, 0, 255), whose luma is 106; the grey render is the 128 the
	 * file stores, the colour render's luma that of its RGB. */
	uint8_t planes[3][16 * 16];
	memset(planes[0], 128, sizeof(planes[0]));
	memset(planes[1], 255, sizeof(planes[1]));
	memset(planes[2], 255, sizeof(planes[2]));
	const unsigned char *src[3] = {planes[0], planes[1], planes[2]};
	const int strides[3] = {16, 16, 16};
	tjhandle enc = tjInitCompress();
	assert_non_null(enc);
	unsigned char *buf = NULL;
	unsigned long n = 0;
	assert_int_equal(tjCompressFromYUVPlanes(enc, src, 16, strides, 16,
						 TJSAMP_444, &buf, &n, 100, 0),
			 0);
	tjDestroy(enc);
	kho_rendered grey = KHO_RENDERED_INIT, colour = KHO_RENDERED_INIT;
	render_file_as(buf, n, &grey, 0, KHO_MODE_GREY);
	render_file_as(buf, n, &colour, 0, KHO_MODE_COLOUR);
	const int g = grey.image.pixels[8 * grey.image.stride + 8];
	if (abs(g - 128) > 1)
		fail_msg("the grey render is %d, not the stored 128", g);
	const int luma = colour.yuv.plane[0][8 * colour.yuv.stride[0] + 8];
	if (abs(luma - 106) > 2)
		fail_msg("the colour render's luma is %d, not the 106 of "
			 "(255, 0, 255)",
			 luma);
	kho_rendered_release(&grey);
	kho_rendered_release(&colour);
	tjFree(buf);
}

static void test_profile_that_does_not_fit(void **state)
{
	size_t icc_size = 0, size = 0;
	uint8_t *icc = grey_profile(&icc_size);
	uint8_t *jpg = jpeg_with_profile(icc, icc_size, &size);
	kho_rendered r = KHO_RENDERED_INIT;
	render_file(jpg, size, &r, 1);
	assert_false(r.colour_managed);
	assert_non_null(strstr(r.note, "not an RGB one"));
	kho_rendered_release(&r);
	free(jpg);
	/* a damaged profile: noted, not fatal */
	memset(icc + 36, 0, 4); /* the 'acsp' signature */
	jpg = jpeg_with_profile(icc, icc_size, &size);
	render_file(jpg, size, &r, 1);
	assert_false(r.colour_managed);
	assert_non_null(strstr(r.note, "damaged"));
	kho_rendered_release(&r);
	free(jpg);
	free(icc);
}

static void test_tiff_profile(void **state)
{
	const char *dir = kt_tempdir("icc-tiff");
	char path[4200];
	snprintf(path, sizeof(path), "%s/p.tif", dir);
	size_t icc_size = 0;
	uint8_t *icc = wide_profile(&icc_size);
	TIFF *t = TIFFOpen(path, "w");
	assert_non_null(t);
	for (int page = 0; page < 2; page++) {
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 8);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, 4);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
		TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 4);
		if (page == 1) /* only the second page has one */
			TIFFSetField(t, TIFFTAG_ICCPROFILE, (uint32_t)icc_size,
				     icc);
		uint8_t row[24];
		for (int x = 0; x < 8; x++)
			memcpy(row + 3 * x, olive, 3);
		for (uint32_t y = 0; y < 4; y++)
			assert_true(TIFFWriteScanline(t, row, y, 0) >= 0);
		assert_true(TIFFWriteDirectory(t));
	}
	TIFFClose(t);
	size_t n = 0;
	uint8_t *data = kt_read_file(path, &n);
	kho_limits limits = KHO_LIMITS_DEFAULT;
	kho_error err = KHO_ERROR_INIT;
	kho_image_file *f = NULL;
	assert_int_equal(kho_image_file_open(&f, data, n, &limits, &err),
			 KHO_OK);
	uint8_t *got = NULL;
	size_t got_size = 0;
	assert_int_equal(kho_image_file_icc(f, 0, &got, &got_size, &err),
			 KHO_OK);
	assert_null(got);
	assert_int_equal(got_size, 0);
	assert_int_equal(kho_image_file_icc(f, 1, &got, &got_size, &err),
			 KHO_OK);
	assert_int_equal(got_size, icc_size);
	assert_memory_equal(got, icc, icc_size);
	free(got);
	kho_image_file_free(f);
	free(data);
	free(icc);
	kt_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jpeg_profile),
		cmocka_unit_test(test_grey_render_of_a_colour_jpeg),
		cmocka_unit_test(test_profile_that_does_not_fit),
		cmocka_unit_test(test_tiff_profile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
