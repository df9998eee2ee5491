/*
 * pack: finished records into the warehouse as BagIt bags in tar (or zip,
 * volume_format) volumes.
 *
 * Runs in the supervisor (one writer of volumes).  A volume is written as
 * warehouse/vol-NNNNNN.tar.part and fsynced; it is read back and checked;
 * the catalog records it as 'writing' with every member; it is renamed to
 * vol-NNNNNN.tar; then the catalog seals it and its records are archived.
 * A crash between these steps is finished or undone by kho_pack_recover()
 * at the next run, so a record is archived once, in a complete volume.
 */
#include "stages/stage.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "pack/bag.h"
#include "pack/volume_name.h"
#include "worker/progress.h"

#include <dirent.h>
#include <signal.h>
#include <errno.h>
#include <limits.h>
#include <unistd.h>

/* Fault injection for the reliability tests: KHO_FAULT=pack:POINT kills
 * the process at that point of writing a volume (after-part, after-intent,
 * after-rename).  Unset in production. */
static void fault_point(const char *point)
{
	const char *f = getenv("KHO_FAULT");
	if (f && strncmp(f, "pack:", 5) == 0 && strcmp(f + 5, point) == 0)
		raise(SIGKILL);
}

typedef struct pack_item {
	kho_job job;
	kho_record rec;
	kho_bag_payload *files;
	size_t n_files;
	uint64_t estimate;
	int failed;
} pack_item;

static const char *format_ext(const char *format)
{
	if (strcmp(format, "TIFF") == 0)
		return "tif";
	if (strcmp(format, "JPEG") == 0)
		return "jpg";
	if (strcmp(format, "PNG") == 0)
		return "png";
	return "bin";
}

/* The payload of a record: its outputs and, when kept, its originals. */
static int gather(kho_session *s, pack_item *it, kho_error *err)
{
	int rc = kho_records_get(s->cat, it->job.record, &it->rec, err);
	kho_output *outs = NULL;
	kho_original *orig = NULL;
	size_t n_outs = 0, n_orig = 0;
	if (rc == KHO_OK)
		rc = kho_outputs_list(s->cat, it->job.record, &outs, &n_outs,
				      err);
	if (rc == KHO_OK && s->conf.keep_originals)
		rc = kho_records_originals(s->cat, it->job.record, &orig,
					   &n_orig, err);
	int has_pdf = 0, has_meta = 0;
	for (size_t i = 0; i < n_outs; i++) {
		has_pdf |= strcmp(outs[i].name, "result.pdf") == 0;
		has_meta |= strcmp(outs[i].name, "metadata.json") == 0;
	}
	if (rc == KHO_OK && (!has_pdf || !has_meta))
		rc = kho_error_set(err, KHO_FAIL,
				   "the record has no %s yet: compress and "
				   "describe come before pack",
				   has_pdf ? "metadata.json" : "result.pdf");
	if (rc == KHO_OK) {
		it->files = calloc(n_outs + n_orig, sizeof(*it->files));
		if (!it->files)
			rc = kho_error_set(err, KHO_FATAL, "out of memory");
	}
	for (size_t i = 0; rc == KHO_OK && i < n_outs; i++) {
		kho_bag_payload *f = &it->files[it->n_files++];
		snprintf(f->path, sizeof(f->path), "data/%s/%s",
			 it->rec.record_id, outs[i].name);
		snprintf(f->sha256, sizeof(f->sha256), "%s", outs[i].sha256);
		f->size = outs[i].size;
	}
	for (size_t i = 0; rc == KHO_OK && i < n_orig; i++) {
		kho_bag_payload *f = &it->files[it->n_files++];
		snprintf(f->path, sizeof(f->path), "data/%s/originals/%03zu.%s",
			 it->rec.record_id, i + 1, format_ext(orig[i].format));
		snprintf(f->sha256, sizeof(f->sha256), "%s", orig[i].sha256);
		f->size = orig[i].size;
	}
	free(outs);
	free(orig);
	if (rc == KHO_OK)
		it->estimate = kho_bag_estimate(it->files, it->n_files);
	return rc;
}

/* Numbers of this root's volume files in the warehouse (vol-NNNNNN.tar,
 * .zip and their .part, or a shard's vol-sIIofNN-NNNNNN...), also those
 * the catalog does not know, so that no name is ever used twice.  Other
 * shards' volumes in a shared warehouse folder are theirs. */
static int highest_file_number(const char *dir, const kho_shard *shard,
			       int *highest)
{
	*highest = 0;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		kho_shard of;
		int n = 0;
		if (kho_volume_name_parse(e->d_name, &of, &n, NULL) &&
		    kho_shard_equal(&of, shard) && n > *highest)
			*highest = n;
	}
	closedir(d);
	return 0;
}

static int next_volume(kho_session *s, const kho_shard *shard, char *name,
		       size_t cap, kho_error *err)
{
	int from_index = 0, from_files = 0;
	char prefix[32];
	kho_volume_prefix(shard, prefix, sizeof(prefix));
	int rc = kho_volumes_next_number(s->cat, prefix, &from_index, err);
	if (rc)
		return rc;
	if (highest_file_number(s->warehouse_dir, shard, &from_files) != 0)
		return kho_error_errno(err, KHO_FATAL, "read",
				       s->warehouse_dir);
	int n = KHO_MAX(from_index, from_files + 1);
	const int format = kho_volume_format_parse(s->conf.volume_format);
	assert(format >= 0); /* kho_config_set() checked it */
	kho_volume_name(shard, n,
			kho_volume_format_ext((kho_volume_format)format), name,
			cap);
	return KHO_OK;
}

typedef struct written_bag {
	pack_item *item;
	char bag[128];
	int version;
	kho_archive_member *members;
	size_t n_members;
} written_bag;

/* Writes one volume from items[from..] as far as it fills; *next receives
 * the first item left for the next volume. */
static int write_volume(kho_session *s, const kho_shard *shard,
			pack_item *items, size_t n, size_t from, size_t *next,
			kho_stage_result *res, kho_error *err)
{
	char name[64], part[PATH_MAX + 80], final[PATH_MAX + 80];
	int rc = next_volume(s, shard, name, sizeof(name), err);
	if (rc)
		return rc;
	snprintf(part, sizeof(part), "%s/%s.part", s->warehouse_dir, name);
	snprintf(final, sizeof(final), "%s/%s", s->warehouse_dir, name);

	kho_volume *v = NULL;
	rc = kho_volume_create(&v, part,
			       (kho_volume_format)kho_volume_format_parse(
				       s->conf.volume_format),
			       err);
	if (rc)
		return rc;
	written_bag *bags = calloc(n - from, sizeof(*bags));
	size_t n_bags = 0;
	if (!bags) {
		kho_volume_abandon(v);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	char today[KHO_TIME_ISO];
	kho_now_iso(today);
	today[10] = '\0';
	uint64_t used = 0;
	size_t i = from;
	for (; rc == KHO_OK && i < n; i++) {
		pack_item *it = &items[i];
		if (it->failed)
			continue;
		if (n_bags > 0 &&
		    used + it->estimate > (uint64_t)s->conf.volume_size)
			break;
		written_bag *b = &bags[n_bags];
		b->item = it;
		rc = kho_archive_next_version(s->cat, it->rec.record_id,
					      &b->version, err);
		/* Earlier bags of this volume may hold the same record id. */
		for (size_t k = 0; k < n_bags; k++)
			if (strcmp(bags[k].item->rec.record_id,
				   it->rec.record_id) == 0 &&
			    bags[k].version >= b->version)
				b->version = bags[k].version + 1;
		snprintf(b->bag, sizeof(b->bag), "%s.%d", it->rec.record_id,
			 b->version);
		char desc[160];
		snprintf(desc, sizeof(desc),
			 "digitized result %s, scan version %d",
			 it->rec.record_id, it->rec.version);
		kho_bag_info info = {
			.source_organization =
				*s->conf.source_organization
					? s->conf.source_organization
					: s->conf.publisher,
			.external_identifier = it->rec.batch,
			.description = desc,
			.record_id = it->rec.record_id,
			.record_version = it->rec.version,
			.archive_version = b->version,
			.bagging_date = today,
		};
		if (rc == KHO_OK)
			rc = kho_bag_write(v, &s->store, b->bag, &info,
					   it->files, it->n_files, &b->members,
					   &b->n_members, err);
		if (rc == KHO_FAIL) {
			/* A damaged store object: the record fails, and the
			 * volume is started again without it. */
			it->failed = 1;
			kho_jobs_fail(s->cat, it->job.id, 0, err->msg, err);
			res->failed++;
			for (size_t k = 0; k < n_bags; k++)
				free(bags[k].members);
			free(bags);
			kho_volume_abandon(v);
			*next = from;
			return KHO_OK;
		}
		if (rc == KHO_OK) {
			n_bags++;
			used = kho_volume_bytes(v);
		}
	}
	*next = i;
	if (rc == KHO_OK)
		rc = kho_volume_finish(v, err);
	else
		kho_volume_abandon(v);

	/* Read it back, once, before the catalog hears of it. */
	char sha[KHO_SHA256_HEX];
	uint64_t size = 0;
	size_t total_members = 0;
	for (size_t k = 0; k < n_bags; k++)
		total_members += bags[k].n_members;
	kho_archive_member *all =
		calloc(total_members ? total_members : 1, sizeof(*all));
	if (rc == KHO_OK && !all)
		rc = kho_error_set(err, KHO_FATAL, "out of memory");
	for (size_t k = 0, at = 0; rc == KHO_OK && k < n_bags; k++) {
		memcpy(all + at, bags[k].members,
		       bags[k].n_members * sizeof(*all));
		at += bags[k].n_members;
	}
	if (rc == KHO_OK)
		rc = kho_volume_check(part, all, total_members, sha, &size,
				      err);
	free(all);
	if (rc == KHO_OK)
		fault_point("after-part");
	int64_t volume = 0;
	if (rc == KHO_OK)
		rc = kho_catalog_begin(s->cat, err);
	if (rc == KHO_OK) {
		rc = kho_volumes_add(s->cat, name, size, sha,
				     (int)total_members, &volume, err);
		for (size_t k = 0; rc == KHO_OK && k < n_bags; k++)
			for (size_t m = 0;
			     rc == KHO_OK && m < bags[k].n_members; m++)
				rc = kho_archive_add(
					s->cat, volume,
					bags[k].item->job.record,
					bags[k].item->rec.record_id,
					bags[k].version, bags[k].bag,
					&bags[k].members[m], err);
		if (rc == KHO_OK)
			rc = kho_catalog_commit(s->cat, err);
		else
			kho_catalog_rollback(s->cat);
	}
	if (rc == KHO_OK)
		fault_point("after-intent");
	if (rc == KHO_OK && rename(part, final) != 0)
		rc = kho_error_errno(err, KHO_FATAL, "rename into", final);
	if (rc == KHO_OK)
		rc = kho_fsync_dir(s->warehouse_dir, err);
	if (rc == KHO_OK)
		fault_point("after-rename");
	if (rc == KHO_OK)
		rc = kho_catalog_begin(s->cat, err);
	if (rc == KHO_OK) {
		rc = kho_volumes_seal(s->cat, volume, err);
		for (size_t k = 0; rc == KHO_OK && k < n_bags; k++) {
			char detail[160];
			snprintf(detail, sizeof(detail),
				 "archived in %s as bag %s", name, bags[k].bag);
			const kho_job *job = &bags[k].item->job;
			rc = kho_jobs_done(s->cat, job->id, detail, err);
			kho_event ev = {job->record, job->record_id, "pack",
					"pack",	     "ok",	     detail};
			if (rc == KHO_OK)
				rc = kho_catalog_event(s->cat, &ev, err);
		}
		if (rc == KHO_OK) {
			rc = kho_catalog_commit(s->cat, err);
			res->done += (int64_t)n_bags;
		} else {
			kho_catalog_rollback(s->cat);
		}
	}
	if (rc && kho_exists(part))
		unlink(part);
	for (size_t k = 0; k < n_bags; k++)
		free(bags[k].members);
	free(bags);
	return rc;
}

int kho_pack_run(kho_session *s, kho_stage_result *res, kho_error *err)
{
	kho_job *jobs = NULL;
	size_t n = 0;
	kho_shard shard;
	int rc = kho_catalog_shard(s->cat, &shard, err);
	if (rc == KHO_OK)
		rc = kho_pack_claim(s->cat, (int)getpid(), &jobs, &n, err);
	if (rc || n == 0)
		return rc;
	pack_item *items = calloc(n, sizeof(*items));
	if (!items) {
		free(jobs);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		items[i].job = jobs[i];
		kho_error ierr = KHO_ERROR_INIT;
		int grc = gather(s, &items[i], &ierr);
		if (grc == KHO_FAIL) {
			items[i].failed = 1;
			res->failed++;
			rc = kho_jobs_fail(s->cat, jobs[i].id, 0, ierr.msg,
					   err);
		} else if (grc) {
			rc = kho_error_set(err, grc, "%s", ierr.msg);
		}
	}
	free(jobs);
	kho_progress prog;
	kho_progress_start(&prog, "pack", "packing", (int64_t)n, s->progress);
	size_t next = 0;
	while (rc == KHO_OK && next < n) {
		while (next < n && items[next].failed)
			next++;
		if (next >= n)
			break;
		if (kho_pool_stop_requested()) {
			res->interrupted = 1;
			break;
		}
		rc = write_volume(s, &shard, items, n, next, &next, res, err);
		kho_progress_update(&prog, res->done + res->failed, 0);
	}
	kho_progress_finish(&prog, res->done + res->failed, 0);
	if (rc || res->interrupted) {
		/* What was not archived goes back to the queue. */
		kho_error rerr = KHO_ERROR_INIT;
		if (kho_catalog_begin(s->cat, &rerr) == KHO_OK) {
			for (size_t i = 0; i < n; i++)
				kho_jobs_release(s->cat, items[i].job.id,
						 &rerr);
			kho_catalog_commit(s->cat, &rerr);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(items[i].files);
	free(items);
	return rc;
}

/* This root's volumes being written when it stopped; another shard's,
 * in a shared warehouse folder, may be being written now. */
static int remove_parts(kho_session *s, kho_error *err)
{
	kho_shard shard;
	int rc = kho_catalog_shard(s->cat, &shard, err);
	if (rc)
		return rc;
	DIR *d = opendir(s->warehouse_dir);
	if (!d)
		return kho_error_errno(err, KHO_FATAL, "read",
				       s->warehouse_dir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		kho_shard of;
		int part = 0;
		if (kho_volume_name_parse(e->d_name, &of, NULL, &part) &&
		    part && kho_shard_equal(&of, &shard))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return KHO_OK;
}

int kho_pack_recover(kho_session *s, kho_error *err)
{
	kho_volume_row *vols = NULL;
	size_t n = 0;
	int rc = kho_volumes_unsealed(s->cat, &vols, &n, err);
	for (size_t i = 0; rc == KHO_OK && i < n; i++) {
		char final[PATH_MAX + 80];
		snprintf(final, sizeof(final), "%s/%s", s->warehouse_dir,
			 vols[i].name);
		int reached = kho_exists(final);
		if (reached) {
			char sha[KHO_SHA256_HEX];
			uint64_t size = 0;
			rc = kho_hash_file(final, sha, NULL, &size, err);
			if (rc == KHO_OK && strcmp(sha, vols[i].sha256) != 0)
				rc = kho_error_set(
					err, KHO_FATAL,
					"volume '%s' is in the warehouse but "
					"not as it was written (SHA-256 %s, "
					"expected %s); kho leaves it for an "
					"archivist to look at",
					final, sha, vols[i].sha256);
		}
		if (rc)
			break;
		rc = kho_catalog_begin(s->cat, err);
		if (rc)
			break;
		char detail[160];
		if (reached) {
			rc = kho_volumes_seal(s->cat, vols[i].id, err);
			if (rc == KHO_OK)
				rc = kho_volumes_finish_jobs(s->cat, vols[i].id,
							     err);
			snprintf(detail, sizeof(detail),
				 "volume %s completed after an interruption",
				 vols[i].name);
		} else {
			rc = kho_volumes_forget(s->cat, vols[i].id, err);
			snprintf(detail, sizeof(detail),
				 "volume %s never reached the warehouse: its "
				 "records are packed again",
				 vols[i].name);
		}
		kho_event ev = {0, NULL, "pack", "recover", "info", detail};
		if (rc == KHO_OK)
			rc = kho_catalog_event(s->cat, &ev, err);
		if (rc == KHO_OK)
			rc = kho_catalog_commit(s->cat, err);
		else
			kho_catalog_rollback(s->cat);
	}
	free(vols);
	if (rc == KHO_OK)
		rc = remove_parts(s, err);
	return rc;
}
