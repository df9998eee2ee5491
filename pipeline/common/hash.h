/* SHA-256 and SHA-512 through OpenSSL's libcrypto, as lower-case hex. */
#ifndef KHO_HASH_H
#define KHO_HASH_H

#include "common/internal.h"

#define KHO_SHA256_HEX 65 /* 64 hex digits and NUL */
#define KHO_SHA512_HEX 129

typedef struct kho_hash kho_hash;

typedef enum kho_hash_kind { KHO_SHA256, KHO_SHA512 } kho_hash_kind;

kho_hash *kho_hash_new(kho_hash_kind kind);
void kho_hash_update(kho_hash *h, const void *data, size_t len);
/* Writes the hex digest (KHO_SHA256_HEX or KHO_SHA512_HEX bytes) and
 * frees the hash. */
void kho_hash_final(kho_hash *h, char *hex);
void kho_hash_free(kho_hash *h);

/* One-shot SHA-256 of a buffer, as hex. */
void kho_sha256_hex(const void *data, size_t len, char hex[KHO_SHA256_HEX]);

/* SHA-256 (and optionally SHA-512) of a file's contents; size receives the
 * byte count. */
int kho_hash_file(const char *path, char sha256[KHO_SHA256_HEX],
		  char *sha512, uint64_t *size, kho_error *err);

#endif
