/*
 * The damaged inbox: records whose files a scanning desk could hand over
 * broken, each named in expect.csv with the failure ingest must report.
 */
#include "genscans.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct damage {
	const char *failure, *detail;
};

static const struct damage kinds[] = {
	{"truncated-jpeg", "JPEG cut off in the middle of its scan data"},
	{"truncated-tiff-strip",
	 "TIFF whose last strips lie beyond the end of the file"},
	{"not-an-image", "a PDF document renamed .jpg"},
	{"empty-file", "zero bytes"},
	{"png-bad-crc", "PNG whose IDAT chunk fails its CRC"},
	{"truncated-png",
	 "second page of a record: PNG cut off inside IDAT (page 1 is fine)"},
};

/* A small scanned page to break: A5, grey, 100 dpi, a little skewed. */
static int small_scan(struct gs_fonts *f, const struct gs_record *rec,
		      uint64_t seed, int colour, struct gs_image *out,
		      char *err, size_t errlen)
{
	struct gs_record r = *rec;
	struct gs_page pg;
	struct gs_image page = GS_IMAGE_INIT;
	struct gs_scan_params sp;
	struct gs_geom g;

	memset(&pg, 0, sizeof(pg));
	r.npages = 1;
	r.pages = &pg;
	pg.index = 1;
	pg.paper = GS_A5;
	pg.dpi = 100;
	pg.skew = pg.paper_angle = 1.5;
	pg.store = colour ? GS_STORE_RGB : GS_STORE_GREY;
	pg.header = pg.signature = pg.seal = pg.pagenum = 1;
	pg.body_lines = 8;
	pg.noise = 2;
	pg.seed = gs_hash(seed, 0xda3a6ed);
	if (gs_page_draw(f, &r, &pg, &page, err, errlen))
		return -1;
	gs_scan_params_make(&pg, page.w, page.h, &sp);
	const int rc = gs_scan(&page, &sp, out, &g);
	gs_image_release(&page);
	if (rc)
		snprintf(err, errlen, "out of memory");
	return rc;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

/* Baseline uncompressed grey TIFF, IFD first, so a cut loses only strips. */
static int tiff_truncated(const struct gs_image *im, struct gs_buf *b)
{
	const int rps = 16, ns = (im->h + rps - 1) / rps;
	const uint32_t ifd = 8, nent = 12, arrays = ifd + 2 + nent * 12 + 4;
	const uint32_t offs = arrays, counts = offs + 4 * ns;
	const uint32_t xres = counts + 4 * ns, yres = xres + 8;
	const uint32_t data = yres + 8;
	const size_t total = data + (size_t)im->w * im->h;
	uint8_t *t = calloc(total, 1);

	if (!t)
		return -1;
	memcpy(t, "II*\0", 4);
	put32(t + 4, ifd);
	put16(t + ifd, nent);
	/* tag, type (3 short, 4 long, 5 rational), count, value */
	const uint32_t e[12][4] = {{256, 4, 1, (uint32_t)im->w},
				   {257, 4, 1, (uint32_t)im->h},
				   {258, 3, 1, 8},
				   {259, 3, 1, 1},
				   {262, 3, 1, 1},
				   {273, 4, (uint32_t)ns, offs},
				   {277, 3, 1, 1},
				   {278, 4, 1, (uint32_t)rps},
				   {279, 4, (uint32_t)ns, counts},
				   {282, 5, 1, xres},
				   {283, 5, 1, yres},
				   {296, 3, 1, 2}};
	for (uint32_t i = 0; i < nent; i++) {
		uint8_t *p = t + ifd + 2 + i * 12;
		put16(p, e[i][0]);
		put16(p + 2, e[i][1]);
		put32(p + 4, e[i][2]);
		if (e[i][1] == 3)
			put16(p + 8, e[i][3]);
		else
			put32(p + 8, e[i][3]);
	}
	for (int s = 0; s < ns; s++) {
		const int rows = im->h - s * rps < rps ? im->h - s * rps : rps;
		put32(t + offs + 4 * s, data + (uint32_t)(s * rps * im->w));
		put32(t + counts + 4 * s, (uint32_t)(rows * im->w));
	}
	put32(t + xres, 100);
	put32(t + xres + 4, 1);
	put32(t + yres, 100);
	put32(t + yres + 4, 1);
	memcpy(t + data, im->px, (size_t)im->w * im->h);
	/* Half a strip past 45% of the pixel data. */
	const size_t cut = data + (size_t)im->w * (size_t)(im->h * 45 / 100) +
			   (size_t)im->w * rps / 2;
	const int rc = gs_buf_add(b, t, cut);
	free(t);
	return rc;
}

static void pdf_document(struct gs_buf *b)
{
	static const char content[] =
		"BT /F1 18 Tf 60 500 Td (Giay khai sinh - ban sao) Tj ET";
	char stream[256];
	snprintf(stream, sizeof(stream),
		 "<< /Length %zu >>\nstream\n%s\nendstream",
		 sizeof(content) - 1, content);
	const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] "
		"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		stream,
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
	size_t off[5];

	gs_buf_printf(b, "%%PDF-1.4\n");
	for (int i = 0; i < 5; i++) {
		off[i] = b->len;
		gs_buf_printf(b, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i]);
	}
	const size_t xref = b->len;
	gs_buf_printf(b, "xref\n0 6\n0000000000 65535 f \n");
	for (int i = 0; i < 5; i++)
		gs_buf_printf(b, "%010zu 00000 n \n", off[i]);
	gs_buf_printf(b,
		      "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%zu\n"
		      "%%%%EOF\n",
		      xref);
}

/* Flips one byte inside the first IDAT's data: its CRC no longer holds. */
static void png_break_crc(struct gs_buf *b)
{
	size_t p = 8;

	while (p + 12 <= b->len) {
		const uint8_t *c = (const uint8_t *)b->p + p;
		const size_t len = (size_t)c[0] << 24 | (size_t)c[1] << 16 |
				   (size_t)c[2] << 8 | c[3];
		if (!memcmp(c + 4, "IDAT", 4) && len > 0) {
			b->p[p + 8 + len / 2] ^= 0x5a;
			return;
		}
		p += 12 + len;
	}
}

int gs_damaged_write(const char *dir, struct gs_fonts *f,
		     struct gs_record *const *recs, int nrecs, uint64_t seed,
		     int *nfiles, char *err, size_t errlen)
{
	struct gs_buf expect = GS_BUF_INIT;
	char path[4096], file[128];
	int rc = 0;
	const int n = nrecs < 6 ? nrecs : 6;

	*nfiles = 0;
	if (gs_mkdirs(dir, err, errlen))
		return -1;
	gs_buf_printf(&expect, "file,record,failure,detail\n");
	for (int k = 0; k < n && !rc; k++) {
		const struct gs_record *rec = recs[k];
		struct gs_image im = GS_IMAGE_INIT;
		struct gs_buf b = GS_BUF_INIT;
		const char *ext = k == 1	     ? "tif"
				  : k == 4 || k == 5 ? "png"
						     : "jpg";

		if (k == 1)
			snprintf(file, sizeof(file), "%s.tif", rec->id);
		else
			snprintf(file, sizeof(file), "%s/page-%03d.%s", rec->id,
				 k == 5 ? 2 : 1, ext);
		if (k != 1) {
			snprintf(path, sizeof(path), "%s/%s", dir, rec->id);
			rc = gs_mkdirs(path, err, errlen);
		}
		if (!rc && k != 2 && k != 3)
			rc = small_scan(f, rec, gs_hash(seed, (uint64_t)k),
					k == 0 || k == 4, &im, err, errlen);
		if (rc) {
			gs_image_release(&im);
			break;
		}
		switch (k) {
		case 0:
			rc = gs_jpeg_encode(&im, 100, 85, 0, &b, err, errlen);
			b.len = b.len * 55 / 100;
			break;
		case 1:
			rc = tiff_truncated(&im, &b);
			break;
		case 2:
			pdf_document(&b);
			break;
		case 3:
			break;
		case 4:
			rc = gs_png_encode(&im, 0, 0, 100, &b, err, errlen);
			png_break_crc(&b);
			break;
		default: {
			/* Page 1 whole, page 2 cut short. */
			struct gs_buf good = GS_BUF_INIT;
			rc = gs_jpeg_encode(&im, 100, 85, 0, &good, err,
					    errlen);
			snprintf(path, sizeof(path), "%s/%s/page-001.jpg", dir,
				 rec->id);
			if (!rc)
				rc = gs_write_file(path, good.p, good.len, err,
						   errlen);
			gs_buf_release(&good);
			(*nfiles)++;
			if (!rc)
				rc = gs_png_encode(&im, 0, 0, 100, &b, err,
						   errlen);
			b.len = b.len * 60 / 100;
			break;
		}
		}
		snprintf(path, sizeof(path), "%s/%s", dir, file);
		if (!rc)
			rc = gs_write_file(path, b.p ? b.p : "", b.len, err,
					   errlen);
		(*nfiles)++;
		gs_buf_csv(&expect, file);
		gs_buf_printf(&expect, ",%s,%s,", rec->id, kinds[k].failure);
		gs_buf_csv(&expect, kinds[k].detail);
		gs_buf_add(&expect, "\n", 1);
		gs_buf_release(&b);
		gs_image_release(&im);
	}
	if (!rc) {
		snprintf(path, sizeof(path), "%s/expect.csv", dir);
		rc = gs_write_file(path, expect.p, expect.len, err, errlen);
	}
	gs_buf_release(&expect);
	return rc;
}
