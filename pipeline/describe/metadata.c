#include "describe/metadata.h"

#include "kho_version.h"

static json_t *plan_json(const kho_plan *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "rotation", json_integer(p->rotation));
	json_object_set_new(o, "mirror", json_boolean(p->mirror));
	json_object_set_new(o, "skew", json_real(p->skew));
	json_object_set_new(o, "skew_confidence", json_real(p->skew_confidence));
	json_object_set_new(o, "crop", json_pack("[iiii]", p->crop_x, p->crop_y,
						 p->crop_w, p->crop_h));
	json_object_set_new(o, "mode", json_string(kho_mode_name(p->mode)));
	json_object_set_new(o, "dpi", json_integer(p->dpi));
	json_object_set_new(o, "source_dpi", json_real(p->source_dpi));
	json_object_set_new(o, "blank_score", json_real(p->blank_score));
	json_object_set_new(o, "blank", json_boolean(p->blank));
	json_t *flags = json_array();
	char buf[sizeof(p->flags)];
	snprintf(buf, sizeof(buf), "%s", p->flags);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(flags, json_string(t));
	json_object_set_new(o, "flags", flags);
	json_error_t jerr;
	json_t *m = json_loads(p->measurements[0] ? p->measurements : "{}", 0,
			       &jerr);
	json_object_set_new(o, "measurements", m ? m : json_object());
	json_t *ov = json_loads(p->overrides[0] ? p->overrides : "{}", 0, &jerr);
	json_object_set_new(o, "overrides", ov ? ov : json_object());
	return o;
}

int kho_metadata_build(kho_catalog *cat, int64_t record, json_t **out,
		       kho_error *err)
{
	*out = NULL;
	kho_record rec;
	kho_original *orig = NULL;
	kho_page *pages = NULL;
	kho_output *outs = NULL;
	kho_event_row *evs = NULL;
	size_t n_orig = 0, n_pages = 0, n_outs = 0, n_evs = 0;
	int rc = kho_records_get(cat, record, &rec, err);
	if (rc == KHO_OK)
		rc = kho_records_originals(cat, record, &orig, &n_orig, err);
	if (rc == KHO_OK)
		rc = kho_records_pages(cat, record, &pages, &n_pages, err);
	if (rc == KHO_OK)
		rc = kho_outputs_list(cat, record, &outs, &n_outs, err);
	if (rc == KHO_OK)
		rc = kho_events_list(cat, record, rec.record_id, &evs, &n_evs,
				     err);
	if (rc) {
		free(orig);
		free(pages);
		free(outs);
		kho_events_free(evs, n_evs);
		return rc;
	}

	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string(KHO_METADATA_SCHEMA));
	json_object_set_new(
		doc, "record",
		json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "id", rec.record_id,
			  "version", rec.version, "batch", rec.batch, "desk",
			  rec.desk, "source", rec.source, "ingested_at",
			  rec.ingested_at));
	json_object_set_new(doc, "register", json_null());

	json_t *jo = json_array();
	for (size_t i = 0; i < n_orig; i++)
		json_array_append_new(
			jo, json_pack("{s:i, s:s, s:s, s:I, s:s, s:i}", "seq",
				      (int)i + 1, "name", orig[i].name, "sha256",
				      orig[i].sha256, "size",
				      (json_int_t)orig[i].size, "format",
				      orig[i].format, "pages", orig[i].pages));
	json_object_set_new(doc, "originals", jo);

	json_t *jp = json_array();
	for (size_t i = 0; i < n_pages; i++) {
		const kho_page *p = &pages[i];
		json_t *o = json_pack(
			"{s:i, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:[f,f],"
			" s:s, s:s}",
			"page", p->page_no, "original", p->original_name,
			"original_sha256", p->original_sha, "file_page",
			p->file_page, "width", (int)p->width, "height",
			(int)p->height, "bits", p->bits, "channels", p->channels,
			"orientation", p->orientation, "file_dpi", p->xdpi,
			p->ydpi, "dpi_source", p->dpi_source, "description",
			p->description);
		if (p->has_plan)
			json_object_set_new(o, "plan", plan_json(&p->plan));
		json_array_append_new(jp, o);
	}
	json_object_set_new(doc, "pages", jp);

	json_t *jout = json_array();
	for (size_t i = 0; i < n_outs; i++)
		json_array_append_new(
			jout, json_pack("{s:s, s:s, s:I, s:s, s:s}", "name",
					outs[i].name, "sha256", outs[i].sha256,
					"size", (json_int_t)outs[i].size, "stage",
					outs[i].stage, "made_at",
					outs[i].made_at));
	json_object_set_new(doc, "outputs", jout);

	json_t *je = json_array();
	for (size_t i = 0; i < n_evs; i++) {
		json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "at",
				      evs[i].at, "stage", evs[i].stage, "type",
				      evs[i].type, "outcome", evs[i].outcome,
				      "program", evs[i].program, "version",
				      evs[i].version);
		if (evs[i].detail)
			json_object_set_new(e, "detail",
					    json_string(evs[i].detail));
		json_array_append_new(je, e);
	}
	json_object_set_new(doc, "events", je);
	json_object_set_new(doc, "producer",
			    json_pack("{s:s, s:s}", "program", "kho-describe",
				      "version", KHO_VERSION_STRING));
	free(orig);
	free(pages);
	free(outs);
	kho_events_free(evs, n_evs);
	*out = doc;
	return KHO_OK;
}
