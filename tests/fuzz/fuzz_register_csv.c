/*
 * libFuzzer target: a register export (register/register_import.c) read
 * as `kho register import` reads it, without the catalog: the CSV reader,
 * the header's mapping (kho_register_header_parse), then every row checked
 * (kho_register_row_check), a row the reader cannot read refused and the
 * reading going on, as read_rows() does.
 *
 * A row taken has a valid record id, a year and an agency and field; a
 * refusal says why; the reading always ends (each row consumes input).
 */
#include "common/csv.h"
#include "common/names.h"
#include "register/register_import.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_row(const kho_register_header *h, char **fields, size_t n,
		      long line)
{
	kho_register_row row;
	char *extra = NULL;
	kho_error why = KHO_ERROR_INIT;
	const int rc =
		kho_register_row_check(h, fields, n, line, &row, &extra, &why);
	if (rc == KHO_OK) {
		if (!row.record_id || !kho_record_id_valid(row.record_id) ||
		    row.year < 1000 || row.year > 9999 || !row.agency ||
		    !*row.agency || !row.field || !*row.field ||
		    row.line != line)
			abort();
		if (extra && h->n_extra == 0)
			abort();
	} else if (!why.msg[0] || (rc != KHO_FAIL && rc != KHO_FATAL)) {
		abort();
	}
	free(extra);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kho_csv *csv = NULL;
	kho_error err = KHO_ERROR_INIT;
	if (kho_csv_open(&csv, (const char *)data, size, &err) != 0)
		abort();
	char **f;
	size_t nf;
	long line = 0;
	kho_register_header h;
	memset(&h, 0, sizeof(h));
	if (kho_csv_next(csv, &f, &nf, &line, &err) == 1 &&
	    kho_register_header_parse(&h, f, nf, &err) == KHO_OK) {
		/* Every row, even a refused one, consumes input. */
		size_t rows = 0;
		int rc;
		while ((rc = kho_csv_next(csv, &f, &nf, &line, &err)) != 0) {
			if (++rows > size + 1)
				abort();
			if (rc == 1)
				check_row(&h, f, nf, line);
			else if (rc != KHO_FAIL || !err.msg[0])
				abort();
			kho_error_clear(&err);
		}
	} else if (err.code != KHO_OK && !err.msg[0]) {
		abort();
	}
	kho_register_header_release(&h);
	kho_csv_free(csv);
	return 0;
}
