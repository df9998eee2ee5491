#include "pdf/pdf_writer.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <tiffio.h>
#include <turbojpeg.h>

#include "testutil.h"

/* A4 in points, as the compress stage computes it from 210 x 297 mm. */
#define A4_W (210.0 / 25.4 * 72.0)
#define A4_H (297.0 / 25.4 * 72.0)

/* 100 dpi A4 scans: small enough to be quick, large enough to render. */
#define IMG_W 827u
#define IMG_H 1169u

typedef struct blob {
	uint8_t *data;
	size_t size;
} blob;

typedef struct rect {
	uint32_t x0, y0, x1, y1; /* pixels, x1 and y1 excluded */
} rect;

static int in_rect(const rect *r, uint32_t x, uint32_t y)
{
	return x >= r->x0 && x < r->x1 && y >= r->y0 && y < r->y1;
}

/* ---- fixtures: encoded images ---- */

/* A JPEG page: white, with the rectangle in the given colour. */
static blob make_jpeg(int channels, uint32_t w, uint32_t h, const rect *r,
		      const uint8_t rgb[3])
{
	uint8_t *const px = malloc((size_t)w * h * (size_t)channels);
	assert_non_null(px);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			for (int c = 0; c < channels; c++)
				px[((size_t)y * w + x) * (size_t)channels +
				   (size_t)c] =
					r && in_rect(r, x, y) ? rgb[c] : 255;
	tjhandle tj = tjInitCompress();
	assert_non_null(tj);
	unsigned char *jpeg = NULL;
	unsigned long size = 0;
	assert_int_equal(
		tjCompress2(tj, px, (int)w, 0, (int)h,
			    channels == 3 ? TJPF_RGB : TJPF_GRAY, &jpeg, &size,
			    channels == 3 ? TJSAMP_444 : TJSAMP_GRAY, 90, 0),
		0);
	blob b = {malloc(size), size};
	assert_non_null(b.data);
	memcpy(b.data, jpeg, size);
	tjFree(jpeg);
	tjDestroy(tj);
	free(px);
	return b;
}

/* A G4 page as a scanner's TIFF holds it (MinIsWhite: a 1 bit is black),
 * white with the rectangle black; the raw strip is the G4 stream. */
static blob make_g4(const char *dir, uint32_t w, uint32_t h, const rect *r)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/g4.tif", dir);
	TIFF *tif = TIFFOpen(path, "w");
	assert_non_null(tif);
	TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
	TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
	TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, h);
	const size_t stride = (w + 7) / 8;
	uint8_t *const row = malloc(stride);
	assert_non_null(row);
	for (uint32_t y = 0; y < h; y++) {
		memset(row, 0, stride);
		for (uint32_t x = 0; x < w; x++)
			if (r && in_rect(r, x, y))
				row[x / 8] |= (uint8_t)(0x80u >> (x % 8));
		assert_int_equal(TIFFWriteScanline(tif, row, y, 0), 1);
	}
	free(row);
	TIFFClose(tif);

	tif = TIFFOpen(path, "r");
	assert_non_null(tif);
	assert_int_equal(TIFFNumberOfStrips(tif), 1);
	const tmsize_t size = TIFFRawStripSize(tif, 0);
	assert_true(size > 0);
	blob b = {malloc((size_t)size), (size_t)size};
	assert_non_null(b.data);
	assert_int_equal(TIFFReadRawStrip(tif, 0, b.data, size), size);
	TIFFClose(tif);
	remove(path);
	return b;
}

static kho_pdf_image dct_layer(const blob *b, int channels, uint32_t w,
			       uint32_t h)
{
	const kho_pdf_image im = {
		.filter = KHO_PDF_DCT,
		.data = b->data,
		.size = b->size,
		.width = w,
		.height = h,
		.channels = channels,
	};
	return im;
}

static kho_pdf_image g4_layer(const blob *b, uint32_t w, uint32_t h, int mask)
{
	const kho_pdf_image im = {
		.filter = KHO_PDF_CCITT_G4,
		.data = b->data,
		.size = b->size,
		.width = w,
		.height = h,
		.channels = 1,
		.image_mask = mask,
	};
	return im;
}

static const kho_pdf_meta test_meta = {
	.title = "Giấy khai sinh HT-2021-00042 (bản sao)",
	.author = "UBND phường Hải Châu I",
	.subject = "Hộ tịch",
	.keywords = "HT-2021-00042; khai sinh & hộ tịch <2021>",
	.creator = "kho-compress 0.1.0",
	.producer = "kho 0.1.0",
	.created = "2026-11-30T01:02:03Z",
	.xmp = NULL,
};

/* Writes pages to path; each page is the same list of layers.  Returns the
 * writer's result (finish's when pages were added). */
static int write_pdf(const char *path, const kho_pdf_image *layers,
		     size_t n_layers, unsigned pages, const kho_pdf_meta *meta,
		     kho_error *err)
{
	FILE *const f = fopen(path, "wb");
	assert_non_null(f);
	kho_pdf *pdf = NULL;
	int rc = kho_pdf_begin(&pdf, f, err);
	for (unsigned i = 0; !rc && i < pages; i++)
		rc = kho_pdf_add_page(pdf, A4_W, A4_H, layers, n_layers, err);
	if (rc)
		kho_pdf_abandon(pdf);
	else
		rc = kho_pdf_finish(pdf, meta, err);
	fclose(f);
	return rc;
}

/* ---- the poppler and qpdf tools ---- */

static int have_tools(void)
{
	static const char *const tools[] = {"qpdf", "pdfinfo", "pdftoppm"};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(tools); i++) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1",
			 tools[i]);
		if (system(cmd) != 0) {
			printf("skipped: %s is not installed (qpdf and "
			       "poppler-utils check the PDF)\n",
			       tools[i]);
			return 0;
		}
	}
	return 1;
}

#define SKIP_WITHOUT_TOOLS()                                                   \
	do {                                                                   \
		if (!have_tools())                                             \
			skip();                                                \
	} while (0)

/* Runs a shell command; returns its exit status and its output (stdout and
 * stderr) in a malloc'd string. */
__attribute__((format(printf, 2, 3))) static int run(char **output,
						     const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char full[8300];
	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	FILE *const p = popen(full, "r");
	assert_non_null(p);
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[len] = '\0';
	const int status = pclose(p);
	*output = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle)) {
		print_error("'%s' not found in:\n%s\n", needle, haystack);
		fail();
	}
}

/* A "Key: value" line of pdfinfo, whatever the column width of the
 * poppler version. */
static void assert_field(const char *out, const char *key, const char *value)
{
	const size_t klen = strlen(key);
	for (const char *line = out; *line;) {
		const char *const eol = strchr(line, '\n');
		const size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > klen && memcmp(line, key, klen) == 0 &&
		    line[klen] == ':') {
			const char *v = line + klen + 1;
			while (*v == ' ')
				v++;
			const size_t vlen = len - (size_t)(v - line);
			if (vlen == strlen(value) &&
			    memcmp(v, value, vlen) == 0)
				return;
			print_error("%s is '%.*s', want '%s'\n", key, (int)vlen,
				    v, value);
			fail();
		}
		line += len + (eol ? 1 : 0);
	}
	print_error("no %s in:\n%s\n", key, out);
	fail();
}

/* pdfinfo prints the size with %g: "595.276 x 841.89 pts (A4)". */
static void assert_page_size(const char *out, double w, double h,
			     const char *name)
{
	const char *const line = strstr(out, "Page size:");
	assert_non_null(line);
	double pw = 0, ph = 0;
	char kind[16] = "";
	assert_int_equal(sscanf(line, "Page size: %lf x %lf pts (%15[^)])", &pw,
				&ph, kind),
			 3);
	if (fabs(pw - w) > 0.01 || fabs(ph - h) > 0.01 ||
	    strcmp(kind, name) != 0) {
		print_error("page size %g x %g (%s), want %g x %g (%s)\n", pw,
			    ph, kind, w, h, name);
		fail();
	}
}

static void assert_qpdf_ok(const char *path)
{
	char *out = NULL;
	const int rc = run(&out, "qpdf --check '%s'", path);
	if (rc != 0)
		print_error("qpdf --check exit status %d:\n%s\n", rc, out);
	assert_int_equal(rc, 0);
	assert_contains(out, "No syntax or stream encoding errors found");
	free(out);
}

typedef struct raster {
	int w, h, channels;
	uint8_t *px;
} raster;

/* Renders page 1 with pdftoppm at a low resolution and reads the PPM/PGM. */
static raster render(const char *dir, const char *pdf, int color)
{
	char *out = NULL;
	const int rc = run(&out,
			   "pdftoppm -r 24 -f 1 -l 1 -singlefile %s "
			   "'%s' '%s/render'",
			   color ? "" : "-gray", pdf, dir);
	if (rc != 0)
		print_error("pdftoppm failed:\n%s\n", out);
	assert_int_equal(rc, 0);
	free(out);

	char path[4096];
	snprintf(path, sizeof(path), "%s/render.%s", dir,
		 color ? "ppm" : "pgm");
	size_t size = 0;
	uint8_t *const data = kt_read_file(path, &size);
	assert_non_null(data);
	raster r = {0, 0, color ? 3 : 1, NULL};
	int maxval = 0, used = 0;
	char magic[3] = {0};
	assert_int_equal(sscanf((const char *)data, "%2s %d %d %d%n", magic,
				&r.w, &r.h, &maxval, &used),
			 4);
	assert_string_equal(magic, color ? "P6" : "P5");
	assert_int_equal(maxval, 255);
	const size_t n = (size_t)r.w * (size_t)r.h * (size_t)r.channels;
	assert_true(size >= (size_t)used + 1 + n);
	r.px = malloc(n);
	assert_non_null(r.px);
	memcpy(r.px, data + used + 1, n);
	free(data);
	remove(path);
	return r;
}

/* The rendered pixel over image pixel (x, y) of an IMG_W x IMG_H layer. */
static const uint8_t *pixel_at(const raster *r, uint32_t x, uint32_t y)
{
	const int rx = (int)((double)x * r->w / IMG_W);
	const int ry = (int)((double)y * r->h / IMG_H);
	return r->px +
	       ((size_t)ry * (size_t)r->w + (size_t)rx) * (size_t)r->channels;
}

static void assert_rgb(const raster *r, uint32_t x, uint32_t y, int red,
		       int green, int blue)
{
	const uint8_t *const p = pixel_at(r, x, y);
	const int want[3] = {red, green, blue};
	for (int c = 0; c < 3; c++)
		if (abs(p[c] - want[c]) > 48) {
			print_error("pixel over (%u, %u) is (%d, %d, %d), want "
				    "(%d, %d, %d)\n",
				    x, y, p[0], p[1], p[2], red, green, blue);
			fail();
		}
}

static int has(const uint8_t *file, size_t size, const char *s)
{
	return memmem(file, size, s, strlen(s)) != NULL;
}

static char *tempdir(const char *tag)
{
	char *const dir = strdup(kt_tempdir(tag));
	assert_non_null(dir);
	return dir;
}

static char *path_in(const char *dir, const char *name)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

/* ---- tests ---- */

static void test_jpeg_pages_pdfinfo(void **state)
{
	(void)state;
	SKIP_WITHOUT_TOOLS();
	char *const dir = tempdir("pdf-jpeg");
	char *const path = path_in(dir, "out.pdf");
	const uint8_t grey[3] = {0, 0, 0};
	const rect r = {100, 100, 300, 200};
	blob g = make_jpeg(1, IMG_W, IMG_H, &r, grey);
	blob c = make_jpeg(3, IMG_W, IMG_H, &r, grey);

	FILE *const f = fopen(path, "wb");
	assert_non_null(f);
	kho_error err = KHO_ERROR_INIT;
	kho_pdf *pdf = NULL;
	assert_int_equal(kho_pdf_begin(&pdf, f, &err), 0);
	const kho_pdf_image grey_page = dct_layer(&g, 1, IMG_W, IMG_H);
	const kho_pdf_image rgb_page = dct_layer(&c, 3, IMG_W, IMG_H);
	assert_int_equal(kho_pdf_add_page(pdf, A4_W, A4_H, &grey_page, 1, &err),
			 0);
	assert_int_equal(kho_pdf_add_page(pdf, A4_W, A4_H, &rgb_page, 1, &err),
			 0);
	assert_int_equal(kho_pdf_finish(pdf, &test_meta, &err), 0);
	fclose(f);

	assert_qpdf_ok(path);
	char *out = NULL;
	assert_int_equal(run(&out, "pdfinfo '%s'", path), 0);
	assert_field(out, "Pages", "2");
	assert_page_size(out, A4_W, A4_H, "A4");
	assert_field(out, "PDF version", "1.7");
	assert_field(out, "Encrypted", "no");
	free(out);

	/* The images go in exactly as encoded. */
	size_t size = 0;
	uint8_t *const file = kt_read_file(path, &size);
	assert_non_null(file);
	assert_non_null(memmem(file, size, g.data, g.size));
	assert_non_null(memmem(file, size, c.data, c.size));
	assert_true(has(file, size,
			"/ColorSpace /DeviceGray /BitsPerComponent 8 "
			"/Filter /DCTDecode"));
	assert_true(has(file, size, "/ColorSpace /DeviceRGB"));
	assert_true(
		has(file, size, "q 595.2756 0 0 841.8898 0 0 cm /Im0 Do Q"));
	assert_true(memcmp(file, "%PDF-1.7\n%", 10) == 0);
	assert_true(file[10] > 127 && file[11] > 127 && file[12] > 127 &&
		    file[13] > 127);
	free(file);

	free(g.data);
	free(c.data);
	free(path);
	kt_rmtree(dir);
	free(dir);
}

static void test_g4_renders_black(void **state)
{
	(void)state;
	SKIP_WITHOUT_TOOLS();
	char *const dir = tempdir("pdf-g4");
	char *const path = path_in(dir, "out.pdf");
	/* Upper left, so that a flipped image would show. */
	const rect r = {100, 150, 400, 450};
	blob g4 = make_g4(dir, IMG_W, IMG_H, &r);

	for (int mask = 0; mask <= 1; mask++) {
		const kho_pdf_image layer = g4_layer(&g4, IMG_W, IMG_H, mask);
		kho_error err = KHO_ERROR_INIT;
		assert_int_equal(
			write_pdf(path, &layer, 1, 1, &test_meta, &err), 0);
		assert_qpdf_ok(path);
		raster img = render(dir, path, 0);
		const uint8_t *const in = pixel_at(&img, 250, 300);
		const uint8_t *const out1 = pixel_at(&img, 600, 300);
		const uint8_t *const out2 = pixel_at(&img, 250, 900);
		if (*in > 40 || *out1 < 215 || *out2 < 215) {
			print_error("mask %d: inside %d, outside %d %d\n", mask,
				    *in, *out1, *out2);
			fail();
		}
		free(img.px);
	}
	free(g4.data);
	free(path);
	kt_rmtree(dir);
	free(dir);
}

static void test_rgb_jpeg_renders_red(void **state)
{
	(void)state;
	SKIP_WITHOUT_TOOLS();
	char *const dir = tempdir("pdf-red");
	char *const path = path_in(dir, "out.pdf");
	const uint8_t red[3] = {255, 0, 0};
	const rect r = {450, 100, 750, 400}; /* a seal, upper right */
	blob jpeg = make_jpeg(3, IMG_W, IMG_H, &r, red);
	const kho_pdf_image layer = dct_layer(&jpeg, 3, IMG_W, IMG_H);
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(write_pdf(path, &layer, 1, 1, &test_meta, &err), 0);
	assert_qpdf_ok(path);
	raster img = render(dir, path, 1);
	assert_rgb(&img, 600, 250, 255, 0, 0);
	assert_rgb(&img, 200, 250, 255, 255, 255);
	assert_rgb(&img, 600, 900, 255, 255, 255);
	free(img.px);
	free(jpeg.data);
	free(path);
	kt_rmtree(dir);
	free(dir);
}

/* A colour background with a G4 text layer on top, as the compress stage
 * makes a page with a red seal. */
static void test_mixed_page(void **state)
{
	(void)state;
	SKIP_WITHOUT_TOOLS();
	char *const dir = tempdir("pdf-mixed");
	char *const path = path_in(dir, "out.pdf");
	const uint8_t red[3] = {255, 0, 0};
	const rect top_half = {0, 0, IMG_W, IMG_H / 2};
	const rect text = {100, 400, 400, 800}; /* across the middle */
	blob bg = make_jpeg(3, IMG_W, IMG_H, &top_half, red);
	blob fg = make_g4(dir, IMG_W, IMG_H, &text);
	const kho_pdf_image layers[2] = {
		dct_layer(&bg, 3, IMG_W, IMG_H),
		g4_layer(&fg, IMG_W, IMG_H, 1),
	};
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(write_pdf(path, layers, 2, 1, &test_meta, &err), 0);
	assert_qpdf_ok(path);

	raster img = render(dir, path, 1);
	assert_rgb(&img, 250, 480, 0, 0, 0);	    /* text over red */
	assert_rgb(&img, 250, 720, 0, 0, 0);	    /* text over white */
	assert_rgb(&img, 600, 250, 255, 0, 0);	    /* red, no text */
	assert_rgb(&img, 600, 1000, 255, 255, 255); /* white, no text */
	assert_rgb(&img, 250, 200, 255, 0, 0);	    /* the mask leaves it */
	free(img.px);

	size_t size = 0;
	uint8_t *const file = kt_read_file(path, &size);
	assert_non_null(file);
	assert_true(has(file, size, "/ImageMask true"));
	assert_true(has(file, size, "/K -1 /Columns 827 /Rows 1169"));
	assert_true(has(file, size, "/Im0 Do Q\nq 595.2756"));
	free(file);

	free(bg.data);
	free(fg.data);
	free(path);
	kt_rmtree(dir);
	free(dir);
}

static void test_metadata(void **state)
{
	(void)state;
	SKIP_WITHOUT_TOOLS();
	char *const dir = tempdir("pdf-meta");
	char *const path = path_in(dir, "out.pdf");
	blob g4 = make_g4(dir, 64, 64, NULL);
	const kho_pdf_image layer = g4_layer(&g4, 64, 64, 0);
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(write_pdf(path, &layer, 1, 1, &test_meta, &err), 0);
	assert_qpdf_ok(path);

	char *out = NULL;
	assert_int_equal(run(&out, "TZ=UTC pdfinfo -isodates '%s'", path), 0);
	assert_field(out, "Title", "Giấy khai sinh HT-2021-00042 (bản sao)");
	assert_field(out, "Author", "UBND phường Hải Châu I");
	assert_field(out, "Subject", "Hộ tịch");
	assert_field(out, "Keywords",
		     "HT-2021-00042; khai sinh & hộ tịch <2021>");
	assert_field(out, "Creator", "kho-compress 0.1.0");
	assert_field(out, "Producer", "kho 0.1.0");
	assert_field(out, "CreationDate", "2026-11-30T01:02:03Z");
	assert_field(out, "ModDate", "2026-11-30T01:02:03Z");
	free(out);

	assert_int_equal(run(&out, "pdfinfo -meta '%s'", path), 0);
	assert_contains(out, "<rdf:li xml:lang=\"x-default\">Giấy khai sinh "
			     "HT-2021-00042 (bản sao)</rdf:li>");
	assert_contains(out, "<dc:creator><rdf:Seq><rdf:li>UBND phường Hải "
			     "Châu I</rdf:li></rdf:Seq></dc:creator>");
	assert_contains(out, "<pdf:Producer>kho 0.1.0</pdf:Producer>");
	assert_contains(out, "<pdf:Keywords>HT-2021-00042; khai sinh &amp; "
			     "hộ tịch &lt;2021&gt;</pdf:Keywords>");
	assert_contains(out, "<xmp:CreateDate>2026-11-30T01:02:03Z<");
	assert_contains(out, "<xmp:ModifyDate>2026-11-30T01:02:03Z<");
	assert_contains(out, "<pdfaid:part>2</pdfaid:part>");
	assert_contains(out, "<pdfaid:conformance>B</pdfaid:conformance>");
	free(out);

	size_t size = 0;
	uint8_t *const file = kt_read_file(path, &size);
	assert_non_null(file);
	assert_true(has(file, size, "/Type /Metadata /Subtype /XML"));
	assert_true(has(file, size, "/S /GTS_PDFA1"));
	assert_true(has(file, size, "/CreationDate (D:20261130010203Z)"));
	/* The title is not ASCII: UTF-16BE with a byte order mark. */
	assert_true(has(file, size, "/Title <FEFF004700691EA50079"));
	assert_true(has(file, size, "/Producer (kho 0.1.0)"));
	free(file);

	free(g4.data);
	free(path);
	kt_rmtree(dir);
	free(dir);
}

static void test_escaping_and_custom_xmp(void **state)
{
	(void)state;
	SKIP_WITHOUT_TOOLS();
	char *const dir = tempdir("pdf-esc");
	char *const path = path_in(dir, "out.pdf");
	blob g4 = make_g4(dir, 64, 64, NULL);
	const kho_pdf_image layer = g4_layer(&g4, 64, 64, 0);
	static const char xmp[] =
		"<?xpacket begin=\"\xef\xbb\xbf\" "
		"id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
		"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><!-- from the caller -->"
		"</x:xmpmeta>\n<?xpacket end=\"w\"?>";
	const kho_pdf_meta meta = {
		.title = "a (tricky) \\ title)",
		.author = "Phòng một cửa \U0001F534", /* beyond the BMP */
		.subject = "x < y & \"z\"",
		.created = "2026-11-30T08:02:03+07:00",
		.xmp = xmp,
	};
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(write_pdf(path, &layer, 1, 1, &meta, &err), 0);
	assert_qpdf_ok(path);

	char *out = NULL;
	assert_int_equal(run(&out, "TZ=UTC pdfinfo -isodates '%s'", path), 0);
	assert_field(out, "Title", "a (tricky) \\ title)");
	assert_field(out, "Author", "Phòng một cửa \U0001F534");
	assert_field(out, "Subject", "x < y & \"z\"");
	assert_field(out, "CreationDate", "2026-11-30T08:02:03+07");
	free(out);

	size_t size = 0;
	uint8_t *const file = kt_read_file(path, &size);
	assert_non_null(file);
	assert_non_null(memmem(file, size, xmp, sizeof(xmp) - 1));
	assert_true(has(file, size, "(a \\(tricky\\) \\\\ title\\))"));
	assert_true(has(file, size, "(D:20261130080203+07'00')"));
	assert_true(has(file, size, "0020D83DDD34>")); /* a surrogate pair */
	free(file);

	free(g4.data);
	free(path);
	kt_rmtree(dir);
	free(dir);
}

/* No clock: the same input gives the same bytes, also a second later
 * (lcms2 stamps its profiles with the time). */
static void test_deterministic(void **state)
{
	(void)state;
	char *const dir = tempdir("pdf-same");
	char *const a = path_in(dir, "a.pdf");
	char *const b = path_in(dir, "b.pdf");
	const uint8_t red[3] = {255, 0, 0};
	const rect r = {10, 10, 50, 50};
	blob jpeg = make_jpeg(3, 120, 160, &r, red);
	blob g4 = make_g4(dir, 120, 160, &r);
	const kho_pdf_image layers[2] = {
		dct_layer(&jpeg, 3, 120, 160),
		g4_layer(&g4, 120, 160, 1),
	};
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(write_pdf(a, layers, 2, 3, &test_meta, &err), 0);
	sleep(1);
	assert_int_equal(write_pdf(b, layers, 2, 3, &test_meta, &err), 0);

	size_t na = 0, nb = 0;
	uint8_t *const da = kt_read_file(a, &na);
	uint8_t *const db = kt_read_file(b, &nb);
	assert_non_null(da);
	assert_non_null(db);
	assert_int_equal(na, nb);
	assert_memory_equal(da, db, na);
	/* The identifier is a digest, not zeros or a constant. */
	const char *const id = memmem(da, na, "/ID [<", 6);
	assert_non_null(id);
	assert_memory_not_equal(id + 6, "00000000000000000000000000000000", 32);
	free(da);
	free(db);

	/* Other content, other identifier. */
	const kho_pdf_meta other = {.title = "another title"};
	assert_int_equal(write_pdf(b, layers, 2, 3, &other, &err), 0);
	uint8_t *const dc = kt_read_file(b, &nb);
	assert_non_null(dc);
	const char *const id2 = memmem(dc, nb, "/ID [<", 6);
	assert_non_null(id2);
	assert_memory_not_equal(id + 6, id2 + 6, 32);
	free(dc);

	free(jpeg.data);
	free(g4.data);
	free(a);
	free(b);
	kt_rmtree(dir);
	free(dir);
}

/* Every cross-reference entry is 20 bytes and points at its object. */
static void test_xref(void **state)
{
	(void)state;
	char *const dir = tempdir("pdf-xref");
	char *const path = path_in(dir, "out.pdf");
	blob g4 = make_g4(dir, 64, 64, NULL);
	const kho_pdf_image layer = g4_layer(&g4, 64, 64, 0);
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(write_pdf(path, &layer, 1, 5, NULL, &err), 0);

	size_t size = 0;
	uint8_t *const file = kt_read_file(path, &size);
	assert_non_null(file);
	char *const text = malloc(size + 1);
	assert_non_null(text);
	memcpy(text, file, size);
	text[size] = '\0';
	const char *sx = memmem(text, size, "startxref\n", 10);
	assert_non_null(sx);
	const unsigned long long xref = strtoull(sx + 10, NULL, 10);
	assert_true(xref < size);
	assert_true(memcmp(text + xref, "xref\n0 ", 7) == 0);
	char *end = NULL;
	const unsigned long count = strtoul(text + xref + 7, &end, 10);
	assert_true(*end == '\n');
	const char *entry = end + 1;
	assert_true(memcmp(entry, "0000000000 65535 f\r\n", 20) == 0);
	for (unsigned long n = 1; n < count; n++) {
		entry += 20;
		assert_true(entry[10] == ' ' && entry[16] == ' ' &&
			    entry[17] == 'n' && entry[18] == '\r' &&
			    entry[19] == '\n');
		const unsigned long long off = strtoull(entry, NULL, 10);
		char head[32];
		const int len = snprintf(head, sizeof(head), "%lu 0 obj\n", n);
		assert_true(off + (size_t)len < size);
		assert_memory_equal(text + off, head, (size_t)len);
	}
	assert_true(memcmp(entry + 20, "trailer\n", 8) == 0);
	assert_non_null(strstr(entry, "/Size 21 "));
	assert_true(size > 6 && memcmp(text + size - 6, "%%EOF\n", 6) == 0);
	free(text);
	free(file);
	free(g4.data);
	free(path);
	kt_rmtree(dir);
	free(dir);
}

static void test_disk_full(void **state)
{
	(void)state;
	FILE *f = fopen("/dev/full", "wb");
	if (!f) {
		printf("skipped: /dev/full is absent\n");
		skip();
	}
	const uint8_t grey[3] = {128, 128, 128};
	blob small = make_jpeg(1, 64, 64, NULL, grey);
	const kho_pdf_image layer = dct_layer(&small, 1, 64, 64);
	kho_error err = KHO_ERROR_INIT;
	kho_pdf *pdf = NULL;
	/* Everything fits stdio's buffer until the end: the failure must
	 * still show, in finish. */
	assert_int_equal(kho_pdf_begin(&pdf, f, &err), 0);
	assert_int_equal(kho_pdf_add_page(pdf, 200, 200, &layer, 1, &err), 0);
	assert_int_equal(kho_pdf_finish(pdf, NULL, &err), KHO_FATAL);
	assert_string_equal(err.msg,
			    "cannot write the PDF: No space left on device");
	fclose(f);

	/* A page larger than the buffers fails at once, and finish says so
	 * again. */
	const rect r = {100, 100, 700, 1000};
	blob big = make_jpeg(3, IMG_W, IMG_H, &r, grey);
	const kho_pdf_image big_layer = dct_layer(&big, 3, IMG_W, IMG_H);
	f = fopen("/dev/full", "wb");
	assert_non_null(f);
	kho_error_clear(&err);
	assert_int_equal(kho_pdf_begin(&pdf, f, &err), 0);
	assert_int_equal(kho_pdf_add_page(pdf, 200, 200, &big_layer, 1, &err),
			 KHO_FATAL);
	assert_string_equal(err.msg,
			    "cannot write the PDF: No space left on device");
	kho_error_clear(&err);
	assert_int_equal(kho_pdf_finish(pdf, &test_meta, &err), KHO_FATAL);
	assert_string_equal(err.msg,
			    "cannot write the PDF: No space left on device");
	fclose(f);
	free(small.data);
	free(big.data);
}

static void test_refused_input(void **state)
{
	(void)state;
	char *const dir = tempdir("pdf-refuse");
	char *const path = path_in(dir, "out.pdf");
	blob g4 = make_g4(dir, 64, 64, NULL);
	const uint8_t grey[3] = {0, 0, 0};
	blob jpeg = make_jpeg(1, 64, 64, NULL, grey);
	FILE *const f = fopen(path, "wb");
	assert_non_null(f);
	kho_error err = KHO_ERROR_INIT;
	kho_pdf *pdf = NULL;
	assert_int_equal(kho_pdf_begin(&pdf, f, &err), 0);

	kho_pdf_image bad = g4_layer(&g4, 64, 64, 0);
	bad.channels = 3;
	assert_int_equal(kho_pdf_add_page(pdf, 100, 100, &bad, 1, &err),
			 KHO_FAIL);
	assert_string_equal(err.msg, "cannot add layer 0 to the PDF: a G4 "
				     "layer must have 1 channel");
	bad = dct_layer(&jpeg, 1, 64, 64);
	bad.image_mask = 1;
	assert_int_equal(kho_pdf_add_page(pdf, 100, 100, &bad, 1, &err),
			 KHO_FAIL);
	bad = dct_layer(&g4, 1, 64, 64); /* not a JPEG */
	assert_int_equal(kho_pdf_add_page(pdf, 100, 100, &bad, 1, &err),
			 KHO_FAIL);
	bad = g4_layer(&g4, 0, 64, 0);
	assert_int_equal(kho_pdf_add_page(pdf, 100, 100, &bad, 1, &err),
			 KHO_FAIL);
	const kho_pdf_image good = g4_layer(&g4, 64, 64, 0);
	assert_int_equal(kho_pdf_add_page(pdf, 0.5, 100, &good, 1, &err),
			 KHO_FAIL);
	assert_int_equal(kho_pdf_add_page(pdf, NAN, 100, &good, 1, &err),
			 KHO_FAIL);
	assert_int_equal(kho_pdf_add_page(pdf, 100, 100, &good, 0, &err),
			 KHO_FAIL);
	assert_string_equal(err.msg, "cannot add a page to the PDF: no image");

	/* A refused page leaves the document as it was. */
	assert_int_equal(kho_pdf_add_page(pdf, 100, 100, &good, 1, &err), 0);
	const kho_pdf_meta bad_date = {.created = "30/11/2026"};
	assert_int_equal(kho_pdf_finish(pdf, &bad_date, &err), KHO_FAIL);
	assert_string_equal(err.msg, "cannot write the PDF: date '30/11/2026' "
				     "is not ISO 8601 'YYYY-MM-DDTHH:MM:SSZ'");
	fclose(f);

	FILE *const f2 = fopen(path, "wb");
	assert_non_null(f2);
	assert_int_equal(kho_pdf_begin(&pdf, f2, &err), 0);
	assert_int_equal(kho_pdf_add_page(pdf, 100, 100, &good, 1, &err), 0);
	const kho_pdf_meta bad_utf8 = {.title = "bad \xc3\x28 text"};
	assert_int_equal(kho_pdf_finish(pdf, &bad_utf8, &err), KHO_FAIL);
	assert_string_equal(
		err.msg, "cannot write the PDF: the title is not valid UTF-8");
	fclose(f2);

	FILE *const f3 = fopen(path, "wb");
	assert_non_null(f3);
	assert_int_equal(kho_pdf_begin(&pdf, f3, &err), 0);
	assert_int_equal(kho_pdf_finish(pdf, NULL, &err), KHO_FAIL);
	assert_string_equal(err.msg, "cannot finish the PDF: it has no page");
	fclose(f3);

	free(g4.data);
	free(jpeg.data);
	free(path);
	kt_rmtree(dir);
	free(dir);
}

/* 300 pages: the writer keeps an offset per object and a number per page,
 * nothing of a page once it is written. */
static void test_many_pages(void **state)
{
	(void)state;
	SKIP_WITHOUT_TOOLS();
	char *const dir = tempdir("pdf-many");
	char *const path = path_in(dir, "out.pdf");
	const rect r = {20, 20, 200, 60};
	blob g4 = make_g4(dir, 413, 584, &r);
	const kho_pdf_image layer = g4_layer(&g4, 413, 584, 0);
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(write_pdf(path, &layer, 1, 300, &test_meta, &err), 0);
	assert_qpdf_ok(path);
	char *out = NULL;
	assert_int_equal(run(&out, "pdfinfo '%s'", path), 0);
	assert_field(out, "Pages", "300");
	free(out);
	free(g4.data);
	free(path);
	kt_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jpeg_pages_pdfinfo),
		cmocka_unit_test(test_g4_renders_black),
		cmocka_unit_test(test_rgb_jpeg_renders_red),
		cmocka_unit_test(test_mixed_page),
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_escaping_and_custom_xmp),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_xref),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_refused_input),
		cmocka_unit_test(test_many_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
