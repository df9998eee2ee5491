/*
 * floor_ref: the floor of compress, what decoding a page and encoding its
 * output cost with kho's own libraries and nothing else in between.
 *
 *   floor_ref bitonal IN OUT.g4     decode, threshold at 128, CCITT G4
 *   floor_ref colour IN OUT.jpg [Q] decode, JPEG 4:2:0 at quality Q (80)
 *
 * IN is a JPEG (TurboJPEG, 8-bit grey or RGB out), a PNG (libpng's
 * simplified API) or a TIFF (libtiff's RGBA reader).  Prints one line:
 * the file, decode ms, encode ms, total ms and the output's bytes.  No
 * deskew, no crop, no adaptive threshold: compress may cost a few times
 * this, and the benchmark says how many.  Built by scripts/peers/build.sh.
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

int main(int argc, char **argv)
{
	if (argc < 4 ||
	    (strcmp(argv[1], "bitonal") && strcmp(argv[1], "colour"))) {
		fputs("usage: floor_ref bitonal IN OUT.g4\n"
		      "       floor_ref colour IN OUT.jpg [QUALITY]\n",
		      stderr);
		return 2;
	}
	const int bitonal = strcmp(argv[1], "bitonal") == 0;
	const int quality = argc > 4 ? atoi(argv[4]) : 80;
	int w = 0, h = 0;
	const double t0 = now_ms();
	unsigned char *px = decode(argv[2], bitonal, &w, &h);
	const double t1 = now_ms();
	if (!px) {
		fprintf(stderr, "floor_ref: cannot decode '%s'\n", argv[2]);
		return 1;
	}
	const long bytes = bitonal ? encode_g4(argv[3], px, w, h)
				   : encode_jpeg(argv[3], px, w, h, quality);
	const double t2 = now_ms();
	free(px);
	if (bytes < 0) {
		fprintf(stderr, "floor_ref: cannot encode '%s'\n", argv[3]);
		return 1;
	}
	const char *slash = strrchr(argv[2], '/');
	printf("%s\tdecode %.1f\tencode %.1f\ttotal %.1f\tbytes %ld\n",
	       slash ? slash + 1 : argv[2], t1 - t0, t2 - t1, t2 - t0, bytes);
	return 0;
}
