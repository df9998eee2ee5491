/* File-system helpers: every write kho keeps goes through a temporary file
 * that is fsynced and renamed, then the directory is fsynced, so that a
 * crash leaves either the old state or the new one. */
#ifndef KHO_FSUTIL_H
#define KHO_FSUTIL_H

#include "common/internal.h"

#include <stdio.h>
#include <sys/types.h>

/* snprintf into a path buffer; fails (KHO_FAIL) when the path is cut. */
int kho_path_join(char *out, size_t cap, kho_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* mkdir -p with mode 0777 & ~umask; existing directories are fine. */
int kho_mkdir_p(const char *path, kho_error *err);

int kho_fsync_dir(const char *dir, kho_error *err);

/* fsync(fd) and report failure with the path. */
int kho_fsync_fd(int fd, const char *path, kho_error *err);

/* Reads a whole regular file (at most max bytes) into a malloc'd buffer
 * the caller frees. */
int kho_read_file(const char *path, uint64_t max, uint8_t **data,
		  size_t *size, kho_error *err);

/* A regular file mapped read-only.  Its pages are read when touched and
 * kho_file_map_drop lets them go again, so a 200-page TIFF costs a
 * worker the memory of the page it is decoding, not of the file.  Map
 * only files nobody truncates (kho's own: store objects, its temporary
 * files): a mapped file cut short under kho raises SIGBUS. */
typedef struct kho_file_map {
	const uint8_t *data; /* size bytes; not NULL, even for an empty file */
	size_t size;
	void *base;          /* the mapping, NULL for an empty file */
} kho_file_map;

#define KHO_FILE_MAP_INIT { .data = NULL, .size = 0, .base = NULL }

/* Maps fd (a regular file of at most max bytes); path names it in
 * messages.  fd may be closed afterwards. */
int kho_file_map_fd(int fd, const char *path, uint64_t max, kho_file_map *m,
		    kho_error *err);
/* Opens and maps path (not following a symbolic link). */
int kho_file_map_open(const char *path, uint64_t max, kho_file_map *m,
		 kho_error *err);
/* Lets go of the pages of [off, off + len) held in memory; touching them
 * again reads them back from the file. */
void kho_file_map_drop(const kho_file_map *m, size_t off, size_t len);
void kho_file_map_release(kho_file_map *m);

/* Writes all of buf to fd, retrying short writes. */
int kho_write_all(int fd, const void *buf, size_t len, const char *path,
		  kho_error *err);

/* Creates a new temporary file in dir (named ".tmp-<tag>-XXXXXX"), open
 * for writing; path receives its name. */
int kho_tmpfile(const char *dir, const char *tag, char *path, size_t cap,
		int *fd, kho_error *err);

/* fsync a finished temporary file, rename it to dest and fsync dest's
 * directory.  On failure the temporary file is removed. */
int kho_commit_tmpfile(int fd, const char *tmp, const char *dest,
		       kho_error *err);

/* Writes buf to dest atomically (temporary file in the same directory). */
int kho_write_file_atomic(const char *dest, const void *buf, size_t len,
			  kho_error *err);

/* 1 when path exists (any type), 0 when not. */
int kho_exists(const char *path);

/* Message for a failed system call: "cannot OP 'PATH': strerror(errno)";
 * ENOSPC and EDQUOT are KHO_FATAL (the run cannot go on), others code. */
int kho_error_errno(kho_error *err, int code, const char *op,
		    const char *path);

#endif
