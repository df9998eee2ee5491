/* Wall-clock and monotonic time. */
#ifndef KHO_CLOCK_H
#define KHO_CLOCK_H

#include "common/internal.h"

#include <time.h>

#define KHO_TIME_ISO 32 /* "2026-11-30T01:02:03.456Z" */

/* Now, UTC, ISO 8601 with milliseconds. */
void kho_now_iso(char out[KHO_TIME_ISO]);

/* Milliseconds from an arbitrary start, never going back. */
int64_t kho_mono_ms(void);

/* Unix time with sub-second precision. */
double kho_now_s(void);

#endif
