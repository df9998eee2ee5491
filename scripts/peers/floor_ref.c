/*
 * floor_ref: the floor of compress, what decoding a page and encoding its
 * output cost with kho's own libraries and nothing else in between.
 *
 *   floor_ref bitonal IN OUT.g4     decode, threshold at 128, CCITT G4
 *   floor_ref colour IN OUT.jpg [Q] decode, JPEG 4:2:0 at quality Q (80)
 *   floor_ref --each OUTDIR IN...   each IN in one process: colour (Q 80)
 *                                   where its name starts BC-, else bitonal
 *
 * IN is a JPEG (TurboJPEG, 8-bit grey or RGB out), a PNG (libpng's
 * simplified API) or a TIFF (read a row at a time where it is 1 or 8 bits
 * a sample, grey or RGB; libtiff's RGBA reader otherwise).  Prints one
 * line a file: the file, decode ms, encode ms, total ms and the output's
 * bytes.  No deskew, no crop, no adaptive threshold: compress may cost a
 * few times this, and the benchmark says how many.  --each leaves out
 * what a process per page adds (its start, its buffers' first touch), so
 * that its time is the floor's own.  Built by scripts/peers/build.sh.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <time.h>
#include <turbojpeg.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static unsigned char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	const long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *buf = len > 0 ? malloc((size_t)len) : NULL;
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*n = (size_t)len;
	return buf;
}

/* A TIFF of 1 or 8 bits a sample, grey or RGB, read a row at a time (as
 * kho and a careful program read it); NULL where it is anything else. */
static unsigned char *decode_tiff_rows(const char *path, int want_grey, int *w,
				       int *h)
{
	TIFF *t = TIFFOpen(path, "r");
	if (!t)
		return NULL;
	uint32_t tw = 0, th = 0;
	uint16_t bps = 1, spp = 1, photo = 0, planar = PLANARCONFIG_CONTIG;
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &tw);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &th);
	TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
	TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
	TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
	TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo);
	const int grey = spp == 1 && (photo == PHOTOMETRIC_MINISBLACK ||
				      photo == PHOTOMETRIC_MINISWHITE);
	const int rgb = spp == 3 && bps == 8 && photo == PHOTOMETRIC_RGB;
	if (!tw || !th || planar != PLANARCONFIG_CONTIG || TIFFIsTiled(t) ||
	    !((grey && (bps == 1 || bps == 8)) || rgb)) {
		TIFFClose(t);
		return NULL;
	}
	const int c = want_grey ? 1 : 3;
	unsigned char *px = malloc((size_t)tw * th * c);
	unsigned char *row = malloc((size_t)TIFFScanlineSize(t));
	const unsigned char white = photo == PHOTOMETRIC_MINISWHITE ? 0 : 255;
	/* 1 bit a sample into grey bytes eight at a time. */
	unsigned char bits[256][8];
	for (int b = 0; b < 256; b++)
		for (int k = 0; k < 8; k++)
			bits[b][k] = b & (0x80 >> k) ? white
						     : (unsigned char)(255 - white);
	for (uint32_t y = 0; px && row && y < th; y++) {
		if (TIFFReadScanline(t, row, y, 0) < 0) {
			free(px);
			px = NULL;
			break;
		}
		unsigned char *o = px + (size_t)y * tw * c;
		if (bps == 1 && c == 1) {
			for (uint32_t x = 0; x + 8 <= tw; x += 8)
				memcpy(o + x, bits[row[x >> 3]], 8);
			for (uint32_t x = tw & ~7u; x < tw; x++)
				o[x] = bits[row[x >> 3]][x & 7];
			continue;
		}
		if (rgb && c == 3) {
			memcpy(o, row, (size_t)tw * 3);
			continue;
		}
		for (uint32_t x = 0; x < tw; x++) {
			unsigned char v;
			if (rgb)
				v = (unsigned char)((row[3 * x] * 77 +
						     row[3 * x + 1] * 150 +
						     row[3 * x + 2] * 29 + 128) >>
						    8);
			else if (bps == 1)
				v = row[x >> 3] & (0x80 >> (x & 7))
					    ? white
					    : (unsigned char)(255 - white);
			else
				v = white ? row[x] : (unsigned char)(255 - row[x]);
			if (c == 1)
				o[x] = v;
			else
				o[3 * x] = o[3 * x + 1] = o[3 * x + 2] = v;
		}
	}
	free(row);
	TIFFClose(t);
	if (px) {
		*w = (int)tw;
		*h = (int)th;
	}
	return px;
}

/* Decodes into 8-bit grey (want_grey) or RGB rows; NULL on failure. */
static unsigned char *decode(const char *path, int want_grey, int *w, int *h)
{
	size_t n = 0;
	unsigned char *data = read_all(path, &n);
	if (!data)
		return NULL;
	const int pf = want_grey ? TJPF_GRAY : TJPF_RGB;
	const int c = want_grey ? 1 : 3;
	unsigned char *px = NULL;
	if (n > 3 && data[0] == 0xff && data[1] == 0xd8) {
		tjhandle tj = tjInitDecompress();
		int ss, cs;
		if (tj &&
		    tjDecompressHeader3(tj, data, n, w, h, &ss, &cs) == 0) {
			px = malloc((size_t)*w * *h * c);
			if (px && tjDecompress2(tj, data, n, px, *w, 0, *h, pf,
						0) != 0) {
				free(px);
				px = NULL;
			}
		}
		if (tj)
			tjDestroy(tj);
	} else if (n > 8 && png_sig_cmp(data, 0, 8) == 0) {
		png_image img;
		memset(&img, 0, sizeof(img));
		img.version = PNG_IMAGE_VERSION;
		if (png_image_begin_read_from_memory(&img, data, n)) {
			img.format =
				want_grey ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
			px = malloc(PNG_IMAGE_SIZE(img));
			if (px &&
			    !png_image_finish_read(&img, NULL, px, 0, NULL)) {
				free(px);
				px = NULL;
			}
			*w = (int)img.width;
			*h = (int)img.height;
		}
		png_image_free(&img);
	} else if ((px = decode_tiff_rows(path, want_grey, w, h)) != NULL) {
		/* rows read as they are stored */
	} else {
		TIFF *t = TIFFOpen(path, "r");
		uint32_t tw = 0, th = 0;
		if (t && TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &tw) &&
		    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &th)) {
			uint32_t *rgba = malloc((size_t)tw * th * 4);
			px = malloc((size_t)tw * th * c);
			if (rgba && px &&
			    TIFFReadRGBAImageOriented(t, tw, th, rgba,
						      ORIENTATION_TOPLEFT, 0)) {
				for (size_t i = 0; i < (size_t)tw * th; i++) {
					const uint32_t p = rgba[i];
					const int r = TIFFGetR(p),
						  g = TIFFGetG(p),
						  b = TIFFGetB(p);
					if (c == 1)
						px[i] = (unsigned char)((r * 77 +
									 g * 150 +
									 b * 29 +
									 128) >>
									8);
					else {
						px[3 * i] = (unsigned char)r;
						px[3 * i + 1] =
							(unsigned char)g;
						px[3 * i + 2] =
							(unsigned char)b;
					}
				}
			} else {
				free(px);
				px = NULL;
			}
			free(rgba);
			*w = (int)tw;
			*h = (int)th;
		}
		if (t)
			TIFFClose(t);
	}
	free(data);
	return px;
}

static long encode_g4(const char *out, const unsigned char *grey, int w, int h)
{
	TIFF *t = TIFFOpen(out, "w");
	if (!t)
		return -1;
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)w);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)h);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, (uint32_t)h);
	const size_t rb = ((size_t)w + 7) / 8;
	unsigned char *row = malloc(rb);
	long rc = row ? 0 : -1;
	for (int y = 0; rc == 0 && y < h; y++) {
		memset(row, 0, rb);
		const unsigned char *s = grey + (size_t)y * w;
		for (int x = 0; x < w; x++)
			if (s[x] < 128)
				row[x >> 3] |= (unsigned char)(0x80 >> (x & 7));
		if (TIFFWriteScanline(t, row, (uint32_t)y, 0) < 0)
			rc = -1;
	}
	free(row);
	TIFFClose(t);
	if (rc)
		return -1;
	FILE *f = fopen(out, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	rc = ftell(f);
	fclose(f);
	return rc;
}

static long encode_jpeg(const char *out, const unsigned char *rgb, int w, int h,
			int quality)
{
	tjhandle tj = tjInitCompress();
	unsigned char *buf = NULL;
	unsigned long len = 0;
	long rc = -1;
	if (tj && tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &buf, &len,
			      TJSAMP_420, quality, 0) == 0) {
		FILE *f = fopen(out, "wb");
		if (f && fwrite(buf, 1, len, f) == len)
			rc = (long)len;
		if (f)
			fclose(f);
	}
	tjFree(buf);
	if (tj)
		tjDestroy(tj);
	return rc;
}

/* One file: decoded, encoded into OUT, its line printed; 0 or 1. */
static int one(int bitonal, const char *in, const char *out, int quality)
{
	int w = 0, h = 0;
	const double t0 = now_ms();
	unsigned char *px = decode(in, bitonal, &w, &h);
	const double t1 = now_ms();
	if (!px) {
		fprintf(stderr, "floor_ref: cannot decode '%s'\n", in);
		return 1;
	}
	const long bytes = bitonal ? encode_g4(out, px, w, h)
				   : encode_jpeg(out, px, w, h, quality);
	const double t2 = now_ms();
	free(px);
	if (bytes < 0) {
		fprintf(stderr, "floor_ref: cannot encode '%s'\n", out);
		return 1;
	}
	const char *slash = strrchr(in, '/');
	printf("%s\tdecode %.1f\tencode %.1f\ttotal %.1f\tbytes %ld\n",
	       slash ? slash + 1 : in, t1 - t0, t2 - t1, t2 - t0, bytes);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "--each") == 0) {
		int rc = 0;
		for (int i = 3; i < argc; i++) {
			const char *slash = strrchr(argv[i], '/');
			const char *name = slash ? slash + 1 : argv[i];
			const int bitonal = strncmp(name, "BC-", 3) != 0;
			char out[4200];
			snprintf(out, sizeof(out), "%s/%s.floor.%s", argv[2],
				 name, bitonal ? "g4" : "jpg");
			rc |= one(bitonal, argv[i], out, 80);
		}
		return rc;
	}
	if (argc < 4 ||
	    (strcmp(argv[1], "bitonal") && strcmp(argv[1], "colour"))) {
		fputs("usage: floor_ref bitonal IN OUT.g4\n"
		      "       floor_ref colour IN OUT.jpg [QUALITY]\n"
		      "       floor_ref --each OUTDIR IN...\n",
		      stderr);
		return 2;
	}
	const int bitonal = strcmp(argv[1], "bitonal") == 0;
	return one(bitonal, argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 80);
}
