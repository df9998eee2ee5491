#include "config/shard.h"
#include "common/hash.h"

#include <ctype.h>

static int parse_int(const char *s, size_t len, long *out)
{
	if (len == 0 || len > 4)
		return -1;
	long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int kho_shard_parse(const char *text, kho_shard *out, kho_error *err)
{
	const char *slash = strchr(text, '/');
	long i = 0, n = 0;
	if (!slash || parse_int(text, (size_t)(slash - text), &i) != 0 ||
	    parse_int(slash + 1, strlen(slash + 1), &n) != 0)
		return kho_error_set(err, KHO_USAGE,
				     "--shard '%s' is not a shard I/N, such "
				     "as 3/4",
				     text);
	if (n < 1 || n > KHO_SHARD_MAX)
		return kho_error_set(err, KHO_USAGE,
				     "--shard '%s': the number of shards is "
				     "1 to %d",
				     text, KHO_SHARD_MAX);
	if (i < 1 || i > n)
		return kho_error_set(err, KHO_USAGE,
				     "--shard '%s': shards are numbered 1 "
				     "to %ld",
				     text, n);
	out->index = (int)i;
	out->count = (int)n;
	return KHO_OK;
}

void kho_shard_format(const kho_shard *s, char *out, size_t cap)
{
	if (s->count > 0)
		snprintf(out, cap, "%d/%d", s->index, s->count);
	else if (cap > 0)
		out[0] = '\0';
}

int kho_shard_of(const char *record_id, int count)
{
	assert(count >= 1);
	char hex[KHO_SHA256_HEX];
	kho_sha256_hex(record_id, strlen(record_id), hex);
	uint64_t v = 0;
	for (int i = 0; i < 16; i++) {
		const char c = hex[i];
		v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return 1 + (int)(v % (uint64_t)count);
}

int kho_shard_takes(const kho_shard *s, const char *record_id)
{
	return s->count == 0 || kho_shard_of(record_id, s->count) == s->index;
}

int kho_shard_equal(const kho_shard *a, const kho_shard *b)
{
	if (a->count == 0 || b->count == 0)
		return a->count == b->count;
	return a->index == b->index && a->count == b->count;
}
