#include "stages/inbox_scan.h"
#include "common/csv.h"
#include "common/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <sys/stat.h>

#define MANIFEST "manifest.csv"

/* Running out of memory while looking at an inbox ends the look at once:
 * kho_inbox_scan() and kho_scan_finish() catch it and return KHO_FATAL
 * (what was collected is released by kho_scan_release()). */
static _Noreturn void out_of_memory(kho_scan *scan)
{
	longjmp(*(jmp_buf *)scan->oom, 1);
}

static void *grow(kho_scan *scan, void *p, size_t bytes)
{
	void *q = realloc(p, bytes);
	if (!q)
		out_of_memory(scan);
	return q;
}

static char *xstrdup(kho_scan *scan, const char *s)
{
	char *d = strdup(s);
	if (!d)
		out_of_memory(scan);
	return d;
}

static char *fmt(kho_scan *scan, const char *f, ...)
	__attribute__((format(printf, 2, 3)));
static char *fmt(kho_scan *scan, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s = NULL;
	int n = vasprintf(&s, f, ap);
	va_end(ap);
	if (n < 0)
		out_of_memory(scan);
	return s;
}

/* Whether the scan looks at this record. */
static int mine(kho_scan *scan, const char *id)
{
	if (kho_shard_takes(&scan->shard, id))
		return 1;
	scan->n_elsewhere++;
	return 0;
}

/* Takes ownership of message.  A problem that names no record belongs to
 * no shard by its id: shard 1 keeps it, the others let it be. */
static void add_problem(kho_scan *scan, const char *inbox, const char *name,
			char *message, const struct stat *st)
{
	if (scan->shard.count > 0 && scan->shard.index != 1) {
		free(message);
		return;
	}
	if (scan->n_problems == scan->cap_problems) {
		scan->cap_problems = scan->cap_problems ? scan->cap_problems * 2
							: 8;
		scan->problems = grow(scan, scan->problems,
					 scan->cap_problems *
						 sizeof(*scan->problems));
	}
	char quoted[256];
	kho_quote_name(name, quoted, sizeof(quoted));
	kho_scan_problem *p = &scan->problems[scan->n_problems++];
	p->what = xstrdup(scan, quoted);
	p->message = message;
	/* The same problem found again another night is the same problem,
	 * unless the entry changed. */
	p->key = fmt(scan, "%s\n%s\n%lld\n%lld", inbox, name,
		     st ? (long long)st->st_size : -1LL,
		     st ? (long long)st->st_mtim.tv_sec * 1000000000LL +
				  st->st_mtim.tv_nsec
			: -1LL);
}

static kho_scan_record *add_record(kho_scan *scan, const char *id,
				   const char *inbox, const char *where)
{
	if (scan->n_records == scan->cap_records) {
		scan->cap_records = scan->cap_records ? scan->cap_records * 2
						      : 64;
		scan->records = grow(scan, scan->records,
					scan->cap_records *
						sizeof(*scan->records));
	}
	kho_scan_record *r = &scan->records[scan->n_records++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->inbox = xstrdup(scan, inbox);
	r->where = xstrdup(scan, where);
	return r;
}

static void add_file(kho_scan *scan, kho_scan_record *r, const char *path, const char *name,
		     int page, const struct stat *st)
{
	if (r->n_files == r->cap_files) {
		r->cap_files = r->cap_files ? r->cap_files * 2 : 8;
		r->files = grow(scan, r->files, r->cap_files * sizeof(*r->files));
	}
	kho_scan_file *f = &r->files[r->n_files++];
	f->path = xstrdup(scan, path);
	f->name = xstrdup(scan, name);
	f->page = page;
	f->size = (long long)st->st_size;
	f->mtime_ns = (long long)st->st_mtim.tv_sec * 1000000000LL +
		      st->st_mtim.tv_nsec;
}

/* Resolves inbox/name to a regular file inside the inbox.  Returns 0 and
 * the real path, or a message (malloc'd) that says why not. */
static char *resolve(kho_scan *scan, const char *inbox, const char *name, char *real,
		     struct stat *st)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/%s", inbox, name) >=
	    (int)sizeof(path))
		return fmt(scan, "the path is too long");
	struct stat lst;
	if (lstat(path, &lst) != 0)
		return fmt(scan, "cannot read it: %s", strerror(errno));
	if (!realpath(path, real))
		return fmt(scan, "cannot follow it: %s", strerror(errno));
	size_t n = strlen(inbox);
	if (strncmp(real, inbox, n) != 0 || real[n] != '/') {
		/* The link's target is input too: quoted like any name. */
		char quoted[256];
		kho_quote_name(real, quoted, sizeof(quoted));
		return fmt(scan, "it is a symbolic link to '%s', outside the "
			   "inbox: kho follows links only within the inbox",
			   quoted);
	}
	if (stat(real, st) != 0)
		return fmt(scan, "cannot read it: %s", strerror(errno));
	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		return fmt(scan, "it is neither a file nor a folder");
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	const char *x = *(const char *const *)a;
	const char *y = *(const char *const *)b;
	int c = kho_natural_cmp(x, y);
	return c ? c : strcmp(x, y);
}

/* Names in a folder, sorted naturally, without '.' entries. */
static int list_dir(kho_scan *scan, const char *dir, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			*names = grow(scan, *names, cap * sizeof(**names));
		}
		(*names)[(*n)++] = xstrdup(scan, e->d_name);
	}
	closedir(d);
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), by_name);
	return 0;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Manifest files by inbox-relative name, to leave out of the folder walk. */
typedef struct manifest_entry {
	char *name;
	char *record;
	int page;
	long line;
} manifest_entry;

typedef struct manifest {
	manifest_entry *rows;
	size_t n;
} manifest;

static int in_manifest(const manifest *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->rows[i].name, name) == 0)
			return 1;
	return 0;
}

static int row_order(const void *a, const void *b)
{
	const manifest_entry *x = a, *y = b;
	int c = strcmp(x->record, y->record);
	if (c)
		return c;
	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* A manifest name must stay inside the inbox whatever it says. */
static const char *bad_manifest_name(const char *name)
{
	if (!*name)
		return "the file name is empty";
	if (name[0] == '/')
		return "the file name is an absolute path";
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			return "the file name holds control characters";
	for (const char *p = name; *p;) {
		size_t seg = strcspn(p, "/");
		if ((seg == 2 && p[0] == '.' && p[1] == '.') ||
		    (seg == 1 && p[0] == '.'))
			return "the file name holds '.' or '..'";
		if (seg == 0)
			return "the file name holds an empty path part";
		p += seg;
		if (*p == '/')
			p++;
	}
	if (strlen(name) > 1024)
		return "the file name is longer than 1024 bytes";
	return NULL;
}

static void read_manifest(kho_scan *scan, const char *inbox, manifest *m)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", inbox, MANIFEST);
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	uint8_t *data = NULL;
	size_t size = 0;
	kho_error err = KHO_ERROR_INIT;
	if (kho_read_file(path, 64ull << 20, &data, &size, &err) != KHO_OK) {
		add_problem(scan, inbox, MANIFEST, xstrdup(scan, err.msg), &st);
		return;
	}
	kho_csv *csv = NULL;
	if (kho_csv_open(&csv, (const char *)data, size, &err) != KHO_OK) {
		free(data);
		add_problem(scan, inbox, MANIFEST, xstrdup(scan, err.msg), &st);
		return;
	}
	char **f;
	size_t nf;
	long line;
	int c_file = -1, c_record = -1, c_page = -1;
	int rc = kho_csv_next(csv, &f, &nf, &line, &err);
	if (rc == 1) {
		c_file = kho_csv_column(f, nf, "file");
		c_record = kho_csv_column(f, nf, "record");
		c_page = kho_csv_column(f, nf, "page");
	}
	if (rc != 1 || c_file < 0 || c_record < 0) {
		add_problem(scan, inbox, MANIFEST,
			    rc < 0 ? fmt(scan, "manifest.csv %s", err.msg)
				   : fmt(scan, "manifest.csv has no header with "
					 "'file' and 'record' (and 'page') "
					 "columns"),
			    &st);
		kho_csv_free(csv);
		free(data);
		return;
	}
	size_t cap = 0;
	while ((rc = kho_csv_next(csv, &f, &nf, &line, &err)) == 1) {
		char where[64];
		snprintf(where, sizeof(where), "manifest.csv line %ld", line);
		struct stat key = st; /* a line's problem follows the file */
		key.st_size += line;
		const char *file = (size_t)c_file < nf ? f[c_file] : "";
		const char *rec = (size_t)c_record < nf ? f[c_record] : "";
		const char *pg = c_page >= 0 && (size_t)c_page < nf
					 ? f[c_page]
					 : "";
		char qrec[256], qfile[256];
		kho_quote_name(rec, qrec, sizeof(qrec));
		kho_quote_name(file, qfile, sizeof(qfile));
		const char *why = bad_manifest_name(file);
		if (why) {
			add_problem(scan, inbox, where,
				    fmt(scan, "'%s': %s", qfile, why), &key);
			continue;
		}
		if (!kho_record_id_valid(rec)) {
			add_problem(scan, inbox, where,
				    fmt(scan, "'%s' is not a valid record id (%s)",
					qrec, KHO_RECORD_ID_RULE),
				    &key);
			continue;
		}
		long page = 0;
		if (*pg) {
			char *end;
			errno = 0;
			page = strtol(pg, &end, 10);
			if (*end || errno || page < 1 || page > 100000) {
				add_problem(scan, inbox, where,
					    fmt(scan, "page '%s' is not a page number "
						"from 1",
						pg),
					    &key);
				continue;
			}
		}
		if (m->n == cap) {
			cap = cap ? cap * 2 : 32;
			m->rows = grow(scan, m->rows, cap * sizeof(*m->rows));
		}
		manifest_entry *e = &m->rows[m->n++];
		e->name = xstrdup(scan, file);
		e->record = xstrdup(scan, rec);
		e->page = (int)page;
		e->line = line;
	}
	if (rc < 0)
		add_problem(scan, inbox, MANIFEST,
			    fmt(scan, "manifest.csv %s; the rows after it are not "
				"read",
				err.msg),
			    &st);
	kho_csv_free(csv);
	free(data);
	if (m->n > 1)
		qsort(m->rows, m->n, sizeof(*m->rows), row_order);
}

/* Records named by the manifest. */
static void manifest_records(kho_scan *scan, const char *inbox,
			     const manifest *m)
{
	for (size_t i = 0; i < m->n;) {
		size_t j = i;
		while (j < m->n && strcmp(m->rows[j].record,
					  m->rows[i].record) == 0)
			j++;
		if (!mine(scan, m->rows[i].record)) {
			i = j;
			continue;
		}
		kho_scan_record *r =
			add_record(scan, m->rows[i].record, inbox, MANIFEST);
		for (size_t k = i; k < j; k++) {
			const manifest_entry *e = &m->rows[k];
			char qfile[256];
			kho_quote_name(e->name, qfile, sizeof(qfile));
			if (k > i && e->page && e->page == m->rows[k - 1].page &&
			    !r->error)
				r->error = fmt(scan, "manifest.csv line %ld gives "
					       "page %d of the record twice",
					       e->line, e->page);
			char real[PATH_MAX];
			struct stat st;
			char *why = resolve(scan, inbox, e->name, real, &st);
			if (!why && !S_ISREG(st.st_mode))
				why = fmt(scan, "it is a folder");
			if (why) {
				if (!r->error)
					r->error = fmt(scan, "manifest.csv line %ld "
						       "names '%s': %s",
						       e->line, qfile, why);
				free(why);
				continue;
			}
			add_file(scan, r, real, e->name, e->page, &st);
		}
		i = j;
	}
}

static void folder_record(kho_scan *scan, const char *inbox,
			  const char *name, const manifest *m)
{
	char where[PATH_MAX];
	snprintf(where, sizeof(where), "%s/", name);
	kho_scan_record *r = add_record(scan, name, inbox, where);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", inbox, name);
	char **names;
	size_t n;
	if (list_dir(scan, dir, &names, &n) != 0) {
		r->error = fmt(scan, "cannot read the folder '%s': %s", where,
			       strerror(errno));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char rel[PATH_MAX];
		if (snprintf(rel, sizeof(rel), "%s/%s", name, names[i]) >=
		    (int)sizeof(rel))
			continue;
		if (in_manifest(m, rel))
			continue;
		char real[PATH_MAX];
		struct stat st;
		char *why = resolve(scan, inbox, rel, real, &st);
		if (!why && S_ISDIR(st.st_mode))
			why = fmt(scan, "a record folder holds page files, not "
				  "folders");
		if (why) {
			char q[256];
			kho_quote_name(rel, q, sizeof(q));
			if (!r->error)
				r->error = fmt(scan, "'%s': %s", q, why);
			free(why);
			continue;
		}
		add_file(scan, r, real, rel, 0, &st);
	}
	free_names(names, n);
	if (r->n_files == 0 && !r->error)
		r->error = fmt(scan, "the record folder '%s' holds no scans", where);
}

static int scan_inbox(kho_scan *scan, const char *inbox_given,
		      kho_error *err);

int kho_inbox_scan(kho_scan *scan, const char *inbox_given, kho_error *err)
{
	jmp_buf jb;
	scan->oom = &jb;
	if (setjmp(jb)) {
		scan->oom = NULL;
		return kho_error_set(err, KHO_FATAL,
				     "out of memory looking at inbox '%s'",
				     inbox_given);
	}
	int rc = scan_inbox(scan, inbox_given, err);
	scan->oom = NULL;
	return rc;
}

static int scan_inbox(kho_scan *scan, const char *inbox_given, kho_error *err)
{
	char inbox[PATH_MAX];
	struct stat st;
	if (!realpath(inbox_given, inbox) || stat(inbox, &st) != 0)
		return kho_error_set(err, KHO_USAGE, "cannot read inbox '%s': %s",
				     inbox_given, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return kho_error_set(err, KHO_USAGE,
				     "inbox '%s' is not a folder", inbox_given);
	manifest m = { NULL, 0 };
	read_manifest(scan, inbox, &m);
	manifest_records(scan, inbox, &m);

	char **names;
	size_t n;
	if (list_dir(scan, inbox, &names, &n) != 0)
		return kho_error_set(err, KHO_USAGE, "cannot read inbox '%s': %s",
				     inbox_given, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		const char *name = names[i];
		if (strcmp(name, MANIFEST) == 0 || in_manifest(&m, name))
			continue;
		char real[PATH_MAX];
		struct stat est;
		char *why = resolve(scan, inbox, name, real, &est);
		char id[KHO_RECORD_ID_MAX + 2];
		if (why) {
			/* A name that is a record's fails that record. */
			size_t stem = strcspn(name, ".");
			snprintf(id, sizeof(id), "%.*s",
				 (int)KHO_MIN(stem, sizeof(id) - 1), name);
			char q[256];
			kho_quote_name(name, q, sizeof(q));
			if (stem <= KHO_RECORD_ID_MAX && kho_record_id_valid(id)) {
				if (!mine(scan, id)) {
					free(why);
					continue;
				}
				kho_scan_record *r =
					add_record(scan, id, inbox, name);
				r->error = fmt(scan, "'%s': %s", q, why);
				free(why);
			} else {
				add_problem(scan, inbox, name, why, NULL);
			}
			continue;
		}
		size_t stem = S_ISDIR(est.st_mode) ? strlen(name)
						  : strcspn(name, ".");
		int fits = stem <= KHO_RECORD_ID_MAX;
		snprintf(id, sizeof(id), "%.*s", (int)(fits ? stem : 0), name);
		if (!fits || !kho_record_id_valid(id)) {
			char q[256];
			kho_quote_name(name, q, sizeof(q));
			add_problem(scan, inbox, name,
				    fmt(scan, "'%s' does not name a record: a record "
					"id is %s",
					q, KHO_RECORD_ID_RULE),
				    &est);
			continue;
		}
		if (!mine(scan, id))
			continue;
		if (S_ISDIR(est.st_mode)) {
			folder_record(scan, inbox, name, &m);
		} else {
			kho_scan_record *r = add_record(scan, id, inbox, name);
			add_file(scan, r, real, name, 0, &est);
		}
	}
	free_names(names, n);
	for (size_t i = 0; i < m.n; i++) {
		free(m.rows[i].name);
		free(m.rows[i].record);
	}
	free(m.rows);
	return KHO_OK;
}

static int by_id(const void *a, const void *b)
{
	const kho_scan_record *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	if (c)
		return c;
	c = strcmp(x->inbox, y->inbox);
	return c ? c : strcmp(x->where, y->where);
}

static void release_record(kho_scan_record *r)
{
	for (size_t i = 0; i < r->n_files; i++) {
		free(r->files[i].path);
		free(r->files[i].name);
	}
	free(r->files);
	free(r->inbox);
	free(r->where);
	free(r->error);
}

/* "record 'X' is in the inbox more than once: 'A/' in '...', ..." for the
 * group [from, to), or NULL when out of memory. */
static char *duplicate_message(const kho_scan *scan, size_t from, size_t to)
{
	char *msg = NULL;
	if (asprintf(&msg, "record '%s' is in the inbox more than once:",
		     scan->records[from].id) < 0)
		return NULL;
	for (size_t k = from; k < to; k++) {
		char *more = NULL;
		int n = asprintf(&more, "%s%s '%s' in '%s'", msg,
				 k > from ? "," : "", scan->records[k].where,
				 scan->records[k].inbox);
		free(msg);
		if (n < 0)
			return NULL;
		msg = more;
	}
	return msg;
}

int kho_scan_finish(kho_scan *scan, kho_error *err)
{
	if (scan->n_records > 1)
		qsort(scan->records, scan->n_records, sizeof(*scan->records),
		      by_id);
	size_t out = 0;
	for (size_t i = 0; i < scan->n_records;) {
		size_t j = i + 1;
		while (j < scan->n_records &&
		       strcmp(scan->records[j].id, scan->records[i].id) == 0)
			j++;
		if (j - i > 1) {
			char *msg = duplicate_message(scan, i, j);
			if (!msg) {
				/* Keep the list whole for kho_scan_release. */
				memmove(scan->records + out, scan->records + i,
					(scan->n_records - i) *
						sizeof(*scan->records));
				scan->n_records = out + scan->n_records - i;
				return kho_error_set(err, KHO_FATAL,
						     "out of memory sorting the "
						     "inbox records");
			}
			free(scan->records[i].error);
			scan->records[i].error = msg;
			for (size_t k = i + 1; k < j; k++)
				release_record(&scan->records[k]);
		}
		if (out != i)
			scan->records[out] = scan->records[i];
		out++;
		i = j;
	}
	scan->n_records = out;
	return KHO_OK;
}

void kho_scan_release(kho_scan *scan)
{
	for (size_t i = 0; i < scan->n_records; i++)
		release_record(&scan->records[i]);
	free(scan->records);
	for (size_t i = 0; i < scan->n_problems; i++) {
		free(scan->problems[i].what);
		free(scan->problems[i].message);
		free(scan->problems[i].key);
	}
	free(scan->problems);
	memset(scan, 0, sizeof(*scan));
}
