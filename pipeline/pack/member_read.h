/*
 * Reads a member of a warehouse volume straight from the index's offset,
 * as extract and lookup do: no archive parsing, every byte hashed on the
 * way, and a member that does not hash to what the index says is refused
 * (KHO_FAIL), however it is consumed.
 */
#ifndef KHO_MEMBER_READ_H
#define KHO_MEMBER_READ_H

#include "common/internal.h"
#include "catalog/catalog.h"

/* Takes the member's bytes, chunk by chunk, in order. */
typedef int kho_member_sink(void *ctx, const uint8_t *data, size_t n,
			    kho_error *err);

/* Reads m from the volume open on fd (volume names it in messages) and
 * hands its bytes to sink.  The SHA-256 is checked at the end: a sink
 * must keep what it received provisional until this returns KHO_OK. */
int kho_member_read(int fd, const char *volume, const kho_archive_member *m,
		    kho_member_sink *sink, void *ctx, kho_error *err);

/* The member into memory (at most max bytes); *data is malloc'd. */
int kho_member_load(int fd, const char *volume, const kho_archive_member *m,
		    uint64_t max, uint8_t **data, size_t *size, kho_error *err);

#endif
