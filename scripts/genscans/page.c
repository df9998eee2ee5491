/*
 * The upright page as printed: tinted paper, the national header, a title,
 * body text, an optional ruled table, a signature, a red seal and a page
 * number. Inks multiply into the paper, so a seal over text leaves the text
 * dark, as on paper.
 */
#include "genscans.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fill_rect(struct gs_image *im, int x0, int y0, int x1, int y1,
		      const struct gs_ink *k)
{
	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > im->w ? im->w : x1;
	y1 = y1 > im->h ? im->h : y1;
	for (int y = y0; y < y1; y++)
		for (int x = x0; x < x1; x++)
			gs_blend_px(im->px + ((size_t)y * im->w + x) * im->nch,
				    im->nch, 255, k);
}

void gs_paper_mm(int paper, double *w, double *h)
{
	static const double sz[3][2] = {{210, 297}, {148, 210}, {297, 420}};

	*w = sz[paper][0];
	*h = sz[paper][1];
}

struct lay {
	struct gs_fonts *f;
	struct gs_image *im;
	struct gs_rng *r;
	int dpi;
	double mm;    /* pixels per millimetre */
	double scale; /* type scale for the paper size */
	int x0, x1;   /* the text column */
	int y;	      /* baseline of the next line */
	int reg, bold, ital;
	struct gs_ink ink;
};

static int pt(const struct lay *L, double points)
{
	const int v = (int)lround(points * L->scale * L->dpi / 72.0);
	return v < 5 ? 5 : v;
}

static int mm(const struct lay *L, double v)
{
	return (int)lround(v * L->mm);
}

static int centred(struct lay *L, int face, int size, int cx, int y,
		   const char *s)
{
	const int w = gs_text_width(L->f, face, size, s, strlen(s));

	gs_draw_text(L->f, L->im, face, size, cx - w / 2, y, s, strlen(s),
		     &L->ink);
	return w;
}

/* The largest size up to want at which every text fits in width. */
static int fit_size(struct lay *L, int face, int want, int width, const char *a,
		    const char *b)
{
	int size = want;

	while (size > 5 &&
	       (gs_text_width(L->f, face, size, a, strlen(a)) > width ||
		(b && gs_text_width(L->f, face, size, b, strlen(b)) > width)))
		size--;
	return size;
}

static void draw_header(struct lay *L, const struct gs_record *rec)
{
	static const char *const nation = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
	static const char *const motto = "Độc lập - Tự do - Hạnh phúc";
	const int cw = L->x1 - L->x0;
	const int xl = L->x0 + cw * 19 / 100, xr = L->x0 + cw * 67 / 100;
	const int sr =
		fit_size(L, L->bold, pt(L, 11.5), cw * 60 / 100, nation, NULL);
	const int sl = fit_size(L, L->bold, sr, cw * 37 / 100,
				gs_agency_line1(rec->agency),
				gs_agency_line2(rec->agency));
	const int thin = mm(L, 0.25) > 0 ? mm(L, 0.25) : 1;
	char line[256], date[160];

	L->y += sr;
	centred(L, L->reg, sl, xl, L->y, gs_agency_line1(rec->agency));
	centred(L, L->bold, sr, xr, L->y, nation);
	L->y += sr * 3 / 2;
	const int w2 =
		centred(L, L->bold, sl, xl, L->y, gs_agency_line2(rec->agency));
	const int wm = centred(L, L->bold, sr, xr, L->y, motto);
	const int yu = L->y + sr / 3;
	fill_rect(L->im, xl - w2 / 5, yu, xl + w2 / 5, yu + thin, &L->ink);
	fill_rect(L->im, xr - wm / 2, yu, xr + wm / 2, yu + thin, &L->ink);
	L->y += sr * 2;
	snprintf(line, sizeof(line), "Số: %s", rec->number);
	centred(L, L->reg, sl, xl, L->y, line);
	snprintf(date, sizeof(date), "%s, ngày %02d tháng %02d năm %d",
		 gs_agency_place(rec->agency), rec->day, rec->month, rec->year);
	centred(L, L->ital, sr, xr, L->y, date);
	L->y += sr;

	char title[512];
	gs_utf8_upper(gs_title_name(rec->title), title, sizeof(title));
	const int st = pt(L, 15);
	const char *s = title;
	L->y += st * 2;
	while (*s) {
		const char *next;
		const size_t n =
			gs_fit_line(L->f, L->bold, st, s, cw * 88 / 100, &next);
		const int w = gs_text_width(L->f, L->bold, st, s, n);
		gs_draw_text(L->f, L->im, L->bold, st, L->x0 + (cw - w) / 2,
			     L->y, s, n, &L->ink);
		L->y += st * 4 / 3;
		s = next;
	}
	L->y += st / 2;
}

/* Body lines until want visual lines are drawn or the text reaches limit. */
static void draw_body(struct lay *L, const struct gs_lines *lines, int want,
		      int limit)
{
	const int size = pt(L, 12.5), lh = size * 3 / 2;
	const int cw = L->x1 - L->x0;
	int drawn = 0;

	for (int i = 0; i < lines->n && drawn < want; i++) {
		const char *s = lines->text[i];
		int indent = lines->para[i] ? mm(L, 10) : 0;
		while (*s && drawn < want && L->y + lh <= limit) {
			const char *next;
			const size_t n = gs_fit_line(L->f, L->reg, size, s,
						     cw - indent, &next);
			L->y += lh;
			gs_draw_text(L->f, L->im, L->reg, size, L->x0 + indent,
				     L->y, s, n, &L->ink);
			drawn++;
			indent = 0;
			s = next;
		}
		if (L->y + lh > limit)
			break;
	}
	L->y += lh / 2;
}

static int table_height(const struct lay *L, const struct gs_table *t)
{
	return t->rows * pt(L, 10.5) * 2 + pt(L, 12);
}

static void draw_table(struct lay *L, const struct gs_table *t)
{
	const int size = pt(L, 10.5), rh = size * 2;
	const int thin = mm(L, 0.2) > 0 ? mm(L, 0.2) : 1;
	const int cw = L->x1 - L->x0, pad = mm(L, 1.5);
	int xs[7];

	xs[0] = L->x0;
	for (int c = 0; c < t->cols; c++)
		xs[c + 1] = xs[c] + (int)lround(t->colw[c] * cw);
	xs[t->cols] = L->x1;
	const int y0 = L->y + size / 2;
	for (int r = 0; r <= t->rows; r++)
		fill_rect(L->im, L->x0, y0 + r * rh, L->x1 + thin,
			  y0 + r * rh + thin, &L->ink);
	for (int c = 0; c <= t->cols; c++)
		fill_rect(L->im, xs[c], y0, xs[c] + thin, y0 + t->rows * rh,
			  &L->ink);
	for (int r = 0; r < t->rows; r++) {
		const int face = r == 0 ? L->bold : L->reg;
		for (int c = 0; c < t->cols; c++) {
			const char *next;
			const char *s = t->cell[r][c];
			const size_t n =
				gs_fit_line(L->f, face, size, s,
					    xs[c + 1] - xs[c] - 2 * pad, &next);
			gs_draw_text(L->f, L->im, face, size, xs[c] + pad,
				     y0 + r * rh + rh * 2 / 3, s, n, &L->ink);
		}
	}
	L->y = y0 + t->rows * rh + size;
}

static void disc(uint8_t *m, int mw, int mh, double cx, double cy, double r)
{
	const int x0 = (int)floor(cx - r - 1), x1 = (int)ceil(cx + r + 1);
	const int y0 = (int)floor(cy - r - 1), y1 = (int)ceil(cy + r + 1);

	for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < mh; y++)
		for (int x = x0 < 0 ? 0 : x0; x <= x1 && x < mw; x++) {
			const double d = hypot(x + 0.5 - cx, y + 0.5 - cy) - r;
			if (d >= 0.5)
				continue;
			const int v = d <= -0.5 ? 255 : (int)((0.5 - d) * 255);
			uint8_t *p = m + (size_t)y * mw + x;
			if (v > *p)
				*p = (uint8_t)v;
		}
}

/* A handwritten signature: looping cubic strokes with a varying pen. */
static void draw_signature(struct lay *L, int cx, int cy,
			   const struct gs_ink *k)
{
	const int mw = mm(L, 50), mh = mm(L, 22);
	uint8_t *m = calloc((size_t)mw * mh, 1);
	struct gs_rng *r = L->r;

	if (!m)
		return;
	const double pen = fmax(1.3, 0.25 * L->mm);
	double px = mw * 0.08, py = mh * gs_rng_range(r, 0.35, 0.65);
	const int segs = gs_rng_int(r, 5, 9);
	for (int s = 0; s <= segs; s++) {
		double qx = px + mw * gs_rng_range(r, 0.06, 0.16);
		double qy = mh * gs_rng_range(r, 0.15, 0.85);
		if (s == segs) /* the closing flourish under the name */
			qx = mw * 0.95, qy = mh * 0.8;
		const double c1x = px + mw * gs_rng_range(r, -0.05, 0.2);
		const double c1y = mh * gs_rng_range(r, 0.0, 1.0);
		const double c2x = qx + mw * gs_rng_range(r, -0.2, 0.05);
		const double c2y = mh * gs_rng_range(r, 0.0, 1.0);
		const double len = hypot(c1x - px, c1y - py) +
				   hypot(c2x - c1x, c2y - c1y) +
				   hypot(qx - c2x, qy - c2y);
		const int steps = (int)(len / (0.4 * pen)) + 8;
		for (int i = 0; i <= steps; i++) {
			const double t = (double)i / steps, u = 1 - t;
			const double x = u * u * u * px + 3 * u * u * t * c1x +
					 3 * u * t * t * c2x + t * t * t * qx;
			const double y = u * u * u * py + 3 * u * u * t * c1y +
					 3 * u * t * t * c2y + t * t * t * qy;
			disc(m, mw, mh, x, y, pen * (0.7 + 0.5 * sin(t * 3.1)));
		}
		px = qx;
		py = qy;
	}
	gs_blend_mask(L->im, m, mw, mh, cx - mw / 2, cy - mh / 2, k);
	free(m);
}

static int in_star(double x, double y, const double *vx, const double *vy)
{
	int in = 0;

	for (int i = 0, j = 9; i < 10; j = i++)
		if ((vy[i] > y) != (vy[j] > y) &&
		    x < (vx[j] - vx[i]) * (y - vy[i]) / (vy[j] - vy[i]) + vx[i])
			in = !in;
	return in;
}

static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* A round red seal: two rings, the agency's name around, a star inside. */
static void draw_seal(struct lay *L, int cx, int cy, const char *text,
		      const struct gs_ink *k)
{
	struct gs_rng *r = L->r;
	const double R = gs_rng_range(r, 17.5, 20.0) * L->mm;
	const int ms = (int)ceil(2 * R) + 6;
	const double c = ms / 2.0, wo = 0.9 * L->mm;
	const double ri = R - wo - 5.4 * L->mm;
	uint8_t *m = calloc((size_t)ms * ms, 1);

	if (!m)
		return;
	for (int y = 0; y < ms; y++)
		for (int x = 0; x < ms; x++) {
			const double d = hypot(x + 0.5 - c, y + 0.5 - c);
			const double a =
				clamp01(wo / 2 - fabs(d - (R - wo / 2)) + 0.5);
			const double b =
				clamp01(0.2 * L->mm - fabs(d - ri) + 0.5);
			m[(size_t)y * ms + x] = (uint8_t)(fmax(a, b) * 255);
		}

	/* The name, clockwise around the band, spaced to fill the circle. */
	int size = (int)lround(3.9 * L->mm);
	const double rb = ri + 1.0 * L->mm;
	int n = 0;
	for (const char *s = text; *s; gs_utf8_next(&s))
		n++;
	int total = gs_text_width(L->f, GS_FACE_SANS_BOLD, size, text,
				  strlen(text));
	if (total > 2 * M_PI * rb * 0.97) {
		size = (int)(size * 2 * M_PI * rb * 0.97 / total);
		total = gs_text_width(L->f, GS_FACE_SANS_BOLD, size, text,
				      strlen(text));
	}
	const double extra = (2 * M_PI * rb - total) / (n ? n : 1);
	const double phi0 = gs_rng_range(r, -0.4, 0.4);
	double along = 0;
	for (const char *s = text; *s;) {
		const uint32_t cp = gs_utf8_next(&s);
		const double adv =
			gs_glyph_advance(L->f, GS_FACE_SANS_BOLD, size, cp) /
			64.0;
		const double phi = phi0 + (along + adv / 2) / rb;
		const double ox = c + rb * sin(phi) - adv / 2 * cos(phi);
		const double oy = c - rb * cos(phi) - adv / 2 * sin(phi);
		if (cp != ' ')
			gs_draw_glyph_turned(L->f, size, cp, ox, oy, phi, m,
					     ms);
		along += adv + extra;
	}

	/* A five-pointed star, 4x4 supersampled. */
	double vx[10], vy[10];
	const double so = ri * 0.42;
	for (int i = 0; i < 10; i++) {
		const double a = phi0 + i * M_PI / 5;
		const double rr = i & 1 ? so * 0.382 : so;
		vx[i] = c + rr * sin(a);
		vy[i] = c - rr * cos(a);
	}
	for (int y = (int)(c - so - 1); y <= (int)(c + so + 1); y++)
		for (int x = (int)(c - so - 1); x <= (int)(c + so + 1); x++) {
			int hits = 0;
			for (int sy = 0; sy < 4; sy++)
				for (int sx = 0; sx < 4; sx++)
					hits += in_star(x + (sx + 0.5) / 4,
							y + (sy + 0.5) / 4, vx,
							vy);
			if (hits)
				m[(size_t)y * ms + x] =
					(uint8_t)(hits * 255 / 16);
		}

	/* Uneven ink: smooth value noise, a pressure slope and speckle. */
	const double cell = 1.3 * L->mm;
	const int gn = (int)(ms / cell) + 3;
	double *grid = malloc(sizeof(double) * gn * gn);
	if (grid) {
		for (int i = 0; i < gn * gn; i++)
			grid[i] = gs_rng_unit(r);
		const double pa = gs_rng_range(r, 0, 2 * M_PI);
		const double strength = gs_rng_range(r, 0.8, 1.0);
		for (int y = 0; y < ms; y++)
			for (int x = 0; x < ms; x++) {
				uint8_t *p = m + (size_t)y * ms + x;
				if (!*p)
					continue;
				const double gx = x / cell, gy = y / cell;
				const int ix = (int)gx, iy = (int)gy;
				double fx = gx - ix, fy = gy - iy;
				fx = fx * fx * (3 - 2 * fx);
				fy = fy * fy * (3 - 2 * fy);
				const double *g0 = grid + iy * gn + ix;
				const double v =
					(g0[0] * (1 - fx) + g0[1] * fx) *
						(1 - fy) +
					(g0[gn] * (1 - fx) + g0[gn + 1] * fx) *
						fy;
				const double slope = ((x - c) * cos(pa) +
						      (y - c) * sin(pa)) /
						     R;
				double cov = (0.5 + 0.5 * v) *
					     (1 - 0.3 * clamp01(slope)) *
					     strength;
				if ((gs_rng_next(r) & 63) == 0)
					cov *= 0.35;
				*p = (uint8_t)(*p * cov);
			}
		free(grid);
	}
	gs_blend_mask(L->im, m, ms, ms, cx - ms / 2, cy - ms / 2, k);
	free(m);
}

/* The decorative double frame of a land-use certificate. */
static void draw_frame(struct lay *L, const struct gs_ink *k)
{
	const struct gs_image *im = L->im;
	const int o = mm(L, 7), t1 = mm(L, 0.8) + 1, g = mm(L, 1.6);
	const int t2 = mm(L, 0.3) + 1, sq = mm(L, 4);

	for (int i = 0; i < 2; i++) {
		const int e = i ? o + t1 + g : o, t = i ? t2 : t1;
		fill_rect(L->im, e, e, im->w - e, e + t, k);
		fill_rect(L->im, e, im->h - e - t, im->w - e, im->h - e, k);
		fill_rect(L->im, e, e, e + t, im->h - e, k);
		fill_rect(L->im, im->w - e - t, e, im->w - e, im->h - e, k);
	}
	const int cs[4][2] = {{o, o},
			      {im->w - o - sq, o},
			      {o, im->h - o - sq},
			      {im->w - o - sq, im->h - o - sq}};
	for (int i = 0; i < 4; i++)
		fill_rect(L->im, cs[i][0], cs[i][1], cs[i][0] + sq,
			  cs[i][1] + sq, k);
}

static void blur121(struct gs_image *im)
{
	const int n = im->nch;
	const size_t stride = (size_t)im->w * n;
	uint8_t *a = malloc(stride), *b = malloc(stride);

	if (!a || !b)
		goto out;
	for (int y = 0; y < im->h; y++) {
		uint8_t *row = im->px + y * stride;
		memcpy(a, row, stride);
		for (size_t i = n; i + n < stride; i++)
			row[i] = (uint8_t)((a[i - n] + 2 * a[i] + a[i + n] +
					    2) >>
					   2);
	}
	memcpy(a, im->px, stride); /* the original of the row above */
	for (int y = 1; y + 1 < im->h; y++) {
		uint8_t *row = im->px + y * stride;
		const uint8_t *next = row + stride;
		memcpy(b, row, stride);
		for (size_t i = 0; i < stride; i++)
			row[i] =
				(uint8_t)((a[i] + 2 * b[i] + next[i] + 2) >> 2);
		uint8_t *t = a;
		a = b;
		b = t;
	}
out:
	free(a);
	free(b);
}

/* Text from the other side of the sheet, mirrored, faint and soft. */
static void draw_bleed(struct lay *L, const struct gs_record *rec)
{
	struct gs_image back = GS_IMAGE_INIT;
	struct gs_lines lines;
	struct gs_image *front = L->im;

	if (gs_image_alloc(&back, front->w, front->h, 1))
		return;
	memset(back.px, 255, (size_t)back.w * back.h);
	gs_body_lines(rec, &(struct gs_facts){.seed = 7}, 2, 0, L->r, &lines);
	L->im = &back;
	L->ink = gs_ink_make(0, 0, 0);
	draw_body(L, &lines, 40, front->h - mm(L, 25));
	blur121(&back);
	blur121(&back);
	L->im = front;
	const unsigned s = (unsigned)gs_rng_int(L->r, 6, 14);
	const struct gs_ink black = gs_ink_make(0, 0, 0);
	for (int y = 0; y < front->h; y++) {
		const uint8_t *src = back.px + (size_t)y * back.w;
		for (int x = 0; x < front->w; x++) {
			const unsigned cov =
				(255u - src[back.w - 1 - x]) * s / 255u;
			if (cov)
				gs_blend_px(front->px + ((size_t)y * front->w +
							 x) * front->nch,
					    front->nch, cov, &black);
		}
	}
	gs_image_release(&back);
}

int gs_page_draw(struct gs_fonts *f, const struct gs_record *rec,
		 struct gs_page *pg, struct gs_image *im, char *err,
		 size_t errlen)
{
	double wmm, hmm;
	struct gs_rng r;

	gs_paper_mm(pg->paper, &wmm, &hmm);
	const int w = (int)lround(wmm * pg->dpi / 25.4);
	const int h = (int)lround(hmm * pg->dpi / 25.4);
	const int nch = pg->store == GS_STORE_RGB ? 3 : 1;
	if (gs_image_alloc(im, w, h, nch)) {
		snprintf(err, errlen, "out of memory for a %dx%d page", w, h);
		return -1;
	}
	gs_rng_seed(&r, gs_hash(pg->seed, 0x9a6e));

	/* Off-white, a little warm; land certificates on pinkish paper. */
	int pr = gs_rng_int(&r, 236, 249), pgc = pr - gs_rng_int(&r, 1, 6);
	int pb = pgc - gs_rng_int(&r, 3, 12);
	if (pg->frame)
		pgc = pr - gs_rng_int(&r, 8, 12), pb = pgc + 2;
	const struct gs_ink paper = gs_ink_make(pr, pgc, pb);
	if (nch == 1)
		memset(im->px, paper.g, (size_t)w * h);
	else
		for (size_t i = 0; i < (size_t)w * h; i++)
			memcpy(im->px + 3 * i, paper.c, 3);

	struct lay L = {.f = f, .im = im, .r = &r, .dpi = pg->dpi};
	L.mm = pg->dpi / 25.4;
	L.scale = pg->paper == GS_A5 ? 0.84 : pg->paper == GS_A3 ? 1.2 : 1.0;
	const double wr = wmm / 210.0;
	L.x0 = mm(&L, gs_rng_range(&r, 25, 30) * wr);
	L.x1 = w - mm(&L, gs_rng_range(&r, 15, 20) * wr);
	L.y = mm(&L, gs_rng_range(&r, 14, 20) * wr);
	L.reg = rec->serif ? GS_FACE_SERIF : GS_FACE_SANS;
	L.bold = rec->serif ? GS_FACE_SERIF_BOLD : GS_FACE_SANS_BOLD;
	L.ital = rec->serif ? GS_FACE_SERIF_IT : GS_FACE_SANS_IT;
	const int tone = gs_rng_int(&r, 18, 45);
	L.ink = gs_ink_make(tone, tone, tone + gs_rng_int(&r, 0, 8));
	pg->colour = 0;

	if (pg->blank) {
		if (pg->bleed)
			draw_bleed(&L, rec);
		goto finish;
	}
	if (pg->frame) {
		const struct gs_ink fk = gs_ink_make(200, 95, 85);
		draw_frame(&L, &fk);
		pg->colour = nch == 3;
	}
	if (pg->header)
		draw_header(&L, rec);

	struct gs_table table;
	int bottom = h - mm(&L, 24 * (wr < 1 ? wr : 1));
	if (pg->table) {
		gs_table_make(rec, &r, &table);
		bottom -= table_height(&L, &table);
	}
	const int sig_h = pt(&L, 12) * 3 + mm(&L, 34);
	if (pg->signature)
		bottom -= sig_h;
	if (!pg->nearly_blank) {
		struct gs_facts facts;
		struct gs_lines lines;
		gs_facts_make(rec, &facts);
		gs_body_lines(rec, &facts, pg->index, pg->header, &r, &lines);
		draw_body(&L, &lines, pg->body_lines, bottom);
		if (pg->table)
			draw_table(&L, &table);
	}
	if (pg->signature) {
		const int cw = L.x1 - L.x0, xs = L.x0 + cw * 72 / 100;
		const int ss = pt(&L, 12), ys = L.y + ss;
		struct gs_facts facts;
		gs_facts_make(rec, &facts);
		const char *s1 = gs_agency_signer(rec->agency, 0);
		const char *s2 = gs_agency_signer(rec->agency, 1);
		centred(&L, L.bold, ss, xs, ys, s1);
		if (*s2)
			centred(&L, L.bold, ss, xs, ys + ss * 3 / 2, s2);
		const int sn = pt(&L, 10.5);
		gs_draw_text(f, im,
			     L.ital == GS_FACE_SERIF_IT ? GS_FACE_SERIF_BOLD
							: GS_FACE_SANS_BOLD,
			     sn, L.x0, ys, "Nơi nhận:", strlen("Nơi nhận:"),
			     &L.ink);
		gs_draw_text(f, im, L.reg, sn * 9 / 10, L.x0, ys + sn * 3 / 2,
			     "- Như trên;", strlen("- Như trên;"), &L.ink);
		gs_draw_text(f, im, L.reg, sn * 9 / 10, L.x0, ys + sn * 3,
			     "- Lưu: VT.", strlen("- Lưu: VT."), &L.ink);
		const struct gs_ink sig =
			pg->sig_blue ? gs_ink_make(gs_rng_int(&r, 30, 70),
						   gs_rng_int(&r, 50, 90),
						   gs_rng_int(&r, 140, 190))
				     : L.ink;
		draw_signature(&L, xs, ys + ss * 3 + mm(&L, 11), &sig);
		if (pg->sig_blue && nch == 3)
			pg->colour = 1;
		centred(&L, L.bold, ss, xs, ys + ss * 3 + mm(&L, 27),
			facts.signer);
		if (pg->seal) {
			const int sx = xs - mm(&L, gs_rng_range(&r, 10, 19));
			const int sy = ys + mm(&L, gs_rng_range(&r, 9, 17));
			const int ir = gs_rng_int(&r, 215, 238);
			const int ig = gs_rng_int(&r, 30, 65);
			const struct gs_ink red =
				gs_ink_make(ir, ig, gs_rng_int(&r, 40, 75));
			draw_seal(&L, sx, sy, gs_agency_seal(rec->agency),
				  &red);
			pg->colour |= nch == 3;
		}
	}
	if (pg->pagenum) {
		char num[32];
		const int sz = pt(&L, 11);
		if (rec->npages > 1 && gs_rng_chance(&r, 0.5))
			snprintf(num, sizeof(num), "Trang %d/%d", pg->index,
				 rec->npages);
		else
			snprintf(num, sizeof(num), "- %d -", pg->index);
		const int y = h - mm(&L, gs_rng_range(&r, 11, 14));
		if (gs_rng_chance(&r, 0.7))
			centred(&L, L.reg, sz, w / 2, y, num);
		else
			gs_draw_text(f, im, L.reg, sz,
				     L.x1 - gs_text_width(f, L.reg, sz, num,
							  strlen(num)),
				     y, num, strlen(num), &L.ink);
	}
finish:
	blur121(im);
	if (pg->dpi >= 400)
		blur121(im);
	return 0;
}
