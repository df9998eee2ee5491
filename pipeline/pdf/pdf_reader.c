#include "pdf/pdf_reader.h"
#include "pdf/pdf_objects.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Limits that no PDF of kho's comes near. */
#define MAX_TREE_DEPTH 16 /* of the page tree */
#define MAX_PAGES 100000
#define MAX_LAYERS 1000
#define MAX_CONTENT (16u << 20) /* an inflated content stream */

/* ---- pages ---- */

typedef struct doc_builder {
	kho_pdf_read_page *pages;
	size_t n, cap;
} doc_builder;

struct kho_pdf_doc {
	kho_pdf_read_page *pages;
	size_t n;
};

static int image_layer(kho_pdfp *r, const kho_pdfp_value *ref,
		       kho_pdf_image *im)
{
	kho_pdfp_obj o;
	if (!ref || ref->type != V_REF || !kho_pdfp_object(r, ref->ref, &o) ||
	    !o.data ||
	    !kho_pdfp_name_is(kho_pdfp_dict_get(o.v, "Subtype"), "Image"))
		return 0;
	long long w = 0, h = 0, bpc = 0;
	if (!kho_pdfp_int(kho_pdfp_dict_get(o.v, "Width"), 1, 1 << 24, &w) ||
	    !kho_pdfp_int(kho_pdfp_dict_get(o.v, "Height"), 1, 1 << 24, &h) ||
	    !kho_pdfp_int(kho_pdfp_dict_get(o.v, "BitsPerComponent"), 1, 8,
			  &bpc))
		return 0;
	memset(im, 0, sizeof(*im));
	im->data = o.data;
	im->size = o.size;
	im->width = (uint32_t)w;
	im->height = (uint32_t)h;
	const kho_pdfp_value *const filter = kho_pdfp_dict_get(o.v, "Filter");
	const kho_pdfp_value *const mask = kho_pdfp_dict_get(o.v, "ImageMask");
	const kho_pdfp_value *const cs = kho_pdfp_dict_get(o.v, "ColorSpace");
	if (kho_pdfp_name_is(filter, "DCTDecode") && bpc == 8 && !mask) {
		im->filter = KHO_PDF_DCT;
		if (kho_pdfp_name_is(cs, "DeviceRGB"))
			im->channels = 3;
		else if (kho_pdfp_name_is(cs, "DeviceGray"))
			im->channels = 1;
		else
			return 0;
		return im->size >= 3 && im->data[0] == 0xff &&
		       im->data[1] == 0xd8;
	}
	if (!kho_pdfp_name_is(filter, "CCITTFaxDecode") || bpc != 1)
		return 0;
	const kho_pdfp_value *const parms =
		kho_pdfp_dict_get(o.v, "DecodeParms");
	long long k = 0, cols = 0, rows = 0;
	if (!kho_pdfp_int(kho_pdfp_dict_get(parms, "K"), -1, -1, &k) ||
	    !kho_pdfp_int(kho_pdfp_dict_get(parms, "Columns"), w, w, &cols) ||
	    !kho_pdfp_int(kho_pdfp_dict_get(parms, "Rows"), h, h, &rows))
		return 0;
	const kho_pdfp_value *const black =
		kho_pdfp_dict_get(parms, "BlackIs1");
	if (black && (black->type != V_BOOL || black->num != 0))
		return 0;
	im->filter = KHO_PDF_CCITT_G4;
	im->channels = 1;
	if (mask && mask->type == V_BOOL && mask->num)
		im->image_mask = 1;
	else if (!kho_pdfp_name_is(cs, "DeviceGray"))
		return 0;
	return 1;
}

/* The content stream, inflated when it is deflated; *owned is set when
 * the bytes were allocated. */
static int content_bytes(const kho_pdfp_obj *o, uint8_t **owned,
			 const uint8_t **data, size_t *size)
{
	*owned = NULL;
	const kho_pdfp_value *const filter = kho_pdfp_dict_get(o->v, "Filter");
	if (!filter) {
		*data = o->data;
		*size = o->size;
		return 1;
	}
	if (!kho_pdfp_name_is(filter, "FlateDecode"))
		return 0;
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return 0;
	size_t cap = KHO_MAX(o->size * 4, (size_t)4096);
	cap = KHO_MIN(cap, (size_t)MAX_CONTENT);
	uint8_t *out = malloc(cap);
	int rc = out ? Z_OK : Z_MEM_ERROR;
	z.next_in = (Bytef *)o->data;
	z.avail_in = (uInt)KHO_MIN(o->size, (size_t)UINT32_MAX);
	while (rc == Z_OK) {
		if (z.total_out == cap) {
			if (cap >= MAX_CONTENT) {
				rc = Z_BUF_ERROR;
				break;
			}
			cap = KHO_MIN(cap * 2, (size_t)MAX_CONTENT);
			uint8_t *const p = realloc(out, cap);
			if (!p) {
				rc = Z_MEM_ERROR;
				break;
			}
			out = p;
		}
		z.next_out = out + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc == Z_BUF_ERROR && z.avail_in == 0)
			break;
	}
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(out);
		return 0;
	}
	*owned = out;
	*data = out;
	*size = z.total_out;
	return 1;
}

/* "/ImN Do" under the matrix cm: one more layer of the page. */
static int draw_layer(kho_pdfp *r, const kho_pdfp_value *xobjects,
		      const char *dname, size_t dlen, const double cm[6],
		      kho_pdf_read_page *pg, size_t *cap)
{
	char key[64];
	if (!dname || dlen == 0 || dlen >= sizeof(key) || cm[1] != 0 ||
	    cm[2] != 0 || cm[0] <= 0 || cm[3] <= 0 ||
	    pg->n_layers >= MAX_LAYERS)
		return 0;
	memcpy(key, dname, dlen);
	key[dlen] = '\0';
	const kho_pdf_rect area = {cm[4], cm[5], cm[0], cm[3]};
	if (pg->n_layers == 0)
		pg->area = area;
	else if (area.x != pg->area.x || area.y != pg->area.y ||
		 area.w != pg->area.w || area.h != pg->area.h)
		return 0;
	if (pg->n_layers == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		kho_pdf_image *const p = realloc(pg->layers, *cap * sizeof(*p));
		if (!p) {
			r->oom = 1;
			return 0;
		}
		pg->layers = p;
	}
	return image_layer(r, kho_pdfp_dict_get(xobjects, key),
			   &pg->layers[pg->n_layers++]);
}

/* The images a content stream draws, in order, and where. */
static int page_layers(kho_pdfp *r, const kho_pdfp_value *xobjects,
		       const kho_pdfp_obj *co, kho_pdf_read_page *pg)
{
	uint8_t *owned = NULL;
	const uint8_t *b = NULL;
	size_t end = 0;
	if (!content_bytes(co, &owned, &b, &end))
		return 0;
	double nums[6] = {0};
	size_t n_nums = 0;
	double cm[6] = {1, 0, 0, 1, 0, 0};
	const char *dname = NULL;
	size_t dlen = 0, cap = 0;
	int ok = 1;
	for (size_t pos = 0; ok;) {
		kho_pdfp_skip_space(b, end, &pos);
		if (pos >= end)
			break;
		if (b[pos] == '/') {
			dname = (const char *)b + pos + 1;
			dlen = kho_pdfp_word_len(b, end, pos + 1);
			pos += 1 + dlen;
			continue;
		}
		const size_t n = kho_pdfp_word_len(b, end, pos);
		if (n == 0) {
			ok = 0; /* a string, an array: not kho's */
			break;
		}
		double d;
		if (kho_pdfp_number(b + pos, n, &d)) {
			/* the operands of the next operator: keep six */
			if (n_nums == 6)
				memmove(nums, nums + 1, sizeof(double) * 5);
			else
				n_nums++;
			nums[n_nums - 1] = d;
			pos += n;
			continue;
		}
		if (kho_pdfp_word_is(b, end, pos, "cm")) {
			if (n_nums != 6)
				ok = 0;
			else
				memcpy(cm, nums, sizeof(cm));
		} else if (kho_pdfp_word_is(b, end, pos, "Q")) {
			const double id[6] = {1, 0, 0, 1, 0, 0};
			memcpy(cm, id, sizeof(cm));
		} else if (kho_pdfp_word_is(b, end, pos, "Do")) {
			ok = draw_layer(r, xobjects, dname, dlen, cm, pg, &cap);
		}
		n_nums = 0;
		pos += n;
	}
	free(owned);
	return ok && pg->n_layers > 0;
}

static int add_page(kho_pdfp *r, const kho_pdfp_value *page, doc_builder *db)
{
	if (db->n >= MAX_PAGES)
		return 0;
	if (db->n == db->cap) {
		db->cap = db->cap ? db->cap * 2 : 16;
		kho_pdf_read_page *const p =
			realloc(db->pages, db->cap * sizeof(*p));
		if (!p) {
			r->oom = 1;
			return 0;
		}
		db->pages = p;
	}
	kho_pdf_read_page *const pg = &db->pages[db->n++];
	memset(pg, 0, sizeof(*pg));
	const kho_pdfp_value *const box = kho_pdfp_dict_get(page, "MediaBox");
	if (!box || box->type != V_ARRAY || box->n != 4)
		return 0;
	for (size_t i = 0; i < 4; i++)
		if (box->items[i]->type != V_NUM)
			return 0;
	if (box->items[0]->num != 0 || box->items[1]->num != 0)
		return 0;
	pg->width_pt = box->items[2]->num;
	pg->height_pt = box->items[3]->num;
	if (!(pg->width_pt >= 3 && pg->width_pt <= 14400 &&
	      pg->height_pt >= 3 && pg->height_pt <= 14400))
		return 0;
	const kho_pdfp_value *const res =
		kho_pdfp_resolve_dict(r, kho_pdfp_dict_get(page, "Resources"));
	const kho_pdfp_value *const xobjects =
		kho_pdfp_resolve_dict(r, kho_pdfp_dict_get(res, "XObject"));
	const kho_pdfp_value *const contents =
		kho_pdfp_dict_get(page, "Contents");
	kho_pdfp_obj co;
	if (!xobjects || !contents || contents->type != V_REF ||
	    !kho_pdfp_object(r, contents->ref, &co) || !co.data)
		return 0;
	if (!page_layers(r, xobjects, &co, pg))
		return 0;
	const kho_pdf_rect *const a = &pg->area;
	return a->x >= 0 && a->y >= 0 && a->x + a->w <= pg->width_pt + 1e-3 &&
	       a->y + a->h <= pg->height_pt + 1e-3;
}

static int walk_tree(kho_pdfp *r, uint32_t num, int depth, doc_builder *db)
{
	kho_pdfp_obj o;
	if (depth > MAX_TREE_DEPTH || ++r->visits > 2 * MAX_PAGES ||
	    !kho_pdfp_object(r, num, &o) || o.data)
		return 0;
	const kho_pdfp_value *const type = kho_pdfp_dict_get(o.v, "Type");
	if (kho_pdfp_name_is(type, "Page"))
		return add_page(r, o.v, db);
	if (!kho_pdfp_name_is(type, "Pages"))
		return 0;
	const kho_pdfp_value *const kids = kho_pdfp_dict_get(o.v, "Kids");
	if (!kids || kids->type != V_ARRAY)
		return 0;
	for (size_t i = 0; i < kids->n; i++)
		if (kids->items[i]->type != V_REF ||
		    !walk_tree(r, kids->items[i]->ref, depth + 1, db))
			return 0;
	return 1;
}

static void builder_free(doc_builder *db)
{
	for (size_t i = 0; i < db->n; i++)
		free(db->pages[i].layers);
	free(db->pages);
}

int kho_pdf_read(const uint8_t *data, size_t size, kho_pdf_doc **out,
		 kho_error *err)
{
	*out = NULL;
	kho_pdfp r = {.buf = data, .size = size};
	doc_builder db = {0};
	const kho_pdfp_value *trailer = NULL;
	kho_pdfp_obj root;
	int ok = size > 16 && memcmp(data, "%PDF-1.", 7) == 0 &&
		 kho_pdfp_xref(&r, &trailer);
	const kho_pdfp_value *const root_ref =
		ok ? kho_pdfp_dict_get(trailer, "Root") : NULL;
	ok = ok && root_ref && root_ref->type == V_REF &&
	     kho_pdfp_object(&r, root_ref->ref, &root) && !root.data &&
	     kho_pdfp_name_is(kho_pdfp_dict_get(root.v, "Type"), "Catalog");
	const kho_pdfp_value *const pages =
		ok ? kho_pdfp_dict_get(root.v, "Pages") : NULL;
	ok = ok && pages && pages->type == V_REF &&
	     walk_tree(&r, pages->ref, 0, &db) && db.n > 0;
	const int oom = r.oom;
	kho_pdfp_release(&r);
	kho_pdf_doc *doc = ok && !oom ? malloc(sizeof(*doc)) : NULL;
	if (!doc) {
		builder_free(&db);
		if (oom || ok)
			return kho_error_set(err, KHO_FATAL,
					     "cannot read the PDF: out of "
					     "memory");
		return kho_error_set(err, KHO_FAIL,
				     "cannot read the PDF: it is damaged or "
				     "was not written by kho");
	}
	doc->pages = db.pages;
	doc->n = db.n;
	*out = doc;
	return KHO_OK;
}

size_t kho_pdf_doc_n_pages(const kho_pdf_doc *doc)
{
	return doc->n;
}

const kho_pdf_read_page *kho_pdf_doc_page(const kho_pdf_doc *doc, size_t i)
{
	assert(i < doc->n);
	return &doc->pages[i];
}

void kho_pdf_doc_free(kho_pdf_doc *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < doc->n; i++)
		free(doc->pages[i].layers);
	free(doc->pages);
	free(doc);
}
