/*
 * What describe, verify, extract and lookup ask the catalog: a record's
 * register row, the publications (the QR payload of every described
 * record version, migration 3), the volumes and the members the index
 * keeps for them.
 */
#ifndef KHO_CATALOG_WAREHOUSE_H
#define KHO_CATALOG_WAREHOUSE_H

#include "catalog/catalog.h"

/* ---- the register ---- */

typedef struct kho_register_entry {
	char record_id[96];
	int year;
	/* owned, never NULL ("" when the register has no value) */
	char *agency;
	char *field;
	char *procedure_code;
	char *title;
	char *number;
	char *issue_date;
	char *extra_json; /* a JSON object, "{}" when none */
} kho_register_entry;

/* The register's row of a record id: 0, KHO_FAIL (no message) when the
 * register does not know it, KHO_FATAL. */
int kho_register_get(kho_catalog *cat, const char *record_id,
		     kho_register_entry *e, kho_error *err);
void kho_register_entry_release(kho_register_entry *e);

/* ---- publications ---- */

typedef struct kho_publication {
	int64_t record;
	char record_id[96];
	int record_version;
	char published_at[32]; /* the first time this version was described */
	char code[32];	       /* the verification code */
	char *payload;	       /* owned: the QR payload */
} kho_publication;

/* The publication of a record version: 0, KHO_FAIL (no message) when it
 * was never described. */
int kho_publication_get(kho_catalog *cat, int64_t record, kho_publication *p,
			kho_error *err);

/* Inside the caller's transaction: the record version's time of
 * publication, payload and code (describe keeps the time while the code
 * stays the same). */
int kho_publication_set(kho_catalog *cat, int64_t record, const char *record_id,
			const char *published_at, const char *code,
			const char *payload, kho_error *err);

/* Every record version published with this verification code; *out is
 * malloc'd, free with kho_publications_free(). */
int kho_publications_by_code(kho_catalog *cat, const char *code,
			     kho_publication **out, size_t *n, kho_error *err);
void kho_publications_free(kho_publication *p, size_t n);

/* ---- volumes and their members ---- */

/* The volumes of the index, by name; only the one named when name is not
 * NULL.  *out is malloc'd. */
int kho_volumes_list(kho_catalog *cat, const char *name, kho_volume_row **out,
		     size_t *n, kho_error *err);

/* The index's members of a volume, by offset; *out is malloc'd. */
int kho_volume_members(kho_catalog *cat, int64_t volume, kho_archive_row **out,
		       size_t *n, kho_error *err);

/* The members of one archived version of a record id (version 0: the
 * newest), in a sealed volume; *version receives it.  KHO_FAIL with a
 * message when there is none. */
int kho_archive_bag(kho_catalog *cat, const char *record_id, int version,
		    kho_archive_row **out, size_t *n, int *got_version,
		    kho_error *err);

/* The archive versions of a record id in sealed volumes, oldest first;
 * *out is malloc'd. */
int kho_archive_versions(kho_catalog *cat, const char *record_id, int **out,
			 size_t *n, kho_error *err);

/* Every record id with a bag in a sealed volume, by id, and the first
 * such volume's name: fn(ctx, record_id, volume) for each, strings valid
 * during the call; a non-zero return from fn stops and is returned. */
typedef int (*kho_archived_fn)(void *ctx, const char *record_id,
			       const char *volume, kho_error *err);
int kho_archive_record_ids(kho_catalog *cat, kho_archived_fn fn, void *ctx,
			   kho_error *err);

#endif
