/*
 * kho lookup "QR TEXT" | --image FILE | --pdf FILE: is a presented result
 * the one in the warehouse, unaltered?
 *
 * A payload is genuine when an archived bag's metadata.json holds exactly
 * that payload and the bag's result.pdf, read by its offset and checked
 * against the index, still gives the payload's verification code.  A PDF
 * is genuine when it is byte for byte an archived result.pdf.
 */
#include "kho/commands.h"
#include "catalog/catalog_warehouse.h"
#include "cli/options.h"
#include "cli/roots.h"
#include "common/fsutil.h"
#include "common/hash.h"
#include "common/names.h"
#include "describe/qr_payload.h"
#include "pack/member_read.h"
#include "pdf/pdf_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* A result.pdf read back for its verification code. */
#define MAX_PDF_BYTES (4ull << 30)

enum { OPT_IMAGE, OPT_PDF, OPT_ROOTS };

static const kho_opt lookup_opts[] = {
	[OPT_IMAGE] = {"image", 0, 1, "FILE",
		       "read the QR code from a scan or photo "
		       "(zbarimg, from zbar-tools)"},
	[OPT_PDF] = {"pdf", 0, 1, "FILE",
		     "a result.pdf: is it byte for byte the "
		     "warehouse's?"},
	[OPT_ROOTS] = {"roots", 0, KHO_OPT_LIST, "ROOT",
		       "the warehouses of the shards of one batch"},
};

/* ---- the QR code in an image, through zbarimg ---- */

/* The first kho payload in zbarimg's raw output, where each code's text
 * ends with a line break: from its first line to its last field, XT.
 * (zbarimg's XML output mangles UTF-8 in version 0.23.) */
static char *payload_from_raw(const char *raw)
{
	const size_t head = strlen(KHO_QR_FORMAT "\n");
	for (const char *p = strstr(raw, KHO_QR_FORMAT "\n"); p;
	     p = strstr(p + 1, KHO_QR_FORMAT "\n")) {
		if (p != raw && p[-1] != '\n')
			continue;
		const char *const xt = strstr(p + head - 1, "\nXT:");
		if (!xt)
			return NULL;
		const char *const end = strchr(xt + 1, '\n');
		return strndup(p, end ? (size_t)(end - p) : strlen(p));
	}
	return NULL;
}

static int decode_image(const char *file, char **text, kho_error *err)
{
	*text = NULL;
	int out[2];
	if (pipe2(out, O_CLOEXEC) != 0)
		return kho_error_errno(err, KHO_FATAL, "make a pipe for", file);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
					 O_WRONLY, 0);
	char *const argv[] = {"zbarimg", "--raw", "-q", (char *)file, NULL};
	pid_t pid = 0;
	const int e = posix_spawnp(&pid, "zbarimg", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	if (e != 0) {
		close(out[0]);
		return kho_error_set(err, KHO_FATAL,
				     "cannot read the QR code in '%s': "
				     "zbarimg (zbar-tools) is not installed",
				     file);
	}
	char *raw = NULL;
	size_t len = 0;
	FILE *const mem = open_memstream(&raw, &len);
	char buf[4096];
	ssize_t n;
	while ((n = read(out[0], buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0 && mem)
			fwrite(buf, 1, (size_t)n, mem);
	close(out[0]);
	if (mem)
		fclose(mem);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*text = raw ? payload_from_raw(raw) : NULL;
	free(raw);
	if (*text)
		return KHO_OK;
	return kho_error_set(err, KHO_FAIL, "no kho QR code found in '%s'%s",
			     file,
			     WIFEXITED(status) && WEXITSTATUS(status) == 2
				     ? " (zbarimg cannot read the file)"
				     : "");
}

/* ---- the warehouse's copies ---- */

/* One archived version of a record, read back. */
typedef struct archived {
	int version;
	char volume[64];
	char bag[128];
	char pdf_sha[KHO_SHA256_HEX];
	char *payload;		      /* from its metadata.json, or NULL */
	char code[KHO_VCODE_LEN + 1]; /* recomputed from its result.pdf */
} archived;

static const kho_archive_row *member(const kho_archive_row *rows, size_t n,
				     const char *record_id, const char *name)
{
	char want[600];
	snprintf(want, sizeof(want), "%s/data/%s/%s", rows[0].bag, record_id,
		 name);
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].m.member, want) == 0)
			return &rows[i];
	return NULL;
}

static char *payload_of(const uint8_t *json, size_t size)
{
	json_error_t jerr;
	json_t *const doc = json_loadb((const char *)json, size, 0, &jerr);
	json_t *const p = json_object_get(json_object_get(doc, "publication"),
					  "qr_payload");
	char *const out =
		json_is_string(p) ? strdup(json_string_value(p)) : NULL;
	json_decref(doc);
	return out;
}

/* Reads a version's metadata.json and result.pdf by offset, each checked
 * against the index; with_code: also the pages' verification code. */
static int read_archived(kho_session *s, const char *record_id, int version,
			 int with_code, archived *a, kho_error *err)
{
	memset(a, 0, sizeof(*a));
	kho_archive_row *rows = NULL;
	size_t n = 0;
	int rc = kho_archive_bag(s->cat, record_id, version, &rows, &n,
				 &a->version, err);
	if (rc)
		return rc;
	snprintf(a->volume, sizeof(a->volume), "%s", rows[0].volume);
	snprintf(a->bag, sizeof(a->bag), "%s", rows[0].bag);
	const kho_archive_row *const meta =
		member(rows, n, record_id, "metadata.json");
	const kho_archive_row *const pdf =
		member(rows, n, record_id, "result.pdf");
	char path[PATH_MAX + 80];
	snprintf(path, sizeof(path), "%s/%s", s->warehouse_dir, a->volume);
	const int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!meta || !pdf)
		rc = kho_error_set(err, KHO_FAIL,
				   "bag '%s' has no metadata.json or "
				   "result.pdf",
				   a->bag);
	else if (fd < 0)
		rc = kho_error_errno(err, KHO_FAIL, "open", path);
	uint8_t *data = NULL;
	size_t size = 0;
	if (rc == KHO_OK)
		rc = kho_member_load(fd, a->volume, &meta->m, 64u << 20, &data,
				     &size, err);
	if (rc == KHO_OK) {
		a->payload = payload_of(data, size);
		free(data);
		data = NULL;
		snprintf(a->pdf_sha, sizeof(a->pdf_sha), "%s", pdf->m.sha256);
	}
	if (rc == KHO_OK && with_code)
		rc = kho_member_load(fd, a->volume, &pdf->m, MAX_PDF_BYTES,
				     &data, &size, err);
	kho_pdf_doc *doc = NULL;
	if (rc == KHO_OK && with_code)
		rc = kho_pdf_read(data, size, &doc, err);
	if (rc == KHO_OK && with_code)
		rc = kho_verification_code(doc, a->code, NULL, err);
	kho_pdf_doc_free(doc);
	free(data);
	if (fd >= 0)
		close(fd);
	free(rows);
	if (rc) {
		free(a->payload);
		a->payload = NULL;
	}
	return rc;
}

/* The record ids that may hold the code: those published with it, and
 * the dossier code when it is a record id (a catalog that lost its
 * publications still finds the record). */
static int candidates(kho_session *s, const char *code, const char *dossier,
		      char ***ids, size_t *n, kho_error *err)
{
	kho_publication *pubs = NULL;
	size_t np = 0;
	int rc = kho_publications_by_code(s->cat, code, &pubs, &np, err);
	if (rc)
		return rc;
	*ids = calloc(np + 1, sizeof(**ids));
	*n = 0;
	for (size_t i = 0; *ids && i <= np; i++) {
		const char *const id = i < np ? pubs[i].record_id : dossier;
		if (!id || !kho_record_id_valid(id))
			continue;
		int dup = 0;
		for (size_t k = 0; k < *n; k++)
			dup |= strcmp((*ids)[k], id) == 0;
		if (!dup && ((*ids)[*n] = strdup(id)) != NULL)
			(*n)++;
	}
	kho_publications_free(pubs, np);
	return *ids ? KHO_OK : kho_error_set(err, KHO_FATAL, "out of memory");
}

static void free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* The fields of two payloads that differ, for the refusal. */
static void print_differences(const char *presented, const char *published)
{
	kho_qr_parsed a, b;
	kho_error ignored = KHO_ERROR_INIT;
	if (kho_qr_payload_parse(presented, &a, &ignored) != KHO_OK)
		return;
	if (kho_qr_payload_parse(published, &b, &ignored) != KHO_OK) {
		kho_qr_parsed_release(&a);
		return;
	}
	for (int i = 0; i < KHO_QR_N_FIELDS; i++) {
		const char *const x = a.f.v[i] ? a.f.v[i] : "";
		const char *const y = b.f.v[i] ? b.f.v[i] : "";
		if (strcmp(x, y) != 0)
			printf("  %s (%s): presented '%s', published '%s'\n",
			       kho_qr_field_names[i], kho_qr_keys[i], x, y);
	}
	kho_qr_parsed_release(&a);
	kho_qr_parsed_release(&b);
}

/* The archived bags of one work root that may hold the payload: *found
 * when one does, unaltered; *nearest, when not NULL yet, receives a
 * payload with the same code that differs. */
static int find_payload(kho_session *s, const char *text,
			const kho_qr_parsed *q, int *found, char **nearest,
			kho_error *err)
{
	char **ids = NULL;
	size_t n_ids = 0;
	int rc = candidates(s, q->f.v[KHO_QR_CODE], q->f.v[KHO_QR_DOSSIER],
			    &ids, &n_ids, err);
	for (size_t i = 0; rc == KHO_OK && i < n_ids && !*found; i++) {
		int *versions = NULL;
		size_t nv = 0;
		rc = kho_archive_versions(s->cat, ids[i], &versions, &nv, err);
		for (size_t k = nv; rc == KHO_OK && k-- > 0 && !*found;) {
			archived a;
			rc = read_archived(s, ids[i], versions[k], 0, &a, err);
			if (rc == KHO_OK && a.payload &&
			    strcmp(a.payload, text) != 0 && !*nearest &&
			    strstr(a.payload, q->f.v[KHO_QR_CODE]))
				*nearest = strdup(a.payload);
			if (rc == KHO_OK && a.payload &&
			    strcmp(a.payload, text) == 0) {
				free(a.payload);
				rc = read_archived(s, ids[i], versions[k], 1,
						   &a, err);
				if (rc == KHO_OK &&
				    strcmp(a.code, q->f.v[KHO_QR_CODE]) != 0)
					rc = kho_error_set(
						err, KHO_FAIL,
						"refused: bag '%s' in '%s' "
						"holds this payload, but its "
						"result.pdf's pages give code "
						"%s: the warehouse copy is "
						"altered",
						a.bag, a.volume, a.code);
				if (rc == KHO_OK) {
					*found = 1;
					printf("kho lookup: GENUINE: the "
					       "result in the warehouse, "
					       "unaltered\n"
					       "  record:       %s, archive "
					       "version %d (bag %s in %s)\n"
					       "  document:     %s\n"
					       "  published:    %s by %s\n"
					       "  verification: %s, recomputed "
					       "from the archived result.pdf\n",
					       ids[i], a.version, a.bag,
					       a.volume, q->f.v[KHO_QR_NAME],
					       q->f.v[KHO_QR_PUBLISHED],
					       q->f.v[KHO_QR_SYSTEM], a.code);
				}
			}
			free(a.payload);
		}
		free(versions);
	}
	free_ids(ids, n_ids);
	return rc;
}

static int lookup_payload(const kho_roots *roots, const char *given,
			  kho_error *err)
{
	char *const text = strdup(given);
	if (!text)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	const size_t len = strlen(text);
	if (len && text[len - 1] == '\n')
		text[len - 1] = '\0';
	kho_qr_parsed q;
	int rc = kho_qr_payload_parse(text, &q, err);
	if (rc) {
		free(text);
		return rc;
	}
	char *nearest = NULL; /* a payload with this code, for the refusal */
	int found = 0;
	/* In whichever work root archived it. */
	for (size_t r = 0; rc == KHO_OK && r < roots->n && !found; r++)
		rc = find_payload(roots->s[r], text, &q, &found, &nearest, err);
	if (rc == KHO_OK && !found) {
		printf("kho lookup: REFUSED: no result in the warehouse has "
		       "this QR payload\n");
		if (nearest)
			print_differences(text, nearest);
		rc = kho_error_set(err, KHO_FAIL,
				   "refused: the payload is not one the "
				   "warehouse published (verification code "
				   "%s)",
				   q.f.v[KHO_QR_CODE]);
	}
	free(nearest);
	kho_qr_parsed_release(&q);
	free(text);
	return rc;
}

/* The archived result.pdf files of one work root whose pages give code:
 * *found when one is byte for byte the file (SHA-256 sha), *same_pages
 * when one has its pages. */
static int find_pdf(kho_session *s, const char *file, const char *sha,
		    const char *code, int *found, int *same_pages,
		    kho_error *err)
{
	char **ids = NULL;
	size_t n_ids = 0;
	int rc = candidates(s, code, NULL, &ids, &n_ids, err);
	for (size_t i = 0; rc == KHO_OK && i < n_ids && !*found; i++) {
		int *versions = NULL;
		size_t nv = 0;
		rc = kho_archive_versions(s->cat, ids[i], &versions, &nv, err);
		for (size_t k = nv; rc == KHO_OK && k-- > 0 && !*found;) {
			archived a;
			rc = read_archived(s, ids[i], versions[k], 0, &a, err);
			if (rc == KHO_OK && strcmp(a.pdf_sha, sha) == 0) {
				*found = 1;
				printf("kho lookup: GENUINE: '%s' is byte for "
				       "byte result.pdf of %s, archive "
				       "version %d (bag %s in %s)\n"
				       "  verification: %s\n",
				       file, ids[i], a.version, a.bag, a.volume,
				       code);
			}
			*same_pages |= rc == KHO_OK;
			free(a.payload);
		}
		free(versions);
	}
	free_ids(ids, n_ids);
	return rc;
}

static int lookup_pdf(const kho_roots *roots, const char *file,
		      kho_error *err)
{
	uint8_t *data = NULL;
	size_t size = 0;
	int rc = kho_read_file(file, MAX_PDF_BYTES, &data, &size, err);
	kho_pdf_doc *doc = NULL;
	char code[KHO_VCODE_LEN + 1] = "", sha[KHO_SHA256_HEX] = "";
	if (rc == KHO_OK) {
		kho_sha256_hex(data, size, sha);
		rc = kho_pdf_read(data, size, &doc, err);
		if (rc == KHO_FAIL)
			kho_error_prefix(err, "refused: '%s'", file);
	}
	if (rc == KHO_OK)
		rc = kho_verification_code(doc, code, NULL, err);
	kho_pdf_doc_free(doc);
	free(data);
	int same_pages = 0, found = 0;
	/* In whichever work root archived it. */
	for (size_t r = 0; rc == KHO_OK && r < roots->n && !found; r++)
		rc = find_pdf(roots->s[r], file, sha, code, &found, &same_pages,
			      err);
	if (rc == KHO_OK && !found) {
		printf("kho lookup: REFUSED: '%s' is not a result.pdf of the "
		       "warehouse%s\n",
		       file,
		       same_pages ? " (its pages are a published result's, "
				    "but the file was changed)"
				  : "");
		rc = kho_error_set(err, KHO_FAIL,
				   "refused: '%s' (pages' verification code "
				   "%s)",
				   file, code);
	}
	return rc;
}

int kho_cmd_lookup(int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, lookup_opts,
				KHO_ARRAY_SIZE(lookup_opts), &a, &err);
	if (rc == KHO_OK && a.help) {
		kho_usage(
			"kho lookup",
			"\"QR TEXT\" | --image FILE | --pdf FILE "
			"[--roots ROOT...]",
			"Tells whether a presented result is the one in the "
			"warehouse, unaltered: the text\nof its QR code (or "
			"the code read from an image with zbarimg) must be "
			"the payload\nof an archived result whose pages still "
			"give its verification code; a PDF must\nbe byte for "
			"byte an archived result.pdf.  Exit 0 genuine, 1 "
			"refused.",
			lookup_opts, KHO_ARRAY_SIZE(lookup_opts));
		kho_args_release(&a);
		return 0;
	}
	const char *const image = kho_args_value(&a, OPT_IMAGE);
	const char *const pdf = kho_args_value(&a, OPT_PDF);
	if (rc == KHO_OK && (a.n_pos != 0) + !!image + !!pdf != 1)
		rc = kho_error_set(&err, KHO_USAGE,
				   "give one of: kho lookup \"QR TEXT\", "
				   "--image FILE, --pdf FILE");
	kho_roots roots;
	memset(&roots, 0, sizeof(roots));
	if (rc == KHO_OK)
		rc = kho_roots_open(&roots, &a, OPT_ROOTS, "kho lookup", &err);
	char *text = NULL;
	if (rc == KHO_OK && image)
		rc = decode_image(image, &text, &err);
	if (rc == KHO_OK && pdf)
		rc = lookup_pdf(&roots, pdf, &err);
	else if (rc == KHO_OK)
		rc = lookup_payload(&roots, text ? text : a.pos[0], &err);
	free(text);
	kho_roots_release(&roots);
	kho_args_release(&a);
	return rc ? kho_report_error("kho lookup", &err) : 0;
}
