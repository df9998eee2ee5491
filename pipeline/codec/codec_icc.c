/*
 * The ICC profile a page embeds, handed over as bytes for colour
 * management: JPEG APP2 "ICC_PROFILE" chunks put back together in their
 * order, PNG's iCCP inflated, TIFF's InterColorProfile tag.  Read from the
 * file's bytes (or libtiff's directory) apart from decoding, so that the
 * decoders stay as they are.
 */
#include "common/internal.h"
#define KHO_CODEC_IMPL
#include "codec/codec_private.h"
#include "codec/codec_tiff.h"

#include <zlib.h>

/* Profiles are tens of kilobytes; anything this large is not one. */
#define ICC_MAX (4u << 20)

static int no_profile(uint8_t **icc, size_t *size)
{
	*icc = NULL;
	*size = 0;
	return KHO_OK;
}

static int jpeg_icc(const kho_image_file *file, uint8_t **icc, size_t *size,
		    kho_error *err)
{
	const uint8_t *d = file->data;
	const size_t n = file->size;
	/* Chunks are numbered 1..count; each is found once. */
	const uint8_t *chunk[256] = {0};
	size_t len[256] = {0};
	int count = 0;
	size_t pos = 2;
	while (pos + 4 <= n && d[pos] == 0xff) {
		const uint8_t marker = d[pos + 1];
		if (marker == 0xff) {
			pos++;
			continue;
		}
		if (marker == 0xda || marker == 0xd9)
			break; /* SOS, EOI: no profile after the header */
		const size_t seg = (size_t)d[pos + 2] << 8 | d[pos + 3];
		if (seg < 2 || pos + 2 + seg > n)
			break;
		const uint8_t *p = d + pos + 4;
		const size_t plen = seg - 2;
		if (marker == 0xe2 && plen > 14 &&
		    memcmp(p, "ICC_PROFILE\0", 12) == 0) {
			const int seq = p[12], cnt = p[13];
			if (seq >= 1 && seq <= cnt &&
			    (!count || cnt == count) && !chunk[seq]) {
				count = cnt;
				chunk[seq] = p + 14;
				len[seq] = plen - 14;
			}
		}
		pos += 2 + seg;
	}
	size_t total = 0;
	for (int i = 1; i <= count; i++) {
		if (!chunk[i])
			return no_profile(icc, size); /* a chunk is missing */
		total += len[i];
	}
	if (total == 0 || total > ICC_MAX)
		return no_profile(icc, size);
	uint8_t *buf = malloc(total);
	if (!buf)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	size_t at = 0;
	for (int i = 1; i <= count; i++) {
		memcpy(buf + at, chunk[i], len[i]);
		at += len[i];
	}
	*icc = buf;
	*size = total;
	return KHO_OK;
}

static int png_icc(const kho_image_file *file, uint8_t **icc, size_t *size,
		   kho_error *err)
{
	const uint8_t *d = file->data;
	const size_t n = file->size;
	size_t pos = 8;
	while (pos + 12 <= n) {
		const uint32_t clen = kho_get32(d + pos, 1);
		const uint8_t *type = d + pos + 4;
		if (clen > n - pos - 12)
			break;
		if (memcmp(type, "IDAT", 4) == 0 ||
		    memcmp(type, "IEND", 4) == 0)
			break;
		if (memcmp(type, "iCCP", 4) == 0) {
			const uint8_t *p = d + pos + 8;
			const uint8_t *nul = memchr(p, 0, KHO_MIN(clen, 80u));
			if (!nul || (size_t)(nul - p) + 2 > clen || nul[1] != 0)
				return no_profile(icc, size);
			const size_t zlen = clen - (size_t)(nul - p) - 2;
			uint8_t *buf = malloc(ICC_MAX);
			if (!buf)
				return kho_error_set(err, KHO_FATAL,
						     "out of memory");
			z_stream z;
			memset(&z, 0, sizeof(z));
			z.next_in = (Bytef *)(nul + 2);
			z.avail_in = (uInt)zlen;
			z.next_out = buf;
			z.avail_out = ICC_MAX;
			int zrc = inflateInit(&z);
			if (zrc == Z_OK)
				zrc = inflate(&z, Z_FINISH);
			const size_t got = ICC_MAX - z.avail_out;
			inflateEnd(&z);
			if (zrc != Z_STREAM_END || got < 128) {
				free(buf);
				return no_profile(icc, size);
			}
			uint8_t *shrunk = realloc(buf, got);
			*icc = shrunk ? shrunk : buf;
			*size = got;
			return KHO_OK;
		}
		pos += 12 + clen;
	}
	return no_profile(icc, size);
}

static int tiff_icc(kho_image_file *file, uint32_t page, uint8_t **icc,
		    size_t *size, kho_error *err)
{
	/* page_info selects the page's directory. */
	kho_page_info info;
	int rc = kho_image_file_page_info(file, page, &info, err);
	if (rc)
		return rc;
	const struct kho_tiff_state *st = file->priv;
	uint32_t len = 0;
	void *p = NULL;
	if (!TIFFGetField(st->tif, TIFFTAG_ICCPROFILE, &len, &p) || !p ||
	    len < 128 || len > ICC_MAX)
		return no_profile(icc, size);
	uint8_t *buf = malloc(len);
	if (!buf)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	memcpy(buf, p, len);
	*icc = buf;
	*size = len;
	return KHO_OK;
}

int kho_image_file_icc(kho_image_file *file, uint32_t page, uint8_t **icc,
		       size_t *size, kho_error *err)
{
	no_profile(icc, size);
	switch (kho_image_file_format(file)) {
	case KHO_FORMAT_JPEG:
		return jpeg_icc(file, icc, size, err);
	case KHO_FORMAT_PNG:
		return png_icc(file, icc, size, err);
	case KHO_FORMAT_TIFF:
		return tiff_icc(file, page, icc, size, err);
	default:
		return KHO_OK;
	}
}
