#include "cli/options.h"
#include "config/config.h"

#include <limits.h>
#include <unistd.h>

#include "kho_version.h"

const char *kho_version(void)
{
	return KHO_VERSION_STRING;
}

int kho_args_add_setting(kho_args *a, const char *name, const char *value,
			 kho_error *err)
{
	if (a->n_settings >= KHO_ARGS_MAX_SETTINGS)
		return kho_error_set(err, KHO_USAGE, "too many settings");
	const kho_config_key *k = kho_config_find(name);
	/* A folder given on the command line is taken from where the user
	 * stands, not from the work root. */
	if (k && k->type == KHO_CONF_PATHS && value[0] != '/') {
		char cwd[PATH_MAX];
		char *abs = NULL;
		if (!getcwd(cwd, sizeof(cwd)) ||
		    asprintf(&abs, "%s/%s", cwd, value) < 0)
			return kho_error_set(err, KHO_USAGE,
					     "cannot resolve '%s'", value);
		a->owned[a->n_owned++] = abs;
		value = abs;
	}
	a->settings[a->n_settings].name = name;
	a->settings[a->n_settings].value = value;
	a->n_settings++;
	return KHO_OK;
}

static int add_value(kho_args *a, size_t i, const char *value,
		     kho_error *err)
{
	const char **v = realloc(a->values[i],
				 (size_t)(a->count[i] + 1) * sizeof(*v));
	if (!v)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	v[a->count[i]++] = value;
	a->values[i] = v;
	return KHO_OK;
}

int kho_args_parse(int argc, char **argv, const kho_opt *opts, size_t n_opts,
		   kho_args *a, kho_error *err)
{
	assert(n_opts <= 16);
	memset(a, 0, sizeof(*a));
	a->pos = calloc((size_t)argc + 1, sizeof(char *));
	if (!a->pos)
		return kho_error_set(err, KHO_FATAL, "out of memory");
	int only_pos = 0;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		if (only_pos || arg[0] != '-' || arg[1] == '\0') {
			a->pos[a->n_pos++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			a->help = 1;
			continue;
		}
		/* -j N, -jN */
		if (arg[1] != '-') {
			char c = arg[1];
			const char *val = arg[2] ? arg + 2 : NULL;
			size_t k = n_opts;
			for (size_t j = 0; j < n_opts; j++)
				if (opts[j].short_name == c)
					k = j;
			int has_arg = c == 'j' || (k < n_opts && opts[k].has_arg);
			if (c != 'j' && k == n_opts)
				return kho_error_set(err, KHO_USAGE,
						     "unknown option '%s'", arg);
			if (has_arg && !val) {
				if (i + 1 >= argc)
					return kho_error_set(
						err, KHO_USAGE,
						"option '-%c' needs a value", c);
				val = argv[++i];
			}
			int rc = c == 'j' ? kho_args_add_setting(a, "jobs", val, err)
					  : add_value(a, k, val ? val : "1", err);
			if (rc)
				return rc;
			continue;
		}
		char name[128];
		const char *eq = strchr(arg + 2, '=');
		size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		if (len >= sizeof(name))
			return kho_error_set(err, KHO_USAGE,
					     "unknown option '%.40s...'", arg);
		memcpy(name, arg + 2, len);
		name[len] = '\0';
		const char *val = eq ? eq + 1 : NULL;

		size_t k = n_opts;
		for (size_t j = 0; j < n_opts; j++)
			if (strcmp(opts[j].name, name) == 0)
				k = j;
		int is_root = strcmp(name, "root") == 0;
		const kho_config_key *key =
			k == n_opts && !is_root ? kho_config_find(name) : NULL;
		if (k == n_opts && !is_root && !key)
			return kho_error_set(err, KHO_USAGE,
					     "unknown option '--%s'", name);
		int has_arg = is_root || key || opts[k].has_arg;
		if (!has_arg && val)
			return kho_error_set(err, KHO_USAGE,
					     "option '--%s' takes no value",
					     name);
		if (has_arg && !val) {
			if (i + 1 >= argc)
				return kho_error_set(err, KHO_USAGE,
						     "option '--%s' needs a "
						     "value",
						     name);
			val = argv[++i];
		}
		int rc = KHO_OK;
		if (is_root)
			a->root = val;
		else if (key)
			rc = kho_args_add_setting(a, key->name, val, err);
		else
			rc = add_value(a, k, val ? val : "1", err);
		if (rc)
			return rc;
		if (k < n_opts && opts[k].has_arg == KHO_OPT_LIST) {
			/* Every argument up to the next option. */
			while (rc == KHO_OK && i + 1 < argc &&
			       (argv[i + 1][0] != '-' || argv[i + 1][1] == '\0'))
				rc = add_value(a, k, argv[++i], err);
			if (rc)
				return rc;
		}
	}
	return KHO_OK;
}

void kho_args_release(kho_args *a)
{
	for (size_t i = 0; i < 16; i++)
		free(a->values[i]);
	for (size_t i = 0; i < a->n_owned; i++)
		free(a->owned[i]);
	free(a->pos);
	memset(a, 0, sizeof(*a));
}

const char *kho_args_value(const kho_args *a, size_t i)
{
	return a->count[i] > 0 ? a->values[i][0] : NULL;
}

void kho_usage(const char *cmd, const char *synopsis, const char *about,
	       const kho_opt *opts, size_t n_opts)
{
	printf("usage: %s %s\n\n%s\n\n", cmd, synopsis, about);
	if (n_opts)
		printf("options:\n");
	for (size_t i = 0; i < n_opts; i++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s%s", opts[i].name,
			 opts[i].has_arg ? " " : "",
			 opts[i].has_arg ? opts[i].arg : "",
			 opts[i].has_arg == KHO_OPT_LIST ? "..." : "");
		printf("  %-24s %s\n", left, opts[i].help);
	}
	printf("\ncommon options:\n"
	       "  %-24s %s\n  %-24s %s\n  %-24s %s\n  %-24s %s\n",
	       "--root ROOT", "the work root (default: $KHO_ROOT, else .)",
	       "-j N, --jobs N", "worker processes per stage",
	       "--KEY VALUE", "any kho.conf setting (kho config lists them)",
	       "-h, --help", "this help");
}

int kho_report_error(const char *cmd, const kho_error *err)
{
	fprintf(stderr, "%s: %s\n", cmd, err->msg[0] ? err->msg : "failed");
	return kho_exit_code(err->code ? err->code : KHO_FATAL);
}

int kho_args_session(const kho_args *a, const char *program, int lock,
		     int readonly, kho_session **s, kho_error *err)
{
	kho_session_opts o = {
		.root = a->root,
		.program = program,
		.lock = lock,
		.readonly = readonly,
		.settings = a->settings,
		.n_settings = a->n_settings,
	};
	return kho_session_open(s, &o, err);
}
