/*
 * The G4 encoder: each stream is wrapped into a one-strip MinIsWhite TIFF
 * with libtiff and decoded back, and the pixels must come back exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "common/internal.h"
#include "render/g4_encode.h"
#include "testutil.h"

/* ---- helpers ---- */

static void grey_image(kho_image *img, uint32_t w, uint32_t h)
{
	kho_error err = KHO_ERROR_INIT;
	if (kho_image_alloc(img, w, h, 1, &err) != 0)
		fail_msg("alloc: %s", err.msg);
	memset(img->pixels, 255, img->stride * h);
}

static uint8_t *at(kho_image *img, uint32_t x, uint32_t y)
{
	return img->pixels + (size_t)y * img->stride + x;
}

static void encode(const kho_image *img, int threshold, uint8_t **data,
		   size_t *size)
{
	kho_error err = KHO_ERROR_INIT;
	if (kho_g4_encode(img, threshold, data, size, &err) != KHO_OK)
		fail_msg("encode: %s", err.msg);
	assert_non_null(*data);
	assert_true(*size > 0);
}

/* Wraps a G4 stream into a TIFF file in dir and decodes it: a malloc'd
 * w*h buffer of 0/1 where 1 is black. */
static uint8_t *decode(const char *dir, const uint8_t *g4, size_t size,
		       uint32_t w, uint32_t h)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/g4.tif", dir);
	TIFF *t = TIFFOpen(path, "w");
	assert_non_null(t);
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, h);
	assert_true(TIFFWriteRawStrip(t, 0, (void *)g4, (tmsize_t)size) ==
		    (tmsize_t)size);
	assert_true(TIFFWriteDirectory(t));
	TIFFClose(t);

	t = TIFFOpen(path, "r");
	assert_non_null(t);
	assert_int_equal(TIFFNumberOfStrips(t), 1);
	const size_t line = (w + 7) / 8;
	uint8_t *packed = calloc(line * h, 1);
	assert_int_equal(
		TIFFReadEncodedStrip(t, 0, packed, (tmsize_t)(line * h)),
		(tmsize_t)(line * h));
	TIFFClose(t);
	uint8_t *bits = malloc((size_t)w * h);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			bits[(size_t)y * w + x] =
				(packed[y * line + x / 8] >> (7 - x % 8)) & 1;
	free(packed);
	return bits;
}

/* Encodes img, decodes it back and compares with "below threshold is
 * black"; returns the stream size. */
static size_t round_trip(const char *dir, kho_image *img, int threshold)
{
	uint8_t *g4 = NULL;
	size_t size = 0;
	encode(img, threshold, &g4, &size);
	uint8_t *bits = decode(dir, g4, size, img->width, img->height);
	for (uint32_t y = 0; y < img->height; y++)
		for (uint32_t x = 0; x < img->width; x++) {
			const int black = *at(img, x, y) < threshold;
			if (bits[(size_t)y * img->width + x] != black)
				fail_msg("%ux%u, pixel (%u, %u): %s, wanted %s",
					 img->width, img->height, x, y,
					 black ? "white" : "black",
					 black ? "black" : "white");
		}
	free(bits);
	free(g4);
	return size;
}

static uint32_t lcg(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

/* ---- tests ---- */

static void test_small_pattern(void **state)
{
	const char *dir = kt_tempdir("g4");
	/* Width not a multiple of 8; runs of every length, edges that
	 * touch the borders, lines that shift from row to row. */
	const uint32_t w = 37, h = 23;
	kho_image img;
	grey_image(&img, w, h);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			int black = 0;
			if (y < 3)
				black = x < y + 1; /* corner */
			else if (y < 8)
				black = (x / (y - 2)) % 2; /* stripes */
			else if (y < 12)
				black = (x + y) % 2; /* checks */
			else if (y < 16)
				black = x == y || x == w - 1; /* lines */
			else if (y == 16)
				black = 1; /* full row */
			else
				black = x >= 30 - y; /* wedge */
			*at(&img, x, y) = black ? 0 : 255;
		}
	round_trip(dir, &img, 128);
	kho_image_release(&img);
	kt_rmtree(dir);
}

static void test_flat_pages(void **state)
{
	const char *dir = kt_tempdir("g4");
	kho_image img;
	grey_image(&img, 1000, 1000);
	const size_t white = round_trip(dir, &img, 128);
	/* A white page is one code per row, and a little. */
	assert_true(white < 200);
	memset(img.pixels, 0, img.stride * img.height);
	const size_t black = round_trip(dir, &img, 128);
	assert_true(black < 400);
	kho_image_release(&img);

	static const uint32_t sizes[][2] = {{1, 1}, {1, 9},  {9, 1},
					    {8, 8}, {16, 3}, {17, 2}};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(sizes); i++)
		for (int v = 0; v <= 255; v += 255) {
			grey_image(&img, sizes[i][0], sizes[i][1]);
			memset(img.pixels, v, img.stride * img.height);
			round_trip(dir, &img, 128);
			kho_image_release(&img);
		}
	kt_rmtree(dir);
}

static void test_noise(void **state)
{
	const char *dir = kt_tempdir("g4");
	kho_image img;
	uint32_t seed = 42;
	static const uint32_t sizes[][2] = {
		{203, 97}, {64, 64}, {1, 50}, {333, 5}};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(sizes); i++) {
		grey_image(&img, sizes[i][0], sizes[i][1]);
		for (size_t k = 0; k < img.stride * img.height; k++)
			img.pixels[k] = (uint8_t)lcg(&seed);
		round_trip(dir, &img, 128);
		kho_image_release(&img);
	}
	kt_rmtree(dir);
}

static void test_text_like_page(void **state)
{
	/* A wide page with word-like blocks and thin rules, as a scanned
	 * register at 300 dpi has. */
	const char *dir = kt_tempdir("g4");
	kho_image img;
	grey_image(&img, 2480, 120);
	uint32_t seed = 7;
	for (uint32_t y = 10; y < 110; y += 25) {
		uint32_t x = 100;
		while (x < 2300) {
			const uint32_t len = 20 + lcg(&seed) % 150;
			for (uint32_t yy = y; yy < y + 18; yy++)
				for (uint32_t xx = x; xx < x + len; xx++)
					if ((xx - x) % 9 < 3 || yy == y)
						*at(&img, xx, yy) = 20;
			x += len + 10 + lcg(&seed) % 30;
		}
	}
	for (uint32_t x = 0; x < 2480; x++)
		*at(&img, x, 118) = 0;
	const size_t size = round_trip(dir, &img, 128);
	/* Compressed: well below the packed size. */
	assert_true(size < 2480 / 8 * 120);
	kho_image_release(&img);
	kt_rmtree(dir);
}

static void test_threshold(void **state)
{
	const char *dir = kt_tempdir("g4");
	kho_image img;
	grey_image(&img, 256, 4);
	for (uint32_t y = 0; y < 4; y++)
		for (uint32_t x = 0; x < 256; x++)
			*at(&img, x, y) = (uint8_t)(y % 2 ? 255 - x : x);
	/* Below the threshold is black, at it is white. */
	static const int thresholds[] = {0, 1, 100, 128, 200, 255, 256};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(thresholds); i++)
		round_trip(dir, &img, thresholds[i]);

	uint8_t *g4 = NULL;
	size_t size = 0;
	encode(&img, 100, &g4, &size);
	uint8_t *bits = decode(dir, g4, size, 256, 4);
	assert_int_equal(bits[99], 1);
	assert_int_equal(bits[100], 0);
	assert_int_equal(bits[256 + 255 - 99], 1);
	assert_int_equal(bits[256 + 255 - 100], 0);
	free(bits);
	free(g4);

	/* Threshold 0: nothing is black, the same stream as white paper. */
	uint8_t *g4_white = NULL;
	size_t size_white = 0;
	encode(&img, 0, &g4, &size);
	kho_image white;
	grey_image(&white, 256, 4);
	encode(&white, 128, &g4_white, &size_white);
	assert_int_equal(size, size_white);
	assert_memory_equal(g4, g4_white, size);
	free(g4);
	free(g4_white);
	kho_image_release(&white);
	kho_image_release(&img);
	kt_rmtree(dir);
}

static void test_padded_stride(void **state)
{
	/* Rows longer than the width, the padding black: it must not
	 * reach the page. */
	const char *dir = kt_tempdir("g4");
	const uint32_t w = 21, h = 6;
	kho_image img = {w, h, 1, 32, NULL};
	img.pixels = malloc(32 * h);
	memset(img.pixels, 0, 32 * h);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			img.pixels[y * 32 + x] = (x + y) % 5 ? 255 : 0;
	round_trip(dir, &img, 128);

	uint8_t *g4 = NULL;
	size_t size = 0;
	encode(&img, 128, &g4, &size);
	uint8_t *bits = decode(dir, g4, size, w, h);
	int black = 0;
	for (size_t k = 0; k < (size_t)w * h; k++)
		black += bits[k];
	assert_int_equal(black, 26); /* (x + y) % 5 == 0 over 21 x 6 */
	free(bits);
	free(g4);
	free(img.pixels);
	kt_rmtree(dir);
}

/* Packed rows, 1 = black, with a stride wider than the row, as the text
 * layer hands them over: they come back exactly. */
static void test_packed_bits(void **state)
{
	const char *dir = kt_tempdir("g4-bits");
	const uint32_t w = 37, h = 23;
	const size_t stride = 8; /* 5 bytes needed */
	uint8_t *bits = calloc(stride, h);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			if ((x * 3 + y * 5) % 7 < 3 || x == w - 1)
				bits[y * stride + x / 8] |=
					(uint8_t)(0x80u >> (x % 8));
	/* garbage past the row's end must not leak in */
	for (uint32_t y = 0; y < h; y++)
		memset(bits + y * stride + 5, 0xA5, 3);
	uint8_t *g4 = NULL;
	size_t size = 0;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_g4_encode_bits(bits, stride, w, h, &g4, &size,
					    &err),
			 KHO_OK);
	uint8_t *back = decode(dir, g4, size, w, h);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const int want = bits[y * stride + x / 8] >>
						 (7 - x % 8) &
					 1;
			if (back[y * w + x] != want)
				fail_msg("pixel (%u, %u)", x, y);
		}
	free(g4);
	assert_int_equal(kho_g4_encode_bits(bits, stride, 0, h, &g4, &size,
					    &err),
			 KHO_FAIL);
	assert_null(g4);
	free(back);
	free(bits);
	kt_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_pattern),
		cmocka_unit_test(test_flat_pages),
		cmocka_unit_test(test_noise),
		cmocka_unit_test(test_text_like_page),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_padded_stride),
		cmocka_unit_test(test_packed_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
