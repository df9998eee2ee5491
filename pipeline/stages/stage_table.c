#include "stages/stage.h"
#include "common/clock.h"
#include "common/fsutil.h"

#include <string.h>

static const kho_stage stages[] = {
	{ "ingest", "kho-ingest", "ingesting",
	  "find records in the inboxes, check every page decodes, keep the "
	  "originals",
	  kho_ingest_prepare, kho_ingest_process, NULL },
	{ "normalize", "kho-normalize", "normalizing",
	  "decide each page's plan: rotation, skew, crop, mode, dpi, blank",
	  NULL, kho_normalize_process, NULL },
	{ "compress", "kho-compress", "compressing",
	  "render each page by its plan and write the record's result.pdf",
	  NULL, kho_compress_process, NULL },
	{ "describe", "kho-describe", "describing",
	  "write the record's metadata.json", NULL, kho_describe_process,
	  NULL },
	{ "pack", "kho-pack", "packing",
	  "pack finished records as BagIt bags into warehouse volumes", NULL,
	  NULL, kho_pack_run },
};

_Static_assert(KHO_ARRAY_SIZE(stages) == KHO_N_STAGES,
	       "the stage table and kho_stage_order must agree");

const kho_stage *kho_stage_table(size_t *n)
{
	*n = KHO_ARRAY_SIZE(stages);
	return stages;
}

const kho_stage *kho_stage_find(const char *name)
{
	for (size_t i = 0; i < KHO_ARRAY_SIZE(stages); i++)
		if (strcmp(stages[i].name, name) == 0)
			return &stages[i];
	return NULL;
}

int kho_stage_run(kho_session *s, const kho_stage *stage,
		  kho_stage_result *res, kho_error *err)
{
	memset(res, 0, sizeof(*res));
	assert(kho_stage_index(stage->name) >= 0);
	const int64_t started = kho_mono_ms();
	if (stage->prepare) {
		int rc = stage->prepare(s, err);
		if (rc)
			return rc;
	}
	if (stage->run_all) {
		int rc = stage->run_all(s, res, err);
		res->elapsed_ms = kho_mono_ms() - started;
		return rc;
	}

	kho_pool_opts o = {
		.stage = stage->name,
		.verb = stage->verb,
		.workers = s->jobs,
		.page_timeout_s = (int)s->conf.page_timeout,
		.catalog_path = s->catalog_path,
		.log_dir = s->log_dir,
		.program = stage->program,
		.run = kho_catalog_run(s->cat),
		.fn = stage->process,
		.ctx = s,
		.progress = s->progress,
	};
	kho_pool_result pr;
	int rc = kho_pool_run(&o, &pr, err);
	res->done = pr.done;
	res->failed = pr.failed;
	res->pages = pr.pages;
	res->interrupted = pr.interrupted;
	res->elapsed_ms = kho_mono_ms() - started;
	return rc;
}

int kho_stage_recover(kho_session *s, kho_error *err)
{
	assert(s->lock_fd >= 0);
	int rc = kho_catalog_check(s->cat, err);
	if (rc)
		return rc;
	/* The volume first: a volume that reached the warehouse completes
	 * its records' pack jobs before running jobs are taken back. */
	rc = kho_pack_recover(s, err);
	if (rc)
		return rc;
	int n = 0;
	rc = kho_jobs_recover(s->cat, &n, err);
	if (rc)
		return rc;
	return kho_store_clean(&s->store, &n, err);
}

int kho_stage_finish(kho_catalog *cat, const kho_job *job, int64_t record,
		     const char *detail, kho_error *err)
{
	int rc = kho_jobs_done(cat, job->id, detail, err);
	int next = kho_stage_index(job->stage) + 1;
	if (rc == KHO_OK && next < KHO_N_STAGES)
		rc = kho_jobs_enqueue(cat, record, job->record_id,
				      kho_stage_order[next], err);
	kho_event ev = { record, job->record_id, job->stage, job->stage, "ok",
			 detail };
	if (rc == KHO_OK)
		rc = kho_catalog_event(cat, &ev, err);
	if (rc == KHO_OK)
		return kho_catalog_commit(cat, err);
	kho_catalog_rollback(cat);
	return rc;
}
