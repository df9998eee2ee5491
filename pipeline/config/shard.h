/*
 * Shards: one night's batch split over N machines (docs/SLURM.md).
 *
 * Shard I of N (1 <= I <= N) takes the records whose id hashes to it:
 *
 *   shard(id) = 1 + (first 8 bytes of SHA-256(id), big-endian) mod N
 *
 * over the bytes of the record id as the desk wrote it (no case folding).
 * The function never changes: a record belongs to the same shard every
 * night, whichever machine runs it, so N runs never touch the same record.
 * A work root remembers its shard in the catalog (catalog_shard.c); its
 * volumes are named after it (vol-s03of04-000001.tar) so that the
 * warehouses of all shards can share one folder.
 */
#ifndef KHO_SHARD_H
#define KHO_SHARD_H

#include "common/internal.h"

#define KHO_SHARD_MAX 999

/* The hash, by name, as the catalog keeps it beside the shard. */
#define KHO_SHARD_HASH "sha256-be64-mod"

typedef struct kho_shard {
	int index; /* 1 to count */
	int count; /* 0: not sharded (every record) */
} kho_shard;

#define KHO_SHARD_NONE { 0, 0 }

/* "3/4" -> {3, 4}; KHO_USAGE with a message when it is not a shard. */
int kho_shard_parse(const char *text, kho_shard *out, kho_error *err);

/* "3/4", or "" when not sharded. */
void kho_shard_format(const kho_shard *s, char *out, size_t cap);

/* The shard (1 to count) a record id belongs to among count. */
int kho_shard_of(const char *record_id, int count);

/* 1 when the shard takes the record: always when not sharded. */
int kho_shard_takes(const kho_shard *s, const char *record_id);

/* 1 when a and b are the same shard (or both not sharded). */
int kho_shard_equal(const kho_shard *a, const kho_shard *b);

#endif
