#include "pack/volume_extract.h"
#include "common/fsutil.h"
#include "pack/member_read.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

/* A payload file on its way out. */
typedef struct outfile {
	const kho_archive_row *row;
	char final[PATH_MAX];
	char tmp[PATH_MAX];
	int fd;
} outfile;

static int to_file(void *ctx, const uint8_t *data, size_t n, kho_error *err)
{
	const outfile *const o = ctx;
	return kho_write_all(o->fd, data, n, o->tmp, err);
}

/* The bag's manifest-sha256.txt, read and checked by offset. */
static int load_manifest(int fd, const char *volume,
			 const kho_archive_row *rows, size_t n, char **text,
			 kho_error *err)
{
	*text = NULL;
	char want[600];
	snprintf(want, sizeof(want), "%s/manifest-sha256.txt", rows[0].bag);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rows[i].m.member, want) != 0)
			continue;
		uint8_t *data = NULL;
		size_t size = 0;
		const int rc = kho_member_load(fd, volume, &rows[i].m,
					       64u << 20, &data, &size, err);
		if (rc)
			return rc;
		char *const t = realloc(data, size + 1);
		if (!t) {
			free(data);
			return kho_error_set(err, KHO_FATAL, "out of memory");
		}
		t[size] = '\0';
		*text = t;
		return KHO_OK;
	}
	return kho_error_set(err, KHO_FAIL,
			     "bag '%s' in '%s' has no manifest-sha256.txt",
			     rows[0].bag, volume);
}

/* The manifest's digest of a payload path ("data/..."), or NULL. */
static const char *manifest_digest(const char *text, const char *path,
				   char out[KHO_SHA256_HEX])
{
	const size_t n = strlen(path);
	for (const char *line = text; *line;) {
		const char *const end = strchr(line, '\n');
		const size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len == 64 + 2 + n && line[64] == ' ' && line[65] == ' ' &&
		    memcmp(line + 66, path, n) == 0) {
			memcpy(out, line, 64);
			out[64] = '\0';
			return out;
		}
		line += len + (end ? 1 : 0);
	}
	return NULL;
}

static int make_parent(const char *path, kho_error *err)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *const slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return KHO_OK;
	*slash = '\0';
	return kho_mkdir_p(dir, err);
}

static void discard(outfile *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (out[i].fd >= 0)
			close(out[i].fd);
		if (out[i].tmp[0])
			unlink(out[i].tmp);
	}
}

/* Plans every file: where it goes, that nothing is there, that the index
 * and the manifest agree on it. */
static int plan(const char *volume, const char *record_id,
		const kho_archive_row *rows, size_t n, const char *dest,
		const char *manifest, outfile *out, size_t *n_out,
		kho_error *err)
{
	char prefix[600];
	snprintf(prefix, sizeof(prefix), "%s/data/%s/", rows[0].bag, record_id);
	const size_t plen = strlen(prefix);
	*n_out = 0;
	for (size_t i = 0; i < n; i++) {
		const char *const member = rows[i].m.member;
		if (strncmp(member, prefix, plen) != 0)
			continue;
		const char *const rel = member + plen;
		if (!*rel || rel[0] == '/' || strstr(rel, "..") ||
		    strchr(rel, '\\'))
			return kho_error_set(err, KHO_FAIL,
					     "member '%s' of '%s' has a name "
					     "kho does not write",
					     member, volume);
		char digest[KHO_SHA256_HEX];
		const char *const bag_path = member + strlen(rows[0].bag) + 1;
		if (!manifest_digest(manifest, bag_path, digest) ||
		    strcmp(digest, rows[i].m.sha256) != 0)
			return kho_error_set(
				err, KHO_FAIL,
				"member '%s' of '%s': the index "
				"and the bag's manifest-sha256.txt "
				"disagree",
				member, volume);
		outfile *const o = &out[(*n_out)++];
		o->row = &rows[i];
		o->fd = -1;
		int rc = kho_path_join(o->final, sizeof(o->final), err, "%s/%s",
				       dest, rel);
		if (rc)
			return rc;
		if (kho_exists(o->final))
			return kho_error_set(err, KHO_FAIL,
					     "'%s' exists: kho extract never "
					     "overwrites a file",
					     o->final);
	}
	if (*n_out == 0)
		return kho_error_set(err, KHO_FAIL,
				     "bag '%s' in '%s' holds no file of "
				     "record '%s'",
				     rows[0].bag, volume, record_id);
	return KHO_OK;
}

/* Reads every member into a temporary file beside its place, checked. */
static int fetch(int fd, const char *volume, outfile *out, size_t n,
		 kho_error *err)
{
	for (size_t i = 0; i < n; i++) {
		outfile *const o = &out[i];
		int rc = make_parent(o->final, err);
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", o->final);
		*strrchr(dir, '/') = '\0';
		if (rc == KHO_OK)
			rc = kho_tmpfile(dir, "extract", o->tmp, sizeof(o->tmp),
					 &o->fd, err);
		if (rc == KHO_OK)
			rc = kho_member_read(fd, volume, &o->row->m, to_file, o,
					     err);
		if (rc == KHO_OK && fchmod(o->fd, 0644) != 0)
			rc = kho_error_errno(err, KHO_FAIL, "set the mode of",
					     o->tmp);
		if (rc == KHO_OK)
			rc = kho_fsync_fd(o->fd, o->tmp, err);
		if (rc)
			return rc;
	}
	return KHO_OK;
}

/* Links each checked file to its name; a name taken meanwhile fails. */
static int place(outfile *out, size_t n, kho_extract_result *res,
		 kho_error *err)
{
	for (size_t i = 0; i < n; i++) {
		outfile *const o = &out[i];
		if (close(o->fd) != 0) {
			o->fd = -1;
			return kho_error_errno(err, KHO_FATAL, "close", o->tmp);
		}
		o->fd = -1;
		if (link(o->tmp, o->final) != 0)
			return errno == EEXIST
				       ? kho_error_set(
						 err, KHO_FAIL,
						 "'%s' exists: kho extract "
						 "never overwrites a file",
						 o->final)
				       : kho_error_errno(err, KHO_FATAL,
							 "write", o->final);
		unlink(o->tmp);
		o->tmp[0] = '\0';
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", o->final);
		*strrchr(dir, '/') = '\0';
		const int rc = kho_fsync_dir(dir, err);
		if (rc)
			return rc;
		res->files++;
		res->bytes += o->row->m.size;
	}
	return KHO_OK;
}

int kho_extract_bag(const char *volume_path, const char *record_id,
		    const kho_archive_row *rows, size_t n, const char *dest,
		    kho_extract_result *res, kho_error *err)
{
	memset(res, 0, sizeof(*res));
	assert(n > 0);
	const char *const volume = rows[0].volume;
	const int fd = open(volume_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kho_error_errno(err, KHO_FAIL, "open", volume_path);
	outfile *const out = calloc(n, sizeof(*out));
	char *manifest = NULL;
	size_t n_out = 0;
	int rc = out ? KHO_OK : kho_error_set(err, KHO_FATAL, "out of memory");
	if (rc == KHO_OK)
		rc = load_manifest(fd, volume, rows, n, &manifest, err);
	if (rc == KHO_OK)
		rc = plan(volume, record_id, rows, n, dest, manifest, out,
			  &n_out, err);
	if (rc == KHO_OK)
		rc = kho_mkdir_p(dest, err);
	if (rc == KHO_OK)
		rc = fetch(fd, volume, out, n_out, err);
	if (rc == KHO_OK)
		rc = place(out, n_out, res, err);
	if (rc && out)
		discard(out, n_out);
	free(manifest);
	free(out);
	close(fd);
	return rc;
}
