#include "render/g4_encode.h"

#include <tiffio.h>

/* A growing memory file for libtiff's client interface. */
typedef struct memfile {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t pos;
	int oom;
	char error[256];
} memfile;

static tmsize_t mem_read(thandle_t h, void *p, tmsize_t n)
{
	memfile *m = h;
	size_t avail = m->pos < m->len ? m->len - m->pos : 0;
	size_t k = KHO_MIN((size_t)n, avail);
	memcpy(p, m->buf + m->pos, k);
	m->pos += k;
	return (tmsize_t)k;
}

static tmsize_t mem_write(thandle_t h, void *p, tmsize_t n)
{
	memfile *m = h;
	size_t end = m->pos + (size_t)n;
	if (end > m->cap) {
		size_t cap = KHO_MAX(end, m->cap * 2);
		uint8_t *b = realloc(m->buf, cap);
		if (!b) {
			m->oom = 1;
			return -1;
		}
		m->buf = b;
		m->cap = cap;
	}
	if (m->pos > m->len)
		memset(m->buf + m->len, 0, m->pos - m->len);
	memcpy(m->buf + m->pos, p, (size_t)n);
	m->pos = end;
	m->len = KHO_MAX(m->len, end);
	return n;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
	memfile *m = h;
	if (whence == SEEK_SET)
		m->pos = (size_t)off;
	else if (whence == SEEK_CUR)
		m->pos += (size_t)off;
	else
		m->pos = m->len + (size_t)off;
	return (toff_t)m->pos;
}

static int mem_close(thandle_t h)
{
	(void)h;
	return 0;
}

static toff_t mem_size(thandle_t h)
{
	return (toff_t)((memfile *)h)->len;
}

/* The format attribute lets -Wformat=2 follow libtiff's format string
 * through it. */
static int mem_error(TIFF *tif, void *user, const char *module, const char *fmt,
		     va_list ap) __attribute__((format(printf, 4, 0)));

static int mem_error(TIFF *tif, void *user, const char *module, const char *fmt,
		     va_list ap)
{
	(void)tif;
	(void)module;
	memfile *m = user;
	if (!m->error[0])
		vsnprintf(m->error, sizeof(m->error), fmt, ap);
	return 1;
}

static int mem_warning(TIFF *tif, void *user, const char *module,
		       const char *fmt, va_list ap)
{
	(void)tif;
	(void)user;
	(void)module;
	(void)fmt;
	(void)ap;
	return 1;
}

int kho_g4_encode_bits(const uint8_t *bits, size_t stride, uint32_t w,
		       uint32_t h, uint8_t **data, size_t *size, kho_error *err)
{
	*data = NULL;
	*size = 0;
	assert(stride >= (w + 7) / 8);
	if (w == 0 || h == 0)
		return kho_error_set(err, KHO_FAIL,
				     "cannot encode an empty "
				     "G4 image");
	memfile m = {0};
	TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
	TIFF *tif = NULL;
	if (opts) {
		TIFFOpenOptionsSetErrorHandlerExtR(opts, mem_error, &m);
		TIFFOpenOptionsSetWarningHandlerExtR(opts, mem_warning, &m);
		tif = TIFFClientOpenExt("g4", "w", &m, mem_read, mem_write,
					mem_seek, mem_close, mem_size, NULL,
					NULL, opts);
		TIFFOpenOptionsFree(opts);
	}
	if (!tif)
		return kho_error_set(err, KHO_FATAL,
				     "cannot start the G4 encoder");
	int rc = KHO_OK;
	TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
	TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
	TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, h);
	TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	/* Row by row: the encoder reads the caller's rows in place. */
	for (uint32_t y = 0; rc == KHO_OK && y < h; y++)
		if (TIFFWriteScanline(tif, (void *)(bits + (size_t)y * stride),
				      y, 0) < 0)
			rc = KHO_FAIL;
	if (rc == KHO_OK && !TIFFWriteDirectory(tif))
		rc = KHO_FAIL;
	if (rc)
		kho_error_set(err, m.oom ? KHO_FATAL : KHO_FAIL,
			      "cannot encode G4: %s",
			      m.oom ? "out of memory" : m.error);
	uint64_t *offs = NULL, *counts = NULL;
	if (rc == KHO_OK &&
	    (!TIFFSetDirectory(tif, 0) ||
	     !TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &offs) ||
	     !TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &counts) ||
	     offs[0] + counts[0] > m.len))
		rc = kho_error_set(err, KHO_FAIL,
				   "cannot encode G4: no strip written");
	if (rc == KHO_OK) {
		*data = malloc(counts[0] ? counts[0] : 1);
		if (!*data) {
			rc = kho_error_set(err, KHO_FATAL, "out of memory");
		} else {
			memcpy(*data, m.buf + offs[0], counts[0]);
			*size = counts[0];
		}
	}
	TIFFClose(tif);
	free(m.buf);
	return rc;
}

int kho_g4_encode(const kho_image *grey, int threshold, uint8_t **data,
		  size_t *size, kho_error *err)
{
	*data = NULL;
	*size = 0;
	assert(grey->channels == 1);
	const uint32_t w = grey->width, h = grey->height;
	const size_t row_bytes = (w + 7) / 8;
	uint8_t *bits = calloc(row_bytes, h ? h : 1);
	if (!bits)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *s = grey->pixels + (size_t)y * grey->stride;
		uint8_t *d = bits + (size_t)y * row_bytes;
		for (uint32_t x = 0; x < w; x++)
			if (s[x] < threshold)
				d[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
	}
	const int rc =
		kho_g4_encode_bits(bits, row_bytes, w, h, data, size, err);
	free(bits);
	return rc;
}
