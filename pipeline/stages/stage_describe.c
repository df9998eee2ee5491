/*
 * describe: the record's metadata.json into the store.  Still to come
 * (describe and pack issue): the register's fields, the PDF's XMP and Info
 * filled with the same facts, and the QR code of Circular 01/2023.
 */
#include "stages/stage.h"
#include "describe/metadata.h"

int kho_describe_process(void *ctx, kho_catalog *cat, kho_task *task,
			 kho_job *job, kho_error *err)
{
	kho_session *s = ctx;
	kho_task_page(task, 0, "describing");
	json_t *doc = NULL;
	int rc = kho_metadata_build(cat, job->record, &doc, err);
	if (rc)
		return rc;
	kho_store_file out;
	rc = kho_store_create(&s->store, "json", &out, err);
	if (rc == KHO_OK &&
	    json_dumpf(doc, out.stream, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		rc = kho_error_set(err, KHO_FATAL,
				   "cannot write metadata.json into the store");
	if (rc == KHO_OK && fputc('\n', out.stream) == EOF)
		rc = kho_error_set(err, KHO_FATAL,
				   "cannot write metadata.json into the store");
	json_decref(doc);
	char sha[KHO_SHA256_HEX];
	uint64_t size = 0;
	if (rc == KHO_OK)
		rc = kho_store_commit(&s->store, &out, sha, &size, err);
	else if (out.stream)
		kho_store_abandon(&out);
	if (rc)
		return rc;
	rc = kho_catalog_begin(cat, err);
	if (rc == KHO_OK)
		rc = kho_outputs_set(cat, job->record, "metadata.json", sha,
				     size, "describe", err);
	if (rc) {
		kho_catalog_rollback(cat);
		return rc;
	}
	char detail[64];
	snprintf(detail, sizeof(detail), "metadata.json: %llu bytes",
		 (unsigned long long)size);
	return kho_stage_finish(cat, job, job->record, detail, err);
}
