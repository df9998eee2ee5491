/* metadata.json: what kho knows about a record, for the warehouse.  Its
 * layout is docs/metadata.schema.json. */
#ifndef KHO_METADATA_H
#define KHO_METADATA_H

#include "common/internal.h"
#include "catalog/catalog.h"
#include "catalog/catalog_warehouse.h"
#include "describe/result_pdf.h"

#include <jansson.h>

/* The version of metadata.json's layout: the "schema" member, and the
 * $id of docs/metadata.schema.json. */
#define KHO_METADATA_SCHEMA "kho-metadata/1"

/* What describe made, beside what the catalog holds. */
typedef struct kho_describe_facts {
	const kho_register_entry *reg; /* or NULL: not in the register */
	const kho_pdf_doc *doc;	       /* the published result.pdf */
	const char *result_sha256;     /* of the published result.pdf */
	uint64_t result_size;
	const char *described_at; /* now, ISO 8601 */
	const char *published_at;
	const char *publisher;
	const char *code;    /* verification code */
	const char *payload; /* the QR payload */
	const kho_qr_placement *qr;
	const char *detail; /* of this describe event */
} kho_describe_facts;

/* Builds the document of a record version from the catalog and what
 * describe made; *out is a new reference. */
int kho_metadata_build(kho_catalog *cat, int64_t record,
		       const kho_describe_facts *facts, json_t **out,
		       kho_error *err);

#endif
