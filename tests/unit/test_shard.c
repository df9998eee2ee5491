/*
 * Shards (config/shard.h): the hash that splits records among N work
 * roots, its parsing, the volume names of a shard, the catalog that
 * remembers its shard (and a catalog of schema 3 that learns it), and the
 * inbox scan that looks only at a shard's records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/internal.h"
#include "catalog/catalog_private.h"
#include "config/shard.h"
#include "pack/volume_name.h"
#include "stages/inbox_scan.h"
#include "testutil.h"

/* ---- the hash ---- */

/* Values computed independently: in Python,
 * int.from_bytes(hashlib.sha256(id.encode()).digest()[:8], "big") % N + 1
 * (docs/SLURM.md gives the same one-liner). */
static void test_shard_of_known_values(void **state)
{
	(void)state;
	static const struct {
		const char *id;
		int n, shard;
	} v[] = {
		{"HT-2021-00042", 1, 1},   {"HT-2021-00042", 3, 3},
		{"HT-2021-00042", 4, 1},   {"HT-2021-00042", 7, 6},
		{"HT-2021-00042", 16, 13}, {"HT-2021-00042", 999, 873},
		{"DD-2020-00007", 2, 2},   {"DD-2020-00007", 4, 4},
		{"DD-2020-00007", 16, 8},  {"a", 4, 3},
		{"a", 999, 584},	   {"KD-2021-02020", 4, 4},
		{"KD-2021-02020", 7, 3},
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(v); i++)
		if (kho_shard_of(v[i].id, v[i].n) != v[i].shard)
			fail_msg("%s of %d: %d, expected %d", v[i].id, v[i].n,
				 kho_shard_of(v[i].id, v[i].n), v[i].shard);
}

/* Every record falls in exactly one shard, and the shards are about
 * even. */
static void test_shards_split_evenly(void **state)
{
	(void)state;
	int counts[5] = {0};
	const int total = 4000;
	for (int i = 0; i < total; i++) {
		char id[32];
		snprintf(id, sizeof(id), "HT-%d-%05d", 2020 + i % 6, i);
		int taken = 0;
		for (int k = 1; k <= 4; k++) {
			const kho_shard s = {k, 4};
			taken += kho_shard_takes(&s, id);
		}
		assert_int_equal(taken, 1);
		counts[kho_shard_of(id, 4)]++;
	}
	for (int k = 1; k <= 4; k++)
		assert_in_range(counts[k], total / 4 - 150, total / 4 + 150);
	const kho_shard none = KHO_SHARD_NONE;
	assert_true(kho_shard_takes(&none, "anything"));
}

static void test_shard_parse(void **state)
{
	(void)state;
	kho_shard s;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_shard_parse("3/4", &s, &err), KHO_OK);
	assert_int_equal(s.index, 3);
	assert_int_equal(s.count, 4);
	assert_int_equal(kho_shard_parse("1/1", &s, &err), KHO_OK);
	assert_int_equal(kho_shard_parse("999/999", &s, &err), KHO_OK);
	char text[16];
	kho_shard_format(&s, text, sizeof(text));
	assert_string_equal(text, "999/999");
	static const char *const bad[] = {
		"",	"3",	"/4",	 "3/",	  "0/4",     "5/4",
		"-1/4", "1/0",	"3/4/5", "a/4",	  "3/b",     "1/1000",
		" 3/4", "3/4 ", "+3/4",	 "3 / 4", "00003/4",
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(bad); i++) {
		kho_error_clear(&err);
		if (kho_shard_parse(bad[i], &s, &err) != KHO_USAGE)
			fail_msg("'%s' taken", bad[i]);
		assert_non_null(strstr(err.msg, "--shard"));
	}
	const kho_shard a = {2, 4}, b = {2, 4}, c = {2, 3}, none = {0, 0};
	assert_true(kho_shard_equal(&a, &b));
	assert_false(kho_shard_equal(&a, &c));
	assert_false(kho_shard_equal(&a, &none));
	assert_true(kho_shard_equal(&none, &none));
}

/* ---- volume names ---- */

static void test_volume_names(void **state)
{
	(void)state;
	char name[64];
	const kho_shard none = KHO_SHARD_NONE, s3 = {3, 4}, big = {7, 128};
	kho_volume_name(&none, 1, "tar", name, sizeof(name));
	assert_string_equal(name, "vol-000001.tar");
	kho_volume_name(&s3, 12, "zip", name, sizeof(name));
	assert_string_equal(name, "vol-s03of04-000012.zip");
	kho_volume_name(&big, 1234567, "tar", name, sizeof(name));
	assert_string_equal(name, "vol-s007of128-1234567.tar");

	kho_shard of;
	int n = 0, part = 0;
	assert_true(kho_volume_name_parse("vol-s03of04-000012.zip.part", &of,
					  &n, &part));
	assert_int_equal(of.index, 3);
	assert_int_equal(of.count, 4);
	assert_int_equal(n, 12);
	assert_int_equal(part, 1);
	assert_true(kho_volume_name_parse("vol-000001.tar", &of, &n, &part));
	assert_int_equal(of.count, 0);
	assert_int_equal(n, 1);
	assert_int_equal(part, 0);
	assert_true(kho_volume_name_parse("vol-s007of128-1234567.tar", &of, &n,
					  NULL));
	assert_int_equal(of.index, 7);
	assert_int_equal(n, 1234567);
	static const char *const bad[] = {
		"vol-00001.tar",
		"vol-000001.tgz",
		"vol-000001.tar.bak",
		"vol-000000.tar",
		"vol-s3of4-000001.tar",
		"vol-s03of4-000001.tar",
		"vol-s05of04-000001.tar",
		"vol-s00of04-000001.tar",
		"vol-s03of04000001.tar",
		"vol-s03of04-000001",
		"volume-000001.tar",
		"vol-s0003of0004-000001.tar",
		"notes.txt",
		"vol-.tar",
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(bad); i++)
		if (kho_volume_name_parse(bad[i], NULL, NULL, NULL))
			fail_msg("'%s' read as a volume name", bad[i]);
	assert_true(kho_volume_name_mine("vol-s03of04-000001.tar", &s3));
	assert_false(kho_volume_name_mine("vol-s02of04-000001.tar", &s3));
	assert_false(kho_volume_name_mine("vol-000001.tar", &s3));
	assert_true(kho_volume_name_mine("vol-000001.tar", &none));
}

/* ---- the catalog remembers its shard ---- */

static kho_catalog *new_catalog(const char *dir)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	return kt_catalog_new(path);
}

static void test_catalog_shard(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", kt_tempdir("shard-cat"));
	kho_catalog *cat = new_catalog(dir);
	kho_error err = KHO_ERROR_INIT;
	kho_shard s = {9, 9};
	assert_int_equal(kho_catalog_shard(cat, &s, &err), KHO_OK);
	assert_int_equal(s.count, 0);
	const kho_shard two = {2, 4}, three = {3, 4};
	assert_int_equal(kho_catalog_shard_set(cat, &two, &err), KHO_OK);
	assert_int_equal(kho_catalog_shard(cat, &s, &err), KHO_OK);
	assert_true(kho_shard_equal(&s, &two));
	/* The same shard again: nothing changes; another: refused. */
	assert_int_equal(kho_catalog_shard_set(cat, &two, &err), KHO_OK);
	assert_int_equal(kho_catalog_shard_set(cat, &three, &err), KHO_USAGE);
	assert_non_null(strstr(err.msg, "shard 2/4 already"));
	kho_catalog_free(cat);
	kt_rmtree(dir);

	/* A root that took records without a shard never becomes one. */
	snprintf(dir, sizeof(dir), "%s", kt_tempdir("shard-cat"));
	cat = new_catalog(dir);
	int added = 0;
	assert_int_equal(kho_catalog_begin(cat, &err), KHO_OK);
	assert_int_equal(kho_jobs_enqueue_ingest(cat, "HT-2021-00042", "{}",
						 "fp", &added, &err),
			 KHO_OK);
	assert_int_equal(kho_catalog_commit(cat, &err), KHO_OK);
	kho_error_clear(&err);
	assert_int_equal(kho_catalog_shard_set(cat, &two, &err), KHO_USAGE);
	assert_non_null(strstr(err.msg, "ran without --shard"));
	assert_int_equal(kho_catalog_shard(cat, &s, &err), KHO_OK);
	assert_int_equal(s.count, 0);
	kho_catalog_free(cat);
	kt_rmtree(dir);
}

/* A catalog of schema 3 (before shards) opens as a root of every
 * record. */
static void test_migration_from_schema_3(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", kt_tempdir("shard-v3"));
	char path[4200];
	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (int v = 0; v < 3; v++)
		assert_int_equal(sqlite3_exec(db, kho_catalog_migrations[v],
					      NULL, NULL, NULL),
				 SQLITE_OK);
	char sql[128];
	snprintf(sql, sizeof(sql),
		 "PRAGMA application_id = %d; PRAGMA user_version = 3;",
		 (int)KHO_CATALOG_APP_ID);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	kho_catalog *cat = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_catalog_open(&cat, path, KHO_CATALOG_OPEN, "test",
					  NULL, &err),
			 KHO_OK);
	assert_true(kho_catalog_schema_version() >= 4);
	kho_shard s = {1, 1};
	assert_int_equal(kho_catalog_shard(cat, &s, &err), KHO_OK);
	assert_int_equal(s.count, 0);
	const kho_shard one = {1, 2};
	assert_int_equal(kho_catalog_shard_set(cat, &one, &err), KHO_OK);
	kho_catalog_free(cat);
	kt_rmtree(dir);
}

/* ---- the inbox scan of a shard ---- */

static void touch(const char *dir, const char *name)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(kt_write_file(path, "x", 1), 0);
}

static void test_scan_takes_its_records(void **state)
{
	(void)state;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", kt_tempdir("shard-scan"));
	char sub[4200];
	static const char *const ids[] = {
		"HT-2021-00042", "DD-2020-00007", "a",
		"KD-2021-02020", "XD-2023-00001", "XD-2023-00002",
		"XD-2023-00003",
	};
	for (size_t i = 0; i < 3; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, ids[i]);
		assert_int_equal(mkdir(sub, 0755), 0);
		touch(sub, "page-001.jpg");
	}
	for (size_t i = 3; i < KHO_ARRAY_SIZE(ids); i++) {
		char name[96];
		snprintf(name, sizeof(name), "%s.tif", ids[i]);
		touch(dir, name);
	}
	touch(dir, "not a record.jpg"); /* a problem that names no record */

	size_t found = 0, problems = 0;
	for (int k = 1; k <= 4; k++) {
		kho_scan scan = KHO_SCAN_INIT;
		scan.shard.index = k;
		scan.shard.count = 4;
		kho_error err = KHO_ERROR_INIT;
		assert_int_equal(kho_inbox_scan(&scan, dir, &err), KHO_OK);
		assert_int_equal(kho_scan_finish(&scan, &err), KHO_OK);
		for (size_t i = 0; i < scan.n_records; i++)
			assert_int_equal(kho_shard_of(scan.records[i].id, 4),
					 k);
		assert_int_equal(scan.n_records + scan.n_elsewhere,
				 KHO_ARRAY_SIZE(ids));
		/* only shard 1 keeps what names no record */
		assert_int_equal(scan.n_problems, k == 1 ? 1 : 0);
		found += scan.n_records;
		problems += scan.n_problems;
		kho_scan_release(&scan);
	}
	assert_int_equal(found, KHO_ARRAY_SIZE(ids));
	assert_int_equal(problems, 1);
	kt_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shard_of_known_values),
		cmocka_unit_test(test_shards_split_evenly),
		cmocka_unit_test(test_shard_parse),
		cmocka_unit_test(test_volume_names),
		cmocka_unit_test(test_catalog_shard),
		cmocka_unit_test(test_migration_from_schema_3),
		cmocka_unit_test(test_scan_takes_its_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
