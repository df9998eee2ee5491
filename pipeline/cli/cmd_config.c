/* kho config: the settings in effect. */
#include "kho/commands.h"
#include "cli/options.h"
#include "config/config.h"

int kho_cmd_config(int argc, char **argv)
{
	kho_args a;
	kho_error err = KHO_ERROR_INIT;
	int rc = kho_args_parse(argc, argv, NULL, 0, &a, &err);
	if (rc == KHO_OK && a.help) {
		kho_usage("kho config", "",
			  "Prints the settings in effect: kho.conf with the "
			  "command line's over it.",
			  NULL, 0);
		kho_args_release(&a);
		return 0;
	}
	kho_session *s = NULL;
	if (rc == KHO_OK)
		rc = kho_args_session(&a, "kho", 0, 1, &s, &err);
	if (rc == KHO_OK) {
		size_t n;
		const kho_config_key *keys = kho_config_keys(&n);
		const char *section = "";
		for (size_t i = 0; i < n; i++) {
			const kho_config_key *k = &keys[i];
			if (strcmp(section, k->section) != 0) {
				section = k->section;
				printf("%s[%s]\n", i ? "\n" : "", section);
			}
			const char *base = (const char *)&s->conf + k->offset;
			switch (k->type) {
			case KHO_CONF_INT:
			case KHO_CONF_SIZE:
				printf("%s = %lld\n", k->name,
				       *(const long long *)base);
				break;
			case KHO_CONF_BOOL:
				printf("%s = %s\n", k->name,
				       *(const int *)base ? "yes" : "no");
				break;
			case KHO_CONF_STRING:
				printf("%s = %s\n", k->name,
				       *(char *const *)base);
				break;
			case KHO_CONF_PATHS:
				for (int j = 0; j < s->conf.n_inbox; j++)
					printf("%s = %s\n", k->name,
					       s->conf.inbox[j]);
				break;
			}
		}
	}
	kho_session_free(s);
	kho_args_release(&a);
	return rc ? kho_report_error("kho config", &err) : 0;
}
