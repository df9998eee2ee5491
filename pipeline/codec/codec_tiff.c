#include "common/internal.h"
#define KHO_CODEC_IMPL
#include "codec/codec_tiff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * TIFF through libtiff 4.5, read from memory.  Errors and warnings go to
 * per-handle functions (TIFFOpenOptions), never to libtiff's process-wide
 * handlers, and every allocation libtiff makes is capped.
 *
 * The common layouts (what scanners write) are decoded natively, strip by
 * strip or by rows of tiles.  What libtiff can read but those paths do not
 * (old JPEG, uncompressed YCbCr, LogLuv, CIE Lab) goes through
 * TIFFRGBAImage, which holds the page in memory.
 */

/* libtiff puts the name given to TIFFClientOpen into some messages; kho's
 * messages never name the file, so this one is taken out again. */
static const char tiff_name[] = "kho-tiff";

int kho_tiff_bid(const uint8_t *d, size_t n)
{
	if (n < 8)
		return 0;
	const int le = d[0] == 'I' && d[1] == 'I';
	const int be = d[0] == 'M' && d[1] == 'M';
	if (!le && !be)
		return 0;
	const uint16_t version = kho_get16(d + 2, be);
	if (version == 42)
		return 100;
	/* BigTIFF: offset size 8, then a zero. */
	if (version == 43 && kho_get16(d + 4, be) == 8 &&
	    kho_get16(d + 6, be) == 0)
		return 100;
	return 0;
}

/* ---- memory I/O for TIFFClientOpenExt ---- */

static tmsize_t mem_read(thandle_t h, void *buf, tmsize_t n)
{
	struct kho_tiff_state *st = (struct kho_tiff_state *)h;
	if (n <= 0 || st->pos >= st->size)
		return 0;
	const uint64_t left = st->size - st->pos;
	const uint64_t take = KHO_MIN((uint64_t)n, left);
	memcpy(buf, st->data + st->pos, (size_t)take);
	st->pos += take;
	return (tmsize_t)take;
}

static tmsize_t mem_write(thandle_t h, void *buf, tmsize_t n)
{
	return -1;
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
	struct kho_tiff_state *st = (struct kho_tiff_state *)h;
	uint64_t base;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = st->pos;
		break;
	case SEEK_END:
		base = st->size;
		break;
	default:
		return (toff_t)-1;
	}
	/* Past the end is allowed, as with a file; reads there return 0. */
	if (off > UINT64_MAX - base)
		return (toff_t)-1;
	st->pos = base + off;
	return st->pos;
}

static int mem_close(thandle_t h)
{
	return 0;
}

static toff_t mem_size(thandle_t h)
{
	return ((struct kho_tiff_state *)h)->size;
}

/* libtiff reads strips straight from the caller's bytes, as it does from
 * a read-only mmap: it never writes into a mapping. */
static int mem_map(thandle_t h, void **base, toff_t *size)
{
	struct kho_tiff_state *st = (struct kho_tiff_state *)h;
	*base = (void *)(uintptr_t)st->data;
	*size = st->size;
	return 1;
}

static void mem_unmap(thandle_t h, void *base, toff_t size)
{
}

/* ---- per-handle messages ---- */

/* The format attributes let -Wformat=2 follow libtiff's format strings
 * through these functions. */
static void keep_message(struct kho_tiff_state *st, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static int on_error(TIFF *tif, void *user, const char *module, const char *fmt,
		    va_list ap) __attribute__((format(printf, 4, 0)));
static int on_warning(TIFF *tif, void *user, const char *module,
		      const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void keep_message(struct kho_tiff_state *st, const char *fmt, va_list ap)
{
	if (st->failed)
		return;
	st->failed = 1;
	char buf[KHO_ERROR_MSG_MAX];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	const char *text = buf;
	const size_t n = strlen(tiff_name);
	if (strncmp(text, tiff_name, n) == 0 && text[n] == ':')
		text += n + 1;
	while (*text == ' ')
		text++;
	snprintf(st->msg, sizeof(st->msg), "%s", text);
	kho_codec_tidy_message(st->msg);
}

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt,
		    va_list ap)
{
	keep_message(user, fmt, ap);
	return 1; /* handled: libtiff's global handler stays silent */
}

/*
 * Warnings do not fail a page, except the ones that say pixels were lost
 * or made up while decoding: a fax line cut short (libtiff pads it) and
 * any libjpeg warning inside a JPEG strip (libjpeg pads with grey).
 */
static int on_warning(TIFF *tif, void *user, const char *module,
		      const char *fmt, va_list ap)
{
	struct kho_tiff_state *st = user;
	if (!st->decoding || !module)
		return 1;
	const int fax = strncmp(module, "Fax", 3) == 0 &&
			(strncmp(fmt, "Premature EO", 12) == 0 ||
			 strstr(fmt, "at line") != NULL);
	const int jpeg = strcmp(module, "JPEGLib") == 0;
	if (fax || jpeg)
		keep_message(st, fmt, ap);
	return 1;
}

/* ---- the directory chain ---- */

/* The offset of the IFD that follows the one at off, read from the bytes
 * themselves: libtiff stops silently (with a warning) at a loop, and this
 * tells a loop from the end of the chain.  UINT64_MAX when unreadable. */
static uint64_t next_ifd(const struct kho_tiff_state *st, uint64_t off)
{
	const uint8_t *d = st->data;
	const int be = d[0] == 'M';
	const int big = kho_get16(d + 2, be) == 43;
	const uint64_t count_size = big ? 8 : 2;
	const uint64_t entry_size = big ? 20 : 12;
	const uint64_t link_size = big ? 8 : 4;
	if (off > st->size || st->size - off < count_size)
		return UINT64_MAX;
	const uint64_t count =
		big ? kho_get64(d + off, be) : kho_get16(d + off, be);
	if (count > (st->size - off - count_size) / entry_size)
		return UINT64_MAX;
	const uint64_t link = off + count_size + count * entry_size;
	if (st->size - link < link_size)
		return UINT64_MAX;
	return big ? kho_get64(d + link, be) : kho_get32(d + link, be);
}

static int count_pages(kho_image_file *file, struct kho_tiff_state *st,
		       kho_error *err)
{
	const uint32_t max = file->limits.max_pages;
	if (max == 0)
		return kho_error_set(err, KHO_FAIL, "more than 0 pages");
	size_t cap = KHO_MIN(max, 4096u);
	uint64_t *offsets = malloc(sizeof(uint64_t) * cap);
	if (!offsets)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	uint32_t pages = 1;
	offsets[0] = TIFFCurrentDirOffset(st->tif);
	int rc = 0;
	for (;;) {
		tiff_reset_message(st);
		if (TIFFReadDirectory(st->tif)) {
			if (pages >= max) {
				rc = kho_error_set(err, KHO_FAIL,
						   "more than %u pages", max);
				break;
			}
			if (pages == cap) {
				cap = KHO_MIN((size_t)max, cap * 2);
				uint64_t *more =
					realloc(offsets, sizeof(*more) * cap);
				if (!more) {
					rc = kho_error_set(err, KHO_FATAL,
							   "out of memory");
					break;
				}
				offsets = more;
			}
			offsets[pages++] = TIFFCurrentDirOffset(st->tif);
			/* Reading a directory reads around it (and a JPEG
			 * page's first strip): let it go every few pages. */
			if (file->map && pages % 8 == 0)
				kho_file_map_drop(file->map, 0,
						  file->map->size);
			continue;
		}
		if (st->failed) {
			rc = kho_error_set(err, KHO_FAIL,
					   "cannot read TIFF directory %u: %s",
					   pages + 1, st->msg);
			break;
		}
		const uint64_t next = next_ifd(st, offsets[pages - 1]);
		if (next == 0)
			break;
		for (uint32_t i = 0; i < pages && rc == 0; i++)
			if (offsets[i] == next)
				rc = kho_error_set(err, KHO_FAIL,
						   "TIFF directory chain loops "
						   "back to page %u",
						   i + 1);
		if (rc == 0)
			rc = kho_error_set(err, KHO_FAIL,
					   "cannot read TIFF directory %u",
					   pages + 1);
		break;
	}
	if (rc == 0) {
		file->pages = pages;
		st->dirs = offsets;
	} else {
		free(offsets);
	}
	return rc;
}

static void tiff_free(void *priv)
{
	struct kho_tiff_state *st = priv;
	if (!st)
		return;
	if (st->tif)
		TIFFClose(st->tif);
	free(st->dirs);
	free(st);
}

static int tiff_open(kho_image_file *file, kho_error *err)
{
	struct kho_tiff_state *st = calloc(1, sizeof(*st));
	if (!st)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	file->priv = st;
	st->data = file->data;
	st->size = file->size;
	st->map = file->map;

	TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
	if (!opts)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	const uint64_t cap =
		KHO_MIN(file->limits.max_alloc_bytes, (uint64_t)INT64_MAX);
	TIFFOpenOptionsSetMaxSingleMemAlloc(opts, (tmsize_t)cap);
	TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, st);
	TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, st);
	st->tif = TIFFClientOpenExt(tiff_name, "r", (thandle_t)st, mem_read,
				    mem_write, mem_seek, mem_close, mem_size,
				    mem_map, mem_unmap, opts);
	TIFFOpenOptionsFree(opts);
	if (!st->tif) {
		const int be = file->data[0] == 'M';
		const int big = kho_get16(file->data + 2, be) == 43;
		const uint64_t first =
			big ? (file->size >= 16 ? kho_get64(file->data + 8, be)
						: 1)
			    : kho_get32(file->data + 4, be);
		if (first == 0)
			return kho_error_set(err, KHO_FAIL,
					     "TIFF file has no pages");
		return kho_error_set(
			err, KHO_FAIL,
			"cannot read the first TIFF directory: %s",
			tiff_message_or(st, "not a valid directory"));
	}
	return count_pages(file, st, err);
}

/* ---- one page: what it holds and how it is decoded ---- */

const char *kho_tiff_compression_name(uint16_t c)
{
	switch (c) {
	case COMPRESSION_NONE:
		return "uncompressed";
	case COMPRESSION_CCITTRLE:
		return "CCITT RLE";
	case COMPRESSION_CCITTFAX3:
		return "CCITT G3";
	case COMPRESSION_CCITTFAX4:
		return "CCITT G4";
	case COMPRESSION_LZW:
		return "LZW";
	case COMPRESSION_OJPEG:
		return "old-style JPEG";
	case COMPRESSION_JPEG:
		return "JPEG";
	case COMPRESSION_ADOBE_DEFLATE:
	case COMPRESSION_DEFLATE:
		return "Deflate";
	case COMPRESSION_PACKBITS:
		return "PackBits";
	case COMPRESSION_JBIG:
		return "JBIG";
	case COMPRESSION_SGILOG:
	case COMPRESSION_SGILOG24:
		return "SGI LogLuv";
	case COMPRESSION_LZMA:
		return "LZMA";
	case COMPRESSION_ZSTD:
		return "Zstandard";
	case COMPRESSION_WEBP:
		return "WebP";
	case COMPRESSION_JXL:
		return "JPEG XL";
	case COMPRESSION_LERC:
		return "LERC";
	default:
		return NULL;
	}
}

static const char *photometric_name(const struct kho_tiff_page *p)
{
	switch (p->photometric) {
	case PHOTOMETRIC_MINISWHITE:
	case PHOTOMETRIC_MINISBLACK:
		return "grey";
	case PHOTOMETRIC_PALETTE:
		return "palette";
	case PHOTOMETRIC_RGB:
		return "RGB";
	case PHOTOMETRIC_SEPARATED:
		return "CMYK";
	case PHOTOMETRIC_YCBCR:
		return "YCbCr";
	case PHOTOMETRIC_CIELAB:
	case PHOTOMETRIC_ICCLAB:
	case PHOTOMETRIC_ITULAB:
		return "Lab";
	case PHOTOMETRIC_LOGL:
		return "LogL";
	case PHOTOMETRIC_LOGLUV:
		return "LogLuv";
	default:
		return "unknown colour";
	}
}

/* Makes the page current; JPEG-compressed YCbCr is then asked for as RGB,
 * which libjpeg converts (the setting does not survive a directory
 * change). */
static int select_page(struct kho_tiff_state *st, uint32_t page, kho_error *err)
{
	tiff_reset_message(st);
	st->decoding = 0;
	/* Always read the directory again, even when it is the current
	 * one: that resets the codec's state after an earlier decode.  By
	 * its offset, found when the pages were counted: walking the chain
	 * from the first page would read every directory before it, for
	 * every page of a long file. */
	if (!(st->dirs ? TIFFSetSubDirectory(st->tif, st->dirs[page])
		       : TIFFSetDirectory(st->tif, (tdir_t)page)))
		return kho_error_set(err, KHO_FAIL,
				     "cannot read TIFF directory: %s",
				     tiff_message_or(st, "unknown error"));
	uint16_t compression = COMPRESSION_NONE, photometric = 0;
	TIFFGetFieldDefaulted(st->tif, TIFFTAG_COMPRESSION, &compression);
	TIFFGetField(st->tif, TIFFTAG_PHOTOMETRIC, &photometric);
	if (compression == COMPRESSION_JPEG &&
	    photometric == PHOTOMETRIC_YCBCR &&
	    !TIFFSetField(st->tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB))
		return kho_error_set(err, KHO_FAIL,
				     "cannot set up JPEG colour conversion: %s",
				     tiff_message_or(st, "unknown error"));
	tiff_reset_message(st);
	return 0;
}

int kho_tiff_refuse(kho_error *err, const char *fmt, ...)
{
	char buf[KHO_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return kho_error_set(err, KHO_FAIL, "unsupported TIFF: %s", buf);
}

/* 8-bit colour maps exist in old files: every entry then fits a byte. */
static int cmap_shift(const uint16_t *const map[3], uint16_t bps)
{
	const uint32_t n = 1u << bps;
	for (uint32_t i = 0; i < n; i++)
		if (map[0][i] > 255 || map[1][i] > 255 || map[2][i] > 255)
			return 8;
	return 0;
}

static int cmap_is_grey(const struct kho_tiff_page *p)
{
	const uint32_t n = 1u << p->bps;
	for (uint32_t i = 0; i < n; i++)
		if ((p->cmap[0][i] >> p->cmap_shift) !=
			    (p->cmap[1][i] >> p->cmap_shift) ||
		    (p->cmap[0][i] >> p->cmap_shift) !=
			    (p->cmap[2][i] >> p->cmap_shift))
			return 0;
	return 1;
}

static int fallback_or_refuse(struct kho_tiff_state *st,
			      struct kho_tiff_page *p, kho_error *err)
{
	char emsg[1024] = "";
	if (!TIFFRGBAImageOK(st->tif, emsg)) {
		kho_codec_tidy_message(emsg);
		return kho_tiff_refuse(err, "%s",
				       emsg[0] ? emsg : "unknown layout");
	}
	tiff_reset_message(st);
	p->path = TIFF_PATH_RGBA;
	p->channels = 3;
	return 0;
}

/* Reads the tags of the current page and decides how to decode it. */
static int describe_page(struct kho_tiff_state *st, struct kho_tiff_page *p,
			 kho_error *err)
{
	TIFF *tif = st->tif;
	memset(p, 0, sizeof(*p));
	p->alpha = -1;
	uint16_t sampleformat = SAMPLEFORMAT_UINT;
	TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &p->width);
	TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &p->height);
	TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &p->bps);
	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &p->spp);
	TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &p->planar);
	TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &p->compression);
	TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &sampleformat);
	if (!TIFFGetFieldDefaulted(tif, TIFFTAG_ORIENTATION, &p->orientation))
		p->orientation = ORIENTATION_TOPLEFT;
	p->tiled = TIFFIsTiled(tif);
	if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &p->photometric))
		/* Fax files often omit it; libtiff's own default. */
		p->photometric = p->bps == 1 ? PHOTOMETRIC_MINISWHITE
					     : PHOTOMETRIC_MINISBLACK;

	if (!TIFFIsCODECConfigured(p->compression)) {
		const char *name = kho_tiff_compression_name(p->compression);
		if (name)
			return kho_tiff_refuse(err, "%s compression", name);
		return kho_tiff_refuse(err, "compression %u", p->compression);
	}
	if (p->spp == 0)
		return kho_tiff_refuse(err, "no samples per pixel");
	/* The pixel limit does not see samples: 60000 extra samples per
	 * pixel made a 64 x 48 page cost as much as 3 billion pixels. */
	if (p->spp > KHO_TIFF_MAX_SAMPLES)
		return kho_tiff_refuse(err, "%u samples per pixel (at most %d)",
				       p->spp, KHO_TIFF_MAX_SAMPLES);
	/* Old JPEG, uncompressed YCbCr, LogLuv, Lab: TIFFRGBAImage knows
	 * them, with their own sample formats. */
	if (p->compression == COMPRESSION_OJPEG ||
	    (p->photometric == PHOTOMETRIC_YCBCR &&
	     p->compression != COMPRESSION_JPEG) ||
	    (p->photometric != PHOTOMETRIC_MINISWHITE &&
	     p->photometric != PHOTOMETRIC_MINISBLACK &&
	     p->photometric != PHOTOMETRIC_PALETTE &&
	     p->photometric != PHOTOMETRIC_RGB &&
	     p->photometric != PHOTOMETRIC_SEPARATED &&
	     p->photometric != PHOTOMETRIC_YCBCR))
		return fallback_or_refuse(st, p, err);
	if (sampleformat == SAMPLEFORMAT_IEEEFP ||
	    sampleformat == SAMPLEFORMAT_COMPLEXIEEEFP)
		return kho_tiff_refuse(err, "%u-bit floating point samples",
				       p->bps);
	if (sampleformat == SAMPLEFORMAT_INT ||
	    sampleformat == SAMPLEFORMAT_COMPLEXINT)
		return kho_tiff_refuse(err, "%u-bit signed integer samples",
				       p->bps);

	const int bits_ok = p->bps == 1 || p->bps == 2 || p->bps == 4 ||
			    p->bps == 8 || p->bps == 16;
	switch (p->photometric) {
	case PHOTOMETRIC_MINISWHITE:
	case PHOTOMETRIC_MINISBLACK:
		p->color = 1;
		p->channels = 1;
		break;
	case PHOTOMETRIC_PALETTE:
		p->color = 1;
		if (p->bps > 8 || !bits_ok)
			return kho_tiff_refuse(err, "%u-bit palette", p->bps);
		uint16_t *r, *g, *b;
		if (!TIFFGetField(tif, TIFFTAG_COLORMAP, &r, &g, &b))
			return kho_error_set(err, KHO_FAIL,
					     "palette TIFF without a colour "
					     "map");
		p->cmap[0] = r;
		p->cmap[1] = g;
		p->cmap[2] = b;
		p->cmap_shift = cmap_shift(p->cmap, p->bps);
		p->channels = cmap_is_grey(p) ? 1 : 3;
		break;
	case PHOTOMETRIC_RGB:
		p->color = 3;
		p->channels = 3;
		break;
	case PHOTOMETRIC_SEPARATED: {
		uint16_t inkset = INKSET_CMYK;
		TIFFGetFieldDefaulted(tif, TIFFTAG_INKSET, &inkset);
		if (inkset != INKSET_CMYK || p->spp < 4)
			return kho_tiff_refuse(err,
					       "%u-ink separated colour (not "
					       "CMYK)",
					       p->spp);
		if (p->bps != 8 && p->bps != 16)
			return kho_tiff_refuse(err, "%u-bit CMYK", p->bps);
		p->color = 4;
		p->channels = 3;
		break;
	}
	default: /* YCbCr in JPEG: libjpeg hands over RGB (select_page) */
		p->color = 3;
		p->channels = 3;
		break;
	}
	if (!bits_ok)
		return kho_tiff_refuse(err, "%u-bit %s samples", p->bps,
				       photometric_name(p));
	if (p->spp < p->color)
		return kho_tiff_refuse(err, "%u samples per pixel for %s",
				       p->spp, photometric_name(p));
	if (p->spp > p->color) {
		uint16_t n = 0;
		uint16_t *types = NULL;
		if (TIFFGetField(tif, TIFFTAG_EXTRASAMPLES, &n, &types) &&
		    n > 0 && types &&
		    (types[0] == EXTRASAMPLE_ASSOCALPHA ||
		     types[0] == EXTRASAMPLE_UNASSALPHA)) {
			p->alpha = p->color;
			p->assoc = types[0] == EXTRASAMPLE_ASSOCALPHA;
		}
	}
	p->path = TIFF_PATH_NATIVE;
	return 0;
}

static int tiff_page_info(kho_image_file *file, uint32_t page,
			  kho_page_info *info, kho_error *err)
{
	struct kho_tiff_state *st = file->priv;
	int rc = select_page(st, page, err);
	if (rc < 0)
		return rc;
	struct kho_tiff_page p;
	TIFF *tif = st->tif;
	/* An unsupported page still has a size and a description. */
	kho_error why = KHO_ERROR_INIT;
	const int supported = describe_page(st, &p, &why) == 0;

	info->width = p.width;
	info->height = p.height;
	info->channels = supported ? p.channels : 1;
	info->bits = p.bps;
	info->orientation = p.orientation;

	float xres = 0, yres = 0;
	uint16_t unit = RESUNIT_INCH;
	const int hasx = TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xres);
	const int hasy = TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yres);
	TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
	if (hasx && !hasy)
		yres = xres;
	if (hasy && !hasx)
		xres = yres;
	if ((hasx || hasy) && unit != RESUNIT_NONE) {
		const double f = unit == RESUNIT_CENTIMETER ? 2.54 : 1.0;
		info->xdpi = kho_codec_round_dpi(xres * f);
		info->ydpi = kho_codec_round_dpi(yres * f);
		if (info->xdpi > 0 && info->ydpi > 0)
			info->dpi_source = KHO_DPI_TIFF;
		else
			info->xdpi = info->ydpi = 0;
	}
	uint32_t icc_len = 0;
	void *icc = NULL;
	info->has_icc = TIFFGetField(tif, TIFFTAG_ICCPROFILE, &icc_len, &icc) &&
			icc_len > 0;

	const char *comp = kho_tiff_compression_name(p.compression);
	char comp_buf[32];
	if (!comp) {
		snprintf(comp_buf, sizeof(comp_buf), "compression %u",
			 p.compression);
		comp = comp_buf;
	}
	snprintf(info->description, sizeof(info->description),
		 "TIFF %s, %u-bit %s%s%s, %s", p.tiled ? "tiles" : "strips",
		 p.bps, photometric_name(&p), p.alpha >= 0 ? " + alpha" : "",
		 p.planar == PLANARCONFIG_SEPARATE && p.spp > 1 ? " planar"
								: "",
		 comp);
	tiff_reset_message(st);
	return 0;
}

static int tiff_decode(kho_image_file *file, uint32_t page, unsigned scale,
		       struct kho_scaler *out, kho_error *err)
{
	struct kho_tiff_state *st = file->priv;
	int rc = select_page(st, page, err);
	if (rc < 0)
		return rc;
	struct kho_tiff_page p;
	rc = describe_page(st, &p, err);
	if (rc < 0)
		return rc;
	assert(out->channels == p.channels && out->in_width == p.width);

	st->decoding = 1;
	tiff_reset_message(st);
	if (p.path == TIFF_PATH_RGBA) {
		rc = kho_tiff_decode_rgba(st, &p, out, &file->limits, err);
	} else {
		struct kho_tiff_converter c;
		rc = kho_tiff_converter_init(&c, &p, &file->limits, err);
		if (rc == 0)
			rc = p.tiled ? kho_tiff_decode_tiles(st, &p, &c, out,
							     &file->limits, err)
				     : kho_tiff_decode_strips(st, &p, &c, out,
							      &file->limits,
							      err);
		kho_tiff_converter_release(&c);
	}
	st->decoding = 0;
	return rc;
}

const struct kho_codec_ops kho_tiff_ops = {
	.open = tiff_open,
	.page_info = tiff_page_info,
	.decode = tiff_decode,
	.free = tiff_free,
};
