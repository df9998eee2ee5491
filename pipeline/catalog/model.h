/*
 * The data kho keeps about a record, as the stages exchange it: pages as
 * ingest found them, and the page plan normalize decides and compress
 * follows.
 */
#ifndef KHO_MODEL_H
#define KHO_MODEL_H

#include "common/internal.h"
#include "common/hash.h"

typedef enum kho_mode {
	KHO_MODE_BITONAL = 0,
	KHO_MODE_GREY,
	KHO_MODE_COLOUR,
	KHO_MODE_MIXED, /* bitonal text over a reduced colour background */
} kho_mode;

/* The stages in the order a record goes through them. */
enum { KHO_N_STAGES = 5 };
extern const char *const kho_stage_order[KHO_N_STAGES];
/* Index of a stage in kho_stage_order, or -1. */
int kho_stage_index(const char *stage);

const char *kho_mode_name(kho_mode mode);
/* 0 and *mode set, or KHO_FAIL for an unknown name. */
int kho_mode_parse(const char *name, kho_mode *mode);

/*
 * How a page is rendered, in this order:
 *   1. the stored image is mirrored left-right (when mirror), then turned
 *      clockwise by rotation (0, 90, 180, 270): the turned page;
 *   2. the turned page is deskewed: turned counter-clockwise by skew
 *      (degrees the content is turned clockwise from upright) about its
 *      centre, on a canvas of the same size: the straight page;
 *   3. crop is a rectangle of the straight page, in source pixels: the
 *      paper without the scanner's border;
 *   4. the crop is resampled from source_dpi to dpi.
 * crop_w == 0 means the whole straight page.
 */
typedef struct kho_plan {
	int rotation;           /* 0, 90, 180 or 270 */
	int mirror;
	double skew;
	double skew_confidence; /* 0..1 */
	int crop_x, crop_y, crop_w, crop_h;
	kho_mode mode;
	int dpi;                /* output resolution */
	double source_dpi;
	double blank_score;     /* 0 (ink) .. 1 (nothing on the paper) */
	int blank;
	char flags[160];        /* comma-separated: low-dpi, dpi-inferred, ... */
	char measurements[1536]; /* JSON object: what led to the decision */
	char overrides[512];    /* JSON object: keys an archivist set */
} kho_plan;

/* Sets one key of a plan as an archivist writes it with `kho plan`:
 * rotate=0|90|180|270, skew=DEGREES, crop=X,Y,W,H, mode=NAME,
 * blank=yes|no, dpi=N.  KHO_USAGE with a message for anything else. */
int kho_plan_set(kho_plan *plan, const char *key, const char *value,
		 kho_error *err);

/* The crop, set on the page turned by from_rotation, moved onto the page
 * turned by plan->rotation, as the paper turns with it (width x height:
 * the page as stored).  For a rotate= without a crop=, whose crop is the
 * one measured at another rotation. */
void kho_plan_turn_crop(kho_plan *plan, int from_rotation, uint32_t width,
			uint32_t height);

typedef struct kho_page {
	int64_t id;
	int page_no;             /* 1-based, the record's order */
	int64_t original;        /* originals row */
	int file_page;           /* 0-based page within the original */
	char original_sha[KHO_SHA256_HEX];
	char original_name[256]; /* relative to the inbox */
	char format[8];
	uint32_t width;
	uint32_t height;
	int channels;
	int bits;
	int orientation;
	double xdpi;
	double ydpi;
	char dpi_source[8];
	char description[128];
	int has_plan;
	kho_plan plan;
} kho_page;

#endif
