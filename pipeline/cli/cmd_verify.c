/* kho verify [--volume V] [--sample PCT] [--roots ROOT...]: recompute
 * every checksum of the warehouse (of every work root given) against the
 * index and the bags' manifests. */
#include "kho/commands.h"
#include "catalog/catalog_warehouse.h"
#include "cli/options.h"
#include "cli/roots.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "pack/volume_name.h"
#include "pack/volume_verify.h"
#include "worker/progress.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/random.h>

enum { OPT_VOLUME, OPT_SAMPLE, OPT_ROOTS };

static const kho_opt verify_opts[] = {
	[OPT_VOLUME] = {"volume", 0, 1, "V",
			"only this volume (vol-000001.tar)"},
	[OPT_SAMPLE] = {"sample", 0, 1, "PCT",
			"a random PCT percent of the volumes, at "
			"least one"},
	[OPT_ROOTS] = {"roots", 0, KHO_OPT_LIST, "ROOT",
		       "the work roots of the shards of one batch"},
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

/*
 * Files in a warehouse folder that no index knows: vols[k] are the
 * volumes of the roots k in [from, to) whose warehouse is this folder
 * (none for the others).  A volume named for a work root that is not
 * among those checked (another shard's, in a folder the shards share) is
 * left to that root.
 */
static void extra_volumes(const kho_roots *roots, size_t from, size_t to,
			  kho_volume_row *const *vols, const size_t *n_vols,
			  verify_run *r, kho_verify_counts *c)
{
	const char *const dir = roots->s[from]->warehouse_dir;
	DIR *const d = opendir(dir);
	if (!d)
		return;
	size_t left = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		kho_shard of = KHO_SHARD_NONE;
		int part = 0;
		const int is_volume =
			kho_volume_name_parse(e->d_name, &of, NULL, &part);
		/* a volume being written by kho pack */
		if (is_volume && part)
			continue;
		int known = 0;
		for (size_t k = from; k < to && !known; k++)
			for (size_t i = 0; i < n_vols[k] && !known; i++)
				known = strcmp(vols[k][i].name, e->d_name) == 0;
		if (known)
			continue;
		int ours = !is_volume;
		for (size_t k = 0; k < roots->n && !ours; k++)
			ours = kho_shard_equal(&of, &roots->shard[k]);
		if (is_volume && !ours) {
			left++;
			continue;
		}
		const kho_verify_problem p = {
			KHO_PROBLEM_EXTRA,
			e->d_name,
			NULL,
			is_volume ? "a volume the index does not know"
				  : "a file that is not a volume",
		};
		c->problems++;
		on_problem(r, &p);
	}
	closedir(d);
	if (left)
		printf("%s: %zu volume(s) of other work roots (shards) left "
		       "to them\n",
		       dir, left);
}

/* The record ids each root archived: every one in its own shard, and
 * none in two roots. */
typedef struct archived_id {
	char *id;
	char *volume;
	size_t root;
} archived_id;

typedef struct id_list {
	archived_id *ids;
	size_t n, cap;
	size_t root;
} id_list;

static int add_id(void *ctx, const char *record_id, const char *volume,
		  kho_error *err)
{
	id_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		archived_id *p = realloc(l->ids, cap * sizeof(*p));
		if (!p)
			return kho_error_set(err, KHO_FATAL, "out of memory");
		l->ids = p;
		l->cap = cap;
	}
	archived_id *a = &l->ids[l->n];
	a->id = strdup(record_id);
	a->volume = strdup(volume);
	a->root = l->root;
	if (!a->id || !a->volume) {
		free(a->id);
		free(a->volume);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	l->n++;
	return KHO_OK;
}

static int by_id(const void *a, const void *b)
{
	const archived_id *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->root > y->root) - (x->root < y->root);
}

static void shard_problem(verify_run *r, kho_verify_counts *c,
			  const char *volume, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void shard_problem(verify_run *r, kho_verify_counts *c,
			  const char *volume, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	const kho_verify_problem p = {KHO_PROBLEM_SHARD, volume, NULL, detail};
	c->problems++;
	on_problem(r, &p);
}

static int check_shards(const kho_roots *roots, verify_run *r,
			kho_verify_counts *c, kho_error *err)
{
	id_list l = {0};
	int rc = KHO_OK;
	for (size_t k = 0; rc == KHO_OK && k < roots->n; k++) {
		if (roots->shard[k].count == 0 && roots->n == 1)
			break; /* one root that takes every record */
		l.root = k;
		rc = kho_archive_record_ids(roots->s[k]->cat, add_id, &l, err);
	}
	if (rc == KHO_OK && l.n > 1)
		qsort(l.ids, l.n, sizeof(*l.ids), by_id);
	for (size_t i = 0; rc == KHO_OK && i < l.n; i++) {
		const archived_id *a = &l.ids[i];
		const kho_shard *sh = &roots->shard[a->root];
		const int of = sh->count ? kho_shard_of(a->id, sh->count) : 0;
		if (sh->count && of != sh->index)
			shard_problem(r, c, a->volume,
				      "record '%s' is archived by work root "
				      "'%s', shard %d/%d, but its id hashes to "
				      "shard %d/%d",
				      a->id, roots->s[a->root]->root, sh->index,
				      sh->count, of, sh->count);
		if (i > 0 && strcmp(l.ids[i - 1].id, a->id) == 0)
			shard_problem(r, c, a->volume,
				      "record '%s' is archived in two work "
				      "roots: '%s' (%s) and '%s' (%s)",
				      a->id, roots->s[l.ids[i - 1].root]->root,
				      l.ids[i - 1].volume,
				      roots->s[a->root]->root, a->volume);
	}
	for (size_t i = 0; i < l.n; i++) {
		free(l.ids[i].id);
		free(l.ids[i].volume);
	}
	free(l.ids);
	return rc;
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

/* The volumes of one root to check (every one, or a sample). */
static int verify_root(kho_session *s, const kho_volume_row *vols, size_t n,
		       int pct, verify_run *r, kho_verify_counts *c,
		       size_t *checked, kho_error *err)
{
	char *pick = NULL;
	int rc = KHO_OK;
	if (pct > 0 && n > 0) {
		const size_t k =
			KHO_MAX((size_t)1, (n * (size_t)pct + 99) / 100);
		pick = malloc(n);
		if (!pick)
			return kho_error_set(err, KHO_FATAL, "out of memory");
		sample(n, k, pick);
	}
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		if (pick && !pick[i])
			continue;
		rc = verify_one(s, &vols[i], r, c, err);
		(*checked)++;
	}
	free(pick);
	return rc;
}

/* The root whose index knows volume `only`, or the one its name says. */
static int find_volume(const kho_roots *roots, const char *only,
		       const size_t *n_vols, size_t *which, kho_error *err)
{
	for (size_t k = 0; k < roots->n; k++)
		if (n_vols[k] > 0) {
			*which = k;
			return KHO_OK;
		}
	for (size_t k = 0; k < roots->n; k++) {
		char path[PATH_MAX + 80];
		snprintf(path, sizeof(path), "%s/%s",
			 roots->s[k]->warehouse_dir, only);
		if (kho_exists(path))
			return kho_error_set(err, KHO_FAIL,
					     "volume '%s' is in the warehouse "
					     "but not in the index",
					     only);
	}
	return kho_error_set(err, KHO_USAGE, "no volume '%s' in the index",
			     only);
}

static int verify(const kho_roots *roots, const char *only, int pct,
		  kho_error *err)
{
	const size_t nr = roots->n;
	kho_volume_row **all = calloc(nr, sizeof(*all));
	kho_volume_row **vols = calloc(nr, sizeof(*vols));
	size_t *n_all = calloc(nr, sizeof(*n_all));
	size_t *n_vols = calloc(nr, sizeof(*n_vols));
	int rc = all && vols && n_all && n_vols
			 ? KHO_OK
			 : kho_error_set(err, KHO_FATAL, "out of memory");
	for (size_t k = 0; rc == KHO_OK && k < nr; k++) {
		kho_catalog *cat = roots->s[k]->cat;
		rc = kho_volumes_list(cat, NULL, &all[k], &n_all[k], err);
		if (rc == KHO_OK)
			rc = kho_volumes_list(cat, only, &vols[k], &n_vols[k],
					      err);
	}
	verify_run r = {.style = kho_progress_style()};
	r.started_ms = r.last_ms = kho_mono_ms();
	kho_verify_counts c = {0};
	size_t which = 0;
	if (rc == KHO_OK && only)
		rc = find_volume(roots, only, n_vols, &which, err);
	/* Each warehouse folder once, with the roots that share it. */
	char(*dirs)[PATH_MAX] = calloc(nr, sizeof(*dirs));
	if (rc == KHO_OK && !dirs)
		rc = kho_error_set(err, KHO_FATAL, "out of memory");
	for (size_t k = 0; rc == KHO_OK && k < nr; k++)
		if (!realpath(roots->s[k]->warehouse_dir, dirs[k]))
			snprintf(dirs[k], PATH_MAX, "%s",
				 roots->s[k]->warehouse_dir);
	size_t checked = 0;
	for (size_t k = 0; rc == KHO_OK && k < nr; k++) {
		if (only && k != which)
			continue;
		if (nr > 1) {
			char sh[16];
			kho_shard_format(&roots->shard[k], sh, sizeof(sh));
			printf("work root %s, shard %s:\n", roots->s[k]->root,
			       sh);
		}
		int first = 1;
		for (size_t j = 0; j < k && first; j++)
			first = strcmp(dirs[j], dirs[k]) != 0;
		if (!only && first) {
			/* the roots from k on that share this folder */
			kho_volume_row **v = calloc(nr, sizeof(*v));
			size_t *nv = calloc(nr, sizeof(*nv));
			if (!v || !nv) {
				free(v);
				free(nv);
				rc = kho_error_set(err, KHO_FATAL,
						   "out of memory");
				break;
			}
			for (size_t j = k; j < nr; j++)
				if (strcmp(dirs[j], dirs[k]) == 0) {
					v[j] = all[j];
					nv[j] = n_all[j];
				}
			extra_volumes(roots, k, nr, v, nv, &r, &c);
			free(v);
			free(nv);
		}
		rc = verify_root(roots->s[k], vols[k], n_vols[k], pct, &r, &c,
				 &checked, err);
	}
	if (rc == KHO_OK && !only)
		rc = check_shards(roots, &r, &c, err);
	for (size_t k = 0; k < nr; k++) {
		if (all)
			free(all[k]);
		if (vols)
			free(vols[k]);
	}
	free(all);
	free(vols);
	free(n_all);
	free(n_vols);
	free(dirs);
	if (rc)
		return rc;
	const double secs = (kho_mono_ms() - r.started_ms) / 1000.0;
	printf("kho verify: ");
	if (nr > 1)
		printf("%zu work roots, ", nr);
	printf("%zu volume(s)%s, %llu bag(s), %llu member(s), "
	       "%.1f MB in %.1f s (%.0f MB/s): ",
	       checked, pct ? " (a sample)" : "", (unsigned long long)c.bags,
	       (unsigned long long)c.members, c.bytes / 1e6, secs,
	       secs > 0 ? c.bytes / 1e6 / secs : 0.0);
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
		kho_usage("kho verify",
			  "[--volume V] [--sample PCT] [--roots ROOT...]",
			  "Reads every sealed volume of the warehouse through "
			  "libarchive and recomputes every\nchecksum against "
			  "the index and the bags' manifests.  Names every "
			  "missing, extra\nor altered member; exit 1 when "
			  "there is one.  With --roots, the warehouses of\n"
			  "the shards of one batch, and that each record is "
			  "archived once, by its shard.",
			  verify_opts, KHO_ARRAY_SIZE(verify_opts));
		kho_args_release(&a);
		return 0;
	}
	int pct = 0;
	const char *const sample_arg = kho_args_value(&a, OPT_SAMPLE);
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
	kho_roots roots;
	memset(&roots, 0, sizeof(roots));
	if (rc == KHO_OK)
		rc = kho_roots_open(&roots, &a, OPT_ROOTS, "kho verify", &err);
	if (rc == KHO_OK)
		rc = verify(&roots, kho_args_value(&a, OPT_VOLUME), pct, &err);
	kho_roots_release(&roots);
	kho_args_release(&a);
	if (rc == KHO_FAIL) {
		/* the problems are listed already */
		fprintf(stderr, "kho verify: %s\n", err.msg);
		return 1;
	}
	return rc ? kho_report_error("kho verify", &err) : 0;
}
