#include "describe/metadata.h"
#include "common/hash.h"
#include "common/names.h"

#include "kho_version.h"

/* Text from input (file names, folders) that may not be UTF-8: quoted
 * then, as kho quotes names in messages, rather than lost. */
static json_t *text(const char *s)
{
	json_t *const j = json_string(s);
	if (j)
		return j;
	char q[1024];
	kho_quote_name(s, q, sizeof(q));
	return json_string(q);
}

static void append(json_t *array, json_t *item, int *ok)
{
	if (!item || json_array_append_new(array, item) != 0)
		*ok = 0;
}

static json_t *plan_json(const kho_plan *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "rotation", json_integer(p->rotation));
	json_object_set_new(o, "mirror", json_boolean(p->mirror));
	json_object_set_new(o, "skew", json_real(p->skew));
	json_object_set_new(o, "skew_confidence",
			    json_real(p->skew_confidence));
	json_object_set_new(o, "crop",
			    json_pack("[iiii]", p->crop_x, p->crop_y, p->crop_w,
				      p->crop_h));
	json_object_set_new(o, "mode", json_string(kho_mode_name(p->mode)));
	json_object_set_new(o, "dpi", json_integer(p->dpi));
	json_object_set_new(o, "source_dpi", json_real(p->source_dpi));
	json_object_set_new(o, "blank_score", json_real(p->blank_score));
	json_object_set_new(o, "blank", json_boolean(p->blank));
	json_t *flags = json_array();
	char buf[sizeof(p->flags)];
	snprintf(buf, sizeof(buf), "%s", p->flags);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save))
		json_array_append_new(flags, json_string(t));
	json_object_set_new(o, "flags", flags);
	json_error_t jerr;
	json_t *m = json_loads(p->measurements[0] ? p->measurements : "{}", 0,
			       &jerr);
	json_object_set_new(o, "measurements",
			    json_is_object(m) ? m : json_object());
	if (m && !json_is_object(m))
		json_decref(m);
	json_t *ov =
		json_loads(p->overrides[0] ? p->overrides : "{}", 0, &jerr);
	json_object_set_new(o, "overrides",
			    json_is_object(ov) ? ov : json_object());
	if (ov && !json_is_object(ov))
		json_decref(ov);
	return o;
}

static json_t *register_json(const kho_register_entry *r)
{
	if (!r)
		return json_null();
	json_error_t jerr;
	json_t *extra = json_loads(r->extra_json, 0, &jerr);
	if (!json_is_object(extra)) {
		json_decref(extra);
		extra = json_object();
	}
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id",
			 r->record_id, "year", r->year, "agency", r->agency,
			 "field", r->field, "procedure_code", r->procedure_code,
			 "title", r->title, "number", r->number, "issue_date",
			 r->issue_date, "extra", extra);
}

static const char *encoding_name(const kho_pdf_image *im)
{
	if (im->filter == KHO_PDF_DCT)
		return "jpeg";
	return im->image_mask ? "g4-mask" : "g4";
}

/* A page of the published result.pdf: its size and its images. */
static json_t *pdf_page_json(const kho_pdf_read_page *pg)
{
	json_t *layers = json_array();
	for (size_t k = 0; k < pg->n_layers; k++) {
		const kho_pdf_image *im = &pg->layers[k];
		char sha[KHO_SHA256_HEX];
		kho_sha256_hex(im->data, im->size, sha);
		json_array_append_new(
			layers,
			json_pack("{s:s, s:i, s:i, s:i, s:I, s:s}", "encoding",
				  encoding_name(im), "width", (int)im->width,
				  "height", (int)im->height, "channels",
				  im->channels, "bytes", (json_int_t)im->size,
				  "sha256", sha));
	}
	return json_pack("{s:f, s:f, s:o}", "width_pt", pg->area.w, "height_pt",
			 pg->area.h, "layers", layers);
}

static json_t *publication_json(const kho_describe_facts *f)
{
	const kho_qr_placement *q = f->qr;
	json_t *qr = json_pack(
		"{s:i, s:s, s:s, s:i, s:i, s:f, s:f, s:f, s:f, s:f}", "page", 1,
		"corner", "upper-left", "error_correction", "M", "version",
		q->version, "modules", (int)q->modules, "module_pt",
		q->module_pt, "x_pt", q->x_pt, "y_pt", q->y_pt, "side_pt",
		q->side_pt, "band_pt", q->band_pt);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "published_at",
			 f->published_at, "publisher", f->publisher,
			 "verification_code", f->code, "code_method",
			 "kho-pages/1", "qr_payload", f->payload, "qr", qr);
}

typedef struct facts_rows {
	kho_record rec;
	kho_original *orig;
	kho_page *pages;
	kho_output *outs;
	kho_event_row *evs;
	size_t n_orig, n_pages, n_outs, n_evs;
} facts_rows;

static void rows_release(facts_rows *r)
{
	free(r->orig);
	free(r->pages);
	free(r->outs);
	kho_events_free(r->evs, r->n_evs);
	memset(r, 0, sizeof(*r));
}

static int rows_load(kho_catalog *cat, int64_t record, facts_rows *r,
		     kho_error *err)
{
	memset(r, 0, sizeof(*r));
	int rc = kho_records_get(cat, record, &r->rec, err);
	if (rc == KHO_OK)
		rc = kho_records_originals(cat, record, &r->orig, &r->n_orig,
					   err);
	if (rc == KHO_OK)
		rc = kho_records_pages(cat, record, &r->pages, &r->n_pages,
				       err);
	if (rc == KHO_OK)
		rc = kho_outputs_list(cat, record, &r->outs, &r->n_outs, err);
	if (rc == KHO_OK)
		rc = kho_events_list(cat, record, r->rec.record_id, &r->evs,
				     &r->n_evs, err);
	if (rc)
		rows_release(r);
	return rc;
}

static json_t *outputs_json(const facts_rows *r, const kho_describe_facts *f)
{
	json_t *jout = json_array();
	for (size_t i = 0; i < r->n_outs; i++) {
		const kho_output *o = &r->outs[i];
		/* The file cannot name its own digest: the bag's manifests
		 * do. */
		if (strcmp(o->name, "metadata.json") == 0)
			continue;
		if (strcmp(o->name, "result.pdf") == 0)
			json_array_append_new(
				jout,
				json_pack("{s:s, s:s, s:I, s:s, s:s}", "name",
					  o->name, "sha256", f->result_sha256,
					  "size", (json_int_t)f->result_size,
					  "stage", "describe", "made_at",
					  f->described_at));
		else
			json_array_append_new(
				jout,
				json_pack("{s:s, s:s, s:I, s:s, s:s}", "name",
					  o->name, "sha256", o->sha256, "size",
					  (json_int_t)o->size, "stage",
					  o->stage, "made_at", o->made_at));
	}
	return jout;
}

static json_t *events_json(const facts_rows *r, const kho_describe_facts *f)
{
	json_t *je = json_array();
	for (size_t i = 0; i < r->n_evs; i++) {
		const kho_event_row *ev = &r->evs[i];
		json_t *e = json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s}", "at", ev->at, "stage",
			ev->stage, "type", ev->type, "outcome", ev->outcome,
			"program", ev->program, "version", ev->version);
		if (e && ev->detail)
			json_object_set_new(e, "detail", text(ev->detail));
		json_array_append_new(je, e);
	}
	/* This description, which commits once the file is written. */
	json_array_append_new(
		je, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "at",
			      f->described_at, "stage", "describe", "type",
			      "describe", "outcome", "ok", "program",
			      "kho-describe", "version", KHO_VERSION_STRING,
			      "detail", f->detail));
	return je;
}

int kho_metadata_build(kho_catalog *cat, int64_t record,
		       const kho_describe_facts *f, json_t **out,
		       kho_error *err)
{
	*out = NULL;
	facts_rows r;
	int rc = rows_load(cat, record, &r, err);
	if (rc)
		return rc;
	if (kho_pdf_doc_n_pages(f->doc) != r.n_pages) {
		rc = kho_error_set(err, KHO_FAIL,
				   "result.pdf has %zu page(s), the record "
				   "%zu: compress it again",
				   kho_pdf_doc_n_pages(f->doc), r.n_pages);
		rows_release(&r);
		return rc;
	}

	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string(KHO_METADATA_SCHEMA));
	json_object_set_new(
		doc, "record",
		json_pack("{s:s, s:i, s:o, s:o, s:o, s:s, s:s}", "id",
			  r.rec.record_id, "version", r.rec.version, "batch",
			  text(r.rec.batch), "desk", text(r.rec.desk), "source",
			  text(r.rec.source), "ingested_at", r.rec.ingested_at,
			  "fingerprint", r.rec.fingerprint));
	json_object_set_new(doc, "register", register_json(f->reg));
	json_object_set_new(doc, "publication", publication_json(f));

	int ok = 1;
	json_t *jo = json_array();
	for (size_t i = 0; i < r.n_orig; i++)
		append(jo,
		       json_pack("{s:i, s:o, s:s, s:I, s:s, s:i}", "seq",
				 (int)i + 1, "name", text(r.orig[i].name),
				 "sha256", r.orig[i].sha256, "size",
				 (json_int_t)r.orig[i].size, "format",
				 r.orig[i].format, "pages", r.orig[i].pages),
		       &ok);
	json_object_set_new(doc, "originals", jo);

	json_t *jp = json_array();
	for (size_t i = 0; i < r.n_pages; i++) {
		const kho_page *p = &r.pages[i];
		json_t *o = json_pack(
			"{s:i, s:o, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:[f,f],"
			" s:s, s:s}",
			"page", p->page_no, "original", text(p->original_name),
			"original_sha256", p->original_sha, "file_page",
			p->file_page, "width", (int)p->width, "height",
			(int)p->height, "bits", p->bits, "channels",
			p->channels, "orientation", p->orientation, "file_dpi",
			p->xdpi, p->ydpi, "dpi_source", p->dpi_source,
			"description", p->description);
		if (o && p->has_plan)
			json_object_set_new(o, "plan", plan_json(&p->plan));
		if (o && json_object_set_new(o, "pdf",
					     pdf_page_json(kho_pdf_doc_page(
						     f->doc, i))) != 0)
			ok = 0;
		append(jp, o, &ok);
	}
	json_object_set_new(doc, "pages", jp);
	json_object_set_new(doc, "outputs", outputs_json(&r, f));
	json_object_set_new(doc, "events", events_json(&r, f));
	json_object_set_new(doc, "producer",
			    json_pack("{s:s, s:s}", "program", "kho-describe",
				      "version", KHO_VERSION_STRING));
	rows_release(&r);
	if (!ok || !doc || json_object_size(doc) != 9) {
		json_decref(doc);
		return kho_error_set(err, KHO_FATAL,
				     "cannot build metadata.json: out of "
				     "memory or a text that is not UTF-8");
	}
	*out = doc;
	return KHO_OK;
}
