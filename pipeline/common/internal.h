/*
 * Included first by every library file and by tests of internals; refuses
 * to be included by the programs, which use include/kho/ only.
 */
#ifndef KHO_INTERNAL_H
#define KHO_INTERNAL_H

#ifndef KHO_INTERNAL
#error "pipeline headers are private to libkho; use include/kho/"
#endif

#include "kho/error.h"

/* The system headers that banned.h's macros would break come first. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define KHO_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KHO_MIN(a, b) ((a) < (b) ? (a) : (b))
#define KHO_MAX(a, b) ((a) > (b) ? (a) : (b))

/* For qsort: doubles in increasing order. */
static inline int kho_cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#endif
