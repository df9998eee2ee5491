#include "pack/volume.h"
#include "common/fsutil.h"
#include "common/hash.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct kho_volume {
	struct archive *a;
	char path[4096];
	int fd;
	time_t mtime;
};

int kho_volume_format_parse(const char *name)
{
	if (strcmp(name, "tar") == 0)
		return KHO_VOLUME_TAR;
	if (strcmp(name, "zip") == 0)
		return KHO_VOLUME_ZIP;
	return -1;
}

const char *kho_volume_format_ext(kho_volume_format format)
{
	return format == KHO_VOLUME_ZIP ? "zip" : "tar";
}

/* pax tar; or zip with every member stored, so that the index's offsets
 * point at the member's bytes as they are. */
static int set_format(struct archive *a, kho_volume_format format)
{
	if (format == KHO_VOLUME_ZIP)
		return archive_write_set_format_zip(a) == ARCHIVE_OK &&
				       archive_write_set_options(
					       a, "zip:compression=store") ==
					       ARCHIVE_OK
			       ? ARCHIVE_OK
			       : ARCHIVE_FATAL;
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK)
		return ARCHIVE_FATAL;
	return archive_write_set_bytes_in_last_block(a, 1);
}

int kho_volume_create(kho_volume **out, const char *part_path,
		      kho_volume_format format, kho_error *err)
{
	*out = NULL;
	kho_volume *v = calloc(1, sizeof(*v));
	if (!v)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	snprintf(v->path, sizeof(v->path), "%s", part_path);
	v->mtime = time(NULL);
	v->fd = open(part_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (v->fd < 0) {
		int rc = kho_error_errno(err, KHO_FATAL, "create", part_path);
		free(v);
		return rc;
	}
	v->a = archive_write_new();
	if (!v->a || set_format(v->a, format) != ARCHIVE_OK ||
	    archive_write_add_filter_none(v->a) != ARCHIVE_OK ||
	    archive_write_open_fd(v->a, v->fd) != ARCHIVE_OK) {
		kho_error_set(err, KHO_FATAL, "cannot start volume '%s': %s",
			      part_path,
			      v->a ? archive_error_string(v->a) : "no memory");
		kho_volume_abandon(v);
		return KHO_FATAL;
	}
	*out = v;
	return KHO_OK;
}

static int archive_fail(kho_volume *v, const char *what, kho_error *err)
{
	const char *msg = archive_error_string(v->a);
	int e = archive_errno(v->a);
	/* Whatever the cause, a volume that cannot be written stops the
	 * pack: nothing is half archived. */
	if (!msg)
		return kho_error_set(err, KHO_FATAL,
				     "cannot write %s into '%s': %s", what,
				     v->path, strerror(e));
	/* libarchive's own words ("Write error") seldom say why: the
	 * system's reason (a full disk) goes beside them. */
	if (e > 0 && !strstr(msg, strerror(e)))
		return kho_error_set(err, KHO_FATAL,
				     "cannot write %s into '%s': %s (%s)",
				     what, v->path, msg, strerror(e));
	return kho_error_set(err, KHO_FATAL, "cannot write %s into '%s': %s",
			     what, v->path, msg);
}

static int header(kho_volume *v, const char *member, uint64_t size,
		  kho_archive_member *m, kho_error *err)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	archive_entry_set_pathname(e, member);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0444);
	archive_entry_set_mtime(e, v->mtime, 0);
	int rc = archive_write_header(v->a, e);
	archive_entry_free(e);
	if (rc != ARCHIVE_OK)
		return archive_fail(v, member, err);
	memset(m, 0, sizeof(*m));
	snprintf(m->member, sizeof(m->member), "%s", member);
	/* Bytes into the format's output: the member's data starts here. */
	m->offset = (uint64_t)archive_filter_bytes(v->a, 0);
	m->size = size;
	return KHO_OK;
}

int kho_volume_add_bytes(kho_volume *v, const char *member, const void *data,
			 size_t len, kho_archive_member *m, kho_error *err)
{
	int rc = header(v, member, len, m, err);
	if (rc)
		return rc;
	if (len && archive_write_data(v->a, data, len) != (la_ssize_t)len)
		return archive_fail(v, member, err);
	kho_sha256_hex(data, len, m->sha256);
	return KHO_OK;
}

int kho_volume_add_file(kho_volume *v, const char *member, const char *path,
			const char *expect_sha256, const char *known_sha512,
			kho_archive_member *m, char sha512[KHO_SHA512_HEX],
			kho_error *err)
{
	if (!expect_sha256)
		known_sha512 = NULL; /* only the SHA-256 vouches for it */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kho_error_errno(err, KHO_FAIL, "open", path);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int rc = kho_error_errno(err, KHO_FAIL, "read", path);
		close(fd);
		return rc;
	}
	int rc = header(v, member, (uint64_t)st.st_size, m, err);
	kho_hash *h256 = kho_hash_new(KHO_SHA256);
	kho_hash *h512 = known_sha512 ? NULL : kho_hash_new(KHO_SHA512);
	enum { CHUNK = 1 << 17 };
	uint8_t *buf = malloc(CHUNK);
	if (rc == KHO_OK && (!h256 || (!known_sha512 && !h512) || !buf))
		rc = kho_error_set(err, KHO_FATAL, "out of memory");
	uint64_t total = 0;
	while (rc == KHO_OK) {
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = kho_error_errno(err, KHO_FAIL, "read", path);
			break;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > (uint64_t)st.st_size) {
			rc = kho_error_set(err, KHO_FAIL,
					   "'%s' grew while it was packed",
					   path);
			break;
		}
		kho_hash_update(h256, buf, (size_t)n);
		if (h512)
			kho_hash_update(h512, buf, (size_t)n);
		if (archive_write_data(v->a, buf, (size_t)n) != n)
			rc = archive_fail(v, member, err);
	}
	free(buf);
	close(fd);
	if (rc == KHO_OK && total != (uint64_t)st.st_size)
		rc = kho_error_set(err, KHO_FAIL,
				   "'%s' shrank while it was packed", path);
	if (rc) {
		kho_hash_free(h256);
		kho_hash_free(h512);
		return rc;
	}
	kho_hash_final(h256, m->sha256);
	if (h512)
		kho_hash_final(h512, sha512);
	if (expect_sha256 && strcmp(expect_sha256, m->sha256) != 0)
		return kho_error_set(err, KHO_FAIL,
				     "store object '%s' is damaged: it hashes "
				     "to %s; it is not archived",
				     path, m->sha256);
	if (known_sha512)
		snprintf(sha512, KHO_SHA512_HEX, "%s", known_sha512);
	return KHO_OK;
}

uint64_t kho_volume_bytes(const kho_volume *v)
{
	return (uint64_t)archive_filter_bytes(v->a, 0);
}

int kho_volume_finish(kho_volume *v, kho_error *err)
{
	int rc = KHO_OK;
	if (archive_write_close(v->a) != ARCHIVE_OK)
		rc = archive_fail(v, "the end of the archive", err);
	archive_write_free(v->a);
	v->a = NULL;
	if (rc == KHO_OK)
		rc = kho_fsync_fd(v->fd, v->path, err);
	if (close(v->fd) != 0 && rc == KHO_OK)
		rc = kho_error_errno(err, KHO_FATAL, "close", v->path);
	v->fd = -1;
	if (rc)
		unlink(v->path);
	free(v);
	return rc;
}

void kho_volume_abandon(kho_volume *v)
{
	if (!v)
		return;
	if (v->a)
		archive_write_free(v->a);
	if (v->fd >= 0)
		close(v->fd);
	unlink(v->path);
	free(v);
}

/* By offset; at one offset an empty member before the one whose bytes
 * start there, so that the pass meets it before moving on. */
static int by_offset(const void *a, const void *b)
{
	const kho_archive_member *x = *(const kho_archive_member *const *)a;
	const kho_archive_member *y = *(const kho_archive_member *const *)b;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

/* The member's digest against the index's. */
static int member_matches(kho_hash *h, const char *path,
			  const kho_archive_member *m, kho_error *err)
{
	char got[KHO_SHA256_HEX];
	kho_hash_final(h, got);
	if (strcmp(got, m->sha256) == 0)
		return KHO_OK;
	return kho_error_set(err, KHO_FATAL,
			     "volume '%s' does not hold member '%s' as "
			     "written: the disk returned other bytes",
			     path, m->member);
}

/*
 * One pass front to back: each chunk goes into the whole file's digest
 * and into the digest of the member it holds bytes of.  The members are
 * taken in the order of their offsets; a writer lays them one after the
 * other, and members that overlap are refused.
 */
int kho_volume_check(const char *path, const kho_archive_member *members,
		     size_t n, char sha256[KHO_SHA256_HEX], uint64_t *size,
		     kho_error *err)
{
	const kho_archive_member **by =
		malloc(sizeof(*by) * (n ? n : 1));
	enum { CHUNK = 1 << 17 };
	uint8_t *buf = malloc(CHUNK);
	kho_hash *whole = kho_hash_new(KHO_SHA256);
	kho_hash *h = NULL; /* of by[next], once its bytes begin */
	int rc = by && buf && whole
			 ? KHO_OK
			 : kho_error_set(err, KHO_FATAL, "out of memory");
	for (size_t i = 0; rc == KHO_OK && i < n; i++)
		by[i] = &members[i];
	if (rc == KHO_OK)
		qsort(by, n, sizeof(*by), by_offset);
	for (size_t i = 0; rc == KHO_OK && i + 1 < n; i++)
		if (by[i]->offset + by[i]->size > by[i + 1]->offset)
			rc = kho_error_set(err, KHO_FATAL,
					   "volume '%s': members '%s' and '%s' "
					   "overlap in the index",
					   path, by[i]->member,
					   by[i + 1]->member);
	int fd = -1;
	if (rc == KHO_OK) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			rc = kho_error_errno(err, KHO_FATAL, "open", path);
	}
	uint64_t pos = 0; /* of buf[0] in the file */
	size_t next = 0;  /* the first member not yet checked */
	while (rc == KHO_OK) {
		const ssize_t got = read(fd, buf, CHUNK);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = kho_error_errno(err, KHO_FATAL, "read", path);
			break;
		}
		if (got == 0)
			break;
		kho_hash_update(whole, buf, (size_t)got);
		const uint64_t end = pos + (uint64_t)got;
		while (rc == KHO_OK && next < n && by[next]->offset <= end) {
			const kho_archive_member *m = by[next];
			const uint64_t from = KHO_MAX(pos, m->offset);
			const uint64_t to = KHO_MIN(end, m->offset + m->size);
			if (!h && !(h = kho_hash_new(KHO_SHA256))) {
				rc = kho_error_set(err, KHO_FATAL,
						   "out of memory");
				break;
			}
			kho_hash_update(h, buf + (from - pos),
					(size_t)(to - from));
			if (to < m->offset + m->size)
				break; /* it goes on in the next chunk */
			rc = member_matches(h, path, m, err);
			h = NULL;
			next++;
		}
		pos = end;
	}
	if (rc == KHO_OK && next < n)
		rc = kho_error_set(err, KHO_FATAL,
				   "volume '%s' is short at member '%s'",
				   path, by[next]->member);
	if (rc == KHO_OK) {
		kho_hash_final(whole, sha256);
		whole = NULL;
		*size = pos;
	}
	kho_hash_free(h);
	kho_hash_free(whole);
	if (fd >= 0)
		close(fd);
	free(buf);
	free(by);
	return rc;
}
