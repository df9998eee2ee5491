#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define OFF(field) offsetof(kho_config, field)

static const kho_config_key keys[] = {
	{ "kho", "inbox", KHO_CONF_PATHS, "", 0, 0,
	  "a folder the scanning desk fills; give the key once per inbox. "
	  "Relative paths are taken from the work root. Never written to.",
	  OFF(inbox) },
	{ "kho", "jobs", KHO_CONF_INT, "0", 0, 256,
	  "worker processes per stage; 0 means one per CPU", OFF(jobs) },
	{ "kho", "batch", KHO_CONF_STRING, "", 0, 0,
	  "batch name recorded with each record; empty: the inbox folder's "
	  "name", OFF(batch) },
	{ "kho", "desk", KHO_CONF_STRING, "", 0, 0,
	  "the scanning desk recorded with each record", OFF(desk) },
	{ "kho", "nice", KHO_CONF_INT, "10", 0, 19,
	  "how kindly the stages share the machine: the CPU nice value, and "
	  "the lowest best-effort disk priority when above 0",
	  OFF(nice) },
	{ "kho", "max_load", KHO_CONF_INT, "0", 0, 1024,
	  "start no new work while the 1-minute load average is above this "
	  "(0: no guard), for machines shared with other work",
	  OFF(max_load) },

	{ "limits", "max_pixels", KHO_CONF_INT, "150000000", 1, 4000000000LL,
	  "pixels in one page (A3 at 600 dpi is 70 million)",
	  OFF(max_pixels) },
	{ "limits", "max_pages", KHO_CONF_INT, "2000", 1, 1000000,
	  "pages in one input file", OFF(max_pages) },
	{ "limits", "max_file_mb", KHO_CONF_INT, "1024", 1, 1048576,
	  "size of one input file, in MiB", OFF(max_file_mb) },
	{ "limits", "max_alloc_mb", KHO_CONF_INT, "512", 16, 1048576,
	  "one buffer a decoder may allocate for a file, in MiB",
	  OFF(max_alloc_mb) },
	{ "limits", "page_timeout", KHO_CONF_INT, "300", 1, 86400,
	  "seconds a worker may spend on one page before it is killed and "
	  "its record fails", OFF(page_timeout) },

	{ "normalize", "target_dpi", KHO_CONF_INT, "300", 200, 1200,
	  "output resolution: the source's, capped at this",
	  OFF(target_dpi) },
	{ "normalize", "min_dpi", KHO_CONF_INT, "200", 72, 1200,
	  "no output page falls below this (Circular 01/2019/TT-BNV: 200)",
	  OFF(min_dpi) },

	{ "compress", "jpeg_quality", KHO_CONF_INT, "70", 20, 100,
	  "JPEG quality for grey and colour pages (70: docs/COMPRESS.md)",
	  OFF(jpeg_quality) },
	{ "compress", "background_dpi", KHO_CONF_INT, "100", 50, 300,
	  "resolution of the colour layer under a mixed page's text layer",
	  OFF(background_dpi) },
	{ "compress", "tiff_master", KHO_CONF_BOOL, "no", 0, 1,
	  "also write a multi-page TIFF master (G4 or JPEG pages) beside "
	  "result.pdf",
	  OFF(tiff_master) },

	{ "describe", "publisher", KHO_CONF_STRING, "kho", 0, 0,
	  "name of the information system that publishes the results "
	  "(metadata and QR code)", OFF(publisher) },
	{ "describe", "qr_module", KHO_CONF_INT, "42", 25, 200,
	  "side of one module of the QR code on page 1, in 1/100 mm (42: "
	  "0.42 mm, a code of about 3 cm)", OFF(qr_module) },

	{ "pack", "volume_size", KHO_CONF_SIZE, "4G", 1 << 20,
	  1LL << 42, "largest warehouse volume (K, M, G, T)",
	  OFF(volume_size) },
	{ "pack", "volume_format", KHO_CONF_STRING, "tar", 0, 0,
	  "volume serialization: tar (pax) or zip (stored, Zip64 when large)",
	  OFF(volume_format) },
	{ "pack", "source_organization", KHO_CONF_STRING, "", 0, 0,
	  "BagIt Source-Organization: the agency that keeps the warehouse",
	  OFF(source_organization) },
	{ "pack", "keep_originals", KHO_CONF_BOOL, "yes", 0, 1,
	  "put the original scans into the bags beside the result",
	  OFF(keep_originals) },

	{ "coverage", "backlog_from", KHO_CONF_INT, "2020", 1900, 2100,
	  "first year of issue of the backlog (paper issued before the "
	  "results warehouse)", OFF(backlog_from) },
	{ "coverage", "backlog_to", KHO_CONF_INT, "2022", 1900, 2100,
	  "last year of issue of the backlog; later years are new results",
	  OFF(backlog_to) },
	{ "coverage", "backlog_target", KHO_CONF_INT, "90", 0, 100,
	  "percent of each backlog year's registered results to archive",
	  OFF(backlog_target) },
	{ "coverage", "new_target", KHO_CONF_INT, "100", 0, 100,
	  "percent of each later year's registered results to archive",
	  OFF(new_target) },
	{ "coverage", "target_date", KHO_CONF_STRING, "", 0, 0,
	  "date (YYYY-MM-DD) by which the targets are to be met; empty: 31 "
	  "December of the current year", OFF(target_date) },
};

const kho_config_key *kho_config_keys(size_t *n)
{
	*n = KHO_ARRAY_SIZE(keys);
	return keys;
}

/* "jpeg-quality" and "jpeg_quality" name the same key. */
static int name_eq(const char *key, const char *name)
{
	for (; *key && *name; key++, name++) {
		char c = *name == '-' ? '_' : *name;
		if (*key != c)
			return 0;
	}
	return *key == *name;
}

const kho_config_key *kho_config_find(const char *name)
{
	for (size_t i = 0; i < KHO_ARRAY_SIZE(keys); i++)
		if (name_eq(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static int parse_int(const char *s, long long *out, int size_suffix)
{
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || errno)
		return -1;
	if (size_suffix && *end) {
		int shift = 0;
		switch (toupper((unsigned char)*end)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default: return -1;
		}
		end++;
		/* K, KB, Ki and KiB (any case) all mean 1024 here. */
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
		/* Multiplied, not shifted: a negative size must reach the
		 * range check, not undefined behaviour. */
		if (v > (LLONG_MAX >> shift) || v < -(LLONG_MAX >> shift))
			return -1;
		v *= 1LL << shift;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < KHO_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int set_key(kho_config *conf, const kho_config_key *k,
		   const char *value, const char *where, kho_error *err)
{
	char *base = (char *)conf + k->offset;
	long long v;
	switch (k->type) {
	case KHO_CONF_INT:
	case KHO_CONF_SIZE:
		if (parse_int(value, &v, k->type == KHO_CONF_SIZE) != 0)
			return kho_error_set(err, KHO_USAGE,
					     "%s: '%s' is not a %s for %s",
					     where, value,
					     k->type == KHO_CONF_SIZE ? "size"
								      : "number",
					     k->name);
		if (v < k->min || v > k->max)
			return kho_error_set(err, KHO_USAGE,
					     "%s: %s must be from %lld to %lld, "
					     "not %lld",
					     where, k->name, k->min, k->max, v);
		*(long long *)base = v;
		return KHO_OK;
	case KHO_CONF_BOOL:
		if (parse_bool(value, (int *)base) != 0)
			return kho_error_set(err, KHO_USAGE,
					     "%s: %s must be yes or no, not '%s'",
					     where, k->name, value);
		return KHO_OK;
	case KHO_CONF_STRING: {
		char *copy = strdup(value);
		if (!copy)
			return kho_error_set(err, KHO_FATAL, "out of memory");
		free(*(char **)base);
		*(char **)base = copy;
		return KHO_OK;
	}
	case KHO_CONF_PATHS: {
		if (!*value)
			return KHO_OK;
		if (conf->n_inbox >= KHO_CONFIG_MAX_INBOX)
			return kho_error_set(err, KHO_USAGE,
					     "%s: more than %d %s folders",
					     where, KHO_CONFIG_MAX_INBOX,
					     k->name);
		char *copy = strdup(value);
		if (!copy)
			return kho_error_set(err, KHO_FATAL, "out of memory");
		conf->inbox[conf->n_inbox++] = copy;
		return KHO_OK;
	}
	}
	return kho_error_set(err, KHO_FATAL, "bad key type");
}

int kho_config_set(kho_config *conf, const char *name, const char *value,
		   const char *where, kho_error *err)
{
	const kho_config_key *k = kho_config_find(name);
	if (!k)
		return kho_error_set(err, KHO_USAGE, "%s: unknown setting '%s'",
				     where, name);
	/* Validate strings that are really choices. */
	if (k->offset == OFF(volume_format) && strcmp(value, "tar") != 0 &&
	    strcmp(value, "zip") != 0)
		return kho_error_set(err, KHO_USAGE,
				     "%s: volume_format '%s' is not supported "
				     "(tar or zip)",
				     where, value);
	if (k->offset == OFF(target_date) && *value &&
	    kho_config_date_parse(value, NULL, NULL, NULL) != 0)
		return kho_error_set(err, KHO_USAGE,
				     "%s: target_date '%s' is not a date "
				     "(YYYY-MM-DD)",
				     where, value);
	return set_key(conf, k, value, where, err);
}

int kho_config_date_parse(const char *s, int *year, int *month, int *day)
{
	static const int days[] = { 31, 29, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	int v[3] = { 0, 0, 0 };
	static const int width[3] = { 4, 2, 2 };
	for (int part = 0; part < 3; part++) {
		for (int i = 0; i < width[part]; i++, s++) {
			if (*s < '0' || *s > '9')
				return -1;
			v[part] = v[part] * 10 + (*s - '0');
		}
		if (part < 2 && *s++ != '-')
			return -1;
	}
	if (*s || v[0] < 1900 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
	    v[2] > days[v[1] - 1])
		return -1;
	int leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
	if (v[1] == 2 && v[2] == 29 && !leap)
		return -1;
	if (year)
		*year = v[0];
	if (month)
		*month = v[1];
	if (day)
		*day = v[2];
	return 0;
}

int kho_config_init(kho_config *conf, kho_error *err)
{
	memset(conf, 0, sizeof(*conf));
	for (size_t i = 0; i < KHO_ARRAY_SIZE(keys); i++) {
		int rc = set_key(conf, &keys[i], keys[i].fallback, "default",
				 err);
		if (rc) {
			kho_config_release(conf);
			return rc;
		}
	}
	return KHO_OK;
}

void kho_config_release(kho_config *conf)
{
	for (size_t i = 0; i < KHO_ARRAY_SIZE(keys); i++) {
		if (keys[i].type == KHO_CONF_STRING) {
			char **p = (char **)((char *)conf + keys[i].offset);
			free(*p);
			*p = NULL;
		}
	}
	for (int i = 0; i < conf->n_inbox; i++)
		free(conf->inbox[i]);
	conf->n_inbox = 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Directory of path, for resolving relative inbox folders. */
static void dir_of(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (!slash) {
		snprintf(out, cap, ".");
		return;
	}
	if (n == 0)
		n = 1;
	snprintf(out, cap, "%.*s", (int)n, path);
}

int kho_config_load(kho_config *conf, const char *path, kho_error *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return kho_error_set(err, KHO_USAGE, "cannot read '%s': %s",
				     path, strerror(errno));
	char base[PATH_MAX];
	dir_of(path, base, sizeof(base));

	char line[4096];
	char section[64] = "kho";
	int lineno = 0;
	int rc = KHO_OK;
	while (rc == KHO_OK && fgets(line, sizeof(line), f)) {
		lineno++;
		char where[PATH_MAX + 32];
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (!strchr(line, '\n') && !feof(f)) {
			rc = kho_error_set(err, KHO_USAGE, "%s: line too long",
					   where);
			break;
		}
		char *s = trim(line);
		if (lineno == 1 && (unsigned char)s[0] == 0xEF &&
		    (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
			s = trim(s + 3);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || close[1] != '\0') {
				rc = kho_error_set(err, KHO_USAGE,
						   "%s: bad section line", where);
				break;
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			int known = 0;
			for (size_t i = 0; i < KHO_ARRAY_SIZE(keys); i++)
				known |= strcmp(keys[i].section, section) == 0;
			if (!known)
				rc = kho_error_set(err, KHO_USAGE,
						   "%s: unknown section [%s]",
						   where, section);
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			rc = kho_error_set(err, KHO_USAGE,
					   "%s: expected 'key = value'", where);
			break;
		}
		*eq = '\0';
		char *name = trim(s);
		char *value = trim(eq + 1);
		size_t vn = strlen(value);
		if (vn >= 2 && value[0] == '"' && value[vn - 1] == '"') {
			value[vn - 1] = '\0';
			value++;
		}
		const kho_config_key *k = kho_config_find(name);
		if (!k || strcmp(k->section, section) != 0) {
			rc = kho_error_set(err, KHO_USAGE,
					   "%s: unknown setting '%s' in [%s]",
					   where, name, section);
			break;
		}
		if (k->type == KHO_CONF_PATHS && *value && value[0] != '/') {
			char abs[PATH_MAX];
			if (snprintf(abs, sizeof(abs), "%s/%s", base, value) >=
			    (int)sizeof(abs)) {
				rc = kho_error_set(err, KHO_USAGE,
						   "%s: path too long", where);
				break;
			}
			rc = kho_config_set(conf, name, abs, where, err);
		} else {
			rc = kho_config_set(conf, name, value, where, err);
		}
	}
	if (rc == KHO_OK && ferror(f))
		rc = kho_error_set(err, KHO_USAGE, "cannot read '%s'", path);
	fclose(f);
	return rc;
}

int kho_config_write_default(FILE *out)
{
	fprintf(out, "# kho.conf: settings of this work root.\n"
		     "# Every key can also be given on the command line as "
		     "--key VALUE\n"
		     "# ('_' or '-'), which wins over this file.\n");
	const char *section = "";
	for (size_t i = 0; i < KHO_ARRAY_SIZE(keys); i++) {
		const kho_config_key *k = &keys[i];
		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(out, "\n[%s]\n", section);
		}
		fprintf(out, "# %s\n", k->help);
		if (k->type == KHO_CONF_PATHS)
			fprintf(out, "#%s = /srv/scans/desk-1\n", k->name);
		else
			fprintf(out, "%s = %s\n", k->name, k->fallback);
	}
	return ferror(out) ? KHO_FAIL : KHO_OK;
}
