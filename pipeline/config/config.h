/*
 * kho.conf: the settings of a work root.  INI, one table of keys (below, in
 * config.c) from which come the parser, the command-line flags (every key
 * is also --key, with '_' written '-'), the commented kho.conf that
 * `kho init` writes, which is also the settings' documentation.
 *
 * To add a setting: a field in kho_config, a line in the table in
 * config.c; nothing else.
 */
#ifndef KHO_CONFIG_H
#define KHO_CONFIG_H

#include "common/internal.h"

#include <stdio.h>

#define KHO_CONFIG_MAX_INBOX 16

typedef struct kho_config {
	/* [kho] */
	char *inbox[KHO_CONFIG_MAX_INBOX];
	int n_inbox;
	long long jobs;        /* 0: one per CPU */
	char *batch;           /* "" = the inbox folder's name */
	char *desk;
	long long nice;        /* CPU and disk priority of kho run */
	long long max_load;    /* no new work above this load average */
	/* [limits] */
	long long max_pixels;
	long long max_pages;
	long long max_file_mb;
	long long max_alloc_mb;
	long long page_timeout; /* seconds one page may take in a worker */
	/* [normalize] */
	long long target_dpi;
	long long min_dpi;
	/* [compress] */
	long long jpeg_quality;
	long long background_dpi; /* of a mixed page's colour layer */
	int tiff_master;          /* also write a multi-page TIFF master */
	/* [describe] */
	char *publisher;
	long long qr_module; /* side of a QR module, 1/100 mm */
	/* [pack] */
	long long volume_size; /* bytes */
	char *volume_format;
	char *source_organization;
	int keep_originals;
	/* [coverage] */
	long long backlog_from;   /* first year of the backlog */
	long long backlog_to;     /* last year of the backlog */
	long long backlog_target; /* percent of the backlog to archive */
	long long new_target;     /* percent of each year after it */
	char *target_date;        /* YYYY-MM-DD; "" = 31 December this year */
} kho_config;

typedef enum kho_config_type {
	KHO_CONF_INT,
	KHO_CONF_SIZE, /* bytes, with K, M, G or T */
	KHO_CONF_BOOL,
	KHO_CONF_STRING,
	KHO_CONF_PATHS, /* may be given more than once */
} kho_config_type;

typedef struct kho_config_key {
	const char *section;
	const char *name;
	kho_config_type type;
	const char *fallback; /* default, as it would be written in kho.conf */
	long long min;
	long long max;
	const char *help;
	size_t offset;
} kho_config_key;

/* Sets every key to its default. */
int kho_config_init(kho_config *conf, kho_error *err);
void kho_config_release(kho_config *conf);

/* Reads a kho.conf over the present values.  Unknown sections and keys are
 * errors (KHO_USAGE) that name the file and line. */
int kho_config_load(kho_config *conf, const char *path, kho_error *err);

/* Sets one key by name ("jpeg_quality" or "jpeg-quality"); KHO_USAGE on
 * an unknown key or a bad value.  where names the origin for messages. */
int kho_config_set(kho_config *conf, const char *name, const char *value,
		   const char *where, kho_error *err);

/* A calendar date written YYYY-MM-DD (target_date): 0 and its parts
 * (any pointer may be NULL), or -1. */
int kho_config_date_parse(const char *s, int *year, int *month, int *day);

/* The key table; *n receives its length. */
const kho_config_key *kho_config_keys(size_t *n);
const kho_config_key *kho_config_find(const char *name);

/* Writes a complete, commented kho.conf with the defaults. */
int kho_config_write_default(FILE *out);

#endif
