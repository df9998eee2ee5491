#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int kho_error_errno(kho_error *err, int code, const char *op,
		    const char *path)
{
	int e = errno;
	if (e == ENOSPC || e == EDQUOT || e == EROFS)
		code = KHO_FATAL;
	return kho_error_set(err, code, "cannot %s '%s': %s", op, path,
			     strerror(e));
}

int kho_path_join(char *out, size_t cap, kho_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap)
		return kho_error_set(err, KHO_FAIL, "path too long: '%.200s...'",
				     out);
	return KHO_OK;
}

int kho_mkdir_p(const char *path, kho_error *err)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(buf))
		return kho_error_set(err, KHO_FAIL, "bad directory path '%s'",
				     path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return kho_error_errno(err, KHO_FAIL, "make directory",
					       buf);
		*p = '/';
	}
	if (mkdir(buf, 0777) != 0 && errno != EEXIST)
		return kho_error_errno(err, KHO_FAIL, "make directory", buf);
	struct stat st;
	if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
		return kho_error_set(err, KHO_FAIL, "'%s' is not a directory",
				     buf);
	return KHO_OK;
}

int kho_fsync_fd(int fd, const char *path, kho_error *err)
{
	if (fsync(fd) != 0)
		return kho_error_errno(err, KHO_FATAL, "sync", path);
	return KHO_OK;
}

int kho_fsync_dir(const char *dir, kho_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kho_error_errno(err, KHO_FATAL, "open directory", dir);
	int rc = kho_fsync_fd(fd, dir, err);
	close(fd);
	return rc;
}

int kho_read_file(const char *path, uint64_t max, uint8_t **data,
		  size_t *size, kho_error *err)
{
	*data = NULL;
	*size = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return kho_error_errno(err, KHO_FAIL, "open", path);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return kho_error_errno(err, KHO_FAIL, "read", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return kho_error_set(err, KHO_FAIL, "'%s' is not a regular file",
				     path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return kho_error_set(err, KHO_FAIL,
				     "'%s' is too large: %lld bytes, the limit "
				     "is %llu (max_file_mb)",
				     path, (long long)st.st_size,
				     (unsigned long long)max);
	}
	size_t cap = (size_t)st.st_size;
	uint8_t *buf = malloc(cap ? cap : 1);
	if (!buf) {
		close(fd);
		return kho_error_set(err, KHO_FAIL,
				     "out of memory reading '%s'", path);
	}
	size_t got = 0;
	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = kho_error_errno(err, KHO_FAIL, "read", path);
			free(buf);
			close(fd);
			return rc;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != cap) {
		free(buf);
		return kho_error_set(err, KHO_FAIL,
				     "'%s' changed while it was read", path);
	}
	*data = buf;
	*size = got;
	return KHO_OK;
}

int kho_file_map_fd(int fd, const char *path, uint64_t max, kho_file_map *m,
		    kho_error *err)
{
	static const uint8_t empty[1];
	*m = (kho_file_map)KHO_FILE_MAP_INIT;
	struct stat st;
	if (fstat(fd, &st) != 0)
		return kho_error_errno(err, KHO_FAIL, "read", path);
	if (!S_ISREG(st.st_mode))
		return kho_error_set(err, KHO_FAIL, "'%s' is not a regular file",
				     path);
	if ((uint64_t)st.st_size > max)
		return kho_error_set(err, KHO_FAIL,
				     "'%s' is too large: %lld bytes, the limit "
				     "is %llu (max_file_mb)",
				     path, (long long)st.st_size,
				     (unsigned long long)max);
	if (st.st_size == 0) {
		m->data = empty;
		return KHO_OK;
	}
	void *base = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			  0);
	if (base == MAP_FAILED)
		return kho_error_errno(err, KHO_FAIL, "map", path);
	m->base = base;
	m->data = base;
	m->size = (size_t)st.st_size;
	return KHO_OK;
}

int kho_file_map_open(const char *path, uint64_t max, kho_file_map *m,
		 kho_error *err)
{
	*m = (kho_file_map)KHO_FILE_MAP_INIT;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return kho_error_errno(err, KHO_FAIL, "open", path);
	int rc = kho_file_map_fd(fd, path, max, m, err);
	close(fd);
	return rc;
}

void kho_file_map_drop(const kho_file_map *m, size_t off, size_t len)
{
	if (!m->base || off >= m->size)
		return;
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t end = len > m->size - off ? m->size : off + len;
	/* Whole pages only, inside the range: a page the range shares with
	 * its neighbour stays. */
	size_t from = off == 0 ? 0 : (off + page - 1) / page * page;
	size_t to = end == m->size ? end : end / page * page;
	if (to > from)
		madvise((uint8_t *)m->base + from, to - from, MADV_DONTNEED);
}

void kho_file_map_release(kho_file_map *m)
{
	if (m->base)
		munmap(m->base, m->size);
	*m = (kho_file_map)KHO_FILE_MAP_INIT;
}

int kho_write_all(int fd, const void *buf, size_t len, const char *path,
		  kho_error *err)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kho_error_errno(err, KHO_FAIL, "write", path);
		p += n;
		len -= (size_t)n;
	}
	return KHO_OK;
}

int kho_tmpfile(const char *dir, const char *tag, char *path, size_t cap,
		int *fd, kho_error *err)
{
	int rc = kho_path_join(path, cap, err, "%s/.tmp-%s-XXXXXX", dir, tag);
	if (rc)
		return rc;
	*fd = mkostemp(path, O_CLOEXEC);
	if (*fd < 0)
		return kho_error_errno(err, KHO_FAIL, "create a file in", dir);
	return KHO_OK;
}

int kho_commit_tmpfile(int fd, const char *tmp, const char *dest,
		       kho_error *err)
{
	int rc = kho_fsync_fd(fd, tmp, err);
	if (close(fd) != 0 && rc == KHO_OK)
		rc = kho_error_errno(err, KHO_FATAL, "close", tmp);
	if (rc == KHO_OK && rename(tmp, dest) != 0)
		rc = kho_error_errno(err, KHO_FATAL, "rename into", dest);
	if (rc != KHO_OK) {
		unlink(tmp);
		return rc;
	}
	char dir[PATH_MAX];
	size_t n = strlen(dest);
	if (n >= sizeof(dir))
		return kho_error_set(err, KHO_FAIL, "path too long");
	memcpy(dir, dest, n + 1);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return kho_fsync_dir(".", err);
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return kho_fsync_dir(dir, err);
}

int kho_write_file_atomic(const char *dest, const void *buf, size_t len,
			  kho_error *err)
{
	char dir[PATH_MAX];
	size_t n = strlen(dest);
	if (n >= sizeof(dir))
		return kho_error_set(err, KHO_FAIL, "path too long");
	memcpy(dir, dest, n + 1);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		memcpy(dir, ".", 2);

	char tmp[PATH_MAX];
	int fd;
	int rc = kho_tmpfile(dir, "w", tmp, sizeof(tmp), &fd, err);
	if (rc)
		return rc;
	rc = kho_write_all(fd, buf, len, tmp, err);
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	return kho_commit_tmpfile(fd, tmp, dest, err);
}

int kho_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}
