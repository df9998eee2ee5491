/* metadata.json: what kho knows about a record, for the warehouse. */
#ifndef KHO_METADATA_H
#define KHO_METADATA_H

#include "common/internal.h"
#include "catalog/catalog.h"

#include <jansson.h>

/* The version of metadata.json's layout (docs/metadata.md). */
#define KHO_METADATA_SCHEMA "kho-metadata/1"

/* Builds the document of a record version from the catalog; *out is a new
 * reference. */
int kho_metadata_build(kho_catalog *cat, int64_t record, json_t **out,
		       kho_error *err);

#endif
