/* kho status [--json] [--roots ROOT...]: counts per stage and state; what
 * failed and why; of one work root, or of the shards of one batch added
 * up. */
#include "kho/commands.h"
#include "cli/options.h"
#include "cli/roots.h"
#include "cli/summary.h"

#include <jansson.h>

enum { OPT_JSON, OPT_ROOTS };

static const kho_opt opts[] = {
	[OPT_JSON] = {"json", 0, 0, "",
		      "print JSON (documented in "
		      "docs/STATUS.md)"},
	[OPT_ROOTS] = {"roots", 0, KHO_OPT_LIST, "ROOT",
		       "the work roots of the shards of one batch, added "
		       "up"},
};

/* What one root holds. */
typedef struct root_status {
	kho_stage_counts c;
	kho_where w;
	int64_t volumes, bags;
	uint64_t bytes;
	kho_failure *f;
	size_t nf;
} root_status;

/* Everything, added up over the roots; failures by stage and record. */
typedef struct status {
	const kho_roots *roots;
	root_status *per; /* per root */
	root_status all;  /* all.f points into per[].f */
	const kho_failure **fails;
	size_t *fail_root; /* the root of each of fails */
} status;

static void status_release(status *st)
{
	for (size_t i = 0; st->per && i < st->roots->n; i++)
		kho_failures_free(st->per[i].f, st->per[i].nf);
	free(st->per);
	free(st->fails);
	free(st->fail_root);
}

static int stage_rank(const char *stage)
{
	int i = kho_stage_index(stage);
	return i < 0 ? KHO_N_STAGES : i;
}

/* kho_status_failures' order: stage, then record id. */
static int by_stage_record(const void *a, const void *b)
{
	const kho_failure *x = *(const kho_failure *const *)a;
	const kho_failure *y = *(const kho_failure *const *)b;
	int c = stage_rank(x->stage) - stage_rank(y->stage);
	return c ? c : strcmp(x->record_id, y->record_id);
}

static int gather(status *st, kho_error *err)
{
	const kho_roots *r = st->roots;
	st->per = calloc(r->n, sizeof(*st->per));
	if (!st->per)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	int rc = KHO_OK;
	root_status *all = &st->all;
	for (size_t i = 0; rc == KHO_OK && i < r->n; i++) {
		root_status *p = &st->per[i];
		kho_catalog *cat = r->s[i]->cat;
		rc = kho_status_counts(cat, &p->c, err);
		if (rc == KHO_OK)
			rc = kho_status_where(cat, &p->w, err);
		if (rc == KHO_OK)
			rc = kho_status_warehouse(cat, &p->volumes, &p->bags,
						  &p->bytes, err);
		if (rc == KHO_OK)
			rc = kho_status_failures(cat, 0, &p->f, &p->nf, err);
		if (rc)
			break;
		for (int s = 0; s < KHO_N_STAGES; s++)
			for (int t = 0; t < 4; t++)
				all->c.n[s][t] += p->c.n[s][t];
		all->w.records += p->w.records;
		all->w.archived += p->w.archived;
		all->w.in_progress += p->w.in_progress;
		all->w.failed += p->w.failed;
		all->w.ingest_failed += p->w.ingest_failed;
		all->w.problems += p->w.problems;
		all->volumes += p->volumes;
		all->bags += p->bags;
		all->bytes += p->bytes;
		all->nf += p->nf;
	}
	if (rc)
		return rc;
	st->fails = calloc(all->nf + 1, sizeof(*st->fails));
	st->fail_root = calloc(all->nf + 1, sizeof(*st->fail_root));
	if (!st->fails || !st->fail_root)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < st->per[i].nf; j++)
			st->fails[k++] = &st->per[i].f[j];
	/* One root's are in order already; several are merged. */
	if (r->n > 1 && k > 1)
		qsort(st->fails, k, sizeof(*st->fails), by_stage_record);
	for (size_t j = 0; j < k; j++)
		for (size_t i = 0; i < r->n; i++)
			if (st->fails[j] >= st->per[i].f &&
			    st->fails[j] < st->per[i].f + st->per[i].nf)
				st->fail_root[j] = i;
	return KHO_OK;
}

static json_t *shard_json(const kho_shard *sh)
{
	char text[16];
	kho_shard_format(sh, text, sizeof(text));
	return sh->count ? json_string(text) : json_null();
}

static json_t *records_json(const kho_where *w)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "current",
			 (json_int_t)w->records, "archived",
			 (json_int_t)w->archived, "in_progress",
			 (json_int_t)w->in_progress, "failed",
			 (json_int_t)w->failed, "ingest_failed",
			 (json_int_t)w->ingest_failed, "inbox_problems",
			 (json_int_t)w->problems);
}

static json_t *warehouse_json(const root_status *p)
{
	return json_pack("{s:I, s:I, s:I}", "volumes", (json_int_t)p->volumes,
			 "bags", (json_int_t)p->bags, "bytes",
			 (json_int_t)p->bytes);
}

static int print_json(const status *st, kho_error *err)
{
	const kho_roots *r = st->roots;
	const root_status *all = &st->all;
	const int several = r->n > 1;
	json_t *doc = json_object();
	json_object_set_new(doc, "root",
			    several ? json_null() : json_string(r->s[0]->root));
	json_object_set_new(doc, "shard",
			    several ? json_null() : shard_json(&r->shard[0]));
	if (several) {
		json_t *roots = json_array();
		for (size_t i = 0; i < r->n; i++) {
			json_t *o = json_object();
			json_object_set_new(o, "root",
					    json_string(r->s[i]->root));
			json_object_set_new(o, "shard",
					    shard_json(&r->shard[i]));
			json_object_set_new(o, "records",
					    records_json(&st->per[i].w));
			json_object_set_new(o, "warehouse",
					    warehouse_json(&st->per[i]));
			json_array_append_new(roots, o);
		}
		json_object_set_new(doc, "roots", roots);
	}
	json_t *stages = json_object();
	for (int i = 0; i < KHO_N_STAGES; i++) {
		json_t *o = json_object();
		for (int t = 0; t < 4; t++)
			json_object_set_new(
				o, kho_job_state_name((kho_job_state)t),
				json_integer(all->c.n[i][t]));
		json_object_set_new(stages, kho_stage_order[i], o);
	}
	json_object_set_new(doc, "stages", stages);
	json_object_set_new(doc, "records", records_json(&all->w));
	json_object_set_new(doc, "warehouse", warehouse_json(all));
	json_t *fails = json_array();
	for (size_t i = 0; i < all->nf; i++) {
		const kho_failure *f = st->fails[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "stage", f->stage,
				      "error", f->error, "at", f->finished_at);
		json_object_set_new(o, "record",
				    f->record_id[0] ? json_string(f->record_id)
						    : json_null());
		if (several)
			json_object_set_new(
				o, "root",
				json_string(r->s[st->fail_root[i]]->root));
		json_array_append_new(fails, o);
	}
	json_object_set_new(doc, "failures", fails);
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	printf("%s\n", text);
	free(text);
	return KHO_OK;
}

static void print_roots(const status *st)
{
	const kho_roots *r = st->roots;
	if (r->n == 1) {
		printf("kho status: %s\n", r->s[0]->root);
		if (r->shard[0].count)
			printf("shard %d/%d: the records whose id hashes to "
			       "it (docs/SLURM.md)\n",
			       r->shard[0].index, r->shard[0].count);
		return;
	}
	printf("kho status: %s\n", r->label);
	for (size_t i = 0; i < r->n; i++) {
		const root_status *p = &st->per[i];
		char sh[16];
		kho_shard_format(&r->shard[i], sh, sizeof(sh));
		printf("  shard %-7s %lld archived, %lld in progress, %lld "
		       "failed, %lld volume(s): %s\n",
		       sh, (long long)p->w.archived,
		       (long long)p->w.in_progress,
		       (long long)(p->w.failed + p->w.ingest_failed),
		       (long long)p->volumes, r->s[i]->root);
	}
}

static int print_text(const status *st)
{
	const root_status *all = &st->all;
	print_roots(st);
	printf("\n%-10s %9s %9s %9s %9s\n", "stage", "pending", "running",
	       "done", "failed");
	for (int i = 0; i < KHO_N_STAGES; i++)
		printf("%-10s %9lld %9lld %9lld %9lld\n", kho_stage_order[i],
		       (long long)all->c.n[i][KHO_JOB_PENDING],
		       (long long)all->c.n[i][KHO_JOB_RUNNING],
		       (long long)all->c.n[i][KHO_JOB_DONE],
		       (long long)all->c.n[i][KHO_JOB_FAILED]);
	printf("\n");
	kho_summary_where_print(&all->w, stdout);
	printf("warehouse: %lld volume(s), %lld bag(s), %.1f MB\n",
	       (long long)all->volumes, (long long)all->bags, all->bytes / 1e6);
	if (all->nf == 0)
		return KHO_OK;
	printf("\nfailed (kho show RECORD for more, kho retry STAGE "
	       "--failed to try again):\n");
	kho_failure *list = malloc(all->nf * sizeof(*list));
	if (!list)
		return KHO_FATAL;
	for (size_t i = 0; i < all->nf; i++)
		list[i] = *st->fails[i];
	kho_summary_failures_print(list, all->nf, 0, stdout);
	free(list);
	return KHO_OK;
}

int kho_cmd_status(int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, opts, KHO_ARRAY_SIZE(opts), &a,
				&err);
	if (rc == KHO_OK && a.help) {
		kho_usage("kho status", "[--json] [--roots ROOT...]",
			  "Counts per stage and state, where the records are, "
			  "the warehouse, and what\nfailed and why; with "
			  "--roots, of the shards of one batch together\n"
			  "(docs/SLURM.md).",
			  opts, KHO_ARRAY_SIZE(opts));
		kho_args_release(&a);
		return 0;
	}
	if (rc == KHO_OK && a.n_pos)
		rc = kho_error_set(&err, KHO_USAGE, "unexpected argument '%s'",
				   a.pos[0]);
	kho_roots roots;
	memset(&roots, 0, sizeof(roots));
	if (rc == KHO_OK)
		rc = kho_roots_open(&roots, &a, OPT_ROOTS, "kho status", &err);
	status st = {.roots = &roots};
	if (rc == KHO_OK)
		rc = gather(&st, &err);
	if (rc == KHO_OK)
		rc = a.count[OPT_JSON] ? print_json(&st, &err)
				       : print_text(&st);
	if (rc == KHO_FATAL && !err.msg[0])
		kho_error_set(&err, KHO_FATAL, "out of memory");
	status_release(&st);
	kho_roots_release(&roots);
	kho_args_release(&a);
	return rc ? kho_report_error("kho status", &err) : 0;
}
