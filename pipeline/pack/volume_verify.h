/*
 * Checks a sealed warehouse volume against the index and its bags:
 *
 *   - the volume file's size and SHA-256 against the volumes row;
 *   - every member, read through libarchive (tar or zip, told apart by
 *     their first bytes), against the index: a member the index lacks is
 *     extra, one the volume lacks missing, one whose size or SHA-256
 *     differs altered;
 *   - every bag's manifests (SHA-256 and SHA-512), tag manifests and
 *     Payload-Oxum recomputed from the members' bytes (RFC 8493 valid).
 *
 * Where libarchive cannot go on (a damaged header, a damaged zip
 * directory), the members it did not reach are read by their index
 * offsets, so that altered data is still named.  Problems are handed to
 * the caller one by one; nothing is printed here.
 */
#ifndef KHO_VOLUME_VERIFY_H
#define KHO_VOLUME_VERIFY_H

#include "common/internal.h"
#include "catalog/catalog.h"

typedef enum kho_problem_kind {
	KHO_PROBLEM_MISSING = 0, /* in the index, not in the volume */
	KHO_PROBLEM_EXTRA,	 /* in the volume, not in the index */
	KHO_PROBLEM_ALTERED,	 /* its bytes are not the index's */
	KHO_PROBLEM_DAMAGED,	 /* the volume's structure or its SHA-256 */
	KHO_PROBLEM_BAG,	 /* a bag's manifests disagree */
	KHO_PROBLEM_SHARD,	 /* a record in a work root not its shard's,
				  * or archived in two (kho verify --roots) */
} kho_problem_kind;

/* "missing", "extra", ... */
const char *kho_problem_name(kho_problem_kind kind);

typedef struct kho_verify_problem {
	kho_problem_kind kind;
	const char *volume;
	const char *member; /* or NULL: the volume as a whole */
	const char *detail;
} kho_verify_problem;

typedef struct kho_verify_hooks {
	void (*problem)(void *ctx, const kho_verify_problem *p);
	/* bytes of this volume read so far, of about total */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *ctx;
} kho_verify_hooks;

typedef struct kho_verify_counts {
	uint64_t bags;
	uint64_t members;
	uint64_t bytes; /* read from the volume */
	uint64_t problems;
} kho_verify_counts;

/* Checks the volume file at path, which the index knows as vol with the
 * members index[0..n).  Problems go to hooks and are counted; the return
 * is KHO_OK unless the check itself could not be made (out of memory,
 * the file cannot be opened: KHO_FATAL). */
int kho_verify_volume(const char *path, const kho_volume_row *vol,
		      const kho_archive_row *index, size_t n,
		      const kho_verify_hooks *hooks, kho_verify_counts *counts,
		      kho_error *err);

#endif
