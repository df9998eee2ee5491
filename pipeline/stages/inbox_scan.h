/*
 * Looking at an inbox: which records it holds and which files make each.
 * Nothing is decoded here and nothing is written: ingest's workers do the
 * reading.
 *
 *   INBOX/<ID>/page-001.jpg ...   a folder per record, pages in natural
 *                                 name order (page-2 before page-10)
 *   INBOX/<ID>.tif                one file per record (a multi-page TIFF)
 *   INBOX/manifest.csv            optional: file,record,page rows that map
 *                                 any file in the inbox to a record and the
 *                                 number of its first page
 *
 * Names starting with '.' are ignored (scanners' and editors' temporary
 * files).  A symbolic link is followed only when what it points to lies
 * inside the inbox; otherwise it is refused.  Anything that cannot be read
 * as a record becomes a problem with a message naming it.
 *
 * A shard (config/shard.h) looks only at the records whose id hashes to
 * it: the entries of other shards' records are passed by before their
 * folders are even listed, and the problems that name no record are kept
 * by shard 1 alone, so that the shards together find what one machine
 * would have found.
 */
#ifndef KHO_INBOX_SCAN_H
#define KHO_INBOX_SCAN_H

#include "common/internal.h"
#include "common/names.h"
#include "config/shard.h"

typedef struct kho_scan_file {
	char *path;     /* real path, inside the inbox */
	char *name;     /* relative to the inbox, as the desk named it */
	int page;       /* manifest page number, or 0 */
	long long size;
	long long mtime_ns;
} kho_scan_file;

typedef struct kho_scan_record {
	char id[KHO_RECORD_ID_MAX + 1];
	char *inbox;    /* real path of the inbox */
	char *where;    /* "HT-2021-00042/" or "HT-2021-00042.tif" or
			 * "manifest.csv" */
	char *error;    /* when set, the record fails with this */
	kho_scan_file *files;
	size_t n_files;
	size_t cap_files;
} kho_scan_record;

typedef struct kho_scan_problem {
	char *what;     /* the inbox entry, quoted */
	char *message;
	char *key;      /* stable: what identifies it across nights */
} kho_scan_problem;

typedef struct kho_scan {
	kho_scan_record *records;
	size_t n_records;
	size_t cap_records;
	kho_scan_problem *problems;
	size_t n_problems;
	size_t cap_problems;
	void *oom;      /* where running out of memory jumps to (a jmp_buf) */
	kho_shard shard;     /* set before scanning: only its records */
	size_t n_elsewhere;  /* inbox entries of other shards' records */
} kho_scan;

#define KHO_SCAN_INIT { NULL, 0, 0, NULL, 0, 0, NULL, KHO_SHARD_NONE, 0 }

/* Adds what one inbox holds.  KHO_USAGE when the inbox itself cannot be
 * read (missing, not a folder). */
int kho_inbox_scan(kho_scan *scan, const char *inbox, kho_error *err);

/* After the last inbox: records sorted by id; an id found in more than
 * one place becomes one record that fails and says where. */
int kho_scan_finish(kho_scan *scan, kho_error *err);

void kho_scan_release(kho_scan *scan);

#endif
