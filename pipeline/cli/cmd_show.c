/* kho show RECORD: pages, plans, events, outputs, errors of one record. */
#include "kho/commands.h"
#include "cli/options.h"

static void print_plan(const kho_plan *p)
{
	printf("      plan: rotate %d%s, skew %.2f (confidence %.2f), crop "
	       "%d,%d,%d,%d, %s, %d dpi (source %.0f), blank %s (%.2f)\n",
	       p->rotation, p->mirror ? " mirrored" : "", p->skew,
	       p->skew_confidence, p->crop_x, p->crop_y, p->crop_w, p->crop_h,
	       kho_mode_name(p->mode), p->dpi, p->source_dpi,
	       p->blank ? "yes" : "no", p->blank_score);
	if (p->flags[0])
		printf("      flags: %s\n", p->flags);
	if (strcmp(p->overrides, "{}") != 0 && p->overrides[0])
		printf("      set by an archivist: %s\n", p->overrides);
	printf("      measured: %s\n", p->measurements);
}

static int show(kho_session *s, const char *id, kho_error *err)
{
	kho_record rec;
	int rc = kho_records_current(s->cat, id, &rec, err);
	int found = rc == KHO_OK;
	if (rc == KHO_FATAL)
		return rc;
	kho_job_row *jobs = NULL;
	size_t n_jobs = 0;
	rc = kho_jobs_of(s->cat, id, found ? rec.id : -1, &jobs, &n_jobs, err);
	if (rc)
		return rc;
	if (!found && n_jobs == 0) {
		kho_job_rows_free(jobs, n_jobs);
		return kho_error_set(err, KHO_FAIL,
				     "no record '%s' in this work root", id);
	}
	if (found)
		printf("record %s, version %d%s, batch '%s', ingested %s\n"
		       "  from %s\n",
		       rec.record_id, rec.version,
		       rec.version > 1 ? " (re-scanned)" : "", rec.batch,
		       rec.ingested_at, rec.source);
	else
		printf("record %s: not ingested\n", id);
	printf("stages:\n");
	for (size_t i = 0; i < n_jobs; i++) {
		printf("  %-10s %-8s", jobs[i].stage, jobs[i].state);
		if (jobs[i].detail)
			printf(" %s", jobs[i].detail);
		if (jobs[i].error)
			printf(" %s", jobs[i].error);
		if (jobs[i].attempts > 1)
			printf(" (attempt %d)", jobs[i].attempts);
		printf("\n");
	}
	kho_job_rows_free(jobs, n_jobs);
	if (!found)
		return KHO_OK;

	kho_original *orig = NULL;
	size_t n_orig = 0;
	rc = kho_records_originals(s->cat, rec.id, &orig, &n_orig, err);
	if (rc)
		return rc;
	printf("originals:\n");
	for (size_t i = 0; i < n_orig; i++)
		printf("  %zu  %s  %s, %d page(s), %llu bytes, sha256 %s\n",
		       i + 1, orig[i].name, orig[i].format, orig[i].pages,
		       (unsigned long long)orig[i].size, orig[i].sha256);
	free(orig);

	kho_page *pages = NULL;
	size_t n_pages = 0;
	rc = kho_records_pages(s->cat, rec.id, &pages, &n_pages, err);
	if (rc)
		return rc;
	printf("pages:\n");
	for (size_t i = 0; i < n_pages; i++) {
		const kho_page *p = &pages[i];
		printf("  %d  %s", p->page_no, p->original_name);
		if (p->file_page)
			printf(" page %d", p->file_page + 1);
		printf(": %ux%u, %s, %.0fx%.0f dpi (%s), orientation %d\n",
		       p->width, p->height, p->description, p->xdpi, p->ydpi,
		       p->dpi_source, p->orientation);
		if (p->has_plan)
			print_plan(&p->plan);
		else
			printf("      plan: not decided yet (normalize)\n");
	}
	free(pages);

	kho_output *outs = NULL;
	size_t n_outs = 0;
	rc = kho_outputs_list(s->cat, rec.id, &outs, &n_outs, err);
	if (rc)
		return rc;
	printf("outputs:\n");
	for (size_t i = 0; i < n_outs; i++)
		printf("  %-14s %llu bytes, sha256 %s (%s, %s)\n", outs[i].name,
		       (unsigned long long)outs[i].size, outs[i].sha256,
		       outs[i].stage, outs[i].made_at);
	if (n_outs == 0)
		printf("  none yet\n");
	free(outs);

	kho_archive_row *arch = NULL;
	size_t n_arch = 0;
	rc = kho_archive_of(s->cat, id, &arch, &n_arch, err);
	if (rc)
		return rc;
	printf("warehouse:\n");
	const char *last = "";
	for (size_t i = 0; i < n_arch; i++) {
		if (strcmp(arch[i].bag, last) != 0)
			printf("  version %d: bag %s in %s\n", arch[i].version,
			       arch[i].bag, arch[i].volume);
		last = arch[i].bag;
		printf("    %s  %llu bytes at %llu\n", arch[i].m.member,
		       (unsigned long long)arch[i].m.size,
		       (unsigned long long)arch[i].m.offset);
	}
	if (n_arch == 0)
		printf("  not archived yet\n");
	free(arch);

	kho_event_row *evs = NULL;
	size_t n_evs = 0;
	rc = kho_events_list(s->cat, rec.id, id, &evs, &n_evs, err);
	if (rc)
		return rc;
	printf("events:\n");
	for (size_t i = 0; i < n_evs; i++)
		printf("  %s  %-9s %-14s %-7s %s\n", evs[i].at, evs[i].stage,
		       evs[i].type, evs[i].outcome,
		       evs[i].detail ? evs[i].detail : "");
	kho_events_free(evs, n_evs);
	return KHO_OK;
}

int kho_cmd_show(int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, NULL, 0, &a, &err);
	if (rc == KHO_OK && a.help) {
		kho_usage("kho show", "RECORD",
			  "Everything kho knows of one record: its stages, "
			  "originals, pages and their plans,\noutputs, "
			  "warehouse bags and events.",
			  NULL, 0);
		kho_args_release(&a);
		return 0;
	}
	if (rc == KHO_OK && a.n_pos != 1)
		rc = kho_error_set(&err, KHO_USAGE,
				   "give one record id: kho show RECORD");
	kho_session *s = NULL;
	if (rc == KHO_OK)
		rc = kho_args_session(&a, "kho", 0, 1, &s, &err);
	if (rc == KHO_OK)
		rc = show(s, a.pos[0], &err);
	kho_session_free(s);
	kho_args_release(&a);
	return rc ? kho_report_error("kho show", &err) : 0;
}
