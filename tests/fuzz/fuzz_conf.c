/*
 * libFuzzer target: kho.conf.  The input is written to a temporary file
 * and loaded over the defaults, as every command does with ROOT/kho.conf.
 * A load that succeeds leaves every number within its key's range; one
 * that fails says why.
 */
#include "config/config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[PATH_MAX];

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/kho-fuzz-conf-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	const int fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	atexit(remove_file);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();

	kho_config conf;
	kho_error err = KHO_ERROR_INIT;
	if (kho_config_init(&conf, &err) != 0)
		abort();
	if (kho_config_load(&conf, path, &err) == 0) {
		size_t n;
		const kho_config_key *keys = kho_config_keys(&n);
		for (size_t i = 0; i < n; i++) {
			const kho_config_key *k = &keys[i];
			if (k->type != KHO_CONF_INT && k->type != KHO_CONF_SIZE)
				continue;
			const long long v =
				*(const long long *)((const char *)&conf +
						     k->offset);
			if (v < k->min || v > k->max)
				abort();
		}
		if (conf.n_inbox < 0 || conf.n_inbox > KHO_CONFIG_MAX_INBOX)
			abort();
	} else if (!err.msg[0]) {
		abort();
	}
	kho_config_release(&conf);
	return 0;
}
