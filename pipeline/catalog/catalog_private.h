/* Inside the catalog: shared by catalog_*.c only. */
#ifndef KHO_CATALOG_PRIVATE_H
#define KHO_CATALOG_PRIVATE_H

#include "catalog/catalog.h"

#include <stdio.h>

typedef struct kho_stmt_cache {
	const char *sql;
	sqlite3_stmt *stmt;
} kho_stmt_cache;

struct kho_catalog {
	sqlite3 *db;
	char *path;
	char *program;
	char *log_dir;
	int64_t run;
	int in_txn;
	kho_stmt_cache stmts[96];
	size_t n_stmts;
	/* JSON lines of the events of the open transaction */
	char *pending_log;
	size_t pending_len;
	size_t pending_cap;
};

/* The stages in SQL, in pipeline order (kho_stage_order): a list for
 * "stage IN", so that the (stage, state) index serves a question about a
 * state, and the rank of job T's stage, ingest 0 ... pack 4, for "furthest
 * stage" questions and the stage order of lists. */
#define KHO_SQL_STAGES \
	"('ingest', 'normalize', 'compress', 'describe', 'pack')"
#define KHO_SQL_STAGE_RANK(t)                                             \
	"CASE " t ".stage WHEN 'ingest' THEN 0 WHEN 'normalize' THEN 1"   \
	" WHEN 'compress' THEN 2 WHEN 'describe' THEN 3 WHEN 'pack' THEN 4" \
	" END"

/* The migrations, in order; migration i brings the schema to version i+1. */
extern const char *const kho_catalog_migrations[];
extern const int kho_catalog_n_migrations;

/* Appends the pending event lines to the log (after a commit). */
void kho_catalog_flush_log(kho_catalog *cat);

/* Text column or "" */
const char *kho_col_text(sqlite3_stmt *st, int col);

/* snprintf of a column into a fixed buffer */
void kho_col_copy(sqlite3_stmt *st, int col, char *out, size_t cap);

#endif
