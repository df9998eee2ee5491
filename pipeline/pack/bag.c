#include "pack/bag.h"
#include "common/hash.h"

#include <stdarg.h>

uint64_t kho_bag_estimate(const kho_bag_payload *files, size_t n)
{
	/* a tar header and padding per member, and the tag files */
	uint64_t total = 6 * 1024 + 8 * 1024;
	for (size_t i = 0; i < n; i++)
		total += 1024 + ((files[i].size + 511) / 512) * 512 + 256;
	return total;
}

typedef struct text {
	char *s;
	size_t len;
	size_t cap;
	int oom;
} text;

static void add(text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add(text *t, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->s ? t->s + t->len : NULL,
				  t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = 1;
			return;
		}
		if (t->s && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = (t->cap + (size_t)n + 1) * 2;
		char *p = realloc(t->s, cap);
		if (!p) {
			t->oom = 1;
			return;
		}
		t->s = p;
		t->cap = cap;
	}
}

/* A tag value on one line: line breaks would start a new tag. */
static void clean_value(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	for (; *in && o + 1 < cap; in++)
		out[o++] = (*in == '\n' || *in == '\r') ? ' ' : *in;
	out[o] = '\0';
}

static void human_size(uint64_t bytes, char *out, size_t cap)
{
	static const char *const units[] = {"bytes", "KB", "MB", "GB", "TB"};
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1000 && u + 1 < KHO_ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%llu bytes", (unsigned long long)bytes);
	else
		snprintf(out, cap, "%.1f %s", v, units[u]);
}

static int push(kho_archive_member **list, size_t *n, size_t *cap,
		const kho_archive_member *m, kho_error *err)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		kho_archive_member *p = realloc(*list, *cap * sizeof(*p));
		if (!p)
			return kho_error_set(err, KHO_FATAL, "out of memory");
		*list = p;
	}
	(*list)[(*n)++] = *m;
	return KHO_OK;
}

/* A tag file into the volume and, unless it is a tag manifest, into both
 * tag manifests (RFC 8493 2.2.1: the payload manifests' algorithms). */
static int add_tag(kho_volume *v, const char *bag, const char *name,
		   const text *t, text *tagm256, text *tagm512,
		   kho_archive_member **list, size_t *n, size_t *cap,
		   kho_error *err)
{
	if (t->oom)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	char member[512];
	snprintf(member, sizeof(member), "%s/%s", bag, name);
	kho_archive_member m;
	int rc = kho_volume_add_bytes(v, member, t->s ? t->s : "", t->len, &m,
				      err);
	if (rc == KHO_OK)
		rc = push(list, n, cap, &m, err);
	if (rc == KHO_OK && tagm256) {
		kho_hash *h = kho_hash_new(KHO_SHA512);
		if (!h)
			return kho_error_set(err, KHO_FATAL, "out of memory");
		char sha512[KHO_SHA512_HEX];
		kho_hash_update(h, t->s ? t->s : "", t->len);
		kho_hash_final(h, sha512);
		add(tagm256, "%s  %s\n", m.sha256, name);
		add(tagm512, "%s  %s\n", sha512, name);
	}
	return rc;
}

int kho_bag_write(kho_volume *v, const kho_store *store, const char *bag,
		  const kho_bag_info *info, const kho_bag_payload *files,
		  size_t n, kho_archive_member **members, size_t *n_members,
		  kho_error *err)
{
	*members = NULL;
	*n_members = 0;
	size_t cap = 0;
	text m256 = {0}, m512 = {0}, bagit = {0}, baginfo = {0}, tagm = {0},
	     tagm512 = {0};
	uint64_t oxum_bytes = 0;
	int rc = KHO_OK;
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		char src[4200], member[512];
		rc = kho_store_path(store, files[i].sha256, src, sizeof(src),
				    err);
		if (rc)
			break;
		snprintf(member, sizeof(member), "%s/%s", bag, files[i].path);
		kho_archive_member m;
		char sha512[KHO_SHA512_HEX];
		rc = kho_volume_add_file(v, member, src, files[i].sha256,
					 files[i].sha512[0] ? files[i].sha512
							    : NULL,
					 &m, sha512, err);
		if (rc == KHO_OK)
			rc = push(members, n_members, &cap, &m, err);
		if (rc)
			break; /* m and sha512 may hold nothing */
		add(&m256, "%s  %s\n", m.sha256, files[i].path);
		add(&m512, "%s  %s\n", sha512, files[i].path);
		oxum_bytes += m.size;
	}

	add(&bagit, "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");
	char org[256], ext[256], desc[512], size[32];
	clean_value(info->source_organization, org, sizeof(org));
	clean_value(info->external_identifier, ext, sizeof(ext));
	clean_value(info->description, desc, sizeof(desc));
	human_size(oxum_bytes, size, sizeof(size));
	add(&baginfo,
	    "Source-Organization: %s\n"
	    "Bagging-Date: %s\n"
	    "External-Identifier: %s\n"
	    "External-Description: %s\n"
	    "Payload-Oxum: %llu.%zu\n"
	    "Bag-Size: %s\n"
	    "Kho-Record-Id: %s\n"
	    "Kho-Record-Version: %d\n"
	    "Kho-Archive-Version: %d\n",
	    org, info->bagging_date, ext, desc, (unsigned long long)oxum_bytes,
	    n, size, info->record_id, info->record_version,
	    info->archive_version);

	if (rc == KHO_OK)
		rc = add_tag(v, bag, "manifest-sha256.txt", &m256, &tagm,
			     &tagm512, members, n_members, &cap, err);
	if (rc == KHO_OK)
		rc = add_tag(v, bag, "manifest-sha512.txt", &m512, &tagm,
			     &tagm512, members, n_members, &cap, err);
	if (rc == KHO_OK)
		rc = add_tag(v, bag, "bagit.txt", &bagit, &tagm, &tagm512,
			     members, n_members, &cap, err);
	if (rc == KHO_OK)
		rc = add_tag(v, bag, "bag-info.txt", &baginfo, &tagm, &tagm512,
			     members, n_members, &cap, err);
	if (rc == KHO_OK)
		rc = add_tag(v, bag, "tagmanifest-sha256.txt", &tagm, NULL,
			     NULL, members, n_members, &cap, err);
	if (rc == KHO_OK)
		rc = add_tag(v, bag, "tagmanifest-sha512.txt", &tagm512, NULL,
			     NULL, members, n_members, &cap, err);
	free(m256.s);
	free(m512.s);
	free(bagit.s);
	free(baginfo.s);
	free(tagm.s);
	free(tagm512.s);
	if (rc) {
		free(*members);
		*members = NULL;
		*n_members = 0;
	}
	return rc;
}
