#include "cli/roots.h"

static int open_root(kho_roots *r, const kho_args *a, const char *root,
		     int settings, kho_error *err)
{
	kho_session_opts o = {
		.root = root,
		.program = "kho",
		.readonly = 1,
		.settings = settings ? a->settings : NULL,
		.n_settings = settings ? a->n_settings : 0,
	};
	kho_session *s = NULL;
	int rc = kho_session_open(&s, &o, err);
	if (rc == KHO_OK)
		rc = kho_catalog_shard(s->cat, &r->shard[r->n], err);
	if (rc) {
		kho_session_free(s);
		return rc;
	}
	r->s[r->n++] = s;
	return KHO_OK;
}

/* The roots must be the shards of one split, each once. */
static int check_shards(kho_roots *r, const char *cmd, kho_error *err)
{
	for (size_t i = 0; i < r->n; i++) {
		const kho_shard *si = &r->shard[i];
		if (si->count == 0)
			return kho_error_set(err, KHO_USAGE,
					     "work root '%s' is not a shard "
					     "(it never ran with --shard): "
					     "--roots takes the work roots of "
					     "the shards of one batch",
					     r->s[i]->root);
		for (size_t k = 0; k < i; k++) {
			const kho_shard *sk = &r->shard[k];
			if (strcmp(r->s[i]->root, r->s[k]->root) == 0)
				return kho_error_set(err, KHO_USAGE,
						     "work root '%s' is given "
						     "twice",
						     r->s[i]->root);
			if (sk->count != si->count)
				return kho_error_set(
					err, KHO_USAGE,
					"work roots '%s' (shard %d/%d) and "
					"'%s' (shard %d/%d) are shards of "
					"different splits",
					r->s[k]->root, sk->index, sk->count,
					r->s[i]->root, si->index, si->count);
			if (sk->index == si->index)
				return kho_error_set(err, KHO_USAGE,
						     "work roots '%s' and '%s' "
						     "are both shard %d/%d",
						     r->s[k]->root,
						     r->s[i]->root, si->index,
						     si->count);
		}
	}
	r->count = r->shard[0].count;
	int lo = r->count, hi = 0;
	for (size_t i = 0; i < r->n; i++) {
		lo = KHO_MIN(lo, r->shard[i].index);
		hi = KHO_MAX(hi, r->shard[i].index);
	}
	if ((int)r->n == r->count) {
		snprintf(r->label, sizeof(r->label),
			 "%zu work roots (shards 1-%d of %d)", r->n, r->count,
			 r->count);
		return KHO_OK;
	}
	snprintf(r->label, sizeof(r->label),
		 "%zu work roots (%zu of %d shards)", r->n, r->n, r->count);
	for (int k = 1; k <= r->count; k++) {
		int given = 0;
		for (size_t i = 0; i < r->n && !given; i++)
			given = r->shard[i].index == k;
		if (!given)
			fprintf(stderr,
				"%s: shard %d/%d is not among the roots "
				"given: what it holds is left out\n",
				cmd, k, r->count);
	}
	return KHO_OK;
}

int kho_roots_open(kho_roots *r, const kho_args *a, size_t opt, const char *cmd,
		   kho_error *err)
{
	memset(r, 0, sizeof(*r));
	const size_t n = a->count[opt] > 0 ? (size_t)a->count[opt] : 1;
	if (a->count[opt] > 0 && a->root)
		return kho_error_set(err, KHO_USAGE,
				     "give --root or --roots, not both");
	r->s = calloc(n, sizeof(*r->s));
	r->shard = calloc(n, sizeof(*r->shard));
	if (!r->s || !r->shard) {
		kho_roots_release(r);
		return kho_error_set(err, KHO_FATAL, "out of memory");
	}
	int rc = KHO_OK;
	for (size_t i = 0; rc == KHO_OK && i < n; i++)
		rc = open_root(r, a,
			       a->count[opt] > 0 ? a->values[opt][i] : a->root,
			       i == 0, err);
	if (rc == KHO_OK && n > 1)
		rc = check_shards(r, cmd, err);
	else if (rc == KHO_OK)
		snprintf(r->label, sizeof(r->label), "%s", r->s[0]->root);
	if (rc)
		kho_roots_release(r);
	return rc;
}

void kho_roots_release(kho_roots *r)
{
	for (size_t i = 0; r->s && i < r->n; i++)
		kho_session_free(r->s[i]);
	free(r->s);
	free(r->shard);
	memset(r, 0, sizeof(*r));
}

kho_catalog **kho_roots_others(const kho_roots *r, const char ***names)
{
	const size_t n = r->n > 1 ? r->n - 1 : 0;
	kho_catalog **cats = calloc(n + 1, sizeof(*cats));
	const char **nm = calloc(r->n + 1, sizeof(*nm));
	if (!cats || !nm) {
		free(cats);
		free(nm);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		cats[i] = r->s[i + 1]->cat;
	for (size_t i = 0; i < r->n; i++)
		nm[i] = r->s[i]->root;
	*names = nm;
	return cats;
}
