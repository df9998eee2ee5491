/* kho run, and each stage on its own (kho ingest, kho-ingest, ...). */
#include "kho/commands.h"
#include "cli/options.h"
#include "cli/summary.h"
#include "report/report.h"
#include "stages/stage.h"

#include <unistd.h>

/* Runs stages [first, last] on an opened, locked session. */
static int run_stages(kho_session *s, const char *command, size_t first,
		      size_t last, kho_stage_result *results, int *stopped,
		      kho_error *err)
{
	*stopped = 0;
	kho_pool_install_signals();
	int64_t run = 0;
	int rc = kho_catalog_run_start(s->cat, command, &run, err);
	if (rc == KHO_OK)
		rc = kho_stage_recover(s, err);
	size_t n;
	const kho_stage *stages = kho_stage_table(&n);
	for (size_t i = first; rc == KHO_OK && i <= last && i < n; i++) {
		if (kho_pool_stop_requested()) {
			*stopped = 1;
			break;
		}
		rc = kho_stage_run(s, &stages[i], &results[i], err);
		if (results[i].interrupted)
			*stopped = 1;
	}
	/* kho run leaves the coverage it reached: the report's trend. */
	if (rc == KHO_OK && first == 0 && last == n - 1)
		rc = kho_report_snapshot(s->cat, &s->conf, "run", run, 0, err);
	const char *outcome = rc ? "stopped" : *stopped ? "interrupted" : "ok";
	kho_error end_err = KHO_ERROR_INIT;
	if (run)
		kho_catalog_run_end(s->cat, run, outcome, NULL, &end_err);
	return rc;
}

/* `kho ingest INBOX...` looks at those inboxes instead of kho.conf's. */
static int use_inboxes(kho_session *s, char **inboxes, int n, kho_error *err)
{
	if (n > KHO_CONFIG_MAX_INBOX)
		return kho_error_set(err, KHO_USAGE, "more than %d inboxes",
				     KHO_CONFIG_MAX_INBOX);
	for (int i = 0; i < s->conf.n_inbox; i++)
		free(s->conf.inbox[i]);
	s->conf.n_inbox = 0;
	for (int i = 0; i < n; i++) {
		s->conf.inbox[i] = strdup(inboxes[i]);
		if (!s->conf.inbox[i])
			return kho_error_set(err, KHO_FATAL, "out of memory");
		s->conf.n_inbox++;
	}
	return KHO_OK;
}

static int run_command(const char *cmd, const char *program, size_t first,
		       size_t last, int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, NULL, 0, &a, &err);
	size_t n;
	const kho_stage *stages = kho_stage_table(&n);
	int is_ingest = first == 0 && last == 0;
	if (rc == KHO_OK && a.help) {
		if (first == last)
			kho_usage(cmd, is_ingest ? "[INBOX...]" : "",
				  stages[first].summary, NULL, 0);
		else
			kho_usage(cmd, "[-j N]",
				  "Runs every stage that has work, in order: "
				  "ingest (of the inboxes in kho.conf\nand "
				  "--inbox), normalize, compress, describe, "
				  "pack.  Resumes whatever an earlier\nrun "
				  "left, also after kill -9.  ^C stops taking "
				  "records and lets running ones\nfinish; a "
				  "second ^C stops at once.",
				  NULL, 0);
		kho_args_release(&a);
		return 0;
	}
	if (rc == KHO_OK && a.n_pos > 0 && !is_ingest)
		rc = kho_error_set(&err, KHO_USAGE, "unexpected argument '%s'",
				   a.pos[0]);
	kho_session *s = NULL;
	if (rc == KHO_OK)
		rc = kho_args_session(&a, program, 1, 0, &s, &err);
	if (rc == KHO_OK && a.n_pos > 0)
		rc = use_inboxes(s, a.pos, a.n_pos, &err);
	kho_stage_result results[KHO_N_STAGES];
	memset(results, 0, sizeof(results));
	int stopped = 0;
	int64_t started = 0;
	if (rc == KHO_OK) {
		started = kho_summary_clock();
		rc = run_stages(s, cmd, first, last, results, &stopped, &err);
	}
	int status;
	if (s) {
		status = kho_summary_run(s, cmd, first, last, results, stopped,
					 started, rc ? &err : NULL);
	} else {
		status = kho_report_error(cmd, &err);
	}
	kho_session_free(s);
	kho_args_release(&a);
	return status;
}

int kho_cmd_run(int argc, char **argv)
{
	return run_command("kho run", "kho", 0, KHO_N_STAGES - 1, argc, argv);
}

int kho_cmd_stage(const char *stage, int argc, char **argv)
{
	int i = kho_stage_index(stage);
	if (i < 0) {
		fprintf(stderr, "kho: unknown stage '%s'\n", stage);
		return 2;
	}
	size_t n;
	const kho_stage *stages = kho_stage_table(&n);
	char cmd[32];
	snprintf(cmd, sizeof(cmd), "kho %s", stage);
	return run_command(cmd, stages[i].program, (size_t)i, (size_t)i, argc,
			   argv);
}
