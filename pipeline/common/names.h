/* Record ids and names taken from input: checked before use, quoted
 * safely in messages. */
#ifndef KHO_NAMES_H
#define KHO_NAMES_H

#include "common/internal.h"

#define KHO_RECORD_ID_MAX 64

/* A record id is 1 to 64 ASCII letters, digits, '-' and '_', starting with
 * a letter or digit: it can never name a path, and a look-alike letter
 * from another alphabet is refused rather than taken for another id.
 * Returns 1 when valid. */
int kho_record_id_valid(const char *id);

/* The rule, for messages. */
#define KHO_RECORD_ID_RULE \
	"1 to 64 ASCII letters, digits, '-' or '_', starting with a " \
	"letter or digit"

/* A name from the input made printable for a message: control and
 * non-UTF-8 bytes as \xNN, cut with "..." past about 120 bytes. */
void kho_quote_name(const char *name, char *out, size_t cap);

/* Compares names so that page-2 sorts before page-10. */
int kho_natural_cmp(const char *a, const char *b);

#endif
