/*
 * --roots R1 R2 ...: the work roots of the shards of one batch (kho run
 * --shard I/N, docs/SLURM.md), opened read-only together so that report,
 * status, verify, extract and lookup see them as one warehouse.  Without
 * --roots, the one root of --root (or $KHO_ROOT, or ".").
 *
 * The roots must be distinct shards of one split (same N, each I once);
 * a shard missing from them is said on stderr, and what it holds is left
 * out.  One root given with --roots is taken as it is.
 */
#ifndef KHO_ROOTS_H
#define KHO_ROOTS_H

#include "cli/options.h"

typedef struct kho_roots {
	kho_session **s;  /* s[0]: the first root, with the command line's
			   * settings (the targets of a report) */
	kho_shard *shard; /* of each root */
	size_t n;
	int count;	 /* N of the shards, or 0 for one root */
	char label[256]; /* the root, or "4 work roots (shards 1-4 of 4)" */
} kho_roots;

/* opt: the index of the command's --roots option (KHO_OPT_LIST). */
int kho_roots_open(kho_roots *r, const kho_args *a, size_t opt, const char *cmd,
		   kho_error *err);
void kho_roots_release(kho_roots *r);

/* The catalogs of roots 1.. (all but the first), for the combined
 * queries, and in *names the paths of every root (the first one first);
 * both arrays are the caller's to free, NULL when out of memory. */
kho_catalog **kho_roots_others(const kho_roots *r, const char ***names);

#endif
