/*
 * One error convention for all of kho.
 *
 * Every function that can fail returns 0 on success or a negative KHO_*
 * code, and leaves its message in the caller's kho_error.  The message is
 * written once, where the failure is detected, in git's style: lower case,
 * the failure first, the subject quoted:
 *
 *     cannot decode 'page-003.jpg': premature end of JPEG data
 *
 * Callers pass the code up unchanged; they may prefix context with
 * kho_error_prefix().  Library code never prints and never exits: the
 * catalog stores exactly the text the user sees.
 */
#ifndef KHO_ERROR_H
#define KHO_ERROR_H

#include <stddef.h>

/* Graded outcomes, libarchive-style. */
enum kho_status {
	KHO_OK = 0,
	KHO_FAIL = -1,  /* this item (a page, a record) fails; the batch goes on */
	KHO_FATAL = -2, /* could not work: catalog unusable, disk full, locked */
	KHO_USAGE = -3, /* bad command line or settings */
};

#define KHO_ERROR_MSG_MAX 1024

typedef struct kho_error {
	int code;                     /* the last KHO_* code set, or KHO_OK */
	char msg[KHO_ERROR_MSG_MAX];  /* NUL-terminated, empty when none */
} kho_error;

#define KHO_ERROR_INIT { KHO_OK, "" }

/* Sets the message and the code; returns the code so that callers can write
 * `return kho_error_set(err, KHO_FAIL, "...")`.  err may be NULL. */
int kho_error_set(kho_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Puts "context: " in front of the present message; returns err->code. */
int kho_error_prefix(kho_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void kho_error_clear(kho_error *err);

/* Exit status of a command for a KHO_* code (PRODUCT.md: 0, 1, 2, 3). */
int kho_exit_code(int code);

#endif
