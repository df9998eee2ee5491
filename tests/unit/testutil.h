/* Helpers shared by the unit tests: every test works in its own temporary
 * directory, and tests that need ../shared/realdata skip without it. */
#ifndef KHO_TESTUTIL_H
#define KHO_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Makes a fresh directory under $TMPDIR (or /tmp) and returns its path
 * (static storage, valid until the next call). */
const char *kt_tempdir(const char *tag);

/* Removes a directory tree made by kt_tempdir(). */
void kt_rmtree(const char *path);

/* Reads a whole file into a malloc'd buffer; NULL on failure. */
uint8_t *kt_read_file(const char *path, size_t *size);

/* Writes a buffer to a file; 0 on success. */
int kt_write_file(const char *path, const void *data, size_t size);

/* 1 when ../shared/realdata is present; otherwise prints why tests skip. */
int kt_have_realdata(void);

/* A new catalog at path (created, migrated), opened for "test"; the test
 * fails when it cannot be. */
struct kho_catalog;
struct kho_catalog *kt_catalog_new(const char *path);

/* UNDER_ASAN: 1 in a build with AddressSanitizer (GCC's or clang's),
 * whose allocator and shadow memory change what memory figures mean. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#endif
