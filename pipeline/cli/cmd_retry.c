/* kho retry STAGE (--record ID... | --failed) */
#include "kho/commands.h"
#include "cli/options.h"

static const kho_opt retry_opts[] = {
	{ "record", 0, 1, "ID", "a record to run the stage for again "
				"(repeatable)" },
	{ "failed", 0, 0, "", "every record that failed at the stage" },
};

int kho_cmd_retry(int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, retry_opts,
				KHO_ARRAY_SIZE(retry_opts), &a, &err);
	if (rc == KHO_OK && a.help) {
		kho_usage("kho retry", "STAGE (--record ID... | --failed)",
			  "Puts a stage's work back in its queue; the later "
			  "stages follow when it is done\nagain.  kho run (or "
			  "kho STAGE) then does it.",
			  retry_opts, KHO_ARRAY_SIZE(retry_opts));
		kho_args_release(&a);
		return 0;
	}
	const int failed = a.count[1] > 0;
	if (rc == KHO_OK && a.n_pos != 1)
		rc = kho_error_set(&err, KHO_USAGE,
				   "give one stage: kho retry STAGE "
				   "(--record ID... | --failed)");
	if (rc == KHO_OK && kho_stage_index(a.pos[0]) < 0)
		rc = kho_error_set(&err, KHO_USAGE,
				   "unknown stage '%s' (ingest, normalize, "
				   "compress, describe, pack)",
				   a.pos[0]);
	if (rc == KHO_OK && failed == (a.count[0] > 0))
		rc = kho_error_set(&err, KHO_USAGE,
				   "give either --record ID... or --failed");
	kho_session *s = NULL;
	if (rc == KHO_OK)
		rc = kho_args_session(&a, "kho", 0, 0, &s, &err);
	int count = 0;
	if (rc == KHO_OK)
		rc = kho_jobs_retry(s->cat, a.pos[0],
				    (const char *const *)a.values[0],
				    (size_t)a.count[0], failed, &count, &err);
	if (rc == KHO_OK)
		printf("kho retry: %d %s job(s) queued again; kho run does "
		       "them\n",
		       count, a.pos[0]);
	kho_session_free(s);
	kho_args_release(&a);
	return rc ? kho_report_error("kho retry", &err) : 0;
}
