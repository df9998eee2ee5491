#include "store/store.h"
#include "common/fsutil.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kho_store_init(kho_store *store, const char *dir, kho_error *err)
{
	int rc = kho_path_join(store->dir, sizeof(store->dir), err, "%s", dir);
	if (rc)
		return rc;
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	return kho_mkdir_p(tmp, err);
}

static int valid_sha(const char *sha)
{
	size_t n = 0;
	for (; sha[n]; n++)
		if (!((sha[n] >= '0' && sha[n] <= '9') ||
		      (sha[n] >= 'a' && sha[n] <= 'f')))
			return 0;
	return n == 64;
}

int kho_store_path(const kho_store *store, const char *sha256, char *path,
		   size_t cap, kho_error *err)
{
	if (!valid_sha(sha256))
		return kho_error_set(err, KHO_FAIL, "bad store name '%.80s'",
				     sha256);
	return kho_path_join(path, cap, err, "%s/%.2s/%s", store->dir, sha256,
			     sha256);
}

static int place(const kho_store *store, int fd, const char *tmp,
		 const char *sha256, kho_error *err)
{
	char dest[4200], dir[4200];
	int rc = kho_store_path(store, sha256, dest, sizeof(dest), err);
	if (rc == KHO_OK)
		rc = kho_path_join(dir, sizeof(dir), err, "%s/%.2s",
				   store->dir, sha256);
	if (rc == KHO_OK)
		rc = kho_mkdir_p(dir, err);
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	if (kho_exists(dest)) {
		/* Same name, same bytes: kept once. */
		close(fd);
		unlink(tmp);
		return KHO_OK;
	}
	return kho_commit_tmpfile(fd, tmp, dest, err);
}

int kho_store_put(const kho_store *store, const void *data, size_t len,
		  const char *sha256, kho_error *err)
{
	char dest[4200];
	int rc = kho_store_path(store, sha256, dest, sizeof(dest), err);
	if (rc)
		return rc;
#ifndef NDEBUG
	char check[KHO_SHA256_HEX];
	kho_sha256_hex(data, len, check);
	assert(strcmp(check, sha256) == 0 && "store name is not the bytes' hash");
#endif
	if (kho_exists(dest))
		return KHO_OK;
	char tmpdir[4200], tmp[4300];
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", store->dir);
	int fd;
	rc = kho_tmpfile(tmpdir, "put", tmp, sizeof(tmp), &fd, err);
	if (rc)
		return rc;
	rc = kho_write_all(fd, data, len, tmp, err);
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	return place(store, fd, tmp, sha256, err);
}

/* The file's stream, on a descriptor of its own so that fclose() leaves
 * fd open for fsync and the rename or link; on failure fd is closed. */
static int open_stream(kho_store_file *file, kho_error *err)
{
	const int dup_fd = dup(file->fd);
	file->stream = dup_fd >= 0 ? fdopen(dup_fd, "wb") : NULL;
	if (file->stream)
		return KHO_OK;
	if (dup_fd >= 0)
		close(dup_fd);
	const int rc = kho_error_errno(err, KHO_FATAL, "open", file->tmp);
	close(file->fd);
	file->fd = -1;
	return rc;
}

int kho_store_create(const kho_store *store, const char *tag,
		     kho_store_file *file, kho_error *err)
{
	memset(file, 0, sizeof(*file));
	file->fd = -1;
	char tmpdir[4200];
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", store->dir);
	int rc = kho_tmpfile(tmpdir, tag, file->tmp, sizeof(file->tmp),
			     &file->fd, err);
	if (rc)
		return rc;
	rc = open_stream(file, err);
	if (rc)
		unlink(file->tmp);
	return rc;
}

int kho_store_create_unnamed(const kho_store *store, const char *tag,
			     kho_store_file *file, kho_error *err)
{
	memset(file, 0, sizeof(*file));
	file->fd = -1;
	char tmpdir[4200];
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", store->dir);
	const int fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
			return kho_store_create(store, tag, file, err);
		return kho_error_errno(err, KHO_FATAL, "create a file in",
				       tmpdir);
	}
	snprintf(file->tmp, sizeof(file->tmp), "%s (an unnamed %s file)",
		 tmpdir, tag);
	file->fd = fd;
	file->unnamed = 1;
	return open_stream(file, err);
}

/* An unnamed file takes the object's name directly, once its bytes are
 * on disk: before that there is nothing under any name. */
static int place_unnamed(const kho_store *store, int fd, const char *sha256,
			 kho_error *err)
{
	char dest[4200], dir[4200], self[64];
	int rc = kho_store_path(store, sha256, dest, sizeof(dest), err);
	if (rc == KHO_OK)
		rc = kho_path_join(dir, sizeof(dir), err, "%s/%.2s",
				   store->dir, sha256);
	if (rc == KHO_OK)
		rc = kho_mkdir_p(dir, err);
	if (rc == KHO_OK && !kho_exists(dest)) {
		if (fsync(fd) != 0) {
			rc = kho_error_errno(err, KHO_FATAL, "sync", dest);
		} else {
			snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
			/* the same bytes already there (another worker) are
			 * as good */
			if (linkat(AT_FDCWD, self, AT_FDCWD, dest,
				   AT_SYMLINK_FOLLOW) != 0 &&
			    errno != EEXIST)
				rc = kho_error_errno(err, KHO_FATAL, "name",
						     dest);
			else
				rc = kho_fsync_dir(dir, err);
		}
	}
	close(fd);
	return rc;
}

void kho_store_abandon(kho_store_file *file)
{
	if (file->stream)
		fclose(file->stream);
	if (file->fd >= 0) {
		close(file->fd);
		if (!file->unnamed)
			unlink(file->tmp);
	}
	file->stream = NULL;
	file->fd = -1;
}

int kho_store_commit(const kho_store *store, kho_store_file *file,
		     char sha256[KHO_SHA256_HEX], uint64_t *size,
		     kho_error *err)
{
	assert(!file->unnamed && "an unnamed file is committed hashed");
	int rc = KHO_OK;
	errno = 0;
	if (fflush(file->stream) != 0 || ferror(file->stream))
		rc = kho_error_errno(err, KHO_FAIL, "write", file->tmp);
	if (fclose(file->stream) != 0 && rc == KHO_OK)
		rc = kho_error_errno(err, KHO_FAIL, "write", file->tmp);
	file->stream = NULL;
	if (rc == KHO_OK)
		rc = kho_hash_file(file->tmp, sha256, NULL, size, err);
	if (rc) {
		kho_store_abandon(file);
		return rc;
	}
	int fd = file->fd;
	file->fd = -1;
	return place(store, fd, file->tmp, sha256, err);
}

int kho_store_commit_hashed(const kho_store *store, kho_store_file *file,
			    const char sha256[KHO_SHA256_HEX], kho_error *err)
{
	int rc = KHO_OK;
	errno = 0;
	if (fflush(file->stream) != 0 || ferror(file->stream))
		rc = kho_error_errno(err, KHO_FAIL, "write", file->tmp);
	if (fclose(file->stream) != 0 && rc == KHO_OK)
		rc = kho_error_errno(err, KHO_FAIL, "write", file->tmp);
	file->stream = NULL;
	if (rc) {
		kho_store_abandon(file);
		return rc;
	}
	int fd = file->fd;
	file->fd = -1;
	if (file->unnamed)
		return place_unnamed(store, fd, sha256, err);
	return place(store, fd, file->tmp, sha256, err);
}

int kho_store_clean(const kho_store *store, int *count, kho_error *err)
{
	*count = 0;
	char tmpdir[4200];
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", store->dir);
	DIR *d = opendir(tmpdir);
	if (!d)
		return errno == ENOENT ? KHO_OK
				       : kho_error_errno(err, KHO_FATAL,
							 "open directory",
							 tmpdir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, ".tmp-", 5) != 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			(*count)++;
	}
	closedir(d);
	return KHO_OK;
}

int kho_store_verify(const kho_store *store, const char *sha256,
		     kho_error *err)
{
	char path[4200];
	int rc = kho_store_path(store, sha256, path, sizeof(path), err);
	if (rc)
		return rc;
	char got[KHO_SHA256_HEX];
	rc = kho_hash_file(path, got, NULL, NULL, err);
	if (rc)
		return rc;
	if (strcmp(got, sha256) != 0)
		return kho_error_set(err, KHO_FAIL,
				     "store object '%s' is altered: it hashes "
				     "to %s",
				     path, got);
	return KHO_OK;
}

int kho_store_map(const kho_store *store, const char *sha256, uint64_t max,
		  kho_file_map *map, kho_error *err)
{
	char path[4200];
	int rc = kho_store_path(store, sha256, path, sizeof(path), err);
	if (rc == KHO_OK)
		rc = kho_file_map_open(path, max, map, err);
	if (rc)
		return rc;
	enum { PIECE = 4 << 20 };
	kho_hash *h = kho_hash_new(KHO_SHA256);
	if (!h) {
		kho_file_map_release(map);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	for (size_t off = 0; off < map->size; off += PIECE) {
		const size_t n = KHO_MIN((size_t)PIECE, map->size - off);
		kho_hash_update(h, map->data + off, n);
		kho_file_map_drop(map, off, n);
	}
	char got[KHO_SHA256_HEX];
	kho_hash_final(h, got); /* frees h */
	if (strcmp(got, sha256) != 0) {
		kho_file_map_release(map);
		return kho_error_set(err, KHO_FAIL,
				     "store object '%s' is damaged: its bytes "
				     "hash to %s",
				     path, got);
	}
	return KHO_OK;
}
