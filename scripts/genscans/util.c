/* Small helpers: growable text, images, files and UTF-8. */
#include "genscans.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int buf_reserve(struct gs_buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

int gs_buf_printf(struct gs_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	const int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int gs_buf_add(struct gs_buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len))
		return -1;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int gs_buf_csv(struct gs_buf *b, const char *field)
{
	if (!strpbrk(field, ",\"\r\n"))
		return gs_buf_add(b, field, strlen(field));
	if (gs_buf_add(b, "\"", 1))
		return -1;
	for (const char *s = field; *s; s++) {
		if (*s == '"' && gs_buf_add(b, "\"", 1))
			return -1;
		if (gs_buf_add(b, s, 1))
			return -1;
	}
	return gs_buf_add(b, "\"", 1);
}

void gs_buf_release(struct gs_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int gs_image_alloc(struct gs_image *im, int w, int h, int nch)
{
	im->px = NULL;
	if (w <= 0 || h <= 0 || (nch != 1 && nch != 3))
		return -1;
	im->w = w;
	im->h = h;
	im->nch = nch;
	im->px = malloc((size_t)w * (size_t)h * (size_t)nch);
	return im->px ? 0 : -1;
}

void gs_image_release(struct gs_image *im)
{
	free(im->px);
	im->px = NULL;
	im->w = im->h = 0;
}

int gs_mkdirs(const char *path, char *err, size_t errlen)
{
	char tmp[4096];
	const size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp)) {
		snprintf(err, errlen, "path too long: '%s'", path);
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		const char c = tmp[i];
		tmp[i] = '\0';
		if (mkdir(tmp, 0777) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create '%s': %s", tmp,
				 strerror(errno));
			return -1;
		}
		tmp[i] = c;
	}
	return 0;
}

int gs_write_file(const char *path, const void *data, size_t len, char *err,
		  size_t errlen)
{
	FILE *fp = fopen(path, "wb");

	if (!fp) {
		snprintf(err, errlen, "cannot create '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	const size_t done = len ? fwrite(data, 1, len, fp) : 0;
	const int bad = ferror(fp);
	if (fclose(fp) != 0 || bad || done != len) {
		snprintf(err, errlen, "cannot write '%s': %s", path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

int gs_dir_is_empty_or_missing(const char *path)
{
	DIR *d = opendir(path);

	if (!d)
		return errno == ENOENT;
	int empty = 1;
	const struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

uint32_t gs_utf8_next(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	uint32_t c = p[0];
	int n = 0;

	if (c < 0x80)
		n = 0;
	else if ((c & 0xe0) == 0xc0)
		n = 1, c &= 0x1f;
	else if ((c & 0xf0) == 0xe0)
		n = 2, c &= 0x0f;
	else if ((c & 0xf8) == 0xf0)
		n = 3, c &= 0x07;
	else {
		*s += 1;
		return 0xfffd;
	}
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*s += i;
			return 0xfffd;
		}
		c = (c << 6) | (p[i] & 0x3f);
	}
	*s += n + 1;
	return c;
}

static uint32_t upper_cp(uint32_t c)
{
	if (c >= 'a' && c <= 'z')
		return c - 32;
	if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
		return c - 32;
	/* Latin Extended-A (ă đ ĩ ũ) and Additional (ạ ả ấ ... ỹ) pair up. */
	if (((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177)) &&
	    (c & 1) && c != 0x131)
		return c - 1;
	if (c == 0x1a1 || c == 0x1b0)
		return c - 1; /* ơ ư */
	if (c >= 0x1ea0 && c <= 0x1ef9 && (c & 1))
		return c - 1;
	return c;
}

static size_t utf8_put(uint32_t c, char *out, size_t room)
{
	unsigned char b[4];
	size_t n;

	if (c < 0x80)
		b[0] = (unsigned char)c, n = 1;
	else if (c < 0x800)
		b[0] = (unsigned char)(0xc0 | (c >> 6)),
		b[1] = (unsigned char)(0x80 | (c & 0x3f)), n = 2;
	else if (c < 0x10000)
		b[0] = (unsigned char)(0xe0 | (c >> 12)),
		b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f)),
		b[2] = (unsigned char)(0x80 | (c & 0x3f)), n = 3;
	else
		b[0] = (unsigned char)(0xf0 | (c >> 18)),
		b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f)),
		b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f)),
		b[3] = (unsigned char)(0x80 | (c & 0x3f)), n = 4;
	if (n >= room)
		return 0;
	memcpy(out, b, n);
	return n;
}

void gs_utf8_upper(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	if (outlen == 0)
		return;
	while (*in) {
		const size_t n = utf8_put(upper_cp(gs_utf8_next(&in)), out + o,
					  outlen - o);
		if (n == 0)
			break;
		o += n;
	}
	out[o] = '\0';
}
