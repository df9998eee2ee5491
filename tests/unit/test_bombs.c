/*
 * Decompression bombs: small files that announce, or expand to, far more
 * than they hold.  Each is made here (IFDs and chunks written byte by
 * byte, or libtiff, libpng and TurboJPEG output with its header patched)
 * and decoded as ingest does (open, then info and a full decode of every
 * page) in a forked child whose address space is capped at a few hundred
 * MB.  Every bomb must be refused with a message that says which limit,
 * and the child must neither die nor come near the cap: limits hold
 * before the allocation, not because it failed.
 *
 * Under AddressSanitizer, which reserves terabytes of address space, the
 * cap cannot be set; the child's peak resident memory is checked instead.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <tiffio.h>
#include <turbojpeg.h>
#include <unistd.h>
#include <zlib.h>

#include "common/internal.h"
#include "codec/codec.h"
#include "testutil.h"

/* The child's address space, and what its peak resident memory may
 * reach.  The limits below allow one allocation of 64 MB. */
#define CAP_AS (320ull << 20)
#define CAP_RSS_KB (UNDER_ASAN ? 400L * 1024 : 200L * 1024)

static const kho_limits bomb_limits = {
	.max_pixels = 150000000u, /* kho's default */
	.max_pages = 2000,
	.max_file_bytes = 1ull << 30,
	.max_alloc_bytes = 64ull << 20,
};

/* ---- a growing byte buffer ---- */

struct buf {
	uint8_t *d;
	size_t n;
	size_t cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->d = realloc(b->d, b->cap);
		assert_non_null(b->d);
	}
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void put16(struct buf *b, uint16_t v)
{
	const uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	put(b, x, 2);
}

static void put32(struct buf *b, uint32_t v)
{
	const uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			      (uint8_t)(v >> 24)};
	put(b, x, 4);
}

static void set32(struct buf *b, size_t at, uint32_t v)
{
	b->d[at] = (uint8_t)v;
	b->d[at + 1] = (uint8_t)(v >> 8);
	b->d[at + 2] = (uint8_t)(v >> 16);
	b->d[at + 3] = (uint8_t)(v >> 24);
}

/* ---- decoding in a capped child ---- */

struct outcome {
	int opened;
	int decoded; /* pages decoded completely */
	char msg[KHO_ERROR_MSG_MAX];
	long maxrss_kb;
};

static int count_row(void *ctx, uint32_t y, const uint8_t *row, kho_error *err)
{
	return 0;
}

/* 1 as ingest decodes; normalize decodes at a smaller scale. */
static unsigned decode_scale = 1;

/* What ingest does with a file, in this process. */
static void decode_all(const uint8_t *data, size_t size, struct outcome *o)
{
	kho_image_file *file = NULL;
	kho_error err = KHO_ERROR_INIT;
	if (kho_image_file_open(&file, data, size, &bomb_limits, &err) != 0) {
		snprintf(o->msg, sizeof(o->msg), "%s", err.msg);
		return;
	}
	o->opened = 1;
	for (uint32_t p = 0; p < kho_image_file_pages(file); p++) {
		kho_page_info info;
		if (kho_image_file_page_info(file, p, &info, &err) != 0 ||
		    kho_image_file_decode(file, p, decode_scale, count_row,
					  NULL, &err) != 0) {
			snprintf(o->msg, sizeof(o->msg), "%s", err.msg);
			break;
		}
		o->decoded++;
	}
	kho_image_file_free(file);
}

static void decode_capped(const struct buf *b, struct outcome *o)
{
	memset(o, 0, sizeof(*o));
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	const pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (!UNDER_ASAN) {
			const struct rlimit as = {CAP_AS, CAP_AS};
			if (setrlimit(RLIMIT_AS, &as) != 0)
				_exit(90);
		}
		/* A hang is a failure too; the tests do not time it. */
		alarm(120);
		struct outcome r;
		memset(&r, 0, sizeof(r));
		decode_all(b->d, b->n, &r);
		const ssize_t n = write(fds[1], &r, sizeof(r));
		_exit(n == (ssize_t)sizeof(r) ? 0 : 91);
	}
	close(fds[1]);
	size_t got = 0;
	while (got < sizeof(*o)) {
		const ssize_t n =
			read(fds[0], (char *)o + got, sizeof(*o) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	int status;
	struct rusage ru;
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the decoding child %s %d",
			 WIFSIGNALED(status) ? "died of signal" : "exited",
			 WIFSIGNALED(status) ? WTERMSIG(status)
					     : WEXITSTATUS(status));
	assert_int_equal(got, sizeof(*o));
	o->maxrss_kb = ru.ru_maxrss;
	if (o->maxrss_kb > CAP_RSS_KB)
		fail_msg("the decoding child peaked at %ld MB",
			 o->maxrss_kb >> 10);
}

/* The bomb must be refused, with a message holding want. */
static void expect_refused(const struct buf *b, const char *want)
{
	struct outcome o;
	decode_capped(b, &o);
	if (!strstr(o.msg, want))
		fail_msg("expected a refusal with '%s', got '%s' (%d pages "
			 "decoded)",
			 want, o.msg[0] ? o.msg : "nothing", o.decoded);
	print_message("refused: %s (peak %ld MB)\n", o.msg, o.maxrss_kb >> 10);
}

/* ---- TIFF written by hand ---- */

enum { T_SHORT = 3, T_LONG = 4 };

struct entry {
	uint16_t tag;
	uint16_t type;
	uint32_t count;
	uint32_t value;
};

static void tiff_header(struct buf *b)
{
	memset(b, 0, sizeof(*b));
	put(b, "II", 2);
	put16(b, 42);
	put32(b, 0); /* first IFD, set by tiff_ifd */
}

/* Appends an IFD (entries in tag order) and links it from link_at, the
 * position of the previous link; returns the position of its own. */
static size_t tiff_ifd(struct buf *b, size_t link_at, const struct entry *e,
		       size_t n)
{
	if (b->n % 2)
		put(b, "", 1);
	set32(b, link_at, (uint32_t)b->n);
	put16(b, (uint16_t)n);
	for (size_t i = 0; i < n; i++) {
		put16(b, e[i].tag);
		put16(b, e[i].type);
		put32(b, e[i].count);
		put32(b, e[i].value);
	}
	const size_t link = b->n;
	put32(b, 0);
	return link;
}

/* A strip page of width x height, 8-bit grey unless bps says otherwise,
 * whose one strip is the 16 bytes at data_at. */
static size_t tiff_strip_page(struct buf *b, size_t link_at, uint32_t width,
			      uint32_t height, uint16_t bps,
			      uint16_t compression, uint32_t rps,
			      uint32_t data_at, uint32_t data_size)
{
	const struct entry e[] = {
		{256, T_LONG, 1, width},
		{257, T_LONG, 1, height},
		{258, T_SHORT, 1, bps},
		{259, T_SHORT, 1, compression},
		{262, T_SHORT, 1, bps == 1 ? 0 : 1},
		{273, T_LONG, 1, data_at},
		{277, T_SHORT, 1, 1},
		{278, T_LONG, 1, rps},
		{279, T_LONG, 1, data_size},
	};
	return tiff_ifd(b, link_at, e, KHO_ARRAY_SIZE(e));
}

static uint32_t tiff_data(struct buf *b)
{
	const uint32_t at = (uint32_t)b->n;
	static const uint8_t zeros[16];
	put(b, zeros, sizeof(zeros));
	return at;
}

/* 100000 x 100000 pixels in 16 bytes. */
static void test_tiff_pixels(void **state)
{
	struct buf b;
	tiff_header(&b);
	const uint32_t data = tiff_data(&b);
	tiff_strip_page(&b, 4, 100000, 100000, 8, COMPRESSION_NONE, 1, data,
			16);
	expect_refused(&b, "image is too large: 100000 x 100000 pixels");
	free(b.d);
}

/* Within the pixel limit, but one Deflate strip of 140 MB (libtiff cuts
 * an uncompressed one into rows by itself). */
static void test_tiff_strip(void **state)
{
	struct buf b;
	tiff_header(&b);
	const uint32_t data = tiff_data(&b);
	tiff_strip_page(&b, 4, 20000, 7000, 8, COMPRESSION_ADOBE_DEFLATE, 7000,
			data, 16);
	expect_refused(&b, "a TIFF strip needs 140000000 bytes (limit");
	free(b.d);
}

/* 64 x 48 pixels of 60000 samples each: few pixels, 184 million
 * samples (found by fuzz_tiff as a hang). */
static void test_tiff_samples(void **state)
{
	struct buf b;
	tiff_header(&b);
	const uint32_t data = tiff_data(&b);
	const struct entry e[] = {
		{256, T_LONG, 1, 64},
		{257, T_LONG, 1, 48},
		{258, T_SHORT, 1, 8},
		{259, T_SHORT, 1, COMPRESSION_ADOBE_DEFLATE},
		{262, T_SHORT, 1, 1},
		{273, T_LONG, 1, data},
		{277, T_SHORT, 1, 60000},
		{278, T_LONG, 1, 48},
		{279, T_LONG, 1, 16},
	};
	tiff_ifd(&b, 4, e, KHO_ARRAY_SIZE(e));
	expect_refused(&b, "unsupported TIFF: 60000 samples per pixel");
	free(b.d);
}

/* A small page cut into tiles of 65536 x 65536 pixels (4 GB each). */
static void test_tiff_tile(void **state)
{
	struct buf b;
	tiff_header(&b);
	const uint32_t data = tiff_data(&b);
	const struct entry e[] = {
		{256, T_LONG, 1, 1000},	 {257, T_LONG, 1, 1000},
		{258, T_SHORT, 1, 8},	 {259, T_SHORT, 1, COMPRESSION_NONE},
		{262, T_SHORT, 1, 1},	 {277, T_SHORT, 1, 1},
		{322, T_LONG, 1, 65536}, {323, T_LONG, 1, 65536},
		{324, T_LONG, 1, data},	 {325, T_LONG, 1, 16},
	};
	tiff_ifd(&b, 4, e, KHO_ARRAY_SIZE(e));
	struct outcome o;
	decode_capped(&b, &o);
	/* libtiff may refuse the directory itself; kho refuses the buffer
	 * otherwise.  Either way nothing is decoded. */
	assert_int_equal(o.decoded, 0);
	assert_true(strstr(o.msg, "tiles needs") || strstr(o.msg, "tile"));
	print_message("refused: %s\n", o.msg);
	free(b.d);
}

/* A strip array of 50 million entries that lie beyond the file's end. */
static void test_tiff_strip_array(void **state)
{
	struct buf b;
	tiff_header(&b);
	const struct entry e[] = {
		{256, T_LONG, 1, 8},
		{257, T_LONG, 1, 50000000},
		{258, T_SHORT, 1, 8},
		{259, T_SHORT, 1, COMPRESSION_NONE},
		{262, T_SHORT, 1, 1},
		{273, T_LONG, 50000000, 0x10000},
		{277, T_SHORT, 1, 1},
		{278, T_LONG, 1, 1},
		{279, T_LONG, 50000000, 0x20000},
	};
	tiff_ifd(&b, 4, e, KHO_ARRAY_SIZE(e));
	struct outcome o;
	decode_capped(&b, &o);
	assert_int_equal(o.decoded, 0);
	assert_true(o.msg[0] != '\0');
	print_message("refused: %s (peak %ld MB)\n", o.msg, o.maxrss_kb >> 10);
	free(b.d);
}

/* 3000 pages of one pixel: more than max_pages, refused when opened. */
static void test_tiff_pages(void **state)
{
	struct buf b;
	tiff_header(&b);
	const uint32_t data = tiff_data(&b);
	size_t link = 4;
	for (int i = 0; i < 3000; i++)
		link = tiff_strip_page(&b, link, 1, 1, 8, COMPRESSION_NONE, 1,
				       data, 1);
	struct outcome o;
	decode_capped(&b, &o);
	assert_int_equal(o.opened, 0);
	assert_non_null(strstr(o.msg, "more than 2000 pages"));
	print_message("refused: %s\n", o.msg);
	free(b.d);
}

/* Directories that loop: 1 -> 2 -> 3 -> 2, and one that links to
 * itself. */
static void test_tiff_loops(void **state)
{
	struct buf b;
	tiff_header(&b);
	const uint32_t data = tiff_data(&b);
	size_t link = tiff_strip_page(&b, 4, 1, 1, 8, 1, 1, data, 1);
	link = tiff_strip_page(&b, link, 1, 1, 8, 1, 1, data, 1);
	/* An IFD is its count, 9 entries of 12 bytes, then its link. */
	const size_t second_at = link - 2 - 9 * 12;
	link = tiff_strip_page(&b, link, 1, 1, 8, 1, 1, data, 1);
	set32(&b, link, (uint32_t)second_at);
	struct outcome o;
	decode_capped(&b, &o);
	assert_int_equal(o.opened, 0);
	assert_non_null(strstr(o.msg, "loops back to page 2"));
	print_message("refused: %s\n", o.msg);
	free(b.d);

	tiff_header(&b);
	const uint32_t d2 = tiff_data(&b);
	link = tiff_strip_page(&b, 4, 1, 1, 8, 1, 1, d2, 1);
	set32(&b, link, (uint32_t)(link - 2 - 9 * 12));
	decode_capped(&b, &o);
	assert_int_equal(o.opened, 0);
	assert_non_null(strstr(o.msg, "loops back to page 1"));
	free(b.d);
}

/* ---- TIFF and PNG through their libraries ---- */

static void read_back(const char *path, struct buf *b)
{
	memset(b, 0, sizeof(*b));
	b->d = kt_read_file(path, &b->n);
	assert_non_null(b->d);
	b->cap = b->n;
}

/* 9000 x 9000 white pixels, Deflate, strips of 256 rows: a 90 kB file
 * that is 81 MB decoded, more than one allocation may hold.  It is within
 * the limits and must decode, one strip at a time. */
static void test_tiff_deflate_streams(void **state)
{
	const char *dir = kt_tempdir("bombs");
	char path[4096];
	snprintf(path, sizeof(path), "%s/zeros.tif", dir);
	TIFF *t = TIFFOpen(path, "w");
	assert_non_null(t);
	const uint32_t side = 9000;
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, side);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, side);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
	TIFFSetField(t, TIFFTAG_ZIPQUALITY, 9);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 256);
	uint8_t *row = calloc(side, 1);
	for (uint32_t y = 0; y < side; y++)
		assert_int_equal(TIFFWriteScanline(t, row, y, 0), 1);
	free(row);
	TIFFClose(t);
	struct buf b;
	read_back(path, &b);
	kt_rmtree(dir);
	assert_true(b.n < 1000000);

	struct outcome o;
	decode_capped(&b, &o);
	if (o.decoded != 1)
		fail_msg("not decoded: %s", o.msg);
	print_message("%zu bytes decoded to %u pixels (peak %ld MB)\n", b.n,
		      side * side, o.maxrss_kb >> 10);
	free(b.d);
}

static void put_chunk(struct buf *b, const char *type, const void *data,
		      uint32_t n)
{
	const uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16),
				(uint8_t)(n >> 8), (uint8_t)n};
	put(b, len, 4);
	const size_t start = b->n;
	put(b, type, 4);
	if (n)
		put(b, data, n);
	uLong crc = crc32(0, b->d + start, (uInt)(b->n - start));
	const uint8_t c[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16),
			      (uint8_t)(crc >> 8), (uint8_t)crc};
	put(b, c, 4);
}

/* A PNG header of width x height, colour type and interlace as given,
 * with a few bytes of image data. */
static void png_made(struct buf *b, uint32_t width, uint32_t height, int color,
		     int interlace)
{
	memset(b, 0, sizeof(*b));
	put(b, "\x89PNG\r\n\x1a\n", 8);
	const uint8_t ihdr[13] = {
		(uint8_t)(width >> 24),
		(uint8_t)(width >> 16),
		(uint8_t)(width >> 8),
		(uint8_t)width,
		(uint8_t)(height >> 24),
		(uint8_t)(height >> 16),
		(uint8_t)(height >> 8),
		(uint8_t)height,
		8,
		(uint8_t)color,
		0,
		0,
		(uint8_t)interlace,
	};
	put_chunk(b, "IHDR", ihdr, sizeof(ihdr));
	uint8_t z[64];
	uLongf zn = sizeof(z);
	static const uint8_t row[8];
	assert_int_equal(compress(z, &zn, row, sizeof(row)), Z_OK);
	put_chunk(b, "IDAT", z, (uint32_t)zn);
	put_chunk(b, "IEND", NULL, 0);
}

static void test_png_pixels(void **state)
{
	struct buf b;
	png_made(&b, 100000, 100000, 0, 0);
	expect_refused(&b, "image is too large: 100000 x 100000 pixels");
	free(b.d);
}

/* Interlaced pages are held whole while the passes arrive: 8000 x 8000
 * RGB is 192 MB, refused before it is allocated. */
static void test_png_interlaced(void **state)
{
	struct buf b;
	png_made(&b, 8000, 8000, 2, 1);
	expect_refused(&b, "the interlaced PNG image needs 192000000 bytes");
	free(b.d);
}

static void png_to_buf(png_structp png, png_bytep data, size_t n)
{
	put(png_get_io_ptr(png), data, n);
}

static void png_flush(png_structp png)
{
}

/* 10000 x 10000 grey pixels of white in about 100 kB: decoded row by
 * row, within the limits, without holding the page. */
static void test_png_deflate_streams(void **state)
{
	struct buf b;
	memset(&b, 0, sizeof(b));
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
						  NULL, NULL);
	png_infop info = png_create_info_struct(png);
	assert_non_null(info);
	if (setjmp(png_jmpbuf(png)))
		fail_msg("libpng could not write the test file");
	png_set_write_fn(png, &b, png_to_buf, png_flush);
	const uint32_t side = 10000;
	png_set_IHDR(png, info, side, side, 8, PNG_COLOR_TYPE_GRAY,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_set_compression_level(png, 9);
	png_write_info(png, info);
	uint8_t *row = malloc(side);
	memset(row, 255, side);
	for (uint32_t y = 0; y < side; y++)
		png_write_row(png, row);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	assert_true(b.n < 1000000);

	struct outcome o;
	decode_capped(&b, &o);
	if (o.decoded != 1)
		fail_msg("not decoded: %s", o.msg);
	print_message("%zu bytes decoded to %u pixels (peak %ld MB)\n", b.n,
		      side * side, o.maxrss_kb >> 10);
	free(b.d);
}

/* ---- JPEG: a small stream with its frame header patched ---- */

static void jpeg_made(struct buf *b, int flags, uint16_t width, uint16_t height)
{
	enum { S = 16 };
	uint8_t img[S * S * 3];
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7);
	tjhandle tj = tjInitCompress();
	assert_non_null(tj);
	unsigned char *jpeg = NULL;
	unsigned long n = 0;
	assert_int_equal(tjCompress2(tj, img, S, 0, S, TJPF_RGB, &jpeg, &n,
				     TJSAMP_444, 90, flags),
			 0);
	tjDestroy(tj);
	memset(b, 0, sizeof(*b));
	put(b, jpeg, n);
	tjFree(jpeg);
	/* The frame header: FFC0 or FFC2, length, precision, height,
	 * width. */
	for (size_t i = 2; i + 8 < b->n; i++) {
		if (b->d[i] == 0xff &&
		    (b->d[i + 1] == 0xc0 || b->d[i + 1] == 0xc2)) {
			b->d[i + 5] = (uint8_t)(height >> 8);
			b->d[i + 6] = (uint8_t)height;
			b->d[i + 7] = (uint8_t)(width >> 8);
			b->d[i + 8] = (uint8_t)width;
			return;
		}
	}
	fail_msg("no frame header in TurboJPEG's output");
}

static void test_jpeg_pixels(void **state)
{
	struct buf b;
	jpeg_made(&b, 0, 65000, 65000);
	expect_refused(&b, "image is too large: 65000 x 65000 pixels");
	free(b.d);
}

/* 8000 x 8000 RGB within the pixel limit: the decoded image would take
 * 192 MB in one buffer. */
static void test_jpeg_image_buffer(void **state)
{
	struct buf b;
	jpeg_made(&b, 0, 8000, 8000);
	expect_refused(&b, "the JPEG image needs 192000000 bytes");
	free(b.d);
}

/* Progressive: libjpeg keeps every coefficient of the image, twice the
 * decoded size, inside TurboJPEG where the allocation cap does not
 * reach; kho counts it before decoding.  At scale 8 the decoded image
 * is small, but the coefficients are not. */
static void test_jpeg_progressive_coefficients(void **state)
{
	struct buf b;
	jpeg_made(&b, TJFLAG_PROGRESSIVE, 12000, 12000);
	expect_refused(&b, "the JPEG coefficient buffer needs");

	/* The same at 1/8, as normalize decodes: 1500 x 1500 pixels. */
	decode_scale = 8;
	expect_refused(&b, "the JPEG coefficient buffer needs");
	decode_scale = 1;
	free(b.d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiff_pixels),
		cmocka_unit_test(test_tiff_strip),
		cmocka_unit_test(test_tiff_samples),
		cmocka_unit_test(test_tiff_tile),
		cmocka_unit_test(test_tiff_strip_array),
		cmocka_unit_test(test_tiff_pages),
		cmocka_unit_test(test_tiff_loops),
		cmocka_unit_test(test_tiff_deflate_streams),
		cmocka_unit_test(test_png_pixels),
		cmocka_unit_test(test_png_interlaced),
		cmocka_unit_test(test_png_deflate_streams),
		cmocka_unit_test(test_jpeg_pixels),
		cmocka_unit_test(test_jpeg_image_buffer),
		cmocka_unit_test(test_jpeg_progressive_coefficients),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
