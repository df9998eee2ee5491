/*
 * pack: finished records into the warehouse as BagIt bags in tar (or zip,
 * volume_format) volumes.
 *
 * The supervisor claims the finished records, gives each its bag version
 * and shares them out into volumes; pack workers (forked, up to -j at
 * once) write one volume each as warehouse/vol-NNNNNN.tar.part, fsynced,
 * and read it back and check it.  Then the supervisor, the catalog's one
 * writer here, records it as 'writing' with every member; renames it to
 * vol-NNNNNN.tar; then seals it and archives its records.
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
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Fault injection for the reliability tests: KHO_FAULT=pack:POINT kills
 * the process at that point of writing a volume (the pack worker: worker,
 * once its volume is checked, or worker-hang, which stops it there for
 * good; the supervisor: after-part, after-intent, after-rename).  Unset in
 * production. */
static void fault_point(const char *point)
{
	const char *f = getenv("KHO_FAULT");
	if (f && strncmp(f, "pack:", 5) == 0 && strcmp(f + 5, point) == 0)
		raise(SIGKILL);
	/* pack:worker-hang: the worker never finishes (for ^C twice) */
	if (f && strcmp(point, "worker") == 0 &&
	    strcmp(f, "pack:worker-hang") == 0)
		for (;;)
			pause();
}

typedef struct pack_item {
	kho_job job;
	kho_record rec;
	kho_bag_payload *files;
	size_t n_files;
	uint64_t estimate;
	int64_t pages;
	int failed;
	int version;   /* the bag's archive version */
	char bag[128]; /* "<record id>.<version>" */
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

/* 128 lowercase hex digits: a SHA-512 as ingest writes it. */
static int is_sha512(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		const int digit = s[n] >= '0' && s[n] <= '9';
		if (!digit && !(s[n] >= 'a' && s[n] <= 'f'))
			return 0;
	}
	return n == KHO_SHA512_HEX - 1;
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
	if (rc == KHO_OK)
		rc = kho_records_originals(s->cat, it->job.record, &orig,
					   &n_orig, err);
	for (size_t i = 0; i < n_orig; i++)
		it->pages += orig[i].pages;
	if (!s->conf.keep_originals)
		n_orig = 0;
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
		/* the catalog's SHA-512 where it is one, else hashed as
		 * packed */
		if (is_sha512(orig[i].sha512))
			memcpy(f->sha512, orig[i].sha512, sizeof(f->sha512));
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

static void volume_name(const kho_session *s, const kho_shard *shard,
			int number, char *name, size_t cap)
{
	const int format = kho_volume_format_parse(s->conf.volume_format);
	assert(format >= 0); /* kho_config_set() checked it */
	kho_volume_name(shard, number,
			kho_volume_format_ext((kho_volume_format)format), name,
			cap);
}

/* The number of this run's first volume. */
static int first_volume_number(kho_session *s, const kho_shard *shard,
			       int *number, kho_error *err)
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
	*number = KHO_MAX(from_index, from_files + 1);
	return KHO_OK;
}

/* Each record's bag version: the next its id has in the archive, above
 * any earlier item of this run with the same id.  Fixed before the volumes
 * are written, so a later version can be committed before an earlier one
 * of the same id (in another volume) or without it (its volume failed);
 * two pack jobs of one record id are not pending at once today (a newer
 * scan supersedes the older one's jobs). */
static int by_record_then_order(const void *a, const void *b)
{
	const pack_item *i = *(const pack_item *const *)a;
	const pack_item *j = *(const pack_item *const *)b;
	const int c = strcmp(i->rec.record_id, j->rec.record_id);
	return c ? c : (i > j) - (i < j); /* one array: its order */
}

static int assign_versions(kho_session *s, pack_item *items, size_t n,
			   kho_error *err)
{
	pack_item **order = malloc((n ? n : 1) * sizeof(*order));
	if (!order)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	for (size_t i = 0; i < n; i++)
		order[i] = &items[i];
	qsort(order, n, sizeof(*order), by_record_then_order);
	int rc = KHO_OK;
	const pack_item *prev = NULL;
	for (size_t k = 0; rc == KHO_OK && k < n; k++) {
		pack_item *it = order[k];
		if (it->failed)
			continue;
		rc = kho_archive_next_version(s->cat, it->rec.record_id,
					      &it->version, err);
		if (prev && strcmp(prev->rec.record_id, it->rec.record_id) == 0 &&
		    prev->version >= it->version)
			it->version = prev->version + 1;
		snprintf(it->bag, sizeof(it->bag), "%s.%d", it->rec.record_id,
			 it->version);
		prev = it;
	}
	free(order);
	return rc;
}

/*
 * The volumes of a run are written side by side, one per pack worker (a
 * forked process, up to -j at once): each writes its group of records as
 * NAME.part, reads it back, and reports to the supervisor, which alone
 * writes the catalog and names the volume, one volume at a time, in the
 * order the workers finish.
 */
typedef struct pack_group {
	size_t from, to; /* items[from, to), the failed ones skipped */
	char part_name[80]; /* "vol-000007.tar.part" */
	char part[PATH_MAX + 80];
	pid_t pid;
	int fd;          /* the report's pipe */
	uint8_t *report;
	size_t len, cap;
} pack_group;

/* The report, as the worker writes it: the head, the items that failed
 * (n_failed report_failed), then each bag (report_bag and its members). */
typedef struct report_head {
	int32_t rc;
	uint32_t n_failed;
	uint32_t n_bags;
	uint64_t size;
	char sha256[KHO_SHA256_HEX];
	char msg[KHO_ERROR_MSG_MAX];
} report_head;

typedef struct report_failed {
	uint32_t item;
	char msg[KHO_ERROR_MSG_MAX];
} report_failed;

typedef struct report_bag {
	uint32_t item;
	uint32_t n_members;
} report_bag;

/* Records into volumes of at most volume_size (their estimates), one
 * record at least in each, in the claimed order. */
static int plan_groups(kho_session *s, const kho_shard *shard,
		       const pack_item *items, size_t n, pack_group **out,
		       size_t *n_out, int *first, kho_error *err)
{
	*out = NULL;
	*n_out = 0;
	*first = 0;
	pack_group *g = calloc(n ? n : 1, sizeof(*g));
	if (!g)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	size_t ng = 0;
	uint64_t used = 0;
	for (size_t i = 0; i < n; i++) {
		if (items[i].failed)
			continue;
		if (ng == 0 || (used > 0 && used + items[i].estimate >
						    (uint64_t)s->conf.volume_size)) {
			g[ng].from = i;
			used = 0;
			ng++;
		}
		g[ng - 1].to = i + 1;
		used += items[i].estimate;
	}
	/* Each worker's part file is named by its group; a volume takes
	 * its name as it is committed, so that the names follow each other
	 * without a gap also when a group's every record fails. */
	int rc = ng ? first_volume_number(s, shard, first, err) : KHO_OK;
	for (size_t k = 0; rc == KHO_OK && k < ng; k++) {
		char name[64];
		volume_name(s, shard, *first + (int)k, name, sizeof(name));
		snprintf(g[k].part_name, sizeof(g[k].part_name), "%s.part",
			 name);
		snprintf(g[k].part, sizeof(g[k].part), "%s/%s",
			 s->warehouse_dir, g[k].part_name);
		g[k].fd = -1;
	}
	if (rc) {
		free(g);
		return rc;
	}
	*out = g;
	*n_out = ng;
	return KHO_OK;
}

typedef struct written_bag {
	size_t item;
	kho_archive_member *members;
	size_t n_members;
} written_bag;

/* In the worker: the group's volume from its items that have not failed.
 * KHO_FAIL with *bad set when a store object is damaged (the volume is
 * then abandoned, to be started again without that record). */
static int write_group_volume(kho_session *s, pack_item *items,
			      const pack_group *g, const char *today,
			      written_bag *bags, size_t *n_bags, size_t *bad,
			      kho_error *err)
{
	*n_bags = 0;
	kho_volume *v = NULL;
	int rc = kho_volume_create(&v, g->part,
				   (kho_volume_format)kho_volume_format_parse(
					   s->conf.volume_format),
				   err);
	for (size_t i = g->from; rc == KHO_OK && i < g->to; i++) {
		pack_item *it = &items[i];
		if (it->failed)
			continue;
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
			.archive_version = it->version,
			.bagging_date = today,
		};
		written_bag *b = &bags[*n_bags];
		b->item = i;
		rc = kho_bag_write(v, &s->store, it->bag, &info, it->files,
				   it->n_files, &b->members, &b->n_members,
				   err);
		if (rc == KHO_OK)
			(*n_bags)++;
		else if (rc == KHO_FAIL)
			*bad = i;
	}
	if (rc == KHO_OK && *n_bags > 0)
		return kho_volume_finish(v, err);
	kho_volume_abandon(v); /* also when every record failed */
	return rc;
}

static int put(pack_group *g, const void *data, size_t len)
{
	if (g->len + len > g->cap) {
		size_t cap = KHO_MAX(g->cap * 2, g->len + len + 4096);
		uint8_t *p = realloc(g->report, cap);
		if (!p)
			return -1;
		g->report = p;
		g->cap = cap;
	}
	memcpy(g->report + g->len, data, len);
	g->len += len;
	return 0;
}

/* A pack worker's life: the group's volume written and read back, and
 * the report to the supervisor on fd. */
static void group_worker(kho_session *s, pack_item *items, pack_group *g,
			 const char *today, int fd, pid_t parent)
{
	/* Die with the supervisor; its signals are its to handle. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);

	report_head head = {.rc = KHO_OK};
	report_failed *failed = calloc(g->to - g->from, sizeof(*failed));
	written_bag *bags = calloc(g->to - g->from, sizeof(*bags));
	kho_error err = KHO_ERROR_INIT;
	size_t n_bags = 0;
	int rc = failed && bags ? KHO_OK
				: kho_error_set(&err, KHO_FATAL, "out of memory");
	for (;;) {
		if (rc)
			break;
		size_t bad = 0;
		rc = write_group_volume(s, items, g, today, bags, &n_bags, &bad,
					&err);
		for (size_t k = 0; k < n_bags; k++)
			if (rc)
				free(bags[k].members);
		if (rc != KHO_FAIL)
			break;
		/* A damaged store object: the record fails, and the volume
		 * is written again without it. */
		items[bad].failed = 1;
		report_failed *f = &failed[head.n_failed++];
		f->item = (uint32_t)bad;
		snprintf(f->msg, sizeof(f->msg), "%s", err.msg);
		rc = KHO_OK;
	}
	if (rc == KHO_OK && n_bags > 0) {
		size_t total = 0;
		for (size_t k = 0; k < n_bags; k++)
			total += bags[k].n_members;
		kho_archive_member *all = calloc(total ? total : 1,
						 sizeof(*all));
		if (!all)
			rc = kho_error_set(&err, KHO_FATAL, "out of memory");
		for (size_t k = 0, at = 0; rc == KHO_OK && k < n_bags; k++) {
			memcpy(all + at, bags[k].members,
			       bags[k].n_members * sizeof(*all));
			at += bags[k].n_members;
		}
		/* Read it back, once, before the catalog hears of it. */
		if (rc == KHO_OK)
			rc = kho_volume_check(g->part, all, total, head.sha256,
					      &head.size, &err);
		free(all);
		if (rc)
			unlink(g->part);
		else
			fault_point("worker");
	}
	head.rc = rc;
	head.n_bags = rc == KHO_OK ? (uint32_t)n_bags : 0;
	snprintf(head.msg, sizeof(head.msg), "%s", err.msg);
	int bad = put(g, &head, sizeof(head));
	for (uint32_t k = 0; !bad && k < head.n_failed; k++)
		bad = put(g, &failed[k], sizeof(failed[k]));
	for (uint32_t k = 0; !bad && k < head.n_bags; k++) {
		report_bag rb = {(uint32_t)bags[k].item,
				 (uint32_t)bags[k].n_members};
		bad = put(g, &rb, sizeof(rb)) ||
		      put(g, bags[k].members,
			  bags[k].n_members * sizeof(*bags[k].members));
	}
	if (bad || kho_write_all(fd, g->report, g->len, "pipe", &err) != KHO_OK)
		_exit(1);
	_exit(0);
}

static int start_group(kho_session *s, pack_item *items, pack_group *groups,
		       size_t n_groups, pack_group *g, const char *today,
		       kho_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return kho_error_errno(err, KHO_FATAL, "make a pipe for",
				       g->part);
	fflush(NULL);
	const pid_t parent = getpid();
	const pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return kho_error_errno(err, KHO_FATAL, "start a pack worker for",
				       g->part);
	}
	if (pid == 0) {
		/* Only its own pipe: a sibling's read end held here would
		 * keep that sibling from ever seeing its reader gone. */
		close(p[0]);
		for (size_t k = 0; k < n_groups; k++)
			if (groups[k].fd >= 0)
				close(groups[k].fd);
		group_worker(s, items, g, today, p[1], parent);
	}
	close(p[1]);
	g->pid = pid;
	g->fd = p[0];
	return KHO_OK;
}

/* A bag of a report at `at`: its head into *rb; returns its members
 * (unaligned: copy each out). */
static const uint8_t *report_bag_at(const uint8_t *at, report_bag *rb)
{
	memcpy(rb, at, sizeof(*rb));
	return at + sizeof(*rb);
}

/* A group's report, checked against what was asked, and the members of
 * all its bags; NULL when it is not whole (the worker died). */
static const report_head *parse_report(const pack_group *g, size_t *members)
{
	*members = 0;
	if (g->len < sizeof(report_head))
		return NULL;
	const report_head *h = (const report_head *)g->report;
	size_t at = sizeof(*h) + h->n_failed * sizeof(report_failed);
	if (h->n_failed > g->to - g->from || h->n_bags > g->to - g->from ||
	    at > g->len)
		return NULL;
	for (uint32_t k = 0; k < h->n_bags; k++) {
		report_bag rb;
		if (at + sizeof(rb) > g->len)
			return NULL;
		report_bag_at(g->report + at, &rb);
		at += sizeof(rb) + rb.n_members * sizeof(kho_archive_member);
		if (at > g->len || rb.item < g->from || rb.item >= g->to)
			return NULL;
		*members += rb.n_members;
	}
	return at == g->len ? h : NULL;
}

/* In the supervisor: a written volume into the catalog under the name
 * numbered *number (which then moves on). */
static int commit_group(kho_session *s, const kho_shard *shard,
			pack_item *items, pack_group *g, int status,
			int *number, kho_stage_result *res, kho_error *err)
{
	size_t total = 0;
	const report_head *h = parse_report(g, &total);
	if (!h) {
		char how[96];
		if (WIFSIGNALED(status))
			snprintf(how, sizeof(how), "was killed by signal %d (%s)",
				 WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			snprintf(how, sizeof(how), "exited %d without a report",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		unlink(g->part);
		return kho_error_set(err, KHO_FATAL,
				     "the pack worker writing %s %s",
				     g->part_name, how);
	}
	int rc = KHO_OK;
	const report_failed *failed = (const report_failed *)(h + 1);
	for (uint32_t k = 0; rc == KHO_OK && k < h->n_failed; k++) {
		report_failed f;
		memcpy(&f, &failed[k], sizeof(f));
		if (f.item < g->from || f.item >= g->to)
			continue;
		items[f.item].failed = 1;
		res->failed++;
		rc = kho_jobs_fail(s->cat, items[f.item].job.id, 0, f.msg, err);
	}
	if (rc == KHO_OK && h->rc != KHO_OK)
		rc = kho_error_set(err, h->rc == KHO_FAIL ? KHO_FATAL : h->rc,
				   "%s", h->msg);
	if (rc || h->n_bags == 0) {
		unlink(g->part);
		return rc;
	}

	fault_point("after-part");
	char name[64];
	volume_name(s, shard, (*number)++, name, sizeof(name));
	const uint8_t *bags =
		g->report + sizeof(*h) + h->n_failed * sizeof(report_failed);
	int64_t volume = 0;
	rc = kho_catalog_begin(s->cat, err);
	if (rc == KHO_OK) {
		rc = kho_volumes_add(s->cat, name, h->size, h->sha256,
				     (int)total, &volume, err);
		const uint8_t *at = bags;
		for (uint32_t k = 0; rc == KHO_OK && k < h->n_bags; k++) {
			report_bag rb;
			at = report_bag_at(at, &rb);
			const pack_item *it = &items[rb.item];
			for (uint32_t m = 0; rc == KHO_OK && m < rb.n_members;
			     m++) {
				kho_archive_member member;
				memcpy(&member, at, sizeof(member));
				at += sizeof(member);
				rc = kho_archive_add(s->cat, volume,
						     it->job.record,
						     it->rec.record_id,
						     it->version, it->bag,
						     &member, err);
			}
		}
		if (rc == KHO_OK)
			rc = kho_catalog_commit(s->cat, err);
		else
			kho_catalog_rollback(s->cat);
	}
	if (rc == KHO_OK)
		fault_point("after-intent");
	char final[PATH_MAX + 80];
	snprintf(final, sizeof(final), "%s/%s", s->warehouse_dir, name);
	if (rc == KHO_OK && rename(g->part, final) != 0)
		rc = kho_error_errno(err, KHO_FATAL, "rename into", final);
	if (rc == KHO_OK)
		rc = kho_fsync_dir(s->warehouse_dir, err);
	if (rc == KHO_OK)
		fault_point("after-rename");
	if (rc == KHO_OK)
		rc = kho_catalog_begin(s->cat, err);
	if (rc == KHO_OK) {
		rc = kho_volumes_seal(s->cat, volume, err);
		const uint8_t *at = bags;
		for (uint32_t k = 0; rc == KHO_OK && k < h->n_bags; k++) {
			report_bag rb;
			at = report_bag_at(at, &rb);
			at += rb.n_members * sizeof(kho_archive_member);
			const pack_item *it = &items[rb.item];
			char detail[160];
			snprintf(detail, sizeof(detail),
				 "archived in %s as bag %s", name, it->bag);
			rc = kho_jobs_done(s->cat, it->job.id, detail, err);
			kho_event ev = {it->job.record, it->job.record_id,
					"pack", "pack", "ok", detail};
			if (rc == KHO_OK)
				rc = kho_catalog_event(s->cat, &ev, err);
		}
		if (rc == KHO_OK) {
			rc = kho_catalog_commit(s->cat, err);
			res->done += (int64_t)h->n_bags;
		} else {
			kho_catalog_rollback(s->cat);
		}
	}
	if (rc && kho_exists(g->part))
		unlink(g->part);
	return rc;
}

/* Reads what a running worker has written; 1 once it has exited (and
 * *status says how). */
static int drain(pack_group *g, int *status)
{
	uint8_t buf[1 << 16];
	ssize_t got = read(g->fd, buf, sizeof(buf));
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (got > 0) {
		if (put(g, buf, (size_t)got) == 0)
			return 0;
		/* out of memory: the report is lost, the volume with it */
		g->len = 0;
	}
	if (got != 0) /* the report is lost: no use waiting for the rest */
		kill(g->pid, SIGKILL);
	close(g->fd);
	g->fd = -1;
	while (waitpid(g->pid, status, 0) < 0 && errno == EINTR)
		;
	return 1;
}

/* Writes the groups' volumes, up to s->jobs at once, and commits each as
 * its worker finishes.  After a fatal problem or a signal no new volume is
 * begun; those begun are finished, unless a second signal comes: then the
 * workers are stopped, their parts removed and their records go back to
 * the queue. */
static int pack_groups(kho_session *s, const kho_shard *shard,
		       pack_item *items, pack_group *groups, size_t n_groups,
		       int number, kho_stage_result *res, kho_progress *prog,
		       int64_t *pages, kho_error *err)
{
	char today[KHO_TIME_ISO];
	kho_now_iso(today);
	today[10] = '\0';
	const size_t workers = (size_t)KHO_MAX(1, s->jobs);
	size_t next = 0, running = 0;
	int rc = KHO_OK, stopped = 0;
	pack_group **active = calloc(workers, sizeof(*active));
	struct pollfd *pfd = calloc(workers, sizeof(*pfd));
	if (!active || !pfd)
		rc = kho_error_set(err, KHO_FATAL, "out of memory");
	for (;;) {
		if (rc == KHO_OK && next < n_groups && kho_pool_stop_requested())
			res->interrupted = 1;
		while (rc == KHO_OK && !res->interrupted && next < n_groups &&
		       running < workers) {
			rc = start_group(s, items, groups, n_groups,
					 &groups[next], today, err);
			if (rc == KHO_OK)
				active[running++] = &groups[next++];
		}
		if (running == 0)
			break;
		if (!stopped && kho_pool_signals() >= 2) {
			for (size_t k = 0; k < running; k++)
				kill(active[k]->pid, SIGKILL);
			stopped = 1;
			res->interrupted = 1;
		}
		for (size_t k = 0; k < running; k++)
			pfd[k] = (struct pollfd){.fd = active[k]->fd,
						 .events = POLLIN};
		if (poll(pfd, running, 1000) < 0 && errno != EINTR) {
			if (rc == KHO_OK)
				rc = kho_error_errno(err, KHO_FATAL, "wait for",
						     "the pack workers");
			/* Read each to its end instead, blocking. */
			for (size_t k = 0; k < running; k++)
				pfd[k].revents = POLLIN;
		}
		for (size_t k = 0; k < running;) {
			int status = 0;
			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) ||
			    !drain(active[k], &status)) {
				k++;
				continue;
			}
			pack_group *g = active[k];
			kho_error gerr = KHO_ERROR_INIT;
			int grc = KHO_OK, archived = 0;
			size_t members = 0;
			if (stopped && !parse_report(g, &members)) {
				unlink(g->part); /* its records go back */
			} else {
				grc = commit_group(s, shard, items, g, status,
						   &number, res, &gerr);
				archived = grc == KHO_OK;
			}
			if (grc && rc == KHO_OK)
				rc = kho_error_set(err, grc, "%s", gerr.msg);
			for (size_t i = g->from; archived && i < g->to; i++)
				if (!items[i].failed)
					*pages += items[i].pages;
			free(g->report);
			g->report = NULL;
			active[k] = active[--running];
			pfd[k] = pfd[running];
			kho_progress_update(prog, res->done + res->failed,
					    *pages);
		}
	}
	free(active);
	free(pfd);
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
	pack_group *groups = NULL;
	size_t n_groups = 0;
	int first = 0;
	if (rc == KHO_OK)
		rc = assign_versions(s, items, n, err);
	if (rc == KHO_OK)
		rc = plan_groups(s, &shard, items, n, &groups, &n_groups,
				 &first, err);
	kho_progress prog;
	kho_progress_start(&prog, "pack", "packing", (int64_t)n, s->progress);
	int64_t pages = 0;
	if (rc == KHO_OK)
		rc = pack_groups(s, &shard, items, groups, n_groups, first,
				 res, &prog, &pages, err);
	kho_progress_finish(&prog, res->done + res->failed, pages);
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
	free(groups);
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
