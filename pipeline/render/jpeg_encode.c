#include "render/jpeg_encode.h"

#include <turbojpeg.h>

/* TurboJPEG writes a JFIF header with an unknown density (1:1, unit 0);
 * the page's resolution belongs there. */
static void set_density(uint8_t *buf, unsigned long len, int dpi)
{
	if (len > 18 && buf[2] == 0xFF && buf[3] == 0xE0 &&
	    memcmp(buf + 6, "JFIF", 5) == 0 && dpi > 0 && dpi < 65536) {
		buf[13] = 1;
		buf[14] = (uint8_t)(dpi >> 8);
		buf[15] = (uint8_t)dpi;
		buf[16] = (uint8_t)(dpi >> 8);
		buf[17] = (uint8_t)dpi;
	}
}

int kho_jpeg_encode(const kho_image *img, int quality, int dpi, int full_chroma,
		    uint8_t **data, size_t *size, kho_error *err)
{
	*data = NULL;
	*size = 0;
	tjhandle tj = tjInitCompress();
	if (!tj)
		return kho_error_set(err, KHO_FATAL,
				     "cannot start the JPEG encoder");
	unsigned long len = 0;
	unsigned char *buf = NULL;
	const int grey = img->channels == 1;
	int rc = tjCompress2(tj, img->pixels, (int)img->width, (int)img->stride,
			     (int)img->height, grey ? TJPF_GRAY : TJPF_RGB,
			     &buf, &len,
			     grey	   ? TJSAMP_GRAY
			     : full_chroma ? TJSAMP_444
					   : TJSAMP_420,
			     quality, 0);
	if (rc != 0) {
		kho_error_set(err, KHO_FAIL, "cannot encode JPEG: %s",
			      tjGetErrorStr2(tj));
		tjFree(buf);
		tjDestroy(tj);
		return KHO_FAIL;
	}
	tjDestroy(tj);
	set_density(buf, len, dpi);
	*data = buf;
	*size = len;
	return KHO_OK;
}

int kho_jpeg_encode_yuv(const kho_yuv420 *yuv, int quality, int dpi,
			uint8_t **data, size_t *size, kho_error *err)
{
	*data = NULL;
	*size = 0;
	tjhandle tj = tjInitCompress();
	if (!tj)
		return kho_error_set(err, KHO_FATAL,
				     "cannot start the JPEG encoder");
	const unsigned char *planes[3] = {yuv->plane[0], yuv->plane[1],
					  yuv->plane[2]};
	int strides[3] = {(int)yuv->stride[0], (int)yuv->stride[1],
			  (int)yuv->stride[2]};
	unsigned long len = 0;
	unsigned char *buf = NULL;
	if (tjCompressFromYUVPlanes(tj, planes, (int)yuv->width, strides,
				    (int)yuv->height, TJSAMP_420, &buf, &len,
				    quality, 0) != 0) {
		kho_error_set(err, KHO_FAIL, "cannot encode JPEG: %s",
			      tjGetErrorStr2(tj));
		tjFree(buf);
		tjDestroy(tj);
		return KHO_FAIL;
	}
	tjDestroy(tj);
	set_density(buf, len, dpi);
	*data = buf;
	*size = len;
	return KHO_OK;
}

void kho_jpeg_free(uint8_t *data)
{
	tjFree(data);
}
