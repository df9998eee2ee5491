#include "pack/member_read.h"
#include "common/fsutil.h"
#include "common/hash.h"

#include <errno.h>
#include <unistd.h>

#define CHUNK (1u << 20)

int kho_member_read(int fd, const char *volume, const kho_archive_member *m,
		    kho_member_sink *sink, void *ctx, kho_error *err)
{
	uint8_t *const buf = malloc(CHUNK);
	kho_hash *const h = kho_hash_new(KHO_SHA256);
	if (!buf || !h) {
		free(buf);
		kho_hash_free(h);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	int rc = KHO_OK;
	uint64_t off = m->offset, left = m->size;
	while (rc == KHO_OK && left > 0) {
		const size_t want = left < CHUNK ? (size_t)left : CHUNK;
		const ssize_t got = pread(fd, buf, want, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = kho_error_errno(err, KHO_FATAL, "read", volume);
			break;
		}
		if (got == 0) {
			rc = kho_error_set(err, KHO_FAIL,
					   "member '%s' of '%s' is cut short: "
					   "the volume ends at byte %llu",
					   m->member, volume,
					   (unsigned long long)off);
			break;
		}
		kho_hash_update(h, buf, (size_t)got);
		rc = sink(ctx, buf, (size_t)got, err);
		off += (uint64_t)got;
		left -= (uint64_t)got;
	}
	free(buf);
	char sha[KHO_SHA256_HEX];
	kho_hash_final(h, sha);
	if (rc == KHO_OK && strcmp(sha, m->sha256) != 0)
		rc = kho_error_set(err, KHO_FAIL,
				   "member '%s' of '%s' is altered: its "
				   "SHA-256 is %s, the index says %s",
				   m->member, volume, sha, m->sha256);
	return rc;
}

typedef struct mem_sink {
	uint8_t *data;
	size_t len;
} mem_sink;

static int to_memory(void *ctx, const uint8_t *data, size_t n, kho_error *err)
{
	mem_sink *const s = ctx;
	memcpy(s->data + s->len, data, n);
	s->len += n;
	return KHO_OK;
}

int kho_member_load(int fd, const char *volume, const kho_archive_member *m,
		    uint64_t max, uint8_t **data, size_t *size, kho_error *err)
{
	*data = NULL;
	*size = 0;
	if (m->size > max)
		return kho_error_set(err, KHO_FAIL,
				     "member '%s' of '%s' is %llu bytes, "
				     "more than %llu",
				     m->member, volume,
				     (unsigned long long)m->size,
				     (unsigned long long)max);
	mem_sink s = {malloc(m->size ? (size_t)m->size : 1), 0};
	if (!s.data)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	const int rc = kho_member_read(fd, volume, m, to_memory, &s, err);
	if (rc) {
		free(s.data);
		return rc;
	}
	*data = s.data;
	*size = s.len;
	return KHO_OK;
}
