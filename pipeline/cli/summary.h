/* The one-screen summaries that end the commands. */
#ifndef KHO_SUMMARY_H
#define KHO_SUMMARY_H

#include "common/internal.h"
#include "root/session.h"
#include "stages/stage.h"

int64_t kho_summary_clock(void);

/* After stages ran: what each did, what failed in this run and why, where
 * the records are.  Returns the exit status. */
int kho_summary_run(kho_session *s, const char *cmd, size_t first,
		    size_t last, const kho_stage_result *results, int stopped,
		    int64_t started_ms, const kho_error *err);

/* Where the records are, in one line set (shared with kho status). */
int kho_summary_where(kho_session *s, FILE *out, kho_error *err);
void kho_summary_where_print(const kho_where *w, FILE *out);

/* Prints failures, at most limit (0: all); returns how many there are. */
int kho_summary_failures(kho_session *s, int64_t run, size_t limit, FILE *out,
			 size_t *count, kho_error *err);
void kho_summary_failures_print(const kho_failure *f, size_t n, size_t limit,
				FILE *out);

#endif
