/*
 * FreeType behind one small interface: the DejaVu faces, a glyph cache, and
 * text measured, broken and drawn as ink multiplied into an image.
 */
#include "genscans.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* DejaVu ships its italics in fonts-dejavu-extra: slant the regular ones. */
static const char *const face_files[GS_NFACES] = {
	"DejaVuSans.ttf",	"DejaVuSans-Bold.ttf", "DejaVuSerif.ttf",
	"DejaVuSerif-Bold.ttf", "DejaVuSans.ttf",      "DejaVuSerif.ttf"};

struct glyph {
	uint32_t cp;
	int16_t face; /* -1: free slot */
	uint16_t size;
	int16_t left, top;
	uint16_t w, h;
	int32_t adv; /* 26.6 */
	uint8_t *bits;
};

#define CACHE_SLOTS 8192

struct gs_fonts {
	FT_Library lib;
	FT_Face face[GS_NFACES];
	int size[GS_NFACES];
	struct glyph *cache;
	int used;
};

static void cache_flush(struct gs_fonts *f)
{
	for (int i = 0; i < CACHE_SLOTS; i++) {
		free(f->cache[i].bits);
		f->cache[i].bits = NULL;
		f->cache[i].face = -1;
	}
	f->used = 0;
}

void gs_fonts_free(struct gs_fonts *f)
{
	if (!f)
		return;
	if (f->cache) {
		cache_flush(f);
		free(f->cache);
	}
	for (int i = 0; i < GS_NFACES; i++)
		if (f->face[i])
			FT_Done_Face(f->face[i]);
	if (f->lib)
		FT_Done_FreeType(f->lib);
	free(f);
}

int gs_fonts_open(struct gs_fonts **out, const char *dir, char *err,
		  size_t errlen)
{
	struct gs_fonts *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f || !(f->cache = calloc(CACHE_SLOTS, sizeof(*f->cache)))) {
		free(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < CACHE_SLOTS; i++)
		f->cache[i].face = -1;
	if (FT_Init_FreeType(&f->lib)) {
		snprintf(err, errlen, "cannot initialise FreeType");
		gs_fonts_free(f);
		return -1;
	}
	for (int i = 0; i < GS_NFACES; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, face_files[i]);
		if (access(path, R_OK) != 0) {
			snprintf(err, errlen,
				 "font '%s' is missing: install the DejaVu "
				 "fonts (Debian: fonts-dejavu-core) or pass "
				 "--font-dir",
				 path);
			gs_fonts_free(f);
			return -1;
		}
		if (FT_New_Face(f->lib, path, 0, &f->face[i])) {
			snprintf(err, errlen, "cannot load font '%s'", path);
			gs_fonts_free(f);
			return -1;
		}
		if (i == GS_FACE_SANS_IT || i == GS_FACE_SERIF_IT) {
			FT_Matrix m = {0x10000, 0x3400, 0, 0x10000};
			FT_Set_Transform(f->face[i], &m, NULL);
		}
	}
	*out = f;
	return 0;
}

static void set_size(struct gs_fonts *f, int face, int size)
{
	if (f->size[face] != size) {
		FT_Set_Pixel_Sizes(f->face[face], 0, (FT_UInt)size);
		f->size[face] = size;
	}
}

static const struct glyph *glyph_get(struct gs_fonts *f, int face, int size,
				     uint32_t cp)
{
	const uint32_t h = cp * 2654435761u ^ (uint32_t)face * 0x9e3779b1u ^
			   (uint32_t)size * 0x85ebca6bu;
	unsigned i = (h ^ (h >> 15)) & (CACHE_SLOTS - 1);

	for (;; i = (i + 1) & (CACHE_SLOTS - 1)) {
		const struct glyph *g = &f->cache[i];
		if (g->face < 0)
			break;
		if (g->cp == cp && g->face == face && g->size == size)
			return g;
	}
	if (f->used >= CACHE_SLOTS * 3 / 4) {
		cache_flush(f);
		i = (h ^ (h >> 15)) & (CACHE_SLOTS - 1);
	}
	set_size(f, face, size);
	FT_Face fc = f->face[face];
	FT_UInt gi = FT_Get_Char_Index(fc, cp);
	if (!gi)
		gi = FT_Get_Char_Index(fc, '?');
	if (FT_Load_Glyph(fc, gi, FT_LOAD_DEFAULT) ||
	    FT_Render_Glyph(fc->glyph, FT_RENDER_MODE_NORMAL))
		return NULL;
	const FT_Bitmap *bm = &fc->glyph->bitmap;
	struct glyph *g = &f->cache[i];
	g->bits = NULL;
	if (bm->rows && bm->width) {
		g->bits = malloc((size_t)bm->rows * bm->width);
		if (!g->bits)
			return NULL;
		for (unsigned y = 0; y < bm->rows; y++)
			memcpy(g->bits + (size_t)y * bm->width,
			       bm->buffer + (ptrdiff_t)y * bm->pitch,
			       bm->width);
	}
	g->cp = cp;
	g->face = (int16_t)face;
	g->size = (uint16_t)size;
	g->left = (int16_t)fc->glyph->bitmap_left;
	g->top = (int16_t)fc->glyph->bitmap_top;
	g->w = (uint16_t)bm->width;
	g->h = (uint16_t)bm->rows;
	g->adv = (int32_t)fc->glyph->advance.x;
	f->used++;
	return g;
}

/* Multiplies an 8-bit coverage mask into the image at (x0, y0). */
void gs_blend_mask(struct gs_image *im, const uint8_t *m, int mw, int mh,
		   int x0, int y0, const struct gs_ink *k)
{
	for (int y = 0; y < mh; y++) {
		const int iy = y0 + y;
		if (iy < 0 || iy >= im->h)
			continue;
		for (int x = 0; x < mw; x++) {
			const int ix = x0 + x;
			const unsigned cov = m[(size_t)y * mw + x];
			if (!cov || ix < 0 || ix >= im->w)
				continue;
			gs_blend_px(im->px +
					    ((size_t)iy * im->w + ix) * im->nch,
				    im->nch, cov, k);
		}
	}
}

int gs_text_width(struct gs_fonts *f, int face, int size, const char *s,
		  size_t n)
{
	const char *end = s + n;
	int64_t pen = 0;

	while (s < end && *s) {
		const struct glyph *g =
			glyph_get(f, face, size, gs_utf8_next(&s));
		pen += g ? g->adv : 0;
	}
	return (int)((pen + 32) >> 6);
}

int gs_draw_text(struct gs_fonts *f, struct gs_image *im, int face, int size,
		 int x, int y, const char *s, size_t n, const struct gs_ink *k)
{
	const char *end = s + n;
	int64_t pen = (int64_t)x << 6;

	while (s < end && *s) {
		const struct glyph *g =
			glyph_get(f, face, size, gs_utf8_next(&s));
		if (!g)
			continue;
		if (g->bits)
			gs_blend_mask(im, g->bits, g->w, g->h,
				      (int)((pen + 32) >> 6) + g->left,
				      y - g->top, k);
		pen += g->adv;
	}
	return (int)(((pen + 32) >> 6) - x);
}

/* The longest prefix of s that fits in avail pixels, broken at a space. */
size_t gs_fit_line(struct gs_fonts *f, int face, int size, const char *s,
		   int avail, const char **next)
{
	const char *p = s, *brk = NULL;
	int64_t pen = 0;

	while (*p) {
		const char *q = p;
		const uint32_t c = gs_utf8_next(&q);
		if (c == ' ' && p > s)
			brk = p;
		const struct glyph *g = glyph_get(f, face, size, c);
		pen += g ? g->adv : 0;
		if ((pen >> 6) > avail && c != ' ') {
			if (brk) {
				*next = brk;
				while (**next == ' ')
					(*next)++;
				return (size_t)(brk - s);
			}
			if (p == s)
				p = q;
			*next = p;
			return (size_t)(p - s);
		}
		p = q;
	}
	*next = p;
	return (size_t)(p - s);
}

/* Renders one glyph turned clockwise by rot around its origin into m. */
void gs_draw_glyph_turned(struct gs_fonts *f, int size, uint32_t cp, double ox,
			  double oy, double rot, uint8_t *m, int ms)
{
	FT_Face fc = f->face[GS_FACE_SANS_BOLD];
	const double c = cos(rot), s = sin(rot);
	FT_Matrix mat = {
		(FT_Fixed)lround(c * 65536), (FT_Fixed)lround(s * 65536),
		(FT_Fixed)lround(-s * 65536), (FT_Fixed)lround(c * 65536)};
	FT_Vector d = {(FT_Pos)lround((ox - floor(ox)) * 64),
		       (FT_Pos)lround(-(oy - floor(oy)) * 64)};

	set_size(f, GS_FACE_SANS_BOLD, size);
	FT_Set_Transform(fc, &mat, &d);
	const FT_UInt gi = FT_Get_Char_Index(fc, cp);
	const int bad = FT_Load_Glyph(fc, gi, FT_LOAD_NO_HINTING) ||
			FT_Render_Glyph(fc->glyph, FT_RENDER_MODE_NORMAL);
	FT_Set_Transform(fc, NULL, NULL);
	if (bad)
		return;
	const FT_Bitmap *bm = &fc->glyph->bitmap;
	const int bx = (int)floor(ox) + fc->glyph->bitmap_left;
	const int by = (int)floor(oy) - fc->glyph->bitmap_top;
	for (unsigned y = 0; y < bm->rows; y++)
		for (unsigned x = 0; x < bm->width; x++) {
			const int mx = bx + (int)x, my = by + (int)y;
			if (mx < 0 || my < 0 || mx >= ms || my >= ms)
				continue;
			const uint8_t v =
				bm->buffer[(ptrdiff_t)y * bm->pitch + x];
			uint8_t *p = m + (size_t)my * ms + mx;
			if (v > *p)
				*p = v;
		}
}

int gs_glyph_advance(struct gs_fonts *f, int face, int size, uint32_t cp)
{
	const struct glyph *g = glyph_get(f, face, size, cp);

	return g ? g->adv : 0;
}

struct gs_ink gs_ink_make(int r, int g, int b)
{
	const struct gs_ink k = {
		{(uint8_t)r, (uint8_t)g, (uint8_t)b},
		(uint8_t)((77 * r + 150 * g + 29 * b + 128) >> 8)};
	return k;
}
