#include "common/csv.h"

#include <ctype.h>
#include <strings.h>

struct kho_csv {
	const char *p;
	const char *end;
	long line;
	char *buf;      /* the row's text, fields NUL-separated */
	size_t cap;
	char **fields;
	size_t fcap;
};

int kho_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	while (p < end) {
		unsigned c = *p;
		size_t n;
		unsigned min;
		if (c < 0x80) {
			p++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1;
			min = 0x80;
			c &= 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			min = 0x800;
			c &= 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			min = 0x10000;
			c &= 0x07;
		} else {
			return 0;
		}
		if ((size_t)(end - p) <= n)
			return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			c = (c << 6) | (p[i] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		p += n + 1;
	}
	return 1;
}

int kho_csv_open(kho_csv **out, const char *data, size_t len,
		 kho_error *err)
{
	kho_csv *c = calloc(1, sizeof(*c));
	if (!c)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	c->p = data;
	c->end = data + len;
	if (len >= 3 && (unsigned char)data[0] == 0xEF &&
	    (unsigned char)data[1] == 0xBB && (unsigned char)data[2] == 0xBF)
		c->p += 3;
	c->line = 1;
	*out = c;
	return KHO_OK;
}

void kho_csv_free(kho_csv *c)
{
	if (!c)
		return;
	free(c->buf);
	free(c->fields);
	free(c);
}

static int put(kho_csv *c, size_t *len, char ch)
{
	if (*len + 1 >= c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		char *b = realloc(c->buf, cap);
		if (!b)
			return -1;
		c->buf = b;
		c->cap = cap;
	}
	c->buf[(*len)++] = ch;
	return 0;
}

int kho_csv_next(kho_csv *c, char ***fields, size_t *n, long *line,
		 kho_error *err)
{
	*n = 0;
	/* Blank lines between rows carry nothing. */
	while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {
		if (*c->p == '\n')
			c->line++;
		c->p++;
	}
	if (c->p >= c->end)
		return 0;
	*line = c->line;
	size_t len = 0;
	size_t nf = 0;
	size_t starts_cap = 16;
	size_t *starts = malloc(starts_cap * sizeof(*starts));
	if (!starts)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	int rc = 1;
	for (;;) {
		/* one field */
		if (nf == starts_cap) {
			starts_cap *= 2;
			size_t *s = realloc(starts, starts_cap * sizeof(*s));
			if (!s) {
				rc = kho_error_set(err, KHO_FATAL,
						   "out of memory");
				break;
			}
			starts = s;
		}
		starts[nf++] = len;
		int quoted = c->p < c->end && *c->p == '"';
		if (quoted)
			c->p++;
		int row_end = 0;
		for (;;) {
			if (c->p >= c->end) {
				if (quoted) {
					rc = kho_error_set(
						err, KHO_FAIL,
						"line %ld: a quoted field is "
						"never closed",
						*line);
				}
				row_end = 1;
				break;
			}
			char ch = *c->p;
			if (ch == '\0') {
				rc = kho_error_set(err, KHO_FAIL,
						   "line %ld: a NUL byte",
						   c->line);
				/* Go on at the next line: a caller that refuses
				 * this row and reads on must not meet the same
				 * byte again, forever. */
				const char *nl = memchr(
					c->p, '\n', (size_t)(c->end - c->p));
				c->p = nl ? nl + 1 : c->end;
				if (nl)
					c->line++;
				break;
			}
			if (quoted) {
				if (ch == '"') {
					if (c->p + 1 < c->end &&
					    c->p[1] == '"') {
						c->p += 2;
						if (put(c, &len, '"'))
							goto oom;
						continue;
					}
					c->p++;
					quoted = 0;
					continue;
				}
				if (ch == '\n')
					c->line++;
				c->p++;
				if (put(c, &len, ch))
					goto oom;
				continue;
			}
			if (ch == ',') {
				c->p++;
				break;
			}
			if (ch == '\r' || ch == '\n') {
				if (ch == '\r' && c->p + 1 < c->end &&
				    c->p[1] == '\n')
					c->p++;
				c->p++;
				c->line++;
				row_end = 1;
				break;
			}
			c->p++;
			if (put(c, &len, ch))
				goto oom;
		}
		if (rc != 1)
			break;
		if (put(c, &len, '\0'))
			goto oom;
		if (row_end)
			break;
	}
	if (rc == 1) {
		if (nf > c->fcap) {
			char **f = realloc(c->fields, nf * sizeof(*f));
			if (!f)
				goto oom;
			c->fields = f;
			c->fcap = nf;
		}
		for (size_t i = 0; i < nf; i++) {
			c->fields[i] = c->buf + starts[i];
			if (!kho_utf8_valid(c->fields[i],
					    strlen(c->fields[i]))) {
				rc = kho_error_set(err, KHO_FAIL,
						   "line %ld: field %zu is not "
						   "valid UTF-8",
						   *line, i + 1);
				break;
			}
		}
		*fields = c->fields;
		*n = nf;
	}
	free(starts);
	return rc;
oom:
	free(starts);
	return kho_error_set(err, KHO_FATAL, "out of memory");
}

int kho_csv_column(char *const *header, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const char *h = header[i];
		while (isspace((unsigned char)*h))
			h++;
		size_t len = strlen(h);
		while (len > 0 && isspace((unsigned char)h[len - 1]))
			len--;
		if (len == strlen(name) && strncasecmp(h, name, len) == 0)
			return (int)i;
	}
	return -1;
}
