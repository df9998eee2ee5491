/*
 * The input decoders: probing, round trips through files made here with
 * libtiff, TurboJPEG and libpng, limits, damaged files, and a sweep over
 * the third-party files in ../shared/realdata.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <time.h>
#include <turbojpeg.h>

#include "common/internal.h"
#include "codec/codec.h"
#include "testutil.h"

/* ---- helpers ---- */

struct opened {
	uint8_t *data;
	size_t size;
	kho_image_file *file;
};

static int open_bytes(struct opened *o, uint8_t *data, size_t size,
		      const kho_limits *limits, kho_error *err)
{
	o->data = data;
	o->size = size;
	o->file = NULL;
	return kho_image_file_open(&o->file, data, size, limits, err);
}

static void open_path(struct opened *o, const char *path)
{
	size_t size = 0;
	uint8_t *data = kt_read_file(path, &size);
	assert_non_null(data);
	kho_error err = KHO_ERROR_INIT;
	const int rc = open_bytes(o, data, size, NULL, &err);
	if (rc != 0)
		fail_msg("cannot open %s: %s", path, err.msg);
}

static void close_opened(struct opened *o)
{
	kho_image_file_free(o->file);
	free(o->data);
	o->file = NULL;
	o->data = NULL;
}

static void read_page(struct opened *o, uint32_t page, unsigned scale,
		      kho_page_info *info, kho_image *img)
{
	kho_error err = KHO_ERROR_INIT;
	if (kho_image_file_page_info(o->file, page, info, &err) != 0)
		fail_msg("page_info: %s", err.msg);
	if (kho_image_file_read(o->file, page, scale, img, &err) != 0)
		fail_msg("read: %s", err.msg);
	assert_int_equal(img->channels, info->channels);
}

static char *path_in(const char *dir, const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static uint8_t pattern(uint32_t x, uint32_t y, int c)
{
	return (uint8_t)(x * 7 + y * 13 + c * 50);
}

static int count_rows(void *ctx, uint32_t y, const uint8_t *row, kho_error *err)
{
	uint32_t *n = ctx;
	assert_int_equal(y, *n);
	(*n)++;
	return 0;
}

/* ---- TIFF writing ---- */

struct tiff_spec {
	uint32_t w, h;
	uint16_t bps, spp, photometric, compression;
	uint16_t planar;	 /* 0: contiguous */
	uint32_t tile;		 /* 0: strips */
	uint32_t rows_per_strip; /* 0: libtiff's default */
	uint16_t orientation;	 /* 0: none written */
	float xres, yres;
	uint16_t resunit;
	uint16_t extra; /* type of the one extra sample, when spp says so */
	const uint16_t *cmap[3];
	int icc;
	uint16_t sampleformat;
};

/* rows: the stored bytes, row after row (contiguous), or plane after
 * plane of rows (separate). */
static void tiff_write_page(TIFF *t, const struct tiff_spec *s,
			    const uint8_t *rows)
{
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, s->w);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, s->h);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s->bps);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, s->spp);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s->photometric);
	TIFFSetField(t, TIFFTAG_COMPRESSION, s->compression);
	TIFFSetField(t, TIFFTAG_PLANARCONFIG,
		     s->planar ? s->planar : PLANARCONFIG_CONTIG);
	if (s->sampleformat)
		TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, s->sampleformat);
	if (s->compression == COMPRESSION_JPEG) {
		TIFFSetField(t, TIFFTAG_JPEGQUALITY, 95);
		if (s->photometric == PHOTOMETRIC_YCBCR)
			TIFFSetField(t, TIFFTAG_JPEGCOLORMODE,
				     JPEGCOLORMODE_RGB);
	}
	if (s->compression == COMPRESSION_LZW && s->bps == 8)
		TIFFSetField(t, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
	if (s->orientation)
		TIFFSetField(t, TIFFTAG_ORIENTATION, s->orientation);
	if (s->xres > 0) {
		TIFFSetField(t, TIFFTAG_XRESOLUTION, s->xres);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, s->yres);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, s->resunit);
	}
	if (s->extra) {
		const uint16_t types[1] = {s->extra};
		TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, types);
	}
	if (s->cmap[0])
		TIFFSetField(t, TIFFTAG_COLORMAP, s->cmap[0], s->cmap[1],
			     s->cmap[2]);
	if (s->icc) {
		static const uint8_t icc[16] = "not really ICC";
		TIFFSetField(t, TIFFTAG_ICCPROFILE, (uint32_t)sizeof(icc), icc);
	}
	const int separate = s->planar == PLANARCONFIG_SEPARATE;
	const size_t line = separate ? ((size_t)s->w * s->bps + 7) / 8
				     : ((size_t)s->w * s->bps * s->spp + 7) / 8;
	if (s->tile) {
		assert_false(separate);
		TIFFSetField(t, TIFFTAG_TILEWIDTH, s->tile);
		TIFFSetField(t, TIFFTAG_TILELENGTH, s->tile);
		const size_t tsize = (size_t)TIFFTileSize(t);
		const size_t trow = (size_t)TIFFTileRowSize(t);
		uint8_t *tb = malloc(tsize);
		for (uint32_t ty = 0; ty < s->h; ty += s->tile)
			for (uint32_t tx = 0; tx < s->w; tx += s->tile) {
				/* Whole bytes per pixel only in tiled tests. */
				const size_t bpp = (size_t)s->bps * s->spp / 8;
				memset(tb, 0, tsize);
				for (uint32_t r = 0; r < s->tile; r++) {
					if (ty + r >= s->h)
						break;
					const uint32_t cols =
						KHO_MIN(s->tile, s->w - tx);
					memcpy(tb + r * trow,
					       rows + (ty + r) * line +
						       tx * bpp,
					       cols * bpp);
				}
				assert_true(TIFFWriteTile(t, tb, tx, ty, 0, 0) >
					    0);
			}
		free(tb);
	} else {
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP,
			     s->rows_per_strip ? s->rows_per_strip
					       : TIFFDefaultStripSize(t, 0));
		/* libtiff's predictor works in place: hand it a copy. */
		uint8_t *copy = malloc(line);
		const int planes = separate ? s->spp : 1;
		for (int p = 0; p < planes; p++)
			for (uint32_t y = 0; y < s->h; y++) {
				memcpy(copy,
				       rows + ((size_t)p * s->h + y) * line,
				       line);
				assert_int_equal(TIFFWriteScanline(t, copy, y,
								   (uint16_t)p),
						 1);
			}
		free(copy);
	}
	assert_true(TIFFWriteDirectory(t));
}

static void tiff_write(const char *path, const struct tiff_spec *s,
		       const uint8_t *rows)
{
	TIFF *t = TIFFOpen(path, "w");
	assert_non_null(t);
	tiff_write_page(t, s, rows);
	TIFFClose(t);
}

/* Packs 0/1 pixels MSB first, as TIFF stores 1-bit rows. */
static uint8_t *pack_bits(const uint8_t *bits, uint32_t w, uint32_t h,
			  unsigned bps)
{
	const size_t line = ((size_t)w * bps + 7) / 8;
	uint8_t *out = calloc(line * h, 1);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const size_t bit = (size_t)x * bps;
			out[y * line + bit / 8] |=
				(uint8_t)(bits[(size_t)y * w + x]
					  << (8 - bps - bit % 8));
		}
	return out;
}

/* ---- probing ---- */

static void test_probe(void **state)
{
	static const struct {
		const char *bytes;
		size_t n;
		kho_format format;
		const char *what;
	} cases[] = {
		{"II*\0\x08\0\0\0", 8, KHO_FORMAT_TIFF, NULL},
		{"MM\0*\0\0\0\x08", 8, KHO_FORMAT_TIFF, NULL},
		{"II+\0\x08\0\0\0", 8, KHO_FORMAT_TIFF, NULL},
		{"MM\0+\0\x08\0\0", 8, KHO_FORMAT_TIFF, NULL},
		{"\xff\xd8\xff\xe0", 4, KHO_FORMAT_JPEG, NULL},
		{"\x89PNG\r\n\x1a\n", 8, KHO_FORMAT_PNG, NULL},
		{"%PDF-1.4\n", 9, KHO_FORMAT_UNKNOWN, "PDF"},
		{"GIF89a\x01\0", 8, KHO_FORMAT_UNKNOWN, "GIF"},
		{"GIF87a\x01\0", 8, KHO_FORMAT_UNKNOWN, "GIF"},
		{"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0", 18,
		 KHO_FORMAT_UNKNOWN, "BMP"},
		{"RIFF\x10\0\0\0WEBPVP8 ", 16, KHO_FORMAT_UNKNOWN, "WebP"},
		{"\0\0\0\x0cjP  \r\n\x87\n", 12, KHO_FORMAT_UNKNOWN,
		 "JPEG 2000"},
		{"\xff\x4f\xff\x51", 4, KHO_FORMAT_UNKNOWN, "JPEG 2000"},
		{"P4\n1 1\n\0", 8, KHO_FORMAT_UNKNOWN, "PNM"},
		{"P6 1 1 255\n", 11, KHO_FORMAT_UNKNOWN, "PNM"},
		{"hello, world", 12, KHO_FORMAT_UNKNOWN, NULL},
		{"II*", 3, KHO_FORMAT_UNKNOWN, NULL},
		{"\xff\xd8", 2, KHO_FORMAT_UNKNOWN, NULL},
		{"", 0, KHO_FORMAT_UNKNOWN, NULL},
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(cases); i++) {
		const char *what = "unset";
		const kho_format f = kho_format_probe(
			(const uint8_t *)cases[i].bytes, cases[i].n, &what);
		assert_int_equal(f, cases[i].format);
		if (cases[i].what)
			assert_string_equal(what, cases[i].what);
		else
			assert_null(what);
	}
	assert_string_equal(kho_format_name(KHO_FORMAT_TIFF), "TIFF");
	assert_string_equal(kho_format_name(KHO_FORMAT_JPEG), "JPEG");
	assert_string_equal(kho_format_name(KHO_FORMAT_PNG), "PNG");
	assert_int_equal(kho_format_probe(NULL, 0, NULL), KHO_FORMAT_UNKNOWN);
}

static void test_open_refusals(void **state)
{
	kho_error err = KHO_ERROR_INIT;
	kho_image_file *f = (kho_image_file *)1;
	static const uint8_t pdf[] = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n";
	assert_int_equal(kho_image_file_open(&f, pdf, sizeof(pdf), NULL, &err),
			 KHO_FAIL);
	assert_null(f);
	assert_string_equal(err.msg, "unsupported format: PDF");
	static const uint8_t junk[] = "just some text";
	assert_int_equal(
		kho_image_file_open(&f, junk, sizeof(junk), NULL, &err),
		KHO_FAIL);
	assert_non_null(strstr(err.msg, "unrecognised format"));
	assert_int_equal(kho_image_file_open(&f, junk, 0, NULL, &err),
			 KHO_FAIL);
	assert_string_equal(err.msg, "file is empty");
	kho_limits small = KHO_LIMITS_DEFAULT;
	small.max_file_bytes = 4;
	assert_int_equal(
		kho_image_file_open(&f, junk, sizeof(junk), &small, &err),
		KHO_FAIL);
	assert_non_null(strstr(err.msg, "file is too large"));
	/* A TIFF whose header says it has no directory at all. */
	static const uint8_t empty_tiff[] = "II*\0\0\0\0\0";
	assert_int_equal(kho_image_file_open(&f, empty_tiff, 8, NULL, &err),
			 KHO_FAIL);
	assert_string_equal(err.msg, "TIFF file has no pages");
	kho_image_file_free(NULL);
}

/* ---- TIFF round trips ---- */

static void test_tiff_g4_bitonal(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 203, h = 77;
	uint8_t *bits = malloc((size_t)w * h);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			bits[(size_t)y * w + x] = ((x / 9 + y / 5) % 3) == 0;
	uint8_t *rows = pack_bits(bits, w, h, 1);
	const struct tiff_spec s = {
		.w = w,
		.h = h,
		.bps = 1,
		.spp = 1,
		.photometric = PHOTOMETRIC_MINISWHITE,
		.compression = COMPRESSION_CCITTFAX4,
		.orientation = 6,
		.xres = 300,
		.yres = 300,
		.resunit = RESUNIT_INCH,
	};
	const char *path = path_in(dir, "g4.tif");
	tiff_write(path, &s, rows);

	struct opened o;
	open_path(&o, path);
	assert_int_equal(kho_image_file_format(o.file), KHO_FORMAT_TIFF);
	assert_int_equal(kho_image_file_pages(o.file), 1);
	kho_page_info info;
	kho_image img;
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.width, w);
	assert_int_equal(info.height, h);
	assert_int_equal(info.bits, 1);
	assert_int_equal(info.channels, 1);
	assert_int_equal(info.orientation, 6);
	assert_int_equal(info.dpi_source, KHO_DPI_TIFF);
	assert_true(info.xdpi == 300 && info.ydpi == 300);
	assert_int_equal(info.has_icc, 0);
	assert_string_equal(info.description,
			    "TIFF strips, 1-bit grey, CCITT G4");
	/* MinIsWhite: a set bit is black. */
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			assert_int_equal(img.pixels[y * img.stride + x],
					 bits[(size_t)y * w + x] ? 0 : 255);
	kho_image_release(&img);
	close_opened(&o);
	free(rows);
	free(bits);
	kt_rmtree(dir);
}

/*
 * A fax at 204 x 98 dpi: each pixel twice as tall as it is wide.  Drawn
 * one pixel to a point, the page came out at half its height; its pixels
 * are made square as it is decoded, its rows stretched to 204 dpi, and
 * the description says so.  A page stored 100 x 200 is stretched across;
 * resolutions 6 times apart, or of 5 dpi, are no scanner's and are left
 * as stored.
 */
static void test_fax_pixels_made_square(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 172, h = 110;
	uint8_t *bits = calloc((size_t)w * h, 1);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			bits[(size_t)y * w + x] = (y >= 50 && y < 55) ||
						  (x >= 80 && x < 84);
	uint8_t *rows = pack_bits(bits, w, h, 1);
	struct tiff_spec s = {
		.w = w,
		.h = h,
		.bps = 1,
		.spp = 1,
		.photometric = PHOTOMETRIC_MINISWHITE,
		.compression = COMPRESSION_CCITTFAX4,
		.xres = 204,
		.yres = 98,
		.resunit = RESUNIT_INCH,
	};
	const char *path = path_in(dir, "fax.tif");
	tiff_write(path, &s, rows);
	struct opened o;
	open_path(&o, path);
	kho_page_info info;
	kho_image img;
	read_page(&o, 0, 1, &info, &img);
	const uint32_t tall = (uint32_t)lround(h * 204.0 / 98.0);
	assert_int_equal(info.width, w);
	assert_int_equal(info.height, tall);
	assert_true(info.xdpi == 204 && info.ydpi == 204);
	assert_string_equal(info.description,
			    "TIFF strips, 1-bit grey, CCITT G4; 204 x 98 dpi, "
			    "pixels made square");
	assert_int_equal(img.width, w);
	assert_int_equal(img.height, tall);
	/* The band of 5 rows is about 10 rows now, where it was drawn
	 * stretched; the column band is where it was, on every row. */
	uint32_t dark = 0, first = 0;
	for (uint32_t y = 0; y < img.height; y++) {
		const uint8_t *row = img.pixels + (size_t)y * img.stride;
		if (row[10] < 128 && dark++ == 0)
			first = y;
		assert_true(row[81] == 0 && row[82] == 0);
		if (row[10] == 255)
			assert_true(row[78] == 255 && row[85] == 255);
	}
	if (dark < 9 || dark > 12 || abs((int)first - 104) > 2)
		fail_msg("the band: %u rows from row %u, want about 10 from "
			 "104", dark, first);
	kho_image_release(&img);
	/* At half size: half of the stretched page, every row handed on. */
	read_page(&o, 0, 2, &info, &img);
	assert_int_equal(img.width, (w + 1) / 2);
	assert_int_equal(img.height, (tall + 1) / 2);
	kho_image_release(&img);
	uint32_t n = 0;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(
		kho_image_file_decode(o.file, 0, 1, count_rows, &n, &err), 0);
	assert_int_equal(n, tall);
	close_opened(&o);

	/* Stored 100 x 200: the pixels are wide, the rows stretched across. */
	s.xres = 100;
	s.yres = 200;
	path = path_in(dir, "wide.tif");
	tiff_write(path, &s, rows);
	open_path(&o, path);
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.width, 2 * w);
	assert_int_equal(info.height, h);
	assert_true(info.xdpi == 200 && info.ydpi == 200);
	assert_int_equal(img.width, 2 * w);
	const uint8_t *band = img.pixels + (size_t)52 * img.stride;
	for (uint32_t x = 0; x < img.width; x++)
		assert_int_equal(band[x], 0);
	kho_image_release(&img);
	close_opened(&o);

	/* 300 x 50: left as stored, for the dpi to be found absurd. */
	s.xres = 300;
	s.yres = 50;
	path = path_in(dir, "absurd.tif");
	tiff_write(path, &s, rows);
	open_path(&o, path);
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.height, h);
	assert_true(info.xdpi == 300 && info.ydpi == 50);
	assert_string_equal(info.description,
			    "TIFF strips, 1-bit grey, CCITT G4");
	kho_image_release(&img);
	close_opened(&o);
	/* 5.46 x 6.67: no scanner's resolution either. */
	s.xres = 5.46f;
	s.yres = 6.67f;
	path = path_in(dir, "tiny.tif");
	tiff_write(path, &s, rows);
	open_path(&o, path);
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.width, w);
	assert_int_equal(info.height, h);
	kho_image_release(&img);
	close_opened(&o);
	free(rows);
	free(bits);
	kt_rmtree(dir);
}

static void test_tiff_grey_lzw_strips(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 61, h = 45;
	uint8_t *rows = malloc((size_t)w * h);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			rows[y * w + x] = pattern(x, y, 0);
	const struct tiff_spec s = {
		.w = w,
		.h = h,
		.bps = 8,
		.spp = 1,
		.photometric = PHOTOMETRIC_MINISBLACK,
		.compression = COMPRESSION_LZW,
		.rows_per_strip = 7,
		.xres = 118.11f,
		.yres = 118.11f,
		.resunit = RESUNIT_CENTIMETER,
		.icc = 1,
	};
	const char *path = path_in(dir, "grey.tif");
	tiff_write(path, &s, rows);
	struct opened o;
	open_path(&o, path);
	kho_page_info info;
	kho_image img;
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.orientation, 1);
	assert_true(fabs(info.xdpi - 300.0) < 0.01);
	assert_int_equal(info.has_icc, 1);
	assert_string_equal(info.description, "TIFF strips, 8-bit grey, LZW");
	assert_memory_equal(img.pixels, rows, (size_t)w * h);
	kho_image_release(&img);
	close_opened(&o);
	free(rows);
	kt_rmtree(dir);
}

static void test_tiff_rgb_tiles(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 50, h = 37; /* partial tiles on both edges */
	uint8_t *rows = malloc((size_t)w * h * 3);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			for (int c = 0; c < 3; c++)
				rows[(y * w + x) * 3 + c] = pattern(x, y, c);
	const struct tiff_spec s = {
		.w = w,
		.h = h,
		.bps = 8,
		.spp = 3,
		.photometric = PHOTOMETRIC_RGB,
		.compression = COMPRESSION_ADOBE_DEFLATE,
		.tile = 16,
		.xres = 200,
		.yres = 200,
		.resunit = RESUNIT_NONE,
	};
	const char *path = path_in(dir, "tiles.tif");
	tiff_write(path, &s, rows);
	struct opened o;
	open_path(&o, path);
	kho_page_info info;
	kho_image img;
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.channels, 3);
	/* Resolution without a unit is no dpi. */
	assert_int_equal(info.dpi_source, KHO_DPI_NONE);
	assert_true(info.xdpi == 0);
	assert_string_equal(info.description, "TIFF tiles, 8-bit RGB, Deflate");
	assert_memory_equal(img.pixels, rows, (size_t)w * h * 3);
	kho_image_release(&img);
	close_opened(&o);
	free(rows);
	kt_rmtree(dir);
}

static void test_tiff_16bit(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 33, h = 21;
	/* RGB in contiguous samples, then grey. */
	uint16_t *rgb = malloc(sizeof(uint16_t) * w * h * 3);
	uint16_t *grey = malloc(sizeof(uint16_t) * w * h);
	for (uint32_t i = 0; i < w * h; i++) {
		for (int c = 0; c < 3; c++)
			rgb[i * 3 + c] = (uint16_t)(i * 997 + c * 20000);
		grey[i] = (uint16_t)(i * 331);
	}
	struct tiff_spec s = {
		.w = w,
		.h = h,
		.bps = 16,
		.spp = 3,
		.photometric = PHOTOMETRIC_RGB,
		.compression = COMPRESSION_NONE,
	};
	tiff_write(path_in(dir, "rgb16.tif"), &s, (const uint8_t *)rgb);
	s.spp = 1;
	s.photometric = PHOTOMETRIC_MINISBLACK;
	s.compression = COMPRESSION_ADOBE_DEFLATE;
	tiff_write(path_in(dir, "grey16.tif"), &s, (const uint8_t *)grey);

	struct opened o;
	kho_page_info info;
	kho_image img;
	open_path(&o, path_in(dir, "rgb16.tif"));
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.bits, 16);
	for (uint32_t i = 0; i < w * h * 3; i++)
		assert_int_equal(img.pixels[i], rgb[i] >> 8);
	kho_image_release(&img);
	close_opened(&o);

	open_path(&o, path_in(dir, "grey16.tif"));
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.channels, 1);
	for (uint32_t i = 0; i < w * h; i++)
		assert_int_equal(img.pixels[i], grey[i] >> 8);
	kho_image_release(&img);
	close_opened(&o);
	free(rgb);
	free(grey);
	kt_rmtree(dir);
}

static void test_tiff_palette(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 19, h = 11;
	uint16_t r[16], g[16], b[16], grey[16];
	for (int i = 0; i < 16; i++) {
		r[i] = (uint16_t)(i * 4369);
		g[i] = (uint16_t)(65535 - i * 4369);
		b[i] = (uint16_t)((i * 7 % 16) * 4369);
		grey[i] = (uint16_t)(i * 4369);
	}
	uint8_t *idx = malloc((size_t)w * h);
	for (uint32_t i = 0; i < w * h; i++)
		idx[i] = (uint8_t)(i * 5 % 16);
	uint8_t *rows = pack_bits(idx, w, h, 4);
	struct tiff_spec s = {.w = w,
			      .h = h,
			      .bps = 4,
			      .spp = 1,
			      .photometric = PHOTOMETRIC_PALETTE,
			      .compression = COMPRESSION_PACKBITS,
			      .cmap = {r, g, b}};
	tiff_write(path_in(dir, "pal.tif"), &s, rows);
	s.cmap[0] = s.cmap[1] = s.cmap[2] = grey;
	tiff_write(path_in(dir, "greypal.tif"), &s, rows);

	struct opened o;
	kho_page_info info;
	kho_image img;
	open_path(&o, path_in(dir, "pal.tif"));
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.channels, 3);
	assert_string_equal(info.description,
			    "TIFF strips, 4-bit palette, PackBits");
	for (uint32_t i = 0; i < w * h; i++) {
		assert_int_equal(img.pixels[3 * i], r[idx[i]] >> 8);
		assert_int_equal(img.pixels[3 * i + 1], g[idx[i]] >> 8);
		assert_int_equal(img.pixels[3 * i + 2], b[idx[i]] >> 8);
	}
	kho_image_release(&img);
	close_opened(&o);

	open_path(&o, path_in(dir, "greypal.tif"));
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.channels, 1); /* a palette of greys */
	for (uint32_t i = 0; i < w * h; i++)
		assert_int_equal(img.pixels[i], idx[i] * 17);
	kho_image_release(&img);
	close_opened(&o);
	free(rows);
	free(idx);
	kt_rmtree(dir);
}

static void test_tiff_cmyk_and_alpha(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 4, h = 2;
	static const uint8_t cmyk[] = {
		0, 0, 0, 0,   255, 0, 0, 0,   0,   255, 0, 0, 0,   0,	255, 0,
		0, 0, 0, 255, 0,   0, 0, 128, 128, 128, 0, 0, 255, 255, 255, 0,
	};
	/* white, cyan, magenta, yellow, black, 50% grey, 50% blue-ish,
	 * black again (full C, M and Y). */
	static const uint8_t want[] = {
		255, 255, 255, /**/ 0, 255,    255,    /**/ 255, 0,
		255, 255, 255, 0,      /**/ 0, 0,      0,	 /**/ 127,
		127, 127, 127, 127,    255,    /**/ 0, 0,	 0,
	};
	struct tiff_spec s = {
		.w = w,
		.h = h,
		.bps = 8,
		.spp = 4,
		.photometric = PHOTOMETRIC_SEPARATED,
		.compression = COMPRESSION_LZW,
	};
	tiff_write(path_in(dir, "cmyk.tif"), &s, cmyk);

	/* RGB + unassociated alpha in separate planes: over white. */
	static const uint8_t planes[] = {
		0,   100, 200, 50,  10, 20, 30, 40,  /* R */
		0,   100, 200, 50,  10, 20, 30, 40,  /* G */
		0,   100, 200, 50,  10, 20, 30, 40,  /* B */
		255, 0,	  128, 255, 0,	0,  0,	255, /* A */
	};
	s.photometric = PHOTOMETRIC_RGB;
	s.planar = PLANARCONFIG_SEPARATE;
	s.extra = EXTRASAMPLE_UNASSALPHA;
	tiff_write(path_in(dir, "rgba.tif"), &s, planes);

	struct opened o;
	kho_page_info info;
	kho_image img;
	open_path(&o, path_in(dir, "cmyk.tif"));
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.channels, 3);
	assert_memory_equal(img.pixels, want, sizeof(want));
	kho_image_release(&img);
	close_opened(&o);

	open_path(&o, path_in(dir, "rgba.tif"));
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.channels, 3);
	assert_non_null(strstr(info.description, "RGB + alpha planar"));
	for (uint32_t i = 0; i < w * h; i++) {
		const unsigned v = planes[i], a = planes[24 + i];
		const unsigned expect = (v * a + 255 * (255 - a) + 127) / 255;
		for (int c = 0; c < 3; c++)
			assert_int_equal(img.pixels[3 * i + c], expect);
	}
	kho_image_release(&img);
	close_opened(&o);
	kt_rmtree(dir);
}

static void test_tiff_jpeg_ycbcr(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 64, h = 48;
	uint8_t *rows = malloc((size_t)w * h * 3);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			for (int c = 0; c < 3; c++)
				rows[(y * w + x) * 3 + c] =
					(uint8_t)(c == 0   ? x * 4
						  : c == 1 ? y * 5
							   : 128);
	struct tiff_spec s = {
		.w = w,
		.h = h,
		.bps = 8,
		.spp = 3,
		.photometric = PHOTOMETRIC_YCBCR,
		.compression = COMPRESSION_JPEG,
		.rows_per_strip = 16,
	};
	tiff_write(path_in(dir, "jpeg-strips.tif"), &s, rows);
	s.tile = 32;
	tiff_write(path_in(dir, "jpeg-tiles.tif"), &s, rows);
	const char *names[] = {"jpeg-strips.tif", "jpeg-tiles.tif"};
	for (int n = 0; n < 2; n++) {
		struct opened o;
		kho_page_info info;
		kho_image img;
		open_path(&o, path_in(dir, names[n]));
		read_page(&o, 0, 1, &info, &img);
		assert_int_equal(info.channels, 3);
		assert_non_null(strstr(info.description, "YCbCr, JPEG"));
		double sum = 0;
		for (size_t i = 0; i < (size_t)w * h * 3; i++)
			sum += abs((int)img.pixels[i] - rows[i]);
		assert_true(sum / ((double)w * h * 3) < 3.0);
		kho_image_release(&img);
		close_opened(&o);
	}
	free(rows);
	kt_rmtree(dir);
}

/* Three pages of different sizes; the last is float, which kho refuses
 * by name, with the page number in front. */
static void write_multipage(const char *path)
{
	TIFF *t = TIFFOpen(path, "w");
	assert_non_null(t);
	for (uint32_t p = 0; p < 2; p++) {
		const uint32_t w = 10 + p, h = 5 + p;
		uint8_t rows[12 * 7];
		for (uint32_t i = 0; i < w * h; i++)
			rows[i] = (uint8_t)(p * 100 + i);
		const struct tiff_spec s = {
			.w = w,
			.h = h,
			.bps = 8,
			.spp = 1,
			.photometric = PHOTOMETRIC_MINISBLACK,
			.compression = COMPRESSION_NONE,
			.orientation = (uint16_t)(p + 3),
		};
		tiff_write_page(t, &s, rows);
	}
	float f[4] = {0, 0.5f, 1, 0.25f};
	const struct tiff_spec s = {
		.w = 2,
		.h = 2,
		.bps = 32,
		.spp = 1,
		.photometric = PHOTOMETRIC_MINISBLACK,
		.compression = COMPRESSION_NONE,
		.sampleformat = SAMPLEFORMAT_IEEEFP,
	};
	tiff_write_page(t, &s, (const uint8_t *)f);
	TIFFClose(t);
}

static void test_tiff_multipage_and_limits(void **state)
{
	const char *dir = kt_tempdir("codec");
	const char *path = path_in(dir, "multi.tif");
	write_multipage(path);
	struct opened o;
	open_path(&o, path);
	assert_int_equal(kho_image_file_pages(o.file), 3);
	for (uint32_t p = 0; p < 2; p++) {
		kho_page_info info;
		kho_image img;
		read_page(&o, p, 1, &info, &img);
		assert_int_equal(info.width, 10 + p);
		assert_int_equal(info.orientation, 3 + p);
		for (uint32_t i = 0; i < info.width * info.height; i++)
			assert_int_equal(img.pixels[i], (uint8_t)(p * 100 + i));
		kho_image_release(&img);
	}
	kho_error err = KHO_ERROR_INIT;
	uint32_t rows = 0;
	assert_int_equal(
		kho_image_file_decode(o.file, 2, 1, count_rows, &rows, &err),
		KHO_FAIL);
	assert_string_equal(err.msg,
			    "page 3: unsupported TIFF: 32-bit floating point "
			    "samples");
	assert_int_equal(rows, 0);
	/* Pages in any order, and again. */
	kho_page_info info;
	assert_int_equal(kho_image_file_page_info(o.file, 1, &info, &err), 0);
	assert_int_equal(info.width, 11);
	assert_int_equal(kho_image_file_page_info(o.file, 0, &info, &err), 0);
	assert_int_equal(info.width, 10);
	assert_int_equal(kho_image_file_page_info(o.file, 3, &info, &err),
			 KHO_FAIL);
	uint8_t *data = o.data;
	size_t data_size = o.size;
	kho_image_file_free(o.file);

	kho_limits lim = KHO_LIMITS_DEFAULT;
	lim.max_pages = 2;
	kho_image_file *f = NULL;
	assert_int_equal(kho_image_file_open(&f, data, data_size, &lim, &err),
			 KHO_FAIL);
	assert_string_equal(err.msg, "more than 2 pages");

	/* The pixel limit is checked before a row is decoded. */
	lim = (kho_limits)KHO_LIMITS_DEFAULT;
	lim.max_pixels = 49;
	assert_int_equal(kho_image_file_open(&f, data, data_size, &lim, &err),
			 0);
	rows = 0;
	assert_int_equal(
		kho_image_file_decode(f, 0, 1, count_rows, &rows, &err),
		KHO_FAIL);
	assert_string_equal(err.msg, "page 1: image is too large: 10 x 5 "
				     "pixels (limit 49)");
	assert_int_equal(rows, 0);
	kho_image img;
	assert_int_equal(kho_image_file_read(f, 0, 1, &img, &err), KHO_FAIL);
	assert_null(img.pixels);
	kho_image_file_free(f);

	/* So is the allocation limit, for the strip buffer: one strip of
	 * 500 kB (libtiff's own allocations stay far below the limit).
	 * Compressed, since libtiff chops a big uncompressed strip into
	 * small ones by itself. */
	const uint32_t bw = 1000, bh = 500;
	uint8_t *big = calloc((size_t)bw * bh, 1);
	const struct tiff_spec bs = {
		.w = bw,
		.h = bh,
		.bps = 8,
		.spp = 1,
		.photometric = PHOTOMETRIC_MINISBLACK,
		.compression = COMPRESSION_ADOBE_DEFLATE,
		.rows_per_strip = bh,
	};
	tiff_write(path_in(dir, "big.tif"), &bs, big);
	free(big);
	free(data);
	data = kt_read_file(path_in(dir, "big.tif"), &data_size);
	lim = (kho_limits)KHO_LIMITS_DEFAULT;
	lim.max_alloc_bytes = 100000;
	if (kho_image_file_open(&f, data, data_size, &lim, &err) != 0)
		fail_msg("open: %s", err.msg);
	rows = 0;
	assert_int_equal(
		kho_image_file_decode(f, 0, 1, count_rows, &rows, &err),
		KHO_FAIL);
	assert_string_equal(err.msg, "a TIFF strip needs 500000 bytes "
				     "(limit 100000)");
	assert_int_equal(rows, 0);
	kho_image_file_free(f);
	free(data);
	kt_rmtree(dir);
}

/* A long TIFF opened on its mapping: pages come out right in any order
 * while the mapping's pages are let go of between and during them (the
 * strips of each page are more than the 4 MB after which the decoder lets
 * go), and each page is found by its directory's offset. */
static void test_tiff_mapped_pages(void **state)
{
	const char *dir = kt_tempdir("codec");
	const char *path = path_in(dir, "long.tif");
	enum { PAGES = 20, W = 1200, H = 1000 };
	TIFF *t = TIFFOpen(path, "w");
	assert_non_null(t);
	uint8_t *rows = malloc((size_t)W * H * 3);
	for (uint32_t p = 0; p < PAGES; p++) {
		for (size_t i = 0; i < (size_t)W * H * 3; i++)
			rows[i] = (uint8_t)(p * 11 + i % 251);
		const struct tiff_spec spec = {
			.w = W,
			.h = H,
			.bps = 8,
			.spp = 3,
			.photometric = PHOTOMETRIC_RGB,
			.compression = COMPRESSION_NONE,
			.rows_per_strip = 16,
		};
		tiff_write_page(t, &spec, rows);
	}
	TIFFClose(t);

	kho_error err = KHO_ERROR_INIT;
	kho_file_map map = KHO_FILE_MAP_INIT;
	assert_int_equal(kho_file_map_open(path, UINT64_MAX, &map, &err),
			 KHO_OK);
	kho_image_file *f = NULL;
	if (kho_image_file_open_map(&f, &map, NULL, &err) != 0)
		fail_msg("open: %s", err.msg);
	assert_int_equal(kho_image_file_pages(f), PAGES);
	const uint32_t order[] = {PAGES - 1, 0, 7, 7, 3, PAGES - 2};
	for (size_t k = 0; k < KHO_ARRAY_SIZE(order); k++) {
		const uint32_t p = order[k];
		kho_image img = KHO_IMAGE_INIT;
		if (kho_image_file_read(f, p, 1, &img, &err) != 0)
			fail_msg("page %u: %s", p + 1, err.msg);
		assert_int_equal(img.width, W);
		assert_int_equal(img.channels, 3);
		for (size_t i = 0; i < (size_t)W * H * 3; i += 997)
			if (img.pixels[i] != (uint8_t)(p * 11 + i % 251))
				fail_msg("page %u byte %zu", p + 1, i);
		kho_image_release(&img);
		kho_file_map_drop(&map, 0, map.size);
	}
	kho_image_file_free(f);
	kho_file_map_release(&map);
	free(rows);
	kt_rmtree(dir);
}

static void test_bigtiff(void **state)
{
	const char *dir = kt_tempdir("codec");
	const char *path = path_in(dir, "big.tif");
	TIFF *t = TIFFOpen(path, "w8");
	assert_non_null(t);
	uint8_t rows[2][6 * 4];
	for (int p = 0; p < 2; p++) {
		for (int i = 0; i < 24; i++)
			rows[p][i] = (uint8_t)(p * 50 + i);
		const struct tiff_spec s = {
			.w = 6,
			.h = 4,
			.bps = 8,
			.spp = 1,
			.photometric = PHOTOMETRIC_MINISBLACK,
			.compression = COMPRESSION_LZW,
		};
		tiff_write_page(t, &s, rows[p]);
	}
	TIFFClose(t);
	struct opened o;
	open_path(&o, path);
	assert_int_equal(kho_image_file_format(o.file), KHO_FORMAT_TIFF);
	assert_int_equal(kho_image_file_pages(o.file), 2);
	for (uint32_t p = 0; p < 2; p++) {
		kho_page_info info;
		kho_image img;
		read_page(&o, p, 1, &info, &img);
		assert_memory_equal(img.pixels, rows[p], 24);
		kho_image_release(&img);
	}
	close_opened(&o);
	kt_rmtree(dir);
}

/* Offsets of the IFDs of a little-endian classic TIFF, and where each
 * one's link to the next is stored. */
static size_t ifd_links(const uint8_t *d, size_t n, size_t *links, size_t max)
{
	size_t count = 0;
	uint32_t off = (uint32_t)(d[4] | d[5] << 8 | d[6] << 16 |
				  (uint32_t)d[7] << 24);
	while (off && off + 2 <= n && count < max) {
		const unsigned entries = d[off] | d[off + 1] << 8;
		const size_t link = off + 2 + entries * 12u;
		links[count++] = link;
		off = (uint32_t)(d[link] | d[link + 1] << 8 |
				 d[link + 2] << 16 |
				 (uint32_t)d[link + 3] << 24);
	}
	return count;
}

/* Halves the StripByteCounts of the one-strip page of a little-endian
 * classic TIFF, as if the strip had been cut short. */
static void halve_strip(uint8_t *d)
{
	const uint32_t off = (uint32_t)(d[4] | d[5] << 8 | d[6] << 16 |
					(uint32_t)d[7] << 24);
	const unsigned entries = d[off] | d[off + 1] << 8;
	for (unsigned i = 0; i < entries; i++) {
		uint8_t *e = d + off + 2 + 12 * i;
		const unsigned tag = e[0] | e[1] << 8, type = e[2] | e[3] << 8;
		if (tag != TIFFTAG_STRIPBYTECOUNTS)
			continue;
		if (type == TIFF_SHORT) {
			const unsigned v = (e[8] | e[9] << 8) / 2;
			e[8] = (uint8_t)v, e[9] = (uint8_t)(v >> 8);
		} else {
			uint32_t v;
			memcpy(&v, e + 8, 4);
			v /= 2;
			memcpy(e + 8, &v, 4);
		}
		return;
	}
	fail_msg("no StripByteCounts");
}

/* JPEG and fax decoders pad a strip cut short and only warn; kho fails
 * the page. */
static void test_tiff_short_strips(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 64, h = 64;
	uint8_t *px = malloc((size_t)w * h * 3);
	for (uint32_t i = 0; i < w * h * 3; i++)
		px[i] = (uint8_t)(rand() & 0xff);
	uint8_t *bits = malloc((size_t)w * h);
	for (uint32_t i = 0; i < w * h; i++)
		bits[i] = (uint8_t)(rand() & 1);
	uint8_t *packed = pack_bits(bits, w, h, 1);
	const struct tiff_spec js = {
		.w = w,
		.h = h,
		.bps = 8,
		.spp = 3,
		.photometric = PHOTOMETRIC_YCBCR,
		.compression = COMPRESSION_JPEG,
		.rows_per_strip = h,
	};
	tiff_write(path_in(dir, "jpeg.tif"), &js, px);
	const struct tiff_spec gs = {
		.w = w,
		.h = h,
		.bps = 1,
		.spp = 1,
		.photometric = PHOTOMETRIC_MINISWHITE,
		.compression = COMPRESSION_CCITTFAX4,
		.rows_per_strip = h,
	};
	tiff_write(path_in(dir, "g4.tif"), &gs, packed);
	static const char *const cases[][2] = {
		{"jpeg.tif", "premature end of JPEG"},
		{"g4.tif", "remature EO"},
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(cases); i++) {
		size_t size;
		uint8_t *data = kt_read_file(path_in(dir, cases[i][0]), &size);
		assert_non_null(data);
		halve_strip(data);
		kho_error err = KHO_ERROR_INIT;
		kho_image_file *f = NULL;
		assert_int_equal(
			kho_image_file_open(&f, data, size, NULL, &err), 0);
		uint32_t rows = 0;
		assert_int_equal(
			kho_image_file_decode(f, 0, 1, count_rows, &rows, &err),
			KHO_FAIL);
		if (!strstr(err.msg, cases[i][1]))
			fail_msg("%s: %s", cases[i][0], err.msg);
		assert_int_equal(rows, 0);
		kho_image_file_free(f);
		free(data);
	}
	free(packed);
	free(bits);
	free(px);
	kt_rmtree(dir);
}

static void test_tiff_damage(void **state)
{
	const char *dir = kt_tempdir("codec");
	const char *path = path_in(dir, "multi.tif");
	write_multipage(path);
	size_t size;
	uint8_t *data = kt_read_file(path, &size);
	assert_non_null(data);
	size_t links[4];
	assert_int_equal(ifd_links(data, size, links, 4), 3);

	/* The third directory links back to the second. */
	const uint32_t second =
		(uint32_t)(data[links[0]] | data[links[0] + 1] << 8 |
			   data[links[0] + 2] << 16 |
			   (uint32_t)data[links[0] + 3] << 24);
	memcpy(data + links[2], &second, 4); /* little-endian host */
	kho_error err = KHO_ERROR_INIT;
	kho_image_file *f = NULL;
	assert_int_equal(kho_image_file_open(&f, data, size, NULL, &err),
			 KHO_FAIL);
	assert_string_equal(err.msg,
			    "TIFF directory chain loops back to page 2");
	free(data);

	/* A strip cut short: an LZW page whose data ends early. */
	const uint32_t w = 300, h = 200;
	uint8_t *rows = malloc((size_t)w * h);
	for (uint32_t i = 0; i < w * h; i++)
		rows[i] = (uint8_t)(rand() & 0xff);
	const struct tiff_spec s = {
		.w = w,
		.h = h,
		.bps = 8,
		.spp = 1,
		.photometric = PHOTOMETRIC_MINISBLACK,
		.compression = COMPRESSION_LZW,
		.rows_per_strip = h,
	};
	path = path_in(dir, "lzw.tif");
	tiff_write(path, &s, rows);
	data = kt_read_file(path, &size);
	assert_non_null(data);
	/* libtiff writes the strip first and the directory after it: spoil
	 * a quarter of the strip's bytes (9-bit codes of all ones are not
	 * in the table yet) rather than cut the file, so that the
	 * directory stays readable. */
	memset(data + 8 + (size - 8) / 4, 0xff, (size - 8) / 4);
	assert_int_equal(kho_image_file_open(&f, data, size, NULL, &err), 0);
	uint32_t n = 0;
	assert_int_equal(kho_image_file_decode(f, 0, 1, count_rows, &n, &err),
			 KHO_FAIL);
	assert_non_null(strstr(err.msg, "strip 0"));
	kho_image_file_free(f);
	free(data);
	free(rows);
	kt_rmtree(dir);
}

/* ---- scaling ---- */

static void test_scaled_tiff(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 101, h = 53;
	uint8_t *bits = malloc((size_t)w * h);
	/* Left half black, right half white, a grey checkerboard row. */
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			bits[(size_t)y * w + x] = x < 48 ? 1 : 0;
	uint8_t *rows = pack_bits(bits, w, h, 1);
	const struct tiff_spec s = {
		.w = w,
		.h = h,
		.bps = 1,
		.spp = 1,
		.photometric = PHOTOMETRIC_MINISWHITE,
		.compression = COMPRESSION_CCITTFAX3,
	};
	const char *path = path_in(dir, "scale.tif");
	tiff_write(path, &s, rows);
	struct opened o;
	open_path(&o, path);
	static const unsigned scales[] = {1, 2, 4, 8};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(scales); i++) {
		const unsigned k = scales[i];
		kho_page_info info;
		kho_image img;
		read_page(&o, 0, k, &info, &img);
		assert_int_equal(img.width, (w + k - 1) / k);
		assert_int_equal(img.height, (h + k - 1) / k);
		/* Boxes wholly left are black, wholly right white, and the
		 * narrow last column (one pixel wide) too. */
		for (uint32_t y = 0; y < img.height; y++) {
			assert_int_equal(img.pixels[y * img.stride], 0);
			assert_int_equal(
				img.pixels[y * img.stride + img.width - 1],
				255);
		}
		kho_image_release(&img);
	}
	kho_error err = KHO_ERROR_INIT;
	uint32_t n = 0;
	assert_int_equal(
		kho_image_file_decode(o.file, 0, 3, count_rows, &n, &err),
		KHO_USAGE);
	close_opened(&o);
	free(rows);
	free(bits);
	kt_rmtree(dir);
}

static void test_box_average(void **state)
{
	/* 5 x 3 grey, scale 2: boxes 2x2, 2x2, 1x2 then 2x1, 2x1, 1x1. */
	const char *dir = kt_tempdir("codec");
	static const uint8_t px[15] = {
		0, 100, 50, 50, 7, 200, 100, 50, 150, 9, 255, 255, 0, 4, 11,
	};
	const struct tiff_spec s = {
		.w = 5,
		.h = 3,
		.bps = 8,
		.spp = 1,
		.photometric = PHOTOMETRIC_MINISBLACK,
		.compression = COMPRESSION_NONE,
	};
	tiff_write(path_in(dir, "box.tif"), &s, px);
	struct opened o;
	open_path(&o, path_in(dir, "box.tif"));
	kho_page_info info;
	kho_image img;
	read_page(&o, 0, 2, &info, &img);
	assert_int_equal(img.width, 3);
	assert_int_equal(img.height, 2);
	static const uint8_t want[6] = {100, 75, 8, 255, 2, 11};
	assert_memory_equal(img.pixels, want, 6);
	kho_image_release(&img);
	close_opened(&o);
	kt_rmtree(dir);
}

/* ---- JPEG ---- */

static uint8_t *jpeg_encode(const uint8_t *px, int w, int h, int pf,
			    int subsamp, size_t *size)
{
	tjhandle tj = tjInitCompress();
	assert_non_null(tj);
	unsigned char *buf = NULL;
	unsigned long n = 0;
	assert_int_equal(
		tjCompress2(tj, px, w, 0, h, pf, &buf, &n, subsamp, 95, 0), 0);
	tjDestroy(tj);
	uint8_t *out = malloc(n + 256);
	memcpy(out, buf, n);
	tjFree(buf);
	*size = n;
	return out;
}

/* Inserts a segment right after the JFIF APP0 TurboJPEG writes. */
static void jpeg_insert(uint8_t *jpg, size_t *size, const uint8_t *seg,
			size_t n)
{
	assert_true(jpg[2] == 0xff && jpg[3] == 0xe0);
	const size_t at = 4 + (size_t)(jpg[4] << 8 | jpg[5]);
	memmove(jpg + at + n, jpg + at, *size - at);
	memcpy(jpg + at, seg, n);
	*size += n;
}

struct bytes {
	uint8_t b[128];
	size_t n;
	int big_endian;
};

static void put16(struct bytes *t, uint32_t v)
{
	t->b[t->n++] = (uint8_t)(t->big_endian ? v >> 8 : v);
	t->b[t->n++] = (uint8_t)(t->big_endian ? v : v >> 8);
}

static void put32(struct bytes *t, uint32_t v)
{
	put16(t, t->big_endian ? v >> 16 : v & 0xffff);
	put16(t, t->big_endian ? v & 0xffff : v >> 16);
}

/* An APP1 EXIF segment: IFD0 with Orientation, X/YResolution (xres and
 * 2 * xres / 2) and ResolutionUnit. */
static size_t exif_segment(uint8_t *seg, int big_endian, int orientation,
			   uint32_t xres, uint16_t unit)
{
	struct bytes t = {
		.big_endian = big_endian,
	};
	t.b[t.n++] = big_endian ? 'M' : 'I';
	t.b[t.n++] = big_endian ? 'M' : 'I';
	put16(&t, 42);
	put32(&t, 8);
	put16(&t, 4); /* entries */
	const uint32_t rationals = 8 + 2 + 4 * 12 + 4;
	put16(&t, 0x0112), put16(&t, 3), put32(&t, 1);
	put16(&t, (uint32_t)orientation), put16(&t, 0);
	put16(&t, 0x011a), put16(&t, 5), put32(&t, 1), put32(&t, rationals);
	put16(&t, 0x011b), put16(&t, 5), put32(&t, 1);
	put32(&t, rationals + 8);
	put16(&t, 0x0128), put16(&t, 3), put32(&t, 1);
	put16(&t, unit), put16(&t, 0);
	put32(&t, 0); /* no next IFD */
	put32(&t, xres), put32(&t, 1);
	put32(&t, xres * 2), put32(&t, 2);
	const size_t len = 2 + 6 + t.n;
	seg[0] = 0xff;
	seg[1] = 0xe1;
	seg[2] = (uint8_t)(len >> 8);
	seg[3] = (uint8_t)len;
	memcpy(seg + 4, "Exif\0\0", 6);
	memcpy(seg + 10, t.b, t.n);
	return 2 + len;
}

static double mean_abs_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += abs((int)a[i] - (int)b[i]);
	return sum / (double)n;
}

static void test_jpeg_round_trip(void **state)
{
	const int w = 67, h = 45;
	uint8_t *rgb = malloc((size_t)w * h * 3);
	uint8_t *grey = malloc((size_t)w * h);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			for (int c = 0; c < 3; c++)
				rgb[(y * w + x) * 3 + c] =
					(uint8_t)(c == 0   ? x * 3
						  : c == 1 ? y * 5
							   : 90);
			grey[y * w + x] = (uint8_t)(x * 2 + y);
		}
	size_t n;
	uint8_t *jpg = jpeg_encode(rgb, w, h, TJPF_RGB, TJSAMP_444, &n);
	/* JFIF density 300 x 300 dots per inch, patched in. */
	jpg[13] = 1;
	jpg[14] = 0x01, jpg[15] = 0x2c;
	jpg[16] = 0x01, jpg[17] = 0x2c;
	struct opened o;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(open_bytes(&o, jpg, n, NULL, &err), 0);
	assert_int_equal(kho_image_file_format(o.file), KHO_FORMAT_JPEG);
	kho_page_info info;
	kho_image img;
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.width, w);
	assert_int_equal(info.channels, 3);
	assert_int_equal(info.bits, 8);
	assert_int_equal(info.dpi_source, KHO_DPI_JFIF);
	assert_true(info.xdpi == 300 && info.ydpi == 300);
	assert_string_equal(info.description,
			    "JPEG baseline, 8-bit YCbCr 4:4:4");
	assert_true(mean_abs_diff(img.pixels, rgb, (size_t)w * h * 3) < 3);
	kho_image_release(&img);
	/* Scaled by the DCT: ceil(67 / 4) x ceil(45 / 4). */
	read_page(&o, 0, 4, &info, &img);
	assert_int_equal(img.width, 17);
	assert_int_equal(img.height, 12);
	kho_image_release(&img);
	read_page(&o, 0, 8, &info, &img);
	assert_int_equal(img.width, 9);
	assert_int_equal(img.height, 6);
	kho_image_release(&img);
	close_opened(&o);

	jpg = jpeg_encode(grey, w, h, TJPF_GRAY, TJSAMP_GRAY, &n);
	jpg[13] = 2; /* dots per centimetre */
	jpg[14] = 0, jpg[15] = 118;
	jpg[16] = 0, jpg[17] = 118;
	assert_int_equal(open_bytes(&o, jpg, n, NULL, &err), 0);
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.channels, 1);
	assert_true(fabs(info.xdpi - 299.72) < 0.001);
	assert_true(mean_abs_diff(img.pixels, grey, (size_t)w * h) < 2);
	kho_image_release(&img);
	close_opened(&o);
	free(rgb);
	free(grey);
}

struct grey_rows {
	uint8_t *px;
	uint32_t w, rows;
};

static int take_grey_row(void *ctx, uint32_t y, const uint8_t *row,
			 kho_error *err)
{
	(void)err;
	struct grey_rows *g = ctx;
	assert_int_equal(y, g->rows);
	memcpy(g->px + (size_t)y * g->w, row, g->w);
	g->rows++;
	return 0;
}

/* A colour JPEG's stored grey: one channel, the size of the page (scaled
 * too), libjpeg's grey of the file to the bit, and each pixel the luma kho
 * computes from the decoded colour give or take the colour's rounding,
 * the same where the colour is neutral; a grey JPEG stores none of its
 * own (it is decoded as it is). */
static void test_jpeg_grey_stored(void **state)
{
	(void)state;
	const int w = 83, h = 61;
	uint8_t *rgb = malloc((size_t)w * h * 3);
	assert_non_null(rgb);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t *p = rgb + (y * w + x) * 3;
			if (x < w / 2) { /* grey paper with dark strokes */
				memset(p, x % 9 < 2 ? 30 : 225, 3);
			} else { /* a red seal, a blue pen, a tint */
				p[0] = (uint8_t)(y < h / 3 ? 200 : 60 + x);
				p[1] = (uint8_t)(40 + y);
				p[2] = (uint8_t)(y > 2 * h / 3 ? 190 : 50);
			}
		}
	size_t n;
	uint8_t *jpg = jpeg_encode(rgb, w, h, TJPF_RGB, TJSAMP_420, &n);
	struct opened o;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(open_bytes(&o, jpg, n, NULL, &err), 0);
	for (unsigned scale = 1; scale <= 2; scale++) {
		kho_page_info info;
		kho_image img;
		read_page(&o, 0, scale, &info, &img);
		assert_true(info.grey_stored);
		struct grey_rows g = {malloc(img.width * img.height), img.width,
				      0};
		assert_non_null(g.px);
		assert_int_equal(kho_image_file_decode_grey(o.file, 0, scale,
							    take_grey_row, &g,
							    &err),
				 0);
		assert_int_equal(g.rows, img.height);
		/* the bytes libjpeg gives for the stored grey, to the bit */
		{
			tjhandle tj = tjInitDecompress();
			assert_non_null(tj);
			const tjscalingfactor sf = {1, (int)scale};
			const int sw = TJSCALED(w, sf), sh = TJSCALED(h, sf);
			assert_int_equal((uint32_t)sw, img.width);
			uint8_t *y = malloc((size_t)sw * sh);
			assert_non_null(y);
			assert_int_equal(tjDecompress2(tj, jpg, (unsigned long)n, y,
						       sw, sw, sh, TJPF_GRAY, 0),
					 0);
			assert_memory_equal(y, g.px, (size_t)sw * sh);
			free(y);
			tjDestroy(tj);
		}
		double sum = 0;
		for (uint32_t y = 0; y < img.height; y++)
			for (uint32_t x = 0; x < img.width; x++) {
				const uint8_t *p = img.pixels +
						   (size_t)y * img.stride + x * 3;
				const int luma =
					(p[0] * 77 + p[1] * 150 + p[2] * 29 + 128) >> 8;
				const int d = abs(luma - g.px[y * img.width + x]);
				sum += d;
				if (x < img.width / 2 - 2 && d > 2)
					fail_msg("scale %u grey pixel %u,%u: %d, "
						 "from the colour %d",
						 scale, x, y,
						 g.px[y * img.width + x], luma);
				if (d > 12)
					fail_msg("scale %u pixel %u,%u: %d, from "
						 "the colour %d",
						 scale, x, y,
						 g.px[y * img.width + x], luma);
			}
		assert_true(sum / (img.width * img.height) < 1.5);
		free(g.px);
		kho_image_release(&img);
	}
	close_opened(&o);
	free(rgb);

	uint8_t grey[16 * 16];
	memset(grey, 128, sizeof(grey));
	jpg = jpeg_encode(grey, 16, 16, TJPF_GRAY, TJSAMP_GRAY, &n);
	assert_int_equal(open_bytes(&o, jpg, n, NULL, &err), 0);
	kho_page_info info;
	assert_int_equal(kho_image_file_page_info(o.file, 0, &info, &err), 0);
	assert_false(info.grey_stored);
	struct grey_rows g = {grey, 16, 0};
	assert_int_equal(kho_image_file_decode_grey(o.file, 0, 1, take_grey_row,
						    &g, &err),
			 KHO_USAGE);
	assert_non_null(strstr(err.msg, "no grey of its own"));
	close_opened(&o);
}

static void test_jpeg_exif(void **state)
{
	const int w = 16, h = 16;
	uint8_t px[16 * 16];
	memset(px, 128, sizeof(px));
	for (int be = 0; be < 2; be++) {
		size_t n;
		uint8_t *jpg =
			jpeg_encode(px, w, h, TJPF_GRAY, TJSAMP_GRAY, &n);
		uint8_t seg[200];
		const size_t sn = exif_segment(seg, be, 6 + be, 200, 2);
		jpg = realloc(jpg, n + sn + 40);
		jpeg_insert(jpg, &n, seg, sn);
		/* And an ICC profile marker. */
		static const uint8_t icc[] = {0xff, 0xe2, 0,   16,  'I', 'C',
					      'C',  '_',  'P', 'R', 'O', 'F',
					      'I',  'L',  'E', 0,   1,	 1};
		jpeg_insert(jpg, &n, icc, sizeof(icc));
		struct opened o;
		kho_error err = KHO_ERROR_INIT;
		assert_int_equal(open_bytes(&o, jpg, n, NULL, &err), 0);
		kho_page_info info;
		kho_image img;
		read_page(&o, 0, 1, &info, &img);
		/* JFIF says 1:1 without a unit, so EXIF gives the dpi. */
		assert_int_equal(info.orientation, 6 + be);
		assert_int_equal(info.dpi_source, KHO_DPI_EXIF);
		assert_true(info.xdpi == 200 && info.ydpi == 200);
		assert_int_equal(info.has_icc, 1);
		kho_image_release(&img);
		close_opened(&o);
	}
	/* EXIF in centimetres; a JFIF unit would win, this one has none. */
	size_t n;
	uint8_t *jpg = jpeg_encode(px, w, h, TJPF_GRAY, TJSAMP_GRAY, &n);
	uint8_t seg[200];
	const size_t sn = exif_segment(seg, 0, 1, 100, 3);
	jpg = realloc(jpg, n + sn);
	jpeg_insert(jpg, &n, seg, sn);
	struct opened o;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(open_bytes(&o, jpg, n, NULL, &err), 0);
	kho_page_info info;
	assert_int_equal(kho_image_file_page_info(o.file, 0, &info, &err), 0);
	assert_true(info.xdpi == 254 && info.ydpi == 254);
	close_opened(&o);
}

/* Random bytes in the EXIF segment: the marker reader stays inside it
 * and the page keeps a valid orientation. */
static void test_jpeg_exif_garbage(void **state)
{
	uint8_t px[16 * 16];
	memset(px, 200, sizeof(px));
	size_t n0;
	uint8_t *jpg0 = jpeg_encode(px, 16, 16, TJPF_GRAY, TJSAMP_GRAY, &n0);
	uint8_t seg[200];
	const size_t sn = exif_segment(seg, 1, 3, 300, 2);
	srand(42);
	for (int round = 0; round < 500; round++) {
		uint8_t *jpg = malloc(n0 + sn);
		memcpy(jpg, jpg0, n0);
		size_t n = n0;
		uint8_t bad[200];
		memcpy(bad, seg, sn);
		/* Spoil a few bytes after "Exif\0\0", never the length. */
		for (int k = 0; k < 1 + round % 8; k++)
			bad[10 + (size_t)rand() % (sn - 10)] = (uint8_t)rand();
		jpeg_insert(jpg, &n, bad, sn);
		struct opened o;
		kho_error err = KHO_ERROR_INIT;
		assert_int_equal(open_bytes(&o, jpg, n, NULL, &err), 0);
		kho_page_info info;
		assert_int_equal(
			kho_image_file_page_info(o.file, 0, &info, &err), 0);
		assert_true(info.orientation >= 1 && info.orientation <= 8);
		assert_true(info.xdpi >= 0 && info.ydpi >= 0);
		close_opened(&o);
	}
	free(jpg0);
}

static void test_jpeg_damage(void **state)
{
	const int w = 64, h = 64;
	uint8_t *rgb = malloc((size_t)w * h * 3);
	for (int i = 0; i < w * h * 3; i++)
		rgb[i] = (uint8_t)(i * 31);
	size_t n;
	uint8_t *jpg = jpeg_encode(rgb, w, h, TJPF_RGB, TJSAMP_420, &n);
	struct opened o;
	kho_error err = KHO_ERROR_INIT;
	/* Cut in the middle of the scan: libjpeg would pad with grey. */
	assert_int_equal(open_bytes(&o, jpg, n / 2, NULL, &err), 0);
	uint32_t rows = 0;
	assert_int_equal(
		kho_image_file_decode(o.file, 0, 1, count_rows, &rows, &err),
		KHO_FAIL);
	assert_non_null(strstr(err.msg, "premature end of JPEG"));
	assert_int_equal(rows, 0);
	close_opened(&o);

	/* A 12-bit frame header: refused by name. */
	jpg = jpeg_encode(rgb, w, h, TJPF_RGB, TJSAMP_420, &n);
	for (size_t i = 2; i + 4 < n; i++)
		if (jpg[i] == 0xff && jpg[i + 1] == 0xc0) {
			jpg[i + 4] = 12;
			break;
		}
	assert_int_equal(open_bytes(&o, jpg, n, NULL, &err), 0);
	kho_page_info info;
	assert_int_equal(kho_image_file_page_info(o.file, 0, &info, &err), 0);
	assert_int_equal(info.bits, 12);
	assert_int_equal(
		kho_image_file_decode(o.file, 0, 1, count_rows, &rows, &err),
		KHO_FAIL);
	assert_non_null(strstr(err.msg, "12-bit"));
	close_opened(&o);

	/* Pixel limit before decoding. */
	jpg = jpeg_encode(rgb, w, h, TJPF_RGB, TJSAMP_420, &n);
	kho_limits lim = KHO_LIMITS_DEFAULT;
	lim.max_pixels = 1000;
	assert_int_equal(open_bytes(&o, jpg, n, &lim, &err), 0);
	assert_int_equal(
		kho_image_file_decode(o.file, 0, 1, count_rows, &rows, &err),
		KHO_FAIL);
	assert_non_null(strstr(err.msg, "too large"));
	close_opened(&o);
	free(rgb);
}

static void test_jpeg_cmyk(void **state)
{
	/* Stored CMYK as Adobe writes it: 255 means no ink. */
	const int w = 32, h = 16;
	uint8_t *px = malloc((size_t)w * h * 4);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint8_t *p = px + (y * w + x) * 4;
			const int left = x < 16;
			p[0] = left ? 255 : 0; /* right: full cyan */
			p[1] = 255;
			p[2] = 255;
			p[3] = 255;
		}
	size_t n;
	uint8_t *jpg = jpeg_encode(px, w, h, TJPF_CMYK, TJSAMP_444, &n);
	struct opened o;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(open_bytes(&o, jpg, n, NULL, &err), 0);
	kho_page_info info;
	kho_image img;
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.channels, 3);
	assert_non_null(strstr(info.description, "YCCK"));
	const uint8_t *white = img.pixels + 4 * img.stride + 4 * 3;
	const uint8_t *cyan = img.pixels + 4 * img.stride + 28 * 3;
	assert_true(white[0] > 245 && white[1] > 245 && white[2] > 245);
	assert_true(cyan[0] < 10 && cyan[1] > 245 && cyan[2] > 245);
	kho_image_release(&img);
	close_opened(&o);
	free(px);
}

/* ---- PNG ---- */

struct png_spec {
	uint32_t w, h;
	int depth, color_type, interlace;
	const png_color *palette;
	int npalette;
	const png_byte *trans;
	int ntrans;
	uint32_t ppm; /* pHYs, pixels per metre; 0: none */
};

static void png_write_file(const char *path, const struct png_spec *s,
			   const uint8_t *rows, size_t rowbytes)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
						  NULL, NULL);
	png_infop info = png_create_info_struct(png);
	if (setjmp(png_jmpbuf(png)))
		fail_msg("libpng could not write %s", path);
	png_init_io(png, fp);
	png_set_IHDR(png, info, s->w, s->h, s->depth, s->color_type,
		     s->interlace, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	if (s->palette)
		png_set_PLTE(png, info, s->palette, s->npalette);
	if (s->trans)
		png_set_tRNS(png, info, s->trans, s->ntrans, NULL);
	if (s->ppm)
		png_set_pHYs(png, info, s->ppm, s->ppm, PNG_RESOLUTION_METER);
	png_write_info(png, info);
	if (s->depth == 16)
		png_set_swap(png); /* rows hold native 16-bit values */
	png_bytep *rp = malloc(sizeof(png_bytep) * s->h);
	for (uint32_t y = 0; y < s->h; y++)
		rp[y] = (png_bytep)(rows + y * rowbytes);
	png_write_image(png, rp);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(rp);
	fclose(fp);
}

static void test_png_round_trips(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 23, h = 17;
	struct opened o;
	kho_page_info info;
	kho_image img;

	/* Colour palette, 4-bit, half transparent entries: over white. */
	png_color pal[16];
	png_byte trans[16];
	for (int i = 0; i < 16; i++) {
		pal[i].red = (png_byte)(i * 16);
		pal[i].green = (png_byte)(255 - i * 16);
		pal[i].blue = (png_byte)(i * 5);
		trans[i] = (png_byte)(i % 2 ? 255 : 128);
	}
	uint8_t *idx = malloc((size_t)w * h);
	for (uint32_t i = 0; i < w * h; i++)
		idx[i] = (uint8_t)(i * 3 % 16);
	uint8_t *packed = pack_bits(idx, w, h, 4);
	const struct png_spec ps = {
		.w = w,
		.h = h,
		.depth = 4,
		.color_type = PNG_COLOR_TYPE_PALETTE,
		.palette = pal,
		.npalette = 16,
		.trans = trans,
		.ntrans = 16,
		.ppm = 11811,
	};
	png_write_file(path_in(dir, "pal.png"), &ps, packed, (w * 4 + 7) / 8);
	open_path(&o, path_in(dir, "pal.png"));
	assert_int_equal(kho_image_file_format(o.file), KHO_FORMAT_PNG);
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.channels, 3);
	assert_int_equal(info.bits, 4);
	assert_int_equal(info.dpi_source, KHO_DPI_PNG);
	assert_true(info.xdpi == 300.0); /* 11811 * 0.0254 = 299.9994 */
	assert_string_equal(info.description, "PNG, 4-bit palette + tRNS");
	for (uint32_t i = 0; i < w * h; i++) {
		const unsigned a = trans[idx[i]];
		const png_byte c[3] = {pal[idx[i]].red, pal[idx[i]].green,
				       pal[idx[i]].blue};
		for (int k = 0; k < 3; k++)
			assert_int_equal(img.pixels[3 * i + k],
					 (c[k] * a + 255 * (255 - a) + 127) /
						 255);
	}
	kho_image_release(&img);
	close_opened(&o);

	/* 16-bit RGB, interlaced: the high byte of each sample. */
	uint16_t *rgb16 = malloc(sizeof(uint16_t) * w * h * 3);
	for (uint32_t i = 0; i < w * h * 3; i++)
		rgb16[i] = (uint16_t)(i * 2741);
	const struct png_spec p16 = {
		.w = w,
		.h = h,
		.depth = 16,
		.color_type = PNG_COLOR_TYPE_RGB,
		.interlace = PNG_INTERLACE_ADAM7,
	};
	png_write_file(path_in(dir, "rgb16.png"), &p16, (uint8_t *)rgb16,
		       (size_t)w * 6);
	open_path(&o, path_in(dir, "rgb16.png"));
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.bits, 16);
	assert_int_equal(info.dpi_source, KHO_DPI_NONE);
	assert_string_equal(info.description, "PNG, 16-bit RGB, interlaced");
	for (uint32_t i = 0; i < w * h * 3; i++)
		assert_int_equal(img.pixels[i], rgb16[i] >> 8);
	kho_image_release(&img);
	close_opened(&o);

	/* Grey + alpha over white; scaled by 4. */
	uint8_t *ga = malloc((size_t)w * h * 2);
	for (uint32_t i = 0; i < w * h; i++) {
		ga[2 * i] = (uint8_t)(i * 11);
		ga[2 * i + 1] = (uint8_t)(i * 7);
	}
	const struct png_spec pga = {
		.w = w,
		.h = h,
		.depth = 8,
		.color_type = PNG_COLOR_TYPE_GRAY_ALPHA,
	};
	png_write_file(path_in(dir, "ga.png"), &pga, ga, (size_t)w * 2);
	open_path(&o, path_in(dir, "ga.png"));
	read_page(&o, 0, 1, &info, &img);
	assert_int_equal(info.channels, 1);
	for (uint32_t i = 0; i < w * h; i++) {
		const unsigned v = ga[2 * i], a = ga[2 * i + 1];
		assert_int_equal(img.pixels[i],
				 (v * a + 255 * (255 - a) + 127) / 255);
	}
	kho_image_release(&img);
	read_page(&o, 0, 4, &info, &img);
	assert_int_equal(img.width, 6);
	assert_int_equal(img.height, 5);
	kho_image_release(&img);
	close_opened(&o);

	/* 1-bit grey: 0 and 255. */
	uint8_t *bits = malloc((size_t)w * h);
	for (uint32_t i = 0; i < w * h; i++)
		bits[i] = (uint8_t)(i % 3 == 0);
	uint8_t *packed1 = pack_bits(bits, w, h, 1);
	const struct png_spec p1 = {
		.w = w, .h = h, .depth = 1, .color_type = PNG_COLOR_TYPE_GRAY};
	png_write_file(path_in(dir, "bw.png"), &p1, packed1, (w + 7) / 8);
	open_path(&o, path_in(dir, "bw.png"));
	read_page(&o, 0, 1, &info, &img);
	for (uint32_t i = 0; i < w * h; i++)
		assert_int_equal(img.pixels[i], bits[i] ? 255 : 0);
	kho_image_release(&img);
	close_opened(&o);

	free(bits);
	free(packed1);
	free(ga);
	free(rgb16);
	free(packed);
	free(idx);
	kt_rmtree(dir);
}

static void test_png_damage(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 200, h = 150;
	uint8_t *rgb = malloc((size_t)w * h * 3);
	for (uint32_t i = 0; i < w * h * 3; i++)
		rgb[i] = (uint8_t)(rand() & 0xff);
	const struct png_spec ps = {
		.w = w, .h = h, .depth = 8, .color_type = PNG_COLOR_TYPE_RGB};
	const char *path = path_in(dir, "rgb.png");
	png_write_file(path, &ps, rgb, (size_t)w * 3);
	size_t size;
	uint8_t *data = kt_read_file(path, &size);
	assert_non_null(data);
	kho_error err = KHO_ERROR_INIT;
	kho_image_file *f = NULL;
	uint32_t rows;

	/* Cut inside the image data. */
	assert_int_equal(kho_image_file_open(&f, data, size / 2, NULL, &err),
			 0);
	rows = 0;
	assert_int_equal(
		kho_image_file_decode(f, 0, 1, count_rows, &rows, &err),
		KHO_FAIL);
	assert_string_equal(err.msg, "file is cut short");
	kho_image_file_free(f);

	/* Cut after it: the IEND chunk (12 bytes) is missing. */
	assert_int_equal(kho_image_file_open(&f, data, size - 12, NULL, &err),
			 0);
	rows = 0;
	assert_int_equal(
		kho_image_file_decode(f, 0, 1, count_rows, &rows, &err),
		KHO_FAIL);
	assert_string_equal(err.msg, "file is cut short after the image data");
	assert_int_equal(rows, h); /* every row came, yet the page fails */
	kho_image_file_free(f);

	/* A flipped byte in the image data fails the page, whichever of
	 * zlib, the filters or the CRC notices first. */
	data[size / 2] ^= 0x55;
	assert_int_equal(kho_image_file_open(&f, data, size, NULL, &err), 0);
	rows = 0;
	assert_int_equal(
		kho_image_file_decode(f, 0, 1, count_rows, &rows, &err),
		KHO_FAIL);
	assert_true(err.msg[0] != '\0');
	kho_image_file_free(f);
	data[size / 2] ^= 0x55;

	/* A bad CRC on the header chunk (bytes 29 to 32). */
	data[30] ^= 1;
	assert_int_equal(kho_image_file_open(&f, data, size, NULL, &err),
			 KHO_FAIL);
	assert_non_null(strstr(err.msg, "CRC"));
	data[30] ^= 1;

	/* The pixel limit before decoding. */
	kho_limits lim = KHO_LIMITS_DEFAULT;
	lim.max_pixels = 1000;
	assert_int_equal(kho_image_file_open(&f, data, size, &lim, &err), 0);
	rows = 0;
	assert_int_equal(
		kho_image_file_decode(f, 0, 1, count_rows, &rows, &err),
		KHO_FAIL);
	assert_non_null(strstr(err.msg, "too large"));
	assert_int_equal(rows, 0);
	kho_image_file_free(f);
	free(data);
	free(rgb);
	kt_rmtree(dir);
}

static int stop_at_three(void *ctx, uint32_t y, const uint8_t *row,
			 kho_error *err)
{
	if (y == 3)
		return kho_error_set(err, KHO_FATAL, "disk full");
	return 0;
}

static void test_callback_stops(void **state)
{
	const char *dir = kt_tempdir("codec");
	const uint32_t w = 8, h = 8;
	uint8_t px[64] = {0};
	const struct tiff_spec s = {
		.w = w,
		.h = h,
		.bps = 8,
		.spp = 1,
		.photometric = PHOTOMETRIC_MINISBLACK,
		.compression = COMPRESSION_NONE,
	};
	tiff_write(path_in(dir, "a.tif"), &s, px);
	const struct png_spec ps = {
		.w = w, .h = h, .depth = 8, .color_type = PNG_COLOR_TYPE_GRAY};
	png_write_file(path_in(dir, "a.png"), &ps, px, w);
	const char *names[] = {"a.tif", "a.png"};
	for (int i = 0; i < 2; i++) {
		struct opened o;
		open_path(&o, path_in(dir, names[i]));
		kho_error err = KHO_ERROR_INIT;
		assert_int_equal(kho_image_file_decode(o.file, 0, 1,
						       stop_at_three, NULL,
						       &err),
				 KHO_FATAL);
		assert_string_equal(err.msg, "disk full");
		close_opened(&o);
	}
	size_t n;
	uint8_t *jpg = jpeg_encode(px, w, h, TJPF_GRAY, TJSAMP_GRAY, &n);
	struct opened o;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(open_bytes(&o, jpg, n, NULL, &err), 0);
	assert_int_equal(
		kho_image_file_decode(o.file, 0, 1, stop_at_three, NULL, &err),
		KHO_FATAL);
	close_opened(&o);
	kt_rmtree(dir);
}

/* ---- the real files ---- */

/* Reads a binary PNM (P4, P5, P6; maxval 255 or 65535) into 8-bit grey
 * or RGB, the high byte of 16-bit samples, 1-bit black as 0. */
static uint8_t *read_pnm(const char *path, uint32_t *w, uint32_t *h, int *ch)
{
	size_t size;
	uint8_t *d = kt_read_file(path, &size);
	assert_non_null(d);
	size_t pos = 2;
	unsigned long v[3] = {0, 0, 1};
	const int type = d[1] - '0';
	const int nv = type == 4 ? 2 : 3;
	for (int i = 0; i < nv; i++) {
		while (pos < size &&
		       (d[pos] == ' ' || d[pos] == '\n' || d[pos] == '\r' ||
			d[pos] == '\t' || d[pos] == '#')) {
			if (d[pos] == '#')
				while (pos < size && d[pos] != '\n')
					pos++;
			else
				pos++;
		}
		char *end;
		v[i] = strtoul((const char *)d + pos, &end, 10);
		pos = (size_t)((uint8_t *)end - d);
	}
	pos++; /* one whitespace byte */
	*w = (uint32_t)v[0];
	*h = (uint32_t)v[1];
	*ch = type == 6 ? 3 : 1;
	const size_t n = (size_t)*w * *h * *ch;
	uint8_t *out = malloc(n);
	const int wide = v[2] > 255;
	for (size_t i = 0; i < n; i++) {
		if (type == 4) {
			const size_t line = (*w + 7) / 8;
			const size_t y = i / *w, x = i % *w;
			const int bit =
				d[pos + y * line + x / 8] >> (7 - x % 8) & 1;
			out[i] = bit ? 0 : 255;
		} else {
			out[i] = d[pos + (wide ? 2 * i : i)];
		}
	}
	free(d);
	return out;
}

static void compare_with_pnm(const char *image, const char *pnm,
			     double tolerance)
{
	char a[4096], b[4096];
	snprintf(a, sizeof(a), "%s/%s", KHO_REALDATA, image);
	snprintf(b, sizeof(b), "%s/%s", KHO_REALDATA, pnm);
	struct opened o;
	open_path(&o, a);
	kho_page_info info;
	kho_image img;
	read_page(&o, 0, 1, &info, &img);
	uint32_t w, h;
	int ch;
	uint8_t *ref = read_pnm(b, &w, &h, &ch);
	assert_int_equal(img.width, w);
	assert_int_equal(img.height, h);
	assert_int_equal(img.channels, ch);
	const double d = mean_abs_diff(img.pixels, ref, (size_t)w * h * ch);
	if (d > tolerance)
		fail_msg("%s differs from %s: mean %.3f", image, pnm, d);
	free(ref);
	kho_image_release(&img);
	close_opened(&o);
}

static void test_realdata_references(void **state)
{
	if (!kt_have_realdata())
		skip();
	compare_with_pnm("libjpeg-turbo/testorig.jpg",
			 "libjpeg-turbo/testorig.ppm", 2.0);
	compare_with_pnm("libtiff/test_images/minisblack-1c-8b.tiff",
			 "libtiff/test_images/minisblack-1c-8b.pgm", 0);
	compare_with_pnm("libtiff/test_images/miniswhite-1c-1b.tiff",
			 "libtiff/test_images/miniswhite-1c-1b.pbm", 0);
	compare_with_pnm("libtiff/test_images/rgb-3c-8b.tiff",
			 "libtiff/test_images/rgb-3c-8b.ppm", 0);
	compare_with_pnm("libtiff/test_images/rgb-3c-16b.tiff",
			 "libtiff/test_images/rgb-3c-16b.ppm", 0);
}

struct outcome {
	int opened;
	uint32_t pages;
	int decoded; /* every page, every row */
	kho_page_info first;
	char msg[KHO_ERROR_MSG_MAX];
	double seconds;
};

static void decode_file(const char *path, struct outcome *out)
{
	memset(out, 0, sizeof(*out));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t size = 0;
	uint8_t *data = kt_read_file(path, &size);
	assert_non_null(data);
	kho_error err = KHO_ERROR_INIT;
	kho_image_file *f = NULL;
	if (kho_image_file_open(&f, data, size, NULL, &err) == 0) {
		out->opened = 1;
		out->pages = kho_image_file_pages(f);
		out->decoded = 1;
		for (uint32_t p = 0; p < out->pages && out->decoded; p++) {
			kho_page_info info;
			uint32_t rows = 0;
			if (kho_image_file_page_info(f, p, &info, &err) != 0 ||
			    kho_image_file_decode(f, p, 1, count_rows, &rows,
						  &err) != 0) {
				out->decoded = 0;
				break;
			}
			assert_int_equal(rows, info.height);
			if (p == 0)
				out->first = info;
		}
	}
	if (!out->decoded)
		snprintf(out->msg, sizeof(out->msg), "%s", err.msg);
	kho_image_file_free(f);
	free(data);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->seconds = (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static int must_refuse(const char *name)
{
	static const char *const names[] = {
		"truncated_jpeg.jpg",
		"truncated_image.png",
		"truncated_end_chunk.png",
		"broken.png",
		"broken_data_stream.png",
		"libtiff_segfault.tif",
		"monkey12.jpg",
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	const size_t n = strlen(name);
	const int tif = (n > 4 && strcmp(name + n - 4, ".tif") == 0) ||
			(n > 5 && strcmp(name + n - 5, ".tiff") == 0);
	return tif &&
	       (strncmp(name, "crash-", 6) == 0 ||
		strncmp(name, "oom-", 4) == 0 || strstr(name, "loop") != NULL);
}

static int must_decode(const char *name)
{
	static const char *const names[] = {
		"testorig.jpg",		"testimgint.jpg",  "testimgari.jpg",
		"total-pages-zero.tif", "pport_g4.tif",	   "multipage.tiff",
		"8071_093.3B.tif",	"8087_054.3B.tif", "eurotext.tif",
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	const size_t n = strlen(name);
	return strncmp(name, "g4_orientation_", 15) == 0 ||
	       (strncmp(name, "phototest", 9) == 0 &&
		strcmp(name + n - 4, ".txt") != 0) ||
	       (strncmp(name, "imgsrc", 6) == 0);
}

static void check_one(const char *dir, const char *name, int *count)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct outcome r;
	decode_file(path, &r);
	(*count)++;
	if (getenv("KHO_TEST_VERBOSE")) {
		if (r.decoded)
			printf("decoded  %-44s %u page(s), %u x %u, %s\n", name,
			       r.pages, r.first.width, r.first.height,
			       r.first.description);
		else
			printf("refused  %-44s %s\n", name, r.msg);
	}
	if (r.seconds > 5.0)
		fail_msg("%s took %.1f s", name, r.seconds);
	if (!r.decoded && !r.msg[0])
		fail_msg("%s refused without a reason", name);
	if (must_refuse(name) && r.decoded)
		fail_msg("%s decoded but must be refused", name);
	if (must_decode(name) && !r.decoded)
		fail_msg("%s refused: %s", name, r.msg);

	if (strncmp(name, "g4_orientation_", 15) == 0)
		assert_int_equal(r.first.orientation, name[15] - '0');
	if (strcmp(name, "total-pages-zero.tif") == 0 ||
	    strcmp(name, "multipage.tiff") == 0)
		assert_int_equal(r.pages, 3);
	if (strcmp(name, "pport_g4.tif") == 0)
		assert_int_equal(r.first.bits, 1);
	if (strcmp(name, "monkey12.jpg") == 0)
		assert_non_null(strstr(r.msg, "12-bit"));
	if (strcmp(name, "truncated_end_chunk.png") == 0)
		assert_string_equal(r.msg,
				    "file is cut short after the image data");
	if (strstr(name, "loop") && strstr(name, ".tif"))
		assert_non_null(strstr(r.msg, "loops back to page"));
	if (strcmp(name, "vgl_5674_0098.png") == 0)
		assert_int_equal(r.first.has_icc, 1);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void sweep_dir(const char *dir, int *count)
{
	struct dirent **names;
	const int n = scandir(dir, &names, NULL, by_name);
	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		struct stat st;
		if (names[i]->d_name[0] != '.' && stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				sweep_dir(path, count);
			else
				check_one(dir, names[i]->d_name, count);
		}
		free(names[i]);
	}
	free(names);
}

static void test_realdata_sweep(void **state)
{
	if (!kt_have_realdata())
		skip();
	static const char *const dirs[] = {
		"libtiff/test_images", "pillow-malformed", "libjpeg-turbo",
		"tesseract-test",      "unpaper",
	};
	int count = 0;
	for (size_t i = 0; i < KHO_ARRAY_SIZE(dirs); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", KHO_REALDATA, dirs[i]);
		sweep_dir(path, &count);
	}
	assert_true(count > 50);
}

/* ---- the reducing scaler, through a TIFF ---- */

/* The mean of box (ox, oy) of k x k pixels of channel c of a w x h
 * image of ch channels, rounded half up; fewer pixels at the edges. */
static unsigned box_mean(const uint8_t *img, uint32_t w, uint32_t h, int ch,
			 unsigned k, uint32_t ox, uint32_t oy, int c)
{
	uint32_t sum = 0, n = 0;
	for (uint32_t y = oy * k; y < KHO_MIN(h, oy * k + k); y++)
		for (uint32_t x = ox * k; x < KHO_MIN(w, ox * k + k); x++, n++)
			sum += img[((size_t)y * w + x) * ch + c];
	return (sum + n / 2) / n;
}

/* The page of o read at 1/k: every box its mean. */
static void expect_box_means(struct opened *o, const uint8_t *img, uint32_t w,
			     uint32_t h, int ch, unsigned k)
{
	kho_page_info info;
	kho_image out;
	read_page(o, 0, k, &info, &out);
	assert_int_equal(out.width, (w + k - 1) / k);
	assert_int_equal(out.height, (h + k - 1) / k);
	assert_int_equal(out.channels, ch);
	for (uint32_t oy = 0; oy < out.height; oy++)
		for (uint32_t ox = 0; ox < out.width; ox++)
			for (int c = 0; c < ch; c++) {
				const unsigned want =
					box_mean(img, w, h, ch, k, ox, oy, c);
				const unsigned got =
					out.pixels[(size_t)oy * out.stride +
						   (size_t)ox * ch + c];
				if (got != want)
					fail_msg(
						"%ux%u, %d channels, scale %u, "
						"box (%u, %u) channel %d: %u, "
						"the mean %u",
						w, h, ch, k, ox, oy, c, got,
						want);
			}
	kho_image_release(&out);
}

/* Every box's mean, rounded half up, against the sums by definition:
 * sizes that leave partial boxes, one and three channels, scales 2, 4
 * and 8, values crowding 0 and 255. */
static void test_scaler_box_means(void **state)
{
	(void)state;
	const char *dir = kt_tempdir("codec");
	static const unsigned scales[] = {2, 4, 8};
	uint64_t seed = 3;
	for (uint32_t w = 1; w <= 41; w += 8)
		for (uint32_t h = 1; h <= 19; h += 6)
			for (int ch = 1; ch <= 3; ch += 2) {
				uint8_t *img = malloc((size_t)w * h * ch);
				for (size_t i = 0; i < (size_t)w * h * ch; i++) {
					seed = seed * 6364136223846793005ULL +
					       1442695040888963407ULL;
					const uint32_t r = (uint32_t)(seed >> 33);
					img[i] = (uint8_t)(r % 3 == 0   ? 255
							   : r % 3 == 1 ? 0
									: r >> 8);
				}
				const struct tiff_spec spec = {
					.w = w,
					.h = h,
					.bps = 8,
					.spp = (uint16_t)ch,
					.photometric = ch == 3 ? PHOTOMETRIC_RGB
							       : PHOTOMETRIC_MINISBLACK,
					.compression = COMPRESSION_NONE,
				};
				const char *path = path_in(dir, "means.tif");
				tiff_write(path, &spec, img);
				struct opened o;
				open_path(&o, path);
				for (size_t si = 0; si < KHO_ARRAY_SIZE(scales);
				     si++)
					expect_box_means(&o, img, w, h, ch,
							 scales[si]);
				close_opened(&o);
				free(img);
			}
	kt_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_open_refusals),
		cmocka_unit_test(test_tiff_g4_bitonal),
		cmocka_unit_test(test_fax_pixels_made_square),
		cmocka_unit_test(test_tiff_grey_lzw_strips),
		cmocka_unit_test(test_tiff_rgb_tiles),
		cmocka_unit_test(test_tiff_16bit),
		cmocka_unit_test(test_tiff_palette),
		cmocka_unit_test(test_tiff_cmyk_and_alpha),
		cmocka_unit_test(test_tiff_jpeg_ycbcr),
		cmocka_unit_test(test_tiff_multipage_and_limits),
		cmocka_unit_test(test_tiff_mapped_pages),
		cmocka_unit_test(test_bigtiff),
		cmocka_unit_test(test_tiff_damage),
		cmocka_unit_test(test_tiff_short_strips),
		cmocka_unit_test(test_scaled_tiff),
		cmocka_unit_test(test_box_average),
		cmocka_unit_test(test_jpeg_round_trip),
		cmocka_unit_test(test_jpeg_grey_stored),
		cmocka_unit_test(test_jpeg_exif),
		cmocka_unit_test(test_jpeg_exif_garbage),
		cmocka_unit_test(test_jpeg_damage),
		cmocka_unit_test(test_jpeg_cmyk),
		cmocka_unit_test(test_png_round_trips),
		cmocka_unit_test(test_png_damage),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_realdata_references),
		cmocka_unit_test(test_realdata_sweep),
		cmocka_unit_test(test_scaler_box_means),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
