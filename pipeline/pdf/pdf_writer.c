#include "pdf/pdf_writer.h"

#include "pdf/pdf_meta.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/*
 * The file is written front to back and never revisited: every object is
 * streamed as soon as it is complete, and only its offset is kept for the
 * cross-reference table.  Object 1 is the page tree's root, reserved at the
 * start because every page names it as /Parent; it is written last.
 */
#define PAGES_OBJ 1u

/* Offsets are written with 10 digits in the cross-reference table. */
#define MAX_OFFSET 9999999999ull

/* ISO 32000-1 Annex C: a page is 3 to 14,400 units on each side. */
#define MIN_PAGE_PT 3.0
#define MAX_PAGE_PT 14400.0

/* Small writes collect here so that each object costs one fwrite, and the
 * digest sees large pieces. */
#define OUT_BUF_SIZE 8192

/* One layer drawn over the whole page: scale the unit square to the page. */
#define DRAW_LAYER "q %s 0 0 %s 0 0 cm /Im%zu Do Q\n"

struct kho_pdf {
	FILE *stream;
	EVP_MD_CTX *digest; /* over every byte up to the trailer: the /ID */
	int digest_done;
	uint64_t pos;	 /* bytes written so far: the next object's offset */
	int write_errno; /* the first write failure; 0 while none */
	size_t buf_len;
	char buf[OUT_BUF_SIZE];

	uint64_t *offsets; /* offsets[n] of object n; [0] unused */
	uint32_t n_objects;
	uint32_t offsets_cap;
	uint32_t *pages; /* object number of each page, in order */
	uint32_t n_pages;
	uint32_t pages_cap;
};

/* ---- the output helper: remembers the first error, counts, digests ---- */

static void out_fail(kho_pdf *pdf, int errnum)
{
	if (!pdf->write_errno)
		pdf->write_errno = errnum ? errnum : EIO;
}

static void out_raw(kho_pdf *pdf, const void *data, size_t n)
{
	if (pdf->write_errno || n == 0)
		return;
	if (!pdf->digest_done && EVP_DigestUpdate(pdf->digest, data, n) != 1) {
		out_fail(pdf, EIO);
		return;
	}
	errno = 0;
	if (fwrite(data, 1, n, pdf->stream) != n || ferror(pdf->stream))
		out_fail(pdf, errno);
}

static void out_flush(kho_pdf *pdf)
{
	out_raw(pdf, pdf->buf, pdf->buf_len);
	pdf->buf_len = 0;
}

static void out_bytes(kho_pdf *pdf, const void *data, size_t n)
{
	pdf->pos += n;
	if (pdf->write_errno)
		return;
	if (n <= sizeof(pdf->buf) - pdf->buf_len) {
		memcpy(pdf->buf + pdf->buf_len, data, n);
		pdf->buf_len += n;
		return;
	}
	out_flush(pdf);
	if (n < sizeof(pdf->buf)) {
		memcpy(pdf->buf, data, n);
		pdf->buf_len = n;
	} else {
		out_raw(pdf, data, n); /* an image: no copy */
	}
}

static void out_str(kho_pdf *pdf, const char *s)
{
	out_bytes(pdf, s, strlen(s));
}

/* For structure only: numbers and names, never caller text, so a line is
 * short. */
__attribute__((format(printf, 2, 3))) static void
out_printf(kho_pdf *pdf, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	const int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert(n >= 0 && (size_t)n < sizeof(line));
	if (n < 0 || (size_t)n >= sizeof(line)) {
		out_fail(pdf, EOVERFLOW); /* a bug: fail rather than truncate */
		return;
	}
	out_bytes(pdf, line, (size_t)n);
}

static int out_status(const kho_pdf *pdf, kho_error *err)
{
	if (!pdf->write_errno)
		return 0;
	return kho_error_set(err, KHO_FATAL, "cannot write the PDF: %s",
			     strerror(pdf->write_errno));
}

/* ---- numbers ---- */

/*
 * Four decimals, trailing zeros dropped, computed in integers so that
 * neither the locale nor the libc's rounding changes a byte.  Values are
 * page sizes and positions on a page, checked by the callers.
 */
void kho_pdf_number(char out[32], double v)
{
	const long long scaled = llround(v * 10000.0);
	const long long whole = scaled / 10000;
	long long frac = scaled % 10000;
	assert(scaled >= 0);
	if (frac == 0) {
		snprintf(out, 32, "%lld", whole);
		return;
	}
	int digits = 4;
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(out, 32, "%lld.%0*lld", whole, digits, frac);
}

/* ---- objects ---- */

static int grow_u64(uint64_t **arr, uint32_t *cap, uint32_t need)
{
	if (need <= *cap)
		return 0;
	const uint32_t cap2 = KHO_MAX(need, *cap ? *cap * 2 : 64u);
	uint64_t *const p = realloc(*arr, (size_t)cap2 * sizeof(**arr));
	if (!p)
		return -1;
	*arr = p;
	*cap = cap2;
	return 0;
}

static int grow_u32(uint32_t **arr, uint32_t *cap, uint32_t need)
{
	if (need <= *cap)
		return 0;
	const uint32_t cap2 = KHO_MAX(need, *cap ? *cap * 2 : 64u);
	uint32_t *const p = realloc(*arr, (size_t)cap2 * sizeof(**arr));
	if (!p)
		return -1;
	*arr = p;
	*cap = cap2;
	return 0;
}

/* Object numbers for the next n objects, so that a page can be checked for
 * room before any of it is written.  Returns the first, or 0. */
static uint32_t obj_reserve(kho_pdf *pdf, uint32_t n)
{
	/* 8,388,607 is the largest object number ISO 32000-1 Annex C allows. */
	if (n > 8388607u - pdf->n_objects)
		return 0;
	if (grow_u64(&pdf->offsets, &pdf->offsets_cap, pdf->n_objects + n + 1))
		return 0;
	const uint32_t first = pdf->n_objects + 1;
	for (uint32_t i = 0; i < n; i++)
		pdf->offsets[first + i] = 0;
	pdf->n_objects += n;
	return first;
}

static void obj_start(kho_pdf *pdf, uint32_t num)
{
	assert(num >= 1 && num <= pdf->n_objects && pdf->offsets[num] == 0);
	if (pdf->pos > MAX_OFFSET)
		out_fail(pdf, EFBIG);
	pdf->offsets[num] = pdf->pos;
	out_printf(pdf, "%u 0 obj\n", num);
}

/* A stream's data, then the end of the object.  The EOL before endstream
 * is not part of /Length (PDF/A-2 6.1.7). */
static void obj_stream_end(kho_pdf *pdf, const void *data, size_t n)
{
	out_str(pdf, "stream\n");
	out_bytes(pdf, data, n);
	out_str(pdf, "\nendstream\nendobj\n");
}

/* ---- pages ---- */

static int check_image(const kho_pdf_image *im, size_t i, kho_error *err)
{
	const char *why = NULL;
	if (!im->data || im->size == 0)
		why = "no data";
	else if (im->width == 0 || im->height == 0 || im->width > 1u << 24 ||
		 im->height > 1u << 24)
		why = "invalid size";
	else if (im->filter == KHO_PDF_DCT) {
		if (im->channels != 1 && im->channels != 3)
			why = "a JPEG layer must have 1 or 3 channels";
		else if (im->image_mask)
			why = "only a G4 layer can be an image mask";
		else if (im->size < 3 || im->data[0] != 0xff ||
			 im->data[1] != 0xd8 || im->data[2] != 0xff)
			why = "the data is not a JPEG stream";
	} else if (im->filter == KHO_PDF_CCITT_G4) {
		if (im->channels != 1)
			why = "a G4 layer must have 1 channel";
	} else {
		why = "unknown encoding";
	}
	if (why)
		return kho_error_set(err, KHO_FAIL,
				     "cannot add layer %zu to the PDF: %s", i,
				     why);
	return 0;
}

static void write_image(kho_pdf *pdf, uint32_t num, const kho_pdf_image *im)
{
	obj_start(pdf, num);
	out_printf(pdf,
		   "<< /Type /XObject /Subtype /Image /Width %u /Height %u\n",
		   im->width, im->height);
	if (im->filter == KHO_PDF_DCT) {
		out_printf(pdf,
			   "/ColorSpace /%s /BitsPerComponent 8"
			   " /Filter /DCTDecode\n",
			   im->channels == 3 ? "DeviceRGB" : "DeviceGray");
	} else {
		/*
		 * BlackIs1 false: the decoder gives 0 for a black pixel.  An
		 * image mask paints where the sample is 0 (the default
		 * /Decode [0 1]), so black text paints and white leaves the
		 * layer below visible.
		 */
		out_str(pdf, im->image_mask
				     ? "/ImageMask true /BitsPerComponent 1"
				     : "/ColorSpace /DeviceGray "
				       "/BitsPerComponent 1");
		out_printf(
			pdf,
			"\n/Filter /CCITTFaxDecode /DecodeParms"
			" << /K -1 /Columns %u /Rows %u /BlackIs1 false >>\n",
			im->width, im->height);
	}
	out_printf(pdf, "/Length %zu >>\n", im->size);
	obj_stream_end(pdf, im->data, im->size);
}

/* ---- content streams ---- */

/* A growing buffer for a content stream. */
typedef struct content {
	char *s;
	size_t len, cap;
	int oom;
} content;

__attribute__((format(printf, 2, 3))) static void
content_printf(content *c, const char *fmt, ...)
{
	char line[160];
	va_list ap;
	va_start(ap, fmt);
	const int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert(n >= 0 && (size_t)n < sizeof(line));
	if (c->oom || n < 0 || (size_t)n >= sizeof(line)) {
		c->oom = 1;
		return;
	}
	if (c->len + (size_t)n + 1 > c->cap) {
		const size_t cap =
			KHO_MAX(c->cap * 2, c->len + (size_t)n + 4096);
		char *const p = realloc(c->s, cap);
		if (!p) {
			c->oom = 1;
			return;
		}
		c->s = p;
		c->cap = cap;
	}
	memcpy(c->s + c->len, line, (size_t)n);
	c->len += (size_t)n;
}

/* The dark modules row by row, one rectangle per run of dark modules. */
static void draw_modules(content *c, const kho_pdf_modules *m)
{
	char x[32], y[32], w[32], h[32];
	kho_pdf_number(h, m->module);
	content_printf(c, "q 0 g\n");
	for (uint32_t row = 0; row < m->n; row++) {
		const uint8_t *const line = m->dark + (size_t)row * m->n;
		kho_pdf_number(y, m->y + (m->n - 1 - row) * m->module);
		for (uint32_t col = 0; col < m->n;) {
			if (!line[col]) {
				col++;
				continue;
			}
			uint32_t end = col;
			while (end < m->n && line[end])
				end++;
			kho_pdf_number(x, m->x + col * m->module);
			kho_pdf_number(w, (end - col) * m->module);
			content_printf(c, "%s %s %s %s re\n", x, y, w, h);
			col = end;
		}
	}
	content_printf(c, "f Q\n");
}

static int check_rect(const kho_pdf_rect *r, double w, double h)
{
	return r->x >= 0 && r->y >= 0 && r->w >= MIN_PAGE_PT &&
	       r->h >= MIN_PAGE_PT && r->x + r->w <= w + 1e-6 &&
	       r->y + r->h <= h + 1e-6;
}

static int check_modules(const kho_pdf_modules *m, double w, double h)
{
	return m->dark && m->n > 0 && m->n <= 1000 && m->module > 0 &&
	       m->x >= 0 && m->y >= 0 && m->x + m->n * m->module <= w + 1e-6 &&
	       m->y + m->n * m->module <= h + 1e-6;
}

static int is_whole_page(const kho_pdf_rect *r)
{
	return r->x == 0 && r->y == 0 && r->w == 0 && r->h == 0;
}

/* The page's drawing: the layers, then the modules.  A page of layers
 * over the whole page is written as it always was, so that compress's
 * bytes do not change. */
static int page_content(const kho_pdf_page *pg, content *c)
{
	char w[32], h[32], x[32], y[32];
	const int whole = is_whole_page(&pg->area);
	kho_pdf_number(w, whole ? pg->width_pt : pg->area.w);
	kho_pdf_number(h, whole ? pg->height_pt : pg->area.h);
	for (size_t i = 0; i < pg->n_layers; i++) {
		if (whole) {
			content_printf(c, DRAW_LAYER, w, h, i);
			continue;
		}
		kho_pdf_number(x, pg->area.x);
		kho_pdf_number(y, pg->area.y);
		content_printf(c, "q %s 0 0 %s %s %s cm /Im%zu Do Q\n", w, h, x,
			       y, i);
	}
	if (pg->modules)
		draw_modules(c, pg->modules);
	return c->oom ? -1 : 0;
}

int kho_pdf_add_page(kho_pdf *pdf, double width_pt, double height_pt,
		     const kho_pdf_image *layers, size_t n_layers,
		     kho_error *err)
{
	const kho_pdf_page page = {
		.width_pt = width_pt,
		.height_pt = height_pt,
		.layers = layers,
		.n_layers = n_layers,
	};
	return kho_pdf_add_page_ex(pdf, &page, err);
}

int kho_pdf_add_page_ex(kho_pdf *pdf, const kho_pdf_page *pg, kho_error *err)
{
	assert(pdf && pg);
	int rc = out_status(pdf, err);
	if (rc)
		return rc;
	const double width_pt = pg->width_pt, height_pt = pg->height_pt;
	const size_t n_layers = pg->n_layers;
	/* Everything is checked before the first byte, so that a refused
	 * page leaves the document as it was. */
	if (!(width_pt >= MIN_PAGE_PT && width_pt <= MAX_PAGE_PT &&
	      height_pt >= MIN_PAGE_PT && height_pt <= MAX_PAGE_PT))
		return kho_error_set(err, KHO_FAIL,
				     "cannot add a page of %g x %g points to "
				     "the PDF: each side must be %g to %g",
				     width_pt, height_pt, MIN_PAGE_PT,
				     MAX_PAGE_PT);
	if (n_layers == 0 || !pg->layers)
		return kho_error_set(err, KHO_FAIL,
				     "cannot add a page to the PDF: no image");
	if (n_layers > 1000)
		return kho_error_set(
			err, KHO_FAIL,
			"cannot add a page to the PDF: %zu layers, "
			"at most 1000",
			n_layers);
	if (!is_whole_page(&pg->area) &&
	    !check_rect(&pg->area, width_pt, height_pt))
		return kho_error_set(err, KHO_FAIL,
				     "cannot add a page to the PDF: the "
				     "images' area is not inside the page");
	if (pg->modules && !check_modules(pg->modules, width_pt, height_pt))
		return kho_error_set(err, KHO_FAIL,
				     "cannot add a page to the PDF: the "
				     "modules are not inside the page");
	for (size_t i = 0; i < n_layers; i++) {
		rc = check_image(&pg->layers[i], i, err);
		if (rc)
			return rc;
	}
	content c = {0};
	if (page_content(pg, &c) != 0) {
		free(c.s);
		return kho_error_set(
			err, KHO_FATAL,
			"cannot add a page to the PDF: out of memory");
	}
	/* Modules make a long stream of rectangles: deflated. */
	uint8_t *packed = NULL;
	uLongf packed_len = 0;
	if (pg->modules) {
		packed_len = compressBound((uLong)c.len);
		packed = malloc(packed_len);
		if (!packed ||
		    compress2(packed, &packed_len, (const Bytef *)c.s,
			      (uLong)c.len, Z_BEST_COMPRESSION) != Z_OK) {
			free(packed);
			free(c.s);
			return kho_error_set(err, KHO_FATAL,
					     "cannot add a page to the PDF: "
					     "cannot deflate its content");
		}
	}
	if (grow_u32(&pdf->pages, &pdf->pages_cap, pdf->n_pages + 1)) {
		free(packed);
		free(c.s);
		return kho_error_set(
			err, KHO_FATAL,
			"cannot add a page to the PDF: out of memory");
	}
	/* The images, then the content stream, then the page. */
	const uint32_t first = obj_reserve(pdf, (uint32_t)n_layers + 2);
	if (!first) {
		free(packed);
		free(c.s);
		return kho_error_set(err, KHO_FATAL,
				     "cannot add a page to the PDF: too many "
				     "objects or out of memory");
	}
	const uint32_t contents = first + (uint32_t)n_layers;
	const uint32_t page = contents + 1;

	for (size_t i = 0; i < n_layers; i++)
		write_image(pdf, first + (uint32_t)i, &pg->layers[i]);

	obj_start(pdf, contents);
	if (packed) {
		out_printf(pdf, "<< /Length %lu /Filter /FlateDecode >>\n",
			   (unsigned long)packed_len);
		obj_stream_end(pdf, packed, packed_len);
	} else {
		out_printf(pdf, "<< /Length %zu >>\nstream\n", c.len);
		out_bytes(pdf, c.s, c.len);
		out_str(pdf, "\nendstream\nendobj\n");
	}
	free(packed);
	free(c.s);

	char w[32], h[32];
	kho_pdf_number(w, width_pt);
	kho_pdf_number(h, height_pt);
	obj_start(pdf, page);
	out_printf(pdf,
		   "<< /Type /Page /Parent %u 0 R /MediaBox [0 0 %s %s]\n"
		   "/Resources << /XObject <<",
		   PAGES_OBJ, w, h);
	for (size_t i = 0; i < n_layers; i++)
		out_printf(pdf, " /Im%zu %u 0 R", i, first + (uint32_t)i);
	out_printf(pdf, " >> >>\n/Contents %u 0 R >>\nendobj\n", contents);
	pdf->pages[pdf->n_pages++] = page;
	return out_status(pdf, err);
}

/* ---- text strings ---- */

static int is_plain_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 || *p > 0x7e) && *p != '\t' && *p != '\n' &&
		    *p != '\r')
			return 0;
	return 1;
}

/* A text string: a literal when ASCII (the same in PDFDocEncoding), else
 * UTF-16BE with a byte order mark, in hex.  s is checked UTF-8. */
static void out_text(kho_pdf *pdf, const char *s)
{
	if (is_plain_ascii(s)) {
		out_str(pdf, "(");
		for (const char *p = s; *p; p++) {
			const char *esc = NULL;
			switch (*p) {
			case '(':
				esc = "\\(";
				break;
			case ')':
				esc = "\\)";
				break;
			case '\\':
				esc = "\\\\";
				break;
			case '\n':
				esc = "\\n";
				break;
			case '\r':
				esc = "\\r";
				break;
			case '\t':
				esc = "\\t";
				break;
			}
			if (esc)
				out_str(pdf, esc);
			else
				out_bytes(pdf, p, 1);
		}
		out_str(pdf, ")");
		return;
	}
	out_str(pdf, "<FEFF");
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t c = 0;
		const size_t n = kho_pdf_utf8_next(p, &c);
		assert(n > 0);
		p += n;
		if (c >= 0x10000) {
			c -= 0x10000;
			out_printf(pdf, "%04X%04X", 0xd800u + (c >> 10),
				   0xdc00u + (c & 0x3ffu));
		} else {
			out_printf(pdf, "%04X", (unsigned)c);
		}
	}
	out_str(pdf, ">");
}

/* ---- begin, finish ---- */

static void pdf_free(kho_pdf *pdf)
{
	if (!pdf)
		return;
	EVP_MD_CTX_free(pdf->digest);
	free(pdf->offsets);
	free(pdf->pages);
	free(pdf);
}

void kho_pdf_abandon(kho_pdf *pdf)
{
	pdf_free(pdf);
}

int kho_pdf_begin(kho_pdf **out, FILE *stream, kho_error *err)
{
	assert(out && stream);
	*out = NULL;
	kho_pdf *const pdf = calloc(1, sizeof(*pdf));
	if (!pdf)
		return kho_error_set(err, KHO_FATAL,
				     "cannot start the PDF: out of memory");
	pdf->stream = stream;
	pdf->digest = EVP_MD_CTX_new();
	if (!pdf->digest ||
	    EVP_DigestInit_ex(pdf->digest, EVP_sha256(), NULL) != 1) {
		pdf_free(pdf);
		return kho_error_set(err, KHO_FATAL,
				     "cannot start the PDF: SHA-256 is not "
				     "available");
	}
	if (obj_reserve(pdf, 1) != PAGES_OBJ) {
		pdf_free(pdf);
		return kho_error_set(err, KHO_FATAL,
				     "cannot start the PDF: out of memory");
	}
	/* The second line's bytes above 127 tell transfer programs that the
	 * file is binary (PDF/A-2 6.1.2). */
	out_str(pdf, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
	const int rc = out_status(pdf, err);
	if (rc) {
		pdf_free(pdf);
		return rc;
	}
	*out = pdf;
	return 0;
}

static void count_put(void *ctx, const char *s, size_t n)
{
	(void)s;
	*(size_t *)ctx += n;
}

static void out_put(void *ctx, const char *s, size_t n)
{
	out_bytes(ctx, s, n);
}

static void write_info_entry(kho_pdf *pdf, const char *key, const char *text)
{
	if (!text)
		return;
	out_printf(pdf, "/%s ", key);
	out_text(pdf, text);
	out_str(pdf, "\n");
}

static void write_tail(kho_pdf *pdf, const kho_pdf_meta *m, const char *date,
		       const uint8_t *icc, size_t icc_size)
{
	obj_start(pdf, PAGES_OBJ);
	out_str(pdf, "<< /Type /Pages /Kids [");
	for (uint32_t i = 0; i < pdf->n_pages; i++)
		out_printf(pdf, "%s%u 0 R", i % 8 ? " " : "\n", pdf->pages[i]);
	out_printf(pdf, "\n] /Count %u >>\nendobj\n", pdf->n_pages);

	const uint32_t first = obj_reserve(pdf, 4);
	if (!first) {
		out_fail(pdf, ENOMEM);
		return;
	}
	const uint32_t meta_obj = first, icc_obj = first + 1;
	const uint32_t catalog = first + 2, info = first + 3;

	/* The XMP packet goes out twice, measured for /Length and then
	 * written, so that it is never held. */
	size_t xmp_size = 0;
	kho_pdf_xmp_emit(m, count_put, &xmp_size);
	obj_start(pdf, meta_obj);
	out_printf(pdf, "<< /Type /Metadata /Subtype /XML /Length %zu >>\n",
		   xmp_size);
	out_str(pdf, "stream\n");
	const uint64_t xmp_start = pdf->pos;
	kho_pdf_xmp_emit(m, out_put, pdf);
	assert(pdf->pos - xmp_start == xmp_size);
	(void)xmp_start;
	out_str(pdf, "\nendstream\nendobj\n");

	obj_start(pdf, icc_obj);
	out_printf(pdf, "<< /N 3 /Length %zu >>\n", icc_size);
	obj_stream_end(pdf, icc, icc_size);

	obj_start(pdf, catalog);
	out_printf(pdf,
		   "<< /Type /Catalog /Pages %u 0 R /Metadata %u 0 R\n"
		   "/OutputIntents [ << /Type /OutputIntent /S /GTS_PDFA1\n"
		   "/OutputConditionIdentifier (sRGB IEC61966-2.1)\n"
		   "/RegistryName (http://www.color.org)\n"
		   "/Info (sRGB IEC61966-2.1) /DestOutputProfile %u 0 R >> ]"
		   " >>\nendobj\n",
		   PAGES_OBJ, meta_obj, icc_obj);

	obj_start(pdf, info);
	out_str(pdf, "<<\n");
	write_info_entry(pdf, "Title", m->title);
	write_info_entry(pdf, "Author", m->author);
	write_info_entry(pdf, "Subject", m->subject);
	write_info_entry(pdf, "Keywords", m->keywords);
	write_info_entry(pdf, "Creator", m->creator);
	write_info_entry(pdf, "Producer", m->producer);
	for (size_t i = 0; i < m->n_props; i++) {
		char key[80];
		snprintf(key, sizeof(key), "Kho%s", m->props[i].name);
		write_info_entry(pdf, key, m->props[i].value);
	}
	if (date[0])
		out_printf(pdf, "/CreationDate (%s)\n/ModDate (%s)\n", date,
			   date);
	out_str(pdf, ">>\nendobj\n");

	const uint64_t xref = pdf->pos;
	out_printf(pdf, "xref\n0 %u\n0000000000 65535 f\r\n",
		   pdf->n_objects + 1);
	for (uint32_t n = 1; n <= pdf->n_objects; n++) {
		assert(pdf->offsets[n] != 0);
		out_printf(pdf, "%010llu 00000 n\r\n",
			   (unsigned long long)pdf->offsets[n]);
	}

	/* The identifier is a digest of the content, so that the same input
	 * gives the same file. */
	out_flush(pdf);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	pdf->digest_done = 1;
	if (EVP_DigestFinal_ex(pdf->digest, md, &md_len) != 1 || md_len < 16) {
		out_fail(pdf, EIO);
		return;
	}
	char id[33];
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", md[i]);
	out_printf(pdf,
		   "trailer\n<< /Size %u /Root %u 0 R /Info %u 0 R"
		   " /ID [<%s> <%s>] >>\nstartxref\n%llu\n%%%%EOF\n",
		   pdf->n_objects + 1, catalog, info, id, id,
		   (unsigned long long)xref);
	out_flush(pdf);
	/* The caller fsyncs; a full disk often shows only here. */
	errno = 0;
	if (fflush(pdf->stream) != 0 || ferror(pdf->stream))
		out_fail(pdf, errno);
}

int kho_pdf_finish(kho_pdf *pdf, const kho_pdf_meta *meta, kho_error *err)
{
	assert(pdf);
	static const kho_pdf_meta none = {0};
	const kho_pdf_meta *const m = meta ? meta : &none;
	char date[KHO_PDF_DATE_MAX];
	uint8_t *icc = NULL;
	size_t icc_size = 0;

	int rc = out_status(pdf, err);
	if (!rc && pdf->n_pages == 0)
		rc = kho_error_set(err, KHO_FAIL,
				   "cannot finish the PDF: it has no page");
	if (!rc)
		rc = kho_pdf_meta_check(m, date, err);
	if (!rc)
		rc = kho_pdf_srgb_profile(&icc, &icc_size, err);
	if (!rc) {
		write_tail(pdf, m, date, icc, icc_size);
		rc = out_status(pdf, err);
	}
	free(icc);
	pdf_free(pdf);
	return rc;
}
