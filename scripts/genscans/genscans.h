/*
 * kho-genscans: deterministic simulated scans of administrative results.
 *
 * Flow: plan.c decides every record and page from the seed (which record is
 * scanned, its pages, their paper, dpi, skew, border, mode and file form);
 * then, per page, page.c draws the upright paper, scan.c turns it into what
 * a scanner would store, write.c encodes it. main.c runs the pages on worker
 * threads and writes the register, the truth and the manifest. Every random
 * choice comes from a gs_rng seeded from the seed and the thing being
 * decided, so output never depends on thread timing.
 */
#ifndef KHO_GENSCANS_H
#define KHO_GENSCANS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define GS_ERRLEN 512

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* rng.c: xoshiro256** seeded through splitmix64. */
struct gs_rng {
	uint64_t s[4];
};

uint64_t gs_hash(uint64_t a, uint64_t b);
void gs_rng_seed(struct gs_rng *r, uint64_t seed);
uint64_t gs_rng_next(struct gs_rng *r);
double gs_rng_unit(struct gs_rng *r);		  /* [0, 1) */
int gs_rng_int(struct gs_rng *r, int lo, int hi); /* lo..hi inclusive */
double gs_rng_range(struct gs_rng *r, double lo, double hi); /* [lo, hi) */
int gs_rng_chance(struct gs_rng *r, double p);
double gs_rng_normal(struct gs_rng *r);
int gs_rng_weighted(struct gs_rng *r, const double *w, int n);
void gs_rng_shuffle(struct gs_rng *r, int *a, int n);

/* util.c: growable text, images, files, UTF-8. */
struct gs_buf {
	char *p;
	size_t len, cap;
};
#define GS_BUF_INIT                                                            \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

int gs_buf_printf(struct gs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int gs_buf_add(struct gs_buf *b, const void *data, size_t len);
/* Appends one CSV field, quoted when it holds a comma, quote or newline. */
int gs_buf_csv(struct gs_buf *b, const char *field);
void gs_buf_release(struct gs_buf *b);

/* 8-bit samples, nch 1 (grey) or 3 (RGB), rows packed. */
struct gs_image {
	int w, h, nch;
	uint8_t *px;
};
#define GS_IMAGE_INIT                                                          \
	{                                                                      \
		0, 0, 0, NULL                                                  \
	}

int gs_image_alloc(struct gs_image *im, int w, int h, int nch);
void gs_image_release(struct gs_image *im);

int gs_mkdirs(const char *path, char *err, size_t errlen);
int gs_write_file(const char *path, const void *data, size_t len, char *err,
		  size_t errlen);
int gs_dir_is_empty_or_missing(const char *path);
uint32_t gs_utf8_next(const char **s);
/* Upper-cases Vietnamese text (Latin, Latin-1, Extended-A/B/Additional). */
void gs_utf8_upper(const char *in, char *out, size_t outlen);

/* The domain. */
enum gs_field { GS_HT, GS_DD, GS_XD, GS_KD, GS_NFIELDS };
enum gs_paper { GS_A4, GS_A5, GS_A3 };
enum gs_store { GS_STORE_BITONAL, GS_STORE_GREY, GS_STORE_RGB };
enum gs_fmt { GS_FMT_JPEG, GS_FMT_PNG, GS_FMT_TIFF };
enum gs_container { GS_CONT_FOLDER, GS_CONT_TIFF, GS_CONT_MANIFEST };
enum gs_tcomp {
	GS_TC_NONE,
	GS_TC_LZW,
	GS_TC_DEFLATE,
	GS_TC_PACKBITS,
	GS_TC_JPEG,
	GS_TC_G3,
	GS_TC_G4
};

struct gs_tiff_opts {
	int comp;	 /* enum gs_tcomp */
	int tiled;	 /* 256x256 tiles instead of strips */
	int orientation; /* TIFF Orientation tag to write: 0 (none), 1, 3, 6, 8
			  */
	int bits16;	 /* grey pages as 16-bit samples */
	int predictor;	 /* horizontal differencing for LZW / Deflate */
	int res_cm;	 /* ResolutionUnit centimetre instead of inch */
	int miniswhite;	 /* bitonal photometric: 1 = MinIsWhite */
	int quality;	 /* JPEG-in-TIFF quality */
};

struct gs_page {
	int index; /* 1-based page number within the record */
	int paper; /* enum gs_paper */
	int dpi;
	double skew;	    /* content, clockwise degrees, multiple of 0.01 */
	double paper_angle; /* the paper sheet, clockwise degrees */
	int rotation;	    /* 0, 90, 180, 270: stored = upright turned cw */
	int bordered;	    /* lies on a dark scanner bed */
	char sides[5];	    /* sides asked to show the bed, of "tlbr" */
	double margin[4];   /* t l b r: bed shown beyond the paper, fraction */
	int blank, nearly_blank;
	int store; /* enum gs_store */
	int fmt;   /* enum gs_fmt */
	struct gs_tiff_opts tiff;
	int jpeg_quality, jpeg_444;
	int png_bits16;
	/* what is drawn */
	int header, signature, seal, table, pagenum, sig_blue, frame, bleed;
	int holes;
	int body_lines;
	double noise; /* scanner noise sigma, grey levels */
	uint64_t seed;
	/* where it goes */
	char file[96]; /* relative to the inbox */
	int file_page; /* 1-based page within that file */
	/* measured while rendering */
	int width, height;
	int paper_x, paper_y, paper_w, paper_h;
	char border[5];
	int colour; /* chromatic content drawn on an RGB page */
};

struct gs_record {
	char id[16];
	int field, year, seq;
	int agency;
	int title;
	char number[32];
	int month, day;
	int in_register, scanned, damaged;
	int serif;
	int container; /* enum gs_container */
	int npages;
	struct gs_page *pages;
	uint64_t seed;
};

/* content.c: Vietnamese names, agencies, titles and body text. */
const char *gs_field_name(int field);
const char *gs_field_prefix(int field);
int gs_agency_pick(struct gs_rng *r, int field);
const char *gs_agency_name(int agency);	 /* as in the register */
const char *gs_agency_line1(int agency); /* page header, upper case */
const char *gs_agency_line2(int agency);
const char *gs_agency_place(int agency); /* place in the date line */
const char *gs_agency_seal(int agency);	 /* text around the seal */
const char *gs_agency_signer(int agency, int line);
int gs_title_pick(struct gs_rng *r, int field);
const char *gs_title_name(int title);
const char *gs_title_procedure(int title);
const char *gs_title_suffix(int title); /* of the number, e.g. "GPXD" */
void gs_record_number(const struct gs_record *rec, struct gs_rng *r, char *out,
		      size_t outlen);

struct gs_facts {
	char person[64], person2[64], signer[64];
	char address[192], birth[16], idnum[16];
	int male;
	uint64_t seed;
};
void gs_facts_make(const struct gs_record *rec, struct gs_facts *f);

/* Body lines of a page: "label: value" or a paragraph, wrapped by page.c. */
#define GS_MAX_LINES 48
struct gs_lines {
	int n;
	unsigned char
		para[GS_MAX_LINES]; /* a paragraph: indent its first line */
	char text[GS_MAX_LINES][480];
};
void gs_body_lines(const struct gs_record *rec, const struct gs_facts *f,
		   int page, int first, struct gs_rng *r, struct gs_lines *out);
/* A table: rows x cols cells, row 0 the header. */
#define GS_TABLE_MAX 12
struct gs_table {
	int rows, cols;
	double colw[6];
	char cell[GS_TABLE_MAX][6][64];
};
void gs_table_make(const struct gs_record *rec, struct gs_rng *r,
		   struct gs_table *t);

/* font.c: the DejaVu faces through FreeType, with a glyph cache. One
 * gs_fonts per thread: FreeType faces are not shared across threads. */
enum gs_face {
	GS_FACE_SANS,
	GS_FACE_SANS_BOLD,
	GS_FACE_SERIF,
	GS_FACE_SERIF_BOLD,
	GS_FACE_SANS_IT, /* slanted regular: the italics are not in -core */
	GS_FACE_SERIF_IT,
	GS_NFACES
};
struct gs_fonts;
int gs_fonts_open(struct gs_fonts **out, const char *dir, char *err,
		  size_t errlen);
void gs_fonts_free(struct gs_fonts *f);

/* Ink as a transmittance: what fraction of each channel it lets through;
 * g is the same for a grey page. */
struct gs_ink {
	uint8_t c[3];
	uint8_t g;
};
struct gs_ink gs_ink_make(int r, int g, int b);

/* Multiplies ink at coverage cov (0..255) into one pixel. */
static inline void gs_blend_px(uint8_t *p, int nch, unsigned cov,
			       const struct gs_ink *k)
{
	if (nch == 1) {
		p[0] = (uint8_t)(p[0] - (p[0] * (255u - k->g) * cov + 32512u) /
						65025u);
		return;
	}
	for (int c = 0; c < 3; c++)
		p[c] = (uint8_t)(p[c] -
				 (p[c] * (255u - k->c[c]) * cov + 32512u) /
					 65025u);
}

/* Multiplies an 8-bit coverage mask into im with its corner at (x0, y0). */
void gs_blend_mask(struct gs_image *im, const uint8_t *m, int mw, int mh,
		   int x0, int y0, const struct gs_ink *k);
/* Widths in pixels of the first n bytes of UTF-8 s; size in pixels. */
int gs_text_width(struct gs_fonts *f, int face, int size, const char *s,
		  size_t n);
/* Draws n bytes of s with its baseline at y; returns the advance. */
int gs_draw_text(struct gs_fonts *f, struct gs_image *im, int face, int size,
		 int x, int y, const char *s, size_t n, const struct gs_ink *k);
/* Bytes of s that fit in avail pixels, broken at a space; *next = rest. */
size_t gs_fit_line(struct gs_fonts *f, int face, int size, const char *s,
		   int avail, const char **next);
int gs_glyph_advance(struct gs_fonts *f, int face, int size, uint32_t cp);
/* A bold sans glyph turned clockwise by rot (radians) around its origin
 * (ox, oy), max-ed into the ms x ms mask m. */
void gs_draw_glyph_turned(struct gs_fonts *f, int size, uint32_t cp, double ox,
			  double oy, double rot, uint8_t *m, int ms);

/* page.c: the upright page. */
void gs_paper_mm(int paper, double *w, double *h);
/* Draws the page into canvas (allocated here); sets pg->colour. */
int gs_page_draw(struct gs_fonts *f, const struct gs_record *rec,
		 struct gs_page *pg, struct gs_image *canvas, char *err,
		 size_t errlen);

/* scan.c: the scanner. */
struct gs_scan_params {
	double skew, paper_angle;
	int bordered;
	char sides[5];
	double margin[4];
	uint8_t bed[3], lid[3];
	double noise, grad_x, grad_y;
	int nholes;
	double hole_x[3], hole_y[3], hole_r; /* in paper pixels */
	uint64_t seed;
};
struct gs_geom {
	int paper_x, paper_y, paper_w, paper_h;
	char border[5];
};
void gs_scan_params_make(const struct gs_page *pg, int pw, int ph,
			 struct gs_scan_params *sp);
int gs_scan(const struct gs_image *page, const struct gs_scan_params *sp,
	    struct gs_image *out, struct gs_geom *g);
/* out = in turned clockwise by cw (0, 90, 180, 270). */
int gs_image_rotate(const struct gs_image *in, int cw, struct gs_image *out);
void gs_geom_rotate(struct gs_geom *g, int w, int h, int cw);
void gs_threshold(struct gs_image *im, int t);
int gs_downscale(const struct gs_image *in, int maxside, struct gs_image *out);

/* write.c: encoders. Bitonal images are 1-channel 0 / 255. */
int gs_jpeg_encode(const struct gs_image *im, int dpi, int quality, int s444,
		   struct gs_buf *out, char *err, size_t errlen);
int gs_png_encode(const struct gs_image *im, int bitonal, int bits16, int dpi,
		  struct gs_buf *out, char *err, size_t errlen);
struct gs_tiff;
int gs_tiff_open(struct gs_tiff **out, const char *path, char *err,
		 size_t errlen);
int gs_tiff_page(struct gs_tiff *t, const struct gs_image *im, int bitonal,
		 int dpi, const struct gs_tiff_opts *o, int page, int npages);
/* Closes and frees; returns the first error met, with its message. */
int gs_tiff_close(struct gs_tiff *t, char *err, size_t errlen);

/* damaged.c: the damaged inbox. */
int gs_damaged_write(const char *dir, struct gs_fonts *f,
		     struct gs_record *const *recs, int nrecs, uint64_t seed,
		     int *nfiles, char *err, size_t errlen);

/* plan.c */
struct gs_options {
	uint64_t seed;
	const char *out;
	int records;
	double scanned_fraction;
	int ndpi;
	int dpi[8];
	double dpi_w[8];
	int quick;
	int jobs;
	const char *preview;
	int manifest; /* -1 auto, 0 never, 1 always */
	int orphans;
	int damaged;
	const char *font_dir;
};

struct gs_plan {
	struct gs_record *reg; /* every register row and orphan, by id */
	int nreg;
	int *scanned; /* indices into reg, by id */
	int nscanned;
	int *damaged;
	int ndamaged;
	int manifest;
	int npages;
};

int gs_plan_make(const struct gs_options *o, struct gs_plan *p, char *err,
		 size_t errlen);
void gs_plan_release(struct gs_plan *p);
const char *gs_store_ext(int fmt);

#endif
