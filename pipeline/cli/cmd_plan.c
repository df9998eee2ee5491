/* kho plan RECORD PAGE KEY=VALUE...: an archivist's override of a page
 * plan. */
#include "kho/commands.h"
#include "cli/options.h"

static int parse_page(const char *s, int *page)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end || v < 1 || v > 1000000)
		return KHO_FAIL;
	*page = (int)v;
	return KHO_OK;
}

static int set_plan(kho_session *s, const char *id, int page_no,
		    char **pairs, int n, kho_error *err)
{
	kho_record rec;
	int rc = kho_records_current(s->cat, id, &rec, err);
	if (rc == KHO_FAIL)
		return kho_error_set(err, KHO_USAGE, "no record '%s'", id);
	if (rc)
		return rc;
	kho_page *pages = NULL;
	size_t np = 0;
	rc = kho_records_pages(s->cat, rec.id, &pages, &np, err);
	if (rc)
		return rc;
	kho_page *pg = NULL;
	for (size_t i = 0; i < np; i++)
		if (pages[i].page_no == page_no)
			pg = &pages[i];
	if (!pg) {
		free(pages);
		return kho_error_set(err, KHO_USAGE,
				     "record '%s' has %zu page(s), not %d", id,
				     np, page_no);
	}
	/* Check every pair before changing anything. */
	kho_plan plan = pg->plan;
	int turned = 0, cropped = 0;
	for (int i = 0; rc == KHO_OK && i < n; i++) {
		char *eq = strchr(pairs[i], '=');
		if (!eq) {
			rc = kho_error_set(err, KHO_USAGE,
					   "'%s' is not KEY=VALUE", pairs[i]);
			break;
		}
		*eq = '\0';
		rc = kho_plan_set(&plan, pairs[i], eq + 1, err);
		turned |= strcmp(pairs[i], "rotate") == 0;
		cropped |= strcmp(pairs[i], "crop") == 0;
		*eq = '=';
	}
	/* A page turned another way takes its crop with it; a crop given
	 * with the turn is on the page as turned. */
	if (rc == KHO_OK && turned && !cropped)
		kho_plan_turn_crop(&plan, pg->plan.rotation, pg->width,
				   pg->height);
	/* A crop lies on the page as it stands after the rotation. */
	const uint32_t tw = plan.rotation % 180 ? pg->height : pg->width;
	const uint32_t th = plan.rotation % 180 ? pg->width : pg->height;
	if (rc == KHO_OK && plan.crop_w > 0 &&
	    ((uint64_t)plan.crop_x + (uint64_t)plan.crop_w > tw ||
	     (uint64_t)plan.crop_y + (uint64_t)plan.crop_h > th))
		rc = kho_error_set(err, KHO_USAGE,
				   "crop %d,%d,%d,%d goes past the page, which is "
				   "%ux%u after rotating by %d",
				   plan.crop_x, plan.crop_y, plan.crop_w,
				   plan.crop_h, tw, th, plan.rotation);
	if (rc == KHO_OK)
		rc = kho_catalog_begin(s->cat, err);
	for (int i = 0; rc == KHO_OK && i < n; i++) {
		char *eq = strchr(pairs[i], '=');
		*eq = '\0';
		rc = kho_overrides_set(s->cat, pg->id, pairs[i], eq + 1, err);
		*eq = '=';
	}
	if (rc == KHO_OK && pg->has_plan)
		rc = kho_plans_save(s->cat, pg->id, &plan, err);
	if (rc == KHO_OK) {
		char detail[512];
		size_t len = (size_t)snprintf(detail, sizeof(detail), "page %d:",
					      page_no);
		for (int i = 0; i < n && len < sizeof(detail); i++)
			len += (size_t)snprintf(detail + len,
						sizeof(detail) - len, " %s",
						pairs[i]);
		kho_event ev = { rec.id, id, "normalize", "plan-override",
				 "ok", detail };
		rc = kho_catalog_event(s->cat, &ev, err);
	}
	if (rc == KHO_OK)
		rc = kho_catalog_commit(s->cat, err);
	else
		kho_catalog_rollback(s->cat);
	free(pages);
	if (rc)
		return rc;
	/* The page must be rendered again; nothing to do when compress has
	 * not been reached yet. */
	int count = 0;
	const char *ids[] = { id };
	kho_error rerr = KHO_ERROR_INIT;
	kho_jobs_retry(s->cat, "compress", ids, 1, 0, &count, &rerr);
	printf("kho plan: %s page %d set%s\n", id, page_no,
	       count ? "; compress queued again (kho run renders it)" : "");
	return KHO_OK;
}

int kho_cmd_plan(int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, NULL, 0, &a, &err);
	if (rc == KHO_OK && a.help) {
		kho_usage("kho plan", "RECORD PAGE KEY=VALUE...",
			  "Overrides a page's plan; kept across re-runs and "
			  "recorded as an event.  Keys:\n  rotate=0|90|180|270"
			  "  skew=DEGREES  crop=X,Y,W,H  mode=bitonal|grey|"
			  "colour|mixed\n  blank=yes|no  dpi=N",
			  NULL, 0);
		kho_args_release(&a);
		return 0;
	}
	int page = 0;
	if (rc == KHO_OK && (a.n_pos < 3 || parse_page(a.pos[1], &page)))
		rc = kho_error_set(&err, KHO_USAGE,
				   "give a record, a page number and KEY=VALUE: "
				   "kho plan RECORD PAGE KEY=VALUE...");
	kho_session *s = NULL;
	if (rc == KHO_OK)
		rc = kho_args_session(&a, "kho", 0, 0, &s, &err);
	if (rc == KHO_OK)
		rc = set_plan(s, a.pos[0], page, a.pos + 2, a.n_pos - 2, &err);
	kho_session_free(s);
	kho_args_release(&a);
	return rc ? kho_report_error("kho plan", &err) : 0;
}
