#include "register/register_import.h"
#include "common/csv.h"
#include "common/hash.h"
#include "common/names.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define YEAR_MIN 1900
#define YEAR_MAX 2100
#define PROGRESS_EVERY 65536

/* Names a case system may give the id column. */
static const char *const id_names[] = {"id", "record_id", "record"};

/* Blanks around a field are the export's, not the data's. */
static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

void kho_register_header_release(kho_register_header *h)
{
	for (size_t i = 0; h->names && i < h->n_columns; i++)
		free(h->names[i]);
	free(h->names);
	memset(h, 0, sizeof(*h));
}

static void list_names(char *const *fields, size_t n, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && len + 1 < cap; i++) {
		char q[160];
		kho_quote_name(fields[i], q, sizeof(q));
		int w = snprintf(out + len, cap - len, "%s'%s'", i ? ", " : "",
				 q);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

int kho_register_header_parse(kho_register_header *h, char *const *fields,
			      size_t n, kho_error *err)
{
	memset(h, 0, sizeof(*h));
	h->id = h->year = h->agency = h->field = -1;
	for (int i = 0; i < KHO_REG_N_TEXT; i++)
		h->text[i] = -1;
	h->names = calloc(n ? n : 1, sizeof(*h->names));
	if (!h->names)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	h->n_columns = n;
	for (size_t i = 0; i < n; i++) {
		char *copy = strdup(fields[i]);
		if (!copy) {
			kho_register_header_release(h);
			return kho_error_set(err, KHO_FATAL, "out of memory");
		}
		h->names[i] = copy;
		char *t = trim(copy);
		memmove(copy, t, strlen(t) + 1);
		if (!*copy) {
			/* A column without a name keeps its place. */
			char name[32];
			snprintf(name, sizeof(name), "column_%zu", i + 1);
			free(copy);
			h->names[i] = strdup(name);
			if (!h->names[i]) {
				kho_register_header_release(h);
				return kho_error_set(err, KHO_FATAL,
						     "out of memory");
			}
		}
	}
	char have[768];
	list_names(h->names, n, have, sizeof(have));
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (strcasecmp(h->names[i], h->names[j]) == 0) {
				char q[160];
				kho_quote_name(h->names[i], q, sizeof(q));
				kho_error_set(
					err, KHO_USAGE,
					"column '%s' appears twice in "
					"the header (columns %zu and %zu)",
					q, j + 1, i + 1);
				kho_register_header_release(h);
				return KHO_USAGE;
			}
		}
		int *slot = NULL;
		const char *name = h->names[i];
		for (size_t k = 0; k < KHO_ARRAY_SIZE(id_names); k++)
			if (strcasecmp(name, id_names[k]) == 0)
				slot = &h->id;
		if (strcasecmp(name, "year") == 0)
			slot = &h->year;
		else if (strcasecmp(name, "agency") == 0)
			slot = &h->agency;
		else if (strcasecmp(name, "field") == 0)
			slot = &h->field;
		for (int k = 0; k < KHO_REG_N_TEXT; k++)
			if (strcasecmp(name, kho_register_text_names[k]) == 0)
				slot = &h->text[k];
		if (slot && *slot >= 0) {
			/* "id" and "record_id" both: one of them is extra. */
			slot = NULL;
		}
		if (slot)
			*slot = (int)i;
		else
			h->n_extra++;
	}
	const char *missing = h->id < 0	      ? "id"
			      : h->year < 0   ? "year"
			      : h->agency < 0 ? "agency"
			      : h->field < 0  ? "field"
					      : NULL;
	if (missing) {
		kho_error_set(err, KHO_USAGE,
			      "the header has no '%s' column (it needs id, "
			      "year, agency and field; it has %s)",
			      missing, have);
		kho_register_header_release(h);
		return KHO_USAGE;
	}
	return KHO_OK;
}

static int is_known(const kho_register_header *h, size_t col)
{
	int c = (int)col;
	if (c == h->id || c == h->year || c == h->agency || c == h->field)
		return 1;
	for (int i = 0; i < KHO_REG_N_TEXT; i++)
		if (c == h->text[i])
			return 1;
	return 0;
}

static int parse_year(const char *s, int *year)
{
	if (strlen(s) != 4)
		return -1;
	int v = 0;
	for (int i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < YEAR_MIN || v > YEAR_MAX)
		return -1;
	*year = v;
	return 0;
}

static int extra_json(const kho_register_header *h, char **fields, char **out,
		      kho_error *err)
{
	*out = NULL;
	if (h->n_extra == 0)
		return KHO_OK;
	json_t *o = json_object();
	if (!o)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	for (size_t i = 0; i < h->n_columns; i++) {
		if (is_known(h, i) || !*fields[i])
			continue;
		json_object_set_new(o, h->names[i], json_string(fields[i]));
	}
	*out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return *out ? KHO_OK : kho_error_set(err, KHO_FATAL, "out of memory");
}

int kho_register_row_check(const kho_register_header *h, char **fields,
			   size_t n, long line, kho_register_row *row,
			   char **extra, kho_error *err)
{
	memset(row, 0, sizeof(*row));
	*extra = NULL;
	row->line = line;
	for (size_t i = 0; i < n; i++)
		fields[i] = trim(fields[i]);
	/* The id first, so that every refusal can name it. */
	if ((size_t)h->id < n && *fields[h->id])
		row->record_id = fields[h->id];
	if (n != h->n_columns)
		return kho_error_set(err, KHO_FAIL,
				     "%zu field(s) where the header has %zu "
				     "(a comma that is not quoted?)",
				     n, h->n_columns);
	if (!row->record_id)
		return kho_error_set(err, KHO_FAIL, "missing id");
	if (!kho_record_id_valid(row->record_id)) {
		char q[160];
		kho_quote_name(row->record_id, q, sizeof(q));
		return kho_error_set(
			err, KHO_FAIL,
			"id '%s' is not a record id (" KHO_RECORD_ID_RULE ")",
			q);
	}
	const char *year = fields[h->year];
	if (!*year)
		return kho_error_set(err, KHO_FAIL, "missing year");
	if (parse_year(year, &row->year) != 0) {
		char q[160];
		kho_quote_name(year, q, sizeof(q));
		return kho_error_set(err, KHO_FAIL,
				     "bad year '%s' (four digits, %d to %d)", q,
				     YEAR_MIN, YEAR_MAX);
	}
	row->agency = fields[h->agency];
	row->field = fields[h->field];
	if (!*row->agency)
		return kho_error_set(err, KHO_FAIL, "missing agency");
	if (!*row->field)
		return kho_error_set(err, KHO_FAIL, "missing field");
	for (int i = 0; i < KHO_REG_N_TEXT; i++)
		row->text[i] = h->text[i] >= 0 ? fields[h->text[i]] : NULL;
	return extra_json(h, fields, extra, err);
}

/* ---- a whole file ---- */

/* The reader's message without its "line N: ", which the refusal carries
 * on its own. */
static const char *reason_of(const kho_error *e)
{
	const char *m = e->msg;
	if (strncmp(m, "line ", 5) == 0) {
		const char *p = m + 5;
		while (isdigit((unsigned char)*p))
			p++;
		if (p[0] == ':' && p[1] == ' ')
			return p + 2;
	}
	return m;
}

static long line_of(const char *data, size_t off)
{
	long line = 1;
	for (const char *p = data;
	     (p = memchr(p, '\n', (size_t)(data + off - p))); p++)
		line++;
	return line;
}

/* What a file must be before its rows are read. */
static int check_bytes(const char *path, const char *data, size_t len,
		       kho_error *err)
{
	if (len == 0)
		return kho_error_set(err, KHO_USAGE, "'%s' is empty", path);
	const unsigned char *u = (const unsigned char *)data;
	if (len >= 2 &&
	    ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
		return kho_error_set(err, KHO_USAGE,
				     "'%s' is UTF-16 text: export it as CSV "
				     "UTF-8",
				     path);
	const char *nul = memchr(data, '\0', len);
	if (nul)
		return kho_error_set(err, KHO_USAGE,
				     "'%s' holds a NUL byte on line %ld: it is "
				     "not a CSV text file (export it as CSV "
				     "UTF-8)",
				     path, line_of(data, (size_t)(nul - data)));
	return KHO_OK;
}

static int64_t count_lines(const char *data, size_t len)
{
	int64_t n = 0;
	for (const char *p = data;
	     (p = memchr(p, '\n', (size_t)(data + len - p))); p++)
		n++;
	return n + (len > 0 && data[len - 1] != '\n');
}

static char *header_json(const kho_register_header *h)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < h->n_columns; i++)
		json_array_append_new(a, json_string(h->names[i]));
	char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	return s;
}

struct import_state {
	kho_catalog *cat;
	kho_csv *csv;
	kho_register_header header;
	int64_t rows;
	int64_t lines;
	kho_register_progress_fn progress;
	void *ctx;
};

/* One data row: taken, refused, or a failure of the catalog. */
static int import_row(struct import_state *s, char **fields, size_t n,
		      long line, kho_error *err)
{
	kho_register_row row;
	char *extra = NULL;
	kho_error why = KHO_ERROR_INIT;
	int rc = kho_register_row_check(&s->header, fields, n, line, &row,
					&extra, &why);
	if (rc == KHO_FATAL) {
		*err = why;
		return rc;
	}
	if (rc == KHO_FAIL)
		return kho_register_stage_refuse(s->cat, line, row.record_id,
						 why.msg, err);
	row.extra_json = extra;
	long first = 0;
	rc = kho_register_stage_row(s->cat, &row, &first, err);
	free(extra);
	if (rc == 0) {
		char reason[256];
		snprintf(reason, sizeof(reason),
			 "duplicate id '%s': line %ld has it already",
			 row.record_id, first);
		return kho_register_stage_refuse(s->cat, line, row.record_id,
						 reason, err);
	}
	return rc < 0 ? rc : KHO_OK;
}

static int read_rows(struct import_state *s, const char *path, kho_error *err)
{
	char **fields = NULL;
	size_t n = 0;
	long line = 0;
	kho_error rerr = KHO_ERROR_INIT;
	int rc = kho_csv_next(s->csv, &fields, &n, &line, &rerr);
	if (rc == 0)
		return kho_error_set(err, KHO_USAGE,
				     "'%s' has no header line (id, year, "
				     "agency, field, ...)",
				     path);
	if (rc < 0) {
		kho_error_set(err,
			      rerr.code == KHO_FAIL ? KHO_USAGE : rerr.code,
			      "%s", rerr.msg);
		return kho_error_prefix(err, "cannot read the header of '%s'",
					path);
	}
	rc = kho_register_header_parse(&s->header, fields, n, err);
	if (rc)
		return kho_error_prefix(err, "'%s'", path);
	rc = kho_register_stage_begin(s->cat, err);
	if (rc)
		return rc;
	for (;;) {
		kho_error_clear(&rerr);
		rc = kho_csv_next(s->csv, &fields, &n, &line, &rerr);
		if (rc == 0)
			break;
		s->rows++;
		if (rc == 1) {
			rc = import_row(s, fields, n, line, err);
		} else if (rc == KHO_FAIL) {
			/* A row the reader cannot read (invalid UTF-8, a quote
			 * never closed) is refused like any other. */
			rc = kho_register_stage_refuse(s->cat, line, NULL,
						       reason_of(&rerr), err);
		} else {
			*err = rerr;
		}
		if (rc) {
			kho_register_stage_abort(s->cat);
			return rc;
		}
		if (s->progress && s->rows % PROGRESS_EVERY == 0)
			s->progress(s->ctx, s->rows, s->lines);
	}
	return KHO_OK;
}

int kho_register_import_file(kho_catalog *cat, const char *path,
			     kho_register_progress_fn progress, void *ctx,
			     kho_register_counts *counts, kho_error *err)
{
	memset(counts, 0, sizeof(*counts));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kho_error_set(
			err, errno == ENOENT ? KHO_USAGE : KHO_FATAL,
			"cannot open '%s': %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return kho_error_set(err, KHO_USAGE,
				     "'%s' is not a regular file", path);
	}
	size_t len = (size_t)st.st_size;
	char *data = NULL;
	if (len > 0) {
		data = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (data == MAP_FAILED) {
			int e = errno;
			close(fd);
			return kho_error_set(err, KHO_FATAL,
					     "cannot read '%s': %s", path,
					     strerror(e));
		}
		madvise(data, len, MADV_SEQUENTIAL);
	}
	close(fd);
	int rc = check_bytes(path, data, len, err);

	struct import_state s = {.cat = cat, .progress = progress, .ctx = ctx};
	if (rc == KHO_OK) {
		s.lines = count_lines(data, len);
		rc = kho_csv_open(&s.csv, data, len, err);
	}
	if (rc == KHO_OK)
		rc = read_rows(&s, path, err);
	if (rc == KHO_OK) {
		char sha[KHO_SHA256_HEX];
		kho_sha256_hex(data, len, sha);
		char *columns = header_json(&s.header);
		if (!columns) {
			kho_register_stage_abort(cat);
			rc = kho_error_set(err, KHO_FATAL, "out of memory");
		} else {
			kho_register_import_info info = {
				.file = path,
				.sha256 = sha,
				.columns = columns,
				.rows = s.rows,
			};
			if (progress)
				progress(ctx, s.rows, s.lines);
			rc = kho_register_merge(cat, &info, counts, err);
			free(columns);
		}
	}
	kho_csv_free(s.csv);
	kho_register_header_release(&s.header);
	if (data)
		munmap(data, len);
	return rc;
}

static void csv_field(FILE *out, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

int kho_register_refusals_csv(kho_catalog *cat, int64_t import, FILE *out,
			      kho_error *err)
{
	kho_register_refusal *r = NULL;
	size_t n = 0;
	int rc = kho_register_refusals(cat, import, 0, &r, &n, err);
	if (rc)
		return rc;
	fputs("line,id,reason\r\n", out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%ld,", r[i].line);
		csv_field(out, r[i].record_id);
		fputc(',', out);
		csv_field(out, r[i].reason);
		fputs("\r\n", out);
	}
	kho_register_refusals_free(r, n);
	if (fflush(out) != 0 || ferror(out))
		return kho_error_set(err, KHO_FATAL,
				     "cannot write the refused rows: %s",
				     strerror(errno));
	return KHO_OK;
}
