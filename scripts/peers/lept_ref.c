/*
 * lept_ref: the Leptonica peer kho's benchmarks measure themselves against.
 * A small program of the kind a team would write with Leptonica alone.
 *
 *   lept_ref --find-skew IN...
 *       one line per file: the skew Leptonica finds, its confidence, and
 *       the time it took (decoding included, and decoding alone).
 *   lept_ref --full IN OUT.tif
 *       deskew, Sauvola binarization and CCITT G4 output, with the time of
 *       each phase.
 *   lept_ref --full-each OUTDIR IN...
 *       the same for each IN in one process (OUTDIR/NAME.lept.tif), where
 *       a process per page would add its start and its buffers' first
 *       touch to each page.
 *
 * Angles are given in kho's convention (PRODUCT.md): the degrees by which
 * the content is turned clockwise from upright.  Leptonica's pixFindSkew
 * returns the angle "required for deskew", clockwise positive (its
 * pixRotate turns clockwise for a positive angle), that is the negative of
 * the content's clockwise turn; so kho's skew = -Leptonica's angle.
 * Checked on generated pages of known skew (scripts/bench/compress.sh and
 * the normalize benchmark compare it with truth.csv): a page whose content
 * is turned 3.2 degrees clockwise reads +3.2 here.
 *
 * Exit codes: 0 done, 1 a file failed (the others are still measured), 2
 * usage.  Built by scripts/peers/build.sh.
 */
#include <leptonica/allheaders.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* pixDeskewGeneral's own default threshold (skew.c,
 * DEFAULT_BINARY_THRESHOLD): what pixDeskew binarizes a grey page with. */
#define LEPT_DESKEW_THRESHOLD 130

/* Sauvola with Leptonica's documented typical factor (0.35) and a window
 * of about 2.6 mm (31 pixels at 300 dpi): large enough to hold a stroke and
 * some paper around it at the body text's size. */
#define SAUVOLA_FACTOR 0.35f
#define SAUVOLA_HALF_MM 1.3

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/*
 * The skew as pixDeskew finds it: binarized by pixConvertTo1(pix, 130)
 * (colour goes to luminance first, inside pixConvertTo1 through
 * pixConvertTo8), then pixFindSkew on the 1 bpp image, which is
 * pixFindSkewSweepAndSearch with Leptonica's defaults: a sweep over +-7
 * degrees in 1 degree steps at 4x reduction, then a binary search to 0.01
 * degree at 2x reduction.  Pages skewed past 7 degrees are outside its
 * range.
 */
static int find_skew(const char *path)
{
	const double t0 = now_ms();
	PIX *pix = pixRead(path);
	const double t1 = now_ms();
	if (!pix) {
		fprintf(stderr, "lept_ref: cannot read '%s'\n", path);
		return 1;
	}
	PIX *bin = pixConvertTo1(pix, LEPT_DESKEW_THRESHOLD);
	l_float32 angle = 0, conf = 0;
	int valid = 0;
	if (bin)
		valid = pixFindSkew(bin, &angle, &conf) == 0;
	const double t2 = now_ms();
	pixDestroy(&bin);
	pixDestroy(&pix);
	/* "+ 0.0" keeps a zero from printing as -0.000. */
	/* The path as given: two records' files may share a base name. */
	printf("%s\t%.3f\t%.2f\t%.1f\t%.1f\t%s\n", path,
	       -(double)angle + 0.0, (double)conf, t2 - t0, t1 - t0,
	       valid ? "ok" : "invalid");
	return 0;
}

static int full(const char *in, const char *out)
{
	double t[6];
	t[0] = now_ms();
	PIX *pix = pixRead(in);
	t[1] = now_ms();
	if (!pix) {
		fprintf(stderr, "lept_ref: cannot read '%s'\n", in);
		return 1;
	}
	/* Sauvola wants 8 bpp; turning to grey first also makes the
	 * rotation a third of the work of a colour one. */
	PIX *grey = pixConvertTo8(pix, 0);
	t[2] = now_ms();
	/* pixFindSkewAndDeskew is pixDeskew(pix, 0) that also reports the
	 * angle: pixDeskewGeneral with every default (binarized at 130,
	 * rotated by area mapping with white brought in, left alone below
	 * 0.1 degree or a confidence under 3). */
	l_float32 angle = 0, conf = 0;
	PIX *straight =
		grey ? pixFindSkewAndDeskew(grey, 0, &angle, &conf) : NULL;
	t[3] = now_ms();
	l_int32 xres = pixGetXRes(pix);
	if (xres <= 0)
		xres = 300;
	const int whsize = (int)fmax(7.0, round(xres * SAUVOLA_HALF_MM / 25.4));
	PIX *bin = NULL;
	if (straight) {
		/* Tiles of about 1000 pixels keep the integral images small;
		 * the result is the same as untiled. */
		const l_int32 w = pixGetWidth(straight);
		const l_int32 h = pixGetHeight(straight);
		const l_int32 nx = w / 1000 > 1 ? w / 1000 : 1;
		const l_int32 ny = h / 1000 > 1 ? h / 1000 : 1;
		if (pixSauvolaBinarizeTiled(straight, whsize, SAUVOLA_FACTOR,
					    nx, ny, NULL, &bin))
			bin = NULL;
	}
	t[4] = now_ms();
	int rc = 1;
	if (bin) {
		pixCopyResolution(bin, pix);
		rc = pixWrite(out, bin, IFF_TIFF_G4) ? 1 : 0;
	}
	t[5] = now_ms();
	if (rc) {
		fprintf(stderr, "lept_ref: cannot process '%s'\n", in);
	} else {
		printf("%s\tdecode %.1f\tgrey %.1f\tdeskew %.1f\tsauvola %.1f"
		       "\tg4 %.1f\ttotal %.1f\tskew %.3f\tconf %.2f\n",
		       base_name(in), t[1] - t[0], t[2] - t[1], t[3] - t[2],
		       t[4] - t[3], t[5] - t[4], t[5] - t[0],
		       -(double)angle + 0.0, (double)conf);
	}
	pixDestroy(&bin);
	pixDestroy(&straight);
	pixDestroy(&grey);
	pixDestroy(&pix);
	return rc;
}

static int usage(void)
{
	fputs("usage: lept_ref --find-skew IN...\n"
	      "       lept_ref --full IN OUT.tif\n"
	      "       lept_ref --full-each OUTDIR IN...\n"
	      "\n"
	      "--find-skew prints, per file: name, skew in degrees (content\n"
	      "turned clockwise from upright), confidence, ms (decode\n"
	      "included), ms of the decode, ok|invalid (tab-separated).\n"
	      "--full deskews, binarizes (Sauvola) and writes a G4 TIFF,\n"
	      "printing the ms of each phase.\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "--find-skew") == 0) {
		int rc = 0;
		printf("# file\tskew_deg\tconfidence\tms\tdecode_ms\tstatus\n");
		for (int i = 2; i < argc; i++)
			rc |= find_skew(argv[i]);
		return rc;
	}
	if (argc == 4 && strcmp(argv[1], "--full") == 0)
		return full(argv[2], argv[3]);
	if (argc >= 4 && strcmp(argv[1], "--full-each") == 0) {
		int rc = 0;
		for (int i = 3; i < argc; i++) {
			char out[4200];
			snprintf(out, sizeof(out), "%s/%s.lept.tif", argv[2],
				 base_name(argv[i]));
			rc |= full(argv[i], out);
		}
		return rc;
	}
	return usage();
}
