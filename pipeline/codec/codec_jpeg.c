#include "common/internal.h"
#define KHO_CODEC_IMPL
#include "codec/codec_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

/*
 * JPEG through the TurboJPEG API of libjpeg-turbo 2.1.  TurboJPEG keeps
 * libjpeg's setjmp/longjmp inside itself and reports through the handle.
 * Every libjpeg warning stops decoding (TJFLAG_STOPONWARNING): a file cut
 * short is a warning there, and the grey padding it would get is not
 * evidence.  TurboJPEG decodes the whole image into one buffer; rows are
 * handed over from it.
 */

struct jpeg_state {
	tjhandle tj;
	struct kho_jpeg_markers markers;
	int width;
	int height;
	int subsamp;
	int colorspace;
	const char *unsupported; /* why decode refuses, or NULL */
};

int kho_jpeg_bid(const uint8_t *d, size_t n)
{
	return n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff ? 100 : 0;
}

static int tj_failed(tjhandle tj, const char *doing, kho_error *err)
{
	char msg[KHO_ERROR_MSG_MAX];
	snprintf(msg, sizeof(msg), "%s", tjGetErrorStr2(tj));
	kho_codec_tidy_message(msg);
	/* Both TJERR_WARNING and TJERR_FATAL fail the page. */
	if (doing)
		return kho_error_set(err, KHO_FAIL, "%s: %s", doing, msg);
	return kho_error_set(err, KHO_FAIL, "%s", msg);
}

/* What TurboJPEG 2.1, built for 8-bit samples, cannot decode. */
static const char *unsupported_frame(const struct kho_jpeg_markers *m)
{
	if (!m->has_frame)
		return NULL; /* TurboJPEG will say what is wrong */
	if (m->precision == 12)
		return "unsupported JPEG: 12-bit samples (only 8-bit JPEG is "
		       "supported)";
	if (m->precision != 8)
		return "unsupported JPEG: sample precision other than 8 bits";
	switch (m->frame_type) {
	case 3:
	case 7:
	case 11:
	case 15:
		return "unsupported JPEG: lossless coding";
	case 5:
	case 6:
	case 13:
	case 14:
		return "unsupported JPEG: hierarchical coding";
	default:
		return NULL;
	}
}

static void jpeg_free(void *priv)
{
	struct jpeg_state *st = priv;
	if (!st)
		return;
	if (st->tj)
		tjDestroy(st->tj);
	free(st);
}

static int jpeg_open(kho_image_file *file, kho_error *err)
{
	struct jpeg_state *st = calloc(1, sizeof(*st));
	if (!st)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	file->priv = st;
	int rc = kho_jpeg_read_markers(file->data, file->size, &st->markers,
				       err);
	if (rc < 0)
		return rc;
	file->pages = 1;
	st->unsupported = unsupported_frame(&st->markers);
	if (st->unsupported) {
		/* The header is still worth reporting. */
		st->width = st->markers.width;
		st->height = st->markers.height;
		st->subsamp = -1;
		st->colorspace =
			st->markers.components == 1 ? TJCS_GRAY : TJCS_YCbCr;
		return 0;
	}
	st->tj = tjInitDecompress();
	if (!st->tj)
		return kho_error_set(err, KHO_FATAL,
				     "cannot start the JPEG decoder: %s",
				     tjGetErrorStr2(NULL));
	if (tjDecompressHeader3(st->tj, file->data, (unsigned long)file->size,
				&st->width, &st->height, &st->subsamp,
				&st->colorspace) != 0)
		return tj_failed(st->tj, "cannot read the JPEG header", err);
	if (st->width <= 0 || st->height <= 0)
		return kho_error_set(err, KHO_FAIL, "JPEG image has no pixels");
	return 0;
}

static const char *process_name(int frame_type)
{
	switch (frame_type) {
	case 0:
		return "baseline";
	case 1:
		return "extended";
	case 2:
		return "progressive";
	case 3:
		return "lossless";
	case 9:
		return "arithmetic";
	case 10:
		return "progressive arithmetic";
	case 11:
		return "lossless arithmetic";
	default:
		return "hierarchical";
	}
}

static const char *colorspace_name(int cs)
{
	switch (cs) {
	case TJCS_RGB:
		return "RGB";
	case TJCS_YCbCr:
		return "YCbCr";
	case TJCS_GRAY:
		return "grey";
	case TJCS_CMYK:
		return "CMYK";
	case TJCS_YCCK:
		return "YCCK";
	default:
		return "unknown colour";
	}
}

static const char *subsamp_name(int s)
{
	switch (s) {
	case TJSAMP_444:
		return " 4:4:4";
	case TJSAMP_422:
		return " 4:2:2";
	case TJSAMP_420:
		return " 4:2:0";
	case TJSAMP_440:
		return " 4:4:0";
	case TJSAMP_411:
		return " 4:1:1";
	default:
		return "";
	}
}

static int jpeg_page_info(kho_image_file *file, uint32_t page,
			  kho_page_info *info, kho_error *err)
{
	const struct jpeg_state *st = file->priv;
	const struct kho_jpeg_markers *m = &st->markers;
	info->width = (uint32_t)st->width;
	info->height = (uint32_t)st->height;
	info->channels = st->colorspace == TJCS_GRAY ? 1 : 3;
	info->bits = m->has_frame ? m->precision : 8;
	info->orientation = m->exif_orientation ? m->exif_orientation : 1;
	kho_jpeg_markers_dpi(m, info);
	info->has_icc = m->has_icc;
	info->grey_stored = st->colorspace == TJCS_YCbCr;
	snprintf(info->description, sizeof(info->description),
		 "JPEG %s, %d-bit %s%s",
		 m->has_frame ? process_name(m->frame_type) : "baseline",
		 info->bits, colorspace_name(st->colorspace),
		 st->colorspace == TJCS_GRAY ? "" : subsamp_name(st->subsamp));
	return 0;
}

static int supported_scale(unsigned scale)
{
	int n = 0;
	const tjscalingfactor *f = tjGetScalingFactors(&n);
	for (int i = 0; f && i < n; i++)
		if (f[i].num == 1 && (unsigned)f[i].denom == scale)
			return 1;
	return scale == 1;
}

/*
 * Whether libjpeg will hold every DCT coefficient of the image (a
 * progressive frame, or a first scan without every component): that
 * buffer, allocated inside TurboJPEG where no limit reaches, can be
 * several times the size of the decoded image, for a file of a few
 * hundred bytes.
 */
static int needs_coefficients(const struct kho_jpeg_markers *m)
{
	if (!m->has_frame)
		return 0;
	const int progressive = m->frame_type == 2 || m->frame_type == 6 ||
				m->frame_type == 10 || m->frame_type == 14;
	return progressive ||
	       (m->scan_components > 0 && m->scan_components < m->components);
}

/*
 * CMYK to RGB, the simple way (no colour management).  Adobe's encoders,
 * which are the ones that write the APP14 marker, store the inks inverted
 * (0 = full ink), so that there the stored value already is 255 - ink.
 */
static void cmyk_to_rgb(const uint8_t *s, uint8_t *o, int width, int inverted)
{
	if (inverted) {
		for (int x = 0; x < width; x++, s += 4, o += 3) {
			o[0] = (uint8_t)((s[0] * s[3] + 127) / 255);
			o[1] = (uint8_t)((s[1] * s[3] + 127) / 255);
			o[2] = (uint8_t)((s[2] * s[3] + 127) / 255);
		}
		return;
	}
	for (int x = 0; x < width; x++, s += 4, o += 3) {
		const unsigned k = 255u - s[3];
		o[0] = (uint8_t)(((255u - s[0]) * k + 127) / 255);
		o[1] = (uint8_t)(((255u - s[1]) * k + 127) / 255);
		o[2] = (uint8_t)(((255u - s[2]) * k + 127) / 255);
	}
}

static int jpeg_decode(kho_image_file *file, uint32_t page, unsigned scale,
		       struct kho_scaler *out, kho_error *err)
{
	struct jpeg_state *st = file->priv;
	if (st->unsupported)
		return kho_error_set(err, KHO_FAIL, "%s", st->unsupported);
	if (!supported_scale(scale))
		return kho_error_set(err, KHO_FAIL,
				     "JPEG decoder cannot scale by 1/%u",
				     scale);
	const tjscalingfactor sf = {1, (int)scale};
	const int w = TJSCALED(st->width, sf);
	const int h = TJSCALED(st->height, sf);
	assert((uint32_t)w == out->out_width && (uint32_t)h == out->out_height);

	const int cmyk =
		st->colorspace == TJCS_CMYK || st->colorspace == TJCS_YCCK;
	/* For a YCbCr JPEG's grey, libjpeg decodes Y alone (its chroma is
	 * read but not transformed, upsampled or converted). */
	const int pf = st->colorspace == TJCS_GRAY || file->grey ? TJPF_GRAY
		       : cmyk				      ? TJPF_CMYK
							      : TJPF_RGB;
	assert(!file->grey || st->colorspace == TJCS_YCbCr);
	const size_t pitch = (size_t)w * (size_t)tjPixelSize[pf];
	int rc = 0;
	if (needs_coefficients(&st->markers))
		rc = kho_check_alloc(&file->limits, st->markers.coef_bytes,
				     "the JPEG coefficient buffer", err);
	if (rc == 0)
		rc = kho_check_alloc(&file->limits, (uint64_t)pitch * h,
				     "the JPEG image", err);
	if (rc < 0)
		return rc;
	uint8_t *buf = malloc(pitch * (size_t)h);
	uint8_t *row = cmyk ? malloc((size_t)w * 3) : NULL;
	if (!buf || (cmyk && !row)) {
		free(buf);
		free(row);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	if (tjDecompress2(st->tj, file->data, (unsigned long)file->size, buf, w,
			  (int)pitch, h, pf,
			  TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0)
		rc = tj_failed(st->tj, NULL, err);
	for (int y = 0; y < h && rc == 0; y++) {
		const uint8_t *src = buf + (size_t)y * pitch;
		if (cmyk) {
			cmyk_to_rgb(src, row, w, st->markers.has_adobe);
			src = row;
		}
		rc = kho_scaler_push(out, src, err);
	}
	free(row);
	free(buf);
	return rc;
}

const struct kho_codec_ops kho_jpeg_ops = {
	.open = jpeg_open,
	.page_info = jpeg_page_info,
	.decode = jpeg_decode,
	.free = jpeg_free,
};
