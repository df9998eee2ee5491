/*
 * compress: every page of a record rendered from its original by its plan,
 * in one pass (render/render.h), encoded, and written into the record's
 * result.pdf and, with tiff_master = yes, its master.tif, both streamed
 * into the store page by page.
 *
 * Bitonal pages are CCITT G4; grey and colour pages JPEG at jpeg_quality;
 * mixed pages a JPEG background at background_dpi under a G4 image mask
 * of the text.  The documents' dates come from the catalog, so the same
 * originals and plans give the same bytes.
 */
#include "stages/stage.h"
#include "stages/page_plan.h"
#include "codec/codec.h"
#include "pdf/pdf_writer.h"
#include "render/g4_encode.h"
#include "render/jpeg_encode.h"
#include "render/render.h"
#include "render/tiff_master.h"

#include "kho_version.h"

#include <jansson.h>

typedef struct source {
	char sha[KHO_SHA256_HEX];
	kho_file_map map;
	kho_image_file *file;
} source;

static void close_source(source *src)
{
	kho_image_file_free(src->file);
	kho_file_map_release(&src->map);
	memset(src, 0, sizeof(*src));
}

static int open_source(kho_session *s, source *src, const char *sha,
		       kho_error *err)
{
	if (src->file && strcmp(src->sha, sha) == 0)
		return KHO_OK;
	close_source(src);
	int rc = kho_store_map(&s->store, sha, s->limits.max_file_bytes,
			       &src->map, err);
	if (rc == KHO_OK)
		rc = kho_image_file_open_map(&src->file, &src->map,
					     &s->limits, err);
	if (rc == KHO_OK)
		snprintf(src->sha, sizeof(src->sha), "%s", sha);
	return rc;
}

/* The encoded streams of one page, in drawing order. */
typedef struct encoded {
	kho_pdf_image layers[2];
	size_t n;
	uint8_t *jpeg; /* TurboJPEG's */
	uint8_t *g4;   /* malloc'd */
} encoded;

static void encoded_release(encoded *e)
{
	kho_jpeg_free(e->jpeg);
	free(e->g4);
	memset(e, 0, sizeof(*e));
}

static int encode_page(const kho_rendered *r, int quality, encoded *e,
		       kho_error *err)
{
	memset(e, 0, sizeof(*e));
	int rc = KHO_OK;
	size_t len = 0;
	if (r->yuv.plane[0]) {
		rc = kho_jpeg_encode_yuv(&r->yuv, quality, r->dpi, &e->jpeg,
					 &len, err);
		if (rc == KHO_OK)
			e->layers[e->n++] = (kho_pdf_image){
				.filter = KHO_PDF_DCT,
				.data = e->jpeg,
				.size = len,
				.width = r->width,
				.height = r->height,
				.channels = 3,
			};
	} else if (r->image.pixels) {
		rc = kho_jpeg_encode(&r->image, quality, r->image_dpi,
				     r->mode == KHO_MODE_MIXED, &e->jpeg, &len,
				     err);
		if (rc == KHO_OK)
			e->layers[e->n++] = (kho_pdf_image){
				.filter = KHO_PDF_DCT,
				.data = e->jpeg,
				.size = len,
				.width = r->image.width,
				.height = r->image.height,
				.channels = r->image.channels,
			};
	}
	if (rc == KHO_OK && r->bits) {
		rc = kho_g4_encode_bits(r->bits, r->bits_stride, r->width,
					r->height, &e->g4, &len, err);
		if (rc == KHO_OK)
			e->layers[e->n++] = (kho_pdf_image){
				.filter = KHO_PDF_CCITT_G4,
				.data = e->g4,
				.size = len,
				.width = r->width,
				.height = r->height,
				.channels = 1,
				/* over a background, only the text paints */
				.image_mask = r->mode == KHO_MODE_MIXED,
			};
	}
	if (rc)
		encoded_release(e);
	return rc;
}

typedef struct outputs {
	kho_pdf *pdf;
	kho_tiff_master *master;
	int quality;
	int background_dpi;
} outputs;

/* A number of the plan's measurements, or 0 where they do not say. */
static double measured(const json_t *m, const char *key)
{
	const json_t *v = m ? json_object_get(m, key) : NULL;
	return json_is_number(v) ? json_number_value(v) : 0;
}

/* The paper's level for the text layer's ink floor (kho_render_opts): as
 * normalize measured it where the page has ink darker than its paper (a
 * dark sheet, an underexposed scan, whose paper the usual floor would
 * blacken); 0, the usual floor, for a 1-bit scan, whose two levels are
 * as they are, and for a dark page with no darker ink on it (white on
 * black, a negative), which the usual floor keeps as it is. */
static double text_paper_level(const kho_page *pg)
{
	if (pg->bits <= 1)
		return 0;
	json_t *m = json_loads(pg->plan.measurements, 0, NULL);
	const double paper = measured(m, "paper_level");
	const double ink = measured(m, "ink_fraction");
	json_decref(m);
	return ink > 0 ? paper : 0;
}

static int render_page(kho_session *s, source *src, const kho_page *pg,
		       kho_task *task, outputs *o, kho_error *err)
{
	const kho_plan *plan = &pg->plan;
	kho_task_page(task, pg->page_no, "decoding");
	int rc = open_source(s, src, pg->original_sha, err);
	const uint32_t file_page = (uint32_t)pg->file_page;
	kho_page_info info;
	uint8_t *icc = NULL;
	size_t icc_size = 0;
	if (rc == KHO_OK)
		rc = kho_image_file_page_info(src->file, file_page, &info, err);
	if (rc == KHO_OK)
		rc = kho_plan_check_size(pg, &info, err);
	if (rc == KHO_OK && info.has_icc)
		rc = kho_image_file_icc(src->file, file_page, &icc, &icc_size,
					err);
	kho_rendered r = KHO_RENDERED_INIT;
	if (rc == KHO_OK) {
		/* One pass: the rows are rendered as they are decoded. */
		kho_task_page(task, pg->page_no, "rendering");
		const kho_render_opts opts = {
			.background_dpi = o->background_dpi,
			.paper_level = text_paper_level(pg),
			.icc = icc,
			.icc_size = icc_size,
		};
		rc = kho_render_file_page(
			src->file, file_page, &info,
			kho_render_decode_scale(plan->source_dpi, plan->dpi),
			plan, &opts, &r, err);
	}
	free(icc);
	encoded e;
	memset(&e, 0, sizeof(e));
	if (rc == KHO_OK) {
		kho_task_page(task, pg->page_no, "encoding");
		rc = encode_page(&r, o->quality, &e, err);
	}
	if (rc == KHO_OK)
		rc = kho_pdf_add_page(o->pdf, r.width * 72.0 / r.dpi,
				      r.height * 72.0 / r.dpi, e.layers, e.n,
				      err);
	if (rc == KHO_OK && o->master)
		rc = kho_tiff_master_add_page(o->master, &r, err);
	encoded_release(&e);
	kho_rendered_release(&r);
	/* The page's bytes are read again from the file if ever needed: a
	 * long multi-page TIFF holds one page's worth in memory. */
	kho_file_map_drop(&src->map, 0, src->map.size);
	if (rc)
		kho_error_prefix(err, "page %d ('%s')", pg->page_no,
				 pg->original_name);
	return rc;
}

static int record_pages(kho_catalog *cat, kho_job *job, kho_record *rec,
			kho_page **pages, size_t *n, kho_error *err)
{
	int rc = kho_records_get(cat, job->record, rec, err);
	if (rc == KHO_OK)
		rc = kho_records_pages(cat, job->record, pages, n, err);
	for (size_t i = 0; rc == KHO_OK && i < *n; i++)
		if (!(*pages)[i].has_plan)
			rc = kho_error_set(err, KHO_FAIL,
					   "page %d has no plan: run normalize "
					   "first",
					   (*pages)[i].page_no);
	return rc;
}

int kho_compress_process(void *ctx, kho_catalog *cat, kho_task *task,
			 kho_job *job, kho_error *err)
{
	kho_session *s = ctx;
	kho_record rec;
	kho_page *pages = NULL;
	size_t n = 0;
	int rc = record_pages(cat, job, &rec, &pages, &n, err);
	if (rc) {
		free(pages);
		return rc;
	}

	char created[32];
	snprintf(created, sizeof(created), "%.19sZ", rec.ingested_at);
	char producer[32];
	snprintf(producer, sizeof(producer), "kho %s", KHO_VERSION_STRING);
	const kho_pdf_meta meta = {
		.title = rec.record_id,
		.subject = "digitized administrative result",
		.creator = "kho-compress",
		.producer = producer,
		.created = created,
	};

	kho_store_file pdf_file, tif_file;
	memset(&tif_file, 0, sizeof(tif_file));
	tif_file.fd = -1;
	outputs o = {
		.quality = (int)s->conf.jpeg_quality,
		.background_dpi = (int)s->conf.background_dpi,
	};
	rc = kho_store_create(&s->store, "pdf", &pdf_file, err);
	if (rc == KHO_OK)
		rc = kho_pdf_begin(&o.pdf, pdf_file.stream, err);
	if (rc == KHO_OK && s->conf.tiff_master) {
		rc = kho_store_create(&s->store, "tif", &tif_file, err);
		if (rc == KHO_OK)
			rc = kho_tiff_master_begin(&o.master, tif_file.fd,
						   o.quality, &meta, err);
	}
	source src;
	memset(&src, 0, sizeof(src));
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		rc = render_page(s, &src, &pages[i], task, &o, err);
		if (rc == KHO_OK)
			kho_task_pages_done(task, 1);
	}
	close_source(&src);

	if (rc == KHO_OK) {
		rc = kho_pdf_finish(o.pdf, &meta, err);
		o.pdf = NULL;
	}
	if (rc == KHO_OK && o.master) {
		rc = kho_tiff_master_finish(o.master, err);
		o.master = NULL;
	}
	kho_pdf_abandon(o.pdf);
	kho_tiff_master_abandon(o.master);
	char sha[KHO_SHA256_HEX], tif_sha[KHO_SHA256_HEX];
	uint64_t size = 0, tif_size = 0;
	if (rc == KHO_OK)
		rc = kho_store_commit(&s->store, &pdf_file, sha, &size, err);
	else if (pdf_file.stream || pdf_file.fd >= 0)
		kho_store_abandon(&pdf_file);
	if (rc == KHO_OK && tif_file.stream)
		rc = kho_store_commit(&s->store, &tif_file, tif_sha, &tif_size,
				      err);
	else if (tif_file.stream || tif_file.fd >= 0)
		kho_store_abandon(&tif_file);
	free(pages);
	if (rc)
		return rc;

	rc = kho_catalog_begin(cat, err);
	if (rc == KHO_OK)
		rc = kho_outputs_set(cat, job->record, "result.pdf", sha, size,
				     "compress", err);
	if (rc == KHO_OK && s->conf.tiff_master)
		rc = kho_outputs_set(cat, job->record, "master.tif", tif_sha,
				     tif_size, "compress", err);
	if (rc) {
		kho_catalog_rollback(cat);
		return rc;
	}
	char detail[128];
	snprintf(detail, sizeof(detail),
		 "result.pdf: %zu page(s), %llu bytes%s", n,
		 (unsigned long long)size,
		 s->conf.tiff_master ? "; master.tif" : "");
	return kho_stage_finish(cat, job, job->record, detail, err);
}
