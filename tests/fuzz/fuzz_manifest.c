/*
 * libFuzzer target: manifest.csv as ingest reads it.  The input becomes
 * the manifest of a small inbox (two scans, a record folder, a link inside
 * and one outside), and the real inbox scan reads it: the CSV reader, the
 * header lookup, the checks of names, record ids and page numbers, and the
 * resolution of every name it gives.
 *
 * Whatever the manifest says, every record found has a valid id and every
 * file lies inside the inbox; anything else aborts.
 */
#include "common/names.h"
#include "stages/inbox_scan.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char top[PATH_MAX];   /* the temporary folder */
static char inbox[PATH_MAX]; /* its real path + "/inbox" */
static char manifest[PATH_MAX];

static void put(const char *name, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", top, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void remove_all(void)
{
	static const char *const names[] = {
		"inbox/manifest.csv",  "inbox/scan_0001.png",
		"inbox/scan_0002.png", "inbox/REC-A/page-1.png",
		"inbox/link-in.png",   "inbox/link-out.png",
		"inbox/REC-A",	       "inbox",
		"outside.png",
	};
	char path[PATH_MAX];
	for (size_t i = 0; i < KHO_ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, names[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
	rmdir(top);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(top, sizeof(top), "%s/kho-fuzz-manifest-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	char real[PATH_MAX];
	if (!mkdtemp(top) || !realpath(top, real))
		abort();
	snprintf(top, sizeof(top), "%s", real);
	snprintf(inbox, sizeof(inbox), "%s/inbox", top);
	snprintf(manifest, sizeof(manifest), "%s/manifest.csv", inbox);
	if (mkdir(inbox, 0700) != 0)
		abort();
	snprintf(real, sizeof(real), "%s/REC-A", inbox);
	if (mkdir(real, 0700) != 0)
		abort();
	put("inbox/scan_0001.png", "one");
	put("inbox/scan_0002.png", "two");
	put("inbox/REC-A/page-1.png", "three");
	put("outside.png", "secret");
	char link[PATH_MAX];
	snprintf(link, sizeof(link), "%s/link-in.png", inbox);
	if (symlink("scan_0001.png", link) != 0)
		abort();
	snprintf(link, sizeof(link), "%s/link-out.png", inbox);
	if (symlink("../outside.png", link) != 0)
		abort();
	atexit(remove_all);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(manifest, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();

	kho_scan scan = KHO_SCAN_INIT;
	kho_error err = KHO_ERROR_INIT;
	if (kho_inbox_scan(&scan, inbox, &err) == 0 &&
	    kho_scan_finish(&scan, &err) == 0) {
		const size_t n = strlen(inbox);
		for (size_t i = 0; i < scan.n_records; i++) {
			const kho_scan_record *r = &scan.records[i];
			if (!kho_record_id_valid(r->id))
				abort();
			for (size_t k = 0; k < r->n_files; k++) {
				const char *p = r->files[k].path;
				if (strncmp(p, inbox, n) != 0 || p[n] != '/' ||
				    strstr(p, "/../") || strstr(p, "outside"))
					abort();
			}
		}
		for (size_t i = 0; i < scan.n_problems; i++)
			if (!scan.problems[i].message ||
			    !scan.problems[i].message[0])
				abort();
	} else if (!err.msg[0]) {
		abort();
	}
	kho_scan_release(&scan);
	return 0;
}
