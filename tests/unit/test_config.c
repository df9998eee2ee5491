/*
 * kho.conf: defaults, the INI reader (sections, comments, quotes, a BOM),
 * errors that name file and line, values and their ranges, sizes, yes/no,
 * inbox folders, '-' for '_', and the default file read back.
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
#include "config/config.h"
#include "testutil.h"

/* ---- helpers ---- */

static char *path_in(const char *dir, const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void write_text(const char *path, const char *text)
{
	assert_int_equal(kt_write_file(path, text, strlen(text)), 0);
}

static void init(kho_config *conf)
{
	kho_error err = KHO_ERROR_INIT;
	if (kho_config_init(conf, &err) != KHO_OK)
		fail_msg("init: %s", err.msg);
}

/* Loads text written to DIR/kho.conf into conf; returns the code. */
static int load_text(kho_config *conf, const char *dir, const char *text,
		     kho_error *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/kho.conf", dir);
	write_text(path, text);
	return kho_config_load(conf, path, err);
}

static void load_ok(kho_config *conf, const char *dir, const char *text)
{
	kho_error err = KHO_ERROR_INIT;
	if (load_text(conf, dir, text, &err) != KHO_OK)
		fail_msg("load: %s", err.msg);
}

/* Loads text that must fail with KHO_USAGE and the message
 * "DIR/kho.conf:LINE: rest". */
static void load_fails(const char *dir, const char *text, int line,
		       const char *rest)
{
	kho_config conf;
	init(&conf);
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(load_text(&conf, dir, text, &err), KHO_USAGE);
	assert_int_equal(err.code, KHO_USAGE);
	char want[4200];
	snprintf(want, sizeof(want), "%s/kho.conf:%d: %s", dir, line, rest);
	assert_string_equal(err.msg, want);
	kho_config_release(&conf);
}

/* Sets name=value that must fail with KHO_USAGE and the message msg;
 * the field keeps its value. */
static void set_fails(const char *name, const char *value, const char *msg)
{
	kho_config conf;
	init(&conf);
	kho_config before = conf;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_config_set(&conf, name, value, "cli", &err),
			 KHO_USAGE);
	assert_string_equal(err.msg, msg);
	assert_int_equal(conf.jobs, before.jobs);
	assert_int_equal(conf.jpeg_quality, before.jpeg_quality);
	assert_int_equal(conf.volume_size, before.volume_size);
	assert_int_equal(conf.keep_originals, before.keep_originals);
	assert_int_equal(conf.max_pixels, before.max_pixels);
	kho_config_release(&conf);
}

static long long set_int(const char *name, const char *value)
{
	kho_config conf;
	init(&conf);
	kho_error err = KHO_ERROR_INIT;
	if (kho_config_set(&conf, name, value, "cli", &err) != KHO_OK)
		fail_msg("%s = %s: %s", name, value, err.msg);
	const kho_config_key *k = kho_config_find(name);
	assert_non_null(k);
	const long long v = *(long long *)((char *)&conf + k->offset);
	kho_config_release(&conf);
	return v;
}

static void assert_defaults(const kho_config *c)
{
	assert_int_equal(c->n_inbox, 0);
	assert_int_equal(c->jobs, 0);
	assert_string_equal(c->batch, "");
	assert_string_equal(c->desk, "");
	assert_int_equal(c->max_pixels, 150000000LL);
	assert_int_equal(c->max_pages, 2000);
	assert_int_equal(c->max_file_mb, 1024);
	assert_int_equal(c->max_alloc_mb, 512);
	assert_int_equal(c->page_timeout, 300);
	assert_int_equal(c->target_dpi, 300);
	assert_int_equal(c->min_dpi, 200);
	assert_int_equal(c->jpeg_quality, 70);
	assert_string_equal(c->publisher, "kho");
	assert_int_equal(c->volume_size, 4LL << 30);
	assert_string_equal(c->volume_format, "tar");
	assert_string_equal(c->source_organization, "");
	assert_int_equal(c->keep_originals, 1);
}

/* ---- defaults and the key table ---- */

static void test_defaults(void **state)
{
	kho_config conf;
	init(&conf);
	assert_defaults(&conf);
	kho_config_release(&conf);
	/* Released twice is harmless: the strings are gone. */
	assert_null(conf.publisher);
	kho_config_release(&conf);
}

static void test_key_table(void **state)
{
	size_t n = 0;
	const kho_config_key *keys = kho_config_keys(&n);
	assert_true(n >= 17);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(kho_config_find(keys[i].name), &keys[i]);
		assert_non_null(keys[i].help);
		assert_true(strlen(keys[i].help) > 10);
		assert_true(strlen(keys[i].section) > 0);
		if (keys[i].type == KHO_CONF_INT ||
		    keys[i].type == KHO_CONF_SIZE)
			assert_true(keys[i].min <= keys[i].max);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(keys[i].name, keys[j].name);
	}
	const kho_config_key *k = kho_config_find("jpeg_quality");
	assert_non_null(k);
	assert_string_equal(k->section, "compress");
	assert_int_equal(k->type, KHO_CONF_INT);
	assert_int_equal(k->min, 20);
	assert_int_equal(k->max, 100);
	assert_ptr_equal(kho_config_find("jpeg-quality"), k);
	assert_ptr_equal(kho_config_find("max-file-mb"),
			 kho_config_find("max_file_mb"));
	assert_null(kho_config_find("jpeg"));
	assert_null(kho_config_find("jpeg_quality_"));
	assert_null(kho_config_find("jpeg__quality"));
	assert_null(kho_config_find(""));
	assert_null(kho_config_find("colour"));
	assert_int_equal(kho_config_find("volume_size")->type, KHO_CONF_SIZE);
	assert_int_equal(kho_config_find("keep_originals")->type,
			 KHO_CONF_BOOL);
	assert_int_equal(kho_config_find("inbox")->type, KHO_CONF_PATHS);
}

/* ---- the INI reader ---- */

static void test_load_full(void **state)
{
	const char *dir = kt_tempdir("config");
	kho_config conf;
	init(&conf);
	load_ok(&conf, dir,
		"\xEF\xBB\xBF# kho.conf written by hand\n"
		"jobs = 4\n"
		"\n"
		"; a comment in the other style\n"
		"   # an indented comment\n"
		"[kho]\n"
		"batch=\"2021 births\"\n"
		"desk =   Desk 3, ground floor   \n"
		"\t[ limits ]\t\n"
		"max_pixels = 2000000\n"
		"max-pages = 12\n"
		"page_timeout = 60\r\n"
		"[normalize]\n"
		"target_dpi = 400\n"
		"min_dpi = 150\n"
		"[compress]\n"
		"jpeg-quality = 90\n"
		"[describe]\n"
		"publisher = \"Sở Tư pháp = Department of Justice\"\n"
		"[pack]\n"
		"volume_size = 512M\n"
		"source_organization = \"\"\n"
		"keep_originals = no\n"
		"[kho]\n"
		"jobs = 6");
	assert_int_equal(conf.jobs, 6);
	assert_string_equal(conf.batch, "2021 births");
	assert_string_equal(conf.desk, "Desk 3, ground floor");
	assert_int_equal(conf.max_pixels, 2000000);
	assert_int_equal(conf.max_pages, 12);
	assert_int_equal(conf.page_timeout, 60);
	assert_int_equal(conf.target_dpi, 400);
	assert_int_equal(conf.min_dpi, 150);
	assert_int_equal(conf.jpeg_quality, 90);
	assert_string_equal(conf.publisher,
			    "Sở Tư pháp = Department of Justice");
	assert_int_equal(conf.volume_size, 512LL << 20);
	assert_string_equal(conf.source_organization, "");
	assert_int_equal(conf.keep_originals, 0);
	/* Keys not in the file keep their values. */
	assert_int_equal(conf.max_file_mb, 1024);
	assert_string_equal(conf.volume_format, "tar");
	kho_config_release(&conf);
	kt_rmtree(dir);
}

static void test_load_over_present_values(void **state)
{
	const char *dir = kt_tempdir("config");
	kho_config conf;
	init(&conf);
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(
		kho_config_set(&conf, "jpeg_quality", "55", "cli", &err),
		KHO_OK);
	assert_int_equal(
		kho_config_set(&conf, "publisher", "first", "cli", &err),
		KHO_OK);
	load_ok(&conf, dir, "[describe]\npublisher = second\n");
	assert_int_equal(conf.jpeg_quality, 55);
	assert_string_equal(conf.publisher, "second");
	/* An empty file changes nothing. */
	load_ok(&conf, dir, "");
	assert_string_equal(conf.publisher, "second");
	load_ok(&conf, dir, "\xEF\xBB\xBF");
	assert_string_equal(conf.publisher, "second");
	/* A BOM right before a section line. */
	load_ok(&conf, dir, "\xEF\xBB\xBF[describe]\npublisher = third\n");
	assert_string_equal(conf.publisher, "third");
	kho_config_release(&conf);
	kt_rmtree(dir);
}

static void test_quotes(void **state)
{
	const char *dir = kt_tempdir("config");
	kho_config conf;
	init(&conf);
	/* Only a pair around the whole value is taken away. */
	load_ok(&conf, dir,
		"batch = \"  padded  \"\n"
		"desk = say \"hi\"\n");
	assert_string_equal(conf.batch, "  padded  ");
	assert_string_equal(conf.desk, "say \"hi\"");
	load_ok(&conf, dir, "batch = \"\ndesk = \"a\"b\"\n");
	assert_string_equal(conf.batch, "\"");
	assert_string_equal(conf.desk, "a\"b");
	load_ok(&conf, dir, "[compress]\njpeg_quality = \"70\"\n");
	assert_int_equal(conf.jpeg_quality, 70);
	kho_config_release(&conf);
	kt_rmtree(dir);
}

static void test_load_errors(void **state)
{
	const char *dir = kt_tempdir("config");
	load_fails(dir, "jobs = 2\n\n[colour]\njobs = 3\n", 3,
		   "unknown section [colour]");
	load_fails(dir, "# c\ncolour = yes\n", 2,
		   "unknown setting 'colour' in [kho]");
	/* A known key in another section is unknown there. */
	load_fails(dir, "[limits]\nmax_pages = 5\njobs = 4\n", 3,
		   "unknown setting 'jobs' in [limits]");
	load_fails(dir, "[compress]\nquality = 5\n", 2,
		   "unknown setting 'quality' in [compress]");
	load_fails(dir, "[limits\n", 1, "bad section line");
	load_fails(dir, "\n[limits] # comment\n", 2, "bad section line");
	load_fails(dir, "jobs 4\n", 1, "expected 'key = value'");
	load_fails(dir, "jobs = 4 # four\n", 1,
		   "'4 # four' is not a number for jobs");
	load_fails(dir, "jobs = 1000\n", 1,
		   "jobs must be from 0 to 256, not 1000");
	load_fails(dir, "[pack]\n\n\nkeep_originals = sometimes\n", 4,
		   "keep_originals must be yes or no, not 'sometimes'");
	load_fails(dir, "[pack]\nvolume_format = 7z\n", 2,
		   "volume_format '7z' is not supported (tar or zip)");
	/* A BOM counts only at the start of the file. */
	load_fails(dir, "jobs = 1\n\xEF\xBB\xBFjobs = 2\n", 2,
		   "unknown setting '\xEF\xBB\xBFjobs' in [kho]");
	/* CRLF line ends do not shift the count. */
	load_fails(dir, "jobs = 1\r\n\r\n[x]\r\n", 3, "unknown section [x]");

	char *line = malloc(6000);
	memset(line, 'a', 5990);
	memcpy(line, "desk = ", 7);
	memcpy(line + 5990, "\n", 2);
	char *text = malloc(7000);
	snprintf(text, 7000, "jobs = 1\n%s", line);
	load_fails(dir, text, 2, "line too long");
	free(text);
	free(line);

	kho_config conf;
	init(&conf);
	kho_error err = KHO_ERROR_INIT;
	const char *missing = path_in(dir, "absent.conf");
	assert_int_equal(kho_config_load(&conf, missing, &err), KHO_USAGE);
	char want[4200];
	snprintf(want, sizeof(want),
		 "cannot read '%s': No such file or directory", missing);
	assert_string_equal(err.msg, want);
	assert_defaults(&conf);
	kho_config_release(&conf);
	kt_rmtree(dir);
}

/* ---- values ---- */

static void test_numbers_and_ranges(void **state)
{
	assert_int_equal(set_int("jobs", "0"), 0);
	assert_int_equal(set_int("jobs", "256"), 256);
	assert_int_equal(set_int("jobs", "+7"), 7);
	assert_int_equal(set_int("jpeg_quality", "20"), 20);
	assert_int_equal(set_int("jpeg_quality", "100"), 100);
	assert_int_equal(set_int("max_pixels", "4000000000"), 4000000000LL);
	assert_int_equal(set_int("min_dpi", "72"), 72);
	assert_int_equal(set_int("max_alloc_mb", "16"), 16);

	set_fails("jobs", "257", "cli: jobs must be from 0 to 256, not 257");
	set_fails("jobs", "-1", "cli: jobs must be from 0 to 256, not -1");
	set_fails("jpeg_quality", "19",
		  "cli: jpeg_quality must be from 20 to 100, not 19");
	set_fails("jpeg-quality", "101",
		  "cli: jpeg_quality must be from 20 to 100, not 101");
	set_fails("target_dpi", "199",
		  "cli: target_dpi must be from 200 to 1200, not 199");
	set_fails("min_dpi", "71",
		  "cli: min_dpi must be from 72 to 1200, not 71");
	set_fails("max_pixels", "4000000001",
		  "cli: max_pixels must be from 1 to 4000000000, not "
		  "4000000001");
	set_fails("max_pages", "0",
		  "cli: max_pages must be from 1 to 1000000, not 0");
	set_fails("page_timeout", "86401",
		  "cli: page_timeout must be from 1 to 86400, not 86401");
	set_fails("jobs", "abc", "cli: 'abc' is not a number for jobs");
	set_fails("jobs", "", "cli: '' is not a number for jobs");
	set_fails("jobs", "4.5", "cli: '4.5' is not a number for jobs");
	set_fails("jobs", "4 ", "cli: '4 ' is not a number for jobs");
	set_fails("jobs", "0x10", "cli: '0x10' is not a number for jobs");
	/* Numbers take no size suffix. */
	set_fails("max_file_mb", "4K",
		  "cli: '4K' is not a number for max_file_mb");
	set_fails("max_pixels", "99999999999999999999",
		  "cli: '99999999999999999999' is not a number for "
		  "max_pixels");
	set_fails("colour", "yes", "cli: unknown setting 'colour'");
	set_fails("jpeg quality", "80", "cli: unknown setting 'jpeg quality'");
}

static void test_sizes(void **state)
{
	assert_int_equal(set_int("volume_size", "4G"), 4LL << 30);
	assert_int_equal(set_int("volume_size", "4g"), 4LL << 30);
	assert_int_equal(set_int("volume_size", "4GB"), 4LL << 30);
	assert_int_equal(set_int("volume_size", "4gb"), 4LL << 30);
	assert_int_equal(set_int("volume_size", "4GiB"), 4LL << 30);
	assert_int_equal(set_int("volume_size", "700M"), 700LL << 20);
	assert_int_equal(set_int("volume_size", "1M"), 1LL << 20);
	assert_int_equal(set_int("volume_size", "2048K"), 2LL << 20);
	assert_int_equal(set_int("volume_size", "2048k"), 2LL << 20);
	assert_int_equal(set_int("volume_size", "1T"), 1LL << 40);
	assert_int_equal(set_int("volume_size", "4T"), 4LL << 40);
	assert_int_equal(set_int("volume_size", "1048576"), 1048576);
	assert_int_equal(set_int("volume-size", "3000000"), 3000000);

	set_fails("volume_size", "1023K",
		  "cli: volume_size must be from 1048576 to 4398046511104, "
		  "not 1047552");
	set_fails("volume_size", "5T",
		  "cli: volume_size must be from 1048576 to 4398046511104, "
		  "not 5497558138880");
	set_fails("volume_size", "1000",
		  "cli: volume_size must be from 1048576 to 4398046511104, "
		  "not 1000");
	set_fails("volume_size", "4X",
		  "cli: '4X' is not a size for "
		  "volume_size");
	set_fails("volume_size", "4 G",
		  "cli: '4 G' is not a size for "
		  "volume_size");
	set_fails("volume_size", "4GG",
		  "cli: '4GG' is not a size for "
		  "volume_size");
	set_fails("volume_size", "4GBx",
		  "cli: '4GBx' is not a size for "
		  "volume_size");
	set_fails("volume_size", "G",
		  "cli: 'G' is not a size for "
		  "volume_size");
	set_fails("volume_size", "", "cli: '' is not a size for volume_size");
	/* Too large to shift: refused, not wrapped around. */
	set_fails("volume_size", "9999999999T",
		  "cli: '9999999999T' is not a size for volume_size");
	set_fails("volume_size", "9223372036854775807K",
		  "cli: '9223372036854775807K' is not a size for "
		  "volume_size");
}

/* Only K, KB, Ki, KiB (and M, G, T alike) follow a size: "4Gix" is not
 * 4 GiB. */
static void test_size_suffix_junk(void **state)
{
	set_fails("volume_size", "4Gix",
		  "cli: '4Gix' is not a size for volume_size");
	set_fails("volume_size", "4Kix",
		  "cli: '4Kix' is not a size for volume_size");
}

/* A negative size is refused, without undefined behaviour on the way. */
static void test_size_negative(void **state)
{
	set_fails("volume_size", "-1G",
		  "cli: volume_size must be from 1048576 to 4398046511104, "
		  "not -1073741824");
}

static void test_bools(void **state)
{
	static const char *const yes[] = {"yes", "YES", "true", "True",
					  "on",	 "ON",	"1"};
	static const char *const no[] = {"no",	"No",  "false", "FALSE",
					 "off", "Off", "0"};
	kho_config conf;
	init(&conf);
	kho_error err = KHO_ERROR_INIT;
	for (size_t i = 0; i < KHO_ARRAY_SIZE(no); i++) {
		conf.keep_originals = 1;
		assert_int_equal(kho_config_set(&conf, "keep_originals", no[i],
						"cli", &err),
				 KHO_OK);
		assert_int_equal(conf.keep_originals, 0);
	}
	for (size_t i = 0; i < KHO_ARRAY_SIZE(yes); i++) {
		conf.keep_originals = 0;
		assert_int_equal(kho_config_set(&conf, "keep-originals", yes[i],
						"cli", &err),
				 KHO_OK);
		assert_int_equal(conf.keep_originals, 1);
	}
	kho_config_release(&conf);
	set_fails("keep_originals", "maybe",
		  "cli: keep_originals must be yes or no, not 'maybe'");
	set_fails("keep_originals", "",
		  "cli: keep_originals must be yes or no, not ''");
	set_fails("keep_originals", "2",
		  "cli: keep_originals must be yes or no, not '2'");
	set_fails("keep_originals", "yess",
		  "cli: keep_originals must be yes or no, not 'yess'");
	set_fails("keep_originals", "y",
		  "cli: keep_originals must be yes or no, not 'y'");
}

static void test_strings(void **state)
{
	kho_config conf;
	init(&conf);
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(
		kho_config_set(&conf, "publisher", "UBND tỉnh", "cli", &err),
		KHO_OK);
	assert_string_equal(conf.publisher, "UBND tỉnh");
	/* Replacing frees the old value (ASan's leak check sees it). */
	assert_int_equal(kho_config_set(&conf, "publisher", "", "cli", &err),
			 KHO_OK);
	assert_string_equal(conf.publisher, "");
	assert_int_equal(kho_config_set(&conf, "source-organization",
					"Archives", "cli", &err),
			 KHO_OK);
	assert_string_equal(conf.source_organization, "Archives");
	assert_int_equal(
		kho_config_set(&conf, "volume_format", "tar", "cli", &err),
		KHO_OK);
	assert_string_equal(conf.volume_format, "tar");
	assert_int_equal(
		kho_config_set(&conf, "volume_format", "zip", "cli", &err),
		KHO_OK);
	assert_string_equal(conf.volume_format, "zip");
	kho_config_release(&conf);
	set_fails("volume_format", "7z",
		  "cli: volume_format '7z' is not supported (tar or zip)");
	set_fails("volume-format", "TAR",
		  "cli: volume_format 'TAR' is not supported (tar or zip)");
	set_fails("volume_format", "",
		  "cli: volume_format '' is not supported (tar or zip)");
}

/* ---- inbox folders ---- */

static void test_inbox_paths(void **state)
{
	const char *dir = kt_tempdir("config");
	kho_error err = KHO_ERROR_INIT;
	/* The conf file lives in its own folder, the work root. */
	char root[4200], cmd[4300];
	snprintf(root, sizeof(root), "%s/root", dir);
	assert_int_equal(mkdir(root, 0777), 0);
	snprintf(cmd, sizeof(cmd), "%s/kho.conf", root);
	write_text(cmd, "inbox = scans\n"
			"inbox = /srv/scans/desk-1\n"
			"inbox = \"desk 2/new\"\n"
			"inbox =\n"
			"inbox = ../elsewhere\n"
			"[limits]\n"
			"max_pages = 3\n");
	kho_config conf;
	init(&conf);
	if (kho_config_load(&conf, cmd, &err) != KHO_OK)
		fail_msg("load: %s", err.msg);
	assert_int_equal(conf.n_inbox, 4);
	char want[4300];
	snprintf(want, sizeof(want), "%s/scans", root);
	assert_string_equal(conf.inbox[0], want);
	assert_string_equal(conf.inbox[1], "/srv/scans/desk-1");
	snprintf(want, sizeof(want), "%s/desk 2/new", root);
	assert_string_equal(conf.inbox[2], want);
	snprintf(want, sizeof(want), "%s/../elsewhere", root);
	assert_string_equal(conf.inbox[3], want);
	assert_int_equal(conf.max_pages, 3);

	/* Loading again adds the folders again: the key accumulates. */
	if (kho_config_load(&conf, cmd, &err) != KHO_OK)
		fail_msg("load: %s", err.msg);
	assert_int_equal(conf.n_inbox, 8);
	assert_string_equal(conf.inbox[5], "/srv/scans/desk-1");

	/* The command line adds to the list too; empty adds nothing. */
	assert_int_equal(kho_config_set(&conf, "inbox", "/a", "cli", &err),
			 KHO_OK);
	assert_int_equal(kho_config_set(&conf, "inbox", "", "cli", &err),
			 KHO_OK);
	assert_int_equal(conf.n_inbox, 9);
	assert_string_equal(conf.inbox[8], "/a");
	kho_config_release(&conf);
	assert_int_equal(conf.n_inbox, 0);
	kt_rmtree(dir);
}

static void test_inbox_limit(void **state)
{
	const char *dir = kt_tempdir("config");
	char text[2048] = "";
	size_t n = 0;
	for (int i = 0; i < KHO_CONFIG_MAX_INBOX + 1; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "inbox = /scans/%d\n", i);
	kho_config conf;
	init(&conf);
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(load_text(&conf, dir, text, &err), KHO_USAGE);
	char want[4200];
	snprintf(want, sizeof(want),
		 "%s/kho.conf:%d: more than %d inbox folders", dir,
		 KHO_CONFIG_MAX_INBOX + 1, KHO_CONFIG_MAX_INBOX);
	assert_string_equal(err.msg, want);
	assert_int_equal(conf.n_inbox, KHO_CONFIG_MAX_INBOX);
	assert_string_equal(conf.inbox[KHO_CONFIG_MAX_INBOX - 1], "/scans/15");
	kho_config_release(&conf);
	kt_rmtree(dir);
}

/* ---- the default file ---- */

static void test_write_default_loads_back(void **state)
{
	const char *dir = kt_tempdir("config");
	const char *path = path_in(dir, "kho.conf");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(kho_config_write_default(f), KHO_OK);
	assert_int_equal(fclose(f), 0);

	size_t size = 0;
	char *text = (char *)kt_read_file(path, &size);
	assert_non_null(text);
	text = realloc(text, size + 1);
	text[size] = '\0';
	size_t n = 0;
	const kho_config_key *keys = kho_config_keys(&n);
	for (size_t i = 0; i < n; i++) {
		char want[512];
		if (keys[i].type == KHO_CONF_PATHS)
			snprintf(want, sizeof(want), "\n#%s = ", keys[i].name);
		else
			snprintf(want, sizeof(want), "\n%s = %s\n",
				 keys[i].name, keys[i].fallback);
		if (!strstr(text, want))
			fail_msg("no line '%s' in the default file", want + 1);
		snprintf(want, sizeof(want), "\n[%s]\n", keys[i].section);
		assert_non_null(strstr(text, want));
		snprintf(want, sizeof(want), "# %s\n", keys[i].help);
		assert_non_null(strstr(text, want));
	}
	free(text);

	/* Read back over values that all differ from the defaults. */
	kho_config conf;
	init(&conf);
	kho_error err = KHO_ERROR_INIT;
	static const char *const other[][2] = {
		{"jobs", "3"},
		{"batch", "b"},
		{"desk", "d"},
		{"max_pixels", "5"},
		{"max_pages", "6"},
		{"max_file_mb", "7"},
		{"max_alloc_mb", "17"},
		{"page_timeout", "8"},
		{"target_dpi", "600"},
		{"min_dpi", "100"},
		{"jpeg_quality", "50"},
		{"publisher", "p"},
		{"volume_size", "1G"},
		{"source_organization", "o"},
		{"keep_originals", "no"},
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(other); i++)
		assert_int_equal(kho_config_set(&conf, other[i][0], other[i][1],
						"cli", &err),
				 KHO_OK);
	if (kho_config_load(&conf, path, &err) != KHO_OK)
		fail_msg("load: %s", err.msg);
	assert_defaults(&conf);
	kho_config_release(&conf);
	kt_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_key_table),
		cmocka_unit_test(test_load_full),
		cmocka_unit_test(test_load_over_present_values),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_numbers_and_ranges),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_size_suffix_junk),
		cmocka_unit_test(test_size_negative),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_inbox_paths),
		cmocka_unit_test(test_inbox_limit),
		cmocka_unit_test(test_write_default_loads_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
