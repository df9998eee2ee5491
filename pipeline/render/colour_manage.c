#include "render/colour_manage.h"

#include <lcms2.h>
#include <stdio.h>

struct kho_cms {
	cmsContext ctx;
	cmsHTRANSFORM xf;
};

/* Grey with the sRGB tone curve and a D50 white, what DeviceGray in a PDF
 * with an sRGB OutputIntent is read as. */
static cmsHPROFILE srgb_grey(cmsContext ctx)
{
	/* IEC 61966-2-1: type 4 parametric curve. */
	static const cmsFloat64Number srgb[5] = {
		2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045};
	cmsToneCurve *curve = cmsBuildParametricToneCurve(ctx, 4, srgb);
	if (!curve)
		return NULL;
	cmsHPROFILE p = cmsCreateGrayProfileTHR(ctx, cmsD50_xyY(), curve);
	cmsFreeToneCurve(curve);
	return p;
}

int kho_cms_new(kho_cms **out, const uint8_t *icc, size_t size, int channels,
		char *note, size_t note_size, kho_error *err)
{
	*out = NULL;
	if (note_size)
		note[0] = '\0';
	assert(channels == 1 || channels == 3);
	if (!icc || size < 128 || size > UINT32_MAX) {
		snprintf(note, note_size, "no usable ICC profile");
		return KHO_OK;
	}
	kho_cms *c = calloc(1, sizeof(*c));
	if (!c)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	c->ctx = cmsCreateContext(NULL, NULL);
	cmsHPROFILE in = c->ctx ? cmsOpenProfileFromMemTHR(
					  c->ctx, icc, (cmsUInt32Number)size)
				: NULL;
	const char *why = NULL;
	if (!c->ctx) {
		why = "lcms2 could not start";
	} else if (!in) {
		why = "the embedded ICC profile is damaged";
	} else {
		const cmsColorSpaceSignature space = cmsGetColorSpace(in);
		if (channels == 3 && space != cmsSigRgbData)
			why = space == cmsSigCmykData
				      ? "a CMYK ICC profile over rows decoded "
					"to RGB"
				      : "the ICC profile is not an RGB one";
		else if (channels == 1 && space != cmsSigGrayData)
			why = "the ICC profile is not a grey one";
	}
	cmsHPROFILE dst = NULL;
	if (!why) {
		dst = channels == 3 ? cmsCreate_sRGBProfileTHR(c->ctx)
				    : srgb_grey(c->ctx);
		const cmsUInt32Number fmt =
			channels == 3 ? TYPE_RGB_8 : TYPE_GRAY_8;
		if (dst)
			c->xf = cmsCreateTransformTHR(c->ctx, in, fmt, dst, fmt,
						      INTENT_PERCEPTUAL, 0);
		if (!c->xf)
			why = "lcms2 cannot convert from the embedded profile";
	}
	if (dst)
		cmsCloseProfile(dst);
	if (in)
		cmsCloseProfile(in);
	if (why) {
		snprintf(note, note_size, "%s: colours as decoded", why);
		kho_cms_free(c);
		return KHO_OK;
	}
	*out = c;
	return KHO_OK;
}

void kho_cms_row(kho_cms *cms, const uint8_t *in, uint8_t *out, uint32_t width)
{
	cmsDoTransform(cms->xf, in, out, width);
}

void kho_cms_free(kho_cms *cms)
{
	if (!cms)
		return;
	if (cms->xf)
		cmsDeleteTransform(cms->xf);
	if (cms->ctx)
		cmsDeleteContext(cms->ctx);
	free(cms);
}
