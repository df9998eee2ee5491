/*
 * The kho driver: one table of subcommands.  To add one, see the
 * checklist in include/kho/commands.h.
 */
#include "kho/kho.h"

#include <stdio.h>
#include <string.h>

static int cmd_ingest(int argc, char **argv)
{
	return kho_cmd_stage("ingest", argc, argv);
}

static int cmd_normalize(int argc, char **argv)
{
	return kho_cmd_stage("normalize", argc, argv);
}

static int cmd_compress(int argc, char **argv)
{
	return kho_cmd_stage("compress", argc, argv);
}

static int cmd_describe(int argc, char **argv)
{
	return kho_cmd_stage("describe", argc, argv);
}

static int cmd_pack(int argc, char **argv)
{
	return kho_cmd_stage("pack", argc, argv);
}

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "init", kho_cmd_init, "make a work root" },
	{ "run", kho_cmd_run, "every pending stage, in order, until done" },
	{ "status", kho_cmd_status, "counts per stage and state; what failed "
				    "and why" },
	{ "show", kho_cmd_show, "pages, plans, events, outputs, errors of one "
				"record" },
	{ "retry", kho_cmd_retry, "put work back in a stage's queue" },
	{ "plan", kho_cmd_plan, "override a page plan" },
	{ "config", kho_cmd_config, "the settings in effect" },
	{ "register", kho_cmd_register, "import FILE.csv: load or update the "
					"register" },
	{ "report", kho_cmd_report, "coverage of the register; --morning, "
				    "--missing" },
	{ "verify", kho_cmd_verify, "recompute every checksum of the "
				    "warehouse" },
	{ "extract", kho_cmd_extract, "RECORD DEST: a record's files out of "
				      "the warehouse" },
	{ "lookup", kho_cmd_lookup, "is a presented result (QR text, image, "
				    "PDF) genuine?" },
	{ "ingest", cmd_ingest, "stage 1: records from the inboxes" },
	{ "normalize", cmd_normalize, "stage 2: page plans" },
	{ "compress", cmd_compress, "stage 3: result.pdf" },
	{ "describe", cmd_describe, "stage 4: metadata.json, XMP, QR code" },
	{ "pack", cmd_pack, "stage 5: BagIt bags into warehouse volumes" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: kho COMMAND [--root ROOT] [options]\n\n"
		     "kho turns folders of scanned administrative results "
		     "into archived digital results.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\nkho COMMAND --help tells more.  kho %s\n",
		kho_version());
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
	    strcmp(name, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("kho %s\n", kho_version());
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "kho: unknown command '%s'\n\n", name);
	usage(stderr);
	return 2;
}
