/*
 * describe: publishes a record.  It reads the result.pdf compress made
 * (or an earlier description of it: describing again gives the same
 * bytes), computes the verification code of its pages, builds the QR
 * payload of Circular 01/2023/TT-VPCP from the register, and writes the
 * final result.pdf: the same page images as encoded, page 1 grown by a
 * band on top that holds the QR code, the register's facts in the XMP and
 * the Info dictionary.  Then metadata.json, which names the final PDF's
 * SHA-256.  Both go into the store; one transaction records them, the
 * publication (catalog_warehouse.h) and the stage's completion.
 *
 * The time of publication is the first time this record version was
 * described with these pages, kept in the catalog, so that the output is
 * the same bytes whenever it is made again from the same facts.
 */
#include "stages/stage.h"
#include "catalog/catalog_warehouse.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "describe/metadata.h"
#include "describe/qr_payload.h"
#include "describe/result_pdf.h"

#include "kho_version.h"

#include <fcntl.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A store object mapped read-only, checked against its name. */
typedef struct mapped {
	uint8_t *data;
	size_t size;
} mapped;

static int map_object(const kho_store *store, const char *sha, mapped *m,
		      kho_error *err)
{
	memset(m, 0, sizeof(*m));
	char path[4200];
	int rc = kho_store_path(store, sha, path, sizeof(path), err);
	if (rc)
		return rc;
	const int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kho_error_errno(err, KHO_FAIL, "open", path);
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= 0) {
		close(fd);
		return kho_error_set(err, KHO_FAIL,
				     "store object '%s' is empty or "
				     "unreadable",
				     path);
	}
	void *const p =
		mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return kho_error_errno(err, KHO_FATAL, "map", path);
	m->data = p;
	m->size = (size_t)st.st_size;
	char got[KHO_SHA256_HEX];
	kho_sha256_hex(m->data, m->size, got);
	if (strcmp(got, sha) != 0) {
		munmap(m->data, m->size);
		memset(m, 0, sizeof(*m));
		return kho_error_set(err, KHO_FAIL,
				     "store object '%s' is damaged: it hashes "
				     "to %s",
				     path, got);
	}
	return KHO_OK;
}

static void unmap_object(mapped *m)
{
	if (m->data)
		munmap(m->data, m->size);
	memset(m, 0, sizeof(*m));
}

/* ---- the register's facts ---- */

/* A column of the register's extra ones, by any of its usual names. */
static const char *extra_value(json_t *extra, const char *const *names)
{
	const char *key;
	json_t *v;
	for (const char *const *n = names; *n; n++)
		json_object_foreach(
			extra, key,
			v) if (strcasecmp(key, *n) == 0 && json_is_string(v) &&
			       *json_string_value(
				       v)) return json_string_value(v);
	return NULL;
}

typedef struct publish_facts {
	json_t *extra; /* the register's extra columns */
	char validity[160];
	const char *dossier, *ident, *scope;
} publish_facts;

static void facts_from_register(const kho_register_entry *reg, publish_facts *p)
{
	static const char *const dossier[] = {"dossier_code", "dossier",
					      "ma_ho_so", "mahoso", NULL};
	static const char *const ident[] = {
		"identification_code", "id_code",  "ma_dinh_danh",
		"madinhdanh",	       "owner_id", NULL};
	static const char *const validity[] = {"validity", "hieu_luc", NULL};
	static const char *const from[] = {"valid_from", "hieu_luc_tu", NULL};
	static const char *const until[] = {"valid_until", "valid_to",
					    "hieu_luc_den", NULL};
	static const char *const scope[] = {"scope", "pham_vi", NULL};
	memset(p, 0, sizeof(*p));
	json_error_t jerr;
	p->extra = reg ? json_loads(reg->extra_json, 0, &jerr) : NULL;
	if (!json_is_object(p->extra)) {
		json_decref(p->extra);
		p->extra = json_object();
	}
	p->dossier = extra_value(p->extra, dossier);
	p->ident = extra_value(p->extra, ident);
	p->scope = extra_value(p->extra, scope);
	const char *v = extra_value(p->extra, validity);
	const char *f = extra_value(p->extra, from);
	const char *u = extra_value(p->extra, until);
	/* An ISO 8601 interval, ".." for an open end. */
	if (v)
		snprintf(p->validity, sizeof(p->validity), "%s", v);
	else if (f || u)
		snprintf(p->validity, sizeof(p->validity), "%s/%s",
			 f ? f : "..", u ? u : "..");
}

static int is_date(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* ---- describe ---- */

typedef struct describe_ctx {
	kho_record rec;
	kho_register_entry reg;
	int has_reg;
	publish_facts pf;
	mapped src;
	kho_pdf_doc *doc;
	char code[KHO_VCODE_LEN + 1];
	char published_at[32];
	char described_at[KHO_TIME_ISO];
	char *payload;
	kho_qr_placement qr;
	char pdf_sha[KHO_SHA256_HEX];
	uint64_t pdf_size;
	char meta_sha[KHO_SHA256_HEX];
	uint64_t meta_size;
} describe_ctx;

static void ctx_release(describe_ctx *d)
{
	if (d->has_reg)
		kho_register_entry_release(&d->reg);
	json_decref(d->pf.extra);
	kho_pdf_doc_free(d->doc);
	unmap_object(&d->src);
	free(d->payload);
}

/* What is read before anything is written: the record, its register row,
 * the result.pdf of compress and its pages, the publication. */
static int gather(kho_session *s, kho_catalog *cat, const kho_job *job,
		  describe_ctx *d, kho_error *err)
{
	int rc = kho_records_get(cat, job->record, &d->rec, err);
	if (rc)
		return rc;
	rc = kho_register_get(cat, d->rec.record_id, &d->reg, err);
	if (rc == KHO_FATAL)
		return rc;
	d->has_reg = rc == KHO_OK;
	facts_from_register(d->has_reg ? &d->reg : NULL, &d->pf);

	kho_output *outs = NULL;
	size_t n_outs = 0;
	rc = kho_outputs_list(cat, job->record, &outs, &n_outs, err);
	if (rc)
		return rc;
	const char *pdf = NULL;
	for (size_t i = 0; i < n_outs; i++)
		if (strcmp(outs[i].name, "result.pdf") == 0)
			pdf = outs[i].sha256;
	rc = pdf ? map_object(&s->store, pdf, &d->src, err)
		 : kho_error_set(err, KHO_FAIL,
				 "the record has no result.pdf yet: compress "
				 "comes before describe");
	free(outs);
	if (rc == KHO_OK)
		rc = kho_pdf_read(d->src.data, d->src.size, &d->doc, err);
	if (rc == KHO_FAIL)
		kho_error_prefix(err, "result.pdf");
	if (rc == KHO_OK)
		rc = kho_verification_code(d->doc, d->code, NULL, err);
	if (rc)
		return rc;

	kho_now_iso(d->described_at);
	kho_publication pub;
	rc = kho_publication_get(cat, job->record, &pub, err);
	if (rc == KHO_FATAL)
		return rc;
	/* The same pages keep their first time of publication. */
	if (rc == KHO_OK && strcmp(pub.code, d->code) == 0)
		snprintf(d->published_at, sizeof(d->published_at), "%s",
			 pub.published_at);
	else
		snprintf(d->published_at, sizeof(d->published_at), "%.19sZ",
			 d->described_at);
	if (rc == KHO_OK)
		free(pub.payload);
	return KHO_OK;
}

static int make_payload(const kho_session *s, describe_ctx *d, kho_error *err)
{
	const kho_register_entry *r = d->has_reg ? &d->reg : NULL;
	kho_qr_fields f = {{0}};
	f.v[KHO_QR_DOSSIER] = d->pf.dossier ? d->pf.dossier : d->rec.record_id;
	f.v[KHO_QR_PROCEDURE] = r ? r->procedure_code : NULL;
	f.v[KHO_QR_IDENT] = d->pf.ident;
	f.v[KHO_QR_NAME] = r && *r->title ? r->title : d->rec.record_id;
	f.v[KHO_QR_SYSTEM] = s->conf.publisher;
	f.v[KHO_QR_PUBLISHED] = d->published_at;
	f.v[KHO_QR_VALIDITY] = d->pf.validity;
	f.v[KHO_QR_SCOPE] = d->pf.scope;
	f.v[KHO_QR_CODE] = d->code;
	return kho_qr_payload_make(&f, &d->payload, err);
}

/* The final result.pdf into the store. */
static int write_pdf(kho_session *s, describe_ctx *d, kho_error *err)
{
	const kho_register_entry *r = d->has_reg ? &d->reg : NULL;
	char producer[32], version[16], keywords[512];
	snprintf(producer, sizeof(producer), "kho %s", KHO_VERSION_STRING);
	snprintf(version, sizeof(version), "%d", d->rec.version);
	snprintf(keywords, sizeof(keywords), "%s%s%s", d->rec.record_id,
		 r && *r->procedure_code ? "; " : "",
		 r ? r->procedure_code : "");
	kho_pdf_prop props[8];
	size_t n = 0;
	props[n++] = (kho_pdf_prop){"RecordVersion", version,
				    "scan version of the record"};
	if (r && *r->number)
		props[n++] = (kho_pdf_prop){"DocumentNumber", r->number,
					    "number of the result"};
	if (r && *r->issue_date)
		props[n++] = (kho_pdf_prop){"IssueDate", r->issue_date,
					    "date of issue of the result"};
	if (r && *r->procedure_code)
		props[n++] = (kho_pdf_prop){"ProcedureCode", r->procedure_code,
					    "administrative procedure code"};
	if (r && *r->field)
		props[n++] = (kho_pdf_prop){"Field", r->field,
					    "field of the procedure"};
	props[n++] = (kho_pdf_prop){"VerificationCode", d->code,
				    "verification code of the pages "
				    "(kho-pages/1)"};
	props[n++] = (kho_pdf_prop){"QRPayload", d->payload,
				    "text of the QR code on page 1"};
	assert(n <= KHO_ARRAY_SIZE(props));
	const kho_pdf_meta meta = {
		.title = r && *r->title ? r->title : d->rec.record_id,
		.author = r ? nonempty(r->agency) : NULL,
		.subject = r ? nonempty(r->field) : NULL,
		.keywords = keywords,
		.creator = "kho-describe",
		.producer = producer,
		.created = d->published_at,
		.identifier = d->rec.record_id,
		.publisher = s->conf.publisher,
		.date = r && is_date(r->issue_date) ? r->issue_date : NULL,
		.props = props,
		.n_props = n,
	};
	const double module_pt = s->conf.qr_module / 100.0 / 25.4 * 72.0;
	kho_store_file out;
	int rc = kho_store_create(&s->store, "pdf", &out, err);
	if (rc == KHO_OK)
		rc = kho_result_pdf_write(out.stream, d->doc, &meta, d->payload,
					  module_pt, &d->qr, err);
	if (rc == KHO_OK)
		rc = kho_store_commit(&s->store, &out, d->pdf_sha, &d->pdf_size,
				      err);
	else if (out.stream || out.fd >= 0)
		kho_store_abandon(&out);
	return rc;
}

static int write_metadata(kho_session *s, kho_catalog *cat, const kho_job *job,
			  describe_ctx *d, const char *detail, kho_error *err)
{
	const kho_describe_facts facts = {
		.reg = d->has_reg ? &d->reg : NULL,
		.doc = d->doc,
		.result_sha256 = d->pdf_sha,
		.result_size = d->pdf_size,
		.described_at = d->described_at,
		.published_at = d->published_at,
		.publisher = s->conf.publisher,
		.code = d->code,
		.payload = d->payload,
		.qr = &d->qr,
		.detail = detail,
	};
	json_t *doc = NULL;
	int rc = kho_metadata_build(cat, job->record, &facts, &doc, err);
	if (rc)
		return rc;
	kho_store_file out;
	rc = kho_store_create(&s->store, "json", &out, err);
	if (rc == KHO_OK &&
	    (json_dumpf(doc, out.stream,
			JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
	     fputc('\n', out.stream) == EOF))
		rc = kho_error_set(err, KHO_FATAL,
				   "cannot write metadata.json into the store");
	json_decref(doc);
	if (rc == KHO_OK)
		rc = kho_store_commit(&s->store, &out, d->meta_sha,
				      &d->meta_size, err);
	else if (out.stream || out.fd >= 0)
		kho_store_abandon(&out);
	return rc;
}

int kho_describe_process(void *ctx, kho_catalog *cat, kho_task *task,
			 kho_job *job, kho_error *err)
{
	kho_session *s = ctx;
	kho_task_page(task, 0, "describing");
	describe_ctx d;
	memset(&d, 0, sizeof(d));
	int rc = gather(s, cat, job, &d, err);
	if (rc == KHO_OK)
		rc = make_payload(s, &d, err);
	if (rc == KHO_OK)
		rc = write_pdf(s, &d, err);
	char detail[160];
	snprintf(detail, sizeof(detail),
		 "result.pdf published, verification code %s; metadata.json",
		 d.code);
	if (rc == KHO_OK)
		rc = write_metadata(s, cat, job, &d, detail, err);
	if (rc == KHO_OK)
		rc = kho_catalog_begin(cat, err);
	if (rc == KHO_OK) {
		rc = kho_outputs_set(cat, job->record, "result.pdf", d.pdf_sha,
				     d.pdf_size, "describe", err);
		if (rc == KHO_OK)
			rc = kho_outputs_set(cat, job->record, "metadata.json",
					     d.meta_sha, d.meta_size,
					     "describe", err);
		if (rc == KHO_OK)
			rc = kho_publication_set(
				cat, job->record, d.rec.record_id,
				d.published_at, d.code, d.payload, err);
		if (rc == KHO_OK)
			rc = kho_stage_finish(cat, job, job->record, detail,
					      err);
		else
			kho_catalog_rollback(cat);
	}
	ctx_release(&d);
	return rc;
}
