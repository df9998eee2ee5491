#include "pack/volume_verify.h"
#include "common/fsutil.h"
#include "common/hash.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (1u << 20)
/* Tag files are kept in memory for the bag checks; none comes near. */
#define MAX_TAG_BYTES (64u << 20)

const char *kho_problem_name(kho_problem_kind kind)
{
	static const char *const names[] = {"missing", "extra", "altered",
					    "damaged", "bag",	  "shard"};
	return (size_t)kind < KHO_ARRAY_SIZE(names) ? names[kind] : "problem";
}

/* What was found of one member of the index. */
typedef struct found {
	const kho_archive_row *row;
	int seen;     /* its bytes were read */
	int reported; /* already named as altered or missing */
	uint64_t size;
	char sha256[KHO_SHA256_HEX];
	char sha512[KHO_SHA512_HEX];
	char *content; /* tag files only */
	size_t len;
} found;

typedef struct verifier {
	const char *path;
	const char *name; /* of the volume, for messages */
	const kho_verify_hooks *hooks;
	kho_verify_counts *counts;
	found *members; /* sorted by member name */
	size_t n;
	uint8_t *buf;
	int fd;
	/* the whole file, as libarchive reads it (tar) or in a pass (zip) */
	kho_hash *file_hash;
	uint64_t done, total;
	uint64_t problems; /* of this volume */
} verifier;

static void problem(verifier *v, kho_problem_kind kind, const char *member,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void problem(verifier *v, kho_problem_kind kind, const char *member,
		    const char *fmt, ...)
{
	char detail[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	const kho_verify_problem p = {kind, v->name, member, detail};
	v->counts->problems++;
	v->problems++;
	if (v->hooks && v->hooks->problem)
		v->hooks->problem(v->hooks->ctx, &p);
}

/* n more bytes read; counted once per volume (a zip is read twice). */
static void progress(verifier *v, uint64_t n, int first_pass)
{
	v->done += n;
	if (first_pass)
		v->counts->bytes += n;
	if (v->hooks && v->hooks->progress)
		v->hooks->progress(v->hooks->ctx, v->done, v->total);
}

static int by_member(const void *a, const void *b)
{
	return strcmp(((const found *)a)->row->m.member,
		      ((const found *)b)->row->m.member);
}

static found *find(verifier *v, const char *member)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		const size_t mid = lo + (hi - lo) / 2;
		const int c = strcmp(member, v->members[mid].row->m.member);
		if (c == 0)
			return &v->members[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int is_payload(const char *member)
{
	const char *const slash = strchr(member, '/');
	return slash && strncmp(slash + 1, "data/", 5) == 0;
}

/* ---- one member's bytes ---- */

typedef struct digest {
	kho_hash *h256, *h512;
	uint64_t size;
	found *f; /* where tag content goes, or NULL */
	size_t cap;
	int oom;
} digest;

static int digest_start(digest *d, found *f)
{
	memset(d, 0, sizeof(*d));
	d->h256 = kho_hash_new(KHO_SHA256);
	d->h512 = kho_hash_new(KHO_SHA512);
	if (f && !is_payload(f->row->m.member) &&
	    f->row->m.size <= MAX_TAG_BYTES) {
		/* a tag file, kept for the bag checks ("" when empty) */
		d->f = f;
		free(f->content);
		f->len = 0;
		f->content = calloc(1, 1);
		d->cap = 1;
		if (!f->content)
			return -1;
	}
	return d->h256 && d->h512 ? 0 : -1;
}

static void digest_add(digest *d, const void *data, size_t n)
{
	if (n == 0)
		return; /* libarchive may hand an empty block (no data) */
	kho_hash_update(d->h256, data, n);
	kho_hash_update(d->h512, data, n);
	d->size += n;
	if (!d->f || d->oom || d->f->len + n > MAX_TAG_BYTES)
		return;
	if (d->f->len + n + 1 > d->cap) {
		const size_t cap = (d->f->len + n + 1) * 2;
		char *const p = realloc(d->f->content, cap);
		if (!p) {
			d->oom = 1;
			return;
		}
		d->f->content = p;
		d->cap = cap;
	}
	memcpy(d->f->content + d->f->len, data, n);
	d->f->len += n;
	d->f->content[d->f->len] = '\0';
}

/* Ends the digest; with f, records what was found and names it when it
 * is not what the index says. */
static void digest_end(verifier *v, digest *d, found *f, const char *how)
{
	char sha256[KHO_SHA256_HEX], sha512[KHO_SHA512_HEX];
	kho_hash_final(d->h256, sha256);
	kho_hash_final(d->h512, sha512);
	if (!f)
		return;
	f->seen = 1;
	f->size = d->size;
	memcpy(f->sha256, sha256, sizeof(sha256));
	memcpy(f->sha512, sha512, sizeof(sha512));
	const kho_archive_member *const m = &f->row->m;
	v->counts->members++;
	if (f->reported)
		return;
	if (d->size != m->size) {
		f->reported = 1;
		problem(v, KHO_PROBLEM_ALTERED, m->member,
			"%s %llu bytes, the index says %llu", how,
			(unsigned long long)d->size,
			(unsigned long long)m->size);
	} else if (strcmp(sha256, m->sha256) != 0) {
		f->reported = 1;
		problem(v, KHO_PROBLEM_ALTERED, m->member,
			"%s SHA-256 %s, the index says %s", how, sha256,
			m->sha256);
	}
}

/* ---- the whole file ---- */

/* libarchive's source for a tar volume: the file, front to back, hashed
 * as it goes. */
static la_ssize_t tar_read(struct archive *a, void *ud, const void **out)
{
	verifier *const v = ud;
	for (;;) {
		const ssize_t n = read(v->fd, v->buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			archive_set_error(a, errno, "cannot read '%s': %s",
					  v->name, strerror(errno));
			return -1;
		}
		kho_hash_update(v->file_hash, v->buf, (size_t)n);
		progress(v, (uint64_t)n, 1);
		*out = v->buf;
		return n;
	}
}

/* The rest of the file after libarchive stopped, or all of it (zip). */
static int hash_rest(verifier *v, kho_error *err)
{
	for (;;) {
		const ssize_t n = read(v->fd, v->buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kho_error_errno(err, KHO_FATAL, "read", v->path);
		if (n == 0)
			return KHO_OK;
		kho_hash_update(v->file_hash, v->buf, (size_t)n);
		progress(v, (uint64_t)n, 1);
	}
}

/* ---- the walk through libarchive ---- */

static int is_zip(int fd)
{
	uint8_t magic[4] = {0};
	return pread(fd, magic, sizeof(magic), 0) == 4 &&
	       memcmp(magic, "PK\3\4", 4) == 0;
}

/* libarchive's message, or what to say when it has none. */
static const char *archive_why(struct archive *a, const char *fallback)
{
	const char *const msg = archive_error_string(a);
	return msg ? msg : fallback;
}

/* Reads every entry.  Where libarchive meets a header it cannot read, why
 * receives its message: the members it then never reaches are read by
 * their offsets (by_offset). */
static int walk(verifier *v, struct archive *a, char *why, size_t cap,
		kho_error *err)
{
	why[0] = '\0';
	struct archive_entry *e;
	for (;;) {
		const int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			return KHO_OK;
		if (r == ARCHIVE_RETRY || r == ARCHIVE_FAILED ||
		    r == ARCHIVE_FATAL) {
			/* tar goes on at the next valid header */
			if (!why[0])
				snprintf(why, cap, "%s",
					 archive_why(a, "unreadable header"));
			if (r == ARCHIVE_FATAL)
				return KHO_OK;
			continue;
		}
		const char *const name = archive_entry_pathname(e);
		found *const f = name ? find(v, name) : NULL;
		if (!f || f->seen) {
			problem(v, KHO_PROBLEM_EXTRA, name ? name : "?", "%s",
				f ? "a second member of this name"
				  : "not in the index");
			archive_read_data_skip(a);
			continue;
		}
		digest d;
		if (digest_start(&d, f) != 0) {
			kho_hash_free(d.h256);
			kho_hash_free(d.h512);
			return kho_error_set(err, KHO_FATAL, "out of memory");
		}
		const void *block;
		size_t size;
		la_int64_t offset;
		int rr;
		while ((rr = archive_read_data_block(a, &block, &size,
						     &offset)) == ARCHIVE_OK)
			digest_add(&d, block, size);
		char read_error[256] = "";
		if (rr != ARCHIVE_EOF)
			snprintf(read_error, sizeof(read_error), "%s",
				 archive_why(a, "read error"));
		const int oom = d.oom;
		digest_end(v, &d, f, "it holds");
		if (oom)
			return kho_error_set(err, KHO_FATAL, "out of memory");
		/* A zip member whose CRC-32 fails while its bytes are the
		 * index's: its header or the directory was altered. */
		if (read_error[0] && !f->reported) {
			f->reported = 1;
			problem(v, KHO_PROBLEM_DAMAGED, name,
				"its data is intact but cannot be read "
				"cleanly: %s",
				read_error);
		}
		if (rr == ARCHIVE_FATAL) {
			snprintf(why, cap, "%s", read_error);
			return KHO_OK;
		}
	}
}

/* The members libarchive did not reach, read at their index offsets, in
 * the volume's order. */
static int by_offset(verifier *v, const kho_archive_row *index, const char *why,
		     kho_error *err)
{
	int first = 1, any_seen = 0;
	for (size_t i = 0; i < v->n; i++)
		any_seen |= v->members[i].seen;
	if (why[0] && !any_seen) {
		problem(v, KHO_PROBLEM_DAMAGED, NULL,
			"cannot be read as an archive (%s): its members are "
			"checked at the index's offsets",
			why);
		first = 0;
	}
	for (size_t i = 0; i < v->n; i++) {
		found *const f = find(v, index[i].m.member);
		if (!f || f->seen || f->reported)
			continue;
		if (!why[0]) {
			/* libarchive read to the end without meeting it */
			f->reported = 1;
			problem(v, KHO_PROBLEM_MISSING, f->row->m.member,
				"the volume has no member of this name");
			continue;
		}
		if (first) {
			problem(v, KHO_PROBLEM_DAMAGED, f->row->m.member,
				"its header cannot be read: %s", why);
			first = 0;
		}
		digest d;
		if (digest_start(&d, f) != 0) {
			kho_hash_free(d.h256);
			kho_hash_free(d.h512);
			return kho_error_set(err, KHO_FATAL, "out of memory");
		}
		uint64_t off = f->row->m.offset, left = f->row->m.size;
		while (left > 0) {
			const size_t want = left < CHUNK ? (size_t)left : CHUNK;
			const ssize_t got =
				pread(v->fd, v->buf, want, (off_t)off);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;
			digest_add(&d, v->buf, (size_t)got);
			off += (uint64_t)got;
			left -= (uint64_t)got;
		}
		const int oom = d.oom;
		digest_end(v, &d, f, "at its offset it holds");
		if (oom)
			return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	return KHO_OK;
}

/* ---- the bags ---- */

/* The tag file of a bag, when it was read and is as the index says. */
static const found *tag_file(verifier *v, const char *bag, const char *name)
{
	char member[600];
	snprintf(member, sizeof(member), "%s/%s", bag, name);
	const found *const f = find(v, member);
	return f && f->seen && !f->reported && f->content ? f : NULL;
}

/* One line of a manifest: "<digest>  <path>", %-escapes undone. */
static int manifest_line(char *line, char **digest_hex, char **path)
{
	char *sp = strchr(line, ' ');
	if (!sp)
		return 0;
	*sp++ = '\0';
	while (*sp == ' ')
		sp++;
	if (!*sp)
		return 0;
	*digest_hex = line;
	*path = sp;
	char *o = sp;
	for (const char *p = sp; *p; p++) {
		if (p[0] == '%' && p[1] == '0' &&
		    (p[2] == 'A' || p[2] == 'D')) {
			*o++ = p[2] == 'A' ? '\n' : '\r';
			p += 2;
		} else if (p[0] == '%' && p[1] == '2' && p[2] == '5') {
			*o++ = '%';
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return 1;
}

/* Checks one manifest of a bag against the members' digests; tags:
 * a tag manifest (its entries are tag files, all of them but the tag
 * manifests must be listed) or a payload manifest (data/, every payload
 * file listed). */
static void check_manifest(verifier *v, const char *bag, const char *name,
			   int sha512, int tags)
{
	const found *const mf = tag_file(v, bag, name);
	if (!mf)
		return; /* missing or altered: named already */
	char *const text = strdup(mf->content);
	if (!text)
		return;
	const size_t bag_len = strlen(bag);
	/* which members of the bag the manifest names */
	char *listed = calloc(v->n ? v->n : 1, 1);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); listed && line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (!n)
			continue;
		char *hex, *path;
		if (!manifest_line(line, &hex, &path)) {
			problem(v, KHO_PROBLEM_BAG, mf->row->m.member,
				"a line that is not 'DIGEST  PATH'");
			continue;
		}
		char member[600];
		snprintf(member, sizeof(member), "%s/%s", bag, path);
		found *const f = find(v, member);
		if (!f || (!f->seen && !f->reported)) {
			problem(v, KHO_PROBLEM_BAG, mf->row->m.member,
				"names '%s', which the bag does not hold",
				path);
			continue;
		}
		listed[f - v->members] = 1;
		if (f->reported || !f->seen)
			continue;
		const char *const got = sha512 ? f->sha512 : f->sha256;
		if (strcasecmp(hex, got) != 0)
			problem(v, KHO_PROBLEM_BAG, f->row->m.member,
				"%s says %.16s..., the member hashes to "
				"%.16s...",
				name, hex, got);
	}
	/* every file of the kind this manifest covers is in it */
	for (size_t i = 0; listed && i < v->n; i++) {
		const char *const m = v->members[i].row->m.member;
		if (strncmp(m, bag, bag_len) != 0 || m[bag_len] != '/' ||
		    listed[i])
			continue;
		const char *const rel = m + bag_len + 1;
		const int payload = strncmp(rel, "data/", 5) == 0;
		if (tags ? (!payload && strncmp(rel, "tagmanifest-", 12) != 0)
			 : payload)
			problem(v, KHO_PROBLEM_BAG, m, "not in %s", name);
	}
	free(listed);
	free(text);
}

static void check_oxum(verifier *v, const char *bag)
{
	const found *const info = tag_file(v, bag, "bag-info.txt");
	if (!info)
		return;
	const char *const at = strstr(info->content, "Payload-Oxum:");
	unsigned long long bytes = 0, files = 0;
	if (!at || sscanf(at, "Payload-Oxum: %llu.%llu", &bytes, &files) != 2) {
		problem(v, KHO_PROBLEM_BAG, info->row->m.member,
			"no Payload-Oxum");
		return;
	}
	unsigned long long have_bytes = 0, have_files = 0;
	const size_t bag_len = strlen(bag);
	for (size_t i = 0; i < v->n; i++) {
		const found *const f = &v->members[i];
		const char *const m = f->row->m.member;
		if (strncmp(m, bag, bag_len) == 0 && m[bag_len] == '/' &&
		    strncmp(m + bag_len + 1, "data/", 5) == 0 && f->seen) {
			have_bytes += f->size;
			have_files++;
		}
	}
	if (bytes != have_bytes || files != have_files)
		problem(v, KHO_PROBLEM_BAG, info->row->m.member,
			"Payload-Oxum %llu.%llu, the payload is %llu.%llu",
			bytes, files, have_bytes, have_files);
}

static void check_bag(verifier *v, const char *bag)
{
	/* RFC 8493's and kho's; a tagmanifest-sha512.txt is checked when
	 * there is one (bags of kho before 0.2 have none). */
	static const char *const required[] = {
		"bagit.txt",
		"bag-info.txt",
		"manifest-sha256.txt",
		"manifest-sha512.txt",
		"tagmanifest-sha256.txt",
	};
	v->counts->bags++;
	for (size_t i = 0; i < KHO_ARRAY_SIZE(required); i++) {
		char member[600];
		snprintf(member, sizeof(member), "%s/%s", bag, required[i]);
		if (!find(v, member))
			problem(v, KHO_PROBLEM_BAG, member, "the bag has no %s",
				required[i]);
	}
	const found *const bagit = tag_file(v, bag, "bagit.txt");
	if (bagit &&
	    strcmp(bagit->content, "BagIt-Version: 1.0\n"
				   "Tag-File-Character-Encoding: UTF-8\n") != 0)
		problem(v, KHO_PROBLEM_BAG, bagit->row->m.member,
			"not BagIt 1.0 in UTF-8");
	check_manifest(v, bag, "manifest-sha256.txt", 0, 0);
	check_manifest(v, bag, "manifest-sha512.txt", 1, 0);
	check_manifest(v, bag, "tagmanifest-sha256.txt", 0, 1);
	check_manifest(v, bag, "tagmanifest-sha512.txt", 1, 1);
	check_oxum(v, bag);
}

static void check_bags(verifier *v)
{
	/* the index's bags, in member order: each bag's members are
	 * adjacent once sorted by name */
	char last[600] = "";
	for (size_t i = 0; i < v->n; i++) {
		const char *const bag = v->members[i].row->bag;
		if (strcmp(bag, last) == 0)
			continue;
		snprintf(last, sizeof(last), "%s", bag);
		check_bag(v, bag);
	}
}

/* ---- the volume ---- */

static int open_archive(verifier *v, int zip, struct archive **out,
			kho_error *err)
{
	struct archive *const a = archive_read_new();
	if (!a)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	int r;
	if (zip) {
		r = archive_read_support_format_zip_seekable(a);
		if (r == ARCHIVE_OK)
			r = archive_read_open_filename(a, v->path, CHUNK);
	} else {
		r = archive_read_support_format_tar(a);
		if (r == ARCHIVE_OK)
			r = archive_read_open(a, v, NULL, tar_read, NULL);
	}
	*out = a;
	return r == ARCHIVE_OK ? 0 : -1;
}

static void verifier_release(verifier *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->members[i].content);
	free(v->members);
	free(v->buf);
	kho_hash_free(v->file_hash);
	if (v->fd >= 0)
		close(v->fd);
}

int kho_verify_volume(const char *path, const kho_volume_row *vol,
		      const kho_archive_row *index, size_t n,
		      const kho_verify_hooks *hooks, kho_verify_counts *counts,
		      kho_error *err)
{
	verifier v = {
		.path = path,
		.name = vol->name,
		.hooks = hooks,
		.counts = counts,
		.n = n,
		.fd = -1,
	};
	v.members = calloc(n ? n : 1, sizeof(*v.members));
	v.buf = malloc(CHUNK);
	v.file_hash = kho_hash_new(KHO_SHA256);
	if (!v.members || !v.buf || !v.file_hash) {
		verifier_release(&v);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		v.members[i].row = &index[i];
	qsort(v.members, n, sizeof(*v.members), by_member);
	v.fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (v.fd < 0 || fstat(v.fd, &st) != 0) {
		const int rc = kho_error_errno(err, KHO_FATAL, "read", path);
		verifier_release(&v);
		return rc;
	}
	const int zip = is_zip(v.fd);
	/* zip is read twice: once whole, once through its directory */
	v.total = (uint64_t)st.st_size * (zip ? 2 : 1);
	if ((uint64_t)st.st_size != vol->size)
		problem(&v, KHO_PROBLEM_DAMAGED, NULL,
			"the volume is %llu bytes, the index says %llu",
			(unsigned long long)st.st_size,
			(unsigned long long)vol->size);

	int rc = zip ? hash_rest(&v, err) : KHO_OK;
	struct archive *a = NULL;
	char why[512] = "";
	if (rc == KHO_OK) {
		if (open_archive(&v, zip, &a, err) != 0)
			snprintf(why, sizeof(why), "%s",
				 a && archive_error_string(a)
					 ? archive_error_string(a)
					 : "not a tar or zip archive");
		else
			rc = walk(&v, a, why, sizeof(why), err);
	}
	if (a) {
		if (zip)
			progress(&v, (uint64_t)st.st_size, 0);
		archive_read_free(a);
	}
	if (rc == KHO_OK && !zip)
		rc = hash_rest(&v, err);
	if (rc == KHO_OK)
		rc = by_offset(&v, index, why, err);
	if (rc == KHO_OK)
		check_bags(&v);
	if (rc == KHO_OK) {
		char sha[KHO_SHA256_HEX];
		kho_hash_final(v.file_hash, sha);
		v.file_hash = NULL;
		if (strcmp(sha, vol->sha256) != 0)
			problem(&v, KHO_PROBLEM_DAMAGED, NULL,
				"the volume's SHA-256 is %s, the index says "
				"%s%s",
				sha, vol->sha256,
				v.problems ? ""
					   : ": it was altered outside the "
					     "members' data (a header, padding "
					     "or the zip directory)");
	}
	verifier_release(&v);
	return rc;
}
