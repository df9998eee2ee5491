/*
 * normalize: the page plan of every page of a record, from measurements
 * on a reduced decode (about 150 dpi).  Writes no image.
 *
 * Decided today: rotation and mirror from the file's Orientation tag;
 * resolution from the file, inferred from the paper size where missing or
 * absurd, output dpi capped at target_dpi and never below min_dpi; mode
 * bitonal (1-bit sources), colour (meaningful colour) or grey; the blank
 * score.  Skew and the border crop are not measured yet: skew 0, the crop
 * is the whole page (issue: normalize on real scans).
 */
#include "stages/stage.h"
#include "analysis/measure.h"
#include "codec/codec.h"

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

typedef struct loaded {
	char sha[KHO_SHA256_HEX];
	uint8_t *data;
	size_t size;
	kho_image_file *file;
} loaded;

static int load_original(kho_session *s, loaded *l, const char *sha,
			 kho_error *err)
{
	if (l->file && strcmp(l->sha, sha) == 0)
		return KHO_OK;
	kho_image_file_free(l->file);
	free(l->data);
	memset(l, 0, sizeof(*l));
	int rc = kho_store_read(&s->store, sha, s->limits.max_file_bytes,
				&l->data, &l->size, err);
	if (rc == KHO_OK)
		rc = kho_image_file_open(&l->file, l->data, l->size,
					 &s->limits, err);
	if (rc == KHO_OK)
		snprintf(l->sha, sizeof(l->sha), "%s", sha);
	return rc;
}

static void unload(loaded *l)
{
	kho_image_file_free(l->file);
	free(l->data);
	memset(l, 0, sizeof(*l));
}

/* Decides one page's plan from its measurements. */
static void decide(const kho_session *s, const kho_page *pg,
		   const kho_page_stats *st, kho_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	orientation_plan(pg->orientation, plan);
	uint32_t w = plan->rotation % 180 ? pg->height : pg->width;
	uint32_t h = plan->rotation % 180 ? pg->width : pg->height;
	plan->crop_w = (int)w;
	plan->crop_h = (int)h;
	plan->skew = 0;
	plan->skew_confidence = 0;
	add_flag(plan, "skew-not-measured");

	kho_dpi_verdict verdict;
	const char *paper = NULL;
	plan->source_dpi = kho_page_dpi(pg->width, pg->height, pg->xdpi,
					pg->ydpi, &verdict, &paper);
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
	plan->dpi = (int)dpi;

	if (pg->bits == 1)
		plan->mode = KHO_MODE_BITONAL;
	else if (pg->channels == 3 && kho_stats_is_colour(st))
		plan->mode = KHO_MODE_COLOUR;
	else
		plan->mode = KHO_MODE_GREY;
	plan->blank_score = kho_stats_blank_score(st);
	plan->blank = kho_stats_is_blank(st);
	if (plan->blank)
		add_flag(plan, "blank");

	snprintf(plan->measurements, sizeof(plan->measurements),
		 "{\"paper_level\":%.1f,\"ink_fraction\":%.6f,"
		 "\"colour_fraction\":%.6f,\"paper_chroma\":%.2f,"
		 "\"file_dpi\":[%.2f,%.2f],\"dpi_source\":\"%s\","
		 "\"paper\":%s%s%s,\"source_bits\":%d,\"source_channels\":%d}",
		 st->paper_level, st->ink_fraction, st->colour_fraction,
		 st->paper_chroma, pg->xdpi, pg->ydpi,
		 verdict == KHO_DPI_FROM_FILE ? pg->dpi_source : "inferred",
		 paper ? "\"" : "", paper ? paper : "null", paper ? "\"" : "",
		 pg->bits, pg->channels);
}

/* The reduction that brings the page to about 150 dpi for measuring. */
static unsigned analysis_scale(const kho_page *pg)
{
	double dpi = pg->xdpi > 0 ? pg->xdpi : KHO_MAX(pg->width, pg->height) / 11.7;
	unsigned scale = 1;
	while (scale < 8 && dpi / (scale * 2) >= 140)
		scale *= 2;
	return scale;
}

int kho_normalize_process(void *ctx, kho_catalog *cat, kho_task *task,
			  kho_job *job, kho_error *err)
{
	kho_session *s = ctx;
	kho_page *pages = NULL;
	size_t n = 0;
	int rc = kho_records_pages(cat, job->record, &pages, &n, err);
	if (rc)
		return rc;
	kho_plan *plans = calloc(n ? n : 1, sizeof(*plans));
	if (!plans) {
		free(pages);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	loaded l;
	memset(&l, 0, sizeof(l));
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		const kho_page *pg = &pages[i];
		kho_task_page(task, pg->page_no, "measuring");
		rc = load_original(s, &l, pg->original_sha, err);
		kho_image img = KHO_IMAGE_INIT;
		if (rc == KHO_OK)
			rc = kho_image_file_read(l.file, (uint32_t)pg->file_page,
						 analysis_scale(pg), &img, err);
		if (rc) {
			kho_error_prefix(err, "page %d ('%s')", pg->page_no,
					 pg->original_name);
			break;
		}
		kho_page_stats st;
		kho_measure_page(&img, &st);
		kho_image_release(&img);
		decide(s, pg, &st, &plans[i]);
	}
	unload(&l);

	int blank = 0, colour = 0;
	if (rc == KHO_OK)
		rc = kho_catalog_begin(cat, err);
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		rc = kho_plans_save(cat, pages[i].id, &plans[i], err);
		blank += plans[i].blank;
		colour += plans[i].mode == KHO_MODE_COLOUR;
	}
	if (rc == KHO_OK) {
		char detail[128];
		snprintf(detail, sizeof(detail),
			 "%zu page(s) planned: %d colour, %d blank", n, colour,
			 blank);
		rc = kho_stage_finish(cat, job, job->record, detail, err);
	} else {
		kho_catalog_rollback(cat);
	}
	kho_task_pages_done(task, (int)n);
	free(plans);
	free(pages);
	return rc;
}
