/* kho verify [--volume V] [--sample PCT]: recompute every checksum of the
 * warehouse against the index and the bags' manifests. */
#include "kho/commands.h"
#include "catalog/catalog_warehouse.h"
#include "cli/options.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "pack/volume_verify.h"
#include "worker/progress.h"

#include <dirent.h>
#include <limits.h>
#include <sys/random.h>

static const kho_opt verify_opts[] = {
	{"volume", 0, 1, "V", "only this volume (vol-000001.tar)"},
	{"sample", 0, 1, "PCT",
	 "a random PCT percent of the volumes, at "
	 "least one"},
};

/* What the command saw, and its progress display. */
typedef struct verify_run {
	int style;
	const char *volume;
	int64_t started_ms, last_ms;
	uint64_t problems;
} verify_run;

static void on_problem(void *ctx, const kho_verify_problem *p)
{
	verify_run *const r = ctx;
	if (r->style == KHO_PROGRESS_BAR)
		fprintf(stderr, "\r\033[K");
	r->problems++;
	if (p->member)
		printf("%s: %s: %s: %s\n", p->volume, kho_problem_name(p->kind),
		       p->member, p->detail);
	else
		printf("%s: %s: %s\n", p->volume, kho_problem_name(p->kind),
		       p->detail);
	fflush(stdout);
}

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	verify_run *const r = ctx;
	const int64_t now = kho_mono_ms();
	const int every = r->style == KHO_PROGRESS_BAR ? 200 : 10000;
	if (r->style == KHO_PROGRESS_NONE || now - r->last_ms < every)
		return;
	r->last_ms = now;
	const double s = (now - r->started_ms) / 1000.0;
	const double rate = s > 0 ? done / s / 1e6 : 0;
	const double left = rate > 0 ? (total - done) / 1e6 / rate : 0;
	if (r->style == KHO_PROGRESS_BAR)
		fprintf(stderr,
			"\rverify %s: %.0f/%.0f MB, %.0f MB/s, %.0fs "
			"left\033[K",
			r->volume, done / 1e6, total / 1e6, rate, left);
	else
		fprintf(stderr,
			"verify: %s %.0f/%.0f MB, %.0f MB/s, %.0fs left\n",
			r->volume, done / 1e6, total / 1e6, rate, left);
	fflush(stderr);
}

/* vol-NNNNNN.tar or .zip, as kho pack names them. */
static int is_volume_file(const char *name)
{
	const size_t len = strlen(name);
	if (len < 14 || strncmp(name, "vol-", 4) != 0)
		return 0;
	for (size_t i = 4; i < len - 4; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	return strcmp(name + len - 4, ".tar") == 0 ||
	       strcmp(name + len - 4, ".zip") == 0;
}

/* Volume files in the warehouse that the index does not know. */
static void extra_volumes(kho_session *s, const kho_volume_row *vols, size_t n,
			  verify_run *r, kho_verify_counts *c)
{
	DIR *const d = opendir(s->warehouse_dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		size_t len = strlen(e->d_name);
		/* a volume being written by kho pack */
		if (len > 5 && strcmp(e->d_name + len - 5, ".part") == 0)
			continue;
		int known = 0;
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(vols[i].name, e->d_name) == 0;
		if (known)
			continue;
		const kho_verify_problem p = {
			KHO_PROBLEM_EXTRA,
			e->d_name,
			NULL,
			is_volume_file(e->d_name)
				? "a volume the index does not know"
				: "a file that is not a volume",
		};
		c->problems++;
		on_problem(r, &p);
	}
	closedir(d);
}

/* Chooses k of n volumes at random: marks pick[i]. */
static void sample(size_t n, size_t k, char *pick)
{
	memset(pick, 0, n);
	for (size_t chosen = 0; chosen < k;) {
		uint64_t x = 0;
		if (getrandom(&x, sizeof(x), 0) != sizeof(x))
			x = (uint64_t)kho_mono_ms() * 2654435761u + chosen;
		const size_t i = (size_t)(x % n);
		if (!pick[i]) {
			pick[i] = 1;
			chosen++;
		}
	}
}

static int verify_one(kho_session *s, const kho_volume_row *vol, verify_run *r,
		      kho_verify_counts *c, kho_error *err)
{
	char path[PATH_MAX + 80];
	snprintf(path, sizeof(path), "%s/%s", s->warehouse_dir, vol->name);
	r->volume = vol->name;
	if (strcmp(vol->state, "sealed") != 0) {
		printf("%s: not sealed yet (kho pack is writing it): "
		       "skipped\n",
		       vol->name);
		return KHO_OK;
	}
	if (!kho_exists(path)) {
		const kho_verify_problem p = {KHO_PROBLEM_MISSING, vol->name,
					      NULL,
					      "the index has it, the warehouse "
					      "does not"};
		c->problems++;
		on_problem(r, &p);
		return KHO_OK;
	}
	kho_archive_row *rows = NULL;
	size_t n = 0;
	int rc = kho_volume_members(s->cat, vol->id, &rows, &n, err);
	if (rc)
		return rc;
	const kho_verify_hooks hooks = {on_problem, on_progress, r};
	const uint64_t before = r->problems;
	const uint64_t bytes = c->bytes;
	const int64_t t0 = kho_mono_ms();
	rc = kho_verify_volume(path, vol, rows, n, &hooks, c, err);
	free(rows);
	if (rc)
		return rc;
	if (r->style == KHO_PROGRESS_BAR)
		fprintf(stderr, "\r\033[K");
	const double secs = (kho_mono_ms() - t0) / 1000.0;
	const double mb = (c->bytes - bytes) / 1e6;
	printf("%s: %s (%zu members, %.1f MB in %.1f s)\n", vol->name,
	       r->problems == before ? "ok" : "PROBLEMS", n, mb, secs);
	return KHO_OK;
}

static int verify(kho_session *s, const char *only, int pct, kho_error *err)
{
	kho_volume_row *vols = NULL, *all = NULL;
	size_t n = 0, n_all = 0;
	int rc = kho_volumes_list(s->cat, NULL, &all, &n_all, err);
	if (rc == KHO_OK)
		rc = kho_volumes_list(s->cat, only, &vols, &n, err);
	verify_run r = {.style = kho_progress_style()};
	r.started_ms = r.last_ms = kho_mono_ms();
	kho_verify_counts c = {0};
	if (rc == KHO_OK && only && n == 0) {
		char path[PATH_MAX + 80];
		snprintf(path, sizeof(path), "%s/%s", s->warehouse_dir, only);
		rc = kho_exists(path)
			     ? kho_error_set(err, KHO_FAIL,
					     "volume '%s' is in the warehouse "
					     "but not in the index",
					     only)
			     : kho_error_set(err, KHO_USAGE,
					     "no volume '%s' in the index",
					     only);
	}
	if (rc == KHO_OK && !only)
		extra_volumes(s, all, n_all, &r, &c);
	char *pick = NULL;
	size_t k = n;
	if (rc == KHO_OK && pct > 0 && n > 0) {
		k = KHO_MAX((size_t)1, (n * (size_t)pct + 99) / 100);
		pick = malloc(n);
		if (!pick)
			rc = kho_error_set(err, KHO_FATAL, "out of memory");
		else
			sample(n, k, pick);
	}
	size_t checked = 0;
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		if (pick && !pick[i])
			continue;
		rc = verify_one(s, &vols[i], &r, &c, err);
		checked++;
	}
	free(pick);
	free(vols);
	free(all);
	if (rc)
		return rc;
	const double secs = (kho_mono_ms() - r.started_ms) / 1000.0;
	printf("kho verify: %zu volume(s)%s, %llu bag(s), %llu member(s), "
	       "%.1f MB in %.1f s (%.0f MB/s): ",
	       checked, pick || pct ? " (a sample)" : "",
	       (unsigned long long)c.bags, (unsigned long long)c.members,
	       c.bytes / 1e6, secs, secs > 0 ? c.bytes / 1e6 / secs : 0.0);
	if (c.problems == 0) {
		printf("every checksum recomputes\n");
		return KHO_OK;
	}
	printf("%llu problem(s)\n", (unsigned long long)c.problems);
	return kho_error_set(err, KHO_FAIL,
			     "%llu problem(s) in the warehouse (listed above)",
			     (unsigned long long)c.problems);
}

int kho_cmd_verify(int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, verify_opts,
				KHO_ARRAY_SIZE(verify_opts), &a, &err);
	if (rc == KHO_OK && a.help) {
		kho_usage("kho verify", "[--volume V] [--sample PCT]",
			  "Reads every sealed volume of the warehouse through "
			  "libarchive and recomputes every\nchecksum against "
			  "the index and the bags' manifests.  Names every "
			  "missing, extra\nor altered member; exit 1 when "
			  "there is one.",
			  verify_opts, KHO_ARRAY_SIZE(verify_opts));
		kho_args_release(&a);
		return 0;
	}
	int pct = 0;
	const char *const sample_arg = kho_args_value(&a, 1);
	if (rc == KHO_OK && sample_arg) {
		char *end = NULL;
		const long v = strtol(sample_arg, &end, 10);
		if (end == sample_arg || *end || v < 1 || v > 100)
			rc = kho_error_set(&err, KHO_USAGE,
					   "--sample takes a percentage from 1 "
					   "to 100, not '%s'",
					   sample_arg);
		pct = (int)v;
	}
	if (rc == KHO_OK && a.n_pos != 0)
		rc = kho_error_set(&err, KHO_USAGE,
				   "kho verify takes no argument (--volume V "
				   "names one volume)");
	kho_session *s = NULL;
	if (rc == KHO_OK)
		rc = kho_args_session(&a, "kho", 0, 1, &s, &err);
	if (rc == KHO_OK)
		rc = verify(s, kho_args_value(&a, 0), pct, &err);
	kho_session_free(s);
	kho_args_release(&a);
	if (rc == KHO_FAIL) {
		/* the problems are listed already */
		fprintf(stderr, "kho verify: %s\n", err.msg);
		return 1;
	}
	return rc ? kho_report_error("kho verify", &err) : 0;
}
