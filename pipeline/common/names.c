#include "common/names.h"
#include "common/csv.h"

#include <ctype.h>

int kho_record_id_valid(const char *id)
{
	size_t n = 0;
	for (; id[n]; n++) {
		unsigned char c = (unsigned char)id[n];
		int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			 (c >= '0' && c <= '9') ||
			 (n > 0 && (c == '-' || c == '_'));
		if (!ok || n >= KHO_RECORD_ID_MAX)
			return 0;
	}
	return n > 0;
}

void kho_quote_name(const char *name, char *out, size_t cap)
{
	enum { SHOWN = 120 };
	size_t o = 0;
	size_t len = strlen(name);
	assert(cap >= 8);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (o + 8 >= cap || i >= SHOWN) {
			snprintf(out + o, cap - o, "...");
			return;
		}
		/* A whole UTF-8 character passes as it is. */
		size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		if (c >= 0x80 && i + n <= len && kho_utf8_valid(name + i, n) &&
		    o + n + 4 < cap) {
			memcpy(out + o, name + i, n);
			o += n;
			i += n - 1;
			continue;
		}
		if (c < 0x20 || c == 0x7F || c >= 0x80 || c == '\\') {
			o += (size_t)snprintf(out + o, cap - o, "\\x%02X", c);
			continue;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
}

int kho_natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (*a == '0')
				a++;
			while (*b == '0')
				b++;
			size_t na = 0, nb = 0;
			while (isdigit((unsigned char)a[na]))
				na++;
			while (isdigit((unsigned char)b[nb]))
				nb++;
			if (na != nb)
				return na < nb ? -1 : 1;
			int c = strncmp(a, b, na);
			if (c)
				return c;
			a += na;
			b += nb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}
