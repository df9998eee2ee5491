/* kho status [--json]: counts per stage and state; what failed and why. */
#include "kho/commands.h"
#include "cli/options.h"
#include "cli/summary.h"

#include <jansson.h>

static const kho_opt opts[] = {
	{ "json", 0, 0, "", "print JSON (documented in docs/STATUS.md)" },
};

static int print_json(kho_session *s, kho_error *err)
{
	kho_stage_counts c;
	kho_where w;
	int64_t volumes = 0, bags = 0;
	uint64_t bytes = 0;
	kho_failure *f = NULL;
	size_t nf = 0;
	int rc = kho_status_counts(s->cat, &c, err);
	if (rc == KHO_OK)
		rc = kho_status_where(s->cat, &w, err);
	if (rc == KHO_OK)
		rc = kho_status_warehouse(s->cat, &volumes, &bags, &bytes, err);
	if (rc == KHO_OK)
		rc = kho_status_failures(s->cat, 0, &f, &nf, err);
	if (rc)
		return rc;
	json_t *doc = json_object();
	json_object_set_new(doc, "root", json_string(s->root));
	json_t *stages = json_object();
	for (int i = 0; i < KHO_N_STAGES; i++) {
		json_t *st = json_object();
		for (int t = 0; t < 4; t++)
			json_object_set_new(st,
					    kho_job_state_name((kho_job_state)t),
					    json_integer(c.n[i][t]));
		json_object_set_new(stages, kho_stage_order[i], st);
	}
	json_object_set_new(doc, "stages", stages);
	json_object_set_new(
		doc, "records",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "current",
			  (json_int_t)w.records, "archived",
			  (json_int_t)w.archived, "in_progress",
			  (json_int_t)w.in_progress, "failed",
			  (json_int_t)w.failed, "ingest_failed",
			  (json_int_t)w.ingest_failed, "inbox_problems",
			  (json_int_t)w.problems));
	json_object_set_new(doc, "warehouse",
			    json_pack("{s:I, s:I, s:I}", "volumes",
				      (json_int_t)volumes, "bags",
				      (json_int_t)bags, "bytes",
				      (json_int_t)bytes));
	json_t *fails = json_array();
	for (size_t i = 0; i < nf; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "stage", f[i].stage,
				      "error", f[i].error, "at",
				      f[i].finished_at);
		json_object_set_new(o, "record",
				    f[i].record_id[0]
					    ? json_string(f[i].record_id)
					    : json_null());
		json_array_append_new(fails, o);
	}
	json_object_set_new(doc, "failures", fails);
	kho_failures_free(f, nf);
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	printf("%s\n", text);
	free(text);
	return KHO_OK;
}

static int print_text(kho_session *s, kho_error *err)
{
	kho_stage_counts c;
	int rc = kho_status_counts(s->cat, &c, err);
	if (rc)
		return rc;
	printf("kho status: %s\n\n", s->root);
	printf("%-10s %9s %9s %9s %9s\n", "stage", "pending", "running",
	       "done", "failed");
	for (int i = 0; i < KHO_N_STAGES; i++)
		printf("%-10s %9lld %9lld %9lld %9lld\n", kho_stage_order[i],
		       (long long)c.n[i][KHO_JOB_PENDING],
		       (long long)c.n[i][KHO_JOB_RUNNING],
		       (long long)c.n[i][KHO_JOB_DONE],
		       (long long)c.n[i][KHO_JOB_FAILED]);
	printf("\n");
	rc = kho_summary_where(s, stdout, err);
	int64_t volumes = 0, bags = 0;
	uint64_t bytes = 0;
	if (rc == KHO_OK)
		rc = kho_status_warehouse(s->cat, &volumes, &bags, &bytes, err);
	if (rc == KHO_OK)
		printf("warehouse: %lld volume(s), %lld bag(s), %.1f MB\n",
		       (long long)volumes, (long long)bags, bytes / 1e6);
	size_t n = 0;
	if (rc == KHO_OK) {
		kho_failure *f = NULL;
		rc = kho_status_failures(s->cat, 0, &f, &n, err);
		kho_failures_free(f, n);
	}
	if (rc == KHO_OK && n > 0) {
		printf("\nfailed (kho show RECORD for more, kho retry STAGE "
		       "--failed to try again):\n");
		rc = kho_summary_failures(s, 0, 0, stdout, &n, err);
	}
	return rc;
}

int kho_cmd_status(int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, opts, KHO_ARRAY_SIZE(opts), &a,
				&err);
	if (rc == KHO_OK && a.help) {
		kho_usage("kho status", "[--json]",
			  "Counts per stage and state, where the records are, "
			  "the warehouse, and what failed and why.",
			  opts, KHO_ARRAY_SIZE(opts));
		kho_args_release(&a);
		return 0;
	}
	if (rc == KHO_OK && a.n_pos)
		rc = kho_error_set(&err, KHO_USAGE, "unexpected argument '%s'",
				   a.pos[0]);
	kho_session *s = NULL;
	if (rc == KHO_OK)
		rc = kho_args_session(&a, "kho", 0, 1, &s, &err);
	if (rc == KHO_OK)
		rc = a.count[0] ? print_json(s, &err) : print_text(s, &err);
	kho_session_free(s);
	kho_args_release(&a);
	return rc ? kho_report_error("kho status", &err) : 0;
}
