/*
 * The inner benchmark's program (scripts/bench/inner.sh): the steps of
 * normalize and compress on pages held in memory, each timed in this one
 * process, so that neither process starts, the catalog nor the disk move
 * the figures.  Each step runs on every page, rounds times; a step's
 * figure is its fastest round, per page: on a busy machine the fastest
 * is the one least disturbed.
 *
 *   inner_time [--rounds N] FILE[:MODE]...
 *
 * MODE (bitonal, grey, colour, mixed; bitonal when not given) is what
 * the page is rendered as.  Steps:
 *   decode/analysis   the page decoded at the analysis scale (normalize's)
 *   analysis          kho_analyze_page on that image
 *   render            the page decoded at full size and rendered by the
 *                     plan the analysis makes (turn, skew, crop, mode)
 *   g4                the text layer encoded (bitonal and mixed pages)
 * Prints one line a step: "STEP MS" (milliseconds a page).
 */
#include "common/internal.h"
#include "analysis/analyze.h"
#include "codec/codec.h"
#include "common/fsutil.h"
#include "render/g4_encode.h"
#include "render/render.h"
#include "stages/page_plan.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

typedef struct page {
	const char *path;
	uint8_t *data;
	size_t size;
	kho_image_file *file;
	kho_page_info info;
	unsigned scale; /* the analysis scale */
	double dpi;     /* the source's */
	kho_mode mode;
	kho_image reduced;
	kho_plan plan;
	kho_rendered out;
} page;

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void die(const char *what, const char *path, const kho_error *err)
{
	fprintf(stderr, "inner_time: %s '%s': %s\n", what, path,
		err ? err->msg : "failed");
	exit(1);
}

static void page_open(page *p, const char *arg, const kho_limits *limits)
{
	memset(p, 0, sizeof(*p));
	kho_error err = {0};
	char *colon = strrchr(arg, ':');
	p->mode = KHO_MODE_BITONAL;
	p->path = arg;
	if (colon && !kho_mode_parse(colon + 1, &p->mode)) {
		p->path = strndup(arg, (size_t)(colon - arg));
		if (!p->path)
			die("out of memory for", arg, NULL);
	}
	if (kho_read_file(p->path, limits->max_file_bytes, &p->data, &p->size,
			  &err)) {
		fprintf(stderr, "inner_time: %s\n", err.msg);
		exit(1);
	}
	if (kho_image_file_open(&p->file, p->data, p->size, limits, &err) ||
	    kho_image_file_page_info(p->file, 0, &p->info, &err))
		die("cannot open", p->path, &err);
	kho_page pg = {0};
	pg.width = p->info.width;
	pg.height = p->info.height;
	pg.channels = p->info.channels;
	pg.bits = p->info.bits;
	pg.orientation = p->info.orientation;
	pg.xdpi = p->info.xdpi;
	pg.ydpi = p->info.ydpi;
	p->scale = kho_plan_scale(&pg, &p->dpi);
	p->reduced = (kho_image)KHO_IMAGE_INIT;
	p->out = (kho_rendered)KHO_RENDERED_INIT;
}

/* The plan of the page from its analysis, as normalize makes it in
 * outline: the turn, the skew, the paper's box at full size. */
static void plan_from(page *p, const kho_analysis *a)
{
	kho_plan *plan = &p->plan;
	memset(plan, 0, sizeof(*plan));
	plan->rotation = a->rotation;
	plan->skew = a->skew;
	plan->skew_confidence = a->skew_confidence;
	plan->crop_x = (int)lround(a->crop_x * p->scale);
	plan->crop_y = (int)lround(a->crop_y * p->scale);
	plan->crop_w = (int)lround(a->crop_w * p->scale);
	plan->crop_h = (int)lround(a->crop_h * p->scale);
	plan->mode = p->mode;
	/* kho.conf's defaults: the source's resolution, within 200 to 300 */
	plan->dpi = (int)KHO_MAX(200, KHO_MIN(300, lround(p->dpi)));
	plan->source_dpi = p->dpi;
}

int main(int argc, char **argv)
{
	int rounds = 5, first = 1;
	if (argc > 2 && strcmp(argv[1], "--rounds") == 0) {
		rounds = (int)strtol(argv[2], NULL, 10);
		first = 3;
	}
	const int n = argc - first;
	if (n < 1 || rounds < 1) {
		fprintf(stderr, "usage: inner_time [--rounds N] FILE[:MODE]...\n");
		return 2;
	}
	const kho_limits limits = KHO_LIMITS_DEFAULT;
	page *pages = calloc((size_t)n, sizeof(*pages));
	if (!pages)
		die("out of memory for", "pages", NULL);
	for (int i = 0; i < n; i++)
		page_open(&pages[i], argv[first + i], &limits);

	enum { DECODE, ANALYSIS, RENDER, G4, STEPS };
	static const char *const names[STEPS] = {"decode/analysis", "analysis",
						 "render", "g4"};
	double best[STEPS];
	for (int s = 0; s < STEPS; s++)
		best[s] = INFINITY;
	for (int r = 0; r < rounds; r++) {
		kho_error err = {0};
		double t = now_ms();
		for (int i = 0; i < n; i++) {
			page *p = &pages[i];
			kho_image_release(&p->reduced);
			if (kho_image_file_read(p->file, 0, p->scale,
						&p->reduced, &err))
				die("cannot decode", p->path, &err);
		}
		best[DECODE] = fmin(best[DECODE], (now_ms() - t) / n);
		t = now_ms();
		for (int i = 0; i < n; i++) {
			page *p = &pages[i];
			kho_analysis a;
			if (kho_analyze_page(&p->reduced, p->dpi / p->scale,
					     p->info.channels, p->info.bits,
					     &a, &err))
				die("cannot analyse", p->path, &err);
			plan_from(p, &a);
		}
		best[ANALYSIS] = fmin(best[ANALYSIS], (now_ms() - t) / n);
		t = now_ms();
		for (int i = 0; i < n; i++) {
			page *p = &pages[i];
			const kho_render_opts opts = {.background_dpi = 100};
			kho_rendered_release(&p->out);
			p->out = (kho_rendered)KHO_RENDERED_INIT;
			const unsigned scale = kho_render_decode_scale(
				p->dpi, p->plan.dpi);
			if (kho_render_file_page(p->file, 0, &p->info, scale,
						 &p->plan, &opts, &p->out,
						 &err))
				die("cannot render", p->path, &err);
		}
		best[RENDER] = fmin(best[RENDER], (now_ms() - t) / n);
		t = now_ms();
		for (int i = 0; i < n; i++) {
			const kho_rendered *o = &pages[i].out;
			if (!o->bits)
				continue;
			uint8_t *g4 = NULL;
			size_t size = 0;
			if (kho_g4_encode_bits(o->bits, o->bits_stride,
					       o->width, o->height, &g4, &size,
					       &err))
				die("cannot encode", pages[i].path, &err);
			free(g4);
		}
		best[G4] = fmin(best[G4], (now_ms() - t) / n);
	}
	for (int s = 0; s < STEPS; s++)
		printf("%s %.2f\n", names[s], best[s]);
	for (int i = 0; i < n; i++) {
		kho_image_release(&pages[i].reduced);
		kho_rendered_release(&pages[i].out);
		kho_image_file_free(pages[i].file);
		free(pages[i].data);
	}
	free(pages);
	return 0;
}
