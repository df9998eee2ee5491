/*
 * The QR code of a published result (Circular 01/2023/TT-VPCP): its
 * payload, and the verification code that ties it to the result's pages.
 *
 * The payload is UTF-8 text, one field a line, the first line naming the
 * format (docs/WAREHOUSE.md):
 *
 *   KHO-QR/1
 *   HS:HT-2021-00042            dossier code
 *   TTHC:1.001193               administrative procedure code
 *   DD:001234567890             identification code of the person or
 *                               organisation (where the register has it)
 *   TEN:Trích lục khai sinh     the document's name
 *   HT:Kho kết quả số hoá       the publishing information system
 *   TG:2026-11-30T01:02:03Z     time of publication
 *   HL:2021-03-04/2031-03-04    validity (where known)
 *   PV:Toàn quốc                scope (where known)
 *   XT:3F2A9C0B1D4E5F607182     verification code
 *
 * The verification code is the first 80 bits, in upper-case hex, of the
 * SHA-256 of a text that lists every image of every page of result.pdf
 * with the SHA-256 of its encoded bytes: a page changed, added, removed or
 * re-encoded changes it; the metadata and the QR band do not.
 */
#ifndef KHO_QR_PAYLOAD_H
#define KHO_QR_PAYLOAD_H

#include "common/internal.h"
#include "pdf/pdf_reader.h"

#define KHO_QR_FORMAT "KHO-QR/1"
#define KHO_VCODE_LEN 20 /* hex digits */
/* A field's value is cut at this many bytes (at a character boundary). */
#define KHO_QR_FIELD_MAX 256

enum kho_qr_field {
	KHO_QR_DOSSIER = 0, /* HS, required */
	KHO_QR_PROCEDURE,   /* TTHC */
	KHO_QR_IDENT,	    /* DD */
	KHO_QR_NAME,	    /* TEN, required */
	KHO_QR_SYSTEM,	    /* HT, required */
	KHO_QR_PUBLISHED,   /* TG, required */
	KHO_QR_VALIDITY,    /* HL */
	KHO_QR_SCOPE,	    /* PV */
	KHO_QR_CODE,	    /* XT, required */
	KHO_QR_N_FIELDS,
};

/* The key of each field in the payload ("HS") and what it means. */
extern const char *const kho_qr_keys[KHO_QR_N_FIELDS];
extern const char *const kho_qr_field_names[KHO_QR_N_FIELDS];

/* Values by field; NULL or "" for absent (only the optional ones). */
typedef struct kho_qr_fields {
	const char *v[KHO_QR_N_FIELDS];
} kho_qr_fields;

/* The payload of f; *out is malloc'd.  Values are cleaned: line breaks
 * become spaces, blanks around are dropped, long values are cut. */
int kho_qr_payload_make(const kho_qr_fields *f, char **out, kho_error *err);

/* A payload read back: f's values point into buf, which it owns. */
typedef struct kho_qr_parsed {
	char *buf;
	kho_qr_fields f;
} kho_qr_parsed;

/* Reads a payload (one line break at its end is allowed, as a scanner
 * gives it); KHO_FAIL with the reason when it is not a kho payload. */
int kho_qr_payload_parse(const char *text, kho_qr_parsed *out, kho_error *err);
void kho_qr_parsed_release(kho_qr_parsed *p);

/* The verification code of a result's pages, and the text it digests
 * (when text is not NULL: malloc'd, for the record). */
int kho_verification_code(const kho_pdf_doc *doc, char code[KHO_VCODE_LEN + 1],
			  char **text, kho_error *err);

#endif
