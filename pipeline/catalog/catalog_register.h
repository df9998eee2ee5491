/*
 * The register in the catalog: the results that were issued, as the
 * agencies' case systems export them (register/register_import.c reads
 * the file).  An import is staged row by row into temporary tables of the
 * connection, then merged in one transaction: new ids are added, rows that
 * differ are updated with one register_changes row per changed column,
 * and nothing is deleted.  Refused rows are kept with their line and
 * reason (register_refused).
 *
 *   kho_register_stage_begin(cat)
 *   kho_register_stage_row(...) / kho_register_stage_refuse(...)  per row
 *   kho_register_merge(cat, ...)     or kho_register_stage_abort(cat)
 */
#ifndef KHO_CATALOG_REGISTER_H
#define KHO_CATALOG_REGISTER_H

#include "catalog/catalog.h"

/* The register's own columns after the id, in the order kho keeps them;
 * extra columns of an export travel as one JSON object. */
enum {
	KHO_REG_PROCEDURE_CODE = 0,
	KHO_REG_TITLE,
	KHO_REG_NUMBER,
	KHO_REG_ISSUE_DATE,
	KHO_REG_N_TEXT,
};

/* Their names, as the register's columns and an export's header. */
extern const char *const kho_register_text_names[KHO_REG_N_TEXT];

typedef struct kho_register_row {
	const char *record_id;
	int year;
	const char *agency;
	const char *field;
	/* NULL where the file has no such column: the register keeps what
	 * it has. */
	const char *text[KHO_REG_N_TEXT];
	const char *extra_json; /* NULL: the file has no extra column */
	long line;		/* where the row starts in the file */
} kho_register_row;

/* Temporary staging tables on this connection, in a transaction that
 * touches nothing else (other writers are not held up while a file is
 * read). */
int kho_register_stage_begin(kho_catalog *cat, kho_error *err);

/* 1 when staged; 0 when the file had this id already (*first_line: the
 * line that holds it), in which case nothing is staged. */
int kho_register_stage_row(kho_catalog *cat, const kho_register_row *row,
			   long *first_line, kho_error *err);

/* A row that is not taken: its line, the id when it has one (or NULL), and
 * why. */
int kho_register_stage_refuse(kho_catalog *cat, long line,
			      const char *record_id, const char *reason,
			      kho_error *err);

/* Drops the staging tables and their transaction. */
void kho_register_stage_abort(kho_catalog *cat);

typedef struct kho_register_import_info {
	const char *file;    /* as given, for the record */
	const char *sha256;  /* of the file's bytes */
	const char *columns; /* the header, as a JSON array */
	int64_t rows;	     /* data rows read (taken + refused) */
} kho_register_import_info;

typedef struct kho_register_counts {
	int64_t import; /* register_imports.id */
	int64_t rows;
	int64_t taken; /* staged rows: added + changed + unchanged */
	int64_t refused;
	int64_t added;	 /* ids the register did not have */
	int64_t changed; /* ids whose row differs (changes: one per column) */
	int64_t changes;
	int64_t unchanged;
	int64_t absent;	    /* ids of the register that the file lacks (kept) */
	int64_t registered; /* rows in the register after the import */
} kho_register_counts;

/* Ends the staging and merges it into the register in one transaction,
 * with an import row and a "register-import" event; drops the staging
 * tables in any case. */
int kho_register_merge(kho_catalog *cat, const kho_register_import_info *info,
		       kho_register_counts *counts, kho_error *err);

typedef struct kho_register_change {
	char record_id[96];
	char col[32];
	char *old_value; /* owned; NULL for none */
	char *new_value; /* owned */
} kho_register_change;

/* The changes an import made, in order, at most limit (0: all). */
int kho_register_changes(kho_catalog *cat, int64_t import, size_t limit,
			 kho_register_change **out, size_t *n, kho_error *err);
void kho_register_changes_free(kho_register_change *c, size_t n);

typedef struct kho_register_refusal {
	long line;
	char record_id[96]; /* "" when the row had none */
	char *reason;	    /* owned */
} kho_register_refusal;

/* The rows an import refused, by line, at most limit (0: all). */
int kho_register_refusals(kho_catalog *cat, int64_t import, size_t limit,
			  kho_register_refusal **out, size_t *n,
			  kho_error *err);
void kho_register_refusals_free(kho_register_refusal *r, size_t n);

typedef struct kho_register_import_row {
	int64_t id;
	char file[512];
	char sha256[KHO_SHA256_HEX];
	char imported_at[32];
	kho_register_counts c;
} kho_register_import_row;

/* The newest import; 0 when found, KHO_FAIL (no message) when there has
 * been none. */
int kho_register_last_import(kho_catalog *cat, kho_register_import_row *row,
			     kho_error *err);

/* Rows in the register. */
int kho_register_size(kho_catalog *cat, int64_t *n, kho_error *err);

/* A digest of the register's content (every column of every row but the
 * imports that brought them), so that work roots that hold the same
 * register can be told from those that do not; *n receives its rows. */
int kho_register_digest(kho_catalog *cat, char hex[KHO_SHA256_HEX],
			int64_t *n, kho_error *err);

#endif
