/*
 * Reading a register export: a CSV from an agency's case system (UTF-8,
 * with or without a byte-order mark, RFC 4180 quoting; common/csv.c reads
 * it).  The header names the columns, in any order and any case:
 *
 *   id (or record_id, record), year, agency, field     required
 *   procedure_code, title, number, issue_date          kept when present
 *   anything else                                      kept, as JSON
 *
 * Every data row is either taken or refused with its line and reason;
 * nothing is skipped silently.  The rows go to the catalog's register
 * (catalog/catalog_register.h), which keeps what an import changed.
 */
#ifndef KHO_REGISTER_IMPORT_H
#define KHO_REGISTER_IMPORT_H

#include "common/internal.h"
#include "catalog/catalog_register.h"

/* Where each column of a file goes. */
typedef struct kho_register_header {
	size_t n_columns;
	char **names;		     /* owned: the header's names, trimmed */
	int id, year, agency, field; /* column index, -1 when absent */
	int text[KHO_REG_N_TEXT];    /* procedure_code ... issue_date, or -1 */
	int n_extra;		     /* columns kho does not know */
} kho_register_header;

/* Maps a header row.  KHO_USAGE when a required column is missing or a
 * name appears twice; the message lists what the header has. */
int kho_register_header_parse(kho_register_header *h, char *const *fields,
			      size_t n, kho_error *err);
void kho_register_header_release(kho_register_header *h);

/* Checks one data row (its fields are trimmed in place) and fills row,
 * whose strings point into fields.  KHO_FAIL with the reason (no line
 * number) when the row cannot be taken; row->record_id is then the id the
 * row gave, or NULL.  extra receives the extra columns as a JSON object,
 * malloc'd (NULL when the file has none). */
int kho_register_row_check(const kho_register_header *h, char **fields,
			   size_t n, long line, kho_register_row *row,
			   char **extra, kho_error *err);

/* Called now and then while a file is read: rows so far, and the line
 * count of the file (an estimate of the rows to come). */
typedef void (*kho_register_progress_fn)(void *ctx, int64_t rows,
					 int64_t lines);

/* Imports a register export into the catalog.  KHO_USAGE for a file that
 * is not a register export (no header, missing columns, UTF-16, NUL
 * bytes), KHO_FATAL when the catalog fails; KHO_OK otherwise, refused rows
 * included (counts->refused; kho_register_refusals lists them). */
int kho_register_import_file(kho_catalog *cat, const char *path,
			     kho_register_progress_fn progress, void *ctx,
			     kho_register_counts *counts, kho_error *err);

/* The rows an import refused, as CSV (line,id,reason), for the one who
 * corrects the export. */
int kho_register_refusals_csv(kho_catalog *cat, int64_t import, FILE *out,
			      kho_error *err);

#endif
