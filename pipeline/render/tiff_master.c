#include "render/tiff_master.h"

#include "pdf/pdf_meta.h"

#include <errno.h>
#include <math.h>
#include <tiffio.h>
#include <unistd.h>

/* Rows per strip: a multiple of 16 (JPEG 4:2:0 MCUs), small enough that a
 * strip's buffer is a few hundred kilobytes. */
#define STRIP_ROWS 64

struct kho_tiff_master {
	TIFF *tif;
	int fd;
	uint64_t pos;
	uint64_t len;
	int quality;
	uint32_t pages;
	const kho_pdf_meta *meta;
	char datetime[20]; /* "YYYY:MM:DD HH:MM:SS", or "" */
	char *xmp;
	size_t xmp_len;
	char error[256];
	int io_errno;
};

/* ---- libtiff's client interface on the caller's descriptor ---- */

static tmsize_t fd_read(thandle_t h, void *buf, tmsize_t n)
{
	kho_tiff_master *m = h;
	const ssize_t got = pread(m->fd, buf, (size_t)n, (off_t)m->pos);
	if (got < 0) {
		m->io_errno = errno;
		return -1;
	}
	m->pos += (uint64_t)got;
	return got;
}

static tmsize_t fd_write(thandle_t h, void *buf, tmsize_t n)
{
	kho_tiff_master *m = h;
	size_t done = 0;
	while (done < (size_t)n) {
		const ssize_t put =
			pwrite(m->fd, (const char *)buf + done,
			       (size_t)n - done, (off_t)(m->pos + done));
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0) {
			m->io_errno = put < 0 ? errno : EIO;
			return -1;
		}
		done += (size_t)put;
	}
	m->pos += done;
	m->len = KHO_MAX(m->len, m->pos);
	return n;
}

static toff_t fd_seek(thandle_t h, toff_t off, int whence)
{
	kho_tiff_master *m = h;
	if (whence == SEEK_SET)
		m->pos = off;
	else if (whence == SEEK_CUR)
		m->pos += off;
	else
		m->pos = m->len + off;
	return m->pos;
}

static int fd_close(thandle_t h)
{
	(void)h;
	return 0; /* the caller owns the descriptor */
}

static toff_t fd_size(thandle_t h)
{
	return ((kho_tiff_master *)h)->len;
}

/* The format attribute lets -Wformat=2 follow libtiff's format string
 * through it. */
static int on_error(TIFF *tif, void *user, const char *module, const char *fmt,
		    va_list ap) __attribute__((format(printf, 4, 0)));

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt,
		    va_list ap)
{
	(void)tif;
	(void)module;
	kho_tiff_master *m = user;
	if (!m->error[0])
		vsnprintf(m->error, sizeof(m->error), fmt, ap);
	return 1;
}

static int on_warning(TIFF *tif, void *user, const char *module,
		      const char *fmt, va_list ap)
{
	(void)tif;
	(void)user;
	(void)module;
	(void)fmt;
	(void)ap;
	return 1;
}

static int failed(kho_tiff_master *m, const char *doing, kho_error *err)
{
	if (m->io_errno)
		return kho_error_set(err,
				     m->io_errno == ENOSPC ||
						     m->io_errno == EDQUOT
					     ? KHO_FATAL
					     : KHO_FAIL,
				     "cannot write the TIFF master: %s",
				     strerror(m->io_errno));
	return kho_error_set(err, KHO_FAIL,
			     "cannot write the TIFF master: %s%s%s", doing,
			     m->error[0] ? ": " : "", m->error);
}

/* ---- metadata ---- */

static void collect_xmp(void *ctx, const char *s, size_t n)
{
	kho_tiff_master *m = ctx;
	if (m->xmp)
		memcpy(m->xmp + m->xmp_len, s, n);
	m->xmp_len += n;
}

int kho_tiff_master_begin(kho_tiff_master **out, int fd, int jpeg_quality,
			  const kho_pdf_meta *meta, kho_error *err)
{
	*out = NULL;
	static const kho_pdf_meta none = {0};
	char date[KHO_PDF_DATE_MAX];
	const kho_pdf_meta *md = meta ? meta : &none;
	int rc = kho_pdf_meta_check(md, date, err);
	if (rc)
		return rc;
	kho_tiff_master *m = calloc(1, sizeof(*m));
	if (!m)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	m->fd = fd;
	m->quality = KHO_MAX(1, KHO_MIN(jpeg_quality, 100));
	m->meta = md;
	if (md->created && strlen(md->created) >= 19)
		snprintf(m->datetime, sizeof(m->datetime),
			 "%.4s:%.2s:%.2s %.8s", md->created, md->created + 5,
			 md->created + 8, md->created + 11);
	/* The XMP packet, measured then written, as the PDF carries it. */
	kho_pdf_xmp_emit(md, collect_xmp, m);
	m->xmp = malloc(m->xmp_len + 1);
	if (m->xmp) {
		m->xmp_len = 0;
		kho_pdf_xmp_emit(md, collect_xmp, m);
	}
	TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
	if (opts && m->xmp) {
		TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, m);
		TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, m);
		m->tif = TIFFClientOpenExt("master.tif", "w", m, fd_read,
					   fd_write, fd_seek, fd_close, fd_size,
					   NULL, NULL, opts);
	}
	TIFFOpenOptionsFree(opts);
	if (!m->tif) {
		rc = m->xmp ? failed(m, "cannot start", err)
			    : kho_error_set(err, KHO_FATAL, "out of memory");
		kho_tiff_master_abandon(m);
		return rc;
	}
	*out = m;
	return KHO_OK;
}

static void set_text(TIFF *tif, uint32_t tag, const char *text)
{
	if (text && text[0])
		TIFFSetField(tif, tag, text);
}

static void set_common(kho_tiff_master *m, const kho_rendered *p, int dpi)
{
	TIFF *tif = m->tif;
	const kho_pdf_meta *md = m->meta;
	TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
	TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, p->width);
	TIFFSetField(tif, TIFFTAG_IMAGELENGTH, p->height);
	TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	TIFFSetField(tif, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
	TIFFSetField(tif, TIFFTAG_XRESOLUTION, (float)dpi);
	TIFFSetField(tif, TIFFTAG_YRESOLUTION, (float)dpi);
	TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	/* The total is not known while pages stream: 0, which TIFF 6.0
	 * allows for "unknown". */
	TIFFSetField(tif, TIFFTAG_PAGENUMBER,
		     (uint16_t)KHO_MIN(m->pages, 65535u), (uint16_t)0);
	set_text(tif, TIFFTAG_DOCUMENTNAME, md->title);
	set_text(tif, TIFFTAG_IMAGEDESCRIPTION, md->subject);
	set_text(tif, TIFFTAG_ARTIST, md->author);
	set_text(tif, TIFFTAG_SOFTWARE, md->producer);
	set_text(tif, TIFFTAG_DATETIME, m->datetime);
	if (m->pages == 0 && m->xmp_len)
		TIFFSetField(tif, TIFFTAG_XMLPACKET, (uint32_t)m->xmp_len,
			     m->xmp);
}

static int write_bitonal(kho_tiff_master *m, const kho_rendered *p)
{
	TIFF *tif = m->tif;
	set_common(m, p, p->dpi);
	TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, p->height);
	for (uint32_t y = 0; y < p->height; y++)
		if (TIFFWriteScanline(tif, p->bits + (size_t)y * p->bits_stride,
				      y, 0) < 0)
			return -1;
	return 0;
}

/* A mixed page's row: the background enlarged bilinearly, the text black
 * over it. */
static void composite_row(const kho_rendered *p, uint32_t y, uint8_t *out)
{
	const kho_image *bg = &p->image;
	const double fy = (y + 0.5) * bg->height / p->height - 0.5;
	const uint32_t y0 = (uint32_t)KHO_MAX(0.0, floor(fy));
	const uint32_t y1 = KHO_MIN(y0 + 1, bg->height - 1);
	const float wy = (float)KHO_MAX(0.0, fy - y0);
	const uint8_t *r0 = bg->pixels + (size_t)y0 * bg->stride;
	const uint8_t *r1 = bg->pixels + (size_t)y1 * bg->stride;
	const uint8_t *bits = p->bits + (size_t)y * p->bits_stride;
	for (uint32_t x = 0; x < p->width; x++) {
		uint8_t *d = out + (size_t)x * 3;
		if (bits[x >> 3] & (0x80u >> (x & 7))) {
			d[0] = d[1] = d[2] = 0;
			continue;
		}
		const double fx = (x + 0.5) * bg->width / p->width - 0.5;
		const uint32_t x0 = (uint32_t)KHO_MAX(0.0, floor(fx));
		const uint32_t x1 = KHO_MIN(x0 + 1, bg->width - 1);
		const float wx = (float)KHO_MAX(0.0, fx - x0);
		for (int c = 0; c < 3; c++) {
			const float top =
				r0[x0 * 3 + c] +
				wx * (r0[x1 * 3 + c] - r0[x0 * 3 + c]);
			const float bot =
				r1[x0 * 3 + c] +
				wx * (r1[x1 * 3 + c] - r1[x0 * 3 + c]);
			d[c] = (uint8_t)(top + wy * (bot - top) + 0.5f);
		}
	}
}

/* A colour page's row back from its planes to RGB (JFIF's inverse, the
 * chroma of each 2 x 2 block shared by its four pixels). */
static void yuv_row(const kho_yuv420 *v, uint32_t y, uint8_t *out)
{
	const uint8_t *Y = v->plane[0] + (size_t)y * v->stride[0];
	const uint8_t *cb = v->plane[1] + (size_t)(y / 2) * v->stride[1];
	const uint8_t *cr = v->plane[2] + (size_t)(y / 2) * v->stride[2];
	for (uint32_t x = 0; x < v->width; x++) {
		const int32_t l = Y[x] << 16, b = cb[x / 2] - 128,
			      r = cr[x / 2] - 128;
		const int32_t c[3] = {l + 91881 * r, l - 22554 * b - 46802 * r,
				      l + 116130 * b};
		for (int k = 0; k < 3; k++) {
			const int32_t q = (c[k] + 32768) >> 16;
			out[3 * x + k] = (uint8_t)(q < 0     ? 0
						   : q > 255 ? 255
							     : q);
		}
	}
}

static int write_jpeg(kho_tiff_master *m, const kho_rendered *p)
{
	TIFF *tif = m->tif;
	const int mixed = p->mode == KHO_MODE_MIXED;
	const int colour = p->yuv.plane[0] != NULL;
	const int channels = mixed || colour ? 3 : p->image.channels;
	set_common(m, p, mixed || colour ? p->dpi : p->image_dpi);
	TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
	TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, channels);
	TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_JPEG);
	TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, STRIP_ROWS);
	if (channels == 3) {
		TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR);
		TIFFSetField(tif, TIFFTAG_YCBCRSUBSAMPLING, 2, 2);
		TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
	} else {
		TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
	}
	TIFFSetField(tif, TIFFTAG_JPEGQUALITY, m->quality);
	uint8_t *row = mixed || colour ? malloc((size_t)p->width * 3) : NULL;
	if ((mixed || colour) && !row)
		return -1;
	int rc = 0;
	for (uint32_t y = 0; rc == 0 && y < p->height; y++) {
		const uint8_t *src;
		if (mixed) {
			composite_row(p, y, row);
			src = row;
		} else if (colour) {
			yuv_row(&p->yuv, y, row);
			src = row;
		} else {
			src = p->image.pixels + (size_t)y * p->image.stride;
		}
		if (TIFFWriteScanline(tif, (void *)src, y, 0) < 0)
			rc = -1;
	}
	free(row);
	return rc;
}

int kho_tiff_master_add_page(kho_tiff_master *m, const kho_rendered *page,
			     kho_error *err)
{
	if (page->width == 0 || page->height == 0)
		return kho_error_set(err, KHO_FAIL,
				     "cannot add an empty page to the TIFF "
				     "master");
	const int rc = page->mode == KHO_MODE_BITONAL ? write_bitonal(m, page)
						      : write_jpeg(m, page);
	if (rc || !TIFFWriteDirectory(m->tif))
		return failed(m, "cannot write a page", err);
	m->pages++;
	return KHO_OK;
}

int kho_tiff_master_finish(kho_tiff_master *m, kho_error *err)
{
	int rc = KHO_OK;
	if (m->pages == 0)
		rc = kho_error_set(err, KHO_FAIL,
				   "cannot finish the TIFF master: no page");
	else if (!TIFFFlush(m->tif) || m->io_errno)
		rc = failed(m, "cannot finish", err);
	kho_tiff_master_abandon(m);
	return rc;
}

void kho_tiff_master_abandon(kho_tiff_master *m)
{
	if (!m)
		return;
	if (m->tif)
		TIFFClose(m->tif);
	free(m->xmp);
	free(m);
}
