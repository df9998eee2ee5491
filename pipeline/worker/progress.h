/* Progress of a long command: a bar with rate and time left on a terminal,
 * a line every ten seconds otherwise (cron mails, logs). */
#ifndef KHO_PROGRESS_H
#define KHO_PROGRESS_H

#include "common/internal.h"

enum { KHO_PROGRESS_NONE = 0, KHO_PROGRESS_BAR = 1, KHO_PROGRESS_LINES = 2 };

typedef struct kho_progress {
	const char *stage;
	const char *verb;
	int64_t total;
	int style;
	int64_t started_ms;
	int64_t last_ms;
	int drawn;
} kho_progress;

/* The style for stderr: a bar on a terminal, lines otherwise. */
int kho_progress_style(void);

void kho_progress_start(kho_progress *p, const char *stage, const char *verb,
			int64_t total, int style);
/* Whether an update now would draw: a caller whose counts cost something
 * to gather gathers them only then. */
int kho_progress_due(const kho_progress *p);
void kho_progress_update(kho_progress *p, int64_t records, int64_t pages);
void kho_progress_finish(kho_progress *p, int64_t records, int64_t pages);

#endif
