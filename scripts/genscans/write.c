/*
 * Encoders: JPEG through TurboJPEG (with the JFIF density patched in), PNG
 * through libpng (with pHYs), TIFF through libtiff (every compression and
 * layout the ingest stage must read). Output depends on nothing but the
 * pixels and options: no dates, no host names.
 */
#include "genscans.h"

#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <turbojpeg.h>

int gs_jpeg_encode(const struct gs_image *im, int dpi, int quality, int s444,
		   struct gs_buf *out, char *err, size_t errlen)
{
	tjhandle tj = tjInitCompress();
	unsigned char *jpg = NULL;
	unsigned long len = 0;

	if (!tj) {
		snprintf(err, errlen, "cannot start TurboJPEG");
		return -1;
	}
	const int pf = im->nch == 1 ? TJPF_GRAY : TJPF_RGB;
	const int ss = im->nch == 1 ? TJSAMP_GRAY
		       : s444	    ? TJSAMP_444
				    : TJSAMP_420;
	if (tjCompress2(tj, im->px, im->w, 0, im->h, pf, &jpg, &len, ss,
			quality, 0)) {
		snprintf(err, errlen, "cannot encode JPEG: %s",
			 tjGetErrorStr2(tj));
		tjDestroy(tj);
		return -1;
	}
	tjDestroy(tj);
	/* SOI, APP0 "JFIF\0", version, then units and densities (13..17). */
	if (len < 20 || jpg[2] != 0xff || jpg[3] != 0xe0 ||
	    memcmp(jpg + 6, "JFIF", 5) != 0) {
		tjFree(jpg);
		snprintf(err, errlen, "TurboJPEG wrote no JFIF header");
		return -1;
	}
	jpg[13] = 1; /* dots per inch */
	jpg[14] = (unsigned char)(dpi >> 8);
	jpg[15] = (unsigned char)dpi;
	jpg[16] = (unsigned char)(dpi >> 8);
	jpg[17] = (unsigned char)dpi;
	const int rc = gs_buf_add(out, jpg, len);
	tjFree(jpg);
	if (rc)
		snprintf(err, errlen, "out of memory");
	return rc;
}

struct png_ctx {
	struct gs_buf *out;
	int failed;
	char msg[200];
};

static void png_write_cb(png_structp png, png_bytep data, size_t len)
{
	struct png_ctx *c = png_get_io_ptr(png);

	if (gs_buf_add(c->out, data, len))
		c->failed = 1;
}

static void png_flush_cb(png_structp png)
{
	(void)png;
}

static void png_error_cb(png_structp png, png_const_charp msg)
{
	struct png_ctx *c = png_get_error_ptr(png);

	snprintf(c->msg, sizeof(c->msg), "%s", msg);
	png_longjmp(png, 1);
}

static void png_warning_cb(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

int gs_png_encode(const struct gs_image *im, int bitonal, int bits16, int dpi,
		  struct gs_buf *out, char *err, size_t errlen)
{
	struct png_ctx ctx = {out, 0, ""};
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx,
						  png_error_cb, png_warning_cb);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	const size_t rowlen =
		bitonal ? ((size_t)im->w + 7) / 8
			: (size_t)im->w * im->nch * (bits16 ? 2 : 1);
	unsigned char *volatile row = malloc(rowlen);

	if (!png || !info || !row) {
		png_destroy_write_struct(&png, &info);
		free(row);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(row);
		snprintf(err, errlen, "cannot encode PNG: %s", ctx.msg);
		return -1;
	}
	png_set_write_fn(png, &ctx, png_write_cb, png_flush_cb);
	const int type =
		im->nch == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY;
	png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h,
		     bitonal  ? 1
		     : bits16 ? 16
			      : 8,
		     type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	const png_uint_32 ppm = (png_uint_32)lround(dpi / 0.0254);
	png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
	png_set_compression_level(png, 1);
	png_set_filter(png, 0, bitonal ? PNG_FILTER_NONE : PNG_FILTER_SUB);
	png_write_info(png, info);
	for (int y = 0; y < im->h; y++) {
		const uint8_t *src = im->px + (size_t)y * im->w * im->nch;
		if (bitonal) {
			memset(row, 0, rowlen);
			for (int x = 0; x < im->w; x++)
				if (src[x])
					row[x >> 3] |= (unsigned char)(0x80 >>
								       (x & 7));
		} else if (bits16) {
			for (size_t i = 0; i < (size_t)im->w * im->nch; i++)
				row[2 * i] = row[2 * i + 1] = src[i];
		} else {
			memcpy(row, src, rowlen);
		}
		png_write_row(png, row);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	if (ctx.failed) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

struct gs_tiff {
	TIFF *tif;
	int failed;
	char msg[GS_ERRLEN];
};

/* The format attribute lets -Wformat=2 follow libtiff's format string
 * through it. */
static int tiff_error_cb(TIFF *tif, void *user, const char *module,
			 const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static int tiff_error_cb(TIFF *tif, void *user, const char *module,
			 const char *fmt, va_list ap)
{
	struct gs_tiff *t = user;
	char text[400];

	(void)tif;
	if (!t->failed) {
		vsnprintf(text, sizeof(text), fmt, ap);
		snprintf(t->msg, sizeof(t->msg), "%s: %s",
			 module ? module : "libtiff", text);
	}
	t->failed = 1;
	return 1;
}

static int tiff_warning_cb(TIFF *tif, void *user, const char *module,
			   const char *fmt, va_list ap)
{
	(void)tif, (void)user, (void)module, (void)fmt, (void)ap;
	return 1;
}

int gs_tiff_open(struct gs_tiff **out, const char *path, char *err,
		 size_t errlen)
{
	struct gs_tiff *t = calloc(1, sizeof(*t));
	TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();

	*out = NULL;
	if (!t || !opts) {
		free(t);
		TIFFOpenOptionsFree(opts);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	TIFFOpenOptionsSetErrorHandlerExtR(opts, tiff_error_cb, t);
	TIFFOpenOptionsSetWarningHandlerExtR(opts, tiff_warning_cb, t);
	t->tif = TIFFOpenExt(path, "w", opts);
	TIFFOpenOptionsFree(opts);
	if (!t->tif) {
		snprintf(err, errlen, "cannot create '%s': %s", path,
			 t->msg[0] ? t->msg : "TIFFOpen failed");
		free(t);
		return -1;
	}
	*out = t;
	return 0;
}

/* Packs one row: bitonal to bits, 16-bit grey widened, else copied. */
static void tiff_row(const struct gs_image *im, int y, int bitonal,
		     int miniswhite, int bits16, uint8_t *dst, size_t len)
{
	const uint8_t *src = im->px + (size_t)y * im->w * im->nch;

	if (bitonal) {
		memset(dst, 0, len);
		for (int x = 0; x < im->w; x++)
			if ((src[x] == 0) == (miniswhite != 0))
				dst[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
	} else if (bits16) {
		uint16_t *d = (uint16_t *)(void *)dst;
		for (int x = 0; x < im->w; x++)
			d[x] = (uint16_t)(src[x] * 257);
	} else {
		memcpy(dst, src, len);
	}
}

int gs_tiff_page(struct gs_tiff *t, const struct gs_image *disp, int bitonal,
		 int dpi, const struct gs_tiff_opts *o, int page, int npages)
{
	static const int comps[] = {
		COMPRESSION_NONE,	   COMPRESSION_LZW,
		COMPRESSION_ADOBE_DEFLATE, COMPRESSION_PACKBITS,
		COMPRESSION_JPEG,	   COMPRESSION_CCITTFAX3,
		COMPRESSION_CCITTFAX4};
	struct gs_image raw = GS_IMAGE_INIT;
	const struct gs_image *im = disp;
	TIFF *tif = t->tif;

	if (t->failed)
		return -1;
	/* The Orientation tag says how to turn the stored rows for display;
	 * store the displayed page turned the other way. */
	if (o->orientation == 3 || o->orientation == 6 || o->orientation == 8) {
		const int cw = o->orientation == 3   ? 180
			       : o->orientation == 6 ? 270
						     : 90;
		if (gs_image_rotate(disp, cw, &raw)) {
			snprintf(t->msg, sizeof(t->msg), "out of memory");
			t->failed = 1;
			return -1;
		}
		im = &raw;
	}
	const int bits16 = !bitonal && im->nch == 1 && o->bits16;
	const int bps = bitonal ? 1 : bits16 ? 16 : 8;
	const int comp = comps[o->comp];
	const int jpeg = comp == COMPRESSION_JPEG;

	TIFFSetField(tif, TIFFTAG_SUBFILETYPE, npages > 1 ? FILETYPE_PAGE : 0);
	TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)im->w);
	TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)im->h);
	TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)im->nch);
	TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (uint16_t)bps);
	TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	TIFFSetField(tif, TIFFTAG_COMPRESSION, (uint16_t)comp);
	if (bitonal)
		TIFFSetField(tif, TIFFTAG_PHOTOMETRIC,
			     o->miniswhite ? PHOTOMETRIC_MINISWHITE
					   : PHOTOMETRIC_MINISBLACK);
	else if (im->nch == 1)
		TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
	else
		TIFFSetField(tif, TIFFTAG_PHOTOMETRIC,
			     jpeg ? PHOTOMETRIC_YCBCR : PHOTOMETRIC_RGB);
	if (jpeg) {
		TIFFSetField(tif, TIFFTAG_JPEGQUALITY, o->quality);
		if (im->nch == 3)
			TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE,
				     JPEGCOLORMODE_RGB);
	}
	if (comp == COMPRESSION_LZW || comp == COMPRESSION_ADOBE_DEFLATE)
		TIFFSetField(tif, TIFFTAG_PREDICTOR,
			     o->predictor ? PREDICTOR_HORIZONTAL
					  : PREDICTOR_NONE);
	if (comp == COMPRESSION_ADOBE_DEFLATE)
		TIFFSetField(tif, TIFFTAG_ZIPQUALITY, 1);
	if (comp == COMPRESSION_CCITTFAX3)
		TIFFSetField(tif, TIFFTAG_GROUP3OPTIONS,
			     (uint32_t)GROUP3OPT_2DENCODING);
	const float res = (float)(o->res_cm ? dpi / 2.54 : dpi);
	TIFFSetField(tif, TIFFTAG_XRESOLUTION, res);
	TIFFSetField(tif, TIFFTAG_YRESOLUTION, res);
	TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT,
		     o->res_cm ? RESUNIT_CENTIMETER : RESUNIT_INCH);
	if (o->orientation)
		TIFFSetField(tif, TIFFTAG_ORIENTATION,
			     (uint16_t)o->orientation);
	if (npages > 1)
		TIFFSetField(tif, TIFFTAG_PAGENUMBER, (uint16_t)(page - 1),
			     (uint16_t)npages);
	TIFFSetField(tif, TIFFTAG_SOFTWARE, "kho-genscans");

	const size_t rowlen = bitonal ? ((size_t)im->w + 7) / 8
				      : (size_t)im->w * im->nch * (bps / 8);
	uint8_t *buf = NULL;
	if (o->tiled && !bitonal) {
		const int ts = 256;
		TIFFSetField(tif, TIFFTAG_TILEWIDTH, (uint32_t)ts);
		TIFFSetField(tif, TIFFTAG_TILELENGTH, (uint32_t)ts);
		const size_t px = (size_t)im->nch * (bps / 8);
		const size_t tlen = (size_t)ts * ts * px;
		uint8_t *row = malloc(rowlen);
		buf = malloc(tlen);
		for (int ty = 0; buf && row && ty < im->h && !t->failed;
		     ty += ts)
			for (int tx = 0; tx < im->w && !t->failed; tx += ts) {
				memset(buf, 0, tlen);
				for (int y = ty; y < ty + ts && y < im->h;
				     y++) {
					tiff_row(im, y, 0, 0, bits16, row,
						 rowlen);
					const int n = im->w - tx < ts
							      ? im->w - tx
							      : ts;
					memcpy(buf + (size_t)(y - ty) * ts * px,
					       row + (size_t)tx * px,
					       (size_t)n * px);
				}
				if (TIFFWriteEncodedTile(
					    tif,
					    TIFFComputeTile(tif, (uint32_t)tx,
							    (uint32_t)ty, 0, 0),
					    buf, (tmsize_t)tlen) < 0)
					t->failed = 1;
			}
		if (!row && !t->failed) {
			snprintf(t->msg, sizeof(t->msg), "out of memory");
			t->failed = 1;
		}
		free(row);
	} else {
		/* JPEG strips hold whole MCU rows; G4 often one strip. */
		int rps = jpeg ? 64 : bitonal ? 256 : 48;
		if (comp == COMPRESSION_CCITTFAX4)
			rps = im->h;
		TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)rps);
		buf = malloc(rowlen * (size_t)rps);
		for (int s = 0; buf && s * rps < im->h && !t->failed; s++) {
			const int y0 = s * rps;
			const int n = im->h - y0 < rps ? im->h - y0 : rps;
			for (int y = 0; y < n; y++)
				tiff_row(im, y0 + y, bitonal, o->miniswhite,
					 bits16, buf + (size_t)y * rowlen,
					 rowlen);
			if (TIFFWriteEncodedStrip(tif, (uint32_t)s, buf,
						  (tmsize_t)(rowlen * n)) < 0)
				t->failed = 1;
		}
	}
	if (!buf && !t->failed) {
		snprintf(t->msg, sizeof(t->msg), "out of memory");
		t->failed = 1;
	}
	free(buf);
	gs_image_release(&raw);
	if (!t->failed && !TIFFWriteDirectory(tif))
		t->failed = 1;
	if (t->failed && !t->msg[0])
		snprintf(t->msg, sizeof(t->msg), "cannot write TIFF page %d",
			 page);
	return t->failed ? -1 : 0;
}

int gs_tiff_close(struct gs_tiff *t, char *err, size_t errlen)
{
	if (!t)
		return 0;
	TIFFClose(t->tif);
	const int rc = t->failed ? -1 : 0;
	if (rc)
		snprintf(err, errlen, "%s", t->msg);
	free(t);
	return rc;
}
