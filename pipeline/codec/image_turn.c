/* Mirroring and quarter turns of a whole kho_image. */
#include "codec/codec.h"

int kho_image_turn(const kho_image *src, int mirror, int rotation,
		   kho_image *out, kho_error *err)
{
	assert(rotation == 0 || rotation == 90 || rotation == 180 ||
	       rotation == 270);
	const uint32_t sw = src->width, sh = src->height;
	const uint32_t tw = rotation % 180 ? sh : sw;
	const uint32_t th = rotation % 180 ? sw : sh;
	int rc = kho_image_alloc(out, tw, th, src->channels, err);
	if (rc)
		return rc;
	const int c = src->channels;
	if (!mirror && rotation == 0) {
		for (uint32_t y = 0; y < sh; y++)
			memcpy(out->pixels + (size_t)y * out->stride,
			       src->pixels + (size_t)y * src->stride,
			       (size_t)sw * c);
		return KHO_OK;
	}
	/* For each pixel of the turned image, where it is in the stored one:
	 * a clockwise quarter turn sends stored (x, y) to (sh-1-y, x); the
	 * mirror is applied to the stored image first. */
	for (uint32_t y = 0; y < th; y++) {
		uint8_t *d = out->pixels + (size_t)y * out->stride;
		for (uint32_t x = 0; x < tw; x++) {
			uint32_t sx, sy;
			switch (rotation) {
			case 90:
				sx = y;
				sy = sh - 1 - x;
				break;
			case 180:
				sx = sw - 1 - x;
				sy = sh - 1 - y;
				break;
			case 270:
				sx = sw - 1 - y;
				sy = x;
				break;
			default:
				sx = x;
				sy = y;
			}
			if (mirror)
				sx = sw - 1 - sx;
			const uint8_t *p = src->pixels + (size_t)sy * src->stride +
					   (size_t)sx * c;
			for (int k = 0; k < c; k++)
				d[(size_t)x * c + k] = p[k];
		}
	}
	return KHO_OK;
}
