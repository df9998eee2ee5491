#include "common/internal.h"
#define KHO_CODEC_IMPL
#include "codec/codec_tiff.h"

#include <stdlib.h>
#include <string.h>

/*
 * The pixels of a TIFF page: samples of 1 to 16 bits unpacked to bytes,
 * turned into grey or RGB rows, strip by strip or one row of tiles at a
 * time, so that no more than a strip (or a row of tiles) is held.
 */

/* ---- native decoding ---- */

/* Unpacks n samples of bps bits into bytes, step bytes apart.  With
 * scale set, values are stretched to 0..255; without, they stay indices
 * (palettes).  16-bit samples are in native order: the high byte stays. */
static void unpack(const uint8_t *src, unsigned bps, size_t n, uint8_t *dst,
		   size_t step, int scale)
{
	size_t i = 0;
	switch (bps) {
	case 8:
		if (step == 1) {
			memcpy(dst, src, n);
			return;
		}
		for (; i < n; i++)
			dst[i * step] = src[i];
		return;
	case 16:
		for (; i < n; i++) {
			uint16_t v;
			memcpy(&v, src + 2 * i, 2);
			dst[i * step] = (uint8_t)(v >> 8);
		}
		return;
	case 1:
		if (scale && step == 1) {
			/* The bitonal hot path: a byte makes eight pixels. */
			for (; i + 8 <= n; i += 8) {
				const uint8_t b = src[i >> 3];
				for (unsigned k = 0; k < 8; k++)
					dst[i + k] = (uint8_t) -
						     ((b >> (7 - k)) & 1);
			}
		}
		for (; i < n; i++) {
			const unsigned v = (src[i >> 3] >> (7 - (i & 7))) & 1;
			dst[i * step] = (uint8_t)(scale ? v * 255 : v);
		}
		return;
	case 2:
		for (; i < n; i++) {
			const unsigned v =
				(src[i >> 2] >> (6 - 2 * (i & 3))) & 3;
			dst[i * step] = (uint8_t)(scale ? v * 85 : v);
		}
		return;
	case 4:
		for (; i < n; i++) {
			const unsigned v =
				(src[i >> 1] >> (i & 1 ? 0 : 4)) & 15;
			dst[i * step] = (uint8_t)(scale ? v * 17 : v);
		}
		return;
	default:
		assert(!"unpack: unsupported bits per sample");
	}
}

static inline uint8_t over_white(unsigned v, unsigned a, int assoc)
{
	if (assoc) {
		const unsigned t = v + 255 - a;
		return (uint8_t)(t > 255 ? 255 : t);
	}
	return (uint8_t)((v * a + 255 * (255 - a) + 127) / 255);
}

/* Turns a row of 8-bit samples into kho's grey or RGB row. */
static void convert_row(struct kho_tiff_converter *c)
{
	const struct kho_tiff_page *p = c->p;
	const uint32_t w = p->width;
	const unsigned spp = p->spp;
	const uint8_t *s = c->samples;
	uint8_t *o = c->out;
	const int a = p->alpha;

	switch (p->photometric) {
	case PHOTOMETRIC_MINISWHITE:
	case PHOTOMETRIC_MINISBLACK: {
		const uint8_t flip =
			p->photometric == PHOTOMETRIC_MINISWHITE ? 255 : 0;
		if (a < 0)
			for (uint32_t x = 0; x < w; x++)
				o[x] = s[(size_t)x * spp] ^ flip;
		else
			for (uint32_t x = 0; x < w; x++, s += spp)
				o[x] = over_white(s[0] ^ flip, s[a], p->assoc);
		return;
	}
	case PHOTOMETRIC_PALETTE:
		if (p->channels == 1)
			for (uint32_t x = 0; x < w; x++)
				o[x] = c->lut[s[(size_t)x * spp]];
		else
			for (uint32_t x = 0; x < w; x++, o += 3) {
				const uint8_t *e =
					c->lut + 3 * s[(size_t)x * spp];
				o[0] = e[0];
				o[1] = e[1];
				o[2] = e[2];
			}
		return;
	case PHOTOMETRIC_SEPARATED:
		for (uint32_t x = 0; x < w; x++, s += spp, o += 3) {
			const unsigned k = 255 - s[3];
			o[0] = (uint8_t)(((255 - s[0]) * k + 127) / 255);
			o[1] = (uint8_t)(((255 - s[1]) * k + 127) / 255);
			o[2] = (uint8_t)(((255 - s[2]) * k + 127) / 255);
			if (a >= 0)
				for (int i = 0; i < 3; i++)
					o[i] = over_white(o[i], s[a], p->assoc);
		}
		return;
	default: /* RGB, and YCbCr that libjpeg made RGB */
		if (a < 0)
			for (uint32_t x = 0; x < w; x++, s += spp, o += 3) {
				o[0] = s[0];
				o[1] = s[1];
				o[2] = s[2];
			}
		else
			for (uint32_t x = 0; x < w; x++, s += spp, o += 3) {
				o[0] = over_white(s[0], s[a], p->assoc);
				o[1] = over_white(s[1], s[a], p->assoc);
				o[2] = over_white(s[2], s[a], p->assoc);
			}
		return;
	}
}

int kho_tiff_converter_init(struct kho_tiff_converter *c,
			    const struct kho_tiff_page *p,
			    const kho_limits *limits, kho_error *err)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	/* Grey without alpha and RGB without extra samples need no
	 * conversion: unpack writes the output row itself. */
	c->direct = p->spp == p->channels &&
		    (p->photometric == PHOTOMETRIC_MINISBLACK ||
		     p->photometric == PHOTOMETRIC_RGB ||
		     p->photometric == PHOTOMETRIC_YCBCR);
	const uint64_t n = (uint64_t)p->width * p->spp;
	int rc = kho_check_alloc(limits, n, "a TIFF row", err);
	if (rc < 0)
		return rc;
	c->samples = malloc(n);
	c->out = c->direct ? c->samples
			   : malloc((size_t)p->width * (size_t)p->channels);
	if (!c->samples || !c->out)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	if (p->photometric == PHOTOMETRIC_PALETTE) {
		const uint32_t n_entries = 1u << p->bps;
		for (uint32_t i = 0; i < n_entries; i++) {
			const int sh = p->cmap_shift;
			const uint8_t r = (uint8_t)(p->cmap[0][i] >> sh);
			const uint8_t g = (uint8_t)(p->cmap[1][i] >> sh);
			const uint8_t b = (uint8_t)(p->cmap[2][i] >> sh);
			if (p->channels == 1) {
				c->lut[i] = r;
			} else {
				c->lut[3 * i] = r;
				c->lut[3 * i + 1] = g;
				c->lut[3 * i + 2] = b;
			}
		}
	}
	return 0;
}

void kho_tiff_converter_release(struct kho_tiff_converter *c)
{
	if (c->out != c->samples)
		free(c->out);
	free(c->samples);
}

/* Places columns [x0, x0 + cols) of one plane's (or the contiguous) row
 * into the sample row. */
static void place(struct kho_tiff_converter *c, const uint8_t *src, uint32_t x0,
		  uint32_t cols, int plane)
{
	const struct kho_tiff_page *p = c->p;
	const int scale = p->photometric != PHOTOMETRIC_PALETTE;
	if (p->planar == PLANARCONFIG_SEPARATE && p->spp > 1)
		unpack(src, p->bps, cols,
		       c->samples + (size_t)x0 * p->spp + plane, p->spp, scale);
	else
		unpack(src, p->bps, (size_t)cols * p->spp,
		       c->samples + (size_t)x0 * p->spp, 1, scale);
}

static int finish_row(struct kho_tiff_converter *c, struct kho_scaler *out,
		      kho_error *err)
{
	if (!c->direct)
		convert_row(c);
	return kho_scaler_push(out, c->out, err);
}

static int planes_of(const struct kho_tiff_page *p)
{
	return p->planar == PLANARCONFIG_SEPARATE ? p->spp : 1;
}

/* The bytes unpack() reads for cols pixels of one stored row (of one
 * plane when planes are separate): what libtiff's sizes must cover. */
static uint64_t row_bytes(const struct kho_tiff_page *p, uint32_t cols)
{
	const uint64_t samples = planes_of(p) > 1 ? 1 : p->spp;
	return ((uint64_t)cols * samples * p->bps + 7) / 8;
}

static int decode_failed(struct kho_tiff_state *st,
			 const struct kho_tiff_page *p, const char *what,
			 uint32_t n, kho_error *err)
{
	if (st->failed && st->msg[0])
		return kho_error_set(err, KHO_FAIL, "cannot decode %s %u: %s",
				     what, n, st->msg);
	/* libtiff sometimes fails without a word. */
	const char *codec = kho_tiff_compression_name(p->compression);
	return kho_error_set(err, KHO_FAIL,
			     "cannot decode %s %u: %s%sdecoding "
			     "error",
			     what, n, codec ? codec : "", codec ? " " : "");
}

/* A mapped file's pages are let go of every few MB of compressed data
 * decoded: a 600 dpi page in one large file costs the worker its strip
 * buffers, not the file. */
static void decoded_raw(struct kho_tiff_state *st, uint64_t bytes)
{
	if (!st->map)
		return;
	st->read_since_drop += bytes;
	if (st->read_since_drop >= (4u << 20)) {
		kho_file_map_drop(st->map, 0, st->map->size);
		st->read_since_drop = 0;
	}
}

int kho_tiff_decode_strips(struct kho_tiff_state *st,
			   const struct kho_tiff_page *p,
			   struct kho_tiff_converter *c, struct kho_scaler *out,
			   const kho_limits *limits, kho_error *err)
{
	TIFF *tif = st->tif;
	uint32_t rps = p->height;
	TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
	if (rps == 0 || rps > p->height)
		rps = p->height;
	const int planes = planes_of(p);
	const uint32_t strips = (p->height - 1) / rps + 1;
	if ((uint64_t)strips * planes > TIFFNumberOfStrips(tif))
		return kho_error_set(err, KHO_FAIL,
				     "TIFF has %u strips, %llu expected",
				     TIFFNumberOfStrips(tif),
				     (unsigned long long)strips * planes);
	const uint64_t line = planes > 1 ? ((uint64_t)p->width * p->bps + 7) / 8
					 : TIFFScanlineSize64(tif);
	if (line < row_bytes(p, p->width))
		return kho_error_set(
			err, KHO_FAIL,
			"TIFF scanline of %llu bytes, %llu needed",
			(unsigned long long)line,
			(unsigned long long)row_bytes(p, p->width));
	int rc = kho_check_alloc3(limits, line, rps, (uint64_t)planes,
				  "a TIFF strip", err);
	if (rc < 0)
		return rc;
	const uint64_t strip_size = line * rps;
	uint8_t *buf = malloc((size_t)(strip_size * planes));
	if (!buf)
		return kho_error_set(err, KHO_FATAL, "out of memory");

	for (uint32_t s = 0; s < strips && rc == 0; s++) {
		const uint32_t rows = KHO_MIN(rps, p->height - s * rps);
		const tmsize_t want = (tmsize_t)(line * rows);
		for (int pl = 0; pl < planes && rc == 0; pl++) {
			const uint32_t strip = s + (uint32_t)pl * strips;
			const tmsize_t got = TIFFReadEncodedStrip(
				tif, strip, buf + (size_t)pl * strip_size,
				want);
			if (got < 0 || st->failed)
				rc = decode_failed(st, p, "strip", strip, err);
			else if (got < want)
				rc = kho_error_set(err, KHO_FAIL,
						   "strip %u is short: %lld "
						   "of %lld bytes",
						   strip, (long long)got,
						   (long long)want);
			decoded_raw(st, TIFFGetStrileByteCount(tif, strip));
		}
		for (uint32_t r = 0; r < rows && rc == 0; r++) {
			for (int pl = 0; pl < planes; pl++)
				place(c,
				      buf + (size_t)pl * strip_size + r * line,
				      0, p->width, pl);
			rc = finish_row(c, out, err);
		}
	}
	free(buf);
	return rc;
}

int kho_tiff_decode_tiles(struct kho_tiff_state *st,
			  const struct kho_tiff_page *p,
			  struct kho_tiff_converter *c, struct kho_scaler *out,
			  const kho_limits *limits, kho_error *err)
{
	TIFF *tif = st->tif;
	uint32_t tw = 0, th = 0;
	TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
	TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
	if (tw == 0 || th == 0)
		return kho_error_set(err, KHO_FAIL,
				     "TIFF tiles of size %u x %u", tw, th);
	const int planes = planes_of(p);
	const uint32_t across = (p->width - 1) / tw + 1;
	const uint64_t tile_size = TIFFTileSize64(tif);
	const uint64_t tile_row = TIFFTileRowSize64(tif);
	if (tile_row < row_bytes(p, tw) || tile_size / th < tile_row)
		return kho_error_set(err, KHO_FAIL,
				     "TIFF tile of %llu bytes for %u x %u "
				     "pixels",
				     (unsigned long long)tile_size, tw, th);
	int rc = kho_check_alloc3(limits, tile_size, across, (uint64_t)planes,
				  "a row of TIFF tiles", err);
	if (rc < 0)
		return rc;
	uint8_t *buf = malloc((size_t)(tile_size * across * planes));
	if (!buf)
		return kho_error_set(err, KHO_FATAL, "out of memory");

	for (uint32_t y = 0; y < p->height && rc == 0; y += th) {
		for (uint32_t t = 0; t < across && rc == 0; t++) {
			for (int pl = 0; pl < planes && rc == 0; pl++) {
				const uint32_t tile = TIFFComputeTile(
					tif, t * tw, y, 0, (uint16_t)pl);
				uint8_t *dst = buf + ((size_t)t * planes + pl) *
							     tile_size;
				const tmsize_t got = TIFFReadEncodedTile(
					tif, tile, dst, (tmsize_t)tile_size);
				if (got < 0 || st->failed)
					rc = decode_failed(st, p, "tile", tile,
							   err);
				else if ((uint64_t)got < tile_size)
					rc = kho_error_set(
						err, KHO_FAIL,
						"tile %u is short: %lld of "
						"%llu bytes",
						tile, (long long)got,
						(unsigned long long)tile_size);
				decoded_raw(st,
					    TIFFGetStrileByteCount(tif, tile));
			}
		}
		const uint32_t rows = KHO_MIN(th, p->height - y);
		for (uint32_t r = 0; r < rows && rc == 0; r++) {
			for (uint32_t t = 0; t < across; t++) {
				const uint32_t cols =
					KHO_MIN(tw, p->width - t * tw);
				for (int pl = 0; pl < planes; pl++)
					place(c,
					      buf +
						      ((size_t)t * planes +
						       pl) * tile_size +
						      r * tile_row,
					      t * tw, cols, pl);
			}
			rc = finish_row(c, out, err);
		}
	}
	free(buf);
	return rc;
}

/* ---- the TIFFRGBAImage fallback ---- */

int kho_tiff_decode_rgba(struct kho_tiff_state *st,
			 const struct kho_tiff_page *p, struct kho_scaler *out,
			 const kho_limits *limits, kho_error *err)
{
	const uint64_t n = (uint64_t)p->width * p->height;
	int rc = kho_check_alloc3(limits, p->width, p->height, 4,
				  "the TIFF page", err);
	if (rc < 0)
		return rc;
	char emsg[1024] = "";
	TIFFRGBAImage img;
	if (!TIFFRGBAImageBegin(&img, st->tif, 1, emsg)) {
		kho_codec_tidy_message(emsg);
		return kho_tiff_refuse(err, "%s", st->failed ? st->msg : emsg);
	}
	/* Rows in stored order: asking for the file's own orientation
	 * makes TIFFRGBAImage flip nothing. */
	img.req_orientation = p->orientation;
	uint32_t *raster = malloc((size_t)n * 4);
	uint8_t *row = malloc((size_t)p->width * 3);
	if (!raster || !row) {
		rc = kho_error_set(err, KHO_FATAL, "out of memory");
	} else if (!TIFFRGBAImageGet(&img, raster, p->width, p->height) ||
		   st->failed) {
		rc = kho_error_set(err, KHO_FAIL, "cannot decode page: %s",
				   tiff_message_or(st, "decoding error"));
	}
	TIFFRGBAImageEnd(&img);
	for (uint32_t y = 0; y < p->height && rc == 0; y++) {
		const uint32_t *px = raster + (size_t)y * p->width;
		uint8_t *o = row;
		for (uint32_t x = 0; x < p->width; x++, o += 3) {
			/* Premultiplied ABGR: over white adds 255 - a. */
			const unsigned a = TIFFGetA(px[x]);
			o[0] = over_white(TIFFGetR(px[x]), a, 1);
			o[1] = over_white(TIFFGetG(px[x]), a, 1);
			o[2] = over_white(TIFFGetB(px[x]), a, 1);
		}
		rc = kho_scaler_push(out, row, err);
	}
	free(row);
	free(raster);
	return rc;
}
