/*
 * kho extract: the payload of one bag written out of its volume, read by
 * the index's offsets (member_read.h).  Every member is checked on the way
 * against the index and against the bag's manifest-sha256.txt; a record
 * with one altered member writes nothing.  Files already in the
 * destination are never overwritten.
 */
#ifndef KHO_VOLUME_EXTRACT_H
#define KHO_VOLUME_EXTRACT_H

#include "common/internal.h"
#include "catalog/catalog.h"

typedef struct kho_extract_result {
	size_t files;
	uint64_t bytes;
} kho_extract_result;

/* Writes data/<record_id>/... of the bag whose index rows are rows[0..n)
 * (all in the volume at volume_path) into dest, made when missing:
 * dest/result.pdf, dest/metadata.json, dest/originals/001.tif ... */
int kho_extract_bag(const char *volume_path, const char *record_id,
		    const kho_archive_row *rows, size_t n, const char *dest,
		    kho_extract_result *res, kho_error *err);

#endif
