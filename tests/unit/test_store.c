/*
 * The content-addressed store and the file-system helpers under it:
 * objects put, named, read back and checked; identical content kept once;
 * files written through a temporary file that never stays behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/internal.h"
#include "common/fsutil.h"
#include "common/hash.h"
#include "store/store.h"
#include "testutil.h"

/* SHA-256 of "hello" and of nothing. */
#define SHA_HELLO                                                              \
	"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define SHA_EMPTY                                                              \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- helpers ---- */

static char *path_in(const char *dir, const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* Entries of a directory other than . and ..; -1 when it cannot be
 * read.  prefix, when not NULL, counts only names that start with it. */
static int count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (!prefix || strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* The store's temporary files, recursively: none must be left anywhere. */
static int count_tmp_files(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char sub[4200];
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_tmp_files(sub);
		else if (strncmp(e->d_name, ".tmp-", 5) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void open_store(kho_store *store, const char *dir)
{
	kho_error err = KHO_ERROR_INIT;
	if (kho_store_init(store, path_in(dir, "store"), &err) != KHO_OK)
		fail_msg("store init: %s", err.msg);
}

static void put(const kho_store *store, const void *data, size_t len,
		char sha[KHO_SHA256_HEX])
{
	kho_sha256_hex(data, len, sha);
	kho_error err = KHO_ERROR_INIT;
	if (kho_store_put(store, data, len, sha, &err) != KHO_OK)
		fail_msg("put: %s", err.msg);
}

static void assert_file_is(const char *path, const void *data, size_t len)
{
	size_t size = 0;
	uint8_t *got = kt_read_file(path, &size);
	assert_non_null(got);
	assert_int_equal(size, len);
	if (len)
		assert_memory_equal(got, data, len);
	free(got);
}

/* ---- the store ---- */

static void test_init(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_store store;
	kho_error err = KHO_ERROR_INIT;
	char root[4200];
	snprintf(root, sizeof(root), "%s/a/b/store", dir);
	assert_int_equal(kho_store_init(&store, root, &err), KHO_OK);
	assert_string_equal(store.dir, root);
	struct stat st;
	assert_int_equal(stat(path_in(root, "tmp"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Again over an existing store. */
	assert_int_equal(kho_store_init(&store, root, &err), KHO_OK);

	/* A file where the store should be. */
	const char *file = path_in(dir, "file");
	assert_int_equal(kt_write_file(file, "x", 1), 0);
	char under[4200];
	snprintf(under, sizeof(under), "%s/store", file);
	assert_int_equal(kho_store_init(&store, under, &err), KHO_FAIL);
	assert_non_null(strstr(err.msg, "cannot make directory"));
	assert_non_null(strstr(err.msg, "Not a directory"));
	kt_rmtree(dir);
}

static void test_put_path_read(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_store store;
	open_store(&store, dir);
	kho_error err = KHO_ERROR_INIT;
	char sha[KHO_SHA256_HEX];
	put(&store, "hello", 5, sha);
	assert_string_equal(sha, SHA_HELLO);

	char path[4300], want[4300];
	assert_int_equal(kho_store_path(&store, sha, path, sizeof(path), &err),
			 KHO_OK);
	snprintf(want, sizeof(want), "%s/store/2c/%s", dir, SHA_HELLO);
	assert_string_equal(path, want);
	assert_file_is(path, "hello", 5);

	kho_file_map map = KHO_FILE_MAP_INIT;
	assert_int_equal(kho_store_map(&store, sha, 1000, &map, &err),
			 KHO_OK);
	assert_int_equal(map.size, 5);
	assert_memory_equal(map.data, "hello", 5);
	kho_file_map_release(&map);
	assert_int_equal(kho_store_verify(&store, sha, &err), KHO_OK);

	/* Empty content is content too. */
	put(&store, "", 0, sha);
	assert_string_equal(sha, SHA_EMPTY);
	assert_int_equal(kho_store_map(&store, sha, 0, &map, &err),
			 KHO_OK);
	assert_int_equal(map.size, 0);
	assert_non_null(map.data);
	kho_file_map_release(&map);

	/* Binary content with NUL bytes, larger than one read. */
	const size_t n = 300000;
	uint8_t *big = malloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 31 + i / 977);
	put(&store, big, n, sha);
	assert_int_equal(kho_store_map(&store, sha, n, &map, &err),
			 KHO_OK);
	assert_int_equal(map.size, n);
	assert_memory_equal(map.data, big, n);
	kho_file_map_release(&map);
	free(big);
	assert_int_equal(count_tmp_files(store.dir), 0);
	assert_int_equal(count_entries(path_in(store.dir, "tmp"), NULL), 0);
	kt_rmtree(dir);
}

/* In a debug build kho_store_put() stops on a name that is not the
 * bytes' SHA-256 (store.h). */
static void test_put_checks_the_name(void **state)
{
#ifdef NDEBUG
	skip(); /* the check is promised for debug builds only */
#else
	const char *dir = kt_tempdir("store");
	kho_store store;
	open_store(&store, dir);
	fflush(NULL);
	const pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		kho_error err = KHO_ERROR_INIT;
		(void)kho_store_put(&store, "hello", 5, SHA_EMPTY, &err);
		_exit(0);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	kt_rmtree(dir);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
#endif
}

static void test_bad_names(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_store store;
	open_store(&store, dir);
	kho_error err = KHO_ERROR_INIT;
	char path[4300];
	static const char *const bad[] = {
		"",
		"..",
		"../../etc/passwd",
		"2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B98"
		"24",
		"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98"
		"2",
		"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98"
		"244",
		"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98"
		"2g",
		"2c/"
		"24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(bad); i++) {
		assert_int_equal(kho_store_path(&store, bad[i], path,
						sizeof(path), &err),
				 KHO_FAIL);
		char want[200];
		snprintf(want, sizeof(want), "bad store name '%.80s'", bad[i]);
		assert_string_equal(err.msg, want);
		assert_int_equal(kho_store_put(&store, "x", 1, bad[i], &err),
				 KHO_FAIL);
		kho_file_map map = KHO_FILE_MAP_INIT;
		assert_int_equal(
			kho_store_map(&store, bad[i], 100, &map, &err),
			KHO_FAIL);
		assert_int_equal(kho_store_verify(&store, bad[i], &err),
				 KHO_FAIL);
	}
	/* Nothing was written. */
	assert_int_equal(count_entries(store.dir, NULL), 1);
	kt_rmtree(dir);
}

static void test_same_content_once(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_store store;
	open_store(&store, dir);
	kho_error err = KHO_ERROR_INIT;
	char sha[KHO_SHA256_HEX], sha2[KHO_SHA256_HEX];
	put(&store, "hello", 5, sha);
	put(&store, "hello", 5, sha2);
	assert_string_equal(sha, sha2);

	/* And through a stream. */
	kho_store_file f;
	assert_int_equal(kho_store_create(&store, "page", &f, &err), KHO_OK);
	fputs("hel", f.stream);
	fputs("lo", f.stream);
	uint64_t size = 0;
	assert_int_equal(kho_store_commit(&store, &f, sha2, &size, &err),
			 KHO_OK);
	assert_string_equal(sha2, SHA_HELLO);
	assert_int_equal(size, 5);

	/* One directory, one file, nothing left in tmp. */
	assert_int_equal(count_entries(store.dir, NULL), 2); /* 2c, tmp */
	assert_int_equal(count_entries(path_in(store.dir, "2c"), NULL), 1);
	assert_int_equal(count_entries(path_in(store.dir, "tmp"), NULL), 0);

	put(&store, "hello!", 6, sha);
	assert_int_equal(count_entries(store.dir, NULL), 3);
	kt_rmtree(dir);
}

static void test_create_commit(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_store store;
	open_store(&store, dir);
	kho_error err = KHO_ERROR_INIT;
	kho_store_file f;
	assert_int_equal(kho_store_create(&store, "pdf", &f, &err), KHO_OK);
	assert_non_null(f.stream);
	/* The temporary file is in store/tmp, named after the tag. */
	char prefix[4300];
	snprintf(prefix, sizeof(prefix), "%s/tmp/.tmp-pdf-", store.dir);
	assert_memory_equal(f.tmp, prefix, strlen(prefix));
	assert_true(kho_exists(f.tmp));

	const size_t n = 200000;
	uint8_t *bytes = malloc(n);
	for (size_t i = 0; i < n; i++)
		bytes[i] = (uint8_t)(i ^ (i >> 8));
	assert_int_equal(fwrite(bytes, 1, n, f.stream), n);
	char tmp[sizeof(f.tmp)];
	memcpy(tmp, f.tmp, sizeof(tmp));

	char sha[KHO_SHA256_HEX] = "";
	uint64_t size = 0;
	assert_int_equal(kho_store_commit(&store, &f, sha, &size, &err),
			 KHO_OK);
	char want[KHO_SHA256_HEX];
	kho_sha256_hex(bytes, n, want);
	assert_string_equal(sha, want);
	assert_int_equal(size, n);
	assert_false(kho_exists(tmp));
	assert_int_equal(count_tmp_files(store.dir), 0);
	assert_null(f.stream);
	assert_int_equal(f.fd, -1);

	char path[4300];
	assert_int_equal(kho_store_path(&store, sha, path, sizeof(path), &err),
			 KHO_OK);
	assert_file_is(path, bytes, n);
	assert_int_equal(kho_store_verify(&store, sha, &err), KHO_OK);
	free(bytes);

	/* Nothing written at all is the empty object. */
	assert_int_equal(kho_store_create(&store, "e", &f, &err), KHO_OK);
	assert_int_equal(kho_store_commit(&store, &f, sha, &size, &err),
			 KHO_OK);
	assert_string_equal(sha, SHA_EMPTY);
	assert_int_equal(size, 0);
	assert_int_equal(count_tmp_files(store.dir), 0);
	kt_rmtree(dir);
}

static void test_abandon(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_store store;
	open_store(&store, dir);
	kho_error err = KHO_ERROR_INIT;
	kho_store_file f;
	assert_int_equal(kho_store_create(&store, "jpeg", &f, &err), KHO_OK);
	fputs("half a page", f.stream);
	char tmp[sizeof(f.tmp)];
	memcpy(tmp, f.tmp, sizeof(tmp));
	assert_true(kho_exists(tmp));
	kho_store_abandon(&f);
	assert_false(kho_exists(tmp));
	assert_null(f.stream);
	assert_int_equal(f.fd, -1);
	/* Twice is harmless. */
	kho_store_abandon(&f);
	assert_int_equal(count_entries(path_in(store.dir, "tmp"), NULL), 0);
	assert_int_equal(count_entries(store.dir, NULL), 1);
	kt_rmtree(dir);
}

static void test_read_damaged(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_store store;
	open_store(&store, dir);
	kho_error err = KHO_ERROR_INIT;
	char sha[KHO_SHA256_HEX];
	put(&store, "hello", 5, sha);
	char path[4300];
	assert_int_equal(kho_store_path(&store, sha, path, sizeof(path), &err),
			 KHO_OK);
	/* Objects may be read-only. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(kt_write_file(path, "jello", 5), 0);
	char altered[KHO_SHA256_HEX];
	kho_sha256_hex("jello", 5, altered);

	kho_file_map map = KHO_FILE_MAP_INIT;
	assert_int_equal(kho_store_map(&store, sha, 100, &map, &err),
			 KHO_FAIL);
	assert_null(map.data);
	char want[4600];
	snprintf(want, sizeof(want),
		 "store object '%s' is damaged: its bytes hash to %s", path,
		 altered);
	assert_string_equal(err.msg, want);

	assert_int_equal(kho_store_verify(&store, sha, &err), KHO_FAIL);
	snprintf(want, sizeof(want),
		 "store object '%s' is altered: it hashes to %s", path,
		 altered);
	assert_string_equal(err.msg, want);

	/* A cut object too. */
	assert_int_equal(kt_write_file(path, "hell", 4), 0);
	assert_int_equal(kho_store_map(&store, sha, 100, &map, &err),
			 KHO_FAIL);
	assert_non_null(strstr(err.msg, "is damaged"));
	kt_rmtree(dir);
}

static void test_read_missing_and_limit(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_store store;
	open_store(&store, dir);
	kho_error err = KHO_ERROR_INIT;
	kho_file_map map = KHO_FILE_MAP_INIT;
	char path[4300], want[4600];
	assert_int_equal(
		kho_store_path(&store, SHA_HELLO, path, sizeof(path), &err),
		KHO_OK);
	assert_int_equal(
		kho_store_map(&store, SHA_HELLO, 100, &map, &err),
		KHO_FAIL);
	snprintf(want, sizeof(want),
		 "cannot open '%s': No such file or directory", path);
	assert_string_equal(err.msg, want);
	assert_null(map.data);
	assert_int_equal(kho_store_verify(&store, SHA_HELLO, &err), KHO_FAIL);

	char sha[KHO_SHA256_HEX];
	put(&store, "hello", 5, sha);
	assert_int_equal(kho_store_map(&store, sha, 4, &map, &err),
			 KHO_FAIL);
	snprintf(want, sizeof(want),
		 "'%s' is too large: 5 bytes, the limit is 4 (max_file_mb)",
		 path);
	assert_string_equal(err.msg, want);
	assert_null(map.data);
	/* Exactly at the limit is fine. */
	assert_int_equal(kho_store_map(&store, sha, 5, &map, &err),
			 KHO_OK);
	kho_file_map_release(&map);
	kt_rmtree(dir);
}

static void test_clean(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_store store;
	open_store(&store, dir);
	kho_error err = KHO_ERROR_INIT;
	/* What an interrupted run leaves: temporary files in tmp. */
	const char *tmpdir = path_in(store.dir, "tmp");
	char tmpd[4200];
	snprintf(tmpd, sizeof(tmpd), "%s", tmpdir);
	static const char *const left[] = {".tmp-put-AbC123", ".tmp-pdf-xyz000",
					   ".tmp-jpeg-QQQQQQ"};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(left); i++)
		assert_int_equal(kt_write_file(path_in(tmpd, left[i]), "x", 1),
				 0);
	/* One still open: its descriptor does not stop the removal. */
	kho_store_file f;
	assert_int_equal(kho_store_create(&store, "open", &f, &err), KHO_OK);
	assert_int_equal(kt_write_file(path_in(tmpd, "keep.txt"), "k", 1), 0);
	char sha[KHO_SHA256_HEX];
	put(&store, "hello", 5, sha);

	int count = -1;
	assert_int_equal(kho_store_clean(&store, &count, &err), KHO_OK);
	assert_int_equal(count, 4);
	assert_int_equal(count_entries(tmpd, NULL), 1);
	assert_int_equal(count_entries(tmpd, "keep.txt"), 1);
	assert_false(kho_exists(f.tmp));
	kho_store_abandon(&f);
	/* Stored objects stay. */
	assert_int_equal(kho_store_verify(&store, sha, &err), KHO_OK);

	assert_int_equal(kho_store_clean(&store, &count, &err), KHO_OK);
	assert_int_equal(count, 0);

	/* No tmp folder at all: nothing to clean. */
	remove(path_in(tmpd, "keep.txt"));
	assert_int_equal(rmdir(tmpd), 0);
	count = -1;
	assert_int_equal(kho_store_clean(&store, &count, &err), KHO_OK);
	assert_int_equal(count, 0);
	kt_rmtree(dir);
}

/* ---- file-system helpers ---- */

static void test_write_file_atomic(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_error err = KHO_ERROR_INIT;
	char dest[4200];
	snprintf(dest, sizeof(dest), "%s/manifest.txt", dir);
	assert_int_equal(kho_write_file_atomic(dest, "first", 5, &err), KHO_OK);
	assert_file_is(dest, "first", 5);
	/* Replaced whole. */
	assert_int_equal(kho_write_file_atomic(dest, "2nd", 3, &err), KHO_OK);
	assert_file_is(dest, "2nd", 3);
	assert_int_equal(kho_write_file_atomic(dest, "", 0, &err), KHO_OK);
	assert_file_is(dest, "", 0);
	assert_int_equal(count_entries(dir, ".tmp-"), 0);
	assert_int_equal(count_entries(dir, NULL), 1);

	/* Into a folder that is not there. */
	char missing[4200];
	snprintf(missing, sizeof(missing), "%s/no/such/file", dir);
	assert_int_equal(kho_write_file_atomic(missing, "x", 1, &err),
			 KHO_FAIL);
	char want[4400];
	snprintf(want, sizeof(want),
		 "cannot create a file in '%s/no/such': No such file or "
		 "directory",
		 dir);
	assert_string_equal(err.msg, want);
	assert_int_equal(count_entries(dir, NULL), 1);
	kt_rmtree(dir);
}

static void test_mkdir_p(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_error err = KHO_ERROR_INIT;
	char path[4200];
	snprintf(path, sizeof(path), "%s/a/b/c/d", dir);
	assert_int_equal(kho_mkdir_p(path, &err), KHO_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Existing folders are fine, with or without a trailing slash. */
	assert_int_equal(kho_mkdir_p(path, &err), KHO_OK);
	snprintf(path, sizeof(path), "%s/a/b/", dir);
	assert_int_equal(kho_mkdir_p(path, &err), KHO_OK);
	snprintf(path, sizeof(path), "%s//a//e", dir);
	assert_int_equal(kho_mkdir_p(path, &err), KHO_OK);
	assert_int_equal(stat(path_in(dir, "a/e"), &st), 0);

	/* A file in the way. */
	const char *file = path_in(dir, "a/file");
	char filepath[4200];
	snprintf(filepath, sizeof(filepath), "%s", file);
	assert_int_equal(kt_write_file(filepath, "x", 1), 0);
	assert_int_equal(kho_mkdir_p(filepath, &err), KHO_FAIL);
	char want[4400];
	snprintf(want, sizeof(want), "'%s' is not a directory", filepath);
	assert_string_equal(err.msg, want);
	snprintf(path, sizeof(path), "%s/x/y", filepath);
	assert_int_equal(kho_mkdir_p(path, &err), KHO_FAIL);
	snprintf(want, sizeof(want),
		 "cannot make directory '%s/x': Not a directory", filepath);
	assert_string_equal(err.msg, want);

	assert_int_equal(kho_mkdir_p("", &err), KHO_FAIL);
	assert_string_equal(err.msg, "bad directory path ''");
	kt_rmtree(dir);
}

static void test_read_file(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_error err = KHO_ERROR_INIT;
	char path[4200], want[4400];
	snprintf(path, sizeof(path), "%s/scan.tif", dir);
	assert_int_equal(kt_write_file(path, "0123456789", 10), 0);
	uint8_t *data = (uint8_t *)1;
	size_t size = 99;
	assert_int_equal(kho_read_file(path, 10, &data, &size, &err), KHO_OK);
	assert_int_equal(size, 10);
	assert_memory_equal(data, "0123456789", 10);
	free(data);

	assert_int_equal(kho_read_file(path, 9, &data, &size, &err), KHO_FAIL);
	assert_null(data);
	assert_int_equal(size, 0);
	assert_non_null(strstr(err.msg, "too large"));
	snprintf(want, sizeof(want),
		 "'%s' is too large: 10 bytes, the limit is 9 (max_file_mb)",
		 path);
	assert_string_equal(err.msg, want);

	/* Empty files read as nothing, with a buffer to free. */
	snprintf(path, sizeof(path), "%s/empty", dir);
	assert_int_equal(kt_write_file(path, "", 0), 0);
	assert_int_equal(kho_read_file(path, 0, &data, &size, &err), KHO_OK);
	assert_int_equal(size, 0);
	assert_non_null(data);
	free(data);

	/* Not a regular file. */
	assert_int_equal(kho_read_file(dir, 1000, &data, &size, &err),
			 KHO_FAIL);
	snprintf(want, sizeof(want), "'%s' is not a regular file", dir);
	assert_string_equal(err.msg, want);

	/* Symbolic links are not followed. */
	char link[4200];
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(kho_read_file(link, 1000, &data, &size, &err),
			 KHO_FAIL);
	assert_non_null(strstr(err.msg, "cannot open"));
	assert_null(data);

	snprintf(path, sizeof(path), "%s/absent", dir);
	assert_int_equal(kho_read_file(path, 1000, &data, &size, &err),
			 KHO_FAIL);
	snprintf(want, sizeof(want),
		 "cannot open '%s': No such file or directory", path);
	assert_string_equal(err.msg, want);
	kt_rmtree(dir);
}

static void test_small_helpers(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_error err = KHO_ERROR_INIT;
	char out[16];
	assert_int_equal(
		kho_path_join(out, sizeof(out), &err, "%s/%s", "ab", "cd"),
		KHO_OK);
	assert_string_equal(out, "ab/cd");
	assert_int_equal(kho_path_join(out, sizeof(out), &err, "%s/%s",
				       "abcdefgh", "ijklmnop"),
			 KHO_FAIL);
	assert_non_null(strstr(err.msg, "path too long"));

	char tmp[4300];
	int fd = -1;
	assert_int_equal(kho_tmpfile(dir, "tag", tmp, sizeof(tmp), &fd, &err),
			 KHO_OK);
	assert_true(fd >= 0);
	char prefix[4300];
	snprintf(prefix, sizeof(prefix), "%s/.tmp-tag-", dir);
	assert_int_equal(strlen(tmp), strlen(prefix) + 6);
	assert_memory_equal(tmp, prefix, strlen(prefix));
	assert_int_equal(kho_write_all(fd, "abc", 3, tmp, &err), KHO_OK);
	char dest[4300];
	snprintf(dest, sizeof(dest), "%s/done", dir);
	assert_int_equal(kho_commit_tmpfile(fd, tmp, dest, &err), KHO_OK);
	assert_false(kho_exists(tmp));
	assert_file_is(dest, "abc", 3);

	assert_true(kho_exists(dir));
	assert_true(kho_exists(dest));
	assert_false(kho_exists(path_in(dir, "absent")));
	char link[4300];
	snprintf(link, sizeof(link), "%s/dangling", dir);
	assert_int_equal(symlink("/nonexistent/kho", link), 0);
	assert_true(kho_exists(link));

	errno = ENOSPC;
	assert_int_equal(kho_error_errno(&err, KHO_FAIL, "write", "/x"),
			 KHO_FATAL);
	assert_string_equal(err.msg, "cannot write '/x': No space left on "
				     "device");
	errno = EACCES;
	assert_int_equal(kho_error_errno(&err, KHO_FAIL, "open", "/y"),
			 KHO_FAIL);
	assert_string_equal(err.msg, "cannot open '/y': Permission denied");
	kt_rmtree(dir);
}

/* A mapped file reads as its bytes, before and after its pages are let
 * go of, whatever the range (unaligned, past the end, empty). */
static void test_file_map(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_error err = KHO_ERROR_INIT;
	const size_t n = 3 * 4096 + 1234;
	uint8_t *bytes = malloc(n);
	for (size_t i = 0; i < n; i++)
		bytes[i] = (uint8_t)(i * 7 + i / 4096);
	char path[4200];
	snprintf(path, sizeof(path), "%s/scan.tif", dir);
	assert_int_equal(kt_write_file(path, bytes, n), 0);

	kho_file_map map = KHO_FILE_MAP_INIT;
	assert_int_equal(kho_file_map_open(path, n, &map, &err), KHO_OK);
	assert_int_equal(map.size, n);
	assert_memory_equal(map.data, bytes, n);
	const size_t ranges[][2] = {
		{0, n}, {100, 5000}, {4096, 4096}, {n - 10, 100}, {n, 1},
		{0, 0}, {5000, SIZE_MAX},
	};
	for (size_t i = 0; i < KHO_ARRAY_SIZE(ranges); i++) {
		kho_file_map_drop(&map, ranges[i][0], ranges[i][1]);
		assert_memory_equal(map.data, bytes, n);
	}
	kho_file_map_release(&map);
	assert_null(map.data);
	assert_int_equal(map.size, 0);

	/* One byte over the limit; a folder; a symbolic link. */
	assert_int_equal(kho_file_map_open(path, n - 1, &map, &err), KHO_FAIL);
	assert_non_null(strstr(err.msg, "is too large"));
	assert_int_equal(kho_file_map_open(dir, n, &map, &err), KHO_FAIL);
	assert_non_null(strstr(err.msg, "is not a regular file"));
	char link[4300];
	snprintf(link, sizeof(link), "%s/link.tif", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(kho_file_map_open(link, n, &map, &err), KHO_FAIL);
	assert_null(map.data);

	/* An empty file maps as no bytes, with a pointer. */
	snprintf(path, sizeof(path), "%s/empty", dir);
	assert_int_equal(kt_write_file(path, "", 0), 0);
	assert_int_equal(kho_file_map_open(path, 0, &map, &err), KHO_OK);
	assert_non_null(map.data);
	assert_int_equal(map.size, 0);
	kho_file_map_drop(&map, 0, 1);
	kho_file_map_release(&map);
	free(bytes);
	kt_rmtree(dir);
}

/* A file whose bytes the writer hashed goes in under that name; the
 * same content again leaves one object and no temporary file. */
static void test_commit_hashed(void **state)
{
	const char *dir = kt_tempdir("store");
	kho_store store;
	open_store(&store, dir);
	kho_error err = KHO_ERROR_INIT;
	for (int round = 0; round < 2; round++) {
		kho_store_file f;
		assert_int_equal(kho_store_create(&store, "orig", &f, &err),
				 KHO_OK);
		fputs("hello", f.stream);
		assert_int_equal(
			kho_store_commit_hashed(&store, &f, SHA_HELLO, &err),
			KHO_OK);
		assert_int_equal(f.fd, -1);
		assert_null(f.stream);
	}
	char path[4300];
	assert_int_equal(kho_store_path(&store, SHA_HELLO, path, sizeof(path),
					&err),
			 KHO_OK);
	assert_file_is(path, "hello", 5);
	assert_int_equal(count_entries(path_in(store.dir, "2c"), NULL), 1);
	assert_int_equal(count_entries(path_in(store.dir, "tmp"), NULL), 0);
	assert_int_equal(kho_store_verify(&store, SHA_HELLO, &err), KHO_OK);

	/* Unnamed (O_TMPFILE where the file system has it): abandoned, it
	 * leaves nothing; committed, it is the object; committed again, the
	 * object stays one. */
	kho_store_file f;
	assert_int_equal(kho_store_create_unnamed(&store, "orig", &f, &err),
			 KHO_OK);
	fputs("jello", f.stream);
	assert_int_equal(fflush(f.stream), 0);
	if (f.unnamed)
		assert_int_equal(count_entries(path_in(store.dir, "tmp"), NULL),
				 0);
	kho_store_abandon(&f);
	assert_int_equal(count_entries(path_in(store.dir, "tmp"), NULL), 0);
	char jello[KHO_SHA256_HEX];
	kho_sha256_hex("jello", 5, jello);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(
			kho_store_create_unnamed(&store, "orig", &f, &err),
			KHO_OK);
		fputs("jello", f.stream);
		assert_int_equal(
			kho_store_commit_hashed(&store, &f, jello, &err),
			KHO_OK);
	}
	assert_int_equal(kho_store_path(&store, jello, path, sizeof(path),
					&err),
			 KHO_OK);
	assert_file_is(path, "jello", 5);
	assert_int_equal(kho_store_verify(&store, jello, &err), KHO_OK);
	assert_int_equal(count_entries(path_in(store.dir, "tmp"), NULL), 0);
	kt_rmtree(dir);
}

/* An error message may be built from the one it replaces. */
static void test_error_from_itself(void **state)
{
	kho_error err = KHO_ERROR_INIT;
	kho_error_set(&err, KHO_FAIL, "unsupported TIFF: %d-bit samples", 64);
	assert_int_equal(kho_error_set(&err, KHO_FATAL, "cannot read '%s': %s",
				       "scan.tif", err.msg),
			 KHO_FATAL);
	assert_string_equal(err.msg,
			    "cannot read 'scan.tif': unsupported TIFF: 64-bit "
			    "samples");
	kho_error_set(&err, KHO_FAIL, "%s, %s", err.msg, err.msg);
	assert_int_equal(strncmp(err.msg, "cannot read 'scan.tif': unsup", 29),
			 0);
	assert_non_null(strstr(err.msg, "samples, cannot read"));
	/* Cut, never overrun, when it grows past the buffer. */
	for (int i = 0; i < 8; i++)
		kho_error_set(&err, KHO_FAIL, "%s %s", err.msg, err.msg);
	assert_int_equal(strlen(err.msg), KHO_ERROR_MSG_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_put_path_read),
		cmocka_unit_test(test_put_checks_the_name),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_same_content_once),
		cmocka_unit_test(test_create_commit),
		cmocka_unit_test(test_abandon),
		cmocka_unit_test(test_read_damaged),
		cmocka_unit_test(test_read_missing_and_limit),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_write_file_atomic),
		cmocka_unit_test(test_mkdir_p),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_file_map),
		cmocka_unit_test(test_commit_hashed),
		cmocka_unit_test(test_small_helpers),
		cmocka_unit_test(test_error_from_itself),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
