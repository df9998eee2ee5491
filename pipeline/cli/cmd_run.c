/* kho run, and each stage on its own (kho ingest, kho-ingest, ...). */
#include "kho/commands.h"
#include "cli/options.h"
#include "cli/summary.h"
#include "report/report.h"
#include "stages/stage.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const kho_opt run_opts[] = {
	{ "until", 0, 1, "HH:MM", "the night window ends at this local time "
				  "(the next time it comes)" },
	{ "for", 0, 1, "DURATION", "the night window lasts this long: 6h, "
				   "90m, 1h30m, 45s" },
	{ "shard", 0, 1, "I/N", "only the records whose id hashes to shard "
				"I of N (docs/SLURM.md)" },
};

enum { OPT_UNTIL, OPT_FOR, OPT_SHARD };

/* "6h", "90m", "1h30m", "45s" in seconds; -1 when not a duration. */
static long parse_duration(const char *s)
{
	long total = 0;
	int parts = 0;
	while (*s) {
		char *end;
		errno = 0;
		long v = strtol(s, &end, 10);
		if (end == s || errno || v < 0)
			return -1;
		long unit = *end == 'h' ? 3600 : *end == 'm' ? 60
				: *end == 's' ? 1 : 0;
		if (!unit || v > 1000000)
			return -1;
		total += v * unit;
		parts++;
		s = end + 1;
	}
	return parts ? total : -1;
}

/* Seconds from now to the next local HH:MM; -1 when not a time. */
static long until_seconds(const char *s)
{
	int hh, mm, n = 0;
	if (sscanf(s, "%d:%d%n", &hh, &mm, &n) != 2 || s[n] || hh < 0 ||
	    hh > 23 || mm < 0 || mm > 59)
		return -1;
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = 0;
	time_t at = mktime(&tm);
	if (at <= now) {
		tm.tm_mday++;
		at = mktime(&tm);
	}
	return (long)(at - now);
}

static int parse_window(const kho_args *a, kho_window *w, kho_error *err)
{
	memset(w, 0, sizeof(*w));
	const char *until = kho_args_value(a, OPT_UNTIL);
	const char *len = kho_args_value(a, OPT_FOR);
	if (until && len)
		return kho_error_set(err, KHO_USAGE,
				     "give --until or --for, not both");
	long secs = -2;
	if (until && (secs = until_seconds(until)) < 0)
		return kho_error_set(err, KHO_USAGE,
				     "--until '%s' is not a time HH:MM", until);
	if (len && (secs = parse_duration(len)) < 0)
		return kho_error_set(err, KHO_USAGE,
				     "--for '%s' is not a duration such as 6h, "
				     "90m or 1h30m",
				     len);
	if (secs >= 0)
		w->deadline_ms = kho_summary_clock() + (int64_t)secs * 1000;
	return KHO_OK;
}

/* Kind to the machine (kho.conf nice): a lower CPU priority, and the
 * lowest best-effort disk priority. */
static void be_nice(const kho_session *s)
{
	if (s->conf.nice <= 0)
		return;
	setpriority(PRIO_PROCESS, 0, (int)s->conf.nice);
	/* ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_BE << 13 | 7) */
	syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 7);
}

/* Runs stages [first, last] on an opened, locked session. */
static int run_stages(kho_session *s, const char *command, size_t first,
		      size_t last, const kho_window *w,
		      kho_stage_result *results, int *stopped, kho_error *err)
{
	*stopped = 0;
	kho_pool_install_signals();
	be_nice(s);
	int64_t run = 0;
	int rc = kho_catalog_run_start(s->cat, command, &run, err);
	if (rc == KHO_OK)
		rc = kho_stage_recover(s, err);
	size_t n;
	const kho_stage *stages = kho_stage_table(&n);
	const int whole = first == 0 && last == n - 1;
	if (rc == KHO_OK && whole) {
		rc = kho_run_pipeline(s, w, results, err);
		*stopped = kho_pool_stop_requested();
	}
	for (size_t i = first; !whole && rc == KHO_OK && i <= last && i < n;
	     i++) {
		if (kho_pool_stop_requested()) {
			*stopped = 1;
			break;
		}
		rc = kho_stage_run(s, &stages[i], w, &results[i], err);
		if (results[i].interrupted)
			*stopped = 1;
	}
	/* kho run leaves the coverage it reached: the report's trend. */
	if (rc == KHO_OK && whole)
		rc = kho_report_snapshot(s->cat, &s->conf, "run", run, 0, err);
	const char *outcome = rc ? "stopped" : *stopped ? "interrupted" : "ok";
	kho_error end_err = KHO_ERROR_INIT;
	if (run)
		kho_catalog_run_end(s->cat, run, outcome, NULL, &end_err);
	return rc;
}

/*
 * The shard the run is: the work root's, remembered in its catalog since
 * its first run with --shard.  A root that took every record can never
 * become a shard, and a shard never another one.
 */
static int use_shard(kho_session *s, const char *cmd, const kho_shard *given,
		     kho_error *err)
{
	kho_shard root;
	int rc = kho_catalog_shard(s->cat, &root, err);
	if (rc || (!given && root.count == 0))
		return rc;
	char want[16] = "", have[16];
	if (given)
		kho_shard_format(given, want, sizeof(want));
	kho_shard_format(&root, have, sizeof(have));
	if (given && root.count > 0 && !kho_shard_equal(given, &root))
		return kho_error_set(err, KHO_USAGE,
				     "work root '%s' is shard %s: it cannot "
				     "run as shard %s (each shard has a work "
				     "root of its own)",
				     s->root, have, want);
	if (given && root.count == 0) {
		rc = kho_catalog_shard_set(s->cat, given, err);
		if (rc)
			return kho_error_prefix(err, "work root '%s' cannot "
						"be shard %s",
						s->root, want);
		root = *given;
	}
	printf("%s: work root '%s' is shard %d/%d: it takes the records whose "
	       "id hashes to it\n",
	       cmd, s->root, root.index, root.count);
	fflush(stdout);
	return KHO_OK;
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
	int rc = kho_args_parse(argc, argv, run_opts, KHO_ARRAY_SIZE(run_opts),
				&a, &err);
	size_t n;
	const kho_stage *stages = kho_stage_table(&n);
	int is_ingest = first == 0 && last == 0;
	if (rc == KHO_OK && a.help) {
		if (first == last)
			kho_usage(cmd, is_ingest ? "[INBOX...]" : "",
				  stages[first].summary, run_opts,
				  KHO_ARRAY_SIZE(run_opts));
		else
			kho_usage(cmd, "[-j N] [--until HH:MM | --for 6h] "
				       "[--shard I/N]",
				  "Looks at the inboxes (kho.conf and --inbox), "
				  "then works every record through\nnormalize, "
				  "compress and describe, finishing records "
				  "begun before beginning\nnew ones, and packs "
				  "what got through.  Resumes whatever an "
				  "earlier run left,\nalso after kill -9.  In a "
				  "night window it takes a record only when it "
				  "would\nstill get through in time.  ^C or "
				  "SIGTERM: no new records, running ones\n"
				  "finish; a second ^C stops at once.",
				  run_opts, KHO_ARRAY_SIZE(run_opts));
		kho_args_release(&a);
		return 0;
	}
	if (rc == KHO_OK && a.n_pos > 0 && !is_ingest)
		rc = kho_error_set(&err, KHO_USAGE, "unexpected argument '%s'",
				   a.pos[0]);
	kho_window window;
	if (rc == KHO_OK)
		rc = parse_window(&a, &window, &err);
	kho_shard shard = KHO_SHARD_NONE;
	const char *shard_arg = kho_args_value(&a, OPT_SHARD);
	if (rc == KHO_OK && shard_arg)
		rc = kho_shard_parse(shard_arg, &shard, &err);
	kho_session *s = NULL;
	if (rc == KHO_OK)
		rc = kho_args_session(&a, program, 1, 0, &s, &err);
	if (rc == KHO_OK && a.n_pos > 0)
		rc = use_inboxes(s, a.pos, a.n_pos, &err);
	if (rc == KHO_OK)
		rc = use_shard(s, cmd, shard_arg ? &shard : NULL, &err);
	kho_stage_result results[KHO_N_STAGES];
	memset(results, 0, sizeof(results));
	int stopped = 0;
	int64_t started = 0;
	const int ran = rc == KHO_OK;
	if (ran) {
		started = kho_summary_clock();
		rc = run_stages(s, cmd, first, last, &window, results, &stopped,
				&err);
	}
	int status;
	if (ran) {
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
