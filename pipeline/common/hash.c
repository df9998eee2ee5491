#include "common/hash.h"
#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

struct kho_hash {
	EVP_MD_CTX *ctx;
};

kho_hash *kho_hash_new(kho_hash_kind kind)
{
	kho_hash *h = malloc(sizeof(*h));
	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	const EVP_MD *md = kind == KHO_SHA512 ? EVP_sha512() : EVP_sha256();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return NULL;
	}
	return h;
}

void kho_hash_update(kho_hash *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void kho_hash_final(kho_hash *h, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	EVP_DigestFinal_ex(h->ctx, md, &len);
	for (unsigned int i = 0; i < len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * len] = '\0';
	kho_hash_free(h);
}

void kho_hash_free(kho_hash *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void kho_sha256_hex(const void *data, size_t len, char hex[KHO_SHA256_HEX])
{
	kho_hash *h = kho_hash_new(KHO_SHA256);
	assert(h);
	kho_hash_update(h, data, len);
	kho_hash_final(h, hex);
}

int kho_hash_file(const char *path, char sha256[KHO_SHA256_HEX],
		  char *sha512, uint64_t *size, kho_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kho_error_errno(err, KHO_FAIL, "open", path);
	kho_hash *h256 = kho_hash_new(KHO_SHA256);
	kho_hash *h512 = sha512 ? kho_hash_new(KHO_SHA512) : NULL;
	if (!h256 || (sha512 && !h512)) {
		kho_hash_free(h256);
		kho_hash_free(h512);
		close(fd);
		return kho_error_set(err, KHO_FATAL, "cannot start a digest");
	}
	enum { CHUNK = 1 << 17 };
	uint8_t *buf = malloc(CHUNK);
	uint64_t total = 0;
	int rc = buf ? KHO_OK
		     : kho_error_set(err, KHO_FATAL, "out of memory");
	while (rc == KHO_OK) {
		ssize_t n = read(fd, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = kho_error_errno(err, KHO_FAIL, "read", path);
			break;
		}
		if (n == 0)
			break;
		kho_hash_update(h256, buf, (size_t)n);
		if (h512)
			kho_hash_update(h512, buf, (size_t)n);
		total += (uint64_t)n;
	}
	free(buf);
	close(fd);
	if (rc != KHO_OK) {
		kho_hash_free(h256);
		kho_hash_free(h512);
		return rc;
	}
	kho_hash_final(h256, sha256);
	if (h512)
		kho_hash_final(h512, sha512);
	if (size)
		*size = total;
	return KHO_OK;
}
