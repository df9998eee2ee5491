#include "report/report.h"
#include "common/fsutil.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kho_report_file_open(kho_report_file *rf, const char *path, kho_error *err)
{
	memset(rf, 0, sizeof(*rf));
	rf->fd = -1;
	int rc = kho_path_join(rf->dest, sizeof(rf->dest), err, "%s", path);
	if (rc)
		return rc;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	rc = kho_tmpfile(dir, "report", rf->tmp, sizeof(rf->tmp), &rf->fd, err);
	/* A folder that is not there or not writable: the user's to fix. */
	if (rc == KHO_FAIL)
		err->code = KHO_USAGE;
	if (rc)
		return err->code;
	/* A report is for reading by others: not the 0600 of mkstemp. */
	if (fchmod(rf->fd, 0644) != 0)
		rc = kho_error_errno(err, KHO_FATAL, "chmod", rf->tmp);
	int copy = rc == KHO_OK ? dup(rf->fd) : -1;
	if (rc == KHO_OK && (copy < 0 || !(rf->f = fdopen(copy, "w")))) {
		rc = kho_error_errno(err, KHO_FATAL, "open", rf->tmp);
		if (copy >= 0)
			close(copy);
	}
	if (rc) {
		close(rf->fd);
		unlink(rf->tmp);
		rf->fd = -1;
	}
	return rc;
}

int kho_report_file_close(kho_report_file *rf, int keep, kho_error *err)
{
	int rc = KHO_OK;
	if (rf->f && fclose(rf->f) != 0 && keep)
		rc = kho_error_errno(err, KHO_FATAL, "write", rf->tmp);
	rf->f = NULL;
	if (rf->fd < 0)
		return rc;
	if (keep && rc == KHO_OK) {
		rc = kho_commit_tmpfile(rf->fd, rf->tmp, rf->dest, err);
	} else {
		close(rf->fd);
		unlink(rf->tmp);
	}
	rf->fd = -1;
	return rc;
}
