/*
 * normalize_eval: measures kho's page analysis against the test-scan
 * generator's ground truth (truth.csv): skew error, orientation, the paper
 * box, mode and blank, and the time per page (decode included).
 *
 *   normalize_eval SAMPLE_DIR [--verbose] [--csv FILE]
 *
 * --csv writes one row per page (for scripts/bench/normalize.sh to set
 * beside the peers' figures).
 * SAMPLE_DIR holds inbox/ and truth.csv from kho-genscans.  It calls the
 * same functions the normalize stage calls (analysis/analyze.h), page by
 * page, without a catalog.
 */
#include "analysis/analyze.h"
#include "codec/codec.h"
#include "common/csv.h"
#include "common/fsutil.h"
#include "worker/pool.h"

#include <math.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void orientation_plan(int o, int *mirror, int *rotation)
{
	static const int table[9][2] = {
		{ 0, 0 }, { 0, 0 }, { 1, 0 }, { 0, 180 }, { 1, 180 },
		{ 1, 270 }, { 0, 90 }, { 1, 90 }, { 0, 270 },
	};
	o = o >= 1 && o <= 8 ? o : 1;
	*mirror = table[o][0];
	*rotation = table[o][1];
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: normalize_eval SAMPLE_DIR [--verbose]\n");
		return 2;
	}
	const char *dir = argv[1];
	/* Memory kept as a stage's worker keeps it, page after page. */
	kho_worker_memory();
	int verbose = 0;
	FILE *rows = NULL;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--verbose") == 0) {
			verbose = 1;
		} else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
			rows = fopen(argv[++i], "w");
			if (!rows) {
				perror(argv[i]);
				return 1;
			}
			fprintf(rows, "record,page,file,file_page,dpi,rotation,"
				      "want_rotation,skew,truth_skew,confidence,"
				      "skew_source,print,bed,truth_border,mode,"
				      "truth_mode,blank,truth_blank,ms,decode_ms\n");
		}
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/truth.csv", dir);
	uint8_t *csvdata = NULL;
	size_t csvlen = 0;
	kho_error err = KHO_ERROR_INIT;
	if (kho_read_file(path, 1 << 26, &csvdata, &csvlen, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	kho_csv *csv;
	kho_csv_open(&csv, (const char *)csvdata, csvlen, &err);
	char **f;
	size_t nf;
	long line;
	kho_csv_next(csv, &f, &nf, &line, &err);
	int c_file = kho_csv_column(f, nf, "file");
	int c_fp = kho_csv_column(f, nf, "file_page");
	int c_skew = kho_csv_column(f, nf, "skew_deg");
	int c_rot = kho_csv_column(f, nf, "rotation");
	int c_border = kho_csv_column(f, nf, "border");
	int c_mode = kho_csv_column(f, nf, "mode");
	int c_blank = kho_csv_column(f, nf, "blank");
	int c_px = kho_csv_column(f, nf, "paper_x");
	int c_rec = kho_csv_column(f, nf, "record");
	int c_page = kho_csv_column(f, nf, "page");
	int c_dpi = kho_csv_column(f, nf, "dpi");
	int c_print = kho_csv_column(f, nf, "print");

	double errs[8192], num_err[1024];
	size_t n_err = 0, n_num = 0;
	int pages = 0, orient_ok = 0, orient_n = 0, blank_pages = 0,
	    blank_turned = 0, within = 0, untrusted = 0;
	int blank_tp = 0, blank_fp = 0, blank_fn = 0;
	int mode_conf[3][4] = { { 0 } }; /* truth bitonal/grey/colour x ours */
	double iou_sum = 0, iou_min = 1;
	int iou_n = 0, border_found = 0, border_truth = 0, border_false = 0;
	double ms_sum = 0, dec_sum = 0;
	double worst = 0;
	char worst_name[256] = "";
	const kho_limits lim = KHO_LIMITS_DEFAULT;
	while (kho_csv_next(csv, &f, &nf, &line, &err) == 1) {
		snprintf(path, sizeof(path), "%s/inbox/%s", dir, f[c_file]);
		const int file_page = (int)strtol(f[c_fp], NULL, 10) - 1;
		const double t_skew = strtod(f[c_skew], NULL);
		const int t_rot = (int)strtol(f[c_rot], NULL, 10);
		const int t_blank = (int)strtol(f[c_blank], NULL, 10);
		const int t_border = strcmp(f[c_border], "-") != 0;
		const double t_dpi = strtod(f[c_dpi], NULL);
		/* skew is measured on pages with print: text, or at least
		 * their page number (reported apart) */
		const int t_text = c_print < 0 ? !t_blank
				   : strcmp(f[c_print], "text") == 0;
		const int t_number = c_print >= 0 &&
				     strcmp(f[c_print], "page-number") == 0;
		double t_box[4];
		for (int i = 0; i < 4; i++)
			t_box[i] = strtod(f[c_px + i], NULL);

		double t0 = now_ms();
		uint8_t *data = NULL;
		size_t size = 0;
		kho_image_file *img = NULL;
		kho_page_info info;
		kho_image raw = KHO_IMAGE_INIT, turned = KHO_IMAGE_INIT;
		if (kho_read_file(path, lim.max_file_bytes, &data, &size, &err) ||
		    kho_image_file_open(&img, data, size, &lim, &err) ||
		    kho_image_file_page_info(img, (uint32_t)file_page, &info,
					     &err)) {
			fprintf(stderr, "%s: %s\n", path, err.msg);
			return 1;
		}
		double dpi = info.xdpi > 0 ? info.xdpi : t_dpi;
		unsigned scale = 1;
		/* as normalize does (stage_normalize.c analysis_scale) */
		const uint32_t side = KHO_MAX(info.width, info.height);
		while (scale < 8 && dpi / (scale * 2) >= 95 &&
		       side / (scale * 2) >= 1000)
			scale *= 2;
		if (kho_image_file_read(img, (uint32_t)file_page, scale, &raw,
					&err)) {
			fprintf(stderr, "%s: %s\n", path, err.msg);
			return 1;
		}
		const double t1 = now_ms();
		dec_sum += t1 - t0;
		int mirror, rot;
		orientation_plan(info.orientation, &mirror, &rot);
		kho_image_turn(&raw, mirror, rot, &turned, &err);
		kho_analysis a;
		if (kho_analyze_page(&turned, dpi / scale, info.channels,
				     info.bits, &a, &err)) {
			fprintf(stderr, "%s: %s\n", path, err.msg);
			return 1;
		}
		if (scale > 1 && kho_analysis_wants_finer(&a, dpi / scale)) {
			/* as the stage does: again at twice the resolution */
			scale /= 2;
			kho_image_release(&raw);
			kho_image_release(&turned);
			kho_image_file_read(img, (uint32_t)file_page, scale,
					    &raw, &err);
			kho_image_turn(&raw, mirror, rot, &turned, &err);
			kho_analyze_page(&turned, dpi / scale, info.channels,
					 info.bits, &a, &err);
		}
		const double ms = now_ms() - t0;
		ms_sum += ms;
		if (rows)
			fprintf(rows,
				"%s,%s,%s,%d,%.0f,%d,%d,%.4f,%.2f,%.3f,%s,%s,%d,%s,"
				"%s,%s,%d,%d,%.2f,%.2f\n",
				f[c_rec], f[c_page], f[c_file], file_page + 1,
				dpi, a.rotation, (360 - t_rot) % 360, a.skew,
				t_skew, a.skew_confidence, a.skew_source,
				c_print >= 0 ? f[c_print] : "?", a.bed,
				f[c_border], kho_mode_name(a.mode), f[c_mode],
				a.blank, t_blank, ms, t1 - t0);
		pages++;

		const int want_rot = (360 - t_rot) % 360;
		const int rot_ok = a.rotation == want_rot;
		/* A blank page has no way up to read: counted apart. */
		if (t_blank) {
			blank_pages++;
			blank_turned += want_rot != 0;
		} else {
			orient_n++;
			orient_ok += rot_ok;
		}
		double e = NAN;
		if (rot_ok && t_number) {
			e = a.skew - t_skew;
			num_err[n_num++] = fabs(e);
		} else if (rot_ok && t_text) {
			e = a.skew - t_skew;
			errs[n_err++] = fabs(e);
			within += fabs(e) <= 0.1;
			untrusted += strcmp(a.skew_source, "text") != 0;
			if (fabs(e) > worst) {
				worst = fabs(e);
				snprintf(worst_name, sizeof(worst_name),
					 "%s p%s", f[c_rec], f[c_page]);
			}
		}
		if (a.blank && t_blank)
			blank_tp++;
		else if (a.blank)
			blank_fp++;
		else if (t_blank)
			blank_fn++;
		int tm = strcmp(f[c_mode], "bitonal") == 0 ? 0
			 : strcmp(f[c_mode], "grey") == 0  ? 1
							   : 2;
		mode_conf[tm][a.mode]++;
		/* The paper box: ours, back in the stored frame, against the
		 * truth's bounding box of the sheet. */
		border_truth += t_border;
		border_found += a.bed && t_border;
		border_false += a.bed && !t_border;
		double iou = NAN;
		if (t_border && rot_ok) {
			/* un-turn our box: the canvas turned by rotation */
			double W = turned.width, H = turned.height;
			double x = a.crop_x, y = a.crop_y, w = a.crop_w,
			       h = a.crop_h;
			int inv = (360 - a.rotation) % 360;
			double CW = a.rotation % 180 ? H : W,
			       CH = a.rotation % 180 ? W : H;
			double bx = x, by = y, bw = w, bh = h;
			if (inv == 90) {
				x = CH - by - bh; y = bx; w = bh; h = bw;
			} else if (inv == 180) {
				x = CW - bx - bw; y = CH - by - bh;
			} else if (inv == 270) {
				x = by; y = CW - bx - bw; w = bh; h = bw;
			}
			/* corners turned forward by the skew about the
			 * centre: the crooked sheet's bounding box */
			double rad = a.skew * M_PI / 180, c = cos(rad),
			       s = sin(rad);
			double x0 = 1e30, y0 = 1e30, x1 = -1e30, y1 = -1e30;
			for (int k = 0; k < 4; k++) {
				double px = x + (k & 1) * w - W / 2;
				double py = y + (k >> 1) * h - H / 2;
				double qx = px * c - py * s + W / 2;
				double qy = px * s + py * c + H / 2;
				x0 = fmin(x0, qx); y0 = fmin(y0, qy);
				x1 = fmax(x1, qx); y1 = fmax(y1, qy);
			}
			x0 = fmax(x0, 0); y0 = fmax(y0, 0);
			x1 = fmin(x1, W); y1 = fmin(y1, H);
			double tx0 = t_box[0] / scale, ty0 = t_box[1] / scale;
			double tx1 = tx0 + t_box[2] / scale,
			       ty1 = ty0 + t_box[3] / scale;
			double ix = fmax(0, fmin(x1, tx1) - fmax(x0, tx0));
			double iy = fmax(0, fmin(y1, ty1) - fmax(y0, ty0));
			double inter = ix * iy;
			double uni = (x1 - x0) * (y1 - y0) +
				     (tx1 - tx0) * (ty1 - ty0) - inter;
			iou = uni > 0 ? inter / uni : 0;
			iou_sum += iou;
			iou_min = fmin(iou_min, iou);
			iou_n++;
		}
		if (verbose)
			printf("%-16s p%-2s %-6s %3d/%-3d rot %3d/%-3d skew %7.3f/%7.3f "
			       "err %6.3f conf %.2f %-10s peaks %.2f/%.2f ud %+.2f(%d) bed %d(%s/%s) iou %.3f "
			       "mode %s/%s blank %d/%d ink %.5f faint %.5f fl %.2f col %.5f %.0f ms\n",
			       f[c_rec], f[c_page], f[c_file] + strlen(f[c_file]) - 3,
			       (int)dpi, (int)(dpi / scale), a.rotation, want_rot, a.skew,
			       t_skew, e, a.skew_confidence, a.skew_source,
			       a.orient.across, a.orient.along, a.orient.updown, a.orient.lines,
			       a.bed, a.sides, f[c_border], iou,
			       kho_mode_name(a.mode), f[c_mode], a.blank, t_blank,
			       a.stats.ink_fraction, a.stats.faint_fraction,
			       a.faint_lines, a.stats.colour_fraction, ms);
		kho_image_release(&raw);
		kho_image_release(&turned);
		kho_image_file_free(img);
		free(data);
	}
	qsort(errs, n_err, sizeof(double), cmp_d);
	double mean = 0;
	for (size_t i = 0; i < n_err; i++)
		mean += errs[i];
	mean = n_err ? mean / n_err : 0;
	printf("pages %d\n", pages);
	printf("skew (pages with text, orientation right): %zu pages, mean abs error %.3f deg, median %.3f, "
	       "worst %.3f (%s), within 0.1 deg %.1f%%, left unrotated %d\n",
	       n_err, mean, n_err ? errs[n_err / 2] : 0, worst, worst_name,
	       n_err ? 100.0 * within / n_err : 0, untrusted);
	double num_mean = 0;
	for (size_t i = 0; i < n_num; i++)
		num_mean += num_err[i];
	printf("skew on pages with only a page number: %zu pages, mean abs "
	       "error %.3f deg\n",
	       n_num, n_num ? num_mean / n_num : 0);
	printf("orientation: %d/%d right (%.1f%%) of the pages not blank; "
	       "blank pages, with no way up: %d, %d of them stored turned\n",
	       orient_ok, orient_n, orient_n ? 100.0 * orient_ok / orient_n : 0,
	       blank_pages, blank_turned);
	printf("blank: %d true, %d false, %d missed; precision %.2f recall %.2f\n",
	       blank_tp, blank_fp, blank_fn,
	       blank_tp + blank_fp ? (double)blank_tp / (blank_tp + blank_fp) : 1,
	       blank_tp + blank_fn ? (double)blank_tp / (blank_tp + blank_fn) : 1);
	printf("border: found on %d of %d bordered pages, %d false; paper box IoU mean %.3f min %.3f\n",
	       border_found, border_truth, border_false,
	       iou_n ? iou_sum / iou_n : 0, iou_n ? iou_min : 0);
	printf("mode (truth rows: bitonal, grey, colour; ours: bitonal grey colour mixed):\n");
	const char *tn[3] = { "bitonal", "grey", "colour" };
	for (int i = 0; i < 3; i++)
		printf("  %-8s %4d %4d %4d %4d\n", tn[i], mode_conf[i][0],
		       mode_conf[i][1], mode_conf[i][2], mode_conf[i][3]);
	printf("time: %.1f ms per page, decode %.1f ms of it\n",
	       pages ? ms_sum / pages : 0, pages ? dec_sum / pages : 0);
	kho_csv_free(csv);
	free(csvdata);
	if (rows)
		fclose(rows);
	return 0;
}
