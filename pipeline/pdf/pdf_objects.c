#include "pdf/pdf_objects.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 24	 /* nesting of arrays and dictionaries */
#define MAX_ITEMS 100000 /* in one array or dictionary */

/* ---- values ---- */

static void *arena_alloc(kho_pdfp *r, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
	    sizeof(max_align_t);
	if (!r->arena || r->arena->cap - r->arena->used < n) {
		const size_t cap = KHO_MAX(n, (size_t)64 << 10);
		chunk *const c = malloc(sizeof(chunk) + cap);
		if (!c) {
			r->oom = 1;
			return NULL;
		}
		c->next = r->arena;
		c->used = 0;
		c->cap = cap;
		r->arena = c;
	}
	void *const p = (char *)r->arena->data + r->arena->used;
	r->arena->used += n;
	return p;
}

/* ---- tokens ---- */

static int is_space(uint8_t c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' ||
	       c == ' ';
}

static int is_delim(uint8_t c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' ||
	       c == ']' || c == '{' || c == '}' || c == '/' || c == '%';
}

void kho_pdfp_skip_space(const uint8_t *b, size_t end, size_t *pos)
{
	while (*pos < end) {
		if (is_space(b[*pos])) {
			(*pos)++;
		} else if (b[*pos] == '%') {
			while (*pos < end && b[*pos] != '\n' && b[*pos] != '\r')
				(*pos)++;
		} else {
			break;
		}
	}
}

/* A regular token (a number, a keyword) at *pos: its length. */
size_t kho_pdfp_word_len(const uint8_t *b, size_t end, size_t pos)
{
	size_t n = 0;
	while (pos + n < end && !is_space(b[pos + n]) && !is_delim(b[pos + n]))
		n++;
	return n;
}

int kho_pdfp_word_is(const uint8_t *b, size_t end, size_t pos, const char *w)
{
	const size_t n = strlen(w);
	return kho_pdfp_word_len(b, end, pos) == n &&
	       memcmp(b + pos, w, n) == 0;
}

/* A number: [+-]digits[.digits]; 0 when there is none. */
int kho_pdfp_number(const uint8_t *b, size_t len, double *out)
{
	size_t i = 0;
	int neg = 0, digits = 0;
	double v = 0, scale = 1;
	if (i < len && (b[i] == '+' || b[i] == '-'))
		neg = b[i++] == '-';
	for (; i < len && b[i] >= '0' && b[i] <= '9'; i++, digits++)
		v = v * 10 + (b[i] - '0');
	if (i < len && b[i] == '.')
		for (i++; i < len && b[i] >= '0' && b[i] <= '9'; i++, digits++)
			v += (b[i] - '0') * (scale /= 10);
	if (i != len || digits == 0 || digits > 30)
		return 0;
	*out = neg ? -v : v;
	return 1;
}

/* An unsigned integer token of at most 10 digits. */
static int parse_uint(const uint8_t *b, size_t end, size_t pos, size_t *len,
		      uint64_t *out)
{
	const size_t n = kho_pdfp_word_len(b, end, pos);
	if (n == 0 || n > 10)
		return 0;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (b[pos + i] < '0' || b[pos + i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(b[pos + i] - '0');
	}
	*len = n;
	*out = v;
	return 1;
}

static kho_pdfp_value *new_value(kho_pdfp *r, vtype t)
{
	kho_pdfp_value *const v = arena_alloc(r, sizeof(*v));
	if (v) {
		memset(v, 0, sizeof(*v));
		v->type = t;
	}
	return v;
}

static kho_pdfp_value *parse_value(kho_pdfp *r, size_t end, size_t *pos,
				   int depth);

/* Items up to the closing ']' or '>>' into an array of pointers. */
static kho_pdfp_value *parse_items(kho_pdfp *r, size_t end, size_t *pos,
				   int depth, vtype t)
{
	const uint8_t *const b = r->buf;
	kho_pdfp_value *const v = new_value(r, t);
	size_t cap = 0;
	kho_pdfp_value **items = NULL;
	int ok = v != NULL;
	while (ok) {
		kho_pdfp_skip_space(b, end, pos);
		if (*pos >= end) {
			ok = 0;
			break;
		}
		if (t == V_ARRAY && b[*pos] == ']') {
			(*pos)++;
			break;
		}
		if (t == V_DICT && *pos + 1 < end && b[*pos] == '>' &&
		    b[*pos + 1] == '>') {
			*pos += 2;
			break;
		}
		kho_pdfp_value *const item =
			parse_value(r, end, pos, depth + 1);
		if (!item || v->n >= MAX_ITEMS ||
		    (t == V_DICT && v->n % 2 == 0 && item->type != V_NAME)) {
			ok = 0;
			break;
		}
		if (v->n == cap) {
			cap = cap ? cap * 2 : 8;
			kho_pdfp_value **const p =
				realloc(items, cap * sizeof(*p));
			if (!p) {
				r->oom = 1;
				ok = 0;
				break;
			}
			items = p;
		}
		items[v->n++] = item;
	}
	if (ok && t == V_DICT && v->n % 2)
		ok = 0;
	if (ok && v->n) {
		v->items = arena_alloc(r, v->n * sizeof(*v->items));
		if (v->items)
			memcpy(v->items, items, v->n * sizeof(*v->items));
		else
			ok = 0;
	}
	free(items);
	return ok ? v : NULL;
}

/* Skips a literal string, balanced parentheses and escapes. */
static int skip_literal(const uint8_t *b, size_t end, size_t *pos)
{
	int level = 0;
	while (*pos < end) {
		const uint8_t c = b[(*pos)++];
		if (c == '\\')
			(*pos)++;
		else if (c == '(')
			level++;
		else if (c == ')' && --level == 0)
			return *pos <= end;
	}
	return 0;
}

static kho_pdfp_value *parse_value(kho_pdfp *r, size_t end, size_t *pos,
				   int depth)
{
	const uint8_t *const b = r->buf;
	if (depth > MAX_DEPTH)
		return NULL;
	kho_pdfp_skip_space(b, end, pos);
	if (*pos >= end)
		return NULL;
	const uint8_t c = b[*pos];
	if (c == '/') {
		const size_t start = ++*pos;
		const size_t n = kho_pdfp_word_len(b, end, start);
		kho_pdfp_value *const v = new_value(r, V_NAME);
		if (v) {
			v->name = (const char *)b + start;
			v->len = n;
		}
		*pos += n;
		return v;
	}
	if (c == '[') {
		(*pos)++;
		return parse_items(r, end, pos, depth, V_ARRAY);
	}
	if (c == '<' && *pos + 1 < end && b[*pos + 1] == '<') {
		*pos += 2;
		return parse_items(r, end, pos, depth, V_DICT);
	}
	if (c == '<') {
		while (*pos < end && b[*pos] != '>')
			(*pos)++;
		if (*pos >= end)
			return NULL;
		(*pos)++;
		return new_value(r, V_STR);
	}
	if (c == '(')
		return skip_literal(b, end, pos) ? new_value(r, V_STR) : NULL;
	const size_t n = kho_pdfp_word_len(b, end, *pos);
	if (n == 0)
		return NULL;
	if (kho_pdfp_word_is(b, end, *pos, "true") ||
	    kho_pdfp_word_is(b, end, *pos, "false")) {
		kho_pdfp_value *const v = new_value(r, V_BOOL);
		if (v)
			v->num = b[*pos] == 't';
		*pos += n;
		return v;
	}
	if (kho_pdfp_word_is(b, end, *pos, "null")) {
		*pos += n;
		return new_value(r, V_NULL);
	}
	/* "N G R" is a reference; anything else numeric a number. */
	uint64_t num = 0, gen = 0;
	size_t nlen = 0, glen = 0;
	if (parse_uint(b, end, *pos, &nlen, &num)) {
		size_t p = *pos + nlen;
		kho_pdfp_skip_space(b, end, &p);
		if (p < end && parse_uint(b, end, p, &glen, &gen)) {
			size_t q = p + glen;
			kho_pdfp_skip_space(b, end, &q);
			if (q < end && kho_pdfp_word_is(b, end, q, "R")) {
				if (num == 0 || num > KHO_PDFP_MAX_OBJECTS ||
				    gen != 0)
					return NULL;
				kho_pdfp_value *const v = new_value(r, V_REF);
				if (v)
					v->ref = (uint32_t)num;
				*pos = q + 1;
				return v;
			}
		}
	}
	double d;
	if (!kho_pdfp_number(b + *pos, n, &d))
		return NULL;
	kho_pdfp_value *const v = new_value(r, V_NUM);
	if (v)
		v->num = d;
	*pos += n;
	return v;
}

/* ---- dictionaries and objects ---- */

const kho_pdfp_value *kho_pdfp_dict_get(const kho_pdfp_value *d,
					const char *key)
{
	if (!d || d->type != V_DICT)
		return NULL;
	const size_t n = strlen(key);
	for (size_t i = 0; i + 1 < d->n; i += 2)
		if (d->items[i]->len == n &&
		    memcmp(d->items[i]->name, key, n) == 0)
			return d->items[i + 1];
	return NULL;
}

int kho_pdfp_name_is(const kho_pdfp_value *v, const char *name)
{
	return v && v->type == V_NAME && v->len == strlen(name) &&
	       memcmp(v->name, name, v->len) == 0;
}

int kho_pdfp_int(const kho_pdfp_value *v, long long lo, long long hi,
		 long long *out)
{
	if (!v || v->type != V_NUM || v->num != floor(v->num) ||
	    v->num < (double)lo || v->num > (double)hi)
		return 0;
	*out = (long long)v->num;
	return 1;
}

int kho_pdfp_object(kho_pdfp *r, uint32_t num, kho_pdfp_obj *o)
{
	memset(o, 0, sizeof(*o));
	if (num == 0 || num >= r->n_objects || r->offsets[num] == 0)
		return 0;
	const uint8_t *const b = r->buf;
	const size_t end = r->size;
	size_t pos = (size_t)r->offsets[num];
	uint64_t n = 0, gen = 0;
	size_t len = 0;
	if (!parse_uint(b, end, pos, &len, &n) || n != num)
		return 0;
	pos += len;
	kho_pdfp_skip_space(b, end, &pos);
	if (!parse_uint(b, end, pos, &len, &gen) || gen != 0)
		return 0;
	pos += len;
	kho_pdfp_skip_space(b, end, &pos);
	if (!kho_pdfp_word_is(b, end, pos, "obj"))
		return 0;
	pos += 3;
	o->v = parse_value(r, end, &pos, 0);
	if (!o->v)
		return 0;
	kho_pdfp_skip_space(b, end, &pos);
	if (kho_pdfp_word_is(b, end, pos, "endobj"))
		return 1;
	if (!kho_pdfp_word_is(b, end, pos, "stream") || o->v->type != V_DICT)
		return 0;
	pos += 6;
	if (pos < end && b[pos] == '\r')
		pos++;
	if (pos >= end || b[pos] != '\n')
		return 0;
	pos++;
	long long length = 0;
	if (!kho_pdfp_int(kho_pdfp_dict_get(o->v, "Length"), 0,
			  (long long)(end - pos), &length))
		return 0;
	o->data = b + pos;
	o->size = (size_t)length;
	pos += (size_t)length;
	kho_pdfp_skip_space(b, end, &pos);
	return kho_pdfp_word_is(b, end, pos, "endstream");
}

/* A dictionary given directly or by reference. */
const kho_pdfp_value *kho_pdfp_resolve_dict(kho_pdfp *r,
					    const kho_pdfp_value *v)
{
	if (v && v->type == V_REF) {
		kho_pdfp_obj o;
		if (!kho_pdfp_object(r, v->ref, &o) || o.data)
			return NULL;
		v = o.v;
	}
	return v && v->type == V_DICT ? v : NULL;
}

/* ---- cross-reference table ---- */

int kho_pdfp_xref(kho_pdfp *r, const kho_pdfp_value **trailer)
{
	const uint8_t *const b = r->buf;
	const size_t end = r->size;
	/* "startxref N %%EOF" within the last kilobyte. */
	const size_t from = end > 1024 ? end - 1024 : 0;
	size_t at = SIZE_MAX;
	for (size_t i = from; i + 9 <= end; i++)
		if (memcmp(b + i, "startxref", 9) == 0)
			at = i;
	if (at == SIZE_MAX)
		return 0;
	size_t pos = at + 9, len = 0;
	uint64_t xref = 0;
	kho_pdfp_skip_space(b, end, &pos);
	if (!parse_uint(b, end, pos, &len, &xref) || xref >= end)
		return 0;
	pos = (size_t)xref;
	if (!kho_pdfp_word_is(b, end, pos, "xref"))
		return 0;
	pos += 4;
	for (;;) {
		kho_pdfp_skip_space(b, end, &pos);
		if (kho_pdfp_word_is(b, end, pos, "trailer"))
			break;
		uint64_t first = 0, count = 0;
		if (!parse_uint(b, end, pos, &len, &first))
			return 0;
		pos += len;
		kho_pdfp_skip_space(b, end, &pos);
		if (!parse_uint(b, end, pos, &len, &count))
			return 0;
		pos += len;
		if (first + count > KHO_PDFP_MAX_OBJECTS + 1 ||
		    count > (end - pos) / 20)
			return 0;
		/* each entry: "oooooooooo ggggg n" and a two-byte EOL */
		while (pos < end &&
		       (b[pos] == '\r' || b[pos] == '\n' || b[pos] == ' '))
			pos++;
		if (first + count > r->n_objects) {
			uint64_t *const p = realloc(
				r->offsets, (first + count) * sizeof(*p));
			if (!p) {
				r->oom = 1;
				return 0;
			}
			memset(p + r->n_objects, 0,
			       (first + count - r->n_objects) * sizeof(*p));
			r->offsets = p;
			r->n_objects = (uint32_t)(first + count);
		}
		for (uint64_t i = 0; i < count; i++, pos += 20) {
			if (pos + 20 > end)
				return 0;
			uint64_t off = 0;
			size_t l = 0;
			if (!parse_uint(b, pos + 10, pos, &l, &off) || l != 10)
				return 0;
			if (b[pos + 17] == 'n' && off < end)
				r->offsets[first + i] = off;
			else if (b[pos + 17] != 'f')
				return 0;
		}
	}
	pos += 7;
	*trailer = parse_value(r, end, &pos, 0);
	return *trailer && (*trailer)->type == V_DICT;
}

static void arena_free(chunk *c)
{
	while (c) {
		chunk *const next = c->next;
		free(c);
		c = next;
	}
}

void kho_pdfp_release(kho_pdfp *r)
{
	arena_free(r->arena);
	free(r->offsets);
	r->arena = NULL;
	r->offsets = NULL;
}
