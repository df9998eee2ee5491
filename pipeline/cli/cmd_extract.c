/* kho extract RECORD DEST [--version N] [--roots ROOT...]: a record's
 * files out of the warehouse (of whichever work root archived it), read
 * by offset and checked on the way. */
#include "kho/commands.h"
#include "catalog/catalog_warehouse.h"
#include "cli/options.h"
#include "cli/roots.h"
#include "common/names.h"
#include "pack/volume_extract.h"

#include <limits.h>

enum { OPT_VERSION, OPT_ROOTS };

static const kho_opt extract_opts[] = {
	[OPT_VERSION] = {"version", 0, 1, "N",
			 "the archive version (bag RECORD.N); "
			 "default: the newest"},
	[OPT_ROOTS] = {"roots", 0, KHO_OPT_LIST, "ROOT",
		       "the work roots of the shards of one batch "
		       "(then -- RECORD DEST)"},
};

/* The root that archived the record: its shard's first, then any other
 * (a record is archived by one root only; kho verify --roots checks). */
static int find_root(const kho_roots *roots, const char *record_id,
		     int version, kho_archive_row **rows, size_t *n, int *got,
		     kho_session **s, kho_error *err)
{
	const int want = roots->count ? kho_shard_of(record_id, roots->count)
				      : 0;
	int rc = KHO_FAIL;
	for (int pass = 0; pass < 2 && rc == KHO_FAIL; pass++)
		for (size_t k = 0; k < roots->n && rc == KHO_FAIL; k++) {
			const int its = roots->shard[k].index == want;
			if (roots->n > 1 && its != (pass == 0))
				continue;
			kho_error_clear(err);
			rc = kho_archive_bag(roots->s[k]->cat, record_id,
					     version, rows, n, got, err);
			*s = roots->s[k];
		}
	if (rc == KHO_FAIL && roots->n > 1)
		kho_error_prefix(err, "%s", roots->label);
	return rc;
}

static int extract(const kho_roots *roots, const char *record_id,
		   const char *dest, int version, kho_error *err)
{
	kho_archive_row *rows = NULL;
	size_t n = 0;
	int got = 0;
	kho_session *s = NULL;
	int rc = find_root(roots, record_id, version, &rows, &n, &got, &s,
			   err);
	if (rc)
		return rc;
	char path[PATH_MAX + 80];
	snprintf(path, sizeof(path), "%s/%s", s->warehouse_dir, rows[0].volume);
	kho_extract_result res;
	rc = kho_extract_bag(path, record_id, rows, n, dest, &res, err);
	if (rc == KHO_OK)
		printf("kho extract: %s version %d (bag %s in %s): %zu "
		       "file(s), "
		       "%llu bytes, every SHA-256 checked, into %s\n",
		       record_id, got, rows[0].bag, rows[0].volume, res.files,
		       (unsigned long long)res.bytes, dest);
	free(rows);
	return rc;
}

int kho_cmd_extract(int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, extract_opts,
				KHO_ARRAY_SIZE(extract_opts), &a, &err);
	if (rc == KHO_OK && a.help) {
		kho_usage(
			"kho extract",
			"RECORD DEST [--version N] [--roots ROOT... --]",
			"Writes a record's files (result.pdf, metadata.json, "
			"master.tif, originals/) out of\nits warehouse volume "
			"into DEST, reading them by the index's offsets and "
			"checking\neach SHA-256 against the index and the "
			"bag's manifest: altered data is refused\nand nothing "
			"is written.  A file already in DEST is never "
			"overwritten.",
			extract_opts, KHO_ARRAY_SIZE(extract_opts));
		kho_args_release(&a);
		return 0;
	}
	if (rc == KHO_OK && a.n_pos != 2)
		rc = kho_error_set(&err, KHO_USAGE,
				   "give a record and a folder: kho extract "
				   "RECORD DEST [--version N]");
	if (rc == KHO_OK && !kho_record_id_valid(a.pos[0]))
		rc = kho_error_set(
			&err, KHO_USAGE,
			"'%s' is not a record id (" KHO_RECORD_ID_RULE ")",
			a.pos[0]);
	int version = 0;
	const char *const v = kho_args_value(&a, OPT_VERSION);
	if (rc == KHO_OK && v) {
		char *end = NULL;
		const long n = strtol(v, &end, 10);
		if (end == v || *end || n < 1 || n > 1000000)
			rc = kho_error_set(&err, KHO_USAGE,
					   "--version takes a number from 1, "
					   "not '%s'",
					   v);
		version = (int)n;
	}
	kho_roots roots;
	memset(&roots, 0, sizeof(roots));
	if (rc == KHO_OK)
		rc = kho_roots_open(&roots, &a, OPT_ROOTS, "kho extract", &err);
	if (rc == KHO_OK)
		rc = extract(&roots, a.pos[0], a.pos[1], version, &err);
	kho_roots_release(&roots);
	kho_args_release(&a);
	return rc ? kho_report_error("kho extract", &err) : 0;
}
