#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "testutil.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/internal.h"
#include "catalog/catalog.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *kt_tempdir(const char *tag)
{
	static char path[4096];
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	snprintf(path, sizeof(path), "%s/kho-test-%s-XXXXXX", base, tag);
	if (!mkdtemp(path)) {
		fprintf(stderr, "cannot make a temporary directory: %s\n",
			strerror(errno));
		abort();
	}
	return path;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void kt_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

uint8_t *kt_read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0) {
		fclose(f);
		return NULL;
	}
	long n = ftell(f);
	rewind(f);
	uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf)
		*size = (size_t)n;
	return buf;
}

int kt_write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t n = fwrite(data, 1, size, f);
	return fclose(f) == 0 && n == size ? 0 : -1;
}

int kt_have_realdata(void)
{
	struct stat st;
	if (stat(KHO_REALDATA, &st) == 0 && S_ISDIR(st.st_mode))
		return 1;
	printf("skipped: %s is absent (tests on real third-party files need "
	       "../shared/realdata beside the checkout)\n", KHO_REALDATA);
	return 0;
}

struct kho_catalog *kt_catalog_new(const char *path)
{
	kho_catalog *cat = NULL;
	kho_error err = KHO_ERROR_INIT;
	if (kho_catalog_open(&cat, path, KHO_CATALOG_CREATE, "test", NULL,
			     &err) != KHO_OK)
		fail_msg("%s: %s", path, err.msg);
	return cat;
}
