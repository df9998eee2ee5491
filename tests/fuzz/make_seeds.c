/*
 * Writes the crafted part of the decoder seed corpora: small images (64 x
 * 48 and less) in the layouts ingest meets, one file per layout, so that
 * the fuzzers start from every branch of the decoders.  Not built by
 * CMake; run by hand when a layout is added:
 *
 *   cc -O2 -o /tmp/make_seeds tests/fuzz/make_seeds.c \
 *      $(pkg-config --cflags --libs libtiff-4 libturbojpeg libpng)
 *   /tmp/make_seeds tests/fuzz/corpus
 */
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <turbojpeg.h>

enum { W = 64, H = 48 };

static const char *dir;

static void die(const char *what)
{
	fprintf(stderr, "make_seeds: %s\n", what);
	exit(1);
}

/* A page-like pattern: light paper, dark text strokes, a red seal. */
static uint8_t grey_at(int x, int y)
{
	if (y % 8 == 3 && x > 4 && x < W - 8)
		return 20;
	return (uint8_t)(230 + (x * 7 + y * 3) % 20);
}

static void rgb_at(int x, int y, uint8_t *o)
{
	const int dx = x - 50, dy = y - 12;
	if (dx * dx + dy * dy < 64) {
		o[0] = 200;
		o[1] = 30;
		o[2] = 40;
		return;
	}
	o[0] = o[1] = o[2] = grey_at(x, y);
}

static char *path_of(const char *sub, const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	return path;
}

/* ---- TIFF ---- */

struct tiff_spec {
	const char *name;
	const char *mode; /* "w" little-endian, "wb" big, "w8" BigTIFF */
	uint16_t compression;
	uint16_t photometric;
	uint16_t bps;
	uint16_t spp;
	uint16_t planar;
	int tile;  /* tile side, 0 for strips */
	int rps;   /* rows per strip */
	int alpha; /* an extra alpha sample */
	int pages;
	int fax;   /* 204 x 98 dpi (pixels made square as decoded) */
};

static void tiff_sample_row(const struct tiff_spec *s, int y, uint8_t *row,
			    int plane)
{
	memset(row, 0, (size_t)W * 8);
	for (int x = 0; x < W; x++) {
		uint8_t rgb[3];
		rgb_at(x, y, rgb);
		const uint8_t g = grey_at(x, y);
		switch (s->bps) {
		case 1:
			if ((g < 128) != (s->photometric == 0))
				row[x / 8] |= (uint8_t)(0x80 >> (x % 8));
			break;
		case 2:
			row[x / 4] |= (uint8_t)((g >> 6) << (6 - 2 * (x % 4)));
			break;
		case 4:
			row[x / 2] |=
				(uint8_t)((s->photometric == PHOTOMETRIC_PALETTE
						   ? (rgb[1] < 100 ? 2 : g >> 6)
						   : g >> 4)
					  << (x % 2 ? 0 : 4));
			break;
		case 8: {
			uint8_t v[5] = {g, g, g, g, 255};
			if (s->spp >= 3)
				memcpy(v, rgb, 3);
			if (s->photometric == PHOTOMETRIC_SEPARATED) {
				v[0] = (uint8_t)(255 - rgb[0]);
				v[1] = (uint8_t)(255 - rgb[1]);
				v[2] = (uint8_t)(255 - rgb[2]);
				v[3] = 0;
			}
			if (s->alpha)
				v[s->spp - 1] = (uint8_t)(x < 8 ? 0 : 255);
			if (s->planar == PLANARCONFIG_SEPARATE)
				row[x] = v[plane];
			else
				memcpy(row + (size_t)x * s->spp, v, s->spp);
			break;
		}
		case 16: {
			const uint16_t v = (uint16_t)(g * 257);
			for (int c = 0; c < s->spp; c++)
				memcpy(row + ((size_t)x * s->spp + c) * 2, &v,
				       2);
			break;
		}
		}
	}
}

static void write_tiff(const struct tiff_spec *s)
{
	TIFF *t = TIFFOpen(path_of("tiff", s->name), s->mode);
	if (!t)
		die(s->name);
	for (int page = 0; page < (s->pages ? s->pages : 1); page++) {
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, W);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, H);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s->bps);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, s->spp);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s->photometric);
		TIFFSetField(t, TIFFTAG_COMPRESSION, s->compression);
		TIFFSetField(t, TIFFTAG_PLANARCONFIG,
			     s->planar ? s->planar : PLANARCONFIG_CONTIG);
		TIFFSetField(t, TIFFTAG_XRESOLUTION, s->fax ? 204.0 : 300.0);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, s->fax ? 98.0 : 300.0);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		if (s->pages > 1) {
			TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
			TIFFSetField(t, TIFFTAG_PAGENUMBER, page, s->pages);
		}
		if (s->alpha) {
			const uint16_t extra = EXTRASAMPLE_UNASSALPHA;
			TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &extra);
		}
		if (s->compression == COMPRESSION_LZW ||
		    s->compression == COMPRESSION_ADOBE_DEFLATE)
			TIFFSetField(t, TIFFTAG_PREDICTOR, s->bps == 8 ? 2 : 1);
		if (s->compression == COMPRESSION_JPEG) {
			TIFFSetField(t, TIFFTAG_JPEGQUALITY, 75);
			if (s->photometric == PHOTOMETRIC_YCBCR) {
				TIFFSetField(t, TIFFTAG_YCBCRSUBSAMPLING, 2, 2);
				TIFFSetField(t, TIFFTAG_JPEGCOLORMODE,
					     JPEGCOLORMODE_RGB);
			}
		}
		if (s->compression == COMPRESSION_CCITTFAX3)
			TIFFSetField(t, TIFFTAG_GROUP3OPTIONS,
				     GROUP3OPT_2DENCODING | GROUP3OPT_FILLBITS);
		if (s->photometric == PHOTOMETRIC_PALETTE) {
			uint16_t map[3][256];
			for (int i = 0; i < 256; i++) {
				map[0][i] = (uint16_t)(i * 4369 % 65536);
				map[1][i] = (uint16_t)(i == 2 ? 0 : i * 4369);
				map[2][i] = (uint16_t)(i * 4369);
			}
			TIFFSetField(t, TIFFTAG_COLORMAP, map[0], map[1],
				     map[2]);
		}
		const int planes =
			s->planar == PLANARCONFIG_SEPARATE ? s->spp : 1;
		uint8_t row[W * 8];
		if (s->tile) {
			TIFFSetField(t, TIFFTAG_TILEWIDTH, s->tile);
			TIFFSetField(t, TIFFTAG_TILELENGTH, s->tile);
			const tmsize_t ts = TIFFTileSize(t);
			uint8_t *tile = calloc(1, (size_t)ts);
			const tmsize_t tr = TIFFTileRowSize(t);
			for (int pl = 0; pl < planes; pl++)
				for (int ty = 0; ty < H; ty += s->tile)
					for (int tx = 0; tx < W;
					     tx += s->tile) {
						memset(tile, 0, (size_t)ts);
						for (int r = 0;
						     r < s->tile && ty + r < H;
						     r++) {
							tiff_sample_row(
								s, ty + r, row,
								pl);
							const size_t off =
								(size_t)tx *
								s->bps *
								(planes > 1
									 ? 1
									 : s->spp) /
								8;
							memcpy(tile + r * tr,
							       row + off,
							       (size_t)tr);
						}
						TIFFWriteTile(t, tile, tx, ty,
							      0, (uint16_t)pl);
					}
			free(tile);
		} else {
			TIFFSetField(t, TIFFTAG_ROWSPERSTRIP,
				     s->rps ? s->rps : H);
			for (int pl = 0; pl < planes; pl++)
				for (int y = 0; y < H; y++) {
					tiff_sample_row(s, y, row, pl);
					if (TIFFWriteScanline(t, row, y,
							      (uint16_t)pl) < 0)
						die(s->name);
				}
		}
		TIFFWriteDirectory(t);
	}
	TIFFClose(t);
}

static void tiffs(void)
{
	static const struct tiff_spec specs[] = {
		{"g4-strips.tif", "w", COMPRESSION_CCITTFAX4,
		 PHOTOMETRIC_MINISWHITE, 1, 1, 0, 0, 16, 0, 0},
		{"g3-2d.tif", "wb", COMPRESSION_CCITTFAX3,
		 PHOTOMETRIC_MINISWHITE, 1, 1, 0, 0, 0, 0, 0},
		{"grey8-lzw-predictor.tif", "w", COMPRESSION_LZW,
		 PHOTOMETRIC_MINISBLACK, 8, 1, 0, 0, 8, 0, 0},
		{"grey8-deflate-tiles.tif", "wb", COMPRESSION_ADOBE_DEFLATE,
		 PHOTOMETRIC_MINISBLACK, 8, 1, 0, 16, 0, 0, 0},
		{"rgb8-packbits-planar.tif", "w", COMPRESSION_PACKBITS,
		 PHOTOMETRIC_RGB, 8, 3, PLANARCONFIG_SEPARATE, 0, 16, 0, 0},
		{"rgb8-planar-tiles.tif", "w", COMPRESSION_NONE,
		 PHOTOMETRIC_RGB, 8, 3, PLANARCONFIG_SEPARATE, 16, 0, 0, 0},
		{"ycbcr-jpeg.tif", "w", COMPRESSION_JPEG, PHOTOMETRIC_YCBCR, 8,
		 3, 0, 0, 16, 0, 0},
		{"rgb-jpeg-tiles.tif", "w", COMPRESSION_JPEG, PHOTOMETRIC_RGB,
		 8, 3, 0, 16, 0, 0, 0},
		{"palette4.tif", "w", COMPRESSION_NONE, PHOTOMETRIC_PALETTE, 4,
		 1, 0, 0, 0, 0, 0},
		{"grey16-be.tif", "wb", COMPRESSION_NONE,
		 PHOTOMETRIC_MINISBLACK, 16, 1, 0, 0, 24, 0, 0},
		{"grey2.tif", "w", COMPRESSION_NONE, PHOTOMETRIC_MINISBLACK, 2,
		 1, 0, 0, 0, 0, 0},
		{"cmyk8.tif", "w", COMPRESSION_LZW, PHOTOMETRIC_SEPARATED, 8, 4,
		 0, 0, 0, 0, 0},
		{"grey-alpha.tif", "w", COMPRESSION_NONE,
		 PHOTOMETRIC_MINISBLACK, 8, 2, 0, 0, 0, 1, 0},
		{"rgba.tif", "w", COMPRESSION_ADOBE_DEFLATE, PHOTOMETRIC_RGB, 8,
		 4, 0, 0, 0, 1, 0},
		{"bigtiff-grey.tif", "w8", COMPRESSION_NONE,
		 PHOTOMETRIC_MINISBLACK, 8, 1, 0, 0, 0, 0, 0},
		{"three-pages-g4.tif", "w", COMPRESSION_CCITTFAX4,
		 PHOTOMETRIC_MINISWHITE, 1, 1, 0, 0, 0, 0, 3},
		{"fax-g3-204x98.tif", "w", COMPRESSION_CCITTFAX3,
		 PHOTOMETRIC_MINISWHITE, 1, 1, 0, 0, 0, 0, 0, 1},
		{"rgb8-lzw-204x98.tif", "w", COMPRESSION_LZW, PHOTOMETRIC_RGB,
		 8, 3, 0, 0, 16, 0, 0, 1},
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		write_tiff(&specs[i]);
}

/* ---- JPEG ---- */

static void write_bytes(const char *sub, const char *name, const void *data,
			size_t size)
{
	FILE *f = fopen(path_of(sub, name), "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		die(name);
}

static void write_jpeg(const char *name, int pf, int subsamp, int flags,
		       int exif_orientation)
{
	const int ps = tjPixelSize[pf];
	uint8_t *img = malloc((size_t)W * H * ps);
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			uint8_t rgb[3];
			rgb_at(x, y, rgb);
			uint8_t *o = img + ((size_t)y * W + x) * ps;
			if (pf == TJPF_GRAY) {
				o[0] = grey_at(x, y);
			} else if (pf == TJPF_CMYK) {
				o[0] = (uint8_t)(255 - rgb[0]);
				o[1] = (uint8_t)(255 - rgb[1]);
				o[2] = (uint8_t)(255 - rgb[2]);
				o[3] = 0;
			} else {
				memcpy(o, rgb, 3);
			}
		}
	tjhandle tj = tjInitCompress();
	unsigned char *jpeg = NULL;
	unsigned long size = 0;
	if (tjCompress2(tj, img, W, 0, H, pf, &jpeg, &size, subsamp, 80,
			flags) != 0)
		die(tjGetErrorStr2(tj));
	if (!exif_orientation) {
		write_bytes("jpeg", name, jpeg, size);
	} else {
		/* SOI, an APP1 EXIF segment with IFD0 holding Orientation
		 * and XResolution, then the rest of the stream. */
		static uint8_t app1[] = {
			0xff,
			0xe1,
			0,
			54,
			'E',
			'x',
			'i',
			'f',
			0,
			0,
			/* TIFF header, IFD0 at 8 with two entries */
			'M',
			'M',
			0,
			42,
			0,
			0,
			0,
			8,
			0,
			2,
			/* Orientation SHORT 1 = (set below) */
			0x01,
			0x12,
			0,
			3,
			0,
			0,
			0,
			1,
			0,
			6,
			0,
			0,
			/* XResolution RATIONAL 1 at 38 */
			0x01,
			0x1a,
			0,
			5,
			0,
			0,
			0,
			1,
			0,
			0,
			0,
			38,
			/* no next IFD; 300/1 */
			0,
			0,
			0,
			0,
			0,
			0,
			1,
			44,
			0,
			0,
			0,
			1,
		};
		app1[29] = (uint8_t)exif_orientation;
		uint8_t *out = malloc(size + sizeof(app1));
		memcpy(out, jpeg, 2);
		memcpy(out + 2, app1, sizeof(app1));
		memcpy(out + 2 + sizeof(app1), jpeg + 2, size - 2);
		write_bytes("jpeg", name, out, size + sizeof(app1));
		free(out);
	}
	tjFree(jpeg);
	tjDestroy(tj);
	free(img);
}

static void jpegs(void)
{
	write_jpeg("grey-baseline.jpg", TJPF_GRAY, TJSAMP_GRAY, 0, 0);
	write_jpeg("rgb-420.jpg", TJPF_RGB, TJSAMP_420, 0, 0);
	write_jpeg("rgb-444-progressive.jpg", TJPF_RGB, TJSAMP_444,
		   TJFLAG_PROGRESSIVE, 0);
	write_jpeg("rgb-422-exif-orientation-6.jpg", TJPF_RGB, TJSAMP_422, 0,
		   6);
	write_jpeg("cmyk.jpg", TJPF_CMYK, TJSAMP_444, 0, 0);
}

/* ---- PNG ---- */

static void write_png_dpi(const char *name, int color, int depth,
			  int interlace, int trns, unsigned xppm, unsigned yppm)
{
	FILE *f = fopen(path_of("png", name), "wb");
	if (!f)
		die(name);
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
						  NULL, NULL);
	png_infop info = png_create_info_struct(png);
	if (setjmp(png_jmpbuf(png)))
		die(name);
	png_init_io(png, f);
	png_set_IHDR(png, info, W, H, depth, color,
		     interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_pHYs(png, info, xppm, yppm, PNG_RESOLUTION_METER);
	if (color == PNG_COLOR_TYPE_PALETTE) {
		png_color pal[4] = {{255, 255, 255},
				    {20, 20, 20},
				    {200, 30, 40},
				    {128, 128, 128}};
		png_set_PLTE(png, info, pal, 4);
		if (trns) {
			png_byte a[1] = {0};
			png_set_tRNS(png, info, a, 1, NULL);
		}
	} else if (trns) {
		png_color_16 c = {0, 230, 230, 230, 230};
		png_set_tRNS(png, info, NULL, 0, &c);
	}
	png_write_info(png, info);
	if (depth == 16)
		png_set_swap(png);
	const int channels = png_get_channels(png, info);
	const size_t rowbytes = png_get_rowbytes(png, info);
	uint8_t *rows = calloc(H, rowbytes);
	png_bytep ptrs[H];
	for (int y = 0; y < H; y++) {
		uint8_t *r = rows + (size_t)y * rowbytes;
		ptrs[y] = r;
		for (int x = 0; x < W; x++) {
			uint8_t rgb[3];
			rgb_at(x, y, rgb);
			const uint8_t g = grey_at(x, y);
			if (color == PNG_COLOR_TYPE_PALETTE) {
				const int i = rgb[1] < 100 ? 2 : g < 128;
				r[x * depth / 8] |=
					(uint8_t)(i << (8 - depth -
							(x * depth) % 8));
			} else if (depth < 8) {
				r[x * depth / 8] |=
					(uint8_t)((g >> (8 - depth))
						  << (8 - depth -
						      (x * depth) % 8));
			} else {
				uint8_t v[4] = {g, g, g, 255};
				if (color & PNG_COLOR_MASK_COLOR)
					memcpy(v, rgb, 3);
				if (color & PNG_COLOR_MASK_ALPHA)
					v[channels - 1] =
						(uint8_t)(x < 8 ? 0 : 255);
				for (int c = 0; c < channels; c++) {
					if (depth == 16) {
						r[(x * channels + c) * 2] =
							v[c];
						r[(x * channels + c) * 2 + 1] =
							v[c];
					} else {
						r[x * channels + c] = v[c];
					}
				}
			}
		}
	}
	png_write_image(png, ptrs);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	fclose(f);
	free(rows);
}

/* At 300 dpi. */
static void write_png(const char *name, int color, int depth, int interlace,
		      int trns)
{
	write_png_dpi(name, color, depth, interlace, trns, 11811, 11811);
}

static void pngs(void)
{
	write_png("grey1.png", PNG_COLOR_TYPE_GRAY, 1, 0, 0);
	write_png("grey8-trns.png", PNG_COLOR_TYPE_GRAY, 8, 0, 1);
	write_png("palette2-trns.png", PNG_COLOR_TYPE_PALETTE, 2, 0, 1);
	write_png("rgb16.png", PNG_COLOR_TYPE_RGB, 16, 0, 0);
	write_png("rgba-interlaced.png", PNG_COLOR_TYPE_RGB_ALPHA, 8, 1, 0);
	write_png("grey-alpha.png", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0);
	write_png("rgb8-trns-interlaced.png", PNG_COLOR_TYPE_RGB, 8, 1, 1);
	/* 100 x 200 dpi: pixels made square across */
	write_png_dpi("grey8-100x200.png", PNG_COLOR_TYPE_GRAY, 8, 0, 0, 3937,
		      7874);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		die("usage: make_seeds CORPUS_DIR");
	dir = argv[1];
	tiffs();
	jpegs();
	pngs();
	return 0;
}
