/*
 * libFuzzer target: `kho plan RECORD PAGE KEY=VALUE...`.  Each line of the
 * input is one KEY=VALUE argument, split at the first '=' as the command
 * does, and set on one plan in turn.  Whatever is accepted leaves a plan
 * compress can follow: a right-angle rotation, a skew within 45 degrees, a
 * crop of positive size, a known mode, a dpi from 72 to 1200.
 */
#include "catalog/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const kho_plan *p)
{
	if (p->rotation != 0 && p->rotation != 90 && p->rotation != 180 &&
	    p->rotation != 270)
		abort();
	if (!isfinite(p->skew) || fabs(p->skew) > 45)
		abort();
	if (p->crop_x < 0 || p->crop_y < 0 || p->crop_w < 0 || p->crop_h < 0)
		abort();
	if ((unsigned)p->mode > KHO_MODE_MIXED)
		abort();
	if (p->dpi != 0 && (p->dpi < 72 || p->dpi > 1200))
		abort();
	if (p->blank != 0 && p->blank != 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	kho_plan plan;
	memset(&plan, 0, sizeof(plan));
	for (char *line = text; line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *eq = strchr(line, '=');
		if (eq) {
			*eq = '\0';
			kho_error err = KHO_ERROR_INIT;
			if (kho_plan_set(&plan, line, eq + 1, &err) == 0)
				check(&plan);
			else if (!err.msg[0] || err.code != KHO_USAGE)
				abort();
		}
		line = next;
	}
	free(text);
	return 0;
}
