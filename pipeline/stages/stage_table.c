#include "stages/stage.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "worker/progress.h"

#include <string.h>
#include <sys/stat.h>

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

/* A stage's job time before this run measures it: the mean of its last
 * jobs, or a guess. */
static int64_t prior_ms(kho_session *s, const char *stage)
{
	int64_t ms = 0;
	kho_error ignored = KHO_ERROR_INIT;
	if (kho_jobs_mean_ms(s->cat, stage, &ms, &ignored) != KHO_OK || ms <= 0)
		ms = 2000;
	return ms;
}

static kho_pool_opts pool_opts(kho_session *s, const kho_pool_stage *list,
			       size_t n, const char *verb,
			       const char *program, const kho_window *w)
{
	kho_pool_opts o = {
		.stages = list,
		.n_stages = n,
		.verb = verb,
		.workers = s->jobs,
		.page_timeout_s = (int)s->conf.page_timeout,
		.catalog_path = s->catalog_path,
		.log_dir = s->log_dir,
		.program = program,
		.run = kho_catalog_run(s->cat),
		.ctx = s,
		.progress = s->progress,
		.deadline_ms = w ? w->deadline_ms : 0,
		.tail_ms = w ? w->tail_ms : 0,
		.max_load = (double)s->conf.max_load,
	};
	return o;
}

int kho_stage_run(kho_session *s, const kho_stage *stage,
		  const kho_window *w, kho_stage_result *res, kho_error *err)
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
	kho_pool_stage one = { stage->name, stage->process,
			       prior_ms(s, stage->name) };
	kho_pool_opts o = pool_opts(s, &one, 1, stage->verb, stage->program, w);
	kho_pool_result pr;
	int rc = kho_pool_run(&o, &pr, err);
	res->done = pr.done[0];
	res->failed = pr.failed[0];
	res->pages = pr.pages[0];
	res->interrupted = pr.interrupted;
	res->window_closed = pr.window_closed;
	res->elapsed_ms = kho_mono_ms() - started;
	return rc;
}

int kho_run_pipeline(kho_session *s, const kho_window *w,
		     kho_stage_result results[KHO_N_STAGES], kho_error *err)
{
	memset(results, 0, sizeof(kho_stage_result) * KHO_N_STAGES);
	size_t n;
	const kho_stage *table = kho_stage_table(&n);
	const int64_t started = kho_mono_ms();
	int rc = KHO_OK;
	/* The inboxes first: what changed is queued. */
	for (size_t i = 0; rc == KHO_OK && i < n; i++)
		if (table[i].prepare)
			rc = table[i].prepare(s, err);
	/* Every stage a worker can do, at once: a record goes through them
	 * all while the next is read, and the workers finish records begun
	 * before they begin new ones. */
	kho_pool_stage pool[KHO_N_STAGES];
	size_t n_pool = 0;
	size_t index[KHO_N_STAGES];
	for (size_t i = 0; i < n; i++) {
		if (!table[i].process)
			continue;
		pool[n_pool].name = table[i].name;
		pool[n_pool].fn = table[i].process;
		pool[n_pool].prior_ms = prior_ms(s, table[i].name);
		index[n_pool++] = i;
	}
	kho_window win = w ? *w : (kho_window){ 0, 0 };
	if (win.deadline_ms && !win.tail_ms)
		win.tail_ms = KHO_MAX((int64_t)5000, prior_ms(s, "pack"));
	kho_pool_result pr;
	memset(&pr, 0, sizeof(pr));
	if (rc == KHO_OK) {
		kho_pool_opts o = pool_opts(s, pool, n_pool, "working", "kho",
					    &win);
		rc = kho_pool_run(&o, &pr, err);
	}
	const int64_t pooled = kho_mono_ms() - started;
	for (size_t k = 0; k < n_pool; k++) {
		kho_stage_result *r = &results[index[k]];
		r->done = pr.done[k];
		r->failed = pr.failed[k];
		r->pages = pr.pages[k];
		r->elapsed_ms = pooled;
		r->interrupted = pr.interrupted;
		r->window_closed = pr.window_closed;
	}
	/* Then what got through goes into the warehouse: also after a first
	 * ^C or at the window's end (it is quick), not after a second ^C. */
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		if (!table[i].run_all || kho_pool_signals() >= 2)
			continue;
		const int64_t t = kho_mono_ms();
		rc = table[i].run_all(s, &results[i], err);
		results[i].elapsed_ms = kho_mono_ms() - t;
		results[i].window_closed = pr.window_closed;
	}
	return rc;
}

/* The whole catalog read and checked; said on stderr where that takes a
 * while, so that a quiet minute at the start of a night is explained. */
static int check_catalog(kho_session *s, kho_error *err)
{
	enum { SAY_FROM_MB = 256 };
	struct stat st;
	const int64_t mb =
		stat(s->catalog_path, &st) == 0 ? (int64_t)(st.st_size >> 20) : 0;
	const int say = s->progress != KHO_PROGRESS_NONE && mb >= SAY_FROM_MB;
	if (say)
		fprintf(stderr,
			"kho: checking the catalog (%lld MB: once in %d hours, "
			"and after a command that did not end)...\n",
			(long long)mb, KHO_CHECK_HOURS);
	const int64_t t0 = kho_mono_ms();
	const int rc = kho_catalog_check(s->cat, err);
	if (say && rc == KHO_OK)
		fprintf(stderr, "kho: catalog checked in %.1f s\n",
			(double)(kho_mono_ms() - t0) / 1000.0);
	return rc;
}

int kho_stage_recover(kho_session *s, kho_error *err)
{
	assert(s->lock_fd >= 0);
	int due = 1;
	int rc = kho_catalog_check_due(s->cat, &due, err);
	if (rc == KHO_OK && due)
		rc = check_catalog(s, err);
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
