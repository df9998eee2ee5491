/*
 * A page plan from the page's own pixels: the shared part of ingest (which
 * measures each page on the decode that proves it whole) and normalize
 * (which measures what ingest could not, and again on retry).
 */
#ifndef KHO_PAGE_PLAN_H
#define KHO_PAGE_PLAN_H

#include "common/internal.h"
#include "catalog/model.h"
#include "codec/codec.h"
#include "root/session.h"

/* The page's resolution (the file's, or inferred) and the power-of-two
 * reduction that brings it to 100-150 dpi for measuring, leaving at least
 * 1,000 pixels on its long side. */
unsigned kho_plan_scale(const kho_page *pg, double *source_dpi);

/*
 * Measures a page decoded at 1/scale of its stored size (the file's
 * orientation not applied) and decides its plan.  *finer is set, and the
 * plan left undecided, when the page has too little ink to place its lines
 * at this size and a decode at twice the resolution would tell (a page
 * with only a page number).  measured_in names the stage in the plan's
 * measurements.
 */
int kho_plan_measure(const kho_session *s, const kho_page *pg,
		     const kho_image *reduced, unsigned scale,
		     const char *measured_in, kho_plan *plan, int *finer,
		     kho_error *err);

/* Fails, saying so, unless the page decodes (info, from
 * kho_image_file_page_info) to the size ingest recorded: a plan is in the
 * recorded size's pixels, and would crop another size wrongly (a page
 * ingested by a kho that did not yet make a fax's pixels square). */
int kho_plan_check_size(const kho_page *pg, const kho_page_info *info,
			kho_error *err);

#endif
