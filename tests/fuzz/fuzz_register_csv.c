/*
 * libFuzzer target: the register CSV an agency's case system exports
 * (record id, year, agency, field, procedure code, title, number, issue
 * date).  No register import exists in the library yet, so this drives
 * the CSV reader the way an import reads such a file: the header's
 * columns looked up by name, then every row with its fields taken by
 * those indices, the id checked and the year read as a number.
 *
 * Every field handed over is NUL-terminated valid UTF-8 and the row
 * count never goes backwards; a failure says why.
 */
#include "common/csv.h"
#include "common/names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const columns[] = {
	"record_id", "year",  "agency", "field",
	"procedure", "title", "number", "issue_date",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kho_csv *csv = NULL;
	kho_error err = KHO_ERROR_INIT;
	if (kho_csv_open(&csv, (const char *)data, size, &err) != 0)
		abort();
	char **f;
	size_t nf;
	long line = 0, last = 0;
	int col[KHO_ARRAY_SIZE(columns)];
	int rc = kho_csv_next(csv, &f, &nf, &line, &err);
	if (rc == 1)
		for (size_t i = 0; i < KHO_ARRAY_SIZE(columns); i++)
			col[i] = kho_csv_column(f, nf, columns[i]);
	while (rc == 1) {
		if (line < last || nf == 0)
			abort();
		last = line;
		for (size_t i = 0; i < nf; i++)
			if (!kho_utf8_valid(f[i], strlen(f[i])))
				abort();
		const char *id =
			col[0] >= 0 && (size_t)col[0] < nf ? f[col[0]] : "";
		const char *year =
			col[1] >= 0 && (size_t)col[1] < nf ? f[col[1]] : "";
		char quoted[256];
		kho_quote_name(id, quoted, sizeof(quoted));
		if (strlen(quoted) >= sizeof(quoted))
			abort();
		if (kho_record_id_valid(id) && *year) {
			char *end;
			errno = 0;
			(void)strtol(year, &end, 10);
		}
		rc = kho_csv_next(csv, &f, &nf, &line, &err);
	}
	if (rc < 0 && !err.msg[0])
		abort();
	kho_csv_free(csv);
	return 0;
}
