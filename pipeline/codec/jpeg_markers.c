#include "common/internal.h"
#define KHO_CODEC_IMPL
#include "codec/codec_private.h"

#include <string.h>

/*
 * The JPEG facts TurboJPEG does not report: JFIF density, EXIF orientation
 * and resolution, an ICC profile, the Adobe colour transform, and the frame
 * type and precision (so that a 12-bit or lossless file is refused by name
 * rather than by libjpeg's wording).  Every read is bounds-checked: these
 * segments come from cameras, scanners and fuzzers alike.
 */

enum {
	M_SOF0 = 0xc0,
	M_SOF15 = 0xcf,
	M_DHT = 0xc4,
	M_JPG = 0xc8,
	M_DAC = 0xcc,
	M_SOI = 0xd8,
	M_EOI = 0xd9,
	M_SOS = 0xda,
	M_APP0 = 0xe0,
	M_APP1 = 0xe1,
	M_APP2 = 0xe2,
	M_APP14 = 0xee,
	M_TEM = 0x01,
};

/* EXIF tags of IFD0 kho uses. */
enum {
	EXIF_ORIENTATION = 0x0112,
	EXIF_XRESOLUTION = 0x011a,
	EXIF_YRESOLUTION = 0x011b,
	EXIF_RESOLUTIONUNIT = 0x0128,
	EXIF_TYPE_SHORT = 3,
	EXIF_TYPE_LONG = 4,
	EXIF_TYPE_RATIONAL = 5,
};

static void read_jfif(const uint8_t *p, size_t n, struct kho_jpeg_markers *m)
{
	/* "JFIF\0", version (2), units (1), Xdensity (2), Ydensity (2) */
	if (n < 12 || memcmp(p, "JFIF\0", 5) != 0)
		return;
	m->has_jfif = 1;
	m->jfif_unit = p[7];
	m->jfif_x = kho_get16(p + 8, 1);
	m->jfif_y = kho_get16(p + 10, 1);
}

/* A SHORT or LONG value held in the entry itself. */
static int exif_small_value(const uint8_t *e, int be, uint32_t *value)
{
	const uint16_t type = kho_get16(e + 2, be);
	const uint32_t count = kho_get32(e + 4, be);
	if (count != 1)
		return 0;
	if (type == EXIF_TYPE_SHORT)
		*value = kho_get16(e + 8, be);
	else if (type == EXIF_TYPE_LONG)
		*value = kho_get32(e + 8, be);
	else
		return 0;
	return 1;
}

/* A RATIONAL, stored elsewhere in the TIFF structure of n bytes at t. */
static double exif_rational(const uint8_t *t, size_t n, const uint8_t *e,
			    int be)
{
	if (kho_get16(e + 2, be) != EXIF_TYPE_RATIONAL ||
	    kho_get32(e + 4, be) < 1)
		return 0;
	const uint32_t off = kho_get32(e + 8, be);
	if (off > n || n - off < 8)
		return 0;
	const uint32_t num = kho_get32(t + off, be);
	const uint32_t den = kho_get32(t + off + 4, be);
	return den ? (double)num / den : 0;
}

static void read_exif(const uint8_t *p, size_t n, struct kho_jpeg_markers *m)
{
	if (n < 6 || memcmp(p, "Exif\0\0", 6) != 0)
		return;
	/* A TIFF structure: offsets count from its first byte. */
	const uint8_t *t = p + 6;
	const size_t tn = n - 6;
	if (tn < 8)
		return;
	int be;
	if (t[0] == 'I' && t[1] == 'I')
		be = 0;
	else if (t[0] == 'M' && t[1] == 'M')
		be = 1;
	else
		return;
	if (kho_get16(t + 2, be) != 42)
		return;
	const uint32_t ifd = kho_get32(t + 4, be);
	if (ifd > tn || tn - ifd < 2)
		return;
	m->has_exif = 1;
	const uint16_t count = kho_get16(t + ifd, be);
	const size_t room = (tn - ifd - 2) / 12;
	const uint8_t *e = t + ifd + 2;
	for (size_t i = 0; i < count && i < room; i++, e += 12) {
		uint32_t v;
		switch (kho_get16(e, be)) {
		case EXIF_ORIENTATION:
			if (exif_small_value(e, be, &v) && v >= 1 && v <= 8)
				m->exif_orientation = (int)v;
			break;
		case EXIF_XRESOLUTION:
			m->exif_xres = exif_rational(t, tn, e, be);
			break;
		case EXIF_YRESOLUTION:
			m->exif_yres = exif_rational(t, tn, e, be);
			break;
		case EXIF_RESOLUTIONUNIT:
			if (exif_small_value(e, be, &v))
				m->exif_unit = (int)v;
			break;
		default:
			break;
		}
	}
}

static void read_adobe(const uint8_t *p, size_t n, struct kho_jpeg_markers *m)
{
	/* "Adobe", version (2), flags0 (2), flags1 (2), transform (1) */
	if (n < 12 || memcmp(p, "Adobe", 5) != 0)
		return;
	m->has_adobe = 1;
	m->adobe_transform = p[11];
}

static void read_frame(const uint8_t *p, size_t n, int type,
		       struct kho_jpeg_markers *m)
{
	if (m->has_frame || n < 6)
		return;
	m->has_frame = 1;
	m->frame_type = type;
	m->precision = p[0];
	m->height = kho_get16(p + 1, 1);
	m->width = kho_get16(p + 3, 1);
	m->components = p[5];
	/* Each component's sampling factors; a frame too short to hold
	 * them counts every component at full size. */
	unsigned hmax = 1, vmax = 1;
	const int have = n >= 6 + 3 * (size_t)m->components;
	for (int i = 0; have && i < m->components; i++) {
		const unsigned h = p[7 + 3 * i] >> 4, v = p[7 + 3 * i] & 15;
		hmax = KHO_MAX(hmax, h);
		vmax = KHO_MAX(vmax, v);
	}
	m->coef_bytes = 0;
	for (int i = 0; i < m->components; i++) {
		unsigned h = have ? p[7 + 3 * i] >> 4 : 1;
		unsigned v = have ? p[7 + 3 * i] & 15 : 1;
		h = KHO_MAX(h, 1u);
		v = KHO_MAX(v, 1u);
		/* As libjpeg sizes it: blocks of the component's
		 * samples, rounded up to whole MCUs. */
		const uint64_t cw = ((uint64_t)m->width * h + hmax - 1) / hmax;
		const uint64_t ch = ((uint64_t)m->height * v + vmax - 1) / vmax;
		const uint64_t bw = ((cw + 7) / 8 + h - 1) / h * h;
		const uint64_t bh = ((ch + 7) / 8 + v - 1) / v * v;
		m->coef_bytes += bw * bh * 128;
	}
}

int kho_jpeg_read_markers(const uint8_t *data, size_t size,
			  struct kho_jpeg_markers *m, kho_error *err)
{
	memset(m, 0, sizeof(*m));
	m->exif_unit = 2;
	if (size < 4 || data[0] != 0xff || data[1] != M_SOI)
		return kho_error_set(err, KHO_FAIL, "not a JPEG stream");
	size_t pos = 2;
	while (pos < size) {
		/* Markers may be preceded by any number of 0xff fill bytes;
		 * anything else between segments is damage libjpeg reports
		 * itself, so stop here. */
		if (data[pos] != 0xff)
			break;
		while (pos < size && data[pos] == 0xff)
			pos++;
		if (pos >= size)
			break;
		const uint8_t marker = data[pos++];
		if (marker == M_SOS) {
			if (size - pos >= 3)
				m->scan_components = data[pos + 2];
			break;
		}
		if (marker == M_EOI)
			break;
		if (marker == M_TEM || (marker >= 0xd0 && marker <= 0xd7))
			continue; /* no length */
		if (size - pos < 2)
			break;
		const uint16_t len = kho_get16(data + pos, 1);
		if (len < 2 || len > size - pos)
			break;
		const uint8_t *p = data + pos + 2;
		const size_t n = len - 2u;
		if (marker >= M_SOF0 && marker <= M_SOF15 && marker != M_DHT &&
		    marker != M_JPG && marker != M_DAC)
			read_frame(p, n, marker - M_SOF0, m);
		else if (marker == M_APP0)
			read_jfif(p, n, m);
		else if (marker == M_APP1)
			read_exif(p, n, m);
		else if (marker == M_APP2 && n >= 12 &&
			 memcmp(p, "ICC_PROFILE\0", 12) == 0)
			m->has_icc = 1;
		else if (marker == M_APP14)
			read_adobe(p, n, m);
		pos += len;
	}
	return 0;
}

void kho_jpeg_markers_dpi(const struct kho_jpeg_markers *m, kho_page_info *info)
{
	info->xdpi = info->ydpi = 0;
	info->dpi_source = KHO_DPI_NONE;
	/* JFIF first when it gives a real unit; 1 x 1 is the "no density"
	 * that many encoders write. */
	if (m->has_jfif && (m->jfif_unit == 1 || m->jfif_unit == 2) &&
	    m->jfif_x > 0 && m->jfif_y > 0 &&
	    !(m->jfif_x == 1 && m->jfif_y == 1)) {
		const double f = m->jfif_unit == 2 ? 2.54 : 1.0;
		info->xdpi = kho_codec_round_dpi(m->jfif_x * f);
		info->ydpi = kho_codec_round_dpi(m->jfif_y * f);
		info->dpi_source = KHO_DPI_JFIF;
		return;
	}
	if (m->has_exif && (m->exif_unit == 2 || m->exif_unit == 3) &&
	    m->exif_xres > 0 && m->exif_yres > 0 &&
	    !(m->exif_xres == 1 && m->exif_yres == 1)) {
		const double f = m->exif_unit == 3 ? 2.54 : 1.0;
		info->xdpi = kho_codec_round_dpi(m->exif_xres * f);
		info->ydpi = kho_codec_round_dpi(m->exif_yres * f);
		if (info->xdpi > 0 && info->ydpi > 0)
			info->dpi_source = KHO_DPI_EXIF;
		else
			info->xdpi = info->ydpi = 0;
	}
}
