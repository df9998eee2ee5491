#include "root/session.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "worker/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const root_dirs[] = { "store", "warehouse", "reports",
					 "log" };

const char *kho_root_default(const char *given)
{
	if (given && *given)
		return given;
	const char *env = getenv("KHO_ROOT");
	if (env && *env)
		return env;
	return ".";
}

static int set_paths(kho_session *s, const char *root, kho_error *err)
{
	char abs[PATH_MAX];
	if (!realpath(root, abs)) {
		if (errno == ENOENT)
			return kho_error_set(err, KHO_FATAL,
					     "work root '%s' does not exist "
					     "(kho init ROOT makes one)",
					     root);
		return kho_error_errno(err, KHO_FATAL, "open work root", root);
	}
	int rc = kho_path_join(s->root, sizeof(s->root), err, "%s", abs);
	rc = rc ? rc : kho_path_join(s->conf_path, PATH_MAX, err, "%s/kho.conf", abs);
	rc = rc ? rc : kho_path_join(s->catalog_path, PATH_MAX, err, "%s/catalog.db", abs);
	rc = rc ? rc : kho_path_join(s->warehouse_dir, PATH_MAX, err, "%s/warehouse", abs);
	rc = rc ? rc : kho_path_join(s->reports_dir, PATH_MAX, err, "%s/reports", abs);
	rc = rc ? rc : kho_path_join(s->log_dir, PATH_MAX, err, "%s/log", abs);
	rc = rc ? rc : kho_path_join(s->lock_path, PATH_MAX, err, "%s/kho.lock", abs);
	return rc;
}

int kho_root_create(const char *root, kho_error *err)
{
	int rc = kho_mkdir_p(root, err);
	if (rc)
		return kho_error_set(err, KHO_FATAL, "%s", err->msg);
	kho_session s;
	memset(&s, 0, sizeof(s));
	rc = set_paths(&s, root, err);
	if (rc)
		return rc;
	if (kho_exists(s.conf_path) || kho_exists(s.catalog_path))
		return kho_error_set(err, KHO_FATAL,
				     "'%s' is a kho work root already; kho "
				     "init leaves it as it is",
				     s.root);
	for (size_t i = 0; i < KHO_ARRAY_SIZE(root_dirs); i++) {
		char dir[PATH_MAX + 16];
		snprintf(dir, sizeof(dir), "%s/%s", s.root, root_dirs[i]);
		rc = kho_mkdir_p(dir, err);
		if (rc)
			return kho_error_set(err, KHO_FATAL, "%s", err->msg);
	}

	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	kho_config_write_default(mem);
	fclose(mem);
	rc = kho_write_file_atomic(s.conf_path, text, len, err);
	free(text);
	if (rc)
		return kho_error_set(err, KHO_FATAL, "%s", err->msg);

	kho_catalog *cat = NULL;
	rc = kho_catalog_open(&cat, s.catalog_path, KHO_CATALOG_CREATE, "kho",
			      s.log_dir, err);
	if (rc)
		return rc;
	kho_event ev = { 0, NULL, NULL, "init", "ok", s.root };
	rc = kho_catalog_event(cat, &ev, err);
	kho_catalog_free(cat);
	return rc;
}

/* The run lock: one process at a time runs stages on a root.  flock is
 * released by the kernel when the holder dies, kill -9 included. */
static int take_lock(kho_session *s, kho_error *err)
{
	int fd = open(s->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EROFS || errno == EACCES)
			return kho_error_set(err, KHO_FATAL,
					     "work root '%s' is read-only: %s",
					     s->root, strerror(errno));
		return kho_error_errno(err, KHO_FATAL, "open", s->lock_path);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char holder[256] = "";
		ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		close(fd);
		return kho_error_set(err, KHO_FATAL,
				     "work root '%s' is locked by a running "
				     "kho (%s); wait for it to end",
				     s->root, holder[0] ? holder : "?");
	}
	char stamp[KHO_TIME_ISO], line[256];
	kho_now_iso(stamp);
	int n = snprintf(line, sizeof(line), "%s, pid %d, since %s\n",
			 s->program, (int)getpid(), stamp);
	if (ftruncate(fd, 0) == 0)
		kho_write_all(fd, line, (size_t)n, s->lock_path, NULL);
	s->lock_fd = fd;
	return KHO_OK;
}

static int check_dirs(kho_session *s, kho_error *err)
{
	for (size_t i = 0; i < KHO_ARRAY_SIZE(root_dirs); i++) {
		char dir[PATH_MAX + 16];
		snprintf(dir, sizeof(dir), "%s/%s", s->root, root_dirs[i]);
		struct stat st;
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
			return kho_error_set(err, KHO_FATAL,
					     "work root '%s' has no %s/ folder: "
					     "is it a kho work root?",
					     s->root, root_dirs[i]);
	}
	return KHO_OK;
}

int kho_session_open(kho_session **out, const kho_session_opts *o,
		     kho_error *err)
{
	*out = NULL;
	kho_session *s = calloc(1, sizeof(*s));
	if (!s)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	s->lock_fd = -1;
	s->program = o->program ? o->program : "kho";
	int rc = set_paths(s, kho_root_default(o->root), err);
	if (rc == KHO_OK && !kho_exists(s->conf_path))
		rc = kho_error_set(err, KHO_FATAL,
				   "'%s' is not a kho work root: no kho.conf "
				   "(kho init ROOT makes one)",
				   s->root);
	if (rc == KHO_OK)
		rc = kho_config_init(&s->conf, err);
	if (rc == KHO_OK)
		rc = kho_config_load(&s->conf, s->conf_path, err);
	for (size_t i = 0; rc == KHO_OK && i < o->n_settings; i++)
		rc = kho_config_set(&s->conf, o->settings[i].name,
				    o->settings[i].value, "command line",
				    err);
	if (rc == KHO_OK)
		rc = check_dirs(s, err);
	if (rc == KHO_OK && o->lock)
		rc = take_lock(s, err);
	if (rc == KHO_OK)
		rc = kho_catalog_open(&s->cat, s->catalog_path,
				      o->readonly ? KHO_CATALOG_READONLY
						  : KHO_CATALOG_OPEN,
				      s->program, s->log_dir, err);
	if (rc == KHO_OK && !o->readonly) {
		char dir[PATH_MAX + 16];
		snprintf(dir, sizeof(dir), "%s/store", s->root);
		rc = kho_store_init(&s->store, dir, err);
	}
	if (rc) {
		kho_session_free(s);
		return rc;
	}
	kho_limits lim = {
		.max_pixels = (uint64_t)s->conf.max_pixels,
		.max_pages = (uint32_t)s->conf.max_pages,
		.max_file_bytes = (uint64_t)s->conf.max_file_mb << 20,
		.max_alloc_bytes = (uint64_t)s->conf.max_alloc_mb << 20,
	};
	s->limits = lim;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	s->jobs = s->conf.jobs > 0 ? (int)s->conf.jobs
				   : (int)(cpus > 0 ? cpus : 1);
	s->progress = kho_progress_style();
	*out = s;
	return KHO_OK;
}

void kho_session_free(kho_session *s)
{
	if (!s)
		return;
	kho_catalog_free(s->cat);
	kho_config_release(&s->conf);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s);
}
