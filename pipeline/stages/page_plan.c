#include "stages/page_plan.h"
#include "analysis/analyze.h"

#include <math.h>

/* TIFF/EXIF Orientation 1..8 as a mirror (first) and a clockwise turn. */
static void orientation_plan(int orientation, kho_plan *plan)
{
	static const struct {
		int mirror, rotation;
	} table[9] = {
		{ 0, 0 },   { 0, 0 }, { 1, 0 },  { 0, 180 }, { 1, 180 },
		{ 1, 270 }, { 0, 90 }, { 1, 90 }, { 0, 270 },
	};
	int o = orientation >= 1 && orientation <= 8 ? orientation : 1;
	plan->mirror = table[o].mirror;
	plan->rotation = table[o].rotation;
}

static void add_flag(kho_plan *plan, const char *flag)
{
	size_t n = strlen(plan->flags);
	snprintf(plan->flags + n, sizeof(plan->flags) - n, "%s%s",
		 n ? "," : "", flag);
}

unsigned kho_plan_scale(const kho_page *pg, double *source_dpi)
{
	kho_dpi_verdict verdict;
	const char *paper = NULL;
	const double dpi = kho_page_dpi(pg->width, pg->height, pg->xdpi,
					pg->ydpi, &verdict, &paper);
	if (source_dpi)
		*source_dpi = dpi;
	const uint32_t side = KHO_MAX(pg->width, pg->height);
	unsigned scale = 1;
	while (scale < 8 && dpi / (scale * 2) >= 95 && side / (scale * 2) >= 1000)
		scale *= 2;
	return scale;
}

int kho_plan_measure(const kho_session *s, const kho_page *pg,
		     const kho_image *reduced, unsigned scale,
		     const char *measured_in, kho_plan *plan, int *finer,
		     kho_error *err)
{
	*finer = 0;
	memset(plan, 0, sizeof(*plan));
	orientation_plan(pg->orientation, plan);
	const int tag_rotation = plan->rotation;

	kho_dpi_verdict verdict;
	const char *paper = NULL;
	plan->source_dpi = kho_page_dpi(pg->width, pg->height, pg->xdpi,
					pg->ydpi, &verdict, &paper);
	kho_image turned = KHO_IMAGE_INIT;
	const kho_image *seen = reduced;
	int rc = KHO_OK;
	if (plan->mirror || plan->rotation) {
		rc = kho_image_turn(reduced, plan->mirror, plan->rotation,
				    &turned, err);
		seen = &turned;
	}
	kho_analysis a;
	if (rc == KHO_OK)
		rc = kho_analyze_page(seen, plan->source_dpi / scale,
				      pg->channels, pg->bits, &a, err);
	kho_image_release(&turned);
	if (rc)
		return rc;
	/* A page with a few words (a page number, a short note) has too
	 * little ink at the reduced size to place its lines, or a few lines
	 * of small print too few pixels high to tell which way up they
	 * read: the caller measures it again at twice the resolution. */
	if (scale > 1 &&
	    kho_analysis_wants_finer(&a, plan->source_dpi / scale)) {
		*finer = 1;
		return KHO_OK;
	}

	plan->rotation = (tag_rotation + a.rotation) % 360;
	plan->skew = a.skew;
	plan->skew_confidence = a.skew_confidence;
	/* The crop, from the analysed image's pixels to the page's, cut to
	 * the page turned as the plan turns it. */
	const uint32_t tw = plan->rotation % 180 ? pg->height : pg->width;
	const uint32_t th = plan->rotation % 180 ? pg->width : pg->height;
	if (a.bed) {
		double x0 = floor(a.crop_x * scale), y0 = floor(a.crop_y * scale);
		double x1 = ceil((a.crop_x + a.crop_w) * scale);
		double y1 = ceil((a.crop_y + a.crop_h) * scale);
		x0 = KHO_MAX(0.0, x0);
		y0 = KHO_MAX(0.0, y0);
		x1 = KHO_MIN((double)tw, x1);
		y1 = KHO_MIN((double)th, y1);
		plan->crop_x = (int)x0;
		plan->crop_y = (int)y0;
		plan->crop_w = (int)KHO_MAX(1.0, x1 - x0);
		plan->crop_h = (int)KHO_MAX(1.0, y1 - y0);
	} else {
		plan->crop_w = (int)tw;
		plan->crop_h = (int)th;
	}

	if (a.rotation)
		add_flag(plan, "orientation-from-content");
	if (a.sideways || a.upside_unsure)
		add_flag(plan, "orientation-uncertain");
	if (strcmp(a.skew_source, "none") == 0 && !a.blank)
		add_flag(plan, "skew-uncertain");
	else if (strcmp(a.skew_source, "paper edge") == 0)
		add_flag(plan, "skew-from-paper-edge");
	if (a.bed)
		add_flag(plan, "border");
	if (verdict == KHO_DPI_MISSING)
		add_flag(plan, "dpi-missing");
	else if (verdict == KHO_DPI_ABSURD)
		add_flag(plan, "dpi-absurd");
	if (verdict != KHO_DPI_FROM_FILE)
		add_flag(plan, "dpi-inferred");
	if (plan->source_dpi < s->conf.min_dpi)
		add_flag(plan, "below-standard-dpi");
	double dpi = round(plan->source_dpi);
	dpi = KHO_MIN(dpi, (double)s->conf.target_dpi);
	dpi = KHO_MAX(dpi, (double)s->conf.min_dpi);
	/* A grey page scanned below the standard and made bitonal is
	 * binarized at up to twice the scan's resolution (at most the
	 * target's): its strokes' edges lie between the scan's pixels, and
	 * there they keep their shape (tesseract misread 10.7% of the words
	 * of a 150 dpi page at 300 dpi, 16.6% at 200).  A 1-bit scan has no
	 * such edges to find. */
	if (a.mode == KHO_MODE_BITONAL && pg->bits > 1 &&
	    plan->source_dpi < s->conf.min_dpi)
		dpi = KHO_MAX(dpi, KHO_MIN((double)s->conf.target_dpi,
					   2 * round(plan->source_dpi)));
	plan->dpi = (int)dpi;

	plan->mode = a.mode;
	plan->blank_score = a.blank_score;
	plan->blank = a.blank;
	if (plan->blank)
		add_flag(plan, "blank");

	const kho_page_stats *st = &a.stats;
	const int len = snprintf(plan->measurements, sizeof(plan->measurements),
		 "{\"measured_in\":\"%s\",\"analysed_dpi\":%.1f,\"paper_level\":%.1f,"
		 "\"paper_rgb\":[%.1f,%.1f,%.1f],\"ink_fraction\":%.6f,"
		 "\"faint_fraction\":%.6f,\"faint_clear_fraction\":%.6f,"
		 "\"grain\":%.1f,\"midtone_fraction\":%.6f,\"photo_mm2\":%.0f,"
		 "\"shading\":%.1f,"
		 "\"colour_fraction\":%.6f,\"mode_reason\":\"%s\","
		 "\"skew_source\":\"%s\",\"skew_text\":%.3f,"
		 "\"skew_text_confidence\":%.2f,\"profile_peak\":%.3f,"
		 "\"lines_across\":%.3f,\"lines_along\":%.3f,"
		 "\"upright\":%.3f,\"text_lines\":%d,\"line_share\":%.3f,"
		 "\"orientation_confidence\":%.2f,\"faint_lines\":%d,"
		 "\"faint_peak\":%.3f,"
		 "\"faint_upright\":%.3f,\"faint_confidence\":%.2f,"
		 "\"faint_ends\":%.3f,\"mark_mm2\":%.1f,\"light_mark_mm2\":%.1f,"
		 "\"border\":\"%s\","
		 "\"bed_share\":%.4f,\"paper_edge_angle\":%.3f,"
		 "\"paper_edge_weight\":%.2f,\"file_dpi\":[%.2f,%.2f],"
		 "\"dpi_source\":\"%s\",\"paper\":%s%s%s}",
		 measured_in, plan->source_dpi / scale, st->paper_level, st->paper_rgb[0],
		 st->paper_rgb[1], st->paper_rgb[2], st->ink_fraction,
		 st->faint_fraction, st->faint_clear_fraction, st->grain,
		 st->midtone_fraction, st->photo_mm2, st->shading,
		 st->colour_fraction,
		 a.mode_reason, a.skew_source, a.orient.skew.angle,
		 a.orient.skew.confidence, a.orient.skew.peak, a.orient.across,
		 a.orient.along, a.orient.updown, a.orient.lines,
		 a.orient.line_share,
		 a.orient.confidence, a.faint.lines, a.faint.skew.peak,
		 a.faint.updown,
		 a.faint.confidence, a.faint.lean, a.largest_mark,
		 a.light_mark, a.sides, a.bed_share, a.edge_angle,
		 a.edge_weight, pg->xdpi, pg->ydpi,
		 verdict == KHO_DPI_FROM_FILE ? pg->dpi_source : "inferred",
		 paper ? "\"" : "", paper ? paper : "null", paper ? "\"" : "");
	/* Cut short, the JSON would not parse: never stored so. */
	if (len < 0 || (size_t)len >= sizeof(plan->measurements))
		return kho_error_set(err, KHO_FAIL,
				     "the page's measurements take %d bytes, "
				     "more than the %zu kept",
				     len, sizeof(plan->measurements) - 1);
	return KHO_OK;
}

int kho_plan_check_size(const kho_page *pg, const kho_page_info *info,
			kho_error *err)
{
	if (info->width == pg->width && info->height == pg->height)
		return KHO_OK;
	return kho_error_set(err, KHO_FAIL,
			     "the page decodes to %u x %u pixels where ingest "
			     "recorded %u x %u (an earlier kho, which did not "
			     "make a fax's pixels square): its plan is in the "
			     "recorded size's pixels, and it is not rendered",
			     info->width, info->height, pg->width, pg->height);
}
