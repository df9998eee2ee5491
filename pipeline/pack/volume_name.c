#include "pack/volume_name.h"

#include <ctype.h>

static int count_width(int count)
{
	int w = 1;
	for (int c = count; c >= 10; c /= 10)
		w++;
	return KHO_MAX(w, 2);
}

void kho_volume_prefix(const kho_shard *s, char *out, size_t cap)
{
	if (s->count == 0) {
		snprintf(out, cap, "vol-");
		return;
	}
	const int w = count_width(s->count);
	snprintf(out, cap, "vol-s%0*dof%0*d-", w, s->index, w, s->count);
}

void kho_volume_name(const kho_shard *s, int number, const char *ext, char *out,
		     size_t cap)
{
	char prefix[32];
	kho_volume_prefix(s, prefix, sizeof(prefix));
	snprintf(out, cap, "%s%06d.%s", prefix, number, ext);
}

/* Decimal digits at *p: their value (at most 9 of them) and count. */
static int digits(const char **p, long *value)
{
	int n = 0;
	long v = 0;
	while (isdigit((unsigned char)**p)) {
		if (++n > 9)
			return 0;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*value = v;
	return n;
}

int kho_volume_name_parse(const char *name, kho_shard *shard, int *number,
			  int *part)
{
	if (strncmp(name, "vol-", 4) != 0)
		return 0;
	const char *p = name + 4;
	kho_shard s = KHO_SHARD_NONE;
	if (*p == 's') {
		const char *q = p + 1;
		long i = 0, n = 0;
		const int wi = digits(&q, &i);
		if (wi == 0 || strncmp(q, "of", 2) != 0)
			return 0;
		q += 2;
		const int wn = digits(&q, &n);
		if (wn == 0 || *q != '-' || n < 1 || n > KHO_SHARD_MAX ||
		    i < 1 || i > n || wi != wn || wn != count_width((int)n))
			return 0;
		s.index = (int)i;
		s.count = (int)n;
		p = q + 1;
	}
	long v = 0;
	const int w = digits(&p, &v);
	if (w < 6 || v < 1 || *p != '.')
		return 0;
	p++;
	if (strncmp(p, "tar", 3) != 0 && strncmp(p, "zip", 3) != 0)
		return 0;
	p += 3;
	int is_part = 0;
	if (strcmp(p, ".part") == 0)
		is_part = 1;
	else if (*p)
		return 0;
	if (shard)
		*shard = s;
	if (number)
		*number = (int)v;
	if (part)
		*part = is_part;
	return 1;
}

int kho_volume_name_mine(const char *name, const kho_shard *s)
{
	kho_shard of;
	return kho_volume_name_parse(name, &of, NULL, NULL) &&
	       kho_shard_equal(&of, s);
}
