/*
 * Warehouse volumes, zip beside tar: a bag written into a volume reads
 * back through libarchive with every member stored as it is, at the offset
 * the index records; verify finds nothing wrong with it and names an
 * altered, a missing or an extra member; extract gives the files back
 * byte for byte and refuses an altered member or an existing file.  Also
 * pack's own steps: the check of a volume just written, and a file
 * streamed in with the SHA-512 ingest took of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/internal.h"
#include "common/hash.h"
#include "pack/bag.h"
#include "pack/member_read.h"
#include "pack/volume_extract.h"
#include "pack/volume_verify.h"
#include "store/store.h"
#include "testutil.h"

#define REC "HT-2021-00042"
#define BAG REC ".1"

/* A volume of one bag, its index rows and the files in it. */
typedef struct fixture {
	char dir[4096];
	char path[4200];
	kho_volume_row vol;
	kho_archive_row *rows;
	size_t n;
	uint8_t *pdf, *meta;
	size_t pdf_size, meta_size;
} fixture;

static uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
	return p;
}

static void make_volume(fixture *fx, kho_volume_format format)
{
	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "%s", kt_tempdir("volume"));
	char store_dir[4200];
	snprintf(store_dir, sizeof(store_dir), "%s/store", fx->dir);
	kho_store store;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_store_init(&store, store_dir, &err), KHO_OK);

	fx->pdf_size = 300001; /* not a multiple of 512: padding */
	fx->pdf = pattern(fx->pdf_size, 1);
	const char meta[] = "{\"schema\": \"kho-metadata/1\", \"title\": "
			    "\"Trích lục khai sinh\"}\n";
	fx->meta_size = sizeof(meta) - 1;
	fx->meta = malloc(fx->meta_size);
	memcpy(fx->meta, meta, fx->meta_size);
	kho_bag_payload files[2] = {
		{"data/" REC "/result.pdf", "", "", fx->pdf_size},
		{"data/" REC "/metadata.json", "", "", fx->meta_size},
	};
	kho_sha256_hex(fx->pdf, fx->pdf_size, files[0].sha256);
	kho_sha256_hex(fx->meta, fx->meta_size, files[1].sha256);
	assert_int_equal(kho_store_put(&store, fx->pdf, fx->pdf_size,
				       files[0].sha256, &err),
			 KHO_OK);
	assert_int_equal(kho_store_put(&store, fx->meta, fx->meta_size,
				       files[1].sha256, &err),
			 KHO_OK);

	snprintf(fx->vol.name, sizeof(fx->vol.name), "vol-000001.%s",
		 kho_volume_format_ext(format));
	snprintf(fx->vol.state, sizeof(fx->vol.state), "sealed");
	char part[4300];
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, fx->vol.name);
	snprintf(part, sizeof(part), "%s.part", fx->path);
	kho_volume *v = NULL;
	assert_int_equal(kho_volume_create(&v, part, format, &err), KHO_OK);
	const kho_bag_info info = {
		"Archives of Da Nang", "desk-1/2026-11-30", "a test", REC, 1, 1,
		"2026-11-30"};
	kho_archive_member *members = NULL;
	size_t n = 0;
	assert_int_equal(kho_bag_write(v, &store, BAG, &info, files, 2,
				       &members, &n, &err),
			 KHO_OK);
	assert_int_equal(kho_volume_finish(v, &err), KHO_OK);
	assert_int_equal(kho_volume_check(part, members, n, fx->vol.sha256,
					  &fx->vol.size, &err),
			 KHO_OK);
	assert_int_equal(rename(part, fx->path), 0);
	chmod(fx->path, 0644);
	fx->rows = calloc(n, sizeof(*fx->rows));
	for (size_t i = 0; i < n; i++) {
		snprintf(fx->rows[i].volume, sizeof(fx->rows[i].volume), "%s",
			 fx->vol.name);
		snprintf(fx->rows[i].bag, sizeof(fx->rows[i].bag), BAG);
		fx->rows[i].version = 1;
		fx->rows[i].m = members[i];
	}
	fx->n = n;
	free(members);
}

static void release(fixture *fx)
{
	kt_rmtree(fx->dir);
	free(fx->rows);
	free(fx->pdf);
	free(fx->meta);
}

static const kho_archive_row *row(const fixture *fx, const char *suffix)
{
	for (size_t i = 0; i < fx->n; i++) {
		const char *m = fx->rows[i].m.member;
		const size_t a = strlen(m), b = strlen(suffix);
		if (a >= b && strcmp(m + a - b, suffix) == 0)
			return &fx->rows[i];
	}
	fail_msg("no member ending in %s", suffix);
	return NULL;
}

/* Problems verify reports, as "kind member" lines. */
typedef struct seen {
	char text[4096];
	int n;
} seen;

static void collect(void *ctx, const kho_verify_problem *p)
{
	seen *s = ctx;
	const size_t len = strlen(s->text);
	snprintf(s->text + len, sizeof(s->text) - len, "%s %s: %s\n",
		 kho_problem_name(p->kind), p->member ? p->member : "-",
		 p->detail);
	s->n++;
}

static seen verify(const fixture *fx)
{
	seen s = {"", 0};
	const kho_verify_hooks hooks = {collect, NULL, &s};
	kho_verify_counts c = {0};
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_verify_volume(fx->path, &fx->vol, fx->rows, fx->n,
					   &hooks, &c, &err),
			 KHO_OK);
	assert_int_equal(c.problems, (uint64_t)s.n);
	return s;
}

static void flip(const char *path, uint64_t at)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, (long)at, SEEK_SET);
	const int c = fgetc(f);
	fseek(f, (long)at, SEEK_SET);
	fputc(c ^ 0x10, f);
	fclose(f);
}

/* libarchive lists the bag's members, stored, with the bytes at the
 * index's offsets. */
static void test_zip_layout(void **state)
{
	(void)state;
	fixture fx;
	make_volume(&fx, KHO_VOLUME_ZIP);
	uint8_t magic[4];
	FILE *f = fopen(fx.path, "rb");
	assert_int_equal(fread(magic, 1, 4, f), 4);
	fclose(f);
	assert_memory_equal(magic, "PK\3\4", 4);
	struct archive *a = archive_read_new();
	archive_read_support_format_zip_seekable(a);
	assert_int_equal(archive_read_open_filename(a, fx.path, 65536),
			 ARCHIVE_OK);
	struct archive_entry *e;
	size_t entries = 0;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		entries++;
		assert_non_null(strstr(archive_entry_pathname(e), BAG "/"));
	}
	archive_read_free(a);
	assert_int_equal(entries, fx.n);
	/* a member is stored: its bytes lie at the offset, as they are */
	const int fd = open(fx.path, O_RDONLY);
	uint8_t *data = NULL;
	size_t size = 0;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_member_load(fd, fx.vol.name,
					 &row(&fx, "result.pdf")->m, 1u << 30,
					 &data, &size, &err),
			 KHO_OK);
	close(fd);
	assert_int_equal(size, fx.pdf_size);
	assert_memory_equal(data, fx.pdf, size);
	free(data);
	/* the six tag files of BagIt 1.0 with both algorithms */
	row(&fx, "/bagit.txt");
	row(&fx, "/bag-info.txt");
	row(&fx, "/manifest-sha256.txt");
	row(&fx, "/manifest-sha512.txt");
	row(&fx, "/tagmanifest-sha256.txt");
	row(&fx, "/tagmanifest-sha512.txt");
	release(&fx);
}

static void test_verify_clean_and_altered(void **state)
{
	(void)state;
	for (int z = 0; z < 2; z++) {
		fixture fx;
		make_volume(&fx, z ? KHO_VOLUME_ZIP : KHO_VOLUME_TAR);
		seen s = verify(&fx);
		if (s.n)
			fail_msg("%s", s.text);
		/* a byte of the PDF's data */
		const kho_archive_row *pdf = row(&fx, "result.pdf");
		flip(fx.path, pdf->m.offset + 1000);
		s = verify(&fx);
		assert_non_null(strstr(s.text, "altered " BAG "/data/" REC
					       "/result.pdf"));
		assert_non_null(strstr(s.text, "damaged -: the volume's "
					       "SHA-256"));
		flip(fx.path, pdf->m.offset + 1000);
		/* a byte of bag-info.txt: the member and its tag manifests */
		const kho_archive_row *info = row(&fx, "bag-info.txt");
		flip(fx.path, info->m.offset + 3);
		s = verify(&fx);
		assert_non_null(strstr(s.text, "altered " BAG "/bag-info.txt"));
		flip(fx.path, info->m.offset + 3);
		/* the index with a member the volume lacks, and without one
		 * it holds */
		kho_archive_row *rows = calloc(fx.n + 1, sizeof(*rows));
		memcpy(rows, fx.rows, fx.n * sizeof(*rows));
		rows[fx.n] = rows[0];
		snprintf(rows[fx.n].m.member, sizeof(rows[fx.n].m.member),
			 BAG "/data/" REC "/master.tif");
		kho_archive_row *keep = fx.rows;
		fx.rows = rows + 1; /* drops the first: result.pdf */
		s = verify(&fx);
		fx.rows = keep;
		free(rows);
		assert_non_null(strstr(s.text, "missing " BAG "/data/" REC
					       "/master.tif"));
		assert_non_null(strstr(s.text, "extra " BAG "/data/" REC
					       "/result.pdf"));
		release(&fx);
	}
}

/* The check pack makes of a volume it has just written, in one pass:
 * the whole file's SHA-256 and size, and each member's bytes against the
 * index; an altered member, a file cut short and an index whose members
 * overlap are named. */
static void test_check_after_write(void **state)
{
	(void)state;
	for (int z = 0; z < 2; z++) {
		fixture fx;
		make_volume(&fx, z ? KHO_VOLUME_ZIP : KHO_VOLUME_TAR);
		kho_archive_member *m = calloc(fx.n, sizeof(*m));
		assert_non_null(m);
		/* the index's order reversed: the check takes them by
		 * offset */
		for (size_t i = 0; i < fx.n; i++)
			m[i] = fx.rows[fx.n - 1 - i].m;
		char sha[KHO_SHA256_HEX];
		uint64_t size = 0;
		kho_error err = KHO_ERROR_INIT;
		assert_int_equal(kho_volume_check(fx.path, m, fx.n, sha, &size,
						  &err),
				 KHO_OK);
		assert_string_equal(sha, fx.vol.sha256);
		struct stat st;
		assert_int_equal(stat(fx.path, &st), 0);
		assert_int_equal(size, (uint64_t)st.st_size);
		char want[KHO_SHA256_HEX];
		uint64_t want_size = 0;
		assert_int_equal(kho_hash_file(fx.path, want, NULL, &want_size,
					       &err),
				 KHO_OK);
		assert_string_equal(sha, want);

		/* an empty member where another's bytes start, before it or
		 * after it in the index: met before the pass moves on */
		kho_archive_member *more = calloc(fx.n + 1, sizeof(*more));
		assert_non_null(more);
		const kho_archive_row *at = row(&fx, "result.pdf");
		for (int where = 0; where < 2; where++) {
			memcpy(more + (where ? 0 : 1), m, fx.n * sizeof(*m));
			kho_archive_member *e = &more[where ? fx.n : 0];
			*e = at->m;
			snprintf(e->member, sizeof(e->member), "%s", "b/empty");
			e->size = 0;
			kho_sha256_hex("", 0, e->sha256);
			assert_int_equal(kho_volume_check(fx.path, more,
							  fx.n + 1, sha, &size,
							  &err),
					 KHO_OK);
		}
		free(more);

		/* a byte of the PDF's data, past the first chunk read */
		const kho_archive_row *pdf = row(&fx, "result.pdf");
		flip(fx.path, pdf->m.offset + 200000);
		assert_int_equal(kho_volume_check(fx.path, m, fx.n, sha, &size,
						  &err),
				 KHO_FATAL);
		assert_non_null(strstr(err.msg, "result.pdf' as written"));
		flip(fx.path, pdf->m.offset + 200000);

		/* cut short inside the PDF */
		char cut[4300];
		snprintf(cut, sizeof(cut), "%s.cut", fx.path);
		size_t len = 0;
		uint8_t *all = kt_read_file(fx.path, &len);
		FILE *f = fopen(cut, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(all, 1, pdf->m.offset + 10, f),
				 pdf->m.offset + 10);
		fclose(f);
		free(all);
		assert_int_equal(kho_volume_check(cut, m, fx.n, sha, &size,
						  &err),
				 KHO_FATAL);
		assert_non_null(strstr(err.msg, "is short at member"));
		assert_non_null(strstr(err.msg, "result.pdf"));

		/* an index whose PDF runs into the next member */
		for (size_t i = 0; i < fx.n; i++)
			if (strstr(m[i].member, "result.pdf"))
				m[i].size += 4096;
		assert_int_equal(kho_volume_check(fx.path, m, fx.n, sha, &size,
						  &err),
				 KHO_FATAL);
		assert_non_null(strstr(err.msg, "overlap"));
		free(m);
		release(&fx);
	}
}

/* A file streamed in with the SHA-512 ingest took of it: that SHA-512
 * is given back without hashing the file again, once the file's SHA-256
 * is the expected one; a file that is not is refused all the same; with
 * no SHA-256 to vouch for it, the SHA-512 given is not trusted. */
static void test_add_file_known_sha512(void **state)
{
	(void)state;
	char dir[4096], file[4200], part[4200];
	snprintf(dir, sizeof(dir), "%s", kt_tempdir("known512"));
	snprintf(file, sizeof(file), "%s/orig.tif", dir);
	snprintf(part, sizeof(part), "%s/vol.tar.part", dir);
	const size_t n = 200000;
	uint8_t *data = pattern(n, 7);
	FILE *f = fopen(file, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
	char sha256[KHO_SHA256_HEX], true512[KHO_SHA512_HEX];
	kho_sha256_hex(data, n, sha256);
	kho_hash *h = kho_hash_new(KHO_SHA512);
	kho_hash_update(h, data, n);
	kho_hash_final(h, true512);
	char known[KHO_SHA512_HEX];
	memset(known, 'a', KHO_SHA512_HEX - 1);
	known[KHO_SHA512_HEX - 1] = '\0';

	kho_volume *v = NULL;
	kho_error err = KHO_ERROR_INIT;
	assert_int_equal(kho_volume_create(&v, part, KHO_VOLUME_TAR, &err),
			 KHO_OK);
	kho_archive_member m;
	char got[KHO_SHA512_HEX];
	assert_int_equal(kho_volume_add_file(v, "b/data/1.tif", file, sha256,
					     known, &m, got, &err),
			 KHO_OK);
	assert_string_equal(got, known);
	assert_string_equal(m.sha256, sha256);
	assert_int_equal(m.size, n);
	/* not trusted without the SHA-256 */
	assert_int_equal(kho_volume_add_file(v, "b/data/2.tif", file, NULL,
					     known, &m, got, &err),
			 KHO_OK);
	assert_string_equal(got, true512);
	/* a damaged store object stays refused */
	char wrong[KHO_SHA256_HEX];
	snprintf(wrong, sizeof(wrong), "%s", sha256);
	wrong[0] = wrong[0] == '0' ? '1' : '0';
	assert_int_equal(kho_volume_add_file(v, "b/data/3.tif", file, wrong,
					     known, &m, got, &err),
			 KHO_FAIL);
	assert_non_null(strstr(err.msg, "is damaged"));
	kho_volume_abandon(v);
	free(data);
	kt_rmtree(dir);
}

static void test_extract(void **state)
{
	(void)state;
	for (int z = 0; z < 2; z++) {
		fixture fx;
		make_volume(&fx, z ? KHO_VOLUME_ZIP : KHO_VOLUME_TAR);
		char dest[4300], file[4400];
		snprintf(dest, sizeof(dest), "%s/out/x", fx.dir);
		kho_extract_result res;
		kho_error err = KHO_ERROR_INIT;
		assert_int_equal(kho_extract_bag(fx.path, REC, fx.rows, fx.n,
						 dest, &res, &err),
				 KHO_OK);
		assert_int_equal(res.files, 2);
		assert_int_equal(res.bytes, fx.pdf_size + fx.meta_size);
		size_t size = 0;
		snprintf(file, sizeof(file), "%s/result.pdf", dest);
		uint8_t *got = kt_read_file(file, &size);
		assert_int_equal(size, fx.pdf_size);
		assert_memory_equal(got, fx.pdf, size);
		free(got);
		snprintf(file, sizeof(file), "%s/metadata.json", dest);
		got = kt_read_file(file, &size);
		assert_int_equal(size, fx.meta_size);
		assert_memory_equal(got, fx.meta, size);
		free(got);
		/* never over an existing file */
		assert_int_equal(kho_extract_bag(fx.path, REC, fx.rows, fx.n,
						 dest, &res, &err),
				 KHO_FAIL);
		assert_non_null(strstr(err.msg, "never overwrites"));
		/* an altered member: refused, nothing written */
		snprintf(dest, sizeof(dest), "%s/out/y", fx.dir);
		flip(fx.path, row(&fx, "metadata.json")->m.offset + 5);
		assert_int_equal(kho_extract_bag(fx.path, REC, fx.rows, fx.n,
						 dest, &res, &err),
				 KHO_FAIL);
		assert_non_null(strstr(err.msg, "is altered"));
		snprintf(file, sizeof(file), "%s/result.pdf", dest);
		assert_int_not_equal(access(file, F_OK), 0);
		snprintf(file, sizeof(file), "%s/metadata.json", dest);
		assert_int_not_equal(access(file, F_OK), 0);
		release(&fx);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zip_layout),
		cmocka_unit_test(test_verify_clean_and_altered),
		cmocka_unit_test(test_check_after_write),
		cmocka_unit_test(test_add_file_known_sha512),
		cmocka_unit_test(test_extract),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
