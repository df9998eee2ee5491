/*
 * compress: every page of a record rendered from its original by its plan,
 * in one pass, and the record's result.pdf written into the store.
 *
 * Bitonal pages are encoded as CCITT G4 (a fixed threshold today; the
 * adaptive binarization and the mixed mode come with the compress issue),
 * grey and colour pages as JPEG at jpeg_quality.  The PDF's dates come from the catalog, so the same originals and
 * plans give the same bytes.
 */
#include "stages/stage.h"
#include "codec/codec.h"
#include "pdf/pdf_writer.h"
#include "render/g4_encode.h"
#include "render/jpeg_encode.h"
#include "render/render.h"

#include "kho_version.h"

typedef struct source {
	char sha[KHO_SHA256_HEX];
	uint8_t *data;
	size_t size;
	kho_image_file *file;
} source;

static int open_source(kho_session *s, source *src, const char *sha,
		       kho_error *err)
{
	if (src->file && strcmp(src->sha, sha) == 0)
		return KHO_OK;
	kho_image_file_free(src->file);
	free(src->data);
	memset(src, 0, sizeof(*src));
	int rc = kho_store_read(&s->store, sha, s->limits.max_file_bytes,
				&src->data, &src->size, err);
	if (rc == KHO_OK)
		rc = kho_image_file_open(&src->file, src->data, src->size,
					 &s->limits, err);
	if (rc == KHO_OK)
		snprintf(src->sha, sizeof(src->sha), "%s", sha);
	return rc;
}

static void close_source(source *src)
{
	kho_image_file_free(src->file);
	free(src->data);
	memset(src, 0, sizeof(*src));
}

static int render_page(kho_session *s, source *src, const kho_page *pg,
		       kho_task *task, kho_pdf *pdf, kho_error *err)
{
	const kho_plan *plan = &pg->plan;
	kho_task_page(task, pg->page_no, "decoding");
	int rc = open_source(s, src, pg->original_sha, err);
	unsigned scale = kho_render_decode_scale(plan->source_dpi, plan->dpi);
	kho_image img = KHO_IMAGE_INIT, out = KHO_IMAGE_INIT;
	if (rc == KHO_OK)
		rc = kho_image_file_read(src->file, (uint32_t)pg->file_page,
					 scale, &img, err);
	if (rc == KHO_OK) {
		kho_task_page(task, pg->page_no, "rendering");
		rc = kho_render_page(&img, scale, plan, &out, err);
	}
	kho_image_release(&img);
	uint8_t *jpeg = NULL, *g4 = NULL;
	size_t len = 0;
	const int bitonal = plan->mode == KHO_MODE_BITONAL;
	if (rc == KHO_OK) {
		kho_task_page(task, pg->page_no, "encoding");
		if (bitonal)
			rc = kho_g4_encode(&out, 128, &g4, &len, err);
		else
			rc = kho_jpeg_encode(&out, (int)s->conf.jpeg_quality,
					     plan->dpi, &jpeg, &len, err);
	}
	if (rc == KHO_OK) {
		kho_pdf_image layer = {
			.filter = bitonal ? KHO_PDF_CCITT_G4 : KHO_PDF_DCT,
			.data = bitonal ? g4 : jpeg,
			.size = len,
			.width = out.width,
			.height = out.height,
			.channels = out.channels,
		};
		rc = kho_pdf_add_page(pdf, out.width * 72.0 / plan->dpi,
				      out.height * 72.0 / plan->dpi, &layer, 1,
				      err);
	}
	kho_jpeg_free(jpeg);
	free(g4);
	kho_image_release(&out);
	if (rc)
		kho_error_prefix(err, "page %d ('%s')", pg->page_no,
				 pg->original_name);
	return rc;
}

int kho_compress_process(void *ctx, kho_catalog *cat, kho_task *task,
			 kho_job *job, kho_error *err)
{
	kho_session *s = ctx;
	kho_record rec;
	kho_page *pages = NULL;
	size_t n = 0;
	int rc = kho_records_get(cat, job->record, &rec, err);
	if (rc == KHO_OK)
		rc = kho_records_pages(cat, job->record, &pages, &n, err);
	for (size_t i = 0; rc == KHO_OK && i < n; i++)
		if (!pages[i].has_plan)
			rc = kho_error_set(err, KHO_FAIL,
					   "page %d has no plan: run normalize "
					   "first",
					   pages[i].page_no);
	if (rc) {
		free(pages);
		return rc;
	}

	kho_store_file out;
	kho_pdf *pdf = NULL;
	rc = kho_store_create(&s->store, "pdf", &out, err);
	if (rc == KHO_OK)
		rc = kho_pdf_begin(&pdf, out.stream, err);
	source src;
	memset(&src, 0, sizeof(src));
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		rc = render_page(s, &src, &pages[i], task, pdf, err);
		if (rc == KHO_OK)
			kho_task_pages_done(task, 1);
	}
	close_source(&src);

	char created[32];
	snprintf(created, sizeof(created), "%.19sZ", rec.ingested_at);
	char producer[32];
	snprintf(producer, sizeof(producer), "kho %s", KHO_VERSION_STRING);
	kho_pdf_meta meta = {
		.title = rec.record_id,
		.subject = "digitized administrative result",
		.creator = "kho-compress",
		.producer = producer,
		.created = created,
	};
	if (rc == KHO_OK) {
		rc = kho_pdf_finish(pdf, &meta, err);
		pdf = NULL;
	}
	kho_pdf_abandon(pdf);
	char sha[KHO_SHA256_HEX];
	uint64_t size = 0;
	if (rc == KHO_OK)
		rc = kho_store_commit(&s->store, &out, sha, &size, err);
	else if (out.stream || out.fd >= 0)
		kho_store_abandon(&out);
	free(pages);
	if (rc)
		return rc;

	rc = kho_catalog_begin(cat, err);
	if (rc == KHO_OK)
		rc = kho_outputs_set(cat, job->record, "result.pdf", sha, size,
				     "compress", err);
	if (rc) {
		kho_catalog_rollback(cat);
		return rc;
	}
	char detail[96];
	snprintf(detail, sizeof(detail), "result.pdf: %zu page(s), %llu bytes",
		 n, (unsigned long long)size);
	return kho_stage_finish(cat, job, job->record, detail, err);
}
