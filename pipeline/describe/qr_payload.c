#include "describe/qr_payload.h"
#include "common/hash.h"

#include <stdarg.h>

const char *const kho_qr_keys[KHO_QR_N_FIELDS] = {
	"HS", "TTHC", "DD", "TEN", "HT", "TG", "HL", "PV", "XT",
};

const char *const kho_qr_field_names[KHO_QR_N_FIELDS] = {
	"dossier code",
	"procedure code",
	"identification code",
	"document name",
	"publishing system",
	"time of publication",
	"validity",
	"scope",
	"verification code",
};

static int required(int field)
{
	return field == KHO_QR_DOSSIER || field == KHO_QR_NAME ||
	       field == KHO_QR_SYSTEM || field == KHO_QR_PUBLISHED ||
	       field == KHO_QR_CODE;
}

static int is_code(const char *s)
{
	if (strlen(s) != KHO_VCODE_LEN)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'F')))
			return 0;
	return 1;
}

/* A value on one line, without blanks around, at most KHO_QR_FIELD_MAX
 * bytes and never cut inside a UTF-8 sequence. */
static size_t clean_value(const char *in, char *out)
{
	while (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n')
		in++;
	size_t n = 0;
	for (; *in && n < KHO_QR_FIELD_MAX; in++)
		out[n++] =
			(*in == '\r' || *in == '\n' || *in == '\t') ? ' ' : *in;
	/* Cut inside a character: drop its first bytes too. */
	if (((unsigned char)*in & 0xc0) == 0x80) {
		while (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0)
			n--;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return n;
}

int kho_qr_payload_make(const kho_qr_fields *f, char **out, kho_error *err)
{
	*out = NULL;
	size_t cap = sizeof(KHO_QR_FORMAT) + 1;
	for (int i = 0; i < KHO_QR_N_FIELDS; i++)
		cap += strlen(kho_qr_keys[i]) + 2 + KHO_QR_FIELD_MAX + 1;
	char *const buf = malloc(cap);
	if (!buf)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	size_t len = (size_t)snprintf(buf, cap, "%s", KHO_QR_FORMAT);
	for (int i = 0; i < KHO_QR_N_FIELDS; i++) {
		char value[KHO_QR_FIELD_MAX + 1];
		const size_t n = f->v[i] ? clean_value(f->v[i], value) : 0;
		if (n == 0 && required(i)) {
			free(buf);
			return kho_error_set(err, KHO_FAIL,
					     "cannot make the QR payload: the "
					     "%s is empty",
					     kho_qr_field_names[i]);
		}
		if (i == KHO_QR_CODE && !is_code(value)) {
			free(buf);
			return kho_error_set(err, KHO_FAIL,
					     "cannot make the QR payload: "
					     "'%s' is not a verification code",
					     value);
		}
		if (n)
			len += (size_t)snprintf(buf + len, cap - len, "\n%s:%s",
						kho_qr_keys[i], value);
	}
	assert(len < cap);
	*out = buf;
	return KHO_OK;
}

void kho_qr_parsed_release(kho_qr_parsed *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

static int refuse(kho_qr_parsed *p, kho_error *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(kho_qr_parsed *p, kho_error *err, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	kho_qr_parsed_release(p);
	return kho_error_set(err, KHO_FAIL, "not a kho QR payload: %s", why);
}

int kho_qr_payload_parse(const char *text, kho_qr_parsed *p, kho_error *err)
{
	memset(p, 0, sizeof(*p));
	const size_t len = strlen(text);
	if (len > 8192)
		return refuse(p, err, "%zu bytes", len);
	p->buf = strdup(text);
	if (!p->buf)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	char *s = p->buf;
	size_t n = len;
	if (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	char *line = s;
	char *next = strchr(line, '\n');
	if (next)
		*next++ = '\0';
	if (strcmp(line, KHO_QR_FORMAT) != 0)
		return refuse(p, err, "the first line is not '%s'",
			      KHO_QR_FORMAT);
	int last = -1;
	while ((line = next) != NULL) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *const colon = strchr(line, ':');
		if (!colon)
			return refuse(p, err, "a line without 'KEY:'");
		*colon = '\0';
		int field = -1;
		for (int i = 0; i < KHO_QR_N_FIELDS; i++)
			if (strcmp(line, kho_qr_keys[i]) == 0)
				field = i;
		if (field < 0)
			return refuse(p, err, "unknown key '%.16s'", line);
		/* kho writes the fields once each, in order */
		if (field <= last)
			return refuse(p, err, "key '%s' out of order or twice",
				      line);
		last = field;
		if (!colon[1])
			return refuse(p, err, "key '%s' has no value", line);
		p->f.v[field] = colon + 1;
	}
	for (int i = 0; i < KHO_QR_N_FIELDS; i++)
		if (required(i) && !p->f.v[i])
			return refuse(p, err, "no %s (%s)",
				      kho_qr_field_names[i], kho_qr_keys[i]);
	if (!is_code(p->f.v[KHO_QR_CODE]))
		return refuse(p, err, "'%.40s' is not a verification code",
			      p->f.v[KHO_QR_CODE]);
	return KHO_OK;
}

/* ---- the verification code ---- */

static const char *layer_kind(const kho_pdf_image *im)
{
	if (im->filter == KHO_PDF_DCT)
		return im->channels == 3 ? "jpeg-rgb" : "jpeg-grey";
	return im->image_mask ? "g4-mask" : "g4";
}

int kho_verification_code(const kho_pdf_doc *doc, char code[KHO_VCODE_LEN + 1],
			  char **text, kho_error *err)
{
	if (text)
		*text = NULL;
	kho_hash *const h = kho_hash_new(KHO_SHA256);
	char *all = NULL;
	size_t all_len = 0;
	FILE *const mem = text ? open_memstream(&all, &all_len) : NULL;
	if (!h || (text && !mem)) {
		kho_hash_free(h);
		if (mem)
			fclose(mem);
		free(all);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	const char head[] = "kho-pages/1\n";
	kho_hash_update(h, head, sizeof(head) - 1);
	if (mem)
		fputs(head, mem);
	for (size_t i = 0; i < kho_pdf_doc_n_pages(doc); i++) {
		const kho_pdf_read_page *const pg = kho_pdf_doc_page(doc, i);
		char w[32], hh[32];
		kho_pdf_number(w, pg->area.w);
		kho_pdf_number(hh, pg->area.h);
		for (size_t k = 0; k < pg->n_layers; k++) {
			const kho_pdf_image *const im = &pg->layers[k];
			char sha[KHO_SHA256_HEX], line[256];
			kho_sha256_hex(im->data, im->size, sha);
			const int n = snprintf(line, sizeof(line),
					       "%zu %s %s %zu %s %u %u %s\n",
					       i + 1, w, hh, k, layer_kind(im),
					       im->width, im->height, sha);
			assert(n > 0 && (size_t)n < sizeof(line));
			kho_hash_update(h, line, (size_t)n);
			if (mem)
				fputs(line, mem);
		}
	}
	char hex[KHO_SHA256_HEX];
	kho_hash_final(h, hex);
	for (int i = 0; i < KHO_VCODE_LEN; i++)
		code[i] = (char)(hex[i] >= 'a' ? hex[i] - 'a' + 'A' : hex[i]);
	code[KHO_VCODE_LEN] = '\0';
	if (mem) {
		if (fclose(mem) != 0) {
			free(all);
			return kho_error_set(err, KHO_FATAL, "out of memory");
		}
		*text = all;
	}
	return KHO_OK;
}
