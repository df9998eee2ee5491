/*
 * The scanner: lays the sheet, turned clockwise by its skew, on a dark bed
 * or under a white lid, samples it bilinearly, adds uneven light and sensor
 * noise; then the stored orientation, thresholding and previews.
 *
 * Coordinates are y-down, so a positive angle turns the content clockwise as
 * seen on screen, the sense of PRODUCT.md's skew.
 */
#include "genscans.h"

#include <stdlib.h>
#include <string.h>

void gs_scan_params_make(const struct gs_page *pg, int pw, int ph,
			 struct gs_scan_params *sp)
{
	struct gs_rng r;

	memset(sp, 0, sizeof(*sp));
	gs_rng_seed(&r, gs_hash(pg->seed, 0x5ca9));
	sp->skew = pg->skew;
	sp->paper_angle = pg->paper_angle;
	sp->bordered = pg->bordered;
	memcpy(sp->sides, pg->sides, sizeof(sp->sides));
	memcpy(sp->margin, pg->margin, sizeof(sp->margin));
	const int bed = gs_rng_int(&r, 16, 52);
	sp->bed[0] = (uint8_t)bed;
	sp->bed[1] = (uint8_t)(bed + gs_rng_int(&r, 0, 3));
	sp->bed[2] = (uint8_t)(bed + gs_rng_int(&r, 0, 6));
	const int lid = gs_rng_int(&r, 246, 253);
	memset(sp->lid, lid, 3);
	sp->noise = pg->noise;
	sp->grad_x = gs_rng_range(&r, -0.03, 0.03);
	sp->grad_y = gs_rng_range(&r, -0.03, 0.03);
	if (pg->holes) {
		/* Two punch holes, 80 mm apart, in the left margin. */
		const double mm = pg->dpi / 25.4;
		sp->nholes = 2;
		sp->hole_r = 3.0 * mm;
		for (int i = 0; i < 2; i++) {
			sp->hole_x[i] = 11.0 * mm;
			sp->hole_y[i] = ph / 2.0 + (i ? 40 : -40) * mm;
		}
	}
	(void)pw;
	sp->seed = gs_hash(pg->seed, 0x9015e);
}

static double clamp01(double v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* How much of the pixel at paper coordinates (u, v) is paper. */
static inline double paper_cover(const struct gs_scan_params *sp, double pw,
				 double ph, double u, double v)
{
	double a = fmin(fmin(u, pw - u), fmin(v, ph - v)) + 0.5;

	if (a <= 0)
		return 0;
	a = a > 1 ? 1 : a;
	for (int i = 0; i < sp->nholes; i++) {
		const double dx = u - sp->hole_x[i], dy = v - sp->hole_y[i];
		const double lim = sp->hole_r + 1;
		if (fabs(dx) < lim && fabs(dy) < lim)
			a = fmin(a, clamp01(hypot(dx, dy) - sp->hole_r + 0.5));
	}
	return a;
}

struct row_ctx {
	const struct gs_image *pg;
	const struct gs_scan_params *sp;
	const float *table;
	const uint8_t *bg;
	double pw, ph, cp, sn, cc, sc;
	int W;
	/* at the row's first pixel */
	double u, v, uc, vc, gain;
	uint64_t ns;
};

static inline double min4(double a, double b, double c, double d)
{
	const double x = a < b ? a : b, y = c < d ? c : d;
	return x < y ? x : y;
}

/* One output row; nch is a constant at each call, so both unroll. */
static inline __attribute__((always_inline)) void
scan_row(struct row_ctx *rc, uint8_t *o, const int nch)
{
	const struct gs_image *pg = rc->pg;
	const size_t ps = (size_t)pg->w * nch;
	const double xmax = pg->w - 1.0, ymax = pg->h - 1.0;
	const float gdx = (float)(rc->sp->grad_x / rc->W);
	double u = rc->u, v = rc->v, uc = rc->uc, vc = rc->vc;
	float gain = (float)rc->gain;
	uint64_t ns = rc->ns, bits = 0;
	int left = 0;

	for (int x = 0; x < rc->W; x++, o += nch) {
		const double m = min4(u, rc->pw - u, v, rc->ph - v);
		double a = m >= 0.5 ? 1 : m <= -0.5 ? 0 : m + 0.5;
		if (rc->sp->nholes && a > 0)
			a = paper_cover(rc->sp, rc->pw, rc->ph, u, v);
		float val[3] = {0, 0, 0};
		if (a > 0) {
			int x0, y0;
			float fx, fy;
			if (uc >= 0 && uc < xmax)
				x0 = (int)uc, fx = (float)(uc - x0);
			else
				x0 = uc < 0 ? 0 : pg->w - 2,
				fx = uc < 0 ? 0 : 1;
			if (vc >= 0 && vc < ymax)
				y0 = (int)vc, fy = (float)(vc - y0);
			else
				y0 = vc < 0 ? 0 : pg->h - 2,
				fy = vc < 0 ? 0 : 1;
			const uint8_t *p =
				pg->px + (size_t)y0 * ps + (size_t)x0 * nch;
			for (int c = 0; c < nch; c++) {
				const float top =
					p[c] + fx * (p[c + nch] - p[c]);
				const float bot =
					p[c + ps] +
					fx * (p[c + ps + nch] - p[c + ps]);
				val[c] = top + fy * (bot - top);
			}
		}
		const float fa = (float)a;
		for (int c = 0; c < nch; c++) {
			if (left == 0) {
				ns ^= ns >> 12;
				ns ^= ns << 25;
				ns ^= ns >> 27;
				bits = ns * 0x2545f4914f6cdd1dULL;
				left = 5;
			}
			const float n = rc->table[bits & 4095];
			bits >>= 12;
			left--;
			float s = fa * val[c] + (1 - fa) * rc->bg[c];
			s = s * gain + n;
			o[c] = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s + 0.5f);
		}
		u += rc->cp;
		v -= rc->sn;
		uc += rc->cc;
		vc -= rc->sc;
		gain -= gdx;
	}
}

int gs_scan(const struct gs_image *pg, const struct gs_scan_params *sp,
	    struct gs_image *out, struct gs_geom *g)
{
	const double pw = pg->w, ph = pg->h, hw = pw / 2, hh = ph / 2;
	const double tp = sp->paper_angle * M_PI / 180;
	const double tc = sp->skew * M_PI / 180;
	const double cp = cos(tp), sn = sin(tp), cc = cos(tc), sc = sin(tc);
	const double ex = (pw * fabs(cp) + ph * fabs(sn)) / 2;
	const double ey = (pw * fabs(sn) + ph * fabs(cp)) / 2;
	const int nch = pg->nch;
	double ext[4] = {0, 0, 0, 0}; /* t l b r: bed beyond the sheet */
	int W, H;
	double cx, cy;

	if (!sp->bordered) {
		W = pg->w;
		H = pg->h;
		cx = W / 2.0;
		cy = H / 2.0;
	} else {
		for (int s = 0; s < 4; s++) {
			const int tb = s == 0 || s == 2;
			const double dim = tb ? ph : pw;
			if (strchr(sp->sides, "tlbr"[s])) {
				ext[s] = sp->margin[s] * dim;
			} else {
				/* Crop into the sheet far enough to hide the
				 * bed, but no deeper than the margins allow:
				 * 4% (2.5% at the bottom, for page numbers). */
				const double exc = (tb ? pw : ph) * fabs(sn);
				const double cap = s == 2 ? 0.025 : 0.04;
				ext[s] = -fmin(exc + 2, cap * dim);
			}
		}
		W = (int)lround(2 * ex + ext[1] + ext[3]);
		H = (int)lround(2 * ey + ext[0] + ext[2]);
		cx = ext[1] + ex;
		cy = ext[0] + ey;
	}
	if (gs_image_alloc(out, W, H, nch))
		return -1;

	float table[4096];
	struct gs_rng r;
	gs_rng_seed(&r, sp->seed);
	for (int i = 0; i < 4096; i++)
		table[i] = (float)(gs_rng_normal(&r) * sp->noise);

	struct row_ctx rc = {.pg = pg,
			     .sp = sp,
			     .table = table,
			     .bg = sp->bordered ? sp->bed : sp->lid,
			     .pw = pw,
			     .ph = ph,
			     .cp = cp,
			     .sn = sn,
			     .cc = cc,
			     .sc = sc,
			     .W = W};
	for (int y = 0; y < H; y++) {
		const double dy = y + 0.5 - cy, dx = 0.5 - cx;
		rc.u = cp * dx + sn * dy + hw;
		rc.v = -sn * dx + cp * dy + hh;
		rc.uc = cc * dx + sc * dy + hw - 0.5;
		rc.vc = -sc * dx + cc * dy + hh - 0.5;
		rc.ns = gs_hash(sp->seed, (uint64_t)y) | 1;
		rc.gain = 1 - sp->grad_y * ((double)y / H) -
			  (sp->grad_y < 0 ? sp->grad_y : 0) -
			  (sp->grad_x < 0 ? sp->grad_x : 0);
		uint8_t *o = out->px + (size_t)y * W * nch;
		if (nch == 1)
			scan_row(&rc, o, 1);
		else
			scan_row(&rc, o, 3);
	}

	/* The sheet's bounding box in the image, and the sides showing bed:
	 * a side shows bed where the image edge lies beyond the sheet's edge
	 * facing it, along at least 2% of its length. */
	double xmin = 1e18, xmax = -1e18, ymin = 1e18, ymax = -1e18;
	for (int i = 0; i < 4; i++) {
		const double px = i & 1 ? hw : -hw, py = i & 2 ? hh : -hh;
		const double X = cx + cp * px - sn * py;
		const double Y = cy + sn * px + cp * py;
		xmin = fmin(xmin, X);
		xmax = fmax(xmax, X);
		ymin = fmin(ymin, Y);
		ymax = fmax(ymax, Y);
	}
	const int x0 = xmin < 0 ? 0 : (int)floor(xmin);
	const int y0 = ymin < 0 ? 0 : (int)floor(ymin);
	const int x1 = xmax > W ? W : (int)ceil(xmax);
	const int y1 = ymax > H ? H : (int)ceil(ymax);
	g->paper_x = x0;
	g->paper_y = y0;
	g->paper_w = x1 - x0;
	g->paper_h = y1 - y0;
	int nb = 0;
	if (sp->bordered) {
		for (int s = 0; s < 4; s++) {
			const int n = s == 0 || s == 2 ? W : H;
			int dark = 0;
			for (int i = 0; i < n; i++) {
				double X, Y;
				if (s == 0 || s == 2)
					X = i + 0.5, Y = s == 0 ? 0.5 : H - 0.5;
				else
					Y = i + 0.5, X = s == 1 ? 0.5 : W - 0.5;
				const double dx = X - cx, dy = Y - cy;
				const double u = cp * dx + sn * dy + hw;
				const double v = -sn * dx + cp * dy + hh;
				/* Bed beyond the sheet's own edge on this side,
				 * not the corner of a neighbouring side's band.
				 */
				const double beyond = s == 0   ? -v
						      : s == 1 ? -u
						      : s == 2 ? v - ph
							       : u - pw;
				dark += beyond > 0;
			}
			if (dark * 50 >= n)
				g->border[nb++] = "tlbr"[s];
		}
	}
	if (!nb)
		g->border[nb++] = '-';
	g->border[nb] = '\0';
	return 0;
}

int gs_image_rotate(const struct gs_image *in, int cw, struct gs_image *out)
{
	const int n = in->nch, w = in->w, h = in->h;
	const int ow = cw == 90 || cw == 270 ? h : w;
	const int oh = cw == 90 || cw == 270 ? w : h;

	if (gs_image_alloc(out, ow, oh, n))
		return -1;
	if (cw == 0) {
		memcpy(out->px, in->px, (size_t)w * h * n);
		return 0;
	}
	/* In 64x64 blocks, to keep both sides in cache. */
	for (int by = 0; by < oh; by += 64)
		for (int bx = 0; bx < ow; bx += 64)
			for (int y = by; y < by + 64 && y < oh; y++)
				for (int x = bx; x < bx + 64 && x < ow; x++) {
					int sx, sy;
					if (cw == 90)
						sx = y, sy = h - 1 - x;
					else if (cw == 180)
						sx = w - 1 - x, sy = h - 1 - y;
					else
						sx = w - 1 - y, sy = x;
					const uint8_t *s =
						in->px +
						((size_t)sy * w + sx) * n;
					uint8_t *d = out->px +
						     ((size_t)y * ow + x) * n;
					for (int c = 0; c < n; c++)
						d[c] = s[c];
				}
	return 0;
}

void gs_geom_rotate(struct gs_geom *g, int w, int h, int cw)
{
	const int x = g->paper_x, y = g->paper_y;
	const int pw = g->paper_w, ph = g->paper_h;
	/* Where each of t l b r goes: clockwise, the top becomes the right. */
	static const char *const to[4] = {"tlbr", "rtlb", "brtl", "lbrt"};
	const int k = cw / 90;
	char sides[5] = "";
	int n = 0;

	if (k == 1) {
		g->paper_x = h - (y + ph), g->paper_y = x;
		g->paper_w = ph, g->paper_h = pw;
	} else if (k == 2) {
		g->paper_x = w - (x + pw), g->paper_y = h - (y + ph);
	} else if (k == 3) {
		g->paper_x = y, g->paper_y = w - (x + pw);
		g->paper_w = ph, g->paper_h = pw;
	}
	if (g->border[0] == '-' || k == 0)
		return;
	for (int s = 0; s < 4; s++) /* keep the order t l b r */
		for (const char *b = g->border; *b; b++)
			if (to[k][strchr("tlbr", *b) - "tlbr"] == "tlbr"[s])
				sides[n++] = "tlbr"[s];
	sides[n] = '\0';
	memcpy(g->border, sides, (size_t)n + 1);
}

void gs_threshold(struct gs_image *im, int t)
{
	const size_t n = (size_t)im->w * im->h;

	for (size_t i = 0; i < n; i++)
		im->px[i] = im->px[i] < t ? 0 : 255;
}

int gs_downscale(const struct gs_image *in, int maxside, struct gs_image *out)
{
	const int big = in->w > in->h ? in->w : in->h;
	const int f = (big + maxside - 1) / maxside;
	const int n = in->nch;
	const int ow = in->w / (f ? f : 1), oh = in->h / (f ? f : 1);

	if (gs_image_alloc(out, ow > 0 ? ow : 1, oh > 0 ? oh : 1, n))
		return -1;
	for (int y = 0; y < out->h; y++)
		for (int x = 0; x < out->w; x++)
			for (int c = 0; c < n; c++) {
				unsigned sum = 0;
				for (int j = 0; j < f; j++) {
					const uint8_t *p =
						in->px +
						((size_t)(y * f + j) * in->w +
						 (size_t)x * f) *
							n +
						c;
					for (int i = 0; i < f; i++)
						sum += p[(size_t)i * n];
				}
				out->px[((size_t)y * out->w + x) * n + c] =
					(uint8_t)(sum / (unsigned)(f * f));
			}
	return 0;
}
