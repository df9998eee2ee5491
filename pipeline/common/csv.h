/*
 * A CSV reader for what desks and case systems export (RFC 4180 and its
 * usual departures): an optional UTF-8 byte-order mark, fields quoted with
 * '"' that may hold commas, doubled quotes and line breaks, CRLF or LF.
 * Reads from memory; fields are valid until the next row.
 */
#ifndef KHO_CSV_H
#define KHO_CSV_H

#include "common/internal.h"

typedef struct kho_csv kho_csv;

/* data is borrowed and must outlive the reader. */
int kho_csv_open(kho_csv **out, const char *data, size_t len,
		 kho_error *err);
void kho_csv_free(kho_csv *csv);

/* 1 and the row's fields, 0 at the end, KHO_FAIL for a broken row (an
 * unterminated quote, a NUL byte, invalid UTF-8) with its line in err.
 * *line is the line the row starts on (1-based).  After a broken row the
 * reader goes on at the next line, so every call consumes input. */
int kho_csv_next(kho_csv *csv, char ***fields, size_t *n, long *line,
		 kho_error *err);

/* Index of a header field by name, ignoring case and surrounding blanks;
 * -1 when absent. */
int kho_csv_column(char *const *header, size_t n, const char *name);

/* 1 when s is valid UTF-8. */
int kho_utf8_valid(const char *s, size_t len);

#endif
