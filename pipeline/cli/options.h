/*
 * Command-line options shared by every command: --root DIR, -j N, --help,
 * and every kho.conf key as --key VALUE (or --key=VALUE); plus the
 * command's own options, from a small table.
 */
#ifndef KHO_OPTIONS_H
#define KHO_OPTIONS_H

#include "common/internal.h"
#include "root/session.h"

typedef struct kho_opt {
	const char *name;  /* long name, without "--" */
	char short_name;   /* or 0 */
	int has_arg;       /* 0, 1, or KHO_OPT_LIST */
	const char *arg;   /* for help: "ID" */
	const char *help;
} kho_opt;

/* has_arg of an option that takes every argument after it up to the next
 * one starting with '-' (or "--"): --roots R1 R2 R3.  It may also be
 * given again, and as --name=VALUE. */
#define KHO_OPT_LIST 2

#define KHO_ARGS_MAX_SETTINGS 64

typedef struct kho_args {
	const char *root;
	kho_setting settings[KHO_ARGS_MAX_SETTINGS];
	size_t n_settings;
	char *owned[KHO_ARGS_MAX_SETTINGS]; /* absolute inbox paths */
	size_t n_owned;
	/* per option of the command's table: how often given, and values */
	int count[16];
	const char **values[16];
	char **pos;       /* positional arguments */
	int n_pos;
	int help;
} kho_args;

/* Parses argv[1..]; KHO_USAGE with a message for anything unknown. */
int kho_args_parse(int argc, char **argv, const kho_opt *opts, size_t n_opts,
		   kho_args *a, kho_error *err);
void kho_args_release(kho_args *a);

/* Adds a setting as if given as --name value (relative folders are taken
 * from the current directory). */
int kho_args_add_setting(kho_args *a, const char *name, const char *value,
			 kho_error *err);

/* The first value of option i, or NULL. */
const char *kho_args_value(const kho_args *a, size_t i);

/* Prints usage: the command's line, its options and the common ones. */
void kho_usage(const char *cmd, const char *synopsis, const char *about,
	       const kho_opt *opts, size_t n_opts);

/* Prints "kho CMD: message" on stderr and returns the exit status. */
int kho_report_error(const char *cmd, const kho_error *err);

/* Opens the session a command needs with the parsed common options. */
int kho_args_session(const kho_args *a, const char *program, int lock,
		     int readonly, kho_session **s, kho_error *err);

#endif
