/*
 * A work root opened for one command: its paths, its settings (kho.conf
 * with the command line's over them), its catalog, and for the commands
 * that run stages, the run lock.
 *
 *   ROOT/kho.conf  ROOT/catalog.db  ROOT/store/  ROOT/warehouse/
 *   ROOT/reports/  ROOT/log/  ROOT/kho.lock (held by a running stage)
 */
#ifndef KHO_SESSION_H
#define KHO_SESSION_H

#include "common/internal.h"
#include "catalog/catalog.h"
#include "codec/codec.h"
#include "config/config.h"
#include "store/store.h"

#include <limits.h>

typedef struct kho_session {
	char root[PATH_MAX];
	char conf_path[PATH_MAX];
	char catalog_path[PATH_MAX];
	char warehouse_dir[PATH_MAX];
	char reports_dir[PATH_MAX];
	char log_dir[PATH_MAX];
	char lock_path[PATH_MAX];
	const char *program;
	kho_config conf;
	kho_limits limits;
	kho_catalog *cat;
	kho_store store;
	int lock_fd;    /* -1 unless this session runs stages */
	int jobs;       /* workers per stage, resolved */
	int progress;   /* KHO_PROGRESS_* */
} kho_session;

typedef struct kho_setting {
	const char *name;
	const char *value;
} kho_setting;

typedef struct kho_session_opts {
	const char *root;        /* NULL: $KHO_ROOT, else the current folder */
	const char *program;     /* for events: "kho", "kho-ingest" */
	int lock;                /* take the run lock (commands that run
				  * stages) */
	int readonly;            /* status, show: never write */
	const kho_setting *settings; /* from the command line */
	size_t n_settings;
} kho_session_opts;

int kho_session_open(kho_session **out, const kho_session_opts *opts,
		     kho_error *err);
void kho_session_free(kho_session *s);

/* kho init: makes a new work root (the folder may exist, empty or not, but
 * must not hold a kho.conf or catalog.db). */
int kho_root_create(const char *root, kho_error *err);

/* The root a command means: --root, else $KHO_ROOT, else ".". */
const char *kho_root_default(const char *given);

#endif
