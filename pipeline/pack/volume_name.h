/*
 * The names of warehouse volumes.  A work root that takes every record
 * names them vol-000001.tar, vol-000002.zip, ...; shard 3 of 4
 * vol-s03of04-000001.tar (the shard's numbers zero-padded to the width of
 * the count, at least two digits), so that the warehouses of all shards
 * may share one folder without two names ever meeting.  Numbers count up
 * per work root and are never reused; ".part" follows a volume being
 * written.
 */
#ifndef KHO_VOLUME_NAME_H
#define KHO_VOLUME_NAME_H

#include "common/internal.h"
#include "config/shard.h"

/* "vol-" or "vol-s03of04-". */
void kho_volume_prefix(const kho_shard *s, char *out, size_t cap);

/* The name of volume number n of a work root: "vol-s03of04-000012.tar". */
void kho_volume_name(const kho_shard *s, int number, const char *ext, char *out,
		     size_t cap);

/* A file name read as a volume's: 1 with its shard (count 0 for a work
 * root that takes every record), number and whether it ends in ".part";
 * 0 when kho never makes such a name. */
int kho_volume_name_parse(const char *name, kho_shard *shard, int *number,
			  int *part);

/* 1 when name is a volume (or .part) of the work root of shard s. */
int kho_volume_name_mine(const char *name, const kho_shard *s);

#endif
