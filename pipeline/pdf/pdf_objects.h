/*
 * The objects of a PDF that kho's writer made: a tokenizer, values in an
 * arena, indirect objects found through the cross-reference table.
 * Private to pipeline/pdf/ (pdf_reader.c); every read is bounds-checked,
 * since the input may be a file someone presents.
 */
#ifndef KHO_PDF_OBJECTS_H
#define KHO_PDF_OBJECTS_H

#include "common/internal.h"

/* Limits that no PDF of kho's comes near. */
#define KHO_PDFP_MAX_OBJECTS 8388607u /* ISO 32000-1 Annex C */

typedef enum vtype {
	V_NULL,
	V_BOOL,
	V_NUM,
	V_NAME,
	V_STR,
	V_ARRAY,
	V_DICT,
	V_REF,
} vtype;

typedef struct kho_pdfp_value kho_pdfp_value;
struct kho_pdfp_value {
	vtype type;
	double num;	  /* V_NUM, V_BOOL */
	const char *name; /* V_NAME: into the buffer, len bytes, no '/' */
	size_t len;
	uint32_t ref; /* V_REF: object number */
	kho_pdfp_value *
		*items; /* V_ARRAY: items; V_DICT: key, value, key, ... */
	size_t n;
};

/* Every value lives in an arena freed at once. */
typedef struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
} chunk;

typedef struct kho_pdfp {
	const uint8_t *buf;
	size_t size;
	uint64_t *offsets; /* of object n, 0 when free */
	uint32_t n_objects;
	chunk *arena;
	size_t visits; /* page tree nodes seen: a loop cannot run forever */
	int oom;
} kho_pdfp;

/* An indirect object: its value and, for a stream, where its data is. */
typedef struct kho_pdfp_obj {
	kho_pdfp_value *v;
	const uint8_t *data;
	size_t size;
} kho_pdfp_obj;

/* Whitespace and comments from *pos on. */
void kho_pdfp_skip_space(const uint8_t *b, size_t end, size_t *pos);
/* The length of the regular token (a number, a keyword) at pos. */
size_t kho_pdfp_word_len(const uint8_t *b, size_t end, size_t pos);
int kho_pdfp_word_is(const uint8_t *b, size_t end, size_t pos, const char *w);
/* A number token of len bytes: [+-]digits[.digits]; 0 when it is not. */
int kho_pdfp_number(const uint8_t *b, size_t len, double *out);

const kho_pdfp_value *kho_pdfp_dict_get(const kho_pdfp_value *d,
					const char *key);
int kho_pdfp_name_is(const kho_pdfp_value *v, const char *name);
/* An integer value from lo to hi. */
int kho_pdfp_int(const kho_pdfp_value *v, long long lo, long long hi,
		 long long *out);

/* Object num through the cross-reference table; 1 when found and well
 * formed (a stream's data lies inside the buffer). */
int kho_pdfp_object(kho_pdfp *r, uint32_t num, kho_pdfp_obj *o);
/* A dictionary given directly or by reference, or NULL. */
const kho_pdfp_value *kho_pdfp_resolve_dict(kho_pdfp *r,
					    const kho_pdfp_value *v);
/* The cross-reference table and the trailer; 1 when read. */
int kho_pdfp_xref(kho_pdfp *r, const kho_pdfp_value **trailer);
/* Frees the values and the offsets (not the buffer). */
void kho_pdfp_release(kho_pdfp *r);

#endif
