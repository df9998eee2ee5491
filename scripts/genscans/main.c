/*
 * kho-genscans: writes an inbox of simulated scans, the register they come
 * from, the truth about every page and a small inbox of damaged files.
 * Exit codes: 0 done, 1 failure, 2 usage.
 */
#include "genscans.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
	"usage: kho-genscans --out DIR [--seed N] [--records N]\n"
	"                    [--scanned-fraction F] [--dpi-mix DPI:W,...]\n"
	"                    [--quick] [--jobs N] [--png-preview DIR]\n"
	"                    [--manifest auto|yes|no] [--orphans N]\n"
	"                    [--no-damaged] [--font-dir DIR]\n"
	"\n"
	"Writes DIR/inbox (simulated scans), DIR/register.csv, DIR/truth.csv\n"
	"and DIR/damaged (broken files and expect.csv). The same seed gives\n"
	"byte-identical files. DIR must be empty or missing.\n"
	"\n"
	"  --seed N               seed of every choice (default 1)\n"
	"  --records N            scanned records (default 20)\n"
	"  --scanned-fraction F   scanned share of the register (default "
	"0.667)\n"
	"  --dpi-mix LIST         e.g. 200:3,300:6,600:1 (the default) or 300\n"
	"  --quick                small pages for fast tests: 100-150 dpi "
	"mostly\n"
	"  --jobs N               worker threads (default: CPUs, at most 4)\n"
	"  --png-preview DIR      also a small PNG of every stored page\n"
	"  --manifest WHEN        loose files mapped by manifest.csv (auto)\n"
	"  --orphans N            scanned records left out of the register\n"
	"  --no-damaged           no DIR/damaged\n"
	"  --font-dir DIR         DejaVu fonts "
	"(/usr/share/fonts/truetype/dejavu)\n";

static int usage_error(const char *msg, const char *arg)
{
	if (arg)
		fprintf(stderr, "kho-genscans: %s '%s'\n", msg, arg);
	else
		fprintf(stderr, "kho-genscans: %s\n", msg);
	fputs(usage_text, stderr);
	return 2;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	const long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_mix(const char *s, struct gs_options *o)
{
	o->ndpi = 0;
	while (*s) {
		char *end;
		const long dpi = strtol(s, &end, 10);
		double w = 1;
		if (end == s || dpi < 50 || dpi > 1200 || o->ndpi == 8)
			return -1;
		s = end;
		if (*s == ':') {
			w = strtod(s + 1, &end);
			if (end == s + 1 || !(w > 0))
				return -1;
			s = end;
		}
		o->dpi[o->ndpi] = (int)dpi;
		o->dpi_w[o->ndpi++] = w;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return o->ndpi ? 0 : -1;
}

struct job {
	const struct gs_options *o;
	struct gs_plan *plan;
	atomic_int next;
	atomic_int failed;
	struct gs_buf *truth; /* one per scanned record */
	int *files;	      /* files written per record */
	char err[GS_ERRLEN];
	pthread_mutex_t lock;
};

static void fail(struct job *j, const char *msg)
{
	pthread_mutex_lock(&j->lock);
	if (!atomic_load(&j->failed))
		snprintf(j->err, sizeof(j->err), "%s", msg);
	atomic_store(&j->failed, 1);
	pthread_mutex_unlock(&j->lock);
}

static const char *mode_name(const struct gs_page *pg)
{
	if (pg->store == GS_STORE_BITONAL)
		return "bitonal";
	return pg->colour ? "colour" : "grey";
}

static void truth_row(struct gs_buf *b, const struct gs_record *rec,
		      const struct gs_page *pg)
{
	const long s = lround(pg->skew * 100);
	const long a = s < 0 ? -s : s;

	gs_buf_printf(b, "%s,%d,", rec->id, pg->index);
	gs_buf_csv(b, pg->file);
	gs_buf_printf(b, ",%d,%d,%d,%d,%s%ld.%02ld,%d,%s,%s,%d,%d,%d,%d,%d,%s\n",
		      pg->file_page, pg->width, pg->height, pg->dpi,
		      s < 0 ? "-" : "", a / 100, a % 100, pg->rotation,
		      pg->border, mode_name(pg),
		      /* issue 3: a punch hole or bleed-through makes a page
		       * not blank; only empty paper is.  But a hole shows
		       * what is behind the sheet: the dark bed where it is
		       * bordered, else the white lid, which is no mark.  And
		       * bleed-through (at most 14 levels below the paper)
		       * does not survive a 1-bit scan's threshold. */
		      pg->blank && !(pg->holes && pg->bordered) &&
			      !(pg->bleed && pg->store != GS_STORE_BITONAL),
		      pg->paper_x,
		      pg->paper_y, pg->paper_w, pg->paper_h,
		      pg->blank ? "none" : pg->nearly_blank ? "page-number"
							     : "text");
}

static int write_preview(const struct gs_options *o,
			 const struct gs_record *rec, const struct gs_page *pg,
			 const struct gs_image *im, char *err, size_t errlen)
{
	struct gs_image small = GS_IMAGE_INIT;
	struct gs_buf b = GS_BUF_INIT;
	char path[4096];

	if (gs_downscale(im, 1000, &small)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = gs_png_encode(&small, 0, 0, pg->dpi, &b, err, errlen);
	snprintf(path, sizeof(path), "%s/%s-p%02d.png", o->preview, rec->id,
		 pg->index);
	if (!rc)
		rc = gs_write_file(path, b.p, b.len, err, errlen);
	gs_buf_release(&b);
	gs_image_release(&small);
	return rc;
}

/* A page is colour when at least 6 mm2 of it is clearly coloured (channel
 * spread over 40): a seal always is, a thin blue signature nearly always. */
static int visibly_colour(const struct gs_image *im, int dpi)
{
	const size_t n = (size_t)im->w * im->h;
	const double need = 6.0 * (dpi / 25.4) * (dpi / 25.4);
	size_t hits = 0;

	if (im->nch != 3)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = im->px + 3 * i;
		const int hi = p[0] > p[1] ? (p[0] > p[2] ? p[0] : p[2])
					   : (p[1] > p[2] ? p[1] : p[2]);
		const int lo = p[0] < p[1] ? (p[0] < p[2] ? p[0] : p[2])
					   : (p[1] < p[2] ? p[1] : p[2]);
		hits += hi - lo > 40;
	}
	return (double)hits >= need;
}

/* Draws, scans and stores one page; fills its measured truth. */
static int render_page(const struct gs_options *o, struct gs_fonts *f,
		       const struct gs_record *rec, struct gs_page *pg,
		       struct gs_tiff *tif, char *err, size_t errlen)
{
	struct gs_image page = GS_IMAGE_INIT, scan = GS_IMAGE_INIT;
	struct gs_image turned = GS_IMAGE_INIT;
	struct gs_scan_params sp;
	struct gs_geom g;
	struct gs_buf b = GS_BUF_INIT;
	char path[4096];
	int rc = -1;

	if (gs_page_draw(f, rec, pg, &page, err, errlen))
		return -1;
	gs_scan_params_make(pg, page.w, page.h, &sp);
	memset(&g, 0, sizeof(g));
	if (gs_scan(&page, &sp, &scan, &g)) {
		snprintf(err, errlen, "out of memory scanning %s page %d",
			 rec->id, pg->index);
		goto out;
	}
	gs_image_release(&page);
	const struct gs_image *im = &scan;
	if (pg->rotation) {
		if (gs_image_rotate(&scan, pg->rotation, &turned)) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		gs_geom_rotate(&g, scan.w, scan.h, pg->rotation);
		gs_image_release(&scan);
		im = &turned;
	}
	if (pg->colour)
		pg->colour = visibly_colour(im, pg->dpi);
	const int bitonal = pg->store == GS_STORE_BITONAL;
	if (bitonal)
		gs_threshold((struct gs_image *)im, 150);
	pg->width = im->w;
	pg->height = im->h;
	pg->paper_x = g.paper_x;
	pg->paper_y = g.paper_y;
	pg->paper_w = g.paper_w;
	pg->paper_h = g.paper_h;
	memcpy(pg->border, g.border, sizeof(pg->border));

	snprintf(path, sizeof(path), "%s/inbox/%s", o->out, pg->file);
	if (pg->fmt == GS_FMT_TIFF) {
		struct gs_tiff *one = tif;
		if (!one && gs_tiff_open(&one, path, err, errlen))
			goto out;
		rc = gs_tiff_page(one, im, bitonal, pg->dpi, &pg->tiff,
				  pg->index, tif ? rec->npages : 1);
		if (!tif) {
			const int rc2 = gs_tiff_close(one, err, errlen);
			rc = rc ? rc : rc2;
		}
		if (rc)
			goto out;
	} else {
		if (pg->fmt == GS_FMT_JPEG)
			rc = gs_jpeg_encode(im, pg->dpi, pg->jpeg_quality,
					    pg->jpeg_444, &b, err, errlen);
		else
			rc = gs_png_encode(im, bitonal, pg->png_bits16, pg->dpi,
					   &b, err, errlen);
		if (!rc)
			rc = gs_write_file(path, b.p, b.len, err, errlen);
		if (rc)
			goto out;
	}
	rc = o->preview ? write_preview(o, rec, pg, im, err, errlen) : 0;
out:
	gs_buf_release(&b);
	gs_image_release(&page);
	gs_image_release(&scan);
	gs_image_release(&turned);
	return rc;
}

static int render_record(const struct gs_options *o, struct gs_fonts *f,
			 struct gs_record *rec, struct gs_buf *truth,
			 int *files, char *err, size_t errlen)
{
	char path[4096];
	struct gs_tiff *tif = NULL;
	int rc = 0;

	*files = 0;
	if (rec->container == GS_CONT_FOLDER) {
		snprintf(path, sizeof(path), "%s/inbox/%s", o->out, rec->id);
		if (gs_mkdirs(path, err, errlen))
			return -1;
	} else if (rec->container == GS_CONT_TIFF) {
		snprintf(path, sizeof(path), "%s/inbox/%s", o->out,
			 rec->pages[0].file);
		if (gs_tiff_open(&tif, path, err, errlen))
			return -1;
		*files = 1;
	}
	for (int i = 0; i < rec->npages && !rc; i++) {
		struct gs_page *pg = &rec->pages[i];
		rc = render_page(o, f, rec, pg, tif, err, errlen);
		if (!rc) {
			truth_row(truth, rec, pg);
			if (!tif)
				(*files)++;
		}
	}
	if (tif) {
		char e2[GS_ERRLEN];
		if (gs_tiff_close(tif, e2, sizeof(e2)) && !rc) {
			snprintf(err, errlen, "cannot write '%.280s': %.200s",
				 path, e2);
			rc = -1;
		}
	}
	return rc;
}

static void *worker(void *arg)
{
	struct job *j = arg;
	struct gs_fonts *f = NULL;
	char err[GS_ERRLEN];

	if (gs_fonts_open(&f, j->o->font_dir, err, sizeof(err))) {
		fail(j, err);
		return NULL;
	}
	for (;;) {
		const int i = atomic_fetch_add(&j->next, 1);
		if (i >= j->plan->nscanned || atomic_load(&j->failed))
			break;
		struct gs_record *rec = &j->plan->reg[j->plan->scanned[i]];
		if (render_record(j->o, f, rec, &j->truth[i], &j->files[i], err,
				  sizeof(err))) {
			fail(j, err);
			break;
		}
	}
	gs_fonts_free(f);
	return NULL;
}

static int write_register(const struct gs_options *o, const struct gs_plan *p,
			  int *rows, char *err, size_t errlen)
{
	struct gs_buf b = GS_BUF_INIT;
	char path[4096];

	*rows = 0;
	gs_buf_printf(&b, "id,year,agency,field,procedure_code,title,number,"
			  "issue_date\n");
	for (int i = 0; i < p->nreg; i++) {
		const struct gs_record *r = &p->reg[i];
		if (!r->in_register)
			continue;
		gs_buf_printf(&b, "%s,%d,", r->id, r->year);
		gs_buf_csv(&b, gs_agency_name(r->agency));
		gs_buf_add(&b, ",", 1);
		gs_buf_csv(&b, gs_field_name(r->field));
		gs_buf_printf(&b, ",%s,", gs_title_procedure(r->title));
		gs_buf_csv(&b, gs_title_name(r->title));
		gs_buf_add(&b, ",", 1);
		gs_buf_csv(&b, r->number);
		gs_buf_printf(&b, ",%d-%02d-%02d\n", r->year, r->month, r->day);
		(*rows)++;
	}
	snprintf(path, sizeof(path), "%s/register.csv", o->out);
	const int rc = b.p ? gs_write_file(path, b.p, b.len, err, errlen) : -1;
	gs_buf_release(&b);
	return rc;
}

struct entry {
	const struct gs_record *rec;
	const struct gs_page *pg;
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->pg->file,
		      ((const struct entry *)b)->pg->file);
}

static int write_outputs(const struct gs_options *o, const struct gs_plan *p,
			 const struct job *j, char *err, size_t errlen)
{
	struct gs_buf t = GS_BUF_INIT, m = GS_BUF_INIT;
	char path[4096];
	int rc;

	gs_buf_printf(&t, "record,page,file,file_page,width,height,dpi,"
			  "skew_deg,rotation,border,mode,blank,paper_x,"
			  "paper_y,paper_w,paper_h,print\n");
	for (int i = 0; i < p->nscanned; i++)
		gs_buf_add(&t, j->truth[i].p ? j->truth[i].p : "",
			   j->truth[i].len);
	snprintf(path, sizeof(path), "%s/truth.csv", o->out);
	rc = gs_write_file(path, t.p, t.len, err, errlen);
	if (!rc && p->manifest) {
		/* By file name, as a scanning desk's tool would list them. */
		struct entry *e = calloc((size_t)p->npages + 1, sizeof(*e));
		int n = 0;
		for (int i = 0; e && i < p->nscanned; i++) {
			const struct gs_record *rec = &p->reg[p->scanned[i]];
			if (rec->container != GS_CONT_MANIFEST)
				continue;
			for (int k = 0; k < rec->npages; k++, n++) {
				e[n].rec = rec;
				e[n].pg = &rec->pages[k];
			}
		}
		if (!e) {
			snprintf(err, errlen, "out of memory");
			gs_buf_release(&t);
			return -1;
		}
		qsort(e, (size_t)n, sizeof(*e), cmp_entry);
		gs_buf_printf(&m, "file,record,page\n");
		for (int i = 0; i < n; i++) {
			gs_buf_csv(&m, e[i].pg->file);
			gs_buf_printf(&m, ",%s,%d\n", e[i].rec->id,
				      e[i].pg->index);
		}
		free(e);
		snprintf(path, sizeof(path), "%s/inbox/manifest.csv", o->out);
		rc = gs_write_file(path, m.p, m.len, err, errlen);
	}
	gs_buf_release(&t);
	gs_buf_release(&m);
	return rc;
}

static int run(struct gs_options *o)
{
	struct gs_plan plan;
	struct job j;
	char err[GS_ERRLEN], path[4096];
	int rc = 1, regrows = 0, dfiles = 0, files = 0;

	if (!gs_dir_is_empty_or_missing(o->out)) {
		fprintf(stderr, "kho-genscans: '%s' is not empty\n", o->out);
		return 1;
	}
	/* Fonts first: a missing font must not leave a half-made DIR. */
	struct gs_fonts *fonts = NULL;
	if (gs_fonts_open(&fonts, o->font_dir, err, sizeof(err))) {
		fprintf(stderr, "kho-genscans: %s\n", err);
		return 1;
	}
	if (gs_plan_make(o, &plan, err, sizeof(err))) {
		fprintf(stderr, "kho-genscans: %s\n", err);
		gs_plan_release(&plan);
		gs_fonts_free(fonts);
		return 1;
	}
	memset(&j, 0, sizeof(j));
	j.o = o;
	j.plan = &plan;
	pthread_mutex_init(&j.lock, NULL);
	j.truth = calloc((size_t)plan.nscanned + 1, sizeof(*j.truth));
	j.files = calloc((size_t)plan.nscanned + 1, sizeof(*j.files));
	snprintf(path, sizeof(path), "%s/inbox", o->out);
	if (!j.truth || !j.files) {
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	if (gs_mkdirs(path, err, sizeof(err)) ||
	    (o->preview && gs_mkdirs(o->preview, err, sizeof(err))))
		goto out;

	const int nt = o->jobs < plan.nscanned ? o->jobs : plan.nscanned;
	pthread_t th[64];
	int started = 0;
	for (int i = 0; i < nt; i++) {
		if (pthread_create(&th[i], NULL, worker, &j) != 0)
			break;
		started++;
	}
	if (nt > 0 && started == 0)
		fail(&j, "cannot start a worker thread");
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (atomic_load(&j.failed)) {
		snprintf(err, sizeof(err), "%s", j.err);
		goto out;
	}
	for (int i = 0; i < plan.nscanned; i++)
		files += j.files[i];
	if (write_register(o, &plan, &regrows, err, sizeof(err)) ||
	    write_outputs(o, &plan, &j, err, sizeof(err)))
		goto out;
	if (plan.ndamaged) {
		struct gs_record *d[16];
		for (int i = 0; i < plan.ndamaged && i < 16; i++)
			d[i] = &plan.reg[plan.damaged[i]];
		snprintf(path, sizeof(path), "%s/damaged", o->out);
		if (gs_damaged_write(path, fonts, d, plan.ndamaged, o->seed,
				     &dfiles, err, sizeof(err)))
			goto out;
	}
	printf("kho-genscans: seed %llu: %d records, %d pages, %d files%s, "
	       "%d register rows, %d damaged files in %s\n",
	       (unsigned long long)o->seed, plan.nscanned, plan.npages, files,
	       plan.manifest ? " (with manifest.csv)" : "", regrows, dfiles,
	       o->out);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "kho-genscans: %s\n", err);
	for (int i = 0; j.truth && i < plan.nscanned; i++)
		gs_buf_release(&j.truth[i]);
	free(j.truth);
	free(j.files);
	pthread_mutex_destroy(&j.lock);
	gs_plan_release(&plan);
	gs_fonts_free(fonts);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"seed", required_argument, NULL, 's'},
		{"out", required_argument, NULL, 'o'},
		{"records", required_argument, NULL, 'n'},
		{"scanned-fraction", required_argument, NULL, 'F'},
		{"dpi-mix", required_argument, NULL, 'd'},
		{"quick", no_argument, NULL, 'q'},
		{"jobs", required_argument, NULL, 'j'},
		{"png-preview", required_argument, NULL, 'p'},
		{"manifest", required_argument, NULL, 'm'},
		{"orphans", required_argument, NULL, 'O'},
		{"no-damaged", no_argument, NULL, 'D'},
		{"font-dir", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct gs_options o = {.seed = 1,
			       .records = 20,
			       .scanned_fraction = 2.0 / 3.0,
			       .manifest = -1,
			       .damaged = 1,
			       .font_dir = "/usr/share/fonts/truetype/dejavu"};
	const char *mix = NULL;
	long v;
	int c;

	const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	o.jobs = ncpu < 1 ? 1 : ncpu > 4 ? 4 : (int)ncpu;
	while ((c = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': {
			char *end;
			errno = 0;
			o.seed = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-')
				return usage_error("bad --seed", optarg);
			break;
		}
		case 'o':
			o.out = optarg;
			break;
		case 'n':
			if (parse_long(optarg, 0, 100000, &v))
				return usage_error("bad --records", optarg);
			o.records = (int)v;
			break;
		case 'F': {
			char *end;
			o.scanned_fraction = strtod(optarg, &end);
			if (end == optarg || *end ||
			    !(o.scanned_fraction > 0) || o.scanned_fraction > 1)
				return usage_error("bad --scanned-fraction",
						   optarg);
			break;
		}
		case 'd':
			mix = optarg;
			break;
		case 'q':
			o.quick = 1;
			break;
		case 'j':
			if (parse_long(optarg, 1, 64, &v))
				return usage_error("bad --jobs", optarg);
			o.jobs = (int)v;
			break;
		case 'p':
			o.preview = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "auto"))
				o.manifest = -1;
			else if (!strcmp(optarg, "yes"))
				o.manifest = 1;
			else if (!strcmp(optarg, "no"))
				o.manifest = 0;
			else
				return usage_error("bad --manifest", optarg);
			break;
		case 'O':
			if (parse_long(optarg, 0, 100000, &v))
				return usage_error("bad --orphans", optarg);
			o.orphans = (int)v;
			break;
		case 'D':
			o.damaged = 0;
			break;
		case 'f':
			o.font_dir = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (!o.out)
		return usage_error("--out is required", NULL);
	if (!mix)
		mix = o.quick ? "100:4,120:2,150:3,200:1" : "200:3,300:6,600:1";
	if (parse_mix(mix, &o))
		return usage_error("bad --dpi-mix", mix);
	return run(&o);
}
