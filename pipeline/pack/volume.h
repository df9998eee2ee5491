/*
 * A warehouse volume being written: a tar file (pax) or a zip file (every
 * member stored, not compressed, so that its bytes lie in the volume as
 * they are) made with libarchive, written as VOLUME.part, fsynced by
 * kho_volume_finish() and renamed by the caller only once the catalog
 * knows it.  Every member's data offset, size and SHA-256 are recorded as
 * it is written, for the index.
 */
#ifndef KHO_VOLUME_H
#define KHO_VOLUME_H

#include "common/internal.h"
#include "catalog/catalog.h"

typedef struct kho_volume kho_volume;

typedef enum kho_volume_format {
	KHO_VOLUME_TAR = 0,
	KHO_VOLUME_ZIP,
} kho_volume_format;

/* The format a kho.conf volume_format names ("tar", "zip"); -1 for none. */
int kho_volume_format_parse(const char *name);
/* Its file name extension: "tar", "zip". */
const char *kho_volume_format_ext(kho_volume_format format);

int kho_volume_create(kho_volume **out, const char *part_path,
		      kho_volume_format format, kho_error *err);

/* Streams a file into the volume as member, with its SHA-256 (checked
 * against expect_sha256 when given: KHO_FAIL when the file is not what it
 * should be) and SHA-512.  known_sha512, where given with expect_sha256,
 * is the SHA-512 of the bytes whose SHA-256 that is (ingest took both on
 * one read): the file is then not hashed with SHA-512 again, and
 * known_sha512 is what it gives back once the SHA-256 matches. */
int kho_volume_add_file(kho_volume *v, const char *member, const char *path,
			const char *expect_sha256, const char *known_sha512,
			kho_archive_member *m, char sha512[KHO_SHA512_HEX],
			kho_error *err);

int kho_volume_add_bytes(kho_volume *v, const char *member, const void *data,
			 size_t len, kho_archive_member *m, kho_error *err);

/* Bytes written so far. */
uint64_t kho_volume_bytes(const kho_volume *v);

/* Ends the archive, fsyncs it, and frees the writer. */
int kho_volume_finish(kho_volume *v, kho_error *err);

/* Frees the writer and removes the partial file. */
void kho_volume_abandon(kho_volume *v);

/* Reads back a finished volume file: its SHA-256, and that every member
 * of the index holds what the index says. */
int kho_volume_check(const char *path, const kho_archive_member *members,
		     size_t n, char sha256[KHO_SHA256_HEX], uint64_t *size,
		     kho_error *err);

#endif
