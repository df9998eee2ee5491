/*
 * ingest: records from the inboxes into the catalog and the store.
 *
 * The supervisor looks at the inboxes (inbox_scan.c) and queues a job for
 * every record whose files changed since it was last seen (names, sizes,
 * times).  A worker then reads each file once: hashes it, decodes every
 * page completely to prove it is whole, and stores the same bytes.  A
 * record whose scans are the same as its current version adds nothing; new
 * content makes a new version.
 */
#include "stages/stage.h"
#include "codec/codec.h"
#include "common/fsutil.h"
#include "common/hash.h"
#include "stages/inbox_scan.h"
#include "stages/page_plan.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <linux/fs.h> /* FICLONE */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *batch_name(const kho_session *s, const char *inbox)
{
	if (s->conf.batch && *s->conf.batch)
		return s->conf.batch;
	const char *slash = strrchr(inbox, '/');
	return slash && slash[1] ? slash + 1 : inbox;
}

static char *record_input(const kho_session *s, const kho_scan_record *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "inbox", json_string(r->inbox));
	json_object_set_new(o, "where", json_string(r->where));
	json_object_set_new(o, "batch", json_string(batch_name(s, r->inbox)));
	json_object_set_new(o, "desk", json_string(s->conf.desk ? s->conf.desk
								: ""));
	if (r->error)
		json_object_set_new(o, "error", json_string(r->error));
	json_t *files = json_array();
	for (size_t i = 0; i < r->n_files; i++) {
		const kho_scan_file *f = &r->files[i];
		json_t *jf = json_object();
		json_object_set_new(jf, "path", json_string(f->path));
		json_object_set_new(jf, "name", json_string(f->name));
		json_object_set_new(jf, "page", json_integer(f->page));
		json_object_set_new(jf, "size", json_integer(f->size));
		json_object_set_new(jf, "mtime_ns", json_integer(f->mtime_ns));
		json_array_append_new(files, jf);
	}
	json_object_set_new(o, "files", files);
	char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

int kho_ingest_prepare(kho_session *s, kho_error *err)
{
	if (s->conf.n_inbox == 0)
		return KHO_OK;
	kho_scan scan = KHO_SCAN_INIT;
	/* A shard's root takes only its records (config/shard.h). */
	int rc = kho_catalog_shard(s->cat, &scan.shard, err);
	for (int i = 0; rc == KHO_OK && i < s->conf.n_inbox; i++)
		rc = kho_inbox_scan(&scan, s->conf.inbox[i], err);
	if (rc == KHO_OK)
		rc = kho_scan_finish(&scan, err);
	if (rc == KHO_OK)
		rc = kho_catalog_begin(s->cat, err);
	if (rc) {
		kho_scan_release(&scan);
		return rc;
	}
	int queued = 0;
	for (size_t i = 0; rc == KHO_OK && i < scan.n_records; i++) {
		char *input = record_input(s, &scan.records[i]);
		if (!input) {
			rc = kho_error_set(err, KHO_FATAL, "out of memory");
			break;
		}
		char fp[KHO_SHA256_HEX];
		kho_sha256_hex(input, strlen(input), fp);
		int added = 0;
		rc = kho_jobs_enqueue_ingest(s->cat, scan.records[i].id, input,
					     fp, &added, err);
		queued += added;
		free(input);
	}
	for (size_t i = 0; rc == KHO_OK && i < scan.n_problems; i++) {
		const kho_scan_problem *p = &scan.problems[i];
		char fp[KHO_SHA256_HEX];
		kho_sha256_hex(p->key, strlen(p->key), fp);
		char msg[KHO_ERROR_MSG_MAX];
		snprintf(msg, sizeof(msg), "inbox entry '%s': %s", p->what,
			 p->message);
		rc = kho_jobs_add_problem(s->cat, p->what, msg, fp, err);
	}
	if (rc == KHO_OK) {
		char detail[256];
		int len = snprintf(detail, sizeof(detail),
				   "%zu record(s) in %d inbox(es), %d new or "
				   "changed, %zu problem(s)",
				   scan.n_records, s->conf.n_inbox, queued,
				   scan.n_problems);
		if (scan.shard.count > 0)
			snprintf(detail + len, sizeof(detail) - (size_t)len,
				 "; shard %d/%d: %zu entr%s of other shards' "
				 "records left to them",
				 scan.shard.index, scan.shard.count,
				 scan.n_elsewhere,
				 scan.n_elsewhere == 1 ? "y" : "ies");
		kho_event ev = { 0, NULL, "ingest", "inbox-scan", "info",
				 detail };
		rc = kho_catalog_event(s->cat, &ev, err);
	}
	if (rc == KHO_OK)
		rc = kho_catalog_commit(s->cat, err);
	else
		kho_catalog_rollback(s->cat);
	kho_scan_release(&scan);
	return rc;
}

static int probe_message(const char *name, const uint8_t *data, size_t size,
			 kho_error *err)
{
	const char *what = NULL;
	if (size == 0)
		return kho_error_set(err, KHO_FAIL, "'%s' is empty (0 bytes)",
				     name);
	kho_format_probe(data, size, &what);
	if (what && strcmp(what, "PDF") == 0)
		return kho_error_set(err, KHO_FAIL,
				     "'%s' is a PDF: kho takes the scans "
				     "themselves; export them from the scanner "
				     "software as TIFF, JPEG or PNG",
				     name);
	if (what)
		return kho_error_set(err, KHO_FAIL,
				     "'%s' is a %s image: kho takes TIFF, JPEG "
				     "or PNG",
				     name, what);
	return kho_error_set(err, KHO_FAIL,
			     "'%s' is not an image kho reads (TIFF, JPEG or "
			     "PNG)",
			     name);
}

static const char *dpi_source_name(kho_dpi_source src)
{
	switch (src) {
	case KHO_DPI_TIFF: return "tiff";
	case KHO_DPI_JFIF: return "jfif";
	case KHO_DPI_EXIF: return "exif";
	case KHO_DPI_PNG: return "png";
	default: return "none";
	}
}

typedef struct ingest_state {
	kho_original *originals;
	size_t n_originals;
	kho_page *pages;
	size_t n_pages;
	size_t cap_pages;
} ingest_state;

/* Copies an inbox file into a temporary file of the store, hashing the
 * bytes on the way, and maps the copy: what is decoded, hashed and kept is
 * the same bytes, the inbox file is read once, and a long file costs the
 * worker a buffer and the page being decoded, never the whole file. */
static int copy_in(kho_session *s, const char *path, kho_store_file *f,
		   kho_file_map *map, kho_original *o, int *store_side,
		   kho_error *err)
{
	*store_side = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return kho_error_errno(err, KHO_FAIL, "open", path);
	struct stat st;
	int rc = KHO_OK;
	if (fstat(fd, &st) != 0)
		rc = kho_error_errno(err, KHO_FAIL, "read", path);
	else if (!S_ISREG(st.st_mode))
		rc = kho_error_set(err, KHO_FAIL, "'%s' is not a regular file",
				   path);
	else if ((uint64_t)st.st_size > s->limits.max_file_bytes)
		rc = kho_error_set(err, KHO_FAIL,
				   "'%s' is too large: %lld bytes, the limit "
				   "is %llu (max_file_mb)",
				   path, (long long)st.st_size,
				   (unsigned long long)s->limits.max_file_bytes);
	enum { CHUNK = 1 << 20 };
	uint8_t *buf = rc ? NULL : malloc(CHUNK);
	kho_hash *h = rc ? NULL : kho_hash_new(KHO_SHA256);
	/* the SHA-512 for the bag's manifest, taken on the same read */
	kho_hash *h512 = rc ? NULL : kho_hash_new(KHO_SHA512);
	if (rc == KHO_OK && (!buf || !h || !h512))
		rc = kho_error_set(err, KHO_FATAL, "out of memory");
	if (rc == KHO_OK) {
		rc = kho_store_create_unnamed(&s->store, "orig", f, err);
		*store_side = rc != KHO_OK;
	}
	/* Where the file system shares blocks between files (XFS, Btrfs),
	 * the store's copy is a clone of the file as it is now: nothing is
	 * written, and the bytes are hashed from the clone itself, so that
	 * what is kept is what was hashed.  Elsewhere the file is copied
	 * and hashed on the way. */
	const int cloned = rc == KHO_OK && ioctl(f->fd, FICLONE, fd) == 0;
	/* One byte past the size it had is enough to see that it grew. */
	const uint64_t want = rc ? 0 : (uint64_t)st.st_size + 1;
	uint64_t got = 0;
	while (rc == KHO_OK && got < want) {
		const size_t ask = (size_t)KHO_MIN((uint64_t)CHUNK, want - got);
		ssize_t n = cloned ? pread(f->fd, buf, ask, (off_t)got)
				   : read(fd, buf, ask);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = kho_error_errno(err, KHO_FAIL, "read",
					     cloned ? f->tmp : path);
			*store_side = cloned;
		}
		if (n <= 0)
			break;
		kho_hash_update(h, buf, (size_t)n);
		kho_hash_update(h512, buf, (size_t)n);
		if (!cloned &&
		    fwrite(buf, 1, (size_t)n, f->stream) != (size_t)n) {
			rc = kho_error_errno(err, KHO_FAIL, "write", f->tmp);
			*store_side = 1;
		}
		got += (uint64_t)n;
	}
	if (rc == KHO_OK && got != (uint64_t)st.st_size)
		rc = kho_error_set(err, KHO_FAIL,
				   "'%s' changed while it was read", path);
	if (rc == KHO_OK && fflush(f->stream) != 0) {
		rc = kho_error_errno(err, KHO_FAIL, "write", f->tmp);
		*store_side = 1;
	}
	if (rc == KHO_OK) {
		rc = kho_file_map_fd(f->fd, f->tmp, s->limits.max_file_bytes,
				     map, err);
		*store_side = rc != KHO_OK;
	}
	if (rc == KHO_OK) {
		o->size = got;
		kho_hash_final(h, o->sha256); /* frees h */
		kho_hash_final(h512, o->sha512);
		h = h512 = NULL;
	}
	kho_hash_free(h);
	kho_hash_free(h512);
	free(buf);
	close(fd);
	return rc;
}

/* Reads, checks and stores one file; appends its pages. */
static int ingest_file(kho_session *s, kho_task *task, ingest_state *st,
		       const char *path, const char *name, kho_error *err)
{
	char qname[256];
	kho_quote_name(name, qname, sizeof(qname));
	kho_task_page(task, (int)st->n_pages + 1, "reading");
	kho_original *o = &st->originals[st->n_originals];
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", name);
	kho_store_file copy = { .stream = NULL, .fd = -1 };
	kho_file_map map = KHO_FILE_MAP_INIT;
	int store_side = 0;
	int rc = copy_in(s, path, &copy, &map, o, &store_side, err);
	if (rc) {
		kho_store_abandon(&copy);
		/* The store's fault, not the file's: a full disk stops the
		 * stage (exit 3). */
		if (rc == KHO_FATAL || store_side) {
			kho_error_prefix(err, "cannot keep '%s' in the store",
					 qname);
			return rc;
		}
		return kho_error_set(err, KHO_FAIL, "cannot read '%s': %s",
				     qname, err->msg);
	}
	const uint8_t *data = map.data;
	const size_t size = map.size;

	kho_image_file *img = NULL;
	if (kho_format_probe(data, size, NULL) == KHO_FORMAT_UNKNOWN) {
		rc = probe_message(qname, data, size, err);
		kho_file_map_release(&map);
		kho_store_abandon(&copy);
		return rc;
	}
	rc = kho_image_file_open_map(&img, &map, &s->limits, err);
	if (rc) {
		kho_file_map_release(&map);
		kho_store_abandon(&copy);
		return kho_error_set(err, KHO_FAIL, "cannot read '%s': %s",
				     qname, err->msg);
	}
	snprintf(o->format, sizeof(o->format), "%s",
		 kho_format_name(kho_image_file_format(img)));
	uint32_t n = kho_image_file_pages(img);
	o->pages = (int)n;
	for (uint32_t p = 0; rc == KHO_OK && p < n; p++) {
		if (st->n_pages == st->cap_pages) {
			st->cap_pages = st->cap_pages ? st->cap_pages * 2 : 16;
			kho_page *np = realloc(st->pages, st->cap_pages *
							      sizeof(*np));
			if (!np) {
				rc = kho_error_set(err, KHO_FATAL,
						   "out of memory");
				break;
			}
			st->pages = np;
		}
		kho_page *pg = &st->pages[st->n_pages];
		memset(pg, 0, sizeof(*pg));
		pg->page_no = (int)st->n_pages + 1;
		pg->original = (int64_t)st->n_originals;
		pg->file_page = (int)p;
		kho_task_page(task, pg->page_no, "decoding");
		kho_page_info info;
		rc = kho_image_file_page_info(img, p, &info, err);
		if (rc == KHO_OK) {
			pg->width = info.width;
			pg->height = info.height;
			pg->channels = info.channels;
			pg->bits = info.bits;
			pg->orientation = info.orientation;
			pg->xdpi = info.xdpi;
			pg->ydpi = info.ydpi;
			snprintf(pg->dpi_source, sizeof(pg->dpi_source), "%s",
				 dpi_source_name(info.dpi_source));
			snprintf(pg->description, sizeof(pg->description),
				 "%s", info.description);
		}
		/* The decode that proves the page whole is the one normalize
		 * measures: every row (or, for a JPEG, every coefficient)
		 * goes through the decoder, at the size the analysis wants. */
		kho_image reduced = KHO_IMAGE_INIT;
		const unsigned scale = rc == KHO_OK ? kho_plan_scale(pg, NULL) : 1;
		if (rc == KHO_OK)
			rc = kho_image_file_read(img, p, scale, &reduced, err);
		if (rc) {
			kho_image_release(&reduced);
			if (n > 1)
				kho_error_prefix(err,
						 "cannot decode '%s' page %u "
						 "of %u",
						 qname, p + 1, n);
			else
				kho_error_prefix(err, "cannot decode '%s'",
						 qname);
			rc = err->code == KHO_FATAL ? KHO_FATAL : KHO_FAIL;
			break;
		}
		kho_task_page(task, pg->page_no, "measuring");
		int finer = 0;
		rc = kho_plan_measure(s, pg, &reduced, scale, "ingest",
				      &pg->plan, &finer, err);
		kho_image_release(&reduced);
		kho_file_map_drop(&map, 0, map.size);
		pg->has_plan = rc == KHO_OK && !finer;
		if (rc)
			break;
		st->n_pages++;
	}
	kho_image_file_free(img);
	kho_file_map_release(&map);
	if (rc == KHO_OK) {
		kho_task_page(task, (int)st->n_pages, "storing");
		rc = kho_store_commit_hashed(&s->store, &copy, o->sha256, err);
		if (rc)
			kho_error_prefix(err, "cannot keep '%s' in the store",
					 qname);
	} else {
		kho_store_abandon(&copy);
	}
	if (rc == KHO_OK)
		st->n_originals++;
	return rc;
}

/* Manifest page numbers must leave no page out and give none twice. */
static int check_manifest_pages(json_t *files, const ingest_state *st,
				kho_error *err)
{
	int expect = 0;
	for (size_t i = 0; i < json_array_size(files); i++) {
		json_t *f = json_array_get(files, i);
		int page = (int)json_integer_value(json_object_get(f, "page"));
		if (page == 0)
			return KHO_OK; /* no page column: file order */
		if (i == 0 && page != 1)
			return kho_error_set(err, KHO_FAIL,
					     "manifest.csv starts the record at "
					     "page %d, not 1",
					     page);
		if (i > 0 && page != expect)
			return kho_error_set(err, KHO_FAIL,
					     "manifest.csv gives '%s' as page %d "
					     "where page %d was expected: a page "
					     "is missing or given twice",
					     json_string_value(json_object_get(
						     f, "name")),
					     page, expect);
		expect = page + st->originals[i].pages;
	}
	return KHO_OK;
}

/* The plans measured while the pages were decoded, for the record's new
 * pages. */
static int save_plans(kho_catalog *cat, int64_t record, const ingest_state *st,
		      kho_error *err)
{
	kho_page *saved = NULL;
	size_t n = 0;
	int rc = kho_records_pages(cat, record, &saved, &n, err);
	for (size_t i = 0; rc == KHO_OK && i < n && i < st->n_pages; i++)
		if (st->pages[i].has_plan)
			rc = kho_plans_save(cat, saved[i].id, &st->pages[i].plan,
					    err);
	free(saved);
	return rc;
}

static void content_fingerprint(const ingest_state *st,
				char out[KHO_SHA256_HEX])
{
	kho_hash *h = kho_hash_new(KHO_SHA256);
	assert(h);
	for (size_t i = 0; i < st->n_originals; i++) {
		kho_hash_update(h, st->originals[i].sha256, 64);
		kho_hash_update(h, "\n", 1);
	}
	kho_hash_final(h, out);
}

int kho_ingest_process(void *ctx, kho_catalog *cat, kho_task *task,
		       kho_job *job, kho_error *err)
{
	kho_session *s = ctx;
	json_error_t jerr;
	json_t *in = job->input ? json_loads(job->input, 0, &jerr) : NULL;
	if (!in)
		return kho_error_set(err, KHO_FAIL,
				     "the ingest job of '%s' has no readable "
				     "input: run kho ingest on the inbox again",
				     job->record_id);
	const char *error = json_string_value(json_object_get(in, "error"));
	json_t *files = json_object_get(in, "files");
	if (error || !json_is_array(files) || json_array_size(files) == 0) {
		kho_error_set(err, KHO_FAIL, "%s",
			      error ? error : "the record has no scans");
		json_decref(in);
		return KHO_FAIL;
	}

	ingest_state st = { 0 };
	size_t n_files = json_array_size(files);
	st.originals = calloc(n_files, sizeof(*st.originals));
	int rc = st.originals ? KHO_OK
			      : kho_error_set(err, KHO_FATAL, "out of memory");
	for (size_t i = 0; rc == KHO_OK && i < n_files; i++) {
		json_t *f = json_array_get(files, i);
		rc = ingest_file(s, task, &st,
				 json_string_value(json_object_get(f, "path")),
				 json_string_value(json_object_get(f, "name")),
				 err);
	}
	if (rc == KHO_OK)
		rc = check_manifest_pages(files, &st, err);

	kho_record rec;
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.record_id, sizeof(rec.record_id), "%s", job->record_id);
	snprintf(rec.batch, sizeof(rec.batch), "%s",
		 json_string_value(json_object_get(in, "batch")));
	snprintf(rec.desk, sizeof(rec.desk), "%s",
		 json_string_value(json_object_get(in, "desk")));
	snprintf(rec.source, sizeof(rec.source), "%s/%s",
		 json_string_value(json_object_get(in, "inbox")),
		 json_string_value(json_object_get(in, "where")));
	json_decref(in);
	if (rc == KHO_OK) {
		content_fingerprint(&st, rec.fingerprint);
		rc = kho_catalog_begin(cat, err);
	}
	if (rc == KHO_OK) {
		kho_record cur;
		int found = kho_records_current(cat, rec.record_id, &cur, err);
		if (found == KHO_OK &&
		    strcmp(cur.fingerprint, rec.fingerprint) == 0) {
			char detail[96];
			snprintf(detail, sizeof(detail),
				 "unchanged: the same scans as version %d",
				 cur.version);
			kho_event ev = { cur.id, rec.record_id, "ingest",
					 "ingest", "ok", detail };
			rc = kho_jobs_done(cat, job->id, detail, err);
			if (rc == KHO_OK)
				rc = kho_catalog_event(cat, &ev, err);
			if (rc == KHO_OK)
				rc = kho_catalog_commit(cat, err);
		} else if (found == KHO_FATAL) {
			rc = KHO_FATAL;
		} else {
			rc = kho_records_add(cat, &rec, st.originals,
					     st.n_originals, st.pages,
					     st.n_pages, err);
			if (rc == KHO_OK)
				rc = save_plans(cat, rec.id, &st, err);
			char detail[96];
			snprintf(detail, sizeof(detail),
				 "version %d: %zu page(s) in %zu file(s)",
				 rec.version, st.n_pages, st.n_originals);
			if (rc == KHO_OK)
				rc = kho_stage_finish(cat, job, rec.id, detail,
						      err);
		}
		if (rc)
			kho_catalog_rollback(cat);
	}
	kho_task_pages_done(task, (int)st.n_pages);
	free(st.originals);
	free(st.pages);
	return rc;
}
