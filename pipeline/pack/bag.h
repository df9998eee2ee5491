/*
 * One BagIt 1.0 bag (RFC 8493) of one record, written into a volume:
 *
 *   <bag>/data/<record>/result.pdf, metadata.json, originals/001.tif ...
 *   <bag>/manifest-sha256.txt  manifest-sha512.txt
 *   <bag>/bagit.txt  bag-info.txt
 *   <bag>/tagmanifest-sha256.txt  tagmanifest-sha512.txt
 *
 * Member names are made by kho from the record id (already checked) and
 * fixed names, never taken from input.  The payload is streamed from the
 * store, its SHA-256 checked against the store's name on the way.
 */
#ifndef KHO_BAG_H
#define KHO_BAG_H

#include "common/internal.h"
#include "pack/volume.h"
#include "store/store.h"

typedef struct kho_bag_payload {
	char path[256];		     /* "data/HT-2021-00042/result.pdf" */
	char sha256[KHO_SHA256_HEX]; /* its store object */
	/* its SHA-512 where ingest took it, else "": hashed as packed */
	char sha512[KHO_SHA512_HEX];
	uint64_t size;
} kho_bag_payload;

typedef struct kho_bag_info {
	const char *source_organization;
	const char *external_identifier; /* the batch */
	const char *description;
	const char *record_id;
	int record_version;
	int archive_version;
	const char *bagging_date; /* YYYY-MM-DD */
} kho_bag_info;

/* Bytes the bag will take in a volume, about (for filling volumes). */
uint64_t kho_bag_estimate(const kho_bag_payload *files, size_t n);

/* Writes the bag; *members (malloc'd) receives every member written, for
 * the index.  KHO_FAIL when a store object is damaged (the volume is then
 * unusable and must be abandoned). */
int kho_bag_write(kho_volume *v, const kho_store *store, const char *bag,
		  const kho_bag_info *info, const kho_bag_payload *files,
		  size_t n, kho_archive_member **members, size_t *n_members,
		  kho_error *err);

#endif
