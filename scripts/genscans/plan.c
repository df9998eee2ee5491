/*
 * Every decision, made up front from the seed: the register, which of its
 * results were scanned, and for each page its paper, dpi, skew, border,
 * orientation, mode, file form and drawn content. Each record draws from its
 * own stream, so a record's pages do not depend on the others.
 */
#include "genscans.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NDAMAGED 6

static const char *const exts[] = {"jpg", "png", "tif"};

const char *gs_store_ext(int fmt)
{
	return exts[fmt];
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(((const struct gs_record *)a)->id,
		      ((const struct gs_record *)b)->id);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Open addressing over (field, year, seq) keys, to keep ids unique. */
struct idset {
	uint64_t *slot;
	size_t mask;
};

static int idset_add(struct idset *s, uint64_t key)
{
	size_t i = (size_t)gs_hash(key, 0) & s->mask;

	for (; s->slot[i]; i = (i + 1) & s->mask)
		if (s->slot[i] == key)
			return 0;
	s->slot[i] = key;
	return 1;
}

static double round2(double v)
{
	return (double)lround(v * 100) / 100;
}

static int pick_dpi(const struct gs_options *o, struct gs_rng *r)
{
	return o->dpi[gs_rng_weighted(r, o->dpi_w, o->ndpi)];
}

static int pick_comp(struct gs_rng *r, int store, int *bits16)
{
	*bits16 = 0;
	if (store == GS_STORE_BITONAL) {
		static const double w[] = {0.7, 0.15, 0.15};
		static const int c[] = {GS_TC_G4, GS_TC_PACKBITS, GS_TC_G3};
		return c[gs_rng_weighted(r, w, 3)];
	}
	if (store == GS_STORE_GREY) {
		static const double w[] = {0.4, 0.2, 0.1, 0.15, 0.15};
		static const int c[] = {GS_TC_LZW, GS_TC_DEFLATE,
					GS_TC_PACKBITS, GS_TC_JPEG,
					GS_TC_DEFLATE};
		const int k = gs_rng_weighted(r, w, 5);
		*bits16 = k == 4;
		if (*bits16 && gs_rng_chance(r, 0.5))
			return GS_TC_LZW;
		return c[k];
	}
	static const double w[] = {0.35, 0.45, 0.2};
	static const int c[] = {GS_TC_DEFLATE, GS_TC_JPEG, GS_TC_LZW};
	return c[gs_rng_weighted(r, w, 3)];
}

struct rec_style {
	int paper, dpi, store, bordered, fmt, mixed, pagenum, sig_blue, holes;
	int tcomp, tbits16, tiled, res_cm, jq, j444;
};

static void plan_page(const struct gs_options *o, struct gs_rng *r,
		      const struct gs_record *rec, const struct rec_style *st,
		      struct gs_page *pg)
{
	pg->paper = st->paper;
	if (gs_rng_chance(r, 0.03))
		pg->paper = pg->paper == GS_A4 ? GS_A5 : GS_A4;
	pg->dpi = gs_rng_chance(r, 0.08) ? pick_dpi(o, r) : st->dpi;
	if (pg->paper == GS_A3 && pg->dpi > 300)
		pg->dpi = 300;

	const double u = gs_rng_unit(r);
	if (u < 0.15)
		pg->skew = 0;
	else if (u < 0.23)
		pg->skew = round2(gs_rng_range(r, 7, 15) *
				  (gs_rng_chance(r, 0.5) ? 1 : -1));
	else
		pg->skew = round2(gs_rng_range(r, -7, 7));
	pg->paper_angle = pg->skew;
	const double ur = gs_rng_unit(r);
	pg->rotation = ur < 0.03 ? 90 : ur < 0.06 ? 180 : ur < 0.09 ? 270 : 0;

	pg->bordered = gs_rng_chance(r, 0.85) ? st->bordered : !st->bordered;
	if (pg->bordered) {
		int mask = 15;
		if (!gs_rng_chance(r, 0.35))
			mask = gs_rng_int(r, 1, 14);
		int n = 0;
		for (int s = 0; s < 4; s++)
			if (mask & (1 << s))
				pg->sides[n++] = "tlbr"[s];
		pg->sides[n] = '\0';
		for (int s = 0; s < 4; s++)
			pg->margin[s] = gs_rng_range(r, 0.01, 0.05);
		/* A sheet laid against the glass's guides lies nearly
		 * straight: the bed then shows on some sides only. */
		if (mask != 15 && pg->skew != 0 && gs_rng_chance(r, 0.5))
			pg->skew = round2(gs_rng_range(r, -1.5, 1.5));
		pg->paper_angle = pg->skew;
		/* Sometimes the print sits crooked on the sheet. */
		if (gs_rng_chance(r, 0.2))
			pg->paper_angle = round2(
				pg->skew +
				gs_rng_range(r, 0.3, 1.5) *
					(gs_rng_chance(r, 0.5) ? 1 : -1));
	} else {
		pg->sides[0] = '\0';
	}
	pg->noise = gs_rng_range(r, 1.2, 3.2);

	pg->store = st->store;
	if (pg->store == GS_STORE_BITONAL && !o->quick && pg->dpi > 300)
		pg->dpi = 300;
	pg->fmt = st->fmt;
	if (st->mixed)
		pg->fmt = gs_rng_int(r, 0, 2);
	if (pg->store == GS_STORE_BITONAL && pg->fmt == GS_FMT_JPEG)
		pg->fmt = gs_rng_chance(r, 0.5) ? GS_FMT_PNG : GS_FMT_TIFF;

	struct gs_tiff_opts *t = &pg->tiff;
	t->comp = st->tcomp;
	t->bits16 = st->tbits16;
	if (gs_rng_chance(r, 0.15))
		t->comp = pick_comp(r, pg->store, &t->bits16);
	t->tiled = st->tiled && pg->store != GS_STORE_BITONAL;
	const double uo = gs_rng_unit(r);
	t->orientation = uo < 0.03   ? 6
			 : uo < 0.05 ? 8
			 : uo < 0.07 ? 3
			 : uo < 0.09 ? 1
				     : 0;
	t->predictor = gs_rng_chance(r, 0.5);
	t->res_cm = st->res_cm;
	t->miniswhite = gs_rng_chance(r, 0.8);
	t->quality = gs_rng_int(r, 75, 92);
	pg->jpeg_quality = st->jq;
	pg->jpeg_444 = st->j444;
	pg->png_bits16 = pg->store == GS_STORE_GREY && gs_rng_chance(r, 0.08);
	pg->pagenum = st->pagenum;
	pg->sig_blue = st->sig_blue;
	pg->holes = st->holes;
	(void)rec;
}

static void plan_record(const struct gs_options *o, struct gs_record *rec,
			int manifest)
{
	struct gs_rng r;
	struct rec_style st;
	static const int content_pages[GS_NFIELDS][2] = {
		{1, 2}, {2, 4}, {1, 3}, {1, 2}};

	gs_rng_seed(&r, gs_hash(rec->seed, 0x9a6e5));
	int nc = gs_rng_int(&r, content_pages[rec->field][0],
			    content_pages[rec->field][1]);
	if (rec->field == GS_HT && gs_rng_chance(&r, 0.4))
		nc = 1;
	const int blank_at =
		gs_rng_chance(&r, 0.08) ? gs_rng_int(&r, 2, nc + 1) : 0;
	const int nearly = gs_rng_chance(&r, 0.05);
	rec->npages = nc + (blank_at > 0) + nearly;
	rec->pages = calloc((size_t)rec->npages, sizeof(*rec->pages));
	if (!rec->pages)
		return;

	const double up = gs_rng_unit(&r);
	st.paper = up < 0.85 ? GS_A4 : up < 0.95 || o->quick ? GS_A5 : GS_A3;
	st.dpi = pick_dpi(o, &r);
	st.bordered = gs_rng_chance(&r, 0.5);
	if (manifest) {
		rec->container = GS_CONT_MANIFEST;
	} else {
		rec->container =
			gs_rng_chance(&r, 0.35) ? GS_CONT_TIFF : GS_CONT_FOLDER;
	}
	st.mixed = 0;
	if (rec->container == GS_CONT_TIFF) {
		st.fmt = GS_FMT_TIFF;
	} else {
		static const double w[] = {0.55, 0.2, 0.15, 0.1};
		const int k = gs_rng_weighted(&r, w, manifest ? 3 : 4);
		st.fmt = k == 3 ? GS_FMT_JPEG : k;
		st.mixed = k == 3;
	}
	const double us = gs_rng_unit(&r);
	st.store = us < 0.55   ? GS_STORE_RGB
		   : us < 0.88 ? GS_STORE_GREY
			       : GS_STORE_BITONAL;
	if (st.store == GS_STORE_BITONAL && st.fmt == GS_FMT_JPEG && !st.mixed)
		st.store = GS_STORE_GREY;
	st.tcomp = pick_comp(&r, st.store, &st.tbits16);
	st.tiled = gs_rng_chance(&r, 0.25);
	st.res_cm = gs_rng_chance(&r, 0.1);
	st.jq = gs_rng_int(&r, 78, 92);
	st.j444 = gs_rng_chance(&r, 0.2);
	st.pagenum = rec->npages > 1 ? gs_rng_chance(&r, 0.8)
				     : gs_rng_chance(&r, 0.25);
	st.sig_blue = gs_rng_chance(&r, 0.35);
	st.holes = gs_rng_chance(&r, 0.06);
	const int seal = gs_rng_chance(&r, 0.9);
	const int frame = rec->field == GS_DD && rec->title == 3 &&
			  gs_rng_chance(&r, 0.7);

	int content = 0;
	for (int i = 0; i < rec->npages; i++) {
		struct gs_page *pg = &rec->pages[i];
		pg->index = i + 1;
		pg->seed = gs_hash(rec->seed, (uint64_t)pg->index);
		plan_page(o, &r, rec, &st, pg);
		if (i + 1 == blank_at) {
			pg->blank = 1;
			pg->pagenum = 0;
			pg->bleed = gs_rng_chance(&r, 0.5);
			continue;
		}
		if (nearly && i == rec->npages - 1) {
			pg->nearly_blank = 1;
			pg->pagenum = 1;
			continue;
		}
		content++;
		pg->header = content == 1;
		pg->signature = content == nc;
		pg->seal = pg->signature && seal;
		pg->frame = pg->header && frame;
		if (rec->field == GS_DD)
			pg->table = content == 2;
		else if (rec->field != GS_HT)
			pg->table = nc == 1 ? gs_rng_chance(&r, 0.2)
					    : content == 2 &&
						      gs_rng_chance(&r, 0.4);
		if (pg->header && pg->signature)
			pg->body_lines = gs_rng_int(&r, 8, 16);
		else if (pg->header)
			pg->body_lines = gs_rng_int(&r, 14, 26);
		else if (pg->signature)
			pg->body_lines = gs_rng_int(&r, 8, 16);
		else
			pg->body_lines = gs_rng_int(&r, 16, 30);
		if (pg->table && pg->body_lines > 14)
			pg->body_lines = gs_rng_int(&r, 8, 14);
	}
	for (int i = 0; i < rec->npages; i++) {
		struct gs_page *pg = &rec->pages[i];
		if (rec->container == GS_CONT_TIFF) {
			snprintf(pg->file, sizeof(pg->file), "%s.tif", rec->id);
			pg->file_page = pg->index;
		} else if (rec->container == GS_CONT_FOLDER) {
			snprintf(pg->file, sizeof(pg->file), "%s/page-%03d.%s",
				 rec->id, pg->index, exts[pg->fmt]);
			pg->file_page = 1;
		} else {
			pg->file_page = 1; /* named once every page is known */
		}
	}
}

static int make_register(const struct gs_options *o, struct gs_plan *p,
			 int nrows)
{
	static const double fw[GS_NFIELDS] = {0.35, 0.25, 0.2, 0.2};
	static const double yw[6] = {0.17, 0.17, 0.17, 0.17, 0.17, 0.15};
	struct gs_rng r;
	struct idset set;
	size_t cap = 64;

	while (cap < (size_t)nrows * 2)
		cap *= 2;
	set.slot = calloc(cap, sizeof(uint64_t));
	set.mask = cap - 1;
	p->reg = calloc((size_t)nrows, sizeof(*p->reg));
	if (!set.slot || !p->reg) {
		free(set.slot);
		return -1;
	}
	p->nreg = nrows;
	gs_rng_seed(&r, gs_hash(o->seed, 0x7e6));
	int maxseq = nrows * 2 < 3000 ? 3000 : nrows * 2;
	maxseq = maxseq > 99999 ? 99999 : maxseq;
	for (int i = 0; i < nrows; i++) {
		struct gs_record *rec = &p->reg[i];
		do {
			rec->field = gs_rng_weighted(&r, fw, GS_NFIELDS);
			rec->year = 2020 + gs_rng_weighted(&r, yw, 6);
			rec->seq = gs_rng_int(&r, 1, maxseq);
		} while (!idset_add(&set, ((uint64_t)rec->field << 40) |
						  ((uint64_t)rec->year << 20) |
						  (uint64_t)rec->seq));
		snprintf(rec->id, sizeof(rec->id), "%s-%d-%05d",
			 gs_field_prefix(rec->field), rec->year, rec->seq);
		rec->seed =
			gs_hash(o->seed, ((uint64_t)rec->field << 40) |
						 ((uint64_t)rec->year << 20) |
						 (uint64_t)rec->seq);
		struct gs_rng rr;
		gs_rng_seed(&rr, gs_hash(rec->seed, 0x4e6));
		rec->agency = gs_agency_pick(&rr, rec->field);
		rec->title = gs_title_pick(&rr, rec->field);
		rec->month = gs_rng_int(&rr, 1, 12);
		rec->day = gs_rng_int(&rr, 1, 28);
		rec->serif = gs_rng_chance(&rr, 0.7);
		rec->in_register = 1;
		gs_record_number(rec, &rr, rec->number, sizeof(rec->number));
	}
	free(set.slot);
	qsort(p->reg, (size_t)nrows, sizeof(*p->reg), cmp_id);
	return 0;
}

/* Loose files named scan_NNNN in an order of their own. */
static void name_manifest_files(const struct gs_options *o, struct gs_plan *p)
{
	int n = 0;
	struct gs_rng r;

	for (int i = 0; i < p->nscanned; i++) {
		const struct gs_record *rec = &p->reg[p->scanned[i]];
		if (rec->container == GS_CONT_MANIFEST)
			n += rec->npages;
	}
	if (!n)
		return;
	int *order = malloc(sizeof(int) * (size_t)n);
	if (!order)
		return;
	for (int i = 0; i < n; i++)
		order[i] = i;
	gs_rng_seed(&r, gs_hash(o->seed, 0x3a41));
	gs_rng_shuffle(&r, order, n);
	const int first = gs_rng_int(&r, 1, 40);
	int k = 0;
	for (int i = 0; i < p->nscanned; i++) {
		struct gs_record *rec = &p->reg[p->scanned[i]];
		if (rec->container != GS_CONT_MANIFEST)
			continue;
		for (int j = 0; j < rec->npages; j++, k++) {
			struct gs_page *pg = &rec->pages[j];
			snprintf(pg->file, sizeof(pg->file), "scan_%04d.%s",
				 first + order[k], exts[pg->fmt]);
		}
	}
	free(order);
}

int gs_plan_make(const struct gs_options *o, struct gs_plan *p, char *err,
		 size_t errlen)
{
	struct gs_rng r;
	const int nscan = o->records;
	int nreg = (int)lround(nscan / o->scanned_fraction);

	memset(p, 0, sizeof(*p));
	nreg = nreg < nscan ? nscan : nreg;
	const int spare = nreg - nscan;
	const int nd = o->damaged ? NDAMAGED : 0;
	const int rows = nreg + (spare < nd ? nd - spare : 0);
	if (make_register(o, p, rows)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int *idx = malloc(sizeof(int) * (size_t)rows);
	p->scanned = malloc(sizeof(int) * (size_t)(nscan ? nscan : 1));
	p->damaged = malloc(sizeof(int) * (size_t)(nd ? nd : 1));
	if (!idx || !p->scanned || !p->damaged) {
		free(idx);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < rows; i++)
		idx[i] = i;
	gs_rng_seed(&r, gs_hash(o->seed, 0x5ca7));
	gs_rng_shuffle(&r, idx, rows);
	p->nscanned = nscan;
	memcpy(p->scanned, idx, sizeof(int) * (size_t)nscan);
	p->ndamaged = nd;
	memcpy(p->damaged, idx + nscan, sizeof(int) * (size_t)nd);
	/* Rows beyond the register's own: damaged results it never had. */
	for (int i = nreg; i < rows; i++)
		p->reg[idx[i]].in_register = 0;
	free(idx);
	qsort(p->scanned, (size_t)nscan, sizeof(int), cmp_int);
	qsort(p->damaged, (size_t)nd, sizeof(int), cmp_int);
	for (int i = 0; i < nd; i++)
		p->reg[p->damaged[i]].damaged = 1;

	/* Orphans: scanned results that the register does not list. */
	for (int i = 0; i < o->orphans && i < nscan; i++)
		p->reg[p->scanned[(i * 7919) % nscan]].in_register = 0;

	int nman = 0;
	if (o->manifest == 1 ||
	    (o->manifest < 0 && nscan >= 5 && gs_rng_chance(&r, 0.75)))
		nman = nscan / 10 > 1 ? nscan / 10 : 1;
	p->manifest = nman > 0;
	int *pick = malloc(sizeof(int) * (size_t)(nscan ? nscan : 1));
	if (!pick) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < nscan; i++)
		pick[i] = i;
	gs_rng_shuffle(&r, pick, nscan);
	char *man = calloc((size_t)(nscan ? nscan : 1), 1);
	for (int i = 0; man && i < nman && i < nscan; i++)
		man[pick[i]] = 1;
	free(pick);
	for (int i = 0; i < nscan; i++) {
		struct gs_record *rec = &p->reg[p->scanned[i]];
		rec->scanned = 1;
		plan_record(o, rec, man && man[i]);
		if (!rec->pages) {
			free(man);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		p->npages += rec->npages;
	}
	free(man);
	name_manifest_files(o, p);
	return 0;
}

void gs_plan_release(struct gs_plan *p)
{
	for (int i = 0; p->reg && i < p->nreg; i++)
		free(p->reg[i].pages);
	free(p->reg);
	free(p->scanned);
	free(p->damaged);
	memset(p, 0, sizeof(*p));
}
