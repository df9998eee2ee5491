#include "cli/summary.h"
#include "common/clock.h"

int64_t kho_summary_clock(void)
{
	return kho_mono_ms();
}

int kho_summary_where(kho_session *s, FILE *out, kho_error *err)
{
	kho_where w;
	int rc = kho_status_where(s->cat, &w, err);
	if (rc)
		return rc;
	kho_summary_where_print(&w, out);
	return KHO_OK;
}

void kho_summary_where_print(const kho_where *w, FILE *out)
{
	fprintf(out,
		"records: %lld (current versions): %lld archived, %lld in "
		"progress, %lld failed\n",
		(long long)w->records, (long long)w->archived,
		(long long)w->in_progress, (long long)w->failed);
	if (w->ingest_failed || w->problems)
		fprintf(out,
			"not ingested: %lld record(s) failed ingest, %lld inbox "
			"entr%s no record\n",
			(long long)w->ingest_failed, (long long)w->problems,
			w->problems == 1 ? "y names" : "ies name");
}

int kho_summary_failures(kho_session *s, int64_t run, size_t limit, FILE *out,
			 size_t *count, kho_error *err)
{
	kho_failure *f = NULL;
	size_t n = 0;
	int rc = kho_status_failures(s->cat, run, &f, &n, err);
	if (rc)
		return rc;
	*count = n;
	kho_summary_failures_print(f, n, limit, out);
	kho_failures_free(f, n);
	return KHO_OK;
}

void kho_summary_failures_print(const kho_failure *f, size_t n, size_t limit,
				FILE *out)
{
	size_t shown = limit && n > limit ? limit : n;
	for (size_t i = 0; i < shown; i++)
		fprintf(out, "  %-9s %-16s %s\n", f[i].stage,
			f[i].record_id[0] ? f[i].record_id : "(inbox)",
			f[i].error);
	if (shown < n)
		fprintf(out, "  ... and %zu more (kho status lists them all)\n",
			n - shown);
}

int kho_summary_run(kho_session *s, const char *cmd, size_t first,
		    size_t last, const kho_stage_result *results, int stopped,
		    int64_t started_ms, const kho_error *err)
{
	double secs = (kho_mono_ms() - started_ms) / 1000.0;
	int64_t failed = 0;
	printf("%s: %s after %.1f s\n", cmd,
	       err ? "stopped" : stopped ? "interrupted" : "done", secs);
	for (size_t i = first; i <= last && i < KHO_N_STAGES; i++) {
		const kho_stage_result *r = &results[i];
		failed += r->failed;
		printf("  %-10s %lld %s", kho_stage_order[i], (long long)r->done,
		       i == KHO_N_STAGES - 1 ? "archived" : "done");
		if (r->failed)
			printf(", %lld failed", (long long)r->failed);
		if (r->pages)
			printf(" (%lld pages, %.1f pages/s)",
			       (long long)r->pages,
			       r->elapsed_ms > 0 ? r->pages * 1000.0 / r->elapsed_ms
						 : 0.0);
		printf("\n");
	}
	kho_error qerr = KHO_ERROR_INIT;
	size_t n = 0;
	int64_t run = kho_catalog_run(s->cat);
	if (run) {
		kho_failure *f = NULL;
		kho_status_failures(s->cat, run, &f, &n, &qerr);
		kho_failures_free(f, n);
		if (failed > 0 || n > 0) {
			printf("failed in this run:\n");
			kho_summary_failures(s, run, 20, stdout, &n, &qerr);
			if ((int64_t)n > failed)
				failed = (int64_t)n;
		}
	}
	kho_summary_where(s, stdout, &qerr);
	int window = 0;
	for (size_t i = first; i <= last && i < KHO_N_STAGES; i++)
		window |= results[i].window_closed;
	if ((stopped || window) && !err) {
		char left[256] = "";
		size_t len = 0;
		int64_t total = 0;
		for (size_t i = first; i <= last && i < KHO_N_STAGES; i++) {
			int64_t waiting = 0;
			kho_jobs_count(s->cat, kho_stage_order[i], KHO_JOB_PENDING,
				       &waiting, &qerr);
			if (waiting > 0)
				len += (size_t)snprintf(left + len,
							sizeof(left) - len,
							"%s%s %lld", len ? ", " : "",
							kho_stage_order[i],
							(long long)waiting);
			total += waiting;
		}
		printf("%s: %lld job(s) left for the next kho run%s%s%s\n",
		       stopped ? "stopped on request"
			       : "the night window closed",
		       (long long)total, total ? " (" : "", left,
		       total ? ")" : "");
	}
	fflush(stdout);
	if (err) {
		fprintf(stderr, "%s: %s\n", cmd, err->msg);
		return kho_exit_code(err->code);
	}
	return failed > 0 ? 1 : 0;
}
