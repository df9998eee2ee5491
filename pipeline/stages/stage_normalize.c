/*
 * normalize: the page plan of every page of a record, from measurements
 * on a reduced decode (100-150 dpi; stages/page_plan.c).  Writes no image.
 * Ingest measures each page already, on the decode that proves it whole;
 * normalize then keeps those plans, and measures again on a retry, for a
 * page ingest could not settle, and for records ingested before.
 *
 * The file's Orientation tag first, then the content (analysis/orient.c);
 * the skew from the text, or from the paper's edges on a page with too
 * little text, or none (flagged) when neither is sure; the paper inside
 * the scanner's bed as the crop (analysis/paper.c); the mode and the blank
 * flag from the measurements (analysis/measure.c); the resolution from
 * the file, inferred from the paper size where missing or absurd, output
 * dpi capped at target_dpi and never below min_dpi.
 */
#include "stages/stage.h"
#include "stages/page_plan.h"
#include "codec/codec.h"

#include <math.h>

typedef struct loaded {
	char sha[KHO_SHA256_HEX];
	kho_file_map map;
	kho_image_file *file;
} loaded;

static void unload(loaded *l)
{
	kho_image_file_free(l->file);
	kho_file_map_release(&l->map);
	memset(l, 0, sizeof(*l));
}

static int load_original(kho_session *s, loaded *l, const char *sha,
			 kho_error *err)
{
	if (l->file && strcmp(l->sha, sha) == 0)
		return KHO_OK;
	unload(l);
	int rc = kho_store_map(&s->store, sha, s->limits.max_file_bytes,
			       &l->map, err);
	if (rc == KHO_OK)
		rc = kho_image_file_open_map(&l->file, &l->map,
					     &s->limits, err);
	if (rc == KHO_OK)
		snprintf(l->sha, sizeof(l->sha), "%s", sha);
	return rc;
}

/* One page measured and decided: at the analysis size, and at twice it
 * when that tells too little. */
static int plan_page(const kho_session *s, kho_image_file *file,
		     const kho_page *pg, kho_plan *plan, kho_error *err)
{
	kho_page_info info;
	int rc = kho_image_file_page_info(file, (uint32_t)pg->file_page, &info,
					  err);
	if (rc == KHO_OK)
		rc = kho_plan_check_size(pg, &info, err);
	if (rc)
		return rc;
	unsigned scale = kho_plan_scale(pg, NULL);
	for (;;) {
		kho_image reduced = KHO_IMAGE_INIT;
		int finer = 0;
		rc = kho_image_file_read(file, (uint32_t)pg->file_page, scale,
					 &reduced, err);
		if (rc == KHO_OK)
			rc = kho_plan_measure(s, pg, &reduced, scale,
					      "normalize", plan, &finer, err);
		kho_image_release(&reduced);
		if (rc || !finer)
			return rc;
		scale /= 2;
	}
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
	/* Ingest measured the pages on the decode that proved them whole:
	 * their plans stand, unless this is a retry (the archivist wants
	 * them measured again).  A page ingest left undecided (too little
	 * ink at its scale) is measured here, by itself. */
	int *kept = calloc(n ? n : 1, sizeof(*kept));
	if (!kept) {
		free(plans);
		free(pages);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	size_t n_kept = 0;
	for (size_t i = 0; i < n; i++) {
		kept[i] = job->attempts == 1 && pages[i].has_plan &&
			  strstr(pages[i].plan.measurements,
				 "\"measured_in\":\"ingest\"") != NULL;
		n_kept += (size_t)kept[i];
	}
	loaded l;
	memset(&l, 0, sizeof(l));
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		const kho_page *pg = &pages[i];
		if (kept[i]) {
			plans[i] = pg->plan;
			continue;
		}
		kho_task_page(task, pg->page_no, "measuring");
		rc = load_original(s, &l, pg->original_sha, err);
		if (rc == KHO_OK) {
			rc = plan_page(s, l.file, pg, &plans[i], err);
			kho_file_map_drop(&l.map, 0, l.map.size);
		}
		if (rc) {
			kho_error_prefix(err, "page %d ('%s')", pg->page_no,
					 pg->original_name);
			break;
		}
	}
	unload(&l);

	int blank = 0, colour = 0;
	if (rc == KHO_OK)
		rc = kho_catalog_begin(cat, err);
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		if (!kept[i])
			rc = kho_plans_save(cat, pages[i].id, &plans[i], err);
		blank += plans[i].blank;
		colour += plans[i].mode == KHO_MODE_COLOUR ||
			  plans[i].mode == KHO_MODE_MIXED;
	}
	if (rc == KHO_OK) {
		char detail[128], how[64] = "";
		if (n_kept == n && n > 0)
			snprintf(how, sizeof(how), " (measured at ingest)");
		else if (n_kept > 0)
			snprintf(how, sizeof(how), " (%zu measured at ingest)",
				 n_kept);
		snprintf(detail, sizeof(detail),
			 "%zu page(s) planned%s: %d colour, %d blank", n, how,
			 colour, blank);
		rc = kho_stage_finish(cat, job, job->record, detail, err);
	} else {
		kho_catalog_rollback(cat);
	}
	kho_task_pages_done(task, (int)n);
	free(kept);
	free(plans);
	free(pages);
	return rc;
}
