/*
 * The commands of kho, one function each, as git's builtins: argv[0] is
 * the command's name, the return value the exit status (PRODUCT.md:
 * 0 done, 1 done but some records failed, 2 usage or settings, 3 could
 * not work).  The `kho` driver lists them in its table
 * (pipeline/programs/kho.c); the stage programs call kho_cmd_stage().
 *
 * To add a command: a kho_cmd_<name>() here, its file in pipeline/cli/,
 * its line in the driver's table, a test in tests/cli/, README.md.
 */
#ifndef KHO_COMMANDS_H
#define KHO_COMMANDS_H

int kho_cmd_init(int argc, char **argv);
int kho_cmd_run(int argc, char **argv);
int kho_cmd_status(int argc, char **argv);
int kho_cmd_show(int argc, char **argv);
int kho_cmd_retry(int argc, char **argv);
int kho_cmd_plan(int argc, char **argv);
int kho_cmd_config(int argc, char **argv);
int kho_cmd_register(int argc, char **argv);
int kho_cmd_report(int argc, char **argv);
int kho_cmd_verify(int argc, char **argv);
int kho_cmd_extract(int argc, char **argv);
int kho_cmd_lookup(int argc, char **argv);

/* One stage over everything pending for it: "ingest", "normalize",
 * "compress", "describe" or "pack". */
int kho_cmd_stage(const char *stage, int argc, char **argv);

#endif
