/*
 * The content-addressed store, ROOT/store: every file kho keeps (ingested
 * originals, rendered outputs) under the SHA-256 of its bytes,
 * store/ab/abcdef....  A file enters through a temporary file in
 * store/tmp that is fsynced and then renamed to its name, so a name in the
 * store always holds complete, verified bytes; the catalog commits only
 * after that.  Identical content is kept once.
 */
#ifndef KHO_STORE_H
#define KHO_STORE_H

#include "common/internal.h"
#include "common/fsutil.h"
#include "common/hash.h"

#include <stdio.h>

typedef struct kho_store {
	char dir[4096];  /* ROOT/store */
} kho_store;

int kho_store_init(kho_store *store, const char *dir, kho_error *err);

/* The path of a stored object. */
int kho_store_path(const kho_store *store, const char *sha256, char *path,
		   size_t cap, kho_error *err);

/* Stores bytes whose SHA-256 the caller computed (checked by assert in
 * debug builds). */
int kho_store_put(const kho_store *store, const void *data, size_t len,
		  const char *sha256, kho_error *err);

/* A file being written into the store. */
typedef struct kho_store_file {
	FILE *stream;    /* write here */
	char tmp[4096];  /* its name (for an unnamed file, a description) */
	int fd;
	int unnamed;     /* O_TMPFILE: gone by itself if never committed */
} kho_store_file;

int kho_store_create(const kho_store *store, const char *tag,
		     kho_store_file *file, kho_error *err);
/* Flushes, fsyncs, hashes and renames the file into the store;
 * sha256 and size receive what it holds.  The handle is closed.  (An
 * unnamed file is committed with kho_store_commit_hashed.) */
int kho_store_commit(const kho_store *store, kho_store_file *file,
		     char sha256[KHO_SHA256_HEX], uint64_t *size,
		     kho_error *err);
void kho_store_abandon(kho_store_file *file);

/* The same, where the file system allows, as an unnamed file
 * (O_TMPFILE) that takes its name only when committed: a worker killed
 * while writing or reading it leaves nothing behind.  Elsewhere a named
 * temporary file as kho_store_create makes. */
int kho_store_create_unnamed(const kho_store *store, const char *tag,
			     kho_store_file *file, kho_error *err);

/* Commits a file whose bytes the caller hashed as it wrote them: flushes,
 * fsyncs and renames it to sha256.  The handle is closed. */
int kho_store_commit_hashed(const kho_store *store, kho_store_file *file,
			    const char sha256[KHO_SHA256_HEX], kho_error *err);

/* Maps a stored object (common/fsutil.h: its pages are read as they are
 * used) and checks, a piece at a time, that it still hashes to its name:
 * a damaged store object fails here instead of going into a result. */
int kho_store_map(const kho_store *store, const char *sha256, uint64_t max,
		  kho_file_map *map, kho_error *err);

/* Removes temporary files left by an interrupted run; *count receives
 * how many. */
int kho_store_clean(const kho_store *store, int *count, kho_error *err);

/* Checks that a stored object is there and still hashes to its name. */
int kho_store_verify(const kho_store *store, const char *sha256,
		     kho_error *err);

#endif
