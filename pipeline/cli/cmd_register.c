/* kho register import FILE.csv: load or update the register. */
#include "kho/commands.h"
#include "cli/options.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "register/register_import.h"
#include "report/report.h"

#include <unistd.h>

enum { SHOW_MAX = 20, PROGRESS_LINE_MS = 10000, PROGRESS_BAR_MS = 200 };

struct progress {
	int tty;
	int64_t started;
	int64_t last;
	int drawn;
};

static void progress(void *ctx, int64_t rows, int64_t lines)
{
	struct progress *p = ctx;
	int64_t now = kho_mono_ms();
	if (now - p->last < (p->tty ? PROGRESS_BAR_MS : PROGRESS_LINE_MS))
		return;
	p->last = now;
	double pct = lines > 0 ? 100.0 * (double)rows / (double)lines : 0;
	if (pct > 100)
		pct = 100;
	fprintf(stderr, "%skho register import: %lld rows read (%.0f%%)%s",
		p->tty ? "\r" : "", (long long)rows, pct, p->tty ? "  " : "\n");
	p->drawn = 1;
}

static void print_changes(kho_session *s, const kho_register_counts *c)
{
	kho_error err = KHO_ERROR_INIT;
	kho_register_change *ch = NULL;
	size_t n = 0;
	if (c->changes == 0 ||
	    kho_register_changes(s->cat, c->import, SHOW_MAX, &ch, &n, &err))
		return;
	printf("changed (every change is kept in the catalog):\n");
	for (size_t i = 0; i < n; i++)
		printf("  %-18s %s: '%s' -> '%s'\n", ch[i].record_id, ch[i].col,
		       ch[i].old_value ? ch[i].old_value : "",
		       ch[i].new_value ? ch[i].new_value : "");
	if ((int64_t)n < c->changes)
		printf("  ... and %lld more change(s)\n",
		       (long long)(c->changes - (int64_t)n));
	kho_register_changes_free(ch, n);
}

/* The refused rows: the first on the screen, all of them in a file. */
static int print_refused(kho_session *s, const kho_register_counts *c,
			 kho_error *err)
{
	if (c->refused == 0)
		return KHO_OK;
	kho_register_refusal *r = NULL;
	size_t n = 0;
	int rc =
		kho_register_refusals(s->cat, c->import, SHOW_MAX, &r, &n, err);
	if (rc)
		return rc;
	printf("refused:\n");
	for (size_t i = 0; i < n; i++)
		printf("  line %ld: %s\n", r[i].line, r[i].reason);
	kho_register_refusals_free(r, n);
	char path[PATH_MAX];
	rc = kho_path_join(path, sizeof(path), err,
			   "%s/register-import-%lld-refused.csv",
			   s->reports_dir, (long long)c->import);
	kho_report_file rf;
	if (rc == KHO_OK)
		rc = kho_report_file_open(&rf, path, err);
	if (rc == KHO_OK) {
		rc = kho_register_refusals_csv(s->cat, c->import, rf.f, err);
		int close_rc = kho_report_file_close(&rf, rc == KHO_OK, err);
		if (rc == KHO_OK)
			rc = close_rc;
	}
	if (rc == KHO_OK)
		printf("  %s%lld refused row(s) with line and reason: %s\n",
		       (int64_t)n < c->refused ? "... all " : "all ",
		       (long long)c->refused, path);
	return rc;
}

static int import(kho_session *s, const char *file, kho_error *err)
{
	struct progress p = {.tty = isatty(STDERR_FILENO),
			     .started = kho_mono_ms()};
	p.last = p.started;
	kho_register_counts c;
	int rc = kho_register_import_file(s->cat, file, progress, &p, &c, err);
	if (p.drawn && p.tty)
		fprintf(stderr, "\n");
	if (rc)
		return rc;
	/* The coverage this register gives, for the trend and the next
	 * morning report's "before" (unless the register is as it was). */
	if (c.added > 0 || c.changed > 0)
		rc = kho_report_snapshot(s->cat, &s->conf, "import", 0,
					 c.import, err);
	if (rc)
		return rc;
	double secs = (double)(kho_mono_ms() - p.started) / 1000.0;
	printf("kho register import: '%s': %lld row(s) in %.1f s: %lld taken, "
	       "%lld refused\n",
	       file, (long long)c.rows, secs, (long long)c.taken,
	       (long long)c.refused);
	printf("  %lld added, %lld changed (%lld field(s)), %lld unchanged\n",
	       (long long)c.added, (long long)c.changed, (long long)c.changes,
	       (long long)c.unchanged);
	if (c.absent > 0)
		printf("  %lld record(s) of the register are not in this file: "
		       "kept\n",
		       (long long)c.absent);
	printf("  the register now holds %lld record(s) (import %lld)\n",
	       (long long)c.registered, (long long)c.import);
	print_changes(s, &c);
	rc = print_refused(s, &c, err);
	if (rc)
		return rc;
	return c.refused > 0 ? KHO_FAIL : KHO_OK;
}

int kho_cmd_register(int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, NULL, 0, &a, &err);
	if (rc == KHO_OK && a.help) {
		kho_usage("kho register", "import FILE.csv",
			  "Loads the register, the results that were issued, "
			  "from a CSV export of the\ncase system (UTF-8, with "
			  "or without a byte-order mark).  The header names "
			  "the\ncolumns in any order and case: id, year, "
			  "agency, field (required),\nprocedure_code, title, "
			  "number, issue_date; other columns are kept.  A "
			  "newer\nexport updates the rows and every change is "
			  "kept.  A row that cannot be taken\n(no id, a bad "
			  "year, an id twice) is listed with its line and "
			  "why; then the\nexit status is 1.",
			  NULL, 0);
		kho_args_release(&a);
		return 0;
	}
	if (rc == KHO_OK && (a.n_pos != 2 || strcmp(a.pos[0], "import") != 0))
		rc = kho_error_set(&err, KHO_USAGE,
				   "usage: kho register import FILE.csv");
	kho_session *s = NULL;
	if (rc == KHO_OK)
		rc = kho_args_session(&a, "kho", 0, 0, &s, &err);
	if (rc == KHO_OK)
		rc = import(s, a.pos[1], &err);
	fflush(stdout);
	kho_session_free(s);
	kho_args_release(&a);
	if (rc == KHO_FAIL && !err.msg[0])
		return 1;
	return rc ? kho_report_error("kho register", &err) : 0;
}
